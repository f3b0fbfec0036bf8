using System.Globalization;
using System.Text.Json;
using ActorBackup.Actors.Storage;
using ActorBackup.Core;
using ActorBackup.Store;
using ActorBackup.Store.Catalog;

namespace ActorBackup.Cli;

/// <summary>
/// actorbackup stats --datafolder=DIR [--by=user] [--json]: what the store holds, what the
/// snapshots stand for, and with --by=user who fills the disk. Read-only and without the
/// lock, so it may run beside a backup. Skipped manifests are notices on standard error.
/// </summary>
public sealed class StatsCommand(Arguments args, TextWriter output, TextWriter error)
{
    public ExitCode Run()
    {
        var data = Preflight.Normalize(args.Required("datafolder"));
        var byUser = args.Value("by") switch
        {
            null => false,
            "user" => true,
            var other => throw new UserError(ExitCode.Usage, $"--by={other} is not known; use --by=user"),
        };
        var report = StoreUsage.Compute(data, byUser, notice => error.WriteLine($"actorbackup: notice: {notice}"));
        if (args.Has("json"))
            WriteJson(report);
        else
            WriteText(report);
        return ExitCode.Success;
    }

    private void WriteText(StoreStatsReport r)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine($"data folder:    {r.DataFolder} ({r.Format.Levels} level{(r.Format.Levels == 1 ? "" : "s")}, {r.Format.Hash.Name})");
        output.WriteLine($"snapshots:      {r.Snapshots}{(r.SkippedManifests > 0 ? $" ({r.SkippedManifests} damaged or incomplete manifests not counted)" : "")}");
        output.WriteLine($"store:          {Count(r.StoreEntries)} entries, {Size(r.StoreBytes)}, apparent size");
        var d = r.Disk;
        if (d.DiskBytes is { } onDisk)
            output.WriteLine($"on disk:        {Size(onDisk)} (data blocks, each shared block once)");
        output.WriteLine($"contents:       {Count(d.Contents)} distinct, {Size(d.ContentBytes)} (one copy of each)");
        if (d.FurtherEntries > 0)
        {
            output.WriteLine(d.EntriesMade == "clone"
                ? $"extra entries:  {Count(d.FurtherEntries)} (a content's entries for other owners, modes or mtimes), {Size(d.FurtherBytes)} apparent: reflink clones sharing their content's blocks"
                : $"extra entries:  {Count(d.FurtherEntries)} (a content's entries for other owners, modes or mtimes), {Size(d.FurtherBytes)}: whole copies here; on a file system that clones (XFS with reflink, btrfs) they would take no space");
        }
        output.WriteLine($"logical:        {Count(r.LogicalFiles)} files, {Size(r.LogicalBytes)} (all snapshots, as plain copies)");
        output.WriteLine(r.SavingRatio is { } ratio
            ? string.Create(c, $"saving:         {ratio * 100:F1}% (1 - store/logical)")
            : "saving:         - (no file in any snapshot)");
        if (r.Users is null)
            return;

        output.WriteLine();
        string[] header = ["user", "unique bytes", "shared bytes", "logical bytes", "files"];
        var rows = r.Users
            .Select(u => new[] { u.User, Count(u.UniqueBytes), Count(u.SharedBytes), Count(u.LogicalBytes), Count(u.Files) })
            .Prepend(header)
            .ToList();
        var widths = Enumerable.Range(0, header.Length).Select(i => rows.Max(row => row[i].Length)).ToArray();
        foreach (var row in rows)
        {
            // The user name left-aligned, the figures right-aligned; two spaces between columns.
            var cells = row.Select((cell, i) => i == 0 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]));
            output.WriteLine(string.Join("  ", cells).TrimEnd());
        }
        output.WriteLine();
        output.WriteLine($"unreferenced:   {Count(r.UnreferencedEntries)} entries, {Size(r.UnreferencedBytes)} (linked from no counted snapshot)");
        if (r.MissingEntries > 0)
            output.WriteLine($"missing:        {Count(r.MissingEntries)} entries named by manifests are not in the store (run verify)");
    }

    /// <summary>Field names are part of the interface: the README lists them.</summary>
    private void WriteJson(StoreStatsReport r)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("data_folder", r.DataFolder);
            json.WriteNumber("levels", r.Format.Levels);
            json.WriteString("hash", r.Format.Hash.Name);
            json.WriteNumber("snapshots", r.Snapshots);
            json.WriteNumber("skipped_manifests", r.SkippedManifests);
            json.WriteNumber("store_entries", r.StoreEntries);
            json.WriteNumber("store_bytes", r.StoreBytes);
            if (r.Disk.DiskBytes is { } onDisk)
                json.WriteNumber("disk_bytes", onDisk);
            else
                json.WriteNull("disk_bytes");
            json.WriteNumber("contents", r.Disk.Contents);
            json.WriteNumber("content_bytes", r.Disk.ContentBytes);
            json.WriteNumber("further_entries", r.Disk.FurtherEntries);
            json.WriteNumber("further_bytes", r.Disk.FurtherBytes);
            if (r.Disk.EntriesMade is { } made)
                json.WriteString("entries_made", made);
            else
                json.WriteNull("entries_made");
            json.WriteNumber("logical_files", r.LogicalFiles);
            json.WriteNumber("logical_bytes", r.LogicalBytes);
            if (r.SavingRatio is { } ratio)
                json.WriteNumber("saving_ratio", ratio);
            else
                json.WriteNull("saving_ratio");
            if (r.Users is not null)
            {
                json.WriteStartArray("users");
                foreach (var u in r.Users)
                {
                    json.WriteStartObject();
                    json.WriteString("user", u.User);
                    json.WriteNumber("unique_bytes", u.UniqueBytes);
                    json.WriteNumber("shared_bytes", u.SharedBytes);
                    json.WriteNumber("logical_bytes", u.LogicalBytes);
                    json.WriteNumber("files", u.Files);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteNumber("unreferenced_entries", r.UnreferencedEntries);
                json.WriteNumber("unreferenced_bytes", r.UnreferencedBytes);
                json.WriteNumber("missing_entries", r.MissingEntries);
            }
            json.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Size(long n) => n < 1024 ? $"{Count(n)} bytes" : $"{Count(n)} bytes ({Summary.Bytes(n)})";
}
