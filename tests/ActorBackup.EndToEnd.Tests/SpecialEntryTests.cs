using System.Text;
using ActorBackup.Core;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>Symlinks, FIFOs, devices, sockets, and names no text encoding can hold.</summary>
public sealed class SpecialEntryTests
{
    [Fact]
    public void Symlinks_keep_their_exact_target_bytes_owner_and_nanosecond_mtime()
    {
        using var s = new Scenario();
        var targets = new Dictionary<string, byte[]>
        {
            ["relative"] = Encoding.UTF8.GetBytes("../elsewhere/file"),
            ["dangling-absolute"] = Encoding.UTF8.GetBytes("/nonexistent/path"),
            ["not-utf8"] = [0xFF, 0xFE, (byte)'/', (byte)'x'],
            ["newline"] = Encoding.UTF8.GetBytes("line1\nline2"),
            ["long"] = Encoding.UTF8.GetBytes(string.Join('/', Enumerable.Repeat("segment", 60))),
        };
        foreach (var (name, target) in targets)
            s.Source.Symlink(name, target).Chown(name, 1234, 4321).Mtime(name, 1_600_000_000, 111_222_333);

        s.BackupSucceeds("s1");

        foreach (var (name, target) in targets)
        {
            var copy = s.InSnapshot("s1", name);
            Assert.Equal(EntryType.Symlink, Files.Lstat(copy).Type);
            Assert.Equal(Names.Show(target), Names.Show(PosixFs.ReadLink(copy)));
            Expect.Owner(1234, 4321, copy);
            Expect.Mtime(1_600_000_000, 111_222_333, copy);
        }
    }

    [Fact]
    public void Fifos_are_recreated_with_their_mode_owner_and_mtime()
    {
        using var s = new Scenario();
        s.Source.Fifo("pipe", mode: 640).Chown("pipe", 1234, 1234).Chmod("pipe", 640).Mtime("pipe", 1_600_000_000, 7);

        s.BackupSucceeds("s1");

        var copy = s.InSnapshot("s1", "pipe");
        Assert.Equal(EntryType.Fifo, Files.Lstat(copy).Type);
        Expect.Mode(640, copy);
        Expect.Owner(1234, 1234, copy);
        Expect.Mtime(1_600_000_000, 7, copy);
    }

    [Fact]
    public void Character_devices_are_recreated_with_their_device_number_when_run_as_root()
    {
        Assert.True(Files.IsRoot, "this test makes a device node and needs root");
        using var s = new Scenario();
        s.Source.CharDevice("null-device", 1, 3, mode: 666).Chown("null-device", 1234, 1234).Chmod("null-device", 666);

        s.BackupSucceeds("s1");

        var copy = s.InSnapshot("s1", "null-device");
        var meta = Files.Lstat(copy);
        Assert.Equal(EntryType.CharDevice, meta.Type);
        Assert.Equal(TreeBuilder.MakeDev(1, 3), meta.Rdev);
        Expect.Mode(666, copy);
        Expect.Owner(1234, 1234, copy);
    }

    [Fact]
    public void Sockets_are_skipped_and_counted_without_failing_the_run()
    {
        using var s = new Scenario();
        s.Source.File("file", "f").Socket("sock");
        Assert.Equal(EntryType.Socket, Files.Lstat(s.Source.PathOf("sock")).Type);

        var result = s.BackupSucceeds("s1", "--dostats");

        Assert.False(PosixFs.Exists(s.InSnapshot("s1", "sock")), "a socket must not be in the snapshot");
        Assert.True(PosixFs.Exists(s.InSnapshot("s1", "file")));
        Assert.Contains(result.StdoutLines, l => l.StartsWith("special files:", StringComparison.Ordinal) && l.Contains("1 skipped", StringComparison.Ordinal));
    }

    [Fact]
    public void Names_that_are_not_UTF8_or_hold_a_newline_or_a_leading_dash_or_255_bytes_keep_their_exact_bytes()
    {
        using var s = new Scenario();
        var notUtf8 = Names.FromBytes(0xFF, 0xFE);
        var names = new[]
        {
            notUtf8,
            "new\nline",
            "-rf",
            "--help",
            "tab\there",
            "%41 percent",
            "#hash",
            "caf\u00e9",
            Names.OfLength(255),
        };
        for (var i = 0; i < names.Length; i++)
            s.Source.File(names[i], $"content {i}");
        s.Source.File(notUtf8 + Names.FromBytes(0x80) + "-dir/" + notUtf8, "inside a folder whose name is not UTF-8");

        s.BackupSucceeds("s1");

        Assert.Equal(
            PosixFs.ListNames(s.SourceRoot).Select(Names.Show),
            PosixFs.ListNames(s.Snapshot("s1")).Select(Names.Show));
        for (var i = 0; i < names.Length; i++)
            Assert.Equal($"content {i}", Encoding.UTF8.GetString(PosixFs.ReadBytes(s.InSnapshot("s1", names[i]))));
        Assert.Equal("inside a folder whose name is not UTF-8",
            Encoding.UTF8.GetString(PosixFs.ReadBytes(s.InSnapshot("s1", notUtf8 + Names.FromBytes(0x80) + "-dir/" + notUtf8))));

        var manifest = s.Manifest("s1");
        var escaped = manifest.Entries.Select(e => e.Fields[0]).ToHashSet();
        Assert.Contains("%FF%FE", escaped);
        Assert.Contains("new%0Aline", escaped);
        Assert.Contains("tab%09here", escaped);
        Assert.Contains("%2541%20percent", escaped);
        Assert.Contains("%23hash", escaped);
        Assert.Contains("caf%C3%A9", escaped);
        Assert.Contains("%FF%FE%80-dir/%FF%FE", escaped);
    }
}
