#!/usr/bin/env bash
# bench.sh - ActorBackup against rsync, cp -al and a sha1sum floor on the synthetic
# "college home folders" corpus (week 1 full backup, week 2 incremental).
#
#   tests/bench/bench.sh [--scale small|medium] [--seed N] [--dir DIR] [--keep] [--no-extra] [--repeat N] [--commit REV]
#
# See tests/bench/README.md for what it measures and prints.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
MAKE_CORPUS=${MAKE_CORPUS:-$REPO/../shared/corpus/make-corpus.py}
PY=/usr/bin/python3            # `python3` on PATH may be a slow shim

SCALE=medium
SEED=1
KEEP=0
EXTRA=1
REPEAT=3
REV=
BASE=${BENCH_DIR:-/tmp}

usage() {
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    cat <<EOF
options:
  --scale small|medium   corpus size (default medium: 100k files / 2.1 GB; small: 18k / 0.3 GB)
  --seed N               corpus seed (default 1)
  --dir DIR              parent of the work folder (default \$BENCH_DIR or /tmp); corpus and
                         backups live in one mktemp -d folder under it, so on one filesystem
  --keep                 keep the work folder (corpus, backups, logs) at the end
  --no-extra             skip the extra ActorBackup runs with fsync = off
  --repeat N             run ActorBackup week 2 and cp -al N times each, taking turns, and
                         report each ratio and the median (default 3; the machine is shared,
                         one pair of runs can be off by 50%)
  --commit REV           build ActorBackup from a clean \`git archive REV\` copy in the work folder
                         instead of the working tree (use when others are editing src/)
environment: MAKE_CORPUS=path/to/make-corpus.py (default $REPO/../shared/corpus/make-corpus.py)
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --scale) SCALE=$2; shift 2 ;;
        --scale=*) SCALE=${1#*=}; shift ;;
        --seed) SEED=$2; shift 2 ;;
        --seed=*) SEED=${1#*=}; shift ;;
        --dir) BASE=$2; shift 2 ;;
        --dir=*) BASE=${1#*=}; shift ;;
        --keep) KEEP=1; shift ;;
        --no-extra) EXTRA=0; shift ;;
        --repeat) REPEAT=$2; shift 2 ;;
        --repeat=*) REPEAT=${1#*=}; shift ;;
        --commit) REV=$2; shift 2 ;;
        --commit=*) REV=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
case "$SCALE" in small|medium|large) ;; *) echo "bench.sh: --scale must be small or medium (or large)" >&2; exit 2 ;; esac
case "$REPEAT" in ''|*[!0-9]*|0) echo "bench.sh: --repeat must be a number of at least 1" >&2; exit 2 ;; esac

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
T_START=$(date +%s)

# ------------------------------------------------------------------ tools
need_pkgs=()
command -v rsync >/dev/null 2>&1 || need_pkgs+=(rsync)
[ -x /usr/bin/time ] || need_pkgs+=(time)
command -v sha1sum >/dev/null 2>&1 || need_pkgs+=(coreutils)
command -v xargs >/dev/null 2>&1 || need_pkgs+=(findutils)
command -v awk >/dev/null 2>&1 || need_pkgs+=(gawk)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing missing packages: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${need_pkgs[@]}" >&2
fi
command -v dotnet >/dev/null 2>&1 || { echo "bench.sh: dotnet SDK not found" >&2; exit 1; }
[ -x "$PY" ] || { echo "bench.sh: $PY not found" >&2; exit 1; }
[ -f "$MAKE_CORPUS" ] || { echo "bench.sh: corpus generator not found: $MAKE_CORPUS" >&2; exit 1; }

# ------------------------------------------------------------------ work folder
mkdir -p "$BASE"
WORK=$(mktemp -d "$BASE/actorbackup-bench.XXXXXX")
cleanup() {
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
# One source tree, as on a real server: week 1 is generated, backed up by every tool, then
# week 2's churn is applied in place (make-corpus.py --inplace), so unchanged files keep
# their inodes and ctimes, as /home's do from one week to the next.
W1=$WORK/corpus/home
W2=$W1
B=$WORK/backups
LOGS=$WORK/logs
mkdir -p "$WORK/corpus" "$B/rs" "$B/cp" "$B/cpa" "$LOGS"

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
echo "== ActorBackup benchmark =="
echo "date:      $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "host:      $(uname -srm), nproc=$(nproc), memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit:    $COMMIT (git -C $REPO rev-parse --short HEAD)"
echo "built from: $BUILT_FROM"
echo "work dir:  $WORK ($(df -PT "$WORK" | awk 'NR==2 {print $2 " on " $1}'))"
echo "tools:     dotnet $(dotnet --version), $(rsync --version | head -1 | awk '{print $1, $2, $3}'), $(cp --version | head -1), $($PY --version 2>&1)"
echo "corpus:    scale=$SCALE seed=$SEED ($MAKE_CORPUS)"
echo "cache:     page cache is NOT dropped (shared VM); every tool runs on a warm cache: an untimed"
echo "           cat of all source files (and a find over the trees it reads) precedes each run,"
echo "           and a sync flushes earlier writes before each run."
echo

# ------------------------------------------------------------------ build
log "publishing ActorBackup with deploy/publish.sh (as production installs it)"
# Built in a temporary folder inside $WORK, so it shares no obj/ with other builds of the tree.
if ! TMPDIR=$WORK "$SRC_ROOT/deploy/publish.sh" "$WORK/bin" >"$LOGS/publish.log" 2>&1; then
    echo "bench.sh: deploy/publish.sh failed:" >&2
    tail -40 "$LOGS/publish.log" >&2
    exit 1
fi
AB=$WORK/bin/actorbackup
[ -x "$AB" ] || { echo "bench.sh: $AB not produced by publish" >&2; exit 1; }

# ------------------------------------------------------------------ corpus
log "generating corpus week 1 ($SCALE, seed $SEED)"
t0=$(date +%s.%N)
$PY "$MAKE_CORPUS" --out "$W1" --scale "$SCALE" --seed "$SEED" --week 1 >"$LOGS/corpus1.txt"
t1=$(date +%s.%N)
echo "corpus generation: week 1 $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", b-a}') s (week 2 is applied in place after the week 1 runs)"
sed 's/^/  /' "$LOGS/corpus1.txt"

count_files() { find "$1" -type f | wc -l; }
apparent_bytes() { du -sb --apparent-size "$1" | awk '{print $1}'; }
F1=$(count_files "$W1"); S1=$(apparent_bytes "$W1")
echo "week 1: $F1 files, $(awk -v b="$S1" 'BEGIN{printf "%.1f MB", b/1e6}') (du -sb --apparent-size; hardlinked files counted once)"
echo

# ------------------------------------------------------------------ measuring
warm() {   # untimed warm-up: read all file bytes of the given trees, stat everything
    local d
    sync
    for d in "$@"; do
        find "$d" -type f -print0 | xargs -0 -r cat >/dev/null
        find "$d" >/dev/null
    done
}
warm_meta() { local d; sync; for d in "$@"; do find "$d" -printf '%s %i\n' >/dev/null; done; }

kb_of() { du -sk "$@" | awk '{s=$1} END{print s}'; }   # last line = what the last arg adds

ROWS=()
declare -A SEC RSS RC CPU LOAD
# measure KEY TOOL PHASE FILES BYTES -- command...   (stdout/stderr -> $LOGS/KEY.out/.err)
measure() {
    local key=$1 tool=$2 phase=$3 files=$4 bytes=$5; shift 6
    LOAD[$key]=$(cut -d' ' -f1 /proc/loadavg)
    log "running $tool $phase (load average ${LOAD[$key]})"
    local rc=0
    /usr/bin/time -f '%e %M %U %S' -o "$LOGS/$key.time" "$@" >"$LOGS/$key.out" 2>"$LOGS/$key.err" || rc=$?
    local sec rss usr sys
    read -r sec rss usr sys < <(tail -1 "$LOGS/$key.time")
    SEC[$key]=$sec; RSS[$key]=$rss; RC[$key]=$rc
    CPU[$key]=$(awk -v u="$usr" -v s="$sys" 'BEGIN{printf "%.1f", u+s}')
    ROWS+=("$key|$tool|$phase|$files|$bytes")
    if [ "$rc" -ne 0 ]; then log "$tool $phase exited with $rc"; fi
}
declare -A DISK
PROBLEMS=()
ab_check() {   # ActorBackup exit code and stderr, snapshot vs source counts
    local key=$1 src=$2 snap=$3
    local rc=${RC[$key]}
    if [ "$rc" -ne 0 ] || [ -s "$LOGS/$key.err" ]; then
        PROBLEMS+=("$key: exit code $rc, $(wc -l <"$LOGS/$key.err") stderr lines (first 20 below)")
        while IFS= read -r l; do PROBLEMS+=("    $l"); done < <(head -20 "$LOGS/$key.err")
    fi
    if [ -d "$snap" ]; then
        local a b
        for t in f d l; do
            a=$(find "$src" -type $t | wc -l); b=$(find "$snap" -type $t | wc -l)
            # the snapshot root itself is a directory in both trees; counts compare directly
            [ "$a" = "$b" ] || PROBLEMS+=("$key: source has $a entries of type $t, snapshot $snap has $b")
        done
        a=$(find "$src" -type f -printf '%s\n' | awk '{s+=$1} END{print s+0}')
        b=$(find "$snap" -type f -printf '%s\n' | awk '{s+=$1} END{print s+0}')
        [ "$a" = "$b" ] || PROBLEMS+=("$key: source files total $a bytes, snapshot files $b bytes")
    else
        PROBLEMS+=("$key: snapshot folder $snap does not exist after the run")
    fi
}

# ---- week 1: every tool backs up the same week 1 tree
# 1. ActorBackup week 1 (full)
warm "$W1"
measure ab1 ActorBackup "week 1 full" "$F1" "$S1" -- \
    "$AB" --rootfolder="$W1" --backupfolder="$B/ab/week1" --datafolder="$B/ab/data" --createdirs --dostats
sync; DISK[ab1]=$(kb_of "$B/ab"); ab_check ab1 "$W1" "$B/ab/week1"

# 2. rsync week 1 (full copy)
warm "$W1"
measure rs1 rsync "week 1 full" "$F1" "$S1" -- rsync -a "$W1/" "$B/rs/week1/"
sync; DISK[rs1]=$(kb_of "$B/rs")

# 3. sha1sum floor (hash every week 1 file, 2 parallel workers)
warm "$W1"
export W1
measure sha1 "sha1sum -P2" "week 1 hash" "$F1" "$S1" -- \
    bash -c 'find "$W1" -type f -print0 | xargs -0 -P2 -n 200 sha1sum > /dev/null'

# 3b. cp -a: the copy floor (writes every byte once, hashes nothing). A full backup must
# write the bytes too, so this shows how far above the read-only sha1sum floor any copy is.
warm "$W1"
measure cpa1 "cp -a" "week 1 copy" "$F1" "$S1" -- cp -a "$W1" "$B/cpa/week1"
# (kept until the end: removing 100,000 inodes slows the next runs' inode allocation)

# 4. extra, for reading the numbers: ActorBackup with fsync = off (rsync and cp do not
# fsync), own data folder. Skipped with --no-extra.
if [ "$EXTRA" = 1 ]; then
    printf 'actorbackup.fsync = off\n' >"$WORK/nofsync.conf"
    warm "$W1"
    measure abn1 "AB fsync=off" "week 1 full" "$F1" "$S1" -- \
        "$AB" --rootfolder="$W1" --backupfolder="$B/abn/week1" --datafolder="$B/abn/data" --createdirs --dostats \
        --config="$WORK/nofsync.conf"
    sync; DISK[abn1]=$(kb_of "$B/abn"); ab_check abn1 "$W1" "$B/abn/week1"
fi

# The week 1 tree's unique contents, for the disk target below (untimed; before the churn).
unique_scan() {   # TREE TAG: (device:inode, size, uid, gid, mode, path) of every file, and a sha1 per inode
    local tree=$1 tag=$2
    find "$tree" -type f -printf '%D:%i\t%s\t%U\t%G\t%m\t%p\0' >"$LOGS/files.meta.$tag" &&
    LC_ALL=C awk 'BEGIN { RS = "\0"; ORS = "\0" }
        { s = $0; j = index(s, "\t"); ino = substr(s, 1, j - 1)
          for (i = 0; i < 5; i++) { j = index(s, "\t"); s = substr(s, j + 1) }
          if (!(ino in seen)) { seen[ino] = 1; print s } }' "$LOGS/files.meta.$tag" |
        xargs -0 -r -P2 -n 500 sh -c 'exec sha1sum -z -- "$@" >>"$0.$$"' "$LOGS/sha1part" &&
    cat /dev/null "$LOGS"/sha1part.* >"$LOGS/files.sha1.$tag" && rm -f "$LOGS"/sha1part.*
}
log "disk target: hashing the unique inodes of week 1 (untimed)"
SCAN_OK=1
unique_scan "$W1" w1 || SCAN_OK=0

# ---- week 2: the churn, in place
log "applying week 2 churn in place"
t0=$(date +%s.%N)
$PY "$MAKE_CORPUS" --out "$W1" --scale "$SCALE" --seed "$SEED" --week 2 --inplace >"$LOGS/corpus2.txt"
t1=$(date +%s.%N)
echo "corpus week 2 churn (in place): $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", b-a}') s"
sed 's/^/  /' "$LOGS/corpus2.txt"
F2=$(count_files "$W2"); S2=$(apparent_bytes "$W2")
echo "week 2: $F2 files, $(awk -v b="$S2" 'BEGIN{printf "%.1f MB", b/1e6}')"
echo

# 5. ActorBackup week 2 (incremental, same data folder: compares with week1's manifest)
warm "$W2"; warm_meta "$B/ab"
measure ab2 ActorBackup "week 2 incr" "$F2" "$S2" -- \
    "$AB" --rootfolder="$W2" --backupfolder="$B/ab/week2" --datafolder="$B/ab/data" --createdirs --dostats
sync; DISK[ab2]=$(kb_of "$B/ab"); ab_check ab2 "$W2" "$B/ab/week2"

# 6. rsync week 2 (--link-dest incremental)
warm "$W2"; warm_meta "$B/rs/week1"
measure rs2 rsync "week 2 incr" "$F2" "$S2" -- rsync -a --link-dest="$B/rs/week1" "$W2/" "$B/rs/week2/"
sync; DISK[rs2]=$(kb_of "$B/rs")

# 7. cp -al (links-only floor for week 2: what a snapshot costs without looking at the source)
warm_meta "$B/rs/week1"
measure cp2 "cp -al" "week 2 links" "$F1" "$S1" -- cp -al "$B/rs/week1" "$B/cp/week2"
sync; DISK[cp2]=$(kb_of "$B/rs/week1" "$B/cp/week2")   # what cp -al added (directories)

if [ "$EXTRA" = 1 ]; then
    warm "$W2"; warm_meta "$B/abn"
    measure abn2 "AB fsync=off" "week 2 incr" "$F2" "$S2" -- \
        "$AB" --rootfolder="$W2" --backupfolder="$B/abn/week2" --datafolder="$B/abn/data" --createdirs --dostats \
        --config="$WORK/nofsync.conf"
    sync; DISK[abn2]=$(kb_of "$B/abn"); ab_check abn2 "$W2" "$B/abn/week2"
fi

# ------------------------------------------------------------------ disk target (untimed)
# What a store that keeps nothing twice must hold after both weeks: the unique contents of
# the week 1 and week 2 trees. One find pass records (device:inode, size, uid, gid, mode,
# path) of every file, NUL-terminated; each inode (hardlinked files once) is hashed once
# by sha1sum -z (NUL-terminated, no escaping of odd names; each of the parallel sha1sum
# processes writes its own file, as two writers on one stdout interleave their buffers
# mid-record). Unique by sha1 = --share=content;
# unique by (sha1, uid, gid, mode & 07777) = --share=owner, the default the runs above use
# (as root; `find -printf %m` is exactly the 07777 bits).
log "disk target: hashing the unique inodes of week 2 (untimed)"
unique_scan "$W2" w2 || SCAN_OK=0
UNIQ=
if [ "$SCAN_OK" = 1 ]; then
    # prints: contents content_bytes owner_entries owner_bytes files inodes unhashed_files
    # Each week's sha1 list precedes its file list; an inode or path may hold other content
    # in week 2 (rewritten in place), so the lookups start afresh for each week.
    UNIQ=$(LC_ALL=C awk 'BEGIN { RS = "\0" }
        FNR == 1 && FILENAME ~ /files\.sha1\./ { split("", byPath); split("", byIno) }
        FILENAME ~ /files\.sha1\./ { byPath[substr($0, 43)] = substr($0, 1, 40); next }
        { s = $0
          for (i = 1; i <= 5; i++) { j = index(s, "\t"); f[i] = substr(s, 1, j - 1); s = substr(s, j + 1) }
          files++
          if (f[1] in byIno) h = byIno[f[1]]
          else { inodes++; h = (s in byPath) ? byPath[s] : ""; byIno[f[1]] = h }
          if (h == "") { unhashed++; next }
          if (!(h in content)) { content[h] = 1; cn++; cb += f[2] }
          k = h " " f[3] " " f[4] " " f[5]
          if (!(k in owner)) { owner[k] = 1; on++; ob += f[2] } }
        END { printf "%d %.0f %d %.0f %d %d %d\n", cn, cb, on, ob, files, inodes, unhashed }' \
        "$LOGS/files.sha1.w1" "$LOGS/files.meta.w1" "$LOGS/files.sha1.w2" "$LOGS/files.meta.w2")
else
    PROBLEMS+=("disk target: find or sha1sum failed over the corpus trees (see above); no unique-bytes figure")
fi
store_sum() {   # entries and bytes of the content store of data folder $1 (each entry one inode)
    find "$1" -path "$1/.actorbackup" -prune -o -type f -printf '%s\n' |
        awk '{n++; s+=$1} END{printf "%d %.0f\n", n, s}'
}
declare -A STORE
STORE[ab]=$(store_sum "$B/ab/data")
[ "$EXTRA" = 1 ] && STORE[abn]=$(store_sum "$B/abn/data")

# ------------------------------------------------------------------ report
echo "== results (warm cache; MB = 10^6 bytes; files/s and MB/s over the whole source tree of the phase) =="
fmt='%-12s %-12s %9s %7s %10s %9s %10s %14s %3s %5s\n'
printf "$fmt" tool phase seconds "cpu s" files/s MB/s "peak RSS MB" "disk MB" rc load
printf "$fmt" ------------ ------------ --------- ------- ---------- --------- ---------- -------------- --- -----
for row in "${ROWS[@]}"; do
    IFS='|' read -r key tool phase files bytes <<<"$row"
    sec=${SEC[$key]}; rss=${RSS[$key]}
    disk=-
    case $key in
        ab1|abn1) disk=$(awk -v k="${DISK[$key]}" 'BEGIN{printf "%.0f", k/1024}') ;;
        ab2|abn2) disk=$(awk -v k="${DISK[$key]}" -v p="${DISK[${key%2}1]}" 'BEGIN{printf "%.0f (+%.0f)", k/1024, (k-p)/1024}') ;;
        rs1) disk=$(awk -v k="${DISK[rs1]}" 'BEGIN{printf "%.0f", k/1024}') ;;
        rs2) disk=$(awk -v k="${DISK[rs2]}" -v p="${DISK[rs1]}" 'BEGIN{printf "%.0f (+%.0f)", k/1024, (k-p)/1024}') ;;
        cp2) disk=$(awk -v k="${DISK[cp2]}" 'BEGIN{printf "(+%.1f)", k/1024}') ;;
    esac
    read -r fps mbs rssmb < <(awk -v s="$sec" -v f="$files" -v b="$bytes" -v r="$rss" \
        'BEGIN{ if (s < 0.005) s = 0.005; printf "%.0f %.1f %.0f\n", f/s, b/s/1e6, r/1024 }')
    printf "$fmt" "$tool" "$phase" "$sec" "${CPU[$key]}" "$fps" "$mbs" "$rssmb" "$disk" "${RC[$key]}" "${LOAD[$key]}"
done
echo "cpu s = user + system CPU seconds (%U + %S of GNU time); 2 cores, so at most 2x seconds."
echo "load = 1-minute load average just before the run (other work on this shared machine shows up here)."
echo "disk = du -sk (MiB) of the tool's backup root after the phase, hardlinks counted once;"
echo "       (+N) = what the phase added. ActorBackup's root holds data/ + week1/ + week2/."
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b <= 0) print "n/a"; else printf "%.2fx", a/b }'; }
echo "== ratios (time; >1 means ActorBackup is slower) =="
echo "ActorBackup / rsync         week 1: $(ratio "${SEC[ab1]}" "${SEC[rs1]}")"
echo "ActorBackup / rsync         week 2: $(ratio "${SEC[ab2]}" "${SEC[rs2]}")"
echo "ActorBackup / sha1sum floor week 1: $(ratio "${SEC[ab1]}" "${SEC[sha1]}")"
echo "ActorBackup / cp -al floor  week 2: $(ratio "${SEC[ab2]}" "${SEC[cp2]}")"
echo "ActorBackup / cp -a (copy)  week 1: $(ratio "${SEC[ab1]}" "${SEC[cpa1]}")"
echo "cp -a / sha1sum floor       week 1: $(ratio "${SEC[cpa1]}" "${SEC[sha1]}") (what writing the bytes alone costs)"
if [ "$EXTRA" = 1 ]; then
    echo "extra: AB fsync=off / rsync week 1: $(ratio "${SEC[abn1]}" "${SEC[rs1]}")"
    echo "extra: AB fsync=off / rsync week 2: $(ratio "${SEC[abn2]}" "${SEC[rs2]}")"
fi
echo "== ratios (disk) =="
echo "ActorBackup / rsync   after week 1: $(ratio "${DISK[ab1]}" "${DISK[rs1]}")"
echo "ActorBackup / rsync   after week 2: $(ratio "${DISK[ab2]}" "${DISK[rs2]}")"
echo "ActorBackup / rsync   week 2 added: $(ratio "$((DISK[ab2] - DISK[ab1]))" "$((DISK[rs2] - DISK[rs1]))")"
echo

echo "== ActorBackup --dostats =="
keys=(ab1 ab2); [ "$EXTRA" = 1 ] && keys+=(abn1 abn2)
for key in "${keys[@]}"; do
    echo "-- $key (exit ${RC[$key]}) --"
    grep -v '^progress:' "$LOGS/$key.out" | sed 's/^/  /' || true
done
echo
echo "== ActorBackup store (where its disk goes; default run) =="
D=$B/ab/data
echo "content entries: $(find "$D" -path "$D/.actorbackup" -prune -o -type f -print | wc -l), $(find "$D" -path "$D/.actorbackup" -prune -o -type f -printf '%s\n' | awk '{s+=$1} END{printf "%.1f MiB", s/1048576}') of content"
echo "level folders:   $(find "$D" -mindepth 1 -path "$D/.actorbackup" -prune -o -type d -print | wc -l), $(find "$D" -mindepth 1 -path "$D/.actorbackup" -prune -o -type d -printf '%b\n' | awk '{s+=$1} END{printf "%.1f MiB", s*512/1048576}') allocated"
echo "manifests:       $(du -sk "$D/.actorbackup/snapshots" | awk '{printf "%.1f MiB", $1/1024}') ($(ls "$D/.actorbackup/snapshots" | tr '\n' ' '))"
echo "snapshot dirs:   week1 $(find "$B/ab/week1" -type d -printf '%b\n' | awk '{s+=$1} END{printf "%.1f MiB", s*512/1048576}'), week2 $(find "$B/ab/week2" -type d -printf '%b\n' | awk '{s+=$1} END{printf "%.1f MiB", s*512/1048576}')"
echo
echo "== disk target: nothing stored twice (store bytes == unique bytes per owner policy) =="
if [ -n "$UNIQ" ]; then
    read -r u_cn u_cb u_on u_ob u_files u_inodes u_unhashed <<<"$UNIQ"
    mib() { awk -v b="$1" 'BEGIN{printf "%.1f MiB", b/1048576}'; }
    echo "corpus week 1 + week 2: $u_files files, $u_inodes inodes hashed (sha1sum, untimed)"
    [ "$u_unhashed" -eq 0 ] || PROBLEMS+=("disk target: $u_unhashed files got no sha1 (unreadable?); unique figures are low")
    printf '%-44s %8s entries %14s bytes (%s)\n' "unique contents, by sha1 (--share=content):" "$u_cn" "$u_cb" "$(mib "$u_cb")"
    printf '%-44s %8s entries %14s bytes (%s)\n' "unique per (sha1, uid, gid, mode) (owner):" "$u_on" "$u_ob" "$(mib "$u_ob")"
    for st in ab abn; do
        [ -n "${STORE[$st]:-}" ] || continue
        read -r s_n s_b <<<"${STORE[$st]}"
        label="store $st/data (excluding .actorbackup):"
        printf '%-44s %8s entries %14s bytes (%s)\n' "$label" "$s_n" "$s_b" "$(mib "$s_b")"
        d=$((s_b - u_ob)); dn=$((s_n - u_on))
        if [ "$d" -eq 0 ]; then verdict="MET"; else verdict="NOT MET"; fi
        echo "  $st: store - unique per owner = $d bytes ($(awk -v d="$d" -v u="$u_ob" 'BEGIN{ if (u > 0) printf "%+.3f%%", d*100/u; else print "n/a" }'), $dn entries); store - unique by content = $((s_b - u_cb)) bytes"
        echo "  $st: nothing stored twice: $verdict"
    done
else
    echo "not computed (see checks)"
fi
echo
echo "== checks =="
for key in rs1 rs2 cp2 sha1 cpa1; do
    if [ "${RC[$key]}" -ne 0 ] || [ -s "$LOGS/$key.err" ]; then
        PROBLEMS+=("$key: exit code ${RC[$key]}; stderr: $(head -5 "$LOGS/$key.err" | tr '\n' ' ')")
    fi
done
if [ ${#PROBLEMS[@]} -eq 0 ]; then
    echo "no problems: every tool exited 0 with empty stderr; ActorBackup snapshots match the source"
    echo "in file/dir/symlink counts and total file bytes."
else
    printf '%s\n' "${PROBLEMS[@]}"
fi
echo

# ------------------------------------------------------------------ week 2, repeated
# Week 2 again, ActorBackup and cp -al taking turns, each run warmed as above: the same
# incremental (compared with week1, --previous) into new snapshot folders of the same data
# folder, and cp -al of rsync's week 1. Runs after everything above, which their extra
# snapshots would otherwise change.
if [ "$REPEAT" -gt 1 ]; then
    echo "== week 2 repeated: ActorBackup and cp -al taking turns (run 1 is the one above) =="
    R_AB=("${SEC[ab2]}"); R_CP=("${SEC[cp2]}")
    rfmt='%-4s %10s %8s %10s %8s %8s %6s\n'
    printf "$rfmt" run "AB s" "AB cpu" "cp -al s" "cp cpu" ratio load
    printf "$rfmt" 1 "${SEC[ab2]}" "${CPU[ab2]}" "${SEC[cp2]}" "${CPU[cp2]}" "$(ratio "${SEC[ab2]}" "${SEC[cp2]}")" "${LOAD[ab2]}"
    for ((k = 2; k <= REPEAT; k++)); do
        warm "$W2"; warm_meta "$B/ab"
        measure "ab2r$k" ActorBackup "week 2 incr r$k" "$F2" "$S2" -- \
            "$AB" --rootfolder="$W2" --backupfolder="$B/abr/week2-r$k" --datafolder="$B/ab/data" --createdirs --previous=week1
        ab_check "ab2r$k" "$W2" "$B/abr/week2-r$k"
        warm_meta "$B/rs/week1"
        measure "cp2r$k" "cp -al" "week 2 links r$k" "$F1" "$S1" -- cp -al "$B/rs/week1" "$B/cp/week2-r$k"
        R_AB+=("${SEC[ab2r$k]}"); R_CP+=("${SEC[cp2r$k]}")
        printf "$rfmt" "$k" "${SEC[ab2r$k]}" "${CPU[ab2r$k]}" "${SEC[cp2r$k]}" "${CPU[cp2r$k]}" "$(ratio "${SEC[ab2r$k]}" "${SEC[cp2r$k]}")" "${LOAD[ab2r$k]}"
    done
    median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END{ if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
    m_ab=$(median "${R_AB[@]}"); m_cp=$(median "${R_CP[@]}")
    echo "median of $REPEAT: ActorBackup $m_ab s, cp -al $m_cp s"
    echo "ActorBackup / cp -al floor  week 2 (medians): $(ratio "$m_ab" "$m_cp")"
    echo "(cpu = user + system seconds: a run that waited on the disk or for a CPU shows wall well above cpu)"
    if [ ${#PROBLEMS[@]} -gt 0 ]; then printf '%s\n' "${PROBLEMS[@]}"; fi
    echo
fi
T_END=$(date +%s)
echo "bench.sh total wall time: $((T_END - T_START)) s (including publish and corpus generation)"
[ ${#PROBLEMS[@]} -eq 0 ]
