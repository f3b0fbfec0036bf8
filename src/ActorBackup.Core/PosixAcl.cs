using System.Buffers.Binary;

namespace ActorBackup.Core;

/// <summary>
/// POSIX access ACLs as Linux stores them in the <c>system.posix_acl_access</c> xattr, and
/// the mode a copy of the entry without its ACL may show so that nobody can do more with
/// the copy than the ACL let them do with the original.
///
/// A named-user entry (<c>user:bob:---</c>) can deny bob what the mode's "other" bits give
/// everyone else; a snapshot inode without the ACL would hand it back to him. The narrowed
/// mode keeps the owner's bits, and gives the group and others only what every user who
/// falls into that class in the snapshot was granted by the ACL. It may show less than the
/// original allowed (a user the ACL granted more loses it), never more.
/// </summary>
public static class PosixAcl
{
    /// <summary>The xattr that holds a file's or folder's access ACL.</summary>
    public const string AccessXattr = "system.posix_acl_access";

    /// <summary>The xattr that holds a folder's default ACL (what entries made in it inherit).</summary>
    public const string DefaultXattr = "system.posix_acl_default";

    /// <summary>Both ACL xattrs: an entry made in a folder with a default ACL inherits them.</summary>
    public static readonly string[] Xattrs = [AccessXattr, DefaultXattr];

    private const uint Version = 2;
    private const ushort UserObj = 0x01, User = 0x02, GroupObj = 0x04, Group = 0x08, Mask = 0x10, Other = 0x20;
    private const int HeaderBytes = 4, EntryBytes = 8;

    /// <summary>
    /// The permission bits (07777) a copy without the ACL may carry. The special bits and the
    /// owner's bits stay as in <paramref name="mode"/>. An ACL that does not parse takes the
    /// group's and others' bits away entirely: nobody but the owner is let in on a guess.
    /// </summary>
    public static uint Narrow(uint mode, ReadOnlySpan<byte> acl)
    {
        if (!TryParse(acl, out var parsed))
            return mode & ~0x3Fu;
        if (!parsed.Extended)
            return mode; // user::, group:: and other:: only: the mode says it all
        var mask = parsed.Mask;
        var namedUsers = parsed.NamedUsers & mask;
        var namedGroups = parsed.NamedGroups & mask;
        // The snapshot's group class: the owning group's members, any of whom may be a named
        // user the ACL held to less than the owning group's entry.
        var group = parsed.GroupObj & mask & namedUsers & (mode >> 3) & 7u;
        // Everyone else: any of them may be a named user, or a member of a named group only.
        var other = parsed.Other & namedUsers & namedGroups & mode & 7u;
        return (mode & ~0x3Fu) | (group << 3) | other;
    }

    /// <summary>
    /// Whether a named user or named group entry of <paramref name="acl"/> grants any of the
    /// <paramref name="permission"/> bits (1 x, 2 w, 4 r) through the mask: users the mode's
    /// bits do not show. An ACL that does not parse counts as granting.
    /// </summary>
    public static bool NamedEntriesGrant(ReadOnlySpan<byte> acl, uint permission)
    {
        if (!TryParse(acl, out var parsed))
            return true;
        return parsed.Extended && (parsed.AnyNamed & parsed.Mask & permission) != 0;
    }

    /// <summary>What an ACL gives each class; for the named entries, what the least-favoured one gets.</summary>
    private readonly record struct Parsed(uint GroupObj, uint Other, uint Mask, uint NamedUsers, uint NamedGroups, bool Extended, uint AnyNamed = 0);

    private static bool TryParse(ReadOnlySpan<byte> acl, out Parsed parsed)
    {
        parsed = default;
        if (acl.Length < HeaderBytes || (acl.Length - HeaderBytes) % EntryBytes != 0
            || BinaryPrimitives.ReadUInt32LittleEndian(acl) != Version)
            return false;
        uint groupObj = 0, other = 0, mask = 7, namedUsers = 7, namedGroups = 7, anyNamed = 0;
        bool seenUserObj = false, seenGroupObj = false, seenOther = false, seenMask = false, extended = false;
        for (var at = HeaderBytes; at < acl.Length; at += EntryBytes)
        {
            var tag = BinaryPrimitives.ReadUInt16LittleEndian(acl[at..]);
            var perm = BinaryPrimitives.ReadUInt16LittleEndian(acl[(at + 2)..]) & 7u;
            switch (tag)
            {
                case UserObj:
                    seenUserObj = true;
                    break;
                case User:
                    namedUsers &= perm;
                    anyNamed |= perm;
                    extended = true;
                    break;
                case GroupObj:
                    groupObj = perm;
                    seenGroupObj = true;
                    break;
                case Group:
                    namedGroups &= perm;
                    anyNamed |= perm;
                    extended = true;
                    break;
                case Mask:
                    mask = perm;
                    seenMask = true;
                    break;
                case Other:
                    other = perm;
                    seenOther = true;
                    break;
                default:
                    return false;
            }
        }
        if (!seenUserObj || !seenGroupObj || !seenOther || (extended && !seenMask))
            return false;
        parsed = new Parsed(groupObj, other, mask, namedUsers, namedGroups, extended || seenMask, anyNamed);
        return true;
    }
}
