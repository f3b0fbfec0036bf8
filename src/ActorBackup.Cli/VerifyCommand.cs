using ActorBackup.Core;

namespace ActorBackup.Cli;

/// <summary>actorbackup verify: placeholder until it is built.</summary>
public sealed class VerifyCommand(Arguments args, TextWriter output, TextWriter error)
{
    public ExitCode Run() => args is null || output is null || error is null ? ExitCode.Usage : throw new UserError(ExitCode.Usage, "'verify' is not built yet");
}
