/* check_unicode_main: prints sd.h's CLIP normalization and split of each input line (hex-escaped
   UTF-8 in, one line out), for tools/check_unicode.py to compare with Python's. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include <stdio.h>

static int unhex(int c) { return c >= '0' && c <= '9' ? c - '0' : c - 'a' + 10; }

int main(void)
{
    static char line[1 << 16], bytes[1 << 15];
    sd_model *m = sd_create(NULL);
    while (fgets(line, sizeof line, stdin)) {
        size_t n = 0, i, tlen;
        char *text;
        int *pieces, np, k;
        for (i = 0; line[i] && line[i + 1] && line[i] != '\n'; i += 2) bytes[n++] = (char)(unhex(line[i]) * 16 + unhex(line[i + 1]));
        if (sd__clip_normalize(m, bytes, n, &text, &tlen) != SD_OK) { puts("ERROR"); continue; }
        pieces = (int *)malloc((2 * tlen + 2) * sizeof(int));
        np = sd__clip_split(text, tlen, pieces);
        for (i = 0; i < tlen; i++) printf("%02x", (unsigned char)text[i]);
        printf(" ");
        for (k = 0; k < np; k++) printf("%d:%d,", pieces[2 * k], pieces[2 * k + 1]);
        printf("\n");
        free(pieces);
        sd__free(m, text);
    }
    sd_free(m);
    return 0;
}
