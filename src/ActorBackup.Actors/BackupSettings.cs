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
    bool DirectWrites = true)
{
    public static BackupSettings From(Config config)
    {
        var c = config.GetConfig("actorbackup")
            ?? throw new UserError(ExitCode.Usage, "configuration has no 'actorbackup' section");
        var hashers = Read(c, "hashers", k => c.GetInt(k));
        var settings = new BackupSettings(
            Hashers: hashers == 0 ? Environment.ProcessorCount : hashers,
            Walkers: Read(c, "walkers", k => c.GetInt(k)),
            Copiers: Read(c, "copiers", k => c.GetInt(k)),
            HashBatchFiles: Read(c, "hash-batch-files", k => c.GetInt(k)),
            HashBatchBytes: Read(c, "hash-batch-bytes", k => c.GetByteSize(k) ?? 0),
            BatchesPerHasher: Read(c, "batches-per-hasher", k => c.GetInt(k)),
            MaxQueuedFiles: Read(c, "max-queued-files", k => c.GetInt(k)),
            ReadBuffer: (int)Read(c, "read-buffer", k => c.GetByteSize(k) ?? 0),
            ReadRetries: Read(c, "read-retries", k => c.GetInt(k)),
            MaxLinksPerEntry: Read(c, "max-links-per-entry", k => c.GetLong(k)),
            Fsync: Read(c, "fsync", k => c.GetBoolean(k)),
            CopyFirst: Read(c, "copy-first", k => c.GetBoolean(k)),
            HeapBudget: Read(c, "heap-budget", k => c.GetByteSize(k) ?? 0),
            ProgressInterval: Read(c, "progress-interval", k => c.GetTimeSpan(k)),
            StorePriority: Read(c, "store-priority", k => c.GetInt(k)),
            DirectWrites: Read(c, "direct-writes", k => c.GetBoolean(k)));
        settings.Check();
        return settings;
    }

    /// <summary>Reads one key; a value of the wrong kind is a usage error naming the key.</summary>
    private static T Read<T>(Config c, string key, Func<string, T> get)
    {
        try
        {
            return get(key);
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ConfigurationException or OverflowException or InvalidCastException)
        {
            throw new UserError(ExitCode.Usage, $"configuration key actorbackup.{key} has a value of the wrong kind ({e.Message}); fix it in the file given with --config");
        }
    }

    private void Check()
    {
        Require(Hashers > 0, "actorbackup.hashers", "must be 0 (one per core) or more");
        Require(Walkers > 0, "actorbackup.walkers", "must be 1 or more");
        Require(Copiers > 0, "actorbackup.copiers", "must be 1 or more");
        Require(HashBatchFiles > 0, "actorbackup.hash-batch-files", "must be 1 or more");
        Require(HashBatchBytes > 0, "actorbackup.hash-batch-bytes", "must be more than 0");
        Require(BatchesPerHasher > 0, "actorbackup.batches-per-hasher", "must be 1 or more");
        Require(MaxQueuedFiles > 0, "actorbackup.max-queued-files", "must be 1 or more");
        Require(ReadBuffer >= 4096, "actorbackup.read-buffer", "must be 4KiB or more");
        Require(ReadRetries >= 0, "actorbackup.read-retries", "must be 0 or more");
        Require(MaxLinksPerEntry >= 2, "actorbackup.max-links-per-entry", "must be 2 or more");
        Require(StorePriority is >= 0 and <= 19, "actorbackup.store-priority", "must be 0 (off) to 19");
        Require(HeapBudget >= 0, "actorbackup.heap-budget", "must be 0 (off) or a size such as 96MiB");
    }

    private static void Require(bool ok, string key, string what)
    {
        if (!ok)
            throw new UserError(ExitCode.Usage, $"configuration key {key} {what}; fix it in the file given with --config");
    }
}
