using System.Globalization;

namespace ActorBackup.Testing;

/// <summary>How --dostats prints figures, written out independently of the program's own code.</summary>
public static class DoStats
{
    /// <summary>A byte count: "N B" below 1 KiB, else one decimal and a binary unit.</summary>
    public static string Bytes(long n)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = n;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{n} B" : string.Create(CultureInfo.InvariantCulture, $"{value:F1} {units[unit]}");
    }
}
