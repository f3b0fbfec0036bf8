using System.Collections;
using System.Reflection;
using Akka.Actor;

namespace ActorBackup.Actors.Tests.Support;

/// <summary>
/// Compares two message graphs field by field. Records compare lists and byte arrays by
/// reference, so a round-tripped message is never Equal to its original; this walks
/// public properties, compares lists element-wise and arrays byte-wise, and lists every
/// difference with its path (e.g. <c>Files[3].Source.Meta.Inode</c>).
/// </summary>
public static class DeepEquality
{
    public static IReadOnlyList<string> Differences(object? expected, object? actual)
    {
        var differences = new List<string>();
        Compare(expected, actual, "", differences);
        return differences;
    }

    private static void Compare(object? expected, object? actual, string path, List<string> differences)
    {
        var at = path.Length == 0 ? "(message)" : path;
        if (expected is null || actual is null)
        {
            if (expected is not null || actual is not null)
                differences.Add($"{at}: expected {Show(expected)}, got {Show(actual)}");
            return;
        }
        if (expected.GetType() != actual.GetType() && !(expected is IActorRef && actual is IActorRef) && !(expected is IEnumerable && actual is IEnumerable))
        {
            differences.Add($"{at}: expected a {expected.GetType().Name}, got a {actual.GetType().Name}");
            return;
        }
        switch (expected)
        {
            case string s:
                if (!string.Equals(s, (string)actual, StringComparison.Ordinal))
                    differences.Add($"{at}: expected {Show(s)}, got {Show(actual)}");
                return;
            case byte[] bytes:
                if (actual is not byte[] other || !bytes.AsSpan().SequenceEqual(other))
                    differences.Add($"{at}: expected bytes {Show(bytes)}, got {Show(actual)}");
                return;
            case IActorRef r:
                // Equal actor refs have equal paths (with address) and uid; check both.
                if (!r.Equals(actual) || r.Path.ToSerializationFormat() != ((IActorRef)actual).Path.ToSerializationFormat())
                    differences.Add($"{at}: expected actor {r.Path.ToSerializationFormat()}, got {((IActorRef)actual).Path.ToSerializationFormat()}");
                return;
            case IEnumerable items:
                var left = items.Cast<object?>().ToList();
                var right = ((IEnumerable)actual).Cast<object?>().ToList();
                if (left.Count != right.Count)
                    differences.Add($"{at}: expected {left.Count} items, got {right.Count}");
                for (var i = 0; i < Math.Min(left.Count, right.Count); i++)
                    Compare(left[i], right[i], $"{path}[{i}]", differences);
                return;
        }
        var type = expected.GetType();
        if (type.IsPrimitive || type.IsEnum || expected is TimeSpan or decimal)
        {
            if (!expected.Equals(actual))
                differences.Add($"{at}: expected {Show(expected)}, got {Show(actual)}");
            return;
        }
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).ToList();
        if (properties.Count == 0)
        {
            if (!expected.Equals(actual))
                differences.Add($"{at}: expected {Show(expected)}, got {Show(actual)}");
            return;
        }
        foreach (var p in properties)
            Compare(p.GetValue(expected), p.GetValue(actual), path.Length == 0 ? p.Name : $"{path}.{p.Name}", differences);
    }

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\" ({Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(s))})",
        byte[] b => Convert.ToHexString(b),
        _ => value.ToString() ?? value.GetType().Name,
    };
}
