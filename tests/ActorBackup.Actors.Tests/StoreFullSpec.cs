using ActorBackup.Actors.DataStore;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;
using Mono.Unix.Native;

namespace ActorBackup.Actors.Tests;

/// <summary>How a store failure becomes the run's exit code and line: 13 for a full file system or a used-up quota, 1 for the rest.</summary>
public sealed class StoreFullSpec
{
    private static readonly string DataFolder = Path.GetTempPath().TrimEnd('/');

    [Fact]
    public void ENOSPC_from_a_system_call_is_exit_13_naming_the_data_folder_its_file_system_and_the_fix()
    {
        var failed = StoreFull.Failure(new PosixException(Errno.ENOSPC, "link /d/AB/ABC to", "/b/.s1.partial/x"), DataFolder);

        Assert.Equal(ExitCode.NoSpace, failed.Code);
        var mount = FileSystemFull.MountPointOf(DataFolder);
        Assert.StartsWith($"no space left on {DataFolder} (file system {mount}; link /d/AB/ABC to /b/.s1.partial/x: ", failed.Reason);
        Assert.EndsWith($"free space on {mount} and run again", failed.Reason);
    }

    [Fact]
    public void ENOSPC_from_a_dotnet_stream_is_recognised_by_its_errno()
    {
        var failed = StoreFull.Failure(new IOException("No space left on device : '/d/.actorbackup/snapshots/s1.manifest.sorting'", 28), DataFolder);

        Assert.Equal(ExitCode.NoSpace, failed.Code);
        Assert.Contains("s1.manifest.sorting", failed.Reason);
    }

    [Fact]
    public void EDQUOT_is_exit_13_with_its_own_line_saying_to_raise_the_quota()
    {
        var failed = StoreFull.Failure(new PosixException(Errno.EDQUOT, "set owner of", "/d/.actorbackup/tmp/1-2.tmp"), DataFolder);

        Assert.Equal(ExitCode.NoSpace, failed.Code);
        Assert.StartsWith($"disk quota exceeded on {DataFolder} (file system ", failed.Reason);
        Assert.Contains("raise the quota", failed.Reason);
    }

    [Fact]
    public void Other_store_failures_stay_exit_1_with_their_own_message()
    {
        var io = StoreFull.Failure(new PosixException(Errno.EIO, "rename", "/d/.actorbackup/tmp/1-2.tmp"), DataFolder);
        var plain = StoreFull.Failure(new IOException("refused a snapshot path that leaves the snapshot"), DataFolder);

        Assert.Equal((ExitCode.Fatal, ExitCode.Fatal), (io.Code, plain.Code));
        Assert.Equal("refused a snapshot path that leaves the snapshot", plain.Reason);
    }

    [Fact]
    public void The_fault_of_a_failed_write_survives_the_trip_to_the_data_store()
    {
        var full = FileSystemFull.FaultOf(new PosixException(Errno.ENOSPC, "create", "/d/x"));
        var quota = FileSystemFull.FaultOf(new PosixException(Errno.EDQUOT, "write", "/d/x"));

        Assert.True(FileSystemFull.Is(FileSystemFull.WithFault("writing /d/x: No space left on device", full), out var isQuota));
        Assert.False(isQuota);
        Assert.True(FileSystemFull.Is(FileSystemFull.WithFault("writing /d/x: Disk quota exceeded", quota), out isQuota));
        Assert.True(isQuota);
        Assert.Equal(WriteFault.Other, FileSystemFull.FaultOf(new IOException("no errno")));
        Assert.False(FileSystemFull.Is(FileSystemFull.WithFault("writing /d/x: Input/output error", WriteFault.Other), out _));
    }

    [Fact]
    public void The_mount_point_is_the_highest_folder_on_the_same_device()
    {
        Assert.Equal("/proc", FileSystemFull.MountPointOf("/proc/self"));
        Assert.Equal("/", FileSystemFull.MountPointOf("/"));
    }
}
