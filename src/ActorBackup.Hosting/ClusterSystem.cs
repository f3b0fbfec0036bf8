using System.Security.Cryptography.X509Certificates;
using ActorBackup.Actors;
using ActorBackup.Actors.Cluster;
using ActorBackup.Core;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;

namespace ActorBackup.Hosting;

/// <summary>
/// Builds the ActorSystem of a cluster node: hocon/actorbackup.conf, hocon/cluster.conf
/// (both embedded) and the role file given on the command line, in that order of weight.
/// With TLS on, nodes accept only the peers <see cref="PeerTrust"/> accepts: pinned, or signed
/// by the cluster CA, and not denied.
/// </summary>
public static class ClusterSystem
{
    /// <summary>
    /// The embedded references, the role file over them and, for a coordinator, its --config
    /// file over that; the akka keys are checked for a cluster node.
    /// </summary>
    public static Config LoadConfig(string roleFile, string? configFile = null)
    {
        var reference = ConfigurationFactory.ParseString(BackupSystem.ReadEmbedded("cluster.conf"))
            .WithFallback(BackupSystem.LoadConfig(null));
        var config = BackupSystem.ParseFile(roleFile).WithFallback(reference);
        if (configFile is not null)
            config = BackupSystem.ParseFile(configFile).WithFallback(config);
        AkkaSection.CheckCluster(config, Source(roleFile, configFile));
        return config;
    }

    /// <summary>How an error line names the files a key may come from.</summary>
    public static string Source(string roleFile, string? configFile = null) =>
        configFile is null ? $"configuration file {roleFile}" : $"configuration file {roleFile} or {configFile}";

    public static ActorSystem Create(Config config, BackupSettings settings, ClusterSettings cluster, string source)
    {
        PortProbe.CheckPublicHostname(config.GetString("akka.remote.dot-netty.tcp.public-hostname", ""), config.GetString("akka.remote.dot-netty.tcp.hostname"),
            config.GetStringList("akka.cluster.seed-nodes"), source);
        PortProbe.EnsureFree(config.GetString("akka.remote.dot-netty.tcp.hostname"), config.GetInt("akka.remote.dot-netty.tcp.port"), source);
        var full = Named(config, cluster.NodeName).WithFallback(BackupSystem.Sized(settings)).WithFallback(config);
        var setup = BootstrapSetup.Create();
        if (!cluster.TlsEnabled)
            return BackupSystem.Started(() => ActorSystem.Create("actorbackup", setup.WithConfig(full)));

        if (!File.Exists(cluster.CertificatePath))
            throw new UserError(ExitCode.Usage, $"node certificate {cluster.CertificatePath} does not exist; check actorbackup.cluster.tls.certificate-path (deploy/make-node-cert.sh makes one)");
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(cluster.CertificatePath, cluster.CertificatePassword);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new UserError(ExitCode.Usage, $"cannot load the node certificate {cluster.CertificatePath}: {e.Message}; check actorbackup.cluster.tls");
        }
        var tls = ConfigurationFactory.ParseString($$"""
            akka.remote.dot-netty.tcp {
              enable-ssl = true
              ssl {
                suppress-validation = false
                certificate { path = "{{Quote(cluster.CertificatePath)}}", password = "{{Quote(cluster.CertificatePassword)}}" }
              }
            }
            """);
        var trust = PeerTrust.Load(cluster);
        var ssl = new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: true, trust.Validator);
        return BackupSystem.Started(() => ActorSystem.Create("actorbackup", ActorSystemSetup.Create(setup.WithConfig(tls.WithFallback(full)), ssl)));
    }

    /// <summary>
    /// The node's name as a cluster role (every member learns it with the membership) and as
    /// the effective node-name key, which the logger reads.
    /// </summary>
    private static Config Named(Config config, string name)
    {
        var roles = config.GetStringList("akka.cluster.roles").Where(r => !r.StartsWith(NodeNames.RolePrefix, StringComparison.Ordinal))
            .Append(NodeNames.Role(name)).Select(r => $"\"{Quote(r)}\"");
        return ConfigurationFactory.ParseString($"akka.cluster.roles = [{string.Join(", ", roles)}]\nactorbackup.cluster.node-name = \"{Quote(name)}\"");
    }

    /// <summary>Escapes a value for a quoted HOCON string (a password may hold quotes and backslashes).</summary>
    private static string Quote(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"");
}
