namespace ActorBackup.Store;

/// <summary>What <see cref="ContentStore.TryClone"/> did.</summary>
public enum CloneOutcome
{
    /// <summary>The temp file is a clone of an entry, with its own owner, mode and mtime.</summary>
    Cloned,

    /// <summary>The hash has no usable entry (none yet, or it changed under us): the content is written as always.</summary>
    NoEntry,

    /// <summary>This file system cannot clone (or not between these folders): asking again this run will not help.</summary>
    Unsupported,

    /// <summary>This one clone failed for another reason: the content is copied instead.</summary>
    Failed,
}
