using System.Diagnostics;

namespace ActorBackup.Testing;

/// <summary>Runs a system tool (mount, losetup, filefrag, df) to completion and hands back what it printed.</summary>
public static class Commands
{
    /// <summary>The tool's standard output; throws with its standard error when it fails.</summary>
    public static string Output(params string[] command)
    {
        var (code, stdout, stderr) = Run(command);
        return code == 0 ? stdout : throw new InvalidOperationException($"{string.Join(' ', command)} failed ({code}): {stdout}{stderr}");
    }

    /// <summary>The tool's standard output, or null when it failed (for cleanup that must go on).</summary>
    public static string? TryOutput(params string[] command)
    {
        var (code, stdout, _) = Run(command);
        return code == 0 ? stdout : null;
    }

    public static (int Code, string Stdout, string Stderr) Run(params string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in command.Skip(1))
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }
}
