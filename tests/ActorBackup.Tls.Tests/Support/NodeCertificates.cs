using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorBackup.Testing;

namespace ActorBackup.Tls.Tests.Support;

/// <summary>One node's PFX, its password, and the SHA1 thumbprint other nodes pin.</summary>
internal sealed record NodeCertificate(string Name, string PfxPath, string Password, string Thumbprint);

/// <summary>
/// Makes self-signed node certificates two ways: with .NET's CertificateRequest (no external
/// tool) or with deploy/make-node-cert.sh (openssl), the way an operator does.
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

    /// <summary>deploy/make-node-cert.sh NAME PFX with the password in its environment; the thumbprint is what it printed.</summary>
    public static NodeCertificate WithScript(string folder, string name)
    {
        var password = NewPassword();
        var pfx = Path.Combine(folder, name + ".pfx");
        var run = RunScript([name, pfx], password, folder);
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
