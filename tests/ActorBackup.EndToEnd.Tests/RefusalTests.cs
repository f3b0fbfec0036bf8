using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// Runs the tool must refuse before touching anything: each with its exit code, one line on
/// standard error, and the whole temp folder (source, backups, data) exactly as before.
/// </summary>
public sealed class RefusalTests
{
    [Fact]
    public void An_existing_backup_folder_is_refused_with_exit_4_and_no_data_folder_is_created()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        s.Temp.CreateFolder("backups/s1");
        var before = TreeState.Capture(s.Temp.Path);

        var result = s.Backup("s1");

        Expect.Refusal(result, 4, "already exists");
        Assert.Equal(before, TreeState.Capture(s.Temp.Path));
        Assert.False(PosixFs.Exists(s.Data));
    }

    [Fact]
    public void A_different_datalevels_on_an_existing_data_folder_is_refused_with_exit_5_and_the_data_folder_is_untouched()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        s.BackupSucceeds("s1");
        var before = TreeState.Capture(s.Temp.Path);

        var result = s.Backup("s2", "--datalevels=3");

        Expect.Refusal(result, 5, "--datalevels=1");
        Assert.Equal(before, TreeState.Capture(s.Temp.Path));
    }

    [Fact]
    public void A_different_hash_on_an_existing_data_folder_is_refused_with_exit_5_and_the_data_folder_is_untouched()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        s.BackupSucceeds("s1");
        var before = TreeState.Capture(s.Temp.Path);

        var result = s.Backup("s2", "--hash=sha256");

        Expect.Refusal(result, 5, "--hash=sha1");
        Assert.Equal(before, TreeState.Capture(s.Temp.Path));
    }

    [Fact]
    public void A_data_folder_on_another_file_system_is_refused_with_exit_6_and_nothing_is_created()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        using var tmpfs = new TmpfsMount(s.Temp.Combine("other-fs"));
        var data = tmpfs.Path + "/data";
        var before = TreeState.Capture(s.Temp.Path);

        var result = PublishedCli.Run($"--rootfolder={s.SourceRoot}", $"--backupfolder={s.Snapshot("s1")}", $"--datafolder={data}", "--createdirs");

        Expect.Refusal(result, 6, "different filesystems");
        Assert.Equal(before, TreeState.Capture(s.Temp.Path));
    }

    [Fact]
    public void A_missing_data_folder_without_createdirs_and_without_a_terminal_is_refused_with_exit_7()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        var before = TreeState.Capture(s.Temp.Path);

        var result = PublishedCli.Run($"--rootfolder={s.SourceRoot}", $"--backupfolder={s.Snapshot("s1")}", $"--datafolder={s.Data}");

        Expect.Refusal(result, 7, "--createdirs");
        Assert.Equal(before, TreeState.Capture(s.Temp.Path));
    }

    [Fact]
    public void A_missing_backup_parent_folder_without_createdirs_is_refused_with_exit_7()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        s.BackupSucceeds("s1");
        var before = TreeState.Capture(s.Temp.Path);

        var result = PublishedCli.Run($"--rootfolder={s.SourceRoot}", $"--backupfolder={s.Temp.Combine("nowhere", "s2")}", $"--datafolder={s.Data}");

        Expect.Refusal(result, 7, "--createdirs");
        Assert.Equal(before, TreeState.Capture(s.Temp.Path));
    }

    [Fact]
    public void A_missing_root_folder_is_refused_with_exit_7()
    {
        using var s = new Scenario();
        var before = TreeState.Capture(s.Temp.Path);

        var result = PublishedCli.Run($"--rootfolder={s.Temp.Combine("no-such-root")}", $"--backupfolder={s.Snapshot("s1")}", $"--datafolder={s.Data}", "--createdirs");

        Expect.Refusal(result, 7, "does not exist");
        Assert.Equal(before, TreeState.Capture(s.Temp.Path));
    }

    [Theory]
    [InlineData("--frobnicate", "unknown option --frobnicate")]
    [InlineData("--share=everyone", "--share=everyone")]
    [InlineData("--hash=md5", "--hash=md5")]
    [InlineData("--datalevels=9", "--datalevels=9")]
    [InlineData("--datalevels=two", "--datalevels=two")]
    [InlineData("--createdirs=yes", "--createdirs takes no value")]
    [InlineData("stray-argument", "unexpected argument")]
    public void A_bad_option_is_refused_with_exit_2_and_nothing_is_created(string option, string message)
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        var before = TreeState.Capture(s.Temp.Path);

        var result = PublishedCli.Run($"--rootfolder={s.SourceRoot}", $"--backupfolder={s.Snapshot("s1")}", $"--datafolder={s.Data}", "--createdirs", option);

        Expect.Refusal(result, 2, message);
        Assert.Equal(before, TreeState.Capture(s.Temp.Path));
    }

    [Fact]
    public void Help_prints_the_usage_and_exits_0()
    {
        var result = PublishedCli.Run("--help");

        Expect.Success(result);
        Assert.Contains("--rootfolder=DIR", result.Stdout);
        Assert.Contains("exit codes:", result.Stdout);
    }
}
