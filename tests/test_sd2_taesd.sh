#!/bin/sh
# test_sd2_taesd.sh - SD 2.x and TAESD from the outside, on random models mkmodel writes (no
# ../shared needed; the fixtures' conformance runs check the numbers against diffusers):
#   - a tiny SD 2.x checkpoint (mkmodel --family sd2) loads as the SD 2.x family; `sd tokenize -m`
#     pads with 0 after EOS (SD 1.x: with EOS); txt2img runs predicting eps and v, which give
#     different images; --prediction bogus is refused (status 2)
#   - cfg 1 (SD-Turbo's): a 1-step txt2img runs, and the negative prompt has no effect on it
#   - TAESD (mkmodel --taesd): txt2img decodes with it (another image than the VAE's); img2img
#     with the encoder and the decoder runs; vae-decode/vae-encode take --taesd; a decoder alone
#     cannot encode (img2img refused with a message naming the encoder); a file named taesdxl is
#     refused; a file that is not TAESD is refused and the model stays usable
#
#   sh tests/test_sd2_taesd.sh        from the repository root
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need build/sd build/mkmodel build/tiny.safetensors build/tiny-merges.txt
T=build/tests-tmp/sd2-taesd
rm -rf "$T"; mkdir -p "$T"
SD=build/sd
V="--vocab build/tiny-merges.txt"
build/mkmodel --family sd2 -o "$T/sd2.safetensors" 2>/dev/null || { echo "FAIL  mkmodel --family sd2"; exit 1; }
build/mkmodel --taesd "$T/taesd_decoder.safetensors" --half decoder 2>/dev/null &&
build/mkmodel --taesd "$T/taesd_encoder.safetensors" --half encoder 2>/dev/null || { echo "FAIL  mkmodel --taesd"; exit 1; }
G="-p 'a red fox' -W 64 -H 64 --steps 2 -s 3 -q"

# SD 2.x
if $SD info -m "$T/sd2.safetensors" 2>&1 | grep -q "family: SD 2.x"; then ok "sd info: the tiny SD 2.x file is the SD 2.x family"
else fail "sd info does not name SD 2.x: $($SD info -m "$T/sd2.safetensors" 2>&1 | head -3)"; fi
ids2=$($SD tokenize -m "$T/sd2.safetensors" $V -p "a fox" 2>&1)
ids1=$($SD tokenize -m build/tiny.safetensors $V -p "a fox" 2>&1)
case "$ids2" in *" 0 0 0"*) ok "sd tokenize -m SD2: padded with 0 after EOS" ;; *) fail "SD 2.x padding: $ids2" ;; esac
case "$ids1" in *" 0 0 0"*) fail "SD 1.x padding has 0s: $ids1" ;; *) ok "sd tokenize -m SD1: padded with EOS" ;; esac
if eval $SD txt2img -m "$T/sd2.safetensors" $V $G --prediction eps --latent-out "$T/eps.npy" -o "$T/eps.png" &&
   eval $SD txt2img -m "$T/sd2.safetensors" $V $G --prediction v --latent-out "$T/v.npy" -o "$T/v.png"; then
    if cmp -s "$T/eps.npy" "$T/v.npy"; then fail "--prediction eps and v give the same latent"; else ok "SD 2.x txt2img with --prediction eps and v: different latents"; fi
else fail "SD 2.x txt2img failed"; fi
eval $SD txt2img -m "$T/sd2.safetensors" $V $G --prediction bogus -o "$T/bogus.png" 2>"$T/err"; rc=$?
if [ $rc -eq 2 ] && [ ! -f "$T/bogus.png" ] && grep -q "eps or v" "$T/err"; then ok "--prediction bogus: status 2, '$(cat "$T/err")'"
else fail "--prediction bogus: status $rc, $(cat "$T/err")"; fi
# guidance off: one UNet evaluation on the prompt alone; the negative prompt does not matter
if eval $SD txt2img -m "$T/sd2.safetensors" $V $G --steps 1 --cfg-scale 1 -n "'blurry'" --latent-out "$T/t1.npy" -o "$T/t1.png" &&
   eval $SD txt2img -m "$T/sd2.safetensors" $V $G --steps 1 --cfg-scale 1 -n "'something else'" --latent-out "$T/t2.npy" -o "$T/t2.png" &&
   cmp -s "$T/t1.npy" "$T/t2.npy"; then ok "cfg 1, 1 step (SD-Turbo's settings): runs, the negative prompt has no effect"
else fail "cfg 1: the negative prompt changed the latent, or the run failed"; fi

# TAESD
M="-m build/tiny.safetensors $V"
if eval $SD txt2img $M $G --image-out "$T/vae.npy" -o "$T/vae.png" &&
   eval $SD txt2img $M $G --taesd "$T/taesd_decoder.safetensors" --image-out "$T/tae.npy" -o "$T/tae.png"; then
    if cmp -s "$T/vae.npy" "$T/tae.npy"; then fail "--taesd decodes as the VAE does"; else ok "txt2img --taesd: TAESD's image, not the VAE's"; fi
else fail "txt2img --taesd failed"; fi
if eval $SD img2img $M -i "$T/vae.png" -p "'a fox'" --steps 2 -s 3 -q --taesd "$T/taesd_encoder.safetensors" --taesd "$T/taesd_decoder.safetensors" -o "$T/i2i.png"; then
    ok "img2img with TAESD's encoder and decoder"
else fail "img2img --taesd (both halves) failed"; fi
eval $SD img2img $M -i "$T/vae.png" -p "'a fox'" --steps 2 -s 3 -q --taesd "$T/taesd_decoder.safetensors" -o "$T/i2i-dec.png" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] && grep -q "encoder" "$T/err" && [ ! -f "$T/i2i-dec.png" ]; then ok "img2img with TAESD's decoder only: refused, '$(cat "$T/err")'"
else fail "img2img with only the decoder: status $rc, $(cat "$T/err")"; fi
if $SD vae-encode $M --taesd "$T/taesd_encoder.safetensors" --image "$T/vae.png" -o "$T/lat.npy" 2>"$T/err" &&
   $SD vae-decode $M --taesd "$T/taesd_decoder.safetensors" --z "$T/lat.npy" -o "$T/dec.npy" 2>>"$T/err"; then
    ok "vae-encode and vae-decode with --taesd"
else fail "vae-encode/decode --taesd: $(cat "$T/err")"; fi
cp "$T/taesd_decoder.safetensors" "$T/taesdxl_decoder.safetensors"
eval $SD txt2img $M $G --taesd "$T/taesdxl_decoder.safetensors" -o "$T/xl.png" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] && grep -q "SDXL" "$T/err"; then ok "a taesdxl file: refused, '$(cat "$T/err")'"; else fail "taesdxl: status $rc, $(cat "$T/err")"; fi
eval $SD txt2img $M $G --taesd build/tiny.safetensors -o "$T/not.png" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] && grep -q "not a TAESD file" "$T/err" && [ ! -f "$T/not.png" ]; then ok "a checkpoint as --taesd: refused, '$(cat "$T/err")'"
else fail "a checkpoint as --taesd: status $rc, $(cat "$T/err")"; fi
echo "test_sd2_taesd: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
