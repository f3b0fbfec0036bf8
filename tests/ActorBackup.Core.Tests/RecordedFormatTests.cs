using ActorBackup.Store;
using ActorBackup.Testing;

namespace ActorBackup.Core.Tests;

/// <summary>How a data folder's format is found: its format file, or for the original tool's data folders, its entries.</summary>
public sealed class RecordedFormatTests : IDisposable
{
    private readonly TempDir _temp = new("actorbackup-format");

    public void Dispose() => _temp.Dispose();

    private StoreFormat? Recorded() => StoreSession.RecordedFormat(_temp.Path, StoreSession.DefaultLevels, HashKind.Sha1);

    [Theory]
    [InlineData("A9993E364706816ABA3E25717850C26C9CD0D89D", "sha1")]
    [InlineData("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", "sha256")]
    public void A_data_folder_of_the_original_tool_is_told_by_the_length_of_its_entry_names(string entry, string hash)
    {
        File.WriteAllText(Path.Combine(_temp.CreateFolder(entry[..2]), entry), "abc");

        Assert.Equal(new StoreFormat(1, HashKind.Find(hash)!), Recorded());
    }

    [Fact]
    public void Entry_names_of_a_length_no_hash_of_the_original_tool_had_tell_nothing()
    {
        File.WriteAllText(_temp.Combine(new string('A', 50)), "abc");

        Assert.Null(Recorded());
    }

    [Fact]
    public void A_format_file_naming_an_unknown_hash_stops_with_exit_code_5()
    {
        _temp.CreateFolder(".actorbackup");
        File.WriteAllText(_temp.Combine(".actorbackup", "format"), "actorbackup-store 1\nhash sha3\nlevels 1\n");

        var e = Assert.Throws<UserError>(Recorded);

        Assert.Equal(ExitCode.DataFolderMismatch, e.Code);
        Assert.Contains("records hash 'sha3'", e.Message);
    }
}
