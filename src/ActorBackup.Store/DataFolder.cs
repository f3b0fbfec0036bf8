using ActorBackup.Core;

namespace ActorBackup.Store;

/// <summary>What a command reads of an existing data folder, and so what it requires of it.</summary>
public enum DataFolderNeed
{
    /// <summary>Only the catalog (snapshots, manifests): the format is not read (list).</summary>
    Catalog,

    /// <summary>The store in its recorded format; a folder without one is taken as an empty store of the default format (prune).</summary>
    StoreIfAny,

    /// <summary>The store in its recorded format; a folder that is not a data folder is refused (restore, verify, stats).</summary>
    Store,
}

/// <summary>
/// The one opening of an existing data folder for the commands that read it. A failure is a
/// <see cref="UserError"/> naming the folder and the fix, with the README's exit code: 7 when
/// the folder does not exist, 2 when it is not a data folder, 5 when its format file is not
/// one. A backup, which may set a data folder up, opens it through <see cref="StoreSession"/>.
/// </summary>
public static class DataFolder
{
    public static StoreLayout Open(string dataFolder, DataFolderNeed need)
    {
        if (!Directory.Exists(dataFolder))
            throw new UserError(ExitCode.FolderMissing, $"data folder {dataFolder} does not exist; check --datafolder");
        if (need == DataFolderNeed.Catalog)
            return new StoreLayout(dataFolder, StoreSession.DefaultLevels, HashKind.Sha1);
        var format = StoreSession.RecordedFormat(dataFolder, StoreSession.DefaultLevels, HashKind.Sha1)
            ?? (need == DataFolderNeed.StoreIfAny || Directory.Exists(Path.Combine(dataFolder, StoreLayout.MetaFolderName))
                ? new StoreFormat(StoreSession.DefaultLevels, HashKind.Sha1) // set up, nothing stored yet
                : throw new UserError(ExitCode.Usage,
                    $"{dataFolder} is not an ActorBackup data folder (no {StoreLayout.MetaFolderName}/format, no store entries); check --datafolder"));
        return new StoreLayout(dataFolder, format.Levels, format.Hash);
    }
}
