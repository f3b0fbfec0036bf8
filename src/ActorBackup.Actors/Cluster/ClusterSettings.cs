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
    IReadOnlyList<string> AllowedFolders,
    int ChunkSize,
    int ChunkWindow,
    bool TlsEnabled,
    string CertificatePath,
    string CertificatePassword,
    IReadOnlyList<string> PinnedThumbprints)
{
    public static ClusterSettings From(Config config)
    {
        var c = config.GetConfig("actorbackup.cluster")
            ?? throw new UserError(ExitCode.Usage, "configuration has no 'actorbackup.cluster' section; start from hocon/cluster.conf");
        try
        {
            var map = new Dictionary<string, string>();
            var pathMap = c.GetConfig("path-map");
            if (pathMap is not null && !pathMap.IsEmpty)
                foreach (var (key, value) in pathMap.AsEnumerable())
                    map[key.Trim('"')] = value.GetString();
            var format = c.GetString("log-format", "text");
            if (format is not ("text" or "json"))
                throw new UserError(ExitCode.Usage, $"actorbackup.cluster.log-format = {format} is not known; use text or json");
            var settings = new ClusterSettings(
                JoinTimeout: c.GetTimeSpan("join-timeout"),
                BatchDeadline: c.GetTimeSpan("batch-deadline"),
                HasherWait: c.GetTimeSpan("hasher-wait"),
                MaxBatchesInFlight: c.GetInt("max-batches-in-flight"),
                StatsInterval: c.GetTimeSpan("stats-interval"),
                JsonLogs: format == "json",
                Paths: new PathMap(map),
                SourceVisible: c.GetBoolean("storage.source-visible"),
                AllowedFolders: c.GetStringList("storage.allowed-folders").ToList(),
                ChunkSize: (int)(c.GetByteSize("chunk-size") ?? 0),
                ChunkWindow: c.GetInt("chunk-window"),
                TlsEnabled: c.GetBoolean("tls.enabled"),
                CertificatePath: c.GetString("tls.certificate-path", ""),
                CertificatePassword: c.GetString("tls.certificate-password", ""),
                PinnedThumbprints: c.GetStringList("tls.pinned-thumbprints").ToList());
            if (settings.ChunkSize is < 1024 or > 100 * 1024)
                throw new UserError(ExitCode.Usage, "actorbackup.cluster.chunk-size must be from 1KiB to 100KiB (the remote frame limit is 128 KB)");
            if (settings.MaxBatchesInFlight < 1 || settings.ChunkWindow < 1)
                throw new UserError(ExitCode.Usage, "actorbackup.cluster max-batches-in-flight and chunk-window must be 1 or more");
            if (settings.TlsEnabled && (settings.CertificatePath.Length == 0 || settings.PinnedThumbprints.Count == 0))
                throw new UserError(ExitCode.Usage, "actorbackup.cluster.tls is enabled but certificate-path or pinned-thumbprints is empty; see the README's TLS section");
            return settings;
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ConfigurationException)
        {
            throw new UserError(ExitCode.Usage, $"configuration under actorbackup.cluster has a value of the wrong kind: {e.Message}");
        }
    }
}
