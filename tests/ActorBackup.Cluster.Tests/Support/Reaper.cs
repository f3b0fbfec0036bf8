using System.Text;

namespace ActorBackup.Cluster.Tests.Support;

/// <summary>
/// Kills what a killed test host left behind. Every cluster folder is named
/// <c>actorbackup-cluster-HOSTPID-GUID</c> and records each process it starts as
/// <c>logs/PID.pid</c>; the first process a later test host starts first kills every recorded
/// process of folders whose host is gone (only if its command line still names that folder,
/// so a reused PID is never hit) and removes the folder.
/// </summary>
internal static class Reaper
{
    public static readonly string FolderPrefix = $"actorbackup-cluster-{Environment.ProcessId}";

    private const string AnyFolder = "actorbackup-cluster-";
    private static int _reaped;

    public static string Record(string logFolder, int pid)
    {
        var file = Path.Combine(logFolder, $"{pid}.pid");
        File.WriteAllText(file, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return file;
    }

    public static void ReapOnce()
    {
        if (Interlocked.Exchange(ref _reaped, 1) == 1)
            return;
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), AnyFolder + "*"))
        {
            var rest = Path.GetFileName(folder)[AnyFolder.Length..];
            var dash = rest.IndexOf('-');
            if (dash <= 0 || !int.TryParse(rest[..dash], out var host) || Directory.Exists($"/proc/{host}"))
                continue;
            var logs = Path.Combine(folder, "logs");
            if (Directory.Exists(logs))
                foreach (var pidFile in Directory.EnumerateFiles(logs, "*.pid"))
                    if (int.TryParse(Path.GetFileNameWithoutExtension(pidFile), out var pid) && CommandLineNames(pid, folder))
                        KillNow(pid);
            try
            {
                ActorBackup.Testing.PosixFs.RemoveTree(folder);
            }
            catch (IOException)
            {
                // Another test host may be removing it too; whatever is left goes next time.
            }
        }
    }

    private static bool CommandLineNames(int pid, string folder)
    {
        try
        {
            var cmdline = Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid}/cmdline"));
            return cmdline.Contains(folder, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void KillNow(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
            process.WaitForExit(5000);
        }
        catch (ArgumentException)
        {
            // Gone meanwhile.
        }
        catch (InvalidOperationException)
        {
            // Gone meanwhile.
        }
    }
}
