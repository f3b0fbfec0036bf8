using ActorBackup.Core;

namespace ActorBackup.Store;

/// <summary>
/// What one backup run does, from the command line. Folders are absolute, without trailing
/// slash. <c>PreviousManifest</c> is the published manifest of the snapshot this run compares
/// with (files unchanged since are linked without being read); <c>Rehash</c> reads them anyway.
/// </summary>
public sealed record RunOptions(
    string RootFolder,
    string BackupFolder,
    StoreLayout Store,
    SharePolicy Share,
    bool IgnoreFileExists = false,
    bool PauseOnError = false,
    TimeSpan FoldersPause = default,
    TimeSpan FilesPause = default,
    long ProgressEvery = 0,
    int Verbosity = 0,
    string? PreviousManifest = null,
    bool Rehash = false)
{
    /// <summary>The snapshot's name: the backup folder's last component (week10).</summary>
    public string SnapshotName => Path.GetFileName(BackupFolder);

    /// <summary>Where the snapshot is built until it is complete: a hidden sibling of the backup folder.</summary>
    public string PartialFolder => Path.Combine(Path.GetDirectoryName(BackupFolder) ?? "/", "." + SnapshotName + ".partial");

    /// <summary>Root-relative paths the walk must not enter: the backup and data folders when they lie inside the root.</summary>
    public IReadOnlySet<string> Excluded { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>--exact-mtime: whether entries are shared only between files of one mtime (auto: where the file system clones).</summary>
    public ExactMtime ExactMtime { get; init; }

    /// <summary>--one-file-system: directories on another file system than the root folder's are not walked (rsync -x).</summary>
    public bool OneFileSystem { get; init; }

    public string SourcePath(string relative) => relative.Length == 0 ? RootFolder : RootFolder.TrimEnd('/') + "/" + relative;
}
