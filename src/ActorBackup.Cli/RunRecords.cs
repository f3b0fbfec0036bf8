using System.Globalization;
using System.Text;
using ActorBackup.Core;
using ActorBackup.Protocol;

namespace ActorBackup.Cli;

/// <summary>How the last run of one kind (backup, verify, prune) on a data folder went.</summary>
public sealed record RunRecord(
    string Kind, DateTime Started, DateTime Ended, int ExitCode, DateTime? LastSuccess,
    long Files = 0, long BytesRead = 0, long NewBytes = 0, long Problems = 0)
{
    public double Seconds => (Ended - Started).TotalSeconds;
}

/// <summary>
/// What monitoring asks first: when did the last good backup (verify, prune) finish? Each run
/// that got past its argument checks leaves one small file per kind in the data folder,
/// .actorbackup/runs/KIND.last (key=value lines), carrying the last success forward through
/// failed runs. `actorbackup status` reads them; with actorbackup.metrics.textfile-directory
/// set, the same figures are written for node_exporter's textfile collector.
/// </summary>
public static class RunRecords
{
    public static readonly string[] Kinds = ["backup", "verify", "prune"];

    /// <summary>Exit codes that count as success: a published backup (3: with unreadable files listed), a clean or healed verify.</summary>
    public static bool Succeeded(string kind, int code) => kind switch
    {
        "backup" => code is 0 or 3,
        "verify" => code is 0 or 21,
        _ => code == 0,
    };

    /// <summary>
    /// Refusals before any work, whose exit codes promise that nothing was touched (a folder
    /// exists or is missing, another format, another file system, the lock is another run's, a
    /// read-only data folder, snapshots reachable by users): they leave no record either. Their
    /// line says what to fix; the last success stays what it was.
    /// </summary>
    private static bool Refused(int code) => (ExitCode)code is ExitCode.Usage or ExitCode.BackupFolderExists or ExitCode.DataFolderMismatch
        or ExitCode.DifferentFilesystems or ExitCode.FolderMissing or ExitCode.TargetNotEmpty or ExitCode.SnapshotNotFound
        or ExitCode.DataFolderReadOnly or ExitCode.Locked or ExitCode.StorageUnreachable or ExitCode.SnapshotsReachable;

    public static string PathOf(string dataFolder, string kind) => Path.Combine(dataFolder, ".actorbackup", "runs", kind + ".last");

    /// <summary>
    /// Records a run in an existing data folder (never creates one) and, when configured, its
    /// textfile. A record that cannot be written (read-only data folder) is skipped: the run's
    /// own outcome stands.
    /// </summary>
    public static void Write(string dataFolder, string kind, DateTime started, int code, CoordinatorProtocol.RunStats? stats, string? textfileDirectory, TextWriter error)
    {
        if (!Directory.Exists(Path.Combine(dataFolder, ".actorbackup")) || Refused(code))
            return;
        var previous = Read(dataFolder, kind);
        var ended = DateTime.UtcNow;
        var record = new RunRecord(kind, started, ended, code, Succeeded(kind, code) ? ended : previous?.LastSuccess,
            stats?.Files ?? 0, stats?.BytesRead ?? 0, stats?.NewBytes ?? 0, stats?.Problems ?? 0);
        try
        {
            WriteAtomically(PathOf(dataFolder, kind), Format(record));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing to add to the run's own lines: a read-only data folder is said by them.
        }
        if (string.IsNullOrEmpty(textfileDirectory))
            return;
        try
        {
            // The collector's folder is node_exporter's to make (and to read): never made here.
            WriteAtomically(Path.Combine(textfileDirectory, $"actorbackup_{kind}.prom"), Prometheus(dataFolder, record), createFolder: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"actorbackup: warning: cannot write the metrics textfile in {textfileDirectory} ({e.Message}); check actorbackup.metrics.textfile-directory");
        }
    }

    public static RunRecord? Read(string dataFolder, string kind)
    {
        var path = PathOf(dataFolder, kind);
        if (!File.Exists(path))
            return null;
        var values = File.ReadAllLines(path).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        DateTime Time(string key) => DateTime.Parse(values[key], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        long Number(string key) => values.TryGetValue(key, out var v) && long.TryParse(v, CultureInfo.InvariantCulture, out var n) ? n : 0;
        try
        {
            return new RunRecord(kind, Time("started"), Time("ended"), (int)Number("exit_code"),
                values.ContainsKey("last_success") ? Time("last_success") : null,
                Number("files"), Number("bytes_read"), Number("new_bytes"), Number("problems"));
        }
        catch (Exception e) when (e is KeyNotFoundException or FormatException)
        {
            return null; // a damaged record reads as none: status says "never", which is what to fix
        }
    }

    private static string Format(RunRecord r)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"kind={r.Kind}\nstarted={r.Started:O}\nended={r.Ended:O}\nexit_code={r.ExitCode}\n");
        if (r.LastSuccess is { } success)
            text.Append(CultureInfo.InvariantCulture, $"last_success={success:O}\n");
        text.Append(CultureInfo.InvariantCulture, $"files={r.Files}\nbytes_read={r.BytesRead}\nnew_bytes={r.NewBytes}\nproblems={r.Problems}\n");
        return text.ToString();
    }

    /// <summary>node_exporter's textfile format: HELP and TYPE, then one sample per metric, labelled by kind and data folder.</summary>
    public static string Prometheus(string dataFolder, RunRecord r)
    {
        var labels = $"{{kind=\"{r.Kind}\",datafolder=\"{dataFolder.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n")}\"}}";
        var text = new StringBuilder();
        void Metric(string name, string help, double value)
        {
            text.Append(CultureInfo.InvariantCulture, $"# HELP actorbackup_{name} {help}\n# TYPE actorbackup_{name} gauge\nactorbackup_{name}{labels} {value.ToString("R", CultureInfo.InvariantCulture)}\n");
        }
        Metric("last_run_end_timestamp_seconds", "Unix time the last run of this kind ended.", Unix(r.Ended));
        Metric("last_success_timestamp_seconds", "Unix time the last successful run of this kind ended (0: none yet).", r.LastSuccess is { } s ? Unix(s) : 0);
        Metric("last_run_duration_seconds", "Seconds the last run took.", Math.Round(r.Seconds, 3));
        Metric("last_run_exit_code", "Exit code of the last run (see the README's exit codes).", r.ExitCode);
        Metric("last_run_files", "Files in the last run's snapshot (backup).", r.Files);
        Metric("last_run_bytes_read", "Bytes the last run read (backup).", r.BytesRead);
        Metric("last_run_new_bytes", "Bytes of new content the last run stored (backup).", r.NewBytes);
        Metric("last_run_problems", "Entries the last run could not back up (backup).", r.Problems);
        return text.ToString();
    }

    private static double Unix(DateTime t) => Math.Round((t - DateTime.UnixEpoch).TotalSeconds, 3);

    /// <summary>Temp file and rename: a collector or a status reader never sees half a file.</summary>
    private static void WriteAtomically(string path, string text, bool createFolder = true)
    {
        var folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder) && createFolder)
            Posix.Files.CreateFolders(folder, 0x1C0); // 0700, as the rest of .actorbackup
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        Posix.Files.Chmod(temp, 0x1A4); // 0644: node_exporter reads the textfile as its own user
        File.Move(temp, path, overwrite: true);
    }
}
