using ActorBackup.Actors.Cluster;
using ActorBackup.Actors.DataStore;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;
using ActorBackup.Store.Catalog;
using Akka.Actor;
using Akka.Event;
using static ActorBackup.Protocol.ClusterProtocol;

namespace ActorBackup.Actors.Storage;

/// <summary>
/// The storage node's long-lived service (/user/storage). A coordinator asks it to open a
/// session for a run: it checks the request as the CLI would (allowed folders, backup
/// folder, format, filesystem), takes the data folder's lock, and starts the run's one
/// data-store with either local copiers (the storage node sees the source) or a content
/// receiver (bytes streamed from the coordinator's node). The lock is held until the
/// coordinator closes the session or dies.
/// </summary>
public sealed class StorageService : ReceiveActor
{
    /// <summary>What the storage node's configuration says (hocon/storage.hocon).</summary>
    public sealed record Settings(BackupSettings Backup, bool SourceVisible, PathMap Paths, IReadOnlyList<string> AllowedFolders, TimeSpan StallTimeout);

    private sealed record Session(IActorRef Coordinator, IActorRef DataStore, IDisposable Lock, string Name, System.Diagnostics.Stopwatch Opened);

    private readonly Settings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Session? _session;

    public StorageService(Settings settings)
    {
        _settings = settings;
        Receive<OpenSession>(Open);
        Receive<CloseSession>(_ => Close("closed by the coordinator"));
        Receive<Terminated>(m =>
        {
            if (_session is not null && m.ActorRef.Equals(_session.Coordinator))
                Close("the coordinator is gone");
        });
    }

    public static Props Props(Settings settings) => Akka.Actor.Props.Create(() => new StorageService(settings));

    private void Open(OpenSession m)
    {
        if (_session is not null)
        {
            Refuse(m, (int)ExitCode.Locked, $"the storage node is running snapshot {_session.Name} for another coordinator; wait for it to finish");
            return;
        }
        try
        {
            var spec = m.Spec;
            CheckAllowed(spec.BackupFolder, "backup folder");
            CheckAllowed(spec.DataFolder, "data folder");
            var request = new StoreRequest(_settings.Paths.Map(spec.RootFolder), spec.BackupFolder, spec.DataFolder,
                spec.LevelsGiven ? spec.Levels : null, spec.HashGiven ? ContentHash.Parse(spec.Hash) : null, spec.IgnoreFileExists);
            var format = StoreSession.Check(request);
            SnapshotAccess.CreateGuarded(Path.GetDirectoryName(spec.BackupFolder) ?? "/");
            if (SnapshotAccess.Check(spec.BackupFolder, _settings.Backup.RefuseReachableSnapshots) is { } warning)
                _log.Warning("{0}", warning);
            Files.CreateFolders(spec.DataFolder, 0x1C0);
            var (layout, dataLock) = StoreSession.Open(request, format);
            var options = new RunOptions(request.RootFolder, spec.BackupFolder, layout, SharePolicies.Parse(spec.Share), spec.IgnoreFileExists)
            {
                ExactMtime = ExactMtimes.Parse(spec.ExactMtime),
            };
            var copiers = _settings.SourceVisible
                ? Context.ActorOf(Copier.Pool(options, _settings.Backup))
                : Context.ActorOf(ContentReceiver.Props(options, _settings.Backup, m.ContentSource, _settings.StallTimeout));
            var dataStore = Context.ActorOf(DataStore.DataStore.Props(options, _settings.Backup, copiers));
            // The content source lives exactly as long as the coordinator's run (Sender may be a
            // short-lived ask): when it is gone, so is the run, and the lock is released.
            _session = new Session(m.ContentSource, dataStore, dataLock, options.SnapshotName, System.Diagnostics.Stopwatch.StartNew());
            Context.Watch(m.ContentSource);
            NodeMonitor.Log(Context, "session-opened", new()
            {
                ["snapshot"] = options.SnapshotName,
                ["coordinator"] = m.ContentSource.Path.Address.ToString(),
                ["backup_folder"] = spec.BackupFolder,
                ["data_folder"] = spec.DataFolder,
                ["content"] = _settings.SourceVisible ? "read here" : "streamed",
            });
            // The coordinator talks to the data-store through a pair of relays that carry bursts of
            // messages as one remote message each.
            var relay = Context.ActorOf(StoreRelay.Props(dataStore, null));
            Sender.Tell(new SessionOpened(relay, layout.Hash.Name, layout.Levels));
        }
        catch (UserError e)
        {
            Refuse(m, (int)e.Code, e.Message);
        }
        catch (IOException e)
        {
            Refuse(m, (int)ExitCode.Fatal, e.Message);
        }
    }

    private void Refuse(OpenSession m, int code, string reason)
    {
        NodeMonitor.Log(Context, "session-refused", new()
        {
            ["coordinator"] = m.ContentSource.Path.Address.ToString(),
            ["backup_folder"] = m.Spec.BackupFolder,
            ["exit_code"] = code,
            ["reason"] = reason,
        });
        Sender.Tell(new SessionRefused(code, reason));
    }

    /// <summary>Writes land only under the configured folders: a request for others is refused.</summary>
    private void CheckAllowed(string folder, string what)
    {
        if (!Path.IsPathRooted(folder) || folder.Split('/').Contains("..") || folder.Contains('\0'))
            throw new UserError(ExitCode.Usage, $"{what} {folder} must be an absolute path without '..'");
        if (_settings.AllowedFolders.Count == 0)
            return;
        // Compare real paths: a symlink inside an allowed folder must not lead outside it.
        var real = Files.RealPath(folder);
        if (!_settings.AllowedFolders.Select(Files.RealPath).Any(a => real == a || real.StartsWith(a.TrimEnd('/') + "/", StringComparison.Ordinal)))
            throw new UserError(ExitCode.Usage, $"{what} {folder} is outside the storage node's allowed folders ({string.Join(", ", _settings.AllowedFolders)}); see actorbackup.cluster.storage.allowed-folders");
    }

    private void Close(string why)
    {
        if (_session is null)
            return;
        Context.Unwatch(_session.Coordinator);
        Context.Stop(_session.DataStore);
        foreach (var child in Context.GetChildren())
            Context.Stop(child);
        _session.Lock.Dispose();
        NodeMonitor.Log(Context, "session-closed", new() { ["snapshot"] = _session.Name, ["reason"] = why, ["seconds"] = Math.Round(_session.Opened.Elapsed.TotalSeconds, 1) });
        _session = null;
    }

    protected override void PostStop() => _session?.Lock.Dispose();
}
