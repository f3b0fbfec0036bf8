using System.Runtime.InteropServices;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// A folder's entries read with getdents64 into a caller's buffer, stepped through record by
/// record: the one reader of struct linux_dirent64 (the walkers' listings and prune's
/// removals). "." and ".." are skipped.
/// </summary>
internal static unsafe class Dirents
{
    public const byte Unknown = 0, Directory = 4, Regular = 8;

    [DllImport("libc", EntryPoint = "getdents64", SetLastError = true)]
    private static extern nint GetDents64(int fd, byte* buffer, nuint size);

    /// <summary>Fills <paramref name="buffer"/> with the next records; 0 at the end. Throws naming <paramref name="path"/>.</summary>
    public static int Read(int fd, byte[] buffer, string path)
    {
        nint n;
        fixed (byte* p = buffer)
            n = GetDents64(fd, p, (nuint)buffer.Length);
        if (n < 0)
            throw new PosixException(NativeConvert.ToErrno(Marshal.GetLastPInvokeError()), "list", path);
        return (int)n;
    }

    /// <summary>
    /// Steps to the next entry of the <paramref name="length"/> bytes read, from
    /// <paramref name="position"/>: its type (d_type) and where its NUL-terminated name starts.
    /// False when the records read are used up.
    /// </summary>
    public static bool Next(byte[] buffer, int length, ref int position, out byte type, out int name)
    {
        while (position < length)
        {
            // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
            var record = position;
            position += BitConverter.ToUInt16(buffer, record + 16);
            type = buffer[record + 18];
            name = record + 19;
            if (buffer[name] == (byte)'.' && (buffer[name + 1] == 0 || (buffer[name + 1] == (byte)'.' && buffer[name + 2] == 0)))
                continue;
            return true;
        }
        type = 0;
        name = 0;
        return false;
    }

    /// <summary>The length of the NUL-terminated name at <paramref name="name"/>.</summary>
    public static int NameLength(byte[] buffer, int name) => buffer.AsSpan(name).IndexOf((byte)0);
}
