using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// actorbackup list over real snapshots: the table and --json, the counts of each snapshot,
/// the new content its run stored (as that run's --dostats said), and the rows of partial,
/// being-deleted, damaged and older (summary-less) snapshots.
/// </summary>
public sealed class ListTests
{
    [Fact]
    public void List_shows_each_snapshot_with_its_files_size_and_the_new_content_its_run_stored_as_dostats_reported()
    {
        using var s = new Scenario();
        s.Source.File("a", Scenario.Bytes(3000, seed: 61)).File("b", "b\n").File("d/c", Scenario.Bytes(70_000, seed: 62)).File("d/same-as-b", "b\n").Symlink("l", "a");
        var runs = new List<(string Name, ProcessResult Result, long NewBytes)>();
        void Backup(string name)
        {
            var before = PosixFs.Exists(s.Data) ? s.StoreEntries().Select(e => e.RelativePath).ToHashSet() : [];
            var result = s.BackupSucceeds(name, "--dostats");
            runs.Add((name, result, s.StoreEntries().Where(e => !before.Contains(e.RelativePath)).Sum(e => e.Meta.Size)));
        }
        Backup("s1");
        PosixFs.Overwrite(s.Source.PathOf("b"), Encoding.ASCII.GetBytes("b, changed\n"));
        s.Source.File("e", Scenario.Bytes(5000, seed: 63));
        Backup("s2");
        Backup("s3"); // nothing changed: nothing new

        var rows = Catalog.ListJson(s);
        var table = Catalog.List(s);

        Expect.Success(table);
        Assert.Equal(["s1", "s2", "s3"], rows.Keys);
        foreach (var (name, result, newBytes) in runs)
        {
            var row = rows[name];
            var dostats = result.StdoutLines.Single(l => l.StartsWith("new content:", StringComparison.Ordinal));
            var newFiles = row.GetProperty("new_files").GetInt64();
            Assert.Equal(newBytes, row.GetProperty("new_bytes").GetInt64());
            Assert.Equal($"new content:      {newFiles} files, {DoStats.Bytes(newBytes)}", dostats);
            Assert.Equal("complete", row.GetProperty("status").GetString());
            Assert.Equal(s.SourceRoot, row.GetProperty("root").GetString());
            Assert.Equal(s.Snapshot(name), row.GetProperty("snapshot").GetString());
            Assert.Equal(s.Manifest(name).Header["started"], row.GetProperty("started").GetString());
            Assert.Equal(Catalog.RegularFiles(s.Snapshot(name)), row.GetProperty("files").GetInt64());
            Assert.Equal(TreeBytes(s.Snapshot(name)), row.GetProperty("bytes").GetInt64());
            Assert.Equal(JsonValueKind.Null, row.GetProperty("problem").ValueKind);
            Assert.Contains(table.StdoutLines, l => l.StartsWith(name + "  ", StringComparison.Ordinal)
                && l.Contains($"  {row.GetProperty("files").GetInt64()}  ", StringComparison.Ordinal) && l.EndsWith("  " + s.SourceRoot, StringComparison.Ordinal));
        }
        Assert.Equal((4, 3000 + 2 + 70_000 + 2), (rows["s1"].GetProperty("files").GetInt64(), rows["s1"].GetProperty("bytes").GetInt64()));
        Assert.Equal((3, 3000 + 70_000 + 2), (rows["s1"].GetProperty("new_files").GetInt64(), rows["s1"].GetProperty("new_bytes").GetInt64()));
        Assert.Equal((2, 11 + 5000), (rows["s2"].GetProperty("new_files").GetInt64(), rows["s2"].GetProperty("new_bytes").GetInt64()));
        Assert.Equal((0, 0), (rows["s3"].GetProperty("new_files").GetInt64(), rows["s3"].GetProperty("new_bytes").GetInt64()));
        Assert.Matches(@"^NAME  STARTED \(UTC\)\s+STATUS\s+FILES\s+SIZE  NEW FILES\s+NEW SIZE  ROOT$", table.StdoutLines[0]);
        AssertAligned(table.StdoutLines);
    }

    [Fact]
    public void List_shows_partial_deleting_damaged_and_summary_less_snapshots_without_taking_the_lock_or_failing()
    {
        using var s = new Scenario();
        s.Source.File("a", "a\n").File("b", "b\n");
        s.BackupSucceeds("s1");
        s.BackupSucceeds("s3");
        s.BackupSucceeds("s4");
        Catalog.SetStarted(s, "s1", "2026-01-04T02:00:00Z");
        Catalog.SetStarted(s, "s3", "2026-01-11T02:00:00Z");
        Catalog.SetStarted(s, "s4", "2026-01-18T02:00:00Z");
        for (var i = 0; i < 40; i++)
            s.Source.File($"slow/{i:D2}", $"slow {i}\n");

        // A run that is going on: list reads the catalog beside it (it takes no lock).
        var start = new ProcessStartInfo(PublishedCli.Executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { $"--rootfolder={s.SourceRoot}", $"--backupfolder={s.Snapshot("s2")}", $"--datafolder={s.Data}", "--filespause=200" })
            start.ArgumentList.Add(arg);
        Dictionary<string, JsonElement> during;
        using (var backup = Process.Start(start)!)
        {
            var clock = Stopwatch.StartNew();
            while (!PosixFs.Exists(Catalog.Folder(s) + "/s2.manifest.partial"))
            {
                Assert.False(backup.HasExited, "the backup ended before list could see it running");
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the backup did not start within 60 s");
                Thread.Sleep(5);
            }
            during = Catalog.ListJson(s);
            Assert.False(backup.HasExited, "the backup should still be running (40 files, 200 ms each)");
            backup.Kill(); // stopped midway: its journal stays, as after a crash
            backup.WaitForExit();
        }
        Assert.Equal("partial", during["s2"].GetProperty("status").GetString());

        // What prune's first step leaves; a damaged manifest (cut short); a snapshot from before summaries.
        File.Move(s.ManifestPath("s1"), s.ManifestPath("s1") + ".deleting");
        var s3 = File.ReadAllLines(s.ManifestPath("s3"));
        File.WriteAllText(s.ManifestPath("s3"), string.Join('\n', s3[..^2]) + "\n");
        File.Delete(Catalog.Folder(s) + "/s4.summary");

        var rows = Catalog.ListJson(s);
        var table = Catalog.List(s);

        Expect.ExitCode(table, 0);
        Assert.Equal(["s1", "s3", "s4", "s2"], rows.Keys); // oldest first; the running one started last
        Assert.Equal("deleting", rows["s1"].GetProperty("status").GetString());
        Assert.Equal(2, rows["s1"].GetProperty("files").GetInt64());
        Assert.Equal(2, rows["s1"].GetProperty("new_files").GetInt64());
        Assert.Equal("damaged", rows["s3"].GetProperty("status").GetString());
        Assert.Equal("no #end line: the run that wrote it did not finish", rows["s3"].GetProperty("problem").GetString());
        Assert.Equal("complete", rows["s4"].GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, rows["s4"].GetProperty("new_files").ValueKind);
        Assert.Equal(JsonValueKind.Null, rows["s4"].GetProperty("new_bytes").ValueKind);
        Assert.Equal("partial", rows["s2"].GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, rows["s2"].GetProperty("new_files").ValueKind);
        Assert.Equal([$"actorbackup: snapshot s3 is damaged: no #end line: the run that wrote it did not finish ({s.ManifestPath("s3")})"], table.StderrLines);
        Assert.Contains(table.StdoutLines, l => Regex.IsMatch(l, @"^s1\s+\S+ \S+\s+deleting\s+2\s"));
        Assert.Contains(table.StdoutLines, l => Regex.IsMatch(l, @"^s3\s+\S+ \S+\s+damaged\s"));
        Assert.Contains(table.StdoutLines, l => Regex.IsMatch(l, @"^s4\s+\S+ \S+\s+complete\s+2\s+4 B\s+-\s+-\s+/"));
        Assert.Contains(table.StdoutLines, l => Regex.IsMatch(l, @"^s2\s.*\spartial\s"));
        AssertAligned(table.StdoutLines);
    }

    [Fact]
    public void List_of_a_data_folder_without_snapshots_says_so_and_of_a_missing_one_exits_7()
    {
        using var s = new Scenario();
        Directory.CreateDirectory(s.Data);

        var empty = Catalog.List(s);
        var json = Catalog.List(s, "--json");
        var missing = PublishedCli.Run("list", $"--datafolder={s.Temp.Combine("nowhere")}");

        Expect.Success(empty);
        Assert.Equal([$"no snapshots in data folder {s.Data}"], empty.StdoutLines);
        Expect.Success(json);
        Assert.Equal("[]", json.Stdout.Trim());
        Expect.Refusal(missing, 7, "does not exist");
    }

    /// <summary>Every row's columns start where the header's do (numbers: end where they end).</summary>
    private static void AssertAligned(IReadOnlyList<string> lines)
    {
        var header = lines[0];
        var status = header.IndexOf("STATUS", StringComparison.Ordinal);
        var filesEnd = header.IndexOf("FILES", StringComparison.Ordinal) + "FILES".Length;
        var root = header.IndexOf("ROOT", StringComparison.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            Assert.True(line.Length > root && line[status - 1] == ' ' && line[status] != ' ', $"STATUS column misaligned:\n{header}\n{line}");
            Assert.True(line[filesEnd - 1] != ' ' && line[filesEnd] == ' ', $"FILES column misaligned:\n{header}\n{line}");
            Assert.True(line[root - 1] == ' ' && line[root] != ' ', $"ROOT column misaligned:\n{header}\n{line}");
        }
    }

    private static long TreeBytes(string root) =>
        PosixFs.Walk(root).Select(p => PosixFs.Lstat(root + "/" + p)).Where(st => PosixFs.TypeOf(st) == Mono.Unix.Native.FilePermissions.S_IFREG).Sum(st => st.st_size);
}
