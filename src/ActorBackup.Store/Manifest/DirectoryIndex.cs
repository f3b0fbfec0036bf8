using System.Text;
using ActorBackup.Core;
using Microsoft.Win32.SafeHandles;

namespace ActorBackup.Store.Manifest;

/// <summary>
/// Reads one directory's entries from a published (sorted) manifest without loading the
/// rest: a search over the file's bytes finds the directory's group, and the group is read
/// sequentially. A walker asks for directories in nearly manifest order, but the walkers
/// share one depth-first stack, so each one's requests alternate between a few regions of
/// the file: the search starts from the groups found last (the nearest before and after
/// the wanted one), and the file is read in aligned blocks of which the last few are kept,
/// so most searches read nothing (searching from the start each time cost a week 2 run of
/// 15,000 directories 97,000 reads). Memory is those blocks plus the group. Instances are
/// not thread-safe; each walker opens its own.
/// </summary>
public sealed class DirectoryIndex : IDisposable
{
    private const int Block = 16 * 1024;
    private const int Probe = 1024; // a binary search stops when its range is this small
    private const int CachedBlocks = 8;
    private const int Remembered = 16;

    private readonly SafeFileHandle _file;
    private readonly long _dataStart;
    private readonly long _dataEnd;
    private readonly CachedBlock[] _blocks = Enumerable.Range(0, CachedBlocks).Select(_ => new CachedBlock()).ToArray();
    private long _uses;
    private byte[] _longLine = new byte[Block];
    private char[] _chars = new char[1024];

    private sealed class CachedBlock
    {
        public readonly byte[] Bytes = new byte[Block];
        public long Start = -1;
        public int Length;
        public long LastUse;
    }

    // The groups found last (directory, start, end): bounds for the next search.
    private readonly List<(string Directory, long Start, long End)> _found = new(Remembered);
    private int _nextFound;

    private DirectoryIndex(SafeFileHandle file, long dataStart, long dataEnd)
    {
        _file = file;
        _dataStart = dataStart;
        _dataEnd = dataEnd;
    }

    public string Path { get; private init; } = "";

    /// <summary>The manifest's header lines (#key value), without the '#'.</summary>
    public IReadOnlyDictionary<string, string> Header { get; private init; } = new Dictionary<string, string>();

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
            return new DirectoryIndex(file, start, end) { Path = path, Header = header };
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
        var result = new Dictionary<string, ManifestEntry>(StringComparer.Ordinal);
        ReadGroup(directory, line =>
        {
            if (_chars.Length < line.Length)
                _chars = new char[Math.Max(2 * _chars.Length, line.Length)];
            var chars = _chars.AsSpan(0, Encoding.ASCII.GetChars(line, _chars));
            var entry = ManifestFormat.Parse(chars);
            result[entry.Path[(entry.Path.LastIndexOf('/') + 1)..]] = entry;
        });
        return result;
    }

    /// <summary>
    /// The regular files stored in the previous snapshot whose parent is
    /// <paramref name="directory"/>, by name, with only what the files cache compares. Parsed
    /// from the line's bytes: per file its name and hash are the only objects made (a week 2
    /// run of 100,000 files made a path, a name, a FileMeta and an entry of each, about a fifth
    /// of the run's garbage). Lines of other types, and files without a store entry, are left out.
    /// </summary>
    public Dictionary<string, PreviousFile> Files(string directory)
    {
        var result = new Dictionary<string, PreviousFile>(StringComparer.Ordinal);
        ReadGroup(directory, line =>
        {
            if (PreviousFile.TryParse(line, out var name, out var file))
                result[name] = file;
        });
        return result;
    }

    private delegate void LineHandler(ReadOnlySpan<byte> line);

    /// <summary>Hands each line of <paramref name="directory"/>'s group (its children) to <paramref name="handle"/>, valid only during the call.</summary>
    private void ReadGroup(string directory, LineHandler handle)
    {
        var escaped = directory.Length == 0 ? "" : PathBytes.Escape(directory);
        var wanted = Encoding.ASCII.GetBytes(escaped); // escaped paths are ASCII
        var start = Seek(escaped, wanted);
        var offset = start;
        while (offset < _dataEnd)
        {
            var line = LineAt(offset, out var next);
            var path = ManifestOrder.PathField(line);
            if (ManifestOrder.IsRootField(path) || !ManifestOrder.ParentField(path).SequenceEqual(wanted))
                break;
            handle(line);
            offset = next;
        }
        Remember(escaped, start, offset);
    }

    private void Remember(string directory, long start, long end)
    {
        if (_found.Count < Remembered)
            _found.Add((directory, start, end));
        else
            _found[_nextFound] = (directory, start, end);
        _nextFound = (_nextFound + 1) % Remembered;
    }

    /// <summary>The offset of the first line whose parent is not before <paramref name="wanted"/>.</summary>
    private long Seek(string wanted, ReadOnlySpan<byte> wantedBytes)
    {
        // Invariant: every line that starts before lo belongs before the wanted group, and
        // the group (if any) starts at or before hi. Groups found earlier narrow both.
        var lo = _dataStart;
        var hi = _dataEnd;
        foreach (var (directory, start, end) in _found)
        {
            var order = ManifestOrder.CompareDirectories(directory, wanted);
            if (order == 0)
                return start;
            if (order < 0 && end > lo)
                lo = end;
            else if (order > 0 && start < hi)
                hi = start;
        }
        // Gallop first: a depth-first walk usually asks for a group at or just after lo.
        for (long step = Probe; lo + step < hi; step *= 4)
        {
            var start = NextLineStart(lo + step);
            if (start >= hi)
                break;
            if (!Before(LineAt(start, out var next), wantedBytes))
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
            if (Before(LineAt(start, out var next), wantedBytes))
                lo = next;
            else
                hi = start;
        }
        while (lo < _dataEnd)
        {
            if (!Before(LineAt(lo, out var next), wantedBytes))
                break;
            lo = next;
        }
        return lo;
    }

    private static bool Before(ReadOnlySpan<byte> line, ReadOnlySpan<byte> wanted)
    {
        var path = ManifestOrder.PathField(line);
        return ManifestOrder.IsRootField(path) || ManifestOrder.CompareDirectories(ManifestOrder.ParentField(path), wanted) < 0;
    }

    private long NextLineStart(long offset)
    {
        // The line containing offset - 1 ends somewhere at or after it.
        var position = offset - 1;
        while (position < _dataEnd)
        {
            var span = Fill(position);
            if (span.IsEmpty)
                break; // the file is shorter than when it was opened
            var newline = span.IndexOf((byte)'\n');
            if (newline >= 0)
                return position + newline + 1;
            position += span.Length;
        }
        return _dataEnd;
    }

    /// <summary>
    /// The line at <paramref name="offset"/> without its newline, valid until the next read
    /// of this index: most lie inside one cached block; one that runs past its block is
    /// gathered into a buffer kept for that. Nothing is decoded, so a search allocates nothing.
    /// </summary>
    private ReadOnlySpan<byte> LineAt(long offset, out long next)
    {
        var span = Fill(offset);
        var newline = span.IndexOf((byte)'\n');
        if (newline >= 0)
        {
            next = offset + newline + 1;
            return span[..newline];
        }
        var length = 0;
        var position = offset;
        while (position < _dataEnd)
        {
            var more = Fill(position);
            if (more.IsEmpty)
                break;
            newline = more.IndexOf((byte)'\n');
            var part = newline >= 0 ? more[..newline] : more;
            if (length + part.Length > _longLine.Length)
                Array.Resize(ref _longLine, Math.Max(2 * _longLine.Length, length + part.Length));
            part.CopyTo(_longLine.AsSpan(length));
            length += part.Length;
            if (newline >= 0)
            {
                next = position + newline + 1;
                return _longLine.AsSpan(0, length);
            }
            position += more.Length;
        }
        throw new FormatException($"{Path}: last entry line is not terminated");
    }

    /// <summary>
    /// The bytes from <paramref name="offset"/> to the end of its aligned block (never empty
    /// before the data's end); the block is read when it is not one of the cached ones, into
    /// the least recently used slot.
    /// </summary>
    private ReadOnlySpan<byte> Fill(long offset)
    {
        var start = offset - offset % Block;
        CachedBlock? block = null;
        foreach (var b in _blocks)
        {
            if (b.Start == start)
            {
                block = b;
                break;
            }
        }
        if (block is null)
        {
            block = _blocks.MinBy(b => b.LastUse)!;
            var length = (int)Math.Min(Block, _dataEnd - start);
            var read = 0;
            block.Start = -1;
            while (read < length)
            {
                var n = RandomAccess.Read(_file, block.Bytes.AsSpan(read, length - read), start + read);
                if (n == 0)
                    break;
                read += n;
            }
            block.Start = start;
            block.Length = read;
        }
        block.LastUse = ++_uses;
        var from = (int)(offset - start);
        return from < block.Length ? block.Bytes.AsSpan(from, block.Length - from) : [];
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
