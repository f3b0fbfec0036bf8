using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;
using ActorBackup.Store.Content;
using ActorBackup.Store.Manifest;

namespace ActorBackup.Store.Verify;

/// <summary>
/// verify --heal: rewrites a damaged store entry from the live source. The candidates are
/// the files at the paths the manifests name for the entry, under the root folder. One is
/// read (safely, as a backup reads: O_NOFOLLOW, same inode, unchanged while read) into a temp
/// file in the data folder; only when its bytes hash to the entry's name are they copied into
/// the entry in place: same inode, so every snapshot linking it is repaired at once, then
/// truncated to size, owner, mode and mtime put back, fsynced, and the entry re-read from
/// the disk to confirm. The entry is never written with bytes that do not hash to its name.
/// </summary>
public sealed class Healer(StoreLayout layout, int readBuffer, int readRetries, string rootFolder) : IDisposable
{
    private readonly byte[] _buffer = new byte[readBuffer];
    private readonly SourceReader _reader = new(new byte[readBuffer], layout.Hash, readRetries);
    private readonly SourceRoot _root = new(rootFolder);
    private int _nextTemp;

    /// <summary>What became of one entry: healed from <paramref name="Source"/>, or why not.</summary>
    public sealed record Result(bool Healed, string? Source, string Why);

    /// <param name="relativePaths">Root-relative paths the manifests name for the entry (distinct).</param>
    public Result Heal(EntryKey key, ulong inode, long size, IReadOnlyCollection<string> relativePaths)
    {
        if (relativePaths.Count == 0)
            return new Result(false, null, "no manifest names it, so no source file can be found; nothing links it from a snapshot (prune removes it once it has no links)");
        var reasons = new List<string>();
        foreach (var relative in relativePaths)
        {
            if (!PathBytes.IsSafeRelative(relative))
                continue;
            var source = StructureCheck.SnapshotPath(rootFolder, relative);
            var (result, why) = TryFrom(key, inode, size, relative, source);
            if (result is not null)
                return result;
            reasons.Add($"{Finding.Show(source)} {why}");
        }
        return new Result(false, null, $"no source file has that content any more ({string.Join("; ", reasons)})");
    }

    /// <summary>
    /// One candidate, read below the root folder as a backup reads it: no symlink on its path
    /// is followed (users own the folders of the live source, and could point one anywhere).
    /// </summary>
    private (Result? Healed, string Why) TryFrom(EntryKey key, ulong inode, long size, string relative, string source)
    {
        var temp = Path.Combine(layout.TempFolder, $"{Environment.ProcessId}-verify-{++_nextTemp}.tmp");
        Files.CreateFolders(layout.TempFolder, 0x1C0);
        try
        {
            string hash;
            using (var output = Files.CreateExclusive(temp))
            {
                var read = _reader.ReadAny(_root, relative, size,
                    sink: (chunk, offset) => RandomAccess.Write(output, chunk, offset),
                    restart: () => RandomAccess.SetLength(output, 0));
                if (read.Problem is not null)
                {
                    return (null, read.Meta switch
                    {
                        { Type: EntryType.File } meta when meta.Size != size => $"has changed ({meta.Size} bytes, the entry holds {size})",
                        { Type: not EntryType.File } meta => $"is a {StoreIndex.Describe(meta.Type)} now",
                        _ when read.Problem == "vanished before it could be read" => "is gone",
                        _ => read.Problem,
                    });
                }
                hash = read.Hash!;
            }
            if (hash != key.Hash(layout.Hash))
                return (null, "has changed (same size, other content)");
            return (Rewrite(key, inode, size, temp, source), "");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"could not be copied into the data folder's temp folder ({e.Message})");
        }
        finally
        {
            Files.TryUnlink(temp);
        }
    }

    /// <summary>Copies the verified temp file into the entry's own inode and confirms it from the disk.</summary>
    private Result Rewrite(EntryKey key, ulong inode, long size, string temp, string source)
    {
        var entry = key.PathIn(layout);
        var hash = key.Hash(layout.Hash);
        try
        {
            using (var input = Files.OpenSource(temp, out _))
            using (var output = Files.OpenExistingForWriting(entry, out var before))
            {
                if (before.Type != EntryType.File || before.Inode != inode)
                    return new Result(false, null, $"the entry was replaced by another inode ({before.Inode}) while verify ran; run verify again");
                using var digest = layout.Hash.Create();
                var copied = HashStream.Read(input, _buffer, digest, (chunk, offset) => RandomAccess.Write(output, chunk, offset), out var readError);
                if (readError is not null || copied != size || ContentHash.Finish(digest) != hash)
                    return new Result(false, null, $"the copy of {Finding.Show(source)} in {Finding.Show(temp)} did not read back right ({readError ?? "other bytes"}); check the data folder's disk");
                RandomAccess.SetLength(output, size);
                Files.SetMeta(output, entry, before.Uid, before.Gid, before.Mode, before.Mtime, Files.IsRoot);
                Files.Fsync(output, entry);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new Result(false, null, $"rewriting it failed ({e.Message})");
        }
        var check = EntryCheck.Check(entry, hash, inode, layout.Hash, _buffer);
        return check.Damage is null
            ? new Result(true, source, "")
            : new Result(false, null, $"rewritten from {Finding.Show(source)}, but read back from the disk it still fails: {check.Damage}; the disk may be failing: replace it");
    }

    public void Dispose() => _root.Dispose();
}
