using System.Globalization;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// The generator behind <see cref="RoundTripProperties"/>: a tree on disk is what its listing
/// says (else the properties would test less than they claim, silently), a seed always gives
/// the same tree, seeds together reach every kind of entry and attribute, and every shrink
/// is itself a well-formed tree.
/// </summary>
public sealed class RandomTreeTests
{
    [Fact]
    public void A_built_tree_is_on_disk_exactly_as_its_entries_describe_it()
    {
        foreach (var seed in Enumerable.Range(1, 8))
        {
            var tree = RandomTree.Generate(seed, 40);
            using var temp = new TempDir("actorbackup-randomtree");
            var root = temp.Combine("src");

            tree.Build(root);

            Assert.Equal(tree.Entries.Count - 1, PosixFs.Walk(root).Count);
            var mismatches = tree.Entries.SelectMany(e => Mismatches(root, e)).ToList();
            Assert.True(mismatches.Count == 0, $"seed {seed}:\n" + string.Join('\n', mismatches));
        }
    }

    [Fact]
    public void A_seed_and_size_always_give_the_same_tree()
    {
        Assert.Equal(RandomTree.Generate(42, 40).ToString(), RandomTree.Generate(42, 40).ToString());
        Assert.NotEqual(RandomTree.Generate(42, 40).ToString(), RandomTree.Generate(43, 40).ToString());
        Assert.Equal(40, RandomTree.Generate(42, 40).Entries.Count - 1);
    }

    [Fact]
    public void Two_hundred_trees_reach_every_kind_and_the_odd_cases_the_properties_count_on()
    {
        var entries = Enumerable.Range(0, 200).SelectMany(seed => RandomTree.Generate(seed, 40).Entries).ToList();
        var withMetadata = entries.Where(e => e.HasMetadata).ToList();
        var files = entries.Where(e => e.Kind == RandomEntryKind.File).ToList();

        foreach (var kind in Enum.GetValues<RandomEntryKind>())
            Assert.Contains(entries, e => e.Kind == kind);
        Assert.Contains(files, f => f.ContentLength == 0);
        Assert.Contains(files, f => f.ContentLength > 1 << 20);
        Assert.Contains(files, f => files.Any(g => g.ContentSeed == f.ContentSeed && g.ContentLength == f.ContentLength && g.Uid != f.Uid));
        foreach (var bits in new[] { 4000, 2000, 1000 })
            Assert.Contains(withMetadata, e => (e.Mode & Octal.Mode(bits)) != 0);
        Assert.Contains(withMetadata, e => e.Mode == 0 && e.Kind == RandomEntryKind.Directory);
        Assert.Contains(withMetadata, e => e.Mode == Octal.Mode(777) && e.Kind == RandomEntryKind.File);
        Assert.Contains(withMetadata, e => e.MtimeSeconds < 0 && e.MtimeNanoseconds > 0);
        Assert.Contains(withMetadata, e => e.MtimeSeconds > 4_000_000_000);
        Assert.Contains(withMetadata, e => e.Uid > int.MaxValue);
        Assert.Contains(entries, e => e.Name.Length == 255);
        Assert.Contains(entries, e => e.Name.Any(b => b >= 0x80));
        foreach (var b in "\n\t %#"u8.ToArray())
            Assert.Contains(entries, e => e.Name.Contains(b));
        Assert.Contains(entries, e => e.Name.Length > 0 && e.Name[0] == '-');
        Assert.Contains(entries, e => e.Kind == RandomEntryKind.Directory && !entries.Any(c => c.Parent.AsSpan().SequenceEqual(e.Path) && c.Path.Length > 0));
        Assert.Contains(entries, e => e.Kind == RandomEntryKind.Symlink && e.Target[0] == '/');
        Assert.Contains(entries, e => e.Kind == RandomEntryKind.Symlink && e.Target.Length == 4095);
        Assert.Contains(entries, e => e.Kind == RandomEntryKind.Symlink && e.Target.Any(b => b >= 0x80));
    }

    [Fact]
    public void Every_shrink_is_a_well_formed_smaller_or_plainer_tree()
    {
        var tree = RandomTree.Generate(7, 30);
        var shrinks = tree.Shrink().ToList();

        Assert.NotEmpty(shrinks);
        foreach (var smaller in shrinks)
        {
            Assert.True(smaller.Shrunk);
            Assert.True(smaller.Entries.Count <= tree.Entries.Count);
            Assert.Empty(smaller.Root.Path);
            var paths = new HashSet<string>(StringComparer.Ordinal);
            foreach (var e in smaller.Entries.Skip(1))
            {
                Assert.True(paths.Add(Convert.ToHexString(e.Path)), $"{e.Shown} twice");
                Assert.Contains(smaller.Entries.TakeWhile(p => p != e), p => p.Kind == RandomEntryKind.Directory && p.Path.AsSpan().SequenceEqual(e.Parent));
                if (e.Kind == RandomEntryKind.Hardlink)
                    Assert.Contains(smaller.Entries.TakeWhile(p => p != e), p => p.Kind == RandomEntryKind.File && p.Path.AsSpan().SequenceEqual(e.LinkOf));
            }
        }
        Assert.True(shrinks[0].Entries.Count < tree.Entries.Count, "the first shrink removes entries");
        Assert.Contains(shrinks, t => t.Entries.Count == tree.Entries.Count); // and later ones make entries plainer
    }

    private static IEnumerable<string> Mismatches(string root, RandomEntry e)
    {
        var path = e.Path.Length == 0 ? root : root + "/" + e.Relative;
        var st = PosixFs.Lstat(path);
        var type = PosixFs.TypeOf(st);
        var expectedType = e.Kind switch
        {
            RandomEntryKind.Directory => FilePermissions.S_IFDIR,
            RandomEntryKind.File or RandomEntryKind.Hardlink => FilePermissions.S_IFREG,
            RandomEntryKind.Symlink => FilePermissions.S_IFLNK,
            RandomEntryKind.Fifo => FilePermissions.S_IFIFO,
            RandomEntryKind.CharDevice => FilePermissions.S_IFCHR,
            RandomEntryKind.BlockDevice => FilePermissions.S_IFBLK,
            _ => FilePermissions.S_IFSOCK,
        };
        if (type != expectedType)
        {
            yield return $"{e.Shown}: {type}, expected {expectedType}";
            yield break;
        }
        if (e.Kind == RandomEntryKind.Hardlink)
        {
            if (PosixFs.Lstat(root + "/" + Names.FromBytes(e.LinkOf)).st_ino != st.st_ino)
                yield return $"{e.Shown}: not a hardlink of {Names.Show(e.LinkOf)}";
            yield break;
        }
        if (!e.HasMetadata)
            yield break;
        if (e.Kind != RandomEntryKind.Symlink && PosixFs.ModeOf(st) != e.Mode)
            yield return $"{e.Shown}: mode {Octal.Format(PosixFs.ModeOf(st))}, expected {Octal.Format(e.Mode)}";
        if ((st.st_uid, st.st_gid) != (e.Uid, e.Gid))
            yield return $"{e.Shown}: owner {st.st_uid}:{st.st_gid}, expected {e.Uid}:{e.Gid}";
        if ((st.st_mtime, st.st_mtime_nsec) != (e.MtimeSeconds, e.MtimeNanoseconds))
            yield return string.Create(CultureInfo.InvariantCulture, $"{e.Shown}: mtime {st.st_mtime}.{st.st_mtime_nsec:D9}, expected {e.MtimeSeconds}.{e.MtimeNanoseconds:D9}");
        if (e.Kind == RandomEntryKind.File && !PosixFs.ReadBytes(path).AsSpan().SequenceEqual(RandomTree.Content(e)))
            yield return $"{e.Shown}: other bytes than its content seed gives";
        if (e.Kind == RandomEntryKind.Symlink && !PosixFs.ReadLink(path).AsSpan().SequenceEqual(e.Target))
            yield return $"{e.Shown}: target {Names.Show(PosixFs.ReadLink(path))}";
        if (e.Kind is RandomEntryKind.CharDevice or RandomEntryKind.BlockDevice && st.st_rdev != TreeBuilder.MakeDev(e.Major, e.Minor))
            yield return $"{e.Shown}: device number {st.st_rdev}";
    }
}
