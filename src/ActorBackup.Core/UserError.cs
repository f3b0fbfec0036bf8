namespace ActorBackup.Core;

/// <summary>
/// An error meant for the person running the tool: the message names the file, what went
/// wrong and what to do, and prints as one line without a stack trace.
/// </summary>
public sealed class UserError(ExitCode code, string message) : Exception(message)
{
    public ExitCode Code { get; } = code;
}
