using System.Text;

namespace ActorBackup.Core.Tests;

public sealed class ContentHashTests
{
    [Theory]
    [InlineData("sha1", "", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709")]
    [InlineData("sha1", "abc", "A9993E364706816ABA3E25717850C26C9CD0D89D")]
    [InlineData("sha1", "The quick brown fox jumps over the lazy dog", "2FD4E1C67A2D28FCED849EE1BB76E7391B93EB12")]
    [InlineData("sha256", "", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")]
    [InlineData("sha256", "abc", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")]
    [InlineData("blake3", "", "AF1349B9F5F9A1A6A0404DEA36DCC9499BCB25C9ADC112B7CC9A93CAE41F3262")]
    [InlineData("blake3", "abc", "6437B3AC38465133FFB63B75273A8DB548C558465D79DB03FD359C6CD5BD9D85")]
    public void Of_gives_the_known_upper_case_hex_digest(string kind, string text, string expected)
    {
        Assert.Equal(expected, ContentHash.Of(ContentHash.Parse(kind), Encoding.ASCII.GetBytes(text)));
    }

    [Fact]
    public void SHA1_of_a_million_a_matches_the_FIPS_vector()
    {
        var bytes = Enumerable.Repeat((byte)'a', 1_000_000).ToArray();

        Assert.Equal("34AA973CD4C4DAA4F61EEB2BDBAD27316534016F", ContentHash.Of(HashKind.Sha1, bytes));
    }

    public static TheoryData<string> EveryHash => [.. HashKind.All.Select(k => k.Name)];

    [Theory]
    [MemberData(nameof(EveryHash))]
    public void Hashing_in_chunks_gives_the_same_digest_as_at_once(string name)
    {
        var kind = ContentHash.Parse(name);
        var bytes = new byte[300_001];
        new Random(7).NextBytes(bytes);
        using var hash = kind.Create();
        for (var offset = 0; offset < bytes.Length; offset += 65_536)
            hash.AppendData(bytes.AsSpan(offset, Math.Min(65_536, bytes.Length - offset)));

        Assert.Equal(ContentHash.Of(kind, bytes), ContentHash.Finish(hash));
    }

    [Fact]
    public void BLAKE3_of_input_over_many_chunks_fed_unevenly_matches_the_package_at_once()
    {
        // 1 KiB chunks make BLAKE3 a tree: odd-sized appends cross chunk and block edges.
        var bytes = new byte[1_000_003];
        new Random(3).NextBytes(bytes);
        using var hash = ContentHash.Parse("blake3").Create();
        for (int offset = 0, step = 1; offset < bytes.Length; offset += step, step = step * 7 % 5_000 + 1)
            hash.AppendData(bytes.AsSpan(offset, Math.Min(step, bytes.Length - offset)));

        Assert.Equal(Convert.ToHexString(Blake3.Hasher.Hash(bytes).AsSpan()), ContentHash.Finish(hash));
    }

    [Theory]
    [MemberData(nameof(EveryHash))]
    public void A_hasher_starts_over_after_each_digest(string name)
    {
        using var hash = ContentHash.Parse(name).Create();
        hash.AppendData("first content"u8);
        ContentHash.Finish(hash);
        hash.AppendData("abc"u8);

        Assert.Equal(ContentHash.Of(ContentHash.Parse(name), "abc"u8), ContentHash.Finish(hash));
    }

    [Theory]
    [InlineData("sha1", "sha1")]
    [InlineData("SHA1", "sha1")]
    [InlineData("sha256", "sha256")]
    [InlineData("blake3", "blake3")]
    [InlineData("BLAKE3", "blake3")]
    public void Parse_accepts_the_names_of_the_table_in_any_case(string text, string expected)
    {
        Assert.Equal(expected, ContentHash.Parse(text).Name);
    }

    [Fact]
    public void Parse_refuses_an_unknown_hash_as_a_usage_error_naming_the_option_and_every_known_name()
    {
        var e = Assert.Throws<UserError>(() => ContentHash.Parse("md5"));

        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.Contains("--hash=md5", e.Message);
        Assert.All(HashKind.All, k => Assert.Contains("--hash=" + k.Name, e.Message));
    }

    [Fact]
    public void IsHash_accepts_only_upper_case_hex_of_the_right_length()
    {
        Assert.True(ContentHash.IsHash(HashKind.Sha1, "A9993E364706816ABA3E25717850C26C9CD0D89D"));
        Assert.False(ContentHash.IsHash(HashKind.Sha1, "a9993e364706816aba3e25717850c26c9cd0d89d"));
        Assert.False(ContentHash.IsHash(HashKind.Sha256, "A9993E364706816ABA3E25717850C26C9CD0D89D"));
        Assert.False(ContentHash.IsHash(HashKind.Sha1, "A9993E364706816ABA3E25717850C26C9CD0D8ZZ"));
    }
}
