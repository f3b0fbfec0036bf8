using System.Diagnostics;
using ActorBackup.Core;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// Runs stopped by signals, and data folders that are not what they should be: an entry
/// swapped for a symlink, a read-only file system, a bind mount that breaks every link, a
/// snapshot folder nothing can be linked into. Each ends with one line and its exit code.
/// </summary>
public sealed class StopAndStoreFaultTests
{
    [Theory]
    [InlineData(Signum.SIGTERM, 143, "SIGTERM")]
    [InlineData(Signum.SIGINT, 130, "SIGINT")]
    public void A_signal_stops_a_backup_with_one_line_its_exit_code_no_temp_files_and_the_next_run_resumes(Signum signal, int code, string name)
    {
        using var s = new Scenario();
        for (var i = 0; i < 400; i++)
            s.Source.File($"d{i % 8}/f{i:D3}", Scenario.Bytes(3000, i));

        var stopped = RunAndSignal(s, signal, "--filespause=10");
        var again = s.Backup("s1");

        Expect.ExitCode(stopped, code);
        Assert.Equal($"actorbackup: stopped by {name}; the snapshot was not published, and the next run with the same backup folder resumes it (its partial tree is {s.Backups}/.s1.partial)",
            Assert.Single(stopped.StderrLines));
        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(15), $"the run took {stopped.Elapsed} to stop");
        Assert.Empty(PosixFs.TempFiles(s.Data));
        Expect.Success(again);
        Assert.Equal(400, s.Manifest("s1").Entries.Count(e => e.Type == 'f'));
        Assert.False(PosixFs.Exists(s.Backups + "/.s1.partial"));
    }

    /// <summary>Starts a backup, waits until it has stored some files, signals it and waits for it to end.</summary>
    private static ProcessResult RunAndSignal(Scenario s, Signum signal, params string[] options)
    {
        string[] args = [$"--rootfolder={s.SourceRoot}", $"--backupfolder={s.Snapshot("s1")}", $"--datafolder={s.Data}", "--createdirs", "--doprogress=20", .. options];
        // Through env --default-signal: a test run started in the background (CI's script under
        // nohup or &) passes SIGINT on as ignored, and a program that finds SIGINT ignored keeps
        // it so, as a background job should. cron starts runs with every signal at its default.
        using var process = Process.Start(PublishedCli.Redirected("env", ["--default-signal=INT,TERM,HUP", PublishedCli.Executable, .. args]))!;
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        // The run is under way once a progress line is out: the actors, the lock, temp files.
        var first = process.StandardOutput.ReadLine();
        Assert.True(first?.StartsWith("progress:") == true, $"expected a progress line, got '{first}'");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var signalled = Stopwatch.StartNew();
        Assert.Equal(0, Syscall.kill(process.Id, signal));
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the run did not stop within 30 s of the signal");
        }
        return new ProcessResult("actorbackup", process.ExitCode, first + "\n" + stdout.Result, stderr.Result, process.Id, signalled.Elapsed, args);
    }

    [Fact]
    public void A_store_entry_swapped_for_a_symlink_is_never_linked_and_restore_takes_the_snapshots_intact_copy()
    {
        using var s = new Scenario();
        var bytes = Scenario.Bytes(5000, 1);
        s.Source.File("a.bin", bytes).File("b.txt", "b\n");
        s.BackupSucceeds("s1");
        var entry = s.EntryPath(Scenario.Sha1(bytes));
        Files.Unlink(entry);
        Assert.Equal(0, Syscall.symlink("/etc/passwd", entry));

        var second = s.Backup("s2");
        var target = s.Temp.Combine("restored");
        var restore = PublishedCli.Run("restore", $"--datafolder={s.Data}", "--snapshot=s1", $"--target={target}");

        Expect.ExitCode(second, 0);
        Assert.Equal($"actorbackup: notice: {entry}: this store entry is a symlink, not a regular file (replaced in the store): not linked into this snapshot (its files went to another entry, or a new one); run actorbackup verify",
            Assert.Single(second.StderrLines));
        Assert.Equal(EntryType.File, Files.Lstat(s.InSnapshot("s2", "a.bin")).Type);
        Assert.Equal(bytes, PosixFs.ReadBytes(s.InSnapshot("s2", "a.bin")));
        Assert.Equal("1", s.Manifest("s2").Entries.Single(e => e.Path == "a.bin").Suffix);
        Expect.ExitCode(restore, 0);
        Assert.Contains(restore.StderrLines, l => l == $"restore: notice: a.bin: its store entry {entry} is a symlink, not a regular file (not followed); restored from the snapshot's copy {s.InSnapshot("s1", "a.bin")} (run actorbackup verify)");
        Assert.Equal(bytes, PosixFs.ReadBytes(target + "/a.bin"));
    }

    [Fact]
    public void A_read_only_data_folder_is_exit_10_with_one_line_for_every_command_that_writes_and_reading_ones_work()
    {
        using var s = new Scenario();
        s.Source.File("a", "a\n");
        s.BackupSucceeds("s1");
        var target = s.Temp.Combine("restored");
        using var readOnly = new ReadOnlyBindMountInPlace(s.Temp.Path);

        var backup = s.Backup("s2");
        var prune = PublishedCli.Run("prune", $"--datafolder={s.Data}", $"--backuproot={s.Backups}", "--keep-last=1");
        var heal = PublishedCli.Run("verify", $"--datafolder={s.Data}", "--heal", $"--rootfolder={s.SourceRoot}");
        var verify = PublishedCli.Run("verify", $"--datafolder={s.Data}");
        var list = PublishedCli.Run("list", $"--datafolder={s.Data}");
        readOnly.Dispose();
        var restore = PublishedCli.Run("restore", $"--datafolder={s.Data}", "--snapshot=s1", $"--target={target}");

        var line = $"data folder {s.Data} is on a read-only file system";
        Expect.Refusal(backup, 10, line);
        Assert.Contains($"remount {s.Temp.Path} read-write", backup.Stderr);
        Expect.Refusal(prune, 10, line);
        Expect.ExitCode(heal, 10);
        Assert.Contains(line, Assert.Single(heal.StderrLines));
        Expect.Success(verify);
        Expect.Success(list);
        Expect.Success(restore);
    }

    [Fact]
    public void A_backup_folder_on_a_bind_mount_of_the_data_folders_file_system_is_refused_before_anything_is_written()
    {
        using var s = new Scenario();
        s.Source.File("a", "a\n");
        var view = s.Temp.Combine("view");
        using var bind = new BindMountFolder(s.Backups, view);

        var result = PublishedCli.Run($"--rootfolder={s.SourceRoot}", $"--backupfolder={view}/s1", $"--datafolder={s.Data}", "--createdirs");

        Expect.Refusal(result, 6, "reached through different mounts (a bind mount?): hardlinks between them fail (EXDEV)");
        Assert.Empty(PosixFs.ListNames(s.Backups));
        Assert.False(PosixFs.Exists(s.ManifestPath("s1")));
    }

    [Fact]
    public void A_snapshot_folder_no_file_can_be_linked_into_is_never_published()
    {
        using var s = new Scenario();
        s.Source.File("a", "a\n").File("b", "b\n");
        s.BackupSucceeds("s1");
        Directory.CreateDirectory(s.Snapshot("s2"));
        using var immutable = new Immutable(s.Snapshot("s2"));

        var result = s.Backup("s2", "--ignorefileexists");

        Expect.ExitCode(result, 1);
        Assert.Contains(result.StderrLines, l => l.Contains("none of the 2 files could be linked into the snapshot") && l.Contains("the snapshot was not published"));
        Assert.False(PosixFs.Exists(s.ManifestPath("s2")));
    }

    /// <summary>A folder made read-only by bind-mounting it onto itself: the data folder's file system, as EROFS gives it.</summary>
    private sealed class ReadOnlyBindMountInPlace(string path)
        : TestMount(path, "mount", "--bind", "-o", "ro", path, path);

    private sealed class BindMountFolder(string source, string mountPoint)
        : TestMount(mountPoint, "mount", "--bind", source, Directory.CreateDirectory(mountPoint).FullName);

    /// <summary>chattr +i: not even root may add a name to the folder.</summary>
    private sealed class Immutable : IDisposable
    {
        private readonly string _path;

        public Immutable(string path)
        {
            _path = path;
            Assert.Equal(0, PublishedCli.RunProgram("chattr", ["+i", path], TimeSpan.FromSeconds(10)).ExitCode);
        }

        public void Dispose() => PublishedCli.RunProgram("chattr", ["-i", _path], TimeSpan.FromSeconds(10));
    }
}
