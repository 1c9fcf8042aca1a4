#!/bin/sh
# build/sd on the GPU in the fast mode (FP16 tensor cores; build it with make cuda). The fast mode
# is not held to the FP32 bounds: its error per stage is measured with loose bounds,
#   python3 ../shared/tools/conformance.py --sd tests/sd-gpu16.sh --fixtures ../shared/fixtures/sd1-tiny \
#       --vocab ../shared/clip-vocab/merges.txt --tol 0.05 --pipe-tol 0.2 --u8-tol 255 -v
# (docs/cuda.md has the numbers). It fails when sd fell back to the CPU. SD_BIN overrides the binary.
sd=${SD_BIN:-"$(dirname "$0")/../build/sd"}
err=$(mktemp) || exit 1
"$sd" "$@" --gpu 2>"$err"
rc=$?
cat "$err" >&2
if grep -q "running on the CPU" "$err"; then echo "sd-gpu16.sh: the GPU was not used" >&2; rc=1; fi
rm -f "$err"
exit $rc
