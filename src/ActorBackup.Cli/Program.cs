using System.Security.Cryptography;

namespace ActorBackup.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        WarmUp();
        return Cli.Run(args, Console.Out, Console.Error, Console.In, processEnds: true);
    }

    /// <summary>
    /// Starting the actor system waits on two slow first uses: the local time zone (Akka's
    /// random seed reads DateTime.Now: /etc/localtime parsed) and OpenSSL's random
    /// generator (loaded on first use). A pool thread makes them on the other core
    /// while the main thread parses the command line and the configuration.
    /// </summary>
    private static void WarmUp() =>
        ThreadPool.UnsafeQueueUserWorkItem(_ =>
        {
            _ = DateTime.Now;
            _ = RandomNumberGenerator.GetInt32(2);
        }, null);
}
