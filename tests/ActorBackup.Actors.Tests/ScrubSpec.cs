using ActorBackup.Actors.Tests.Support;
using ActorBackup.Actors.Verify;
using ActorBackup.Core;
using ActorBackup.Store;
using ActorBackup.Store.Verify;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using static ActorBackup.Actors.Verify.Scrub;

namespace ActorBackup.Actors.Tests;

/// <summary>The verify --read-data pool: every entry checked once, bounded batches in flight, no batch lost.</summary>
public sealed class ScrubSpec(ITestOutputHelper output) : ActorSpec(output)
{
    private StoreLayout Layout => new(DataFolder, 1, HashKind.Sha1);

    /// <summary>Writes <paramref name="count"/> entries of distinct content into the store; returns them in hash order.</summary>
    private List<EntryToCheck> Entries(int count)
    {
        var entries = new List<EntryToCheck>();
        for (var i = 0; i < count; i++)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes($"content {i}\n");
            var hash = Sha1Hex(bytes);
            var path = Layout.EntryPath(hash, 0);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
            entries.Add(new EntryToCheck(EntryKey.From(hash, 0), Posix.Files.Lstat(path).Inode, bytes.Length));
        }
        entries.Sort((a, b) => a.Key.CompareTo(b.Key));
        return entries;
    }

    [Fact]
    public void Scrubber_checks_every_entry_once_over_several_batches_and_names_only_the_damaged_one()
    {
        var entries = Entries(300); // more than one batch of hash-batch-files (128)
        var damaged = entries[123];
        File.WriteAllText(damaged.Key.PathIn(Layout), "not what the name says");

        Sys.ActorOf(Scrub.Props(Layout, Settings, entries)).Tell(new Start(), TestActor);
        var finished = ExpectMsg<Finished>();

        Assert.Null(finished.Failure);
        Assert.Equal(300, finished.Entries);
        Assert.Equal(entries.Sum(e => e.Size) - damaged.Size + "not what the name says".Length, finished.Bytes);
        var only = Assert.Single(finished.Damaged);
        Assert.Equal(damaged.Key, only.Key);
        Assert.Contains("no longer match its name", only.Reason);
    }

    [Fact]
    public void Scrubber_keeps_at_most_batches_per_hasher_batches_in_flight_per_hasher()
    {
        var entries = Entries(10);
        var settings = Settings with { Hashers = 2, BatchesPerHasher = 2, HashBatchFiles = 2 };
        var probe = CreateTestProbe();

        var scrubber = Sys.ActorOf(Scrub.Props(Layout, settings, entries, _ => Akka.Actor.Props.Create(() => new Forwarder(probe))));
        scrubber.Tell(new Start(), TestActor);

        var batches = Enumerable.Range(0, 4).Select(_ => probe.ExpectMsg<HashEntries>()).ToList();
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // 5 batches of 2, only 2 x 2 in flight
        Assert.All(batches, b => Assert.Equal(2, b.Entries.Count));

        scrubber.Tell(new EntriesHashed(batches[0].BatchId, 2, 0, []), probe.Ref);
        var fifth = probe.ExpectMsg<HashEntries>();
        foreach (var b in batches.Skip(1).Append(fifth))
            scrubber.Tell(new EntriesHashed(b.BatchId, 2, 0, []), probe.Ref);

        var finished = ExpectMsg<Finished>();
        Assert.Equal(10, finished.Entries);
        Assert.Equal(entries.Select(e => e.Key).Order(), batches.Append(fifth).SelectMany(b => b.Entries).Select(e => e.Key).Order());
    }

    [Fact]
    public void A_hasher_that_stops_has_its_batches_checked_by_the_others()
    {
        var entries = Entries(40);
        var settings = Settings with { Hashers = 3, HashBatchFiles = 4 };

        Sys.ActorOf(Scrub.Props(Layout, settings, entries, i => i == 0 ? Akka.Actor.Props.Create(() => new Crasher()) : EntryHasher.Props(Layout, settings)))
            .Tell(new Start(), TestActor);
        var finished = ExpectMsg<Finished>();

        Assert.Null(finished.Failure);
        Assert.Equal(40, finished.Entries);
        Assert.Empty(finished.Damaged);
    }

    [Fact]
    public void When_every_hasher_stops_the_scrub_finishes_with_a_failure_not_a_hang()
    {
        var entries = Entries(5);
        var settings = Settings with { Hashers = 2 };

        Sys.ActorOf(Scrub.Props(Layout, settings, entries, _ => Akka.Actor.Props.Create(() => new Crasher()))).Tell(new Start(), TestActor);
        var finished = ExpectMsg<Finished>();

        Assert.Equal("every hasher stopped; 5 entries were not checked", finished.Failure);
    }

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(TestProbe probe) => ReceiveAny(m => probe.Forward(m));
    }

    private sealed class Crasher : ReceiveActor
    {
        public Crasher() => Receive<HashEntries>(_ => throw new InvalidOperationException("disk on fire"));
    }
}

/// <summary>verify --read-data-subset: which slice of the hash order a run takes.</summary>
public sealed class ScrubPositionTests
{
    private static readonly EntryKey[] Sorted = Enumerable.Range(1, 10)
        .Select(i => EntryKey.From(i.ToString("X2") + new string('0', 38), 0))
        .ToArray();

    [Fact]
    public void The_first_run_starts_at_the_first_entry_and_takes_the_percentage_rounded_up()
    {
        Assert.Equal((0, 3), ScrubPosition.Select(Sorted, null, 25, out var wrapped));
        Assert.False(wrapped);
        Assert.Equal((0, 1), ScrubPosition.Select(Sorted, null, 0.5, out _));
        Assert.Equal((0, 10), ScrubPosition.Select(Sorted, null, 100, out _));
    }

    [Fact]
    public void A_run_starts_after_the_recorded_entry_and_stops_at_the_end_then_the_next_wraps()
    {
        Assert.Equal((3, 3), ScrubPosition.Select(Sorted, Sorted[2], 25, out _));
        Assert.Equal((9, 1), ScrubPosition.Select(Sorted, Sorted[8], 25, out var wrapped));
        Assert.False(wrapped);
        Assert.Equal((0, 3), ScrubPosition.Select(Sorted, Sorted[9], 25, out wrapped));
        Assert.True(wrapped);
    }

    [Fact]
    public void A_recorded_entry_that_is_gone_still_places_the_next_run_by_hash_order()
    {
        var between = EntryKey.From("05" + new string('8', 38), 0); // after 05000..., before 06000...
        Assert.Equal((5, 3), ScrubPosition.Select(Sorted, between, 25, out _));
    }

    [Fact]
    public void Entry_keys_sort_as_their_hex_names_do()
    {
        var names = new[] { "FF" + new string('0', 38), "0A" + new string('1', 38), "0A" + new string('0', 38) };
        var keys = names.Select(n => EntryKey.From(n, 0)).Order().ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), keys.Select(k => k.Hash(HashKind.Sha1)));
        Assert.Equal(names[0] + ".2", EntryKey.From(names[0], 2).Name(HashKind.Sha1));
    }
}
