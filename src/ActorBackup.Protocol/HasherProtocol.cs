namespace ActorBackup.Protocol;

/// <summary>Hasher: reads regular files, streaming, and hashes them.</summary>
public static class HasherProtocol
{
    /// <summary>
    /// Coordinator to the hasher pool: a batch of regular files. With
    /// <paramref name="CopyToStore"/> (one process, content probably new) the hasher also
    /// writes each file into the store's temp folder as it reads it: one read instead of two.
    /// </summary>
    public sealed record HashFiles(long BatchId, IReadOnlyList<SourceEntry> Files, bool CopyToStore = false) : IProtocolMessage;

    /// <summary>Hasher to coordinator: every file of the batch is either hashed or a problem.</summary>
    public sealed record FilesHashed(long BatchId, IReadOnlyList<HashedFile> Hashed, IReadOnlyList<FileProblem> Problems, long BytesRead) : IProtocolMessage;
}
