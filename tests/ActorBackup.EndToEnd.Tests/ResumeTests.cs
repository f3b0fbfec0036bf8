using System.Text;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// A run that stops midway leaves backups/.NAME.partial; the next run with the same backup
/// folder resumes it and publishes a snapshot of the source as it is then.
/// </summary>
public sealed class ResumeTests
{
    [Fact]
    public void Resuming_a_partial_snapshot_replaces_its_stale_files_and_symlinks_with_the_sources()
    {
        using var s = new Scenario();
        s.Source.File("a", "current a\n").File("dir/b", "current b\n").Symlink("l", "current-target");
        var partial = new TreeBuilder(s.Backups + "/.s1.partial");
        partial.File("a", "stale a\n").File("dir/b", "stale b\n").Symlink("l", "stale-target");

        s.BackupSucceeds("s1");

        Assert.False(PosixFs.Exists(s.Backups + "/.s1.partial"));
        Assert.Equal("current a\n", Encoding.UTF8.GetString(PosixFs.ReadBytes(s.InSnapshot("s1", "a"))));
        Assert.Equal("current b\n", Encoding.UTF8.GetString(PosixFs.ReadBytes(s.InSnapshot("s1", "dir/b"))));
        Expect.SameInode(s.EntryPath(Scenario.Sha1(Encoding.UTF8.GetBytes("current a\n"))), s.InSnapshot("s1", "a"));
        Assert.Equal("current-target", Encoding.UTF8.GetString(PosixFs.ReadLink(s.InSnapshot("s1", "l"))));
    }

    [Fact]
    public void Resuming_a_partial_snapshot_drops_what_the_source_no_longer_has()
    {
        using var s = new Scenario();
        s.Source.File("a", "current a\n");
        var partial = new TreeBuilder(s.Backups + "/.s1.partial");
        partial.File("a", "current a\n").File("deleted-since", "gone from the source\n").File("gone-dir/x", "x");

        s.BackupSucceeds("s1");

        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s1")));
        Assert.Equal(["a"], PosixFs.ListNames(s.Snapshot("s1")));
    }
}
