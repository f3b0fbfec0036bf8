using System.Globalization;
using ActorBackup.Hosting;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace ActorBackup.EndToEnd.Tests.Support;

/// <summary>One configuration file to try: what it holds, for the failure message, and its text.</summary>
internal sealed record ConfigCase(string Name, string Text, string? Key)
{
    /// <summary>The text as a failure message shows it: on one line, cut short.</summary>
    public string Shown => (Text.Length > 300 ? Text[..300] + "..." : Text).Replace("\n", "\\n");
}

/// <summary>
/// Random values of every kind for the keys of hocon/actorbackup.conf, read from the embedded
/// file itself (a key added there is fuzzed without a change here): numbers (0, negative, huge,
/// fractional, small), strings, lists, objects, booleans, durations and sizes with odd units,
/// null, substitutions (of another key, of itself, of nothing), deep nesting and includes; and
/// whole files of odd shapes (cycles, includes of odd files, a FIFO, a device, a folder, binary).
/// </summary>
internal static class ConfigValues
{
    /// <summary>The leaf keys of the embedded hocon/actorbackup.conf and their defaults (as text), in file order.</summary>
    public static IReadOnlyList<(string Key, string Default)> Keys()
    {
        var keys = new List<(string, string)>();
        void Walk(string path, HoconValue value)
        {
            if (!value.IsObject())
            {
                keys.Add((path, value.IsString() ? value.GetString() : "[]"));
                return;
            }
            foreach (var (key, child) in value.GetObject().Items)
                Walk(path.Length == 0 ? key : $"{path}.{key}", child);
        }
        Walk("", ConfigurationFactory.ParseString(BackupSystem.ReadEmbedded("actorbackup.conf")).Root);
        return keys;
    }

    /// <summary>A value for <paramref name="key"/>: a whole file setting it (some kinds need a second key).</summary>
    public static ConfigCase For(string key, string defaultValue, Random random)
    {
        var kinds = new Func<Random, string, (string Kind, string Text)>[]
        {
            (r, k) => ("near the default", $"{k} = {NearDefault(r, defaultValue)}"),
            (r, k) => ("near the default", $"{k} = {NearDefault(r, defaultValue)}"),
            (r, k) => ("number", $"{k} = {One(r, "0", "-1", "-2147483649", "1", "2", "3", "7", "64", "100", "1000", "65535", "100000", "2147483647", "4294967296", "9223372036854775807", "99999999999999999999999")}"),
            (r, k) => ("small number", $"{k} = {r.Next(0, 300).ToString(CultureInfo.InvariantCulture)}"),
            (r, k) => ("fraction", $"{k} = {One(r, "0.5", "1.5", "-0.25", "1e3", "1E-3", "0x10", ".5", "5.")}"),
            (r, k) => ("string", $"{k} = {One(r, "\"\"", "\"hello\"", "hello world", "\"ForkJoinDispatcher\"", "PinnedDispatcher", "Dispatcher", "background", "foreground", "local", "cluster", "remote", "DEBUG", "info", "OFF", "\"a\\nb\"", "\"\\u0000\"", "\"" + new string('x', 5000) + "\"", "\"\"\"triple\"\"\"")}"),
            (r, k) => ("boolean", $"{k} = {One(r, "on", "off", "true", "false", "yes", "no", "ON", "\"on\"")}"),
            (r, k) => ("list", $"{k} = {One(r, "[]", "[1]", "[1, 2, 3]", "[\"a\", \"b\"]", "[[1]]", "[on]", "[{ a = 1 }]")}"),
            (r, k) => ("object", $"{k} = {One(r, "{}", "{ a = 1 }", "{ type = PinnedDispatcher }", "{ a { b { c = 1 } } }")}"),
            (r, k) => ("null", $"{k} = null"),
            (r, k) => ("duration", $"{k} = {One(r, "0s", "1ns", "5us", "1ms", "99ms", "100ms", "1.5s", "10 minutes", "1h", "25h", "1d", "-1s", "infinite", "1w", "3 fortnights", "1000")}"),
            (r, k) => ("size", $"{k} = {One(r, "0b", "1b", "4095b", "4KiB", "64KiB", "1MiB", "16MiB", "1.5MiB", "1KB", "1kB", "4GiB", "4294975488b", "1TiB", "99999999999TiB", "1 megabytes", "12 parsecs")}"),
            (r, k) => ("substitution", One(r,
                k == "actorbackup.copiers" ? $"actorbackup.walkers = 3\n{k} = ${{actorbackup.walkers}}" : $"actorbackup.copiers = 3\n{k} = ${{actorbackup.copiers}}",
                $"{k} = ${{{k}}}",
                $"{k} = ${{actorbackup.nothing}}",
                $"{k} = ${{?HOME}}",
                $"a = ${{b}}\nb = ${{a}}\n{k} = ${{a}}",
                $"{k} = [${{{k}}}]")),
            (r, k) => ("deep nesting", One(r,
                $"{k} = {new string('[', 33)}1{new string(']', 33)}",
                $"{k} = {new string('[', 100_000)}1{new string(']', 100_000)}",
                $"{k} = {string.Concat(Enumerable.Repeat("{a = ", 40))}1{new string('}', 40)}",
                $"{k}.{string.Join('.', Enumerable.Repeat("a", 40))} = 1")),
            (r, k) => ("include", One(r,
                $"include \"missing.conf\"\n{k} = 1",
                $"{k} = 1\ninclude required(file(\"/nonexistent/x.conf\"))",
                "include \"/etc/shadow\"",
                $"include file(\"/dev/zero\")\n{k} = 2")),
            (r, k) => ("syntax", One(r, $"{k} = \"unclosed", $"{k} = [1, 2", $"{k} = [1 2}}", $"{k} {{ = 1", $"{k} = }}", $"{k} += 1", $"{k}")),
        };
        var (kind, text) = kinds[random.Next(kinds.Length)](random, key);
        return new ConfigCase($"{key}: {kind}", text + "\n", key);
    }

    /// <summary>Whole files of odd shapes, each tried once.</summary>
    public static IEnumerable<ConfigCase> Files()
    {
        yield return new("empty file", "", null);
        yield return new("only comments", "# nothing\n// here\n", null);
        yield return new("root braces", "{ actorbackup.walkers = 3 }\n", null);
        yield return new("substitution cycle of two", "actorbackup.walkers = ${actorbackup.copiers}\nactorbackup.copiers = ${actorbackup.walkers}\n", null);
        yield return new("substitution cycle through a parent", "actorbackup { walkers = ${actorbackup} }\n", null);
        yield return new("substitution cycle resolved by the parser", "a = ${b}\nb = ${a}\nc = ${a.x}\n", null);
        yield return new("substitution chain of 1000", string.Join('\n', Enumerable.Range(0, 1000).Select(i => $"k{i} = ${{k{i + 1}}}")) + "\nk1000 = 1\n", null);
        yield return new("key path of 50000 dots", string.Join('.', Enumerable.Repeat("a", 50_000)) + " = 1\n", null);
        yield return new("objects 50000 deep", $"a = {string.Concat(Enumerable.Repeat("{b=", 50_000))}1{new string('}', 50_000)}\n", null);
        yield return new("a list closed by a brace", "a = [1 2}\n", null);
        yield return new("password hash", "root:$6$SaltSalt$HashSecret:19000:0:99999:7:::\n", null);
        yield return new("unknown key", "actorbackup.walker = 3\n", "actorbackup.walker");
        yield return new("a section replaced by a value", "akka = 5\n", "akka");
        yield return new("an unknown dispatcher type", "actorbackup.dispatchers.hash.type = \"My.Dispatcher, Mine\"\n", "actorbackup.dispatchers.hash.type");
        yield return new("an akka key left to Akka, refused at start", "akka.actor.default-mailbox.mailbox-type = \"No.Such.Mailbox, Nowhere\"\n", null);
        yield return new("binary", "\u0001\u0002\u0003\u00ff\u00fe\n", null);
    }

    /// <summary>Paths given as --config that are no regular file.</summary>
    public static IEnumerable<(string Name, string Path)> OddPaths(string temp) =>
    [
        ("/dev/stdin (a pipe here)", "/dev/stdin"),
        ("/dev/zero", "/dev/zero"),
        ("a folder", temp),
        ("a missing file", temp + "/missing.conf"),
        ("/etc/shadow", "/etc/shadow"),
    ];

    /// <summary>
    /// The default or a neighbour of it of the same kind (a number halved or doubled, a size or
    /// duration in another unit, a switch flipped): most are in range, so runs that are taken
    /// get fuzzed too.
    /// </summary>
    private static string NearDefault(Random random, string value)
    {
        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            return One(random, $"{n}", $"{n + 1}", $"{Math.Max(n - 1, 0)}", $"{n * 2}", $"{n / 2}");
        if (value.EndsWith("MiB", StringComparison.Ordinal))
            return One(random, value, "4KiB", "64KiB", "256KiB", "2MiB", "16MiB", $"{value[..^3]}m", $"{value[..^3]} mebibytes");
        if (value.EndsWith('s') && char.IsAsciiDigit(value[0]))
            return One(random, value, "0s", "100ms", "250ms", "2s", "1 minute", "0.5s");
        return value switch
        {
            "on" or "off" => One(random, "on", "off", "true", "false"),
            _ => value,
        };
    }

    private static string One(Random random, params string[] values) => values[random.Next(values.Length)];
}
