namespace ActorBackup.Testing;

/// <summary>
/// A file or folder bind-mounted onto another for one test (needs root), unmounted on
/// Dispose: puts a kernel file with its own rules (procfs, sysfs) inside a test's tree.
/// </summary>
public sealed class BindMount : IDisposable
{
    private bool _mounted;

    /// <summary>Mounts <paramref name="source"/> on <paramref name="mountPoint"/>, which must exist and be of the same kind.</summary>
    public BindMount(string source, string mountPoint)
    {
        Path = mountPoint;
        Mounts.Run("mount", "--bind", source, mountPoint);
        _mounted = true;
    }

    public string Path { get; }

    public void Dispose()
    {
        if (!_mounted)
            return;
        Mounts.Unmount(Path);
        _mounted = false;
    }
}
