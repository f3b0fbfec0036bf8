using ActorBackup.Core;
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

    /// <summary>What of <paramref name="e"/> decides a run's outcome (to send it to another actor or node).</summary>
    public static WriteFault FaultOf(Exception e) => ErrnoOf(e) switch
    {
        Errno.ENOSPC => WriteFault.NoSpace,
        Errno.EDQUOT => WriteFault.QuotaExceeded,
        _ => WriteFault.Other,
    };

    /// <summary>
    /// An IOException for a failure reported by message, carrying <paramref name="fault"/>'s
    /// errno the way .NET's own do, so <see cref="Is"/> tells it as the original was told.
    /// </summary>
    public static IOException WithFault(string message, WriteFault fault) => fault switch
    {
        WriteFault.NoSpace => new(message, NativeConvert.FromErrno(Errno.ENOSPC)),
        WriteFault.QuotaExceeded => new(message, NativeConvert.FromErrno(Errno.EDQUOT)),
        _ => new(message, 0),
    };

    /// <summary>An IOException carrying a native errno the way .NET's own do (for our own read and write calls).</summary>
    internal static IOException WithErrno(string message, int nativeErrno) => new(message, nativeErrno);

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
        // The mount table knows bind mounts, which share their device with what they show.
        if (MountTableEntryOf(path) is { } mounted)
            return mounted;
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

    /// <summary>The longest mount point of /proc/self/mountinfo that holds the path with its symlinks resolved; null without /proc.</summary>
    private static string? MountTableEntryOf(string path)
    {
        string real;
        string[] lines;
        try
        {
            real = Files.RealPath(path);
            lines = File.ReadAllLines("/proc/self/mountinfo");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        string? best = null;
        foreach (var line in lines)
        {
            // "36 35 98:0 /mnt1 /mnt/parent rw,noatime ...": the fifth field, octal-escaped.
            var fields = line.Split(' ');
            if (fields.Length < 5)
                continue;
            var point = Unescape(fields[4]);
            var below = point == "/" || real == point || real.StartsWith(point + "/", StringComparison.Ordinal);
            if (below && (best is null || point.Length >= best.Length))
                best = point;
        }
        return best;
    }

    private static string Unescape(string field) =>
        System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
