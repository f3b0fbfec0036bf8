#!/usr/bin/env bash
# scaleout.sh - does a cluster make a backup faster? Each node runs in its own cgroup with a
# CPU cap, so one 2-core machine can stand in for several small ones: the single process
# (capped the same), then a storage node, a coordinator and 1, 2 and 4 hasher nodes, week 1
# (full) and week 2 (incremental) of the corpus. Prints wall times, the speedup over the
# capped single process, CPU microseconds per file of each role, and the uncapped cluster
# against the uncapped single process.
#
#   tests/bench/scaleout.sh [--scale small|medium] [--cpu C] [--hashers "1 2 4"] [--source-visible on|off]
#                           [--store-visible on|off] [--walk-on-hashers on|off] [--drop-caches] [--dir DIR] [--keep] [--commit REV]
#
# --drop-caches: sync and drop the page, dentry and inode caches before each timed run, as a
# weekly cron run meets /home (every stat and read then goes to the disk).
#
# Needs root (cgroups). Uses cgroup v2 (cpu.max) where its cpu controller is enabled, else the
# v1 cpu and cpuacct hierarchies (cfs_quota_us, cpuacct.usage). Nodes talk on 127.0.0.1.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
MAKE_CORPUS=${MAKE_CORPUS:-$REPO/../shared/corpus/make-corpus.py}
PY=/usr/bin/python3
SCALE=medium
CPU=0.25
HASHERS="1 2 4"
VISIBLE=on
STORE_VISIBLE=on
WALK=on
DROP=0
KEEP=0
REV=
PARENT=${BENCH_DIR:-/var/tmp}

while [ $# -gt 0 ]; do
    case "$1" in
        --scale) SCALE=$2; shift 2 ;;
        --cpu) CPU=$2; shift 2 ;;
        --hashers) HASHERS=$2; shift 2 ;;
        --source-visible) VISIBLE=$2; shift 2 ;;
        --store-visible) STORE_VISIBLE=$2; shift 2 ;;
        --walk-on-hashers) WALK=$2; shift 2 ;;
        --drop-caches) DROP=1; shift ;;
        --dir) PARENT=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --commit) REV=$2; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "scaleout.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "scaleout.sh: needs root (cgroups)" >&2; exit 1; }

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
WORK=$(mktemp -d "$PARENT/actorbackup-scaleout.XXXXXX")
CG=actorbackup-scaleout-$$
PIDS=()

# ---- cgroups: cg_make NAME QUOTA ("max" = uncapped), cg_exec NAME CMD..., cg_usec NAME ----
if grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
    CGV=2
    grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || echo +cpu >/sys/fs/cgroup/cgroup.subtree_control
    mkdir -p "/sys/fs/cgroup/$CG"; echo +cpu >"/sys/fs/cgroup/$CG/cgroup.subtree_control"
else
    CGV=1
    [ -d /sys/fs/cgroup/cpu ] && [ -d /sys/fs/cgroup/cpuacct ] || { echo "scaleout.sh: no cgroup cpu controller found" >&2; exit 1; }
    mkdir -p "/sys/fs/cgroup/cpu/$CG" "/sys/fs/cgroup/cpuacct/$CG"
fi
cg_make() {
    local name=$1 quota=$2
    if [ $CGV = 2 ]; then
        mkdir -p "/sys/fs/cgroup/$CG/$name"
        if [ "$quota" = max ]; then echo "max 100000" >"/sys/fs/cgroup/$CG/$name/cpu.max"
        else echo "$(printf '%.0f' "$(echo "$quota * 100000" | bc -l)") 100000" >"/sys/fs/cgroup/$CG/$name/cpu.max"; fi
    else
        mkdir -p "/sys/fs/cgroup/cpu/$CG/$name" "/sys/fs/cgroup/cpuacct/$CG/$name"
        echo 100000 >"/sys/fs/cgroup/cpu/$CG/$name/cpu.cfs_period_us"
        if [ "$quota" = max ]; then echo -1 >"/sys/fs/cgroup/cpu/$CG/$name/cpu.cfs_quota_us"
        else printf '%.0f\n' "$(echo "$quota * 100000" | bc -l)" >"/sys/fs/cgroup/cpu/$CG/$name/cpu.cfs_quota_us"; fi
    fi
}
cg_exec() { # becomes CMD inside cgroup NAME (call it in a subshell or with &: it execs)
    local name=$1; shift
    if [ $CGV = 2 ]; then
        exec sh -c 'echo $$ >"$0"; exec "$@"' "/sys/fs/cgroup/$CG/$name/cgroup.procs" "$@"
    else
        exec sh -c 'echo $$ >"$0"; echo $$ >"$1"; shift; exec "$@"' "/sys/fs/cgroup/cpu/$CG/$name/cgroup.procs" "/sys/fs/cgroup/cpuacct/$CG/$name/cgroup.procs" "$@"
    fi
}
cg_usec() {
    if [ $CGV = 2 ]; then awk '$1 == "usage_usec" {print $2}' "/sys/fs/cgroup/$CG/$1/cpu.stat"
    else echo $(( $(cat "/sys/fs/cgroup/cpuacct/$CG/$1/cpuacct.usage") / 1000 )); fi
}
cg_remove_all() {
    local root
    for root in "/sys/fs/cgroup/$CG" "/sys/fs/cgroup/cpu/$CG" "/sys/fs/cgroup/cpuacct/$CG"; do
        [ -d "$root" ] || continue
        for d in "$root"/*/; do [ -d "$d" ] && rmdir "$d" 2>/dev/null || true; done
        rmdir "$root" 2>/dev/null || true
    done
}
stop_nodes() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do timeout 20 tail --pid="$p" -f /dev/null 2>/dev/null || kill -9 "$p" 2>/dev/null || true; done
    PIDS=()
    if pgrep -f "$WORK/bin/actorbackup node" >/dev/null; then
        echo "scaleout.sh: nodes still running after stop" >&2; pkill -9 -f "$WORK/bin/actorbackup node" || true
    fi
}
cleanup() {
    stop_nodes
    sleep 0.5
    cg_remove_all
    [ "$KEEP" = 1 ] && log "kept $WORK" || rm -rf -- "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/logs"

if [ -n "$REV" ]; then
    mkdir -p "$WORK/source"; git -C "$REPO" archive --format=tar "$REV" | tar -x -C "$WORK/source"
    SRC_ROOT=$WORK/source; BUILT="commit $(git -C "$REPO" rev-parse --short "$REV")"
else
    SRC_ROOT=$REPO; BUILT="working tree at $(git -C "$REPO" rev-parse --short HEAD)"
fi
log "publishing ($BUILT)"
TMPDIR=$WORK "$SRC_ROOT/deploy/publish.sh" "$WORK/bin" >"$WORK/logs/publish.log" 2>&1 || { tail -30 "$WORK/logs/publish.log" >&2; exit 1; }
AB=$WORK/bin/actorbackup

echo "== ActorBackup scale-out: nodes in CPU-capped cgroups on one machine =="
echo "date:   $(date -u '+%Y-%m-%d %H:%M:%S UTC'); host $(uname -srm), nproc=$(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "built:  $BUILT"
echo "caps:   $CPU CPU per node (cgroup v$CGV), single process capped the same; storage source-visible = $VISIBLE; workers store-visible = $STORE_VISIBLE; walk-on-hashers = $WALK; caches $([ "$DROP" = 1 ] && echo dropped before each run || echo warm)"
SRC=$WORK/corpus/home
log "generating week 1 ($SCALE)"
$PY "$MAKE_CORPUS" --out "$SRC" --scale "$SCALE" --seed 1 --week 1 >"$WORK/logs/corpus1.txt"
echo "corpus: $(sed 's/.*week=/week=/' "$WORK/logs/corpus1.txt")"

# A cluster's hocon files, on a port of its own.
write_configs() { # DIR PORT
    local dir=$1 port=$2 common
    mkdir -p "$dir"
    common="akka.remote.dot-netty.tcp { hostname = 127.0.0.1, public-hostname = 127.0.0.1 }
akka.cluster.seed-nodes = [\"akka.tcp://actorbackup@127.0.0.1:$port\"]
actorbackup.cluster.stats-interval = 0s"
    printf '%s\nakka.cluster.roles = [storage]\nakka.remote.dot-netty.tcp.port = %s\nactorbackup.cluster.storage.allowed-folders = ["%s"]\nactorbackup.cluster.storage.source-visible = %s\n' \
        "$common" "$port" "$WORK" "$VISIBLE" >"$dir/storage.hocon"
    # One hash worker per node: a node stands for a machine with one (capped) core.
    printf '%s\nakka.cluster.roles = [hasher]\nakka.remote.dot-netty.tcp.port = 0\nactorbackup.hashers = 1\nactorbackup.cluster.store-visible = %s\n' "$common" "$STORE_VISIBLE" >"$dir/hasher.hocon"
    printf '%s\nakka.remote.dot-netty.tcp.port = 0\nactorbackup.hashers = 1\nactorbackup.cluster.store-visible = %s\nactorbackup.cluster.walk-on-hashers = %s\n' "$common" "$STORE_VISIBLE" "$WALK" >"$dir/coordinator.hocon"
}

declare -A WALL CPUS FILES
drop_caches() { if [ "$DROP" = 1 ]; then sync; echo 3 >/proc/sys/vm/drop_caches; fi; }
# single NAME QUOTA WEEK
single() {
    local name=$1 quota=$2 week=$3 t0 t1 u0
    cg_make "$name" "$quota"
    drop_caches
    u0=$(cg_usec "$name"); t0=$(date +%s.%N)
    (cg_exec "$name" "$AB" --rootfolder="$SRC" --backupfolder="$WORK/$name/week$week" --datafolder="$WORK/$name/data" \
        --createdirs --dostats) >"$WORK/logs/$name-week$week.txt" 2>&1 || { echo "single run failed:" >&2; tail "$WORK/logs/$name-week$week.txt" >&2; exit 1; }
    t1=$(date +%s.%N)
    WALL[$name,$week]=$(echo "$t1 - $t0" | bc)
    CPUS[$name,$week,all]=$(( $(cg_usec "$name") - u0 ))
}
# cluster NAME HASHERS QUOTA WEEK: storage, N hashers, then the coordinator's run
cluster() {
    local name=$1 n=$2 quota=$3 week=$4 port t0 t1 i role
    port=$((20000 + RANDOM % 20000))
    write_configs "$WORK/$name/conf" "$port"
    for role in storage coord $(seq -f 'hasher%g' 1 "$n"); do cg_make "$name-$role" "$quota"; done
    cg_exec "$name-storage" "$AB" node --config "$WORK/$name/conf/storage.hocon" >"$WORK/logs/$name-storage-week$week.log" 2>&1 & PIDS+=($!)
    sleep 1
    for i in $(seq 1 "$n"); do
        cg_exec "$name-hasher$i" "$AB" node --config "$WORK/$name/conf/hasher.hocon" >"$WORK/logs/$name-hasher$i-week$week.log" 2>&1 & PIDS+=($!)
    done
    for _ in $(seq 300); do [ "$(grep -c member-up "$WORK/logs/$name-storage-week$week.log" || true)" -ge $((n + 1)) ] && break; sleep 0.2; done
    declare -A u0
    drop_caches
    for role in storage coord $(seq -f 'hasher%g' 1 "$n"); do u0[$role]=$(cg_usec "$name-$role"); done
    t0=$(date +%s.%N)
    (cg_exec "$name-coord" "$AB" backup --cluster "$WORK/$name/conf/coordinator.hocon" --rootfolder="$SRC" \
        --backupfolder="$WORK/$name/week$week" --datafolder="$WORK/$name/data" --createdirs --dostats) \
        >"$WORK/logs/$name-week$week.txt" 2>&1 || { echo "cluster run failed:" >&2; tail "$WORK/logs/$name-week$week.txt" >&2; exit 1; }
    t1=$(date +%s.%N)
    WALL[$name,$week]=$(echo "$t1 - $t0" | bc)
    CPUS[$name,$week,storage]=$(( $(cg_usec "$name-storage") - u0[storage] ))
    CPUS[$name,$week,coord]=$(( $(cg_usec "$name-coord") - u0[coord] ))
    local h=0
    for i in $(seq 1 "$n"); do h=$(( h + $(cg_usec "$name-hasher$i") - u0[hasher$i] )); done
    CPUS[$name,$week,hashers]=$h
    stop_nodes
}

# Fixed costs: a run of an empty tree (process start, JIT of what precompiled code lacks,
# joining and leaving the cluster). Per-file figures below are also given net of these.
EMPTY=$WORK/empty
mkdir -p "$EMPTY"
log "runs of an empty tree (fixed costs)"
SRC_SAVED=$SRC; SRC=$EMPTY
single fixed-single max 1
cluster fixed-cluster 1 max 1
SRC=$SRC_SAVED
FIXED_SINGLE=${CPUS[fixed-single,1,all]}
FIXED_COORD=${CPUS[fixed-cluster,1,coord]}
FIXED_STORAGE=${CPUS[fixed-cluster,1,storage]}

CONFIGS=(single)
for n in $HASHERS; do CONFIGS+=("cluster$n"); done
CONFIGS+=(single-uncapped cluster-uncapped)
for week in 1 2; do
    if [ "$week" = 2 ]; then
        log "moving the corpus to week 2 in place"
        $PY "$MAKE_CORPUS" --out "$SRC" --scale "$SCALE" --seed 1 --week 2 --inplace >"$WORK/logs/corpus2.txt"
    fi
    FILES[$week]=$(find "$SRC" -type f | wc -l)
    for c in "${CONFIGS[@]}"; do
        log "week $week: $c"
        case "$c" in
            single) single single "$CPU" "$week" ;;
            single-uncapped) single single-uncapped max "$week" ;;
            cluster-uncapped) cluster cluster-uncapped 2 max "$week" ;;
            cluster*) cluster "$c" "${c#cluster}" "$CPU" "$week" ;;
        esac
    done
done

echo
printf '%-17s %-5s %8s %9s %12s %12s %12s\n' run week wall speedup "coord us/f" "storage us/f" "hashers us/f"
for week in 1 2; do
    f=${FILES[$week]}
    for c in "${CONFIGS[@]}"; do
        w=${WALL[$c,$week]}
        case "$c" in
            single*) printf '%-17s %-5s %7.1fs %9s %12s %12s %12s   (all: %.0f us/file)\n' "$c" "$week" "$w" "" "" "" "" "$(echo "${CPUS[$c,$week,all]} / $f" | bc -l)" ;;
            *)
                base=single; [ "$c" = cluster-uncapped ] && base=single-uncapped
                printf '%-17s %-5s %7.1fs %8.2fx %12.0f %12.0f %12.0f\n' "$c" "$week" "$w" "$(echo "${WALL[$base,$week]} / $w" | bc -l)" \
                    "$(echo "${CPUS[$c,$week,coord]} / $f" | bc -l)" "$(echo "${CPUS[$c,$week,storage]} / $f" | bc -l)" "$(echo "${CPUS[$c,$week,hashers]} / $f" | bc -l)" ;;
        esac
    done
done
echo
echo "fixed costs (a run of an empty tree): single process $(( FIXED_SINGLE / 1000 )) ms CPU, ${WALL[fixed-single,1]} s wall;" \
    "cluster coordinator $(( FIXED_COORD / 1000 )) ms CPU, storage node $(( FIXED_STORAGE / 1000 )) ms CPU, ${WALL[fixed-cluster,1]} s wall"
echo "net of them, CPU us per file (marginal cost):"
printf '%-17s %-5s %12s %12s %12s\n' run week "single" "coord" "storage"
for week in 1 2; do
    f=${FILES[$week]}
    for c in "${CONFIGS[@]}"; do
        case "$c" in
            single*) printf '%-17s %-5s %12.0f\n' "$c" "$week" "$(echo "(${CPUS[$c,$week,all]} - $FIXED_SINGLE) / $f" | bc -l)" ;;
            *) printf '%-17s %-5s %12s %12.0f %12.0f\n' "$c" "$week" "" "$(echo "(${CPUS[$c,$week,coord]} - $FIXED_COORD) / $f" | bc -l)" "$(echo "(${CPUS[$c,$week,storage]} - $FIXED_STORAGE) / $f" | bc -l)" ;;
        esac
    done
done
echo
echo "files: week 1 ${FILES[1]}, week 2 ${FILES[2]}; speedup = capped single process wall / cluster wall (uncapped: uncapped single / uncapped cluster of 2 hashers)"
for week in 1 2; do
    for n in $HASHERS; do
        goal=$( [ "$week" = 1 ] && echo "0.7 * $n" | bc -l || echo "0.5 * $n" | bc -l)
        printf 'week %s, %s hasher node(s): speedup %.2fx (goal >= %.1fx)\n' "$week" "$n" "$(echo "${WALL[single,$week]} / ${WALL[cluster$n,$week]}" | bc -l)" "$goal"
    done
    printf 'week %s, uncapped cluster / single process (time): %.2f (goal <= 1.3)\n' "$week" "$(echo "${WALL[cluster-uncapped,$week]} / ${WALL[single-uncapped,$week]}" | bc -l)"
done
echo "files hashed by node (week 1, largest cluster):"
last=cluster${HASHERS##* }
grep -h "files hashed by node\|content streamed\|written into the store" "$WORK/logs/$last-week1.txt" | sed 's/^/  /'
# The snapshots must hold the same: paths, types, modes, owners, sizes, hashes.
for c in "${CONFIGS[@]}"; do
    diff <(grep -v '^#' "$WORK/single/data/.actorbackup/snapshots/week2.manifest" | cut -f1,2,3,4,5,6,12 | sort) \
         <(grep -v '^#' "$WORK/$c/data/.actorbackup/snapshots/week2.manifest" | cut -f1,2,3,4,5,6,12 | sort) >/dev/null \
        || { echo "week 2 manifest of $c differs from the single process's"; exit 1; }
done
echo "week 2 manifests: identical in every run (paths, types, modes, owners, sizes, hashes)"
