namespace ActorBackup.Core;

/// <summary>
/// Why a write to the data folder failed, as far as a run's outcome depends on it: a full
/// file system and a used-up quota stop the run with exit 13 and their own line; anything
/// else stops it with exit 1. Carried in messages between actors and nodes, so a failure
/// seen by a copier or a storage node is told apart where the run's result is decided.
/// </summary>
public enum WriteFault
{
    /// <summary>Any other failure, or one whose cause is not known.</summary>
    Other = 0,

    /// <summary>The file system is full (ENOSPC).</summary>
    NoSpace = 1,

    /// <summary>The owner's disk quota is used up (EDQUOT).</summary>
    QuotaExceeded = 2,
}
