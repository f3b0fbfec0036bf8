using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using static ActorBackup.Protocol.ClusterProtocol;

namespace ActorBackup.Actors.Cluster;

/// <summary>
/// Whether a hasher node sees the run's source. The coordinator describes its root folder
/// (<see cref="Describe"/>: the root's inode and the first entries in it by name, with their
/// types and inodes); a hasher node opens the root through its path map as its workers would
/// and must find the same. Inode numbers are what a worker already checks for every file it
/// reads on another node, so a node that passes here can read the files; one that looks at an
/// empty or missing folder, or at another tree, fails before it takes any work, instead of
/// answering every file with "vanished".
/// </summary>
public static class SourceCheck
{
    /// <summary>Entries of the root sampled: enough that a foreign tree cannot match by chance, few enough to stay cheap.</summary>
    public const int SampleSize = 8;

    /// <summary>The root folder's identity, as <see cref="SourceRoot"/> opens it (a symlink naming the root is followed).</summary>
    public static SourceIdentity Describe(string rootFolder)
    {
        using var root = new SourceRoot(rootFolder);
        using var folder = root.OpenDirectory("");
        var sample = new List<SourceEntry>();
        foreach (var name in folder.ListNames().Order(StringComparer.Ordinal))
        {
            if (sample.Count == SampleSize)
                break;
            if (folder.StatChild(name) is { } meta)
                sample.Add(new SourceEntry(name, meta));
        }
        return new SourceIdentity(rootFolder, folder.Meta, sample);
    }

    /// <summary>
    /// Null when <paramref name="looked"/> (the run's root through this node's path map) is the
    /// root <paramref name="source"/> describes; otherwise what differs, for the node's warning.
    /// Entries may come and go while a run starts: at least half of the sampled ones must be
    /// found as they were, and the root itself must be the same inode.
    /// </summary>
    public static string? Problem(SourceIdentity source, string looked)
    {
        try
        {
            using var root = new SourceRoot(looked);
            using var folder = root.OpenDirectory("");
            if (folder.Meta.Inode != source.RootMeta.Inode)
                return $"it is inode {folder.Meta.Inode}, the coordinator's root folder is inode {source.RootMeta.Inode}";
            var missing = new List<string>();
            foreach (var entry in source.Sample)
            {
                var meta = folder.StatChild(entry.Path);
                if (meta is null)
                    missing.Add($"'{entry.Path}' is missing");
                else if (meta.Type != entry.Meta.Type || meta.Inode != entry.Meta.Inode)
                    missing.Add($"'{entry.Path}' is another {meta.Type.ToString().ToLowerInvariant()} (inode {meta.Inode}, not {entry.Meta.Inode})");
            }
            if (missing.Count * 2 > source.Sample.Count)
                return $"{missing.Count} of the {source.Sample.Count} entries sampled in the coordinator's root folder differ: {string.Join(", ", missing.Take(3))}";
            return null;
        }
        catch (PosixException e)
        {
            return e.Message;
        }
    }
}
