using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// The shared corpus generator (../shared/corpus/make-corpus.py): two small home folders,
/// week 1 and week 2 (a few files changed, added, deleted, moved), backed up into one data
/// folder. Realistic names, owners, hardlinks, symlinks and shared installs, in about a second.
/// </summary>
public sealed class CorpusTests
{
    private static readonly TimeSpan GeneratorTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Two_corpus_weeks_are_snapshotted_entry_for_entry_and_week_2_stores_only_its_new_content()
    {
        using var s = new Scenario();
        var week1 = s.Temp.Combine("week1");
        var week2 = s.Temp.Combine("week2");
        Generate("--out", week1, "--scale", "small", "--users", "2", "--jobs", "2");
        Generate("--out", week2, "--scale", "small", "--users", "2", "--jobs", "2", "--week", "2", "--from", week1);
        var keys1 = ContentKeys(week1);
        var keys2 = ContentKeys(week2);
        Assert.True(keys1.Count > 100, $"the corpus should have many files, has {keys1.Count}");

        Expect.Success(PublishedCli.Run($"--rootfolder={week1}", $"--backupfolder={s.Snapshot("week1")}", $"--datafolder={s.Data}", "--createdirs"));

        Assert.Empty(TreeComparer.Differences(week1, s.Snapshot("week1"), fileMtimes: false));
        Assert.Equal(keys1.Values.Distinct().Count(), s.StoreEntries().Count);
        AssertOneInodePerKey(keys1, s.Snapshot("week1"));
        AssertFileMtimes(week1, s.Snapshot("week1"), s.Manifest("week1"), keys1, keys1);

        Expect.Success(PublishedCli.Run($"--rootfolder={week2}", $"--backupfolder={s.Snapshot("week2")}", $"--datafolder={s.Data}"));

        Assert.Empty(TreeComparer.Differences(week2, s.Snapshot("week2"), fileMtimes: false));
        AssertFileMtimes(week2, s.Snapshot("week2"), s.Manifest("week2"), keys2, keys1);
        var newKeys = keys2.Values.Distinct().Except(keys1.Values).Count();
        Assert.True(newKeys > 0, "week 2 should change some content");
        Assert.Equal(keys1.Values.Distinct().Count() + newKeys, s.StoreEntries().Count);
        var unchanged = keys2.Keys.Where(p => keys1.TryGetValue(p, out var k) && k == keys2[p]).ToList();
        Assert.True(unchanged.Count > keys2.Count / 2);
        foreach (var path in unchanged)
            Expect.SameInode(s.InSnapshot("week1", path), s.InSnapshot("week2", path));
    }

    /// <summary>Per regular file: what decides its store entry under --share=owner (content, owner, group, mode).</summary>
    private static Dictionary<string, string> ContentKeys(string root)
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in PosixFs.Walk(root))
        {
            var meta = Files.Lstat(root + "/" + path);
            if (meta.Type == Core.EntryType.File)
                keys[path] = $"{Scenario.Sha1(PosixFs.ReadBytes(root + "/" + path))} {meta.Uid}:{meta.Gid} {Octal.Format(meta.Mode)}";
        }
        return keys;
    }

    /// <summary>
    /// Copies of one content share an inode and so one mtime, that of the copy stored first
    /// (README, Caveats): a snapshot file's mtime is the mtime of some source file with its
    /// key, this week's or an earlier week's, and the manifest keeps each file's own.
    /// </summary>
    private static void AssertFileMtimes(string root, string snapshot, ManifestFile manifest, Dictionary<string, string> keys, Dictionary<string, string> earlierKeys)
    {
        var mtimesByKey = new Dictionary<string, HashSet<string>>();
        void Add(string sourceRoot, Dictionary<string, string> k)
        {
            foreach (var (path, key) in k)
            {
                if (!mtimesByKey.TryGetValue(key, out var set))
                    mtimesByKey[key] = set = [];
                if (PosixFs.Exists(sourceRoot + "/" + path))
                    set.Add(Files.Lstat(sourceRoot + "/" + path).Mtime.ToString());
            }
        }
        Add(root, keys);
        Add(Path.Combine(Path.GetDirectoryName(root)!, "week1"), earlierKeys);
        foreach (var (path, key) in keys)
        {
            var own = Files.Lstat(root + "/" + path).Mtime.ToString();
            Assert.Equal(own, manifest.Entry(path).Mtime);
            var copy = Files.Lstat(snapshot + "/" + path).Mtime.ToString();
            Assert.True(mtimesByKey[key].Contains(copy), $"{path}: snapshot mtime {copy} is no source file's mtime for its content");
        }
    }

    private static void AssertOneInodePerKey(Dictionary<string, string> keys, string snapshot)
    {
        foreach (var group in keys.GroupBy(k => k.Value))
        {
            var inodes = group.Select(k => Files.Lstat(snapshot + "/" + k.Key).Inode).Distinct().ToList();
            Assert.True(inodes.Count == 1, $"files with content key {group.Key} should share one inode, have {inodes.Count}");
        }
    }

    private static void Generate(params string[] args)
    {
        var script = RepoPaths.CorpusGenerator;
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var result = PublishedCli.RunProgram(python, [script, .. args], GeneratorTimeout);
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
