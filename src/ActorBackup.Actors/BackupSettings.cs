using ActorBackup.Core;
using Akka.Configuration;

namespace ActorBackup.Actors;

/// <summary>
/// The tuning keys under "actorbackup" in hocon/actorbackup.conf, read once at start.
/// A bad value stops with a line naming the key.
/// </summary>
public sealed record BackupSettings(
    int Hashers,
    int Walkers,
    int Copiers,
    int HashBatchFiles,
    long HashBatchBytes,
    int BatchesPerHasher,
    int MaxQueuedFiles,
    int ReadBuffer,
    int ReadRetries,
    long MaxLinksPerEntry,
    bool Fsync,
    bool CopyFirst,
    long HeapBudget,
    TimeSpan ProgressInterval,
    int StorePriority = 0,
    bool DirectWrites = true,
    bool RefuseReachableSnapshots = true,
    string MetricsDirectory = "",
    int LinkWorkers = 0)
{
    /// <summary>Pool sizes: each hasher, walker and copier is a dedicated thread with its own read buffer.</summary>
    public const int MaxHashers = 128;
    public const int MaxWalkers = 32;
    public const int MaxCopiers = 32;
    public const int MaxLinkWorkers = 32;
    public const int MaxReadBuffer = 16 << 20;

    /// <summary>
    /// Reads and range-checks every key under "actorbackup" except actorbackup.cluster (see
    /// <see cref="Cluster.ClusterSettings"/>). The ranges are those documented in hocon/actorbackup.conf;
    /// <paramref name="source"/> ends each error line ("fix it in ...").
    /// </summary>
    public static BackupSettings From(Config config, string source = "the file given with --config")
    {
        var read = new SettingsReader(config, "actorbackup", source);
        var hashers = read.Int("hashers", 0, MaxHashers);
        var settings = new BackupSettings(
            Hashers: hashers == 0 ? Math.Min(Environment.ProcessorCount, MaxHashers) : hashers,
            Walkers: read.Int("walkers", 1, MaxWalkers),
            Copiers: read.Int("copiers", 1, MaxCopiers),
            HashBatchFiles: read.Int("hash-batch-files", 1, 10_000),
            HashBatchBytes: read.Size("hash-batch-bytes", 4 << 10, 16L << 30),
            BatchesPerHasher: read.Int("batches-per-hasher", 1, 64),
            MaxQueuedFiles: read.Int("max-queued-files", 1, 100_000),
            ReadBuffer: (int)read.Size("read-buffer", 4 << 10, MaxReadBuffer),
            ReadRetries: read.Int("read-retries", 0, 10),
            MaxLinksPerEntry: read.Long("max-links-per-entry", 2, uint.MaxValue),
            Fsync: read.Bool("fsync"),
            CopyFirst: read.Bool("copy-first"),
            HeapBudget: read.Size("heap-budget", 16 << 20, 1L << 40, zeroIsOff: true),
            ProgressInterval: read.Duration("progress-interval", TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1), zeroIsOff: true),
            StorePriority: read.Int("store-priority", 0, 19),
            DirectWrites: read.Bool("direct-writes"),
            RefuseReachableSnapshots: read.Choice("reachable-snapshots", ["refuse", "warn"]) == "refuse",
            MetricsDirectory: read.Text("metrics.textfile-directory"),
            LinkWorkers: read.Int("link-workers", 0, MaxLinkWorkers));
        if (settings.MetricsDirectory.Length > 0 && !settings.MetricsDirectory.StartsWith('/'))
            throw read.Wrong("metrics.textfile-directory", "an absolute folder, or \"\" (off)", $"\"{settings.MetricsDirectory}\"");
        Dispatchers.Check(read);
        return settings;
    }
}
