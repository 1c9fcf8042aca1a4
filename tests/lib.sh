# shellcheck shell=sh
# lib.sh - what the shell tests share (sourced from the repository root): one line per check,
# counted, and the build targets a test needs made before it runs.
fails=0
checks=0
ok()   { checks=$((checks + 1)); echo "ok    $*"; }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL  $*"; }

# need TARGET...: make (-j1, these targets only) those that are missing or out of date
need() {
    if ! make -q "$@" 2>/dev/null; then
        echo "making $*"
        make -j1 "$@" >/dev/null || { echo "FAIL  make $*"; exit 1; }
    fi
}
