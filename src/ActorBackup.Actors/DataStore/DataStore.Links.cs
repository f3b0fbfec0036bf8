using ActorBackup.Protocol;
using ActorBackup.Store;
using Akka.Actor;

namespace ActorBackup.Actors.DataStore;

/// <summary>
/// The data-store's link workers (link-workers, off by default): the links of unchanged files
/// it trusts, made on other threads while it goes on. It still decides each link.
/// </summary>
public sealed partial class DataStore
{
    // Link workers of this snapshot (none when resuming one, or with link-workers = 0), the
    // links each is about to be sent, and the files of the batches they are making.
    private IActorRef[] _linkWorkers = [];
    private List<LinkWorker.Link>[] _toLink = [];
    private List<HashedFile>[] _toLinkFiles = [];
    private readonly Dictionary<long, List<HashedFile>> _linking = [];
    private long _nextLinkToken;
    private long _linkWorkerNames;

    /// <summary>
    /// Hands an unchanged file's link to a link worker, when the store would make it trusted
    /// (without a look or a count: <see cref="ContentStore.TrustedEntry"/>) and no temp copy
    /// is to be discarded. The worker is picked by the file's folder, so each folder is filled
    /// by one worker; the links go out at the end of the message (<see cref="SendLinks"/>).
    /// </summary>
    private bool Delegate(HashedFile file, KnownContent known)
    {
        if (_linkWorkers.Length == 0 || file.Temp is not null)
            return false;
        if (_store.TrustedEntry(file.Hash, file.Source.Meta.Size, known.Suffix, Trusted(file, known)) is not { } entry)
            return false;
        var path = file.Source.Path;
        var folder = path.AsSpan(0, Math.Max(0, path.LastIndexOf('/')));
        var worker = (int)((uint)string.GetHashCode(folder) % (uint)_linkWorkers.Length);
        _toLink[worker].Add(new LinkWorker.Link(entry.Folder, entry.Name, _tree!.PathOf(path)));
        _toLinkFiles[worker].Add(file);
        return true;
    }

    /// <summary>Sends each link worker the links gathered for it.</summary>
    private void SendLinks()
    {
        for (var i = 0; i < _linkWorkers.Length; i++)
        {
            if (_toLink[i].Count == 0)
                continue;
            var token = ++_nextLinkToken;
            _linking[token] = _toLinkFiles[i];
            _linkWorkers[i].Tell(new LinkWorker.Batch(token, _toLink[i]));
            _toLink[i] = [];
            _toLinkFiles[i] = [];
        }
    }

    /// <summary>
    /// A link worker's answers, taken as <see cref="ContentStore.TryLinkKnown"/> takes the
    /// errno of its own trusted link: made, or there already (the previous run's, when an
    /// --ignorefileexists run fills in a snapshot); a full, gone or odd entry sends the file
    /// the general way; a file-system-wide error stops the run, any other is the file's problem.
    /// </summary>
    private void LinksMade(LinkWorker.Done m)
    {
        if (!_linking.Remove(m.Token, out var files))
            return;
        var done = new List<HashedFile>(files.Count);
        var problems = new List<FileProblem>();
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            var p = m.Failures[i];
            var suffix = file.Source.Known!.Suffix;
            if (p is null)
                Linked(file, suffix, ContentStore.LinkOutcome.Linked, done);
            else if (p.AlreadyExists)
                Linked(file, suffix, ContentStore.LinkOutcome.AlreadyLinked, done);
            else if (p.TooManyLinks || p.IsAbsent || p.IsNotPermitted)
                StoreOne(file, done, problems, delegateLink: false);
            else
            {
                if (StopsTheRun(p))
                    throw p;
                _linkFailures++;
                problems.Add(new FileProblem(file.Source.Path, $"not in the snapshot: {p.Message}"));
            }
        }
        Report(done, problems);
    }

    private void StartLinkWorkers()
    {
        StopLinkWorkers();
        if (_replaceExisting || _settings.LinkWorkers == 0)
            return; // a resumed snapshot's names may be stale: the data-store looks at each itself
        _linkWorkers = new IActorRef[_settings.LinkWorkers];
        _toLink = new List<LinkWorker.Link>[_linkWorkers.Length];
        _toLinkFiles = new List<HashedFile>[_linkWorkers.Length];
        for (var i = 0; i < _linkWorkers.Length; i++)
        {
            _linkWorkers[i] = Context.ActorOf(LinkWorker.Props(_store.HoldsLevelFolders), $"{ActorNames.LinkWorker}-{++_linkWorkerNames}");
            _toLink[i] = [];
            _toLinkFiles[i] = [];
        }
    }

    /// <summary>At the snapshot's end: a run that stops early drops the links not yet made, as the partial snapshot it leaves.</summary>
    private void StopLinkWorkers()
    {
        foreach (var worker in _linkWorkers)
            Context.Stop(worker);
        _linkWorkers = [];
        _linking.Clear();
    }

}
