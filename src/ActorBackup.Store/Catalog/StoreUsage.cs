using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;
using ActorBackup.Store.Manifest;

namespace ActorBackup.Store.Catalog;

/// <summary>One user's share of the data folder (actorbackup stats --by=user).</summary>
/// <param name="User">The top-level folder of the snapshot paths, escaped like manifest paths; "." for files directly in a root folder.</param>
/// <param name="UniqueBytes">Bytes of store entries that only this user's files link to: what deleting the user would free.</param>
/// <param name="SharedBytes">Bytes of store entries this user's files link to that other users' files link to as well.</param>
/// <param name="LogicalBytes">Sizes of this user's regular files, summed over all complete snapshots.</param>
/// <param name="Files">This user's regular files, summed over all complete snapshots.</param>
public sealed record UserUsage(string User, long UniqueBytes, long SharedBytes, long LogicalBytes, long Files);

/// <summary>What the data folder holds and what it stands for.</summary>
/// <param name="StoreEntries">Content entries in the level folders, each inode once.</param>
/// <param name="StoreBytes">Their sizes.</param>
/// <param name="Snapshots">Complete manifests counted.</param>
/// <param name="SkippedManifests">Manifests not counted (incomplete, damaged, unreadable).</param>
/// <param name="LogicalFiles">Regular files in all counted snapshots.</param>
/// <param name="LogicalBytes">Their sizes: what the snapshots would take without sharing.</param>
/// <param name="Users">Per user, by unique bytes descending; null without --by=user.</param>
/// <param name="UnreferencedEntries">Entries no counted snapshot links to (by user only).</param>
/// <param name="MissingEntries">Entries a counted manifest names that the store lacks (by user only; run verify).</param>
/// <param name="Disk">The store as the file system sees it: shared data blocks counted once.</param>
public sealed record StoreStatsReport(
    string DataFolder,
    StoreFormat Format,
    long StoreEntries,
    long StoreBytes,
    int Snapshots,
    int SkippedManifests,
    long LogicalFiles,
    long LogicalBytes,
    IReadOnlyList<UserUsage>? Users,
    long UnreferencedEntries,
    long UnreferencedBytes,
    long MissingEntries,
    StoreDisk Disk)
{
    /// <summary>1 - stored/logical; null when the snapshots hold no bytes.</summary>
    public double? SavingRatio => LogicalBytes == 0 ? null : 1.0 - (double)StoreBytes / LogicalBytes;
}

/// <summary>
/// The store's space as the file system sees it. A content with entries for several owners,
/// modes or mtimes has <paramref name="FurtherEntries"/> beyond its first, of
/// <paramref name="FurtherBytes"/> apparent size: whole copies where the file system cannot
/// clone, clones sharing the first's data blocks where it can.
/// </summary>
/// <param name="Contents">Distinct contents (hashes) in the store.</param>
/// <param name="ContentBytes">One copy of each: what the store would take with no per-owner entries.</param>
/// <param name="DiskBytes">Data blocks the entries use, each shared block once (FIEMAP); null when the file system cannot tell.</param>
/// <param name="EntriesMade">How the newest run made further entries: "clone", "copy", or null when no run recorded it.</param>
public sealed record StoreDisk(long Contents, long ContentBytes, long FurtherEntries, long FurtherBytes, long? DiskBytes, string? EntriesMade);

/// <summary>
/// actorbackup stats: read-only, no lock (a running backup only adds). Manifests are
/// streamed line by line; nothing in memory grows with the snapshots except, for
/// --by=user, one <see cref="EntryUsers"/> record per store entry the manifests name.
/// A manifest is counted only when it is complete (its "#end N" line matches its N
/// entries) and every line parses; otherwise it is skipped with a notice, as a whole, so a
/// damaged manifest never counts half. With --by=user each counted manifest is read a
/// second time to attribute its entries, once it is known to be sound.
/// </summary>
public static class StoreUsage
{
    /// <summary>The user of a regular file directly in a root folder.</summary>
    public const string RootUser = ".";

    public static StoreStatsReport Compute(string dataFolder, bool byUser, Action<string> notice)
    {
        try
        {
            return Read(dataFolder, byUser, notice);
        }
        catch (Exception e) when (e is PosixException or UnauthorizedAccessException)
        {
            throw new UserError(ExitCode.Fatal, $"cannot read the data folder: {e.Message.TrimEnd('.')}; run stats as a user who can read {dataFolder} (root: it is mode 0700)");
        }
    }

    private static StoreStatsReport Read(string dataFolder, bool byUser, Action<string> notice)
    {
        var layout = DataFolder.Open(dataFolder, DataFolderNeed.Store);
        var format = new StoreFormat(layout.Levels, layout.Hash);

        var users = new UserTable();
        var sound = new List<string>();
        var skipped = 0;
        long files = 0, bytes = 0;
        foreach (var path in ManifestPaths(layout))
        {
            var name = Path.GetFileName(path);
            if (name.EndsWith(".partial", StringComparison.Ordinal))
            {
                notice($"{path}: unfinished run (not a snapshot), not counted");
                continue;
            }
            var totals = new UserTable();
            var problem = Check(path, format.Hash, totals);
            if (problem is not null)
            {
                notice($"{path}: {problem}; not counted (run verify)");
                skipped++;
                continue;
            }
            sound.Add(path);
            users.Add(totals);
            files += totals.Files;
            bytes += totals.Bytes;
        }

        EntryUsers? entries = null;
        if (byUser)
        {
            entries = new EntryUsers();
            foreach (var path in sound)
                Attribute(path, users, entries, notice);
        }
        var (storeEntries, storeBytes, disk) = WalkStore(layout, entries);
        var usage = entries is null ? null : users.Usage(entries);
        return new StoreStatsReport(
            layout.DataFolder, format, storeEntries, storeBytes, sound.Count, skipped, files, bytes, usage,
            entries?.UnreferencedEntries ?? 0, entries?.UnreferencedBytes ?? 0, entries?.MissingEntries ?? 0,
            disk with { EntriesMade = NewestEntriesMade(layout, sound) });
    }

    /// <summary>The user a snapshot-relative path belongs to: its first component.</summary>
    public static string UserOf(string path)
    {
        var slash = path.IndexOf('/');
        return slash < 0 ? RootUser : path[..slash];
    }

    private static IEnumerable<string> ManifestPaths(StoreLayout layout) =>
        Directory.Exists(layout.SnapshotsFolder)
            ? Directory.EnumerateFiles(layout.SnapshotsFolder)
                .Where(p => p.EndsWith(".manifest", StringComparison.Ordinal) || p.EndsWith(".manifest.partial", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
            : [];

    /// <summary>
    /// Reads a whole manifest into <paramref name="totals"/> (per-user files and bytes);
    /// returns why it cannot be counted, or null when it is sound.
    /// </summary>
    private static string? Check(string path, HashKind storeHash, UserTable totals)
    {
        try
        {
            long count = 0;
            long? end = null;
            var hash = storeHash;
            var first = true;
            foreach (var line in File.ReadLines(path))
            {
                if (first)
                {
                    if (line != ManifestFormat.Magic)
                        return "not an ActorBackup manifest";
                    first = false;
                    continue;
                }
                if (end is not null)
                    return "lines after its #end line";
                if (line.StartsWith("#end ", StringComparison.Ordinal))
                    end = long.TryParse(line.AsSpan(5), out var n) ? n : -1;
                else if (line.StartsWith("#hash ", StringComparison.Ordinal))
                    hash = HashKind.Find(line[6..]) ?? throw new FormatException($"its #hash line names '{line[6..]}', a hash this version does not know");
                else if (line.Length > 0 && line[0] != '#')
                {
                    count++;
                    var entry = ManifestFormat.Parse(line);
                    if (entry.Meta.Type != EntryType.File)
                        continue;
                    if (entry.Hash is null || !ContentHash.IsHash(hash, entry.Hash) || entry.EntrySuffix < 0)
                        return $"a file without a valid store entry: {line}";
                    totals.AddFile(UserOf(entry.Path), entry.Meta.Size);
                }
            }
            if (first)
                return "empty";
            if (end is null)
                return "incomplete (no #end line: a run that stopped, or a truncated file)";
            return end == count ? null : $"damaged (#end says {end} entries, it holds {count})";
        }
        catch (Exception e) when (e is FormatException or UserError)
        {
            return $"damaged ({e.Message})";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"unreadable ({e.Message})";
        }
    }

    /// <summary>Second pass over a sound manifest: which user links to which store entry.</summary>
    private static void Attribute(string path, UserTable users, EntryUsers entries, Action<string> notice)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.Length == 0 || line[0] == '#')
                    continue;
                var entry = ManifestFormat.Parse(line);
                if (entry.Meta.Type == EntryType.File)
                    entries.Link(EntryKey.Of(entry.Hash!, entry.EntrySuffix), users.IndexOf(UserOf(entry.Path)));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // Changed since the first pass (a prune removed it): its links are left out.
            notice($"{path}: {e.Message} while attributing its entries to users; the per-user figures leave part of it out");
        }
    }

    /// <summary>How the newest counted snapshot made further entries of a content (its manifest's #entries line).</summary>
    private static string? NewestEntriesMade(StoreLayout layout, List<string> manifests)
    {
        foreach (var path in manifests.OrderByDescending(File.GetLastWriteTimeUtc))
        {
            try
            {
                if (ManifestReader.ReadLeadingHeader(path).TryGetValue(ManifestFormat.EntriesHeader, out var made))
                    return made;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // Another manifest may say it.
            }
        }
        return null;
    }

    /// <summary>
    /// Walks the level folders down to the entries. An inode is counted once: two entry
    /// names can share an inode only when their bytes are the same, so they sit in one
    /// folder, and one folder's inodes are all that need remembering. Each inode's data
    /// extents are asked of the file system (FIEMAP): blocks shared between clones are
    /// counted once, by their disk address.
    /// </summary>
    private static (long Entries, long Bytes, StoreDisk Disk) WalkStore(StoreLayout layout, EntryUsers? entries)
    {
        long count = 0, bytes = 0, contents = 0, contentBytes = 0, further = 0, furtherBytes = 0;
        var disk = new DiskBlocks();
        string? lastHash = null;
        var seen = new HashSet<ulong>();
        void Visit(string folder, int depth)
        {
            using var dir = DirectoryHandle.Open(folder);
            var names = dir.ListNames();
            names.Sort(StringComparer.Ordinal);
            if (depth < layout.Levels)
            {
                foreach (var name in names)
                {
                    if (name.Length == 2 && name.All(c => c is >= '0' and <= '9' or >= 'A' and <= 'F')
                        && dir.StatChild(name) is { Type: EntryType.Directory })
                        Visit(folder + "/" + name, depth + 1);
                }
                return;
            }
            seen.Clear();
            foreach (var name in names)
            {
                if (layout.ParseEntryName(name) is not { } parsed || dir.StatChild(name) is not { Type: EntryType.File } meta)
                    continue;
                var first = seen.Add(meta.Inode);
                if (first)
                {
                    count++;
                    bytes += meta.Size;
                    if (parsed.Hash != lastHash)
                    {
                        contents++;
                        contentBytes += meta.Size;
                        lastHash = parsed.Hash;
                    }
                    else
                    {
                        further++;
                        furtherBytes += meta.Size;
                    }
                    disk.Add(folder + "/" + name, meta);
                }
                entries?.Found(EntryKey.Of(parsed.Hash, parsed.Suffix), first ? meta.Size : 0, first);
            }
        }
        Visit(layout.DataFolder, 0);
        return (count, bytes, new StoreDisk(contents, contentBytes, further, furtherBytes, disk.Total, null));
    }

    /// <summary>
    /// Sums the data blocks of store entries as the file system allocated them: extents only
    /// one file uses are added as they come; shared ones (clones) are remembered by disk
    /// address and merged at the end, so a block shared by a hundred entries counts once.
    /// </summary>
    private sealed class DiskBlocks
    {
        private readonly List<(long Start, long End)> _shared = [];
        private long _own;
        private bool _unknown;

        public void Add(string path, FileMeta meta)
        {
            if (_unknown || meta.Size == 0)
                return;
            try
            {
                using var file = Files.OpenSource(path, out var now);
                if (!now.SameInodeAs(meta))
                    return; // replaced since listed: counted as it was listed, without blocks
                var extents = Reflink.Extents(file, sync: false, out var errno);
                if (errno != 0)
                {
                    _unknown = true; // no FIEMAP here (tmpfs, some network file systems)
                    return;
                }
                foreach (var e in extents)
                {
                    if (e.Shared && !e.NotLocated)
                        _shared.Add((e.Physical, e.Physical + e.Length));
                    else
                        _own += e.Length;
                }
            }
            catch (PosixException)
            {
                // Gone or unreadable since listed: its blocks are not counted.
            }
        }

        public long? Total
        {
            get
            {
                if (_unknown)
                    return null;
                _shared.Sort();
                long total = _own, end = long.MinValue;
                foreach (var (start, stop) in _shared)
                {
                    if (stop <= end)
                        continue;
                    total += stop - Math.Max(start, end);
                    end = stop;
                }
                return total;
            }
        }
    }
}
