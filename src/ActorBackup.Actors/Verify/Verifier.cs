using System.Diagnostics;
using System.Globalization;
using ActorBackup.Actors.Storage;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;
using ActorBackup.Store.Catalog;
using ActorBackup.Store.Manifest;
using ActorBackup.Store.Verify;
using Akka.Actor;

namespace ActorBackup.Actors.Verify;

/// <summary>What verify reads: no data (structure only), every entry, or the next slice of them.</summary>
public enum DataCheck
{
    None,
    Full,
    Subset,
}

/// <param name="Snapshot">Only this snapshot (its entries' link counts are then not checked); null: all.</param>
/// <param name="HealFrom">The live source folder to heal damaged entries from; null: no healing.</param>
public sealed record VerifyOptions(StoreLayout Layout, string? Snapshot, DataCheck Data, double SubsetPercent, string? HealFrom);

/// <summary>The figures of a verify run, and its exit code.</summary>
public sealed record VerifyOutcome(
    int Snapshots, long Paths, int StoreEntries, long EntriesRead, long BytesRead,
    int Problems, int Notices, int Damaged, int Healed, TimeSpan Elapsed)
{
    /// <summary>20 while any problem or damage remains, 21 when damage was found and all of it healed, else 0. Notices never count.</summary>
    public ExitCode Code => Problems > 0 || Damaged > Healed ? ExitCode.DamageFound : Healed > 0 ? ExitCode.DamageHealed : ExitCode.Success;
}

/// <summary>
/// actorbackup verify, in order: litter and unfinished runs (notices); the store's entries
/// listed (<see cref="StoreIndex"/>); every manifest checked against its snapshot tree and
/// the store, then link counts (<see cref="StructureCheck"/>); with a data check, entries
/// re-hashed by the hasher pool (<see cref="Scrub"/>), the snapshot paths of each damaged one
/// found by scanning the manifests again, and with a heal source each rewritten
/// (<see cref="Healer"/>). Findings go to <c>report</c> as they are made.
/// </summary>
public sealed class Verifier(VerifyOptions options, BackupSettings settings, Func<ActorSystem> createSystem, Action<Finding> report, Action<string> verbose)
{
    private readonly StoreLayout _layout = options.Layout;
    private int _problems, _notices;

    public VerifyOutcome Run()
    {
        var clock = Stopwatch.StartNew();
        List<string> manifests = options.Snapshot is { } one ? [_layout.ManifestPath(one)] : PublishedManifests();
        ReportLitter();
        verbose($"verifying data folder {_layout.DataFolder} (hash {_layout.Hash.Name}, levels {_layout.Levels}): {manifests.Count} snapshots{(options.Snapshot is null ? "" : " (link counts are checked only when all snapshots are)")}");

        var index = StoreIndex.Scan(_layout, Report);
        var structure = new StructureCheck(_layout, index, Report);
        foreach (var manifest in manifests)
            structure.CheckManifest(manifest);
        if (options.Snapshot is null)
            structure.CheckLinkCounts();

        long entriesRead = 0, bytesRead = 0;
        int damaged = 0, healed = 0;
        if (options.Data != DataCheck.None)
        {
            var entries = EntriesToRead(index);
            Scrub.Finished finished;
            using (var system = createSystem())
            {
                finished = Scrub.Run(system, _layout, settings, entries);
                system.Terminate().Wait(TimeSpan.FromSeconds(10));
            }
            entriesRead = finished.Entries;
            bytesRead = finished.Bytes;
            if (finished.Failure is not null)
                Report(new Finding(FindingKind.Problem, Finding.Show(_layout.DataFolder), $"the data check stopped early: {finished.Failure}; run verify again"));
            else if (options.Data == DataCheck.Subset && entries.Count > 0)
                ScrubPosition.Write(_layout, entries[^1].Key);
            (damaged, healed) = ReportDamage(finished.Damaged, index, structure.SizeDamaged);
        }
        return new VerifyOutcome(manifests.Count, structure.Paths, index.StoreEntries, entriesRead, bytesRead,
            _problems, _notices, damaged, healed, clock.Elapsed);
    }

    private void Report(Finding finding)
    {
        if (finding.Kind == FindingKind.Problem)
            _problems++;
        else if (finding.Kind == FindingKind.Notice)
            _notices++;
        report(finding);
    }

    /// <summary>The published manifests, by name; unfinished runs' journals and other files are notices.</summary>
    private List<string> PublishedManifests()
    {
        var manifests = new List<string>();
        foreach (var name in ListNames(_layout.SnapshotsFolder))
        {
            var path = Path.Combine(_layout.SnapshotsFolder, name);
            if (name.EndsWith(".manifest", StringComparison.Ordinal))
                manifests.Add(path);
            else if (name.EndsWith(".manifest.partial", StringComparison.Ordinal))
                Report(new Finding(FindingKind.Notice, Finding.Show(path), "belongs to a backup run that did not finish (its snapshot is not published); running that backup again resumes it"));
            else if (name.EndsWith(".manifest.deleting", StringComparison.Ordinal))
                Report(new Finding(FindingKind.Notice, Finding.Show(path), "marks a snapshot a prune was removing; the next prune finishes it"));
            else if (name.EndsWith(SnapshotList.SummarySuffix, StringComparison.Ordinal)
                     && (Files.Exists(path[..^SnapshotList.SummarySuffix.Length] + ".manifest")
                         || Files.Exists(path[..^SnapshotList.SummarySuffix.Length] + ".manifest.deleting")))
                continue; // what its run stored (actorbackup list shows it)
            else
                Report(new Finding(FindingKind.Notice, Finding.Show(path), "is not a manifest (left by an interrupted run?); left alone"));
        }
        return manifests;
    }

    private void ReportLitter()
    {
        foreach (var path in TempFiles.List(_layout))
            Report(new Finding(FindingKind.Notice, Finding.Show(path), "is a temp file left by an interrupted run; the next backup removes it"));
    }

    private static List<string> ListNames(string folder)
    {
        if (!Files.Exists(folder))
            return [];
        using var dir = DirectoryHandle.Open(folder);
        var names = dir.ListNames();
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>
    /// The entries to re-hash, in hash order: every entry of the store (a view of the index,
    /// no copy), the slice after the recorded position (subset), or with --snapshot those it names.
    /// </summary>
    private IReadOnlyList<EntryToCheck> EntriesToRead(StoreIndex index)
    {
        var slots = index.Slots;
        IReadOnlyList<EntryToCheck> entries;
        if (options.Snapshot is not null)
        {
            entries = slots.Where(s => s.Info.ManifestLinks > 0)
                .Select(s => new EntryToCheck(s.Key, s.Info.Inode, s.Info.Size))
                .ToList();
        }
        else if (options.Data == DataCheck.Subset)
        {
            var (start, count) = ScrubPosition.Select(slots.Count, i => slots[i].Key, ScrubPosition.Read(_layout), options.SubsetPercent, out var wrapped);
            entries = index.Range(start, count);
            if (count > 0)
            {
                var (first, last) = (slots[start].Key.Name(_layout.Hash), slots[start + count - 1].Key.Name(_layout.Hash));
                var pct = options.SubsetPercent.ToString("0.###", CultureInfo.InvariantCulture);
                verbose($"read-data-subset {pct}%: checking entries {start + 1} to {start + count} of {slots.Count} in hash order ({first} to {last})" +
                        (wrapped ? ", starting over from the first (every entry was checked)" : "") +
                        (start + count >= slots.Count ? "; the next run starts over from the first" : $"; the next run starts after {last}"));
            }
        }
        else
            entries = index.Range(0, slots.Count);
        verbose($"read-data: re-hashing {entries.Count} store entries with {settings.Hashers} hashers");
        return entries;
    }

    /// <summary>Where the damaged entries are linked, and (with a heal source) each healed or why not.</summary>
    private (int Damaged, int Healed) ReportDamage(IReadOnlyList<Scrub.DamagedEntry> damage, StoreIndex index, HashSet<EntryKey> sizeDamaged)
    {
        if (damage.Count == 0)
            return (0, 0);
        var uses = FindUses(damage.Select(d => d.Key).ToHashSet());
        using var healer = options.HealFrom is { } root ? new Healer(_layout, settings.ReadBuffer, settings.ReadRetries, root) : null;
        var healed = 0;
        foreach (var d in damage.OrderBy(d => d.Key))
        {
            index.TryGet(d.Key, out var info);
            var use = uses.GetValueOrDefault(d.Key) ?? new Uses(info.Size);
            var entry = Finding.Show(d.Key.PathIn(_layout));
            var linked = use.SnapshotPaths.Count == 0 ? "linked by no snapshot" : "linked by " + string.Join(", ", use.SnapshotPaths.Select(Finding.Show));
            if (healer is null)
            {
                report(new Finding(FindingKind.Damaged, entry,
                    $"{d.Reason}; {linked}; heal it from the source with --heal --rootfolder=SOURCE, or restore those files from another copy"));
                continue;
            }
            var result = healer.Heal(d.Key, info.Inode, use.Size, use.RelativePaths);
            if (result.Healed)
            {
                healed++;
                if (sizeDamaged.Contains(d.Key))
                    _problems--; // its size problem is healed with it
                var repaired = use.SnapshotPaths.Count == 0 ? "no snapshot links it" : "repaired " + string.Join(", ", use.SnapshotPaths.Select(Finding.Show));
                report(new Finding(FindingKind.Healed, entry, $"{d.Reason}; rewritten from {Finding.Show(result.Source!)} in place (same inode {info.Inode}); {repaired}"));
            }
            else
                report(new Finding(FindingKind.Damaged, entry, $"{d.Reason}; {linked}; not healed: {result.Why}; restore those files from another copy"));
        }
        return (damage.Count, healed);
    }

    /// <summary>The snapshot paths linking an entry, and the root-relative paths its source had.</summary>
    private sealed class Uses(long size)
    {
        public long Size { get; set; } = size;
        public List<string> SnapshotPaths { get; } = [];
        public List<string> RelativePaths { get; } = [];
        public HashSet<string> SeenRelative { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Scans every published manifest (not only --snapshot's: the damaged inode is shared) for the damaged entries.</summary>
    private Dictionary<EntryKey, Uses> FindUses(HashSet<EntryKey> damaged)
    {
        var uses = new Dictionary<EntryKey, Uses>();
        foreach (var manifest in PublishedManifestsQuietly())
        {
            try
            {
                var reader = new ManifestReader(manifest);
                var root = reader.Header.TryGetValue("snapshot", out var s) ? PathBytes.Unescape(s) : null;
                if (root is null)
                    continue;
                foreach (var e in reader.Entries())
                {
                    if (e.Meta.Type != EntryType.File || e.Hash is null)
                        continue;
                    var key = EntryKey.From(e.Hash, Math.Max(e.EntrySuffix, 0));
                    if (!damaged.Contains(key))
                        continue;
                    if (!uses.TryGetValue(key, out var use))
                        uses[key] = use = new Uses(e.Meta.Size);
                    use.SnapshotPaths.Add(StructureCheck.SnapshotPath(root, e.Path));
                    if (use.SeenRelative.Add(e.Path))
                        use.RelativePaths.Add(e.Path);
                }
            }
            catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
            {
                // Reported by the structural check; the paths it would have named are missing from the list.
            }
        }
        return uses;
    }

    private IEnumerable<string> PublishedManifestsQuietly() =>
        ListNames(_layout.SnapshotsFolder)
            .Where(n => n.EndsWith(".manifest", StringComparison.Ordinal))
            .Select(n => Path.Combine(_layout.SnapshotsFolder, n));
}
