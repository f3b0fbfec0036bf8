using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// The kinds of failure the layers above tell apart, named for what they mean to a caller.
/// The one place that maps errno values to them: code outside this project asks these
/// predicates (or the same ones on <see cref="PosixException"/>) and never names an errno.
/// </summary>
public static class ErrnoKinds
{
    /// <summary>ENOENT: nothing has that name.</summary>
    public static bool IsNotFound(this Errno errno) => errno == Errno.ENOENT;

    /// <summary>ENOTDIR: a component of the path is not a folder.</summary>
    public static bool IsNotADirectory(this Errno errno) => errno == Errno.ENOTDIR;

    /// <summary>ENOENT or ENOTDIR: nothing is at that path, however the path ends.</summary>
    public static bool IsAbsent(this Errno errno) => errno is Errno.ENOENT or Errno.ENOTDIR;

    /// <summary>EEXIST: the name is taken.</summary>
    public static bool AlreadyExists(this Errno errno) => errno == Errno.EEXIST;

    /// <summary>EMLINK: the file is at its file system's link limit.</summary>
    public static bool TooManyLinks(this Errno errno) => errno == Errno.EMLINK;

    /// <summary>EXDEV: the two paths are on different mounts, so no link or rename joins them.</summary>
    public static bool IsCrossDevice(this Errno errno) => errno == Errno.EXDEV;

    /// <summary>ELOOP: a symlink was met where O_NOFOLLOW (or a held folder) refuses to follow one.</summary>
    public static bool IsSymlinkNotFollowed(this Errno errno) => errno == Errno.ELOOP;

    /// <summary>ESTALE: an NFS handle went stale under us.</summary>
    public static bool IsStale(this Errno errno) => errno == Errno.ESTALE;

    /// <summary>EINVAL: the call does not apply to what the path names.</summary>
    public static bool IsInvalid(this Errno errno) => errno == Errno.EINVAL;

    /// <summary>EPERM: the operation is not permitted to this user (a link to another's file, a chown).</summary>
    public static bool IsNotPermitted(this Errno errno) => errno == Errno.EPERM;

    /// <summary>EACCES or EPERM: this user may not do it.</summary>
    public static bool IsAccessDenied(this Errno errno) => errno is Errno.EACCES or Errno.EPERM;

    /// <summary>EROFS: the file system is mounted read-only.</summary>
    public static bool IsReadOnlyFileSystem(this Errno errno) => errno == Errno.EROFS;

    /// <summary>ENOSPC or EDQUOT: the file system is full, or its owner's quota is used up.</summary>
    public static bool IsNoSpace(this Errno errno) => errno is Errno.ENOSPC or Errno.EDQUOT;

    /// <summary>EDQUOT: a disk quota is used up.</summary>
    public static bool IsQuotaExceeded(this Errno errno) => errno == Errno.EDQUOT;

    /// <summary>
    /// The file system is at fault, not the one file: full, over quota, an I/O error,
    /// read-only, or reached through another mount (EXDEV). Every further write there
    /// fails the same way, so a run stops rather than report each file.
    /// </summary>
    public static bool IsFileSystemWide(this Errno errno) =>
        errno is Errno.ENOSPC or Errno.EDQUOT or Errno.EIO or Errno.EROFS or Errno.EXDEV;

    /// <summary>The file system (or kernel) cannot make reflink clones here; asking again will not help.</summary>
    public static bool IsCloneUnsupported(this Errno errno) =>
        errno is Errno.EOPNOTSUPP or Errno.EINVAL or Errno.ENOTTY or Errno.EXDEV or Errno.ENOSYS;
}
