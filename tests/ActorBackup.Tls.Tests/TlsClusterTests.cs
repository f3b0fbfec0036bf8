using System.Security.Cryptography;
using ActorBackup.Posix;
using ActorBackup.Testing;
using ActorBackup.Tls.Tests.Support;
using Xunit.Abstractions;

namespace ActorBackup.Tls.Tests;

/// <summary>
/// TLS between cluster nodes, end to end: the published CLI as a storage node and as
/// coordinators, on 127.0.0.1, each node with its own self-signed PFX and the thumbprints
/// of the nodes it accepts pinned (actorbackup.cluster.tls).
/// </summary>
[Collection(nameof(TlsClusterTests))]
public sealed class TlsClusterTests(ITestOutputHelper output)
{
    private static readonly byte[] OddName = [0x62, 0xE4, 0x72, 0xFF, 0xFE]; // not UTF-8

    /// <summary>A small home folder: nested folders, a file larger than one 64 KiB content chunk, a name that is not UTF-8.</summary>
    private static void FillSource(TlsCluster c) => c.Source
        .File("alice/notes.txt", "meet at noon\n")
        .File("alice/photos/big.jpg", RandomNumberGenerator.GetBytes(300_000))
        .File($"bob/{Names.FromBytes(OddName)}", "not utf-8 name\n", mode: 600)
        .File("bob/empty", []);

    private NodeCertificate Make(string maker, string folder, string name)
    {
        if (maker == "make-node-cert.sh" && NodeCertificates.Openssl is not null)
            return NodeCertificates.WithScript(folder, name);
        if (maker == "make-node-cert.sh")
            output.WriteLine("openssl is not installed: making the certificate with .NET instead (nothing is installed)");
        return NodeCertificates.WithDotNet(folder, name);
    }

    [Theory]
    [InlineData("CertificateRequest")]
    [InlineData("make-node-cert.sh")]
    public void Storage_node_and_coordinator_that_pin_each_other_complete_a_backup_over_tls(string maker)
    {
        using var c = new TlsCluster();
        FillSource(c);
        var storageCert = Make(maker, c.Certs, "storage");
        var coordinatorCert = Make(maker, c.Certs, "coordinator");
        c.StartStorage(c.StorageConfig(TlsCluster.Tls(storageCert, coordinatorCert)));
        var coordinator = c.CoordinatorConfig("coordinator.conf", TlsCluster.Tls(coordinatorCert, storageCert), TimeSpan.FromSeconds(30));

        var run = c.Backup(coordinator, "week1");

        Assert.True(run.ExitCode == 0 && run.Stderr.Length == 0, $"expected exit 0 and nothing on stderr\n{run}\n{c.Storage}");
        // Named by the machine's name, which every node here shares: the address follows.
        Assert.Contains(run.StdoutLines, l => l.StartsWith("files hashed by node: ", StringComparison.Ordinal) && l.Contains(" (127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains("files:            4", run.StdoutLines);
        // The coordinator joined over TLS: its address has the akka.ssl.tcp scheme on the storage node.
        Assert.Contains(c.Storage.StdoutLines, l => l.Contains("member-up address=akka.ssl.tcp://actorbackup@127.0.0.1:", StringComparison.Ordinal) && l.Contains("roles=coordinator", StringComparison.Ordinal));
        Assert.DoesNotContain(c.Storage.StdoutLines, l => l.Contains("address=akka.tcp://", StringComparison.Ordinal));
        var snapshot = c.Snapshot("week1");
        Assert.Empty(TreeComparer.Differences(c.Source.Root, snapshot));
        // Every file is a hardlink of its content entry in the data folder (streamed to the storage node).
        foreach (var file in new[] { "alice/notes.txt", "alice/photos/big.jpg", $"bob/{Names.FromBytes(OddName)}", "bob/empty" })
        {
            var hash = Convert.ToHexString(SHA1.HashData(PosixFs.ReadBytes(c.Source.PathOf(file))));
            var entry = $"{c.Data}/{hash[..2]}/{hash}"; // the default one level of hex folders
            Assert.True(Files.Lstat($"{snapshot}/{file}").SameInodeAs(Files.Lstat(entry)), $"{Names.Show(file)} is not a hardlink of {entry}");
        }
        Assert.True(File.Exists($"{c.Data}/.actorbackup/snapshots/week1.manifest"));
    }

    [Theory]
    [InlineData("its certificate is not pinned")]
    [InlineData("it speaks plain TCP")]
    public void Coordinator_the_storage_node_does_not_trust_exits_12_and_touches_nothing(string rogueKind)
    {
        using var c = new TlsCluster();
        FillSource(c);
        var storageCert = NodeCertificates.WithDotNet(c.Certs, "storage");
        var coordinatorCert = NodeCertificates.WithDotNet(c.Certs, "coordinator");
        var rogueCert = NodeCertificates.WithDotNet(c.Certs, "rogue");
        c.StartStorage(c.StorageConfig(TlsCluster.Tls(storageCert, coordinatorCert)));
        // Last week's snapshot by the pinned coordinator: the storage node is reachable and the data folder in use.
        var week1 = c.Backup(c.CoordinatorConfig("coordinator.conf", TlsCluster.Tls(coordinatorCert, storageCert), TimeSpan.FromSeconds(30)), "week1");
        Assert.True(week1.ExitCode == 0, $"the pinned coordinator failed\n{week1}\n{c.Storage}");
        // The rogue trusts the storage node (pins its thumbprint) but the storage node does not
        // trust the rogue; or the rogue has TLS off and dials the storage node's port in plain TCP.
        var joinTimeout = TimeSpan.FromSeconds(8);
        var unpinned = rogueKind == "its certificate is not pinned";
        var rogueConfig = unpinned
            ? c.CoordinatorConfig("rogue.conf", TlsCluster.Tls(rogueCert, storageCert), joinTimeout)
            : c.CoordinatorConfig("rogue.conf", "actorbackup.cluster.tls.enabled = off", joinTimeout, seed: c.Seed.Replace("akka.ssl.tcp://", "akka.tcp://"));
        var before = TreeState.Capture(c.Temp.Path);
        var storageLinesBefore = c.Storage.StdoutLines.Count;

        var rogue = c.Backup(rogueConfig, "week2");

        Assert.True(rogue.ExitCode == 12, $"expected exit code 12\n{rogue}\n{c.Storage}");
        var lines = rogue.StderrLines;
        Assert.True(lines.Count == 1 && lines[0].StartsWith($"actorbackup: no storage node reached within {joinTimeout.TotalSeconds:F0} s: ", StringComparison.Ordinal), rogue.ToString());
        Assert.True(rogue.Elapsed < joinTimeout + TimeSpan.FromSeconds(25), $"the rogue took {rogue.Elapsed.TotalSeconds:F1} s with a join-timeout of {joinTimeout.TotalSeconds} s");
        Assert.False(PosixFs.Exists(c.Snapshot("week2")));
        Assert.False(PosixFs.Exists(c.Backups + "/.week2.partial"));
        Assert.Equal(before, TreeState.Capture(c.Temp.Path));
        // Refused for its certificate, at the TLS handshake: no member joined the storage node's cluster.
        // (Akka's log, on standard output: "Certificate pinning failed ...: thumbprint '<rogue's>' not in allowed list".)
        if (unpinned)
            Assert.Contains(c.Storage.StdoutLines.Concat(c.Storage.StderrLines), l => l.Contains(rogueCert.Thumbprint, StringComparison.OrdinalIgnoreCase));
        var during = c.Storage.StdoutLines.Skip(storageLinesBefore).ToList();
        Assert.DoesNotContain(during, l => l.Contains(" member-joined ", StringComparison.Ordinal) || l.Contains(" member-up ", StringComparison.Ordinal));
        Assert.False(c.Storage.HasExited, c.Storage.ToString());
    }

    [Theory]
    [InlineData("missing PFX")]
    [InlineData("wrong password")]
    [InlineData("no pinned thumbprints")]
    [InlineData("PFX is not a certificate")]
    public void Storage_node_with_a_wrong_tls_configuration_stops_with_exit_code_2_and_one_line(string wrong)
    {
        using var c = new TlsCluster();
        var cert = NodeCertificates.WithDotNet(c.Certs, "storage");
        var other = NodeCertificates.WithDotNet(c.Certs, "coordinator");
        var junk = c.Temp.Combine("certs", "junk.pfx");
        File.WriteAllText(junk, "this is not a PFX\n");
        var missing = c.Temp.Combine("certs", "missing.pfx");
        var (tls, expected) = wrong switch
        {
            "missing PFX" => (TlsCluster.Tls(missing, cert.Password, [other.Thumbprint]), missing),
            "wrong password" => (TlsCluster.Tls(cert.PfxPath, cert.Password + "x", [other.Thumbprint]), cert.PfxPath),
            "no pinned thumbprints" => (TlsCluster.Tls(cert.PfxPath, cert.Password, []), "pinned-thumbprints"),
            _ => (TlsCluster.Tls(junk, cert.Password, [other.Thumbprint]), junk),
        };

        var run = PublishedCli.Run(["node", "--config", c.StorageConfig(tls)], TimeSpan.FromSeconds(60));

        Assert.True(run.ExitCode == 2, $"expected exit code 2\n{run}");
        Assert.True(run.StderrLines.Count == 1, $"expected one line on stderr\n{run}");
        var line = run.StderrLines[0];
        Assert.StartsWith("actorbackup: ", line);
        Assert.Contains(expected, line);
        Assert.Contains("actorbackup.cluster.tls", line);
        Assert.DoesNotContain(" at ", line); // no stack trace
        Assert.Empty(run.Stdout); // never said it was up
    }

    [Fact]
    public void Coordinator_with_a_missing_certificate_stops_with_exit_code_2_before_touching_anything()
    {
        using var c = new TlsCluster();
        FillSource(c);
        var storageCert = NodeCertificates.WithDotNet(c.Certs, "storage");
        var missing = c.Temp.Combine("certs", "coordinator.pfx");
        var config = c.CoordinatorConfig("coordinator.conf", TlsCluster.Tls(missing, "secret", [storageCert.Thumbprint]), TimeSpan.FromSeconds(30));
        var before = TreeState.Capture(c.Temp.Path);

        var run = c.Backup(config, "week1");

        Assert.True(run.ExitCode == 2 && run.StderrLines.Count == 1, $"expected exit code 2 and one line\n{run}");
        Assert.StartsWith($"actorbackup: node certificate {missing} does not exist", run.StderrLines[0]);
        Assert.Equal(before, TreeState.Capture(c.Temp.Path));
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(30), $"took {run.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void A_missing_certificate_file_is_reported_as_missing()
    {
        using var c = new TlsCluster();
        var missing = c.Temp.Combine("certs", "missing.pfx");

        var run = PublishedCli.Run(["node", "--config", c.StorageConfig(TlsCluster.Tls(missing, "secret", [new string('A', 40)]))], TimeSpan.FromSeconds(60));

        Assert.True(run.ExitCode == 2 && run.StderrLines.Count == 1, run.ToString());
        Assert.Matches($"^actorbackup: .*{System.Text.RegularExpressions.Regex.Escape(missing)}.*(does not exist|not found|no such file)", run.StderrLines[0]);
    }

    [Fact]
    public void A_certificate_password_with_quotes_and_backslashes_works()
    {
        using var c = new TlsCluster();
        var cert = NodeCertificates.WithDotNet(c.Certs, "storage");
        var other = NodeCertificates.WithDotNet(c.Certs, "coordinator");
        var password = "p\"w\\q";
        var pfx = c.Temp.Combine("certs", "quoted.pfx");
        using (var loaded = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(cert.PfxPath, cert.Password,
                   System.Security.Cryptography.X509Certificates.X509KeyStorageFlags.Exportable))
            File.WriteAllBytes(pfx, loaded.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, password));
        // In HOCON the password is written escaped, as any HOCON string with a quote must be.
        var tls = TlsCluster.Tls(pfx, "p\\\"w\\\\q", [other.Thumbprint]);

        c.StartStorage(c.StorageConfig(tls));

        Assert.False(c.Storage.HasExited, c.Storage.ToString());
    }
}

[CollectionDefinition(nameof(TlsClusterTests), DisableParallelization = true)]
public sealed class TlsClusterCollection;
