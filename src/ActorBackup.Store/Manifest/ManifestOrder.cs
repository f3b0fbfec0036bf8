using System.Numerics;
using ActorBackup.Core;

namespace ActorBackup.Store.Manifest;

/// <summary>
/// The order of a published manifest: entries grouped by their parent directory, the groups
/// in depth-first order of their directories, names in ordinal order inside a group. It is
/// defined on the escaped path field (all ASCII), so sorting never decodes a name, and the
/// same comparison works on the field as characters or as the file's bytes. Grouping by
/// directory lets the next run fetch one directory's entries with a binary search, and a
/// depth-first walk asks for them in nearly file order.
/// </summary>
public static class ManifestOrder
{
    /// <summary>Compares two escaped path fields ("." is the root and comes first).</summary>
    public static int Compare(ReadOnlySpan<char> a, ReadOnlySpan<char> b) => Compare<char>(a, b);

    /// <summary>Compares two escaped path fields given as the manifest's ASCII bytes.</summary>
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => Compare<byte>(a, b);

    /// <summary>Orders escaped directory paths depth first: '/' sorts before every other character.</summary>
    public static int CompareDirectories(ReadOnlySpan<char> a, ReadOnlySpan<char> b) => CompareDirectories<char>(a, b);

    /// <summary>The same order on escaped directory paths given as the manifest's ASCII bytes.</summary>
    public static int CompareDirectories(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => CompareDirectories<byte>(a, b);

    private static int Compare<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : unmanaged, IBinaryInteger<T>
    {
        var rootA = IsRoot(a);
        var rootB = IsRoot(b);
        if (rootA || rootB)
            return rootA == rootB ? 0 : rootA ? -1 : 1;
        var slash = T.CreateTruncating('/');
        var slashA = a.LastIndexOf(slash);
        var slashB = b.LastIndexOf(slash);
        var parentA = slashA < 0 ? [] : a[..slashA];
        var parentB = slashB < 0 ? [] : b[..slashB];
        var byParent = CompareDirectories(parentA, parentB);
        return byParent != 0 ? byParent : a[(slashA + 1)..].SequenceCompareTo(b[(slashB + 1)..]);
    }

    private static bool IsRoot<T>(ReadOnlySpan<T> path) where T : unmanaged, IBinaryInteger<T> =>
        path.Length == 1 && path[0] == T.CreateTruncating('.');

    private static int CompareDirectories<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : unmanaged, IBinaryInteger<T>
    {
        var slash = T.CreateTruncating('/');
        var n = Math.Min(a.Length, b.Length);
        var same = a[..n].CommonPrefixLength(b[..n]);
        if (same < n)
        {
            if (a[same] == slash)
                return -1;
            if (b[same] == slash)
                return 1;
            return a[same] < b[same] ? -1 : 1;
        }
        return a.Length.CompareTo(b.Length);
    }

    /// <summary>The escaped path field of a manifest line (everything before the first tab).</summary>
    public static ReadOnlySpan<char> PathField(string line) => PathField(line.AsSpan());

    /// <summary>The escaped path field of a manifest line (everything before the first tab).</summary>
    public static ReadOnlySpan<T> PathField<T>(ReadOnlySpan<T> line) where T : unmanaged, IBinaryInteger<T>
    {
        var tab = line.IndexOf(T.CreateTruncating('\t'));
        return tab < 0 ? line : line[..tab];
    }

    /// <summary>The escaped parent directory of an escaped path field (not meaningful for the root, ".").</summary>
    public static ReadOnlySpan<char> ParentField(ReadOnlySpan<char> path) => ParentField<char>(path);

    /// <summary>The escaped parent directory of an escaped path field given as bytes.</summary>
    public static ReadOnlySpan<byte> ParentField(ReadOnlySpan<byte> path) => ParentField<byte>(path);

    private static ReadOnlySpan<T> ParentField<T>(ReadOnlySpan<T> path) where T : unmanaged, IBinaryInteger<T>
    {
        var slash = path.LastIndexOf(T.CreateTruncating('/'));
        return slash < 0 ? [] : path[..slash];
    }

    /// <summary>True for the root's path field, ".".</summary>
    public static bool IsRootField(ReadOnlySpan<byte> path) => IsRoot(path);

    public static int CompareLines(string a, string b) => Compare(PathField(a), PathField(b));

    /// <summary>Compares two manifest lines given as bytes, by their path fields.</summary>
    public static int CompareLines(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => Compare(PathField(a), PathField(b));
}
