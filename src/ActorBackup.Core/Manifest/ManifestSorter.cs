namespace ActorBackup.Core.Manifest;

/// <summary>
/// Turns a run's journal (entries in the order they were committed) into the published
/// manifest, sorted in <see cref="ManifestOrder"/>. Memory stays bounded: at most
/// <c>runLines</c> lines (about 6 MB at the default) are held at once; longer journals are
/// sorted in runs written next to the output and merged (50 runs for a million entries).
/// </summary>
public static class ManifestSorter
{
    public const string OrderHeader = "order";
    public const string OrderValue = "directories";

    /// <summary>Writes the sorted manifest to <paramref name="output"/> and fsyncs it; returns the entry count.</summary>
    /// <param name="afterRun">Called after each run is written (the caller may collect garbage there: a run's lines just died).</param>
    public static long Sort(string journal, string output, int runLines = 20_000, Action? afterRun = null)
    {
        var header = new List<string>();
        var runs = new List<string>();
        var lines = new List<string>();
        long count = 0;
        try
        {
            using (var reader = new StreamReader(journal, ManifestWriter.Encoding, false, 1 << 16))
            {
                string? line;
                while ((line = reader.ReadLine()) != null)
                {
                    if (line.StartsWith('#'))
                    {
                        if (count == 0 && runs.Count == 0 && lines.Count == 0 && !line.StartsWith("#end ") && !line.StartsWith("#" + OrderHeader + " "))
                            header.Add(line);
                        continue;
                    }
                    if (line.Length == 0)
                        continue;
                    lines.Add(line);
                    count++;
                    if (lines.Count >= runLines)
                    {
                        runs.Add(WriteRun(output, runs.Count, lines));
                        lines.Clear();
                        afterRun?.Invoke();
                    }
                }
            }
            lines.Sort(ManifestOrder.CompareLines);
            using var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
            using (var writer = new StreamWriter(file, ManifestWriter.Encoding, 1 << 16) { NewLine = "\n" })
            {
                foreach (var h in header)
                    writer.WriteLine(h);
                writer.WriteLine($"#{OrderHeader} {OrderValue}");
                if (runs.Count == 0)
                {
                    foreach (var l in lines)
                        writer.WriteLine(l);
                }
                else
                    Merge(runs, lines, writer);
                writer.WriteLine($"#end {count}");
                writer.Flush();
                file.Flush(flushToDisk: true);
            }
            return count;
        }
        finally
        {
            foreach (var run in runs)
                File.Delete(run);
        }
    }

    private static string WriteRun(string output, int index, List<string> lines)
    {
        lines.Sort(ManifestOrder.CompareLines);
        var path = $"{output}.run{index}";
        using var writer = new StreamWriter(path, false, ManifestWriter.Encoding, 1 << 16) { NewLine = "\n" };
        foreach (var l in lines)
            writer.WriteLine(l);
        return path;
    }

    private static void Merge(List<string> runs, List<string> last, StreamWriter writer)
    {
        // Small buffers: a million entries make 50 runs, all open at once.
        var readers = runs.Select(r => new StreamReader(r, ManifestWriter.Encoding, false, 1 << 14)).ToList();
        try
        {
            var sources = readers.Select(r => (Func<string?>)r.ReadLine).ToList();
            var index = 0;
            sources.Add(() => index < last.Count ? last[index++] : null);
            var heap = new PriorityQueue<(string Line, int Source), string>(Comparer<string>.Create(ManifestOrder.CompareLines));
            for (var i = 0; i < sources.Count; i++)
                if (sources[i]() is { } first)
                    heap.Enqueue((first, i), first);
            while (heap.TryDequeue(out var top, out _))
            {
                writer.WriteLine(top.Line);
                if (sources[top.Source]() is { } next)
                    heap.Enqueue((next, top.Source), next);
            }
        }
        finally
        {
            foreach (var r in readers)
                r.Dispose();
        }
    }
}
