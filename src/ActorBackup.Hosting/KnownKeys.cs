using System.Text;
using ActorBackup.Core;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace ActorBackup.Hosting;

/// <summary>
/// The keys a configuration file may set, taken from the reference files: at the top, only
/// actorbackup and akka; under actorbackup, only keys hocon/actorbackup.conf or
/// hocon/cluster.conf hold (a misspelt key would be ignored without a word); and where a
/// reference file holds an object (actorbackup, akka, akka.actor, ...), a file must too, since
/// a value there would replace the whole section. Akka's own keys below akka are Akka's to check.
/// </summary>
public static class KnownKeys
{
    /// <summary>Objects whose keys are the user's (path-map: source folders).</summary>
    private static readonly HashSet<string> FreeObjects = ["actorbackup.cluster.path-map"];

    private static readonly Lazy<HoconValue> Reference = new(() =>
        ConfigurationFactory.ParseString(BackupSystem.ReadEmbedded("cluster.conf"))
            .WithFallback(ConfigurationFactory.ParseString(BackupSystem.ReadEmbedded("actorbackup.conf"))).Root);

    public static void Check(Config config, string file) => Walk(config.Root, Reference.Value, "", strict: true, file);

    private static void Walk(HoconValue value, HoconValue reference, string path, bool strict, string file)
    {
        if (!reference.IsObject())
            return;
        if (!value.IsObject())
            throw Wrong(path, "must be an object { ... } as in the reference files", file);
        if (FreeObjects.Contains(path))
            return;
        var known = reference.GetObject().Items;
        foreach (var (key, child) in value.GetObject().Items)
        {
            var childPath = path.Length == 0 ? key : $"{path}.{key}";
            if (known.TryGetValue(key, out var childReference))
                Walk(child, childReference, childPath, strict && childPath != "akka", file);
            else if (strict)
                throw Wrong(childPath, "is not known: the keys are those of hocon/actorbackup.conf and hocon/cluster.conf (a typo?)", file);
        }
    }

    private static UserError Wrong(string path, string what, string file) =>
        new(ExitCode.Usage, $"configuration key {Show(path)} {what}; fix it in configuration file {file}");

    /// <summary>A key as the user wrote it, on one line and of sane length (a quoted key may hold anything).</summary>
    private static string Show(string key)
    {
        var shown = new StringBuilder();
        foreach (var c in key.Length > 100 ? key[..100] : key)
            shown.Append(char.IsControl(c) ? '?' : c);
        return key.Length > 100 ? shown + "..." : shown.ToString();
    }
}
