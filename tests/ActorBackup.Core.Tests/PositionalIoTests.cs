using ActorBackup.Posix;
using ActorBackup.Testing;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace ActorBackup.Core.Tests;

public sealed class PositionalIoTests
{
    [Fact]
    public void Read_and_Write_work_at_offsets_leave_the_file_position_alone_and_read_0_at_the_end()
    {
        using var dir = new TempDir();
        var path = dir.Write("f", "0123456789");
        using (var handle = Open(path, OpenFlags.O_RDWR))
        {
            PositionalIo.Write(handle, "abc"u8, 4);
            PositionalIo.Write(handle, "XY"u8, 12); // past the end: a 2-byte hole at 10
            var buffer = new byte[8];
            Assert.Equal(8, PositionalIo.Read(handle, buffer, 2));
            Assert.Equal("23abc789", System.Text.Encoding.ASCII.GetString(buffer));
            Assert.Equal(4, PositionalIo.Read(handle, buffer, 10));
            Assert.Equal(new byte[] { 0, 0, (byte)'X', (byte)'Y' }, buffer[..4]);
            Assert.Equal(0, PositionalIo.Read(handle, buffer, 14));
            Assert.Equal(0, Syscall.lseek((int)handle.DangerousGetHandle(), 0, SeekFlags.SEEK_CUR)); // pread/pwrite: the position never moved
        }
        Assert.Equal("0123abc789\0\0XY", File.ReadAllText(path));
    }

    [Fact]
    public void Failures_are_IOExceptions_carrying_the_errno()
    {
        using var dir = new TempDir();
        var path = dir.Write("f", "data");
        using var readOnly = Open(path, OpenFlags.O_RDONLY);
        using var writeOnly = Open(path, OpenFlags.O_WRONLY);

        var write = Assert.Throws<IOException>(() => PositionalIo.Write(readOnly, "x"u8, 0));
        var read = Assert.Throws<IOException>(() => PositionalIo.Read(writeOnly, new byte[4], 0));

        Assert.Equal(NativeConvert.FromErrno(Errno.EBADF), write.HResult);
        Assert.Equal("write: " + PosixException.Describe(Errno.EBADF), write.Message);
        Assert.Equal(NativeConvert.FromErrno(Errno.EBADF), read.HResult);
        Assert.Equal(PosixException.Describe(Errno.EBADF), read.Message);
        Assert.Equal("data", File.ReadAllText(path));
    }

    private static SafeFileHandle Open(string path, OpenFlags flags)
    {
        var fd = Syscall.open(path, flags | OpenFlags.O_CLOEXEC);
        Assert.True(fd >= 0, $"open {path}: {Stdlib.GetLastError()}");
        return new SafeFileHandle(fd, ownsHandle: true);
    }
}
