using System.Security.Cryptography;
using ActorBackup.Core;
using ActorBackup.Actors.Hasher;
using ActorBackup.Posix;
using ActorBackup.Store.Content;
using ActorBackup.Testing;
using Microsoft.Win32.SafeHandles;

namespace ActorBackup.Actors.Tests;

/// <summary>
/// The copy path every store write and restore shares: HashStream hashes a sparse file's
/// holes as zeros without reading them, and SparseWriter leaves all-zero blocks unwritten.
/// </summary>
public sealed class SparseCopyTests : IDisposable
{
    private readonly ActorBackup.Testing.TempDir _temp = new("actorbackup-sparse");

    public void Dispose() => _temp.Dispose();

    /// <summary>Copies <paramref name="source"/> to a new file through HashStream and a SparseWriter; returns the hash and bytes.</summary>
    private static (string Hash, long Bytes) Copy(string source, string target, int bufferSize)
    {
        using var input = File.OpenHandle(source);
        using var output = File.OpenHandle(target, FileMode.CreateNew, FileAccess.Write);
        using var hash = HashKind.Sha1.Create();
        var writer = new SparseWriter(output);
        var bytes = HashStream.Read(input, new byte[bufferSize], hash, writer.Write, out var error);
        Assert.Null(error);
        writer.Finish(bytes);
        return (Convert.ToHexString(hash.GetHashAndReset()), bytes);
    }

    [Fact]
    public void SparseWriter_leaves_all_zero_blocks_of_a_dense_file_as_holes_and_keeps_every_byte()
    {
        // Written densely: zeros on disk. Data straddles block edges; the tail is zeros.
        var content = new byte[300 * 1024];
        Fill(content, 0, 5_000);
        Fill(content, 70_001, 10);
        Fill(content, 131_072, 4_096);
        var source = _temp.Combine("dense");
        File.WriteAllBytes(source, content);
        var target = _temp.Combine("copy");

        var (hash, bytes) = Copy(source, target, bufferSize: 16 * 1024);

        Assert.Equal(content.Length, bytes);
        Assert.Equal(Convert.ToHexString(SHA1.HashData(content)), hash);
        Assert.Equal(content, File.ReadAllBytes(target));
        Assert.True(SparseFiles.Allocated(source) >= content.Length, "the source should be dense");
        // Data touches blocks 0-1, 17, 32: at most 4 blocks (more if the file system allocates in bigger units).
        Assert.True(SparseFiles.Allocated(target) <= 64 * 1024, $"the copy takes {SparseFiles.Allocated(target)} bytes");
    }

    [Fact]
    public void HashStream_hashes_the_holes_of_a_sparse_file_as_zeros_and_hands_every_range_to_the_sink()
    {
        const long length = 40L << 20;
        (long, byte[])[] pieces = [(3 << 20, Bytes(70_000, 1)), ((20L << 20) + 123, Bytes(5_000, 2)), (length - 10, Bytes(10, 3))];
        var source = _temp.Combine("sparse");
        SparseFiles.Create(source, length, pieces);
        var seen = new List<(long Offset, int Length)>();
        using var input = File.OpenHandle(source);
        using var hash = HashKind.Sha1.Create();

        var bytes = HashStream.Read(input, new byte[1 << 20], hash, (chunk, offset) => seen.Add((offset, chunk.Length)), out var error);

        Assert.Null(error);
        Assert.Equal(length, bytes);
        Assert.Equal(SparseFiles.Sha1(length, pieces), Convert.ToHexString(hash.GetHashAndReset()));
        long next = 0;
        foreach (var (offset, count) in seen)
        {
            Assert.Equal(next, offset);
            next += count;
        }
        Assert.Equal(length, next);

        var target = _temp.Combine("copy");
        Copy(source, target, bufferSize: 1 << 20);
        Assert.Empty(SparseFiles.Differences(source, target));
        Assert.True(SparseFiles.Allocated(target) < 1 << 20, $"the copy takes {SparseFiles.Allocated(target)} bytes");
    }

    [Fact]
    public void SparseWriter_restart_empties_the_file_for_a_shorter_second_read()
    {
        var target = _temp.Combine("restarted");
        using (var output = File.OpenHandle(target, FileMode.CreateNew, FileAccess.Write))
        {
            var writer = new SparseWriter(output);
            writer.Write(Bytes(10_000, 4), 0);
            writer.Restart();
            var shorter = Bytes(3_000, 5);
            writer.Write(shorter, 0);
            writer.Write(new byte[8192], 4096); // a zero block past the data: a hole, then the end
            writer.Finish(4096 + 8192);
        }

        var read = File.ReadAllBytes(target);
        Assert.Equal(4096 + 8192, read.Length);
        Assert.Equal(Bytes(3_000, 5), read[..3_000]);
        Assert.All(read[3_000..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Direct_writes_keep_every_byte_and_hole_and_leave_the_last_partial_block_to_the_page_cache()
    {
        // 3 MiB + 5,000 bytes: whole blocks go direct from the aligned read buffer, a zero
        // block run stays a hole, the tail takes an ordinary write.
        var content = Bytes(3 * 1024 * 1024 + 5_000, 6);
        Array.Clear(content, 1 << 20, 256 * 1024);
        var source = _temp.Combine("big");
        File.WriteAllBytes(source, content);
        var target = _temp.Combine("direct");
        using var input = File.OpenHandle(source);
        using var hash = HashKind.Sha1.Create();
        long bytes;
        using (var output = DirectIo.TryCreateExclusive(target) ?? throw new Xunit.Sdk.XunitException("O_DIRECT refused"))
        {
            var writer = new SparseWriter(output, direct: true);
            var directAfterWholeBlocks = new List<bool>();
            bytes = HashStream.Read(input, DirectIo.AlignedBuffer(1 << 20).Span, hash, (chunk, offset) =>
            {
                writer.Write(chunk, offset);
                directAfterWholeBlocks.Add(IsDirect(output));
            }, out var error);
            Assert.Null(error);
            writer.Finish(bytes);
            Assert.Equal([true, true, true, false], directAfterWholeBlocks);
        }

        Assert.Equal(content.Length, bytes);
        Assert.Equal(Convert.ToHexString(SHA1.HashData(content)), Convert.ToHexString(hash.GetHashAndReset()));
        Assert.Equal(content, File.ReadAllBytes(target));
        Assert.True(SparseFiles.Allocated(target) <= content.Length - 256 * 1024 + 4096, $"the copy takes {SparseFiles.Allocated(target)} bytes");
    }

    [Fact]
    public void A_direct_writer_given_unaligned_writes_turns_O_DIRECT_off_and_keeps_every_byte()
    {
        var content = Bytes(200_000, 7);
        var target = _temp.Combine("unaligned");
        using (var output = DirectIo.TryCreateExclusive(target) ?? throw new Xunit.Sdk.XunitException("O_DIRECT refused"))
        {
            var writer = new SparseWriter(output, direct: true);
            var aligned = DirectIo.AlignedBuffer(64 * 1024);
            content.AsSpan(0, 65_536).CopyTo(aligned.Span);
            writer.Write(aligned.Span, 0);
            Assert.True(IsDirect(output));
            // Mid-file at an offset that is no block boundary (a short read): ordinary writes from here.
            writer.Write(content.AsSpan(65_536, 1_000), 65_536);
            writer.Write(content.AsSpan(66_536), 66_536);
            Assert.False(IsDirect(output));
            writer.Finish(content.Length);
        }

        Assert.Equal(content, File.ReadAllBytes(target));
    }

    /// <summary>Whether the open file has O_DIRECT set, as the kernel reports it in /proc/self/fdinfo.</summary>
    private static bool IsDirect(SafeFileHandle handle)
    {
        var flags = File.ReadAllLines($"/proc/self/fdinfo/{handle.DangerousGetHandle()}").First(l => l.StartsWith("flags:"));
        return (Convert.ToInt32(flags["flags:".Length..].Trim(), 8) & Mono.Unix.Native.NativeConvert.FromOpenFlags(Mono.Unix.Native.OpenFlags.O_DIRECT)) != 0;
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static void Fill(byte[] content, int offset, int length) => Bytes(length, offset).CopyTo(content, offset);
}
