namespace ActorBackup.Testing;

/// <summary>
/// A real unprivileged account made for one test (useradd, as root) and removed on Dispose,
/// with commands run as that user (runuser): what a hostile or careless user can do, done
/// by the kernel's own permission checks, not simulated.
/// </summary>
public sealed class TestUser : IDisposable
{
    public TestUser(string role)
    {
        Name = $"abt{role}{Guid.NewGuid().ToString("N")[..8]}";
        Check(PublishedCli.RunProgram("useradd", ["--no-create-home", "--shell", "/bin/sh", "--user-group", Name], TimeSpan.FromSeconds(30)), "useradd");
        var entry = File.ReadLines("/etc/passwd").Select(l => l.Split(':')).First(f => f[0] == Name);
        (Uid, Gid) = (uint.Parse(entry[2]), uint.Parse(entry[3]));
    }

    public string Name { get; }

    public uint Uid { get; }

    public uint Gid { get; }

    /// <summary>Whether useradd and runuser are here (they come with Debian's passwd and util-linux).</summary>
    public static bool Available => File.Exists("/usr/sbin/useradd") && File.Exists("/usr/sbin/runuser");

    /// <summary>Runs a shell command line as this user; its exit code, output and errors.</summary>
    public ProcessResult Shell(string command) =>
        PublishedCli.RunProgram("runuser", ["-u", Name, "--", "/bin/sh", "-c", command], TimeSpan.FromSeconds(30));

    public void Dispose() => PublishedCli.RunProgram("userdel", [Name], TimeSpan.FromSeconds(30));

    private static void Check(ProcessResult result, string what)
    {
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{what} failed\n{result}");
    }
}
