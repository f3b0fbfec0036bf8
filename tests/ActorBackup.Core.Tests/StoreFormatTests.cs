using ActorBackup.Store;

namespace ActorBackup.Core.Tests;

public sealed class StoreFormatTests
{
    [Fact]
    public void Render_writes_the_documented_three_lines()
    {
        Assert.Equal("actorbackup-store 1\nhash sha1\nlevels 2\n", new StoreFormat(2, HashKind.Sha1).Render());
        Assert.Equal("actorbackup-store 1\nhash sha256\nlevels 0\n", new StoreFormat(0, HashKind.Sha256).Render());
    }

    [Theory]
    [InlineData(0, "sha1")]
    [InlineData(2, "sha1")]
    [InlineData(3, "sha256")]
    public void Parse_reads_back_what_Render_wrote(int levels, string hash)
    {
        var format = new StoreFormat(levels, HashKind.Find(hash)!);

        Assert.Equal(format, StoreFormat.Parse(format.Render(), "/d/.actorbackup/format"));
    }

    [Fact]
    public void Parse_ignores_line_order_and_blank_lines()
    {
        Assert.Equal(new StoreFormat(3, HashKind.Sha256),
            StoreFormat.Parse("actorbackup-store 1\n\nlevels 3\nhash sha256\n", "f"));
    }

    [Fact]
    public void Parse_refuses_a_file_without_the_magic_line_naming_the_file()
    {
        var e = Assert.Throws<UserError>(() => StoreFormat.Parse("hash sha1\nlevels 2\n", "/d/.actorbackup/format"));

        Assert.Equal(ExitCode.DataFolderMismatch, e.Code);
        Assert.Contains("/d/.actorbackup/format", e.Message);
    }

    [Theory]
    [InlineData("actorbackup-store 1\nhash sha1\n")]
    [InlineData("actorbackup-store 1\nlevels 2\n")]
    [InlineData("actorbackup-store 1\nhash sha1\nlevels two\n")]
    public void Parse_refuses_a_file_lacking_levels_or_hash(string text)
    {
        var e = Assert.Throws<UserError>(() => StoreFormat.Parse(text, "/d/.actorbackup/format"));

        Assert.Equal(ExitCode.DataFolderMismatch, e.Code);
        Assert.Contains("'levels' or 'hash'", e.Message);
    }

    [Fact]
    public void Parse_refuses_a_hash_name_no_row_of_the_table_has_with_exit_code_5_naming_file_and_name()
    {
        var e = Assert.Throws<UserError>(() => StoreFormat.Parse("actorbackup-store 1\nhash md5\nlevels 1\n", "/d/.actorbackup/format"));

        Assert.Equal(ExitCode.DataFolderMismatch, e.Code);
        Assert.StartsWith("/d/.actorbackup/format records hash 'md5', which this version of actorbackup does not know", e.Message);
    }

    [Fact]
    public void Require_accepts_the_recorded_values()
    {
        new StoreFormat(2, HashKind.Sha1).Require(new StoreFormat(2, HashKind.Sha1), "/d");
    }

    [Theory]
    [InlineData(3, "sha1")]
    [InlineData(2, "sha256")]
    [InlineData(0, "sha256")]
    public void Require_refuses_other_values_with_exit_code_5_and_both_settings_named(int levels, string hash)
    {
        var recorded = new StoreFormat(2, HashKind.Sha1);

        var e = Assert.Throws<UserError>(() => recorded.Require(new StoreFormat(levels, HashKind.Find(hash)!), "/srv/data"));

        Assert.Equal(ExitCode.DataFolderMismatch, e.Code);
        Assert.Equal(5, (int)e.Code);
        Assert.Equal(
            "data folder /srv/data was set up with --datalevels=2 --hash=sha1, " +
            $"but this run asked for --datalevels={levels} --hash={hash}; " +
            "run with the recorded values, or use a new data folder",
            e.Message);
    }
}
