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
    TimeSpan ProgressInterval)
{
    public static BackupSettings From(Config config)
    {
        var c = config.GetConfig("actorbackup")
            ?? throw new UserError(ExitCode.Usage, "configuration has no 'actorbackup' section");
        var hashers = c.GetInt("hashers");
        var settings = new BackupSettings(
            Hashers: hashers == 0 ? Environment.ProcessorCount : hashers,
            Walkers: c.GetInt("walkers"),
            Copiers: c.GetInt("copiers"),
            HashBatchFiles: c.GetInt("hash-batch-files"),
            HashBatchBytes: c.GetByteSize("hash-batch-bytes") ?? 0,
            BatchesPerHasher: c.GetInt("batches-per-hasher"),
            MaxQueuedFiles: c.GetInt("max-queued-files"),
            ReadBuffer: (int)(c.GetByteSize("read-buffer") ?? 0),
            ReadRetries: c.GetInt("read-retries"),
            MaxLinksPerEntry: c.GetLong("max-links-per-entry"),
            Fsync: c.GetBoolean("fsync"),
            ProgressInterval: c.GetTimeSpan("progress-interval"));
        settings.Check();
        return settings;
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
    }

    private static void Require(bool ok, string key, string what)
    {
        if (!ok)
            throw new UserError(ExitCode.Usage, $"configuration key {key} {what}; fix it in the file given with --config");
    }
}
