using System.Diagnostics;
using System.Text;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// D/.actorbackup/lock: an fcntl lock, which belongs to a process, so this test process can
/// hold it against the CLI's child process exactly as a running backup would.
/// </summary>
public sealed class LockTests
{
    [Fact]
    public void A_data_folder_locked_by_a_running_process_is_refused_with_exit_11_naming_its_PID()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        s.BackupSucceeds("s1");
        var lockFile = s.Data + "/.actorbackup/lock";

        using (var held = DataFolderLock.TryAcquire(lockFile, out _))
        {
            Assert.NotNull(held);
            // Reading the lock file would drop our lock (closing any descriptor of it does).
            var before = TreeState.Capture(s.Temp.Path, notOpened: "data/.actorbackup/lock");

            var result = s.Backup("s2");

            Expect.Refusal(result, 11, $"locked by PID {Environment.ProcessId}");
            Assert.Equal(before, TreeState.Capture(s.Temp.Path, notOpened: "data/.actorbackup/lock"));
        }

        s.BackupSucceeds("s2"); // released: the next run goes ahead
    }

    [Fact]
    public void A_lock_file_left_by_a_dead_process_does_not_block_the_next_run()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        s.BackupSucceeds("s1");
        var lockFile = s.Data + "/.actorbackup/lock";
        PosixFs.Overwrite(lockFile, Encoding.ASCII.GetBytes($"{DeadPid()}\n"));

        var result = s.BackupSucceeds("s2");

        Assert.True(PosixFs.Exists(s.InSnapshot("s2", "a")));
        Assert.Equal($"{result.Pid}\n", Encoding.ASCII.GetString(PosixFs.ReadBytes(lockFile)));
    }

    /// <summary>The PID of a process that has exited (and held no lock when it did).</summary>
    private static int DeadPid()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }
}
