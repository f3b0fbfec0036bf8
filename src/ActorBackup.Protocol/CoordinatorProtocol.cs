using ActorBackup.Core;

namespace ActorBackup.Protocol;

/// <summary>Coordinator: owns one run, from the first walk to the published snapshot.</summary>
public static class CoordinatorProtocol
{
    /// <summary>Caller to coordinator: run the backup; the reply is <see cref="RunFinished"/>.</summary>
    public sealed record StartRun : IProtocolMessage;

    /// <summary>
    /// Caller to coordinator: a signal (SIGTERM, SIGINT, SIGHUP) asks the run to stop. It ends
    /// unpublished with <paramref name="Code"/>, its temp files removed, unless publishing has
    /// begun: that finishes first. Sent within the caller's process only, never over the wire.
    /// </summary>
    public sealed record StopRun(ExitCode Code, string Reason);

    /// <summary>Coordinator to caller.</summary>
    public sealed record RunFinished(ExitCode Code, RunStats Stats, string? FatalReason) : IProtocolMessage;

    /// <summary>
    /// Coordinator to the reporter: a source entry that did not make it into the snapshot;
    /// or, with <paramref name="Notice"/>, something the admin should know about a file that
    /// is in it (not a failure: no pause, no exit code).
    /// </summary>
    public sealed record ProblemReported(FileProblem Problem, bool Notice = false) : IProtocolMessage;

    /// <summary>Reporter to coordinator, under --pauseonerror: the user pressed Enter, go on.</summary>
    public sealed record ResumeAfterProblem : IProtocolMessage;

    /// <summary>Coordinator to the reporter: every --doprogress files, and on a timer for a live line.</summary>
    public sealed record ProgressReported(RunStats Stats, bool Periodic) : IProtocolMessage;

    /// <summary>
    /// Counters of a run, for progress and the --dostats summary. <c>Unchanged</c>: files
    /// linked from the previous snapshot without being read; <c>Store</c>: the data-store's
    /// own figures once the snapshot is closed (clones and copies of stored content).
    /// </summary>
    public sealed record RunStats(
        long Files,
        long Directories,
        long Symlinks,
        long Specials,
        long Skipped,
        long BytesRead,
        long Problems,
        long NewEntries,
        long NewBytes,
        long Links,
        long LogicalBytes,
        TimeSpan Elapsed,
        long Unchanged = 0,
        DataStoreProtocol.StoreStats? Store = null) : IProtocolMessage;
}
