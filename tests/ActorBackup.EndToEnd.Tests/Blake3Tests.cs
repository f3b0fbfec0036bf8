using System.Text;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// --hash=blake3 through the published CLI: entries named by the BLAKE3 of their bytes
/// (computed here with the Blake3 package itself, not through the tool's hash table),
/// verify --read-data and restore on such a data folder, and the refusal of a data folder
/// set up with another hash.
/// </summary>
public sealed class Blake3Tests
{
    private static string Blake3Hex(byte[] bytes) => Convert.ToHexString(Blake3.Hasher.Hash(bytes).AsSpan());

    private static readonly Dictionary<string, byte[]> Tree = new()
    {
        ["a.txt"] = Encoding.UTF8.GetBytes("abc"),
        ["empty"] = [],
        ["docs/same-1.txt"] = Encoding.UTF8.GetBytes("same content\n"),
        ["docs/same-2.txt"] = Encoding.UTF8.GetBytes("same content\n"),
        ["deep/er/big.bin"] = Scenario.Bytes(3 << 20, seed: 11), // more than one read buffer: many BLAKE3 chunks
        ["deep/odd.bin"] = Scenario.Bytes(1025, seed: 12), // one byte past a BLAKE3 chunk
    };

    private static Scenario WithTree()
    {
        var s = new Scenario();
        foreach (var (path, bytes) in Tree)
            s.Source.File(path, bytes);
        return s;
    }

    [Fact]
    public void Blake3_links_every_snapshot_file_to_the_entry_named_by_the_BLAKE3_of_its_bytes_and_verify_read_data_finds_it_clean()
    {
        using var s = WithTree();

        s.BackupSucceeds("s1", "--hash=blake3");

        Assert.Equal("6437B3AC38465133FFB63B75273A8DB548C558465D79DB03FD359C6CD5BD9D85", Blake3Hex(Tree["a.txt"])); // the package agrees with the published vector
        foreach (var (path, bytes) in Tree)
        {
            Expect.SameInode(s.EntryPath(Blake3Hex(bytes)), s.InSnapshot("s1", path));
            Assert.Equal(Blake3Hex(bytes), s.Manifest("s1").Entry(path).Hash);
        }
        Assert.Equal(Tree.Count - 1, s.StoreEntries().Count); // the two same-*.txt share one entry
        Assert.All(s.StoreEntries(), e => Assert.Matches("^[0-9A-F]{64}$", e.Name));
        Assert.Equal("actorbackup-store 1\nhash blake3\nlevels 1\n", Encoding.ASCII.GetString(PosixFs.ReadBytes(s.Data + "/.actorbackup/format")));
        Assert.Equal("blake3", s.Manifest("s1").Header["hash"]);

        var verify = PublishedCli.Run(["verify", $"--datafolder={s.Data}", "--read-data"], PublishedCli.DefaultTimeout);

        Expect.Success(verify);
        Assert.StartsWith("verify: clean;", verify.StdoutLines[^1]);
        Assert.Contains($"{Tree.Count - 1} entries read", verify.StdoutLines[^1]);
    }

    [Fact]
    public void A_later_run_without_hash_keeps_blake3_and_a_restore_gives_back_the_tree()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1", "--hash=blake3");
        var changed = Encoding.UTF8.GetBytes("changed after s1\n");
        PosixFs.Overwrite(s.Source.PathOf("a.txt"), changed);

        s.BackupSucceeds("s2");
        var target = s.Temp.Combine("restored");
        var restore = PublishedCli.Run(["restore", $"--datafolder={s.Data}", "--snapshot=s2", $"--target={target}"], PublishedCli.DefaultTimeout);

        Expect.SameInode(s.EntryPath(Blake3Hex(changed)), s.InSnapshot("s2", "a.txt"));
        Expect.SameInode(s.EntryPath(Blake3Hex(Tree["deep/er/big.bin"])), s.InSnapshot("s2", "deep/er/big.bin"));
        Expect.Success(restore);
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, target));
    }

    [Fact]
    public void Verify_read_data_finds_a_blake3_entry_whose_bytes_rotted()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1", "--hash=blake3");
        var entry = s.EntryPath(Blake3Hex(Tree["deep/odd.bin"]));
        var bytes = PosixFs.ReadBytes(entry);
        bytes[512] ^= 0x5A;
        PosixFs.Overwrite(entry, bytes);

        var verify = PublishedCli.Run(["verify", $"--datafolder={s.Data}", "--read-data"], PublishedCli.DefaultTimeout);

        Expect.ExitCode(verify, 20);
        Assert.Contains(verify.StdoutLines, l => l.StartsWith($"damaged: {entry}:", StringComparison.Ordinal) && l.Contains($"hash to {Blake3Hex(bytes)}", StringComparison.Ordinal));
    }

    [Fact]
    public void A_sha1_data_folder_refuses_hash_blake3_with_exit_5_and_the_data_folder_is_untouched()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        s.BackupSucceeds("s1");
        var before = TreeState.Capture(s.Temp.Path);

        var result = s.Backup("s2", "--hash=blake3");

        Expect.Refusal(result, 5, "--hash=sha1");
        Assert.Contains("--hash=blake3", result.Stderr);
        Assert.Equal(before, TreeState.Capture(s.Temp.Path));
    }
}
