using ActorBackup.Core;
using ActorBackup.Core.Manifest;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using Mono.Unix.Native;

namespace ActorBackup.Actors.DataStore;

/// <summary>
/// The snapshot tree being built: creates directories, symlinks and special files, and
/// sets directory metadata once their children are in. Used only by the data-store (and
/// its <see cref="Finisher"/>, with an instance and held folders of its own).
/// Directories are created 0700 and get their real owner and mode when finalized, so
/// nobody can look into a snapshot before it is complete. Its folders are reached through
/// <paramref name="dirs"/> (parents held open), which forgets them when leftovers are removed.
/// </summary>
internal sealed class SnapshotTree(string root, bool replaceExisting, OpenDirectories dirs)
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
        if (errno == Errno.EEXIST && Files.TryLstat(path, out var existing, out _, dirs) && existing!.Type == EntryType.Directory)
            return;
        Check(errno, "create directory", path);
    }

    public void CreateSymlink(SourceEntry e)
    {
        var path = PathOf(e.Path);
        var errno = Files.TrySymlink(e.LinkTarget!, path);
        if (errno == Errno.EEXIST)
        {
            if (!replaceExisting)
                return;
            Files.Unlink(path);
            errno = Files.TrySymlink(e.LinkTarget!, path);
        }
        Check(errno, "create symlink", path);
        if (_root)
            Files.Lchown(path, e.Meta.Uid, e.Meta.Gid);
        Files.SetTimes(path, e.Meta.Mtime);
    }

    /// <summary>Creates a FIFO or device node; false when it cannot be (a device without root).</summary>
    public bool CreateSpecial(SourceEntry e)
    {
        if (e.Meta.Type is EntryType.CharDevice or EntryType.BlockDevice && !_root)
            return false;
        var path = PathOf(e.Path);
        var errno = Files.TryMknod(path, e.Meta.Type, 0x180, e.Meta.Rdev);
        if (errno == Errno.EEXIST)
        {
            if (!replaceExisting)
                return true;
            Files.Unlink(path);
            errno = Files.TryMknod(path, e.Meta.Type, 0x180, e.Meta.Rdev);
        }
        Check(errno, "create special file", path);
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

    /// <summary>Owner, mode (narrowed by an access ACL, which the snapshot does not carry) and times.</summary>
    private void SetMeta(string path, FileMeta meta, IReadOnlyList<Xattr>? xattrs)
    {
        if (_root)
            Files.Lchown(path, meta.Uid, meta.Gid, dirs);
        Files.Chmod(path, Xattrs.SnapshotMode(meta.Mode, xattrs), dirs);
        Files.SetTimes(path, meta.Mtime, dirs);
    }

    private static void Check(Errno errno, string operation, string path)
    {
        if (errno != 0)
            throw new PosixException(errno, operation, path);
    }
}
