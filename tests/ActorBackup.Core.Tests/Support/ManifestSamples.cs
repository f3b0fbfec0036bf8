using ActorBackup.Core;
using ActorBackup.Store.Manifest;

namespace ActorBackup.Core.Tests.Support;

/// <summary>
/// Random manifest entries and trees for the ordering, sorting and index tests: names made
/// of bytes that need escaping (space, '%', '#', newline, UTF-8 and bytes that are not
/// UTF-8) and of the printable chars that sort below '/' ('!', '+', '-', '.').
/// </summary>
public static class ManifestSamples
{
    public static readonly Dictionary<string, string> Header = new()
    {
        ["hash"] = "sha1",
        ["levels"] = "2",
        ["share"] = "owner",
        ["root"] = "/home/a%20b",
        ["snapshot"] = "/backup/week10",
        ["started"] = "2026-11-26T14:00:00Z",
    };

    // Bytes a name is made of, weighted toward plain letters; never '/' or NUL.
    private static readonly byte[][] Pieces =
    [
        "a"u8.ToArray(), "b"u8.ToArray(), "c"u8.ToArray(), "z"u8.ToArray(), "A"u8.ToArray(), "0"u8.ToArray(), "9"u8.ToArray(),
        "ab"u8.ToArray(), "x"u8.ToArray(), "_"u8.ToArray(), "~"u8.ToArray(),
        "!"u8.ToArray(), "+"u8.ToArray(), "-"u8.ToArray(), "."u8.ToArray(), ","u8.ToArray(),
        " "u8.ToArray(), "%"u8.ToArray(), "#"u8.ToArray(), "\n"u8.ToArray(), "\t"u8.ToArray(),
        [0xC3, 0xA9], // é
        [0xFF], [0x80], [0xC3], // not UTF-8
    ];

    public static string RandomName(Random rng, int maxPieces = 4)
    {
        while (true)
        {
            var bytes = new List<byte>();
            var n = rng.Next(1, maxPieces + 1);
            for (var i = 0; i < n; i++)
                bytes.AddRange(Pieces[rng.Next(Pieces.Length)]);
            var name = PathBytes.FromBytes(bytes.ToArray());
            if (name is not ("." or ".."))
                return name;
        }
    }

    /// <summary>A name of <paramref name="bytes"/> bytes, none of them ASCII: escaped, it is three times as long.</summary>
    public static string LongName(Random rng, int bytes)
    {
        var list = new List<byte>(bytes);
        while (list.Count < bytes)
        {
            if (rng.Next(3) == 0)
                list.Add(0xFF);
            else if (list.Count + 2 <= bytes)
                list.AddRange([0xC3, (byte)(0xA0 + rng.Next(16))]);
            else
                list.Add(0xFE);
        }
        return PathBytes.FromBytes(list.ToArray());
    }

    public static FileMeta Meta(Random rng, EntryType type) => new(
        type,
        (uint)rng.Next(0, 0x1000),
        (uint)rng.Next(0, 70_000),
        (uint)rng.Next(0, 70_000),
        type == EntryType.File ? rng.NextInt64(0, 1L << 40) : rng.Next(0, 4096),
        new Timestamp(rng.NextInt64(0, 2_000_000_000), rng.Next(0, 1_000_000_000)),
        new Timestamp(rng.NextInt64(0, 2_000_000_000), rng.Next(0, 1_000_000_000)),
        (ulong)rng.NextInt64(1, long.MaxValue),
        (ulong)rng.NextInt64(1, long.MaxValue),
        type is EntryType.CharDevice or EntryType.BlockDevice ? (ulong)rng.Next(1, 1 << 20) : 0,
        1); // the manifest does not keep link counts; Parse gives 1

    public static string RandomHash(Random rng)
    {
        var bytes = new byte[20];
        rng.NextBytes(bytes);
        return Convert.ToHexString(bytes);
    }

    /// <summary>A random entry of a random non-directory type at <paramref name="path"/>.</summary>
    public static ManifestEntry Leaf(Random rng, string path)
    {
        var roll = rng.Next(10);
        if (roll < 7)
            return new ManifestEntry(path, Meta(rng, EntryType.File), RandomHash(rng), rng.Next(0, 4), null);
        if (roll < 9)
        {
            var target = PathBytes.ToBytes(RandomName(rng) + "/" + RandomName(rng));
            return new ManifestEntry(path, Meta(rng, EntryType.Symlink), null, -1, target);
        }
        var type = new[] { EntryType.Fifo, EntryType.CharDevice, EntryType.BlockDevice, EntryType.Socket }[rng.Next(4)];
        return new ManifestEntry(path, Meta(rng, type), null, -1, null);
    }

    public static ManifestEntry Directory(Random rng, string path) => new(path, Meta(rng, EntryType.Directory), null, -1, null);

    /// <summary>Writes entries, in the order given, as a complete journal (what the data-store writes during a run).</summary>
    public static void WriteJournal(string path, IEnumerable<ManifestEntry> entries, IReadOnlyDictionary<string, string>? header = null)
    {
        using var writer = new ManifestWriter(path, header ?? Header);
        foreach (var e in entries)
            writer.Write(e);
        writer.Complete();
    }

    /// <summary>Every field a manifest line keeps, compared one by one.</summary>
    public static void AssertSameEntry(ManifestEntry expected, ManifestEntry actual)
    {
        Assert.Equal(expected.Path, actual.Path);
        Assert.Equal(expected.Meta, actual.Meta);
        Assert.Equal(expected.Hash, actual.Hash);
        Assert.Equal(expected.EntrySuffix, actual.EntrySuffix);
        Assert.Equal(expected.LinkTarget, actual.LinkTarget);
    }

    /// <summary>
    /// A random tree: the root, <paramref name="directories"/> directories (depth at most
    /// <paramref name="maxDepth"/>) and leaves up to <paramref name="total"/> entries.
    /// Returns the entries in a random order and the directories' paths ("" first).
    /// </summary>
    public static (List<ManifestEntry> Entries, List<string> Directories) RandomTree(Random rng, int total, int directories, int maxDepth)
    {
        var entries = new List<ManifestEntry> { Directory(rng, "") };
        var taken = new HashSet<string>(StringComparer.Ordinal) { "" };
        var dirs = new List<string> { "" };
        var depth = new Dictionary<string, int>(StringComparer.Ordinal) { [""] = 0 };
        while (dirs.Count < directories + 1)
        {
            var parent = dirs[rng.Next(dirs.Count)];
            if (depth[parent] >= maxDepth)
                continue;
            var path = PathBytes.Child(parent, RandomName(rng));
            if (!taken.Add(path))
                continue;
            dirs.Add(path);
            depth[path] = depth[parent] + 1;
            entries.Add(Directory(rng, path));
        }
        while (entries.Count < total)
        {
            var path = PathBytes.Child(dirs[rng.Next(dirs.Count)], RandomName(rng));
            if (taken.Add(path))
                entries.Add(Leaf(rng, path));
        }
        Shuffle(rng, entries);
        return (entries, dirs);
    }

    public static void Shuffle<T>(Random rng, IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>The escaped path field of an entry, as the manifest writes it.</summary>
    public static string Field(ManifestEntry e) => e.Path.Length == 0 ? "." : PathBytes.Escape(e.Path);

    /// <summary>
    /// The documented order, built independently of ManifestOrder: the root; then a walk of
    /// the directories, depth first, children visited by escaped name (ordinal), each
    /// directory emitting its direct children by escaped name.
    /// </summary>
    public static List<ManifestEntry> DepthFirstOrder(IEnumerable<ManifestEntry> entries)
    {
        var all = entries.ToList();
        var byParent = all.Where(e => e.Path.Length > 0)
            .GroupBy(e => PathBytes.Parent(e.Path), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(Field, StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        var result = new List<ManifestEntry>(all.Count);
        result.AddRange(all.Where(e => e.Path.Length == 0));
        void Visit(string directory)
        {
            if (!byParent.TryGetValue(directory, out var children))
                return;
            result.AddRange(children);
            foreach (var child in children.Where(c => c.Meta.Type == EntryType.Directory))
                Visit(child.Path);
        }
        Visit("");
        return result;
    }
}
