using ActorBackup.Actors.Hasher;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store.Content;
using ActorBackup.Store.Manifest;
using ActorBackup.Store.Restore;
using Akka.Actor;
using Akka.Routing;
using Microsoft.Win32.SafeHandles;
using static ActorBackup.Actors.Restore.RestoreProtocol;

namespace ActorBackup.Actors.Restore;

/// <summary>
/// Restores batches of regular files: each is a new file (never a link into the store),
/// created in its folder's handle with O_EXCL|O_NOFOLLOW, filled from its store entry (or,
/// when the entry is missing, from the snapshot tree's copy) through one read that also
/// hashes the bytes, and given its owner, mode, mtime and xattrs (ACLs included) through its own descriptor. A hash
/// that differs from the manifest's is reported: the bytes are restored anyway (they may be
/// worth salvaging), and the store entry is named as damaged. Every file of a batch ends
/// in the reply, restored or as a problem: nothing thrown leaves the actor, so a routee
/// restart can never lose a batch.
/// </summary>
public sealed class FileRestorer : ReceiveActor
{
    private readonly RestoreOptions _options;
    private readonly SourceReader _reader;
    private readonly bool _chown = Files.IsRoot;
    private TargetTree? _tree;
    private SourceRoot? _store, _snapshot;
    // The batch in hand: whether every file gets exactly its xattrs, and the files that could not get them all.
    private bool _exactXattrs;
    private List<(string Path, FailedXattrs Failed)>? _xattrsNotSet;

    public FileRestorer(RestoreOptions options, BackupSettings settings)
    {
        _options = options;
        _reader = new SourceReader(new byte[settings.ReadBuffer], options.Store.Hash, settings.ReadRetries);
        Receive<RestoreFiles>(batch =>
        {
            var problems = new List<RestoreProblem>();
            var notices = new List<RestoreProblem>();
            var restored = 0;
            long bytes = 0;
            _exactXattrs = batch.ExactXattrs;
            _xattrsNotSet = null;
            foreach (var file in batch.Files)
            {
                string? problem;
                try
                {
                    problem = Restore(file, notices, ref bytes);
                }
                catch (PosixException e)
                {
                    problem = TargetTree.Reason(e);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    problem = e.Message;
                }
                if (problem is null)
                    restored++;
                else
                    problems.Add(new RestoreProblem(file.Path, problem));
            }
            Sender.Tell(new FilesRestored(batch.BatchId, restored, bytes, problems, notices, _xattrsNotSet));
        });
    }

    /// <summary>The bounded pool: one restorer per hasher (actorbackup.hashers), on the hash dispatcher's threads.</summary>
    public static Props Pool(RestoreOptions options, BackupSettings settings) =>
        Props.Create(() => new FileRestorer(options, settings))
            .WithDispatcher(Dispatchers.Hash)
            .WithRouter(new SmallestMailboxPool(settings.Hashers));

    /// <summary>
    /// Restores one file; returns why it is not restored exactly, or null. The bytes come from
    /// the store entry when it is a regular file of the file's size; else from the snapshot
    /// tree's copy (a hardlink of the same content) when that hashes to the manifest's hash.
    /// Both are opened beneath their folder with no symlink followed: the snapshot tree is
    /// where users may have planted one, and an entry may have been swapped for one.
    /// </summary>
    private string? Restore(FileToRestore file, List<RestoreProblem> notices, ref long bytes)
    {
        _tree ??= new TargetTree(_options.Target);
        var (directory, name, inTheWay) = _tree.Place(file.Path, _options.Overwrite);
        if (inTheWay is not null)
            return inTheWay;

        var entry = _options.Store.EntryPath(file.Hash, Math.Max(file.Suffix, 0));
        _store ??= new SourceRoot(_options.Store.DataFolder);
        // Any regular file: a damaged entry's bytes are restored (and reported) to salvage what can be.
        var fromEntry = Copy(directory, name, file, _store, Path.GetRelativePath(_options.Store.DataFolder, entry), anySize: true, out var result);
        if (fromEntry is null)
        {
            bytes += result.Bytes;
            return result.Hash == file.Hash
                ? null
                : $"content does not match its manifest hash {file.Hash} (store entry {entry} is damaged; run actorbackup verify)";
        }

        // The entry is unusable: the snapshot tree's copy, trusted only for the right bytes.
        if (_options.SnapshotFolder is null)
            return $"its store entry {entry} {fromEntry}, and the manifest names no snapshot folder to take a copy from; run actorbackup verify";
        _snapshot ??= new SourceRoot(_options.SnapshotFolder);
        var copy = _snapshot.Shown(file.Path);
        var fromCopy = Copy(directory, name, file, _snapshot, file.Path, anySize: false, out result);
        if (fromCopy is null && result.Hash == file.Hash)
        {
            bytes += result.Bytes;
            notices.Add(new RestoreProblem(file.Path, $"its store entry {entry} {fromEntry}; restored from the snapshot's copy {PathBytes.Escape(copy)} (run actorbackup verify)"));
            return null;
        }
        if (fromCopy is null)
        {
            directory.Remove(name); // bytes nobody vouches for are not restored
            fromCopy = $"holds other content (it hashes to {result.Hash}): changed since the backup, not restored";
        }
        return fromEntry == fromCopy
            ? $"its store entry {entry} {fromEntry}, and so is the snapshot's copy {PathBytes.Escape(copy)}; run actorbackup verify"
            : $"its store entry {entry} {fromEntry}, and the snapshot's copy {PathBytes.Escape(copy)} {fromCopy}; run actorbackup verify";
    }

    /// <summary>
    /// Copies the regular file (of the manifest's size, unless <paramref name="anySize"/>) at <paramref name="relative"/> below
    /// <paramref name="root"/> into a new file of the target, hashing it, and gives it the
    /// manifest's metadata. Null when copied (<paramref name="result"/> has the hash); else why
    /// not, and nothing is left in the target.
    /// </summary>
    private string? Copy(TargetDirectory directory, string name, FileToRestore file, SourceRoot root, string relative, bool anySize, out SourceReader.Result result)
    {
        using (var output = directory.CreateFile(name))
        {
            var writer = new SparseWriter(output); // a sparse file comes back sparse
            result = _reader.ReadAny(root, relative, anySize ? null : file.Meta.Size, sink: writer.Write, restart: writer.Restart);
            if (result.Problem is null)
            {
                writer.Finish(result.Bytes); // trailing holes were never written
                Files.SetMeta(output, PathBytes.Escape(file.Path), file.Meta.Uid, file.Meta.Gid, file.Meta.Mode, file.Meta.Mtime, _chown);
                // After the chown, which clears security.capability; an xattr leaves the mtime as set.
                if (file.Xattrs is { Count: > 0 } || _exactXattrs)
                {
                    if (ExtendedAttributes.TrySetAll(output, file.Xattrs) is { } failed)
                        (_xattrsNotSet ??= []).Add((file.Path, failed));
                }
                return null;
            }
        }
        directory.Remove(name); // no half-written file is left looking restored
        return Unusable(result, file.Meta.Size);
    }

    /// <summary>Why a store entry or snapshot copy could not be read, in restore's words.</summary>
    private static string Unusable(SourceReader.Result result, long size) => result switch
    {
        { Problem: "vanished before it could be read" } => "is missing",
        { Meta: { Type: EntryType.File } meta } when meta.Size != size => $"has {meta.Size} bytes, the manifest records {size} (truncated or damaged)",
        { Meta: { Type: not EntryType.File } meta } => $"is a {meta.Type.ToString().ToLowerInvariant()}, not a regular file (not followed)",
        _ when result.Problem!.StartsWith("was replaced by a symlink", StringComparison.Ordinal) => "is, or lies below, a symlink (not followed)",
        _ => $"cannot be read ({result.Problem})",
    };

    protected override void PostStop()
    {
        _tree?.Dispose();
        _store?.Dispose();
        _snapshot?.Dispose();
    }
}
