using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using Akka.Actor;
using static ActorBackup.Protocol.DataStoreProtocol;

namespace ActorBackup.Actors.DataStore;

/// <summary>
/// Gives finished snapshot folders their owner, mode and times, on a thread other than the
/// data-store's. The coordinator asks for a folder only once every entry in it is made and
/// every subfolder finished (a new entry would change its mtime); the data-store forwards
/// the request here and this child answers the coordinator. Three calls per folder
/// (fchownat, fchmodat, utimensat; and its xattrs when it has any), 45,000 for a 15,000-folder tree, were up to a tenth of
/// the data-store's thread, which alone makes links and is the critical path of an
/// incremental run. It writes no store entry and no link: those stay the data-store's alone.
///
/// A run that resumes a partial snapshot also removes leftovers while finishing a folder;
/// the data-store keeps those requests (see DataStore.Finalize).
/// </summary>
internal sealed class Finisher : TypeSwitchActor
{
    private readonly OpenDirectories _dirs = new(64);
    private readonly SnapshotTree _tree;

    public Finisher(string snapshotRoot, string dataFolder, XattrFailures xattrFailures, bool inherits)
    {
        _tree = new SnapshotTree(snapshotRoot, replaceExisting: false, _dirs, xattrFailures, inherits);
        Receive<FinalizeDirectory>(m =>
        {
            FileProblem? problem = null;
            try
            {
                _tree.Finalize(m.Directory, keep: null);
            }
            catch (PosixException p) when (!DataStore.StopsTheRun(p))
            {
                problem = new FileProblem(m.Directory.Path, $"owner, mode or times not set: {p.Message}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Never lost: a request left unanswered would leave the run waiting.
                var (reason, code) = StoreFull.Failure(e, dataFolder);
                Sender.Tell(new StoreFailed(reason, code));
                return;
            }
            Sender.Tell(new DirectoryFinalized(m.Directory.Path, problem));
        });
    }

    public static Props Props(string snapshotRoot, string dataFolder, XattrFailures xattrFailures, bool inherits) =>
        Akka.Actor.Props.Create(() => new Finisher(snapshotRoot, dataFolder, xattrFailures, inherits)).WithDispatcher(Dispatchers.Io);

    protected override void PostStop()
    {
        _dirs.Dispose();
        base.PostStop();
    }
}
