using Mono.Unix;
using Mono.Unix.Native;

namespace ActorBackup.Testing;

/// <summary>
/// Lets the test helpers reach paths longer than PATH_MAX (4096 bytes), which a test's deep
/// tree makes: the parent is opened in pieces shorter than PATH_MAX, each relative to the
/// last, and the *at call gets that handle and the last name. A path that fits goes to the
/// call as it is. Independent of the product's own code, so a test does not check the tool
/// with the tool.
/// </summary>
public static class LongPaths
{
    private const int PathMax = 4096;

    public static bool IsLong(string path) => UnixEncoding.Instance.GetByteCount(path) >= PathMax;

    /// <summary>Runs <paramref name="call"/> with (AT_FDCWD, path), or with the parent's handle and the last name.</summary>
    public static T At<T>(string path, Func<int, string, T> call)
    {
        if (path.Length * 3 < PathMax || !IsLong(path))
            return call(Syscall.AT_FDCWD, path);
        var slash = path.TrimEnd('/').LastIndexOf('/');
        var fd = OpenDirectory(path[..slash]);
        try
        {
            return call(fd, path[(slash + 1)..].TrimEnd('/'));
        }
        finally
        {
            Syscall.close(fd);
        }
    }

    /// <summary>Opens a directory of any length (O_RDONLY|O_DIRECTORY), piece by piece; the caller closes it.</summary>
    public static int OpenDirectory(string path)
    {
        var fd = Syscall.AT_FDCWD;
        var piece = path.StartsWith('/') ? "/" : "";
        var names = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i <= names.Length; i++)
        {
            var full = i == names.Length;
            if (!full)
            {
                var candidate = piece.Length == 0 || piece.EndsWith('/') ? piece + names[i] : piece + "/" + names[i];
                if (UnixEncoding.Instance.GetByteCount(candidate) < PathMax - 1)
                {
                    piece = candidate;
                    continue;
                }
            }
            var next = Syscall.openat(fd, piece, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC);
            var errno = Stdlib.GetLastError();
            if (fd != Syscall.AT_FDCWD)
                Syscall.close(fd);
            if (next < 0)
                throw new IOException($"openat {Names.Show(path)}: {errno}");
            fd = next;
            if (!full)
                piece = names[i];
        }
        return fd;
    }
}
