#!/usr/bin/env bash
# floor.sh - ActorBackup against the physical floor (issue 27): week 1 against `cp -a` (a
# plain copy of the bytes), week 2 against `cp -al` (a plain hardlink tree), rsync and
# sha1sum alongside, every run on cold caches, the tools taking turns, medians and spread.
# Then the syscalls each tool makes per new and per unchanged file (strace -c, untimed).
#
#   tests/bench/floor.sh [--scale small|medium] [--seed N] [--repeat N] [--warm] [--dir DIR] [--keep] [--commit REV]
#
# --warm: warm caches instead (an untimed read of the trees a run reads before each run).
# Targets (issue 27, medium corpus, caches dropped, medians of 3): week 1 <= 1.0x cp -a,
# week 2 <= 1.2x cp -al. Exit 0 when every run succeeded (targets met or not), 1 otherwise.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
MAKE_CORPUS=${MAKE_CORPUS:-$REPO/../shared/corpus/make-corpus.py}
MAKE_MANY=$SCRIPT_DIR/make-many.py
PY=/usr/bin/python3            # `python3` on PATH may be a slow shim
SCALE=medium
SEED=1
REPEAT=3
DROP=1
KEEP=0
REV=
BASE=${BENCH_DIR:-/var/tmp}
STRACE_FILES=20000

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --scale) SCALE=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --repeat) REPEAT=$2; shift 2 ;;
        --warm) DROP=0; shift ;;
        --dir) BASE=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --commit) REV=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "floor.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
case "$SCALE" in small|medium) ;; *) echo "floor.sh: --scale must be small or medium" >&2; exit 2 ;; esac
case "$REPEAT" in ''|*[!0-9]*|0) echo "floor.sh: --repeat must be a number of at least 1" >&2; exit 2 ;; esac
[ -f "$MAKE_CORPUS" ] || { echo "floor.sh: corpus generator not found: $MAKE_CORPUS (set MAKE_CORPUS)" >&2; exit 2; }
if [ "$DROP" = 1 ] && ! { sync && echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
    echo "floor.sh: cannot drop caches (needs root and a writable /proc/sys/vm/drop_caches); use --warm" >&2
    exit 2
fi
need=()
for t in rsync strace; do command -v $t >/dev/null 2>&1 || need+=("$t"); done
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 \
        || { echo "floor.sh: could not install ${need[*]}" >&2; exit 1; }
fi

mkdir -p "$BASE"
WORK=$(mktemp -d "$BASE/actorbackup-floor.XXXXXX")
mkdir -p "$WORK/logs"
# shellcheck source=tests/bench/lib.sh
source "$SCRIPT_DIR/lib.sh"
cleanup() { if [ "$KEEP" = 1 ]; then log "kept $WORK"; else log "removing $WORK"; rm -rf -- "$WORK"; fi; }
trap cleanup EXIT

echo "== ActorBackup at the physical floor (tests/bench/floor.sh) =="
echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "host:    $(uname -srm), nproc=$(nproc), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit:  $(git -C "$REPO" rev-parse --short HEAD)${REV:+, built from $(git -C "$REPO" rev-parse --short "$REV")}"
echo "work:    $WORK ($(df -PT "$WORK" | awk 'NR==2 {print $2 " on " $1}'))"
echo "tools:   $(cp --version | head -1), $(rsync --version | head -1 | awk '{print $1, $2, $3}'), $(sha1sum --version | head -1)"
echo "caches:  $([ "$DROP" = 1 ] && echo "dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before every timed run" || echo "warm: an untimed read of the trees a run reads before it")"
echo "corpus:  scale $SCALE, seed $SEED; $REPEAT runs per tool and week, the tools taking turns"
echo

log "publishing ActorBackup"
publish ab "$REV"
AB=$WORK/ab/actorbackup
HOME_TREE=$WORK/home

prepare() {   # before a timed run: drop every cache, or read what the run reads
    sync
    if [ "$DROP" = 1 ]; then echo 3 >/proc/sys/vm/drop_caches; return; fi
    local d
    for d in "$@"; do
        find "$d" -type f -print0 | xargs -0 -r cat >/dev/null
        find "$d" -printf '%s %i\n' >/dev/null
    done
}

declare -A SEC CPU RSS
TOOLS1=("ActorBackup" "cp -a" "cp -a; sync" "rsync" "sha1sum -P2")
TOOLS2=("ActorBackup" "AB link-workers=2" "cp -al" "rsync --link-dest")
FAILED=0
# timed TOOL WEEK RUN -- command...: wall and CPU seconds, peak RSS; output in logs/
timed() {
    local tool=$1 week=$2 i=$3 key rc=0 sec rss usr sys; shift 4
    key="$tool|$week|$i"
    log "week $week, run $i: $tool"
    /usr/bin/time -f '%e %M %U %S' -o "$WORK/logs/time" "$@" >"$WORK/logs/${tool// /_}-$week-$i.out" 2>&1 || rc=$?
    read -r sec rss usr sys < <(tail -1 "$WORK/logs/time")
    SEC[$key]=$sec; RSS[$key]=$rss
    CPU[$key]=$(awk -v u="$usr" -v s="$sys" 'BEGIN{printf "%.1f", u+s}')
    if [ "$rc" -ne 0 ]; then
        FAILED=1
        echo "FAILED: $tool week $week run $i exited $rc; last lines:"
        tail -5 "$WORK/logs/${tool// /_}-$week-$i.out"
    fi
}

log "generating the corpus, week 1"
$PY "$MAKE_CORPUS" --out "$HOME_TREE" --scale "$SCALE" --seed "$SEED" --week 1 >"$WORK/logs/corpus1.txt"
FILES=$(find "$HOME_TREE" -type f | wc -l)
echo "week 1: $FILES files, $(du -sb --apparent-size "$HOME_TREE" | awk '{printf "%.0f MB", $1/1e6}')"
for i in $(seq 1 "$REPEAT"); do
    prepare "$HOME_TREE"
    timed "ActorBackup" 1 "$i" -- "$AB" --rootfolder="$HOME_TREE" --backupfolder="$WORK/ab$i/week1" \
        --datafolder="$WORK/ab$i/data" --createdirs --dostats
    prepare "$HOME_TREE"
    timed "cp -a" 1 "$i" -- cp -a "$HOME_TREE" "$WORK/cpa$i"
    # ActorBackup's run ends with its bytes on disk (syncfs before it publishes); cp -a's
    # writeback goes on after it exits. This row counts that writeback too.
    prepare "$HOME_TREE"
    timed "cp -a; sync" 1 "$i" -- bash -c 'cp -a "$1" "$2" && sync' _ "$HOME_TREE" "$WORK/cpas$i"
    prepare "$HOME_TREE"
    mkdir -p "$WORK/rs$i"
    timed "rsync" 1 "$i" -- rsync -a "$HOME_TREE/" "$WORK/rs$i/week1/"
    prepare "$HOME_TREE"
    timed "sha1sum -P2" 1 "$i" -- bash -c 'find "$1" -type f -print0 | xargs -0 -P2 -n 200 sha1sum >/dev/null' _ "$HOME_TREE"
done

printf 'actorbackup.link-workers = 2\n' >"$WORK/workers.conf"
log "week 2 churn, in place"
$PY "$MAKE_CORPUS" --out "$HOME_TREE" --scale "$SCALE" --seed "$SEED" --week 2 --inplace >"$WORK/logs/corpus2.txt"
for i in $(seq 1 "$REPEAT"); do
    prepare "$HOME_TREE" "$WORK/ab$i/week1"
    timed "ActorBackup" 2 "$i" -- "$AB" --rootfolder="$HOME_TREE" --backupfolder="$WORK/ab$i/week2" \
        --datafolder="$WORK/ab$i/data" --createdirs --dostats --previous=week1
    # The same with two link workers (off by default: what they bring or cost here).
    prepare "$HOME_TREE" "$WORK/ab$i/week1"
    timed "AB link-workers=2" 2 "$i" -- "$AB" --rootfolder="$HOME_TREE" --backupfolder="$WORK/ab$i/week2-workers" \
        --datafolder="$WORK/ab$i/data" --createdirs --dostats --previous=week1 --config="$WORK/workers.conf"
    prepare "$WORK/ab$i/week1"
    timed "cp -al" 2 "$i" -- cp -al "$WORK/ab$i/week1" "$WORK/cpal$i"
    prepare "$HOME_TREE" "$WORK/rs$i/week1"
    timed "rsync --link-dest" 2 "$i" -- rsync -a --link-dest="$WORK/rs$i/week1" "$HOME_TREE/" "$WORK/rs$i/week2/"
done

stat_of() {   # KIND TOOL WEEK: median, min, max of the runs
    local arr=$1 tool=$2 week=$3 i v
    for i in $(seq 1 "$REPEAT"); do
        case $arr in sec) v=${SEC["$tool|$week|$i"]} ;; cpu) v=${CPU["$tool|$week|$i"]} ;; rss) v=${RSS["$tool|$week|$i"]} ;; esac
        echo "$v"
    done | sort -g | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; print m, a[1], a[NR]}'
}
echo
echo "== wall seconds (median, min-max of $REPEAT), CPU seconds (median), peak RSS (largest) =="
fmt='%-6s %-18s %9s %15s %9s %9s   %s\n'
printf "$fmt" week tool median "min-max" "cpu s" "RSS MB" runs
declare -A MED
for week in 1 2; do
    if [ "$week" = 1 ]; then tools=("${TOOLS1[@]}"); else tools=("${TOOLS2[@]}"); fi
    for tool in "${tools[@]}"; do
        read -r m lo hi < <(stat_of sec "$tool" "$week")
        read -r c _ _ < <(stat_of cpu "$tool" "$week")
        read -r _ _ r < <(stat_of rss "$tool" "$week")
        MED[$tool|$week]=$m
        runs=$(for i in $(seq 1 "$REPEAT"); do printf '%s ' "${SEC["$tool|$week|$i"]}"; done)
        printf "$fmt" "$week" "$tool" "$m" "$lo-$hi" "$c" "$(awk -v k="$r" 'BEGIN{printf "%.0f", k*1024/1e6}')" "$runs"
    done
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b <= 0) print "n/a"; else printf "%.2fx", a/b }'; }
echo
echo "== ratios of medians (>1: ActorBackup slower) =="
echo "week 1: ActorBackup / cp -a   $(ratio "${MED[ActorBackup|1]}" "${MED[cp -a|1]}")   (target <= 1.0x);  / cp -a; sync  $(ratio "${MED[ActorBackup|1]}" "${MED[cp -a; sync|1]}")"
echo "week 2: ActorBackup / cp -al  $(ratio "${MED[ActorBackup|2]}" "${MED[cp -al|2]}")   (target <= 1.2x);  with link-workers = 2: $(ratio "${MED[AB link-workers=2|2]}" "${MED[cp -al|2]}")"
echo "week 1: ActorBackup / rsync   $(ratio "${MED[ActorBackup|1]}" "${MED[rsync|1]}"),  / sha1sum -P2 $(ratio "${MED[ActorBackup|1]}" "${MED[sha1sum -P2|1]}")"
echo "week 2: ActorBackup / rsync --link-dest  $(ratio "${MED[ActorBackup|2]}" "${MED[rsync --link-dest|2]}")"
echo

# ------------------------------------------------------------------ syscalls (untimed)
log "syscalls per file (strace -f -c, $STRACE_FILES small files)"
S=$WORK/strace
$PY "$MAKE_MANY" --out "$S/src" --files "$STRACE_FILES" --seed "$SEED" >/dev/null
mkdir -p "$S/rs"
per_file() {   # NAME -- command...: syscalls per source file, without and with futex/sched_yield
    local name=$1; shift 2
    strace -f -c -o "$WORK/logs/strace-$name.txt" "$@" >/dev/null 2>&1 || { echo "$name: strace run failed"; FAILED=1; return; }
    local t="$WORK/logs/strace-$name.txt"
    # strace -c rows: % time, seconds, usecs/call, calls, [errors,] syscall
    awk -v n="$STRACE_FILES" -v name="$name" '
        /^ *[0-9]/ && $NF != "total" { if ($NF == "futex" || $NF == "sched_yield") s += $4; else w += $4 }
        END { printf "%-28s %6.2f per file (+%5.2f futex and sched_yield); most:", name, w / n, s / n }' "$t"
    awk '/^ *[0-9]/ && $NF != "total" && $NF != "futex" && $NF != "sched_yield" { print $4, $NF }' "$t" |
        sort -rn | head -8 | awk -v n="$STRACE_FILES" '{ printf " %s %.2f", $2, $1 / n } END { print "" }'
}
echo "== syscalls per file (strace -f -c; $STRACE_FILES files of make-many.py, startup included) =="
per_file "ActorBackup week 1 (new)" -- "$AB" --rootfolder="$S/src" --backupfolder="$S/ab/week1" --datafolder="$S/ab/data" --createdirs
per_file "ActorBackup week 2 (unch.)" -- "$AB" --rootfolder="$S/src" --backupfolder="$S/ab/week2" --datafolder="$S/ab/data" --createdirs
per_file "cp -a" -- cp -a "$S/src" "$S/cpa"
per_file "cp -al" -- cp -al "$S/ab/week1" "$S/cpal"
per_file "rsync -a" -- rsync -a "$S/src/" "$S/rs/week1/"
per_file "rsync --link-dest (unch.)" -- rsync -a --link-dest="$S/rs/week1" "$S/src/" "$S/rs/week2/"
echo
[ "$FAILED" = 0 ]
