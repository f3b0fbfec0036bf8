using ActorBackup.Testing;

namespace ActorBackup.Tls.Tests.Support;

/// <summary>
/// One test's TLS cluster in its own temp folder: certificates (certs/), role files that
/// include nothing (conf/), a source tree (src/), snapshots (backups/) and the data folder
/// (data/), a storage node on a free 127.0.0.1 port, hasher nodes, and coordinators run as
/// processes. Dispose kills the nodes and removes the folder.
/// </summary>
internal sealed class TlsCluster : IDisposable
{
    public static readonly TimeSpan NodeStartTimeout = TimeSpan.FromSeconds(90);

    private NodeProcess? _storage;
    private readonly List<NodeProcess> _hashers = [];

    public TlsCluster()
    {
        Temp = new TempDir("actorbackup-tls");
        Certs = Temp.CreateFolder("certs");
        Conf = Temp.CreateFolder("conf");
        Source = new TreeBuilder(Temp.Combine("src"));
        Backups = Temp.CreateFolder("backups");
        Data = Temp.Combine("data");
        StoragePort = Loopback.FreePort();
    }

    public TempDir Temp { get; }

    public string Certs { get; }

    public string Conf { get; }

    public TreeBuilder Source { get; }

    public string Backups { get; }

    public string Data { get; }

    public int StoragePort { get; }

    /// <summary>The seed address: with TLS on, Akka's scheme is akka.ssl.tcp.</summary>
    public string Seed => $"akka.ssl.tcp://actorbackup@127.0.0.1:{StoragePort}";

    public NodeProcess Storage => _storage ?? throw new InvalidOperationException("the storage node was not started");

    public string Snapshot(string name) => Backups + "/" + name;

    /// <summary>The keys every test node shares: loopback, our seed, quick failure detection, small batches.</summary>
    private string Common(int port, string? seed = null) => $$"""
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, public-hostname = 127.0.0.1, port = {{port}} }
        akka.cluster.seed-nodes = ["{{seed ?? Seed}}"]
        akka.cluster.failure-detector { acceptable-heartbeat-pause = 3s, heartbeat-interval = 500ms }
        akka.cluster.split-brain-resolver.stable-after = 2s
        actorbackup.cluster.batch-deadline = 20s
        actorbackup.cluster.stats-interval = 1s
        actorbackup.hash-batch-files = 16
        """;

    public static string Tls(NodeCertificate own, params NodeCertificate[] pinned) => Tls(own.PfxPath, own.Password, pinned.Select(p => p.Thumbprint).ToArray());

    public static string Tls(string pfx, string password, string[] pinned) => $$"""
        actorbackup.cluster.tls {
          enabled = on
          certificate-path = "{{pfx}}"
          certificate-password = "{{password}}"
          pinned-thumbprints = [{{string.Join(", ", pinned.Select(t => $"\"{t}\""))}}]
        }
        """;

    /// <summary>TLS with <paramref name="own"/>'s PFX, trusting the CA at <paramref name="caPath"/>, pinning nothing, refusing <paramref name="denied"/>.</summary>
    public static string TlsWithCa(NodeCertificate own, string caPath, params string[] denied) => $$"""
        actorbackup.cluster.tls {
          enabled = on
          certificate-path = "{{own.PfxPath}}"
          certificate-password = "{{own.Password}}"
          ca-certificate = "{{caPath}}"
          denied-thumbprints = [{{string.Join(", ", denied.Select(t => $"\"{t}\""))}}]
        }
        """;

    /// <summary>Starts a hasher node (any free port) with <paramref name="tls"/>; returns once it has printed its 'up' line, joined or not.</summary>
    public NodeProcess StartHasher(string tls, string name = "hasher")
    {
        var config = Write(name + ".conf", $$"""
            akka.cluster.roles = [hasher]
            {{Common(0)}}
            {{tls}}
            """);
        var hasher = NodeProcess.Start("node", "--config", config);
        _hashers.Add(hasher);
        hasher.WaitForLine(l => l.StartsWith("actorbackup node ", StringComparison.Ordinal) && l.Contains(" up with roles [hasher]", StringComparison.Ordinal), NodeStartTimeout, "its 'up' line");
        return hasher;
    }

    /// <summary>HOST:PORT of a node, from its "actorbackup node akka.ssl.tcp://actorbackup@HOST:PORT up with roles [...]" line.</summary>
    public static string AddressOf(NodeProcess node)
    {
        var line = node.WaitForLine(l => l.StartsWith("actorbackup node ", StringComparison.Ordinal) && l.Contains(" up with roles ", StringComparison.Ordinal), NodeStartTimeout, "its 'up' line");
        var at = line.IndexOf('@');
        return line[(at + 1)..line.IndexOf(' ', at)];
    }

    /// <summary>Writes a storage node's role file with <paramref name="tls"/> and returns its path.</summary>
    public string StorageConfig(string tls, string name = "storage.conf") => Write(name, $$"""
        akka.cluster.roles = [storage]
        {{Common(StoragePort)}}
        actorbackup.cluster.storage.allowed-folders = ["{{Temp.Path}}"]
        {{tls}}
        """);

    /// <summary>Writes a coordinator's role file (any free port) with <paramref name="tls"/> and returns its path.</summary>
    public string CoordinatorConfig(string name, string tls, TimeSpan joinTimeout, string? seed = null) => Write(name, $"""
        {Common(0, seed)}
        actorbackup.cluster.join-timeout = {joinTimeout.TotalSeconds:F0}s
        {tls}
        """);

    /// <summary>Starts the storage node and waits until it is Up as the cluster's first member.</summary>
    public NodeProcess StartStorage(string config)
    {
        _storage = NodeProcess.Start("node", "--config", config);
        Storage.WaitForLine(l => l.StartsWith($"actorbackup node {Seed} up with roles [storage]", StringComparison.Ordinal), NodeStartTimeout, "its 'up' line");
        Storage.WaitForLine(l => l.Contains($"member-up address={Seed} ", StringComparison.Ordinal), NodeStartTimeout, "itself Up");
        return Storage;
    }

    /// <summary>`actorbackup backup --cluster CONFIG` of src/ into backups/<paramref name="name"/>.</summary>
    public ProcessResult Backup(string config, string name) =>
        PublishedCli.Run(
            ["backup", "--cluster", config, $"--rootfolder={Source.Root}", $"--backupfolder={Snapshot(name)}", $"--datafolder={Data}", "--createdirs", "--dostats"],
            TimeSpan.FromSeconds(120));

    public void Dispose()
    {
        try
        {
            foreach (var hasher in _hashers)
                hasher.Dispose();
            _storage?.Dispose();
        }
        finally
        {
            Temp.Dispose();
        }
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(Conf, name);
        File.WriteAllText(path, text + "\n");
        return path;
    }
}
