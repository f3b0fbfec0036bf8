using System.Buffers.Text;
using System.Text;
using ActorBackup.Core;

namespace ActorBackup.Store.Manifest;

/// <summary>
/// A whole manifest (or a run's journal) read once, front to back, as bytes: its header,
/// how many entries it holds, how many of them are regular files and their total size, and
/// the first thing wrong with it. Memory is one read buffer, whatever the manifest's size;
/// no string is made per entry line.
/// </summary>
public sealed record ManifestTally(
    IReadOnlyDictionary<string, string> Header,
    long Entries,
    long Files,
    long Bytes,
    long? End,
    string? Problem)
{
    private const string EntryTypes = "fdlpcbs";

    /// <summary>True when the manifest ends with "#end N", N matches its entries, and nothing in it is malformed.</summary>
    public bool IsComplete => End is not null && Problem is null;

    /// <summary>
    /// Reads <paramref name="path"/>. Malformed lines do not throw: the first one is named in
    /// <see cref="Problem"/> and skipped. I/O errors (the file vanished, unreadable) throw.
    /// </summary>
    public static ManifestTally Read(string path)
    {
        var header = new Dictionary<string, string>(StringComparer.Ordinal);
        long entries = 0, files = 0, bytes = 0, lineNumber = 0;
        long? end = null;
        string? problem = null;
        void Problem(string text) => problem ??= $"line {lineNumber}: {text}";

        using var reader = new LineReader(path, 1 << 16);
        while (reader.Next())
        {
            lineNumber++;
            var line = reader.Current;
            if (lineNumber == 1)
            {
                if (!line.SequenceEqual(Encoding.ASCII.GetBytes(ManifestFormat.Magic)))
                    return new ManifestTally(header, 0, 0, 0, null, $"not an ActorBackup manifest (the first line is not '{ManifestFormat.Magic}')");
                continue;
            }
            if (line.IsEmpty)
                continue;
            if (end is not null)
                Problem("text after the #end line");
            if (line[0] == (byte)'#')
            {
                var space = line.IndexOf((byte)' ');
                if (space <= 1)
                    continue;
                var key = Encoding.UTF8.GetString(line[1..space]);
                var value = line[(space + 1)..];
                if (key == "end")
                {
                    if (Utf8Parser.TryParse(value, out long n, out var used) && used == value.Length && n >= 0)
                        end = n;
                    else
                        Problem("unreadable #end line");
                }
                else if (entries == 0)
                    header[key] = Encoding.UTF8.GetString(value);
                continue;
            }
            if (!TryTypeAndSize(line, out var type, out var size))
            {
                Problem("malformed entry line");
                continue;
            }
            entries++;
            if (type == (byte)'f')
            {
                files++;
                bytes += size;
            }
        }
        if (lineNumber == 0)
            return new ManifestTally(header, 0, 0, 0, null, "empty file");
        if (end is not null && end != entries)
            problem ??= $"#end says {end} entries, the manifest holds {entries}";
        return new ManifestTally(header, entries, files, bytes, end, problem);
    }

    /// <summary>An entry line has 16 tab-separated fields (14 before xattrs were recorded, 15 before the link count was); field 2 is the type, field 6 the size.</summary>
    private static bool TryTypeAndSize(ReadOnlySpan<byte> line, out byte type, out long size)
    {
        type = 0;
        size = 0;
        var fields = 1;
        foreach (var b in line)
        {
            if (b == (byte)'\t')
                fields++;
        }
        if (fields is not (14 or 15 or 16))
            return false;
        var rest = line;
        for (var i = 0; i < 5; i++)
        {
            var tab = rest.IndexOf((byte)'\t');
            var field = rest[..tab];
            if (i == 1)
            {
                if (field.Length != 1 || !EntryTypes.Contains((char)field[0]))
                    return false;
                type = field[0];
            }
            rest = rest[(tab + 1)..];
        }
        var sizeField = rest[..rest.IndexOf((byte)'\t')];
        return Utf8Parser.TryParse(sizeField, out size, out var consumed) && consumed == sizeField.Length && size >= 0;
    }
}
