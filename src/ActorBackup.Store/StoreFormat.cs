using ActorBackup.Core;
namespace ActorBackup.Store;

/// <summary>
/// The levels and hash a data folder was set up with. Recorded on first use; a later run
/// asking for other values is refused before anything is touched, because entries would
/// be looked up under the wrong names and every file stored again.
/// </summary>
public sealed record StoreFormat(int Levels, HashKind Hash)
{
    private const string Magic = "actorbackup-store 1";

    public string Render() => $"{Magic}\nhash {Hash.Name}\nlevels {Levels}\n";

    public static StoreFormat Parse(string text, string path)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || lines[0] != Magic)
            throw new UserError(ExitCode.DataFolderMismatch, $"{path} is not an ActorBackup format file; check --datafolder");
        int? levels = null;
        HashKind? hash = null;
        foreach (var line in lines.Skip(1))
        {
            var parts = line.Split(' ', 2);
            if (parts.Length != 2)
                continue;
            if (parts[0] == "levels" && int.TryParse(parts[1], out var l))
                levels = l;
            else if (parts[0] == "hash")
                hash = HashKind.Find(parts[1]) ?? throw new UserError(ExitCode.DataFolderMismatch,
                    $"{path} records hash '{parts[1]}', which this version of actorbackup does not know (it knows {HashKind.Names(", ")}); run a version that knows it, or use a new data folder");
        }
        if (levels is null || hash is null)
            throw new UserError(ExitCode.DataFolderMismatch, $"{path} lacks its 'levels' or 'hash' line; restore it from a backup or use a new data folder");
        return new StoreFormat(levels.Value, hash);
    }

    /// <summary>Throws when <paramref name="wanted"/> differs from what the data folder recorded.</summary>
    public void Require(StoreFormat wanted, string dataFolder)
    {
        if (wanted != this)
            throw new UserError(ExitCode.DataFolderMismatch,
                $"data folder {dataFolder} was set up with --datalevels={Levels} --hash={Hash.Name}, " +
                $"but this run asked for --datalevels={wanted.Levels} --hash={wanted.Hash.Name}; " +
                "run with the recorded values, or use a new data folder");
    }
}
