using System.Security.Cryptography.X509Certificates;
using ActorBackup.Testing;
using ActorBackup.Tls.Tests.Support;

namespace ActorBackup.Tls.Tests;

/// <summary>
/// deploy/make-node-cert.sh as an operator runs it. With openssl missing (it is on Debian by
/// default) nothing is installed: the script must then say so and make nothing.
/// </summary>
/// <remarks>The cluster CA (--make-ca, --ca) is checked with openssl itself (openssl verify), so those tests need it.</remarks>
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

    /// <summary>openssl ARGS, for checking what the script made: its exit code and what it printed (both streams).</summary>
    private static (int ExitCode, string Output) Openssl(params string[] args)
    {
        var start = PublishedCli.Redirected(NodeCertificates.Openssl!, args);
        using var process = System.Diagnostics.Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void Make_ca_makes_a_ten_year_ca_with_path_length_0_in_a_private_folder_and_never_overwrites_it()
    {
        if (NodeCertificates.Openssl is null)
            return; // nothing to check without openssl; the refusal is tested above
        using var temp = new TempDir("actorbackup-cert");
        var tmp = temp.CreateFolder("tmp");
        var dir = temp.Combine("ca");

        var run = NodeCertificates.RunScript(["--make-ca", dir], null, tmp);

        Assert.True(run.ExitCode == 0 && run.StdoutLines.Count == 1 && run.Stderr.Length == 0, run.ToString());
        Assert.Equal("700", Octal.Format(PosixFs.ModeOf(PosixFs.Lstat(dir))));
        Assert.Equal("600", Octal.Format(PosixFs.ModeOf(PosixFs.Lstat(dir + "/ca.key"))));
        Assert.Equal("644", Octal.Format(PosixFs.ModeOf(PosixFs.Lstat(dir + "/ca.crt"))));
        using var ca = X509CertificateLoader.LoadCertificateFromFile(dir + "/ca.crt");
        Assert.Equal(ca.Thumbprint, run.StdoutLines[0]);
        Assert.Equal(ca.Subject, ca.Issuer);
        var constraints = ca.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(constraints.Critical && constraints.CertificateAuthority && constraints.HasPathLengthConstraint && constraints.PathLengthConstraint == 0);
        Assert.InRange((ca.NotAfter - ca.NotBefore).TotalDays, 3649, 3651);
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp));
        var key = File.ReadAllBytes(dir + "/ca.key");
        var cert = File.ReadAllBytes(dir + "/ca.crt");

        var again = NodeCertificates.RunScript(["--make-ca", dir], null, tmp);

        Assert.True(again.ExitCode == 1 && again.StderrLines.Count == 1 && again.StderrLines[0].Contains(dir), again.ToString());
        Assert.Empty(again.Stdout);
        Assert.Equal(key, File.ReadAllBytes(dir + "/ca.key"));
        Assert.Equal(cert, File.ReadAllBytes(dir + "/ca.crt"));
    }

    [Fact]
    public void With_ca_the_node_certificate_is_signed_by_the_ca_verifies_with_openssl_and_is_not_a_ca()
    {
        if (NodeCertificates.Openssl is null)
            return;
        using var temp = new TempDir("actorbackup-cert");
        var tmp = temp.CreateFolder("tmp");
        var ca = NodeCertificates.CaWithScript(temp.Combine("ca"));
        var pfx = temp.Combine("hasher-3.pfx");
        var password = NodeCertificates.NewPassword();

        var run = NodeCertificates.RunScript(["--ca", ca.Folder, "hasher-3", pfx], password, tmp);

        Assert.True(run.ExitCode == 0 && run.StdoutLines.Count == 1 && run.Stderr.Length == 0, run.ToString());
        var certificates = X509CertificateLoader.LoadPkcs12CollectionFromFile(pfx, password);
        var node = Assert.Single(certificates); // the node's certificate only: ca.crt travels on its own
        Assert.Equal(node.Thumbprint, run.StdoutLines[0]);
        Assert.Equal("CN=hasher-3", node.Subject);
        Assert.Equal("CN=ActorBackup cluster CA", node.Issuer);
        Assert.True(node.HasPrivateKey);
        Assert.False(node.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.InRange((node.NotAfter - node.NotBefore).TotalDays, 729, 731);
        Assert.Equal("600", Octal.Format(PosixFs.ModeOf(PosixFs.Lstat(pfx))));
        var pem = temp.Combine("hasher-3.crt");
        File.WriteAllText(pem, node.ExportCertificatePem() + "\n");
        Assert.Equal((0, $"{pem}: OK\n"), Openssl("verify", "-CAfile", ca.CertPath, "-purpose", "sslclient", pem));
        Assert.Equal((0, $"{pem}: OK\n"), Openssl("verify", "-CAfile", ca.CertPath, "-purpose", "sslserver", pem));
        // Against another CA of the same name it does not verify.
        var other = NodeCertificates.CaWithScript(temp.Combine("other-ca"));
        Assert.NotEqual(0, Openssl("verify", "-CAfile", other.CertPath, pem).ExitCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp)); // the unencrypted key is gone
        Assert.Equal(["ca.crt", "ca.key"], Directory.GetFiles(ca.Folder).Select(f => Path.GetFileName(f)).Order().ToArray()); // no serial file or other leftovers next to the CA key
    }

    [Fact]
    public void With_ca_a_folder_without_a_ca_is_refused_and_nothing_is_made()
    {
        using var temp = new TempDir("actorbackup-cert");
        var tmp = temp.CreateFolder("tmp");
        var empty = temp.CreateFolder("no-ca");
        var pfx = temp.Combine("hasher-3.pfx");

        var run = NodeCertificates.RunScript(["--ca", empty, "hasher-3", pfx], NodeCertificates.NewPassword(), tmp);

        Assert.True(run.ExitCode == 2 && run.StderrLines.Count == 1 && run.StderrLines[0].Contains("--make-ca"), run.ToString());
        Assert.Empty(run.Stdout);
        Assert.False(File.Exists(pfx));
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp));
    }
}
