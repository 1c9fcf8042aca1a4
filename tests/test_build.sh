#!/bin/sh
# test_build: sd.h compiles without a warning (-Werror) as C99 and C++11 with gcc and clang, with
# and without OpenMP, with SD_NO_MMAP, SD_NO_STDIO, SD_REFERENCE, and twice in one program with
# SD_STATIC, -m32 where gcc-multilib is installed, and on x86-64 with AVX2 (the intrinsics kernel),
# SD_NO_SIMD and AVX-512; each build runs (AVX-512 only compiles where the CPU lacks it: its run
# is then a SKIP line). A build that cannot be tried here (compiler not installed, CPU without
# AVX2) prints a SKIP line, one per build; the last line counts the builds:
# `test_build: N passed, M failed, K skipped`.
cd "$(dirname "$0")/.." || exit 1
out=build/test-build
mkdir -p $out
fail=0; pass=0; skipped=0
skip() {   # a SKIP line for each build not tried: the reason, then the builds' names
    why=$1; shift
    for nm in "$@"; do echo "SKIP $nm: $why"; skipped=$((skipped + 1)); done
}
# the builds run JOBS at a time (one a CPU), each into its own files; their results are printed in
# the order they were started
JOBS=$(nproc 2>/dev/null || echo 1)
batch=""; running=0
run() {   # name, compiler and flags..., sources last
    name=$1; shift
    rm -f $out/$name.res
    ( if "$@" -o $out/$name -lm >$out/$name.log 2>&1 && ./$out/$name >>$out/$name.log 2>&1; then echo "ok   $name" > $out/$name.res
      else { echo "FAIL $name: $*"; sed 's/^/       /' $out/$name.log | head -20; } > $out/$name.res; fi ) &
    batch="$batch $name"; running=$((running + 1))
    [ $running -ge "$JOBS" ] && flush
}
flush() {   # waits for the running builds, prints and counts their results
    wait
    for nm in $batch; do
        cat $out/$nm.res 2>/dev/null || echo "FAIL $nm: no result"
        if grep -q '^ok' $out/$nm.res 2>/dev/null; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
    done
    batch=""; running=0
}
W="-Wall -Wextra -pedantic -Werror -ffp-contract=off"
for cc in gcc clang; do
    command -v $cc >/dev/null || { skip "$cc is not installed" $cc-c99 $cc-c99-openmp $cc-no-mmap $cc-reference $cc-no-stdio $cc-static-twice; continue; }
    run "$cc-c99" $cc -std=c99 $W -O2 tests/build/one.c
    run "$cc-c99-openmp" $cc -std=c99 $W -O2 -fopenmp tests/build/one.c
    run "$cc-no-mmap" $cc -std=c99 $W -O2 -DSD_NO_MMAP tests/build/one.c
    run "$cc-reference" $cc -std=c99 $W -O2 -DSD_REFERENCE tests/build/one.c
    run "$cc-no-stdio" $cc -std=c99 $W -O2 tests/build/memory_only.c
    run "$cc-static-twice" $cc -std=c99 $W -O2 tests/build/two_a.c tests/build/two_b.c
done
# x86-64 with AVX2+FMA (the intrinsics micro-kernel), without it (SD_NO_SIMD), and the AVX-512 tile
# with and without its intrinsics (compiled only, where this CPU cannot run it)
if [ "$(uname -m)" = x86_64 ]; then
    if grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo; then
        run "gcc-avx2" gcc -std=c99 $W -O2 -march=x86-64-v3 -fopenmp tests/build/one.c
        run "gcc-avx2-no-simd" gcc -std=c99 $W -O2 -march=x86-64-v3 -DSD_NO_SIMD tests/build/one.c
        if command -v clang >/dev/null; then run "clang-avx2" clang -std=c99 $W -O2 -march=x86-64-v3 tests/build/one.c
        else skip "clang is not installed" clang-avx2; fi
        if command -v g++ >/dev/null; then run "g++-avx2" g++ -x c++ -std=c++11 $W -O2 -march=x86-64-v3 tests/build/one.c
        else skip "g++ is not installed" g++-avx2; fi
    else skip "this CPU has no AVX2+FMA" gcc-avx2 gcc-avx2-no-simd clang-avx2 g++-avx2; fi
    flush
    if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then run "gcc-avx512" gcc -std=c99 $W -O2 -march=x86-64-v4 tests/build/one.c
        run "gcc-avx512-no-simd" gcc -std=c99 $W -O2 -march=x86-64-v4 -DSD_NO_SIMD tests/build/one.c
    elif gcc -std=c99 $W -O2 -march=x86-64-v4 -c tests/build/one.c -o $out/avx512.o >$out/avx512.log 2>&1; then
        echo "ok   gcc-avx512-compile (compiled only)"; pass=$((pass + 1))
        skip "not run, this CPU has no AVX-512" gcc-avx512
    else echo "FAIL gcc-avx512-compile"; sed 's/^/       /' $out/avx512.log | head -20; fail=$((fail + 1)); fi
fi
# 32-bit (size_t and long are 32 bits) where the multilib packages are installed
if echo 'int main(void){return 0;}' | gcc -m32 -x c - -o $out/m32-probe 2>/dev/null; then
    run "gcc-m32-c99" gcc -m32 -msse2 -mfpmath=sse -std=c99 $W -O2 tests/build/one.c
    run "gcc-m32-no-mmap" gcc -m32 -msse2 -mfpmath=sse -std=c99 $W -O2 -DSD_NO_MMAP tests/build/one.c
else skip "gcc -m32 does not link, apt-get install gcc-multilib" gcc-m32-c99 gcc-m32-no-mmap; fi
for cxx in g++ clang++; do
    command -v $cxx >/dev/null || { skip "$cxx is not installed" $cxx-c++11 $cxx-c++11-openmp $cxx-static-twice; continue; }
    run "$cxx-c++11" $cxx -x c++ -std=c++11 $W -O2 tests/build/one.c
    run "$cxx-c++11-openmp" $cxx -x c++ -std=c++11 $W -O2 -fopenmp tests/build/one.c
    run "$cxx-static-twice" $cxx -x c++ -std=c++11 $W -O2 tests/build/two_a.c tests/build/two_b.c
done
flush
echo "test_build: $pass passed, $fail failed, $skipped skipped"
[ $fail -eq 0 ]
