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

    [Theory]
    [InlineData("data/week1", "data", "lies inside the data folder")]
    [InlineData("link-to-data/week1", "data", "lies inside the data folder")] // through a symlink
    [InlineData("backups/week1", "backups/week1/data", "lies inside the backup folder")]
    [InlineData("same", "same", "are the same folder")]
    public void Snapshots_and_store_inside_each_other_are_refused_with_exit_2_and_nothing_is_created(string backup, string data, string expected)
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        s.Temp.CreateFolder("data");
        File.CreateSymbolicLink(s.Temp.Combine("link-to-data"), s.Temp.Combine("data"));
        var before = TreeState.Capture(s.Temp.Path);

        var result = PublishedCli.Run($"--rootfolder={s.SourceRoot}", $"--backupfolder={s.Temp.Combine(backup)}", $"--datafolder={s.Temp.Combine(data)}", "--createdirs");

        Expect.Refusal(result, 2, expected);
        Assert.Equal(before, TreeState.Capture(s.Temp.Path));
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
    [InlineData("--rootfoler=/x", "unknown option --rootfoler; did you mean --rootfolder?")]
    [InlineData("--dostat", "unknown option --dostat; did you mean --dostats?")]
    [InlineData("--datalevles=2", "unknown option --datalevles; did you mean --datalevels?")]
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

    [Theory]
    [InlineData("--help")]
    [InlineData("help")]
    public void Help_prints_the_usage_and_exits_0(params string[] args)
    {
        var result = PublishedCli.Run(args);

        Expect.Success(result);
        Assert.Contains("--rootfolder=DIR", result.Stdout);
        Assert.Contains("actorbackup restore --datafolder=DIR --snapshot=NAME --target=DIR", result.Stdout);
        Assert.Contains("exit codes:", result.Stdout);
    }

    [Fact]
    public void No_arguments_print_the_usage_on_standard_error_and_exit_2()
    {
        var result = PublishedCli.Run([]);

        Assert.True(result.ExitCode == 2 && result.Stdout.Length == 0, result.ToString());
        Assert.Contains("--rootfolder=DIR", result.Stderr);
        Assert.Equal("actorbackup: no command or option given", result.StderrLines[^1]);
    }

    [Fact]
    public void Version_names_the_commit_it_was_built_from()
    {
        var head = PublishedCli.RunProgram("git", ["-C", RepoPaths.Root, "rev-parse", "HEAD"], TimeSpan.FromSeconds(30));
        Assert.True(head.ExitCode == 0, head.ToString());

        var result = PublishedCli.Run("--version");

        Expect.Success(result);
        Assert.Matches(@"^actorbackup \d+\.\d+\.\d+ \(commit [0-9a-f]{12}\)$", result.StdoutLines.Single());
        Assert.Contains($"(commit {head.Stdout.Trim()[..12]})", result.Stdout);
    }
}
