using System.Net;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// deploy/nginx/actorbackup.conf, served by a real nginx (root master, www-data workers) over
/// a real backup: week10.example.org/~alice/ is alice's folder of snapshot week10, and only
/// what the snapshot's modes let any local account read is served.
/// </summary>
public sealed class NginxTests(NginxTests.World w) : IClassFixture<NginxTests.World>
{
    private const string Week10 = "week10.example.org";

    [NginxFact]
    public async Task The_public_file_comes_back_byte_identical_from_workers_that_run_as_www_data()
    {
        var workers = w.Server.WorkerUids();
        Assert.NotEmpty(workers);
        Assert.All(workers, uid => Assert.Equal(w.WorkerUid, uid));
        Assert.NotEqual(0u, w.WorkerUid);

        using var response = await Fetch(w.Server, Week10, "/~alice/public.txt");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(w.PublicBytes, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("sandbox", Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
    }

    [NginxFact]
    public async Task The_snapshot_the_shipped_cron_line_names_is_served_by_the_shipped_nginx_config()
    {
        Assert.Matches(@"\Aweek[0-9]{6}\z", w.CronWeek);

        using var response = await Fetch(w.Server, $"{w.CronWeek}.example.org", "/~alice/public.txt");

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{w.CronWeek}.example.org/~alice/public.txt: {response.StatusCode}");
        Assert.Equal(w.PublicBytes, await response.Content.ReadAsByteArrayAsync());
    }

    [NginxFact]
    public async Task A_0600_file_is_refused_while_a_0644_file_in_the_same_folder_is_served()
    {
        Expect.Mode(600, w.InWeek10("alice/private.txt"));
        Expect.Mode(644, w.InWeek10("alice/public.txt"));
        Expect.Owner(World.Alice, World.Alice, w.InWeek10("alice/private.txt"));

        using var denied = await Fetch(w.Server, Week10, "/~alice/private.txt");
        using var served = await Fetch(w.Server, Week10, "/~alice/public.txt");
        using var bobDenied = await Fetch(w.Server, Week10, "/~bob/private.txt");
        using var bobServed = await Fetch(w.Server, Week10, "/~bob/hello.txt");

        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.DoesNotContain(World.PrivateText, await denied.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, bobDenied.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bobServed.StatusCode);
        Assert.Equal("hello from bob\n", await bobServed.Content.ReadAsStringAsync());
    }

    [NginxFact]
    public async Task A_file_in_a_folder_without_o_x_is_refused_while_the_same_inode_in_an_open_folder_is_served()
    {
        Expect.Mode(700, w.InWeek10("alice/secret"));
        Expect.Mode(644, w.InWeek10("alice/secret/inside.txt"));
        Expect.SameInode(w.InWeek10("alice/open/inside.txt"), w.InWeek10("alice/secret/inside.txt"));

        using var hidden = await Fetch(w.Server, Week10, "/~alice/secret/inside.txt");
        using var listing = await Fetch(w.Server, Week10, "/~alice/secret/");
        using var open = await Fetch(w.Server, Week10, "/~alice/open/inside.txt");

        Assert.Equal(HttpStatusCode.Forbidden, hidden.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, listing.StatusCode);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        Assert.Equal("inside\n", await open.Content.ReadAsStringAsync());
    }

    [NginxFact]
    public void Symlinks_in_a_snapshot_are_never_followed_even_to_world_readable_targets()
    {
        Assert.True((Files.Lstat("/etc/passwd").Mode & 4) != 0, "/etc/passwd should be world-readable, so only nginx can refuse it");
        Assert.Equal(Core.EntryType.Symlink, EntryTypeOf("alice/passwd-link"));

        Assert.Equal(403, Get("/~alice/passwd-link").Status);
        Assert.Equal(403, Get("/~bob/alice-link").Status); // even to a served file of the same snapshot
        foreach (var target in new[] { "/~alice/etc-link/passwd", "/~alice/data-link/", "/~alice/data-link/.actorbackup/snapshots/week10.manifest", $"/~alice/data-link/{w.PublicEntry}" })
        {
            var response = Get(target);
            Assert.True(response.Status is 403 or 404, $"{target} should be refused, got\n{response.Head}");
        }
    }

    [NginxFact]
    public async Task Dot_files_and_dot_folders_are_refused_and_left_out_of_listings()
    {
        Expect.Mode(644, w.InWeek10("alice/.hidden"));

        Assert.Equal(404, Get("/~alice/.hidden").Status);
        Assert.Equal(404, Get("/~alice/.config/settings").Status);
        Assert.Equal(404, Get("/~alice/.config/").Status);
        using var listing = await Fetch(w.Server, Week10, "/~alice/");
        var html = await listing.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, listing.StatusCode);
        Assert.Contains("\"public.txt\"", html);
        Assert.Contains("\"open/\"", html);
        Assert.DoesNotContain(".hidden", html);
        Assert.DoesNotContain(".config", html);
    }

    [NginxFact]
    public async Task Only_user_folders_of_an_existing_week_are_served()
    {
        Assert.Equal(404, Get("/").Status);                       // no list of all users
        Assert.Equal(404, Get("/alice/public.txt").Status);       // only /~USER/
        var redirect = Get("/~alice");
        Assert.Equal(301, redirect.Status);
        Assert.Contains("\r\nLocation: /~alice/", redirect.Head);
        Assert.Equal(404, Get("/~alice/public.txt", "week11.example.org").Status); // no such snapshot
        Assert.Equal(404, Get("/~alice/public.txt", "weekXX.example.org").Status);
        Assert.Equal(404, Get("/~alice/public.txt", "data.example.org").Status);
        Assert.Equal(404, Get("/~alice/public.txt", null).Status);
        using var upper = await Fetch(w.Server, "WEEK10.Example.ORG", "/~alice/public.txt");
        Assert.Equal(HttpStatusCode.OK, upper.StatusCode);
    }

    [NginxFact]
    public void No_url_reaches_the_data_folder_or_its_manifests()
    {
        // The data folder is inside the served folder and opened up to other users here, so
        // that only the configuration stands between a URL and the manifests and entries.
        foreach (var path in new[] { w.ManifestInView, w.Backups + "/data/" + w.PublicEntry })
            Assert.True(World.ReadableByOthers(path), $"{path} should be readable by others for this test to mean anything");

        var entry = w.PublicEntry;
        var targets = new[]
        {
            "/../data/.actorbackup/snapshots/week10.manifest",
            "/data/.actorbackup/snapshots/week10.manifest",
            "/~alice/../../data/.actorbackup/snapshots/week10.manifest",
            "/~alice/%2e%2e/%2e%2e/data/.actorbackup/snapshots/week10.manifest",
            "/~alice/%2E%2E%2F%2E%2E%2Fdata%2F.actorbackup%2Fsnapshots%2Fweek10.manifest",
            "/~alice/public.txt/../../../data/.actorbackup/snapshots/week10.manifest",
            "//..//..//data/.actorbackup/snapshots/week10.manifest",
            "/~alice/..\\..\\data\\.actorbackup\\snapshots\\week10.manifest",
            "/~../data/.actorbackup/snapshots/week10.manifest",
            "/~%2e%2e/data/.actorbackup/snapshots/week10.manifest",
            "/%7E..%2Fdata/.actorbackup/snapshots/week10.manifest",
            "/~..%2fdata/" + entry,
            "/~alice/..%2f..%2fdata/" + entry,
            "/~data/" + entry,
            "/~alice/data-link/" + entry,
            "/~alice/%00/../../data/" + entry,
            "http://week10.example.org/../data/.actorbackup/snapshots/week10.manifest",
            "http://data.example.org/~alice/../../data/" + entry,
            "http://week10.example.org/~..%2fdata/" + entry,
        };
        var hosts = new string?[]
        {
            Week10, "week10.example.org/../", "week10.example.org/..", "..example.org", "week10..example.org",
            "data.example.org", "week10.example.org%2f..", "week10.example.org\\..", "..", "data", null,
        };

        Assert.Equal(200, Get("/~alice/public.txt").Status); // the server answers, and the loop below means something
        var served = new List<string>();
        foreach (var target in targets)
        {
            foreach (var host in hosts)
            {
                var response = Get(target, host);
                if (response.Status == 200 || response.BodyText.Contains("#actorbackup-manifest") || response.Body.AsSpan().IndexOf(w.PublicBytes) >= 0)
                    served.Add($"GET {target} Host: {host} -> {response.Head.Split("\r\n")[0]}");
            }
        }
        Assert.Empty(served);
    }

    [NginxFact]
    public async Task The_public_html_variant_serves_only_that_folder_of_each_home()
    {
        using var index = await Fetch(w.PublicHtmlServer, Week10, "/~alice/");
        using var page = await Fetch(w.PublicHtmlServer, Week10, "/~alice/index.html");
        using var home = await Fetch(w.PublicHtmlServer, Week10, "/~alice/public.txt");
        using var bob = await Fetch(w.PublicHtmlServer, Week10, "/~bob/");

        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("<p>alice in week 10</p>\n", await index.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, home.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bob.StatusCode); // bob has no public_html
    }

    private RawResponse Get(string target, string? host = Week10) => RawResponse.Get(w.Server.Port, target, host);

    private Core.EntryType EntryTypeOf(string relative) => Files.Lstat(w.InWeek10(relative)).Type;

    private static async Task<HttpResponseMessage> Fetch(NginxServer server, string host, string path)
    {
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.Port}{path}");
        request.Headers.Host = host;
        return await client.SendAsync(request);
    }

    /// <summary>Runs a test only where nginx is installed (CI installs it: .ci/run).</summary>
    public sealed class NginxFactAttribute : FactAttribute
    {
        public NginxFactAttribute()
        {
            if (NginxServer.Executable is null)
                Skip = "nginx is not installed (apt-get install nginx; .ci/run installs it)";
        }
    }

    /// <summary>
    /// Two users' home folders backed up once in the README's layout (a root-only folder
    /// holding snapshots/ and the data folder), the data folder here inside snapshots/ to
    /// show the configuration alone keeps it out, and two nginx servers over a read-only bind
    /// mount of snapshots/: the shipped configuration, and its public_html variant.
    /// </summary>
    public sealed class World : IDisposable
    {
        public const uint Alice = 2001;
        public const uint Bob = 2002;
        public const string PrivateText = "alice's private notes\n";

        private readonly TempDir? _temp;
        private SafeLayout? _layout;
        private NginxServer? _server;
        private NginxServer? _publicHtmlServer;

        public World()
        {
            if (NginxServer.Executable is null)
                return;
            _temp = new TempDir("actorbackup-nginx");
            try
            {
                Build();
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        /// <summary>What nginx serves: the read-only view of the snapshots folder.</summary>
        public string Backups => _layout!.View;

        public string Data => _layout!.Snapshots + "/data";

        public string Manifest => Data + "/.actorbackup/snapshots/week10.manifest";

        /// <summary>The manifest as nginx would find it through the view.</summary>
        public string ManifestInView => Backups + "/data/.actorbackup/snapshots/week10.manifest";

        public byte[] PublicBytes { get; } = Scenario.Bytes(70_000, seed: 10);

        /// <summary>The public file's store entry, data-folder-relative ("AA/AABB...").</summary>
        public string PublicEntry => Scenario.Sha1(PublicBytes)[..2] + "/" + Scenario.Sha1(PublicBytes);

        public uint WorkerUid { get; private set; }

        /// <summary>The snapshot name deploy/actorbackup.cron's line gives today ("week202649").</summary>
        public string CronWeek { get; private set; } = "";

        /// <summary>
        /// The cron line's --backupfolder, its last component evaluated by bash as cron would
        /// (cron's "\%" is a plain "%" to the shell).
        /// </summary>
        private static string CronSnapshotName()
        {
            var line = File.ReadLines(Path.Combine(RepoPaths.Root, "deploy", "actorbackup.cron")).Single(l => l.Contains("--backupfolder=", StringComparison.Ordinal));
            var folder = System.Text.RegularExpressions.Regex.Match(line, @"--backupfolder=(.+?)\s+--").Groups[1].Value.TrimEnd('/');
            var name = folder[(folder.LastIndexOf('/') + 1)..].Replace("\\%", "%", StringComparison.Ordinal);
            var shell = PublishedCli.RunProgram("/bin/bash", ["-c", $"printf '%s' {name}"], TimeSpan.FromSeconds(10));
            if (shell.ExitCode != 0 || shell.Stdout.Length == 0)
                throw new InvalidOperationException($"the cron line's snapshot name {name} did not evaluate\n{shell}");
            return shell.Stdout.Trim();
        }

        internal NginxServer Server => _server!;

        internal NginxServer PublicHtmlServer => _publicHtmlServer!;

        public string InWeek10(string relative) => Backups + "/week10/" + relative;

        /// <summary>o+x on every folder from / down, and o+r on the last component.</summary>
        public static bool ReadableByOthers(string path)
        {
            for (var dir = Path.GetDirectoryName(path); dir is not null; dir = Path.GetDirectoryName(dir))
            {
                if ((Files.Lstat(dir).Mode & 1) == 0)
                    return false;
            }
            return (Files.Lstat(path).Mode & 4) != 0;
        }

        private void Build()
        {
            var source = new TreeBuilder(_temp!.Combine("src"))
                .File("alice/public.txt", PublicBytes)
                .File("alice/private.txt", PrivateText, mode: 600)
                .File("alice/secret/inside.txt", "inside\n")
                .File("alice/open/inside.txt", "inside\n")
                .File("alice/.hidden", "a world-readable dot-file\n")
                .File("alice/.config/settings", "dot-folder\n")
                .File("alice/public_html/index.html", "<p>alice in week 10</p>\n")
                .Symlink("alice/passwd-link", "/etc/passwd")
                .Symlink("alice/etc-link", "/etc")
                .Symlink("alice/data-link", "../../data")
                .File("bob/hello.txt", "hello from bob\n")
                .File("bob/private.txt", "bob's private notes\n", mode: 600)
                .Symlink("bob/alice-link", "../alice/public.txt");
            foreach (var path in PosixFs.Walk(source.PathOf("alice")))
                source.Chown("alice/" + path, Alice, Alice);
            foreach (var path in PosixFs.Walk(source.PathOf("bob")))
                source.Chown("bob/" + path, Bob, Bob);
            source.Chown("alice", Alice, Alice).Chown("bob", Bob, Bob).Chmod("alice/secret", 700);

            _layout = new SafeLayout(_temp);
            var run = PublishedCli.Run([$"--rootfolder={source.Root}", $"--backupfolder={_layout.Snapshots}/week10", $"--datafolder={Data}", "--createdirs"], PublishedCli.DefaultTimeout);
            Expect.Success(run);
            // And the snapshot this week's cron line (deploy/actorbackup.cron) would make.
            CronWeek = CronSnapshotName();
            Expect.Success(PublishedCli.Run([$"--rootfolder={source.Root}", $"--backupfolder={_layout.Snapshots}/{CronWeek}", $"--datafolder={Data}"], PublishedCli.DefaultTimeout));

            // Open the data folder's folders and the manifest to others (never the entries:
            // they are the snapshot files' own inodes), so refusals below are the config's.
            foreach (var path in PosixFs.Walk(Data).Prepend(""))
            {
                var full = path.Length == 0 ? Data : Data + "/" + path;
                if (Files.Lstat(full).Type == Core.EntryType.Directory)
                    Files.Chmod(full, Octal.Mode(755));
            }
            Files.Chmod(Manifest, Octal.Mode(644));
            if (!ReadableByOthers(InWeek10("alice/public.txt")))
                throw new InvalidOperationException($"{InWeek10("alice/public.txt")} should be readable by others through every parent folder");

            WorkerUid = uint.Parse(File.ReadLines("/etc/passwd").Select(l => l.Split(':')).First(f => f[0] == NginxServer.WorkerUser)[2]);
            _server = NginxServer.Start(_temp.Combine("nginx"), Backups);
            _publicHtmlServer = NginxServer.Start(_temp.Combine("nginx-public-html"), Backups, subfolder: "/public_html");
        }

        public void Dispose()
        {
            // nginx is stopped whatever happened, before its folders go.
            try
            {
                _server?.Dispose();
            }
            finally
            {
                try
                {
                    _publicHtmlServer?.Dispose();
                }
                finally
                {
                    _layout?.Dispose();
                    _temp?.Dispose();
                }
            }
        }
    }
}
