using ActorBackup.Core;
using ActorBackup.Store;
using ActorBackup.Store.Manifest;

namespace ActorBackup.Store.Restore;

/// <summary>
/// The manifest of a snapshot to restore, checked before anything is written: it must be
/// published (NAME.manifest, not only the .partial journal of a run that did not finish),
/// an ActorBackup manifest, and complete (its #end line). A sorted manifest is checked from
/// its header and its last line only; an older, unsorted one is read through once.
/// </summary>
public sealed class SnapshotManifest
{
    private SnapshotManifest(string name, string path, IReadOnlyDictionary<string, string> header, bool sorted)
    {
        Name = name;
        Path = path;
        Sorted = sorted;
        SnapshotFolder = header.TryGetValue("snapshot", out var folder) ? PathBytes.Unescape(folder) : null;
        RootFolder = header.TryGetValue("root", out var root) ? PathBytes.Unescape(root) : null;
    }

    public string Name { get; }

    public string Path { get; }

    /// <summary>True when entries are in <see cref="ManifestOrder"/> (a directory before its contents).</summary>
    public bool Sorted { get; }

    /// <summary>The snapshot tree (#snapshot), whose files are hardlinks of the store entries.</summary>
    public string? SnapshotFolder { get; }

    /// <summary>The folder that was backed up (#root), for messages.</summary>
    public string? RootFolder { get; }

    /// <summary>Opens snapshot <paramref name="name"/> of the data folder; a missing or incomplete one is exit 9.</summary>
    public static SnapshotManifest Open(StoreLayout layout, string name)
    {
        var path = layout.ManifestPath(name);
        if (!File.Exists(path))
        {
            if (File.Exists(path + ".partial"))
                throw NotFound($"snapshot {name} is incomplete: the backup that made it did not finish (only {path}.partial exists); restore another snapshot");
            throw NotFound($"data folder {layout.DataFolder} has no snapshot {name} (no {path}); check --snapshot (actorbackup list shows the snapshots)");
        }
        try
        {
            var header = ManifestReader.ReadLeadingHeader(path);
            if (header.GetValueOrDefault("actorbackup-manifest") != "1")
                throw NotFound($"{path} is not an ActorBackup manifest; check --datafolder and --snapshot");
            var sorted = header.GetValueOrDefault(ManifestSorter.OrderHeader) == ManifestSorter.OrderValue;
            if (sorted)
            {
                using (DirectoryIndex.Open(path)) { } // checks the #end line, from the file's tail
            }
            else if (!new ManifestReader(path).IsComplete)
                throw new FormatException($"{path} has no #end line");
            return new SnapshotManifest(name, path, header, sorted);
        }
        catch (FormatException)
        {
            throw NotFound($"the manifest of snapshot {name} ({path}) has no #end line: it is incomplete or cut short; restore another snapshot");
        }
        catch (IOException e)
        {
            throw NotFound($"the manifest of snapshot {name} cannot be read: {e.Message}");
        }
    }

    /// <summary>
    /// The manifest path of <paramref name="sub"/> (root-relative), or null when the snapshot
    /// has no such entry. A name that is not UTF-8 may be given as the manifest writes it (%XX).
    /// </summary>
    public string? Find(string sub)
    {
        if (Has(sub))
            return sub;
        if (sub.Contains('%'))
        {
            try
            {
                var unescaped = PathBytes.Unescape(sub);
                if (PathBytes.IsSafeRelative(unescaped) && Has(unescaped))
                    return unescaped;
            }
            catch (FormatException)
            {
                // Not an escape after all.
            }
        }
        return null;
    }

    private bool Has(string sub)
    {
        if (Sorted)
        {
            using var index = DirectoryIndex.Open(Path);
            var slash = sub.LastIndexOf('/');
            return index.Children(PathBytes.Parent(sub)).ContainsKey(sub[(slash + 1)..]);
        }
        var wanted = PathBytes.Escape(sub);
        foreach (var line in File.ReadLines(Path))
        {
            if (line.Length > 0 && line[0] != '#' && ManifestOrder.PathField(line).SequenceEqual(wanted))
                return true;
        }
        return false;
    }

    private static UserError NotFound(string message) => new(ExitCode.SnapshotNotFound, message);
}
