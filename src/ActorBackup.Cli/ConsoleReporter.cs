using ActorBackup.Actors;
using ActorBackup.Posix;
using Akka.Actor;
using static ActorBackup.Protocol.CoordinatorProtocol;

namespace ActorBackup.Cli;

/// <summary>
/// Prints what the coordinator reports: each file problem on standard error, progress
/// every --doprogress files, and a live line on a terminal. Under --pauseonerror it waits
/// for Enter after a problem and then tells the coordinator to go on. Runs on its own
/// thread (it may block on the console).
/// </summary>
public sealed class ConsoleReporter : ReceiveActor
{
    public ConsoleReporter(TextWriter output, TextWriter error, TextReader input, bool pauseOnError)
    {
        var live = Files.IsTerminal(2);
        var liveShown = false;
        Receive<ProblemReported>(m =>
        {
            if (liveShown)
            {
                error.Write("\r\u001b[K");
                liveShown = false;
            }
            error.WriteLine(m.Notice
                ? $"actorbackup: notice: {m.Problem.Path}: {m.Problem.Reason}"
                : $"actorbackup: {m.Problem.Path}: {m.Problem.Reason}");
            if (pauseOnError && !m.Notice)
            {
                error.Write("press Enter to go on ");
                error.Flush();
                input.ReadLine();
                Sender.Tell(new ResumeAfterProblem());
            }
        });
        Receive<ProgressReported>(m =>
        {
            if (!m.Periodic)
                output.WriteLine($"progress: {Summary.ProgressLine(m.Stats)}");
            else if (live)
            {
                error.Write($"\r\u001b[K{Summary.ProgressLine(m.Stats)}");
                liveShown = true;
            }
        });
    }

    public static Props Props(TextWriter output, TextWriter error, TextReader input, bool pauseOnError) =>
        Akka.Actor.Props.Create(() => new ConsoleReporter(output, error, input, pauseOnError)).WithDispatcher(Dispatchers.Store);
}
