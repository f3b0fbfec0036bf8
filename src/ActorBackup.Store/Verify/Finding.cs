using ActorBackup.Core;
using ActorBackup.Store.Manifest;

namespace ActorBackup.Store.Verify;

/// <summary>How bad a finding is: problems and unhealed damage make verify exit 20; notices never change the exit code.</summary>
public enum FindingKind
{
    /// <summary>Structural damage: a snapshot or the store is not what the manifests say.</summary>
    Problem,

    /// <summary>Worth knowing, harmless: litter, unreferenced entries, extra links.</summary>
    Notice,

    /// <summary>A store entry whose bytes no longer match its name (read-data), not healed.</summary>
    Damaged,

    /// <summary>A damaged store entry rewritten from the source and confirmed.</summary>
    Healed,
}

/// <summary>
/// One line of verify's report: what (a path or store entry, escaped so that any name fits
/// on one line), what is wrong with it, and the fix.
/// </summary>
public sealed record Finding(FindingKind Kind, string Subject, string Text)
{
    public string Label => Kind switch
    {
        FindingKind.Problem => "problem",
        FindingKind.Notice => "notice",
        FindingKind.Damaged => "damaged",
        _ => "healed",
    };

    public string Line => $"{Label}: {Subject}: {Text}";

    /// <summary>A file name as the report shows it: the manifest's %XX escaping, so a newline cannot split a line.</summary>
    public static string Show(string path) => PathBytes.Escape(path);
}
