using System.Text.Json;
using System.Text.RegularExpressions;
using ActorBackup.Core;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// actorbackup stats over real backups. Every figure is checked twice: against numbers
/// worked out by hand from the sizes below, and against what the disk shows (the store's
/// inodes by lstat, the source trees' file sizes, and which users' snapshot paths are
/// hardlinks of each inode), never against the tool's own manifests.
/// </summary>
public sealed class StatsTests
{
    private const uint Alice = 2001;
    private const uint Bob = 2002;

    private static readonly byte[] A = Scenario.Bytes(10_000, 1);
    private static readonly byte[] B1 = Scenario.Bytes(20_000, 2);
    private static readonly byte[] B2 = Scenario.Bytes(25_000, 3);
    private static readonly byte[] C = Scenario.Bytes(31_000, 4);
    private static readonly byte[] D = Scenario.Bytes(7_000, 5);
    private static readonly byte[] X = Scenario.Bytes(5_000, 6);
    private static readonly byte[] Manual = Scenario.Bytes(3_000, 7);
    private static readonly byte[] Readme = Scenario.Bytes(100, 8);

    [Fact]
    public void Two_weeks_under_the_owner_policy_give_exact_store_logical_and_per_user_figures()
    {
        using var s = new Scenario();
        BuildWeek1(s);
        s.BackupSucceeds("week1");
        var logical1 = SourceFiles(s);
        s.Source.File("alice/d.bin", D).Chown("alice/d.bin", Alice, Alice);
        PosixFs.Overwrite(s.Source.PathOf("alice/b.bin"), B2);
        Files.Unlink(s.Source.PathOf("bob/c.bin"));
        s.BackupSucceeds("week2");
        var logical2 = SourceFiles(s);

        var json = Json(s);
        var text = PublishedCli.Run("stats", $"--datafolder={s.Data}", "--by=user");
        Expect.Success(text);

        // By hand: entries A, B1, X (alice's), X.1 (bob's), Manual (root's, in both homes),
        // C, Readme, the empty file, B2, D.
        var (entries, bytes) = StoreOnDisk(s);
        Assert.Equal((10L, 106_100L), (entries, bytes));
        Assert.Equal((10L, 87_100L), logical1);
        Assert.Equal((10L, 68_100L), logical2);
        Assert.Equal(2, json.GetProperty("snapshots").GetInt32());
        Assert.Equal(0, json.GetProperty("skipped_manifests").GetInt32());
        Assert.Equal(entries, json.GetProperty("store_entries").GetInt64());
        Assert.Equal(bytes, json.GetProperty("store_bytes").GetInt64());
        Assert.Equal(logical1.Files + logical2.Files, json.GetProperty("logical_files").GetInt64());
        Assert.Equal(logical1.Bytes + logical2.Bytes, json.GetProperty("logical_bytes").GetInt64());
        Assert.Equal(1 - 106_100.0 / 155_200, json.GetProperty("saving_ratio").GetDouble());

        var expected = new[]
        {
            new UserRow("alice", 10_000 + 20_000 + 5_000 + 0 + 25_000 + 7_000, 3_000, 48_000 + 60_000, 6 + 7),
            new UserRow("bob", 31_000 + 5_000, 3_000, 39_000 + 8_000, 3 + 2),
            new UserRow(".", 100, 0, 200, 2),
        };
        Assert.Equal(expected, Users(json));
        Assert.Equal(expected, UsersOnDisk(s, "week1", "week2"));
        Assert.Equal(0, json.GetProperty("unreferenced_entries").GetInt64());
        Assert.Equal(0, json.GetProperty("missing_entries").GetInt64());

        // The table shows the same figures, aligned: every row as wide as the header.
        var table = text.StdoutLines.SkipWhile(l => !l.StartsWith("user ", StringComparison.Ordinal)).TakeWhile(l => !l.StartsWith("unreferenced:", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, table.Count);
        Assert.Matches(@"^user\s+unique bytes\s+shared bytes\s+logical bytes\s+files$", table[0]);
        Assert.Matches(@"^alice\s+67,000\s+3,000\s+108,000\s+13$", table[1]);
        Assert.Matches(@"^bob\s+36,000\s+3,000\s+47,000\s+5$", table[2]);
        Assert.Matches(@"^\.\s+100\s+0\s+200\s+2$", table[3]);
        Assert.All(table, row => Assert.Equal(table[0].Length, row.Length));
        Assert.Contains("store:          10 entries, 106,100 bytes (103.6 KiB), apparent size", text.StdoutLines);
        Assert.Contains("logical:        20 files, 155,200 bytes (151.6 KiB) (all snapshots, as plain copies)", text.StdoutLines);
        Assert.Contains("saving:         31.6% (1 - store/logical)", text.StdoutLines);
    }

    [Fact]
    public void Under_the_content_policy_a_file_both_users_own_is_shared_and_the_bigger_user_comes_first()
    {
        using var s = new Scenario();
        BuildWeek1(s);
        s.BackupSucceeds("week1", "--share=content");

        var json = Json(s);

        var (entries, bytes) = StoreOnDisk(s);
        Assert.Equal((7L, 69_100L), (entries, bytes)); // X once now, whoever owns it
        Assert.Equal(bytes, json.GetProperty("store_bytes").GetInt64());
        Assert.Equal(87_100, json.GetProperty("logical_bytes").GetInt64());
        var expected = new[]
        {
            new UserRow("bob", 31_000, 5_000 + 3_000, 39_000, 3),
            new UserRow("alice", 10_000 + 20_000 + 0, 5_000 + 3_000, 48_000, 6),
            new UserRow(".", 100, 0, 100, 1),
        };
        Assert.Equal(expected, Users(json));
        Assert.Equal(expected, UsersOnDisk(s, "week1"));
    }

    [Fact]
    public void Damaged_and_unfinished_manifests_are_skipped_with_a_notice_and_count_nothing()
    {
        using var s = new Scenario();
        BuildWeek1(s);
        s.BackupSucceeds("week1");
        var before = Json(s);
        var manifest = File.ReadAllLines(s.ManifestPath("week1"));
        var folder = Path.GetDirectoryName(s.ManifestPath("week1"))!;
        File.WriteAllLines(folder + "/truncated.manifest", manifest[..^3]);                      // no #end
        var entry = Array.FindIndex(manifest, l => !l.StartsWith('#')) + 1;                    // an entry below the root
        File.WriteAllLines(folder + "/miscounted.manifest", manifest.Where((_, i) => i != entry));   // #end N, N-1 entries
        File.WriteAllLines(folder + "/garbled.manifest", manifest.Select((l, i) => i == entry + 1 ? l.Replace('\t', ' ') : l));
        File.WriteAllLines(folder + "/week9.manifest.partial", manifest[..^1]);

        var result = PublishedCli.Run("stats", $"--datafolder={s.Data}", "--by=user", "--json");

        Expect.ExitCode(result, 0);
        var after = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.Equal(3, after.GetProperty("skipped_manifests").GetInt32());
        foreach (var field in new[] { "snapshots", "store_entries", "store_bytes", "logical_files", "logical_bytes" })
            Assert.Equal(before.GetProperty(field).GetInt64(), after.GetProperty(field).GetInt64());
        Assert.Equal(Users(before), Users(after));
        Assert.Equal(4, result.StderrLines.Count);
        Assert.Contains(result.StderrLines, l => l.StartsWith("actorbackup: notice: ", StringComparison.Ordinal) && l.Contains("truncated.manifest: incomplete (no #end line"));
        Assert.Contains(result.StderrLines, l => l.Contains("miscounted.manifest: damaged (#end says"));
        Assert.Contains(result.StderrLines, l => l.Contains("garbled.manifest: damaged ("));
        Assert.Contains(result.StderrLines, l => l.Contains("week9.manifest.partial: unfinished run (not a snapshot), not counted"));
    }

    [Fact]
    public void Stats_runs_while_a_backup_holds_the_lock_and_changes_nothing()
    {
        using var s = new Scenario();
        BuildWeek1(s);
        s.BackupSucceeds("week1");
        using var held = DataFolderLock.TryAcquire(s.Data + "/.actorbackup/lock", out _);
        Assert.NotNull(held);
        var before = TreeState.Capture(s.Temp.Path, notOpened: "data/.actorbackup/lock");

        var result = PublishedCli.Run("stats", $"--datafolder={s.Data}");

        Expect.Success(result);
        Assert.Contains("snapshots:      1", result.StdoutLines);
        Assert.Equal(before, TreeState.Capture(s.Temp.Path, notOpened: "data/.actorbackup/lock"));
    }

    [Fact]
    public void A_missing_data_folder_exits_7_and_an_unknown_by_exits_2()
    {
        using var s = new Scenario();

        Expect.Refusal(PublishedCli.Run("stats", $"--datafolder={s.Data}"), 7, $"data folder {s.Data} does not exist");
        Expect.Refusal(PublishedCli.Run("stats", $"--datafolder={s.Backups}", "--by=group"), 2, "--by=group is not known; use --by=user");
        Expect.Refusal(PublishedCli.Run("stats", $"--datafolder={s.Backups}"), 2, "is not an ActorBackup data folder");
    }

    /// <summary>Week 1: two users, a file duplicated inside alice's folder, one across users, a root-owned file in both, one at the top.</summary>
    private static void BuildWeek1(Scenario s)
    {
        s.Source
            .File("alice/a.bin", A)
            .File("alice/a-copy.bin", A)
            .File("alice/b.bin", B1)
            .File("alice/mine.bin", X)
            .File("alice/empty", [])
            .Symlink("alice/link", "a.bin")
            .File("alice/manual.pdf", Manual)
            .File("bob/c.bin", C)
            .File("bob/mine.bin", X)
            .File("bob/manual.pdf", Manual)
            .File("README", Readme);
        foreach (var path in new[] { "alice", "alice/a.bin", "alice/a-copy.bin", "alice/b.bin", "alice/mine.bin", "alice/empty", "alice/link" })
            s.Source.Chown(path, Alice, Alice);
        foreach (var path in new[] { "bob", "bob/c.bin", "bob/mine.bin" })
            s.Source.Chown(path, Bob, Bob);
    }

    private static JsonElement Json(Scenario s)
    {
        var result = PublishedCli.Run("stats", $"--datafolder={s.Data}", "--by=user", "--json");
        Expect.Success(result);
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }

    private static List<UserRow> Users(JsonElement json) =>
        json.GetProperty("users").EnumerateArray()
            .Select(u => new UserRow(u.GetProperty("user").GetString()!, u.GetProperty("unique_bytes").GetInt64(),
                u.GetProperty("shared_bytes").GetInt64(), u.GetProperty("logical_bytes").GetInt64(), u.GetProperty("files").GetInt64()))
            .ToList();

    /// <summary>The store's content entries by lstat: each inode once, and its size.</summary>
    private static (long Entries, long Bytes) StoreOnDisk(Scenario s)
    {
        var inodes = s.StoreEntries().DistinctBy(e => e.Meta.Inode).ToList();
        return (inodes.Count, inodes.Sum(e => e.Meta.Size));
    }

    /// <summary>Regular files of the source tree right now: the next snapshot's logical size.</summary>
    private static (long Files, long Bytes) SourceFiles(Scenario s)
    {
        var files = PosixFs.Walk(s.SourceRoot).Select(p => Files.Lstat(s.SourceRoot + "/" + p)).Where(m => m.Type == EntryType.File).ToList();
        return (files.Count, files.Sum(m => m.Size));
    }

    /// <summary>
    /// Per user from the snapshot trees alone: which users' paths are hardlinks of each
    /// inode (one user: unique; several: shared by each), and their files' sizes.
    /// </summary>
    private static List<UserRow> UsersOnDisk(Scenario s, params string[] snapshots)
    {
        var owners = new Dictionary<ulong, (long Size, HashSet<string> Users)>();
        var logical = new Dictionary<string, (long Bytes, long Files)>();
        foreach (var snapshot in snapshots)
        {
            foreach (var path in PosixFs.Walk(s.Snapshot(snapshot)))
            {
                var meta = Files.Lstat(s.InSnapshot(snapshot, path));
                if (meta.Type != EntryType.File)
                    continue;
                var user = path.Contains('/') ? path[..path.IndexOf('/')] : ".";
                if (!owners.TryGetValue(meta.Inode, out var o))
                    owners[meta.Inode] = o = (meta.Size, []);
                o.Users.Add(user);
                var l = logical.GetValueOrDefault(user);
                logical[user] = (l.Bytes + meta.Size, l.Files + 1);
            }
        }
        return logical.Keys
            .Select(u => new UserRow(u,
                owners.Values.Where(o => o.Users.Count == 1 && o.Users.Contains(u)).Sum(o => o.Size),
                owners.Values.Where(o => o.Users.Count > 1 && o.Users.Contains(u)).Sum(o => o.Size),
                logical[u].Bytes, logical[u].Files))
            .OrderByDescending(r => r.Unique).ThenBy(r => r.User, StringComparer.Ordinal)
            .ToList();
    }

    private sealed record UserRow(string User, long Unique, long Shared, long Logical, long Files);
}
