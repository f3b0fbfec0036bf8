using System.Diagnostics;
using ActorBackup.Actors.DataStore;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Manifest;
using Akka.Actor;
using static ActorBackup.Protocol.CoordinatorProtocol;
using static ActorBackup.Protocol.DataStoreProtocol;
using static ActorBackup.Protocol.HasherProtocol;
using static ActorBackup.Protocol.WalkerProtocol;

namespace ActorBackup.Actors.Coordinator;

/// <summary>
/// Owns one run. Fans directory walks out to walkers, batches regular files to the hasher
/// pool, hands hashed files and created entries to the data-store, and finalizes each
/// directory once all its children are in. Work in flight is bounded: no directory is
/// walked while <see cref="BackupSettings.MaxQueuedFiles"/> files are outstanding, and at
/// most hashers x batches-per-hasher batches are out.
///
/// Flow (every arrow a message; the full list is in src/ActorBackup.Protocol/README.md):
/// walk -> DirectoryWalked -> CreateEntries (dirs, symlinks, specials) + HashFiles (files)
/// -> FilesHashed -> StoreFiles -> FilesStored -> ... -> FinalizeDirectory -> CloseSnapshot.
/// </summary>
public sealed class Coordinator : TypeSwitchActor, IWithTimers
{
    /// <summary>
    /// The actors a coordinator works with; tests pass probes. <paramref name="CopyFirst"/>:
    /// the hashers can write into the store (one process), so files not known unchanged are
    /// copied while they are hashed.
    /// </summary>
    public sealed record Workers(IActorRef Walkers, IActorRef Hashers, IActorRef DataStore, bool CopyFirst = false);

    private sealed class DirState(SourceEntry entry)
    {
        public SourceEntry Entry { get; } = entry;

        /// <summary>Children (and the walk itself) not yet in the snapshot; 0 means finalize.</summary>
        public int Pending { get; set; } = 1;
    }

    private readonly RunOptions _options;
    private readonly BackupSettings _settings;
    private readonly IActorRef _reporter;
    private readonly Func<IUntypedActorContext, Workers> _makeWorkers;
    private readonly Dictionary<string, DirState> _dirs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DirState>.AlternateLookup<ReadOnlySpan<char>> _dirsByPath;
    // Depth first: the walk finishes (and finalizes) one subtree before the next, so the
    // directories held open stay few, however wide the tree.
    private readonly Stack<WalkDirectory> _toWalk = new();
    // Files to read: _toCopy are probably new content (copied while hashed when the hashers
    // can), _toHash are files --rehash reads although they are known unchanged.
    private readonly Queue<SourceEntry> _toCopy = new();
    private readonly Queue<SourceEntry> _toHash = new();
    private readonly Stopwatch _clock = new();

    private Workers _workers = null!;
    private IActorRef _requester = ActorRefs.Nobody;
    private int _walksInFlight;
    private int _batchesInFlight;
    private long _nextBatch;
    private ulong _rootDevice;
    private long _filesOutstanding;
    private bool _paused;
    private bool _closing;
    private string? _fatal;
    private ExitCode _fatalCode = ExitCode.Fatal;
    private long _files, _directories, _symlinks, _skipped, _bytesRead, _problems, _logicalBytes, _nextProgress, _unchanged, _nextHeapCheck;
    private StoreStats _store = new(0, 0, 0, 0, 0, 0, 0, 0);

    public ITimerScheduler Timers { get; set; } = null!;

    public Coordinator(RunOptions options, BackupSettings settings, IActorRef reporter, Func<IUntypedActorContext, Workers> makeWorkers)
    {
        _options = options;
        _settings = settings;
        _reporter = reporter;
        _dirsByPath = _dirs.GetAlternateLookup<ReadOnlySpan<char>>();
        _makeWorkers = makeWorkers;
        _nextProgress = options.ProgressEvery;

        Receive<StartRun>(_ => Start());
        Receive<SnapshotOpened>(_ => Opened());
        Receive<DirectoryWalked>(Walked);
        Receive<EntriesCreated>(Created);
        Receive<FilesHashed>(Hashed);
        Receive<FilesStored>(Stored);
        Receive<DirectoryFinalized>(Finalized);
        Receive<SnapshotClosed>(Closed);
        Receive<StoreFailed>(m => Abort(m.Reason, m.Code));
        Receive<StopRun>(m =>
        {
            // Once publishing has begun it finishes: the snapshot is then complete, and the
            // run ends as if no signal had come. Before, nothing of it is published.
            if (!_closing)
                Abort(m.Reason, m.Code);
        });
        Receive<Terminated>(m =>
        {
            if (m.ActorRef.Equals(_workers.DataStore) && _fatal is null)
            {
                _fatal = "the data-store stopped (storage node lost?)";
                _closing = true;
                Finish();
            }
        });
        Receive<ResumeAfterProblem>(_ =>
        {
            _paused = false;
            Pump();
        });
        Receive<ProgressTick>(_ => _reporter.Tell(new ProgressReported(Stats(), Periodic: true)));
    }

    /// <summary>A coordinator with the real walkers, hasher pool, copiers and data-store as children.</summary>
    public static Props Props(RunOptions options, BackupSettings settings, IActorRef reporter) =>
        Akka.Actor.Props.Create(() => new Coordinator(options, settings, reporter, context => new Workers(
            context.ActorOf(Walker.Walker.Props(options).WithRouter(new Akka.Routing.SmallestMailboxPool(settings.Walkers)), ActorNames.Walkers),
            context.ActorOf(Hasher.Hasher.Pool(options, settings), ActorNames.Hashers),
            context.ActorOf(DataStore.DataStore.Props(options, settings, context.ActorOf(Copier.Pool(options, settings), ActorNames.Copiers)), ActorNames.DataStore),
            settings.CopyFirst)));

    /// <summary>A coordinator working with the given actors (TestKit probes in specs).</summary>
    public static Props Props(RunOptions options, BackupSettings settings, IActorRef reporter, Workers workers) =>
        Akka.Actor.Props.Create(() => new Coordinator(options, settings, reporter, _ => workers));

    private sealed record ProgressTick;

    private void Start()
    {
        _requester = Sender;
        _clock.Start();
        _workers = _makeWorkers(Context);
        Context.Watch(_workers.DataStore); // on another node, it may die with its node
        if (_options.ProgressEvery > 0 && _settings.ProgressInterval > TimeSpan.Zero)
            Timers.StartPeriodicTimer("progress", new ProgressTick(), _settings.ProgressInterval);
        try
        {
            var root = Files.Lstat(_options.RootFolder);
            _rootDevice = root.Device;
            IReadOnlyList<Xattr>? xattrs;
            using (var folder = DirectoryHandle.Open(_options.RootFolder))
                xattrs = folder.OwnXattrs();
            var entry = new SourceEntry("", root, Xattrs: xattrs);
            _dirs[""] = new DirState(entry);
            _workers.DataStore.Tell(new OpenSnapshot(entry));
        }
        catch (PosixException e)
        {
            Abort($"cannot read the root folder: {e.Message}");
        }
    }

    private void Opened()
    {
        _directories++;
        _toWalk.Push(new WalkDirectory("", _dirs[""].Entry.Meta));
        Pump();
    }

    private void Walked(DirectoryWalked m)
    {
        _walksInFlight--;
        foreach (var problem in m.Problems)
            Report(problem);

        var state = _dirs[m.Path];
        var others = new List<SourceEntry>();
        var known = new List<HashedFile>();
        foreach (var entry in m.Entries)
        {
            switch (entry.Meta.Type)
            {
                case EntryType.File:
                    state.Pending++;
                    _filesOutstanding++;
                    if (entry.Known is null)
                        _toCopy.Enqueue(entry);
                    else if (_options.Rehash)
                        _toHash.Enqueue(entry);
                    else
                        known.Add(new HashedFile(entry, entry.Known.Hash));
                    break;
                case EntryType.Directory:
                    others.Add(entry);
                    break;
                case EntryType.Symlink:
                    _symlinks++;
                    others.Add(entry);
                    break;
                default:
                    others.Add(entry);
                    break;
            }
        }
        foreach (var chunk in Chunks(others, e => e))
        {
            state.Pending++;
            _workers.DataStore.Tell(new CreateEntries(m.Path, chunk));
        }
        // Unchanged files go straight to the data-store: linked to the entry they had, never read.
        _unchanged += known.Count;
        foreach (var chunk in Chunks(known, f => f.Source))
            _workers.DataStore.Tell(new StoreFiles(chunk));
        // Subdirectories are walked after CreateEntries was sent, so the data-store creates
        // each one before any file inside it reaches it.
        // Pushed in reverse so that they are walked in name order.
        foreach (var dir in others.Where(e => e.Meta.Type == EntryType.Directory).Reverse())
        {
            state.Pending++;
            _directories++;
            if (OnOtherFileSystem(dir))
                continue;
            _dirs[dir.Path] = new DirState(dir);
            _toWalk.Push(new WalkDirectory(dir.Path, dir.Meta));
        }
        state.Pending--;
        CheckDone(m.Path);
        Pump();
    }

    /// <summary>
    /// Under --one-file-system, a directory on another file system than the root folder's (a
    /// mount point) is not walked: like rsync -x, the snapshot keeps it as an empty folder with
    /// its own metadata (CreateEntries made it), finalized at once. Decided here rather than in
    /// the walkers, which never see the root, so the mount point is never even opened.
    /// </summary>
    private bool OnOtherFileSystem(SourceEntry dir)
    {
        if (!_options.OneFileSystem || dir.Meta.Device == _rootDevice)
            return false;
        if (_options.Verbosity > 0)
            _reporter.Tell(new ProblemReported(new FileProblem(_options.SourcePath(dir.Path),
                "on another file system: in the snapshot as an empty folder (--one-file-system)"), Notice: true));
        _dirs[dir.Path] = new DirState(dir) { Pending = 0 };
        CheckDone(dir.Path);
        return true;
    }

    /// <summary>
    /// Splits a listing into messages that stay far below the 128 KB remote frame limit
    /// when the data-store is on another node (a directory may hold 100,000 entries).
    /// </summary>
    private static IEnumerable<List<T>> Chunks<T>(List<T> items, Func<T, SourceEntry> entryOf)
    {
        const int MaxBytes = 48 * 1024;
        var chunk = new List<T>();
        var bytes = 0;
        foreach (var item in items)
        {
            var e = entryOf(item);
            var size = 128 + (e.Path.Length + (e.LinkTarget?.Length ?? 0)) * 3;
            if (chunk.Count > 0 && bytes + size > MaxBytes)
            {
                yield return chunk;
                chunk = [];
                bytes = 0;
            }
            chunk.Add(item);
            bytes += size;
        }
        if (chunk.Count > 0)
            yield return chunk;
    }

    private void Created(EntriesCreated m)
    {
        foreach (var problem in m.Problems)
            Report(problem);
        _skipped += m.Skipped;
        var state = _dirs[m.Directory];
        state.Pending--;
        CheckDone(m.Directory);
    }

    private void Hashed(FilesHashed m)
    {
        _batchesInFlight--;
        _bytesRead += m.BytesRead;
        foreach (var problem in m.Problems)
        {
            Report(problem);
            FileDone(problem.Path);
        }
        foreach (var file in m.Hashed)
        {
            if (file.Source.Known is { } known && known.Hash != file.Hash)
                _reporter.Tell(new ProblemReported(new FileProblem(_options.SourcePath(file.Source.Path),
                    $"content differs from the previous snapshot although size, mtime and ctime did not change (was {known.Hash}, now {file.Hash}); stored with its new content"), Notice: true));
        }
        if (m.Hashed.Count > 0 && _fatal is null)
            _workers.DataStore.Tell(new StoreFiles(m.Hashed));
        Pump();
    }

    private void Stored(FilesStored m)
    {
        foreach (var notice in m.StoreNotices ?? [])
            _reporter.Tell(new ProblemReported(notice, Notice: true));
        foreach (var problem in m.Problems)
        {
            Report(problem);
            FileDone(problem.Path);
        }
        foreach (var file in m.Done)
        {
            _files++;
            _logicalBytes += file.Source.Meta.Size;
            FileDone(file.Source.Path);
        }
        if (_files >= _nextHeapCheck)
        {
            _nextHeapCheck = _files + 4096;
            HeapBudget.Keep(_settings.HeapBudget, force: false);
        }
        if (_options.ProgressEvery > 0 && _files >= _nextProgress)
        {
            _reporter.Tell(new ProgressReported(Stats(), Periodic: false));
            while (_nextProgress <= _files)
                _nextProgress += _options.ProgressEvery;
        }
        Pump();
    }

    /// <summary>Found by a span of the file's path: no parent string per file (100,000 of them in a week 2 run).</summary>
    private void FileDone(string path)
    {
        _filesOutstanding--;
        var slash = path.LastIndexOf('/');
        var state = _dirsByPath[slash < 0 ? "" : path.AsSpan(0, slash)];
        state.Pending--;
        CheckDone(state);
    }

    private void CheckDone(string path) => CheckDone(_dirs[path]);

    private void CheckDone(DirState state)
    {
        if (state.Pending == 0 && _fatal is null)
            _workers.DataStore.Tell(new FinalizeDirectory(state.Entry));
    }

    private void Finalized(DirectoryFinalized m)
    {
        if (m.Problem is not null)
            Report(m.Problem);
        _dirs.Remove(m.Path);
        if (m.Path.Length == 0)
        {
            Close(publish: true);
            return;
        }
        var parent = PathBytes.Parent(m.Path);
        _dirs[parent].Pending--;
        CheckDone(parent);
    }

    private void Close(bool publish)
    {
        if (_closing)
            return;
        _closing = true;
        _workers.DataStore.Tell(new CloseSnapshot(publish));
    }

    private void Abort(string reason, ExitCode code = ExitCode.Fatal)
    {
        if (_fatal is not null)
        {
            // A failure while closing: nothing more will come.
            Finish();
            return;
        }
        _fatal = reason;
        _fatalCode = code;
        _toWalk.Clear();
        _toCopy.Clear();
        _toHash.Clear();
        if (_closing || _workers is null)
            Finish();
        else
            Close(publish: false);
    }

    private void Closed(SnapshotClosed m)
    {
        _store = m.Stats;
        Finish();
    }

    private void Finish()
    {
        Timers.CancelAll();
        _clock.Stop();
        var code = _fatal is not null ? _fatalCode : _problems > 0 ? ExitCode.FileErrors : ExitCode.Success;
        _requester.Tell(new RunFinished(code, Stats(), _fatal));
        Become(() => ReceiveAny(_ => { }));
    }

    private void Report(FileProblem problem)
    {
        _problems++;
        _reporter.Tell(new ProblemReported(problem with { Path = _options.SourcePath(problem.Path) }));
        if (_options.PauseOnError)
            _paused = true;
    }

    private void Pump()
    {
        if (_paused || _fatal is not null)
            return;
        while (_walksInFlight < _settings.Walkers && _toWalk.Count > 0 && _filesOutstanding < _settings.MaxQueuedFiles)
        {
            _walksInFlight++;
            _workers.Walkers.Tell(_toWalk.Pop());
        }
        var maxBatches = _settings.Hashers * _settings.BatchesPerHasher;
        while (_batchesInFlight < maxBatches && (_toCopy.Count > 0 || _toHash.Count > 0))
        {
            var copy = _toCopy.Count > 0;
            var batch = HashBatch.Take(copy ? _toCopy : _toHash, _settings.HashBatchFiles, _settings.HashBatchBytes);
            _batchesInFlight++;
            _workers.Hashers.Tell(new HashFiles(++_nextBatch, batch, copy && _workers.CopyFirst));
        }
    }

    private RunStats Stats() => new(
        _files, _directories, _symlinks, _store.Specials, _skipped, _bytesRead, _problems,
        _store.NewEntries, _store.NewBytes, _store.Links, _logicalBytes, _clock.Elapsed, _unchanged, _store);
}
