using System.Runtime.InteropServices;
using System.Text;

namespace ActorBackup.Testing;

/// <summary>
/// Extended attributes as raw bytes, names included (a name need not be UTF-8), for building
/// trees and comparing copies without the product's code: llistxattr, lgetxattr, lsetxattr
/// on paths, never following a symlink.
/// </summary>
public static class XattrFs
{
    /// <summary>Every xattr of <paramref name="path"/>, name bytes to value bytes, in name byte order (empty when none or unsupported).</summary>
    public static SortedDictionary<byte[], byte[]> List(string path) => Reachable(path, p => List(path, p));

    private static SortedDictionary<byte[], byte[]> List(string path, byte[] p)
    {
        var all = new SortedDictionary<byte[], byte[]>(ByteOrder.Instance);
        var size = Llistxattr(p, null, 0);
        if (size < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == 95 ? all : throw new IOException($"llistxattr {path}: errno {errno}");
        }
        var names = new byte[size];
        size = Llistxattr(p, names, (nuint)names.Length);
        if (size < 0)
            throw new IOException($"llistxattr {path}: errno {Marshal.GetLastPInvokeError()}");
        foreach (var name in names.AsSpan(0, (int)size).ToArray().Split0())
            all[name] = Get(path, p, name);
        return all;
    }

    public static byte[] Get(string path, byte[] name) => Reachable(path, p => Get(path, p, name));

    private static byte[] Get(string path, byte[] p, byte[] name)
    {
        var n = Nul(name);
        var size = Lgetxattr(p, n, null, 0);
        if (size < 0)
            throw new IOException($"lgetxattr {path} {Show(name)}: errno {Marshal.GetLastPInvokeError()}");
        var value = new byte[size];
        size = Lgetxattr(p, n, value, (nuint)value.Length);
        if (size < 0)
            throw new IOException($"lgetxattr {path} {Show(name)}: errno {Marshal.GetLastPInvokeError()}");
        return value[..(int)size];
    }

    public static void Set(string path, byte[] name, byte[] value)
    {
        var errno = Reachable(path, p => Lsetxattr(p, Nul(name), value, (nuint)value.Length, 0) == 0 ? 0 : Marshal.GetLastPInvokeError());
        if (errno != 0)
            throw new IOException($"lsetxattr {path} {Show(name)}: errno {errno}");
    }

    public static void Set(string path, string name, byte[] value) => Set(path, Encoding.UTF8.GetBytes(name), value);

    /// <summary>The list as one line per xattr, "name=hex", for messages and comparisons.</summary>
    public static string Describe(SortedDictionary<byte[], byte[]> xattrs) =>
        string.Join("; ", xattrs.Select(x => $"{Show(x.Key)}={(x.Value.Length > 32 ? $"{x.Value.Length} bytes, SHA1 {Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(x.Value))}" : Convert.ToHexString(x.Value))}"));

    public static string Show(byte[] name) => Names.Show(name);

    private static IEnumerable<byte[]> Split0(this byte[] bytes)
    {
        var start = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != 0)
                continue;
            if (i > start)
                yield return bytes[start..i];
            start = i + 1;
        }
    }

    /// <summary>
    /// Runs <paramref name="call"/> with a path the l*xattr calls accept: the path itself, or for
    /// one longer than PATH_MAX /proc/self/fd/N/NAME, N the parent opened piece by piece.
    /// </summary>
    private static T Reachable<T>(string path, Func<byte[], T> call) =>
        LongPaths.At(path, (fd, name) => call(Nul(Names.ToBytes(fd == Mono.Unix.Native.Syscall.AT_FDCWD ? name : $"/proc/self/fd/{fd}/{name}"))));

    private static byte[] Nul(byte[] bytes) => [.. bytes, 0];

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }

    [DllImport("libc", EntryPoint = "llistxattr", SetLastError = true)]
    private static extern long Llistxattr(byte[] path, byte[]? list, nuint size);

    [DllImport("libc", EntryPoint = "lgetxattr", SetLastError = true)]
    private static extern long Lgetxattr(byte[] path, byte[] name, byte[]? value, nuint size);

    [DllImport("libc", EntryPoint = "lsetxattr", SetLastError = true)]
    private static extern int Lsetxattr(byte[] path, byte[] name, byte[] value, nuint size, int flags);
}
