using System.Net;
using System.Net.Sockets;
using ActorBackup.Core;

namespace ActorBackup.Hosting;

/// <summary>
/// Refuses a fixed port that another process listens on. Akka's transport binds with
/// SO_REUSEPORT (.NET sets it with SO_REUSEADDR on Linux), so a second storage node on the
/// same port starts without error and splits the cluster in two. The probe binds with
/// SO_REUSEADDR alone: that passes over connections of an earlier run still in TIME_WAIT
/// (a restart must work) but fails while anything listens there.
/// </summary>
public static class PortProbe
{
    private const int SolSocket = 1, SoReuseAddr = 2;

    /// <summary>
    /// The address other nodes dial must resolve, and must not be a loopback address when a
    /// seed node is on another machine: such a node joins (it dials out) but nobody can answer
    /// it, and it flaps in and out of the cluster.
    /// </summary>
    public static void CheckPublicHostname(string publicHostname, string hostname, IEnumerable<string> seeds, string source)
    {
        var name = publicHostname.Length > 0 ? publicHostname : hostname;
        var key = publicHostname.Length > 0 ? "public-hostname" : "hostname";
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(name, out var literal) ? [literal] : Dns.GetHostAddresses(name);
        }
        catch (SocketException e)
        {
            throw new UserError(ExitCode.Usage, $"akka.remote.dot-netty.tcp.{key} {name} does not resolve ({e.Message}); other nodes could not reach this one; fix it in {source}");
        }
        var remoteSeed = seeds.Select(seed => Akka.Actor.Address.Parse(seed).Host).FirstOrDefault(host => host is not null && !IsLoopback(host));
        if (remoteSeed is not null && addresses.All(IPAddress.IsLoopback))
            throw new UserError(ExitCode.Usage,
                $"akka.remote.dot-netty.tcp.{key} {name} is a loopback address, but the seed {remoteSeed} is on another machine, which could not reach this node; set public-hostname (and hostname) to this machine's address in {source}");
    }

    private static bool IsLoopback(string host) =>
        host == "localhost" || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    /// <summary>Throws a one-line exit-2 error when <paramref name="host"/>:<paramref name="port"/> is taken; port 0 (any free port) always passes.</summary>
    public static void EnsureFree(string host, int port, string source)
    {
        if (port == 0)
            return;
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out var literal) ? [literal] : Dns.GetHostAddresses(host);
        }
        catch (SocketException e)
        {
            throw new UserError(ExitCode.Usage, $"akka.remote.dot-netty.tcp.hostname {host} does not resolve ({e.Message}); fix it in {source}");
        }
        foreach (var address in addresses)
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            try
            {
                socket.Bind(new IPEndPoint(address, port));
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw new UserError(ExitCode.Usage,
                    $"port {port} on {host} is taken by another process (a second node with this configuration?); see `ss -ltnp 'sport = :{port}'`, or change akka.remote.dot-netty.tcp.port in {source}");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
            {
                continue;
            }
        }
        throw new UserError(ExitCode.Usage,
            $"akka.remote.dot-netty.tcp.hostname {host} is not an address of this machine, so the node cannot listen there; set it to this machine's address (public-hostname is the one others dial) in {source}");
    }
}
