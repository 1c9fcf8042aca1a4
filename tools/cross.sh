#!/bin/sh
# tools/cross.sh - the test suite, sd and the conformance run on other CPUs: big-endian (s390x),
# 32-bit (armhf, i386), aarch64 and riscv64, built with Debian's cross compilers as static binaries
# and run under qemu-user (i386 runs natively when the kernel allows, else under qemu-i386).
#
#   sh tools/cross.sh [--quick] [TARGET...]     TARGET: s390x armhf aarch64 riscv64 i386 wasm
#
# No TARGET: every target whose compiler and emulator are installed (the others say SKIP).
# A TARGET named on the command line that cannot be built counts as a failure.
# --quick (or CROSS_QUICK=1), the CI mode: the tests with SD_TEST_QUICK=1 and no -Werror build
# matrix; the conformance run is complete either way (tokenizer, noise, stages and pipelines).
#
# Per target, everything goes under build/cross/<target>/: bin/ holds the binaries, run/ is the
# directory the tests run in (their build/tests-tmp, build/mkmodel -> the cross mkmodel under qemu,
# tests -> the checkout's tests/), logs/ one log per step, sd a wrapper that runs bin/sd under
# qemu for tools/conformance.py. The native build (build/sd, build/test_*, build/tests-tmp) is never
# touched, so this can run beside `make test`. The table is printed and written to
# build/cross/results.txt; the exit status is non-zero if anything failed.
#
# Packages (Debian 12): gcc-s390x-linux-gnu gcc-arm-linux-gnueabihf gcc-aarch64-linux-gnu
# gcc-riscv64-linux-gnu libc6-dev-{s390x,armhf,arm64,riscv64}-cross qemu-user, and for i386 either
# gcc-multilib (gcc -m32) or gcc-i686-linux-gnu + libc6-dev-i386-cross (gcc-multilib conflicts
# with the cross compilers of other architectures; one of the two is enough). wasm: emscripten
# and node. CROSS_PATH is put in front of PATH (a folder holding <triple>-gcc[-N]).
#
# i386 is built with -msse2 -mfpmath=sse: x87 excess precision rounds differently from every
# other target (the results would still be close, but not bit-for-bit the same kind of float32).
# Environment: SHARED (default ../shared), CROSS_QUICK, CROSS_PATH, CROSS_HEADER (build against
# this copy of sd.h instead of the checkout's, e.g. to try a fix: the sources are linked into
# build/cross/src/). One compile and one emulated program run at a time.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
[ -n "${CROSS_PATH:-}" ] && PATH="$CROSS_PATH:$PATH" && export PATH
QUICK=${CROSS_QUICK:-0}
targets=""
explicit=0
for a in "$@"; do
    case $a in
    --quick) QUICK=1 ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    s390x|armhf|aarch64|riscv64|i386|wasm) targets="$targets $a"; explicit=1 ;;
    *) echo "cross.sh: unknown target '$a' (s390x armhf aarch64 riscv64 i386 wasm)" >&2; exit 2 ;;
    esac
done
[ -z "$targets" ] && targets="s390x armhf aarch64 riscv64 i386 wasm"

SH=${SHARED:-../shared}
case $SH in /*) ;; *) SH=$ROOT/$SH ;; esac
have_shared=0
[ -f "$SH/tools/conformance.py" ] && [ -f "$SH/fixtures/sd1-tiny/cases.json" ] && have_shared=1

OUT=$ROOT/build/cross
mkdir -p "$OUT"
SRC=$ROOT
if [ -n "${CROSS_HEADER:-}" ]; then   # a private tree: the given sd.h, links to everything else
    case $CROSS_HEADER in /*) hdr=$CROSS_HEADER ;; *) hdr=$ROOT/$CROSS_HEADER ;; esac
    [ -f "$hdr" ] || { echo "cross.sh: no $hdr" >&2; exit 2; }
    SRC=$OUT/src
    rm -rf "$SRC"; mkdir -p "$SRC/tests/build" "$SRC/tools"
    cp "$hdr" "$SRC/sd.h"
    for f in tests/*.c tests/*.h tools/*.c tools/*.h; do ln -s "$ROOT/$f" "$SRC/$f"; done
    for f in tests/build/*.c; do ln -s "$ROOT/$f" "$SRC/$f"; done
    echo "cross.sh: sd.h from $hdr"
fi
RES=$OUT/results.txt
: > "$OUT/.rows"
W="-std=c99 -Wall -Wextra -pedantic -Werror -ffp-contract=off"
fail_total=0

now() { date +%s; }

# the first of these commands that exists
first_cmd() {
    for c in "$@"; do command -v "$c" >/dev/null 2>&1 && { echo "$c"; return 0; }; done
    return 1
}
# <triple>-gcc, else the newest <triple>-gcc-N on PATH
find_gcc() {
    command -v "$1-gcc" >/dev/null 2>&1 && { echo "$1-gcc"; return 0; }
    for v in 14 13 12 11 10; do command -v "$1-gcc-$v" >/dev/null 2>&1 && { echo "$1-gcc-$v"; return 0; }; done
    return 1
}

# sets CC CFLAGS_T LDFLAGS_T RUN (the emulator, or empty: native) EXE (binary suffix); 1 = unavailable (WHY)
setup_target() {
    CFLAGS_T="-O2"; LDFLAGS_T="-static"; RUN=""; EXE=""; WHY=""
    case $1 in
    s390x) tr=s390x-linux-gnu; emu=qemu-s390x ;;
    armhf) tr=arm-linux-gnueabihf; emu=qemu-arm ;;
    aarch64) tr=aarch64-linux-gnu; emu=qemu-aarch64 ;;
    riscv64) tr=riscv64-linux-gnu; emu=qemu-riscv64 ;;
    i386)
        CFLAGS_T="-O2 -msse2 -mfpmath=sse"
        printf 'int main(void){return 0;}\n' > "$OUT/.probe.c"
        if command -v gcc >/dev/null 2>&1 && gcc -m32 -static -o "$OUT/.probe" "$OUT/.probe.c" 2>/dev/null; then CC="gcc -m32"
        elif CC=$(find_gcc i686-linux-gnu) && $CC -static -o "$OUT/.probe" "$OUT/.probe.c" 2>/dev/null; then :
        else WHY="neither gcc -m32 (gcc-multilib) nor i686-linux-gnu-gcc (gcc-i686-linux-gnu, libc6-dev-i386-cross) links"; return 1
        fi
        if "$OUT/.probe" 2>/dev/null; then RUN=""
        elif command -v qemu-i386 >/dev/null 2>&1 && qemu-i386 "$OUT/.probe"; then RUN=qemu-i386
        else WHY="32-bit x86 programs do not run here and there is no qemu-i386"; return 1
        fi
        return 0 ;;
    wasm)
        CC=$(first_cmd emcc) || { WHY="no emcc (apt-get install emscripten)"; return 1; }
        command -v node >/dev/null 2>&1 || { WHY="no node"; return 1; }
        # NODERAWFS: the program sees the real file system; memory grows on demand (the pipeline
        # needs some tens of MB); no -Werror here: emscripten's own headers are not -pedantic clean
        CFLAGS_T="-O2"; LDFLAGS_T="-sALLOW_MEMORY_GROWTH=1 -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sSTACK_SIZE=4MB"
        RUN=node; EXE=.js
        return 0 ;;
    esac
    CC=$(find_gcc $tr) || { WHY="no $tr-gcc (apt-get install gcc-$tr)"; return 1; }
    RUN=$(first_cmd $emu) || { WHY="no $emu (apt-get install qemu-user)"; return 1; }
    printf 'int main(void){return 0;}\n' > "$OUT/.probe.c"
    $CC -static -o "$OUT/.probe" "$OUT/.probe.c" 2>"$OUT/.probe.log" || { WHY="$CC cannot link a static program (the libc6-dev cross package?): $(head -1 "$OUT/.probe.log")"; return 1; }
    $RUN "$OUT/.probe" || { WHY="$RUN cannot run a $CC program"; return 1; }
    return 0
}

# one step: NAME LOGFILE command...; counts it, prints ok/FAIL with the seconds it took
step() {
    sname=$1; slog=$2; shift 2
    t0=$(now)
    if "$@" >"$slog" 2>&1; then r=0; else r=1; fi
    dt=$(( $(now) - t0 ))
    n_steps=$((n_steps + 1))
    if [ $r -eq 0 ]; then n_ok=$((n_ok + 1)); printf '  ok   %-28s %4d s\n' "$sname" "$dt"
    else printf '  FAIL %-28s %4d s  (%s)\n' "$sname" "$dt" "$slog"; grep -E '^FAIL|error|Error|FAILED|Assertion|Segmentation|core dumped|timed out' "$slog" | head -15 | sed 's/^/       /'
    fi
    return $r
}

build() {   # output, sources and flags...
    o=$1; shift
    # shellcheck disable=SC2086
    $CC $CFLAGS_T $Wt "$@" -o "$o" $LDFLAGS_T -lm
}

run_target() {
    t=$1
    D=$OUT/$t
    t_start=$(now)
    n_steps=0; n_ok=0; conf="-"
    echo "=== $t"
    if ! setup_target "$t"; then
        if [ $explicit -eq 1 ]; then echo "  FAIL $t: $WHY"; fail_total=$((fail_total + 1)); printf '%s|%s|%s|%s|%s\n' "$t" "-" "not built" "-" "-" >> "$OUT/.rows"
        else echo "  SKIP $t: $WHY"; printf '%s|%s|%s|%s|%s\n' "$t" "-" "SKIP" "-" "-" >> "$OUT/.rows"; fi
        return
    fi
    ver=$($CC -dumpfullversion 2>/dev/null || $CC -dumpversion 2>/dev/null)
    case $t in wasm) ver=$($CC --version 2>/dev/null | head -1 | sed 's/.*) //; s/ (.*//') ;; esac
    ccname="${CC%% *}"; ccname="${ccname##*/}"; [ "$CC" = "gcc -m32" ] && ccname="gcc -m32"
    echo "  compiler: $CC $ver  flags: $CFLAGS_T  run: ${RUN:-native}"
    rm -rf "$D/bin" "$D/logs" "$D/conf"
    mkdir -p "$D/bin" "$D/logs" "$D/run/build" "$D/conf"
    # the directory the tests run in: tests/ for their data, build/mkmodel for the models they make
    ln -sfn "$ROOT/tests" "$D/run/tests"
    rm -rf "$D/run/build/tests-tmp"
    Wt=$W; [ "$t" = wasm ] && Wt="-std=c99 -Wall -Wextra -ffp-contract=off"
    printf '#!/bin/sh\nexec %s "%s/bin/mkmodel%s" "$@"\n' "$RUN" "$D" "$EXE" > "$D/run/build/mkmodel"
    printf '#!/bin/sh\nexec %s "%s/bin/sd%s" "$@"\n' "$RUN" "$D" "$EXE" > "$D/sd"
    chmod +x "$D/run/build/mkmodel" "$D/sd"

    # builds: sd, mkmodel, every test program (a failed build is a failed step)
    step "build sd" "$D/logs/build-sd.log" build "$D/bin/sd$EXE" "$SRC/tools/sd.c"
    step "build mkmodel" "$D/logs/build-mkmodel.log" build "$D/bin/mkmodel$EXE" "$SRC/tools/mkmodel.c"
    tests=""
    for src in tests/test_*.c; do
        name=$(basename "$src" .c)
        case $t in wasm) case $name in test_threads) continue ;; esac ;; esac   # no pthreads without -pthread workers
        if step "build $name" "$D/logs/build-$name.log" build "$D/bin/$name$EXE" "$SRC/$src" -lpthread; then tests="$tests $name"; fi
    done

    # the model writer on this CPU: the same bytes as the host's writer
    if command -v cc >/dev/null 2>&1 && [ "$t" != wasm ]; then
        mkdir -p "$OUT/host"
        [ "$OUT/host/mkmodel" -nt tools/mkmodel.c ] || cc -O2 -o "$OUT/host/mkmodel" tools/mkmodel.c -lm 2>"$OUT/host/build.log"
        step "mkmodel bytes = host's" "$D/logs/mkmodel-same.log" sh -c '
            set -e; h=$1; d=$2
            $h --config tiny -o "$d/run/build/tiny-host.safetensors"
            "$d/run/build/mkmodel" --config tiny -o "$d/run/build/tiny.safetensors"
            cmp "$d/run/build/tiny-host.safetensors" "$d/run/build/tiny.safetensors"
            $h --vocab-out "$d/run/build/tiny-merges-host.txt"
            "$d/run/build/mkmodel" --vocab-out "$d/run/build/tiny-merges.txt"
            cmp "$d/run/build/tiny-merges-host.txt" "$d/run/build/tiny-merges.txt"
            echo "tiny model and vocabulary: identical bytes"' sh "$OUT/host/mkmodel" "$D"
        # a txt2img run on that model: it loads what this CPU wrote and writes a PNG sd can read back
        step "txt2img on tiny model" "$D/logs/txt2img.log" sh -c '
            set -e; d=$1; cd "$d/run"
            ../sd -m build/tiny.safetensors --vocab build/tiny-merges.txt -p "a lighthouse at dawn" -W 64 -H 64 --steps 2 -s 7 -o build/tiny.png --quiet
            ../sd info build/tiny.png' sh "$D"
    fi

    # the test programs, in run/ (SD_TEST_QUICK in the quick mode)
    for name in $tests; do
        if [ "$QUICK" = 1 ]; then
            step "$name (quick)" "$D/logs/$name.log" env -C "$D/run" SHARED="$SH" SD_TEST_QUICK=1 $RUN "$D/bin/$name$EXE"
        else
            step "$name" "$D/logs/$name.log" env -C "$D/run" SHARED="$SH" $RUN "$D/bin/$name$EXE"
        fi
    done

    # the header's build matrix (tests/test_build.sh's C builds) with this compiler, -Werror
    if [ "$QUICK" != 1 ] && [ "$t" != wasm ]; then
        bm() {   # name, flags and sources
            bn=$1; shift
            # shellcheck disable=SC2086
            $CC $CFLAGS_T $W "$@" -o "$D/bin/build-$bn" $LDFLAGS_T -lm && (cd "$D/run" && $RUN "$D/bin/build-$bn")
        }
        step "build: openmp" "$D/logs/bm-openmp.log" bm openmp -fopenmp "$SRC/tests/build/one.c"
        step "build: SD_NO_MMAP" "$D/logs/bm-nommap.log" bm nommap -DSD_NO_MMAP "$SRC/tests/build/one.c"
        step "build: SD_REFERENCE" "$D/logs/bm-ref.log" bm ref -DSD_REFERENCE "$SRC/tests/build/one.c"
        step "build: no stdio" "$D/logs/bm-nostdio.log" bm nostdio "$SRC/tests/build/memory_only.c"
        step "build: SD_STATIC twice" "$D/logs/bm-twice.log" bm twice "$SRC/tests/build/two_a.c" "$SRC/tests/build/two_b.c"
    fi
    tests_line="$n_ok/$n_steps"

    # the conformance suite against the fixtures, default bounds
    if [ $have_shared -eq 1 ] && [ -f "$D/bin/sd$EXE" ]; then
        t0=$(now)
        (cd "$D/conf" && python3 "$SH/tools/conformance.py" --sd "$D/sd" --fixtures "$SH/fixtures/sd1-tiny" \
            --vocab "$SH/clip-vocab/merges.txt") > "$D/logs/conformance.log" 2>&1
        crc=$?
        dt=$(( $(now) - t0 ))
        conf=$(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$D/logs/conformance.log" | tail -1)
        if [ -n "$conf" ]; then
            p=${conf%% passed*}; f=${conf#*, }; f=${f%% failed*}; conf="$p/$((p + f))"
        else conf="error"; fi
        if [ $crc -eq 0 ]; then printf '  ok   %-28s %4d s  %s\n' "conformance" "$dt" "$conf"
        else printf '  FAIL %-28s %4d s  %s (%s)\n' "conformance" "$dt" "$conf" "$D/logs/conformance.log"
             grep -v '^ *$' "$D/logs/conformance.log" | grep -iv '^ *ok\b' | head -30 | sed 's/^/       /'
             fail_total=$((fail_total + 1)); fi
    elif [ $have_shared -eq 0 ]; then echo "  SKIP conformance (no $SH/tools/conformance.py and fixtures)"; conf="SKIP"
    else echo "  FAIL conformance: sd did not build"; conf="not run"; fail_total=$((fail_total + 1))
    fi
    [ $n_ok -eq $n_steps ] || fail_total=$((fail_total + 1))
    secs=$(( $(now) - t_start ))
    printf '%s|%s|%s|%s|%s\n' "$t" "$ccname $ver${RUN:+ ($RUN)}" "$tests_line" "$conf" "$((secs / 60))m$((secs % 60))s" >> "$OUT/.rows"
}

t_all=$(now)
for t in $targets; do run_target "$t"; done
{
    echo "cross.sh $(date -u '+%Y-%m-%d %H:%M UTC')  mode: $([ "$QUICK" = 1 ] && echo quick || echo full)${CROSS_HEADER:+  sd.h: $CROSS_HEADER}  flags: -O2 $W -static (i386: + -msse2 -mfpmath=sse)"
    printf '%-8s | %-40s | %-12s | %-11s | %s\n' target "compiler (run)" "tests" conformance time
    printf '%-8s-|-%-40s-|-%-12s-|-%-11s-|-%s\n' -------- ---------------------------------------- ------------ ----------- -------
    while IFS='|' read -r a b c d e; do printf '%-8s | %-40s | %-12s | %-11s | %s\n' "$a" "$b" "$c" "$d" "$e"; done < "$OUT/.rows"
    s=$(( $(now) - t_all )); echo "total $((s / 60))m$((s % 60))s; $([ $fail_total -eq 0 ] && echo 'all passed' || echo "$fail_total target(s) FAILED")"
} > "$RES"
rm -f "$OUT/.rows" "$OUT/.probe" "$OUT/.probe.c" "$OUT/.probe.log"
echo
cat "$RES"
[ $fail_total -eq 0 ]
