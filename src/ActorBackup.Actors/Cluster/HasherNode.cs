using ActorBackup.Protocol;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using static ActorBackup.Protocol.ClusterProtocol;

namespace ActorBackup.Actors.Cluster;

/// <summary>
/// A hasher node's long-lived service (/user/hasher). It runs the node's hash workers and has
/// every worker register with a run's work broker: when the coordinator names it at the start
/// of a run (<see cref="ServeBroker"/>), and, for a node that joins mid-run, when it sees a
/// coordinator Up and finds its broker, so such a node starts taking work within seconds.
/// Before its workers register, it asks the broker what the run's source looks like and checks
/// that it sees the same through its path map (<see cref="SourceCheck"/>). A node that does not
/// (a missing mount, a wrong path-map) logs one warning, tells the broker (which then neither
/// waits for it nor gives it work) and sits this run out, instead of answering every file
/// of its share with "vanished".
/// </summary>
public sealed class HasherNode : ReceiveActor, IWithTimers
{
    private const string CoordinatorRole = "coordinator";
    private readonly List<IActorRef> _workers = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private sealed record FindBroker(Address Coordinator, int Attempt);

    /// <summary>The outcome of <see cref="SourceCheck.Problem"/> for a broker's run; null: the source is seen.</summary>
    private sealed record SourceChecked(IActorRef Broker, string Looked, string? Problem);

    /// <summary>Brokers this node has met (a run's broker is named and also found): checking, or checked.</summary>
    private readonly Dictionary<IActorRef, bool> _brokers = [];
    private readonly string _node;
    private readonly PathMap _paths;

    public ITimerScheduler Timers { get; set; } = null!;

    public HasherNode(string node, PathMap paths, BackupSettings settings, bool sameHost, bool storeVisible = false)
    {
        _node = node;
        _paths = paths;
        for (var i = 0; i < settings.Hashers; i++)
            _workers.Add(Context.ActorOf(HashWorker.Props(node, paths, settings, sameHost, storeVisible), ActorNames.Worker(i)));

        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var member in state.Members.Where(m => m.Status == MemberStatus.Up && m.HasRole(CoordinatorRole)))
                Self.Tell(new FindBroker(member.Address, 0));
        });
        Receive<ClusterEvent.MemberUp>(up =>
        {
            if (up.Member.HasRole(CoordinatorRole))
                Self.Tell(new FindBroker(up.Member.Address, 0));
        });
        Receive<ServeBroker>(m =>
        {
            Timers.Cancel(m.Broker.Path.Address);
            CheckSource(m.Broker);
        });
        Receive<FindBroker>(f =>
            Context.ActorSelection(ActorNames.On(f.Coordinator, ActorNames.Broker)).Tell(new Identify(f)));
        Receive<ActorIdentity>(id =>
        {
            if (id.MessageId is not FindBroker f)
                return;
            if (id.Subject is null)
            {
                if (f.Attempt < 240) // 2 minutes: the coordinator creates its broker once the storage session is open
                    Timers.StartSingleTimer(f.Coordinator, f with { Attempt = f.Attempt + 1 }, TimeSpan.FromMilliseconds(500));
                return;
            }
            CheckSource(id.Subject);
        });
        Receive<SourceIdentity>(source =>
        {
            var broker = Sender;
            if (_brokers.GetValueOrDefault(broker, true))
                return; // not asked, or already checked
            var looked = _paths.Map(source.Root);
            // A few stat calls, but on a network mount that hangs they may block: not on this actor's thread.
            Task.Run(() => new SourceChecked(broker, looked, SourceCheck.Problem(source, looked))).PipeTo(Self);
        });
        Receive<SourceChecked>(c =>
        {
            if (!_brokers.ContainsKey(c.Broker))
                return; // the run ended meanwhile
            _brokers[c.Broker] = true;
            if (c.Problem is null)
            {
                _log.Info("serving the coordinator at {0}", c.Broker.Path.Address);
                foreach (var worker in _workers)
                    worker.Tell(new HashWorker.Serve(c.Broker));
                return;
            }
            _log.Warning("this hasher node ({0}) does not see the source of the run by the coordinator at {1}: it looked at {2}: {3}. It takes no work for this run. " +
                "Mount the source there, or set actorbackup.cluster.path-map to where this node sees it.", _node, c.Broker.Path.Address, c.Looked, c.Problem);
            c.Broker.Tell(new SourceNotSeen(_node, c.Looked, c.Problem));
        });
        Receive<Terminated>(t => _brokers.Remove(t.ActorRef));
    }

    /// <summary>Asks a run's broker for its source, once per broker; the workers serve it once the source is seen.</summary>
    private void CheckSource(IActorRef broker)
    {
        if (!_brokers.TryAdd(broker, false))
            return;
        Context.Watch(broker);
        broker.Tell(new GetSourceIdentity());
    }

    public static Props Props(string node, PathMap paths, BackupSettings settings, bool sameHost, bool storeVisible = false) =>
        Akka.Actor.Props.Create(() => new HasherNode(node, paths, settings, sameHost, storeVisible));

    protected override void PreStart() =>
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.MemberUp));

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
}
