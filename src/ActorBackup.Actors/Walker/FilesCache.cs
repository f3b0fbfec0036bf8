using ActorBackup.Core;
using ActorBackup.Protocol;
using ActorBackup.Store.Manifest;

namespace ActorBackup.Actors.Walker;

/// <summary>
/// The rule that decides whether a regular file is read again. Like restic's and Borg's
/// files cache, it trusts the inode's metadata:
/// <list type="bullet">
/// <item>same path, type, size, mtime (ns), ctime (ns) and inode as in the previous
/// manifest: unchanged, its hash is taken from the manifest;</item>
/// <item>same size, mtime and inode, but owner, group or mode differ (and so does ctime,
/// which chown and chmod update): a metadata-only change, the hash is kept and the file is
/// linked to an entry of the new ownership;</item>
/// <item>anything else: read and hashed.</item>
/// </list>
/// Blind spot: content rewritten in place with the same size and with mtime and ctime
/// forged back (ctime needs the clock set back, i.e. root), or with mtime restored in the
/// same step as a chmod/chown. <c>--rehash</c> reads every file and reports such files.
/// </summary>
public static class FilesCache
{
    public static KnownContent? Unchanged(FileMeta now, PreviousFile before)
    {
        if (before.EntrySuffix < 0)
            return null;
        if (before.Size != now.Size || before.Mtime != now.Mtime || before.Inode != now.Inode)
            return null;
        var sameOwnership = before.Uid == now.Uid && before.Gid == now.Gid && before.Mode == now.Mode;
        if (before.Ctime != now.Ctime && sameOwnership)
            return null;
        return new KnownContent(before.Hash, before.EntrySuffix, sameOwnership);
    }
}
