using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Manifest;

namespace ActorBackup.Actors.DataStore;

/// <summary>
/// The snapshot tree being built: creates directories, symlinks and special files, and
/// sets directory metadata once their children are in. Used only by the data-store (and
/// its <see cref="Finisher"/>, with an instance and held folders of its own).
/// Directories are created 0700 and get their real owner and mode when finalized, so
/// nobody can look into a snapshot before it is complete. Its folders are reached through
/// <paramref name="dirs"/> (parents held open), which forgets them when leftovers are removed.
/// Each gets the extended attributes (ACLs included) of its source: a folder's when it is
/// finalized, after its children are made (so none inherits its default ACL); what cannot be
/// set goes to <paramref name="xattrFailures"/>. Where the snapshot's folder inherited a default
/// ACL (<paramref name="inherits"/>: from the folder it was made in), every entry made is given
/// exactly its list, so none keeps an ACL its source does not have.
/// </summary>
internal sealed class SnapshotTree(string root, bool replaceExisting, OpenDirectories dirs, XattrFailures xattrFailures, bool inherits)
{
    private readonly bool _root = Files.IsRoot;

    public string Root { get; } = root;

    /// <summary>
    /// Where a snapshot-relative path lands. The path may come from another node: one that
    /// would leave the snapshot (absolute, "..", NUL) is refused, and the run stops.
    /// </summary>
    public string PathOf(string relative)
    {
        if (!PathBytes.IsSafeRelative(relative))
            throw new IOException($"refused a snapshot path that leaves the snapshot: '{PathBytes.Escape(relative)}'");
        return relative.Length == 0 ? Root : Root + "/" + relative;
    }

    public void CreateDirectory(SourceEntry e)
    {
        var path = PathOf(e.Path);
        var errno = Files.TryMkdir(path, 0x1C0, dirs); // 0700 until finalized
        if (errno.AlreadyExists() && Files.TryLstat(path, out var existing, out _, dirs) && existing!.Type == EntryType.Directory)
            return;
        PosixException.ThrowIfFailed(errno, "create directory", path);
    }

    public void CreateSymlink(SourceEntry e)
    {
        var path = PathOf(e.Path);
        var errno = Files.TrySymlink(e.LinkTarget!, path);
        if (errno.AlreadyExists())
        {
            if (!replaceExisting)
                return;
            Files.Unlink(path);
            errno = Files.TrySymlink(e.LinkTarget!, path);
        }
        PosixException.ThrowIfFailed(errno, "create symlink", path);
        if (_root)
            Files.Lchown(path, e.Meta.Uid, e.Meta.Gid);
        SetXattrs(path, e.Xattrs, made: !inherits, via: null);
        Files.SetTimes(path, e.Meta.Mtime);
    }

    /// <summary>Creates a FIFO or device node; false when it cannot be (a device without root).</summary>
    public bool CreateSpecial(SourceEntry e)
    {
        if (e.Meta.Type is EntryType.CharDevice or EntryType.BlockDevice && !_root)
            return false;
        var path = PathOf(e.Path);
        var errno = Files.TryMknod(path, e.Meta.Type, 0x180, e.Meta.Rdev);
        if (errno.AlreadyExists())
        {
            if (!replaceExisting)
                return true;
            Files.Unlink(path);
            errno = Files.TryMknod(path, e.Meta.Type, 0x180, e.Meta.Rdev);
        }
        PosixException.ThrowIfFailed(errno, "create special file", path);
        SetMeta(path, e.Meta, e.Xattrs);
        return true;
    }

    /// <summary>
    /// Owner, mode and times of a directory, after its children (they change its mtime).
    /// When resuming a partial snapshot, <paramref name="keep"/> names the children this run
    /// produced: anything else is left over from the interrupted run and is removed, so the
    /// snapshot never shows what the source no longer has.
    /// </summary>
    public void Finalize(SourceEntry directory, IReadOnlySet<string>? keep)
    {
        var path = PathOf(directory.Path);
        if (keep is not null)
        {
            List<string> names;
            using (var dir = DirectoryHandle.Open(path))
                names = dir.ListNames();
            var removed = false;
            foreach (var name in names.Where(n => !keep.Contains(n)))
            {
                Files.RemoveTree(path + "/" + name);
                removed = true;
            }
            if (removed)
                dirs.Clear(); // a folder held open may have been among them
        }
        SetMeta(path, directory.Meta, directory.Xattrs);
    }

    /// <summary>
    /// Owner, mode, xattrs and times. The mode is first narrowed by the access ACL; setting the
    /// ACL then gives the exact bits (where it cannot be set, the narrowed mode keeps out whom
    /// the ACL kept out).
    /// </summary>
    private void SetMeta(string path, FileMeta meta, IReadOnlyList<Xattr>? xattrs)
    {
        if (_root)
            Files.Lchown(path, meta.Uid, meta.Gid, dirs);
        Files.Chmod(path, Xattrs.SnapshotMode(meta.Mode, xattrs), dirs);
        SetXattrs(path, xattrs, made: !replaceExisting && !inherits, dirs);
        Files.SetTimes(path, meta.Mtime, dirs);
    }

    /// <summary>
    /// Sets the entry's xattrs. An entry this run made has none to remove (its folder's default
    /// ACL is set only once its children are made), so one without xattrs costs no call; one
    /// kept from an interrupted run is given exactly its list.
    /// </summary>
    private void SetXattrs(string path, IReadOnlyList<Xattr>? xattrs, bool made, OpenDirectories? via)
    {
        if (made && (xattrs is null || xattrs.Count == 0))
            return;
        xattrFailures.Note(path, Files.SetXattrs(path, xattrs, via));
    }
}
