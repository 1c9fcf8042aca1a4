#!/bin/sh
# Runs each test binary given on the command line; prints a summary; exits non-zero if any failed.
# Tests that need ../shared (the reference fixtures) find it through $SHARED and say SKIP without it.
# The closing line is `tests: N passed, M failed, K skipped`: N and M count test programs (a program
# passes when it exits 0), K counts the checks they skipped (their output lines that start with
# SKIP), so that a skipped check never reads as a pass. A program's stderr goes to stdout with the
# rest of its output (both are read for SKIP lines).
fail=0; pass=0; skipped=0; n=0
out=$(mktemp "${TMPDIR:-/tmp}/run-sh.XXXXXX") || exit 1
trap 'rm -f "$out" "$out.rc"' EXIT
for t in "$@"; do
    n=$((n + 1))
    echo "== $t"
    # the program's exit status through the pipe: written to a file beside its output
    t0=$(date +%s)
    { "$t" 2>&1; echo $? > "$out.rc"; } | tee "$out"
    rc=$(cat "$out.rc" 2>/dev/null || echo 1)
    echo "== $t: $(( $(date +%s) - t0 )) s"
    s=$(grep -c '^SKIP' "$out")
    skipped=$((skipped + s))
    if [ "$rc" -eq 0 ]; then pass=$((pass + 1)); else echo "== $t FAILED (exit $rc)"; fail=$((fail + 1)); fi
done
echo "== $n test programs, $fail failed; $skipped checks skipped (lines starting with SKIP)"
echo "tests: $pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
