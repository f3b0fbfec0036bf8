using System.Globalization;
using System.Text;
using ActorBackup.Core;
using ActorBackup.Store;
using ActorBackup.Store.Manifest;

namespace ActorBackup.Store.Catalog;

/// <summary>What a snapshot's manifest says of it.</summary>
public enum SnapshotStatus
{
    /// <summary>NAME.manifest, ending with its #end line: published.</summary>
    Complete,

    /// <summary>NAME.manifest.partial: a run that is going on, or stopped before it published.</summary>
    Partial,

    /// <summary>NAME.manifest.deleting: a prune marked it and is removing (or stopped removing) its tree.</summary>
    Deleting,

    /// <summary>NAME.manifest that cannot be read as a whole manifest (see <see cref="SnapshotInfo.Problem"/>).</summary>
    Damaged,
}

/// <summary>New content a run stored: read from NAME.summary, written when it published.</summary>
public sealed record NewContent(long Files, long Bytes);

/// <summary>
/// One snapshot of the catalog. <see cref="Root"/> and <see cref="Tree"/> are as written in the
/// manifest (escaped: see <see cref="PathBytes"/>); Files and Bytes (regular files and their
/// total size) are null unless counted; <see cref="Added"/> is null for snapshots published
/// before summaries existed, and for unfinished ones.
/// </summary>
public sealed record SnapshotInfo(
    string Name,
    string ManifestPath,
    SnapshotStatus Status,
    string? Problem,
    DateTime? Started,
    string? Root,
    string? Tree,
    long? Files,
    long? Bytes,
    NewContent? Added)
{
    /// <summary>The snapshot tree's path (unescaped), or null when the manifest does not name it.</summary>
    public string? TreePath => Tree is null ? null : PathBytes.Unescape(Tree);

    public string StatusText => Status.ToString().ToLowerInvariant();
}

/// <summary>
/// Reads the data folder's catalog, .actorbackup/snapshots: published manifests
/// (NAME.manifest), journals of unfinished runs (NAME.manifest.partial), snapshots a prune is
/// removing (NAME.manifest.deleting), and the summaries runs leave when they publish
/// (NAME.summary). Read only: takes no lock, and a damaged manifest becomes a row with status
/// <see cref="SnapshotStatus.Damaged"/>, never an exception. Manifests are streamed, never
/// held in memory.
/// </summary>
public static class SnapshotList
{
    public const string PublishedSuffix = ".manifest";
    public const string PartialSuffix = ".manifest.partial";
    public const string DeletingSuffix = ".manifest.deleting";
    public const string SummarySuffix = ".summary";

    /// <summary>
    /// Every snapshot, oldest first (by start time, then name; those without a readable start
    /// time last). <paramref name="count"/>: read each manifest whole, for its file count and
    /// size and a full check of every line; otherwise only its header and last line are read.
    /// </summary>
    public static List<SnapshotInfo> Read(StoreLayout layout, bool count)
    {
        var snapshots = new List<SnapshotInfo>();
        if (!Directory.Exists(layout.SnapshotsFolder))
            return snapshots;
        foreach (var path in Directory.EnumerateFiles(layout.SnapshotsFolder))
        {
            var file = Path.GetFileName(path);
            var (name, status) = Classify(file);
            if (name is null)
                continue;
            snapshots.Add(Inspect(layout, name, status, count));
        }
        snapshots.Sort(Compare);
        return snapshots;
    }

    /// <summary>Oldest first; the same second by name; no start time last.</summary>
    public static int Compare(SnapshotInfo a, SnapshotInfo b)
    {
        var byTime = (a.Started, b.Started) switch
        {
            (null, null) => 0,
            (null, _) => 1,
            (_, null) => -1,
            var (x, y) => x.Value.CompareTo(y.Value),
        };
        if (byTime != 0)
            return byTime;
        var byName = string.CompareOrdinal(a.Name, b.Name);
        return byName != 0 ? byName : a.Status.CompareTo(b.Status);
    }

    /// <summary>The snapshot name and status a catalog file stands for; (null, _) for other files (summaries, sort runs).</summary>
    public static (string? Name, SnapshotStatus Status) Classify(string file)
    {
        if (file.EndsWith(DeletingSuffix, StringComparison.Ordinal))
            return (file[..^DeletingSuffix.Length], SnapshotStatus.Deleting);
        if (file.EndsWith(PartialSuffix, StringComparison.Ordinal))
            return (file[..^PartialSuffix.Length], SnapshotStatus.Partial);
        if (file.EndsWith(PublishedSuffix, StringComparison.Ordinal))
            return (file[..^PublishedSuffix.Length], SnapshotStatus.Complete);
        return (null, SnapshotStatus.Complete);
    }

    public static string CatalogPath(StoreLayout layout, string name, SnapshotStatus status) =>
        Path.Combine(layout.SnapshotsFolder, name + status switch
        {
            SnapshotStatus.Partial => PartialSuffix,
            SnapshotStatus.Deleting => DeletingSuffix,
            _ => PublishedSuffix,
        });

    public static string SummaryPath(StoreLayout layout, string name) => Path.Combine(layout.SnapshotsFolder, name + SummarySuffix);

    /// <summary>
    /// One snapshot. <paramref name="status"/> is what its file name says (Complete for
    /// NAME.manifest); a published manifest that does not read as a whole one comes back Damaged.
    /// </summary>
    public static SnapshotInfo Inspect(StoreLayout layout, string name, SnapshotStatus status, bool count)
    {
        var path = CatalogPath(layout, name, status);
        var added = ReadSummary(SummaryPath(layout, name));
        IReadOnlyDictionary<string, string> header;
        long? files = null, bytes = null;
        string? problem;
        try
        {
            if (count)
            {
                var tally = ManifestTally.Read(path);
                header = tally.Header;
                files = tally.Files;
                bytes = tally.Bytes;
                problem = tally.Problem ?? (tally.End is null ? "no #end line: the run that wrote it did not finish" : null);
            }
            else
                (header, problem) = ReadEnds(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            header = new Dictionary<string, string>();
            problem = $"unreadable: {e.Message}";
        }
        var started = Retention.ParseStarted(header.GetValueOrDefault("started"));
        if (problem is null && started is null)
            problem = "no valid #started line";
        if (problem is null && (!header.ContainsKey("root") || !header.ContainsKey("snapshot")))
            problem = "no #root or #snapshot line";
        // A journal is unfinished by nature (its last line may be cut short); a marked one is on its way out.
        if (status == SnapshotStatus.Complete && problem is not null)
            status = SnapshotStatus.Damaged;
        if (status == SnapshotStatus.Partial)
            added = null;
        return new SnapshotInfo(name, path, status, status == SnapshotStatus.Damaged ? problem : null, started,
            header.GetValueOrDefault("root"), header.GetValueOrDefault("snapshot"), files, bytes, added);
    }

    /// <summary>The leading header and whether the last line is "#end N": enough to trust a manifest without reading it all.</summary>
    private static (IReadOnlyDictionary<string, string> Header, string? Problem) ReadEnds(string path)
    {
        using (var reader = new StreamReader(path, Encoding.UTF8))
        {
            if (reader.ReadLine() != ManifestFormat.Magic)
                return (new Dictionary<string, string>(), $"not an ActorBackup manifest (the first line is not '{ManifestFormat.Magic}')");
        }
        var header = ManifestReader.ReadLeadingHeader(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        var tail = new byte[Math.Min(file.Length, 64)];
        file.Seek(-tail.Length, SeekOrigin.End);
        file.ReadExactly(tail);
        var text = Encoding.ASCII.GetString(tail).TrimEnd('\n');
        var last = text[(text.LastIndexOf('\n') + 1)..];
        var ok = last.StartsWith("#end ", StringComparison.Ordinal) && long.TryParse(last.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out _);
        return (header, ok ? null : "no #end line: the run that wrote it did not finish");
    }

    /// <summary>NAME.summary, or null when there is none (older snapshots) or it cannot be read.</summary>
    public static NewContent? ReadSummary(string path)
    {
        try
        {
            if (!File.Exists(path))
                return null;
            long? files = null, bytes = null;
            foreach (var line in File.ReadLines(path))
            {
                var space = line.IndexOf(' ');
                if (space < 0 || !long.TryParse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                    continue;
                switch (line[..space])
                {
                    case "new-files": files = n; break;
                    case "new-bytes": bytes = n; break;
                }
            }
            return files is { } f && bytes is { } b ? new NewContent(f, b) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
