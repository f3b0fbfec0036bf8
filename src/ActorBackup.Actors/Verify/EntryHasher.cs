using ActorBackup.Store;
using ActorBackup.Store.Verify;
using Akka.Actor;
using static ActorBackup.Actors.Verify.Scrub;

namespace ActorBackup.Actors.Verify;

/// <summary>
/// Re-hashes batches of store entries (verify --read-data) through one reused read buffer,
/// on the hash dispatcher's dedicated threads. Every entry of a batch ends up in the reply:
/// a failure to read one is that entry's damage, never an exception that would lose the batch.
/// </summary>
public sealed class EntryHasher : ReceiveActor
{
    public EntryHasher(StoreLayout layout, BackupSettings settings)
    {
        var buffer = new byte[settings.ReadBuffer];
        Receive<HashEntries>(batch =>
        {
            var damaged = new List<DamagedEntry>();
            long bytes = 0;
            foreach (var entry in batch.Entries)
            {
                EntryCheck.Outcome outcome;
                try
                {
                    outcome = EntryCheck.Check(entry.Key.PathIn(layout), entry.Key.Hash(layout.Hash), entry.Inode, layout.Hash, buffer);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    outcome = new EntryCheck.Outcome(0, $"cannot be checked ({e.Message})");
                }
                bytes += outcome.Bytes;
                if (outcome.Damage is not null)
                    damaged.Add(new DamagedEntry(entry.Key, outcome.Damage));
            }
            Sender.Tell(new EntriesHashed(batch.BatchId, batch.Entries.Count, bytes, damaged));
        });
    }

    public static Props Props(StoreLayout layout, BackupSettings settings) =>
        Akka.Actor.Props.Create(() => new EntryHasher(layout, settings)).WithDispatcher(Dispatchers.Hash);
}
