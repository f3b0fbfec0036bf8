using System.Buffers.Text;
using System.Text;
using ActorBackup.Core;

namespace ActorBackup.Store.Manifest;

/// <summary>
/// A regular file as the previous manifest recorded it: what <c>FilesCache</c> compares with
/// the file now, and the content and store entry it linked to.
/// </summary>
public readonly record struct PreviousFile(uint Mode, uint Uid, uint Gid, long Size, Timestamp Mtime, Timestamp Ctime, ulong Inode, string Hash, int EntrySuffix,
    IReadOnlyList<Xattr>? Xattrs = null)
{
    /// <summary>
    /// Reads a manifest line (its bytes) when it is a regular file with a store entry; false
    /// for other entries. Throws <see cref="FormatException"/> for a malformed line, as
    /// <see cref="ManifestFormat.Parse(ReadOnlySpan{char})"/> does.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out string name, out PreviousFile file)
    {
        name = "";
        file = default;
        Span<Range> f = stackalloc Range[16];
        var count = Fields(line, f);
        if (count == 0)
            throw Malformed(line);
        var type = line[f[1]];
        var hash = line[f[11]];
        var suffix = line[f[12]];
        if (type.Length != 1 || type[0] != (byte)EntryType.File || hash.IsEmpty || suffix.IsEmpty)
            return false;
        file = new PreviousFile(
            Mode: Octal(line[f[2]], line),
            Uid: UInt(line[f[3]], line),
            Gid: UInt(line[f[4]], line),
            Size: Long(line[f[5]], line),
            Mtime: Time(line[f[6]], line),
            Ctime: Time(line[f[7]], line),
            Inode: ULong(line[f[9]], line),
            Hash: Encoding.ASCII.GetString(hash),
            EntrySuffix: Int(suffix, line),
            Xattrs: count >= 15 ? Core.Xattrs.Parse(line[f[14]]) : null);
        var path = line[f[0]];
        var escapedName = path[(path.LastIndexOf((byte)'/') + 1)..];
        var ascii = Encoding.ASCII.GetString(escapedName);
        name = escapedName.Contains((byte)'%') ? PathBytes.Unescape(ascii) : ascii;
        return true;
    }

    /// <summary>
    /// Cuts the line at its tabs into 16 fields (14 in lines written before xattrs were
    /// recorded, 15 before the link count was); returns how many, or 0 for any other count.
    /// </summary>
    private static int Fields(ReadOnlySpan<byte> line, Span<Range> fields)
    {
        var start = 0;
        var count = 0;
        while (count < fields.Length - 1)
        {
            var tab = line[start..].IndexOf((byte)'\t');
            if (tab < 0)
                break;
            fields[count++] = new Range(start, start + tab);
            start += tab + 1;
        }
        if (line[start..].Contains((byte)'\t'))
            return 0;
        fields[count++] = new Range(start, line.Length);
        return count is 14 or 15 or 16 ? count : 0;
    }

    private static uint UInt(ReadOnlySpan<byte> text, ReadOnlySpan<byte> line) =>
        Utf8Parser.TryParse(text, out uint value, out var used) && used == text.Length ? value : throw Malformed(line);

    private static int Int(ReadOnlySpan<byte> text, ReadOnlySpan<byte> line) =>
        Utf8Parser.TryParse(text, out int value, out var used) && used == text.Length ? value : throw Malformed(line);

    private static long Long(ReadOnlySpan<byte> text, ReadOnlySpan<byte> line) =>
        Utf8Parser.TryParse(text, out long value, out var used) && used == text.Length ? value : throw Malformed(line);

    private static ulong ULong(ReadOnlySpan<byte> text, ReadOnlySpan<byte> line) =>
        Utf8Parser.TryParse(text, out ulong value, out var used) && used == text.Length ? value : throw Malformed(line);

    private static uint Octal(ReadOnlySpan<byte> text, ReadOnlySpan<byte> line)
    {
        if (text.IsEmpty || text.Length > 11)
            throw Malformed(line);
        uint value = 0;
        foreach (var b in text)
        {
            if (b < (byte)'0' || b > (byte)'7')
                throw Malformed(line);
            value = value * 8 + (uint)(b - '0');
        }
        return value;
    }

    private static Timestamp Time(ReadOnlySpan<byte> text, ReadOnlySpan<byte> line)
    {
        var dot = text.IndexOf((byte)'.');
        return dot < 0
            ? new Timestamp(Long(text, line), 0)
            : new Timestamp(Long(text[..dot], line), Long(text[(dot + 1)..], line));
    }

    private static FormatException Malformed(ReadOnlySpan<byte> line) =>
        new($"malformed manifest line: {Encoding.ASCII.GetString(line)}");
}
