using System.Globalization;
using static ActorBackup.Protocol.CoordinatorProtocol;

namespace ActorBackup.Cli;

/// <summary>Human-readable figures for progress lines and the --dostats summary.</summary>
public static class Summary
{
    public static string ProgressLine(RunStats s) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{s.Files} files, {s.Directories} directories, {Bytes(s.BytesRead)} read, {s.Problems} problems, {s.Elapsed.TotalSeconds:F1} s");

    public static IEnumerable<string> Lines(RunStats s)
    {
        var seconds = Math.Max(s.Elapsed.TotalSeconds, 1e-3);
        var saving = s.LogicalBytes == 0 ? 0 : 100.0 * (s.LogicalBytes - s.NewBytes) / s.LogicalBytes;
        yield return $"files:            {s.Files}";
        yield return $"directories:      {s.Directories}";
        yield return $"symlinks:         {s.Symlinks}";
        yield return $"special files:    {s.Specials} made, {s.Skipped} skipped (sockets; devices when not root)";
        yield return $"unchanged:        {s.Unchanged} files linked from the previous snapshot without reading";
        yield return $"bytes read:       {Bytes(s.BytesRead)}";
        yield return $"new content:      {s.NewEntries} files, {Bytes(s.NewBytes)}";
        yield return $"links made:       {s.Links}";
        yield return string.Create(CultureInfo.InvariantCulture,
            $"saving:           {saving:F1}% (stored {Bytes(s.NewBytes)} for {Bytes(s.LogicalBytes)} of files)");
        yield return $"problems:         {s.Problems}";
        yield return string.Create(CultureInfo.InvariantCulture,
            $"elapsed:          {s.Elapsed.TotalSeconds:F1} s, {s.Files / seconds:F0} files/s, {s.BytesRead / seconds / 1e6:F1} MB/s read");
    }

    public static string Bytes(long n)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = n;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{n} B" : string.Create(CultureInfo.InvariantCulture, $"{value:F1} {units[unit]}");
    }
}
