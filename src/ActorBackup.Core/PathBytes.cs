using System.Text;
using Mono.Unix;

namespace ActorBackup.Core;

/// <summary>
/// File names are bytes, not text. In memory they are .NET strings decoded with
/// <see cref="UnixEncoding"/>, which maps bytes that are not UTF-8 to private chars and back,
/// so any name survives the round trip. In the manifest they are written escaped: every
/// byte outside printable ASCII, and '%' and '#', becomes %XX.
/// </summary>
public static class PathBytes
{
    // Mono's UnixEncoding throws on "" (the root's path), so the empty case is ours.
    public static byte[] ToBytes(string path) => path.Length == 0 ? [] : UnixEncoding.Instance.GetBytes(path);

    public static string FromBytes(byte[] bytes) => bytes.Length == 0 ? "" : UnixEncoding.Instance.GetString(bytes);

    /// <summary>Escapes a name; a name of printable ASCII without '%' or '#' (most names) is its own escape.</summary>
    public static string Escape(string path) => IsPlain(path) ? path : Escape(ToBytes(path));

    /// <summary>True when every char is printable ASCII other than '%' and '#': such text needs no escaping.</summary>
    public static bool IsPlain(string text)
    {
        foreach (var c in text)
        {
            if (c <= ' ' || c >= (char)0x7F || c == '%' || c == '#')
                return false;
        }
        return true;
    }

    public static string Escape(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length + 8);
        foreach (var b in bytes)
        {
            if (b <= 0x20 || b >= 0x7F || b == (byte)'%' || b == (byte)'#')
                sb.Append('%').Append(b.ToString("X2"));
            else
                sb.Append((char)b);
        }
        return sb.ToString();
    }

    public static byte[] UnescapeBytes(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '%')
            {
                if (i + 2 >= text.Length)
                    throw new FormatException($"truncated escape in '{text}'");
                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
                bytes.Add((byte)text[i]);
        }
        return bytes.ToArray();
    }

    public static string Unescape(string text) => text.Contains('%') ? FromBytes(UnescapeBytes(text)) : text;

    /// <summary>
    /// True for a path that stays inside the folder it is relative to: not absolute, no
    /// empty, "." or ".." component, no NUL byte (checked on the bytes: UnixEncoding itself
    /// uses U+0000 to carry bytes that are not UTF-8). "" (the root itself) is safe.
    /// </summary>
    public static bool IsSafeRelative(string path)
    {
        if (path.Length == 0)
            return true;
        if (path.Contains('\0') && ToBytes(path).Contains((byte)0))
            return false;
        var start = 0;
        while (start <= path.Length)
        {
            var slash = path.IndexOf('/', start);
            var end = slash < 0 ? path.Length : slash;
            var component = path.AsSpan(start, end - start);
            if (component.Length == 0 || component is "." || component is "..")
                return false;
            start = end + 1;
        }
        return true;
    }

    /// <summary>Joins a snapshot-relative path ("" is the root) with a child name.</summary>
    public static string Child(string relative, string name) => relative.Length == 0 ? name : relative + "/" + name;

    /// <summary>The parent of a snapshot-relative path; the root's children have parent "".</summary>
    public static string Parent(string relative)
    {
        var slash = relative.LastIndexOf('/');
        return slash < 0 ? "" : relative[..slash];
    }
}
