using System.Globalization;
using System.Text.RegularExpressions;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// deploy/actorbackup-storage.service and deploy/actorbackup-hasher.service keep their
/// sandbox: the directives are there (and the ones that would break a root backup are not),
/// systemd-analyze rates them below a threshold, and systemd-analyze verify finds nothing.
/// </summary>
public sealed partial class SystemdUnitTests
{
    private static string Unit(string role) => Path.Combine(RepoPaths.Root, "deploy", $"actorbackup-{role}.service");

    /// <summary>The unit's KEY=VALUE lines (comments skipped); a key given twice keeps its last value, as systemd does for these.</summary>
    private static Dictionary<string, string> Directives(string role) => File.ReadLines(Unit(role))
        .Select(l => l.Trim())
        .Where(l => l.Length > 0 && l[0] is not ('#' or ';' or '[') && l.Contains('='))
        .Select(l => l.Split('=', 2))
        .GroupBy(kv => kv[0])
        .ToDictionary(g => g.Key, g => g.Last()[1]);

    /// <summary>systemd-analyze on PATH, or null. Nothing is installed when it is missing.</summary>
    private static string? SystemdAnalyze { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, "systemd-analyze"))
        .FirstOrDefault(File.Exists);

    /// <summary>Runs a test only where systemd-analyze is installed (CI installs it: .ci/run).</summary>
    public sealed class SystemdAnalyzeTheoryAttribute : TheoryAttribute
    {
        public SystemdAnalyzeTheoryAttribute()
        {
            if (SystemdAnalyze is null)
                Skip = "systemd-analyze is not installed (apt-get install systemd; .ci/run installs it)";
        }
    }

    [Theory]
    [InlineData("storage")]
    [InlineData("hasher")]
    public void Both_units_carry_the_hardening_directives(string role)
    {
        var unit = Directives(role);

        foreach (var (key, value) in new[]
                 {
                     ("NoNewPrivileges", "yes"), ("PrivateTmp", "yes"), ("PrivateMounts", "yes"), ("ProtectSystem", "strict"),
                     ("ProtectHome", "read-only"), ("ProtectKernelTunables", "yes"), ("ProtectKernelModules", "yes"),
                     ("ProtectKernelLogs", "yes"), ("ProtectControlGroups", "yes"), ("ProtectHostname", "yes"),
                     ("LockPersonality", "yes"), ("RestrictRealtime", "yes"), ("RestrictNamespaces", "yes"),
                     ("SystemCallArchitectures", "native"), ("SystemCallFilter", "@system-service"),
                 })
            Assert.True(unit.GetValueOrDefault(key) == value, $"{role}: expected {key}={value}, found {unit.GetValueOrDefault(key) ?? "nothing"}");
        // .NET's JIT writes code at run time.
        Assert.False(unit.ContainsKey("MemoryDenyWriteExecute"), role);
        // systemd opens the log itself: it stays where it was.
        Assert.Equal($"append:/var/log/actorbackup-{role}.log", unit["StandardOutput"]);
    }

    [Fact]
    public void The_storage_unit_writes_only_the_backup_disk_and_keeps_what_a_root_backup_needs()
    {
        var unit = Directives("storage");

        Assert.Equal("/backup", unit["ReadWritePaths"]);
        Assert.Equal("/backup", unit["RequiresMountsFor"]);
        Assert.Equal(
            ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_MKNOD", "CAP_SETFCAP", "CAP_SYS_ADMIN", "CAP_SYS_NICE"],
            unit["CapabilityBoundingSet"].Split(' ', StringSplitOptions.RemoveEmptyEntries).Order());
        // Each of these would stop mknod of device nodes, or the setuid/setgid bits of snapshot entries.
        foreach (var key in new[] { "PrivateDevices", "DevicePolicy", "DeviceAllow", "ProtectClock", "RestrictSUIDSGID" })
            Assert.False(unit.ContainsKey(key), $"the storage unit must not set {key}");
        // hocon/storage.hocon lets coordinators use folders under /backup only, as the unit lets the node write.
        Assert.Contains("allowed-folders = [\"/backup\"]", File.ReadAllText(Path.Combine(RepoPaths.Root, "hocon", "storage.hocon")));
    }

    [Fact]
    public void The_hasher_unit_reads_home_and_may_write_only_the_data_folder()
    {
        var unit = Directives("hasher");

        Assert.Equal("/home", unit["RequiresMountsFor"]);
        Assert.Equal("-/backup/data", unit["ReadWritePaths"]);
        Assert.Equal("yes", unit["PrivateDevices"]);
        Assert.Equal("yes", unit["RestrictSUIDSGID"]);
        Assert.Equal(["CAP_CHOWN", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID"],
            unit["CapabilityBoundingSet"].Split(' ', StringSplitOptions.RemoveEmptyEntries).Order());
    }

    [SystemdAnalyzeTheory]
    [InlineData("storage", 3.5)]
    [InlineData("hasher", 2.5)]
    public void Systemd_analyze_rates_the_unit_below_its_threshold(string role, double threshold)
    {
        // 9.6 and 9.4 (UNSAFE) before the hardening; 3.4 and 2.3 with it (systemd 252).
        var run = PublishedCli.RunProgram(SystemdAnalyze!, ["security", "--offline=yes", "--no-pager", Unit(role)], TimeSpan.FromSeconds(60));

        var match = Exposure().Match(run.Stdout);
        Assert.True(match.Success, $"no overall exposure line\n{run}");
        var exposure = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(exposure <= threshold, $"{role}: exposure {exposure} above {threshold}\n{run}");
    }

    [SystemdAnalyzeTheory]
    [InlineData("storage")]
    [InlineData("hasher")]
    public void Systemd_analyze_verify_finds_nothing_to_say(string role)
    {
        // verify needs the program and the system's units: a root with both (the program a stub).
        using var root = new TempDir("actorbackup-units");
        var program = root.Combine("opt", "actorbackup", "actorbackup");
        Directory.CreateDirectory(Path.GetDirectoryName(program)!);
        File.WriteAllText(program, "#!/bin/sh\n");
        Mono.Unix.Native.Syscall.chmod(program, Mono.Unix.Native.FilePermissions.S_IRWXU);
        var units = root.CreateFolder("etc/systemd/system");
        File.Copy(Unit(role), Path.Combine(units, $"actorbackup-{role}.service"));
        var system = Directory.Exists("/lib/systemd/system") ? "/lib/systemd/system" : "/usr/lib/systemd/system";
        var copy = PublishedCli.RunProgram("cp", ["-a", system, root.CreateFolder("lib/systemd")], TimeSpan.FromSeconds(60));
        Assert.True(copy.ExitCode == 0, copy.ToString());

        var run = PublishedCli.RunProgram(SystemdAnalyze!, ["verify", $"--root={root.Path}", $"actorbackup-{role}.service"], TimeSpan.FromSeconds(60));

        // An unknown or misspelt key is only a warning (exit 0): nothing on stderr is the check.
        Assert.True(run.ExitCode == 0 && run.Stderr.Length == 0 && run.Stdout.Length == 0, run.ToString());
    }

    [GeneratedRegex(@"Overall exposure level for \S+: (\d+\.\d+)")]
    private static partial Regex Exposure();
}
