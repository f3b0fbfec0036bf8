using ActorBackup.Core.Tests.Support;
using ActorBackup.Store.Manifest;
using ActorBackup.Testing;

namespace ActorBackup.Core.Tests;

/// <summary>ManifestTally: counts of a manifest read as bytes, and what makes one damaged.</summary>
public sealed class ManifestTallyTests
{
    private static ManifestEntry Entry(string path, EntryType type, long size) =>
        new(path, new FileMeta(type, 0x1A4, 1000, 100, size, new Timestamp(1, 2), new Timestamp(3, 4), 1, 2, 0, 1),
            type == EntryType.File ? new string('A', 40) : null, type == EntryType.File ? 0 : -1,
            type == EntryType.Symlink ? "target"u8.ToArray() : null);

    private static string Write(TempDir dir, bool complete, params ManifestEntry[] entries)
    {
        var path = dir["x.manifest"];
        using var writer = new ManifestWriter(path, ManifestSamples.Header);
        foreach (var e in entries)
            writer.Write(e);
        if (complete)
            writer.Complete();
        return path;
    }

    private static readonly ManifestEntry[] Sample =
    [
        Entry("", EntryType.Directory, 4096),
        Entry("a", EntryType.File, 10),
        Entry("b c", EntryType.File, 0),
        Entry("d", EntryType.Directory, 4096),
        Entry("d/e%", EntryType.File, 1_000_000_000_000),
        Entry("l", EntryType.Symlink, 6),
    ];

    [Fact]
    public void Counts_regular_files_and_their_bytes_only_and_reads_the_header()
    {
        using var dir = new TempDir();
        var tally = ManifestTally.Read(Write(dir, complete: true, Sample));

        Assert.Equal((6L, 3L, 1_000_000_000_010L, 6L), (tally.Entries, tally.Files, tally.Bytes, tally.End!.Value));
        Assert.True(tally.IsComplete);
        Assert.Null(tally.Problem);
        Assert.Equal("/home/a%20b", tally.Header["root"]);
        Assert.Equal("2026-11-26T14:00:00Z", tally.Header["started"]);
    }

    [Fact]
    public void A_journal_without_end_is_not_complete_but_is_counted()
    {
        using var dir = new TempDir();
        var tally = ManifestTally.Read(Write(dir, complete: false, Sample));

        Assert.False(tally.IsComplete);
        Assert.Null(tally.End);
        Assert.Equal(3, tally.Files);
    }

    [Theory]
    [InlineData("cut", "#end says 6 entries, the manifest holds 5")]
    [InlineData("garbage", "line 9: malformed entry line")]
    [InlineData("magic", "not an ActorBackup manifest")]
    [InlineData("after-end", "text after the #end line")]
    public void A_damaged_manifest_is_named_with_its_first_problem_and_never_throws(string damage, string problem)
    {
        using var dir = new TempDir();
        var path = Write(dir, complete: true, Sample);
        var lines = File.ReadAllLines(path).ToList();
        switch (damage)
        {
            case "cut": lines.RemoveAt(lines.Count - 3); break;
            case "garbage": lines[8] = "d/e%\tf\t644\tnot-a-number"; break;
            case "magic": lines[0] = "#something else"; break;
            case "after-end": lines.Add("x\tf\t644\t0\t0\t1\t1.0\t1.0\t1\t1\t0\tAA\t0\t"); break;
        }
        File.WriteAllText(path, string.Join('\n', lines) + "\n");

        var tally = ManifestTally.Read(path);

        Assert.False(tally.IsComplete);
        Assert.Contains(problem, tally.Problem);
    }
}
