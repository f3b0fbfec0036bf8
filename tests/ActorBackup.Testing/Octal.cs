namespace ActorBackup.Testing;

/// <summary>
/// Permission bits written as a reader writes them: <c>Octal.Mode(4755)</c> is 04755. C# has
/// no octal literals, and 0x9ED says nothing to a reader.
/// </summary>
public static class Octal
{
    public static uint Mode(int octalDigits) => Convert.ToUInt32(octalDigits.ToString(System.Globalization.CultureInfo.InvariantCulture), 8);

    /// <summary>Permission bits as "4755", for messages and for comparing with a manifest's mode column.</summary>
    public static string Format(uint mode) => Convert.ToString(mode, 8);
}
