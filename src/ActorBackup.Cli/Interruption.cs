using System.Runtime.InteropServices;
using ActorBackup.Core;

namespace ActorBackup.Cli;

/// <summary>
/// SIGTERM (systemctl stop, kill), SIGINT (Ctrl-C) and SIGHUP (the terminal went away) while
/// a command runs. Left to the runtime they end the process at once: the lock and the temp
/// files stay behind and nothing says why. Caught, the first one asks the command to stop
/// cleanly (it says what was and was not done, and exits 128 + the signal's number); a
/// second one ends the process at once, for an admin who will not wait.
/// </summary>
public sealed class Interruption : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly object _gate = new();
    private Action<ExitCode, string>? _stop;
    private ExitCode? _code;
    private string? _name;

    /// <summary>Catches the three signals until disposed. Only the program's own process does: tests running commands in-process keep theirs.</summary>
    public static Interruption Catch()
    {
        var interruption = new Interruption();
        foreach (var (signal, code, name) in new[]
                 {
                     (PosixSignal.SIGTERM, ExitCode.Terminated, "SIGTERM"),
                     (PosixSignal.SIGINT, ExitCode.Interrupted, "SIGINT"),
                     (PosixSignal.SIGHUP, ExitCode.Hangup, "SIGHUP"),
                 })
            interruption._registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                interruption.Received(code, name);
            }));
        return interruption;
    }

    /// <summary>An interruption that never fires: commands run in-process (tests).</summary>
    public static Interruption None() => new();

    /// <summary>The signal received so far, as the exit code it gives; null while none came.</summary>
    public ExitCode? Code
    {
        get
        {
            lock (_gate)
                return _code;
        }
    }

    /// <summary>"SIGTERM", "SIGINT" or "SIGHUP"; null while none came.</summary>
    public string? SignalName
    {
        get
        {
            lock (_gate)
                return _name;
        }
    }

    /// <summary>
    /// What to do on the first signal: called at most once, on the signal's thread, or at once
    /// when a signal came before. Replaces what an earlier call asked for.
    /// </summary>
    public void OnStop(Action<ExitCode, string> stop)
    {
        ExitCode code;
        string name;
        lock (_gate)
        {
            _stop = stop;
            if (_code is null)
                return;
            (code, name) = (_code.Value, _name!);
        }
        stop(code, name);
    }

    /// <summary>Throws the user's line for a signal that came before the command started its work.</summary>
    public void ThrowIfStopped(string what)
    {
        if (Code is { } code)
            throw new UserError(code, $"stopped by {SignalName} {what}");
    }

    private void Received(ExitCode code, string name)
    {
        Action<ExitCode, string>? stop;
        lock (_gate)
        {
            if (_code is not null)
            {
                // The second signal: the admin will not wait. The kernel drops the lock with the
                // process; temp files are removed by the next run.
                Console.Error.WriteLine($"actorbackup: {name} again: exiting at once");
                Environment.Exit((int)code);
            }
            (_code, _name) = (code, name);
            stop = _stop;
        }
        stop?.Invoke(code, name);
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
            registration.Dispose();
        _registrations.Clear();
    }
}
