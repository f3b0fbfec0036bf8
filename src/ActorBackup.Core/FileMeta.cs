namespace ActorBackup.Core;

/// <summary>A point in time as the file system keeps it: seconds since the epoch plus nanoseconds.</summary>
public readonly record struct Timestamp(long Seconds, long Nanoseconds)
{
    public override string ToString() => $"{Seconds}.{Nanoseconds:D9}";

    public static Timestamp Parse(string text)
    {
        var dot = text.IndexOf('.');
        if (dot < 0)
            return new Timestamp(long.Parse(text), 0);
        return new Timestamp(long.Parse(text[..dot]), long.Parse(text[(dot + 1)..]));
    }
}

/// <summary>
/// What lstat told us about one entry, in the project's own terms. Mode holds only the
/// permission bits (07777); the type is separate.
/// </summary>
public sealed record FileMeta(
    EntryType Type,
    uint Mode,
    uint Uid,
    uint Gid,
    long Size,
    Timestamp Mtime,
    Timestamp Ctime,
    ulong Device,
    ulong Inode,
    ulong Rdev,
    ulong LinkCount)
{
    /// <summary>
    /// True when <paramref name="now"/> describes the same unchanged file: same inode and
    /// no change to size, mtime or ctime. Used before and after reading a file.
    /// </summary>
    public bool SameContentAs(FileMeta now) =>
        Device == now.Device && Inode == now.Inode && Size == now.Size && Mtime == now.Mtime && Ctime == now.Ctime;

    public bool SameInodeAs(FileMeta other) => Device == other.Device && Inode == other.Inode;
}
