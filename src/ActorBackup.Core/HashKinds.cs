using System.Security.Cryptography;

namespace ActorBackup.Core;

/// <summary>
/// The table of hash algorithms: one row each. A new algorithm is a new row here and
/// nothing else. Rows must keep to what the rest of the code relies on (HashKindTableTests
/// checks it): names in lower case, at most 64 hex digits (entry keys hold 32 bytes),
/// and no two <c>inOriginalTool</c> rows of one length.
/// </summary>
public sealed partial class HashKind
{
    /// <summary>The default, as in the original tool.</summary>
    public static readonly HashKind Sha1 = new("sha1", 40, inOriginalTool: true, () => new SystemHasher(HashAlgorithmName.SHA1));

    public static readonly HashKind Sha256 = new("sha256", 64, inOriginalTool: true, () => new SystemHasher(HashAlgorithmName.SHA256));

    /// <summary>Every row, in the order help lists them.</summary>
    public static readonly IReadOnlyList<HashKind> All = [Sha1, Sha256];
}
