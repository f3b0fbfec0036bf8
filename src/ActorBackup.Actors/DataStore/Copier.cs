using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;
using ActorBackup.Store.Content;
using Akka.Actor;
using Akka.Routing;
using static ActorBackup.Protocol.CopierProtocol;

namespace ActorBackup.Actors.DataStore;

/// <summary>
/// Writes new content into a temp file of the data folder: hashing the bytes it writes and
/// setting owner, mode and mtime. It never fsyncs and never gives the file its final name:
/// the data-store does both, after checking the hash, for a group of entries at once.
/// </summary>
public sealed class Copier : TypeSwitchActor
{
    private readonly SourceRoot _root;

    /// <summary>Temp files are written O_DIRECT (<see cref="DirectIo"/>) until the temp folder's file system refuses it.</summary>
    private bool _direct;

    public Copier(RunOptions options, BackupSettings settings)
    {
        var reader = new SourceReader(DirectIo.AlignedBuffer(settings.ReadBuffer), options.Store.Hash, settings.ReadRetries);
        var chown = Files.IsRoot;
        _root = new SourceRoot(options.RootFolder);
        _direct = settings.DirectWrites;
        Receive<CopyContent>(c => Sender.Tell(Copy(c, options, reader, _root, chown, ref _direct)));
    }

    protected override void PostStop()
    {
        _root.Dispose();
        base.PostStop();
    }

    public static Props Pool(RunOptions options, BackupSettings settings) =>
        Props(options, settings).WithRouter(new SmallestMailboxPool(settings.Copiers));

    /// <summary>One copier (the data-store's own, for copies between store entries).</summary>
    public static Props Props(RunOptions options, BackupSettings settings) =>
        Akka.Actor.Props.Create(() => new Copier(options, settings)).WithDispatcher(Dispatchers.Io);

    private static object Copy(CopyContent c, RunOptions options, SourceReader reader, SourceRoot root, bool chown, ref bool directWorks)
    {
        TempFileWriter output;
        try
        {
            output = TempFileWriter.Create(options.Store.TempFolder, c.TempName, c.Source.Meta.Size, ref directWorks);
        }
        catch (PosixException e)
        {
            return new ContentCopyFailed(c.Token, e.Message, SourceProblem: false, FileSystemFull.FaultOf(e));
        }
        var ok = false;
        try
        {
            using (output)
            {
                SourceReader.Result result;
                if (c.FromStore is null)
                    result = reader.Read(root, c.Source.Path, c.Source.Meta, output.Write, output.Restart);
                else
                {
                    var entry = Path.Combine(options.Store.DataFolder, c.FromStore);
                    result = reader.Read(entry, Files.Lstat(entry), output.Write, output.Restart);
                }
                if (result.Problem is not null)
                    return new ContentCopyFailed(c.Token, result.Problem, SourceProblem: true);
                output.Finish(result.Bytes, c.Uid, c.Gid, c.Mode, c.FromStore is null ? result.Meta!.Mtime : c.Source.Meta.Mtime, chown);
                ok = true;
                return new ContentCopied(c.Token, result.Hash!, result.Bytes);
            }
        }
        catch (PosixException e) when (c.FromStore is not null)
        {
            return new ContentCopyFailed(c.Token, e.Message, SourceProblem: true); // the entry vanished: copy from the source instead
        }
        catch (IOException e)
        {
            return new ContentCopyFailed(c.Token, $"writing {output.Path}: {e.Message}", SourceProblem: false, FileSystemFull.FaultOf(e));
        }
        finally
        {
            if (!ok)
                output.TryRemove(); // the run reports the failure itself; a leftover temp file is removed by the next run
        }
    }
}
