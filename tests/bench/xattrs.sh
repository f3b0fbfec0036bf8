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

WORK=$(mktemp -d "$PARENT/actorbackup-xattrs.XXXXXX")
mkdir -p "$WORK/logs"
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"
cleanup() { [ "$KEEP" = 1 ] && log "kept $WORK" || rm -rf -- "$WORK"; }
trap cleanup EXIT

log "publishing base ($BASE_REV) and head (working tree at $(git -C "$REPO" rev-parse --short HEAD))"
publish base "$BASE_REV"
publish head ""

echo "== ActorBackup: the cost of reading every xattr and ACL =="
echo "date:   $(date -u '+%Y-%m-%d %H:%M:%S UTC'); host $(uname -srm), nproc=$(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "base:   commit $(git -C "$REPO" rev-parse --short "$BASE_REV") (reads the access ACL only)"
echo "head:   working tree at $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- src || echo ' (with uncommitted changes)')"
echo "corpus: scale=$SCALE seed=$SEED, in $WORK ($(df -PT "$WORK" | awk 'NR==2 {print $2}')); warm cache; $REPEAT runs per build and week, taking turns"

turns "$SCALE" "$SEED" "$REPEAT" "$WORK/corpus/home"
HOME_DIR=$WORK/corpus/home
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
