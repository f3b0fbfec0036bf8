using System.Text;
using Mono.Unix;

namespace ActorBackup.Posix;

/// <summary>
/// File names to bytes and back exactly as Mono.Posix does (<see cref="UnixEncoding"/>: a
/// name that is not UTF-8 keeps its bytes), without garbage for the usual ASCII name.
/// UnixEncoding's span overloads are Encoding's defaults, which copy through temporary
/// arrays: two allocations per name, for every file a run lists, stats or links.
/// </summary>
internal static class NameBytes
{
    /// <summary>
    /// Writes <paramref name="name"/> and a NUL into <paramref name="into"/> (room for
    /// 3 bytes per char and the NUL); returns the length without the NUL.
    /// </summary>
    public static int Encode(ReadOnlySpan<char> name, Span<byte> into)
    {
        int length;
        if (!name.ContainsAnyExceptInRange('\u0001', '\u007F'))
            length = Encoding.ASCII.GetBytes(name, into);
        else
            length = UnixEncoding.Instance.GetBytes(name, into);
        into[length] = 0;
        return length;
    }

    /// <summary>The name held in <paramref name="bytes"/> (no NUL), as Mono.Posix decodes it.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes) =>
        !bytes.ContainsAnyExceptInRange((byte)1, (byte)0x7F)
            ? Encoding.ASCII.GetString(bytes)
            : UnixEncoding.Instance.GetString(bytes.ToArray());
}
