using ActorBackup.Core;
using ActorBackup.Hosting;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Manifest;
using Akka.Configuration;
using Mono.Unix.Native;
using Xunit.Abstractions;

namespace ActorBackup.Actors.Tests.Support;

/// <summary>
/// A TestKit spec on an actor system built from the embedded hocon/actorbackup.conf, with
/// the dispatchers sized as BackupSystem.Create sizes them, and its own temp folder holding
/// a source root, a backup parent and a data folder.
/// </summary>
public abstract class ActorSpec : Akka.TestKit.Xunit2.TestKit
{
    protected ActorSpec(ITestOutputHelper output)
        : base(SpecConfig(), "actorbackup-spec", output)
    {
        Settings = BackupSettings.From(Sys.Settings.Config);
        Directory.CreateDirectory(Root);
    }

    public static Config SpecConfig()
    {
        var config = BackupSystem.LoadConfig(null);
        var settings = BackupSettings.From(config);
        return ConfigurationFactory.ParseString($"""
            actorbackup.dispatchers.hash.dedicated-thread-pool.thread-count = {settings.Hashers}
            actorbackup.dispatchers.io.dedicated-thread-pool.thread-count = {settings.Walkers + settings.Copiers}
            akka.test.single-expect-default = 10s
            """).WithFallback(config);
    }

    protected TempDir Temp { get; } = new();

    protected BackupSettings Settings { get; }

    /// <summary>The source root being backed up.</summary>
    protected string Root => Temp["root"];

    protected string BackupFolder => Temp["backups/week10"];

    protected string PartialFolder => Temp["backups/.week10.partial"];

    protected string DataFolder => Temp["data"];

    protected RunOptions Options(SharePolicy share = SharePolicy.Owner, HashKind? hash = null, int levels = 2) =>
        new(Root, BackupFolder, new StoreLayout(DataFolder, levels, hash ?? HashKind.Sha1), share);

    protected string Source(string relative) => Path.Combine(Root, relative);

    /// <summary>The header of the previous manifests specs write.</summary>
    protected static readonly Dictionary<string, string> ManifestHeader = new()
    {
        ["hash"] = "sha1",
        ["levels"] = "2",
        ["share"] = "owner",
        ["root"] = "/src",
        ["snapshot"] = "/backups/week09",
        ["started"] = "2026-11-19T14:00:00Z",
    };

    /// <summary>Writes the journal of a previous run and sorts it into a published manifest, as the data-store does.</summary>
    protected string PreviousManifest(IEnumerable<ManifestEntry> entries, bool sorted = true)
    {
        var layout = Options().Store;
        Directory.CreateDirectory(layout.SnapshotsFolder);
        var path = layout.ManifestPath("week09");
        var journal = sorted ? path + ".partial" : path;
        using (var writer = new ManifestWriter(journal, ManifestHeader))
        {
            foreach (var e in entries)
                writer.Write(e);
            writer.Complete();
        }
        if (sorted)
        {
            ManifestSorter.Sort(journal, path);
            File.Delete(journal);
        }
        return path;
    }

    /// <summary>The manifest entry a previous run wrote for a source file as it is now.</summary>
    protected ManifestEntry Recorded(string relative, int suffix = 0) =>
        new(relative, Files.Lstat(Source(relative)), Sha1Hex(File.ReadAllBytes(Source(relative))), suffix, null);

    /// <summary>Writes a source file with the given owner, mode and mtime; returns what a walker would report.</summary>
    protected SourceEntry SourceFile(string relative, byte[] content, uint mode = 0x1A4, uint uid = 0, uint gid = 0, Timestamp? mtime = null)
    {
        var path = Source(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        SetOwnerModeTime(path, uid, gid, mode, mtime ?? new Timestamp(1_600_000_000, 123_456_789));
        return new SourceEntry(relative, Files.Lstat(path));
    }

    protected SourceEntry SourceFile(string relative, string content, uint mode = 0x1A4, uint uid = 0, uint gid = 0) =>
        SourceFile(relative, System.Text.Encoding.UTF8.GetBytes(content), mode, uid, gid);

    protected SourceEntry SourceDirectory(string relative, uint mode = 0x1ED, uint uid = 0, uint gid = 0, Timestamp? mtime = null)
    {
        var path = Source(relative);
        Directory.CreateDirectory(path);
        SetOwnerModeTime(path, uid, gid, mode, mtime ?? new Timestamp(1_500_000_000, 987_654_321));
        return new SourceEntry(relative, Files.Lstat(path));
    }

    protected static void SetOwnerModeTime(string path, uint uid, uint gid, uint mode, Timestamp mtime)
    {
        Assert.Equal(0, Syscall.chown(path, uid, gid));
        Assert.Equal(0, Syscall.chmod(path, (FilePermissions)mode));
        var times = new[] { new Timespec { tv_sec = mtime.Seconds, tv_nsec = mtime.Nanoseconds }, new Timespec { tv_sec = mtime.Seconds, tv_nsec = mtime.Nanoseconds } };
        Assert.Equal(0, Syscall.utimensat(Syscall.AT_FDCWD, path, times, AtFlags.AT_SYMLINK_NOFOLLOW));
    }

    protected static string Sha1Hex(byte[] bytes) => Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(bytes));

    protected static string Sha1Hex(string text) => Sha1Hex(System.Text.Encoding.UTF8.GetBytes(text));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
            Temp.Dispose();
    }
}
