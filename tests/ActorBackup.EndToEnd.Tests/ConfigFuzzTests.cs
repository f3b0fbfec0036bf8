using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Testing;
using Xunit.Abstractions;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// Hostile or mistaken configuration, fuzzed: for every key of hocon/actorbackup.conf (read from
/// the embedded file), random values of every kind (<see cref="ConfigValues"/>), plus whole files
/// of odd shapes and paths that are no regular file, each given with --config to a tiny backup
/// run as a real process. Every run must end within <see cref="RunTimeout"/> with exit code 0,
/// or 2 and exactly one line on standard error that names the key (or the file and line); never
/// "internal error", a stack trace, a crash or a hang. The seed is fixed so a failure replays;
/// ACTORBACKUP_CONFIG_FUZZ_SEED picks another, ACTORBACKUP_CONFIG_FUZZ_VALUES the values per key.
/// </summary>
public sealed class ConfigFuzzTests(ITestOutputHelper output)
{
    private const int DefaultSeed = 26_2026;
    private const int DefaultValuesPerKey = 8;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(10);

    private sealed record Outcome(ConfigCase Case, int ExitCode, TimeSpan Elapsed, string Stderr, string? Problem);

    [Fact]
    public void Every_key_with_values_of_every_kind_ends_with_exit_0_or_a_line_naming_it()
    {
        var seed = Setting("ACTORBACKUP_CONFIG_FUZZ_SEED", DefaultSeed);
        var perKey = Setting("ACTORBACKUP_CONFIG_FUZZ_VALUES", DefaultValuesPerKey);
        var random = new Random(seed);
        using var temp = new TempDir("actorbackup-fuzz");
        var source = new TreeBuilder(temp.Combine("src")).File("a.txt", "a\n").File("docs/b.txt", "b\n").Symlink("link", Names.ToBytes("a.txt"));
        var keys = ConfigValues.Keys();
        var cases = keys.SelectMany(key => Enumerable.Range(0, perKey).Select(_ => ConfigValues.For(key.Key, key.Default, random)))
            .Concat(ConfigValues.Files()).ToList();
        var files = cases.Select((c, i) => WriteCase(temp, i, c)).ToList();
        var odd = ConfigValues.OddPaths(temp.Path).ToList();
        _ = PublishedCli.Executable; // published before the clock starts

        var clock = Stopwatch.StartNew();
        var outcomes = new ConcurrentBag<Outcome>();
        var runs = files.Select((file, i) => (Case: cases[i], Path: file))
            .Concat(odd.Select(o => (Case: new ConfigCase(o.Name, "", null), o.Path)));
        // Two at a time: the machine has two cores, and most runs stop in ~0.15 s.
        Parallel.ForEach(runs.Select((run, i) => (run.Case, run.Path, Index: i)), new ParallelOptions { MaxDegreeOfParallelism = 2 },
            run => outcomes.Add(Run(temp, source.Root, run.Case, run.Path, run.Index)));
        var all = outcomes.OrderBy(o => o.Case.Name, StringComparer.Ordinal).ToList();

        var byCode = all.GroupBy(o => o.ExitCode).OrderBy(g => g.Key).Select(g => $"exit {g.Key}: {g.Count()}");
        output.WriteLine($"seed {seed}: {keys.Count} keys x {perKey} values + {cases.Count - keys.Count * perKey} odd files + {odd.Count} odd paths = {all.Count} runs " +
                         $"in {clock.Elapsed.TotalSeconds:F1} s; {string.Join(", ", byCode)}; slowest {all.Max(o => o.Elapsed.TotalSeconds):F2} s ({all.MaxBy(o => o.Elapsed)!.Case.Name})");
        foreach (var group in all.GroupBy(o => o.Case.Name.Split(':')[^1].Trim()).OrderBy(g => g.Key, StringComparer.Ordinal))
            output.WriteLine($"  {group.Key}: {group.Count()} runs, {group.Count(o => o.ExitCode == 0)} exit 0, {group.Count(o => o.ExitCode == 2)} exit 2");
        var failures = all.Where(o => o.Problem is not null).ToList();
        foreach (var f in failures)
            output.WriteLine($"FAILED {f.Case.Name}: {f.Problem}\n  config: {f.Case.Shown}\n  exit {f.ExitCode} after {f.Elapsed.TotalSeconds:F1} s\n  stderr: {f.Stderr}");
        Assert.True(failures.Count == 0,
            $"{failures.Count} of {all.Count} runs failed (seed {seed}; replay with ACTORBACKUP_CONFIG_FUZZ_SEED={seed}); first: {failures.FirstOrDefault()?.Case.Name}: {failures.FirstOrDefault()?.Problem}\n" +
            $"config: {failures.FirstOrDefault()?.Case.Shown}\nstderr: {failures.FirstOrDefault()?.Stderr}");
    }

    private static string WriteCase(TempDir temp, int index, ConfigCase c)
    {
        var path = temp.Combine($"case-{index}.conf");
        File.WriteAllText(path, c.Text);
        return path;
    }

    private static Outcome Run(TempDir temp, string root, ConfigCase c, string config, int index)
    {
        ProcessResult result;
        try
        {
            result = PublishedCli.Run([$"--rootfolder={root}", $"--backupfolder={temp.Combine("backups", index.ToString(CultureInfo.InvariantCulture))}",
                $"--datafolder={temp.Combine("data", index.ToString(CultureInfo.InvariantCulture))}", "--createdirs", $"--config={config}"], RunTimeout);
        }
        catch (TimeoutException e)
        {
            return new Outcome(c, -1, RunTimeout, e.Message.Split('\n')[0], $"did not end within {RunTimeout.TotalSeconds} s");
        }
        return new Outcome(c, result.ExitCode, result.Elapsed, result.Stderr.TrimEnd().Replace("\n", "\\n"), Problem(c, config, result));
    }

    /// <summary>What is wrong with a run's outcome, or null.</summary>
    private static string? Problem(ConfigCase c, string config, ProcessResult result)
    {
        if (result.Stderr.Contains("internal error", StringComparison.Ordinal))
            return "internal error";
        if (result.Stderr.Contains("   at ", StringComparison.Ordinal) || result.Stderr.Contains("Exception", StringComparison.Ordinal))
            return "a stack trace or exception on standard error";
        if (result.ExitCode == 0)
            return result.Stderr.Length == 0 ? null : "exit 0 with something on standard error";
        if (result.ExitCode != 2)
            return $"exit code {result.ExitCode}";
        var lines = result.StderrLines;
        if (lines.Count != 1 || !lines[0].StartsWith("actorbackup: configuration ", StringComparison.Ordinal) && !lines[0].StartsWith("actorbackup: the actor system refused", StringComparison.Ordinal))
            return "exit 2 without exactly one line 'actorbackup: configuration ...'";
        var named = c.Key is null || lines[0].Contains($"key {c.Key} ", StringComparison.Ordinal) || lines[0].Contains($"{config}, line ", StringComparison.Ordinal)
                    || lines[0].Contains($"file {config} ", StringComparison.Ordinal);
        if (!named)
            return "exit 2 with a line that names neither the key nor the file and line";
        return lines[0].Contains("Salt", StringComparison.Ordinal) || lines[0].Contains("Secret", StringComparison.Ordinal) ? "the file's text quoted" : null;
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;
}
