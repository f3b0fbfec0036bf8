using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>Store errors stop the run: exit 1 (13 when the data folder is full), and no snapshot is published.</summary>
public sealed class FatalErrorTests
{
    [Fact]
    public void A_full_data_folder_stops_the_run_with_exit_13_and_publishes_no_snapshot()
    {
        using var s = new Scenario();
        for (var i = 0; i < 8; i++)
            s.Source.File($"big{i}.bin", Scenario.Bytes(1 << 20, seed: 100 + i));
        using var small = new TmpfsMount(s.Temp.Combine("small-fs"), sizeMiB: 4);
        var backups = small.Path + "/backups";
        var data = small.Path + "/data";

        var result = PublishedCli.Run($"--rootfolder={s.SourceRoot}", $"--backupfolder={backups}/s1", $"--datafolder={data}", "--createdirs");

        Expect.ExitCode(result, 13);
        var last = result.StderrLines[^1];
        Assert.StartsWith($"actorbackup: no space left on {data} (file system {small.Path}; ", last);
        Assert.Contains("not published", last);
        Assert.False(PosixFs.Exists(backups + "/s1"), "no snapshot may be published after a fatal error");
        Assert.False(PosixFs.Exists(data + "/.actorbackup/snapshots/s1.manifest"), "no complete manifest may exist for an unpublished snapshot");
        Assert.Empty(PosixFs.TempFiles(data));
    }
}
