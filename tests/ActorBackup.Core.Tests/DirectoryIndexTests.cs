using System.Text;
using ActorBackup.Core;
using ActorBackup.Core.Tests.Support;
using ActorBackup.Store.Manifest;
using ActorBackup.Testing;
using static ActorBackup.Core.Tests.Support.ManifestSamples;

namespace ActorBackup.Core.Tests;

/// <summary>DirectoryIndex: one directory's entries from a sorted manifest, checked against a brute-force answer.</summary>
public sealed class DirectoryIndexTests
{
    /// <summary>What Children must return for each directory: its direct children by name.</summary>
    private static Dictionary<string, Dictionary<string, ManifestEntry>> Expected(IEnumerable<ManifestEntry> entries)
    {
        var result = new Dictionary<string, Dictionary<string, ManifestEntry>>(StringComparer.Ordinal);
        foreach (var e in entries.Where(e => e.Path.Length > 0))
        {
            var parent = PathBytes.Parent(e.Path);
            if (!result.TryGetValue(parent, out var children))
                result[parent] = children = new Dictionary<string, ManifestEntry>(StringComparer.Ordinal);
            children[e.Path[(e.Path.LastIndexOf('/') + 1)..]] = e;
        }
        return result;
    }

    private static void AssertChildren(Dictionary<string, Dictionary<string, ManifestEntry>> expected, string directory, Dictionary<string, ManifestEntry> actual)
    {
        var want = expected.TryGetValue(directory, out var w) ? w : [];
        Assert.True(want.Count == actual.Count,
            $"Children(\"{PathBytes.Escape(directory)}\"): expected {want.Count} entries, got {actual.Count}; missing [{string.Join(", ", want.Keys.Except(actual.Keys).Select(PathBytes.Escape))}], extra [{string.Join(", ", actual.Keys.Except(want.Keys).Select(PathBytes.Escape))}]");
        foreach (var (name, entry) in want)
        {
            Assert.True(actual.TryGetValue(name, out var got), $"Children(\"{PathBytes.Escape(directory)}\") lacks {PathBytes.Escape(name)}");
            AssertSameEntry(entry, got!);
        }
    }

    /// <summary>Files must give the regular files with a store entry among the children, with the fields the files cache compares.</summary>
    private static void AssertFiles(Dictionary<string, Dictionary<string, ManifestEntry>> expected, string directory, Dictionary<string, PreviousFile> actual)
    {
        var want = (expected.TryGetValue(directory, out var w) ? w : [])
            .Where(c => c.Value.Meta.Type == EntryType.File && c.Value.Hash is not null && c.Value.EntrySuffix >= 0)
            .ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        Assert.True(want.Count == actual.Count, $"Files(\"{PathBytes.Escape(directory)}\"): expected {want.Count} files, got {actual.Count}");
        foreach (var (name, e) in want)
        {
            Assert.True(actual.TryGetValue(name, out var got), $"Files(\"{PathBytes.Escape(directory)}\") lacks {PathBytes.Escape(name)}");
            var m = e.Meta;
            Assert.Equal(new PreviousFile(m.Mode, m.Uid, m.Gid, m.Size, m.Mtime, m.Ctime, m.Inode, e.Hash!, e.EntrySuffix), got);
        }
    }

    /// <summary>A sorted manifest of <paramref name="entries"/> (written as a journal, then sorted).</summary>
    private static string Publish(TempDir dir, IEnumerable<ManifestEntry> entries, string name = "week10", int runLines = 100_000)
    {
        var journal = dir[name + ".manifest.partial"];
        WriteJournal(journal, entries);
        var path = dir[name + ".manifest"];
        ManifestSorter.Sort(journal, path, runLines);
        return path;
    }

    /// <summary>
    /// A tree with lines far longer than a binary-search probe (1 KiB) and than a read block
    /// (64 KiB): names of 4,000 non-ASCII bytes (12 KB escaped), two of 25,000 bytes (75 KB),
    /// a directory with a 3,000-byte name holding children (every line longer than 9 KB), and
    /// plain groups before and after them.
    /// </summary>
    private static List<ManifestEntry> LongLines(Random rng)
    {
        var entries = new List<ManifestEntry> { Directory(rng, "long"), Directory(rng, "long-after"), Directory(rng, "kong") };
        for (var i = 0; i < 4; i++)
            entries.Add(Leaf(rng, "long/" + LongName(rng, 4000) + i));
        entries.Add(Leaf(rng, "long/" + LongName(rng, 25_000) + "x"));
        entries.Add(Leaf(rng, "long/" + LongName(rng, 25_000) + "y"));
        var deepLong = "long/" + LongName(rng, 3000);
        entries.Add(Directory(rng, deepLong));
        for (var i = 0; i < 30; i++)
            entries.Add(Leaf(rng, deepLong + "/c" + i));
        var deeper = deepLong + "/" + LongName(rng, 3000);
        entries.Add(Directory(rng, deeper));
        for (var i = 0; i < 5; i++)
            entries.Add(Leaf(rng, deeper + "/" + LongName(rng, 500) + i));
        entries.Add(Leaf(rng, deeper + "/" + LongName(rng, 30_000)));
        for (var i = 0; i < 20; i++)
        {
            entries.Add(Leaf(rng, "long-after/f" + i));
            entries.Add(Leaf(rng, "kong/f" + i));
        }
        return entries;
    }

    private static List<ManifestEntry> Tree(int seed, bool longLines, out List<string> directories)
    {
        var rng = new Random(seed);
        var (entries, dirs) = RandomTree(rng, total: 2000, directories: 200, maxDepth: 6);
        if (longLines)
        {
            var extra = LongLines(rng).Where(e => !entries.Any(x => x.Path == e.Path)).ToList();
            entries.AddRange(extra);
            dirs.AddRange(extra.Where(e => e.Meta.Type == EntryType.Directory).Select(e => e.Path));
            Shuffle(rng, entries);
        }
        directories = dirs;
        return entries;
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    public void DirectoryIndex_returns_the_children_of_every_directory_asked_in_random_order(int seed, bool longLines)
    {
        using var dir = new TempDir();
        var entries = Tree(seed, longLines, out var directories);
        var path = Publish(dir, entries);
        if (longLines)
        {
            var lengths = File.ReadAllLines(path, Encoding.ASCII).Select(l => l.Length).ToList();
            Assert.Contains(lengths, l => l > 64 * 1024);
            Assert.True(lengths.Count(l => l > 1024) > 40);
        }
        var expected = Expected(entries);
        var order = directories.ToList();
        Shuffle(new Random(seed * 31), order);

        using var index = DirectoryIndex.Open(path);
        foreach (var d in order)
        {
            AssertChildren(expected, d, index.Children(d));
            AssertFiles(expected, d, index.Files(d));
        }
        // Asked again, in reverse: the index keeps no state that depends on the order.
        order.Reverse();
        foreach (var d in order)
            AssertChildren(expected, d, index.Children(d));
    }

    [Theory]
    [InlineData(4, false)]
    [InlineData(5, true)]
    public void DirectoryIndex_returns_the_children_of_every_directory_asked_depth_first(int seed, bool longLines)
    {
        using var dir = new TempDir();
        var entries = Tree(seed, longLines, out var directories);
        var path = Publish(dir, entries);
        var expected = Expected(entries);
        // The order a depth-first walk asks in: the manifest's own directory order.
        var walk = DepthFirstOrder(entries).Where(e => e.Meta.Type == EntryType.Directory).Select(e => e.Path).ToList();
        Assert.Equal(directories.Count, walk.Count);

        using var index = DirectoryIndex.Open(path);
        foreach (var d in walk)
        {
            AssertChildren(expected, d, index.Children(d));
            AssertFiles(expected, d, index.Files(d));
        }
    }

    [Theory]
    [InlineData(6, false)]
    [InlineData(7, true)]
    public void DirectoryIndex_returns_the_children_when_two_depth_first_walks_take_turns(int seed, bool longLines)
    {
        // Two walkers share one depth-first stack: each asks in order within its region of
        // the manifest, and the requests of the two regions alternate.
        using var dir = new TempDir();
        var entries = Tree(seed, longLines, out _);
        var path = Publish(dir, entries);
        var expected = Expected(entries);
        var walk = DepthFirstOrder(entries).Where(e => e.Meta.Type == EntryType.Directory).Select(e => e.Path).ToList();
        var first = walk.Take(walk.Count / 2).ToList();
        var second = walk.Skip(walk.Count / 2).ToList();

        using var index = DirectoryIndex.Open(path);
        for (var i = 0; i < Math.Max(first.Count, second.Count); i++)
        {
            if (i < second.Count)
                AssertChildren(expected, second[i], index.Children(second[i]));
            if (i < first.Count)
                AssertChildren(expected, first[i], index.Children(first[i]));
        }
    }

    [Fact]
    public void DirectoryIndex_interleaves_directories_with_missing_ones_and_files()
    {
        using var dir = new TempDir();
        var entries = Tree(6, longLines: true, out var directories);
        var path = Publish(dir, entries);
        var expected = Expected(entries);
        var rng = new Random(60);
        var files = entries.Where(e => e.Meta.Type != EntryType.Directory).Select(e => e.Path).ToList();
        var asks = new List<string>(directories);
        foreach (var d in directories)
        {
            // Names that sort just before, inside and after a real group.
            asks.Add(PathBytes.Child(d, "no such directory"));
            asks.Add(d + "!");
            asks.Add(d + "-");
            asks.Add(PathBytes.Child(d, "~~~"));
        }
        asks.AddRange(files.Take(200));
        asks.Add("zzzzzzzz-after-everything");
        asks.Add("!!!-before-everything");
        Shuffle(rng, asks);

        using var index = DirectoryIndex.Open(path);
        foreach (var d in asks)
            AssertChildren(expected, d, index.Children(d));
    }

    [Fact]
    public void DirectoryIndex_finds_groups_before_inside_and_after_a_directory_of_30000_entries()
    {
        using var dir = new TempDir();
        var rng = new Random(12);
        var entries = new List<ManifestEntry> { Directory(rng, ""), Directory(rng, "a"), Directory(rng, "wide"), Directory(rng, "z") };
        for (var i = 0; i < 30_000; i++)
            entries.Add(Leaf(rng, $"wide/f{i:D6}"));
        foreach (var d in new[] { "a/1", "wide/d1", "wide/d2", "z/1" })
        {
            entries.Add(Directory(rng, d));
            for (var i = 0; i < 3; i++)
                entries.Add(Leaf(rng, $"{d}/x{i}"));
        }
        Shuffle(rng, entries);
        var path = Publish(dir, entries);
        var expected = Expected(entries);
        string[] asks = ["z/1", "wide/d2", "a/1", "wide", "", "wide/d1", "z", "a", "wide", "wide/d2", "z/1", "wide/f000001", "wide/d1"];

        using var index = DirectoryIndex.Open(path);
        foreach (var d in asks)
            AssertChildren(expected, d, index.Children(d));
        Assert.Equal(30_002, index.Children("wide").Count);
    }

    [Fact]
    public void DirectoryIndex_gives_the_roots_children_and_nothing_for_a_directory_that_is_not_there()
    {
        using var dir = new TempDir();
        var rng = new Random(8);
        ManifestEntry[] entries =
        [
            Directory(rng, ""),
            Leaf(rng, "b"),
            Directory(rng, "a"),
            Leaf(rng, "a/x"),
            Leaf(rng, "a/y z"),
            Leaf(rng, "#c"),
            Directory(rng, "a-b"),
            Leaf(rng, "a-b/q"),
        ];
        var path = Publish(dir, entries);

        using var index = DirectoryIndex.Open(path);
        var root = index.Children("");
        var a = index.Children("a");

        Assert.Equal(["#c", "a", "a-b", "b"], root.Keys.Order(StringComparer.Ordinal));
        AssertSameEntry(entries[2], root["a"]);
        AssertSameEntry(entries[1], root["b"]);
        Assert.Equal(["a/x", "a/y z"], a.Values.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Empty(index.Children("missing"));
        Assert.Empty(index.Children("a/missing"));
        Assert.Empty(index.Children("b")); // a file has no children
        Assert.Empty(index.Children("a!"));
        Assert.Equal(["a-b/q"], index.Children("a-b").Values.Select(e => e.Path));
        Assert.Equal(4, index.Children("").Count); // the root again, after later groups
        Assert.Equal(path, index.Path);
    }

    [Fact]
    public void DirectoryIndex_of_a_manifest_with_only_the_root_has_no_children()
    {
        using var dir = new TempDir();
        var path = Publish(dir, [Directory(new Random(1), "")]);

        using var index = DirectoryIndex.Open(path);

        Assert.Empty(index.Children(""));
        Assert.Empty(index.Children("a"));
    }

    [Fact]
    public void DirectoryIndex_reads_a_manifest_sorted_through_an_external_merge()
    {
        using var dir = new TempDir();
        var entries = Tree(9, longLines: true, out var directories);
        var path = Publish(dir, entries, runLines: 50);
        var expected = Expected(entries);

        using var index = DirectoryIndex.Open(path);
        foreach (var d in directories)
            AssertChildren(expected, d, index.Children(d));
    }

    [Fact]
    public void DirectoryIndex_refuses_a_manifest_that_is_not_sorted_by_directory()
    {
        using var dir = new TempDir();
        var rng = new Random(2);
        var journal = dir["old.manifest"];
        WriteJournal(journal, [Directory(rng, ""), Leaf(rng, "a")]); // complete, #end, but no "#order directories"

        var e = Assert.Throws<FormatException>(() => DirectoryIndex.Open(journal));

        Assert.Contains(journal, e.Message);
    }

    [Fact]
    public void DirectoryIndex_refuses_a_sorted_manifest_without_its_end_line()
    {
        using var dir = new TempDir();
        var rng = new Random(3);
        var path = Publish(dir, [Directory(rng, ""), Leaf(rng, "a"), Leaf(rng, "b")]);
        var lines = File.ReadAllLines(path);
        Assert.StartsWith("#end ", lines[^1]);
        var truncated = dir["truncated.manifest"];
        File.WriteAllText(truncated, string.Join("\n", lines[..^1]) + "\n");
        var cut = dir["cut.manifest"];
        var text = File.ReadAllText(path);
        File.WriteAllText(cut, text[..(text.LastIndexOf("#end", StringComparison.Ordinal) - 20)]); // ends inside an entry line

        Assert.Throws<FormatException>(() => DirectoryIndex.Open(truncated));
        Assert.Throws<FormatException>(() => DirectoryIndex.Open(cut));
    }

    [Fact]
    public void DirectoryIndex_refuses_a_long_manifest_without_its_end_line()
    {
        using var dir = new TempDir();
        var entries = Tree(10, longLines: true, out _);
        var path = Publish(dir, entries);
        var lines = File.ReadAllLines(path);
        var truncated = dir["truncated.manifest"];
        var body = lines.Where(l => !l.StartsWith("#end")).ToList();
        File.WriteAllText(truncated, string.Join("\n", body) + "\n");

        Assert.Throws<FormatException>(() => DirectoryIndex.Open(truncated));
    }
}
