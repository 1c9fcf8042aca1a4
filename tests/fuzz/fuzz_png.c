/* fuzz_png - tools/sd_png.h's reader (sd --init-img, --from, sd info IMAGE.png) on arbitrary
   bytes, and its writer on whatever the reader accepts.

   Input: one flag byte, then the PNG file.
     bits 0-1  channels asked for, 1..4
     bit  2    recompute every chunk's CRC first (so that mutations reach past the CRC checks)
     bit  3    ask for the text chunks
     bits 4-7  the pixel limit: 64 << k (64 .. 2M pixels)
   Checks: a decoded image has 1..limit pixels, every byte readable; texts have keys and values;
   on failure a reason and no texts. An image of at most 4096 pixels is written again with
   sdpng_write_mem (with the texts whose keys the writer takes) and read back: the same pixels,
   the same texts in the same order. */
#define SD_PNG_STATIC
#define SD_PNG_IMPLEMENTATION
#include "../../tools/sd_png.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define FUZZ_NAME "fuzz_png"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    return 0;
}

/* rewrites each whole chunk's CRC in place */
static void fuzz_fix_crcs(unsigned char *d, size_t n)
{
    size_t pos = 8;
    while (n - pos >= 12) {
        size_t len = sdpng__rd32(d + pos);
        uint32_t crc;
        if (len > n - pos - 12) break;
        crc = sdpng__crc(0, d + pos + 4, len + 4);
        d[pos + 8 + len] = (unsigned char)(crc >> 24); d[pos + 9 + len] = (unsigned char)(crc >> 16);
        d[pos + 10 + len] = (unsigned char)(crc >> 8); d[pos + 11 + len] = (unsigned char)crc;
        pos += len + 12;
    }
}

/* writes the image again and reads it back: the same pixels and texts */
static void fuzz_round_trip(const unsigned char *px, int w, int h, int want, const sdpng_text *t, int nt)
{
    sdpng_text keep[64], *t2 = NULL;
    int nk = 0, i, w2 = 0, h2 = 0, nt2 = 0;
    size_t n = 0;
    const char *why = NULL;
    unsigned char *png, *px2;
    for (i = 0; i < nt && nk < 64; i++) if (sdpng__key_ok(t[i].key)) keep[nk++] = t[i];
    png = sdpng_write_mem(px, w, h, want, keep, nk, &n);
    fuzz_check(png != NULL && n > 8, "the writer takes what the reader gave");
    px2 = sdpng_read_mem(png, n, &w2, &h2, want, &t2, &nt2, &why);
    if (!px2) fprintf(stderr, "fuzz_png: re-read: %s\n", why);
    fuzz_check(px2 != NULL, "what the writer wrote reads back");
    fuzz_check(w2 == w && h2 == h, "the same size back");
    fuzz_check(memcmp(px, px2, (size_t)w * h * want) == 0, "the same pixels back");
    fuzz_check(nt2 == nk, "the same number of texts back");
    for (i = 0; i < nk; i++) {
        fuzz_check(strcmp(keep[i].key, t2[i].key) == 0, "the same keys back");
        fuzz_check(strcmp(keep[i].text, t2[i].text) == 0, "the same texts back");
    }
    sdpng_free(png);
    sdpng_free(px2);
    sdpng_free_texts(t2, nt2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *png, *px;
    int flags, want, w = 0, h = 0, nt = 0, i;
    size_t limit, n;
    sdpng_text *t = NULL;
    const char *why = NULL;
    if (size < 1 || size > ((size_t)1 << 20)) return 0;
    flags = data[0];
    want = 1 + (flags & 3);
    limit = (size_t)64 << (flags >> 4);
    n = size - 1;
    png = (unsigned char *)malloc(n ? n : 1);
    if (!png) return 0;
    memcpy(png, data + 1, n);
    if ((flags & 4) && n >= 8) fuzz_fix_crcs(png, n);
    px = sdpng_read_mem_ex(png, n, limit, &w, &h, want, (flags & 8) ? &t : NULL, (flags & 8) ? &nt : NULL, &why);
    if (px) {
        volatile unsigned sum = 0;
        size_t k;
        fuzz_check(w > 0 && h > 0 && (size_t)w * (size_t)h <= limit, "1..limit pixels");
        for (k = 0; k < (size_t)w * h * want; k++) sum += px[k];
        (void)sum;
        fuzz_check(nt >= 0 && (nt == 0 || t != NULL), "a text list when there are texts");
        for (i = 0; i < nt; i++) fuzz_check(t[i].key && t[i].key[0] && t[i].text, "each text with a key and a value");
        if ((size_t)w * h <= 4096) fuzz_round_trip(px, w, h, want, t, nt);
        sdpng_free(px);
        sdpng_free_texts(t, nt);
    } else {
        fuzz_check(why != NULL && why[0] != 0, "a reason on failure");
        fuzz_check(t == NULL && nt == 0, "no texts on failure");
    }
    free(png);
    return 0;
}
