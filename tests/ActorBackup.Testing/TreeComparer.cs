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
public static class TreeComparer
{
    /// <summary>
    /// Every difference between <paramref name="original"/> and <paramref name="copy"/>, one
    /// line each (empty when they match). Sockets in the original are expected to be absent
    /// from the copy when <paramref name="socketsSkipped"/>. Regular files' mtimes are not
    /// compared unless <paramref name="fileMtimes"/>: hardlinked copies of one content share
    /// one mtime, so a copy that links duplicates cannot keep each original's. Regular files'
    /// xattrs are not compared unless <paramref name="fileXattrs"/> (a --share=content snapshot
    /// file shows its entry's, which carries none).
    /// </summary>
    public static List<string> Differences(string original, string copy, bool socketsSkipped = true, bool fileMtimes = true, bool fileXattrs = true)
    {
        var differences = new List<string>();
        Compare(original, copy, "", new Options(socketsSkipped, fileMtimes, fileXattrs), differences);
        return differences;
    }

    private sealed record Options(bool SocketsSkipped, bool FileMtimes, bool FileXattrs);

    private static void Compare(string original, string copy, string relative, Options options, List<string> differences)
    {
        var shown = relative.Length == 0 ? "." : Names.Show(relative);
        var a = PosixFs.Lstat(original);
        var type = PosixFs.TypeOf(a);
        if (type == FilePermissions.S_IFSOCK && options.SocketsSkipped)
        {
            if (PosixFs.Exists(copy))
                differences.Add($"{shown}: a socket, expected to be skipped, is in the copy");
            return;
        }
        if (!PosixFs.Exists(copy))
        {
            differences.Add($"{shown}: missing from the copy");
            return;
        }
        var b = PosixFs.Lstat(copy);
        void Check<T>(string what, T expected, T actual)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
                differences.Add($"{shown}: {what} is {actual} in the copy, {expected} in the original");
        }
        Check("type", type, PosixFs.TypeOf(b));
        if (PosixFs.TypeOf(b) != type)
            return;
        if (type != FilePermissions.S_IFLNK)
            Check("mode", Octal.Format(PosixFs.ModeOf(a)), Octal.Format(PosixFs.ModeOf(b)));
        Check("owner", $"{a.st_uid}:{a.st_gid}", $"{b.st_uid}:{b.st_gid}");
        if (type != FilePermissions.S_IFREG || options.FileMtimes)
            Check("mtime", Time(a), Time(b));
        if (type != FilePermissions.S_IFREG || options.FileXattrs)
            Check("xattrs", XattrFs.Describe(XattrFs.List(original)), XattrFs.Describe(XattrFs.List(copy)));
        switch (type)
        {
            case FilePermissions.S_IFREG:
                Check("size", a.st_size, b.st_size);
                Check("content SHA1", Sha1(original), Sha1(copy));
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
                    differences.Add($"{Names.Show(Child(relative, extra))}: in the copy but not in the original");
                foreach (var name in names)
                    Compare(original + "/" + name, copy + "/" + name, Child(relative, name), options, differences);
                break;
        }
    }

    private static string Child(string relative, string name) => relative.Length == 0 ? name : relative + "/" + name;

    private static string Time(Stat st) => string.Create(CultureInfo.InvariantCulture, $"{st.st_mtime}.{st.st_mtime_nsec:D9}");

    private static string Sha1(string path) => Convert.ToHexString(SHA1.HashData(PosixFs.ReadBytes(path)));
}
