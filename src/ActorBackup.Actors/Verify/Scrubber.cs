using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Verify;
using Akka.Actor;
using static ActorBackup.Actors.Verify.Scrub;

namespace ActorBackup.Actors.Verify;

/// <summary>
/// Hands the entries to check to its <see cref="BackupSettings.Hashers"/> entry hashers in
/// batches (at most hash-batch-files entries and hash-batch-bytes bytes each), keeping
/// batches-per-hasher batches in flight per hasher: each result brings that hasher its next
/// batch, so a slow disk region slows one hasher, not the others. See <see cref="Scrub"/>.
/// </summary>
public sealed class Scrubber : ReceiveActor
{
    private readonly StoreLayout _layout;
    private readonly BackupSettings _settings;
    private readonly IReadOnlyList<EntryToCheck> _entries;
    private readonly Func<int, Props> _hasherProps;
    private readonly Dictionary<long, (IActorRef Hasher, HashEntries Batch)> _inFlight = [];
    private readonly Queue<HashEntries> _again = new();
    private readonly HashSet<IActorRef> _hashers = [];
    private readonly List<DamagedEntry> _damaged = [];
    private IActorRef _requester = ActorRefs.Nobody;
    private int _next;
    private long _nextBatch;
    private long _entriesDone;
    private long _bytes;

    public Scrubber(StoreLayout layout, BackupSettings settings, IReadOnlyList<EntryToCheck> entries, Func<int, Props>? hasherProps = null)
    {
        _layout = layout;
        _settings = settings;
        _entries = entries;
        _hasherProps = hasherProps ?? (_ => EntryHasher.Props(_layout, _settings));
        Receive<Start>(_ => Begin());
        Receive<EntriesHashed>(Hashed);
        Receive<Terminated>(HasherStopped);
    }

    /// <summary>A hasher that throws is stopped, not restarted: its batches in flight go to the others.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    private void Begin()
    {
        _requester = Sender;
        for (var i = 0; i < _settings.Hashers; i++)
        {
            var hasher = Context.ActorOf(_hasherProps(i), ActorNames.EntryHasher(i));
            Context.Watch(hasher);
            _hashers.Add(hasher);
        }
        foreach (var hasher in _hashers)
            for (var i = 0; i < _settings.BatchesPerHasher; i++)
                SendNext(hasher);
        FinishIfDone();
    }

    private void Hashed(EntriesHashed m)
    {
        if (!_inFlight.Remove(m.BatchId))
            return; // a batch handed to another hasher after this one was thought stopped
        _entriesDone += m.Entries;
        _bytes += m.Bytes;
        _damaged.AddRange(m.Damaged);
        SendNext(Sender);
        FinishIfDone();
    }

    private void HasherStopped(Terminated t)
    {
        _hashers.Remove(t.ActorRef);
        foreach (var (id, (hasher, batch)) in _inFlight.ToList())
        {
            if (!hasher.Equals(t.ActorRef))
                continue;
            _inFlight.Remove(id);
            _again.Enqueue(batch);
        }
        if (_hashers.Count == 0)
        {
            Finish($"every hasher stopped; {_entries.Count - _entriesDone} entries were not checked");
            return;
        }
        foreach (var hasher in _hashers)
            while (_again.Count > 0 && _inFlight.Values.Count(f => f.Hasher.Equals(hasher)) < _settings.BatchesPerHasher)
                SendNext(hasher);
    }

    private void SendNext(IActorRef hasher)
    {
        var batch = _again.Count > 0 ? _again.Dequeue() : NextBatch();
        if (batch is null)
            return;
        _inFlight[batch.BatchId] = (hasher, batch);
        hasher.Tell(batch);
    }

    private HashEntries? NextBatch()
    {
        if (_next >= _entries.Count)
            return null;
        var batch = new BatchCutter<EntryToCheck>(_settings.HashBatchFiles, (e => e.Size, _settings.HashBatchBytes));
        while (_next < _entries.Count && batch.Fits(_entries[_next]))
            batch.Add(_entries[_next++]);
        return new HashEntries(++_nextBatch, batch.Cut());
    }

    private void FinishIfDone()
    {
        if (_inFlight.Count == 0 && _again.Count == 0 && _next >= _entries.Count)
            Finish(null);
    }

    private void Finish(string? failure)
    {
        _requester.Tell(new Finished(_entriesDone, _bytes, _damaged, failure));
        Context.Stop(Self);
    }
}
