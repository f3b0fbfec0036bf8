using ActorBackup.Actors.Tests.Support;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;
using ActorBackup.Store.Manifest;
using Xunit.Abstractions;
using static ActorBackup.Protocol.WalkerProtocol;
using WalkerActor = ActorBackup.Actors.Walker.Walker;

namespace ActorBackup.Actors.Tests;

public sealed class WalkerSpec(ITestOutputHelper output) : ActorSpec(output)
{
    private DirectoryWalked Walk(string relative, FileMeta expected, RunOptions? options = null)
    {
        var walker = Sys.ActorOf(WalkerActor.Props(options ?? Options()));
        walker.Tell(new WalkDirectory(relative, expected), TestActor);
        return ExpectMsg<DirectoryWalked>();
    }

    [Fact]
    public void Walker_lists_a_directory_sorted_by_byte_order()
    {
        foreach (var name in new[] { "b", "a b", "é", "Z", "_", "a", "9", "B", "10" })
            File.WriteAllText(Source(name), name);
        Libc.CreateFile(Root, [0xFF]);

        var walked = Walk("", Files.Lstat(Root));

        Assert.Equal("", walked.Path);
        Assert.Empty(walked.Problems);
        Assert.Equal(["10", "9", "B", "Z", "_", "a", "a%20b", "b", "%C3%A9", "%FF"],
            walked.Entries.Select(e => PathBytes.Escape(e.Path)));
    }

    [Fact]
    public void Walker_reports_each_entry_with_its_lstat_metadata()
    {
        var file = Source("f");
        File.WriteAllText(file, "hello");
        SetOwnerModeTime(file, 1234, 5678, 0x1A0, new Timestamp(1_600_000_000, 123_456_789));
        Directory.CreateDirectory(Source("sub"));
        Libc.Mkfifo(Source("p"));

        var walked = Walk("", Files.Lstat(Root));

        Assert.Empty(walked.Problems);
        Assert.Equal(["f", "p", "sub"], walked.Entries.Select(e => e.Path));
        var f = walked.Entries[0];
        Assert.Equal(EntryType.File, f.Meta.Type);
        Assert.Equal(0x1A0u, f.Meta.Mode);
        Assert.Equal(1234u, f.Meta.Uid);
        Assert.Equal(5678u, f.Meta.Gid);
        Assert.Equal(5, f.Meta.Size);
        Assert.Equal(new Timestamp(1_600_000_000, 123_456_789), f.Meta.Mtime);
        Assert.Equal(Files.Lstat(file).Inode, f.Meta.Inode);
        Assert.Null(f.LinkTarget);
        Assert.Equal(EntryType.Fifo, walked.Entries[1].Meta.Type);
        Assert.Equal(EntryType.Directory, walked.Entries[2].Meta.Type);
        Assert.Equal(Files.Lstat(Source("sub")).Inode, walked.Entries[2].Meta.Inode);
    }

    [Fact]
    public void Walker_reads_symlink_targets_as_exact_bytes_without_following_them()
    {
        Directory.CreateDirectory(Source("real"));
        byte[] dangling = [(byte)'.', (byte)'.', (byte)'/', 0xFF, 0xFE, (byte)' ', (byte)'x'];
        Libc.Symlink(dangling, Root, "broken"u8.ToArray());
        Libc.Symlink("real"u8.ToArray(), Root, "to-dir"u8.ToArray());

        var walked = Walk("", Files.Lstat(Root));

        Assert.Equal(["broken", "real", "to-dir"], walked.Entries.Select(e => e.Path));
        Assert.Equal(EntryType.Symlink, walked.Entries[0].Meta.Type);
        Assert.Equal(dangling, walked.Entries[0].LinkTarget);
        Assert.Equal(EntryType.Symlink, walked.Entries[2].Meta.Type);
        Assert.Equal("real"u8.ToArray(), walked.Entries[2].LinkTarget);
        Assert.Null(walked.Entries[1].LinkTarget);
    }

    [Fact]
    public void Walker_gives_children_of_a_subdirectory_root_relative_paths()
    {
        Directory.CreateDirectory(Source("sub/deeper"));
        File.WriteAllText(Source("sub/x"), "x");

        var walked = Walk("sub", Files.Lstat(Source("sub")));

        Assert.Equal("sub", walked.Path);
        Assert.Equal(["sub/deeper", "sub/x"], walked.Entries.Select(e => e.Path));
    }

    [Fact]
    public void Walker_refuses_a_directory_whose_inode_differs_from_the_expected_one()
    {
        Directory.CreateDirectory(Source("sub"));
        File.WriteAllText(Source("sub/secret"), "s");
        Directory.CreateDirectory(Source("other"));

        var walked = Walk("sub", Files.Lstat(Source("other")));

        Assert.Empty(walked.Entries);
        var problem = Assert.Single(walked.Problems);
        Assert.Equal("sub", problem.Path);
        Assert.Contains("replaced", problem.Reason);
    }

    [Fact]
    public void Walker_does_not_follow_a_directory_swapped_for_a_symlink()
    {
        Directory.CreateDirectory(Source("sub"));
        Directory.CreateDirectory(Temp["elsewhere"]);
        File.WriteAllText(Temp["elsewhere/passwd"], "root:x:0:0");
        var seen = Files.Lstat(Source("sub"));
        Directory.Delete(Source("sub"));
        File.CreateSymbolicLink(Source("sub"), Temp["elsewhere"]);

        var walked = Walk("sub", seen);

        Assert.Empty(walked.Entries);
        var problem = Assert.Single(walked.Problems);
        Assert.Equal("sub", problem.Path);
        Assert.Contains("cannot list directory", problem.Reason);
    }

    [Fact]
    public void Walker_refuses_a_directory_reached_through_a_parent_swapped_for_a_symlink()
    {
        Directory.CreateDirectory(Source("a/b"));
        var seen = Files.Lstat(Source("a/b"));
        Directory.CreateDirectory(Temp["elsewhere/b"]);
        File.WriteAllText(Temp["elsewhere/b/shadow"], "root:x:0:0");
        Directory.Move(Source("a"), Source("a.old"));
        File.CreateSymbolicLink(Source("a"), Temp["elsewhere"]);

        var walked = Walk("a/b", seen);

        Assert.Empty(walked.Entries);
        var problem = Assert.Single(walked.Problems);
        Assert.Equal("a/b", problem.Path);
    }

    [Fact]
    public void Walker_skips_excluded_directories()
    {
        Directory.CreateDirectory(Source("data/AA"));
        Directory.CreateDirectory(Source("keep"));
        Directory.CreateDirectory(Source("keep/backups"));
        File.WriteAllText(Source("data.txt"), "d");
        var options = Options() with { Excluded = new HashSet<string>(StringComparer.Ordinal) { "data", "keep/backups" } };

        var top = Walk("", Files.Lstat(Root), options);
        var inner = Walk("keep", Files.Lstat(Source("keep")), options);

        Assert.Equal(["data.txt", "keep"], top.Entries.Select(e => e.Path));
        Assert.Empty(top.Problems);
        Assert.Empty(inner.Entries);
        Assert.Empty(inner.Problems);
    }

    [Fact]
    public void Walker_reports_a_vanished_directory_as_a_problem()
    {
        Directory.CreateDirectory(Source("gone"));
        var seen = Files.Lstat(Source("gone"));
        Directory.Delete(Source("gone"));

        var walked = Walk("gone", seen);

        Assert.Empty(walked.Entries);
        var problem = Assert.Single(walked.Problems);
        Assert.Equal("gone", problem.Path);
        Assert.Contains("cannot list directory", problem.Reason);
        Assert.Contains("ENOENT", problem.Reason);
    }
}
