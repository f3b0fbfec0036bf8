using System.Text;
using System.Text.RegularExpressions;
using ActorBackup.Core;
using ActorBackup.Posix;
using Akka.Configuration;

namespace ActorBackup.Hosting;

/// <summary>
/// Reads a configuration file named on the command line (--config, --cluster, a node's role
/// file): a regular file of at most <see cref="MaxBytes"/> of UTF-8 text, checked by
/// <see cref="HoconSyntax"/>, parsed by Akka, with every key it sets under actorbackup known to
/// the reference files (<see cref="KnownKeys"/>). Each error is one line naming the file and,
/// for syntax, the line; none quotes the file's text.
/// </summary>
public static partial class ConfigFile
{
    /// <summary>The reference files are 6 KB and 4 KB; a site's file is smaller still.</summary>
    public const int MaxBytes = 256 * 1024;

    /// <summary>Akka's parser takes milliseconds on a checked file; this catches a loop the check missed.</summary>
    private static readonly TimeSpan ParseTimeout = TimeSpan.FromSeconds(5);

    public static Config Parse(string path)
    {
        var bytes = SmallFile.TryRead(path, MaxBytes, out var refusal)
            ?? throw new UserError(ExitCode.Usage, $"configuration file {path} {refusal}; give the path of a HOCON text file");
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new UserError(ExitCode.Usage, $"configuration file {path} is not UTF-8 text; give the path of a HOCON text file");
        }
        var substitutions = HoconSyntax.Check(text, path);
        var config = ParseChecked(text, path, substitutions);
        KnownKeys.Check(config, path);
        return config;
    }

    private static Config ParseChecked(string text, string path, IReadOnlyList<HoconSyntax.Substitution> substitutions)
    {
        var parse = Task.Run(() => ConfigurationFactory.ParseString(text));
        try
        {
            if (!parse.Wait(ParseTimeout))
                throw new UserError(ExitCode.Usage, $"configuration file {path} was not parsed within {ParseTimeout.TotalSeconds:F0} s; check its syntax");
            return parse.Result;
        }
        catch (AggregateException e)
        {
            throw NotParsed(path, text, substitutions, e.InnerException);
        }
    }

    /// <summary>Akka's message quotes the text, so only what it points at is used: a position, a substitution.</summary>
    private static UserError NotParsed(string path, string text, IReadOnlyList<HoconSyntax.Substitution> substitutions, Exception? e)
    {
        var message = e?.Message ?? "";
        if (message.StartsWith("Unresolved substitution:", StringComparison.Ordinal))
        {
            var target = message["Unresolved substitution:".Length..].Trim();
            var line = substitutions.FirstOrDefault(s => string.Join('.', s.Target) == target)?.Line;
            return new UserError(ExitCode.Usage, $"configuration file {path}{(line is null ? "" : $", line {line}")}: a substitution names a key this file does not set (a substitution sees only its own file); set the key, or write the value itself");
        }
        if (PositionPattern().Match(message) is { Success: true } at && int.TryParse(at.Groups[1].Value, out var position))
            return new UserError(ExitCode.Usage, $"configuration file {path}, line {HoconSyntax.LineOf(text, position)}: not valid HOCON; check the syntax there");
        return new UserError(ExitCode.Usage, $"configuration file {path} is not valid HOCON; check its syntax");
    }

    [GeneratedRegex(@"at position (\d+)")]
    private static partial Regex PositionPattern();
}
