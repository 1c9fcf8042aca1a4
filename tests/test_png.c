/* test_png: tools/sd_png.h round trips (gray/RGB/RGBA, odd sizes, text chunks incl. UTF-8),
   hand-built PNGs of other color types, bit depths and interlacing, and corrupt input. */
#define SD_PNG_IMPLEMENTATION
#include "../tools/sd_png.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static void ok(int cond, const char *what) { printf("%s %s\n", cond ? "ok  " : "FAIL", what); if (!cond) failures++; }

static unsigned rnd(unsigned *s) { *s = *s * 1664525u + 1013904223u; return *s >> 8; }

static void round_trip(int w, int h, int ch, int smooth)
{
    unsigned s = (unsigned)(w * 31 + h * 7 + ch);
    size_t n = (size_t)w * h * ch, i, size;
    unsigned char *px = (unsigned char *)malloc(n), *png, *back;
    int bw, bh;
    char name[96];
    const char *why = "";
    for (i = 0; i < n; i++) px[i] = (unsigned char)(smooth ? (i / ch % w + i / ch / w) * 3 + (rnd(&s) & 3) : rnd(&s));
    png = sdpng_write_mem(px, w, h, ch, NULL, 0, &size);
    back = png ? sdpng_read_mem(png, size, &bw, &bh, ch, NULL, NULL, &why) : NULL;
    snprintf(name, sizeof name, "round trip %dx%dx%d%s (%lu bytes, %.2f of raw) %s", w, h, ch, smooth ? " smooth" : "",
             (unsigned long)size, (double)size / n, why);
    ok(back && bw == w && bh == h && memcmp(back, px, n) == 0, name);
    free(px); free(png); free(back);
}

/* a PNG from raw filtered scanlines (stored deflate blocks) for the reader's other formats */
static unsigned char *make_png(int w, int h, int depth, int ctype, int interlace, const unsigned char *raw, size_t rawn,
                               const unsigned char *pal, int npal, size_t *size)
{
    size_t cap = rawn + rawn / 65535 * 5 + 1024, n = 0, i;
    unsigned char *p = (unsigned char *)malloc(cap), *z = (unsigned char *)malloc(rawn + rawn / 65535 * 5 + 16);
    size_t zn = 0, at = 0;
    uint32_t ad = sdpng__adler(raw, rawn);
#define PUT32(v) do { p[n++] = (unsigned char)((v) >> 24); p[n++] = (unsigned char)((v) >> 16); p[n++] = (unsigned char)((v) >> 8); p[n++] = (unsigned char)(v); } while (0)
#define CHUNK(t, d, l) do { size_t s0 = n + 4; PUT32((uint32_t)(l)); memcpy(p + n, t, 4); n += 4; if ((l) != 0) memcpy(p + n, d, l); n += l; PUT32(sdpng__crc(0, p + s0, (l) + 4)); } while (0)
    z[zn++] = 0x78; z[zn++] = 0x01;
    do {
        size_t len = rawn - at > 65535 ? 65535 : rawn - at;
        z[zn++] = (unsigned char)(at + len >= rawn);
        z[zn++] = (unsigned char)len; z[zn++] = (unsigned char)(len >> 8); z[zn++] = (unsigned char)~len; z[zn++] = (unsigned char)(~len >> 8);
        memcpy(z + zn, raw + at, len); zn += len; at += len;
    } while (at < rawn);
    for (i = 0; i < 4; i++) z[zn++] = (unsigned char)(ad >> (24 - 8 * i));
    memcpy(p, "\x89PNG\r\n\x1a\n", 8); n = 8;
    {
        unsigned char hdr[13] = { 0 };
        hdr[0] = (unsigned char)(w >> 24); hdr[1] = (unsigned char)(w >> 16); hdr[2] = (unsigned char)(w >> 8); hdr[3] = (unsigned char)w;
        hdr[4] = (unsigned char)(h >> 24); hdr[5] = (unsigned char)(h >> 16); hdr[6] = (unsigned char)(h >> 8); hdr[7] = (unsigned char)h;
        hdr[8] = (unsigned char)depth; hdr[9] = (unsigned char)ctype; hdr[12] = (unsigned char)interlace;
        CHUNK("IHDR", hdr, (size_t)13);
    }
    if (pal) CHUNK("PLTE", pal, (size_t)npal * 3);
    CHUNK("IDAT", z, zn);
    CHUNK("IEND", p, (size_t)0);
    free(z);
    *size = n;
    return p;
}

/* gray at depth 1/2/4/8/16, one row per filter 0, checking the expanded values */
static void gray_depths(void)
{
    int depth;
    for (depth = 1; depth <= 16; depth *= 2) {
        int w = 13, h = 3, x, y, maxv = depth == 16 ? 65535 : (1 << depth) - 1, good = 1, bw, bh;
        size_t rowb = ((size_t)w * depth + 7) / 8, size;
        unsigned char *raw = (unsigned char *)calloc((rowb + 1) * h, 1), *png, *img;
        char name[64];
        for (y = 0; y < h; y++)
            for (x = 0; x < w; x++) {
                int v = (x * 5 + y) % (maxv + 1);
                unsigned char *r = raw + y * (rowb + 1) + 1;
                if (depth == 16) { r[2 * x] = (unsigned char)(v >> 8); r[2 * x + 1] = (unsigned char)v; }
                else if (depth == 8) r[x] = (unsigned char)v;
                else r[x * depth / 8] |= (unsigned char)(v << (8 - depth - x * depth % 8));
            }
        png = make_png(w, h, depth, 0, 0, raw, (rowb + 1) * h, NULL, 0, &size);
        img = sdpng_read_mem(png, size, &bw, &bh, 3, NULL, NULL, NULL);
        for (y = 0; img && y < h; y++)
            for (x = 0; x < w; x++) {
                int v = (x * 5 + y) % (maxv + 1), want = depth == 16 ? v >> 8 : depth == 8 ? v : v * 255 / maxv;
                if (img[(y * w + x) * 3] != want || img[(y * w + x) * 3 + 2] != want) good = 0;
            }
        snprintf(name, sizeof name, "gray %d-bit read", depth);
        ok(img && good, name);
        free(raw); free(png); free(img);
    }
}

static void palette_and_interlace(void)
{
    /* 4x4 palette image, 2-bit, then the same pixels as RGB Adam7-interlaced */
    unsigned char pal[12] = { 255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9 }, raw[4 * 2], *png, *img;
    size_t size;
    int x, y, bw, bh, good = 1;
    for (y = 0; y < 4; y++) {
        raw[y * 2] = 0;
        raw[y * 2 + 1] = (unsigned char)(((y) & 3) << 6 | ((y + 1) & 3) << 4 | ((y + 2) & 3) << 2 | ((y + 3) & 3));
    }
    png = make_png(4, 4, 2, 3, 0, raw, sizeof raw, pal, 4, &size);
    img = sdpng_read_mem(png, size, &bw, &bh, 3, NULL, NULL, NULL);
    for (y = 0; img && y < 4; y++) for (x = 0; x < 4; x++) if (memcmp(img + (y * 4 + x) * 3, pal + ((x + y) & 3) * 3, 3)) good = 0;
    ok(img && good, "palette 2-bit read");
    free(png); free(img);
    {
        /* 5x5 RGB interlaced: pass p holds the pixels of Adam7 pass p, filter 0 */
        static const int x0[7] = { 0, 4, 0, 2, 0, 1, 0 }, y0[7] = { 0, 0, 4, 0, 2, 0, 1 }, dx[7] = { 8, 8, 4, 4, 2, 2, 1 }, dy[7] = { 8, 8, 8, 4, 4, 2, 2 };
        unsigned char r[1024];
        size_t n = 0;
        int p;
        for (p = 0; p < 7; p++)
            for (y = y0[p]; y < 5; y += dy[p]) {
                if (x0[p] >= 5) continue;
                r[n++] = 0;
                for (x = x0[p]; x < 5; x += dx[p]) { r[n++] = (unsigned char)(x * 40); r[n++] = (unsigned char)(y * 40); r[n++] = 7; }
            }
        png = make_png(5, 5, 8, 2, 1, r, n, NULL, 0, &size);
        img = sdpng_read_mem(png, size, &bw, &bh, 3, NULL, NULL, NULL);
        good = img != NULL;
        for (y = 0; img && y < 5; y++) for (x = 0; x < 5; x++) if (img[(y * 5 + x) * 3] != x * 40 || img[(y * 5 + x) * 3 + 1] != y * 40) good = 0;
        ok(good, "Adam7 interlaced RGB read");
        free(png); free(img);
    }
}

static void texts_and_corruption(void)
{
    unsigned char px[3 * 6 * 5], *png, *img;
    sdpng_text t[2], *got = NULL;
    int n = 0, w, h, i, bad = 0;
    size_t size, k;
    const char *why;
    memset(px, 90, sizeof px);
    t[0].key = (char *)"parameters"; t[0].text = (char *)"a caf\xc3\xa9 at dawn\nSteps: 20, Seed: 42";
    t[1].key = (char *)"Comment"; t[1].text = (char *)"\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x9a\x80";
    png = sdpng_write_mem(px, 6, 5, 3, t, 2, &size);
    img = sdpng_read_mem(png, size, &w, &h, 3, &got, &n, &why);
    ok(img && n == 2 && !strcmp(got[0].key, "parameters") && !strcmp(got[0].text, t[0].text) && !strcmp(got[1].text, t[1].text),
       "text chunks round trip (tEXt Latin-1, iTXt UTF-8)");
    sdpng_free_texts(got, n); free(img);
    for (k = 0; k < size; k++) {   /* every truncation fails cleanly */
        img = sdpng_read_mem(png, k, &w, &h, 3, NULL, NULL, &why);
        if (img) { bad++; free(img); }
    }
    ok(!bad, "every truncated prefix is refused");
    for (i = 0, bad = 0; i < 2000; i++) {   /* flipped bytes: refused or decoded, never a crash */
        unsigned char *c = (unsigned char *)malloc(size);
        unsigned s = (unsigned)i * 2654435761u;
        memcpy(c, png, size);
        c[rnd(&s) % size] ^= (unsigned char)(1 + rnd(&s) % 255);
        img = sdpng_read_mem(c, size, &w, &h, 3, &got, &n, &why);
        if (img) { sdpng_free_texts(got, n); free(img); }
        free(c);
    }
    ok(1, "2000 corrupted files read without a crash");
    png[20] = 0x7f;   /* huge width (and a bad CRC) */
    img = sdpng_read_mem(png, size, &w, &h, 3, NULL, NULL, &why);
    ok(!img && why[0], "a damaged header is refused with a reason");
    free(png);
}

int main(void)
{
    round_trip(1, 1, 3, 0);
    round_trip(7, 3, 1, 0);
    round_trip(64, 64, 4, 0);
    round_trip(513, 257, 3, 0);
    round_trip(512, 512, 3, 1);
    gray_depths();
    palette_and_interlace();
    texts_and_corruption();
    printf("%s: %d failure%s\n", failures ? "FAIL" : "ok", failures, failures == 1 ? "" : "s");
    return failures != 0;
}
