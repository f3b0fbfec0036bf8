using System.Diagnostics;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;
using ActorBackup.Store.Catalog;

namespace ActorBackup.Store.Prune;

/// <summary>A snapshot prune will not remove (its tree lies outside --backuproot, ...): the reason is for the user.</summary>
public sealed class SnapshotRefusedException(string name, string reason) : Exception(reason)
{
    public string Name { get; } = name;
}

/// <summary>What removing one snapshot took away. <paramref name="TreeRemoved"/> is false when only its marker went (see <see cref="SnapshotRemover.Finish"/>).</summary>
/// <paramref name="Elapsed"/> is the tree's removal; <paramref name="Synced"/> the flush that makes it durable before the marker goes.
public sealed record SnapshotRemoved(string Name, string? Tree, bool TreeRemoved, long Files, long Directories, TimeSpan Elapsed, TimeSpan Synced, string? Note);

/// <summary>
/// Removes snapshots crash-safely. For each:
/// <list type="number">
/// <item>mark: NAME.manifest is renamed NAME.manifest.deleting and the catalog folder fsynced,
/// so from here on nothing takes it for a complete snapshot (list shows "deleting"; the
/// files cache and restore look only at NAME.manifest);</item>
/// <item>the tree is removed (never following a symlink, never crossing into another file system);</item>
/// <item>one syncfs makes the removal durable; then NAME.summary and the marker go, and the
/// catalog folder is fsynced.</item>
/// </list>
/// A prune stopped anywhere leaves at most a marker and part of a tree; the next prune
/// finishes it (<see cref="Finish"/>). A tree is removed only when it lies inside the backup
/// root, resolved without symlinks, and does not hold the data folder.
/// </summary>
public sealed class SnapshotRemover
{
    /// <summary>Threads removing a tree's subfolders at once: one per core, at most 4 (unlinking is kernel work).</summary>
    private static readonly int Workers = Math.Clamp(Environment.ProcessorCount, 1, 4);

    private readonly StoreLayout _layout;
    private readonly string _backupRoot;
    private readonly string _dataFolder;

    public SnapshotRemover(StoreLayout layout, string backupRoot)
    {
        _layout = layout;
        _backupRoot = Files.RealPath(backupRoot);
        _dataFolder = Files.RealPath(layout.DataFolder);
    }

    /// <summary>Removes a complete (or damaged) snapshot: mark, tree, marker.</summary>
    public SnapshotRemoved Remove(SnapshotInfo s)
    {
        var tree = CheckTree(s);
        var marker = SnapshotList.CatalogPath(_layout, s.Name, SnapshotStatus.Deleting);
        if (Files.Exists(marker))
            throw new SnapshotRefusedException(s.Name, $"{marker} exists already; run prune again to finish that removal first");
        Files.Rename(s.ManifestPath, marker);
        Files.FsyncDirectory(_layout.SnapshotsFolder);
        return RemoveMarked(s.Name, tree, marker, note: null);
    }

    /// <summary>
    /// Finishes a snapshot an earlier prune marked. When a newer run has since taken the
    /// name (NAME.manifest or NAME.manifest.partial exists), the tree at that path is the newer
    /// run's: only the marker goes.
    /// </summary>
    public SnapshotRemoved Finish(SnapshotInfo s)
    {
        var marker = s.ManifestPath;
        var published = Files.Exists(SnapshotList.CatalogPath(_layout, s.Name, SnapshotStatus.Complete));
        if (published || Files.Exists(SnapshotList.CatalogPath(_layout, s.Name, SnapshotStatus.Partial)))
        {
            if (!published)
                Files.Unlink(SnapshotList.SummaryPath(_layout, s.Name));
            Files.Unlink(marker);
            Files.FsyncDirectory(_layout.SnapshotsFolder);
            return new SnapshotRemoved(s.Name, s.TreePath, false, 0, 0, TimeSpan.Zero, TimeSpan.Zero, "a newer run uses the name: its tree was left, only the marker removed");
        }
        return RemoveMarked(s.Name, CheckTree(s), marker, note: "finished");
    }

    private SnapshotRemoved RemoveMarked(string name, string tree, string marker, string? note)
    {
        var clock = Stopwatch.StartNew();
        var removed = Removal.RemoveTree(tree, Workers);
        var elapsed = clock.Elapsed;
        if (removed.Files + removed.Directories > 0) // else the tree was gone already (removed by hand), perhaps with its parent
            Files.FsyncDirectory(Path.GetDirectoryName(tree) ?? "/");
        Files.SyncFileSystem(_layout.DataFolder);
        Files.Unlink(SnapshotList.SummaryPath(_layout, name));
        Files.Unlink(marker);
        Files.FsyncDirectory(_layout.SnapshotsFolder);
        return new SnapshotRemoved(name, tree, true, removed.Files, removed.Directories, elapsed, clock.Elapsed - elapsed, note);
    }

    /// <summary>
    /// The tree's path with its parent folders resolved, when it lies strictly inside the
    /// backup root and neither is nor holds the data folder; refuses otherwise.
    /// </summary>
    public string CheckTree(SnapshotInfo s)
    {
        var tree = s.TreePath;
        if (string.IsNullOrEmpty(tree))
            throw new SnapshotRefusedException(s.Name, $"{s.ManifestPath} names no snapshot tree (#snapshot line); remove it by hand after checking");
        var name = Path.GetFileName(tree.TrimEnd('/'));
        var parent = Path.GetDirectoryName(tree.TrimEnd('/'));
        if (!tree.StartsWith('/') || name is "" or "." or ".." || parent is null || tree.Split('/').Any(c => c is "." or ".."))
            throw new SnapshotRefusedException(s.Name, $"snapshot tree {tree} is not a plain absolute path; remove it by hand after checking");
        var resolved = Path.Combine(Files.RealPath(parent), name);
        var rootPrefix = _backupRoot == "/" ? "/" : _backupRoot + "/";
        if (!resolved.StartsWith(rootPrefix, StringComparison.Ordinal))
            throw new SnapshotRefusedException(s.Name, $"snapshot tree {tree}{(resolved != tree ? $" (really {resolved})" : "")} is not inside --backuproot {_backupRoot}; nothing of it was removed");
        if (_dataFolder == resolved || _dataFolder.StartsWith(resolved + "/", StringComparison.Ordinal))
            throw new SnapshotRefusedException(s.Name, $"snapshot tree {tree} holds the data folder {_dataFolder}; nothing of it was removed");
        return resolved;
    }
}
