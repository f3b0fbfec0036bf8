using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Manifest;
using Akka.Actor;
using static ActorBackup.Protocol.WalkerProtocol;

namespace ActorBackup.Actors.Walker;

/// <summary>
/// Lists one directory per message through a handle opened with O_NOFOLLOW, checks that it
/// is the directory the parent's listing saw, and lstat's each child relative to that
/// handle. Symlinks are read, never followed. Runs on the io dispatcher.
///
/// With a previous snapshot, each listing is merged with that directory's entries in the
/// previous manifest (read by binary search, one directory at a time): a regular file that
/// <see cref="FilesCache.Unchanged"/> says is unchanged carries its known hash and store
/// entry, so nobody reads it.
/// </summary>
public sealed class Walker : TypeSwitchActor
{
    private readonly RunOptions _options;
    private readonly SourceRoot _root;
    private DirectoryIndex? _previous;
    // The previous manifest records every xattr of each entry (an older one does not: an
    // unchanged file's xattrs are then read; the data-store re-chooses its entry when it has any).
    private bool _previousHasXattrs;

    public Walker(RunOptions options)
    {
        _options = options;
        _root = new SourceRoot(options.RootFolder);
        if (options.PreviousManifest is { } manifest)
        {
            try
            {
                _previous = DirectoryIndex.Open(manifest);
                _previousHasXattrs = _previous.Header.TryGetValue(ManifestFormat.XattrsHeader, out var read) && read == ManifestFormat.XattrsAll;
            }
            catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
            {
                // The CLI checked it before the run; if it is gone now, every file is read.
                _previous = null;
            }
        }
        Receive<WalkDirectory>(w =>
        {
            Sender.Tell(Walk(w));
            if (_options.FoldersPause > TimeSpan.Zero)
                Thread.Sleep(_options.FoldersPause);
        });
    }

    public static Props Props(RunOptions options) =>
        Akka.Actor.Props.Create(() => new Walker(options)).WithDispatcher(Dispatchers.Io);

    protected override void PostStop()
    {
        _previous?.Dispose();
        _root.Dispose();
        base.PostStop();
    }

    private Dictionary<string, PreviousFile>? PreviousOf(string directory)
    {
        if (_previous is null)
            return null;
        try
        {
            return _previous.Files(directory);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return null; // a damaged previous manifest costs reading this directory's files, nothing else
        }
    }

    /// <summary>
    /// Every extended attribute of the entry (POSIX ACLs included), read relative to the held
    /// directory, never through a symlink. A file unchanged since the previous snapshot (ctime
    /// too: setting an xattr or ACL moves it) keeps what that manifest recorded, without a call.
    /// One that cannot be read (other than vanished) is reported and the entry goes on without.
    /// </summary>
    private IReadOnlyList<Xattr>? Xattrs(DirectoryHandle dir, string name, string child, KnownContent? known, PreviousFile old, List<FileProblem> problems)
    {
        if (known is { SameOwnership: true } && _previousHasXattrs)
            return old.Xattrs;
        try
        {
            return dir.ChildXattrs(name);
        }
        catch (PosixException e) when (!e.IsNotFound)
        {
            problems.Add(new FileProblem(child, $"extended attributes not read ({e.Cause}): in the snapshot without them"));
            return null;
        }
    }

    private DirectoryWalked Walk(WalkDirectory w)
    {
        var entries = new List<SourceEntry>();
        var problems = new List<FileProblem>();
        try
        {
            // Opened below the root without following any symlink on the way: a folder on
            // the path swapped for a symlink fails here (ELOOP) instead of leading elsewhere.
            using var dir = _root.OpenDirectory(w.Path);
            if (!dir.Meta.SameInodeAs(w.Expected))
            {
                problems.Add(new FileProblem(w.Path, "directory was replaced while the backup ran; its contents are not in this snapshot"));
                return new DirectoryWalked(w.Path, entries, problems);
            }
            var before = PreviousOf(w.Path);
            foreach (var name in ByteOrder.Sort(dir.ListNames()))
            {
                var child = PathBytes.Child(w.Path, name);
                try
                {
                    var meta = dir.StatChild(name);
                    if (meta is null)
                    {
                        problems.Add(new FileProblem(child, "vanished before it could be read"));
                        continue;
                    }
                    if (meta.Type == EntryType.Directory && _options.Excluded.Contains(child))
                        continue;
                    var target = meta.Type == EntryType.Symlink ? dir.ReadLinkChild(name) : null;
                    PreviousFile old = default;
                    var known = before is not null && meta.Type == EntryType.File && before.TryGetValue(name, out old)
                        ? FilesCache.Unchanged(meta, old)
                        : null;
                    var xattrs = Xattrs(dir, name, child, known, old, problems);
                    entries.Add(new SourceEntry(child, meta, target, known, xattrs));
                }
                catch (PosixException e) when (e.IsNotFound || e.IsInvalid)
                {
                    // readlink after lstat: the symlink was removed, or replaced by something else.
                    problems.Add(new FileProblem(child, "was replaced or removed while the backup ran; it will be read again next run"));
                }
                catch (PosixException e)
                {
                    problems.Add(new FileProblem(child, $"cannot examine: {e.Cause}"));
                }
            }
        }
        catch (PosixException e) when (e.IsSymlinkNotFollowed)
        {
            problems.Add(new FileProblem(w.Path, "cannot list directory: it (or a folder on its path) was replaced by a symlink while the backup ran; not followed; it is in the snapshot empty"));
        }
        catch (PosixException e)
        {
            problems.Add(new FileProblem(w.Path, $"cannot list directory: {e.Cause}; it is in the snapshot empty"));
        }
        return new DirectoryWalked(w.Path, entries, problems);
    }
}

/// <summary>Orders names by their bytes, as `ls` in the C locale and the manifest do.</summary>
public static class ByteOrder
{
    /// <summary>Sorts names by their bytes, encoding each name once.</summary>
    public static IEnumerable<string> Sort(List<string> names)
    {
        // ASCII names (most) sort the same by chars as by bytes: no encoding needed.
        if (names.TrueForAll(n => n.All(c => c < (char)0x80)))
        {
            names.Sort(StringComparer.Ordinal);
            return names;
        }
        var keyed = names.Select(n => (Key: PathBytes.ToBytes(n), Name: n)).ToArray();
        Array.Sort(keyed, (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        return keyed.Select(k => k.Name);
    }
}
