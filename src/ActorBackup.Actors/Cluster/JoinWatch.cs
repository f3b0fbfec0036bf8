using Akka.Actor;
using Akka.Event;

namespace ActorBackup.Actors.Cluster;

/// <summary>
/// While a coordinator joins: what went wrong on the wire. It keeps the last distinct
/// remoting errors and warnings (refused connections, failed TLS handshakes, gated
/// addresses) so that a join that times out can name its cause instead of one guess.
/// </summary>
public sealed class JoinWatch : ReceiveActor
{
    /// <summary>Asks for what was seen so far.</summary>
    public sealed record GetProblems;

    /// <summary>The distinct messages, oldest first.</summary>
    public sealed record Problems(IReadOnlyList<string> Messages);

    private const int Kept = 8;
    private readonly List<string> _messages = [];

    public JoinWatch()
    {
        Receive<Akka.Remote.AssociationErrorEvent>(e => Keep($"{e.Cause?.GetType().Name}: {e.Cause?.Message} ({e.RemoteAddress})"));
        Receive<LogEvent>(e =>
        {
            if (e is Warning or Error)
                Keep($"{e.Message}{(e.Cause is { } c ? $" ({c.GetType().Name}: {c.Message})" : "")}");
        });
        Receive<GetProblems>(_ => Sender.Tell(new Problems(_messages.ToList())));
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new JoinWatch());

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(Akka.Remote.AssociationErrorEvent));
        Context.System.EventStream.Subscribe(Self, typeof(Warning));
        Context.System.EventStream.Subscribe(Self, typeof(Error));
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void Keep(string message)
    {
        message = message.Split('\n')[0].Trim();
        if (_messages.Contains(message))
            return;
        _messages.Add(message);
        if (_messages.Count > Kept)
            _messages.RemoveAt(0);
    }

    /// <summary>
    /// One line naming why no storage node was reached, from the problems seen, the seeds,
    /// and the membership: the cause an admin acts on, not a list of guesses.
    /// </summary>
    public static string Cause(IReadOnlyList<string> problems, string seeds, bool joined, IReadOnlyList<string> otherCoordinators)
    {
        bool Seen(params string[] words) => problems.Any(p => words.Any(w => p.Contains(w, StringComparison.OrdinalIgnoreCase)));
        if (joined && otherCoordinators.Count > 0)
            return $"this coordinator joined but stayed Joining beside another coordinator ({string.Join(", ", otherCoordinators)}): one that crashed holds every joiner back until the cluster removes it (failure detection + split-brain-resolver.stable-after); run again in a minute, or raise join-timeout";
        if (joined)
            return "this coordinator joined the cluster, but no storage node is Up in it; start 'actorbackup node --config storage.hocon' on the storage machine";
        if (Seen("ssl", "tls", "certificate", "authentication", "handshake", "remote certificate"))
            return $"the TLS handshake with {seeds} failed ({Last(problems, "ssl", "tls", "certificate", "authentication", "handshake")}); the node's certificate must be pinned or signed by the cluster CA on both sides, and TLS on on both";
        if (Seen("connection refused"))
            return $"nothing listens at {seeds} (connection refused); is the storage node running there, with that port and public-hostname?";
        if (Seen("no route", "host is unreachable", "network is unreachable", "timed out", "timeout"))
            return $"{seeds} does not answer ({Last(problems, "no route", "unreachable", "timed out", "timeout")}); check the address, the route and the firewall";
        if (Seen("disassociated", "quarantin"))
            return $"{seeds} dropped the connection ({Last(problems, "disassociated", "quarantin")}); the seed may run with TLS while this node does not (or the reverse), or belong to another cluster";
        return $"{seeds} answered no join request{(problems.Count > 0 ? $" (last error: {problems[^1]})" : "")}; is 'actorbackup node --config storage.hocon' running there?";
    }

    private static string Last(IReadOnlyList<string> problems, params string[] words)
    {
        var found = problems.LastOrDefault(p => words.Any(w => p.Contains(w, StringComparison.OrdinalIgnoreCase))) ?? "";
        return found.Length > 200 ? found[..200] + "..." : found;
    }
}
