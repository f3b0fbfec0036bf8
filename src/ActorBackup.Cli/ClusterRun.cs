using ActorBackup.Actors;
using ActorBackup.Actors.Cluster;
using ActorBackup.Actors.Coordinator;
using ActorBackup.Core;
using ActorBackup.Hosting;
using ActorBackup.Protocol;
using Akka.Actor;

using Akka.Configuration;
using ActorBackup.Store;
using static ActorBackup.Protocol.ClusterProtocol;
using static ActorBackup.Protocol.CoordinatorProtocol;

namespace ActorBackup.Cli;

/// <summary>
/// actorbackup backup --cluster FILE ...: the cron-started coordinator. Joins the cluster,
/// opens a session on the storage node (which checks and locks the data folder), runs the
/// walk here while hash workers everywhere pull batches, streams new content to the storage
/// node when it cannot read the source itself, then leaves the cluster gracefully.
/// </summary>
public sealed class ClusterRun(TextWriter output, TextWriter error, Interruption interruption)
{
    public RunFinished Run(string clusterFile, RunOptions local, SessionSpec spec, string? configFile)
    {
        var config = ConfigurationFactory.ParseString("akka.cluster.roles = [coordinator]")
            .WithFallback(ClusterSystem.LoadConfig(clusterFile, configFile));
        var source = ClusterSystem.Source(clusterFile, configFile);
        var settings = BackupSettings.From(config, source);
        var cluster = ClusterSettings.From(config, source);

        using var system = ClusterSystem.Create(config, settings, cluster, source);
        var self = Akka.Cluster.Cluster.Get(system);
        var monitor = system.ActorOf(NodeMonitor.Props(output, cluster.JsonLogs, cluster.StatsInterval, settings.MetricsDirectory), ActorNames.Monitor);
        var joinWatch = system.ActorOf(JoinWatch.Props(), ActorNames.JoinWatch);
        try
        {
            var storage = AwaitStorage(self, joinWatch, cluster.JoinTimeout, interruption, output);
            var service = system.ActorSelection(ActorNames.On(storage, ActorNames.Storage));
            var content = system.ActorOf(ContentSender.Props(local, cluster.ChunkSize, cluster.ChunkWindow), ActorNames.ContentSender);
            var reply = OpenSession(system, service, new OpenSession(spec, content), storage);
            if (reply is SessionRefused refused)
                throw new UserError((ExitCode)refused.ExitCode, $"storage node {storage}: {refused.Reason}");
            var opened = (SessionOpened)reply;
            var options = local with { Store = new StoreLayout(spec.DataFolder, opened.Levels, ContentHash.Parse(opened.Hash)) };

            var hasherNodes = UpMembers(self, "hasher");
            var awaited = cluster.HasherWait > TimeSpan.Zero ? hasherNodes.Select(WorkBroker.NodeName).ToList() : [];
            var node = WorkBroker.NodeName(self.SelfAddress);
            var broker = system.ActorOf(WorkBroker.Props(options, cluster.BatchDeadline, awaited, cluster.HasherWait,
                node, cluster.CoordinatorAlwaysHashes, DescribeSource(options.RootFolder)), ActorNames.Broker);
            foreach (var hasher in hasherNodes)
                system.ActorSelection(ActorNames.On(hasher, ActorNames.Hasher)).Tell(new ServeBroker(broker));
            for (var i = 0; i < settings.Hashers; i++)
                system.ActorOf(HashWorker.Props(node, PathMap.Identity, settings, sameHost: true, cluster.StoreVisible), ActorNames.Worker(i)).Tell(new HashWorker.Serve(broker));

            var reporter = system.ActorOf(ConsoleReporter.Props(output, error, TextReader.Null, pauseOnError: false), ActorNames.Reporter);
            // Walks go to the broker too, for any node's workers, unless they are kept here. Each
            // worker can hold one, so more may be in flight than this node's walkers.
            var walkEverywhere = cluster.WalkOnHashers && options.FoldersPause == TimeSpan.Zero;
            var coordinatorSettings = settings with
            {
                Hashers = cluster.MaxBatchesInFlight,
                BatchesPerHasher = 1,
                Walkers = walkEverywhere ? Math.Max(settings.Walkers, settings.Hashers * (hasherNodes.Count + 1)) : settings.Walkers,
            };
            var walkers = walkEverywhere
                ? broker
                : system.ActorOf(Actors.Walker.Walker.Props(options).WithRouter(new Akka.Routing.SmallestMailboxPool(settings.Walkers)), ActorNames.Walkers);
            var coordinator = system.ActorOf(Coordinator.Props(options, coordinatorSettings, reporter, new Coordinator.Workers(
                walkers,
                broker,
                system.ActorOf(StoreRelay.Props(null, opened.DataStore), ActorNames.StoreRelay),
                // Batches of content probably new go first and ask to be written into the store
                // while hashed; workers that cannot see the data folder only hash them.
                CopyFirst: true)), ActorNames.Coordinator);
            // A signal stops the run unpublished (the storage node removes its temp files); the
            // node then leaves below. A node the cluster downs (a partition, the storage node
            // unreachable for long) ends its actor system: the run ends unpublished instead of
            // waiting forever for an answer that cannot come.
            var run = coordinator.Ask<RunFinished>(new StartRun(), Timeout.InfiniteTimeSpan);
            interruption.OnStop((code, signal) => coordinator.Tell(new StopRun(code, $"stopped by {signal}")));
            if (Task.WaitAny(run, system.WhenTerminated) == 1)
                return new RunFinished(ExitCode.Fatal, new RunStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, TimeSpan.Zero),
                    "this coordinator was removed from the cluster (downed after it lost contact with the storage node: a network partition, or the storage node stopped)");
            var finished = run.GetAwaiter().GetResult();
            if (finished.Code == ExitCode.Fatal && !UpMembers(self, "storage").Contains(storage))
                finished = finished with
                {
                    FatalReason = $"storage node {storage} was lost mid-run ({(self.State.Unreachable.Any(m => m.Address == storage) ? "unreachable: stalled, crashed or cut off by the network" : "it left or was removed")}; see the member- lines above)",
                };
            // The cluster may down this node right after a lost run ends: its actors are gone then,
            // and the figures with them; the run's outcome above is what counts.
            if (AnswerOf<WorkBroker.WorkStats>(broker, new WorkBroker.GetWorkStats(), system) is { } work)
            {
                var members = self.State.Members.ToList();
                output.WriteLine("files hashed by node: " + string.Join(", ", work.FilesByNode.Select(kv => $"{NodeNames.Display(members, kv.Key)}={kv.Value}")));
                if (work.DirectoriesByNode is { Count: > 0 } walked)
                    output.WriteLine("folders listed by node: " + string.Join(", ", walked.Select(kv => $"{NodeNames.Display(members, kv.Key)}={kv.Value}")));
                output.WriteLine($"new content written into the store by hash workers (store-visible): {work.FilesWritten} files");
            }
            if (AnswerOf<NodeMonitor.Totals>(monitor, new NodeMonitor.GetTotals(), system) is { } totals)
                output.WriteLine($"content streamed to the storage node: {totals.FilesSent} files, {totals.BytesSent} bytes");
            service.Tell(new CloseSession(options.SnapshotName));
            return finished;
        }
        finally
        {
            // Leave gracefully (Leaving -> Exiting -> Removed), so the cluster stays up for next week.
            // The run's outcome is decided: closing connections' warnings ("Unable to REMOVE
            // channel") would only make a clean run look troubled.
            system.EventStream.SetLogLevel(Akka.Event.LogLevel.ErrorLevel);
            CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance).Wait(TimeSpan.FromSeconds(15));
        }
    }

    /// <summary>
    /// Asks the storage node for the run's session. A storage node that stops answering (stalled,
    /// cut off) or a cluster that downs this node meanwhile ends it with exit 12 and the cause,
    /// not an internal error.
    /// </summary>
    private static object OpenSession(ActorSystem system, ActorSelection service, OpenSession request, Address storage)
    {
        var timeout = TimeSpan.FromSeconds(30);
        var ask = service.Ask<object>(request, timeout);
        if (Task.WaitAny(ask, system.WhenTerminated) == 1)
            throw new UserError(ExitCode.StorageUnreachable,
                $"storage node {storage} became unreachable while opening the session, and the cluster removed this coordinator (a network partition, or the storage node stalled or stopped); nothing was written");
        try
        {
            return ask.GetAwaiter().GetResult();
        }
        catch (AskTimeoutException)
        {
            throw new UserError(ExitCode.StorageUnreachable,
                $"storage node {storage} did not answer the session request within {timeout.TotalSeconds:F0} s (stalled, overloaded, or cut off); nothing was written");
        }
    }

    /// <summary>An actor's figures (the broker's, the monitor's), or null when this node's actor system ended (downed) before it answered.</summary>
    private static T? AnswerOf<T>(IActorRef actor, object question, ActorSystem system) where T : class
    {
        var ask = actor.Ask<T>(question, TimeSpan.FromSeconds(5));
        if (Task.WaitAny(ask, system.WhenTerminated) == 1 && !ask.IsCompletedSuccessfully)
            return null;
        try
        {
            return ask.GetAwaiter().GetResult();
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    /// <summary>
    /// What hasher nodes check they see before they take work; null when the root cannot be
    /// read here, which the coordinator then reports as the run's failure.
    /// </summary>
    private static SourceIdentity? DescribeSource(string root)
    {
        try
        {
            return SourceCheck.Describe(root);
        }
        catch (Posix.PosixException)
        {
            return null;
        }
    }

    /// <summary>Addresses of the reachable members Up with <paramref name="role"/>.</summary>
    private static List<Address> UpMembers(Akka.Cluster.Cluster self, string role)
    {
        var state = self.State;
        return state.Members.Where(m => m.HasRole(role) && m.Status == Akka.Cluster.MemberStatus.Up && !state.Unreachable.Contains(m))
            .Select(m => m.Address).ToList();
    }

    /// <summary>
    /// Waits until this node is Up and a storage node is Up; fails fast with exit code 12 and
    /// the cause seen. A previous coordinator that crashed and is still unreachable holds every
    /// joiner in Joining until the split-brain resolver removes it: that time is waited out
    /// (once, announced), so a rerun right after a crash works.
    /// </summary>
    private static Address AwaitStorage(Akka.Cluster.Cluster self, IActorRef joinWatch, TimeSpan timeout, Interruption interruption, TextWriter output)
    {
        var deadline = DateTime.UtcNow + timeout;
        var extended = false;
        while (true)
        {
            interruption.ThrowIfStopped("while joining the cluster; nothing was written");
            var state = self.State;
            var up = state.Members.Any(m => m.Address == self.SelfAddress && m.Status == Akka.Cluster.MemberStatus.Up);
            var storage = UpMembers(self, "storage");
            if (up && storage.Count > 0)
                return storage[0];
            var stale = up ? [] : OtherCoordinators(self);
            if (!extended && stale.Count > 0)
            {
                // Joined, not Up, beside another coordinator: a crashed one holds convergence
                // until it is noticed and downed.
                extended = true;
                var akka = self.System.Settings.Config;
                var wait = akka.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause", TimeSpan.FromSeconds(3))
                    + akka.GetTimeSpan("akka.cluster.failure-detector.heartbeat-interval", TimeSpan.FromSeconds(1))
                    + akka.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after", TimeSpan.FromSeconds(7)) + TimeSpan.FromSeconds(10);
                deadline = Max(deadline, DateTime.UtcNow + wait);
                output.WriteLine($"waiting up to {wait.TotalSeconds:F0} s for a previous coordinator to be removed from the cluster ({string.Join(", ", stale)}; it holds this one in Joining: probably crashed)");
                output.Flush();
            }
            if (DateTime.UtcNow >= deadline)
                break;
            Thread.Sleep(100);
        }
        var seeds = string.Join(", ", self.Settings.SeedNodes);
        var problems = joinWatch.Ask<JoinWatch.Problems>(new JoinWatch.GetProblems(), TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
        var joined = self.State.Members.Any(m => m.Address == self.SelfAddress);
        throw new UserError(ExitCode.StorageUnreachable,
            $"no storage node reached within {timeout.TotalSeconds:F0} s: " +
            JoinWatch.Cause(problems.Messages, seeds.Length == 0 ? "the seed nodes (none configured)" : seeds, joined, OtherCoordinators(self)));
    }

    /// <summary>Coordinators other than this one in the cluster (one still there after a crash blocks joiners until it is removed).</summary>
    private static List<string> OtherCoordinators(Akka.Cluster.Cluster self) =>
        self.State.Members.Where(m => m.HasRole("coordinator") && m.Address != self.SelfAddress).Select(m => m.Address.ToString()).ToList();

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;
}
