using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>A failed system call, with the path and operation, worded for the user.</summary>
public sealed class PosixException(Errno errno, string operation, string path)
    : IOException($"{operation} {path}: {Describe(errno)}")
{
    public Errno Errno { get; } = errno;
    public string Operation { get; } = operation;
    public string PathName { get; } = path;

    public static string Describe(Errno errno) => $"{Stdlib.strerror(errno)} ({errno})";

    public static PosixException Last(string operation, string path) => new(Stdlib.GetLastError(), operation, path);
}
