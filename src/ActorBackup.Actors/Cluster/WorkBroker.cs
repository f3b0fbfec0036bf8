using ActorBackup.Core;
using ActorBackup.Protocol;
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
    private readonly Dictionary<long, InFlight> _inFlight = [];
    private readonly Dictionary<IActorRef, (string Node, int Credits)> _workers = [];
    private readonly Dictionary<string, long> _filesByNode = new(StringComparer.Ordinal);
    private long _filesWritten;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<string> _awaited;
    private readonly string? _localNode;
    private IActorRef _coordinator = ActorRefs.Nobody;
    private readonly HashSet<Address> _unreachable = [];

    public ITimerScheduler Timers { get; set; } = null!;

    public WorkBroker(RunOptions options, TimeSpan deadline, IReadOnlyCollection<string> awaitedNodes, TimeSpan hasherWait, string? localNode = null)
    {
        _localNode = localNode;
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
            if (!_inFlight.Remove(m.Result.BatchId))
                return; // already done by another worker after a deadline or a death
            _filesByNode[m.Node] = _filesByNode.GetValueOrDefault(m.Node) + m.Result.Hashed.Count + m.Result.Problems.Count;
            _filesWritten += m.Result.Hashed.Count(h => h.Temp is not null);
            _coordinator.Tell(m.Result);
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
        Receive<GetWorkStats>(_ => Sender.Tell(new WorkStats(_queue.Count, _inFlight.Count, _workers.Count, new Dictionary<string, long>(_filesByNode), _filesWritten)));
    }

    /// <summary>How workers name their node, and the broker the nodes it awaits: "host:port".</summary>
    public static string NodeName(Address address) => $"{address.Host}:{address.Port}";

    /// <param name="awaitedNodes"><see cref="NodeName"/> of the hasher nodes told to serve this broker.</param>
    /// <param name="localNode">The broker's own node, whose workers only stand in while no other node's worker is registered; null: every worker takes batches.</param>
    public static Props Props(RunOptions options, TimeSpan deadline, IReadOnlyCollection<string> awaitedNodes, TimeSpan hasherWait, string? localNode = null) =>
        Akka.Actor.Props.Create(() => new WorkBroker(options, deadline, awaitedNodes, hasherWait, localNode));

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

    private int Requeue(Func<InFlight, bool> which)
    {
        var batches = _inFlight.Values.Where(which).ToList();
        foreach (var f in batches.OrderByDescending(f => f.Batch.BatchId))
        {
            _inFlight.Remove(f.Batch.BatchId);
            _queue.AddFirst(f.Batch);
        }
        return batches.Count;
    }

    private void Dispatch()
    {
        if (_awaited.Count > 0)
            return;
        var reachable = _workers.Where(w => !_unreachable.Contains(w.Key.Path.Address)).ToList();
        var localStandsIn = _localNode is null || reachable.All(w => w.Value.Node == _localNode);
        while (_queue.Count > 0)
        {
            var worker = reachable.FirstOrDefault(w => _workers[w.Key].Credits > 0 && (localStandsIn || w.Value.Node != _localNode));
            if (worker.Key is null)
                return;
            var batch = _queue.First!.Value;
            _queue.RemoveFirst();
            _workers[worker.Key] = (worker.Value.Node, _workers[worker.Key].Credits - 1);
            _inFlight[batch.BatchId] = new InFlight(batch, worker.Key, DateTime.UtcNow + _deadline);
            worker.Key.Tell(new HashWork(batch.BatchId, _options.RootFolder, _options.Store.Hash.Name(), batch.Files,
                batch.CopyToStore ? _options.Store.TempFolder : null, _options.Share.ToString().ToLowerInvariant()));
        }
    }
}
