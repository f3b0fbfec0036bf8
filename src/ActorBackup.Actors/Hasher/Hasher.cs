using ActorBackup.Core;
using ActorBackup.Core.Store;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using Akka.Actor;
using Akka.Routing;
using Microsoft.Win32.SafeHandles;
using static ActorBackup.Protocol.HasherProtocol;

namespace ActorBackup.Actors.Hasher;

/// <summary>
/// Hashes batches of regular files, streaming each through one reusable buffer. Many of
/// these run in a bounded router pool on the hash dispatcher; the coordinator bounds how
/// many batches are in flight, so mailboxes stay short.
///
/// Asked to copy (<see cref="HashFiles.CopyToStore"/>), it also writes each file into the
/// store's temp folder as it reads it, with the owner, mode and mtime the entry will have,
/// and names that temp file in the result. It never fsyncs and never names an entry: the
/// data-store commits temp files in durable groups. If writing fails (no space), the file
/// is still hashed and goes without a temp file; the data-store's own copy then reports
/// the store's failure.
/// </summary>
public sealed class Hasher : TypeSwitchActor
{
    /// <summary>Files and bytes hashed by all hashers of this process, for a node's stats line.</summary>
    public static long FilesDone, BytesDone;

    private static long _nextTemp;

    private readonly RunOptions _options;
    private readonly SourceReader _reader;
    private readonly SourceRoot _root;
    private readonly bool _chown = Files.IsRoot;
    private readonly uint _euid = Files.Euid;
    private readonly uint _egid = Files.Egid;

    /// <summary>Temp files are written O_DIRECT (<see cref="DirectIo"/>) until the temp folder's file system refuses it.</summary>
    private bool _direct;

    public Hasher(RunOptions options, BackupSettings settings)
    {
        _options = options;
        // Aligned, so that each chunk read can be written direct from where it is.
        _reader = new SourceReader(DirectIo.AlignedBuffer(settings.ReadBuffer), options.Store.Hash, settings.ReadRetries);
        _direct = settings.DirectWrites;
        _root = new SourceRoot(options.RootFolder);
        Receive<HashFiles>(batch =>
        {
            var hashed = new List<HashedFile>(batch.Files.Count);
            var problems = new List<FileProblem>();
            long bytes = 0;
            foreach (var file in batch.Files)
            {
                var (result, temp) = batch.CopyToStore ? ReadIntoStore(file) : (_reader.Read(_root, file.Path, file.Meta), null);
                bytes += result.Bytes;
                if (result.Problem is null)
                    hashed.Add(new HashedFile(file with { Meta = result.Meta! }, result.Hash!, temp));
                else
                    problems.Add(new FileProblem(file.Path, result.Problem));
                if (options.FilesPause > TimeSpan.Zero)
                    Thread.Sleep(options.FilesPause);
            }
            Interlocked.Add(ref FilesDone, batch.Files.Count);
            Interlocked.Add(ref BytesDone, bytes);
            Sender.Tell(new FilesHashed(batch.BatchId, hashed, problems, bytes));
        });
    }

    /// <summary>The bounded pool: <see cref="BackupSettings.Hashers"/> routees, each batch to the least busy.</summary>
    public static Props Pool(RunOptions options, BackupSettings settings) =>
        Props.Create(() => new Hasher(options, settings))
            .WithDispatcher(Dispatchers.Hash)
            .WithRouter(new SmallestMailboxPool(settings.Hashers));

    /// <summary>Reads and hashes one file, writing it to a temp file; the temp name is null when nothing usable was written.</summary>
    private (SourceReader.Result Result, string? Temp) ReadIntoStore(SourceEntry file)
    {
        var sequence = Interlocked.Increment(ref _nextTemp);
        var name = StoreLayout.TempName(sequence, $"{Environment.ProcessId}-h{sequence}.tmp");
        var temp = Path.Combine(_options.Store.TempFolder, name);
        SafeFileHandle output;
        bool direct;
        try
        {
            output = SparseWriter.Create(temp, file.Meta.Size, ref _direct, out direct);
        }
        catch (PosixException)
        {
            return (_reader.Read(_root, file.Path, file.Meta), null);
        }
        var written = true;
        SourceReader.Result result;
        using (output)
        {
            var writer = new SparseWriter(output, direct);
            result = _reader.Read(_root, file.Path, file.Meta,
                sink: (chunk, offset) =>
                {
                    if (!written)
                        return;
                    try
                    {
                        writer.Write(chunk, offset);
                    }
                    catch (IOException)
                    {
                        written = false;
                    }
                },
                restart: () => written = TryWrite(writer.Restart));
            if (written && result.Problem is null)
            {
                var w = _options.Share.EntryOwnership(result.Meta!, file.Xattrs, _chown, _euid, _egid);
                written = TryWrite(() =>
                {
                    writer.Finish(result.Bytes);
                    Files.SetMeta(output, temp, w.Uid, w.Gid, w.Mode, result.Meta!.Mtime, _chown);
                });
            }
        }
        if (written && result.Problem is null)
            return (result, name);
        TryWrite(() => Files.Unlink(temp));
        return (result, null);
    }

    protected override void PostStop()
    {
        _root.Dispose();
        base.PostStop();
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
