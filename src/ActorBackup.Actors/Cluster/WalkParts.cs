using ActorBackup.Protocol;
using static ActorBackup.Protocol.WalkerProtocol;

namespace ActorBackup.Actors.Cluster;

/// <summary>
/// Cuts a directory's listing into parts that each stay far below the 128 KB remote frame
/// limit (a folder may hold 100,000 entries, each with its xattrs), and joins them again.
/// </summary>
public static class WalkParts
{
    /// <summary>Bytes of entries per part, by a generous estimate of their wire size.</summary>
    public const int MaxBytes = 48 * 1024;

    /// <summary>An entry bigger than this (xattrs of 64 KiB values) cannot be sent: the coordinator's node lists its folder.</summary>
    public const int MaxEntryBytes = 100_000;

    /// <summary>
    /// The listing in parts, in order; the problems ride with the last one. Empty when an entry
    /// is too big to send (<see cref="MaxEntryBytes"/>).
    /// </summary>
    public static List<DirectoryWalked> Split(DirectoryWalked listed)
    {
        var parts = new List<DirectoryWalked>();
        if (listed.Entries.Any(e => Size(e) > MaxEntryBytes))
            return parts;
        var chunk = new List<SourceEntry>();
        var bytes = 0;
        foreach (var entry in listed.Entries)
        {
            var size = Size(entry);
            if (chunk.Count > 0 && bytes + size > MaxBytes)
            {
                parts.Add(listed with { Entries = chunk, Problems = [] });
                chunk = [];
                bytes = 0;
            }
            chunk.Add(entry);
            bytes += size;
        }
        parts.Add(listed with { Entries = chunk });
        return parts;
    }

    /// <summary>The listing the parts were cut from (all of them, in order).</summary>
    public static DirectoryWalked Join(IReadOnlyList<DirectoryWalked> parts) =>
        parts.Count == 1
            ? parts[0]
            : parts[^1] with { Entries = parts.SelectMany(p => p.Entries).ToList(), Problems = parts.SelectMany(p => p.Problems).ToList() };

    /// <summary>Up to 3 bytes per char of path and target (UTF-8), the xattrs' names and values, and room for the metadata.</summary>
    private static int Size(SourceEntry e) =>
        128 + (e.Path.Length + (e.LinkTarget?.Length ?? 0)) * 3 + (e.Xattrs?.Sum(x => 16 + x.Name.Length * 3 + x.Value.Length) ?? 0);
}
