/* test_winograd: whole stages with Winograd's convolutions against the same stages with direct
   ones (sd_config.winograd 0, the default, and 4, F(4x4,3x3) everywhere it applies, against -1):
   the UNet's eps and the VAE's decoded image, relative L2, on
     - the tiny random model (the fixture's, or mkmodel's stand-in),
     - the demo model (tools/toy/model.safetensors, trained weights; SKIP when absent),
     - with SD_TEST_BIG=1, build/sd15.safetensors (make bench writes it): the SD 1.5-sized random
       checkpoint at 512x512 (a 64x64 latent; about a minute on 2 cores; the closing note's figures).
   Every stage must stay within the fixtures' stage bound (1e-4). Threads: the default. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

static sd_model *load(const char *path, int winograd)
{
    sd_config c = sd_config_default();
    c.winograd = winograd;
    return t_load_config(&c, path, NULL);
}

/* eps of the UNet (batch 2, latent h x w) and the decoded image of a latent, each winograd against direct */
static void compare(const char *name, const char *path, int h, int w)
{
    static const int variants[2] = { 0, 4 };
    sd_model *d = load(path, -1);
    sd_info in;
    size_t nx = (size_t)2 * 4 * h * w, nctx, nimg = (size_t)3 * 8 * h * 8 * w;
    float *x, *ctx, *eps_d, *eps_w, *img_d, *img_w;
    sd_rng r;
    int v;
    if (!d) return;
    if (sd_model_info(d, &in) != SD_OK) { t_ok(0, "%s: sd_model_info: %s", name, sd_error(d)); sd_free(d); return; }
    nctx = (size_t)2 * SD_TOKENS * in.context_dim;
    x = (float *)malloc(nx * 4); ctx = (float *)malloc(nctx * 4);
    eps_d = (float *)malloc(nx * 4); eps_w = (float *)malloc(nx * 4);
    img_d = (float *)malloc(nimg * 4); img_w = (float *)malloc(nimg * 4);
    sd_rng_seed(&r, 7);
    sd_randn(&r, x, nx); sd_randn(&r, ctx, nctx);
    if (t_call(d, sd_unet(d, x, 2, h, w, 500.0f, ctx, eps_d), "direct UNet") &&
        t_call(d, sd_vae_decode(d, x, h, w, img_d), "direct VAE decode"))
        for (v = 0; v < 2; v++) {
            sd_model *m = load(path, variants[v]);
            char what[160];
            if (!m) continue;
            snprintf(what, sizeof what, "%s UNet [2,4,%d,%d], %s vs direct", name, h, w, v ? "F(4x4) wherever it applies" : "default");
            if (t_call(m, sd_unet(m, x, 2, h, w, 500.0f, ctx, eps_w), what)) t_close(what, eps_w, eps_d, nx, 1e-4);
            snprintf(what, sizeof what, "%s VAE decode %dx%d, %s vs direct", name, 8 * h, 8 * w, v ? "F(4x4) wherever it applies" : "default");
            if (t_call(m, sd_vae_decode(m, x, h, w, img_w), what)) t_close(what, img_w, img_d, nimg, 1e-4);
            sd_free(m);
        }
    free(x); free(ctx); free(eps_d); free(eps_w); free(img_d); free(img_w);
    sd_free(d);
}

int main(void)
{
    int fx;
    FILE *f;
    compare("tiny random model", t_model(&fx), 16, 16);
    if ((f = fopen("tools/toy/model.safetensors", "rb")) != NULL) {
        fclose(f);
        compare("demo model", "tools/toy/model.safetensors", 8, 8);
    } else t_skip("the demo model (tools/toy/model.safetensors is not there)");
    if (getenv("SD_TEST_BIG")) compare("SD 1.5-sized random model", "build/sd15.safetensors", 64, 64);
    else t_skip("the SD 1.5-sized model at 512x512 (SD_TEST_BIG=1, after make bench)");
    return t_done("test_winograd");
}
