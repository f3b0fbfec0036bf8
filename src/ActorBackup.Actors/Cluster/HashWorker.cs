using ActorBackup.Actors.Hasher;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using Akka.Actor;
using static ActorBackup.Protocol.ClusterProtocol;
using static ActorBackup.Protocol.HasherProtocol;

namespace ActorBackup.Actors.Cluster;

/// <summary>
/// A hasher that pulls its work: registers with a broker (told by <see cref="Serve"/>),
/// asks for one batch, hashes it, answers, asks again. Runs on the coordinator's node and
/// on every hasher node; it outlives runs, serving whichever broker is current.
/// </summary>
public sealed class HashWorker : ReceiveActor
{
    /// <summary>Hasher node to worker: serve this broker (a new run started).</summary>
    public sealed record Serve(IActorRef Broker);

    private readonly string _node;
    private readonly PathMap _paths;
    private readonly SourceReader _sha1;
    private readonly SourceReader _sha256;
    private readonly bool _sameHost;
    private IActorRef _broker = ActorRefs.Nobody;
    private SourceRoot? _root;

    /// <summary>Files and bytes hashed by all workers of this process, for the node's stats line.</summary>
    public static long FilesDone, BytesDone;

    public HashWorker(string node, PathMap paths, BackupSettings settings, bool sameHost)
    {
        _node = node;
        _paths = paths;
        _sameHost = sameHost;
        var buffer = new byte[settings.ReadBuffer];
        _sha1 = new SourceReader(buffer, HashKind.Sha1, settings.ReadRetries);
        _sha256 = new SourceReader(buffer, HashKind.Sha256, settings.ReadRetries);

        Receive<Serve>(m =>
        {
            if (m.Broker.Equals(_broker))
                return; // named by the coordinator and found by the node's own search: register once
            _broker = m.Broker;
            Context.Watch(_broker);
            _broker.Tell(new RegisterWorker(Self, _node, 1));
        });
        Receive<WorkerRegistered>(_ =>
        {
            if (Sender.Equals(_broker))
                _broker.Tell(new RequestWork(Self));
        });
        Receive<HashWork>(m =>
        {
            var result = Hash(m);
            Sender.Tell(new WorkDone(_node, result));
            Sender.Tell(new RequestWork(Self));
        });
        Receive<Terminated>(m =>
        {
            if (m.ActorRef.Equals(_broker))
                _broker = ActorRefs.Nobody;
        });
    }

    public static Props Props(string node, PathMap paths, BackupSettings settings, bool sameHost) =>
        Akka.Actor.Props.Create(() => new HashWorker(node, paths, settings, sameHost)).WithDispatcher(Dispatchers.Hash);

    private FilesHashed Hash(HashWork m)
    {
        var reader = ContentHash.Parse(m.Hash) == HashKind.Sha1 ? _sha1 : _sha256;
        var rootPath = _paths.Map(m.Root).TrimEnd('/');
        if (_root?.Path != rootPath)
        {
            _root?.Dispose();
            _root = new SourceRoot(rootPath);
        }
        var root = _root;
        var hashed = new List<HashedFile>(m.Files.Count);
        var problems = new List<FileProblem>();
        long bytes = 0;
        foreach (var file in m.Files)
        {
            var result = reader.Read(root, file.Path, file.Meta, sameHost: _sameHost);
            bytes += result.Bytes;
            if (result.Problem is null)
                hashed.Add(new HashedFile(file with { Meta = result.Meta! }, result.Hash!));
            else
                problems.Add(new FileProblem(file.Path, result.Problem));
        }
        Interlocked.Add(ref FilesDone, m.Files.Count);
        Interlocked.Add(ref BytesDone, bytes);
        return new FilesHashed(m.BatchId, hashed, problems, bytes);
    }

    protected override void PostStop()
    {
        _root?.Dispose();
        base.PostStop();
    }
}
