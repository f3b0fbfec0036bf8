using System.Diagnostics;
using ActorBackup.Testing;

namespace ActorBackup.Tls.Tests.Support;

/// <summary>
/// A long-running `actorbackup node` as a real process, its output collected line by line
/// while it runs. Dispose kills it with its children, whether the test passed or not.
/// </summary>
internal sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly string _command;

    private NodeProcess(Process process, string command)
    {
        _process = process;
        _command = command;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> StdoutLines
    {
        get
        {
            lock (_stdout)
                return _stdout.ToList();
        }
    }

    public IReadOnlyList<string> StderrLines
    {
        get
        {
            lock (_stderr)
                return _stderr.ToList();
        }
    }

    /// <summary>Starts the published CLI with <paramref name="args"/>; standard input is a closed pipe.</summary>
    public static NodeProcess Start(params string[] args)
    {
        var start = PublishedCli.Redirected(PublishedCli.Executable, args);
        var node = new NodeProcess(new Process { StartInfo = start }, $"actorbackup {string.Join(' ', args)}");
        node._process.OutputDataReceived += (_, e) => Collect(node._stdout, e.Data);
        node._process.ErrorDataReceived += (_, e) => Collect(node._stderr, e.Data);
        node._process.Start();
        node._process.StandardInput.Close();
        node._process.BeginOutputReadLine();
        node._process.BeginErrorReadLine();
        return node;
    }

    /// <summary>The first standard output line matching <paramref name="match"/>; fails with all output if none comes in time or the node exits.</summary>
    public string WaitForLine(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var line = StdoutLines.FirstOrDefault(match);
            if (line is not null)
                return line;
            if (_process.HasExited)
            {
                _process.WaitForExit(); // drains the output events
                Assert.Fail($"the node exited with code {_process.ExitCode} before {what}\n{this}");
            }
            Thread.Sleep(50);
        }
        Assert.Fail($"the node did not show {what} within {timeout.TotalSeconds} s\n{this}");
        return "";
    }

    /// <summary>Everything the node printed so far, for a failing assertion's message.</summary>
    public override string ToString() =>
        $"{_command} (pid {_process.Id}{(_process.HasExited ? $", exited with {_process.ExitCode}" : ", running")})\n" +
        $"--- stdout ---\n{string.Join('\n', StdoutLines.Where(l => !l.Contains(" stats ", StringComparison.Ordinal)))}\n--- stderr ---\n{string.Join('\n', StderrLines)}";

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static void Collect(List<string> lines, string? line)
    {
        if (line is null)
            return;
        lock (lines)
            lines.Add(line);
    }
}
