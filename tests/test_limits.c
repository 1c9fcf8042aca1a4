/* test_limits: running out of memory anywhere (an allocator that fails on its Nth call, for every
   N along a whole tiny txt2img and img2img) gives SD_ERR_NOMEM, frees what was taken (the
   sanitizer run checks leaks) and leaves the model usable; the memory ceiling; cancelling. */
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

static int run(counting *c, const char *model, const char *vocab, int img2img, unsigned char *rgb, const char **err)
{
    sd_config cfg = sd_config_default();
    sd_model *m;
    sd_params p = sd_params_default();
    static unsigned char init[64 * 64 * 3];
    int r;
    static char msg[600];
    cfg.alloc = c_alloc; cfg.free = c_free; cfg.alloc_user = c;
    m = sd_create(&cfg);
    if (!m) { *err = "sd_create: out of memory"; return SD_ERR_NOMEM; }
    p.prompt = "a lighthouse"; p.width = p.height = 64; p.steps = 2; p.seed = 3; p.strength = 0.9;
    memset(init, 100, sizeof init);
    if ((r = sd_load(m, model)) == SD_OK && (r = sd_load_vocab(m, vocab)) == SD_OK)
        r = img2img ? sd_img2img(m, &p, init, rgb) : sd_txt2img(m, &p, rgb);
    snprintf(msg, sizeof msg, "%s", sd_error(m));
    *err = msg;
    sd_free(m);
    return r;
}

int main(void)
{
    int fx, realv, k;
    const char *model = t_model(&fx), *vocab = t_vocab(&realv);
    static unsigned char want[64 * 64 * 3], got[64 * 64 * 3];
    for (k = 0; k < 2; k++) {
        counting c;
        long total, n, bad = 0, nomem = 0;
        const char *err;
        int r0;
        memset(&c, 0, sizeof c);
        r0 = run(&c, model, vocab, k, want, &err);
        t_ok(r0 == SD_OK && c.live == 0, "%s with a counting allocator: %ld allocations, all freed", k ? "img2img" : "txt2img", c.calls);
        total = c.calls;
        for (n = 1; n <= total; n++) {
            int r;
            memset(&c, 0, sizeof c);
            c.fail_at = n;
            r = run(&c, model, vocab, k, got, &err);
            if (r == SD_ERR_NOMEM && strstr(err, "memory")) nomem++;
            else if (r != SD_OK || memcmp(got, want, sizeof got)) { bad++; if (bad < 4) printf("       failing allocation %ld: %d '%s'\n", n, r, err); }
            if (c.live != 0) { bad++; if (bad < 4) printf("       failing allocation %ld: %ld blocks not freed\n", n, c.live); }
        }
        t_ok(!bad, "failing allocation 1..%ld in turn: %ld runs give SD_ERR_NOMEM with a message, none leaks (%ld bad)", total, nomem, bad);
    }
    {
        sd_config cfg = sd_config_default();
        sd_model *m;
        sd_params p = sd_params_default();
        static unsigned char rgb[512 * 512 * 3];
        cfg.memory_limit = 1 << 20;
        m = sd_create(&cfg);
        sd_load(m, model); sd_load_vocab(m, vocab);
        p.prompt = "x"; p.steps = 1;
        t_ok(sd_txt2img(m, &p, rgb) == SD_ERR_NOMEM && strstr(sd_error(m), "over the limit of 1.0 MB"), "a memory ceiling of 1 MB: %s", sd_error(m));
        sd_free(m);
    }
    return t_done("test_limits");
}
