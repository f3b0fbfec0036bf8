using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// Extended attributes that could not be set on one entry, each with why. Code above this
/// project only passes it on, to <see cref="XattrFailures"/>, which words it for the user.
/// </summary>
public sealed class FailedXattrs : List<(string Name, Errno Errno)>;
