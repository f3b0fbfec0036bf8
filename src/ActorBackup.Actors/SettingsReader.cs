using System.Globalization;
using ActorBackup.Core;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace ActorBackup.Actors;

/// <summary>
/// Reads the keys of one section (actorbackup, actorbackup.cluster, akka) with their kind and
/// range checked. A value of the wrong kind (a list, an object, null, a fraction, an unknown
/// unit) or out of range stops with one line naming the key and its range, and never quotes
/// the value (it may be a password). Numbers are parsed here, not by Akka's getters: those cast
/// a size to int without a check, wrap on overflow, and throw exceptions the CLI cannot word.
/// </summary>
public sealed class SettingsReader(Config config, string section, string source)
{
    /// <summary>Strings and lists bigger than any sane value (a path, a thumbprint, a host).</summary>
    public const int MaxTextLength = 4096;
    public const int MaxItems = 1000;

    public int Int(string key, int min, int max) => (int)Long(key, min, max);

    public long Long(string key, long min, long max)
    {
        var expected = $"a whole number from {min} to {max}";
        var text = Scalar(key, expected);
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw Wrong(key, expected);
        return value;
    }

    /// <summary>A size such as 64KiB; with <paramref name="zeroIsOff"/>, 0 is taken too.</summary>
    public long Size(string key, long min, long max, bool zeroIsOff = false)
    {
        var expected = $"{(zeroIsOff ? "0 (off) or " : "")}a size from {HoconUnits.Show(min)} to {HoconUnits.Show(max)}";
        var value = HoconUnits.Size(Scalar(key, expected));
        if (value is not { } bytes || ((bytes < min || bytes > max) && !(zeroIsOff && bytes == 0)))
            throw Wrong(key, expected);
        return bytes;
    }

    /// <summary>A duration such as 500ms or 2s; with <paramref name="zeroIsOff"/>, 0s is taken too.</summary>
    public TimeSpan Duration(string key, TimeSpan min, TimeSpan max, bool zeroIsOff = false)
    {
        var expected = $"{(zeroIsOff ? "0s (off) or " : "")}a duration from {HoconUnits.Show(min)} to {HoconUnits.Show(max)}";
        var value = HoconUnits.Duration(Scalar(key, expected));
        if (value is not { } duration || ((duration < min || duration > max) && !(zeroIsOff && duration == TimeSpan.Zero)))
            throw Wrong(key, expected);
        return duration;
    }

    /// <summary>on/off or true/false: what Akka's own getter takes.</summary>
    public bool Bool(string key) => Scalar(key, "on or off") switch
    {
        "on" or "true" => true,
        "off" or "false" => false,
        _ => throw Wrong(key, "on or off"),
    };

    /// <summary>One of <paramref name="choices"/>, returned as the list spells it.</summary>
    public string Choice(string key, IReadOnlyList<string> choices, StringComparison comparison = StringComparison.Ordinal)
    {
        var expected = choices.Count == 1 ? choices[0] : $"{string.Join(", ", choices.SkipLast(1))} or {choices[^1]}";
        var text = Scalar(key, expected);
        return choices.FirstOrDefault(c => string.Equals(c, text, comparison)) ?? throw Wrong(key, expected);
    }

    /// <summary>A string of at most <see cref="MaxTextLength"/> characters, "" included.</summary>
    public string Text(string key)
    {
        var value = Value(key, "a string");
        var text = Scalar(key, value, "a string", emptyAllowed: true);
        return text.Length <= MaxTextLength ? text : throw Wrong(key, $"a string of at most {MaxTextLength} characters");
    }

    /// <summary>A list of strings, each at most <see cref="MaxTextLength"/> characters, at most <see cref="MaxItems"/> of them.</summary>
    public IReadOnlyList<string> TextList(string key, string what)
    {
        var expected = $"a list of {what} (at most {MaxItems})";
        var value = Value(key, expected);
        if (!Kind(key, value, expected, IsList))
            throw Wrong(key, expected, KindOf(value));
        var items = Get(key, expected, () => value.IsArray() ? value.GetArray() : []);
        if (items.Count > MaxItems)
            throw Wrong(key, expected);
        return items.Select(item => Scalar(key, item, expected, emptyAllowed: false)).ToList();
    }

    /// <summary>An object whose keys and values are the user's strings (path-map).</summary>
    public IReadOnlyDictionary<string, string> TextMap(string key, string what)
    {
        var expected = $"an object of {what} (at most {MaxItems})";
        var value = Value(key, expected);
        if (!Kind(key, value, expected, v => v.IsObject()))
            throw Wrong(key, expected, KindOf(value));
        var items = Get(key, expected, () => value.GetObject().Items);
        if (items.Count > MaxItems)
            throw Wrong(key, expected);
        return items.ToDictionary(
            item => item.Key.Length <= MaxTextLength ? item.Key.Trim('"') : throw Wrong(key, expected),
            item => Scalar(key, item.Value, expected, emptyAllowed: false));
    }

    /// <summary>The line for a value of <paramref name="key"/> that is not <paramref name="expected"/>.</summary>
    public UserError Wrong(string key, string expected, string? found = null) =>
        new(ExitCode.Usage, $"configuration key {section}.{key} must be {expected}{(found is null ? "" : $", not {found}")}; fix it in {source}");

    /// <summary>The value of a key that must be a single value (a number, a word, a string), trimmed.</summary>
    public string Scalar(string key, string expected) => Scalar(key, Value(key, expected), expected, emptyAllowed: false);

    private string Scalar(string key, HoconValue value, string expected, bool emptyAllowed)
    {
        if (!Kind(key, value, expected, v => !v.IsObject() && !IsList(v)))
            throw Wrong(key, expected, KindOf(value));
        var text = Get(key, expected, value.GetString)?.Trim();
        if (text is null || (text.Length == 0 && !emptyAllowed) || text == "null")
            throw Wrong(key, expected, "empty");
        if (text.Length > MaxTextLength)
            throw Wrong(key, expected);
        return text;
    }

    private HoconValue Value(string key, string expected) =>
        Get(key, expected, () => config.GetValue($"{section}.{key}")) is { } value && value.Values.Count > 0
            ? value
            : throw Wrong(key, expected, "missing");

    private bool Kind(string key, HoconValue value, string expected, Func<HoconValue, bool> test) => Get(key, expected, () => test(value));

    private static string KindOf(HoconValue value) => value.IsObject() ? "an object" : IsList(value) ? "a list" : "a single value";

    /// <summary>Akka's IsArray is false for an empty list ([]).</summary>
    private static bool IsList(HoconValue value) => value.IsArray() || value.Values.All(v => v is HoconArray);

    /// <summary>Akka's reads throw all kinds of exceptions on odd values; each is the key's fault.</summary>
    private T Get<T>(string key, string expected, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is not UserError)
        {
            throw Wrong(key, expected);
        }
    }
}
