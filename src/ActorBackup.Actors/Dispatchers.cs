namespace ActorBackup.Actors;

/// <summary>Dispatcher ids from hocon/actorbackup.conf: blocking file I/O never runs on Akka's default dispatcher.</summary>
public static class Dispatchers
{
    public const string Hash = "actorbackup.dispatchers.hash";
    public const string Io = "actorbackup.dispatchers.io";
    public const string Store = "actorbackup.dispatchers.store";
}
