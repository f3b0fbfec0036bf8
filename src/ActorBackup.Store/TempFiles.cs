using ActorBackup.Core;
using ActorBackup.Posix;

namespace ActorBackup.Store;

/// <summary>
/// What runs left in the data folder's temp folder: a backup removes it all when it opens
/// the store (and its own files when it fails), and verify notes it.
/// </summary>
public static class TempFiles
{
    /// <summary>
    /// The files in the temp folder's subfolders (<see cref="StoreLayout.TempFolders"/>) and
    /// in the temp folder itself (where versions before the subfolders wrote), as paths in
    /// name order; names as they are on disk, even when not UTF-8.
    /// </summary>
    public static List<string> List(StoreLayout layout)
    {
        var found = new List<string>();
        Collect(layout.TempFolder, found, descend: true);
        return found;
    }

    private static void Collect(string folder, List<string> found, bool descend)
    {
        if (!Files.Exists(folder))
            return;
        using var dir = DirectoryHandle.Open(folder);
        foreach (var name in dir.ListNames().Order(StringComparer.Ordinal))
        {
            var path = folder + "/" + name;
            if (dir.StatChild(name)?.Type != EntryType.Directory)
                found.Add(path);
            else if (descend)
                Collect(path, found, descend: false);
        }
    }
}
