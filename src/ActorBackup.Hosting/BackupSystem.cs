using ActorBackup.Actors;
using ActorBackup.Core;
using Akka.Actor;
using Akka.Configuration;

namespace ActorBackup.Hosting;

/// <summary>
/// Builds the ActorSystem for a run from hocon/actorbackup.conf (embedded) and an optional
/// --config file. On one machine everything runs in this one process, with the local actor
/// provider: no network listener.
/// </summary>
public static class BackupSystem
{
    /// <summary>The embedded reference configuration, with <paramref name="configFile"/> (if any) over it.</summary>
    public static Config LoadConfig(string? configFile)
    {
        var reference = ConfigurationFactory.ParseString(ReadEmbedded("actorbackup.conf"));
        if (configFile is null)
            return reference;
        return ParseFile(configFile).WithFallback(reference);
    }

    /// <summary>How an error line names the file a key comes from.</summary>
    public static string Source(string? configFile) =>
        configFile is null ? "the file given with --config" : $"configuration file {configFile}";

    /// <summary>Parses a HOCON file given on the command line, with one clear line when it is wrong.</summary>
    public static Config ParseFile(string configFile) => ConfigFile.Parse(configFile);

    /// <summary>Dedicated threads of the hash and io dispatchers, sized from the settings.</summary>
    public static Config Sized(BackupSettings settings) => ConfigurationFactory.ParseString($"""
        actorbackup.dispatchers.hash.dedicated-thread-pool.thread-count = {settings.Hashers}
        actorbackup.dispatchers.io.dedicated-thread-pool.thread-count = {settings.Walkers + settings.Copiers}
        """);

    public static string ReadEmbedded(string name)
    {
        using var stream = typeof(BackupSystem).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Creates the local actor system, sizing the dispatchers' dedicated threads from the settings.</summary>
    public static ActorSystem Create(Config config, BackupSettings settings) =>
        ActorSystem.Create("actorbackup", Sized(settings).WithFallback(config));
}
