using ActorBackup.Core;
using ActorBackup.Posix;

namespace ActorBackup.Store;

/// <summary>
/// A data folder whose file system is full (ENOSPC) or whose quota is used up (EDQUOT).
/// The run cannot go on, yet nothing is damaged: it stops unpublished with its own exit
/// code (<see cref="ExitCode.NoSpace"/>) and a line naming the folder, its file system and
/// the fix. Every entry named so far is whole (named only after its bytes were written and
/// flushed), and the next run with the same backup folder resumes.
/// </summary>
public static class StoreFull
{
    /// <summary>What a run reports for <paramref name="e"/>: exit 13 and the no-space line, or exit 1 and the error.</summary>
    public static (string Reason, ExitCode Code) Failure(Exception e, string dataFolder)
    {
        if (!FileSystemFull.Is(e, out var quota))
            return (e.Message, ExitCode.Fatal);
        var mount = FileSystemFull.MountPointOf(dataFolder);
        var reason = quota
            ? $"disk quota exceeded on {dataFolder} (file system {mount}; {e.Message}): raise the quota of the owner the write was for, or free some of their space, and run again"
            : $"no space left on {dataFolder} (file system {mount}; {e.Message}): free space on {mount} and run again";
        return (reason, ExitCode.NoSpace);
    }
}
