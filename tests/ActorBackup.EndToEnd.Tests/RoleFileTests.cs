using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Testing;
using static ActorBackup.Testing.Loopback;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// A cluster node's role file, or a coordinator's --cluster file, with a bad key: the process
/// stops at once with exit code 2 and one line naming the key, before it joins or listens
/// (it never prints its "up" line).
/// </summary>
public sealed class RoleFileTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData("actorbackup.hashers = 100000", "actorbackup.hashers")]
    [InlineData("actorbackup.batches-per-hasher = 2147483647", "actorbackup.batches-per-hasher")]
    [InlineData("actorbackup.dispatchers.store.type = ForkJoinDispatcher", "actorbackup.dispatchers.store.type")]
    [InlineData("actorbackup.cluster.chunk-size = 1GiB", "actorbackup.cluster.chunk-size")]
    [InlineData("actorbackup.cluster.join-timeout = [15s]", "actorbackup.cluster.join-timeout")]
    [InlineData("actorbackup.cluster.stats-interval = infinite", "actorbackup.cluster.stats-interval")]
    [InlineData("actorbackup.cluster.storage.allowed-folders = \"/backup\"", "actorbackup.cluster.storage.allowed-folders")]
    [InlineData("actorbackup.cluster.tls.pinned-thumbprints = [\"AB\"]", "actorbackup.cluster.tls.pinned-thumbprints")]
    [InlineData("akka.actor.provider = local", "akka.actor.provider")]
    [InlineData("akka.loglevel = LOUD", "akka.loglevel")]
    [InlineData("akka.remote.dot-netty.tcp.maximum-frame-size = 1MiB", "akka.remote.dot-netty.tcp.maximum-frame-size")]
    [InlineData("akka.remote.dot-netty.tcp.port = 70000", "akka.remote.dot-netty.tcp.port")]
    public void A_node_whose_role_file_has_a_bad_key_stops_at_once_naming_it_and_never_listens(string line, string key)
    {
        using var temp = new TempDir("actorbackup-role");
        var file = RoleFile(temp, "storage", FreePort(), line);

        var run = PublishedCli.Run(["node", "--config", file], TimeSpan.FromSeconds(30));

        Expect.Refusal(run, 2, $"configuration key {key} ");
        Assert.Contains(file, run.StderrLines[0]);
        Assert.True(run.Elapsed < Quick, $"took {run.Elapsed.TotalSeconds:F1} s\n{run}");
    }

    [Fact]
    public void A_node_whose_role_file_includes_another_stops_naming_the_file_and_line()
    {
        using var temp = new TempDir("actorbackup-role");
        var file = RoleFile(temp, "hasher", FreePort(), "include required(file(\"/nonexistent/common.hocon\"))");

        var run = PublishedCli.Run(["node", "--config", file], TimeSpan.FromSeconds(30));

        Expect.Refusal(run, 2, $"configuration file {file}, line 5: include is not supported");
    }

    [Theory]
    [InlineData("actorbackup.cluster.join-timeout = 0s", "actorbackup.cluster.join-timeout")]
    [InlineData("actorbackup.cluster.max-batches-in-flight = 100000", "actorbackup.cluster.max-batches-in-flight")]
    public void A_coordinator_whose_cluster_file_has_a_bad_key_stops_at_once_naming_it(string line, string key)
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        var file = RoleFile(s.Temp, "coordinator", FreePort(), line);

        var run = s.Backup("s1", $"--cluster={file}");

        Expect.Refusal(run, 2, $"configuration key {key} ");
        Assert.True(run.Elapsed < Quick, $"took {run.Elapsed.TotalSeconds:F1} s\n{run}");
    }

    [Fact]
    public void A_coordinator_whose_config_file_asks_for_the_local_provider_stops_naming_both_files()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        var cluster = RoleFile(s.Temp, "coordinator", FreePort(), "");
        var config = s.Temp.Combine("site.conf");
        File.WriteAllText(config, "akka.actor.provider = local\n");

        var run = s.Backup("s1", $"--cluster={cluster}", $"--config={config}");

        Expect.Refusal(run, 2, $"configuration key akka.actor.provider must be cluster for a cluster node; fix it in configuration file {cluster} or {config}");
    }

    [Fact]
    public void A_coordinators_config_file_is_checked_as_a_cluster_nodes_not_as_a_run_in_one_process()
    {
        using var s = new Scenario();
        s.Source.File("a", "a");
        var cluster = RoleFile(s.Temp, "coordinator", FreePort(), "");
        var config = s.Temp.Combine("site.conf");
        File.WriteAllText(config, "akka.actor.provider = cluster\nactorbackup.cluster.hasher-wait = 0s\n");

        var run = s.Backup("s1", $"--cluster={cluster}", $"--config={config}");

        // Taken: the run went on to join, and gave up after the cluster file's join-timeout.
        Expect.ExitCode(run, 12);
        Assert.True(run.StderrLines is [var line] && line.Contains("no storage node reached within 3 s: this coordinator joined the cluster, but no storage node is Up in it", StringComparison.Ordinal), run.ToString());
    }

    /// <summary>A role file like those of hocon/, on loopback, seeding itself, with <paramref name="line"/> last.</summary>
    private static string RoleFile(TempDir temp, string role, int port, string line)
    {
        var path = temp.Combine($"{role}.hocon");
        File.WriteAllText(path, $$"""
            akka.cluster.roles = [{{role}}]
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, public-hostname = 127.0.0.1, port = {{port}} }
            akka.cluster.seed-nodes = ["akka.tcp://actorbackup@127.0.0.1:{{port}}"]
            actorbackup.cluster.join-timeout = 3s
            {{line}}

            """);
        return path;
    }
}
