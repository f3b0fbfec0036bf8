using ActorBackup.Actors;
using ActorBackup.Actors.Cluster;
using ActorBackup.Actors.Storage;
using ActorBackup.Core;
using ActorBackup.Hosting;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Catalog;
using Akka.Actor;

namespace ActorBackup.Cli;

/// <summary>
/// actorbackup node --config FILE: a long-running storage or hasher node. It runs until
/// SIGTERM (it then leaves the cluster gracefully and exits). When the cluster downs it or
/// its storage node goes away, it starts a new actor system that joins the seed nodes again:
/// an Akka node cannot rejoin, and waiting for systemd to restart it left hashers outside
/// the cluster for minutes.
/// </summary>
public sealed class NodeCommand(Arguments args, TextWriter output)
{
    /// <summary>Pause before joining again, so a node that cannot stay up does not spin.</summary>
    private static readonly TimeSpan RejoinPause = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The node's figures (files hashed, entries stored) as its last actor system's monitor
    /// ended with them: they count from the process's start, across rejoins.
    /// </summary>
    private NodeMonitor.Totals _figures = NodeMonitor.Totals.Zero;

    public ExitCode Run()
    {
        var roleFile = args.Required("config");
        var source = ClusterSystem.Source(roleFile);
        var config = ClusterSystem.LoadConfig(roleFile);
        var settings = BackupSettings.From(config, source);
        var cluster = ClusterSettings.From(config, source);
        var roles = config.GetStringList("akka.cluster.roles").ToList();
        if (!roles.Contains("storage") && !roles.Contains("hasher"))
            throw new UserError(ExitCode.Usage, "a node's akka.cluster.roles must contain storage or hasher (coordinators are started by 'actorbackup backup --cluster')");

        if (roles.Contains("storage"))
            ThreadNice.LowerOthers(settings.StorePriority);
        var exiting = false;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => exiting = true;
        while (true)
        {
            var reason = RunOnce(config, settings, cluster, roles, source);
            if (exiting || reason is CoordinatedShutdown.ClrExitReason or null)
                return ExitCode.Success;
            Log(cluster.JsonLogs, cluster.NodeName, "node-rejoin", $"actorbackup node: {Why(reason)}; joining the cluster again in {RejoinPause.TotalSeconds:F0} s",
                new() { ["reason"] = Why(reason), ["after_s"] = RejoinPause.TotalSeconds });
            Thread.Sleep(RejoinPause);
        }
    }

    /// <summary>One actor system's life, from start to its end; returns why it ended.</summary>
    private CoordinatedShutdown.Reason? RunOnce(Akka.Configuration.Config config, BackupSettings settings, ClusterSettings cluster, List<string> roles, string source)
    {
        using var system = ClusterSystem.Create(config, settings, cluster, source);
        var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
        // Written on the monitor's thread as it stops, read below once the actor system has ended.
        var figures = _figures;
        system.ActorOf(NodeMonitor.Props(output, cluster.JsonLogs, cluster.StatsInterval, settings.MetricsDirectory,
            from: _figures, stopped: totals => figures = totals), ActorNames.Monitor);
        if (roles.Contains("storage"))
            system.ActorOf(StorageService.Props(new StorageService.Settings(settings, cluster.SourceVisible, cluster.Paths,
                cluster.AllowedFolders, TimeSpan.FromSeconds(60))), ActorNames.Storage);
        if (roles.Contains("hasher"))
        {
            system.ActorOf(HasherNode.Props(WorkBroker.NodeName(self), cluster.Paths, settings, sameHost: false, cluster.StoreVisible), ActorNames.Hasher);
            if (!roles.Contains("storage"))
                system.ActorOf(StorageWatch.Props(), ActorNames.StorageWatch);
        }
        Log(cluster.JsonLogs, cluster.NodeName, "node-up", $"actorbackup node {self} up with roles [{string.Join(", ", roles)}] as {cluster.NodeName}",
            new() { ["address"] = self.ToString(), ["name"] = cluster.NodeName, ["roles"] = string.Join(",", roles) });
        system.WhenTerminated.Wait();
        _figures = figures;
        Log(cluster.JsonLogs, cluster.NodeName, "node-stopped", $"actorbackup node {self} stopped", new() { ["address"] = self.ToString() });
        return CoordinatedShutdown.Get(system).ShutdownReason;
    }

    /// <summary>A line of the node's own: the sentence people read, or in JSON mode one object like every other line.</summary>
    private void Log(bool json, string node, string what, string text, Dictionary<string, object> fields) =>
        LogLine.Write(output, json ? LogLine.Format(json: true, node, what, fields) : text);

    private static string Why(CoordinatedShutdown.Reason reason) => reason switch
    {
        StorageWatch.StorageLostReason => "the storage node left the cluster or is unreachable (stopped, restarted or cut off)",
        CoordinatedShutdown.ClusterDowningReason => "the cluster downed this node (it lost contact with the storage node's side)",
        CoordinatedShutdown.ClusterLeavingReason => "this node was removed from the cluster",
        _ when reason.GetType().Name.Contains("Tls", StringComparison.Ordinal) =>
            "the TLS handshake with a seed node failed (its certificate is not trusted here, or this one there)",
        _ => $"the actor system ended ({reason.GetType().Name})",
    };
}
