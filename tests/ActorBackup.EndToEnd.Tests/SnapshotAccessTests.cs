using System.Text;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// What real unprivileged users can do to their snapshots, as root backs up their homes:
/// in the README's layout they read them through a read-only bind mount and cannot change
/// a byte or a mode; a layout they can reach is refused; what they plant is never followed
/// by restore; an ACL that kept one of them out keeps them out of the snapshot too.
/// </summary>
public sealed class SnapshotAccessTests : IDisposable
{
    private readonly TempDir _temp = new("actorbackup-access");
    private readonly TestUser _alice = new("alice");
    private readonly TestUser _bob = new("bob");

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
        _temp.Dispose();
    }

    /// <summary>alice's home: a file she shares, a private one, a folder. Owned by her.</summary>
    private TreeBuilder Homes()
    {
        var source = new TreeBuilder(_temp.Combine("home"))
            .File("alice/notes.txt", "alice's notes\n")
            .File("alice/private.txt", "alice's secret\n", mode: 600)
            .Dir("alice/docs");
        foreach (var path in new[] { "alice", "alice/notes.txt", "alice/private.txt", "alice/docs" })
            source.Chown(path, _alice.Uid, _alice.Gid);
        return source;
    }

    private static ProcessResult Backup(string root, string backup, string data, params string[] options) =>
        PublishedCli.Run([$"--rootfolder={root}", $"--backupfolder={backup}", $"--datafolder={data}", "--createdirs", .. options], PublishedCli.DefaultTimeout);

    [Fact]
    public void In_the_safe_layout_a_user_reads_her_snapshot_but_cannot_change_remove_or_plant_anything()
    {
        var source = Homes().File("tools/id", File.ReadAllBytes("/usr/bin/id"), mode: 4755);
        using var layout = new SafeLayout(_temp);
        Expect.Success(Backup(source.Root, layout.Snapshots + "/week1", layout.Data));
        var inView = layout.View + "/week1/alice";
        var setuidRoot = _alice.Shell($"'{layout.View}/week1/tools/id' -u");
        var behind = layout.Snapshots + "/week1/alice";
        var before = Files.Lstat(behind + "/notes.txt");

        var read = _alice.Shell($"cat '{inView}/notes.txt'");
        var bobReads = _bob.Shell($"cat '{inView}/private.txt'");
        var attempts = new[]
        {
            $"echo more >> '{inView}/notes.txt'",
            $"chmod 666 '{inView}/notes.txt'",
            $"rm -f '{inView}/notes.txt'",
            $"touch '{inView}/planted'",
            $"ln -s /etc/shadow '{inView}/docs/planted'",
            $"mv '{inView}/notes.txt' '{inView}/docs/'",
            $"echo more >> '{behind}/notes.txt'",
            $"ls '{behind}'",
        }.Select(command => (command, result: _alice.Shell(command))).ToList();

        Expect.Mode(4755, layout.Snapshots + "/week1/tools/id");
        Assert.True(setuidRoot.ExitCode != 0 && setuidRoot.Stdout.Trim() != "0", $"a setuid-root program in the view must not run as root\n{setuidRoot}");
        Assert.Equal(0, read.ExitCode);
        Assert.Equal("alice's notes\n", read.Stdout);
        Assert.NotEqual(0, bobReads.ExitCode);
        Assert.All(attempts, a => Assert.True(a.result.ExitCode != 0, $"{a.command} should fail as {_alice.Name}\n{a.result}"));
        Assert.All(attempts.Take(6), a => Assert.Contains("Read-only file system", a.result.Stderr));
        Assert.Contains("Permission denied", attempts[^1].result.Stderr);
        var after = Files.Lstat(behind + "/notes.txt");
        Assert.Equal((before.Inode, before.Size, before.Mode, before.Ctime), (after.Inode, after.Size, after.Mode, after.Ctime));
        Assert.Equal(["docs", "notes.txt", "private.txt"], PosixFs.ListNames(behind).Order(StringComparer.Ordinal));
        Assert.Empty(PosixFs.ListNames(behind + "/docs"));
        Expect.Success(PublishedCli.Run("verify", $"--datafolder={layout.Data}", "--read-data"));
    }

    [Fact]
    public void Snapshots_users_could_reach_are_refused_with_exit_14_before_anything_is_written_or_warned_about_when_asked()
    {
        var source = Homes();
        var open = _temp.Combine("open");
        Directory.CreateDirectory(open + "/backups");
        foreach (var folder in new[] { _temp.Path, open, open + "/backups" })
            Files.Chmod(folder, Octal.Mode(755));
        var config = _temp.Combine("warn.conf");
        File.WriteAllText(config, "actorbackup.reachable-snapshots = warn\n");

        var refused = Backup(source.Root, open + "/backups/week1", open + "/data");
        var warned = Backup(source.Root, open + "/backups/week1", open + "/data", $"--config={config}");

        Expect.Refusal(refused, 14, $"snapshots in {open}/backups can be reached by users other than root");
        Assert.Contains($"chmod 700 {open}", refused.Stderr);
        Assert.Equal(0, warned.ExitCode);
        Assert.StartsWith("actorbackup: warning: snapshots in", Assert.Single(warned.StderrLines));
        Assert.Equal("alice's notes\n", _alice.Shell($"cat '{open}/backups/week1/alice/notes.txt'").Stdout);
    }

    [Fact]
    public void Createdirs_makes_the_topmost_new_folder_root_only_so_a_fresh_backup_starts_out_safe()
    {
        var source = Homes();
        Files.Chmod(_temp.Path, Octal.Mode(755));
        var backupRoot = _temp.Combine("backup");

        var result = Backup(source.Root, backupRoot + "/snapshots/week1", backupRoot + "/data");

        Expect.Success(result);
        Expect.Mode(700, backupRoot);
        Expect.Mode(755, backupRoot + "/snapshots");
        Expect.Mode(700, backupRoot + "/data");
        Assert.NotEqual(0, _alice.Shell($"cat '{backupRoot}/snapshots/week1/alice/notes.txt'").ExitCode);
    }

    [Fact]
    public void Restore_never_follows_a_symlink_a_user_planted_in_her_snapshot_after_prune_freed_the_entry()
    {
        var secret = _temp.Combine("root-only.txt");
        File.WriteAllText(secret, "root's eyes only\n");
        Files.Chmod(secret, Octal.Mode(600));
        var source = Homes();
        // An older layout users can reach, kept running with the warning.
        var backups = _temp.Combine("backups");
        Directory.CreateDirectory(backups);
        foreach (var folder in new[] { _temp.Path, backups })
            Files.Chmod(folder, Octal.Mode(755));
        var config = _temp.Combine("warn.conf");
        File.WriteAllText(config, "actorbackup.reachable-snapshots = warn\n");
        var data = _temp.Combine("data");
        Assert.Equal(0, Backup(source.Root, backups + "/week1", data, $"--config={config}").ExitCode);

        var planted = _alice.Shell($"rm '{backups}/week1/alice/notes.txt' && ln -s '{secret}' '{backups}/week1/alice/notes.txt'");
        var prune = PublishedCli.Run("prune", $"--datafolder={data}", $"--backuproot={backups}", "--keep-last=1");
        var target = _temp.Combine("restored");
        var restore = PublishedCli.Run("restore", $"--datafolder={data}", "--snapshot=week1", $"--target={target}");

        Assert.Equal(0, planted.ExitCode);
        Assert.Equal(0, prune.ExitCode);
        Assert.Contains("store: freed 1 entries", prune.Stdout);
        Expect.ExitCode(restore, 3);
        Assert.Contains(restore.StderrLines, l => l.StartsWith("restore: alice/notes.txt: its store entry ", StringComparison.Ordinal)
            && l.Contains("is missing, and the snapshot's copy") && l.Contains("not followed"));
        Assert.False(PosixFs.Exists(target + "/alice/notes.txt"));
        foreach (var file in PosixFs.Walk(target).Select(p => target + "/" + p).Where(p => Files.Lstat(p).Type == Core.EntryType.File))
            Assert.DoesNotContain("root's eyes only", Encoding.UTF8.GetString(PosixFs.ReadBytes(file)));
        Assert.Equal("alice's secret\n", File.ReadAllText(target + "/alice/private.txt"));
    }

    [Fact]
    public void An_acl_that_kept_a_user_out_of_a_file_and_a_folder_keeps_him_out_of_their_snapshot_copies()
    {
        var source = Homes().File("alice/docs/plan.txt", "the group's plan\n");
        source.Chown("alice/docs/plan.txt", _alice.Uid, _alice.Gid);
        var denyBob = $"u:{_bob.Name}:---";
        foreach (var path in new[] { "alice/notes.txt", "alice/docs" })
            Assert.Equal(0, PublishedCli.RunProgram("setfacl", ["-m", denyBob, source.PathOf(path)], TimeSpan.FromSeconds(10)).ExitCode);
        Assert.NotEqual(0, _bob.Shell($"cat '{source.PathOf("alice/notes.txt")}'").ExitCode);
        using var layout = new SafeLayout(_temp);

        Expect.Success(Backup(source.Root, layout.Snapshots + "/week1", layout.Data));
        var inView = layout.View + "/week1/alice";

        Assert.NotEqual(0, _bob.Shell($"cat '{inView}/notes.txt'").ExitCode);
        Assert.NotEqual(0, _bob.Shell($"cat '{inView}/docs/plan.txt'").ExitCode);
        Assert.Equal("alice's notes\n", _alice.Shell($"cat '{inView}/notes.txt'").Stdout);
        Assert.Equal("the group's plan\n", _alice.Shell($"cat '{inView}/docs/plan.txt'").Stdout);
        // The snapshot copies carry the ACL itself (and so the source's mode), not a narrowed mode.
        foreach (var path in new[] { "alice/notes.txt", "alice/docs" })
        {
            Assert.Equal(PosixFs.ModeOf(PosixFs.Lstat(source.PathOf(path))), PosixFs.ModeOf(PosixFs.Lstat(layout.Snapshots + "/week1/" + path)));
            Assert.Equal(XattrFs.Describe(XattrFs.List(source.PathOf(path))), XattrFs.Describe(XattrFs.List(layout.Snapshots + "/week1/" + path)));
        }
        var manifest = ManifestFile.Read(layout.Data + "/.actorbackup/snapshots/week1.manifest");
        var notes = manifest.Entries.Single(e => e.Path == "alice/notes.txt");
        Assert.Equal("644", notes.Mode); // the manifest keeps the true mode, and the ACL itself
        Assert.True(notes.XattrValues.ContainsKey("system.posix_acl_access"));
    }
}
