namespace ActorBackup.Core.Tests;

public sealed class ExitCodeTests
{
    [Theory]
    [InlineData(ExitCode.Success, 0)]
    [InlineData(ExitCode.Fatal, 1)]
    [InlineData(ExitCode.Usage, 2)]
    [InlineData(ExitCode.FileErrors, 3)]
    [InlineData(ExitCode.BackupFolderExists, 4)]
    [InlineData(ExitCode.DataFolderMismatch, 5)]
    [InlineData(ExitCode.DifferentFilesystems, 6)]
    [InlineData(ExitCode.FolderMissing, 7)]
    [InlineData(ExitCode.TargetNotEmpty, 8)]
    [InlineData(ExitCode.SnapshotNotFound, 9)]
    [InlineData(ExitCode.DataFolderReadOnly, 10)]
    [InlineData(ExitCode.Locked, 11)]
    [InlineData(ExitCode.StorageUnreachable, 12)]
    [InlineData(ExitCode.NoSpace, 13)]
    [InlineData(ExitCode.SnapshotsReachable, 14)]
    [InlineData(ExitCode.DamageFound, 20)]
    [InlineData(ExitCode.DamageHealed, 21)]
    [InlineData(ExitCode.Hangup, 129)]
    [InlineData(ExitCode.Interrupted, 130)]
    [InlineData(ExitCode.Terminated, 143)]
    public void Exit_codes_keep_their_documented_numbers(ExitCode code, int number)
    {
        Assert.Equal(number, (int)code);
    }
}
