/* test_vae: the VAE decoder and encoder. The fixtures' cases (both kernel sets), then on a random
   model: reference vs fast at odd sizes, low-memory mode equal below one tile, the tiled decode
   against the whole-image one and against its tiles blended here, errors. A call that fails is a
   FAIL, whatever its output holds. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

static void to_unit(const sd_array *u8, float *img)   /* HxWx3 bytes -> [3,H,W] in [-1,1] */
{
    size_t h = (size_t)u8->shape[0], w = (size_t)u8->shape[1], k;
    int c;
    for (k = 0; k < h * w; k++)
        for (c = 0; c < 3; c++) img[(size_t)c * h * w + k] = 2.0f * (u8->data[3 * k + (size_t)c] / 255.0f) - 1.0f;
}

static void fixture_cases(sd_model *m, const char *kernels, int i)
{
    sd_array z = t_npy(m, "vaedec-%d-z.npy", i), o = t_npy(m, "vaedec-%d-out.npy", i);
    sd_array img = t_npy(m, "vaeenc-%d-img.npy", i), mean = t_npy(m, "vaeenc-%d-mean.npy", i), lv = t_npy(m, "vaeenc-%d-logvar.npy", i);
    char what[96];
    if (z.data && o.data && z.ndim == 4 && t_numel(&o) == (size_t)3 * 64 * z.shape[2] * z.shape[3]) {
        size_t hw = (size_t)(z.shape[2] * z.shape[3]);
        float *out = (float *)malloc(sizeof(float) * 3 * 64 * hw);
        snprintf(what, sizeof what, "%s decode #%d latent %dx%d", kernels, i, (int)z.shape[2], (int)z.shape[3]);
        if (t_call(m, sd_vae_decode(m, z.data, (int)z.shape[2], (int)z.shape[3], out), what)) t_close(what, out, o.data, 3 * 64 * hw, 1e-5);
        free(out);
    } else if (z.data && o.data) t_ok(0, "fixture decode #%d: z of %d dimensions, %lu values out", i, z.ndim, (unsigned long)t_numel(&o));
    if (img.data && mean.data && lv.data && img.ndim == 3 && t_numel(&mean) == (size_t)(img.shape[0] * img.shape[1] / 16) && t_numel(&lv) == t_numel(&mean)) {
        size_t hw = (size_t)(img.shape[0] * img.shape[1]);
        float *x = (float *)malloc(sizeof(float) * 3 * hw), *gm = (float *)malloc(sizeof(float) * 4 * hw / 64), *gl = (float *)malloc(sizeof(float) * 4 * hw / 64);
        to_unit(&img, x);
        snprintf(what, sizeof what, "%s encode #%d", kernels, i);
        if (t_call(m, sd_vae_encode(m, x, (int)img.shape[0], (int)img.shape[1], gm, gl), what)) {
            snprintf(what, sizeof what, "%s encode #%d mean", kernels, i);
            t_close(what, gm, mean.data, 4 * hw / 64, 1e-5);
            snprintf(what, sizeof what, "%s encode #%d logvar", kernels, i);
            t_close(what, gl, lv.data, 4 * hw / 64, 1e-5);
        }
        free(x); free(gm); free(gl);
    } else if (img.data && mean.data && lv.data) t_ok(0, "fixture encode #%d: image of %d dimensions, %lu mean and %lu logvar values", i, img.ndim,
                                                       (unsigned long)t_numel(&mean), (unsigned long)t_numel(&lv));
    sd_array_free(m, &z); sd_array_free(m, &o); sd_array_free(m, &img); sd_array_free(m, &mean); sd_array_free(m, &lv);
}

/* the weight of pixel i of a tile at pixel s, len long, in a side of n pixels: 1, down to 0 in a
   straight line over the `ramp` pixels at each edge where the neighbouring tile takes over */
static double ramp_weight(int i, int s, int len, int n, int ramp)
{
    double up = s > 0 && i < ramp ? (i + 0.5) / ramp : 1, down = s + len < n && len - 1 - i < ramp ? (len - i - 0.5) / ramp : 1;
    return up < down ? up : down;
}

/* the low-memory decode as it is meant to be: tiles of SD__TILE latents, SD__OVERLAP apart at the
   least (the last one flush with the edge), each decoded whole by m, blended by the product of
   the ramps across each side */
static void tiles_blended(sd_model *m, const float *z, int h, int w, float *out)
{
    int T = SD__TILE, f = 8, ys[64], xs[64], ny = 0, nx = 0, a, b, c, y, x;
    size_t ohw = (size_t)h * f * w * f, i;
    float *tz = (float *)malloc(sizeof(float) * 4 * T * T), *ti = (float *)malloc(sizeof(float) * 3 * T * f * T * f);
    double *sum = (double *)calloc(3 * ohw, sizeof(double)), *wsum = (double *)calloc(ohw, sizeof(double));
    for (y = 0; y + T < h; y += T - SD__OVERLAP) ys[ny++] = y;
    ys[ny++] = h - T;
    for (x = 0; x + T < w; x += T - SD__OVERLAP) xs[nx++] = x;
    xs[nx++] = w - T;
    for (a = 0; a < ny; a++)
        for (b = 0; b < nx; b++) {
            for (c = 0; c < 4; c++)
                for (y = 0; y < T; y++) memcpy(tz + ((size_t)c * T + y) * T, z + ((size_t)c * h + ys[a] + y) * w + xs[b], sizeof(float) * T);
            if (!t_call(m, sd_vae_decode(m, tz, T, T, ti), "decoding one tile")) continue;
            for (y = 0; y < T * f; y++)
                for (x = 0; x < T * f; x++) {
                    double wt = ramp_weight(y, ys[a] * f, T * f, h * f, SD__OVERLAP * f) * ramp_weight(x, xs[b] * f, T * f, w * f, SD__OVERLAP * f);
                    size_t at = (size_t)(ys[a] * f + y) * w * f + (size_t)xs[b] * f + x;
                    for (c = 0; c < 3; c++) sum[c * ohw + at] += wt * ti[((size_t)c * T * f + y) * T * f + x];
                    wsum[at] += wt;
                }
        }
    for (i = 0; i < 3 * ohw; i++) out[i] = (float)(sum[i] / wsum[i % ohw]);
    free(tz); free(ti); free(sum); free(wsum);
}

int main(void)
{
    int fx, ref, i;
    const char *model = t_model(&fx);
    for (ref = 0; ref < (t_quick() ? 1 : 2) && fx; ref++) {
        sd_model *m = t_load(model, NULL, ref, 0);
        for (i = 0; m && i < 2; i++) fixture_cases(m, ref ? "reference" : "fast", i);
        sd_free(m);
    }
    if (!fx) t_skip("fixture vae cases (no ../shared)");
    {
        sd_model *a = t_load(model, NULL, 1, 1), *b = t_load(model, NULL, 0, 0);
        sd_config lc = sd_config_default();
        sd_model *lowm;
        sd_rng r;
        int h = 5, w = 7;
        float *z = (float *)malloc(sizeof(float) * 4 * 48 * 48), *i1 = (float *)malloc(sizeof(float) * 3 * 384 * 384), *i2 = (float *)malloc(sizeof(float) * 3 * 384 * 384);
        float *m1 = (float *)malloc(sizeof(float) * 4 * 40 * 40), *m2 = (float *)malloc(sizeof(float) * 4 * 40 * 40), *l1 = (float *)malloc(sizeof(float) * 4 * 40 * 40);
        lc.low_memory = 1;
        lowm = sd_create(&lc);
        if (!a || !b || !lowm || !t_call(lowm, sd_load(lowm, model), "loading the model in low-memory mode")) {
            t_ok(0, "the models for the VAE checks load");
            sd_free(a); sd_free(b); sd_free(lowm);
            free(z); free(i1); free(i2); free(m1); free(m2); free(l1);
            return t_done("test_vae");
        }
        sd_rng_seed(&r, 3);
        sd_randn(&r, z, 4 * (size_t)h * w);
        if (t_call(a, sd_vae_decode(a, z, h, w, i1), "reference decode 5x7") & t_call(b, sd_vae_decode(b, z, h, w, i2), "fast decode 5x7")) {
            t_close("decode latent 5x7: fast vs reference", i2, i1, (size_t)3 * 64 * h * w, 1e-5);
            if (t_call(lowm, sd_vae_decode(lowm, z, h, w, i1), "low-memory decode 5x7"))
                t_ok(!memcmp(i1, i2, sizeof(float) * 3 * 64 * h * w), "decode latent 5x7: low-memory mode gives the same bits below one tile");
        }
        sd_randn(&r, i1, (size_t)3 * 40 * 56);
        if (t_call(a, sd_vae_encode(a, i1, 40, 56, m1, l1), "reference encode 40x56") & t_call(b, sd_vae_encode(b, i1, 40, 56, m2, l1), "fast encode 40x56"))
            t_close("encode 40x56: fast vs reference", m2, m1, (size_t)4 * 5 * 7, 1e-5);
        if (!t_quick()) {   /* tiled decode of a 48x48 latent: two 40-latent tiles each way */
            size_t n = (size_t)3 * 384 * 384;
            sd_randn(&r, z, 4 * 48 * 48);
            if (t_call(b, sd_vae_decode(b, z, 48, 48, i1), "whole-image decode 48x48")) {
                double whole = sd_last_flops(b);
                if (t_call(lowm, sd_vae_decode(lowm, z, 48, 48, i2), "tiled decode 48x48")) {
                    t_ok(sd_last_flops(lowm) > whole && sd_last_flops(lowm) < 3 * whole,
                         "tiled decode counts the work of every tile: %.3g GFLOP, whole image %.3g", sd_last_flops(lowm) / 1e9, whole / 1e9);
                    /* the tiles see less of the image than the whole decode does: 5.4e-2 on the fixture
                       model, 6.0e-2 on its random twin. Blended without ramps they give 0.17, with a tile
                       left out 0.19-0.21 (or NaN), with ramps of half the length 0.078-0.082; the check
                       after this one sees any change to the blend */
                    t_close("tiled decode 48x48 vs the whole-image decode", i2, i1, n, 0.075);
                    tiles_blended(b, z, 48, 48, i1);
                    t_close("tiled decode 48x48 = its tiles decoded whole, blended here", i2, i1, n, 1e-6);
                }
            }
        }
        t_ok(sd_vae_encode(b, i1, 60, 64, m1, l1) == SD_ERR_ARG && strstr(sd_error(b), "multiples of 8"), "encode 64x60: %s", sd_error(b));
        t_ok(sd_vae_decode(b, z, 0, 4, i1) == SD_ERR_ARG, "decode 0x4: %s", sd_error(b));
        free(z); free(i1); free(i2); free(m1); free(m2); free(l1);
        sd_free(a); sd_free(b); sd_free(lowm);
    }
    return t_done("test_vae");
}
