using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ActorBackup.Core;
using ActorBackup.Posix;
using Microsoft.Win32.SafeHandles;

namespace ActorBackup.Store;

/// <summary>
/// The hash-named entries of the data folder: finds the entry a file may link to under the
/// share policy, links, and commits new entries from temp files. Used only by the
/// data-store actor, so no two writers race on a name.
///
/// The entries of a hash (HASH, HASH.1, ...) are probed once and remembered, so a content
/// shared by a hundred owners costs a hundred lstat calls per run, not per file; so is an
/// entry the previous manifest names when it has to be stat'ed (see TryLinkKnown). The
/// memory is bounded: past <see cref="HashLimit"/> hashes it starts over. Under
/// --share=owner one popular content has an entry per owner (a thousand users' copies of
/// one installer are a thousand entries of one hash), so an entry keeps only what the
/// choice needs. Bounding entries too (starting over past 100,000) made a 1M-file week 1
/// re-probe its popular hashes a thousand lstat calls at a time, several times the CPU.
///
/// Level folders (up to 256 of them: one level) and the 16 temp folders new entries are
/// renamed out of are held open, and links land in snapshot
/// folders held open by the caller (<paramref name="snapshotDirs"/>): each call then
/// resolves a name, not two whole paths. Two levels (65,536 folders) are reached by path.
/// </summary>
public sealed class ContentStore(StoreLayout layout, SharePolicy share, long maxLinks, OpenDirectories snapshotDirs) : IDisposable
{
    private const int HashLimit = 50_000;

    /// <summary>ext4's limit of links per inode, and the default max-links-per-entry.</summary>
    public const long FileSystemLinkLimit = 65_000;

    private readonly OpenDirectories? _levelDirs = layout.Levels <= 1 ? new OpenDirectories(257) : null;

    /// <summary>The temp folders new entries are renamed out of, held like the level folders.</summary>
    private readonly OpenDirectories _tempDirs = new(StoreLayout.TempFolderCount + 1);

    private readonly HashSet<string> _levelFolders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Entry>> _entries = new(StringComparer.Ordinal);

    // Entries the previous manifest named that were stat'ed (not trusted), each on its first
    // use only; dropped when their hash's entries are all probed.
    private readonly Dictionary<(string Hash, int Suffix), Entry> _known = [];

    /// <summary>
    /// Whether an entry fits a file only when its mtime is the file's too (the share key
    /// holds the mtime: each snapshot file shows its own). Set once per run, before any
    /// file is stored: on where entries of one content are clones sharing their blocks.
    /// </summary>
    public bool ExactMtime { get; set; }

    /// <summary>
    /// Whether entries carry their files' extended attributes (ACLs included), which are then
    /// part of the share key: an entry found on disk is listed for them once, when probed.
    /// Set once per run, before any file is stored.
    /// </summary>
    public bool EntriesCarryXattrs { get; set; }

    /// <summary>
    /// What we know of one store entry: its suffix, ownership, xattrs' key, mtime and link count (40 bytes,
    /// held inline in its hash's list: a million-file tree of a thousand users has 256,000 of them).
    /// </summary>
    private struct Entry
    {
        public readonly int Suffix;
        public readonly uint Uid;
        public readonly uint Gid;
        public readonly uint Mode;
        public readonly long Mtime; // nanoseconds since the epoch
        public readonly ulong Xattrs;
        public int Links; // 0: not known (not stat'ed)
        public bool Full;

        public Entry(int suffix, FileMeta meta, ulong xattrs)
        {
            Suffix = suffix;
            (Uid, Gid, Mode, Xattrs) = (meta.Uid, meta.Gid, meta.Mode, xattrs);
            Mtime = Nanoseconds(meta.Mtime);
            Links = (int)Math.Min(meta.LinkCount, int.MaxValue);
        }

        public Entry(int suffix, Ownership owner, Timestamp mtime)
        {
            Suffix = suffix;
            (Uid, Gid, Mode, Xattrs) = (owner.Uid, owner.Gid, owner.Mode, owner.Xattrs);
            Mtime = Nanoseconds(mtime);
        }

        public readonly Ownership Owner => new(Uid, Gid, Mode, Xattrs);
    }

    private static long Nanoseconds(Timestamp t) => unchecked(t.Seconds * 1_000_000_000 + t.Nanoseconds);

    /// <summary>Whether a file wanting <paramref name="wanted"/> and <paramref name="mtime"/> may link to <paramref name="entry"/>.</summary>
    private bool Fits(in Entry entry, Ownership wanted, Timestamp mtime) =>
        !entry.Full && entry.Links < maxLinks && share.MayShare(entry.Owner, wanted)
        && (!ExactMtime || entry.Mtime == Nanoseconds(mtime));

    public StoreLayout Layout { get; } = layout;

    /// <summary>The outcome of linking one file.</summary>
    public enum LinkOutcome
    {
        /// <summary>Linked to an existing entry.</summary>
        Linked,

        /// <summary>The snapshot path already was this entry (a resumed or filled-in snapshot).</summary>
        AlreadyLinked,

        /// <summary>No entry may take this file: the content must be stored.</summary>
        NeedsContent,
    }

    /// <summary>
    /// Links <paramref name="target"/> to the first entry of <paramref name="hash"/> that the
    /// share policy allows and that has room for another link. EMLINK marks the entry full
    /// and moves on to the next.
    /// </summary>
    public LinkOutcome TryLinkExisting(string hash, long size, Ownership wanted, Timestamp mtime, string target, bool replaceExisting, out int suffix)
    {
        var entries = CollectionsMarshal.AsSpan(EntriesOf(hash, size));
        for (var i = 0; i < entries.Length; i++)
        {
            ref var entry = ref entries[i];
            if (!Fits(entry, wanted, mtime))
                continue;
            var outcome = Link(hash, ref entry, target, replaceExisting);
            if (outcome is null)
                continue;
            suffix = entry.Suffix;
            return outcome.Value;
        }
        suffix = -1;
        return LinkOutcome.NeedsContent;
    }

    /// <summary>
    /// Links <paramref name="target"/> to the entry an unchanged file had in the previous
    /// snapshot, without probing the others. Null when that entry is gone, full, or no longer
    /// fits the share policy (owner or mode changed): the caller then looks further.
    ///
    /// When the file's owner, group and mode are as that snapshot recorded
    /// (<paramref name="sameOwnership"/>; with <see cref="ExactMtime"/>, only when that
    /// snapshot's entries had their files' own mtimes too), the entry fitted the share policy for them then and
    /// is not stat'ed now (only this program writes the store's 0700 folders): a week 2 run
    /// makes its links without 100,000 lstat calls, as <c>cp -al</c> does. Its link count is
    /// then not known, so this needs <c>max-links-per-entry</c> at the file system's limit
    /// (<see cref="FileSystemLinkLimit"/> or more): EMLINK marks it full. An entry that is
    /// gone or not a file fails the link, and is then looked at as without the trust.
    /// </summary>
    public LinkOutcome? TryLinkKnown(string hash, long size, int suffix, Ownership wanted, Timestamp mtime, bool sameOwnership, string target, bool replaceExisting)
    {
        if (_entries.TryGetValue(hash, out var cached))
        {
            var entries = CollectionsMarshal.AsSpan(cached);
            for (var i = 0; i < entries.Length; i++)
            {
                if (entries[i].Suffix == suffix)
                    return TryLinkKnown(hash, ref entries[i], wanted, mtime, target, replaceExisting);
            }
        }
        var key = (hash, suffix);
        ref var known = ref CollectionsMarshal.GetValueRefOrNullRef(_known, key);
        if (!Unsafe.IsNullRef(ref known))
            return TryLinkKnown(hash, ref known, wanted, mtime, target, replaceExisting);
        if (sameOwnership && maxLinks >= FileSystemLinkLimit && Usable(hash, suffix, size))
        {
            // Not remembered: nothing to count, and a full entry fails its next link at once.
            var trusted = new Entry(suffix, wanted, mtime);
            try
            {
                var outcome = TryLinkKnown(hash, ref trusted, wanted, mtime, target, replaceExisting);
                if (outcome is not null)
                    return outcome;
            }
            catch (PosixException e) when (e.IsAbsent || e.IsNotPermitted)
            {
                // Gone, or not a file: found out below.
            }
        }
        var path = Layout.EntryPath(hash, suffix);
        if (!Files.TryLstat(path, out var meta, out var errno, _levelDirs))
        {
            if (errno.IsAbsent())
                return null;
            throw new PosixException(errno, "stat store entry", path);
        }
        if (meta!.Type != EntryType.File || meta.Size != size)
        {
            NoteUnusable(path, meta, size);
            return null;
        }
        if (_known.Count >= HashLimit)
            _known.Clear();
        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_known, key, out _);
        entry = new Entry(suffix, meta, XattrsKeyOf(path));
        return TryLinkKnown(hash, ref entry, wanted, mtime, target, replaceExisting);
    }

    private LinkOutcome? TryLinkKnown(string hash, ref Entry entry, Ownership wanted, Timestamp mtime, string target, bool replaceExisting)
    {
        if (!Fits(entry, wanted, mtime))
            return null;
        return Link(hash, ref entry, target, replaceExisting);
    }

    /// <summary>
    /// The entry an unchanged file had in the previous snapshot, as its folder and name, when
    /// <see cref="TryLinkKnown"/> would link to it trusted, without a look and without counting:
    /// the entry is not remembered here, the file's ownership is as that snapshot recorded
    /// (<paramref name="sameOwnership"/>), <c>max-links-per-entry</c> is at the file system's
    /// limit and its folder holds nothing odd under its name. Then anyone may make the link, and
    /// its errno means what it means to <see cref="TryLinkKnown"/>. Null: link through that.
    /// </summary>
    public (string Folder, string Name)? TrustedEntry(string hash, long size, int suffix, bool sameOwnership)
    {
        if (!sameOwnership || maxLinks < FileSystemLinkLimit || _entries.ContainsKey(hash) || _known.ContainsKey((hash, suffix))
            || !Usable(hash, suffix, size))
            return null;
        return (Layout.EntryFolder(hash), StoreLayout.EntryName(hash, suffix));
    }

    /// <summary>Whether the store's entries are reached through held level-folder handles (at most one level of folders).</summary>
    public bool HoldsLevelFolders => _levelDirs is not null;

    /// <summary>Any existing entry of <paramref name="hash"/>, as a path relative to the data folder; null when none.</summary>
    public string? AnyEntry(string hash, long size)
    {
        var entries = EntriesOf(hash, size);
        if (entries.Count == 0)
            return null;
        return Path.GetRelativePath(Layout.DataFolder, Layout.EntryPath(hash, entries[0].Suffix));
    }

    /// <summary>
    /// Makes <paramref name="tempPath"/> a reflink clone of an existing entry of
    /// <paramref name="hash"/>: a new inode with the given owner, mode and mtime whose data
    /// blocks are that entry's (nothing read, nothing written but metadata). The entry is
    /// opened without following a symlink and must still be a regular file of the content's
    /// size. The temp file is gone unless the outcome is <see cref="CloneOutcome.Cloned"/>.
    /// Throws when the data folder's file system is at fault (full, I/O error, read-only):
    /// then no other write there succeeds either.
    /// </summary>
    public CloneOutcome TryClone(string hash, long size, string tempPath, Ownership owner, Timestamp mtime, bool chown)
    {
        var entries = EntriesOf(hash, size);
        if (entries.Count == 0)
            return CloneOutcome.NoEntry;
        var path = Layout.EntryPath(hash, entries[0].Suffix);
        SafeFileHandle source;
        try
        {
            source = Files.OpenSource(path, out var meta);
            if (meta.Type != EntryType.File || meta.Size != size)
            {
                source.Dispose();
                NoteUnusable(path, meta, size);
                _entries.Remove(hash);
                return CloneOutcome.NoEntry;
            }
        }
        catch (PosixException e) when (e.IsAbsent || e.IsSymlinkNotFollowed)
        {
            _entries.Remove(hash); // changed under us: looked at again next time
            return CloneOutcome.NoEntry;
        }
        using (source)
        using (var output = Files.CreateExclusive(tempPath))
        {
            var done = false;
            try
            {
                var errno = Reflink.TryClone(output, source);
                if (errno == 0)
                {
                    Files.SetMeta(output, tempPath, owner.Uid, owner.Gid, owner.Mode, mtime, chown);
                    done = true;
                    return CloneOutcome.Cloned;
                }
                if (errno.IsFileSystemWide())
                    throw new PosixException(errno, "clone a store entry to", tempPath);
                return errno.IsCloneUnsupported() ? CloneOutcome.Unsupported : CloneOutcome.Failed;
            }
            finally
            {
                if (!done)
                    Files.TryUnlink(tempPath);
            }
        }
    }

    /// <summary>
    /// Gives a finished temp file its final name: the first free entry name of its hash
    /// (its bytes were hashed as they were written, so the name is the hash of the bytes).
    /// The rename never replaces (RENAME_NOREPLACE): a name taken by what this store did not
    /// know of is skipped, whoever made it.
    /// </summary>
    public int Commit(string tempPath, string hash, long size, ulong xattrs)
    {
        EnsureLevelFolders(hash);
        var entries = EntriesOf(hash, size);
        // The first free name after the known entries. Names past a gap (an entry removed by
        // hand or by prune) were not probed: they are skipped here, never overwritten.
        var suffix = entries.Count == 0 ? 0 : entries.Max(e => e.Suffix) + 1;
        var path = Layout.EntryPath(hash, suffix);
        var errno = Files.TryRenameNoReplace(tempPath, path, _levelDirs, _tempDirs);
        while (errno.AlreadyExists())
        {
            if (Files.TryLstat(path, out var taken, out _, _levelDirs) && taken!.Type == EntryType.File && taken.Size == size && entries.All(e => e.Suffix != suffix))
                entries.Add(new Entry(suffix, taken, XattrsKeyOf(path)));
            path = Layout.EntryPath(hash, ++suffix);
            errno = Files.TryRenameNoReplace(tempPath, path, _levelDirs, _tempDirs);
        }
        if (errno != 0)
            throw new PosixException(errno, $"rename {tempPath} to", path);
        entries.Add(new Entry(suffix, Files.TryLstat(path, out var committed, out var lstatError, _levelDirs)
            ? committed!
            : throw new PosixException(lstatError, "stat", path), xattrs));
        return suffix;
    }

    /// <summary>Links to a just-committed entry; false when the entry is full (EMLINK) and the file must look again.</summary>
    public bool TryLinkEntry(string hash, long size, int suffix, string target, bool replaceExisting, out LinkOutcome outcome)
    {
        var entries = CollectionsMarshal.AsSpan(EntriesOf(hash, size));
        var i = 0;
        while (entries[i].Suffix != suffix)
            i++;
        ref var entry = ref entries[i];
        var result = entry.Links >= maxLinks ? null : Link(hash, ref entry, target, replaceExisting);
        outcome = result ?? LinkOutcome.NeedsContent;
        return result != null;
    }

    /// <summary>
    /// The entries of <paramref name="hash"/> a file may link to: regular files of the
    /// content's <paramref name="size"/>. Anything else under an entry name (a symlink or
    /// folder put there, a truncated file) is never linked into a snapshot, and noted.
    /// </summary>
    private List<Entry> EntriesOf(string hash, long size)
    {
        if (_entries.TryGetValue(hash, out var entries))
            return entries;
        if (_entries.Count >= HashLimit)
            _entries.Clear();
        entries = [];
        for (var suffix = 0; ; suffix++)
        {
            var path = Layout.EntryPath(hash, suffix);
            if (!Files.TryLstat(path, out var meta, out var errno, _levelDirs))
            {
                if (errno.IsAbsent())
                    break;
                throw new PosixException(errno, "stat store entry", path);
            }
            if (meta!.Type == EntryType.File && meta.Size == size)
                entries.Add(new Entry(suffix, meta, XattrsKeyOf(path)));
            else
                NoteUnusable(path, meta, size);
            _known.Remove((hash, suffix)); // the fresh count replaces it
        }
        _entries[hash] = entries;
        return entries;
    }

    /// <summary>
    /// The key of the xattrs a store entry carries, when entries carry them (else 0: not part
    /// of the key). An entry whose xattrs cannot be listed gets a key no file has: it is not shared.
    /// </summary>
    private ulong XattrsKeyOf(string path)
    {
        if (!EntriesCarryXattrs)
            return 0;
        var errno = ExtendedAttributes.TryList(path, out var xattrs);
        return errno == 0 ? Xattrs.Key(xattrs) : ulong.MaxValue;
    }

    /// <summary>
    /// Store entries found unfit to link since the last call (a symlink, folder or device
    /// under an entry name, or a file whose size is not its content's): the caller reports
    /// each once; the store needs a look (verify), the files went to another or a new entry.
    /// </summary>
    public List<(string Path, string Reason)> TakeUnusable()
    {
        var taken = _unusable;
        _unusable = [];
        return taken;
    }

    private List<(string Path, string Reason)> _unusable = [];
    private readonly HashSet<string> _unusableSeen = new(StringComparer.Ordinal);

    private void NoteUnusable(string path, FileMeta meta, long size)
    {
        if (!_unusableSeen.Add(path))
            return;
        var what = meta.Type == EntryType.File
            ? $"has {meta.Size} bytes where its content has {size} (truncated or damaged)"
            : $"is a {meta.Type.ToString().ToLowerInvariant()}, not a regular file (replaced in the store)";
        _unusable.Add((path, $"this store entry {what}: not linked into this snapshot (its files went to another entry, or a new one); run actorbackup verify"));
    }

    /// <summary>
    /// Whether the entry an unchanged file is about to be linked to without further looking
    /// is a regular file. A symlink swapped in for an entry would otherwise be linked into
    /// the snapshot as that symlink. With one level (up to 256 folders) each level folder is
    /// listed once per run, its types read from the listing, and only names that are not
    /// regular files remembered (usually none), instead of a statx per link on the data-store's
    /// thread, the critical path of an incremental. (A swap made after its folder
    /// was listed is seen by the next run; only root can write the store's 0700 folders.) With
    /// more levels the entry is statx'ed, type and size. A wrong one is looked at again, and
    /// noted, by the caller's lstat.
    /// </summary>
    private bool Usable(string hash, int suffix, long size)
    {
        var folder = Layout.EntryFolder(hash);
        var name = StoreLayout.EntryName(hash, suffix);
        if (_levelDirs is not null)
        {
            if (!_notRegular.TryGetValue(folder, out var odd))
                _notRegular[folder] = odd = NotRegular(folder);
            return odd is null || !odd.Contains(name);
        }
        var found = Files.TryLstat(Path.Combine(folder, name), out var meta, out var errno);
        if (!found && !errno.IsAbsent())
            throw new PosixException(errno, "stat store entry", Path.Combine(folder, name));
        return found && meta!.Type == EntryType.File && meta.Size == size;
    }

    // Level folders listed this run: the names in each that are not regular files (null: none).
    private readonly Dictionary<string, HashSet<string>?> _notRegular = new(StringComparer.Ordinal);

    private static HashSet<string>? NotRegular(string folder)
    {
        try
        {
            using var dir = DirectoryHandle.Open(folder);
            var odd = dir.NamesNotRegularFiles();
            return odd.Count == 0 ? null : new HashSet<string>(odd, StringComparer.Ordinal);
        }
        catch (PosixException e) when (e.IsAbsent)
        {
            return null; // no folder, no entry: the link fails and the caller looks
        }
    }

    /// <summary>null when the entry is at its link limit.</summary>
    private LinkOutcome? Link(string hash, ref Entry entry, string target, bool replaceExisting)
    {
        var folder = Layout.EntryFolder(hash);
        var name = StoreLayout.EntryName(hash, entry.Suffix);
        var errno = _levelDirs is null
            ? Files.TryLink(Path.Combine(folder, name), target, snapshotDirs)
            : Files.TryLink(_levelDirs, folder, name, snapshotDirs, target);
        if (errno == 0)
        {
            entry.Links++;
            return LinkOutcome.Linked;
        }
        if (errno.TooManyLinks())
        {
            entry.Full = true;
            return null;
        }
        var path = Path.Combine(folder, name);
        if (!errno.AlreadyExists())
            throw new PosixException(errno, $"link {path} to", target);

        if (!replaceExisting)
            return LinkOutcome.AlreadyLinked;
        // Resuming: the name may already be this entry (linked before the interruption).
        var existing = Files.Lstat(target);
        if (Files.TryLstat(path, out var linked, out _, _levelDirs) && existing.Device == linked!.Device && existing.Inode == linked.Inode)
            return LinkOutcome.AlreadyLinked;
        Files.Unlink(target);
        return Link(hash, ref entry, target, replaceExisting: false);
    }

    public void Dispose()
    {
        _levelDirs?.Dispose();
        _tempDirs.Dispose();
    }

    private void EnsureLevelFolders(string hash)
    {
        var folder = Layout.DataFolder;
        foreach (var level in Layout.LevelFolders(hash))
        {
            folder = folder + "/" + level;
            if (_levelFolders.Contains(folder))
                continue;
            var errno = Files.TryMkdir(folder, 0x1C0); // 0700: content is reached only through snapshot paths
            PosixException.ThrowUnlessMadeOrExists(errno, "create store folder", folder);
            _levelFolders.Add(folder);
        }
    }
}
