using ActorBackup.Core;
using Akka.Actor;
using Akka.Serialization;
using static ActorBackup.Protocol.ClusterProtocol;
using static ActorBackup.Protocol.CoordinatorProtocol;
using static ActorBackup.Protocol.CopierProtocol;
using static ActorBackup.Protocol.DataStoreProtocol;
using static ActorBackup.Protocol.HasherProtocol;
using static ActorBackup.Protocol.WalkerProtocol;

namespace ActorBackup.Protocol.Serialization;

/// <summary>
/// The wire format of every <see cref="IProtocolMessage"/>: a two-letter manifest names the
/// type, the body is compact binary (varints, raw name bytes). Bound in hocon/cluster.conf:
/// Akka's default JSON would embed type names and cost many times more per message.
/// </summary>
public sealed class ProtocolSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Our serializer id; 0-100 are Akka's.</summary>
    public const int Id = 4711;

    public override int Identifier => Id;

    private static readonly Dictionary<Type, string> Manifests = new()
    {
        [typeof(SourceEntry)] = "SE", [typeof(FileProblem)] = "FP", [typeof(HashedFile)] = "HF",
        [typeof(WalkDirectory)] = "WD", [typeof(DirectoryWalked)] = "DW",
        [typeof(HashFiles)] = "HA", [typeof(FilesHashed)] = "HD",
        [typeof(CopyContent)] = "CC", [typeof(ContentCopied)] = "CD", [typeof(ContentCopyFailed)] = "CF",
        [typeof(OpenSnapshot)] = "OS", [typeof(SnapshotOpened)] = "SO", [typeof(CreateEntries)] = "CE",
        [typeof(EntriesCreated)] = "EC", [typeof(StoreFiles)] = "SF", [typeof(FilesStored)] = "FS",
        [typeof(FinalizeDirectory)] = "FD", [typeof(DirectoryFinalized)] = "DF", [typeof(CloseSnapshot)] = "CS",
        [typeof(SnapshotClosed)] = "SC", [typeof(StoreFailed)] = "ST", [typeof(StoreStats)] = "SS",
        [typeof(StartRun)] = "SR", [typeof(RunFinished)] = "RF", [typeof(ProblemReported)] = "PR",
        [typeof(ResumeAfterProblem)] = "RA", [typeof(ProgressReported)] = "PG", [typeof(RunStats)] = "RS",
        [typeof(RegisterWorker)] = "RW", [typeof(WorkerRegistered)] = "WR", [typeof(RequestWork)] = "RQ",
        [typeof(HashWork)] = "HW", [typeof(WorkDone)] = "WO", [typeof(OpenSession)] = "OP",
        [typeof(SessionOpened)] = "SP", [typeof(SessionRefused)] = "SX", [typeof(CloseSession)] = "CL",
        [typeof(SessionSpec)] = "SN", [typeof(SendContent)] = "SD", [typeof(ContentChunk)] = "CK",
        [typeof(ChunkAck)] = "AK", [typeof(ContentEnd)] = "EN", [typeof(KnownContent)] = "KC",
        [typeof(ServeBroker)] = "SB", [typeof(Relayed)] = "RL", [typeof(GetSourceIdentity)] = "GI",
        [typeof(SourceIdentity)] = "SI", [typeof(SourceNotSeen)] = "NS",
        [typeof(WalkWork)] = "WK", [typeof(WalkDone)] = "WN",
    };

    /// <summary>Every message type this serializer knows (for the round-trip tests).</summary>
    public static IReadOnlyCollection<Type> Types => Manifests.Keys;

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var m) ? m : throw new ArgumentException($"{o.GetType()} has no wire manifest");

    public override byte[] ToBinary(object obj)
    {
        using var stream = new MemoryStream();
        using (var bw = new BinaryWriter(stream))
            Write(new WireWriter(bw), obj);
        return stream.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var br = new BinaryReader(new MemoryStream(bytes));
        return Read(new WireReader(br, system), manifest);
    }

    private static void Write(WireWriter w, object obj)
    {
        switch (obj)
        {
            case SourceEntry m: w.Entry(m); break;
            case KnownContent m: w.Str(m.Hash); w.Int(m.Suffix); w.Bool(m.SameOwnership); break;
            case FileProblem m: w.Problem(m); break;
            case HashedFile m: w.Hashed(m); break;
            case WalkDirectory m: w.Path(m.Path); w.Meta(m.Expected); break;
            case DirectoryWalked m: WriteWalked(w, m); break;
            case HashFiles m: w.Long(m.BatchId); w.List(m.Files, w.Entry); w.Bool(m.CopyToStore); break;
            case FilesHashed m: WriteHashed(w, m); break;
            case CopyContent m: w.Long(m.Token); w.Entry(m.Source); w.Str(m.TempName); w.Long(m.Uid); w.Long(m.Gid); w.Long(m.Mode); w.Str(m.FromStore); break;
            case ContentCopied m: w.Long(m.Token); w.Str(m.Hash); w.Long(m.Bytes); break;
            case ContentCopyFailed m: w.Long(m.Token); w.Str(m.Reason); w.Bool(m.SourceProblem); w.Int((int)m.Fault); break;
            case OpenSnapshot m: w.Entry(m.Root); break;
            case SnapshotOpened: break;
            case CreateEntries m: w.Path(m.Directory); w.List(m.Entries, w.Entry); break;
            case EntriesCreated m: w.Path(m.Directory); w.List(m.Problems, w.Problem); w.Int(m.Skipped); break;
            case StoreFiles m: w.List(m.Files, w.Hashed); break;
            case FilesStored m: w.List(m.Done, w.Hashed); w.List(m.Problems, w.Problem); w.List(m.StoreNotices ?? [], w.Problem); break;
            case FinalizeDirectory m: w.Entry(m.Directory); break;
            case DirectoryFinalized m: w.Path(m.Path); w.Problem(m.Problem); break;
            case CloseSnapshot m: w.Bool(m.Publish); break;
            case SnapshotClosed m: WriteStoreStats(w, m.Stats); break;
            case StoreFailed m: w.Str(m.Reason); w.Int((int)m.Code); break;
            case StoreStats m: WriteStoreStats(w, m); break;
            case StartRun: break;
            case RunFinished m: w.Int((int)m.Code); WriteRunStats(w, m.Stats); w.Str(m.FatalReason); break;
            case ProblemReported m: w.Problem(m.Problem); w.Bool(m.Notice); break;
            case ResumeAfterProblem: break;
            case ProgressReported m: WriteRunStats(w, m.Stats); w.Bool(m.Periodic); break;
            case RunStats m: WriteRunStats(w, m); break;
            case RegisterWorker m: w.Ref(m.Worker); w.Str(m.Node); w.Int(m.Capacity); break;
            case WorkerRegistered: break;
            case ServeBroker m: w.Ref(m.Broker); break;
            case GetSourceIdentity: break;
            case SourceIdentity m: w.Path(m.Root); w.Meta(m.RootMeta); w.List(m.Sample, w.Entry); break;
            case SourceNotSeen m: w.Str(m.Node); w.Path(m.Looked); w.Str(m.Reason); break;
            case Relayed m: w.List(m.Messages, x => { w.Str(x.Manifest); w.Bytes(x.Bytes); }); break;
            case RequestWork m: w.Ref(m.Worker); break;
            case HashWork m:
                w.Long(m.BatchId); w.Path(m.Root); w.Str(m.Hash); w.List(m.Files, w.Entry);
                w.Bool(m.TempFolder is not null); if (m.TempFolder is not null) w.Path(m.TempFolder);
                w.Str(m.Share);
                break;
            case WorkDone m: w.Str(m.Node); WriteHashed(w, m.Result); break;
            case WalkWork m: w.Long(m.WalkId); w.Path(m.Root); w.Path(m.Walk.Path); w.Meta(m.Walk.Expected); w.Long((long)m.RootDevice); break;
            case WalkDone m: w.Str(m.Node); w.Long(m.WalkId); w.Int(m.Part); w.Int(m.Parts); WriteWalked(w, m.Result); break;
            case OpenSession m: WriteSpec(w, m.Spec); w.Ref(m.ContentSource); break;
            case SessionOpened m: w.Ref(m.DataStore); w.Str(m.Hash); w.Int(m.Levels); break;
            case SessionRefused m: w.Int(m.ExitCode); w.Str(m.Reason); break;
            case CloseSession m: w.Path(m.SnapshotName); break;
            case SessionSpec m: WriteSpec(w, m); break;
            case SendContent m: w.Long(m.Token); w.Entry(m.Source); w.Ref(m.Receiver); break;
            case ContentChunk m: w.Long(m.Token); w.Long(m.Offset); w.Bytes(m.Bytes); break;
            case ChunkAck m: w.Long(m.Token); w.Long(m.Offset); break;
            case ContentEnd m: w.Long(m.Token); w.Long(m.Bytes); w.Str(m.Problem); break;
            default: throw new ArgumentException($"{obj.GetType()} has no wire format");
        }
    }

    private static object Read(WireReader r, string manifest) => manifest switch
    {
        "SE" => r.Entry(),
        "KC" => new KnownContent(r.S(), r.Int(), r.Bool()),
        "FP" => r.P(),
        "HF" => r.Hashed(),
        "WD" => new WalkDirectory(r.Path(), r.Meta()),
        "DW" => ReadWalked(r),
        "HA" => new HashFiles(r.Long(), r.List(r.Entry), r.Bool()),
        "HD" => ReadHashed(r),
        "CC" => new CopyContent(r.Long(), r.Entry(), r.S(), (uint)r.Long(), (uint)r.Long(), (uint)r.Long(), r.Str()),
        "CD" => new ContentCopied(r.Long(), r.S(), r.Long()),
        "CF" => new ContentCopyFailed(r.Long(), r.S(), r.Bool(), (WriteFault)r.Int()),
        "OS" => new OpenSnapshot(r.Entry()),
        "SO" => new SnapshotOpened(),
        "CE" => new CreateEntries(r.Path(), r.List(r.Entry)),
        "EC" => new EntriesCreated(r.Path(), r.List(r.P), r.Int()),
        "SF" => new StoreFiles(r.List(r.Hashed)),
        "FS" => new FilesStored(r.List(r.Hashed), r.List(r.P), r.List(r.P) is { Count: > 0 } notices ? notices : null),
        "FD" => new FinalizeDirectory(r.Entry()),
        "DF" => new DirectoryFinalized(r.Path(), r.Problem()),
        "CS" => new CloseSnapshot(r.Bool()),
        "SC" => new SnapshotClosed(ReadStoreStats(r)),
        "ST" => new StoreFailed(r.S(), (ExitCode)r.Int()),
        "SS" => ReadStoreStats(r),
        "SR" => new StartRun(),
        "RF" => new RunFinished((ExitCode)r.Int(), ReadRunStats(r), r.Str()),
        "PR" => new ProblemReported(r.P(), r.Bool()),
        "RA" => new ResumeAfterProblem(),
        "PG" => new ProgressReported(ReadRunStats(r), r.Bool()),
        "RS" => ReadRunStats(r),
        "RW" => new RegisterWorker(r.Ref(), r.S(), r.Int()),
        "WR" => new WorkerRegistered(),
        "SB" => new ServeBroker(r.Ref()),
        "GI" => new GetSourceIdentity(),
        "SI" => new SourceIdentity(r.Path(), r.Meta(), r.List(r.Entry)),
        "NS" => new SourceNotSeen(r.S(), r.Path(), r.S()),
        "RL" => new Relayed(r.List(() => new RelayedMessage(r.S(), r.Bytes() ?? []))),
        "RQ" => new RequestWork(r.Ref()),
        "HW" => new HashWork(r.Long(), r.Path(), r.S(), r.List(r.Entry), r.Bool() ? r.Path() : null, r.S()),
        "WO" => new WorkDone(r.S(), ReadHashed(r)),
        "WK" => new WalkWork(r.Long(), r.Path(), new WalkDirectory(r.Path(), r.Meta()), (ulong)r.Long()),
        "WN" => new WalkDone(r.S(), r.Long(), r.Int(), r.Int(), ReadWalked(r)),
        "OP" => new OpenSession(ReadSpec(r), r.Ref()),
        "SP" => new SessionOpened(r.Ref(), r.S(), r.Int()),
        "SX" => new SessionRefused(r.Int(), r.S()),
        "CL" => new CloseSession(r.Path()),
        "SN" => ReadSpec(r),
        "SD" => new SendContent(r.Long(), r.Entry(), r.Ref()),
        "CK" => new ContentChunk(r.Long(), r.Long(), r.Bytes() ?? []),
        "AK" => new ChunkAck(r.Long(), r.Long()),
        "EN" => new ContentEnd(r.Long(), r.Long(), r.Str()),
        _ => throw new ArgumentException($"unknown wire manifest '{manifest}'; are all nodes on the same ActorBackup version?"),
    };

    private static void WriteHashed(WireWriter w, FilesHashed m)
    {
        w.Long(m.BatchId);
        w.List(m.Hashed, w.Hashed);
        w.List(m.Problems, w.Problem);
        w.Long(m.BytesRead);
    }

    private static FilesHashed ReadHashed(WireReader r) => new(r.Long(), r.List(r.Hashed), r.List(r.P), r.Long());

    private static void WriteWalked(WireWriter w, DirectoryWalked m)
    {
        w.Path(m.Path);
        w.List(m.Entries, w.Entry);
        w.List(m.Problems, w.Problem);
    }

    private static DirectoryWalked ReadWalked(WireReader r) => new(r.Path(), r.List(r.Entry), r.List(r.P));

    private static void WriteStoreStats(WireWriter w, StoreStats s)
    {
        foreach (var v in new[] { s.NewEntries, s.NewBytes, s.Links, s.ExistingLinks, s.Directories, s.Symlinks, s.Specials, s.Skipped, s.ClonedEntries, s.ClonedBytes, s.CopiedEntries, s.CopiedBytes })
            w.Long(v);
        w.Bool(s.CanClone);
        w.Bool(s.ExactMtime);
        w.Bool(s.EntriesCarryXattrs);
        w.Long(s.XattrsNotSet);
    }

    private static StoreStats ReadStoreStats(WireReader r) =>
        new(r.Long(), r.Long(), r.Long(), r.Long(), r.Long(), r.Long(), r.Long(), r.Long(), r.Long(), r.Long(), r.Long(), r.Long(), r.Bool(), r.Bool(), r.Bool(), r.Long());

    private static void WriteRunStats(WireWriter w, RunStats s)
    {
        foreach (var v in new[] { s.Files, s.Directories, s.Symlinks, s.Specials, s.Skipped, s.BytesRead, s.Problems, s.NewEntries, s.NewBytes, s.Links, s.LogicalBytes, s.Elapsed.Ticks, s.Unchanged })
            w.Long(v);
        w.Bool(s.Store is not null);
        if (s.Store is not null)
            WriteStoreStats(w, s.Store);
    }

    private static RunStats ReadRunStats(WireReader r) => new(
        r.Long(), r.Long(), r.Long(), r.Long(), r.Long(), r.Long(), r.Long(), r.Long(), r.Long(), r.Long(), r.Long(),
        TimeSpan.FromTicks(r.Long()), r.Long(), r.Bool() ? ReadStoreStats(r) : null);

    private static void WriteSpec(WireWriter w, SessionSpec s)
    {
        w.Path(s.RootFolder);
        w.Path(s.BackupFolder);
        w.Path(s.DataFolder);
        w.Int(s.Levels);
        w.Str(s.Hash);
        w.Str(s.Share);
        w.Bool(s.IgnoreFileExists);
        w.Bool(s.LevelsGiven);
        w.Bool(s.HashGiven);
        w.Str(s.ExactMtime);
    }

    private static SessionSpec ReadSpec(WireReader r) =>
        new(r.Path(), r.Path(), r.Path(), r.Int(), r.S(), r.S(), r.Bool(), r.Bool(), r.Bool(), r.S());
}
