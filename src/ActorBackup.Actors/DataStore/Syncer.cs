using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;
using Akka.Actor;

namespace ActorBackup.Actors.DataStore;

/// <summary>Runs syncfs(2) on the data folder's file system, off the data-store's thread.</summary>
internal sealed class Syncer : ReceiveActor
{
    public sealed class Sync
    {
        public static readonly Sync Instance = new();
    }

    /// <summary><paramref name="Fault"/>: what of a failure decides the run's outcome (a full disk is told apart).</summary>
    public sealed record Done(string? Failure, WriteFault Fault = WriteFault.Other);

    public Syncer(string folder)
    {
        Receive<Sync>(_ =>
        {
            try
            {
                Files.SyncFileSystem(folder);
                Sender.Tell(new Done(null));
            }
            catch (PosixException e)
            {
                Sender.Tell(new Done(e.Message, FileSystemFull.FaultOf(e)));
            }
        });
    }
}
