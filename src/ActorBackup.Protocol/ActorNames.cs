using Akka.Actor;

namespace ActorBackup.Protocol;

/// <summary>
/// Every actor's name, and the paths actors are found by, in one place. Nodes find each
/// other's services by path (a coordinator finds a storage node's /user/storage and each
/// hasher node's /user/hasher; a hasher node finds the coordinator's /user/broker), so the
/// node that creates an actor and the node that looks for it must agree on its name.
/// </summary>
public static class ActorNames
{
    /// <summary>A storage node's service, which opens a run's session (looked up by coordinators).</summary>
    public const string Storage = "storage";

    /// <summary>A hasher node's service, which has its workers serve a run's broker (looked up by coordinators).</summary>
    public const string Hasher = "hasher";

    /// <summary>A cluster run's work broker on the coordinator's node (looked up by hasher nodes).</summary>
    public const string Broker = "broker";

    /// <summary>Every cluster node's monitor: its log lines, stats line and figures (looked up on its own node).</summary>
    public const string Monitor = "monitor";

    public const string BrokerPath = "/user/" + Broker;
    public const string MonitorPath = "/user/" + Monitor;

    /// <summary>The top-level actor <paramref name="name"/> (one of the services above) of the node at <paramref name="node"/>.</summary>
    public static ActorPath On(Address node, string name) => new RootActorPath(node) / "user" / name;

    // Top-level actors of a run or a node, reached by reference only.
    public const string Coordinator = "coordinator";
    public const string RestoreCoordinator = "restore";
    public const string Reporter = "reporter";
    public const string Scrubber = "scrubber";
    public const string JoinWatch = "join-watch";
    public const string StorageWatch = "storage-watch";
    public const string ContentSender = "content";
    public const string StoreRelay = "store-relay";
    public const string Walkers = "walkers";

    // Children of the coordinators and the data-store.
    public const string Hashers = "hashers";
    public const string Copiers = "copiers";
    public const string DataStore = "data-store";
    public const string StoreCopier = "store-copier";
    public const string Syncer = "syncer";

    /// <summary>The data-store's link workers, numbered: link-worker-1, link-worker-2, ...</summary>
    public const string LinkWorker = "link-worker";
    public const string Restorers = "restorers";

    /// <summary>Hash worker number <paramref name="i"/> of a node (children of /user/hasher, or top-level on the coordinator's node).</summary>
    public static string Worker(int i) => $"worker-{i}";

    /// <summary>A scrub's entry hasher number <paramref name="i"/>.</summary>
    public static string EntryHasher(int i) => $"hasher-{i}";
}
