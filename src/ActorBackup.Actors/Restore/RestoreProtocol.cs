using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store.Restore;

namespace ActorBackup.Actors.Restore;

/// <summary>
/// The messages of a restore, all inside one process (none crosses the network):
/// <code>
///   message                  sent by              to                  when
///   StartRestore             CLI (Ask)            RestoreCoordinator  once
///   RestoreFiles(batch)      RestoreCoordinator   FileRestorer pool   regular files of the manifest, after their folder was made;
///                                                                     at most hashers x batches-per-hasher batches in flight
///   FilesRestored(batch)     FileRestorer         RestoreCoordinator  every file of the batch restored, or a problem
///   RestoreReported          RestoreCoordinator   reporter (CLI)      a problem or notice, or a -v progress line
///   StopRestore              CLI                  RestoreCoordinator  a signal: read no further, finish once the batches in flight are back
///   RestoreFinished          RestoreCoordinator   CLI                 after the last batch and the folders' metadata
/// </code>
/// Paths are root-relative, as in the manifest ("" is the snapshot root, that is the target).
/// </summary>
public static class RestoreProtocol
{
    public sealed record StartRestore;

    /// <summary>A signal came: no more manifest lines are read; the run ends with <paramref name="Code"/> once the batches in flight are back.</summary>
    public sealed record StopRestore(ExitCode Code, string Reason);

    /// <summary>
    /// A batch of files. <paramref name="ExactXattrs"/>: the target has a default ACL, so a new
    /// file inherits an ACL; each is then given exactly its list (an ACL it lacks is removed).
    /// </summary>
    public sealed record RestoreFiles(long BatchId, IReadOnlyList<FileToRestore> Files, bool ExactXattrs = false);

    /// <summary>A file (or folder, or manifest line) that was not restored exactly; the restore goes on.</summary>
    public sealed record RestoreProblem(string Path, string Reason);

    /// <summary>
    /// <paramref name="Restored"/> files were written exactly; each one in <paramref name="Problems"/>
    /// was not (or not exactly). <paramref name="Notices"/> were restored exactly, from another source.
    /// <paramref name="XattrsNotSet"/>: restored files that lack some of their xattrs, and which
    /// (the coordinator tells each kind once per run and counts the files).
    /// </summary>
    public sealed record FilesRestored(long BatchId, int Restored, long Bytes, IReadOnlyList<RestoreProblem> Problems, IReadOnlyList<RestoreProblem> Notices,
        IReadOnlyList<(string Path, FailedXattrs Failed)>? XattrsNotSet = null);

    /// <summary>What the reporter prints: a problem or notice on standard error, or a progress line.</summary>
    public sealed record RestoreReported(RestoreProblem? Problem, bool Notice, RestoreStats? Progress);

    /// <summary>The outcome: <see cref="ExitCode.Success"/>, <see cref="ExitCode.FileErrors"/>, <see cref="ExitCode.Fatal"/>, or a signal's code.</summary>
    public sealed record RestoreFinished(ExitCode Code, RestoreStats Stats, string? FatalReason);
}

/// <summary>
/// Counts of one restore. <paramref name="Skipped"/>: sockets (never restored, as a backup
/// never recreates them); <paramref name="Problems"/>: entries not restored exactly.
/// </summary>
public sealed record RestoreStats(long Files, long Bytes, long Directories, long Symlinks, long Specials, long Skipped, long Problems, TimeSpan Elapsed, long XattrsNotSet = 0);
