using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;
using ActorBackup.Store.Content;
using Akka.Actor;
using static ActorBackup.Protocol.ClusterProtocol;
using static ActorBackup.Protocol.CopierProtocol;

namespace ActorBackup.Actors.Cluster;

/// <summary>
/// On a storage node that cannot see the source: stands in for the copier pool. For each
/// CopyContent it asks the run's content source for the bytes, writes the chunks into the
/// temp file as they arrive (in order: one sender, one receiver), hashes them, acknowledges
/// them, and on the end sets owner, mode and mtime, fsyncs, and reports the hash of what
/// was written to the data-store, which names the entry only if it is the claimed hash.
/// </summary>
public sealed class ContentReceiver : ReceiveActor, IWithTimers
{
    private sealed class Incoming(CopyContent request, IActorRef dataStore, TempFileWriter file, ContentHasher hash)
    {
        public CopyContent Request { get; } = request;
        public IActorRef DataStore { get; } = dataStore;
        public TempFileWriter File { get; } = file;
        public ContentHasher Hash { get; } = hash;
        public DateTime LastSeen { get; set; } = DateTime.UtcNow;
    }

    private readonly Dictionary<long, Incoming> _incoming = [];
    private readonly TimeSpan _stallTimeout;

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() => Timers.StartPeriodicTimer("stalled", new CheckStalled(), _stallTimeout);

    public ContentReceiver(RunOptions options, BackupSettings settings, IActorRef contentSource, TimeSpan stallTimeout)
    {
        var chown = Files.IsRoot;
        Receive<CopyContent>(c =>
        {
            try
            {
                var file = TempFileWriter.Create(options.Store.TempFolder, c.TempName);
                _incoming[c.Token] = new Incoming(c, Sender, file, options.Store.Hash.Create());
                contentSource.Tell(new SendContent(c.Token, c.Source, Self));
            }
            catch (PosixException e)
            {
                Sender.Tell(new ContentCopyFailed(c.Token, e.Message, SourceProblem: false, FileSystemFull.FaultOf(e)));
            }
        });
        Receive<ContentChunk>(m =>
        {
            if (!_incoming.TryGetValue(m.Token, out var t) || m.Offset != t.File.Bytes)
                return; // a stale transfer, or out of order: the end message will not match and the copy fails
            try
            {
                t.File.Write(m.Bytes, m.Offset);
                t.Hash.AppendData(m.Bytes);
                t.LastSeen = DateTime.UtcNow;
                Sender.Tell(new ChunkAck(m.Token, t.File.Bytes));
            }
            catch (IOException e)
            {
                Fail(t, $"writing {t.File.Path}: {e.Message}", sourceProblem: false, FileSystemFull.FaultOf(e));
            }
        });
        Receive<ContentEnd>(m =>
        {
            if (!_incoming.TryGetValue(m.Token, out var t))
                return;
            if (m.Problem is not null)
            {
                Fail(t, m.Problem, sourceProblem: true);
                return;
            }
            if (m.Bytes != t.File.Bytes)
            {
                Fail(t, $"transfer ended at {t.File.Bytes} of {m.Bytes} bytes", sourceProblem: true);
                return;
            }
            try
            {
                // No fsync here: the data-store makes new entries durable in groups.
                t.File.Finish(t.File.Bytes, t.Request.Uid, t.Request.Gid, t.Request.Mode, t.Request.Source.Meta.Mtime, chown);
                var hash = ContentHash.Finish(t.Hash);
                Done(t);
                t.DataStore.Tell(new ContentCopied(t.Request.Token, hash, t.File.Bytes));
            }
            catch (IOException e)
            {
                Fail(t, $"writing {t.File.Path}: {e.Message}", sourceProblem: false, FileSystemFull.FaultOf(e));
            }
        });
        Receive<CheckStalled>(_ =>
        {
            foreach (var t in _incoming.Values.Where(t => DateTime.UtcNow - t.LastSeen > stallTimeout).ToList())
                Fail(t, $"no bytes arrived for {stallTimeout.TotalSeconds:F0} s from the node reading the source", sourceProblem: true);
        });
        _stallTimeout = stallTimeout;
    }

    public static Props Props(RunOptions options, BackupSettings settings, IActorRef contentSource, TimeSpan stallTimeout) =>
        Akka.Actor.Props.Create(() => new ContentReceiver(options, settings, contentSource, stallTimeout)).WithDispatcher(Dispatchers.Io);

    private sealed record CheckStalled;

    private void Fail(Incoming t, string reason, bool sourceProblem, WriteFault fault = WriteFault.Other)
    {
        Done(t);
        t.File.Remove();
        t.DataStore.Tell(new ContentCopyFailed(t.Request.Token, reason, sourceProblem, fault));
    }

    private void Done(Incoming t)
    {
        _incoming.Remove(t.Request.Token);
        t.File.Dispose();
        t.Hash.Dispose();
    }

    protected override void PostStop()
    {
        foreach (var t in _incoming.Values.ToList())
        {
            Done(t);
            t.File.Remove();
        }
    }
}
