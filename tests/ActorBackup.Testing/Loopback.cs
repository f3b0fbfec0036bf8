using System.Net;
using System.Net.Sockets;

namespace ActorBackup.Testing;

/// <summary>Ports on 127.0.0.1 for the nodes and servers a test starts.</summary>
public static class Loopback
{
    /// <summary>
    /// A TCP port nobody listens on right now (the kernel's pick for port 0). Another process
    /// may take it before the test's server binds it; the kernel hands ports out in turn, so
    /// that is rare.
    /// </summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
