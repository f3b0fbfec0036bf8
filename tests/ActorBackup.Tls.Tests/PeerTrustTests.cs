using System.Security.Cryptography.X509Certificates;
using ActorBackup.Actors.Cluster;
using ActorBackup.Core;
using ActorBackup.Hosting;
using ActorBackup.Testing;
using ActorBackup.Tls.Tests.Support;
using Akka.Configuration;

namespace ActorBackup.Tls.Tests;

/// <summary>
/// Whom a node accepts at the TLS handshake (<see cref="PeerTrust"/>), without processes:
/// certificates made with .NET, the CA and deny list read from files as a node reads them.
/// </summary>
public sealed class PeerTrustTests
{
    private static X509Certificate2 Load(NodeCertificate node) => X509CertificateLoader.LoadPkcs12FromFile(node.PfxPath, node.Password);

    /// <summary>The settings of a node with TLS on and <paramref name="tls"/>, over the embedded reference files.</summary>
    private static ClusterSettings Settings(string tls) => ClusterSettings.From(
        ConfigurationFactory.ParseString($"actorbackup.cluster.tls {{ enabled = on, certificate-path = \"/etc/node.pfx\", {tls} }}")
            .WithFallback(ConfigurationFactory.ParseString(BackupSystem.ReadEmbedded("cluster.conf")))
            .WithFallback(BackupSystem.LoadConfig(null)));

    [Fact]
    public void A_peer_signed_by_the_cluster_ca_is_accepted_without_pinning_and_whatever_its_name()
    {
        using var temp = new TempDir("actorbackup-trust");
        var ca = NodeCertificates.CaWithDotNet(temp.Combine("ca"));
        using var peer = Load(NodeCertificates.SignedWithDotNet(ca, temp.Path, "hasher-on-some-other-host"));

        var trust = PeerTrust.Load(Settings($"ca-certificate = \"{ca.CertPath}\""));

        Assert.Null(trust.Refusal(peer));
    }

    [Fact]
    public void A_peer_signed_by_another_ca_of_the_same_name_is_refused()
    {
        using var temp = new TempDir("actorbackup-trust");
        var ca = NodeCertificates.CaWithDotNet(temp.Combine("ca"));
        var impostor = NodeCertificates.CaWithDotNet(temp.Combine("other-ca")); // same subject, other key
        using var peer = Load(NodeCertificates.SignedWithDotNet(impostor, temp.Path, "rogue"));

        var refusal = PeerTrust.Load(Settings($"ca-certificate = \"{ca.CertPath}\"")).Refusal(peer);

        Assert.NotNull(refusal);
        Assert.Contains("neither pinned nor signed by the cluster CA", refusal);
    }

    [Fact]
    public void A_denied_thumbprint_is_refused_though_ca_signed_and_pinned()
    {
        using var temp = new TempDir("actorbackup-trust");
        var ca = NodeCertificates.CaWithDotNet(temp.Combine("ca"));
        var node = NodeCertificates.SignedWithDotNet(ca, temp.Path, "hasher-lost");
        using var peer = Load(node);
        var colons = string.Join(':', node.Thumbprint.ToLowerInvariant().Chunk(2).Select(c => new string(c)));

        var trust = PeerTrust.Load(Settings($"ca-certificate = \"{ca.CertPath}\", pinned-thumbprints = [\"{node.Thumbprint}\"], denied-thumbprints = [\"{colons}\"]"));

        Assert.Contains("is denied", trust.Refusal(peer));
    }

    [Fact]
    public void A_thumbprint_in_the_denied_thumbprints_file_is_refused()
    {
        using var temp = new TempDir("actorbackup-trust");
        var ca = NodeCertificates.CaWithDotNet(temp.Combine("ca"));
        var denied = NodeCertificates.SignedWithDotNet(ca, temp.Path, "hasher-lost");
        var kept = NodeCertificates.SignedWithDotNet(ca, temp.Path, "hasher-kept");
        var file = temp.Combine("denied.txt");
        File.WriteAllText(file, $"# hasher-lost, stolen 2026-12-01\n\n  {denied.Thumbprint}  \n");
        using var deniedPeer = Load(denied);
        using var keptPeer = Load(kept);

        var trust = PeerTrust.Load(Settings($"ca-certificate = \"{ca.CertPath}\", denied-thumbprints-file = \"{file}\""));

        Assert.Contains("is denied", trust.Refusal(deniedPeer));
        Assert.Null(trust.Refusal(keptPeer));
    }

    [Fact]
    public void A_ca_signed_certificate_that_is_itself_a_ca_is_refused()
    {
        using var temp = new TempDir("actorbackup-trust");
        var ca = NodeCertificates.CaWithDotNet(temp.Combine("ca"));
        using var peer = Load(NodeCertificates.SignedWithDotNet(ca, temp.Path, "sub-ca", isCa: true));

        var refusal = PeerTrust.Load(Settings($"ca-certificate = \"{ca.CertPath}\"")).Refusal(peer);

        Assert.Contains("itself a CA", refusal);
    }

    [Fact]
    public void Pinning_alone_still_accepts_a_pinned_self_signed_peer_and_refuses_any_other()
    {
        using var temp = new TempDir("actorbackup-trust");
        var pinned = NodeCertificates.WithDotNet(temp.Path, "storage");
        var other = NodeCertificates.WithDotNet(temp.Path, "rogue");
        using var pinnedPeer = Load(pinned);
        using var otherPeer = Load(other);

        var trust = PeerTrust.Load(Settings($"pinned-thumbprints = [\"{pinned.Thumbprint}\"]"));

        Assert.Null(trust.Refusal(pinnedPeer));
        Assert.Contains("not in pinned-thumbprints", trust.Refusal(otherPeer));
    }

    [Fact]
    public void With_a_ca_a_pinned_self_signed_peer_is_accepted_too()
    {
        using var temp = new TempDir("actorbackup-trust");
        var ca = NodeCertificates.CaWithDotNet(temp.Combine("ca"));
        var pinned = NodeCertificates.WithDotNet(temp.Path, "old-storage");
        using var peer = Load(pinned);

        var trust = PeerTrust.Load(Settings($"ca-certificate = \"{ca.CertPath}\", pinned-thumbprints = [\"{pinned.Thumbprint}\"]"));

        Assert.Null(trust.Refusal(peer));
    }

    [Theory]
    [InlineData("missing CA file")]
    [InlineData("CA file is a node's certificate")]
    [InlineData("CA file is not PEM")]
    [InlineData("missing denied file")]
    [InlineData("denied file has a bad line")]
    public void A_trust_file_that_is_wrong_is_a_usage_error_naming_its_key_and_path(string wrong)
    {
        using var temp = new TempDir("actorbackup-trust");
        var node = NodeCertificates.WithDotNet(temp.Path, "storage");
        var nodePem = temp.Combine("node.crt");
        using (var certificate = Load(node))
            File.WriteAllText(nodePem, certificate.ExportCertificatePem());
        var junk = temp.Combine("junk");
        File.WriteAllText(junk, "not a certificate\n");
        var badList = temp.Combine("denied.txt");
        File.WriteAllText(badList, $"{node.Thumbprint}\nABCD\n");
        var missing = temp.Combine("missing");
        var (tls, key, path) = wrong switch
        {
            "missing CA file" => ($"ca-certificate = \"{missing}\"", "ca-certificate", missing),
            "CA file is a node's certificate" => ($"ca-certificate = \"{nodePem}\"", "ca-certificate", nodePem),
            "CA file is not PEM" => ($"ca-certificate = \"{junk}\"", "ca-certificate", junk),
            "missing denied file" => ($"pinned-thumbprints = [\"{node.Thumbprint}\"], denied-thumbprints-file = \"{missing}\"", "denied-thumbprints-file", missing),
            _ => ($"pinned-thumbprints = [\"{node.Thumbprint}\"], denied-thumbprints-file = \"{badList}\"", "denied-thumbprints-file", badList + " line 2"),
        };

        var e = Assert.Throws<UserError>(() => PeerTrust.Load(Settings(tls)));

        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.Contains(path, e.Message);
        Assert.Contains($"actorbackup.cluster.tls.{key}", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Tls_with_neither_a_ca_nor_a_pinned_thumbprint_is_a_usage_error_naming_both_keys()
    {
        var e = Assert.Throws<UserError>(() => Settings("ca-certificate = \"\""));

        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.Contains("ca-certificate", e.Message);
        Assert.Contains("pinned-thumbprints", e.Message);
    }
}
