using ActorBackup.Core;
using ActorBackup.Posix;
using Microsoft.Win32.SafeHandles;

namespace ActorBackup.Store.Content;

/// <summary>
/// The read loop every reader that hashes shares (the hashers reading sources, verify
/// re-reading store entries): an open file streamed from offset 0 to its end through one
/// reused buffer into a hash, and optionally into a sink.
///
/// Holes of a sparse file are not read: they are zeros by definition, so the loop feeds
/// zeros from the buffer to the hash and the sink (a <see cref="SparseWriter"/> then leaves
/// them holes). A 5 GiB sparse file costs hashing 5 GiB, not reading it through the kernel.
/// </summary>
public static class HashStream
{
    /// <summary>
    /// Reads <paramref name="handle"/> to its end; returns the bytes read. A read error stops
    /// the loop and is returned in <paramref name="readError"/> (the hash is then incomplete).
    /// The sink's own exceptions (it writes elsewhere: no space) leave as exceptions. The
    /// loop reads until a read returns nothing, not up to the size fstat gave: a file whose
    /// size lies (procfs, some FUSE file systems) then shows as one whose bytes differ from
    /// its size, never as the first part of it.
    /// </summary>
    public static long Read(SafeFileHandle handle, Span<byte> buffer, ContentHasher hash, Action<ReadOnlySpan<byte>, long>? sink, out string? readError)
    {
        readError = null;
        long offset = 0;
        // Where the next hole starts. Asked only once a file proves bigger than the buffer,
        // so a small file costs no extra call.
        var hole = long.MaxValue;
        var asked = false;
        while (true)
        {
            if (offset >= hole)
            {
                var end = HoleEnd(handle, offset);
                // At the end of the file, or no answer: read on (a read at the end returns 0).
                hole = end > offset ? Holes.NextHole(handle, end) : long.MaxValue;
                Zeros(buffer, hash, sink, offset, end);
                offset = Math.Max(offset, end);
                continue;
            }
            int n;
            try
            {
                n = PositionalIo.Read(handle, buffer[..(int)Math.Min(buffer.Length, hole - offset)], offset);
            }
            catch (IOException e)
            {
                readError = e.Message;
                return offset;
            }
            if (n == 0)
                return offset;
            var chunk = buffer[..n];
            hash.AppendData(chunk);
            sink?.Invoke(chunk, offset);
            offset += n;
            if (!asked && n == buffer.Length)
            {
                asked = true;
                hole = Holes.NextHole(handle, offset);
            }
        }
    }

    /// <summary>Where the hole at <paramref name="offset"/> ends: the next data, or the end of the file.</summary>
    private static long HoleEnd(SafeFileHandle handle, long offset)
    {
        var data = Holes.NextData(handle, offset);
        return data >= 0 ? data : Holes.End(handle);
    }

    /// <summary>Feeds the zeros from <paramref name="from"/> to <paramref name="to"/> to the hash and the sink.</summary>
    private static void Zeros(Span<byte> buffer, ContentHasher hash, Action<ReadOnlySpan<byte>, long>? sink, long from, long to)
    {
        if (to <= from)
            return;
        buffer.Clear();
        for (var offset = from; offset < to;)
        {
            var zeros = buffer[..(int)Math.Min(buffer.Length, to - offset)];
            hash.AppendData(zeros);
            sink?.Invoke(zeros, offset);
            offset += zeros.Length;
        }
    }
}
