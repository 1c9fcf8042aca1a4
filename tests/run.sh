#!/bin/sh
# Runs each test binary given on the command line; prints a summary; exits non-zero if any failed.
# Tests that need ../shared (the reference fixtures) find it through $SHARED and say SKIP without it.
fail=0; n=0
for t in "$@"; do
    n=$((n + 1))
    echo "== $t"
    if ! "$t"; then echo "== $t FAILED"; fail=$((fail + 1)); fi
done
echo "== $n test programs, $fail failed"
[ "$fail" -eq 0 ]
