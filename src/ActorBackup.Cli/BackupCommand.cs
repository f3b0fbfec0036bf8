using ActorBackup.Actors;
using ActorBackup.Actors.Coordinator;
using ActorBackup.Actors.Storage;
using ActorBackup.Core;
using ActorBackup.Hosting;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Catalog;
using Akka.Actor;
using static ActorBackup.Protocol.ClusterProtocol;
using static ActorBackup.Protocol.CoordinatorProtocol;

namespace ActorBackup.Cli;

/// <summary>
/// actorbackup [backup] ...: checks everything first (nothing is touched before the
/// checks pass), takes the data folder's lock, runs the coordinator and prints the outcome.
/// </summary>
public sealed class BackupCommand(Arguments args, TextWriter output, TextWriter error, TextReader input, Interruption interruption, bool processEnds = false)
{
    public ExitCode Run()
    {
        var root = Preflight.CheckRoot(Preflight.Normalize(args.Required("rootfolder")));
        var backup = Preflight.Normalize(args.Required("backupfolder"));
        var data = Preflight.Normalize(args.Required("datafolder"));
        Preflight.CheckApart(backup, data);
        var askedLevels = args.Value("datalevels") is null ? (int?)null : (int)args.Number("datalevels", StoreSession.DefaultLevels, 0, 8);
        var askedHash = args.Value("hash") is { } h ? ContentHash.Parse(h) : (HashKind?)null;
        var share = SharePolicies.Parse(args.Value("share") ?? "owner");
        var exactMtime = ExactMtimes.Parse(args.Value("exact-mtime") ?? "auto");
        // A cluster run reads --config over its --cluster file, and checks both as a cluster node's.
        if (args.Value("cluster") is { } clusterFile)
            return RunOnCluster(clusterFile, root, backup, data, askedLevels, askedHash, share, exactMtime);
        var config = BackupSystem.LoadConfig(args.Value("config"));
        var settings = BackupSettings.From(config, BackupSystem.Source(args.Value("config")));

        // The actor system is slow to start (HOCON, loggers, serializers) and touches
        // no file: it starts on another core while the checks below run. Its threads inherit
        // the lowered nice (the data-store's thread takes the started one back).
        ThreadNice.LowerOthers(settings.StorePriority);
        var starting = Task.Run(() => BackupSystem.Create(config, settings));
        try
        {
            return Run(starting, root, backup, data, askedLevels, askedHash, share, exactMtime, settings);
        }
        finally
        {
            if (!_systemTaken)
                Discard(starting);
        }
    }

    private bool _systemTaken;

    /// <summary>Stops the actor system when the run never took it (a check failed), once it is up.</summary>
    private static void Discard(Task<ActorSystem> starting)
    {
        try
        {
            using var system = starting.GetAwaiter().GetResult();
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
            // It did not start either: the error the user sees is the check's, already on its way.
        }
    }

    private ExitCode Run(Task<ActorSystem> starting, string root, string backup, string data, int? askedLevels, HashKind? askedHash, SharePolicy share, ExactMtime exactMtime, BackupSettings settings)
    {
        var request = new StoreRequest(root, backup, data, askedLevels, askedHash, args.Has("ignorefileexists"));
        var format = StoreSession.Check(request);

        var preflight = new Preflight(output, input, args.Has("createdirs"));
        // The backup folder's parent first: when it is made, the topmost new folder may be the
        // root-only one that keeps users away from the snapshots (and from a data folder beside them).
        var parent = Path.GetDirectoryName(backup) ?? "/";
        preflight.EnsureFolder(parent, "backup parent folder", () => SnapshotAccess.CreateGuarded(parent));
        if (SnapshotAccess.Check(backup, settings.RefuseReachableSnapshots) is { } warning)
            error.WriteLine($"actorbackup: {warning}");
        preflight.EnsureFolder(data, "data folder", 0x1C0);

        var (layout, dataLock) = StoreSession.Open(request, format);
        using var heldLock = dataLock;

        var options = new RunOptions(
            RootFolder: root,
            BackupFolder: backup,
            Store: layout,
            Share: share,
            IgnoreFileExists: args.Has("ignorefileexists"),
            PauseOnError: args.Has("pauseonerror"),
            FoldersPause: TimeSpan.FromMilliseconds(args.Number("folderspause", 0, 0, 3_600_000)),
            FilesPause: TimeSpan.FromMilliseconds(args.Number("filespause", 0, 0, 3_600_000)),
            ProgressEvery: args.Number("doprogress", 0, 0, long.MaxValue),
            Verbosity: args.Verbosity,
            PreviousManifest: SnapshotCatalog.FindPrevious(layout, root, Path.GetFileName(backup), args.Value("previous")),
            Rehash: args.Has("rehash"));
        options = options with { Excluded = StoreSession.Excluded(root, options), OneFileSystem = args.Has("one-file-system"), ExactMtime = exactMtime };

        if (args.Verbosity > 0)
        {
            output.WriteLine($"backing up {root} to {backup} (data folder {data}, levels {layout.Levels}, {layout.Hash.Name}, share {share.ToString().ToLowerInvariant()}, {settings.Hashers} hashers)");
            output.WriteLine(ComparedWith(options, "no previous snapshot of this root folder: every file is read"));
        }

        interruption.ThrowIfStopped("before the run began; nothing was written");
        var finished = RunActors(starting, settings, options);
        Report(finished, options);
        if (args.Has("awaituserinput"))
        {
            output.WriteLine("press Enter to exit");
            input.ReadLine();
        }
        return finished.Code;
    }

    /// <summary>The storage node checks and locks the data folder; this process walks and coordinates.</summary>
    private ExitCode RunOnCluster(string clusterFile, string root, string backup, string data, int? levels, HashKind? hash, SharePolicy share, ExactMtime exactMtime)
    {
        var spec = new SessionSpec(root, backup, data, levels ?? StoreSession.DefaultLevels, (hash ?? HashKind.Sha1).Name,
            share.ToString().ToLowerInvariant(), args.Has("ignorefileexists"), levels is not null, hash is not null,
            exactMtime.ToString().ToLowerInvariant());
        var options = new RunOptions(
            RootFolder: root,
            BackupFolder: backup,
            Store: new StoreLayout(data, levels ?? StoreSession.DefaultLevels, hash ?? HashKind.Sha1),
            Share: share,
            IgnoreFileExists: args.Has("ignorefileexists"),
            ProgressEvery: args.Number("doprogress", 0, 0, long.MaxValue),
            Verbosity: args.Verbosity,
            Rehash: args.Has("rehash"));
        // The walkers run here: they compare with the previous snapshot when this machine can
        // read the data folder's catalog (the same machine, or a shared mount); else every file is read.
        var previous = Directory.Exists(options.Store.SnapshotsFolder) || args.Value("previous") is not null
            ? SnapshotCatalog.FindPrevious(options.Store, root, Path.GetFileName(backup), args.Value("previous"))
            : null;
        options = options with { Excluded = StoreSession.Excluded(root, options), PreviousManifest = previous, OneFileSystem = args.Has("one-file-system"), ExactMtime = exactMtime };
        if (args.Verbosity > 0)
            output.WriteLine(ComparedWith(options, $"no previous snapshot of {root} readable from this node: every file is read"));
        var finished = new ClusterRun(output, error, interruption).Run(clusterFile, options, spec, args.Value("config"));
        Report(finished, options);
        return finished.Code;
    }

    /// <summary>The -v line saying which snapshot the files cache compares with.</summary>
    private static string ComparedWith(RunOptions options, string none) =>
        options.PreviousManifest is { } previous
            ? $"comparing with {Path.GetFileNameWithoutExtension(previous)}: files unchanged since are {(options.Rehash ? "read anyway (--rehash)" : "linked without reading")}"
            : none;

    private RunFinished RunActors(Task<ActorSystem> starting, BackupSettings settings, RunOptions options)
    {
        var system = starting.GetAwaiter().GetResult();
        _systemTaken = true;
        var reporter = system.ActorOf(ConsoleReporter.Props(output, error, input, options.PauseOnError), ActorNames.Reporter);
        var coordinator = system.ActorOf(Coordinator.Props(options, settings, reporter), ActorNames.Coordinator);
        var run = coordinator.Ask<RunFinished>(new StartRun(), Timeout.InfiniteTimeSpan);
        interruption.OnStop((code, signal) => coordinator.Tell(new StopRun(code, $"stopped by {signal}")));
        var finished = run.GetAwaiter().GetResult();
        // The reporter answers this only after the problems queued before it are printed:
        // none is lost when the actors stop, and all come before the summary.
        try
        {
            reporter.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(10)).Wait();
        }
        catch (AggregateException)
        {
            // Waiting at a --pauseonerror prompt: the run is over, it is not waited for.
        }
        if (processEnds && finished.Code is ExitCode.Success or ExitCode.FileErrors)
        {
            // Published: the snapshot, its manifest and every entry are durable (synced) and
            // each actor's work is done; stopping them would only close handles that the
            // process's exit closes too, and took a visible share of a short run. Started, not awaited.
            _ = system.Terminate();
            return finished;
        }
        using (system)
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
        if (finished.Code is not (ExitCode.Success or ExitCode.FileErrors))
            Actors.DataStore.DataStore.RemoveOwnTempFiles(options.Store); // hashers may have written after the data-store stopped
        return finished;
    }

    /// <summary>The figures of the run, once it ended (for the run record and the metrics textfile).</summary>
    public RunStats? Stats { get; private set; }

    private void Report(RunFinished finished, RunOptions options)
    {
        Stats = finished.Stats;
        if (args.Has("dostats"))
            foreach (var line in Summary.Lines(finished.Stats))
                output.WriteLine(line);
        switch (finished.Code)
        {
            case ExitCode.Fatal:
                error.WriteLine($"actorbackup: {finished.FatalReason}; the snapshot was not published (its partial tree is {options.PartialFolder}); fix the cause and run again");
                break;
            case ExitCode.NoSpace or ExitCode.Terminated or ExitCode.Interrupted or ExitCode.Hangup:
                error.WriteLine($"actorbackup: {finished.FatalReason}; the snapshot was not published, and the next run with the same backup folder resumes it (its partial tree is {options.PartialFolder})");
                break;
            case ExitCode.FileErrors:
                error.WriteLine($"actorbackup: snapshot {options.BackupFolder} published, but {finished.Stats.Problems} entries could not be backed up (listed above)");
                break;
            default:
                if (args.Verbosity > 0)
                    output.WriteLine($"snapshot {options.BackupFolder} published");
                break;
        }
    }
}
