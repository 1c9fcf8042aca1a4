#!/bin/sh
# fuzz.sh - runs the libFuzzer targets built by `make fuzz` (tests/fuzz/fuzz.mk), one after the
# other, each for FUZZ_TIME seconds, and writes a summary table.
#
#   sh tools/fuzz.sh run TARGET...     fuzz each target (build/fuzz/fuzz_TARGET)
#   sh tools/fuzz.sh merge TARGET...   add to tests/fuzz/corpus/TARGET the fewest files of
#                                      build/fuzz/corpus/TARGET that bring new coverage (-merge=1)
#
# Per target: the corpus grows in build/fuzz/corpus/TARGET (seeded from tests/fuzz/corpus/TARGET,
# which is only read), crashes, leaks, timeouts and OOMs go to tests/fuzz/crashes/TARGET/, the log
# to build/fuzz/TARGET.log, one line to build/fuzz/summary.txt. Exit status 1 when anything was found.
# Environment: FUZZ_TIME (seconds per target, default 600), FUZZ_TIMEOUT (seconds one input may
# take, default 10), FUZZ_RSS_MB (default 2048), FUZZ_ARGS (more libFuzzer options), B (build).
B=${B:-build}
FUZZ_TIME=${FUZZ_TIME:-600}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048}
mode=$1
shift

# libFuzzer options of one target
opts() {
    case $1 in
    safetensors) echo "-max_len=200000" ;;
    tokenizer) echo "-max_len=16384" ;;
    merges) echo "-max_len=65536" ;;
    cli) echo "-close_fd_mask=2" ;;   # parse_args' one-line messages would flood the log
    *) echo "" ;;
    esac
}

case $mode in
run)
    mkdir -p "$B/fuzz"
    summary="$B/fuzz/summary.txt"
    found_any=0
    printf '%-12s %8s %12s %8s %8s  %s\n' target seconds executions exec/s corpus findings > "$summary"
    for t in "$@"; do
        bin="$B/fuzz/fuzz_$t"
        corpus="$B/fuzz/corpus/$t"
        crashes="tests/fuzz/crashes/$t"
        log="$B/fuzz/$t.log"
        dict=""
        [ -f "tests/fuzz/dict/$t.dict" ] && dict="-dict=tests/fuzz/dict/$t.dict"
        mkdir -p "$corpus" "$crashes"
        before=$(ls "$crashes" | wc -l)
        start=$(date +%s)
        echo "fuzz: $t for $FUZZ_TIME s (log $log)"
        # shellcheck disable=SC2046
        "$bin" -max_total_time="$FUZZ_TIME" -print_final_stats=1 -timeout="$FUZZ_TIMEOUT" -rss_limit_mb="$FUZZ_RSS_MB" \
            -artifact_prefix="$crashes/" $(opts "$t") $dict $FUZZ_ARGS "$corpus" "tests/fuzz/corpus/$t" > "$log" 2>&1
        rc=$?
        secs=$(( $(date +%s) - start ))
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
        size=$(ls "$corpus" | wc -l)
        after=$(ls "$crashes" | wc -l)
        if [ "$rc" -ne 0 ] || [ "$after" -ne "$before" ]; then
            found="FOUND: $(grep -m1 -E 'ERROR: |runtime error|invariant broken|deadly signal|Test unit written' "$log" | cut -c1-120)"
            new=$(ls -t "$crashes" | head -1)
            [ -n "$new" ] && found="$found -> $crashes/$new"
            found_any=1
        else
            found="none"
        fi
        printf '%-12s %8s %12s %8s %8s  %s\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" "$size" "$found" | tee -a "$summary"
    done
    echo "fuzz: summary in $summary"
    cat "$summary"
    exit $found_any
    ;;
merge)
    # keeps every file already in tests/fuzz/corpus/TARGET and adds the fewest from the build
    # corpus that bring new edges (-use_counters=0: edges, not hit counts, so the set stays small;
    # -max_len=65535 keeps each file under 64 KB)
    for t in "$@"; do
        mkdir -p "$B/fuzz/corpus/$t"
        n0=$(ls "tests/fuzz/corpus/$t" | wc -l)
        # shellcheck disable=SC2046
        "$B/fuzz/fuzz_$t" -merge=1 -use_counters=0 -max_len=65535 $(opts "$t" | sed 's/-max_len=[0-9]*//') -timeout="$FUZZ_TIMEOUT" \
            -rss_limit_mb="$FUZZ_RSS_MB" "tests/fuzz/corpus/$t" "$B/fuzz/corpus/$t" > "$B/fuzz/merge-$t.log" 2>&1 \
            || { echo "fuzz: merge of $t failed (see $B/fuzz/merge-$t.log)"; exit 1; }
        echo "fuzz: $t: $n0 -> $(ls "tests/fuzz/corpus/$t" | wc -l) files, $(du -sk "tests/fuzz/corpus/$t" | cut -f1) KB"
    done
    ;;
*)
    echo "usage: sh tools/fuzz.sh run|merge TARGET..." >&2
    exit 2
    ;;
esac
