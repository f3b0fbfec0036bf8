using ActorBackup.Core;
namespace ActorBackup.Store.Manifest;

/// <summary>
/// Reads '\n'-terminated lines of a file as bytes, without a string per line: the current
/// line is a span into the reader's buffer, valid until the next <see cref="Next"/>. The
/// buffer grows only for a line longer than itself.
/// </summary>
internal sealed class LineReader : IDisposable
{
    private readonly Stream _stream;
    private byte[] _buffer;
    private int _start;      // first unread byte
    private int _end;        // end of the bytes read so far
    private int _lineStart;
    private int _lineLength;
    private bool _eof;

    public LineReader(string path, int bufferSize)
    {
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        _buffer = new byte[bufferSize];
    }

    /// <summary>The current line, without its newline.</summary>
    public ReadOnlySpan<byte> Current => _buffer.AsSpan(_lineStart, _lineLength);

    /// <summary>Moves to the next line; false at the end of the file (a last line without a newline still counts).</summary>
    public bool Next()
    {
        var searched = 0;
        while (true)
        {
            var newline = _buffer.AsSpan(_start + searched, _end - _start - searched).IndexOf((byte)'\n');
            if (newline >= 0)
                return Take(searched + newline, skip: 1);
            searched = _end - _start;
            if (_eof)
                return searched > 0 && Take(searched, skip: 0);
            Fill();
        }
    }

    private bool Take(int length, int skip)
    {
        _lineStart = _start;
        _lineLength = length;
        _start += length + skip;
        return true;
    }

    private void Fill()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
            Array.Resize(ref _buffer, _buffer.Length * 2);
        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
            _eof = true;
        _end += read;
    }

    public void Dispose() => _stream.Dispose();
}
