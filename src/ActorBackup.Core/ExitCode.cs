namespace ActorBackup.Core;

/// <summary>
/// Process exit codes. They are part of the user contract: the README lists them and
/// cron wrappers test them, so a value never changes meaning once released.
/// </summary>
public enum ExitCode
{
    /// <summary>The snapshot is complete and every source entry is in it.</summary>
    Success = 0,

    /// <summary>The run stopped: the snapshot was not published (store I/O error, internal error).</summary>
    Fatal = 1,

    /// <summary>A bad argument or option value; nothing was touched.</summary>
    Usage = 2,

    /// <summary>The snapshot was published, but some source files could not be read or changed while read.</summary>
    FileErrors = 3,

    /// <summary>The backup folder already exists and --ignorefileexists was not given.</summary>
    BackupFolderExists = 4,

    /// <summary>The data folder was set up with another --datalevels or --hash.</summary>
    DataFolderMismatch = 5,

    /// <summary>Backup and data folders are on different filesystems, so hardlinks are impossible.</summary>
    DifferentFilesystems = 6,

    /// <summary>A folder the run needs is missing and was not created.</summary>
    FolderMissing = 7,

    /// <summary>restore: the target folder is not empty and --overwrite was not given.</summary>
    TargetNotEmpty = 8,

    /// <summary>restore, verify: the data folder has no (complete) snapshot of the given name.</summary>
    SnapshotNotFound = 9,

    /// <summary>
    /// The data folder cannot be written: its file system is mounted read-only (EROFS), or
    /// the user running the command may not write it. Nothing was changed.
    /// </summary>
    DataFolderReadOnly = 10,

    /// <summary>Another run holds the data folder's lock.</summary>
    Locked = 11,

    /// <summary>A cluster run could not join the cluster or reach a storage node in time.</summary>
    StorageUnreachable = 12,

    /// <summary>
    /// The run stopped because the data folder's file system is full (or a disk quota is used
    /// up): the snapshot was not published, no store entry is partial, and the next run with
    /// the same backup folder resumes once space is freed.
    /// </summary>
    NoSpace = 13,

    /// <summary>
    /// backup, run as root: users other than root could reach the snapshots and change the
    /// files they own there, and with them every snapshot; nothing was written. The README's
    /// "Letting users browse" gives the safe layout.
    /// </summary>
    SnapshotsReachable = 14,

    /// <summary>status: no backup of the data folder succeeded within --max-age (or none is recorded).</summary>
    BackupTooOld = 15,

    /// <summary>verify: damage was found (and, with --heal, not all of it could be repaired).</summary>
    DamageFound = 20,

    /// <summary>verify --heal: damage was found and all of it was repaired.</summary>
    DamageHealed = 21,

    /// <summary>Stopped by SIGHUP (128 + 1): the snapshot was not published; the next run resumes it.</summary>
    Hangup = 129,

    /// <summary>Stopped by SIGINT (128 + 2, Ctrl-C): the snapshot was not published; the next run resumes it.</summary>
    Interrupted = 130,

    /// <summary>Stopped by SIGTERM (128 + 15): the snapshot was not published; the next run resumes it.</summary>
    Terminated = 143,
}
