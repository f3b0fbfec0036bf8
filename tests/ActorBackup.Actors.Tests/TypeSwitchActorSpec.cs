using Akka.Actor;
using Akka.Event;

namespace ActorBackup.Actors.Tests;

/// <summary>
/// TypeSwitchActor keeps ReceiveActor's rules, which the coordinator, data-store, walkers,
/// hashers and copiers rely on: handlers are tried in the order registered, a handler for a
/// base type takes derived messages, Become replaces every handler, and a message no handler
/// takes is unhandled (published on the event stream).
/// </summary>
public sealed class TypeSwitchActorSpec : Akka.TestKit.Xunit2.TestKit
{
    private abstract record Shape(string Name);

    private sealed record Circle(string Name) : Shape(Name);

    private sealed record Square(string Name) : Shape(Name);

    private sealed class Probe : TypeSwitchActor
    {
        public Probe(IActorRef reply)
        {
            Receive<Circle>(c => reply.Tell($"circle {c.Name}"));
            Receive<Shape>(s => reply.Tell($"shape {s.Name}"));
            Receive<string>(text =>
            {
                if (text != "switch")
                    return;
                reply.Tell("switched");
                Become(() => Receive<Shape>(s => reply.Tell($"after {s.Name}")));
            });
        }
    }

    [Fact]
    public void TypeSwitchActor_tries_handlers_in_order_takes_derived_types_replaces_them_on_Become_and_reports_the_rest_unhandled()
    {
        var unhandled = CreateTestProbe();
        Sys.EventStream.Subscribe(unhandled.Ref, typeof(UnhandledMessage));
        var actor = Sys.ActorOf(Props.Create(() => new Probe(TestActor)));

        actor.Tell(new Circle("c1"));
        ExpectMsg("circle c1"); // the first matching handler, not the Shape one after it
        actor.Tell(new Square("s1"));
        ExpectMsg("shape s1"); // a base-type handler takes a derived message
        actor.Tell(42);
        Assert.Equal(42, unhandled.ExpectMsg<UnhandledMessage>().Message);

        actor.Tell("switch");
        ExpectMsg("switched");
        actor.Tell(new Circle("c2"));
        ExpectMsg("after c2"); // the Circle handler is gone
        actor.Tell("switch");
        Assert.Equal("switch", unhandled.ExpectMsg<UnhandledMessage>().Message); // so is the string one
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
