using ActorBackup.Core;
using ActorBackup.Protocol;
using ActorBackup.Store;
using Akka.Actor;
using Akka.Event;
using static ActorBackup.Protocol.ClusterProtocol;
using static ActorBackup.Protocol.HasherProtocol;

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
                if (_awaited.Remove(m.Node) && _awaited.Count == 0)
                {
                    Timers.Cancel("hasher-wait");
                    Dispatch();
                }
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
            var lost = Requeue(f => f.Worker.Equals(m.ActorRef));
            // Workers stopping with the run's end (the coordinator's own, a node leaving) held
            // nothing: that is news, not a warning. Lost batches are.
            if (lost > 0)
                _log.Warning("hash worker {0} on {1} is gone; {2} batches queued again", m.ActorRef.Path.Name, w.Node, lost);
            else
                _log.Info("hash worker {0} on {1} is gone; it held no batch", m.ActorRef.Path.Name, w.Node);
            Dispatch();
        });
        Receive<Akka.Cluster.ClusterEvent.UnreachableMember>(m =>
        {
            _unreachable.Add(m.Member.Address);
            var lost = Requeue(f => f.Worker.Path.Address.Equals(m.Member.Address));
            if (lost > 0)
                _log.Warning("hasher node {0} is unreachable; its {1} batches queued again", NodeName(m.Member.Address), lost);
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
            var late = Requeue(f => f.Deadline < now);
            if (late > 0)
                _log.Warning("{0} batches missed their deadline of {1}; queued again", late, _deadline);
            Dispatch();
        });
        Receive<GetWorkStats>(_ => Sender.Tell(new WorkStats(_queue.Count + _localQueue.Count, _inFlight.Count, _workers.Count, new Dictionary<string, long>(_filesByNode), _filesWritten)));
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
    public sealed record WorkStats(int Queued, int InFlight, int Workers, IReadOnlyDictionary<string, long> FilesByNode, long FilesWritten = 0);

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

    private int Requeue(Func<InFlight, bool> which)
    {
        var batches = _inFlight.Values.Where(which).ToList();
        foreach (var f in batches.OrderByDescending(f => f.Batch.BatchId))
        {
            _inFlight.Remove(f.Batch.BatchId);
            (f.Batch.BatchId < 0 ? _localQueue : _queue).AddFirst(f.Batch);
        }
        return batches.Count;
    }

    private void Dispatch()
    {
        var reachable = _workers.Keys.Where(w => !_unreachable.Contains(w.Path.Address)).ToList();
        while (_localQueue.Count > 0)
        {
            var local = reachable.FirstOrDefault(w => _workers[w].Credits > 0 && _workers[w].Node == _localNode);
            if (local is null)
                break;
            Hand(local, _localQueue);
        }
        if (_awaited.Count > 0)
            return;
        var localStandsIn = _localNode is null || _localAlwaysHashes || reachable.All(w => _workers[w].Node == _localNode);
        while (_queue.Count > 0)
        {
            var worker = reachable.FirstOrDefault(w => _workers[w].Credits > 0 && (localStandsIn || _workers[w].Node != _localNode));
            if (worker is null)
                return;
            Hand(worker, _queue);
        }
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
