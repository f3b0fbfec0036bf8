using System.Globalization;
using ActorBackup.Actors;

namespace ActorBackup.Hosting;

/// <summary>
/// The akka keys of hocon/actorbackup.conf (and of hocon/cluster.conf for a node), checked
/// like ours before the actor system starts: Akka reads some only then (a misspelt loglevel
/// threw out of ActorSystem.Create as an internal error), others later still.
/// </summary>
public static class AkkaSection
{
    private static readonly string[] LogLevels = ["DEBUG", "INFO", "WARNING", "ERROR", "OFF"];

    /// <summary>One process: the local provider, so nothing listens on the network.</summary>
    public static void CheckLocal(Akka.Configuration.Config config, string source)
    {
        var read = Common(config, source);
        if (read.Scalar("actor.provider", "local") != "local")
            throw read.Wrong("actor.provider", "local for a run in one process (a cluster run is started with --cluster)");
    }

    /// <summary>A cluster node: the cluster provider, and the remoting keys of hocon/cluster.conf.</summary>
    public static void CheckCluster(Akka.Configuration.Config config, string source)
    {
        var read = Common(config, source);
        if (read.Scalar("actor.provider", "cluster") != "cluster")
            throw read.Wrong("actor.provider", "cluster for a cluster node");
        read.Bool("coordinated-shutdown.exit-clr");
        read.Text("remote.dot-netty.tcp.hostname");
        read.Text("remote.dot-netty.tcp.public-hostname");
        read.Int("remote.dot-netty.tcp.port", 0, 65535);
        // The frame limit also bounds the heartbeats' connection: never above Akka's default.
        read.Size("remote.dot-netty.tcp.maximum-frame-size", 32000, 128000);
        CheckSeeds(read, config, source);
        read.TextList("cluster.roles", "roles (storage, hasher)");
        read.Duration("cluster.seed-node-timeout", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        read.Duration("cluster.retry-unsuccessful-join-after", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        foreach (var interval in (string[])["periodic-tasks-initial-delay", "gossip-interval", "leader-actions-interval"])
            read.Duration("cluster." + interval, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(10));
        read.Duration("cluster.failure-detector.heartbeat-interval", TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
        read.Duration("cluster.failure-detector.acceptable-heartbeat-pause", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        read.Choice("cluster.split-brain-resolver.active-strategy", ["keep-majority", "static-quorum", "keep-oldest", "down-all", "lease-majority"]);
        read.Text("cluster.split-brain-resolver.keep-majority.role");
        read.Duration("cluster.split-brain-resolver.stable-after", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        read.Bool("cluster.run-coordinated-shutdown-when-down");
    }

    /// <summary>
    /// Every seed address must be one this node can dial: Akka's scheme for the transport in
    /// use (akka.ssl.tcp with TLS on, akka.tcp without), system name actorbackup, a host and a
    /// port. A wrong scheme is not an error to Akka: it logs "No transport is loaded for
    /// protocol" with a stack trace many times a second, forever.
    /// </summary>
    private static void CheckSeeds(SettingsReader read, Akka.Configuration.Config config, string source)
    {
        var tls = new SettingsReader(config, "actorbackup.cluster", source).Bool("tls.enabled");
        var scheme = tls ? "akka.ssl.tcp" : "akka.tcp";
        var expected = $"node addresses such as \"{scheme}://actorbackup@host:4051\"";
        foreach (var seed in read.TextList("cluster.seed-nodes", expected))
        {
            if (!Akka.Actor.Address.TryParse(seed, out var address) || address.Host is null || address.Port is not (> 0 and <= 65535))
                throw read.Wrong("cluster.seed-nodes", expected, $"\"{seed}\"");
            if (address.Protocol != scheme)
                throw read.Wrong("cluster.seed-nodes", $"{expected} (actorbackup.cluster.tls.enabled is {(tls ? "on" : "off")}, so the scheme is {scheme}://)", $"\"{seed}\"");
            if (address.System != "actorbackup")
                throw read.Wrong("cluster.seed-nodes", $"{expected} (the actor system is named actorbackup)", $"\"{seed}\"");
        }
    }

    private static SettingsReader Common(Akka.Configuration.Config config, string source)
    {
        var read = new SettingsReader(config, "akka", source);
        read.Choice("loglevel", LogLevels, StringComparison.OrdinalIgnoreCase);
        read.Choice("stdout-loglevel", LogLevels, StringComparison.OrdinalIgnoreCase);
        // Akka takes on/off, or how many dead letters to log.
        const string deadLetters = "on, off or a count from 0 to 1000000";
        if (read.Scalar("log-dead-letters", deadLetters) is not ("on" or "off" or "true" or "false") and var count
            && !(int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 1_000_000))
            throw read.Wrong("log-dead-letters", deadLetters);
        read.Bool("log-dead-letters-during-shutdown");
        read.Bool("coordinated-shutdown.run-by-clr-shutdown-hook");
        return read;
    }
}
