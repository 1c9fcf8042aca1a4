/* sd_png.h - a small PNG reader and writer for the sd tool - public domain or MIT (see ../LICENSE)

   Writes 8-bit gray, RGB and RGBA PNGs (LZ77 + fixed-Huffman deflate, per-row filters chosen by
   the minimum sum of absolute differences) with text chunks; reads every PNG (all color types,
   bit depths 1-16, palette, Adam7 interlace, text chunks) into 8-bit pixels. libc only.

     #define SD_PNG_IMPLEMENTATION
     #include "sd_png.h"

   Options: SD_PNG_STATIC (all functions static), SD_PNG_NO_STDIO (no file functions),
   SDPNG_MALLOC / SDPNG_REALLOC / SDPNG_FREE (all three or none).
   Reading to 3 channels drops alpha (no compositing); 16-bit samples keep their high byte.
   Text: tEXt when the UTF-8 text is Latin-1, iTXt otherwise (A1111 keeps its generation
   settings under the key "parameters"); read back as UTF-8 from tEXt, zTXt and iTXt. */

#ifndef SD_PNG_H_INCLUDED
#define SD_PNG_H_INCLUDED
#include <stddef.h>

#ifdef SD_PNG_STATIC
#define SDPNG_DEF static
#else
#define SDPNG_DEF extern
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sdpng_text { char *key; char *text; } sdpng_text;   /* UTF-8 */

/* pixels: w*h*channels bytes (1 gray, 3 RGB, 4 RGBA), rows top to bottom */
SDPNG_DEF unsigned char *sdpng_write_mem(const unsigned char *pixels, int w, int h, int channels,
                                         const sdpng_text *texts, int ntexts, size_t *out_size);
/* returns w*h*want_channels bytes (want_channels 1, 3 or 4), or NULL with a reason in *why;
   texts (optional) gets the text chunks, freed with sdpng_free_texts */
SDPNG_DEF unsigned char *sdpng_read_mem(const void *data, size_t size, int *w, int *h, int want_channels,
                                        sdpng_text **texts, int *ntexts, const char **why);
#ifndef SD_PNG_NO_STDIO
SDPNG_DEF int sdpng_write_file(const char *path, const unsigned char *pixels, int w, int h, int channels,
                               const sdpng_text *texts, int ntexts);   /* 1 on success */
SDPNG_DEF unsigned char *sdpng_read_file(const char *path, int *w, int *h, int want_channels,
                                         sdpng_text **texts, int *ntexts, const char **why);
#endif
SDPNG_DEF void sdpng_free(void *p);
SDPNG_DEF void sdpng_free_texts(sdpng_text *t, int n);

#ifdef __cplusplus
}
#endif
#endif /* SD_PNG_H_INCLUDED */

#ifdef SD_PNG_IMPLEMENTATION
#ifndef SD_PNG_IMPLEMENTATION_DONE
#define SD_PNG_IMPLEMENTATION_DONE

#if defined(SDPNG_MALLOC) && defined(SDPNG_REALLOC) && defined(SDPNG_FREE)
#elif !defined(SDPNG_MALLOC) && !defined(SDPNG_REALLOC) && !defined(SDPNG_FREE)
#include <stdlib.h>
#define SDPNG_MALLOC(n) malloc(n)
#define SDPNG_REALLOC(p, n) realloc(p, n)
#define SDPNG_FREE(p) free(p)
#else
#error "sd_png.h: define all of SDPNG_MALLOC, SDPNG_REALLOC, SDPNG_FREE, or none"
#endif
#include <string.h>
#include <stdint.h>
#ifndef SD_PNG_NO_STDIO
#include <stdio.h>
#endif

#define SDPNG__MAX_PIXELS ((size_t)1 << 28)

/* ---------------------------------------------------------------- checksums */

static uint32_t sdpng__crc(uint32_t crc, const unsigned char *p, size_t n)
{
    size_t i;
    int k;
    crc = ~crc;
    for (i = 0; i < n; i++) {
        crc ^= p[i];
        for (k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static uint32_t sdpng__adler(const unsigned char *p, size_t n)
{
    uint32_t a = 1, b = 0;
    size_t i = 0;
    while (i < n) {
        size_t k = n - i < 5552 ? n - i : 5552;
        for (; k; k--, i++) { a += p[i]; b += a; }
        a %= 65521; b %= 65521;
    }
    return (b << 16) | a;
}

/* ---------------------------------------------------------------- a growing buffer */

typedef struct sdpng__buf { unsigned char *p; size_t n, cap; int bad; uint32_t bits; int nbits; } sdpng__buf;

static void sdpng__put(sdpng__buf *b, const void *d, size_t n)
{
    if (b->bad) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        unsigned char *q;
        while (cap < b->n + n) cap *= 2;
        q = (unsigned char *)SDPNG_REALLOC(b->p, cap);
        if (!q) { b->bad = 1; return; }
        b->p = q; b->cap = cap;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void sdpng__byte(sdpng__buf *b, unsigned v) { unsigned char c = (unsigned char)v; sdpng__put(b, &c, 1); }
static void sdpng__be32(sdpng__buf *b, uint32_t v) { sdpng__byte(b, v >> 24); sdpng__byte(b, (v >> 16) & 255); sdpng__byte(b, (v >> 8) & 255); sdpng__byte(b, v & 255); }

static void sdpng__bits(sdpng__buf *b, uint32_t v, int n)   /* deflate's LSB-first bit order */
{
    b->bits |= v << b->nbits;
    b->nbits += n;
    while (b->nbits >= 8) { sdpng__byte(b, b->bits & 255); b->bits >>= 8; b->nbits -= 8; }
}

/* ---------------------------------------------------------------- deflate (LZ77, fixed Huffman) */

static const unsigned short sdpng__lbase[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const unsigned char sdpng__lext[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const unsigned short sdpng__dbase[30] = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577 };
static const unsigned char sdpng__dext[30] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };

static uint32_t sdpng__rev(uint32_t v, int n) { uint32_t r = 0; while (n--) { r = (r << 1) | (v & 1); v >>= 1; } return r; }

static void sdpng__sym(sdpng__buf *b, int s)   /* a literal/length symbol in the fixed code */
{
    if (s < 144) sdpng__bits(b, sdpng__rev(0x30 + (uint32_t)s, 8), 8);
    else if (s < 256) sdpng__bits(b, sdpng__rev(0x190 + (uint32_t)s - 144, 9), 9);
    else if (s < 280) sdpng__bits(b, sdpng__rev((uint32_t)s - 256, 7), 7);
    else sdpng__bits(b, sdpng__rev(0xC0 + (uint32_t)s - 280, 8), 8);
}

/* zlib stream of d[0..n) into b */
static void sdpng__deflate(sdpng__buf *b, const unsigned char *d, size_t n)
{
    enum { HBITS = 15, WIN = 32768, CHAIN = 48 };
    int *head = (int *)SDPNG_MALLOC(sizeof(int) << HBITS), *prev = (int *)SDPNG_MALLOC(sizeof(int) * WIN);
    size_t i = 0;
    if (!head || !prev) { b->bad = 1; SDPNG_FREE(head); SDPNG_FREE(prev); return; }
    memset(head, 0xff, sizeof(int) << HBITS);
    sdpng__byte(b, 0x78); sdpng__byte(b, 0x5E);
    sdpng__bits(b, 1, 1); sdpng__bits(b, 1, 2);   /* one final block, fixed Huffman */
    while (i < n) {
        int best = 0, dist = 0;
        if (i + 3 <= n) {
            uint32_t h = ((uint32_t)d[i] << 10 ^ (uint32_t)d[i + 1] << 5 ^ d[i + 2]) & ((1u << HBITS) - 1);
            int cand = head[h], chain = CHAIN;
            while (cand >= 0 && i - (size_t)cand <= WIN - 1 && chain--) {
                int len = 0, maxl = (int)(n - i < 258 ? n - i : 258);
                while (len < maxl && d[(size_t)cand + (size_t)len] == d[i + (size_t)len]) len++;
                if (len > best) { best = len; dist = (int)(i - (size_t)cand); if (len == maxl) break; }
                cand = prev[cand % WIN];
                if (cand >= 0 && i - (size_t)cand > WIN - 1) break;
            }
        }
        if (best >= 3) {
            int k, j, c;
            for (k = 28; sdpng__lbase[k] > best; k--) {}
            sdpng__sym(b, 257 + k);
            if (sdpng__lext[k]) sdpng__bits(b, (uint32_t)(best - sdpng__lbase[k]), sdpng__lext[k]);
            for (c = 29; sdpng__dbase[c] > dist; c--) {}
            sdpng__bits(b, sdpng__rev((uint32_t)c, 5), 5);
            if (sdpng__dext[c]) sdpng__bits(b, (uint32_t)(dist - sdpng__dbase[c]), sdpng__dext[c]);
            for (j = 0; j < best; j++, i++)
                if (i + 3 <= n) {
                    uint32_t h = ((uint32_t)d[i] << 10 ^ (uint32_t)d[i + 1] << 5 ^ d[i + 2]) & ((1u << HBITS) - 1);
                    prev[i % WIN] = head[h]; head[h] = (int)i;
                }
        } else {
            if (i + 3 <= n) {
                uint32_t h = ((uint32_t)d[i] << 10 ^ (uint32_t)d[i + 1] << 5 ^ d[i + 2]) & ((1u << HBITS) - 1);
                prev[i % WIN] = head[h]; head[h] = (int)i;
            }
            sdpng__sym(b, d[i++]);
        }
    }
    sdpng__sym(b, 256);
    if (b->nbits) sdpng__bits(b, 0, 8 - b->nbits);
    sdpng__be32(b, sdpng__adler(d, n));
    SDPNG_FREE(head); SDPNG_FREE(prev);
}

/* ---------------------------------------------------------------- inflate */

typedef struct sdpng__in { const unsigned char *p; size_t n, pos; uint32_t bits; int nbits; int bad; } sdpng__in;
typedef struct sdpng__huff { short count[16], sym[320]; } sdpng__huff;

static int sdpng__need(sdpng__in *s, int n)
{
    uint32_t v;
    while (s->nbits < n) {
        if (s->pos >= s->n) { s->bad = 1; return 0; }
        s->bits |= (uint32_t)s->p[s->pos++] << s->nbits;
        s->nbits += 8;
    }
    v = s->bits & ((1u << n) - 1);
    s->bits >>= n; s->nbits -= n;
    return (int)v;
}

static int sdpng__build(sdpng__huff *h, const unsigned char *len, int n)   /* 0 if over-subscribed */
{
    short offs[16];
    int i, left = 1;
    memset(h->count, 0, sizeof h->count);
    for (i = 0; i < n; i++) h->count[len[i]]++;
    h->count[0] = 0;
    for (i = 1; i < 16; i++) { left <<= 1; left -= h->count[i]; if (left < 0) return 0; }
    offs[1] = 0;
    for (i = 1; i < 15; i++) offs[i + 1] = (short)(offs[i] + h->count[i]);
    for (i = 0; i < n; i++) if (len[i]) h->sym[offs[len[i]]++] = (short)i;
    return 1;
}

static int sdpng__decode(sdpng__in *s, const sdpng__huff *h)
{
    int code = 0, first = 0, index = 0, len;
    for (len = 1; len < 16; len++) {
        code |= sdpng__need(s, 1);
        if (s->bad) return -1;
        if (code - h->count[len] < first) return h->sym[index + (code - first)];
        index += h->count[len];
        first += h->count[len];
        first <<= 1; code <<= 1;
    }
    s->bad = 1;
    return -1;
}

/* a zlib stream -> out (grown as needed, at most limit bytes); 0 on a bad stream */
static int sdpng__inflate(const unsigned char *z, size_t zn, sdpng__buf *out, size_t limit)
{
    sdpng__in s;
    int last = 0;
    memset(&s, 0, sizeof s);
    s.p = z; s.n = zn;
    if (zn < 2 || (z[0] & 15) != 8 || ((z[0] << 8) | z[1]) % 31) return 0;
    if (z[1] & 32) return 0;   /* preset dictionary */
    s.pos = 2;
    while (!last) {
        int type;
        last = sdpng__need(&s, 1);
        type = sdpng__need(&s, 2);
        if (s.bad) return 0;
        if (type == 0) {
            unsigned len, nlen;
            s.bits = 0; s.nbits = 0;
            if (s.pos + 4 > s.n) return 0;
            len = s.p[s.pos] | (unsigned)s.p[s.pos + 1] << 8; nlen = s.p[s.pos + 2] | (unsigned)s.p[s.pos + 3] << 8;
            s.pos += 4;
            if ((len ^ 0xFFFFu) != nlen || s.pos + len > s.n || out->n + len > limit) return 0;
            sdpng__put(out, s.p + s.pos, len);
            s.pos += len;
        } else if (type == 1 || type == 2) {
            sdpng__huff lit, dist;
            unsigned char lens[320];
            int i;
            if (type == 1) {
                for (i = 0; i < 288; i++) lens[i] = (unsigned char)(i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8);
                sdpng__build(&lit, lens, 288);
                for (i = 0; i < 30; i++) lens[i] = 5;
                sdpng__build(&dist, lens, 30);
            } else {
                static const unsigned char ord[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 };
                int nlen = sdpng__need(&s, 5) + 257, ndist = sdpng__need(&s, 5) + 1, ncode = sdpng__need(&s, 4) + 4;
                sdpng__huff code;
                if (s.bad || nlen > 286 || ndist > 30) return 0;
                memset(lens, 0, sizeof lens);
                for (i = 0; i < ncode; i++) lens[ord[i]] = (unsigned char)sdpng__need(&s, 3);
                if (s.bad || !sdpng__build(&code, lens, 19)) return 0;
                for (i = 0; i < nlen + ndist;) {
                    int sym = sdpng__decode(&s, &code), rep = 0, val = 0;
                    if (sym < 0) return 0;
                    if (sym < 16) { lens[i++] = (unsigned char)sym; continue; }
                    if (sym == 16) { if (!i) return 0; val = lens[i - 1]; rep = 3 + sdpng__need(&s, 2); }
                    else if (sym == 17) rep = 3 + sdpng__need(&s, 3);
                    else rep = 11 + sdpng__need(&s, 7);
                    if (s.bad || i + rep > nlen + ndist) return 0;
                    while (rep--) lens[i++] = (unsigned char)val;
                }
                if (!lens[256] || !sdpng__build(&lit, lens, nlen) || !sdpng__build(&dist, lens + nlen, ndist)) return 0;
            }
            for (;;) {
                int sym = sdpng__decode(&s, &lit);
                if (sym < 0) return 0;
                if (sym < 256) { if (out->n + 1 > limit) return 0; sdpng__byte(out, (unsigned)sym); }
                else if (sym == 256) break;
                else {
                    int len, d, dsym;
                    size_t from, k;
                    sym -= 257;
                    if (sym >= 29) return 0;
                    len = sdpng__lbase[sym] + sdpng__need(&s, sdpng__lext[sym]);
                    dsym = sdpng__decode(&s, &dist);
                    if (dsym < 0 || dsym >= 30) return 0;
                    d = sdpng__dbase[dsym] + sdpng__need(&s, sdpng__dext[dsym]);
                    if (s.bad || (size_t)d > out->n || out->n + (size_t)len > limit) return 0;
                    from = out->n - (size_t)d;
                    for (k = 0; k < (size_t)len; k++) sdpng__byte(out, out->p[from + k]);
                }
                if (out->bad) return 0;
            }
        } else return 0;
        if (out->bad) return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- writing */

static void sdpng__chunk(sdpng__buf *b, const char *type, const unsigned char *d, size_t n)
{
    uint32_t crc = sdpng__crc(sdpng__crc(0, (const unsigned char *)type, 4), d, n);
    sdpng__be32(b, (uint32_t)n);
    sdpng__put(b, type, 4);
    if (n) sdpng__put(b, d, n);
    sdpng__be32(b, crc);
}

static int sdpng__paeth(int a, int b, int c)
{
    int p = a + b - c, pa = p > a ? p - a : a - p, pb = p > b ? p - b : b - p, pc = p > c ? p - c : c - p;
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

SDPNG_DEF unsigned char *sdpng_write_mem(const unsigned char *px, int w, int h, int ch, const sdpng_text *texts, int ntexts, size_t *out_size)
{
    sdpng__buf b, raw, z;
    unsigned char hdr[13], *line;
    size_t stride = (size_t)w * (size_t)ch, y, x;
    int t;
    *out_size = 0;
    if (w <= 0 || h <= 0 || (ch != 1 && ch != 3 && ch != 4) || (size_t)w * (size_t)h > SDPNG__MAX_PIXELS) return NULL;
    memset(&b, 0, sizeof b); memset(&raw, 0, sizeof raw); memset(&z, 0, sizeof z);
    line = (unsigned char *)SDPNG_MALLOC(stride * 5);
    if (!line) return NULL;
    for (y = 0; y < (size_t)h; y++) {   /* each row with the filter of the smallest sum of |residuals| */
        const unsigned char *cur = px + y * stride, *up = y ? cur - stride : NULL;
        long best = -1;
        int f, bf = 0;
        for (f = 0; f < 5; f++) {
            unsigned char *o = line + (size_t)f * stride;
            long sum = 0;
            for (x = 0; x < stride; x++) {
                int a = x >= (size_t)ch ? cur[x - (size_t)ch] : 0, u = up ? up[x] : 0, c = up && x >= (size_t)ch ? up[x - (size_t)ch] : 0;
                int pred = f == 0 ? 0 : f == 1 ? a : f == 2 ? u : f == 3 ? (a + u) / 2 : sdpng__paeth(a, u, c);
                o[x] = (unsigned char)(cur[x] - pred);
                sum += o[x] < 128 ? o[x] : 256 - o[x];
            }
            if (best < 0 || sum < best) { best = sum; bf = f; }
        }
        sdpng__byte(&raw, (unsigned)bf);
        sdpng__put(&raw, line + (size_t)bf * stride, stride);
    }
    SDPNG_FREE(line);
    if (raw.bad) { SDPNG_FREE(raw.p); return NULL; }
    sdpng__deflate(&z, raw.p, raw.n);
    SDPNG_FREE(raw.p);
    sdpng__put(&b, "\x89PNG\r\n\x1a\n", 8);
    hdr[0] = (unsigned char)(w >> 24); hdr[1] = (unsigned char)(w >> 16); hdr[2] = (unsigned char)(w >> 8); hdr[3] = (unsigned char)w;
    hdr[4] = (unsigned char)(h >> 24); hdr[5] = (unsigned char)(h >> 16); hdr[6] = (unsigned char)(h >> 8); hdr[7] = (unsigned char)h;
    hdr[8] = 8; hdr[9] = (unsigned char)(ch == 1 ? 0 : ch == 3 ? 2 : 6); hdr[10] = hdr[11] = hdr[12] = 0;
    sdpng__chunk(&b, "IHDR", hdr, 13);
    for (t = 0; t < ntexts; t++) {   /* tEXt if the UTF-8 text is Latin-1, iTXt otherwise */
        sdpng__buf c;
        const unsigned char *s = (const unsigned char *)texts[t].text;
        size_t kl = strlen(texts[t].key), i, n = strlen(texts[t].text);
        int latin1 = 1;
        if (kl < 1 || kl > 79) continue;
        for (i = 0; i < n; i++)
            if (s[i] >= 0x80 && !((s[i] == 0xC2 || s[i] == 0xC3) && i + 1 < n && (s[i + 1] & 0xC0) == 0x80)) latin1 = 0;
            else if (s[i] >= 0xC2) i++;
        memset(&c, 0, sizeof c);
        sdpng__put(&c, texts[t].key, kl + 1);
        if (latin1) {
            for (i = 0; i < n; i++)
                if (s[i] < 0x80) sdpng__byte(&c, s[i]);
                else { sdpng__byte(&c, (unsigned)(((s[i] & 3) << 6) | (s[i + 1] & 0x3F))); i++; }
            sdpng__chunk(&b, "tEXt", c.p, c.n);
        } else {
            sdpng__put(&c, "\0\0\0\0", 4);   /* uncompressed, no language, no translated key */
            sdpng__put(&c, s, n);
            sdpng__chunk(&b, "iTXt", c.p, c.n);
        }
        SDPNG_FREE(c.p);
    }
    sdpng__chunk(&b, "IDAT", z.p, z.n);
    sdpng__chunk(&b, "IEND", NULL, 0);
    SDPNG_FREE(z.p);
    if (b.bad || z.bad) { SDPNG_FREE(b.p); return NULL; }
    *out_size = b.n;
    return b.p;
}

/* ---------------------------------------------------------------- reading */

static uint32_t sdpng__rd32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static int sdpng__add_text(sdpng_text **texts, int *n, const char *key, size_t kl, const unsigned char *v, size_t vl, int latin1)
{
    sdpng_text *t;
    size_t i, o = 0;
    char *k, *s;
    if (!texts) return 1;
    t = (sdpng_text *)SDPNG_REALLOC(*texts, sizeof(sdpng_text) * (size_t)(*n + 1));
    if (!t) return 0;
    *texts = t;
    k = (char *)SDPNG_MALLOC(kl + 1);
    s = (char *)SDPNG_MALLOC(vl * 2 + 1);
    if (!k || !s) { SDPNG_FREE(k); SDPNG_FREE(s); return 0; }
    memcpy(k, key, kl); k[kl] = 0;
    for (i = 0; i < vl; i++)
        if (latin1 && v[i] >= 0x80) { s[o++] = (char)(0xC0 | (v[i] >> 6)); s[o++] = (char)(0x80 | (v[i] & 0x3F)); }
        else s[o++] = (char)v[i];
    s[o] = 0;
    t[*n].key = k; t[*n].text = s;
    (*n)++;
    return 1;
}

SDPNG_DEF unsigned char *sdpng_read_mem(const void *data, size_t size, int *pw, int *ph, int want, sdpng_text **texts, int *ntexts, const char **why)
{
    const unsigned char *d = (const unsigned char *)data;
    size_t pos = 8, w = 0, h = 0, npix, bpp, rowb, need = 0, y, x;
    int depth = 0, ctype = 0, interlace = 0, nch = 0, have_hdr = 0, done = 0, pass, nt = 0;
    unsigned char pal[256 * 3], *out = NULL, *prevrow = NULL;
    sdpng__buf idat, raw;
    const char *dummy;
    if (!why) why = &dummy;
    *why = "";
    if (texts) *texts = NULL;
    if (ntexts) *ntexts = 0;
    memset(&idat, 0, sizeof idat); memset(&raw, 0, sizeof raw);
    memset(pal, 0, sizeof pal);
    if (want != 1 && want != 3 && want != 4) { *why = "channels must be 1, 3 or 4"; return NULL; }
    if (size < 8 || memcmp(d, "\x89PNG\r\n\x1a\n", 8) != 0) { *why = "not a PNG file"; return NULL; }
    while (!done) {
        uint32_t len;
        const unsigned char *type, *c;
        if (pos + 12 > size) { *why = "truncated"; goto fail; }
        len = sdpng__rd32(d + pos);
        if (len > size - pos - 12) { *why = "truncated"; goto fail; }
        type = d + pos + 4; c = d + pos + 8;
        if (sdpng__crc(0, type, (size_t)len + 4) != sdpng__rd32(c + len)) { *why = "bad CRC"; goto fail; }
        if (!memcmp(type, "IHDR", 4)) {
            if (len != 13) { *why = "bad IHDR"; goto fail; }
            w = sdpng__rd32(c); h = sdpng__rd32(c + 4); depth = c[8]; ctype = c[9]; interlace = c[12];
            if (!w || !h || w > (1u << 24) || h > (1u << 24) || w * h > SDPNG__MAX_PIXELS) { *why = "image too large"; goto fail; }
            nch = ctype == 0 ? 1 : ctype == 2 ? 3 : ctype == 3 ? 1 : ctype == 4 ? 2 : ctype == 6 ? 4 : 0;
            if (!nch || c[10] || c[11] || interlace > 1 ||
                !(depth == 8 || depth == 16 || ((ctype == 0 || ctype == 3) && (depth == 1 || depth == 2 || depth == 4))) ||
                (ctype == 3 && depth == 16)) { *why = "unsupported bit depth or color type"; goto fail; }
            have_hdr = 1;
        } else if (!have_hdr) { *why = "no IHDR first"; goto fail; }
        else if (!memcmp(type, "PLTE", 4)) {
            if (len % 3 || len > 768) { *why = "bad palette"; goto fail; }
            memcpy(pal, c, len);
        } else if (!memcmp(type, "IDAT", 4)) {
            sdpng__put(&idat, c, len);
            if (idat.bad) { *why = "out of memory"; goto fail; }
        } else if (!memcmp(type, "IEND", 4)) done = 1;
        else if (!memcmp(type, "tEXt", 4) || !memcmp(type, "zTXt", 4) || !memcmp(type, "iTXt", 4)) {
            const unsigned char *z = (const unsigned char *)memchr(c, 0, len);
            size_t kl = z ? (size_t)(z - c) : 0, at = kl + 1;
            int compressed = type[0] == 'z', latin1 = type[0] != 'i';
            if (z && kl >= 1 && kl <= 79 && texts) {
                if (type[0] == 'z') at++;   /* compression method */
                else if (type[0] == 'i') {
                    const unsigned char *e;
                    if (at + 2 > len) goto next;
                    compressed = c[at];
                    at += 2;
                    if (!(e = (const unsigned char *)memchr(c + at, 0, len - at))) goto next;   /* language */
                    at = (size_t)(e - c) + 1;
                    if (at > len || !(e = (const unsigned char *)memchr(c + at, 0, len - at))) goto next;   /* translated key */
                    at = (size_t)(e - c) + 1;
                }
                if (at > len) goto next;
                if (compressed) {
                    sdpng__buf tb;
                    memset(&tb, 0, sizeof tb);
                    if (sdpng__inflate(c + at, len - at, &tb, (size_t)1 << 24) && !sdpng__add_text(texts, &nt, (const char *)c, kl, tb.p, tb.n, latin1)) {
                        SDPNG_FREE(tb.p); *why = "out of memory"; goto fail;
                    }
                    SDPNG_FREE(tb.p);
                } else if (!sdpng__add_text(texts, &nt, (const char *)c, kl, c + at, len - at, latin1)) { *why = "out of memory"; goto fail; }
            }
        }
    next:
        pos += (size_t)len + 12;
    }
    if (!have_hdr || !idat.n) { *why = "no image data"; goto fail; }
    bpp = ((size_t)nch * (size_t)depth + 7) / 8;
    for (pass = 0; pass < (interlace ? 7 : 1); pass++) {   /* the raw size of every pass */
        static const int x0[7] = { 0, 4, 0, 2, 0, 1, 0 }, y0[7] = { 0, 0, 4, 0, 2, 0, 1 }, dx[7] = { 8, 8, 4, 4, 2, 2, 1 }, dy[7] = { 8, 8, 8, 4, 4, 2, 2 };
        size_t pw = interlace ? (w + (size_t)dx[pass] - 1 - (size_t)x0[pass]) / (size_t)dx[pass] : w;
        size_t ph2 = interlace ? (h + (size_t)dy[pass] - 1 - (size_t)y0[pass]) / (size_t)dy[pass] : h;
        if (w <= (size_t)x0[pass] && interlace) pw = 0;
        if (h <= (size_t)y0[pass] && interlace) ph2 = 0;
        if (pw && ph2) need += ph2 * (1 + (pw * (size_t)nch * (size_t)depth + 7) / 8);
    }
    if (!sdpng__inflate(idat.p, idat.n, &raw, need) || raw.n != need) { *why = raw.bad ? "out of memory" : "bad zlib data"; goto fail; }
    SDPNG_FREE(idat.p); idat.p = NULL;
    npix = w * h;
    out = (unsigned char *)SDPNG_MALLOC(npix * (size_t)want);
    prevrow = (unsigned char *)SDPNG_MALLOC(((w * (size_t)nch * (size_t)depth + 7) / 8) + 1);
    if (!out || !prevrow) { *why = "out of memory"; goto fail; }
    {
        size_t at = 0;
        for (pass = 0; pass < (interlace ? 7 : 1); pass++) {
            static const int x0[7] = { 0, 4, 0, 2, 0, 1, 0 }, y0[7] = { 0, 0, 4, 0, 2, 0, 1 }, dx[7] = { 8, 8, 4, 4, 2, 2, 1 }, dy[7] = { 8, 8, 8, 4, 4, 2, 2 };
            size_t X0 = interlace ? (size_t)x0[pass] : 0, Y0 = interlace ? (size_t)y0[pass] : 0, DX = interlace ? (size_t)dx[pass] : 1, DY = interlace ? (size_t)dy[pass] : 1;
            size_t pw = w > X0 ? (w - X0 + DX - 1) / DX : 0, ph2 = h > Y0 ? (h - Y0 + DY - 1) / DY : 0;
            if (!pw || !ph2) continue;
            rowb = (pw * (size_t)nch * (size_t)depth + 7) / 8;
            memset(prevrow, 0, rowb);
            for (y = 0; y < ph2; y++) {
                unsigned char *r = raw.p + at + 1;
                int f = raw.p[at];
                if (f > 4) { *why = "bad filter"; goto fail; }
                for (x = 0; x < rowb; x++) {   /* unfilter in place */
                    int a = x >= bpp ? r[x - bpp] : 0, u = prevrow[x], cc = x >= bpp ? prevrow[x - bpp] : 0;
                    int pred = f == 0 ? 0 : f == 1 ? a : f == 2 ? u : f == 3 ? (a + u) / 2 : sdpng__paeth(a, u, cc);
                    r[x] = (unsigned char)(r[x] + pred);
                }
                memcpy(prevrow, r, rowb);
                for (x = 0; x < pw; x++) {   /* samples -> 8-bit gray/RGB/RGBA */
                    unsigned v[4] = { 0, 0, 0, 255 }, k;
                    unsigned char *o = out + ((Y0 + y * DY) * w + X0 + x * DX) * (size_t)want;
                    for (k = 0; k < (unsigned)nch; k++) {
                        if (depth == 8) v[k] = r[x * (size_t)nch + k];
                        else if (depth == 16) v[k] = r[(x * (size_t)nch + k) * 2];
                        else {
                            size_t bit = x * (size_t)depth;
                            unsigned s = (r[bit / 8] >> (8 - depth - (int)(bit % 8))) & ((1u << depth) - 1);
                            v[k] = ctype == 3 ? s : s * 255 / ((1u << depth) - 1);
                        }
                    }
                    if (ctype == 3) { unsigned i = v[0]; v[0] = pal[3 * i]; v[1] = pal[3 * i + 1]; v[2] = pal[3 * i + 2]; }
                    else if (ctype == 0) v[1] = v[2] = v[0];
                    else if (ctype == 4) { v[3] = v[1]; v[1] = v[2] = v[0]; }
                    if (want == 1) o[0] = (unsigned char)((v[0] * 77 + v[1] * 150 + v[2] * 29) >> 8);
                    else for (k = 0; k < (unsigned)want; k++) o[k] = (unsigned char)v[k];
                }
                at += rowb + 1;
            }
        }
    }
    SDPNG_FREE(raw.p); SDPNG_FREE(prevrow);
    *pw = (int)w; *ph = (int)h;
    if (ntexts) *ntexts = nt;
    return out;
fail:
    SDPNG_FREE(idat.p); SDPNG_FREE(raw.p); SDPNG_FREE(out); SDPNG_FREE(prevrow);
    if (texts) { sdpng_free_texts(*texts, nt); *texts = NULL; }
    return NULL;
}

SDPNG_DEF void sdpng_free(void *p) { SDPNG_FREE(p); }

SDPNG_DEF void sdpng_free_texts(sdpng_text *t, int n)
{
    int i;
    if (!t) return;
    for (i = 0; i < n; i++) { SDPNG_FREE(t[i].key); SDPNG_FREE(t[i].text); }
    SDPNG_FREE(t);
}

#ifndef SD_PNG_NO_STDIO
SDPNG_DEF int sdpng_write_file(const char *path, const unsigned char *px, int w, int h, int ch, const sdpng_text *texts, int ntexts)
{
    size_t n;
    unsigned char *p = sdpng_write_mem(px, w, h, ch, texts, ntexts, &n);
    FILE *f;
    int ok;
    if (!p) return 0;
    f = fopen(path, "wb");
    ok = f && fwrite(p, 1, n, f) == n;
    if (f && fclose(f) != 0) ok = 0;
    SDPNG_FREE(p);
    return ok;
}

SDPNG_DEF unsigned char *sdpng_read_file(const char *path, int *w, int *h, int want, sdpng_text **texts, int *ntexts, const char **why)
{
    FILE *f = fopen(path, "rb");
    long n;
    unsigned char *d, *img;
    if (!f) { if (why) *why = "cannot open the file"; return NULL; }
    if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) { fclose(f); if (why) *why = "cannot read the file"; return NULL; }
    d = (unsigned char *)SDPNG_MALLOC((size_t)n + 1);
    if (!d || (n && fread(d, 1, (size_t)n, f) != (size_t)n)) { fclose(f); SDPNG_FREE(d); if (why) *why = "cannot read the file"; return NULL; }
    fclose(f);
    img = sdpng_read_mem(d, (size_t)n, w, h, want, texts, ntexts, why);
    SDPNG_FREE(d);
    return img;
}
#endif

#endif /* SD_PNG_IMPLEMENTATION_DONE */
#endif /* SD_PNG_IMPLEMENTATION */
