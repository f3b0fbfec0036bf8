using System.Runtime.InteropServices;
using ActorBackup.Core;
using ActorBackup.Core.Store;
using ActorBackup.Posix;

namespace ActorBackup.Actors.Verify;

/// <summary>
/// Every content entry of the data folder, found by listing the level folders, with what
/// verify needs of it: size, inode, link count, and the number of manifest paths naming it.
/// Names that are no entry (half-written, misnamed, misplaced) are reported while listing.
///
/// Memory: one <see cref="EntryKey"/> (40 bytes) and one <see cref="Info"/> (32 bytes) per
/// entry in a dictionary, about 80 bytes per entry with the dictionary's own fields (see
/// the README for the measured figure per million entries).
/// </summary>
public sealed class StoreIndex
{
    /// <summary>The name is in a manifest but no such entry is in the store.</summary>
    public const byte Missing = 1;

    /// <summary>A size mismatch for this entry was reported already (report once, not per path).</summary>
    public const byte SizeReported = 2;

    public struct Info
    {
        public long Size;
        public ulong Inode;
        public ulong LinkCount;
        public int ManifestLinks;
        public byte Flags;
    }

    private readonly Dictionary<EntryKey, Info> _entries = [];
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

    /// <summary>Entries in the store (not counting names only the manifests know).</summary>
    public int StoreEntries { get; private set; }

    public IEnumerable<KeyValuePair<EntryKey, Info>> Entries => _entries;

    public static StoreIndex Scan(StoreLayout layout, Action<Finding> report)
    {
        var index = new StoreIndex(layout, report);
        index.ScanFolder(layout.DataFolder, 0, "");
        return index;
    }

    /// <summary>The entry's record; a name the store does not hold gets one flagged <see cref="Missing"/> (<paramref name="added"/>).</summary>
    public ref Info Find(EntryKey key, out bool added)
    {
        ref var info = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, key, out var exists);
        added = !exists;
        if (added)
            info.Flags = Missing;
        return ref info;
    }

    public bool TryGet(EntryKey key, out Info info) => _entries.TryGetValue(key, out info);

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
            _report(new Finding(FindingKind.Problem, Finding.Show(folder), $"cannot be listed ({PosixException.Describe(e.Errno)}); the entries in it were not checked"));
            return;
        }
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
        _entries[EntryKey.From(hash, suffix)] = new Info { Size = meta.Size, Inode = meta.Inode, LinkCount = meta.LinkCount };
        StoreEntries++;
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
