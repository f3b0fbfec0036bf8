using ActorBackup.Core;
using ActorBackup.Posix;

namespace ActorBackup.Store.Catalog;

/// <summary>
/// Whether users other than root can reach a run's snapshots. A backup run as root gives
/// every user their own files and folders in the snapshot, each file a hardlink of the store
/// entry every snapshot shares: a user who reaches it can append to it, chmod it, or plant
/// and delete files in their snapshot folder, and so change history. Safe is a root-only
/// folder somewhere above the snapshots (users then browse a read-only bind mount of them;
/// README "Letting users browse").
///
/// A folder keeps others out when root owns it and neither others nor a group other than
/// root's may search it (x), and no named entry of its ACL lets anyone search it.
/// </summary>
public static class SnapshotAccess
{
    /// <summary>
    /// The first existing folder on the way to <paramref name="folder"/> (symlinks resolved,
    /// as the kernel resolves them for a user) that keeps other users out; null when none does.
    /// </summary>
    public static string? Guard(string folder)
    {
        var real = Files.RealPath(folder);
        var path = "";
        foreach (var name in real.Split('/', StringSplitOptions.RemoveEmptyEntries).Prepend(""))
        {
            path = name.Length == 0 ? "/" : path.TrimEnd('/') + "/" + name;
            if (!Files.TryLstat(path, out var meta, out _) || meta!.Type != EntryType.Directory)
                return null; // not made yet: see CreateGuarded
            if (KeepsOthersOut(path, meta))
                return path;
        }
        return null;
    }

    private static bool KeepsOthersOut(string path, FileMeta meta)
    {
        const uint OtherSearch = 0x1, GroupSearch = 0x8;
        if (meta.Uid != 0 || (meta.Mode & OtherSearch) != 0 || ((meta.Mode & GroupSearch) != 0 && meta.Gid != 0))
            return false;
        try
        {
            using var dir = DirectoryHandle.Open(path);
            return dir.OwnXattr(PosixAcl.AccessXattr) is not { } acl || !PosixAcl.NamedEntriesGrant(acl, 1);
        }
        catch (PosixException)
        {
            return false;
        }
    }

    /// <summary>
    /// Run as root, refuses (exit 14) or warns when no folder keeps other users from
    /// <paramref name="backupFolder"/>; returns the warning line, or null when all is well.
    /// </summary>
    public static string? Check(string backupFolder, bool refuse)
    {
        if (!Files.IsRoot)
            return null; // the snapshot's files then belong to the one user who ran it
        var parent = Path.GetDirectoryName(backupFolder) ?? "/";
        if (Guard(parent) is not null)
            return null;
        var above = Path.GetDirectoryName(parent) is { Length: > 1 } grand ? grand : parent;
        var text = $"snapshots in {parent} can be reached by users other than root (no folder on the way is root-only), and each user owns their files there: they could change them, and with them every snapshot that shares them; " +
            $"make a folder above the snapshots root-only (chmod 700 {above}) and let users browse a read-only bind mount of the snapshots (README: Letting users browse)";
        if (refuse)
            throw new UserError(ExitCode.SnapshotsReachable, $"{text}, or set actorbackup.reachable-snapshots = warn; nothing was backed up");
        return $"warning: {text}";
    }

    /// <summary>
    /// Creates <paramref name="folder"/> and its missing parents. Run as root where no existing
    /// folder keeps other users out, the topmost folder made is root-only (0700) and the rest
    /// 0755: a backup made with --createdirs starts out safe, and the folder right above the
    /// snapshots can still be bind-mounted for users when the one made root-only is above it.
    /// </summary>
    public static void CreateGuarded(string folder)
    {
        var missing = new Stack<string>();
        for (var f = Path.GetFullPath(folder).TrimEnd('/'); f.Length > 0 && !Files.Exists(f); f = Path.GetDirectoryName(f) ?? "")
            missing.Push(f);
        if (missing.Count == 0)
            return;
        var guard = Files.IsRoot && Guard(folder) is null;
        var first = true;
        while (missing.TryPop(out var f))
        {
            var errno = Files.TryMkdir(f, guard && first ? 0x1C0u : 0x1EDu);
            PosixException.ThrowUnlessMadeOrExists(errno, "create folder", f);
            if (guard && first)
                Files.Chmod(f, 0x1C0); // whatever the umask left
            first = false;
        }
    }
}
