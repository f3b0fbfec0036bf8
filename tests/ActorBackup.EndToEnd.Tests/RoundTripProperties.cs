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
///     owners, mtimes to the nanosecond, symlink targets, device numbers, names as bytes),
///     and the store holds each content once per owner, group and mode;
/// (2) a second backup of the unchanged tree stores nothing: no new content in --dostats, the
///     store's entries unchanged, and a snapshot equal to the first (the same inodes);
/// (3) verify --read-data finds the data folder clean; and the source is never touched.
/// FsCheck draws the trees (growing towards <see cref="MaxEntries"/> entries) and, when one
/// fails, shrinks it to a smallest tree that still fails; the failure message shows the
/// original tree (with the seed that replays it) and the shrunk one.
/// Source hardlinks are generated: the comparison never looks at link counts or inode numbers
/// (restore brings each name back as its own copy, as documented, which is checked too), so a
/// hardlinked source is compared name by name like any other, and the backup side (one inode
/// read under two names, the files cache keyed by inode) gets exercised.
/// Environment: ACTORBACKUP_PROPERTY_ITERATIONS (trees per run, default 15),
/// ACTORBACKUP_PROPERTY_REPLAY=SEED:SIZE (run only that tree, shrinking it if it fails),
/// ACTORBACKUP_PROPERTY_SHRINK_SECONDS (time allowed for shrinking a failure, default 600).
/// </summary>
public sealed partial class RoundTripProperties(ITestOutputHelper output)
{
    public const int MaxEntries = 40;

    private const int DefaultIterations = 15;
    private const int DefaultShrinkSeconds = 600;

    [Fact]
    public void Random_trees_survive_backup_restore_and_a_second_backup_exactly()
    {
        var iterations = Setting("ACTORBACKUP_PROPERTY_ITERATIONS", DefaultIterations);
        var shrinkBudget = TimeSpan.FromSeconds(Setting("ACTORBACKUP_PROPERTY_SHRINK_SECONDS", DefaultShrinkSeconds));
        var replay = Environment.GetEnvironmentVariable("ACTORBACKUP_PROPERTY_REPLAY");
        var trees = replay is null ? Trees() : Gen.Constant(Replayed(replay));
        DateTime? shrinkDeadline = null;
        IEnumerable<RandomTree> Shrink(RandomTree tree)
        {
            shrinkDeadline ??= DateTime.UtcNow + shrinkBudget;
            return DateTime.UtcNow < shrinkDeadline ? tree.Shrink() : [];
        }
        var clock = Stopwatch.StartNew();
        var runs = 0;

        Prop.ForAll(Arb.From(trees, Shrink), tree =>
            {
                runs++;
                RoundTrip(tree);
            })
            .Check(Config.QuickThrowOnFailure.WithMaxTest(replay is null ? iterations : 1));

        output.WriteLine($"{runs} trees in {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Trees that grow with FsCheck's size (0 to 100 over a run): a few entries first, up to <see cref="MaxEntries"/>.</summary>
    private static Gen<RandomTree> Trees() =>
        from entries in Gen.Sized(size => Gen.Choose(Math.Min(MaxEntries, size * MaxEntries / 200 + 1), Math.Min(MaxEntries, size * MaxEntries / 100 + 2)))
        from seed in Gen.Choose(0, int.MaxValue)
        select RandomTree.Generate(seed, entries);

    private static RandomTree Replayed(string text)
    {
        var parts = text.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var seed) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var size))
            throw new ArgumentException($"ACTORBACKUP_PROPERTY_REPLAY={text}: expected SEED:SIZE as a failure prints it");
        return RandomTree.Generate(seed, size);
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

    private void RoundTrip(RandomTree tree)
    {
        var clock = Stopwatch.StartNew();
        var outcome = "failed";
        try
        {
            Properties(tree);
            outcome = "passed";
        }
        finally
        {
            output.WriteLine($"{tree.Entries.Count - 1,3} entries (seed {tree.Seed}{(tree.Shrunk ? ", shrunk" : "")}): {outcome}, {clock.Elapsed.TotalSeconds:F1} s");
        }
    }

    private static void Properties(RandomTree tree)
    {
        using var s = new Scenario();
        tree.Build(s.SourceRoot);
        var sourceBefore = TreeState.Capture(s.SourceRoot);

        Expect.Success(s.Backup("s1", "--dostats"));
        var storeAfterFirst = StoreInodes(s);
        Assert.True(ExpectedStoreEntries(tree) == storeAfterFirst.Count,
            $"the store holds {storeAfterFirst.Count} entries, expected {ExpectedStoreEntries(tree)}: one per content, owner, group and mode");

        SecondBackupStoresNothing(s, storeAfterFirst);
        RestoreGivesTheSourceBack(s);

        var verify = PublishedCli.Run("verify", $"--datafolder={s.Data}", "--read-data");
        Expect.Success(verify);
        if (verify.StdoutLines is not [var summary] || !summary.StartsWith("verify: clean;", StringComparison.Ordinal) || !summary.Contains("; 0 problems, 0 notices;", StringComparison.Ordinal))
            Assert.Fail($"expected one line 'verify: clean; ... 0 problems, 0 notices; ...'\n{verify}");

        Assert.Equal(sourceBefore, TreeState.Capture(s.SourceRoot));
    }

    private static void SecondBackupStoresNothing(Scenario s, Dictionary<string, ulong> storeAfterFirst)
    {
        var second = s.Backup("s2", "--dostats");
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

    private static void RestoreGivesTheSourceBack(Scenario s)
    {
        var target = s.Temp.Combine("restored");
        Expect.Success(PublishedCli.Run("restore", $"--datafolder={s.Data}", "--snapshot=s1", $"--target={target}"));
        var differences = TreeComparer.Differences(s.SourceRoot, target);
        Assert.True(differences.Count == 0, "the restore differs from the source:\n" + string.Join('\n', differences));
        // Hardlinks come back as separate copies (documented): every file is its own inode.
        foreach (var relative in PosixFs.Walk(target))
        {
            var st = PosixFs.Lstat(target + "/" + relative);
            if (PosixFs.TypeOf(st) == FilePermissions.S_IFREG)
                Assert.True(st.st_nlink == 1, $"{Names.Show(relative)}: restored with {st.st_nlink} links, expected its own copy");
        }
    }

    /// <summary>Under --share=owner, files share a store entry exactly when content, owner, group and mode agree.</summary>
    private static int ExpectedStoreEntries(RandomTree tree) =>
        tree.Files.Select(f => (Convert.ToHexString(SHA1.HashData(RandomTree.Content(f))), f.Uid, f.Gid, f.Mode)).Distinct().Count();

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
