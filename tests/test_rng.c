/* test_rng: torch's CPU generator (torch.Generator().manual_seed(s); torch.randn(shape)).
   Values of the fixtures are embedded, so this checks without ../shared too. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

static double maxdiff(const float *a, const float *b, size_t n)
{
    double m = 0;
    size_t i;
    for (i = 0; i < n; i++) if (fabs((double)a[i] - b[i]) > m) m = fabs((double)a[i] - b[i]);
    return m;
}

static void embedded(void)
{
    static const float s42_first[8] = { 1.92691529f, 1.48728406f, 0.900717199f, -2.10552096f, 0.678418458f, -1.23454487f, -0.0430674776f, -1.60466695f };
    static const float s42_last[4] = { -0.811143816f, -0.635750473f, 0.972809732f, -0.293406099f };
    static const float s0[5] = { 1.54099607f, -0.293428898f, -2.17878938f, 0.568431258f, -1.08452237f };
    static const float s1[17] = { -1.5255959f, -1.16076148f, 0.699542403f, 0.19908163f, 0.865692377f, 0.244403899f, -0.662911355f, 0.807308257f,
                                  0.439141572f, -0.175936043f, -2.24555779f, -1.44645798f, 0.061155282f, -0.617744446f, -0.798069835f, -0.131623209f, -0.798439801f };
    static const float s2p32_5[16] = { 1.84232986f, 0.518887162f, -1.71192133f, -1.7013793f, 2.01941943f, -0.268614441f, -0.130717501f, -1.43741381f,
                                       0.39076823f, -0.0189677607f, -1.35268736f, -0.730817795f, 0.987922251f, -0.419407934f, -0.584895849f, -0.782335103f };
    float *x = (float *)malloc(sizeof(float) * 16384);
    sd_rng r;
    double d;
    sd_rng_seed(&r, 42); sd_randn(&r, x, 16384);
    d = maxdiff(x, s42_first, 8); if (maxdiff(x + 16380, s42_last, 4) > d) d = maxdiff(x + 16380, s42_last, 4);
    t_ok(d <= 4e-6, "seed 42 [1,4,64,64]: first and last values, max diff %.1e", d);
    sd_rng_seed(&r, 0); sd_randn(&r, x, 5);
    d = maxdiff(x, s0, 5);
    t_ok(d <= 4e-6, "seed 0 [5] (the scalar path, with torch's cached pair), max diff %.1e", d);
    sd_rng_seed(&r, 1); sd_randn(&r, x, 17);
    d = maxdiff(x, s1, 17);
    t_ok(d <= 4e-6, "seed 1 [17] (16-blocks with the tail redrawn), max diff %.1e", d);
    sd_rng_seed(&r, 4294967301ull); sd_randn(&r, x, 16);
    d = maxdiff(x, s2p32_5, 16);
    t_ok(d <= 4e-6, "seed 2^32+5 [16] (the seed's low 32 bits), max diff %.1e", d);
    free(x);
}

/* every fixture randn case: (seed, number of values, file) */
static void fixtures(void)
{
    static const struct { uint64_t seed; size_t n; const char *file; } c[] = {
        { 42, 16384, "randn-0.npy" }, { 0, 5, "randn-1.npy" }, { 1, 17, "randn-2.npy" }, { 123456789, 364, "randn-3.npy" }, { 4294967301ull, 16, "randn-4.npy" } };
    sd_model *m = sd_create(NULL);
    int i;
    for (i = 0; i < 5; i++) {
        const char *p = t_fixture(c[i].file);
        sd_array a;
        float *x;
        sd_rng r;
        if (!p) { t_skip("fixture randn cases (no ../shared/fixtures)"); break; }
        sd_npy_read(m, p, &a);
        x = (float *)malloc(sizeof(float) * c[i].n);
        sd_rng_seed(&r, c[i].seed); sd_randn(&r, x, c[i].n);
        t_ok(a.data && maxdiff(x, a.data, c[i].n) <= 4e-6, "fixture %s (seed %llu, %lu values): max diff %.1e", c[i].file,
             (unsigned long long)c[i].seed, (unsigned long)c[i].n, a.data ? maxdiff(x, a.data, c[i].n) : 1.0);
        free(x);
        sd_array_free(m, &a);
    }
    sd_free(m);
}

/* the samplers' noise: the same draws as one torch.randn of that size after the same history */
static void sampler_noise(void)
{
    static const size_t sizes[] = { 5, 16, 17, 256, 320, 1000 };
    sd_schedule *s = (sd_schedule *)malloc(sizeof *s);
    int k;
    for (k = 0; k < 6; k++) {
        size_t n = sizes[k], i;
        float *x = (float *)calloc(n, 4), *eps = (float *)calloc(n, 4), *z = (float *)malloc((n + 8) * 4), *ref = (float *)malloc((n + 8) * 4);
        sd_rng r1, r2;
        double d = 0;
        sd_schedule_init(s, SD_SAMPLER_EULER_A, 10, 0);
        sd_rng_seed(&r1, 9); sd_rng_seed(&r2, 9);
        sd_randn(&r1, z, 3); sd_randn(&r2, z, 3);        /* some history, incl. a cached scalar pair */
        sd_step(s, 3, eps, x, NULL, n, &r1);             /* x = 0 + 0 + noise * sigma_up */
        sd_randn(&r2, z, n);
        {
            float sf = s->sigmas[3], st = s->sigmas[4], up = sqrtf(st * st * (sf * sf - st * st) / (sf * sf));
            for (i = 0; i < n; i++) { ref[i] = z[i] * up; if (fabs((double)x[i] - ref[i]) > d) d = fabs((double)x[i] - ref[i]); }
        }
        t_ok(d == 0, "Euler a noise of %lu values equals one randn(%lu) * sigma_up", (unsigned long)n, (unsigned long)n);
        sd_randn(&r1, z, 7); sd_randn(&r2, ref, 7);
        t_ok(!memcmp(z, ref, 28), "  ... and the generator continues in step");
        free(x); free(eps); free(z); free(ref);
    }
    free(s);
}

int main(void)
{
    embedded();
    fixtures();
    sampler_noise();
    return t_done("test_rng");
}
