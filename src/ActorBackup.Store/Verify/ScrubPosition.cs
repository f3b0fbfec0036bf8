using System.Text;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;

namespace ActorBackup.Store.Verify;

/// <summary>
/// verify --read-data-subset=P%: each run checks the next P% of the store's entries in hash
/// order, starting after the last entry the previous run checked (kept in
/// D/.actorbackup/verify-position), and stops at the end of the order; the run after that
/// starts again from the first entry. So ceil(100/P) runs cover every entry once (entries
/// added meanwhile included, since the position is a name, not a count), then it wraps.
/// </summary>
public static class ScrubPosition
{
    public const string FileName = "verify-position";

    public static string PathIn(StoreLayout layout) => Path.Combine(layout.MetaFolder, FileName);

    /// <summary>The entries this run checks: a slice of <paramref name="sorted"/>; <paramref name="wrapped"/> when it starts over.</summary>
    public static (int Start, int Count) Select(IReadOnlyList<EntryKey> sorted, EntryKey? after, double percent, out bool wrapped) =>
        Select(sorted.Count, i => sorted[i], after, percent, out wrapped);

    /// <summary>The same over <paramref name="total"/> keys in hash order, <paramref name="keyAt"/> giving each.</summary>
    public static (int Start, int Count) Select(int total, Func<int, EntryKey> keyAt, EntryKey? after, double percent, out bool wrapped)
    {
        wrapped = false;
        if (total == 0)
            return (0, 0);
        var start = 0;
        if (after is { } last)
        {
            start = FirstAfter(total, keyAt, last);
            if (start >= total)
            {
                start = 0;
                wrapped = true;
            }
        }
        var count = (int)Math.Min(total, Math.Max(1, Math.Ceiling(total * percent / 100.0 - 1e-9)));
        return (start, Math.Min(count, total - start));
    }

    private static int FirstAfter(int total, Func<int, EntryKey> keyAt, EntryKey last)
    {
        int lo = 0, hi = total;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (keyAt(mid).CompareTo(last) <= 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    /// <summary>The last entry the previous subset run checked; null when there was none (or the file is unreadable).</summary>
    public static EntryKey? Read(StoreLayout layout)
    {
        var path = PathIn(layout);
        if (!File.Exists(path))
            return null;
        var name = File.ReadAllText(path).Split('\n')[0].Trim();
        return layout.ParseEntryName(name) is { } parsed ? EntryKey.From(parsed.Hash, parsed.Suffix) : null;
    }

    /// <summary>Records <paramref name="last"/> atomically: a temp file, fsynced, renamed over the old one.</summary>
    public static void Write(StoreLayout layout, EntryKey last)
    {
        var path = PathIn(layout);
        var temp = path + ".tmp";
        Files.Unlink(temp);
        using (var handle = Files.CreateExclusive(temp))
        {
            RandomAccess.Write(handle, Encoding.ASCII.GetBytes(last.Name(layout.Hash) + "\n"), 0);
            Files.Fsync(handle, temp);
        }
        Files.Rename(temp, path);
        Files.FsyncDirectory(layout.MetaFolder);
    }
}
