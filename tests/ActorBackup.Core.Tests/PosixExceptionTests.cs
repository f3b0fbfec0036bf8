using ActorBackup.Posix;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.Core.Tests;

/// <summary>The named kinds of failure the layers above the POSIX one ask instead of an errno.</summary>
public sealed class PosixExceptionTests
{
    private static PosixException Failed(Errno errno) => new(errno, "open", "/d/x");

    [Fact]
    public void Each_predicate_names_its_errno_and_no_other()
    {
        Assert.True(Failed(Errno.ENOENT).IsNotFound);
        Assert.True(Failed(Errno.ENOTDIR).IsNotADirectory);
        Assert.True(Failed(Errno.EEXIST).AlreadyExists);
        Assert.True(Failed(Errno.EMLINK).TooManyLinks);
        Assert.True(Failed(Errno.EXDEV).IsCrossDevice);
        Assert.True(Failed(Errno.ELOOP).IsSymlinkNotFollowed);
        Assert.True(Failed(Errno.ESTALE).IsStale);
        Assert.True(Failed(Errno.EINVAL).IsInvalid);
        Assert.True(Failed(Errno.EPERM).IsNotPermitted);
        Assert.True(Failed(Errno.EROFS).IsReadOnlyFileSystem);

        var other = Failed(Errno.EIO);
        Assert.False(other.IsNotFound || other.IsNotADirectory || other.IsAbsent || other.AlreadyExists || other.TooManyLinks
            || other.IsCrossDevice || other.IsSymlinkNotFollowed || other.IsStale || other.IsInvalid || other.IsNotPermitted
            || other.IsAccessDenied || other.IsReadOnlyFileSystem || other.IsNoSpace);
    }

    [Fact]
    public void Absent_covers_a_missing_name_and_a_file_where_a_folder_was()
    {
        Assert.True(Failed(Errno.ENOENT).IsAbsent);
        Assert.True(Failed(Errno.ENOTDIR).IsAbsent);
        Assert.False(Failed(Errno.ELOOP).IsAbsent);
    }

    [Fact]
    public void Access_denied_is_EACCES_or_EPERM_and_no_space_is_ENOSPC_or_EDQUOT()
    {
        Assert.True(Failed(Errno.EACCES).IsAccessDenied);
        Assert.True(Failed(Errno.EPERM).IsAccessDenied);
        Assert.False(Failed(Errno.EACCES).IsNotPermitted);
        Assert.True(Failed(Errno.ENOSPC).IsNoSpace);
        Assert.True(Failed(Errno.EDQUOT).IsNoSpace);
        Assert.True(Errno.EDQUOT.IsQuotaExceeded());
        Assert.False(Errno.ENOSPC.IsQuotaExceeded());
    }

    [Theory]
    [InlineData(Errno.ENOSPC, true)]
    [InlineData(Errno.EDQUOT, true)]
    [InlineData(Errno.EIO, true)]
    [InlineData(Errno.EROFS, true)]
    [InlineData(Errno.EXDEV, true)]
    [InlineData(Errno.ENOENT, false)]
    [InlineData(Errno.EACCES, false)]
    [InlineData(Errno.EMLINK, false)]
    public void File_system_wide_failures_are_the_ones_that_stop_a_run(Errno errno, bool wide)
    {
        Assert.Equal(wide, Failed(errno).IsFileSystemWide);
    }

    [Theory]
    [InlineData(Errno.EOPNOTSUPP, true)]
    [InlineData(Errno.EINVAL, true)]
    [InlineData(Errno.ENOTTY, true)]
    [InlineData(Errno.EXDEV, true)]
    [InlineData(Errno.ENOSYS, true)]
    [InlineData(Errno.EIO, false)]
    [InlineData(Errno.ENOENT, false)]
    public void A_file_system_that_cannot_clone_is_told_from_a_clone_that_failed(Errno errno, bool unsupported)
    {
        Assert.Equal(unsupported, errno.IsCloneUnsupported());
    }

    [Fact]
    public void The_cause_is_the_described_errno_and_the_message_names_operation_and_path()
    {
        var e = Failed(Errno.ENOENT);

        Assert.Equal(PosixException.Describe(Errno.ENOENT), e.Cause);
        Assert.EndsWith("(ENOENT)", e.Cause);
        Assert.Equal($"open /d/x: {e.Cause}", e.Message);
    }

    [Fact]
    public void ThrowIfFailed_throws_for_an_errno_and_ThrowUnlessMadeOrExists_lets_EEXIST_pass()
    {
        PosixException.ThrowIfFailed(0, "mkdir", "/d/x");
        PosixException.ThrowUnlessMadeOrExists(Errno.EEXIST, "mkdir", "/d/x");
        Assert.True(Assert.Throws<PosixException>(() => PosixException.ThrowIfFailed(Errno.EEXIST, "mkdir", "/d/x")).AlreadyExists);
        Assert.True(Assert.Throws<PosixException>(() => PosixException.ThrowUnlessMadeOrExists(Errno.EACCES, "mkdir", "/d/x")).IsAccessDenied);
        Assert.True(PosixException.NameTaken("create directory", "/d/x").AlreadyExists);
    }

    [Fact]
    public void A_real_failed_call_is_classified_by_its_errno()
    {
        using var dir = new TempDir();

        var missing = Assert.Throws<PosixException>(() => Files.Lstat(dir.Path + "/nothing"));

        Assert.True(missing.IsNotFound);
        Assert.True(missing.IsAbsent);
    }
}
