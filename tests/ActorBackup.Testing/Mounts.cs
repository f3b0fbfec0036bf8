using System.Diagnostics;

namespace ActorBackup.Testing;

/// <summary>A small tmpfs mounted for one test (needs root): another file system, for cross-device cases.</summary>
public sealed class TmpfsMount : IDisposable
{
    private bool _mounted;

    /// <summary>Mounts a tmpfs of <paramref name="sizeMiB"/> MiB on <paramref name="folder"/>, creating the folder.</summary>
    public TmpfsMount(string folder, int sizeMiB = 4)
    {
        Directory.CreateDirectory(folder);
        Path = folder;
        Mounts.Run("mount", "-t", "tmpfs", "-o", $"size={sizeMiB}m", "tmpfs", folder);
        _mounted = true;
    }

    public string Path { get; }

    public void Dispose()
    {
        if (!_mounted)
            return;
        Mounts.Unmount(Path);
        _mounted = false;
    }
}

public static class Mounts
{
    /// <summary>Mount points at or below <paramref name="folder"/>, from /proc/self/mounts.</summary>
    public static List<string> Below(string folder)
    {
        var prefix = folder.TrimEnd('/') + "/";
        return File.ReadAllLines("/proc/self/mounts")
            .Select(line => line.Split(' '))
            .Where(f => f.Length > 1)
            .Select(f => Unescape(f[1]))
            .Where(m => m == folder.TrimEnd('/') || m.StartsWith(prefix, StringComparison.Ordinal))
            .ToList();
    }

    public static void Unmount(string folder)
    {
        if (!TryRun("umount", folder))
            Run("umount", "-l", folder); // busy (a child still in it): detach now, freed when released
    }

    internal static void Run(params string[] command)
    {
        if (!TryRun(command, out var output))
            throw new InvalidOperationException($"{string.Join(' ', command)} failed: {output}");
    }

    private static bool TryRun(params string[] command) => TryRun(command, out _);

    private static bool TryRun(string[] command, out string output)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in command.Skip(1))
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        output = stdout.Result + stderr;
        return process.ExitCode == 0;
    }

    /// <summary>/proc/self/mounts writes space, tab, newline and backslash as \040-style octal.</summary>
    private static string Unescape(string field) =>
        System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
