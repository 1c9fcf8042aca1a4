#!/usr/bin/env python3
"""PNG fixtures and an independent check for tools/sd_png.h (python3 + zlib only, no PIL).

  python3 tests/data/png/pngtool.py make
      writes the fixture PNGs of this folder (every color type and bit depth, plain and Adam7,
      random filters, several zlib strategies, split IDATs, text chunks, broken files) and
      manifest.txt, which tests/test_png.c reads:
          NAME.png W H FNV      decodes to W x H RGBA whose FNV-1a 64 hash is FNV
          NAME.png ERR REASON   fails with the reason REASON
  python3 tests/data/png/pngtool.py check DIR
      for every DIR/NAME.png with a DIR/NAME.raw beside it (as `build/test_png --dump DIR`
      writes them): the CRCs by zlib.crc32, the IDAT stream by zlib.decompress, the pixels
      by the pure-python decoder below against NAME.raw; and the IDAT size against
      zlib.compress(level=6) of the same filtered scanlines.
"""
import os, random, struct, sys, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
NCH = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)


def passes(w, h, interlace):
    if not interlace:
        return [(0, 0, 1, 1, w, h)]
    out = []
    for x0, y0, dx, dy in ADAM7:
        pw, ph = (w - x0 + dx - 1) // dx if w > x0 else 0, (h - y0 + dy - 1) // dy if h > y0 else 0
        out.append((x0, y0, dx, dy, pw, ph))
    return out


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def pack_row(samples, depth):
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    out, acc, n = bytearray(), 0, 0
    for s in samples:
        acc = acc << depth | s
        n += depth
        if n == 8:
            out.append(acc); acc = n = 0
    if n:
        out.append(acc << (8 - n))
    return bytes(out)


def filter_row(f, row, prev, bpp):
    out = bytearray(len(row))
    for i, v in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        out[i] = (v - [0, a, b, (a + b) // 2, paeth(a, b, c)][f]) & 255
    return bytes([f]) + bytes(out)


def unfilter(raw, w, h, ctype, depth, interlace):
    """pure-python decoder: the samples of every pixel as a dict (x, y) -> tuple"""
    nch = NCH[ctype]
    bpp = max(1, nch * depth // 8)
    pix, at = {}, 0
    for x0, y0, dx, dy, pw, ph in passes(w, h, interlace):
        if not pw or not ph:
            continue
        rowb = (pw * nch * depth + 7) // 8
        prev = bytearray(rowb)
        for y in range(ph):
            f, row = raw[at], bytearray(raw[at + 1: at + 1 + rowb])
            at += 1 + rowb
            for i in range(rowb):
                a = row[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + [0, a, b, (a + b) // 2, paeth(a, b, c)][f]) & 255
            prev = row
            for x in range(pw):
                s = []
                for k in range(nch):
                    i = x * nch + k
                    if depth == 8:
                        s.append(row[i])
                    elif depth == 16:
                        s.append(row[2 * i] << 8 | row[2 * i + 1])
                    else:
                        s.append(row[i * depth // 8] >> (8 - depth - i * depth % 8) & ((1 << depth) - 1))
                pix[(x0 + x * dx, y0 + y * dy)] = tuple(s)
    assert at == len(raw), "extra image data"
    return pix


def to_rgba(s, ctype, depth, pal):
    def e(v):
        return v >> 8 if depth == 16 else v if depth == 8 else v * 255 // ((1 << depth) - 1)
    if ctype == 3:
        return tuple(pal[s[0] * 3: s[0] * 3 + 3]) + (255,)
    if ctype == 0:
        return (e(s[0]),) * 3 + (255,)
    if ctype == 4:
        return (e(s[0]),) * 3 + (e(s[1]),)
    if ctype == 2:
        return tuple(e(v) for v in s) + (255,)
    return tuple(e(v) for v in s)


def fnv(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def make_png(rng, w, h, ctype, depth, interlace, level=9, strategy=zlib.Z_DEFAULT_STRATEGY, split=0, extra=b"", npal=0):
    nch, maxv = NCH[ctype], (1 << depth) - 1
    pal = bytes(rng.randrange(256) for _ in range(npal * 3)) if ctype == 3 else b""
    samples = {}
    for y in range(h):
        for x in range(w):
            if ctype == 3:
                samples[(x, y)] = (rng.randrange(npal),)
            else:   # a gradient with noise, so the filters and the matcher have work
                samples[(x, y)] = tuple(min(maxv, max(0, (x * 7 + y * 3 + k * 11) * maxv // 64 + rng.randrange(-maxv // 16 - 1, maxv // 16 + 2)))
                                        for k in range(nch))
    bpp = max(1, nch * depth // 8)
    raw = bytearray()
    for x0, y0, dx, dy, pw, ph in passes(w, h, interlace):
        if not pw or not ph:
            continue
        prev = bytes((pw * nch * depth + 7) // 8)
        for y in range(ph):
            row = pack_row([v for x in range(pw) for v in samples[(x0 + x * dx, y0 + y * dy)]], depth)
            raw += filter_row(rng.randrange(5), row, prev, bpp)
            prev = row
    c = zlib.compressobj(level, zlib.DEFLATED, 15, 9, strategy)
    z = c.compress(bytes(raw)) + c.flush()
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, interlace))
    if ctype == 3:
        out += chunk(b"PLTE", pal) + chunk(b"tRNS", bytes([0, 128]))
    out += chunk(b"gAMA", struct.pack(">I", 45455)) + extra
    if split:
        for i in range(0, len(z), split):
            out += chunk(b"IDAT", z[i:i + split])
    else:
        out += chunk(b"IDAT", z)
    out += chunk(b"IEND", b"")
    rgba = b"".join(bytes(to_rgba(samples[(x, y)], ctype, depth, pal)) for y in range(h) for x in range(w))
    return out, rgba


def make():
    rng = random.Random(1234)
    man = []
    combos = [(0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4), (3, 8), (4, 8), (4, 16), (6, 8), (6, 16)]
    strategies = [(9, zlib.Z_DEFAULT_STRATEGY), (6, zlib.Z_FILTERED), (1, zlib.Z_FIXED), (9, zlib.Z_RLE), (6, zlib.Z_HUFFMAN_ONLY), (0, zlib.Z_DEFAULT_STRATEGY)]
    sizes = [(1, 1), (3, 2), (5, 9), (13, 11), (24, 17), (2, 7), (9, 1), (17, 24)]
    n = 0
    for ctype, depth in combos:
        for interlace in (0, 1):
            w, h = sizes[n % len(sizes)]
            level, strategy = strategies[n % len(strategies)]
            name = "c%dd%02d%s.png" % (ctype, depth, "i" if interlace else "")
            png, rgba = make_png(rng, w, h, ctype, depth, interlace, level, strategy, split=[0, 7, 1][n % 3],
                                 npal=[1, 3, 16, 256][n % 4] if depth == 8 else min(1 << depth, 1 + n % 15))
            open(os.path.join(HERE, name), "wb").write(png)
            man.append("%s %d %d %016x" % (name, w, h, fnv(rgba)))
            n += 1
    # text chunks of every kind (tests/test_png.c checks their values) and an unknown ancillary chunk
    texts = (chunk(b"tEXt", b"parameters\0caf\xe9 at dawn\nSteps: 20") +
             chunk(b"zTXt", b"Comment\0\0" + zlib.compress("zipped Latin-1 \xe9\xe8".encode("latin-1"))) +
             chunk(b"iTXt", b"Title\0\0\0en\0Titel\0" + "日本語 🚀".encode()) +
             chunk(b"iTXt", b"Prompt\0\1\0\0\0" + zlib.compress("a café, 東京, 🚀".encode())) +
             chunk(b"tEXt", b"no separator") + chunk(b"zTXt", b"Bad\0\0not zlib") + chunk(b"abCd", b"whatever"))
    png, rgba = make_png(rng, 6, 5, 2, 8, 0, extra=texts)
    open(os.path.join(HERE, "text.png"), "wb").write(png)
    man.append("text.png 6 5 %016x" % fnv(rgba))
    # broken files
    good, _ = make_png(random.Random(7), 8, 8, 2, 8, 0)
    def at(t):
        return good.index(t) - 4

    def fixcrc(b, t):
        i = b.index(t) - 4
        n = struct.unpack(">I", b[i:i + 4])[0]
        return b[:i + 8 + n] + struct.pack(">I", zlib.crc32(b[i + 4:i + 8 + n]) & 0xFFFFFFFF) + b[i + 12 + n:]

    def idat_with(z):
        i = at(b"IDAT")
        n = struct.unpack(">I", good[i:i + 4])[0]
        return good[:i] + chunk(b"IDAT", z) + good[i + 12 + n:]
    i = at(b"IDAT")
    raw = zlib.decompress(good[i + 8:i + 8 + struct.unpack(">I", good[i:i + 4])[0]])
    bad = {
        "bad_crc_idat.png": (good[:i + 10] + bytes([good[i + 10] ^ 1]) + good[i + 11:], "bad CRC in IDAT"),
        "bad_adler.png": (idat_with(zlib.compress(raw)[:-1] + bytes([zlib.compress(raw)[-1] ^ 1])), "zlib checksum mismatch"),
        "truncated_zlib.png": (idat_with(zlib.compress(raw)[:-9]), "truncated zlib data"),
        "bad_filter.png": (idat_with(zlib.compress(b"\x05" + raw[1:])), "bad filter type"),
        "short_data.png": (idat_with(zlib.compress(raw[:-1])), "not enough image data"),
        "long_data.png": (idat_with(zlib.compress(raw + b"\0")), "too much image data"),
        "bad_depth.png": (fixcrc(good[:24] + b"\x04" + good[25:], b"IHDR"), "unsupported bit depth"),
        "too_large.png": (fixcrc(good[:16] + struct.pack(">II", 100000, 100000) + good[24:], b"IHDR"), "image too large"),
        "critical.png": (good[:i] + chunk(b"ABCD", b"") + good[i:], "unknown critical chunk"),
        "no_iend.png": (good[:-12], "truncated"),
        "no_plte.png": (fixcrc(good[:25] + b"\x03" + good[26:], b"IHDR"), "missing PLTE"),
    }
    for name, (data, why) in sorted(bad.items()):
        open(os.path.join(HERE, name), "wb").write(data)
        man.append("%s ERR %s" % (name, why))
    open(os.path.join(HERE, "manifest.txt"), "w").write("\n".join(man) + "\n")
    print("wrote %d files and manifest.txt" % len(man))


def read_png(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "signature"
    pos, chunks = 8, []
    while pos < len(data):
        n, t = struct.unpack(">I4s", data[pos:pos + 8])
        body, crc = data[pos + 8:pos + 8 + n], struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]
        assert zlib.crc32(t + body) & 0xFFFFFFFF == crc, "CRC of " + t.decode()
        chunks.append((t, body))
        pos += 12 + n
    return chunks


def check(folder):
    bad = 0
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".png") or not os.path.exists(os.path.join(folder, name[:-4] + ".raw")):
            continue
        data = open(os.path.join(folder, name), "rb").read()
        want = open(os.path.join(folder, name[:-4] + ".raw"), "rb").read()
        try:
            chunks = read_png(data)
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
            z = b"".join(b for t, b in chunks if t == b"IDAT")
            raw = zlib.decompress(z)   # checks the deflate stream and the Adler-32
            pix = unfilter(raw, w, h, ctype, depth, interlace)
            got = b"".join(bytes(pix[(x, y)]) for y in range(h) for x in range(w))
            texts = [(t.decode(), b) for t, b in chunks if t in (b"tEXt", b"iTXt", b"zTXt")]
            z6 = len(zlib.compress(raw, 6))
            ok = got == want
            print("%s %s: %dx%d type %d, zlib accepts the stream, pixels %s; IDAT %d bytes, zlib -6 %d (%.3f)%s" % (
                "ok  " if ok else "FAIL", name, w, h, ctype, "equal" if ok else "DIFFER", len(z), z6, len(z) / z6,
                "; text chunks " + ", ".join("%s %r" % (t, b.split(b"\0")[0].decode()) for t, b in texts) if texts else ""))
            bad += not ok
        except Exception as e:   # noqa: BLE001 - report any failure as one line
            print("FAIL %s: %s" % (name, e))
            bad += 1
    print("%s: %d failure%s" % ("FAIL" if bad else "ok", bad, "" if bad == 1 else "s"))
    return bad


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "make":
        make()
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        sys.exit(1 if check(sys.argv[2]) else 0)
    else:
        sys.exit(__doc__)
