using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;
using Mono.Unix.Native;
using Xunit.Abstractions;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// A user racing a root-run backup: while the published CLI runs, background threads swap
/// folders and files for symlinks out of the root, regular files for FIFOs and device nodes,
/// and rewrite, grow and shrink files being read. Whatever the timing, nothing from outside
/// the root enters the backup, nothing outside the root and no FIFO or device is ever opened
/// (inotify sees every open), no run hangs, and every store entry holds the bytes its name
/// says.
/// </summary>
public sealed class HostileRaceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Folders_and_files_swapped_for_symlinks_out_of_the_root_during_runs_let_nothing_from_outside_in()
    {
        using var s = new Scenario();
        var secret = "SECRET-" + Guid.NewGuid().ToString("N");
        // Outside the root, with the same names as folder "d" inside it: a path that goes
        // through a swapped "d" lands on these.
        var outside = new TreeBuilder(s.Temp.Combine("outside"));
        for (var i = 0; i < 20; i++)
        {
            outside.File($"f{i}", $"{secret} f{i}\n");
            s.Source.File($"d/f{i}", $"inside d/f{i}\n");
        }
        for (var k = 0; k < 5; k++)
        {
            for (var i = 0; i < 8; i++)
            {
                outside.File($"sub{k}/g{i}", $"{secret} sub{k}/g{i}\n");
                s.Source.File($"d/sub{k}/g{i}", $"inside d/sub{k}/g{i}\n");
            }
        }
        outside.File("secret", secret);
        // Named like /etc's entries: a path through a swapped "etc-like" lands in /etc.
        foreach (var name in new[] { "passwd", "shadow", "group", "hosts", "hostname" })
            s.Source.File($"etc-like/{name}", $"inside etc-like/{name}\n");
        s.Source.File("etc-like/ssl/openssl.cnf", "inside etc-like/ssl/openssl.cnf\n")
            .File("f-secret", "inside f-secret\n")
            .File("f-shadow", "inside f-shadow\n")
            .File("steady.txt", "inside steady.txt\n");
        var sourcePaths = PosixFs.Walk(s.SourceRoot).ToHashSet();
        var swaps = new Dictionary<string, string>
        {
            ["d"] = outside.Root,
            ["etc-like"] = "/etc",
            ["f-secret"] = outside.Root + "/secret",
            ["f-shadow"] = "/etc/shadow",
        };
        var forbidden = new[] { "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/hosts", "/etc/hostname", "/etc/ssl/openssl.cnf" }
            .Where(PosixFs.Exists).Select(p => Scenario.Sha1(PosixFs.ReadBytes(p))).ToHashSet();

        var results = new List<ProcessResult>();
        using (var watch = new OpenWatch().Add(outside.Root))
        {
            for (var k = 0; k < 5; k++)
                watch.Add($"{outside.Root}/sub{k}");
            using (var swapper = new Swapper(swaps.Select(swap => (Action)(() => SwapForSymlink(s.Source.PathOf(swap.Key), swap.Value))).ToArray()))
            {
                var clock = Stopwatch.StartNew();
                while (results.Count < 8 && clock.Elapsed < TimeSpan.FromSeconds(15))
                    results.Add(RacedRun(s, $"s{results.Count + 1}"));
                Assert.True(swapper.Swaps > 100, $"only {swapper.Swaps} swaps were made during the runs");
                output.WriteLine($"{results.Count} runs in {clock.Elapsed.TotalSeconds:F1} s, {swapper.Swaps} swaps");
            }
            foreach (var result in results)
                output.WriteLine(result.ToString());
            Assert.Empty(watch.Events());
        }

        var problems = 0;
        for (var run = 1; run <= results.Count; run++)
        {
            var result = results[run - 1];
            problems += ExpectPublishedWithReportedProblems(result, s);
            foreach (var relative in PosixFs.Walk(s.Snapshot($"s{run}")))
            {
                var copy = s.InSnapshot($"s{run}", relative);
                var original = Unswapped(relative);
                Assert.True(sourcePaths.Contains(original), $"run {run}: {Names.Show(relative)} is in the snapshot but never was in the source\n{result}");
                var type = PosixFs.TypeOf(PosixFs.Lstat(copy));
                if (type == FilePermissions.S_IFLNK)
                {
                    // Only a swapped name was ever a symlink: kept as one, its target the swap's.
                    Assert.True(swaps.TryGetValue(original, out var target), $"run {run}: {Names.Show(relative)} is a symlink");
                    Assert.Equal(target, Encoding.UTF8.GetString(PosixFs.ReadLink(copy)));
                    continue;
                }
                Assert.Equal(PosixFs.TypeOf(PosixFs.Lstat(s.Source.PathOf(original))), type);
                if (type == FilePermissions.S_IFREG)
                    Assert.Equal($"inside {original}\n", Encoding.UTF8.GetString(PosixFs.ReadBytes(copy)));
            }
        }
        foreach (var entry in s.StoreEntries())
        {
            var bytes = PosixFs.ReadBytes(s.Data + "/" + entry.RelativePath);
            Assert.DoesNotContain(secret, Encoding.UTF8.GetString(bytes));
            Assert.DoesNotContain(Scenario.Sha1(bytes), forbidden);
            Assert.StartsWith(Scenario.Sha1(bytes), entry.Name);
        }
        Assert.True(problems > 0, "no run met a swapped entry: the race was not run");

        string Unswapped(string relative)
        {
            var slash = relative.IndexOf('/');
            var first = slash < 0 ? relative : relative[..slash];
            if (first.EndsWith(".real", StringComparison.Ordinal) && swaps.ContainsKey(first[..^5]))
                return first[..^5] + (slash < 0 ? "" : relative[slash..]);
            return relative;
        }
    }

    [Fact]
    public void Files_swapped_for_FIFOs_and_device_nodes_during_runs_are_never_opened_and_no_run_hangs()
    {
        Assert.True(Files.IsRoot, "this test makes device nodes and needs root");
        using var s = new Scenario();
        var contents = new Dictionary<string, byte[]>();
        for (var i = 0; i < 6; i++)
        {
            contents[$"x{i}"] = Scenario.Bytes(32 * 1024, seed: 600 + i);
            s.Source.File($"x{i}", contents[$"x{i}"]);
        }
        // The nodes each file trades places with (rename with RENAME_EXCHANGE): a FIFO, /dev/zero's
        // numbers, and the block device holding this very disk.
        var disk = Files.Lstat(s.SourceRoot).Device;
        s.Source.Fifo("x0.other").Fifo("x1.other")
            .CharDevice("x2.other", 1, 5).CharDevice("x3.other", 1, 5);
        MakeBlockDevice(s.Source.PathOf("x4.other"), disk);
        MakeBlockDevice(s.Source.PathOf("x5.other"), disk);
        var nodes = Enumerable.Range(0, 6).Select(i => s.Source.PathOf($"x{i}.other")).ToList();

        var results = new List<ProcessResult>();
        using (var watch = new OpenWatch())
        {
            foreach (var node in nodes)
                watch.Add(node); // watches the node's inode, wherever it is renamed
            using (var swapper = new Swapper(Enumerable.Range(0, 6).Select(i => (Action)(() => Exchange(s.Source.PathOf($"x{i}"), s.Source.PathOf($"x{i}.other")))).ToArray()))
            {
                var clock = Stopwatch.StartNew();
                while (results.Count < 8 && clock.Elapsed < TimeSpan.FromSeconds(15))
                    results.Add(RacedRun(s, $"s{results.Count + 1}"));
            }
            Assert.Empty(watch.Events());
        }

        var problems = results.Sum(r => ExpectPublishedWithReportedProblems(r, s));
        Assert.True(problems > 0, "no run met a swapped entry: the race was not run");
        var known = contents.Values.Select(Scenario.Sha1).ToHashSet();
        foreach (var entry in s.StoreEntries())
            Assert.Contains(entry.Name, known); // no FIFO's, device's or disk's bytes were stored
        foreach (var result in results)
        {
            foreach (var line in result.StderrLines.SkipLast(1))
                // An exchange during the read moves the file's ctime (renames stamp it), so
                // "changed while being read" is a right answer too.
                Assert.True(Regex.IsMatch(line, @"was replaced by a (FIFO|device node|another file|symlink)|vanished|changed while being read"), $"unexpected problem line: {line}");
        }
        for (var run = 1; run <= results.Count; run++)
        {
            foreach (var name in PosixFs.ListNames(s.Snapshot($"s{run}")))
            {
                var copy = PosixFs.Lstat(s.InSnapshot($"s{run}", name));
                if (PosixFs.TypeOf(copy) == FilePermissions.S_IFREG)
                    Assert.Contains(Scenario.Sha1(PosixFs.ReadBytes(s.InSnapshot($"s{run}", name))), known);
            }
        }
    }

    [Fact]
    public void Files_growing_shrinking_and_rewritten_while_read_are_never_stored_under_a_hash_their_bytes_do_not_have()
    {
        using var s = new Scenario();
        const int Chunk = 4096;
        s.Source.File("grows.log", []).File("shrinks.bin", Uniform(1 << 20, 0)).File("steady.bin", Scenario.Bytes(1 << 20, seed: 61));
        var rewritten = Enumerable.Range(0, 6).Select(i => $"rewritten-{i}.bin").ToArray();
        foreach (var name in rewritten)
            s.Source.File(name, Uniform(1 << 20, 0));

        var results = new List<ProcessResult>();
        var stop = new CancellationTokenSource();
        long writes = 0, writesBefore = 0, writesDuring = 0;
        var threads = new[]
        {
            // Appends numbered 4 KiB chunks (starting over at 8 MiB): a consistent copy is chunks 0..n-1, complete.
            new Thread(() =>
            {
                var fd = Syscall.open(s.Source.PathOf("grows.log"), OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
                for (var k = 0; !stop.IsCancellationRequested; k++)
                {
                    if (k == 2048)
                    {
                        Syscall.ftruncate(fd, 0);
                        k = 0;
                    }
                    Write(fd, Numbered(k, Chunk));
                    Interlocked.Increment(ref writes);
                    if (k % 16 == 0)
                        Thread.Sleep(1);
                }
                Syscall.close(fd);
            }),
            // Truncates and rewrites with another length, every byte the version number.
            new Thread(() =>
            {
                var random = new Random(5);
                for (var v = 1; !stop.IsCancellationRequested; v++)
                {
                    var fd = Syscall.open(s.Source.PathOf("shrinks.bin"), OpenFlags.O_WRONLY | OpenFlags.O_TRUNC);
                    Write(fd, Uniform(random.Next(1, 1 << 20), (byte)v));
                    Syscall.close(fd);
                    Interlocked.Increment(ref writes);
                    Thread.Sleep(1);
                }
            }),
        }.Concat(rewritten.Select(name => new Thread(() =>
        {
            // Rewrites in place, same size, resting between writes longer than a read takes:
            // only the bytes (and times) change, and a write may still be copying when a read
            // begins, with no later write to move ctime before the read ends.
            var fd = Syscall.open(s.Source.PathOf(name), OpenFlags.O_WRONLY);
            for (var v = 1; !stop.IsCancellationRequested; v++)
            {
                PositionalWrite(fd, Uniform(1 << 20, (byte)v));
                Interlocked.Increment(ref writes);
                Thread.Sleep(5);
            }
            Syscall.close(fd);
        }))).ToArray();
        foreach (var thread in threads)
            thread.Start();
        try
        {
            Thread.Sleep(100);
            writesBefore = Interlocked.Read(ref writes);
            for (var run = 1; run <= 4; run++)
                results.Add(PublishedCli.Run([$"--rootfolder={s.SourceRoot}", $"--backupfolder={s.Snapshot($"s{run}")}", $"--datafolder={s.Data}", "--createdirs"], RunTimeout));
            writesDuring = Interlocked.Read(ref writes) - writesBefore;
        }
        finally
        {
            stop.Cancel();
            foreach (var thread in threads)
                thread.Join();
        }

        output.WriteLine($"{writesDuring} writes during {results.Count} runs");
        Assert.True(writesDuring > 1000, $"only {writesDuring} writes during the runs: the writers did not race the reads");
        foreach (var result in results)
        {
            output.WriteLine(result.ToString());
            ExpectPublishedWithReportedProblems(result, s);
            foreach (var line in result.StderrLines.SkipLast(1))
                Assert.Matches(@"(grows\.log|shrinks\.bin|rewritten-\d\.bin): changed while being read", line);
        }
        Expect.Success(PublishedCli.Run(["verify", $"--datafolder={s.Data}", "--read-data"]));
        for (var run = 1; run <= results.Count; run++)
        {
            foreach (var entry in s.Manifest($"s{run}").Entries.Where(e => e.Type == 'f'))
            {
                var bytes = PosixFs.ReadBytes(s.InSnapshot($"s{run}", entry.Path));
                Assert.Equal(entry.Hash, Scenario.Sha1(bytes));
                Assert.Equal(entry.Size, bytes.Length);
                switch (entry.Path)
                {
                    case "grows.log":
                        Assert.Equal(0, bytes.Length % Chunk);
                        for (var k = 0; k < bytes.Length / Chunk; k++)
                            Assert.Equal(Numbered(k, Chunk), bytes.AsSpan(k * Chunk, Chunk).ToArray());
                        break;
                    case var name when name == "shrinks.bin" || name.StartsWith("rewritten-", StringComparison.Ordinal):
                        Assert.True(bytes.All(b => b == bytes[0]), $"run {run}: {entry.Path} in the snapshot mixes two versions");
                        break;
                }
            }
        }
    }

    /// <summary>
    /// One backup run against the swapping threads. --filespause=1 spreads a folder's file
    /// reads over a millisecond each, so each read meets the swaps at another moment.
    /// </summary>
    private static ProcessResult RacedRun(Scenario s, string snapshot) =>
        PublishedCli.Run([$"--rootfolder={s.SourceRoot}", $"--backupfolder={s.Snapshot(snapshot)}", $"--datafolder={s.Data}", "--createdirs", "--filespause=1"], RunTimeout);

    /// <summary>
    /// Exit 0, or 3 with one "actorbackup: SOURCE/...: reason" line per problem and the
    /// "published, but" line last; the snapshot is published either way. Returns the problems.
    /// </summary>
    private static int ExpectPublishedWithReportedProblems(ProcessResult result, Scenario s)
    {
        Assert.True(result.ExitCode is 0 or 3, $"expected exit code 0 or 3\n{result}");
        var name = result.Args.Single(a => a.StartsWith("--backupfolder=", StringComparison.Ordinal))["--backupfolder=".Length..];
        Assert.True(PosixFs.Exists(name), $"snapshot {name} was not published\n{result}");
        if (result.ExitCode == 0)
        {
            Assert.True(result.Stderr.Length == 0, $"exit 0 with output on standard error\n{result}");
            return 0;
        }
        var lines = result.StderrLines;
        Assert.StartsWith($"actorbackup: snapshot {name} published, but ", lines[^1]);
        foreach (var line in lines.SkipLast(1))
            Assert.True(line.StartsWith($"actorbackup: {s.SourceRoot}/", StringComparison.Ordinal), $"not a per-file line: {line}\n{result}");
        return lines.Count - 1;
    }

    /// <summary>
    /// dir -> dir.real, a symlink at its name for a millisecond, then back for three: the
    /// rename dance of a user racing the walk. Mostly real, the name is walked and listed as
    /// itself, and then often a symlink when what the listing found is opened.
    /// </summary>
    private static void SwapForSymlink(string path, string target)
    {
        Check(Syscall.rename(path, path + ".real"), "rename", path);
        Check(Syscall.symlink(target, path), "symlink", path);
        Thread.Sleep(1);
        Check(Syscall.unlink(path), "unlink", path);
        Check(Syscall.rename(path + ".real", path), "rename back", path);
        Thread.Sleep(3);
    }

    /// <summary>Two names trade places atomically (rename with RENAME_EXCHANGE) for a while, then trade back.</summary>
    private static void Exchange(string a, string b)
    {
        Check(RenameAt2(Syscall.AT_FDCWD, a, Syscall.AT_FDCWD, b, RenameExchange), "renameat2 exchange", a);
        Thread.Sleep(1);
        Check(RenameAt2(Syscall.AT_FDCWD, a, Syscall.AT_FDCWD, b, RenameExchange), "renameat2 exchange back", a);
        Thread.Sleep(1);
    }

    private static void MakeBlockDevice(string path, ulong dev)
    {
        var major = (uint)(((dev >> 8) & 0xFFF) | ((dev >> 32) & ~0xFFFul));
        var minor = (uint)((dev & 0xFF) | ((dev >> 12) & ~0xFFul));
        Check(Syscall.mknod(path, FilePermissions.S_IFBLK | FilePermissions.S_IRUSR | FilePermissions.S_IWUSR, TreeBuilder.MakeDev(major, minor)), "mknod", path);
    }

    private static void Check(int rc, string operation, string path)
    {
        if (rc != 0)
            throw new IOException($"{operation} {path}: {Stdlib.GetLastError()}");
    }

    private static byte[] Uniform(int length, byte value)
    {
        var bytes = new byte[length];
        Array.Fill(bytes, value);
        return bytes;
    }

    private static byte[] Numbered(int k, int length)
    {
        var bytes = Encoding.ASCII.GetBytes($"chunk {k:D9}\n");
        return [.. bytes, .. Uniform(length - bytes.Length, (byte)('a' + k % 26))];
    }

    private static unsafe void Write(int fd, byte[] bytes)
    {
        fixed (byte* p = bytes)
            Syscall.write(fd, p, (ulong)bytes.Length);
    }

    private static unsafe void PositionalWrite(int fd, byte[] bytes)
    {
        fixed (byte* p = bytes)
            Syscall.pwrite(fd, p, (ulong)bytes.Length, 0);
    }

    private const uint RenameExchange = 2;

    [DllImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    private static extern int RenameAt2(int olddirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string oldpath, int newdirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string newpath, uint flags);

    /// <summary>
    /// Runs each round (a swap and its undoing) in a loop on a thread of its own until
    /// disposed, so every swapped name flips all the time; the tree is as it was after
    /// Dispose. A failed swap fails the test at Dispose.
    /// </summary>
    private sealed class Swapper : IDisposable
    {
        private readonly List<Thread> _threads = [];
        private volatile bool _stop;
        private Exception? _failure;
        private long _swaps;

        public Swapper(params Action[] rounds)
        {
            foreach (var round in rounds)
            {
                var thread = new Thread(() =>
                {
                    try
                    {
                        while (!_stop)
                        {
                            round();
                            Interlocked.Increment(ref _swaps);
                        }
                    }
                    catch (Exception e)
                    {
                        _failure = e;
                    }
                }) { IsBackground = true };
                thread.Start();
                _threads.Add(thread);
            }
        }

        public long Swaps => Interlocked.Read(ref _swaps);

        public void Dispose()
        {
            _stop = true;
            foreach (var thread in _threads)
                thread.Join();
            if (_failure is not null)
                throw new InvalidOperationException("a swap failed", _failure);
        }
    }
}
