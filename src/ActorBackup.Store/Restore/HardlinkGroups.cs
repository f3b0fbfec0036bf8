using ActorBackup.Core;

namespace ActorBackup.Store.Restore;

/// <summary>
/// Which regular files of a restore were hardlinks of one another in the source, so that
/// they come back as links of one inode. Only files whose manifest line records more than
/// one link are looked at. A group is the source's device and inode together with the
/// content hash: two lines of one inode with different hashes (the file changed while the
/// backup read it) are never linked. The first member met is restored as a file; the
/// others are linked to it once it is. A group leaves the table when as many members were
/// met as the source had links; groups with members outside the snapshot (or outside
/// --path) stay to the end. The table holds at most <c>capacity</c> groups: a file that
/// would open a further group is restored as a copy instead, so memory stays bounded
/// whatever the snapshot holds. Owned by <see cref="RestoreCoordinator"/>; not thread-safe.
/// </summary>
public sealed class HardlinkGroups(int capacity = HardlinkGroups.DefaultCapacity)
{
    /// <summary>About 200 bytes per group (key, path, counts): 200 MB at most.</summary>
    public const int DefaultCapacity = 1_000_000;

    private readonly Dictionary<Key, Group> _groups = [];

    /// <summary>The most groups the table holds.</summary>
    public int Capacity => capacity;

    /// <summary>Groups in the table now.</summary>
    public int Count => _groups.Count;

    /// <summary>What to do with a regular file.</summary>
    public enum Role
    {
        /// <summary>One link in the source (or an older manifest): restore it as a file.</summary>
        Alone,

        /// <summary>The first member of its group: restore it as a file; later members link to it.</summary>
        First,

        /// <summary>A later member: link it to <see cref="Group.FirstPath"/>, or wait while that is <see cref="FirstState.Pending"/>.</summary>
        Member,

        /// <summary>It would open a group, but the table is full: restore it as a copy.</summary>
        TableFull,
    }

    public enum FirstState
    {
        /// <summary>Sent to be restored; no reply yet.</summary>
        Pending,

        /// <summary>Restored: <see cref="Group.Device"/> and <see cref="Group.Inode"/> say where it landed.</summary>
        Restored,

        /// <summary>Not restored exactly: later members are restored as copies.</summary>
        Failed,
    }

    public sealed class Group(Key key, string firstPath, ulong links)
    {
        internal Key Key { get; } = key;

        public string FirstPath { get; } = firstPath;

        public FirstState State { get; internal set; }

        /// <summary>The restored first member's device and inode: a link must land on them.</summary>
        public ulong Device { get; internal set; }

        public ulong Inode { get; internal set; }

        /// <summary>Members met so far, the first included.</summary>
        internal ulong Seen { get; set; } = 1;

        /// <summary>The most links any member's line records (they differ when files were linked or unlinked during the backup).</summary>
        internal ulong Links { get; set; } = links;

        /// <summary>Later members met while the first is <see cref="FirstState.Pending"/>; null when none (most groups).</summary>
        internal List<FileToRestore>? Waiting { get; set; }

        /// <summary>Holds a later member until the first's restore is over (<see cref="Resolve"/> gives it back).</summary>
        public void Wait(FileToRestore file) => (Waiting ??= []).Add(file);

        internal bool Complete => Seen >= Links;
    }

    public readonly record struct Key(ulong Device, ulong Inode, string Hash);

    /// <summary>
    /// Sorts a regular file into its group. For <see cref="Role.First"/> and
    /// <see cref="Role.Member"/>, <paramref name="group"/> is its group; a member that
    /// completes the group has taken it out of the table already (unless it must wait).
    /// </summary>
    public Role Add(FileToRestore file, out Group? group)
    {
        group = null;
        if (file.Meta.LinkCount <= 1)
            return Role.Alone;
        var key = new Key(file.Meta.Device, file.Meta.Inode, file.Hash);
        if (_groups.TryGetValue(key, out group))
        {
            group.Seen++;
            group.Links = Math.Max(group.Links, file.Meta.LinkCount);
            if (group.Complete && group.State != FirstState.Pending)
                _groups.Remove(key);
            return Role.Member;
        }
        if (_groups.Count >= capacity)
            return Role.TableFull;
        group = new Group(key, file.Path, file.Meta.LinkCount);
        _groups.Add(key, group);
        return Role.First;
    }

    /// <summary>
    /// The first member's restore is over: restored at <paramref name="device"/> and
    /// <paramref name="inode"/>, or failed (<paramref name="restored"/> false). Returns the
    /// members that waited for it, to link or copy now; a complete group leaves the table.
    /// </summary>
    public List<FileToRestore> Resolve(Group group, bool restored, ulong device = 0, ulong inode = 0)
    {
        group.State = restored ? FirstState.Restored : FirstState.Failed;
        group.Device = device;
        group.Inode = inode;
        if (group.Complete)
            _groups.Remove(group.Key);
        var waiting = group.Waiting ?? [];
        group.Waiting = null;
        return waiting;
    }
}
