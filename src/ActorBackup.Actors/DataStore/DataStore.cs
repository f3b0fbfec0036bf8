using ActorBackup.Core;
using ActorBackup.Core.Manifest;
using ActorBackup.Core.Store;
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
    private readonly IActorRef _storeCopier;
    private IActorRef? _syncer;
    // Group commit: entries written and waiting for a flush, and the group being flushed.
    private List<PendingContent> _unsynced = [];
    private List<PendingContent> _syncing = [];

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

    /// <param name="storeCopier">Copies between store entries (same content, another owner or mode); null: a local copier of its own.</param>
    public DataStore(RunOptions options, BackupSettings settings, IActorRef copiers, IActorRef? storeCopier = null)
    {
        _options = options;
        _settings = settings;
        _copiers = copiers;
        _store = new ContentStore(options.Store, options.Share, settings.MaxLinksPerEntry);
        _storeCopier = storeCopier ?? Context.ActorOf(Copier.Props(options, settings), "store-copier");
        Working();
    }

    public static Props Props(RunOptions options, BackupSettings settings, IActorRef copiers, IActorRef? storeCopier = null) =>
        Akka.Actor.Props.Create(() => new DataStore(options, settings, copiers, storeCopier)).WithDispatcher(Dispatchers.Store);

    /// <summary>One new content (per share-policy key) on its way into the store, and the files waiting for it.</summary>
    private sealed class PendingContent(string key, string hash, HashedFile source)
    {
        public string Key { get; } = key;
        public string Hash { get; } = hash;
        public HashedFile Source { get; set; } = source;
        public Queue<HashedFile> Waiters { get; } = new();

        /// <summary>The temp file holding the content, once written; it waits for a group commit.</summary>
        public string? Temp { get; set; }
        public long Bytes { get; set; }

        /// <summary>The copy in flight reads a store entry; SourceOnly after that entry proved unusable.</summary>
        public bool FromStore { get; set; }
        public bool SourceOnly { get; set; }
    }

    /// <summary>Runs syncfs(2) on the data folder's file system, off the data-store's thread.</summary>
    private sealed class Syncer : ReceiveActor
    {
        public sealed class Sync
        {
            public static readonly Sync Instance = new();
        }

        public sealed record Done(string? Failure);

        public Syncer(string folder)
        {
            Receive<Sync>(_ =>
            {
                try
                {
                    Files.SyncFileSystem(folder);
                    Sender.Tell(new Done(null));
                }
                catch (PosixException e)
                {
                    Sender.Tell(new Done(e.Message));
                }
            });
        }
    }

    private void Working()
    {
        Receive<OpenSnapshot>(m => Guard(() => Open(m)));
        Receive<CreateEntries>(m => Guard(() => CreateEntries(m)));
        Receive<StoreFiles>(m => Guard(() => StoreFiles(m)));
        Receive<ContentCopied>(m => Guard(() => Committed(m)));
        Receive<ContentCopyFailed>(m => Guard(() => CopyFailed(m)));
        Receive<Syncer.Done>(m => Guard(() =>
        {
            if (m.Failure is not null)
                throw new IOException(m.Failure);
            Synced();
        }));
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

    /// <summary>
    /// Removes the temp files this process wrote (named "PID-..."), after a run that did not
    /// publish: hashers and copiers may have been writing when it stopped. Best effort: what
    /// remains is removed by the next run.
    /// </summary>
    public static void RemoveOwnTempFiles(StoreLayout layout)
    {
        var prefix = $"{Environment.ProcessId}-";
        try
        {
            foreach (var file in Directory.EnumerateFiles(layout.TempFolder, prefix + "*"))
                Files.TryUnlink(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
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

    private string TempPath(string name) => Path.Combine(_options.Store.TempFolder, name);

    /// <summary>
    /// Links one file, in the cheapest way that is right: to the entry the previous snapshot
    /// used (unchanged files), to any entry of its content the share policy allows, or to a
    /// new entry: the hasher's temp copy, or a copy made now.
    /// </summary>
    private void StoreOne(HashedFile file, List<HashedFile> done, List<FileProblem> problems)
    {
        try
        {
            if (file.Source.Known is { } known && known.Hash == file.Hash)
            {
                var outcome = _store.TryLinkKnown(file.Hash, known.Suffix, Wanted(file), _tree!.PathOf(file.Source.Path), _replaceExisting);
                if (outcome is not null)
                {
                    Discard(file.Temp);
                    Linked(file, known.Suffix, outcome.Value, done);
                    return;
                }
                // Entry gone, full, or of another owner or mode now: the general way below.
            }
            var key = KeyOf(file);
            if (_pendingByKey.TryGetValue(key, out var pending))
            {
                Discard(file.Temp);
                pending.Waiters.Enqueue(file with { Temp = null });
                return;
            }
            var target = _tree!.PathOf(file.Source.Path);
            var linked = _store.TryLinkExisting(file.Hash, Wanted(file), target, _replaceExisting, out var suffix);
            if (linked == ContentStore.LinkOutcome.NeedsContent)
            {
                pending = new PendingContent(key, file.Hash, file with { Temp = null });
                _pendingByKey[key] = pending;
                if (file.Temp is not null)
                    Ready(pending, TempPath(file.Temp), file.Source.Meta.Size);
                else
                    StartCopy(pending);
                return;
            }
            Discard(file.Temp);
            Linked(file, suffix, linked, done);
        }
        catch (PosixException p) when (!FatalErrors.Contains(p.Errno))
        {
            Discard(file.Temp);
            problems.Add(new FileProblem(file.Source.Path, $"not in the snapshot: {p.Message}"));
        }
    }

    /// <summary>Removes a hasher's temp copy that is not needed (its content is stored already).</summary>
    private void Discard(string? temp)
    {
        if (temp is not null)
            Files.Unlink(TempPath(temp));
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

    /// <summary>
    /// Has a copier write the content: from a store entry of the same hash when there is one
    /// (another owner or mode, or the entry is full), else from the source file.
    /// </summary>
    private void StartCopy(PendingContent pending)
    {
        var token = ++_nextToken;
        _pendingByToken[token] = pending;
        var w = Wanted(pending.Source);
        var fromStore = pending.SourceOnly ? null : _store.AnyEntry(pending.Hash);
        var copy = new CopyContent(token, pending.Source.Source, $"{Environment.ProcessId}-{token}.tmp", w.Uid, w.Gid, w.Mode, fromStore);
        (fromStore is null ? _copiers : _storeCopier).Tell(copy);
        pending.FromStore = fromStore is not null;
    }

    private void Committed(ContentCopied m)
    {
        if (!_pendingByToken.Remove(m.Token, out var pending))
            return;
        var temp = TempPath($"{Environment.ProcessId}-{m.Token}.tmp");
        if (m.Hash != pending.Hash)
        {
            Files.Unlink(temp);
            if (pending.FromStore)
            {
                // A store entry whose bytes no longer match its name (damaged): never copied
                // on; the content comes from the source instead.
                pending.SourceOnly = true;
                StartCopy(pending);
                return;
            }
            if (pending.Source.Source.Known is not null && pending.Source.Hash == pending.Source.Source.Known.Hash)
            {
                // The hash came from the previous manifest, not from reading the file, and the
                // bytes just copied (checked unchanged while read) say otherwise: the record was
                // wrong. The copy is stored under the hash of its bytes; the files that waited
                // for the recorded hash go round again (the next one is copied in turn).
                var file = new HashedFile(pending.Source.Source with { Known = null }, m.Hash, Path.GetFileName(temp));
                var waiters = pending.Waiters.ToList();
                _pendingByKey.Remove(pending.Key);
                var done = new List<HashedFile>();
                var problems = new List<FileProblem>();
                StoreOne(file, done, problems);
                foreach (var waiter in waiters)
                    StoreOne(waiter, done, problems);
                Report(done, problems);
                return;
            }
            // The bytes written are not the bytes hashed: the file changed in between. The
            // temp file is discarded, never named; the next file with this content is copied instead.
            var changed = new FileProblem(pending.Source.Source.Path, "changed while being read; not in this snapshot, it will be read again next run");
            CopyNextOrForget(pending);
            Report([], [changed]);
            return;
        }
        Ready(pending, temp, m.Bytes);
    }

    /// <summary>
    /// A temp file holds the content; it gets its name once it is durable. With fsync on,
    /// entries wait for the next group commit: one syncfs covers every entry that became
    /// ready while the previous one ran, so a first backup costs one flush per group, not
    /// one per file, and no entry is ever named before its bytes are on disk.
    /// </summary>
    private void Ready(PendingContent pending, string temp, long bytes)
    {
        pending.Temp = temp;
        pending.Bytes = bytes;
        if (!_settings.Fsync)
        {
            var done = new List<HashedFile>();
            var problems = new List<FileProblem>();
            Name(pending, done, problems);
            Report(done, problems);
            return;
        }
        _unsynced.Add(pending);
        SyncIfIdle();
    }

    private void SyncIfIdle()
    {
        if (_syncing.Count > 0 || _unsynced.Count == 0)
            return;
        (_syncing, _unsynced) = (_unsynced, _syncing);
        _syncer ??= Context.ActorOf(Akka.Actor.Props.Create(() => new Syncer(_options.Store.DataFolder)).WithDispatcher(Dispatchers.Io), "syncer");
        _syncer.Tell(Syncer.Sync.Instance);
    }

    private void Synced()
    {
        var done = new List<HashedFile>();
        var problems = new List<FileProblem>();
        foreach (var pending in _syncing)
            Name(pending, done, problems);
        _syncing.Clear();
        Report(done, problems);
        SyncIfIdle();
    }

    /// <summary>Gives a durable temp file its entry name and links every file waiting for it.</summary>
    private void Name(PendingContent pending, List<HashedFile> done, List<FileProblem> problems)
    {
        var suffix = _store.Commit(pending.Temp!, pending.Hash);
        _newEntries++;
        _newBytes += pending.Bytes;
        Interlocked.Increment(ref StoredEntries);
        Interlocked.Add(ref StoredBytes, pending.Bytes);
        _pendingByKey.Remove(pending.Key);

        var files = new List<HashedFile> { pending.Source };
        files.AddRange(pending.Waiters);
        foreach (var file in files)
        {
            try
            {
                if (_store.TryLinkEntry(pending.Hash, suffix, _tree!.PathOf(file.Source.Path), _replaceExisting, out var outcome))
                    Linked(file, suffix, outcome, done);
                else
                    StoreOne(file, done, problems); // entry full: link elsewhere or store anew
            }
            catch (PosixException p) when (!FatalErrors.Contains(p.Errno))
            {
                problems.Add(new FileProblem(file.Source.Path, $"not in the snapshot: {p.Message}"));
            }
        }
    }

    private void CopyFailed(ContentCopyFailed m)
    {
        if (!_pendingByToken.Remove(m.Token, out var pending))
            return;
        if (!m.SourceProblem)
            throw new IOException(m.Reason);
        if (pending.FromStore)
        {
            pending.SourceOnly = true;
            StartCopy(pending);
            return;
        }
        var problem = new FileProblem(pending.Source.Source.Path, m.Reason);
        CopyNextOrForget(pending);
        Report([], [problem]);
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
            {
                _manifest.Dispose();
                RemoveOwnTempFiles(_options.Store);
            }
            Sender.Tell(new SnapshotClosed(stats));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Sender.Tell(new StoreFailed(Describe(e)));
        }
        _manifest = null;
    }

    /// <summary>
    /// Durability order: every store entry's bytes were flushed (group commit) before it got
    /// its name; the run's journal is sorted into the manifest, which is fsynced; one syncfs
    /// flushes the renames, links and the snapshot tree; then the manifest, and last the
    /// snapshot, get their final names (and their folders are fsynced).
    /// </summary>
    private void Publish()
    {
        var layout = _options.Store;
        _manifest!.Complete();
        _manifest.Dispose();
        var manifest = layout.ManifestPath(_options.SnapshotName);
        // The run's garbage goes before the sort makes its own; each sorted run of 20,000
        // lines is garbage once written, and would otherwise pile up in the old generation.
        KeepHeapInBudget(force: true);
        ManifestSorter.Sort(manifest + ".partial", manifest + ".sorting", afterRun: () => KeepHeapInBudget(force: true));
        if (_settings.Fsync)
            Files.SyncFileSystem(layout.DataFolder);
        Files.Rename(manifest + ".sorting", manifest);
        Files.Unlink(manifest + ".partial");
        if (!_inPlace)
            Files.Rename(_tree!.Root, _options.BackupFolder);
        if (_settings.Fsync)
        {
            Files.FsyncDirectory(layout.SnapshotsFolder);
            Files.FsyncDirectory(Path.GetDirectoryName(_options.BackupFolder) ?? "/");
        }
    }

    /// <summary>See heap-budget in hocon/actorbackup.conf.</summary>
    private void KeepHeapInBudget(bool force)
    {
        if (_settings.HeapBudget > 0 && (force || GC.GetTotalMemory(forceFullCollection: false) > _settings.HeapBudget))
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    protected override void PostStop()
    {
        _manifest?.Dispose();
        base.PostStop();
    }
}
