using ActorBackup.Actors.Cluster;
using ActorBackup.Core;
using ActorBackup.Hosting;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace ActorBackup.Actors.Tests;

/// <summary>
/// Every key of hocon/actorbackup.conf and hocon/cluster.conf has a range: its ends are
/// taken, one step beyond either is refused with a line naming the key, and so is a value of
/// the wrong kind.
/// </summary>
public sealed class SettingsBoundsSpec
{
    private static Config Local(string hocon) => ConfigurationFactory.ParseString(hocon).WithFallback(BackupSystem.LoadConfig(null));

    private static Config Node(string hocon) => ConfigurationFactory.ParseString(hocon)
        .WithFallback(ConfigurationFactory.ParseString(BackupSystem.ReadEmbedded("cluster.conf")))
        .WithFallback(BackupSystem.LoadConfig(null));

    /// <summary>Everything a one-process run checks before its actor system starts.</summary>
    private static void CheckLocal(Config config)
    {
        BackupSettings.From(config);
        AkkaSection.CheckLocal(config, "the test's file");
    }

    private static void CheckNode(Config config)
    {
        BackupSettings.From(config);
        ClusterSettings.From(config);
        AkkaSection.CheckCluster(config, "the test's file");
    }

    private static void Refused(Action check, string key)
    {
        var e = Assert.Throws<UserError>(check);
        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.StartsWith($"configuration key {key} must be ", e.Message);
        Assert.Contains("; fix it in ", e.Message);
    }

    [Theory]
    [InlineData("hashers", "0", "128", "-1", "100000")]
    [InlineData("walkers", "1", "32", "0", "100000")]
    [InlineData("copiers", "1", "32", "0", "100000")]
    [InlineData("link-workers", "0", "32", "-1", "33")]
    [InlineData("hash-batch-files", "1", "10000", "0", "10001")]
    [InlineData("hash-batch-bytes", "4KiB", "16GiB", "4095b", "17179869185b")]
    [InlineData("batches-per-hasher", "1", "64", "0", "2147483647")]
    [InlineData("max-queued-files", "1", "100000", "0", "100001")]
    [InlineData("read-buffer", "4KiB", "16MiB", "4095", "4294975488b")]
    [InlineData("read-retries", "0", "10", "-1", "11")]
    [InlineData("max-links-per-entry", "2", "4294967295", "1", "4294967296")]
    [InlineData("heap-budget", "16MiB", "1TiB", "16777215b", "1025GiB")]
    [InlineData("progress-interval", "100ms", "1h", "99ms", "61m")]
    [InlineData("store-priority", "0", "19", "-1", "20")]
    [InlineData("dispatchers.hash.throughput", "1", "1000", "0", "1001")]
    [InlineData("dispatchers.io.throughput", "1", "1000", "0", "1001")]
    [InlineData("dispatchers.store.throughput", "1", "1000", "0", "1001")]
    [InlineData("dispatchers.hash.dedicated-thread-pool.thread-count", "1", "128", "0", "100000")]
    [InlineData("dispatchers.io.dedicated-thread-pool.thread-count", "1", "128", "0", "100000")]
    public void A_key_of_actorbackup_conf_takes_the_ends_of_its_range_and_refuses_beyond(string key, string min, string max, string below, string above)
    {
        CheckLocal(Local($"actorbackup.{key} = {min}"));
        CheckLocal(Local($"actorbackup.{key} = {max}"));
        Refused(() => CheckLocal(Local($"actorbackup.{key} = {below}")), $"actorbackup.{key}");
        Refused(() => CheckLocal(Local($"actorbackup.{key} = {above}")), $"actorbackup.{key}");
    }

    [Fact]
    public void A_read_buffer_of_4GiB_and_8KiB_is_refused_instead_of_wrapping_to_8KiB()
    {
        Refused(() => BackupSettings.From(Local("actorbackup.read-buffer = 4294975488b")), "actorbackup.read-buffer");
    }

    [Theory]
    [InlineData("progress-interval", "0s")]
    [InlineData("heap-budget", "0")]
    public void Zero_turns_a_key_off(string key, string zero)
    {
        CheckLocal(Local($"actorbackup.{key} = {zero}"));
    }

    [Theory]
    [InlineData("dispatchers.hash.type", "ForkJoinDispatcher", "Dispatcher")]
    [InlineData("dispatchers.hash.type", "PinnedDispatcher", "ActorBackup.Nothing, ActorBackup")]
    [InlineData("dispatchers.io.type", "PinnedDispatcher", "forkjoindispatcher")]
    [InlineData("dispatchers.store.type", "PinnedDispatcher", "ForkJoinDispatcher")]
    [InlineData("dispatchers.hash.dedicated-thread-pool.threadtype", "background", "foreground")]
    [InlineData("dispatchers.io.dedicated-thread-pool.threadtype", "background", "foreground")]
    [InlineData("fsync", "off", "perhaps")]
    [InlineData("copy-first", "true", "yes")]
    [InlineData("direct-writes", "on", "ON")]
    public void A_key_with_a_few_values_takes_those_only(string key, string taken, string refused)
    {
        CheckLocal(Local($"actorbackup.{key} = \"{taken}\""));
        Refused(() => CheckLocal(Local($"actorbackup.{key} = \"{refused}\"")), $"actorbackup.{key}");
    }

    [Theory]
    [InlineData("loglevel", "info", "FOO")]
    [InlineData("stdout-loglevel", "OFF", "verbose")]
    [InlineData("log-dead-letters", "10", "maybe")]
    [InlineData("log-dead-letters", "on", "1000001")]
    [InlineData("log-dead-letters-during-shutdown", "on", "1")]
    [InlineData("actor.provider", "local", "cluster")]
    [InlineData("coordinated-shutdown.run-by-clr-shutdown-hook", "on", "sometimes")]
    public void An_akka_key_of_actorbackup_conf_is_checked_for_a_run_in_one_process(string key, string taken, string refused)
    {
        CheckLocal(Local($"akka.{key} = {taken}"));
        Refused(() => CheckLocal(Local($"akka.{key} = {refused}")), $"akka.{key}");
    }

    [Theory]
    [InlineData("akka.scheduler.tick-duration = 0s")]
    [InlineData("akka.actor.default-mailbox.mailbox-type = \"No.Such.Mailbox, Nowhere\"")]
    [InlineData("akka.actor.default-dispatcher.throughput = many")]
    public void An_akka_key_Akka_refuses_at_start_is_a_usage_error_not_an_internal_one(string hocon)
    {
        var config = Local(hocon);

        var e = Assert.Throws<UserError>(() => BackupSystem.Create(config, BackupSettings.From(config)).Dispose());

        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.StartsWith("the actor system refused the configuration (", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    /// <summary>Values of every kind but the right one; each is wrong for every key of the file.</summary>
    public static TheoryData<string> OddValues() =>
        ["[1, 2]", "{ a = 1 }", "null", "\"\"", "1.5", "-7", "1e3", "99999999999TiB", "infinite", "-1s", "3 weeks", "0x10", "9223372036854775808", "\"${x}\""];

    [Theory]
    [MemberData(nameof(OddValues))]
    public void Every_key_of_actorbackup_conf_refuses_values_of_the_wrong_kind_by_name(string value)
    {
        foreach (var key in LeafKeys(BackupSystem.ReadEmbedded("actorbackup.conf")))
        {
            if (key == "actorbackup.metrics.textfile-directory" && value == "\"\"")
                continue; // "" is its documented "off"; every other odd value is refused
            Refused(() => CheckLocal(Local($"{key} = {value}")), key);
        }
    }

    [Theory]
    [InlineData("join-timeout", "1s", "1h", "999ms", "61m")]
    [InlineData("batch-deadline", "1s", "1d", "0s", "25h")]
    [InlineData("hasher-wait", "100ms", "10m", "99ms", "11m")]
    [InlineData("max-batches-in-flight", "1", "1024", "0", "1025")]
    [InlineData("stats-interval", "100ms", "1d", "99ms", "25h")]
    [InlineData("chunk-size", "1KiB", "100KiB", "1023b", "101KiB")]
    [InlineData("chunk-window", "1", "1024", "0", "1025")]
    public void A_key_of_cluster_conf_takes_the_ends_of_its_range_and_refuses_beyond(string key, string min, string max, string below, string above)
    {
        CheckNode(Node($"actorbackup.cluster.{key} = {min}"));
        CheckNode(Node($"actorbackup.cluster.{key} = {max}"));
        Refused(() => CheckNode(Node($"actorbackup.cluster.{key} = {below}")), $"actorbackup.cluster.{key}");
        Refused(() => CheckNode(Node($"actorbackup.cluster.{key} = {above}")), $"actorbackup.cluster.{key}");
    }

    [Theory]
    [InlineData("log-format", "json", "xml")]
    [InlineData("path-map", "{ \"/home\" = \"/mnt/home\" }", "{ \"/home\" = \"mnt\" }")]
    [InlineData("path-map", "{}", "[\"/home\"]")]
    [InlineData("storage.source-visible", "on", "[on]")]
    [InlineData("storage.allowed-folders", "[\"/backup\"]", "[\"backup\"]")]
    [InlineData("storage.allowed-folders", "[]", "\"/backup\"")]
    [InlineData("tls.enabled", "off", "{}")]
    [InlineData("tls.certificate-path", "\"/etc/node.pfx\"", "[\"/etc/node.pfx\"]")]
    [InlineData("tls.certificate-password", "\"p\\\"w\"", "{ a = b }")]
    [InlineData("tls.pinned-thumbprints", "[\"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01\"]", "[\"ABCD\"]")]
    [InlineData("tls.ca-certificate", "\"/etc/actorbackup/ca.crt\"", "[\"/etc/actorbackup/ca.crt\"]")]
    [InlineData("tls.denied-thumbprints", "[\"abcdef0123456789abcdef0123456789abcdef01\"]", "[\"AB:CD\"]")]
    [InlineData("tls.denied-thumbprints-file", "\"/etc/actorbackup/denied\"", "{ a = b }")]
    public void A_key_of_cluster_conf_takes_its_kind_only(string key, string taken, string refused)
    {
        CheckNode(Node($"actorbackup.cluster.{key} = {taken}"));
        Refused(() => CheckNode(Node($"actorbackup.cluster.{key} = {refused}")), $"actorbackup.cluster.{key}");
    }

    [Theory]
    [InlineData("remote.dot-netty.tcp.port", "65535", "65536")]
    [InlineData("remote.dot-netty.tcp.maximum-frame-size", "128000b", "256000b")]
    [InlineData("cluster.failure-detector.heartbeat-interval", "500ms", "0s")]
    [InlineData("cluster.split-brain-resolver.active-strategy", "static-quorum", "keep-everyone")]
    [InlineData("cluster.roles", "[hasher]", "hasher")]
    [InlineData("actor.provider", "cluster", "local")]
    public void An_akka_key_of_cluster_conf_is_checked_for_a_node(string key, string taken, string refused)
    {
        CheckNode(Node($"akka.{key} = {taken}"));
        Refused(() => CheckNode(Node($"akka.{key} = {refused}")), $"akka.{key}");
    }

    [Theory]
    [MemberData(nameof(OddValues))]
    public void Every_key_of_cluster_conf_under_actorbackup_refuses_values_of_the_wrong_kind_by_name(string value)
    {
        foreach (var key in LeafKeys(BackupSystem.ReadEmbedded("cluster.conf")).Where(k => k.StartsWith("actorbackup.", StringComparison.Ordinal)))
        {
            // Strings take any single value: only lists and objects are of the wrong kind there.
            if (key.EndsWith("certificate-path", StringComparison.Ordinal) || key.EndsWith("certificate-password", StringComparison.Ordinal)
                || key.EndsWith("ca-certificate", StringComparison.Ordinal) || key.EndsWith("denied-thumbprints-file", StringComparison.Ordinal)
                || key.EndsWith("node-name", StringComparison.Ordinal)) // a name: any word of its characters, "" for the host name
            {
                if (value.StartsWith('[') || value.StartsWith('{'))
                    Refused(() => CheckNode(Node($"{key} = {value}")), key);
                continue;
            }
            Refused(() => CheckNode(Node($"{key} = {value}")), key);
        }
    }

    [Theory]
    [InlineData("\"two words\"")]
    [InlineData("\"a/b\"")]
    [InlineData("\"näme\"")]
    [InlineData("\"0123456789012345678901234567890123456789012345678901234567890123456789\"")]
    public void A_node_name_others_could_not_read_in_a_log_line_is_refused_by_name(string value) =>
        Refused(() => CheckNode(Node($"actorbackup.cluster.node-name = {value}")), "actorbackup.cluster.node-name");

    /// <summary>The leaf keys of a reference file, so a new key is checked here without a new line of test.</summary>
    public static IEnumerable<string> LeafKeys(string hocon)
    {
        var pending = new Stack<(string Path, HoconValue Value)>([("", ConfigurationFactory.ParseString(hocon).Root)]);
        while (pending.Count > 0)
        {
            var (path, value) = pending.Pop();
            if (!value.IsObject() || (value.GetObject().Items.Count == 0 && path.Length > 0))
            {
                yield return path;
                continue;
            }
            foreach (var (key, child) in value.GetObject().Items)
                pending.Push((path.Length == 0 ? key : $"{path}.{key}", child));
        }
    }
}
