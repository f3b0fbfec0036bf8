using System.Buffers.Binary;
using ActorBackup.Core;
using ActorBackup.Store;

namespace ActorBackup.Store.Verify;

/// <summary>
/// A store entry's name (hash and suffix) in 40 bytes instead of a ~100-byte string: the
/// hash's bytes as four big-endian words (SHA1 leaves the last ones zero), so comparing keys
/// orders them exactly as their hex names sort ("hash order").
/// </summary>
public readonly record struct EntryKey(ulong H0, ulong H1, ulong H2, ulong H3, int Suffix) : IComparable<EntryKey>
{
    /// <summary>From an upper-case hex hash as <see cref="StoreLayout.ParseEntryName"/> returns it.</summary>
    public static EntryKey From(string hash, int suffix)
    {
        Span<byte> bytes = stackalloc byte[32];
        bytes.Clear();
        Convert.FromHexString(hash, bytes, out _, out _);
        return new EntryKey(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]),
            suffix);
    }

    public string Hash(HashKind kind)
    {
        Span<byte> bytes = stackalloc byte[32];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, H0);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], H1);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[16..], H2);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[24..], H3);
        return Convert.ToHexString(bytes[..(kind.HexLength / 2)]);
    }

    /// <summary>The entry's file name: "HASH" or "HASH.N".</summary>
    public string Name(HashKind kind) => StoreLayout.EntryName(Hash(kind), Suffix);

    public string PathIn(StoreLayout layout) => layout.EntryPath(Hash(layout.Hash), Suffix);

    public int CompareTo(EntryKey other)
    {
        var c = H0.CompareTo(other.H0);
        if (c == 0)
            c = H1.CompareTo(other.H1);
        if (c == 0)
            c = H2.CompareTo(other.H2);
        if (c == 0)
            c = H3.CompareTo(other.H3);
        return c != 0 ? c : Suffix.CompareTo(other.Suffix);
    }
}
