using System.Globalization;
using System.Text.Json;
using ActorBackup.Actors;
using ActorBackup.Actors.Storage;
using ActorBackup.Actors.Verify;
using ActorBackup.Core;
using ActorBackup.Hosting;
using ActorBackup.Posix;
using ActorBackup.Store;
using ActorBackup.Store.Catalog;
using ActorBackup.Store.Verify;

namespace ActorBackup.Cli;

/// <summary>
/// actorbackup verify: checks the snapshots and the data folder against the manifests
/// (always), re-hashes store entries (--read-data, --read-data-subset=P%), and rewrites
/// damaged entries from the live source (--heal --rootfolder=DIR). Holds the data folder's
/// lock throughout, so no backup changes the store under it. One line per finding on
/// standard output, then a summary; exit 0 clean, 20 damage left, 21 all damage healed.
/// </summary>
public sealed class VerifyCommand(Arguments args, TextWriter output, TextWriter error, Interruption interruption)
{
    private readonly bool _json = args.Has("json");

    public ExitCode Run()
    {
        var data = Preflight.Normalize(args.Required("datafolder"));
        var snapshot = args.Value("snapshot");
        if (snapshot is not null && (snapshot.Length == 0 || snapshot.Contains('/') || snapshot is "." or ".."))
            throw new UserError(ExitCode.Usage, $"--snapshot={snapshot} is not a snapshot name; give the name only, as in --snapshot=week10 (actorbackup list shows them)");
        var (check, percent) = DataCheckAsked();
        if (snapshot is not null && check == DataCheck.Subset)
            throw new UserError(ExitCode.Usage, "--read-data-subset walks the whole store in hash order and cannot be combined with --snapshot; use --read-data with --snapshot");
        string? healFrom = null;
        if (args.Has("heal"))
        {
            var root = args.Value("rootfolder")
                ?? throw new UserError(ExitCode.Usage, "--heal needs --rootfolder=DIR, the live source folder the snapshots were made from, to take the damaged content from");
            healFrom = Preflight.CheckRoot(Preflight.Normalize(root));
            if (check == DataCheck.None)
                check = DataCheck.Full; // healing needs the damage found first: --heal implies --read-data
        }
        else if (args.Value("rootfolder") is not null)
            throw new UserError(ExitCode.Usage, "--rootfolder is used by verify only with --heal; add --heal, or leave --rootfolder out");

        var config = BackupSystem.LoadConfig(args.Value("config"));
        var settings = BackupSettings.From(config, BackupSystem.Source(args.Value("config")));

        var layout = DataFolder.Open(data, DataFolderNeed.Store);

        using var held = Lock(layout, healFrom is not null);
        if (snapshot is not null && !File.Exists(layout.ManifestPath(snapshot)))
            throw new UserError(ExitCode.SnapshotNotFound,
                $"data folder {data} has no complete snapshot named {snapshot} (no {layout.ManifestPath(snapshot)}); actorbackup list shows the snapshots");

        // Verify changes nothing a stop could leave half-done (a heal rewrites an entry with
        // its own bytes; the scrub position is written at the end), so it stops at once.
        interruption.OnStop((code, signal) =>
        {
            output.Flush();
            error.WriteLine($"actorbackup: verify stopped by {signal}; findings so far are above, the rest of data folder {data} was not checked (a --read-data-subset run starts again where the last finished one ended)");
            error.Flush();
            Actors.DataStore.DataStore.RemoveOwnTempFiles(layout);
            Environment.Exit((int)code);
        });
        var options = new VerifyOptions(layout, snapshot, check, percent, healFrom);
        var verifier = new Verifier(options, settings, () => BackupSystem.Create(config, settings), Print, Verbose);
        var outcome = verifier.Run();
        PrintSummary(outcome, check);
        if (outcome.Code == ExitCode.DamageFound)
            error.WriteLine($"actorbackup: verify found damage in data folder {data} ({outcome.Problems} problems, {outcome.Damaged - outcome.Healed} damaged entries not healed; listed above)");
        return outcome.Code;
    }

    /// <summary>
    /// The data folder's lock, so no backup changes the store under the check. On a read-only
    /// file system no backup can run either: the check goes on without it (a heal, which
    /// writes, cannot).
    /// </summary>
    private DataFolderLock? Lock(StoreLayout layout, bool heal)
    {
        try
        {
            return StoreSession.Lock(layout, "a backup, or another verify or prune, is running; wait for it to finish, or check that process");
        }
        catch (UserError e) when (e.Code == ExitCode.DataFolderReadOnly && !heal && ReadOnlyFileSystem(layout.DataFolder))
        {
            Verbose($"data folder {layout.DataFolder} is on a read-only file system: checked without its lock (no backup can change it)");
            return null;
        }
    }

    private static bool ReadOnlyFileSystem(string folder) =>
        Files.TryStatFs(folder, out var readOnly) && readOnly;

    /// <summary>--read-data, or --read-data-subset=P% with 0 &lt; P &lt;= 100 ("5%", "5", "0.5%").</summary>
    private (DataCheck Check, double Percent) DataCheckAsked()
    {
        var subset = args.Value("read-data-subset");
        if (subset is null)
            return (args.Has("read-data") ? DataCheck.Full : DataCheck.None, 100);
        if (args.Has("read-data"))
            throw new UserError(ExitCode.Usage, "give --read-data (every entry) or --read-data-subset=P% (the next P%), not both");
        var text = subset.EndsWith('%') ? subset[..^1] : subset;
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent) || percent <= 0 || percent > 100)
            throw new UserError(ExitCode.Usage, $"--read-data-subset={subset} is not a percentage above 0 and at most 100; use e.g. --read-data-subset=5% (a full scrub every 20 runs)");
        return (DataCheck.Subset, percent);
    }

    private void Print(Finding finding)
    {
        if (_json)
            output.WriteLine(JsonSerializer.Serialize(new { kind = finding.Label, subject = finding.Subject, text = finding.Text }));
        else
            output.WriteLine(finding.Line);
    }

    private void Verbose(string line)
    {
        if (args.Verbosity == 0)
            return;
        if (_json)
            output.WriteLine(JsonSerializer.Serialize(new { kind = "info", text = line }));
        else
            output.WriteLine(line);
    }

    private void PrintSummary(VerifyOutcome o, DataCheck check)
    {
        var verdict = o.Code switch
        {
            ExitCode.Success => "clean",
            ExitCode.DamageHealed => "all damage healed",
            _ => "damage found",
        };
        if (_json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                kind = "summary", result = verdict, snapshots = o.Snapshots, paths = o.Paths, store_entries = o.StoreEntries,
                entries_read = o.EntriesRead, bytes_read = o.BytesRead, damaged = o.Damaged, healed = o.Healed,
                problems = o.Problems, notices = o.Notices, elapsed_s = Math.Round(o.Elapsed.TotalSeconds, 3),
            }));
            return;
        }
        var read = check == DataCheck.None
            ? "no entries read (structural check only; --read-data reads them)"
            : $"{o.EntriesRead} entries read ({Summary.Bytes(o.BytesRead)})";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"verify: {verdict}; {o.Snapshots} snapshots ({o.Paths} paths) and {o.StoreEntries} store entries checked; {read}; " +
            $"{o.Damaged} damaged, {o.Healed} healed; {o.Problems} problems, {o.Notices} notices; {o.Elapsed.TotalSeconds:F1} s"));
    }
}
