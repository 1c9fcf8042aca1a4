#!/bin/sh
# test_build: sd.h compiles without a warning (-Werror) as C99 and C++11 with gcc and clang, with
# and without OpenMP, with SD_NO_MMAP, SD_NO_STDIO, SD_REFERENCE, and twice in one program with
# SD_STATIC, and -m32 where gcc-multilib is installed; each build runs.
cd "$(dirname "$0")/.." || exit 1
out=build/test-build
mkdir -p $out
fail=0
run() {   # name, compiler and flags..., sources last
    name=$1; shift
    if "$@" -o $out/$name -lm >$out/$name.log 2>&1 && ./$out/$name; then echo "ok   $name"
    else echo "FAIL $name: $*"; sed 's/^/       /' $out/$name.log | head -20; fail=$((fail + 1)); fi
}
W="-Wall -Wextra -pedantic -Werror -ffp-contract=off"
for cc in gcc clang; do
    command -v $cc >/dev/null || { echo "SKIP $cc (not installed)"; continue; }
    run "$cc-c99" $cc -std=c99 $W -O2 tests/build/one.c
    run "$cc-c99-openmp" $cc -std=c99 $W -O2 -fopenmp tests/build/one.c
    run "$cc-no-mmap" $cc -std=c99 $W -O2 -DSD_NO_MMAP tests/build/one.c
    run "$cc-reference" $cc -std=c99 $W -O2 -DSD_REFERENCE tests/build/one.c
    run "$cc-no-stdio" $cc -std=c99 $W -O2 tests/build/memory_only.c
    run "$cc-static-twice" $cc -std=c99 $W -O2 tests/build/two_a.c tests/build/two_b.c
done
# 32-bit (size_t and long are 32 bits) where the multilib packages are installed
if echo 'int main(void){return 0;}' | gcc -m32 -x c - -o $out/m32-probe 2>/dev/null; then
    run "gcc-m32-c99" gcc -m32 -msse2 -mfpmath=sse -std=c99 $W -O2 tests/build/one.c
    run "gcc-m32-no-mmap" gcc -m32 -msse2 -mfpmath=sse -std=c99 $W -O2 -DSD_NO_MMAP tests/build/one.c
else echo "SKIP gcc -m32 (apt-get install gcc-multilib)"; fi
for cxx in g++ clang++; do
    command -v $cxx >/dev/null || { echo "SKIP $cxx (not installed)"; continue; }
    run "$cxx-c++11" $cxx -x c++ -std=c++11 $W -O2 tests/build/one.c
    run "$cxx-c++11-openmp" $cxx -x c++ -std=c++11 $W -O2 -fopenmp tests/build/one.c
    run "$cxx-static-twice" $cxx -x c++ -std=c++11 $W -O2 tests/build/two_a.c tests/build/two_b.c
done
[ $fail -eq 0 ] && echo "test_build: all builds ok" || echo "test_build: $fail failed"
[ $fail -eq 0 ]
