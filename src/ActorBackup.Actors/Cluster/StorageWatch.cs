using Akka.Actor;
using Akka.Cluster;

namespace ActorBackup.Actors.Cluster;

/// <summary>
/// On a hasher node: once the cluster has no storage node left that this node reaches (it was
/// stopped, restarted, or killed: its old incarnation is Removed or unreachable), this node
/// leaves too, so 'actorbackup node' starts a new actor system that joins the seed nodes again
/// and finds the restarted storage node. An Akka node cannot join a second time; without this
/// a hasher stayed in a cluster of its own for good, and after a kill -9 it waited for the
/// split-brain resolver (unreachable + stable-after) to down it. A hasher holds nothing
/// between batches: the broker gives an unreachable worker's batches to others.
/// </summary>
public sealed class StorageWatch : ReceiveActor, IWithTimers
{
    /// <summary>Why a node's actor system ended so that it joins again.</summary>
    public sealed class StorageLostReason : CoordinatedShutdown.Reason
    {
        public static readonly StorageLostReason Instance = new();

        private StorageLostReason()
        {
        }

        /// <summary>Unused: coordinated-shutdown.exit-clr is off, the node joins again instead.</summary>
        public override int ExitCode => 0;
    }

    private const string StorageRole = "storage";

    /// <summary>Time for a second storage node (or the same one, back) to show before this node leaves.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    private sealed record Check;

    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);

    public ITimerScheduler Timers { get; set; } = null!;

    public StorageWatch()
    {
        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            if (removed.Member.HasRole(StorageRole))
                Timers.StartSingleTimer("check", new Check(), Grace);
        });
        Receive<ClusterEvent.UnreachableMember>(unreachable =>
        {
            if (unreachable.Member.HasRole(StorageRole))
                Timers.StartSingleTimer("check", new Check(), Grace);
        });
        Receive<Check>(_ =>
        {
            var state = _cluster.State;
            var storage = state.Members.Where(m => m.HasRole(StorageRole) && m.Status is MemberStatus.Up or MemberStatus.Joining or MemberStatus.WeaklyUp).ToList();
            if (storage.Count == 0)
                CoordinatedShutdown.Get(Context.System).Run(StorageLostReason.Instance);
            else if (storage.All(state.Unreachable.Contains))
                // Leaving needs the unreachable storage node's agreement: it would wait for the
                // split-brain resolver. Downing itself removes this node at once.
                _cluster.Down(_cluster.SelfAddress);
        });
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new StorageWatch());

    protected override void PreStart() => _cluster.Subscribe(Self, typeof(ClusterEvent.MemberRemoved), typeof(ClusterEvent.UnreachableMember));

    protected override void PostStop() => _cluster.Unsubscribe(Self);
}
