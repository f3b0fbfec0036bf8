using ActorBackup.Posix;
using ActorBackup.Store.Content;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.Core.Tests;

/// <summary>
/// The one way new content becomes a temp file of the data folder (hashers' temp copies,
/// copiers, a storage node's receiver): every byte, all-zero blocks left as holes, the
/// length set, and owner, mode and mtime as the entry will have them.
/// </summary>
public sealed class TempFileWriterTests : IDisposable
{
    private readonly ActorBackup.Testing.TempDir _temp = new("actorbackup-tempwriter");

    public void Dispose() => _temp.Dispose();

    /// <summary>1 MiB: data at the start, in the middle across a block edge, nothing in the last 200 KiB.</summary>
    private static byte[] Content()
    {
        var content = new byte[1 << 20];
        for (var i = 0; i < 10_000; i++)
            content[i] = (byte)(i % 251 + 1);
        for (var i = 500_000; i < 500_100; i++)
            content[i] = 7;
        return content;
    }

    /// <summary>Writes <paramref name="content"/> in 64 KiB chunks from an aligned buffer, as a SourceReader hands them on.</summary>
    private static void WriteInChunks(TempFileWriter writer, byte[] content)
    {
        var buffer = DirectIo.AlignedBuffer(64 * 1024);
        for (var offset = 0; offset < content.Length; offset += buffer.Length)
        {
            var length = Math.Min(buffer.Length, content.Length - offset);
            content.AsSpan(offset, length).CopyTo(buffer.Span);
            writer.Write(buffer.Span[..length], offset);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TempFileWriter_keeps_every_byte_and_leaves_all_zero_blocks_as_holes_with_or_without_O_DIRECT(bool directWrites)
    {
        var content = Content();
        var direct = directWrites;
        string path;
        using (var writer = TempFileWriter.Create(_temp.Path, "1.tmp", content.Length, ref direct))
        {
            path = writer.Path;
            WriteInChunks(writer, content);
            Assert.Equal(content.Length, writer.Bytes);
            writer.Finish(content.Length, Files.Euid, Files.Egid, 0x1A4, new Timestamp(1_600_000_000, 0), chown: false);
        }

        Assert.Equal(_temp.Combine("1.tmp"), path);
        Assert.Equal(content, File.ReadAllBytes(path));
        // Data lies in blocks 0-2 and 122: the ranges SEEK_DATA finds stay inside them (a file
        // system may round to bigger units), and the trailing 200 KiB are a hole.
        var ranges = SparseFiles.DataRanges(path);
        Assert.NotEmpty(ranges);
        Assert.All(ranges, r => Assert.True(r.End <= 600_000, $"data at {r.Start}-{r.End}"));
        Assert.True(SparseFiles.Allocated(path) <= 128 * 1024, $"the temp file takes {SparseFiles.Allocated(path)} bytes");
    }

    [Fact]
    public void TempFileWriter_sets_owner_mode_with_setuid_and_mtime_to_the_nanosecond()
    {
        var root = Files.IsRoot;
        var (uid, gid) = root ? (1234u, 5678u) : (Files.Euid, Files.Egid);
        var mode = root ? 0xDEDu : 0x1EDu; // 04755 (chown clears setuid: chmod must come after), else 0755
        var direct = false;
        using (var writer = TempFileWriter.Create(_temp.Path, "meta.tmp", 3, ref direct))
        {
            writer.Write("abc"u8, 0);
            writer.Finish(3, uid, gid, mode, new Timestamp(1_500_000_000, 123_456_789), chown: root);
        }

        var st = PosixFs.Lstat(_temp.Combine("meta.tmp"));
        Assert.Equal(uid, st.st_uid);
        Assert.Equal(gid, st.st_gid);
        Assert.Equal(mode, PosixFs.ModeOf(st));
        Assert.Equal(1_500_000_000, st.st_mtime);
        Assert.Equal(123_456_789, st.st_mtime_nsec);
        Assert.Equal("abc"u8.ToArray(), File.ReadAllBytes(_temp.Combine("meta.tmp")));
    }

    [Fact]
    public void TempFileWriter_sets_the_length_past_trailing_zeros_and_starts_over_empty_on_restart()
    {
        var writer = TempFileWriter.Create(_temp.Path, "restart.tmp");
        using (writer)
        {
            writer.Write(new byte[] { 9, 9, 9, 9 }, 0);
            writer.Restart();
            Assert.Equal(0, writer.Bytes);
            writer.Write(new byte[] { 1, 2 }, 0);
            writer.Write(new byte[8192], 2); // zeros: never written
            Assert.Equal(8194, writer.Bytes);
            writer.Finish(8194, Files.Euid, Files.Egid, 0x180, new Timestamp(1, 0), chown: false);
        }

        var expected = new byte[8194];
        (expected[0], expected[1]) = (1, 2);
        Assert.Equal(expected, File.ReadAllBytes(writer.Path));
    }

    [Fact]
    public void TempFileWriter_never_takes_over_an_existing_name_and_removes_its_own_file()
    {
        File.WriteAllText(_temp.Combine("taken.tmp"), "someone else's");
        var direct = false;

        var e = Assert.Throws<PosixException>(() => TempFileWriter.Create(_temp.Path, "taken.tmp", 14, ref direct));
        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Equal("someone else's", File.ReadAllText(_temp.Combine("taken.tmp")));

        var writer = TempFileWriter.Create(_temp.Path, "mine.tmp", 3, ref direct);
        writer.Write("abc"u8, 0);
        Assert.True(writer.TryRemove());
        Assert.False(File.Exists(writer.Path));
    }
}
