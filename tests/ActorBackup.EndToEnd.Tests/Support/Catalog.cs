using System.Text;
using System.Text.Json;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.EndToEnd.Tests.Support;

/// <summary>
/// What the list and prune tests check from outside: the catalog folder, store entries as a
/// manifest names them, link counts, and disk use counted like du (each inode once).
/// </summary>
internal static class Catalog
{
    public static string Folder(Scenario s) => s.Data + "/.actorbackup/snapshots";

    /// <summary>Names in the catalog folder, sorted.</summary>
    public static List<string> Files(Scenario s) => PosixFs.ListNames(Folder(s));

    public static ProcessResult List(Scenario s, params string[] options) => PublishedCli.Run(["list", $"--datafolder={s.Data}", .. options]);

    /// <summary>list --json, which must succeed, as one object per snapshot keyed by name (and status, for a name listed twice).</summary>
    public static Dictionary<string, JsonElement> ListJson(Scenario s)
    {
        var result = List(s, "--json");
        Expect.ExitCode(result, 0);
        using var doc = JsonDocument.Parse(result.Stdout);
        var rows = new Dictionary<string, JsonElement>();
        foreach (var row in doc.RootElement.EnumerateArray())
        {
            var name = row.GetProperty("name").GetString()!;
            rows[rows.ContainsKey(name) ? name + "/" + row.GetProperty("status").GetString() : name] = row.Clone();
        }
        return rows;
    }

    public static ProcessResult Prune(Scenario s, params string[] options) =>
        PublishedCli.Run(["prune", $"--datafolder={s.Data}", $"--backuproot={s.Backups}", .. options]);

    /// <summary>
    /// Gives snapshot <paramref name="name"/> another start time, as if it had run then: the
    /// manifest's "#started" line is rewritten in place (same length, same inode).
    /// </summary>
    public static void SetStarted(Scenario s, string name, string started)
    {
        var path = s.ManifestPath(name);
        var text = Encoding.ASCII.GetString(PosixFs.ReadBytes(path));
        var start = text.IndexOf("\n#started ", StringComparison.Ordinal) + "\n#started ".Length;
        Assert.Equal(started.Length, text.IndexOf('\n', start) - start);
        PosixFs.Overwrite(path, Encoding.ASCII.GetBytes(text[..start] + started + text[(start + started.Length)..]));
    }

    /// <summary>Store entry path of each regular file in snapshot <paramref name="name"/>, with how many of its files link to it.</summary>
    public static Dictionary<string, int> LinksByEntry(Scenario s, string name)
    {
        var links = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in s.Manifest(name).Entries.Where(e => e.Type == 'f'))
        {
            var path = s.EntryPath(e.Hash, e.Suffix.Length == 0 ? 0 : int.Parse(e.Suffix));
            links[path] = links.GetValueOrDefault(path) + 1;
        }
        return links;
    }

    public static long LinkCount(string path) => (long)PosixFs.Lstat(path).st_nlink;

    /// <summary>
    /// Bytes of the regular files below the given folders, each inode counted once (as du does
    /// with hardlinks); a data folder's .actorbackup (manifests, lock) is left out.
    /// </summary>
    public static long UniqueBytes(params string[] roots)
    {
        var seen = new HashSet<(ulong, ulong)>();
        long bytes = 0;
        foreach (var root in roots)
        {
            foreach (var relative in PosixFs.Walk(root))
            {
                if (relative == ".actorbackup" || relative.StartsWith(".actorbackup/", StringComparison.Ordinal))
                    continue;
                var st = PosixFs.Lstat(root + "/" + relative);
                if (PosixFs.TypeOf(st) == FilePermissions.S_IFREG && seen.Add((st.st_dev, st.st_ino)))
                    bytes += st.st_size;
            }
        }
        return bytes;
    }

    /// <summary>Regular files below <paramref name="root"/> (0 when it does not exist).</summary>
    public static int RegularFiles(string root) =>
        PosixFs.Exists(root) ? PosixFs.Walk(root).Count(p => PosixFs.TypeOf(PosixFs.Lstat(root + "/" + p)) == FilePermissions.S_IFREG) : 0;
}
