using ActorBackup.Core;

namespace ActorBackup.Store.Restore;

/// <summary>One regular file of the manifest: where it goes, its metadata and xattrs, and the store entry holding its bytes.</summary>
public sealed record FileToRestore(string Path, FileMeta Meta, string Hash, int Suffix, IReadOnlyList<Xattr>? Xattrs = null);
