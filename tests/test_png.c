/* test_png: tools/sd_png.h - checksums; deflate/inflate on awkward data; round trips of gray,
   gray+alpha, RGB and RGBA images through memory, FILE* and paths, read back at every channel
   count; every color type, bit depth and interlace (PNGs built here, and fixtures made with
   python's zlib in tests/data/png); text chunks with UTF-8; corrupt, truncated and hostile
   input refused with the right reason; every allocation failing in turn; speed and size.

     build/test_png              the checks (run from the repository root, as make test does)
     build/test_png --dump DIR   also writes PNGs with their pixels (NAME.raw) into DIR for
                                 python3 tests/data/png/pngtool.py check DIR   (zlib's verdict,
                                 an independent decoder, the size against zlib -6) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>

/* a counting allocator that can fail its n-th call */
static long t_calls, t_fail_at = -1, t_live;
static void *t_malloc(size_t n) { void *p; if (t_calls++ == t_fail_at) return NULL; if ((p = malloc(n)) != NULL) t_live++; return p; }
static void *t_realloc(void *p, size_t n) { void *q; if (t_calls++ == t_fail_at) return NULL; if ((q = realloc(p, n)) != NULL && !p) t_live++; return q; }
static void t_free(void *p) { if (p) t_live--; free(p); }
#define SDPNG_MALLOC(n) t_malloc(n)
#define SDPNG_REALLOC(p, n) t_realloc(p, n)
#define SDPNG_FREE(p) t_free(p)
#define SD_PNG_IMPLEMENTATION
#include "../tools/sd_png.h"
#include "common.h"   /* t_ok, t_done (without sd.h: the checks only) */

static unsigned rnd(unsigned *s) { *s ^= *s << 13; *s ^= *s >> 17; *s ^= *s << 5; return *s; }   /* xorshift32 */
static const char *dump_dir;

/* test images: 0 random bytes, 1 smooth gradient with a little noise, 2 "photo": overlapping
   smooth waves and gradients plus sensor-like noise */
static unsigned char *image(int w, int h, int ch, int kind, unsigned seed)
{
    unsigned char *p = (unsigned char *)malloc((size_t)w * h * ch);
    int x, y, c;
    for (y = 0; y < h; y++)
        for (x = 0; x < w; x++)
            for (c = 0; c < ch; c++) {
                double v;
                int n = (int)(rnd(&seed) % 7) + (int)(rnd(&seed) % 7) - 6;
                if (kind == 0) v = rnd(&seed) & 255;
                else if (kind == 1) v = (x + 2 * y + 40 * c) % 256 + n / 3;
                else v = 110 + 55 * sin(x * 0.019 + c * 0.9 + 2 * sin(y * 0.011)) + 35 * cos(y * 0.027 - x * 0.008 + c) +
                         (x + y) * 0.05 + 20 * sin((x - 256.0) * (y - 200.0) * 0.00003) + n;
                p[((size_t)y * w + x) * ch + c] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    return p;
}

static void to_rgba(const unsigned char *s, int ch, unsigned char *o)
{
    o[0] = s[0]; o[1] = ch >= 3 ? s[1] : s[0]; o[2] = ch >= 3 ? s[2] : s[0];
    o[3] = ch == 2 ? s[1] : ch == 4 ? s[3] : 255;
}

static void from_rgba(const unsigned char *v, int want, unsigned char *o)   /* the documented conversions */
{
    if (want <= 2) { o[0] = (unsigned char)((v[0] * 77 + v[1] * 150 + v[2] * 29) >> 8); if (want == 2) o[1] = v[3]; }
    else { memcpy(o, v, 3); if (want == 4) o[3] = v[3]; }
}

static unsigned char *expect(const unsigned char *src, int ch, size_t npix, int want)
{
    unsigned char *o = (unsigned char *)malloc(npix * want), rgba[4];
    size_t i;
    for (i = 0; i < npix; i++) { to_rgba(src + i * ch, ch, rgba); from_rgba(rgba, want, o + i * want); }
    return o;
}

static void dump(const char *name, const unsigned char *png, size_t n, const unsigned char *raw, size_t rawn)
{
    char path[1024];
    FILE *f;
    if (!dump_dir) return;
    snprintf(path, sizeof path, "%s/%s.png", dump_dir, name);
    if ((f = fopen(path, "wb")) != NULL) { fwrite(png, 1, n, f); fclose(f); }
    snprintf(path, sizeof path, "%s/%s.raw", dump_dir, name);
    if ((f = fopen(path, "wb")) != NULL) { fwrite(raw, 1, rawn, f); fclose(f); }
}

static size_t find(const unsigned char *p, size_t n, const void *s, size_t k)   /* offset of s in p, or n */
{
    size_t i;
    for (i = 0; i + k <= n; i++) if (!memcmp(p + i, s, k)) return i;
    return n;
}

/* ---------------------------------------------------------------- checksums, deflate, inflate */

static void test_zlib(void)
{
    static const int sizes[] = { 0, 1, 300000, 100000, 200000, 90000, 140000, 70000 };
    unsigned char a[1 << 16];
    size_t i;
    uint32_t ref_a = 1, ref_b = 0;
    int k;
    t_ok(sdpng__crc(0, (const unsigned char *)"123456789", 9) == 0xCBF43926u, "CRC-32 check value");
    memset(a, 0xFF, sizeof a);
    for (i = 0; i < sizeof a; i++) { ref_a = (ref_a + a[i]) % 65521; ref_b = (ref_b + ref_a) % 65521; }
    t_ok(sdpng__adler((const unsigned char *)"Wikipedia", 9) == 0x11E60398u && sdpng__adler(a, sizeof a) == (ref_b << 16 | ref_a),
         "Adler-32 check value, and 64 KiB of 0xFF against the per-byte definition");
    for (k = 0; k < 8; k++) {   /* empty, one byte, zeros, random, text-like, a random block repeated at 30000, at 70000, two symbols */
        size_t n = (size_t)sizes[k];
        unsigned char *d = (unsigned char *)malloc(n + 1);
        unsigned s = 99u + (unsigned)k;
        sdpng__buf b;
        sdpng__z z;
        const char *why, *why2;
        for (i = 0; i < n; i++)
            d[i] = (unsigned char)(k == 2 ? 0 : k == 3 ? rnd(&s) : k == 4 ? (unsigned char)"etaoin shrdlu\n"[rnd(&s) % 14 % (1 + rnd(&s) % 14)]
                                   : k == 5 ? (i < 30000 ? rnd(&s) : d[i - 30000]) : k == 6 ? (i < 70000 ? rnd(&s) : d[i - 70000])
                                   : k == 7 ? 'a' + (rnd(&s) & 1) : 'x');
        memset(&b, 0, sizeof b); memset(&z, 0, sizeof z);
        sdpng__deflate(&b, d, n);
        z.limit = n;
        why = b.bad ? "deflate failed" : sdpng__inflate(&z, b.p, b.n);
        t_ok(!why && z.n == n && (!n || !memcmp(z.o, d, n)), "deflate/inflate case %d: %lu -> %lu bytes (%.3f) %s", k,
             (unsigned long)n, (unsigned long)b.n, n ? (double)b.n / n : 0.0, why ? why : "");
        sdpng_free(z.o);
        memset(&z, 0, sizeof z);
        z.limit = n ? n - 1 : 0;
        why2 = sdpng__inflate(&z, b.p, b.n);
        t_ok(!n || (why2 && !strcmp(why2, "too much image data")), "  one byte less room: %s", why2 ? why2 : "accepted");
        sdpng_free(z.o); sdpng_free(b.p); free(d);
    }
    {   /* hand-made bad streams, each with its reason */
        static const struct { const char *bytes; int n; const char *why; } bad[] = {
            { "\x78\x9d\x03\x00", 4, "bad zlib header" },                         /* check bits */
            { "\x79\x9c\x03\x00", 4, "bad zlib header" },                         /* method 9 */
            { "\x78\xbb\x03\x00", 4, "bad zlib header" },                         /* preset dictionary */
            { "\x78", 1, "truncated zlib data" },
            { "\x78\x01\x07", 3, "bad deflate data" },                            /* block type 3 */
            { "\x78\x01\x01\x05\x00\xfb\xff", 7, "bad deflate data" },            /* stored: LEN != ~NLEN */
            { "\x78\x01\x01\x05\x00\xfa\xffhel", 10, "truncated zlib data" },     /* stored: 3 of 5 bytes */
            { "\x78\x01\x03\x02\x00", 5, "bad deflate data" },                    /* fixed: match of distance 1 with no data */
            { "\x78\x01\x05\xe0\x93\x24\x49\x92\x24\x49\x92\x00", 12, "bad deflate data" },   /* 19 code-length codes of 1 bit */
            { "\x78\x01\x4b\x04\x00", 5, "truncated zlib data" },                 /* "a" without the Adler-32 */
            { "\x78\x01\x4b\x04\x00\x00\x62\x00\x63", 9, "zlib checksum mismatch" },
            { "\x78\x01\x4b", 3, "truncated zlib data" },                         /* inside the Huffman data */
        };
        for (k = 0; k < (int)(sizeof bad / sizeof bad[0]); k++) {
            sdpng__z z;
            const char *why;
            memset(&z, 0, sizeof z);
            z.limit = 100;
            why = sdpng__inflate(&z, (const unsigned char *)bad[k].bytes, (size_t)bad[k].n);
            t_ok(why && !strcmp(why, bad[k].why), "bad zlib stream %d: %s", k, why ? why : "accepted");
            sdpng_free(z.o);
        }
    }
    {   /* random damage to deflate streams: refused or decoded, never outside the buffers */
        unsigned s = 5, refused = 0, it;
        unsigned char src[3000];
        sdpng__buf b;
        for (i = 0; i < sizeof src; i++) src[i] = (unsigned char)(i % 97 < 50 ? (unsigned char)"abcabd"[rnd(&s) % 6] : rnd(&s));
        memset(&b, 0, sizeof b);
        sdpng__deflate(&b, src, sizeof src);
        for (it = 0; it < 20000; it++) {
            unsigned char *c = (unsigned char *)malloc(b.n);
            size_t n = it % 3 ? b.n : 3 + rnd(&s) % (b.n - 3);
            sdpng__z z;
            int flips = 1 + (int)(rnd(&s) % 4);
            memcpy(c, b.p, b.n);
            while (flips--) c[2 + rnd(&s) % (n - 2)] ^= (unsigned char)(1u << (rnd(&s) & 7));
            memset(&z, 0, sizeof z);
            z.limit = it % 2 ? sizeof src : 1 << 20;
            refused += sdpng__inflate(&z, c, n) != NULL;
            sdpng_free(z.o); free(c);
        }
        t_ok(refused > 19000, "20000 damaged deflate streams: %u refused, the rest decoded within bounds", refused);
        sdpng_free(b.p);
    }
}

/* ---------------------------------------------------------------- round trips */

static void test_round_trips(void)
{
    static const int sizes[4][2] = { { 1, 1 }, { 7, 3 }, { 64, 64 }, { 513, 257 } };
    int si, ch, kind, want;
    for (si = 0; si < 4; si++)
        for (ch = 1; ch <= 4; ch++)
            for (kind = 0; kind < 3; kind += 2) {
                int w = sizes[si][0], h = sizes[si][1], bw = 0, bh = 0, good = 1;
                size_t npix = (size_t)w * h, n = 0;
                unsigned char *px = image(w, h, ch, kind, 1u + (unsigned)(si * 8 + ch * 2 + kind)), *png, *back;
                const char *why = "";
                png = sdpng_write_mem(px, w, h, ch, NULL, 0, &n);
                for (want = 1; want <= 4; want++) {
                    unsigned char *e = expect(px, ch, npix, want);
                    back = png ? sdpng_read_mem(png, n, &bw, &bh, want, NULL, NULL, &why) : NULL;
                    if (!back || bw != w || bh != h || memcmp(back, e, npix * want)) good = 0;
                    if (want == ch && back && memcmp(back, px, npix * ch)) good = 0;
                    sdpng_free(back); free(e);
                }
                t_ok(png && good, "round trip %dx%d, %d channel%s, %s: %lu bytes (%.3f of raw), read back as 1-4 channels %s", w, h, ch,
                     ch > 1 ? "s" : "", kind ? "photo-like" : "random", (unsigned long)n, (double)n / (double)(npix * ch), why);
                if (si == 3 && kind == 2) {
                    char name[32];
                    snprintf(name, sizeof name, "photo%dx%dx%d", w, h, ch);
                    dump(name, png, n, px, npix * ch);
                }
                sdpng_free(png); free(px);
            }
    {   /* FILE* and path, with texts */
        unsigned char *px = image(33, 17, 3, 2, 7), *back = NULL, *mem, buf[1 << 16];
        sdpng_text t[1] = { { (char *)"parameters", (char *)"a photo" } }, *got = NULL;
        FILE *f = tmpfile();
        size_t n = 0, mn = 0;
        int w = 0, h = 0, nt = 0, ok_fp, ok_path;
        const char *why = "";
        mem = sdpng_write_mem(px, 33, 17, 3, t, 1, &mn);
        ok_fp = f && sdpng_write_fp(f, px, 33, 17, 3, t, 1);
        if (f) { rewind(f); n = fread(buf, 1, sizeof buf, f); fclose(f); }
        ok_fp = ok_fp && mem && n == mn && !memcmp(buf, mem, n);
        ok_path = sdpng_write_file("build/test_png.tmp.png", px, 33, 17, 3, t, 1);
        back = ok_path ? sdpng_read_file("build/test_png.tmp.png", &w, &h, 3, &got, &nt, &why) : NULL;
        ok_path = back && w == 33 && h == 17 && !memcmp(back, px, sizeof(unsigned char) * 33 * 17 * 3) && nt == 1 && !strcmp(got[0].text, "a photo");
        remove("build/test_png.tmp.png");
        t_ok(ok_fp, "sdpng_write_fp writes the same bytes as sdpng_write_mem (%lu)", (unsigned long)n);
        t_ok(ok_path, "sdpng_write_file + sdpng_read_file round trip %s", why);
        sdpng_free(back); sdpng_free(mem); sdpng_free_texts(got, nt);
        back = sdpng_read_file("build/does-not-exist.png", &w, &h, 3, NULL, NULL, &why);
        t_ok(!back && !strcmp(why, "cannot open the file"), "a missing file: %s", why);
        t_ok(!sdpng_write_file("build/no-such-dir/x.png", px, 33, 17, 3, NULL, 0), "an unwritable path fails");
        free(px);
    }
    {   /* bad arguments */
        unsigned char px[12] = { 0 };
        size_t n = 1;
        int bad = 0;
        bad += sdpng_write_mem(px, 0, 1, 3, NULL, 0, &n) != NULL;
        bad += sdpng_write_mem(px, 1, -1, 3, NULL, 0, &n) != NULL;
        bad += sdpng_write_mem(px, 1, 1, 5, NULL, 0, &n) != NULL;
        bad += sdpng_write_mem(NULL, 1, 1, 3, NULL, 0, &n) != NULL;
        bad += sdpng_write_mem(px, 1, 1, 3, NULL, 1, &n) != NULL;
        bad += sdpng_write_mem(px, 0x7FFFFFFF, 0x7FFFFFFF, 4, NULL, 0, &n) != NULL;
        t_ok(!bad && n == 0, "bad write arguments refused (zero size, 5 channels, NULL pixels, NULL texts, 2^31 x 2^31)");
    }
}

/* ---------------------------------------------------------------- PNGs of every kind, built here */

static const int adam7[8][4] = { { 0, 0, 1, 1 }, { 0, 0, 8, 8 }, { 4, 0, 8, 8 }, { 0, 4, 4, 8 }, { 2, 0, 4, 4 }, { 0, 2, 2, 4 }, { 1, 0, 2, 2 }, { 0, 1, 1, 2 } };

static int paeth(int a, int b, int c) { int p = a + b - c; return abs(p - a) <= abs(p - b) && abs(p - a) <= abs(p - c) ? a : abs(p - b) <= abs(p - c) ? b : c; }

/* random samples in any color type, bit depth and interlace; rows filtered with random filters;
   the zlib stream as stored blocks (deflate 0) or from sdpng__deflate; IDAT split in pieces.
   *rgba gets the expected 8-bit RGBA. */
static unsigned char *build_png(int w, int h, int ctype, int depth, int interlace, int deflate, unsigned *s, unsigned char *rgba, size_t *size)
{
    int nch = ctype == 0 || ctype == 3 ? 1 : ctype == 4 ? 2 : ctype == 2 ? 3 : 4, maxv = (1 << depth) - 1, p, x, y, k;
    int npal = ctype == 3 ? 1 + (int)(rnd(s) % (unsigned)(maxv < 255 ? maxv + 1 : 256)) : 0;
    size_t bpp = (size_t)(nch * depth + 7) / 8, rn = 0, i, at;
    unsigned *smp = (unsigned *)malloc(sizeof(unsigned) * w * h * nch);
    unsigned char pal[768], *raw = (unsigned char *)malloc((size_t)(w * nch * 2 + 8) * h * 2 + 64), *prev, *row, hdr[13];
    sdpng__buf z, b;
    for (i = 0; i < 768; i++) pal[i] = (unsigned char)rnd(s);
    for (i = 0; i < (size_t)w * h; i++) {
        unsigned v[4];
        for (k = 0; k < nch; k++) v[k] = smp[i * nch + k] = ctype == 3 ? rnd(s) % (unsigned)npal : rnd(s) & (unsigned)maxv;
        for (k = 0; k < nch; k++) v[k] = ctype == 3 ? v[k] : depth == 16 ? v[k] >> 8 : v[k] * 255 / (unsigned)maxv;
        if (ctype == 3) { rgba[4 * i] = pal[3 * v[0]]; rgba[4 * i + 1] = pal[3 * v[0] + 1]; rgba[4 * i + 2] = pal[3 * v[0] + 2]; rgba[4 * i + 3] = 255; }
        else {
            rgba[4 * i] = (unsigned char)v[0];
            rgba[4 * i + 1] = (unsigned char)(nch >= 3 ? v[1] : v[0]); rgba[4 * i + 2] = (unsigned char)(nch >= 3 ? v[2] : v[0]);
            rgba[4 * i + 3] = (unsigned char)(nch == 2 ? v[1] : nch == 4 ? v[3] : 255);
        }
    }
    prev = (unsigned char *)calloc((size_t)w * 8 + 8, 1); row = (unsigned char *)calloc((size_t)w * 8 + 8, 1);
    for (p = interlace ? 1 : 0; p <= (interlace ? 7 : 0); p++) {
        int pw = w > adam7[p][0] ? (w - adam7[p][0] + adam7[p][2] - 1) / adam7[p][2] : 0;
        int ph = h > adam7[p][1] ? (h - adam7[p][1] + adam7[p][3] - 1) / adam7[p][3] : 0;
        size_t rowb = ((size_t)pw * nch * depth + 7) / 8;
        if (!pw || !ph) continue;
        memset(prev, 0, rowb);
        for (y = 0; y < ph; y++) {
            int f = (int)(rnd(s) % 5);
            memset(row, 0, rowb);
            for (x = 0; x < pw; x++)
                for (k = 0; k < nch; k++) {
                    unsigned v = smp[((size_t)(adam7[p][1] + y * adam7[p][3]) * w + adam7[p][0] + x * adam7[p][2]) * nch + k];
                    size_t bit = ((size_t)x * nch + k) * depth;
                    if (depth == 16) { row[bit / 8] = (unsigned char)(v >> 8); row[bit / 8 + 1] = (unsigned char)v; }
                    else row[bit / 8] |= (unsigned char)(v << (8 - depth - bit % 8));
                }
            raw[rn++] = (unsigned char)f;
            for (i = 0; i < rowb; i++) {
                int a = i >= bpp ? row[i - bpp] : 0, u = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                raw[rn++] = (unsigned char)(row[i] - (f == 0 ? 0 : f == 1 ? a : f == 2 ? u : f == 3 ? (a + u) / 2 : paeth(a, u, c)));
            }
            memcpy(prev, row, rowb);
        }
    }
    memset(&z, 0, sizeof z); memset(&b, 0, sizeof b);
    if (deflate) sdpng__deflate(&z, raw, rn);
    else {   /* stored blocks of random sizes */
        uint32_t ad = sdpng__adler(raw, rn);
        sdpng__byte(&z, 0x78); sdpng__byte(&z, 0x01);
        for (at = 0; at < rn;) {
            size_t r = 1 + rnd(s) % 40, n = rn - at < r ? rn - at : r;
            sdpng__byte(&z, at + n == rn);
            sdpng__byte(&z, (unsigned)n & 255); sdpng__byte(&z, (unsigned)n >> 8); sdpng__byte(&z, ~(unsigned)n & 255); sdpng__byte(&z, (~(unsigned)n >> 8) & 255);
            sdpng__put(&z, raw + at, n);
            at += n;
        }
        sdpng__be32(&z, ad);
    }
    sdpng__put(&b, "\x89PNG\r\n\x1a\n", 8);
    for (k = 0; k < 4; k++) { hdr[k] = (unsigned char)((unsigned)w >> (24 - 8 * k)); hdr[4 + k] = (unsigned char)((unsigned)h >> (24 - 8 * k)); }
    hdr[8] = (unsigned char)depth; hdr[9] = (unsigned char)ctype; hdr[10] = hdr[11] = 0; hdr[12] = (unsigned char)interlace;
    sdpng__chunk(&b, "IHDR", hdr, 13);
    if (ctype == 3) sdpng__chunk(&b, "PLTE", pal, (size_t)npal * 3);
    for (at = 0; at < z.n;) {   /* IDAT in pieces of 1 to 64 bytes */
        size_t r = 1 + rnd(s) % 64, n = z.n - at < r ? z.n - at : r;
        sdpng__chunk(&b, "IDAT", z.p + at, n);
        at += n;
    }
    sdpng__chunk(&b, "IEND", NULL, 0);
    sdpng_free(z.p); free(smp); free(raw); free(prev); free(row);
    *size = b.n;
    return b.p;
}

static void test_every_kind(void)
{
    static const int combos[15][2] = { { 0, 1 }, { 0, 2 }, { 0, 4 }, { 0, 8 }, { 0, 16 }, { 2, 8 }, { 2, 16 }, { 3, 1 }, { 3, 2 }, { 3, 4 }, { 3, 8 }, { 4, 8 }, { 4, 16 }, { 6, 8 }, { 6, 16 } };
    static const int sizes[7][2] = { { 1, 1 }, { 2, 3 }, { 5, 5 }, { 8, 8 }, { 9, 17 }, { 31, 7 }, { 3, 33 } };
    int c, il, si, dfl, want;
    unsigned s = 2024;
    for (c = 0; c < 15; c++)
        for (il = 0; il < 2; il++) {
            int good = 0, total = 0;
            const char *why = "";
            for (si = 0; si < 7; si++)
                for (dfl = 0; dfl < 2; dfl++) {
                    int w = sizes[si][0], h = sizes[si][1], bw, bh, ok = 1;
                    unsigned char *rgba = (unsigned char *)malloc((size_t)w * h * 4), *img;
                    size_t n;
                    unsigned char *png = build_png(w, h, combos[c][0], combos[c][1], il, dfl, &s, rgba, &n);
                    for (want = 1; want <= 4; want++) {
                        unsigned char *e = expect(rgba, 4, (size_t)w * h, want);
                        img = sdpng_read_mem(png, n, &bw, &bh, want, NULL, NULL, &why);
                        if (!img || bw != w || bh != h || memcmp(img, e, (size_t)w * h * want)) ok = 0;
                        sdpng_free(img); free(e);
                    }
                    good += ok; total++;
                    sdpng_free(png); free(rgba);
                }
            t_ok(good == total, "color type %d, %2d-bit%s: %d/%d sizes (1x1 .. 31x7; stored and deflated; random filters; split IDATs) %s",
                 combos[c][0], combos[c][1], il ? ", Adam7" : "       ", good, total, why);
        }
}

/* ---------------------------------------------------------------- fixtures made with python's zlib */

static void test_fixtures(void)
{
    FILE *m = fopen("tests/data/png/manifest.txt", "r");
    char line[512];
    int files = 0, good = 0;
    if (!m) { t_ok(0, "tests/data/png/manifest.txt (tracked in the repository) opens: run from the repository root"); return; }
    while (fgets(line, sizeof line, m)) {
        char name[128], path[256], a[128] = "", *reason;
        int w = 0, h = 0, bw = 0, bh = 0, nt = 0, ok;
        unsigned long long hash = 0, fnv = 0xCBF29CE484222325ull;
        sdpng_text *t = NULL;
        const char *why = "";
        unsigned char *img;
        size_t i;
        if (sscanf(line, "%127s %127s", name, a) != 2) continue;
        snprintf(path, sizeof path, "tests/data/png/%s", name);
        img = sdpng_read_file(path, &bw, &bh, 4, &t, &nt, &why);
        files++;
        if (!strcmp(a, "ERR")) {
            reason = strstr(line, "ERR ") + 4;
            reason[strcspn(reason, "\n")] = 0;
            ok = !img && !strcmp(why, reason);
            if (!ok) t_ok(0, "fixture %s: expected '%s', got '%s'", name, reason, img ? "an image" : why);
        } else {
            sscanf(line, "%*s %d %d %llx", &w, &h, &hash);
            for (i = 0; img && i < (size_t)bw * bh * 4; i++) fnv = (fnv ^ img[i]) * 0x100000001B3ull;
            ok = img && bw == w && bh == h && fnv == hash;
            if (!ok) t_ok(0, "fixture %s: %dx%d, hash %016llx (expected %dx%d %016llx) %s", name, bw, bh, fnv, w, h, hash, why);
        }
        if (!strcmp(name, "text.png"))
            t_ok(ok && nt == 4 && !strcmp(t[0].key, "parameters") && !strcmp(t[0].text, "caf\xc3\xa9 at dawn\nSteps: 20") &&
                     !strcmp(t[1].key, "Comment") && !strcmp(t[1].text, "zipped Latin-1 \xc3\xa9\xc3\xa8") &&
                     !strcmp(t[2].key, "Title") && !strcmp(t[2].text, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x9a\x80") &&
                     !strcmp(t[3].key, "Prompt") && !strcmp(t[3].text, "a caf\xc3\xa9, \xe6\x9d\xb1\xe4\xba\xac, \xf0\x9f\x9a\x80"),
                 "fixture text.png: tEXt (Latin-1), zTXt, iTXt plain and compressed read as UTF-8; malformed ones skipped (%d texts)", nt);
        good += ok;
        sdpng_free(img); sdpng_free_texts(t, nt);
    }
    fclose(m);
    t_ok(files > 40 && good == files, "python-made fixtures (zlib levels 0-9, fixed/RLE/Huffman-only/filtered, every color type and depth, Adam7, broken files): %d/%d", good, files);
}

/* ---------------------------------------------------------------- text chunks */

static void test_texts(void)
{
    static char long_text[20001];
    static const char p1[] = "tEXtparameters\0a caf\xe9 at dawn, \xb1 5", p2[] = "iTXtPrompt\0\0\0\0\0\xe6\x97\xa5";
    unsigned char px[3 * 6 * 5], *png, *img;
    sdpng_text t[6], *got = NULL;
    int n = 0, w, h, i, good;
    size_t size, at;
    const char *why = "";
    memset(px, 90, sizeof px);
    for (i = 0; i < 20000; i++) long_text[i] = "a cat \xe6\x97\xa5 "[i % 10];
    t[0].key = (char *)"parameters"; t[0].text = (char *)"a caf\xc3\xa9 at dawn, \xc2\xb1 5\nSteps: 20, Sampler: Euler a, Seed: 42";
    t[1].key = (char *)"Prompt"; t[1].text = (char *)"\xe6\x97\xa5\xe6\x9c\xac\xe3\x81\xae\xe5\xaf\xba \xf0\x9f\x9a\x80 caf\xc3\xa9";
    t[2].key = (char *)"Empty"; t[2].text = (char *)"";
    t[3].key = (char *)"Not UTF-8"; t[3].text = (char *)"\xff\xfe raw \xe9";
    t[4].key = (char *)"Long one"; t[4].text = long_text;
    t[5].key = (char *)"Software"; t[5].text = (char *)"sd.h";
    png = sdpng_write_mem(px, 6, 5, 3, t, 6, &size);
    img = png ? sdpng_read_mem(png, size, &w, &h, 3, &got, &n, &why) : NULL;
    for (good = img && n == 6, i = 0; good && i < 6; i++) good = !strcmp(got[i].key, t[i].key) && !strcmp(got[i].text, t[i].text);
    t_ok(good, "6 text chunks round trip in order: Latin-1, CJK + emoji, empty, invalid UTF-8, 20000 bytes, ASCII %s", why);
    at = png ? find(png, size, p1, sizeof p1 - 1) : 0;
    t_ok(png && at < size && find(png, size, p2, sizeof p2 - 1) < size && find(png, size, "tEXtSoftware", 12) < size,
         "'parameters' as tEXt in Latin-1 (A1111's chunk), a CJK prompt as uncompressed iTXt");
    sdpng_free_texts(got, n); sdpng_free(img);
    img = sdpng_read_mem(png, size, &w, &h, 3, NULL, NULL, &why);
    t_ok(img != NULL, "texts not asked for: the image alone");
    sdpng_free(img); sdpng_free(png);
    {
        static const char *const bad[] = { "", " lead", "trail ", "dou  ble", "caf\xc3\xa9", "tab\t", "0123456789012345678901234567890123456789012345678901234567890123456789012345678912" };
        int refused = 0;
        for (i = 0; i < 7; i++) {
            sdpng_text b;
            b.key = (char *)bad[i]; b.text = (char *)"x";
            png = sdpng_write_mem(px, 6, 5, 3, &b, 1, &size);
            refused += png == NULL;
            sdpng_free(png);
        }
        t[0].text = NULL;
        png = sdpng_write_mem(px, 6, 5, 3, t, 1, &size);
        refused += png == NULL;
        sdpng_free(png);
        t_ok(refused == 8, "bad keys (empty, spaces, non-ASCII, control, 80 long) and a NULL text refused: %d/8", refused);
    }
}

/* ---------------------------------------------------------------- broken and hostile input */

static void fix_crc(unsigned char *p, size_t chunk)   /* recompute the CRC of the chunk at offset `chunk` */
{
    size_t n = sdpng__rd32(p + chunk);
    uint32_t c = sdpng__crc(0, p + chunk + 4, n + 4);
    int k;
    for (k = 0; k < 4; k++) p[chunk + 8 + n + (size_t)k] = (unsigned char)(c >> (24 - 8 * k));
}

static unsigned char *with_ihdr(const unsigned char *png, size_t n, uint32_t w, uint32_t h, int depth, int ctype)
{
    unsigned char *c = (unsigned char *)malloc(n);
    int k;
    memcpy(c, png, n);
    for (k = 0; k < 4; k++) { c[16 + k] = (unsigned char)(w >> (24 - 8 * k)); c[20 + k] = (unsigned char)(h >> (24 - 8 * k)); }
    c[24] = (unsigned char)depth; c[25] = (unsigned char)ctype;
    fix_crc(c, 8);
    return c;
}

static void test_corrupt(void)
{
    unsigned char *px = image(9, 7, 3, 2, 3), *png, *img, *c;
    sdpng_text t = { (char *)"parameters", (char *)"steps 20" }, *got = NULL;
    size_t size, k, idat;
    int w, h, nt = 0, bad = 0, trunc = 0, decoded = 0, i;
    const char *why = "";
    png = sdpng_write_mem(px, 9, 7, 3, &t, 1, &size);
    for (k = 0; k < size; k++) {   /* every prefix */
        img = sdpng_read_mem(png, k, &w, &h, 3, &got, &nt, &why);
        if (img || !why[0] || got) bad++;
        trunc += !strcmp(why, "truncated");
        sdpng_free(img);
    }
    t_ok(!bad, "every one of the %lu prefixes refused with a reason (%d 'truncated', the rest 'not a PNG file')", (unsigned long)size, trunc);
    c = (unsigned char *)malloc(size);
    for (bad = 0, k = 0; k < size; k++)   /* every byte changed three ways */
        for (i = 0; i < 3; i++) {
            memcpy(c, png, size);
            c[k] ^= (unsigned char)(i == 0 ? 1 : i == 1 ? 0x80 : 0xFF);
            img = sdpng_read_mem(c, size, &w, &h, 3, &got, &nt, &why);
            if (img || got || !why[0]) bad++;
            sdpng_free(img);
        }
    t_ok(!bad, "every byte of a %lu-byte PNG changed (x3): all refused (the CRCs, the signature)", (unsigned long)size);
    memcpy(c, png, size);
    idat = find(png, size, "IDAT", 4) - 4;
    c[idat + 10] ^= 4;
    img = sdpng_read_mem(c, size, &w, &h, 3, NULL, NULL, &why);
    t_ok(!img && !strcmp(why, "bad CRC in IDAT"), "a changed IDAT byte: %s", why);
    c[idat + 10] ^= 4; c[12] = 'i';
    img = sdpng_read_mem(c, size, &w, &h, 3, NULL, NULL, &why);
    t_ok(!img && !strcmp(why, "bad CRC in a chunk"), "a changed chunk name: %s", why);
    free(c);
    {   /* damage behind valid CRCs, so the inflater and the filters see it: refused or decoded, in bounds */
        unsigned char *big = image(64, 48, 3, 2, 11), *p2;
        size_t n2, id2, len2;
        unsigned s = 77;
        p2 = sdpng_write_mem(big, 64, 48, 3, NULL, 0, &n2);
        id2 = find(p2, n2, "IDAT", 4) - 4;
        len2 = sdpng__rd32(p2 + id2);
        c = (unsigned char *)malloc(n2);
        for (bad = 0, decoded = 0, i = 0; i < 5000; i++) {
            int flips = 1 + (int)(rnd(&s) % 3);
            memcpy(c, p2, n2);
            while (flips--) c[id2 + 8 + rnd(&s) % len2] ^= (unsigned char)(1 + rnd(&s) % 255);
            fix_crc(c, id2);
            img = sdpng_read_mem(c, n2, &w, &h, 3, NULL, NULL, &why);
            if (img) decoded++;
            else if (!why[0]) bad++;
            sdpng_free(img);
        }
        for (k = 8; k < n2; k++) {   /* and every IHDR/IDAT byte with its CRC fixed */
            size_t ch = k < 33 ? 8 : id2;
            if (k >= 33 && (k < id2 + 8 || k >= id2 + 8 + len2)) continue;
            if (k < 33 && (k < 16 || k >= 29)) continue;
            memcpy(c, p2, n2);
            c[k] ^= 0x5A;
            fix_crc(c, ch);
            img = sdpng_read_mem(c, n2, &w, &h, 4, NULL, NULL, &why);
            if (!img && !why[0]) bad++;
            sdpng_free(img);
        }
        t_ok(!bad, "5000 damaged IDATs with valid CRCs, then each IHDR and IDAT byte: every refusal has a reason (%d of 5000 decoded)", decoded);
        free(c); free(big); sdpng_free(p2);
    }
    {   /* hostile headers */
        static const struct { uint32_t w, h; int depth, ctype; const char *why; } hdr[] = {
            { 0x7FFFFFFF, 0x7FFFFFFF, 8, 2, "image too large" }, { 16385, 16384, 8, 2, "image too large" },
            { 0, 7, 8, 2, "bad IHDR" }, { 9, 0x80000000u, 8, 2, "bad IHDR" }, { 9, 7, 8, 5, "unsupported color type" },
            { 9, 7, 16, 3, "unsupported bit depth" }, { 9, 7, 4, 2, "unsupported bit depth" }, { 9, 7, 3, 0, "unsupported bit depth" },
            { 9, 7, 8, 3, "missing PLTE" }, { 9, 7, 8, 0, "too much image data" }, { 9, 7, 16, 2, "not enough image data" },
            { 60000, 60000, 8, 2, "image too large" },
        };
        for (i = 0; i < (int)(sizeof hdr / sizeof hdr[0]); i++) {
            c = with_ihdr(png, size, hdr[i].w, hdr[i].h, hdr[i].depth, hdr[i].ctype);
            w = h = 0;
            img = sdpng_read_mem(c, size, &w, &h, 3, NULL, NULL, &why);
            t_ok(!img && !strcmp(why, hdr[i].why) && (hdr[i].w > 0x7FFFFFFF || hdr[i].h > 0x7FFFFFFF || !hdr[i].w || ((uint32_t)w == hdr[i].w && (uint32_t)h == hdr[i].h)),
                 "IHDR %lu x %lu, depth %d, type %d: %s (%d x %d reported)", (unsigned long)hdr[i].w, (unsigned long)hdr[i].h, hdr[i].depth, hdr[i].ctype, why, w, h);
            sdpng_free(img); free(c);
        }
        c = with_ihdr(png, size, 60000, 60000, 8, 2);   /* past the limit on purpose: the header's claim allocates nothing */
        t_calls = 0;
        img = sdpng_read_mem_ex(c, size, (size_t)-1, &w, &h, 3, NULL, NULL, &why);
        t_ok(!img && !strcmp(why, sizeof(size_t) < 8 ? "image too large" : "not enough image data"), "60000 x 60000 with no pixel limit and 200 bytes of data: %s, %ld allocations", why, t_calls);
        free(c);
        img = sdpng_read_mem_ex(png, size, 62, &w, &h, 3, NULL, NULL, &why);
        t_ok(!img && !strcmp(why, "image too large"), "max_pixels 62 refuses 9 x 7: %s", why);
        sdpng_free(img);
        img = sdpng_read_mem_ex(png, size, 63, &w, &h, 3, NULL, NULL, &why);
        t_ok(img != NULL, "max_pixels 63 takes 9 x 7");
        sdpng_free(img);
    }
    {   /* chunk order and arguments */
        unsigned char tiny[8 + 25 + 12];
        img = sdpng_read_mem(png + 8, size - 8, &w, &h, 3, NULL, NULL, &why);
        t_ok(!img && !strcmp(why, "not a PNG file"), "no signature: %s", why);
        memcpy(tiny, png, 33); memcpy(tiny + 33, "\0\0\0\0IEND\xae\x42\x60\x82", 12);
        img = sdpng_read_mem(tiny, sizeof tiny, &w, &h, 3, NULL, NULL, &why);
        t_ok(!img && !strcmp(why, "no image data"), "IHDR then IEND: %s", why);
        memcpy(tiny, png, 8); memcpy(tiny + 8, "\0\0\0\0IEND\xae\x42\x60\x82", 12);
        img = sdpng_read_mem(tiny, 20, &w, &h, 3, NULL, NULL, &why);
        t_ok(!img && !strcmp(why, "first chunk is not IHDR"), "IEND first: %s", why);
        img = sdpng_read_mem(png, size, &w, &h, 5, NULL, NULL, &why);
        t_ok(!img && !strcmp(why, "bad arguments"), "5 channels asked for: %s", why);
    }
    sdpng_free(png); free(px);
}

/* ---------------------------------------------------------------- every allocation failing in turn */

static void test_alloc_failures(void)
{
    unsigned char *px = image(70, 40, 3, 2, 5), *png = NULL, *img;
    sdpng_text t[2] = { { (char *)"parameters", (char *)"caf\xc3\xa9" }, { (char *)"Prompt", (char *)"\xe6\x97\xa5" } }, *got;
    FILE *f = fopen("tests/data/png/text.png", "rb");
    unsigned char fx[4096];
    size_t size = 0, fn = f ? fread(fx, 1, sizeof fx, f) : 0;
    long calls_w, calls_r, calls_t, k;
    int w, h, n, bad = 0;
    const char *why;
    if (f) fclose(f);
    if (!fn) t_ok(0, "tests/data/png/text.png (tracked in the repository) reads: %s", f ? "empty" : "cannot open it");
    t_calls = 0; t_fail_at = -1;
    sdpng_free(sdpng_write_mem(px, 70, 40, 3, t, 2, &size));
    calls_w = t_calls;
    for (k = 0; k < calls_w; k++) {
        t_fail_at = k; t_calls = 0;
        png = sdpng_write_mem(px, 70, 40, 3, t, 2, &size);
        if (png) bad++;
        sdpng_free(png);
    }
    t_fail_at = -1;
    png = sdpng_write_mem(px, 70, 40, 3, t, 2, &size);
    t_calls = 0; got = NULL; n = 0;
    img = sdpng_read_mem(png, size, &w, &h, 3, &got, &n, &why);
    calls_r = t_calls;
    sdpng_free(img); sdpng_free_texts(got, n);
    for (k = 0; k < calls_r; k++) {
        t_fail_at = k; t_calls = 0; got = NULL; n = 0;
        img = sdpng_read_mem(png, size, &w, &h, 3, &got, &n, &why);
        if (img || got || strcmp(why, "out of memory")) bad++;
        sdpng_free(img); sdpng_free_texts(got, n);
    }
    t_fail_at = -1; t_calls = 0; got = NULL; n = 0;
    img = fn ? sdpng_read_mem(fx, fn, &w, &h, 3, &got, &n, &why) : NULL;
    calls_t = t_calls;
    sdpng_free(img); sdpng_free_texts(got, n);
    for (k = 0; k < calls_t; k++) {   /* zTXt and compressed iTXt too */
        t_fail_at = k; t_calls = 0; got = NULL; n = 0;
        img = sdpng_read_mem(fx, fn, &w, &h, 3, &got, &n, &why);
        if (img || got || strcmp(why, "out of memory")) bad++;
        sdpng_free(img); sdpng_free_texts(got, n);
    }
    t_fail_at = -1;
    sdpng_free(png); free(px);
    t_ok(!bad && t_live == 0, "each allocation failing in turn (%ld in a write, %ld + %ld in reads): NULL and 'out of memory', nothing leaked (%ld live)",
         calls_w, calls_r, calls_t, t_live);
}

/* ---------------------------------------------------------------- speed and size */

static void test_speed(void)
{
    unsigned char *px = image(512, 512, 3, 2, 1), *png = NULL, *img;
    size_t size = 0;
    double wbest = 1e9, rbest = 1e9;
    int i, w, h;
    for (i = 0; i < 3; i++) {
        clock_t t0 = clock();
        sdpng_free(png);
        png = sdpng_write_mem(px, 512, 512, 3, NULL, 0, &size);
        if ((double)(clock() - t0) / CLOCKS_PER_SEC < wbest) wbest = (double)(clock() - t0) / CLOCKS_PER_SEC;
        t0 = clock();
        img = sdpng_read_mem(png, size, &w, &h, 3, NULL, NULL, NULL);
        if ((double)(clock() - t0) / CLOCKS_PER_SEC < rbest) rbest = (double)(clock() - t0) / CLOCKS_PER_SEC;
        if (!img || memcmp(img, px, 512 * 512 * 3)) wbest = 1e9;
        sdpng_free(img);
    }
    t_ok(png && wbest < 1.0, "512x512 RGB photo-like image: written in %.1f ms, read in %.1f ms, %lu bytes (%.3f of raw)", wbest * 1e3, rbest * 1e3,
         (unsigned long)size, (double)size / (512 * 512 * 3));
    dump("photo512", png, size, px, 512 * 512 * 3);
    sdpng_free(png); free(px);
    if (dump_dir) {   /* the other write modes for pngtool.py check */
        int ch;
        for (ch = 1; ch <= 4; ch++) {
            unsigned char *p = image(300, 200, ch, ch & 1, 9);
            char name[32];
            png = sdpng_write_mem(p, 300, 200, ch, NULL, 0, &size);
            snprintf(name, sizeof name, "%s%d", ch & 1 ? "smooth" : "random", ch);
            dump(name, png, size, p, (size_t)300 * 200 * ch);
            sdpng_free(png); free(p);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--dump")) dump_dir = argv[2];
    test_zlib();
    test_round_trips();
    test_every_kind();
    test_fixtures();
    test_texts();
    test_corrupt();
    test_alloc_failures();
    test_speed();
    t_ok(t_live == 0, "no allocation of sd_png.h left behind (%ld)", t_live);
    return t_done("test_png");
}
