using System.Diagnostics;
using System.Globalization;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store.Manifest;
using ActorBackup.Store.Restore;
using Akka.Actor;
using static ActorBackup.Actors.Restore.RestoreProtocol;

namespace ActorBackup.Actors.Restore;

/// <summary>
/// Owns one restore. Streams the manifest line by line (never the whole of it in memory),
/// makes folders, symlinks, FIFOs and device nodes itself in manifest order, and sends the
/// regular files in batches to the <see cref="FileRestorer"/> pool, with at most
/// hashers x batches-per-hasher batches in flight: it reads no further while that many are
/// out, so memory stays flat however big the snapshot. When the last batch is back, each
/// folder gets its owner, mode and mtime, deepest first (creating a child changes its
/// folder's mtime, and a folder of mode 000 must stay enterable until its children are in).
///
/// A sorted manifest lists each folder in its parent's group, before the group of its own
/// entries (ManifestOrder), so a folder exists before anything inside it is made or sent. An
/// older manifest in another order still restores: a folder met first as a parent is made
/// then (0700), and takes its metadata when its own line comes.
///
/// The set of folders is kept to the end (they are few next to files); per-file state is not,
/// except for files the source had hardlinked (<see cref="HardlinkGroups"/>, bounded): the
/// first of a group goes out in a batch like any file, later ones are linked to it here
/// once its batch is back (held meanwhile, at most <see cref="MaxWaiting"/> before reading
/// pauses), and are restored as copies, with a notice, when it cannot be linked.
/// </summary>
public sealed partial class RestoreCoordinator : ReceiveActor
{
    /// <summary>Manifest lines handled per message, so replies from the restorers are taken in between.</summary>
    private const int LinesPerTurn = 2_000;

    /// <summary>Hardlink members held while their first is in flight: at this many, reading pauses until batches return.</summary>
    private const int MaxWaiting = 10_000;

    private const uint NewFolderMode = 0x1C0; // 0700 until finalized: nobody else looks in meanwhile

    private readonly RestoreOptions _options;
    private readonly BackupSettings _settings;
    private readonly IActorRef _reporter;
    private readonly Func<IUntypedActorContext, IActorRef> _makeRestorers;
    private readonly bool _root = Files.IsRoot;
    private readonly int _maxInFlight;
    private readonly Stopwatch _clock = new();
    // Every folder made (or found) in the target, with its manifest metadata; null until its own line is read.
    private readonly Dictionary<string, FileMeta?> _folders = new(StringComparer.Ordinal);
    // The xattrs of folders that have any, set with their metadata at the end.
    private readonly Dictionary<string, IReadOnlyList<Xattr>> _folderXattrs = new(StringComparer.Ordinal);
    private readonly XattrFailures _xattrFailures = new("the restore target", "the restored entry lacks it (the manifest keeps it)");
    // The target has a default ACL: entries made in it inherit ACLs, so each is given exactly its list.
    private bool _exactXattrs;
    // Folders that could not be made: nothing below them is attempted.
    private readonly HashSet<string> _failed = new(StringComparer.Ordinal);

    private readonly HardlinkGroups _hardlinks;
    // Groups whose first member is in the batch being filled, then by the id of the batch that carries them.
    private List<HardlinkGroups.Group> _batchFirsts = [];
    private readonly Dictionary<long, List<HardlinkGroups.Group>> _firstsInFlight = [];
    private int _waiting;
    private bool _toldTableFull;

    private IActorRef _restorers = ActorRefs.Nobody;
    private IActorRef _requester = ActorRefs.Nobody;
    private TargetTree? _tree;
    // A second chain of handles, to the folder of a link's first member (the first chain is at the new link's folder).
    private TargetTree? _linkSources;
    private IEnumerator<string>? _lines;
    private readonly BatchCutter<FileToRestore> _batch;
    private long _nextBatch;
    private int _inFlight;
    private bool _endOfManifest;
    private bool _finished;
    private StopRestore? _stopped;
    private long _lineNumber, _entries, _declaredEntries = -1;
    private long _files, _bytes, _directories, _symlinks, _specials, _skipped, _problems, _nextProgress;

    public RestoreCoordinator(RestoreOptions options, BackupSettings settings, IActorRef reporter, Func<IUntypedActorContext, IActorRef> makeRestorers,
        int hardlinkGroups = HardlinkGroups.DefaultCapacity)
    {
        _hardlinks = new HardlinkGroups(hardlinkGroups);
        _options = options;
        _settings = settings;
        _reporter = reporter;
        _makeRestorers = makeRestorers;
        _maxInFlight = settings.Hashers * settings.BatchesPerHasher;
        _batch = new BatchCutter<FileToRestore>(settings.HashBatchFiles, (f => f.Meta.Size, settings.HashBatchBytes));
        _nextProgress = options.ProgressEvery;

        Receive<StartRestore>(_ => Start());
        Receive<ReadMore>(_ => Pump());
        Receive<FilesRestored>(Restored);
        Receive<StopRestore>(m =>
        {
            _stopped = m;
            _endOfManifest = true;
            _batch.Cut(); // never sent: not restored
            _batchFirsts = [];
            if (_inFlight == 0)
                Finish(m.Reason);
        });
    }

    /// <summary>A coordinator with its own pool of restorers (one per hasher).</summary>
    public static Props Props(RestoreOptions options, BackupSettings settings, IActorRef reporter) =>
        Akka.Actor.Props.Create(() => new RestoreCoordinator(options, settings, reporter,
                context => context.ActorOf(FileRestorer.Pool(options, settings), ActorNames.Restorers)))
            .WithDispatcher(Dispatchers.Io);

    /// <summary>A coordinator sending its batches to <paramref name="restorers"/> (a TestKit probe in specs).</summary>
    public static Props Props(RestoreOptions options, BackupSettings settings, IActorRef reporter, IActorRef restorers,
        int hardlinkGroups = HardlinkGroups.DefaultCapacity) =>
        Akka.Actor.Props.Create(() => new RestoreCoordinator(options, settings, reporter, _ => restorers, hardlinkGroups))
            .WithDispatcher(Dispatchers.Io);

    private sealed record ReadMore;

    private void Start()
    {
        _requester = Sender;
        _clock.Start();
        try
        {
            _tree = new TargetTree(_options.Target);
            _exactXattrs = _tree.Root.DefaultAcl() is not null;
            _linkSources = new TargetTree(_options.Target);
            _lines = File.ReadLines(_options.ManifestPath).GetEnumerator();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Finish($"cannot start: {e.Message}");
            return;
        }
        _folders[""] = null;
        _restorers = _makeRestorers(Context);
        Pump();
    }

    /// <summary>Reads on while fewer than the maximum of batches are in flight; ends the run after the last reply.</summary>
    private void Pump()
    {
        if (_finished)
            return;
        try
        {
            for (var n = 0; n < LinesPerTurn && !_endOfManifest && _inFlight < _maxInFlight && _waiting < MaxWaiting; n++)
            {
                if (_lines!.MoveNext())
                    Handle(_lines.Current);
                else
                    _endOfManifest = true;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Finish($"reading the manifest {_options.ManifestPath} failed: {e.Message}");
            return;
        }
        catch (Exception e)
        {
            // A restart would lose the run's state and leave the CLI waiting: end it instead.
            Finish($"internal error: {e.GetType().Name}: {e.Message}");
            return;
        }
        if (_endOfManifest)
        {
            SendBatch();
            if (_inFlight == 0)
                Finish(_stopped?.Reason);
        }
        else if (_waiting >= MaxWaiting)
            SendBatch(); // the firsts they wait for must be in flight: their replies resume reading
        else if (_inFlight < _maxInFlight)
            Self.Tell(new ReadMore());
    }

    private void Handle(string line)
    {
        _lineNumber++;
        if (line.Length == 0)
            return;
        if (line[0] == '#')
        {
            if (line.StartsWith("#end ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                _declaredEntries = count;
            return;
        }
        _entries++;
        ManifestEntry entry;
        try
        {
            entry = ManifestFormat.Parse(line);
        }
        catch (FormatException e)
        {
            Problem($"{_options.ManifestPath}:{_lineNumber}", $"not restored: {e.Message}");
            return;
        }
        if (!PathBytes.IsSafeRelative(entry.Path))
        {
            Problem(entry.Path, "not restored: this manifest path would leave the target (absolute, '..' or an empty component); the manifest was altered");
            return;
        }
        if (!_options.InScope(entry.Path))
            return;
        if (entry.Meta.Type == EntryType.Directory && entry.Xattrs is { Count: > 0 } xattrs)
            _folderXattrs[entry.Path] = xattrs;
        if (entry.Path.Length == 0)
        {
            _folders[""] = entry.Meta;
            _directories++;
            return;
        }
        var parent = PathBytes.Parent(entry.Path);
        if (_failed.Contains(parent))
        {
            // Reported once, at the folder that could not be made.
            _problems++;
            if (entry.Meta.Type == EntryType.Directory)
                _failed.Add(entry.Path);
            return;
        }
        if (!_folders.ContainsKey(parent) && !MakeFolder(parent, null))
        {
            _problems++;
            return;
        }
        switch (entry.Meta.Type)
        {
            case EntryType.File:
                AddFile(entry);
                break;
            case EntryType.Directory:
                if (MakeFolder(entry.Path, entry.Meta) && _folders[entry.Path] is not null)
                    _directories++;
                break;
            case EntryType.Symlink:
                MakeSymlink(entry);
                break;
            case EntryType.Fifo or EntryType.CharDevice or EntryType.BlockDevice:
                MakeSpecial(entry);
                break;
            default:
                _skipped++; // sockets: recorded in the manifest, never recreated (nor by the backup)
                break;
        }
    }

    private void AddFile(ManifestEntry entry)
    {
        if (entry.Hash is null)
        {
            Problem(entry.Path, "not restored: its manifest line names no content hash");
            return;
        }
        var file = new FileToRestore(entry.Path, entry.Meta, entry.Hash, entry.EntrySuffix, entry.Xattrs);
        switch (_hardlinks.Add(file, out var group))
        {
            case HardlinkGroups.Role.First:
                _batchFirsts.Add(group!);
                break;
            case HardlinkGroups.Role.Member when group!.State == HardlinkGroups.FirstState.Pending:
                group.Wait(file);
                _waiting++;
                return;
            case HardlinkGroups.Role.Member:
                LinkOrCopy(file, group);
                return;
            case HardlinkGroups.Role.TableFull when !_toldTableFull:
                _toldTableFull = true;
                Notice(file.Path, $"restored as a copy, as are further files the source had hardlinked that are not linked yet: the table of hardlink groups is full ({_hardlinks.Capacity} groups whose other links are still to come)");
                break;
        }
        Send(file);
    }

    /// <summary>Adds a file to the batch being filled, and sends the batch when it is full.</summary>
    private void Send(FileToRestore file)
    {
        _batch.Add(file);
        if (_batch.Full)
            SendBatch();
    }

    private void SendBatch()
    {
        if (_batch.Count == 0)
            return;
        _restorers.Tell(new RestoreFiles(++_nextBatch, _batch.Cut(), _exactXattrs));
        _inFlight++;
        if (_batchFirsts.Count > 0)
        {
            _firstsInFlight[_nextBatch] = _batchFirsts;
            _batchFirsts = [];
        }
    }

    private void Restored(FilesRestored m)
    {
        _inFlight--;
        _files += m.Restored;
        _bytes += m.Bytes;
        foreach (var problem in m.Problems)
            Problem(problem.Path, problem.Reason);
        foreach (var notice in m.Notices)
            _reporter.Tell(new RestoreReported(notice, Notice: true, null));
        foreach (var (path, failed) in m.XattrsNotSet ?? [])
            _xattrFailures.Note(path, failed);
        TellXattrNotices();
        // After a stop, members still waiting are not restored: nothing more is sent.
        if (_firstsInFlight.Remove(m.BatchId, out var firsts) && _stopped is null)
            FirstsRestored(firsts, m.Problems);
        if (_options.ProgressEvery > 0 && _files >= _nextProgress)
        {
            _reporter.Tell(new RestoreReported(null, false, Stats()));
            while (_nextProgress <= _files)
                _nextProgress += _options.ProgressEvery;
        }
        Pump();
    }

    /// <summary>
    /// Makes a folder (0700 for now), or takes the one there. With --overwrite, a file or
    /// symlink in its place is removed: a symlink is replaced, never followed. A folder met
    /// first as a parent has no metadata yet (<paramref name="meta"/> null); its parents are
    /// made the same way. False when it could not be made (reported).
    /// </summary>
    private bool MakeFolder(string path, FileMeta? meta)
    {
        if (_folders.TryGetValue(path, out var known))
        {
            if (meta is not null && known is null)
                _folders[path] = meta;
            return true;
        }
        var parent = PathBytes.Parent(path);
        if (!_folders.ContainsKey(parent) && !MakeFolder(parent, null))
            return false;
        try
        {
            var directory = _tree!.Directory(parent);
            var name = TargetTree.NameOf(path);
            var existing = directory.StatChild(name);
            if (existing?.Type != EntryType.Directory)
            {
                if (existing is not null)
                {
                    if (!_options.Overwrite)
                        throw PosixException.NameTaken("create directory", path);
                    directory.Remove(name);
                }
                var errno = directory.TryMakeDirectory(name, NewFolderMode);
                if (errno != 0)
                    throw new PosixException(errno, "create directory", path);
            }
            _folders[path] = meta;
            return true;
        }
        catch (PosixException e)
        {
            _failed.Add(path);
            Problem(path, $"{TargetTree.Reason(e)}; nothing below this folder is restored");
            return false;
        }
    }

    private void MakeSymlink(ManifestEntry entry)
    {
        if (entry.LinkTarget is not { Length: > 0 } target)
        {
            Problem(entry.Path, "not restored: its manifest line names no symlink target");
            return;
        }
        if (MakeEntry(entry, (directory, name) => PosixException.ThrowIfFailed(directory.TryMakeSymlink(target, name), "create symlink", entry.Path)))
            _symlinks++;
    }

    private void MakeSpecial(ManifestEntry entry)
    {
        if (entry.Meta.Type is EntryType.CharDevice or EntryType.BlockDevice && !_root)
        {
            var kind = entry.Meta.Type == EntryType.CharDevice ? "character" : "block";
            Problem(entry.Path, $"a {kind} device: not restored (only root can make device nodes); run the restore as root");
            return;
        }
        if (MakeEntry(entry, (directory, name) => PosixException.ThrowIfFailed(directory.TryMakeNode(name, entry.Meta.Type, entry.Meta.Rdev), "create special file", entry.Path)))
            _specials++;
    }

    /// <summary>
    /// Creates an entry that is not a folder nor a file in its folder's handle (<paramref name="make"/>
    /// throws a <see cref="PosixException"/> when it cannot), then sets its owner, mode and mtime.
    /// </summary>
    private bool MakeEntry(ManifestEntry entry, Action<TargetDirectory, string> make)
    {
        try
        {
            var (directory, name, inTheWay) = _tree!.Place(entry.Path, _options.Overwrite);
            if (inTheWay is not null)
            {
                Problem(entry.Path, inTheWay);
                return false;
            }
            make(directory, name);
            directory.SetChildMeta(name, entry.Meta, _root);
            if (entry.Xattrs is { Count: > 0 } || _exactXattrs)
                _xattrFailures.Note(entry.Path, directory.SetChildXattrs(name, entry.Xattrs));
            return true;
        }
        catch (PosixException e)
        {
            Problem(entry.Path, TargetTree.Reason(e));
            return false;
        }
    }

    /// <summary>Owner, mode and mtime of every folder, deepest first (a child's path is longer than its parent's).</summary>
    private void FinalizeFolders()
    {
        foreach (var path in _folders.Keys.OrderByDescending(p => p.Length).ThenBy(p => p, StringComparer.Ordinal))
        {
            if (_folders[path] is not { } meta)
            {
                Problem(path, "this folder has no line of its own in the manifest; it is left with mode 0700 and the restorer's owner");
                continue;
            }
            try
            {
                var directory = path.Length == 0 ? _tree!.Root : _tree!.Directory(path);
                directory.SetMeta(meta, _root);
                // After its children are made: none of them inherited its default ACL.
                if (_folderXattrs.TryGetValue(path, out var xattrs) || _exactXattrs)
                    _xattrFailures.Note(path, directory.SetXattrs(xattrs));
            }
            catch (PosixException e)
            {
                Problem(path, TargetTree.Reason(e));
            }
        }
    }

    /// <summary>Each kind of xattr that could not be set, once per run (the summary counts the entries).</summary>
    private void TellXattrNotices()
    {
        foreach (var (path, reason) in _xattrFailures.TakeNotices())
            _reporter.Tell(new RestoreReported(new RestoreProblem(path, reason), Notice: true, null));
    }

    private void Notice(string path, string reason) =>
        _reporter.Tell(new RestoreReported(new RestoreProblem(path, reason), Notice: true, null));

    private void Problem(string path, string reason)
    {
        _problems++;
        _reporter.Tell(new RestoreReported(new RestoreProblem(path, reason), Notice: false, null));
    }

    private RestoreStats Stats() => new(_files, _bytes, _directories, _symlinks, _specials, _skipped, _problems, _clock.Elapsed, _xattrFailures.Entries);

    private void Finish(string? fatal)
    {
        if (_finished)
            return;
        _finished = true;
        if (fatal is null)
        {
            if (_declaredEntries != _entries)
                Problem(_options.ManifestPath, _declaredEntries < 0
                    ? "has lost its #end line since the restore began; it may be incomplete"
                    : $"holds {_entries} entries but its #end line says {_declaredEntries}; it is damaged");
            try
            {
                FinalizeFolders();
                TellXattrNotices();
            }
            catch (Exception e)
            {
                fatal = $"internal error: {e.GetType().Name}: {e.Message}";
            }
        }
        // A stopped restore leaves its folders as made (0700, the restorer's): the target is not whole.
        var code = _stopped is not null ? _stopped.Code : fatal is not null ? ExitCode.Fatal : _problems > 0 ? ExitCode.FileErrors : ExitCode.Success;
        _requester.Tell(new RestoreFinished(code, Stats(), fatal));
    }

    protected override void PostStop()
    {
        _lines?.Dispose();
        _tree?.Dispose();
        _linkSources?.Dispose();
    }
}
