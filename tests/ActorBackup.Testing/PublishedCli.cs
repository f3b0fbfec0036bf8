using System.Diagnostics;
using System.Text;

namespace ActorBackup.Testing;

/// <summary>What one run of the published CLI did.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr, int Pid, TimeSpan Elapsed, IReadOnlyList<string> Args)
{
    public IReadOnlyList<string> StderrLines => Lines(Stderr);

    public IReadOnlyList<string> StdoutLines => Lines(Stdout);

    /// <summary>Everything about the run, for a failing assertion's message.</summary>
    public override string ToString() =>
        $"actorbackup {string.Join(' ', Args)}\nexit code {ExitCode} after {Elapsed.TotalSeconds:F1} s\n--- stdout ---\n{Stdout}--- stderr ---\n{Stderr}";

    private static List<string> Lines(string text) => text.Split('\n').Where(l => l.Length > 0).ToList();
}

/// <summary>
/// The CLI as users get it: src/ActorBackup.Cli published once per test process
/// (<c>dotnet publish -c Release</c> into a temp folder, removed at exit) and run as a real
/// process. Standard input is a closed pipe, so the tool sees no terminal and never waits
/// for an answer.
/// </summary>
public static class PublishedCli
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    private static readonly Lazy<string> Folder = new(Publish, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The published executable (publishes on first use).</summary>
    public static string Executable => Path.Combine(Folder.Value, "actorbackup");

    public static CliResult Run(params string[] args) => Run(args, DefaultTimeout);

    /// <summary>Runs the CLI with <paramref name="args"/>; a run longer than <paramref name="timeout"/> is killed and fails the test.</summary>
    public static CliResult Run(IReadOnlyList<string> args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        var (code, stdout, stderr, pid, elapsed) = RunProcess(start, timeout, $"actorbackup {string.Join(' ', args)}");
        return new CliResult(code, stdout, stderr, pid, elapsed, args.ToList());
    }

    private static string Publish()
    {
        var output = Path.Combine(Path.GetTempPath(), $"actorbackup-published-{Environment.ProcessId}-{Guid.NewGuid():N}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(output, recursive: true);
            }
            catch (IOException)
            {
                // Leaves one folder in the temp folder; nothing else to do at exit.
            }
        };
        var project = Path.Combine(RepoPaths.Root, "src", "ActorBackup.Cli");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // No build servers: a lingering MSBuild node or compiler server would inherit our
        // output pipes and keep the publish "running" after it finished.
        foreach (var arg in new[] { "publish", project, "-c", "Release", "-o", output, "--nologo", "--disable-build-servers", "-nodeReuse:false", "-p:UseSharedCompilation=false" })
            start.ArgumentList.Add(arg);
        // The test host runs under MSBuild's environment; a nested build must not inherit it.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k == "DOTNET_HOST_PATH").ToList())
            start.Environment.Remove(key);
        var (code, stdout, stderr, _, _) = RunProcess(start, TimeSpan.FromMinutes(5), "dotnet publish");
        if (code != 0 || !File.Exists(Path.Combine(output, "actorbackup")))
            throw new InvalidOperationException($"dotnet publish {project} failed with exit code {code}:\n{stdout}\n{stderr}");
        return output;
    }

    private static (int Code, string Stdout, string Stderr, int Pid, TimeSpan Elapsed) RunProcess(ProcessStartInfo start, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (stdout)
                    stdout.Append(e.Data).Append('\n');
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (stderr)
                    stderr.Append(e.Data).Append('\n');
        };
        process.Start();
        var pid = process.Id;
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{what} did not finish within {timeout.TotalSeconds} s and was killed\n--- stdout ---\n{stdout}--- stderr ---\n{stderr}");
        }
        process.WaitForExit(); // drains the output events
        lock (stdout)
            lock (stderr)
                return (process.ExitCode, stdout.ToString(), stderr.ToString(), pid, clock.Elapsed);
    }
}
