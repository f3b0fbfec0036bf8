using ActorBackup.Core;
using Akka.Actor;

namespace ActorBackup.Protocol.Serialization;

/// <summary>Writes the protocol's field types compactly: varints, length-prefixed bytes, paths as raw name bytes.</summary>
internal sealed class WireWriter(BinaryWriter w)
{
    public void Long(long v) => w.Write7BitEncodedInt64(v);
    public void Int(int v) => w.Write7BitEncodedInt(v);
    public void Bool(bool v) => w.Write(v);

    public void Bytes(byte[]? v)
    {
        if (v is null)
        {
            Int(-1);
            return;
        }
        Int(v.Length);
        w.Write(v);
    }

    public void Str(string? v) => Bytes(v is null ? null : System.Text.Encoding.UTF8.GetBytes(v));

    /// <summary>File names travel as their bytes, so non-UTF-8 names arrive exactly.</summary>
    public void Path(string v) => Bytes(PathBytes.ToBytes(v));

    public void Ref(IActorRef r) => Str(Akka.Serialization.Serialization.SerializedActorPath(r));

    public void Meta(FileMeta m)
    {
        w.Write((byte)m.Type);
        Long(m.Mode);
        Long(m.Uid);
        Long(m.Gid);
        Long(m.Size);
        Long(m.Mtime.Seconds);
        Long(m.Mtime.Nanoseconds);
        Long(m.Ctime.Seconds);
        Long(m.Ctime.Nanoseconds);
        w.Write(m.Device);
        w.Write(m.Inode);
        w.Write(m.Rdev);
        w.Write(m.LinkCount);
    }

    public void Entry(SourceEntry e)
    {
        Path(e.Path);
        Meta(e.Meta);
        Bytes(e.LinkTarget);
        Int(e.Xattrs?.Count ?? -1);
        foreach (var x in e.Xattrs ?? [])
        {
            Path(x.Name);
            Bytes(x.Value);
        }
        Bool(e.Known is not null);
        if (e.Known is null)
            return;
        Str(e.Known.Hash);
        Int(e.Known.Suffix);
        Bool(e.Known.SameOwnership);
    }

    public void Problem(FileProblem? p)
    {
        Bool(p is not null);
        if (p is null)
            return;
        Path(p.Path);
        Str(p.Reason);
    }

    public void Hashed(HashedFile h)
    {
        Entry(h.Source);
        Str(h.Hash);
        Str(h.Temp);
    }

    public void List<T>(IReadOnlyList<T> items, Action<T> item)
    {
        Int(items.Count);
        foreach (var i in items)
            item(i);
    }
}

/// <summary>Reads what <see cref="WireWriter"/> wrote, in the same order.</summary>
internal sealed class WireReader(BinaryReader r, ExtendedActorSystem system)
{
    public long Long() => r.Read7BitEncodedInt64();
    public int Int() => r.Read7BitEncodedInt();
    public bool Bool() => r.ReadBoolean();

    public byte[]? Bytes()
    {
        var n = Int();
        return n < 0 ? null : r.ReadBytes(n);
    }

    public string? Str() => Bytes() is { } b ? System.Text.Encoding.UTF8.GetString(b) : null;

    public string S() => Str() ?? throw new InvalidDataException("a required string is missing");

    public string Path() => PathBytes.FromBytes(Bytes() ?? []);

    public IActorRef Ref() => system.Provider.ResolveActorRef(S());

    public FileMeta Meta() => new(
        (EntryType)r.ReadByte(),
        (uint)Long(),
        (uint)Long(),
        (uint)Long(),
        Long(),
        new Timestamp(Long(), Long()),
        new Timestamp(Long(), Long()),
        r.ReadUInt64(),
        r.ReadUInt64(),
        r.ReadUInt64(),
        r.ReadUInt64());

    public SourceEntry Entry()
    {
        var (path, meta, target) = (Path(), Meta(), Bytes());
        var xattrs = Xattrs();
        return new SourceEntry(path, meta, target, Bool() ? new KnownContent(S(), Int(), Bool()) : null, xattrs);
    }

    private List<Xattr>? Xattrs()
    {
        var n = Int();
        if (n < 0)
            return null;
        if (n > 100_000)
            throw new InvalidDataException($"xattr count {n} is out of range");
        var list = new List<Xattr>(n);
        for (var i = 0; i < n; i++)
            list.Add(new Xattr(Path(), Bytes() ?? []));
        return list;
    }

    public FileProblem? Problem() => Bool() ? new FileProblem(Path(), S()) : null;

    public FileProblem P() => Problem() ?? throw new InvalidDataException("a required problem is missing");

    public HashedFile Hashed() => new(Entry(), S(), Str());

    public List<T> List<T>(Func<T> item)
    {
        var n = Int();
        if (n < 0 || n > 10_000_000)
            throw new InvalidDataException($"list length {n} is out of range");
        var list = new List<T>(Math.Min(n, 4096));
        for (var i = 0; i < n; i++)
            list.Add(item());
        return list;
    }
}
