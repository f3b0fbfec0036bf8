using ActorBackup.Core;
using ActorBackup.Core.Manifest;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using Akka.Actor;
using static ActorBackup.Protocol.WalkerProtocol;

namespace ActorBackup.Actors.Walker;

/// <summary>
/// Lists one directory per message through a handle opened with O_NOFOLLOW, checks that it
/// is the directory the parent's listing saw, and lstat's each child relative to that
/// handle. Symlinks are read, never followed. Runs on the io dispatcher.
/// </summary>
public sealed class Walker : ReceiveActor
{
    private readonly RunOptions _options;

    public Walker(RunOptions options)
    {
        _options = options;
        Receive<WalkDirectory>(w =>
        {
            Sender.Tell(Walk(w));
            if (_options.FoldersPause > TimeSpan.Zero)
                Thread.Sleep(_options.FoldersPause);
        });
    }

    public static Props Props(RunOptions options) =>
        Akka.Actor.Props.Create(() => new Walker(options)).WithDispatcher(Dispatchers.Io);

    private DirectoryWalked Walk(WalkDirectory w)
    {
        var entries = new List<SourceEntry>();
        var problems = new List<FileProblem>();
        var path = _options.SourcePath(w.Path);
        try
        {
            using var dir = DirectoryHandle.Open(path);
            if (!dir.Meta.SameInodeAs(w.Expected))
            {
                problems.Add(new FileProblem(w.Path, "directory was replaced while the backup ran; its contents are not in this snapshot"));
                return new DirectoryWalked(w.Path, entries, problems);
            }
            foreach (var name in ByteOrder.Sort(dir.ListNames()))
            {
                var child = PathBytes.Child(w.Path, name);
                try
                {
                    var meta = dir.StatChild(name);
                    if (meta is null)
                    {
                        problems.Add(new FileProblem(child, "vanished before it could be read"));
                        continue;
                    }
                    if (meta.Type == EntryType.Directory && _options.Excluded.Contains(child))
                        continue;
                    var target = meta.Type == EntryType.Symlink ? dir.ReadLinkChild(name) : null;
                    entries.Add(new SourceEntry(child, meta, target));
                }
                catch (PosixException e)
                {
                    problems.Add(new FileProblem(child, $"cannot examine: {PosixException.Describe(e.Errno)}"));
                }
            }
        }
        catch (PosixException e)
        {
            problems.Add(new FileProblem(w.Path, $"cannot list directory: {PosixException.Describe(e.Errno)}; it is in the snapshot empty"));
        }
        return new DirectoryWalked(w.Path, entries, problems);
    }
}

/// <summary>Orders names by their bytes, as `ls` in the C locale and the manifest do.</summary>
public static class ByteOrder
{
    /// <summary>Sorts names by their bytes, encoding each name once.</summary>
    public static IEnumerable<string> Sort(List<string> names)
    {
        var keyed = names.Select(n => (Key: PathBytes.ToBytes(n), Name: n)).ToArray();
        Array.Sort(keyed, (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        return keyed.Select(k => k.Name);
    }
}
