using ActorBackup.Core;

namespace ActorBackup.Core.Tests;

/// <summary>
/// The retention rules on a synthetic series: 60 weekly snapshots w01..w60, every Sunday at
/// 02:00 UTC from 2025-01-05 (w52 is 2025-12-28, w53 2026-01-04, w60 2026-02-22). Expected
/// sets are written out by hand, with the rule that keeps each snapshot.
/// </summary>
public sealed class RetentionTests
{
    private static readonly DateTime First = new(2025, 1, 5, 2, 0, 0, DateTimeKind.Utc);

    private static List<RetentionCandidate> Weekly(string root = "/home", string prefix = "w") =>
        Enumerable.Range(0, 60).Select(i => new RetentionCandidate($"{prefix}{i + 1:D2}", root, First.AddDays(7 * i))).ToList();

    private static RetentionPolicy Policy(int last = 0, int daily = 0, int weekly = 0, int monthly = 0, int yearly = 0) =>
        new(last, daily, weekly, monthly, yearly);

    /// <summary>Kept snapshots by name, each with its reasons joined by "; ".</summary>
    private static SortedDictionary<string, string> Kept(IEnumerable<RetentionCandidate> snapshots, RetentionPolicy policy) =>
        new(Retention.Plan(snapshots, policy).Where(d => d.Keep).ToDictionary(d => d.Snapshot.Name, d => string.Join("; ", d.Reasons)), StringComparer.Ordinal);

    [Fact]
    public void Keep_last_keeps_the_newest_n_and_removes_every_other()
    {
        var plan = Retention.Plan(Weekly(), Policy(last: 5));

        Assert.Equal(60, plan.Count);
        Assert.Equal(["w56", "w57", "w58", "w59", "w60"], plan.Where(d => d.Keep).Select(d => d.Snapshot.Name).Order(StringComparer.Ordinal));
        Assert.All(plan.Where(d => d.Keep), d => Assert.Equal(["last"], d.Reasons));
        Assert.All(plan.Where(d => !d.Keep), d => Assert.Empty(d.Reasons));
    }

    [Fact]
    public void Keep_weekly_keeps_one_per_ISO_week_across_the_new_year()
    {
        Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["w51"] = "weekly 2025-W51",
            ["w52"] = "weekly 2025-W52",
            ["w53"] = "weekly 2026-W01",
            ["w54"] = "weekly 2026-W02",
            ["w55"] = "weekly 2026-W03",
            ["w56"] = "weekly 2026-W04",
            ["w57"] = "weekly 2026-W05",
            ["w58"] = "weekly 2026-W06",
            ["w59"] = "weekly 2026-W07",
            ["w60"] = "weekly 2026-W08",
        }, Kept(Weekly(), Policy(weekly: 10)));
    }

    [Fact]
    public void Keep_monthly_keeps_the_last_sunday_of_each_of_the_last_n_months()
    {
        Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["w39"] = "monthly 2025-09",
            ["w43"] = "monthly 2025-10",
            ["w48"] = "monthly 2025-11",
            ["w52"] = "monthly 2025-12",
            ["w56"] = "monthly 2026-01",
            ["w60"] = "monthly 2026-02",
        }, Kept(Weekly(), Policy(monthly: 6)));
    }

    [Fact]
    public void Rules_combine_as_a_union_and_each_snapshot_names_every_rule_that_keeps_it()
    {
        Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["w52"] = "monthly 2025-12",
            ["w56"] = "monthly 2026-01",
            ["w57"] = "weekly 2026-W05",
            ["w58"] = "weekly 2026-W06",
            ["w59"] = "last; weekly 2026-W07",
            ["w60"] = "last; weekly 2026-W08; monthly 2026-02",
        }, Kept(Weekly(), Policy(last: 2, weekly: 4, monthly: 3)));
    }

    [Fact]
    public void More_periods_asked_than_the_series_has_keeps_one_per_period_that_exists()
    {
        Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["w52"] = "yearly 2025",
            ["w60"] = "yearly 2026",
        }, Kept(Weekly(), Policy(yearly: 5)));

        var monthly = Kept(Weekly(), Policy(weekly: 3, monthly: 100));
        Assert.Equal(16, monthly.Count); // 14 months (2025-01 .. 2026-02), plus w58 and w59 for their weeks
        Assert.Equal("monthly 2025-01", monthly["w04"]);
        Assert.Equal("weekly 2026-W06", monthly["w58"]);
        Assert.Equal("weekly 2026-W08; monthly 2026-02", monthly["w60"]);
    }

    [Fact]
    public void Keep_daily_and_weekly_keep_the_newest_snapshot_of_a_period_with_several()
    {
        // Monday 2026-02-16 03:00, 15:00 and 23:59:59; Sunday 2026-02-22 01:00 (same ISO week 2026-W08).
        var snapshots = new List<RetentionCandidate>
        {
            new("mon-a", "/home", new DateTime(2026, 2, 16, 3, 0, 0, DateTimeKind.Utc)),
            new("mon-b", "/home", new DateTime(2026, 2, 16, 15, 0, 0, DateTimeKind.Utc)),
            new("mon-c", "/home", new DateTime(2026, 2, 16, 23, 59, 59, DateTimeKind.Utc)),
            new("sun", "/home", new DateTime(2026, 2, 22, 1, 0, 0, DateTimeKind.Utc)),
            new("prev-sun", "/home", new DateTime(2026, 2, 15, 23, 0, 0, DateTimeKind.Utc)), // 2026-W07
        };

        Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["mon-c"] = "daily 2026-02-16",
            ["sun"] = "daily 2026-02-22",
        }, Kept(snapshots, Policy(daily: 2)));
        Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["prev-sun"] = "weekly 2026-W07",
            ["sun"] = "weekly 2026-W08",
        }, Kept(snapshots, Policy(weekly: 2)));
    }

    [Fact]
    public void Snapshots_started_in_the_same_second_are_ordered_by_name_the_last_counting_as_newer()
    {
        var second = new DateTime(2026, 2, 22, 2, 0, 0, DateTimeKind.Utc);
        var snapshots = new List<RetentionCandidate>
        {
            new("b", "/home", second),
            new("c", "/home", second),
            new("a", "/home", second),
            new("older", "/home", second.AddDays(-1)),
        };

        Assert.Equal(["c"], Kept(snapshots, Policy(last: 1)).Keys);
        Assert.Equal(["b", "c"], Kept(snapshots, Policy(last: 2)).Keys);
        Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["c"] = "daily 2026-02-22",
            ["older"] = "daily 2026-02-21",
        }, Kept(snapshots, Policy(daily: 5)));
        // Same input in another order: same plan.
        snapshots.Reverse();
        Assert.Equal(["c"], Kept(snapshots, Policy(last: 1)).Keys);
    }

    [Fact]
    public void Each_root_folder_is_judged_on_its_own()
    {
        var snapshots = Weekly("/home", "h").Concat(Weekly("/srv", "s").Take(30)).ToList();

        var plan = Retention.Plan(snapshots, Policy(last: 2, monthly: 1));

        Assert.Equal(["h59", "h60", "s29", "s30"], plan.Where(d => d.Keep).Select(d => d.Snapshot.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["last", "monthly 2026-02"], plan.Single(d => d.Snapshot.Name == "h60").Reasons);
        Assert.Equal(["last", "monthly 2025-07"], plan.Single(d => d.Snapshot.Name == "s30").Reasons); // s30 is 2025-07-27
        Assert.Equal(90, plan.Count);
    }

    [Fact]
    public void Partial_snapshots_are_always_kept_and_take_no_rules_slot()
    {
        var snapshots = Weekly();
        snapshots.Add(new RetentionCandidate("running", "/home", First.AddDays(7 * 60), Selectable: false, NotSelectableReason: "partial"));
        snapshots.Add(new RetentionCandidate("stopped", "/home", First.AddDays(3), Selectable: false, NotSelectableReason: "partial"));

        var plan = Retention.Plan(snapshots, Policy(last: 2, monthly: 1));

        Assert.Equal(["running", "stopped", "w59", "w60"], plan.Where(d => d.Keep).Select(d => d.Snapshot.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["partial"], plan.Single(d => d.Snapshot.Name == "running").Reasons);
        Assert.Equal(["last", "monthly 2026-02"], plan.Single(d => d.Snapshot.Name == "w60").Reasons);
        Assert.Equal(["last"], plan.Single(d => d.Snapshot.Name == "w59").Reasons);
        Assert.Equal(62, plan.Count);
    }

    [Fact]
    public void A_policy_without_any_keep_rule_is_recognised_so_the_command_can_refuse_it()
    {
        Assert.True(Policy().KeepsNothing);
        Assert.True(Policy(last: 0, weekly: 0).KeepsNothing);
        Assert.False(Policy(yearly: 1).KeepsNothing);
        // Applied anyway, it would remove everything: the reason the command refuses it.
        Assert.All(Retention.Plan(Weekly(), Policy()), d => Assert.False(d.Keep));
    }

    [Fact]
    public void Started_is_read_as_utc_from_the_manifest_format_and_anything_else_is_rejected()
    {
        Assert.Equal(new DateTime(2026, 11, 26, 14, 0, 0, DateTimeKind.Utc), Retention.ParseStarted("2026-11-26T14:00:00Z"));
        Assert.Equal(DateTimeKind.Utc, Retention.ParseStarted("2026-11-26T14:00:00Z")!.Value.Kind);
        Assert.Null(Retention.ParseStarted("2026-11-26 14:00:00"));
        Assert.Null(Retention.ParseStarted(""));
        Assert.Null(Retention.ParseStarted(null));
    }
}
