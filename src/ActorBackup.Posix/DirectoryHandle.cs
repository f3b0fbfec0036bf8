using System.Runtime.InteropServices;
using ActorBackup.Core;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// An open directory, listed and examined through its own handle: opened with
/// O_DIRECTORY|O_NOFOLLOW, so a directory swapped for a symlink is refused, and its
/// children are stat'ed relative to the handle, never by re-resolving the path.
/// </summary>
public sealed class DirectoryHandle : IDisposable
{
    private readonly int _fd;

    private DirectoryHandle(int fd, string path, FileMeta meta)
    {
        _fd = fd;
        Path = path;
        Meta = meta;
    }

    public string Path { get; }

    /// <summary>What fstat says of the opened directory: compare with what the parent's listing saw.</summary>
    public FileMeta Meta { get; }

    public static DirectoryHandle Open(string path)
    {
        var fd = Native.OpenForReading(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW, out var errno);
        if (fd < 0)
            throw new PosixException(errno, "open directory", path);
        return Adopt(fd, path);
    }

    /// <summary>Takes over an open directory descriptor (see <see cref="SourceRoot.OpenDirectory"/>); closes it on failure.</summary>
    internal static DirectoryHandle Adopt(int fd, string path)
    {
        if (Syscall.fstat(fd, out var st) != 0)
        {
            var e = PosixException.Last("stat", path);
            Syscall.close(fd);
            throw e;
        }
        return new DirectoryHandle(fd, path, ActorBackup.Posix.Meta.From(st));
    }

    /// <summary>
    /// Names in the directory, without "." and "..", in the order the file system gives. Read
    /// with getdents64 into a reused buffer, each name decoded as Mono.Posix decodes file
    /// names (<see cref="Mono.Unix.UnixEncoding"/>: a name that is not UTF-8 keeps its bytes): Mono's
    /// readdir cost about 380 bytes of garbage and a marshalled record per name.
    /// </summary>
    public List<string> ListNames()
    {
        var names = new List<string>();
        Each((_, buffer, name) => names.Add(Decode(buffer, name)));
        return names;
    }

    /// <summary>
    /// The names in the directory that are not regular files, from the types getdents64
    /// gives (a name whose type the file system does not give is lstat'ed): one pass over
    /// the listing, no call per name. Empty for a folder of regular files only.
    /// </summary>
    public List<string> NamesNotRegularFiles()
    {
        var odd = new List<string>();
        Each((type, buffer, name) =>
        {
            if (type == Dirents.Regular)
                return;
            var decoded = Decode(buffer, name);
            if (type != Dirents.Unknown || StatChild(decoded)?.Type is not EntryType.File)
                odd.Add(decoded);
        });
        return odd;
    }

    /// <summary>Every record of the listing from its start: its d_type, the buffer, and where its name starts.</summary>
    private void Each(Action<byte, byte[], int> record)
    {
        if (Lseek(_fd, 0, SeekSet) < 0)
            throw PosixException.Last("list", Path);
        var buffer = _listBuffer ??= new byte[32 * 1024];
        int length;
        while ((length = Dirents.Read(_fd, buffer, Path)) > 0)
        {
            var position = 0;
            while (Dirents.Next(buffer, length, ref position, out var type, out var name))
                record(type, buffer, name);
        }
    }

    private static string Decode(byte[] buffer, int name) => NameBytes.Decode(buffer.AsSpan(name, Dirents.NameLength(buffer, name)));

    [ThreadStatic]
    private static byte[]? _listBuffer;

    private const int SeekSet = 0;

    [DllImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static extern long Lseek(int fd, long offset, int whence);

    /// <summary>lstat of a child, relative to this handle; null when it vanished.</summary>
    public FileMeta? StatChild(string name)
    {
        var errno = Statx.Child(_fd, name, out var meta);
        if (errno == 0)
            return meta;
        if (errno == Errno.ENOENT)
            return null;
        throw new PosixException(errno, "stat", System.IO.Path.Combine(Path, name));
    }

    /// <summary>The value of a child's extended attribute (never a symlink's target's); null when it has none.</summary>
    public byte[]? ChildXattr(string name, string attribute)
    {
        var errno = ExtendedAttributes.TryGetAt(_fd, name, attribute, out var value);
        if (errno != 0)
            throw new PosixException(errno, "read extended attributes of", System.IO.Path.Combine(Path, name));
        return value;
    }

    /// <summary>The same for this directory itself.</summary>
    public byte[]? OwnXattr(string attribute) => ChildXattr(".", attribute);

    /// <summary>
    /// Every extended attribute of a child (a symlink's own, never its target's), in name byte
    /// order; null when it has none. ENOENT: the child vanished.
    /// </summary>
    public List<Xattr>? ChildXattrs(string name)
    {
        var errno = ExtendedAttributes.TryListAt(_fd, name, out var xattrs);
        if (errno != 0)
            throw new PosixException(errno, "read extended attributes of", System.IO.Path.Combine(Path, name));
        return xattrs;
    }

    /// <summary>The same for this directory itself.</summary>
    public List<Xattr>? OwnXattrs() => ChildXattrs(".");

    /// <summary>Gives a child exactly these xattrs (see <see cref="ExtendedAttributes.TrySetAll(string, IReadOnlyList{Xattr})"/>); what failed, or null.</summary>
    public FailedXattrs? SetChildXattrs(string name, IReadOnlyList<Xattr>? xattrs) =>
        ExtendedAttributes.TrySetAllAt(_fd, name, xattrs);

    /// <summary>The exact bytes of a child symlink's target.</summary>
    public byte[] ReadLinkChild(string name)
    {
        var buffer = new byte[4096];
        var n = Syscall.readlinkat(_fd, name, buffer);
        if (n < 0)
            throw PosixException.Last("read link", System.IO.Path.Combine(Path, name));
        return buffer.AsSpan(0, (int)n).ToArray();
    }

    public void Dispose() => Syscall.close(_fd);
}
