#!/usr/bin/env bash
# million.sh - ActorBackup's memory and speed on trees of many small files (issue 4's target:
# peak RSS under 250 MB for a 1,000,000-file tree, growing by less than 20% from 100k to 1M
# files; files/s reported). Per size: week 1 full, 1% churn, week 2 incremental.
#
#   tests/bench/million.sh [--sizes "100000 1000000"] [--seed N] [--dir DIR] [--keep] [--no-peers] [--commit REV]
#                          [--max-size B] [--empty-fraction E] [--image] [--rss-target MB]
#
# Issue 27's ten million files: --sizes "100000 10000000" --max-size 48 --empty-fraction 0.3
# --image --no-peers --rss-target 400 (about 45 minutes here).
#
# See tests/bench/README.md for what it measures and prints.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
MAKE_MANY=$SCRIPT_DIR/make-many.py
PY=/usr/bin/python3            # `python3` on PATH may be a slow shim

SIZES="100000 1000000"
SEED=1
KEEP=0
PEERS=1
REV=
GEN_JOBS=2
CHURN=0.01
BASE=${BENCH_DIR:-/tmp}
RSS_TARGET_MB=250              # MB = 10^6 bytes
MAX_SIZE=4096
EMPTY=0
IMAGE=0
GROWTH_TARGET=20               # percent, smallest -> largest size

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    cat <<EOF
options:
  --sizes "N1 N2 ..."    tree sizes in files (default "100000 1000000"); growth is smallest -> largest
  --seed N               generator seed (default 1; same seed and size = same tree, byte for byte)
  --dir DIR              parent of the work folder (default \$BENCH_DIR or /tmp)
  --keep                 keep the work folder (trees, backups, logs); otherwise each size's
                         folder is removed as soon as its runs are done
  --no-peers             skip rsync and cp -al on the largest size
  --commit REV           build ActorBackup from a clean \`git archive REV\` copy in the work folder
                         instead of the working tree (use when others are editing src/)
  --gen-jobs J           processes for the tree generator (default 2; untimed)
  --churn F              fraction of files changed before week 2 (default 0.01)
  --max-size B           largest generated file in bytes (default 4096; make-many.py --max-size)
  --empty-fraction E     fraction of generated files that are empty (default 0)
  --image                work in a fresh ext4 loop image (inline_data, an inode per 4 KiB) mounted
                         inside the work folder: ten million tiny files need more inodes than
                         the host file system has, and removal is an unmount
  --rss-target MB        peak RSS target at the largest size (default 250)
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --sizes) SIZES=$2; shift 2 ;;
        --sizes=*) SIZES=${1#*=}; shift ;;
        --seed) SEED=$2; shift 2 ;;
        --seed=*) SEED=${1#*=}; shift ;;
        --dir) BASE=$2; shift 2 ;;
        --dir=*) BASE=${1#*=}; shift ;;
        --keep) KEEP=1; shift ;;
        --no-peers) PEERS=0; shift ;;
        --commit) REV=$2; shift 2 ;;
        --commit=*) REV=${1#*=}; shift ;;
        --gen-jobs) GEN_JOBS=$2; shift 2 ;;
        --gen-jobs=*) GEN_JOBS=${1#*=}; shift ;;
        --churn) CHURN=$2; shift 2 ;;
        --churn=*) CHURN=${1#*=}; shift ;;
        --max-size) MAX_SIZE=$2; shift 2 ;;
        --max-size=*) MAX_SIZE=${1#*=}; shift ;;
        --empty-fraction) EMPTY=$2; shift 2 ;;
        --empty-fraction=*) EMPTY=${1#*=}; shift ;;
        --image) IMAGE=1; shift ;;
        --rss-target) RSS_TARGET_MB=$2; shift 2 ;;
        --rss-target=*) RSS_TARGET_MB=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "million.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
for s in $SIZES; do
    case "$s" in ''|*[!0-9]*|0) echo "million.sh: --sizes must be positive integers, got '$s'" >&2; exit 2 ;; esac
done
# shellcheck disable=SC2086
SIZES=$(printf '%s\n' $SIZES | sort -n | uniq | tr '\n' ' ')
SIZES=${SIZES% }
[ -n "$SIZES" ] || { echo "million.sh: --sizes is empty" >&2; exit 2; }
SMALLEST=${SIZES%% *}
LARGEST=${SIZES##* }

log() { printf '[million %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
T_START=$(date +%s)

# ------------------------------------------------------------------ tools
need_pkgs=()
command -v rsync >/dev/null 2>&1 || need_pkgs+=(rsync)
[ -x /usr/bin/time ] || need_pkgs+=(time)
[ "$IMAGE" = 0 ] || command -v mkfs.ext4 >/dev/null 2>&1 || need_pkgs+=(e2fsprogs)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing missing packages: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${need_pkgs[@]}" >&2
fi
command -v dotnet >/dev/null 2>&1 || { echo "million.sh: dotnet SDK not found" >&2; exit 1; }
[ -x "$PY" ] || { echo "million.sh: $PY not found" >&2; exit 1; }
[ -f "$MAKE_MANY" ] || { echo "million.sh: generator not found: $MAKE_MANY" >&2; exit 1; }

# ------------------------------------------------------------------ work folder
mkdir -p "$BASE"
# Room for the largest size: each small file takes one 4 KiB block. Source tree, store
# (~0.75 entries per file), rsync's full copy and a few % more: about 3.2 inodes and
# 13 KiB per file with peers, 2 inodes and 9 KiB without.
if [ "$PEERS" = 1 ]; then need_inodes=$((LARGEST * 32 / 10)); need_kb=$((LARGEST * 13));
else need_inodes=$((LARGEST * 2)); need_kb=$((LARGEST * 9)); fi
if [ "$IMAGE" = 1 ]; then
    # Tiny files live in their inodes (inline_data): folders and large files take the blocks.
    need_kb=$((need_kb * MAX_SIZE / 4096 / 2 + 4194304)); need_inodes=$((need_inodes * 5 / 4))
fi
read -r free_inodes < <(df -Pi "$BASE" | awk 'NR==2 {print $4}')
read -r free_kb < <(df -Pk "$BASE" | awk 'NR==2 {print $4}')
[ "$IMAGE" = 0 ] || free_inodes=$need_inodes     # the image brings its own
if [ "$free_inodes" -lt "$need_inodes" ] || [ "$free_kb" -lt "$need_kb" ]; then
    echo "million.sh: $BASE has $free_inodes free inodes and $((free_kb / 1048576)) GiB free;" \
         "size $LARGEST needs about $need_inodes inodes and $((need_kb / 1048576 + 1)) GiB" >&2
    exit 1
fi
WORK=$(mktemp -d "$BASE/actorbackup-million.XXXXXX")
declare -A REMOVED
TREES=$WORK
if [ "$IMAGE" = 1 ]; then
    TREES=$WORK/fs
    mkdir -p "$TREES"
    # An inode per 4 KiB of image: the image is sparse, so only what is used takes host space.
    truncate -s "$((need_kb + need_inodes * 4))K" "$WORK/fs.img"
    mkfs.ext4 -q -F -O inline_data -I 256 -N "$need_inodes" -E lazy_itable_init=1 "$WORK/fs.img"
    mount -o loop,noatime "$WORK/fs.img" "$TREES"
fi
cleanup() {
    if [ "$IMAGE" = 1 ] && mountpoint -q "$TREES"; then
        [ "$KEEP" = 1 ] || umount "$TREES" || umount -l "$TREES"
    fi
    if [ "$KEEP" = 1 ]; then
        log "kept work folder $WORK"
    else
        log "removing work folder $WORK"
        local t=$SECONDS
        rm -rf -- "$WORK"
        log "removed in $((SECONDS - t)) s"
    fi
}
trap cleanup EXIT
LOGS=$WORK/logs
mkdir -p "$LOGS"

# ------------------------------------------------------------------ header
COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null | wc -l)
if [ -n "$REV" ]; then
    SRC_ROOT=$WORK/source
    mkdir -p "$SRC_ROOT"
    BUILT=$(git -C "$REPO" rev-parse --short "$REV^{commit}")
    git -C "$REPO" archive --format=tar "$BUILT" | tar -x -C "$SRC_ROOT"
    BUILT_FROM="commit $BUILT (clean git archive; HEAD is $COMMIT)"
else
    SRC_ROOT=$REPO
    BUILT_FROM="working tree at HEAD $COMMIT ($( [ "$DIRTY" -gt 0 ] && echo "$DIRTY modified tracked files" || echo clean))"
fi
echo "== ActorBackup many-files benchmark (memory and scale) =="
echo "date:      $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "host:      $(uname -srm), nproc=$(nproc), memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit:    $COMMIT (git -C $REPO rev-parse --short HEAD)"
echo "built from: $BUILT_FROM"
echo "work dir:  $WORK ($(df -PT "$WORK" | awk 'NR==2 {print $2 " on " $1}'))"
[ "$IMAGE" = 0 ] || echo "trees in:  $TREES (ext4 loop image $WORK/fs.img: inline_data, $(df -Pi "$TREES" | awk 'NR==2 {print $2}') inodes, $(df -Ph "$TREES" | awk 'NR==2 {print $2}'))"
echo "tools:     dotnet $(dotnet --version), $(rsync --version | head -1 | awk '{print $1, $2, $3}'), $(cp --version | head -1), $($PY --version 2>&1)"
echo "trees:     sizes $SIZES, seed $SEED, files of 0..$MAX_SIZE bytes, $EMPTY of them empty, churn $CHURN before week 2 (tests/bench/make-many.py)"
echo "cache:     page cache is NOT dropped (shared VM): an untimed cat of all source files and a"
echo "           find over the trees a run reads precede each run, after a sync."
echo

# ------------------------------------------------------------------ build
log "publishing ActorBackup with deploy/publish.sh (as production installs it)"
# Built in a temporary folder inside $WORK, so it shares no obj/ with other builds of the tree.
if ! TMPDIR=$WORK "$SRC_ROOT/deploy/publish.sh" "$WORK/bin" >"$LOGS/publish.log" 2>&1; then
    echo "million.sh: deploy/publish.sh failed:" >&2
    tail -40 "$LOGS/publish.log" >&2
    exit 1
fi
AB=$WORK/bin/actorbackup
[ -x "$AB" ] || { echo "million.sh: $AB not produced by publish" >&2; exit 1; }

# ------------------------------------------------------------------ measuring
warm() {   # untimed: read all file bytes of the given trees, stat everything
    local d
    sync
    for d in "$@"; do
        find "$d" -type f -print0 | xargs -0 -r cat >/dev/null
        find "$d" >/dev/null
    done
}
warm_meta() { local d; sync; for d in "$@"; do [ ! -d "$d" ] || find "$d" -printf '%s %i\n' >/dev/null; done; }
count_files() { find "$1" -type f | wc -l; }
sum_bytes() { find "$1" -type f -printf '%s\n' | awk '{s+=$1} END{printf "%.0f\n", s}'; }

ROWS=()
PROBLEMS=()
declare -A SEC RSS RC CPU LOAD
# measure KEY SIZE TOOL PHASE FILES -- command...   (stdout/stderr -> $LOGS/KEY.out/.err)
measure() {
    local key=$1 size=$2 tool=$3 phase=$4 files=$5; shift 6
    LOAD[$key]=$(cut -d' ' -f1 /proc/loadavg)
    log "running $tool $phase, $size files (load average ${LOAD[$key]})"
    local rc=0
    /usr/bin/time -f '%e %M %U %S' -o "$LOGS/$key.time" "$@" >"$LOGS/$key.out" 2>"$LOGS/$key.err" || rc=$?
    local sec rss usr sys
    read -r sec rss usr sys < <(tail -1 "$LOGS/$key.time")
    SEC[$key]=$sec; RSS[$key]=$rss; RC[$key]=$rc
    CPU[$key]=$(awk -v u="$usr" -v s="$sys" 'BEGIN{printf "%.1f", u+s}')
    ROWS+=("$key|$size|$tool|$phase|$files")
    if [ "$rc" -ne 0 ]; then log "$tool $phase ($size) exited with $rc"; fi
}
rc_check() {   # exit code and stderr of any run
    local key=$1
    if [ "${RC[$key]}" -ne 0 ] || [ -s "$LOGS/$key.err" ]; then
        PROBLEMS+=("$key: exit code ${RC[$key]}, $(wc -l <"$LOGS/$key.err") stderr lines (first 20 below)")
        while IFS= read -r l; do PROBLEMS+=("    $l"); done < <(head -20 "$LOGS/$key.err")
    fi
}
snap_check() {   # snapshot vs source: number of regular files and their total bytes
    local key=$1 src=$2 snap=$3
    if [ ! -d "$snap" ]; then
        PROBLEMS+=("$key: snapshot folder $snap does not exist after the run"); return
    fi
    local a b
    a=$(count_files "$src"); b=$(count_files "$snap")
    [ "$a" = "$b" ] || PROBLEMS+=("$key: source has $a files, snapshot $snap has $b")
    a=$(sum_bytes "$src"); b=$(sum_bytes "$snap")
    [ "$a" = "$b" ] || PROBLEMS+=("$key: source files total $a bytes, snapshot files $b bytes")
}

GEN=()
SHAPE=(--max-size "$MAX_SIZE" --empty-fraction "$EMPTY")
for S in $SIZES; do
    WS=$TREES/n$S
    SRC=$WS/src
    B=$WS/ab
    mkdir -p "$WS" "$B"
    log "generating $S files (seed $SEED, $GEN_JOBS jobs)"
    GEN+=("$S: $($PY "$MAKE_MANY" --out "$SRC" --files "$S" --seed "$SEED" --jobs "$GEN_JOBS" "${SHAPE[@]}")")
    F=$(count_files "$SRC")
    [ "$F" = "$S" ] || PROBLEMS+=("generator: asked for $S files, the tree has $F")

    # week 1, full
    warm "$SRC"
    measure "$S.ab1" "$S" ActorBackup "week 1 full" "$F" -- \
        "$AB" --rootfolder="$SRC" --backupfolder="$B/week1" --datafolder="$B/data" --createdirs --dostats
    rc_check "$S.ab1"; snap_check "$S.ab1" "$SRC" "$B/week1"

    if [ "$PEERS" = 1 ] && [ "$S" = "$LARGEST" ]; then
        warm "$SRC"
        mkdir -p "$WS/rs"
        measure "$S.rs1" "$S" rsync "week 1 full" "$F" -- rsync -a "$SRC/" "$WS/rs/week1/"
        rc_check "$S.rs1"
        warm_meta "$B/week1"
        measure "$S.cp" "$S" "cp -al" "links only" "$F" -- cp -al "$B/week1" "$WS/cpcopy"
        rc_check "$S.cp"
    fi

    # 1% churn in place, then week 2, incremental (same tree, same data folder)
    log "churn $CHURN of $S files"
    GEN+=("$S: $($PY "$MAKE_MANY" --out "$SRC" --files "$S" --seed "$SEED" --jobs "$GEN_JOBS" "${SHAPE[@]}" --churn "$CHURN" --churn-seed 2)")
    warm "$SRC"; warm_meta "$B/week1"
    measure "$S.ab2" "$S" ActorBackup "week 2 incr" "$F" -- \
        "$AB" --rootfolder="$SRC" --backupfolder="$B/week2" --datafolder="$B/data" --createdirs --dostats
    rc_check "$S.ab2"; snap_check "$S.ab2" "$SRC" "$B/week2"

    if [ "$PEERS" = 1 ] && [ "$S" = "$LARGEST" ]; then
        warm "$SRC"; warm_meta "$WS/rs/week1"
        measure "$S.rs2" "$S" rsync "week 2 incr" "$F" -- rsync -a --link-dest="$WS/rs/week1" "$SRC/" "$WS/rs/week2/"
        rc_check "$S.rs2"
    fi

    if [ "$KEEP" = 0 ] && [ "$IMAGE" = 1 ] && [ "$S" = "$LARGEST" ]; then
        REMOVED[$S]="left to the unmount"
    elif [ "$KEEP" = 0 ]; then
        log "removing $WS"
        t=$SECONDS
        rm -rf -- "$WS"
        REMOVED[$S]=$((SECONDS - t))
        log "removed in ${REMOVED[$S]} s"
    fi
done

# ------------------------------------------------------------------ report
echo "== generator (untimed for the benchmark) =="
printf '  %s\n' "${GEN[@]}"
echo
echo "== results (warm cache; files/s = files of the tree / wall seconds; MB = 10^6 bytes) =="
fmt='%9s %-12s %-12s %9s %10s %12s %3s %7s %5s\n'
printf "$fmt" size tool phase seconds files/s "peak RSS MB" rc "cpu s" load
printf "$fmt" --------- ------------ ------------ --------- ---------- ------------ --- ------- -----
rss_mb() { awk -v k="$1" 'BEGIN{printf "%.1f", k*1024/1e6}'; }
for row in "${ROWS[@]}"; do
    IFS='|' read -r key size tool phase files <<<"$row"
    fps=$(awk -v s="${SEC[$key]}" -v f="$files" 'BEGIN{ if (s < 0.005) s = 0.005; printf "%.0f", f/s }')
    printf "$fmt" "$size" "$tool" "$phase" "${SEC[$key]}" "$fps" "$(rss_mb "${RSS[$key]}")" "${RC[$key]}" "${CPU[$key]}" "${LOAD[$key]}"
done
echo "peak RSS = %M of GNU time (KiB) x 1024 / 10^6; cpu s = user + system seconds (2 cores);"
echo "load = 1-minute load average just before the run (other work on this shared machine)."
if [ "$KEEP" = 0 ]; then
    for S in $SIZES; do
        what="tree, store, 2 snapshots"
        [ "$PEERS" = 1 ] && [ "$S" = "$LARGEST" ] && what="$what, rsync's 2 snapshots, cp -al copy"
        r=${REMOVED[$S]:-?}; case $r in *[!0-9]*) ;; *) r="$r s" ;; esac
        echo "removal of the $S-file work folder ($what): $r"
    done
fi
echo

human() { awk -v n="$1" 'BEGIN{ if (n >= 1e6 && n % 1e6 == 0) printf "%dM", n/1e6; else if (n >= 1e3 && n % 1e3 == 0) printf "%dk", n/1e3; else printf "%d", n }'; }
growth() {   # percent growth of peak RSS from the smallest to the largest size for a phase
    local a=${RSS[$SMALLEST.$1]:-} b=${RSS[$LARGEST.$1]:-}
    if [ -z "$a" ] || [ -z "$b" ] || [ "$a" -le 0 ]; then echo n/a; return; fi
    awk -v a="$a" -v b="$b" 'BEGIN{printf "%+.1f%%", (b-a)*100/a}'
}
echo "== target =="
G1=$(growth ab1); G2=$(growth ab2)
if [ "$SMALLEST" = "$LARGEST" ]; then
    echo "RSS growth: n/a (one size only)"
else
    echo "RSS growth $(human "$SMALLEST") -> $(human "$LARGEST"): $G1 (week 1), $G2 (week 2)"
fi
echo "peak RSS at $(human "$LARGEST"): $(rss_mb "${RSS[$LARGEST.ab1]}") MB (week 1), $(rss_mb "${RSS[$LARGEST.ab2]}") MB (week 2)"
MET=1
for ph in ab1 ab2; do
    awk -v k="${RSS[$LARGEST.$ph]}" -v t="$RSS_TARGET_MB" 'BEGIN{exit !(k*1024/1e6 < t)}' || MET=0
    if [ "$SMALLEST" != "$LARGEST" ] && [ "$LARGEST" -lt 10000000 ]; then
        awk -v a="${RSS[$SMALLEST.$ph]}" -v b="${RSS[$LARGEST.$ph]}" -v t="$GROWTH_TARGET" \
            'BEGIN{exit !((b-a)*100/a < t)}' || MET=0
    fi
    [ "${RC[$SMALLEST.$ph]}" -eq 0 ] && [ "${RC[$LARGEST.$ph]}" -eq 0 ] || MET=0
done
note=
if [ "$LARGEST" -ge 10000000 ]; then
    note=" (issue 27: a ten-million-file tree of empty and tiny files under $RSS_TARGET_MB MB)"
elif [ "$SMALLEST" != 100000 ] || [ "$LARGEST" != 1000000 ]; then
    note=" (indicative only: the target is defined for 100000 -> 1000000 files, this run used $SMALLEST -> $LARGEST)"
fi
what="< $RSS_TARGET_MB MB and < $GROWTH_TARGET% growth"
[ "$LARGEST" -lt 10000000 ] || what="< $RSS_TARGET_MB MB"
echo "target: $what: $([ "$MET" = 1 ] && echo MET || echo "NOT MET")$note"
echo

echo "== ActorBackup --dostats =="
for S in $SIZES; do
    for ph in ab1 ab2; do
        echo "-- $S $ph (exit ${RC[$S.$ph]}) --"
        grep -v '^progress:' "$LOGS/$S.$ph.out" | sed 's/^/  /' || true
    done
done
echo
echo "== checks =="
if [ ${#PROBLEMS[@]} -eq 0 ]; then
    echo "no problems: every run exited 0 with empty stderr; every ActorBackup snapshot has the"
    echo "source's number of regular files and total file bytes."
else
    for p in "${PROBLEMS[@]}"; do
        case "$p" in "    "*) echo "$p" ;; *) echo "PROBLEM: $p" ;; esac
    done
fi
echo
echo "million.sh total wall time: $(( $(date +%s) - T_START )) s (including publish, generation and per-size removal)"
[ ${#PROBLEMS[@]} -eq 0 ]
