using ActorBackup.Posix;
using Akka.Actor;

namespace ActorBackup.Actors.DataStore;

/// <summary>
/// Makes links the data-store has decided on: an unchanged file's snapshot path to the store
/// entry the previous snapshot linked it to. It decides nothing (no entry is named, looked
/// for or counted here) and answers each batch with the failure of each link, which the data-store
/// acts on as if it had made the link itself. Each worker gets its own part of the snapshot's
/// folders and holds its own folder handles, so the links of an incremental run are made on
/// several threads while the data-store goes on with the next files.
/// </summary>
internal sealed class LinkWorker : ReceiveActor
{
    /// <summary>One link: <paramref name="Name"/> in the store's <paramref name="Folder"/> to the snapshot path <paramref name="Target"/>.</summary>
    public readonly record struct Link(string Folder, string Name, string Target);

    public sealed record Batch(long Token, List<Link> Links);

    /// <summary><paramref name="Failures"/>: per link, in the batch's order, null (made) or why it was not.</summary>
    public sealed record Done(long Token, PosixException?[] Failures);

    // Level folders (each held once, however many links go to it) and the snapshot's folders.
    private readonly OpenDirectories? _levelDirs;
    private readonly OpenDirectories _snapshotDirs = new(64);

    /// <param name="holdLevelFolders">The store has at most one level of folders (257 to hold): entries are reached through held handles.</param>
    public LinkWorker(bool holdLevelFolders)
    {
        _levelDirs = holdLevelFolders ? new OpenDirectories(257) : null;
        Receive<Batch>(m =>
        {
            var failures = new PosixException?[m.Links.Count];
            for (var i = 0; i < failures.Length; i++)
            {
                var link = m.Links[i];
                var errno = _levelDirs is null
                    ? Files.TryLink(Path.Combine(link.Folder, link.Name), link.Target, _snapshotDirs)
                    : Files.TryLink(_levelDirs, link.Folder, link.Name, _snapshotDirs, link.Target);
                if (errno != 0)
                    failures[i] = new PosixException(errno, $"link {Path.Combine(link.Folder, link.Name)} to", link.Target);
            }
            Sender.Tell(new Done(m.Token, failures));
        });
    }

    public static Props Props(bool holdLevelFolders) =>
        Akka.Actor.Props.Create(() => new LinkWorker(holdLevelFolders)).WithDispatcher(Dispatchers.Io);

    protected override void PostStop()
    {
        _levelDirs?.Dispose();
        _snapshotDirs.Dispose();
    }
}
