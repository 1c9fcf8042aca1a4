/* test_pipeline: txt2img and img2img. The fixtures' pipeline cases (latent, float image, 8-bit
   image; both kernel sets), then the progress callback and cancelling, guidance 1, clip skip,
   and parameter validation. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

typedef struct fcase { const char *name, *prompt, *neg; uint64_t seed; int steps; float cfg; sd_sampler s; int w, h; double strength; } fcase;

static void fixture_case(sd_model *m, const fcase *c, const char *kernels)
{
    char f[128], what[128];
    sd_array lat, img, u8, init;
    sd_params p = sd_params_default();
    size_t npix = (size_t)c->w * c->h, k;
    unsigned char *rgb = (unsigned char *)malloc(npix * 3), *ib = NULL;
    int worst = 0;
    p.prompt = c->prompt; p.negative_prompt = c->neg; p.seed = c->seed; p.steps = c->steps; p.cfg_scale = c->cfg; p.sampler = c->s;
    p.width = c->w; p.height = c->h; p.strength = c->strength;
    p.latent_out = (float *)malloc(sizeof(float) * npix / 16);
    p.image_out = (float *)malloc(sizeof(float) * npix * 3);
    snprintf(f, sizeof f, "%s-latent.npy", c->name); sd_npy_read(m, t_fixture(f), &lat);
    snprintf(f, sizeof f, "%s-image.npy", c->name); sd_npy_read(m, t_fixture(f), &img);
    snprintf(f, sizeof f, "%s-u8.npy", c->name); sd_npy_read(m, t_fixture(f), &u8);
    if (c->strength > 0) {
        snprintf(f, sizeof f, "%s-init.npy", c->name); sd_npy_read(m, t_fixture(f), &init);
        ib = (unsigned char *)malloc(npix * 3);
        for (k = 0; k < npix * 3; k++) ib[k] = (unsigned char)init.data[k];
        sd_array_free(m, &init);
        t_ok(sd_img2img(m, &p, ib, rgb) == SD_OK, "%s %s runs (%s)", kernels, c->name, sd_error(m));
    } else t_ok(sd_txt2img(m, &p, rgb) == SD_OK, "%s %s runs (%s)", kernels, c->name, sd_error(m));
    snprintf(what, sizeof what, "%s %s latent", kernels, c->name);
    t_close(what, p.latent_out, lat.data, npix / 16, 1e-5);
    snprintf(what, sizeof what, "%s %s image", kernels, c->name);
    t_close(what, p.image_out, img.data, npix * 3, 1e-5);
    for (k = 0; k < npix * 3; k++) { int d = abs(rgb[k] - (int)u8.data[k]); if (d > worst) worst = d; }
    t_ok(worst <= 1, "%s %s 8-bit image: max difference %d of 255", kernels, c->name, worst);
    free(rgb); free(ib); free(p.latent_out); free(p.image_out);
    sd_array_free(m, &lat); sd_array_free(m, &img); sd_array_free(m, &u8);
}

typedef struct counter { int calls, last, total, stop_at; } counter;
static int on_step(void *user, const sd_progress *pr)
{
    counter *c = (counter *)user;
    c->calls++; c->last = pr->step; c->total = pr->total;
    return c->stop_at && pr->step == c->stop_at;
}

int main(void)
{
    static const fcase cases[4] = {
        { "t2i-ddim", "a photo of an astronaut riding a horse on mars", "", 42, 10, 7.5f, SD_SAMPLER_DDIM, 64, 64, 0 },
        { "t2i-euler", "A spooky witch dressed in white, in front of a dark house during the sunset", "blurry", 1, 8, 5.0f, SD_SAMPLER_EULER, 64, 64, 0 },
        { "t2i-euler_a", "a photo of an astronaut riding a horse on mars", "", 7, 6, 7.5f, SD_SAMPLER_EULER_A, 80, 64, 0 },
        { "i2i-ddim", "A spooky witch dressed in white, in front of a dark house during the sunset", "", 3, 10, 7.5f, SD_SAMPLER_DDIM, 64, 64, 0.6 } };
    int fx, realv, ref, i;
    const char *model = t_model(&fx), *vocab = t_vocab(&realv);
    for (ref = 0; ref < (t_quick() ? 0 : 2) && fx && realv; ref++) {
        sd_model *m = t_load(model, vocab, ref, 0);
        for (i = 0; m && i < 4; i++) fixture_case(m, &cases[i], ref ? "reference" : "fast");
        sd_free(m);
    }
    if (!fx || !realv) t_skip("fixture pipeline cases (no ../shared)");
    if (t_quick()) t_skip("fixture pipeline cases (SD_TEST_QUICK: the conformance run covers them)");
    {
        sd_model *m = t_load(model, vocab, 0, 0);
        sd_params p = sd_params_default();
        unsigned char *a = (unsigned char *)malloc(64 * 64 * 3), *b = (unsigned char *)malloc(64 * 64 * 3), *init = (unsigned char *)malloc(64 * 64 * 3);
        counter c;
        sd_result r;
        int k;
        p.prompt = "a lighthouse"; p.width = p.height = 64; p.steps = 7; p.seed = 11;
        memset(&c, 0, sizeof c);
        p.progress = on_step; p.progress_user = &c;
        r = sd_txt2img(m, &p, a);
        t_ok(r == SD_OK && c.calls == 7 && c.last == 7 && c.total == 7, "progress: called once a step (%d calls, last %d of %d)", c.calls, c.last, c.total);
        memset(&c, 0, sizeof c); c.stop_at = 3;
        r = sd_txt2img(m, &p, b);
        t_ok(r == SD_ERR_CANCELLED && c.calls == 3 && strstr(sd_error(m), "step 3 of 7"), "cancel at step 3: %s", sd_error(m));
        memset(&c, 0, sizeof c);
        r = sd_txt2img(m, &p, b);
        t_ok(r == SD_OK && !memcmp(a, b, 64 * 64 * 3), "a run after a cancelled one gives the same bytes");
        p.progress = NULL;
        p.cfg_scale = 1.0f;
        t_ok(sd_txt2img(m, &p, b) == SD_OK && memcmp(a, b, 64 * 64 * 3), "guidance 1.0 runs (the UNet on the prompt alone)");
        p.cfg_scale = 7.0f; p.clip_skip = 2;
        t_ok(sd_txt2img(m, &p, b) == SD_OK && memcmp(a, b, 64 * 64 * 3), "clip skip 2 runs and differs");
        p.clip_skip = 1;
        memset(init, 120, 64 * 64 * 3);
        p.sampler = SD_SAMPLER_EULER; p.strength = 0.5;
        t_ok(sd_img2img(m, &p, init, b) == SD_OK, "img2img with Euler");
        {
            static const struct { int w, h, steps; float cfg; double strength; const char *msg; } bad[] = {
                { 60, 64, 7, 7, 0.5, "multiples of 8" }, { 64, 0, 7, 7, 0.5, "8..2048" }, { 2056, 64, 7, 7, 0.5, "8..2048" },
                { 64, 64, 0, 7, 0.5, "1..1000" }, { 64, 64, 7, -1, 0.5, "0..100" }, { 64, 64, 7, 7, 0.05, "runs no step" },
                { 64, 64, 7, 7, 1.5, "0..1" } };
            for (k = 0; k < 7; k++) {
                sd_params q = p;
                q.width = bad[k].w; q.height = bad[k].h; q.steps = bad[k].steps; q.cfg_scale = bad[k].cfg; q.strength = bad[k].strength;
                r = sd_img2img(m, &q, init, b);
                t_ok(r == SD_ERR_ARG && strstr(sd_error(m), bad[k].msg), "refused: %s", sd_error(m));
            }
        }
        {   /* every multiple of 8 works, as in diffusers: latents of 1, 5, 6 (odd sizes inside the UNet) */
            static const int sizes[][2] = { { 8, 8 }, { 48, 40 }, { 8, 64 }, { 56, 24 } };
            for (k = 0; k < 4; k++) {
                sd_params q = p;
                float *lat = (float *)malloc(sizeof(float) * 4 * (sizes[k][0] / 8) * (sizes[k][1] / 8)), mx = 0;
                size_t n = (size_t)4 * (sizes[k][0] / 8) * (sizes[k][1] / 8), j;
                q.width = sizes[k][0]; q.height = sizes[k][1]; q.steps = 2; q.latent_out = lat;
                r = sd_txt2img(m, &q, b);
                for (j = 0; r == SD_OK && j < n; j++) mx = fabsf(lat[j]) > mx ? fabsf(lat[j]) : mx;
                t_ok(r == SD_OK && mx > 0 && mx < 1e3f, "%dx%d txt2img runs, latent finite (max |x| %.3g) %s", q.width, q.height, mx, sd_error(m));
                free(lat);
            }
        }
        free(a); free(b); free(init);
        sd_free(m);
    }
    {   /* the latent's shape and scale are the model's, and an empty model says why it has none */
        sd_model *m = t_load(model, vocab, 0, 0), *e = sd_create(NULL);
        sd_info in;
        sd_result r = m ? sd_model_info(m, &in) : SD_ERR_STATE;
        t_ok(r == SD_OK && in.latent_channels == 4 && in.vae_scale == 0.18215f, "sd_model_info: %d latent channels, VAE scale %g",
             in.latent_channels, in.vae_scale);
        r = e ? sd_model_info(e, &in) : SD_OK;
        t_ok(r == SD_ERR_STATE && strstr(sd_error(e), "no model loaded"), "sd_model_info on an empty model: %s", e ? sd_error(e) : "");
        sd_free(m); sd_free(e);
    }
    return t_done("test_pipeline");
}
