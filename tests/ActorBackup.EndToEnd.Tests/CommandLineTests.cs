using System.Text;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>How the options may be written, and the options that change output or tuning.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public void Options_given_as_separate_words_and_folders_with_trailing_slashes_work_as_in_the_original_tool()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");

        var result = PublishedCli.Run("backup", "--rootfolder", s.SourceRoot + "/", "--backupfolder", s.Snapshot("s1") + "/", "--datafolder", s.Data + "/", "--createdirs");

        Expect.Success(result);
        Assert.Equal(["s1"], PosixFs.ListNames(s.Backups));
        Assert.True(PosixFs.Exists(s.ManifestPath("s1")));
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s1")));
    }

    [Fact]
    public void A_root_folder_given_as_a_symlink_is_followed_once_and_its_target_backed_up()
    {
        using var s = new Scenario();
        s.Source.File("a", "a").Symlink("inner-link", "a");
        var link = s.Temp.Combine("root-link");
        Assert.Equal(0, Mono.Unix.Native.Syscall.symlink(s.SourceRoot, link));

        Expect.Success(PublishedCli.Run($"--rootfolder={link}", $"--backupfolder={s.Snapshot("s1")}", $"--datafolder={s.Data}", "--createdirs"));

        Assert.Equal(Mono.Unix.Native.FilePermissions.S_IFDIR, PosixFs.TypeOf(PosixFs.Lstat(s.Snapshot("s1"))));
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s1")));
    }

    [Fact]
    public void Doprogress_prints_a_progress_line_on_stdout_every_N_files()
    {
        using var s = new Scenario();
        for (var i = 0; i < 6; i++)
            s.Source.File($"f{i}", $"file {i}");

        var result = s.BackupSucceeds("s1", "--doprogress=2");

        var progress = result.StdoutLines.Where(l => l.StartsWith("progress: ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(progress);
        Assert.All(progress, l => Assert.Matches(@"^progress: \d+ files, \d+ directories, .* read, 0 problems, [\d.]+ s$", l));
    }

    [Fact]
    public void Dostats_prints_the_summary_of_new_content_and_links()
    {
        using var s = new Scenario();
        s.Source.File("a", "same").File("b", "same").File("c", "other");

        var result = s.BackupSucceeds("s1", "--dostats");

        Assert.Contains("files:            3", result.StdoutLines);
        Assert.Contains("new content:      2 files, 9 B", result.StdoutLines);
        Assert.Contains("links made:       3", result.StdoutLines);
        Assert.Contains("problems:         0", result.StdoutLines);
    }

    [Fact]
    public void An_entry_at_the_configured_link_limit_is_continued_by_a_new_entry_of_the_same_content()
    {
        using var s = new Scenario();
        var same = Encoding.UTF8.GetBytes("popular content\n");
        for (var i = 0; i < 5; i++)
            s.Source.File($"copy{i}", same);
        var config = s.Temp.Combine("limit.conf");
        File.WriteAllText(config, "actorbackup.max-links-per-entry = 3\n");

        s.BackupSucceeds("s1", $"--config={config}");

        var hash = Scenario.Sha1(same);
        var entries = s.StoreEntries().OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        Assert.Equal([hash, hash + ".1", hash + ".2"], entries.Select(e => e.Name));
        Assert.Equal([3ul, 3ul, 2ul], entries.Select(e => Files.Lstat(s.Data + "/" + e.RelativePath).LinkCount));
        for (var i = 0; i < 5; i++)
            Assert.Equal(same, PosixFs.ReadBytes(s.InSnapshot("s1", $"copy{i}")));
    }

    [Fact]
    public void Data_and_backup_folders_inside_the_root_are_not_backed_up_into_themselves()
    {
        using var s = new Scenario();
        s.Source.File("a", "a").Dir("backups").Dir("store");
        var backup = s.Source.PathOf("backups/s1");
        var data = s.Source.PathOf("store/data");

        Expect.Success(PublishedCli.Run($"--rootfolder={s.SourceRoot}", $"--backupfolder={backup}", $"--datafolder={data}", "--createdirs"));

        Assert.Equal(["a", "backups", "store"], PosixFs.ListNames(backup));
        Assert.Empty(PosixFs.ListNames(backup + "/backups"));
        Assert.Empty(PosixFs.ListNames(backup + "/store"));
    }
}
