using System.Text;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// deploy/publish.sh, the install the README gives admins: each kind installs a program that
/// makes a correct snapshot, and installing one kind over the other leaves no file of the
/// first behind (a runtime left next to a shared-runtime program would be loaded by it).
/// </summary>
public sealed class DeployTests
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(12);

    [Fact]
    public void Both_kinds_install_over_each_other_and_the_installed_program_makes_a_correct_snapshot()
    {
        using var s = new Scenario();
        var opt = s.Temp.Combine("opt", "actorbackup");
        var text = Encoding.UTF8.GetBytes("installed by deploy/publish.sh\n");
        var big = Scenario.Bytes((1 << 20) + 5, seed: 7); // written around the page cache, see direct-writes
        s.Source.File("alice/notes.txt", text, mode: 640).File("alice/big.bin", big).Chown("alice/notes.txt", 1234, 1234);

        var composite = Publish(opt);
        Assert.Matches(@"installed .* \(self-contained, ReadyToRun composite, \d+ MB; bundles \.NET 10\.0\.\d+\)", composite.Stdout);
        Assert.True(File.Exists(Path.Combine(opt, "libcoreclr.so")), "the runtime is in the folder");
        Assert.Contains("\"System.Runtime.TieredCompilation\": false", File.ReadAllText(Path.Combine(opt, "actorbackup.runtimeconfig.json")));
        // The man page and completion come with the program (installed system-wide only into /opt as root).
        Assert.StartsWith(".TH ACTORBACKUP 1 ", File.ReadAllText(Path.Combine(opt, "man", "man1", "actorbackup.1")));
        Assert.Contains("complete -o default -F _actorbackup actorbackup", File.ReadAllText(Path.Combine(opt, "completion", "actorbackup.bash")));
        BacksUp(s, opt, "week1");

        var shared = Publish(opt, "--shared-runtime");
        Assert.Matches(@"installed .* \(shared runtime, ReadyToRun, \d+ MB; runs on the machine's \.NET 10\.0\.\d+", shared.Stdout);
        Assert.False(File.Exists(Path.Combine(opt, "libcoreclr.so")), "no runtime left from the self-contained install");
        Assert.False(Directory.Exists(opt + ".new"));
        Assert.False(Directory.Exists(opt + ".old"));
        BacksUp(s, opt, "week2");

        // week2 is an incremental of week1: the same inodes, one store entry per content.
        foreach (var (path, bytes) in new[] { ("alice/notes.txt", text), ("alice/big.bin", big) })
        {
            Expect.SameInode(s.InSnapshot("week1", path), s.InSnapshot("week2", path));
            Assert.Equal(3ul, Files.Lstat(s.EntryPath(Scenario.Sha1(bytes))).LinkCount);
        }
    }

    [Fact]
    public void A_bad_argument_is_one_usage_line_and_exit_code_2_and_installs_nothing()
    {
        using var temp = new TempDir("actorbackup-deploy");
        var opt = temp.Combine("opt");
        foreach (var args in new[] { new[] { "--sharedruntime", opt }, [opt, opt + "2"], ["--shared-runtime", opt, opt + "2"], ["--shared-runtime", "/"] })
        {
            var result = PublishedCli.RunProgram("bash", [Script, .. args], TimeSpan.FromSeconds(30));
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Equal(["usage: deploy/publish.sh [--shared-runtime] [OUT]"], result.StderrLines);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }

    private static string Script => Path.Combine(RepoPaths.Root, "deploy", "publish.sh");

    private static ProcessResult Publish(string opt, params string[] options)
    {
        var result = PublishedCli.RunProgram("bash", [Script, .. options, opt], PublishTimeout);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private static void BacksUp(Scenario s, string opt, string week)
    {
        var run = PublishedCli.RunProgram(Path.Combine(opt, "actorbackup"),
            [$"--rootfolder={s.SourceRoot}", $"--backupfolder={s.Snapshot(week)}", $"--datafolder={s.Data}", "--createdirs"],
            PublishedCli.DefaultTimeout);
        Expect.Success(run);
        foreach (var path in new[] { "alice/notes.txt", "alice/big.bin" })
        {
            var bytes = PosixFs.ReadBytes(s.Source.PathOf(path));
            Assert.Equal(bytes, PosixFs.ReadBytes(s.InSnapshot(week, path)));
            Expect.SameInode(s.EntryPath(Scenario.Sha1(bytes)), s.InSnapshot(week, path));
        }
        Expect.Owner(1234, 1234, s.InSnapshot(week, "alice/notes.txt"));
        Expect.Mode(640, s.InSnapshot(week, "alice/notes.txt"));
    }
}
