using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// A write that failed because its file system is full (ENOSPC) or its owner's quota is
/// used up (EDQUOT), however the failure surfaced: a <see cref="PosixException"/> from our
/// own calls, or an IOException from .NET's streams, whose HResult on Unix is the errno.
/// </summary>
public static class FileSystemFull
{
    /// <summary>True for ENOSPC and EDQUOT; <paramref name="quota"/> tells which.</summary>
    public static bool Is(Exception e, out bool quota)
    {
        var errno = ErrnoOf(e);
        quota = errno == Errno.EDQUOT;
        return errno is Errno.ENOSPC or Errno.EDQUOT;
    }

    /// <summary>The native errno behind <paramref name="e"/>, 0 when it carries none (to send it to another actor).</summary>
    public static int NativeErrno(Exception e) => ErrnoOf(e) is { } errno ? NativeConvert.FromErrno(errno) : 0;

    /// <summary>An IOException carrying a native errno the way .NET's own do, for a failure reported by message.</summary>
    public static IOException WithErrno(string message, int nativeErrno) => new(message, nativeErrno);

    private static Errno? ErrnoOf(Exception e)
    {
        if (e is PosixException p)
            return p.Errno;
        if (e is IOException && e.HResult is > 0 and < 4096 && NativeConvert.TryToErrno(e.HResult, out var errno))
            return errno;
        return null;
    }

    /// <summary>
    /// The mount point of the file system holding <paramref name="path"/>: the highest
    /// ancestor on the same device. Best effort: <paramref name="path"/> itself when a
    /// folder above cannot be examined.
    /// </summary>
    public static string MountPointOf(string path)
    {
        var current = Path.GetFullPath(path).TrimEnd('/');
        if (current.Length == 0)
            return "/";
        if (Syscall.stat(current, out var st) != 0)
            return current;
        while (Path.GetDirectoryName(current) is { } parent)
        {
            if (Syscall.stat(parent, out var up) != 0 || up.st_dev != st.st_dev)
                break;
            current = parent;
        }
        return current;
    }
}
