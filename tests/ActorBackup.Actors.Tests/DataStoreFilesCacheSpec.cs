using ActorBackup.Actors.Storage;
using ActorBackup.Actors.Tests.Support;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Catalog;
using ActorBackup.Store.Manifest;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using static ActorBackup.Protocol.CopierProtocol;
using static ActorBackup.Protocol.DataStoreProtocol;
using DataStoreActor = ActorBackup.Actors.DataStore.DataStore;

namespace ActorBackup.Actors.Tests;

/// <summary>
/// The data-store with files known unchanged (linked to the entry the previous snapshot
/// used) and with temp files the hashers wrote (committed by rename). One TestProbe stands
/// in for both the copier pool and the data-store's store copier. The data-store hands the
/// links it trusts to its link workers (link-workers = 2; the default is 0);
/// <see cref="DataStoreFilesCacheInlineLinksSpec"/> runs every test with the data-store making them itself.
/// </summary>
public class DataStoreFilesCacheSpec(ITestOutputHelper output) : ActorSpec(output)
{
    /// <summary>link-workers for every test of the class.</summary>
    protected virtual int LinkWorkers => 2;

    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private static readonly Timestamp Mtime = new(1_600_000_000, 123_456_789);

    private RunOptions _options = null!;
    private TestProbe? _copierProbe;

    private TestProbe Copier => _copierProbe ??= CreateTestProbe("copiers");

    private IActorRef OpenStore(RunOptions? options = null, BackupSettings? settings = null, bool fsync = false)
    {
        _options = options ?? Options();
        SetOwnerModeTime(Root, 0, 0, 0x1E9, new Timestamp(1_400_000_000, 1));
        Directory.CreateDirectory(Temp["backups"]);
        var store = Sys.ActorOf(DataStoreActor.Props(_options, (settings ?? Settings) with { Fsync = fsync, LinkWorkers = LinkWorkers }, Copier.Ref, Copier.Ref));
        store.Tell(new OpenSnapshot(new SourceEntry("", Files.Lstat(Root))), TestActor);
        ExpectMsg<SnapshotOpened>();
        return store;
    }

    private string Snapshot(string relative) => Path.Combine(PartialFolder, relative);

    private string Entry(string hash, int suffix = 0) => _options.Store.EntryPath(hash, suffix);

    /// <summary>A store entry as an earlier run left it.</summary>
    private string MakeEntry(string hash, int suffix, byte[] content, uint uid = 0, uint gid = 0, uint mode = 0x1A4)
    {
        var path = Entry(hash, suffix);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        SetOwnerModeTime(path, uid, gid, mode, Mtime);
        return path;
    }

    /// <summary>A temp file as a hasher leaves it: the content, with the owner and mode the entry will have.</summary>
    private string MakeTemp(string name, byte[] content, uint uid = 0, uint gid = 0, uint mode = 0x1A4)
    {
        var path = Path.Combine(_options.Store.TempFolder, name);
        File.WriteAllBytes(path, content);
        SetOwnerModeTime(path, uid, gid, mode, Mtime);
        return path;
    }

    /// <summary>Does what a copier does, reading the store entry when told to, else the source.</summary>
    private CopyContent CopyAndReply()
    {
        var copy = Copier.ExpectMsg<CopyContent>();
        var from = copy.FromStore is null ? Source(copy.Source.Path) : Path.Combine(DataFolder, copy.FromStore);
        var bytes = File.ReadAllBytes(from);
        var temp = Path.Combine(_options.Store.TempFolder, copy.TempName);
        File.WriteAllBytes(temp, bytes);
        SetOwnerModeTime(temp, copy.Uid, copy.Gid, copy.Mode, copy.Source.Meta.Mtime);
        Copier.Reply(new ContentCopied(copy.Token, Sha1Hex(bytes), bytes.Length));
        return copy;
    }

    private List<HashedFile> ExpectDone(int count, TimeSpan? timeout = null)
    {
        var done = new List<HashedFile>();
        while (done.Count < count)
        {
            var stored = ExpectMsg<FilesStored>(timeout);
            Assert.Empty(stored.Problems);
            done.AddRange(stored.Done);
        }
        return done;
    }

    /// <summary>The data-store's journal, after CloseSnapshot(false) flushed it.</summary>
    private Dictionary<string, ManifestEntry> Journal(IActorRef store)
    {
        store.Tell(new CloseSnapshot(false), TestActor);
        ExpectMsg<SnapshotClosed>();
        return new ManifestReader(_options.Store.ManifestPath("week10") + ".partial").Entries().ToDictionary(e => e.Path, StringComparer.Ordinal);
    }

    private static HashedFile Known(SourceEntry source, string hash, int suffix, string? temp = null, bool sameOwnership = false) =>
        new(source with { Known = new KnownContent(hash, suffix, sameOwnership) }, hash, temp);

    private static string RelativeEntry(string hash, int suffix = 0) =>
        $"{hash[..2]}/{hash[2..4]}/{(suffix == 0 ? hash : $"{hash}.{suffix}")}";

    [Fact]
    public void DataStore_links_a_known_file_to_exactly_the_entry_it_names()
    {
        var store = OpenStore();
        var content = "known bytes"u8.ToArray();
        var hash = Sha1Hex(content);
        var source = SourceFile("a", content, uid: 1000, gid: 100);
        MakeEntry(hash, 0, content, 1000, 100); // fits as well, and would be found first
        var entry1 = MakeEntry(hash, 1, content, 1000, 100);

        store.Tell(new StoreFiles([Known(source, hash, 1)]), TestActor);
        var done = ExpectDone(1);
        Copier.ExpectNoMsg(Quiet);

        Assert.Equal("a", done[0].Source.Path);
        Assert.Equal(Files.Lstat(entry1).Inode, Files.Lstat(Snapshot("a")).Inode);
        Assert.Equal(2ul, Files.Lstat(entry1).LinkCount);
        Assert.Equal(1ul, Files.Lstat(Entry(hash, 0)).LinkCount);
        var journal = Journal(store);
        Assert.Equal(1, journal["a"].EntrySuffix);
        Assert.Equal(hash, journal["a"].Hash);
        Assert.Equal(source.Meta.Inode, journal["a"].Meta.Inode);
    }

    [Fact]
    public void DataStore_discards_a_temp_copy_of_a_file_it_links_to_its_known_entry()
    {
        var store = OpenStore();
        var content = "known, but read again (--rehash)"u8.ToArray();
        var hash = Sha1Hex(content);
        var source = SourceFile("a", content);
        var entry = MakeEntry(hash, 2, content);
        var temp = MakeTemp("h1.tmp", content);

        store.Tell(new StoreFiles([Known(source, hash, 2, temp: "h1.tmp")]), TestActor);
        ExpectDone(1);
        Copier.ExpectNoMsg(Quiet);

        Assert.Equal(Files.Lstat(entry).Inode, Files.Lstat(Snapshot("a")).Inode);
        Assert.False(Files.Exists(temp));
        Assert.Empty(TempFiles.List(_options.Store));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // not stat'ed first: the failed link tells
    public void DataStore_copies_a_known_file_whose_entry_is_gone_from_the_store(bool sameOwnership)
    {
        var store = OpenStore();
        var content = "entry deleted since"u8.ToArray();
        var hash = Sha1Hex(content);
        var source = SourceFile("a", content, uid: 1000, gid: 100);

        store.Tell(new StoreFiles([Known(source, hash, 1, sameOwnership: sameOwnership)]), TestActor);
        var copy = CopyAndReply();
        ExpectDone(1);

        Assert.Null(copy.FromStore); // nothing of this hash is stored: from the source
        Assert.Equal("a", copy.Source.Path);
        Assert.Equal((1000u, 100u, 0x1A4u), (copy.Uid, copy.Gid, copy.Mode));
        Assert.Equal(content, File.ReadAllBytes(Snapshot("a")));
        Assert.Equal(Files.Lstat(Entry(hash, 0)).Inode, Files.Lstat(Snapshot("a")).Inode);
        Assert.Equal(0, Journal(store)["a"].EntrySuffix);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // not stat'ed first: the failed link tells
    public void DataStore_links_a_known_file_whose_entry_is_gone_to_another_fitting_entry(bool sameOwnership)
    {
        var store = OpenStore();
        var content = "entry .1 deleted, entry 0 still there"u8.ToArray();
        var hash = Sha1Hex(content);
        var source = SourceFile("a", content);
        var entry0 = MakeEntry(hash, 0, content);

        store.Tell(new StoreFiles([Known(source, hash, 1, sameOwnership: sameOwnership)]), TestActor);
        ExpectDone(1);
        Copier.ExpectNoMsg(Quiet);

        Assert.Equal(Files.Lstat(entry0).Inode, Files.Lstat(Snapshot("a")).Inode);
        Assert.Equal(0, Journal(store)["a"].EntrySuffix);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // not stat'ed first: the failed link tells
    public void DataStore_copies_from_the_store_when_the_known_entry_is_full(bool sameOwnership)
    {
        var store = OpenStore(settings: Settings with { MaxLinksPerEntry = 2 });
        var content = "popular"u8.ToArray();
        var hash = Sha1Hex(content);
        var source = SourceFile("a", content);
        var entry0 = MakeEntry(hash, 0, content);
        Assert.Equal(0, Mono.Unix.Native.Syscall.link(entry0, Temp["older-snapshot-file"]));
        Assert.Equal(2ul, Files.Lstat(entry0).LinkCount);

        store.Tell(new StoreFiles([Known(source, hash, 0, sameOwnership: sameOwnership)]), TestActor);
        var copy = CopyAndReply();
        ExpectDone(1);

        Assert.Equal(RelativeEntry(hash, 0), copy.FromStore);
        Assert.Equal(2ul, Files.Lstat(entry0).LinkCount);
        Assert.Equal(Files.Lstat(Entry(hash, 1)).Inode, Files.Lstat(Snapshot("a")).Inode);
        Assert.Equal(content, File.ReadAllBytes(Snapshot("a")));
        Assert.Equal(1, Journal(store)["a"].EntrySuffix);
    }

    [Fact]
    public void DataStore_counts_the_links_it_adds_to_a_known_entry_and_starts_a_new_one_at_the_limit()
    {
        // The entry is stat'ed for the first file only: the next ones must see its count grow.
        var store = OpenStore(settings: Settings with { MaxLinksPerEntry = 4 });
        var content = "shared by three unchanged files"u8.ToArray();
        var hash = Sha1Hex(content);
        var entry0 = MakeEntry(hash, 0, content);
        Assert.Equal(0, Mono.Unix.Native.Syscall.link(entry0, Temp["older-snapshot-file"]));
        var files = new[] { "a", "b", "c" }.Select(name => Known(SourceFile(name, content), hash, 0)).ToList();

        store.Tell(new StoreFiles(files), TestActor);
        ExpectDone(2);
        var copy = CopyAndReply();
        ExpectDone(1);

        Assert.Equal(RelativeEntry(hash, 0), copy.FromStore);
        Assert.Equal("c", copy.Source.Path);
        Assert.Equal(4ul, Files.Lstat(entry0).LinkCount);
        Assert.Equal(Files.Lstat(entry0).Inode, Files.Lstat(Snapshot("a")).Inode);
        Assert.Equal(Files.Lstat(entry0).Inode, Files.Lstat(Snapshot("b")).Inode);
        Assert.Equal(Files.Lstat(Entry(hash, 1)).Inode, Files.Lstat(Snapshot("c")).Inode);
        Assert.Equal(2ul, Files.Lstat(Entry(hash, 1)).LinkCount);
        var journal = Journal(store);
        Assert.Equal([0, 0, 1], new[] { "a", "b", "c" }.Select(n => journal[n].EntrySuffix));
    }

    [Fact]
    public void DataStore_stores_anew_a_trusted_known_file_whose_entry_is_not_a_file()
    {
        var store = OpenStore();
        var content = "a folder took the entry's name"u8.ToArray();
        var hash = Sha1Hex(content);
        var source = SourceFile("a", content);
        Directory.CreateDirectory(Entry(hash, 0));

        store.Tell(new StoreFiles([Known(source, hash, 0, sameOwnership: true)]), TestActor);
        var copy = CopyAndReply();
        ExpectDone(1);

        Assert.Null(copy.FromStore);
        Assert.Equal(Files.Lstat(Entry(hash, 1)).Inode, Files.Lstat(Snapshot("a")).Inode);
        Assert.Equal(content, File.ReadAllBytes(Snapshot("a")));
        Assert.True(Directory.Exists(Entry(hash, 0)));
        Assert.Equal(1, Journal(store)["a"].EntrySuffix);
    }

    [Fact]
    public void DataStore_links_many_trusted_unchanged_files_in_many_folders_each_to_its_entry()
    {
        var store = OpenStore();
        var files = new List<HashedFile>();
        var entries = new Dictionary<string, string>();
        store.Tell(new CreateEntries("", Enumerable.Range(0, 8).Select(d => SourceDirectory($"d{d}")).ToList()), TestActor);
        ExpectMsg<EntriesCreated>();
        for (var d = 0; d < 8; d++)
        {
            for (var f = 0; f < 25; f++)
            {
                var content = System.Text.Encoding.UTF8.GetBytes($"unchanged file {d}/{f}");
                var hash = Sha1Hex(content);
                var name = $"d{d}/f{f}";
                entries[name] = MakeEntry(hash, f % 2, content);
                files.Add(Known(SourceFile(name, content), hash, f % 2, sameOwnership: true));
            }
        }

        store.Tell(new StoreFiles(files), TestActor);
        var done = ExpectDone(files.Count);
        Copier.ExpectNoMsg(Quiet);

        Assert.Equal(entries.Keys.Order(), done.Select(f => f.Source.Path).Order());
        foreach (var (name, entry) in entries)
        {
            Assert.Equal(Files.Lstat(entry).Inode, Files.Lstat(Snapshot(name)).Inode);
            Assert.Equal(2ul, Files.Lstat(entry).LinkCount);
        }
        Sys.ActorSelection(store.Path / $"{ActorNames.LinkWorker}-1").Tell(new Identify(null), TestActor);
        Assert.Equal(LinkWorkers > 0, ExpectMsg<ActorIdentity>().Subject is not null);
        var journal = Journal(store);
        Assert.Equal(files.Count, journal.Values.Count(e => e.Meta.Type == EntryType.File));
        Assert.All(files, f => Assert.Equal(f.Source.Known!.Suffix, journal[f.Source.Path].EntrySuffix));
    }

    [Fact]
    public void DataStore_trusts_the_entry_an_unchanged_file_of_unchanged_ownership_names()
    {
        // The documented trade-off: the entry is not stat'ed, so a mode changed by hand in the
        // store is not seen (every snapshot linking it shows it already); the file's own
        // owner, group or mode changing is (DataStore_copies_an_existing_entry_for_a_file_whose_mode_changed_under_share_owner).
        var store = OpenStore();
        var content = "entry chmodded by hand"u8.ToArray();
        var hash = Sha1Hex(content);
        var source = SourceFile("a", content, mode: 0x1A4);
        var entry0 = MakeEntry(hash, 0, content, mode: 0x180);

        store.Tell(new StoreFiles([Known(source, hash, 0, sameOwnership: true)]), TestActor);
        ExpectDone(1);
        Copier.ExpectNoMsg(Quiet);

        Assert.Equal(Files.Lstat(entry0).Inode, Files.Lstat(Snapshot("a")).Inode);
        Assert.Equal(2ul, Files.Lstat(entry0).LinkCount);
    }

    [Fact]
    public void DataStore_ignores_the_known_entry_when_the_file_was_read_again_with_another_hash()
    {
        var store = OpenStore();
        var old = "old content"u8.ToArray();
        var oldHash = Sha1Hex(old);
        var oldEntry = MakeEntry(oldHash, 0, old);
        var source = SourceFile("a", "new content, same size and times"u8.ToArray());
        var newHash = Sha1Hex(File.ReadAllBytes(Source("a")));
        var file = new HashedFile(source with { Known = new KnownContent(oldHash, 0) }, newHash);

        store.Tell(new StoreFiles([file]), TestActor);
        var copy = CopyAndReply();
        ExpectDone(1);

        Assert.Null(copy.FromStore);
        Assert.Equal(1ul, Files.Lstat(oldEntry).LinkCount);
        Assert.Equal(Files.Lstat(Entry(newHash, 0)).Inode, Files.Lstat(Snapshot("a")).Inode);
        Assert.Equal(newHash, Journal(store)["a"].Hash);
    }

    [Fact]
    public void DataStore_commits_a_hashers_temp_file_by_renaming_it_and_links_a_duplicate_to_it()
    {
        var store = OpenStore();
        var content = "copied while hashed"u8.ToArray();
        var hash = Sha1Hex(content);
        var a = SourceFile("a", content, uid: 1000, gid: 100);
        var b = SourceFile("b", content, uid: 1000, gid: 100);
        var tempA = MakeTemp("h1.tmp", content, 1000, 100);
        var tempInode = Files.Lstat(tempA).Inode;

        store.Tell(new StoreFiles([new HashedFile(a, hash, "h1.tmp")]), TestActor);
        ExpectDone(1);
        Copier.ExpectNoMsg(Quiet);

        var entry = Entry(hash, 0);
        Assert.Equal(tempInode, Files.Lstat(entry).Inode); // renamed, not copied
        Assert.False(Files.Exists(tempA));
        Assert.Equal(tempInode, Files.Lstat(Snapshot("a")).Inode);
        Assert.Equal(content, File.ReadAllBytes(entry));

        var tempB = MakeTemp("h2.tmp", content, 1000, 100);
        store.Tell(new StoreFiles([new HashedFile(b, hash, "h2.tmp")]), TestActor);
        ExpectDone(1);
        Copier.ExpectNoMsg(Quiet);

        Assert.False(Files.Exists(tempB));
        Assert.Equal(tempInode, Files.Lstat(Snapshot("b")).Inode);
        Assert.Equal(3ul, Files.Lstat(entry).LinkCount);
        Assert.False(Files.Exists(Entry(hash, 1)));
        Assert.Empty(TempFiles.List(_options.Store));
        var journal = Journal(store);
        Assert.Equal((hash, 0), (journal["a"].Hash, journal["a"].EntrySuffix));
        Assert.Equal((hash, 0), (journal["b"].Hash, journal["b"].EntrySuffix));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DataStore_commits_one_temp_and_deletes_the_duplicates_when_they_come_together(bool fsync)
    {
        var store = OpenStore(fsync: fsync);
        var content = "three copies, one entry"u8.ToArray();
        var hash = Sha1Hex(content);
        var files = new List<HashedFile>();
        var temps = new List<string>();
        foreach (var name in new[] { "a", "b", "c" })
        {
            var source = SourceFile(name, content);
            temps.Add(MakeTemp($"h-{name}.tmp", content));
            files.Add(new HashedFile(source, hash, $"h-{name}.tmp"));
        }
        var firstInode = Files.Lstat(temps[0]).Inode;

        store.Tell(new StoreFiles(files), TestActor);
        // With fsync on, the entry waits for a syncfs of the data folder's file system: slow on a busy machine.
        var done = ExpectDone(3, TimeSpan.FromSeconds(60));
        Copier.ExpectNoMsg(Quiet);

        Assert.Equal(["a", "b", "c"], done.Select(f => f.Source.Path).Order());
        Assert.Equal(firstInode, Files.Lstat(Entry(hash, 0)).Inode);
        Assert.All(new[] { "a", "b", "c" }, n => Assert.Equal(firstInode, Files.Lstat(Snapshot(n)).Inode));
        Assert.False(Files.Exists(Entry(hash, 1)));
        Assert.Empty(TempFiles.List(_options.Store));
    }

    [Fact]
    public void DataStore_copies_an_existing_entry_for_a_file_whose_owner_changed_under_share_owner()
    {
        var store = OpenStore();
        var content = "chowned since the last run"u8.ToArray();
        var hash = Sha1Hex(content);
        var entry0 = MakeEntry(hash, 0, content, uid: 1000, gid: 100);
        var source = SourceFile("a", content, uid: 2000, gid: 100);

        store.Tell(new StoreFiles([Known(source, hash, 0)]), TestActor);
        var copy = CopyAndReply();
        ExpectDone(1);

        Assert.Equal(RelativeEntry(hash, 0), copy.FromStore);
        Assert.Equal((2000u, 100u, 0x1A4u), (copy.Uid, copy.Gid, copy.Mode));
        var entry1 = Files.Lstat(Entry(hash, 1));
        Assert.Equal(entry1.Inode, Files.Lstat(Snapshot("a")).Inode);
        Assert.Equal((2000u, 100u), (entry1.Uid, entry1.Gid));
        Assert.Equal(1ul, Files.Lstat(entry0).LinkCount);
        Assert.Equal(1000u, Files.Lstat(entry0).Uid);
        Assert.Equal(1, Journal(store)["a"].EntrySuffix);
    }

    [Fact]
    public void DataStore_copies_an_existing_entry_for_a_file_whose_mode_changed_under_share_owner()
    {
        var store = OpenStore();
        var content = "chmodded since the last run"u8.ToArray();
        var hash = Sha1Hex(content);
        MakeEntry(hash, 0, content, mode: 0x1A4);
        var source = SourceFile("a", content, mode: 0x180);

        store.Tell(new StoreFiles([Known(source, hash, 0)]), TestActor);
        var copy = CopyAndReply();
        ExpectDone(1);

        Assert.Equal(RelativeEntry(hash, 0), copy.FromStore);
        Assert.Equal(0x180u, copy.Mode);
        Assert.Equal(0x180u, Files.Lstat(Snapshot("a")).Mode);
        Assert.Equal(Files.Lstat(Entry(hash, 1)).Inode, Files.Lstat(Snapshot("a")).Inode);
    }

    [Fact]
    public void DataStore_links_a_known_file_of_another_owner_to_its_entry_under_share_content()
    {
        var store = OpenStore(Options(share: SharePolicy.Content));
        var content = "shared by content"u8.ToArray();
        var hash = Sha1Hex(content);
        var entry = MakeEntry(hash, 0, content, uid: 1000, gid: 100);
        var source = SourceFile("a", content, uid: 2000, gid: 200);

        store.Tell(new StoreFiles([Known(source, hash, 0)]), TestActor);
        ExpectDone(1);
        Copier.ExpectNoMsg(Quiet);

        Assert.Equal(Files.Lstat(entry).Inode, Files.Lstat(Snapshot("a")).Inode);
    }

    [Fact]
    public void DataStore_links_a_known_file_to_its_entry_behind_a_gap_in_the_suffixes()
    {
        // HASH was deleted from the store (pruned); HASH.1 is still there and named by the previous manifest.
        var store = OpenStore();
        var content = "entry 0 pruned"u8.ToArray();
        var hash = Sha1Hex(content);
        var entry1 = MakeEntry(hash, 1, content, uid: 1000, gid: 100);
        var source = SourceFile("a", content, uid: 1000, gid: 100);

        store.Tell(new StoreFiles([Known(source, hash, 1)]), TestActor);
        ExpectDone(1);
        Copier.ExpectNoMsg(Quiet);

        Assert.Equal(Files.Lstat(entry1).Inode, Files.Lstat(Snapshot("a")).Inode);
        Assert.Equal(1, Journal(store)["a"].EntrySuffix);
    }

    [Fact]
    public void DataStore_names_new_entries_around_an_entry_left_behind_a_gap_in_the_suffixes()
    {
        // HASH was deleted from the store (pruned) while HASH.1 (uid 1000) stayed. Two new
        // owners of the same content need two new entries; neither may take HASH.1's name,
        // and the run must not fail.
        var store = OpenStore();
        var content = "two new owners"u8.ToArray();
        var hash = Sha1Hex(content);
        var entry1 = MakeEntry(hash, 1, content, uid: 1000, gid: 100);
        var entry1Inode = Files.Lstat(entry1).Inode;
        var a = SourceFile("a", content, uid: 2000, gid: 100);
        var b = SourceFile("b", content, uid: 3000, gid: 100);

        store.Tell(new StoreFiles([new HashedFile(a, hash), new HashedFile(b, hash)]), TestActor);
        var done = new List<HashedFile>();
        var problems = new List<FileProblem>();
        var failures = new List<string>();
        for (var copies = 0; done.Count + problems.Count < 2 && failures.Count == 0 && copies < 4; copies++)
        {
            CopyAndReply();
            var reply = ExpectMsg<object>(m => m is FilesStored or StoreFailed);
            if (reply is FilesStored stored)
            {
                done.AddRange(stored.Done);
                problems.AddRange(stored.Problems);
            }
            else
                failures.Add(((StoreFailed)reply).Reason);
        }

        Assert.Empty(failures);
        Assert.Empty(problems);
        Assert.Equal(["a", "b"], done.Select(f => f.Source.Path).Order());
        Assert.Equal(entry1Inode, Files.Lstat(entry1).Inode);
        Assert.Equal((1000u, 1ul), (Files.Lstat(entry1).Uid, Files.Lstat(entry1).LinkCount));
        Assert.Equal(2000u, Files.Lstat(Snapshot("a")).Uid);
        Assert.Equal(3000u, Files.Lstat(Snapshot("b")).Uid);
        Assert.NotEqual(entry1Inode, Files.Lstat(Snapshot("a")).Inode);
        Assert.NotEqual(entry1Inode, Files.Lstat(Snapshot("b")).Inode);
    }
}

/// <summary>Every test of <see cref="DataStoreFilesCacheSpec"/> with link-workers = 0: the data-store makes every link itself.</summary>
public sealed class DataStoreFilesCacheInlineLinksSpec(ITestOutputHelper output) : DataStoreFilesCacheSpec(output)
{
    protected override int LinkWorkers => 0;
}
