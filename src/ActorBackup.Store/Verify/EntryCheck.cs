using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store.Content;
using Microsoft.Win32.SafeHandles;

namespace ActorBackup.Store.Verify;

/// <summary>
/// Re-reads one store entry and compares the hash of its bytes with its name. The entry's
/// cached pages are dropped first, so the bytes come from the disk (where bit rot is), not
/// from memory, and again after, so a scrub does not evict the server's useful cache.
/// </summary>
public static class EntryCheck
{
    /// <summary>Bytes read, and why the entry is damaged (null: its bytes match its name).</summary>
    public readonly record struct Outcome(long Bytes, string? Damage);

    public static Outcome Check(string path, string hash, ulong inode, HashKind kind, byte[] buffer)
    {
        SafeFileHandle handle;
        FileMeta meta;
        try
        {
            handle = Files.OpenSource(path, out meta);
        }
        catch (PosixException e)
        {
            return new Outcome(0, $"cannot be opened ({e.Cause})");
        }
        using (handle)
        {
            if (meta.Type != EntryType.File)
                return new Outcome(0, $"is a {StoreIndex.Describe(meta.Type)}, not a regular file");
            if (inode != 0 && meta.Inode != inode)
                return new Outcome(0, $"was replaced by another inode ({meta.Inode}, was {inode}) while verify ran");
            Files.DropCache(handle);
            using var digest = kind.Create();
            var bytes = HashStream.Read(handle, buffer, digest, sink: null, out var readError);
            Files.DropCache(handle);
            if (readError is not null)
                return new Outcome(bytes, $"cannot be read ({readError}): the disk fails under it");
            var actual = ContentHash.Finish(digest);
            return actual == hash
                ? new Outcome(bytes, null)
                : new Outcome(bytes, $"its bytes no longer match its name (they hash to {actual}): bit rot, or an edit through a snapshot path");
        }
    }
}
