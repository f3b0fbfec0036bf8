using ActorBackup.Actors.Tests.Support;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorBackup.Protocol.HasherProtocol;
using HasherActor = ActorBackup.Actors.Hasher.Hasher;

namespace ActorBackup.Actors.Tests;

public sealed class HasherSpec(ITestOutputHelper output) : ActorSpec(output)
{
    private IActorRef Hasher(RunOptions? options = null)
    {
        var o = options ?? Options();
        return Sys.ActorOf(Props.Create(() => new HasherActor(o, Settings)).WithDispatcher(Dispatchers.Hash));
    }

    [Fact]
    public void Hasher_hashes_every_file_of_a_batch()
    {
        var big = new byte[(int)(2.5 * 1024 * 1024)]; // more than one read buffer
        new Random(42).NextBytes(big);
        var empty = SourceFile("empty", []);
        var abc = SourceFile("abc", "abc");
        var large = SourceFile("sub/large", big);

        Hasher().Tell(new HashFiles(7, [empty, abc, large]), TestActor);
        var result = ExpectMsg<FilesHashed>();

        Assert.Equal(7, result.BatchId);
        Assert.Empty(result.Problems);
        Assert.Equal(["empty", "abc", "sub/large"], result.Hashed.Select(h => h.Source.Path));
        Assert.Equal(
            ["DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "A9993E364706816ABA3E25717850C26C9CD0D89D", Sha1Hex(big)],
            result.Hashed.Select(h => h.Hash));
        Assert.Equal(3 + big.Length, result.BytesRead);
        Assert.Equal(large.Meta.Inode, result.Hashed[2].Source.Meta.Inode);
        Assert.Equal(big.Length, result.Hashed[2].Source.Meta.Size);
    }

    [Fact]
    public void Hasher_copies_each_file_into_the_temp_folder_its_sequence_number_names()
    {
        var options = Options();
        foreach (var folder in options.Store.TempFolders)
            Directory.CreateDirectory(folder); // as the data-store makes them
        var files = Enumerable.Range(0, 18).Select(i => SourceFile($"f{i}", $"content {i}")).ToList();

        Hasher(options).Tell(new HashFiles(1, files, CopyToStore: true), TestActor);
        var result = ExpectMsg<FilesHashed>();

        Assert.Equal(18, result.Hashed.Count);
        foreach (var file in result.Hashed)
        {
            var sequence = long.Parse(file.Temp!.Split('/')[1].Split('-')[1].TrimStart('h').Replace(".tmp", ""));
            Assert.Equal($"{sequence % 16:x2}/{Environment.ProcessId}-h{sequence}.tmp", file.Temp);
            Assert.Equal($"content {file.Source.Path[1..]}", File.ReadAllText(Path.Combine(options.Store.TempFolder, file.Temp)));
        }
        Assert.Equal(16, result.Hashed.Select(f => f.Temp![..2]).Distinct().Count());
    }

    [Fact]
    public void Hasher_uses_sha256_when_the_store_does()
    {
        var abc = SourceFile("abc", "abc");

        Hasher(Options(hash: HashKind.Sha256)).Tell(new HashFiles(1, [abc]), TestActor);
        var result = ExpectMsg<FilesHashed>();

        Assert.Equal("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", Assert.Single(result.Hashed).Hash);
    }

    [Fact]
    public void Hasher_reports_a_missing_file_as_a_problem_and_hashes_the_rest()
    {
        var gone = SourceFile("gone", "soon gone");
        var kept = SourceFile("kept", "abc");
        File.Delete(Source("gone"));

        Hasher().Tell(new HashFiles(2, [gone, kept]), TestActor);
        var result = ExpectMsg<FilesHashed>();

        var problem = Assert.Single(result.Problems);
        Assert.Equal("gone", problem.Path);
        Assert.Contains("vanished", problem.Reason);
        Assert.Equal("kept", Assert.Single(result.Hashed).Source.Path);
        Assert.Equal(3, result.BytesRead);
    }

    [Fact]
    public void Hasher_detects_a_file_replaced_by_a_different_inode()
    {
        var seen = SourceFile("f", "original");
        File.WriteAllText(Source("f.new"), "original");
        File.Move(Source("f.new"), Source("f"), overwrite: true);
        Assert.NotEqual(seen.Meta.Inode, Files.Lstat(Source("f")).Inode);

        Hasher().Tell(new HashFiles(3, [seen]), TestActor);
        var result = ExpectMsg<FilesHashed>();

        Assert.Empty(result.Hashed);
        var problem = Assert.Single(result.Problems);
        Assert.Equal("f", problem.Path);
        Assert.Contains("replaced by another file", problem.Reason);
    }

    [Fact]
    public void Hasher_does_not_follow_a_file_swapped_for_a_symlink()
    {
        var seen = SourceFile("f", "harmless");
        File.WriteAllText(Temp["shadow"], "root:secret");
        File.Delete(Source("f"));
        File.CreateSymbolicLink(Source("f"), Temp["shadow"]);

        Hasher().Tell(new HashFiles(4, [seen]), TestActor);
        var result = ExpectMsg<FilesHashed>();

        Assert.Empty(result.Hashed);
        Assert.Equal(0, result.BytesRead);
        Assert.Contains("symlink", Assert.Single(result.Problems).Reason);
    }

    [Fact]
    public void Hasher_pool_answers_each_batch_to_its_sender()
    {
        var a = SourceFile("a", "abc");
        var b = SourceFile("b", "");
        var pool = Sys.ActorOf(HasherActor.Pool(Options(), Settings));

        pool.Tell(new HashFiles(10, [a]), TestActor);
        pool.Tell(new HashFiles(11, [b]), TestActor);
        var results = new[] { ExpectMsg<FilesHashed>(), ExpectMsg<FilesHashed>() }.OrderBy(r => r.BatchId).ToList();

        Assert.Equal([10L, 11L], results.Select(r => r.BatchId));
        Assert.Equal("A9993E364706816ABA3E25717850C26C9CD0D89D", Assert.Single(results[0].Hashed).Hash);
        Assert.Equal("DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", Assert.Single(results[1].Hashed).Hash);
    }
}
