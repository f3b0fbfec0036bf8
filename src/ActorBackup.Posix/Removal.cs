using ActorBackup.Core;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>What a removal took away.</summary>
public sealed record Removed(long Files, long Directories, long Bytes);

/// <summary>
/// Bulk removal for prune, done the way <c>rm -rf</c> does it and no slower: every directory is
/// opened from its parent's handle (openat with O_DIRECTORY|O_NOFOLLOW, so a directory
/// swapped for a symlink is never followed), listed as a stream, and its entries removed
/// with unlinkat relative to that handle; the entry type comes from readdir (an lstat only
/// where the file system does not tell). No list of a whole directory is held in memory.
/// </summary>
public static class Removal
{
    private const byte DtUnknown = 0, DtDirectory = 4;

    private sealed class Frame(int fd, IntPtr dir, string path, string name)
    {
        public int Fd { get; } = fd;
        public IntPtr Dir { get; } = dir;
        public string Path { get; } = path;
        public string Name { get; } = name;
    }

    /// <summary>
    /// Removes <paramref name="path"/> and everything below it; a symlink or file there is
    /// unlinked, never followed; a missing path removes nothing. Refuses (throws, before
    /// removing anything below it) a directory on another file system than the tree's top: a
    /// mount point inside a snapshot is not part of it. <see cref="Removed.Files"/> counts
    /// every entry that is not a directory; Bytes stays 0 (a link frees no content).
    /// </summary>
    public static Removed RemoveTree(string path)
    {
        if (!Files.TryLstat(path, out var meta, out var errno))
        {
            if (errno == Errno.ENOENT)
                return new Removed(0, 0, 0);
            throw new PosixException(errno, "stat", path);
        }
        if (meta!.Type != EntryType.Directory)
        {
            Files.Unlink(path);
            return new Removed(1, 0, 0);
        }

        long files = 0, directories = 0;
        var stack = new Stack<Frame>();
        var rootFd = Native.OpenForReading(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW, out errno);
        if (rootFd < 0)
            throw new PosixException(errno, "open directory", path);
        var device = DeviceOf(rootFd, path);
        stack.Push(new Frame(rootFd, OpenStream(rootFd, path), path, ""));
        try
        {
            while (stack.Count > 0)
            {
                var top = stack.Peek();
                var entry = Next(top);
                if (entry is null)
                {
                    stack.Pop();
                    Syscall.closedir(top.Dir); // closes top.Fd too
                    if (stack.Count > 0)
                        UnlinkAt(stack.Peek(), top.Name, AtFlags.AT_REMOVEDIR);
                    else if (Syscall.rmdir(path) != 0 && Stdlib.GetLastError() != Errno.ENOENT)
                        throw PosixException.Last("remove directory", path);
                    directories++;
                    continue;
                }
                var name = entry.d_name;
                var isDirectory = entry.d_type == DtDirectory;
                if (entry.d_type == DtUnknown)
                {
                    if (Syscall.fstatat(top.Fd, name, out var st, AtFlags.AT_SYMLINK_NOFOLLOW) != 0)
                        continue; // vanished
                    isDirectory = (st.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFDIR;
                }
                if (!isDirectory)
                {
                    if (UnlinkAt(top, name, 0))
                        files++;
                    continue;
                }
                var childPath = top.Path + "/" + name;
                var fd = Syscall.openat(top.Fd, name, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC);
                if (fd < 0)
                {
                    var e = Stdlib.GetLastError();
                    if (e == Errno.ENOENT)
                        continue;
                    if (e is Errno.ENOTDIR or Errno.ELOOP) // swapped for a file or symlink since readdir: remove the entry itself
                    {
                        if (UnlinkAt(top, name, 0))
                            files++;
                        continue;
                    }
                    throw new PosixException(e, "open directory", childPath);
                }
                if (DeviceOf(fd, childPath) != device)
                {
                    Syscall.close(fd);
                    throw new PosixException(Errno.EXDEV, "remove (another file system is mounted there; unmount it first)", childPath);
                }
                stack.Push(new Frame(fd, OpenStream(fd, childPath), childPath, name));
            }
        }
        finally
        {
            while (stack.Count > 0)
                Syscall.closedir(stack.Pop().Dir);
        }
        return new Removed(files, directories, 0);
    }

    /// <summary>
    /// Removes the regular files directly in <paramref name="folder"/> whose name
    /// <paramref name="selects"/> and that have no other link (st_nlink == 1): store entries no
    /// snapshot links any more. Streams the folder; returns what it removed (Bytes: their sizes).
    /// </summary>
    public static Removed RemoveUnlinkedFiles(string folder, Func<string, bool> selects)
    {
        long files = 0, bytes = 0;
        var fd = Native.OpenForReading(folder, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW, out var errno);
        if (fd < 0)
            throw new PosixException(errno, "open directory", folder);
        var frame = new Frame(fd, OpenStream(fd, folder), folder, "");
        try
        {
            while (Next(frame) is { } entry)
            {
                var name = entry.d_name;
                if (!selects(name) || Syscall.fstatat(fd, name, out var st, AtFlags.AT_SYMLINK_NOFOLLOW) != 0)
                    continue;
                if ((st.st_mode & FilePermissions.S_IFMT) != FilePermissions.S_IFREG || st.st_nlink != 1)
                    continue;
                if (UnlinkAt(frame, name, 0))
                {
                    files++;
                    bytes += st.st_size;
                }
            }
        }
        finally
        {
            Syscall.closedir(frame.Dir);
        }
        return new Removed(files, 0, bytes);
    }

    /// <summary>The next entry other than "." and "..", or null at the end.</summary>
    private static Dirent? Next(Frame frame)
    {
        while (true)
        {
            System.Runtime.InteropServices.Marshal.SetLastPInvokeError(0);
            var entry = Syscall.readdir(frame.Dir);
            if (entry is null)
            {
                var errno = Stdlib.GetLastError();
                if (errno != 0)
                    throw new PosixException(errno, "list", frame.Path);
                return null;
            }
            if (entry.d_name is not ("." or ".."))
                return entry;
        }
    }

    /// <summary>unlinkat relative to the frame's directory; false when the entry had vanished.</summary>
    private static bool UnlinkAt(Frame parent, string name, AtFlags flags)
    {
        if (Syscall.unlinkat(parent.Fd, name, flags) == 0)
            return true;
        var errno = Stdlib.GetLastError();
        if (errno == Errno.ENOENT)
            return false;
        throw new PosixException(errno, flags == AtFlags.AT_REMOVEDIR ? "remove directory" : "remove", parent.Path + "/" + name);
    }

    private static IntPtr OpenStream(int fd, string path)
    {
        var dir = Syscall.fdopendir(fd);
        if (dir != IntPtr.Zero)
            return dir;
        var e = PosixException.Last("list", path);
        Syscall.close(fd);
        throw e;
    }

    private static ulong DeviceOf(int fd, string path)
    {
        if (Syscall.fstat(fd, out var st) == 0)
            return st.st_dev;
        var e = PosixException.Last("stat", path);
        Syscall.close(fd);
        throw e;
    }
}
