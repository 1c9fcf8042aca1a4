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
#   - prompt weighting: sd text's default is none; a weighted prompt gives other bytes under a1111
#     and comfy, a plain short one the same bytes under none, a1111 and comfy; a prompt past 75
#     tokens gives [1, 154, D] or [1, 231, D] under a1111 and [1, 77, D] under none (the .npy
#     header read with head/tr/sed); --weighting bogus: status 2; sd unet takes the long context;
#     --weighting comfy is "Prompt weighting: comfy" in the PNG and --from gives it back (a1111, the
#     default, is not written)
#   - refused, with no output: --embedding of a .pt (a message saying how to convert it), of a
#     missing file (named), --lora of a missing file (named, FILE:W split), a <lora:x:0.5> tag
#     without --lora-dir (sd text and txt2img; the message says --lora-dir)
#   - LoRA and embeddings (the sd1-prompts fixtures' files with ../shared, else build/mkmodel --lora
#     and --embedding; SKIP lines without either): --lora FILE:0.7 changes the latent and is written
#     as <lora:style:0.7> into the PNG's prompt; --from that PNG with --lora-dir gives the same PNG
#     byte for byte, without --lora-dir it is refused; the tag with --lora-dir == --lora FILE:0.7;
#     --embedding changes the conditioning, --embedding-dir == --embedding
#   - A1111's "Lora hashes" (sd --selftest-sha256 first: SHA-256 on the standard vectors): the PNG of
#     a LoRA run says `Lora hashes: "style: HASH"`, HASH the first 12 hex digits of the SHA-256 of the
#     file's bytes after its header (python3's hashlib computes it here), the tag's name (':' and ','
#     taken out), the prompt's tags before --lora's; kohya's sshs_model_hash metadata is taken as it
#     is; --from with another file of that name in --lora-dir warns, naming <lora:NAME>, and runs;
#     --from of a text with "Lora hashes" says nothing of it when the files agree (or there are none)
# The tiny model and build/sd are made first when missing or out of date (make -j1 of those only).
# OMP_NUM_THREADS defaults to 1: the machine may be shared, and results do not depend on it.
# Exits non-zero when any check fails.

B=build
T=$B/test-sd-cli
SD=${SD:-$B/sd}   # SD=build/asan/sd runs it on the sanitized build
# MKMODEL (default build/mkmodel) makes the LoRA and embedding files when ../shared ($SHARED) is not there
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
hasnt "A1111's 'Lora hashes' (no LoRA in the prompt): --from says nothing of it" "Lora" "$T/a-quoted-from.log"
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

echo "== prompt weighting: sd text --weighting"
# shape FILE: the shape in a .npy header ("1, 154, 64")
shape() { head -c 128 "$1" 2>/dev/null | tr -c '[:print:]' ' ' | sed -n "s/.*'shape': *(\([^)]*\)).*/\1/p"; }
# txt NAME SD-TEXT-OPTIONS...: sd text on the tiny model into $T/NAME.npy
txt() { tn=$1; shift; rm -f "$T/$tn.npy"; run "$tn" "$SD" text -m "$MODEL" --vocab "$VOCAB" -o "$T/$tn.npy" "$@"; }
# differ A B WHAT / alike A B WHAT: $T/A.npy and $T/B.npy (both made) differ / are the same bytes
differ() {
    if [ ! -s "$T/$1.npy" ]; then fail "$3: run $1 made no .npy:"; show "$1"
    elif [ ! -s "$T/$2.npy" ]; then fail "$3: run $2 made no .npy:"; show "$2"
    elif cmp -s "$T/$1.npy" "$T/$2.npy"; then fail "$3: the same bytes"
    else ok "$3"; fi
}
alike() { same "$1" "$2" "$3"; }
# refused WHAT WORD OUTFILE: the last run failed (any status but 0), said WORD, and wrote no OUTFILE
refused() {
    if [ "$rc" -ne 0 ] && grep -qF -- "$2" "$T/$rn.log" && [ ! -e "$3" ]; then ok "$1: status $rc, '$(head -n 1 "$T/$rn.log" | cut -c1-150)'"
    else fail "$1: status $rc, a message with '$2' and no $3 expected"; show "$rn"; fi
}
txt tw-default -p "a (red:1.5) boat, [blurry] sky"
txt tw-none -p "a (red:1.5) boat, [blurry] sky" --weighting none
txt tw-a1111 -p "a (red:1.5) boat, [blurry] sky" --weighting a1111
txt tw-comfy -p "a (red:1.5) boat, [blurry] sky" --weighting comfy
alike tw-default tw-none "sd text without --weighting == --weighting none (sd text's default)"
differ tw-none tw-a1111 "a weighted prompt: --weighting a1111 gives another conditioning than none"
differ tw-a1111 tw-comfy "a weighted prompt: --weighting comfy gives another conditioning than a1111"
for w in none a1111 comfy; do txt "tp-$w" -p "a red boat on the sea" --weighting $w; done
alike tp-none tp-a1111 "a plain short prompt: a1111 == none, byte for byte"
alike tp-none tp-comfy "a plain short prompt: comfy == none, byte for byte"
long="a lighthouse on a rocky coast at dawn, oil painting, dramatic clouds, crashing waves, seagulls in the sky, warm golden light, highly detailed, by a master painter, trending on artstation, cinematic composition"
long="$long, $long"
txt tl-a1111 -p "$long" --weighting a1111
txt tl-none -p "$long" --weighting none
s=$(shape "$T/tl-a1111.npy"); s0=$(shape "$T/tl-none.npy")
case "$s" in
    "1, 154, "*|"1, 231, "*) ok "a long prompt (more than 75 tokens), a1111: [$s] (77 tokens a chunk)";;
    *) fail "a long prompt, a1111: shape [$s], [1, 154, D] or [1, 231, D] expected"; show tl-a1111;;
esac
case "$s0" in
    "1, 77, "*) ok "the same prompt, none: [$s0] (cut at 75 tokens)";;
    *) fail "the same prompt, none: shape [$s0], [1, 77, D] expected"; show tl-none;;
esac
txt tw-bogus -p "a boat" --weighting bogus
if [ "$rc" -eq 2 ] && grep -qF "none, a1111 or comfy" "$T/tw-bogus.log" && [ ! -e "$T/tw-bogus.npy" ]; then ok "sd text --weighting bogus: status 2, '$(head -n 1 "$T/tw-bogus.log" | cut -c1-150)'"
else fail "sd text --weighting bogus: status $rc, 2 and a message naming none, a1111 and comfy expected"; show tw-bogus; fi
bad "txt2img --weighting bogus" "none, a1111 or comfy" -p x --weighting bogus
# sd unet takes a context of several chunks
run tl-x "$SD" randn --seed 3 --shape 1,4,8,8 -o "$T/tl-x.npy"
rm -f "$T/tl-eps.npy"
run tl-unet "$SD" unet -m "$MODEL" --x "$T/tl-x.npy" --t 500 --context "$T/tl-a1111.npy" -o "$T/tl-eps.npy"
if [ "$rc" -eq 0 ] && [ "$(shape "$T/tl-eps.npy")" = "1, 4, 8, 8" ]; then ok "sd unet with that [$s] context: status 0, [1, 4, 8, 8]"
else fail "sd unet with a [$s] context: status $rc, eps [$(shape "$T/tl-eps.npy")]"; show tl-unet; fi

echo "== prompt weighting in the PNG: 'Prompt weighting: comfy' and back with --from"
gen pw-comfy -p "a (red:1.4) boat" --steps 2 -s 22 --weighting comfy
text pw-comfy > "$T/pw-comfy.txt"
has "--weighting comfy: 'Prompt weighting: comfy' in the PNG's text" "Prompt weighting: comfy" "$T/pw-comfy.txt"
gen pw-comfy-from --from "$T/pw-comfy.png"
same pw-comfy pw-comfy-from "--from a comfy PNG gives the same latent"
text pw-comfy-from > "$T/pw-comfy-from.txt"
has "--from a comfy PNG writes 'Prompt weighting: comfy' again" "Prompt weighting: comfy" "$T/pw-comfy-from.txt"
gen pw-a1111 -p "a (red:1.4) boat" --steps 2 -s 22
text pw-a1111 > "$T/pw-a1111.txt"
hasnt "the default (a1111): no 'Prompt weighting' in the text" "Prompt weighting" "$T/pw-a1111.txt"
differ pw-comfy pw-a1111 "comfy and a1111 weighting give different latents"

echo "== embeddings and LoRA files: what is refused"
printf 'PK\003\004\024\000\000\000\010\000archive/data.pkl' > "$T/style.pt"
txt emb-pt -p "a boat in style" --embedding "$T/style.pt"
refused "--embedding style.pt (a pickle)" "convert" "$T/emb-pt.npy"
if grep -qF "safetensors" "$T/emb-pt.log"; then ok "  the message says how to make a .safetensors of it"; else fail "  the message does not mention safetensors"; show emb-pt; fi
rm -f "$T/emb-missing.png"
gen emb-missing -p "a boat" --steps 2 --embedding "$T/no-such-embedding.safetensors"
refused "--embedding of a missing file" "no-such-embedding.safetensors" "$T/emb-missing.png"
rm -f "$T/lora-missing.png"
gen lora-missing -p "a boat" --steps 2 --lora "$T/no-such-lora.safetensors:0.5"
refused "--lora of a missing file (FILE:0.5)" "no-such-lora.safetensors" "$T/lora-missing.png"
if grep -qF "no-such-lora.safetensors:0.5" "$T/lora-missing.log"; then fail "  the message names 'FILE:0.5': the weight was not split off"; else ok "  the message names the file without ':0.5'"; fi
rm -f "$T/tag-nodir.png"
gen tag-nodir -p "a boat <lora:x:0.5>" --steps 2
refused "a <lora:x:0.5> tag without --lora-dir" "--lora-dir" "$T/tag-nodir.png"
txt tag-nodir-text -p "a boat <lora:x:0.5>"
refused "sd text: a <lora:x:0.5> tag without --lora-dir" "--lora-dir" "$T/tag-nodir-text.npy"

# lora_hash_checks: A1111's "Lora hashes" entry (after the LoRA runs below have made lr-arg, lr-tag
# and lr-from): "NAME: HASH" with HASH the first 12 hex digits of the SHA-256 of the file's bytes
# after its 8-byte header length and JSON header (A1111's addnet hash; python3's hashlib says what
# it must be), the tag's name, the prompt's tags first; kohya's sshs_model_hash metadata wins; a
# --from whose text gives another hash for a name warns and still runs
addnet() { python3 -c 'import hashlib, struct, sys
b = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", b[:8])[0]; print(hashlib.sha256(b[8 + n:]).hexdigest()[:12])' "$1"; }
lora_hash_checks() {
    if ! command -v python3 > /dev/null 2>&1; then echo "SKIP the Lora hashes checks (no python3 to compute the expected hashes)"; return; fi
    h1=$(addnet "$T/loras/style.safetensors")
    text lr-arg > "$T/lr-arg.txt"
    has "--lora style.safetensors:0.7: Lora hashes: \"style: $h1\" (python3's sha256 of the bytes after the header)" \
        ", Lora hashes: \"style: $h1\", " "$T/lr-arg.txt"
    text lr-tag > "$T/lr-tag.txt"
    has "<lora:style:0.7> from --lora-dir: the same Lora hashes entry" ", Lora hashes: \"style: $h1\", " "$T/lr-tag.txt"
    hasnt "--from a PNG with Lora hashes, the same file in --lora-dir: no word of it" "Lora" "$T/lr-from.log"
    hasnt "no LoRA: no Lora hashes" "Lora hashes" "$T/w-philox.txt"
    # a second LoRA: the prompt's tag first, then --lora's
    "$MKMODEL" --lora "$T/loras/other.safetensors" --for "$MODEL" --rank 4 --seed 5 > "$T/mk-lora2.log" 2>&1
    h2=$(addnet "$T/loras/other.safetensors")
    gen lh-two -p "a red boat <lora:other:0.5>" --steps 2 -s 21 --lora-dir "$T/loras" --lora "$T/loras/style.safetensors:0.7"
    text lh-two > "$T/lh-two.txt"
    if [ "$h1" != "$h2" ]; then ok "two LoRA files, two hashes ($h1, $h2)"; else fail "mkmodel --seed 5 gave the same LoRA bytes"; fi
    has "<lora:other:0.5> and --lora style: Lora hashes: \"other: $h2, style: $h1\"" ", Lora hashes: \"other: $h2, style: $h1\", " "$T/lh-two.txt"
    # the same name, another file: --from warns (naming the LoRA), runs, and writes the file's hash
    mkdir -p "$T/loras2" && cp "$T/loras/other.safetensors" "$T/loras2/style.safetensors"
    gen lh-mismatch --from "$T/lr-arg.png" --lora-dir "$T/loras2"
    if [ "$rc" -eq 0 ] && grep -qF "<lora:style>" "$T/lh-mismatch.log" && grep -qF "$h1" "$T/lh-mismatch.log" && [ -s "$T/lh-mismatch.png" ]; then
        ok "--from with another style.safetensors in --lora-dir: a warning, status 0: '$(grep -F '<lora:style>' "$T/lh-mismatch.log" | head -n 1 | cut -c1-170)'"
    else fail "--from with another style.safetensors in --lora-dir: status $rc, a warning naming <lora:style> and $h1 expected"; show lh-mismatch; fi
    text lh-mismatch > "$T/lh-mismatch.txt"
    has "  and the new PNG gives the hash of the file applied" ", Lora hashes: \"style: $h2\", " "$T/lh-mismatch.txt"
    # kohya's metadata: sshs_model_hash is the hash A1111 takes; the name stays the tag's (not ss_output_name)
    python3 -c 'import json, struct, sys
b = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n])
h["__metadata__"] = {"ss_output_name": "an_alias", "sshs_model_hash": "0123456789abcdef" * 4}
j = json.dumps(h).encode(); j += b" " * (-len(j) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(j)) + j + b[8 + n:])' "$T/loras/style.safetensors" "$T/loras/kohya.safetensors"
    gen lh-meta -p "a red boat" --steps 2 -s 21 --lora "$T/loras/kohya.safetensors:0.7"
    text lh-meta > "$T/lh-meta.txt"
    has "a LoRA with sshs_model_hash in its metadata: that hash, the file's name" ", Lora hashes: \"kohya: 0123456789ab\", " "$T/lh-meta.txt"
    same lh-meta lr-arg "  (the same tensors as style.safetensors: the same latent)"
    # A1111 takes ':' and ',' out of the name
    cp "$T/loras/style.safetensors" "$T/loras/my,style.safetensors"
    gen lh-comma -p "a red boat" --steps 2 -s 21 --lora "$T/loras/my,style.safetensors:0.7"
    text lh-comma > "$T/lh-comma.txt"
    has "--lora my,style.safetensors: Lora hashes: \"mystyle: $h1\"" ", Lora hashes: \"mystyle: $h1\", " "$T/lh-comma.txt"
}

echo "== sd --selftest-sha256: the SHA-256 of the Lora hashes on the standard vectors"
run sha "$SD" --selftest-sha256
if [ "$rc" -eq 0 ] && [ "$(grep -c '^ok ' "$T/sha.log")" -eq 4 ]; then ok "sha256 of \"\", \"abc\", the 56-byte vector and a million a's"
else fail "sd --selftest-sha256: status $rc"; show sha; fi

echo "== LoRA and embeddings: the PNG's text and --from"
# the files: the sd1-prompts fixtures' (made for this architecture) when ../shared is there, else
# build/mkmodel's random ones; without either, SKIP
FX=${SHARED:-../shared}/fixtures/sd1-prompts
MKMODEL=${MKMODEL:-$B/mkmodel}
D=$("$SD" info -m "$MODEL" 2>/dev/null | sed -n 's/^text encoder:.* width \([0-9]*\),.*/\1/p')
mkdir -p "$T/loras" "$T/embeddings"
files=""
if [ -f "$FX/lora.safetensors" ] && [ -f "$FX/fixstyle.safetensors" ]; then
    cp "$FX/lora.safetensors" "$T/loras/style.safetensors" && cp "$FX/fixstyle.safetensors" "$T/embeddings/shinystyle.safetensors" && files="the sd1-prompts fixtures"
elif "$MKMODEL" --help 2>&1 | grep -q -- '--lora' && "$MKMODEL" --help 2>&1 | grep -q -- '--embedding'; then
    if "$MKMODEL" --lora "$T/loras/style.safetensors" --for "$MODEL" --rank 4 > "$T/mk-lora.log" 2>&1 &&
       "$MKMODEL" --embedding "$T/embeddings/shinystyle.safetensors" --width "${D:-64}" > "$T/mk-emb.log" 2>&1; then files="$MKMODEL"
    else fail "$MKMODEL --lora / --embedding failed"; sed -n '1,6s/^/        /p' "$T/mk-lora.log" "$T/mk-emb.log"; fi
fi
if [ -z "$files" ]; then
    for what in "--lora FILE:0.7 changes the latent" "the PNG records <lora:style:0.7>" "--from with --lora-dir: the same PNG" \
                "--from without --lora-dir is refused" "<lora:style:0.7> with --lora-dir == --lora FILE:0.7" "the Lora hashes entry" \
                "--embedding changes the conditioning" "--embedding-dir == --embedding"; do
        echo "SKIP $what (no ../shared/fixtures/sd1-prompts, and $MKMODEL has no --lora / --embedding yet)"
    done
else
    echo "   (LoRA and embedding from $files)"
    gen lr-arg -p "a red boat" --steps 2 -s 21 --lora "$T/loras/style.safetensors:0.7"
    gen lr-plain -p "a red boat" --steps 2 -s 21
    differ lr-arg lr-plain "--lora style.safetensors:0.7 changes the latent"
    text lr-arg > "$T/lr-arg.txt"
    has "--lora style.safetensors:0.7: the PNG's prompt records <lora:style:0.7>" "a red boat <lora:style:0.7>|" "$T/lr-arg.txt"
    gen lr-from --from "$T/lr-arg.png" --lora-dir "$T/loras"
    if [ "$rc" -eq 0 ] && cmp -s "$T/lr-arg.png" "$T/lr-from.png"; then ok "--from that PNG --lora-dir DIR: the same PNG, byte for byte"
    else fail "--from that PNG --lora-dir DIR: status $rc, $(cmp "$T/lr-arg.png" "$T/lr-from.png" 2>&1 | head -n 1)"; show lr-from; fi
    rm -f "$T/lr-from-nodir.png"
    gen lr-from-nodir --from "$T/lr-arg.png"
    refused "--from that PNG without --lora-dir" "--lora-dir" "$T/lr-from-nodir.png"
    gen lr-tag -p "a red boat <lora:style:0.7>" --steps 2 -s 21 --lora-dir "$T/loras"
    same lr-tag lr-arg "<lora:style:0.7> in the prompt with --lora-dir == --lora style.safetensors:0.7"
    lora_hash_checks
    txt em-with -p "a boat in shinystyle colors" --weighting a1111 --embedding "$T/embeddings/shinystyle.safetensors"
    txt em-without -p "a boat in shinystyle colors" --weighting a1111
    txt em-dir -p "a boat in shinystyle colors" --weighting a1111 --embedding-dir "$T/embeddings"
    differ em-with em-without "--embedding shinystyle.safetensors changes the conditioning of a prompt that says shinystyle"
    alike em-dir em-with "--embedding-dir DIR == --embedding DIR/shinystyle.safetensors"
fi

echo "$checks checks, $fails failed"
[ "$fails" -eq 0 ]
