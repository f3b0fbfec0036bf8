using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ActorBackup.Core.Manifest;

/// <summary>
/// Reads one directory's entries from a published (sorted) manifest without loading the
/// rest: a binary search over the file's bytes finds the directory's group, and the group
/// is read sequentially. Memory is one read buffer plus the group. Instances are not
/// thread-safe; each walker opens its own.
/// </summary>
public sealed class DirectoryIndex : IDisposable
{
    private const int Block = 64 * 1024;
    private const int Probe = 1024; // a binary-search probe needs one line, not a block

    private readonly SafeFileHandle _file;
    private readonly long _dataStart;
    private readonly long _dataEnd;
    private readonly byte[] _buffer = new byte[Block];
    private long _bufferStart = -1;
    private int _bufferLength;

    // Where the last group ended, and its directory: a later directory starts its search there.
    private string? _lastDirectory;
    private long _lastEnd;

    private DirectoryIndex(SafeFileHandle file, long dataStart, long dataEnd)
    {
        _file = file;
        _dataStart = dataStart;
        _dataEnd = dataEnd;
        _lastEnd = dataStart;
    }

    public string Path { get; private init; } = "";

    /// <summary>
    /// Opens a published manifest. Throws <see cref="FormatException"/> when it is not a
    /// complete manifest sorted by directory (an older one, or a partial one).
    /// </summary>
    public static DirectoryIndex Open(string path)
    {
        var header = ManifestReader.ReadLeadingHeader(path);
        if (!header.TryGetValue(ManifestSorter.OrderHeader, out var order) || order != ManifestSorter.OrderValue)
            throw new FormatException($"{path} is not sorted by directory (written by an older version)");
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.RandomAccess);
        try
        {
            var length = RandomAccess.GetLength(file);
            var end = EndLineStart(file, length)
                ?? throw new FormatException($"{path} has no #end line: the run that wrote it did not finish");
            var start = HeaderEnd(file, end);
            return new DirectoryIndex(file, start, end) { Path = path };
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The entries whose parent is <paramref name="directory"/> (snapshot-relative, "" for the root), by name.</summary>
    public Dictionary<string, ManifestEntry> Children(string directory)
    {
        var wanted = directory.Length == 0 ? "" : PathBytes.Escape(directory);
        var result = new Dictionary<string, ManifestEntry>(StringComparer.Ordinal);
        var offset = Seek(wanted);
        while (offset < _dataEnd)
        {
            var (line, next) = LineAt(offset, Block);
            var path = ManifestOrder.PathField(line);
            if (path is "." || !ManifestOrder.ParentField(path).SequenceEqual(wanted))
                break;
            var entry = ManifestFormat.Parse(line);
            result[entry.Path[(entry.Path.LastIndexOf('/') + 1)..]] = entry;
            offset = next;
        }
        _lastDirectory = wanted;
        _lastEnd = offset;
        return result;
    }

    /// <summary>The offset of the first line whose parent is not before <paramref name="wanted"/>.</summary>
    private long Seek(string wanted)
    {
        // Invariant: every line that starts before lo belongs before the wanted group.
        var lo = _dataStart;
        if (_lastDirectory != null && ManifestOrder.CompareDirectories(_lastDirectory, wanted) < 0)
            lo = _lastEnd;
        // Gallop first: a depth-first walk usually asks for a group at or just after lo.
        var hi = _dataEnd;
        for (long step = Probe; lo + step < _dataEnd; step *= 4)
        {
            var start = NextLineStart(lo + step);
            if (start >= _dataEnd)
                break;
            var (line, next) = LineAt(start, Probe);
            if (!Before(line, wanted))
            {
                hi = start;
                break;
            }
            lo = next;
        }
        while (hi - lo > 4 * Probe)
        {
            var mid = lo + (hi - lo) / 2;
            var start = NextLineStart(mid);
            if (start >= hi)
            {
                hi = mid;
                continue;
            }
            var (line, next) = LineAt(start, Probe);
            if (Before(line, wanted))
                lo = next;
            else
                hi = start;
        }
        while (lo < _dataEnd)
        {
            var (line, next) = LineAt(lo, Block);
            if (!Before(line, wanted))
                break;
            lo = next;
        }
        return lo;
    }

    private static bool Before(string line, string wanted)
    {
        var path = ManifestOrder.PathField(line);
        return path is "." || ManifestOrder.CompareDirectories(ManifestOrder.ParentField(path), wanted) < 0;
    }

    private long NextLineStart(long offset)
    {
        // The line containing offset - 1 ends somewhere at or after it.
        var position = offset - 1;
        while (position < _dataEnd)
        {
            var span = Fill(position, Probe);
            var newline = span.IndexOf((byte)'\n');
            if (newline >= 0)
                return position + newline + 1;
            position += span.Length;
        }
        return _dataEnd;
    }

    private (string Line, long Next) LineAt(long offset, int want)
    {
        var span = Fill(offset, want);
        var newline = span.IndexOf((byte)'\n');
        if (newline >= 0)
            return (Encoding.ASCII.GetString(span[..newline]), offset + newline + 1);
        // A line longer than what is buffered (deep paths): gather it.
        var bytes = new List<byte>(span.ToArray());
        var position = offset + span.Length;
        while (position < _dataEnd)
        {
            var more = Fill(position, Block);
            newline = more.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                bytes.AddRange(more[..newline].ToArray());
                return (Encoding.ASCII.GetString(bytes.ToArray()), position + newline + 1);
            }
            bytes.AddRange(more.ToArray());
            position += more.Length;
        }
        throw new FormatException($"{Path}: last entry line is not terminated");
    }

    /// <summary>
    /// The bytes from <paramref name="offset"/> to the end of the buffer; when the buffer
    /// does not hold that offset, it is refilled with <paramref name="want"/> bytes from there.
    /// </summary>
    private ReadOnlySpan<byte> Fill(long offset, int want)
    {
        if (_bufferStart < 0 || offset < _bufferStart || offset >= _bufferStart + _bufferLength)
        {
            var length = (int)Math.Min(want, _dataEnd - offset);
            var read = 0;
            while (read < length)
            {
                var n = RandomAccess.Read(_file, _buffer.AsSpan(read, length - read), offset + read);
                if (n == 0)
                    break;
                read += n;
            }
            _bufferStart = offset;
            _bufferLength = read;
        }
        return _buffer.AsSpan((int)(offset - _bufferStart), (int)(_bufferStart + _bufferLength - offset));
    }

    /// <summary>Where the "#end N" line starts, or null when the manifest does not end with one.</summary>
    private static long? EndLineStart(SafeFileHandle file, long length)
    {
        var tail = new byte[(int)Math.Min(256, length)];
        RandomAccess.Read(file, tail, length - tail.Length);
        var text = Encoding.ASCII.GetString(tail).TrimEnd('\n');
        var start = text.LastIndexOf('\n') + 1;
        if (!text[start..].StartsWith("#end "))
            return null;
        return length - tail.Length + start;
    }

    private static long HeaderEnd(SafeFileHandle file, long end)
    {
        var buffer = new byte[Block];
        long offset = 0;
        while (offset < end)
        {
            var n = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(Block, end - offset)), offset);
            if (n == 0)
                break;
            var i = 0;
            while (i < n)
            {
                if (buffer[i] != (byte)'#')
                    return offset + i;
                var newline = Array.IndexOf(buffer, (byte)'\n', i, n - i);
                if (newline < 0)
                    break;
                i = newline + 1;
            }
            if (i == 0)
                throw new FormatException("manifest header line longer than 64 KiB");
            offset += i;
        }
        return end;
    }

    public void Dispose() => _file.Dispose();
}
