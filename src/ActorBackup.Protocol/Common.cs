using ActorBackup.Core;

namespace ActorBackup.Protocol;

/// <summary>
/// One source entry as a walker saw it. <paramref name="Path"/> is relative to the root
/// folder ("" is the root itself); every actor resolves it against its own configured
/// folders, so no message carries an absolute path to write to.
/// </summary>
public sealed record SourceEntry(string Path, FileMeta Meta, byte[]? LinkTarget = null) : IProtocolMessage;

/// <summary>A source entry (root-relative path) that could not be backed up, and why. The run goes on.</summary>
public sealed record FileProblem(string Path, string Reason) : IProtocolMessage;

/// <summary>A regular file and the hash of its content.</summary>
public sealed record HashedFile(SourceEntry Source, string Hash) : IProtocolMessage;
