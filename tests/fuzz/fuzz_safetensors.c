/* fuzz_safetensors - sd_load_memory on arbitrary checkpoints: the safetensors header (a strict
   JSON parser), the tensor table (sizes, offsets, overlaps, duplicate names), the renaming of
   diffusers / bare-VAE / transformers layouts, shape inference of the UNet, VAE and text
   encoder; then, for a model small enough, one pass of each stage it has.

   Input: one flag byte, then the payload.
     bit 0     1: the payload is the whole file (at most 1 MB)
               0: the payload is the JSON header alone; the file is built around it: its 8-byte
                  length, the header, then data of as many bytes as the largest number written
                  in the header (at most 8 MB), so offsets the fuzzer writes are usually inside
     bit 1     the data: 0 zeros, 1 small finite values (as F16, F32, BF16 and F64 alike)
     bit 2     run the stages when the model is small (text encoder, UNet, VAE decode and encode)
     bit 3     sd_config.low_memory
     bit 4     sd_config.reference (the scalar kernels)
     bits 5-6  latent height and width for the stages, 1..4
     bit 7     clip skip 2 instead of 1
   Checks: a failed load leaves a message and no model (sd_model_info says SD_ERR_STATE); a
   load that succeeds has the parts sd_model_info reports; a loaded model's stages succeed on
   valid arguments, or report NaN/Inf (SD_ERR_NUMERIC) or memory (SD_ERR_NOMEM), nothing else;
   outputs go to buffers of exactly the documented size, so a stage writing more is an ASan
   report. */
#define SD_STATIC
#define SD_IMPLEMENTATION
#include "../../sd.h"
#include <stdio.h>
#include <stdlib.h>
#define FUZZ_NAME "fuzz_safetensors"
#include "fuzz.h"

#define FUZZ_MAX_DATA ((size_t)4 << 20)

static unsigned char *fuzz_file;       /* length, header, data: built for each header-mode input */
static int fuzz_verbose;               /* $FUZZ_VERBOSE: print what each input did */
static unsigned char *fuzz_pattern;    /* FUZZ_MAX_DATA bytes of F16 values in 0.06..0.125: small
                                          finite values read as F16, F32, BF16 or F64 alike */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    size_t i;
    (void)argc; (void)argv;
    fuzz_verbose = getenv("FUZZ_VERBOSE") != NULL;
    fuzz_file = (unsigned char *)malloc(8 + ((size_t)1 << 20) + FUZZ_MAX_DATA);
    fuzz_pattern = (unsigned char *)malloc(FUZZ_MAX_DATA);
    if (!fuzz_file || !fuzz_pattern) abort();
    for (i = 0; i < FUZZ_MAX_DATA; i += 2) { fuzz_pattern[i] = (unsigned char)(0x33 * (i >> 1)); fuzz_pattern[i + 1] = (unsigned char)(0x2C + (i >> 1) % 3); }
    return 0;
}

/* the largest decimal number in the header, capped (the data size that fits its offsets) */
static size_t fuzz_largest_number(const unsigned char *h, size_t n)
{
    size_t i, best = 0, v = 0;
    int in = 0;
    for (i = 0; i <= n; i++) {
        if (i < n && h[i] >= '0' && h[i] <= '9') {
            v = v > FUZZ_MAX_DATA ? v : v * 10 + (size_t)(h[i] - '0');
            in = 1;
        } else if (in) {
            if (v > best) best = v;
            v = 0; in = 0;
        }
    }
    return best > FUZZ_MAX_DATA ? FUZZ_MAX_DATA : best;
}

static int fuzz_finite_or_numeric(sd_result r) { return r == SD_OK || r == SD_ERR_NUMERIC || r == SD_ERR_NOMEM; }

static void fuzz_say(sd_model *m, const char *what, sd_result r)
{
    if (fuzz_verbose) fprintf(stderr, "fuzz_safetensors: %s: %s %s\n", what, sd_result_name(r), sd_error(m));
}

/* a few floats, exactly n of them, with small values */
static float *fuzz_floats(size_t n)
{
    float *p = (float *)malloc((n ? n : 1) * sizeof(float));
    size_t i;
    if (!p) abort();
    for (i = 0; i < n; i++) p[i] = 0.01f * (float)((int)(i % 17) - 8);
    return p;
}

static void fuzz_stages(sd_model *m, const sd_info *in, int flags)
{
    int hw = 1 + ((flags >> 5) & 3), clip_skip = flags & 128 ? 2 : 1;
    double cost = (double)in->params_text * 77 + (double)in->params_unet * hw * hw + (double)in->params_vae * 64 * hw * hw * 2;
    sd_result r;
    if (cost > 6e7) return;   /* keeps each input under a second or so */
    if (in->has_text && in->text_width <= 4096) {
        int ids[SD_TOKENS], i;
        float *out = fuzz_floats((size_t)SD_TOKENS * in->text_width);
        for (i = 0; i < SD_TOKENS; i++) ids[i] = (i * 7) % in->text_vocab;
        r = sd_text_encode(m, ids, clip_skip <= in->text_layers ? clip_skip : 1, out);
        fuzz_say(m, "text", r);
        if (!fuzz_finite_or_numeric(r)) fprintf(stderr, "fuzz_safetensors: text: %s\n", sd_error(m));
        fuzz_check(fuzz_finite_or_numeric(r), "the text encoder of a loaded model runs");
        free(out);
    }
    if (in->has_unet && in->context_dim <= 4096) {
        float *x = fuzz_floats((size_t)4 * hw * hw), *ctx = fuzz_floats((size_t)SD_TOKENS * in->context_dim);
        float *eps = fuzz_floats((size_t)4 * hw * hw);
        r = sd_unet(m, x, 1, hw, hw, 999.0f, ctx, eps);
        fuzz_say(m, "unet", r);
        if (!fuzz_finite_or_numeric(r)) fprintf(stderr, "fuzz_safetensors: unet: %s\n", sd_error(m));
        fuzz_check(fuzz_finite_or_numeric(r), "the UNet of a loaded model runs");
        free(x); free(ctx); free(eps);
    }
    if (in->has_vae && in->latent_channels <= 64) {
        size_t z = (size_t)in->latent_channels * hw * hw, img = (size_t)3 * 64 * hw * hw;
        float *lat = fuzz_floats(z), *image = fuzz_floats(img), *mean = fuzz_floats(z), *logvar = fuzz_floats(z);
        r = sd_vae_decode(m, lat, hw, hw, image);
        fuzz_say(m, "vae decode", r);
        if (!fuzz_finite_or_numeric(r)) fprintf(stderr, "fuzz_safetensors: vae decode: %s\n", sd_error(m));
        fuzz_check(fuzz_finite_or_numeric(r), "the VAE decoder of a loaded model runs");
        r = sd_vae_encode(m, image, 8 * hw, 8 * hw, mean, logvar);
        fuzz_say(m, "vae encode", r);
        if (!fuzz_finite_or_numeric(r)) fprintf(stderr, "fuzz_safetensors: vae encode: %s\n", sd_error(m));
        fuzz_check(fuzz_finite_or_numeric(r), "the VAE encoder of a loaded model runs");
        free(lat); free(image); free(mean); free(logvar);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sd_config c = sd_config_default();
    sd_model *m;
    sd_info info;
    const unsigned char *file;
    size_t n, hlen;
    int flags, i;
    sd_result r;
    if (size < 1 || size > ((size_t)1 << 20) + 1) return 0;
    flags = data[0];
    if (flags & 1) {                       /* the whole file */
        file = data + 1;
        n = size - 1;
    } else {                               /* a header: length + header + data */
        size_t dsize;
        hlen = size - 1;
        dsize = fuzz_largest_number(data + 1, hlen);
        for (i = 0; i < 8; i++) fuzz_file[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
        memcpy(fuzz_file + 8, data + 1, hlen);
        if (flags & 2) memcpy(fuzz_file + 8 + hlen, fuzz_pattern, dsize);
        else memset(fuzz_file + 8 + hlen, 0, dsize);
        file = fuzz_file;
        n = 8 + hlen + dsize;
    }
    c.n_threads = 1;
    c.low_memory = (flags >> 3) & 1;
    c.reference = (flags >> 4) & 1;
    c.memory_limit = (size_t)1 << 30;
    m = sd_create(&c);
    if (!m) return 0;
    r = sd_load_memory(m, file, n);
    fuzz_say(m, "load", r);
    if (r == SD_OK) {
        fuzz_check(sd_model_info(m, &info) == SD_OK, "sd_model_info after a load");
        fuzz_check(info.n_tensors > 0 && (info.has_unet || info.has_vae || info.has_text), "a loaded model has a part");
        fuzz_check(!info.has_text || (info.text_width > 0 && info.text_vocab >= 2 && info.text_layers >= 1), "a text encoder's shape");
        fuzz_check(!info.has_unet || (info.unet_channels > 0 && info.unet_levels >= 2 && info.context_dim > 0), "a UNet's shape");
        fuzz_check(!info.has_vae || (info.vae_channels > 0 && info.vae_levels >= 1 && info.latent_channels > 0), "a VAE's shape");
        if (flags & 4) fuzz_stages(m, &info, flags);
    } else {
        fuzz_check(sd_error(m)[0] != 0, "a message on failure");
        fuzz_check(sd_model_info(m, &info) == SD_ERR_STATE, "no model after a failed load");
    }
    sd_free(m);
    return 0;
}
