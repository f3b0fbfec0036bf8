using ActorBackup.Actors.Hasher;
using ActorBackup.Core;
using ActorBackup.Core.Manifest;
using ActorBackup.Posix;
using Akka.Actor;
using Akka.Routing;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;
using static ActorBackup.Actors.Restore.RestoreProtocol;

namespace ActorBackup.Actors.Restore;

/// <summary>
/// Restores batches of regular files: each is a new file (never a link into the store),
/// created in its folder's handle with O_EXCL|O_NOFOLLOW, filled from its store entry (or,
/// when the entry is missing, from the snapshot tree's copy) through one read that also
/// hashes the bytes, and given its owner, mode and mtime through its own descriptor. A hash
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
            Sender.Tell(new FilesRestored(batch.BatchId, restored, bytes, problems, notices));
        });
    }

    /// <summary>The bounded pool: one restorer per hasher (actorbackup.hashers), on the hash dispatcher's threads.</summary>
    public static Props Pool(RestoreOptions options, BackupSettings settings) =>
        Props.Create(() => new FileRestorer(options, settings))
            .WithDispatcher(Dispatchers.Hash)
            .WithRouter(new SmallestMailboxPool(settings.Hashers));

    /// <summary>Restores one file; returns why it is not restored exactly, or null.</summary>
    private string? Restore(FileToRestore file, List<RestoreProblem> notices, ref long bytes)
    {
        _tree ??= new TargetTree(_options.Target);
        var directory = _tree.Directory(PathBytes.Parent(file.Path));
        var name = TargetTree.NameOf(file.Path);
        if (TargetTree.MakeRoom(directory, name, _options.Overwrite) is { } inTheWay)
            return inTheWay;

        var entry = _options.Store.EntryPath(file.Hash, Math.Max(file.Suffix, 0));
        var source = entry;
        if (!Files.TryLstat(entry, out var expected, out var errno))
        {
            var copy = _options.SnapshotCopy(file.Path);
            if (errno != Errno.ENOENT)
                return $"cannot read its store entry {entry}: {PosixException.Describe(errno)}";
            if (copy is null || !Files.TryLstat(copy, out expected, out _))
                return $"its store entry {entry} is missing, and so is the snapshot's copy{(copy is null ? "" : " " + PathBytes.Escape(copy))}; run actorbackup verify";
            source = copy;
        }

        SourceReader.Result result;
        using (var output = directory.CreateFile(name))
        {
            var writer = new SparseWriter(output); // a sparse file comes back sparse
            result = _reader.Read(source, expected!, sink: writer.Write, restart: writer.Restart);
            if (result.Problem is null)
            {
                writer.Finish(result.Bytes); // trailing holes were never written
                Files.SetMeta(output, PathBytes.Escape(file.Path), file.Meta.Uid, file.Meta.Gid, file.Meta.Mode, file.Meta.Mtime, _chown);
            }
        }
        if (result.Problem is not null)
        {
            directory.Remove(name); // no half-written file is left looking restored
            return $"cannot read {PathBytes.Escape(source)}: {result.Problem}";
        }
        bytes += result.Bytes;
        if (result.Hash != file.Hash)
        {
            return source == entry
                ? $"content does not match its manifest hash {file.Hash} (store entry {entry} is damaged; run actorbackup verify)"
                : $"content does not match its manifest hash {file.Hash} (its store entry {entry} is missing and the snapshot's copy {PathBytes.Escape(source)} is damaged; run actorbackup verify)";
        }
        if (source != entry)
            notices.Add(new RestoreProblem(file.Path, $"its store entry {entry} is missing; restored from the snapshot's copy {PathBytes.Escape(source)} (run actorbackup verify)"));
        return null;
    }

    protected override void PostStop() => _tree?.Dispose();
}
