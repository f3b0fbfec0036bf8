namespace ActorBackup.Testing;

/// <summary>A mount made for one test (needs root), undone on Dispose, also when the test failed.</summary>
public abstract class TestMount : IDisposable
{
    private bool _mounted;

    protected TestMount(string mountPoint, params string[] mountCommand)
    {
        Path = mountPoint;
        Mounts.Run(mountCommand);
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

/// <summary>A small tmpfs mounted for one test: another file system, for cross-device cases.</summary>
public sealed class TmpfsMount(string folder, int sizeMiB = 4)
    : TestMount(folder, "mount", "-t", "tmpfs", "-o", $"size={sizeMiB}m", "tmpfs", Directory.CreateDirectory(folder).FullName);

/// <summary>
/// A file or folder bind-mounted onto another (<paramref name="mountPoint"/> must exist and be
/// of the same kind): puts a kernel file with its own rules (procfs, sysfs) inside a test's tree.
/// </summary>
public sealed class BindMount(string source, string mountPoint)
    : TestMount(mountPoint, "mount", "--bind", source, mountPoint);

/// <summary>
/// A read-only bind mount with the options of the shipped deploy/srv-snapshots.mount, which
/// gives users their snapshots: nothing can be written, chmod'ed, removed or made through
/// it, and setuid bits and device nodes in it do nothing.
/// </summary>
public sealed class ReadOnlyBindMount(string source, string mountPoint)
    : TestMount(mountPoint, "mount", "-o", ShippedOptions(), source, Directory.CreateDirectory(mountPoint).FullName)
{
    /// <summary>The Options= line of deploy/srv-snapshots.mount ("bind,ro,...").</summary>
    public static string ShippedOptions() =>
        File.ReadLines(System.IO.Path.Combine(RepoPaths.Root, "deploy", "srv-snapshots.mount"))
            .Single(l => l.StartsWith("Options=", StringComparison.Ordinal))["Options=".Length..].Trim();
}

/// <summary>
/// The layout the README gives for snapshots users may browse, in a test's folder:
/// <c>T/backup</c> root-only (0700), holding <c>snapshots/</c> (0755) and the data folder
/// beside it, and <c>T/view</c>, a read-only bind mount of the snapshots, reachable by all
/// (<c>T</c> itself is opened to 0755 for that).
/// </summary>
public sealed class SafeLayout : IDisposable
{
    private readonly ReadOnlyBindMount _view;

    public SafeLayout(TempDir temp)
    {
        Root = temp.Path;
        Chmod(Root, 755);
        Directory.CreateDirectory(Backup);
        Chmod(Backup, 700);
        Directory.CreateDirectory(Snapshots);
        Chmod(Snapshots, 755);
        _view = new ReadOnlyBindMount(Snapshots, View);
    }

    private string Root { get; }

    /// <summary>The root-only folder holding snapshots and data.</summary>
    public string Backup => Root + "/backup";

    /// <summary>Where backup folders go: --backupfolder=Snapshots/week10.</summary>
    public string Snapshots => Backup + "/snapshots";

    /// <summary>The data folder, beside the snapshots.</summary>
    public string Data => Backup + "/data";

    /// <summary>What users (and nginx) see: the snapshots, read-only.</summary>
    public string View => Root + "/view";

    public void Dispose() => _view.Dispose();

    private static void Chmod(string path, int octal)
    {
        if (Mono.Unix.Native.Syscall.chmod(path, (Mono.Unix.Native.FilePermissions)Octal.Mode(octal)) != 0)
            throw PosixFs.Fail("chmod", path);
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

    internal static void Run(params string[] command) => Commands.Output(command);

    private static bool TryRun(params string[] command) => Commands.TryOutput(command) is not null;

    /// <summary>/proc/self/mounts writes space, tab, newline and backslash as \040-style octal.</summary>
    private static string Unescape(string field) =>
        System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
