using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorBackup.Testing;

namespace ActorBackup.Tls.Tests.Support;

/// <summary>One node's PFX, its password, and the SHA1 thumbprint other nodes pin.</summary>
internal sealed record NodeCertificate(string Name, string PfxPath, string Password, string Thumbprint);

/// <summary>A cluster CA: its folder, holding ca.crt (PEM, what nodes trust) and ca.key (what signs).</summary>
internal sealed record ClusterCa(string Folder)
{
    public string CertPath => Path.Combine(Folder, "ca.crt");

    public string KeyPath => Path.Combine(Folder, "ca.key");
}

/// <summary>
/// Makes node certificates, self-signed or signed by a cluster CA, two ways: with .NET's
/// CertificateRequest (no external tool) or with deploy/make-node-cert.sh (openssl), the way an
/// operator does.
/// </summary>
internal static class NodeCertificates
{
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    public static string Script => Path.Combine(RepoPaths.Root, "deploy", "make-node-cert.sh");

    /// <summary>openssl on PATH, or null. Nothing is installed when it is missing.</summary>
    public static string? Openssl { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, "openssl"))
        .FirstOrDefault(File.Exists);

    /// <summary>A fresh random password, so a test notices when the password is not used.</summary>
    public static string NewPassword() => Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    /// <summary>RSA 2048, CN = <paramref name="name"/>, valid from yesterday for 2 years, for TLS server and client.</summary>
    public static NodeCertificate WithDotNet(string folder, string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuth), new Oid(ClientAuth)], critical: false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(2));
        var password = NewPassword();
        var pfx = Path.Combine(folder, name + ".pfx");
        File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pfx, password));
        return new NodeCertificate(name, pfx, password, certificate.Thumbprint);
    }

    /// <summary>
    /// A cluster CA in <paramref name="folder"/> as make-node-cert.sh --make-ca makes one (CA:TRUE,
    /// path length 0, 10 years), made with .NET; <paramref name="subject"/> lets two CAs share a name.
    /// </summary>
    public static ClusterCa CaWithDotNet(string folder, string subject = "CN=ActorBackup cluster CA")
    {
        Directory.CreateDirectory(folder);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        var ca = new ClusterCa(folder);
        File.WriteAllText(ca.CertPath, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(ca.KeyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        return ca;
    }

    /// <summary>A node certificate (RSA 2048, CN = <paramref name="name"/>, 2 years, not a CA unless <paramref name="isCa"/>) signed by <paramref name="ca"/>, made with .NET.</summary>
    public static NodeCertificate SignedWithDotNet(ClusterCa ca, string folder, string name, bool isCa = false)
    {
        using var caCertificate = X509Certificate2.CreateFromPemFile(ca.CertPath, ca.KeyPath);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuth), new Oid(ClientAuth)], critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(caCertificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var now = DateTimeOffset.UtcNow;
        using var signed = request.Create(caCertificate, now.AddDays(-1), now.AddYears(2), RandomNumberGenerator.GetBytes(16));
        using var withKey = signed.CopyWithPrivateKey(key);
        var password = NewPassword();
        var pfx = Path.Combine(folder, name + ".pfx");
        File.WriteAllBytes(pfx, withKey.Export(X509ContentType.Pfx, password));
        return new NodeCertificate(name, pfx, password, withKey.Thumbprint);
    }

    /// <summary>deploy/make-node-cert.sh --make-ca <paramref name="folder"/>.</summary>
    public static ClusterCa CaWithScript(string folder)
    {
        var run = RunScript(["--make-ca", folder], null, Path.GetDirectoryName(folder)!);
        if (run.ExitCode != 0 || run.StdoutLines.Count != 1)
            Assert.Fail($"make-node-cert.sh --make-ca did not make a CA\n{run}");
        return new ClusterCa(folder);
    }

    /// <summary>deploy/make-node-cert.sh [--ca DIR] NAME PFX with the password in its environment; the thumbprint is what it printed.</summary>
    public static NodeCertificate WithScript(string folder, string name, ClusterCa? ca = null)
    {
        var password = NewPassword();
        var pfx = Path.Combine(folder, name + ".pfx");
        var run = RunScript(ca is null ? [name, pfx] : ["--ca", ca.Folder, name, pfx], password, folder);
        if (run.ExitCode != 0 || run.StdoutLines.Count != 1)
            Assert.Fail($"make-node-cert.sh did not make a certificate\n{run}");
        return new NodeCertificate(name, pfx, password, run.StdoutLines[0]);
    }

    /// <summary>Runs the script with ACTORBACKUP_CERT_PASSWORD = <paramref name="password"/> (unset when null) and TMPDIR = <paramref name="tmp"/>.</summary>
    public static ProcessResult RunScript(IReadOnlyList<string> args, string? password, string tmp)
    {
        var start = PublishedCli.Redirected(Script, args);
        start.Environment.Remove("ACTORBACKUP_CERT_PASSWORD");
        if (password is not null)
            start.Environment["ACTORBACKUP_CERT_PASSWORD"] = password;
        start.Environment["TMPDIR"] = tmp;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"make-node-cert.sh {string.Join(' ', args)} did not finish within 60 s and was killed");
        }
        process.WaitForExit();
        return new ProcessResult("make-node-cert.sh", process.ExitCode, stdout.Result, stderr.Result, process.Id, clock.Elapsed, args.ToList());
    }
}
