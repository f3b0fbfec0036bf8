using ActorBackup.Core;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>Converts Mono's stat structure into the project's <see cref="FileMeta"/>.</summary>
internal static class Meta
{
    private const uint TypeMask = 0xF000; // S_IFMT

    public static FileMeta From(in Stat st)
    {
        var raw = (uint)st.st_mode;
        return new FileMeta(
            TypeOf(raw),
            raw & 0xFFF,
            st.st_uid,
            st.st_gid,
            st.st_size,
            new Timestamp(st.st_mtime, st.st_mtime_nsec),
            new Timestamp(st.st_ctime, st.st_ctime_nsec),
            st.st_dev,
            st.st_ino,
            st.st_rdev,
            st.st_nlink);
    }

    /// <summary>The type bits (S_IFMT) of a raw st_mode.</summary>
    public static EntryType TypeOf(uint mode) => (mode & TypeMask) switch
    {
        0x8000 => EntryType.File,
        0x4000 => EntryType.Directory,
        0xA000 => EntryType.Symlink,
        0x1000 => EntryType.Fifo,
        0x2000 => EntryType.CharDevice,
        0x6000 => EntryType.BlockDevice,
        _ => EntryType.Socket,
    };

    public static uint TypeBits(EntryType type) => type switch
    {
        EntryType.File => 0x8000,
        EntryType.Directory => 0x4000,
        EntryType.Symlink => 0xA000,
        EntryType.Fifo => 0x1000,
        EntryType.CharDevice => 0x2000,
        EntryType.BlockDevice => 0x6000,
        _ => 0xC000,
    };
}
