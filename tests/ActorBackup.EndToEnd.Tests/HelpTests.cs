using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>What a new user meets first: each command's own help, refusals of options a command does not take, the man page, completion.</summary>
public sealed class HelpTests
{
    public static TheoryData<string, string[]> CommandsAndOptions() => new()
    {
        { "restore", ["--datafolder=DIR", "--snapshot=NAME", "--target=DIR", "--path=SUB", "--overwrite"] },
        { "verify", ["--datafolder=DIR", "--read-data", "--read-data-subset=P%", "--heal", "--json"] },
        { "prune", ["--backuproot=DIR", "--keep-last=N", "--keep-yearly=N", "--dry-run", "--json"] },
        { "list", ["--datafolder=DIR", "--json"] },
        { "stats", ["--datafolder=DIR", "--by=user", "--json"] },
        { "node", ["--config=FILE"] },
        { "status", ["--datafolder=DIR", "--max-age=AGE", "--json"] },
    };

    [Theory]
    [MemberData(nameof(CommandsAndOptions))]
    public void Each_command_has_help_of_its_own_listing_its_options_and_not_the_backups(string command, string[] options)
    {
        var viaHelp = PublishedCli.Run("help", command);
        var viaFlag = PublishedCli.Run(command, "--help");

        Expect.Success(viaHelp);
        Assert.Equal(viaHelp.Stdout, viaFlag.Stdout);
        Assert.StartsWith($"usage: actorbackup {command} ", viaHelp.Stdout);
        Assert.All(options, o => Assert.Contains($"  {o} ", viaHelp.Stdout));
        Assert.DoesNotContain("--backupfolder=DIR", viaHelp.Stdout); // the backup's options are not theirs
        Assert.Contains("exit codes:", viaHelp.Stdout);
    }

    [Theory]
    [InlineData(new[] { "restore", "--datafolder=/nonexistent", "--snapshot=s1", "--target=/tmp/x", "--createdirs" }, "restore takes no --createdirs (it is an option of backup); usage: actorbackup restore ")]
    [InlineData(new[] { "list", "--datafolder=/nonexistent", "--snapshot=s1" }, "list takes no --snapshot (it is an option of restore, verify); usage: actorbackup list ")]
    [InlineData(new[] { "--rootfolder=/x", "--backupfolder=/y", "--datafolder=/z", "--target=/t" }, "backup takes no --target (it is an option of restore)")]
    [InlineData(new[] { "stats", "--datafolder=/nonexistent", "--json", "--dry-run" }, "stats takes no --dry-run (it is an option of prune)")]
    public void An_option_of_another_command_is_refused_with_exit_2_and_the_commands_usage(string[] args, string expected)
    {
        var result = PublishedCli.Run(args);

        Expect.Refusal(result, 2, expected);
    }

    [Fact]
    public void Backup_help_and_the_man_page_list_every_hash_of_the_hash_table()
    {
        var names = string.Join('|', Core.HashKind.All.Select(k => k.Name));

        var help = PublishedCli.Run("help", "backup");
        var page = PublishedCli.Run("help", "--man");

        Assert.Equal("sha1|sha256|blake3", names);
        Assert.Contains($"  --hash={names} ", help.Stdout);
        Assert.Contains($"\\-\\-hash={names}\n", page.Stdout);
    }

    [Fact]
    public void Help_of_an_unknown_command_is_refused_with_exit_2()
    {
        var result = PublishedCli.Run("help", "bakup");

        Expect.Refusal(result, 2, "help takes one command name (backup, restore, verify, prune, list, stats, status, node, help)");
    }

    [Fact]
    public void The_man_page_formats_without_a_warning_and_lists_every_option_of_every_command()
    {
        var page = PublishedCli.Run("help", "--man");
        Expect.Success(page);
        Assert.StartsWith(".TH ACTORBACKUP 1 ", page.Stdout);
        foreach (var option in new[] { "rootfolder", "datalevels", "ignorefileexists", "target", "read\\-data\\-subset", "keep\\-monthly", "by=user" })
            Assert.Contains(option, page.Stdout);
        var file = Path.Combine(Path.GetTempPath(), $"actorbackup-{Environment.ProcessId}.1");
        File.WriteAllText(file, page.Stdout);
        try
        {
            if (!File.Exists("/usr/bin/groff"))
                return; // .ci/run installs groff; elsewhere the roff is checked by the lines above
            var lint = PublishedCli.RunProgram("/usr/bin/groff", ["-man", "-Tutf8", "-ww", "-z", file], TimeSpan.FromSeconds(30));
            Assert.True(lint.ExitCode == 0 && lint.Stderr.Length == 0, lint.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("actorbackup re", 1, "restore")]
    [InlineData("actorbackup restore --ta", 2, "--target=")]
    [InlineData("actorbackup prune --keep-m", 2, "--keep-monthly=")]
    [InlineData("actorbackup --rootf", 1, "--rootfolder=")]
    public void Bash_completion_offers_commands_and_each_commands_own_options(string line, int word, string expected)
    {
        var script = PublishedCli.Run("help", "--bash-completion");
        Expect.Success(script);
        var file = Path.Combine(Path.GetTempPath(), $"actorbackup-completion-{Environment.ProcessId}-{word}-{expected.GetHashCode():x}.bash");
        File.WriteAllText(file, script.Stdout);
        try
        {
            var words = string.Join(' ', line.Split(' ').Select(w => $"'{w}'"));
            var bash = PublishedCli.RunProgram("/bin/bash", ["-c", $"source '{file}'; COMP_WORDS=({words}); COMP_CWORD={word}; _actorbackup; printf '%s\\n' \"${{COMPREPLY[@]}}\""],
                TimeSpan.FromSeconds(30));

            Assert.True(bash.ExitCode == 0, bash.ToString());
            Assert.Equal([expected], bash.StdoutLines);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
