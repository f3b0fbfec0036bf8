using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// A failed system call, with the path and operation, worded for the user. Code above this
/// project asks the predicates (<see cref="IsNotFound"/>, ...) instead of reading the errno;
/// <see cref="ErrnoKinds"/> defines each.
/// </summary>
public sealed class PosixException(Errno errno, string operation, string path)
    : IOException($"{operation} {path}: {Describe(errno)}")
{
    public Errno Errno { get; } = errno;
    public string Operation { get; } = operation;
    public string PathName { get; } = path;

    /// <summary>The error as the user reads it: "No such file or directory (ENOENT)".</summary>
    public string Cause => Describe(Errno);

    public bool IsNotFound => Errno.IsNotFound();
    public bool IsNotADirectory => Errno.IsNotADirectory();
    public bool IsAbsent => Errno.IsAbsent();
    public bool AlreadyExists => Errno.AlreadyExists();
    public bool TooManyLinks => Errno.TooManyLinks();
    public bool IsCrossDevice => Errno.IsCrossDevice();
    public bool IsSymlinkNotFollowed => Errno.IsSymlinkNotFollowed();
    public bool IsStale => Errno.IsStale();
    public bool IsInvalid => Errno.IsInvalid();
    public bool IsNotPermitted => Errno.IsNotPermitted();
    public bool IsAccessDenied => Errno.IsAccessDenied();
    public bool IsReadOnlyFileSystem => Errno.IsReadOnlyFileSystem();
    public bool IsNoSpace => Errno.IsNoSpace();
    public bool IsFileSystemWide => Errno.IsFileSystemWide();

    public static string Describe(Errno errno) => $"{Stdlib.strerror(errno)} ({errno})";

    /// <summary>The failure of making <paramref name="path"/> where a name of the same kind is taken (EEXIST).</summary>
    public static PosixException NameTaken(string operation, string path) => new(Errno.EEXIST, operation, path);

    public static PosixException Last(string operation, string path) => new(Stdlib.GetLastError(), operation, path);

    /// <summary>Throws for a failed call's <paramref name="errno"/>; nothing when it is 0.</summary>
    public static void ThrowIfFailed(Errno errno, string operation, string path)
    {
        if (errno != 0)
            throw new PosixException(errno, operation, path);
    }

    /// <summary>Throws for a failed call's <paramref name="errno"/> unless the name was already taken (a folder made twice).</summary>
    public static void ThrowUnlessMadeOrExists(Errno errno, string operation, string path)
    {
        if (errno != 0 && errno != Errno.EEXIST)
            throw new PosixException(errno, operation, path);
    }
}
