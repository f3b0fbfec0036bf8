using System.Text;
using ActorBackup.Core;

namespace ActorBackup.Cli;

/// <summary>One option as help, the man page and completion show it.</summary>
public sealed record OptionHelp(string Name, string? Value, string Text);

/// <summary>A command: its synopsis, what it does, and the options it takes (no other is accepted).</summary>
public sealed record CommandHelp(string Name, string Synopsis, string Summary, IReadOnlyList<OptionHelp> Options);

/// <summary>
/// The one source of the program's help: `actorbackup help [COMMAND]`, `COMMAND --help`, the
/// man page (`actorbackup help --man`) and bash completion (`actorbackup help --bash-completion`).
/// Each command accepts exactly the options listed here.
/// </summary>
public static class Commands
{
    private static readonly OptionHelp Verbose = new("v", null, "more detail (-vv: still more); also --verbose");
    private static readonly OptionHelp Config = new("config", "FILE", "HOCON file over hocon/actorbackup.conf");
    private static readonly OptionHelp DataFolder = new("datafolder", "DIR", "the data folder (content store), e.g. /backup/data");
    private static readonly OptionHelp Json = new("json", null, "one JSON document on standard output instead of text");

    public static readonly IReadOnlyList<CommandHelp> All =
    [
        new("backup", "actorbackup [backup] --rootfolder=DIR --backupfolder=DIR --datafolder=DIR [options]",
            "makes a snapshot of --rootfolder: a plain folder tree whose files are hardlinks into the data folder",
            [
                new("rootfolder", "DIR", "folder to back up (e.g. /home/)"),
                new("backupfolder", "DIR", "the snapshot to make (e.g. /backup/snapshots/week10/); must not exist yet"),
                DataFolder,
                new("datalevels", "N", "levels of two-hex-char folders in the store (default 1; fixed on first use)"),
                new("hash", HashKind.Names(), $"content hash (default {HashKind.Sha1.Name}; fixed on first use)"),
                new("share", "owner|content", "owner: an inode is shared only by files of one owner, group and mode (default); content: one inode per content"),
                new("exact-mtime", "auto|on|off", "with --share=owner, share an inode only between files of one mtime too (auto: where the file system clones)"),
                new("previous", "NAME", "compare with snapshot NAME (default: the newest complete one of the same root); unchanged files are not read"),
                new("rehash", null, "read and hash every file anyway; report files changed behind an unchanged size, mtime and ctime"),
                new("one-file-system", null, "do not descend into other file systems (mount points stay empty), like rsync -x"),
                new("createdirs", null, "create missing backup/data folders without asking"),
                new("ignorefileexists", null, "fill in an existing backup folder instead of refusing it"),
                new("pauseonerror", null, "wait for Enter after each file error"),
                new("awaituserinput", null, "wait for Enter before exiting"),
                new("folderspause", "MS", "pause MS milliseconds after each folder"),
                new("filespause", "MS", "pause MS milliseconds after each file"),
                new("doprogress", "N", "print progress every N files"),
                new("dostats", null, "print a summary at the end"),
                Config,
                new("cluster", "FILE", "run as the coordinator of a cluster (hocon/coordinator.hocon)"),
                Verbose,
            ]),
        new("restore", "actorbackup restore --datafolder=DIR --snapshot=NAME --target=DIR [--path=SUB] [--overwrite]",
            "copies a snapshot (or one file or folder of it) out with its owners, modes, times, xattrs, ACLs and hardlinks",
            [
                DataFolder,
                new("snapshot", "NAME", "the snapshot to restore (its backup folder's name, e.g. week10)"),
                new("target", "DIR", "where to restore; an empty or missing folder, outside the data folder"),
                new("path", "SUB", "only this file or folder, relative to the backed-up folder (alice/site for a backup of /home/)"),
                new("overwrite", null, "restore into a target that is not empty"),
                Config,
                Verbose,
            ]),
        new("verify", "actorbackup verify --datafolder=DIR [--snapshot=NAME] [--read-data | --read-data-subset=P%] [--heal --rootfolder=DIR]",
            "checks that every snapshot's entries are in the store as its manifest says, and (with --read-data) that their bytes match their names",
            [
                DataFolder,
                new("snapshot", "NAME", "check only this snapshot"),
                new("read-data", null, "read every store entry and check its hash"),
                new("read-data-subset", "P%", "read this share of the entries, the next share on the next run"),
                new("heal", null, "repair damaged entries from the source where it still holds the same content"),
                new("rootfolder", "DIR", "with --heal: the backed-up folder to take content from"),
                Json,
                Config,
                Verbose,
            ]),
        new("prune", "actorbackup prune --datafolder=DIR --backuproot=DIR --keep-last=N [--keep-daily=N] [--keep-weekly=N] [--keep-monthly=N] [--keep-yearly=N] [--dry-run]",
            "removes the snapshots no --keep rule keeps, then the store entries no snapshot uses",
            [
                DataFolder,
                new("backuproot", "DIR", "the folder holding the snapshots (e.g. /backup/snapshots)"),
                new("keep-last", "N", "keep the N newest snapshots"),
                new("keep-daily", "N", "keep the newest snapshot of each of the last N days that have one"),
                new("keep-weekly", "N", "the same per ISO week"),
                new("keep-monthly", "N", "the same per month"),
                new("keep-yearly", "N", "the same per year"),
                new("dry-run", null, "say what would be removed, remove nothing"),
                Json,
                Config,
                Verbose,
            ]),
        new("list", "actorbackup list --datafolder=DIR [--json]",
            "lists the snapshots of a data folder with their root, times, files and state",
            [DataFolder, Json]),
        new("stats", "actorbackup stats --datafolder=DIR [--by=user] [--json]",
            "what the data folder holds and what each snapshot adds (--by=user: per owner)",
            [DataFolder, new("by", "user", "figures per file owner"), Json]),
        new("status", "actorbackup status --datafolder=DIR [--max-age=8d] [--json]",
            "the last backup, verify and prune of a data folder and their last success; exit 15 when the last successful backup is older than --max-age",
            [DataFolder, new("max-age", "AGE", "how old the last successful backup may be: 8d (default), 36h, 90m, 600s"), Json]),
        new("node", "actorbackup node --config=FILE",
            "runs a long-lived cluster node (storage or hasher, from the role file)",
            [new("config", "FILE", "the node's role file (hocon/storage.hocon, hocon/hasher.hocon)"), Verbose]),
        new("help", "actorbackup help [COMMAND]",
            "this help; for COMMAND, its options only",
            []),
    ];

    public const string ExitCodes = """
        exit codes: 0 done, 1 fatal (snapshot not published), 2 bad argument, 3 done with file errors,
          4 backup folder exists, 5 data folder set up with other --datalevels/--hash,
          6 backup and data folders on different filesystems, 7 folder missing, 8 restore target not
          empty, 9 no such snapshot, 10 data folder read-only, 11 data folder locked,
          12 no storage node reached (cluster runs), 13 no space left in the data folder (free space
          and run again: it resumes), 14 snapshots reachable by other users,
          15 status: last good backup older than --max-age, 20 verify found damage,
          21 verify healed all damage found, 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM
        """;

    public static CommandHelp? Find(string name) => All.FirstOrDefault(c => c.Name == name);

    /// <summary>Every command's synopsis, then the backup's options, then the exit codes.</summary>
    public static string Usage()
    {
        var text = new StringBuilder("actorbackup: hardlinked snapshots over a hash-named data store\n\nusage: ");
        text.AppendJoin("\n       ", All.Select(c => c.Synopsis)).Append("\n\n");
        text.Append("actorbackup help COMMAND (or COMMAND --help) lists a command's options. Those of backup:\n\n");
        AppendOptions(text, Find("backup")!);
        return text.Append('\n').Append(ExitCodes).ToString();
    }

    /// <summary>One command's synopsis, what it does, its options, and the exit codes.</summary>
    public static string Help(CommandHelp command)
    {
        var text = new StringBuilder($"usage: {command.Synopsis}\n\n{command.Summary}\n\n");
        AppendOptions(text, command);
        return text.Append('\n').Append(ExitCodes).ToString();
    }

    private static void AppendOptions(StringBuilder text, CommandHelp command)
    {
        foreach (var option in command.Options)
        {
            var left = Spelled(option);
            text.Append("  ").Append(left.PadRight(28)).Append(left.Length >= 28 ? "\n" + new string(' ', 30) : "").Append(option.Text).Append('\n');
        }
    }

    /// <summary>"--name=VALUE", "--name", or "-v".</summary>
    public static string Spelled(OptionHelp option) =>
        option.Name.Length == 1 ? "-" + option.Name : option.Value is null ? "--" + option.Name : $"--{option.Name}={option.Value}";

    /// <summary>The man page, actorbackup(1), in roff: the same commands and options as the help.</summary>
    public static string ManPage(string version)
    {
        var man = new StringBuilder();
        man.Append($".TH ACTORBACKUP 1 \"\" \"actorbackup {Roff(version)}\" \"User Commands\"\n");
        man.Append(".SH NAME\nactorbackup \\- hardlinked snapshots over a hash-named data store\n");
        man.Append(".SH SYNOPSIS\n");
        foreach (var command in All)
            man.Append(".nf\n").Append(Roff(command.Synopsis)).Append("\n.fi\n");
        man.Append(".SH DESCRIPTION\nEach snapshot is a plain folder tree; every regular file in it is a hardlink into the data folder, ")
            .Append("which holds each content once, named by its hash. Only new content takes space.\n");
        foreach (var command in All.Where(c => c.Options.Count > 0))
        {
            man.Append($".SH {command.Name.ToUpperInvariant()}\n{Roff(command.Summary)}.\n");
            foreach (var option in command.Options)
                man.Append(".TP\n.B ").Append(Roff(Spelled(option))).Append('\n').Append(Roff(option.Text)).Append('\n');
        }
        man.Append(".SH EXIT STATUS\n.nf\n").Append(Roff(ExitCodes.Trim())).Append("\n.fi\n");
        man.Append(".SH SEE ALSO\nThe README of the source tree: set-up, cron, restore, clusters, monitoring.\n");
        return man.ToString();
    }

    /// <summary>A bash completion script: commands, then each command's own options.</summary>
    public static string BashCompletion()
    {
        var script = new StringBuilder("# bash completion for actorbackup (made by: actorbackup help --bash-completion)\n");
        script.Append("_actorbackup() {\n  local cur=${COMP_WORDS[COMP_CWORD]} cmd=backup\n");
        script.Append("  if [ \"$COMP_CWORD\" -eq 1 ] && [[ $cur != -* ]]; then\n");
        script.Append($"    COMPREPLY=($(compgen -W \"{string.Join(' ', All.Select(c => c.Name))}\" -- \"$cur\")); return\n  fi\n");
        script.Append("  [[ ${COMP_WORDS[1]} != -* ]] && cmd=${COMP_WORDS[1]}\n  case $cmd in\n");
        foreach (var command in All)
        {
            var words = command.Options.Select(o => o.Name.Length == 1 ? "-" + o.Name : o.Value is null ? "--" + o.Name : $"--{o.Name}=").Append("--help");
            script.Append($"    {command.Name}) COMPREPLY=($(compgen -W \"{string.Join(' ', words)}\" -- \"$cur\")) ;;\n");
        }
        script.Append("  esac\n  [[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null\n}\ncomplete -o default -F _actorbackup actorbackup\n");
        return script.ToString();
    }

    private static string Roff(string text) => text.Replace("\\", "\\\\").Replace("-", "\\-").Replace("\n.", "\n\\&.");
}
