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
    /// <summary>
    /// The embedded reference configuration, with <paramref name="configFile"/> (if any) over it;
    /// its akka keys are checked for a run in this one process.
    /// </summary>
    public static Config LoadConfig(string? configFile)
    {
        var reference = ConfigurationFactory.ParseString(ReadEmbedded("actorbackup.conf"));
        if (configFile is null)
            return reference;
        var config = ParseFile(configFile).WithFallback(reference);
        AkkaSection.CheckLocal(config, Source(configFile));
        return config;
    }

    /// <summary>How an error line names the file a key comes from.</summary>
    public static string Source(string? configFile) =>
        configFile is null ? "the file given with --config" : $"configuration file {configFile}";

    /// <summary>Parses a HOCON file given on the command line, with one clear line when it is wrong.</summary>
    public static Config ParseFile(string configFile) => ConfigFile.Parse(configFile);

    /// <summary>Dedicated threads of the hash and io dispatchers, sized from the settings.</summary>
    public static Config Sized(BackupSettings settings) => ConfigurationFactory.ParseString($"""
        actorbackup.dispatchers.hash.dedicated-thread-pool.thread-count = {settings.Hashers}
        actorbackup.dispatchers.io.dedicated-thread-pool.thread-count = {settings.Walkers + settings.Copiers + settings.LinkWorkers}
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
        Started(() => ActorSystem.Create("actorbackup", Sized(settings).WithFallback(config)));

    /// <summary>
    /// Starts an actor system; a configuration Akka refuses at start (an akka key the checks
    /// do not cover) stops with exit code 2 and Akka's reason, not as an internal error.
    /// </summary>
    public static ActorSystem Started(Func<ActorSystem> create)
    {
        try
        {
            return create();
        }
        catch (Exception e) when (Cause(e) is ConfigurationException or ArgumentException or FormatException or NotSupportedException or TypeLoadException or InvalidCastException)
        {
            throw new UserError(ExitCode.Usage, $"the actor system refused the configuration ({Akka(Cause(e))}); check the akka section of the configuration file");
        }
    }

    /// <summary>Akka makes some of its parts by reflection (the scheduler, the guardian's strategy): their failure is inside.</summary>
    private static Exception Cause(Exception e) =>
        e is System.Reflection.TargetInvocationException { InnerException: { } inner } ? Cause(inner) : e;

    /// <summary>Akka's message, first line only and cut short: the CLI prints one line.</summary>
    private static string Akka(Exception e)
    {
        var line = e.Message.Split('\n')[0].Trim();
        return line.Length > 200 ? line[..200] + "..." : line;
    }
}
