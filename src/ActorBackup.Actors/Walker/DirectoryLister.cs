using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store.Manifest;
using static ActorBackup.Protocol.WalkerProtocol;

namespace ActorBackup.Actors.Walker;

/// <summary>
/// The previous snapshot's manifest, read one directory's group at a time, and whether it
/// records every xattr of each entry (an older one does not: an unchanged file's xattrs are
/// then read again).
/// </summary>
public sealed class PreviousFiles : IDisposable
{
    private readonly DirectoryIndex _index;

    private PreviousFiles(DirectoryIndex index)
    {
        _index = index;
        HasXattrs = index.Header.TryGetValue(ManifestFormat.XattrsHeader, out var read) && read == ManifestFormat.XattrsAll;
    }

    public bool HasXattrs { get; }

    /// <summary>The manifest at <paramref name="manifest"/>; null when there is none, or it is gone (every file is then read).</summary>
    public static PreviousFiles? Open(string? manifest)
    {
        if (manifest is null)
            return null;
        try
        {
            return new PreviousFiles(DirectoryIndex.Open(manifest));
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return null; // the CLI checked it before the run; if it is gone now, every file is read
        }
    }

    /// <summary>The regular files the previous snapshot had in <paramref name="directory"/>, by name; null when unknown.</summary>
    public Dictionary<string, PreviousFile>? Of(string directory)
    {
        try
        {
            return _index.Files(directory);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return null; // a damaged previous manifest costs reading this directory's files, nothing else
        }
    }

    public void Dispose() => _index.Dispose();
}

/// <summary>
/// Lists one directory (see <see cref="Walker"/>): the code a walker runs, in one process or
/// on a hasher node that walks for a cluster run's coordinator.
/// </summary>
public static class DirectoryLister
{
    /// <summary>
    /// The entries of <paramref name="w"/>'s directory under <paramref name="root"/>, sorted by
    /// name bytes, and the problems met. With <paramref name="before"/> (the previous snapshot's
    /// files of this directory), an unchanged regular file carries its known content.
    /// </summary>
    public static DirectoryWalked List(SourceRoot root, WalkDirectory w, IReadOnlySet<string> excluded, Dictionary<string, PreviousFile>? before, bool previousHasXattrs)
    {
        var entries = new List<SourceEntry>();
        var problems = new List<FileProblem>();
        try
        {
            // Opened below the root without following any symlink on the way: a folder on
            // the path swapped for a symlink fails here (ELOOP) instead of leading elsewhere.
            using var dir = root.OpenDirectory(w.Path);
            if (!dir.Meta.SameInodeAs(w.Expected))
            {
                problems.Add(new FileProblem(w.Path, "directory was replaced while the backup ran; its contents are not in this snapshot"));
                return new DirectoryWalked(w.Path, entries, problems);
            }
            foreach (var name in ByteOrder.Sort(dir.ListNames()))
            {
                var child = PathBytes.Child(w.Path, name);
                try
                {
                    var meta = dir.StatChild(name);
                    if (meta is null)
                    {
                        problems.Add(new FileProblem(child, "vanished before it could be read"));
                        continue;
                    }
                    if (meta.Type == EntryType.Directory && excluded.Contains(child))
                        continue;
                    var target = meta.Type == EntryType.Symlink ? dir.ReadLinkChild(name) : null;
                    PreviousFile old = default;
                    var known = before is not null && meta.Type == EntryType.File && before.TryGetValue(name, out old)
                        ? FilesCache.Unchanged(meta, old)
                        : null;
                    var xattrs = known is { SameOwnership: true } && previousHasXattrs
                        ? old.Xattrs // unchanged, ctime too (setting an xattr or ACL moves it): as the manifest recorded, without a call
                        : Xattrs(dir, name, child, problems);
                    entries.Add(new SourceEntry(child, meta, target, known, xattrs));
                }
                catch (PosixException e) when (e.IsNotFound || e.IsInvalid)
                {
                    // readlink after lstat: the symlink was removed, or replaced by something else.
                    problems.Add(new FileProblem(child, "was replaced or removed while the backup ran; it will be read again next run"));
                }
                catch (PosixException e)
                {
                    problems.Add(new FileProblem(child, $"cannot examine: {e.Cause}"));
                }
            }
        }
        catch (PosixException e) when (e.IsSymlinkNotFollowed)
        {
            problems.Add(new FileProblem(w.Path, "cannot list directory: it (or a folder on its path) was replaced by a symlink while the backup ran; not followed; it is in the snapshot empty"));
        }
        catch (PosixException e)
        {
            problems.Add(new FileProblem(w.Path, $"cannot list directory: {e.Cause}; it is in the snapshot empty"));
        }
        return new DirectoryWalked(w.Path, entries, problems);
    }

    /// <summary>
    /// A listing made without the previous snapshot (by a hasher node) as the coordinator's own
    /// walker would have made it: unchanged regular files carry their known content.
    /// </summary>
    public static DirectoryWalked WithKnown(DirectoryWalked listed, PreviousFiles? previous)
    {
        if (previous?.Of(listed.Path) is not { Count: > 0 } before)
            return listed;
        var entries = new List<SourceEntry>(listed.Entries.Count);
        foreach (var entry in listed.Entries)
        {
            var name = entry.Path.AsSpan(entry.Path.LastIndexOf('/') + 1).ToString();
            entries.Add(entry.Meta.Type == EntryType.File && before.TryGetValue(name, out var old) && FilesCache.Unchanged(entry.Meta, old) is { } known
                ? entry with { Known = known }
                : entry);
        }
        return listed with { Entries = entries };
    }

    /// <summary>
    /// Every extended attribute of the entry (POSIX ACLs included), read relative to the held
    /// directory, never through a symlink. One that cannot be read (other than vanished) is
    /// reported and the entry goes on without.
    /// </summary>
    private static IReadOnlyList<Xattr>? Xattrs(DirectoryHandle dir, string name, string child, List<FileProblem> problems)
    {
        try
        {
            return dir.ChildXattrs(name);
        }
        catch (PosixException e) when (!e.IsNotFound)
        {
            problems.Add(new FileProblem(child, $"extended attributes not read ({e.Cause}): in the snapshot without them"));
            return null;
        }
    }
}
