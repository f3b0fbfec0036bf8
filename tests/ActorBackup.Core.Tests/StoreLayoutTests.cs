using ActorBackup.Store;

namespace ActorBackup.Core.Tests;

public sealed class StoreLayoutTests
{
    private const string Sha1 = "A9993E364706816ABA3E25717850C26C9CD0D89D";
    private const string Sha256 = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";

    [Theory]
    [InlineData(0, "/d/" + Sha1)]
    [InlineData(1, "/d/A9/" + Sha1)]
    [InlineData(2, "/d/A9/99/" + Sha1)]
    [InlineData(3, "/d/A9/99/3E/" + Sha1)]
    public void Entry_path_has_one_two_char_folder_per_level(int levels, string expected)
    {
        var layout = new StoreLayout("/d", levels, HashKind.Sha1);

        Assert.Equal(expected, layout.EntryPath(Sha1, 0));
        Assert.Equal(System.IO.Path.GetDirectoryName(expected), layout.EntryFolder(Sha1));
    }

    [Fact]
    public void Entry_folders_of_one_level_are_right_for_every_first_byte_and_asked_twice()
    {
        // One level keeps its 256 folder paths once made: each must still be its own.
        var layout = new StoreLayout("/d", 1, HashKind.Sha1);
        for (var round = 0; round < 2; round++)
        {
            for (var b = 0; b < 256; b++)
            {
                var hash = $"{b:X2}{Sha1[2..]}";
                Assert.Equal($"/d/{b:X2}", layout.EntryFolder(hash));
                Assert.Equal($"/d/{b:X2}/{hash}.2", layout.EntryPath(hash, 2));
            }
        }
    }

    [Fact]
    public void Level_folders_are_the_hash_taken_two_chars_at_a_time()
    {
        var layout = new StoreLayout("/d", 3, HashKind.Sha256);

        Assert.Equal(["BA", "78", "16"], layout.LevelFolders(Sha256));
    }

    [Fact]
    public void Suffix_zero_is_the_bare_hash_and_suffix_N_appends_dot_N()
    {
        var layout = new StoreLayout("/d", 2, HashKind.Sha1);

        Assert.Equal(Sha1, StoreLayout.EntryName(Sha1, 0));
        Assert.Equal(Sha1 + ".1", StoreLayout.EntryName(Sha1, 1));
        Assert.Equal(Sha1 + ".17", StoreLayout.EntryName(Sha1, 17));
        Assert.Equal("/d/A9/99/" + Sha1 + ".3", layout.EntryPath(Sha1, 3));
    }

    [Fact]
    public void Meta_files_live_under_the_dot_actorbackup_folder()
    {
        var layout = new StoreLayout("/srv/data/", 2, HashKind.Sha1);

        Assert.Equal("/srv/data", layout.DataFolder);
        Assert.Equal("/srv/data/.actorbackup", layout.MetaFolder);
        Assert.Equal("/srv/data/.actorbackup/format", layout.FormatFile);
        Assert.Equal("/srv/data/.actorbackup/lock", layout.LockFile);
        Assert.Equal("/srv/data/.actorbackup/tmp", layout.TempFolder);
        Assert.Equal("/srv/data/.actorbackup/snapshots", layout.SnapshotsFolder);
        Assert.Equal("/srv/data/.actorbackup/snapshots/week10.manifest", layout.ManifestPath("week10"));
    }

    [Fact]
    public void Temp_files_are_spread_over_sixteen_folders_of_the_temp_folder()
    {
        var layout = new StoreLayout("/srv/data", 1, HashKind.Sha1);

        Assert.Equal(Enumerable.Range(0, 16).Select(i => $"/srv/data/.actorbackup/tmp/{i:x2}"), layout.TempFolders);
        Assert.Equal("00/1-h0.tmp", StoreLayout.TempName(0, "1-h0.tmp"));
        Assert.Equal("0f/1-h15.tmp", StoreLayout.TempName(15, "1-h15.tmp"));
        Assert.Equal("01/1-h17.tmp", StoreLayout.TempName(17, "1-h17.tmp"));
        Assert.Equal(16, Enumerable.Range(1, 64).Select(i => StoreLayout.TempName(i, "x")[..2]).Distinct().Count());
    }

    [Fact]
    public void A_data_folder_at_the_file_system_root_stays_slash()
    {
        var layout = new StoreLayout("/", 1, HashKind.Sha1);

        Assert.Equal("/", layout.DataFolder);
        Assert.Equal("/A9/" + Sha1, layout.EntryPath(Sha1, 0));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(9)]
    public void Levels_out_of_range_are_refused_as_a_usage_error(int levels)
    {
        var e = Assert.Throws<UserError>(() => new StoreLayout("/d", levels, HashKind.Sha1));

        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.Contains($"--datalevels={levels}", e.Message);
    }

    [Theory]
    [InlineData(Sha1, 0)]
    [InlineData(Sha1 + ".1", 1)]
    [InlineData(Sha1 + ".42", 42)]
    public void ParseEntryName_accepts_a_hash_with_or_without_suffix(string name, int suffix)
    {
        var layout = new StoreLayout("/d", 2, HashKind.Sha1);

        Assert.Equal((Sha1, suffix), layout.ParseEntryName(name));
    }

    [Fact]
    public void ParseEntryName_accepts_sha256_names_in_a_sha256_store()
    {
        var layout = new StoreLayout("/d", 2, HashKind.Sha256);

        Assert.Equal((Sha256, 2), layout.ParseEntryName(Sha256 + ".2"));
    }

    [Theory]
    [InlineData("a9993e364706816aba3e25717850c26c9cd0d89d")] // lower case
    [InlineData("A9993E364706816ABA3E25717850C26C9CD0D89")] // 39 chars
    [InlineData("A9993E364706816ABA3E25717850C26C9CD0D89DD")] // 41 chars
    [InlineData("G9993E364706816ABA3E25717850C26C9CD0D89D")] // not hex
    [InlineData(Sha256)] // another hash kind
    [InlineData(Sha1 + ".0")]
    [InlineData(Sha1 + ".-1")]
    [InlineData(Sha1 + ".")]
    [InlineData(Sha1 + ".x")]
    [InlineData(Sha1 + ".1.tmp")]
    [InlineData("12345-7.tmp")]
    [InlineData(".actorbackup")]
    [InlineData("")]
    public void ParseEntryName_rejects_names_that_are_not_entries(string name)
    {
        var layout = new StoreLayout("/d", 2, HashKind.Sha1);

        Assert.Null(layout.ParseEntryName(name));
    }

    [Theory]
    [InlineData(Sha1 + ".01")]
    [InlineData(Sha1 + ".+1")]
    [InlineData(Sha1 + ". 1")]
    [InlineData(Sha1 + ".1 ")]
    public void ParseEntryName_accepts_only_names_that_EntryName_would_produce(string name)
    {
        var layout = new StoreLayout("/d", 2, HashKind.Sha1);

        // A name that parses must be the very file EntryPath(hash, suffix) points at,
        // otherwise a scan of the store would take a stray file for entry HASH.1.
        var parsed = layout.ParseEntryName(name);

        Assert.True(parsed is null || StoreLayout.EntryName(parsed.Value.Hash, parsed.Value.Suffix) == name,
            $"'{name}' parsed as {parsed}, but that entry is named '{(parsed is null ? "" : StoreLayout.EntryName(parsed.Value.Hash, parsed.Value.Suffix))}'");
    }
}
