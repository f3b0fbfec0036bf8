using ActorBackup.Core;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// Reads a small regular file named on the command line (a configuration file) whole, and
/// refuses anything else before it can block or run long: opening a FIFO (/dev/stdin fed by
/// a pipe) blocks until a writer comes, a device (/dev/zero) never ends, and a huge file
/// costs memory. A symlink to a regular file is followed (configuration management links them).
/// </summary>
public static class SmallFile
{
    /// <summary>
    /// The file's bytes; null when it is refused, with <paramref name="refusal"/> finishing the
    /// sentence "FILE ..." ("does not exist", "is a FIFO, not a regular file", ...).
    /// </summary>
    public static byte[]? TryRead(string path, int maxBytes, out string refusal)
    {
        // stat first: a device or FIFO is never opened at all (opening some devices acts).
        if (Syscall.stat(path, out var st) != 0)
        {
            refusal = NotReadable(Stdlib.GetLastError());
            return null;
        }
        if (Refused(Meta.From(st), maxBytes) is { } before)
        {
            refusal = before;
            return null;
        }
        var fd = Native.OpenForReading(path, OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK | OpenFlags.O_NOCTTY, out var errno);
        if (fd < 0)
        {
            refusal = NotReadable(errno);
            return null;
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        var meta = Files.Fstat(handle, path);
        // Swapped between stat and open: the open did not block, and nothing is read from it.
        if (Refused(meta, maxBytes) is { } after)
        {
            refusal = after;
            return null;
        }
        if (meta.Device != st.st_dev || meta.Inode != st.st_ino)
        {
            refusal = "was replaced while it was opened; run again";
            return null;
        }
        // The size can grow after fstat: read at most one byte more than allowed to tell.
        var buffer = new byte[Math.Min(meta.Size, maxBytes) + 1];
        var length = 0;
        while (length < buffer.Length)
        {
            var n = PositionalIo.Read(handle, buffer.AsSpan(length), length);
            if (n == 0)
                break;
            length += n;
        }
        if (length > maxBytes)
        {
            refusal = TooBig(maxBytes);
            return null;
        }
        refusal = "";
        return buffer[..length];
    }

    private static string? Refused(FileMeta meta, int maxBytes) => meta.Type switch
    {
        EntryType.File when meta.Size > maxBytes => TooBig(maxBytes),
        EntryType.File => null,
        EntryType.Directory => "is a folder, not a regular file",
        EntryType.Fifo => "is a FIFO (a pipe such as /dev/stdin), not a regular file",
        EntryType.CharDevice or EntryType.BlockDevice => "is a device, not a regular file",
        _ => "is a socket, not a regular file",
    };

    private static string TooBig(int maxBytes) => $"is larger than {maxBytes / 1024} KiB, too big for a configuration file";

    private static string NotReadable(Errno errno) =>
        errno == Errno.ENOENT ? "does not exist" : $"cannot be read: {PosixException.Describe(errno)}";
}
