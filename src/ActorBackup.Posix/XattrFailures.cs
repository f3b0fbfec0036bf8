using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// Extended attributes that could not be set on what a run made (a file system without
/// xattrs says EOPNOTSUPP for every one; a non-root restore is refused security.* and
/// trusted.* names). A run tells each kind once, naming the first entry and the fix, and
/// counts the entries: a tree of a million files on such a file system gives one line, not a
/// million. A kind is the errno and the name's namespace (the part before its first dot;
/// EOPNOTSUPP alone is one kind).
/// Safe to use from several threads (the data-store and its finisher share one).
/// </summary>
public sealed class XattrFailures(string where, string consequence)
{
    private readonly object _lock = new();
    private readonly HashSet<(Errno, string)> _told = [];
    private List<(string Path, string Reason)> _notices = [];
    private long _entries;

    /// <summary>Entries that lack one or more of their xattrs.</summary>
    public long Entries => Interlocked.Read(ref _entries);

    /// <summary>
    /// Notes what <see cref="ExtendedAttributes"/> could not set on <paramref name="path"/>;
    /// nothing when null. <paramref name="count"/> false: a probe, not an entry.
    /// </summary>
    public void Note(string path, FailedXattrs? failed, bool count = true)
    {
        if (failed is null || failed.Count == 0)
            return;
        if (count)
            Interlocked.Increment(ref _entries);
        lock (_lock)
        {
            foreach (var (name, errno) in failed)
            {
                var space = name.Contains('.') ? name[..name.IndexOf('.')] : name;
                // A file system without xattrs refuses every namespace: one line says it.
                if (_told.Add((errno, errno == Errno.EOPNOTSUPP ? "" : space)))
                    _notices.Add((path, Reason(name, errno, space)));
            }
        }
    }

    /// <summary>The lines not yet told: each kind once per run.</summary>
    public List<(string Path, string Reason)> TakeNotices()
    {
        lock (_lock)
        {
            var taken = _notices;
            _notices = [];
            return taken;
        }
    }

    private string Reason(string name, Errno errno, string space)
    {
        var why = errno switch
        {
            Errno.EOPNOTSUPP => $"{where}'s file system does not keep extended attributes or ACLs ({PosixException.Describe(errno)})",
            Errno.EPERM or Errno.EACCES => $"only root may set {space}.* extended attributes; run as root",
            Errno.E2BIG or Errno.ENOSPC => $"{where}'s file system has no room for this value (ext4 keeps at most one block of xattrs per inode without the ea_inode feature)",
            _ => PosixException.Describe(errno),
        };
        var what = errno == Errno.EOPNOTSUPP ? "extended attributes not set" : $"extended attribute {name} not set";
        return $"{what}: {why}; {consequence} (told once per run; the summary counts the entries)";
    }
}
