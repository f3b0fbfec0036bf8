using Microsoft.Win32.SafeHandles;

namespace ActorBackup.Actors.Hasher;

/// <summary>
/// Writes a file's bytes into a new file (a store entry's temp file, a restored file),
/// leaving every all-zero 4 KiB block (aligned in the file) unwritten: a hole. So a sparse
/// source is not inflated in the store, and comes back sparse. <see cref="Finish"/> sets
/// the length, since trailing zeros were never written. The bytes read back are the same
/// either way; only the space they take differs (like `cp --sparse=always`).
/// </summary>
public sealed class SparseWriter(SafeFileHandle output)
{
    /// <summary>The block size of ext4, XFS and tmpfs on x86_64; a larger one still gets its all-zero blocks as holes.</summary>
    private const int Block = 4096;

    /// <summary>The end of the bytes written so far.</summary>
    private long _end;

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
        RandomAccess.Write(output, run, offset);
        _end = Math.Max(_end, offset + run.Length);
    }
}
