using System.Globalization;
using System.Text;
using Xunit;

namespace ActorBackup.Testing;

/// <summary>
/// A snapshot manifest read the way a user's script would, by the documented format and
/// not by the tool's own reader: header lines "#key value", then one tab-separated line of
/// 16 fields per entry, then "#end COUNT". Paths and targets are %XX-escaped bytes.
/// </summary>
public sealed class ManifestFile
{
    private ManifestFile(List<string> lines, Dictionary<string, string> header, List<ManifestLine> entries)
    {
        Lines = lines;
        Header = header;
        Entries = entries;
    }

    public IReadOnlyList<string> Lines { get; }

    public IReadOnlyDictionary<string, string> Header { get; }

    public IReadOnlyList<ManifestLine> Entries { get; }

    /// <summary>The entry of a root-relative path ("" is the root); fails the test when absent or repeated.</summary>
    public ManifestLine Entry(string relative)
    {
        var matches = Entries.Where(e => e.Path == relative).ToList();
        Assert.True(matches.Count == 1, $"manifest has {matches.Count} entries for '{Names.Show(relative)}'");
        return matches[0];
    }

    public bool Has(string relative) => Entries.Any(e => e.Path == relative);

    public static ManifestFile Read(string path)
    {
        var text = Encoding.ASCII.GetString(PosixFs.ReadBytes(path));
        Assert.EndsWith("\n", text);
        var lines = text[..^1].Split('\n').ToList();
        var header = new Dictionary<string, string>();
        var entries = new List<ManifestLine>();
        foreach (var line in lines.Skip(1))
        {
            if (line.StartsWith('#'))
            {
                var space = line.IndexOf(' ');
                header[line[1..space]] = line[(space + 1)..];
            }
            else
                entries.Add(ManifestLine.Parse(line));
        }
        return new ManifestFile(lines, header, entries);
    }

    /// <summary>%XX-escaped text back to bytes.</summary>
    public static byte[] Unescape(string text)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '%')
            {
                bytes.Add(byte.Parse(text.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 2;
            }
            else
                bytes.Add((byte)text[i]);
        }
        return bytes.ToArray();
    }
}

/// <summary>One entry line: path type mode uid gid size mtime ctime dev ino rdev hash suffix target xattrs nlink.</summary>
public sealed record ManifestLine(string[] Fields)
{
    /// <summary>The path as a Mono.Posix name string ("" for the root).</summary>
    public string Path => Fields[0] == "." ? "" : Names.FromBytes(ManifestFile.Unescape(Fields[0]));

    public char Type => Fields[1][0];

    /// <summary>Permission bits as octal digits, as written ("644").</summary>
    public string Mode => Fields[2];

    public uint Uid => uint.Parse(Fields[3], CultureInfo.InvariantCulture);

    public uint Gid => uint.Parse(Fields[4], CultureInfo.InvariantCulture);

    public long Size => long.Parse(Fields[5], CultureInfo.InvariantCulture);

    public string Mtime => Fields[6];

    public string Ctime => Fields[7];

    public ulong Ino => ulong.Parse(Fields[9], CultureInfo.InvariantCulture);

    public ulong Dev => ulong.Parse(Fields[8], CultureInfo.InvariantCulture);

    public ulong Rdev => ulong.Parse(Fields[10], CultureInfo.InvariantCulture);

    public string Hash => Fields[11];

    public string Suffix => Fields[12];

    public byte[] Target => ManifestFile.Unescape(Fields[13]);

    /// <summary>The xattrs field as written: NAME=VALUE pairs separated by spaces, each escaped %XX.</summary>
    public string Xattrs => Fields[14];

    /// <summary>Each xattr's name and exact value bytes.</summary>
    public IReadOnlyDictionary<string, byte[]> XattrValues => Fields[14].Length == 0
        ? new Dictionary<string, byte[]>()
        : Fields[14].Split(' ').Select(p => p.Split('=')).ToDictionary(
            p => System.Text.Encoding.UTF8.GetString(ManifestFile.Unescape(p[0])), p => ManifestFile.Unescape(p[1]));

    /// <summary>The source entry's link count.</summary>
    public ulong Nlink => ulong.Parse(Fields[15], CultureInfo.InvariantCulture);

    public static ManifestLine Parse(string line)
    {
        var fields = line.Split('\t');
        Assert.True(fields.Length == 16, $"manifest line has {fields.Length} fields, expected 16: {line}");
        return new ManifestLine(fields);
    }
}
