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
/// </summary>
public sealed class HasherNode : ReceiveActor, IWithTimers
{
    private const string CoordinatorRole = "coordinator";
    private readonly List<IActorRef> _workers = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private sealed record FindBroker(Address Coordinator, int Attempt);

    public ITimerScheduler Timers { get; set; } = null!;

    public HasherNode(string node, PathMap paths, BackupSettings settings, bool sameHost, bool storeVisible = false)
    {
        for (var i = 0; i < settings.Hashers; i++)
            _workers.Add(Context.ActorOf(HashWorker.Props(node, paths, settings, sameHost, storeVisible), $"worker-{i}"));

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
            Serve(m.Broker, m.Broker.Path.Address);
        });
        Receive<FindBroker>(f =>
            Context.ActorSelection(new RootActorPath(f.Coordinator) / "user" / "broker").Tell(new Identify(f)));
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
            Serve(id.Subject, f.Coordinator);
        });
    }

    private void Serve(IActorRef broker, Address coordinator)
    {
        _log.Info("serving the coordinator at {0}", coordinator);
        foreach (var worker in _workers)
            worker.Tell(new HashWorker.Serve(broker));
    }

    public static Props Props(string node, PathMap paths, BackupSettings settings, bool sameHost, bool storeVisible = false) =>
        Akka.Actor.Props.Create(() => new HasherNode(node, paths, settings, sameHost, storeVisible));

    protected override void PreStart() =>
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.MemberUp));

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
}
