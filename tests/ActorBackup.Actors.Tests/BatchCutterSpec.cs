namespace ActorBackup.Actors.Tests;

/// <summary>
/// BatchCutter: how hash batches, scrub batches and restore batches are cut, by item count,
/// by bytes (any number of measures), and what is left at the end.
/// </summary>
public sealed class BatchCutterSpec
{
    private static BatchCutter<long> Sizes(int maxItems, long maxBytes) => new(maxItems, (size => size, maxBytes));

    /// <summary>Pulls from <paramref name="queue"/> as the coordinator and the scrubber do.</summary>
    private static List<List<long>> PullAll(BatchCutter<long> cutter, params long[] queue)
    {
        var batches = new List<List<long>>();
        var next = 0;
        while (next < queue.Length)
        {
            while (next < queue.Length && cutter.Fits(queue[next]))
                cutter.Add(queue[next++]);
            batches.Add(cutter.Cut());
        }
        return batches;
    }

    [Fact]
    public void BatchCutter_cuts_on_the_item_count()
    {
        var batches = PullAll(Sizes(maxItems: 3, maxBytes: 1000), 1, 2, 3, 4, 5, 6, 7);

        Assert.Equal([[1, 2, 3], [4, 5, 6], [7]], batches);
    }

    [Fact]
    public void BatchCutter_cuts_before_an_item_that_would_pass_the_bytes_and_sends_a_big_one_alone()
    {
        var batches = PullAll(Sizes(maxItems: 100, maxBytes: 10), 4, 6, 1, 500, 2, 8, 1);

        Assert.Equal([[4, 6], [1], [500], [2, 8], [1]], batches);
    }

    [Fact]
    public void BatchCutter_cuts_on_whichever_measure_runs_out_first()
    {
        var cutter = new BatchCutter<(long Bytes, long Wire)>(100, (i => i.Bytes, 100), (i => i.Wire, 10));

        cutter.Add((1, 6));
        Assert.True(cutter.Fits((90, 4)));
        Assert.False(cutter.Fits((1, 5)));
        Assert.False(cutter.Fits((100, 1)));
    }

    [Fact]
    public void BatchCutter_is_full_once_pushed_items_reach_the_count_or_the_bytes()
    {
        var byCount = Sizes(maxItems: 2, maxBytes: 1000);
        byCount.Add(1);
        Assert.False(byCount.Full);
        byCount.Add(1);
        Assert.True(byCount.Full);

        var byBytes = Sizes(maxItems: 100, maxBytes: 10);
        byBytes.Add(9);
        Assert.False(byBytes.Full);
        byBytes.Add(1);
        Assert.True(byBytes.Full);
    }

    [Fact]
    public void BatchCutter_flushes_what_is_left_and_starts_the_next_batch_empty()
    {
        var cutter = Sizes(maxItems: 3, maxBytes: 10);
        cutter.Add(7);
        cutter.Add(2);

        Assert.Equal([7, 2], cutter.Cut());
        Assert.Equal(0, cutter.Count);
        Assert.Empty(cutter.Cut());
        // The totals start over too: 9 bytes fit again, and the batch is not full.
        Assert.True(cutter.Fits(9));
        cutter.Add(9);
        Assert.False(cutter.Full);
    }
}
