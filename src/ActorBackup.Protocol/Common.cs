using ActorBackup.Core;

namespace ActorBackup.Protocol;

/// <summary>
/// One source entry as a walker saw it. <paramref name="Path"/> is relative to the root
/// folder ("" is the root itself); every actor resolves it against its own configured
/// folders, so no message carries an absolute path to write to.
/// </summary>
/// <paramref name="Known"/> is set by the walker for a regular file the previous snapshot
/// already holds unchanged (same size, mtime, ctime and inode): its content need not be read.
/// <paramref name="Xattrs"/>: the extended attributes the walker read (for now the access
/// ACL, which narrows the mode a snapshot inode shows), or took unchanged from the previous
/// manifest; null when there are none.
public sealed record SourceEntry(string Path, FileMeta Meta, byte[]? LinkTarget = null, KnownContent? Known = null, IReadOnlyList<Xattr>? Xattrs = null) : IProtocolMessage;

/// <summary>
/// The content a file had in the previous snapshot: its hash and the store entry (suffix) it
/// was linked to. <paramref name="SameOwnership"/>: its owner, group and mode are also as
/// the previous manifest records them, so that entry fitted the share policy for them.
/// </summary>
public sealed record KnownContent(string Hash, int Suffix, bool SameOwnership = false) : IProtocolMessage;

/// <summary>A source entry (root-relative path) that could not be backed up, and why. The run goes on.</summary>
public sealed record FileProblem(string Path, string Reason) : IProtocolMessage;

/// <summary>
/// A regular file and the hash of its content. <paramref name="Temp"/> names a file in the
/// store's temp folder that already holds exactly these bytes (the hasher copied while it
/// hashed), so the data-store can commit it without another read.
/// </summary>
public sealed record HashedFile(SourceEntry Source, string Hash, string? Temp = null) : IProtocolMessage;
