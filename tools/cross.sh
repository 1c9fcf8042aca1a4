#!/bin/sh
# tools/cross.sh - the test suite, sd and the conformance run on other CPUs: big-endian (s390x),
# 32-bit (armhf, i386), aarch64 and riscv64, built with Debian's cross compilers as static binaries
# and run under qemu-user (i386 runs natively when the kernel allows, else under qemu-i386); wasm
# with emscripten under node.
#
#   sh tools/cross.sh [--quick] [-j N] [TARGET...]   TARGET: s390x armhf aarch64 riscv64 i386 wasm
#                                                     (and i386-x87, only when named)
# No TARGET: every target whose compiler and emulator are installed (the others say SKIP).
# A TARGET named on the command line that cannot be built counts as a failure.
# Full mode: sd, mkmodel and every tests/test_*.c built with -O2 -std=c99 -Wall -Wextra -pedantic
#   -Werror -ffp-contract=off -static; mkmodel's tiny model and vocabulary byte-compared with the
#   host's; a txt2img on that model; every test program (SD_TEST_QUICK=1 for the slow ones, $SLOW
#   below); the -Werror build matrix of tests/test_build.sh (OpenMP, SD_NO_MMAP, SD_REFERENCE, no
#   stdio, SD_STATIC twice); the complete conformance run (tools/conformance.py, default bounds).
# --quick (or CROSS_QUICK=1), the CI mode (about 2 minutes a target on one core): the test programs
#   whose results are exact ($QUICK_TESTS), the mkmodel byte check and the conformance stages in
#   $QUICK_STAGES, the pipeline stage with one case only ($QUICK_PIPELINE); no UNet, VAE or
#   build matrix.
# -j N (or CROSS_JOBS=N): N targets at a time (each runs one program at a time); default 1.
#
# Per target, everything goes under build/cross/<target>/: bin/ the binaries, run/ the directory
# the tests run in (build/tests-tmp, build/mkmodel -> the cross mkmodel under qemu, tests -> the
# checkout's tests/), logs/ one log per step, sd a wrapper that runs bin/sd under qemu for
# conformance.py. The native build (build/sd, build/test_*, build/tests-tmp) is never touched, so
# this runs beside `make test`. The table goes to stdout and build/cross/results.txt, its last line
# counts the targets (passed, failed, skipped). Exit status: 0 no target failed and at least one ran,
# 77 every target was skipped (the automake convention: nothing could be tested here), 1 a target
# failed.
#
# Packages (Debian 12): gcc-s390x-linux-gnu gcc-arm-linux-gnueabihf gcc-aarch64-linux-gnu
# gcc-riscv64-linux-gnu libc6-dev-{s390x,armhf,arm64,riscv64}-cross qemu-user; for i386 either
# gcc-multilib (gcc -m32) or gcc-i686-linux-gnu + libc6-dev-i386-cross (gcc-multilib conflicts
# with the cross compilers above: apt removes them when it is installed). wasm: emscripten, node.
# i386 is built with -msse2 -mfpmath=sse (x87 evaluates float expressions in long double);
# i386-x87 is the same with -march=i686 -mfpmath=387, gcc's default for 32-bit x86.
# Environment: SHARED (default ../shared), CROSS_QUICK, CROSS_JOBS, CROSS_PATH (put in front of
# PATH: a folder holding <triple>-gcc[-N]; build/cross/toolchain/usr/bin, where .ci/cross unpacks
# a cross gcc when gcc-multilib blocks the package, is used when present), CROSS_HEADER (build against this copy of sd.h, e.g. to
# try a fix: the sources are then linked into build/cross/src/), CROSS_TESTS (the test programs to
# run, names without .c), CROSS_STAGES (conformance stages, comma-separated; empty: all),
# CROSS_PIPELINE (the pipeline cases to run, by name, space-separated; empty: all), CROSS_OUT (the
# folder instead of build/cross, e.g. to run a quick check beside a full run), CROSS_REV (build
# the sources, tests and sd.h of this commit, extracted into build/cross/src, while the work tree
# changes; with CROSS_HEADER, that sd.h instead of the commit's). CROSS_HEADER alone links the work
# tree's tests: a header older than the tests may not build them.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
[ -d "$ROOT/build/cross/toolchain/usr/bin" ] && PATH="$ROOT/build/cross/toolchain/usr/bin:$PATH"   # .ci/cross unpacks there
[ -n "${CROSS_PATH:-}" ] && PATH="$CROSS_PATH:$PATH"
export PATH
QUICK=${CROSS_QUICK:-0}
JOBS=${CROSS_JOBS:-1}
SLOW="test_loader test_pipeline test_threads test_unet test_vae"       # SD_TEST_QUICK=1 even in full mode
QUICK_TESTS="test_tokenizer test_rng test_npy test_schedule"
QUICK_STAGES="tokenize,randn,schedule,text,pipeline"
QUICK_PIPELINE="t2i-euler_a"   # the cheapest pipeline case: 6 steps at 80x64, ancestral noise
targets=""
explicit=0
while [ $# -gt 0 ]; do
    case $1 in
    --quick) QUICK=1 ;;
    -j) shift; JOBS=${1:-1} ;;
    -j*) JOBS=${1#-j} ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    s390x|armhf|aarch64|riscv64|i386|i386-x87|wasm) targets="$targets $1"; explicit=1 ;;
    *) echo "cross.sh: unknown argument '$1' (--quick, -j N, s390x armhf aarch64 riscv64 i386 i386-x87 wasm)" >&2; exit 2 ;;
    esac
    shift
done
[ -z "$targets" ] && targets="s390x armhf aarch64 riscv64 i386 wasm"
if [ "$QUICK" = 1 ]; then STAGES=${CROSS_STAGES-$QUICK_STAGES}; TESTS_WANTED=${CROSS_TESTS-$QUICK_TESTS}; PIPES=${CROSS_PIPELINE-$QUICK_PIPELINE}
else STAGES=${CROSS_STAGES-}; TESTS_WANTED=${CROSS_TESTS-}; PIPES=${CROSS_PIPELINE-}; fi

SH=${SHARED:-../shared}
case $SH in /*) ;; *) SH=$ROOT/$SH ;; esac
have_shared=0
[ -f "$SH/tools/conformance.py" ] && [ -f "$SH/fixtures/sd1-tiny/cases.json" ] && have_shared=1

OUT=${CROSS_OUT:-$ROOT/build/cross}
case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac
mkdir -p "$OUT"
SRC=$ROOT
if [ -n "${CROSS_REV:-}" ]; then   # sources, tests and sd.h of one commit (the work tree may be changing)
    SRC=$OUT/src
    rm -rf "$SRC"; mkdir -p "$SRC"
    git archive "$CROSS_REV" sd.h tests tools | tar -x -C "$SRC" || { echo "cross.sh: cannot extract $CROSS_REV" >&2; exit 2; }
    [ -n "${CROSS_HEADER:-}" ] && { cp "$CROSS_HEADER" "$SRC/sd.h" || exit 2; }
    echo "cross.sh: sources of $(git rev-parse --short "$CROSS_REV")${CROSS_HEADER:+, sd.h from $CROSS_HEADER}"
elif [ -n "${CROSS_HEADER:-}" ]; then   # a private tree: the given sd.h, links to everything else
    case $CROSS_HEADER in /*) hdr=$CROSS_HEADER ;; *) hdr=$ROOT/$CROSS_HEADER ;; esac
    [ -f "$hdr" ] || { echo "cross.sh: no $hdr" >&2; exit 2; }
    SRC=$OUT/src
    rm -rf "$SRC"; mkdir -p "$SRC/tests/build" "$SRC/tools"
    cp "$hdr" "$SRC/sd.h"
    for f in tests/*.c tests/*.h tools/*.c tools/*.h tests/build/*.c; do ln -s "$ROOT/$f" "$SRC/$f"; done
    echo "cross.sh: sd.h from $hdr"
fi
W="-std=c99 -Wall -Wextra -pedantic -Werror -ffp-contract=off"

now() { date +%s; }
first_cmd() {   # the first of these commands that exists
    for c in "$@"; do command -v "$c" >/dev/null 2>&1 && { echo "$c"; return 0; }; done
    return 1
}
find_gcc() {    # <triple>-gcc, else the newest <triple>-gcc-N
    command -v "$1-gcc" >/dev/null 2>&1 && { echo "$1-gcc"; return 0; }
    for v in 15 14 13 12 11 10; do command -v "$1-gcc-$v" >/dev/null 2>&1 && { echo "$1-gcc-$v"; return 0; }; done
    return 1
}

# sets CC CFLAGS_T LDFLAGS_T WT (warnings) RUN (emulator; empty: native) EXE; 1 = unavailable (WHY)
setup_target() {
    CFLAGS_T="-O2"; LDFLAGS_T="-static"; RUN=""; EXE=""; WHY=""; WT=$W
    mkdir -p "$D"
    printf 'int main(void){return 0;}\n' > "$D/.probe.c"
    case $1 in
    s390x) tr=s390x-linux-gnu; emu=qemu-s390x ;;
    armhf) tr=arm-linux-gnueabihf; emu=qemu-arm ;;
    aarch64) tr=aarch64-linux-gnu; emu=qemu-aarch64 ;;
    riscv64) tr=riscv64-linux-gnu; emu=qemu-riscv64 ;;
    i386|i386-x87)
        CFLAGS_T="-O2 -msse2 -mfpmath=sse"
        [ "$1" = i386-x87 ] && CFLAGS_T="-O2 -march=i686 -mfpmath=387"   # what a Debian i386 build does
        if command -v gcc >/dev/null 2>&1 && gcc -m32 -static -o "$D/.probe" "$D/.probe.c" 2>/dev/null; then CC="gcc -m32"
        elif CC=$(find_gcc i686-linux-gnu) && $CC -static -o "$D/.probe" "$D/.probe.c" 2>/dev/null; then :
        else WHY="neither gcc -m32 (gcc-multilib) nor i686-linux-gnu-gcc (gcc-i686-linux-gnu, libc6-dev-i386-cross) links"; return 1
        fi
        if "$D/.probe" 2>/dev/null; then RUN=""
        elif command -v qemu-i386 >/dev/null 2>&1 && qemu-i386 "$D/.probe"; then RUN=qemu-i386
        else WHY="32-bit x86 programs do not run here and there is no qemu-i386"; return 1
        fi
        return 0 ;;
    wasm)
        CC=$(first_cmd emcc) || { WHY="no emcc (apt-get install emscripten)"; return 1; }
        command -v node >/dev/null 2>&1 || { WHY="no node"; return 1; }
        # NODERAWFS: the program sees the real file system; the heap grows on demand; synchronous
        # instantiation (emscripten 3.1.6's async path fetch()es the .wasm, which node 18+ refuses)
        # the environment (SHARED, SD_TEST_QUICK) is passed in: emscripten's own is a fixed set
        printf '%s\n' "Module['preRun'] = (Module['preRun'] || []).concat([function () { if (typeof ENV != 'undefined') for (var k in process.env) ENV[k] = process.env[k]; }]);" > "$D/env.js"
        LDFLAGS_T="-sALLOW_MEMORY_GROWTH=1 -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node -sWASM_ASYNC_COMPILATION=0 --pre-js $D/env.js"
        RUN=node; EXE=.js
        # emcc's JS optimizer needs acorn: Debian's node finds it, another node needs NODE_PATH
        [ -d /usr/share/nodejs ] && NODE_PATH=${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs && export NODE_PATH
        $CC $CFLAGS_T $WT -o "$D/.probe.js" "$D/.probe.c" $LDFLAGS_T >"$D/.probe.log" 2>&1 || { WHY="emcc cannot build a program: $(tail -1 "$D/.probe.log")"; return 1; }
        node "$D/.probe.js" >"$D/.probe.log" 2>&1 || { WHY="node cannot run an emcc program: $(tail -1 "$D/.probe.log")"; return 1; }
        return 0 ;;
    esac
    CC=$(find_gcc $tr) || { WHY="no $tr-gcc (apt-get install gcc-$tr)"; return 1; }
    RUN=$(first_cmd $emu) || { WHY="no $emu (apt-get install qemu-user)"; return 1; }
    $CC -static -o "$D/.probe" "$D/.probe.c" 2>"$D/.probe.log" || { WHY="$CC cannot link a static program (libc6-dev-*-cross?): $(head -1 "$D/.probe.log")"; return 1; }
    $RUN "$D/.probe" || { WHY="$RUN cannot run a $CC program"; return 1; }
    return 0
}

# one step: NAME LOGFILE command...; counted; prints ok/FAIL and the seconds it took
step() {
    sname=$1; slog=$2; shift 2
    t0=$(now)
    if "$@" </dev/null >"$slog" 2>&1; then r=0; else r=1; fi
    dt=$(( $(now) - t0 ))
    n_steps=$((n_steps + 1))
    if [ $r -eq 0 ]; then n_ok=$((n_ok + 1)); printf '  ok   %-30s %4d s\n' "$sname" "$dt"
    else printf '  FAIL %-30s %4d s  (%s)\n' "$sname" "$dt" "$slog"
         grep -E '^FAIL|error|Error|FAILED|Assertion|Segmentation|core dumped|differ' "$slog" | head -15 | sed 's/^/       /'
    fi
    return $r
}

build() {   # output, sources and flags...
    o=$1; shift
    # shellcheck disable=SC2086
    $CC $CFLAGS_T $WT "$@" -o "$o" $LDFLAGS_T -lm
}

# one target, start to end; writes $D/row (the table line) and $D/status (0 all passed, 1 failed, skip)
run_target() {
    t=$1
    D=$OUT/$t
    t_start=$(now)
    n_steps=0; n_ok=0; conf="-"; bad=0
    rm -f "$D/row" "$D/status"
    echo "=== $t"
    if ! setup_target "$t"; then
        if [ $explicit -eq 1 ]; then echo "  FAIL $t: $WHY"; echo "$t|-|not built|-|-" > "$D/row"; echo 1 > "$D/status"
        else echo "  SKIP $t: $WHY"; echo "$t|-|SKIP|-|-" > "$D/row"; echo skip > "$D/status"; fi
        return
    fi
    case $t in
    wasm) ver=$($CC --version 2>/dev/null | head -1 | sed 's/^emcc ([^)]*) //; s/ (.*//'); ccname="emcc" ;;
    *) ver=$($CC -dumpfullversion 2>/dev/null || $CC -dumpversion 2>/dev/null); ccname="${CC##*/}" ;;
    esac
    echo "  compiler: $CC $ver  flags: $CFLAGS_T $WT $LDFLAGS_T  run: ${RUN:-native}"
    rm -rf "$D/bin" "$D/logs" "$D/conf" "$D/run"
    mkdir -p "$D/bin" "$D/logs" "$D/run/build" "$D/conf"
    if [ -n "${CROSS_REV:-}" ]; then ln -s "$SRC/tests" "$D/run/tests"; else ln -s "$ROOT/tests" "$D/run/tests"; fi
    if [ "$t" = wasm ]; then   # emscripten's NODERAWFS writes at file positions, which a pipe refuses
        printf '#!/bin/sh\n# -o /dev/stdout (a pipe): the host mkmodel, which writes the same bytes (checked below)\ncase " $* " in *" /dev/stdout "*) exec "%s/host/mkmodel" "$@" ;; esac\nexec node "%s/bin/mkmodel.js" "$@"\n' "$D" "$D" > "$D/run/build/mkmodel"
    else printf '#!/bin/sh\nexec %s "%s/bin/mkmodel%s" "$@"\n' "$RUN" "$D" "$EXE" > "$D/run/build/mkmodel"; fi
    printf '#!/bin/sh\n# build/cross/%s/bin/sd%s %s\nexec %s "%s/bin/sd%s" "$@"\n' "$t" "$EXE" "${RUN:+under $RUN}" "$RUN" "$D" "$EXE" > "$D/sd"
    chmod +x "$D/run/build/mkmodel" "$D/sd"

    step "build sd" "$D/logs/build-sd.log" build "$D/bin/sd$EXE" "$SRC/tools/sd.c"
    step "build mkmodel" "$D/logs/build-mkmodel.log" build "$D/bin/mkmodel$EXE" "$SRC/tools/mkmodel.c"
    tests=""
    for src in $(cd "$SRC" && echo tests/test_*.c); do
        name=$(basename "$src" .c)
        if [ -n "$TESTS_WANTED" ]; then case " $TESTS_WANTED " in *" $name "*) ;; *) continue ;; esac; fi
        if [ "$t" = wasm ] && [ "$name" = test_threads ]; then echo "  SKIP test_threads (wasm: no threads)"; continue; fi
        if step "build $name" "$D/logs/build-$name.log" build "$D/bin/$name$EXE" "$SRC/$src" -lpthread; then tests="$tests $name"; fi
    done

    # the model writer on this CPU writes the host's bytes; sd runs on the model it wrote
    if command -v cc >/dev/null 2>&1 && [ -f "$D/bin/mkmodel$EXE" ]; then
        mkdir -p "$D/host"
        cc -O2 -o "$D/host/mkmodel" "$SRC/tools/mkmodel.c" -lm 2>"$D/host/build.log"
        step "mkmodel bytes = host's" "$D/logs/mkmodel-same.log" sh -c '
            set -e; h=$1; b=$2/run/build
            $h --config tiny -o "$b/tiny-host.safetensors"
            "$b/mkmodel" --config tiny -o "$b/tiny.safetensors"
            cmp "$b/tiny-host.safetensors" "$b/tiny.safetensors"
            $h --vocab-out "$b/tiny-merges-host.txt"
            "$b/mkmodel" --vocab-out "$b/tiny-merges.txt"
            cmp "$b/tiny-merges-host.txt" "$b/tiny-merges.txt"
            rm -f "$b/tiny-host.safetensors" "$b/tiny-merges-host.txt"
            echo "tiny model and vocabulary: the same bytes as the host writes"' sh "$D/host/mkmodel" "$D"
        if [ "$QUICK" != 1 ]; then
            step "txt2img on that model" "$D/logs/txt2img.log" sh -c '
                set -e; cd "$1/run"
                ../sd -m build/tiny.safetensors --vocab build/tiny-merges.txt -p "a lighthouse at dawn" -W 64 -H 64 --steps 2 -s 7 -o build/tiny.png --quiet
                ../sd info build/tiny.png' sh "$D"
        fi
    fi

    for name in $tests; do
        q=""; [ "$QUICK" = 1 ] && q=1
        case " $SLOW " in *" $name "*) q=1 ;; esac
        step "$name${q:+ (quick)}" "$D/logs/$name.log" env -C "$D/run" SHARED="$SH" ${q:+SD_TEST_QUICK=1} $RUN "$D/bin/$name$EXE"
    done

    if [ "$QUICK" != 1 ] && [ "$t" != wasm ]; then   # tests/test_build.sh's C builds with this compiler
        bm() {
            bn=$1; shift
            # shellcheck disable=SC2086
            $CC $CFLAGS_T $W "$@" -o "$D/bin/build-$bn" $LDFLAGS_T -lm && (cd "$D/run" && $RUN "$D/bin/build-$bn")
        }
        step "build: OpenMP" "$D/logs/bm-openmp.log" bm openmp -fopenmp "$SRC/tests/build/one.c"
        step "build: SD_NO_MMAP" "$D/logs/bm-nommap.log" bm nommap -DSD_NO_MMAP "$SRC/tests/build/one.c"
        step "build: SD_REFERENCE" "$D/logs/bm-ref.log" bm ref -DSD_REFERENCE "$SRC/tests/build/one.c"
        step "build: no stdio" "$D/logs/bm-nostdio.log" bm nostdio "$SRC/tests/build/memory_only.c"
        step "build: SD_STATIC twice" "$D/logs/bm-twice.log" bm twice "$SRC/tests/build/two_a.c" "$SRC/tests/build/two_b.c"
    fi
    [ $n_ok -eq $n_steps ] || bad=1
    tests_line="$n_ok/$n_steps"

    if [ $have_shared -eq 1 ] && [ -f "$D/bin/sd$EXE" ]; then
        t0=$(now)
        fx=$SH/fixtures/sd1-tiny
        if [ -n "$PIPES" ]; then   # the fixtures with only these pipeline cases: links and a smaller cases.json
            fx=$D/fixtures; rm -rf "$fx"; mkdir -p "$fx"
            for f in "$SH/fixtures/sd1-tiny/"*; do ln -s "$f" "$fx/${f##*/}"; done
            rm "$fx/cases.json"
            python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); keep = sys.argv[3].split()
d["cases"]["pipeline"] = [c for c in d["cases"].get("pipeline", []) if c["name"] in keep]
json.dump(d, open(sys.argv[2], "w"))' "$SH/fixtures/sd1-tiny/cases.json" "$fx/cases.json" "$PIPES"
        fi
        (cd "$D/conf" && python3 "$SH/tools/conformance.py" -v --sd "$D/sd" --fixtures "$fx" \
            --vocab "$SH/clip-vocab/merges.txt" ${STAGES:+--only "$STAGES"}) </dev/null > "$D/logs/conformance.log" 2>&1
        crc=$?
        dt=$(( $(now) - t0 ))
        c=$(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$D/logs/conformance.log" | tail -1)
        if [ -n "$c" ]; then p=${c%% passed*}; f=${c#*, }; f=${f%% failed*}; conf="$p/$((p + f))"; else conf="error"; fi
        [ -n "$STAGES" ] && conf="$conf ($STAGES)"
        [ -n "$PIPES" ] && conf="$conf (pipeline: $PIPES)"
        if [ $crc -eq 0 ]; then printf '  ok   %-30s %4d s  %s\n' "conformance" "$dt" "$conf"
        else printf '  FAIL %-30s %4d s  %s (%s)\n' "conformance" "$dt" "$conf" "$D/logs/conformance.log"
             grep -E '^FAIL|rror|Traceback' "$D/logs/conformance.log" | head -20 | sed 's/^/       /'
             bad=1; fi
    elif [ $have_shared -eq 0 ]; then echo "  SKIP conformance (no $SH/tools/conformance.py and fixtures)"; conf="SKIP"
    else echo "  FAIL conformance: sd did not build"; conf="not run"; bad=1
    fi
    secs=$(( $(now) - t_start ))
    echo "$t|$ccname $ver${RUN:+ ($RUN)}|$tests_line|$conf|$((secs / 60))m$((secs % 60))s" > "$D/row"
    echo $bad > "$D/status"
    rm -f "$D/.probe" "$D/.probe.c" "$D/.probe.log" "$D/.probe.js" "$D/.probe.wasm"
}

t_all=$(now)
if [ "$JOBS" -gt 1 ]; then   # N at a time, each to its own log, shown when it ends
    running=0
    for t in $targets; do
        mkdir -p "$OUT/$t"
        (D=$OUT/$t; run_target "$t") > "$OUT/$t/summary.txt" 2>&1 &
        running=$((running + 1))
        if [ $running -ge "$JOBS" ]; then wait; running=0; fi
    done
    wait
    for t in $targets; do cat "$OUT/$t/summary.txt"; done
else
    for t in $targets; do mkdir -p "$OUT/$t"; run_target "$t" 2>&1 | tee "$OUT/$t/summary.txt"; done
fi
fail=0; skipped=0; passed=0
{
    echo "cross.sh $(date -u '+%Y-%m-%d %H:%M UTC'), $([ "$QUICK" = 1 ] && echo "quick mode (CI)" || echo "full mode"); flags: -O2 $W -static (i386: + -msse2 -mfpmath=sse)${CROSS_REV:+; sources: $CROSS_REV}${CROSS_HEADER:+; sd.h: $CROSS_HEADER}"
    printf '%-8s | %-38s | %-6s | %-28s | %s\n' target "compiler (runner)" tests conformance time
    printf '%-8s-|-%-38s-|-%-6s-|-%-28s-|-%s\n' -------- -------------------------------------- ------ ---------------------------- -------
    for t in $targets; do
        if [ -f "$OUT/$t/row" ]; then IFS='|' read -r a b c d e < "$OUT/$t/row"
        else a=$t; b="-"; c="died"; d="-"; e="-"; fi
        printf '%-8s | %-38s | %-6s | %-28s | %s\n' "$a" "$b" "$c" "$d" "$e"
        case $(cat "$OUT/$t/status" 2>/dev/null) in
        0) passed=$((passed + 1)) ;;
        skip) skipped=$((skipped + 1)) ;;
        *) fail=$((fail + 1)) ;;
        esac
    done
    s=$(( $(now) - t_all ))
    echo "total $((s / 60))m$((s % 60))s, targets: $passed passed, $fail failed, $skipped skipped"
} > "$OUT/results.txt.new"
mv "$OUT/results.txt.new" "$OUT/results.txt"
echo
cat "$OUT/results.txt"
[ $fail -eq 0 ] || exit 1
[ $passed -gt 0 ] || { echo "cross.sh: SKIP (no target could be built here)"; exit 77; }
exit 0
