using System.Text;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// An exclusive fcntl lock on the data folder's lock file, holding the owner's PID. The
/// kernel drops the lock when the process dies, so a lock left by a crashed run never
/// blocks the next one; the PID in the file is only for the message.
/// </summary>
public sealed class DataFolderLock : IDisposable
{
    private readonly int _fd;

    private DataFolderLock(int fd) => _fd = fd;

    /// <summary>Takes the lock, or returns null and the PID of the holder when another process has it.</summary>
    public static DataFolderLock? TryAcquire(string path, out int holderPid)
    {
        holderPid = 0;
        var fd = Syscall.open(path, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_CLOEXEC,
            FilePermissions.S_IRUSR | FilePermissions.S_IWUSR);
        if (fd < 0)
            throw PosixException.Last("open lock file", path);
        var request = new Flock { l_type = LockType.F_WRLCK, l_whence = SeekFlags.SEEK_SET, l_start = 0, l_len = 0 };
        if (Syscall.fcntl(fd, FcntlCommand.F_SETLK, ref request) != 0)
        {
            var errno = Stdlib.GetLastError();
            var probe = new Flock { l_type = LockType.F_WRLCK, l_whence = SeekFlags.SEEK_SET };
            if (Syscall.fcntl(fd, FcntlCommand.F_GETLK, ref probe) == 0 && probe.l_type != LockType.F_UNLCK)
                holderPid = probe.l_pid;
            Syscall.close(fd);
            if (errno is Errno.EAGAIN or Errno.EACCES)
                return null;
            throw new PosixException(errno, "lock", path);
        }
        var pid = Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n");
        Syscall.ftruncate(fd, 0);
        unsafe
        {
            fixed (byte* p = pid)
                Syscall.pwrite(fd, p, (ulong)pid.Length, 0);
        }
        return new DataFolderLock(fd);
    }

    public void Dispose() => Syscall.close(_fd);
}
