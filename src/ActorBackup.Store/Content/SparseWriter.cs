using ActorBackup.Core;
using ActorBackup.Posix;
using Microsoft.Win32.SafeHandles;

namespace ActorBackup.Store.Content;

/// <summary>
/// Writes a file's bytes into a new file (a store entry's temp file, a restored file),
/// leaving every all-zero 4 KiB block (aligned in the file) unwritten: a hole. So a sparse
/// source is not inflated in the store, and comes back sparse. <see cref="Finish"/> sets
/// the length, since trailing zeros were never written. The bytes read back are the same
/// either way; only the space they take differs (like `cp --sparse=always`).
///
/// With <paramref name="direct"/>, the file is one opened O_DIRECT (<see cref="DirectIo"/>):
/// whole blocks are written direct from where they are (an aligned buffer); the first
/// write that is not whole aligned blocks (the file's last partial block, a short read
/// mid-file, an unaligned caller's buffer) turns O_DIRECT off and goes, with the rest of
/// the file, through the page cache. Never padded and cut back: cutting a direct-written
/// file inside a block makes the file system read that block back from the disk.
/// </summary>
public sealed class SparseWriter(SafeFileHandle output, bool direct = false)
{
    /// <summary>The block size of ext4, XFS and tmpfs on x86_64; a larger one still gets its all-zero blocks as holes.</summary>
    private const int Block = DirectIo.Alignment;

    private bool _direct = direct;

    /// <summary>The end of the bytes written so far.</summary>
    private long _end;

    /// <summary>
    /// Files smaller than this are written through the page cache: for them the extra
    /// calls cost more than the copy (the last partial block always goes through the cache).
    /// </summary>
    public const long DirectFrom = 64 * 1024;

    /// <summary>
    /// Creates a new store temp file (it must not exist) for a content of <paramref name="size"/>
    /// bytes; <paramref name="direct"/> tells whether it is open O_DIRECT, which is tried
    /// while <paramref name="directWorks"/> holds and turned off for good when the file
    /// system refuses it.
    /// </summary>
    public static SafeFileHandle Create(string path, long size, ref bool directWorks, out bool direct)
    {
        direct = directWorks && size >= DirectFrom;
        if (direct)
        {
            if (DirectIo.TryCreateExclusive(path) is { } handle)
                return handle;
            directWorks = direct = false;
        }
        return Files.CreateExclusive(path);
    }

    /// <summary>Writes <paramref name="chunk"/> at <paramref name="offset"/>, skipping all-zero blocks.</summary>
    public void Write(ReadOnlySpan<byte> chunk, long offset)
    {
        var run = -1; // start of the non-zero run being gathered, so data is written in one call
        var i = 0;
        while (i < chunk.Length)
        {
            var next = (int)Math.Min(chunk.Length, i + (Block - ((offset + i) % Block)));
            var piece = chunk[i..next];
            var hole = piece.Length == Block && !piece.ContainsAnyExcept((byte)0);
            if (hole && run >= 0)
            {
                WriteRun(chunk[run..i], offset + run);
                run = -1;
            }
            else if (!hole && run < 0)
                run = i;
            i = next;
        }
        if (run >= 0)
            WriteRun(chunk[run..], offset + run);
    }

    /// <summary>Starts over, for a source read again after it changed: the file is emptied.</summary>
    public void Restart()
    {
        RandomAccess.SetLength(output, 0);
        _end = 0;
    }

    /// <summary>Gives the file its <paramref name="length"/>: the trailing holes, or the end of a retried read.</summary>
    public void Finish(long length)
    {
        if (_end != length)
            RandomAccess.SetLength(output, length);
    }

    private void WriteRun(ReadOnlySpan<byte> run, long offset)
    {
        if (_direct)
        {
            var whole = run.Length / Block * Block;
            if (offset % Block == 0 && whole > 0 && DirectIo.TryWrite(output, run[..whole], offset))
            {
                _end = Math.Max(_end, offset + whole);
                run = run[whole..];
                offset += whole;
                if (run.IsEmpty)
                    return;
            }
            DirectIo.Stop(output);
            _direct = false;
        }
        PositionalIo.Write(output, run, offset);
        _end = Math.Max(_end, offset + run.Length);
    }
}
