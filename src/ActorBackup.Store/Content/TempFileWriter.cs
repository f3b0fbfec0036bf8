using ActorBackup.Core;
using ActorBackup.Posix;
using Microsoft.Win32.SafeHandles;

namespace ActorBackup.Store.Content;

/// <summary>
/// A new temp file of the data folder being filled with one content: created exclusive
/// (O_DIRECT while the file system takes it, see <see cref="SparseWriter.Create"/>), written
/// through a <see cref="SparseWriter"/> so all-zero blocks stay holes, and finished with its
/// length and the owner, mode and mtime its entry will have. It never fsyncs and never names
/// the file: the data-store does both, after checking the hash, for a group of entries at
/// once. Shared by the hashers' temp copies, the copiers and a storage node's content receiver.
/// </summary>
public sealed class TempFileWriter : IDisposable
{
    private readonly SafeFileHandle _output;
    private readonly SparseWriter _writer;

    private TempFileWriter(string path, SafeFileHandle output, bool direct)
    {
        Path = path;
        _output = output;
        _writer = new SparseWriter(output, direct);
    }

    /// <summary>The temp file's path: the temp folder and the name it was created with.</summary>
    public string Path { get; }

    /// <summary>The end of the content written so far, holes included (0 again after <see cref="Restart"/>).</summary>
    public long Bytes { get; private set; }

    /// <summary>
    /// Creates <paramref name="name"/> in <paramref name="folder"/> (it must not exist) for a
    /// content of <paramref name="size"/> bytes, O_DIRECT while <paramref name="directWorks"/>
    /// holds (turned off for good when the file system refuses it). Throws
    /// <see cref="PosixException"/> when the file cannot be created.
    /// </summary>
    public static TempFileWriter Create(string folder, string name, long size, ref bool directWorks)
    {
        var path = System.IO.Path.Combine(folder, name);
        var output = SparseWriter.Create(path, size, ref directWorks, out var direct);
        return new TempFileWriter(path, output, direct);
    }

    /// <summary>Creates <paramref name="name"/> in <paramref name="folder"/>, written through the page cache (chunks from buffers that are not aligned).</summary>
    public static TempFileWriter Create(string folder, string name)
    {
        var path = System.IO.Path.Combine(folder, name);
        return new TempFileWriter(path, Files.CreateExclusive(path), direct: false);
    }

    /// <summary>Writes <paramref name="chunk"/> at <paramref name="offset"/>, leaving all-zero blocks as holes; IOException when the write fails (no space).</summary>
    public void Write(ReadOnlySpan<byte> chunk, long offset)
    {
        _writer.Write(chunk, offset);
        Bytes = Math.Max(Bytes, offset + chunk.Length);
    }

    /// <summary>Empties the file, for a source read again after it changed.</summary>
    public void Restart()
    {
        _writer.Restart();
        Bytes = 0;
    }

    /// <summary>
    /// Gives the file its <paramref name="length"/> (trailing holes were never written), then
    /// owner (when <paramref name="chown"/>), mode and mtime: chmod after chown, which clears
    /// setuid and setgid.
    /// </summary>
    public void Finish(long length, uint uid, uint gid, uint mode, Timestamp mtime, bool chown)
    {
        _writer.Finish(length);
        Files.SetMeta(_output, Path, uid, gid, mode, mtime, chown);
        Bytes = length;
    }

    /// <summary>Closes and removes the file (a copy that failed or is not wanted); throws <see cref="PosixException"/> when it cannot be removed.</summary>
    public void Remove()
    {
        Dispose();
        Files.Unlink(Path);
    }

    /// <summary>
    /// Closes and removes the file where it can; false when it could not be removed. The run
    /// reports the failure that led here itself, and a leftover temp file is removed by the next run.
    /// </summary>
    public bool TryRemove()
    {
        try
        {
            Remove();
            return true;
        }
        catch (PosixException)
        {
            return false;
        }
    }

    /// <summary>Closes the file; it stays, for the data-store to name or remove.</summary>
    public void Dispose() => _output.Dispose();
}
