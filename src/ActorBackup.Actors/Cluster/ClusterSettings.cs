using ActorBackup.Core;
using Akka.Configuration;

namespace ActorBackup.Actors.Cluster;

/// <summary>The keys under "actorbackup.cluster" in hocon/cluster.conf, read once at start.</summary>
public sealed record ClusterSettings(
    TimeSpan JoinTimeout,
    TimeSpan BatchDeadline,
    TimeSpan HasherWait,
    int MaxBatchesInFlight,
    TimeSpan StatsInterval,
    bool JsonLogs,
    PathMap Paths,
    bool SourceVisible,
    bool StoreVisible,
    bool CoordinatorAlwaysHashes,
    bool WalkOnHashers,
    IReadOnlyList<string> AllowedFolders,
    int ChunkSize,
    int ChunkWindow,
    bool TlsEnabled,
    string CertificatePath,
    string CertificatePassword,
    IReadOnlyList<string> PinnedThumbprints,
    string CaCertificatePath,
    IReadOnlyList<string> DeniedThumbprints,
    string DeniedThumbprintsFile,
    string NodeName = "")
{
    /// <summary>
    /// Reads and range-checks every key under "actorbackup.cluster"; the ranges are those
    /// documented in hocon/cluster.conf. <paramref name="source"/> ends each error line.
    /// </summary>
    public static ClusterSettings From(Config config, string source = "the node's role file")
    {
        var read = new SettingsReader(config, "actorbackup.cluster", source);
        var paths = read.TextMap("path-map", "absolute folders, \"/home\" = \"/mnt/home\"");
        if (paths.Any(p => !p.Key.StartsWith('/') || !p.Value.StartsWith('/')))
            throw read.Wrong("path-map", "an object of absolute folders, \"/home\" = \"/mnt/home\"");
        var allowed = read.TextList("storage.allowed-folders", "absolute folders");
        if (allowed.Any(a => !a.StartsWith('/')))
            throw read.Wrong("storage.allowed-folders", "a list of absolute folders");
        var settings = new ClusterSettings(
            JoinTimeout: read.Duration("join-timeout", TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            BatchDeadline: read.Duration("batch-deadline", TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)),
            HasherWait: read.Duration("hasher-wait", TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10), zeroIsOff: true),
            MaxBatchesInFlight: read.Int("max-batches-in-flight", 1, 1024),
            StatsInterval: read.Duration("stats-interval", TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1), zeroIsOff: true),
            JsonLogs: read.Choice("log-format", ["text", "json"]) == "json",
            Paths: new PathMap(paths),
            SourceVisible: read.Bool("storage.source-visible"),
            StoreVisible: read.Bool("store-visible"),
            CoordinatorAlwaysHashes: read.Choice("coordinator-hashes", ["auto", "always"]) == "always",
            WalkOnHashers: read.Bool("walk-on-hashers"),
            AllowedFolders: allowed,
            // The remote frame limit is 128,000 bytes: a chunk and its envelope stay below it.
            ChunkSize: (int)read.Size("chunk-size", 1 << 10, 100 << 10),
            ChunkWindow: read.Int("chunk-window", 1, 1024),
            TlsEnabled: read.Bool("tls.enabled"),
            CertificatePath: read.Text("tls.certificate-path"),
            CertificatePassword: read.Text("tls.certificate-password"),
            PinnedThumbprints: Thumbprints(read, "tls.pinned-thumbprints"),
            CaCertificatePath: read.Text("tls.ca-certificate"),
            DeniedThumbprints: Thumbprints(read, "tls.denied-thumbprints"),
            DeniedThumbprintsFile: read.Text("tls.denied-thumbprints-file"),
            NodeName: read.Text("node-name") is { Length: > 0 } name ? name : NodeNames.MachineDefault());
        if (!NodeNames.IsValid(settings.NodeName))
            throw read.Wrong("node-name", "a name of 1 to 64 letters, digits, '.', '-' or '_'", $"\"{settings.NodeName}\"");
        if (settings.TlsEnabled && settings.CertificatePath.Length == 0)
            throw new UserError(ExitCode.Usage, "actorbackup.cluster.tls is enabled but certificate-path is empty; see the README's TLS section");
        // Trust needs a source: a node with neither would refuse every peer and never form a cluster.
        if (settings.TlsEnabled && settings.CaCertificatePath.Length == 0 && settings.PinnedThumbprints.Count == 0)
            throw new UserError(ExitCode.Usage, "actorbackup.cluster.tls is enabled but ca-certificate and pinned-thumbprints are both empty, so no peer would be trusted: set either or both; see the README's TLS section");
        return settings;
    }

    /// <summary>A list of SHA1 thumbprints, normalized to upper-case hex without colons (as X509Certificate2.Thumbprint spells them).</summary>
    private static IReadOnlyList<string> Thumbprints(SettingsReader read, string key)
    {
        var list = read.TextList(key, "SHA1 thumbprints (40 hex digits)");
        if (list.Any(t => !IsThumbprint(t)))
            throw read.Wrong(key, "a list of SHA1 thumbprints (40 hex digits, colons allowed)");
        return list.Select(Normalize).ToList();
    }

    public static bool IsThumbprint(string text)
    {
        var hex = text.Replace(":", "");
        return hex.Length == 40 && hex.All(char.IsAsciiHexDigit);
    }

    /// <summary>Upper-case hex without colons.</summary>
    public static string Normalize(string thumbprint) => thumbprint.Replace(":", "").ToUpperInvariant();
}
