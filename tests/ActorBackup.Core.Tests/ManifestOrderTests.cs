using System.Text;
using ActorBackup.Core;
using ActorBackup.Core.Tests.Support;
using ActorBackup.Store.Manifest;
using ActorBackup.Testing;
using static ActorBackup.Core.Tests.Support.ManifestSamples;

namespace ActorBackup.Core.Tests;

/// <summary>ManifestOrder (the published manifest's order) and ManifestSorter (journal to published manifest).</summary>
public sealed class ManifestOrderTests
{
    private static int Sign(int value) => Math.Sign(value);

    [Fact]
    public void ManifestOrder_puts_the_root_first()
    {
        Assert.Equal(0, ManifestOrder.Compare(".", "."));
        foreach (var other in new[] { "a", "!", "%20", "-", "a/b", ".a", "..", "%2E" })
        {
            Assert.True(ManifestOrder.Compare(".", other) < 0, $". should come before {other}");
            Assert.True(ManifestOrder.Compare(other, ".") > 0, $"{other} should come after .");
        }
    }

    [Fact]
    public void ManifestOrder_groups_by_parent_with_groups_depth_first_and_slash_lowest()
    {
        string[] expected =
        [
            ".",
            // the root's group, by name
            "a", "a!", "a-c", "b",
            // group "a"
            "a/b", "a/x",
            // group "a/b" comes before group "a!" and "a-c": '/' is lower than any char
            "a/b/y",
            "a!/q",
            "a-c/z",
            "b/c",
        ];
        var shuffled = expected.Reverse().ToList();
        Shuffle(new Random(5), shuffled);

        shuffled.Sort((x, y) => ManifestOrder.Compare(x, y));

        Assert.Equal(expected, shuffled);
        // Directories, as CompareDirectories orders them.
        Assert.True(ManifestOrder.CompareDirectories("", "a") < 0);
        Assert.True(ManifestOrder.CompareDirectories("a", "a/b") < 0);
        Assert.True(ManifestOrder.CompareDirectories("a/b", "a-c") < 0);
        Assert.True(ManifestOrder.CompareDirectories("a/b", "a!") < 0);
        Assert.True(ManifestOrder.CompareDirectories("a/b/zzz", "a-") < 0);
        Assert.True(ManifestOrder.CompareDirectories("a-c", "b") < 0);
        Assert.Equal(0, ManifestOrder.CompareDirectories("a/b", "a/b"));
    }

    [Fact]
    public void ManifestOrder_orders_names_inside_a_group_by_ordinal_of_their_escaped_form()
    {
        // Escaped, " x" is "%20x": '%' (0x25) is above '!' (0x21) although ' ' is below it.
        Assert.True(ManifestOrder.Compare("d/!x", "d/%20x") < 0);
        Assert.True(ManifestOrder.Compare("d/B", "d/a") < 0);
        Assert.True(ManifestOrder.Compare("d/a", "d/ab") < 0);
        Assert.True(ManifestOrder.Compare("d/a", "d/a!") < 0);
        // A name is never compared with '/' lowest: it has no '/'; the parent decides first.
        Assert.True(ManifestOrder.Compare("d/zzz", "d!/a") < 0);
        Assert.True(ManifestOrder.Compare("d/zzz", "d/a/a") < 0); // d's group before d/a's group
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ManifestOrder_sorts_a_random_tree_in_the_documented_order(int seed)
    {
        var rng = new Random(seed);
        var (entries, _) = RandomTree(rng, total: 1500, directories: 150, maxDepth: 6);
        var expected = DepthFirstOrder(entries).Select(Field).ToList();

        var fields = entries.Select(Field).ToList();
        fields.Sort((x, y) => ManifestOrder.Compare(x, y));

        Assert.Equal(expected, fields);
        AssertGroupedDepthFirst(fields);
    }

    [Fact]
    public void ManifestOrder_is_antisymmetric_and_consistent_with_equality_on_random_pairs()
    {
        var rng = new Random(11);
        var (entries, _) = RandomTree(rng, total: 400, directories: 60, maxDepth: 6);
        var fields = entries.Select(Field).ToList();
        for (var i = 0; i < 20_000; i++)
        {
            var a = fields[rng.Next(fields.Count)];
            var b = fields[rng.Next(fields.Count)];
            var ab = ManifestOrder.Compare(a, b);
            Assert.Equal(-Sign(ab), Sign(ManifestOrder.Compare(b, a)));
            Assert.Equal(a == b, ab == 0);
            Assert.Equal(Sign(ab), Sign(ManifestOrder.CompareLines(a + "\tf\t644", b + "\td\t755")));
        }
    }

    /// <summary>Root first; each parent's entries contiguous; groups in increasing directory order; names ordinal inside a group.</summary>
    private static void AssertGroupedDepthFirst(List<string> fields)
    {
        Assert.Equal(".", fields[0]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? group = null;
        string? previousName = null;
        foreach (var field in fields.Skip(1))
        {
            var parent = ManifestOrder.ParentField(field).ToString();
            var name = field[(field.LastIndexOf('/') + 1)..];
            if (parent != group)
            {
                Assert.True(seen.Add(parent), $"group '{parent}' appears twice: its entries are not contiguous");
                if (group is not null)
                    Assert.True(ManifestOrder.CompareDirectories(group, parent) < 0, $"group '{group}' before '{parent}'");
                group = parent;
                previousName = null;
            }
            if (previousName is not null)
                Assert.True(string.CompareOrdinal(previousName, name) < 0, $"'{previousName}' before '{name}' in group '{parent}'");
            previousName = name;
        }
    }

    // ---- ManifestSorter ----

    private static List<ManifestEntry> OddEntries()
    {
        var rng = new Random(7);
        var odd = new List<ManifestEntry>
        {
            Directory(rng, ""),
            Directory(rng, "dir with space"),
            Leaf(rng, "dir with space/100% #1"),
            Leaf(rng, "dir with space/line\nbreak"),
            Directory(rng, PathBytes.FromBytes([(byte)'n', 0xFF, 0xFE])),
            Leaf(rng, PathBytes.FromBytes([(byte)'n', 0xFF, 0xFE, (byte)'/', 0xC3, 0xA9, (byte)'t', 0xE9])),
            Leaf(rng, "#hidden"),
            Leaf(rng, "%41"),
            Directory(rng, "a"),
            Directory(rng, "a-b"),
            Leaf(rng, "a-b/x"),
            Directory(rng, "a/b"),
            Leaf(rng, "a/b/c"),
            Leaf(rng, "a/z"),
            Leaf(rng, "a!"),
        };
        var (more, _) = RandomTree(rng, total: 200, directories: 25, maxDepth: 5);
        // The random tree, minus what clashes with the names above (its entries whose parent
        // directory is not kept go too).
        var taken = odd.Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        var directories = odd.Where(e => e.Meta.Type == EntryType.Directory).Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var e in more.Where(e => e.Path.Length > 0).OrderBy(e => e.Path.Count(c => c == '/')))
        {
            if (!directories.Contains(PathBytes.Parent(e.Path)) || !taken.Add(e.Path))
                continue;
            odd.Add(e);
            if (e.Meta.Type == EntryType.Directory)
                directories.Add(e.Path);
        }
        var all = odd.ToList();
        Shuffle(rng, all);
        return all;
    }

    [Fact]
    public void ManifestSorter_keeps_the_header_adds_the_order_line_sorts_entries_and_rewrites_the_end_line()
    {
        using var dir = new TempDir();
        var entries = OddEntries();
        var journal = dir["week10.manifest.partial"];
        WriteJournal(journal, entries);
        var output = dir["week10.manifest"];

        var count = ManifestSorter.Sort(journal, output);

        Assert.Equal(entries.Count, count);
        var journalLines = File.ReadAllText(journal, Encoding.ASCII).Split('\n');
        var header = journalLines.TakeWhile(l => l.StartsWith('#') && !l.StartsWith("#end ")).ToList();
        Assert.Equal(7, header.Count); // magic + 6 keys
        var text = File.ReadAllText(output, Encoding.ASCII);
        Assert.EndsWith("\n", text);
        var lines = text[..^1].Split('\n');
        Assert.Equal(header, lines.Take(header.Count));
        Assert.Equal("#order directories", lines[header.Count]);
        Assert.Equal($"#end {entries.Count}", lines[^1]);
        Assert.Single(lines, l => l.StartsWith("#end"));
        Assert.Single(lines, l => l.StartsWith("#order"));
        var body = lines[(header.Count + 1)..^1];
        Assert.Equal(entries.Count, body.Length);
        Assert.DoesNotContain(body, l => l.StartsWith('#') || l.Length == 0);
        for (var i = 1; i < body.Length; i++)
            Assert.True(ManifestOrder.CompareLines(body[i - 1], body[i]) < 0, $"line {i} out of order: {body[i - 1]} / {body[i]}");
        Assert.Equal(".", ManifestOrder.PathField(body[0]).ToString());
        // Same lines as the journal, and every entry parses back to what was written.
        Assert.Equal(journalLines.Where(l => l.Length > 0 && !l.StartsWith('#')).Order(StringComparer.Ordinal), body.Order(StringComparer.Ordinal));
        var parsed = body.Select(ManifestFormat.Parse).ToList();
        var expected = DepthFirstOrder(entries);
        Assert.Equal(expected.Count, parsed.Count);
        for (var i = 0; i < parsed.Count; i++)
            AssertSameEntry(expected[i], parsed[i]);
        Assert.Contains(parsed, e => e.Path == "dir with space/line\nbreak");
        Assert.Contains(parsed, e => PathBytes.ToBytes(e.Path).SequenceEqual(new byte[] { (byte)'n', 0xFF, 0xFE, (byte)'/', 0xC3, 0xA9, (byte)'t', 0xE9 }));
        // Only the output is left beside the journal: no run files.
        Assert.Equal(new[] { journal, output }.Order(StringComparer.Ordinal), System.IO.Directory.GetFiles(dir.Path).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void ManifestSorter_external_merge_writes_the_same_bytes_as_an_in_memory_sort(int runLines)
    {
        using var dir = new TempDir();
        var entries = OddEntries();
        var journal = dir["j.manifest.partial"];
        WriteJournal(journal, entries);

        var inMemory = ManifestSorter.Sort(journal, dir["memory.manifest"]);
        var merged = ManifestSorter.Sort(journal, dir["merged.manifest"], runLines);

        Assert.Equal(inMemory, merged);
        Assert.Equal(entries.Count, merged);
        Assert.Equal(File.ReadAllBytes(dir["memory.manifest"]), File.ReadAllBytes(dir["merged.manifest"]));
        Assert.Empty(System.IO.Directory.GetFiles(dir.Path, "*.run*"));
        Assert.Equal(3, System.IO.Directory.GetFiles(dir.Path).Length);
    }

    [Fact]
    public void ManifestSorter_merges_a_large_journal_in_many_runs()
    {
        using var dir = new TempDir();
        var rng = new Random(99);
        var (entries, _) = RandomTree(rng, total: 5000, directories: 400, maxDepth: 6);
        var journal = dir["big.manifest.partial"];
        WriteJournal(journal, entries);

        var count = ManifestSorter.Sort(journal, dir["runs.manifest"], runLines: 64);
        ManifestSorter.Sort(journal, dir["memory.manifest"]);

        Assert.Equal(5000, count);
        Assert.Equal(File.ReadAllBytes(dir["memory.manifest"]), File.ReadAllBytes(dir["runs.manifest"]));
        var body = File.ReadAllLines(dir["runs.manifest"]).Where(l => !l.StartsWith('#')).ToList();
        Assert.Equal(DepthFirstOrder(entries).Select(ManifestFormat.Render), body);
        Assert.Empty(System.IO.Directory.GetFiles(dir.Path, "*.run*"));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(20_000)]
    public void ManifestWriter_sorting_as_it_writes_gives_the_bytes_the_journal_sort_gives(int runLines)
    {
        using var dir = new TempDir();
        var (entries, _) = RandomTree(new Random(98), total: 5000, directories: 400, maxDepth: 6);
        entries.AddRange(OddEntries().Where(o => !entries.Any(e => e.Path == o.Path)));
        var journal = dir["j.manifest.partial"];
        long count;
        using (var writer = new ManifestWriter(journal, Header, dir["j.manifest.sorting"], runLines))
        {
            foreach (var e in entries)
                writer.Write(e);
            writer.Complete();
            count = writer.WriteSorted(fsync: false);
        }

        ManifestSorter.Sort(journal, dir["from-journal.manifest"]);
        Assert.Equal(entries.Count, count);
        Assert.Equal(File.ReadAllBytes(dir["from-journal.manifest"]), File.ReadAllBytes(dir["j.manifest.sorting"]));
        Assert.Empty(System.IO.Directory.GetFiles(dir.Path, "*.run*"));
    }

    [Fact]
    public void ManifestWriter_sorting_as_it_writes_leaves_no_run_file_when_the_run_stops_before_publishing()
    {
        using var dir = new TempDir();
        var (entries, _) = RandomTree(new Random(97), total: 1000, directories: 50, maxDepth: 4);
        using (var writer = new ManifestWriter(dir["j.manifest.partial"], Header, dir["j.manifest.sorting"], sortRunLines: 64))
        {
            foreach (var e in entries)
                writer.Write(e);
            Assert.NotEmpty(System.IO.Directory.GetFiles(dir.Path, "*.run*"));
        }

        Assert.Equal([dir["j.manifest.partial"]], System.IO.Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void ManifestSorter_sorts_an_unfinished_journal_and_counts_its_entries()
    {
        using var dir = new TempDir();
        var entries = OddEntries();
        var journal = dir["j.manifest.partial"];
        using (var writer = new ManifestWriter(journal, Header))
        {
            foreach (var e in entries)
                writer.Write(e);
            // no Complete(): the run was interrupted
        }

        var count = ManifestSorter.Sort(journal, dir["out.manifest"], runLines: 3);

        Assert.Equal(entries.Count, count);
        var lines = File.ReadAllLines(dir["out.manifest"]);
        Assert.Equal($"#end {entries.Count}", lines[^1]);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(20_000)]
    public void ManifestSorter_keeps_lines_longer_than_its_buffers_and_a_last_line_without_newline(int runLines)
    {
        // A symlink target of 4,096 bytes that all need escaping is a 12 KiB field; these lines
        // are far longer than the 16 KiB merge and 64 KiB journal buffers.
        using var dir = new TempDir();
        var longName = new string('n', 200_000);
        var lines = new[] { "z\tf", $"a/{longName}\tf", ".\td", $"{longName}\tf", "a\td", $"a/{longName}x\tf" };
        File.WriteAllText(dir["j"], "#actorbackup-manifest 1\n" + string.Join("\n", lines), Encoding.ASCII);

        var count = ManifestSorter.Sort(dir["j"], dir["out"], runLines);

        Assert.Equal(6, count);
        var body = File.ReadAllText(dir["out"], Encoding.ASCII).Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Equal([".\td", "a\td", $"{longName}\tf", "z\tf", $"a/{longName}\tf", $"a/{longName}x\tf"], body);
    }

    [Fact]
    public void ManifestSorter_writes_the_order_line_once_when_the_journal_already_had_one()
    {
        using var dir = new TempDir();
        var rng = new Random(3);
        var header = new Dictionary<string, string>(Header) { [ManifestSorter.OrderHeader] = ManifestSorter.OrderValue };
        WriteJournal(dir["j"], [Leaf(rng, "b"), Directory(rng, ""), Leaf(rng, "a")], header);

        var count = ManifestSorter.Sort(dir["j"], dir["out"]);

        var lines = File.ReadAllLines(dir["out"]);
        Assert.Equal(3, count);
        Assert.Single(lines, l => l == "#order directories");
        Assert.Equal(["#end 3"], lines.Where(l => l.StartsWith("#end")));
        Assert.Equal([".", "a", "b"], lines.Where(l => !l.StartsWith('#')).Select(l => ManifestOrder.PathField(l).ToString()));
    }

    [Fact]
    public void ManifestSorter_handles_a_journal_with_only_the_root_and_one_with_no_entries()
    {
        using var dir = new TempDir();
        var rng = new Random(4);
        WriteJournal(dir["root-only"], [Directory(rng, "")]);
        WriteJournal(dir["empty"], []);

        Assert.Equal(1, ManifestSorter.Sort(dir["root-only"], dir["root-only.out"], runLines: 1));
        Assert.Equal(0, ManifestSorter.Sort(dir["empty"], dir["empty.out"], runLines: 1));

        Assert.Equal("#end 1", File.ReadAllLines(dir["root-only.out"])[^1]);
        var empty = File.ReadAllLines(dir["empty.out"]);
        Assert.Equal(["#order directories", "#end 0"], empty[^2..]);
    }
}
