using System.Diagnostics;
using ActorBackup.Core;
using ActorBackup.Hosting;

namespace ActorBackup.Actors.Tests;

/// <summary>
/// What a configuration file given on the command line may be: a small regular file of plain
/// HOCON. Everything else stops with a usage error naming the file (and the line, for syntax),
/// quickly, without quoting the file's text.
/// </summary>
public sealed class ConfigFileSpec
{
    private static UserError Refused(string text, out string file)
    {
        using var dir = new TempDir();
        file = dir.Write("site.conf", text);
        var path = file;
        return Refused(() => BackupSystem.LoadConfig(path));
    }

    private static UserError Refused(Action load)
    {
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<UserError>(load);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void A_FIFO_such_as_dev_stdin_from_a_pipe_is_refused_without_waiting_for_a_writer()
    {
        using var dir = new TempDir();
        var fifo = dir["pipe.conf"];
        Libc.Mkfifo(fifo);

        var e = Refused(() => BackupSystem.LoadConfig(fifo));

        Assert.Contains($"configuration file {fifo} is a FIFO", e.Message);
    }

    [Theory]
    [InlineData("/dev/zero", "is a device")]
    [InlineData("/tmp", "is a folder")]
    public void A_device_or_a_folder_is_refused_without_reading_it(string path, string what)
    {
        var e = Refused(() => BackupSystem.LoadConfig(path));

        Assert.Contains($"configuration file {path} {what}", e.Message);
    }

    [Fact]
    public void A_file_bigger_than_256_KiB_is_refused_before_it_is_parsed()
    {
        var e = Refused(new string('#', ConfigFile.MaxBytes + 1), out var file);

        Assert.Contains($"configuration file {file} is larger than 256 KiB", e.Message);
    }

    [Fact]
    public void A_file_of_256_KiB_of_comments_is_read()
    {
        using var dir = new TempDir();
        var file = dir.Write("site.conf", "actorbackup.walkers = 3\n" + new string('#', ConfigFile.MaxBytes - 24));

        Assert.Equal(3, BackupSettings.From(BackupSystem.LoadConfig(file)).Walkers);
    }

    [Fact]
    public void A_file_that_is_not_UTF_8_is_refused()
    {
        using var dir = new TempDir();
        var file = dir["latin1.conf"];
        File.WriteAllBytes(file, [.. "actorbackup.walkers = \""u8, 0xE9, (byte)'"']);

        var e = Refused(() => BackupSystem.LoadConfig(file));

        Assert.Contains("is not UTF-8 text", e.Message);
    }

    [Theory]
    [InlineData("include \"other.conf\"", 1)]
    [InlineData("include \"/etc/shadow\"", 1)]
    [InlineData("actorbackup.walkers = 3\ninclude file(\"other.conf\")", 2)]
    [InlineData("include required(file(\"/nonexistent/site.conf\"))", 1)]
    [InlineData("include required(\"other.conf\")", 1)]
    [InlineData("include url(\"http://example.invalid/a.conf\")", 1)]
    [InlineData("actorbackup {\n  include classpath(\"a.conf\")\n}", 2)]
    public void Every_form_of_include_is_refused_with_its_line(string text, int line)
    {
        var e = Refused(text, out var file);

        Assert.StartsWith($"configuration file {file}, line {line}: include is not supported", e.Message);
    }

    [Theory]
    [InlineData("actorbackup.walkers = \"3\nactorbackup.copiers = 2", 1, "not closed")]
    [InlineData("actorbackup {\n  walkers = 3\n", 1, "never closed")]
    [InlineData("a = [1,\n2", 1, "never closed")]
    [InlineData("a = [1 2}", 1, "expected , or ]")]
    [InlineData("actorbackup.walkers = 3\n}", 2, "closes nothing")]
    [InlineData("= 3", 1, "where a key should start")]
    [InlineData("actorbackup walkers 3", 1, "expected = or {")]
    [InlineData("actorbackup.walkers =\n", 1, "without a value")]
    [InlineData("actorbackup.walkers = \"\\q\"", 1, "unknown escape")]
    [InlineData("a = \"\"\"never closed", 1, "never closed")]
    [InlineData("a = [1,,2]", 1, "empty item")]
    [InlineData("a = x\u0000y", 1, "control character")]
    [InlineData("a = caf\u00e9", 1, "outside ASCII")]
    [InlineData("a += [1]", 1, "+= is not supported")]
    [InlineData("\n\na = ${?HOME}", 3, "optional substitutions")]
    [InlineData("a = ${\"b\"}", 1, "without quotes")]
    [InlineData("a = { b = 1 } c = 2", 1, "a value of its own")]
    [InlineData("a { b = 1 } c = 2", 1, "more text after a value")]
    public void Broken_syntax_is_refused_with_the_line_of_the_problem(string text, int line, string what)
    {
        var e = Refused(text, out var file);

        Assert.StartsWith($"configuration file {file}, line {line}: ", e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void A_password_hash_in_a_file_given_by_mistake_is_never_quoted()
    {
        var e = Refused("root:$6$SaltSalt$HashHashSecretSecret:19000:0:99999:7:::\n", out var file);

        Assert.StartsWith($"configuration file {file}, line 1: ", e.Message);
        Assert.DoesNotContain("Salt", e.Message);
        Assert.DoesNotContain("Secret", e.Message);
        Assert.DoesNotContain("19000", e.Message);
    }

    [Theory]
    [InlineData("[", "]", 100_000)]
    [InlineData("{b=", "}", 50_000)]
    [InlineData("{b=", "}", 40)]
    public void Deep_nesting_is_refused_before_the_parser_recurses_into_it(string open, string close, int depth)
    {
        var e = Refused($"a = {string.Concat(Enumerable.Repeat(open, depth))}1{string.Concat(Enumerable.Repeat(close, depth))}", out _);

        Assert.Contains("levels deep", e.Message);
    }

    [Fact]
    public void A_key_path_of_thousands_of_dots_is_refused()
    {
        var e = Refused(string.Join('.', Enumerable.Repeat("a", 50_000)) + " = 1", out _);

        Assert.Contains("more than 32 levels deep", e.Message);
    }

    [Theory]
    [InlineData("actorbackup.walkers = ${actorbackup.walkers}", 1)]
    [InlineData("a = ${a}", 1)]
    [InlineData("a = 1\na = ${a}", 2)]
    [InlineData("a = [${a}]", 1)]
    [InlineData("a { x = ${a} }", 1)]
    [InlineData("a = ${a.x}", 1)]
    public void A_substitution_that_names_its_own_key_is_refused_as_a_cycle(string text, int line)
    {
        var e = Refused(text, out var file);

        Assert.StartsWith($"configuration file {file}, line {line}: a substitution names the key it is in", e.Message);
    }

    [Theory]
    [InlineData("a = ${b}\nb = ${a}")]
    [InlineData("a = ${b}\nb = ${a}\nc = ${a.x}")]
    [InlineData("a = ${b}\nb { c = ${d} }\nd = 1")]
    public void A_substitution_naming_a_key_that_holds_another_is_refused(string text)
    {
        var e = Refused(text, out _);

        Assert.Contains("holds another substitution", e.Message);
    }

    [Fact]
    public void A_long_chain_of_substitutions_is_refused_before_Akka_resolves_it()
    {
        var chain = string.Join('\n', Enumerable.Range(0, 5_000).Select(i => $"k{i} = ${{k{i + 1}}}")) + "\nk5000 = 1";

        var e = Refused(chain, out _);

        Assert.Contains("more than 64 substitutions", e.Message);
    }

    [Fact]
    public void A_substitution_of_a_plain_value_works()
    {
        using var dir = new TempDir();
        var file = dir.Write("site.conf", "actorbackup {\n  copiers = 3\n  walkers = ${actorbackup.copiers}\n}\n");

        Assert.Equal(3, BackupSettings.From(BackupSystem.LoadConfig(file)).Walkers);
    }

    [Fact]
    public void A_substitution_of_a_key_the_file_does_not_set_is_refused_with_its_line()
    {
        var e = Refused("actorbackup.fsync = off\nactorbackup.walkers = ${actorbackup.copiers}", out var file);

        Assert.StartsWith($"configuration file {file}, line 2: a substitution names a key this file does not set", e.Message);
    }

    [Theory]
    [InlineData("actorbackup.walker = 3", "actorbackup.walker")]
    [InlineData("walkers = 3", "walkers")]
    [InlineData("actorbackup.dispatchers.hash.executor = thread-pool-executor", "actorbackup.dispatchers.hash.executor")]
    [InlineData("actorbackup.dispatchers.extra { type = PinnedDispatcher }", "actorbackup.dispatchers.extra")]
    public void A_key_the_reference_files_do_not_hold_is_refused_by_name(string text, string key)
    {
        var e = Refused(text, out var file);

        Assert.Equal($"configuration key {key} is not known: the keys are those of hocon/actorbackup.conf and hocon/cluster.conf (a typo?); fix it in configuration file {file}", e.Message);
    }

    [Theory]
    [InlineData("actorbackup = 5", "actorbackup")]
    [InlineData("akka = [1]", "akka")]
    [InlineData("actorbackup.dispatchers = on", "actorbackup.dispatchers")]
    public void A_value_where_the_reference_holds_a_section_is_refused(string text, string key)
    {
        var e = Refused(text, out _);

        Assert.StartsWith($"configuration key {key} must be an object", e.Message);
    }

    [Fact]
    public void Akka_keys_the_reference_does_not_hold_are_left_to_Akka()
    {
        using var dir = new TempDir();
        var file = dir.Write("site.conf", "akka.actor.default-dispatcher.throughput = 10\n");

        Assert.Equal(10, BackupSystem.LoadConfig(file).GetInt("akka.actor.default-dispatcher.throughput"));
    }

    [Theory]
    [InlineData("actorbackup.conf")]
    [InlineData("cluster.conf")]
    public void The_reference_files_pass_the_strict_syntax_check(string name)
    {
        HoconSyntax.Check(BackupSystem.ReadEmbedded(name), name);
    }

    [Theory]
    [InlineData("storage.hocon")]
    [InlineData("hasher.hocon")]
    [InlineData("coordinator.hocon")]
    public void The_shipped_role_files_load(string name)
    {
        var config = ClusterSystem.LoadConfig(Path.Combine(ActorBackup.Testing.RepoPaths.Root, "hocon", name));

        Assert.Equal("cluster", config.GetString("akka.actor.provider"));
        BackupSettings.From(config);
        Cluster.ClusterSettings.From(config);
    }
}
