using System.Globalization;
using System.Text.RegularExpressions;

namespace ActorBackup.Actors;

/// <summary>
/// Sizes (64KiB) and durations (500ms) as HOCON writes them, parsed strictly: a whole number
/// of bytes with one of HOCON's units, a duration with one of its units (a bare number is
/// milliseconds, as Akka reads it). Akka's own getters wrap on overflow (99999999999TiB came
/// back as a positive number of exabytes) and take "infinite" as -1 ms; these say no instead.
/// </summary>
public static partial class HoconUnits
{
    private static readonly Dictionary<string, long> SizeUnits = Units(
        (1L, ["", "B", "b", "byte", "bytes"]),
        (1000, ["kB", "kilobyte", "kilobytes"]),
        (1L << 10, ["K", "k", "Ki", "KiB", "kibibyte", "kibibytes"]),
        (1000_000, ["MB", "megabyte", "megabytes"]),
        (1L << 20, ["M", "m", "Mi", "MiB", "mebibyte", "mebibytes"]),
        (1000_000_000, ["GB", "gigabyte", "gigabytes"]),
        (1L << 30, ["G", "g", "Gi", "GiB", "gibibyte", "gibibytes"]),
        (1000_000_000_000, ["TB", "terabyte", "terabytes"]),
        (1L << 40, ["T", "t", "Ti", "TiB", "tebibyte", "tebibytes"]),
        (1000_000_000_000_000, ["PB", "petabyte", "petabytes"]),
        (1L << 50, ["P", "p", "Pi", "PiB", "pebibyte", "pebibytes"]));

    /// <summary>Ticks (100 ns) per unit; nanoseconds and microseconds are fractions of a tick.</summary>
    private static readonly Dictionary<string, decimal> DurationUnits = Units(
        (0.01m, ["ns", "nano", "nanos", "nanosecond", "nanoseconds"]),
        (10m, ["us", "micro", "micros", "microsecond", "microseconds"]),
        (TimeSpan.TicksPerMillisecond, ["", "ms", "milli", "millis", "millisecond", "milliseconds"]),
        (TimeSpan.TicksPerSecond, ["s", "second", "seconds"]),
        (TimeSpan.TicksPerMinute, ["m", "minute", "minutes"]),
        (TimeSpan.TicksPerHour, ["h", "hour", "hours"]),
        (TimeSpan.TicksPerDay, ["d", "day", "days"]));

    /// <summary>Bytes; null when not a whole number with a known unit, or beyond a long.</summary>
    public static long? Size(string text)
    {
        var match = SizePattern().Match(text);
        if (!match.Success || !SizeUnits.TryGetValue(match.Groups[2].Value, out var unit)
            || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            return null;
        try
        {
            return checked(number * unit);
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <summary>A duration; null when not a non-negative number with a known unit, or beyond a TimeSpan.</summary>
    public static TimeSpan? Duration(string text)
    {
        var match = DurationPattern().Match(text);
        if (!match.Success || !DurationUnits.TryGetValue(match.Groups[2].Value, out var unit)
            || !decimal.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            return null;
        try
        {
            var ticks = decimal.Round(number * unit);
            return ticks <= TimeSpan.MaxValue.Ticks ? TimeSpan.FromTicks((long)ticks) : null;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <summary>A size as a user writes it: 4KiB, 16MiB, 128000b.</summary>
    public static string Show(long bytes)
    {
        foreach (var (unit, name) in new[] { (1L << 40, "TiB"), (1L << 30, "GiB"), (1L << 20, "MiB"), (1L << 10, "KiB") })
        {
            if (bytes != 0 && bytes % unit == 0)
                return $"{bytes / unit}{name}";
        }
        return $"{bytes}b";
    }

    /// <summary>A duration as a user writes it: 100ms, 5s, 1h.</summary>
    public static string Show(TimeSpan duration)
    {
        foreach (var (unit, name) in new[] { (TimeSpan.TicksPerDay, "d"), (TimeSpan.TicksPerHour, "h"), (TimeSpan.TicksPerMinute, "m"), (TimeSpan.TicksPerSecond, "s") })
        {
            if (duration.Ticks != 0 && duration.Ticks % unit == 0)
                return $"{duration.Ticks / unit}{name}";
        }
        return $"{duration.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";
    }

    private static Dictionary<string, T> Units<T>(params (T Factor, string[] Names)[] units) =>
        units.SelectMany(u => u.Names.Select(n => (n, u.Factor))).ToDictionary(p => p.n, p => p.Factor, StringComparer.Ordinal);

    [GeneratedRegex(@"^([0-9]{1,19})\s*([A-Za-z]*)\z", RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"^([0-9]{1,19}(?:\.[0-9]{1,9})?)\s*([A-Za-z]*)\z", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();
}
