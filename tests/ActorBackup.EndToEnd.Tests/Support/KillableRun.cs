using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.EndToEnd.Tests.Support;

/// <summary>What a kill condition sees of the run it watches.</summary>
internal sealed record RunView(int Pid, TimeSpan Elapsed, long FilesStored);

/// <summary>
/// A named moment to kill a run at: the run is killed with SIGKILL the first time
/// <paramref name="When"/> returns where it is (null: not yet).
/// </summary>
internal sealed record KillPoint(string Name, Func<RunView, string?> When);

/// <summary>How a watched run ended: killed (when, and where it was), or finished on its own before its kill point came.</summary>
internal sealed record KillOutcome(bool Killed, TimeSpan At, long FilesStored, string? Where, ProcessResult Result);

/// <summary>
/// Runs the published CLI as a real process and kills it with SIGKILL (kill -9: no handler,
/// no cleanup) the moment a <see cref="KillPoint"/> holds. The condition is polled every
/// millisecond or so; progress lines (--doprogress) are read as they come, so a condition
/// can ask how many files are in the snapshot so far.
/// </summary>
internal static partial class KillableRun
{
    [GeneratedRegex(@"^progress: (\d+) files")]
    private static partial Regex ProgressLine();

    public static KillOutcome Run(IReadOnlyList<string> args, KillPoint point, TimeSpan timeout)
    {
        var start = PublishedCli.Redirected(PublishedCli.Executable, args);
        using var process = new Process { StartInfo = start };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        long files = 0;
        var clock = Stopwatch.StartNew();
        process.Start();
        process.StandardInput.Close();
        // Own threads, not the thread pool's async reads: tests running beside this one can
        // keep the pool busy long enough for a short run to finish before its progress is seen.
        var readers = new[]
        {
            Reader(process.StandardOutput, stdout, line =>
            {
                var m = ProgressLine().Match(line);
                if (m.Success)
                    Interlocked.Exchange(ref files, long.Parse(m.Groups[1].Value));
            }),
            Reader(process.StandardError, stderr, _ => { }),
        };
        var killed = false;
        var at = TimeSpan.Zero;
        long filesAtKill = 0;
        string? where = null;
        try
        {
            while (!process.HasExited)
            {
                if (clock.Elapsed > timeout)
                    throw new TimeoutException($"actorbackup {string.Join(' ', args)} neither reached kill point '{point.Name}' nor finished within {timeout.TotalSeconds} s");
                filesAtKill = Interlocked.Read(ref files);
                where = point.When(new RunView(process.Id, clock.Elapsed, filesAtKill));
                if (where is not null)
                {
                    at = clock.Elapsed;
                    killed = Syscall.kill(process.Id, Signum.SIGKILL) == 0;
                    break;
                }
                Thread.Sleep(1);
            }
            process.WaitForExit();
            foreach (var reader in readers)
                reader.Join();
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }
        }
        // A kill that raced with the run's own exit did not kill it.
        killed &= process.ExitCode == 128 + 9;
        lock (stdout)
            lock (stderr)
                return new KillOutcome(killed, at, filesAtKill, where,
                    new ProcessResult("actorbackup", process.ExitCode, stdout.ToString(), stderr.ToString(), process.Id, clock.Elapsed, args.ToList()));
    }

    private static Thread Reader(StreamReader from, StringBuilder into, Action<string> seen)
    {
        var thread = new Thread(() =>
        {
            while (from.ReadLine() is { } line)
            {
                lock (into)
                    into.Append(line).Append('\n');
                seen(line);
            }
        }) { IsBackground = true, Name = "killable-run output" };
        thread.Start();
        return thread;
    }

    /// <summary>syncfs(2)'s number on this machine; -1 where unknown.</summary>
    private static readonly int SyncfsNumber = RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => 306,
        Architecture.Arm64 => 267,
        _ => -1,
    };

    /// <summary>True while a thread of <paramref name="pid"/> is inside syncfs(2) (from /proc/PID/task/*/syscall).</summary>
    public static bool InSyncfs(int pid)
    {
        if (SyncfsNumber < 0)
            return true; // cannot tell: the caller's other condition alone decides
        var prefix = SyncfsNumber + " ";
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    if (File.ReadAllText(task + "/syscall").StartsWith(prefix, StringComparison.Ordinal))
                        return true;
                }
                catch (IOException)
                {
                    // The thread ended meanwhile.
                }
            }
        }
        catch (IOException)
        {
            // The process ended meanwhile.
        }
        return false;
    }
}
