using System.Globalization;
using System.Text;
using ActorBackup.Core;
using Mono.Unix.Native;

namespace ActorBackup.Testing;

public enum RandomEntryKind
{
    Directory,
    File,

    /// <summary>A second name of an earlier <see cref="File"/> (<see cref="RandomEntry.LinkOf"/>): no metadata of its own.</summary>
    Hardlink,
    Symlink,
    Fifo,
    CharDevice,
    BlockDevice,

    /// <summary>
    /// A unix socket, only ever at the root under a short name (bind takes at most 107 bytes of
    /// path). No metadata of its own: backup and restore skip sockets.
    /// </summary>
    Socket,
}

/// <summary>
/// One entry of a <see cref="RandomTree"/>. <see cref="Path"/> is root-relative bytes with '/'
/// separators (empty for the root). Which fields count depends on <see cref="Kind"/>: content
/// for files, <see cref="Target"/> for symlinks, <see cref="LinkOf"/> for hardlinks,
/// <see cref="Major"/>/<see cref="Minor"/> for devices. A hardlink has no mode, owner or time of
/// its own: it shares its file's inode.
/// </summary>
public sealed record RandomEntry
{
    public required byte[] Path { get; init; }

    public required RandomEntryKind Kind { get; init; }

    /// <summary>Permission bits (07777); symlinks have none.</summary>
    public uint Mode { get; init; }

    public uint Uid { get; init; }

    public uint Gid { get; init; }

    public long MtimeSeconds { get; init; }

    public long MtimeNanoseconds { get; init; }

    /// <summary>A file's bytes are <see cref="RandomTree.Content"/>(seed, length): equal pairs are equal contents.</summary>
    public int ContentSeed { get; init; }

    public int ContentLength { get; init; }

    public byte[] Target { get; init; } = [];

    public byte[] LinkOf { get; init; } = [];

    public uint Major { get; init; }

    public uint Minor { get; init; }

    /// <summary>
    /// Extended attributes set on the entry (names and values as bytes): user.* on files and
    /// folders, POSIX access ACLs (and default ACLs on folders), trusted.* on symlinks and
    /// special files. An ACL's bits are the mode's once the mode is set (chmod updates it).
    /// </summary>
    public IReadOnlyList<(byte[] Name, byte[] Value)> Xattrs { get; init; } = [];

    /// <summary>The path for a listing: long ones (255-byte names) cut in the middle.</summary>
    public string Shown => Path.Length == 0 ? "." : Short(Path);

    /// <summary>The path as the string Mono.Posix and <see cref="TreeBuilder"/> take.</summary>
    public string Relative => Names.FromBytes(Path);

    /// <summary>The last component of the path.</summary>
    public byte[] Name => Path[(Array.LastIndexOf(Path, (byte)'/') + 1)..];

    /// <summary>The parent's path (empty for the root's children).</summary>
    public byte[] Parent => Array.LastIndexOf(Path, (byte)'/') is var slash and >= 0 ? Path[..slash] : [];

    public bool HasMetadata => Kind is not (RandomEntryKind.Hardlink or RandomEntryKind.Socket);

    public override string ToString()
    {
        var what = Kind switch
        {
            RandomEntryKind.Hardlink => $"hardlink of {Short(LinkOf)}",
            RandomEntryKind.Symlink => $"symlink -> {Short(Target)} ({Target.Length} bytes)",
            RandomEntryKind.File => $"file {ContentLength} bytes (content seed {ContentSeed})",
            RandomEntryKind.CharDevice or RandomEntryKind.BlockDevice => $"{Kind} {Major},{Minor}",
            _ => Kind.ToString(),
        };
        var metadata = !HasMetadata ? "" : string.Create(CultureInfo.InvariantCulture,
            $"  mode {Octal.Format(Mode)} owner {Uid}:{Gid} mtime {MtimeSeconds}.{MtimeNanoseconds:D9}");
        if (Xattrs.Count > 0)
            metadata += "  xattrs " + string.Join(", ", Xattrs.Select(x => $"{Names.Show(x.Name)} ({x.Value.Length} bytes)"));
        return $"{Shown}: {what}{metadata}";
    }

    private static string Short(byte[] bytes) =>
        bytes.Length <= 120 ? Names.Show(bytes) : $"{Names.Show(bytes[..60])}...{Names.Show(bytes[^40..])}";
}

/// <summary>
/// A random source tree for property tests, made from a seed: files of many sizes (empty,
/// small, at block and read-buffer boundaries, a few over 1 MiB) with contents repeated across
/// owners and modes, hardlinks, nested and empty folders, symlinks (dangling, absolute,
/// relative, long, odd bytes), FIFOs, character and block devices, now and then a socket;
/// modes from 000 to 07777 (setuid, setgid, sticky), other owners and groups, mtimes with
/// nanoseconds from 1901 to 2286, xattrs and POSIX ACLs (names not UTF-8, values up to 2 KiB),
/// and odd names (bytes that are not UTF-8, control bytes,
/// newlines, tabs, leading dashes, spaces, '%', '#', 255-byte names). The same seed and
/// entry count always give the same tree, so a failure is replayed from the two numbers that
/// <see cref="ToString"/> prints; <see cref="Shrink"/> gives smaller and plainer variants, so a
/// property test can look for the smallest tree that still fails. <see cref="Build"/> makes
/// it on disk (as root: devices and chown need it). Relative paths stay below 3,000 bytes, so
/// every path-based call works; deeper trees are another test's business.
/// </summary>
public sealed class RandomTree
{
    public const int MaxPathBytes = 3000;

    private RandomTree(int seed, int size, bool shrunk, IReadOnlyList<RandomEntry> entries)
    {
        Seed = seed;
        Size = size;
        Shrunk = shrunk;
        Entries = entries;
    }

    public int Seed { get; }

    /// <summary>The entry count asked of <see cref="Generate"/> (the root not counted).</summary>
    public int Size { get; }

    /// <summary>True once <see cref="Shrink"/> made it: the seed then no longer gives this tree.</summary>
    public bool Shrunk { get; }

    /// <summary>The root first, then every entry after its parent (and a hardlink after its file).</summary>
    public IReadOnlyList<RandomEntry> Entries { get; }

    public RandomEntry Root => Entries[0];

    public IEnumerable<RandomEntry> Files => Entries.Where(e => e.Kind == RandomEntryKind.File);

    /// <summary>A file's bytes: <paramref name="length"/> bytes that only this seed gives.</summary>
    public static byte[] Content(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static byte[] Content(RandomEntry file) => Content(file.ContentSeed, file.ContentLength);

    /// <summary>The tree of <paramref name="entries"/> entries below the root that <paramref name="seed"/> gives.</summary>
    public static RandomTree Generate(int seed, int entries) => new(seed, entries, false, new Generator(seed).Tree(entries));

    /// <summary>
    /// Makes the tree under <paramref name="root"/> (created if missing, else taken as the root
    /// entry, and expected empty). Metadata is set in the order a disk needs: everything
    /// created, then owners, then modes (a chown clears setuid and setgid), then times, folders
    /// after their children and deepest first.
    /// </summary>
    public void Build(string root)
    {
        var tree = new TreeBuilder(root);
        foreach (var e in Entries.Skip(1))
        {
            var relative = e.Relative;
            switch (e.Kind)
            {
                case RandomEntryKind.Directory:
                    tree.Dir(relative);
                    break;
                case RandomEntryKind.File:
                    tree.File(relative, Content(e));
                    break;
                case RandomEntryKind.Hardlink:
                    if (Syscall.link(tree.PathOf(Names.FromBytes(e.LinkOf)), tree.PathOf(relative)) != 0)
                        throw PosixFs.Fail("link", tree.PathOf(relative));
                    break;
                case RandomEntryKind.Symlink:
                    tree.Symlink(relative, e.Target);
                    break;
                case RandomEntryKind.Fifo:
                    tree.Fifo(relative);
                    break;
                case RandomEntryKind.CharDevice:
                    tree.CharDevice(relative, e.Major, e.Minor);
                    break;
                case RandomEntryKind.BlockDevice:
                    var path = tree.PathOf(relative);
                    if (Syscall.mknod(path, FilePermissions.S_IFBLK | FilePermissions.S_IRUSR | FilePermissions.S_IWUSR, TreeBuilder.MakeDev(e.Major, e.Minor)) != 0)
                        throw PosixFs.Fail("mknod", path);
                    break;
                case RandomEntryKind.Socket:
                    tree.Socket(relative);
                    break;
            }
        }
        var withMetadata = Entries.Where(e => e.HasMetadata && e.Kind != RandomEntryKind.Socket).ToList();
        // Xattrs once everything exists (nothing made later inherits a default ACL), before the mode.
        foreach (var e in withMetadata)
            foreach (var (name, value) in e.Xattrs)
                XattrFs.Set(tree.PathOf(e.Relative), name, value);
        foreach (var e in withMetadata)
            tree.Chown(e.Relative, e.Uid, e.Gid);
        foreach (var e in withMetadata.Where(e => e.Kind != RandomEntryKind.Symlink))
            tree.Chmod(e.Relative, int.Parse(Octal.Format(e.Mode), CultureInfo.InvariantCulture));
        foreach (var e in withMetadata.Where(e => e.Kind != RandomEntryKind.Directory))
            tree.Mtime(e.Relative, e.MtimeSeconds, e.MtimeNanoseconds);
        foreach (var e in withMetadata.Where(e => e.Kind == RandomEntryKind.Directory).OrderByDescending(e => Depth(e.Path)))
            tree.Mtime(e.Relative, e.MtimeSeconds, e.MtimeNanoseconds);
    }

    /// <summary>
    /// Smaller or plainer trees, most promising first: whole runs of entries removed (halves,
    /// quarters, ... single entries; with an entry go its descendants and hardlinks), then each
    /// entry made plain in one respect (name, mode, owner, time, content, target, device).
    /// </summary>
    public IEnumerable<RandomTree> Shrink()
    {
        var count = Entries.Count - 1;
        for (var chunk = Math.Max(1, count / 2); chunk >= 1; chunk /= 2)
        {
            for (var start = 1; start <= count; start += chunk)
            {
                var removed = Entries.Skip(start).Take(chunk).ToList();
                yield return Without(removed);
            }
            if (chunk == 1)
                break;
        }
        for (var i = 0; i < Entries.Count; i++)
            foreach (var plainer in Plainer(Entries[i]))
                yield return With(i, plainer);
    }

    public override string ToString()
    {
        var header = Shrunk
            ? $"a tree shrunk from seed {Seed} size {Size}, {Entries.Count - 1} entries:"
            : $"the tree of seed {Seed} size {Size}, {Entries.Count - 1} entries:";
        return header + "\n" + string.Join("\n", Entries.Select(e => "  " + e));
    }

    private static int Depth(byte[] path) => path.Length == 0 ? 0 : path.Count(b => b == '/') + 1;

    private static bool IsUnder(byte[] path, byte[] ancestor) =>
        path.AsSpan().SequenceEqual(ancestor) || (path.Length > ancestor.Length && path.AsSpan().StartsWith(ancestor) && path[ancestor.Length] == '/');

    private RandomTree Without(IReadOnlyList<RandomEntry> removed)
    {
        var gone = removed.Where(e => e.Path.Length > 0).Select(e => e.Path).ToList();
        var kept = Entries.Where(e => !gone.Any(g => IsUnder(e.Path, g))).ToList();
        // A hardlink whose file went goes too.
        kept = kept.Where(e => e.Kind != RandomEntryKind.Hardlink || kept.Any(f => f.Kind == RandomEntryKind.File && f.Path.AsSpan().SequenceEqual(e.LinkOf))).ToList();
        return new RandomTree(Seed, Size, true, kept);
    }

    private RandomTree With(int index, RandomEntry changed)
    {
        var old = Entries[index];
        if (old.Path.AsSpan().SequenceEqual(changed.Path))
            return new RandomTree(Seed, Size, true, Entries.Select((e, i) => i == index ? changed : e).ToList());
        // A rename: descendants and hardlinks follow the new path.
        byte[] Moved(byte[] path) => IsUnder(path, old.Path) ? [.. changed.Path, .. path[old.Path.Length..]] : path;
        return new RandomTree(Seed, Size, true, Entries.Select((e, i) => i == index ? changed : e with { Path = Moved(e.Path), LinkOf = Moved(e.LinkOf) }).ToList());
    }

    private IEnumerable<RandomEntry> Plainer(RandomEntry e)
    {
        if (e.Path.Length > 0 && !Generator.IsPlain(e.Name))
        {
            var name = Enumerable.Range(0, int.MaxValue).Select(n => Encoding.ASCII.GetBytes($"p{n}"))
                .First(n => !Entries.Any(other => other.Parent.AsSpan().SequenceEqual(e.Parent) && other.Name.AsSpan().SequenceEqual(n)));
            yield return e with { Path = e.Parent.Length == 0 ? name : [.. e.Parent, (byte)'/', .. name] };
        }
        if (!e.HasMetadata)
            yield break;
        var plainMode = e.Kind == RandomEntryKind.Directory ? Octal.Mode(755) : Octal.Mode(644);
        if (e.Kind != RandomEntryKind.Symlink && e.Mode != plainMode)
            yield return e with { Mode = plainMode };
        if (e.Uid != 0 || e.Gid != 0)
            yield return e with { Uid = 0, Gid = 0 };
        if (e.MtimeSeconds != Generator.PlainTime || e.MtimeNanoseconds != 0)
            yield return e with { MtimeSeconds = Generator.PlainTime, MtimeNanoseconds = 0 };
        if (e.Kind == RandomEntryKind.File && e.ContentLength > 0)
        {
            yield return e with { ContentLength = 0 };
            if (e.ContentLength > 1)
                yield return e with { ContentLength = e.ContentLength / 2 };
        }
        if (e.Kind == RandomEntryKind.Symlink && !e.Target.AsSpan().SequenceEqual("t"u8))
            yield return e with { Target = "t"u8.ToArray() };
        if (e.Kind is RandomEntryKind.CharDevice or RandomEntryKind.BlockDevice && (e.Major, e.Minor) != (1, 3))
            yield return e with { Major = 1, Minor = 3 };
        if (e.Xattrs.Count > 0)
            yield return e with { Xattrs = [] };
    }

    /// <summary>The random choices, all from one <see cref="Random"/> seeded once, in a fixed order.</summary>
    private sealed class Generator(int seed)
    {
        public const long PlainTime = 1_600_000_000;

        private const int ReadBuffer = 1 << 20; // the hashers' and copiers' default read-buffer

        private readonly Random _random = new(seed);

        // Xattrs are drawn from a random of their own, so a seed gives the tree it gave before they were.
        private readonly Random _xattrRandom = new(unchecked(seed * 7919 + 17));
        private readonly List<RandomEntry> _entries = [];
        private readonly List<(int Seed, int Length)> _contents = [];

        public static bool IsPlain(byte[] name) => name.Length is > 0 and <= 16 && name.All(b => b is >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9');

        public List<RandomEntry> Tree(int count)
        {
            _entries.Add(WithMetadata(new RandomEntry { Path = [], Kind = RandomEntryKind.Directory }));
            for (var i = 0; i < count; i++)
                _entries.Add(Entry());
            return _entries;
        }

        private RandomEntry Entry()
        {
            var folders = _entries.Where(e => e.Kind == RandomEntryKind.Directory && e.Path.Length < MaxPathBytes - 300).ToList();
            var parent = folders[_random.Next(folders.Count)].Path;
            var kind = Pick(
                (40, RandomEntryKind.File), (20, RandomEntryKind.Directory), (14, RandomEntryKind.Symlink), (6, RandomEntryKind.Hardlink),
                (6, RandomEntryKind.Fifo), (6, RandomEntryKind.CharDevice), (5, RandomEntryKind.BlockDevice), (1, RandomEntryKind.Socket));
            if (kind == RandomEntryKind.Socket && _entries.Any(e => e.Kind == RandomEntryKind.Socket))
                kind = RandomEntryKind.Fifo;
            if (kind == RandomEntryKind.Hardlink && !_entries.Any(e => e.Kind == RandomEntryKind.File))
                kind = RandomEntryKind.File;
            var path = kind == RandomEntryKind.Socket ? UniquePath([], "sock"u8.ToArray()) : UniquePath(parent, Name(parent));
            var entry = new RandomEntry { Path = path, Kind = kind };
            return WithXattrs(kind switch
            {
                RandomEntryKind.Hardlink => entry with { LinkOf = Element(_entries.Where(e => e.Kind == RandomEntryKind.File).ToList()).Path },
                RandomEntryKind.File => FileContent(WithMetadata(entry)),
                RandomEntryKind.Symlink => WithMetadata(entry) with { Mode = Octal.Mode(777), Target = Target(path) },
                RandomEntryKind.CharDevice or RandomEntryKind.BlockDevice => DeviceNumbers(WithMetadata(entry)),
                RandomEntryKind.Socket => entry,
                _ => WithMetadata(entry),
            });
        }

        /// <summary>Now and then xattrs: user.* (names not UTF-8 too) and ACLs on files and folders, trusted.* on the rest.</summary>
        private RandomEntry WithXattrs(RandomEntry e)
        {
            if (!e.HasMetadata || _xattrRandom.Next(100) >= 30)
                return e;
            var r = _xattrRandom;
            var xattrs = new List<(byte[] Name, byte[] Value)>();
            byte[] Value() => RandomTree.Content(r.Next(), r.Next(4) == 0 ? r.Next(200, 2048) : r.Next(0, 40));
            byte[] Name(string space) => r.Next(5) switch
            {
                0 => [.. Encoding.ASCII.GetBytes(space + "."), 0xFF, 0xFE, (byte)'x'],
                1 => Encoding.UTF8.GetBytes(space + ".日本 %#=\t"),
                _ => Encoding.ASCII.GetBytes($"{space}.a{r.Next(3)}"),
            };
            if (e.Kind is RandomEntryKind.File or RandomEntryKind.Directory)
            {
                if (r.Next(2) == 0)
                    xattrs.Add((Name("user"), Value()));
                if (r.Next(2) == 0)
                    xattrs.Add((Encoding.ASCII.GetBytes("system.posix_acl_access"), Acl(r)));
                if (e.Kind == RandomEntryKind.Directory && r.Next(3) == 0)
                    xattrs.Add((Encoding.ASCII.GetBytes("system.posix_acl_default"), Acl(r)));
            }
            else
                xattrs.Add((Name("trusted"), Value()));
            return e with { Xattrs = xattrs.DistinctBy(x => Convert.ToHexString(x.Name)).ToList() };
        }

        /// <summary>An extended ACL in the kernel's xattr form: owner, a named user or two, group, a named group, mask, other.</summary>
        private static byte[] Acl(Random r)
        {
            var entries = new List<(ushort Tag, ushort Perm, uint Id)> { (0x01, (ushort)r.Next(8), uint.MaxValue) };
            foreach (var id in new[] { 1000u, 1234u, 4294967294u }.Where(_ => r.Next(2) == 0))
                entries.Add((0x02, (ushort)r.Next(8), id));
            entries.Add((0x04, (ushort)r.Next(8), uint.MaxValue));
            if (r.Next(2) == 0)
                entries.Add((0x08, (ushort)r.Next(8), 5678));
            entries.Add((0x10, (ushort)r.Next(8), uint.MaxValue));
            entries.Add((0x20, (ushort)r.Next(8), uint.MaxValue));
            var bytes = new byte[4 + 8 * entries.Count];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes, 2);
            for (var i = 0; i < entries.Count; i++)
            {
                var at = bytes.AsSpan(4 + 8 * i);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(at, entries[i].Tag);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(at[2..], entries[i].Perm);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(at[4..], entries[i].Id);
            }
            return bytes;
        }

        private RandomEntry WithMetadata(RandomEntry e)
        {
            var mode = e.Kind == RandomEntryKind.Directory
                ? Pick((30, 755), (10, 700), (8, 0), (8, 777), (8, 1777), (8, 2775), (6, 555), (6, 3777), (6, 7777), (10, -1))
                : Pick((25, 644), (8, 600), (8, 0), (8, 777), (6, 4755), (6, 2755), (5, 6755), (5, 1777), (5, 7777), (4, 444), (4, 200), (16, -1));
            var uid = Pick((40, 0u), (15, 1000u), (10, 1234u), (8, 65534u), (6, 2147483648u), (6, 4294967294u), (15, (uint)_random.Next(1, 100_000)));
            var gid = _random.Next(3) == 0 ? uid : Pick((40, 0u), (15, 1000u), (10, 5678u), (8, 65534u), (6, 4294967294u), (21, (uint)_random.Next(1, 100_000)));
            // Not -2^31 itself: ext4's earliest second, where the kernel clamps and drops the ns.
            var seconds = Pick(
                (35, 1_700_000_000L + _random.Next(-100_000_000, 100_000_000)), (8, 0L), (8, -1L), (6, -2_147_483_647L), (6, -946_771_200L),
                (6, 2_147_483_647L), (6, 2_147_483_648L), (6, 4_102_444_800L), (6, 10_000_000_000L), (13, PlainTime));
            var nanoseconds = Pick((15, 0L), (8, 1L), (8, 999_999_999L), (69, (long)_random.Next(0, 1_000_000_000)));
            return e with
            {
                Mode = mode < 0 ? (uint)_random.Next(0, 4096) : Octal.Mode(mode),
                Uid = uid,
                Gid = gid,
                MtimeSeconds = seconds,
                MtimeNanoseconds = nanoseconds,
            };
        }

        private RandomEntry FileContent(RandomEntry e)
        {
            // Repeats of earlier contents, often with another owner or mode: they share a store
            // entry only when owner, group and mode agree too.
            if (_contents.Count > 0 && _random.Next(100) < 35)
            {
                var (seed, length) = Element(_contents);
                return e with { ContentSeed = seed, ContentLength = length };
            }
            var size = Pick(
                (20, 0), (35, _random.Next(1, 200)), (20, _random.Next(200, 20_000)), (4, 4095), (4, 4096), (4, 4097),
                (3, 65536), (2, ReadBuffer - 1), (2, ReadBuffer), (2, ReadBuffer + 1), (4, _random.Next(ReadBuffer + 2, 5 * ReadBuffer / 2)));
            var content = (_random.Next(), size);
            _contents.Add(content);
            return e with { ContentSeed = content.Item1, ContentLength = content.size };
        }

        private RandomEntry DeviceNumbers(RandomEntry e)
        {
            var (major, minor) = Pick(
                (20, (1u, 3u)), (10, (8u, 0u)), (10, (7u, 1u)), (10, (0u, 0u)), (10, (4095u, 1_048_575u)), (10, (256u, 256u)),
                (30, ((uint)_random.Next(0, 4096), (uint)_random.Next(0, 1 << 20))));
            return e with { Major = major, Minor = minor };
        }

        private byte[] Target(byte[] ownPath)
        {
            var others = _entries.Skip(1).ToList();
            return Pick<Func<byte[]>>(
                (15, () => others.Count == 0 ? "missing"u8.ToArray() : Element(others).Name),
                (10, () => others.Count == 0 ? "/"u8.ToArray() : [.. "../"u8, .. Element(others).Path]),
                (10, () => Encoding.UTF8.GetBytes(Element(["/etc/passwd", "/etc/shadow", "/", "/nonexistent/dir/file", "/proc/self/root"]))),
                (10, () => Encoding.UTF8.GetBytes(Element(["dangling", "../../../../outside", ".", "..", "./././x", "a//b/", "~"]))),
                (10, () => ownPath[(Array.LastIndexOf(ownPath, (byte)'/') + 1)..]), // itself: a loop
                (20, () => OddBytes(_random.Next(1, 60), allowSlash: true)),
                (10, () => Encoding.UTF8.GetBytes(Element(["with space", "-rf", "%41%", "#end", "tab\there", "new\nline", "100%", "\\x41"]))),
                (5, () => OddBytes(_random.Next(255, 1200), allowSlash: true)),
                (5, () => [.. Enumerable.Repeat((byte)'x', 4095 - 8), .. "/../long"u8]))();
        }

        private byte[] Name(byte[] parent)
        {
            var room = MaxPathBytes - parent.Length - 1;
            var siblings = _entries.Skip(1).Where(e => e.Parent.AsSpan().SequenceEqual(parent)).Select(e => e.Name).ToList();
            var name = Pick<Func<byte[]>>(
                // A sibling's name with a byte added or taken away: names that sort next to a
                // folder's name, on either side of its '/' (the manifest's order, the files cache's lookups).
                (10, () => siblings.Count == 0 ? "s"u8.ToArray() : Element<Func<byte[], byte[]>>([
                    n => [.. n, Element<byte>([(byte)' ', (byte)'-', (byte)'.', (byte)'\t', (byte)'!', 0x01, (byte)'0', (byte)'~', 0x7F, 0xFF, (byte)'%', (byte)'#'])],
                    n => n.Length > 1 ? n[..^1] : [.. n, .. n]])(Element(siblings))),
                (40, () => Encoding.ASCII.GetBytes($"{Element(["f", "d", "x", "data", "a"])}{_random.Next(100)}")),
                (6, () => Encoding.UTF8.GetBytes(Element(["-", "--help", "-rf", "-n", "--", "-x y"]))),
                (6, () => Encoding.UTF8.GetBytes(Element([" ", " lead", "trail ", "in side", "  two  "]))),
                (6, () => Encoding.UTF8.GetBytes(Element(["%", "100%", "%41", "%2F", "#", "#end", "a#b", "#actorbackup-manifest 1"]))),
                (6, () => Encoding.UTF8.GetBytes(Element(["\t", "a\tb", "\n", "line\nbreak", "\r\n", "end\n"]))),
                (6, () => Element<byte[]>([[0x80], [0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFE, 0xFF, (byte)'x']])),
                (4, () => Encoding.UTF8.GetBytes(Element(["é", "日本語", "😀", "Ω≈ç", "\u200B"]))),
                (5, () => Encoding.UTF8.GetBytes(Element([".hidden", "...", "..a", ".actorbackup", "*", "?", "[x]", "$HOME", "'q'", "\"dq\"", "\\", "a\\b"]))),
                (6, () => OddBytes(_random.Next(1, 24), allowSlash: false)),
                (4, () => Element<Func<byte[]>>([
                    () => Enumerable.Repeat((byte)'n', 255).ToArray(),
                    () => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("日", 85))),
                    () => OddBytes(255, allowSlash: false)])()),
                (2, () => Encoding.ASCII.GetBytes(Convert.ToHexString(Content(_random.Next(), 20)))),
                (2, () => [(byte)_random.Next(1, 32)]))();
            if (name.Length > 255)
                name = name[..255];
            if (name.AsSpan().SequenceEqual("."u8) || name.AsSpan().SequenceEqual(".."u8))
                name = [.. name, (byte)'x'];
            return name.Length <= room ? name : Encoding.ASCII.GetBytes($"s{_random.Next(100)}");
        }

        /// <summary>Random bytes but NUL (and '/' unless allowed), never "." or "..".</summary>
        private byte[] OddBytes(int length, bool allowSlash)
        {
            var bytes = new byte[length];
            for (var i = 0; i < length; i++)
            {
                do
                    bytes[i] = (byte)_random.Next(1, 256);
                while (!allowSlash && bytes[i] == '/');
            }
            if (!allowSlash && bytes.All(b => b == '.'))
                bytes[0] = (byte)'o';
            return bytes;
        }

        /// <summary>parent/name, or with a counter appended until no sibling has that name.</summary>
        private byte[] UniquePath(byte[] parent, byte[] name)
        {
            byte[] Join(byte[] n) => parent.Length == 0 ? n : [.. parent, (byte)'/', .. n];
            var path = Join(name);
            for (var n = 2; _entries.Any(e => e.Path.AsSpan().SequenceEqual(path)); n++)
                path = Join(name.Length < 250 ? [.. name, .. Encoding.ASCII.GetBytes($"~{n}")] : [.. name[..245], .. Encoding.ASCII.GetBytes($"~{n}")]);
            return path;
        }

        private T Element<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

        private T Pick<T>(params (int Weight, T Value)[] choices)
        {
            var roll = _random.Next(choices.Sum(c => c.Weight));
            foreach (var (weight, value) in choices)
            {
                if (roll < weight)
                    return value;
                roll -= weight;
            }
            throw new InvalidOperationException("unreachable");
        }
    }
}
