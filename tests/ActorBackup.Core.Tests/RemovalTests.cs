using ActorBackup.Posix;
using ActorBackup.Testing;
using Mono.Unix.Native;
using TempDir = ActorBackup.Testing.TempDir;

namespace ActorBackup.Core.Tests;

/// <summary>Removal: prune's tree removal and store sweep, through directory handles only.</summary>
public sealed class RemovalTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void RemoveTree_removes_every_kind_of_entry_and_counts_them_never_following_a_symlink(int workers)
    {
        using var temp = new TempDir();
        var outside = new TreeBuilder(temp.Combine("outside")).File("keep-me", "precious\n");
        var tree = new TreeBuilder(temp.Combine("tree"));
        tree.File("top", "t").Symlink("to-outside", outside.Root).Symlink("to-outside-file", outside.PathOf("keep-me")).Fifo("pipe")
            .File(Names.FromBytes(0xFF, 0xFE, (byte)'x'), "not UTF-8")
            .Dir("empty")
            .File("locked/inner/file", "in a folder no one may enter").Chmod("locked/inner", 0).Chmod("locked", 0);
        for (var u = 0; u < 7; u++)
            for (var f = 0; f < 20; f++)
                tree.File($"u{u}/d{f % 3}/f{f}", $"{u}/{f}");
        tree.File(string.Join('/', Enumerable.Repeat("deep", 60)) + "/leaf", "leaf");

        var removed = Removal.RemoveTree(tree.Root, workers);

        Assert.False(PosixFs.Exists(tree.Root));
        Assert.Equal("precious\n", File.ReadAllText(outside.PathOf("keep-me")));
        // files: top, 2 symlinks, pipe, non-UTF-8, locked/inner/file, 140 in u*, leaf
        Assert.Equal(1 + 2 + 1 + 1 + 1 + 140 + 1, removed.Files);
        // folders: tree, empty, locked, locked/inner, 7 u*, 21 u*/d*, 60 deep
        Assert.Equal(1 + 1 + 2 + 7 + 21 + 60, removed.Directories);
    }

    [Fact]
    public void RemoveTree_goes_down_a_chain_of_single_folders_and_removes_a_file_or_a_missing_path_as_asked()
    {
        using var temp = new TempDir();
        var tree = new TreeBuilder(temp.Combine("tree"));
        for (var f = 0; f < 50; f++)
            tree.File($"home/users/u{f % 5}/f{f}", "x");
        tree.File("home/note", "n");

        Assert.Equal(new Removed(51, 1 + 1 + 1 + 5, 0), Removal.RemoveTree(tree.Root, workers: 2));
        Assert.Equal(new Removed(0, 0, 0), Removal.RemoveTree(tree.Root));
        var file = new TreeBuilder(temp.Combine("f")).File("x", "x").PathOf("x");
        Assert.Equal(new Removed(1, 0, 0), Removal.RemoveTree(file));
        Assert.False(PosixFs.Exists(file));
    }

    [Fact]
    public void RemoveTree_refuses_to_enter_another_file_system_and_leaves_what_is_mounted_there()
    {
        using var temp = new TempDir();
        var tree = new TreeBuilder(temp.Combine("tree")).File("a/file", "a").Dir("a/mnt");
        using var mount = new TmpfsMount(tree.PathOf("a/mnt"));
        new TreeBuilder(mount.Path).File("on-tmpfs", "keep");

        var e = Assert.Throws<PosixException>(() => Removal.RemoveTree(tree.Root, workers: 2));

        Assert.Equal(Errno.EXDEV, e.Errno);
        Assert.Contains("another file system is mounted there", e.Message);
        Assert.Equal("keep", File.ReadAllText(mount.Path + "/on-tmpfs"));
    }

    [Fact]
    public void RemoveUnlinkedFiles_removes_only_selected_regular_files_with_a_single_link()
    {
        using var temp = new TempDir();
        var store = new TreeBuilder(temp.Combine("store")).File("AA1", "12345").File("AA2", "linked").File("BB3", "not selected").File("AA4", "").Dir("AA5")
            .Symlink("AA6", "AA1");
        Assert.Equal(0, Syscall.link(store.PathOf("AA2"), temp.Combine("snapshot-link")));

        var removed = Removal.RemoveUnlinkedFiles(store.Root, name => name.StartsWith("AA", StringComparison.Ordinal));

        Assert.Equal(new Removed(2, 0, 5), removed);
        Assert.Equal(["AA2", "AA5", "AA6", "BB3"], PosixFs.ListNames(store.Root));
    }
}
