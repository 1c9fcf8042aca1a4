#!/bin/sh
# test_readme.sh - runs the commands and compiles the programs that README.md shows, so that its
# promise "every command in it is run by a test" is checked.
#
#   sh tests/test_readme.sh [-n] [FILE.md]     from the repository root; FILE.md defaults to README.md
#                                              -n: list the blocks and what would be done, run nothing
#
# THE CONVENTION (for whoever writes README.md)
#   ```sh blocks      are run. Each block is one script: `sh -e -x` (POSIX sh; the first failing
#                     command fails the block, the log shows each command), in the order of the
#                     file, in a sandbox that looks like a user's checkout with the downloads
#                     beside it: build/readme-test/home holds links to the repository's files and
#                     to its build/, and the names a user would download stand for what the
#                     project makes itself:
#                       v1-5-pruned-emaonly.safetensors -> build/demo.safetensors (make demo's model)
#                       merges.txt                      -> build/demo-merges.txt (its vocabulary)
#                       easynegative.safetensors, loras/add_detail.safetensors, taesd_decoder.safetensors,
#                       taesd_encoder.safetensors, sd_xl_base_1.0.safetensors and
#                       sd_xl_turbo_1.0_fp16.safetensors (mkmodel --config sdxl-tiny) -> random ones
#                       of the real layouts (mkmodel);
#                       fox-mask.png -> a white rectangle (written with python3)
#                       ../shared                       -> the repository's ../shared, if there
#                     Blocks share the sandbox: a later block may use what an earlier one made
#                     (`make demo`, then `build/sd ... -o x.png`); variables and `cd` do not carry
#                     over (each block is its own process). `make ...` commands run for real.
#                     A block whose first line is `# needs ../shared` is skipped without it.
#   ```c blocks       are complete programs, compiled in the sandbox (so `#include "sd.h"` finds
#                     the header) with
#                       $CC -std=c99 -Wall -Wextra -pedantic -Werror -O2 -ffp-contract=off -fopenmp -I. BLOCK.c -lm
#                     and not run, unless the last non-blank line before the fence is
#                       <!-- run: ARGS -->
#                     then the program runs in the sandbox with ARGS (split as sh
#                     splits words, quotes honoured) and must exit 0. (Before a sh block the
#                     run marker means nothing.)
#   Skipping          a block whose first line is `# not run: REASON` (sh), or whose last non-blank
#                     line before the fence is <!-- not run: REASON --> (sh or c), is skipped: the
#                     reason is printed and counted. For commands that need real weights or a GPU.
#   Not checked       fenced blocks with any other info string (none, text, console, bash, ...)
#                     and indented code. The script lists those fenced blocks, and notes indented
#                     lines that look like commands, so that nothing goes unchecked unnoticed.
#   Limits            each block (and each compile) gets SD_README_TIMEOUT seconds (default 300);
#                     the time of each is printed. The environment is inherited, plus
#                     SD_README_TEST=1; when that is already set (a block ran `make test` and it
#                     ran this script) the nested run prints SKIP and exits 0.
#   Files             blocks, binaries and logs go to build/readme-test/ (emptied first), what
#                     the blocks write to build/readme-test/home.
#   Result            one line per block (ok / FAIL / SKIP), a failed block's last log lines, a
#                     summary; the status is non-zero when any block failed.
#   Overrides         CC (default cc), SD_README_CFLAGS (replaces the flags above, -I. kept).

dry=0
if [ "$1" = -n ]; then dry=1; shift; fi
MD=${1:-README.md}
T=build/readme-test
TO=${SD_README_TIMEOUT:-300}
CFLAGS=${SD_README_CFLAGS:--std=c99 -Wall -Wextra -pedantic -Werror -O2 -ffp-contract=off -fopenmp}
CC=${CC:-cc}

if [ -n "$SD_README_TEST" ]; then
    echo "SKIP  test_readme.sh inside a README block (SD_README_TEST is set): not run again"
    exit 0
fi
if [ ! -f sd.h ]; then echo "test_readme.sh: run it from the repository root" >&2; exit 2; fi
if [ ! -f "$MD" ]; then echo "test_readme.sh: no file '$MD'" >&2; exit 2; fi
SD_README_TEST=1
export SD_README_TEST

rm -rf "$T"
mkdir -p "$T/home"
: > "$T/manifest"
ROOT=$(pwd)
if [ "$dry" = 0 ]; then
    make --no-print-directory -s build/sd build/mkmodel build/demo.safetensors build/demo-merges.txt >/dev/null ||
        { echo "FAIL  make build/sd build/demo.safetensors build/demo-merges.txt"; exit 1; }
fi
for f in "$ROOT"/*; do
    case ${f##*/} in build) ;; *) ln -s "$f" "$T/home/${f##*/}" ;; esac
done
ln -s "$ROOT/build" "$T/home/build"
ln -s "$ROOT/build/demo.safetensors" "$T/home/v1-5-pruned-emaonly.safetensors"
ln -s "$ROOT/build/demo-merges.txt" "$T/home/merges.txt"
# the other downloads the README names, stood in for by random files of the real layouts (mkmodel):
# an embedding, a LoRA in a loras/ folder, TAESD's two halves; and the mask the inpainting example
# paints (a white rectangle on fox.png's 384x256)
if [ "$dry" = 0 ]; then
    mkdir -p "$T/home/loras"
    { build/mkmodel --embedding "$T/home/easynegative.safetensors" --width 64 &&
      build/mkmodel --lora "$T/home/loras/add_detail.safetensors" --for build/demo.safetensors --te &&
      build/mkmodel --taesd "$T/home/taesd_decoder.safetensors" --half decoder &&
      build/mkmodel --taesd "$T/home/taesd_encoder.safetensors" --half encoder &&
      build/mkmodel --config sdxl-tiny -o "$T/home/sd_xl_base_1.0.safetensors" &&
      ln -s sd_xl_base_1.0.safetensors "$T/home/sd_xl_turbo_1.0_fp16.safetensors"; } >/dev/null 2>&1 ||
        { echo "FAIL  build/mkmodel: the README's embedding, LoRA, TAESD and SDXL files"; exit 1; }
    python3 -c '
import struct, sys, zlib
w, h = 384, 256
rows = b"".join(b"\0" + bytes(255 if 96 <= x < 288 and 64 <= y < 192 else 0 for x in range(w)) for y in range(h))
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
sys.stdout.buffer.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
                        chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))' > "$T/home/fox-mask.png" ||
        echo "note: no python3, no fox-mask.png: the inpainting block will fail"
fi
if [ -d "$ROOT/../shared" ]; then ln -s "$(cd "$ROOT/../shared" && pwd)" "$T/shared"; fi

# Split the markdown into block files and a manifest, one line a block:
#   index <TAB> kind (sh|c|other:INFO) <TAB> line of the opening fence <TAB> mode (run|args|skip) <TAB> args or reason
# and notes on indented lines that look like commands (manifest kind "note").
has_shared=0; [ -d ../shared ] && has_shared=1
awk -v dir="$T" -v shared="$has_shared" '
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
function marker(s, key) { sub("^<!--[ \t]*" key "[ \t]*", "", s); sub(/[ \t]*-->$/, "", s); return s }
{ sub(/\r$/, "") }
!infence && match($0, /^ ? ? ?(```+|~~~+)/) {
    fence = substr($0, RSTART, RLENGTH); sub(/^ +/, "", fence)
    info = trim(substr($0, RSTART + RLENGTH)); split(info, w, /[ \t{]/); kind = w[1]
    infence = 1; start = NR; n++; first = 1
    mode = "run"; arg = ""
    if (lastnb ~ /^<!--[ \t]*not run:.*-->$/) { mode = "skip"; arg = marker(lastnb, "not run:") }
    else if (lastnb ~ /^<!--[ \t]*run:.*-->$/) { mode = "args"; arg = marker(lastnb, "run:") }
    if (kind != "sh" && kind != "c") kind = "other:" (kind == "" ? "(none)" : kind)
    file = kind ~ /^other:/ ? "" : sprintf("%s/block-%02d.%s", dir, n, kind)
    if (file != "") printf "" > file
    next
}
infence {
    t = trim($0)
    if (index(t, fence) == 1 && t ~ /^(`+|~+)$/ && length(t) >= length(fence)) {
        infence = 0
        printf "%d\t%s\t%d\t%s\t%s\n", n, kind, start, mode, arg >> (dir "/manifest")
        if (file != "") close(file)
        lastnb = t; prevblank = 0; previndent = 0
        next
    }
    if (first && kind == "sh" && $0 ~ /^[ \t]*#[ \t]*not run:/) { mode = "skip"; arg = $0; sub(/^[ \t]*#[ \t]*not run:[ \t]*/, "", arg) }
    if (first && kind == "sh" && $0 ~ /^[ \t]*#[ \t]*needs \.\.\/shared/ && !shared) { mode = "skip"; arg = "needs ../shared, which is not beside the checkout" }
    first = 0
    if (file != "") print $0 > file
    next
}
/^(    |\t)[ \t]*(make|build\/|\.\/|sh |cc |gcc |clang |python3? |nvcc )/ && (prevblank || previndent) {
    printf "0\tnote\t%d\t-\t%s\n", NR, trim($0) >> (dir "/manifest")
}
{
    previndent = $0 ~ /^(    |\t)/ && trim($0) != ""
    prevblank = trim($0) == ""
    if (!prevblank) lastnb = trim($0)
}
END { if (infence) printf "%d\tunclosed\t%d\t-\t-\n", n, start >> (dir "/manifest") }
' "$MD" || { echo "FAIL  could not read $MD"; exit 1; }

# milliseconds since the epoch where date can tell (GNU), else seconds * 1000
now() {
    t=$(date +%s%3N 2>/dev/null)
    case $t in *[!0-9]*|'') t=$(( $(date +%s) * 1000 ));; esac
    echo "$t"
}
secs() { ms=$(( $(now) - $1 )); printf '%d.%01d' $((ms / 1000)) $((ms % 1000 / 100)); }

# run_limited LOG CMD...: the command under the time limit, output to LOG; returns its status
if command -v timeout >/dev/null 2>&1; then
    run_limited() { log=$1; shift; timeout -k 10 "$TO" "$@" > "$log" 2>&1; }
else
    run_limited() { log=$1; shift; "$@" > "$log" 2>&1; }
fi

tail_log() { tail -n 20 "$1" | sed 's/^/        /'; }
why() { if [ "$1" -eq 124 ] || [ "$1" -eq 137 ]; then echo "timed out (limit $TO s)"; else echo "status $1"; fi; }

nok=0 nfail=0 nskip=0 nplan=0 nother=0 others="" failed=""
tab=$(printf '\t')
while IFS="$tab" read -r idx kind line mode arg; do
    where="$MD:$line"
    case $kind in
    note)
        echo "note  $where: indented command, not run (put it in a \`\`\`sh block): $arg"
        continue ;;
    unclosed)
        echo "FAIL  block $idx ($where): the fence is never closed"
        nfail=$((nfail + 1)); failed="$failed $idx"
        continue ;;
    other:*)
        nother=$((nother + 1)); others="$others ${line}(${kind#other:})"
        continue ;;
    esac
    name=$(printf 'block-%02d' "$idx")
    label="block $idx ($where, $kind)"
    if [ "$mode" = skip ]; then
        echo "SKIP  $label: not run: $arg"
        nskip=$((nskip + 1))
        continue
    fi
    if [ "$dry" = 1 ]; then
        nplan=$((nplan + 1))
        if [ "$kind" = sh ]; then echo "would run      $label: $(grep -c '' "$T/$name.sh") line(s)"
        elif [ "$mode" = args ]; then echo "would compile  $label, then run it with: $arg"
        else echo "would compile  $label"; fi
        continue
    fi
    t0=$(now)
    if [ "$kind" = sh ]; then
        run_limited "$T/$name.log" sh -c 'cd "$1" && exec sh -e -x "$2"' sh "$T/home" "$ROOT/$T/$name.sh" < /dev/null
        rc=$?
        if [ "$rc" -eq 0 ]; then
            echo "ok    $label: ran in $(secs "$t0") s"; nok=$((nok + 1))
        else
            echo "FAIL  $label: $(why "$rc") after $(secs "$t0") s; the last lines of $T/$name.log:"
            tail_log "$T/$name.log"; nfail=$((nfail + 1)); failed="$failed $idx"
        fi
        continue
    fi
    # a C program: compile; run when asked
    # shellcheck disable=SC2086
    run_limited "$T/$name.log" $CC $CFLAGS -I"$T/home" -o "$T/$name" "$T/$name.c" -lm < /dev/null
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "FAIL  $label: does not compile ($(why "$rc"), $(secs "$t0") s):"
        tail_log "$T/$name.log"; nfail=$((nfail + 1)); failed="$failed $idx"
        continue
    fi
    if [ "$mode" != args ]; then
        echo "ok    $label: compiles ($(secs "$t0") s)"; nok=$((nok + 1))
        continue
    fi
    t1=$(now)
    eval "set -- $arg"
    run_limited "$T/$name.run.log" sh -c 'cd "$1" && shift && exec "$@"' sh "$T/home" "$ROOT/$T/$name" "$@" < /dev/null
    rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "ok    $label: compiles ($(secs "$t0") s) and runs with $arg ($(secs "$t1") s)"; nok=$((nok + 1))
    else
        echo "FAIL  $label: compiles, but run with $arg: $(why "$rc") after $(secs "$t1") s:"
        tail_log "$T/$name.run.log"; nfail=$((nfail + 1)); failed="$failed $idx"
    fi
done < "$T/manifest"

[ "$nother" -gt 0 ] && echo "not checked: $nother fenced block(s) of other kinds, at line(s)$others"
[ $((nok + nfail + nskip + nplan)) -eq 0 ] && echo "note  $MD has no \`\`\`sh or \`\`\`c blocks: nothing to check"
[ "$dry" = 1 ] && exit 0
echo "$MD: $nok ok, $nfail failed${failed:+ (block$failed)}, $nskip skipped"
[ "$nfail" -eq 0 ]
