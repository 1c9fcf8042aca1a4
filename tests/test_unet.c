/* test_unet: the UNet. The fixtures' unet cases (both kernel sets; latent sizes that are not
   multiples of 8), then on a random model: odd latent sizes, reference vs fast, batch of 2 equal
   to two batches of 1, argument errors. A call that fails is a FAIL, whatever its output holds. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

int main(void)
{
    static const float ts[4] = { 999.0f, 500.0f, 1.0f, 937.5f };
    int fx, ref, i;
    const char *model = t_model(&fx);
    for (ref = 0; ref < (t_quick() ? 1 : 2) && fx; ref++) {
        sd_model *m = t_load(model, NULL, ref, 0);
        for (i = 0; m && i < 4; i++) {
            sd_array x = t_npy(m, "unet-%d-x.npy", i), c = t_npy(m, "unet-%d-ctx.npy", i), o = t_npy(m, "unet-%d-out.npy", i);
            char what[96];
            if (x.data && c.data && o.data && x.ndim == 4 && t_numel(&o) == t_numel(&x)) {
                size_t n = t_numel(&x);
                float *eps = (float *)malloc(sizeof(float) * n);
                snprintf(what, sizeof what, "%s unet #%d [%d,4,%d,%d] t=%g", ref ? "reference" : "fast", i, (int)x.shape[0], (int)x.shape[2], (int)x.shape[3], ts[i]);
                if (t_call(m, sd_unet(m, x.data, (int)x.shape[0], (int)x.shape[2], (int)x.shape[3], ts[i], c.data, eps), what))
                    t_close(what, eps, o.data, n, 1e-5);
                free(eps);
            } else if (x.data && c.data && o.data) t_ok(0, "fixture unet #%d: x of %d dimensions, %lu values out for %lu in", i, x.ndim,
                                                        (unsigned long)t_numel(&o), (unsigned long)t_numel(&x));
            sd_array_free(m, &x); sd_array_free(m, &c); sd_array_free(m, &o);
        }
        sd_free(m);
    }
    if (!fx) t_skip("fixture unet cases (no ../shared)");
    {
        static const int sizes[][2] = { { 8, 8 }, { 5, 7 }, { 9, 6 }, { 1, 1 }, { 13, 3 } };
        sd_model *a = t_load(model, NULL, 1, 1), *b = t_load(model, NULL, 0, 0);
        sd_rng r;
        int k;
        for (k = 0; a && b && k < (t_quick() ? 2 : 5); k++) {
            int h = sizes[k][0], w = sizes[k][1], ok;
            size_t n = (size_t)2 * 4 * h * w;
            float *x = (float *)malloc(n * 4), *ctx = (float *)malloc(sizeof(float) * 2 * SD_TOKENS * 64);
            float *e1 = (float *)malloc(n * 4), *e2 = (float *)malloc(n * 4), *e3 = (float *)malloc(n * 4);
            char what[96];
            sd_rng_seed(&r, (uint64_t)k);
            sd_randn(&r, x, n); sd_randn(&r, ctx, (size_t)2 * SD_TOKENS * 64);
            snprintf(what, sizeof what, "latent %dx%d batch 2: fast vs reference", h, w);
            ok = t_call(a, sd_unet(a, x, 2, h, w, 321.5f, ctx, e1), "reference unet, batch 2") & t_call(b, sd_unet(b, x, 2, h, w, 321.5f, ctx, e2), "fast unet, batch 2");
            if (ok) t_close(what, e2, e1, n, h * w == 1 ? 1e-4 : 1e-5);   /* 1x1: GroupNorm of single pixels amplifies rounding */
            ok = t_call(b, sd_unet(b, x, 1, h, w, 321.5f, ctx, e3), "fast unet, first of the batch") &
                 t_call(b, sd_unet(b, x + n / 2, 1, h, w, 321.5f, ctx + SD_TOKENS * 64, e3 + n / 2), "fast unet, second of the batch") && ok;
            if (ok) t_ok(!memcmp(e2, e3, n * 4), "latent %dx%d: a batch of 2 gives the same bits as two batches of 1", h, w);
            free(x); free(ctx); free(e1); free(e2); free(e3);
        }
        {
            float x[4 * 4 * 4], ctx[SD_TOKENS * 64], e[4 * 4 * 4];
            memset(x, 0, sizeof x); memset(ctx, 0, sizeof ctx);
            t_ok(sd_unet(b, x, 1, 4, 4, 1001.0f, ctx, e) == SD_ERR_ARG && strstr(sd_error(b), "0..1000"), "timestep 1001: %s", sd_error(b));
            t_ok(sd_unet(b, x, 0, 4, 4, 1.0f, ctx, e) == SD_ERR_ARG && strstr(sd_error(b), "batch"), "batch 0: %s", sd_error(b));
            t_ok(sd_unet(b, x, 1, 0, 4, 1.0f, ctx, e) == SD_ERR_ARG, "latent height 0: %s", sd_error(b));
        }
        sd_free(a); sd_free(b);
    }
    return t_done("test_unet");
}
