using System.Globalization;
using System.Text.RegularExpressions;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// One copy of each content on disk, with every user's own owner, mode and mtime: where the
/// data folder's file system clones (XFS with reflink, btrfs), a content's further entries
/// are reflink clones of its first. Each test makes its own loop-mounted file system and
/// checks what an admin would: filefrag's physical extents, df, inode metadata, verify.
/// </summary>
public sealed partial class ReflinkCloneTests
{
    private const long MiB = 1 << 20;

    /// <summary>Four users' copies of one 2 MiB content, each with its own owner, mode or mtime.</summary>
    private static readonly byte[] Installer = Scenario.Bytes((int)(2 * MiB), seed: 2020);

    /// <summary>A scenario whose snapshots and data folder are on a fresh loop-mounted file system.</summary>
    private sealed class World : IDisposable
    {
        public World(LoopFs fs)
        {
            Scenario = new Scenario();
            Mount = new LoopMount(Scenario.Temp.Combine("fs.img"), Scenario.Temp.Combine("fs"), fs, sizeMiB: 320);
        }

        public Scenario Scenario { get; }

        public LoopMount Mount { get; }

        public TreeBuilder Source => Scenario.Source;

        public string Data => Mount.Path + "/data";

        public string Backups => Mount.Path + "/backups";

        public string InSnapshot(string name, string relative) => $"{Backups}/{name}/{relative}";

        public string Entry(string hash, int suffix = 0) => $"{Data}/{hash[..2]}/{hash}{(suffix == 0 ? "" : "." + suffix)}";

        public ProcessResult Backup(string name, params string[] options) => PublishedCli.Run(
            [$"--rootfolder={Scenario.SourceRoot}", $"--backupfolder={Backups}/{name}", $"--datafolder={Data}", "--createdirs", "--dostats", .. options]);

        public ProcessResult Run(params string[] args) => PublishedCli.Run(args);

        public ManifestFile Manifest(string name) => ManifestFile.Read($"{Data}/.actorbackup/snapshots/{name}.manifest");

        /// <summary>df's used bytes of the mounted file system, after a sync so delayed allocations count.</summary>
        public long DfUsed()
        {
            Commands.Output("sync", "-f", Mount.Path);
            var lines = Commands.Output("df", "-B1", "--output=used", Mount.Path).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(lines[^1].Trim(), CultureInfo.InvariantCulture);
        }

        public void Dispose()
        {
            Mount.Dispose();
            Scenario.Dispose();
        }
    }

    /// <summary>alice (two copies, one mtime), bob (another owner and mode), carol (another owner and mtime), dave (alice's owner, another mtime).</summary>
    private static void FourUsers(TreeBuilder source)
    {
        source
            .File("alice/setup.bin", Installer).Chown("alice/setup.bin", 1001, 1001).Mtime("alice/setup.bin", 1_700_000_000, 1)
            .File("alice/copy.bin", Installer).Chown("alice/copy.bin", 1001, 1001).Mtime("alice/copy.bin", 1_700_000_000, 1)
            .File("bob/setup.bin", Installer, mode: 600).Chown("bob/setup.bin", 1002, 1002).Mtime("bob/setup.bin", 1_700_000_000, 1)
            .File("carol/setup.bin", Installer, mode: 640).Chown("carol/setup.bin", 1003, 1003).Mtime("carol/setup.bin", 1_600_000_000, 5)
            .File("dave/setup.bin", Installer).Chown("dave/setup.bin", 1001, 1001).Mtime("dave/setup.bin", 1_650_000_000, 7);
    }

    [Theory]
    [InlineData(LoopFs.Xfs)]
    [InlineData(LoopFs.Btrfs)]
    public void Further_entries_of_a_content_are_clones_on_its_blocks_with_each_files_own_owner_mode_and_mtime(LoopFs fs)
    {
        using var w = new World(fs);
        FourUsers(w.Source);
        var before = w.DfUsed();

        var run = w.Backup("w1");

        Expect.Success(run);
        var grew = w.DfUsed() - before;
        // One copy of the content, plus metadata (inodes, folders, the manifest); four copies would be 8 MiB.
        Assert.True(grew < 2 * MiB + MiB / 2, $"df grew by {grew} bytes for four entries of one 2 MiB content: they should share one copy's blocks");
        Assert.Contains("clones:           3 entries, 6.0 MiB (content stored already, another owner, mode or mtime: they share its data blocks)", run.StdoutLines);
        Assert.Contains("entry mtimes:     each file's own (--exact-mtime)", run.StdoutLines);

        var hash = Scenario.Sha1(Installer);
        var manifest = w.Manifest("w1");
        Assert.Equal("clone", manifest.Header["entries"]);
        Assert.Equal("own", manifest.Header["entry-mtime"]);
        var entries = Enumerable.Range(0, 4).Select(i => w.Entry(hash, i)).ToList();
        var extents = entries.Select(PhysicalExtents).ToList();
        Assert.All(extents, e => Assert.Equal(extents[0], e));
        Assert.NotEmpty(extents[0]);

        // Each snapshot file shows its own owner, mode and mtime, and links the entry its manifest line names.
        Expect.SameInode(w.InSnapshot("w1", "alice/setup.bin"), w.InSnapshot("w1", "alice/copy.bin"));
        foreach (var (path, uid, mode, seconds, nanoseconds) in new[]
        {
            ("alice/setup.bin", 1001u, 644, 1_700_000_000L, 1L),
            ("bob/setup.bin", 1002u, 600, 1_700_000_000L, 1L),
            ("carol/setup.bin", 1003u, 640, 1_600_000_000L, 5L),
            ("dave/setup.bin", 1001u, 644, 1_650_000_000L, 7L),
        })
        {
            var snapshot = w.InSnapshot("w1", path);
            Expect.Owner(uid, uid, snapshot);
            Expect.Mode(mode, snapshot);
            Expect.Mtime(seconds, nanoseconds, snapshot);
            Assert.Equal(Installer, PosixFs.ReadBytes(snapshot));
            Expect.SameInode(w.Entry(hash, int.Parse(manifest.Entry(path).Suffix, CultureInfo.InvariantCulture)), snapshot);
        }
        Expect.DifferentInode(w.InSnapshot("w1", "alice/setup.bin"), w.InSnapshot("w1", "dave/setup.bin"));

        // Restore reads clones like any entry: each file comes back with its own metadata.
        var target = w.Scenario.Temp.Combine("restored");
        Expect.Success(w.Run("restore", $"--datafolder={w.Data}", "--snapshot=w1", $"--target={target}"));
        Expect.Owner(1003, 1003, target + "/carol/setup.bin");
        Expect.Mode(640, target + "/carol/setup.bin");
        Expect.Mtime(1_600_000_000, 5, target + "/carol/setup.bin");
        Assert.Equal(Installer, PosixFs.ReadBytes(target + "/carol/setup.bin"));

        var stats = w.Run("stats", $"--datafolder={w.Data}");
        Expect.Success(stats);
        Assert.Contains(stats.StdoutLines, l => l.StartsWith("extra entries:  3 ", StringComparison.Ordinal) && l.EndsWith("apparent: reflink clones sharing their content's blocks", StringComparison.Ordinal));
        var onDisk = OnDiskBytes(stats);
        Assert.InRange(onDisk, 2 * MiB, 2 * MiB + 64 * 1024);
    }

    [Theory]
    [InlineData(LoopFs.Xfs)]
    [InlineData(LoopFs.Btrfs)]
    public void Rot_in_one_clone_is_found_and_healed_without_touching_the_others(LoopFs fs)
    {
        using var w = new World(fs);
        FourUsers(w.Source);
        Expect.Success(w.Backup("w1"));
        var hash = Scenario.Sha1(Installer);
        var bob = w.Entry(hash, int.Parse(w.Manifest("w1").Entry("bob/setup.bin").Suffix, CultureInfo.InvariantCulture));
        var others = Enumerable.Range(0, 4).Select(i => w.Entry(hash, i)).Where(e => e != bob).ToList();
        var othersBefore = others.Select(Identity).ToList();
        var bobBefore = PosixFs.Lstat(bob);

        // One flipped byte, written in place: the file system copies that block for bob's inode alone.
        using (var file = new FileStream(bob, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = MiB + 17;
            var b = file.ReadByte();
            file.Position = MiB + 17;
            file.WriteByte((byte)~b);
        }
        Assert.Equal(Installer, PosixFs.ReadBytes(others[0]));

        var found = w.Run("verify", $"--datafolder={w.Data}", "--read-data");
        Expect.ExitCode(found, 20);
        var damaged = found.StdoutLines.Where(l => l.StartsWith("damaged:", StringComparison.Ordinal)).ToList();
        Assert.Single(damaged);
        Assert.Contains(bob, damaged[0]);

        var heal = w.Run("verify", $"--datafolder={w.Data}", "--heal", $"--rootfolder={w.Scenario.SourceRoot}");
        Expect.ExitCode(heal, 21);

        var bobAfter = PosixFs.Lstat(bob);
        Assert.Equal(bobBefore.st_ino, bobAfter.st_ino);
        Assert.Equal(Installer, PosixFs.ReadBytes(bob));
        Assert.Equal(Installer, PosixFs.ReadBytes(w.InSnapshot("w1", "bob/setup.bin")));
        Expect.Owner(1002, 1002, bob);
        Expect.Mode(600, bob);
        Assert.Equal(othersBefore, others.Select(Identity).ToList());
        foreach (var other in others)
            Assert.Equal(Installer, PosixFs.ReadBytes(other));
        var extents = others.Select(PhysicalExtents).ToList();
        Assert.All(extents, e => Assert.Equal(extents[0], e)); // the others still share their blocks
        Expect.ExitCode(w.Run("verify", $"--datafolder={w.Data}", "--read-data"), 0);
    }

    [Theory]
    [InlineData(LoopFs.Xfs)]
    [InlineData(LoopFs.Btrfs)]
    public void Pruning_the_first_entry_of_a_content_keeps_its_clones_data(LoopFs fs)
    {
        using var w = new World(fs);
        w.Source.File("alice/setup.bin", Installer).Chown("alice/setup.bin", 1001, 1001);
        Expect.Success(w.Backup("w1"));
        w.Source.File("bob/setup.bin", Installer, mode: 600).Chown("bob/setup.bin", 1002, 1002);
        Expect.Success(w.Backup("w2"));
        File.Delete(w.Scenario.SourceRoot + "/alice/setup.bin");
        Expect.Success(w.Backup("w3"));
        var hash = Scenario.Sha1(Installer);
        Assert.Equal(PhysicalExtents(w.Entry(hash)), PhysicalExtents(w.Entry(hash, 1)));

        var prune = w.Run("prune", $"--datafolder={w.Data}", $"--backuproot={w.Backups}", "--keep-last=1");

        Expect.Success(prune);
        Assert.False(PosixFs.Exists(w.Entry(hash)), "the first entry, linked by no kept snapshot, should be gone");
        Assert.Equal(Installer, PosixFs.ReadBytes(w.Entry(hash, 1)));
        Assert.Equal(Installer, PosixFs.ReadBytes(w.InSnapshot("w3", "bob/setup.bin")));
        Expect.ExitCode(w.Run("verify", $"--datafolder={w.Data}", "--read-data"), 0);
    }

    [Fact]
    public void A_snapshot_made_before_entries_had_their_own_mtimes_gets_each_unchanged_file_its_own_entry_next_week()
    {
        using var w = new World(LoopFs.Xfs);
        w.Source
            .File("alice/a.bin", Installer).Mtime("alice/a.bin", 1_600_000_000, 0)
            .File("alice/b.bin", Installer).Mtime("alice/b.bin", 1_700_000_000, 0);
        Expect.Success(w.Backup("w1", "--exact-mtime=off"));
        Expect.SameInode(w.InSnapshot("w1", "alice/a.bin"), w.InSnapshot("w1", "alice/b.bin"));
        Assert.Equal("first", w.Manifest("w1").Header["entry-mtime"]);

        var week2 = w.Backup("w2");

        Expect.Success(week2);
        Assert.Contains("unchanged:        2 files linked from the previous snapshot without reading", week2.StdoutLines);
        Assert.Contains("bytes read:       0 B", week2.StdoutLines);
        Expect.Mtime(1_600_000_000, 0, w.InSnapshot("w2", "alice/a.bin"));
        Expect.Mtime(1_700_000_000, 0, w.InSnapshot("w2", "alice/b.bin"));
        Expect.DifferentInode(w.InSnapshot("w2", "alice/a.bin"), w.InSnapshot("w2", "alice/b.bin"));
        var hash = Scenario.Sha1(Installer);
        Assert.Equal(PhysicalExtents(w.Entry(hash)), PhysicalExtents(w.Entry(hash, 1)));
    }

    [Fact]
    public void A_full_entry_rolls_over_to_a_clone_of_itself()
    {
        using var w = new World(LoopFs.Xfs);
        for (var i = 0; i < 5; i++)
            w.Source.File($"alice/copy{i}.bin", Installer);
        var config = w.Scenario.Temp.Combine("limit.conf");
        File.WriteAllText(config, "actorbackup { max-links-per-entry = 3 }\n");
        var before = w.DfUsed();

        var run = w.Backup("w1", $"--config={config}");

        Expect.Success(run);
        var hash = Scenario.Sha1(Installer);
        Assert.True(PosixFs.Exists(w.Entry(hash, 1)), "a second entry should take the links past the limit");
        Assert.Equal(PhysicalExtents(w.Entry(hash)), PhysicalExtents(w.Entry(hash, 1)));
        Assert.True(w.DfUsed() - before < 2 * MiB + MiB / 2, "the second entry should take no data blocks of its own");
    }

    [Fact]
    public void On_ext4_further_entries_are_whole_copies_entries_keep_the_first_mtime_and_stats_names_the_cost()
    {
        using var w = new World(LoopFs.Ext4);
        FourUsers(w.Source);

        var run = w.Backup("w1");

        Expect.Success(run);
        Assert.Contains("per-owner copies: 2 entries, 4.0 MiB (content stored already, another owner or mode); on a file system that clones (XFS with reflink, btrfs) they would take no space", run.StdoutLines);
        Assert.Contains("entry mtimes:     the first file's of each entry", run.StdoutLines);
        Assert.Equal("copy", w.Manifest("w1").Header["entries"]);
        Assert.Equal("first", w.Manifest("w1").Header["entry-mtime"]);
        // dave's file has alice's owner and mode: without clones it shares her entry, and her mtime.
        Expect.SameInode(w.InSnapshot("w1", "alice/setup.bin"), w.InSnapshot("w1", "dave/setup.bin"));
        var hash = Scenario.Sha1(Installer);
        var extents = Enumerable.Range(0, 3).SelectMany(i => PhysicalExtents(w.Entry(hash, i))).ToList();
        Assert.Equal(extents.Count, extents.Distinct().Count()); // no block range in two entries

        var stats = w.Run("stats", $"--datafolder={w.Data}");
        Expect.Success(stats);
        Assert.Contains(stats.StdoutLines, l => l.StartsWith("extra entries:  2 ", StringComparison.Ordinal)
            && l.EndsWith("whole copies here; on a file system that clones (XFS with reflink, btrfs) they would take no space", StringComparison.Ordinal));
        Assert.InRange(OnDiskBytes(stats), 6 * MiB, 6 * MiB + 64 * 1024);
    }

    [Fact]
    public void Exact_mtime_on_where_nothing_clones_gives_each_mtime_a_whole_copy_and_a_bad_value_is_refused()
    {
        using var s = new Scenario();
        s.Source
            .File("a", Installer).Mtime("a", 1_600_000_000, 0)
            .File("b", Installer).Mtime("b", 1_700_000_000, 0);

        var run = s.BackupSucceeds("w1", "--exact-mtime=on", "--dostats");

        Expect.DifferentInode(s.InSnapshot("w1", "a"), s.InSnapshot("w1", "b"));
        Expect.Mtime(1_700_000_000, 0, s.InSnapshot("w1", "b"));
        Assert.Contains("entry mtimes:     each file's own (--exact-mtime)", run.StdoutLines);
        Expect.Refusal(s.Backup("w2", "--exact-mtime=sometimes"), 2, "--exact-mtime=sometimes is not known");
    }

    /// <summary>Inode, link count, ctime and mtime: what changes if anything touches an entry.</summary>
    private static (ulong Inode, ulong Links, long Ctime, long CtimeNs, long Mtime) Identity(string path)
    {
        var st = PosixFs.Lstat(path);
        return (st.st_ino, st.st_nlink, st.st_ctime, st.st_ctime_nsec, st.st_mtime);
    }

    /// <summary>The physical block ranges filefrag -v reports for a file, as "start..end".</summary>
    private static List<string> PhysicalExtents(string path)
    {
        var extents = new List<string>();
        foreach (var line in Commands.Output("filefrag", "-v", path).Split('\n'))
        {
            var m = ExtentLine().Match(line);
            if (m.Success)
                extents.Add($"{m.Groups[1].Value}..{m.Groups[2].Value}");
        }
        return extents;
    }

    /// <summary>An extent line of filefrag -v: "   0:        0..     511:      24..     535:    512:  last,shared,eof".</summary>
    [GeneratedRegex(@"^\s*\d+:\s+\d+\.\.\s*\d+:\s+(\d+)\.\.\s*(\d+):")]
    private static partial Regex ExtentLine();

    private static long OnDiskBytes(ProcessResult stats)
    {
        var line = stats.StdoutLines.Single(l => l.StartsWith("on disk:", StringComparison.Ordinal));
        return long.Parse(Regex.Match(line, @"([\d,]+) bytes").Groups[1].Value.Replace(",", ""), CultureInfo.InvariantCulture);
    }
}
