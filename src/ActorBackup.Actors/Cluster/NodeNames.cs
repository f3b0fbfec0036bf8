using Akka.Cluster;

namespace ActorBackup.Actors.Cluster;

/// <summary>
/// What admins call a node (actorbackup.cluster.node-name, by default the machine's host name),
/// carried as a cluster role "name:NAME" so every member knows every other's name without a
/// message of its own. Logs and figures show names; where two nodes share one (several on one
/// machine), the address follows in parentheses. Work is still keyed by address.
/// </summary>
public static class NodeNames
{
    public const string RolePrefix = "name:";

    /// <summary>The role that carries <paramref name="name"/>.</summary>
    public static string Role(string name) => RolePrefix + name;

    /// <summary>The roles that say what a member does (storage, hasher, coordinator), without its name.</summary>
    public static IEnumerable<string> Duties(Member member) => member.Roles.Where(r => !r.StartsWith(RolePrefix, StringComparison.Ordinal));

    /// <summary>The member's name, or null for a member that carries none.</summary>
    public static string? Of(Member member) =>
        member.Roles.FirstOrDefault(r => r.StartsWith(RolePrefix, StringComparison.Ordinal))?[RolePrefix.Length..];

    /// <summary>
    /// How a "host:port" node key reads: the member's name when no other member has it,
    /// "name (host:port)" when one does, the key itself for a member not (or no longer) known.
    /// </summary>
    public static string Display(IReadOnlyCollection<Member> members, string hostPort)
    {
        var member = members.FirstOrDefault(m => WorkBroker.NodeName(m.Address) == hostPort);
        if (member is null || Of(member) is not { } name)
            return hostPort;
        return members.Count(m => Of(m) == name) > 1 ? $"{name} ({hostPort})" : name;
    }

    /// <summary>A node name as the configuration may give it: 1 to 64 of letters, digits, '.', '-', '_'.</summary>
    public static bool IsValid(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    /// <summary>The machine's host name, up to the first dot, as a valid node name.</summary>
    public static string MachineDefault()
    {
        var host = Environment.MachineName.Split('.')[0];
        return IsValid(host) ? host : "node";
    }
}
