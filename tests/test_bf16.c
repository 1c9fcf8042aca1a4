/* test_bf16: whole stages with the products in bfloat16 (sd_config.bf16 = 1) against the same stages
   in float32 (the default): the text encoder's hidden states, the UNet's eps and the VAE's decoded
   image, relative L2, on
     - the tiny random model (the fixture's, or mkmodel's stand-in),
     - the demo model (tools/toy/model.safetensors, trained weights; SKIP when absent),
     - with SD_TEST_BIG=1, build/sd15.safetensors (make bench writes it): the SD 1.5-sized random
       checkpoint at 512x512 (a 64x64 latent; about a minute on 2 cores; README's figures).
   Each must stay within BF16_TOL (bfloat16 keeps 8 bits of each factor: 2^-9 = 2e-3 a product,
   a few 1e-3 a layer). And in bfloat16 too the bits do not depend on the thread count: the tiny
   model's UNet and VAE on 1 thread and on 3 give the same floats. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

#define BF16_TOL 2e-2

static sd_model *load(const char *path, int bf16, int threads)
{
    sd_config c = sd_config_default();
    c.bf16 = bf16;
    c.n_threads = threads;
    return t_load_config(&c, path, NULL);
}

/* the three stages of model m on fixed inputs: hidden states [77, width], eps [2,4,h,w], image [3,8h,8w] */
static int run(sd_model *m, const char *what, int h, int w, float *txt, float *eps, float *img)
{
    sd_info in;
    size_t nx = (size_t)2 * 4 * h * w, nctx;
    float *x, *ctx;
    int ids[SD_TOKENS], i, ok;
    sd_rng r;
    char msg[160];
    if (sd_model_info(m, &in) != SD_OK) return 0;
    nctx = (size_t)2 * SD_TOKENS * in.context_dim;
    x = (float *)malloc(nx * 4); ctx = (float *)malloc(nctx * 4);
    sd_rng_seed(&r, 7);
    sd_randn(&r, x, nx); sd_randn(&r, ctx, nctx);
    for (i = 0; i < SD_TOKENS; i++) ids[i] = i < 12 ? (320 + 37 * i) % (in.text_vocab - 2) : in.text_vocab - 1;
    ids[0] = in.text_vocab - 2;
    snprintf(msg, sizeof msg, "%s: text encoder", what);
    ok = t_call(m, sd_text_encode(m, ids, 1, txt), msg);
    snprintf(msg, sizeof msg, "%s: UNet", what);
    ok = ok && t_call(m, sd_unet(m, x, 2, h, w, 500.0f, ctx, eps), msg);
    snprintf(msg, sizeof msg, "%s: VAE decode", what);
    ok = ok && t_call(m, sd_vae_decode(m, x, h, w, img), msg);
    free(x); free(ctx);
    return ok;
}

static void compare(const char *name, const char *path, int h, int w, int threads_too)
{
    sd_model *f = load(path, 0, 0), *b;
    sd_info in;
    size_t nx = (size_t)2 * 4 * h * w, nimg = (size_t)3 * 8 * h * 8 * w, ntxt;
    float *txt_f, *txt_b, *eps_f, *eps_b, *img_f, *img_b;
    char what[160];
    if (!f) return;
    if (sd_model_info(f, &in) != SD_OK) { sd_free(f); return; }
    ntxt = (size_t)SD_TOKENS * in.text_width;
    txt_f = (float *)malloc(ntxt * 4); txt_b = (float *)malloc(ntxt * 4);
    eps_f = (float *)malloc(nx * 4); eps_b = (float *)malloc(nx * 4);
    img_f = (float *)malloc(nimg * 4); img_b = (float *)malloc(nimg * 4);
    if (run(f, "float32", h, w, txt_f, eps_f, img_f) && (b = load(path, 1, threads_too ? 1 : 0)) != NULL) {
        if (run(b, "bfloat16", h, w, txt_b, eps_b, img_b)) {
            snprintf(what, sizeof what, "%s text encoder, bfloat16 vs float32", name);
            t_close(what, txt_b, txt_f, ntxt, BF16_TOL);
            snprintf(what, sizeof what, "%s UNet [2,4,%d,%d], bfloat16 vs float32", name, h, w);
            t_close(what, eps_b, eps_f, nx, BF16_TOL);
            snprintf(what, sizeof what, "%s VAE decode %dx%d, bfloat16 vs float32", name, 8 * h, 8 * w);
            t_close(what, img_b, img_f, nimg, BF16_TOL);
        }
        sd_free(b);
        if (threads_too && (b = load(path, 1, 3)) != NULL) {   /* the same model in bfloat16 on 3 threads: the same bits */
            if (run(b, "bfloat16, 3 threads", h, w, txt_f, eps_f, img_f)) {
                t_ok(!memcmp(txt_f, txt_b, ntxt * 4), "%s text encoder, bfloat16: 1 thread and 3 give the same bits", name);
                t_ok(!memcmp(eps_f, eps_b, nx * 4), "%s UNet, bfloat16: 1 thread and 3 give the same bits", name);
                t_ok(!memcmp(img_f, img_b, nimg * 4), "%s VAE decode, bfloat16: 1 thread and 3 give the same bits", name);
            }
            sd_free(b);
        }
    }
    free(txt_f); free(txt_b); free(eps_f); free(eps_b); free(img_f); free(img_b);
    sd_free(f);
}

int main(void)
{
    int fx;
    FILE *f;
    compare("tiny random model", t_model(&fx), 16, 16, 1);
    if ((f = fopen("tools/toy/model.safetensors", "rb")) != NULL) {
        fclose(f);
        compare("demo model", "tools/toy/model.safetensors", 8, 8, 0);
    } else t_skip("the demo model (tools/toy/model.safetensors is not there)");
    if (getenv("SD_TEST_BIG")) compare("SD 1.5-sized random model", "build/sd15.safetensors", 64, 64, 0);
    else t_skip("the SD 1.5-sized model at 512x512 (SD_TEST_BIG=1, after make bench)");
    return t_done("test_bf16");
}
