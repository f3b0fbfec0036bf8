#!/usr/bin/env bash
# compare.sh - two builds of ActorBackup side by side: wall time of week 1 (full) and week 2
# (incremental) of the corpus, runs taking turns in one session, each ratio and the median.
# For a change meant to leave speed alone (a refactoring) or to move it.
#
#   tests/bench/compare.sh --base REV [--head REV] [--scale small|medium] [--seed N] [--repeat N] [--dir DIR] [--keep]
#
# Needs root (the corpus has many owners). Defaults: head = the working tree, medium corpus,
# 3 runs per build and week, work folder under $BENCH_DIR or /var/tmp.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
MAKE_CORPUS=${MAKE_CORPUS:-$REPO/../shared/corpus/make-corpus.py}
PY=/usr/bin/python3
SCALE=medium
SEED=1
BASE_REV=
HEAD_REV=
REPEAT=3
KEEP=0
PARENT=${BENCH_DIR:-/var/tmp}

while [ $# -gt 0 ]; do
    case "$1" in
        --base) BASE_REV=$2; shift 2 ;;
        --head) HEAD_REV=$2; shift 2 ;;
        --scale) SCALE=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --repeat) REPEAT=$2; shift 2 ;;
        --dir) PARENT=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "compare.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
[ -n "$BASE_REV" ] || { echo "compare.sh: --base REV is required" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "compare.sh: needs root (the corpus has many owners)" >&2; exit 1; }

WORK=$(mktemp -d "$PARENT/actorbackup-compare.XXXXXX")
mkdir -p "$WORK/logs"
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"
cleanup() { [ "$KEEP" = 1 ] && log "kept $WORK" || rm -rf -- "$WORK"; }
trap cleanup EXIT

head_name=${HEAD_REV:-working tree at $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- src || echo ' (with uncommitted changes)')}
log "publishing base ($BASE_REV) and head ($head_name)"
publish base "$BASE_REV"
publish head "$HEAD_REV"

echo "== ActorBackup: two builds, taking turns =="
echo "date:   $(date -u '+%Y-%m-%d %H:%M:%S UTC'); host $(uname -srm), nproc=$(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "base:   commit $(git -C "$REPO" rev-parse --short "$BASE_REV")"
echo "head:   ${HEAD_REV:+commit }$(if [ -n "$HEAD_REV" ]; then git -C "$REPO" rev-parse --short "$HEAD_REV"; else echo "$head_name"; fi)"
echo "corpus: scale=$SCALE seed=$SEED, in $WORK ($(df -PT "$WORK" | awk 'NR==2 {print $2}')); warm cache; $REPEAT runs per build and week, taking turns"
turns "$SCALE" "$SEED" "$REPEAT" "$WORK/corpus/home"
echo "head's summary, week 2 run 1:"
grep -E '^(unchanged|bytes read|new content|elapsed)' "$WORK/logs/store-head-1-week2.txt" | sed 's/^/  /'
