using ActorBackup.Actors.Hasher;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store.Content;
using ActorBackup.Actors.Walker;
using Akka.Actor;
using static ActorBackup.Protocol.ClusterProtocol;
using static ActorBackup.Protocol.HasherProtocol;
using static ActorBackup.Protocol.WalkerProtocol;

namespace ActorBackup.Actors.Cluster;

/// <summary>
/// A hasher that pulls its work: registers with a broker (told by <see cref="Serve"/>),
/// asks for one batch, hashes it, answers, asks again. Runs on the coordinator's node and
/// on every hasher node; it outlives runs, serving whichever broker is current.
/// On a node that sees the data folder (<c>store-visible = on</c>) and runs as root, a batch
/// of content probably new is also written into the store's temp folder while it is hashed,
/// as a single process's hashers do: the storage node then only commits it, and each new file
/// is read once. Elsewhere the storage node copies (or is streamed) the content itself.
/// </summary>
public sealed class HashWorker : ReceiveActor
{
    /// <summary>Hasher node to worker: serve this broker (a new run started).</summary>
    public sealed record Serve(IActorRef Broker);

    private readonly string _node;
    private readonly PathMap _paths;
    private readonly Memory<byte> _buffer;
    private readonly int _readRetries;
    /// <summary>One reader per hash a broker asked for (one per run, and runs rarely change it).</summary>
    private readonly Dictionary<HashKind, SourceReader> _readers = [];
    private readonly bool _sameHost;
    private readonly bool _storeVisible;
    private readonly bool _directWrites;
    private TempCopier? _copier;
    private (string Folder, string Share) _copierFor;
    private IActorRef _broker = ActorRefs.Nobody;
    private SourceRoot? _root;
    private ulong? _rootDevice;

    /// <summary>A hasher node lists every folder; the broker drops the run's excluded ones.</summary>
    private static readonly IReadOnlySet<string> NothingExcluded = new HashSet<string>();

    public HashWorker(string node, PathMap paths, BackupSettings settings, bool sameHost, bool storeVisible = false)
    {
        _node = node;
        _paths = paths;
        _sameHost = sameHost;
        // Temp files are owned as their entries will be: only root can give them other owners.
        _storeVisible = storeVisible && Files.IsRoot;
        _directWrites = settings.DirectWrites;
        // Aligned, so that each chunk read can be written O_DIRECT from where it is.
        _buffer = DirectIo.AlignedBuffer(settings.ReadBuffer);
        _readRetries = settings.ReadRetries;

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
        Receive<WalkWork>(m =>
        {
            var listed = Walk(m);
            NodeMonitor.Report(Context, new NodeMonitor.Listed(1));
            // Only a message to another node meets the frame limit.
            var parts = Sender.Path.Address.HasLocalScope ? [listed] : WalkParts.Split(listed);
            if (parts.Count == 0)
                Sender.Tell(new WalkDone(_node, m.WalkId, 0, 0, listed with { Entries = [] })); // too big to send: listed again by the broker's node
            for (var i = 0; i < parts.Count; i++)
                Sender.Tell(new WalkDone(_node, m.WalkId, i, parts.Count, parts[i]));
            Sender.Tell(new RequestWork(Self));
        });
        Receive<Terminated>(m =>
        {
            if (m.ActorRef.Equals(_broker))
                _broker = ActorRefs.Nobody;
        });
    }

    public static Props Props(string node, PathMap paths, BackupSettings settings, bool sameHost, bool storeVisible = false) =>
        Akka.Actor.Props.Create(() => new HashWorker(node, paths, settings, sameHost, storeVisible)).WithDispatcher(Dispatchers.Hash);

    /// <summary>
    /// Lists the directory as this node sees it, without the previous snapshot (the broker adds
    /// what is known unchanged), in the coordinator's device numbers.
    /// </summary>
    private DirectoryWalked Walk(WalkWork m)
    {
        var root = RootFor(m.Root);
        var device = _rootDevice ??= RootDevice(root);
        var expected = m.Walk.Expected.Device == m.RootDevice ? m.Walk.Expected with { Device = device } : m.Walk.Expected;
        var listed = DirectoryLister.List(root, m.Walk with { Expected = expected }, NothingExcluded, before: null, previousHasXattrs: false);
        if (device == m.RootDevice)
            return listed;
        return listed with
        {
            Entries = listed.Entries.Select(e => e.Meta.Device == device ? e with { Meta = e.Meta with { Device = m.RootDevice } } : e).ToList(),
        };
    }

    private static ulong RootDevice(SourceRoot root)
    {
        using var dir = root.OpenDirectory("");
        return dir.Meta.Device;
    }

    /// <summary>The run's root folder as this node sees it (through its path map), kept open between batches.</summary>
    private SourceRoot RootFor(string root)
    {
        var rootPath = _paths.Map(root).TrimEnd('/');
        if (_root?.Path != rootPath)
        {
            _root?.Dispose();
            _root = new SourceRoot(rootPath);
            _rootDevice = null;
        }
        return _root;
    }

    private FilesHashed Hash(HashWork m)
    {
        // The batch names the hash the storage node's data folder recorded.
        var kind = ContentHash.Parse(m.Hash);
        if (!_readers.TryGetValue(kind, out var reader))
            _readers[kind] = reader = new SourceReader(_buffer, kind, _readRetries);
        var root = RootFor(m.Root);
        var copier = CopierFor(m);
        var hashed = new List<HashedFile>(m.Files.Count);
        var problems = new List<FileProblem>();
        long bytes = 0;
        foreach (var file in m.Files)
        {
            var (result, temp) = copier is not null
                ? copier.Read(reader, root, file, _sameHost)
                : (reader.Read(root, file.Path, file.Meta, sameHost: _sameHost), null);
            bytes += result.Bytes;
            if (result.Problem is null)
                hashed.Add(new HashedFile(file with { Meta = result.Meta! }, result.Hash!, temp));
            else
                problems.Add(new FileProblem(file.Path, result.Problem));
        }
        NodeMonitor.Report(Context, new NodeMonitor.Hashed(m.Files.Count, bytes));
        return new FilesHashed(m.BatchId, hashed, problems, bytes);
    }

    /// <summary>The copier for this batch's temp folder (as this node sees it), or null when the batch or this node does not copy.</summary>
    private TempCopier? CopierFor(HashWork m)
    {
        if (!_storeVisible || m.TempFolder is null)
            return null;
        var folder = _paths.Map(m.TempFolder);
        if (_copier is null || _copierFor != (folder, m.Share))
        {
            // Names unique across nodes: the host and process, then a sequence.
            _copier = new TempCopier(folder, SharePolicies.Parse(m.Share), _directWrites, $"{Environment.MachineName}-{Environment.ProcessId}-w");
            _copierFor = (folder, m.Share);
        }
        return _copier;
    }

    protected override void PostStop()
    {
        _root?.Dispose();
        base.PostStop();
    }
}
