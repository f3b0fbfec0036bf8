namespace ActorBackup.Testing;

/// <summary>The file systems a test can make on a loop device.</summary>
public enum LoopFs
{
    /// <summary>ext4: no clones; 65,000 links per inode.</summary>
    Ext4,

    /// <summary>XFS made with reflink=1: clones share extents.</summary>
    Xfs,

    /// <summary>btrfs: clones share extents.</summary>
    Btrfs,
}

/// <summary>
/// A small file system for one test (needs root): an image file formatted (mkfs.ext4,
/// mkfs.xfs -m reflink=1, mkfs.btrfs) and loop-mounted on a folder. For what only a real
/// file system does: ext4's 65,000-links-per-inode limit (EMLINK), XFS's and btrfs's
/// reflink clones. Dispose unmounts it and detaches its loop device, also after a failed test.
/// </summary>
public sealed class LoopMount : IDisposable
{
    private readonly string _image;
    private bool _mounted;

    /// <summary>
    /// Formats <paramref name="image"/> (<paramref name="sizeMiB"/> MiB, created sparse; XFS
    /// needs 300 MiB at least, btrfs 114) and mounts it on <paramref name="folder"/>.
    /// </summary>
    public LoopMount(string image, string folder, LoopFs fs = LoopFs.Ext4, int sizeMiB = 64)
    {
        _image = image;
        Path = folder;
        Fs = fs;
        try
        {
            using (var file = File.Create(image))
                file.SetLength((long)sizeMiB << 20);
            switch (fs)
            {
                case LoopFs.Ext4:
                    // No lazy init: no kernel thread zeroing inode tables may hold the device at umount.
                    Mounts.Run("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", image);
                    break;
                case LoopFs.Xfs:
                    Mounts.Run("mkfs.xfs", "-q", "-f", "-m", "reflink=1", image);
                    break;
                case LoopFs.Btrfs:
                    Mounts.Run("mkfs.btrfs", "-q", "-f", image);
                    break;
            }
            Directory.CreateDirectory(folder);
            // -o loop sets the loop device to detach itself when the file system is unmounted.
            Mounts.Run("mount", "-o", "loop", image, folder);
            _mounted = true;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Path { get; }

    public LoopFs Fs { get; }

    public void Dispose()
    {
        if (_mounted)
        {
            Mounts.Unmount(Path);
            _mounted = false;
        }
        // Normally gone with the unmount; after a lazy one, -d detaches it once released.
        foreach (var line in Losetup("--associated", _image).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Losetup("--detach", line[..line.IndexOf(':')]);
        File.Delete(_image);
    }

    /// <summary>Runs losetup; its standard output, or "" when it failed (Dispose must go on).</summary>
    private static string Losetup(params string[] args) => Commands.TryOutput(["losetup", .. args]) ?? "";
}
