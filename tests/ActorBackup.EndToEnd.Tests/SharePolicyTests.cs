using System.Text;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>--share=owner (default) and --share=content: which snapshot files may share an inode.</summary>
public sealed class SharePolicyTests
{
    private static readonly byte[] Same = Encoding.UTF8.GetBytes("identical bytes, different owners\n");

    [Fact]
    public void Owner_policy_gives_the_same_content_of_another_owner_or_mode_its_own_entry_and_inode()
    {
        using var s = new Scenario();
        s.Source
            .File("root-file", Same)
            .File("root-file-again", Same)
            .File("user-file", Same).Chown("user-file", 1234, 1234)
            .File("private-file", Same, mode: 600);

        s.BackupSucceeds("s1");

        var hash = Scenario.Sha1(Same);
        Assert.Equal(
            [hash, hash + ".1", hash + ".2"],
            s.StoreEntries().Select(e => e.Name).Order(StringComparer.Ordinal));
        Expect.SameInode(s.InSnapshot("s1", "root-file"), s.InSnapshot("s1", "root-file-again"));
        Expect.DifferentInode(s.InSnapshot("s1", "root-file"), s.InSnapshot("s1", "user-file"));
        Expect.DifferentInode(s.InSnapshot("s1", "root-file"), s.InSnapshot("s1", "private-file"));
        Expect.DifferentInode(s.InSnapshot("s1", "user-file"), s.InSnapshot("s1", "private-file"));
        Expect.Owner(0, 0, s.InSnapshot("s1", "root-file"));
        Expect.Owner(1234, 1234, s.InSnapshot("s1", "user-file"));
        Expect.Mode(644, s.InSnapshot("s1", "user-file"));
        Expect.Mode(600, s.InSnapshot("s1", "private-file"));
        foreach (var path in new[] { "root-file", "user-file", "private-file" })
            Assert.Equal(Same, PosixFs.ReadBytes(s.InSnapshot("s1", path)));

        // Each snapshot file links to the entry its manifest line names.
        var manifest = s.Manifest("s1");
        foreach (var path in new[] { "root-file", "root-file-again", "user-file", "private-file" })
        {
            var line = manifest.Entry(path);
            Assert.Equal(hash, line.Hash);
            Expect.SameInode(s.EntryPath(hash, int.Parse(line.Suffix, System.Globalization.CultureInfo.InvariantCulture)), s.InSnapshot("s1", path));
        }
    }

    [Fact]
    public void Content_policy_links_the_same_content_of_every_owner_to_one_inode_without_setuid_bits()
    {
        using var s = new Scenario();
        s.Source
            .File("root-file", Same)
            .File("user-tool", Same).Chown("user-tool", 1234, 1234).Chmod("user-tool", 4755)
            .File("group-file", Same).Chown("group-file", 0, 5678).Chmod("group-file", 2750);

        s.BackupSucceeds("s1", "--share=content");

        var entry = s.EntryPath(Scenario.Sha1(Same));
        Assert.Equal([Scenario.Sha1(Same)], s.StoreEntries().Select(e => e.Name));
        foreach (var path in new[] { "root-file", "user-tool", "group-file" })
            Expect.SameInode(entry, s.InSnapshot("s1", path));
        var meta = Files.Lstat(entry);
        Assert.Equal(4ul, meta.LinkCount);
        Assert.True((meta.Mode & Octal.Mode(7000)) == 0, $"a shared entry must not keep setuid/setgid/sticky bits, it has mode {Octal.Format(meta.Mode)}");
        Assert.Contains((meta.Uid, meta.Gid), new[] { (0u, 0u), (1234u, 1234u), (0u, 5678u) });
        Assert.Equal("content", s.Manifest("s1").Header["share"]);
    }
}
