using System.Security.Cryptography;

namespace ActorBackup.Core;

/// <summary>
/// A hash that can name content in the store. The algorithms themselves are rows of one
/// table (HashKinds.cs): everything that differs between them - the name --hash and the
/// format file use, the hex length of entry names, the hasher - is read from the row, so
/// no code branches on which algorithm it is. One instance per row: compare by reference.
/// </summary>
public sealed partial class HashKind
{
    private readonly Func<ContentHasher> _create;

    private HashKind(string name, int hexLength, bool inOriginalTool, Func<ContentHasher> create)
    {
        Name = name;
        HexLength = hexLength;
        InOriginalTool = inOriginalTool;
        _create = create;
    }

    /// <summary>As written in --hash=, in the data folder's format file and a manifest's #hash line.</summary>
    public string Name { get; }

    /// <summary>Length of the hash in hex characters: the length of an entry's name without its suffix.</summary>
    public int HexLength { get; }

    /// <summary>
    /// The original tool could name entries with it. Its data folders have no format file,
    /// so their hash is told from the length of an entry's name; that is only sound among
    /// these rows, which must differ in length.
    /// </summary>
    public bool InOriginalTool { get; }

    /// <summary>A new hasher for one content at a time; dispose it after the last.</summary>
    public ContentHasher Create() => _create();

    /// <summary>The row named <paramref name="name"/> (any case); null when no row has that name.</summary>
    public static HashKind? Find(string name) =>
        All.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The names of all rows, "a|b|c", for help text and messages.</summary>
    public static string Names(string separator = "|") => string.Join(separator, All.Select(k => k.Name));

    public override string ToString() => Name;
}

/// <summary>
/// One content's hash, fed chunk by chunk by the streaming readers (HashStream, SourceReader,
/// the cluster's ContentReceiver). Its members are named as <see cref="IncrementalHash"/>'s,
/// so the readers read alike whichever algorithm is behind it.
/// </summary>
public abstract class ContentHasher : IDisposable
{
    /// <summary>Bytes of the digest: the row's hex length / 2.</summary>
    public abstract int HashLength { get; }

    public abstract void AppendData(ReadOnlySpan<byte> data);

    /// <summary>Writes the digest of everything appended into <paramref name="digest"/> (<see cref="HashLength"/> bytes) and starts over.</summary>
    public abstract void GetHashAndReset(Span<byte> digest);

    public byte[] GetHashAndReset()
    {
        var digest = new byte[HashLength];
        GetHashAndReset(digest);
        return digest;
    }

    public virtual void Dispose()
    {
    }
}

/// <summary>An algorithm .NET has itself (OpenSSL underneath on Linux).</summary>
internal sealed class SystemHasher(HashAlgorithmName algorithm) : ContentHasher
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(algorithm);

    public override int HashLength => _hash.HashLengthInBytes;

    public override void AppendData(ReadOnlySpan<byte> data) => _hash.AppendData(data);

    public override void GetHashAndReset(Span<byte> digest) => _hash.GetHashAndReset(digest);

    public override void Dispose() => _hash.Dispose();
}

public static class ContentHash
{
    /// <summary>The value of --hash=.</summary>
    public static HashKind Parse(string text) =>
        HashKind.Find(text) ?? throw new UserError(ExitCode.Usage, $"--hash={text} is not known; use one of --hash={HashKind.Names(", --hash=")} (default {HashKind.Sha1.Name})");

    /// <summary>Upper-case hex, as the original tool named its store files.</summary>
    public static string Finish(ContentHasher hash)
    {
        Span<byte> digest = stackalloc byte[hash.HashLength];
        hash.GetHashAndReset(digest);
        return Convert.ToHexString(digest);
    }

    public static string Of(HashKind kind, ReadOnlySpan<byte> bytes)
    {
        using var h = kind.Create();
        h.AppendData(bytes);
        return Finish(h);
    }

    public static bool IsHash(HashKind kind, string text) =>
        text.Length == kind.HexLength && text.All(c => c is >= '0' and <= '9' or >= 'A' and <= 'F');
}
