using ActorBackup.Core;

namespace ActorBackup.Cli;

/// <summary>Entry point callable in-process: parses, dispatches to a command, maps errors to exit codes.</summary>
public static class Cli
{
    public const string Usage = """
        actorbackup: hardlinked snapshots over a hash-named data store

        usage: actorbackup [backup] --rootfolder=DIR --backupfolder=DIR --datafolder=DIR [options]
               actorbackup backup --cluster=FILE --rootfolder=DIR --backupfolder=DIR --datafolder=DIR [options]
               actorbackup restore --datafolder=DIR --snapshot=NAME --target=DIR [--path=SUB] [--overwrite]
               actorbackup verify --datafolder=DIR [--snapshot=NAME] [--read-data | --read-data-subset=P%]
                                  [--heal --rootfolder=DIR]
               actorbackup prune --datafolder=DIR --backuproot=DIR --keep-last=N [--keep-daily=N]
                                 [--keep-weekly=N] [--keep-monthly=N] [--keep-yearly=N] [--dry-run]
               actorbackup list --datafolder=DIR [--json]
               actorbackup stats --datafolder=DIR [--by=user] [--json]
               actorbackup node --config=FILE          (a long-running storage or hasher node)

          --rootfolder=DIR       folder to back up (e.g. /home/)
          --backupfolder=DIR     the snapshot to make (e.g. /backup/week10/); must not exist yet
          --datafolder=DIR       content store shared by all snapshots (e.g. /backup/data)
          --datalevels=N         levels of two-hex-char folders in the store (default 1; fixed on first use)
          --hash=sha1|sha256     content hash (default sha1; fixed on first use)
          --share=owner|content  owner: share an inode only between files of the same owner, group and
                                 mode (default); content: one inode per content, whoever owns it
          --exact-mtime=auto|on|off  with --share=owner, share an inode only between files of one
                                 mtime too, so each snapshot file shows its own (auto, the default: on
                                 where the data folder's file system clones, e.g. XFS, btrfs)
          --previous=NAME        compare with snapshot NAME (default: the newest complete snapshot of
                                 the same --rootfolder); files unchanged since it are not read
          --rehash               read and hash every file anyway; report files whose content changed
                                 while size, mtime and ctime did not
          --one-file-system      do not descend into folders on other file systems (mount points are
                                 kept empty), like rsync -x
          --createdirs           create missing backup/data folders without asking
          --ignorefileexists     fill in an existing backup folder instead of refusing it
          --pauseonerror         wait for Enter after each file error
          --awaituserinput       wait for Enter before exiting
          --folderspause=MS      pause MS milliseconds after each folder (eases load on a busy server)
          --filespause=MS        pause MS milliseconds after each file
          --doprogress=N         print progress every N files
          --dostats              print a summary at the end
          --config=FILE          HOCON file overriding hocon/actorbackup.conf
          --cluster=FILE         run as the coordinator of a cluster (hocon/coordinator.hocon)
          -v, -vv                more detail

        exit codes: 0 done, 1 fatal (snapshot not published), 2 bad argument, 3 done with file errors,
          4 backup folder exists, 5 data folder set up with other --datalevels/--hash,
          6 backup and data folders on different filesystems, 7 folder missing, 8 restore target not
          empty, 9 no such snapshot, 11 data folder locked, 12 no storage node reachable (cluster runs),
          13 no space left in the data folder (free space and run again: it resumes),
          20 verify found damage, 21 verify healed all damage found
        """;

    /// <summary>"1.0.0 (commit 0123abc)": the version and the commit it was built from, when the build knew it.</summary>
    public static string Version()
    {
        var informational = typeof(Cli).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "";
        var plus = informational.IndexOf('+');
        if (plus < 0)
            return $"{(informational.Length > 0 ? informational : typeof(Cli).Assembly.GetName().Version?.ToString())} (commit unknown: built outside a git checkout)";
        var commit = informational[(plus + 1)..];
        return $"{informational[..plus]} (commit {commit[..Math.Min(12, commit.Length)]})";
    }

    /// <summary>
    /// Runs one command. <paramref name="processEnds"/>: the process exits right after (the
    /// program's entry point), so a published backup's actors need not be awaited as they stop.
    /// </summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, TextReader input, bool processEnds = false)
    {
        var verbosity = args.Count(a => a.StartsWith("-v") || a == "--verbose");
        try
        {
            if (args.Length == 0)
            {
                // Nothing asked: what can be asked, and a non-zero code for a cron line gone wrong.
                error.WriteLine(Usage);
                error.WriteLine("actorbackup: no command or option given");
                return (int)ExitCode.Usage;
            }
            if (args[0] == "help") // "help" or "help COMMAND": one usage covers every command
            {
                output.WriteLine(Usage);
                return (int)ExitCode.Success;
            }
            var parsed = Arguments.Parse(args);
            if (parsed.Has("help"))
            {
                output.WriteLine(Usage);
                return (int)ExitCode.Success;
            }
            if (parsed.Has("version"))
            {
                output.WriteLine($"actorbackup {Version()}");
                return (int)ExitCode.Success;
            }
            // A node leaves the cluster on SIGTERM through Akka's own hook; list and stats only read.
            using var interruption = processEnds && parsed.Command is "backup" or "restore" or "verify" or "prune"
                ? Interruption.Catch()
                : Interruption.None();
            return parsed.Command switch
            {
                "backup" => (int)new BackupCommand(parsed, output, error, input, interruption, processEnds).Run(),
                "node" => (int)new NodeCommand(parsed, output).Run(),
                "restore" => (int)new RestoreCommand(parsed, output, error, interruption).Run(),
                "verify" => (int)new VerifyCommand(parsed, output, error, interruption).Run(),
                "prune" => (int)new PruneCommand(parsed, output, error, interruption).Run(),
                "list" => (int)new ListCommand(parsed, output, error).Run(),
                "stats" => (int)new StatsCommand(parsed, output, error).Run(),
                _ => throw new UserError(ExitCode.Usage, $"unknown command '{parsed.Command}'; the commands are backup, restore, verify, prune, list, stats, node and help (see actorbackup help)"),
            };
        }
        catch (UserError e)
        {
            error.WriteLine($"actorbackup: {e.Message}");
            return (int)e.Code;
        }
        catch (Exception e)
        {
            error.WriteLine(verbosity > 0 ? $"actorbackup: internal error: {e}" : $"actorbackup: internal error: {e.Message} (run with -v for details)");
            return (int)ExitCode.Fatal;
        }
    }
}
