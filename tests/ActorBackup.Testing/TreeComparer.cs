using System.Globalization;
using System.Security.Cryptography;
using Mono.Unix.Native;

namespace ActorBackup.Testing;

/// <summary>
/// Compares a copy with its original entry for entry, the way a user checks a restore: the
/// same names (as bytes), types, permission bits, owners, mtimes to the nanosecond, file
/// bytes, symlink targets, device numbers, and extended attributes (POSIX ACLs included). Inode numbers, link counts, atime and ctime
/// are not compared (a copy cannot keep them).
/// </summary>
/// <remarks>
/// Cheap on the gigabytes of sparse zeros the cluster tests hash: a file's content hash is
/// computed once per inode (a snapshot's copies of one content are one inode), and a file
/// with no data extents at all is known to read as zeros without reading it. It stops after
/// <see cref="MostShown"/> differences: enough to see what went wrong, without walking on
/// through a tree that is all wrong.
/// </remarks>
public sealed class TreeComparer
{
    public const int MostShown = 20;

    private readonly Options _options;
    private readonly List<string> _differences = [];
    private readonly Dictionary<(ulong Dev, ulong Ino), string> _hashByInode = [];
    private readonly Dictionary<long, string> _zerosHashBySize = [];

    private TreeComparer(Options options) => _options = options;

    /// <summary>
    /// Every difference between <paramref name="original"/> and <paramref name="copy"/>, one
    /// line each (empty when they match). Sockets in the original are expected to be absent
    /// from the copy when <paramref name="socketsSkipped"/>. Regular files' mtimes are not
    /// compared unless <paramref name="fileMtimes"/>: hardlinked copies of one content share
    /// one mtime, so a copy that links duplicates cannot keep each original's. Regular files'
    /// xattrs are not compared unless <paramref name="fileXattrs"/> (a --share=content snapshot
    /// file shows its entry's, which carries none), and no entry's are unless <paramref name="xattrs"/>.
    /// </summary>
    public static List<string> Differences(string original, string copy, bool socketsSkipped = true, bool fileMtimes = true, bool fileXattrs = true, bool xattrs = true)
    {
        var comparer = new TreeComparer(new Options(socketsSkipped, fileMtimes, fileXattrs, xattrs));
        comparer.Compare(original, copy, "");
        return comparer._differences;
    }

    private sealed record Options(bool SocketsSkipped, bool FileMtimes, bool FileXattrs, bool Xattrs);

    private void Compare(string original, string copy, string relative)
    {
        if (_differences.Count >= MostShown)
            return;
        var shown = relative.Length == 0 ? "." : Names.Show(relative);
        var a = PosixFs.Lstat(original);
        var type = PosixFs.TypeOf(a);
        if (type == FilePermissions.S_IFSOCK && _options.SocketsSkipped)
        {
            if (PosixFs.Exists(copy))
                _differences.Add($"{shown}: a socket, expected to be skipped, is in the copy");
            return;
        }
        if (!PosixFs.Exists(copy))
        {
            _differences.Add($"{shown}: missing from the copy");
            return;
        }
        var b = PosixFs.Lstat(copy);
        void Check<T>(string what, T expected, T actual)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
                _differences.Add($"{shown}: {what} is {actual} in the copy, {expected} in the original");
        }
        Check("type", type, PosixFs.TypeOf(b));
        if (PosixFs.TypeOf(b) != type)
            return;
        if (type != FilePermissions.S_IFLNK)
            Check("mode", Octal.Format(PosixFs.ModeOf(a)), Octal.Format(PosixFs.ModeOf(b)));
        Check("owner", $"{a.st_uid}:{a.st_gid}", $"{b.st_uid}:{b.st_gid}");
        if (type != FilePermissions.S_IFREG || _options.FileMtimes)
            Check("mtime", Time(a), Time(b));
        if (_options.Xattrs && (type != FilePermissions.S_IFREG || _options.FileXattrs))
            Check("xattrs", XattrFs.Describe(XattrFs.List(original)), XattrFs.Describe(XattrFs.List(copy)));
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
                    _differences.Add($"{Names.Show(Child(relative, extra))}: in the copy but not in the original");
                foreach (var name in names)
                    Compare(original + "/" + name, copy + "/" + name, Child(relative, name));
                break;
        }
    }

    private string ContentHash(string path, Stat st)
    {
        if (_hashByInode.TryGetValue((st.st_dev, st.st_ino), out var known))
            return known;
        var hash = SparseFiles.IsAllHoles(path, st.st_size) ? ZerosHash(st.st_size) : Convert.ToHexString(SHA1.HashData(PosixFs.ReadBytes(path)));
        _hashByInode[(st.st_dev, st.st_ino)] = hash;
        return hash;
    }

    private string ZerosHash(long size)
    {
        if (!_zerosHashBySize.TryGetValue(size, out var hash))
            _zerosHashBySize[size] = hash = Convert.ToHexString(SHA1.HashData(new byte[size]));
        return hash;
    }

    private static string Child(string relative, string name) => relative.Length == 0 ? name : relative + "/" + name;

    private static string Time(Stat st) => string.Create(CultureInfo.InvariantCulture, $"{st.st_mtime}.{st.st_mtime_nsec:D9}");
}
