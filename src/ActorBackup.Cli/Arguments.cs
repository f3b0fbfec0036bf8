using ActorBackup.Core;

namespace ActorBackup.Cli;

/// <summary>
/// The command line: the original tool's options (--name=value, or --name value) plus the
/// new ones. Unknown options and bad values stop with one line and exit code 2.
/// </summary>
public sealed class Arguments
{
    /// <summary>Options without a value: those of the command table, and the ones every command takes.</summary>
    private static readonly HashSet<string> Flags =
    [
        "help", "version", "verbose",
        .. Commands.All.SelectMany(c => c.Options).Where(o => o.Value is null && o.Name.Length > 1).Select(o => o.Name),
    ];

    /// <summary>Options with a value (--name=VALUE or --name VALUE), from the command table.</summary>
    private static readonly HashSet<string> Valued = [.. Commands.All.SelectMany(c => c.Options).Where(o => o.Value is not null).Select(o => o.Name)];

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public string Command { get; private set; } = "backup";
    public int Verbosity { get; private set; }

    public static Arguments Parse(string[] args)
    {
        var parsed = new Arguments();
        var i = 0;
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            parsed.Command = args[0];
            i = 1;
        }
        for (; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "-h")
            {
                parsed._flags.Add("help");
                continue;
            }
            if (arg.Length > 1 && arg[0] == '-' && arg[1] != '-' && arg.Skip(1).All(c => c == 'v'))
            {
                parsed.Verbosity += arg.Length - 1;
                continue;
            }
            if (!arg.StartsWith("--"))
                throw new UserError(ExitCode.Usage, $"unexpected argument '{arg}'; options look like --rootfolder=DIR (see actorbackup --help)");
            var eq = arg.IndexOf('=');
            var name = (eq < 0 ? arg[2..] : arg[2..eq]).ToLowerInvariant();
            if (Flags.Contains(name))
            {
                if (eq >= 0)
                    throw new UserError(ExitCode.Usage, $"--{name} takes no value");
                if (name == "verbose")
                    parsed.Verbosity++;
                else
                    parsed._flags.Add(name);
            }
            else if (Valued.Contains(name))
            {
                string value;
                if (eq >= 0)
                    value = arg[(eq + 1)..];
                else if (i + 1 < args.Length)
                    value = args[++i];
                else
                    throw new UserError(ExitCode.Usage, $"--{name} needs a value, as in --{name}=VALUE");
                parsed._values[name] = value;
            }
            else
                throw new UserError(ExitCode.Usage, $"unknown option --{name}{(Nearest(name) is { } near ? $"; did you mean --{near}?" : "")} (see actorbackup help)");
        }
        return parsed;
    }

    /// <summary>The known option closest to a mistyped one (at most two edits away, or a unique prefix); null when none is.</summary>
    public static string? Nearest(string name)
    {
        var known = Flags.Concat(Valued).Order(StringComparer.Ordinal).ToList();
        var prefixed = known.Where(k => k.StartsWith(name, StringComparison.Ordinal)).ToList();
        if (name.Length >= 3 && prefixed.Count == 1)
            return prefixed[0];
        var best = known.Select(k => (Name: k, Distance: Distance(name, k))).MinBy(k => k.Distance);
        return best.Distance <= Math.Min(2, name.Length / 3 + 1) ? best.Name : null;
    }

    /// <summary>Edits (insert, delete, replace, swap of neighbours) between two words.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }

    /// <summary>
    /// Refuses an option the command does not take (one the program knows, for another
    /// command): silently ignored, it would leave the user believing it had an effect.
    /// </summary>
    public void CheckTakenBy(CommandHelp command)
    {
        var taken = command.Options.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in _values.Keys.Concat(_flags).Order(StringComparer.Ordinal))
        {
            if (taken.Contains(name) || name is "help" or "version")
                continue;
            var owners = Commands.All.Where(c => c.Options.Any(o => o.Name == name)).Select(c => c.Name).ToList();
            throw new UserError(ExitCode.Usage,
                $"{command.Name} takes no --{name}{(owners.Count > 0 ? $" (it is an option of {string.Join(", ", owners)})" : "")}; usage: {command.Synopsis}");
        }
    }

    public bool Has(string flag) => _flags.Contains(flag);

    public string? Value(string name) => _values.GetValueOrDefault(name);

    public string Required(string name) =>
        Value(name) is { Length: > 0 } v ? v : throw new UserError(ExitCode.Usage, $"--{name} is required");

    public long Number(string name, long fallback, long min, long max)
    {
        var text = Value(name);
        if (text is null)
            return fallback;
        if (!long.TryParse(text, out var n) || n < min || n > max)
            throw new UserError(ExitCode.Usage, $"--{name}={text} is not a whole number from {min} to {max}");
        return n;
    }
}
