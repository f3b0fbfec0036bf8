using System.Globalization;
using System.Text;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>The manifest D/.actorbackup/snapshots/NAME.manifest, checked against the source as a user's script would.</summary>
public sealed class ManifestTests
{
    [Fact]
    public void Manifest_has_one_line_per_source_entry_with_its_metadata_the_SHA1_of_each_file_and_an_end_count()
    {
        using var s = new Scenario();
        var contents = new Dictionary<string, byte[]>
        {
            ["a.txt"] = Encoding.UTF8.GetBytes("alpha\n"),
            ["dir/b.bin"] = Scenario.Bytes(10_000, seed: 20),
            ["dir/same-as-a"] = Encoding.UTF8.GetBytes("alpha\n"),
            ["empty"] = [],
            ["owned"] = Encoding.UTF8.GetBytes("owned\n"),
        };
        foreach (var (path, bytes) in contents)
            s.Source.File(path, bytes);
        s.Source
            .Chown("owned", 1234, 5678).Chmod("owned", 640)
            .Symlink("dir/link", [(byte)'x', 0xFF, (byte)' ', (byte)'%'])
            .Fifo("dir/fifo")
            .Mtime("a.txt", 1_600_000_000, 5)
            .Mtime("dir", 1_600_000_001, 123_456_789);

        s.BackupSucceeds("s1");

        var manifest = s.Manifest("s1");
        Assert.Equal("#actorbackup-manifest 1", manifest.Lines[0]);
        Assert.Equal("sha1", manifest.Header["hash"]);
        Assert.Equal("1", manifest.Header["levels"]);
        Assert.Equal("owner", manifest.Header["share"]);
        Assert.Equal(s.SourceRoot, Encoding.UTF8.GetString(ManifestFile.Unescape(manifest.Header["root"])));
        Assert.Equal(s.Snapshot("s1"), Encoding.UTF8.GetString(ManifestFile.Unescape(manifest.Header["snapshot"])));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", manifest.Header["started"]);
        Assert.Equal($"#end {manifest.Entries.Count}", manifest.Lines[^1]);

        var sourcePaths = PosixFs.Walk(s.SourceRoot).Append("").Order(StringComparer.Ordinal);
        Assert.Equal(sourcePaths, manifest.Entries.Select(e => e.Path).Order(StringComparer.Ordinal));

        foreach (var entry in manifest.Entries)
        {
            var source = Files.Lstat(s.Source.PathOf(entry.Path));
            var shown = Names.Show(entry.Path);
            Assert.True((char)source.Type == entry.Type, $"{shown}: type {entry.Type}, source is {source.Type}");
            Assert.True(Octal.Format(source.Mode) == entry.Mode, $"{shown}: mode {entry.Mode}, source has {Octal.Format(source.Mode)}");
            Assert.Equal((source.Uid, source.Gid), (entry.Uid, entry.Gid));
            Assert.Equal(source.Inode, entry.Ino);
            Assert.Matches(@"^\d+\.\d{9}$", entry.Mtime);
            Assert.Equal(source.Mtime.ToString(), entry.Mtime);
            Assert.Equal(source.Ctime.ToString(), entry.Ctime);
            if (entry.Type == 'f')
            {
                Assert.Equal(source.Size, entry.Size);
                Assert.Equal(Scenario.Sha1(contents[entry.Path]), entry.Hash);
                var suffix = int.Parse(entry.Suffix, CultureInfo.InvariantCulture);
                Expect.SameInode(s.EntryPath(entry.Hash, suffix), s.InSnapshot("s1", entry.Path));
            }
            else
            {
                Assert.Equal("", entry.Hash);
                Assert.Equal("", entry.Suffix);
            }
            if (entry.Type != 'l')
                Assert.Equal("", entry.Fields[13]);
        }
        Assert.Equal("1600000000.000000005", manifest.Entry("a.txt").Mtime);
        Assert.Equal("1600000001.123456789", manifest.Entry("dir").Mtime);
        Assert.Equal("x%FF%20%25", manifest.Entry("dir/link").Fields[13]);
        Assert.Equal((1234u, 5678u, "640"), (manifest.Entry("owned").Uid, manifest.Entry("owned").Gid, manifest.Entry("owned").Mode));
        Assert.Equal('p', manifest.Entry("dir/fifo").Type);
    }
}
