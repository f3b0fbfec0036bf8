using ActorBackup.Core;
using Akka.Actor;

namespace ActorBackup.Protocol;

/// <summary>
/// Messages between nodes of a cluster run (see README.md in this folder for the flow).
/// Hashing work is pulled by workers, never pushed: a worker registers with the
/// coordinator's work broker, asks for work, and the broker re-queues the batches of a
/// worker that dies or misses its deadline. Results are idempotent (by batch id).
/// </summary>
public static class ClusterProtocol
{
    /// <summary>
    /// Coordinator to each hasher node's service (/user/hasher) that is Up when a run starts:
    /// have your workers register with this broker. The broker holds its first batches until
    /// they have (or <c>hasher-wait</c> passed), so every such node works from the start.
    /// </summary>
    public sealed record ServeBroker(IActorRef Broker) : IProtocolMessage;

    /// <summary>
    /// Hasher node's service to a run's broker, before any of its workers registers: which
    /// source does this run read, and how does it look? Answered with <see cref="SourceIdentity"/>.
    /// </summary>
    public sealed record GetSourceIdentity : IProtocolMessage;

    /// <summary>
    /// Broker to a hasher node's service: the run's root folder as the coordinator sees it, what
    /// the root is (its inode), and a sample of the entries in it (names, types, inodes). A node
    /// that sees the same files through its path map finds the same inodes (a bind mount or NFS
    /// gives the file server's inode numbers; device numbers differ between machines and are not
    /// compared).
    /// </summary>
    public sealed record SourceIdentity(string Root, FileMeta RootMeta, IReadOnlyList<SourceEntry> Sample) : IProtocolMessage;

    /// <summary>
    /// Hasher node's service to broker: this node does not see the run's source where it looked
    /// (<paramref name="Looked"/>, the root through its path map), for <paramref name="Reason"/>;
    /// none of its workers takes work for this run, so the broker waits for it no longer.
    /// </summary>
    public sealed record SourceNotSeen(string Node, string Looked, string Reason) : IProtocolMessage;

    /// <summary>Worker to broker: here is a worker with <paramref name="Capacity"/> batches at once; the broker watches it.</summary>
    public sealed record RegisterWorker(IActorRef Worker, string Node, int Capacity) : IProtocolMessage;

    /// <summary>
    /// Between the coordinator's and the storage node's <c>StoreRelay</c>: data-store commands
    /// (or its replies) in the order sent, each already serialized (its wire manifest and
    /// bytes), so that one remote message carries a whole burst of them.
    /// </summary>
    public sealed record Relayed(IReadOnlyList<RelayedMessage> Messages) : IProtocolMessage;

    /// <summary>One message inside <see cref="Relayed"/>.</summary>
    public sealed record RelayedMessage(string Manifest, byte[] Bytes);

    /// <summary>Broker to worker.</summary>
    public sealed record WorkerRegistered : IProtocolMessage;

    /// <summary>Worker to broker: I can take one more batch.</summary>
    public sealed record RequestWork(IActorRef Worker) : IProtocolMessage;

    /// <summary>
    /// Broker to worker: a batch to hash, with what a worker on another node needs to find the
    /// files. <paramref name="TempFolder"/> (content probably new): a worker that sees the data
    /// folder (<c>store-visible</c>) also writes each file there while hashing, with the owner
    /// and mode <paramref name="Share"/> gives its entry, and names the temp file in its result.
    /// </summary>
    public sealed record HashWork(long BatchId, string Root, string Hash, IReadOnlyList<SourceEntry> Files, string? TempFolder = null, string Share = "owner") : IProtocolMessage;

    /// <summary>Worker to broker: the batch is hashed (the same record as the local <c>FilesHashed</c>, plus who did it).</summary>
    public sealed record WorkDone(string Node, HasherProtocol.FilesHashed Result) : IProtocolMessage;

    /// <summary>
    /// Broker to worker: list one directory of the run's source (the coordinator's
    /// <see cref="WalkerProtocol.WalkDirectory"/>). <paramref name="RootDevice"/> is the device
    /// number of the root as the coordinator sees it: a worker on another machine (NFS) sees other
    /// device numbers, and gives its own root's device this one, so that the coordinator's
    /// checks (same directory as the parent listed, --one-file-system) hold wherever it walked.
    /// </summary>
    public sealed record WalkWork(long WalkId, string Root, WalkerProtocol.WalkDirectory Walk, ulong RootDevice) : IProtocolMessage;

    /// <summary>
    /// Worker to broker: part <paramref name="Part"/> of <paramref name="Parts"/> of a directory's
    /// listing (a directory of 100,000 entries is far over the 128 KB frame limit). The listing
    /// is made without the previous snapshot: the broker adds what is known unchanged.
    /// </summary>
    public sealed record WalkDone(string Node, long WalkId, int Part, int Parts, WalkerProtocol.DirectoryWalked Result) : IProtocolMessage;

    /// <summary>Coordinator to storage service: open a data-store for this run (takes the data folder's lock).</summary>
    public sealed record OpenSession(SessionSpec Spec, IActorRef ContentSource) : IProtocolMessage;

    /// <summary>Storage service to coordinator: the run's data-store, and the data folder's hash and levels.</summary>
    public sealed record SessionOpened(IActorRef DataStore, string Hash, int Levels) : IProtocolMessage;

    /// <summary>Storage service to coordinator: refused before anything was touched (folder exists, locked, ...).</summary>
    public sealed record SessionRefused(int ExitCode, string Reason) : IProtocolMessage;

    /// <summary>Coordinator to storage service: the run is over; release the lock.</summary>
    public sealed record CloseSession(string SnapshotName) : IProtocolMessage;

    /// <summary>
    /// What the storage node needs to open a run: folders as the storage node sees them,
    /// and the root as the coordinator sees it (only for the storage node's path map).
    /// </summary>
    public sealed record SessionSpec(
        string RootFolder,
        string BackupFolder,
        string DataFolder,
        int Levels,
        string Hash,
        string Share,
        bool IgnoreFileExists,
        bool LevelsGiven,
        bool HashGiven,
        string ExactMtime = "auto") : IProtocolMessage;

    /// <summary>Storage node to the content source: stream this file's bytes to <paramref name="Receiver"/>.</summary>
    public sealed record SendContent(long Token, SourceEntry Source, IActorRef Receiver) : IProtocolMessage;

    /// <summary>Content source to receiver: bytes at <paramref name="Offset"/>; at most 64 KiB, far below the 128 KB frame limit.</summary>
    public sealed record ContentChunk(long Token, long Offset, byte[] Bytes) : IProtocolMessage;

    /// <summary>Receiver to content source: bytes up to <paramref name="Offset"/> are written; the sender keeps a bounded window.</summary>
    public sealed record ChunkAck(long Token, long Offset) : IProtocolMessage;

    /// <summary>Content source to receiver: no more bytes; <paramref name="Problem"/> when the source failed.</summary>
    public sealed record ContentEnd(long Token, long Bytes, string? Problem) : IProtocolMessage;
}
