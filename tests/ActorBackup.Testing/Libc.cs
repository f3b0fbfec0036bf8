using System.Runtime.InteropServices;

namespace ActorBackup.Testing;

/// <summary>
/// Creates fixtures by raw name bytes, bypassing both .NET's UTF-8 file APIs and the
/// Posix layer under test, so a test cannot pass by making the same mistake twice.
/// </summary>
public static class Libc
{
    private const int OWronly = 0x1, OCreat = 0x40, OExcl = 0x80;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(byte[] path, int flags, int mode);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "symlink", SetLastError = true)]
    private static extern int SymlinkNative(byte[] target, byte[] linkPath);

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkfifoNative(byte[] path, int mode);

    public static byte[] Path(string folder, byte[] name) =>
        [.. System.Text.Encoding.UTF8.GetBytes(folder), (byte)'/', .. name, 0];

    public static void CreateFile(string folder, byte[] name)
    {
        var fd = Open(Path(folder, name), OWronly | OCreat | OExcl, 0x1A4);
        if (fd < 0)
            throw new IOException($"open failed: errno {Marshal.GetLastPInvokeError()}");
        Close(fd);
    }

    public static void Symlink(byte[] target, string folder, byte[] name)
    {
        if (SymlinkNative([.. target, 0], Path(folder, name)) != 0)
            throw new IOException($"symlink failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public static void Mkfifo(string path)
    {
        if (MkfifoNative([.. System.Text.Encoding.UTF8.GetBytes(path), 0], 0x1A4) != 0)
            throw new IOException($"mkfifo failed: errno {Marshal.GetLastPInvokeError()}");
    }
}
