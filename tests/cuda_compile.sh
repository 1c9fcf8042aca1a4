#!/bin/sh
# CI check of the GPU backend without a GPU: compiles sd_cuda.cu (warnings are errors), the test
# program tests/test_cuda.cu and tools/sd.c with -DSD_CUDA, links them, and runs the test (which
# says SKIP where no GPU is usable: a SKIP line here too, and the compile checks still count).
# Exit status: 0 all ran and passed, 1 a check failed, 77 (the automake convention for a skipped
# test) nothing could run: nvcc is not installed.
cd "$(dirname "$0")/.." || exit 1
NVCC=${NVCC:-nvcc}
if ! command -v "$NVCC" >/dev/null 2>&1; then echo "SKIP cuda_compile: no nvcc ($NVCC)"; exit 77; fi
CUDA_HOME=${CUDA_HOME:-$(dirname "$(dirname "$(command -v "$NVCC")")")}
ARCH=${CUDA_ARCH:-"-gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90"}
out=$(mktemp -d) || exit 1
trap 'rm -rf "$out"' EXIT
fail=0
step() {
    what=$1; shift
    if "$@"; then echo "ok   cuda_compile: $what"; else echo "FAIL cuda_compile: $what"; fail=1; fi
}
step "sd_cuda.cu" $NVCC -O3 -std=c++17 $ARCH -Werror all-warnings -Xcompiler -Wall,-Wextra -c -o "$out/sd_cuda.o" sd_cuda.cu
[ $fail -eq 0 ] || exit 1
step "tests/test_cuda.cu" $NVCC -O2 -std=c++17 $ARCH --diag-suppress 550,1675 -o "$out/test_cuda" tests/test_cuda.cu "$out/sd_cuda.o"
step "tools/sd.c with -DSD_CUDA" ${CC:-cc} -O1 -std=c99 -Wall -Wextra -pedantic -DSD_CUDA -o "$out/sd" tools/sd.c "$out/sd_cuda.o" \
    -L"$CUDA_HOME/lib64" -lcudart_static -lstdc++ -lrt -lpthread -ldl -lm
# test_cuda says SKIP (and exits 0) where no GPU is usable: that reads as a SKIP here, not as ok
if [ -x "$out/test_cuda" ]; then
    if "$out/test_cuda" > "$out/test_cuda.log" 2>&1; then
        if grep -q '^SKIP' "$out/test_cuda.log"; then
            echo "SKIP cuda_compile: test_cuda runs: not run on a GPU ($(grep '^SKIP' "$out/test_cuda.log" | head -1 | sed 's/^SKIP *//'))"
        else cat "$out/test_cuda.log"; echo "ok   cuda_compile: test_cuda runs"; fi
    else cat "$out/test_cuda.log"; echo "FAIL cuda_compile: test_cuda runs"; fail=1; fi
fi
exit $fail
