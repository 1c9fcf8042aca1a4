#!/bin/sh
# test_sdxl.sh - SDXL from the outside, on the tiny SDXL checkpoint mkmodel writes (--config
# sdxl-tiny, or --family sdxl from an mkmodel without it; no ../shared needed: test_sdxl checks the
# numbers, the conformance runs check them against diffusers):
#   - sd info: the SDXL family; sd --help names the SDXL options
#   - sd text: -o gets the context [1, 77, W0+W1]; --pooled puts the pooled vector [1, P] in -o,
#     the same bytes as --pooled-out; on SD 1.x --pooled and --pooled-out fail with a message
#   - sd unet: on SDXL without --y fails naming --y; a y of the wrong width fails saying the width;
#     --y on SD 1.x fails; with a y of the right shape it runs
#   - txt2img: --original-size, --crop, --target-size refuse bad values (status non-zero, a message
#     naming the form, no image); given equal to their defaults (on a 64x32 image: the image's size,
#     0,0) the latent keeps its bytes; other values change it (the size swapped, the crop's two
#     corners told apart); the PNG's text carries them and --from gives back the same latent
#
#   sh tests/test_sdxl.sh        from the repository root
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need build/sd build/mkmodel build/tiny.safetensors build/tiny-merges.txt
T=build/tests-tmp/sdxl-cli
rm -rf "$T"; mkdir -p "$T"
SD=build/sd
V="--vocab build/tiny-merges.txt"
XL="$T/sdxl.safetensors"
if build/mkmodel --config sdxl-tiny -o "$XL" >/dev/null 2>&1; then :
elif build/mkmodel --family sdxl -o "$XL" >/dev/null 2>&1; then echo "      (mkmodel has no --config sdxl-tiny: --family sdxl)"
else echo "FAIL  mkmodel cannot write an SDXL checkpoint"; exit 1; fi
SD1="-m build/tiny.safetensors $V"
M="-m $XL $V"
# the shape in a .npy's header, as "1, 77, 128"
npy_shape() { head -c 128 "$1" | LC_ALL=C tr -d '\000' | LC_ALL=C sed -n "s/.*'shape': (\([^)]*\)).*/\1/p" | sed 's/,$//'; }

# info and help
if $SD info -m "$XL" 2>&1 | grep -q "family: SDXL"; then ok "sd info: family SDXL"
else fail "sd info does not name SDXL: $($SD info -m "$XL" 2>&1 | head -3)"; fi
help=$($SD --help 2>&1)
missing=""
for o in --pooled --pooled-out --y --original-size --crop --target-size; do
    case "$help" in *"$o "*) ;; *) missing="$missing $o" ;; esac
done
if [ -z "$missing" ]; then ok "sd --help names --pooled, --pooled-out, --y, --original-size, --crop, --target-size"; else fail "sd --help lacks$missing"; fi

# sd text
if $SD text $M -p "a red fox" -o "$T/ctx.npy" --pooled-out "$T/pooled-out.npy" 2>"$T/err" &&
   $SD text $M -p "a red fox" --pooled -o "$T/pooled.npy" 2>>"$T/err"; then
    c=$(npy_shape "$T/ctx.npy"); p=$(npy_shape "$T/pooled.npy")
    case "$c" in "1, 77, "*) ok "sd text -o: the context [$c]" ;; *) fail "sd text -o: shape [$c], [1, 77, W] expected" ;; esac
    case "$p" in "1, "[0-9]*) ok "sd text --pooled -o: the pooled vector [$p]" ;; *) fail "sd text --pooled: shape [$p], [1, P] expected" ;; esac
    if cmp -s "$T/pooled.npy" "$T/pooled-out.npy"; then ok "--pooled -o and --pooled-out write the same bytes"; else fail "--pooled -o and --pooled-out differ"; fi
else fail "sd text on SDXL failed: $(cat "$T/err")"; fi
for flag in "--pooled -o $T/p1.npy" "-o $T/c1.npy --pooled-out $T/p1.npy"; do
    # shellcheck disable=SC2086
    $SD text $SD1 -p "a red fox" $flag 2>"$T/err"; rc=$?
    if [ $rc -ne 0 ] && grep -q "pooled" "$T/err" && [ ! -f "$T/p1.npy" ]; then ok "sd text $(echo "$flag" | grep -o -- '--pooled[a-z-]*') on SD 1.x: status $rc, '$(cat "$T/err")'"
    else fail "sd text $flag on SD 1.x: status $rc, '$(cat "$T/err")'"; fi
done

# sd unet
P=$(npy_shape "$T/pooled.npy" | sed 's/.*, //')
ADM=$((P + 1536))
$SD randn --seed 1 --shape 1,4,8,8 -o "$T/x.npy" && $SD randn --seed 2 --shape "1,$ADM" -o "$T/y.npy" &&
$SD randn --seed 3 --shape 1,100 -o "$T/y-bad.npy" && $SD text $SD1 -p "a red fox" -o "$T/ctx1.npy" || fail "making the UNet's inputs"
$SD unet $M --x "$T/x.npy" --t 500 --context "$T/ctx.npy" -o "$T/eps.npy" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] && grep -q -- "--y" "$T/err" && [ ! -f "$T/eps.npy" ]; then ok "sd unet on SDXL without --y: status $rc, '$(cat "$T/err")'"
else fail "sd unet on SDXL without --y: status $rc, '$(cat "$T/err")'"; fi
$SD unet $M --x "$T/x.npy" --t 500 --context "$T/ctx.npy" --y "$T/y-bad.npy" -o "$T/eps.npy" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] && grep -q "$ADM" "$T/err" && [ ! -f "$T/eps.npy" ]; then ok "sd unet --y [1,100]: status $rc, '$(cat "$T/err")'"
else fail "sd unet --y of the wrong width: status $rc, '$(cat "$T/err")'"; fi
$SD unet $SD1 --x "$T/x.npy" --t 500 --context "$T/ctx1.npy" --y "$T/y.npy" -o "$T/eps.npy" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] && grep -q "SDXL" "$T/err" && [ ! -f "$T/eps.npy" ]; then ok "sd unet --y on SD 1.x: status $rc, '$(cat "$T/err")'"
else fail "sd unet --y on SD 1.x: status $rc, '$(cat "$T/err")'"; fi
if $SD unet $M --x "$T/x.npy" --t 500 --context "$T/ctx.npy" --y "$T/y.npy" -o "$T/eps.npy" 2>"$T/err" && [ "$(npy_shape "$T/eps.npy")" = "1, 4, 8, 8" ]; then
    ok "sd unet on SDXL with --y [1,$ADM]: eps [1, 4, 8, 8]"
else fail "sd unet with --y: $(cat "$T/err") $(npy_shape "$T/eps.npy" 2>/dev/null)"; fi

# txt2img: bad values refused
G="-p 'a red fox' -W 64 -H 32 --steps 1 -s 3 -q"
for bad in "--original-size 0x64" "--original-size 64" "--original-size 64x" "--original-size x64" "--original-size -64x32" "--original-size 64x32x" \
           "--original-size 64X32" "--original-size abc" "--target-size 64x0" "--target-size 1e3x64" "--target-size ''" \
           "--crop -1,0" "--crop 8" "--crop 8," "--crop a,b" "--crop 8,8,8" "--crop 8x8" "--crop 0,-8"; do
    rm -f "$T/bad.png"
    eval $SD txt2img $M $G "$bad" -o "$T/bad.png" 2>"$T/err"; rc=$?
    opt=${bad%% *}
    if [ "$opt" = "--crop" ]; then form="LEFT,TOP"; else form="WIDTHxHEIGHT"; fi
    if [ $rc -ne 0 ] && grep -q -- "$opt $form" "$T/err" && [ ! -f "$T/bad.png" ]; then ok "$bad: status $rc, '$(cat "$T/err")'"
    else fail "$bad: status $rc, '$(cat "$T/err")'"; fi
done

# txt2img: the defaults given change nothing; other values change the latent
run() { name=$1; shift; eval $SD txt2img $M $G "$@" -o "$T/$name.png" --latent-out "$T/$name.npy" 2>"$T/err" || fail "txt2img $*: $(cat "$T/err")"; }
run base
run given --original-size 64x32 --crop 0,0 --target-size 64x32
if cmp -s "$T/base.npy" "$T/given.npy"; then ok "--original-size 64x32 --crop 0,0 --target-size 64x32 on a 64x32 image: the same latent as none"
else fail "the defaults given change the latent"; fi
for v in "--original-size 32x64" "--original-size 128x96" "--target-size 32x64" "--crop 8,0" "--crop 0,8"; do
    n=$(echo "$v" | tr -c 'a-z0-9\n' '_')
    run "$n" $v
    if cmp -s "$T/base.npy" "$T/$n.npy"; then fail "$v: the same latent as the defaults"; else ok "$v changes the latent"; fi
done
if cmp -s "$T/__crop_8_0.npy" "$T/__crop_0_8.npy"; then fail "--crop 8,0 and --crop 0,8 give the same latent"; else ok "--crop 8,0 and --crop 0,8: different latents"; fi

# the PNG's text and --from
run sized --original-size 128x96 --crop 8,16 --target-size 96x48
info=$($SD info "$T/sized.png" 2>&1)
case "$info" in *"Original size: 128x96"*"Crop: \"8,16\""*"Target size: 96x48"*) ok "the PNG's text: Original size: 128x96, Crop: \"8,16\", Target size: 96x48" ;;
    *) fail "the PNG's text lacks the size conditioning: $(echo "$info" | grep Steps)" ;; esac
if $SD txt2img $M --from "$T/sized.png" -q -o "$T/from.png" --latent-out "$T/from.npy" 2>"$T/err" && cmp -s "$T/sized.npy" "$T/from.npy"; then
    ok "--from the PNG: the same latent"
else fail "--from the PNG: another latent, or it failed: $(cat "$T/err")"; fi
info=$($SD info "$T/base.png" 2>&1)
case "$info" in *"Original size"*|*"Crop"*|*"Target size"*) fail "the defaults written in the PNG's text: $(echo "$info" | grep Steps)" ;;
    *) ok "the defaults are not written in the PNG's text" ;; esac
echo "test_sdxl.sh: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
