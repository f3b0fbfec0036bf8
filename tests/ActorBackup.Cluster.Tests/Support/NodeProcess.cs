using System.Collections.Concurrent;
using System.Diagnostics;
using ActorBackup.Testing;

namespace ActorBackup.Cluster.Tests.Support;

/// <summary>
/// One published `actorbackup` process of a test cluster (a node or a coordinator), running in
/// the background with standard output and error going straight to files (a shell redirect,
/// so the process never depends on this test host reading a pipe) and standard input
/// /dev/null. The process id is the tool's own (the shell execs it), so <see cref="Kill"/>
/// is a real kill -9 of the node. Every process started here is killed on Dispose, at test
/// host exit, and, if the host itself was killed, by the next test process (<see cref="Reaper"/>).
/// </summary>
internal sealed class NodeProcess : IDisposable
{
    private static readonly ConcurrentDictionary<int, NodeProcess> Live = new();

    private readonly Process _process;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly string _pidFile;

    static NodeProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var node in Live.Values)
            node.Kill();
    };

    private NodeProcess(string name, Process process, string stdoutPath, string stderrPath, IReadOnlyList<string> args, string pidFile)
    {
        Name = name;
        _process = process;
        StdoutPath = stdoutPath;
        StderrPath = stderrPath;
        Args = args;
        _pidFile = pidFile;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public string StdoutPath { get; }

    public string StderrPath { get; }

    public IReadOnlyList<string> Args { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts the published CLI with <paramref name="args"/>, logging to
    /// <paramref name="logFolder"/>/<paramref name="name"/>.out and .err. With
    /// <paramref name="hiddenFolder"/>, the process runs in a mount namespace of its own in which
    /// an empty tmpfs covers that folder: it cannot see what is inside, while this test can.
    /// </summary>
    public static NodeProcess Start(string name, string logFolder, IReadOnlyList<string> args, string? hiddenFolder = null)
    {
        Reaper.ReapOnce();
        var stdoutPath = Path.Combine(logFolder, name + ".out");
        var stderrPath = Path.Combine(logFolder, name + ".err");
        const string Run = "exec \"$@\" >\"$AB_STDOUT\" 2>\"$AB_STDERR\" </dev/null";
        var start = new ProcessStartInfo { UseShellExecute = false };
        var command = new List<string>();
        if (hiddenFolder is null)
            command.AddRange(["/bin/sh", "-c", Run, "sh"]);
        else
        {
            command.AddRange(["unshare", "--mount", "--propagation", "private",
                "/bin/sh", "-c", "mount -t tmpfs -o size=1m,mode=0755 tmpfs \"$AB_HIDE\" && " + Run, "sh"]);
            start.Environment["AB_HIDE"] = hiddenFolder;
        }
        command.Add(PublishedCli.Executable);
        command.AddRange(args);
        start.FileName = command[0];
        foreach (var arg in command.Skip(1))
            start.ArgumentList.Add(arg);
        start.Environment["AB_STDOUT"] = stdoutPath;
        start.Environment["AB_STDERR"] = stderrPath;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {name}");
        var pidFile = Reaper.Record(logFolder, process.Id);
        var node = new NodeProcess(name, process, stdoutPath, stderrPath, args, pidFile);
        Live[process.Id] = node;
        return node;
    }

    public string Stdout => ReadShared(StdoutPath);

    public string Stderr => ReadShared(StderrPath);

    public IReadOnlyList<string> StdoutLines => Lines(Stdout);

    /// <summary>
    /// Waits until a line of standard output (after the first <paramref name="skip"/> lines)
    /// matches; fails the test (with both logs) when the process exits first or
    /// <paramref name="timeout"/> passes.
    /// </summary>
    public string WaitForLine(Func<string, bool> match, TimeSpan timeout, string what, int skip = 0)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var exited = HasExited;
            var line = StdoutLines.Skip(skip).FirstOrDefault(match);
            if (line is not null)
                return line;
            if (exited)
                Assert.Fail($"{Name} exited before {what}\n{Describe()}");
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"{Name} did not show {what} within {timeout.TotalSeconds:F0} s\n{Describe()}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Waits for the process to end; kills it and fails the test after <paramref name="timeout"/>.</summary>
    public ProcessResult WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            var log = Describe();
            Kill();
            Assert.Fail($"{Name} did not finish within {timeout.TotalSeconds:F0} s and was killed\n{log}");
        }
        _process.WaitForExit();
        Forget();
        return new ProcessResult(Name, _process.ExitCode, Stdout, Stderr, Pid, _clock.Elapsed, Args);
    }

    /// <summary>SIGTERM, as systemctl stop sends it; waits for the process to end.</summary>
    public ProcessResult Terminate(TimeSpan timeout)
    {
        Mono.Unix.Native.Syscall.kill(Pid, Mono.Unix.Native.Signum.SIGTERM);
        return WaitForExit(timeout);
    }

    /// <summary>kill -9: the node gets no chance to leave the cluster or clean up.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(); // SIGKILL on Linux
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        Forget();
    }

    /// <summary>The command, state and both logs, for a failing assertion's message.</summary>
    public string Describe()
    {
        var state = HasExited ? $"exited with {_process.ExitCode}" : "running";
        return $"{Name} (pid {Pid}, {state} after {_clock.Elapsed.TotalSeconds:F1} s): actorbackup {string.Join(' ', Args)}\n" +
               $"--- {Name} stdout ---\n{Stdout}--- {Name} stderr ---\n{Stderr}";
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Forget()
    {
        Live.TryRemove(Pid, out _);
        File.Delete(_pidFile);
    }

    private static string ReadShared(string path)
    {
        if (!File.Exists(path))
            return "";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    // A line still being written has no newline yet: only complete lines count.
    private static List<string> Lines(string text)
    {
        var end = text.LastIndexOf('\n');
        return end < 0 ? [] : text[..end].Split('\n').Where(l => l.Length > 0).ToList();
    }
}
