using System.Text.Json;
using System.Text.RegularExpressions;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// actorbackup verify as a user runs it: real backups of real trees, damage done the way a
/// disk or a careless admin does it (bytes flipped in place with the times put back, files
/// replaced, deleted, renamed), then the exit code, the one line per finding, and the disk.
/// </summary>
public sealed class VerifyTests(TwoSnapshotsFixture twoSnapshots) : IClassFixture<TwoSnapshotsFixture>
{
    private static readonly byte[] Shared = TwoSnapshotsFixture.Shared;
    private static readonly byte[] Other = TwoSnapshotsFixture.Other;

    /// <summary>Two snapshots of a tree in which two files share one content: 4 snapshot paths link its entry.</summary>
    private Scenario TwoSnapshots() => twoSnapshots.Fresh();

    private static readonly string[] SharedPaths = ["s1/copy/shared.bin", "s1/docs/shared.bin", "s2/copy/shared.bin", "s2/docs/shared.bin"];

    private static ProcessResult Verify(Scenario s, params string[] options) =>
        PublishedCli.Run(["verify", $"--datafolder={s.Data}", .. options], PublishedCli.DefaultTimeout);

    private static readonly string[] FindingLabels = ["problem:", "notice:", "damaged:", "healed:"];

    private static List<string> Findings(ProcessResult r) =>
        r.StdoutLines.Where(l => FindingLabels.Any(p => l.StartsWith(p, StringComparison.Ordinal))).ToList();

    /// <summary>Exactly one finding line with this label about <paramref name="subject"/>; returns it.</summary>
    private static string OneFinding(ProcessResult r, string label, string subject)
    {
        var lines = Findings(r).Where(l => l.StartsWith($"{label}: {subject}:", StringComparison.Ordinal)).ToList();
        if (lines.Count != 1)
            Assert.Fail($"expected one '{label}: {subject}:' line, found {lines.Count}\n{r}");
        return lines[0];
    }

    private static void Clean(ProcessResult r)
    {
        Expect.Success(r);
        if (Findings(r).Count > 0)
            Assert.Fail($"expected no finding lines\n{r}");
        Assert.StartsWith("verify: clean;", r.StdoutLines[^1]);
    }

    private static void DamageFound(ProcessResult r)
    {
        Expect.ExitCode(r, 20);
        Assert.StartsWith("verify: damage found;", r.StdoutLines[^1]);
        var err = Assert.Single(r.StderrLines);
        Assert.StartsWith("actorbackup: verify found damage in data folder", err);
    }

    /// <summary>Flips bytes in the middle of a file through its own inode, keeping its size, atime and mtime (as bit rot does).</summary>
    private static void Rot(string path)
    {
        var before = PosixFs.Lstat(path);
        var bytes = PosixFs.ReadBytes(path);
        for (var i = bytes.Length / 2; i < bytes.Length / 2 + 4 && i < bytes.Length; i++)
            bytes[i] ^= 0x5A;
        PosixFs.Overwrite(path, bytes);
        PosixFs.SetTimes(path, (before.st_atime, before.st_atime_nsec), (before.st_mtime, before.st_mtime_nsec));
        var after = PosixFs.Lstat(path);
        Assert.Equal((before.st_ino, before.st_size, before.st_mtime, before.st_mtime_nsec), (after.st_ino, after.st_size, after.st_mtime, after.st_mtime_nsec));
    }

    [Fact]
    public void A_clean_data_folder_with_two_snapshots_sharing_content_verifies_clean_structurally_and_by_reading_every_entry()
    {
        var s = TwoSnapshots();

        var structural = Verify(s);
        var full = Verify(s, "--read-data");

        Clean(structural);
        Assert.Contains("2 snapshots (", structural.Stdout);
        Assert.Contains("no entries read", structural.Stdout);
        Clean(full);
        // shared, other, empty, new.txt: 4 entries, all read (50,000 + 3,000 + 0 + 11 bytes)
        Assert.Contains("4 store entries checked; 4 entries read (51.8 KiB)", full.StdoutLines[^1]);
    }

    [Fact]
    public void An_entry_rotten_in_place_is_found_only_by_read_data_which_names_every_snapshot_path_linking_it()
    {
        var s = TwoSnapshots();
        var entry = s.EntryPath(Scenario.Sha1(Shared));
        Rot(entry);

        var structural = Verify(s);
        var full = Verify(s, "--read-data");

        Clean(structural); // same size, same times: nothing but the bytes can tell
        DamageFound(full);
        var line = OneFinding(full, "damaged", entry);
        Assert.Contains("no longer match its name", line);
        foreach (var path in SharedPaths)
            Assert.Contains(s.Backups + "/" + path, line);
        Assert.DoesNotContain("other.bin", line);
        Assert.Single(Findings(full));
        Assert.Contains("1 damaged, 0 healed", full.StdoutLines[^1]);
    }

    [Fact]
    public void Heal_rewrites_the_damaged_inode_from_the_unchanged_source_so_every_snapshot_path_reads_right_again()
    {
        var s = TwoSnapshots();
        var entry = s.EntryPath(Scenario.Sha1(Shared));
        var before = PosixFs.Lstat(entry);
        Rot(entry);

        var heal = Verify(s, "--heal", $"--rootfolder={s.SourceRoot}");

        Expect.ExitCode(heal, 21);
        Assert.Empty(heal.StderrLines);
        var line = OneFinding(heal, "healed", entry);
        Assert.Contains($"same inode {before.st_ino}", line);
        foreach (var path in SharedPaths)
            Assert.Contains(s.Backups + "/" + path, line);
        Assert.StartsWith("verify: all damage healed;", heal.StdoutLines[^1]);

        var after = PosixFs.Lstat(entry);
        Assert.Equal(before.st_ino, after.st_ino);
        Assert.Equal(before.st_nlink, after.st_nlink);
        Assert.Equal((before.st_mtime, before.st_mtime_nsec), (after.st_mtime, after.st_mtime_nsec));
        Expect.Owner(1234, 1234, entry);
        Expect.Mode(640, entry);
        Assert.Equal(Shared, PosixFs.ReadBytes(entry));
        foreach (var path in SharedPaths)
        {
            Assert.Equal(Shared, PosixFs.ReadBytes(s.Backups + "/" + path));
            Expect.SameInode(entry, s.Backups + "/" + path);
        }
        Assert.Empty(PosixFs.TempFiles(s.Data)); // its temp copy is gone

        Clean(Verify(s, "--read-data"));
    }

    [Fact]
    public void Damage_whose_source_changed_too_is_not_healed_says_why_and_leaves_the_entry_alone()
    {
        var s = TwoSnapshots();
        var entry = s.EntryPath(Scenario.Sha1(Other));
        Rot(entry);
        var rotten = PosixFs.ReadBytes(entry);
        var changed = (byte[])Other.Clone();
        changed[0] ^= 1;
        PosixFs.Overwrite(s.Source.PathOf("other.bin"), changed); // same size, other content

        var heal = Verify(s, "--heal", $"--rootfolder={s.SourceRoot}");

        DamageFound(heal);
        var line = OneFinding(heal, "damaged", entry);
        Assert.Contains($"not healed: no source file has that content any more ({s.SourceRoot}/other.bin has changed (same size, other content))", line);
        Assert.Contains(s.InSnapshot("s1", "other.bin"), line);
        Assert.Contains(s.InSnapshot("s2", "other.bin"), line);
        Assert.Contains("1 damaged, 0 healed", heal.StdoutLines[^1]);
        Assert.Equal(rotten, PosixFs.ReadBytes(entry));
    }

    [Fact]
    public void A_truncated_entry_is_a_structural_problem_that_heal_repairs_for_exit_21()
    {
        var s = TwoSnapshots();
        var entry = s.EntryPath(Scenario.Sha1(Other));
        var mtime = PosixFs.Lstat(entry);
        PosixFs.Overwrite(entry, Other[..1000]);
        PosixFs.SetTimes(entry, (mtime.st_atime, mtime.st_atime_nsec), (mtime.st_mtime, mtime.st_mtime_nsec));

        var structural = Verify(s);
        var heal = Verify(s, "--heal", $"--rootfolder={s.SourceRoot}");

        DamageFound(structural);
        Assert.Contains($"store entry has 1000 bytes, the manifests record {Other.Length}", OneFinding(structural, "problem", entry));
        Expect.ExitCode(heal, 21);
        OneFinding(heal, "healed", entry);
        Assert.Equal(Other, PosixFs.ReadBytes(entry));
        Clean(Verify(s, "--read-data"));
    }

    [Fact]
    public void Read_data_subset_of_25_percent_checks_each_entry_once_in_four_runs_then_wraps()
    {
        using var s = new Scenario();
        for (var i = 0; i < 8; i++)
            s.Source.File($"f{i}", Scenario.Bytes(100 + i, seed: 100 + i));
        s.BackupSucceeds("s1");
        var names = s.StoreEntries().Select(e => e.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(8, names.Count);
        // Rot the 6th entry in hash order: only the run whose slice holds it may find it.
        Rot(s.EntryPath(names[5]));
        var positionFile = s.Data + "/.actorbackup/verify-position";
        var slice = new Regex(@"checking entries (\d+) to (\d+) of (\d+) in hash order \((\S+) to (\S+)\)");

        var seen = new List<string>();
        for (var run = 1; run <= 5; run++)
        {
            var r = Verify(s, "--read-data-subset=25%", "-v");
            var m = slice.Match(r.Stdout);
            Assert.True(m.Success, $"run {run}: no slice line\n{r}");
            var (from, to) = (int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value));
            Assert.Equal(8, int.Parse(m.Groups[3].Value));
            Assert.Equal((names[from - 1], names[to - 1]), (m.Groups[4].Value, m.Groups[5].Value));
            Assert.Equal(names[to - 1] + "\n", File.ReadAllText(positionFile));
            Assert.Contains($"; 2 entries read (", r.StdoutLines[^1]);
            if (run == 5)
            {
                Assert.Equal((1, 2), (from, to)); // wrapped around
                Assert.Contains("starting over from the first", r.Stdout);
                Clean(r);
                break;
            }
            seen.AddRange(names[(from - 1)..to]);
            if (from <= 6 && 6 <= to)
            {
                DamageFound(r);
                OneFinding(r, "damaged", s.EntryPath(names[5]));
            }
            else
                Expect.Success(r);
        }
        Assert.Equal(names, seen); // every entry once, in hash order
    }

    [Fact]
    public void A_snapshot_file_replaced_by_another_inode_and_a_deleted_one_are_problems_naming_the_fix()
    {
        var s = TwoSnapshots();
        var entry = s.EntryPath(Scenario.Sha1(Shared));
        var replaced = s.InSnapshot("s1", "docs/shared.bin");
        File.Delete(replaced);
        File.WriteAllBytes(replaced, Shared); // same bytes, but a copy: no longer the entry's inode
        var deleted = s.InSnapshot("s2", "other.bin");
        File.Delete(deleted);

        var r = Verify(s);

        DamageFound(r);
        Assert.Contains($"is not a link of its store entry {entry}", OneFinding(r, "problem", replaced));
        Assert.EndsWith($"link it again: ln -f {entry} {replaced}", OneFinding(r, "problem", replaced));
        Assert.EndsWith($"link it again: ln {s.EntryPath(Scenario.Sha1(Other))} {deleted}", OneFinding(r, "problem", deleted));
        Assert.Equal(2, Findings(r).Count);
        Assert.Contains("2 problems, 0 notices", r.StdoutLines[^1]);
    }

    [Fact]
    public void A_store_name_that_is_no_hash_is_a_structural_problem_and_a_stray_temp_file_a_notice()
    {
        var s = TwoSnapshots();
        var entry = s.EntryPath(Scenario.Sha1(Other));
        var misnamed = Path.GetDirectoryName(entry) + "/" + Path.GetFileName(entry) + ".tmp";
        File.Copy(entry, misnamed);
        var temp = s.Data + "/.actorbackup/tmp/01/4242-h1.tmp";
        Directory.CreateDirectory(Path.GetDirectoryName(temp)!);
        File.WriteAllText(temp, "half a file");
        var older = s.Data + "/.actorbackup/tmp/4242-h2.tmp"; // where versions before the subfolders wrote
        File.WriteAllText(older, "half a file");

        var r = Verify(s);

        DamageFound(r);
        Assert.Contains("is not a store entry name", OneFinding(r, "problem", misnamed));
        Assert.Contains("is a temp file left by an interrupted run", OneFinding(r, "notice", temp));
        Assert.Contains("is a temp file left by an interrupted run", OneFinding(r, "notice", older));
        Assert.Equal(3, Findings(r).Count);

        File.Delete(misnamed);
        var onlyLitter = Verify(s);
        Expect.Success(onlyLitter); // a notice alone keeps exit 0
        OneFinding(onlyLitter, "notice", temp);
    }

    [Fact]
    public void An_entry_named_by_a_hash_that_is_not_its_content_is_found_by_read_data_and_a_renamed_one_is_missing()
    {
        var s = TwoSnapshots();
        var other = s.EntryPath(Scenario.Sha1(Other));
        var wrongName = s.EntryPath(Scenario.Sha1("not this content"u8.ToArray()));
        Directory.CreateDirectory(Path.GetDirectoryName(wrongName)!);
        File.Copy(other, wrongName);

        var structural = Verify(s);
        var full = Verify(s, "--read-data");

        Expect.Success(structural); // a well-formed name: only its bytes can tell
        Assert.Contains("unreferenced", OneFinding(structural, "notice", wrongName));
        DamageFound(full);
        Assert.Contains("linked by no snapshot", OneFinding(full, "damaged", wrongName));

        File.Delete(wrongName);
        File.Move(other, wrongName); // the entry the manifests name is gone
        var renamed = Verify(s);
        DamageFound(renamed);
        Assert.Contains("store entry is missing, though manifests name it", OneFinding(renamed, "problem", other));
    }

    [Fact]
    public void A_locked_data_folder_is_refused_with_exit_11()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        s.BackupSucceeds("s1");

        using (var held = DataFolderLock.TryAcquire(s.Data + "/.actorbackup/lock", out _))
        {
            Assert.NotNull(held);
            Expect.Refusal(Verify(s, "--read-data"), 11, $"locked by PID {Environment.ProcessId}");
        }
        Clean(Verify(s));
    }

    [Fact]
    public void Bad_requests_are_refused_with_one_line_unknown_snapshot_9_bad_values_2()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        s.BackupSucceeds("s1");

        Expect.Refusal(Verify(s, "--snapshot=nope"), 9, "has no complete snapshot named nope");
        foreach (var bad in new[] { "0%", "101%", "abc", "-5%" })
            Expect.Refusal(Verify(s, $"--read-data-subset={bad}"), 2, $"--read-data-subset={bad} is not a percentage above 0 and at most 100");
        Expect.Refusal(Verify(s, "--heal"), 2, "--heal needs --rootfolder=DIR");
        Expect.Refusal(Verify(s, "--read-data", "--read-data-subset=5%"), 2, "not both");
        Clean(Verify(s, "--snapshot=s1", "--read-data"));
    }

    [Fact]
    public void Json_output_is_one_object_per_finding_and_a_summary_with_any_name_escaped_on_one_line()
    {
        using var s = new Scenario();
        var name = Names.FromBytes(0x61, 0x20, 0xFF, 0x0A, 0x62); // "a", space, a byte that is not UTF-8, newline, "b"
        s.Source.File(name, "a");
        s.BackupSucceeds("s1");
        Files.Unlink(s.InSnapshot("s1", name));

        var r = Verify(s, "--json");

        Expect.ExitCode(r, 20);
        var objects = r.StdoutLines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["problem", "summary"], objects.Select(o => o.GetProperty("kind").GetString()));
        Assert.Equal(s.Snapshot("s1") + "/a%20%FF%0Ab", objects[0].GetProperty("subject").GetString());
        Assert.Equal("damage found", objects[1].GetProperty("result").GetString());
        Assert.Equal(1, objects[1].GetProperty("problems").GetInt32());
    }
}

/// <summary>
/// Two snapshots built once for the class (two backup runs), handed to each test pristine:
/// restored with cp -a (hardlinks, owners, modes and times to the nanosecond kept) at the same
/// absolute path, since manifests name their snapshot and root folders by absolute path.
/// xUnit runs one class's tests one after another, so they never share it at once.
/// </summary>
public sealed class TwoSnapshotsFixture : IDisposable
{
    public static readonly byte[] Shared = Scenario.Bytes(50_000, seed: 7);
    public static readonly byte[] Other = Scenario.Bytes(3_000, seed: 8);

    private readonly Scenario _scenario;
    private readonly string _pristine;

    public TwoSnapshotsFixture()
    {
        _scenario = new Scenario();
        _scenario.Source
            .File("docs/shared.bin", Shared, mode: 640).Chown("docs/shared.bin", 1234, 1234).Chmod("docs/shared.bin", 640)
            .File("copy/shared.bin", Shared, mode: 640).Chown("copy/shared.bin", 1234, 1234).Chmod("copy/shared.bin", 640)
            .File("other.bin", Other)
            .File("empty", [])
            .Symlink("link", "other.bin");
        _scenario.BackupSucceeds("s1");
        _scenario.Source.File("new.txt", "only in s2\n");
        _scenario.BackupSucceeds("s2");
        _pristine = _scenario.Temp.Path + ".pristine";
        Copy(_scenario.Temp.Path, _pristine);
    }

    internal Scenario Fresh()
    {
        PosixFs.RemoveTree(_scenario.Temp.Path);
        Copy(_pristine, _scenario.Temp.Path);
        return _scenario;
    }

    private static void Copy(string from, string to)
    {
        var cp = PublishedCli.RunProgram("cp", ["-a", from, to], TimeSpan.FromSeconds(30));
        Assert.True(cp.ExitCode == 0, cp.ToString());
    }

    public void Dispose()
    {
        _scenario.Dispose();
        PosixFs.RemoveTree(_pristine);
    }
}
