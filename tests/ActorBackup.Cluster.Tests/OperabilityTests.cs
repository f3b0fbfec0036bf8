using System.Diagnostics;
using System.Text.Json;
using ActorBackup.Cluster.Tests.Support;
using ActorBackup.Testing;
using Xunit.Abstractions;
using static ActorBackup.Cluster.Tests.Support.TestCluster;

namespace ActorBackup.Cluster.Tests;

/// <summary>Running a cluster over time: restarts, slips in configuration, and what the logs say.</summary>
public sealed class OperabilityTests(ITestOutputHelper output)
{
    [Fact]
    public void Hashers_rejoin_after_the_storage_node_restarts_between_and_during_runs_and_serve_the_next_runs()
    {
        using var cluster = new TestCluster(output);
        var source = new TreeBuilder(cluster.Temp.Combine("src")).SmallFiles("bulk", files: 300, distinct: 300);
        var backups = cluster.Folder("backups");
        var data = cluster.Temp.Combine("data");
        cluster.StartStorage();
        var hasher = cluster.StartHasher();
        cluster.AwaitUp(hasher);
        ExpectHashedBy(cluster.RunCoordinator(BackupArgs(source.Root, backups + "/week1", data)), hasher, cluster);

        // systemctl restart: SIGTERM (the storage node leaves gracefully), then a new process on the same port.
        var stopped = cluster.Storage!.Terminate(StartTimeout);
        Assert.True(stopped.ExitCode == 0, stopped.ToString());
        var clock = Stopwatch.StartNew();
        cluster.StartStorage();
        var rejoined = AwaitRejoined(cluster, hasher, 1);
        cluster.Note($"hasher Up again {clock.Elapsed.TotalSeconds:F1} s after the storage node's restart (SIGTERM)");
        source.File("bulk/new-1.txt", "new in week 2\n");
        ExpectHashedBy(cluster.RunCoordinator(BackupArgs(source.Root, backups + "/week2", data)), hasher, cluster);

        // A crash: kill -9, and systemd's restart.
        cluster.Storage!.Kill();
        clock.Restart();
        cluster.StartStorage();
        AwaitRejoined(cluster, hasher, 2);
        cluster.Note($"hasher Up again {clock.Elapsed.TotalSeconds:F1} s after the storage node's restart (kill -9)");
        source.File("bulk/new-2.txt", "new in week 3\n");
        ExpectHashedBy(cluster.RunCoordinator(BackupArgs(source.Root, backups + "/week3", data)), hasher, cluster);
        Assert.Empty(TreeComparer.Differences(source.Root, backups + "/week3", socketsSkipped: false, xattrs: false));
        Assert.NotEqual(rejoined, LatestAddressOf(hasher));

        // Mid-run: the run in progress ends unpublished and says why; the hasher rejoins and
        // the same command run again completes the snapshot.
        new TreeBuilder(source.Root).ZeroFiles("zeros", 2000, 4 << 20); // 7.8 GiB of sparse zeros: seconds of hashing
        var doomed = cluster.StartCoordinator(BackupArgs(source.Root, backups + "/week4", data));
        doomed.WaitForLine(l => l.Contains(" stats ") && l.Contains(" batches_in_flight=") && !l.Contains(" batches_in_flight=0 "), StartTimeout, "a stats line with batches in flight");
        Assert.False(doomed.HasExited, $"the run ended before the storage node could be killed; it needs a bigger tree\n{doomed.Describe()}");
        cluster.Storage!.Kill();
        var lost = cluster.Finished(doomed.WaitForExit(RunTimeout));
        Assert.True(lost.ExitCode == 1 && lost.StderrLines is [var line] && line.Contains("was not published", StringComparison.Ordinal), lost.ToString());
        cluster.StartStorage();
        AwaitRejoined(cluster, hasher, 3);
        var resumed = cluster.RunCoordinator(BackupArgs(source.Root, backups + "/week4", data));
        ExpectHashedBy(resumed, hasher, cluster);
        Assert.Empty(TreeComparer.Differences(source.Root, backups + "/week4", socketsSkipped: false, fileMtimes: false, xattrs: false));
        Assert.False(hasher.HasExited, $"the hasher should have joined again in its own process\n{hasher.Describe()}");
    }

    [Fact]
    public void A_second_storage_node_on_the_same_port_exits_2_and_the_first_keeps_serving()
    {
        using var cluster = new TestCluster(output);
        var source = new TreeBuilder(cluster.Temp.Combine("src")).File("a.txt", "a\n");
        var first = cluster.StartStorage();

        var second = NodeProcess.Start("storage-again", cluster.Logs, first.Args).WaitForExit(StartTimeout);

        Assert.True(second.ExitCode == 2, second.ToString());
        Assert.True(second.StderrLines is [var line] && line.Contains($"port {cluster.SeedPort} on 127.0.0.1 is taken by another process", StringComparison.Ordinal)
            && line.Contains("akka.remote.dot-netty.tcp.port", StringComparison.Ordinal), second.ToString());
        Assert.Empty(second.StdoutLines);
        Expect.Success(cluster.RunCoordinator(BackupArgs(source.Root, cluster.Temp.Combine("backups/week1"), cluster.Temp.Combine("data"))), cluster);
        Assert.False(first.HasExited, first.Describe());
    }

    [Fact]
    public void Tls_on_with_an_akka_tcp_seed_exits_2_with_one_line_and_writes_almost_no_log()
    {
        using var cluster = new TestCluster(output);
        var config = cluster.Temp.Combine("hasher.conf");
        File.WriteAllText(config, $$"""
            akka.cluster.roles = [hasher]
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.cluster.seed-nodes = ["akka.tcp://actorbackup@127.0.0.1:{{Loopback.FreePort()}}"]
            actorbackup.cluster.tls.enabled = on
            actorbackup.cluster.tls.certificate-path = "/etc/actorbackup/hasher.pfx"
            actorbackup.cluster.tls.pinned-thumbprints = ["0123456789ABCDEF0123456789ABCDEF01234567"]
            """);

        var run = NodeProcess.Start("hasher", cluster.Logs, ["node", "--config", config]).WaitForExit(StartTimeout);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.True(run.StderrLines is [var line] && line.Contains("akka.cluster.seed-nodes", StringComparison.Ordinal)
            && line.Contains("tls.enabled is on, so the scheme is akka.ssl.tcp://", StringComparison.Ordinal), run.ToString());
        Assert.True(run.Stdout.Length + run.Stderr.Length < 10_000, $"{run.Stdout.Length + run.Stderr.Length} bytes of log\n{run}");
    }

    [Theory]
    [InlineData("hostname = 127.0.0.1", "akka.remote.dot-netty.tcp.hostname 127.0.0.1 is a loopback address, but the seed 192.0.2.10 is on another machine")]
    [InlineData("hostname = 127.0.0.1, public-hostname = localhost", "akka.remote.dot-netty.tcp.public-hostname localhost is a loopback address")]
    [InlineData("hostname = 127.0.0.1, public-hostname = \"no-such-host.invalid\"", "akka.remote.dot-netty.tcp.public-hostname no-such-host.invalid does not resolve")]
    public void A_node_others_could_not_reach_exits_2_at_start(string addresses, string expected)
    {
        using var cluster = new TestCluster(output);
        var config = cluster.Temp.Combine("hasher.conf");
        File.WriteAllText(config, $$"""
            akka.cluster.roles = [hasher]
            akka.remote.dot-netty.tcp { {{addresses}}, port = 0 }
            akka.cluster.seed-nodes = ["akka.tcp://actorbackup@192.0.2.10:4051"]
            """);

        var run = NodeProcess.Start("hasher", cluster.Logs, ["node", "--config", config]).WaitForExit(StartTimeout);

        Assert.True(run.ExitCode == 2 && run.StderrLines is [var line] && line.Contains(expected, StringComparison.Ordinal), run.ToString());
        Assert.Empty(run.StdoutLines);
    }

    [Fact]
    public void A_hasher_whose_seed_is_down_logs_each_problem_once_not_a_flood()
    {
        using var cluster = new TestCluster(output);
        var hasher = cluster.StartHasher(); // the seed port: no storage node was started
        Thread.Sleep(TimeSpan.FromSeconds(15)); // seven join attempts, each failing the same way

        var log = hasher.Stdout + hasher.Stderr;
        var refused = hasher.StdoutLines.Count(l => l.Contains("Connection refused", StringComparison.Ordinal) && l.Contains("AssociationError", StringComparison.Ordinal));
        var retries = hasher.StdoutLines.Count(l => l.Contains("Couldn't join seed nodes after", StringComparison.Ordinal));
        Assert.True(refused == 1 && retries <= 1, $"each repeated warning once per minute, found {refused} connection-refused and {retries} retry lines\n{hasher.Describe()}");
        Assert.True(log.Length < 10_000, $"{log.Length} bytes of log in 15 s\n{hasher.Describe()}");
        Assert.False(hasher.HasExited, hasher.Describe());
    }

    [Fact]
    public void A_rerun_right_after_a_coordinator_crash_waits_out_its_removal_and_succeeds()
    {
        using var cluster = new TestCluster(output);
        // Busy for seconds (hashing sparse zeros), so the kill lands mid-run.
        var source = new TreeBuilder(cluster.Temp.Combine("src")).ZeroFiles("zeros", 400, 4 << 20).SmallFiles("bulk", files: 50, distinct: 50);
        var backups = cluster.Folder("backups");
        var data = cluster.Temp.Combine("data");
        cluster.StartStorage();
        var crashed = cluster.StartCoordinator(BackupArgs(source.Root, backups + "/week1", data));
        crashed.WaitForLine(l => l.Contains(" member-up ") && l.Contains("roles=coordinator"), StartTimeout, "its own member-up");
        Assert.False(crashed.HasExited, $"the run ended before it could be killed; it needs a bigger tree\n{crashed.Describe()}");
        crashed.Kill();
        cluster.Note("coordinator killed (kill -9)");

        // A join timeout shorter than failure detection (3 s) + the resolver's 2 s + removal:
        // without waiting out the crashed coordinator, this run exited 12.
        var rerun = cluster.RunCoordinator(BackupArgs(source.Root, backups + "/week1b", data), "actorbackup.cluster.join-timeout = 3s");

        Expect.Success(rerun, cluster);
        Assert.Contains(rerun.StdoutLines, l => l.StartsWith("waiting up to ", StringComparison.Ordinal) && l.Contains("for a previous coordinator to be removed"));
        // Files of one content share one store entry and show its mtime (--exact-mtime=auto): compare bytes.
        foreach (var file in Directory.EnumerateFiles(source.Root, "*", SearchOption.AllDirectories))
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(backups + "/week1b/" + Path.GetRelativePath(source.Root, file)));
    }

    [Fact]
    public void In_json_mode_every_node_log_line_is_one_json_object_named_by_its_node_and_a_clean_run_logs_no_warning()
    {
        using var cluster = new TestCluster(output);
        var source = new TreeBuilder(cluster.Temp.Combine("src")).SmallFiles("bulk", files: 200, distinct: 150);
        const string Json = "actorbackup.cluster.log-format = json";
        var textfiles = cluster.Folder("textfiles");
        var storage = cluster.StartStorage(Json + $"\nactorbackup.cluster.node-name = store1\nactorbackup.metrics.textfile-directory = \"{textfiles}\"");
        var hasher = cluster.StartHasher(Json + "\nactorbackup.cluster.node-name = hash1");
        cluster.AwaitUp(hasher);

        var run = cluster.RunCoordinator(BackupArgs(source.Root, cluster.Temp.Combine("backups/week1"), cluster.Temp.Combine("data")),
            Json + "\nactorbackup.cluster.node-name = cron1");
        Expect.Success(run, cluster);
        Thread.Sleep(TimeSpan.FromSeconds(2)); // the coordinator's leaving, as the nodes log it

        // The storage node's stats line as a node_exporter textfile, rewritten every stats-interval.
        var prom = File.ReadAllLines(textfiles + "/actorbackup_node_store1.prom");
        Assert.All(prom.Where(l => !l.StartsWith('#')), l => Assert.Matches(@"^actorbackup_node_[a-z_]+\{node=""store1"",roles=""storage""\} [0-9.eE+-]+$", l));
        var stored = prom.Single(l => l.StartsWith("actorbackup_node_stored_entries{", StringComparison.Ordinal));
        Assert.True(double.Parse(stored.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) >= 150, stored);
        Assert.Equal(["actorbackup_node_store1.prom"], Directory.GetFiles(textfiles).Select(Path.GetFileName));

        // Names, not ports (each unique, so no address follows).
        Assert.Contains(run.StdoutLines, l => l.StartsWith("files hashed by node: ", StringComparison.Ordinal) && l.Contains("hash1=") && !l.Contains('('));
        Assert.Contains(storage.StdoutLines, l => l.Contains("\"event\":\"member-up\"") && l.Contains("\"name\":\"hash1\"") && l.Contains("\"roles\":\"hasher\""));
        foreach (var (node, name) in new[] { (storage, "store1"), (hasher, "hash1") })
        {
            Assert.All(node.StdoutLines, l => Assert.Contains($"\"node\":\"{name}\"", l));
            Assert.NotEmpty(node.StdoutLines);
            foreach (var line in node.StdoutLines)
            {
                using var parsed = ParseOrFail(line, node);
                var what = parsed.RootElement.GetProperty("event").GetString();
                Assert.True(what is not ("akka-warning" or "akka-error"), $"a clean run logged {line}\n{node.Describe()}");
                Assert.False(string.IsNullOrEmpty(parsed.RootElement.GetProperty("time").GetString()), line);
            }
            Assert.Empty(node.Stderr);
        }
        Assert.DoesNotContain(run.StdoutLines, l => l.Contains("akka-warning") || l.Contains("[WARNING]") || l.Contains("akka-error"));
    }

    private static JsonDocument ParseOrFail(string line, NodeProcess node)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            Assert.Fail($"not one JSON object ({e.Message}): {line}\n{node.Describe()}");
            throw;
        }
    }

    /// <summary>Waits for the <paramref name="times"/>-th rejoin of the hasher and for the storage node to see it Up; returns its new HOST:PORT.</summary>
    private static string AwaitRejoined(TestCluster cluster, NodeProcess hasher, int times)
    {
        hasher.WaitForLine(l => l.Contains("joining the cluster again"), StartTimeout, $"rejoin {times}", skip: 0);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (hasher.StdoutLines.Count(l => l.Contains("joining the cluster again")) < times && DateTime.UtcNow < deadline)
            Thread.Sleep(100);
        var upLines = 0;
        while ((upLines = hasher.StdoutLines.Count(l => l.StartsWith("actorbackup node akka.tcp://", StringComparison.Ordinal) && l.Contains(" up with roles ["))) < times + 1 && DateTime.UtcNow < deadline)
            Thread.Sleep(100);
        Assert.True(upLines == times + 1, $"the hasher did not start again ({upLines} up lines)\n{hasher.Describe()}");
        var address = LatestAddressOf(hasher);
        cluster.Storage!.WaitForLine(l => IsMemberUp(l, address), StartTimeout, $"member-up of the rejoined hasher {address}");
        return address;
    }

    private static void ExpectHashedBy(ProcessResult run, NodeProcess hasher, TestCluster cluster)
    {
        Expect.Success(run, cluster);
        var address = LatestAddressOf(hasher);
        var byNode = FilesHashedByNode(run);
        Assert.True(byNode.TryGetValue(address, out var files) && files > 0, $"the hasher at {address} hashed nothing: {string.Join(", ", byNode)}\n{cluster.DescribeAll()}");
    }
}
