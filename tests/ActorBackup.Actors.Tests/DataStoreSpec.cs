using ActorBackup.Actors.Storage;
using ActorBackup.Actors.Tests.Support;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Catalog;
using ActorBackup.Store.Manifest;
using ActorBackup.Testing;
using Akka.Actor;
using Akka.TestKit;
using Mono.Unix.Native;
using Xunit.Abstractions;
using static ActorBackup.Protocol.CopierProtocol;
using static ActorBackup.Protocol.DataStoreProtocol;
using DataStoreActor = ActorBackup.Actors.DataStore.DataStore;

namespace ActorBackup.Actors.Tests;

/// <summary>The data-store with a TestProbe standing in for the copier pool; the spec writes the temp files itself.</summary>
public sealed class DataStoreSpec(ITestOutputHelper output) : ActorSpec(output)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private RunOptions _options = null!;

    private TestProbe? _copierProbe;

    /// <summary>Stands in for the copier pool.</summary>
    private TestProbe Copier => _copierProbe ??= CreateTestProbe("copiers");

    /// <summary>
    /// Starts a data-store and opens the snapshot of a source root with mode 0751. fsync is
    /// off: syncfs on a machine busy with other suites takes seconds and nothing here can observe it.
    /// </summary>
    private IActorRef OpenStore(RunOptions? options = null, BackupSettings? settings = null)
    {
        _options = options ?? Options();
        SetOwnerModeTime(Root, 0, 0, 0x1E9, new Timestamp(1_400_000_000, 1));
        Directory.CreateDirectory(Temp["backups"]);
        var store = Sys.ActorOf(DataStoreActor.Props(_options, (settings ?? Settings) with { Fsync = false }, Copier.Ref, Copier.Ref));
        store.Tell(new OpenSnapshot(new SourceEntry("", Files.Lstat(Root))), TestActor);
        ExpectMsg<SnapshotOpened>();
        return store;
    }

    private HashedFile HashedSource(SourceEntry entry) => new(entry, Sha1Hex(File.ReadAllBytes(Source(entry.Path))));

    /// <summary>Does what a copier does: writes the temp file with owner and mode as asked, then answers with the hash of what it wrote.</summary>
    private CopyContent CopyAndReply(byte[]? written = null)
    {
        var copy = Copier.ExpectMsg<CopyContent>();
        var bytes = written ?? File.ReadAllBytes(Source(copy.Source.Path));
        var temp = Path.Combine(_options.Store.TempFolder, copy.TempName);
        File.WriteAllBytes(temp, bytes);
        SetOwnerModeTime(temp, copy.Uid, copy.Gid, copy.Mode, copy.Source.Meta.Mtime);
        Copier.Reply(new ContentCopied(copy.Token, Sha1Hex(bytes), bytes.Length));
        return copy;
    }

    private string Snapshot(string relative) => Path.Combine(PartialFolder, relative);

    private string Entry(string hash, int suffix = 0) => _options.Store.EntryPath(hash, suffix);

    [Fact]
    public void DataStore_opens_a_partial_snapshot_and_manifest_on_OpenSnapshot()
    {
        OpenStore();

        Assert.Equal(EntryType.Directory, Files.Lstat(PartialFolder).Type);
        Assert.Equal(0x1C0u, Files.Lstat(PartialFolder).Mode);
        Assert.False(Directory.Exists(BackupFolder));
        Assert.Equal(0x1C0u, Files.Lstat(_options.Store.TempFolder).Mode);
        var tempFolders = PosixFs.ListNames(_options.Store.TempFolder);
        Assert.Equal(Enumerable.Range(0, 16).Select(i => i.ToString("x2")), tempFolders);
        Assert.All(tempFolders, f => Assert.Equal((EntryType.Directory, 0x1C0u), (Files.Lstat(Path.Combine(_options.Store.TempFolder, f)).Type, Files.Lstat(Path.Combine(_options.Store.TempFolder, f)).Mode)));
        Assert.Equal(0x1C0u, Files.Lstat(_options.Store.SnapshotsFolder).Mode);
        Assert.True(File.Exists(_options.Store.ManifestPath("week10") + ".partial"));
        Assert.False(File.Exists(_options.Store.ManifestPath("week10")));
    }

    [Fact]
    public void DataStore_removes_temp_files_left_by_an_earlier_run()
    {
        new TreeBuilder(Options().Store.TempFolder)
            .File("999-1.tmp", "stale") // where versions before the subfolders wrote
            .File("0c/999-12.tmp", "stale")
            .File("0d/" + Names.FromBytes(0x39, 0xFF, 0x2E, 0x74), "stale"); // not UTF-8: removed by its exact bytes

        OpenStore();

        Assert.Empty(TempFiles.List(_options.Store));
        Assert.Equal(16, PosixFs.ListNames(_options.Store.TempFolder).Count);
    }

    [Fact]
    public void DataStore_has_new_content_copied_and_commits_it_under_its_hash()
    {
        var store = OpenStore();
        var file = HashedSource(SourceFile("docs/a.txt", "hello world", mode: 0x1A0, uid: 1000, gid: 100));
        store.Tell(new CreateEntries("", [new SourceEntry("docs", Files.Lstat(Source("docs")))]), TestActor);
        ExpectMsg<EntriesCreated>();

        store.Tell(new StoreFiles([file]), TestActor);
        var copy = Copier.ExpectMsg<CopyContent>();
        ExpectNoMsg(Quiet); // nothing is stored before the content is in

        Assert.Equal("docs/a.txt", copy.Source.Path);
        Assert.Equal($"{copy.Token % 16:x2}/{Environment.ProcessId}-{copy.Token}.tmp", copy.TempName);
        Assert.Equal((1000u, 100u, 0x1A0u), (copy.Uid, copy.Gid, copy.Mode));
        var temp = Path.Combine(_options.Store.TempFolder, copy.TempName);
        File.WriteAllText(temp, "hello world");
        SetOwnerModeTime(temp, copy.Uid, copy.Gid, copy.Mode, file.Source.Meta.Mtime);
        Copier.Reply(new ContentCopied(copy.Token, file.Hash, 11));
        var stored = ExpectMsg<FilesStored>();

        Assert.Equal("docs/a.txt", Assert.Single(stored.Done).Source.Path);
        Assert.Empty(stored.Problems);
        var entry = Entry(file.Hash);
        Assert.Equal(Path.Combine(DataFolder, file.Hash[..2], file.Hash[2..4], file.Hash), entry);
        Assert.Equal("hello world", File.ReadAllText(entry));
        var entryMeta = Files.Lstat(entry);
        Assert.Equal(entryMeta.Inode, Files.Lstat(Snapshot("docs/a.txt")).Inode);
        Assert.Equal(2ul, entryMeta.LinkCount);
        Assert.Equal((1000u, 100u, 0x1A0u), (entryMeta.Uid, entryMeta.Gid, entryMeta.Mode));
        Assert.Equal(0x1C0u, Files.Lstat(Path.Combine(DataFolder, file.Hash[..2])).Mode);
        Assert.Equal(0x1C0u, Files.Lstat(Path.GetDirectoryName(entry)!).Mode);
        Assert.Empty(TempFiles.List(_options.Store));
    }

    [Fact]
    public void DataStore_links_to_an_existing_entry_without_copying()
    {
        var store = OpenStore();
        var file = HashedSource(SourceFile("a.txt", "already stored", mode: 0x1A4));
        var entry = Entry(file.Hash);
        Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
        File.WriteAllText(entry, "already stored");
        SetOwnerModeTime(entry, 0, 0, 0x1A4, file.Source.Meta.Mtime);

        store.Tell(new StoreFiles([file]), TestActor);
        var stored = ExpectMsg<FilesStored>();

        Assert.Single(stored.Done);
        Copier.ExpectNoMsg(Quiet);
        Assert.Equal(Files.Lstat(entry).Inode, Files.Lstat(Snapshot("a.txt")).Inode);
        Assert.Equal(2ul, Files.Lstat(entry).LinkCount);
    }

    [Fact]
    public void DataStore_links_identical_content_to_one_inode()
    {
        var store = OpenStore();
        var a = HashedSource(SourceFile("a", "same bytes", uid: 1000, gid: 100));
        var b = HashedSource(SourceFile("b", "same bytes", uid: 1000, gid: 100));
        var c = HashedSource(SourceFile("c", "same bytes", uid: 1000, gid: 100));

        store.Tell(new StoreFiles([a, b]), TestActor);
        store.Tell(new StoreFiles([c]), TestActor); // arrives while the first copy is still pending
        var copy = CopyAndReply();
        Copier.ExpectNoMsg(Quiet);

        Assert.Equal("a", copy.Source.Path);
        var done = new List<HashedFile>();
        while (done.Count < 3)
        {
            var stored = ExpectMsg<FilesStored>();
            Assert.Empty(stored.Problems);
            done.AddRange(stored.Done);
        }
        Assert.Equal(["a", "b", "c"], done.Select(f => f.Source.Path).Order());
        var inode = Files.Lstat(Entry(a.Hash)).Inode;
        Assert.All(new[] { "a", "b", "c" }, p => Assert.Equal(inode, Files.Lstat(Snapshot(p)).Inode));
        Assert.Equal(4ul, Files.Lstat(Entry(a.Hash)).LinkCount);
        Assert.False(File.Exists(Entry(a.Hash, 1)));
    }

    [Fact]
    public void DataStore_stores_identical_content_of_another_owner_as_a_second_entry()
    {
        var store = OpenStore();
        var a = HashedSource(SourceFile("a", "shared bytes", uid: 1000, gid: 100));
        var b = HashedSource(SourceFile("b", "shared bytes", uid: 2000, gid: 100));

        store.Tell(new StoreFiles([a, b]), TestActor);
        var first = CopyAndReply();
        ExpectMsg<FilesStored>();
        var second = CopyAndReply();
        ExpectMsg<FilesStored>();

        Assert.Equal((1000u, "a"), (first.Uid, first.Source.Path));
        Assert.Equal((2000u, "b"), (second.Uid, second.Source.Path));
        var entry0 = Files.Lstat(Entry(a.Hash));
        var entry1 = Files.Lstat(Entry(a.Hash, 1));
        Assert.NotEqual(entry0.Inode, entry1.Inode);
        Assert.Equal(entry0.Inode, Files.Lstat(Snapshot("a")).Inode);
        Assert.Equal(entry1.Inode, Files.Lstat(Snapshot("b")).Inode);
        Assert.Equal(1000u, Files.Lstat(Snapshot("a")).Uid);
        Assert.Equal(2000u, Files.Lstat(Snapshot("b")).Uid);
    }

    [Fact]
    public void DataStore_does_not_link_to_an_entry_with_another_mode_under_share_owner()
    {
        var store = OpenStore();
        var file = HashedSource(SourceFile("a", "private", mode: 0x180));
        var entry = Entry(file.Hash);
        Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
        File.WriteAllText(entry, "private");
        SetOwnerModeTime(entry, 0, 0, 0x1A4, file.Source.Meta.Mtime);

        store.Tell(new StoreFiles([file]), TestActor);
        var copy = CopyAndReply();
        ExpectMsg<FilesStored>();

        Assert.Equal(0x180u, copy.Mode);
        Assert.Equal(Files.Lstat(Entry(file.Hash, 1)).Inode, Files.Lstat(Snapshot("a")).Inode);
        Assert.Equal(1ul, Files.Lstat(entry).LinkCount);
    }

    [Fact]
    public void DataStore_with_share_content_links_files_of_different_owners_to_one_inode()
    {
        var store = OpenStore(Options(share: SharePolicy.Content));
        var a = HashedSource(SourceFile("a", "tool", mode: 0x9ED, uid: 1000, gid: 100)); // 04755
        var b = HashedSource(SourceFile("b", "tool", mode: 0x1A4, uid: 2000, gid: 200));

        store.Tell(new StoreFiles([a, b]), TestActor);
        var copy = CopyAndReply();
        Copier.ExpectNoMsg(Quiet);
        var stored = ExpectMsg<FilesStored>();

        Assert.Equal(2, stored.Done.Count);
        Assert.Equal((1000u, 100u, 0x1EDu), (copy.Uid, copy.Gid, copy.Mode)); // setuid stripped
        Assert.Equal(Files.Lstat(Snapshot("a")).Inode, Files.Lstat(Snapshot("b")).Inode);
        Assert.Equal(0x1EDu, Files.Lstat(Snapshot("b")).Mode);
    }

    [Fact]
    public void DataStore_starts_a_new_entry_when_one_reaches_max_links_per_entry()
    {
        var store = OpenStore(settings: Settings with { MaxLinksPerEntry = 2 });
        var a = HashedSource(SourceFile("a", "popular"));
        var b = HashedSource(SourceFile("b", "popular"));

        store.Tell(new StoreFiles([a]), TestActor);
        CopyAndReply();
        ExpectMsg<FilesStored>();
        store.Tell(new StoreFiles([b]), TestActor);
        CopyAndReply();
        ExpectMsg<FilesStored>();

        Assert.Equal(2ul, Files.Lstat(Entry(a.Hash)).LinkCount);
        Assert.Equal(2ul, Files.Lstat(Entry(a.Hash, 1)).LinkCount);
        Assert.Equal(Files.Lstat(Entry(a.Hash, 1)).Inode, Files.Lstat(Snapshot("b")).Inode);
    }

    [Fact]
    public void DataStore_honours_max_links_per_entry_for_files_waiting_on_a_copy()
    {
        var store = OpenStore(settings: Settings with { MaxLinksPerEntry = 2 });
        var files = new[] { "a", "b", "c" }.Select(n => HashedSource(SourceFile(n, "popular"))).ToList();

        store.Tell(new StoreFiles(files), TestActor);
        CopyAndReply();
        var done = 0;
        while (true)
        {
            done += ExpectMsg<FilesStored>().Done.Count;
            if (done == 3)
                break;
            CopyAndReply();
        }

        var entries = Directory.GetFiles(Path.GetDirectoryName(Entry(files[0].Hash))!);
        // st_nlink counts the store name too, so each entry takes one snapshot file here.
        Assert.Equal(3, entries.Length);
        var entryInodes = entries.Select(e => Files.Lstat(e).Inode).ToHashSet();
        Assert.All(files, f => Assert.Contains(Files.Lstat(Snapshot(f.Source.Path)).Inode, entryInodes));
        Assert.All(entries, e => Assert.True(Files.Lstat(e).LinkCount <= 2,
            $"{Path.GetFileName(e)} has {Files.Lstat(e).LinkCount} links; max-links-per-entry is 2"));
        Assert.All(files, f => Assert.Equal("popular", File.ReadAllText(Snapshot(f.Source.Path))));
    }

    [Fact]
    public void DataStore_resumes_a_partial_snapshot_left_by_an_interrupted_run()
    {
        Directory.CreateDirectory(PartialFolder);
        File.WriteAllText(Path.Combine(PartialFolder, "a"), "stale half-written");
        var staleInode = Files.Lstat(Path.Combine(PartialFolder, "a")).Inode;
        var store = OpenStore();
        var file = HashedSource(SourceFile("a", "fresh"));

        store.Tell(new StoreFiles([file]), TestActor);
        CopyAndReply();
        ExpectMsg<FilesStored>();

        Assert.NotEqual(staleInode, Files.Lstat(Snapshot("a")).Inode);
        Assert.Equal(Files.Lstat(Entry(file.Hash)).Inode, Files.Lstat(Snapshot("a")).Inode);
        Assert.Equal("fresh", File.ReadAllText(Snapshot("a")));
    }

    [Fact]
    public void DataStore_fills_in_an_existing_backup_folder_and_keeps_what_is_there()
    {
        Directory.CreateDirectory(BackupFolder);
        File.WriteAllText(Path.Combine(BackupFolder, "kept"), "already here");
        var keptInode = Files.Lstat(Path.Combine(BackupFolder, "kept")).Inode;
        var store = OpenStore(options: Options() with { IgnoreFileExists = true });
        var kept = HashedSource(SourceFile("kept", "newer source"));
        var added = HashedSource(SourceFile("added", "new file"));

        store.Tell(new StoreFiles([kept, added]), TestActor);
        CopyAndReply();
        CopyAndReply();
        ExpectMsg<FilesStored>();
        ExpectMsg<FilesStored>();
        store.Tell(new CloseSnapshot(true), TestActor);
        ExpectMsg<SnapshotClosed>();

        Assert.False(Directory.Exists(PartialFolder));
        Assert.Equal(keptInode, Files.Lstat(Path.Combine(BackupFolder, "kept")).Inode);
        Assert.Equal("already here", File.ReadAllText(Path.Combine(BackupFolder, "kept")));
        Assert.Equal(Files.Lstat(Entry(added.Hash)).Inode, Files.Lstat(Path.Combine(BackupFolder, "added")).Inode);
        Assert.True(new ManifestReader(_options.Store.ManifestPath("week10")).IsComplete);
    }

    [Fact]
    public void DataStore_discards_a_copy_whose_hash_differs_from_the_claimed_one()
    {
        var store = OpenStore();
        var file = HashedSource(SourceFile("a.txt", "hello"));

        store.Tell(new StoreFiles([file]), TestActor);
        CopyAndReply(written: "HELLO"u8.ToArray());
        var stored = ExpectMsg<FilesStored>();

        Assert.Empty(stored.Done);
        var problem = Assert.Single(stored.Problems);
        Assert.Equal("a.txt", problem.Path);
        Assert.Contains("changed", problem.Reason);
        Assert.Empty(TempFiles.List(_options.Store));
        Assert.False(File.Exists(Entry(file.Hash)));
        Assert.False(File.Exists(Entry(Sha1Hex("HELLO"))));
        Assert.False(Files.Exists(Snapshot("a.txt")));
    }

    [Fact]
    public void DataStore_copies_the_next_waiting_file_when_a_copy_came_back_with_another_hash()
    {
        var store = OpenStore();
        var a = HashedSource(SourceFile("a", "same"));
        var b = HashedSource(SourceFile("b", "same"));

        store.Tell(new StoreFiles([a, b]), TestActor);
        var first = CopyAndReply(written: "changed"u8.ToArray());
        var failed = ExpectMsg<FilesStored>();
        var second = CopyAndReply();
        var stored = ExpectMsg<FilesStored>();

        Assert.Equal("a", first.Source.Path);
        Assert.Equal("a", Assert.Single(failed.Problems).Path);
        Assert.Equal("b", second.Source.Path);
        Assert.NotEqual(first.Token, second.Token);
        Assert.Equal("b", Assert.Single(stored.Done).Source.Path);
        Assert.Equal(Files.Lstat(Entry(b.Hash)).Inode, Files.Lstat(Snapshot("b")).Inode);
        Assert.False(Files.Exists(Snapshot("a")));
    }

    [Fact]
    public void DataStore_reports_a_source_problem_from_a_copier_and_goes_on()
    {
        var store = OpenStore();
        var a = HashedSource(SourceFile("a", "one"));
        var b = HashedSource(SourceFile("b", "two"));

        store.Tell(new StoreFiles([a]), TestActor);
        var copy = Copier.ExpectMsg<CopyContent>();
        Copier.Reply(new ContentCopyFailed(copy.Token, "vanished before it could be read", SourceProblem: true));
        var failed = ExpectMsg<FilesStored>();
        store.Tell(new StoreFiles([b]), TestActor);
        CopyAndReply();
        var stored = ExpectMsg<FilesStored>();

        Assert.Equal(new FileProblem("a", "vanished before it could be read"), Assert.Single(failed.Problems));
        Assert.Empty(failed.Done);
        Assert.Equal("b", Assert.Single(stored.Done).Source.Path);
    }

    [Fact]
    public void DataStore_fails_the_run_when_a_copier_cannot_write_the_data_folder()
    {
        var store = OpenStore();
        var a = HashedSource(SourceFile("a", "one"));

        store.Tell(new StoreFiles([a]), TestActor);
        var copy = Copier.ExpectMsg<CopyContent>();
        Copier.Reply(new ContentCopyFailed(copy.Token, "no space left on device", SourceProblem: false));
        var failed = ExpectMsg<StoreFailed>();
        store.Tell(new StoreFiles([HashedSource(SourceFile("b", "two"))]), TestActor);
        Copier.ExpectNoMsg(Quiet);
        store.Tell(new CloseSnapshot(false), TestActor);
        ExpectMsg<SnapshotClosed>();

        Assert.Contains("no space left on device", failed.Reason);
        Assert.False(Directory.Exists(BackupFolder));
        Assert.False(File.Exists(_options.Store.ManifestPath("week10")));
    }

    [Fact]
    public void DataStore_stops_the_run_with_exit_code_13_and_the_no_space_line_when_a_copier_finds_the_data_folder_full()
    {
        var store = OpenStore();

        store.Tell(new StoreFiles([HashedSource(SourceFile("a", "one"))]), TestActor);
        var copy = Copier.ExpectMsg<CopyContent>();
        Copier.Reply(new ContentCopyFailed(copy.Token, "writing x.tmp: No space left on device", SourceProblem: false, Fault: WriteFault.NoSpace));
        var failed = ExpectMsg<StoreFailed>();
        store.Tell(new CloseSnapshot(false), TestActor);
        ExpectMsg<SnapshotClosed>();

        Assert.Equal(ExitCode.NoSpace, failed.Code);
        Assert.StartsWith($"no space left on {DataFolder} (file system ", failed.Reason);
        Assert.Contains("writing x.tmp: No space left on device", failed.Reason);
        Assert.EndsWith("and run again", failed.Reason);
        Assert.False(Directory.Exists(BackupFolder));
    }

    [Fact]
    public void DataStore_creates_directories_symlinks_and_special_files_with_their_metadata()
    {
        var store = OpenStore();
        var sub = SourceDirectory("sub", mode: 0x1E8, uid: 1234, gid: 5678, mtime: new Timestamp(1_300_000_000, 7));
        byte[] target = [(byte)'.', (byte)'.', (byte)'/', 0xFF, (byte)' ', (byte)'t'];
        Libc.Symlink(target, Root, "link"u8.ToArray());
        Assert.Equal(0, Syscall.lchown(Source("link"), 1234, 5678));
        var linkMeta = Files.Lstat(Source("link")) with { Mtime = new Timestamp(1_200_000_000, 42) };
        Libc.Mkfifo(Source("pipe"));
        SetOwnerModeTime(Source("pipe"), 1234, 5678, 0x1A0, new Timestamp(1_100_000_000, 5));
        var null_ = Files.Lstat("/dev/null");
        var socket = Files.Lstat(Source("pipe")) with { Type = EntryType.Socket };

        store.Tell(new CreateEntries("", [
            sub,
            new SourceEntry("link", linkMeta, target),
            new SourceEntry("pipe", Files.Lstat(Source("pipe"))),
            new SourceEntry("null", null_),
            new SourceEntry("sock", socket),
        ]), TestActor);
        var created = ExpectMsg<EntriesCreated>();

        Assert.Equal("", created.Directory);
        Assert.Empty(created.Problems);
        Assert.Equal(1, created.Skipped); // the socket
        Assert.False(Files.Exists(Snapshot("sock")));
        Assert.Equal(0x1C0u, Files.Lstat(Snapshot("sub")).Mode); // closed until finalized
        var link = Files.Lstat(Snapshot("link"));
        Assert.Equal(EntryType.Symlink, link.Type);
        Assert.Equal(target, ReadLink(Snapshot("link")));
        Assert.Equal((1234u, 5678u), (link.Uid, link.Gid));
        Assert.Equal(new Timestamp(1_200_000_000, 42), link.Mtime);
        var pipe = Files.Lstat(Snapshot("pipe"));
        Assert.Equal(EntryType.Fifo, pipe.Type);
        Assert.Equal((1234u, 5678u, 0x1A0u), (pipe.Uid, pipe.Gid, pipe.Mode));
        Assert.Equal(new Timestamp(1_100_000_000, 5), pipe.Mtime);
        var dev = Files.Lstat(Snapshot("null"));
        Assert.Equal(EntryType.CharDevice, dev.Type);
        Assert.Equal(null_.Rdev, dev.Rdev);

        store.Tell(new FinalizeDirectory(sub), TestActor);
        var finalized = ExpectMsg<DirectoryFinalized>();

        Assert.Equal("sub", finalized.Path);
        Assert.Null(finalized.Problem);
        var dir = Files.Lstat(Snapshot("sub"));
        Assert.Equal((1234u, 5678u, 0x1E8u), (dir.Uid, dir.Gid, dir.Mode));
        Assert.Equal(new Timestamp(1_300_000_000, 7), dir.Mtime);
    }

    [Fact]
    public void DataStore_publishes_the_snapshot_and_completes_the_manifest_on_CloseSnapshot_true()
    {
        var store = OpenStore();
        var sub = SourceDirectory("sub", mode: 0x1ED);
        Libc.Symlink("sub"u8.ToArray(), Root, "link"u8.ToArray());
        var file = HashedSource(SourceFile("sub/a.txt", "published"));

        store.Tell(new CreateEntries("", [new SourceEntry("link", Files.Lstat(Source("link")), "sub"u8.ToArray()), sub]), TestActor);
        ExpectMsg<EntriesCreated>();
        store.Tell(new StoreFiles([file]), TestActor);
        CopyAndReply();
        ExpectMsg<FilesStored>();
        store.Tell(new FinalizeDirectory(sub), TestActor);
        ExpectMsg<DirectoryFinalized>();
        var root = Files.Lstat(Root);
        store.Tell(new FinalizeDirectory(new SourceEntry("", root)), TestActor);
        ExpectMsg<DirectoryFinalized>();
        store.Tell(new CloseSnapshot(true), TestActor);
        var closed = ExpectMsg<SnapshotClosed>();

        Assert.Equal(1, closed.Stats.NewEntries);
        Assert.Equal(9, closed.Stats.NewBytes);
        Assert.Equal(1, closed.Stats.Links);
        Assert.Equal(1, closed.Stats.Directories);
        Assert.Equal(1, closed.Stats.Symlinks);
        Assert.False(Directory.Exists(PartialFolder));
        Assert.Equal(Files.Lstat(Entry(file.Hash)).Inode, Files.Lstat(Path.Combine(BackupFolder, "sub/a.txt")).Inode);
        Assert.Equal(0x1E9u, Files.Lstat(BackupFolder).Mode); // the source root's mode
        Assert.Equal(root.Mtime, Files.Lstat(BackupFolder).Mtime);
        Assert.False(File.Exists(_options.Store.ManifestPath("week10") + ".partial"));
        var manifest = new ManifestReader(_options.Store.ManifestPath("week10"));
        Assert.True(manifest.IsComplete);
        Assert.Equal("4", manifest.Header["end"]);
        var entries = manifest.Entries().ToDictionary(e => e.Path);
        Assert.Equal(["", "link", "sub", "sub/a.txt"], entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(file.Hash, entries["sub/a.txt"].Hash);
        Assert.Equal(0, entries["sub/a.txt"].EntrySuffix);
        Assert.Equal("sub"u8.ToArray(), entries["link"].LinkTarget);
        Assert.Equal(EntryType.Directory, entries[""].Meta.Type);
        Assert.Empty(TempFiles.List(_options.Store));
    }

    [Fact]
    public void DataStore_leaves_the_snapshot_partial_on_CloseSnapshot_false()
    {
        var store = OpenStore();
        var file = HashedSource(SourceFile("a", "kept for a resume"));
        store.Tell(new StoreFiles([file]), TestActor);
        CopyAndReply();
        ExpectMsg<FilesStored>();

        store.Tell(new CloseSnapshot(false), TestActor);
        ExpectMsg<SnapshotClosed>();

        Assert.False(Directory.Exists(BackupFolder));
        Assert.True(File.Exists(Snapshot("a")));
        Assert.False(File.Exists(_options.Store.ManifestPath("week10")));
        var partial = new ManifestReader(_options.Store.ManifestPath("week10") + ".partial");
        Assert.False(partial.IsComplete);
        Assert.Equal(["", "a"], partial.Entries().Select(e => e.Path));
        Assert.Equal("sha1", partial.Header["hash"]);
        Assert.Equal("2", partial.Header["levels"]);
        Assert.Equal("owner", partial.Header["share"]);
        Assert.Equal(PathBytes.Escape(Root), partial.Header["root"]);
        Assert.Equal(PathBytes.Escape(BackupFolder), partial.Header["snapshot"]);
    }

    private static byte[] ReadLink(string path)
    {
        var buffer = new byte[4096];
        var n = Syscall.readlink(path, buffer);
        Assert.True(n >= 0);
        return buffer[..(int)n];
    }
}
