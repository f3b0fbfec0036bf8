using ActorBackup.Store;
using ActorBackup.Testing;

namespace ActorBackup.Core.Tests;

/// <summary>The one opening of an existing data folder by restore, verify, prune, list and stats.</summary>
public sealed class DataFolderTests
{
    [Theory]
    [InlineData(DataFolderNeed.Catalog)]
    [InlineData(DataFolderNeed.StoreIfAny)]
    [InlineData(DataFolderNeed.Store)]
    public void A_missing_data_folder_is_exit_7_naming_the_folder_and_the_option(DataFolderNeed need)
    {
        using var dir = new TempDir();
        var data = dir["nowhere"];

        var e = Assert.Throws<UserError>(() => DataFolder.Open(data, need));

        Assert.Equal(ExitCode.FolderMissing, e.Code);
        Assert.Equal($"data folder {data} does not exist; check --datafolder", e.Message);
    }

    [Fact]
    public void A_file_given_as_data_folder_is_missing_too()
    {
        using var dir = new TempDir();
        var file = dir.Write("file", "x");

        Assert.Equal(ExitCode.FolderMissing, Assert.Throws<UserError>(() => DataFolder.Open(file, DataFolderNeed.Store)).Code);
    }

    [Fact]
    public void A_folder_without_format_file_or_entries_is_not_a_data_folder_for_a_command_that_reads_the_store()
    {
        using var dir = new TempDir();

        var e = Assert.Throws<UserError>(() => DataFolder.Open(dir.Path, DataFolderNeed.Store));

        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.Equal($"{dir.Path} is not an ActorBackup data folder (no .actorbackup/format, no store entries); check --datafolder", e.Message);
    }

    [Fact]
    public void A_folder_without_format_file_is_an_empty_store_of_the_default_format_for_list_and_prune()
    {
        using var dir = new TempDir();

        var catalog = DataFolder.Open(dir.Path, DataFolderNeed.Catalog);
        var prune = DataFolder.Open(dir.Path, DataFolderNeed.StoreIfAny);

        Assert.Equal((dir.Path, 1, HashKind.Sha1), (catalog.DataFolder, catalog.Levels, catalog.Hash));
        Assert.Equal((dir.Path, 1, HashKind.Sha1), (prune.DataFolder, prune.Levels, prune.Hash));
    }

    [Fact]
    public void A_folder_set_up_but_without_entries_yet_opens_with_the_default_format()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir[".actorbackup"]);

        var layout = DataFolder.Open(dir.Path, DataFolderNeed.Store);

        Assert.Equal((1, HashKind.Sha1), (layout.Levels, layout.Hash));
    }

    [Fact]
    public void An_unknown_format_version_is_exit_5_naming_the_format_file()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir[".actorbackup"]);
        var format = dir.Write(".actorbackup/format", "actorbackup-store 2\nhash sha1\nlevels 1\n");

        var e = Assert.Throws<UserError>(() => DataFolder.Open(dir.Path, DataFolderNeed.Store));

        Assert.Equal(ExitCode.DataFolderMismatch, e.Code);
        Assert.Equal($"{format} is not an ActorBackup format file; check --datafolder", e.Message);
    }

    [Fact]
    public void List_does_not_read_the_format_file()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir[".actorbackup"]);
        dir.Write(".actorbackup/format", "actorbackup-store 2\n");

        Assert.Equal(dir.Path, DataFolder.Open(dir.Path, DataFolderNeed.Catalog).DataFolder);
    }

    [Theory]
    [InlineData(DataFolderNeed.StoreIfAny)]
    [InlineData(DataFolderNeed.Store)]
    public void A_good_data_folder_opens_in_its_recorded_format(DataFolderNeed need)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir[".actorbackup"]);
        dir.Write(".actorbackup/format", new StoreFormat(3, HashKind.Sha256).Render());

        var layout = DataFolder.Open(dir.Path, need);

        Assert.Equal((dir.Path, 3, HashKind.Sha256), (layout.DataFolder, layout.Levels, layout.Hash));
        Assert.Equal(dir[".actorbackup/format"], layout.FormatFile);
    }

    [Fact]
    public void A_data_folder_of_the_original_tool_opens_in_the_format_its_entries_show()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["ab"]);
        dir.Write("ab/" + new string('a', 64), "x");

        var layout = DataFolder.Open(dir.Path, DataFolderNeed.Store);

        Assert.Equal((1, HashKind.Sha256), (layout.Levels, layout.Hash));
    }
}
