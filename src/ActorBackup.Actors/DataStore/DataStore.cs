using ActorBackup.Core;
using ActorBackup.Core.Manifest;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using Akka.Actor;
using Mono.Unix.Native;
using static ActorBackup.Protocol.CopierProtocol;
using static ActorBackup.Protocol.DataStoreProtocol;

namespace ActorBackup.Actors.DataStore;

/// <summary>
/// The one writer of the data folder and the snapshot tree. It decides whether content is
/// new, has copiers write new content to temp files, gives entries their names, creates
/// every link, directory, symlink and special file, and writes the manifest. It runs on a
/// dedicated single thread; commands come only from the coordinator, in order.
///
/// Content seen twice while its first copy is still being written waits for that copy
/// (one copy per content and ownership, however many files share it).
/// </summary>
public sealed class DataStore : ReceiveActor
{
    private static readonly HashSet<Errno> FatalErrors = [Errno.ENOSPC, Errno.EDQUOT, Errno.EIO, Errno.EROFS];

    private readonly RunOptions _options;
    private readonly BackupSettings _settings;
    private readonly IActorRef _copiers;
    private readonly ContentStore _store;
    private readonly bool _canChown = Files.IsRoot;
    private readonly uint _euid = Files.Euid;
    private readonly uint _egid = Files.Egid;
    private readonly Dictionary<string, PendingContent> _pendingByKey = new(StringComparer.Ordinal);
    private readonly Dictionary<long, PendingContent> _pendingByToken = [];

    /// <summary>New entries and bytes stored by every data-store of this process, for the node's stats line.</summary>
    public static long StoredEntries, StoredBytes;

    private IActorRef _coordinator = ActorRefs.Nobody;
    private SnapshotTree? _tree;
    private ManifestWriter? _manifest;
    private bool _inPlace;
    private bool _replaceExisting;
    private long _nextToken;

    // Only when resuming a partial snapshot: the names each directory got in this run.
    private Dictionary<string, HashSet<string>>? _produced;
    private long _newEntries, _newBytes, _links, _existingLinks, _directories, _symlinks, _specials, _skipped;

    public DataStore(RunOptions options, BackupSettings settings, IActorRef copiers)
    {
        _options = options;
        _settings = settings;
        _copiers = copiers;
        _store = new ContentStore(options.Store, options.Share, settings.MaxLinksPerEntry);
        Working();
    }

    public static Props Props(RunOptions options, BackupSettings settings, IActorRef copiers) =>
        Akka.Actor.Props.Create(() => new DataStore(options, settings, copiers)).WithDispatcher(Dispatchers.Store);

    private sealed class PendingContent(string key, string hash, HashedFile source)
    {
        public string Key { get; } = key;
        public string Hash { get; } = hash;
        public HashedFile Source { get; set; } = source;
        public Queue<HashedFile> Waiters { get; } = new();
    }

    private void Working()
    {
        Receive<OpenSnapshot>(m => Guard(() => Open(m)));
        Receive<CreateEntries>(m => Guard(() => CreateEntries(m)));
        Receive<StoreFiles>(m => Guard(() => StoreFiles(m)));
        Receive<ContentCopied>(m => Guard(() => Committed(m)));
        Receive<ContentCopyFailed>(m => Guard(() => CopyFailed(m)));
        Receive<FinalizeDirectory>(m => Guard(() => Finalize(m)));
        Receive<CloseSnapshot>(Close);
    }

    /// <summary>After a fatal store error only CloseSnapshot is answered: the run is over.</summary>
    private void Failed()
    {
        Receive<CloseSnapshot>(Close);
        ReceiveAny(_ => { });
    }

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _coordinator.Tell(new StoreFailed(Describe(e)));
            Become(Failed);
        }
    }

    private static string Describe(Exception e) =>
        e is PosixException { Errno: Errno.ENOSPC } p ? $"no space left on {p.PathName}" : e.Message;

    private void Open(OpenSnapshot m)
    {
        _coordinator = Sender;
        var layout = _options.Store;
        Files.CreateFolders(layout.TempFolder, 0x1C0);
        Files.CreateFolders(layout.SnapshotsFolder, 0x1C0);
        RemoveLeftoverTempFiles(layout.TempFolder);

        string root;
        if (Files.Exists(_options.BackupFolder))
        {
            // Only reached with --ignorefileexists: fill in what is missing, leave what is there.
            root = _options.BackupFolder;
            _inPlace = true;
        }
        else
        {
            root = _options.PartialFolder;
            // A partial folder left by an interrupted run is resumed: what it holds is checked and replaced when stale.
            _replaceExisting = Files.Exists(root);
            var errno = Files.TryMkdir(root, 0x1C0);
            if (errno != 0 && errno != Errno.EEXIST)
                throw new PosixException(errno, "create snapshot folder", root);
        }
        _tree = new SnapshotTree(root, _replaceExisting);
        if (_replaceExisting)
            _produced = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        _manifest = new ManifestWriter(layout.ManifestPath(_options.SnapshotName) + ".partial", new Dictionary<string, string>
        {
            ["hash"] = layout.Hash.Name(),
            ["levels"] = layout.Levels.ToString(),
            ["share"] = _options.Share.ToString().ToLowerInvariant(),
            ["root"] = PathBytes.Escape(_options.RootFolder),
            ["snapshot"] = PathBytes.Escape(_options.BackupFolder),
            ["started"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
        });
        _manifest.Write(new ManifestEntry("", m.Root.Meta, null, -1, null));
        Sender.Tell(new SnapshotOpened());
    }

    private static void RemoveLeftoverTempFiles(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder))
            Files.Unlink(file);
    }

    private void CreateEntries(CreateEntries m)
    {
        var problems = new List<FileProblem>();
        var skipped = 0;
        foreach (var e in m.Entries)
        {
            try
            {
                switch (e.Meta.Type)
                {
                    case EntryType.Directory:
                        _tree!.CreateDirectory(e);
                        _directories++;
                        break;
                    case EntryType.Symlink:
                        _tree!.CreateSymlink(e);
                        _symlinks++;
                        break;
                    case EntryType.Fifo or EntryType.CharDevice or EntryType.BlockDevice:
                        if (_tree!.CreateSpecial(e))
                            _specials++;
                        else
                            skipped++;
                        break;
                    default:
                        skipped++; // sockets: recorded in the manifest, never recreated
                        break;
                }
                _manifest!.Write(new ManifestEntry(e.Path, e.Meta, null, -1, e.LinkTarget));
                Produced(e.Path);
            }
            catch (PosixException p) when (!FatalErrors.Contains(p.Errno))
            {
                problems.Add(new FileProblem(e.Path, $"not in the snapshot: {p.Message}"));
            }
        }
        _skipped += skipped;
        Sender.Tell(new EntriesCreated(m.Directory, problems, skipped));
    }

    private void StoreFiles(StoreFiles m)
    {
        var done = new List<HashedFile>(m.Files.Count);
        var problems = new List<FileProblem>();
        foreach (var file in m.Files)
            StoreOne(file, done, problems);
        Report(done, problems);
    }

    private Ownership Wanted(HashedFile file) =>
        _options.Share.EntryOwnership(file.Source.Meta, _canChown, _euid, _egid);

    private string KeyOf(HashedFile file)
    {
        if (_options.Share == SharePolicy.Content)
            return file.Hash;
        var w = Wanted(file);
        return $"{file.Hash}:{w.Uid}:{w.Gid}:{w.Mode}";
    }

    private void StoreOne(HashedFile file, List<HashedFile> done, List<FileProblem> problems)
    {
        var key = KeyOf(file);
        if (_pendingByKey.TryGetValue(key, out var pending))
        {
            pending.Waiters.Enqueue(file);
            return;
        }
        try
        {
            var target = _tree!.PathOf(file.Source.Path);
            var outcome = _store.TryLinkExisting(file.Hash, Wanted(file), target, _replaceExisting, out var suffix);
            if (outcome == ContentStore.LinkOutcome.NeedsContent)
            {
                pending = new PendingContent(key, file.Hash, file);
                _pendingByKey[key] = pending;
                StartCopy(pending);
                return;
            }
            Linked(file, suffix, outcome, done);
        }
        catch (PosixException p) when (!FatalErrors.Contains(p.Errno))
        {
            problems.Add(new FileProblem(file.Source.Path, $"not in the snapshot: {p.Message}"));
        }
    }

    private void Linked(HashedFile file, int suffix, ContentStore.LinkOutcome outcome, List<HashedFile> done)
    {
        if (outcome == ContentStore.LinkOutcome.Linked)
            _links++;
        else
            _existingLinks++;
        _manifest!.Write(new ManifestEntry(file.Source.Path, file.Source.Meta, file.Hash, suffix, null));
        Produced(file.Source.Path);
        done.Add(file);
    }

    private void StartCopy(PendingContent pending)
    {
        var token = ++_nextToken;
        _pendingByToken[token] = pending;
        var w = Wanted(pending.Source);
        _copiers.Tell(new CopyContent(token, pending.Source.Source, $"{Environment.ProcessId}-{token}.tmp", w.Uid, w.Gid, w.Mode));
    }

    private void Committed(ContentCopied m)
    {
        if (!_pendingByToken.Remove(m.Token, out var pending))
            return;
        var temp = Path.Combine(_options.Store.TempFolder, $"{Environment.ProcessId}-{m.Token}.tmp");
        var done = new List<HashedFile>();
        var problems = new List<FileProblem>();
        if (m.Hash != pending.Hash)
        {
            // The bytes written are not the bytes hashed: the file changed in between. The
            // temp file is discarded, never named; the next file with this content is copied instead.
            Files.Unlink(temp);
            problems.Add(new FileProblem(pending.Source.Source.Path, "changed while being read; not in this snapshot, it will be read again next run"));
            CopyNextOrForget(pending);
            Report(done, problems);
            return;
        }
        var suffix = _store.Commit(temp, m.Hash);
        _newEntries++;
        _newBytes += m.Bytes;
        Interlocked.Increment(ref StoredEntries);
        Interlocked.Add(ref StoredBytes, m.Bytes);
        _pendingByKey.Remove(pending.Key);

        var files = new List<HashedFile> { pending.Source };
        files.AddRange(pending.Waiters);
        foreach (var file in files)
        {
            try
            {
                if (_store.TryLinkEntry(m.Hash, suffix, _tree!.PathOf(file.Source.Path), _replaceExisting, out var outcome))
                    Linked(file, suffix, outcome, done);
                else
                    StoreOne(file, done, problems); // entry full: link elsewhere or store anew
            }
            catch (PosixException p) when (!FatalErrors.Contains(p.Errno))
            {
                problems.Add(new FileProblem(file.Source.Path, $"not in the snapshot: {p.Message}"));
            }
        }
        Report(done, problems);
    }

    private void CopyFailed(ContentCopyFailed m)
    {
        if (!_pendingByToken.Remove(m.Token, out var pending))
            return;
        if (!m.SourceProblem)
            throw new IOException(m.Reason);
        CopyNextOrForget(pending);
        Report([], [new FileProblem(pending.Source.Source.Path, m.Reason)]);
    }

    private void CopyNextOrForget(PendingContent pending)
    {
        if (pending.Waiters.TryDequeue(out var next))
        {
            pending.Source = next;
            StartCopy(pending);
        }
        else
            _pendingByKey.Remove(pending.Key);
    }

    private void Produced(string path)
    {
        if (_produced is null)
            return;
        var parent = PathBytes.Parent(path);
        if (!_produced.TryGetValue(parent, out var names))
            _produced[parent] = names = new HashSet<string>(StringComparer.Ordinal);
        names.Add(path[(path.LastIndexOf('/') + 1)..]);
    }

    /// <summary>Tells the coordinator, in messages of at most 256 files (one content may wait for thousands).</summary>
    private void Report(List<HashedFile> done, List<FileProblem> problems)
    {
        const int Max = 256;
        for (var i = 0; i < done.Count; i += Max)
            _coordinator.Tell(new FilesStored(done.GetRange(i, Math.Min(Max, done.Count - i)), []));
        for (var i = 0; i < problems.Count; i += Max)
            _coordinator.Tell(new FilesStored([], problems.GetRange(i, Math.Min(Max, problems.Count - i))));
    }

    private void Finalize(FinalizeDirectory m)
    {
        FileProblem? problem = null;
        try
        {
            HashSet<string>? keep = null;
            if (_produced is not null && !_produced.Remove(m.Directory.Path, out keep))
                keep = [];
            _tree!.Finalize(m.Directory, keep);
        }
        catch (PosixException p) when (!FatalErrors.Contains(p.Errno))
        {
            problem = new FileProblem(m.Directory.Path, $"owner, mode or times not set: {p.Message}");
        }
        Sender.Tell(new DirectoryFinalized(m.Directory.Path, problem));
    }

    private void Close(CloseSnapshot m)
    {
        var stats = new StoreStats(_newEntries, _newBytes, _links, _existingLinks, _directories, _symlinks, _specials, _skipped);
        if (_manifest is null)
        {
            Sender.Tell(new SnapshotClosed(stats));
            return;
        }
        try
        {
            if (m.Publish)
                Publish();
            else
                _manifest.Dispose();
            Sender.Tell(new SnapshotClosed(stats));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Sender.Tell(new StoreFailed(Describe(e)));
        }
        _manifest = null;
    }

    /// <summary>
    /// Durability order: store entries were fsynced by the copiers before their rename; the
    /// manifest is completed and fsynced; one syncfs flushes the renames and the snapshot
    /// tree; then the manifest, and last the snapshot, get their final names.
    /// </summary>
    private void Publish()
    {
        var layout = _options.Store;
        _manifest!.Complete();
        _manifest.Dispose();
        if (_settings.Fsync)
            Files.SyncFileSystem(layout.DataFolder);
        var manifest = layout.ManifestPath(_options.SnapshotName);
        Files.Rename(manifest + ".partial", manifest);
        if (!_inPlace)
            Files.Rename(_tree!.Root, _options.BackupFolder);
        if (_settings.Fsync)
        {
            Files.FsyncDirectory(layout.SnapshotsFolder);
            Files.FsyncDirectory(Path.GetDirectoryName(_options.BackupFolder) ?? "/");
        }
    }

    protected override void PostStop()
    {
        _manifest?.Dispose();
        base.PostStop();
    }
}
