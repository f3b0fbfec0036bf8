using System.Diagnostics;

namespace ActorBackup.Actors.Tests.Support;

/// <summary>
/// A fresh folder under /tmp for one test, removed with everything in it on Dispose.
/// Removal goes through rm -rf: .NET's own enumeration cannot delete names that are not UTF-8.
/// </summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("actorbackup-actors-").FullName;

    public string Path { get; }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public string Write(string relative, string content)
    {
        var path = this[relative];
        File.WriteAllText(path, content);
        return path;
    }

    public string Mkdir(string relative)
    {
        var path = this[relative];
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose()
    {
        using var rm = Process.Start(new ProcessStartInfo("rm", ["-rf", "--", Path]) { UseShellExecute = false })!;
        rm.WaitForExit();
    }
}
