using ActorBackup.Core;
namespace ActorBackup.Store;

/// <summary>
/// Where things live in a data folder. Content entries sit where the original tool put
/// them, so its data folders stay usable:
/// <code>
///   D/AA/BB/AABBCC...            content entry: named by the hash of its bytes (upper-case hex)
///   D/AA/BB/AABBCC....1          same bytes, another owner/mode (--share=owner) or link limit reached
///   D/.actorbackup/format        levels and hash, recorded on first use
///   D/.actorbackup/lock          PID of the run that holds the data folder
///   D/.actorbackup/tmp/NN/       new content being written (same filesystem, renamed into place)
///   D/.actorbackup/snapshots/    one manifest per snapshot: NAME.manifest
/// </code>
/// </summary>
public sealed class StoreLayout
{
    public const string MetaFolderName = ".actorbackup";

    public StoreLayout(string dataFolder, int levels, HashKind hash)
    {
        if (levels is < 0 or > 8)
            throw new UserError(ExitCode.Usage, $"--datalevels={levels} is out of range; use 0 to 8");
        DataFolder = dataFolder.TrimEnd('/');
        if (DataFolder.Length == 0)
            DataFolder = "/";
        Levels = levels;
        Hash = hash;
    }

    private readonly string?[] _firstLevel = new string?[256];

    public string DataFolder { get; }
    public int Levels { get; }
    public HashKind Hash { get; }

    public string MetaFolder => Path.Combine(DataFolder, MetaFolderName);
    public string FormatFile => Path.Combine(MetaFolder, "format");
    public string LockFile => Path.Combine(MetaFolder, "lock");
    public string TempFolder => Path.Combine(MetaFolder, "tmp");
    public string SnapshotsFolder => Path.Combine(MetaFolder, "snapshots");

    /// <summary>
    /// Temp files are spread over this many folders of <see cref="TempFolder"/> (00 to 0f).
    /// Creating a file and renaming one out of a folder both hold that folder's lock, and
    /// on ext4 a create holds it while it searches for a free inode: with every hasher
    /// creating in one folder and the data-store renaming out of it, the waiters spun on the
    /// lock, a large share of a full run's CPU.
    /// </summary>
    public const int TempFolderCount = 16;

    /// <summary>The folders temp files are written in (<see cref="TempFolderCount"/> of them).</summary>
    public IEnumerable<string> TempFolders =>
        Enumerable.Range(0, TempFolderCount).Select(i => Path.Combine(TempFolder, i.ToString("x2")));

    /// <summary>A temp file's name relative to <see cref="TempFolder"/>: "NN/NAME", NN chosen by <paramref name="sequence"/>.</summary>
    public static string TempName(long sequence, string name) =>
        $"{sequence & (TempFolderCount - 1):x2}/{name}";

    public string ManifestPath(string snapshotName) => Path.Combine(SnapshotsFolder, snapshotName + ".manifest");

    /// <summary>Suffix 0 is the bare hash; suffix N is "HASH.N".</summary>
    public static string EntryName(string hash, int suffix) => suffix == 0 ? hash : $"{hash}.{suffix}";

    /// <summary>The level folders of a hash, from the data folder down: ["AA", "BB"] for two levels.</summary>
    public IEnumerable<string> LevelFolders(string hash)
    {
        for (var i = 0; i < Levels; i++)
            yield return hash.Substring(i * 2, 2);
    }

    public string EntryFolder(string hash)
    {
        if (Levels == 1 && hash.Length >= 2 && char.IsAsciiHexDigitUpper(hash[0]) && char.IsAsciiHexDigitUpper(hash[1]))
        {
            // The one level of the default layout: 256 folders, each path made once.
            var index = (HexValue(hash[0]) << 4) | HexValue(hash[1]);
            return _firstLevel[index] ??= Path.Combine(DataFolder, hash[..2]);
        }
        var folder = DataFolder;
        foreach (var level in LevelFolders(hash))
            folder = Path.Combine(folder, level);
        return folder;
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : c - 'A' + 10;

    public string EntryPath(string hash, int suffix) => Path.Combine(EntryFolder(hash), EntryName(hash, suffix));

    /// <summary>Splits "HASH" or "HASH.N" into its parts; null when the name is not an entry name.</summary>
    public (string Hash, int Suffix)? ParseEntryName(string name)
    {
        var dot = name.IndexOf('.');
        var hash = dot < 0 ? name : name[..dot];
        if (!ContentHash.IsHash(Hash, hash))
            return null;
        if (dot < 0)
            return (hash, 0);
        // Only the names EntryName writes: digits, no sign, no leading zero, no spaces.
        var digits = name[(dot + 1)..];
        if (digits.Length is 0 or > 9 || digits[0] == '0' || !digits.All(char.IsAsciiDigit))
            return null;
        return (hash, int.Parse(digits));
    }
}
