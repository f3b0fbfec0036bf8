using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// pread(2) and pwrite(2) on a handle, for the calls made once per file of a backup. .NET's
/// RandomAccess asks every new handle whether it can seek (an lseek, once per handle, so
/// twice per new file: the source and its temp file); these ask nothing. Failures are
/// IOExceptions whose HResult is the errno, as .NET's own are, so <see cref="FileSystemFull"/>
/// tells a full disk from them alike.
/// </summary>
public static unsafe class PositionalIo
{
    private static readonly int Eintr = NativeConvert.FromErrno(Errno.EINTR);

    /// <summary>Reads into <paramref name="buffer"/> from <paramref name="offset"/>; the bytes read, 0 at the end.</summary>
    public static int Read(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        var fd = Files.Fd(handle);
        fixed (byte* start = buffer)
        {
            while (true)
            {
                var n = pread(fd, start, (nuint)buffer.Length, offset);
                if (n >= 0)
                    return (int)n;
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Eintr)
                    throw FileSystemFull.WithErrno(PosixException.Describe(NativeConvert.ToErrno(errno)), errno);
            }
        }
    }

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/>.</summary>
    public static void Write(SafeFileHandle handle, ReadOnlySpan<byte> data, long offset)
    {
        var errno = TryWriteAll(Files.Fd(handle), data, offset);
        if (errno != 0)
            throw Failure("write", errno);
    }

    /// <summary>Writes all of <paramref name="data"/>; 0, or the native errno of the write that failed (EIO for one that made no progress).</summary>
    internal static int TryWriteAll(int fd, ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* start = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = pwrite(fd, start + done, (nuint)(data.Length - done), offset + done);
                if (n > 0)
                {
                    done += (int)n;
                    continue;
                }
                var errno = n == 0 ? NativeConvert.FromErrno(Errno.EIO) : Marshal.GetLastPInvokeError();
                if (errno != Eintr)
                    return errno;
            }
        }
        return 0;
    }

    internal static IOException Failure(string call, int errno) =>
        FileSystemFull.WithErrno($"{call}: {PosixException.Describe(NativeConvert.ToErrno(errno))}", errno);

    [DllImport("libc", SetLastError = true)]
    private static extern nint pread(int fd, byte* buffer, nuint count, long offset);

    [DllImport("libc", SetLastError = true)]
    private static extern nint pwrite(int fd, byte* buffer, nuint count, long offset);
}
