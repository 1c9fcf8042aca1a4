#!/bin/sh
# test_sd_cli.sh - the sd command's samplers, schedules and noise sources, from the outside: --help,
# bad input, `sd schedule`, and the A1111 "parameters" text that sd writes into its PNGs and reads
# back with --from and `sd info`. Runs on the tiny random model that `make test` builds (64x64,
# 3-4 steps: a fraction of a second a run); needs no ../shared.
#
#   sh tests/test_sd_cli.sh        from the repository root
#
# Checks, one line each (ok / FAIL):
#   - sd --help names every sampler and schedule, sd's name beside A1111's, with the schedule each
#     sampler takes by default, and both noise sources
#   - bad input: an unknown sampler, schedule or noise source, a sampler with a schedule it cannot
#     take (ddim and pndm take only diffusers; heun .. lcm not diffusers), steps out of range, and a
#     --from PNG whose text names a sampler or schedule sd has not: exit status 2, a message that
#     names the allowed values, and no output file (neither the PNG nor --latent-out)
#   - sd schedule prints JSON: PNDM's n + 1 timesteps, karras by default for the k-diffusion
#     samplers (n + 1 sigmas ending in 0), dpm2's sigmas after the next-to-last was dropped, no sigmas
#     for DDIM
#   - the text of a PNG made with --sampler dpm++2m --scheduler karras --rng philox is A1111's
#     ("Sampler: DPM++ 2M", "Schedule type: Karras", no RNG field: A1111's GPU noise); with --rng cpu
#     it says "RNG: CPU"
#   - round trips: for 15 settings and an img2img (every sampler, every schedule, both noise sources, img2img,
#     clip skip, DDIM's eta, prompts with commas, colons and newlines, an empty prompt), --from on
#     sd's PNG gives the same final latent as the explicit options, byte for byte (cmp of the
#     --latent-out files)
#   - A1111's texts: PNGs whose parameters text is exactly what A1111 writes (made here by putting
#     the text into an sd PNG with tools/sd_png.h) give with --from the same latent as the explicit
#     options: "DPM++ 2M" + "Schedule type: Karras" and the older "DPM++ 2M Karras", texts with no
#     RNG (GPU noise: philox), "RNG: CPU", "RNG: NV", "Automatic" (A1111's default schedule for the
#     sampler), A1111 before v1.9, PLMS, DDIM with "Eta DDIM", quoted values, an empty prompt;
#     `sd info` says what it reads
#   - texts sd wrote before it had schedules and Philox (no "Schedule type", no "RNG", "Version: sd.h")
#     still read as diffusers' schedule and CPU noise
# The tiny model and build/sd are made first when missing or out of date (make -j1 of those only).
# OMP_NUM_THREADS defaults to 1: the machine may be shared, and results do not depend on it.
# Exits non-zero when any check fails.

B=build
T=$B/test-sd-cli
SD=${SD:-$B/sd}   # SD=build/asan/sd runs it on the sanitized build
MODEL=$B/tiny.safetensors
VOCAB=$B/tiny-merges.txt
: "${OMP_NUM_THREADS:=1}"
export OMP_NUM_THREADS


if [ ! -f sd.h ] || [ ! -f tools/sd.c ]; then
    echo "test_sd_cli.sh: run it from the repository root" >&2
    exit 2
fi
. tests/lib.sh
targets="$SD $MODEL $VOCAB"
# shellcheck disable=SC2086
need $targets
rm -rf "$T"
mkdir -p "$T"

# retext IN.png TEXTFILE OUT.png: IN's pixels with TEXTFILE (one trailing newline dropped) as the
# "parameters" text, the way A1111 stores it (a tEXt chunk)
cat > "$T/retext.c" <<'EOF'
#define SD_PNG_IMPLEMENTATION
#include "sd_png.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv)
{
    int w, h;
    size_t n;
    const char *why = "";
    unsigned char *px;
    static char text[65536];
    sdpng_text t;
    FILE *f;
    if (argc != 4) { fprintf(stderr, "usage: retext IN.png TEXTFILE OUT.png\n"); return 2; }
    if (!(px = sdpng_read_file(argv[1], &w, &h, 3, NULL, NULL, &why))) { fprintf(stderr, "%s: %s\n", argv[1], why); return 1; }
    if (!(f = fopen(argv[2], "rb"))) { perror(argv[2]); return 1; }
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    if (n && text[n - 1] == '\n') n--;
    text[n] = 0;
    t.key = (char *)"parameters";
    t.text = text;
    if (!sdpng_write_file(argv[3], px, w, h, 3, &t, 1)) { fprintf(stderr, "cannot write %s\n", argv[3]); return 1; }
    sdpng_free(px);
    return 0;
}
EOF
if ! ${CC:-cc} -std=c99 -O1 -Itools -o "$T/retext" "$T/retext.c" 2> "$T/retext.log"; then
    echo "FAIL  cannot build the text rewriter:"; sed 's/^/        /' "$T/retext.log"; exit 1
fi

# run NAME CMD...: the command's output in $T/NAME.log, its status in rc
run() { rn=$1; shift; "$@" > "$T/$rn.log" 2>&1; rc=$?; }
# the output of a command, indented
show() { sed -n '1,8s/^/        /p' "$T/$1.log"; }

# gen NAME SD-OPTIONS...: sd at 64x64 on the tiny model; $T/NAME.png and its final latent $T/NAME.npy
gen() { gn=$1; shift; run "$gn" "$SD" -q -m "$MODEL" --vocab "$VOCAB" -W 64 -H 64 -o "$T/$gn.png" --latent-out "$T/$gn.npy" "$@"; }

# same A B WHAT: the latents of runs A and B are the same bytes
same() {
    if [ ! -s "$T/$1.npy" ]; then fail "$3: run $1 made no latent:"; show "$1"
    elif [ ! -s "$T/$2.npy" ]; then fail "$3: run $2 made no latent:"; show "$2"
    elif cmp -s "$T/$1.npy" "$T/$2.npy"; then ok "$3"
    else fail "$3: the latents differ ($(cmp "$T/$1.npy" "$T/$2.npy" 2>&1 | head -n 1))"
    fi
}

# text NAME: the parameters text of $T/NAME.png, on one line
text() { "$SD" info "$T/$1.png" 2>/dev/null | sed -n '/^parameters:$/,/^sd reads it as/p' | sed '1d;$d' | tr '\n' '|'; }

# has WHAT STRING FILE / hasnt WHAT STRING FILE
has()   { if grep -qF -- "$2" "$3"; then ok "$1"; else fail "$1: '$2' not in $3"; sed -n '1,6s/^/        /p' "$3"; fi; }
hasnt() { if grep -qF -- "$2" "$3"; then fail "$1: '$2' in $3"; sed -n '1,6s/^/        /p' "$3"; else ok "$1"; fi; }

echo "== sd --help: every sampler and schedule, A1111's names, the defaults"
run help "$SD" --help
if [ "$rc" -ne 0 ]; then fail "sd --help: status $rc"; fi
miss=""
for s in "euler_a *Euler a *diffusers" "euler *Euler *diffusers" "ddim *DDIM *diffusers" "pndm *PLMS *diffusers" \
         "heun *Heun *karras" "dpm2 *DPM2 *karras" "dpm2_a *DPM2 a *karras" "lms *LMS *karras" "dpm++2m *DPM++ 2M *karras" \
         "dpm++2s_a *DPM++ 2S a *karras" "lcm *LCM *karras" "diffusers  " "normal *Uniform" "karras *Karras" \
         "exponential *Exponential" "sgm_uniform *SGM Uniform" "simple *Simple" "cpu *CPU" "philox *GPU"; do
    grep -q "^  $s" "$T/help.log" || miss="$miss, '$s'"
done
if [ -z "$miss" ]; then ok "sd --help: 11 samplers with A1111's name and default schedule, 6 schedules with A1111's, cpu and philox"
else fail "sd --help lacks the lines (sd name, A1111 name, default)${miss#,}"; fi
has "sd --help: --rng and its default" "--rng KIND" "$T/help.log"

echo "== bad input: status 2, a message naming the allowed values, nothing written"
# bad WHAT WORD SD-OPTIONS...: sd txt2img with those options must exit 2, print a message with WORD, write nothing
bad() {
    what=$1; word=$2; shift 2
    rm -f "$T/bad.png" "$T/bad.npy"
    gen bad "$@"
    if [ "$rc" -eq 2 ] && grep -qF -- "$word" "$T/bad.log" && [ ! -e "$T/bad.png" ] && [ ! -e "$T/bad.npy" ] && [ ! -e "$T/bad.png.part" ]; then
        ok "$what: status 2, '$(head -n 1 "$T/bad.log" | cut -c1-150)'"
    else
        left=""
        for f in "$T/bad.png" "$T/bad.npy" "$T/bad.png.part"; do [ -e "$f" ] && left="$left $f"; done
        fail "$what: status $rc (2 expected), message with '$word', files left:${left:- none}"; show bad
    fi
}
bad "unknown sampler" "dpm++2s_a, lcm" -p x --sampler dpm++3m
bad "unknown schedule" "sgm_uniform, simple" -p x --scheduler beta
bad "unknown noise" "cpu, philox" -p x --rng cuda
bad "ddim with karras" "only --scheduler diffusers" -p x --sampler ddim --scheduler karras
bad "pndm with normal" "only --scheduler diffusers" -p x --sampler pndm --scheduler normal
bad "dpm++2m with diffusers" "normal, karras, exponential, sgm_uniform or simple" -p x --sampler dpm++2m --scheduler diffusers
bad "lcm with diffusers" "normal, karras, exponential, sgm_uniform or simple" -p x --sampler lcm --scheduler diffusers
bad "heun with diffusers (after the schedule)" "normal, karras" -p x --scheduler diffusers --sampler heun
bad "0 steps" "1..1000" -p x --steps 0
bad "1001 steps" "1..1000" -p x --steps 1001
bad "img2img with a pair that does not go" "only --scheduler diffusers" -p x --sampler pndm --scheduler karras -i "$T/missing.png"
run sched-bad "$SD" schedule --sampler ddim --scheduler exponential --steps 10
if [ "$rc" -eq 2 ] && grep -qF "only --scheduler diffusers" "$T/sched-bad.log" && ! grep -q '{' "$T/sched-bad.log"; then ok "sd schedule with ddim and exponential: status 2, no JSON"
else fail "sd schedule with ddim and exponential: status $rc, 2 and a message expected"; show sched-bad; fi

echo "== sd schedule"
# arr NAME KEY: the values of the JSON array KEY in $T/NAME.log, one a line
# near X Y: |X - Y| < 1e-4
near() { awk -v x="$1" -v y="$2" 'BEGIN { d = x - y; exit !(d < 1e-4 && d > -1e-4) }'; }
arr() { sed -n "s/.*\"$2\": \[\([^]]*\)\].*/\1/p" "$T/$1.log" | tr ',' '\n' | sed 's/^ *//'; }
run s-pndm "$SD" schedule --sampler pndm --steps 10
t=$(arr s-pndm timesteps | tr '\n' ' ')
if [ "$t" = "901 801 801 701 601 501 401 301 201 101 1 " ] && [ -z "$(arr s-pndm sigmas)" ]; then ok "pndm, 10 steps: 11 timesteps 901 801 801 ... 101 1, no sigmas"
else fail "pndm, 10 steps: timesteps '$t'"; show s-pndm; fi
run s-2m "$SD" schedule --sampler dpm++2m --steps 10
first=$(arr s-2m sigmas | head -n 1); last=$(arr s-2m sigmas | tail -n 1); n=$(arr s-2m sigmas | wc -l | tr -d ' ')
if grep -q '"scheduler": "karras"' "$T/s-2m.log" && [ "$n" -eq 11 ] && near "$first" 14.6146421 && [ "$last" = 0 ]; then ok "dpm++2m without --scheduler: karras, 11 sigmas $first .. $last"
else fail "dpm++2m without --scheduler: $n sigmas $first .. $last"; show s-2m; fi
run s-dpm2 "$SD" schedule --sampler dpm2 --scheduler karras --steps 10
second=$(arr s-dpm2 sigmas | sed -n 2p); n=$(arr s-dpm2 sigmas | wc -l | tr -d ' ')
if [ "$n" -eq 11 ] && near "$second" 9.5583; then ok "dpm2 karras, 10 steps: 11 sigmas, the next-to-last dropped (second $second)"
else fail "dpm2 karras, 10 steps: $n sigmas, second $second (9.5583 expected)"; show s-dpm2; fi
run s-euler "$SD" schedule --sampler euler --steps 4
if grep -q '"scheduler": "diffusers"' "$T/s-euler.log" && [ "$(arr s-euler timesteps | wc -l)" -eq 4 ] && [ "$(arr s-euler sigmas | wc -l)" -eq 5 ]; then
    ok "euler without --scheduler: diffusers, 4 timesteps and 5 sigmas"
else fail "euler without --scheduler"; show s-euler; fi

echo "== the words in the PNG"
gen w-philox -p "a lighthouse" --steps 3 --sampler dpm++2m --scheduler karras --rng philox -s 11
text w-philox > "$T/w-philox.txt"
has "dpm++2m karras philox: Sampler: DPM++ 2M" "Sampler: DPM++ 2M, Schedule type: Karras," "$T/w-philox.txt"
hasnt "dpm++2m karras philox: no RNG field (A1111's GPU noise)" "RNG:" "$T/w-philox.txt"
gen w-cpu -p "a lighthouse" --steps 3 --sampler dpm++2m --scheduler karras --rng cpu -s 11
text w-cpu > "$T/w-cpu.txt"
has "dpm++2m karras cpu: RNG: CPU" ", RNG: CPU," "$T/w-cpu.txt"
if cmp -s "$T/w-cpu.npy" "$T/w-philox.npy"; then fail "cpu and philox noise give the same latent"; else ok "cpu and philox noise give different latents"; fi
gen w-old -p "a lighthouse" --steps 3 -s 11
text w-old > "$T/w-old.txt"
has "the default (euler_a, diffusers' schedule): Sampler: Euler a, Schedule type: Automatic" "Sampler: Euler a, Schedule type: Automatic," "$T/w-old.txt"
gen w-pndm -p "a lighthouse" --steps 3 --sampler pndm -s 11
text w-pndm > "$T/w-pndm.txt"
has "pndm: Sampler: PLMS" "Sampler: PLMS," "$T/w-pndm.txt"

echo "== round trips: --from on sd's own PNG gives the same latent"
# trip NAME SD-OPTIONS...: gen NAME with the options, then --from NAME.png; the latents must be equal
trip() {
    tn=$1; shift
    gen "$tn" "$@"
    if [ "$rc" -ne 0 ]; then fail "$tn: sd $*: status $rc"; show "$tn"; return; fi
    gen "$tn-from" --from "$T/$tn.png"
    same "$tn" "$tn-from" "$tn: $(text "$tn" | sed 's/.*|Steps/Steps/; s/, Version.*//' | cut -c1-120)"
}
trip rt-default -p "a lighthouse at dawn" --steps 3 -s 7
trip rt-ea-philox -p "a lighthouse, at dawn: oil" --steps 3 -s 7 --rng philox
trip rt-2m-philox -p "a red fox" -n "blurry, lowres" --steps 4 --sampler dpm++2m --scheduler karras --rng philox --cfg-scale 7.5 -s 1234
trip rt-2m-cpu -p "a red fox" --steps 4 --sampler dpm++2m --rng cpu --clip-skip 2 -s 99
trip rt-euler-normal -p "a boat" --steps 3 --sampler euler --scheduler normal -s 3
trip rt-lms-exp -p "a boat" --steps 4 --sampler lms --scheduler exponential -s 4 --cfg-scale 6.123456789
trip rt-heun-sgm -p "a boat" --steps 3 --sampler heun --scheduler sgm_uniform -s 5 --rng philox
trip rt-dpm2a-simple -p "a boat" --steps 3 --sampler dpm2_a --scheduler simple -s 6 --rng philox
trip rt-dpm2 -p "a boat" --steps 3 --sampler dpm2 -s 6
trip rt-2sa -p "a boat" --steps 3 --sampler dpm++2s_a -s 8 --cfg-scale 3.3
trip rt-pndm -p "a boat" --steps 4 --sampler pndm -s 9
trip rt-ddim-eta -p "a boat" --steps 3 --sampler ddim --eta 0.37 -s 10
trip rt-lcm -p "a boat" --steps 4 --sampler lcm --scheduler sgm_uniform --cfg-scale 1.5 -s 12 --rng philox
trip rt-lines -p "first line
second line, with: a colon" -n "" --steps 3 --sampler euler_a --scheduler karras -s 13
trip rt-empty -p "" -n "ugly, blurry" --steps 3 --sampler euler -s 14
# img2img: --from takes the strength from the text; the init image is given again
gen rt-img2img -i "$T/rt-default.png" -p "a red boat" --steps 4 --sampler dpm++2m --scheduler karras --rng philox --strength 0.6 -s 15
gen rt-img2img-from --from "$T/rt-img2img.png" -i "$T/rt-default.png"
same rt-img2img rt-img2img-from "img2img (Denoising strength: 0.6) with --from and the same -i"
if text rt-img2img | grep -qF "Denoising strength: 0.6,"; then ok "img2img: Denoising strength: 0.6 in the text"
else fail "img2img: no 'Denoising strength: 0.6' in '$(text rt-img2img)'"; fi

echo "== A1111's texts: --from gives the same latent as the explicit options"
# a1111 NAME TEXT: $T/NAME.png, a 64x64 PNG whose parameters text is TEXT (with \n for a newline)
a1111() { printf '%b' "$2" > "$T/$1.txt" && "$T/retext" "$T/rt-default.png" "$T/$1.txt" "$T/$1.png"; }
# from NAME WHAT SD-OPTIONS...: --from NAME.png against the explicit options
from() {
    fn=$1; what=$2; shift 2
    gen "$fn-from" --from "$T/$fn.png"
    if [ "$rc" -ne 0 ]; then fail "$what: --from: status $rc"; show "$fn-from"; return; fi
    gen "$fn-opts" "$@"
    same "$fn-from" "$fn-opts" "$what"
}
a1111 a-2m 'a lighthouse at dawn\nNegative prompt: blurry, lowres\nSteps: 4, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234, Size: 64x64, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.10.1'
from a-2m "A1111 'Sampler: DPM++ 2M, Schedule type: Karras', no RNG == --sampler dpm++2m --scheduler karras --rng philox" \
    -p "a lighthouse at dawn" -n "blurry, lowres" --steps 4 --sampler dpm++2m --scheduler karras --rng philox --cfg-scale 7 -s 1234
a1111 a-2m-old 'a lighthouse at dawn\nNegative prompt: blurry, lowres\nSteps: 4, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 64x64, Model hash: 6ce0161689'
gen a-2m-old-from --from "$T/a-2m-old.png"
same a-2m-old-from a-2m-opts "A1111's older 'Sampler: DPM++ 2M Karras' (no Schedule type, no RNG, no Version) == the same options"
a1111 a-2m-auto 'a lighthouse at dawn\nNegative prompt: blurry, lowres\nSteps: 4, Sampler: DPM++ 2M, Schedule type: Automatic, CFG scale: 7, Seed: 1234, Size: 64x64, Version: v1.10.1'
gen a-2m-auto-from --from "$T/a-2m-auto.png"
same a-2m-auto-from a-2m-opts "A1111 'DPM++ 2M, Schedule type: Automatic' (v1.10: Karras) == the same options"
if cmp -s "$T/a-2m-opts.npy" "$T/w-philox.npy"; then fail "different settings, the same latent: the comparisons mean nothing"; else ok "other settings give another latent"; fi
a1111 a-ea-cpu 'a boat\nSteps: 3, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 5, Size: 64x64, Model: x, RNG: CPU, Version: v1.10.1'
from a-ea-cpu "A1111 'Euler a, Schedule type: Automatic, RNG: CPU' == --sampler euler_a --scheduler normal --rng cpu" \
    -p "a boat" --steps 3 --sampler euler_a --scheduler normal --rng cpu -s 5
a1111 a-ea-gpu 'a boat\nSteps: 3, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 64x64, Model: x, Version: v1.10.1'
from a-ea-gpu "A1111 'Euler a' with no Schedule type and no RNG == --sampler euler_a --scheduler normal --rng philox" \
    -p "a boat" --steps 3 --sampler euler_a --scheduler normal --rng philox -s 5
a1111 a-dpm2a-nv 'a boat\nSteps: 3, Sampler: DPM2 a, Schedule type: Exponential, CFG scale: 5.5, Seed: 77, Size: 64x64, RNG: NV, Version: v1.10.1'
from a-dpm2a-nv "A1111 'DPM2 a, Schedule type: Exponential, RNG: NV' == --sampler dpm2_a --scheduler exponential --rng philox" \
    -p "a boat" --steps 3 --sampler dpm2_a --scheduler exponential --rng philox --cfg-scale 5.5 -s 77
a1111 a-plms 'a boat\nSteps: 4, Sampler: PLMS, Schedule type: Automatic, CFG scale: 7, Seed: 21, Size: 64x64, RNG: CPU, Version: v1.10.1'
from a-plms "A1111 'PLMS, RNG: CPU' == --sampler pndm --rng cpu" -p "a boat" --steps 4 --sampler pndm --rng cpu -s 21
a1111 a-ddim 'a boat\nSteps: 3, Sampler: DDIM, Schedule type: Karras, CFG scale: 7, Seed: 22, Size: 64x64, RNG: CPU, Eta DDIM: 0.5, Version: v1.10.1'
from a-ddim "A1111 'DDIM, Eta DDIM: 0.5' (its schedule type unused) == --sampler ddim --eta 0.5 --rng cpu" \
    -p "a boat" --steps 3 --sampler ddim --eta 0.5 --rng cpu -s 22
a1111 a-lms 'a boat\nSteps: 3, Sampler: LMS, Schedule type: Automatic, CFG scale: 7.5, Seed: 23, Size: 64x64, Clip skip: 2, Version: v1.10.1'
from a-lms "A1111 'LMS, Automatic, Clip skip: 2' == --sampler lms --scheduler normal --rng philox --clip-skip 2" \
    -p "a boat" --steps 3 --sampler lms --scheduler normal --rng philox --cfg-scale 7.5 --clip-skip 2 -s 23
a1111 a-2m-v16 'a boat\nSteps: 3, Sampler: DPM++ 2M, CFG scale: 7, Seed: 24, Size: 64x64, Version: v1.6.0'
from a-2m-v16 "A1111 v1.6 'DPM++ 2M' (before schedule types: Uniform) == --sampler dpm++2m --scheduler normal --rng philox" \
    -p "a boat" --steps 3 --sampler dpm++2m --scheduler normal --rng philox -s 24
a1111 a-2sa-old 'a boat\nSteps: 3, Sampler: DPM++ 2S a Karras, CFG scale: 7, Seed: 25, Size: 64x64'
from a-2sa-old "A1111's older 'DPM++ 2S a Karras' == --sampler dpm++2s_a --scheduler karras --rng philox" \
    -p "a boat" --steps 3 --sampler dpm++2s_a --scheduler karras --rng philox -s 25
a1111 a-quoted 'Negative prompt: ugly, blurry\nSteps: 3, Sampler: Heun, Schedule type: SGM Uniform, CFG scale: 7, Seed: 26, Size: 64x64, Model: "my, model: v2", Lora hashes: "a: 1, Seed: 3", RNG: CPU, Version: v1.10.1'
from a-quoted "A1111, empty prompt, quoted values with ', ' and ': ' inside == --sampler heun --scheduler sgm_uniform --rng cpu" \
    -p "" -n "ugly, blurry" --steps 3 --sampler heun --scheduler sgm_uniform --rng cpu -s 26
run info-a "$SD" info "$T/a-2m-old.png"
has "sd info on 'DPM++ 2M Karras' says what --from takes" "sd reads it as: --sampler dpm++2m --scheduler karras --rng philox --steps 4 --cfg-scale 7 --seed 1234 -W 64 -H 64" "$T/info-a.log"

echo "== texts of sd before schedules and Philox: diffusers' schedule, CPU noise"
a1111 old-sd 'a lighthouse at dawn\nSteps: 3, Sampler: Euler a, CFG scale: 7, Seed: 7, Size: 64x64, Model: tiny.safetensors, Version: sd.h 0.1'
gen old-sd-from --from "$T/old-sd.png"
same old-sd-from rt-default "an old sd text ('Euler a', no Schedule type, no RNG) == the default command (euler_a, diffusers, cpu)"
a1111 old-sd-ddim 'a boat\nSteps: 3, Sampler: DDIM, CFG scale: 7, Seed: 10, Size: 64x64, Model: tiny.safetensors, Eta: 0.37, Version: sd.h 0.1'
gen old-sd-ddim-from --from "$T/old-sd-ddim.png"
same old-sd-ddim-from rt-ddim-eta "an old sd text ('DDIM', 'Eta: 0.37') == --sampler ddim --eta 0.37 --rng cpu"
run info-old "$SD" info "$T/old-sd.png"
has "sd info on an old sd text" "sd reads it as: --sampler euler_a --scheduler diffusers --rng cpu" "$T/info-old.log"

echo "== --from with what sd has not"
a1111 a-sde 'a boat\nSteps: 3, Sampler: DPM++ SDE Karras, CFG scale: 7, Seed: 5, Size: 64x64, Version: v1.10.1'
rm -f "$T/bad.png" "$T/bad.npy"
gen bad --from "$T/a-sde.png"
if [ "$rc" -eq 2 ] && grep -qF "'DPM++ SDE' is not one sd has (Euler a, Euler, DDIM, PLMS" "$T/bad.log" && [ ! -e "$T/bad.png" ] && [ ! -e "$T/bad.npy" ]; then
    ok "--from 'DPM++ SDE Karras': status 2, '$(head -n 1 "$T/bad.log" | cut -c1-150)'"
else fail "--from 'DPM++ SDE Karras': status $rc, 2 and a message naming the samplers sd has expected"; show bad; fi
gen sde-over --from "$T/a-sde.png" --sampler dpm++2m
if [ "$rc" -eq 0 ]; then ok "--from 'DPM++ SDE Karras' --sampler dpm++2m: status 0 (the option after --from replaces it)"
else fail "--from 'DPM++ SDE Karras' --sampler dpm++2m: status $rc"; show sde-over; fi
a1111 a-beta 'a boat\nSteps: 3, Sampler: Euler, Schedule type: Beta, CFG scale: 7, Seed: 5, Size: 64x64, Version: v1.10.1'
rm -f "$T/bad.png" "$T/bad.npy"
gen bad --from "$T/a-beta.png"
if [ "$rc" -eq 2 ] && grep -qF "'Beta' is not one sd has" "$T/bad.log" && [ ! -e "$T/bad.png" ]; then ok "--from 'Schedule type: Beta': status 2, '$(head -n 1 "$T/bad.log" | cut -c1-150)'"
else fail "--from 'Schedule type: Beta': status $rc"; show bad; fi
bad "--from 'DPM++ 2M Karras' then --sampler ddim" "gave the schedule" --from "$T/a-2m-old.png" --sampler ddim

echo "$checks checks, $fails failed"
[ "$fails" -eq 0 ]
