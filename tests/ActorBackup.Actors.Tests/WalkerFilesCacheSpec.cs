using ActorBackup.Actors.Tests.Support;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Manifest;
using Mono.Unix.Native;
using Xunit.Abstractions;
using static ActorBackup.Protocol.WalkerProtocol;
using WalkerActor = ActorBackup.Actors.Walker.Walker;

namespace ActorBackup.Actors.Tests;

/// <summary>The walker with a previous manifest: unchanged regular files carry their known hash and store entry.</summary>
public sealed class WalkerFilesCacheSpec(ITestOutputHelper output) : ActorSpec(output)
{
    private DirectoryWalked Walk(string relative, RunOptions options)
    {
        var walker = Sys.ActorOf(WalkerActor.Props(options));
        walker.Tell(new WalkDirectory(relative, Files.Lstat(Source(relative))), TestActor);
        return ExpectMsg<DirectoryWalked>();
    }

    private static ManifestEntry RecordedDirectory(string relative, string path) => new(relative, Files.Lstat(path), null, -1, null);

    /// <summary>Lets the clock move on, so that a chmod or chown gets a ctime of its own (the kernel's clock is coarse).</summary>
    private static void Tick() => Thread.Sleep(50);

    [Fact]
    public void Walker_marks_unchanged_files_known_and_changed_or_new_files_not()
    {
        var mtime = new Timestamp(1_600_000_000, 123_456_789);
        SourceFile("same", "unchanged content");
        SourceFile("same-other-entry", "unchanged, linked to HASH.3 last time");
        SourceFile("grown", "will grow");
        SourceFile("touched", "mtime will move");
        SourceFile("chmodded", "mode will change", mode: 0x1A4);
        SourceFile("chowned", "owner will change", uid: 1000, gid: 100);
        SourceFile("ctime-only", "chmod to the same mode");
        SourceFile("replaced", "same bytes, new inode");
        SourceFile("odd %#name é", "escaped in the manifest");
        Libc.CreateFile(Root, [(byte)'n', 0xFF, (byte)' ', (byte)'x']);
        var nonUtf8 = PathBytes.FromBytes([(byte)'n', 0xFF, (byte)' ', (byte)'x']);
        Directory.CreateDirectory(Source("sub"));
        Libc.Symlink("same"u8.ToArray(), Root, "ln"u8.ToArray());
        var previous = PreviousManifest(
        [
            RecordedDirectory("", Root),
            Recorded("same"),
            Recorded("same-other-entry", suffix: 3),
            Recorded("grown"),
            Recorded("touched"),
            Recorded("chmodded", suffix: 1),
            Recorded("chowned"),
            Recorded("ctime-only"),
            Recorded("replaced"),
            Recorded("odd %#name é", suffix: 2),
            new ManifestEntry(nonUtf8, Files.Lstat(Source(nonUtf8)), Sha1Hex(""), 0, null), // Mono.Unix passes the name's bytes; .NET's File would not
            RecordedDirectory("sub", Source("sub")),
            new ManifestEntry("ln", Files.Lstat(Source("ln")), null, -1, "same"u8.ToArray()),
        ]);
        var recorded = new ManifestReader(previous).Entries().ToDictionary(e => e.Path, StringComparer.Ordinal);

        Tick();
        File.AppendAllText(Source("grown"), " and grew");
        SetOwnerModeTime(Source("grown"), 0, 0, 0x1A4, mtime);
        SetOwnerModeTime(Source("touched"), 0, 0, 0x1A4, new Timestamp(mtime.Seconds + 1, mtime.Nanoseconds));
        Assert.Equal(0, Syscall.chmod(Source("chmodded"), (FilePermissions)0x180));
        Assert.Equal(0, Syscall.chown(Source("chowned"), 2000, 100));
        Assert.Equal(0, Syscall.chmod(Source("ctime-only"), (FilePermissions)0x1A4));
        File.WriteAllText(Source("replaced.new"), "same bytes, new inode");
        SetOwnerModeTime(Source("replaced.new"), 0, 0, 0x1A4, mtime);
        File.Move(Source("replaced.new"), Source("replaced"), overwrite: true);
        SourceFile("new", "not in the previous snapshot");
        // The premises: what changed and what did not.
        Assert.NotEqual(recorded["ctime-only"].Meta.Ctime, Files.Lstat(Source("ctime-only")).Ctime);
        Assert.NotEqual(recorded["chmodded"].Meta.Ctime, Files.Lstat(Source("chmodded")).Ctime);
        Assert.Equal(recorded["chmodded"].Meta.Mtime, Files.Lstat(Source("chmodded")).Mtime);
        Assert.NotEqual(recorded["replaced"].Meta.Inode, Files.Lstat(Source("replaced")).Inode);

        var walked = Walk("", Options() with { PreviousManifest = previous });

        Assert.Empty(walked.Problems);
        var known = walked.Entries.ToDictionary(e => e.Path, e => e.Known, StringComparer.Ordinal);
        Assert.Equal(new KnownContent(Sha1Hex("unchanged content"), 0, SameOwnership: true), known["same"]);
        Assert.Equal(new KnownContent(Sha1Hex("unchanged, linked to HASH.3 last time"), 3, SameOwnership: true), known["same-other-entry"]);
        Assert.Equal(new KnownContent(Sha1Hex("mode will change"), 1), known["chmodded"]); // metadata-only change
        Assert.Equal(new KnownContent(Sha1Hex("owner will change"), 0), known["chowned"]);
        Assert.Equal(new KnownContent(Sha1Hex("escaped in the manifest"), 2, SameOwnership: true), known["odd %#name é"]);
        Assert.Equal(new KnownContent(Sha1Hex(""), 0, SameOwnership: true), known[nonUtf8]);
        Assert.Null(known["grown"]);
        Assert.Null(known["touched"]);
        Assert.Null(known["ctime-only"]);
        Assert.Null(known["replaced"]);
        Assert.Null(known["new"]);
        Assert.Null(known["sub"]);
        Assert.Null(known["ln"]);
        // The metadata is what lstat says now, not what the manifest said.
        Assert.Equal(0x180u, walked.Entries.Single(e => e.Path == "chmodded").Meta.Mode);
        Assert.Equal(2000u, walked.Entries.Single(e => e.Path == "chowned").Meta.Uid);
    }

    [Fact]
    public void Walker_looks_up_a_subdirectory_in_its_own_group_only()
    {
        Directory.CreateDirectory(Source("sub/deeper"));
        Directory.CreateDirectory(Source("sub2"));
        Directory.CreateDirectory(Source("sub-x"));
        SourceFile("sub/a", "in sub");
        SourceFile("sub/deeper/a", "in sub/deeper");
        SourceFile("sub/f", "in sub, missing from the manifest");
        SourceFile("sub2/f", "in sub2");
        SourceFile("sub-x/a", "in sub-x");
        SourceFile("a", "at the root");
        // The previous run saw sub/f's inode, size and times as sub2/f's and sub/deeper/f's:
        // only sub's own group may answer for sub's files.
        var fMeta = Files.Lstat(Source("sub/f"));
        var previous = PreviousManifest(
        [
            RecordedDirectory("", Root),
            Recorded("a", suffix: 7),
            RecordedDirectory("sub", Source("sub")),
            RecordedDirectory("sub/deeper", Source("sub/deeper")),
            RecordedDirectory("sub2", Source("sub2")),
            RecordedDirectory("sub-x", Source("sub-x")),
            Recorded("sub/a", suffix: 1),
            Recorded("sub/deeper/a", suffix: 2),
            new ManifestEntry("sub/deeper/f", fMeta, Sha1Hex("wrong"), 0, null),
            new ManifestEntry("sub2/f", fMeta, Sha1Hex("wrong"), 0, null),
            new ManifestEntry("sub-x/f", fMeta, Sha1Hex("wrong"), 0, null),
            new ManifestEntry("f", fMeta, Sha1Hex("wrong"), 0, null),
            Recorded("sub-x/a", suffix: 4),
        ]);
        var options = Options() with { PreviousManifest = previous };

        var deeper = Walk("sub/deeper", options);
        var sub = Walk("sub", options);
        var root = Walk("", options);
        var subx = Walk("sub-x", options);

        Assert.Equal(new KnownContent(Sha1Hex("in sub/deeper"), 2, SameOwnership: true), deeper.Entries.Single(e => e.Path == "sub/deeper/a").Known);
        Assert.Equal(new KnownContent(Sha1Hex("in sub"), 1, SameOwnership: true), sub.Entries.Single(e => e.Path == "sub/a").Known);
        Assert.Null(sub.Entries.Single(e => e.Path == "sub/f").Known);
        Assert.Null(sub.Entries.Single(e => e.Path == "sub/deeper").Known);
        Assert.Equal(new KnownContent(Sha1Hex("at the root"), 7, SameOwnership: true), root.Entries.Single(e => e.Path == "a").Known);
        Assert.Equal(new KnownContent(Sha1Hex("in sub-x"), 4, SameOwnership: true), subx.Entries.Single(e => e.Path == "sub-x/a").Known);
    }

    [Fact]
    public void Walker_with_one_walker_answers_directories_in_any_order()
    {
        var names = new[] { "d1", "d1/x", "d2", "d1/x/y", "d0" };
        var entries = new List<ManifestEntry> { RecordedDirectory("", Root) };
        foreach (var d in names)
        {
            Directory.CreateDirectory(Source(d));
            SourceFile(d + "/file", "content of " + d);
        }
        foreach (var d in names)
        {
            entries.Add(RecordedDirectory(d, Source(d)));
            entries.Add(Recorded(d + "/file", suffix: d.Length));
        }
        var walker = Sys.ActorOf(WalkerActor.Props(Options() with { PreviousManifest = PreviousManifest(entries) }));

        foreach (var d in new[] { "d2", "d1/x/y", "d0", "d1", "d1/x", "d2", "d0" })
        {
            walker.Tell(new WalkDirectory(d, Files.Lstat(Source(d))), TestActor);
            var walked = ExpectMsg<DirectoryWalked>();
            Assert.Equal(new KnownContent(Sha1Hex("content of " + d), d.Length, SameOwnership: true), walked.Entries.Single(e => e.Path == d + "/file").Known);
        }
    }

    [Fact]
    public void Walker_reads_everything_when_the_previous_manifest_is_unsorted_or_missing()
    {
        SourceFile("same", "unchanged content");
        var entries = new[] { RecordedDirectory("", Root), Recorded("same") };
        var unsorted = PreviousManifest(entries, sorted: false);

        var fromUnsorted = Walk("", Options() with { PreviousManifest = unsorted });
        var fromMissing = Walk("", Options() with { PreviousManifest = Temp["no-such.manifest"] });

        Assert.Equal("same", Assert.Single(fromUnsorted.Entries).Path);
        Assert.Null(fromUnsorted.Entries[0].Known);
        Assert.Empty(fromUnsorted.Problems);
        Assert.Null(Assert.Single(fromMissing.Entries).Known);
        Assert.Empty(fromMissing.Problems);
    }

    [Fact]
    public void Walker_without_a_previous_manifest_marks_nothing_known()
    {
        SourceFile("same", "unchanged content");

        var walked = Walk("", Options());

        Assert.Null(Assert.Single(walked.Entries).Known);
    }

    [Theory]
    [InlineData("a number too large for its field")]
    [InlineData("an empty type field")]
    [InlineData("a bad escape")]
    [InlineData("too few fields")]
    public void Walker_answers_for_a_directory_whose_previous_manifest_group_is_damaged(string damage)
    {
        Directory.CreateDirectory(Source("sub"));
        SourceFile("sub/a", "in sub");
        SourceFile("sub/b", "in sub too");
        SourceFile("top", "at the root");
        var previous = PreviousManifest(
        [
            RecordedDirectory("", Root),
            Recorded("top"),
            RecordedDirectory("sub", Source("sub")),
            Recorded("sub/a"),
            Recorded("sub/b"),
        ]);
        var lines = File.ReadAllLines(previous);
        var i = Array.FindIndex(lines, l => l.StartsWith("sub/a\t", StringComparison.Ordinal));
        var fields = lines[i].Split('\t');
        switch (damage)
        {
            case "a number too large for its field":
                fields[3] = "99999999999"; // uid
                break;
            case "an empty type field":
                fields[1] = "";
                break;
            case "a bad escape":
                fields[0] = "sub/a%ZZ";
                break;
            default:
                fields = fields[..5];
                break;
        }
        lines[i] = string.Join('\t', fields);
        File.WriteAllText(previous, string.Join('\n', lines) + "\n");
        var walker = Sys.ActorOf(WalkerActor.Props(Options() with { PreviousManifest = previous }));

        walker.Tell(new WalkDirectory("sub", Files.Lstat(Source("sub"))), TestActor);
        var sub = ExpectMsg<DirectoryWalked>(TimeSpan.FromSeconds(5));
        walker.Tell(new WalkDirectory("", Files.Lstat(Root)), TestActor);
        var root = ExpectMsg<DirectoryWalked>(TimeSpan.FromSeconds(5));

        // A damaged group costs reading that directory's files, nothing else.
        Assert.Equal(["sub/a", "sub/b"], sub.Entries.Select(e => e.Path));
        Assert.Null(sub.Entries[0].Known);
        Assert.Empty(sub.Problems);
        Assert.Equal(new KnownContent(Sha1Hex("at the root"), 0, SameOwnership: true), root.Entries.Single(e => e.Path == "top").Known);
    }
}
