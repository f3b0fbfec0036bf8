using ActorBackup.Core;

namespace ActorBackup.Cli;

/// <summary>actorbackup list: placeholder until it is built.</summary>
public sealed class ListCommand(Arguments args, TextWriter output, TextWriter error)
{
    public ExitCode Run() => args is null || output is null || error is null ? ExitCode.Usage : throw new UserError(ExitCode.Usage, "'list' is not built yet");
}
