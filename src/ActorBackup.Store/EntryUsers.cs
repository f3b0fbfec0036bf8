using System.Globalization;
using System.Runtime.InteropServices;
using ActorBackup.Core;
using ActorBackup.Store.Catalog;

namespace ActorBackup.Store;

/// <summary>
/// A store entry as a map key: its hash's bits (SHA1 uses A, B and half of C; SHA256 all
/// four) and its suffix. 40 bytes, against about 130 for the entry's name as a string.
/// </summary>
internal readonly record struct EntryKey(ulong A, ulong B, ulong C, ulong D, int Suffix)
{
    public static EntryKey Of(string hash, int suffix) =>
        new(Part(hash, 0), Part(hash, 1), Part(hash, 2), Part(hash, 3), suffix);

    private static ulong Part(string hash, int index)
    {
        var start = index * 16;
        return start >= hash.Length ? 0 : ulong.Parse(hash.AsSpan(start, Math.Min(16, hash.Length - start)), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// stats --by=user: for each store entry the counted manifests link to, which users link
/// to it. One record per entry (key 40 bytes + value 16 + the dictionary's own 8, about
/// 70 bytes, plus the dictionary's growth slack); the
/// list of users is kept only for the few entries more than one user links to.
/// </summary>
internal sealed class EntryUsers
{
    private readonly Dictionary<EntryKey, Use> _uses = [];
    private readonly Dictionary<EntryKey, List<int>> _sharers = [];

    public long UnreferencedEntries { get; private set; }

    public long UnreferencedBytes { get; private set; }

    public long MissingEntries { get; private set; }

    /// <summary>A file of <paramref name="user"/> links to the entry.</summary>
    public void Link(EntryKey key, int user)
    {
        ref var use = ref CollectionsMarshal.GetValueRefOrAddDefault(_uses, key, out var existed);
        if (!existed)
        {
            use.User = user;
            return;
        }
        if (use.Shared)
        {
            var sharers = _sharers[key];
            if (!sharers.Contains(user))
                sharers.Add(user);
        }
        else if (use.User != user)
        {
            use.Shared = true;
            _sharers[key] = [use.User, user];
        }
    }

    /// <summary>
    /// The store walk found the entry, with <paramref name="size"/> bytes (0 for a second
    /// name of an inode already counted: <paramref name="counted"/> is false then).
    /// </summary>
    public void Found(EntryKey key, long size, bool counted)
    {
        ref var use = ref CollectionsMarshal.GetValueRefOrNullRef(_uses, key);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref use))
        {
            if (counted)
            {
                UnreferencedEntries++;
                UnreferencedBytes += size;
            }
            return;
        }
        use.Found = true;
        use.Size = size;
    }

    /// <summary>After the walk: adds each entry's bytes to its only user's unique bytes, or to every sharer's shared bytes.</summary>
    public void Charge(long[] unique, long[] shared)
    {
        foreach (var (key, use) in _uses)
        {
            if (!use.Found)
            {
                MissingEntries++;
                continue;
            }
            if (!use.Shared)
                unique[use.User] += use.Size;
            else
                foreach (var user in _sharers[key])
                    shared[user] += use.Size;
        }
    }

    private struct Use
    {
        public long Size;
        public int User;
        public bool Shared;
        public bool Found;
    }
}

/// <summary>Users by name, each with their files and logical bytes; indexes for <see cref="EntryUsers"/>.</summary>
internal sealed class UserTable
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    private readonly List<(long Files, long Bytes)> _totals = [];

    public long Files { get; private set; }

    public long Bytes { get; private set; }

    public int IndexOf(string user)
    {
        if (_index.TryGetValue(user, out var i))
            return i;
        _index[user] = _names.Count;
        _names.Add(user);
        _totals.Add((0, 0));
        return _names.Count - 1;
    }

    public void AddFile(string user, long size) => Add(IndexOf(user), 1, size);

    /// <summary>Adds another table's users (one manifest's, once it proved sound).</summary>
    public void Add(UserTable other)
    {
        for (var i = 0; i < other._names.Count; i++)
            Add(IndexOf(other._names[i]), other._totals[i].Files, other._totals[i].Bytes);
    }

    /// <summary>Each user's figures, the biggest unique bytes first (then by name).</summary>
    public List<UserUsage> Usage(EntryUsers entries)
    {
        var unique = new long[_names.Count];
        var shared = new long[_names.Count];
        entries.Charge(unique, shared);
        return _names
            .Select((name, i) => new UserUsage(PathBytes.Escape(name), unique[i], shared[i], _totals[i].Bytes, _totals[i].Files))
            .OrderByDescending(u => u.UniqueBytes)
            .ThenBy(u => u.User, StringComparer.Ordinal)
            .ToList();
    }

    private void Add(int index, long files, long bytes)
    {
        _totals[index] = (_totals[index].Files + files, _totals[index].Bytes + bytes);
        Files += files;
        Bytes += bytes;
    }
}
