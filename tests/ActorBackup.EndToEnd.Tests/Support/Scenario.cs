using System.Security.Cryptography;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests.Support;

/// <summary>
/// One test's world in its own temp folder: a source tree (src/), a folder for snapshots
/// (backups/) and a data folder (data/, created by the first run), and the published CLI
/// run over them.
/// </summary>
internal sealed class Scenario : IDisposable
{
    public Scenario()
    {
        Temp = new TempDir("actorbackup-e2e");
        Source = new TreeBuilder(Temp.Combine("src"));
        Backups = Temp.CreateFolder("backups");
        Data = Temp.Combine("data");
    }

    public TempDir Temp { get; }

    public TreeBuilder Source { get; }

    public string SourceRoot => Source.Root;

    public string Backups { get; }

    public string Data { get; }

    public string Snapshot(string name) => Backups + "/" + name;

    /// <summary>A path inside snapshot <paramref name="name"/> ("" is its root).</summary>
    public string InSnapshot(string name, string relative) => relative.Length == 0 ? Snapshot(name) : Snapshot(name) + "/" + relative;

    public string ManifestPath(string name) => $"{Data}/.actorbackup/snapshots/{name}.manifest";
    public string SummaryPath(string name) => $"{Data}/.actorbackup/snapshots/{name}.summary";

    /// <summary>Runs a backup of src/ into backups/<paramref name="name"/> with --createdirs and <paramref name="options"/>.</summary>
    public ProcessResult Backup(string name, params string[] options) =>
        PublishedCli.Run(
            [$"--rootfolder={SourceRoot}", $"--backupfolder={Snapshot(name)}", $"--datafolder={Data}", "--createdirs", .. options],
            PublishedCli.DefaultTimeout);

    /// <summary>A backup that must succeed: exit 0, nothing on standard error.</summary>
    public ProcessResult BackupSucceeds(string name, params string[] options)
    {
        var result = Backup(name, options);
        Expect.Success(result);
        return result;
    }

    /// <summary>Regular files of the data folder outside .actorbackup: the content entries.</summary>
    public List<StoreEntry> StoreEntries()
    {
        return PosixFs.Walk(Data)
            .Where(p => !p.StartsWith(".actorbackup", StringComparison.Ordinal))
            .Select(p => new StoreEntry(p, Files.Lstat(Data + "/" + p)))
            .Where(e => e.Meta.Type == EntryType.File)
            .ToList();
    }

    /// <summary>The store entry path for a hash and suffix with the default one level.</summary>
    public string EntryPath(string hash, int suffix = 0, int levels = 1)
    {
        var path = Data;
        for (var i = 0; i < levels; i++)
            path += "/" + hash.Substring(2 * i, 2);
        return path + "/" + (suffix == 0 ? hash : $"{hash}.{suffix}");
    }

    public ManifestFile Manifest(string name) => ManifestFile.Read(ManifestPath(name));

    public static string Sha1(byte[] bytes) => Convert.ToHexString(SHA1.HashData(bytes));

    public static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes));

    /// <summary>Deterministic bytes that no other call with another seed repeats.</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public void Dispose() => Temp.Dispose();
}

/// <summary>A content entry: its data-folder-relative path ("AA/BB/HASH.1") and lstat.</summary>
internal sealed record StoreEntry(string RelativePath, FileMeta Meta)
{
    public string Name => RelativePath[(RelativePath.LastIndexOf('/') + 1)..];
}
