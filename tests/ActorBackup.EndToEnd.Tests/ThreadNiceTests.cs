using System.Diagnostics;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// actorbackup.store-priority, as `ps -L -o nice,comm` shows it while a backup runs: the
/// data-store's thread keeps the nice the program was started with (here `nice -n 3`), every
/// other thread started by the program runs that much nicer, and no thread less nice than 3.
/// </summary>
public sealed class ThreadNiceTests
{
    private const int Started = 3;

    [Fact]
    public void Backup_as_root_keeps_the_data_store_thread_at_the_started_nice_and_runs_the_others_five_nicer()
    {
        // With --config (parsed on a pool thread before the actor system starts).
        var threads = ThreadsDuringRun(config: "actorbackup.store-priority = 5\n", until: t => t.Any(x => x.Dispatcher && x.Nice == Started) && t.Count(x => x.Dispatcher && x.Nice == Started + 5) >= 2);

        var dispatchers = threads.Where(t => t.Dispatcher).ToList();
        Assert.Single(dispatchers, t => t.Nice == Started); // the data-store's pinned thread
        Assert.All(dispatchers.Where(t => t.Nice != Started), t => Assert.Equal(Started + 5, t.Nice));
        Assert.Equal(Started + 5, threads.Single(t => t.Main).Nice);
        Assert.All(threads.Where(t => t.Comm is ".NET Finalizer" or ".NET Tiered Com"), t => Assert.Equal(Started + 5, t.Nice)); // started before
        Assert.All(threads, t => Assert.True(t.Nice >= Started, $"thread {t.Comm} runs at nice {t.Nice}, less nice than the {Started} it was started with"));
    }

    [Fact]
    public void Store_priority_0_leaves_every_thread_at_the_started_nice()
    {
        var threads = ThreadsDuringRun(config: "actorbackup.store-priority = 0\n", until: t => t.Count(x => x.Dispatcher) >= 2);

        Assert.All(threads, t => Assert.Equal(Started, t.Nice));
    }

    private sealed record ThreadInfo(string Comm, int Nice, bool Main)
    {
        public bool Dispatcher => Comm.StartsWith("actorbackup.dis", StringComparison.Ordinal);
    }

    /// <summary>
    /// Starts a slow backup (40 files, 100 ms each) under `nice -n 3`, and reads its threads'
    /// names and nice values from /proc once the data-store has opened the snapshot (its
    /// thread has started) and <paramref name="until"/> holds, or after 30 s.
    /// </summary>
    private static List<ThreadInfo> ThreadsDuringRun(string? config, Func<List<ThreadInfo>, bool> until)
    {
        Assert.True(Files.IsRoot, "the data-store's thread can return to the started nice only with CAP_SYS_NICE: run the tests as root");
        using var s = new Scenario();
        for (var i = 0; i < 40; i++)
            s.Source.File($"slow/{i:D2}", $"slow {i}\n");
        var args = new List<string> { "-n", Started.ToString(), PublishedCli.Executable, $"--rootfolder={s.SourceRoot}", $"--backupfolder={s.Snapshot("s1")}", $"--datafolder={s.Data}", "--createdirs", "--filespause=100" };
        if (config is not null)
        {
            var file = s.Temp.Combine("nice.conf");
            File.WriteAllText(file, config);
            args.Add($"--config={file}");
        }
        using var backup = Process.Start(PublishedCli.Redirected("nice", args))!;
        backup.StandardInput.Close();
        try
        {
            var clock = Stopwatch.StartNew();
            List<ThreadInfo> threads;
            do
            {
                Thread.Sleep(20);
                if (backup.HasExited)
                    Assert.Fail($"the backup ended (exit {backup.ExitCode}) before its threads were seen: {backup.StandardError.ReadToEnd()}");
                threads = Read(backup.Id);
            }
            while (!(PosixFs.Exists(Catalog.Folder(s) + "/s1.manifest.partial") && until(threads)) && clock.Elapsed < TimeSpan.FromSeconds(30));
            return threads;
        }
        finally
        {
            backup.Kill(entireProcessTree: true);
            backup.WaitForExit();
        }
    }

    private static List<ThreadInfo> Read(int pid)
    {
        var threads = new List<ThreadInfo>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var stat = File.ReadAllText(task + "/stat");
                // pid (comm) state ppid ...: nice is the 19th field, the 17th after "(comm) ".
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                threads.Add(new ThreadInfo(File.ReadAllText(task + "/comm").TrimEnd('\n'), int.Parse(fields[16]), Path.GetFileName(task) == pid.ToString()));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // a thread that ended while listed
            }
        }
        return threads;
    }
}
