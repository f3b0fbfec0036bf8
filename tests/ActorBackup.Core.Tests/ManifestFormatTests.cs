using ActorBackup.Core;
using ActorBackup.Store.Manifest;

namespace ActorBackup.Core.Tests;

public sealed class ManifestFormatTests
{
    private static FileMeta Meta(EntryType type, uint mode = 0x1A4, long size = 0, ulong rdev = 0) => new(
        type, mode, Uid: 4_294_967_294, Gid: 100, size,
        Mtime: new Timestamp(1_700_000_000, 123_456_789), Ctime: new Timestamp(1_700_000_001, 5),
        Device: 66_305, Inode: 18_446_744_073_709_551_000, rdev, LinkCount: 1);

    private static readonly ManifestEntry[] Samples =
    [
        new ManifestEntry("", Meta(EntryType.Directory, 0x1ED), null, -1, null),
        new ManifestEntry("docs/report.txt", Meta(EntryType.File, 0x1A4, 5_000_000_000), "A9993E364706816ABA3E25717850C26C9CD0D89D", 0, null),
        new ManifestEntry("bin/su", Meta(EntryType.File, 0x9ED, 12), "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", 3, null),
        new ManifestEntry("a dir/sub", Meta(EntryType.Directory, 0x3FF), null, -1, null),
        new ManifestEntry("link", Meta(EntryType.Symlink, 0x1FF, 9), null, -1, [(byte)'.', (byte)'.', (byte)'/', 0xFF, (byte)'\t', (byte)' ', (byte)'%', (byte)'#', (byte)'x']),
        new ManifestEntry("pipe", Meta(EntryType.Fifo, 0x180), null, -1, null),
        new ManifestEntry("dev/tty0", Meta(EntryType.CharDevice, 0x190, rdev: 0x400), null, -1, null),
        new ManifestEntry("dev/sda", Meta(EntryType.BlockDevice, 0x1B0, rdev: 0x800), null, -1, null),
        new ManifestEntry("run/sock", Meta(EntryType.Socket, 0x1FF), null, -1, null),
        new ManifestEntry(PathBytes.FromBytes([(byte)'n', 0xFF, 0xFE, (byte)'\n']), Meta(EntryType.File), "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", 0, null),
        new ManifestEntry("shared", Meta(EntryType.Directory, 0x1ED), null, -1, null, [new Xattr(PosixAcl.AccessXattr, [2, 0, 0, 0, 1, 0, 7, 0, 255, 255, 255, 255])]),
        new ManifestEntry("etc/linked", Meta(EntryType.File, 0x1A4, 3) with { LinkCount = 4_000_000_000 }, "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", 0, null),
    ];

    public static TheoryData<int> SampleIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Samples.Length; i++)
            data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(SampleIndexes))]
    public void Parse_reads_back_every_field_Render_wrote(int sample)
    {
        var entry = Samples[sample];
        var line = ManifestFormat.Render(entry);
        var back = ManifestFormat.Parse(line);

        Assert.Equal(16, line.Split('\t').Length);
        Assert.DoesNotContain('\n', line);
        Assert.Equal(entry.Path, back.Path, StringComparer.Ordinal);
        Assert.Equal(entry.Meta, back.Meta);
        Assert.Equal(entry.Hash, back.Hash);
        Assert.Equal(entry.EntrySuffix, back.EntrySuffix);
        Assert.Equal(entry.LinkTarget, back.LinkTarget);
        Assert.True(Xattrs.Same(entry.Xattrs, back.Xattrs));
    }

    [Fact]
    public void A_line_of_14_fields_written_before_xattrs_were_recorded_reads_as_none()
    {
        var back = ManifestFormat.Parse("bin/su\tf\t4755\t0\t0\t12\t1.0\t1.0\t1\t2\t0\tDA39A3EE5E6B4B0D3255BFEF95601890AFD80709\t3\t");

        Assert.Equal("bin/su", back.Path);
        Assert.Equal(3, back.EntrySuffix);
        Assert.Null(back.Xattrs);
        Assert.Equal(1ul, back.Meta.LinkCount);
    }

    [Fact]
    public void A_line_of_15_fields_written_before_link_counts_were_recorded_reads_as_one_link()
    {
        var back = ManifestFormat.Parse("bin/su\tf\t4755\t0\t0\t12\t1.0\t1.0\t1\t2\t0\tDA39A3EE5E6B4B0D3255BFEF95601890AFD80709\t3\t\tuser.a=1");

        Assert.Equal(3, back.EntrySuffix);
        Assert.Equal("user.a", Assert.Single(back.Xattrs!).Name);
        Assert.Equal(1ul, back.Meta.LinkCount);
    }

    [Fact]
    public void The_link_count_is_the_sixteenth_field_after_an_empty_xattrs_field()
    {
        var entry = new ManifestEntry("a", Meta(EntryType.File, 0x1A4, 1) with { LinkCount = 3 }, "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", 0, null);

        var fields = ManifestFormat.Render(entry).Split('\t');

        Assert.Equal(["", "3"], fields[14..]);
        Assert.Equal(3ul, ManifestFormat.Parse(ManifestFormat.Render(entry)).Meta.LinkCount);
    }

    [Fact]
    public void A_file_line_has_octal_mode_nanosecond_times_hash_and_suffix()
    {
        var entry = new ManifestEntry("bin/su", Meta(EntryType.File, 0x9ED, 12), "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", 3, null);

        Assert.Equal(
            "bin/su\tf\t4755\t4294967294\t100\t12\t1700000000.123456789\t1700000001.000000005\t66305\t18446744073709551000\t0\tDA39A3EE5E6B4B0D3255BFEF95601890AFD80709\t3\t\t\t1",
            ManifestFormat.Render(entry));
    }

    [Fact]
    public void The_root_is_written_as_a_dot_and_a_symlink_target_escaped()
    {
        var root = ManifestFormat.Render(new ManifestEntry("", Meta(EntryType.Directory, 0x1ED), null, -1, null)).Split('\t');
        var link = ManifestFormat.Render(new ManifestEntry("my link", Meta(EntryType.Symlink, 0x1FF), null, -1, [(byte)'/', 0xFF, (byte)' '])).Split('\t');

        Assert.Equal(".", root[0]);
        Assert.Equal("d", root[1]);
        Assert.Equal("", root[11]);
        Assert.Equal("", root[12]);
        Assert.Equal("my%20link", link[0]);
        Assert.Equal("l", link[1]);
        Assert.Equal("/%FF%20", link[13]);
    }

    [Fact]
    public void Times_before_the_epoch_survive_the_round_trip()
    {
        var meta = Meta(EntryType.File) with { Mtime = new Timestamp(-2, 500_000_000) };

        var back = ManifestFormat.Parse(ManifestFormat.Render(new ManifestEntry("old", meta, "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", 0, null)));

        Assert.Equal(new Timestamp(-2, 500_000_000), back.Meta.Mtime);
    }

    [Theory]
    [InlineData("a\tf\t644")]
    [InlineData("a\tf\t644\t0\t0\t0\t1.0\t1.0\t1\t2\t0\tH\t0\t\t\t1\textra")]
    public void A_line_without_14_to_16_fields_is_a_format_error(string line)
    {
        var e = Assert.Throws<FormatException>(() => ManifestFormat.Parse(line));

        Assert.Contains("expected 16", e.Message);
    }

    [Fact]
    public void Timestamp_renders_nine_digit_nanoseconds_and_parses_whole_seconds()
    {
        Assert.Equal("12.000000007", new Timestamp(12, 7).ToString());
        Assert.Equal(new Timestamp(12, 7), Timestamp.Parse("12.000000007"));
        Assert.Equal(new Timestamp(12, 0), Timestamp.Parse("12"));
    }
}
