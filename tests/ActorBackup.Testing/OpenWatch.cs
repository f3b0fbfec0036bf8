using System.Runtime.InteropServices;
using Mono.Unix.Native;

namespace ActorBackup.Testing;

/// <summary>
/// Sees every open (and read) of watched files by any process, through inotify: a test
/// watches what the tool must never open (a file outside the backed-up root, a FIFO or
/// device node swapped in) and asks afterwards whether anything was. A watch on a directory
/// also reports its children, named; a watch on a file or node follows its inode through
/// renames. An O_PATH open, which reads nothing and runs no driver, is not reported.
/// </summary>
public sealed class OpenWatch : IDisposable
{
    private const uint InAccess = 0x1, InOpen = 0x20, InIsDir = 0x40000000;
    private const int InNonBlock = 0x800, InCloExec = 0x80000;

    private readonly int _fd;
    private readonly Dictionary<int, string> _watched = [];

    public OpenWatch()
    {
        _fd = InotifyInit1(InNonBlock | InCloExec);
        if (_fd < 0)
            throw new IOException($"inotify_init1: {Stdlib.GetLastError()}");
    }

    /// <summary>Watches <paramref name="path"/> (a directory: it and its children) for opens and reads.</summary>
    public OpenWatch Add(string path)
    {
        var wd = InotifyAddWatch(_fd, Names.ToBytes(path).Append((byte)0).ToArray(), InOpen | InAccess);
        if (wd < 0)
            throw new IOException($"inotify_add_watch {Names.Show(path)}: {Stdlib.GetLastError()}");
        _watched[wd] = path;
        return this;
    }

    /// <summary>
    /// Every open or read reported since the last call, one line each ("open /outside/secret");
    /// empty when nothing was touched.
    /// </summary>
    public List<string> Events()
    {
        var events = new List<string>();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            long n;
            unsafe
            {
                fixed (byte* p = buffer)
                    n = Syscall.read(_fd, p, (ulong)buffer.Length);
            }
            if (n <= 0)
                return events; // EAGAIN: nothing more queued
            for (var offset = 0; offset < n;)
            {
                var wd = BitConverter.ToInt32(buffer, offset);
                var mask = BitConverter.ToUInt32(buffer, offset + 4);
                var length = BitConverter.ToInt32(buffer, offset + 12);
                var name = buffer.AsSpan(offset + 16, length).ToArray().TakeWhile(b => b != 0).ToArray();
                var what = (mask & InOpen) != 0 ? "open" : "read";
                var where = _watched.TryGetValue(wd, out var path) ? path : $"watch {wd}";
                var kind = (mask & InIsDir) != 0 ? " (directory)" : "";
                events.Add(name.Length == 0 ? $"{what} {Names.Show(where)}{kind}" : $"{what} {Names.Show(where)}/{Names.Show(name)}{kind}");
                offset += 16 + length;
            }
        }
    }

    public void Dispose() => Syscall.close(_fd);

    [DllImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
    private static extern int InotifyInit1(int flags);

    [DllImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true)]
    private static extern int InotifyAddWatch(int fd, byte[] path, uint mask);
}
