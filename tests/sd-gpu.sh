#!/bin/sh
# build/sd on the GPU in FP32 (build it with make cuda): the conformance suite runs it with its
# default bounds,
#   python3 ../shared/tools/conformance.py --sd tests/sd-gpu.sh --fixtures ../shared/fixtures/sd1-tiny \
#       --vocab ../shared/clip-vocab/merges.txt
# It fails when sd fell back to the CPU, so that a pass means the GPU computed it. SD_BIN overrides
# the binary.
sd=${SD_BIN:-"$(dirname "$0")/../build/sd"}
err=$(mktemp) || exit 1
"$sd" "$@" --gpu-fp32 2>"$err"
rc=$?
cat "$err" >&2
if grep -q "running on the CPU" "$err"; then echo "sd-gpu.sh: the GPU was not used" >&2; rc=1; fi
rm -f "$err"
exit $rc
