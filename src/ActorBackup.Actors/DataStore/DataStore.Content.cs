using ActorBackup.Actors.Cluster;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Manifest;
using Akka.Actor;
using static ActorBackup.Protocol.CopierProtocol;
using static ActorBackup.Protocol.DataStoreProtocol;

namespace ActorBackup.Actors.DataStore;

/// <summary>
/// Regular files: link to the entry the previous snapshot named, to another entry the share
/// policy allows, or to a new entry (the hasher's temp copy or a copier's), which is named
/// only after a group commit made its bytes durable.
/// </summary>
public sealed partial class DataStore
{
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

        /// <summary>The temp file is a reflink clone of an entry of the same content.</summary>
        public bool Cloned { get; set; }

        /// <summary>
        /// Entries of the same content for other owners, modes or mtimes that wait for this
        /// one, the content's first, to be named: then they are cloned from it.
        /// </summary>
        public List<PendingContent> Followers { get; } = [];
    }

    /// <summary>Per hash, the pending entry that will be its content's first in the store (only where entries are cloned).</summary>
    private readonly Dictionary<string, PendingContent> _firstOfHash = new(StringComparer.Ordinal);

    private void StoreFiles(StoreFiles m)
    {
        var done = new List<HashedFile>(m.Files.Count);
        var problems = new List<FileProblem>();
        foreach (var file in m.Files)
            StoreOne(file, done, problems);
        Report(done, problems);
    }

    private Ownership Wanted(HashedFile file) =>
        _options.Share.EntryOwnership(file.Source.Meta, file.Source.Xattrs, _canChown, _euid, _egid, _entriesCarryXattrs);

    private string KeyOf(HashedFile file)
    {
        if (_options.Share == SharePolicy.Content)
            return file.Hash;
        var w = Wanted(file);
        return _store.ExactMtime
            ? $"{file.Hash}:{w.Uid}:{w.Gid}:{w.Mode}:{w.Xattrs}:{file.Source.Meta.Mtime}"
            : $"{file.Hash}:{w.Uid}:{w.Gid}:{w.Mode}:{w.Xattrs}";
    }

    /// <summary>
    /// Whether the entry the previous snapshot linked an unchanged file to (same owner, group
    /// and mode) fits it without a look: that snapshot shared entries by mtime and by xattrs
    /// the way this run does (a file without xattrs fits an entry either way: entries made
    /// without them carry none).
    /// </summary>
    private bool Trusted(HashedFile file, KnownContent known) =>
        known.SameOwnership
        && (!_store.ExactMtime || _previousOwnMtime)
        && (file.Source.Xattrs is not { Count: > 0 } || _entriesCarryXattrs == _previousOwnXattrs);

    private string TempPath(string name) => Path.Combine(_options.Store.TempFolder, name);

    private static string CopyTempName(long token) => StoreLayout.TempName(token, $"{Environment.ProcessId}-{token}.tmp");

    /// <summary>
    /// Links one file, in the cheapest way that is right: to the entry the previous snapshot
    /// used (unchanged files), to any entry of its content the share policy allows, or to a
    /// new entry: the hasher's temp copy, or a copy made now.
    /// </summary>
    /// <param name="delegateLink">An unchanged file's link to its previous entry may go to a link worker (see <see cref="Delegate"/>).</param>
    private void StoreOne(HashedFile file, List<HashedFile> done, List<FileProblem> problems, bool delegateLink = true)
    {
        try
        {
            if (file.Source.Known is { } known && known.Hash == file.Hash)
            {
                if (delegateLink && Delegate(file, known))
                    return;
                var outcome = _store.TryLinkKnown(file.Hash, file.Source.Meta.Size, known.Suffix, Wanted(file), file.Source.Meta.Mtime, Trusted(file, known), _tree!.PathOf(file.Source.Path), _replaceExisting);
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
            var linked = _store.TryLinkExisting(file.Hash, file.Source.Meta.Size, Wanted(file), file.Source.Meta.Mtime, target, _replaceExisting, out var suffix);
            if (linked == ContentStore.LinkOutcome.NeedsContent)
            {
                pending = new PendingContent(key, file.Hash, file with { Temp = null });
                _pendingByKey[key] = pending;
                if (_canClone && _firstOfHash.TryGetValue(file.Hash, out var first))
                {
                    // The content's first entry is still on its way: cloned from it once named.
                    Discard(file.Temp);
                    first.Followers.Add(pending);
                    return;
                }
                if (_canClone && TryClone(pending))
                {
                    Discard(file.Temp);
                    return;
                }
                if (_canClone)
                    _firstOfHash[file.Hash] = pending;
                if (file.Temp is not null)
                    Ready(pending, TempPath(file.Temp), file.Source.Meta.Size);
                else
                    StartCopy(pending);
                return;
            }
            Discard(file.Temp);
            Linked(file, suffix, linked, done);
        }
        catch (PosixException p) when (!StopsTheRun(p))
        {
            Discard(file.Temp);
            _linkFailures++;
            problems.Add(new FileProblem(file.Source.Path, $"not in the snapshot: {p.Message}"));
        }
    }

    /// <summary>
    /// Makes the pending entry a reflink clone of an entry of the same content, when there is
    /// one: its own inode (owner, mode, mtime of the file) on the other's data blocks, nothing
    /// read or written but metadata. The clone waits for the group commit like any new entry.
    /// False when there is nothing to clone, or the clone failed for a reason that does not
    /// stop the run (the entry is then copied, as where the file system cannot clone; a
    /// file system that stops cloning is not asked again this run).
    /// </summary>
    private bool TryClone(PendingContent pending)
    {
        var file = pending.Source;
        var token = ++_nextToken;
        var temp = TempPath(CopyTempName(token));
        var w = Wanted(file);
        var outcome = _store.TryClone(file.Hash, file.Source.Meta.Size, temp, w, file.Source.Meta.Mtime, _canChown);
        if (outcome == CloneOutcome.NoEntry)
            return false; // the first entry of this content: written as always
        if (outcome != CloneOutcome.Cloned)
        {
            if (outcome == CloneOutcome.Unsupported)
                _canClone = false;
            return false;
        }
        pending.Cloned = true;
        Ready(pending, temp, file.Source.Meta.Size);
        return true;
    }

    /// <summary>
    /// The content's first entry is named, or will not be (its file changed or vanished): the
    /// entries waiting to be cloned from it are cloned now, or copied (from the store when it
    /// has the content, else from their own source files).
    /// </summary>
    private void ReleaseFollowers(PendingContent first)
    {
        if (_firstOfHash.TryGetValue(first.Hash, out var registered) && registered == first)
            _firstOfHash.Remove(first.Hash);
        foreach (var follower in first.Followers)
        {
            if (!(_canClone && TryClone(follower)))
                StartCopy(follower);
        }
        first.Followers.Clear();
    }

    /// <summary>The xattr failures not yet told (each kind once per run; the finisher's too).</summary>
    private void TellXattrNotices()
    {
        var notices = _xattrFailures.TakeNotices();
        if (notices.Count > 0)
            _coordinator.Tell(new FilesStored([], [], notices.ConvertAll(n => new FileProblem(n.Path, n.Reason))));
    }

    /// <summary>
    /// Gives a new entry, before it is named, the xattrs of the file it is made for, where
    /// entries carry them. Where the temp folder has a default ACL (inherited from where the
    /// data folder was made), every new entry is given exactly its list, so none carries an
    /// ACL its files do not have.
    /// </summary>
    private void SetEntryXattrs(HashedFile file, string temp)
    {
        var xattrs = _entriesCarryXattrs ? file.Source.Xattrs : null;
        if (xattrs is { Count: > 0 } || _tempInherits)
            _xattrFailures.Note(PathBytes.Escape(file.Source.Path), ExtendedAttributes.TrySetAll(temp, xattrs));
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
        _manifest!.Write(new ManifestEntry(file.Source.Path, file.Source.Meta, file.Hash, suffix, null, file.Source.Xattrs));
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
        var fromStore = pending.SourceOnly ? null : _store.AnyEntry(pending.Hash, pending.Source.Source.Meta.Size);
        var copy = new CopyContent(token, pending.Source.Source, CopyTempName(token), w.Uid, w.Gid, w.Mode, fromStore);
        (fromStore is null ? _copiers : _storeCopier).Tell(copy);
        pending.FromStore = fromStore is not null;
    }

    private void Committed(ContentCopied m)
    {
        if (!_pendingByToken.Remove(m.Token, out var pending))
            return;
        var temp = TempPath(CopyTempName(m.Token));
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
                ReleaseFollowers(pending);
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
        SetEntryXattrs(pending.Source, temp);
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
        _syncer ??= Context.ActorOf(Akka.Actor.Props.Create(() => new Syncer(_options.Store.DataFolder)).WithDispatcher(Dispatchers.Io), ActorNames.Syncer);
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
        var another = pending.Cloned || _store.AnyEntry(pending.Hash, pending.Bytes) is not null;
        var suffix = _store.Commit(pending.Temp!, pending.Hash, pending.Bytes, Wanted(pending.Source).Xattrs);
        _newEntries++;
        _newBytes += pending.Bytes;
        if (pending.Cloned)
        {
            _clonedEntries++;
            _clonedBytes += pending.Bytes;
        }
        else if (another)
        {
            _copiedEntries++;
            _copiedBytes += pending.Bytes;
        }
        _pendingByKey.Remove(pending.Key);
        ReleaseFollowers(pending);

        var files = new List<HashedFile> { pending.Source };
        files.AddRange(pending.Waiters);
        foreach (var file in files)
        {
            try
            {
                if (_store.TryLinkEntry(pending.Hash, pending.Bytes, suffix, _tree!.PathOf(file.Source.Path), _replaceExisting, out var outcome))
                    Linked(file, suffix, outcome, done);
                else
                    StoreOne(file, done, problems); // entry full: link elsewhere or store anew
            }
            catch (PosixException p) when (!StopsTheRun(p))
            {
                _linkFailures++;
                problems.Add(new FileProblem(file.Source.Path, $"not in the snapshot: {p.Message}"));
            }
        }
    }

    private void CopyFailed(ContentCopyFailed m)
    {
        if (!_pendingByToken.Remove(m.Token, out var pending))
            return;
        if (!m.SourceProblem)
            throw FileSystemFull.WithFault(m.Reason, m.Fault);
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
        {
            _pendingByKey.Remove(pending.Key);
            ReleaseFollowers(pending);
        }
    }

    /// <summary>Tells the coordinator, in messages of at most 256 files (one content may wait for thousands), and the node's monitor of new entries.</summary>
    private void Report(List<HashedFile> done, List<FileProblem> problems)
    {
        SendLinks();
        // The node's monitor hears of new entries once per report, not once per entry.
        if (_newEntries > _reportedEntries)
        {
            NodeMonitor.Report(Context, new NodeMonitor.Stored(_newEntries - _reportedEntries, _newBytes - _reportedBytes));
            (_reportedEntries, _reportedBytes) = (_newEntries, _newBytes);
        }
        const int Max = 256;
        var unusable = _store.TakeUnusable();
        if (unusable.Count > 0)
            _coordinator.Tell(new FilesStored([], [], unusable.Select(u => new FileProblem(u.Path, u.Reason)).ToList()));
        TellXattrNotices();
        for (var i = 0; i < done.Count; i += Max)
            _coordinator.Tell(new FilesStored(done.GetRange(i, Math.Min(Max, done.Count - i)), []));
        for (var i = 0; i < problems.Count; i += Max)
            _coordinator.Tell(new FilesStored([], problems.GetRange(i, Math.Min(Max, problems.Count - i))));
    }
}
