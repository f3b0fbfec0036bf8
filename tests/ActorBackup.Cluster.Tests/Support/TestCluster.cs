using System.Diagnostics;
using System.Globalization;
using ActorBackup.Testing;
using Xunit.Abstractions;

namespace ActorBackup.Cluster.Tests.Support;

/// <summary>
/// One test's cluster of real processes on 127.0.0.1 and its own temp folder: role files
/// (written here, including nothing from hocon/), logs/ with every process's output, and room
/// for the test's source, backup and data folders. The storage node is the seed, on a free
/// port; every other process takes port 0. Failure detection is short, as the contract asks
/// of tests, and batches are small so work spreads over the nodes. Dispose kills every
/// process (kill -9) before removing the folder.
/// </summary>
internal sealed class TestCluster : IDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(150);

    private readonly List<NodeProcess> _processes = [];
    private readonly ITestOutputHelper? _output;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _started;

    /// <param name="output">Where to note each step with its time (shown for a failed test, or with detailed verbosity).</param>
    public TestCluster(ITestOutputHelper? output = null)
    {
        _output = output;
        Reaper.ReapOnce(); // before anything is published or started: the dead host's nodes may run from its folders
        Temp = new TempDir(Reaper.FolderPrefix);
        Logs = Temp.CreateFolder("logs");
        SeedPort = Loopback.FreePort();
    }

    public TempDir Temp { get; }

    public string Logs { get; }

    public int SeedPort { get; private set; }

    public string Seed => $"akka.tcp://actorbackup@127.0.0.1:{SeedPort}";

    public NodeProcess? Storage { get; private set; }

    /// <summary>A folder of the test's own inside the cluster's temp folder (created).</summary>
    public string Folder(string relative) => Temp.CreateFolder(relative);

    /// <summary>
    /// HOCON every process of this cluster shares: loopback only, the seed, short failure
    /// detection, small batches, no fsync (throw-away data).
    /// </summary>
    private string Common(int port, string? seed = null) => $$"""
        akka.remote.dot-netty.tcp {
          hostname = 127.0.0.1
          public-hostname = 127.0.0.1
          port = {{port}}
        }
        akka.cluster.seed-nodes = ["{{seed ?? Seed}}"]
        akka.cluster.failure-detector {
          heartbeat-interval = 500ms
          acceptable-heartbeat-pause = 3s
        }
        akka.cluster.split-brain-resolver.stable-after = 2s
        actorbackup.cluster.batch-deadline = 20s
        actorbackup.cluster.stats-interval = 1s
        actorbackup.hash-batch-files = 16
        actorbackup.fsync = off
        """;

    /// <summary>Writes a role file (no include) and returns its path.</summary>
    private string WriteConfig(string name, string text)
    {
        var path = Temp.Combine(name + ".conf");
        File.WriteAllText(path, text + "\n");
        return path;
    }

    /// <summary>
    /// Starts the storage node (the seed) and waits until it is Up. With
    /// <paramref name="hiddenFolder"/>, that folder looks empty to it (see <see cref="NodeProcess.Start"/>).
    /// A seed port taken meanwhile by someone else is replaced by another free one.
    /// </summary>
    public NodeProcess StartStorage(string extra = "", string? hiddenFolder = null)
    {
        var failures = "";
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var name = Name("storage");
            var config = WriteConfig(name, $"akka.cluster.roles = [storage]\n{Common(SeedPort)}\n{extra}");
            var node = Track(NodeProcess.Start(name, Logs, ["node", "--config", config], hiddenFolder));
            var deadline = DateTime.UtcNow + StartTimeout;
            while (!node.HasExited && DateTime.UtcNow < deadline && !node.StdoutLines.Any(IsUpLine))
                Thread.Sleep(100);
            if (node.StdoutLines.Any(IsUpLine))
            {
                Storage = node;
                AwaitMemberUp(node, AddressOf(node));
                Note($"{name} is Up at {AddressOf(node)}");
                return node;
            }
            failures += node.Describe() + "\n";
            node.Kill();
            SeedPort = Loopback.FreePort();
        }
        Assert.Fail($"the storage node did not come up\n{failures}");
        return null!;
    }

    /// <summary>
    /// Starts a hasher node without waiting; <see cref="AwaitUp"/> waits. With
    /// <paramref name="hiddenFolder"/>, that folder looks empty to it (see <see cref="NodeProcess.Start"/>).
    /// </summary>
    public NodeProcess StartHasher(string extra = "", string? hiddenFolder = null)
    {
        var name = Name("hasher");
        var config = WriteConfig(name, $"akka.cluster.roles = [hasher]\n{Common(0)}\n{extra}");
        return Track(NodeProcess.Start(name, Logs, ["node", "--config", config], hiddenFolder));
    }

    /// <summary>Waits until <paramref name="node"/> is up and the storage node sees it Up; returns its HOST:PORT.</summary>
    public string AwaitUp(NodeProcess node)
    {
        var address = AddressOf(node);
        AwaitMemberUp(Storage ?? throw new InvalidOperationException("start the storage node first"), address);
        Note($"{node.Name} is Up at {address}");
        return address;
    }

    /// <summary>Starts `actorbackup backup --cluster FILE ARGS` in the background.</summary>
    public NodeProcess StartCoordinator(IEnumerable<string> args, string extra = "", string? seed = null)
    {
        var name = Name("coordinator");
        Note($"{name} starts");
        var config = WriteConfig(name, $"{Common(0, seed)}\n{extra}");
        return Track(NodeProcess.Start(name, Logs, ["backup", "--cluster", config, .. args]));
    }

    /// <summary>The folders of a backup run, then <paramref name="options"/>.</summary>
    public static string[] BackupArgs(string root, string backup, string data, params string[] options) =>
        [$"--rootfolder={root}", $"--backupfolder={backup}", $"--datafolder={data}", .. options];

    /// <summary>Runs a coordinator to its end.</summary>
    public ProcessResult RunCoordinator(IEnumerable<string> args, string extra = "", string? seed = null) =>
        Finished(StartCoordinator(args, extra, seed).WaitForExit(RunTimeout));

    /// <summary>Notes a process's end, and returns its result.</summary>
    public ProcessResult Finished(ProcessResult result)
    {
        Note($"{result.Program} exited with {result.ExitCode} after {result.Elapsed.TotalSeconds:F1} s");
        return result;
    }

    /// <summary>
    /// The same backup without a cluster (`actorbackup` in one process, fsync off like the
    /// nodes), the reference a cluster run must match.
    /// </summary>
    public ProcessResult RunSingleNode(string root, string backup, string data)
    {
        var config = WriteConfig("single", "actorbackup.fsync = off");
        Note("single-node run starts");
        return Finished(PublishedCli.Run([$"--rootfolder={root}", $"--backupfolder={backup}", $"--datafolder={data}", "--createdirs", $"--config={config}"],
            RunTimeout));
    }

    /// <summary>HOST:PORT from a node's "actorbackup node akka.tcp://actorbackup@HOST:PORT up with roles [...]" line.</summary>
    public static string AddressOf(NodeProcess node)
    {
        return HostPort(node.WaitForLine(IsUpLine, StartTimeout, "its 'up with roles' line"));
    }

    /// <summary>HOST:PORT from a node's last 'up' line: a node that joined again has a new one.</summary>
    public static string LatestAddressOf(NodeProcess node)
    {
        var line = node.StdoutLines.LastOrDefault(IsUpLine);
        return line is null ? AddressOf(node) : HostPort(line);
    }

    /// <summary>HOST:PORT of the first node address in a line: after the '@', up to a space or a quote.</summary>
    private static string HostPort(string line)
    {
        var at = line.IndexOf('@');
        var end = line.IndexOfAny([' ', '"'], at);
        return line[(at + 1)..(end < 0 ? line.Length : end)];
    }

    /// <summary>
    /// The coordinator's own HOST:PORT, from its log's membership line for the coordinator role
    /// (only one coordinator runs at a time in these tests).
    /// </summary>
    public static string CoordinatorAddressOf(ProcessResult coordinator)
    {
        var line = coordinator.StdoutLines.FirstOrDefault(l => l.Contains(" member-") && l.Contains(" roles=coordinator "));
        Assert.True(line is not null, $"the coordinator's log has no membership line of its own\n{coordinator}");
        var at = line.IndexOf('@');
        return line[(at + 1)..line.IndexOf(' ', at)];
    }

    /// <summary>The "files hashed by node: HOST:PORT=N, ..." line of a coordinator run, as a map.</summary>
    /// <summary>A coordinator's setting that has hasher nodes list folders too (off by default).</summary>
    public const string WalkOnHashers = "actorbackup.cluster.walk-on-hashers = on";

    public static Dictionary<string, long> FilesHashedByNode(ProcessResult coordinator) => ByNode(coordinator, "files hashed by node: ");

    /// <summary>The coordinator's "folders listed by node" line (walk-on-hashers), by HOST:PORT.</summary>
    public static Dictionary<string, long> FoldersListedByNode(ProcessResult coordinator) => ByNode(coordinator, "folders listed by node: ");

    private static Dictionary<string, long> ByNode(ProcessResult coordinator, string Prefix)
    {
        var line = coordinator.StdoutLines.FirstOrDefault(l => l.StartsWith(Prefix, StringComparison.Ordinal));
        Assert.True(line is not null, $"the coordinator printed no '{Prefix}' line\n{coordinator}");
        return line[Prefix.Length..].Split(", ", StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('='))
            .ToDictionary(kv => HostPortOfName(kv[0]), kv => long.Parse(kv[1], CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// HOST:PORT of a node as the coordinator names it: the nodes of a test cluster all share the
    /// machine's name, so the address follows it in parentheses, "name (HOST:PORT)"; a node no
    /// longer a member (killed) is shown by its address alone.
    /// </summary>
    private static string HostPortOfName(string shown)
    {
        var open = shown.LastIndexOf('(');
        return open > 0 && shown.EndsWith(')') ? shown[(open + 1)..^1] : shown;
    }

    /// <summary>Whether a line is a stats line with files_hashed=N, N &gt; 0.</summary>
    public static bool IsStatsWithFilesHashed(string line)
    {
        const string Key = " files_hashed=";
        var at = line.IndexOf(Key, StringComparison.Ordinal);
        return line.Contains(" stats ") && at > 0
            && long.Parse(line[(at + Key.Length)..].Split(' ')[0], CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>Notes a step of the test with the seconds since the cluster was made.</summary>
    public void Note(string step) => _output?.WriteLine($"{_clock.Elapsed.TotalSeconds,7:F1} s  {step}");

    /// <summary>Every process's logs, for a failing assertion's message.</summary>
    public string DescribeAll() => string.Join("\n", _processes.Select(p => p.Describe()));

    public void Dispose()
    {
        foreach (var process in _processes)
            process.Dispose();
        Temp.Dispose();
    }

    /// <summary>A node's "up with roles" line, as text or (log-format = json) as its node-up object.</summary>
    private static bool IsUpLine(string line) =>
        (line.StartsWith("actorbackup node akka.tcp://", StringComparison.Ordinal) && line.Contains(" up with roles ["))
        || (line.StartsWith('{') && line.Contains("\"event\":\"node-up\"", StringComparison.Ordinal));

    /// <summary>Whether a log line, text or JSON, says the member at HOST:PORT <paramref name="address"/> is Up.</summary>
    public static bool IsMemberUp(string line, string address) =>
        line.Contains($" member-up address=akka.tcp://actorbackup@{address} ", StringComparison.Ordinal)
        || (line.Contains("\"event\":\"member-up\"", StringComparison.Ordinal) && line.Contains($"\"address\":\"akka.tcp://actorbackup@{address}\"", StringComparison.Ordinal));

    private void AwaitMemberUp(NodeProcess observer, string address) =>
        observer.WaitForLine(l => IsMemberUp(l, address), StartTimeout, $"member-up of {address}");

    private NodeProcess Track(NodeProcess process)
    {
        _processes.Add(process);
        return process;
    }

    private string Name(string role) => $"{role}-{++_started}";
}
