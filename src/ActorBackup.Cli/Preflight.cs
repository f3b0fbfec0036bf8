using ActorBackup.Core;
using ActorBackup.Posix;

namespace ActorBackup.Cli;

/// <summary>
/// The command line's part of the checks before a run: paths, the root folder, and
/// creating missing folders after a prompt. The store checks are in StoreSession.
/// </summary>
public sealed class Preflight(TextWriter output, TextReader input, bool createDirs)
{
    /// <summary>Absolute path without trailing slash ("/" stays "/").</summary>
    public static string Normalize(string path)
    {
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    /// <summary>
    /// Snapshots and the store must not hold each other: a backup folder inside the data
    /// folder hides the snapshot in the root-only store (and prune takes what it does not know
    /// there for leftovers); a data folder inside the backup folder makes the store part of a
    /// snapshot. Compared as real paths (symlinks followed), folders not made yet included.
    /// </summary>
    public static void CheckApart(string backup, string data)
    {
        var realBackup = Files.RealPath(backup);
        var realData = Files.RealPath(data);
        if (realBackup == realData)
            throw new UserError(ExitCode.Usage, $"--backupfolder={backup} and --datafolder={data} are the same folder; give each its own, side by side (e.g. /backup/snapshots/week10 and /backup/data)");
        if (IsUnder(realBackup, realData))
            throw new UserError(ExitCode.Usage, $"--backupfolder={backup} lies inside the data folder {data}, where nobody would find the snapshot; put it beside the data folder (e.g. /backup/snapshots/week10 and /backup/data)");
        if (IsUnder(realData, realBackup))
            throw new UserError(ExitCode.Usage, $"--datafolder={data} lies inside the backup folder {backup}, which would make the store part of the snapshot; put it beside (e.g. /backup/snapshots/week10 and /backup/data)");
    }

    private static bool IsUnder(string path, string folder) =>
        path.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);

    public static string CheckRoot(string root)
    {
        if (!Files.TryLstat(root, out var meta, out _))
            throw new UserError(ExitCode.FolderMissing, $"root folder {root} does not exist; check --rootfolder");
        if (meta!.Type == EntryType.Symlink)
        {
            // The root itself may be a symlink (/home -> /data/home): follow it, once, here only.
            var resolved = new DirectoryInfo(root).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            if (resolved is null || !Files.TryLstat(resolved, out meta, out _))
                throw new UserError(ExitCode.FolderMissing, $"root folder {root} is a dangling symlink; check --rootfolder");
            root = Normalize(resolved);
        }
        if (meta!.Type != EntryType.Directory)
            throw new UserError(ExitCode.Usage, $"root folder {root} is not a directory; check --rootfolder");
        return root;
    }

    /// <summary>Creates a missing folder with --createdirs, or after a yes at the prompt; refuses otherwise.</summary>
    public void EnsureFolder(string folder, string what, uint mode) =>
        EnsureFolder(folder, what, () => Files.CreateFolders(folder, mode));

    /// <summary>The same, the folder made by <paramref name="create"/>.</summary>
    public void EnsureFolder(string folder, string what, Action create)
    {
        if (Files.Exists(folder))
            return;
        if (!createDirs)
        {
            if (!Files.IsTerminal(0))
                throw new UserError(ExitCode.FolderMissing, $"{what} {folder} does not exist; create it, or add --createdirs");
            output.Write($"{what} {folder} does not exist. Create it? [y/N] ");
            output.Flush();
            var answer = input.ReadLine()?.Trim().ToLowerInvariant();
            if (answer is not ("y" or "yes"))
                throw new UserError(ExitCode.FolderMissing, $"{what} {folder} was not created; nothing was backed up");
        }
        create();
    }
}
