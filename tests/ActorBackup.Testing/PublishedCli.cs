using System.Diagnostics;
using System.Text;

namespace ActorBackup.Testing;

/// <summary>What one run of a child process (the published CLI, or a helper tool) did.</summary>
public sealed record ProcessResult(string Program, int ExitCode, string Stdout, string Stderr, int Pid, TimeSpan Elapsed, IReadOnlyList<string> Args)
{
    public IReadOnlyList<string> StderrLines => Lines(Stderr);

    public IReadOnlyList<string> StdoutLines => Lines(Stdout);

    /// <summary>Everything about the run, for a failing assertion's message.</summary>
    public override string ToString() =>
        $"{Program} {string.Join(' ', Args)}\nexit code {ExitCode} after {Elapsed.TotalSeconds:F1} s\n--- stdout ---\n{Stdout}--- stderr ---\n{Stderr}";

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

    private const string FolderPrefix = "actorbackup-published-";

    private static readonly Lazy<string> Folder = new(Publish, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The published executable (publishes on first use).</summary>
    public static string Executable => Path.Combine(Folder.Value, "actorbackup");

    public static ProcessResult Run(params string[] args) => Run(args, DefaultTimeout);

    /// <summary>Runs the CLI with <paramref name="args"/>; a run longer than <paramref name="timeout"/> is killed and fails the test.</summary>
    public static ProcessResult Run(IReadOnlyList<string> args, TimeSpan timeout) => RunProgram(Executable, args, timeout);

    /// <summary>How every test starts a program: stdin a pipe (closed by the caller), stdout and stderr captured, arguments passed as they are.</summary>
    public static ProcessStartInfo Redirected(string program, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        return start;
    }

    /// <summary>
    /// Runs any program the same way: stdin a closed pipe, stdout and stderr captured, killed
    /// with its children after <paramref name="timeout"/> (which throws).
    /// </summary>
    public static ProcessResult RunProgram(string program, IReadOnlyList<string> args, TimeSpan timeout)
    {
        var start = Redirected(program, args);
        var name = Path.GetFileName(program);
        var (code, stdout, stderr, pid, elapsed) = RunProcess(start, timeout, $"{name} {string.Join(' ', args)}");
        return new ProcessResult(name, code, stdout, stderr, pid, elapsed, args.ToList());
    }

    private static string Publish()
    {
        RemoveFoldersOfDeadProcesses();
        var output = Path.Combine(Path.GetTempPath(), $"{FolderPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        // The test host is often killed rather than left to exit, so this may not run; the
        // next test process then removes the folder (RemoveFoldersOfDeadProcesses).
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(output);
        var project = Path.Combine(RepoPaths.Root, "src", "ActorBackup.Cli");
        // `dotnet test` restored the whole graph already; restore again only if that was not so.
        var (code, log) = RunPublish(project, output, "--no-restore");
        if (code != 0)
            (code, log) = RunPublish(project, output);
        if (code != 0 || !File.Exists(Path.Combine(output, "actorbackup")))
            throw new InvalidOperationException($"dotnet publish {project} failed with exit code {code}:\n{log}");
        return output;
    }

    /// <summary>Removes published folders left by test processes that no longer run.</summary>
    private static void RemoveFoldersOfDeadProcesses()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            var rest = Path.GetFileName(folder)[FolderPrefix.Length..];
            var dash = rest.IndexOf('-');
            if (dash > 0 && int.TryParse(rest[..dash], out var pid) && !Directory.Exists($"/proc/{pid}"))
                TryDelete(folder);
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Another test process may be removing it too; whatever is left goes next time.
        }
        catch (UnauthorizedAccessException)
        {
            // Not ours to remove.
        }
    }

    private static (int Code, string Log) RunPublish(string project, string output, params string[] extra)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // No build servers: a lingering MSBuild node or compiler server would inherit our
        // output pipes and keep the publish "running" after it finished.
        foreach (var arg in new[] { "publish", project, "-c", "Release", "-o", output, "--nologo", "--disable-build-servers", "-nodeReuse:false", "-p:UseSharedCompilation=false" }.Concat(extra))
            start.ArgumentList.Add(arg);
        // The test host runs under MSBuild's environment; a nested build must not inherit it.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k == "DOTNET_HOST_PATH").ToList())
            start.Environment.Remove(key);
        var (code, stdout, stderr, _, _) = RunProcess(start, TimeSpan.FromMinutes(5), "dotnet publish");
        return (code, stdout + stderr);
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
