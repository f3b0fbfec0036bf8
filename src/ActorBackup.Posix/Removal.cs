using System.Buffers;
using System.Runtime.InteropServices;
using ActorBackup.Core;
using Mono.Unix;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>What a removal took away.</summary>
public sealed record Removed(long Files, long Directories, long Bytes);

/// <summary>
/// Bulk removal for prune, done the way <c>rm -rf</c> does it and no slower: every directory is
/// opened from its parent's handle (openat with O_DIRECTORY|O_NOFOLLOW, so a directory
/// swapped for a symlink is never followed), read with getdents64 into a small buffer, and
/// its entries removed with unlinkat relative to that handle, names passed as the bytes the
/// kernel gave (no string per entry); the entry type comes from the listing (an lstat only
/// where the file system does not tell). Folders are streamed: only the names of one
/// folder's subfolders are ever held (see <see cref="RemoveTree"/>).
/// </summary>
public static unsafe class Removal
{
    private const int ListingBuffer = 16 * 1024;

    private static readonly int OpenFolderFlags = NativeConvert.FromOpenFlags(OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC);
    private static readonly int RemoveFolderFlag = NativeConvert.FromAtFlags(AtFlags.AT_REMOVEDIR);

    [DllImport("libc", SetLastError = true)]
    private static extern int unlinkat(int folderFd, byte* name, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int openat(int folderFd, byte* name, int flags, uint mode);

    /// <summary>
    /// Removes <paramref name="path"/> and everything below it; a symlink or file there is
    /// unlinked, never followed; a missing path removes nothing. Refuses (throws, before
    /// removing anything below it) a directory on another file system than the tree's top: a
    /// mount point inside a snapshot is not part of it. <see cref="Removed.Files"/> counts
    /// every entry that is not a directory; Bytes stays 0 (a link frees no content).
    /// </summary>
    /// <remarks>
    /// The subtrees of the first folder with more than one subfolder (a snapshot's users, say)
    /// are removed by <paramref name="workers"/> threads at once: unlinking is kernel work, and
    /// unlinks in different directories proceed in parallel. Each thread opens its subtrees
    /// from the shared parent handle.
    /// </remarks>
    public static Removed RemoveTree(string path, int workers = 1)
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

        var rootFd = Native.OpenForReading(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW, out errno);
        if (rootFd < 0)
            throw new PosixException(errno, "open directory", path);
        var counts = new Counts(DeviceOf(rootFd, path));
        // Down the chain of folders that have one subfolder only, removing their other entries.
        var chain = new List<Listing> { new(rootFd, path, []) };
        try
        {
            List<byte[]> subfolders;
            while (true)
            {
                subfolders = RemoveNonFolders(chain[^1], counts);
                if (subfolders.Count != 1)
                    break;
                var child = OpenChild(chain[^1], subfolders[0], counts);
                if (child is null)
                {
                    subfolders.Clear();
                    break;
                }
                chain.Add(child);
            }
            var parent = chain[^1];
            if (workers <= 1 || subfolders.Count < 2)
            {
                foreach (var name in subfolders)
                    RemoveSubtree(parent, name, counts);
            }
            else
            {
                try
                {
                    Parallel.ForEach(subfolders, new ParallelOptions { MaxDegreeOfParallelism = workers }, name => RemoveSubtree(parent, name, counts));
                }
                catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x => x is IOException) is { } io)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(io);
                }
            }
            while (chain.Count > 1)
            {
                var done = chain[^1];
                chain.RemoveAt(chain.Count - 1);
                done.Dispose();
                if (UnlinkAt(chain[^1], done.Name, RemoveFolderFlag))
                    Interlocked.Increment(ref counts.Directories);
            }
        }
        finally
        {
            foreach (var listing in chain)
                listing.Dispose();
        }
        if (Syscall.rmdir(path) != 0 && Stdlib.GetLastError() != Errno.ENOENT)
            throw PosixException.Last("remove directory", path);
        counts.Directories++;
        return new Removed(counts.Files, counts.Directories, 0);
    }

    /// <summary>
    /// Removes the regular files directly in <paramref name="folder"/> that have no other link
    /// (st_nlink == 1) and whose name <paramref name="selects"/>: store entries no snapshot
    /// links any more. Streams the folder; one statx per entry, and a name string only for the
    /// few entries with a single link. Returns what it removed (Bytes: their sizes).
    /// </summary>
    public static Removed RemoveUnlinkedFiles(string folder, Func<string, bool> selects)
    {
        long files = 0, bytes = 0;
        var fd = Native.OpenForReading(folder, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW, out var errno);
        if (fd < 0)
            throw new PosixException(errno, "open directory", folder);
        using var listing = new Listing(fd, folder, []);
        Statx.Buffer stat;
        while (listing.Next(out var type))
        {
            if (type is not (Dirents.Regular or Dirents.Unknown) || !listing.StatCurrent(&stat))
                continue;
            if ((stat.Mode & 0xF000) != 0x8000 || stat.Nlink != 1 || !selects(listing.CurrentName()))
                continue;
            if (listing.UnlinkCurrent(0))
            {
                files++;
                bytes += (long)stat.Size;
            }
        }
        return new Removed(files, 0, bytes);
    }

    private sealed class Counts(ulong device)
    {
        public readonly ulong Device = device;
        public long Files;
        public long Directories;
    }

    /// <summary>Unlinks every entry of the folder that is not a directory; returns the names of its subfolders.</summary>
    private static List<byte[]> RemoveNonFolders(Listing folder, Counts counts)
    {
        var subfolders = new List<byte[]>();
        while (folder.Next(out var type))
        {
            if (folder.CurrentIsFolder(type))
                subfolders.Add(folder.CurrentNameBytes());
            else if (folder.UnlinkCurrent(0))
                Interlocked.Increment(ref counts.Files);
        }
        return subfolders;
    }

    /// <summary>Removes one subfolder of an open folder and everything below it, depth first, one handle per level.</summary>
    private static void RemoveSubtree(Listing parent, byte[] name, Counts counts)
    {
        var top = OpenChild(parent, name, counts);
        if (top is null)
            return;
        var stack = new Stack<Listing>();
        stack.Push(top);
        try
        {
            while (stack.Count > 0)
            {
                var folder = stack.Peek();
                if (!folder.Next(out var type))
                {
                    stack.Pop();
                    folder.Dispose();
                    if (UnlinkAt(stack.Count > 0 ? stack.Peek() : parent, folder.Name, RemoveFolderFlag))
                        Interlocked.Increment(ref counts.Directories);
                    continue;
                }
                if (!folder.CurrentIsFolder(type))
                {
                    if (folder.UnlinkCurrent(0))
                        Interlocked.Increment(ref counts.Files);
                    continue;
                }
                if (OpenChild(folder, folder.CurrentNameBytes(), counts) is { } child)
                    stack.Push(child);
            }
        }
        finally
        {
            while (stack.Count > 0)
                stack.Pop().Dispose();
        }
    }

    /// <summary>
    /// Opens a subfolder from its parent's handle, on the tree's file system only; null when it
    /// is gone, or was swapped for a file or symlink (then that entry is removed instead).
    /// </summary>
    private static Listing? OpenChild(Listing parent, byte[] name, Counts counts)
    {
        int fd;
        fixed (byte* p = name)
            fd = openat(parent.Fd, p, OpenFolderFlags, 0);
        var childPath = parent.Path + "/" + Decode(name);
        if (fd < 0)
        {
            var e = NativeConvert.ToErrno(Marshal.GetLastPInvokeError());
            if (e == Errno.ENOENT)
                return null;
            if (e is Errno.ENOTDIR or Errno.ELOOP)
            {
                if (UnlinkAt(parent, name, 0))
                    Interlocked.Increment(ref counts.Files);
                return null;
            }
            throw new PosixException(e, "open directory", childPath);
        }
        if (DeviceOf(fd, childPath) != counts.Device)
        {
            Syscall.close(fd);
            throw new PosixException(Errno.EXDEV, "remove (another file system is mounted there; unmount it first)", childPath);
        }
        return new Listing(fd, childPath, name);
    }

    /// <summary>unlinkat of a NUL-terminated name in an open folder; false when it had vanished.</summary>
    private static bool UnlinkAt(Listing folder, byte[] name, int flags)
    {
        int rc;
        fixed (byte* p = name)
            rc = unlinkat(folder.Fd, p, flags);
        return rc == 0 || Failed(folder, Decode(name), flags);
    }

    private static bool Failed(Listing folder, string name, int flags)
    {
        var errno = NativeConvert.ToErrno(Marshal.GetLastPInvokeError());
        if (errno == Errno.ENOENT)
            return false;
        throw new PosixException(errno, flags == RemoveFolderFlag ? "remove directory" : "remove", folder.Path + "/" + name);
    }

    private static string Decode(byte[] nulTerminated) =>
        nulTerminated.Length <= 1 ? "" : UnixEncoding.Instance.GetString(nulTerminated, 0, nulTerminated.Length - 1);

    private static ulong DeviceOf(int fd, string path)
    {
        if (Syscall.fstat(fd, out var st) == 0)
            return st.st_dev;
        var e = PosixException.Last("stat", path);
        Syscall.close(fd);
        throw e;
    }

    /// <summary>
    /// An open folder read with getdents64: the current entry's name stays in the buffer
    /// (NUL-terminated, as the kernel wrote it) until the next <see cref="Next"/>.
    /// </summary>
    private sealed class Listing(int fd, string path, byte[] name) : IDisposable
    {
        private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(ListingBuffer);
        private int _position, _length, _name;

        public int Fd { get; } = fd;

        /// <summary>For messages only.</summary>
        public string Path { get; } = path;

        /// <summary>This folder's name in its parent, NUL-terminated (empty for the tree's top).</summary>
        public byte[] Name { get; } = name;

        /// <summary>Moves to the next entry other than "." and ".."; false at the end.</summary>
        public bool Next(out byte type)
        {
            while (!Dirents.Next(_buffer!, _length, ref _position, out type, out _name))
            {
                _length = Dirents.Read(Fd, _buffer!, Path);
                _position = 0;
                if (_length == 0)
                    return false;
            }
            return true;
        }

        public bool CurrentIsFolder(byte type)
        {
            if (type != Dirents.Unknown)
                return type == Dirents.Directory;
            return Syscall.fstatat(Fd, CurrentName(), out var st, AtFlags.AT_SYMLINK_NOFOLLOW) == 0
                && (st.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFDIR;
        }

        /// <summary>statx of the current entry, not following a symlink; false when it vanished.</summary>
        public bool StatCurrent(Statx.Buffer* buffer)
        {
            fixed (byte* p = _buffer)
                return Statx.Raw(Fd, p + _name, buffer) == 0;
        }

        public string CurrentName() => UnixEncoding.Instance.GetString(_buffer!, _name, NameLength());

        /// <summary>A copy of the current name, NUL-terminated.</summary>
        public byte[] CurrentNameBytes() => _buffer.AsSpan(_name, NameLength() + 1).ToArray();

        public bool UnlinkCurrent(int flags)
        {
            int rc;
            fixed (byte* p = _buffer)
                rc = unlinkat(Fd, p + _name, flags);
            return rc == 0 || Failed(this, CurrentName(), flags);
        }

        private int NameLength() => Dirents.NameLength(_buffer!, _name);

        public void Dispose()
        {
            if (_buffer is null)
                return;
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
            Syscall.close(Fd);
        }
    }
}
