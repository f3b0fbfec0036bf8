using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests.Support;

/// <summary>Assertions that print the whole run (command, exit code, output) when they fail.</summary>
internal static class Expect
{
    public static void ExitCode(ProcessResult result, int expected)
    {
        if (result.ExitCode != expected)
            Assert.Fail($"expected exit code {expected}\n{result}");
    }

    /// <summary>Exit 0 and nothing on standard error.</summary>
    public static void Success(ProcessResult result)
    {
        ExitCode(result, 0);
        if (result.Stderr.Length > 0)
            Assert.Fail($"expected nothing on standard error\n{result}");
    }

    /// <summary>
    /// A refusal: the exit code, exactly one line on standard error starting "actorbackup: "
    /// and containing <paramref name="containing"/>, nothing on standard output.
    /// </summary>
    public static void Refusal(ProcessResult result, int code, string containing)
    {
        ExitCode(result, code);
        var lines = result.StderrLines;
        if (lines.Count != 1 || !lines[0].StartsWith("actorbackup: ", StringComparison.Ordinal) || !lines[0].Contains(containing, StringComparison.Ordinal))
            Assert.Fail($"expected one standard error line 'actorbackup: ...{containing}...'\n{result}");
        if (result.Stdout.Length > 0)
            Assert.Fail($"expected nothing on standard output\n{result}");
    }

    /// <summary>Both paths are the same inode: hardlinks of one another.</summary>
    public static void SameInode(string expected, string actual)
    {
        var a = Files.Lstat(expected);
        var b = Files.Lstat(actual);
        Assert.True(a.SameInodeAs(b), $"{Names.Show(actual)} (inode {b.Inode}) should be a hardlink of {Names.Show(expected)} (inode {a.Inode})");
    }

    public static void DifferentInode(string a, string b)
    {
        var ma = Files.Lstat(a);
        var mb = Files.Lstat(b);
        Assert.False(ma.SameInodeAs(mb), $"{Names.Show(a)} and {Names.Show(b)} should be different inodes, both are {ma.Inode}");
    }

    public static void Mode(int octal, string path)
    {
        var meta = Files.Lstat(path);
        Assert.True(meta.Mode == Octal.Mode(octal), $"{Names.Show(path)} has mode {Octal.Format(meta.Mode)}, expected {octal}");
    }

    public static void Mtime(long seconds, long nanoseconds, string path)
    {
        var meta = Files.Lstat(path);
        Assert.Equal(new Timestamp(seconds, nanoseconds), meta.Mtime);
    }

    public static void Owner(uint uid, uint gid, string path)
    {
        var meta = Files.Lstat(path);
        Assert.Equal((uid, gid), (meta.Uid, meta.Gid));
    }
}
