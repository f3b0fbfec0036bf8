using System.Globalization;
using System.Text;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Store.Manifest;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// The files cache: a later run compares each regular file with the previous snapshot's
/// manifest and links files whose size, mtime, ctime and inode did not change without
/// reading them; everything else is read. Also the published manifest's sorted order.
/// </summary>
public sealed class FilesCacheTests
{
    private static readonly byte[] Report = Scenario.Bytes(70_000, seed: 41);

    private static Scenario WithTree()
    {
        var s = new Scenario();
        s.Source
            .File("keep.txt", "unchanged\n")
            .File("docs/report.bin", Report)
            .File("docs/change-me.txt", "version 1\n")
            .File("docs/empty", [])
            .File("deep/er/note.txt", "deep note\n")
            .File("owned", "owned by 1234\n").Chown("owned", 1234, 1234)
            .Symlink("link", "keep.txt");
        return s;
    }

    private static readonly string[] RegularFiles = ["keep.txt", "docs/report.bin", "docs/change-me.txt", "docs/empty", "deep/er/note.txt", "owned"];

    /// <summary>Sum of the regular files' sizes of <see cref="WithTree"/>.</summary>
    private const long TreeBytes = 10 + 70_000 + 10 + 0 + 10 + 14;

    private static string Unchanged(long files) => $"unchanged:        {files} files linked from the previous snapshot without reading";

    private static string BytesRead(long bytes) => $"bytes read:       {DoStats.Bytes(bytes)}";

    private static string NewContent(long files, long bytes) => $"new content:      {files} files, {DoStats.Bytes(bytes)}";

    private static void HasLine(ProcessResult result, string line)
    {
        if (!result.StdoutLines.Contains(line))
            Assert.Fail($"expected the stdout line '{line}'\n{result}");
    }

    private static void HasLineStarting(ProcessResult result, string start)
    {
        if (!result.StdoutLines.Any(l => l.StartsWith(start, StringComparison.Ordinal)))
            Assert.Fail($"expected a stdout line starting '{start}'\n{result}");
    }

    /// <summary>Replaces the hash field (index 11) of <paramref name="relative"/>'s line in a published manifest; returns the old hash.</summary>
    private static string DoctorHash(Scenario s, string snapshot, string relative, string newHash)
    {
        var path = s.ManifestPath(snapshot);
        var lines = File.ReadAllText(path).Split('\n').ToList();
        var escaped = relative; // ASCII names without special characters are written as they are
        var index = lines.FindIndex(l => l.StartsWith(escaped + "\t", StringComparison.Ordinal));
        Assert.True(index >= 0, $"no manifest line for {relative}");
        var fields = lines[index].Split('\t');
        var old = fields[11];
        Assert.Matches("^[0-9A-F]{40}$", old);
        fields[11] = newHash;
        lines[index] = string.Join('\t', fields);
        File.WriteAllText(path, string.Join('\n', lines));
        Assert.Equal(newHash, ManifestFile.Read(path).Entry(relative).Hash);
        return old;
    }

    private const string FakeHash = "0123456789ABCDEF0123456789ABCDEF01234567";

    private static ProcessResult BackupOf(Scenario s, string root, string name, params string[] options) =>
        PublishedCli.Run(
            [$"--rootfolder={root}", $"--backupfolder={s.Snapshot(name)}", $"--datafolder={s.Data}", "--createdirs", .. options],
            PublishedCli.DefaultTimeout);

    // 1
    [Fact]
    public void FilesCache_unchanged_tree_second_run_reads_nothing_and_links_every_file_to_the_first_snapshots_inode()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1");

        var second = s.BackupSucceeds("s2", "--dostats", "-v");

        HasLineStarting(second, "comparing with s1: files unchanged since are linked without reading");
        HasLine(second, Unchanged(RegularFiles.Length));
        HasLine(second, "bytes read:       0 B");
        HasLine(second, NewContent(0, 0));
        HasLine(second, $"files:            {RegularFiles.Length}");
        foreach (var path in RegularFiles)
        {
            Expect.SameInode(s.InSnapshot("s1", path), s.InSnapshot("s2", path));
            Assert.Equal(3ul, Files.Lstat(s.InSnapshot("s2", path)).LinkCount); // entry + s1 + s2
        }
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s2")));
        Assert.Equal(s.Manifest("s1").Entry("docs/report.bin").Hash, s.Manifest("s2").Entry("docs/report.bin").Hash);
    }

    // 2
    [Fact]
    public void FilesCache_same_size_rewrite_with_mtime_restored_is_read_again_because_its_ctime_changed()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1");
        var path = s.Source.PathOf("docs/change-me.txt");
        var before = Files.Lstat(path);
        var changed = Encoding.UTF8.GetBytes("version 2\n");
        Assert.Equal(before.Size, changed.Length);
        PosixFs.Overwrite(path, changed);
        s.Source.Mtime("docs/change-me.txt", before.Mtime.Seconds, before.Mtime.Nanoseconds);
        var after = Files.Lstat(path);
        Assert.Equal(before.Mtime, after.Mtime);
        Assert.Equal(before.Inode, after.Inode);
        Assert.NotEqual(s.Manifest("s1").Entry("docs/change-me.txt").Ctime, after.Ctime.ToString());

        var second = s.BackupSucceeds("s2", "--dostats");

        HasLine(second, BytesRead(changed.Length));
        HasLine(second, Unchanged(RegularFiles.Length - 1));
        HasLine(second, NewContent(1, changed.Length));
        Assert.Equal(changed, PosixFs.ReadBytes(s.InSnapshot("s2", "docs/change-me.txt")));
        Assert.Equal("version 1\n", Encoding.UTF8.GetString(PosixFs.ReadBytes(s.InSnapshot("s1", "docs/change-me.txt"))));
        Expect.DifferentInode(s.InSnapshot("s1", "docs/change-me.txt"), s.InSnapshot("s2", "docs/change-me.txt"));
        Expect.SameInode(s.EntryPath(Scenario.Sha1(changed)), s.InSnapshot("s2", "docs/change-me.txt"));
        Assert.Equal(Scenario.Sha1(changed), s.Manifest("s2").Entry("docs/change-me.txt").Hash);
        Expect.SameInode(s.InSnapshot("s1", "docs/report.bin"), s.InSnapshot("s2", "docs/report.bin"));
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s2")));
    }

    // 3
    [Fact]
    public void FilesCache_chmod_and_chown_only_make_new_entries_copied_from_the_store_without_reading_the_source()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1");
        s.Source.Chmod("docs/report.bin", 600).Chown("keep.txt", 1234, 1234);

        var second = s.BackupSucceeds("s2", "--dostats");

        HasLine(second, "bytes read:       0 B");
        HasLine(second, Unchanged(RegularFiles.Length));
        HasLine(second, NewContent(2, Report.Length + 10));

        var reportHash = Scenario.Sha1(Report);
        Expect.Mode(644, s.InSnapshot("s1", "docs/report.bin"));
        Expect.Mode(600, s.InSnapshot("s2", "docs/report.bin"));
        Expect.DifferentInode(s.InSnapshot("s1", "docs/report.bin"), s.InSnapshot("s2", "docs/report.bin"));
        Expect.SameInode(s.EntryPath(reportHash, 1), s.InSnapshot("s2", "docs/report.bin"));
        Expect.SameInode(s.EntryPath(reportHash, 0), s.InSnapshot("s1", "docs/report.bin"));
        Expect.Mode(600, s.EntryPath(reportHash, 1));
        Assert.Equal(Report, PosixFs.ReadBytes(s.InSnapshot("s2", "docs/report.bin")));
        Assert.Equal("1", s.Manifest("s2").Entry("docs/report.bin").Suffix);
        Assert.Equal(2ul, Files.Lstat(s.InSnapshot("s2", "docs/report.bin")).LinkCount);

        var keepHash = Scenario.Sha1(Encoding.UTF8.GetBytes("unchanged\n"));
        Expect.Owner(0, 0, s.InSnapshot("s1", "keep.txt"));
        Expect.Owner(1234, 1234, s.InSnapshot("s2", "keep.txt"));
        Expect.DifferentInode(s.InSnapshot("s1", "keep.txt"), s.InSnapshot("s2", "keep.txt"));
        Expect.SameInode(s.EntryPath(keepHash, 1), s.InSnapshot("s2", "keep.txt"));
        Assert.Equal("unchanged\n", Encoding.UTF8.GetString(PosixFs.ReadBytes(s.InSnapshot("s2", "keep.txt"))));
        Assert.Equal(("1", 1234u, 1234u), (s.Manifest("s2").Entry("keep.txt").Suffix, s.Manifest("s2").Entry("keep.txt").Uid, s.Manifest("s2").Entry("keep.txt").Gid));

        Expect.SameInode(s.InSnapshot("s1", "docs/change-me.txt"), s.InSnapshot("s2", "docs/change-me.txt"));
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s2")));
    }

    // 4
    [Fact]
    public void FilesCache_store_entry_deleted_between_runs_is_stored_again_and_the_file_linked_to_it()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1");
        var line = s.Manifest("s1").Entry("docs/report.bin");
        var entry = s.EntryPath(line.Hash, int.Parse(line.Suffix, CultureInfo.InvariantCulture));
        Expect.SameInode(entry, s.InSnapshot("s1", "docs/report.bin"));
        PosixFs.RemoveTree(entry);
        Assert.False(PosixFs.Exists(entry));

        var second = s.BackupSucceeds("s2", "--dostats");

        HasLine(second, NewContent(1, Report.Length));
        Assert.True(PosixFs.Exists(entry), "the deleted store entry should exist again");
        Assert.Equal(Report, PosixFs.ReadBytes(entry));
        Expect.SameInode(entry, s.InSnapshot("s2", "docs/report.bin"));
        Assert.Equal(2ul, Files.Lstat(s.InSnapshot("s2", "docs/report.bin")).LinkCount); // entry + s2
        Assert.Equal(Report, PosixFs.ReadBytes(s.InSnapshot("s2", "docs/report.bin")));
        Assert.Equal(1ul, Files.Lstat(s.InSnapshot("s1", "docs/report.bin")).LinkCount); // s1 keeps the old inode alone
        Assert.Equal(Report, PosixFs.ReadBytes(s.InSnapshot("s1", "docs/report.bin")));
        Expect.SameInode(s.InSnapshot("s1", "keep.txt"), s.InSnapshot("s2", "keep.txt"));
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s2")));
    }

    // 5
    [Fact]
    public void FilesCache_unchanged_file_whose_entry_is_at_the_link_limit_gets_a_new_entry_of_the_same_content()
    {
        using var s = new Scenario();
        var content = Encoding.UTF8.GetBytes("one file, two links per entry\n");
        s.Source.File("only", content);
        var config = s.Temp.Combine("limit.conf");
        File.WriteAllText(config, "actorbackup.max-links-per-entry = 2\n");
        s.BackupSucceeds("s1", $"--config={config}");
        var hash = Scenario.Sha1(content);
        Assert.Equal(2ul, Files.Lstat(s.EntryPath(hash)).LinkCount);

        var second = s.Backup("s2", $"--config={config}", "--dostats");

        Expect.Success(second);
        HasLine(second, NewContent(1, content.Length));
        Expect.DifferentInode(s.InSnapshot("s1", "only"), s.InSnapshot("s2", "only"));
        Assert.Equal(content, PosixFs.ReadBytes(s.InSnapshot("s2", "only")));
        Assert.Equal(content, PosixFs.ReadBytes(s.InSnapshot("s1", "only")));
        Assert.Equal([hash, hash + ".1"], s.StoreEntries().Select(e => e.Name).Order(StringComparer.Ordinal));
        Expect.SameInode(s.EntryPath(hash, 0), s.InSnapshot("s1", "only"));
        Expect.SameInode(s.EntryPath(hash, 1), s.InSnapshot("s2", "only"));
        Assert.Equal(2ul, Files.Lstat(s.EntryPath(hash, 0)).LinkCount);
        Assert.Equal(2ul, Files.Lstat(s.EntryPath(hash, 1)).LinkCount);
        Assert.Equal("1", s.Manifest("s2").Entry("only").Suffix);
    }

    // 6a
    [Fact]
    public void FilesCache_rehash_reads_every_file_of_an_unchanged_tree_and_reports_nothing()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1");

        var second = s.BackupSucceeds("s2", "--rehash", "--dostats", "-v");

        HasLineStarting(second, "comparing with s1: files unchanged since are read anyway (--rehash)");
        HasLine(second, BytesRead(TreeBytes));
        HasLine(second, Unchanged(0)); // read, so not "linked without reading"
        HasLine(second, NewContent(0, 0));
        Assert.DoesNotContain("notice:", second.Stderr, StringComparison.Ordinal);
        foreach (var path in RegularFiles)
            Expect.SameInode(s.InSnapshot("s1", path), s.InSnapshot("s2", path));
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s2")));
    }

    // 6b
    [Fact]
    public void FilesCache_rehash_reports_a_file_whose_content_differs_from_the_previous_manifest_although_its_metadata_did_not()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1");
        var real = DoctorHash(s, "s1", "keep.txt", FakeHash);

        var second = s.Backup("s2", "--rehash", "--dostats");

        Expect.ExitCode(second, 0);
        var notice = $"actorbackup: notice: {s.Source.PathOf("keep.txt")}: content differs from the previous snapshot although size, mtime and ctime did not change";
        Assert.True(second.StderrLines.Count == 1, $"expected exactly one stderr line\n{second}");
        Assert.Contains(notice, second.StderrLines[0]);
        Assert.Contains($"(was {FakeHash}, now {real})", second.StderrLines[0]);
        HasLine(second, BytesRead(TreeBytes));
        HasLine(second, "problems:         0");
        Assert.Equal("unchanged\n", Encoding.UTF8.GetString(PosixFs.ReadBytes(s.InSnapshot("s2", "keep.txt"))));
        Expect.SameInode(s.EntryPath(real), s.InSnapshot("s2", "keep.txt"));
        Assert.Equal(real, s.Manifest("s2").Entry("keep.txt").Hash);
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s2")));
    }

    // 6c
    [Fact]
    public void FilesCache_without_rehash_a_wrong_hash_in_the_previous_manifest_still_gives_the_file_its_real_content()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1");
        var real = DoctorHash(s, "s1", "keep.txt", FakeHash);

        var second = s.Backup("s2", "--dostats");

        // What a sysadmin wants: the file is in the snapshot with its real bytes, linked to
        // its real content's entry, and the run does not fail because of the old manifest.
        Assert.True(PosixFs.Exists(s.InSnapshot("s2", "keep.txt")), $"keep.txt is missing from s2\n{second}");
        Assert.Equal("unchanged\n", Encoding.UTF8.GetString(PosixFs.ReadBytes(s.InSnapshot("s2", "keep.txt"))));
        Expect.SameInode(s.EntryPath(real), s.InSnapshot("s2", "keep.txt"));
        Assert.Equal(real, s.Manifest("s2").Entry("keep.txt").Hash);
        Assert.False(PosixFs.Exists(s.EntryPath(FakeHash)), "no entry may be named with a hash its bytes do not have");
        Expect.ExitCode(second, 0);
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s2")));
    }

    // 7
    [Fact]
    public void FilesCache_previous_names_the_snapshot_compared_with()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1");
        var changed = Encoding.UTF8.GetBytes("version 2, longer\n");
        PosixFs.Overwrite(s.Source.PathOf("docs/change-me.txt"), changed);
        s.BackupSucceeds("s2");

        // Compared with s1, change-me.txt changed (it is read); compared with s2 it would not.
        var third = s.BackupSucceeds("s3", "--previous=s1", "-v", "--dostats");

        HasLineStarting(third, "comparing with s1: ");
        HasLine(third, BytesRead(changed.Length));
        HasLine(third, Unchanged(RegularFiles.Length - 1));
        HasLine(third, NewContent(0, 0));
        Expect.SameInode(s.InSnapshot("s2", "docs/change-me.txt"), s.InSnapshot("s3", "docs/change-me.txt"));
        Expect.SameInode(s.InSnapshot("s1", "keep.txt"), s.InSnapshot("s3", "keep.txt"));
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s3")));
    }

    // 7b
    [Fact]
    public void FilesCache_previous_naming_no_snapshot_is_refused_before_anything_is_made()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1");

        var result = s.Backup("s2", "--previous=nope");

        Expect.Refusal(result, 2, "--previous=nope:");
        Assert.StartsWith("actorbackup: --previous=nope:", result.StderrLines[0], StringComparison.Ordinal);
        Assert.Equal(["s1"], PosixFs.ListNames(s.Backups));
        Assert.Equal(["s1.manifest", "s1.summary"], PosixFs.ListNames(s.Data + "/.actorbackup/snapshots"));
    }

    // 8
    [Fact]
    public void FilesCache_renamed_file_is_read_again_but_stores_nothing_new_and_keeps_its_inode()
    {
        using var s = WithTree();
        var moved = Scenario.Bytes(1000, seed: 42);
        s.Source.File("docs/old-name.bin", moved);
        s.BackupSucceeds("s1");
        var inode = Files.Lstat(s.Source.PathOf("docs/old-name.bin")).Inode;
        File.Move(s.Source.PathOf("docs/old-name.bin"), s.Source.PathOf("docs/new-name.bin"));
        Assert.Equal(inode, Files.Lstat(s.Source.PathOf("docs/new-name.bin")).Inode);

        var second = s.BackupSucceeds("s2", "--dostats");

        HasLine(second, BytesRead(moved.Length));
        HasLine(second, NewContent(0, 0));
        HasLine(second, Unchanged(RegularFiles.Length));
        Expect.SameInode(s.InSnapshot("s1", "docs/old-name.bin"), s.InSnapshot("s2", "docs/new-name.bin"));
        Assert.Equal(moved, PosixFs.ReadBytes(s.InSnapshot("s2", "docs/new-name.bin")));
        Assert.False(PosixFs.Exists(s.InSnapshot("s2", "docs/old-name.bin")));
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s2")));
    }

    // 9
    [Fact]
    public void FilesCache_published_manifest_is_sorted_by_directory_and_no_work_files_remain()
    {
        using var s = new Scenario();
        // Names where depth-first order differs from plain ordinal order of whole paths:
        // "a/..." groups come before "a-b/..." ('/' sorts lowest), and escaped names.
        s.Source
            .File("a/x/1", "1").File("a/x/2", "2").File("a/y", "y").File("a/z z", "zz")
            .File("a-b/c", "c").File("a.txt", "t").File("ab/d/e", "e").File("b", "b")
            .File("a/x/deeper/f", "f").File("%pct", "p").File("Z", "Z");
        for (var i = 0; i < 30; i++)
            s.Source.File($"many/f{i:D2}", $"file {i}\n");
        s.Source.Symlink("a/link", "y");

        s.BackupSucceeds("s1");

        var manifest = s.Manifest("s1");
        var order = manifest.Lines.ToList().IndexOf("#order directories");
        var firstEntry = manifest.Lines.ToList().FindIndex(l => !l.StartsWith('#'));
        Assert.True(order > 0, "the manifest has no '#order directories' line");
        Assert.True(order < firstEntry, "'#order directories' must come before the entry lines");
        Assert.Equal("directories", manifest.Header["order"]);
        var paths = manifest.Lines.Where(l => !l.StartsWith('#')).Select(l => l.Split('\t')[0]).ToList();
        Assert.Equal(".", paths[0]);
        for (var i = 1; i < paths.Count; i++)
            Assert.True(ManifestOrder.Compare(paths[i - 1], paths[i]) < 0, $"manifest lines out of order: '{paths[i - 1]}' before '{paths[i]}'");
        // Depth first: every "a/..." group before the "a-b" group.
        Assert.True(paths.IndexOf("a/x/deeper/f") < paths.IndexOf("a-b/c"));
        Assert.True(paths.IndexOf("a/z%20z") > paths.IndexOf("a/link"));
        Assert.Equal(PosixFs.Walk(s.SourceRoot).Append("").Order(StringComparer.Ordinal), manifest.Entries.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Equal($"#end {paths.Count}", manifest.Lines[^1]);

        Assert.Equal(["s1.manifest", "s1.summary"], PosixFs.ListNames(s.Data + "/.actorbackup/snapshots"));
        Assert.Empty(PosixFs.TempFiles(s.Data));
        Assert.Equal(["s1"], PosixFs.ListNames(s.Backups));
    }

    // 10
    [Fact]
    public void FilesCache_previous_manifest_of_the_old_unsorted_format_is_not_used_and_every_file_is_read()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1");
        var path = s.ManifestPath("s1");
        var lines = File.ReadAllText(path).TrimEnd('\n').Split('\n').ToList();
        Assert.True(lines.Remove("#order directories"));
        var header = lines.TakeWhile(l => l.StartsWith('#')).ToList();
        var entries = lines.Skip(header.Count).Where(l => !l.StartsWith('#')).ToList();
        var end = lines[^1];
        Assert.StartsWith("#end ", end);
        var random = new Random(7);
        List<string> shuffled;
        do
            shuffled = entries.OrderBy(_ => random.Next()).ToList();
        while (shuffled.SequenceEqual(entries));
        File.WriteAllText(path, string.Join('\n', header.Concat(shuffled).Append(end)) + "\n");

        var second = s.BackupSucceeds("s2", "--dostats", "-v");

        HasLine(second, "no previous snapshot of this root folder: every file is read");
        HasLine(second, BytesRead(TreeBytes));
        HasLine(second, Unchanged(0));
        HasLine(second, NewContent(0, 0));
        foreach (var file in RegularFiles)
            Expect.SameInode(s.InSnapshot("s1", file), s.InSnapshot("s2", file));
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s2")));
        Assert.Equal("directories", s.Manifest("s2").Header["order"]);
    }

    // 11
    [Fact]
    public void FilesCache_another_root_folder_does_not_use_the_snapshots_of_this_one()
    {
        using var s = WithTree();
        // The other root holds a hardlink of keep.txt under the same relative path: same
        // inode, size, mtime and ctime. Only the root tells the manifests apart.
        var other = new TreeBuilder(s.Temp.Combine("other"));
        Assert.Equal(0, Mono.Unix.Native.Syscall.link(s.Source.PathOf("keep.txt"), other.PathOf("keep.txt")));
        other.File("more.txt", "more\n");
        s.BackupSucceeds("s1");

        var second = BackupOf(s, other.Root, "s2", "-v", "--dostats");

        Expect.Success(second);
        HasLine(second, "no previous snapshot of this root folder: every file is read");
        HasLine(second, BytesRead(10 + 5));
        HasLine(second, Unchanged(0));
        Assert.Empty(TreeComparer.Differences(other.Root, s.Snapshot("s2")));

        // And this root's next run compares with s1, not with the other root's s2.
        var third = s.BackupSucceeds("s3", "-v", "--dostats");
        HasLineStarting(third, "comparing with s1: ");
        HasLine(third, Unchanged(RegularFiles.Length));
        HasLine(third, "bytes read:       0 B");
    }
}
