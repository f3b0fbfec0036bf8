using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;
using Akka.Actor;
using Microsoft.Win32.SafeHandles;
using static ActorBackup.Protocol.ClusterProtocol;

namespace ActorBackup.Actors.Cluster;

/// <summary>
/// On the coordinator's node (which always sees the source): streams a file's bytes to a
/// storage node's receiver in chunks far below the remote frame limit, keeping at most
/// <c>chunk-window</c> chunks unacknowledged, so a big file never sits in memory or in one
/// frame. One child per transfer; the receiver hashes what arrives and the data-store names
/// the entry only when that hash is the claimed one.
/// </summary>
public sealed class ContentSender : ReceiveActor
{
    public ContentSender(RunOptions options, int chunkSize, int window)
    {
        Receive<SendContent>(m =>
            Context.ActorOf(Akka.Actor.Props.Create(() => new Transfer(options, m, chunkSize, window)).WithDispatcher(Dispatchers.Io)));
    }

    public static Props Props(RunOptions options, int chunkSize, int window) =>
        Akka.Actor.Props.Create(() => new ContentSender(options, chunkSize, window));

    private sealed class Transfer : ReceiveActor
    {
        private readonly SendContent _request;
        private readonly byte[] _buffer;
        private readonly int _window;
        private readonly SafeFileHandle? _handle;
        private readonly FileMeta? _opened;
        private long _sent;
        private long _acked;
        /// <summary>How many of the bytes sent the node's monitor has been told of.</summary>
        private long _reported;
        private bool _eof;

        public Transfer(RunOptions options, SendContent request, int chunkSize, int window)
        {
            _request = request;
            _buffer = new byte[chunkSize];
            _window = window;
            try
            {
                // Below the root, no symlink followed, and opened for reading only if it is
                // the regular file the walk saw.
                FileMeta meta;
                using (var root = new SourceRoot(options.RootFolder))
                    _handle = root.OpenFile(request.Source.Path, m => m.SameInodeAs(request.Source.Meta), out meta);
                _opened = meta;
                if (_handle is null)
                {
                    End("was replaced by another file while the backup ran");
                    return;
                }
            }
            catch (PosixException e)
            {
                End($"cannot open: {e.Cause}");
                return;
            }
            Receive<ChunkAck>(a =>
            {
                _acked = Math.Max(_acked, a.Offset);
                Pump();
            });
            Pump();
        }

        private void Pump()
        {
            try
            {
                while (!_eof && _sent - _acked < (long)_window * _buffer.Length)
                {
                    var n = RandomAccess.Read(_handle!, _buffer, _sent);
                    if (n == 0)
                    {
                        _eof = true;
                        break;
                    }
                    _request.Receiver.Tell(new ContentChunk(_request.Token, _sent, _buffer.AsSpan(0, n).ToArray()));
                    _sent += n;
                }
                Tally(files: 0);
                if (_eof && _acked >= _sent)
                {
                    var after = Files.Fstat(_handle!, _request.Source.Path);
                    End(after.SameContentAs(_opened!) ? null : "changed while being read; not in this snapshot, it will be read again next run");
                }
            }
            catch (IOException e)
            {
                End($"read error: {e.Message}");
            }
        }

        /// <summary>Tells the node's monitor (for the run's summary) the bytes sent since it last did, and <paramref name="files"/> ended.</summary>
        private void Tally(int files)
        {
            if (files == 0 && _sent == _reported)
                return;
            NodeMonitor.Report(Context, new NodeMonitor.ContentSent(files, _sent - _reported));
            _reported = _sent;
        }

        private void End(string? problem)
        {
            Tally(files: 1);
            _request.Receiver.Tell(new ContentEnd(_request.Token, _sent, problem));
            Context.Stop(Self);
        }

        protected override void PostStop() => _handle?.Dispose();
    }
}
