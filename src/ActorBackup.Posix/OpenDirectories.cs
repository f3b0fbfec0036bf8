using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// Directories of the trees this program builds (the data folder's level folders, the
/// snapshot being made) held open O_PATH, the most recently used few kept. A *at call on a
/// path in one of them resolves one name instead of the whole path: in a week 2 run that
/// links 100,000 unchanged files into a deep snapshot, walking the two paths of each link
/// cost the data-store's thread about as much as making the link. Paths resolve as the
/// kernel resolves them (symlinks on the way are followed), so this is never for a source
/// tree: that goes through <see cref="SourceRoot"/>. A directory that is removed or renamed
/// while held must be forgotten (<see cref="Clear"/>), or calls would land in the old one.
/// Not thread-safe: one owner (the data-store actor).
/// </summary>
public sealed class OpenDirectories(int capacity) : IDisposable
{
    private readonly Dictionary<string, LinkedListNode<(string Path, int Fd)>> _byPath = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Path, int Fd)> _recent = new();

    /// <summary>Runs a *at call on <paramref name="path"/> from its open parent; 0 or the errno, as <see cref="Files"/> does.</summary>
    internal Errno At(string path, Func<int, string, int> call)
    {
        if (!Split(path, out var parent, out var name))
            return Files.At(path, call);
        var errno = Handle(parent, out var fd);
        if (errno != 0)
            return errno;
        return call(fd, name) == 0 ? 0 : Stdlib.GetLastError();
    }

    /// <summary>
    /// link(2) of <paramref name="existing"/> as <paramref name="newPath"/>, each from its parent
    /// held open in its own set (null: the path as it is). <paramref name="existing"/> must
    /// fit PATH_MAX (a store entry); <paramref name="newPath"/> may be longer.
    /// </summary>
    internal static Errno Link(OpenDirectories? fromDirs, string existing, OpenDirectories? toDirs, string newPath)
    {
        var from = LongPath.AtFdCwd;
        var fromName = existing;
        if (fromDirs is not null && Split(existing, out var fromParent, out var name))
        {
            var errno = fromDirs.Handle(fromParent, out from);
            if (errno != 0)
                return errno;
            fromName = name;
        }
        if (toDirs is null || !Split(newPath, out var toParent, out var toName))
            return Files.At(newPath, (fd, n) => Syscall.linkat(from, fromName, fd, n, 0));
        var toErrno = toDirs.Handle(toParent, out var to);
        if (toErrno != 0)
            return toErrno;
        return Syscall.linkat(from, fromName, to, toName, 0) == 0 ? 0 : Stdlib.GetLastError();
    }

    /// <summary>Closes every held directory (after a removal or rename below them, and at the end).</summary>
    public void Clear()
    {
        foreach (var (_, fd) in _recent)
            Syscall.close(fd);
        _recent.Clear();
        _byPath.Clear();
    }

    public void Dispose() => Clear();

    /// <summary>A path with a parent to hold: absolute, not at the root, and short enough for one call.</summary>
    private static bool Split(string path, out string parent, out string name)
    {
        var slash = path.LastIndexOf('/');
        if (slash <= 0 || slash == path.Length - 1 || LongPath.IsLong(path))
        {
            parent = name = "";
            return false;
        }
        parent = path[..slash];
        name = path[(slash + 1)..];
        return true;
    }

    private Errno Handle(string directory, out int fd)
    {
        if (_byPath.TryGetValue(directory, out var node))
        {
            _recent.Remove(node);
            _recent.AddFirst(node);
            fd = node.Value.Fd;
            return 0;
        }
        // A new folder is usually the child of one held (a snapshot is built top down):
        // opened from there, that is one name to resolve, not the whole path.
        if (Split(directory, out var parent, out var name) && _byPath.TryGetValue(parent, out var parentNode))
            fd = LongPath.OpenDirectoryAt(parentNode.Value.Fd, name);
        else
            fd = LongPath.OpenDirectory(directory);
        if (fd < 0)
            return Stdlib.GetLastError();
        if (_recent.Count >= capacity)
        {
            var last = _recent.Last!;
            _recent.RemoveLast();
            _byPath.Remove(last.Value.Path);
            Syscall.close(last.Value.Fd);
        }
        _byPath[directory] = _recent.AddFirst((directory, fd));
        return 0;
    }
}
