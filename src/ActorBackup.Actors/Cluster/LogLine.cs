using System.Text.Json;

namespace ActorBackup.Actors.Cluster;

/// <summary>
/// One line of a node's log, as admins and log shippers read it: "TIME EVENT key=value ..."
/// for people, or one JSON object per line (time, node, event, then the fields).
/// </summary>
public static class LogLine
{
    private static readonly Lock Gate = new();

    /// <summary>Quotes as JSON does, but leaves &lt;, &gt; and ' readable: a log line is not HTML.</summary>
    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Format(bool json, string node, string what, IEnumerable<KeyValuePair<string, object>> fields)
    {
        var time = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        if (json)
        {
            var record = new Dictionary<string, object> { ["time"] = time, ["node"] = node, ["event"] = what };
            foreach (var (k, v) in fields)
                record[k] = v;
            return JsonSerializer.Serialize(record, Readable);
        }
        return $"{time} {what} " + string.Join(" ", fields.Select(kv => $"{kv.Key}={Text(kv.Value)}"));
    }

    /// <summary>Writes and flushes one line; the monitor and the logger share the writer.</summary>
    public static void Write(TextWriter log, string line)
    {
        lock (Gate)
        {
            log.WriteLine(line);
            log.Flush();
        }
    }

    /// <summary>A text-mode value: free text is quoted so a line stays one line and splits on spaces.</summary>
    private static string Text(object value) =>
        value is string s && (s.Contains(' ') || s.Contains('"') || s.Contains('\n'))
            ? JsonSerializer.Serialize(s, Readable)
            : value.ToString() ?? "";
}
