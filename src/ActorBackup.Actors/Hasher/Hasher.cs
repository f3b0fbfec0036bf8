using ActorBackup.Actors.Cluster;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Content;
using Akka.Actor;
using Akka.Routing;
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
    private readonly SourceReader _reader;
    private readonly SourceRoot _root;
    private readonly TempCopier _copier;

    public Hasher(RunOptions options, BackupSettings settings)
    {
        // Aligned, so that each chunk read can be written direct from where it is.
        _reader = new SourceReader(DirectIo.AlignedBuffer(settings.ReadBuffer), options.Store.Hash, settings.ReadRetries);
        _copier = new TempCopier(options.Store.TempFolder, options.Share, settings.DirectWrites, $"{Environment.ProcessId}-h");
        _root = new SourceRoot(options.RootFolder);
        Receive<HashFiles>(batch =>
        {
            var hashed = new List<HashedFile>(batch.Files.Count);
            var problems = new List<FileProblem>();
            long bytes = 0;
            foreach (var file in batch.Files)
            {
                var (result, temp) = batch.CopyToStore ? _copier.Read(_reader, _root, file) : (_reader.Read(_root, file.Path, file.Meta), null);
                bytes += result.Bytes;
                if (result.Problem is null)
                    hashed.Add(new HashedFile(file with { Meta = result.Meta! }, result.Hash!, temp));
                else
                    problems.Add(new FileProblem(file.Path, result.Problem));
                if (options.FilesPause > TimeSpan.Zero)
                    Thread.Sleep(options.FilesPause);
            }
            NodeMonitor.Report(Context, new NodeMonitor.Hashed(batch.Files.Count, bytes));
            Sender.Tell(new FilesHashed(batch.BatchId, hashed, problems, bytes));
        });
    }

    /// <summary>The bounded pool: <see cref="BackupSettings.Hashers"/> routees, each batch to the least busy.</summary>
    public static Props Pool(RunOptions options, BackupSettings settings) =>
        Props.Create(() => new Hasher(options, settings))
            .WithDispatcher(Dispatchers.Hash)
            .WithRouter(new SmallestMailboxPool(settings.Hashers));

    protected override void PostStop()
    {
        _root.Dispose();
        base.PostStop();
    }
}
