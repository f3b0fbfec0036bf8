using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store.Manifest;
using ActorBackup.Store.Restore;
using static ActorBackup.Actors.Restore.RestoreProtocol;

namespace ActorBackup.Actors.Restore;

/// <summary>Files the source had hardlinked: later members of a group are linked to the first once it is restored.</summary>
public sealed partial class RestoreCoordinator
{
    /// <summary>
    /// Links a later member of a hardlink group to its first member's restored path. A copy
    /// is restored instead (with a notice) when the first was not restored, when the link
    /// fails (EXDEV, EMLINK, ...), or when what the link names is no longer the inode the
    /// first was restored to (its path was replaced meanwhile).
    /// </summary>
    private void LinkOrCopy(FileToRestore file, HardlinkGroups.Group group)
    {
        var first = PathBytes.Escape(group.FirstPath);
        if (group.State != HardlinkGroups.FirstState.Restored)
        {
            Notice(file.Path, $"restored as a copy, not as a hardlink of {first}: that file was not restored");
            Send(file);
            return;
        }
        string why;
        try
        {
            var (directory, name, inTheWay) = _tree!.Place(file.Path, _options.Overwrite);
            if (inTheWay is not null)
            {
                Problem(file.Path, inTheWay);
                return;
            }
            var from = _linkSources!.Directory(PathBytes.Parent(group.FirstPath));
            var errno = directory.TryLink(from, TargetTree.NameOf(group.FirstPath), name);
            if (errno.AlreadyExists())
            {
                Problem(file.Path, TargetTree.Reason(new PosixException(errno, "link", file.Path)));
                return;
            }
            if (errno == 0)
            {
                if (directory.StatChild(name) is { Type: EntryType.File } made && made.Device == group.Device && made.Inode == group.Inode)
                {
                    _files++;
                    return;
                }
                directory.Remove(name);
                why = "that path no longer holds the file restored there";
            }
            else
                why = $"link: {PosixException.Describe(errno)}";
        }
        catch (PosixException e)
        {
            why = TargetTree.Reason(e);
        }
        Notice(file.Path, $"restored as a copy, not as a hardlink of {first}: {why}");
        Send(file);
    }

    /// <summary>
    /// The batch carrying first members of hardlink groups is back: each first restored
    /// exactly (not among <paramref name="problems"/>) is looked up for its inode, and the
    /// members that waited for it are linked, or copied.
    /// </summary>
    private void FirstsRestored(List<HardlinkGroups.Group> firsts, IReadOnlyList<RestoreProblem> problems)
    {
        var failed = problems.Count == 0 ? null : problems.Select(p => p.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var group in firsts)
        {
            FileMeta? restored = null;
            if (failed?.Contains(group.FirstPath) != true)
            {
                try
                {
                    restored = _linkSources!.Directory(PathBytes.Parent(group.FirstPath)).StatChild(TargetTree.NameOf(group.FirstPath));
                }
                catch (PosixException)
                {
                    // Its folder changed under the restore: its members are copied.
                }
            }
            var waiting = restored is { Type: EntryType.File }
                ? _hardlinks.Resolve(group, true, restored.Device, restored.Inode)
                : _hardlinks.Resolve(group, false);
            _waiting -= waiting.Count;
            foreach (var member in waiting)
                LinkOrCopy(member, group);
        }
    }
}
