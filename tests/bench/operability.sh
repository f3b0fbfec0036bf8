#!/usr/bin/env bash
# operability.sh - issue 23's figures for its closing note, with real processes on 127.0.0.1:
#   1. a storage node restart (SIGTERM then start, as systemctl restart does; and kill -9 then
#      start): seconds from the restart command to the hasher node being a member again (the
#      storage node's member-up line for it) and to the end of the first coordinator run after
#      it in which the hasher hashed files (a run is retried every ~2 s, each into a new
#      backup folder, with new and appended files so there is hashing work);
#   2. log bytes (stdout+stderr, per process) written in --seconds of each misconfiguration:
#      (a) TLS on with an akka.tcp:// seed (node and coordinator: exit code, bytes), (b) a
#      hasher whose seed is down, (c) a hasher whose certificate the storage node does not
#      trust (self-signed, not pinned; the storage node trusts only the cluster CA), both
#      logs, (d) a coordinator with no storage node (exit code, bytes, seconds to exit);
#   3. a run of the corpus with 2 hasher nodes, one killed (kill -9) mid-run: seconds from
#      the kill to the broker's "queued again" line, and the run's exit code (beside a run
#      of the same corpus without a kill).
# Nodes run with the shipped defaults (hocon/cluster.conf: heartbeats every 1 s, 3 s pause,
# split-brain-resolver stable-after 7 s, join-timeout 15 s); the script sets only addresses,
# seeds, node names, allowed folders and (coordinator in part 3) stats-interval = 1s.
#
#   tests/bench/operability.sh [--bin DIR] [--scale small|medium] [--seconds 60] [--dir DIR] [--keep]
#
# --bin: an actorbackup published before (dotnet publish src/ActorBackup.Cli -c Release -o DIR);
# without it the working tree is published into the work folder once. Needs openssl.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
MAKE_CORPUS=${MAKE_CORPUS:-$REPO/../shared/corpus/make-corpus.py}
PY=/usr/bin/python3
SCALE=small
SECONDS_MIS=60
BIN=
KEEP=0
PARENT=${BENCH_DIR:-/var/tmp}

while [ $# -gt 0 ]; do
    case "$1" in
        --bin) BIN=$2; shift 2 ;;
        --scale) SCALE=$2; shift 2 ;;
        --seconds) SECONDS_MIS=$2; shift 2 ;;
        --dir) PARENT=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "operability.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
command -v openssl >/dev/null || { echo "operability.sh: needs openssl" >&2; exit 1; }

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
WORK=$(mktemp -d "$PARENT/actorbackup-operability.XXXXXX")
PIDS=()

# ---- processes ----
stop_pid() { # PID: SIGTERM, 20 s to exit, then kill -9
    kill "$1" 2>/dev/null || return 0
    timeout 20 tail --pid="$1" -f /dev/null 2>/dev/null || kill -9 "$1" 2>/dev/null || true
}
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do timeout 20 tail --pid="$p" -f /dev/null 2>/dev/null || kill -9 "$p" 2>/dev/null || true; done
    [ "$KEEP" = 1 ] && log "kept $WORK" || rm -rf -- "$WORK"
}
trap cleanup EXIT
STARTED=
start_node() { # CONF LOG: starts 'actorbackup node', its pid in STARTED
    "$AB" node --config "$1" >"$2" 2>&1 &
    STARTED=$!
    PIDS+=("$STARTED")
}

# ---- time ----
now() { date +%s.%N; }
sub() { printf '%.1f' "$(echo "$1 - $2" | bc -l)"; }
line_time() { date -u -d "${1%% *}" +%s.%N; } # a log line's leading UTC time, as epoch seconds
wait_line() { # FILE ERE TIMEOUT_S: prints the first matching line, or fails after the timeout
    local end=$(( $(date +%s) + $3 )) hit
    while [ "$(date +%s)" -lt "$end" ]; do
        hit=$(grep -E -m1 -- "$2" "$1" 2>/dev/null || true)
        [ -n "$hit" ] && { echo "$hit"; return 0; }
        sleep 0.1
    done
    return 1
}
free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
bytes() { stat -c %s "$1"; }

# ---- HOCON ----
node_conf() { # FILE ROLE PORT SEED NAME [EXTRA]
    {
        [ "$2" = coordinator ] || echo "akka.cluster.roles = [$2]"
        echo "akka.remote.dot-netty.tcp { hostname = 127.0.0.1, public-hostname = 127.0.0.1, port = $3 }"
        echo "akka.cluster.seed-nodes = [\"$4\"]"
        echo "actorbackup.cluster.node-name = $5"
        [ "$2" = storage ] && echo "actorbackup.cluster.storage.allowed-folders = [\"$WORK\"]"
        [ -n "${6:-}" ] && printf '%s\n' "$6"
        true
    } >"$1"
}
tls_conf() { # PFX [CA]
    printf 'actorbackup.cluster.tls { enabled = on, certificate-path = "%s", certificate-password = "%s", ca-certificate = "%s" }' \
        "$1" "$CERT_PASSWORD" "${2:-$WORK/ca/ca.crt}"
}

mkdir -p "$WORK/logs"
if [ -z "$BIN" ]; then
    log "publishing the working tree at $(git -C "$REPO" rev-parse --short HEAD)"
    dotnet publish "$REPO/src/ActorBackup.Cli" -c Release -o "$WORK/bin" >"$WORK/logs/publish.log" 2>&1 || { tail -30 "$WORK/logs/publish.log" >&2; exit 1; }
    BIN=$WORK/bin
fi
AB=$BIN/actorbackup
[ -x "$AB" ] || { echo "operability.sh: no actorbackup in $BIN" >&2; exit 1; }

echo "== ActorBackup operability figures (issue 23): real processes on 127.0.0.1 =="
echo "date:   $(date -u '+%Y-%m-%d %H:%M:%S UTC'); host $(uname -srm), nproc=$(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "built:  $BIN (working tree at $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- src || echo ', src modified'))"
echo "nodes:  shipped failure detection (heartbeat 1 s, pause 3 s, SBR stable-after 7 s), join-timeout 15 s"

# ======================= 1. storage node restarts =======================
echo
echo "-- 1. storage node restart -> hasher member again -> first run the hasher served --"
P1=$WORK/p1; mkdir -p "$P1/src"
SEED_PORT=$(free_port); SEED="akka.tcp://actorbackup@127.0.0.1:$SEED_PORT"
node_conf "$P1/storage.conf" storage "$SEED_PORT" "$SEED" store1
node_conf "$P1/hasher.conf" hasher 0 "$SEED" hash1
node_conf "$P1/coordinator.conf" coordinator 0 "$SEED" coord
# 300 files of 8 KiB; each attempt adds 16 new ones and appends to 8 others.
for i in $(seq 1 300); do head -c 8192 /dev/urandom >"$P1/src/f$i.bin"; done
NEW=0
more_work() {
    local i
    for i in $(seq 1 16); do NEW=$((NEW + 1)); head -c 8192 /dev/urandom >"$P1/src/new$NEW.bin"; done
    for i in $(seq 1 8); do head -c 64 /dev/urandom >>"$P1/src/f$(( (RANDOM % 300) + 1 )).bin"; done
}
RUN_EXIT=0; RUN_SHARE=0
backup() { # NAME: one coordinator run into backups/NAME; sets RUN_EXIT and RUN_SHARE (files hash1 hashed)
    RUN_EXIT=0
    "$AB" backup --cluster "$P1/coordinator.conf" --rootfolder="$P1/src" --backupfolder="$P1/backups/$1" \
        --datafolder="$P1/data" --createdirs --dostats >"$WORK/logs/p1-run-$1.txt" 2>&1 || RUN_EXIT=$?
    RUN_SHARE=$(grep -m1 '^files hashed by node:' "$WORK/logs/p1-run-$1.txt" | grep -o 'hash1=[0-9]*' | cut -d= -f2 || true)
    RUN_SHARE=${RUN_SHARE:-0}
}
STORAGE_N=1
start_node "$P1/storage.conf" "$WORK/logs/p1-storage-$STORAGE_N.log"; STORAGE=$STARTED
wait_line "$WORK/logs/p1-storage-1.log" "member-up .*name=store1" 90 >/dev/null || { echo "storage node did not come up"; exit 1; }
start_node "$P1/hasher.conf" "$WORK/logs/p1-hasher.log"; HASHER=$STARTED
wait_line "$WORK/logs/p1-storage-1.log" "member-up .*name=hash1" 90 >/dev/null || { echo "hasher did not join"; exit 1; }
backup week0
echo "before the restarts: run exit $RUN_EXIT, $(grep -m1 '^files hashed by node:' "$WORK/logs/p1-run-week0.txt" || echo 'no files-hashed-by-node line')"

restart_storage() { # LABEL SIGNAL
    local label=$1 sig=$2 t0 t_down t_start member t_member attempt=0 t_served= t_run
    log "part 1: storage restart by $sig"
    t0=$(now)
    kill -"$sig" "$STORAGE"
    if ! timeout 60 tail --pid="$STORAGE" -f /dev/null; then echo "  storage node still running 60 s after SIG$sig; killed"; kill -9 "$STORAGE"; fi
    wait "$STORAGE" 2>/dev/null || true
    t_down=$(now)
    STORAGE_N=$((STORAGE_N + 1))
    local slog="$WORK/logs/p1-storage-$STORAGE_N.log"
    start_node "$P1/storage.conf" "$slog"; STORAGE=$STARTED
    t_start=$(now)
    # Runs from right after the start, every ~2 s, until one succeeds with the hasher's share > 0.
    local runs=()
    while :; do
        attempt=$((attempt + 1))
        more_work
        t_run=$(now)
        backup "$label-$attempt"
        runs+=("$(sub "$t_run" "$t0")s:exit=$RUN_EXIT,hash1=$RUN_SHARE")
        if [ "$RUN_EXIT" = 0 ] && [ "$RUN_SHARE" -gt 0 ]; then t_served=$(now); break; fi
        [ "$(echo "$(now) - $t0 > 300" | bc)" = 1 ] && break
        sleep 2
    done
    if member=$(wait_line "$slog" "member-up .*name=hash1" 5); then t_member=$(sub "$(line_time "$member")" "$t0"); else t_member="never (300 s)"; fi
    printf '  %-8s stop took %4ss; hasher member again at %5ss; first run the hasher served ended at %5ss (attempt %d)\n' \
        "$label" "$(sub "$t_down" "$t0")" "$t_member" "${t_served:+$(sub "$t_served" "$t0")}" "$attempt"
    [ -n "$t_served" ] || echo "  $label: NO run with the hasher's share > 0 within 300 s"
    echo "           runs (start after the restart command: exit, files hashed by hash1): ${runs[*]}"
    echo "           hasher's rejoin lines so far: $(grep -c 'joining the cluster again' "$WORK/logs/p1-hasher.log" || true); still the same process: $(kill -0 "$HASHER" 2>/dev/null && echo yes || echo no)"
}
restart_storage sigterm TERM
restart_storage kill-9 KILL
echo "  hasher log: $(bytes "$WORK/logs/p1-hasher.log") bytes, $(wc -l <"$WORK/logs/p1-hasher.log") lines over part 1"
grep -E 'joining the cluster again|akka-(warning|error|repeated)' "$WORK/logs/p1-hasher.log" | cut -c1-240 | sed 's/^/    hasher: /' | head -12
stop_pid "$HASHER"; stop_pid "$STORAGE"

# ======================= 2. misconfigurations =======================
echo
echo "-- 2. log bytes written in $SECONDS_MIS s of each misconfiguration (stdout+stderr per process) --"
P2=$WORK/p2; mkdir -p "$P2/src"; echo a >"$P2/src/a.txt"
CERT_PASSWORD=bench-$$
"$REPO/deploy/make-node-cert.sh" --make-ca "$WORK/ca" >/dev/null
export ACTORBACKUP_CERT_PASSWORD=$CERT_PASSWORD
for n in store2 hash2 coord2; do "$REPO/deploy/make-node-cert.sh" --ca "$WORK/ca" "$n" "$P2/$n.pfx" >/dev/null; done
"$REPO/deploy/make-node-cert.sh" rogue "$P2/rogue.pfx" >/dev/null   # self-signed, pinned nowhere
unset ACTORBACKUP_CERT_PASSWORD
summary() { # LOG [N]: its N most frequent lines
    # Lines less their leading time, counted; cut to 200 characters.
    if [ -s "$1" ]; then sed -E 's/^[0-9]{4}-[0-9-]+T[0-9:.]+Z //' "$1" | cut -c1-200 | sort | uniq -c | sort -rn | head -"${2:-5}" | sed 's/^/      /'; fi
}
# (a) TLS on, seed written akka.tcp://: a node and a coordinator
node_conf "$P2/a-hasher.conf" hasher 0 "akka.tcp://actorbackup@127.0.0.1:$(free_port)" hash2 "$(tls_conf "$P2/hash2.pfx")"
node_conf "$P2/a-coord.conf" coordinator 0 "akka.tcp://actorbackup@127.0.0.1:$(free_port)" coord2 "$(tls_conf "$P2/coord2.pfx")"
t0=$(now); rc=0; timeout "$SECONDS_MIS" "$AB" node --config "$P2/a-hasher.conf" >"$WORK/logs/p2a-hasher.log" 2>&1 || rc=$?
echo "  (a) TLS + akka.tcp:// seed, hasher node:  exit $rc after $(sub "$(now)" "$t0") s, $(bytes "$WORK/logs/p2a-hasher.log") bytes"
summary "$WORK/logs/p2a-hasher.log" 2
t0=$(now); rc=0; timeout "$SECONDS_MIS" "$AB" backup --cluster "$P2/a-coord.conf" --rootfolder="$P2/src" --backupfolder="$P2/backups/a" \
    --datafolder="$P2/data" --createdirs >"$WORK/logs/p2a-coord.log" 2>&1 || rc=$?
echo "  (a) TLS + akka.tcp:// seed, coordinator:  exit $rc after $(sub "$(now)" "$t0") s, $(bytes "$WORK/logs/p2a-coord.log") bytes"
summary "$WORK/logs/p2a-coord.log" 2

# (b), (c) and (d) side by side, each on ports of its own.
log "part 2: $SECONDS_MIS s of (b), (c) and (d)"
DOWN=$(free_port)
node_conf "$P2/b-hasher.conf" hasher 0 "akka.tcp://actorbackup@127.0.0.1:$DOWN" hash3
TLS_PORT=$(free_port); TLS_SEED="akka.ssl.tcp://actorbackup@127.0.0.1:$TLS_PORT"
node_conf "$P2/c-storage.conf" storage "$TLS_PORT" "$TLS_SEED" store2 "$(tls_conf "$P2/store2.pfx")"
node_conf "$P2/c-hasher.conf" hasher 0 "$TLS_SEED" rogue "$(tls_conf "$P2/rogue.pfx")"
node_conf "$P2/d-coord.conf" coordinator 0 "akka.tcp://actorbackup@127.0.0.1:$(free_port)" coord3
start_node "$P2/c-storage.conf" "$WORK/logs/p2c-storage.log"; CSTORE=$STARTED
wait_line "$WORK/logs/p2c-storage.log" "member-up .*name=store2" 90 >/dev/null || { echo "TLS storage node did not come up"; cat "$WORK/logs/p2c-storage.log"; exit 1; }
c_storage0=$(bytes "$WORK/logs/p2c-storage.log")   # its own start, before the hasher
T0=$(now)
start_node "$P2/b-hasher.conf" "$WORK/logs/p2b-hasher.log"; BH=$STARTED
start_node "$P2/c-hasher.conf" "$WORK/logs/p2c-hasher.log"; CH=$STARTED
( t=$(now); rc=0
  timeout "$SECONDS_MIS" "$AB" backup --cluster "$P2/d-coord.conf" --rootfolder="$P2/src" --backupfolder="$P2/backups/d" \
      --datafolder="$P2/data" --createdirs >"$WORK/logs/p2d-coord.log" 2>&1 || rc=$?
  echo "$rc $(sub "$(now)" "$t")" >"$WORK/p2d.result" ) &
DPID=$!; PIDS+=("$DPID")
left=$(echo "$T0 + $SECONDS_MIS - $(now)" | bc); [ "$(echo "$left > 0" | bc)" = 1 ] && sleep "$left"
b_bytes=$(bytes "$WORK/logs/p2b-hasher.log"); c_hasher=$(bytes "$WORK/logs/p2c-hasher.log"); c_storage=$(bytes "$WORK/logs/p2c-storage.log")
c_rejoins=$(grep -c 'joining the cluster again' "$WORK/logs/p2c-hasher.log" || true)
c_member=$(grep -c 'member-up .*name=rogue' "$WORK/logs/p2c-storage.log" || true)
wait "$DPID" || true
read -r d_rc d_secs <"$WORK/p2d.result"
echo "  (b) hasher, seed down:                     $b_bytes bytes in $SECONDS_MIS s ($(wc -l <"$WORK/logs/p2b-hasher.log") lines), still running: $(kill -0 "$BH" 2>/dev/null && echo yes || echo no)"
summary "$WORK/logs/p2b-hasher.log"
echo "  (c) hasher with an untrusted certificate: $c_hasher bytes in $SECONDS_MIS s ($(wc -l <"$WORK/logs/p2c-hasher.log") lines), rejoin attempts $c_rejoins, still running: $(kill -0 "$CH" 2>/dev/null && echo yes || echo no)"
summary "$WORK/logs/p2c-hasher.log"
echo "  (c) its storage node (trusts the CA only): $((c_storage - c_storage0)) bytes in the same $SECONDS_MIS s (its own start: $c_storage0 bytes before); the rogue hasher member-up lines: $c_member"
tail -c +"$((c_storage0 + 1))" "$WORK/logs/p2c-storage.log" >"$WORK/logs/p2c-storage-after.log"
summary "$WORK/logs/p2c-storage-after.log"
echo "  (d) coordinator, no storage node:          exit $d_rc after $d_secs s, $(bytes "$WORK/logs/p2d-coord.log") bytes"
summary "$WORK/logs/p2d-coord.log"
stop_pid "$BH"; stop_pid "$CH"; stop_pid "$CSTORE"

# ======================= 3. a hasher killed mid-run =======================
echo
echo "-- 3. kill -9 of one of 2 hasher nodes mid-run -> its batches queued again --"
P3=$WORK/p3; mkdir -p "$P3"
log "part 3: generating the $SCALE corpus"
$PY "$MAKE_CORPUS" --out "$P3/src" --scale "$SCALE" --seed 1 --week 1 >"$WORK/logs/corpus.txt"
echo "corpus: $(sed 's/.*week=/week=/' "$WORK/logs/corpus.txt")"
find "$P3/src" -type f -print0 | xargs -0 cat >/dev/null   # the page cache warm for both runs
SEED_PORT=$(free_port); SEED="akka.tcp://actorbackup@127.0.0.1:$SEED_PORT"
node_conf "$P3/storage.conf" storage "$SEED_PORT" "$SEED" store1
node_conf "$P3/hasher1.conf" hasher 0 "$SEED" hash1
node_conf "$P3/hasher2.conf" hasher 0 "$SEED" hash2
node_conf "$P3/coordinator.conf" coordinator 0 "$SEED" coord "actorbackup.cluster.stats-interval = 1s"
start_node "$P3/storage.conf" "$WORK/logs/p3-storage.log"; STORAGE=$STARTED
wait_line "$WORK/logs/p3-storage.log" "member-up .*name=store1" 90 >/dev/null || { echo "storage node did not come up"; exit 1; }
start_node "$P3/hasher1.conf" "$WORK/logs/p3-hasher1.log"; H1=$STARTED
start_node "$P3/hasher2.conf" "$WORK/logs/p3-hasher2.log"; H2=$STARTED
wait_line "$WORK/logs/p3-storage.log" "member-up .*name=hash1" 90 >/dev/null && wait_line "$WORK/logs/p3-storage.log" "member-up .*name=hash2" 90 >/dev/null \
    || { echo "hashers did not join"; exit 1; }
run3() { # NAME: a coordinator run in the background, its pid in RUN3
    "$AB" backup --cluster "$P3/coordinator.conf" --rootfolder="$P3/src" --backupfolder="$P3/$1/week1" \
        --datafolder="$P3/$1/data" --createdirs --dostats >"$WORK/logs/p3-$1.txt" 2>&1 &
    RUN3=$!
}
log "part 3: a run without a kill"
t0=$(now); run3 nokill; rc=0; wait "$RUN3" || rc=$?
echo "  run without a kill: exit $rc, $(sub "$(now)" "$t0") s; $(grep -m1 '^files hashed by node:' "$WORK/logs/p3-nokill.txt" || echo 'no files-hashed-by-node line')"
log "part 3: a run with hash2 killed"
t_start=$(now); run3 kill; PIDS+=("$RUN3")
wait_line "$WORK/logs/p3-kill.txt" ' stats .*batches_in_flight=[1-9]' 120 >/dev/null || { echo "  no stats line with batches in flight"; }
sleep 2
t_kill=$(now); kill -9 "$H2"
if q=$(wait_line "$WORK/logs/p3-kill.txt" 'queued again' 120); then t_q=$(sub "$(line_time "$q")" "$t_kill"); else t_q="never (120 s)"; q=; fi
rc=0; wait "$RUN3" || rc=$?; t_end=$(now)
echo "  run with hash2 killed $(sub "$t_kill" "$t_start") s in: 'queued again' $t_q s after the kill; run exit $rc, process ended $(sub "$t_end" "$t_kill") s after the kill, $(sub "$t_end" "$t_start") s after its start"
[ -n "$q" ] && echo "    $(echo "$q" | cut -c1-240)"
echo "    after the kill (coordinator's log; member-left of coord = its run done, leaving; the process exits once it is removed):"
grep -E 'member-(unreachable|downed|removed) .*name=hash2|member-(left|exited) .*name=coord|queued again|is gone' "$WORK/logs/p3-kill.txt" | cut -c1-240 \
    | while IFS= read -r l; do echo "    +$(sub "$(line_time "$l")" "$t_kill")s ${l#* }"; done
echo "    $(grep -m1 '^files hashed by node:' "$WORK/logs/p3-kill.txt" || echo 'no files-hashed-by-node line')"
grep -E '^(exit|warning|error)|was not published' "$WORK/logs/p3-kill.txt" | head -5 | sed 's/^/    /' || true
stop_pid "$H1"; stop_pid "$STORAGE"
[ "$KEEP" = 1 ] && { echo; echo "logs: $WORK/logs"; }
true
