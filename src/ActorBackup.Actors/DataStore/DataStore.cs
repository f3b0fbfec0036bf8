using System.Globalization;
using System.Text;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Catalog;
using ActorBackup.Store.Manifest;
using Akka.Actor;
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
///
/// This file: the run's life cycle (open, directories and special files, finalize,
/// publish). DataStore.Content.cs: regular files, from link to new entry.
/// </summary>
public sealed partial class DataStore : TypeSwitchActor
{
    /// <summary>
    /// Errors that stop the run (the store cannot go on), not only the file at hand: the
    /// file system's (full, quota, I/O error, read-only). EXDEV: the snapshot is reached
    /// through another mount than the store, so no link can succeed.
    /// </summary>
    internal static bool StopsTheRun(PosixException p) => p.IsFileSystemWide;

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

    /// <summary>How many of the new entries and bytes the node's monitor has been told of.</summary>
    private long _reportedEntries, _reportedBytes;

    private IActorRef _coordinator = ActorRefs.Nobody;
    private SnapshotTree? _tree;
    private IActorRef? _finisher;

    // The snapshot's folders being filled, held open (most files of a folder arrive together).
    private readonly OpenDirectories _snapshotDirs = new(64);
    private ManifestWriter? _manifest;
    private bool _inPlace;
    private bool _replaceExisting;
    private long _nextToken;

    // Only when resuming a partial snapshot: the names each directory got in this run.
    private Dictionary<string, HashSet<string>>? _produced;
    private long _newEntries, _newBytes, _links, _existingLinks, _directories, _symlinks, _specials, _skipped;
    // New entries of a content the store held already: reflink clones (no data blocks of their
    // own) and whole copies (where the file system cannot clone).
    private long _clonedEntries, _clonedBytes, _copiedEntries, _copiedBytes;

    /// <summary>The data folder's file system cloned a probe file at Open: further entries of a content are clones.</summary>
    private bool _canClone;

    /// <summary>The previous snapshot's entries had their files' own mtimes, so its entries can be trusted to fit by mtime too.</summary>
    private bool _previousOwnMtime;

    /// <summary>
    /// Store entries carry their files' xattrs (--share=owner, and the data folder's file
    /// system keeps them: probed at Open), so the xattrs are part of the share key.
    /// </summary>
    private bool _entriesCarryXattrs;

    /// <summary>The previous snapshot's entries carried their files' xattrs too: its entries can be trusted to fit by them.</summary>
    private bool _previousOwnXattrs;

    /// <summary>Xattrs the snapshot's entries, folders and symlinks could not get (shared with the finisher).</summary>
    private XattrFailures _xattrFailures = NewXattrFailures();

    /// <summary>The store's temp folder has a default ACL: new entries would inherit it unless given their list.</summary>
    private bool _tempInherits;

    private static XattrFailures NewXattrFailures() =>
        new("the data folder", "the snapshot does not show it; the manifest keeps it and restore sets it");
    // Files that could not be linked into the snapshot (not source problems: those never get here).
    private long _linkFailures;


    /// <param name="storeCopier">Copies between store entries (same content, another owner or mode); null: a local copier of its own.</param>
    public DataStore(RunOptions options, BackupSettings settings, IActorRef copiers, IActorRef? storeCopier = null)
    {
        _options = options;
        _settings = settings;
        _copiers = copiers;
        _store = new ContentStore(options.Store, options.Share, settings.MaxLinksPerEntry, _snapshotDirs);
        _storeCopier = storeCopier ?? Context.ActorOf(Copier.Props(options, settings), ActorNames.StoreCopier);
        Working();
    }

    public static Props Props(RunOptions options, BackupSettings settings, IActorRef copiers, IActorRef? storeCopier = null) =>
        Akka.Actor.Props.Create(() => new DataStore(options, settings, copiers, storeCopier)).WithDispatcher(Dispatchers.Store);

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
                throw FileSystemFull.WithFault(m.Failure, m.Fault);
            Synced();
        }));
        Receive<FinalizeDirectory>(m => Guard(() => Finalize(m)));
        Receive<LinkWorker.Done>(m => Guard(() => LinksMade(m)));
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
            var (reason, code) = StoreFull.Failure(e, _options.Store.DataFolder);
            _coordinator.Tell(new StoreFailed(reason, code));
            Become(Failed);
        }
    }

    private void Open(OpenSnapshot m)
    {
        _coordinator = Sender;
        var layout = _options.Store;
        Files.CreateFolders(layout.TempFolder, 0x1C0);
        foreach (var folder in layout.TempFolders)
            Files.CreateFolders(folder, 0x1C0);
        Files.CreateFolders(layout.SnapshotsFolder, 0x1C0);
        foreach (var file in TempFiles.List(layout))
            Files.Unlink(file);
        RemovePublishLeftovers(layout, _options.SnapshotName);

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
            PosixException.ThrowUnlessMadeOrExists(errno, "create snapshot folder", root);
        }
        ProbeClones(layout);
        ProbeXattrs(layout);
        _snapshotDirs.Clear(); // nothing held from an earlier snapshot of this data-store
        var inherits = HasDefaultAcl(root);
        _tree = new SnapshotTree(root, _replaceExisting, _snapshotDirs, _xattrFailures, inherits);
        if (_finisher is not null)
            Context.Stop(_finisher); // an earlier snapshot's
        _finisher = Context.ActorOf(Finisher.Props(root, layout.DataFolder, _xattrFailures, inherits));
        if (_replaceExisting)
            _produced = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        StartLinkWorkers();
        var manifest = layout.ManifestPath(_options.SnapshotName);
        _manifest = new ManifestWriter(manifest + ".partial", new Dictionary<string, string>
        {
            ["hash"] = layout.Hash.Name,
            ["levels"] = layout.Levels.ToString(),
            ["share"] = _options.Share.ToString().ToLowerInvariant(),
            ["root"] = PathBytes.Escape(_options.RootFolder),
            ["snapshot"] = PathBytes.Escape(_options.BackupFolder),
            ["started"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            [ManifestFormat.XattrsHeader] = ManifestFormat.XattrsAll,
            [ManifestFormat.EntryXattrsHeader] = _entriesCarryXattrs ? ManifestFormat.EntryXattrsOwn : ManifestFormat.EntryXattrsNone,
            [ManifestFormat.EntriesHeader] = _canClone ? ManifestFormat.EntriesClone : ManifestFormat.EntriesCopy,
            [ManifestFormat.EntryMtimeHeader] = _store.ExactMtime ? ManifestFormat.EntryMtimeOwn : ManifestFormat.EntryMtimeFirst,
        }, sortedPath: manifest + ".sorting");
        _manifest.Write(new ManifestEntry("", m.Root.Meta, null, -1, null, m.Root.Xattrs));
        Sender.Tell(new SnapshotOpened());
    }

    /// <summary>
    /// Whether further entries of a content can be clones here (one probe clone in the temp
    /// folder), and so whether entries are shared by mtime too (--exact-mtime=auto). A store
    /// whose previous snapshot did not share by mtime has its entries stat'ed before an
    /// unchanged file is linked to one (their mtime may be another file's).
    /// </summary>
    private void ProbeClones(StoreLayout layout)
    {
        var errno = Reflink.Probe(layout.TempFolder);
        _canClone = errno == 0;
        _store.ExactMtime = _options.ExactMtime.Resolve(_options.Share, _canClone);
        _previousOwnMtime = _options.PreviousManifest is { } previous && File.Exists(previous)
            && ManifestReader.ReadLeadingHeader(previous).GetValueOrDefault(ManifestFormat.EntryMtimeHeader) == ManifestFormat.EntryMtimeOwn;
    }

    /// <summary>
    /// Whether the data folder's file system keeps xattrs (one probe file in the temp folder).
    /// Where it does not, a run says so once and goes on: entries are shared without them
    /// (modes narrowed by ACLs), the manifest still keeps every xattr for restore.
    /// </summary>
    private void ProbeXattrs(StoreLayout layout)
    {
        _xattrFailures = NewXattrFailures();
        var errno = ExtendedAttributes.Probe(layout.TempFolder);
        if (errno != 0)
            _xattrFailures.Note(layout.DataFolder, [("user.*", errno)], count: false);
        _entriesCarryXattrs = errno == 0 && _options.Share == SharePolicy.Owner;
        _store.EntriesCarryXattrs = _entriesCarryXattrs;
        _tempInherits = errno == 0 && HasDefaultAcl(layout.TempFolder);
        _previousOwnXattrs = _options.PreviousManifest is { } previous && File.Exists(previous)
            && ManifestReader.ReadLeadingHeader(previous).GetValueOrDefault(ManifestFormat.EntryXattrsHeader) == ManifestFormat.EntryXattrsOwn;
    }

    /// <summary>Whether entries made in <paramref name="folder"/> inherit ACLs (it has a default ACL, as its parent did).</summary>
    private static bool HasDefaultAcl(string folder)
    {
        using var dir = DirectoryHandle.Open(folder);
        return dir.OwnXattr(PosixAcl.DefaultXattr) is not null;
    }

    /// <summary>
    /// Removes what an earlier run of this snapshot left while publishing, if it was killed or
    /// ran out of space there: the sorted manifest not yet renamed, the sort's run files (a
    /// long journal is sorted in runs, and a later sort may need fewer, so nothing else would
    /// ever remove them), and the summary's temp file. Other snapshots' files are not touched.
    /// </summary>
    private static void RemovePublishLeftovers(StoreLayout layout, string name)
    {
        var sorting = name + ".manifest.sorting";
        var summary = name + SnapshotList.SummarySuffix + ".tmp";
        List<string> names;
        using (var dir = DirectoryHandle.Open(layout.SnapshotsFolder))
            names = dir.ListNames();
        foreach (var leftover in names.Where(n => n == sorting || n == summary || n.StartsWith(sorting + ".run", StringComparison.Ordinal)))
            Files.Unlink(Path.Combine(layout.SnapshotsFolder, leftover));
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
            foreach (var file in TempFiles.List(layout).Where(f => Path.GetFileName(f).StartsWith(prefix, StringComparison.Ordinal)))
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
                _manifest!.Write(new ManifestEntry(e.Path, e.Meta, null, -1, e.LinkTarget, e.Xattrs));
                Produced(e.Path);
            }
            catch (PosixException p) when (!StopsTheRun(p))
            {
                problems.Add(new FileProblem(e.Path, $"not in the snapshot: {p.Message}"));
            }
        }
        _skipped += skipped;
        TellXattrNotices();
        Sender.Tell(new EntriesCreated(m.Directory, problems, skipped));
    }

    private StoreStats Stats() => new(_newEntries, _newBytes, _links, _existingLinks, _directories, _symlinks, _specials, _skipped,
        _clonedEntries, _clonedBytes, _copiedEntries, _copiedBytes, _canClone, _store.ExactMtime,
        _entriesCarryXattrs, _xattrFailures.Entries);

    private void Produced(string path)
    {
        if (_produced is null)
            return;
        var parent = PathBytes.Parent(path);
        if (!_produced.TryGetValue(parent, out var names))
            _produced[parent] = names = new HashSet<string>(StringComparer.Ordinal);
        names.Add(path[(path.LastIndexOf('/') + 1)..]);
    }

    private void Finalize(FinalizeDirectory m)
    {
        if (_produced is null)
        {
            // Nothing to remove: owner, mode and times are set on the finisher's thread.
            _finisher!.Forward(m);
            return;
        }
        FileProblem? problem = null;
        try
        {
            if (!_produced.Remove(m.Directory.Path, out var keep))
                keep = [];
            _tree!.Finalize(m.Directory, keep);
        }
        catch (PosixException p) when (!StopsTheRun(p))
        {
            problem = new FileProblem(m.Directory.Path, $"owner, mode or times not set: {p.Message}");
        }
        Sender.Tell(new DirectoryFinalized(m.Directory.Path, problem));
    }

    private void Close(CloseSnapshot m)
    {
        StopLinkWorkers();
        TellXattrNotices(); // the finisher's, set on folders since the last report
        var stats = Stats();
        if (_manifest is null)
        {
            Sender.Tell(new SnapshotClosed(stats));
            return;
        }
        try
        {
            if (m.Publish && _links + _existingLinks == 0 && _linkFailures > 0)
            {
                // Not the files: the store or the snapshot folder is wrong (each link failed).
                // A snapshot holding none of its files must never pass for a backup.
                _manifest.Dispose();
                RemoveOwnTempFiles(_options.Store);
                Sender.Tell(new StoreFailed($"none of the {_linkFailures} files could be linked into the snapshot (each is listed above)"));
                _manifest = null;
                return;
            }
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
            var (reason, code) = StoreFull.Failure(e, _options.Store.DataFolder);
            Sender.Tell(new StoreFailed(reason, code));
        }
        _manifest = null;
    }

    /// <summary>
    /// Durability order: every store entry's bytes were flushed (group commit) before it got
    /// its name; the manifest (sorted as the journal was written) is written and takes the
    /// journal's name (NAME.manifest.partial); one syncfs flushes it with the renames, links
    /// and the snapshot tree; then the manifest, and last the snapshot, get their final names
    /// (and their folders are fsynced). The run's summary (NAME.summary: new content stored)
    /// is written before that syncfs.
    /// </summary>
    private void Publish()
    {
        var layout = _options.Store;
        _manifest!.Complete();
        var manifest = layout.ManifestPath(_options.SnapshotName);
        if (_settings.Fsync)
            FlushAhead(layout.DataFolder);
        // The run's garbage goes before the merge claims its buffers.
        HeapBudget.Keep(_settings.HeapBudget, force: true);
        // Sorted as it was written (all but the last 20,000 lines are in sorted runs by now).
        // Not fsynced on its own: the syncfs below flushes it with the tree, before its rename.
        try
        {
            _manifest.WriteSorted(fsync: false);
        }
        finally
        {
            _manifest.Dispose();
        }
        // The sorted manifest replaces the journal under its name: the same entries, so a
        // crash from here on still leaves an unfinished run's journal, and the journal's
        // pages (about 8 MB for 100,000 files), still unwritten, are dropped instead of
        // written by the syncfs below only to be removed.
        Files.Rename(manifest + ".sorting", manifest + ".partial");
        // What this run added, for `list`: durable (the syncfs below) before the manifest is published.
        WriteSummary(layout, _options.SnapshotName, Stats());
        if (_settings.Fsync)
            Files.SyncFileSystem(layout.DataFolder);
        Files.Rename(manifest + ".partial", manifest);
        _snapshotDirs.Clear();
        if (!_inPlace)
            Files.Rename(_tree!.Root, _options.BackupFolder);
        if (_settings.Fsync)
        {
            Files.FsyncDirectory(layout.SnapshotsFolder);
            Files.FsyncDirectory(Path.GetDirectoryName(_options.BackupFolder) ?? "/");
        }
    }

    /// <summary>
    /// Starts a syncfs on a pool thread and returns at once. Most of what the publishing
    /// syncfs must write is dirty by now (the snapshot's new folders, the link counts of every
    /// linked inode, a noticeable write after an incremental of many files); this one writes
    /// it while the journal is sorted, and that syncfs (which still covers everything: it
    /// waits for writes in flight) finds less left. A failure here is that syncfs's to report.
    /// </summary>
    private static void FlushAhead(string dataFolder) =>
        ThreadPool.UnsafeQueueUserWorkItem(_ =>
        {
            try
            {
                Files.SyncFileSystem(dataFolder);
            }
            catch (PosixException)
            {
            }
        }, null);

    protected override void PreStart()
    {
        ThreadNice.RestoreCurrentThread(); // a pinned thread: this actor's alone
        base.PreStart();
    }

    protected override void PostStop()
    {
        _manifest?.Dispose();
        _snapshotDirs.Dispose();
        _store.Dispose();
        base.PostStop();
    }

    /// <summary>
    /// Writes NAME.summary (to a temp name, then renamed): the new content a run stored, for
    /// list. Called by the data-store as it publishes, before the syncfs that makes it durable
    /// with the snapshot and before the manifest gets its final name, so a published
    /// snapshot's summary is on disk. Not fsynced on its own: that syncfs follows.
    /// </summary>
    private static void WriteSummary(StoreLayout layout, string name, StoreStats s)
    {
        var path = SnapshotList.SummaryPath(layout, name);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096))
        {
            file.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
                $"new-files {s.NewEntries}\nnew-bytes {s.NewBytes}\nlinks {s.Links}\n" +
                $"cloned-files {s.ClonedEntries}\ncloned-bytes {s.ClonedBytes}\ncopied-files {s.CopiedEntries}\ncopied-bytes {s.CopiedBytes}\n" +
                $"entries {(s.CanClone ? "clone" : "copy")}\nentry-mtime {(s.ExactMtime ? "own" : "first")}\n" +
                $"entry-xattrs {(s.EntriesCarryXattrs ? "own" : "none")}\nxattrs-not-set {s.XattrsNotSet}\n" +
                $"finished {DateTime.UtcNow:yyyy-MM-dd'T'HH:mm:ss'Z'}\n")));
        }
        File.Move(temp, path, overwrite: true);
    }
}
