/* inpaint.c - repaint part of an image after a prompt: sd.h's inpainting.

   The mask says what to repaint (white, 255) and what to keep (black, 0). Here it is made in code:
   a filled disc in the middle of the picture, half its smaller side across. sd_inpaint then works
   with either kind of checkpoint (sd_model_info tells which one was loaded):
   - an inpainting model (sd-v1-5-inpainting: its UNet takes 9 input channels): at every step the
     UNet sees, beside the latent it denoises, the mask and the latent of the picture with the disc
     greyed out, and paints into the hole what fits around it;
   - an ordinary model (4 channels): img2img in which, after every step, the latent outside the disc
     is put back to the input's latent noised to the level of the next step.
   Then, as AUTOMATIC1111 does, the mask is blurred (a Gaussian of --blur pixels, 4 by default) and the
   input's pixels are pasted back through it: outside the disc and its soft edge, the output is the
   input, byte for byte (--no-paste: the decoded picture as it is, changed a little everywhere by
   the VAE's round trip).

   build: make (gives build/inpaint)
   run:   build/inpaint [--blur N] [--no-paste] MODEL.safetensors MERGES.txt "a prompt" in.png out.png
                        [STRENGTH [STEPS]]
   STRENGTH: 1 (the default, as diffusers) draws the disc anew from noise; less keeps more of what
   was there. Input: PNG (any kind tools/sd_png.h reads) or binary PPM (P6, maxval 255); width and
   height multiples of 8. Output: PPM when the name ends in .ppm, PNG otherwise. */

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

/* the mask: 255 inside a disc of radius min(w, h) / 4 around the centre, 0 elsewhere (pixel centres
   measured in half pixels, so the disc is symmetric) */
static void make_mask(unsigned char *mask, int w, int h)
{
    int x, y, r = (w < h ? w : h) / 2;   /* the radius, min(w, h) / 4 pixels, in half pixels */
    for (y = 0; y < h; y++)
        for (x = 0; x < w; x++) {
            int dx = 2 * x + 1 - w, dy = 2 * y + 1 - h;
            mask[(size_t)y * w + x] = dx * dx + dy * dy <= r * r ? 255 : 0;
        }
}

int main(int argc, char **argv)
{
    const char *prog = argv[0];
    sd_model *m;
    sd_info info;
    sd_params p = sd_params_default();
    unsigned char *init, *mask, *rgb;
    const char *why = "not a PNG or a binary PPM (P6, maxval 255)";
    char magic[2] = { 0 };
    FILE *f;
    int w = 0, h = 0, ok, ppm;

    p.mask_blur = 4;                     /* A1111's defaults: mask blur 4, the input pasted back */
    p.mask_paste = 1;
    for (; argc > 1 && argv[1][0] == '-' && argv[1][1] == '-'; argc--, argv++) {
        if (!strcmp(argv[1], "--no-paste")) p.mask_paste = 0;
        else if (!strcmp(argv[1], "--blur")) {
            if (argc < 3) { fprintf(stderr, "--blur needs a number of pixels\n"); return 2; }
            p.mask_blur = atoi(argv[2]); argc--; argv++;
        } else { fprintf(stderr, "unknown option '%s'\n", argv[1]); return 2; }
    }
    if (argc < 6 || argc > 8) {
        fprintf(stderr, "usage: %s [--blur N] [--no-paste] MODEL MERGES PROMPT IN.png|IN.ppm OUT.png|OUT.ppm [STRENGTH [STEPS]]\n", prog);
        return 2;
    }
    p.prompt = argv[3];
    p.seed = 42;
    p.strength = argc > 6 ? atof(argv[6]) : 1.0;
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

    if (!(m = sd_create(NULL)) || !(mask = (unsigned char *)malloc((size_t)w * h)) || !(rgb = (unsigned char *)malloc((size_t)3 * w * h))) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    make_mask(mask, w, h);
    if (sd_load(m, argv[1]) != SD_OK || sd_load_vocab(m, argv[2]) != SD_OK || sd_model_info(m, &info) != SD_OK) {
        fprintf(stderr, "%s\n", sd_error(m));
        return 1;
    }
    /* the kind of model: the width of the UNet's first convolution's input */
    if (info.unet_in_channels == 9) fprintf(stderr, "an inpainting model (9 UNet input channels: latent, mask, masked image's latent)\n");
    else fprintf(stderr, "an ordinary model (%d UNet input channels): masked img2img\n", info.unet_in_channels);
    if (sd_inpaint(m, &p, init, mask, rgb) != SD_OK) {
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
    fprintf(stderr, "wrote %s (%dx%d, strength %g, %d steps, mask blur %d, %s)\n", argv[5], w, h, p.strength, p.steps,
            p.mask_blur, p.mask_paste ? "the input pasted back outside the mask" : "no paste-back");

    if (ppm) free(init); else sdpng_free(init);
    free(mask);
    free(rgb);
    sd_free(m);
    return 0;
}
