using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Content;

namespace ActorBackup.Actors.Hasher;

/// <summary>
/// Reads and hashes a file while writing it into the store's temp folder, with the owner,
/// mode and mtime its entry will have, so that the data-store only has to commit it: one
/// read of each new file. Used by the hashers of a single process and by the hash workers
/// of cluster nodes that see the data folder. Never fsyncs, never names an entry. If writing
/// fails (no space), the file is still hashed and goes without a temp file; the data-store's
/// own copy then reports the store's failure.
/// </summary>
public sealed class TempCopier(string tempFolder, SharePolicy share, bool directWrites, string tag)
{
    private static long _nextTemp;

    private readonly bool _chown = Files.IsRoot;
    private readonly uint _euid = Files.Euid;
    private readonly uint _egid = Files.Egid;

    /// <summary>Temp files are written O_DIRECT (<see cref="DirectIo"/>) until the temp folder's file system refuses it.</summary>
    private bool _direct = directWrites;

    /// <summary>
    /// Reads and hashes one file, writing it to a temp file; the temp name (relative to the
    /// temp folder) is null when nothing usable was written. The reader's buffer must be
    /// <see cref="DirectIo.AlignedBuffer"/>.
    /// </summary>
    public (SourceReader.Result Result, string? Temp) Read(SourceReader reader, SourceRoot root, SourceEntry file, bool sameHost = true)
    {
        var sequence = Interlocked.Increment(ref _nextTemp);
        var name = StoreLayout.TempName(sequence, $"{tag}{sequence}.tmp");
        TempFileWriter output;
        try
        {
            output = TempFileWriter.Create(tempFolder, name, file.Meta.Size, ref _direct);
        }
        catch (PosixException)
        {
            return (reader.Read(root, file.Path, file.Meta, sameHost: sameHost), null);
        }
        var written = true;
        SourceReader.Result result;
        using (output)
        {
            result = reader.Read(root, file.Path, file.Meta,
                sink: (chunk, offset) =>
                {
                    if (!written)
                        return;
                    try
                    {
                        output.Write(chunk, offset);
                    }
                    catch (IOException)
                    {
                        written = false;
                    }
                },
                restart: () => written = TryWrite(output.Restart),
                sameHost: sameHost);
            if (written && result.Problem is null)
            {
                var w = share.EntryOwnership(result.Meta!, file.Xattrs, _chown, _euid, _egid);
                written = TryWrite(() => output.Finish(result.Bytes, w.Uid, w.Gid, w.Mode, result.Meta!.Mtime, _chown));
            }
        }
        if (written && result.Problem is null)
            return (result, name);
        output.TryRemove();
        return (result, null);
    }

    private static bool TryWrite(Action write)
    {
        try
        {
            write();
            return true;
        }
        catch (Exception e) when (e is IOException or PosixException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
