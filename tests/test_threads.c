/* test_threads: the same bits for any thread count (a whole txt2img with 1, 2 and 3 threads, fast
   and reference kernels), and two models used from two threads at once giving the same bytes as
   one after the other. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"
#include <pthread.h>

typedef struct job { const char *model, *vocab, *prompt; int threads, reference; uint64_t seed; unsigned char rgb[64 * 80 * 3]; float lat[4 * 8 * 10]; int ok; } job;

static void *run(void *arg)
{
    job *j = (job *)arg;
    sd_model *m = t_load(j->model, j->vocab, j->reference, j->threads);
    sd_params p = sd_params_default();
    p.prompt = j->prompt; p.width = 80; p.height = 64; p.steps = t_quick() ? 2 : 5; p.seed = j->seed; p.sampler = SD_SAMPLER_EULER_A;
    p.latent_out = j->lat;
    j->ok = m && sd_txt2img(m, &p, j->rgb) == SD_OK;
    sd_free(m);
    return NULL;
}

int main(void)
{
    int fx, realv, ref, t;
    const char *model = t_model(&fx), *vocab = t_vocab(&realv);
    static job a, b, c, d;
    for (ref = 0; ref < (t_quick() ? 1 : 2); ref++) {
        static job j1;
        memset(&j1, 0, sizeof j1);
        j1.model = model; j1.vocab = vocab; j1.prompt = "a lighthouse at dawn"; j1.seed = 99; j1.reference = ref; j1.threads = 1;
        run(&j1);
        for (t = 2; t <= (t_quick() ? 2 : 3); t++) {
            static job jt;
            memset(&jt, 0, sizeof jt);
            jt = j1; jt.threads = t;
            run(&jt);
            t_ok(j1.ok && jt.ok && !memcmp(j1.rgb, jt.rgb, sizeof j1.rgb) && !memcmp(j1.lat, jt.lat, sizeof j1.lat),
                 "%s kernels: txt2img with 1 and %d threads, byte-identical image and latent", ref ? "reference" : "fast", t);
        }
    }
    /* two models, two threads at once */
    a.model = b.model = model; a.vocab = b.vocab = vocab; a.threads = b.threads = 1;
    a.prompt = "a red house"; a.seed = 1; b.prompt = "a blue boat"; b.seed = 2;
    c = a; d = b;
    run(&c); run(&d);
    {
        pthread_t ta, tb;
        pthread_create(&ta, NULL, run, &a);
        pthread_create(&tb, NULL, run, &b);
        pthread_join(ta, NULL); pthread_join(tb, NULL);
    }
    t_ok(a.ok && b.ok && !memcmp(a.rgb, c.rgb, sizeof a.rgb) && !memcmp(b.rgb, d.rgb, sizeof b.rgb),
         "two models in two threads at once = one after the other");
    return t_done("test_threads");
}
