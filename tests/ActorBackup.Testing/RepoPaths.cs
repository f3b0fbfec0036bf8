namespace ActorBackup.Testing;

/// <summary>Where the repository and its sibling shared/ folder are, found from the test binaries.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootFolder = new(FindRoot);

    /// <summary>The folder holding ActorBackup.sln, found by walking up from the test's bin folder.</summary>
    public static string Root => RootFolder.Value;

    /// <summary>shared/ beside the repository (CI clones the repository next to it). It may be read-only.</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ActorBackup.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no ActorBackup.sln above {AppContext.BaseDirectory}; run the tests from a checkout of the repository");
    }
}
