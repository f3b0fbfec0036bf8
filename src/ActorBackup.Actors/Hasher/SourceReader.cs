using ActorBackup.Core;
using ActorBackup.Posix;
using Microsoft.Win32.SafeHandles;

namespace ActorBackup.Actors.Hasher;

/// <summary>
/// Reads a source file safely and streams it through a hash (and optionally into a
/// writer): opened with O_NOFOLLOW, checked to be the inode the walk saw, and checked
/// after reading that size, mtime and ctime did not move. Retries a file that changed
/// while it was read.
/// </summary>
public sealed class SourceReader(byte[] buffer, HashKind hashKind, int retries)
{
    /// <summary>The outcome of one read: the hash and the metadata the bytes belong to, or a reason.</summary>
    public sealed record Result(string? Hash, FileMeta? Meta, long Bytes, string? Problem);

    /// <summary>
    /// Reads <paramref name="path"/>, which the walk saw as <paramref name="expected"/>.
    /// <paramref name="sink"/> (if any) gets every chunk; <paramref name="restart"/> is
    /// called before a retry so the sink can start over.
    /// </summary>
    /// <paramref name="sameHost"/> is false on another node reading through a shared mount,
    /// where the device number differs: then only the inode is compared.
    public Result Read(string path, FileMeta expected, Action<ReadOnlySpan<byte>, long>? sink = null, Action? restart = null, bool sameHost = true)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (attempt > 0)
                restart?.Invoke();
            var outcome = ReadOnce(path, expected, sink, sameHost);
            if (outcome.Problem is not ChangedWhileRead || attempt >= retries)
                return outcome;
        }
    }

    private const string ChangedWhileRead = "changed while being read; not in this snapshot, it will be read again next run";

    private Result ReadOnce(string path, FileMeta expected, Action<ReadOnlySpan<byte>, long>? sink, bool sameHost)
    {
        SafeFileHandle handle;
        FileMeta before;
        try
        {
            handle = Files.OpenSource(path, out before);
        }
        catch (PosixException e) when (e.Errno == Mono.Unix.Native.Errno.ENOENT)
        {
            return new Result(null, null, 0, "vanished before it could be read");
        }
        catch (PosixException e) when (e.Errno == Mono.Unix.Native.Errno.ELOOP)
        {
            return new Result(null, null, 0, "was replaced by a symlink while the backup ran; not followed");
        }
        catch (PosixException e)
        {
            return new Result(null, null, 0, $"cannot open: {PosixException.Describe(e.Errno)}");
        }

        using (handle)
        {
            var sameFile = sameHost ? before.SameInodeAs(expected) : before.Inode == expected.Inode;
            if (before.Type != EntryType.File || !sameFile)
                return new Result(null, null, 0, "was replaced by another file while the backup ran; it will be read again next run");

            using var hash = hashKind.Create();
            // The sink writes into the data folder: its failures (no space) are the
            // store's, not the source's, so they leave HashStream as exceptions.
            var offset = HashStream.Read(handle, buffer, hash, sink, out var readError);
            if (readError is not null)
                return new Result(null, null, offset, $"read error: {readError}");
            var after = Files.Fstat(handle, path);
            if (!after.SameContentAs(before) || offset != before.Size)
                return new Result(null, null, offset, ChangedWhileRead);
            return new Result(ContentHash.Finish(hash), before, offset, null);
        }
    }
}
