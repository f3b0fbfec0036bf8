using ActorBackup.Core;
using ActorBackup.Posix;

namespace ActorBackup.Store.Restore;

/// <summary>
/// The restore target as a chain of open directory handles, from the target folder down
/// to the folder last asked for. Each folder is opened from its parent's handle without
/// following symlinks, so a path is never resolved through a symlink inside the target;
/// consecutive requests in one folder (or a sibling) reuse the handles they share. One per
/// actor: handles are not shared between threads.
/// </summary>
public sealed class TargetTree : IDisposable
{
    private readonly List<(string Name, TargetDirectory Directory)> _open = [];
    private string _current = "";

    public TargetTree(string target) => Root = TargetDirectory.OpenTarget(target);

    /// <summary>The target folder itself: the snapshot root's place.</summary>
    public TargetDirectory Root { get; }

    /// <summary>
    /// The folder at root-relative <paramref name="relative"/>; throws <see cref="PosixException"/>
    /// when a component is missing, a symlink (ELOOP) or not a directory (ENOTDIR).
    /// The handle belongs to the tree: do not dispose it.
    /// </summary>
    public TargetDirectory Directory(string relative)
    {
        if (relative == _current)
            return _open.Count == 0 ? Root : _open[^1].Directory;
        var names = relative.Length == 0 ? [] : relative.Split('/');
        var keep = 0;
        while (keep < _open.Count && keep < names.Length && _open[keep].Name == names[keep])
            keep++;
        CloseFrom(keep);
        _current = string.Join('/', names.Take(keep));
        var directory = keep == 0 ? Root : _open[keep - 1].Directory;
        for (var i = keep; i < names.Length; i++)
        {
            directory = directory.OpenDirectory(names[i]);
            _open.Add((names[i], directory));
            _current = i == 0 ? names[i] : _current + "/" + names[i];
        }
        return directory;
    }

    /// <summary>
    /// The folder that is to hold the new entry at root-relative <paramref name="path"/>, and
    /// its name there, with room made for it (<see cref="MakeRoom"/>); InTheWay says why there
    /// is none. The folder's handle belongs to the tree.
    /// </summary>
    public (TargetDirectory Directory, string Name, string? InTheWay) Place(string path, bool overwrite)
    {
        var directory = Directory(PathBytes.Parent(path));
        var name = NameOf(path);
        return (directory, name, MakeRoom(directory, name, overwrite));
    }

    /// <summary>
    /// Makes room for a new entry that is not a directory at <paramref name="name"/>: without
    /// --overwrite nothing is looked at (creation with O_EXCL refuses what is there); with it,
    /// a file, symlink or special file there is removed (a symlink itself, never what it
    /// points to). Returns why there is no room: a directory is in the way.
    /// </summary>
    public static string? MakeRoom(TargetDirectory directory, string name, bool overwrite)
    {
        if (!overwrite)
            return null;
        var existing = directory.StatChild(name);
        if (existing is null)
            return null;
        if (existing.Type == EntryType.Directory)
            return "a directory is in the way in the target; remove it and restore again";
        directory.Remove(name);
        return null;
    }

    /// <summary>The last component of a root-relative path.</summary>
    public static string NameOf(string relative) => relative[(relative.LastIndexOf('/') + 1)..];

    /// <summary>A failed call as a problem's reason (the path is already in the line).</summary>
    public static string Reason(PosixException e) => $"{e.Operation}: {e.Cause}";

    private void CloseFrom(int keep)
    {
        for (var i = _open.Count - 1; i >= keep; i--)
            _open[i].Directory.Dispose();
        _open.RemoveRange(keep, _open.Count - keep);
    }

    public void Dispose()
    {
        CloseFrom(0);
        Root.Dispose();
    }
}
