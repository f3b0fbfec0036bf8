using ActorBackup.Actors.Cluster;

namespace ActorBackup.Actors.Tests;

/// <summary>How a hasher node decides whether it sees the run's source: by the inodes of the root and of entries in it.</summary>
public sealed class SourceCheckTests : IDisposable
{
    private readonly ActorBackup.Testing.TempDir _temp = new();
    private readonly string _source;

    public SourceCheckTests()
    {
        _source = _temp.CreateFolder("src");
        foreach (var name in new[] { "alice", "bob", "carol" })
            File.WriteAllText(Path.Combine(_temp.CreateFolder("src/" + name), "notes.txt"), name);
        File.WriteAllText(_temp.Combine("src", "readme"), "top");
    }

    [Fact]
    public void The_same_folder_and_a_symlink_to_it_are_seen()
    {
        var identity = SourceCheck.Describe(_source);
        File.CreateSymbolicLink(_temp.Combine("link"), _source);

        Assert.Null(SourceCheck.Problem(identity, _source));
        Assert.Null(SourceCheck.Problem(identity, _temp.Combine("link")));
        Assert.Equal(["alice", "bob", "carol", "readme"], identity.Sample.Select(e => e.Path));
    }

    [Fact]
    public void An_empty_folder_a_missing_one_and_a_copy_of_the_tree_are_not_seen()
    {
        var identity = SourceCheck.Describe(_source);
        var copy = _temp.CreateFolder("copy");
        foreach (var name in new[] { "alice", "bob", "carol" })
            Directory.CreateDirectory(Path.Combine(copy, name));
        File.WriteAllText(Path.Combine(copy, "readme"), "top");

        Assert.Contains("the coordinator's root folder is inode", SourceCheck.Problem(identity, _temp.CreateFolder("empty")));
        Assert.Contains("No such file or directory", SourceCheck.Problem(identity, _temp.Combine("missing")));
        Assert.Contains("the coordinator's root folder is inode", SourceCheck.Problem(identity, copy));
        // The root the same inode, its entries not (another file system's root would be inode 2 too).
        Assert.Contains("4 of the 4 entries sampled", SourceCheck.Problem(identity with { RootMeta = SourceCheck.Describe(copy).RootMeta }, copy));
    }

    [Fact]
    public void Entries_that_come_and_go_while_a_run_starts_do_not_make_a_node_blind()
    {
        var identity = SourceCheck.Describe(_source);
        Directory.Delete(Path.Combine(_source, "bob"), recursive: true);
        File.Delete(Path.Combine(_source, "readme"));

        Assert.Null(SourceCheck.Problem(identity, _source)); // 2 of 4 still as they were

        Directory.Delete(Path.Combine(_source, "carol"), recursive: true);
        Assert.Contains("3 of the 4 entries sampled", SourceCheck.Problem(identity, _source));
    }

    public void Dispose() => _temp.Dispose();
}
