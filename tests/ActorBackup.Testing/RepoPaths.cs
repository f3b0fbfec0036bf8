namespace ActorBackup.Testing;

/// <summary>Where the repository and its sibling shared/ folder are, found from the test binaries.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootFolder = new(FindRoot);

    /// <summary>The folder holding ActorBackup.sln, found by walking up from the test's bin folder.</summary>
    public static string Root => RootFolder.Value;

    /// <summary>shared/ beside the repository (CI clones the repository next to it). It may be read-only.</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    /// <summary>
    /// The corpus generator: $MAKE_CORPUS when set (as the bench scripts take it), else
    /// shared/corpus/make-corpus.py beside the repository. Fails the calling test with the fix when absent.
    /// </summary>
    public static string CorpusGenerator
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("MAKE_CORPUS");
            var script = string.IsNullOrEmpty(fromEnv) ? Path.Combine(Shared, "corpus", "make-corpus.py") : Path.GetFullPath(fromEnv);
            if (!File.Exists(script))
                throw new FileNotFoundException($"the corpus generator {script} is missing; put shared/ beside the repository or set MAKE_CORPUS=/path/to/make-corpus.py", script);
            return script;
        }
    }

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
