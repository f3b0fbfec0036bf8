using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// "When did the last good backup finish?": the node_exporter textfile each run writes, read
/// by a Prometheus text-format parser, and `actorbackup status` with its exit codes.
/// </summary>
public sealed partial class MonitoringTests
{
    [Fact]
    public void Each_backup_verify_and_prune_writes_a_textfile_prometheus_parses_and_a_failed_run_keeps_the_last_success()
    {
        using var s = new Scenario();
        s.Source.File("a.txt", "alpha\n").File("b/c.txt", "gamma gamma\n");
        var metrics = s.Temp.CreateFolder("textfiles");
        var config = s.Temp.Combine("metrics.conf");
        File.WriteAllText(config, $"actorbackup.metrics.textfile-directory = \"{metrics}\"\n");

        s.BackupSucceeds("week1", $"--config={config}");
        var first = Parse(File.ReadAllText(metrics + "/actorbackup_backup.prom"));
        Assert.Equal(0, first["actorbackup_last_run_exit_code"]);
        Assert.Equal(2, first["actorbackup_last_run_files"]);
        Assert.Equal(18, first["actorbackup_last_run_bytes_read"]);
        Assert.Equal(18, first["actorbackup_last_run_new_bytes"]);
        Assert.Equal(first["actorbackup_last_run_end_timestamp_seconds"], first["actorbackup_last_success_timestamp_seconds"]);
        Assert.InRange(first["actorbackup_last_success_timestamp_seconds"], DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 120, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);

        // The same backup folder again: refused before any work (exit 4), which promises that
        // nothing was touched: no record, the textfile is the first run's.
        Assert.Equal(4, s.Backup("week1", $"--config={config}").ExitCode);
        Assert.Equal(first, Parse(File.ReadAllText(metrics + "/actorbackup_backup.prom")));

        Expect.Success(PublishedCli.Run("verify", $"--datafolder={s.Data}", "--read-data", $"--config={config}"));
        var verified = Parse(File.ReadAllText(metrics + "/actorbackup_verify.prom"));
        Assert.Equal(0, verified["actorbackup_last_run_exit_code"]);
        // Damage found (exit 20): a failed run; the last success stays the clean verify's.
        var entry = s.EntryPath(Scenario.Sha1(System.Text.Encoding.UTF8.GetBytes("alpha\n")));
        File.WriteAllText(entry, "alphA\n");
        Assert.Equal(20, PublishedCli.Run("verify", $"--datafolder={s.Data}", "--read-data", $"--config={config}").ExitCode);
        var damaged = Parse(File.ReadAllText(metrics + "/actorbackup_verify.prom"));
        Assert.Equal(20, damaged["actorbackup_last_run_exit_code"]);
        Assert.Equal(verified["actorbackup_last_success_timestamp_seconds"], damaged["actorbackup_last_success_timestamp_seconds"]);
        Assert.True(damaged["actorbackup_last_run_end_timestamp_seconds"] > verified["actorbackup_last_run_end_timestamp_seconds"]);
        Expect.Success(PublishedCli.Run("prune", $"--datafolder={s.Data}", $"--backuproot={s.Backups}", "--keep-last=5", $"--config={config}"));
        Assert.Equal(0, Parse(File.ReadAllText(metrics + "/actorbackup_prune.prom"))["actorbackup_last_run_exit_code"]);
        Assert.Equal(["actorbackup_backup.prom", "actorbackup_prune.prom", "actorbackup_verify.prom"],
            Directory.GetFiles(metrics).Select(Path.GetFileName).Order(StringComparer.Ordinal)); // no temp file left
    }

    [Fact]
    public void Status_exits_0_while_the_last_good_backup_is_recent_and_15_once_it_is_older_than_max_age()
    {
        using var s = new Scenario();
        s.Source.File("a.txt", "alpha\n");
        s.BackupSucceeds("week1");

        var fresh = PublishedCli.Run("status", $"--datafolder={s.Data}");
        Expect.Success(fresh);
        Assert.StartsWith("backup: last run ended ", fresh.StdoutLines[0]);
        Assert.Contains(", exit 0, ", fresh.StdoutLines[0]);
        Assert.Equal("verify: never run (on this data folder, since run records began)", fresh.StdoutLines[1]);
        Assert.StartsWith("ok: the last successful backup is ", fresh.StdoutLines[^1]);

        Thread.Sleep(1500);
        var stale = PublishedCli.Run("status", $"--datafolder={s.Data}", "--max-age=1s");
        Assert.True(stale.ExitCode == 15 && stale.Stderr.Length == 0, stale.ToString());
        Assert.StartsWith("STALE: the last successful backup is ", stale.StdoutLines[^1]);

        var json = PublishedCli.Run("status", $"--datafolder={s.Data}", "--json");
        Expect.Success(json);
        using var document = JsonDocument.Parse(json.Stdout);
        Assert.True(document.RootElement.GetProperty("backup_fresh").GetBoolean());
        Assert.Equal(0, document.RootElement.GetProperty("runs").GetProperty("backup").GetProperty("exit_code").GetInt32());
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("runs").GetProperty("prune").ValueKind);
    }

    [Fact]
    public void Status_of_a_data_folder_without_a_recorded_backup_exits_15_and_of_no_data_folder_exits_7()
    {
        using var s = new Scenario();
        s.Source.File("a.txt", "alpha\n");
        s.BackupSucceeds("week1");
        File.Delete(RunRecordPath(s)); // as a data folder made before run records began

        var status = PublishedCli.Run("status", $"--datafolder={s.Data}");

        Assert.True(status.ExitCode == 15, status.ToString());
        Assert.Equal("backup: never run (on this data folder, since run records began)", status.StdoutLines[0]);
        Assert.Equal("STALE: no successful backup recorded, more than --max-age=8d", status.StdoutLines[^1]);
        Expect.Refusal(PublishedCli.Run("status", $"--datafolder={s.Temp.Combine("nowhere")}"), 7, "is not a data folder");
        Expect.Refusal(PublishedCli.Run("status", $"--datafolder={s.Data}", "--max-age=soon"), 2, "--max-age=soon is not a duration");
    }

    private static string RunRecordPath(Scenario s) => s.Data + "/.actorbackup/runs/backup.last";

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>([a-zA-Z_][a-zA-Z0-9_]*=""([^""\\]|\\.)*"",?)*)\})? (?<value>[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|NaN|[-+]Inf)$")]
    private static partial Regex Sample();

    [GeneratedRegex(@"^# (?<what>HELP|TYPE) (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?<rest>.+)$")]
    private static partial Regex Comment();

    /// <summary>
    /// A strict reading of the Prometheus text format (version 0.0.4) as node_exporter's textfile
    /// collector takes it: HELP and TYPE before a metric's samples, one TYPE per metric, samples
    /// of known metrics only, newline-terminated. Returns each metric's value.
    /// </summary>
    private static Dictionary<string, double> Parse(string text)
    {
        Assert.EndsWith("\n", text);
        var help = new HashSet<string>();
        var types = new Dictionary<string, string>();
        var values = new Dictionary<string, double>();
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            if (Comment().Match(line) is { Success: true } comment)
            {
                var name = comment.Groups["name"].Value;
                if (comment.Groups["what"].Value == "TYPE")
                {
                    Assert.True(types.TryAdd(name, comment.Groups["rest"].Value), $"a second TYPE for {name}");
                    Assert.Contains(comment.Groups["rest"].Value, new[] { "gauge", "counter", "untyped" });
                }
                else
                    Assert.True(help.Add(name), $"a second HELP for {name}");
                continue;
            }
            var sample = Sample().Match(line);
            Assert.True(sample.Success, $"not a Prometheus sample line: '{line}'");
            var metric = sample.Groups["name"].Value;
            Assert.True(types.ContainsKey(metric) && help.Contains(metric), $"sample of {metric} before its HELP and TYPE");
            Assert.Contains("kind=\"", sample.Groups["labels"].Value);
            values[metric] = double.Parse(sample.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
        Assert.Equal(types.Keys.Order(), values.Keys.Order());
        return values;
    }
}
