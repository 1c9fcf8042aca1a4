#!/bin/sh
# test_examples.sh - runs the example programs (examples/*.c, built by make into build/) on the
# tiny random model that `make demo` uses, and checks what they write.
#
#   sh tests/test_examples.sh        from the repository root; needs no ../shared
#
# Checks, one line each (ok / FAIL):
#   - each example run without arguments prints a usage message and exits non-zero
#   - build/minimal writes a binary PPM of the size asked for; a missing model file fails cleanly
#   - build/img2img reads that PPM, writes a PNG; reads the PNG, writes a PPM (sizes kept);
#     an input that is no image fails cleanly
#   - build/stages (80x64, 2 steps) writes a PNG and its final latent as .npy; that latent is the
#     same file, byte for byte, as the one build/sd txt2img writes with --latent-out for the same
#     prompt and settings (stages.c is sd_txt2img written out stage by stage: Euler, cfg 7.5,
#     seed 42, the empty negative prompt)
#   - build/inpaint (a disc in the middle repainted; mask blur 4 and paste-back by default) reads the
#     PPM of minimal, writes a PPM of its size; outside the disc and the blur's reach the bytes are the
#     input's, inside they changed, and with --no-paste those outside bytes differ (the VAE's round
#     trip); it says it used an ordinary model; PNG in, PNG out keeps the size; with ../shared the
#     9-channel inpainting model of fixtures/sd1-inpaint runs too, and says so
#   - build/stages --sampler dpm++2m --scheduler karras (80x64, 3 steps: the second step extrapolates
#     from the history the sampler run keeps): its final latent is byte for byte the one of
#     build/sd txt2img --sampler dpm++2m --scheduler karras with the same settings; an unknown
#     sampler, and a pair that does not go together (ddim with karras), fail with a message
# The examples, build/sd and the tiny model are made first when missing or out of date (make -j1 of those only).
# OMP_NUM_THREADS defaults to 1: the machine may be shared, and results do not depend on it.
# Exits non-zero when any check fails.

B=build
T=$B/test-examples
MODEL=$B/tiny.safetensors
VOCAB=$B/tiny-merges.txt
: "${OMP_NUM_THREADS:=1}"
export OMP_NUM_THREADS


if [ ! -f sd.h ] || [ ! -d examples ]; then
    echo "test_examples.sh: run it from the repository root" >&2
    exit 2
fi
. tests/lib.sh

# the examples and the tiny model, made (make -j1 of these targets only) when missing or out of date
targets="$B/minimal $B/img2img $B/inpaint $B/stages $B/sd $MODEL $VOCAB"
# shellcheck disable=SC2086
need $targets
rm -rf "$T"
mkdir -p "$T"

# the size of a file in bytes
size_of() { wc -c < "$1" | tr -d ' '; }

# check_ppm FILE W H: "P6\nW H\n255\n" and exactly W*H*3 bytes of pixels after it
check_ppm() {
    hdr="P6
$2 $3
255"
    got=$(head -n 3 "$1" 2>/dev/null)
    want=$(( ${#hdr} + 1 + $2 * $3 * 3 ))
    if [ ! -s "$1" ]; then fail "$1: missing or empty"
    elif [ "$got" != "$hdr" ]; then fail "$1: PPM header '$(printf '%s' "$got" | tr -c '[:print:]' ' ' | cut -c1-24)', expected 'P6 $2 $3 255'"
    elif [ "$(size_of "$1")" -ne "$want" ]; then fail "$1: $(size_of "$1") bytes, expected $want (a $2x$3 P6)"
    else ok "$1: binary PPM, $2x$3, $want bytes"
    fi
}

# check_png FILE W H: the PNG signature, an IHDR of W x H, 8-bit RGB (color type 2)
check_png() {
    if [ ! -s "$1" ]; then fail "$1: missing or empty"; return; fi
    sig=$(od -An -tx1 -N8 "$1" | tr -d ' \n')
    # shellcheck disable=SC2046
    set -- "$1" "$2" "$3" $(od -An -tu1 -j16 -N10 "$1")
    w=$(( ($4 << 24) | ($5 << 16) | ($6 << 8) | $7 ))
    h=$(( ($8 << 24) | ($9 << 16) | (${10} << 8) | ${11} ))
    if [ "$sig" != 89504e470d0a1a0a ]; then fail "$1: not a PNG (signature $sig)"
    elif [ "$w" -ne "$2" ] || [ "$h" -ne "$3" ]; then fail "$1: PNG of ${w}x${h}, expected $2x$3"
    elif [ "${12}" -ne 8 ] || [ "${13}" -ne 2 ]; then fail "$1: bit depth ${12}, color type ${13}; expected 8-bit RGB"
    else ok "$1: PNG, $2x$3, 8-bit RGB, $(size_of "$1") bytes"
    fi
}

# run NAME CMD...: runs the command with its output in $T/NAME.log; sets rc and secs
run() {
    name=$1; shift
    t0=$(date +%s)
    "$@" > "$T/$name.log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - t0 ))
}

# the output of a failed command, indented
show() { sed -n '1,12s/^/        /p' "$T/$1.log"; }

echo "== usage: no arguments -> a usage message and a non-zero status"
for ex in minimal img2img inpaint stages; do
    run "$ex-usage" $B/$ex
    if [ "$rc" -ne 0 ] && grep -qi usage "$T/$ex-usage.log"; then ok "$ex without arguments: status $rc, '$(head -n 1 "$T/$ex-usage.log")'"
    else fail "$ex without arguments: status $rc (non-zero expected) and a usage message:"; show "$ex-usage"
    fi
done

echo "== minimal: txt2img -> PPM"
run minimal $B/minimal $MODEL $VOCAB "a lighthouse at dawn, oil painting" $T/minimal.ppm 80 64 2
if [ "$rc" -eq 0 ]; then ok "minimal 80x64, 2 steps: status 0 (${secs} s)"; else fail "minimal: status $rc:"; show minimal; fi
check_ppm $T/minimal.ppm 80 64
run minimal-nomodel $B/minimal $T/no-such-model.safetensors $VOCAB "x" $T/never.ppm 64 64 1
if [ "$rc" -ne 0 ] && [ -s "$T/minimal-nomodel.log" ] && [ ! -e $T/never.ppm ]; then ok "minimal with a missing model: status $rc, '$(head -n 1 "$T/minimal-nomodel.log")'"
else fail "minimal with a missing model: status $rc, a message and no output file expected"; show minimal-nomodel
fi

echo "== img2img: PPM -> PNG, PNG -> PPM"
if [ -s $T/minimal.ppm ]; then
    run img2img-ppm $B/img2img $MODEL $VOCAB "a red boat" $T/minimal.ppm $T/img2img.png 0.75 4
    if [ "$rc" -eq 0 ]; then ok "img2img from PPM, strength 0.75, 4 steps: status 0 (${secs} s)"; else fail "img2img from PPM: status $rc:"; show img2img-ppm; fi
    check_png $T/img2img.png 80 64
else
    fail "img2img: no input (minimal made no PPM)"
fi
if [ -s $T/img2img.png ]; then
    run img2img-png $B/img2img $MODEL $VOCAB "a red boat" $T/img2img.png $T/img2img.ppm 0.5 2
    if [ "$rc" -eq 0 ]; then ok "img2img from PNG, strength 0.5, 2 steps: status 0 (${secs} s)"; else fail "img2img from PNG: status $rc:"; show img2img-png; fi
    check_ppm $T/img2img.ppm 80 64
fi
printf 'not an image\n' > $T/bad.png
run img2img-bad $B/img2img $MODEL $VOCAB "x" $T/bad.png $T/never.png
if [ "$rc" -ne 0 ] && [ -s "$T/img2img-bad.log" ] && [ ! -e $T/never.png ]; then ok "img2img with a non-image input: status $rc, '$(head -n 1 "$T/img2img-bad.log")'"
else fail "img2img with a non-image input: status $rc, a message and no output file expected"; show img2img-bad
fi

echo "== inpaint: a disc repainted, the rest of the picture kept"
# ppm_rows FILE Y N: rows Y..Y+N-1 of an 80-pixel-wide P6 (13 bytes of header) as hex
ppm_rows() { od -An -tx1 -v -j $((13 + $2 * 240)) -N $(($3 * 240)) "$1" | tr -d ' \n'; }
# inpaint.c's mask on 80x64: a disc of radius 16 around the centre, rows 16..47; mask blur 4 reaches
# 10 pixels further (cv2's kernel of 2 int(2.5 * 4 + 0.5) + 1 taps), rows 6..57: rows 0..5 and
# 58..63 lie outside both, and with the paste-back they are the input's bytes
if [ -s $T/minimal.ppm ]; then
    run inpaint-ppm $B/inpaint $MODEL $VOCAB "a red boat" $T/minimal.ppm $T/inpaint.ppm 1 3
    if [ "$rc" -eq 0 ] && grep -q "ordinary model" "$T/inpaint-ppm.log"; then ok "inpaint from PPM, strength 1, 3 steps: status 0, '$(head -n 1 "$T/inpaint-ppm.log")' (${secs} s)"
    else fail "inpaint from PPM: status $rc, 'ordinary model' expected in its output:"; show inpaint-ppm
    fi
    check_ppm $T/inpaint.ppm 80 64
    if [ -s $T/inpaint.ppm ]; then
        if [ "$(ppm_rows $T/inpaint.ppm 0 6)" = "$(ppm_rows $T/minimal.ppm 0 6)" ] && [ "$(ppm_rows $T/inpaint.ppm 58 6)" = "$(ppm_rows $T/minimal.ppm 58 6)" ]
        then ok "inpaint with paste-back: rows 0..5 and 58..63, beyond the mask and its blur, are the input's bytes"
        else fail "inpaint with paste-back: rows 0..5 or 58..63, beyond the mask and its blur, differ from the input"
        fi
        if [ "$(ppm_rows $T/inpaint.ppm 28 8)" != "$(ppm_rows $T/minimal.ppm 28 8)" ]; then ok "inpaint: rows 28..35, through the disc, were repainted"
        else fail "inpaint: rows 28..35, through the disc, are the input's bytes: nothing was repainted"
        fi
    fi
    run inpaint-nopaste $B/inpaint --no-paste $MODEL $VOCAB "a red boat" $T/minimal.ppm $T/inpaint-nopaste.ppm 1 3
    if [ "$rc" -ne 0 ]; then fail "inpaint --no-paste: status $rc:"; show inpaint-nopaste
    elif [ "$(ppm_rows $T/inpaint-nopaste.ppm 0 6)" != "$(ppm_rows $T/minimal.ppm 0 6)" ]; then
        ok "inpaint --no-paste: rows 0..5 differ from the input (the VAE's round trip): the paste-back is what keeps them"
    else fail "inpaint --no-paste: rows 0..5 are the input's bytes without the paste-back"
    fi
else
    fail "inpaint: no input (minimal made no PPM)"
fi
if [ -s $T/img2img.png ]; then
    run inpaint-png $B/inpaint --blur 0 $MODEL $VOCAB "a red boat" $T/img2img.png $T/inpaint.png 0.5 4
    if [ "$rc" -eq 0 ]; then ok "inpaint from PNG, no blur, strength 0.5, 4 steps: status 0 (${secs} s)"; else fail "inpaint from PNG: status $rc:"; show inpaint-png; fi
    check_png $T/inpaint.png 80 64
fi
NINE=${SHARED:-../shared}/fixtures/sd1-inpaint/model.safetensors
if [ -f "$NINE" ] && [ -s $T/minimal.ppm ]; then
    run inpaint-9 $B/inpaint "$NINE" $VOCAB "a red boat" $T/minimal.ppm $T/inpaint-9.ppm 0.75 3
    if [ "$rc" -eq 0 ] && grep -q "inpainting model" "$T/inpaint-9.log"; then ok "inpaint with the 9-channel model: status 0, '$(head -n 1 "$T/inpaint-9.log")'"
    else fail "inpaint with the 9-channel model: status $rc, 'inpainting model' expected in its output:"; show inpaint-9
    fi
    check_ppm $T/inpaint-9.ppm 80 64
    if [ -s $T/inpaint-9.ppm ] && [ "$(ppm_rows $T/inpaint-9.ppm 0 6)" = "$(ppm_rows $T/minimal.ppm 0 6)" ] && [ "$(ppm_rows $T/inpaint-9.ppm 58 6)" = "$(ppm_rows $T/minimal.ppm 58 6)" ]
    then ok "inpaint with the 9-channel model: rows 0..5 and 58..63 are the input's bytes"
    else fail "inpaint with the 9-channel model: rows 0..5 or 58..63 differ from the input"
    fi
else
    echo "SKIP inpaint with a 9-channel model (no $NINE)"
fi
run inpaint-bad $B/inpaint $MODEL $VOCAB "x" $T/bad.png $T/never.png
if [ "$rc" -ne 0 ] && [ -s "$T/inpaint-bad.log" ] && [ ! -e $T/never.png ]; then ok "inpaint with a non-image input: status $rc, '$(head -n 1 "$T/inpaint-bad.log")'"
else fail "inpaint with a non-image input: status $rc, a message and no output file expected"; show inpaint-bad
fi

echo "== stages: the denoising loop by hand -> PNG, and the same latent as sd txt2img"
# stages.c fixes these: the Euler sampler, guidance 7.5, seed 42, no negative prompt
run stages $B/stages $MODEL $VOCAB "a lighthouse at dawn" $T/stages.png 80 64 2 $T/stages-latent.npy
if [ "$rc" -eq 0 ]; then ok "stages 80x64, 2 steps: status 0 (${secs} s)"; else fail "stages: status $rc:"; show stages; fi
check_png $T/stages.png 80 64
run stages-sd $B/sd txt2img -q -m $MODEL --vocab $VOCAB -p "a lighthouse at dawn" -W 80 -H 64 --steps 2 \
    --sampler euler --cfg-scale 7.5 -s 42 -o $T/stages-sd.png --latent-out $T/stages-sd-latent.npy
if [ "$rc" -ne 0 ]; then fail "sd txt2img with the settings of stages: status $rc:"; show stages-sd
elif [ ! -s $T/stages-latent.npy ] || [ ! -s $T/stages-sd-latent.npy ]; then
    fail "final latents: stages wrote $(size_of $T/stages-latent.npy 2>/dev/null || echo no) bytes, sd $(size_of $T/stages-sd-latent.npy 2>/dev/null || echo no)"
elif cmp -s $T/stages-latent.npy $T/stages-sd-latent.npy; then
    ok "stages' final latent == sd txt2img --latent-out, byte for byte ($(size_of $T/stages-latent.npy) bytes of .npy)"
else
    fail "stages' final latent differs from sd txt2img --latent-out: $(cmp -l $T/stages-latent.npy $T/stages-sd-latent.npy 2>/dev/null | wc -l | tr -d ' ') of $(size_of $T/stages-latent.npy) bytes differ, the first: $(cmp $T/stages-latent.npy $T/stages-sd-latent.npy 2>&1 | head -n 1)"
fi

echo "== stages --sampler dpm++2m --scheduler karras: a sampler run with history, the same latent as sd txt2img"
run stages-k $B/stages --sampler dpm++2m --scheduler karras $MODEL $VOCAB "a lighthouse at dawn" $T/stages-k.png 80 64 3 $T/stages-k-latent.npy
if [ "$rc" -eq 0 ] && [ "$(grep -c '^dpm++2m evaluation' "$T/stages-k.log")" -eq 3 ]; then ok "stages --sampler dpm++2m --scheduler karras 80x64, 3 steps: status 0, 3 evaluations (${secs} s)"
else fail "stages --sampler dpm++2m --scheduler karras: status $rc, 3 evaluations expected:"; show stages-k
fi
check_png $T/stages-k.png 80 64
run stages-k-sd $B/sd txt2img -q -m $MODEL --vocab $VOCAB -p "a lighthouse at dawn" -W 80 -H 64 --steps 3 \
    --sampler dpm++2m --scheduler karras --cfg-scale 7.5 -s 42 -o $T/stages-k-sd.png --latent-out $T/stages-k-sd-latent.npy
if [ "$rc" -ne 0 ]; then fail "sd txt2img --sampler dpm++2m --scheduler karras with the settings of stages: status $rc:"; show stages-k-sd
elif [ ! -s $T/stages-k-latent.npy ] || [ ! -s $T/stages-k-sd-latent.npy ]; then
    fail "final latents (dpm++2m karras): stages wrote $(size_of $T/stages-k-latent.npy 2>/dev/null || echo no) bytes, sd $(size_of $T/stages-k-sd-latent.npy 2>/dev/null || echo no)"
elif cmp -s $T/stages-k-latent.npy $T/stages-k-sd-latent.npy; then
    ok "stages' dpm++2m karras latent == sd txt2img --sampler dpm++2m --scheduler karras --latent-out, byte for byte ($(size_of $T/stages-k-latent.npy) bytes)"
else
    fail "stages' dpm++2m karras latent differs from sd txt2img --latent-out: $(cmp -l $T/stages-k-latent.npy $T/stages-k-sd-latent.npy 2>/dev/null | wc -l | tr -d ' ') of $(size_of $T/stages-k-latent.npy) bytes differ, the first: $(cmp $T/stages-k-latent.npy $T/stages-k-sd-latent.npy 2>&1 | head -n 1)"
fi
for bad in "--sampler nosuch" "--sampler ddim --scheduler karras"; do
    # shellcheck disable=SC2086
    run stages-bad $B/stages $bad $MODEL $VOCAB "x" $T/never-k.png 64 64 1
    if [ "$rc" -ne 0 ] && [ -s "$T/stages-bad.log" ] && [ ! -e $T/never-k.png ]; then ok "stages $bad: status $rc, '$(head -n 1 "$T/stages-bad.log")'"
    else fail "stages $bad: status $rc, a message and no output file expected"; show stages-bad
    fi
done

echo "$checks checks, $fails failed"
[ "$fails" -eq 0 ]
