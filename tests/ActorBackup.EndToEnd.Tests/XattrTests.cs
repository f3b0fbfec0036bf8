using System.Text;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// Extended attributes and POSIX ACLs, checked the way an admin would: getfacl -R and
/// getfattr -R -d -m - of the source, the snapshot and the restored tree side by side, inode
/// numbers of snapshot files, the summary and the notices.
/// </summary>
public sealed class XattrTests
{
    private static readonly byte[] Same = Encoding.UTF8.GetBytes("one content, several ACLs\n");

    // A capability set (cap_net_bind_service+ep), as setcap writes it.
    private const string Capability = "0x0100000200040000000000000000000000000000";

    [Fact]
    public void Every_xattr_and_acl_of_files_folders_and_symlinks_is_in_the_snapshot_and_comes_back_on_restore()
    {
        using var s = new Scenario();
        s.Source
            .File("shared/report.txt", "for the group\n")
            .File("shared/inside-before-default.txt", "made before the default ACL\n")
            .File("public_html/index.html", "<p>hi</p>\n")
            .File("bin/server", "#!/bin/sh\n", mode: 755)
            .File("notes.txt", "tagged\n")
            .Symlink("link-to-notes", "notes.txt");
        var src = s.SourceRoot;
        Run("setfacl", "-m", "u:1234:rw,g:5678:r", $"{src}/shared/report.txt");
        Run("setfacl", "-m", "u:33:rx", $"{src}/public_html");
        Run("setfacl", "-m", "u:33:r", $"{src}/public_html/index.html");
        Run("setfacl", "-d", "-m", "u:1234:rwx,g:5678:rx", $"{src}/shared");
        Run("setfattr", "-n", "security.capability", "-v", Capability, $"{src}/bin/server");
        Run("setfattr", "-n", "user.comment", "-v", "reviewed by alice", $"{src}/notes.txt");
        Run("setfattr", "-n", "user.folder-tag", "-v", "0x00ff10", $"{src}/shared");
        Run("setfattr", "-h", "-n", "trusted.link-note", "-v", "on the symlink itself", $"{src}/link-to-notes");
        XattrFs.Set($"{src}/notes.txt", [.. "user."u8, 0xFF, 0xFE, .. "-not-utf8"u8], [0, 1, 2, 255]);
        var before = Listings(src);

        var backup = s.BackupSucceeds("week1", "--dostats");

        Assert.Contains("xattrs and ACLs:  on snapshot files, folders and symlinks", backup.Stdout);
        Assert.Equal(before, Listings(s.Snapshot("week1")));
        Assert.Empty(TreeComparer.Differences(src, s.Snapshot("week1"), fileMtimes: false));
        Assert.Equal("all", s.Manifest("week1").Header["xattrs"]);
        Assert.Equal("own", s.Manifest("week1").Header["entry-xattrs"]);
        // The file made before the folder got its default ACL has none, in the snapshot too.
        Assert.Empty(XattrFs.List(s.InSnapshot("week1", "shared/inside-before-default.txt")));

        var target = s.Temp.CreateFolder("restored");
        Expect.Success(PublishedCli.Run(["restore", $"--datafolder={s.Data}", "--snapshot=week1", $"--target={target}"]));
        Assert.Equal(before, Listings(target));
        Assert.Empty(TreeComparer.Differences(src, target));
        Assert.Equal(Capability[2..], Convert.ToHexString(XattrFs.Get($"{target}/bin/server", "security.capability"u8.ToArray())).ToLowerInvariant());
    }

    [Fact]
    public void Files_of_one_content_owner_and_mode_share_an_inode_only_when_their_acls_and_xattrs_match()
    {
        using var s = new Scenario();
        s.Source
            .File("alice-acl", Same)
            .File("alice-acl-again", Same)
            .File("bob-acl", Same)
            .File("no-acl", Same)
            .File("tagged", Same);
        Run("setfacl", "-m", "u:1234:r", s.Source.PathOf("alice-acl"), s.Source.PathOf("alice-acl-again"));
        Run("setfacl", "-m", "u:5678:r", s.Source.PathOf("bob-acl"));
        Run("setfattr", "-n", "user.tag", "-v", "x", s.Source.PathOf("tagged"));

        s.BackupSucceeds("week1");

        string At(string name) => s.InSnapshot("week1", name);
        Expect.SameInode(At("alice-acl"), At("alice-acl-again"));
        var inodes = new[] { "alice-acl", "bob-acl", "no-acl", "tagged" }.Select(n => PosixFs.Lstat(At(n)).st_ino).ToList();
        Assert.Equal(4, inodes.Distinct().Count());
        Assert.Equal(4, s.StoreEntries().Count);
        // Nobody's ACL shows on another's file.
        foreach (var name in new[] { "alice-acl", "bob-acl", "no-acl", "tagged" })
            Assert.Equal(Acl(s.Source.PathOf(name)), Acl(At(name)));
        Assert.DoesNotContain("user:1234", Acl(At("bob-acl")));
        Assert.DoesNotContain("user:", Acl(At("no-acl")).Replace("user::", ""));
    }

    [Fact]
    public void An_acl_or_xattr_changed_between_weeks_gets_a_new_entry_and_the_old_snapshot_keeps_its_own()
    {
        using var s = new Scenario();
        s.Source.File("plan.txt", Same).File("tagged.txt", "tag me\n").File("same.txt", "untouched\n");
        Run("setfacl", "-m", "u:1234:r", s.Source.PathOf("same.txt"));
        s.BackupSucceeds("week1");
        var acl1 = Acl(s.InSnapshot("week1", "plan.txt"));

        Run("setfacl", "-m", "u:1234:rw", s.Source.PathOf("plan.txt"));
        Run("setfattr", "-n", "user.state", "-v", "done", s.Source.PathOf("tagged.txt"));
        var week2 = s.BackupSucceeds("week2", "--dostats");

        Assert.Equal(Acl(s.Source.PathOf("plan.txt")), Acl(s.InSnapshot("week2", "plan.txt")));
        Assert.Equal(acl1, Acl(s.InSnapshot("week1", "plan.txt")));
        Assert.DoesNotContain("user:1234", acl1);
        Expect.DifferentInode(s.InSnapshot("week1", "plan.txt"), s.InSnapshot("week2", "plan.txt"));
        Expect.DifferentInode(s.InSnapshot("week1", "tagged.txt"), s.InSnapshot("week2", "tagged.txt"));
        Assert.Empty(XattrFs.List(s.InSnapshot("week1", "tagged.txt")));
        Assert.Equal("done"u8.ToArray(), XattrFs.Get(s.InSnapshot("week2", "tagged.txt"), "user.state"u8.ToArray()));
        Assert.Contains("user.state=done", string.Join('\n', s.Manifest("week2").Entry("tagged.txt").Fields));
        // The files cache notices through ctime: tagged.txt (only its ctime moved) is read again;
        // plan.txt's new ACL moved its mode's group bits (the mask), a metadata-only change whose
        // hash is kept; same.txt is linked to its old entry without a read.
        Expect.SameInode(s.InSnapshot("week1", "same.txt"), s.InSnapshot("week2", "same.txt"));
        Assert.Contains("unchanged:        2 files", week2.Stdout);
        Assert.Contains("bytes read:       7 B", week2.Stdout);
    }

    [Fact]
    public void A_data_folder_that_keeps_no_xattrs_gives_one_notice_and_a_count_and_restore_still_sets_them()
    {
        using var s = new Scenario();
        s.Source.File("a", "a\n").File("b", "b\n").File("dir/c", "c\n").Symlink("dir/l", "c");
        foreach (var name in new[] { "a", "b", "dir/c", "dir" })
            Run("setfacl", "-m", "u:1234:r", s.Source.PathOf(name));
        Run("setfattr", "-n", "user.x", "-v", "1", s.Source.PathOf("dir"));
        // ramfs keeps no xattrs at all.
        var ramfs = s.Temp.CreateFolder("ramfs");
        Commands.Output("mount", "-t", "ramfs", "ramfs", ramfs);
        try
        {
            Commands.Output("chmod", "700", ramfs);
            var backup = PublishedCli.Run([$"--rootfolder={s.SourceRoot}", $"--backupfolder={ramfs}/week1", $"--datafolder={ramfs}/data", "--createdirs", "--dostats"]);

            Expect.ExitCode(backup, 0);
            var notices = backup.StderrLines.Where(l => l.Contains("extended attributes not set", StringComparison.Ordinal)).ToList();
            Assert.True(notices.Count == 1, $"expected one notice line:\n{backup}");
            Assert.Contains("does not keep extended attributes or ACLs", notices[0]);
            Assert.Contains("restore sets it", notices[0]);
            Assert.Contains("xattrs and ACLs:  in the manifest (restore sets them)", backup.Stdout);
            Assert.Contains("not set on 1 snapshot entry (see the notice above)", backup.Stdout); // dir: files were not tried (entries carry none)
            Assert.NotNull(ManifestFile.Read($"{ramfs}/data/.actorbackup/snapshots/week1.manifest").Entry("dir/c").XattrValues.GetValueOrDefault("system.posix_acl_access"));

            var target = s.Temp.CreateFolder("restored");
            Expect.Success(PublishedCli.Run(["restore", $"--datafolder={ramfs}/data", "--snapshot=week1", $"--target={target}"]));
            Assert.Equal(Listings(s.SourceRoot), Listings(target));
        }
        finally
        {
            Commands.TryOutput("umount", ramfs);
        }
    }

    [Fact]
    public void Values_of_64_KiB_are_kept_where_the_file_system_holds_them()
    {
        using var s = new Scenario();
        using var xfs = new LoopMount(s.Temp.Combine("xfs.img"), s.Temp.Combine("xfs"), LoopFs.Xfs, sizeMiB: 320);
        var src = xfs.Path + "/src";
        new TreeBuilder(src).File("big-xattr", "small file, big xattr\n").Dir("folder");
        var big = Scenario.Bytes(65536, seed: 64);
        XattrFs.Set(src + "/big-xattr", "user.big", big);
        XattrFs.Set(src + "/folder", "user.big", big);
        Commands.Output("chmod", "700", xfs.Path);

        Expect.Success(PublishedCli.Run([$"--rootfolder={src}", $"--backupfolder={xfs.Path}/backups/week1", $"--datafolder={xfs.Path}/data", "--createdirs"]));
        Assert.Equal(big, XattrFs.Get($"{xfs.Path}/backups/week1/big-xattr", "user.big"u8.ToArray()));
        Assert.Equal(big, XattrFs.Get($"{xfs.Path}/backups/week1/folder", "user.big"u8.ToArray()));

        var target = xfs.Path + "/restored";
        Directory.CreateDirectory(target);
        Expect.Success(PublishedCli.Run(["restore", $"--datafolder={xfs.Path}/data", "--snapshot=week1", $"--target={target}"]));
        Assert.Equal(big, XattrFs.Get(target + "/big-xattr", "user.big"u8.ToArray()));
        Assert.Empty(TreeComparer.Differences(src, target));
    }

    [Fact]
    public void Verify_reports_a_store_entry_whose_acl_was_changed_through_a_snapshot_path()
    {
        using var s = new Scenario();
        s.Source.File("f", Same).File("g", "other\n");
        Run("setfacl", "-m", "u:1234:r", s.Source.PathOf("f"));
        s.BackupSucceeds("week1");
        Expect.Success(PublishedCli.Run(["verify", $"--datafolder={s.Data}"]));

        Run("setfacl", "-m", "u:999:rwx", s.InSnapshot("week1", "f"));
        Run("setfattr", "-n", "user.planted", "-v", "1", s.InSnapshot("week1", "g"));
        var verify = PublishedCli.Run(["verify", $"--datafolder={s.Data}"]);

        Assert.NotEqual(0, verify.ExitCode);
        var problems = verify.StderrLines.Concat(verify.StdoutLines).Where(l => l.Contains("extended attributes or ACLs are not what the manifests record", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains(Scenario.Sha1(Same), StringComparison.OrdinalIgnoreCase) && p.Contains("system.posix_acl_access", StringComparison.Ordinal));
    }

    [Fact]
    public void Under_share_content_snapshot_files_carry_no_acl_folders_carry_theirs_and_restore_sets_all()
    {
        using var s = new Scenario();
        s.Source.File("private", Same).File("open", Same).Dir("folder");
        Run("setfacl", "-m", "u:1234:---,o::r", s.Source.PathOf("private"));
        Run("setfacl", "-m", "u:1234:rwx", s.Source.PathOf("folder"));

        var backup = s.BackupSucceeds("week1", "--share=content", "--dostats");

        Assert.Contains("snapshot files do not show them (--share=content", backup.Stdout);
        Assert.Equal("none", s.Manifest("week1").Header["entry-xattrs"]);
        Expect.SameInode(s.InSnapshot("week1", "private"), s.InSnapshot("week1", "open"));
        Assert.Empty(XattrFs.List(s.InSnapshot("week1", "private")));
        // Folders are never shared: they carry their own ACL under either policy.
        Assert.Equal(Acl(s.Source.PathOf("folder")), Acl(s.InSnapshot("week1", "folder")));

        var target = s.Temp.CreateFolder("restored");
        Expect.Success(PublishedCli.Run(["restore", $"--datafolder={s.Data}", "--snapshot=week1", $"--target={target}"]));
        Assert.Equal(Listings(s.SourceRoot), Listings(target));
    }

    [Fact]
    public void Restoring_into_a_folder_with_a_default_acl_gives_each_entry_exactly_its_own()
    {
        using var s = new Scenario();
        s.Source.File("plain", "no acl\n").File("sub/plain", "no acl either\n").File("with-acl", "acl\n");
        Run("setfacl", "-m", "u:1234:r", s.Source.PathOf("with-acl"));
        s.BackupSucceeds("week1");

        var target = s.Temp.CreateFolder("restored");
        Run("setfacl", "-d", "-m", "u:5678:rwx", target);
        Expect.Success(PublishedCli.Run(["restore", $"--datafolder={s.Data}", "--snapshot=week1", $"--target={target}"]));

        Assert.Empty(XattrFs.List(target + "/plain"));
        Assert.Empty(XattrFs.List(target + "/sub/plain"));
        Assert.Empty(XattrFs.List(target + "/sub"));
        Assert.Equal(Acl(s.Source.PathOf("with-acl")), Acl(target + "/with-acl"));
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, target));
    }

    private static void Run(params string[] command)
    {
        var (code, stdout, stderr) = Commands.Run(command);
        Assert.True(code == 0, $"{string.Join(' ', command)} failed ({code}): {stdout}{stderr}");
    }

    /// <summary>getfacl of one entry, without its "# file:" line.</summary>
    private static string Acl(string path) =>
        string.Join('\n', Commands.Output("getfacl", "-p", "-n", path).Split('\n').Where(l => !l.StartsWith("# file:", StringComparison.Ordinal)));

    /// <summary>
    /// getfacl -R and getfattr -R -d -m - of a tree, its root shown as ".", each entry's block
    /// in path order (both tools walk in the directory's own order): what an admin diffs.
    /// </summary>
    private static string Listings(string root)
    {
        string Sorted(string listing) => string.Join("\n\n", listing.Replace(root, ".", StringComparison.Ordinal)
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
        var acls = Commands.Output("getfacl", "-R", "-P", "-p", "-n", root);
        var xattrs = Commands.Output("getfattr", "-R", "-P", "-h", "-d", "-m", "-", "-e", "hex", "--absolute-names", root);
        return Sorted(acls) + "\n----\n" + Sorted(xattrs);
    }
}
