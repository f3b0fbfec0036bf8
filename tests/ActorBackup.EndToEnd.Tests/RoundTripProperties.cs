using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;
using FsCheck;
using FsCheck.Fluent;
using Mono.Unix.Native;
using Xunit.Abstractions;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// Properties of backup, restore and verify over random trees (<see cref="RandomTree"/>), each
/// run as a user runs them, as real processes:
/// (1) a backup then `actorbackup restore` gives the source back exactly (bytes, types, modes,
///     owners, mtimes to the nanosecond, symlink targets, device numbers, names as bytes);
///     the snapshot itself shows the same (but for files' mtimes: they share inodes), and
///     the store holds each content once per owner, group and mode;
/// (2) a second backup of the unchanged tree reads and stores nothing: no bytes read and no
///     new content in --dostats, the store's entries unchanged, and a snapshot equal to the
///     first (the same manifest lines, the same inodes);
/// (3) verify --read-data finds the data folder clean; and the source is never touched.
/// Two cases in three run every command with random settings (<see cref="RunSettings"/>:
/// one-file batches, 4 KiB read buffers, short queues, hash-first, no fsync; a third of those
/// back up with --share=content), the rest with the defaults. FsCheck draws the cases (trees
/// of up to <see cref="DefaultMaxEntries"/> entries) and, when one fails, shrinks it to a
/// smallest case that still fails: defaults first, then fewer and plainer entries. The failure message shows the original case (with
/// the numbers that replay it) and the shrunk one.
/// Source hardlinks are generated: the tree comparison never looks at link counts or inode
/// numbers, so a hardlinked source is compared name by name like any other, and the backup
/// side (one inode read under two names, the files cache keyed by inode) gets exercised; a
/// separate check wants the restore's names grouped into inodes as the source's were, with
/// the source's link counts.
/// Environment: ACTORBACKUP_PROPERTY_ITERATIONS (cases per run, default
/// <see cref="DefaultIterations"/>), ACTORBACKUP_PROPERTY_REPLAY=SEED:SIZE:SETTINGS (run only
/// that case, shrinking it if it fails), ACTORBACKUP_PROPERTY_SHRINK_SECONDS (time allowed for
/// shrinking a failure, default 600), ACTORBACKUP_PROPERTY_MAX_ENTRIES (the largest trees, default
/// <see cref="DefaultMaxEntries"/>; more for a long hunt).
/// </summary>
public sealed partial class RoundTripProperties(ITestOutputHelper output)
{
    public const int DefaultMaxEntries = 40;

    private const int DefaultIterations = 12;
    private const int DefaultShrinkSeconds = 600;

    [Fact]
    public void Random_trees_survive_backup_restore_and_a_second_backup_exactly()
    {
        var iterations = Setting("ACTORBACKUP_PROPERTY_ITERATIONS", DefaultIterations);
        var shrinkBudget = TimeSpan.FromSeconds(Setting("ACTORBACKUP_PROPERTY_SHRINK_SECONDS", DefaultShrinkSeconds));
        var replay = Environment.GetEnvironmentVariable("ACTORBACKUP_PROPERTY_REPLAY");
        var cases = replay is null ? Cases(Setting("ACTORBACKUP_PROPERTY_MAX_ENTRIES", DefaultMaxEntries)) : Gen.Constant(Replayed(replay));
        DateTime? shrinkDeadline = null;
        IEnumerable<RoundTripCase> Shrink(RoundTripCase c)
        {
            shrinkDeadline ??= DateTime.UtcNow + shrinkBudget;
            return DateTime.UtcNow < shrinkDeadline ? c.Shrink() : [];
        }
        var clock = Stopwatch.StartNew();
        var runs = 0;

        Prop.ForAll(Arb.From(cases, Shrink), c =>
            {
                runs++;
                RoundTrip(c);
            })
            .Check(Config.QuickThrowOnFailure.WithMaxTest(replay is null ? iterations : 1));

        output.WriteLine($"{runs} cases in {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>
    /// Cases of 1 to <paramref name="maxEntries"/> entries, the smallest trees less likely as
    /// FsCheck's size grows (it need not reach 100 in a short run, so it only sets the floor).
    /// </summary>
    private static Gen<RoundTripCase> Cases(int maxEntries) =>
        from entries in Gen.Sized(size => Gen.Choose(Math.Clamp(size * maxEntries / 200, 1, maxEntries), maxEntries))
        from seed in Gen.Choose(0, int.MaxValue)
        from settings in Gen.Frequency((1, Gen.Constant(0)), (2, Gen.Choose(1, int.MaxValue)))
        select new RoundTripCase(RandomTree.Generate(seed, entries), settings);

    private static RoundTripCase Replayed(string text)
    {
        var parts = text.Split(':');
        if (parts.Length != 3 || !parts.All(p => int.TryParse(p, CultureInfo.InvariantCulture, out _)))
            throw new ArgumentException($"ACTORBACKUP_PROPERTY_REPLAY={text}: expected SEED:SIZE:SETTINGS as a failure prints it");
        var n = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return new RoundTripCase(RandomTree.Generate(n[0], n[1]), n[2]);
    }

    private static int Setting(string name, int fallback)
    {
        var text = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrEmpty(text))
            return fallback;
        return int.TryParse(text, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{name}={text}: expected a positive whole number");
    }

    private void RoundTrip(RoundTripCase c)
    {
        var tree = c.Tree;
        var clock = Stopwatch.StartNew();
        var steps = new List<string>();
        var outcome = "failed";
        try
        {
            Properties(c, steps);
            outcome = "passed";
        }
        finally
        {
            output.WriteLine($"{tree.Entries.Count - 1,3} entries (seed {tree.Seed}{(tree.Shrunk ? ", shrunk" : "")}, settings {c.SettingsSeed}): {outcome}, {clock.Elapsed.TotalSeconds:F1} s ({string.Join(", ", steps)})");
        }
    }

    /// <summary>Runs the properties over one tree; <paramref name="steps"/> gets each process's time.</summary>
    private static void Properties(RoundTripCase c, List<string> steps)
    {
        var tree = c.Tree;
        using var s = new Scenario();
        tree.Build(s.SourceRoot);
        string[] settings = [];
        if (RunSettings.Hocon(c.SettingsSeed) is { } hocon)
        {
            var file = s.Temp.Combine("settings.conf");
            File.WriteAllText(file, hocon);
            settings = [$"--config={file}"];
        }
        var sourceBefore = TreeState.Capture(s.SourceRoot);
        ProcessResult Timed(string step, ProcessResult result)
        {
            steps.Add(string.Create(CultureInfo.InvariantCulture, $"{step} {result.Elapsed.TotalSeconds:F1}"));
            return result;
        }

        var share = RunSettings.Share(c.SettingsSeed);
        Expect.Success(Timed("backup", s.Backup("s1", ["--dostats", $"--share={share}", .. settings])));
        if (share == "owner")
        {
            // The snapshot is a browsable copy: all but file mtimes (files of one content, owner
            // and mode share an inode, so they share one mtime) as in the source. Under
            // --share=content files show their entry's owner and mode instead (documented).
            var inSnapshot = TreeComparer.Differences(s.SourceRoot, s.Snapshot("s1"), fileMtimes: false);
            Assert.True(inSnapshot.Count == 0, "the snapshot differs from the source:\n" + string.Join('\n', inSnapshot));
        }
        var storeAfterFirst = StoreInodes(s);
        var expectedEntries = ExpectedStoreEntries(s.SourceRoot, share);
        Assert.True(expectedEntries == storeAfterFirst.Count,
            $"the store holds {storeAfterFirst.Count} entries, expected {expectedEntries}: one per content{(share == "owner" ? ", owner, group, mode and xattrs" : "")}");

        SecondBackupStoresNothing(s, storeAfterFirst, Timed("again", s.Backup("s2", ["--dostats", $"--share={share}", .. settings])));
        var target = s.Temp.Combine("restored");
        RestoreGivesTheSourceBack(s, target, Timed("restore", PublishedCli.Run(["restore", $"--datafolder={s.Data}", "--snapshot=s1", $"--target={target}", .. settings])));

        var verify = Timed("verify", PublishedCli.Run(["verify", $"--datafolder={s.Data}", "--read-data", .. settings]));
        Expect.Success(verify);
        if (verify.StdoutLines is not [var summary] || !summary.StartsWith("verify: clean;", StringComparison.Ordinal) || !summary.Contains("; 0 problems, 0 notices;", StringComparison.Ordinal))
            Assert.Fail($"expected one line 'verify: clean; ... 0 problems, 0 notices; ...'\n{verify}");

        Assert.Equal(sourceBefore, TreeState.Capture(s.SourceRoot));
    }

    private static void SecondBackupStoresNothing(Scenario s, Dictionary<string, ulong> storeAfterFirst, ProcessResult second)
    {
        Expect.Success(second);
        if (!NothingNew().IsMatch(second.Stdout) || !NothingStored().IsMatch(second.Stdout) || !NothingRead().IsMatch(second.Stdout))
            Assert.Fail($"the second backup of an unchanged tree should read and store nothing ('bytes read: 0 B', 'new content: 0 files, 0 B', 'stored 0 B')\n{second}");
        Assert.Equal(storeAfterFirst, StoreInodes(s));

        Assert.Equal(EntryLines(s, "s1"), EntryLines(s, "s2"));
        Assert.Empty(TreeComparer.Differences(s.Snapshot("s1"), s.Snapshot("s2")));
        foreach (var relative in PosixFs.Walk(s.Snapshot("s1")))
            if (PosixFs.TypeOf(PosixFs.Lstat(s.InSnapshot("s1", relative))) == FilePermissions.S_IFREG)
                Expect.SameInode(s.InSnapshot("s1", relative), s.InSnapshot("s2", relative));
    }

    private static void RestoreGivesTheSourceBack(Scenario s, string target, ProcessResult restore)
    {
        Expect.Success(restore);
        var differences = TreeComparer.Differences(s.SourceRoot, target);
        Assert.True(differences.Count == 0, "the restore differs from the source:\n" + string.Join('\n', differences));
        // Hardlinks come back as hardlinks: the same names share an inode, with the source's link count.
        Assert.Equal(LinkGroups(s.SourceRoot), LinkGroups(target));
        foreach (var relative in PosixFs.Walk(target))
        {
            var st = PosixFs.Lstat(target + "/" + relative);
            if (PosixFs.TypeOf(st) == FilePermissions.S_IFREG)
            {
                var source = PosixFs.Lstat(s.SourceRoot + "/" + relative).st_nlink;
                Assert.True(st.st_nlink == source, $"{Names.Show(relative)}: restored with {st.st_nlink} links, the source has {source}");
            }
        }
    }

    /// <summary>The regular files of a tree that share an inode with another, as sorted lists of names, sorted.</summary>
    private static List<string> LinkGroups(string root) =>
        PosixFs.Walk(root)
            .Select(relative => (relative, st: PosixFs.Lstat(root + "/" + relative)))
            .Where(x => PosixFs.TypeOf(x.st) == FilePermissions.S_IFREG && x.st.st_nlink > 1)
            .GroupBy(x => x.st.st_ino)
            .Select(g => string.Join(" = ", g.Select(x => Names.Show(x.relative)).Order(StringComparer.Ordinal)))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// Files share a store entry exactly when their content agrees and, under --share=owner,
    /// their owner, group, mode and xattrs (ACLs included) as the source tree on disk has them.
    /// </summary>
    private static int ExpectedStoreEntries(string source, string share) =>
        PosixFs.Walk(source)
            .Select(relative => source + "/" + relative)
            .Where(path => PosixFs.TypeOf(PosixFs.Lstat(path)) == FilePermissions.S_IFREG)
            .Select(path =>
            {
                var st = PosixFs.Lstat(path);
                var content = Convert.ToHexString(SHA1.HashData(PosixFs.ReadBytes(path)));
                return share == "owner" ? $"{content} {st.st_uid}:{st.st_gid} {PosixFs.ModeOf(st)} {XattrFs.Describe(XattrFs.List(path))}" : content;
            })
            .Distinct().Count();

    /// <summary>The store's entries: data-folder-relative name to inode.</summary>
    private static Dictionary<string, ulong> StoreInodes(Scenario s) => s.StoreEntries().ToDictionary(e => e.RelativePath, e => e.Meta.Inode);

    /// <summary>A manifest's entry lines, without the header (it names the snapshot and its start time).</summary>
    private static List<string> EntryLines(Scenario s, string snapshot) => s.Manifest(snapshot).Entries.Select(e => string.Join('\t', e.Fields)).ToList();

    [GeneratedRegex(@"^new content:\s+0 files, 0 B$", RegexOptions.Multiline)]
    private static partial Regex NothingNew();

    [GeneratedRegex(@"^bytes read:\s+0 B$", RegexOptions.Multiline)]
    private static partial Regex NothingRead();

    [GeneratedRegex(@"\(stored 0 B for ")]
    private static partial Regex NothingStored();
}

/// <summary>One case of <see cref="RoundTripProperties"/>: a tree, and the settings every command runs with (0: the defaults).</summary>
public sealed record RoundTripCase(RandomTree Tree, int SettingsSeed)
{
    /// <summary>The settings back to the defaults first, then the tree's own shrinks.</summary>
    public IEnumerable<RoundTripCase> Shrink()
    {
        if (SettingsSeed != 0)
            yield return this with { SettingsSeed = 0 };
        foreach (var smaller in Tree.Shrink())
            yield return this with { Tree = smaller };
    }

    public override string ToString() =>
        (Tree.Shrunk ? "" : $"replay: ACTORBACKUP_PROPERTY_REPLAY={Tree.Seed}:{Tree.Size}:{SettingsSeed}\n") +
        $"settings: --share={RunSettings.Share(SettingsSeed)}, {RunSettings.Hocon(SettingsSeed)?.ReplaceLineEndings(" ") ?? "the defaults"}\n{Tree}";
}

/// <summary>
/// Random values for the keys of hocon/actorbackup.conf that shape the pipeline, so the
/// same tree crosses batch, queue and read-buffer boundaries and actor interleavings that
/// the defaults (128-file batches, 1 MiB buffers) never reach with 40 entries. Keys that
/// would change what a correct run stores (max-links-per-entry) are left alone.
/// </summary>
public static class RunSettings
{
    /// <summary>The backups' --share policy for <paramref name="seed"/>: owner (the default) for seed 0 and two seeds in three.</summary>
    public static string Share(int seed) => seed != 0 && seed % 3 == 0 ? "content" : "owner";

    /// <summary>A --config file's text for <paramref name="seed"/>, or null for seed 0 (the defaults).</summary>
    public static string? Hocon(int seed)
    {
        if (seed == 0)
            return null;
        var random = new Random(seed);
        T One<T>(params T[] values) => values[random.Next(values.Length)];
        return string.Join('\n',
            "actorbackup {",
            $"  hashers = {One(1, 2, 3)}",
            $"  walkers = {One(1, 2, 3)}",
            $"  copiers = {One(1, 2, 3)}",
            $"  hash-batch-files = {One(1, 2, 3, 128)}",
            $"  hash-batch-bytes = {One("4KiB", "64KiB", "1MiB", "32MiB")}",
            $"  batches-per-hasher = {One(1, 2, 3)}",
            $"  max-queued-files = {One(1, 2, 5, 2000)}",
            $"  read-buffer = {One("4KiB", "8KiB", "64KiB", "1MiB")}",
            $"  copy-first = {One("on", "off")}",
            $"  fsync = {One("on", "off", "off")}",
            $"  direct-writes = {One("on", "off")}",
            "}",
            "");
    }
}
