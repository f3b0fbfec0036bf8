using System.Text;

namespace ActorBackup.Core.Manifest;

/// <summary>
/// Appends entries to a manifest file as the run creates them. The file is complete only
/// once <see cref="Complete"/> wrote the "#end" line. Durability is the caller's: the run's
/// journal is sorted into the manifest, which one syncfs flushes before it is published.
/// </summary>
public sealed class ManifestWriter : IDisposable
{
    /// <summary>Manifests are ASCII (names are escaped); written without a byte order mark.</summary>
    public static readonly Encoding Encoding = new UTF8Encoding(false);

    private readonly FileStream _file;
    private readonly StreamWriter _writer;
    private readonly StringBuilder _line = new(256);

    public ManifestWriter(string path, IReadOnlyDictionary<string, string> header)
    {
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        _writer = new StreamWriter(_file, Encoding, 1 << 16) { NewLine = "\n" };
        _writer.WriteLine(ManifestFormat.Magic);
        foreach (var (key, value) in header)
            _writer.WriteLine($"#{key} {value}");
    }

    public long Count { get; private set; }

    public void Write(ManifestEntry entry)
    {
        _line.Clear();
        ManifestFormat.Render(entry, _line);
        _line.Append('\n');
        _writer.Write(_line);
        Count++;
    }

    /// <summary>Writes the end marker and hands the file to the kernel (no fsync: see the class).</summary>
    public void Complete()
    {
        _writer.WriteLine($"#end {Count}");
        _writer.Flush();
    }

    public void Dispose()
    {
        _writer.Dispose();
    }
}
