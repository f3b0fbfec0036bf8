using ActorBackup.Core;

namespace ActorBackup.Cli;

/// <summary>actorbackup restore: placeholder until it is built.</summary>
public sealed class RestoreCommand(Arguments args, TextWriter output, TextWriter error)
{
    public ExitCode Run() => args is null || output is null || error is null ? ExitCode.Usage : throw new UserError(ExitCode.Usage, "'restore' is not built yet");
}
