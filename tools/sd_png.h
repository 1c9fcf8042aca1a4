/* sd_png.h - v0.2 - a small PNG reader and writer for the sd tool - public domain or MIT (see ../LICENSE)

   One stb-style header, libc only (its own CRC-32, Adler-32, deflate and inflate; no zlib).

     #define SD_PNG_IMPLEMENTATION
     #include "sd_png.h"

   Do this in ONE C or C++ file; every other file includes "sd_png.h" without the define.

   WRITING
     8-bit gray (1 channel), gray+alpha (2), RGB (3) or RGBA (4) pixels, rows top to bottom,
     no padding. Each row gets the filter with the smallest sum of |residuals| (as libpng
     chooses); the data is deflated with LZ77 (hash chains, lazy matching, about zlib level
     5's effort), and each block coded the smallest of four ways: dynamic Huffman over the
     LZ77 output, dynamic Huffman over the bytes alone (better on noise, where short matches
     cost more than they save), fixed Huffman, stored. On photo-like images the result is
     within a few percent of zlib -6 when smooth and 10-15% smaller when noisy.
     Text: each (key, text) pair becomes a tEXt chunk when the UTF-8 text is Latin-1
     representable, an uncompressed iTXt chunk otherwise (A1111 keeps its generation
     settings under the key "parameters"). Keys: 1-79 printable ASCII characters, no
     leading, trailing or double spaces; a bad key fails the write.

   READING
     Every standard PNG: gray, gray+alpha, RGB, RGBA, palette; bit depths 1, 2, 4, 8, 16;
     Adam7 interlace; all five filters. The result has the channel count the caller asks
     for (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA): 16-bit samples keep their high byte, lower
     depths are scaled to 0..255, gray is made RGB by copying, RGB made gray as
     (77 R + 150 G + 29 B) >> 8. Alpha is DROPPED when it is not asked for (no compositing);
     an image without alpha read as 2 or 4 channels gets 255. tRNS and gamma are ignored.
     Text chunks come back as UTF-8 (tEXt and zTXt converted from Latin-1, iTXt compressed
     or not); a malformed or undecodable text chunk is skipped, not an error.
     Strict about everything else: every CRC is checked, the zlib stream (header, Huffman
     codes, distances, Adler-32, length) must be exact, an unknown critical chunk fails.
     Never reads outside the input; memory is bounded by the pixel limit (the raw data
     buffer grows with the data actually decompressed, not with the header's claim).

   ERRORS
     Functions that fail return NULL (or 0) and, where there is a `why`, set *why to a
     short static string: "not a PNG file", "truncated", "bad CRC in IDAT" (IHDR, PLTE,
     IEND, tEXt, ...), "first chunk is not IHDR", "bad IHDR", "unsupported bit depth",
     "unsupported color type", "unsupported interlace method", "image too large",
     "missing PLTE", "no image data", "bad zlib header", "bad deflate data",
     "truncated zlib data", "zlib checksum mismatch", "too much image data",
     "not enough image data", "bad filter type", "unknown critical chunk", "out of memory",
     "cannot open the file", ... After "image too large" (and any error after the IHDR)
     *w and *h hold the header's size, so a caller can print "image too large: W x H".

   OPTIONS (define before the implementation)
     SD_PNG_STATIC                  all functions static (private to one translation unit)
     SD_PNG_NO_STDIO                memory functions only (no FILE*, no paths)
     SDPNG_MALLOC(n), SDPNG_REALLOC(p, n), SDPNG_FREE(p)    the allocator: all three or none
     SDPNG_DEFAULT_MAX_PIXELS       the pixel limit of sdpng_read_mem/_file (default 1 << 28)

   No global mutable state, no printing, no exit(); every function is safe to call from
   several threads at once on different data. */

#ifndef SD_PNG_H_INCLUDED
#define SD_PNG_H_INCLUDED
#include <stddef.h>
#ifndef SD_PNG_NO_STDIO
#include <stdio.h>
#endif

#ifdef SD_PNG_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define SDPNG_DEF static __attribute__((unused))   /* a program need not use every function */
#else
#define SDPNG_DEF static
#endif
#else
#define SDPNG_DEF extern
#endif

#ifndef SDPNG_DEFAULT_MAX_PIXELS
#define SDPNG_DEFAULT_MAX_PIXELS ((size_t)1 << 28)
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sdpng_text { char *key; char *text; } sdpng_text;   /* both UTF-8, NUL-terminated */

/* Encodes w x h pixels of `channels` (1, 2, 3, 4) bytes each, plus ntexts text chunks (texts may be
   NULL when ntexts is 0). Returns a buffer to free with sdpng_free and its size in *out_size, or
   NULL (bad arguments, a bad key, out of memory). */
SDPNG_DEF unsigned char *sdpng_write_mem(const unsigned char *pixels, int w, int h, int channels,
                                         const sdpng_text *texts, int ntexts, size_t *out_size);

/* Decodes a PNG to w*h*want_channels bytes (want_channels 1, 2, 3, 4), to free with sdpng_free;
   NULL on failure with the reason in *why (why may be NULL). texts/ntexts (both NULL, or both
   set) receive the text chunks in file order, to free with sdpng_free_texts (nothing to free on
   failure). The _ex form takes the largest w*h accepted (0: SDPNG_DEFAULT_MAX_PIXELS). */
SDPNG_DEF unsigned char *sdpng_read_mem(const void *data, size_t size, int *w, int *h, int want_channels,
                                        sdpng_text **texts, int *ntexts, const char **why);
SDPNG_DEF unsigned char *sdpng_read_mem_ex(const void *data, size_t size, size_t max_pixels, int *w, int *h,
                                           int want_channels, sdpng_text **texts, int *ntexts, const char **why);

#ifndef SD_PNG_NO_STDIO
/* 1 on success, 0 on failure (sdpng_write_file creates no file when encoding fails) */
SDPNG_DEF int sdpng_write_fp(FILE *f, const unsigned char *pixels, int w, int h, int channels,
                             const sdpng_text *texts, int ntexts);
SDPNG_DEF int sdpng_write_file(const char *path, const unsigned char *pixels, int w, int h, int channels,
                               const sdpng_text *texts, int ntexts);
/* sdpng_read_mem on the whole file (any size, pipes included) */
SDPNG_DEF unsigned char *sdpng_read_file(const char *path, int *w, int *h, int want_channels,
                                         sdpng_text **texts, int *ntexts, const char **why);
#endif

SDPNG_DEF void sdpng_free(void *p);
SDPNG_DEF void sdpng_free_texts(sdpng_text *texts, int n);

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

/* ================================================================ checksums */

static uint32_t sdpng__crc(uint32_t crc, const unsigned char *p, size_t n)   /* CRC-32, 4 bits at a time */
{
    static const uint32_t t[16] = { 0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
                                    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
                                    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu };
    crc = ~crc;
    while (n--) { crc ^= *p++; crc = (crc >> 4) ^ t[crc & 15]; crc = (crc >> 4) ^ t[crc & 15]; }
    return ~crc;
}

static uint32_t sdpng__adler(const unsigned char *p, size_t n)
{
    uint32_t a = 1, b = 0;
    while (n) {
        size_t k = n < 5552 ? n : 5552;   /* the most bytes before b can overflow */
        n -= k;
        while (k--) { a += *p++; b += a; }
        a %= 65521; b %= 65521;
    }
    return (b << 16) | a;
}

/* ================================================================ a growing output buffer with a bit writer */

typedef struct sdpng__buf { unsigned char *p; size_t n, cap; int bad; uint32_t bits; int nbits; } sdpng__buf;

static int sdpng__grow(sdpng__buf *b, size_t extra)   /* room for `extra` more bytes */
{
    size_t cap;
    unsigned char *q;
    if (b->bad) return 0;
    if (extra <= b->cap - b->n) return 1;
    if (extra > ((size_t)-1) / 4 - b->n) { b->bad = 1; return 0; }
    for (cap = b->cap ? b->cap : 256; cap - b->n < extra;) cap *= 2;
    if (!(q = (unsigned char *)SDPNG_REALLOC(b->p, cap))) { b->bad = 1; return 0; }
    b->p = q; b->cap = cap;
    return 1;
}

static void sdpng__put(sdpng__buf *b, const void *d, size_t n) { if (n && sdpng__grow(b, n)) { memcpy(b->p + b->n, d, n); b->n += n; } }
static void sdpng__byte(sdpng__buf *b, unsigned v) { if (b->n < b->cap || sdpng__grow(b, 1)) b->p[b->n++] = (unsigned char)v; }
static void sdpng__be32(sdpng__buf *b, uint32_t v) { sdpng__byte(b, v >> 24); sdpng__byte(b, (v >> 16) & 255); sdpng__byte(b, (v >> 8) & 255); sdpng__byte(b, v & 255); }

static void sdpng__bits(sdpng__buf *b, uint32_t v, int n)   /* n <= 16 bits, deflate's LSB-first order */
{
    b->bits |= v << b->nbits;
    b->nbits += n;
    while (b->nbits >= 8) { sdpng__byte(b, b->bits & 255); b->bits >>= 8; b->nbits -= 8; }
}

static void sdpng__align(sdpng__buf *b) { if (b->nbits) sdpng__bits(b, 0, 8 - b->nbits); }

/* ================================================================ deflate tables, canonical Huffman codes */

static const unsigned short sdpng__lbase[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const unsigned char sdpng__lext[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const unsigned short sdpng__dbase[30] = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577 };
static const unsigned char sdpng__dext[30] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };
static const unsigned char sdpng__clorder[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 };

static uint32_t sdpng__rev(uint32_t v, int n) { uint32_t r = 0; while (n--) { r = (r << 1) | (v & 1); v >>= 1; } return r; }
static int sdpng__lcode(unsigned len) { int k = 28; while (sdpng__lbase[k] > len) k--; return k; }
static int sdpng__dcode(unsigned dist) { int k = 29; while (sdpng__dbase[k] > dist) k--; return k; }

static void sdpng__fixed(unsigned char *ll, unsigned char *dl)   /* the fixed code's lengths */
{
    int i;
    for (i = 0; i < 288; i++) ll[i] = (unsigned char)(i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8);
    for (i = 0; i < 30; i++) dl[i] = 5;
}

/* canonical codes for the lengths, bit-reversed for the LSB-first writer */
static void sdpng__codes(const unsigned char *len, int n, uint16_t *code)
{
    int cnt[16] = { 0 }, next[16], i, c = 0;
    for (i = 0; i < n; i++) cnt[len[i]]++;
    cnt[0] = 0;
    for (i = 1; i < 16; i++) next[i] = c = (c + cnt[i - 1]) << 1;
    for (i = 0; i < n; i++) code[i] = (uint16_t)(len[i] ? sdpng__rev((uint32_t)next[len[i]]++, len[i]) : 0);
}

/* Huffman code lengths of at most `lim` bits for freq[0..n) (n <= 288); frequencies are halved
   until the longest code fits. Leaves are sorted, then merged with the two-queue method. */
static void sdpng__lengths(const uint32_t *freq, int n, int lim, unsigned char *len)
{
    uint32_t f[288], w[576];
    int sym[288], up[576], dep[576], m, i, j, k;
    for (i = 0; i < n; i++) f[i] = freq[i];
    for (;;) {
        for (m = 0, i = 0; i < n; i++)
            if (f[i]) { for (j = m++; j > 0 && f[sym[j - 1]] > f[i]; j--) sym[j] = sym[j - 1]; sym[j] = i; }
        memset(len, 0, (size_t)n);
        if (m < 2) { if (m) len[sym[0]] = 1; return; }
        for (i = 0; i < m; i++) w[i] = f[sym[i]];
        for (i = 0, j = m, k = m; k < 2 * m - 1; k++) {   /* leaves i.., merged nodes j..k */
            int x = i < m && (j >= k || w[i] <= w[j]) ? i++ : j++;
            int y = i < m && (j >= k || w[i] <= w[j]) ? i++ : j++;
            w[k] = w[x] + w[y]; up[x] = up[y] = k;
        }
        dep[2 * m - 2] = 0;
        for (k = 2 * m - 3, j = 0; k >= 0; k--) { dep[k] = dep[up[k]] + 1; if (k < m && dep[k] > j) j = dep[k]; }
        if (j <= lim) { for (i = 0; i < m; i++) len[sym[i]] = (unsigned char)dep[i]; return; }
        for (i = 0; i < n; i++) if (f[i]) f[i] = (f[i] >> 1) | 1;
    }
}

static void sdpng__two(uint32_t *f, int n)   /* at least two codes: a complete code every inflater takes */
{
    int i, used = 0;
    for (i = 0; i < n; i++) used += f[i] != 0;
    for (i = 0; used < 2; i++) if (!f[i]) { f[i] = 1; used++; }
}

/* ================================================================ deflate: blocks */

/* LZ77 items: a literal is its byte (dist 0), a match is (dist << 9) | length. With it NULL, the
   bytes raw[0..n) are all coded as literals. */
static void sdpng__emit(sdpng__buf *b, uint32_t *it, const unsigned char *raw, size_t n, const unsigned char *ll, const unsigned char *dl)
{
    uint16_t lc[288], dc[30];
    size_t i;
    sdpng__codes(ll, 288, lc);
    sdpng__codes(dl, 30, dc);
    for (i = 0; i < n; i++) {
        unsigned x = it ? it[i] & 511 : raw[i], d = it ? it[i] >> 9 : 0;
        int k, c;
        if (!d) { sdpng__bits(b, lc[x], ll[x]); continue; }
        k = sdpng__lcode(x); c = sdpng__dcode(d);
        sdpng__bits(b, lc[257 + k], ll[257 + k]);
        if (sdpng__lext[k]) sdpng__bits(b, x - sdpng__lbase[k], sdpng__lext[k]);
        sdpng__bits(b, dc[c], dl[c]);
        if (sdpng__dext[c]) sdpng__bits(b, d - sdpng__dbase[c], sdpng__dext[c]);
    }
    sdpng__bits(b, lc[256], ll[256]);
}

/* a dynamic Huffman block for the symbol counts lf, df: code lengths, the run-length coded
   lengths (symbols rs with extra bits rx), and the size in bits */
typedef struct sdpng__plan {
    uint32_t lf[288], df[30];
    unsigned char ll[288], dl[30], cl[19], rs[316], rx[316];
    int hlit, hdist, hclen, nr;
    size_t bits;
} sdpng__plan;

static void sdpng__dynamic(sdpng__plan *p)
{
    uint32_t cf[19] = { 0 };
    unsigned char lens[316];
    size_t i;
    int tot;
    p->lf[256] = 1;
    sdpng__two(p->lf, 286); sdpng__two(p->df, 30);
    memset(p->ll, 0, sizeof p->ll);
    sdpng__lengths(p->lf, 286, 15, p->ll); sdpng__lengths(p->df, 30, 15, p->dl);
    for (p->hlit = 286; !p->ll[p->hlit - 1]; p->hlit--) {}
    for (p->hdist = 30; !p->dl[p->hdist - 1]; p->hdist--) {}
    memcpy(lens, p->ll, (size_t)p->hlit); memcpy(lens + p->hlit, p->dl, (size_t)p->hdist);
    for (p->nr = 0, tot = p->hlit + p->hdist, i = 0; i < (size_t)tot;) {   /* runs: 16 repeats, 17 and 18 zeros */
        int v = lens[i], r = 1, t, n = p->nr;
        while (i + (size_t)r < (size_t)tot && lens[i + (size_t)r] == v) r++;
        if (!v && r >= 3) { t = r > 138 ? 138 : r; p->rs[n] = (unsigned char)(t >= 11 ? 18 : 17); p->rx[n] = (unsigned char)(t - (t >= 11 ? 11 : 3)); }
        else if (v && i && lens[i - 1] == v && r >= 3) { t = r > 6 ? 6 : r; p->rs[n] = 16; p->rx[n] = (unsigned char)(t - 3); }
        else { t = 1; p->rs[n] = (unsigned char)v; p->rx[n] = 0; }
        cf[p->rs[n]]++;
        p->nr++;
        i += (size_t)t;
    }
    sdpng__two(cf, 19);
    sdpng__lengths(cf, 19, 7, p->cl);
    for (p->hclen = 19; p->hclen > 4 && !p->cl[sdpng__clorder[p->hclen - 1]]; p->hclen--) {}
    p->bits = 17 + 3 * (size_t)p->hclen;
    for (i = 0; i < (size_t)p->nr; i++) p->bits += p->cl[p->rs[i]] + (p->rs[i] == 16 ? 2u : p->rs[i] == 17 ? 3u : p->rs[i] == 18 ? 7u : 0u);
    for (i = 0; i < 286; i++) p->bits += p->lf[i] * (p->ll[i] + (i > 256 ? sdpng__lext[i - 257] : 0u));
    for (i = 0; i < 30; i++) p->bits += p->df[i] * (p->dl[i] + sdpng__dext[i]);
}

/* one block covering raw[0..rawn), as the smallest of: the LZ77 items with a dynamic code, the
   bytes as literals with a dynamic code (better on noise, where short matches cost more than
   they save), the items with the fixed code, stored */
static void sdpng__block(sdpng__buf *b, uint32_t *it, size_t nit, const unsigned char *raw, size_t rawn, int last)
{
    sdpng__plan lz, lit, *p;
    unsigned char fl[288], fd[30];
    size_t i, fix = 10, stored = (rawn + 5 * (rawn / 65535 + 1)) * 8 + 10;
    memset(lz.lf, 0, sizeof lz.lf); memset(lz.df, 0, sizeof lz.df);
    memset(lit.lf, 0, sizeof lit.lf); memset(lit.df, 0, sizeof lit.df);
    sdpng__fixed(fl, fd);
    for (i = 0; i < nit; i++)
        if (it[i] >> 9) {
            int k = sdpng__lcode(it[i] & 511), c = sdpng__dcode(it[i] >> 9);
            lz.lf[257 + k]++; lz.df[c]++;
            fix += fl[257 + k] + sdpng__lext[k] + 5u + sdpng__dext[c];
        } else { lz.lf[it[i]]++; fix += fl[it[i]]; }
    for (i = 0; i < rawn; i++) lit.lf[raw[i]]++;
    sdpng__dynamic(&lz); sdpng__dynamic(&lit);
    p = lit.bits < lz.bits ? &lit : &lz;
    if (stored < p->bits && stored < fix) {
        size_t at = 0;
        do {
            size_t n = rawn - at < 65535 ? rawn - at : 65535;
            sdpng__bits(b, last && at + n == rawn, 1); sdpng__bits(b, 0, 2); sdpng__align(b);
            sdpng__bits(b, (uint32_t)n, 16); sdpng__bits(b, (uint32_t)n ^ 0xFFFFu, 16);
            sdpng__put(b, raw + at, n);
            at += n;
        } while (at < rawn);
    } else if (fix <= p->bits) {
        sdpng__bits(b, (uint32_t)last | 2u, 3);
        sdpng__emit(b, it, raw, nit, fl, fd);
    } else {
        uint16_t cc[19];
        sdpng__bits(b, (uint32_t)last | 4u, 3);
        sdpng__bits(b, (uint32_t)p->hlit - 257, 5); sdpng__bits(b, (uint32_t)p->hdist - 1, 5); sdpng__bits(b, (uint32_t)p->hclen - 4, 4);
        for (i = 0; i < (size_t)p->hclen; i++) sdpng__bits(b, p->cl[sdpng__clorder[i]], 3);
        sdpng__codes(p->cl, 19, cc);
        for (i = 0; i < (size_t)p->nr; i++) {
            sdpng__bits(b, cc[p->rs[i]], p->cl[p->rs[i]]);
            if (p->rs[i] >= 16) sdpng__bits(b, p->rx[i], p->rs[i] == 16 ? 2 : p->rs[i] == 17 ? 3 : 7);
        }
        if (p == &lit) sdpng__emit(b, NULL, raw, rawn, p->ll, p->dl);
        else sdpng__emit(b, it, raw, nit, p->ll, p->dl);
    }
}

/* ================================================================ deflate: LZ77 with hash chains and lazy matching */

#define SDPNG__WIN 32768u     /* window; positions are kept as pos + 1 (0: none) */
#define SDPNG__HBITS 15
#define SDPNG__BLOCK 16384u   /* items per block */
#define SDPNG__CHAIN 16      /* candidates tried per position (a quarter once a match of GOOD is in hand) */
#define SDPNG__GOOD 4
#define SDPNG__NICE 32       /* a match this long ends the search */
#define SDPNG__LAZY 8        /* no search for a better match at the next byte past this length */
#define SDPNG__HASH(p) ((((uint32_t)d[p] | (uint32_t)d[(p) + 1] << 8 | (uint32_t)d[(p) + 2] << 16) * 2654435761u) >> (32 - SDPNG__HBITS))

/* the longest match at i longer than `best` (0 if none), chain steps at most */
static unsigned sdpng__find(const unsigned char *d, size_t i, size_t n, const uint32_t *prev, uint32_t cand, unsigned best, int chain, unsigned *dist)
{
    size_t maxl = n - i < 258 ? n - i : 258;
    unsigned found = 0;
    if (best < 2) best = 2;
    if (best >= maxl) return 0;
    for (; cand && chain-- > 0; cand = prev[(cand - 1) & (SDPNG__WIN - 1)]) {
        size_t p = cand - 1, l = 0;
        if (i - p >= SDPNG__WIN) break;
        if (d[p + best] != d[i + best]) continue;
        while (l < maxl && d[p + l] == d[i + l]) l++;
        if (l > best) { best = (unsigned)l; found = best; *dist = (unsigned)(i - p); if (l >= SDPNG__NICE || l == maxl) break; }
    }
    return found;
}

static void sdpng__deflate(sdpng__buf *b, const unsigned char *d, size_t n)   /* a zlib stream of d[0..n), n < 2^31 */
{
    uint32_t *head = (uint32_t *)SDPNG_MALLOC(sizeof(uint32_t) << SDPNG__HBITS), *prev = (uint32_t *)SDPNG_MALLOC(sizeof(uint32_t) * SDPNG__WIN);
    uint32_t *it = (uint32_t *)SDPNG_MALLOC(sizeof(uint32_t) * SDPNG__BLOCK);
    size_t i = 0, nit = 0, start = 0, cov = 0;   /* the pending block covers d[start..cov) */
    unsigned plen = 0, pdist = 0;
    int have = 0;   /* a literal at i - 1 waits for the lazy decision */
    if (!head || !prev || !it) { b->bad = 1; goto done; }
    memset(head, 0, sizeof(uint32_t) << SDPNG__HBITS);
    sdpng__byte(b, 0x78); sdpng__byte(b, 0x9C);
    while (i < n) {
        unsigned len = 0, dist = 0;
        if (i + 3 <= n) {
            uint32_t h = SDPNG__HASH(i);
            prev[i & (SDPNG__WIN - 1)] = head[h];
            if (plen < SDPNG__LAZY) len = sdpng__find(d, i, n, prev, head[h], plen, plen >= SDPNG__GOOD ? SDPNG__CHAIN / 4 : SDPNG__CHAIN, &dist);
            head[h] = (uint32_t)i + 1;
            if (len == 3 && dist > 4096) len = 0;   /* a far 3-byte match costs more than literals */
        }
        if (plen >= 3 && len <= plen) {   /* the match at i - 1 wins: emit it, hash what it covers */
            size_t end = i - 1 + plen;
            it[nit++] = pdist << 9 | plen; cov += plen;
            for (i++; i < end; i++)
                if (i + 3 <= n) { uint32_t h = SDPNG__HASH(i); prev[i & (SDPNG__WIN - 1)] = head[h]; head[h] = (uint32_t)i + 1; }
            have = 0; plen = 0;
        } else {
            if (have) { it[nit++] = d[i - 1]; cov++; }
            have = 1; plen = len; pdist = dist; i++;
        }
        if (nit >= SDPNG__BLOCK - 2) { sdpng__block(b, it, nit, d + start, cov - start, 0); nit = 0; start = cov; }
    }
    if (have) { it[nit++] = d[n - 1]; cov++; }
    sdpng__block(b, it, nit, d + start, cov - start, 1);
    sdpng__align(b);
    sdpng__be32(b, sdpng__adler(d, n));
done:
    SDPNG_FREE(head); SDPNG_FREE(prev); SDPNG_FREE(it);
}

/* ================================================================ inflate */

typedef struct sdpng__huff { uint16_t fast[512], count[16], sym[288]; } sdpng__huff;   /* fast: len << 9 | sym for codes <= 9 bits */
typedef struct sdpng__z {
    const unsigned char *p, *end;
    uint32_t bits; int nbits, over;   /* over: zero bytes fed past the end (an error once consumed) */
    unsigned char *o; size_t n, cap, limit; int oom;
} sdpng__z;

static void sdpng__fill(sdpng__z *s)
{
    while (s->nbits <= 24) {
        if (s->p < s->end) s->bits |= (uint32_t)*s->p++ << s->nbits;
        else s->over++;
        s->nbits += 8;
    }
}

static uint32_t sdpng__get(sdpng__z *s, int n)
{
    uint32_t v;
    sdpng__fill(s);
    v = s->bits & ((1u << n) - 1);
    s->bits >>= n; s->nbits -= n;
    return v;
}

static int sdpng__build(sdpng__huff *h, const unsigned char *len, int n)   /* 0 if over-subscribed */
{
    int i, left = 1, offs[16], next[16], c = 0;
    memset(h, 0, sizeof *h);
    for (i = 0; i < n; i++) h->count[len[i]]++;
    h->count[0] = 0;
    for (i = 1; i < 16; i++) { left = (left << 1) - h->count[i]; if (left < 0) return 0; }
    for (offs[1] = 0, i = 1; i < 15; i++) offs[i + 1] = offs[i] + h->count[i];
    for (i = 1; i < 16; i++) next[i] = c = (c + h->count[i - 1]) << 1;
    for (i = 0; i < n; i++) {
        int l = len[i], r;
        if (!l) continue;
        h->sym[offs[l]++] = (uint16_t)i;
        if (l <= 9) for (r = (int)sdpng__rev((uint32_t)next[l], l); r < 512; r += 1 << l) h->fast[r] = (uint16_t)(l << 9 | i);
        next[l]++;
    }
    return 1;
}

static int sdpng__decode(sdpng__z *s, const sdpng__huff *h)   /* a symbol, or -1 */
{
    int e, len, code = 0, first = 0, index = 0;
    sdpng__fill(s);
    if ((e = h->fast[s->bits & 511]) != 0) { s->bits >>= e >> 9; s->nbits -= e >> 9; return e & 511; }
    for (len = 1; len < 16; len++) {   /* codes longer than 9 bits, one bit at a time */
        code |= (int)((s->bits >> (len - 1)) & 1);
        if (code - h->count[len] < first) { s->bits >>= len; s->nbits -= len; return h->sym[index + code - first]; }
        index += h->count[len]; first += h->count[len];
        first <<= 1; code <<= 1;
    }
    return -1;
}

static int sdpng__room(sdpng__z *s, size_t k)   /* room for k more output bytes, within the limit */
{
    size_t cap;
    unsigned char *q;
    if (k <= s->cap - s->n) return 1;
    if (k > s->limit - s->n) return 0;
    for (cap = s->cap ? s->cap : 4096; cap - s->n < k; cap = cap > s->limit / 2 ? s->limit : cap * 2) {}
    if (cap > s->limit) cap = s->limit;
    if (!(q = (unsigned char *)SDPNG_REALLOC(s->o, cap))) { s->oom = 1; return 0; }
    s->o = q; s->cap = cap;
    return 1;
}

#define SDPNG__PAST(s) ((s)->over * 8 > (s)->nbits)   /* bits were taken from beyond the input */

/* a zlib stream into s->o (grown as needed up to s->limit); NULL or the reason it is bad */
static const char *sdpng__inflate(sdpng__z *s, const unsigned char *z, size_t zn)
{
    int last = 0, i;
    uint32_t adler = 0;
    if (zn < 2) return "truncated zlib data";
    if ((z[0] & 15) != 8 || (z[0] >> 4) > 7 || ((unsigned)z[0] << 8 | z[1]) % 31 || (z[1] & 32)) return "bad zlib header";
    s->p = z + 2; s->end = z + zn; s->bits = 0; s->nbits = 0; s->over = 0;
    while (!last) {
        int type;
        last = (int)sdpng__get(s, 1);
        type = (int)sdpng__get(s, 2);
        if (type == 0) {
            unsigned len, nlen;
            sdpng__get(s, s->nbits & 7);
            len = sdpng__get(s, 16); nlen = sdpng__get(s, 16);
            if (SDPNG__PAST(s)) return "truncated zlib data";
            if ((len ^ 0xFFFFu) != nlen) return "bad deflate data";
            if (!sdpng__room(s, len)) return s->oom ? "out of memory" : "too much image data";
            for (; len && s->nbits >= 8; len--) { s->o[s->n++] = (unsigned char)s->bits; s->bits >>= 8; s->nbits -= 8; }
            if (SDPNG__PAST(s)) return "truncated zlib data";
            if (len > (size_t)(s->end - s->p)) return "truncated zlib data";
            if (len) memcpy(s->o + s->n, s->p, len);
            s->n += len; s->p += len;
        } else if (type == 1 || type == 2) {
            sdpng__huff lit, dist;
            unsigned char lens[320];
            if (type == 1) {
                sdpng__fixed(lens, lens + 288);
                sdpng__build(&lit, lens, 288); sdpng__build(&dist, lens + 288, 30);
            } else {
                int nlit = (int)sdpng__get(s, 5) + 257, ndist = (int)sdpng__get(s, 5) + 1, ncl = (int)sdpng__get(s, 4) + 4;
                sdpng__huff code;
                if (nlit > 286 || ndist > 30) return "bad deflate data";
                memset(lens, 0, sizeof lens);
                for (i = 0; i < ncl; i++) lens[sdpng__clorder[i]] = (unsigned char)sdpng__get(s, 3);
                if (SDPNG__PAST(s)) return "truncated zlib data";
                if (!sdpng__build(&code, lens, 19)) return "bad deflate data";
                for (i = 0; i < nlit + ndist;) {
                    int sym = sdpng__decode(s, &code), rep, val = 0;
                    if (sym < 0) return s->over ? "truncated zlib data" : "bad deflate data";
                    if (sym < 16) { lens[i++] = (unsigned char)sym; continue; }
                    if (sym == 16) { if (!i) return "bad deflate data"; val = lens[i - 1]; rep = 3 + (int)sdpng__get(s, 2); }
                    else rep = sym == 17 ? 3 + (int)sdpng__get(s, 3) : 11 + (int)sdpng__get(s, 7);
                    if (i + rep > nlit + ndist) return "bad deflate data";
                    while (rep--) lens[i++] = (unsigned char)val;
                }
                if (SDPNG__PAST(s)) return "truncated zlib data";
                if (!lens[256] || !sdpng__build(&lit, lens, nlit) || !sdpng__build(&dist, lens + nlit, ndist)) return "bad deflate data";
            }
            for (;;) {
                int sym = sdpng__decode(s, &lit);
                if (sym < 0 || SDPNG__PAST(s)) return s->over ? "truncated zlib data" : "bad deflate data";
                if (sym < 256) {
                    if (s->n == s->cap && !sdpng__room(s, 1)) return s->oom ? "out of memory" : "too much image data";
                    s->o[s->n++] = (unsigned char)sym;
                } else if (sym == 256) break;
                else {
                    size_t len, d, k;
                    unsigned char *o;
                    if ((sym -= 257) >= 29) return "bad deflate data";
                    len = sdpng__lbase[sym] + sdpng__get(s, sdpng__lext[sym]);
                    if ((sym = sdpng__decode(s, &dist)) < 0 || sym >= 30 || SDPNG__PAST(s))
                        return s->over ? "truncated zlib data" : "bad deflate data";
                    d = sdpng__dbase[sym] + sdpng__get(s, sdpng__dext[sym]);
                    if (SDPNG__PAST(s)) return "truncated zlib data";
                    if (d > s->n) return "bad deflate data";   /* before the start of the data */
                    if (!sdpng__room(s, len)) return s->oom ? "out of memory" : "too much image data";
                    for (o = s->o + s->n, k = 0; k < len; k++) o[k] = o[(ptrdiff_t)k - (ptrdiff_t)d];
                    s->n += len;
                }
            }
        } else return "bad deflate data";
    }
    sdpng__get(s, s->nbits & 7);
    for (i = 0; i < 4; i++) adler = adler << 8 | sdpng__get(s, 8);
    if (SDPNG__PAST(s)) return "truncated zlib data";
    return adler == sdpng__adler(s->o, s->n) ? NULL : "zlib checksum mismatch";
}

/* ================================================================ writing */

static void sdpng__chunk(sdpng__buf *b, const char *type, const unsigned char *d, size_t n)
{
    sdpng__be32(b, (uint32_t)n);
    sdpng__put(b, type, 4);
    sdpng__put(b, d, n);
    sdpng__be32(b, sdpng__crc(sdpng__crc(0, (const unsigned char *)type, 4), d, n));
}

static int sdpng__paeth(int a, int b, int c)
{
    int p = a + b - c, pa = p > a ? p - a : a - p, pb = p > b ? p - b : b - p, pc = p > c ? p - c : c - p;
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

static int sdpng__key_ok(const char *k)   /* 1-79 printable ASCII, no leading, trailing or double spaces */
{
    size_t n = k ? strlen(k) : 0, i;
    if (n < 1 || n > 79 || k[0] == ' ' || k[n - 1] == ' ') return 0;
    for (i = 0; i < n; i++) if (k[i] < 32 || k[i] > 126 || (k[i] == ' ' && k[i + 1] == ' ')) return 0;
    return 1;
}

static int sdpng__write_text(sdpng__buf *b, const char *key, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = strlen(text), i;
    int latin1 = 1;
    sdpng__buf c;
    for (i = 0; i < n; i++)   /* UTF-8 of U+0000..U+00FF only: C2/C3 and one continuation byte */
        if (s[i] >= 0x80) { if ((s[i] == 0xC2 || s[i] == 0xC3) && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) i++; else latin1 = 0; }
    memset(&c, 0, sizeof c);
    sdpng__put(&c, key, strlen(key) + 1);
    if (latin1) {
        for (i = 0; i < n; i++) {
            unsigned v = s[i];
            if (v >= 0x80) { v = (v & 3) << 6 | (s[i + 1] & 0x3F); i++; }
            sdpng__byte(&c, v);
        }
        sdpng__chunk(b, "tEXt", c.p, c.n);
    } else {
        sdpng__put(&c, "\0\0\0", 4);   /* uncompressed, method 0, no language, no translated key */
        sdpng__put(&c, s, n);
        sdpng__chunk(b, "iTXt", c.p, c.n);
    }
    SDPNG_FREE(c.p);
    return !c.bad;
}

SDPNG_DEF unsigned char *sdpng_write_mem(const unsigned char *px, int w, int h, int ch, const sdpng_text *texts, int ntexts, size_t *out_size)
{
    static const unsigned char ctype[5] = { 0, 0, 4, 2, 6 };
    sdpng__buf b, z;
    unsigned char hdr[13], *raw, *line, *zero;
    size_t stride, y, x, bpp = (size_t)ch;
    int t, ok = 1;
    if (out_size) *out_size = 0;
    if (!px || !out_size || w <= 0 || h <= 0 || ch < 1 || ch > 4 || ntexts < 0 || (ntexts && !texts)) return NULL;
    stride = (size_t)w * bpp;
    if ((size_t)w > 0x7FFFFFFFu / bpp / (size_t)h || (stride + 1) * (size_t)h > 0x7FFFFFFFu) return NULL;
    for (t = 0; t < ntexts; t++) if (!sdpng__key_ok(texts[t].key) || !texts[t].text) return NULL;
    memset(&b, 0, sizeof b); memset(&z, 0, sizeof z);
    raw = (unsigned char *)SDPNG_MALLOC((stride + 1) * (size_t)h);
    line = (unsigned char *)SDPNG_MALLOC(stride * 6);
    if (!raw || !line) { SDPNG_FREE(raw); SDPNG_FREE(line); return NULL; }
    zero = line + 5 * stride;
    memset(zero, 0, stride);
    for (y = 0; y < (size_t)h; y++) {   /* each row with the filter of the smallest sum of |residuals| */
        const unsigned char *cur = px + y * stride, *up = y ? cur - stride : zero;
        unsigned long sum[5] = { 0, 0, 0, 0, 0 };
        int f, bf = 0;
        for (x = 0; x < stride; x++) {
            int a = x >= bpp ? cur[x - bpp] : 0, u = up[x], c = x >= bpp ? up[x - bpp] : 0, v = cur[x];
            line[x] = (unsigned char)v;
            line[stride + x] = (unsigned char)(v - a);
            line[2 * stride + x] = (unsigned char)(v - u);
            line[3 * stride + x] = (unsigned char)(v - ((a + u) >> 1));
            line[4 * stride + x] = (unsigned char)(v - sdpng__paeth(a, u, c));
        }
        for (f = 0; f < 5; f++) {
            for (x = 0; x < stride; x++) { unsigned r = line[(size_t)f * stride + x]; sum[f] += r < 128 ? r : 256 - r; }
            if (sum[f] < sum[bf]) bf = f;
        }
        raw[y * (stride + 1)] = (unsigned char)bf;
        memcpy(raw + y * (stride + 1) + 1, line + (size_t)bf * stride, stride);
    }
    SDPNG_FREE(line);
    sdpng__deflate(&z, raw, (stride + 1) * (size_t)h);
    SDPNG_FREE(raw);
    sdpng__put(&b, "\x89PNG\r\n\x1a\n", 8);
    for (t = 0; t < 4; t++) { hdr[t] = (unsigned char)((unsigned)w >> (24 - 8 * t)); hdr[4 + t] = (unsigned char)((unsigned)h >> (24 - 8 * t)); }
    hdr[8] = 8; hdr[9] = ctype[ch]; hdr[10] = hdr[11] = hdr[12] = 0;
    sdpng__chunk(&b, "IHDR", hdr, 13);
    for (t = 0; t < ntexts; t++) ok &= sdpng__write_text(&b, texts[t].key, texts[t].text);
    sdpng__chunk(&b, "IDAT", z.p, z.n);
    sdpng__chunk(&b, "IEND", NULL, 0);
    SDPNG_FREE(z.p);
    if (b.bad || z.bad || !ok) { SDPNG_FREE(b.p); return NULL; }
    *out_size = b.n;
    return b.p;
}

/* ================================================================ reading */

static uint32_t sdpng__rd32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static char *sdpng__utf8(const unsigned char *s, size_t n, int latin1)   /* a NUL-terminated copy, Latin-1 -> UTF-8 */
{
    char *o = (char *)SDPNG_MALLOC(n * 2 + 1), *q = o;
    size_t i;
    if (!o) return NULL;
    for (i = 0; i < n; i++)
        if (latin1 && s[i] >= 0x80) { *q++ = (char)(0xC0 | s[i] >> 6); *q++ = (char)(0x80 | (s[i] & 0x3F)); }
        else *q++ = (char)s[i];
    *q = 0;
    return o;
}

/* a tEXt, zTXt or iTXt chunk appended to the list; malformed ones, and those beyond the budget for the
   text of the whole file (*left bytes, 16 MB in all), are skipped; NULL or "out of memory" */
static const char *sdpng__read_text(const unsigned char *type, const unsigned char *c, size_t len, sdpng_text **texts, int *nt,
                                    size_t *left)
{
    const unsigned char *e = (const unsigned char *)memchr(c, 0, len < 80 ? len : 80);
    size_t kl = e ? (size_t)(e - c) : 0, at = kl + 1;
    int compressed = type[0] == 'z', latin1 = type[0] != 'i', k;
    sdpng__z z;
    sdpng_text *t;
    char *key, *val;
    if (!kl) return NULL;
    if (type[0] == 'z') { if (at >= len || c[at]) return NULL; at++; }
    if (type[0] == 'i') {
        if (len - at < 2 || c[at] > 1 || c[at + 1]) return NULL;
        compressed = c[at]; at += 2;
        for (k = 0; k < 2; k++) {   /* language tag, translated keyword */
            if (!(e = (const unsigned char *)memchr(c + at, 0, len - at))) return NULL;
            at = (size_t)(e - c) + 1;
        }
    }
    if (!compressed && len - at > *left) return NULL;
    memset(&z, 0, sizeof z);
    z.limit = *left;
    if (compressed && sdpng__inflate(&z, c + at, len - at)) { SDPNG_FREE(z.o); return z.oom ? "out of memory" : NULL; }
    *left -= compressed ? z.n : len - at;
    t = (sdpng_text *)SDPNG_REALLOC(*texts, sizeof(sdpng_text) * ((size_t)*nt + 1));
    if (t) *texts = t;
    key = sdpng__utf8(c, kl, 1);
    val = compressed ? sdpng__utf8(z.o, z.n, latin1) : sdpng__utf8(c + at, len - at, latin1);
    SDPNG_FREE(z.o);
    if (!t || !key || !val) { SDPNG_FREE(key); SDPNG_FREE(val); return "out of memory"; }
    t[*nt].key = key; t[*nt].text = val; (*nt)++;
    return NULL;
}

static const char *sdpng__crc_error(const unsigned char *type)
{
    static const char names[] = "IHDRPLTEIDATIENDtEXtzTXtiTXt";
    static const char *const why[7] = { "bad CRC in IHDR", "bad CRC in PLTE", "bad CRC in IDAT", "bad CRC in IEND",
                                        "bad CRC in tEXt", "bad CRC in zTXt", "bad CRC in iTXt" };
    int i;
    for (i = 0; i < 7; i++) if (!memcmp(type, names + 4 * i, 4)) return why[i];
    return "bad CRC in a chunk";
}

/* x0, y0, dx, dy: the whole image, then the seven Adam7 passes */
static const unsigned char sdpng__pass[8][4] = { { 0, 0, 1, 1 }, { 0, 0, 8, 8 }, { 4, 0, 8, 8 }, { 0, 4, 4, 8 },
                                                 { 2, 0, 4, 4 }, { 0, 2, 2, 4 }, { 1, 0, 2, 2 }, { 0, 1, 1, 2 } };
static size_t sdpng__span(size_t n, size_t at, size_t step) { return n > at ? (n - at + step - 1) / step : 0; }   /* a pass's width or height */

static int sdpng__unfilter(unsigned char *r, const unsigned char *up, size_t n, size_t bpp, int f)
{
    size_t x;
    switch (f) {
    case 0: break;
    case 1: for (x = bpp; x < n; x++) r[x] = (unsigned char)(r[x] + r[x - bpp]); break;
    case 2: for (x = 0; x < n; x++) r[x] = (unsigned char)(r[x] + up[x]); break;
    case 3: for (x = 0; x < n; x++) r[x] = (unsigned char)(r[x] + (((x >= bpp ? r[x - bpp] : 0) + up[x]) >> 1)); break;
    case 4: for (x = 0; x < n; x++) r[x] = (unsigned char)(r[x] + sdpng__paeth(x >= bpp ? r[x - bpp] : 0, up[x], x >= bpp ? up[x - bpp] : 0)); break;
    default: return 0;
    }
    return 1;
}

SDPNG_DEF unsigned char *sdpng_read_mem_ex(const void *data, size_t size, size_t max_pixels, int *pw, int *ph, int want,
                                           sdpng_text **texts, int *ntexts, const char **why)
{
    const unsigned char *d = (const unsigned char *)data;
    size_t pos = 8, w = 0, h = 0, need = 0, bpp, maxrow = 0, at = 0, y, x;
    int depth = 0, ctype = 0, interlace = 0, nch = 0, npal = 0, nt = 0, p, k;
    unsigned char pal[768], *out = NULL, *zero = NULL;
    sdpng__buf idat;
    sdpng__z z;
    sdpng_text *tl = NULL;
    size_t text_left = (size_t)1 << 24;
    const char *dummy, *err = NULL;
    if (!why) why = &dummy;
    *why = "";
    if (texts) *texts = NULL;
    if (ntexts) *ntexts = 0;
    if (!max_pixels) max_pixels = SDPNG_DEFAULT_MAX_PIXELS;
    memset(&idat, 0, sizeof idat); memset(&z, 0, sizeof z); memset(pal, 0, sizeof pal);
    if (!pw || !ph || want < 1 || want > 4 || (!data && size)) { *why = "bad arguments"; return NULL; }
    if (size < 8 || memcmp(d, "\x89PNG\r\n\x1a\n", 8) != 0) { *why = "not a PNG file"; return NULL; }
    for (;;) {   /* the chunks */
        const unsigned char *type, *c;
        size_t len;
        if (size - pos < 12) { err = "truncated"; goto fail; }
        len = sdpng__rd32(d + pos);
        if (len > 0x7FFFFFFFu || len > size - pos - 12) { err = "truncated"; goto fail; }
        type = d + pos + 4; c = type + 4;
        if (sdpng__crc(0, type, len + 4) != sdpng__rd32(c + len)) { err = sdpng__crc_error(type); goto fail; }
        pos += len + 12;
        if (!memcmp(type, "IHDR", 4)) {
            if (nch || len != 13) { err = "bad IHDR"; goto fail; }
            w = sdpng__rd32(c); h = sdpng__rd32(c + 4); depth = c[8]; ctype = c[9]; interlace = c[12];
            if (!w || !h || w > 0x7FFFFFFFu || h > 0x7FFFFFFFu) { err = "bad IHDR"; goto fail; }
            *pw = (int)w; *ph = (int)h;
            nch = ctype == 0 ? 1 : ctype == 2 ? 3 : ctype == 3 ? 1 : ctype == 4 ? 2 : ctype == 6 ? 4 : 0;
            if (!nch) { err = "unsupported color type"; goto fail; }
            if (!(depth == 8 || (depth == 16 && ctype != 3) || ((depth == 1 || depth == 2 || depth == 4) && (ctype == 0 || ctype == 3)))) { err = "unsupported bit depth"; goto fail; }
            if (c[10] || c[11]) { err = "unsupported compression or filter method"; goto fail; }
            if (interlace > 1) { err = "unsupported interlace method"; goto fail; }
            if (w > max_pixels / h || w > ((size_t)-1) / 64 / h) { err = "image too large"; goto fail; }
        } else if (!nch) { err = "first chunk is not IHDR"; goto fail; }
        else if (!memcmp(type, "PLTE", 4)) {
            if (!len || len % 3 || len > 768) { err = "bad PLTE"; goto fail; }
            memcpy(pal, c, len); npal = (int)len / 3;
        } else if (!memcmp(type, "IDAT", 4)) {
            sdpng__put(&idat, c, len);
            if (idat.bad) { err = "out of memory"; goto fail; }
        } else if (!memcmp(type, "IEND", 4)) break;
        else if (!memcmp(type, "tEXt", 4) || !memcmp(type, "zTXt", 4) || !memcmp(type, "iTXt", 4)) {
            if (texts && ntexts && (err = sdpng__read_text(type, c, len, &tl, &nt, &text_left)) != NULL) goto fail;
        } else if (!(type[0] & 32)) { err = "unknown critical chunk"; goto fail; }
    }
    if (ctype == 3 && !npal) { err = "missing PLTE"; goto fail; }
    if (!idat.n) { err = "no image data"; goto fail; }
    for (p = interlace ? 1 : 0; p <= (interlace ? 7 : 0); p++) {   /* the raw size: rows of a filter byte and samples */
        size_t pwid = sdpng__span(w, sdpng__pass[p][0], sdpng__pass[p][2]), phgt = sdpng__span(h, sdpng__pass[p][1], sdpng__pass[p][3]);
        size_t rowb = (pwid * (size_t)nch * (size_t)depth + 7) / 8;
        if (pwid && phgt) need += phgt * (rowb + 1);
        if (rowb > maxrow) maxrow = rowb;
    }
    z.limit = need;
    z.cap = idat.n < need / 8 ? idat.n * 8 : need;   /* a first guess; grows with the data */
    if (!(z.o = (unsigned char *)SDPNG_MALLOC(z.cap))) { err = "out of memory"; goto fail; }
    if ((err = sdpng__inflate(&z, idat.p, idat.n)) != NULL) goto fail;
    if (z.n != need) { err = "not enough image data"; goto fail; }
    SDPNG_FREE(idat.p); idat.p = NULL;
    out = (unsigned char *)SDPNG_MALLOC(w * h * (size_t)want);
    zero = (unsigned char *)SDPNG_MALLOC(maxrow + 1);
    if (!out || !zero) { err = "out of memory"; goto fail; }
    memset(zero, 0, maxrow + 1);
    bpp = ((size_t)nch * (size_t)depth + 7) / 8;
    for (p = interlace ? 1 : 0; p <= (interlace ? 7 : 0); p++) {
        size_t x0 = sdpng__pass[p][0], y0 = sdpng__pass[p][1], dx = sdpng__pass[p][2], dy = sdpng__pass[p][3];
        size_t pwid = sdpng__span(w, x0, dx), phgt = sdpng__span(h, y0, dy);
        size_t rowb = (pwid * (size_t)nch * (size_t)depth + 7) / 8;
        const unsigned char *up = zero;
        unsigned scale = depth < 8 && ctype != 3 ? 255u / ((1u << depth) - 1) : 1;
        if (!pwid || !phgt) continue;
        for (y = 0; y < phgt; y++, at += rowb + 1) {
            unsigned char *r = z.o + at + 1;
            if (!sdpng__unfilter(r, up, rowb, bpp, z.o[at])) { err = "bad filter type"; goto fail; }
            up = r;
            for (x = 0; x < pwid; x++) {   /* samples -> 8-bit gray, gray+alpha, RGB or RGBA */
                unsigned v[4] = { 0, 0, 0, 255 };
                unsigned char *o = out + ((y0 + y * dy) * w + x0 + x * dx) * (size_t)want;
                for (k = 0; k < nch; k++) {
                    size_t i = x * (size_t)nch + (size_t)k;
                    if (depth == 8) v[k] = r[i];
                    else if (depth == 16) v[k] = r[2 * i];
                    else v[k] = scale * ((r[i * (size_t)depth / 8] >> (8 - depth - (int)(i * (size_t)depth % 8))) & ((1u << depth) - 1));
                }
                if (ctype == 3) { const unsigned char *e = pal + 3 * v[0]; v[0] = e[0]; v[1] = e[1]; v[2] = e[2]; }
                else if (ctype == 0) v[1] = v[2] = v[0];
                else if (ctype == 4) { v[3] = v[1]; v[1] = v[2] = v[0]; }
                if (want <= 2) {
                    o[0] = (unsigned char)((v[0] * 77 + v[1] * 150 + v[2] * 29) >> 8);
                    if (want == 2) o[1] = (unsigned char)v[3];
                } else for (k = 0; k < want; k++) o[k] = (unsigned char)v[k];
            }
        }
    }
    SDPNG_FREE(z.o); SDPNG_FREE(zero);
    if (texts && ntexts) { *texts = tl; *ntexts = nt; }
    return out;
fail:
    *why = err;
    SDPNG_FREE(idat.p); SDPNG_FREE(z.o); SDPNG_FREE(out); SDPNG_FREE(zero);
    sdpng_free_texts(tl, nt);
    return NULL;
}

SDPNG_DEF unsigned char *sdpng_read_mem(const void *data, size_t size, int *w, int *h, int want, sdpng_text **texts, int *ntexts, const char **why)
{
    return sdpng_read_mem_ex(data, size, 0, w, h, want, texts, ntexts, why);
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
SDPNG_DEF int sdpng_write_fp(FILE *f, const unsigned char *px, int w, int h, int ch, const sdpng_text *texts, int ntexts)
{
    size_t n;
    unsigned char *p = f ? sdpng_write_mem(px, w, h, ch, texts, ntexts, &n) : NULL;
    int ok = p && fwrite(p, 1, n, f) == n;
    SDPNG_FREE(p);
    return ok;
}

SDPNG_DEF int sdpng_write_file(const char *path, const unsigned char *px, int w, int h, int ch, const sdpng_text *texts, int ntexts)
{
    size_t n;
    unsigned char *p = sdpng_write_mem(px, w, h, ch, texts, ntexts, &n);
    FILE *f = p ? fopen(path, "wb") : NULL;
    int ok = f && fwrite(p, 1, n, f) == n;
    if (f && fclose(f) != 0) ok = 0;
    SDPNG_FREE(p);
    return ok;
}

SDPNG_DEF unsigned char *sdpng_read_file(const char *path, int *w, int *h, int want, sdpng_text **texts, int *ntexts, const char **why)
{
    FILE *f = fopen(path, "rb");
    sdpng__buf b;
    size_t k = 0;
    unsigned char *img;
    const char *dummy;
    if (!why) why = &dummy;
    if (texts) *texts = NULL;
    if (ntexts) *ntexts = 0;
    if (!f) { *why = "cannot open the file"; return NULL; }
    memset(&b, 0, sizeof b);
    do { if (sdpng__grow(&b, 65536)) b.n += k = fread(b.p + b.n, 1, b.cap - b.n, f); } while (!b.bad && k > 0);
    if (b.bad || ferror(f)) { fclose(f); SDPNG_FREE(b.p); *why = b.bad ? "out of memory" : "cannot read the file"; return NULL; }
    fclose(f);
    img = sdpng_read_mem(b.p, b.n, w, h, want, texts, ntexts, why);
    SDPNG_FREE(b.p);
    return img;
}
#endif

#endif /* SD_PNG_IMPLEMENTATION_DONE */
#endif /* SD_PNG_IMPLEMENTATION */
