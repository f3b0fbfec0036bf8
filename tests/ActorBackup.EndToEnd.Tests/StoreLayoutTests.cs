using System.Text;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>The data folder: where entries go, their names, the recorded format, folder modes.</summary>
public sealed class StoreLayoutTests
{
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("layout test content\n");

    [Fact]
    public void Data_folder_and_every_level_folder_are_mode_0700()
    {
        using var s = new Scenario();
        s.Source.File("a", Content).File("b", "other").File("c", []);

        s.BackupSucceeds("s1");

        Expect.Mode(700, s.Data);
        var folders = PosixFs.Walk(s.Data)
            .Where(p => !p.StartsWith(".actorbackup", StringComparison.Ordinal))
            .Where(p => Files.Lstat(s.Data + "/" + p).Type == Core.EntryType.Directory)
            .ToList();
        Assert.Equal(3, folders.Count); // one level folder for each of three contents (distinct first hex pairs)
        foreach (var folder in folders)
            Expect.Mode(700, s.Data + "/" + folder);
    }

    [Fact]
    public void Missing_parents_of_the_data_folder_are_created_0755_so_snapshots_beside_it_stay_browsable()
    {
        using var s = new Scenario();
        s.Source.File("a", Content);
        var parent = s.Temp.Combine("backup");
        var data = parent + "/data";

        var result = PublishedCli.Run(
            [$"--rootfolder={s.SourceRoot}", $"--backupfolder={parent}/week1", $"--datafolder={data}", "--createdirs"],
            PublishedCli.DefaultTimeout);

        Expect.Success(result);
        Expect.Mode(755, parent);
        Expect.Mode(700, data);
    }

    [Fact]
    public void Default_layout_is_one_level_of_SHA1_hex_pairs_and_is_recorded_in_the_format_file()
    {
        using var s = new Scenario();
        s.Source.File("a", Content);

        s.BackupSucceeds("s1");

        var hash = Scenario.Sha1(Content);
        Assert.Equal([$"{hash[..2]}/{hash}"], s.StoreEntries().Select(e => e.RelativePath));
        Assert.Equal("actorbackup-store 1\nhash sha1\nlevels 1\n", Encoding.ASCII.GetString(PosixFs.ReadBytes(s.Data + "/.actorbackup/format")));
    }

    [Fact]
    public void Datalevels_3_puts_entries_three_hex_folders_deep_and_records_it()
    {
        using var s = new Scenario();
        s.Source.File("a", Content);

        s.BackupSucceeds("s1", "--datalevels=3");

        var hash = Scenario.Sha1(Content);
        Assert.Equal([$"{hash[..2]}/{hash[2..4]}/{hash[4..6]}/{hash}"], s.StoreEntries().Select(e => e.RelativePath));
        Expect.SameInode(s.EntryPath(hash, levels: 3), s.InSnapshot("s1", "a"));
        Expect.Mode(700, $"{s.Data}/{hash[..2]}/{hash[2..4]}/{hash[4..6]}");
        Assert.Equal("actorbackup-store 1\nhash sha1\nlevels 3\n", Encoding.ASCII.GetString(PosixFs.ReadBytes(s.Data + "/.actorbackup/format")));
        Assert.Equal("3", s.Manifest("s1").Header["levels"]);
    }

    [Fact]
    public void Sha256_names_entries_with_the_64_hex_digit_SHA256_of_their_bytes()
    {
        using var s = new Scenario();
        s.Source.File("a", Content).File("empty", []);

        s.BackupSucceeds("s1", "--hash=sha256");

        var hash = Scenario.Sha256(Content);
        Assert.Equal(64, hash.Length);
        Expect.SameInode(s.EntryPath(hash), s.InSnapshot("s1", "a"));
        Expect.SameInode(s.EntryPath("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"), s.InSnapshot("s1", "empty"));
        Assert.All(s.StoreEntries(), e => Assert.Matches("^[0-9A-F]{64}$", e.Name));
        Assert.Equal("actorbackup-store 1\nhash sha256\nlevels 1\n", Encoding.ASCII.GetString(PosixFs.ReadBytes(s.Data + "/.actorbackup/format")));
        Assert.Equal(hash, s.Manifest("s1").Entry("a").Hash);
    }

    [Fact]
    public void A_later_run_without_datalevels_or_hash_uses_what_the_data_folder_recorded()
    {
        using var s = new Scenario();
        s.Source.File("a", Content);
        s.BackupSucceeds("s1", "--datalevels=3", "--hash=sha256");

        s.BackupSucceeds("s2");

        Expect.SameInode(s.EntryPath(Scenario.Sha256(Content), levels: 3), s.InSnapshot("s2", "a"));
        Assert.Single(s.StoreEntries());
    }
}
