using System.Text;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.Cluster.Tests.Support;

/// <summary>Source trees for cluster runs: many small files with repeated content and several owners.</summary>
internal static class SourceTrees
{
    private static readonly TimeSpan GeneratorTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// <paramref name="files"/> small files under <paramref name="folder"/>, 200 per subfolder.
    /// Content repeats every <paramref name="distinct"/> files; one file in five belongs to uid
    /// 1001, one in five to 1002:100, the rest to root; one in seven has mode 600. So some
    /// copies of one content share an inode and others (another owner or mode) do not.
    /// </summary>
    public static TreeBuilder SmallFiles(this TreeBuilder tree, string folder, int files, int distinct)
    {
        for (var i = 0; i < files; i++)
        {
            var path = $"{folder}/d{i / 200:D3}/f{i % 200:D3}.txt";
            tree.File(path, Encoding.UTF8.GetBytes($"small file {i % distinct}\n"), i % 7 == 0 ? 600 : 644);
            if (i % 5 == 1)
                tree.Chown(path, 1001, 1001).Chmod(path, i % 7 == 0 ? 600 : 644);
            else if (i % 5 == 2)
                tree.Chown(path, 1002, 100).Chmod(path, i % 7 == 0 ? 600 : 644);
        }
        return tree;
    }

    /// <summary>
    /// <paramref name="files"/> sparse files of <paramref name="size"/> zero bytes under
    /// <paramref name="folder"/>, 50 per subfolder, one in ten owned by uid 1001. They cost no
    /// disk and no time to make, but every one must be read and hashed in full, while only two
    /// store entries (one per owner) are new: a run that is bound by hashing, for tests that
    /// need work to be going on while a node crashes or joins.
    /// </summary>
    public static TreeBuilder ZeroFiles(this TreeBuilder tree, string folder, int files, long size)
    {
        for (var i = 0; i < files; i++)
        {
            var path = $"{folder}/z{i / 50:D3}/zero{i % 50:D2}.bin";
            tree.File(path, []);
            if (Syscall.truncate(tree.PathOf(path), size) != 0)
                throw new IOException($"truncate {tree.PathOf(path)}: {Stdlib.GetLastError()}");
            if (i % 10 == 3)
                tree.Chown(path, 1001, 1001).Chmod(path, 644);
        }
        return tree;
    }

    /// <summary>
    /// Files that take more than one streamed chunk (chunks are 64 KiB), an empty file, a
    /// duplicate under another owner, a symlink, and a folder of another owner with its own mode.
    /// </summary>
    public static TreeBuilder Assorted(this TreeBuilder tree, string folder)
    {
        return tree
            .File($"{folder}/big.bin", Bytes(1_000_003, seed: 1))
            .File($"{folder}/medium.bin", Bytes(200_000, seed: 2), 640)
            .File($"{folder}/medium-copy.bin", Bytes(200_000, seed: 2), 640)
            .File($"{folder}/medium-other-owner.bin", Bytes(200_000, seed: 2), 640).Chown($"{folder}/medium-other-owner.bin", 1001, 1001).Chmod($"{folder}/medium-other-owner.bin", 640)
            .File($"{folder}/chunk-exactly.bin", Bytes(64 * 1024, seed: 3))
            .File($"{folder}/empty", [])
            .Symlink($"{folder}/link-to-big", "big.bin")
            .Dir($"{folder}/private", 750).Chown($"{folder}/private", 1002, 100).Chmod($"{folder}/private", 750)
            .File($"{folder}/private/notes.txt", "owned by 1002\n", 600).Chown($"{folder}/private/notes.txt", 1002, 100).Chmod($"{folder}/private/notes.txt", 600);
    }

    /// <summary>Two home folders from the shared corpus generator (../shared/corpus/make-corpus.py) in <paramref name="folder"/>.</summary>
    public static void Corpus(string folder)
    {
        var script = RepoPaths.CorpusGenerator;
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var result = PublishedCli.RunProgram(python, [script, "--out", folder, "--scale", "small", "--users", "2", "--jobs", "2"], GeneratorTimeout);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    /// <summary>Deterministic bytes that no call with another seed repeats.</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
