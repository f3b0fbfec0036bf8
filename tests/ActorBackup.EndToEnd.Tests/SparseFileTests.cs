using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Testing;
using Xunit.Abstractions;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// A sparse file bigger than 4 GiB: hashed over all its logical bytes, recorded with its
/// full size, stored without its holes filled in, and restored byte for byte, still sparse.
/// The one slow test of its kind (the tool hashes 5 GiB of zeros twice: backup and restore).
/// </summary>
public sealed class SparseFileTests(ITestOutputHelper log)
{
    private const long Length = 5L << 30;

    /// <summary>Data at the start, one block straddling the 4 GiB mark unaligned, and the last bytes.</summary>
    private static readonly (long Offset, byte[] Bytes)[] Pieces =
    [
        (1 << 20, Scenario.Bytes(64 * 1024, seed: 81)),
        ((4L << 30) - 5_000, Scenario.Bytes(100_000, seed: 82)),
        (Length - 70_000, Scenario.Bytes(70_000, seed: 83)),
    ];

    [Fact]
    public async Task A_sparse_file_over_4_GiB_is_stored_without_its_holes_and_restored_byte_for_byte()
    {
        using var s = new Scenario();
        s.Source.File("small.txt", "not sparse\n");
        var source = s.Source.PathOf("disk.img");
        SparseFiles.Create(source, Length, Pieces);
        var expectedHash = Task.Run(() => SparseFiles.Sha1(Length, Pieces)); // meanwhile: the backup runs

        var backup = s.BackupSucceeds("s1");
        log.WriteLine($"backup: {backup.Elapsed.TotalSeconds:F1} s");

        var line = s.Manifest("s1").Entry("disk.img");
        Assert.Equal(Length, line.Size);
        Assert.Equal(await expectedHash, line.Hash);
        var entry = s.EntryPath(line.Hash);
        Expect.SameInode(entry, s.InSnapshot("s1", "disk.img"));
        Assert.Empty(SparseFiles.Differences(source, entry));
        var stored = SparseFiles.Allocated(entry);
        log.WriteLine($"store entry: {Length} bytes, {stored} allocated (source: {SparseFiles.Allocated(source)})");
        Assert.True(stored < 1 << 20, $"the store entry takes {stored} bytes on disk for {Pieces.Sum(p => p.Bytes.Length)} bytes of data: its holes were filled");

        var target = s.Temp.Combine("restored");
        var restore = PublishedCli.Run("restore", $"--datafolder={s.Data}", "--snapshot=s1", $"--target={target}");
        log.WriteLine($"restore: {restore.Elapsed.TotalSeconds:F1} s");

        Expect.ExitCode(restore, 0); // restore checks the bytes' hash against the manifest's
        Assert.Empty(SparseFiles.Differences(source, target + "/disk.img"));
        Assert.True(SparseFiles.Allocated(target + "/disk.img") < 1 << 20, "the restored file should keep its holes");
        var (was, now) = (PosixFs.Lstat(source), PosixFs.Lstat(target + "/disk.img"));
        Assert.Equal((was.st_mode, was.st_uid, was.st_mtime, was.st_mtime_nsec), (now.st_mode, now.st_uid, now.st_mtime, now.st_mtime_nsec));
        Assert.Equal("not sparse\n"u8.ToArray(), PosixFs.ReadBytes(target + "/small.txt"));
    }
}
