using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.Core.Tests;

public sealed class DataFolderLockTests
{
    [Fact]
    public void TryAcquire_writes_the_PID_of_this_process_into_the_lock_file()
    {
        using var dir = new TempDir();
        var path = dir["lock"];
        File.WriteAllText(path, "999999999 stale text that is longer than a pid\n");

        using var held = DataFolderLock.TryAcquire(path, out var holder);

        Assert.NotNull(held);
        Assert.Equal(0, holder);
        Assert.Equal($"{Environment.ProcessId}\n", File.ReadAllText(path));
    }

    [Fact]
    public void TryAcquire_creates_the_lock_file_readable_only_by_its_owner()
    {
        using var dir = new TempDir();
        var path = dir["lock"];

        using var held = DataFolderLock.TryAcquire(path, out _);

        Assert.NotNull(held);
        Assert.Equal(0x180u, Files.Lstat(path).Mode);
    }
}
