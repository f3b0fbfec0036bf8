using System.Globalization;
using System.Text;
using System.Text.Json;
using ActorBackup.Actors.Storage;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;
using ActorBackup.Store.Catalog;
using ActorBackup.Store.Manifest;
using ActorBackup.Store.Prune;

namespace ActorBackup.Cli;

/// <summary>
/// actorbackup prune --datafolder=D --backuproot=B --keep-*=N [--dry-run] [--json]: plans by
/// the retention rules (Core's Retention), prints the plan, then (unless --dry-run) finishes
/// removals an earlier prune left, removes the snapshots no rule keeps (SnapshotRemover),
/// and frees the store entries no snapshot links any more (StoreCollector). Holds the data
/// folder's lock from start to end; --dry-run reads only and takes no lock.
/// </summary>
public sealed class PruneCommand(Arguments args, TextWriter output, TextWriter error, Interruption interruption)
{
    private readonly List<SnapshotRemoved> _removed = [];
    private readonly List<SnapshotRefusedException> _refused = [];
    private bool Json => args.Has("json");

    public ExitCode Run()
    {
        var data = Preflight.Normalize(args.Required("datafolder"));
        var backupRoot = Preflight.Normalize(args.Required("backuproot"));
        var policy = new RetentionPolicy(Keep("last"), Keep("daily"), Keep("weekly"), Keep("monthly"), Keep("yearly"));
        if (policy.KeepsNothing)
            throw new UserError(ExitCode.Usage, "no --keep-last, --keep-daily, --keep-weekly, --keep-monthly or --keep-yearly of 1 or more: refusing to remove every snapshot");
        var layout = DataFolder.Open(data, DataFolderNeed.StoreIfAny);
        if (!Directory.Exists(backupRoot))
            throw new UserError(ExitCode.FolderMissing, $"backup root {backupRoot} does not exist; check --backuproot");
        var dryRun = args.Has("dry-run");

        // A dry run changes nothing at all, not even the lock file.
        using var held = dryRun ? null : Lock(layout);
        // Prune is made to be stopped anywhere (a snapshot is marked before its tree goes; an
        // entry is one unlink), so it stops at once and the next prune finishes the work.
        interruption.OnStop((code, signal) =>
        {
            output.Flush();
            error.WriteLine($"actorbackup: prune stopped by {signal}; a snapshot being removed stays marked 'deleting' and the next prune finishes it");
            error.Flush();
            Environment.Exit((int)code);
        });
        var plan = PrunePlan.Make(SnapshotList.Read(layout, count: false), policy);
        if (!Json)
            PrintPlan(plan, policy, dryRun);
        StoreCollected? collected = null;
        if (!dryRun)
        {
            var remover = new SnapshotRemover(layout, backupRoot);
            foreach (var row in plan.Where(r => r.Action == PruneAction.Finish))
                Act(row, () => remover.Finish(row.Snapshot));
            foreach (var row in plan.Where(r => r.Action == PruneAction.Remove))
                Act(row, () => remover.Remove(row.Snapshot));
            collected = StoreCollector.Collect(layout, Math.Clamp(Environment.ProcessorCount, 1, 4));
        }
        if (Json)
            output.Write(JsonReport(plan, policy, dryRun, collected));
        else
            PrintOutcome(plan, dryRun, collected);
        return _refused.Count > 0 ? ExitCode.FileErrors : ExitCode.Success;
    }

    private int Keep(string rule) => (int)args.Number("keep-" + rule, 0, 0, int.MaxValue);

    private static DataFolderLock Lock(StoreLayout layout) =>
        StoreSession.Lock(layout, "a backup or another prune is running; run prune again when it has finished");

    /// <summary>One snapshot's removal; a refusal or an I/O error is reported and the others go on (exit 3).</summary>
    private void Act(PlannedSnapshot row, Func<SnapshotRemoved> remove)
    {
        var name = PathBytes.Escape(row.Snapshot.Name);
        try
        {
            var removed = remove();
            _removed.Add(removed);
            if (!Json)
            {
                var c = CultureInfo.InvariantCulture;
                var what = !removed.TreeRemoved
                    ? removed.Note
                    : string.Create(c, $"{removed.Files} files and {removed.Directories} folders of {removed.Tree} in {removed.Elapsed.TotalSeconds:F2} s")
                        + (args.Verbosity > 0 ? string.Create(c, $" (+{removed.Synced.TotalSeconds:F2} s to flush it to disk)") : "")
                        + (removed.Note is { } n ? $" ({n})" : "");
                output.WriteLine($"removed {name}: {what}");
            }
        }
        catch (SnapshotRefusedException e)
        {
            _refused.Add(e);
            error.WriteLine($"actorbackup: not removing snapshot {name}: {e.Message}");
        }
        catch (IOException e)
        {
            // The marker (if set) stays: the next prune finishes this one.
            _refused.Add(new SnapshotRefusedException(row.Snapshot.Name, e.Message));
            error.WriteLine($"actorbackup: removing snapshot {name} failed: {e.Message}; run prune again to finish it");
        }
    }

    private void PrintPlan(IReadOnlyList<PlannedSnapshot> plan, RetentionPolicy policy, bool dryRun)
    {
        output.WriteLine($"plan{(dryRun ? " (dry run: nothing is changed)" : "")}: {policy}, per root folder, by start time (UTC)");
        if (plan.Count == 0)
        {
            output.WriteLine("  no snapshots");
            return;
        }
        foreach (var group in plan.GroupBy(r => r.Snapshot.Root ?? "-").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"root {group.Key}:");
            var width = group.Max(r => PathBytes.Escape(r.Snapshot.Name).Length);
            foreach (var row in group)
            {
                var started = row.Snapshot.Started?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-".PadRight(19);
                var reasons = row.Reasons.Count > 0 ? "  " + string.Join(", ", row.Reasons) : "";
                output.WriteLine($"  {ActionText(row.Action),-6}  {PathBytes.Escape(row.Snapshot.Name).PadRight(width)}  {started}{reasons}".TrimEnd());
            }
        }
    }

    private void PrintOutcome(IReadOnlyList<PlannedSnapshot> plan, bool dryRun, StoreCollected? collected)
    {
        var count = (PruneAction a) => plan.Count(r => r.Action == a);
        if (dryRun)
        {
            output.WriteLine($"dry run: {count(PruneAction.Remove)} snapshots would be removed, {count(PruneAction.Finish)} unfinished removals finished, " +
                $"{count(PruneAction.Keep)} kept, {count(PruneAction.Leave)} left alone; nothing was changed");
            return;
        }
        if (collected is { } c)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"store: freed {c.Entries} entries no snapshot links any more, {Summary.Bytes(c.Bytes)} ({c.Bytes} bytes); walked {c.Folders} folders in {c.Elapsed.TotalSeconds:F2} s"));
        }
        output.WriteLine($"pruned: {_removed.Count} snapshots removed ({_removed.Sum(r => r.Files)} files, {_removed.Sum(r => r.Directories)} folders), " +
            $"{count(PruneAction.Keep)} kept, {count(PruneAction.Leave)} left alone, {_refused.Count} not removed; " +
            $"{collected?.Entries ?? 0} store entries and {collected?.Bytes ?? 0} bytes freed");
    }

    private static string ActionText(PruneAction a) => a switch
    {
        PruneAction.Keep => "keep",
        PruneAction.Remove => "remove",
        PruneAction.Leave => "leave",
        _ => "finish",
    };

    /// <summary>
    /// One JSON object: dry_run, policy {last, daily, weekly, monthly, yearly}, snapshots [{name,
    /// status, started, root, snapshot, action (keep, remove, leave, finish), reasons}], removed
    /// [{name, snapshot, tree_removed, files, folders, seconds, sync_seconds, note}], not_removed [{name, reason}], store
    /// {entries, bytes, folders, seconds} (null in a dry run).
    /// </summary>
    private string JsonReport(IReadOnlyList<PlannedSnapshot> plan, RetentionPolicy policy, bool dryRun, StoreCollected? collected)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteBoolean("dry_run", dryRun);
            w.WriteStartObject("policy");
            w.WriteNumber("last", policy.Last);
            w.WriteNumber("daily", policy.Daily);
            w.WriteNumber("weekly", policy.Weekly);
            w.WriteNumber("monthly", policy.Monthly);
            w.WriteNumber("yearly", policy.Yearly);
            w.WriteEndObject();
            w.WriteStartArray("snapshots");
            foreach (var row in plan)
            {
                var s = row.Snapshot;
                w.WriteStartObject();
                w.WriteString("name", PathBytes.Escape(s.Name));
                w.WriteString("status", s.StatusText);
                ListCommand.WriteOrNull(w, "started", s.Started?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
                ListCommand.WriteOrNull(w, "root", s.Root);
                ListCommand.WriteOrNull(w, "snapshot", s.Tree);
                w.WriteString("action", ActionText(row.Action));
                w.WriteStartArray("reasons");
                foreach (var reason in row.Reasons)
                    w.WriteStringValue(reason);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("removed");
            foreach (var r in _removed)
            {
                w.WriteStartObject();
                w.WriteString("name", PathBytes.Escape(r.Name));
                ListCommand.WriteOrNull(w, "snapshot", r.Tree);
                w.WriteBoolean("tree_removed", r.TreeRemoved);
                w.WriteNumber("files", r.Files);
                w.WriteNumber("folders", r.Directories);
                w.WriteNumber("seconds", Math.Round(r.Elapsed.TotalSeconds, 3));
                w.WriteNumber("sync_seconds", Math.Round(r.Synced.TotalSeconds, 3));
                ListCommand.WriteOrNull(w, "note", r.Note);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("not_removed");
            foreach (var r in _refused)
            {
                w.WriteStartObject();
                w.WriteString("name", PathBytes.Escape(r.Name));
                w.WriteString("reason", r.Message);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (collected is { } c)
            {
                w.WriteStartObject("store");
                w.WriteNumber("entries", c.Entries);
                w.WriteNumber("bytes", c.Bytes);
                w.WriteNumber("folders", c.Folders);
                w.WriteNumber("seconds", Math.Round(c.Elapsed.TotalSeconds, 3));
                w.WriteEndObject();
            }
            else
                w.WriteNull("store");
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
