using System.Text;
using ActorBackup.Store.Manifest;
using ActorBackup.Testing;

namespace ActorBackup.Core.Tests;

public sealed class ManifestWriterReaderTests
{
    private static readonly Dictionary<string, string> Header = new()
    {
        ["hash"] = "sha1",
        ["levels"] = "2",
        ["share"] = "owner",
        ["root"] = "/home/a%20b",
        ["snapshot"] = "/backup/week10",
        ["started"] = "2026-11-26T14:00:00Z",
    };

    private static FileMeta Meta(EntryType type, ulong inode) => new(
        type, 0x1A4, 1000, 100, 3, new Timestamp(1_700_000_000, 999_999_999), new Timestamp(1_700_000_000, 1), 1, inode, 0, 1);

    private static readonly ManifestEntry[] Sample =
    [
        new("", Meta(EntryType.Directory, 10), null, -1, null),
        new("a.txt", Meta(EntryType.File, 11), "A9993E364706816ABA3E25717850C26C9CD0D89D", 0, null),
        new("#hidden", Meta(EntryType.File, 12), "A9993E364706816ABA3E25717850C26C9CD0D89D", 1, null),
        new("l", Meta(EntryType.Symlink, 13), null, -1, [(byte)'a', 0xFF]),
    ];

    [Fact]
    public void A_completed_manifest_has_magic_header_entries_and_end_count()
    {
        using var dir = new TempDir();
        var path = dir["week10.manifest"];
        using (var writer = new ManifestWriter(path, Header))
        {
            foreach (var e in Sample)
                writer.Write(e);
            Assert.Equal(4, writer.Count);
            writer.Complete();
        }

        var lines = File.ReadAllText(path, Encoding.UTF8).Split('\n');
        Assert.Equal("#actorbackup-manifest 1", lines[0]);
        Assert.Equal("#hash sha1", lines[1]);
        Assert.Equal("#levels 2", lines[2]);
        Assert.Equal("#end 4", lines[^2]);
        Assert.Equal("", lines[^1]);
        Assert.Equal((byte)'#', File.ReadAllBytes(path)[0]);

        var reader = new ManifestReader(path);
        Assert.True(reader.IsComplete);
        Assert.Equal("4", reader.Header["end"]);
        Assert.Equal("sha1", reader.Header["hash"]);
        Assert.Equal("2", reader.Header["levels"]);
        Assert.Equal("owner", reader.Header["share"]);
        Assert.Equal("/home/a%20b", reader.Header["root"]);
        Assert.Equal("2026-11-26T14:00:00Z", reader.Header["started"]);
        var entries = reader.Entries().ToList();
        Assert.Equal(["", "a.txt", "#hidden", "l"], entries.Select(e => e.Path));
        Assert.Equal([10ul, 11ul, 12ul, 13ul], entries.Select(e => e.Meta.Inode));
        Assert.Equal(1, entries[2].EntrySuffix);
        Assert.Equal(new Timestamp(1_700_000_000, 999_999_999), entries[1].Meta.Mtime);
        Assert.Equal([(byte)'a', 0xFF], entries[3].LinkTarget);
    }

    [Fact]
    public void A_manifest_without_its_end_line_is_incomplete_but_readable()
    {
        using var dir = new TempDir();
        var path = dir["week10.manifest.partial"];
        using (var writer = new ManifestWriter(path, Header))
        {
            foreach (var e in Sample.Take(2))
                writer.Write(e);
        }

        var reader = new ManifestReader(path);

        Assert.False(reader.IsComplete);
        Assert.False(reader.Header.ContainsKey("end"));
        Assert.Equal(["", "a.txt"], reader.Entries().Select(e => e.Path));
    }

    [Fact]
    public void An_empty_completed_manifest_ends_with_count_zero()
    {
        using var dir = new TempDir();
        var path = dir["empty.manifest"];
        using (var writer = new ManifestWriter(path, new Dictionary<string, string>()))
            writer.Complete();

        var reader = new ManifestReader(path);

        Assert.True(reader.IsComplete);
        Assert.Equal("0", reader.Header["end"]);
        Assert.Empty(reader.Entries());
    }

    [Fact]
    public void Reading_a_file_that_is_not_a_manifest_fails_naming_it()
    {
        using var dir = new TempDir();
        var path = dir.Write("notes.txt", "hello\n");

        var e = Assert.Throws<FormatException>(() => new ManifestReader(path));

        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void A_manifest_is_written_without_a_byte_order_mark_and_with_lf_line_ends()
    {
        using var dir = new TempDir();
        var path = dir["m.manifest"];
        using (var writer = new ManifestWriter(path, Header))
        {
            writer.Write(Sample[1]);
            writer.Complete();
        }

        var bytes = File.ReadAllBytes(path);

        Assert.Equal((byte)'#', bytes[0]);
        Assert.DoesNotContain((byte)'\r', bytes);
    }
}
