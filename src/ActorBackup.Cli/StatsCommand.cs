using ActorBackup.Core;

namespace ActorBackup.Cli;

/// <summary>actorbackup stats: placeholder until it is built.</summary>
public sealed class StatsCommand(Arguments args, TextWriter output, TextWriter error)
{
    public ExitCode Run() => args is null || output is null || error is null ? ExitCode.Usage : throw new UserError(ExitCode.Usage, "'stats' is not built yet");
}
