using ActorBackup.Protocol;
using ActorBackup.Protocol.Serialization;
using Akka.Actor;
using static ActorBackup.Protocol.ClusterProtocol;

namespace ActorBackup.Actors.Cluster;

/// <summary>
/// One end of the link between a cluster run's coordinator and its data-store: one relay
/// on the coordinator's node, one on the storage node. Commands and replies go one directory
/// at a time (a few files each, ~90,000 messages in a 100,000-file incremental), and a remote
/// message costs far more than what it carries; so each relay gathers what its local side
/// sends while its mailbox holds more (a Flush it sends itself comes after them), serializes
/// it, and sends it as one <see cref="Relayed"/>, at most ~96 KB, below the 128,000-byte
/// frame limit. The other relay delivers the messages in order, as if sent directly: neither
/// the coordinator nor the data-store knows it is there.
///
/// The local side is given (the data-store) or is the first sender that is not the peer (the
/// coordinator); the peer is given (the storage node's relay) or is the first relay that
/// sends (the coordinator's). Each relay watches both and stops when either stops, so the
/// coordinator, which watches its relay as its data-store, sees a lost storage node.
/// </summary>
public sealed class StoreRelay : ReceiveActor
{
    /// <summary>Bytes gathered before a burst is sent without waiting for its end.</summary>
    public const int MaxBatchBytes = 96_000;

    private sealed record Flush;

    private readonly ProtocolSerializer _serializer;
    private List<RelayedMessage> _batch = [];
    private int _batchBytes;
    private bool _flushQueued;
    private IActorRef? _local;
    private IActorRef? _peer;

    public StoreRelay(IActorRef? local, IActorRef? peer)
    {
        _serializer = new ProtocolSerializer((ExtendedActorSystem)Context.System);
        Receive<Relayed>(m =>
        {
            if (_peer is null)
                Context.Watch(_peer = Sender);
            foreach (var message in m.Messages)
                _local?.Tell(_serializer.FromBinary(message.Bytes, message.Manifest), Self);
        });
        Receive<Flush>(_ =>
        {
            _flushQueued = false;
            Send();
        });
        Receive<Terminated>(_ => Context.Stop(Self));
        Receive<IProtocolMessage>(m =>
        {
            if (_local is null && !Sender.Equals(_peer))
                Context.Watch(_local = Sender);
            var bytes = _serializer.ToBinary(m);
            if (_batchBytes + bytes.Length > MaxBatchBytes)
                Send();
            _batch.Add(new RelayedMessage(_serializer.Manifest(m), bytes));
            _batchBytes += bytes.Length;
            if (!_flushQueued)
            {
                _flushQueued = true;
                Self.Tell(new Flush());
            }
        });
        if (local is not null)
            Context.Watch(_local = local);
        if (peer is not null)
            Context.Watch(_peer = peer);
    }

    /// <param name="local">The data-store (storage node), or null: the first sender (the coordinator).</param>
    /// <param name="peer">The storage node's relay (coordinator's node), or null: the first relay that sends.</param>
    public static Props Props(IActorRef? local, IActorRef? peer) =>
        Akka.Actor.Props.Create(() => new StoreRelay(local, peer));

    private void Send()
    {
        if (_batch.Count == 0 || _peer is null)
            return;
        _peer.Tell(new Relayed(_batch), Self);
        _batch = [];
        _batchBytes = 0;
    }
}
