using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// Writing new store files around the page cache (O_DIRECT). A backup writes gigabytes
/// that nobody reads soon. Through the page cache each byte is first copied into a freshly
/// allocated page, which on a VM costs more than reading and hashing it (compare `dd` of
/// 1 GiB with and without oflag=direct), and those pages evict
/// the users' own working set. Direct writes need the memory, the offset and the length
/// aligned to the device's logical block size; <see cref="Alignment"/> covers both
/// 512-byte and 4 KiB devices. A file system that refuses O_DIRECT gets ordinary writes.
/// </summary>
public static unsafe class DirectIo
{
    public const int Alignment = 4096;

    private const int FSetFl = 4; // F_SETFL, the same number on every Linux architecture

    /// <summary>
    /// A buffer of at least <paramref name="length"/> bytes (a whole number of blocks) that
    /// starts on an <see cref="Alignment"/> boundary and never moves (pinned), for reads
    /// whose chunks are then written direct.
    /// </summary>
    public static Memory<byte> AlignedBuffer(int length)
    {
        var size = (length + Alignment - 1) / Alignment * Alignment;
        var array = GC.AllocateUninitializedArray<byte>(size + Alignment, pinned: true);
        var address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        var skip = (int)((Alignment - address % Alignment) % Alignment);
        return array.AsMemory(skip, size);
    }

    /// <summary>
    /// <see cref="Files.CreateExclusive"/> for direct writes; null when the file system
    /// refuses O_DIRECT. Linux refuses only after creating the file, so the file it made is
    /// removed again.
    /// </summary>
    public static SafeFileHandle? TryCreateExclusive(string path)
    {
        var fd = Syscall.open(path, Files.CreateExclusiveFlags | OpenFlags.O_DIRECT, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR);
        if (fd >= 0)
            return new SafeFileHandle(fd, ownsHandle: true);
        var errno = Stdlib.GetLastError();
        if (errno != Errno.EINVAL)
            throw new PosixException(errno, "create", path);
        Syscall.unlink(path); // O_EXCL: a file there now is the one this open made
        return null;
    }

    /// <summary>
    /// Writes all of <paramref name="data"/> at <paramref name="offset"/> into a file opened
    /// O_DIRECT. False when the file refuses the write (EINVAL: memory, offset or length
    /// not aligned): the caller writes it again through the page cache, after
    /// <see cref="Stop"/>. Any other failure (no space) throws an IOException whose HResult
    /// is the errno, as .NET's own writes do.
    /// </summary>
    public static bool TryWrite(SafeFileHandle handle, ReadOnlySpan<byte> data, long offset)
    {
        var errno = PositionalIo.TryWriteAll(Files.Fd(handle), data, offset);
        if (errno == NativeConvert.FromErrno(Errno.EINVAL))
            return false;
        if (errno != 0)
            throw PositionalIo.Failure("write", errno);
        return true;
    }

    /// <summary>Turns O_DIRECT off: the file's further writes go through the page cache.</summary>
    public static void Stop(SafeFileHandle handle)
    {
        // The store's files are opened with no other status flag, so 0 clears just O_DIRECT.
        if (fcntl(Files.Fd(handle), FSetFl, 0) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw FileSystemFull.WithErrno($"fcntl: {PosixException.Describe(NativeConvert.ToErrno(errno))}", errno);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int fcntl(int fd, int command, int argument);
}
