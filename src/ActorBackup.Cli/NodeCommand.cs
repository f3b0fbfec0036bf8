using ActorBackup.Actors;
using ActorBackup.Actors.Cluster;
using ActorBackup.Actors.Storage;
using ActorBackup.Core;
using ActorBackup.Hosting;
using ActorBackup.Posix;
using Akka.Actor;

namespace ActorBackup.Cli;

/// <summary>
/// actorbackup node --config FILE: a long-running storage or hasher node. It runs until
/// SIGTERM (it then leaves the cluster gracefully) or until the cluster downs it (it then
/// exits, and systemd's Restart=always starts it again).
/// </summary>
public sealed class NodeCommand(Arguments args, TextWriter output)
{
    public ExitCode Run()
    {
        var roleFile = args.Required("config");
        var config = ClusterSystem.LoadConfig(roleFile);
        var settings = BackupSettings.From(config, ClusterSystem.Source(roleFile));
        var cluster = ClusterSettings.From(config, ClusterSystem.Source(roleFile));
        var roles = config.GetStringList("akka.cluster.roles").ToList();
        if (!roles.Contains("storage") && !roles.Contains("hasher"))
            throw new UserError(ExitCode.Usage, "a node's akka.cluster.roles must contain storage or hasher (coordinators are started by 'actorbackup backup --cluster')");

        if (roles.Contains("storage"))
            ThreadNice.LowerOthers(settings.StorePriority);
        using var system = ClusterSystem.Create(config, settings, cluster);
        var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
        system.ActorOf(NodeMonitor.Props(output, cluster.JsonLogs, cluster.StatsInterval), "monitor");
        if (roles.Contains("storage"))
            system.ActorOf(StorageService.Props(new StorageService.Settings(settings, cluster.SourceVisible, cluster.Paths,
                cluster.AllowedFolders, TimeSpan.FromSeconds(60))), "storage");
        if (roles.Contains("hasher"))
            system.ActorOf(HasherNode.Props(WorkBroker.NodeName(self), cluster.Paths, settings, sameHost: false, cluster.StoreVisible), "hasher");
        output.WriteLine($"actorbackup node {self} up with roles [{string.Join(", ", roles)}]");
        output.Flush();
        system.WhenTerminated.Wait();
        output.WriteLine($"actorbackup node {self} stopped");
        return ExitCode.Success;
    }
}
