using ActorBackup.Core;
using ActorBackup.Core.Store;
using ActorBackup.Posix;
using Mono.Unix.Native;

namespace ActorBackup.Actors.DataStore;

/// <summary>
/// The hash-named entries of the data folder: finds the entry a file may link to under the
/// share policy, links, and commits new entries from temp files. Used only by the
/// data-store actor, so no two writers race on a name.
/// </summary>
internal sealed class ContentStore(StoreLayout layout, SharePolicy share, long maxLinks)
{
    private readonly HashSet<string> _levelFolders = new(StringComparer.Ordinal);

    public StoreLayout Layout { get; } = layout;

    /// <summary>The outcome of linking one file.</summary>
    public enum LinkOutcome
    {
        /// <summary>Linked to an existing entry.</summary>
        Linked,

        /// <summary>The snapshot path already was this entry (a resumed or filled-in snapshot).</summary>
        AlreadyLinked,

        /// <summary>No entry may take this file: the content must be stored.</summary>
        NeedsContent,
    }

    /// <summary>
    /// Links <paramref name="target"/> to the first entry of <paramref name="hash"/> that the
    /// share policy allows and that has room for another link. EMLINK moves on to the next entry.
    /// </summary>
    public LinkOutcome TryLinkExisting(string hash, Ownership wanted, string target, bool replaceExisting, out int suffix)
    {
        for (suffix = 0; ; suffix++)
        {
            var entry = Layout.EntryPath(hash, suffix);
            if (!Files.TryLstat(entry, out var meta, out var errno))
            {
                if (errno == Errno.ENOENT)
                    return LinkOutcome.NeedsContent;
                throw new PosixException(errno, "stat store entry", entry);
            }
            if (meta!.Type != EntryType.File || !share.MayShare(meta, wanted) || (long)meta.LinkCount >= maxLinks)
                continue;
            var outcome = Link(entry, meta, target, replaceExisting);
            if (outcome != null)
                return outcome.Value;
        }
    }

    /// <summary>
    /// Gives a finished temp file its final name: the first free entry name of its hash
    /// (its bytes were hashed as they were written, so the name is the hash of the bytes).
    /// </summary>
    public int Commit(string tempPath, string hash)
    {
        EnsureLevelFolders(hash);
        for (var suffix = 0; ; suffix++)
        {
            var entry = Layout.EntryPath(hash, suffix);
            if (Files.TryLstat(entry, out _, out var errno))
                continue;
            if (errno != Errno.ENOENT)
                throw new PosixException(errno, "stat store entry", entry);
            Files.Rename(tempPath, entry);
            return suffix;
        }
    }

    /// <summary>Links to a just-committed entry; false when the entry is full (EMLINK) and the file must look again.</summary>
    public bool TryLinkEntry(string hash, int suffix, string target, bool replaceExisting, out LinkOutcome outcome)
    {
        var entry = Layout.EntryPath(hash, suffix);
        var meta = Files.Lstat(entry);
        var result = Link(entry, meta, target, replaceExisting);
        outcome = result ?? LinkOutcome.NeedsContent;
        return result != null;
    }

    /// <summary>null when the entry is at its link limit.</summary>
    private static LinkOutcome? Link(string entry, FileMeta entryMeta, string target, bool replaceExisting)
    {
        var errno = Files.TryLink(entry, target);
        if (errno == 0)
            return LinkOutcome.Linked;
        if (errno == Errno.EMLINK)
            return null;
        if (errno != Errno.EEXIST)
            throw new PosixException(errno, $"link {entry} to", target);

        var existing = Files.Lstat(target);
        if (existing.SameInodeAs(entryMeta) || !replaceExisting)
            return LinkOutcome.AlreadyLinked;
        Files.Unlink(target);
        errno = Files.TryLink(entry, target);
        if (errno == Errno.EMLINK)
            return null;
        if (errno != 0)
            throw new PosixException(errno, $"link {entry} to", target);
        return LinkOutcome.Linked;
    }

    private void EnsureLevelFolders(string hash)
    {
        var folder = Layout.DataFolder;
        foreach (var level in Layout.LevelFolders(hash))
        {
            folder = folder + "/" + level;
            if (_levelFolders.Contains(folder))
                continue;
            var errno = Files.TryMkdir(folder, 0x1C0); // 0700: content is reached only through snapshot paths
            if (errno != 0 && errno != Errno.EEXIST)
                throw new PosixException(errno, "create store folder", folder);
            _levelFolders.Add(folder);
        }
    }
}
