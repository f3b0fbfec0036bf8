using Akka.Actor;

namespace ActorBackup.Actors;

/// <summary>
/// Handlers registered as with Akka's ReceiveActor (<c>Receive&lt;T&gt;</c>, <c>ReceiveAny</c>,
/// <c>Become</c>), tried in order with one type test each. ReceiveActor instead builds an
/// expression tree per actor type, and the CLI runs with dynamic code off (starting is
/// faster, see ActorBackup.Cli.csproj), where that tree is interpreted: an interpreter
/// pass and a reflection call on every message, on the actors that see the most messages. The
/// actors that see a message per directory or per batch of files derive from this class.
/// </summary>
public abstract class TypeSwitchActor : UntypedActor
{
    private List<(Type Type, Action<object> Handle)> _handlers = [];

    /// <summary>Handles messages of type <typeparamref name="T"/> (and types derived from it).</summary>
    protected void Receive<T>(Action<T> handle) => _handlers.Add((typeof(T), m => handle((T)m)));

    /// <summary>Handles every message no earlier handler took.</summary>
    protected void ReceiveAny(Action<object> handle) => _handlers.Add((typeof(object), handle));

    /// <summary>Replaces every handler with those <paramref name="configure"/> registers.</summary>
    protected void Become(Action configure)
    {
        _handlers = [];
        configure();
    }

    protected sealed override void OnReceive(object message)
    {
        foreach (var (type, handle) in _handlers)
        {
            if (type.IsInstanceOfType(message))
            {
                handle(message);
                return;
            }
        }
        Unhandled(message);
    }
}
