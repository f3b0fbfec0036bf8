using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Mono.Unix.Native;

namespace ActorBackup.Testing;

/// <summary>
/// Sparse files for tests: made from a few data pieces at chosen offsets, hashed from their
/// layout without touching the disk, and compared with a copy by reading only the ranges
/// either file holds data in (SEEK_DATA/SEEK_HOLE), so a 5 GiB file with 200 KB of data is
/// checked byte for byte in a blink. Outside those ranges both files are holes: zeros.
/// </summary>
public static class SparseFiles
{
    private const int SeekData = 3;
    private const int SeekHole = 4;
    private const int Enxio = 6;

    [DllImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static extern long Lseek(int fd, long offset, int whence);

    /// <summary>A new file of <paramref name="length"/> bytes holding <paramref name="pieces"/>, holes elsewhere.</summary>
    public static void Create(string path, long length, IEnumerable<(long Offset, byte[] Bytes)> pieces)
    {
        using var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write);
        foreach (var (offset, bytes) in pieces)
            RandomAccess.Write(file, bytes, offset);
        RandomAccess.SetLength(file, length);
    }

    /// <summary>The SHA1 (upper-case hex) of such a file's logical bytes, computed from its layout.</summary>
    public static string Sha1(long length, IEnumerable<(long Offset, byte[] Bytes)> pieces)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        var zeros = new byte[1 << 20];
        long at = 0;
        foreach (var (offset, bytes) in pieces.OrderBy(p => p.Offset).Append((length, [])))
        {
            for (; at < offset; at += Math.Min(zeros.Length, offset - at))
                hash.AppendData(zeros, 0, (int)Math.Min(zeros.Length, offset - at));
            hash.AppendData(bytes);
            at += bytes.Length;
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>Bytes the file takes on disk: st_blocks x 512.</summary>
    public static long Allocated(string path) => PosixFs.Lstat(path).st_blocks * 512;

    /// <summary>
    /// True when a non-empty file holds no data at all (SEEK_DATA finds none), so it reads as
    /// zeros without reading it. Names as bytes and paths of any length (<see cref="LongPaths"/>).
    /// </summary>
    public static bool IsAllHoles(string path, long size)
    {
        if (size == 0)
            return false;
        var fd = LongPaths.At(path, (dir, name) => Syscall.openat(dir, name, OpenFlags.O_RDONLY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC));
        if (fd < 0)
            throw PosixFs.Fail("open", path);
        try
        {
            return Lseek(fd, 0, SeekData) < 0 && Marshal.GetLastPInvokeError() == Enxio;
        }
        finally
        {
            Syscall.close(fd);
        }
    }

    /// <summary>The ranges [start, end) that hold data (anything not a hole).</summary>
    public static List<(long Start, long End)> DataRanges(string path)
    {
        using var file = File.OpenHandle(path);
        var fd = (int)file.DangerousGetHandle();
        var length = RandomAccess.GetLength(file);
        var ranges = new List<(long, long)>();
        for (long at = 0; at < length;)
        {
            var data = Lseek(fd, at, SeekData);
            if (data < 0)
                break; // ENXIO: a hole to the end
            var hole = Lseek(fd, data, SeekHole);
            ranges.Add((data, hole));
            at = hole;
        }
        return ranges;
    }

    /// <summary>Every difference in length or bytes between two files, reading only their data ranges; empty when they match.</summary>
    public static List<string> Differences(string expected, string actual)
    {
        var differences = new List<string>();
        var length = new FileInfo(expected).Length;
        if (new FileInfo(actual).Length != length)
        {
            differences.Add($"{actual} is {new FileInfo(actual).Length} bytes long, expected {length}");
            return differences;
        }
        using var a = File.OpenHandle(expected);
        using var b = File.OpenHandle(actual);
        var bufferA = new byte[1 << 20];
        var bufferB = new byte[1 << 20];
        foreach (var (start, end) in DataRanges(expected).Concat(DataRanges(actual)))
        {
            for (var at = start; at < end;)
            {
                var n = (int)Math.Min(bufferA.Length, end - at);
                var readA = RandomAccess.Read(a, bufferA.AsSpan(0, n), at);
                var readB = RandomAccess.Read(b, bufferB.AsSpan(0, n), at);
                if (readA != n || readB != n || !bufferA.AsSpan(0, n).SequenceEqual(bufferB.AsSpan(0, n)))
                {
                    differences.Add($"{actual}: bytes {at}..{at + n} differ from {expected}");
                    break;
                }
                at += n;
            }
        }
        return differences;
    }
}
