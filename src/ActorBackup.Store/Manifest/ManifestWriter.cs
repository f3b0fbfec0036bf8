using System.Text;
using ActorBackup.Core;

namespace ActorBackup.Store.Manifest;

/// <summary>
/// Appends entries to a manifest file as the run creates them. The file is complete only
/// once <see cref="Complete"/> wrote the "#end" line. Durability is the caller's: the run's
/// journal is sorted into the manifest, which one syncfs flushes before it is published.
///
/// Given <c>sortedPath</c>, the lines are also sorted as they come
/// (<see cref="ManifestSorter.Incremental"/>), and <see cref="WriteSorted"/> writes the sorted
/// manifest there without reading the journal back.
/// </summary>
public sealed class ManifestWriter : IDisposable
{
    /// <summary>Manifests are ASCII (names are escaped); written without a byte order mark.</summary>
    public static readonly Encoding Encoding = new UTF8Encoding(false);

    private readonly FileStream _file;
    private readonly StringBuilder _line = new(256);
    private readonly List<byte[]> _header = [];
    private readonly ManifestSorter.Incremental? _sorter;
    private char[] _chars = new char[256];
    private byte[] _bytes = new byte[Encoding.GetMaxByteCount(256)];

    public ManifestWriter(string path, IReadOnlyDictionary<string, string> header, string? sortedPath = null, int sortRunLines = 20_000)
    {
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        _header.Add(Encoding.GetBytes(ManifestFormat.Magic));
        foreach (var (key, value) in header)
            _header.Add(Encoding.GetBytes($"#{key} {value}"));
        foreach (var line in _header)
            WriteLine(line);
        if (sortedPath is not null)
            _sorter = new ManifestSorter.Incremental(sortedPath, sortRunLines);
    }

    public long Count { get; private set; }

    public void Write(ManifestEntry entry)
    {
        _line.Clear();
        ManifestFormat.Render(entry, _line);
        if (_chars.Length < _line.Length)
        {
            _chars = new char[Math.Max(2 * _chars.Length, _line.Length)];
            _bytes = new byte[Encoding.GetMaxByteCount(_chars.Length)];
        }
        _line.CopyTo(0, _chars, 0, _line.Length);
        var line = _bytes.AsSpan(0, Encoding.GetBytes(_chars.AsSpan(0, _line.Length), _bytes));
        WriteLine(line);
        _sorter?.Add(line);
        Count++;
    }

    private void WriteLine(ReadOnlySpan<byte> line)
    {
        _file.Write(line);
        _file.WriteByte((byte)'\n');
    }

    /// <summary>Writes the end marker and hands the file to the kernel (no fsync: see the class).</summary>
    public void Complete()
    {
        WriteLine(Encoding.GetBytes($"#end {Count}"));
        _file.Flush();
    }

    /// <summary>
    /// Writes the sorted manifest of every entry written to the <c>sortedPath</c> given at
    /// creation (fsynced unless <paramref name="fsync"/> is false) and returns the count.
    /// </summary>
    public long WriteSorted(bool fsync)
    {
        if (_sorter is null)
            throw new InvalidOperationException("this manifest writer was created without a sorted path");
        return _sorter.Finish(_header, fsync);
    }

    public void Dispose()
    {
        _sorter?.Dispose();
        _file.Dispose();
    }
}
