using System.Diagnostics;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;

namespace ActorBackup.Store.Prune;

/// <summary>What a collection freed: store entries, their bytes, the level folders walked.</summary>
public sealed record StoreCollected(long Entries, long Bytes, long Folders, TimeSpan Elapsed);

/// <summary>
/// Removes the store entries no snapshot links any more. Every snapshot file is a hardlink
/// of its entry, so an entry whose link count is 1 (only its own name in the store) is used
/// by no snapshot, complete or partial, wherever it lies. The walk goes level folder by level
/// folder (two upper-case hex characters per level, as <see cref="StoreLayout"/> names
/// them) and streams each folder; only names that are entry names are looked at, so
/// .actorbackup and anything else a user put there stays. Run it under the data folder's
/// lock only: a backup links entries as it goes.
/// </summary>
public static class StoreCollector
{
    /// <param name="workers">Level folders swept at once (a sweep is one statx per entry: CPU and kernel work).</param>
    public static StoreCollected Collect(StoreLayout layout, int workers = 1)
    {
        var clock = Stopwatch.StartNew();
        long entries = 0, bytes = 0, folders = 0;
        var top = layout.Levels == 0 ? [layout.DataFolder] : LevelFolders(layout.DataFolder);
        try
        {
            Parallel.ForEach(top, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers) }, folder => Walk(folder, layout.Levels == 0 ? 0 : 1));
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x => x is IOException) is { } io)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(io);
        }
        return new StoreCollected(entries, bytes, folders, clock.Elapsed);

        void Walk(string folder, int depth)
        {
            if (depth == layout.Levels)
            {
                var removed = Removal.RemoveUnlinkedFiles(folder, name => layout.ParseEntryName(name) is not null);
                Interlocked.Add(ref entries, removed.Files);
                Interlocked.Add(ref bytes, removed.Bytes);
                Interlocked.Increment(ref folders);
                return;
            }
            foreach (var child in LevelFolders(folder))
                Walk(child, depth + 1);
        }
    }

    /// <summary>The level folders directly in <paramref name="folder"/>, sorted.</summary>
    private static List<string> LevelFolders(string folder)
    {
        using var dir = DirectoryHandle.Open(folder);
        var names = dir.ListNames().Where(IsLevelName).Where(n => dir.StatChild(n)?.Type == Core.EntryType.Directory).ToList();
        names.Sort(StringComparer.Ordinal);
        return names.Select(n => folder + "/" + n).ToList();
    }

    /// <summary>A level folder's name: two upper-case hex characters (at most 256 per level, so listing them is cheap).</summary>
    private static bool IsLevelName(string name) => name.Length == 2 && name.All(c => c is (>= '0' and <= '9') or (>= 'A' and <= 'F'));
}
