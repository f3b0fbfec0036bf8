using System.Globalization;
using System.Runtime.InteropServices;

namespace ActorBackup.Posix;

/// <summary>
/// Lets the data-store's thread run ahead of the program's other threads when cores are
/// scarce. An incremental run makes every link on that one thread, busy most of the run; on
/// a 2-core machine it was runnable but waiting for a core about a tenth of the run while
/// walkers, hashers and the coordinator ran.
///
/// <see cref="LowerOthers"/> makes every thread of the program (called on the main thread
/// before the actor system starts: threads started later inherit their starter's nice)
/// <c>lead</c> nicer, and <see cref="RestoreCurrentThread"/> gives the data-store's thread
/// the nice the program was started with back. So no thread ever runs less nice than the admin started the program
/// (under <c>nice -n 10</c> the data-store runs at 10, the rest at 15). Going back needs
/// CAP_SYS_NICE (root has it); without it nothing is changed. Linux only: nice is per thread.
/// </summary>
public static class ThreadNice
{
    private const int PrioProcess = 0;
    private const int CapSysNice = 23;

    private static int? _startedAt;

    /// <summary>Call on the main thread before the actor system starts; 0 leaves everything as it is.</summary>
    public static void LowerOthers(int lead)
    {
        if (lead <= 0 || _startedAt is not null || !HasCapability(CapSysNice))
            return;
        var nice = Nice();
        if (nice is null)
            return;
        var lowered = Math.Min(nice.Value + lead, 19);
        // The threads already running (the runtime's own, a pool thread that parsed --config)
        // are lowered as well; every thread started later inherits it from its starter.
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (int.TryParse(Path.GetFileName(task), out var tid))
                setpriority(PrioProcess, tid, lowered);
        }
        if (Nice() == lowered)
            _startedAt = nice;
    }

    /// <summary>On the data-store's thread: back to the nice the program started with.</summary>
    public static void RestoreCurrentThread()
    {
        if (_startedAt is { } nice)
            setpriority(PrioProcess, gettid(), nice);
    }

    /// <summary>The calling thread's nice (-20..19); null when it cannot be read.</summary>
    private static int? Nice()
    {
        Marshal.SetLastPInvokeError(0);
        var nice = getpriority(PrioProcess, gettid());
        return nice == -1 && Marshal.GetLastPInvokeError() != 0 ? null : nice;
    }

    /// <summary>True when the process holds <paramref name="bit"/> in its effective capabilities (CapEff in /proc/self/status).</summary>
    private static bool HasCapability(int bit)
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
            return line is not null
                && ulong.TryParse(line["CapEff:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var caps)
                && (caps & (1UL << bit)) != 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getpriority(int which, int who);

    [DllImport("libc", SetLastError = true)]
    private static extern int setpriority(int which, int who, int prio);

    [DllImport("libc")]
    private static extern int gettid();
}
