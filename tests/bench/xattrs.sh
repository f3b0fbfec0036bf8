#!/usr/bin/env bash
# xattrs.sh - what keeping every xattr and ACL costs: wall time of week 1 (full) and week 2
# (incremental) on the corpus, this build against a base commit that read only the access ACL,
# runs taking turns in one session; then the extra store entries the xattr share key makes on
# a tree where every 10th file carries an ACL.
#
#   tests/bench/xattrs.sh [--scale small|medium] [--seed N] [--base REV] [--repeat N] [--dir DIR] [--keep]
#
# Needs root (the corpus has many owners). Defaults: medium corpus, base 00ba6d8 (the commit
# before issue 21), 3 runs per build and week. The ACL part uses the small corpus.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
MAKE_CORPUS=${MAKE_CORPUS:-$REPO/../shared/corpus/make-corpus.py}
PY=/usr/bin/python3
SCALE=medium
SEED=1
BASE_REV=00ba6d8
REPEAT=3
KEEP=0
PARENT=${BENCH_DIR:-/var/tmp}

while [ $# -gt 0 ]; do
    case "$1" in
        --scale) SCALE=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --base) BASE_REV=$2; shift 2 ;;
        --repeat) REPEAT=$2; shift 2 ;;
        --dir) PARENT=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "xattrs.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "xattrs.sh: needs root (the corpus has many owners)" >&2; exit 1; }
command -v setfacl >/dev/null || { echo "xattrs.sh: setfacl missing (apt-get install acl)" >&2; exit 1; }

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
WORK=$(mktemp -d "$PARENT/actorbackup-xattrs.XXXXXX")
cleanup() { [ "$KEEP" = 1 ] && log "kept $WORK" || rm -rf -- "$WORK"; }
trap cleanup EXIT
mkdir -p "$WORK/logs"

publish() { # publish NAME REV|"" : a build in $WORK/NAME
    local name=$1 rev=$2 src=$REPO
    if [ -n "$rev" ]; then
        mkdir -p "$WORK/src-$name"
        git -C "$REPO" archive --format=tar "$rev" | tar -x -C "$WORK/src-$name"
        src=$WORK/src-$name
    fi
    TMPDIR=$WORK "$src/deploy/publish.sh" "$WORK/$name" >"$WORK/logs/publish-$name.log" 2>&1 \
        || { tail -30 "$WORK/logs/publish-$name.log" >&2; exit 1; }
}
log "publishing base ($BASE_REV) and head (working tree at $(git -C "$REPO" rev-parse --short HEAD))"
publish base "$BASE_REV"
publish head ""

echo "== ActorBackup: the cost of reading every xattr and ACL =="
echo "date:   $(date -u '+%Y-%m-%d %H:%M:%S UTC'); host $(uname -srm), nproc=$(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "base:   commit $(git -C "$REPO" rev-parse --short "$BASE_REV") (reads the access ACL only)"
echo "head:   working tree at $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- src || echo ' (with uncommitted changes)')"
echo "corpus: scale=$SCALE seed=$SEED, in $WORK ($(df -PT "$WORK" | awk 'NR==2 {print $2}')); warm cache; $REPEAT runs per build and week, taking turns"

# run BUILD STORE WEEK SOURCE: one backup; prints its wall seconds
run() {
    local build=$1 store=$2 week=$3 src=$4 start end
    start=$(date +%s.%N)
    "$WORK/$build/actorbackup" --rootfolder="$src" --backupfolder="$store/snapshots/week$week" \
        --datafolder="$store/data" --createdirs --dostats >"$WORK/logs/$(basename "$store")-week$week.txt" 2>&1 \
        || { echo "run failed: $build week $week:" >&2; tail "$WORK/logs/$(basename "$store")-week$week.txt" >&2; exit 1; }
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

HOME_DIR=$WORK/corpus/home
log "generating week 1 ($SCALE)"
$PY "$MAKE_CORPUS" --out "$HOME_DIR" --scale "$SCALE" --seed "$SEED" --week 1 >"$WORK/logs/corpus1.txt"
echo "week 1: $(cat "$WORK/logs/corpus1.txt")"
declare -A T
for week in 1 2; do
    if [ "$week" = 2 ]; then
        log "moving the corpus to week 2 in place"
        $PY "$MAKE_CORPUS" --out "$HOME_DIR" --scale "$SCALE" --seed "$SEED" --week 2 --inplace >"$WORK/logs/corpus2.txt"
        echo "week 2: $(cat "$WORK/logs/corpus2.txt")"
    fi
    for i in $(seq 1 "$REPEAT"); do
        for build in base head; do
            log "week $week, run $i, $build"
            T[$build,$week,$i]=$(run "$build" "$WORK/store-$build-$i" "$week" "$HOME_DIR")
        done
        sync
    done
done

echo
printf '%-6s %-5s %s\n' week build "wall seconds per run (median)"
for week in 1 2; do
    for build in base head; do
        line=""
        for i in $(seq 1 "$REPEAT"); do line+=$(printf '%7.2f' "${T[$build,$week,$i]}"); done
        med=$(for i in $(seq 1 "$REPEAT"); do echo "${T[$build,$week,$i]}"; done | median)
        printf '%-6s %-5s %s   (%.2f)\n' "$week" "$build" "$line" "$med"
    done
done
for week in 1 2; do
    ratios=""
    for i in $(seq 1 "$REPEAT"); do
        ratios+=$(echo "${T[head,$week,$i]} / ${T[base,$week,$i]}" | bc -l | xargs printf ' %.3f')
    done
    med=$(for r in $ratios; do echo "$r"; done | median)
    echo "week $week head/base per pair:$ratios; median $(printf '%.3f' "$med")"
done
echo "head's summary, week 2 run 1:"
grep -E '^(unchanged|bytes read|new content|xattrs and ACLs|elapsed)' "$WORK/logs/store-head-1-week2.txt" | sed 's/^/  /'
rm -rf "$WORK"/store-* "$HOME_DIR"

# ---- extra entries on a tree where every 10th file carries an ACL ----
echo
echo "== extra store entries when every 10th file carries an ACL (small corpus, seed $SEED) =="
ACL_DIR=$WORK/acl/home
$PY "$MAKE_CORPUS" --out "$ACL_DIR" --scale small --seed "$SEED" --week 1 >"$WORK/logs/corpus-acl.txt"
# Every 10th regular file in name order gets a named-user entry, as a teacher granting a TA
# read access would: setfacl -m u:54321:r-- FILE (the mode the owner sees does not change).
find "$ACL_DIR" -type f -print0 | sort -z | awk 'BEGIN {RS="\0"; ORS="\0"} NR % 10 == 0' >"$WORK/acl-files"
xargs -0 -a "$WORK/acl-files" setfacl -m u:54321:r--
files=$(find "$ACL_DIR" -type f | wc -l)
withacl=$(tr -cd '\0' <"$WORK/acl-files" | wc -c)
echo "tree: $files regular files, $withacl with an ACL (u:54321:r--)"
for build in base head; do
    run "$build" "$WORK/acl-$build" 1 "$ACL_DIR" >/dev/null
    entries=$(find "$WORK/acl-$build/data" -type f -regextype posix-extended -regex '.*/[0-9a-fA-F]{40}(\.[0-9]+)?' | wc -l)
    echo "$build: $entries store entries; $(grep -E '^(new content|per-owner copies|clones)' "$WORK/logs/acl-$build-week1.txt" | tr -s ' ' | paste -sd ';' -)"
    eval "ENTRIES_$build=$entries"
done
extra=$((ENTRIES_head - ENTRIES_base))
echo "extra entries (head - base): $extra, $(echo "scale=1; 100 * $extra / $ENTRIES_base" | bc)% more than base; files with an ACL: $withacl"
echo "du of the data folders (entries that differ only in xattrs are copies on this file system, clones on XFS/btrfs):"
du -sb "$WORK/acl-base/data" "$WORK/acl-head/data" | awk '{printf "  %s %.3f GB\n", $2, $1/1e9}' | sed "s|$WORK/||"
