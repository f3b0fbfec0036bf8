namespace ActorBackup.Actors;

/// <summary>Dispatcher ids from hocon/actorbackup.conf: blocking file I/O never runs on Akka's default dispatcher.</summary>
public static class Dispatchers
{
    public const string Hash = "actorbackup.dispatchers.hash";
    public const string Io = "actorbackup.dispatchers.io";
    public const string Store = "actorbackup.dispatchers.store";

    /// <summary>
    /// The dispatcher keys, checked before the actor system starts: Akka reads a dispatcher's
    /// config only when the first actor on it starts, and a type it cannot make then failed
    /// that actor over and over (the run hung). Hash and io must run on threads of their own
    /// (blocking reads); the data-store's must be pinned, as its thread's nice is raised
    /// (<see cref="Posix.ThreadNice"/>) and no other actor may share it. Background threads
    /// only: a foreground one would keep the process alive after the run.
    /// </summary>
    public static void Check(SettingsReader read)
    {
        foreach (var pool in new[] { "hash", "io" })
        {
            read.Choice($"dispatchers.{pool}.type", ["ForkJoinDispatcher", "PinnedDispatcher"]);
            read.Int($"dispatchers.{pool}.throughput", 1, 1000);
            read.Int($"dispatchers.{pool}.dedicated-thread-pool.thread-count", 1, BackupSettings.MaxHashers);
            read.Choice($"dispatchers.{pool}.dedicated-thread-pool.threadtype", ["background"]);
        }
        read.Choice("dispatchers.store.type", ["PinnedDispatcher"]);
        read.Int("dispatchers.store.throughput", 1, 1000);
    }
}
