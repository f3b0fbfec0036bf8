namespace ActorBackup.Actors;

/// <summary>
/// Cuts work into batches (files to hash, entries to check, files to restore): at most
/// <c>maxItems</c> items, and at most a limit per measure (content bytes, wire bytes). An
/// empty batch takes any item, so one larger than a limit travels alone. Pulling from a
/// queue, <see cref="Fits"/> tells before an item is taken whether it would go past a limit;
/// pushing, <see cref="Add"/> then <see cref="Full"/> tells when a limit is reached, and
/// <see cref="Cut"/> at the end sends what is left.
/// </summary>
public sealed class BatchCutter<T>
{
    private readonly int _maxItems;
    private readonly (Func<T, long> Measure, long Max)[] _limits;
    private readonly long[] _totals;
    private List<T> _items = [];

    public BatchCutter(int maxItems, params (Func<T, long> Measure, long Max)[] limits)
    {
        _maxItems = maxItems;
        _limits = limits;
        _totals = new long[limits.Length];
    }

    /// <summary>Items in the batch being filled.</summary>
    public int Count => _items.Count;

    /// <summary>Whether <paramref name="item"/> can join without the batch going past its item count or a limit.</summary>
    public bool Fits(T item)
    {
        if (_items.Count >= _maxItems)
            return false;
        if (_items.Count == 0)
            return true;
        for (var i = 0; i < _limits.Length; i++)
        {
            if (_totals[i] + _limits[i].Measure(item) > _limits[i].Max)
                return false;
        }
        return true;
    }

    public void Add(T item)
    {
        _items.Add(item);
        for (var i = 0; i < _limits.Length; i++)
            _totals[i] += _limits[i].Measure(item);
    }

    /// <summary>Whether the batch has reached its item count or a limit: time to cut it.</summary>
    public bool Full
    {
        get
        {
            if (_items.Count >= _maxItems)
                return true;
            for (var i = 0; i < _limits.Length; i++)
            {
                if (_totals[i] >= _limits[i].Max)
                    return true;
            }
            return false;
        }
    }

    /// <summary>The batch as filled so far (empty when nothing was added); the next one starts empty.</summary>
    public List<T> Cut()
    {
        var batch = _items;
        _items = [];
        Array.Clear(_totals);
        return batch;
    }
}
