using System.Diagnostics;

namespace ActorBackup.Testing;

/// <summary>
/// A small ext4 file system for one test (needs root): an image file formatted with
/// mkfs.ext4 and loop-mounted on a folder. For what only a real ext4 does, such as its
/// 65,000-links-per-inode limit (EMLINK). Dispose unmounts it and detaches its loop device,
/// also after a failed test.
/// </summary>
public sealed class Ext4LoopMount : IDisposable
{
    private readonly string _image;
    private bool _mounted;

    /// <summary>Formats <paramref name="image"/> (<paramref name="sizeMiB"/> MiB, created sparse) and mounts it on <paramref name="folder"/>.</summary>
    public Ext4LoopMount(string image, string folder, int sizeMiB = 64)
    {
        _image = image;
        Path = folder;
        try
        {
            using (var file = File.Create(image))
                file.SetLength((long)sizeMiB << 20);
            // No lazy init: no kernel thread zeroing inode tables may hold the device at umount.
            Mounts.Run("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", image);
            Directory.CreateDirectory(folder);
            // -o loop sets the loop device to detach itself when the file system is unmounted.
            Mounts.Run("mount", "-t", "ext4", "-o", "loop", image, folder);
            _mounted = true;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Path { get; }

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
    private static string Losetup(params string[] args)
    {
        var start = new ProcessStartInfo("losetup") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        _ = stderr.Result;
        return process.ExitCode == 0 ? stdout : "";
    }
}
