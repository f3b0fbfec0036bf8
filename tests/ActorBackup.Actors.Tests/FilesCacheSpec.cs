using System.Text;
using ActorBackup.Actors.Walker;
using ActorBackup.Core;
using ActorBackup.Protocol;
using ActorBackup.Store.Manifest;

namespace ActorBackup.Actors.Tests;

/// <summary>
/// FilesCache.Unchanged: which regular files are trusted from the previous manifest without
/// being read. Each previous entry goes through its manifest line, as the walkers read it.
/// </summary>
public sealed class FilesCacheSpec
{
    private const string Hash = "A9993E364706816ABA3E25717850C26C9CD0D89D";

    private static readonly FileMeta Now = new(
        EntryType.File, 0x1A4, 1000, 100, 12345,
        new Timestamp(1_700_000_000, 123_456_789), new Timestamp(1_700_000_100, 987_654_321),
        2049, 777, 0, 1);

    private static ManifestEntry Before(FileMeta meta, string? hash = Hash, int suffix = 2) => new("dir/file", meta, hash, suffix, null);

    /// <summary>What the walker concludes: a line that is not a file with a store entry is not offered at all.</summary>
    private static KnownContent? Unchanged(FileMeta now, ManifestEntry before)
    {
        var line = Encoding.ASCII.GetBytes(ManifestFormat.Render(before));
        return PreviousFile.TryParse(line, out var name, out var file) && name == "file" ? FilesCache.Unchanged(now, file) : null;
    }

    [Fact]
    public void Identical_metadata_gives_the_known_hash_and_entry_suffix()
    {
        Assert.Equal(new KnownContent(Hash, 2, SameOwnership: true), Unchanged(Now, Before(Now)));
        Assert.Equal(new KnownContent(Hash, 0, SameOwnership: true), Unchanged(Now, Before(Now, suffix: 0)));
    }

    [Fact]
    public void The_link_count_does_not_matter()
    {
        // The manifest does not keep link counts (a parsed entry has 1); the source file may have more.
        Assert.Equal(new KnownContent(Hash, 2, SameOwnership: true), Unchanged(Now with { LinkCount = 5 }, Before(Now)));
    }

    public static TheoryData<string> ContentChanges() => ["size", "mtime seconds", "mtime nanoseconds", "inode"];

    private static FileMeta Changed(FileMeta m, string what) => what switch
    {
        "size" => m with { Size = m.Size + 1 },
        "mtime seconds" => m with { Mtime = m.Mtime with { Seconds = m.Mtime.Seconds + 1 } },
        "mtime nanoseconds" => m with { Mtime = m.Mtime with { Nanoseconds = m.Mtime.Nanoseconds + 1 } },
        "inode" => m with { Inode = m.Inode + 1 },
        _ => throw new ArgumentException(what),
    };

    [Theory]
    [MemberData(nameof(ContentChanges))]
    public void A_different_size_mtime_or_inode_means_read_again(string what)
    {
        var now = Changed(Now, what);

        Assert.Null(Unchanged(now, Before(Now)));
        // ... also when the ctime differs as well, and when owner or mode changed too.
        Assert.Null(Unchanged(now with { Ctime = new Timestamp(1_800_000_000, 1) }, Before(Now)));
        Assert.Null(Unchanged(now with { Ctime = new Timestamp(1_800_000_000, 1), Mode = 0x180 }, Before(Now)));
        Assert.Null(Unchanged(now with { Ctime = new Timestamp(1_800_000_000, 1), Uid = 2000 }, Before(Now)));
    }

    [Fact]
    public void A_ctime_change_alone_means_read_again()
    {
        Assert.Null(Unchanged(Now with { Ctime = Now.Ctime with { Nanoseconds = Now.Ctime.Nanoseconds + 1 } }, Before(Now)));
        Assert.Null(Unchanged(Now with { Ctime = Now.Ctime with { Seconds = Now.Ctime.Seconds + 60 } }, Before(Now)));
    }

    [Theory]
    [InlineData("mode")]
    [InlineData("uid")]
    [InlineData("gid")]
    [InlineData("all three")]
    public void An_owner_group_or_mode_change_with_its_ctime_change_keeps_the_hash(string what)
    {
        var later = new Timestamp(1_800_000_000, 5);
        var now = what switch
        {
            "mode" => Now with { Mode = 0x180, Ctime = later },
            "uid" => Now with { Uid = 2000, Ctime = later },
            "gid" => Now with { Gid = 200, Ctime = later },
            _ => Now with { Mode = 0x9ED, Uid = 0, Gid = 0, Ctime = later },
        };

        // Not the same ownership: the entry the manifest names is checked, not trusted.
        Assert.Equal(new KnownContent(Hash, 2, SameOwnership: false), Unchanged(now, Before(Now)));
    }

    [Fact]
    public void An_entry_without_hash_or_store_entry_means_read_again()
    {
        Assert.Null(Unchanged(Now, Before(Now, hash: null)));
        Assert.Null(Unchanged(Now, Before(Now, suffix: -1)));
        Assert.Null(Unchanged(Now, Before(Now, hash: null, suffix: -1)));
    }

    [Theory]
    [InlineData(EntryType.Directory)]
    [InlineData(EntryType.Symlink)]
    [InlineData(EntryType.Fifo)]
    [InlineData(EntryType.Socket)]
    [InlineData(EntryType.CharDevice)]
    public void A_previous_entry_of_another_type_means_read_again(EntryType type)
    {
        // Same inode number, size and times: only the type says it was something else.
        Assert.Null(Unchanged(Now, Before(Now with { Type = type })));
    }
}
