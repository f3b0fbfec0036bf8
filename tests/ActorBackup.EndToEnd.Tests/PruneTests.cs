using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// actorbackup prune, run as the published CLI over real snapshots: the plan, --dry-run,
/// what goes (trees, manifests, summaries, store entries only the removed snapshots used)
/// and what stays (every byte, inode and remaining link), refusals, and a prune killed midway.
/// </summary>
public sealed partial class PruneTests
{
    private static readonly byte[] A1 = Encoding.ASCII.GetBytes("a version 1\n");
    private static readonly byte[] A2 = Encoding.ASCII.GetBytes("a version 2, longer\n");
    private static readonly byte[] B1 = Encoding.ASCII.GetBytes("b version 1\n");
    private static readonly byte[] B2 = Encoding.ASCII.GetBytes("b version 2\n");
    private static readonly byte[] B3 = Encoding.ASCII.GetBytes("b version 3\n");
    private static readonly byte[] X = Encoding.ASCII.GetBytes("x, only in the first two\n");
    private static readonly byte[] Big = Scenario.Bytes(64 * 1024, seed: 51);
    private static readonly byte[] Big2 = Scenario.Bytes(70 * 1024, seed: 52);

    /// <summary>
    /// Five weekly snapshots s1..s5 of src/ (2026-01-04 .. 2026-02-01, Sundays 02:00 UTC) with
    /// changes between them, and t1 of another root (2025-06-01), which shares content B1 with s1.
    /// </summary>
    private static Scenario FiveWeeks()
    {
        var s = new Scenario();
        s.Source.File("a", A1).File("b", B1).File("d/x", X).File("big", Big).File("shared", "in every snapshot\n").Symlink("link", "a");
        s.BackupSucceeds("s1");
        PosixFs.Overwrite(s.Source.PathOf("b"), B2);
        s.Source.File("e", "e\n");
        s.BackupSucceeds("s2");
        PosixFs.RemoveTree(s.Source.PathOf("d/x"));
        PosixFs.Overwrite(s.Source.PathOf("a"), A2);
        s.BackupSucceeds("s3");
        PosixFs.Overwrite(s.Source.PathOf("b"), B3);
        s.Source.File("f", "f\n");
        s.BackupSucceeds("s4");
        PosixFs.Overwrite(s.Source.PathOf("big"), Big2);
        s.BackupSucceeds("s5");
        var other = new TreeBuilder(s.Temp.Combine("other"));
        other.File("copy-of-b", B1);
        Expect.Success(PublishedCli.Run($"--rootfolder={other.Root}", $"--backupfolder={s.Snapshot("t1")}", $"--datafolder={s.Data}"));
        string[] sundays = ["2026-01-04", "2026-01-11", "2026-01-18", "2026-01-25", "2026-02-01"];
        for (var i = 0; i < 5; i++)
            Catalog.SetStarted(s, $"s{i + 1}", sundays[i] + "T02:00:00Z");
        Catalog.SetStarted(s, "t1", "2025-06-01T02:00:00Z");
        return s;
    }

    private static readonly string[] Policy = ["--keep-last=1", "--keep-monthly=2"];

    [Fact]
    public void A_dry_run_prints_the_plan_and_changes_nothing_then_prune_removes_exactly_that_and_the_entries_only_those_snapshots_used()
    {
        using var s = FiveWeeks();
        var before = TreeState.Capture(s.Temp.Path);

        var dry = Catalog.Prune(s, [.. Policy, "--dry-run"]);

        Expect.Success(dry);
        Assert.Equal(before, TreeState.Capture(s.Temp.Path)); // every inode, link count, time and byte
        string[] plan =
        [
            "  keep    t1  2025-06-01 02:00:00  last, monthly 2025-06", // root folders in byte order: .../other, .../src
            "  remove  s1  2026-01-04 02:00:00",
            "  remove  s2  2026-01-11 02:00:00",
            "  remove  s3  2026-01-18 02:00:00",
            "  keep    s4  2026-01-25 02:00:00  monthly 2026-01",
            "  keep    s5  2026-02-01 02:00:00  last, monthly 2026-02",
        ];
        Assert.Equal(plan, dry.StdoutLines.Where(l => l.StartsWith("  ", StringComparison.Ordinal)));
        Assert.Contains("dry run: 3 snapshots would be removed, 0 unfinished removals finished, 3 kept, 0 left alone; nothing was changed", dry.StdoutLines);

        // The real run: measure everything it must keep or free.
        string[] removed = ["s1", "s2", "s3"], kept = ["s4", "s5", "t1"];
        var removedLinks = Sum(removed.Select(n => Catalog.LinksByEntry(s, n)));
        var keptLinks = Sum(kept.Select(n => Catalog.LinksByEntry(s, n)));
        var entriesBefore = s.StoreEntries().ToDictionary(e => s.Data + "/" + e.RelativePath, e => e.Meta);
        var keptTrees = kept.ToDictionary(n => n, n => WithoutLinksAndCtimes(TreeState.Capture(s.Snapshot(n))));
        var bytesBefore = Catalog.UniqueBytes(s.Data, s.Backups);

        var run = Catalog.Prune(s, [.. Policy, "--json"]);

        Expect.Success(run);
        using var report = JsonDocument.Parse(run.Stdout);
        var root = report.RootElement;
        Assert.Equal(removed, root.GetProperty("removed").EnumerateArray().Select(r => r.GetProperty("name").GetString()));
        Assert.Empty(root.GetProperty("not_removed").EnumerateArray());
        foreach (var name in removed)
        {
            Assert.False(PosixFs.Exists(s.Snapshot(name)), $"{name}'s tree should be gone");
            Assert.False(PosixFs.Exists(s.ManifestPath(name)), $"{name}'s manifest should be gone");
        }
        Assert.Equal(["s4.manifest", "s4.summary", "s5.manifest", "s5.summary", "t1.manifest", "t1.summary"], Catalog.Files(s));
        Assert.Equal(["s4", "s5", "t1"], PosixFs.ListNames(s.Backups));
        foreach (var name in kept)
            Assert.Equal(keptTrees[name], WithoutLinksAndCtimes(TreeState.Capture(s.Snapshot(name))));

        // Exactly the entries only s1..s3 linked are gone: a, b and d/x as they were then. B1 stays (t1 links it).
        string[] freed = [s.EntryPath(Scenario.Sha1(A1)), s.EntryPath(Scenario.Sha1(B2)), s.EntryPath(Scenario.Sha1(X))];
        Assert.Equal(freed.Order(StringComparer.Ordinal), removedLinks.Keys.Except(keptLinks.Keys).Order(StringComparer.Ordinal));
        var entriesAfter = s.StoreEntries().ToDictionary(e => s.Data + "/" + e.RelativePath, e => e.Meta);
        Assert.Equal(entriesBefore.Keys.Except(freed).Order(StringComparer.Ordinal), entriesAfter.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, meta) in entriesAfter)
        {
            Assert.Equal(entriesBefore[path].Inode, meta.Inode);
            Assert.Equal(entriesBefore[path].LinkCount - (ulong)removedLinks.GetValueOrDefault(path), meta.LinkCount);
            Assert.Equal(1 + (ulong)keptLinks.GetValueOrDefault(path), meta.LinkCount);
            Assert.Equal(Path.GetFileName(path), Scenario.Sha1(PosixFs.ReadBytes(path)));
        }
        Assert.Equal(1 + 1UL, entriesAfter[s.EntryPath(Scenario.Sha1(B1))].LinkCount);

        // The freed bytes reported are what a du of data and backups lost.
        var store = root.GetProperty("store");
        Assert.Equal(3, store.GetProperty("entries").GetInt64());
        Assert.Equal(A1.Length + B2.Length + X.Length, store.GetProperty("bytes").GetInt64());
        Assert.Equal(bytesBefore - Catalog.UniqueBytes(s.Data, s.Backups), store.GetProperty("bytes").GetInt64());

        // A second prune with the same rules finds nothing more to do.
        var again = Catalog.Prune(s, Policy);
        Expect.Success(again);
        Assert.Contains("pruned: 0 snapshots removed (0 files, 0 folders), 3 kept, 0 left alone, 0 not removed; 0 store entries and 0 bytes freed", again.StdoutLines);
    }

    [Fact]
    public void A_snapshot_whose_tree_lies_outside_the_backup_root_is_refused_and_nothing_of_it_is_removed()
    {
        using var s = new Scenario();
        s.Source.File("a", "a\n");
        var outside = s.Temp.CreateFolder("outside");
        Assert.Equal(0, Syscall.symlink(outside, s.Backups + "/elsewhere"));
        s.BackupSucceeds("s1");
        Expect.Success(PublishedCli.Run($"--rootfolder={s.SourceRoot}", $"--backupfolder={s.Backups}/elsewhere/s2", $"--datafolder={s.Data}"));
        s.Source.File("b", "b\n");
        s.BackupSucceeds("s3");
        var s2Tree = WithoutLinksAndCtimes(TreeState.Capture(outside + "/s2"));

        var run = Catalog.Prune(s, "--keep-last=1");

        Expect.ExitCode(run, 3);
        Assert.Equal([$"actorbackup: not removing snapshot s2: snapshot tree {s.Backups}/elsewhere/s2 (really {outside}/s2) is not inside --backuproot {s.Backups}; nothing of it was removed"],
            run.StderrLines);
        Assert.Equal(s2Tree, WithoutLinksAndCtimes(TreeState.Capture(outside + "/s2")));
        Assert.True(PosixFs.Exists(s.ManifestPath("s2")), "the refused snapshot keeps its manifest, unmarked");
        Assert.False(PosixFs.Exists(s.Snapshot("s1")));
        Assert.Equal(["s2.manifest", "s2.summary", "s3.manifest", "s3.summary"], Catalog.Files(s));
        Assert.Contains("pruned: 1 snapshots removed (1 files, 1 folders), 1 kept, 0 left alone, 1 not removed; 0 store entries and 0 bytes freed", run.StdoutLines);
    }

    [Fact]
    public void A_snapshot_whose_tree_was_removed_by_hand_loses_its_manifest_and_the_entries_only_it_used()
    {
        using var s = new Scenario();
        s.Source.File("a", "old a\n");
        s.BackupSucceeds("s1");
        PosixFs.Overwrite(s.Source.PathOf("a"), Encoding.ASCII.GetBytes("new a\n"));
        s.BackupSucceeds("s2");
        PosixFs.RemoveTree(s.Snapshot("s1"));

        var run = Catalog.Prune(s, "--keep-last=1");

        Expect.Success(run);
        Assert.Contains($"removed s1: 0 files and 0 folders of {s.Snapshot("s1")} in ", run.Stdout);
        Assert.Equal(["s2.manifest", "s2.summary"], Catalog.Files(s));
        Assert.False(PosixFs.Exists(s.EntryPath(Scenario.Sha1(Encoding.ASCII.GetBytes("old a\n")))));
        Assert.Equal(2, Catalog.LinkCount(s.EntryPath(Scenario.Sha1(Encoding.ASCII.GetBytes("new a\n")))));
    }

    [Fact]
    public void Prune_without_a_keep_rule_refuses_to_remove_every_snapshot()
    {
        using var s = new Scenario();
        s.Source.File("a", "a\n");
        s.BackupSucceeds("s1");
        var before = TreeState.Capture(s.Temp.Path);

        Expect.Refusal(Catalog.Prune(s), 2, "refusing to remove every snapshot");
        Expect.Refusal(Catalog.Prune(s, "--keep-last=0", "--keep-weekly=0"), 2, "refusing to remove every snapshot");
        Expect.Refusal(Catalog.Prune(s, "--keep-last=-1"), 2, "--keep-last=-1 is not a whole number");

        Assert.Equal(before, TreeState.Capture(s.Temp.Path));
    }

    [Fact]
    public void Prune_while_a_backup_holds_the_data_folder_exits_11_and_changes_nothing_while_a_dry_run_still_plans()
    {
        using var s = new Scenario();
        s.Source.File("a", "a\n");
        s.BackupSucceeds("s1");
        s.BackupSucceeds("s2");
        var lockFile = s.Data + "/.actorbackup/lock";

        using (var held = DataFolderLock.TryAcquire(lockFile, out _))
        {
            Assert.NotNull(held);
            var before = TreeState.Capture(s.Temp.Path, notOpened: "data/.actorbackup/lock");

            Expect.Refusal(Catalog.Prune(s, "--keep-last=1"), 11, $"locked by PID {Environment.ProcessId}");
            var dry = Catalog.Prune(s, "--keep-last=1", "--dry-run");

            Expect.Success(dry);
            Assert.Contains(dry.StdoutLines, l => l.StartsWith("  remove  s1  ", StringComparison.Ordinal));
            Assert.Equal(before, TreeState.Capture(s.Temp.Path, notOpened: "data/.actorbackup/lock"));
        }

        Expect.Success(Catalog.Prune(s, "--keep-last=1")); // released: prune goes ahead
        Assert.False(PosixFs.Exists(s.Snapshot("s1")));
    }

    [Fact]
    public void A_prune_killed_midway_leaves_a_deleting_snapshot_nothing_takes_for_complete_and_the_next_prune_finishes_it()
    {
        using var s = new Scenario();
        const int Folders = 100, PerFolder = 300;
        for (var d = 0; d < Folders; d++)
            for (var f = 0; f < PerFolder; f++)
                s.Source.File($"many/{d:D3}/{f:D3}", $"content {(d * PerFolder + f) % 200}\n");
        // Hash first and no fsync: this test is about prune, and the run takes a third of the time.
        var config = s.Temp.Combine("fast.conf");
        File.WriteAllText(config, "actorbackup {\n  fsync = off\n  copy-first = off\n}\n");
        s.BackupSucceeds("s1", $"--config={config}");
        PosixFs.RemoveTree(s.Source.PathOf("many"));
        s.Source.File("small", "small\n");
        s.BackupSucceeds("s2", $"--config={config}");
        var onlyS1 = Catalog.LinksByEntry(s, "s1").Keys.Except(Catalog.LinksByEntry(s, "s2").Keys).ToList();
        Assert.Equal(200, onlyS1.Count);
        var many = s.InSnapshot("s1", "many");
        var marker = Catalog.Folder(s) + "/s1.manifest.deleting";

        // Kill it once the first of many/'s 100 folders is gone (many/ then has one link fewer).
        // It runs at the lowest priority and in slices (SIGCONT, 2 ms, SIGSTOP), so even on a
        // busy machine it is caught midway, and it is stopped while the test looks.
        var start = new ProcessStartInfo(PublishedCli.Executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "prune", $"--datafolder={s.Data}", $"--backuproot={s.Backups}", "--keep-last=1" })
            start.ArgumentList.Add(arg);
        using (var prune = Process.Start(start)!)
        {
            Assert.Equal(0, Syscall.kill(prune.Id, Signum.SIGSTOP));
            prune.PriorityClass = ProcessPriorityClass.Idle;
            var clock = Stopwatch.StartNew();
            while (true)
            {
                Assert.True(PosixFs.Exists(many), "prune removed all of many/ before it could be stopped midway");
                if (PosixFs.Exists(marker) && PosixFs.Lstat(many).st_nlink < 2 + Folders)
                    break;
                Assert.False(prune.HasExited, $"prune exited with {(prune.HasExited ? prune.ExitCode : 0)} before it was killed:\n{(prune.HasExited ? prune.StandardOutput.ReadToEnd() + prune.StandardError.ReadToEnd() : "")}");
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), "prune did not start removing s1 within 90 s");
                Syscall.kill(prune.Id, Signum.SIGCONT);
                Thread.Sleep(2);
                Syscall.kill(prune.Id, Signum.SIGSTOP);
            }
            prune.Kill();
            prune.WaitForExit();
        }

        var left = Catalog.RegularFiles(s.Snapshot("s1"));
        Assert.InRange(left, 1, Folders * PerFolder - PerFolder);
        Assert.True(PosixFs.Exists(marker), "the marker must exist while the tree is half removed");
        Assert.False(PosixFs.Exists(s.ManifestPath("s1")), "a half-removed snapshot must not look complete");
        var listed = Catalog.ListJson(s);
        Assert.Equal("deleting", listed["s1"].GetProperty("status").GetString());
        Assert.Equal("complete", listed["s2"].GetProperty("status").GetString());
        Assert.Contains(Catalog.List(s).StdoutLines, l => Regex.IsMatch(l, @"^s1\s+\S+ \S+\s+deleting\s"));
        // The files cache and --previous see only complete manifests: with s2 dated before s1,
        // a cache that still saw s1 would compare with it.
        Expect.Refusal(s.Backup("s3", "--previous=s1"), 2, "has no snapshot of that name");
        Catalog.SetStarted(s, "s2", "2020-01-05T02:00:00Z");
        var s3 = s.BackupSucceeds("s3", "-v");
        Assert.Contains("comparing with s2: files unchanged since are linked without reading", s3.StdoutLines);

        var finish = Catalog.Prune(s, "--keep-last=2");

        Expect.Success(finish);
        Assert.Contains(finish.StdoutLines, l => l.StartsWith("  finish  s1  ", StringComparison.Ordinal) && l.EndsWith("marked by a prune that stopped midway", StringComparison.Ordinal));
        Assert.Contains(finish.StdoutLines, l => l.StartsWith($"removed s1: {left} files and ", StringComparison.Ordinal) && l.EndsWith("(finished)", StringComparison.Ordinal));
        Assert.False(PosixFs.Exists(s.Snapshot("s1")));
        Assert.Equal(["s2.manifest", "s2.summary", "s3.manifest", "s3.summary"], Catalog.Files(s));
        Assert.All(onlyS1, entry => Assert.False(PosixFs.Exists(entry), $"{entry} only s1 used should be collected"));
        Assert.Contains(finish.StdoutLines, l => l.StartsWith("store: freed 200 entries no snapshot links any more", StringComparison.Ordinal));
        Assert.Equal(1 + 2, Catalog.LinkCount(s.EntryPath(Scenario.Sha1(Encoding.ASCII.GetBytes("small\n")))));
    }

    private static Dictionary<string, int> Sum(IEnumerable<Dictionary<string, int>> links)
    {
        var total = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var one in links)
            foreach (var (path, n) in one)
                total[path] = total.GetValueOrDefault(path) + n;
        return total;
    }

    /// <summary>
    /// TreeState lines without "nlink=N" and "ctime=...": a kept tree's files lose links when
    /// other snapshots go, and an unlink sets the inode's ctime. Link counts are checked apart.
    /// </summary>
    private static List<string> WithoutLinksAndCtimes(IEnumerable<string> lines) => lines.Select(l => LinksAndCtime().Replace(l, "")).ToList();

    [GeneratedRegex(@" nlink=\d+| ctime=\d+\.\d+")]
    private static partial Regex LinksAndCtime();
}
