#!/bin/sh
# Everything the GPU backend needs a GPU for, in one command (the GPU machine is lent by the minute):
# test_cuda in both precisions, the conformance suite in FP32 with its default bounds, the fast
# mode's error per stage (loose bounds), per-operation timings, the benchmark (UNet batch 2 at
# 512x512, VAE, 20-step txt2img) beside a torch FP16 matmul ceiling measured in the same run, and
# test_cuda under compute-sanitizer. Logs go to $OUT (default build/cuda/out); a summary is
# printed last.
#
#   make cuda && sh tools/cuda_device.sh            (binaries from make cuda, data from ../shared)
#   BIN=build/cuda/dev DATA=cudadata sh tools/cuda_device.sh
# BIN: a folder with sd, bench, mkmodel, cuda/test_cuda (make cuda B=that-folder). DATA: a folder
# with fixtures/sd1-tiny, merges.txt and conformance.py (default: ../shared). STEPS: which parts
# (default "test ceiling bench conf32 conf16 kbench memcheck bench32").
set -u
cd "$(dirname "$0")/.." || exit 1
OUT=${OUT:-build/cuda/out}
BIN=${BIN:-build}
STEPS=${STEPS:-"test ceiling bench conf32 conf16 kbench memcheck bench32"}
mkdir -p "$OUT"
if [ -n "${DATA:-}" ]; then FIX=$DATA/fixtures/sd1-tiny; VOCAB=$DATA/merges.txt; CONF=$DATA/conformance.py
else FIX=../shared/fixtures/sd1-tiny; VOCAB=../shared/clip-vocab/merges.txt; CONF=../shared/tools/conformance.py; fi
T0=$(date +%s)
log() { echo "$*" | tee -a "$OUT/log.txt"; }
has() { case " $STEPS " in *" $1 "*) return 0;; esac; return 1; }
el() { echo $(( $(date +%s) - T0 )); }

log "== $(date -u) on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,power.limit --format=csv 2>&1 | tee -a "$OUT/log.txt"
if ! "$BIN/sd" --help >/dev/null 2>&1 || [ ! -x "$BIN/cuda/test_cuda" ]; then
    log "== building (make cuda B=$BIN)"
    make cuda B="$BIN" -j16 >>"$OUT/log.txt" 2>&1 || { log "make cuda FAILED"; tail -30 "$OUT/log.txt"; exit 1; }
fi
if [ "$BIN" != build ]; then mkdir -p build && cp "$BIN/sd" build/sd; fi   # tests/sd-gpu*.sh run build/sd

if has test; then
    log "== test_cuda [$(el) s]"
    SD_CUDA_REQUIRE=1 timeout 150 "$BIN/cuda/test_cuda" >"$OUT/test_cuda.txt" 2>&1; log "test_cuda exit $?"
fi
CEIL=0
if has ceiling; then
    log "== ceiling: torch.matmul FP16 8192^3 [$(el) s]"
    timeout 90 python3 - >>"$OUT/log.txt" 2>&1 <<'PY'
import torch, time
n = 8192
a = torch.randn(n, n, dtype=torch.float16, device="cuda"); b = torch.randn(n, n, dtype=torch.float16, device="cuda")
for _ in range(5): c = a @ b
torch.cuda.synchronize()
e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
best = 1e9
for rep in range(5):
    e0.record()
    for _ in range(10): c = a @ b
    e1.record(); torch.cuda.synchronize()
    best = min(best, e0.elapsed_time(e1) / 10)
print("CEILING_GFLOPS %.0f" % (2 * n**3 / best / 1e6))
PY
    CEIL=$(sed -n 's/^CEILING_GFLOPS //p' "$OUT/log.txt" | tail -1)
    CEIL=${CEIL:-0}
    log "ceiling $CEIL GFLOP/s"
fi
if has bench || has bench32; then
    [ -f /tmp/sd15.safetensors ] || timeout 60 "$BIN/mkmodel" --config sd15 -o /tmp/sd15.safetensors >>"$OUT/log.txt" 2>&1
fi
if has bench; then
    log "== bench --gpu [$(el) s]"
    timeout 150 "$BIN/bench" -m /tmp/sd15.safetensors --vocab "$VOCAB" --gpu --ceiling "$CEIL" "torch.matmul FP16 8192^3, same run" \
        -o "$OUT/bench.txt" >>"$OUT/log.txt" 2>&1; log "bench exit $?"
fi
if has conf32; then
    log "== conformance, FP32, default bounds [$(el) s]"
    timeout 150 python3 "$CONF" --sd tests/sd-gpu.sh --fixtures "$FIX" --vocab "$VOCAB" -v >"$OUT/conf32.txt" 2>&1; log "conf32 exit $?"
fi
if has conf16; then
    log "== conformance, fast mode, loose bounds [$(el) s]"
    timeout 100 python3 "$CONF" --sd tests/sd-gpu16.sh --fixtures "$FIX" --vocab "$VOCAB" --only text,unet,vae_decode,vae_encode,pipeline \
        --tol 0.05 --pipe-tol 0.2 --u8-tol 255 -v >"$OUT/conf16.txt" 2>&1; log "conf16 exit $?"
fi
if has kbench; then
    log "== per-operation timings [$(el) s]"
    timeout 60 "$BIN/cuda/test_cuda" --bench >"$OUT/kbench.txt" 2>&1; log "kbench exit $?"
fi
if has memcheck; then
    log "== compute-sanitizer memcheck [$(el) s]"
    timeout 150 compute-sanitizer --tool memcheck --error-exitcode 9 "$BIN/cuda/test_cuda" >"$OUT/memcheck.txt" 2>&1; log "memcheck exit $?"
fi
if has bench32; then
    log "== bench --gpu-fp32 [$(el) s]"
    timeout 90 "$BIN/bench" -m /tmp/sd15.safetensors --vocab "$VOCAB" --gpu-fp32 --ceiling "$CEIL" "torch.matmul FP16 8192^3, same run" \
        -o "$OUT/bench.txt" >>"$OUT/log.txt" 2>&1; log "bench32 exit $?"
fi

log "== summary [$(el) s]"
[ -f "$OUT/test_cuda.txt" ] && { grep -E "^FAIL|^SKIP|checks" "$OUT/test_cuda.txt" | head -40; }
[ -f "$OUT/memcheck.txt" ] && { grep -E "ERROR SUMMARY|checks,|^FAIL" "$OUT/memcheck.txt" | head -5; }
[ -f "$OUT/conf32.txt" ] && { grep -E "^FAIL|passed" "$OUT/conf32.txt" | head -20; }
[ -f "$OUT/conf16.txt" ] && { grep -E "^(ok|FAIL) +(text|unet|vae|pipeline)" "$OUT/conf16.txt" | sed 's/\[.*//' | head -40; }
[ -f "$OUT/kbench.txt" ] && cat "$OUT/kbench.txt"
[ -f "$OUT/bench.txt" ] && cat "$OUT/bench.txt"
exit 0
