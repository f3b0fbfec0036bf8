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

    /// <summary>
    /// BLAKE3 (256-bit output): a modern cryptographic hash, several times faster than SHA-256
    /// per core where the CPU has AVX2/AVX-512, so hashing keeps up with fast disks.
    /// </summary>
    private static readonly HashKind Blake3 = new("blake3", 64, inOriginalTool: false, () => new Blake3Hasher());

    /// <summary>Every row, in the order help lists them.</summary>
    public static readonly IReadOnlyList<HashKind> All = [Sha1, Sha256, Blake3];

    /// <summary>The Blake3 package's managed SIMD implementation (no native library to ship).</summary>
    private sealed class Blake3Hasher : ContentHasher
    {
        // A mutable struct: kept in a field and called in place, never copied.
        private global::Blake3.Hasher _hasher = global::Blake3.Hasher.New();

        public override int HashLength => global::Blake3.Hash.Size;

        public override void AppendData(ReadOnlySpan<byte> data) => _hasher.Update(data);

        public override void GetHashAndReset(Span<byte> digest)
        {
            _hasher.Finalize(digest);
            _hasher.Reset();
        }

        public override void Dispose() => _hasher.Dispose();
    }
}
