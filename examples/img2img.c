/* img2img.c - redraw an image after a prompt: sd.h's img2img.

   The VAE encodes the input into a latent, the sampler noises it to the level of step
   steps - floor(steps * strength), and the denoising loop runs from there with the prompt:
   strength 0 keeps the input, 1 draws anew (only the picture's size is kept).

   build: make (gives build/img2img)
   run:   build/img2img MODEL.safetensors MERGES.txt "a prompt" in.png out.png [STRENGTH [STEPS]]
   Input: PNG (any kind tools/sd_png.h reads) or binary PPM (P6, maxval 255); width and height
   multiples of 8. Output: PPM when the name ends in .ppm, PNG otherwise. */

#define SD_IMPLEMENTATION
#include "../sd.h"
#define SD_PNG_IMPLEMENTATION
#include "../tools/sd_png.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a binary PPM (P6, maxval 255) -> w*h*3 bytes, or NULL */
static unsigned char *read_ppm(const char *path, int *w, int *h)
{
    FILE *f = fopen(path, "rb");
    unsigned char *rgb = NULL;
    int maxval = 0;
    if (!f) return NULL;
    /* the header: "P6", width, height, maxval, separated by whitespace (no comments), then one byte */
    if (fscanf(f, "P6 %d %d %d", w, h, &maxval) == 3 && maxval == 255 && *w > 0 && *h > 0 && *w <= 8192 && *h <= 8192 &&
        fgetc(f) != EOF && (rgb = (unsigned char *)malloc((size_t)3 * *w * *h)) != NULL &&
        fread(rgb, 3, (size_t)*w * *h, f) != (size_t)*w * *h) {
        free(rgb);
        rgb = NULL;
    }
    fclose(f);
    return rgb;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && strcmp(s + n - k, tail) == 0;
}

int main(int argc, char **argv)
{
    sd_model *m;
    sd_params p = sd_params_default();
    unsigned char *init, *rgb;
    const char *why = "not a PNG or a binary PPM (P6, maxval 255)";
    char magic[2] = { 0 };
    FILE *f;
    int w = 0, h = 0, ok, ppm;

    if (argc < 6 || argc > 8) {
        fprintf(stderr, "usage: %s MODEL MERGES PROMPT IN.png|IN.ppm OUT.png|OUT.ppm [STRENGTH [STEPS]]\n", argv[0]);
        return 2;
    }
    p.prompt = argv[3];
    p.seed = 42;
    p.strength = argc > 6 ? atof(argv[6]) : 0.75;
    if (argc > 7) p.steps = atoi(argv[7]);

    /* the input image: PNG or PPM, by its first two bytes */
    if ((f = fopen(argv[4], "rb")) != NULL) { if (fread(magic, 1, 2, f) != 2) magic[0] = 0; fclose(f); }
    else why = "cannot open the file";
    ppm = magic[0] == 'P' && magic[1] == '6';
    if (ppm) init = read_ppm(argv[4], &w, &h);
    else init = sdpng_read_file(argv[4], &w, &h, 3, NULL, NULL, &why);
    if (!init) { fprintf(stderr, "%s: %s\n", argv[4], why); return 1; }
    p.width = w;                         /* the output has the input's size */
    p.height = h;

    if (!(m = sd_create(NULL)) || !(rgb = (unsigned char *)malloc((size_t)3 * w * h))) { fprintf(stderr, "out of memory\n"); return 1; }
    if (sd_load(m, argv[1]) != SD_OK || sd_load_vocab(m, argv[2]) != SD_OK || sd_img2img(m, &p, init, rgb) != SD_OK) {
        fprintf(stderr, "%s\n", sd_error(m));
        return 1;
    }

    if (ends_with(argv[5], ".ppm")) {
        ok = (f = fopen(argv[5], "wb")) != NULL;
        if (ok) {
            fprintf(f, "P6\n%d %d\n255\n", w, h);
            ok = fwrite(rgb, 3, (size_t)w * h, f) == (size_t)w * h;
            ok = fclose(f) == 0 && ok;
        }
    } else ok = sdpng_write_file(argv[5], rgb, w, h, 3, NULL, 0);
    if (!ok) { fprintf(stderr, "cannot write %s\n", argv[5]); return 1; }
    fprintf(stderr, "wrote %s (%dx%d, strength %g, %d steps)\n", argv[5], w, h, p.strength, p.steps);

    if (ppm) free(init); else sdpng_free(init);
    free(rgb);
    sd_free(m);
    return 0;
}
