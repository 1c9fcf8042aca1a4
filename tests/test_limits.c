/* test_limits: running out of memory anywhere (an allocator that fails on its Nth call, for every
   N along a whole tiny txt2img and img2img) gives SD_ERR_NOMEM, frees what was taken (the
   sanitizer run checks leaks) and leaves the model usable: the same call again on the same model,
   the allocator working, gives the bytes of a fresh model (after every 6th failure with
   SD_TEST_QUICK, which the sanitizer run sets). The memory ceiling refuses what it
   must and the model then runs what fits; cancelling from the progress callback at any step stops
   with SD_ERR_CANCELLED and the model then gives the bytes of a fresh one. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

typedef struct counting { long calls, fail_at, live; } counting;

static void *c_alloc(void *user, size_t n)
{
    counting *c = (counting *)user;
    if (++c->calls == c->fail_at) return NULL;
    c->live++;
    return malloc(n);
}

static void c_free(void *user, void *p) { ((counting *)user)->live--; free(p); }

static unsigned char init_rgb[64 * 64 * 3];   /* img2img's start: flat gray */

static sd_params params(void)
{
    sd_params p = sd_params_default();
    p.prompt = "a lighthouse"; p.width = p.height = 64; p.steps = 2; p.seed = 3; p.strength = 0.9;
    return p;
}

static sd_result generate(sd_model *m, const sd_params *p, int img2img, unsigned char *rgb)
{
    return img2img ? sd_img2img(m, p, init_rgb, rgb) : sd_txt2img(m, p, rgb);
}

/* load and generate on a fresh model with the counting allocator. Out of memory with `again` given
   (and a model made): the allocator stops failing, what did not load is loaded, and the same call
   runs again on the same model into `again`; *again_r gets its result (SD_ERR_STATE: not run) */
static sd_result run(counting *c, const char *model, const char *vocab, int img2img, unsigned char *rgb, const char **err,
                     unsigned char *again, sd_result *again_r)
{
    sd_config cfg = sd_config_default();
    sd_model *m;
    sd_params p = params();
    sd_result r, rl, rv = SD_ERR_STATE;
    static char msg[600];
    cfg.alloc = c_alloc; cfg.free = c_free; cfg.alloc_user = c;
    m = sd_create(&cfg);
    *again_r = SD_ERR_STATE;
    if (!m) { *err = "sd_create: out of memory"; return SD_ERR_NOMEM; }
    if ((r = rl = sd_load(m, model)) == SD_OK && (r = rv = sd_load_vocab(m, vocab)) == SD_OK) r = generate(m, &p, img2img, rgb);
    snprintf(msg, sizeof msg, "%s", sd_error(m));
    *err = msg;
    if (r == SD_ERR_NOMEM && again) {
        sd_result ra;
        c->fail_at = 0;
        if ((ra = rl == SD_OK ? SD_OK : sd_load(m, model)) == SD_OK && (ra = rv == SD_OK ? SD_OK : sd_load_vocab(m, vocab)) == SD_OK)
            ra = generate(m, &p, img2img, again);
        *again_r = ra;
    }
    sd_free(m);
    return r;
}

typedef struct cancel { int calls, stop_at; } cancel;
static int on_step(void *user, const sd_progress *pr)
{
    cancel *c = (cancel *)user;
    c->calls++;
    return pr->step == c->stop_at;
}

int main(void)
{
    int fx, realv, k;
    const char *model = t_model(&fx), *vocab = t_vocab(&realv);
    static unsigned char want[2][64 * 64 * 3], got[64 * 64 * 3], again[64 * 64 * 3];
    memset(init_rgb, 100, sizeof init_rgb);
    for (k = 0; k < 2; k++) {
        counting c;
        long total, n, bad = 0, nomem = 0, usable = 0, tried = 0, every = t_quick() ? 6 : 1;
        const char *err;
        sd_result r0, ra;
        memset(&c, 0, sizeof c);
        r0 = run(&c, model, vocab, k, want[k], &err, NULL, &ra);
        t_ok(r0 == SD_OK && c.live == 0, "%s with a counting allocator: %ld allocations, all freed %s", k ? "img2img" : "txt2img", c.calls, err);
        total = c.calls;
        for (n = 1; n <= total; n++) {
            sd_result r;
            memset(&c, 0, sizeof c);
            c.fail_at = n;
            memset(again, 0, sizeof again);
            r = run(&c, model, vocab, k, got, &err, (n - 2) % every == 0 ? again : NULL, &ra);
            if (r == SD_ERR_NOMEM && strstr(err, "memory")) nomem++;
            else if (r != SD_OK || memcmp(got, want[k], sizeof got)) { bad++; if (bad < 4) printf("       failing allocation %ld: %d '%s'\n", n, r, err); }
            if (c.live != 0) { bad++; if (bad < 4) printf("       failing allocation %ld: %ld blocks not freed\n", n, c.live); }
            if (r == SD_ERR_NOMEM && n > 1 && (n - 2) % every == 0) {   /* (allocation 1 is sd_create's: no model) */
                tried++;
                if (ra == SD_OK && !memcmp(again, want[k], sizeof again)) usable++;
                else if (bad++ < 4) printf("       failing allocation %ld: the same call again on the model gives %s%s\n", n, sd_result_name(ra), ra == SD_OK ? " and other bytes" : "");
            }
        }
        t_ok(!bad, "failing allocation 1..%ld in turn: %ld runs give SD_ERR_NOMEM with a message, none leaks (%ld bad)", total, nomem, bad);
        t_ok(!bad && usable == tried && tried == (total - 2) / every + 1,
             "  ... and after %s (but sd_create's), the same call on the same model gives a fresh model's bytes (%ld of %ld)",
             every > 1 ? "every 6th" : "each", usable, tried);
    }
    {   /* 1 MB: nothing runs; 16 MB: 64x64 runs (8 MB would do), 512x512 does not (26.5 MB) */
        sd_config cfg = sd_config_default();
        sd_model *m;
        sd_params p = sd_params_default(), small = params();
        static unsigned char rgb[512 * 512 * 3];
        p.prompt = "x"; p.steps = 1;
        cfg.memory_limit = 1 << 20;
        m = sd_create(&cfg);
        if (t_call(m, sd_load(m, model), "loading the model") && t_call(m, sd_load_vocab(m, vocab), "loading the vocabulary"))
            t_ok(sd_txt2img(m, &p, rgb) == SD_ERR_NOMEM && strstr(sd_error(m), "over the limit of 1.0 MB"), "a memory ceiling of 1 MB: %s", sd_error(m));
        sd_free(m);
        cfg.memory_limit = (size_t)16 << 20;
        m = sd_create(&cfg);
        if (t_call(m, sd_load(m, model), "loading the model") && t_call(m, sd_load_vocab(m, vocab), "loading the vocabulary")) {
            t_ok(sd_txt2img(m, &p, rgb) == SD_ERR_NOMEM && strstr(sd_error(m), "over the limit of 16.0 MB"), "a memory ceiling of 16 MB refuses 512x512: %s", sd_error(m));
            t_ok(sd_txt2img(m, &small, got) == SD_OK && !memcmp(got, want[0], sizeof got), "  ... then 64x64 on the same model gives a fresh model's bytes %s", sd_error(m));
        }
        sd_free(m);
    }
    for (k = 0; k < 2; k++) {   /* cancelled at each step it runs: then the model gives a fresh model's bytes */
        sd_model *m = t_load(model, vocab, 0, 0);
        sd_params p = params();
        cancel cc;
        int stop, steps, bad = 0;
        p.progress = on_step; p.progress_user = &cc;
        memset(&cc, 0, sizeof cc);
        if (!m || !t_call(m, generate(m, &p, k, got), "a run that counts its steps")) { sd_free(m); continue; }
        steps = cc.calls;
        for (stop = 1; stop <= steps; stop++) {
            sd_result r;
            memset(&cc, 0, sizeof cc);
            cc.stop_at = stop;
            r = generate(m, &p, k, got);
            if (r != SD_ERR_CANCELLED || cc.calls != stop || !strstr(sd_error(m), "cancelled")) {
                bad++;
                printf("       stopped at step %d: %s after %d calls \"%s\"\n", stop, sd_result_name(r), cc.calls, sd_error(m));
            }
        }
        t_ok(steps > 0 && !bad, "%s cancelled by the progress callback at each of the %d steps it runs: SD_ERR_CANCELLED there", k ? "img2img" : "txt2img", steps);
        memset(&cc, 0, sizeof cc);
        memset(got, 0, sizeof got);
        t_ok(generate(m, &p, k, got) == SD_OK && !memcmp(got, want[k], sizeof got), "  ... then the same model gives a fresh model's bytes %s", sd_error(m));
        sd_free(m);
    }
    return t_done("test_limits");
}
