using ActorBackup.Core;
using ActorBackup.Store;
using ActorBackup.Store.Catalog;

namespace ActorBackup.Store.Prune;

/// <summary>What prune does with one snapshot of the catalog.</summary>
public enum PruneAction
{
    /// <summary>A rule keeps it.</summary>
    Keep,

    /// <summary>No rule keeps it: its tree and manifest go.</summary>
    Remove,

    /// <summary>A partial or damaged snapshot: the rules never select it.</summary>
    Leave,

    /// <summary>Marked .deleting by an earlier prune that stopped: its removal is finished first.</summary>
    Finish,
}

/// <summary>One row of the plan: the snapshot, the action, and why (the rules that keep it, or why it is left alone).</summary>
public sealed record PlannedSnapshot(SnapshotInfo Snapshot, PruneAction Action, IReadOnlyList<string> Reasons);

/// <summary>
/// The plan: every snapshot of the catalog with its action. Retention (Core) decides over
/// the complete snapshots of each root folder; partial and damaged ones are left alone and
/// take no rule's slot; snapshots an earlier prune marked are finished.
/// </summary>
public static class PrunePlan
{
    /// <summary>Rows in catalog order (oldest first).</summary>
    public static IReadOnlyList<PlannedSnapshot> Make(IReadOnlyList<SnapshotInfo> catalog, RetentionPolicy policy)
    {
        var candidates = new Dictionary<RetentionCandidate, SnapshotInfo>(ReferenceEqualityComparer.Instance);
        foreach (var s in catalog)
        {
            if (s.Status == SnapshotStatus.Deleting)
                continue;
            var reason = s.Status switch
            {
                SnapshotStatus.Partial => "partial (a run going on or stopped): never removed by the rules",
                SnapshotStatus.Damaged => $"damaged ({s.Problem}): left alone",
                _ => null,
            };
            candidates[new RetentionCandidate(s.Name, s.Root ?? "", s.Started ?? DateTime.MinValue, reason is null, reason)] = s;
        }
        var decided = new Dictionary<SnapshotInfo, RetentionDecision>(ReferenceEqualityComparer.Instance);
        foreach (var d in Retention.Plan(candidates.Keys, policy))
            decided[candidates[d.Snapshot]] = d;

        return catalog.Select(s =>
        {
            if (s.Status == SnapshotStatus.Deleting)
                return new PlannedSnapshot(s, PruneAction.Finish, ["marked by a prune that stopped midway"]);
            var d = decided[s];
            var action = !d.Snapshot.Selectable ? PruneAction.Leave : d.Keep ? PruneAction.Keep : PruneAction.Remove;
            return new PlannedSnapshot(s, action, d.Reasons);
        }).ToList();
    }
}
