using ActorBackup.Core;
namespace ActorBackup.Store.Manifest;

/// <summary>A manifest read back: its header and entries, streamed (never all in memory).</summary>
public sealed class ManifestReader
{
    private readonly string _path;

    public ManifestReader(string path)
    {
        _path = path;
        var header = new Dictionary<string, string>();
        Header = header;
        using var reader = new StreamReader(path);
        if (reader.ReadLine() != ManifestFormat.Magic)
            throw new FormatException($"{path} is not an ActorBackup manifest");
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            if (!line.StartsWith('#'))
                continue;
            var space = line.IndexOf(' ');
            if (space > 1)
                header[line[1..space]] = line[(space + 1)..];
        }
    }

    public IReadOnlyDictionary<string, string> Header { get; }

    /// <summary>The header lines before the first entry (without "#end"): cheap even for a huge manifest.</summary>
    public static IReadOnlyDictionary<string, string> ReadLeadingHeader(string path)
    {
        var header = new Dictionary<string, string>();
        using var reader = new StreamReader(path);
        string? line;
        while ((line = reader.ReadLine()) != null && line.StartsWith('#'))
        {
            var space = line.IndexOf(' ');
            if (space > 1)
                header[line[1..space]] = line[(space + 1)..];
        }
        return header;
    }

    /// <summary>True when the manifest ends with its "#end" line (the run that wrote it finished).</summary>
    public bool IsComplete => Header.ContainsKey("end");

    public IEnumerable<ManifestEntry> Entries()
    {
        using var reader = new StreamReader(_path);
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            if (line.Length > 0 && !line.StartsWith('#'))
                yield return ManifestFormat.Parse(line);
        }
    }
}
