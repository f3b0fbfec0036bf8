using ActorBackup.Core;

namespace ActorBackup.Cli;

/// <summary>actorbackup prune: placeholder until it is built.</summary>
public sealed class PruneCommand(Arguments args, TextWriter output, TextWriter error)
{
    public ExitCode Run() => args is null || output is null || error is null ? ExitCode.Usage : throw new UserError(ExitCode.Usage, "'prune' is not built yet");
}
