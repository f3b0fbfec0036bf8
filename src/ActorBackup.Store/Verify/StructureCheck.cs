using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;
using ActorBackup.Store.Manifest;

namespace ActorBackup.Store.Verify;

/// <summary>
/// The fast check: each manifest's entries are in its snapshot tree with the recorded type,
/// every snapshot regular file is the inode of the store entry its manifest names, the store
/// entry has the recorded size and (where entries carry their files' xattrs) the recorded
/// xattrs and ACLs, and (all snapshots checked) link counts add up. Manifests are
/// streamed; the only growing state is the <see cref="StoreIndex"/> and the set of missing
/// directories of one snapshot (their contents are not reported one by one).
/// </summary>
public sealed class StructureCheck(StoreLayout layout, StoreIndex index, Action<Finding> report)
{
    /// <summary>Manifest entries checked against their snapshot trees.</summary>
    public long Paths { get; private set; }

    /// <summary>Entries whose size differs from what the manifests record: read-data finds them damaged, heal can fix them.</summary>
    public HashSet<EntryKey> SizeDamaged { get; } = [];

    public void CheckManifest(string manifestPath)
    {
        var name = SnapshotName(manifestPath);
        ManifestReader reader;
        try
        {
            reader = new ManifestReader(manifestPath);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            Problem(manifestPath, $"cannot be read ({e.Message}); snapshot {name} was not checked; restore the manifest from a copy of the data folder");
            return;
        }
        if (!reader.IsComplete)
            Problem(manifestPath, "has no #end line: it is truncated, so its snapshot's last entries are not checked; restore it from a copy of the data folder");
        if (!reader.Header.TryGetValue("snapshot", out var escaped))
        {
            Problem(manifestPath, "has no #snapshot line; its snapshot cannot be found");
            return;
        }
        var root = PathBytes.Unescape(escaped);
        var rootPresent = Files.TryLstat(root, out var rootMeta, out _) && rootMeta!.Type == EntryType.Directory;
        if (!rootPresent)
            Problem(root, $"snapshot folder of {name} is missing; restore it from another copy, or let prune remove the manifest");

        var missingFolders = new HashSet<string>(StringComparer.Ordinal);
        var entryXattrs = reader.Header.GetValueOrDefault(ManifestFormat.EntryXattrsHeader) == ManifestFormat.EntryXattrsOwn;
        using var tree = new TreeLookup(root);
        try
        {
            foreach (var entry in reader.Entries())
            {
                Paths++;
                if (entry.Meta.Type == EntryType.File && entry.Hash is not null)
                    CountLink(entry, root, entryXattrs);
                if (rootPresent && entry.Path.Length > 0)
                    CheckPath(entry, root, tree, missingFolders);
            }
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            Problem(manifestPath, $"cannot be read to its end ({e.Message}); the rest of snapshot {name} was not checked");
        }
    }

    /// <summary>
    /// One more manifest path names the entry; its size must be the store entry's, and where
    /// entries carry their files' xattrs (<paramref name="entryXattrs"/>), so must its xattrs.
    /// </summary>
    private void CountLink(ManifestEntry entry, string root, bool entryXattrs)
    {
        var key = EntryKey.From(entry.Hash!, Math.Max(entry.EntrySuffix, 0));
        ref var info = ref index.Find(key, out var added);
        info.ManifestLinks++;
        if (added)
        {
            var path = SnapshotPath(root, entry.Path);
            Problem(key.PathIn(layout),
                $"store entry is missing, though manifests name it (first: {Finding.Show(path)}); if that file still holds the content (its {layout.Hash.Name} is the name), link it back: ln {Finding.Show(path)} {Finding.Show(key.PathIn(layout))}");
            return;
        }
        if ((info.Flags & (StoreIndex.Missing | StoreIndex.SizeReported)) == 0 && info.Size != entry.Meta.Size)
        {
            info.Flags |= StoreIndex.SizeReported;
            SizeDamaged.Add(key);
            Problem(key.PathIn(layout),
                $"store entry has {info.Size} bytes, the manifests record {entry.Meta.Size} (half-written or truncated); verify --heal --rootfolder=SOURCE rewrites it from the source");
        }
        if (entryXattrs && (info.Flags & (StoreIndex.Missing | StoreIndex.XattrsReported)) == 0)
            CheckXattrs(ref info, key, entry, root);
    }

    /// <summary>The store entry carries the xattrs (ACLs included) its manifest line records: listed once per entry.</summary>
    private void CheckXattrs(ref StoreIndex.Info info, EntryKey key, ManifestEntry entry, string root)
    {
        var store = key.PathIn(layout);
        if ((info.Flags & StoreIndex.XattrsRead) == 0)
        {
            var errno = ExtendedAttributes.TryList(store, out var carried);
            info.Xattrs = errno == 0 ? Xattrs.Key(carried) : ulong.MaxValue;
            info.Flags |= StoreIndex.XattrsRead;
        }
        if (info.Xattrs == Xattrs.Key(entry.Xattrs))
            return;
        info.Flags |= StoreIndex.XattrsReported;
        var path = SnapshotPath(root, entry.Path);
        var wanted = entry.Xattrs is { Count: > 0 } list ? string.Join(", ", list.Select(x => x.Name)) : "none";
        Problem(store,
            $"store entry's extended attributes or ACLs are not what the manifests record for its files (first: {Finding.Show(path)}, which should carry: {wanted}): changed with setfacl/setfattr through a snapshot path or in the store; every snapshot file linked to it shows them. Set them back as the source has them (getfacl/getfattr of the source file), or restore the files: restore sets what the manifest records");
    }

    private void CheckPath(ManifestEntry entry, string root, TreeLookup tree, HashSet<string> missingFolders)
    {
        var path = SnapshotPath(root, entry.Path);
        if (missingFolders.Contains(PathBytes.Parent(entry.Path)))
        {
            // Reported with its folder: one line for a lost folder, not one per entry in it.
            if (entry.Meta.Type == EntryType.Directory)
                missingFolders.Add(entry.Path);
            return;
        }
        if (!tree.TryLstat(entry.Path, out var meta, out var failure))
        {
            if (entry.Meta.Type == EntryType.Socket)
                return; // recorded, never recreated
            if (entry.Meta.Type is EntryType.CharDevice or EntryType.BlockDevice)
            {
                report(new Finding(FindingKind.Notice, Finding.Show(path), $"{StoreIndex.Describe(entry.Meta.Type)} is not in the snapshot (a backup not run as root skips devices)"));
                return;
            }
            if (entry.Meta.Type == EntryType.Directory)
                missingFolders.Add(entry.Path);
            Problem(path, Missing(entry, failure, path));
            return;
        }
        if (meta!.Type != entry.Meta.Type)
        {
            if (entry.Meta.Type == EntryType.Directory)
                missingFolders.Add(entry.Path); // what was below it is not looked for: one line for the folder
            Problem(path, $"is a {StoreIndex.Describe(meta.Type)}, the manifest records a {StoreIndex.Describe(entry.Meta.Type)}; restore it from another copy");
            return;
        }
        if (entry.Meta.Type != EntryType.File || entry.Hash is null)
            return;
        var key = EntryKey.From(entry.Hash, Math.Max(entry.EntrySuffix, 0));
        index.TryGet(key, out var info);
        if ((info.Flags & StoreIndex.Missing) != 0)
            return; // the missing entry is reported once, not per path
        if (meta.Device != index.Device || meta.Inode != info.Inode)
        {
            var store = Finding.Show(key.PathIn(layout));
            Problem(path, $"is not a link of its store entry {store} (it is inode {meta.Inode}, the entry is inode {info.Inode}); link it again: ln -f {store} {Finding.Show(path)}");
        }
    }

    /// <summary><paramref name="failure"/>: why the entry could not be examined; null when it is not there.</summary>
    private string Missing(ManifestEntry entry, PosixException? failure, string path)
    {
        var why = failure switch
        {
            null or { IsNotFound: true } => "is missing",
            { IsSymlinkNotFollowed: true } => "lies below a symlink that replaced a folder of the snapshot (not followed)",
            _ => $"cannot be examined ({failure.Cause})",
        };
        if (entry.Meta.Type == EntryType.File && entry.Hash is not null)
        {
            var key = EntryKey.From(entry.Hash, Math.Max(entry.EntrySuffix, 0));
            var store = Finding.Show(key.PathIn(layout));
            return index.TryGet(key, out var info) && (info.Flags & StoreIndex.Missing) == 0
                ? $"{why} (a regular file of the manifest); link it again: ln {store} {Finding.Show(path)}"
                : $"{why} (a regular file of the manifest), and so is its store entry {store}; restore it from another copy";
        }
        var what = entry.Meta.Type == EntryType.Directory ? "directory, with everything in it" : StoreIndex.Describe(entry.Meta.Type);
        return $"{why} (a {what} of the manifest); restore it from another copy";
    }

    /// <summary>Checks the link counts once every published manifest was read.</summary>
    public void CheckLinkCounts()
    {
        foreach (var slot in index.Slots)
        {
            var (key, info) = (slot.Key, slot.Info);
            var expected = (ulong)info.ManifestLinks + 1;
            if (info.ManifestLinks == 0 && info.LinkCount <= 1)
                Notice(key, "store entry is unreferenced (no snapshot links it); prune collects it");
            else if (info.ManifestLinks == 0)
                Notice(key, $"store entry is named by no manifest but has {info.LinkCount - 1} other links (an unfinished run's partial snapshot, or links made by hand)");
            else if (info.LinkCount > expected)
                Notice(key, $"store entry has {info.LinkCount} links, but only {info.ManifestLinks} snapshot paths name it (+1 for its own name): the others are outside the published snapshots (an unfinished run's partial snapshot, or links made by hand)");
        }
    }

    public static string SnapshotName(string manifestPath)
    {
        var file = Path.GetFileName(manifestPath);
        return file.EndsWith(".manifest", StringComparison.Ordinal) ? file[..^".manifest".Length] : file;
    }

    public static string SnapshotPath(string root, string relative) =>
        relative.Length == 0 ? root : root.Length == 0 ? relative : root == "/" ? "/" + relative : root + "/" + relative;

    private void Problem(string path, string text) => report(new Finding(FindingKind.Problem, Finding.Show(path), text));

    private void Notice(EntryKey key, string text) => report(new Finding(FindingKind.Notice, Finding.Show(key.PathIn(layout)), text));

    /// <summary>
    /// Looks entries of one snapshot tree up below its root: each folder opened from the root
    /// with no symlink followed (a user may have swapped a folder of their snapshot for a
    /// symlink to anywhere), its entries stat'ed from its handle. Manifests list a folder's
    /// entries together, so one folder is held at a time.
    /// </summary>
    private sealed class TreeLookup(string root) : IDisposable
    {
        private readonly SourceRoot _root = new(root);
        private string? _folder;
        private DirectoryHandle? _handle;
        private PosixException? _folderFailure;

        public bool TryLstat(string relative, out FileMeta? meta, out PosixException? failure)
        {
            meta = null;
            var folder = PathBytes.Parent(relative);
            if (folder != _folder)
            {
                _handle?.Dispose();
                (_handle, _folder, _folderFailure) = (null, folder, null);
                try
                {
                    _handle = _root.OpenDirectory(folder);
                }
                catch (PosixException e)
                {
                    _folderFailure = e.IsNotADirectory ? null : e; // a file where a folder was: the entry is missing
                }
            }
            if (_handle is null)
            {
                failure = _folderFailure;
                return false;
            }
            try
            {
                meta = _handle.StatChild(relative[(relative.LastIndexOf('/') + 1)..]);
                failure = null;
            }
            catch (PosixException e)
            {
                failure = e;
            }
            return meta is not null;
        }

        public void Dispose()
        {
            _handle?.Dispose();
            _root.Dispose();
        }
    }
}
