using System.Diagnostics;
using System.Globalization;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Testing;
using Mono.Unix.Native;
using Xunit.Abstractions;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// kill -9 of a real backup process at many points: after a share of the files, during the
/// copy of a large file, inside a group commit's syncfs, while publishing, right at start.
/// After every kill the store holds only whole entries (each name the hash of its bytes) and
/// no snapshot looks complete unless the run got that far; the next run with the same backup
/// folder then completes, verify --read-data finds nothing, and the snapshot is the source
/// (bytes, modes, owners, ns mtimes, hardlinks into the store).
/// </summary>
public sealed class CrashSafetyTests(ITestOutputHelper log)
{
    private const int LargeBytes = 64 << 20;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public void Kill_9_at_many_points_leaves_whole_entries_and_no_false_snapshot_and_the_next_run_completes()
    {
        var clock = Stopwatch.StartNew();
        using var s = new Scenario();
        var tree = new CrashTree(s.Source);
        var store = new StoreCheck(s.Data);
        var done = new List<string>();
        int tried = 0, survived = 0, missed = 0;
        var rounds = new (string Name, Func<long, KillPoint>[] Kills)[]
        {
            // Each kill but a snapshot's first hits a run resuming the partial snapshot of the one killed before.
            // s1 reads and stores everything; s2 follows a week of changes (files cache, copies between entries).
            ("s1", [_ => OnceOpened(s, "s1"), t => InGroupCommit(0.20, t), t => AfterFiles(0.10, t), t => DuringLargeCopy(s, t), t => AfterFiles(0.60, t)]),
            ("s2", [t => DuringLargeCopy(s, t), t => AfterFiles(0.30, t), t => InGroupCommit(0.60, t), t => AfterFiles(0.90, t), _ => WhilePublishing(s, "s2"), t => AllFilesStored(t)]),
        };
        foreach (var (round, kills) in rounds)
        {
            // A kill point the run finished before is tried once more, first, on the next snapshot of the round.
            var left = kills.Select(k => (Make: k, Missed: false)).ToList();
            for (var n = 1; left.Count > 0; n++)
            {
                var name = n == 1 ? round : $"{round}-{n}";
                if (done.Count > 0)
                    tree.Change(done.Count);
                var total = tree.RegularFiles;
                log.WriteLine($"[{clock.Elapsed.TotalSeconds:F1}] {name}: source ready, {total} files");
                var published = false;
                while (left.Count > 0 && !published)
                {
                    var (make, missedBefore) = left[0];
                    left.RemoveAt(0);
                    var kill = make(total);
                    var outcome = KillableRun.Run(BackupArgs(s, name), kill, RunTimeout);
                    if (!outcome.Killed)
                    {
                        missed++;
                        Expect.Success(outcome.Result);
                        log.WriteLine($"[{clock.Elapsed.TotalSeconds:F1}] {name}: kill point '{kill.Name}' not reached: the run finished on its own in {outcome.Result.Elapsed.TotalSeconds:F1} s");
                        if (!missedBefore)
                            left.Insert(0, (make, true));
                        published = true;
                        break;
                    }
                    tried++;
                    var state = CheckAfterKill(s, store, name, done, out var entries);
                    log.WriteLine($"[{clock.Elapsed.TotalSeconds:F1}] {name}: killed {kill.Name} at {outcome.At.TotalSeconds:F2} s ({outcome.Where}): {state}; {entries} store entries, all whole");
                    published = PosixFs.Exists(s.Snapshot(name));
                }
                if (!published)
                {
                    var result = s.Backup(name);
                    Expect.Success(result);
                    log.WriteLine($"[{clock.Elapsed.TotalSeconds:F1}] {name}: the next run completed in {result.Elapsed.TotalSeconds:F1} s");
                }
                CheckComplete(s, store, name);
                log.WriteLine($"[{clock.Elapsed.TotalSeconds:F1}] {name}: verified");
                done.Add(name);
                survived = tried; // every kill so far was followed by a complete, verified snapshot
            }
        }
        var verify = PublishedCli.Run(["verify", $"--datafolder={s.Data}", "--read-data"], PublishedCli.DefaultTimeout);
        Clean(verify);
        log.WriteLine($"[{clock.Elapsed.TotalSeconds:F1}] verify --read-data: {verify.StdoutLines[^1]}");
        log.WriteLine($"kill points: {tried} tried, {survived} survived ({missed} not reached: the run was done first); {done.Count} snapshots verified; {clock.Elapsed.TotalSeconds:F1} s");
        // Each point is tried twice at most (a short run can finish first); a point missed both times is one too many.
        Assert.True(tried >= 11, $"only {tried} of 11 kill points were reached");
    }

    [Fact]
    public void The_next_run_of_a_snapshot_removes_what_its_killed_publish_left_in_the_catalog()
    {
        using var s = new Scenario();
        s.Source.File("a", "a\n");
        var catalog = new TreeBuilder(s.Data + "/.actorbackup/snapshots");
        // What a run killed while sorting a long journal (in runs) and writing its summary leaves.
        string[] leftovers = ["s1.manifest.partial", "s1.manifest.sorting", "s1.manifest.sorting.run0", "s1.manifest.sorting.run7", "s1.summary.tmp"];
        foreach (var name in leftovers)
            catalog.File(name, "cut short");
        // One in the temp folder itself, as versions before its subfolders left them.
        new TreeBuilder(s.Data + "/.actorbackup/tmp").File("4242-h17.tmp", "half a copy").File("0a/4242-h26.tmp", "half a copy");

        s.BackupSucceeds("s1");

        Assert.Equal(["s1.manifest", "s1.summary"], PosixFs.ListNames(catalog.Root));
        Assert.Empty(PosixFs.TempFiles(s.Data));
        Clean(PublishedCli.Run(["verify", $"--datafolder={s.Data}"], PublishedCli.DefaultTimeout));
    }

    private static string[] BackupArgs(Scenario s, string name) =>
        [$"--rootfolder={s.SourceRoot}", $"--backupfolder={s.Snapshot(name)}", $"--datafolder={s.Data}", "--createdirs", "--doprogress=1"];

    /// <summary>The run holds the lock and has opened its journal: the first thing a data-store does.</summary>
    private static KillPoint OnceOpened(Scenario s, string name) =>
        new("as soon as it opened the snapshot", _ => PosixFs.Exists(s.ManifestPath(name) + ".partial") ? "journal opened" : null);

    private static KillPoint AfterFiles(double share, long total) =>
        new($"after {share:P0} of the files", v => v.FilesStored >= (long)(share * total) ? $"{v.FilesStored} of {total} files linked" : null);

    /// <summary>
    /// Inside the syncfs that makes a group of new entries durable before they are named; if
    /// no syncfs is seen by <paramref name="latest"/> of the files (a fast disk), at that point.
    /// </summary>
    private static KillPoint InGroupCommit(double latest, long total) =>
        new("in a group commit's syncfs", v =>
            v.FilesStored < total && KillableRun.InSyncfs(v.Pid) ? $"in syncfs, {v.FilesStored} of {total} files linked"
            : v.FilesStored >= (long)(latest * total) ? $"no syncfs seen; {v.FilesStored} of {total} files linked"
            : null);

    /// <summary>
    /// The journal is being sorted into the manifest, or the run's summary is written: the
    /// last syncfs and the renames come next. The sort of a small manifest is over within a
    /// millisecond, so the summary is what a poll usually sees.
    /// </summary>
    private static KillPoint WhilePublishing(Scenario s, string name) =>
        new("while publishing", v =>
        {
            var since = DateTime.UtcNow - v.Elapsed;
            // Written by this run, not left by the one killed before it.
            bool Written(string path) => PosixFs.Exists(path) && File.GetLastWriteTimeUtc(path) >= since;
            return Written(s.ManifestPath(name) + ".sorting") ? "manifest being sorted"
                : Written(s.SummaryPath(name)) ? "summary written: in the last syncfs or the renames"
                : null;
        });

    /// <summary>Every file is linked: directories are finalized, then the manifest sorted and published.</summary>
    private static KillPoint AllFilesStored(long total) =>
        new("once every file was linked", v => v.FilesStored >= total ? "finalizing folders or publishing" : null);

    /// <summary>
    /// A temp file of the store holds between a quarter and three quarters of the large file;
    /// if that is not seen by a fifth of the files (a fast disk), at that point.
    /// </summary>
    private static KillPoint DuringLargeCopy(Scenario s, long total) => new("during the large file's copy", v =>
    {
        var tmp = s.Data + "/.actorbackup/tmp";
        try
        {
            foreach (var file in Directory.Exists(tmp) ? Directory.EnumerateFiles(tmp) : Enumerable.Empty<string>())
            {
                var size = Syscall.lstat(file, out var st) == 0 ? st.st_size : 0;
                if (size >= LargeBytes / 4 && size <= LargeBytes / 4 * 3)
                    return $"its temp copy at {size >> 20} of {LargeBytes >> 20} MiB";
            }
        }
        catch (IOException)
        {
            // The temp file went meanwhile.
        }
        return v.FilesStored >= total / 5 ? $"no copy seen; {v.FilesStored} of {total} files linked" : null;
    });

    /// <summary>
    /// What a kill may leave: whole entries only; the snapshot either unpublished (no backup
    /// folder, no complete manifest), or - killed between the manifest's rename and the
    /// folder's - a complete manifest with the tree still under .NAME.partial, or published
    /// complete. Earlier snapshots untouched.
    /// </summary>
    private static string CheckAfterKill(Scenario s, StoreCheck store, string name, List<string> done, out int entries)
    {
        entries = store.EntriesAreWhole();
        var manifest = s.ManifestPath(name);
        var complete = PosixFs.Exists(manifest);
        if (complete)
            Assert.True(ManifestIsComplete(manifest), $"{manifest}: a manifest under its final name without its #end line");
        foreach (var earlier in done)
        {
            Assert.True(PosixFs.Exists(s.Snapshot(earlier)), $"snapshot {earlier} vanished");
            Assert.True(ManifestIsComplete(s.ManifestPath(earlier)), $"the manifest of {earlier} is no longer complete");
        }
        if (PosixFs.Exists(s.Snapshot(name)))
        {
            Assert.True(complete, $"snapshot {name} was published without its manifest");
            return "published (the kill came after the run's last step)";
        }
        return complete
            ? "manifest published, snapshot folder not yet renamed (the next run redoes it)"
            : "not published";
    }

    private static bool ManifestIsComplete(string path) =>
        File.ReadLines(path).LastOrDefault(l => l.Length > 0)?.StartsWith("#end ", StringComparison.Ordinal) == true;

    /// <summary>Verify found nothing at all, not even a notice (litter of a killed run would be one).</summary>
    private static void Clean(ProcessResult verify)
    {
        Expect.Success(verify);
        Assert.True(verify.StdoutLines.Count == 1 && verify.StdoutLines[0].StartsWith("verify: clean;", StringComparison.Ordinal),
            $"expected verify to find nothing at all, not even a notice\n{verify}");
    }

    /// <summary>
    /// The finished snapshot as a user checks it: verify (structure: links, sizes, litter; the
    /// entries' bytes are hashed by <see cref="StoreCheck"/>, and by verify --read-data once at
    /// the end), the tree against the source, links into the store, no litter.
    /// </summary>
    private static void CheckComplete(Scenario s, StoreCheck store, string name)
    {
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot(name)));
        Clean(PublishedCli.Run(["verify", $"--datafolder={s.Data}"], PublishedCli.DefaultTimeout));
        store.EntriesAreWhole();

        Assert.False(PosixFs.Exists(s.Backups + "/." + name + ".partial"), "the partial folder outlived the publish");
        foreach (var e in s.Manifest(name).Entries.Where(e => e.Type == 'f'))
        {
            var entry = s.EntryPath(e.Hash, int.Parse(e.Suffix, CultureInfo.InvariantCulture));
            Expect.SameInode(entry, s.InSnapshot(name, e.Path));
        }
        Assert.Empty(PosixFs.TempFiles(s.Data));
        var catalog = PosixFs.ListNames(s.Data + "/.actorbackup/snapshots");
        Assert.All(catalog, n => Assert.True(n.EndsWith(".manifest", StringComparison.Ordinal) || n.EndsWith(".summary", StringComparison.Ordinal), $"catalog litter: {n}"));
    }

    /// <summary>
    /// The source: six users' folders of small files with their own owners, modes and ns
    /// mtimes, hardlinked pairs, symlinks, a FIFO, an empty folder, and one large file; every
    /// content unique, so every snapshot file keeps its own mtime.
    /// </summary>
    private sealed class CrashTree
    {
        private const int Users = 6;
        private const int FoldersPerUser = 5;
        private const int FilesPerFolder = 50;
        private readonly TreeBuilder _tree;
        private readonly Random _random = new(6);
        private long _nextTime = 1_600_000_000;

        public CrashTree(TreeBuilder tree)
        {
            _tree = tree;
            for (var u = 0; u < Users; u++)
            {
                for (var f = 0; f < FoldersPerUser; f++)
                    for (var i = 0; i < FilesPerFolder; i++)
                        SmallFile($"u{u}/d{f}/f{i}", 1000u + (uint)u, (i % 3) switch { 0 => 644, 1 => 600, _ => 755 });
                var home = $"u{u}";
                Syscall.link(tree.PathOf($"{home}/d0/f1"), tree.PathOf($"{home}/hardlink-of-f1"));
                tree.Symlink($"{home}/link", $"d0/f{u}").Dir($"{home}/empty", 700);
                SetTimes($"{home}/empty");
            }
            tree.Fifo("u0/pipe");
            tree.File("large.bin", Random(LargeBytes));
            SetTimes("large.bin");
            FixFolders();
        }

        public long RegularFiles => PosixFs.Walk(_tree.Root).Count(p => PosixFs.TypeOf(PosixFs.Lstat(_tree.PathOf(p))) == FilePermissions.S_IFREG);

        /// <summary>A week's changes: rewritten, new, deleted, renamed, chmod'ed and chown'ed files, a new large file.</summary>
        public void Change(int round)
        {
            for (var u = 0; u < Users; u++)
            {
                for (var f = 0; f < FoldersPerUser; f++)
                {
                    for (var i = round % 4; i < FilesPerFolder; i += 4)
                    {
                        var path = $"u{u}/d{f}/f{i}";
                        if (!PosixFs.Exists(_tree.PathOf(path)))
                            continue;
                        if (i % 17 == 0)
                            Syscall.unlink(_tree.PathOf(path));
                        else if (i % 13 == 0)
                            _tree.Chmod(path, 640); // same content and mtime: linked from the store, not read
                        else if (i % 11 == 0)
                            _tree.Chown(path, 2000, 2000).Chmod(path, 644);
                        else
                        {
                            PosixFs.Overwrite(_tree.PathOf(path), Random(_random.Next(16, 6000)));
                            SetTimes(path);
                        }
                    }
                }
                for (var i = 0; i < 20; i++)
                    SmallFile($"u{u}/new{round}/g{i}", 1000u + (uint)u, 644);
            }
            Syscall.rename(_tree.PathOf("u1/d3"), _tree.PathOf($"u1/d3-moved{round}"));
            PosixFs.Overwrite(_tree.PathOf("large.bin"), Random(LargeBytes));
            SetTimes("large.bin");
            FixFolders();
        }

        private void SmallFile(string path, uint uid, int mode)
        {
            _tree.File(path, Random(_random.Next(16, 6000)), mode).Chown(path, uid, uid).Chmod(path, mode);
            SetTimes(path);
        }

        private byte[] Random(int length)
        {
            var bytes = new byte[length];
            _random.NextBytes(bytes);
            return bytes;
        }

        private void SetTimes(string path) => _tree.Mtime(path, _nextTime++, _random.Next(1, 999_999_999));

        /// <summary>Owners and times of the folders, after their children moved them.</summary>
        private void FixFolders()
        {
            foreach (var path in PosixFs.Walk(_tree.Root).Where(p => PosixFs.TypeOf(PosixFs.Lstat(_tree.PathOf(p))) == FilePermissions.S_IFDIR).OrderByDescending(p => p.Length))
            {
                var user = path.Split('/')[0];
                var uid = user.StartsWith('u') ? 1000u + uint.Parse(user[1..], CultureInfo.InvariantCulture) : 0u;
                _tree.Chown(path, uid, uid);
                SetTimes(path);
            }
            SetTimes("");
        }
    }
}
