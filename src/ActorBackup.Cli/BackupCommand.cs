using ActorBackup.Actors;
using ActorBackup.Actors.Coordinator;
using ActorBackup.Core;
using ActorBackup.Core.Store;
using ActorBackup.Hosting;
using ActorBackup.Posix;
using Akka.Actor;
using static ActorBackup.Protocol.CoordinatorProtocol;

namespace ActorBackup.Cli;

/// <summary>
/// actorbackup [backup] ...: checks everything first (nothing is touched before the
/// checks pass), takes the data folder's lock, runs the coordinator and prints the outcome.
/// </summary>
public sealed class BackupCommand(Arguments args, TextWriter output, TextWriter error, TextReader input)
{
    public const int DefaultLevels = 2;

    public ExitCode Run()
    {
        var root = Preflight.CheckRoot(Preflight.Normalize(args.Required("rootfolder")));
        var backup = Preflight.Normalize(args.Required("backupfolder"));
        var data = Preflight.Normalize(args.Required("datafolder"));
        var askedLevels = args.Value("datalevels") is null ? (int?)null : (int)args.Number("datalevels", DefaultLevels, 0, 8);
        var askedHash = args.Value("hash") is { } h ? ContentHash.Parse(h) : (HashKind?)null;
        var share = SharePolicies.Parse(args.Value("share") ?? "owner");
        var config = BackupSystem.LoadConfig(args.Value("config"));
        var settings = BackupSettings.From(config);

        if (backup == data)
            throw new UserError(ExitCode.Usage, "--backupfolder and --datafolder must be different folders");
        Preflight.CheckBackupFolder(backup, args.Has("ignorefileexists"));

        // The data folder's recorded format wins where the user did not ask; a clash stops here.
        var recorded = Preflight.RecordedFormat(data, askedLevels ?? DefaultLevels, askedHash ?? HashKind.Sha1);
        var wanted = new StoreFormat(askedLevels ?? recorded?.Levels ?? DefaultLevels, askedHash ?? recorded?.Hash ?? HashKind.Sha1);
        recorded?.Require(wanted, data);
        Preflight.CheckSameFilesystem(backup, data);

        var preflight = new Preflight(output, input, args.Has("createdirs"));
        preflight.EnsureFolder(data, "data folder", 0x1C0);
        preflight.EnsureFolder(Path.GetDirectoryName(backup) ?? "/", "backup parent folder", 0x1ED);

        var layout = new StoreLayout(data, wanted.Levels, wanted.Hash);
        Files.CreateFolders(layout.MetaFolder, 0x1C0);
        using var dataLock = DataFolderLock.TryAcquire(layout.LockFile, out var holder)
            ?? throw new UserError(ExitCode.Locked,
                $"data folder {data} is locked by PID {holder} (another backup is running); wait for it to finish, or check that process");
        RecordFormat(layout, wanted, recorded is null);

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
            Verbosity: args.Verbosity);
        options = options with { Excluded = Preflight.Excluded(root, options) };

        if (args.Verbosity > 0)
            output.WriteLine($"backing up {root} to {backup} (data folder {data}, levels {layout.Levels}, {layout.Hash.Name()}, share {share.ToString().ToLowerInvariant()}, {settings.Hashers} hashers)");

        var finished = RunActors(config, settings, options);
        Report(finished, options);
        if (args.Has("awaituserinput"))
        {
            output.WriteLine("press Enter to exit");
            input.ReadLine();
        }
        return finished.Code;
    }

    private static void RecordFormat(StoreLayout layout, StoreFormat format, bool firstUse)
    {
        if (File.Exists(layout.FormatFile))
            return;
        var temp = layout.FormatFile + ".tmp";
        File.WriteAllText(temp, format.Render());
        File.Move(temp, layout.FormatFile, overwrite: true);
        if (firstUse)
            Files.Chmod(layout.DataFolder, 0x1C0); // the store is reached only through snapshot paths
    }

    private RunFinished RunActors(Akka.Configuration.Config config, BackupSettings settings, RunOptions options)
    {
        using var system = BackupSystem.Create(config, settings);
        var reporter = system.ActorOf(ConsoleReporter.Props(output, error, input, options.PauseOnError), "reporter");
        var coordinator = system.ActorOf(Coordinator.Props(options, settings, reporter), "coordinator");
        var finished = coordinator.Ask<RunFinished>(new StartRun(), Timeout.InfiniteTimeSpan).GetAwaiter().GetResult();
        system.Terminate().Wait(TimeSpan.FromSeconds(10));
        return finished;
    }

    private void Report(RunFinished finished, RunOptions options)
    {
        if (args.Has("dostats"))
            foreach (var line in Summary.Lines(finished.Stats))
                output.WriteLine(line);
        switch (finished.Code)
        {
            case ExitCode.Fatal:
                error.WriteLine($"actorbackup: {finished.FatalReason}; the snapshot was not published (its partial tree is {options.PartialFolder}); fix the cause and run again");
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
