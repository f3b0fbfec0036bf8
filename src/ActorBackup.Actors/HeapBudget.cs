namespace ActorBackup.Actors;

/// <summary>
/// heap-budget in hocon/actorbackup.conf: a run's live data is small, but .NET lets dead
/// objects pile up over a long run; collecting them keeps peak RSS flat as trees grow.
/// </summary>
public static class HeapBudget
{
    /// <summary>A full, compacting collection when the managed heap passes <paramref name="budget"/> (or always, with <paramref name="force"/>); nothing when the budget is 0.</summary>
    public static void Keep(long budget, bool force)
    {
        if (budget > 0 && (force || GC.GetTotalMemory(forceFullCollection: false) > budget))
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }
}
