using ActorBackup.Actors;
using ActorBackup.Core;
using ActorBackup.Core.Store;
using ActorBackup.Posix;

namespace ActorBackup.Cli;

/// <summary>
/// Everything checked before a run touches anything: folders, filesystems, the data
/// folder's recorded format, the lock. Each refusal is one line and its own exit code.
/// </summary>
public sealed class Preflight(TextWriter output, TextReader input, bool createDirs)
{
    /// <summary>Absolute path without trailing slash ("/" stays "/").</summary>
    public static string Normalize(string path)
    {
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

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

    public static void CheckBackupFolder(string backup, bool ignoreFileExists)
    {
        if (Files.Exists(backup) && !ignoreFileExists)
            throw new UserError(ExitCode.BackupFolderExists,
                $"backup folder {backup} already exists; choose a new --backupfolder, or add --ignorefileexists to fill in what is missing");
        if (Path.GetFileName(backup).Length == 0)
            throw new UserError(ExitCode.Usage, "--backupfolder cannot be the file system root; name a folder such as /backup/week10");
    }

    /// <summary>
    /// The format the data folder was set up with: its format file, or for a data folder
    /// of the original tool (entries but no format file), what its entries show.
    /// </summary>
    public static StoreFormat? RecordedFormat(string dataFolder, int levels, HashKind hash)
    {
        var layout = new StoreLayout(dataFolder, levels, hash);
        if (File.Exists(layout.FormatFile))
            return StoreFormat.Parse(File.ReadAllText(layout.FormatFile), layout.FormatFile);
        return Directory.Exists(dataFolder) ? InferFormat(dataFolder) : null;
    }

    private static StoreFormat? InferFormat(string folder)
    {
        for (var depth = 0; depth <= 8; depth++)
        {
            var file = Directory.EnumerateFiles(folder).Select(Path.GetFileName).FirstOrDefault(n => n is not null && !n.StartsWith('.'));
            if (file is not null)
            {
                var hex = file.Split('.')[0];
                return hex.Length switch
                {
                    40 => new StoreFormat(depth, HashKind.Sha1),
                    64 => new StoreFormat(depth, HashKind.Sha256),
                    _ => null,
                };
            }
            var next = Directory.EnumerateDirectories(folder).FirstOrDefault(d => Path.GetFileName(d).Length == 2 && Path.GetFileName(d).All(Uri.IsHexDigit));
            if (next is null)
                return null;
            folder = next;
        }
        return null;
    }

    public static void CheckSameFilesystem(string backup, string data)
    {
        var parent = Path.GetDirectoryName(backup) ?? "/";
        if (Files.DeviceOf(parent) != Files.DeviceOf(data))
            throw new UserError(ExitCode.DifferentFilesystems,
                $"backup folder {backup} and data folder {data} are on different filesystems, so snapshot files cannot be hardlinks into the store; put both on one filesystem");
    }

    /// <summary>Creates a missing folder with --createdirs, or after a yes at the prompt; refuses otherwise.</summary>
    public void EnsureFolder(string folder, string what, uint mode)
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
        Files.CreateFolders(folder, mode);
    }

    /// <summary>Paths under the root that the walk must skip: our own folders, when they lie inside it.</summary>
    public static HashSet<string> Excluded(string root, RunOptions options)
    {
        var excluded = new HashSet<string>(StringComparer.Ordinal);
        foreach (var folder in new[] { options.Store.DataFolder, options.BackupFolder, options.PartialFolder })
        {
            var relative = Path.GetRelativePath(root, folder);
            if (relative != "." && !relative.StartsWith("..") && !Path.IsPathRooted(relative))
                excluded.Add(relative);
        }
        return excluded;
    }
}
