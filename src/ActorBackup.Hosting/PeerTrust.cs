using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorBackup.Actors.Cluster;
using ActorBackup.Core;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace ActorBackup.Hosting;

/// <summary>
/// Whom a node accepts at the TLS handshake (both ways: it dials the peer, or the peer dials
/// it): a peer whose certificate thumbprint is pinned, or whose certificate the cluster CA
/// signed directly and that is not itself a CA; never one whose thumbprint is denied, however
/// it got in otherwise. The OS trust store plays no part, nor do host names: nodes dial
/// addresses, and a node is who its certificate says it is (as with pinning alone).
/// </summary>
public sealed class PeerTrust
{
    private readonly HashSet<string> _pinned;
    private readonly HashSet<string> _denied;
    private readonly X509Certificate2Collection _authorities;

    /// <param name="pinned">Thumbprints accepted whoever signed them (upper-case hex, no colons).</param>
    /// <param name="denied">Thumbprints always refused (upper-case hex, no colons).</param>
    /// <param name="authorities">CA certificates whose direct signature is trusted; empty for none.</param>
    public PeerTrust(IEnumerable<string> pinned, IEnumerable<string> denied, X509Certificate2Collection authorities)
    {
        _pinned = pinned.ToHashSet(StringComparer.OrdinalIgnoreCase);
        _denied = denied.ToHashSet(StringComparer.OrdinalIgnoreCase);
        _authorities = authorities;
    }

    /// <summary>
    /// Reads the CA file and the deny-list file named in <paramref name="cluster"/>; a file
    /// missing, unreadable or of the wrong content is a usage error naming its key and path.
    /// </summary>
    public static PeerTrust Load(ClusterSettings cluster)
    {
        var authorities = cluster.CaCertificatePath.Length == 0 ? [] : Authorities(cluster.CaCertificatePath);
        var denied = cluster.DeniedThumbprintsFile.Length == 0 ? [] : DeniedFile(cluster.DeniedThumbprintsFile);
        return new PeerTrust(cluster.PinnedThumbprints, cluster.DeniedThumbprints.Concat(denied), authorities);
    }

    /// <summary>The check Akka runs at every handshake; a refusal is logged with the peer's thumbprint and why.</summary>
    public CertificateValidationCallback Validator => (certificate, _, peer, _, log) =>
    {
        var refusal = Refusal(certificate);
        if (refusal is null)
            return true;
        log?.Warning("TLS peer {0} refused: certificate {1} thumbprint {2} {3}", peer, certificate?.Subject, certificate?.Thumbprint, refusal);
        return false;
    };

    /// <summary>Null when <paramref name="peer"/> is accepted, else why not (for the log).</summary>
    public string? Refusal(X509Certificate2? peer)
    {
        if (peer is null)
            return "missing: the peer showed no certificate";
        if (_denied.Contains(peer.Thumbprint))
            return "is denied (actorbackup.cluster.tls.denied-thumbprints)";
        if (_pinned.Contains(peer.Thumbprint))
            return null;
        if (_authorities.Count == 0)
            return "is not in pinned-thumbprints (and no ca-certificate is set)";
        if (peer.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority))
            return "is itself a CA certificate, not a node's";
        var problem = ChainProblem(peer);
        return problem is null ? null : $"is neither pinned nor signed by the cluster CA ({problem})";
    }

    /// <summary>Null when <paramref name="peer"/>'s chain ends in one of our CAs and is valid now, else the chain's status.</summary>
    private string? ChainProblem(X509Certificate2 peer)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        // A private CA publishes no revocation lists: denied-thumbprints is the revocation.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (chain.Build(peer))
            return null;
        var status = chain.ChainStatus.Select(s => s.Status.ToString()).Distinct().ToList();
        return status.Count == 0 ? "chain not built" : string.Join(", ", status);
    }

    private static X509Certificate2Collection Authorities(string path)
    {
        const string key = "actorbackup.cluster.tls.ca-certificate";
        if (!File.Exists(path))
            throw new UserError(ExitCode.Usage, $"cluster CA certificate {path} does not exist; check {key} (deploy/make-node-cert.sh --make-ca DIR makes DIR/ca.crt)");
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new UserError(ExitCode.Usage, $"cannot read the cluster CA certificate {path}: {e.Message}; check {key}");
        }
        if (authorities.Count == 0)
            throw new UserError(ExitCode.Usage, $"cluster CA certificate {path} holds no PEM certificate; {key} must name the CA's ca.crt");
        var notCa = authorities.FirstOrDefault(c => !c.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority));
        if (notCa is not null)
            throw new UserError(ExitCode.Usage, $"cluster CA certificate {path} holds {notCa.Subject}, which is not a CA certificate; {key} must name the CA's ca.crt, not a node's certificate");
        return authorities;
    }

    private static List<string> DeniedFile(string path)
    {
        const string key = "actorbackup.cluster.tls.denied-thumbprints-file";
        if (!File.Exists(path))
            throw new UserError(ExitCode.Usage, $"denied-thumbprints file {path} does not exist; check {key}");
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError(ExitCode.Usage, $"cannot read the denied-thumbprints file {path}: {e.Message}; check {key}");
        }
        var denied = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            if (!ClusterSettings.IsThumbprint(line))
                throw new UserError(ExitCode.Usage, $"denied-thumbprints file {path} line {i + 1} is not a SHA1 thumbprint (40 hex digits, colons allowed); fix the file named by {key}");
            denied.Add(ClusterSettings.Normalize(line));
        }
        return denied;
    }
}
