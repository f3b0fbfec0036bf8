using System.Globalization;
using System.Text.Json;
using ActorBackup.Core;

namespace ActorBackup.Cli;

/// <summary>
/// actorbackup status --datafolder=D [--max-age=8d] [--json]: the last run of each kind and
/// the last success; exit 15 when the last successful backup ended longer ago than --max-age
/// (or there is none), for cron mail and Nagios-style checks.
/// </summary>
public sealed class StatusCommand(Arguments args, TextWriter output)
{
    public ExitCode Run()
    {
        var data = Preflight.Normalize(args.Required("datafolder"));
        if (!Directory.Exists(Path.Combine(data, ".actorbackup")))
            throw new UserError(ExitCode.FolderMissing, $"{data} is not a data folder (no .actorbackup in it); check --datafolder");
        var maxAge = MaxAge(args.Value("max-age") ?? "8d");
        var now = DateTime.UtcNow;
        var records = RunRecords.Kinds.Select(k => (Kind: k, Record: RunRecords.Read(data, k))).ToList();
        var lastBackup = records[0].Record?.LastSuccess;
        var fresh = lastBackup is { } t && now - t <= maxAge;
        if (args.Has("json"))
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                datafolder = data,
                max_age_seconds = maxAge.TotalSeconds,
                backup_fresh = fresh,
                runs = records.ToDictionary(r => r.Kind, r => r.Record is null ? null : (object)new
                {
                    ended = r.Record.Ended.ToString("O"),
                    exit_code = r.Record.ExitCode,
                    seconds = Math.Round(r.Record.Seconds, 1),
                    last_success = r.Record.LastSuccess?.ToString("O"),
                    files = r.Record.Files,
                    bytes_read = r.Record.BytesRead,
                    new_bytes = r.Record.NewBytes,
                    problems = r.Record.Problems,
                }),
            }));
        }
        else
        {
            foreach (var (kind, record) in records)
                output.WriteLine(record is null
                    ? $"{kind + ":",-8}never run (on this data folder, since run records began)"
                    : $"{kind + ":",-8}last run ended {record.Ended:yyyy-MM-dd HH:mm:ss}Z ({Ago(now - record.Ended)}), exit {record.ExitCode}, {record.Seconds:F0} s; "
                      + (record.LastSuccess is { } s ? $"last success {s:yyyy-MM-dd HH:mm:ss}Z ({Ago(now - s)})" : "no success yet"));
            output.WriteLine(fresh
                ? $"ok: the last successful backup is {Ago(now - lastBackup!.Value)}, within --max-age={args.Value("max-age") ?? "8d"}"
                : $"STALE: {(lastBackup is null ? "no successful backup recorded" : $"the last successful backup is {Ago(now - lastBackup.Value)}")}, more than --max-age={args.Value("max-age") ?? "8d"}");
        }
        return fresh ? ExitCode.Success : ExitCode.BackupTooOld;
    }

    /// <summary>"8d", "36h", "90m", "600s" or plain seconds.</summary>
    private static TimeSpan MaxAge(string text)
    {
        var unit = text.Length > 0 && char.IsLetter(text[^1]) ? text[^1] : 's';
        var number = unit == 's' && !text.EndsWith('s') ? text : text[..^1];
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n <= 0 || unit is not ('d' or 'h' or 'm' or 's'))
            throw new UserError(ExitCode.Usage, $"--max-age={text} is not a duration such as 8d, 36h, 90m or 600s");
        return unit switch { 'd' => TimeSpan.FromDays(n), 'h' => TimeSpan.FromHours(n), 'm' => TimeSpan.FromMinutes(n), _ => TimeSpan.FromSeconds(n) };
    }

    private static string Ago(TimeSpan span) =>
        span.TotalDays >= 2 ? $"{span.TotalDays:F1} days ago" : span.TotalHours >= 2 ? $"{span.TotalHours:F1} hours ago" : $"{Math.Max(0, span.TotalMinutes):F0} minutes ago";
}
