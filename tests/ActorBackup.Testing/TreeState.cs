using System.Globalization;
using System.Security.Cryptography;
using Mono.Unix.Native;

namespace ActorBackup.Testing;

/// <summary>
/// A tree as lines a test can compare before and after a run that must touch nothing: one
/// line per entry (the root included) with type, mode, owner, size, inode, link count,
/// mtime and ctime to the nanosecond, and a file's SHA1. Any create, delete, write, chmod,
/// chown or rename shows as a changed line. atime is left out: looking changes it.
/// </summary>
/// <remarks>
/// Capturing opens and closes every regular file, and closing any descriptor of a file
/// drops every fcntl lock this process holds on it: name a file the test holds locked in
/// <c>notOpened</c>, and only its lstat is recorded.
/// </remarks>
public static class TreeState
{
    /// <param name="notOpened">Root-relative paths whose content is not read (files this process holds fcntl locks on).</param>
    public static IReadOnlyList<string> Capture(string root, params string[] notOpened)
    {
        var lines = new List<string> { Line(root, ".", readContent: false) };
        if (PosixFs.TypeOf(PosixFs.Lstat(root)) == FilePermissions.S_IFDIR)
            lines.AddRange(PosixFs.Walk(root).Select(relative => Line(root + "/" + relative, relative, !notOpened.Contains(relative))));
        return lines;
    }

    private static string Line(string path, string relative, bool readContent)
    {
        var st = PosixFs.Lstat(path);
        var type = PosixFs.TypeOf(st);
        var content = type == FilePermissions.S_IFREG && readContent ? Convert.ToHexString(SHA1.HashData(PosixFs.ReadBytes(path))) : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{Names.Show(relative)} {type} {Octal.Format(PosixFs.ModeOf(st))} {st.st_uid}:{st.st_gid} size={st.st_size} ino={st.st_ino} nlink={st.st_nlink} " +
            $"mtime={st.st_mtime}.{st.st_mtime_nsec:D9} ctime={st.st_ctime}.{st.st_ctime_nsec:D9} {content}");
    }
}
