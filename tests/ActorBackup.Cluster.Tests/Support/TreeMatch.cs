using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.Cluster.Tests.Support;

/// <summary>
/// The comparison of ActorBackup.Testing's TreeComparer (names as bytes, types, modes, owners,
/// mtimes, sizes, content, symlink targets, device numbers; file mtimes optional), made cheap
/// for the gigabytes of sparse zeros these tests hash: a file's content hash is computed once
/// per inode (a snapshot's copies of one content are one inode), and a file with no data
/// extents at all (SEEK_DATA finds none) is known to read as zeros without reading it.
/// </summary>
internal sealed class TreeMatch
{
    private const int SeekData = 3; // lseek whence SEEK_DATA (Linux); Mono.Posix does not know it
    private const int ENXIO = 6;
    private readonly Dictionary<(ulong Dev, ulong Ino), string> _byInode = [];
    private readonly Dictionary<long, string> _zerosBySize = [];

    public static List<string> Differences(string original, string copy, bool fileMtimes = true) =>
        new TreeMatch().Compare(original, copy, fileMtimes);

    private List<string> Compare(string original, string copy, bool fileMtimes)
    {
        var differences = new List<string>();
        Compare(original, copy, "", fileMtimes, differences);
        return differences;
    }

    private void Compare(string original, string copy, string relative, bool fileMtimes, List<string> differences)
    {
        if (differences.Count >= 20)
            return;
        var shown = relative.Length == 0 ? "." : Names.Show(relative);
        if (!PosixFs.Exists(copy))
        {
            differences.Add($"{shown}: missing from the copy");
            return;
        }
        var a = PosixFs.Lstat(original);
        var b = PosixFs.Lstat(copy);
        void Check<T>(string what, T expected, T actual)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
                differences.Add($"{shown}: {what} is {actual} in the copy, {expected} in the original");
        }
        var type = PosixFs.TypeOf(a);
        Check("type", type, PosixFs.TypeOf(b));
        if (PosixFs.TypeOf(b) != type)
            return;
        if (type != FilePermissions.S_IFLNK)
            Check("mode", Octal.Format(PosixFs.ModeOf(a)), Octal.Format(PosixFs.ModeOf(b)));
        Check("owner", $"{a.st_uid}:{a.st_gid}", $"{b.st_uid}:{b.st_gid}");
        if (type != FilePermissions.S_IFREG || fileMtimes)
            Check("mtime", Time(a), Time(b));
        switch (type)
        {
            case FilePermissions.S_IFREG:
                Check("size", a.st_size, b.st_size);
                if (a.st_size == b.st_size)
                    Check("content SHA1", ContentHash(original, a), ContentHash(copy, b));
                break;
            case FilePermissions.S_IFLNK:
                Check("target", Names.Show(PosixFs.ReadLink(original)), Names.Show(PosixFs.ReadLink(copy)));
                break;
            case FilePermissions.S_IFCHR or FilePermissions.S_IFBLK:
                Check("device number", a.st_rdev, b.st_rdev);
                break;
            case FilePermissions.S_IFDIR:
                var names = PosixFs.ListNames(original);
                foreach (var extra in PosixFs.ListNames(copy).Except(names))
                    differences.Add($"{Names.Show(relative.Length == 0 ? extra : relative + "/" + extra)}: in the copy but not in the original");
                foreach (var name in names)
                    Compare(original + "/" + name, copy + "/" + name, relative.Length == 0 ? name : relative + "/" + name, fileMtimes, differences);
                break;
        }
    }

    private string ContentHash(string path, Stat st)
    {
        if (_byInode.TryGetValue((st.st_dev, st.st_ino), out var known))
            return known;
        var hash = AllHoles(path, st.st_size) ? ZerosHash(st.st_size) : Convert.ToHexString(SHA1.HashData(PosixFs.ReadBytes(path)));
        _byInode[(st.st_dev, st.st_ino)] = hash;
        return hash;
    }

    private static bool AllHoles(string path, long size)
    {
        if (size == 0)
            return false;
        var fd = Syscall.open(path, OpenFlags.O_RDONLY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC);
        if (fd < 0)
            throw new IOException($"open {Names.Show(path)}: {Stdlib.GetLastError()}");
        try
        {
            return lseek(fd, 0, SeekData) < 0 && Marshal.GetLastPInvokeError() == ENXIO;
        }
        finally
        {
            Syscall.close(fd);
        }
    }

    private string ZerosHash(long size)
    {
        if (!_zerosBySize.TryGetValue(size, out var hash))
            _zerosBySize[size] = hash = Convert.ToHexString(SHA1.HashData(new byte[size]));
        return hash;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern long lseek(int fd, long offset, int whence);

    private static string Time(Stat st) => string.Create(CultureInfo.InvariantCulture, $"{st.st_mtime}.{st.st_mtime_nsec:D9}");
}
