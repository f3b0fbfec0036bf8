namespace ActorBackup.Core.Manifest;

/// <summary>
/// The order of a published manifest: entries grouped by their parent directory, the groups
/// in depth-first order of their directories, names in ordinal order inside a group. It is
/// defined on the escaped path field (all ASCII), so sorting never decodes a name. Grouping
/// by directory lets the next run fetch one directory's entries with a binary search, and a
/// depth-first walk asks for them in nearly file order.
/// </summary>
public static class ManifestOrder
{
    /// <summary>Compares two escaped path fields ("." is the root and comes first).</summary>
    public static int Compare(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        var rootA = a is ".";
        var rootB = b is ".";
        if (rootA || rootB)
            return rootA == rootB ? 0 : rootA ? -1 : 1;
        var slashA = a.LastIndexOf('/');
        var slashB = b.LastIndexOf('/');
        var parentA = slashA < 0 ? [] : a[..slashA];
        var parentB = slashB < 0 ? [] : b[..slashB];
        var byParent = CompareDirectories(parentA, parentB);
        return byParent != 0 ? byParent : a[(slashA + 1)..].SequenceCompareTo(b[(slashB + 1)..]);
    }

    /// <summary>Orders escaped directory paths depth first: '/' sorts before every other character.</summary>
    public static int CompareDirectories(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            if (a[i] == b[i])
                continue;
            if (a[i] == '/')
                return -1;
            if (b[i] == '/')
                return 1;
            return a[i] < b[i] ? -1 : 1;
        }
        return a.Length.CompareTo(b.Length);
    }

    /// <summary>The escaped path field of a manifest line (everything before the first tab).</summary>
    public static ReadOnlySpan<char> PathField(string line)
    {
        var tab = line.IndexOf('\t');
        return tab < 0 ? line : line.AsSpan(0, tab);
    }

    /// <summary>The escaped parent directory of an escaped path field (not meaningful for the root, ".").</summary>
    public static ReadOnlySpan<char> ParentField(ReadOnlySpan<char> path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? [] : path[..slash];
    }

    public static int CompareLines(string a, string b) => Compare(PathField(a), PathField(b));
}
