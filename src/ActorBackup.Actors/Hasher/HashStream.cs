using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace ActorBackup.Actors.Hasher;

/// <summary>
/// The read loop every reader that hashes shares (the hashers reading sources, verify
/// re-reading store entries): an open file streamed from offset 0 to its end through one
/// reused buffer into a hash, and optionally into a sink.
/// </summary>
public static class HashStream
{
    /// <summary>
    /// Reads <paramref name="handle"/> to its end; returns the bytes read. A read error stops
    /// the loop and is returned in <paramref name="readError"/> (the hash is then incomplete).
    /// The sink's own exceptions (it writes elsewhere: no space) leave as exceptions.
    /// </summary>
    public static long Read(SafeFileHandle handle, byte[] buffer, IncrementalHash hash, Action<ReadOnlySpan<byte>, long>? sink, out string? readError)
    {
        readError = null;
        long offset = 0;
        while (true)
        {
            int n;
            try
            {
                n = RandomAccess.Read(handle, buffer, offset);
            }
            catch (IOException e)
            {
                readError = e.Message;
                return offset;
            }
            if (n == 0)
                return offset;
            var chunk = buffer.AsSpan(0, n);
            hash.AppendData(chunk);
            sink?.Invoke(chunk, offset);
            offset += n;
        }
    }
}
