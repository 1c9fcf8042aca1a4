#!/usr/bin/env python3
"""toy_pictures.py - the pictures of the demo model in README.md and docs/how-it-works.md.

    python3 tools/toy_pictures.py          # from the repository root, after `make build/sd`

Runs build/sd on tools/toy/model.safetensors and writes, all from sd's own PNGs (Python's standard
library only: the PNGs are read and written here, nearest-neighbour enlarged so that 64x64 shows):
  docs/demo.png            what `make demo` writes (64x64, its settings in the PNG's text)
  docs/demo-256.png        the same, 4x
  docs/toy-gallery.png     six prompts of the model's captions, one seed each, 2x
  docs/preview-steps.png   sd --preview on the demo prompt: the model's estimate of the final image
                           after steps 1 2 3 5 8 12 20 of 20, through the VAE (--preview-decode,
                           top) and the quick linear map of the 8x8 latent (bottom), 2x
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

SD = "build/sd"
MODEL = "tools/toy/model.safetensors"
PROMPT, SEED = "a big red circle on a blue background", 1   # the Makefile's demo defaults
GALLERY = [("a big red circle on the left on a blue background", 1),
           ("a big yellow square at the top on a black background", 1),
           ("a big white triangle at the bottom on a green background", 1),
           ("a big green circle on the right on a white background", 1),
           ("two yellow triangles on a blue background", 1),
           ("vertical red and white stripes", 1)]
STEPS = (1, 2, 3, 5, 8, 12, 20)


def read_png(path):
    """an 8-bit RGB PNG (as sd writes it) -> (width, height, rows of bytes)"""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype == 2, "%s: not 8-bit RGB" % path
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, rows, prev, stride = zlib.decompress(idat), [], bytearray(3 * w), 3 * w
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b, c = prev[i], prev[i - 3] if i >= 3 else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, rows


def write_png(path, w, h, rows):
    chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\0" + r for r in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def scale(img, k):
    w, h, rows = img
    out = []
    for r in rows:
        line = b"".join(r[3 * x:3 * x + 3] * k for x in range(w))
        out += [line] * k
    return w * k, h * k, out


def strip(imgs, gap=4, grey=255):
    """images of one height side by side, gap pixels between"""
    h = imgs[0][1]
    g = bytes([grey]) * 3 * gap
    rows = [g.join(im[2][y] for im in imgs) for y in range(h)]
    return sum(im[0] for im in imgs) + gap * (len(imgs) - 1), h, rows


def stack(imgs, gap=4, grey=255):
    w = imgs[0][0]
    rows = []
    for i, im in enumerate(imgs):
        if i:
            rows += [bytes([grey]) * 3 * w] * gap
        rows += im[2]
    return w, len(rows), rows


def sd(*args):
    subprocess.run([SD, "-m", MODEL, "-W", "64", "-H", "64", "-q"] + [str(a) for a in args], check=True)


def main():
    if not os.path.exists(SD) or not os.path.exists(MODEL):
        sys.exit("toy_pictures.py: needs %s (make build/sd) and %s, from the repository root" % (SD, MODEL))
    os.makedirs("docs", exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        sd("-p", PROMPT, "-s", SEED, "-o", "docs/demo.png")
        write_png("docs/demo-256.png", *scale(read_png("docs/demo.png"), 4))
        imgs = []
        for i, (p, s) in enumerate(GALLERY):
            o = os.path.join(tmp, "g%d.png" % i)
            sd("-p", p, "-s", s, "-o", o)
            imgs.append(scale(read_png(o), 2))
        write_png("docs/toy-gallery.png", *strip(imgs, 8))
        rows = []
        for kind, extra in (("vae", ["--preview-decode"]), ("linear", [])):
            d = os.path.join(tmp, kind)
            sd("-p", PROMPT, "-s", SEED, "-o", os.path.join(tmp, kind + ".png"), "--preview", d, *extra)
            ims = [read_png(os.path.join(d, "step-%04d.png" % k)) for k in STEPS]
            ims = [scale(im, 64 // im[0]) for im in ims]   # the linear map's 8x8 to 64x64
            rows.append(strip([scale(im, 2) for im in ims], 8))
        write_png("docs/preview-steps.png", *stack(rows, 8))
    for f in ("docs/demo.png", "docs/demo-256.png", "docs/toy-gallery.png", "docs/preview-steps.png"):
        print("%s (%d bytes)" % (f, os.path.getsize(f)))


if __name__ == "__main__":
    main()
