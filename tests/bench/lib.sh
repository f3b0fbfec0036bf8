# lib.sh - what the A/B benchmarks share: sourced, not run. Needs WORK (the work folder,
# with a logs/ subfolder) and REPO set by the script that sources it.

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# publish NAME REV|"": a self-contained build of REV (a clean `git archive` copy; "" is the
# working tree) in $WORK/NAME
publish() {
    local name=$1 rev=$2 src=$REPO
    if [ -n "$rev" ]; then
        mkdir -p "$WORK/src-$name"
        git -C "$REPO" archive --format=tar "$rev" | tar -x -C "$WORK/src-$name"
        src=$WORK/src-$name
    fi
    TMPDIR=$WORK "$src/deploy/publish.sh" "$WORK/$name" >"$WORK/logs/publish-$name.log" 2>&1 \
        || { tail -30 "$WORK/logs/publish-$name.log" >&2; exit 1; }
}

# run BUILD STORE WEEK SOURCE: one backup of SOURCE into STORE by $WORK/BUILD; prints its wall
# seconds; its output goes to $WORK/logs/STORE-weekWEEK.txt
run() {
    local build=$1 store=$2 week=$3 src=$4 start end
    start=$(date +%s.%N)
    "$WORK/$build/actorbackup" --rootfolder="$src" --backupfolder="$store/snapshots/week$week" \
        --datafolder="$store/data" --createdirs --dostats >"$WORK/logs/$(basename "$store")-week$week.txt" 2>&1 \
        || { echo "run failed: $build week $week:" >&2; tail "$WORK/logs/$(basename "$store")-week$week.txt" >&2; exit 1; }
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

# median: of the numbers on standard input, one per line
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# turns SCALE SEED REPEAT HOME: week 1 and week 2 of the corpus in HOME, each backed up
# REPEAT times by the builds "base" and "head" taking turns (a fresh store per build and
# run); fills T[build,week,run] and prints the table with per-pair ratios and medians.
declare -A T
turns() {
    local scale=$1 seed=$2 repeat=$3 home=$4 week i build line med ratios
    log "generating week 1 ($scale)"
    $PY "$MAKE_CORPUS" --out "$home" --scale "$scale" --seed "$seed" --week 1 >"$WORK/logs/corpus1.txt"
    echo "week 1: $(cat "$WORK/logs/corpus1.txt")"
    for week in 1 2; do
        if [ "$week" = 2 ]; then
            log "moving the corpus to week 2 in place"
            $PY "$MAKE_CORPUS" --out "$home" --scale "$scale" --seed "$seed" --week 2 --inplace >"$WORK/logs/corpus2.txt"
            echo "week 2: $(cat "$WORK/logs/corpus2.txt")"
        fi
        for i in $(seq 1 "$repeat"); do
            for build in base head; do
                log "week $week, run $i, $build"
                T[$build,$week,$i]=$(run "$build" "$WORK/store-$build-$i" "$week" "$home")
            done
            sync
        done
    done
    echo
    printf '%-6s %-5s %s\n' week build "wall seconds per run (median)"
    for week in 1 2; do
        for build in base head; do
            line=""
            for i in $(seq 1 "$repeat"); do line+=$(printf '%7.2f' "${T[$build,$week,$i]}"); done
            med=$(for i in $(seq 1 "$repeat"); do echo "${T[$build,$week,$i]}"; done | median)
            printf '%-6s %-5s %s   (%.2f)\n' "$week" "$build" "$line" "$med"
        done
    done
    for week in 1 2; do
        ratios=""
        for i in $(seq 1 "$repeat"); do
            ratios+=$(echo "${T[head,$week,$i]} / ${T[base,$week,$i]}" | bc -l | xargs printf ' %.3f')
        done
        med=$(for r in $ratios; do echo "$r"; done | median)
        echo "week $week head/base per pair:$ratios; median $(printf '%.3f' "$med")"
    done
}
