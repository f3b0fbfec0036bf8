using System.Globalization;
using System.Text;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>A backup reads the source and changes nothing there, not even access times.</summary>
public sealed class SourceUntouchedTests
{
    [Fact]
    public void A_run_leaves_every_source_entrys_bytes_atime_mtime_ctime_mode_and_owner_unchanged_except_a_symlinks_atime()
    {
        using var s = new Scenario();
        var contents = new Dictionary<string, byte[]>
        {
            ["a.txt"] = Encoding.UTF8.GetBytes("read me\n"),
            ["dir/big.bin"] = Scenario.Bytes(2_500_000, seed: 30),
            ["dir/sub/owned"] = Encoding.UTF8.GetBytes("owned by someone else\n"),
            ["empty"] = [],
        };
        foreach (var (path, bytes) in contents)
            s.Source.File(path, bytes);
        s.Source.Chown("dir/sub/owned", 1234, 1234).Chmod("dir/sub/owned", 600).Symlink("dir/link", "../a.txt").Fifo("pipe");
        string[] paths = ["", "a.txt", "dir", "dir/big.bin", "dir/sub", "dir/sub/owned", "dir/link", "empty", "pipe"];
        // atime a day before mtime: under relatime any plain read or listing would move it.
        foreach (var path in paths.Reverse())
            s.Source.Times(path, (1_600_000_000, 111), (1_600_086_400, 222));
        var before = paths.Select(p => Describe(s.Source.PathOf(p), atime: p != "dir/link")).ToList();

        s.BackupSucceeds("s1");

        var after = paths.Select(p => Describe(s.Source.PathOf(p), atime: p != "dir/link")).ToList();
        for (var i = 0; i < paths.Length; i++)
            Assert.True(before[i] == after[i], $"source entry changed by the run:\nbefore {before[i]}\nafter  {after[i]}");
        foreach (var (path, bytes) in contents)
            Assert.Equal(bytes, PosixFs.ReadBytes(s.Source.PathOf(path)));
    }

    /// <summary>
    /// lstat as a line, taken without opening or listing anything. A symlink's atime is left
    /// out: the kernel sets it on every readlink (there is no O_NOATIME for readlink, and
    /// putting it back would change ctime), so no backup can keep it.
    /// </summary>
    private static string Describe(string path, bool atime)
    {
        var st = PosixFs.Lstat(path);
        var accessed = atime ? string.Create(CultureInfo.InvariantCulture, $"atime={st.st_atime}.{st.st_atime_nsec:D9} ") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{path} mode={Octal.Format(PosixFs.ModeOf(st))} owner={st.st_uid}:{st.st_gid} size={st.st_size} ino={st.st_ino} nlink={st.st_nlink} " +
            $"{accessed}mtime={st.st_mtime}.{st.st_mtime_nsec:D9} ctime={st.st_ctime}.{st.st_ctime_nsec:D9}");
    }
}
