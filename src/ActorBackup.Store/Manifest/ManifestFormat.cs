using System.Globalization;
using System.Text;
using ActorBackup.Core;

namespace ActorBackup.Store.Manifest;

/// <summary>
/// The manifest text format, one entry per line, fields separated by tabs:
/// <code>
///   #actorbackup-manifest 1
///   #hash sha1
///   #root /home            (escaped like paths)
///   #snapshot /backup/week10
///   #started 2026-11-26T14:00:00Z
///   #xattrs all            (which xattrs the run read: see <see cref="XattrsHeader"/>)
///   #entry-xattrs own      (whether store entries carry their files' xattrs: see <see cref="EntryXattrsHeader"/>)
///   #entries clone         (how further entries of a content were made: see <see cref="EntriesHeader"/>)
///   #entry-mtime own       (whether entries were shared by mtime too: see <see cref="EntryMtimeHeader"/>)
///   path type mode uid gid size mtime ctime dev ino rdev hash suffix target xattrs nlink
///   ...
///   #end 12345             (entry count: a manifest without it is incomplete)
/// </code>
/// path and target are escaped (<see cref="PathBytes"/>), mode is octal, times are
/// seconds.nanoseconds, empty fields mean "none". The root's path is ".". xattrs is
/// <see cref="Xattrs"/>' field; lines written before it existed have 14 fields and none.
/// nlink is the source entry's link count (decimal), so a restore can link again the
/// files that were hardlinks of each other (same dev, ino and hash); lines written before
/// it existed have 14 or 15 fields and read as 1.
/// </summary>
public static class ManifestFormat
{
    public const string Magic = "#actorbackup-manifest 1";

    /// <summary>
    /// The header naming which extended attributes the run read: <see cref="XattrsAll"/> (every
    /// xattr of every entry, ACLs included), or <see cref="XattrsAccessAcl"/> (only the access
    /// ACL: written by 0.x runs before all were read). The files cache takes an unchanged file's
    /// xattrs from a manifest that read all; from any other it reads them again.
    /// </summary>
    public const string XattrsHeader = "xattrs";

    public const string XattrsAll = "all";
    public const string XattrsAccessAcl = "access-acl";

    /// <summary>
    /// <see cref="EntryXattrsOwn"/>: store entries carry the xattrs of their files, which were
    /// part of the share key (--share=owner on a file system that keeps xattrs);
    /// <see cref="EntryXattrsNone"/>: entries carry none. Without the header: none.
    /// </summary>
    public const string EntryXattrsHeader = "entry-xattrs";

    public const string EntryXattrsOwn = "own";
    public const string EntryXattrsNone = "none";

    /// <summary>
    /// How the run made a further entry of a content the store held (another owner, mode or
    /// mtime): <see cref="EntriesClone"/> (a reflink clone sharing the data blocks) or
    /// <see cref="EntriesCopy"/> (a whole copy: the file system cannot clone).
    /// </summary>
    public const string EntriesHeader = "entries";

    public const string EntriesClone = "clone";
    public const string EntriesCopy = "copy";

    /// <summary>
    /// <see cref="EntryMtimeOwn"/>: files shared an entry only when their mtimes were equal, so
    /// every snapshot file has its own mtime (--exact-mtime); <see cref="EntryMtimeFirst"/>:
    /// an entry has the mtime of the first file stored with it. Without the header: first.
    /// </summary>
    public const string EntryMtimeHeader = "entry-mtime";

    public const string EntryMtimeOwn = "own";
    public const string EntryMtimeFirst = "first";

    public static string Render(ManifestEntry e)
    {
        var sb = new StringBuilder(160);
        Render(e, sb);
        return sb.ToString();
    }

    /// <summary>Appends one entry line (without the newline) to <paramref name="sb"/>.</summary>
    public static void Render(ManifestEntry e, StringBuilder sb)
    {
        var m = e.Meta;
        sb.Append(e.Path.Length == 0 ? "." : PathBytes.Escape(e.Path)).Append('\t')
            .Append((char)m.Type).Append('\t');
        AppendOctal(sb, m.Mode);
        AppendField(sb, m.Uid);
        AppendField(sb, m.Gid);
        AppendField(sb, m.Size);
        sb.Append('\t');
        AppendTime(sb, m.Mtime);
        sb.Append('\t');
        AppendTime(sb, m.Ctime);
        AppendField(sb, m.Device);
        AppendField(sb, m.Inode);
        AppendField(sb, m.Rdev);
        sb.Append('\t').Append(e.Hash ?? "").Append('\t');
        if (e.EntrySuffix >= 0)
            AppendNumber(sb, e.EntrySuffix);
        sb.Append('\t');
        if (e.LinkTarget is not null)
            sb.Append(PathBytes.Escape(e.LinkTarget));
        sb.Append('\t');
        Xattrs.Render(e.Xattrs, sb);
        AppendField(sb, e.Meta.LinkCount);
    }

    private static void AppendOctal(StringBuilder sb, uint value)
    {
        Span<char> digits = stackalloc char[12];
        var i = digits.Length;
        do
        {
            digits[--i] = (char)('0' + (value & 7));
            value >>= 3;
        }
        while (value != 0);
        sb.Append(digits[i..]);
    }

    /// <summary>A tab, then <paramref name="value"/>.</summary>
    private static void AppendField<T>(StringBuilder sb, T value) where T : ISpanFormattable
    {
        sb.Append('\t');
        AppendNumber(sb, value);
    }

    /// <summary>Appends an integer in invariant digits, without a string per number (the data-store renders a line per file).</summary>
    private static void AppendNumber<T>(StringBuilder sb, T value) where T : ISpanFormattable
    {
        Span<char> digits = stackalloc char[24];
        value.TryFormat(digits, out var n, default, CultureInfo.InvariantCulture);
        sb.Append(digits[..n]);
    }

    private static void AppendTime(StringBuilder sb, Timestamp t)
    {
        Span<char> text = stackalloc char[32];
        t.Seconds.TryFormat(text, out var n, default, CultureInfo.InvariantCulture);
        text[n++] = '.';
        t.Nanoseconds.TryFormat(text[n..], out var m, "D9", CultureInfo.InvariantCulture);
        sb.Append(text[..(n + m)]);
    }

    /// <summary>Parses one entry line; any malformed line is a <see cref="FormatException"/> naming it.</summary>
    public static ManifestEntry Parse(string line) => Parse(line.AsSpan());

    /// <summary>The same, for a line held in a buffer: nothing but the entry's own fields is allocated.</summary>
    public static ManifestEntry Parse(ReadOnlySpan<char> line)
    {
        try
        {
            return ParseFields(line);
        }
        catch (Exception e) when (e is OverflowException or IndexOutOfRangeException or ArgumentException)
        {
            throw new FormatException($"malformed manifest line ({e.Message}): {line}", e);
        }
    }

    private static ManifestEntry ParseFields(ReadOnlySpan<char> span)
    {
        Span<Range> f = stackalloc Range[17];
        var count = span.Split(f, '\t');
        if (count is not (14 or 15 or 16))
            throw new FormatException($"manifest line has {count} fields, expected 16: {span}");
        var c = CultureInfo.InvariantCulture;
        var meta = new FileMeta(
            Type: (EntryType)span[f[1]][0],
            Mode: ParseOctal(span[f[2]], span),
            Uid: uint.Parse(span[f[3]], c),
            Gid: uint.Parse(span[f[4]], c),
            Size: long.Parse(span[f[5]], c),
            Mtime: ParseTime(span[f[6]]),
            Ctime: ParseTime(span[f[7]]),
            Device: ulong.Parse(span[f[8]], c),
            Inode: ulong.Parse(span[f[9]], c),
            Rdev: ulong.Parse(span[f[10]], c),
            LinkCount: count == 16 ? ulong.Parse(span[f[15]], c) : 1);
        var path = span[f[0]];
        var hash = span[f[11]];
        var suffix = span[f[12]];
        var target = span[f[13]];
        return new ManifestEntry(
            Path: path is "." ? "" : PathBytes.Unescape(path.ToString()),
            Meta: meta,
            Hash: hash.Length == 0 ? null : hash.ToString(),
            EntrySuffix: suffix.Length == 0 ? -1 : int.Parse(suffix, c),
            LinkTarget: target.Length == 0 ? null : PathBytes.UnescapeBytes(target.ToString()),
            Xattrs: count >= 15 ? Xattrs.Parse(span[f[14]]) : null);
    }

    private static uint ParseOctal(ReadOnlySpan<char> text, ReadOnlySpan<char> line)
    {
        if (text.Length == 0 || text.Length > 11)
            throw new FormatException($"bad mode in manifest line: {line}");
        uint value = 0;
        foreach (var ch in text)
        {
            if (ch < '0' || ch > '7')
                throw new FormatException($"bad mode in manifest line: {line}");
            value = value * 8 + (uint)(ch - '0');
        }
        return value;
    }

    private static Timestamp ParseTime(ReadOnlySpan<char> text)
    {
        var dot = text.IndexOf('.');
        if (dot < 0)
            return new Timestamp(long.Parse(text, CultureInfo.InvariantCulture), 0);
        return new Timestamp(long.Parse(text[..dot], CultureInfo.InvariantCulture), long.Parse(text[(dot + 1)..], CultureInfo.InvariantCulture));
    }
}
