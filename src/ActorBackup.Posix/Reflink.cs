using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// Extent sharing on file systems that can clone (btrfs, XFS with reflink, bcachefs, ZFS
/// with block cloning): <see cref="TryClone"/> makes one file's data the other's without
/// reading or writing it (ioctl FICLONE; each file keeps its own inode, owner, mode and
/// times, and a write to either copies only the blocks written). <see cref="Extents"/> asks
/// where a file's data lies on the disk (FIEMAP), so shared blocks can be counted once.
/// Mono.Posix has no ioctl, so these go to libc directly.
/// </summary>
public static unsafe class Reflink
{
    // Linux values (_IOW(0x94, 9, int) and _IOWR('f', 11, struct fiemap)), the same on x86_64 and aarch64.
    private const ulong Ficlone = 0x40049409;
    private const ulong FsIocFiemap = 0xC020660B;
    private const uint FiemapFlagSync = 0x1;

    /// <summary>FIEMAP_EXTENT_LAST, _UNKNOWN, _DELALLOC, _DATA_INLINE, _SHARED.</summary>
    public const uint ExtentLast = 0x1, ExtentUnknown = 0x2, ExtentDelalloc = 0x4, ExtentInline = 0x200, ExtentShared = 0x2000;

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static extern int IoctlInt(int fd, ulong request, long argument);

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static extern int IoctlPointer(int fd, ulong request, void* argument);

    /// <summary>
    /// Makes <paramref name="destination"/> (open for writing, empty) share all of
    /// <paramref name="source"/>'s data blocks: 0, or the errno. EOPNOTSUPP, EINVAL, ENOTTY
    /// or EXDEV: this file system (or this pair) cannot clone; the caller copies instead.
    /// </summary>
    public static Errno TryClone(SafeFileHandle destination, SafeFileHandle source)
    {
        var result = IoctlInt(Files.Fd(destination), Ficlone, Files.Fd(source));
        return result == 0 ? 0 : NativeConvert.ToErrno(Marshal.GetLastPInvokeError());
    }

    /// <summary>
    /// Whether files in <paramref name="folder"/> can be cloned: writes a one-block file,
    /// clones it, removes both. 0 when it cloned, else the errno (EOPNOTSUPP on ext4, tmpfs,
    /// XFS made without reflink; EINVAL or ENOTTY on others).
    /// </summary>
    public static Errno Probe(string folder)
    {
        var source = Path.Combine(folder, $"{Environment.ProcessId}-clone-probe.tmp");
        var clone = Path.Combine(folder, $"{Environment.ProcessId}-clone-probe-copy.tmp");
        Files.TryUnlink(source);
        Files.TryUnlink(clone);
        try
        {
            using (var write = Files.CreateExclusive(source))
                RandomAccess.Write(write, new byte[4096], 0);
            using var read = Files.OpenSource(source, out _);
            using var output = Files.CreateExclusive(clone);
            return TryClone(output, read);
        }
        catch (PosixException e)
        {
            return e.Errno;
        }
        catch (IOException)
        {
            return Errno.EIO;
        }
        finally
        {
            Files.TryUnlink(source);
            Files.TryUnlink(clone);
        }
    }

    /// <summary>One extent of a file's data: where it lies on the disk, how long, and FIEMAP's flags.</summary>
    public readonly record struct Extent(long Logical, long Physical, long Length, uint Flags)
    {
        public bool Shared => (Flags & ExtentShared) != 0;

        /// <summary>Its physical address means nothing (inline in metadata, not yet allocated): counted per file.</summary>
        public bool NotLocated => (Flags & (ExtentUnknown | ExtentDelalloc | ExtentInline)) != 0;
    }

    /// <summary>
    /// The data extents of an open file, in order (holes have none). Empty when the file
    /// system cannot tell (no FIEMAP): the caller then counts the file's blocks as its own.
    /// With <paramref name="sync"/>, delayed allocations are flushed first, so new files have
    /// real addresses; without, they come flagged <see cref="ExtentDelalloc"/>.
    /// </summary>
    public static List<Extent> Extents(SafeFileHandle file, bool sync, out Errno errno)
    {
        const int Batch = 64;
        const int HeaderSize = 32, ExtentSize = 56;
        var extents = new List<Extent>();
        var buffer = stackalloc byte[HeaderSize + Batch * ExtentSize];
        long start = 0;
        errno = 0;
        while (true)
        {
            new Span<byte>(buffer, HeaderSize + Batch * ExtentSize).Clear();
            *(ulong*)(buffer + 0) = (ulong)start; // fm_start
            *(ulong*)(buffer + 8) = ulong.MaxValue; // fm_length: to the end
            *(uint*)(buffer + 16) = sync ? FiemapFlagSync : 0; // fm_flags
            *(uint*)(buffer + 24) = Batch; // fm_extent_count
            if (IoctlPointer(Files.Fd(file), FsIocFiemap, buffer) != 0)
            {
                errno = NativeConvert.ToErrno(Marshal.GetLastPInvokeError());
                return extents;
            }
            var mapped = *(uint*)(buffer + 20); // fm_mapped_extents
            var last = false;
            for (var i = 0; i < mapped; i++)
            {
                var e = buffer + HeaderSize + i * ExtentSize;
                var extent = new Extent(*(long*)(e + 0), *(long*)(e + 8), *(long*)(e + 16), *(uint*)(e + 40));
                extents.Add(extent);
                last |= (extent.Flags & ExtentLast) != 0;
                start = extent.Logical + extent.Length;
            }
            if (last || mapped < Batch)
                return extents;
        }
    }
}
