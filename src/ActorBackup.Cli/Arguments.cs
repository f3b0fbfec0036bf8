using ActorBackup.Core;

namespace ActorBackup.Cli;

/// <summary>
/// The command line: the original tool's options (--name=value, or --name value) plus the
/// new ones. Unknown options and bad values stop with one line and exit code 2.
/// </summary>
public sealed class Arguments
{
    private static readonly HashSet<string> Flags =
    [
        "createdirs", "pauseonerror", "awaituserinput", "dostats", "ignorefileexists", "help", "version", "verbose",
        "rehash", "overwrite", "read-data", "heal", "dry-run", "json", "one-file-system",
    ];

    private static readonly HashSet<string> Valued =
    [
        "rootfolder", "backupfolder", "datafolder", "datalevels", "folderspause", "filespause", "doprogress", "hash",
        "share", "exact-mtime", "config", "cluster", "previous",
        "snapshot", "path", "target", "read-data-subset", "backuproot",
        "keep-last", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly", "by",
    ];

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
                throw new UserError(ExitCode.Usage, $"unknown option --{name}; see actorbackup --help");
        }
        return parsed;
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
