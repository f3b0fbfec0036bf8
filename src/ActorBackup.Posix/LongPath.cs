using System.Runtime.InteropServices;
using Mono.Unix;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// Paths longer than PATH_MAX (4096 bytes with its NUL), which a user's deep tree makes and
/// which no path-based call accepts (ENAMETOOLONG). Such a path is reached by opening its
/// parent in pieces shorter than PATH_MAX (O_PATH|O_DIRECTORY, each piece relative to the
/// last) and handing the *at call that handle and the last name. A path that fits goes to
/// the call as it is, with AT_FDCWD: the common case costs nothing more.
///
/// The pieces are resolved as the kernel resolves a whole path (symlinks on the way are
/// followed), so this is for the data folder, snapshot trees and restore targets, never
/// for reading a user's tree: that goes through <see cref="SourceRoot"/>.
/// </summary>
internal static class LongPath
{
    /// <summary>PATH_MAX on Linux, the terminating NUL included.</summary>
    public const int PathMax = 4096;

    public const int AtFdCwd = -100;

    private const int OPath = 0x200000;

    /// <summary>True when <paramref name="path"/> (as bytes) does not fit in one call.</summary>
    public static bool IsLong(string path) =>
        // A char is at most 3 bytes in UnixEncoding (a byte that is not UTF-8 is one char of 2);
        // only a path that might be long is encoded to count.
        path.Length * 3 >= PathMax && UnixEncoding.Instance.GetByteCount(path) >= PathMax;

    /// <summary>
    /// Runs <paramref name="call"/> with (AT_FDCWD, path) when the path fits, else with an
    /// open handle of its parent and its last name. The call must read errno itself (the
    /// handle is closed after it returns). Opening the parent fails with a
    /// <see cref="PosixException"/> naming <paramref name="operation"/> and the path.
    /// </summary>
    public static T At<T>(string path, string operation, Func<int, string, T> call)
    {
        if (!IsLong(path))
            return call(AtFdCwd, path);
        var (fd, name) = OpenParent(path, operation);
        try
        {
            return call(fd, name);
        }
        finally
        {
            Syscall.close(fd);
        }
    }

    /// <summary>
    /// The parent of a long <paramref name="path"/> opened O_PATH|O_DIRECTORY, and the last
    /// name. The caller closes the handle.
    /// </summary>
    public static (int Fd, string Name) OpenParent(string path, string operation)
    {
        var trimmed = path.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        if (slash < 0)
            throw new PosixException(Errno.ENAMETOOLONG, operation, path); // one name that long: no file system has it
        var parent = slash == 0 ? "/" : trimmed[..slash];
        var fd = OpenDirectoryInPieces(parent, operation, path);
        return (fd, trimmed[(slash + 1)..]);
    }

    /// <summary>Opens a directory of any length O_PATH|O_DIRECTORY, piece by piece.</summary>
    private static int OpenDirectoryInPieces(string directory, string operation, string shown)
    {
        var fd = AtFdCwd;
        foreach (var piece in Pieces(directory))
        {
            var next = OpenAt(fd, piece, OPath | (int)NativeConvert.FromOpenFlags(OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC), 0);
            var errno = Marshal.GetLastPInvokeError();
            if (fd != AtFdCwd)
                Syscall.close(fd);
            if (next < 0)
                throw new PosixException(NativeConvert.ToErrno(errno), operation, shown);
            fd = next;
        }
        return fd;
    }

    /// <summary>
    /// <paramref name="path"/> cut at slashes into pieces of less than PATH_MAX bytes each
    /// (a name is at most 255 bytes, so a cut always exists). An absolute path's first piece
    /// starts with "/".
    /// </summary>
    public static List<string> Pieces(string path)
    {
        var pieces = new List<string>();
        var names = path.Split('/');
        var current = new System.Text.StringBuilder(path.StartsWith('/') ? "/" : "");
        var bytes = current.Length;
        foreach (var name in names)
        {
            if (name.Length == 0)
                continue;
            var size = UnixEncoding.Instance.GetByteCount(name);
            var separator = bytes > 0 && current[^1] != '/' ? 1 : 0;
            if (bytes + separator + size >= PathMax - 1)
            {
                pieces.Add(current.ToString());
                current.Clear();
                bytes = 0;
                separator = 0;
            }
            if (separator == 1)
                current.Append('/');
            current.Append(name);
            bytes += separator + size;
        }
        if (current.Length > 0)
            pieces.Add(current.ToString());
        return pieces;
    }

    /// <summary>A directory that fits one call, opened O_PATH|O_DIRECTORY (symlinks followed); -1 with errno set on failure.</summary>
    public static int OpenDirectory(string path) => OpenDirectoryAt(AtFdCwd, path);

    /// <summary>The same, relative to an open directory.</summary>
    public static int OpenDirectoryAt(int dirfd, string name) =>
        OpenAt(dirfd, name, OPath | (int)NativeConvert.FromOpenFlags(OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC), 0);

    /// <summary>openat(2) with raw flags (Mono's OpenFlags has no O_PATH or O_NOATIME) and the name as raw bytes.</summary>
    public static int OpenAt(int dirfd, string name, int flags, uint mode) => LibcOpenAt(dirfd, NulTerminated(name), flags, mode);

    public static byte[] NulTerminated(string path)
    {
        var encoded = path.Length == 0 ? [] : UnixEncoding.Instance.GetBytes(path);
        var bytes = new byte[encoded.Length + 1];
        encoded.CopyTo(bytes, 0);
        return bytes;
    }

    [DllImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static extern int LibcOpenAt(int dirfd, byte[] path, int flags, uint mode);
}
