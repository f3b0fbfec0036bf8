using ActorBackup.Core;

namespace ActorBackup.Protocol;

/// <summary>Walker: lists one directory per message, lstat'ing every entry, never following symlinks.</summary>
public static class WalkerProtocol
{
    /// <summary>Coordinator to walker. <paramref name="Expected"/> is what the parent's listing saw: a directory with another inode is refused.</summary>
    public sealed record WalkDirectory(string Path, FileMeta Expected) : IProtocolMessage;

    /// <summary>Walker to coordinator: the directory's entries (sorted by name) and the ones that could not be examined.</summary>
    public sealed record DirectoryWalked(string Path, IReadOnlyList<SourceEntry> Entries, IReadOnlyList<FileProblem> Problems) : IProtocolMessage;
}
