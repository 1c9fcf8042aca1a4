#!/bin/sh
# Runs each test binary given on the command line; prints a summary; exits non-zero if any failed.
# Tests that need ../shared (the reference fixtures) find it through $SHARED and say SKIP without it.
# The closing line is `tests: N passed, M failed, K skipped`: N and M count test programs (a program
# passes when it exits 0), K counts the checks they skipped (their output lines that start with
# SKIP), so that a skipped check never reads as a pass. A program's stderr goes to stdout with the
# rest of its output (both are read for SKIP lines).
#
# TEST_JOBS programs run at once (default: one a CPU), each into its own file; their outputs are
# printed whole and in the order given, each as soon as it and the ones before it are done. With
# more than one at a time OpenMP's idle threads sleep instead of spinning (OMP_WAIT_POLICY=passive),
# so that two programs sharing the cores do not wait on each other's spinning threads.
jobs=${TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
[ "$jobs" -gt 1 ] && { OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}; export OMP_WAIT_POLICY; }
fail=0; pass=0; skipped=0; n=0
dir=$(mktemp -d "${TMPDIR:-/tmp}/run-sh.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
i=0
for t in "$@"; do i=$((i + 1)); printf '%s\n%s\n' "$i" "$t"; done |
    xargs -n 2 -P "$jobs" sh -c 't0=$(date +%s); "$2" > "$0/$1.out" 2>&1; rc=$?
        echo "$(( $(date +%s) - t0 ))" > "$0/$1.time"; echo "$rc" > "$0/$1.tmp"; mv "$0/$1.tmp" "$0/$1.rc"' "$dir" &
for t in "$@"; do
    n=$((n + 1))
    while [ ! -f "$dir/$n.rc" ]; do sleep 1; done
    echo "== $t"
    cat "$dir/$n.out"
    rc=$(cat "$dir/$n.rc")
    echo "== $t: $(cat "$dir/$n.time") s"
    s=$(grep -c '^SKIP' "$dir/$n.out")
    skipped=$((skipped + s))
    if [ "$rc" -eq 0 ]; then pass=$((pass + 1)); else echo "== $t FAILED (exit $rc)"; fail=$((fail + 1)); fi
done
wait
echo "== $n test programs, $fail failed; $skipped checks skipped (lines starting with SKIP)"
echo "tests: $pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
