using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store.Manifest;

namespace ActorBackup.Store;

/// <summary>What a run asks of the data and backup folders, as the storage side sees them.</summary>
public sealed record StoreRequest(string RootFolder, string BackupFolder, string DataFolder, int? Levels, HashKind? Hash, bool IgnoreFileExists);

/// <summary>
/// The checks a run passes before it touches anything, and the opening of the data folder
/// (lock, recorded format). Shared by the single-process CLI and the storage node, so both
/// refuse the same things with the same lines and exit codes.
/// </summary>
public static class StoreSession
{
    public const int DefaultLevels = 1;

    /// <summary>Read-only checks; returns the format the run will use.</summary>
    public static StoreFormat Check(StoreRequest r)
    {
        if (r.BackupFolder == r.DataFolder)
            throw new UserError(ExitCode.Usage, "--backupfolder and --datafolder must be different folders");
        if (Path.GetFileName(r.BackupFolder).Length == 0)
            throw new UserError(ExitCode.Usage, "--backupfolder cannot be the file system root; name a folder such as /backup/week10");
        if (Files.Exists(r.BackupFolder) && !r.IgnoreFileExists)
            throw new UserError(ExitCode.BackupFolderExists,
                $"backup folder {r.BackupFolder} already exists; choose a new --backupfolder, or add --ignorefileexists to fill in what is missing");

        // The data folder's recorded format wins where the user did not ask; a clash stops here.
        var recorded = RecordedFormat(r.DataFolder, r.Levels ?? DefaultLevels, r.Hash ?? HashKind.Sha1);
        var wanted = new StoreFormat(r.Levels ?? recorded?.Levels ?? DefaultLevels, r.Hash ?? recorded?.Hash ?? HashKind.Sha1);
        recorded?.Require(wanted, r.DataFolder);

        // Manifests are named by the snapshot's last path component: two backup folders
        // with one name (/b/x/week10, /b/y/week10) would overwrite each other's manifest.
        var manifest = new StoreLayout(r.DataFolder, wanted.Levels, wanted.Hash).ManifestPath(Path.GetFileName(r.BackupFolder));
        if (File.Exists(manifest)
            && ManifestReader.ReadLeadingHeader(manifest).TryGetValue("snapshot", out var other)
            && PathBytes.Unescape(other) != r.BackupFolder)
            throw new UserError(ExitCode.BackupFolderExists,
                $"data folder {r.DataFolder} already holds a snapshot named {Path.GetFileName(r.BackupFolder)} (of {PathBytes.Unescape(other)}); give the backup folder another name");

        var parent = Path.GetDirectoryName(r.BackupFolder) ?? "/";
        if (Files.DeviceOf(parent) != Files.DeviceOf(r.DataFolder))
            throw new UserError(ExitCode.DifferentFilesystems,
                $"backup folder {r.BackupFolder} and data folder {r.DataFolder} are on different filesystems, so snapshot files cannot be hardlinks into the store; put both on one filesystem");
        return wanted;
    }

    /// <summary>
    /// Takes the data folder's lock and records its format on first use. The data folder
    /// and the backup folder's parent must exist by now.
    /// </summary>
    public static (StoreLayout Layout, DataFolderLock Lock) Open(StoreRequest r, StoreFormat format)
    {
        var layout = new StoreLayout(r.DataFolder, format.Levels, format.Hash);
        var dataLock = Lock(layout, "another backup is running; wait for it to finish, or check that process");
        try
        {
            if (!File.Exists(layout.FormatFile))
            {
                // Flushed before its rename: after a power loss the format file is whole or
                // absent (then the next run records it again), never empty - an empty one
                // would stop every later run (exit 5) until fixed by hand.
                var temp = layout.FormatFile + ".tmp";
                using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    file.Write(System.Text.Encoding.ASCII.GetBytes(format.Render()));
                    file.Flush(flushToDisk: true);
                }
                File.Move(temp, layout.FormatFile, overwrite: true);
                Files.Chmod(layout.DataFolder, 0x1C0); // the store is reached only through snapshot paths
            }
            ProbeLink(layout, Path.GetDirectoryName(r.BackupFolder) ?? "/");
        }
        catch
        {
            dataLock.Dispose();
            throw;
        }
        return (layout, dataLock);
    }

    /// <summary>
    /// Links a file of the data folder into the backup folder's parent and removes both. The
    /// device check cannot see a bind mount of the data folder's own file system: every link
    /// through it fails with EXDEV, and a run would make a snapshot holding none of its files.
    /// </summary>
    private static void ProbeLink(StoreLayout layout, string backupParent)
    {
        Files.CreateFolders(layout.TempFolder, 0x1C0);
        var probe = Path.Combine(layout.TempFolder, $"{Environment.ProcessId}-link-probe.tmp");
        var linked = Path.Combine(backupParent, $".actorbackup-link-probe-{Environment.ProcessId}");
        Files.TryUnlink(probe);
        Files.CreateExclusive(probe).Dispose();
        try
        {
            var errno = Files.TryLink(probe, linked);
            if (errno.IsCrossDevice())
                throw new UserError(ExitCode.DifferentFilesystems,
                    $"backup folder parent {backupParent} and data folder {layout.DataFolder} are on one file system but reached through different mounts (a bind mount?): hardlinks between them fail (EXDEV); give both folders below one mount point ({FileSystemFull.MountPointOf(layout.DataFolder)} holds the data folder)");
            if (errno != 0)
                throw new UserError(ExitCode.Fatal,
                    $"cannot make a hardlink from the data folder into {backupParent} ({PosixException.Describe(errno)}); snapshot files are hardlinks, so nothing was backed up");
            Files.Unlink(linked);
        }
        finally
        {
            Files.TryUnlink(probe);
        }
    }

    /// <summary>
    /// Takes the data folder's lock for a command that changes the data folder. Refused with
    /// exit 11 while another process holds it (<paramref name="whenLocked"/> says what to do),
    /// and with exit 10 when the data folder cannot be written at all: a file system mounted
    /// read-only, or a user without the right to write it.
    /// </summary>
    public static DataFolderLock Lock(StoreLayout layout, string whenLocked)
    {
        try
        {
            Files.CreateFolders(layout.MetaFolder, 0x1C0);
            return DataFolderLock.TryAcquire(layout.LockFile, out var holder)
                ?? throw new UserError(ExitCode.Locked, $"data folder {layout.DataFolder} is locked by PID {holder} ({whenLocked})");
        }
        catch (PosixException e) when (e.IsReadOnlyFileSystem)
        {
            throw new UserError(ExitCode.DataFolderReadOnly,
                $"data folder {layout.DataFolder} is on a read-only file system ({e.Message}); remount {FileSystemFull.MountPointOf(layout.DataFolder)} read-write and run again; nothing was changed");
        }
        catch (PosixException e) when (e.IsAccessDenied)
        {
            throw new UserError(ExitCode.DataFolderReadOnly,
                $"data folder {layout.DataFolder} cannot be written by this user ({e.Message}); run as root (or as the data folder's owner); nothing was changed");
        }
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
                // The only place a hash is told by its length: the original tool's data
                // folders record nothing else, and its hashes differ in length.
                var length = file.Split('.')[0].Length;
                return HashKind.All.FirstOrDefault(k => k.InOriginalTool && k.HexLength == length) is { } kind
                    ? new StoreFormat(depth, kind)
                    : null;
            }
            var next = Directory.EnumerateDirectories(folder)
                .FirstOrDefault(d => Path.GetFileName(d) is { Length: 2 } n && n.All(Uri.IsHexDigit));
            if (next is null)
                return null;
            folder = next;
        }
        return null;
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
