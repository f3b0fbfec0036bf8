using System.Globalization;

namespace ActorBackup.Core.Manifest;

/// <summary>
/// The manifest text format, one entry per line, fields separated by tabs:
/// <code>
///   #actorbackup-manifest 1
///   #hash sha1
///   #root /home            (escaped like paths)
///   #snapshot /backup/week10
///   #started 2026-11-26T14:00:00Z
///   path type mode uid gid size mtime ctime dev ino rdev hash suffix target
///   ...
///   #end 12345             (entry count: a manifest without it is incomplete)
/// </code>
/// path and target are escaped (<see cref="PathBytes"/>), mode is octal, times are
/// seconds.nanoseconds, empty fields mean "none". The root's path is ".".
/// </summary>
public static class ManifestFormat
{
    public const string Magic = "#actorbackup-manifest 1";

    public static string Render(ManifestEntry e)
    {
        var m = e.Meta;
        var path = e.Path.Length == 0 ? "." : PathBytes.Escape(e.Path);
        var target = e.LinkTarget is null ? "" : PathBytes.Escape(e.LinkTarget);
        var suffix = e.EntrySuffix < 0 ? "" : e.EntrySuffix.ToString(CultureInfo.InvariantCulture);
        return string.Join('\t',
            path, ((char)m.Type).ToString(), Convert.ToString(m.Mode, 8), m.Uid, m.Gid, m.Size,
            m.Mtime, m.Ctime, m.Device, m.Inode, m.Rdev, e.Hash ?? "", suffix, target);
    }

    public static ManifestEntry Parse(string line)
    {
        var f = line.Split('\t');
        if (f.Length != 14)
            throw new FormatException($"manifest line has {f.Length} fields, expected 14: {line}");
        var meta = new FileMeta(
            Type: (EntryType)f[1][0],
            Mode: Convert.ToUInt32(f[2], 8),
            Uid: uint.Parse(f[3], CultureInfo.InvariantCulture),
            Gid: uint.Parse(f[4], CultureInfo.InvariantCulture),
            Size: long.Parse(f[5], CultureInfo.InvariantCulture),
            Mtime: Timestamp.Parse(f[6]),
            Ctime: Timestamp.Parse(f[7]),
            Device: ulong.Parse(f[8], CultureInfo.InvariantCulture),
            Inode: ulong.Parse(f[9], CultureInfo.InvariantCulture),
            Rdev: ulong.Parse(f[10], CultureInfo.InvariantCulture),
            LinkCount: 1);
        return new ManifestEntry(
            Path: f[0] == "." ? "" : PathBytes.Unescape(f[0]),
            Meta: meta,
            Hash: f[11].Length == 0 ? null : f[11],
            EntrySuffix: f[12].Length == 0 ? -1 : int.Parse(f[12], CultureInfo.InvariantCulture),
            LinkTarget: f[13].Length == 0 ? null : PathBytes.UnescapeBytes(f[13]));
    }
}
