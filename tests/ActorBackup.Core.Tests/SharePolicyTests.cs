namespace ActorBackup.Core.Tests;

public sealed class SharePolicyTests
{
    private static FileMeta Meta(uint mode, uint uid = 1000, uint gid = 100) => new(
        EntryType.File, mode, uid, gid, Size: 5, new Timestamp(1_700_000_000, 1), new Timestamp(1_700_000_000, 2),
        Device: 1, Inode: 2, Rdev: 0, LinkCount: 1);

    [Theory]
    [InlineData("owner", SharePolicy.Owner)]
    [InlineData("Content", SharePolicy.Content)]
    public void Parse_accepts_owner_and_content(string text, SharePolicy expected)
    {
        Assert.Equal(expected, SharePolicies.Parse(text));
    }

    [Fact]
    public void Parse_refuses_an_unknown_policy_as_a_usage_error_naming_the_option()
    {
        var e = Assert.Throws<UserError>(() => SharePolicies.Parse("everyone"));

        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.Contains("--share=everyone", e.Message);
    }

    [Theory]
    [InlineData(0x1A4u)] // 0644
    [InlineData(0x9EDu)] // 04755 setuid
    [InlineData(0x5EDu)] // 02755 setgid
    [InlineData(0x3FFu)] // 01777 sticky
    public void Owner_policy_as_root_keeps_owner_group_and_every_mode_bit(uint mode)
    {
        var ownership = SharePolicy.Owner.EntryOwnership(Meta(mode, 1234, 5678), xattrs: null, canChown: true, euid: 0, egid: 0);

        Assert.Equal(new Ownership(1234, 5678, mode), ownership);
    }

    [Theory]
    [InlineData(0xFEDu, 0x1EDu)] // 07755 -> 0755
    [InlineData(0x9EDu, 0x1EDu)] // 04755 -> 0755
    [InlineData(0x5E8u, 0x1E8u)] // 02750 -> 0750
    [InlineData(0x3FFu, 0x1FFu)] // 01777 -> 0777
    [InlineData(0x180u, 0x180u)] // 0600 stays
    public void Content_policy_strips_setuid_setgid_and_sticky(uint mode, uint expected)
    {
        var ownership = SharePolicy.Content.EntryOwnership(Meta(mode, 1234, 5678), xattrs: null, canChown: true, euid: 0, egid: 0);

        Assert.Equal(new Ownership(1234, 5678, expected), ownership);
    }

    [Theory]
    [InlineData(SharePolicy.Owner)]
    [InlineData(SharePolicy.Content)]
    public void Without_the_right_to_chown_entries_belong_to_the_running_user(SharePolicy policy)
    {
        var ownership = policy.EntryOwnership(Meta(0x1A4, 1234, 5678), xattrs: null, canChown: false, euid: 1001, egid: 1002);

        Assert.Equal(1001u, ownership.Uid);
        Assert.Equal(1002u, ownership.Gid);
        Assert.Equal(0x1A4u, ownership.Mode);
    }

    [Fact]
    public void Owner_policy_shares_only_with_same_uid_gid_and_mode()
    {
        var entry = Meta(0x1A4, 1000, 100);

        Assert.True(SharePolicy.Owner.MayShare(entry, new Ownership(1000, 100, 0x1A4)));
        Assert.False(SharePolicy.Owner.MayShare(entry, new Ownership(1001, 100, 0x1A4)));
        Assert.False(SharePolicy.Owner.MayShare(entry, new Ownership(1000, 101, 0x1A4)));
        Assert.False(SharePolicy.Owner.MayShare(entry, new Ownership(1000, 100, 0x1B4)));
        Assert.False(SharePolicy.Owner.MayShare(entry, new Ownership(1000, 100, 0x9A4)));
    }

    [Fact]
    public void Content_policy_shares_whatever_the_owner_and_mode()
    {
        var entry = Meta(0x1A4, 1000, 100);

        Assert.True(SharePolicy.Content.MayShare(entry, new Ownership(1000, 100, 0x1A4)));
        Assert.True(SharePolicy.Content.MayShare(entry, new Ownership(2000, 200, 0x1C0)));
    }
}
