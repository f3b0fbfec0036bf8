using System.Globalization;
using System.Text;
using System.Text.Json;
using ActorBackup.Actors.Storage;
using ActorBackup.Core;
using ActorBackup.Store;
using ActorBackup.Store.Catalog;
using ActorBackup.Store.Manifest;

namespace ActorBackup.Cli;

/// <summary>
/// actorbackup list --datafolder=D [--json]: one row per snapshot of the catalog (published,
/// partial, being deleted, damaged), oldest first. Read only: takes no lock, so it also
/// works while a backup runs (that run shows as partial).
/// </summary>
public sealed class ListCommand(Arguments args, TextWriter output, TextWriter error)
{
    public ExitCode Run()
    {
        var data = Preflight.Normalize(args.Required("datafolder"));
        // Only the catalog is read: the store's format does not matter here.
        var layout = DataFolder.Open(data, DataFolderNeed.Catalog);
        var snapshots = SnapshotList.Read(layout, count: true);
        if (args.Has("json"))
            output.Write(Json(snapshots));
        else
            Table(snapshots, data);
        foreach (var s in snapshots.Where(s => s.Status == SnapshotStatus.Damaged))
            error.WriteLine($"actorbackup: snapshot {PathBytes.Escape(s.Name)} is damaged: {s.Problem} ({s.ManifestPath})");
        return ExitCode.Success;
    }

    private void Table(List<SnapshotInfo> snapshots, string data)
    {
        if (snapshots.Count == 0)
        {
            output.WriteLine($"no snapshots in data folder {data}");
            return;
        }
        var rows = new List<string[]> { new[] { "NAME", "STARTED (UTC)", "STATUS", "FILES", "SIZE", "NEW FILES", "NEW SIZE", "ROOT" } };
        foreach (var s in snapshots)
        {
            rows.Add(
            [
                PathBytes.Escape(s.Name),
                s.Started?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-",
                s.StatusText,
                s.Files?.ToString(CultureInfo.InvariantCulture) ?? "-",
                s.Bytes is { } b ? Summary.Bytes(b) : "-",
                s.Added?.Files.ToString(CultureInfo.InvariantCulture) ?? "-",
                s.Added is { } a ? Summary.Bytes(a.Bytes) : "-",
                s.Root ?? "-",
            ]);
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var numeric = new[] { false, false, false, true, true, true, true, false };
        var line = new StringBuilder();
        foreach (var row in rows)
        {
            line.Clear();
            for (var c = 0; c < row.Length; c++)
            {
                if (c > 0)
                    line.Append("  ");
                if (c == row.Length - 1)
                    line.Append(row[c]); // no trailing blanks
                else if (numeric[c])
                    line.Append(row[c].PadLeft(widths[c]));
                else
                    line.Append(row[c].PadRight(widths[c]));
            }
            output.WriteLine(line.ToString());
        }
    }

    /// <summary>
    /// A JSON array, one object per snapshot, fields: name, status (complete, partial, deleting,
    /// damaged), started (as in the manifest, UTC), root, snapshot (the tree's path), files,
    /// bytes, new_files, new_bytes, problem; null where unknown. Names and paths are escaped as
    /// in the manifest (bytes outside printable ASCII, space, % and # as %XX).
    /// </summary>
    public static string Json(IEnumerable<SnapshotInfo> snapshots)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var s in snapshots)
            {
                w.WriteStartObject();
                w.WriteString("name", PathBytes.Escape(s.Name));
                w.WriteString("status", s.StatusText);
                WriteOrNull(w, "started", s.Started?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
                WriteOrNull(w, "root", s.Root);
                WriteOrNull(w, "snapshot", s.Tree);
                WriteOrNull(w, "files", s.Files);
                WriteOrNull(w, "bytes", s.Bytes);
                WriteOrNull(w, "new_files", s.Added?.Files);
                WriteOrNull(w, "new_bytes", s.Added?.Bytes);
                WriteOrNull(w, "problem", s.Problem);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    internal static void WriteOrNull(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
            w.WriteNull(name);
        else
            w.WriteString(name, value);
    }

    internal static void WriteOrNull(Utf8JsonWriter w, string name, long? value)
    {
        if (value is null)
            w.WriteNull(name);
        else
            w.WriteNumber(name, value.Value);
    }
}
