using System.Globalization;
using System.Security.Cryptography;
using ActorBackup.Testing;
using ActorBackup.Tls.Tests.Support;
using Xunit.Abstractions;

namespace ActorBackup.Tls.Tests;

/// <summary>
/// Trust through a cluster CA, end to end: the published CLI as storage node, hasher node and
/// coordinator on 127.0.0.1, each with only its own CA-signed PFX and the CA's ca.crt, no
/// thumbprint pinned anywhere, so a new hasher needs no other node edited.
/// </summary>
[Collection(nameof(TlsClusterTests))]
public sealed class CaClusterTests(ITestOutputHelper output)
{
    private static void FillSource(TlsCluster c) => c.Source
        .File("alice/notes.txt", "meet at noon\n")
        .File("alice/photos/big.jpg", RandomNumberGenerator.GetBytes(300_000))
        .File("bob/report.txt", "quarterly\n", mode: 600)
        .File("bob/empty", []);

    /// <summary>The "files hashed by node: NAME (HOST:PORT)=N, ..." line of a coordinator run, as a map by HOST:PORT.</summary>
    private static Dictionary<string, long> FilesHashedByNode(ProcessResult run)
    {
        const string prefix = "files hashed by node: ";
        var line = run.StdoutLines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(line is not null, $"the coordinator printed no '{prefix}' line\n{run}");
        return line[prefix.Length..].Split(", ", StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('='))
            // Every node here has the machine's name: each is shown as "name (HOST:PORT)".
            .ToDictionary(kv => kv[0][(kv[0].LastIndexOf('(') + 1)..].TrimEnd(')'), kv => long.Parse(kv[1], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Storage_hasher_and_coordinator_that_trust_only_the_cluster_ca_complete_a_backup_and_the_hasher_hashes()
    {
        using var c = new TlsCluster();
        FillSource(c);
        // As an operator does it, with the script, when openssl is there.
        var withScript = NodeCertificates.Openssl is not null;
        if (!withScript)
            output.WriteLine("openssl is not installed: making the CA and certificates with .NET instead (nothing is installed)");
        var ca = withScript ? NodeCertificates.CaWithScript(c.Temp.Combine("ca")) : NodeCertificates.CaWithDotNet(c.Temp.Combine("ca"));
        NodeCertificate Signed(string name) => withScript ? NodeCertificates.WithScript(c.Certs, name, ca) : NodeCertificates.SignedWithDotNet(ca, c.Certs, name);
        // What a node gets: its own PFX and a copy of ca.crt, never the CA key.
        var caCopy = c.Temp.Combine("certs", "ca.crt");
        File.Copy(ca.CertPath, caCopy);
        c.StartStorage(c.StorageConfig(TlsCluster.TlsWithCa(Signed("storage"), caCopy)));
        var hasher = c.StartHasher(TlsCluster.TlsWithCa(Signed("hasher"), caCopy));
        var hasherAddress = TlsCluster.AddressOf(hasher);
        c.Storage.WaitForLine(l => l.Contains($"member-up address=akka.ssl.tcp://actorbackup@{hasherAddress} ", StringComparison.Ordinal), TlsCluster.NodeStartTimeout, "the hasher Up");
        var coordinator = c.CoordinatorConfig("coordinator.conf", TlsCluster.TlsWithCa(Signed("coordinator"), caCopy), TimeSpan.FromSeconds(30));

        var run = c.Backup(coordinator, "week1");

        Assert.True(run.ExitCode == 0 && run.Stderr.Length == 0, $"expected exit 0 and nothing on stderr\n{run}\n{c.Storage}\n{hasher}");
        Assert.Contains("files:            4", run.StdoutLines);
        var byNode = FilesHashedByNode(run);
        Assert.True(byNode.GetValueOrDefault(hasherAddress) > 0, $"the hasher at {hasherAddress} hashed nothing\n{run}\n{hasher}");
        Assert.Empty(TreeComparer.Differences(c.Source.Root, c.Snapshot("week1")));
        Assert.DoesNotContain(c.Storage.StdoutLines, l => l.Contains(" refused: certificate ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("its thumbprint is denied on the storage node")]
    [InlineData("it is signed by another CA of the same name")]
    public void A_hasher_the_storage_node_refuses_never_joins_and_the_run_completes_without_it(string why)
    {
        using var c = new TlsCluster();
        FillSource(c);
        var ca = NodeCertificates.CaWithDotNet(c.Temp.Combine("ca"));
        var storageCert = NodeCertificates.SignedWithDotNet(ca, c.Certs, "storage");
        var coordinatorCert = NodeCertificates.SignedWithDotNet(ca, c.Certs, "coordinator");
        var denied = why.StartsWith("its thumbprint is denied", StringComparison.Ordinal);
        var hasherCert = denied
            ? NodeCertificates.SignedWithDotNet(ca, c.Certs, "hasher-lost")
            : NodeCertificates.SignedWithDotNet(NodeCertificates.CaWithDotNet(c.Temp.Combine("other-ca")), c.Certs, "hasher-rogue");
        c.StartStorage(c.StorageConfig(TlsCluster.TlsWithCa(storageCert, ca.CertPath, denied ? [hasherCert.Thumbprint] : [])));
        // The hasher itself trusts the storage node's CA: only the storage node's refusal keeps it out.
        var hasher = c.StartHasher(TlsCluster.TlsWithCa(hasherCert, ca.CertPath));
        var hasherAddress = TlsCluster.AddressOf(hasher);
        // Refused at the handshake, logged by the storage node with the hasher's thumbprint.
        c.Storage.WaitForLine(l => l.Contains(" refused: certificate ", StringComparison.Ordinal) && l.Contains(hasherCert.Thumbprint, StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "its refusal of the hasher's certificate");
        var coordinator = c.CoordinatorConfig("coordinator.conf", TlsCluster.TlsWithCa(coordinatorCert, ca.CertPath), TimeSpan.FromSeconds(30));

        var run = c.Backup(coordinator, "week1");

        Assert.True(run.ExitCode == 0 && run.Stderr.Length == 0, $"expected exit 0 and nothing on stderr\n{run}\n{c.Storage}\n{hasher}");
        Assert.Contains("files:            4", run.StdoutLines);
        Assert.DoesNotContain(hasherAddress, FilesHashedByNode(run).Keys);
        Assert.Empty(TreeComparer.Differences(c.Source.Root, c.Snapshot("week1")));
        Assert.DoesNotContain(c.Storage.StdoutLines, l => l.Contains(hasherAddress, StringComparison.Ordinal) && l.Contains(" member-", StringComparison.Ordinal));
        Assert.DoesNotContain(hasher.StdoutLines, l => l.Contains(" member-up ", StringComparison.Ordinal));
        Assert.False(c.Storage.HasExited, c.Storage.ToString());
    }

    [Fact]
    public void Storage_node_whose_ca_certificate_is_missing_stops_with_exit_code_2_and_one_line_naming_key_and_file()
    {
        using var c = new TlsCluster();
        var ca = NodeCertificates.CaWithDotNet(c.Temp.Combine("ca"));
        var storageCert = NodeCertificates.SignedWithDotNet(ca, c.Certs, "storage");
        var missing = c.Temp.Combine("certs", "ca.crt");

        var run = PublishedCli.Run(["node", "--config", c.StorageConfig(TlsCluster.TlsWithCa(storageCert, missing))], TimeSpan.FromSeconds(60));

        Assert.True(run.ExitCode == 2 && run.StderrLines.Count == 1, $"expected exit code 2 and one line\n{run}");
        Assert.StartsWith("actorbackup: ", run.StderrLines[0]);
        Assert.Contains(missing, run.StderrLines[0]);
        Assert.Contains("actorbackup.cluster.tls.ca-certificate", run.StderrLines[0]);
        Assert.Empty(run.Stdout);
    }
}
