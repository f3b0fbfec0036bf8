using ActorBackup.Core;
using ActorBackup.Store;
using ActorBackup.Store.Manifest;

namespace ActorBackup.Store.Catalog;

/// <summary>
/// The data folder's catalog of snapshots: the published manifests in
/// .actorbackup/snapshots. A run compares itself with the newest complete snapshot of the
/// same root folder (or the one named with --previous), so unchanged files are not read.
/// </summary>
public static class SnapshotCatalog
{
    /// <summary>
    /// The manifest this run compares with, or null (first run of this root, or only manifests
    /// of an older format). <paramref name="asked"/> is --previous: it must exist and be complete.
    /// </summary>
    public static string? FindPrevious(StoreLayout layout, string rootFolder, string snapshotName, string? asked)
    {
        if (asked is not null)
        {
            var path = layout.ManifestPath(asked);
            if (!File.Exists(path))
                throw new UserError(ExitCode.Usage, $"--previous={asked}: the data folder {layout.DataFolder} has no snapshot of that name (no {path})");
            try
            {
                using var index = DirectoryIndex.Open(path);
            }
            catch (FormatException e)
            {
                throw new UserError(ExitCode.Usage, $"--previous={asked}: {e.Message}");
            }
            return path;
        }
        if (!Directory.Exists(layout.SnapshotsFolder))
            return null;
        var root = PathBytes.Escape(rootFolder);
        string? best = null;
        var bestStarted = "";
        var bestWritten = DateTime.MinValue;
        foreach (var path in Directory.EnumerateFiles(layout.SnapshotsFolder, "*.manifest"))
        {
            if (Path.GetFileNameWithoutExtension(path) == snapshotName)
                continue;
            try
            {
                var header = ManifestReader.ReadLeadingHeader(path);
                if (header.GetValueOrDefault("root") != root)
                    continue;
                // Newest by start time; runs started within the same second by when they were published.
                var started = header.GetValueOrDefault("started") ?? "";
                var written = File.GetLastWriteTimeUtc(path);
                var order = string.CompareOrdinal(started, bestStarted);
                if (best is not null && (order < 0 || (order == 0 && written <= bestWritten)))
                    continue;
                using (DirectoryIndex.Open(path)) { } // complete and sorted, or skipped
                best = path;
                bestStarted = started;
                bestWritten = written;
            }
            catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
            {
                // Not usable (older format, damaged): this run reads those files instead.
            }
        }
        return best;
    }
}
