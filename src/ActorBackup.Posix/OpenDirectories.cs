using System.Runtime.InteropServices;
using ActorBackup.Core;
using Mono.Unix;
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
public sealed class OpenDirectories : IDisposable
{
    private readonly int _capacity;
    private readonly Dictionary<string, LinkedListNode<(string Path, int Fd)>> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LinkedListNode<(string Path, int Fd)>>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
    private readonly LinkedList<(string Path, int Fd)> _recent = new();

    public OpenDirectories(int capacity)
    {
        _capacity = capacity;
        _bySpan = _byPath.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Runs a *at call on <paramref name="path"/> from its open parent; 0 or the errno, as <see cref="Files"/> does.</summary>
    internal Errno At(string path, Func<int, string, int> call)
    {
        if (!Split(path, out var slash))
            return Files.At(path, call);
        var errno = Handle(path.AsSpan(0, slash), out var fd);
        if (errno != 0)
            return errno;
        return call(fd, path[(slash + 1)..]) == 0 ? 0 : Stdlib.GetLastError();
    }

    /// <summary>
    /// link(2) of <paramref name="existing"/> (as it is; it must fit PATH_MAX) as
    /// <paramref name="newPath"/>, from its parent held in <paramref name="toDirs"/> when given
    /// (null: the path as it is; it may be longer than PATH_MAX).
    /// </summary>
    internal static Errno Link(string existing, OpenDirectories? toDirs, string newPath) =>
        LinkTo(LongPath.AtFdCwd, existing, toDirs, newPath);

    /// <summary>The same, <paramref name="existingName"/> in <paramref name="existingFolder"/> (held here, or opened and held): no path to cut.</summary>
    internal static Errno Link(OpenDirectories fromDirs, string existingFolder, string existingName, OpenDirectories? toDirs, string newPath)
    {
        if (LongPath.IsLong(existingFolder))
            return Link(existingFolder + "/" + existingName, toDirs, newPath);
        var errno = fromDirs.Handle(existingFolder, out var from);
        if (errno != 0)
            return errno;
        return LinkTo(from, existingName, toDirs, newPath);
    }

    /// <summary>
    /// lstat of <paramref name="name"/> in <paramref name="folder"/> (held here, or opened and
    /// held): its type and size, without a record allocated per call.
    /// </summary>
    internal unsafe Errno TypeAndSize(string folder, string name, out EntryType type, out long size)
    {
        (type, size) = (EntryType.Socket, 0);
        int dirfd;
        if (LongPath.IsLong(folder))
            return Files.TryLstat(folder + "/" + name, out var meta, out var e) ? Set(meta!, out type, out size) : e;
        var errno = Handle(folder, out dirfd);
        if (errno != 0)
            return errno;
        Span<byte> bytes = name.Length <= 300 ? stackalloc byte[1024] : new byte[name.Length * 3 + 1];
        NameBytes.Encode(name, bytes);
        Statx.Buffer st;
        fixed (byte* path = bytes)
        {
            if (Statx.Raw(dirfd, path, &st) != 0)
                return NativeConvert.ToErrno(Marshal.GetLastPInvokeError());
        }
        (type, size) = (Meta.TypeOf(st.Mode), (long)st.Size);
        return 0;
    }

    private static Errno Set(ActorBackup.Core.FileMeta meta, out EntryType type, out long size)
    {
        (type, size) = (meta.Type, meta.Size);
        return 0;
    }

    private static Errno LinkTo(int from, ReadOnlySpan<char> fromName, OpenDirectories? toDirs, string newPath)
    {
        if (toDirs is null || !Split(newPath, out var toSlash))
        {
            var name = fromName.ToString();
            return Files.At(newPath, (fd, n) => Syscall.linkat(from, name, fd, n, 0));
        }
        var toErrno = toDirs.Handle(newPath.AsSpan(0, toSlash), out var to);
        if (toErrno != 0)
            return toErrno;
        return LinkAt(from, fromName, to, newPath.AsSpan(toSlash + 1));
    }

    /// <summary>
    /// renameat2(2) of <paramref name="from"/> to <paramref name="newPath"/> with
    /// RENAME_NOREPLACE, each from its parent held in <paramref name="fromDirs"/> and
    /// <paramref name="toDirs"/> when given (null: the path as it is; <paramref name="from"/>
    /// must then fit PATH_MAX): EEXIST when the name is taken (nothing moved); EINVAL where
    /// the filesystem lacks the flag.
    /// </summary>
    internal static Errno RenameNoReplace(OpenDirectories? fromDirs, string from, OpenDirectories? toDirs, string newPath)
    {
        var fromFd = LongPath.AtFdCwd;
        var fromName = from.AsSpan();
        if (fromDirs is not null && Split(from, out var fromSlash))
        {
            var fromErrno = fromDirs.Handle(from.AsSpan(0, fromSlash), out fromFd);
            if (fromErrno != 0)
                return fromErrno;
            fromName = from.AsSpan(fromSlash + 1);
        }
        if (toDirs is null || !Split(newPath, out var toSlash))
        {
            var (fd, name) = (fromFd, fromName.ToString());
            Errno errno = 0;
            var opened = Files.At(newPath, (to, n) => (errno = TwoNames(fd, name, to, n, rename: true)) == 0 ? 0 : -1);
            return errno != 0 ? errno : opened;
        }
        var toErrno = toDirs.Handle(newPath.AsSpan(0, toSlash), out var toFd);
        if (toErrno != 0)
            return toErrno;
        return TwoNames(fromFd, fromName, toFd, newPath.AsSpan(toSlash + 1), rename: true);
    }

    private static Errno LinkAt(int fromFd, ReadOnlySpan<char> fromName, int toFd, ReadOnlySpan<char> toName) =>
        TwoNames(fromFd, fromName, toFd, toName, rename: false);

    /// <summary>
    /// linkat(2), or renameat2(2) with RENAME_NOREPLACE, of two names, encoded as Mono.Posix
    /// encodes file names (UnixEncoding: a name that is not UTF-8 gets its bytes back) into
    /// stack buffers: no allocation, no marshaller.
    /// </summary>
    private static unsafe Errno TwoNames(int fromFd, ReadOnlySpan<char> fromName, int toFd, ReadOnlySpan<char> toName, bool rename)
    {
        Span<byte> from = fromName.Length <= 300 ? stackalloc byte[1024] : new byte[fromName.Length * 3 + 1];
        Span<byte> to = toName.Length <= 300 ? stackalloc byte[1024] : new byte[toName.Length * 3 + 1];
        NameBytes.Encode(fromName, from);
        NameBytes.Encode(toName, to);
        fixed (byte* f = from)
        fixed (byte* t = to)
        {
            var result = rename ? renameat2(fromFd, f, toFd, t, RenameNoReplaceFlag) : linkat(fromFd, f, toFd, t, 0);
            return result == 0 ? 0 : NativeConvert.ToErrno(Marshal.GetLastPInvokeError());
        }
    }

    private const uint RenameNoReplaceFlag = 1;

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe int renameat2(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, uint flags);

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe int linkat(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, int flags);

    /// <summary>Closes every held directory (after a removal or rename below them, and at the end).</summary>
    public void Clear()
    {
        foreach (var (_, fd) in _recent)
            Syscall.close(fd);
        _recent.Clear();
        _byPath.Clear();
    }

    public void Dispose() => Clear();

    /// <summary>A path with a parent to hold (absolute, not at the root, short enough for one call): where its last '/' is.</summary>
    private static bool Split(string path, out int slash)
    {
        slash = path.LastIndexOf('/');
        return slash > 0 && slash != path.Length - 1 && !LongPath.IsLong(path);
    }

    private Errno Handle(ReadOnlySpan<char> directory, out int fd)
    {
        if (_bySpan.TryGetValue(directory, out var node))
        {
            _recent.Remove(node);
            _recent.AddFirst(node);
            fd = node.Value.Fd;
            return 0;
        }
        // A new folder is usually the child of one held (a snapshot is built top down):
        // opened from there, that is one name to resolve, not the whole path.
        var path = directory.ToString();
        if (Split(path, out var slash) && _bySpan.TryGetValue(directory[..slash], out var parentNode))
            fd = LongPath.OpenDirectoryAt(parentNode.Value.Fd, path[(slash + 1)..]);
        else
            fd = LongPath.OpenDirectory(path);
        if (fd < 0)
            return Stdlib.GetLastError();
        if (_recent.Count >= _capacity)
        {
            var last = _recent.Last!;
            _recent.RemoveLast();
            _byPath.Remove(last.Value.Path);
            Syscall.close(last.Value.Fd);
        }
        _byPath[path] = _recent.AddFirst((path, fd));
        return 0;
    }
}
