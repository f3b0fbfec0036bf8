using System.Globalization;
using static ActorBackup.Protocol.CoordinatorProtocol;

namespace ActorBackup.Cli;

/// <summary>Human-readable figures for progress lines and the --dostats summary.</summary>
public static class Summary
{
    public static string ProgressLine(RunStats s) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{s.Files} files, {s.Directories} directories, {Bytes(s.BytesRead)} read, {s.Problems} problems, {s.Elapsed.TotalSeconds:F1} s");

    public static IEnumerable<string> Lines(RunStats s)
    {
        var seconds = Math.Max(s.Elapsed.TotalSeconds, 1e-3);
        // Clones take no data blocks of their own: what the run added to the disk is the rest.
        var stored = s.NewBytes - (s.Store?.ClonedBytes ?? 0);
        var saving = s.LogicalBytes == 0 ? 0 : 100.0 * (s.LogicalBytes - stored) / s.LogicalBytes;
        yield return $"files:            {s.Files}";
        yield return $"directories:      {s.Directories}";
        yield return $"symlinks:         {s.Symlinks}";
        yield return $"special files:    {s.Specials} made, {s.Skipped} skipped (sockets; devices when not root)";
        yield return $"unchanged:        {s.Unchanged} files linked from the previous snapshot without reading";
        yield return $"bytes read:       {Bytes(s.BytesRead)}";
        yield return $"new content:      {s.NewEntries} files, {Bytes(s.NewBytes)}";
        if (s.Store is { } store)
        {
            if (store.CanClone)
                yield return $"clones:           {store.ClonedEntries} entries, {Bytes(store.ClonedBytes)} (content stored already, another owner, mode or mtime: they share its data blocks){(store.CopiedEntries > 0 ? $"; {store.CopiedEntries} copied, {Bytes(store.CopiedBytes)}" : "")}";
            else if (store.CopiedEntries > 0)
                yield return $"per-owner copies: {store.CopiedEntries} entries, {Bytes(store.CopiedBytes)} (content stored already, another owner or mode); on a file system that clones (XFS with reflink, btrfs) they would take no space";
            yield return $"entry mtimes:     {(store.ExactMtime ? "each file's own (--exact-mtime)" : "the first file's of each entry")}";
            var xattrs = store.EntriesCarryXattrs
                ? "on snapshot files, folders and symlinks (files share an entry only when their xattrs and ACLs match)"
                : "in the manifest (restore sets them); snapshot files do not show them (--share=content, or the data folder's file system keeps none)";
            yield return $"xattrs and ACLs:  {xattrs}{(store.XattrsNotSet > 0 ? $"; not set on {store.XattrsNotSet} snapshot {(store.XattrsNotSet == 1 ? "entry" : "entries")} (see the notice above)" : "")}";
        }
        yield return $"links made:       {s.Links}";
        yield return string.Create(CultureInfo.InvariantCulture,
            $"saving:           {saving:F1}% (stored {Bytes(stored)} for {Bytes(s.LogicalBytes)} of files)");
        yield return $"problems:         {s.Problems}";
        yield return string.Create(CultureInfo.InvariantCulture,
            $"elapsed:          {s.Elapsed.TotalSeconds:F1} s, {s.Files / seconds:F0} files/s, {s.BytesRead / seconds / 1e6:F1} MB/s read");
    }

    public static string Bytes(long n)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = n;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{n} B" : string.Create(CultureInfo.InvariantCulture, $"{value:F1} {units[unit]}");
    }
}
