namespace ActorBackup.Store.Verify;

/// <summary>One entry to re-hash: its name, and the inode the store listing saw.</summary>
public readonly record struct EntryToCheck(EntryKey Key, ulong Inode, long Size);
