using System.Buffers.Binary;

namespace ActorBackup.Core.Tests;

/// <summary>
/// The mode a snapshot inode shows for an entry with an access ACL: never more than the ACL
/// gave anyone. The ACLs are built in the kernel's xattr form, as getfacl would show them.
/// </summary>
public sealed class PosixAclTests
{
    private const ushort UserObj = 0x01, User = 0x02, GroupObj = 0x04, Group = 0x08, Mask = 0x10, Other = 0x20;

    private static byte[] Acl(params (ushort Tag, int Perm, uint Id)[] entries)
    {
        var bytes = new byte[4 + 8 * entries.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 2);
        for (var i = 0; i < entries.Length; i++)
        {
            var at = 4 + 8 * i;
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), entries[i].Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at + 2), (ushort)entries[i].Perm);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + 4), entries[i].Id);
        }
        return bytes;
    }

    private const uint None = uint.MaxValue;

    [Fact]
    public void A_named_user_denied_everything_takes_reading_away_from_group_and_others()
    {
        // user::rw- user:bob:--- group::r-- mask::r-- other::r-- ; ls shows 0644
        var acl = Acl((UserObj, 6, None), (User, 0, 1001), (GroupObj, 4, None), (Mask, 4, None), (Other, 4, None));

        Assert.Equal(Convert.ToUInt32("600", 8), PosixAcl.Narrow(Convert.ToUInt32("644", 8), acl));
    }

    [Fact]
    public void A_named_group_with_less_than_others_narrows_others_but_not_the_owning_group()
    {
        // user::rwx group::r-x group:students:--x mask::r-x other::r-x ; ls shows 0755
        var acl = Acl((UserObj, 7, None), (GroupObj, 5, None), (Group, 1, 100), (Mask, 5, None), (Other, 5, None));

        Assert.Equal(Convert.ToUInt32("751", 8), PosixAcl.Narrow(Convert.ToUInt32("755", 8), acl));
    }

    [Fact]
    public void The_mask_limits_what_the_owning_group_gets()
    {
        // user::rw- group::rw- user:ann:rw- mask::r-- other::--- ; ls shows 0640
        var acl = Acl((UserObj, 6, None), (User, 6, 1002), (GroupObj, 6, None), (Mask, 4, None), (Other, 0, None));

        Assert.Equal(Convert.ToUInt32("640", 8), PosixAcl.Narrow(Convert.ToUInt32("640", 8), acl));
    }

    [Fact]
    public void A_minimal_acl_changes_nothing_and_setuid_and_sticky_bits_are_kept()
    {
        var minimal = Acl((UserObj, 7, None), (GroupObj, 5, None), (Other, 5, None));
        var denying = Acl((UserObj, 7, None), (User, 0, 1001), (GroupObj, 5, None), (Mask, 5, None), (Other, 5, None));

        Assert.Equal(Convert.ToUInt32("4755", 8), PosixAcl.Narrow(Convert.ToUInt32("4755", 8), minimal));
        Assert.Equal(Convert.ToUInt32("1700", 8), PosixAcl.Narrow(Convert.ToUInt32("1755", 8), denying));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 0, 0, 0 })] // version 1
    [InlineData(new byte[] { 2, 0, 0, 0, 1, 0, 6, 0 })] // cut short
    [InlineData(new byte[] { 2, 0, 0, 0, 0x40, 0, 7, 0, 0, 0, 0, 0 })] // unknown tag
    public void An_acl_that_does_not_parse_leaves_only_the_owner_in(byte[] acl)
    {
        Assert.Equal(Convert.ToUInt32("4700", 8), PosixAcl.Narrow(Convert.ToUInt32("4755", 8), acl));
    }

    [Fact]
    public void Xattrs_round_trip_through_the_manifest_field_with_every_byte_escaped_that_could_split_it()
    {
        var xattrs = new List<Xattr>
        {
            new("system.posix_acl_access", Acl((UserObj, 6, None), (GroupObj, 4, None), (Other, 4, None))),
            new("user.odd name=%#", [0x00, 0x20, 0x3D, 0x25, 0x23, 0x09, 0x0A, 0xFF, (byte)'a']),
        };
        var sb = new System.Text.StringBuilder();

        Xattrs.Render(xattrs, sb);
        var field = sb.ToString();
        var back = Xattrs.Parse(field.AsSpan());

        Assert.DoesNotContain('\t', field);
        Assert.DoesNotContain('\n', field);
        Assert.Equal(2, field.Split(' ').Length);
        Assert.True(Xattrs.Same(xattrs, back), field);
        Assert.Null(Xattrs.Parse(ReadOnlySpan<char>.Empty));
        Assert.Throws<FormatException>(() => Xattrs.Parse("novalue".AsSpan()));
        Assert.Throws<FormatException>(() => Xattrs.Parse("a=%4".AsSpan()));
    }
}
