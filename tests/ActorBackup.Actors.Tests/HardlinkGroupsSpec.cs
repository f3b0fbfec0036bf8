using ActorBackup.Actors.Restore;
using ActorBackup.Core;
using ActorBackup.Store.Restore;
using static ActorBackup.Actors.Restore.RestoreProtocol;
using static ActorBackup.Store.Restore.HardlinkGroups;

namespace ActorBackup.Actors.Tests;

/// <summary>The table of hardlink groups a restore keeps: which file links to which, and that it stays bounded.</summary>
public sealed class HardlinkGroupsSpec
{
    private const string HashA = "A9993E364706816ABA3E25717850C26C9CD0D89D";
    private const string HashB = "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709";

    private static FileToRestore File(string path, ulong inode, ulong links, string hash = HashA) =>
        new(path, new FileMeta(EntryType.File, 0x1A4, 0, 0, 4, new Timestamp(1, 0), new Timestamp(1, 0), Device: 7, inode, 0, links), hash, 0);

    [Fact]
    public void A_file_of_one_link_opens_no_group()
    {
        var groups = new HardlinkGroups();

        Assert.Equal(Role.Alone, groups.Add(File("a", 10, 1), out var group));
        Assert.Null(group);
        Assert.Equal(0, groups.Count);
    }

    [Fact]
    public void Later_members_join_the_first_ones_group_and_the_group_leaves_once_all_links_were_met()
    {
        var groups = new HardlinkGroups();

        Assert.Equal(Role.First, groups.Add(File("c", 10, 3), out var first));
        Assert.Equal(FirstState.Pending, first!.State);
        Assert.Empty(groups.Resolve(first, restored: true, device: 1, inode: 99));
        Assert.Equal(Role.Member, groups.Add(File("d", 10, 3), out var second));
        Assert.Same(first, second);
        Assert.Equal("c", second!.FirstPath);
        Assert.Equal(1, groups.Count);
        Assert.Equal(Role.Member, groups.Add(File("e", 10, 3), out _));
        Assert.Equal(0, groups.Count);
    }

    [Fact]
    public void Members_met_while_the_first_is_pending_wait_and_come_back_when_it_is_resolved()
    {
        var groups = new HardlinkGroups();
        groups.Add(File("a", 10, 2), out var group);

        Assert.Equal(Role.Member, groups.Add(File("b", 10, 2), out var member));
        member!.Wait(File("b", 10, 2));
        Assert.Equal(1, groups.Count); // complete, but still waiting for its first

        var waiting = groups.Resolve(group!, restored: false);

        Assert.Equal("b", Assert.Single(waiting).Path);
        Assert.Equal(FirstState.Failed, group!.State);
        Assert.Equal(0, groups.Count);
    }

    [Fact]
    public void One_inode_with_two_hashes_is_two_groups_so_different_content_is_never_linked()
    {
        var groups = new HardlinkGroups();

        Assert.Equal(Role.First, groups.Add(File("a", 10, 2), out _));
        Assert.Equal(Role.First, groups.Add(File("b", 10, 2, HashB), out _));
        Assert.Equal(2, groups.Count);
    }

    [Fact]
    public void A_full_table_opens_no_further_group_but_still_takes_members_of_its_groups()
    {
        var groups = new HardlinkGroups(capacity: 2);
        groups.Add(File("a", 10, 2), out _);
        groups.Add(File("b", 11, 2), out _);

        Assert.Equal(Role.TableFull, groups.Add(File("c", 12, 2), out var none));
        Assert.Null(none);
        Assert.Equal(2, groups.Count);
        Assert.Equal(Role.Member, groups.Add(File("a2", 10, 2), out var member));
        Assert.Equal("a", member!.FirstPath);
    }

    [Fact]
    public void A_group_is_complete_only_at_the_highest_link_count_any_member_records()
    {
        var groups = new HardlinkGroups();
        groups.Add(File("a", 10, 2), out var group);
        groups.Resolve(group!, restored: true, device: 1, inode: 99);

        groups.Add(File("b", 10, 3), out _); // a link was made while the backup ran

        Assert.Equal(1, groups.Count);
        groups.Add(File("c", 10, 3), out _);
        Assert.Equal(0, groups.Count);
    }
}
