using ActorBackup.Testing;

namespace ActorBackup.Cluster.Tests.Support;

/// <summary>Assertions that print the run and every node's log when they fail.</summary>
internal static class Expect
{
    /// <summary>Exit 0 and nothing on standard error.</summary>
    public static void Success(ProcessResult result, TestCluster? cluster = null)
    {
        if (result.ExitCode != 0 || result.Stderr.Length > 0)
            Assert.Fail($"expected exit code 0 and nothing on standard error\n{result}\n{cluster?.DescribeAll()}");
    }

    /// <summary>
    /// A refusal: the exit code and exactly one standard error line, starting "actorbackup: "
    /// and containing <paramref name="containing"/>.
    /// </summary>
    public static void Refusal(ProcessResult result, int code, string containing, TestCluster? cluster = null)
    {
        var lines = result.StderrLines;
        if (result.ExitCode != code || lines.Count != 1 || !lines[0].StartsWith("actorbackup: ", StringComparison.Ordinal)
            || !lines[0].Contains(containing, StringComparison.Ordinal))
            Assert.Fail($"expected exit code {code} and one standard error line 'actorbackup: ...{containing}...'\n{result}\n{cluster?.DescribeAll()}");
    }

    public static void NoDifferences(IReadOnlyCollection<string> differences, string what, TestCluster cluster)
    {
        if (differences.Count > 0)
            Assert.Fail($"{what}:\n{string.Join('\n', differences)}\n{cluster.DescribeAll()}");
    }
}
