/* test_threads: the same bits for any thread count (a whole txt2img with 1, 2 and 3 threads, fast
   and reference kernels; every sampler of sd_sampling with both noise sources, 1 and 2 threads;
   every loop on all the threads however small, m->par_work = 0), and two models used from two
   threads at once giving the same bytes as one after the other. */
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
    if (m) m->par_work = 0;   /* every loop on all the threads, however small (a tiny model's would run on one) */
    p.prompt = j->prompt; p.width = 80; p.height = 64; p.steps = t_quick() ? 2 : 5; p.seed = j->seed; p.sampler = SD_SAMPLER_EULER_A;
    p.latent_out = j->lat;
    j->ok = m && sd_txt2img(m, &p, j->rgb) == SD_OK;
    sd_free(m);
    return NULL;
}

/* pndm, heun, dpm2, dpm2_a, lms, dpm++2m, dpm++2s_a and lcm (each on its default schedule) with the
   CPU generator and with Philox: txt2img with 1 and 2 threads gives the same image and latent.
   4 steps reach every branch of their histories (lms up to order 4, pndm's 4-eps formula, dpm++2m's
   extrapolation; the ancestral ones draw noise each step). SD_TEST_QUICK (the sanitizer runs): 3
   steps (all but the order-4 branches), each sampler with one source, cpu and philox in turn. Built without OpenMP (the ThreadSanitizer run) the thread count changes nothing: skipped. */
static void samplers(const char *model, const char *vocab)
{
#ifndef _OPENMP
    (void)model; (void)vocab;
    t_skip("every sampler with 1 and 2 threads (built without OpenMP: one thread either way)");
#else
    static const sd_sampler smp[8] = { SD_SAMPLER_PNDM, SD_SAMPLER_HEUN, SD_SAMPLER_DPM2, SD_SAMPLER_DPM2_A, SD_SAMPLER_LMS,
                                       SD_SAMPLER_DPMPP_2M, SD_SAMPLER_DPMPP_2S_A, SD_SAMPLER_LCM };
    static unsigned char rgb[2][64 * 80 * 3];
    static float lat[2][4 * 8 * 10], cpu_lat[4 * 8 * 10];
    sd_model *m[2];
    int a, g, t;
    m[0] = t_load(model, vocab, 0, 1);
    m[1] = t_load(model, vocab, 0, 2);
    if (m[1]) m[1]->par_work = 0;
    for (a = 0; a < 8; a++)
        for (g = t_quick() ? a % 2 : 0; g < (t_quick() ? a % 2 + 1 : 2); g++) {
            sd_params p = sd_params_default();
            sd_result r[2];
            clock_t c0 = clock();
            double secs[2];
            p.prompt = "a lighthouse at dawn"; p.width = 80; p.height = 64; p.steps = t_quick() ? 3 : 4; p.seed = 4294967301ull;
            p.sampler = smp[a]; p.rng = g ? SD_RNG_PHILOX : SD_RNG_CPU;
            for (t = 0; t < 2; t++) {
                memset(lat[t], 0, sizeof lat[t]);
                p.latent_out = lat[t];
                r[t] = m[t] ? sd_txt2img(m[t], &p, rgb[t]) : SD_ERR_STATE;
                secs[t] = (double)(clock() - c0) / CLOCKS_PER_SEC;
                c0 = clock();
            }
            if (!g) memcpy(cpu_lat, lat[0], sizeof cpu_lat);
            t_ok(r[0] == SD_OK && r[1] == SD_OK && !memcmp(rgb[0], rgb[1], sizeof rgb[0]) && !memcmp(lat[0], lat[1], sizeof lat[0]) &&
                 (!g || t_quick() || memcmp(lat[0], cpu_lat, sizeof cpu_lat)),
                 "%-9s %s noise, %d steps: 1 and 2 threads, byte-identical image and latent%s (%.1f + %.1f s CPU)", sd_sampler_name(smp[a]),
                 g ? "philox" : "cpu   ", p.steps, g && !t_quick() ? "; not cpu's latent" : "", secs[0], secs[1]);
        }
    sd_free(m[0]);
    sd_free(m[1]);
#endif
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
    samplers(model, vocab);
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
