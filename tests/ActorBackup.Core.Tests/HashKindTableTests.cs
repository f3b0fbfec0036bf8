namespace ActorBackup.Core.Tests;

/// <summary>What every row of the hash table must keep to; a new row is checked by these without a test of its own.</summary>
public sealed class HashKindTableTests
{
    public static TheoryData<string> EveryHash => [.. HashKind.All.Select(k => k.Name)];

    [Theory]
    [MemberData(nameof(EveryHash))]
    public void Every_row_makes_digests_of_half_its_hex_length_in_bytes(string name)
    {
        var kind = HashKind.Find(name)!;
        using var hash = kind.Create();
        hash.AppendData("abc"u8);

        Assert.Equal(kind.HexLength / 2, hash.HashLength);
        Assert.Equal(kind.HexLength / 2, hash.GetHashAndReset().Length);
        Assert.Equal(kind.HexLength, ContentHash.Of(kind, "abc"u8).Length);
    }

    [Theory]
    [MemberData(nameof(EveryHash))]
    public void Every_row_is_found_by_its_name_which_is_lower_case(string name)
    {
        Assert.Same(HashKind.All.Single(k => k.Name == name), HashKind.Find(name));
        Assert.Equal(name.ToLowerInvariant(), name);
    }

    [Fact]
    public void Names_are_unique_and_at_most_64_hex_digits_long_as_entry_keys_hold_32_bytes()
    {
        Assert.Equal(HashKind.All.Count, HashKind.All.Select(k => k.Name).Distinct().Count());
        Assert.All(HashKind.All, k => Assert.InRange(k.HexLength, 2, 64));
        Assert.All(HashKind.All, k => Assert.Equal(0, k.HexLength % 2));
    }

    [Fact]
    public void The_original_tools_hashes_differ_in_length_so_its_data_folders_tell_which_one_they_use()
    {
        var lengths = HashKind.All.Where(k => k.InOriginalTool).Select(k => k.HexLength).ToList();

        Assert.Equal(lengths.Count, lengths.Distinct().Count());
        Assert.Equal(["sha1", "sha256"], HashKind.All.Where(k => k.InOriginalTool).Select(k => k.Name));
    }

    [Fact]
    public void Sha1_is_the_default_and_first()
    {
        Assert.Same(HashKind.Sha1, HashKind.All[0]);
        Assert.Equal("sha1", HashKind.Sha1.Name);
        Assert.Equal(40, HashKind.Sha1.HexLength);
        Assert.Equal("sha256", HashKind.Sha256.Name);
        Assert.Equal(64, HashKind.Sha256.HexLength);
    }

    [Fact]
    public void Find_gives_null_for_a_name_no_row_has()
    {
        Assert.Null(HashKind.Find("md5"));
        Assert.Null(HashKind.Find(""));
    }
}
