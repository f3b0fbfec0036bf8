using System.Diagnostics;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Testing;
using Xunit.Abstractions;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// The data folder's file system fills up during a run (a small tmpfs the test mounts): the
/// run stops with exit 13 and one line naming the folder, its file system and the fix,
/// leaves only whole store entries and no published snapshot; once space is freed, the next
/// run with the same backup folder completes and verify finds nothing.
/// </summary>
public sealed class FullDiskTests(ITestOutputHelper log)
{
    [Fact]
    public void A_data_folder_that_fills_up_while_content_is_copied_stops_with_exit_13_and_the_next_run_completes_once_space_is_freed()
    {
        var clock = Stopwatch.StartNew();
        using var s = new Scenario();
        for (var i = 0; i < 10; i++)
            s.Source.File($"big/{i}.bin", Scenario.Bytes(1 << 20, seed: 300 + i));
        for (var i = 0; i < 100; i++)
            s.Source.File($"small/{i}.txt", $"small file {i}\n");
        using var fs = new TmpfsMount(s.Temp.Combine("full-fs"), sizeMiB: 5);
        var data = fs.Path + "/data";
        var backup = fs.Path + "/backups/s1";

        var full = Backup(s, data, backup);

        ExpectNoSpace(full, data, fs.Path, backup);
        NothingPublished(data, backup, "s1");
        Assert.Empty(PosixFs.TempFiles(data));
        var whole = new StoreCheck(data).EntriesAreWhole();
        log.WriteLine($"full at {full.Elapsed.TotalSeconds:F1} s with {whole} whole entries stored: {full.StderrLines[^1]}");

        Remount(fs.Path, sizeMiB: 32);
        var next = Backup(s, data, backup);

        Expect.Success(next);
        CompleteAndClean(s, data, backup);
        log.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void A_data_folder_that_fills_up_while_the_manifest_is_sorted_publishes_nothing_and_the_next_run_completes()
    {
        var clock = Stopwatch.StartNew();
        using var s = new Scenario();
        // 1,500 files of one content (one store entry, one page) under long names: a journal
        // of more than 1.2 MB (every line holds its path), whose sorted copy cannot fit beside
        // it in 2 MiB.
        var folder = string.Join('/', Enumerable.Range(0, 3).Select(i => Names.OfLength(200, (char)('a' + i))));
        for (var i = 0; i < 1500; i++)
        {
            var path = $"{folder}/{i:D4}{Names.OfLength(196, 'f')}";
            s.Source.File(path, "same\n").Mtime(path, 1_700_000_000, 5);
        }
        using var fs = new TmpfsMount(s.Temp.Combine("full-fs"), sizeMiB: 2);
        var data = fs.Path + "/data";
        var backup = fs.Path + "/backups/s1";
        // Hashed first, so no temp copies of the 1,500 files take the space the manifest needs.
        var config = s.Temp.Combine("hash-first.conf");
        File.WriteAllText(config, "actorbackup.copy-first = off\n");

        var full = Backup(s, data, backup, $"--config={config}");

        ExpectNoSpace(full, data, fs.Path, backup);
        Assert.Contains("s1.manifest.sorting", full.StderrLines[^1]);
        NothingPublished(data, backup, "s1");
        new StoreCheck(data).EntriesAreWhole();
        log.WriteLine($"full while sorting at {full.Elapsed.TotalSeconds:F1} s: {full.StderrLines[^1]}");

        Remount(fs.Path, sizeMiB: 16);
        var next = Backup(s, data, backup, $"--config={config}");

        Expect.Success(next);
        CompleteAndClean(s, data, backup);
        log.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s");
    }

    private static ProcessResult Backup(Scenario s, string data, string backup, params string[] options) =>
        PublishedCli.Run([$"--rootfolder={s.SourceRoot}", $"--backupfolder={backup}", $"--datafolder={data}", "--createdirs", .. options], PublishedCli.DefaultTimeout);

    /// <summary>Exit 13 and exactly one line on standard error: the folder, its file system, the fix, and that nothing was published.</summary>
    private static void ExpectNoSpace(ProcessResult result, string data, string mount, string backup)
    {
        Expect.ExitCode(result, 13);
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith($"actorbackup: no space left on {data} (file system {mount}; ", line);
        Assert.Contains($"free space on {mount} and run again; the snapshot was not published, and the next run with the same backup folder resumes it", line);
        Assert.Contains(Path.GetDirectoryName(backup) + "/.s1.partial", line);
    }

    private static void NothingPublished(string data, string backup, string name)
    {
        Assert.False(PosixFs.Exists(backup), "no snapshot may be published after the disk filled up");
        Assert.False(PosixFs.Exists($"{data}/.actorbackup/snapshots/{name}.manifest"), "no complete manifest may exist for an unpublished snapshot");
    }

    private static void CompleteAndClean(Scenario s, string data, string backup)
    {
        var verify = PublishedCli.Run(["verify", $"--datafolder={data}", "--read-data"], PublishedCli.DefaultTimeout);
        Expect.Success(verify);
        Assert.True(verify.StdoutLines.Count == 1 && verify.StdoutLines[0].StartsWith("verify: clean;", StringComparison.Ordinal), $"expected no findings at all\n{verify}");
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, backup));
        Assert.Empty(PosixFs.TempFiles(data));
        Assert.Equal(["s1.manifest", "s1.summary"], PosixFs.ListNames(data + "/.actorbackup/snapshots"));
        new StoreCheck(data).EntriesAreWhole();
    }

    /// <summary>Frees space the way an admin would: the file system grows (tmpfs: a remount with a larger size).</summary>
    private static void Remount(string mount, int sizeMiB)
    {
        var result = PublishedCli.RunProgram("mount", ["-o", $"remount,size={sizeMiB}m", mount], TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
