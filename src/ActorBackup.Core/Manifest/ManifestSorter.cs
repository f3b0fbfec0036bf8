using System.Text;

namespace ActorBackup.Core.Manifest;

/// <summary>
/// Turns a run's journal (entries in the order they were committed) into the published
/// manifest, sorted in <see cref="ManifestOrder"/>. Memory stays bounded and flat: lines stay
/// bytes in one reused arena (no string per line); at most <c>runLines</c> lines (about 3 MB
/// at the default) are held at once, and longer journals are sorted in runs written next to
/// the output and merged (50 runs for a million entries, read through 16 KiB buffers).
/// </summary>
public static class ManifestSorter
{
    public const string OrderHeader = "order";
    public const string OrderValue = "directories";

    private const int FileBuffer = 1 << 16;
    private const int MergeBuffer = 1 << 14;

    /// <summary>Writes the sorted manifest to <paramref name="output"/> and fsyncs it; returns the entry count.</summary>
    public static long Sort(string journal, string output, int runLines = 20_000)
    {
        var header = new List<byte[]>();
        var runs = new List<string>();
        var batch = new Batch();
        long count = 0;
        try
        {
            using (var reader = new LineReader(journal, FileBuffer))
            {
                while (reader.Next())
                {
                    var line = reader.Current;
                    if (line.IsEmpty)
                        continue;
                    if (line[0] == (byte)'#')
                    {
                        if (count == 0 && !line.StartsWith("#end "u8) && !line.StartsWith("#order "u8))
                            header.Add(line.ToArray());
                        continue;
                    }
                    batch.Add(line);
                    count++;
                    if (batch.Count == runLines)
                        runs.Add(WriteRun(output, runs.Count, batch));
                }
            }
            if (runs.Count > 0 && batch.Count > 0)
                runs.Add(WriteRun(output, runs.Count, batch));
            using var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.Read, FileBuffer);
            foreach (var h in header)
                WriteLine(file, h);
            WriteLine(file, Encoding.ASCII.GetBytes($"#{OrderHeader} {OrderValue}"));
            if (runs.Count == 0)
            {
                batch.Sort();
                batch.WriteTo(file);
            }
            else
                Merge(runs, file);
            WriteLine(file, Encoding.ASCII.GetBytes($"#end {count}"));
            file.Flush(flushToDisk: true);
            return count;
        }
        finally
        {
            foreach (var run in runs)
                File.Delete(run);
        }
    }

    private static string WriteRun(string output, int index, Batch batch)
    {
        var path = $"{output}.run{index}";
        batch.Sort();
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, FileBuffer))
            batch.WriteTo(file);
        batch.Clear();
        return path;
    }

    private static void Merge(List<string> runs, Stream output)
    {
        var readers = new List<LineReader>(runs.Count);
        try
        {
            foreach (var run in runs)
                readers.Add(new LineReader(run, MergeBuffer));
            // The heap holds run numbers; a run's current line changes only while it is out of the heap.
            var heap = new PriorityQueue<int, int>(runs.Count, Comparer<int>.Create((x, y) =>
            {
                var byPath = ManifestOrder.CompareLines(readers[x].Current, readers[y].Current);
                return byPath != 0 ? byPath : x.CompareTo(y);
            }));
            for (var i = 0; i < readers.Count; i++)
                if (readers[i].Next())
                    heap.Enqueue(i, i);
            while (heap.TryDequeue(out var top, out _))
            {
                WriteLine(output, readers[top].Current);
                if (readers[top].Next())
                    heap.Enqueue(top, top);
            }
        }
        finally
        {
            foreach (var r in readers)
                r.Dispose();
        }
    }

    private static void WriteLine(Stream output, ReadOnlySpan<byte> line)
    {
        output.Write(line);
        output.WriteByte((byte)'\n');
    }

    /// <summary>A run's lines, kept end to end in one byte arena that is reused for every run.</summary>
    private sealed class Batch
    {
        private byte[] _arena = new byte[1 << 20];
        private int _used;
        private (int Start, int Length)[] _lines = new (int, int)[1 << 12];

        public int Count { get; private set; }

        public void Add(ReadOnlySpan<byte> line)
        {
            if (_used + line.Length > _arena.Length)
                Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _used + line.Length));
            if (Count == _lines.Length)
                Array.Resize(ref _lines, _lines.Length * 2);
            line.CopyTo(_arena.AsSpan(_used));
            _lines[Count++] = (_used, line.Length);
            _used += line.Length;
        }

        public void Sort()
        {
            var arena = _arena;
            _lines.AsSpan(0, Count).Sort((a, b) =>
                ManifestOrder.CompareLines(arena.AsSpan(a.Start, a.Length), arena.AsSpan(b.Start, b.Length)));
        }

        public void WriteTo(Stream output)
        {
            foreach (var (start, length) in _lines.AsSpan(0, Count))
                WriteLine(output, _arena.AsSpan(start, length));
        }

        public void Clear()
        {
            _used = 0;
            Count = 0;
        }
    }
}
