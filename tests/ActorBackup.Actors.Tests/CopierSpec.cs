using ActorBackup.Actors.Storage;
using ActorBackup.Actors.Tests.Support;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;
using ActorBackup.Store.Catalog;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorBackup.Protocol.CopierProtocol;
using CopierActor = ActorBackup.Actors.DataStore.Copier;

namespace ActorBackup.Actors.Tests;

public sealed class CopierSpec(ITestOutputHelper output) : ActorSpec(output)
{
    private string TempFolder => Options().Store.TempFolder;

    private IActorRef StartCopier()
    {
        Directory.CreateDirectory(TempFolder);
        var options = Options();
        return Sys.ActorOf(Props.Create(() => new CopierActor(options, Settings)).WithDispatcher(Dispatchers.Io));
    }

    [Fact]
    public void Copier_writes_the_temp_file_with_the_source_bytes_and_reports_their_hash()
    {
        var bytes = new byte[(int)(2.5 * 1024 * 1024)];
        new Random(3).NextBytes(bytes);
        var source = SourceFile("docs/big.bin", bytes, mode: 0x1A0, uid: 1000, gid: 100);

        StartCopier().Tell(new CopyContent(5, source, "c-5.tmp", 1234, 4321, 0x9E8), TestActor);
        var copied = ExpectMsg<ContentCopied>();

        Assert.Equal(5, copied.Token);
        Assert.Equal(Sha1Hex(bytes), copied.Hash);
        Assert.Equal(bytes.Length, copied.Bytes);
        var temp = Path.Combine(TempFolder, "c-5.tmp");
        Assert.Equal(bytes, File.ReadAllBytes(temp));
        var meta = Files.Lstat(temp);
        Assert.Equal(1234u, meta.Uid);
        Assert.Equal(4321u, meta.Gid);
        Assert.Equal(0x9E8u, meta.Mode); // 04750: setuid survives, chmod comes after chown
        Assert.Equal(source.Meta.Mtime, meta.Mtime);
        Assert.Equal(1ul, meta.LinkCount);
        Assert.Equal(source.Meta.Mtime, Files.Lstat(Source("docs/big.bin")).Mtime);
    }

    [Fact]
    public void Copier_copies_an_empty_file()
    {
        var source = SourceFile("empty", []);

        StartCopier().Tell(new CopyContent(1, source, "e.tmp", 0, 0, 0x1A4), TestActor);
        var copied = ExpectMsg<ContentCopied>();

        Assert.Equal("DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", copied.Hash);
        Assert.Equal(0, new FileInfo(Path.Combine(TempFolder, "e.tmp")).Length);
    }

    [Fact]
    public void Copier_reports_a_vanished_source_as_a_source_problem_and_leaves_no_temp_file()
    {
        var source = SourceFile("gone", "bye");
        File.Delete(Source("gone"));

        StartCopier().Tell(new CopyContent(6, source, "c-6.tmp", 0, 0, 0x1A4), TestActor);
        var failed = ExpectMsg<ContentCopyFailed>();

        Assert.Equal(6, failed.Token);
        Assert.True(failed.SourceProblem);
        Assert.Contains("vanished", failed.Reason);
        Assert.Empty(TempFiles.List(Options().Store));
    }

    [Fact]
    public void Copier_refuses_a_source_replaced_by_another_inode_and_leaves_no_temp_file()
    {
        var source = SourceFile("f", "first");
        File.WriteAllText(Source("f.new"), "second");
        File.Move(Source("f.new"), Source("f"), overwrite: true);

        StartCopier().Tell(new CopyContent(7, source, "c-7.tmp", 0, 0, 0x1A4), TestActor);
        var failed = ExpectMsg<ContentCopyFailed>();

        Assert.True(failed.SourceProblem);
        Assert.Empty(TempFiles.List(Options().Store));
    }

    [Fact]
    public void Copier_reports_an_unusable_temp_folder_as_a_store_problem()
    {
        var source = SourceFile("f", "data");
        var copier = StartCopier();
        Directory.Delete(TempFolder);

        copier.Tell(new CopyContent(8, source, "c-8.tmp", 0, 0, 0x1A4), TestActor);
        var failed = ExpectMsg<ContentCopyFailed>();

        Assert.Equal(8, failed.Token);
        Assert.False(failed.SourceProblem);
    }
}
