using ActorBackup.Core;

namespace ActorBackup.Cli;

/// <summary>Entry point callable in-process: parses, dispatches to a command, maps errors to exit codes.</summary>
public static class Cli
{
    /// <summary>Every command's synopsis, the backup's options and the exit codes (see <see cref="Commands"/>).</summary>
    public static string Usage => Commands.Usage();

    /// <summary>help; help COMMAND; help --man (the man page); help --bash-completion.</summary>
    private static int Help(string[] args, TextWriter output)
    {
        if (args.Length == 1)
            output.WriteLine(Usage);
        else if (args.Length == 2 && args[1] == "--man")
            output.Write(Commands.ManPage(Version()));
        else if (args.Length == 2 && args[1] == "--bash-completion")
            output.Write(Commands.BashCompletion());
        else if (args.Length == 2 && Commands.Find(args[1]) is { } command)
            output.WriteLine(Commands.Help(command));
        else
            throw new UserError(ExitCode.Usage, $"help takes one command name ({string.Join(", ", Commands.All.Select(c => c.Name))}), --man or --bash-completion, not '{string.Join(' ', args.Skip(1))}'");
        return (int)ExitCode.Success;
    }

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
            if (args[0] == "help")
                return Help(args, output);
            var parsed = Arguments.Parse(args);
            var command = Commands.Find(parsed.Command)
                ?? throw new UserError(ExitCode.Usage, $"unknown command '{parsed.Command}'; the commands are {string.Join(", ", Commands.All.Select(c => c.Name))} (see actorbackup help)");
            if (parsed.Has("help"))
            {
                output.WriteLine(parsed.Command == "backup" && !args[0].StartsWith("backup", StringComparison.Ordinal) ? Usage : Commands.Help(command));
                return (int)ExitCode.Success;
            }
            parsed.CheckTakenBy(command);
            if (parsed.Has("version"))
            {
                output.WriteLine($"actorbackup {Version()}");
                return (int)ExitCode.Success;
            }
            // A node leaves the cluster on SIGTERM through Akka's own hook; list and stats only read.
            using var interruption = processEnds && parsed.Command is "backup" or "restore" or "verify" or "prune"
                ? Interruption.Catch()
                : Interruption.None();
            var started = DateTime.UtcNow;
            BackupCommand? backup = null;
            int code;
            try
            {
                code = Dispatch(parsed, output, error, input, interruption, processEnds, b => backup = b);
            }
            catch (UserError e) when (e.Code != ExitCode.Usage)
            {
                Record(parsed, started, (int)e.Code, null, error);
                throw;
            }
            Record(parsed, started, code, backup?.Stats, error);
            return code;
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

    private static int Dispatch(Arguments parsed, TextWriter output, TextWriter error, TextReader input, Interruption interruption, bool processEnds, Action<BackupCommand> backupMade)
    {
        return parsed.Command switch
        {
            "backup" => (int)Made(new BackupCommand(parsed, output, error, input, interruption, processEnds), backupMade).Run(),
            "status" => (int)new StatusCommand(parsed, output).Run(),
            "node" => (int)new NodeCommand(parsed, output).Run(),
            "restore" => (int)new RestoreCommand(parsed, output, error, interruption).Run(),
            "verify" => (int)new VerifyCommand(parsed, output, error, interruption).Run(),
            "prune" => (int)new PruneCommand(parsed, output, error, interruption).Run(),
            "list" => (int)new ListCommand(parsed, output, error).Run(),
            "stats" => (int)new StatsCommand(parsed, output, error).Run(),
            _ => throw new UserError(ExitCode.Usage, $"unknown command '{parsed.Command}' (see actorbackup help)"),
        };
    }

    private static T Made<T>(T command, Action<T> made)
    {
        made(command);
        return command;
    }

    /// <summary>
    /// A backup, verify or prune that got past its argument checks leaves its record in the data
    /// folder (and the metrics textfile): `actorbackup status` and monitoring read them. Dry
    /// runs and cluster runs (the data folder is the storage node's) leave none.
    /// </summary>
    private static void Record(Arguments parsed, DateTime started, int code, Protocol.CoordinatorProtocol.RunStats? stats, TextWriter error)
    {
        if (parsed.Command is not ("backup" or "verify" or "prune") || parsed.Has("dry-run") || parsed.Value("cluster") is not null
            || parsed.Value("datafolder") is not { Length: > 0 } data)
            return;
        string? textfiles = null;
        try
        {
            textfiles = Actors.BackupSettings.From(Hosting.BackupSystem.LoadConfig(parsed.Value("config"))).MetricsDirectory;
        }
        catch (UserError)
        {
            // A configuration the command refused: it said so already.
        }
        RunRecords.Write(Preflight.Normalize(data), parsed.Command, started, code, stats, textfiles, error);
    }
}
