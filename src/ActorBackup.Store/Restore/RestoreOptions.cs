using ActorBackup.Core;
using ActorBackup.Store;

namespace ActorBackup.Store.Restore;

/// <summary>
/// What one restore does, from the command line, checked before it starts.
/// <paramref name="SnapshotFolder"/> is the snapshot tree (the manifest's #snapshot), read
/// when a store entry is missing; <paramref name="SubPath"/> is --path (root-relative, safe),
/// null for the whole snapshot; <paramref name="ProgressEvery"/> is 0 for no progress lines.
/// </summary>
public sealed record RestoreOptions(
    StoreLayout Store,
    string ManifestPath,
    string? SnapshotFolder,
    string Target,
    string? SubPath,
    bool Overwrite,
    long ProgressEvery = 0)
{
    /// <summary>
    /// True for the entries a restore makes: all, or under --path the subtree and its
    /// ancestors (the folders leading to it, the root included).
    /// </summary>
    public bool InScope(string path) =>
        SubPath is null || path.Length == 0 || path == SubPath || IsBelow(path, SubPath) || IsBelow(SubPath, path);

    /// <summary>The snapshot tree's copy of a file, or null when the manifest names no snapshot folder.</summary>
    public string? SnapshotCopy(string path) => SnapshotFolder is null ? null : SnapshotFolder.TrimEnd('/') + "/" + path;

    private static bool IsBelow(string path, string folder) =>
        path.Length > folder.Length && path[folder.Length] == '/' && path.StartsWith(folder, StringComparison.Ordinal);
}
