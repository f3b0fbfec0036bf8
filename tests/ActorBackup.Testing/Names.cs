using System.Text;
using Mono.Unix;

namespace ActorBackup.Testing;

/// <summary>
/// File names are bytes. Mono.Posix takes and returns them as .NET strings decoded with
/// <see cref="UnixEncoding"/>, which keeps bytes that are not UTF-8 (0xFF, 0xFE, ...) so
/// they survive the round trip. Every helper in this library speaks in such strings; do not
/// hand them to System.IO, which encodes them as UTF-8 and names another file.
/// </summary>
public static class Names
{
    /// <summary>The string Mono.Posix expects for a name made of <paramref name="bytes"/>.</summary>
    public static string FromBytes(params byte[] bytes) => bytes.Length == 0 ? "" : UnixEncoding.Instance.GetString(bytes);

    /// <summary>The bytes of a name or path string obtained from Mono.Posix or <see cref="FromBytes"/>.</summary>
    /// <remarks>UnixEncoding throws on "" (it pins an empty array), hence the guard.</remarks>
    public static byte[] ToBytes(string name) => name.Length == 0 ? [] : UnixEncoding.Instance.GetBytes(name);

    /// <summary>A name of exactly <paramref name="length"/> ASCII bytes (255 is the longest a file system allows).</summary>
    public static string OfLength(int length, char fill = 'n') => new(fill, length);

    /// <summary>Bytes shown as text for assertion messages: printable ASCII as is, others as \xFF.</summary>
    public static string Show(byte[] bytes)
    {
        var sb = new StringBuilder();
        foreach (var b in bytes)
            sb.Append(b is >= 0x20 and < 0x7F and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:X2}");
        return sb.ToString();
    }

    public static string Show(string name) => Show(ToBytes(name));
}
