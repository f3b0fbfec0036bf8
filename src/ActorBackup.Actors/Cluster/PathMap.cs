namespace ActorBackup.Actors.Cluster;

/// <summary>
/// Maps the source root as the coordinator sees it to the path under which this node sees
/// the same files (a shared mount): { "/home" = "/mnt/home" }. Longest prefix wins.
/// </summary>
public sealed class PathMap(IReadOnlyDictionary<string, string> prefixes)
{
    public static readonly PathMap Identity = new(new Dictionary<string, string>());

    public string Map(string path)
    {
        foreach (var (from, to) in prefixes.OrderByDescending(p => p.Key.Length))
        {
            var f = from.TrimEnd('/');
            if (path == f)
                return to.TrimEnd('/');
            if (path.StartsWith(f + "/", StringComparison.Ordinal))
                return to.TrimEnd('/') + path[f.Length..];
        }
        return path;
    }
}
