using ActorBackup.Core;
using ActorBackup.Protocol;
using Akka.Actor;
using Akka.Routing;
using static ActorBackup.Protocol.HasherProtocol;

namespace ActorBackup.Actors.Hasher;

/// <summary>
/// Hashes batches of regular files, streaming each through one reusable buffer. Many of
/// these run in a bounded router pool on the hash dispatcher; the coordinator bounds how
/// many batches are in flight, so mailboxes stay short.
/// </summary>
public sealed class Hasher : ReceiveActor
{
    /// <summary>Files and bytes hashed by all hashers of this process, for a node's stats line.</summary>
    public static long FilesDone, BytesDone;

    public Hasher(RunOptions options, BackupSettings settings)
    {
        var reader = new SourceReader(new byte[settings.ReadBuffer], options.Store.Hash, settings.ReadRetries);
        Receive<HashFiles>(batch =>
        {
            var hashed = new List<HashedFile>(batch.Files.Count);
            var problems = new List<FileProblem>();
            long bytes = 0;
            foreach (var file in batch.Files)
            {
                var path = options.SourcePath(file.Path);
                var result = reader.Read(path, file.Meta);
                bytes += result.Bytes;
                if (result.Problem is null)
                    hashed.Add(new HashedFile(file with { Meta = result.Meta! }, result.Hash!));
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
}
