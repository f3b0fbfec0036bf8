using System.Globalization;
using System.Security.Cryptography;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.Cluster.Tests.Support;

/// <summary>A snapshot folder and the data folder it links into; its manifest is named by the snapshot's last component.</summary>
internal sealed record SnapshotRun(string Snapshot, string Data)
{
    public string ManifestPath => $"{Data}/.actorbackup/snapshots/{Path.GetFileName(Snapshot)}.manifest";
}

/// <summary>
/// What a user compares between a cluster run and a single-node run of the same source: the
/// snapshot's paths, bytes, modes, owners and times; which files share an inode; the store's
/// entry names; and the manifest, line for line (all but the #snapshot and #started headers,
/// and the suffix column: which owner's copy of one content becomes HASH and which HASH.1
/// depends on the order the copies were stored in, which neither run fixes).
/// </summary>
internal static class Snapshots
{
    private const int Shown = 10;

    public static List<string> Differences(SnapshotRun reference, SnapshotRun cluster)
    {
        var differences = new List<string>();
        differences.AddRange(TreeComparer.Differences(reference.Snapshot, cluster.Snapshot, socketsSkipped: false, fileMtimes: false, xattrs: false));
        Compare("file group sharing one inode", InodeGroups(reference.Snapshot), InodeGroups(cluster.Snapshot), differences);
        Compare("store entry", StoreEntryNames(reference.Data), StoreEntryNames(cluster.Data), differences);

        var a = ReadManifest(reference.ManifestPath);
        var b = ReadManifest(cluster.ManifestPath);
        foreach (var key in new[] { "hash", "levels", "share", "root", "end" })
            if (a.Header.GetValueOrDefault(key) != b.Header.GetValueOrDefault(key))
                differences.Add($"manifest header #{key} is '{b.Header.GetValueOrDefault(key)}' in the cluster run, '{a.Header.GetValueOrDefault(key)}' in the single-node run");
        Compare("manifest line (suffix column left out)", WithoutSuffix(a), WithoutSuffix(b), differences);
        differences.AddRange(ManifestDisagreements(cluster).Take(Shown));
        return differences;
    }

    /// <summary>
    /// Each snapshot file must be the inode of the store entry its manifest line names
    /// (HASH, or HASH.SUFFIX).
    /// </summary>
    public static List<string> ManifestDisagreements(SnapshotRun run)
    {
        var problems = new List<string>();
        var manifest = ReadManifest(run.ManifestPath);
        var levels = int.Parse(manifest.Header["levels"], CultureInfo.InvariantCulture);
        foreach (var e in manifest.Entries.Where(e => e.Type == 'f'))
        {
            var path = e.Path;
            var entry = EntryPath(run.Data, levels, e.Hash, e.Suffix);
            if (!PosixFs.Exists(entry))
                problems.Add($"{Names.Show(path)}: its store entry {entry} is missing");
            else if (PosixFs.Lstat(entry).st_ino != PosixFs.Lstat(run.Snapshot + "/" + path).st_ino)
                problems.Add($"{Names.Show(path)}: not a hardlink of its store entry {entry}");
        }
        return problems;
    }

    /// <summary>Regular files of a snapshot grouped by inode: one string per inode listing its paths.</summary>
    public static SortedSet<string> InodeGroups(string snapshot) =>
        new(PosixFs.Walk(snapshot)
            .Select(p => (Path: p, Stat: PosixFs.Lstat(snapshot + "/" + p)))
            .Where(x => PosixFs.TypeOf(x.Stat) == FilePermissions.S_IFREG)
            .GroupBy(x => x.Stat.st_ino)
            .Select(g => string.Join(" | ", g.Select(x => Names.Show(x.Path)).Order(StringComparer.Ordinal))),
            StringComparer.Ordinal);

    /// <summary>Content entries of a data folder (outside .actorbackup) as "AA/BB/HASH[.N]".</summary>
    public static SortedSet<string> StoreEntryNames(string data) =>
        new(StoreEntries(data), StringComparer.Ordinal);

    public static List<string> StoreEntries(string data) =>
        PosixFs.Walk(data)
            .Where(p => !p.StartsWith(".actorbackup", StringComparison.Ordinal))
            .Where(p => PosixFs.TypeOf(PosixFs.Lstat(data + "/" + p)) == FilePermissions.S_IFREG)
            .ToList();

    /// <summary>Store entries whose bytes do not hash (SHA1) to their name.</summary>
    public static List<string> EntriesNotMatchingTheirName(string data) =>
        StoreEntries(data)
            .Where(p => Convert.ToHexString(SHA1.HashData(PosixFs.ReadBytes(data + "/" + p))) != Path.GetFileName(p).Split('.')[0])
            .ToList();

    /// <summary>
    /// What decides a regular file's store entry under --share=owner: content, owner, group
    /// and permission bits. The number of distinct keys is the number of entries a first run stores.
    /// </summary>
    public static HashSet<string> ContentKeys(string root) =>
        PosixFs.Walk(root)
            .Select(p => (Path: p, Stat: PosixFs.Lstat(root + "/" + p)))
            .Where(x => PosixFs.TypeOf(x.Stat) == FilePermissions.S_IFREG)
            .Select(x => $"{Convert.ToHexString(SHA1.HashData(PosixFs.ReadBytes(root + "/" + x.Path)))} {x.Stat.st_uid}:{x.Stat.st_gid} {Octal.Format(PosixFs.ModeOf(x.Stat))}")
            .ToHashSet(StringComparer.Ordinal);

    public static int RegularFileCount(string root) => Count(root, FilePermissions.S_IFREG);

    /// <summary>Folders in the tree, the root included: how many listings a walk makes.</summary>
    public static int FolderCount(string root) => Count(root, FilePermissions.S_IFDIR) + 1;

    private static int Count(string root, FilePermissions type) =>
        PosixFs.Walk(root).Count(p => PosixFs.TypeOf(PosixFs.Lstat(root + "/" + p)) == type);

    private static string EntryPath(string data, int levels, string hash, string suffix)
    {
        var path = data;
        for (var i = 0; i < levels; i++)
            path += "/" + hash.Substring(2 * i, 2);
        return path + "/" + (suffix is "" or "0" ? hash : $"{hash}.{suffix}");
    }

    private static SortedSet<string> WithoutSuffix(ManifestFile m) =>
        new(m.Entries.Select(e => string.Join('\t', e.Fields.Where((_, i) => i != 12))), StringComparer.Ordinal);

    private static void Compare(string what, SortedSet<string> reference, SortedSet<string> cluster, List<string> differences)
    {
        differences.AddRange(reference.Except(cluster).Take(Shown).Select(x => $"{what} only in the single-node run: {x}"));
        differences.AddRange(cluster.Except(reference).Take(Shown).Select(x => $"{what} only in the cluster run: {x}"));
    }

    /// <summary>
    /// A manifest by its documented format (<see cref="ManifestFile"/>), which must exist,
    /// start with the format line and end with an #end count that matches its entries.
    /// </summary>
    private static ManifestFile ReadManifest(string path)
    {
        Assert.True(File.Exists(path), $"manifest {path} is missing");
        var manifest = ManifestFile.Read(path);
        Assert.Equal("#actorbackup-manifest 1", manifest.Lines[0]);
        Assert.Equal(manifest.Entries.Count.ToString(CultureInfo.InvariantCulture), manifest.Header.GetValueOrDefault("end"));
        return manifest;
    }
}
