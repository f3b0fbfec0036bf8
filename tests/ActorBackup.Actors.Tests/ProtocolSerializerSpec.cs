using System.Diagnostics;
using ActorBackup.Actors.Tests.Support;
using ActorBackup.Core;
using ActorBackup.Hosting;
using ActorBackup.Protocol;
using ActorBackup.Protocol.Serialization;
using ActorBackup.Store.Catalog;
using ActorBackup.Store.Manifest;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Mono.Unix;
using Xunit.Abstractions;
using static ActorBackup.Protocol.ClusterProtocol;
using static ActorBackup.Protocol.CoordinatorProtocol;
using static ActorBackup.Protocol.CopierProtocol;
using static ActorBackup.Protocol.DataStoreProtocol;
using static ActorBackup.Protocol.HasherProtocol;
using static ActorBackup.Protocol.WalkerProtocol;

namespace ActorBackup.Actors.Tests;

/// <summary>
/// Every message that may cross the wire survives <see cref="ProtocolSerializer"/> exactly,
/// on an actor system with hocon/cluster.conf's serialization bindings (but the local
/// provider, so no port is opened). The theory runs over <see cref="ProtocolSerializer.Types"/>:
/// a message type added there without a sample here fails.
/// </summary>
public sealed class ProtocolSerializerSpec : Akka.TestKit.Xunit2.TestKit
{
    // Raw name bytes that are not UTF-8: Latin-1 "bär", a lone 0xFF 0xFE, a truncated
    // two-byte sequence. Names travel as bytes, so they must arrive byte for byte.
    private static readonly byte[] Latin1Name = [0x62, 0xE4, 0x72, 0xFF, 0xFE, 0x2E, 0x74, 0x78, 0x74];
    private static readonly byte[] BrokenDirName = [0x6A, 0xC3, 0x28, 0x80];
    private static readonly byte[] LinkTargetBytes = [0x2E, 0x2E, 0x2F, 0xFF, 0x41, 0xC0, 0xAF];

    private static readonly string OddName = UnixEncoding.Instance.GetString(Latin1Name);
    private static readonly string OddDir = UnixEncoding.Instance.GetString(BrokenDirName);
    private static readonly string OddPath = $"home/{OddDir}/{OddName}";
    private static readonly string PlainPath = "home/alice/tab\tnew\nline %41 #x/caf\u00e9.txt";

    private readonly ITestOutputHelper _output;
    private readonly ProtocolSerializer _serializer;
    private readonly IActorRef _probe;
    private readonly IActorRef _child;

    public ProtocolSerializerSpec(ITestOutputHelper output)
        : base(ClusterBindings(), "serializer-spec", output)
    {
        _output = output;
        _serializer = new ProtocolSerializer((ExtendedActorSystem)Sys);
        _probe = CreateTestProbe("probe").Ref;
        _child = Sys.ActorOf(Props.Create(() => new Echo()), "content-sender");
    }

    /// <summary>cluster.conf as nodes load it, but with the local provider: no network.</summary>
    public static Config ClusterBindings() =>
        ConfigurationFactory.ParseString("akka.actor.provider = local")
            .WithFallback(ConfigurationFactory.ParseString(BackupSystem.ReadEmbedded("cluster.conf")))
            .WithFallback(BackupSystem.LoadConfig(null));

    public static IEnumerable<object[]> MessageTypes => ProtocolSerializer.Types.Select(t => new object[] { t.Name }).OrderBy(a => (string)a[0]);

    private static Type TypeNamed(string name) => ProtocolSerializer.Types.Single(t => t.Name == name);

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void ProtocolSerializer_round_trips_every_message_type_exactly(string typeName)
    {
        var type = TypeNamed(typeName);
        var samples = Samples(type).ToList();
        Assert.NotEmpty(samples);
        foreach (var message in samples)
        {
            Assert.IsType(type, message);
            var manifest = _serializer.Manifest(message);
            var bytes = _serializer.ToBinary(message);

            AssertSame(message, _serializer.FromBinary(bytes, manifest));
            // The path Akka.Remote takes: the serializer the system picks, by identifier and manifest.
            AssertSame(message, Sys.Serialization.Deserialize(bytes, ProtocolSerializer.Id, manifest));
        }
    }

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void Cluster_conf_binds_every_message_type_to_the_protocol_serializer(string typeName)
    {
        foreach (var message in Samples(TypeNamed(typeName)))
        {
            var found = Sys.Serialization.FindSerializerFor(message);

            Assert.IsType<ProtocolSerializer>(found);
            Assert.Equal(4711, found.Identifier);
            Assert.Equal(ProtocolSerializer.Id, found.Identifier);
        }
    }

    [Fact]
    public void The_spec_system_uses_the_local_provider_and_opens_no_port() =>
        Assert.IsType<LocalActorRefProvider>(((ExtendedActorSystem)Sys).Provider);

    [Fact]
    public void Every_protocol_message_type_has_a_wire_manifest()
    {
        var messages = typeof(IProtocolMessage).Assembly.GetTypes()
            .Where(t => typeof(IProtocolMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => t.FullName)
            .Order()
            .ToList();

        Assert.Equal(messages, ProtocolSerializer.Types.Select(t => t.FullName).Order());
        Assert.Equal(ProtocolSerializer.Types.Count, ProtocolSerializer.Types.Select(t => t.Name).Distinct().Count());
    }

    [Fact]
    public void File_names_travel_as_their_raw_bytes()
    {
        byte[] raw = [.. "home/"u8, .. BrokenDirName, (byte)'/', .. Latin1Name];
        Assert.Equal(raw, PathBytes.ToBytes(OddPath));

        var bytes = _serializer.ToBinary(new SourceEntry(OddPath, FileMeta(EntryType.File), LinkTargetBytes));

        Assert.True(Contains(bytes, [.. BrokenDirName, (byte)'/', .. Latin1Name]), Convert.ToHexString(bytes));
        Assert.True(Contains(bytes, LinkTargetBytes), Convert.ToHexString(bytes));
    }

    [Fact]
    public void A_deserialized_actor_ref_reaches_the_same_actor()
    {
        var probe = CreateTestProbe();
        var message = new RequestWork(probe.Ref);

        var back = (RequestWork)_serializer.FromBinary(_serializer.ToBinary(message), _serializer.Manifest(message));
        back.Worker.Tell("are you there?");

        probe.ExpectMsg("are you there?");
    }

    [Fact]
    public void Deep_equality_notices_a_changed_byte_deep_inside_a_batch()
    {
        // The round-trip theory is only as good as this comparison; prove it can fail.
        var batch = TypicalStoreFiles(4);
        var target = (byte[])LinkTargetBytes.Clone();
        var withTarget = new StoreFiles([.. batch.Files, new HashedFile(new SourceEntry(OddPath, FileMeta(EntryType.File), LinkTargetBytes), new string('A', 40))]);
        var changed = new StoreFiles([.. batch.Files, new HashedFile(new SourceEntry(OddPath, FileMeta(EntryType.File), target), new string('A', 40))]);
        target[^1] ^= 1;
        var reordered = new StoreFiles(batch.Files.Reverse().ToList());
        var otherInode = new StoreFiles([.. batch.Files.Take(3), batch.Files[3] with { Source = batch.Files[3].Source with { Meta = batch.Files[3].Source.Meta with { Inode = 1 } } }]);

        Assert.Empty(DeepEquality.Differences(withTarget, new StoreFiles(withTarget.Files.ToList())));
        Assert.Equal(["Files[4].Source.LinkTarget"], DeepEquality.Differences(withTarget, changed).Select(d => d[..d.IndexOf(':')]));
        Assert.NotEmpty(DeepEquality.Differences(batch, reordered));
        Assert.Equal(["Files[3].Source.Meta.Inode"], DeepEquality.Differences(batch, otherInode).Select(d => d[..d.IndexOf(':')]));
        Assert.NotEmpty(DeepEquality.Differences(new RunFinished(ExitCode.Success, Stats(), null), new RunFinished(ExitCode.Success, Stats(), "")));
    }

    [Fact]
    public void A_typical_StoreFiles_batch_fits_a_frame_and_is_much_smaller_than_json()
    {
        const int FrameLimit = 128_000;
        var batch = TypicalStoreFiles(128);
        var json = new NewtonSoftJsonSerializer((ExtendedActorSystem)Sys);

        var binary = _serializer.ToBinary(batch);
        var text = json.ToBinary(batch);
        AssertSame(batch, json.FromBinary(text, typeof(StoreFiles))); // a fair comparison: JSON round-trips it too

        var (binaryWrite, binaryRead) = Time(() => _serializer.ToBinary(batch), () => _serializer.FromBinary(binary, "SF"));
        var (jsonWrite, jsonRead) = Time(() => json.ToBinary(batch), () => json.FromBinary(text, typeof(StoreFiles)));
        var small = new RequestWork(_probe);
        var smallBinary = _serializer.ToBinary(small);
        var smallJson = json.ToBinary(small);
        var (smallWrite, smallRead) = Time(() => _serializer.ToBinary(small), () => _serializer.FromBinary(smallBinary, "RQ"));
        var (smallJsonWrite, smallJsonRead) = Time(() => json.ToBinary(small), () => json.FromBinary(smallJson, typeof(RequestWork)));
        _output.WriteLine($"StoreFiles x128: binary {binary.Length} B ({binary.Length / 128.0:F1} B/file), write {binaryWrite:F1} us, read {binaryRead:F1} us");
        _output.WriteLine($"StoreFiles x128: json   {text.Length} B ({text.Length / 128.0:F1} B/file), write {jsonWrite:F1} us, read {jsonRead:F1} us");
        _output.WriteLine($"StoreFiles x128: json/binary size ratio {(double)text.Length / binary.Length:F1}, time ratio {(jsonWrite + jsonRead) / (binaryWrite + binaryRead):F1}");
        _output.WriteLine($"RequestWork: binary {smallBinary.Length} B, write {smallWrite:F2} us, read {smallRead:F2} us; json {smallJson.Length} B, write {smallJsonWrite:F2} us, read {smallJsonRead:F2} us");

        Assert.True(binary.Length < FrameLimit / 4, $"a typical batch takes {binary.Length} bytes; the frame limit is {FrameLimit}");
        Assert.True(binary.Length * 3 < text.Length, $"binary {binary.Length} bytes is not much smaller than JSON {text.Length} bytes");
    }

    [Fact]
    public void A_hash_batch_of_files_with_long_paths_still_fits_a_frame()
    {
        // 128 files of one deep folder (a 1,000-byte path is legal: PATH_MAX is 4,096). Cut by
        // count alone, their StoreFiles would pass 128,000 bytes and Akka would drop it, so the
        // coordinator also bounds a batch by the bytes of its names.
        var folder = string.Join('/', Enumerable.Repeat(new string('d', 99), 10));
        var files = TypicalStoreFiles(128).Files.Select(f => f with { Source = f.Source with { Path = $"{folder}/{f.Source.Path}" } }).ToList();
        var queue = new Queue<SourceEntry>(files.Select(f => f.Source));

        var batch = ActorBackup.Actors.Coordinator.HashBatch.Take(queue, maxFiles: 128, maxBytes: 32 << 20);
        var bytes = _serializer.ToBinary(new StoreFiles(files.Take(batch.Count).ToList()));

        Assert.InRange(batch.Count, 1, 127);
        Assert.True(bytes.Length < 128_000, $"a StoreFiles of {batch.Count} files under a {folder.Length}-byte folder takes {bytes.Length} bytes; the frame limit is 128,000");
    }

    [Theory]
    [InlineData("a 1,000-byte ASCII folder", 1_000, "d")]
    [InlineData("a 4,000-byte folder of 2-byte UTF-8 chars", 4_000, "\u00e9")]
    [InlineData("a 4,000-byte folder of bytes that are not UTF-8", 4_000, "\\xff")]
    public void Every_message_made_of_a_hash_batch_fits_a_frame_even_with_the_longest_paths(string what, int folderBytes, string unit)
    {
        // 300 files in one deep folder, cut into batches as the coordinator cuts them. Each
        // message built from one batch (to a remote hasher, back, to the storage node, back)
        // must fit the frame with room for Akka's envelope (recipient and sender paths).
        const int Files = 300, Envelope = 8_000;
        var unitBytes = unit == "\\xff" ? [0xFF] : System.Text.Encoding.UTF8.GetBytes(unit);
        var folderBytesList = new List<byte>();
        while (folderBytes - folderBytesList.Count > unitBytes.Length)
        {
            if (folderBytesList.Count > 0)
                folderBytesList.Add((byte)'/');
            var units = Math.Min(250, folderBytes - folderBytesList.Count) / unitBytes.Length; // names of up to 250 bytes
            folderBytesList.AddRange(Enumerable.Repeat(unitBytes, units).SelectMany(b => b));
        }
        var folder = PathBytes.FromBytes([.. folderBytesList]);
        var root = "/" + folder; // the absolute root in HashWork may be as long
        var queue = new Queue<SourceEntry>(TypicalStoreFiles(Files).Files.Select(f => f.Source with { Path = $"{folder}/{f.Source.Path}" }));
        var batches = 0;
        var largest = 0;

        while (queue.Count > 0)
        {
            var batch = ActorBackup.Actors.Coordinator.HashBatch.Take(queue, maxFiles: 128, maxBytes: 32L << 20);
            batches++;
            var hashed = batch.Select(f => new HashedFile(f, new string('F', 64))).ToList();
            object[] messages =
            [
                new HashWork(batches, root, "sha256", batch), new WorkDone("127.0.0.1:40511", new FilesHashed(batches, hashed, [], long.MaxValue)),
                new StoreFiles(hashed), new FilesStored(hashed, []),
            ];
            foreach (var message in messages)
            {
                var bytes = _serializer.ToBinary(message).Length;
                largest = Math.Max(largest, bytes);
                Assert.True(bytes + Envelope < 128_000, $"{message.GetType().Name} of {batch.Count} files under {what} takes {bytes} bytes; the frame limit is 128,000");
            }
        }

        _output.WriteLine($"{what} ({PathBytes.ToBytes(folder).Length} bytes): {Files} files in {batches} batches, largest message {largest} bytes");
        Assert.True(batches > (Files + 127) / 128, $"{Files} files under {what} made only {batches} batches");
    }

    /// <summary>128 files as a home folder has them: ~40-byte paths, 0644, one owner, SHA1.</summary>
    private static StoreFiles TypicalStoreFiles(int count) => new(Enumerable.Range(0, count)
        .Select(i => new HashedFile(
            new SourceEntry(
                $"alice/Documents/projects/report-{i:D4}.odt",
                new FileMeta(EntryType.File, 0x1A4, 1000, 1000, 20_000 + i * 37, new Timestamp(1_700_000_000 + i, 123_456_789), new Timestamp(1_700_000_100 + i, 987_654_321), 2049, 1_234_567 + (ulong)i, 0, 1)),
            Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(BitConverter.GetBytes(i)))))
        .ToList());

    /// <summary>Mean microseconds per call, each measured for about a quarter of a second after a warm-up.</summary>
    private static (double WriteMicros, double ReadMicros) Time(Action write, Action read)
    {
        for (var i = 0; i < 20; i++)
        {
            write();
            read();
        }
        return (Mean(write), Mean(read));
    }

    private static double Mean(Action action)
    {
        var budget = TimeSpan.FromMilliseconds(250);
        var clock = Stopwatch.StartNew();
        var rounds = 0;
        while (clock.Elapsed < budget || rounds < 10)
        {
            action();
            rounds++;
        }
        return clock.Elapsed.TotalMicroseconds / rounds;
    }

    private static void AssertSame(object expected, object actual)
    {
        var differences = DeepEquality.Differences(expected, actual);
        Assert.True(differences.Count == 0, $"{expected.GetType().Name} changed on the wire:\n{string.Join('\n', differences)}");
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    /// <summary>lstat results at the edges: huge inode and device numbers, nanosecond and pre-1970 times, high uids.</summary>
    private static FileMeta FileMeta(EntryType type) => type switch
    {
        EntryType.File => new(EntryType.File, 0xFED, 4_294_967_294, 65_534, 5_000_000_000_123, new Timestamp(1_700_000_000, 999_999_999), new Timestamp(-1, 1), 0xFFFF_FFFF_FFFF_FFFEUL, ulong.MaxValue, 0, 65_000),
        EntryType.Directory => new(EntryType.Directory, 0x3ED, 0, 0, 4096, new Timestamp(0, 0), new Timestamp(4_102_444_800, 500_000_000), 2049, 9_223_372_036_854_775_808UL, 0, 2),
        EntryType.Symlink => new(EntryType.Symlink, 0x1FF, 1000, 1000, LinkTargetBytes.Length, new Timestamp(1_234_567_890, 1), new Timestamp(1_234_567_890, 2), 64_768, 42, 0, 1),
        _ => new(type, 0x1B0, 0, 6, 0, new Timestamp(1_600_000_000, 100), new Timestamp(1_600_000_000, 200), 5, 3_000_000_000, 0x0000_0105_0000_0001UL, 1),
    };

    private static SourceEntry Root => new("", FileMeta(EntryType.Directory));

    private static SourceEntry[] Entries =>
    [
        new(OddPath, FileMeta(EntryType.File)),
        new(PlainPath, FileMeta(EntryType.File) with { Size = 0, LinkCount = 1 }),
        new($"home/{OddDir}", FileMeta(EntryType.Directory)),
        new($"home/{OddDir}/link", FileMeta(EntryType.Symlink), LinkTargetBytes),
        new("dev/sda", FileMeta(EntryType.BlockDevice)),
        new("run/fifo", FileMeta(EntryType.Fifo), []),
    ];

    private static HashedFile[] Hashed =>
    [
        new(Entries[0], "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"),
        new(Entries[1], "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"),
    ];

    private static FileProblem[] Problems =>
    [
        new(OddPath, $"cannot open: Permission denied ({OddName})"),
        new("", "root folder vanished"),
    ];

    private static RunStats Stats(long seed = 1) => new(
        seed * 1_000_001, 2_000, 30, 4, 5, 5_000_000_000_000, 7, 800_000, 9_000_000_000, long.MaxValue, 11, TimeSpan.FromTicks(123_456_789_012 + seed));

    private static StoreStats StoreStatistics => new(1, 2_000_000_000_000, 3, 4, 5, 6, 7, long.MaxValue);

    private static SessionSpec Spec(string root) =>
        new(root, $"/backup/{OddName}/week10", "/backup/data", 3, "sha256", "content", true, false, true);

    private static FilesHashed HashedBatch => new(long.MaxValue, Hashed, Problems, 5_000_000_000_000);

    /// <summary>One or more instances per message type; null where a field is optional, and filled too.</summary>
    private IEnumerable<object> Samples(Type type)
    {
        object[] samples = type.Name switch
        {
            nameof(SourceEntry) => [Entries[0], Entries[3], Root with { LinkTarget = [] }, Root, Entries[0] with { Known = new KnownContent(new string('C', 40), 65_000, SameOwnership: true) },
                Entries[0] with { Xattrs = [new Xattr(PosixAcl.AccessXattr, [2, 0, 0, 0, 0xFF]), new Xattr("user.\u00e9", [])] }, Root with { Xattrs = [] }],
            nameof(KnownContent) => [new KnownContent(new string('A', 40), 0), new KnownContent(new string('F', 64), int.MaxValue, SameOwnership: true)],
            nameof(FileProblem) => [Problems[0], Problems[1]],
            nameof(HashedFile) => [Hashed[0], Hashed[1], Hashed[0] with { Temp = "4242-h17.tmp" }],
            nameof(WalkDirectory) => [new WalkDirectory("", FileMeta(EntryType.Directory)), new WalkDirectory($"home/{OddDir}", FileMeta(EntryType.Directory))],
            nameof(DirectoryWalked) => [new DirectoryWalked($"home/{OddDir}", Entries, Problems), new DirectoryWalked("", [], [])],
            nameof(HashFiles) => [new HashFiles(0, Entries), new HashFiles(long.MaxValue, [], CopyToStore: true)],
            nameof(FilesHashed) => [HashedBatch, new FilesHashed(-1, [], [], 0)],
            nameof(CopyContent) => [new CopyContent(long.MinValue, Entries[0], "tmp-7f3a", 4_294_967_294, 4_294_967_295, 0xFFF), new CopyContent(3, Entries[0], "t", 0, 0, 0x1A4, "AB/CD/ABCDEF.2")],
            nameof(ContentCopied) => [new ContentCopied(12, Hashed[0].Hash, 5_000_000_000_000)],
            nameof(ContentCopyFailed) => [new ContentCopyFailed(13, "No space left on device", false, WriteFault.NoSpace), new ContentCopyFailed(14, $"{OddName} changed while read", true)],
            nameof(OpenSnapshot) => [new OpenSnapshot(Root)],
            nameof(SnapshotOpened) => [new SnapshotOpened()],
            nameof(CreateEntries) => [new CreateEntries("", Entries), new CreateEntries($"home/{OddDir}", [])],
            nameof(EntriesCreated) => [new EntriesCreated($"home/{OddDir}", Problems, int.MaxValue), new EntriesCreated("", [], 0)],
            nameof(StoreFiles) => [new StoreFiles(Hashed), TypicalStoreFiles(3)],
            nameof(FilesStored) => [new FilesStored(Hashed, Problems), new FilesStored([], []), new FilesStored([], [], Problems)],
            nameof(FinalizeDirectory) => [new FinalizeDirectory(Root), new FinalizeDirectory(Entries[2])],
            nameof(DirectoryFinalized) => [new DirectoryFinalized($"home/{OddDir}", null), new DirectoryFinalized("", Problems[0])],
            nameof(CloseSnapshot) => [new CloseSnapshot(true), new CloseSnapshot(false)],
            nameof(SnapshotClosed) => [new SnapshotClosed(StoreStatistics)],
            nameof(StoreFailed) => [new StoreFailed($"/backup/data/{OddName}: Input/output error"), new StoreFailed("no space left on /backup/data", ExitCode.NoSpace)],
            nameof(StoreStats) => [StoreStatistics, new StoreStats(0, 0, 0, 0, 0, 0, 0, 0)],
            nameof(StartRun) => [new StartRun()],
            nameof(RunFinished) => [new RunFinished(ExitCode.StorageUnreachable, Stats(), null), new RunFinished(ExitCode.Fatal, Stats(2), $"store failed: {OddName}")],
            nameof(ProblemReported) => [new ProblemReported(Problems[0]), new ProblemReported(Problems[0], Notice: true)],
            nameof(ResumeAfterProblem) => [new ResumeAfterProblem()],
            nameof(ProgressReported) => [new ProgressReported(Stats(3), true), new ProgressReported(Stats(4), false)],
            nameof(RunStats) => [Stats(5), new RunStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, TimeSpan.Zero), Stats(6) with { Unchanged = long.MaxValue }],
            nameof(RegisterWorker) => [new RegisterWorker(_probe, "127.0.0.1:40511", 4), new RegisterWorker(TestActor, "", int.MaxValue)],
            nameof(WorkerRegistered) => [new WorkerRegistered()],
            nameof(ServeBroker) => [new ServeBroker(_probe)],
            nameof(GetSourceIdentity) => [new GetSourceIdentity()],
            nameof(SourceIdentity) => [new SourceIdentity($"/srv/{OddDir}", FileMeta(EntryType.Directory), [Entries[0], new SourceEntry(OddName, FileMeta(EntryType.Directory))]),
                new SourceIdentity("/", FileMeta(EntryType.Directory), [])],
            nameof(SourceNotSeen) => [new SourceNotSeen("127.0.0.1:40513", $"/mnt/{OddDir}", "open directory /mnt/x: No such file or directory (ENOENT)")],
            nameof(Relayed) => [new Relayed([new RelayedMessage("SF", [1, 2, 3]), new RelayedMessage("FD", [])]), new Relayed([])],
            nameof(RequestWork) => [new RequestWork(_child)],
            nameof(HashWork) => [new HashWork(99, $"/srv/{OddDir}/", "sha1", Entries), new HashWork(0, "", "sha256", []), new HashWork(7, "/home", "sha1", Entries, $"/backup/{OddDir}/data/.actorbackup/tmp", "content"),
                .. HashKind.All.Select(k => new HashWork(3, "/home", k.Name, Entries))], // a worker hashes with the row the name picks
            nameof(WorkDone) => [new WorkDone("127.0.0.1:40512", HashedBatch)],
            nameof(WalkWork) => [new WalkWork(long.MaxValue, $"/srv/{OddDir}/", new WalkDirectory($"home/{OddDir}", FileMeta(EntryType.Directory)), ulong.MaxValue),
                new WalkWork(1, "/", new WalkDirectory("", FileMeta(EntryType.Directory)), 0)],
            nameof(WalkDone) => [new WalkDone("127.0.0.1:40512", 5, 2, 3, new DirectoryWalked($"home/{OddDir}", Entries, Problems)), new WalkDone("", 0, 0, 0, new DirectoryWalked("", [], []))],
            nameof(OpenSession) => [new OpenSession(Spec("/home/"), _child), new OpenSession(Spec(""), TestActor)],
            nameof(SessionOpened) => [new SessionOpened(_probe, "sha1", 2), .. HashKind.All.Select(k => new SessionOpened(_probe, k.Name, 1))],
            nameof(SessionRefused) => [new SessionRefused(11, "data folder /backup/data is locked by PID 4242"), new SessionRefused(-1, "")],
            nameof(CloseSession) => [new CloseSession(OddName), new CloseSession("")],
            nameof(SessionSpec) => [Spec($"/home/{OddDir}"), Spec("")],
            nameof(SendContent) => [new SendContent(long.MaxValue, Entries[0], _probe)],
            nameof(ContentChunk) => [new ContentChunk(7, 5_000_000_000_000, Enumerable.Range(0, 65_536).Select(i => (byte)(i * 31)).ToArray()), new ContentChunk(8, 0, [])],
            nameof(ChunkAck) => [new ChunkAck(7, 5_000_000_065_536)],
            nameof(ContentEnd) => [new ContentEnd(7, 5_000_000_065_536, null), new ContentEnd(8, 12, $"{OddName}: changed while read")],
            _ => throw new Xunit.Sdk.XunitException($"{type.FullName} is in ProtocolSerializer.Types but has no sample in ProtocolSerializerSpec.Samples; add one"),
        };
        return samples;
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(m => Sender.Tell(m));
    }
}
