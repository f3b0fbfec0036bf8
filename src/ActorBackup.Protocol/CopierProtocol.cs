using ActorBackup.Core;

namespace ActorBackup.Protocol;

/// <summary>Copier: writes new content into a temp file of the data folder. It never names a store entry.</summary>
public static class CopierProtocol
{
    /// <summary>
    /// Data-store to copier: copy <paramref name="Source"/> into the temp file
    /// <paramref name="TempName"/> (a name inside the store's temp folder), set its owner,
    /// mode and mtime (the source's), and report the hash of the bytes written. With
    /// <paramref name="FromStore"/> (a store entry's path relative to the data folder) the
    /// bytes come from that entry instead of the source: same content, another owner or mode.
    /// The copier never fsyncs: the data-store makes new entries durable in groups.
    /// </summary>
    public sealed record CopyContent(long Token, SourceEntry Source, string TempName, uint Uid, uint Gid, uint Mode, string? FromStore = null) : IProtocolMessage;

    /// <summary>Copier to data-store: the temp file holds bytes hashing to <paramref name="Hash"/>.</summary>
    public sealed record ContentCopied(long Token, string Hash, long Bytes) : IProtocolMessage;

    /// <summary>
    /// Copier to data-store: nothing usable was written. <paramref name="SourceProblem"/> is
    /// true when the source is at fault (vanished, unreadable, changed while read) and false
    /// when the data folder is (no space, I/O error); then <paramref name="Fault"/> tells a
    /// full disk or used-up quota from the rest (<see cref="WriteFault.Other"/> when unknown).
    /// </summary>
    public sealed record ContentCopyFailed(long Token, string Reason, bool SourceProblem, WriteFault Fault = WriteFault.Other) : IProtocolMessage;
}
