using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Verify;
using Akka.Actor;

namespace ActorBackup.Actors.Verify;

/// <summary>
/// verify --read-data: store entries re-hashed in parallel by a pool of <see cref="EntryHasher"/>
/// actors. Messages, who sends them to whom, and the way to run a scrub:
/// <code>
///   caller    -> Scrubber     Start             (one Ask for the whole scrub)
///   Scrubber  -> EntryHasher  HashEntries       (a batch; at most batches-per-hasher per hasher in flight)
///   EntryHasher -> Scrubber   EntriesHashed     (every entry of the batch: bytes read, the damaged ones)
///   Scrubber  -> caller       Finished
/// </code>
/// The scrubber tracks every batch in flight by id. A hasher that stops (it should not: it
/// turns every failure into a result) has its batches given to the others; with none left
/// the scrub finishes with a failure. No batch is ever lost silently.
/// </summary>
public static class Scrub
{
    public sealed record DamagedEntry(EntryKey Key, string Reason);

    public sealed record Start;

    public sealed record Finished(long Entries, long Bytes, IReadOnlyList<DamagedEntry> Damaged, string? Failure);

    public sealed record HashEntries(long BatchId, IReadOnlyList<EntryToCheck> Entries);

    public sealed record EntriesHashed(long BatchId, int Entries, long Bytes, IReadOnlyList<DamagedEntry> Damaged);

    /// <param name="hasherProps">The props of hasher number i; null: <see cref="EntryHasher"/>s (specs put stand-ins here).</param>
    public static Props Props(StoreLayout layout, BackupSettings settings, IReadOnlyList<EntryToCheck> entries, Func<int, Props>? hasherProps = null) =>
        Akka.Actor.Props.Create(() => new Scrubber(layout, settings, entries, hasherProps));

    /// <summary>Runs a scrub of <paramref name="entries"/> on <paramref name="system"/> and waits for it.</summary>
    public static Finished Run(ActorSystem system, StoreLayout layout, BackupSettings settings, IReadOnlyList<EntryToCheck> entries)
    {
        var scrubber = system.ActorOf(Props(layout, settings, entries), ActorNames.Scrubber);
        return scrubber.Ask<Finished>(new Start(), Timeout.InfiniteTimeSpan).GetAwaiter().GetResult();
    }
}
