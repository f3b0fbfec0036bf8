using System.Security.Cryptography.X509Certificates;
using ActorBackup.Testing;
using ActorBackup.Tls.Tests.Support;

namespace ActorBackup.Tls.Tests;

/// <summary>
/// deploy/make-node-cert.sh as an operator runs it. With openssl missing (it is on Debian by
/// default) nothing is installed: the script must then say so and make nothing.
/// </summary>
public sealed class MakeNodeCertScriptTests
{
    [Fact]
    public void Make_node_cert_script_makes_a_two_year_pfx_and_prints_its_sha1_thumbprint()
    {
        using var temp = new TempDir("actorbackup-cert");
        var tmp = temp.CreateFolder("tmp");
        var pfx = temp.Combine("storage-1.pfx");
        var password = NodeCertificates.NewPassword();

        var run = NodeCertificates.RunScript(["storage-1", pfx], password, tmp);

        if (NodeCertificates.Openssl is null)
        {
            Assert.True(run.ExitCode == 1 && run.StderrLines.Count == 1 && run.StderrLines[0].Contains("openssl is not installed"), run.ToString());
            Assert.False(File.Exists(pfx));
            return;
        }
        Assert.True(run.ExitCode == 0 && run.StdoutLines.Count == 1 && run.Stderr.Length == 0, run.ToString());
        var thumbprint = run.StdoutLines[0];
        Assert.Matches("^[0-9A-F]{40}$", thumbprint);
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(pfx, password);
        Assert.Equal(certificate.Thumbprint, thumbprint);
        Assert.Equal("CN=storage-1", certificate.Subject);
        Assert.Equal(certificate.Subject, certificate.Issuer); // self-signed
        Assert.True(certificate.HasPrivateKey);
        var days = (certificate.NotAfter - certificate.NotBefore).TotalDays;
        Assert.InRange(days, 729, 731);
        Assert.InRange(certificate.NotBefore, DateTime.Now.AddDays(-1), DateTime.Now.AddMinutes(1));
        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value).ToList();
        Assert.Contains(NodeCertificates.ServerAuth, usages);
        Assert.Contains(NodeCertificates.ClientAuth, usages);
        Assert.Equal("600", Octal.Format(PosixFs.ModeOf(PosixFs.Lstat(pfx))));
        Assert.Throws<System.Security.Cryptography.CryptographicException>(() => X509CertificateLoader.LoadPkcs12FromFile(pfx, password + "x"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp)); // the unencrypted key is gone
    }

    [Fact]
    public void Make_node_cert_script_refuses_without_a_password_and_makes_nothing()
    {
        using var temp = new TempDir("actorbackup-cert");
        var tmp = temp.CreateFolder("tmp");
        var pfx = temp.Combine("storage-1.pfx");

        var run = NodeCertificates.RunScript(["storage-1", pfx], null, tmp);

        Assert.True(run.ExitCode == 2 && run.StderrLines.Count == 1 && run.StderrLines[0].Contains("ACTORBACKUP_CERT_PASSWORD"), run.ToString());
        Assert.Empty(run.Stdout);
        Assert.False(File.Exists(pfx));
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp));
    }

    [Fact]
    public void Make_node_cert_script_never_overwrites_a_pfx_whose_thumbprint_may_be_pinned()
    {
        using var temp = new TempDir("actorbackup-cert");
        var tmp = temp.CreateFolder("tmp");
        var pfx = temp.Combine("storage-1.pfx");
        File.WriteAllBytes(pfx, [1, 2, 3]);

        var run = NodeCertificates.RunScript(["storage-1", pfx], NodeCertificates.NewPassword(), tmp);

        Assert.True(run.ExitCode != 0 && run.StderrLines.Count == 1 && run.StderrLines[0].Contains(pfx), run.ToString());
        Assert.Empty(run.Stdout);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(pfx));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("CN=x,O=y")]
    [InlineData("")]
    public void Make_node_cert_script_refuses_a_node_name_that_is_not_a_plain_name(string name)
    {
        using var temp = new TempDir("actorbackup-cert");
        var tmp = temp.CreateFolder("tmp");
        var pfx = temp.Combine("node.pfx");

        var run = NodeCertificates.RunScript([name, pfx], NodeCertificates.NewPassword(), tmp);

        Assert.True(run.ExitCode == 2 && run.StderrLines.Count == 1, run.ToString());
        Assert.Empty(run.Stdout);
        Assert.False(File.Exists(pfx));
    }
}
