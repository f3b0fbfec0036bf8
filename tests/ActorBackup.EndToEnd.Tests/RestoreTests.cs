using System.Text;
using ActorBackup.Core;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// actorbackup restore, run as the published CLI: a snapshot comes back exactly (bytes,
/// types, modes, owners, nanosecond mtimes, symlink targets, device numbers, names as
/// bytes), as copies rather than links into the store, only where it is told to write.
/// </summary>
public sealed class RestoreTests
{
    [Fact]
    public void An_adversarial_tree_is_restored_exactly_into_a_new_target()
    {
        using var s = new Scenario();
        BuildAdversarialTree(s.Source);
        s.BackupSucceeds("s1");
        var target = s.Temp.Combine("restored", "here"); // missing, with a missing parent

        var result = Restore(s, "s1", target);

        Expect.Success(result);
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, target));
        var summary = Assert.Single(result.StdoutLines);
        Assert.StartsWith($"restored s1 to {target}: 15 files (", summary);
        Assert.Contains(", 3 special files, 1 skipped, 0 problems, ", summary);
    }

    [Fact]
    public void Restored_files_are_new_copies_so_editing_one_leaves_the_store_and_the_snapshot_untouched()
    {
        using var s = new Scenario();
        var bytes = Scenario.Bytes(3 << 20, seed: 7); // more than one read buffer
        s.Source.File("big.bin", bytes).File("dir/small.txt", "small\n");
        s.BackupSucceeds("s1");
        var target = s.Temp.Combine("target");

        Expect.Success(Restore(s, "s1", target));

        var entry = s.EntryPath(Scenario.Sha1(bytes));
        var restored = target + "/big.bin";
        Assert.Equal(bytes, PosixFs.ReadBytes(restored));
        Expect.DifferentInode(entry, restored);
        Expect.DifferentInode(s.InSnapshot("s1", "big.bin"), restored);
        Assert.Equal(1ul, Files.Lstat(restored).LinkCount);
        Assert.Equal(1ul, Files.Lstat(target + "/dir/small.txt").LinkCount);
        Assert.Equal(2ul, Files.Lstat(entry).LinkCount); // the entry and the snapshot path, as before

        PosixFs.Overwrite(restored, Encoding.UTF8.GetBytes("edited after the restore"));

        Assert.Equal(bytes, PosixFs.ReadBytes(entry));
        Assert.Equal(bytes, PosixFs.ReadBytes(s.InSnapshot("s1", "big.bin")));
    }

    [Fact]
    public void Path_restores_only_that_subtree_under_its_parents_which_get_their_own_metadata()
    {
        using var s = new Scenario();
        s.Source
            .File("home/alice/site/index.html", "<html>")
            .File("home/alice/site/css/main.css", "body {}")
            .Dir("home/alice/site/empty")
            .File("home/alice/notes.txt", "not asked for")
            .File("home/bob/todo", "bob's")
            .File("top.txt", "top")
            .Chown("home/alice", 1234, 5678).Chmod("home/alice", 750)
            .Chmod("home", 711)
            .Mtime("home/alice/site/css", 1_500_000_000, 1)
            .Mtime("home/alice/site", 1_500_000_000, 2)
            .Mtime("home/alice", 1_500_000_000, 3)
            .Mtime("home", 1_500_000_000, 4);
        s.BackupSucceeds("s1");
        var target = s.Temp.Combine("target");

        Expect.Success(Restore(s, "s1", target, "--path=home/alice/site"));

        Assert.Equal(["home"], PosixFs.ListNames(target));
        Assert.Equal(["alice"], PosixFs.ListNames(target + "/home"));
        Assert.Equal(["site"], PosixFs.ListNames(target + "/home/alice"));
        Assert.Empty(TreeComparer.Differences(s.Source.PathOf("home/alice/site"), target + "/home/alice/site"));
        Expect.Mode(750, target + "/home/alice");
        Expect.Owner(1234, 5678, target + "/home/alice");
        Expect.Mtime(1_500_000_000, 3, target + "/home/alice");
        Expect.Mode(711, target + "/home");
        Expect.Mtime(1_500_000_000, 4, target + "/home");

        // A single file, asked for with a trailing slash and "./": the same rules.
        var second = s.Temp.Combine("second");
        Expect.Success(Restore(s, "s1", second, "--path=./home/bob/todo/"));
        Assert.Equal(["home"], PosixFs.ListNames(second));
        Assert.Equal(["bob"], PosixFs.ListNames(second + "/home"));
        Assert.Equal(["todo"], PosixFs.ListNames(second + "/home/bob"));
        Assert.Equal("bob's", Encoding.UTF8.GetString(PosixFs.ReadBytes(second + "/home/bob/todo")));
    }

    [Fact]
    public void A_path_the_snapshot_does_not_hold_is_exit_9_and_no_target_is_created()
    {
        using var s = new Scenario();
        s.Source.File("home/alice/f", "f");
        s.BackupSucceeds("s1");
        var target = s.Temp.Combine("target");

        Expect.Refusal(Restore(s, "s1", target, "--path=home/alice/missing"), 9, "snapshot s1 has no entry home/alice/missing");
        Assert.False(PosixFs.Exists(target));
    }

    [Fact]
    public void A_name_that_is_not_UTF8_can_be_given_to_path_as_the_manifest_escapes_it()
    {
        using var s = new Scenario();
        var name = Names.FromBytes(0xFF, (byte)'d', 0x80);
        s.Source.File(name + "/inside", "inside").File("other", "other");
        s.BackupSucceeds("s1");
        var target = s.Temp.Combine("target");

        Expect.Success(Restore(s, "s1", target, "--path=%FFd%80"));

        Assert.Equal([Names.Show(name)], PosixFs.ListNames(target).Select(Names.Show));
        Assert.Equal("inside", Encoding.UTF8.GetString(PosixFs.ReadBytes(target + "/" + name + "/inside")));
    }

    [Fact]
    public void A_target_that_is_not_empty_is_refused_with_exit_8_and_nothing_is_written()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        s.BackupSucceeds("s1");
        var target = s.Temp.CreateFolder("target");
        new TreeBuilder(target).File("already-here", "mine");
        var before = TreeState.Capture(s.Temp.Path);

        var result = Restore(s, "s1", target);

        Expect.Refusal(result, 8, $"target {target} is not empty");
        Assert.Contains("--overwrite", result.Stderr);
        Assert.Equal(before, TreeState.Capture(s.Temp.Path));
    }

    [Fact]
    public void Overwrite_replaces_symlinks_planted_in_the_target_and_writes_nothing_outside_it()
    {
        using var s = new Scenario();
        s.Source
            .File("home/alice/f", "restored f")
            .File("home/alice/sub/g", "restored g")
            .File("docs/readme", "restored readme")
            .Symlink("docs/link", "/etc/hostname");
        s.BackupSucceeds("s1");
        var outside = new TreeBuilder(s.Temp.Combine("outside"))
            .File("alice/f", "outside's own f")
            .File("victim", "must not change");
        var target = s.Temp.CreateFolder("target");
        new TreeBuilder(target)
            .Symlink("home", outside.Root) // a folder of the snapshot, planted as a symlink to elsewhere
            .Dir("docs")
            .Symlink("docs/readme", outside.PathOf("victim")) // a file of the snapshot, planted as a symlink
            .File("docs/link", "a file where the snapshot has a symlink")
            .File("extra", "not in the snapshot: left alone");
        var outsideBefore = TreeState.Capture(outside.Root);

        var result = Restore(s, "s1", target, "--overwrite");

        Expect.Success(result);
        Assert.Equal(outsideBefore, TreeState.Capture(outside.Root));
        Assert.Equal(EntryType.Directory, Files.Lstat(target + "/home").Type);
        Assert.Empty(TreeComparer.Differences(s.Source.PathOf("home"), target + "/home"));
        Assert.Empty(TreeComparer.Differences(s.Source.PathOf("docs"), target + "/docs"));
        Assert.Equal("not in the snapshot: left alone", Encoding.UTF8.GetString(PosixFs.ReadBytes(target + "/extra")));
    }

    [Fact]
    public void Manifest_paths_that_would_leave_the_target_are_refused_one_by_one_and_nothing_is_written_outside()
    {
        using var s = new Scenario();
        s.Source.File("kept.txt", "kept").File("dir/also-kept", "also kept");
        s.BackupSucceeds("s1");
        var kept = s.Manifest("s1").Entry("kept.txt");
        var absolute = s.Temp.Combine("absolute-escape");
        string Line(string path, char type) =>
            string.Join('\t', new[] { path, type.ToString() }.Concat(kept.Fields.Skip(2).Take(9))
                .Concat(type == 'f' ? [kept.Hash, kept.Suffix, ""] : ["", "", ""]));
        EditManifest(s, "s1", [Line("../escape", 'f'), Line("dir/../../escape2", 'f'), Line(absolute, 'f'), Line("../escape-dir", 'd'), Line("dir//double", 'f')]);
        var target = s.Temp.CreateFolder("sub") + "/target";
        var outsideBefore = PosixFs.ListNames(s.Temp.Path);

        var result = Restore(s, "s1", target);

        Expect.ExitCode(result, 3);
        foreach (var path in new[] { "../escape", "dir/../../escape2", absolute, "../escape-dir", "dir//double" })
            Assert.Contains($"restore: {path}: not restored: this manifest path would leave the target", result.Stderr);
        Assert.Equal(outsideBefore, PosixFs.ListNames(s.Temp.Path));
        Assert.Equal(["target"], PosixFs.ListNames(s.Temp.Combine("sub")));
        Assert.False(PosixFs.Exists(absolute));
        Assert.Equal("kept", Encoding.UTF8.GetString(PosixFs.ReadBytes(target + "/kept.txt")));
        Assert.Equal("also kept", Encoding.UTF8.GetString(PosixFs.ReadBytes(target + "/dir/also-kept")));
        Assert.Equal(["also-kept"], PosixFs.ListNames(target + "/dir"));
        Assert.Equal($"actorbackup: restore of s1 to {target} finished, but 5 entries were not restored exactly (listed above)", result.StderrLines[^1]);
    }

    [Fact]
    public void A_damaged_store_entry_is_reported_with_the_files_path_and_exit_3_while_the_other_files_restore()
    {
        using var s = new Scenario();
        var bad = Encoding.UTF8.GetBytes("content that will rot in the store\n");
        s.Source.File("good.txt", "good\n").File("dir/bad.txt", bad).File("dir/z-after", "after\n");
        s.BackupSucceeds("s1");
        var hash = Scenario.Sha1(bad);
        var entry = s.EntryPath(hash);
        PosixFs.Overwrite(entry, Encoding.UTF8.GetBytes("CONTENT THAT WILL ROT IN THE STORE\n")); // in place: the same inode
        var target = s.Temp.Combine("target");

        var result = Restore(s, "s1", target);

        Expect.ExitCode(result, 3);
        Assert.Equal(2, result.StderrLines.Count);
        Assert.Equal($"restore: dir/bad.txt: content does not match its manifest hash {hash} (store entry {entry} is damaged; run actorbackup verify)", result.StderrLines[0]);
        Assert.Contains("1 entries were not restored exactly", result.StderrLines[1]);
        Assert.Contains(" 1 problems, ", result.Stdout);
        Assert.Equal("good\n", Encoding.UTF8.GetString(PosixFs.ReadBytes(target + "/good.txt")));
        Assert.Equal("after\n", Encoding.UTF8.GetString(PosixFs.ReadBytes(target + "/dir/z-after")));
        Assert.Equal("CONTENT THAT WILL ROT IN THE STORE\n", Encoding.UTF8.GetString(PosixFs.ReadBytes(target + "/dir/bad.txt")));
    }

    [Fact]
    public void A_missing_store_entry_is_restored_from_the_snapshot_tree_with_a_notice_and_reported_when_both_are_gone()
    {
        using var s = new Scenario();
        s.Source.File("a.txt", "entry removed, snapshot copy kept\n").File("b.txt", "both removed\n");
        s.Source.Chown("a.txt", 1234, 5678).Chmod("a.txt", 640).Mtime("a.txt", 1_400_000_000, 5);
        s.BackupSucceeds("s1");
        var entryA = s.EntryPath(Scenario.Sha1(Encoding.UTF8.GetBytes("entry removed, snapshot copy kept\n")));
        var entryB = s.EntryPath(Scenario.Sha1(Encoding.UTF8.GetBytes("both removed\n")));
        Files.Unlink(entryA);
        Files.Unlink(entryB);
        Files.Unlink(s.InSnapshot("s1", "b.txt"));
        var target = s.Temp.Combine("target");

        var result = Restore(s, "s1", target);

        Expect.ExitCode(result, 3);
        Assert.Contains($"restore: notice: a.txt: its store entry {entryA} is missing; restored from the snapshot's copy {s.InSnapshot("s1", "a.txt")} (run actorbackup verify)", result.StderrLines);
        Assert.Contains($"restore: b.txt: its store entry {entryB} is missing, and so is the snapshot's copy {s.InSnapshot("s1", "b.txt")}; run actorbackup verify", result.StderrLines);
        Assert.Equal("entry removed, snapshot copy kept\n", Encoding.UTF8.GetString(PosixFs.ReadBytes(target + "/a.txt")));
        Expect.Owner(1234, 5678, target + "/a.txt");
        Expect.Mode(640, target + "/a.txt");
        Expect.Mtime(1_400_000_000, 5, target + "/a.txt");
        Assert.False(PosixFs.Exists(target + "/b.txt"));
    }

    [Fact]
    public void A_missing_or_unfinished_snapshot_is_exit_9_with_one_line_and_no_target_is_created()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        s.BackupSucceeds("s1");
        var target = s.Temp.Combine("target");

        Expect.Refusal(Restore(s, "nosuch", target), 9, "has no snapshot nosuch");

        File.Move(s.ManifestPath("s1"), s.ManifestPath("s1") + ".partial");
        Expect.Refusal(Restore(s, "s1", target), 9, "snapshot s1 is incomplete");

        var lines = File.ReadAllLines(s.ManifestPath("s1") + ".partial");
        File.WriteAllLines(s.ManifestPath("s1"), lines[..^1]); // cut short: no #end line
        Expect.Refusal(Restore(s, "s1", target), 9, "has no #end line");

        Assert.False(PosixFs.Exists(target));
    }

    [Fact]
    public void Bad_arguments_are_exit_2_with_one_line_and_nothing_is_written()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        s.BackupSucceeds("s1");
        var target = s.Temp.Combine("target");
        var cases = new (string[] Args, string Message)[]
        {
            (["--snapshot=s1"], "--target is required"),
            ([$"--target={target}"], "--snapshot is required"),
            (["--snapshot=../s1", $"--target={target}"], "--snapshot=../s1 is not a snapshot name"),
            (["--snapshot=s1", $"--target={target}", "--path=../etc"], "--path=../etc is not a path inside the snapshot"),
            (["--snapshot=s1", $"--target={target}", "--keep-lats=3"], "unknown option --keep-lats"),
            (["--snapshot=s1", $"--target={s.Data}/inside"], "lies inside the data folder"),
        };
        var before = TreeState.Capture(s.Temp.Path);

        foreach (var (args, message) in cases)
            Expect.Refusal(PublishedCli.Run(["restore", $"--datafolder={s.Data}", .. args]), 2, message);

        Assert.Equal(before, TreeState.Capture(s.Temp.Path));
    }

    [Fact]
    public void Two_corpus_users_are_restored_exactly()
    {
        using var s = new Scenario();
        var corpus = s.Temp.Combine("corpus");
        var script = RepoPaths.CorpusGenerator;
        var generated = PublishedCli.RunProgram("/usr/bin/python3", [script, "--out", corpus, "--scale", "small", "--users", "2", "--jobs", "2"], TimeSpan.FromSeconds(60));
        Assert.True(generated.ExitCode == 0, generated.ToString());
        Expect.Success(PublishedCli.Run($"--rootfolder={corpus}", $"--backupfolder={s.Snapshot("c1")}", $"--datafolder={s.Data}", "--createdirs"));
        var target = s.Temp.Combine("target");

        Expect.Success(Restore(s, "c1", target));

        Assert.Empty(TreeComparer.Differences(corpus, target));
        Assert.True(PosixFs.Walk(target).Count > 300, "the corpus should restore hundreds of entries");
    }

    private static ProcessResult Restore(Scenario s, string snapshot, string target, params string[] options) =>
        PublishedCli.Run(["restore", $"--datafolder={s.Data}", $"--snapshot={snapshot}", $"--target={target}", .. options]);

    /// <summary>Adds entry lines to a published manifest (after the root's) and fixes its #end count.</summary>
    private static void EditManifest(Scenario s, string snapshot, string[] added)
    {
        var lines = File.ReadAllLines(s.ManifestPath(snapshot)).ToList();
        var root = lines.FindIndex(l => l.StartsWith(".\t", StringComparison.Ordinal));
        lines.InsertRange(root + 1, added);
        var end = lines.FindIndex(l => l.StartsWith("#end ", StringComparison.Ordinal));
        lines[end] = $"#end {lines.Count(l => l.Length > 0 && l[0] != '#')}";
        File.WriteAllText(s.ManifestPath(snapshot), string.Join('\n', lines) + "\n");
    }

    /// <summary>
    /// Everything a restore must get exactly right: names as bytes, odd permission bits,
    /// other owners, extreme and nanosecond mtimes, empty files and folders, all kinds of
    /// entries, a deep path, and two hardlinked names (restored as two links of one inode).
    /// </summary>
    private static void BuildAdversarialTree(TreeBuilder t)
    {
        var notUtf8 = Names.FromBytes(0x80, 0xFF, 0xC3, 0x28);
        var deep = string.Join('/', Enumerable.Range(0, 40).Select(i => $"level-{i:D2}-of-a-deep-path"));
        t.File(notUtf8, "not UTF-8")
            .File("new\nline\ttab and space", "odd")
            .File("100% #1", "percent and hash")
            .File(Names.OfLength(255), "longest name")
            .File("empty", [])
            .File("no-access", "mode 000", mode: 0)
            .File("private", "0600", mode: 600)
            .File("setuid", "4755").Chown("setuid", 1234, 1234).Chmod("setuid", 4755)
            .File("setgid", "2755").Chown("setgid", 0, 5678).Chmod("setgid", 2755)
            .File("sticky-file", "1777", mode: 1777)
            .File("others", "1234:5678").Chown("others", 1234, 5678)
            .File(deep + "/bottom", "at the bottom")
            .File(notUtf8 + "-dir/" + Names.FromBytes(0xFE), "in a folder that is not UTF-8")
            .Dir("empty-dir")
            .Dir("dir-000/inner", mode: 755).File("dir-000/inner/f", "below mode 000")
            .Dir("dir-2755", mode: 2755).Chown("dir-2755", 1234, 5678).Chmod("dir-2755", 2755)
            .Dir("dir-1777", mode: 1777)
            .Dir("dir-0700", mode: 700)
            .Symlink("dangling", "nowhere/at/all")
            .Symlink("absolute", "/etc/hostname")
            .Symlink("link-not-utf8", Names.ToBytes(notUtf8)).Chown("link-not-utf8", 4321, 8765)
            .Fifo("pipe", mode: 640).Chown("pipe", 1234, 1234).Chmod("pipe", 640)
            .CharDevice("null-device", 1, 3, mode: 666)
            .Socket("socket");
        MakeBlockDevice(t.PathOf("loop-device"), 7, 0);
        Assert.Equal(0, Syscall.link(t.PathOf("others"), t.PathOf("others-hardlink")));
        t.Mtime("empty", 0, 1)
            .Mtime("no-access", 1, 500_000_000)
            .Mtime("others", 2_147_483_648, 123_456_789) // past 2038
            .Mtime("setuid", 4_102_444_800, 999_999_999) // the year 2100
            .Mtime("dangling", 1_600_000_000, 111)
            .Mtime("link-not-utf8", 1_600_000_001, 222)
            .Mtime("pipe", 1_600_000_002, 333)
            .Mtime(deep + "/bottom", 1_700_000_000, 1)
            .Mtime("dir-000/inner", 1_300_000_000, 7)
            .Chmod("dir-000", 0)
            .Mtime("dir-000", 1_300_000_001, 8)
            .Mtime("empty-dir", 1_000_000_000, 9)
            .Mtime("dir-2755", 1_000_000_001, 10)
            .Mtime("", 1_650_000_000, 42);
        t.Chown("", 1234, 5678).Chmod("", 750);
    }

    private static void MakeBlockDevice(string path, uint major, uint minor)
    {
        Assert.True(Files.IsRoot, "this test makes device nodes and needs root");
        Assert.Equal(0, Syscall.mknod(path, FilePermissions.S_IFBLK | FilePermissions.S_IRUSR | FilePermissions.S_IWUSR, TreeBuilder.MakeDev(major, minor)));
        Assert.Equal(0, Syscall.chmod(path, (FilePermissions)Octal.Mode(640)));
        Assert.Equal(0, Syscall.lchown(path, 6, 6));
    }
}
