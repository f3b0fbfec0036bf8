using ActorBackup.Protocol;

namespace ActorBackup.Actors.Coordinator;

/// <summary>
/// How the coordinator cuts the queue of files into hash batches: at most
/// hash-batch-files files and hash-batch-bytes of content (a big file travels alone), and at
/// most <see cref="MaxWireBytes"/> of names, so that the batch, and the StoreFiles made from
/// it, stay far below the 128 KB remote frame limit even with 4,096-byte paths.
/// </summary>
public static class HashBatch
{
    public const int MaxWireBytes = 48 * 1024;

    /// <summary>Upper bound of one file's share of a serialized batch: names up to 3 bytes a char, metadata, hash.</summary>
    public static int WireBytes(SourceEntry file) => 160 + file.Path.Length * 3;

    public static List<SourceEntry> Take(Queue<SourceEntry> queue, int maxFiles, long maxBytes)
    {
        var batch = new BatchCutter<SourceEntry>(maxFiles, (f => f.Meta.Size, maxBytes), (f => WireBytes(f), MaxWireBytes));
        while (queue.Count > 0 && batch.Fits(queue.Peek()))
            batch.Add(queue.Dequeue());
        return batch.Cut();
    }
}
