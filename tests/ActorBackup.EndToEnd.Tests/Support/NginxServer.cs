using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.EndToEnd.Tests.Support;

/// <summary>
/// A real nginx serving the shipped deploy/nginx/actorbackup.conf: the file is read from the
/// repository and only its EDIT lines are substituted (port, backup root, optionally the
/// subfolder), then included into a minimal nginx.conf of the test's own (prefix, pid, logs
/// and temp folders in <paramref name="prefix"/>). The master runs as root in the
/// foreground (our child process) and its workers as <see cref="WorkerUser"/>.
/// Dispose stops it: SIGTERM, then a kill of the whole process tree if it lingers.
/// </summary>
internal sealed class NginxServer : IDisposable
{
    public const string ShippedConfig = "deploy/nginx/actorbackup.conf";

    private readonly Process _process;
    private readonly string _errorLog;

    private NginxServer(Process process, int port, string errorLog)
    {
        _process = process;
        Port = port;
        _errorLog = errorLog;
    }

    /// <summary>The nginx binary, or null when nginx is not installed.</summary>
    public static string? Executable { get; } = FindExecutable();

    /// <summary>The unprivileged user the workers run as: Debian's www-data, else nobody.</summary>
    public static string WorkerUser { get; } =
        File.ReadLines("/etc/passwd").Any(l => l.StartsWith("www-data:", StringComparison.Ordinal)) ? "www-data" : "nobody";

    public int Port { get; }

    public int MasterPid => _process.Id;

    /// <summary>Starts nginx on 127.0.0.1 and a free port; returns once it accepts connections.</summary>
    public static NginxServer Start(string prefix, string backupRoot, string? subfolder = null)
    {
        if (Executable is null)
            throw new InvalidOperationException("nginx is not installed");
        Directory.CreateDirectory(prefix);
        var port = Loopback.FreePort();
        var site = Substitute(File.ReadAllText(Path.Combine(RepoPaths.Root, ShippedConfig)), port, backupRoot, subfolder);
        File.WriteAllText(Path.Combine(prefix, "actorbackup.conf"), site);
        var errorLog = Path.Combine(prefix, "error.log");
        File.WriteAllText(Path.Combine(prefix, "nginx.conf"), $$"""
            user {{WorkerUser}};
            worker_processes 1;
            daemon off;
            pid {{prefix}}/nginx.pid;
            error_log {{errorLog}} info;
            events { worker_connections 64; }
            http {
              access_log {{prefix}}/access.log;
              client_body_temp_path {{prefix}}/body;
              proxy_temp_path {{prefix}}/proxy;
              fastcgi_temp_path {{prefix}}/fastcgi;
              uwsgi_temp_path {{prefix}}/uwsgi;
              scgi_temp_path {{prefix}}/scgi;
              default_type application/octet-stream;
              include {{prefix}}/actorbackup.conf;
            }
            """);

        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // -e: nginx opens its error log before reading the configuration; not /var/log/nginx.
        foreach (var arg in new[] { "-p", prefix + "/", "-c", prefix + "/nginx.conf", "-e", errorLog })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start)!;
        var server = new NginxServer(process, port, errorLog);
        try
        {
            server.WaitUntilListening();
        }
        catch
        {
            server.Dispose();
            throw;
        }
        return server;
    }

    /// <summary>
    /// The shipped file with its EDIT lines replaced. Each must be there exactly once: a
    /// changed file fails the test here instead of being tested with its defaults.
    /// </summary>
    public static string Substitute(string config, int port, string backupRoot, string? subfolder)
    {
        config = ReplaceOnce(config, "listen 80;", $"listen 127.0.0.1:{port};");
        config = ReplaceOnce(config, "set $actorbackup_root /srv/snapshots;", $"set $actorbackup_root {backupRoot};");
        if (subfolder is not null)
            config = ReplaceOnce(config, "set $actorbackup_subfolder \"\";", $"set $actorbackup_subfolder \"{subfolder}\";");
        return config;
    }

    /// <summary>User ids of the worker processes (children of the master), from /proc.</summary>
    public List<uint> WorkerUids()
    {
        var uids = new List<uint>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _))
                continue;
            string[] status;
            try
            {
                status = File.ReadAllLines(Path.Combine(dir, "status"));
            }
            catch (IOException)
            {
                continue; // exited meanwhile
            }
            if (Field(status, "PPid:") == MasterPid.ToString())
                uids.Add(uint.Parse(Field(status, "Uid:")!.Split('\t')[0]));
        }
        return uids;
    }

    public string ErrorLog => File.Exists(_errorLog) ? File.ReadAllText(_errorLog) : "";

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Syscall.kill(_process.Id, Signum.SIGTERM); // fast shutdown: the master stops its workers
            if (!_process.WaitForExit(5000))
                _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    private void WaitUntilListening()
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"nginx exited with code {_process.ExitCode} at start\n{_process.StandardError.ReadToEnd()}\n{ErrorLog}");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    private static string ReplaceOnce(string text, string line, string replacement)
    {
        var first = text.IndexOf(line, StringComparison.Ordinal);
        if (first < 0 || text.IndexOf(line, first + 1, StringComparison.Ordinal) >= 0)
            throw new InvalidOperationException($"{ShippedConfig} should hold the line '{line}' exactly once; the test substitutes it");
        return text.Replace(line, replacement, StringComparison.Ordinal);
    }

    private static string? Field(string[] status, string name) =>
        status.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?[name.Length..].Trim();

    private static string? FindExecutable()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin").Append("/usr/local/sbin")
            .Select(d => Path.Combine(d, "nginx"))
            .FirstOrDefault(p => Syscall.access(p, AccessModes.X_OK) == 0);
    }
}

/// <summary>One HTTP exchange as the bytes went over the wire.</summary>
internal sealed record RawResponse(int Status, string Head, byte[] Body)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>
    /// Sends <paramref name="request"/> exactly as given (HTTP/1.0, so the server closes the
    /// connection and the body is never chunked) and reads the whole answer. HttpClient
    /// cannot send these: it resolves "..", and validates the Host header.
    /// </summary>
    public static RawResponse Send(int port, string request)
    {
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, port);
        using var stream = client.GetStream();
        stream.ReadTimeout = 10_000;
        stream.Write(Encoding.ASCII.GetBytes(request));
        var all = new MemoryStream();
        stream.CopyTo(all);
        var bytes = all.ToArray();
        var end = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        var head = Encoding.ASCII.GetString(bytes, 0, end < 0 ? bytes.Length : end);
        var body = end < 0 ? [] : bytes[(end + 4)..];
        var status = head.Split(' ') is [_, var code, ..] && int.TryParse(code, out var s) ? s : 0;
        return new RawResponse(status, head, body);
    }

    public static RawResponse Get(int port, string target, string? host) =>
        Send(port, $"GET {target} HTTP/1.0\r\n{(host is null ? "" : $"Host: {host}\r\n")}\r\n");
}
