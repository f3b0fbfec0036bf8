using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// Files that were hardlinks of one another in the source come back from actorbackup restore
/// as hardlinks of one another (as restic and Borg restore them), with the source's link
/// count, and files that merely share content do not.
/// </summary>
public sealed class HardlinkRestoreTests
{
    [Fact]
    public void Files_hardlinked_in_the_source_are_restored_as_links_of_one_inode_and_others_stay_apart()
    {
        using var s = new Scenario();
        s.Source
            .File("a", "pair").Hardlink("dir1/b", "a")
            .File("dir1/c", "trio").Hardlink("dir2/d", "dir1/c").Hardlink("dir3/e", "dir1/c")
            .File("single", "pair") // the pair's content, but an inode of its own
            .File("other", "other");
        s.BackupSucceeds("s1");
        var manifest = s.Manifest("s1");
        Assert.Equal(2ul, manifest.Entry("dir1/b").Nlink);
        Assert.Equal(3ul, manifest.Entry("dir3/e").Nlink);
        Assert.Equal(1ul, manifest.Entry("single").Nlink);
        var target = s.Temp.Combine("target");

        var result = Restore(s, "s1", target);

        Expect.Success(result);
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, target));
        Expect.SameInode(target + "/a", target + "/dir1/b");
        Expect.SameInode(target + "/dir1/c", target + "/dir2/d");
        Expect.SameInode(target + "/dir1/c", target + "/dir3/e");
        foreach (var path in new[] { "a", "dir1/c", "single", "other" })
            Assert.Equal(Files.Lstat(s.Source.PathOf(path)).LinkCount, Files.Lstat(target + "/" + path).LinkCount);
        Expect.DifferentInode(target + "/a", target + "/single");
        Expect.DifferentInode(target + "/a", target + "/dir1/c");
        Assert.StartsWith($"restored s1 to {target}: 7 files (", Assert.Single(result.StdoutLines));
    }

    [Fact]
    public void A_group_with_a_member_outside_the_restored_path_still_links_the_members_inside()
    {
        using var s = new Scenario();
        s.Source
            .File("keep/a", "group").Hardlink("keep/sub/b", "keep/a").Hardlink("elsewhere/c", "keep/a")
            .File("keep/lone", "lone");
        s.BackupSucceeds("s1");
        var target = s.Temp.Combine("target");

        Expect.Success(Restore(s, "s1", target, "--path=keep"));

        Expect.SameInode(target + "/keep/a", target + "/keep/sub/b");
        Assert.Equal(2ul, Files.Lstat(target + "/keep/a").LinkCount);
        Assert.Equal(1ul, Files.Lstat(target + "/keep/lone").LinkCount);
        Assert.False(Directory.Exists(target + "/elsewhere"));
        Assert.Equal("group", File.ReadAllText(target + "/keep/sub/b"));
    }

    [Fact]
    public void A_manifest_written_before_link_counts_were_recorded_restores_hardlinks_as_copies()
    {
        using var s = new Scenario();
        s.Source.File("a", "pair").Hardlink("b", "a");
        s.BackupSucceeds("s1");
        var lines = File.ReadAllLines(s.ManifestPath("s1"))
            .Select(l => l.StartsWith('#') ? l : l[..l.LastIndexOf('\t')]) // 15 fields, as older runs wrote
            .ToList();
        File.WriteAllText(s.ManifestPath("s1"), string.Join('\n', lines) + "\n");
        var target = s.Temp.Combine("target");

        Expect.Success(Restore(s, "s1", target));

        Expect.DifferentInode(target + "/a", target + "/b");
        Assert.Equal("pair", File.ReadAllText(target + "/b"));
    }

    private static ProcessResult Restore(Scenario s, string snapshot, string target, params string[] options) =>
        PublishedCli.Run(["restore", $"--datafolder={s.Data}", $"--snapshot={snapshot}", $"--target={target}", .. options]);
}
