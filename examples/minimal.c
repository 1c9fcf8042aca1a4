/* minimal.c - the shortest complete sd.h program: a prompt in, a picture out.

   build: make (gives build/minimal)
   run:   build/minimal MODEL.safetensors MERGES.txt "a prompt" out.ppm [WIDTH HEIGHT STEPS]
   The image is a binary PPM (P6): no image library needed; most viewers and converters read it. */

#define SD_IMPLEMENTATION
#include "../sd.h"
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    sd_model *m;
    sd_params p = sd_params_default();   /* 512x512, Euler a, 20 steps, guidance 7 */
    unsigned char *rgb;
    FILE *f;
    if (argc != 5 && argc != 8) { fprintf(stderr, "usage: %s MODEL MERGES PROMPT OUT.ppm [WIDTH HEIGHT STEPS]\n", argv[0]); return 2; }
    p.prompt = argv[3];
    p.seed = 42;
    if (argc == 8) { p.width = atoi(argv[5]); p.height = atoi(argv[6]); p.steps = atoi(argv[7]); }
    if (!(m = sd_create(NULL)) || !(rgb = (unsigned char *)malloc((size_t)3 * p.width * p.height))) {
        fprintf(stderr, "cannot allocate a %dx%d image\n", p.width, p.height);
        return 1;
    }
    if (sd_load(m, argv[1]) != SD_OK || sd_load_vocab(m, argv[2]) != SD_OK || sd_txt2img(m, &p, rgb) != SD_OK) {
        fprintf(stderr, "%s\n", sd_error(m));
        return 1;
    }
    if (!(f = fopen(argv[4], "wb"))) { perror(argv[4]); return 1; }
    fprintf(f, "P6\n%d %d\n255\n", p.width, p.height);
    if (fwrite(rgb, 3, (size_t)p.width * p.height, f) != (size_t)p.width * p.height || fclose(f) != 0) { perror(argv[4]); return 1; }
    free(rgb);
    sd_free(m);
    return 0;
}
