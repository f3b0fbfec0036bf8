using System.Runtime.InteropServices;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;

namespace ActorBackup.Store.Verify;

/// <summary>
/// Every content entry of the data folder, found by listing the level folders, with what
/// verify needs of it: size, inode, link count, and the number of manifest paths naming it.
/// Names that are no entry (half-written, misnamed, misplaced) are reported while listing.
///
/// Memory: one 80-byte <see cref="Slot"/> per entry in one array kept in hash order (the
/// level folders are listed in order and each folder's entries sorted), found by binary
/// search: about 75 MB per million entries. The order is also the order of
/// --read-data-subset, so a data check needs no second copy of the keys. Names that only
/// the manifests know (entries missing from the store) sit in a small side map.
/// </summary>
public sealed class StoreIndex
{
    /// <summary>The name is in a manifest but no such entry is in the store.</summary>
    public const byte Missing = 1;

    /// <summary>A size mismatch for this entry was reported already (report once, not per path).</summary>
    public const byte SizeReported = 2;

    /// <summary>The entry's xattrs were listed (<see cref="Info.Xattrs"/> holds their key).</summary>
    public const byte XattrsRead = 4;

    /// <summary>An xattr mismatch for this entry was reported already.</summary>
    public const byte XattrsReported = 8;

    public struct Info
    {
        public long Size;
        public ulong Inode;
        public ulong LinkCount;
        public int ManifestLinks;
        public byte Flags;
        public ulong Xattrs; // Core.Xattrs.Key of what the entry carries, once XattrsRead
    }

    public struct Slot
    {
        public EntryKey Key;
        public Info Info;
    }

    private readonly List<Slot> _slots = [];
    private readonly Dictionary<EntryKey, Info> _missing = [];
    private readonly StoreLayout _layout;
    private readonly Action<Finding> _report;

    private StoreIndex(StoreLayout layout, Action<Finding> report)
    {
        _layout = layout;
        _report = report;
        Device = Files.Lstat(layout.DataFolder).Device;
    }

    /// <summary>The data folder's device: a snapshot file links an entry when device and inode match.</summary>
    public ulong Device { get; }

    /// <summary>The store's entries in hash order. Not to be changed while a scrub reads it.</summary>
    public IReadOnlyList<Slot> Slots => _slots;

    public int StoreEntries => _slots.Count;

    /// <summary>Entries start .. start+count-1 of the hash order, as a scrub's work list (a view: nothing is copied).</summary>
    public IReadOnlyList<EntryToCheck> Range(int start, int count) => new SlotRange(_slots, start, count);

    private sealed class SlotRange(List<Slot> slots, int start, int count) : IReadOnlyList<EntryToCheck>
    {
        public EntryToCheck this[int index]
        {
            get
            {
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)count, nameof(index));
                var slot = slots[start + index];
                return new EntryToCheck(slot.Key, slot.Info.Inode, slot.Info.Size);
            }
        }

        public int Count => count;

        public IEnumerator<EntryToCheck> GetEnumerator()
        {
            for (var i = 0; i < count; i++)
                yield return this[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    public static StoreIndex Scan(StoreLayout layout, Action<Finding> report)
    {
        var index = new StoreIndex(layout, report);
        index.ScanFolder(layout.DataFolder, 0, "");
        return index;
    }

    /// <summary>The entry's record; a name the store does not hold gets one flagged <see cref="Missing"/> (<paramref name="added"/>).</summary>
    public ref Info Find(EntryKey key, out bool added)
    {
        var i = IndexOf(key);
        added = false;
        if (i >= 0)
            return ref CollectionsMarshal.AsSpan(_slots)[i].Info;
        ref var info = ref CollectionsMarshal.GetValueRefOrAddDefault(_missing, key, out var exists);
        added = !exists;
        info.Flags = Missing;
        return ref info;
    }

    public bool TryGet(EntryKey key, out Info info)
    {
        var i = IndexOf(key);
        if (i >= 0)
        {
            info = _slots[i].Info;
            return true;
        }
        return _missing.TryGetValue(key, out info);
    }

    private int IndexOf(EntryKey key)
    {
        var span = CollectionsMarshal.AsSpan(_slots);
        int lo = 0, hi = span.Length - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var c = span[mid].Key.CompareTo(key);
            if (c == 0)
                return mid;
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid - 1;
        }
        return -1;
    }

    private void ScanFolder(string folder, int depth, string prefix)
    {
        List<string> names;
        DirectoryHandle dir;
        try
        {
            dir = DirectoryHandle.Open(folder);
            names = dir.ListNames();
        }
        catch (PosixException e)
        {
            _report(new Finding(FindingKind.Problem, Finding.Show(folder), $"cannot be listed ({e.Cause}); the entries in it were not checked"));
            return;
        }
        var first = _slots.Count;
        using (dir)
        {
            names.Sort(StringComparer.Ordinal);
            foreach (var name in names)
            {
                if (depth == 0 && name is StoreLayout.MetaFolderName or "lost+found")
                    continue;
                var path = folder == "/" ? "/" + name : folder + "/" + name;
                var meta = dir.StatChild(name);
                if (meta is null)
                    continue;
                if (depth < _layout.Levels)
                    LevelChild(path, name, meta, depth, prefix);
                else
                    Entry(path, name, meta, prefix);
            }
        }
        // Folders come in name order; within one, "HASH.10" sorts before "HASH.2" as text: order by key.
        CollectionsMarshal.AsSpan(_slots)[first..].Sort((a, b) => a.Key.CompareTo(b.Key));
    }

    private void LevelChild(string path, string name, FileMeta meta, int depth, string prefix)
    {
        if (meta.Type == EntryType.Directory && name.Length == 2 && name.All(char.IsAsciiHexDigitUpper))
            ScanFolder(path, depth + 1, prefix + name);
        else if (depth == 0)
            _report(new Finding(FindingKind.Notice, Finding.Show(path), "is not part of the store (not a level folder); left alone"));
        else
            _report(new Finding(FindingKind.Problem, Finding.Show(path),
                $"does not belong in a level folder (only folders named by two upper-case hex digits do); remove it{LinksNote(meta)}"));
    }

    private void Entry(string path, string name, FileMeta meta, string prefix)
    {
        var parsed = _layout.ParseEntryName(name);
        if (parsed is null)
        {
            _report(new Finding(FindingKind.Problem, Finding.Show(path),
                $"is not a store entry name (a half-written or misnamed file); remove it{LinksNote(meta)}"));
            return;
        }
        var (hash, suffix) = parsed.Value;
        if (!hash.StartsWith(prefix, StringComparison.Ordinal))
        {
            _report(new Finding(FindingKind.Problem, Finding.Show(path),
                $"lies in the wrong level folder, where no backup finds it; move it to {_layout.EntryPath(hash, suffix)}"));
            return;
        }
        if (meta.Type != EntryType.File)
        {
            _report(new Finding(FindingKind.Problem, Finding.Show(path), $"is a {Describe(meta.Type)}, not a regular file; remove it"));
            return;
        }
        _slots.Add(new Slot { Key = EntryKey.From(hash, suffix), Info = new Info { Size = meta.Size, Inode = meta.Inode, LinkCount = meta.LinkCount } });
    }

    private static string LinksNote(FileMeta meta) =>
        meta.Type == EntryType.File && meta.LinkCount > 1 ? $" once nothing needs it (it has {meta.LinkCount} links)" : "";

    public static string Describe(EntryType type) => type switch
    {
        EntryType.File => "regular file",
        EntryType.Directory => "directory",
        EntryType.Symlink => "symlink",
        EntryType.Fifo => "FIFO",
        EntryType.CharDevice => "character device",
        EntryType.BlockDevice => "block device",
        _ => "socket",
    };
}
