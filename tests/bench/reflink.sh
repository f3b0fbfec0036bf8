#!/usr/bin/env bash
# reflink.sh - disk used and wall time of ActorBackup's default (--share=owner) on loop-mounted
# ext4, XFS (reflink=1) and btrfs, week 1 and week 2 of the corpus, against one copy per
# distinct content (what the original tool, restic and Borg store) and cp -a as the floor.
#
#   tests/bench/reflink.sh [--scale small|medium] [--seed N] [--dir DIR] [--keep] [--commit REV]
#
# Needs root (loop mounts), mkfs.xfs, mkfs.btrfs. Each file system is a fresh sparse image in
# the work folder; "df used" is df's used bytes after the run minus right after mkfs, so the
# file system's own overhead (log, metadata trees) is not counted. Runs take turns (ext4, XFS,
# btrfs for week 1; the corpus moves to week 2 in place; the same for week 2), on a warm cache.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
MAKE_CORPUS=${MAKE_CORPUS:-$REPO/../shared/corpus/make-corpus.py}
PY=/usr/bin/python3
SCALE=medium
SEED=1
KEEP=0
REV=
BASE=${BENCH_DIR:-/var/tmp}
FSES=(ext4 xfs btrfs)

while [ $# -gt 0 ]; do
    case "$1" in
        --scale) SCALE=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --dir) BASE=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --commit) REV=$2; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --only) FSES=($2); shift 2 ;;
        *) echo "reflink.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "reflink.sh: needs root (loop mounts)" >&2; exit 1; }
for tool in mkfs.xfs mkfs.btrfs mkfs.ext4; do
    command -v $tool >/dev/null || { echo "reflink.sh: $tool missing (apt-get install xfsprogs btrfs-progs e2fsprogs)" >&2; exit 1; }
done

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
WORK=$(mktemp -d "$BASE/actorbackup-reflink.XXXXXX")
cleanup() {
    for fs in "${FSES[@]}"; do umount "$WORK/mnt/$fs" 2>/dev/null || true; done
    [ "$KEEP" = 1 ] && log "kept $WORK" || rm -rf -- "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/corpus" "$WORK/logs" "$WORK/mnt"
HOME_DIR=$WORK/corpus/home

if [ -n "$REV" ]; then
    mkdir -p "$WORK/source"
    git -C "$REPO" archive --format=tar "$REV" | tar -x -C "$WORK/source"
    SRC_ROOT=$WORK/source
    BUILT="commit $(git -C "$REPO" rev-parse --short "$REV")"
else
    SRC_ROOT=$REPO
    BUILT="working tree at $(git -C "$REPO" rev-parse --short HEAD)"
fi
log "publishing ($BUILT)"
TMPDIR=$WORK "$SRC_ROOT/deploy/publish.sh" "$WORK/bin" >"$WORK/logs/publish.log" 2>&1 || { tail -30 "$WORK/logs/publish.log" >&2; exit 1; }
AB=$WORK/bin/actorbackup

echo "== ActorBackup on file systems that clone =="
echo "date:   $(date -u '+%Y-%m-%d %H:%M:%S UTC'); host $(uname -srm), nproc=$(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "built:  $BUILT"
echo "corpus: scale=$SCALE seed=$SEED; images are sparse files in $WORK ($(df -PT "$WORK" | awk 'NR==2 {print $2}'))"

log "generating week 1"
$PY "$MAKE_CORPUS" --out "$HOME_DIR" --scale "$SCALE" --seed "$SEED" --week 1 >"$WORK/logs/corpus1.txt"

declare -A BASELINE
for fs in "${FSES[@]}"; do
    img=$WORK/$fs.img
    truncate -s 12G "$img"
    case $fs in
        ext4) mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$img" ;;
        xfs) mkfs.xfs -q -f -m reflink=1 "$img" ;;
        btrfs) mkfs.btrfs -q -f "$img" ;;
    esac
    mkdir -p "$WORK/mnt/$fs"
    mount -o loop "$img" "$WORK/mnt/$fs"
    mkdir -m 700 "$WORK/mnt/$fs/backup"
    sync -f "$WORK/mnt/$fs"
    BASELINE[$fs]=$(df -B1 --output=used "$WORK/mnt/$fs" | tail -1 | tr -d ' ')
done

used() { sync -f "$WORK/mnt/$1"; echo $(( $(df -B1 --output=used "$WORK/mnt/$1" | tail -1 | tr -d ' ') - BASELINE[$1] )); }
warm() { find "$HOME_DIR" -type f -print0 | xargs -0 cat >/dev/null; }
gb() { awk -v b="$1" 'BEGIN{printf "%.3f GB", b/1e9}'; }

declare -A WALL USED CONTENT DISK BLOCKS
run() { # fs week
    local fs=$1 week=$2 t0 t1
    warm; sync
    t0=$(date +%s.%N)
    "$AB" --rootfolder="$HOME_DIR" --backupfolder="$WORK/mnt/$fs/backup/week$week" --datafolder="$WORK/mnt/$fs/backup/data" \
        --createdirs --dostats >"$WORK/logs/$fs-week$week.txt" 2>&1 || { echo "run failed on $fs week $week:" >&2; tail "$WORK/logs/$fs-week$week.txt" >&2; exit 1; }
    t1=$(date +%s.%N)
    WALL[$fs,$week]=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
    USED[$fs,$week]=$(used "$fs")
    "$AB" stats --datafolder="$WORK/mnt/$fs/backup/data" --json >"$WORK/logs/$fs-stats$week.json"
    CONTENT[$fs,$week]=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["content_bytes"])' "$WORK/logs/$fs-stats$week.json")
    DISK[$fs,$week]=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["disk_bytes"])' "$WORK/logs/$fs-stats$week.json")
    # One copy per content as a file system stores it: each first entry (no .N suffix) in whole 4 KiB blocks.
    BLOCKS[$fs,$week]=$(find "$WORK/mnt/$fs/backup/data" -path '*/.actorbackup' -prune -o -type f -regex '.*/[0-9A-F]+$' -printf '%s\n' \
        | awk '{b += int(($1 + 4095) / 4096) * 4096} END {printf "%d", b}')
    log "$fs week $week: ${WALL[$fs,$week]} s, df +$(gb "${USED[$fs,$week]}")"
}

for fs in "${FSES[@]}"; do run "$fs" 1; done
# The floor for a full run: cp -a of the tree onto the same ext4 image, then removed.
warm; sync
t0=$(date +%s.%N); cp -a "$HOME_DIR" "$WORK/mnt/ext4/cp-a"; sync -f "$WORK/mnt/ext4"; t1=$(date +%s.%N)
CPA=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
rm -rf "$WORK/mnt/ext4/cp-a"

log "moving the corpus to week 2 in place"
$PY "$MAKE_CORPUS" --out "$HOME_DIR" --scale "$SCALE" --seed "$SEED" --week 2 --inplace >"$WORK/logs/corpus2.txt"
for fs in "${FSES[@]}"; do run "$fs" 2; done

echo
echo "one copy per distinct content (stats content_bytes, same on every file system):"
echo "  after week 1: $(gb "${CONTENT[ext4,1]}") (${CONTENT[ext4,1]} bytes); after week 2: $(gb "${CONTENT[ext4,2]}") (${CONTENT[ext4,2]} bytes)"
echo "  the same in whole 4 KiB blocks (the first entry of each content, as any file system allocates it):"
echo "  after week 1: $(gb "${BLOCKS[xfs,1]}"); after week 2: $(gb "${BLOCKS[xfs,2]}")"
echo "cp -a of week 1 onto the ext4 image: $CPA s"
echo
printf '%-6s %-6s %9s %16s %12s %12s %s\n' fs week wall "df used" "/one copy" "/ext4 used" "clones / per-owner copies (from --dostats)"
for week in 1 2; do
    for fs in "${FSES[@]}"; do
        ratio=$(awk -v u="${USED[$fs,$week]}" -v c="${CONTENT[$fs,$week]}" 'BEGIN{printf "%.3fx", u/c}')
        vsext4=$(awk -v u="${USED[$fs,$week]}" -v e="${USED[ext4,$week]}" 'BEGIN{printf "%.3fx", u/e}')
        made=$(grep -E '^(clones|per-owner copies):' "$WORK/logs/$fs-week$week.txt" | sed 's/  */ /g' | cut -c1-60 || true)
        printf '%-6s %-6s %8ss %16s %12s %12s %s\n' "$fs" "$week" "${WALL[$fs,$week]}" "$(gb "${USED[$fs,$week]}")" "$ratio" "$vsext4" "${made:--}"
    done
done
echo
echo "where df's bytes go: the entries' data blocks (stats disk_bytes, shared blocks once) and the rest"
echo "(inodes, folders, manifests, the file system's trees), against one copy per content in blocks:"
printf '%-6s %-6s %16s %12s %16s\n' fs week "entry blocks" "/one copy" "rest of df"
for week in 1 2; do
    for fs in "${FSES[@]}"; do
        printf '%-6s %-6s %16s %12s %16s\n' "$fs" "$week" "$(gb "${DISK[$fs,$week]}")" \
            "$(awk -v d="${DISK[$fs,$week]}" -v b="${BLOCKS[$fs,$week]}" 'BEGIN{printf "%.3fx", d/b}')" "$(gb $(( USED[$fs,$week] - DISK[$fs,$week] )))"
    done
done
echo
for week in 1 2; do
    echo "wall time vs ext4, week $week: xfs $(awk -v a="${WALL[xfs,$week]}" -v b="${WALL[ext4,$week]}" 'BEGIN{printf "%.2fx", a/b}'), btrfs $(awk -v a="${WALL[btrfs,$week]}" -v b="${WALL[ext4,$week]}" 'BEGIN{printf "%.2fx", a/b}')"
done
echo "week 1 vs cp -a (ext4 image): ext4 $(awk -v a="${WALL[ext4,1]}" -v b="$CPA" 'BEGIN{printf "%.2fx", a/b}'), xfs $(awk -v a="${WALL[xfs,1]}" -v b="$CPA" 'BEGIN{printf "%.2fx", a/b}'), btrfs $(awk -v a="${WALL[btrfs,1]}" -v b="$CPA" 'BEGIN{printf "%.2fx", a/b}')"
