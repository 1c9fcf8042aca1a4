#!/usr/bin/env python3
"""Checks sd.h's CLIP text normalization and split against Python on generated strings.

Builds tools/check_unicode_main.c, feeds it strings, and compares with a Python model of CLIP's
pipeline built from Python's own html.unescape, unicodedata.normalize('NFC') and str.lower().
ftfy is approximated the way sd.h documents it (it is not installed here). Exit 1 on a mismatch.

  python3 tools/check_unicode.py [N]
"""
import html, os, random, re, subprocess, sys, unicodedata

WS = set([9, 10, 11, 12, 13, 32, 0x85, 0xA0, 0x1680] + list(range(0x2000, 0x200B)) + [0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
LIG = {0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB05: "st", 0xFB06: "st", 0x132: "IJ", 0x133: "ij"}
CP1252 = bytes(range(0x80, 0xA0)).decode("cp1252", "replace")


def ftfy_like(t):
    if "<" not in t:   # ftfy's own unescape: references ending in ';' only
        t = re.sub(r"&#?[0-9A-Za-z]{1,32};", lambda m: html.unescape(m.group(0)), t)
    out = []
    for ch in t:
        c = ord(ch)
        if 0x80 <= c <= 0x9F and CP1252[c - 0x80] != "\ufffd":
            ch = CP1252[c - 0x80]; c = ord(ch)
        if ch in "\u2018\u2019\u201a\u201b": ch = "'"
        elif ch in "\u201c\u201d\u201e\u201f": ch = '"'
        c = ord(ch)
        if c == 0x3000 or 0xFF01 <= c < 0xFFF0:
            n = unicodedata.normalize("NFKC", ch)
            if len(n) == 1: ch = n
        c = ord(ch)
        if c in LIG: ch = LIG[c]
        c = ord(ch[-1])
        if (c < 0x20 and ch not in "\t\n\r\x0c") or c == 0x7F or 0x206A <= c <= 0x206F or c == 0xFEFF or 0xFFF9 <= c <= 0xFFFC or 0xE0000 <= c <= 0xE007F:
            ch = ch[:-1]
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def clip_normalize(t):
    t = ftfy_like(t)
    t = html.unescape(html.unescape(t))
    t = "".join(" " if ord(c) in WS else c for c in t)
    t = re.sub(" +", " ", t).strip(" ")
    return t.lower()


def is_l(c): return unicodedata.category(c)[0] == "L"
def is_n(c): return unicodedata.category(c)[0] == "N"


def clip_split(t):
    pieces, i = [], 0
    while i < len(t):
        c = t[i]
        if t.startswith("<|startoftext|>", i): j = i + 15
        elif t.startswith("<|endoftext|>", i): j = i + 13
        else:
            j = i
            for con in ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d"):
                if t.startswith(con, i): j = i + len(con); break
            if j == i:
                if ord(c) in WS: i += 1; continue
                j = i + 1
                if is_l(c):
                    while j < len(t) and is_l(t[j]): j += 1
                elif not is_n(c):
                    while j < len(t) and not (is_l(t[j]) or is_n(t[j]) or ord(t[j]) in WS): j += 1
        pieces.append(t[i:j]); i = j
    return pieces


def samples(n):
    rnd = random.Random(1)
    atoms = ["a", "B", " ", "  ", "\t", "\n", "\u3000", "\u00a0", "\u2003", "caf\u00e9", "cafe\u0301", "n\u0303", "\u0130stanbul",
             "\u039f\u0394\u039f\u03a3", "\u03a3", "\u03a3\u0391", "A\u03a3'", "\u65e5\u672c\u8a9e", "\U0001f680", "\U0001f525",
             "\uff21\uff22\uff43", "\uff11\uff12", "\u2018q\u2019", "\u201cq\u201d", "\ufb01ne", "\ufb03", "\u0132", "&amp;", "&lt;",
             "&gt;", "&quot;", "&#39;", "&#x41;", "&#65", "&ampx", "&nbsp;", "&copy", "&Eacute;", "&eacute", "&notit;", "&unknown;",
             "&#0;", "&#128;", "&#129;", "&#xD800;", "&#99999999;", "&#1;", "&amp;lt;", "&amp;amp;lt;", "<b>", "don't", "it's",
             "we'LL", "3.14", "!!", "a,b;c", "<|startoftext|>", "<|endoftext|>", "\u0080", "\u0093", "\u0007", "\ufeff",
             "\ud55c\uad6d\uc5b4", "\u1100\u1161\u11a8", "\u0041\u030a", "\u212b", "\u1e9b\u0323", "q\u0307\u0323", "x\u0335\u0301",
             "\u00df", "\u1e9e", "\u2160", "\u00bd", "\u0660\u0661", "\u0915\u093f", "\u2028", "\u0085", "\u200b", "\u05d0\u05b8"]
    for _ in range(n):
        yield "".join(rnd.choice(atoms) for _ in range(rnd.randint(1, 12)))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    exe = "build/check_unicode"
    subprocess.check_call(["cc", "-O1", "-std=c99", "-o", exe, "tools/check_unicode_main.c", "-lm"])
    texts = list(samples(n)) + [chr(c) for c in range(0x20, 0x3000) if not 0xD800 <= c <= 0xDFFF]
    inp = "".join(t.encode("utf-8").hex() + "\n" for t in texts)
    out = subprocess.run([exe], input=inp.encode(), capture_output=True, check=True).stdout.decode().splitlines()
    bad = 0
    for t, line in zip(texts, out):
        hexed, pieces = line.split(" ")
        got = bytes.fromhex(hexed).decode("utf-8")
        want = clip_normalize(t)
        b = want.encode("utf-8")
        got_pieces = [got.encode()[int(p.split(":")[0]):int(p.split(":")[0]) + int(p.split(":")[1])].decode() for p in pieces.split(",") if p]
        want_pieces = clip_split(want)
        if got != want or got_pieces != want_pieces:
            bad += 1
            if bad <= 20:
                print("MISMATCH %r\n   got  %r %r\n   want %r %r" % (t, got, got_pieces, want, want_pieces))
    print("%d strings, %d mismatches" % (len(texts), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
