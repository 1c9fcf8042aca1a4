/* test_vae: the VAE decoder and encoder. The fixtures' cases (both kernel sets), then on a random
   model: reference vs fast at odd sizes, low-memory mode equal below one tile, errors. */
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

int main(void)
{
    int fx, ref, i;
    const char *model = t_model(&fx);
    for (ref = 0; ref < (t_quick() ? 1 : 2) && fx; ref++) {
        sd_model *m = t_load(model, NULL, ref, 0);
        for (i = 0; m && i < 2; i++) {
            char f1[64], f2[64], f3[64], what[96];
            sd_array z, o, img, mean, lv;
            float *out, *x, *gm, *gl;
            size_t hw;
            snprintf(f1, sizeof f1, "vaedec-%d-z.npy", i); snprintf(f2, sizeof f2, "vaedec-%d-out.npy", i);
            sd_npy_read(m, t_fixture(f1), &z); sd_npy_read(m, t_fixture(f2), &o);
            hw = (size_t)(z.shape[2] * z.shape[3]);
            out = (float *)malloc(sizeof(float) * 3 * 64 * hw);
            sd_vae_decode(m, z.data, (int)z.shape[2], (int)z.shape[3], out);
            snprintf(what, sizeof what, "%s decode #%d latent %dx%d", ref ? "reference" : "fast", i, (int)z.shape[2], (int)z.shape[3]);
            t_close(what, out, o.data, 3 * 64 * hw, 1e-5);
            free(out); sd_array_free(m, &z); sd_array_free(m, &o);
            snprintf(f1, sizeof f1, "vaeenc-%d-img.npy", i); snprintf(f2, sizeof f2, "vaeenc-%d-mean.npy", i); snprintf(f3, sizeof f3, "vaeenc-%d-logvar.npy", i);
            sd_npy_read(m, t_fixture(f1), &img); sd_npy_read(m, t_fixture(f2), &mean); sd_npy_read(m, t_fixture(f3), &lv);
            hw = (size_t)(img.shape[0] * img.shape[1]);
            x = (float *)malloc(sizeof(float) * 3 * hw); gm = (float *)malloc(sizeof(float) * 4 * hw / 64); gl = (float *)malloc(sizeof(float) * 4 * hw / 64);
            to_unit(&img, x);
            sd_vae_encode(m, x, (int)img.shape[0], (int)img.shape[1], gm, gl);
            snprintf(what, sizeof what, "%s encode #%d mean", ref ? "reference" : "fast", i);
            t_close(what, gm, mean.data, 4 * hw / 64, 1e-5);
            snprintf(what, sizeof what, "%s encode #%d logvar", ref ? "reference" : "fast", i);
            t_close(what, gl, lv.data, 4 * hw / 64, 1e-5);
            free(x); free(gm); free(gl); sd_array_free(m, &img); sd_array_free(m, &mean); sd_array_free(m, &lv);
        }
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
        sd_load(lowm, model);
        sd_rng_seed(&r, 3);
        sd_randn(&r, z, 4 * (size_t)h * w);
        sd_vae_decode(a, z, h, w, i1);
        sd_vae_decode(b, z, h, w, i2);
        t_close("decode latent 5x7: fast vs reference", i2, i1, (size_t)3 * 64 * h * w, 1e-5);
        sd_vae_decode(lowm, z, h, w, i1);
        t_ok(!memcmp(i1, i2, sizeof(float) * 3 * 64 * h * w), "decode latent 5x7: low-memory mode gives the same bits below one tile");
        sd_randn(&r, i1, (size_t)3 * 40 * 56);
        sd_vae_encode(a, i1, 40, 56, m1, l1);
        sd_vae_encode(b, i1, 40, 56, m2, l1);
        t_close("encode 40x56: fast vs reference", m2, m1, (size_t)4 * 5 * 7, 1e-5);
        if (!t_quick()) {
        sd_randn(&r, z, 4 * 48 * 48);   /* tiled decode of a 48x48 latent (over one 40 tile): finite, close */
        sd_vae_decode(b, z, 48, 48, i1);
        {
            double whole = sd_last_flops(b);
            sd_vae_decode(lowm, z, 48, 48, i2);
            t_ok(sd_last_flops(lowm) > whole && sd_last_flops(lowm) < 3 * whole,
                 "tiled decode counts the work of every tile: %.3g GFLOP, whole image %.3g", sd_last_flops(lowm) / 1e9, whole / 1e9);
        }
        {
            double num = 0, den = 0;
            size_t k, n = (size_t)3 * 384 * 384;
            int finite = 1;
            for (k = 0; k < n; k++) { num += (i1[k] - i2[k]) * (i1[k] - i2[k]); den += i1[k] * i1[k]; if (i2[k] - i2[k] != 0) finite = 0; }
            t_ok(finite, "tiled decode (low-memory, 48x48 latent in 40-latent tiles): finite; rel L2 %.2e from the whole-image decode", sqrt(num / den));
        }
        }
        t_ok(sd_vae_encode(b, i1, 60, 64, m1, l1) == SD_ERR_ARG && strstr(sd_error(b), "multiples of 8"), "encode 64x60: %s", sd_error(b));
        t_ok(sd_vae_decode(b, z, 0, 4, i1) == SD_ERR_ARG, "decode 0x4: %s", sd_error(b));
        free(z); free(i1); free(i2); free(m1); free(m2); free(l1);
        sd_free(a); sd_free(b); sd_free(lowm);
    }
    return t_done("test_vae");
}
