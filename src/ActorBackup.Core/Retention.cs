using System.Globalization;

namespace ActorBackup.Core;

/// <summary>How many snapshots each rule keeps (0: the rule is off). The --keep-* options of prune.</summary>
public sealed record RetentionPolicy(int Last, int Daily, int Weekly, int Monthly, int Yearly)
{
    /// <summary>True when no rule keeps anything: applying it would remove every snapshot.</summary>
    public bool KeepsNothing => Last <= 0 && Daily <= 0 && Weekly <= 0 && Monthly <= 0 && Yearly <= 0;

    public override string ToString()
    {
        var parts = new List<string>();
        void Add(string name, int n)
        {
            if (n > 0)
                parts.Add($"keep-{name} {n}");
        }
        Add("last", Last);
        Add("daily", Daily);
        Add("weekly", Weekly);
        Add("monthly", Monthly);
        Add("yearly", Yearly);
        return parts.Count == 0 ? "no keep rule" : string.Join(", ", parts);
    }
}

/// <summary>
/// A snapshot as retention sees it. <paramref name="Selectable"/> is false for snapshots the
/// rules must not touch (partial or damaged ones): they are kept and take no rule's slot.
/// </summary>
public sealed record RetentionCandidate(string Name, string Root, DateTime Started, bool Selectable = true, string? NotSelectableReason = null);

/// <summary>The plan for one snapshot: kept (with every rule that keeps it) or removed.</summary>
public sealed record RetentionDecision(RetentionCandidate Snapshot, bool Keep, IReadOnlyList<string> Reasons);

/// <summary>
/// Which snapshots prune keeps, in the manner of restic's forget. Snapshots are grouped by
/// root folder and each group is judged on its own. Within a group, newest first by start
/// time (UTC; two snapshots of the same second: the name that sorts last counts as newer):
/// <list type="bullet">
/// <item>keep-last N keeps the N newest;</item>
/// <item>keep-daily / weekly / monthly / yearly N keep the newest snapshot of each of the
/// last N days / ISO weeks / months / years that have a snapshot (a period without one
/// takes no slot, so N weekly snapshots may span more than N weeks).</item>
/// </list>
/// A snapshot is kept when any rule keeps it; the rest are removed. Snapshots that are not
/// selectable are always kept and count for no rule. Pure: no clock, no disk.
/// </summary>
public static class Retention
{
    public static IReadOnlyList<RetentionDecision> Plan(IEnumerable<RetentionCandidate> snapshots, RetentionPolicy policy)
    {
        var decisions = new List<RetentionDecision>();
        foreach (var group in snapshots.GroupBy(s => s.Root, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var newestFirst = group
                .OrderByDescending(s => s.Started)
                .ThenByDescending(s => s.Name, StringComparer.Ordinal)
                .ToList();
            var rules = Rules(policy);
            foreach (var snapshot in newestFirst)
            {
                if (!snapshot.Selectable)
                {
                    decisions.Add(new RetentionDecision(snapshot, true, [snapshot.NotSelectableReason ?? "not selectable"]));
                    continue;
                }
                var reasons = new List<string>();
                foreach (var rule in rules)
                {
                    if (rule.Left <= 0)
                        continue;
                    var period = rule.PeriodOf(snapshot.Started);
                    if (period == rule.LastPeriod)
                        continue; // an older snapshot of a period already kept
                    rule.LastPeriod = period;
                    rule.Left--;
                    reasons.Add(rule.Name == "last" ? "last" : $"{rule.Name} {period}");
                }
                decisions.Add(new RetentionDecision(snapshot, reasons.Count > 0, reasons));
            }
        }
        return decisions;
    }

    /// <summary>Parses a manifest's "#started" value (yyyy-MM-ddTHH:mm:ssZ) as UTC; null when it is not one.</summary>
    public static DateTime? ParseStarted(string? text) =>
        DateTime.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

    private static List<Rule> Rules(RetentionPolicy p)
    {
        var ordinal = 0;
        return
        [
            // keep-last: every snapshot is a period of its own.
            new Rule("last", p.Last, _ => (ordinal++).ToString(CultureInfo.InvariantCulture)),
            new Rule("daily", p.Daily, t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            new Rule("weekly", p.Weekly, t => string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(t)}-W{ISOWeek.GetWeekOfYear(t):D2}")),
            new Rule("monthly", p.Monthly, t => t.ToString("yyyy-MM", CultureInfo.InvariantCulture)),
            new Rule("yearly", p.Yearly, t => t.ToString("yyyy", CultureInfo.InvariantCulture)),
        ];
    }

    private sealed class Rule(string name, int count, Func<DateTime, string> periodOf)
    {
        public string Name { get; } = name;
        public int Left { get; set; } = count;
        public string? LastPeriod { get; set; }
        public string PeriodOf(DateTime t) => periodOf(t);
    }
}
