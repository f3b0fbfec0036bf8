using Mono.Unix.Native;

namespace ActorBackup.Testing;

/// <summary>
/// A fresh folder of the test's own under the system temp folder, removed with everything
/// in it on Dispose: read-only files, folders chowned to other users, names that are not
/// UTF-8, trees deeper than PATH_MAX, and file systems a test forgot to unmount. Mode 0700,
/// as mkdtemp makes it: snapshots below it are out of other users' reach, the layout a
/// backup run as root asks for; a test that lets another user in opens what it needs.
/// </summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "actorbackup-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        if (Syscall.mkdir(Path, FilePermissions.S_IRWXU) != 0)
            throw PosixFs.Fail("mkdir", Path);
    }

    /// <summary>Absolute path, without trailing slash.</summary>
    public string Path { get; }

    /// <summary>A path inside this folder (not created).</summary>
    public string Combine(params string[] parts) => string.Join('/', new[] { Path }.Concat(parts));

    /// <summary>A path inside this folder (not created): short for <see cref="Combine"/> with one part.</summary>
    public string this[string relative] => Combine(relative);

    /// <summary>Writes <paramref name="content"/> to a file inside this folder (its folder must exist) and returns its path.</summary>
    public string Write(string relative, string content)
    {
        var path = Combine(relative);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Creates a folder inside this one (and its parents) and returns its path.</summary>
    public string CreateFolder(string relative)
    {
        var path = Combine(relative);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose()
    {
        foreach (var mount in Mounts.Below(Path).OrderByDescending(m => m.Length))
            Mounts.Unmount(mount);
        PosixFs.RemoveTree(Path);
    }
}
