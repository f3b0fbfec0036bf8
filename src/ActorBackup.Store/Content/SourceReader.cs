using ActorBackup.Core;
using ActorBackup.Posix;
using Microsoft.Win32.SafeHandles;

namespace ActorBackup.Store.Content;

/// <summary>
/// Reads a file safely and streams it through a hash (and optionally into a writer). A
/// source file is opened beneath its <see cref="SourceRoot"/> (no symlink on its path is
/// followed), and only if it is still the regular file and inode the walk saw: anything
/// else (a FIFO, a device, a symlink swapped in) is never opened for reading. Writes under
/// way when it is opened are waited for; after reading, size, mtime and ctime must not have
/// moved, else the file is read again.
/// </summary>
public sealed class SourceReader(Memory<byte> buffer, HashKind hashKind, int retries)
{
    /// <summary>The outcome of one read: the hash and the metadata the bytes belong to, or a reason.</summary>
    public sealed record Result(string? Hash, FileMeta? Meta, long Bytes, string? Problem);

    /// <summary>Opens the file if <c>accept</c> takes its fstat; null (and what it is) when not.</summary>
    private delegate SafeFileHandle? Opener(Predicate<FileMeta> accept, out FileMeta meta);

    /// <summary>
    /// Reads <paramref name="relative"/> below <paramref name="root"/>, which the walk saw as
    /// <paramref name="expected"/>. <paramref name="sink"/> (if any) gets every chunk;
    /// <paramref name="restart"/> is called before a retry so the sink can start over.
    /// </summary>
    /// <paramref name="sameHost"/> is false on another node reading through a shared mount,
    /// where the device number differs: then only the inode is compared.
    public Result Read(SourceRoot root, string relative, FileMeta expected, Action<ReadOnlySpan<byte>, long>? sink = null, Action? restart = null, bool sameHost = true) =>
        Read((Predicate<FileMeta> accept, out FileMeta meta) => root.OpenFile(relative, accept, out meta), root.Shown(relative),
            sameHost ? m => m.SameInodeAs(expected) : m => m.Inode == expected.Inode, sink, restart);

    /// <summary>
    /// Reads whatever regular file is at <paramref name="relative"/> below <paramref name="root"/>
    /// (no symlink on the way followed, nothing outside it opened), of <paramref name="size"/>
    /// bytes when given: a store entry, or a snapshot's copy of a file, which the caller then
    /// judges by its hash.
    /// </summary>
    public Result ReadAny(SourceRoot root, string relative, long? size, Action<ReadOnlySpan<byte>, long>? sink = null, Action? restart = null) =>
        Read((Predicate<FileMeta> accept, out FileMeta meta) => root.OpenFile(relative, accept, out meta), root.Shown(relative),
            m => size is null || m.Size == size, sink, restart);

    /// <summary>
    /// Reads a file of ours by its path (a store entry, a snapshot file), which must be
    /// <paramref name="expected"/>; a symlink in its last name is not followed.
    /// </summary>
    public Result Read(string path, FileMeta expected, Action<ReadOnlySpan<byte>, long>? sink = null, Action? restart = null) =>
        Read((Predicate<FileMeta> accept, out FileMeta meta) =>
        {
            var handle = Files.OpenSource(path, out meta);
            if (accept(meta))
                return handle;
            handle.Dispose();
            return null;
        }, path, m => m.SameInodeAs(expected), sink, restart);

    private Result Read(Opener open, string shown, Predicate<FileMeta> accept, Action<ReadOnlySpan<byte>, long>? sink, Action? restart)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (attempt > 0)
                restart?.Invoke();
            var outcome = ReadOnce(open, shown, accept, sink);
            if (outcome.Problem is not ChangedWhileRead || attempt >= retries)
                return outcome;
        }
    }

    private const string ChangedWhileRead = "changed while being read; not in this snapshot, it will be read again next run";

    private Result ReadOnce(Opener open, string shown, Predicate<FileMeta> accept, Action<ReadOnlySpan<byte>, long>? sink)
    {
        var started = DateTimeOffset.UtcNow;
        SafeFileHandle? opened;
        FileMeta before;
        try
        {
            opened = open(m => m.Type == EntryType.File && accept(m), out before);
        }
        catch (PosixException e) when (e.IsNotFound)
        {
            return new Result(null, null, 0, "vanished before it could be read");
        }
        catch (PosixException e) when (e.IsSymlinkNotFollowed)
        {
            return new Result(null, null, 0, "was replaced by a symlink (or a folder on its path was) while the backup ran; not followed");
        }
        catch (PosixException e) when (e.IsStale)
        {
            return new Result(null, null, 0, Replaced("another file"));
        }
        catch (PosixException e)
        {
            return new Result(null, null, 0, $"cannot open: {e.Cause}");
        }
        if (opened is null)
        {
            return new Result(null, before, 0, before.Type switch
            {
                EntryType.Symlink => "was replaced by a symlink while the backup ran; not followed",
                EntryType.Fifo => Replaced("a FIFO (not opened)"),
                EntryType.CharDevice or EntryType.BlockDevice => Replaced("a device node (not opened)"),
                EntryType.File => Replaced("another file"),
                EntryType.Directory => Replaced("a folder"),
                _ => Replaced("a socket"),
            });
        }

        using (var handle = opened)
        {
            // before came from fstat: a write that stamped ctime before it must be over
            // before the read, so any write during the read moves ctime.
            SourceRoot.AwaitWritesUnderWay(handle);
            using var hash = hashKind.Create();
            // The sink writes into the data folder: its failures (no space) are the
            // store's, not the source's, so they leave HashStream as exceptions.
            var offset = HashStream.Read(handle, buffer.Span, hash, sink, out var readError);
            if (readError is not null)
                return new Result(null, null, offset, $"read error: {readError}");
            var after = Files.Fstat(handle, shown);
            if (!after.SameContentAs(before) || offset != before.Size)
                return new Result(null, null, offset, ChangedWhileRead);
            var digest = ContentHash.Finish(hash);
            if (RecentlyChanged(before, started))
            {
                // Where the wait above waits for nothing (or ctime has only a coarse clock,
                // before Linux 6.13), a write may have mixed two versions into the bytes read
                // without moving size, mtime or ctime. A recently changed file is read a
                // second time and must give the same bytes.
                // (Bytes stays the content's length: callers size their copy by it.)
                SourceRoot.AwaitWritesUnderWay(handle);
                using var again = hashKind.Create();
                var length = HashStream.Read(handle, buffer.Span, again, null, out readError);
                if (readError is not null)
                    return new Result(null, null, offset, $"read error: {readError}");
                if (length != before.Size || ContentHash.Finish(again) != digest || !Files.Fstat(handle, shown).SameContentAs(before))
                    return new Result(null, null, offset, ChangedWhileRead);
            }
            return new Result(digest, before, offset, null);
        }
    }

    /// <summary>Files whose ctime is younger than this when their read starts are read twice.</summary>
    private static readonly TimeSpan RecentChange = TimeSpan.FromSeconds(2);

    private static bool RecentlyChanged(FileMeta meta, DateTimeOffset readStarted)
    {
        var ctime = DateTimeOffset.FromUnixTimeSeconds(meta.Ctime.Seconds).AddTicks(meta.Ctime.Nanoseconds / 100);
        return ctime > readStarted - RecentChange;
    }

    private static string Replaced(string what) => $"was replaced by {what} while the backup ran; it will be read again next run";
}
