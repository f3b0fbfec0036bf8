using System.Security.Cryptography;

namespace ActorBackup.Core;

/// <summary>The hash that names content in the store. SHA1 is the default, as in the original tool.</summary>
public enum HashKind
{
    Sha1,
    Sha256,
}

public static class ContentHash
{
    public static HashKind Parse(string text) => text.ToLowerInvariant() switch
    {
        "sha1" => HashKind.Sha1,
        "sha256" => HashKind.Sha256,
        _ => throw new UserError(ExitCode.Usage, $"--hash={text} is not known; use --hash=sha1 (default) or --hash=sha256"),
    };

    public static string Name(this HashKind kind) => kind == HashKind.Sha1 ? "sha1" : "sha256";

    /// <summary>Length of the hash in hex characters.</summary>
    public static int HexLength(this HashKind kind) => kind == HashKind.Sha1 ? 40 : 64;

    public static IncrementalHash Create(this HashKind kind) =>
        IncrementalHash.CreateHash(kind == HashKind.Sha1 ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256);

    /// <summary>Upper-case hex, as the original tool named its store files.</summary>
    public static string Finish(IncrementalHash hash) => Convert.ToHexString(hash.GetHashAndReset());

    public static string Of(HashKind kind, ReadOnlySpan<byte> bytes)
    {
        using var h = kind.Create();
        h.AppendData(bytes);
        return Finish(h);
    }

    public static bool IsHash(HashKind kind, string text) =>
        text.Length == kind.HexLength() && text.All(c => c is >= '0' and <= '9' or >= 'A' and <= 'F');
}
