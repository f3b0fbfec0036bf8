using System.Text;

namespace ActorBackup.Core;

/// <summary>One extended attribute of an entry: its name (decoded as file names are) and its value's exact bytes.</summary>
public sealed record Xattr(string Name, byte[] Value)
{
    /// <summary>The same name and the same bytes (a record compares arrays by reference).</summary>
    public bool SameAs(Xattr other) => Name == other.Name && Value.AsSpan().SequenceEqual(other.Value);
}

/// <summary>
/// Lists of extended attributes: the manifest's xattrs field, and what the share policy and
/// snapshot modes need of them.
///
/// The field is empty when an entry has none; else <c>NAME=VALUE</c> pairs, in name order,
/// separated by single spaces, each name and value escaped byte by byte as %XX where the
/// byte is outside printable ASCII or is a space, '%', '#' or '=' (so a pair never holds a
/// separator, and a line never a tab or newline).
/// </summary>
public static class Xattrs
{
    /// <summary>The access ACL's bytes in <paramref name="xattrs"/>; null when the entry has none.</summary>
    public static byte[]? AccessAcl(IReadOnlyList<Xattr>? xattrs)
    {
        if (xattrs is null)
            return null;
        foreach (var x in xattrs)
        {
            if (x.Name == PosixAcl.AccessXattr)
                return x.Value;
        }
        return null;
    }

    /// <summary>
    /// The permission bits a snapshot inode of an entry with <paramref name="mode"/> and
    /// <paramref name="xattrs"/> may show: narrowed by its access ACL (see <see cref="PosixAcl"/>).
    /// </summary>
    public static uint SnapshotMode(uint mode, IReadOnlyList<Xattr>? xattrs) =>
        AccessAcl(xattrs) is { } acl ? PosixAcl.Narrow(mode, acl) : mode;

    /// <summary>
    /// A 64-bit key of the list (SHA-256 of its names and values, 0 for none) that tells entries
    /// with different xattrs apart in the share key; a store entry's key is made from what
    /// listing it gives, a file's from what the walker read, in the same name order.
    /// </summary>
    public static ulong Key(IReadOnlyList<Xattr>? xattrs)
    {
        if (xattrs is null || xattrs.Count == 0)
            return 0;
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var x in xattrs)
        {
            var name = PathBytes.ToBytes(x.Name);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, name.Length);
            sha.AppendData(length);
            sha.AppendData(name);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, x.Value.Length);
            sha.AppendData(length);
            sha.AppendData(x.Value);
        }
        Span<byte> digest = stackalloc byte[32];
        sha.GetHashAndReset(digest);
        var key = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(digest);
        return key == 0 ? 1 : key;
    }

    /// <summary>True when both lists hold the same names with the same bytes (null and empty alike).</summary>
    public static bool Same(IReadOnlyList<Xattr>? a, IReadOnlyList<Xattr>? b)
    {
        var (x, y) = (a ?? [], b ?? []);
        if (x.Count != y.Count)
            return false;
        for (var i = 0; i < x.Count; i++)
        {
            if (!x[i].SameAs(y[i]))
                return false;
        }
        return true;
    }

    /// <summary>Appends the field (nothing when there are none).</summary>
    public static void Render(IReadOnlyList<Xattr>? xattrs, StringBuilder sb)
    {
        if (xattrs is null)
            return;
        for (var i = 0; i < xattrs.Count; i++)
        {
            if (i > 0)
                sb.Append(' ');
            Escape(PathBytes.ToBytes(xattrs[i].Name), sb);
            sb.Append('=');
            Escape(xattrs[i].Value, sb);
        }
    }

    /// <summary>Parses the field; null when empty. A malformed field is a <see cref="FormatException"/>.</summary>
    public static IReadOnlyList<Xattr>? Parse(ReadOnlySpan<char> field)
    {
        if (field.IsEmpty)
            return null;
        var list = new List<Xattr>();
        foreach (var range in field.Split(' '))
        {
            var pair = field[range];
            var eq = pair.IndexOf('=');
            if (eq <= 0)
                throw new FormatException($"malformed xattr '{pair}' (expected NAME=VALUE)");
            list.Add(new Xattr(PathBytes.FromBytes(Unescape(pair[..eq])), Unescape(pair[(eq + 1)..])));
        }
        return list;
    }

    /// <summary>The same, for the field's bytes in a manifest line (all ASCII).</summary>
    public static IReadOnlyList<Xattr>? Parse(ReadOnlySpan<byte> field)
    {
        if (field.IsEmpty)
            return null;
        Span<char> chars = field.Length <= 1024 ? stackalloc char[field.Length] : new char[field.Length];
        for (var i = 0; i < field.Length; i++)
            chars[i] = (char)field[i];
        return Parse(chars);
    }

    private static void Escape(ReadOnlySpan<byte> bytes, StringBuilder sb)
    {
        foreach (var b in bytes)
        {
            if (b is > 0x20 and < 0x7F and not (byte)'%' and not (byte)'#' and not (byte)'=')
                sb.Append((char)b);
            else
                sb.Append('%').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xF));
        }
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);

    private static byte[] Unescape(ReadOnlySpan<char> text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '%')
            {
                if (text[i] > 0x7F)
                    throw new FormatException("xattr field holds a character that is not ASCII");
                bytes.Add((byte)text[i]);
                continue;
            }
            if (i + 2 >= text.Length)
                throw new FormatException("xattr field ends inside a %XX escape");
            bytes.Add(Convert.ToByte(text.Slice(i + 1, 2).ToString(), 16));
            i += 2;
        }
        return [.. bytes];
    }
}
