using ActorBackup.Core;

namespace ActorBackup.Protocol;

/// <summary>
/// Data-store: the one actor that names store entries and creates anything in the snapshot.
/// Only the coordinator sends it commands, so they arrive in the order they were decided
/// (a directory is created before anything is linked into it).
/// </summary>
public static class DataStoreProtocol
{
    /// <summary>Coordinator to data-store: start (or resume) the snapshot's partial tree and manifest; <paramref name="Root"/> is the source root.</summary>
    public sealed record OpenSnapshot(SourceEntry Root) : IProtocolMessage;

    /// <summary>Data-store to coordinator.</summary>
    public sealed record SnapshotOpened : IProtocolMessage;

    /// <summary>Coordinator to data-store: create a listed directory's subdirectories, symlinks and special files.</summary>
    public sealed record CreateEntries(string Directory, IReadOnlyList<SourceEntry> Entries) : IProtocolMessage;

    /// <summary>Data-store to coordinator.</summary>
    public sealed record EntriesCreated(string Directory, IReadOnlyList<FileProblem> Problems, int Skipped) : IProtocolMessage;

    /// <summary>Coordinator to data-store: link hashed files into the snapshot, storing content the store lacks.</summary>
    public sealed record StoreFiles(IReadOnlyList<HashedFile> Files) : IProtocolMessage;

    /// <summary>
    /// Data-store to coordinator: these files are done, linked or failed. Files whose
    /// content had to be copied first come in a later message than their StoreFiles.
    /// <paramref name="StoreNotices"/>: what the admin should know about the data folder
    /// itself (an entry found unfit to link); their paths are absolute, not root-relative.
    /// </summary>
    public sealed record FilesStored(IReadOnlyList<HashedFile> Done, IReadOnlyList<FileProblem> Problems, IReadOnlyList<FileProblem>? StoreNotices = null) : IProtocolMessage;

    /// <summary>Coordinator to data-store: every child is in place; set the directory's owner, mode and times.</summary>
    public sealed record FinalizeDirectory(SourceEntry Directory) : IProtocolMessage;

    /// <summary>Data-store to coordinator.</summary>
    public sealed record DirectoryFinalized(string Path, FileProblem? Problem) : IProtocolMessage;

    /// <summary>Coordinator to data-store: flush everything to disk, complete the manifest and publish the snapshot.</summary>
    public sealed record CloseSnapshot(bool Publish) : IProtocolMessage;

    /// <summary>Data-store to coordinator: the snapshot is published (or left partial when not asked to publish).</summary>
    public sealed record SnapshotClosed(StoreStats Stats) : IProtocolMessage;

    /// <summary>
    /// Data-store to coordinator: the data or backup folder failed under us; the run cannot go
    /// on. <paramref name="Code"/> is the run's exit code: <see cref="ExitCode.NoSpace"/> when
    /// the file system is full or a quota is used up, else <see cref="ExitCode.Fatal"/>.
    /// </summary>
    public sealed record StoreFailed(string Reason, ExitCode Code = ExitCode.Fatal) : IProtocolMessage;

    /// <summary>
    /// What the data-store did in this run. Of the new entries, <paramref name="ClonedEntries"/>
    /// were reflink clones of an entry of the same content (another owner, mode or mtime; no
    /// new data blocks) and <paramref name="CopiedEntries"/> were whole copies of a content the
    /// store already held (where the file system cannot clone, or a clone failed).
    /// <paramref name="CanClone"/>: the data folder's file system cloned a probe file this run;
    /// <paramref name="ExactMtime"/>: entries were shared only between files of one mtime.
    /// </summary>
    public sealed record StoreStats(
        long NewEntries, long NewBytes, long Links, long ExistingLinks, long Directories, long Symlinks, long Specials, long Skipped,
        long ClonedEntries = 0, long ClonedBytes = 0, long CopiedEntries = 0, long CopiedBytes = 0, bool CanClone = false, bool ExactMtime = false,
        bool EntriesCarryXattrs = false, long XattrsNotSet = 0) : IProtocolMessage;
}
