using System.Text;
using ActorBackup.Core;
using ActorBackup.Store.Manifest;

namespace ActorBackup.Core.Tests;

public sealed class PathBytesTests
{
    public static TheoryData<int> EveryByte()
    {
        var data = new TheoryData<int>();
        for (var b = 1; b <= 255; b++)
            data.Add(b);
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryByte))]
    public void Every_byte_survives_escape_and_unescape(int value)
    {
        var b = (byte)value;
        byte[] bytes = [(byte)'a', b, (byte)'z'];
        var name = PathBytes.FromBytes(bytes);

        var escaped = PathBytes.Escape(name);

        Assert.DoesNotContain(escaped, c => c <= ' ' || c >= '\x7F' || c == '#');
        Assert.Equal(bytes, PathBytes.ToBytes(PathBytes.Unescape(escaped)));
        Assert.Equal(bytes, PathBytes.UnescapeBytes(PathBytes.Escape(bytes)));
        var mustEscape = b <= 0x20 || b >= 0x7F || b == '%' || b == '#';
        Assert.Equal(mustEscape ? $"a%{b:X2}z" : $"a{(char)b}z", escaped);
    }

    [Fact]
    public void A_name_made_of_every_byte_survives_escape_and_unescape()
    {
        var bytes = Enumerable.Range(1, 255).Select(b => (byte)b).ToArray();

        var back = PathBytes.ToBytes(PathBytes.Unescape(PathBytes.Escape(PathBytes.FromBytes(bytes))));

        Assert.Equal(bytes, back);
    }

    [Fact]
    public void A_name_that_is_not_UTF8_keeps_its_exact_bytes()
    {
        byte[] bytes = [(byte)'f', 0xFF, 0xFE, (byte)'o', 0xC3, (byte)'(', 0x80];
        var name = PathBytes.FromBytes(bytes);

        Assert.Equal(bytes, PathBytes.ToBytes(name));
        Assert.Equal("f%FF%FEo%C3(%80", PathBytes.Escape(name));
        Assert.Equal(bytes, PathBytes.ToBytes(PathBytes.Unescape("f%FF%FEo%C3(%80")));
    }

    [Fact]
    public void UTF8_names_are_escaped_by_their_bytes()
    {
        Assert.Equal("caf%C3%A9%20menu", PathBytes.Escape("café menu"));
        Assert.Equal("café menu", PathBytes.Unescape("caf%C3%A9%20menu"));
        Assert.Equal(Encoding.UTF8.GetBytes("café"), PathBytes.ToBytes("café"));
    }

    [Fact]
    public void An_escaped_path_never_starts_a_manifest_comment_or_splits_a_field()
    {
        var escaped = PathBytes.Escape("#not a comment\tnor\na field%");

        Assert.Equal("%23not%20a%20comment%09nor%0Aa%20field%25", escaped);
    }

    [Fact]
    public void The_empty_root_path_is_no_bytes_and_back()
    {
        // "" is the snapshot root in every message and manifest entry.
        Assert.Empty(PathBytes.ToBytes(""));
        Assert.Equal("", PathBytes.FromBytes([]));
        Assert.Equal("", PathBytes.Escape(""));
    }

    [Theory]
    [InlineData("a%4")]
    [InlineData("%")]
    [InlineData("abc%F")]
    public void A_truncated_escape_is_a_format_error(string text)
    {
        Assert.Throws<FormatException>(() => PathBytes.UnescapeBytes(text));
    }

    [Fact]
    public void Child_and_Parent_treat_the_empty_path_as_the_root()
    {
        Assert.Equal("a", PathBytes.Child("", "a"));
        Assert.Equal("a/b", PathBytes.Child("a", "b"));
        Assert.Equal("a", PathBytes.Parent("a/b"));
        Assert.Equal("a/b", PathBytes.Parent("a/b/c"));
        Assert.Equal("", PathBytes.Parent("a"));
    }
}
