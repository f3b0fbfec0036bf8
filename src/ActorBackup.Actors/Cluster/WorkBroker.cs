using ActorBackup.Actors.Walker;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using Akka.Actor;
using Akka.Event;
using static ActorBackup.Protocol.ClusterProtocol;
using static ActorBackup.Protocol.HasherProtocol;
using static ActorBackup.Protocol.WalkerProtocol;

namespace ActorBackup.Actors.Cluster;

/// <summary>
/// Stands in for the hasher pool in a cluster run: the coordinator sends it HashFiles as
/// to the local pool, and workers on any node pull the batches. Each batch handed out is
/// tracked; a worker that dies (Terminated) or misses the deadline has its batches queued
/// again at the front. The first result for a batch wins; a late duplicate is dropped, so
/// results are idempotent and no batch is lost.
/// Batches wait in the queue until every hasher node that was Up when the run started has a
/// worker registered, or <c>hasher-wait</c> passed: otherwise the coordinator's own workers,
/// which register first, would hash a small tree before a hasher node had its first batch.
/// A worker on a node the cluster marks unreachable gets no batch until it is reachable again,
/// and its batches are queued again at once: they return within failure detection (~5 s), not
/// after the node is downed and removed.
/// Unless told otherwise (<c>coordinator-hashes = always</c>), the workers of the broker's own
/// node take batches only while no other node's worker is registered: the coordinator's node
/// walks and coordinates, and hashing there would slow what limits the run.
/// A hasher node first checks that it sees the run's source (<see cref="GetSourceIdentity"/>);
/// one that does not says so (<see cref="SourceNotSeen"/>), is warned about once, and is not
/// waited for. Files a worker on another node could not read (vanished, unreadable there: a
/// stale or partial mount) are read again by the broker's own node's workers before the
/// batch's result goes to the coordinator, so only a file this node cannot read either is
/// reported.
/// </summary>
public sealed class WorkBroker : ReceiveActor, IWithTimers
{
    private sealed record InFlight(HashFiles Batch, IActorRef Worker, DateTime Deadline);

    /// <summary>A walk handed out: parts of its listing arrive until all have (see <see cref="WalkParts"/>).</summary>
    private sealed record WalkInFlight(long Id, WalkDirectory Walk, IActorRef Worker, DateTime Deadline, bool LocalOnly, DirectoryWalked?[] Parts);

    private sealed record CheckDeadlines;

    private sealed record StopWaiting;

    private readonly RunOptions _options;
    private readonly TimeSpan _deadline;
    private readonly TimeSpan _hasherWait;
    private readonly LinkedList<HashFiles> _queue = new();
    // Files a worker on another node could not read, for this node's workers only; their batch
    // ids are negative, and _retried holds the other node's result until they are read here.
    private readonly LinkedList<HashFiles> _localQueue = new();
    private readonly Dictionary<long, (FilesHashed Result, string Node)> _retried = [];
    private readonly HashSet<string> _blind = new(StringComparer.Ordinal);
    private readonly HashSet<string> _retriedFrom = new(StringComparer.Ordinal);
    private long _lastRetryId;
    private readonly Dictionary<long, InFlight> _inFlight = [];
    private readonly Dictionary<IActorRef, (string Node, int Credits)> _workers = [];
    private readonly Dictionary<string, long> _filesByNode = new(StringComparer.Ordinal);
    private long _filesWritten;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<string> _awaited;
    private readonly string? _localNode;
    private readonly bool _localAlwaysHashes;
    private readonly SourceIdentity? _source;
    private IActorRef _coordinator = ActorRefs.Nobody;
    private readonly HashSet<Address> _unreachable = [];
    // Walks: on any node's workers (_walks), or only on this node's (_localWalks: another file
    // system than the root's, a listing too big to send, or one another node could not make).
    private readonly LinkedList<(long Id, WalkDirectory Walk)> _walks = new();
    private readonly LinkedList<(long Id, WalkDirectory Walk)> _localWalks = new();
    private readonly Dictionary<long, WalkInFlight> _walksInFlight = [];
    private readonly Dictionary<string, long> _dirsByNode = new(StringComparer.Ordinal);
    // The previous manifest, opened on the first walk: a run that keeps its walk on the
    // coordinator's node (walk-on-hashers off) never reads it here.
    private PreviousFiles? _previous;
    private bool _previousOpened;
    private readonly ulong _rootDevice;
    private long _lastWalkId;

    public ITimerScheduler Timers { get; set; } = null!;

    public WorkBroker(RunOptions options, TimeSpan deadline, IReadOnlyCollection<string> awaitedNodes, TimeSpan hasherWait, string? localNode = null,
        bool localAlwaysHashes = false, SourceIdentity? source = null)
    {
        _localNode = localNode;
        _localAlwaysHashes = localAlwaysHashes;
        _source = source;
        _options = options;
        _deadline = deadline;
        _awaited = new HashSet<string>(awaitedNodes, StringComparer.Ordinal);
        _hasherWait = hasherWait;
        _rootDevice = source?.RootMeta.Device ?? RootDeviceOf(options.RootFolder);
        Receive<WalkDirectory>(m =>
        {
            _coordinator = Sender;
            // Another file system (a mount below the root) has other device numbers on each
            // machine, which cannot be matched: walked here.
            (m.Expected.Device == _rootDevice ? _walks : _localWalks).AddLast((++_lastWalkId, m));
            Dispatch();
        });
        Receive<WalkDone>(Walked);
        Receive<HashFiles>(m =>
        {
            _coordinator = Sender;
            _queue.AddLast(m);
            Dispatch();
        });
        Receive<RegisterWorker>(m =>
        {
            if (!_workers.ContainsKey(m.Worker))
            {
                Context.Watch(m.Worker);
                _workers[m.Worker] = (m.Node, 0);
                _log.Info("hash worker {0} on {1} registered", m.Worker.Path.Name, m.Node);
                // No dispatch here: the worker asks for work as soon as it is told it is
                // registered, and only then has the credit that puts it first in line.
                if (_awaited.Remove(m.Node) && _awaited.Count == 0)
                    Timers.Cancel("hasher-wait");
            }
            m.Worker.Tell(new WorkerRegistered());
        });
        Receive<GetSourceIdentity>(_ =>
        {
            if (_source is not null)
                Sender.Tell(_source);
        });
        Receive<SourceNotSeen>(m =>
        {
            if (!_blind.Add(m.Node))
                return;
            _log.Warning("hasher node {0} is skipped for this run: it does not see the source (it looked at {1}: {2}); its share goes to the other workers. Fix its mount or actorbackup.cluster.path-map.",
                m.Node, m.Looked, m.Reason);
            if (_awaited.Remove(m.Node) && _awaited.Count == 0)
                Timers.Cancel("hasher-wait");
            Dispatch();
        });
        Receive<StopWaiting>(_ =>
        {
            _log.Warning("hasher node(s) {0} did not register a worker within hasher-wait ({1}); hashing starts without them (they join when they do)",
                string.Join(", ", _awaited.Order(StringComparer.Ordinal)), _hasherWait);
            _awaited.Clear();
            Dispatch();
        });
        Receive<RequestWork>(m =>
        {
            if (_workers.TryGetValue(m.Worker, out var w))
                _workers[m.Worker] = (w.Node, w.Credits + 1);
            Dispatch();
        });
        Receive<WorkDone>(m =>
        {
            if (!_inFlight.Remove(m.Result.BatchId, out var done))
                return; // already done by another worker after a deadline or a death
            _filesWritten += m.Result.Hashed.Count(h => h.Temp is not null);
            if (_retried.Remove(m.Result.BatchId, out var first))
            {
                // This node read again what the other could not: one result for the coordinator, as if one worker did it all.
                Count(m.Node, m.Result.Hashed.Count + m.Result.Problems.Count);
                _coordinator.Tell(new FilesHashed(first.Result.BatchId, [.. first.Result.Hashed, .. m.Result.Hashed], m.Result.Problems,
                    first.Result.BytesRead + m.Result.BytesRead));
            }
            else if (m.Result.Problems.Count > 0 && m.Node != _localNode && _workers.Values.Any(w => w.Node == _localNode))
            {
                Count(m.Node, m.Result.Hashed.Count);
                RetryHere(done.Batch, m.Result, m.Node);
            }
            else
            {
                Count(m.Node, m.Result.Hashed.Count + m.Result.Problems.Count);
                _coordinator.Tell(m.Result);
            }
        });
        Receive<Terminated>(m =>
        {
            if (!_workers.Remove(m.ActorRef, out var w))
                return;
            var lost = Requeue(worker => worker.Equals(m.ActorRef), DateTime.MinValue);
            // Workers stopping with the run's end (the coordinator's own, a node leaving) held
            // nothing: that is news, not a warning. Lost batches are.
            if (lost.Length > 0)
                _log.Warning("hash worker {0} on {1} is gone; {2} queued again", m.ActorRef.Path.Name, w.Node, lost);
            else
                _log.Info("hash worker {0} on {1} is gone; it held no batch", m.ActorRef.Path.Name, w.Node);
            Dispatch();
        });
        Receive<Akka.Cluster.ClusterEvent.UnreachableMember>(m =>
        {
            _unreachable.Add(m.Member.Address);
            var lost = Requeue(worker => worker.Path.Address.Equals(m.Member.Address), DateTime.MinValue);
            if (lost.Length > 0)
                _log.Warning("hasher node {0} is unreachable; its {1} queued again", NodeName(m.Member.Address), lost);
            Dispatch();
        });
        Receive<Akka.Cluster.ClusterEvent.ReachableMember>(m =>
        {
            _unreachable.Remove(m.Member.Address);
            Dispatch();
        });
        Receive<CheckDeadlines>(_ =>
        {
            var now = DateTime.UtcNow;
            var late = Requeue(_ => false, now);
            if (late.Length > 0)
                _log.Warning("{0} missed their deadline of {1}; queued again", late, _deadline);
            Dispatch();
        });
        Receive<GetWorkStats>(_ => Sender.Tell(new WorkStats(_queue.Count + _localQueue.Count, _inFlight.Count, _workers.Count, new Dictionary<string, long>(_filesByNode), _filesWritten,
            new Dictionary<string, long>(_dirsByNode))));
    }

    /// <summary>How workers name their node, and the broker the nodes it awaits: "host:port".</summary>
    public static string NodeName(Address address) => $"{address.Host}:{address.Port}";

    /// <param name="awaitedNodes"><see cref="NodeName"/> of the hasher nodes told to serve this broker.</param>
    /// <param name="localNode">
    /// The broker's own node, whose workers read again what another node's could not, and only
    /// stand in while no other node's worker is registered (unless <paramref name="localAlwaysHashes"/>);
    /// null: every worker takes batches, and nothing is read again.
    /// </param>
    /// <param name="source">What the run's source looks like, for hasher nodes to check that they see it.</param>
    public static Props Props(RunOptions options, TimeSpan deadline, IReadOnlyCollection<string> awaitedNodes, TimeSpan hasherWait, string? localNode = null,
        bool localAlwaysHashes = false, SourceIdentity? source = null) =>
        Akka.Actor.Props.Create(() => new WorkBroker(options, deadline, awaitedNodes, hasherWait, localNode, localAlwaysHashes, source));

    /// <summary>Asks the broker for its counters.</summary>
    public sealed record GetWorkStats;

    /// <summary>Queue depth, batches in flight, workers, files done per node, and files the workers wrote into the store's temp folder.</summary>
    public sealed record WorkStats(int Queued, int InFlight, int Workers, IReadOnlyDictionary<string, long> FilesByNode, long FilesWritten = 0,
        IReadOnlyDictionary<string, long>? DirectoriesByNode = null);

    protected override void PreStart()
    {
        if (Context.System is ExtendedActorSystem { Provider: Akka.Cluster.ClusterActorRefProvider })
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, typeof(Akka.Cluster.ClusterEvent.UnreachableMember), typeof(Akka.Cluster.ClusterEvent.ReachableMember));
        Timers.StartPeriodicTimer("deadlines", new CheckDeadlines(), TimeSpan.FromSeconds(1));
        if (_awaited.Count > 0)
            Timers.StartSingleTimer("hasher-wait", new StopWaiting(), _hasherWait);
    }

    protected override void PostStop()
    {
        _previous?.Dispose();
        if (Context.System is ExtendedActorSystem { Provider: Akka.Cluster.ClusterActorRefProvider })
            Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }

    private void Count(string node, int files) => _filesByNode[node] = _filesByNode.GetValueOrDefault(node) + files;

    /// <summary>
    /// Queues the files of <paramref name="batch"/> that <paramref name="node"/> could not read
    /// for this node's workers. Every problem is retried, not only "vanished": what another
    /// node cannot read (ENOENT, EACCES under root squash, ESTALE, another inode under the same
    /// name) may well be its view of the source, and a file that is really gone costs one failed open.
    /// </summary>
    private void RetryHere(HashFiles batch, FilesHashed result, string node)
    {
        var failed = result.Problems.Select(p => p.Path).ToHashSet(StringComparer.Ordinal);
        var retry = new HashFiles(--_lastRetryId, batch.Files.Where(f => failed.Contains(f.Path)).ToList(), batch.CopyToStore);
        if (_retriedFrom.Add(node))
            _log.Warning("hasher node {0} could not read {1} files of a batch (first: {2}: {3}); they are read again on this node, and so is whatever else it cannot read this run. Check its mount of the source.",
                node, result.Problems.Count, result.Problems[0].Path, result.Problems[0].Reason);
        _retried[retry.BatchId] = (result, node);
        _localQueue.AddLast(retry);
        Dispatch();
    }

    /// <summary>
    /// Queues again, at the front, the batches and walks held by a worker <paramref name="lost"/>
    /// names or past their deadline (before <paramref name="now"/>); says how many ("" none).
    /// </summary>
    private string Requeue(Func<IActorRef, bool> lost, DateTime now)
    {
        var batches = _inFlight.Values.Where(f => lost(f.Worker) || f.Deadline < now).ToList();
        foreach (var f in batches.OrderByDescending(f => f.Batch.BatchId))
        {
            _inFlight.Remove(f.Batch.BatchId);
            (f.Batch.BatchId < 0 ? _localQueue : _queue).AddFirst(f.Batch);
        }
        var walks = _walksInFlight.Values.Where(f => lost(f.Worker) || f.Deadline < now).ToList();
        foreach (var f in walks.OrderByDescending(f => f.Id))
        {
            _walksInFlight.Remove(f.Id);
            (f.LocalOnly ? _localWalks : _walks).AddFirst((f.Id, f.Walk));
        }
        return (batches.Count, walks.Count) switch
        {
            (0, 0) => "",
            (var b, 0) => $"{b} batches",
            (0, var l) => $"{l} folder listings",
            var (b, l) => $"{b} batches and {l} folder listings",
        };
    }

    /// <summary>
    /// A part of a walk's listing. Once all are in, the listing goes to the coordinator as its
    /// own walker's would: unchanged files marked from the previous snapshot, excluded folders
    /// left out. A listing made on another node that may not be this node's view
    /// (<see cref="SameViewHere"/>) is made again here first, as are listings too big to send.
    /// </summary>
    private void Walked(WalkDone m)
    {
        if (!_walksInFlight.TryGetValue(m.WalkId, out var f) || !Sender.Equals(f.Worker))
            return; // queued again meanwhile (deadline, unreachable) and handed to another worker
        if (m.Parts == 0 || (f.Parts.Length > 0 && m.Parts != f.Parts.Length))
        {
            _walksInFlight.Remove(m.WalkId);
            _localWalks.AddFirst((f.Id, f.Walk));
            Dispatch();
            return;
        }
        var parts = f.Parts.Length == 0 ? new DirectoryWalked?[m.Parts] : f.Parts;
        parts[m.Part] = m.Result;
        if (parts.Any(p => p is null))
        {
            _walksInFlight[m.WalkId] = f with { Parts = parts };
            return;
        }
        _walksInFlight.Remove(m.WalkId);
        var listed = WalkParts.Join(parts!);
        if (m.Node != _localNode && !f.LocalOnly && _workers.Values.Any(w => w.Node == _localNode) && !SameViewHere(listed))
        {
            _localWalks.AddLast((f.Id, f.Walk));
            Dispatch();
            return;
        }
        _dirsByNode[m.Node] = _dirsByNode.GetValueOrDefault(m.Node) + 1;
        if (!_previousOpened)
        {
            _previous = PreviousFiles.Open(_options.PreviousManifest);
            _previousOpened = true;
        }
        listed = DirectoryLister.WithKnown(listed, _previous);
        if (_options.Excluded.Count > 0)
            listed = listed with { Entries = listed.Entries.Where(e => e.Meta.Type != EntryType.Directory || !_options.Excluded.Contains(e.Path)).ToList() };
        _coordinator.Tell(listed);
    }

    /// <summary>
    /// Whether a listing another node made can stand for this node's: no problem met (a node's
    /// view of the source may be the problem), every entry on the root's file system, and every
    /// folder in it the same inode here. A mount in one node's view and not the other's (a
    /// tmpfs over a folder, a file system an NFS export does not cross) would otherwise put
    /// another folder's metadata in the snapshot, or leave a folder's contents out. One lstat
    /// per folder, none per file.
    /// </summary>
    private bool SameViewHere(DirectoryWalked listed)
    {
        if (listed.Problems.Count > 0)
            return false;
        foreach (var entry in listed.Entries)
        {
            if (entry.Meta.Device != _rootDevice)
                return false;
            if (entry.Meta.Type == EntryType.Directory
                && !(Files.TryLstat(_options.SourcePath(entry.Path), out var here, out _) && here!.Device == _rootDevice && here.Inode == entry.Meta.Inode))
                return false;
        }
        return true;
    }

    private static ulong RootDeviceOf(string root)
    {
        try
        {
            return Files.Lstat(root).Device;
        }
        catch (PosixException)
        {
            return 0; // the coordinator reports an unreadable root
        }
    }

    private void Dispatch()
    {
        var reachable = _workers.Keys.Where(w => !_unreachable.Contains(w.Path.Address)).ToList();
        // What only this node's workers may take goes first: nothing waits for hasher nodes there.
        while (_localWalks.Count > 0 && reachable.FirstOrDefault(w => _workers[w].Credits > 0 && (_localNode is null || _workers[w].Node == _localNode)) is { } here)
            HandWalk(here, _localWalks, localOnly: true);
        while (_localQueue.Count > 0 && reachable.FirstOrDefault(w => _workers[w].Credits > 0 && _workers[w].Node == _localNode) is { } local)
            Hand(local, _localQueue);
        // Walks and batches wait until the hasher nodes Up at the start have registered (at most
        // hasher-wait), so that they work from the start.
        if (_awaited.Count > 0)
            return;
        // Walks before batches: every batch comes from one, and the coordinator holds walks back
        // while many files wait. Other nodes' workers first; this node's stand in when none is
        // free, so a walk never waits for a busy node.
        while (_walks.Count > 0 && (reachable.FirstOrDefault(w => _workers[w].Credits > 0 && _workers[w].Node != _localNode)
                   ?? reachable.FirstOrDefault(w => _workers[w].Credits > 0)) is { } worker)
            HandWalk(worker, _walks, localOnly: false);
        var localStandsIn = _localNode is null || _localAlwaysHashes || reachable.All(w => _workers[w].Node == _localNode);
        while (_queue.Count > 0)
        {
            var worker = reachable.FirstOrDefault(w => _workers[w].Credits > 0 && (localStandsIn || _workers[w].Node != _localNode));
            if (worker is null)
                return;
            Hand(worker, _queue);
        }
    }

    /// <summary>Gives the first walk of <paramref name="queue"/> to <paramref name="worker"/>, which has a credit.</summary>
    private void HandWalk(IActorRef worker, LinkedList<(long Id, WalkDirectory Walk)> queue, bool localOnly)
    {
        var (id, walk) = queue.First!.Value;
        queue.RemoveFirst();
        var (node, credits) = _workers[worker];
        _workers[worker] = (node, credits - 1);
        _walksInFlight[id] = new WalkInFlight(id, walk, worker, DateTime.UtcNow + _deadline, localOnly, []);
        worker.Tell(new WalkWork(id, _options.RootFolder, walk, _rootDevice));
    }

    /// <summary>Gives the first batch of <paramref name="queue"/> to <paramref name="worker"/>, which has a credit.</summary>
    private void Hand(IActorRef worker, LinkedList<HashFiles> queue)
    {
        var batch = queue.First!.Value;
        queue.RemoveFirst();
        var (node, credits) = _workers[worker];
        _workers[worker] = (node, credits - 1);
        _inFlight[batch.BatchId] = new InFlight(batch, worker, DateTime.UtcNow + _deadline);
        worker.Tell(new HashWork(batch.BatchId, _options.RootFolder, _options.Store.Hash.Name, batch.Files,
            batch.CopyToStore ? _options.Store.TempFolder : null, _options.Share.ToString().ToLowerInvariant()));
    }
}
