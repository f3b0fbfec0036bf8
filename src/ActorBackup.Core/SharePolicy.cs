namespace ActorBackup.Core;

/// <summary>
/// Which snapshot files may share one store inode. Owner, group and permission bits live
/// on the inode, so sharing across owners changes who owns or may read a snapshot file.
/// </summary>
public enum SharePolicy
{
    /// <summary>Share only between files with the same uid, gid and permission bits (the default).</summary>
    Owner,

    /// <summary>One inode per content, whoever owns the copies: the most saving, see README.</summary>
    Content,
}

public static class SharePolicies
{
    /// <summary>Bits never given to an entry shared by content: setuid, setgid and sticky.</summary>
    public const uint SpecialBits = 0xE00; // 07000

    public static SharePolicy Parse(string text) => text.ToLowerInvariant() switch
    {
        "owner" => SharePolicy.Owner,
        "content" => SharePolicy.Content,
        _ => throw new UserError(ExitCode.Usage, $"--share={text} is not known; use --share=owner (default) or --share=content"),
    };

    /// <summary>
    /// The owner, group, mode and xattrs a new store entry gets for a file with <paramref name="source"/>
    /// metadata and <paramref name="xattrs"/>. Without the right to chown (not root), entries
    /// belong to the running user. Where entries carry their files' xattrs
    /// (<paramref name="entriesCarryXattrs"/>: --share=owner on a data folder that keeps them),
    /// the xattrs are part of the key, so files with different ACLs never share an inode. Where
    /// they do not, the mode is narrowed by the file's access ACL: nobody the ACL kept out may
    /// read the snapshot's copy.
    /// </summary>
    public static Ownership EntryOwnership(this SharePolicy policy, FileMeta source, IReadOnlyList<Xattr>? xattrs, bool canChown, uint euid, uint egid, bool entriesCarryXattrs = false)
    {
        var uid = canChown ? source.Uid : euid;
        var gid = canChown ? source.Gid : egid;
        if (policy == SharePolicy.Owner && entriesCarryXattrs)
            return new Ownership(uid, gid, source.Mode, Xattrs.Key(xattrs));
        var mode = Xattrs.SnapshotMode(source.Mode, xattrs);
        return policy == SharePolicy.Owner
            ? new Ownership(uid, gid, mode)
            : new Ownership(uid, gid, mode & ~SpecialBits);
    }

    /// <summary>True when a file that would get <paramref name="wanted"/> may be linked to an existing entry with <paramref name="entry"/> metadata.</summary>
    public static bool MayShare(this SharePolicy policy, FileMeta entry, Ownership wanted) =>
        policy.MayShare(new Ownership(entry.Uid, entry.Gid, entry.Mode), wanted);

    /// <summary>The same rule for an entry whose owner, group and mode are known.</summary>
    public static bool MayShare(this SharePolicy policy, Ownership entry, Ownership wanted) =>
        policy == SharePolicy.Content || entry == wanted;
}

/// <summary>
/// --exact-mtime: whether two files of one content, owner and mode must also have one mtime
/// to share a store entry, so that every snapshot file shows its own mtime. Auto: where the
/// data folder's file system clones (an extra entry is then a clone, no data blocks of its own).
/// </summary>
public enum ExactMtime
{
    Auto,
    On,
    Off,
}

public static class ExactMtimes
{
    public static ExactMtime Parse(string text) => text.ToLowerInvariant() switch
    {
        "auto" => ExactMtime.Auto,
        "on" => ExactMtime.On,
        "off" => ExactMtime.Off,
        _ => throw new UserError(ExitCode.Usage, $"--exact-mtime={text} is not known; use auto (default: on where the data folder's file system can clone), on or off"),
    };

    /// <summary>Whether this run shares entries only between files of one mtime (never under --share=content: one inode per content).</summary>
    public static bool Resolve(this ExactMtime setting, SharePolicy share, bool canClone) =>
        share == SharePolicy.Owner && setting switch
        {
            ExactMtime.On => true,
            ExactMtime.Off => false,
            _ => canClone,
        };
}

/// <summary>
/// Owner, group and permission bits of an inode, and the <see cref="Xattrs.Key"/> of the
/// extended attributes it carries (0: none, or not part of the share key).
/// </summary>
public readonly record struct Ownership(uint Uid, uint Gid, uint Mode, ulong Xattrs = 0);
