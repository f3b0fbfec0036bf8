namespace ActorBackup.Core;

/// <summary>What kind of file system object an entry is. The chars are the manifest's type column.</summary>
public enum EntryType
{
    File = 'f',
    Directory = 'd',
    Symlink = 'l',
    Fifo = 'p',
    CharDevice = 'c',
    BlockDevice = 'b',
    Socket = 's',
}
