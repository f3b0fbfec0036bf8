using System.Security.Cryptography;
using System.Text.RegularExpressions;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.EndToEnd.Tests.Support;

/// <summary>
/// Checks a data folder from outside, after anything may have happened to the run that wrote
/// it: every name in a level folder is an entry name (HASH or HASH.N, in the folder of its
/// first two hex digits), a regular file, and its bytes hash (SHA-1) to its name - so no
/// entry is half-written under its final name. Entries are immutable: one whose inode, size
/// and ctime did not change since it was last checked is not read again.
/// </summary>
internal sealed partial class StoreCheck(string data)
{
    private readonly Dictionary<string, (ulong Ino, long Size, long Ctime, long CtimeNs)> _checked = new(StringComparer.Ordinal);

    [GeneratedRegex("^[0-9A-F]{40}(\\.[1-9][0-9]*)?$")]
    private static partial Regex EntryName();

    /// <summary>Fails the test on the first entry that is not whole; returns the number of entries.</summary>
    public int EntriesAreWhole()
    {
        if (!PosixFs.Exists(data))
            return 0;
        var count = 0;
        foreach (var folder in PosixFs.ListNames(data).Where(n => n != ".actorbackup"))
        {
            var folderPath = data + "/" + folder;
            Assert.True(PosixFs.TypeOf(PosixFs.Lstat(folderPath)) == FilePermissions.S_IFDIR, $"{folderPath}: not a level folder");
            foreach (var name in PosixFs.ListNames(folderPath))
            {
                var path = folderPath + "/" + name;
                Assert.True(EntryName().IsMatch(name) && name.StartsWith(folder, StringComparison.Ordinal), $"{path}: not an entry name in its level folder");
                var st = PosixFs.Lstat(path);
                Assert.True(PosixFs.TypeOf(st) == FilePermissions.S_IFREG, $"{path}: not a regular file");
                var key = (st.st_ino, st.st_size, st.st_ctime, st.st_ctime_nsec);
                count++;
                if (_checked.TryGetValue(path, out var seen) && seen == key)
                    continue;
                var hash = Convert.ToHexString(SHA1.HashData(PosixFs.ReadBytes(path)));
                Assert.True(hash == name[..40], $"{path}: its bytes hash to {hash}, not to its name (half-written or damaged entry)");
                _checked[path] = key;
            }
        }
        return count;
    }
}
