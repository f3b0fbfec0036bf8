#!/usr/bin/env bash
# Cluster figures for one corpus, in one run on this machine: the single-process run vs a
# storage node + 2 hasher nodes + coordinator on loopback. Prints files/s of both and their
# ratio, the per-node split of the hashing, bytes moved on loopback vs new content bytes,
# and CPU per file of the coordinator and storage processes (coordination overhead).
#
#   tests/bench/cluster-bench.sh [--scale small|medium] [--dir DIR] [--keep]
set -euo pipefail
scale=medium; base=${TMPDIR:-/tmp}; keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale=$2; shift 2 ;;
    --dir) base=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--scale small|medium] [--dir DIR] [--keep]" >&2; exit 2 ;;
  esac
done
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "$base/actorbackup-cluster-bench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ "$keep" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

echo "date: $(date -u +%FT%TZ)  nproc: $(nproc)  commit: $(git -C "$repo" rev-parse --short HEAD)  scale: $scale"
dotnet publish "$repo/src/ActorBackup.Cli" -c Release -o "$work/bin" --artifacts-path "$work/artifacts" >/dev/null
ab="$work/bin/actorbackup"
/usr/bin/python3 "$repo/../shared/corpus/make-corpus.py" --out "$work/src" --scale "$scale" --seed 1 --week 1 >/dev/null
files=$(find "$work/src" -type f | wc -l)
find "$work/src" -type f -print0 | xargs -0 cat >/dev/null   # warm cache for both runs

cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime, in clock ticks
# On lo every byte is both sent and received: count the received side only.
lo_bytes() { awk '/ lo:/ {printf "%.0f\n", $2}' /proc/net/dev; }
tick=$(getconf CLK_TCK)

# Single process.
t0=$(date +%s.%N)
"$ab" --rootfolder="$work/src" --backupfolder="$work/single/week1" --datafolder="$work/single/data" --createdirs --dostats >"$work/single.log"
t1=$(date +%s.%N)
single=$(echo "$t1 - $t0" | bc)

# Cluster on loopback.
port=$((20000 + RANDOM % 20000))
common="akka.remote.dot-netty.tcp { hostname = 127.0.0.1, public-hostname = 127.0.0.1 }
akka.cluster.seed-nodes = [\"akka.tcp://actorbackup@127.0.0.1:$port\"]
actorbackup.cluster.stats-interval = 0s"
printf '%s\nakka.cluster.roles = [storage]\nakka.remote.dot-netty.tcp.port = %s\nactorbackup.cluster.storage.allowed-folders = ["%s"]\n' "$common" "$port" "$work" >"$work/storage.hocon"
printf '%s\nakka.cluster.roles = [hasher]\nakka.remote.dot-netty.tcp.port = 0\n' "$common" >"$work/hasher.hocon"
printf '%s\nakka.remote.dot-netty.tcp.port = 0\n' "$common" >"$work/coordinator.hocon"
"$ab" node --config "$work/storage.hocon" >"$work/storage.log" 2>&1 & pids+=($!); storage=$!
sleep 2
"$ab" node --config "$work/hasher.hocon" >"$work/hasher1.log" 2>&1 & pids+=($!)
"$ab" node --config "$work/hasher.hocon" >"$work/hasher2.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do [ "$(grep -c member-up "$work/storage.log" || true)" -ge 3 ] && break; sleep 0.2; done
storage_cpu0=$(cpu_of "$storage"); lo0=$(lo_bytes)
t0=$(date +%s.%N)
/usr/bin/time -f "%U %S" -o "$work/coord.time" "$ab" backup --cluster "$work/coordinator.hocon" --rootfolder="$work/src" \
  --backupfolder="$work/cluster/week1" --datafolder="$work/cluster/data" --dostats >"$work/cluster.log" 2>&1
t1=$(date +%s.%N)
clustered=$(echo "$t1 - $t0" | bc)
lo1=$(lo_bytes); storage_cpu1=$(cpu_of "$storage")

new_bytes=$(awk -F'[ ,]+' '/content streamed/ {print $(NF-1)}' "$work/cluster.log")
coord_cpu=$(awk '{print $1 + $2}' "$work/coord.time")
storage_cpu=$(echo "scale=2; ($storage_cpu1 - $storage_cpu0) / $tick" | bc)

echo
echo "files: $files"
printf 'single process:            %6.1f s  %6.0f files/s\n' "$single" "$(echo "$files / $single" | bc -l)"
printf 'storage + 2 hashers + coord: %4.1f s  %6.0f files/s\n' "$clustered" "$(echo "$files / $clustered" | bc -l)"
printf 'ratio cluster/single (time): %.2f\n' "$(echo "$clustered / $single" | bc -l)"
grep "files hashed by node" "$work/cluster.log"
grep "content streamed" "$work/cluster.log"
printf 'loopback bytes moved:      %d (all traffic on lo during the run)\n' "$((lo1 - lo0))"
printf 'loopback bytes / new content bytes: %.2f\n' "$(echo "($lo1 - $lo0) / $new_bytes" | bc -l)"
printf 'coordinator CPU: %.1f s = %.0f us/file;  storage node CPU: %.1f s = %.0f us/file\n' \
  "$coord_cpu" "$(echo "$coord_cpu * 1000000 / $files" | bc -l)" "$storage_cpu" "$(echo "$storage_cpu * 1000000 / $files" | bc -l)"
# Entry suffixes (HASH.1, ...) follow the order in which owners' copies arrive, so they are
# left out: paths, types, modes, owners, sizes and hashes must be identical.
diff <(grep -v '^#' "$work/single/data/.actorbackup/snapshots/week1.manifest" | cut -f1,2,3,4,5,6,12 | sort) \
     <(grep -v '^#' "$work/cluster/data/.actorbackup/snapshots/week1.manifest" | cut -f1,2,3,4,5,6,12 | sort) >/dev/null \
  && echo "manifests: identical (paths, types, modes, owners, sizes, hashes)" || { echo "manifests DIFFER"; exit 1; }
printf 'store entries: single %d, cluster %d\n' "$(find "$work/single/data" -path '*/.actorbackup' -prune -o -type f -print | wc -l)" \
  "$(find "$work/cluster/data" -path '*/.actorbackup' -prune -o -type f -print | wc -l)"
