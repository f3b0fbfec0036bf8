using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Manifest;
using Akka.Actor;
using static ActorBackup.Protocol.WalkerProtocol;

namespace ActorBackup.Actors.Walker;

/// <summary>
/// Lists one directory per message through a handle opened with O_NOFOLLOW, checks that it
/// is the directory the parent's listing saw, and lstat's each child relative to that
/// handle. Symlinks are read, never followed. Runs on the io dispatcher.
///
/// With a previous snapshot, each listing is merged with that directory's entries in the
/// previous manifest (read by binary search, one directory at a time): a regular file that
/// <see cref="FilesCache.Unchanged"/> says is unchanged carries its known hash and store
/// entry, so nobody reads it.
/// </summary>
public sealed class Walker : TypeSwitchActor
{
    private readonly RunOptions _options;
    private readonly SourceRoot _root;
    private readonly PreviousFiles? _previous;

    public Walker(RunOptions options)
    {
        _options = options;
        _root = new SourceRoot(options.RootFolder);
        _previous = PreviousFiles.Open(options.PreviousManifest);
        Receive<WalkDirectory>(w =>
        {
            Sender.Tell(Walk(w));
            if (_options.FoldersPause > TimeSpan.Zero)
                Thread.Sleep(_options.FoldersPause);
        });
    }

    public static Props Props(RunOptions options) =>
        Akka.Actor.Props.Create(() => new Walker(options)).WithDispatcher(Dispatchers.Io);

    protected override void PostStop()
    {
        _previous?.Dispose();
        _root.Dispose();
        base.PostStop();
    }

    private DirectoryWalked Walk(WalkDirectory w) =>
        DirectoryLister.List(_root, w, _options.Excluded, _previous?.Of(w.Path), _previous?.HasXattrs ?? false);
}

/// <summary>Orders names by their bytes, as `ls` in the C locale and the manifest do.</summary>
public static class ByteOrder
{
    /// <summary>Sorts names by their bytes, encoding each name once.</summary>
    public static IEnumerable<string> Sort(List<string> names)
    {
        // ASCII names (most) sort the same by chars as by bytes: no encoding needed.
        if (names.TrueForAll(n => n.All(c => c < (char)0x80)))
        {
            names.Sort(StringComparer.Ordinal);
            return names;
        }
        var keyed = names.Select(n => (Key: PathBytes.ToBytes(n), Name: n)).ToArray();
        Array.Sort(keyed, (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        return keyed.Select(k => k.Name);
    }
}
