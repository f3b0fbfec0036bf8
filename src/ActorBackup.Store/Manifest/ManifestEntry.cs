using ActorBackup.Core;
namespace ActorBackup.Store.Manifest;

/// <summary>
/// One line of a snapshot manifest: the source entry's metadata as lstat saw it, and for
/// regular files the hash and store entry its snapshot path links to.
/// </summary>
/// <param name="Path">Snapshot-relative path; "" is the snapshot root (written as ".").</param>
/// <param name="Hash">Content hash, regular files only.</param>
/// <param name="EntrySuffix">Which store entry of that hash the file links to (0 = bare hash), -1 when none.</param>
/// <param name="LinkTarget">Exact target bytes, symlinks only.</param>
/// <param name="Xattrs">The extended attributes recorded for the entry; null when none.</param>
public sealed record ManifestEntry(string Path, FileMeta Meta, string? Hash, int EntrySuffix, byte[]? LinkTarget, IReadOnlyList<Xattr>? Xattrs = null);
