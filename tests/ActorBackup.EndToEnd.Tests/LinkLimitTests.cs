using System.Globalization;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// A popular content needs more links than one inode may have: the store starts HASH.1,
/// HASH.2, ... and nothing fails. Once with a low max-links-per-entry (which counts the
/// entry's own name, as st_nlink and ext4's 65,000 do), once against a real EMLINK of a
/// loop-mounted ext4.
/// </summary>
public sealed class LinkLimitTests
{
    private const int Limit = 3;

    [Fact]
    public void A_low_link_limit_spreads_one_content_over_full_entries_across_two_weekly_runs()
    {
        using var s = new Scenario();
        var same = Scenario.Bytes(10_000, seed: 61);
        var week1 = Enumerable.Range(0, 10).Select(i => $"user{i % 3}/copy{i}").ToList();
        foreach (var path in week1)
            s.Source.File(path, same);
        var config = s.Temp.Combine("limit.conf");
        File.WriteAllText(config, $"actorbackup {{ max-links-per-entry = {Limit} }}\n");

        s.BackupSucceeds("w1", $"--config={config}");
        // Week 2: the ten files are unchanged (linked to the entry w1's manifest names, which
        // is full), and one new file with the same content is read and hashed.
        s.Source.File("user3/new", same);
        var second = s.BackupSucceeds("w2", $"--config={config}", "--dostats");

        Assert.Contains("unchanged:        10 files linked from the previous snapshot without reading", second.StdoutLines);
        var hash = Scenario.Sha1(same);
        var entries = s.StoreEntries();
        // 21 snapshot paths, 2 per entry (its own name is the third link): 11 entries, named without gaps.
        Assert.Equal(Enumerable.Range(0, 11).Select(n => n == 0 ? hash : $"{hash}.{n}").Order(StringComparer.Ordinal),
            entries.Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.All(entries, e => Assert.True(e.Meta.LinkCount <= Limit, $"{e.Name} has {e.Meta.LinkCount} links; the limit is {Limit}"));
        Assert.Equal(21ul, entries.Aggregate(0ul, (sum, e) => sum + e.Meta.LinkCount - 1));

        var entryBySuffix = entries.ToDictionary(e => e.Name == hash ? "0" : e.Name[(hash.Length + 1)..], e => e.Meta.Inode);
        foreach (var (snapshot, paths) in new[] { ("w1", week1), ("w2", week1.Append("user3/new").ToList()) })
        {
            var manifest = s.Manifest(snapshot);
            foreach (var path in paths)
            {
                var file = s.InSnapshot(snapshot, path);
                Assert.Equal(same, PosixFs.ReadBytes(file));
                var line = manifest.Entry(path);
                Assert.Equal(hash, line.Hash);
                Assert.True(entryBySuffix[line.Suffix] == Files.Lstat(file).Inode,
                    $"{snapshot}/{path} is not a link of the entry its manifest names ({hash}.{line.Suffix})");
            }
        }
        VerifyClean(s.Data);
    }

    [Fact]
    public void A_name_past_a_gap_is_taken_into_account_when_committing_and_never_replaced()
    {
        using var s = new Scenario();
        var same = Scenario.Bytes(10_000, seed: 63);
        s.Source.File("a", same).File("b", same);
        var config = s.Temp.Combine("limit.conf");
        File.WriteAllText(config, $"actorbackup {{ max-links-per-entry = {Limit} }}\n");
        s.BackupSucceeds("w1", $"--config={config}"); // HASH: its name, a and b: full
        var hash = Scenario.Sha1(same);
        // HASH.2 with no HASH.1, as a prune that took HASH.1 leaves it: the run probes HASH
        // and HASH.1 and stops at the gap, so HASH.2 is news to it when a commit gets there.
        var planted = s.EntryPath(hash, 2);
        File.WriteAllBytes(planted, same);
        var a = Files.Lstat(s.Source.PathOf("a"));
        Files.Lchown(planted, a.Uid, a.Gid);
        Assert.Equal(0, Syscall.chmod(planted, (FilePermissions)a.Mode));
        var plantedInode = Files.Lstat(planted).Inode;
        foreach (var name in new[] { "c", "d", "e" })
            s.Source.File(name, same);

        s.BackupSucceeds("w2", $"--config={config}");

        // a and b moved on to HASH.1, c's commit met HASH.2 and went to HASH.3, the rest filled what had room.
        Assert.Equal(plantedInode, Files.Lstat(planted).Inode);
        Assert.Equal(same, PosixFs.ReadBytes(planted));
        var entries = s.StoreEntries();
        Assert.Equal(new[] { hash, $"{hash}.1", $"{hash}.2", $"{hash}.3" }, entries.Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.All(entries, e => Assert.True(e.Meta.LinkCount <= Limit, $"{e.Name} has {e.Meta.LinkCount} links; the limit is {Limit}"));
        var manifest = s.Manifest("w2");
        foreach (var name in new[] { "a", "b", "c", "d", "e" })
        {
            Assert.Equal(same, PosixFs.ReadBytes(s.InSnapshot("w2", name)));
            Expect.SameInode(s.EntryPath(hash, int.Parse(manifest.Entry(name).Suffix, CultureInfo.InvariantCulture)), s.InSnapshot("w2", name));
        }
        Assert.Equal("3", manifest.Entry("c").Suffix);
        VerifyClean(s.Data);
    }

    [Fact]
    public void A_real_EMLINK_on_ext4_starts_a_new_entry_and_the_run_succeeds()
    {
        using var s = new Scenario();
        using var ext4 = new LoopMount(s.Temp.Combine("ext4.img"), s.Temp.Combine("ext4"));
        var data = ext4.Path + "/data";
        var backups = ext4.Path + "/backups";
        var same = Scenario.Bytes(5_000, seed: 62);
        s.Source.File("a", same).File("b", same);
        var config = s.Temp.Combine("no-limit.conf");
        // Far above ext4's limit: what stops the links is the kernel's EMLINK.
        File.WriteAllText(config, "actorbackup { max-links-per-entry = 1000000 }\n");
        ProcessResult Backup(string name) => PublishedCli.Run($"--rootfolder={s.SourceRoot}", $"--backupfolder={backups}/{name}",
            $"--datafolder={data}", "--createdirs", $"--config={config}");

        Expect.Success(Backup("w1"));
        var hash = Scenario.Sha1(same);
        var entry = $"{data}/{hash[..2]}/{hash}";
        var pad = ext4.Path + "/pad";
        var padLinks = LinkUntilFull(entry, pad);
        Assert.Equal(65_000ul, Files.Lstat(entry).LinkCount);
        Assert.Equal(65_000 - 3, padLinks);
        s.Source.File("c", same); // new in week 2: read and hashed, not from the files cache

        Expect.Success(Backup("w2"));

        var next = entry + ".1";
        Assert.Equal(4ul, Files.Lstat(next).LinkCount); // its name + a, b, c of w2
        Assert.Equal(65_000ul, Files.Lstat(entry).LinkCount);
        Assert.False(PosixFs.Exists(entry + ".2"));
        var manifest = ManifestFile.Read($"{data}/.actorbackup/snapshots/w2.manifest");
        foreach (var name in new[] { "a", "b", "c" })
        {
            Expect.SameInode(next, $"{backups}/w2/{name}");
            Assert.Equal(same, PosixFs.ReadBytes($"{backups}/w2/{name}"));
            Assert.Equal("1", manifest.Entry(name).Suffix);
        }
        Expect.SameInode(entry, $"{backups}/w1/a");

        PosixFs.RemoveTree(pad); // links made by hand, which verify would rightly mention
        VerifyClean(data);
    }

    /// <summary>Hardlinks <paramref name="entry"/> into <paramref name="folder"/> until link(2) fails with EMLINK; returns how many were made.</summary>
    private static int LinkUntilFull(string entry, string folder)
    {
        Directory.CreateDirectory(folder);
        for (var n = 0; ; n++)
        {
            var errno = Files.TryLink(entry, $"{folder}/{n}");
            if (errno == Errno.EMLINK)
                return n;
            Assert.True(errno == 0, $"link {entry} {folder}/{n}: {errno}");
        }
    }

    private static void VerifyClean(string data)
    {
        var verify = PublishedCli.Run("verify", $"--datafolder={data}");
        Expect.Success(verify);
        Assert.True(verify.StdoutLines.Count == 1 && verify.StdoutLines[0].StartsWith("verify: clean;", StringComparison.Ordinal),
            $"expected only the 'verify: clean;' line\n{verify}");
    }
}
