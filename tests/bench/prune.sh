#!/usr/bin/env bash
# prune.sh - how fast `actorbackup prune` removes a snapshot of many files, against the floor
# `rm -rf` of a hardlinked copy of the same tree (`cp -al`), and how long the store collection
# takes. One size per run (default 100,000 files; the issue's large run is 1,000,000).
#
#   tests/bench/prune.sh [--files N] [--seed N] [--dir DIR] [--keep] [--commit REV]
#
# Steps: generate a tree (make-many.py), back it up as week1, churn 1%, back it up as week2
# (so week1 alone holds ~0.8% of the contents), `cp -al week1 copy`; then, each after a sync
# and a warm-up `find` of the trees: `rm -rf copy` (timed), and
# `actorbackup prune --keep-last=1` (timed), which removes week1 and collects the store
# entries only week1 linked. Prints files/s of both, prune's own split (tree removal,
# collection) and its peak RSS.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
MAKE_MANY=$SCRIPT_DIR/make-many.py
PY=/usr/bin/python3            # `python3` on PATH may be a slow shim

FILES=100000
SEED=1
KEEP=0
REV=
GEN_JOBS=2
BASE=${BENCH_DIR:-/var/tmp}

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    cat <<EOF
options:
  --files N      files in the tree (default 100000)
  --seed N       generator seed (default 1)
  --dir DIR      parent of the work folder (default \$BENCH_DIR or /var/tmp)
  --keep         keep the work folder (tree, store, logs)
  --commit REV   build ActorBackup from a clean \`git archive REV\` instead of the working tree
  --gen-jobs J   processes for the tree generator (default 2; untimed)
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --files) FILES=$2; shift 2 ;;
        --files=*) FILES=${1#*=}; shift ;;
        --seed) SEED=$2; shift 2 ;;
        --seed=*) SEED=${1#*=}; shift ;;
        --dir) BASE=$2; shift 2 ;;
        --dir=*) BASE=${1#*=}; shift ;;
        --keep) KEEP=1; shift ;;
        --commit) REV=$2; shift 2 ;;
        --commit=*) REV=${1#*=}; shift ;;
        --gen-jobs) GEN_JOBS=$2; shift 2 ;;
        --gen-jobs=*) GEN_JOBS=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "prune.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
case "$FILES" in ''|*[!0-9]*|0) echo "prune.sh: --files must be a positive integer, got '$FILES'" >&2; exit 2 ;; esac

log() { printf '[prune %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
T_START=$(date +%s)
[ -x /usr/bin/time ] || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq >&2; apt-get install -y -qq time >&2; }
command -v dotnet >/dev/null 2>&1 || { echo "prune.sh: dotnet SDK not found" >&2; exit 1; }

# Room: the tree, the store (~0.75 entries per file) and 3 trees of links: ~2 inodes and 9 KiB per file.
mkdir -p "$BASE"
read -r free_inodes < <(df -Pi "$BASE" | awk 'NR==2 {print $4}')
read -r free_kb < <(df -Pk "$BASE" | awk 'NR==2 {print $4}')
if [ "$free_inodes" -lt $((FILES * 4)) ] || [ "$free_kb" -lt $((FILES * 9)) ]; then
    echo "prune.sh: $BASE has $free_inodes free inodes and $((free_kb / 1048576)) GiB free; $FILES files need about $((FILES * 4)) inodes and $((FILES * 9 / 1048576 + 1)) GiB" >&2
    exit 1
fi
WORK=$(mktemp -d "$BASE/actorbackup-prune.XXXXXX")
cleanup() {
    if [ "$KEEP" = 1 ]; then log "kept work folder $WORK"; else log "removing work folder $WORK"; rm -rf -- "$WORK"; fi
}
trap cleanup EXIT
LOGS=$WORK/logs
mkdir -p "$LOGS"

COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$REV" ]; then
    SRC_ROOT=$WORK/source
    mkdir -p "$SRC_ROOT"
    BUILT=$(git -C "$REPO" rev-parse --short "$REV^{commit}")
    git -C "$REPO" archive --format=tar "$BUILT" | tar -x -C "$SRC_ROOT"
    BUILT_FROM="commit $BUILT (clean git archive)"
else
    SRC_ROOT=$REPO
    BUILT_FROM="working tree at HEAD $COMMIT"
fi
echo "== ActorBackup prune benchmark =="
echo "date:       $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "host:       $(uname -srm), nproc=$(nproc), memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "built from: $BUILT_FROM"
echo "work dir:   $WORK ($(df -PT "$WORK" | awk 'NR==2 {print $2 " on " $1}'))"
echo "tree:       $FILES files, seed $SEED (tests/bench/make-many.py), 1% churn before week2"
echo

log "publishing ActorBackup with deploy/publish.sh (as production installs it)"
# Built in a temporary folder inside $WORK, so it shares no obj/ with other builds of the tree.
if ! TMPDIR=$WORK "$SRC_ROOT/deploy/publish.sh" "$WORK/bin" >"$LOGS/publish.log" 2>&1; then
    echo "prune.sh: deploy/publish.sh failed:" >&2
    tail -40 "$LOGS/publish.log" >&2
    exit 1
fi
AB=$WORK/bin/actorbackup
SRC=$WORK/src
B=$WORK/backups
D=$WORK/data
mkdir -p "$B"

log "generating $FILES files"
$PY "$MAKE_MANY" --out "$SRC" --files "$FILES" --seed "$SEED" --jobs "$GEN_JOBS" >"$LOGS/gen.out"
log "week1 (full backup)"
"$AB" --rootfolder="$SRC" --backupfolder="$B/week1" --datafolder="$D" --createdirs --dostats >"$LOGS/week1.out" 2>"$LOGS/week1.err"
$PY "$MAKE_MANY" --out "$SRC" --files "$FILES" --seed "$SEED" --jobs "$GEN_JOBS" --churn 0.01 --churn-seed 2 >>"$LOGS/gen.out"
log "week2 (incremental after 1% churn)"
"$AB" --rootfolder="$SRC" --backupfolder="$B/week2" --datafolder="$D" --createdirs --dostats >"$LOGS/week2.out" 2>"$LOGS/week2.err"
log "cp -al week1 (the copy rm -rf removes)"
cp -al "$B/week1" "$WORK/copy"

TREE_FILES=$(find "$B/week1" -type f | wc -l)
TREE_DIRS=$(find "$B/week1" -type d | wc -l)
STORE_ENTRIES=$(find "$D" -path "$D/.actorbackup" -prune -o -type f -print | wc -l)
warm() { sync; find "$@" -printf '%s %i\n' >/dev/null; }

# timed NAME -- command: wall seconds, peak RSS (KiB), 1-minute load before it
declare -A SEC RSS LOAD RC
timed() {
    local key=$1; shift 2
    LOAD[$key]=$(cut -d' ' -f1 /proc/loadavg)
    log "running $key (load ${LOAD[$key]})"
    local rc=0
    /usr/bin/time -f '%e %M' -o "$LOGS/$key.time" "$@" >"$LOGS/$key.out" 2>"$LOGS/$key.err" || rc=$?
    read -r SEC[$key] RSS[$key] < <(tail -1 "$LOGS/$key.time")
    RC[$key]=$rc
}

warm "$WORK/copy" "$B/week1"
timed rm -- rm -rf "$WORK/copy"
warm "$B/week1" "$D"
timed prune -- "$AB" prune --datafolder="$D" --backuproot="$B" --keep-last=1

# prune's own lines: "removed week1: N files and M folders of ... in S s" and "store: freed E entries ..., X B (N bytes); walked F folders in S s"
REMOVE_LINE=$(grep '^removed week1: ' "$LOGS/prune.out" || true)
STORE_LINE=$(grep '^store: ' "$LOGS/prune.out" || true)
PRUNED_FILES=$(sed -n 's/^removed week1: \([0-9]*\) files.*/\1/p' <<<"$REMOVE_LINE")
REMOVE_SEC=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' <<<"$REMOVE_LINE")
COLLECT_SEC=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' <<<"$STORE_LINE")
FREED=$(sed -n 's/^store: freed \([0-9]*\) entries.*(\([0-9]*\) bytes).*/\1 entries, \2 bytes/p' <<<"$STORE_LINE")

rate() { awk -v f="$1" -v s="$2" 'BEGIN{ if (s == "" || s < 0.05) s = 0.05; printf "%.0f", f/s }'; }
echo "== results (files/s = regular files of the tree / seconds) =="
echo "tree:  $TREE_FILES files, $TREE_DIRS folders (week1); store: $STORE_ENTRIES entries before the prune"
fmt='%-44s %9s %10s %8s %5s\n'
printf "$fmt" what seconds files/s "RSS MB" load
printf "$fmt" -------------------------------------------- --------- ---------- -------- -----
printf "$fmt" "rm -rf of a cp -al copy of week1" "${SEC[rm]}" "$(rate "$TREE_FILES" "${SEC[rm]}")" "$(awk -v k="${RSS[rm]}" 'BEGIN{printf "%.1f", k*1024/1e6}')" "${LOAD[rm]}"
printf "$fmt" "actorbackup prune (whole command)" "${SEC[prune]}" "$(rate "$TREE_FILES" "${SEC[prune]}")" "$(awk -v k="${RSS[prune]}" 'BEGIN{printf "%.1f", k*1024/1e6}')" "${LOAD[prune]}"
printf "$fmt" "  of which: removing week1's tree" "${REMOVE_SEC:-?}" "$(rate "$TREE_FILES" "$REMOVE_SEC")" "" ""
printf "$fmt" "  of which: store collection" "${COLLECT_SEC:-?}" "" "" ""
echo "prune vs rm -rf (tree removal only): $(awk -v a="$REMOVE_SEC" -v b="${SEC[rm]}" 'BEGIN{ if (b > 0) printf "%.2fx", a/b; else print "n/a" }') the time"
echo "collection freed: ${FREED:-?} (the contents only week1 held)"
echo
echo "== checks =="
ok=1
[ "${RC[rm]}" = 0 ] || { echo "PROBLEM: rm -rf exited ${RC[rm]}"; ok=0; }
[ "${RC[prune]}" = 0 ] && [ ! -s "$LOGS/prune.err" ] || { echo "PROBLEM: prune exited ${RC[prune]}:"; head -20 "$LOGS/prune.err"; ok=0; }
[ "$PRUNED_FILES" = "$TREE_FILES" ] || { echo "PROBLEM: prune removed ${PRUNED_FILES:-?} files, week1 had $TREE_FILES"; ok=0; }
[ ! -e "$B/week1" ] || { echo "PROBLEM: $B/week1 still exists"; ok=0; }
left=$(find "$D" -path "$D/.actorbackup" -prune -o -type f -links 1 -print | wc -l)
[ "$left" = 0 ] || { echo "PROBLEM: $left store entries with no snapshot link remain"; ok=0; }
[ "$ok" = 1 ] && echo "no problems: prune exited 0 with empty stderr, removed every file of week1, and left no unlinked store entry."
echo
echo "== prune's output =="
sed 's/^/  /' "$LOGS/prune.out"
echo
echo "prune.sh total wall time: $(( $(date +%s) - T_START )) s"
[ "$ok" = 1 ]
