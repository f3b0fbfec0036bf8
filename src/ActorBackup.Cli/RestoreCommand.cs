using System.Globalization;
using ActorBackup.Actors;
using ActorBackup.Actors.Restore;
using ActorBackup.Actors.Storage;
using ActorBackup.Core;
using ActorBackup.Hosting;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Catalog;
using ActorBackup.Store.Manifest;
using ActorBackup.Store.Restore;
using Akka.Actor;
using static ActorBackup.Actors.Restore.RestoreProtocol;

namespace ActorBackup.Cli;

/// <summary>
/// actorbackup restore --datafolder=D --snapshot=NAME --target=T [--path=SUB] [--overwrite]:
/// checks everything first (nothing is written before the checks pass), then runs the
/// restore coordinator and its restorer pool and prints the outcome. It reads the data
/// folder only, so it takes no lock and may run while a backup does.
/// </summary>
public sealed class RestoreCommand(Arguments args, TextWriter output, TextWriter error, Interruption interruption)
{
    /// <summary>-v prints a progress line every this many files.</summary>
    public const long ProgressEvery = 10_000;

    public ExitCode Run()
    {
        var data = Preflight.Normalize(args.Required("datafolder"));
        var name = SnapshotName(args.Required("snapshot"));
        var target = Preflight.Normalize(args.Required("target"));
        var sub = SubPath(args.Value("path"));
        var config = BackupSystem.LoadConfig(args.Value("config"));
        var settings = BackupSettings.From(config, BackupSystem.Source(args.Value("config")));

        var layout = DataFolder.Open(data, DataFolderNeed.Store);
        var manifest = SnapshotManifest.Open(layout, name);
        if (sub is not null)
        {
            sub = manifest.Find(sub) ?? throw new UserError(ExitCode.SnapshotNotFound,
                $"snapshot {name} has no entry {sub}; --path is relative to the folder that was backed up ({manifest.RootFolder ?? "its root"}), as in the manifest");
        }
        PrepareTarget(target, data);

        var options = new RestoreOptions(layout, manifest.Path, manifest.SnapshotFolder, target, sub, args.Has("overwrite"),
            args.Verbosity > 0 ? ProgressEvery : 0);
        if (args.Verbosity > 0)
            output.WriteLine($"restoring {(sub is null ? "snapshot " + name : PathBytes.Escape(sub) + " of snapshot " + name)} to {target} (data folder {data}, {layout.Hash.Name}, {settings.Hashers} restorers)");
        var finished = RunActors(config, settings, options);

        output.WriteLine($"restored {name} to {target}: {Figures(finished.Stats)}");
        switch (finished.Code)
        {
            case ExitCode.Fatal:
                error.WriteLine($"actorbackup: the restore stopped: {finished.FatalReason}; what was restored so far stays in {target}");
                break;
            case ExitCode.Terminated or ExitCode.Interrupted or ExitCode.Hangup:
                error.WriteLine($"actorbackup: the restore was {finished.FatalReason}; what was restored so far stays in {target} (its folders keep mode 0700 until a restore completes); run it again with --overwrite to finish it");
                break;
            case ExitCode.FileErrors:
                error.WriteLine($"actorbackup: restore of {name} to {target} finished, but {finished.Stats.Problems} entries were not restored exactly (listed above)");
                break;
        }
        return finished.Code;
    }

    /// <summary>The counts of a progress or final line.</summary>
    public static string Figures(RestoreStats s) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{s.Files} files ({Summary.Bytes(s.Bytes)}), {s.Directories} directories, {s.Symlinks} symlinks, {s.Specials} special files, {s.Skipped} skipped, {s.Problems} problems{(s.XattrsNotSet > 0 ? $", {s.XattrsNotSet} without some xattrs" : "")}, {s.Elapsed.TotalSeconds:F1} s");

    private static string SnapshotName(string name)
    {
        if (name is "." or ".." || name.Contains('/') || name.Contains('\0'))
            throw new UserError(ExitCode.Usage, $"--snapshot={name} is not a snapshot name; give the name alone, as in --snapshot=week10");
        return name.EndsWith(".manifest", StringComparison.Ordinal) ? name[..^".manifest".Length] : name;
    }

    /// <summary>--path as a manifest path: root-relative, without "./" or trailing slashes; null (or ".") is the whole snapshot.</summary>
    private static string? SubPath(string? path)
    {
        if (path is null)
            return null;
        var trimmed = path.TrimEnd('/');
        while (trimmed.StartsWith("./", StringComparison.Ordinal))
            trimmed = trimmed[2..];
        if (path.Length == 0)
            throw new UserError(ExitCode.Usage, "--path needs a value, as in --path=alice/site for a backup of /home/");
        if (trimmed is "" or ".")
            return null;
        if (!PathBytes.IsSafeRelative(trimmed))
            throw new UserError(ExitCode.Usage, $"--path={path} is not a path inside the snapshot; give it relative to the backed-up folder, without '..', as in --path=alice/site for a backup of /home/");
        return trimmed;
    }

    /// <summary>
    /// The target must be an empty folder (or, with --overwrite, any folder); a missing one is
    /// created with its missing parents. It must not lie in the data folder.
    /// </summary>
    private void PrepareTarget(string target, string data)
    {
        var real = Files.RealPath(target);
        var realData = Files.RealPath(data);
        if (real == realData || real.StartsWith(realData.TrimEnd('/') + "/", StringComparison.Ordinal))
            throw new UserError(ExitCode.Usage, $"--target={target} lies inside the data folder {data}; restore somewhere else");
        if (!Files.Exists(target))
        {
            try
            {
                Files.CreateFolders(target, 0x1C0); // 0700 until it takes the snapshot root's mode, at the end
            }
            catch (PosixException e)
            {
                throw new UserError(ExitCode.Fatal, $"cannot create the target folder: {e.Message}; give a --target you can write to");
            }
            return;
        }
        List<string> names;
        try
        {
            using var directory = TargetDirectory.OpenTarget(target);
            names = directory.ListNames();
        }
        catch (PosixException e) when (e.IsNotADirectory)
        {
            throw new UserError(ExitCode.Usage, $"--target={target} is not a folder; give a new or empty folder");
        }
        if (names.Count > 0 && !args.Has("overwrite"))
            throw new UserError(ExitCode.TargetNotEmpty,
                $"target {target} is not empty ({names.Count} entries); restore into a new or empty folder, or add --overwrite to restore over what is there");
    }

    private RestoreFinished RunActors(Akka.Configuration.Config config, BackupSettings settings, RestoreOptions options)
    {
        using var system = BackupSystem.Create(config, settings);
        var reporter = system.ActorOf(Reporter.Props(output, error), ActorNames.Reporter);
        var coordinator = system.ActorOf(RestoreCoordinator.Props(options, settings, reporter), ActorNames.RestoreCoordinator);
        var run = coordinator.Ask<RestoreFinished>(new StartRestore(), Timeout.InfiniteTimeSpan);
        interruption.OnStop((code, signal) => coordinator.Tell(new StopRestore(code, $"stopped by {signal}")));
        var finished = run.GetAwaiter().GetResult();
        // Everything the coordinator reported is in the reporter's mailbox ahead of this.
        reporter.Ask<Flushed>(new Flush(), TimeSpan.FromMinutes(1)).GetAwaiter().GetResult();
        system.Terminate().Wait(TimeSpan.FromSeconds(10));
        return finished;
    }

    private sealed record Flush;

    private sealed record Flushed;

    /// <summary>Prints what the coordinator reports: problems and notices on standard error, -v progress on standard output.</summary>
    private sealed class Reporter : ReceiveActor
    {
        public Reporter(TextWriter output, TextWriter error)
        {
            Receive<RestoreReported>(m =>
            {
                if (m.Problem is { } p)
                    error.WriteLine($"restore: {(m.Notice ? "notice: " : "")}{(p.Path.Length == 0 ? "." : PathBytes.Escape(p.Path))}: {p.Reason}");
                if (m.Progress is { } stats)
                    output.WriteLine($"progress: {Figures(stats)}");
            });
            Receive<Flush>(_ => Sender.Tell(new Flushed()));
        }

        public static Props Props(TextWriter output, TextWriter error) =>
            Akka.Actor.Props.Create(() => new Reporter(output, error)).WithDispatcher(Dispatchers.Store);
    }
}
