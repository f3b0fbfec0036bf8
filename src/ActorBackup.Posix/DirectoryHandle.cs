using ActorBackup.Core;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// An open directory, listed and examined through its own handle: opened with
/// O_DIRECTORY|O_NOFOLLOW, so a directory swapped for a symlink is refused, and its
/// children are stat'ed relative to the handle, never by re-resolving the path.
/// </summary>
public sealed class DirectoryHandle : IDisposable
{
    private readonly int _fd;
    private IntPtr _dir;

    private DirectoryHandle(int fd, string path, FileMeta meta)
    {
        _fd = fd;
        Path = path;
        Meta = meta;
    }

    public string Path { get; }

    /// <summary>What fstat says of the opened directory: compare with what the parent's listing saw.</summary>
    public FileMeta Meta { get; }

    public static DirectoryHandle Open(string path)
    {
        var fd = Native.OpenForReading(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW, out var errno);
        if (fd < 0)
            throw new PosixException(errno, "open directory", path);
        return Adopt(fd, path);
    }

    /// <summary>Takes over an open directory descriptor (see <see cref="SourceRoot.OpenDirectory"/>); closes it on failure.</summary>
    internal static DirectoryHandle Adopt(int fd, string path)
    {
        if (Syscall.fstat(fd, out var st) != 0)
        {
            var e = PosixException.Last("stat", path);
            Syscall.close(fd);
            throw e;
        }
        return new DirectoryHandle(fd, path, ActorBackup.Posix.Meta.From(st));
    }

    /// <summary>Names in the directory, without "." and "..", in the order the file system gives.</summary>
    public List<string> ListNames()
    {
        if (_dir == IntPtr.Zero)
        {
            // fdopendir takes over a duplicate so that our fd stays usable for fstatat.
            var dup = Syscall.dup(_fd);
            if (dup < 0)
                throw PosixException.Last("dup", Path);
            _dir = Syscall.fdopendir(dup);
            if (_dir == IntPtr.Zero)
            {
                var e = PosixException.Last("list", Path);
                Syscall.close(dup);
                throw e;
            }
        }
        else
            Syscall.rewinddir(_dir);

        var names = new List<string>();
        while (true)
        {
            System.Runtime.InteropServices.Marshal.SetLastPInvokeError(0);
            var entry = Syscall.readdir(_dir);
            if (entry is null)
            {
                var errno = Stdlib.GetLastError();
                if (errno != 0)
                    throw new PosixException(errno, "list", Path);
                break;
            }
            if (entry.d_name is "." or "..")
                continue;
            names.Add(entry.d_name);
        }
        return names;
    }

    /// <summary>lstat of a child, relative to this handle; null when it vanished.</summary>
    public FileMeta? StatChild(string name)
    {
        if (Syscall.fstatat(_fd, name, out var st, AtFlags.AT_SYMLINK_NOFOLLOW) == 0)
            return ActorBackup.Posix.Meta.From(st);
        var errno = Stdlib.GetLastError();
        if (errno == Errno.ENOENT)
            return null;
        throw new PosixException(errno, "stat", System.IO.Path.Combine(Path, name));
    }

    /// <summary>The exact bytes of a child symlink's target.</summary>
    public byte[] ReadLinkChild(string name)
    {
        var buffer = new byte[4096];
        var n = Syscall.readlinkat(_fd, name, buffer);
        if (n < 0)
            throw PosixException.Last("read link", System.IO.Path.Combine(Path, name));
        return buffer.AsSpan(0, (int)n).ToArray();
    }

    public void Dispose()
    {
        if (_dir != IntPtr.Zero)
        {
            Syscall.closedir(_dir);
            _dir = IntPtr.Zero;
        }
        Syscall.close(_fd);
    }
}
