using System.Net.Sockets;
using System.Text;
using Mono.Unix.Native;

namespace ActorBackup.Testing;

/// <summary>
/// Builds a source tree from literals, one call per entry:
/// <code>
///   new TreeBuilder(root)
///       .File("docs/a.txt", "hello")                       // parents made 0755 as needed
///       .File(Names.FromBytes(0xFF, 0xFE), new byte[] { 1 })
///       .Symlink("link", Names.ToBytes("../somewhere"))
///       .Fifo("pipe").Chown("docs/a.txt", 1234, 1234).Chmod("docs/a.txt", Octal.Mode(4750))
///       .Mtime("docs", 1_700_000_000, 123_456_789);        // after the children: they move it
/// </code>
/// Paths are root-relative with '/' separators ("" is the root); names may hold any byte but
/// '/' and NUL (build them with <see cref="Names.FromBytes"/>). Every call goes through
/// Mono.Posix, so names keep their exact bytes. Modes are exact (the umask does not apply).
/// Order matters as on a real disk: chown clears setuid/setgid, so chmod after chown, and
/// set a folder's times after its last child.
/// </summary>
public sealed class TreeBuilder
{
    public TreeBuilder(string root)
    {
        Root = root.TrimEnd('/');
        MakeParents(Root);
        if (!PosixFs.Exists(Root))
            Dir("");
    }

    public string Root { get; }

    /// <summary>The absolute path of a root-relative path.</summary>
    public string PathOf(string relative) => relative.Length == 0 ? Root : Root + "/" + relative;

    public TreeBuilder File(string relative, string text, int mode = 644) => File(relative, Encoding.UTF8.GetBytes(text), mode);

    /// <summary>A regular file with exactly <paramref name="content"/>; <paramref name="mode"/> is written as octal digits (644).</summary>
    public TreeBuilder File(string relative, byte[] content, int mode = 644)
    {
        var path = PathOf(relative);
        MakeParents(path);
        var fd = Syscall.open(path, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC,
            FilePermissions.S_IRUSR | FilePermissions.S_IWUSR);
        if (fd < 0)
            throw PosixFs.Fail("create", path);
        try
        {
            PosixFs.WriteAll(fd, content, path);
        }
        finally
        {
            Syscall.close(fd);
        }
        return Chmod(relative, mode);
    }

    public TreeBuilder Dir(string relative, int mode = 755)
    {
        var path = PathOf(relative);
        MakeParents(path);
        if (Syscall.mkdir(path, FilePermissions.S_IRWXU) != 0)
            throw PosixFs.Fail("mkdir", path);
        return Chmod(relative, mode);
    }

    /// <summary>A symlink whose target is exactly <paramref name="target"/> (need not exist).</summary>
    public TreeBuilder Symlink(string relative, byte[] target)
    {
        var path = PathOf(relative);
        MakeParents(path);
        if (Syscall.symlink(Names.FromBytes(target), path) != 0)
            throw PosixFs.Fail("symlink", path);
        return this;
    }

    public TreeBuilder Symlink(string relative, string target) => Symlink(relative, Encoding.UTF8.GetBytes(target));

    public TreeBuilder Fifo(string relative, int mode = 644)
    {
        var path = PathOf(relative);
        MakeParents(path);
        if (Syscall.mkfifo(path, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR) != 0)
            throw PosixFs.Fail("mkfifo", path);
        return Chmod(relative, mode);
    }

    /// <summary>A character device node (root only), e.g. (1, 3) is /dev/null.</summary>
    public TreeBuilder CharDevice(string relative, uint major, uint minor, int mode = 644)
    {
        var path = PathOf(relative);
        MakeParents(path);
        if (Syscall.mknod(path, FilePermissions.S_IFCHR | FilePermissions.S_IRUSR | FilePermissions.S_IWUSR, MakeDev(major, minor)) != 0)
            throw PosixFs.Fail("mknod", path);
        return Chmod(relative, mode);
    }

    /// <summary>A further name of the existing entry <paramref name="existing"/> (link(2)): one inode, one more link.</summary>
    public TreeBuilder Hardlink(string relative, string existing)
    {
        var path = PathOf(relative);
        MakeParents(path);
        if (Syscall.link(PathOf(existing), path) != 0)
            throw PosixFs.Fail("link", path);
        return this;
    }

    /// <summary>
    /// A unix socket file, as a server leaves it. .NET removes the file it bound when the
    /// socket is closed, so the socket is bound under a temporary name, hardlinked to
    /// <paramref name="relative"/>, and closed: the temporary name goes, the socket file stays.
    /// Both absolute paths must fit in 107 bytes of UTF-8.
    /// </summary>
    public TreeBuilder Socket(string relative)
    {
        var path = PathOf(relative);
        MakeParents(path);
        var binding = path + ".binding";
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            socket.Bind(new UnixDomainSocketEndPoint(binding));
            if (Syscall.link(binding, path) != 0)
                throw PosixFs.Fail("link", path);
        }
        Syscall.unlink(binding); // in case this .NET leaves it
        if (PosixFs.TypeOf(PosixFs.Lstat(path)) != FilePermissions.S_IFSOCK)
            throw new IOException($"{path} is not a socket after bind");
        return this;
    }

    /// <summary>Owner and group of the entry itself (lchown: a symlink, not its target).</summary>
    public TreeBuilder Chown(string relative, uint uid, uint gid)
    {
        var path = PathOf(relative);
        if (Syscall.lchown(path, uid, gid) != 0)
            throw PosixFs.Fail("lchown", path);
        return this;
    }

    /// <summary>Permission bits written as octal digits: Chmod("x", 4755).</summary>
    public TreeBuilder Chmod(string relative, int mode)
    {
        var path = PathOf(relative);
        if (Syscall.chmod(path, (FilePermissions)Octal.Mode(mode)) != 0)
            throw PosixFs.Fail("chmod", path);
        return this;
    }

    /// <summary>Sets mtime to the nanosecond (atime too, to the same value), without following a symlink.</summary>
    public TreeBuilder Mtime(string relative, long seconds, long nanoseconds)
    {
        PosixFs.SetTimes(PathOf(relative), (seconds, nanoseconds), (seconds, nanoseconds));
        return this;
    }

    /// <summary>Sets atime and mtime separately, without following a symlink.</summary>
    public TreeBuilder Times(string relative, (long Seconds, long Nanoseconds) atime, (long Seconds, long Nanoseconds) mtime)
    {
        PosixFs.SetTimes(PathOf(relative), atime, mtime);
        return this;
    }

    /// <summary>
    /// A chain of <paramref name="depth"/> folders named <paramref name="folderName"/> below
    /// <paramref name="relative"/>, with a file at the bottom. Built from directory handles
    /// (mkdirat/openat), so the chain may be longer than PATH_MAX (4096 bytes), which no
    /// path-based call can reach. Returns the file's absolute path.
    /// </summary>
    public string DeepFile(string relative, string folderName, int depth, string fileName, byte[] content)
    {
        var start = PathOf(relative);
        if (!PosixFs.Exists(start))
            Dir(relative);
        var fd = Syscall.open(start, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC);
        if (fd < 0)
            throw PosixFs.Fail("open", start);
        var path = start;
        try
        {
            for (var i = 0; i < depth; i++)
            {
                path += "/" + folderName;
                if (Syscall.mkdirat(fd, folderName, FilePermissions.S_IRWXU | FilePermissions.S_IRGRP | FilePermissions.S_IXGRP | FilePermissions.S_IROTH | FilePermissions.S_IXOTH) != 0)
                    throw PosixFs.Fail("mkdirat", path);
                var next = Syscall.openat(fd, folderName, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC);
                if (next < 0)
                    throw PosixFs.Fail("openat", path);
                Syscall.close(fd);
                fd = next;
            }
            path += "/" + fileName;
            var file = Syscall.openat(fd, fileName, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_CLOEXEC,
                FilePermissions.S_IRUSR | FilePermissions.S_IWUSR | FilePermissions.S_IRGRP | FilePermissions.S_IROTH);
            if (file < 0)
                throw PosixFs.Fail("openat", path);
            PosixFs.WriteAll(file, content, path);
            Syscall.close(file);
            return path;
        }
        finally
        {
            Syscall.close(fd);
        }
    }

    /// <summary>Linux's makedev: major and minor spread over the dev_t bits as glibc does.</summary>
    public static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xFFF) << 8) | ((ulong)(major & ~0xFFFu) << 32) | (minor & 0xFF) | ((ulong)(minor & ~0xFFu) << 12);

    private void MakeParents(string path)
    {
        var slash = path.LastIndexOf('/');
        if (slash <= 0)
            return;
        var parent = path[..slash];
        if (PosixFs.Exists(parent))
            return;
        MakeParents(parent);
        if (Syscall.mkdir(parent, FilePermissions.S_IRWXU) != 0 && Stdlib.GetLastError() != Errno.EEXIST)
            throw PosixFs.Fail("mkdir", parent);
        if (Syscall.chmod(parent, (FilePermissions)Octal.Mode(755)) != 0)
            throw PosixFs.Fail("chmod", parent);
    }
}
