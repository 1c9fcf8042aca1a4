/* test_rng: the two noise sources. torch's CPU generator (torch.Generator().manual_seed(s);
   torch.randn(shape)): values of the sd1-tiny fixtures are embedded, so this checks without
   ../shared too. A1111's Philox ("GPU seeds", sd_rng_init(&r, SD_RNG_PHILOX, seed)): the values the
   sd1-samplers README prints, that set's randn fixtures, and bit for bit a Philox4x32-10 + Box-Muller
   written here from the README's description (itself checked on Random123's known answers), over
   several calls (the call counter) and seeds, and through the samplers' ancestral noise. */
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

/* ---------------------------------------------------------------- Philox (A1111's rng_philox.py)
   Written here from the sd1-samplers README, apart from sd.h: value i of call number `offset` of the
   generator of `seed` is Philox4x32-10 of the counter (offset, 0, i, 0) under the key (seed mod 2^32,
   seed / 2^32), then u = c0 A + A/2, v = c1 B + B/2, sqrt(-2 ln u) sin v in double, rounded once. */

static void philox4x32_10(uint32_t ctr[4], const uint32_t key[2])
{
    uint32_t k[2], out[4];
    int round;
    k[0] = key[0]; k[1] = key[1];
    for (round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * ctr[0], p1 = (uint64_t)0xCD9E8D57u * ctr[2];
        out[0] = (uint32_t)(p1 >> 32) ^ ctr[1] ^ k[0];
        out[1] = (uint32_t)p1;
        out[2] = (uint32_t)(p0 >> 32) ^ ctr[3] ^ k[1];
        out[3] = (uint32_t)p0;
        memcpy(ctr, out, sizeof out);
        if (round < 9) { k[0] += 0x9E3779B9u; k[1] += 0xBB67AE85u; }   /* the key for the next round */
    }
}

static float f32_bits(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }

static float philox_value(uint64_t seed, uint32_t offset, uint32_t i)
{
    uint32_t ctr[4], key[2];
    double A = f32_bits(0x2F800000u), B = f32_bits(0x30C90FDBu), u, v;
    ctr[0] = offset; ctr[1] = 0; ctr[2] = i; ctr[3] = 0;
    key[0] = (uint32_t)(seed & 0xFFFFFFFFu); key[1] = (uint32_t)(seed >> 32);
    philox4x32_10(ctr, key);
    u = ctr[0] * A + A / 2;
    v = ctr[1] * B + B / 2;
    return (float)(sqrt(-2.0 * log(u)) * sin(v));
}

/* the test's own Philox on Random123's known-answer vectors (kat_vectors: counter, key -> output),
   and the README's Box-Muller constants */
static void philox_reference(void)
{
    static const uint32_t kat[3][10] = {
        { 0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 },
        { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd },
        { 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 } };
    int k, bad = 0;
    float b = (float)((double)2.3283064e-10f * (double)6.2831855f);
    for (k = 0; k < 3; k++) {
        uint32_t ctr[4];
        memcpy(ctr, kat[k], sizeof ctr);
        philox4x32_10(ctr, kat[k] + 4);
        if (memcmp(ctr, kat[k] + 6, sizeof ctr) != 0) bad++;
    }
    t_ok(!bad, "the test's Philox4x32-10 on Random123's 3 known answers (%d wrong)", bad);
    t_ok(f32_bits(0x2F800000u) == ldexp(1.0, -32) && f32_bits(0x30C90FDBu) == b && (double)b == 1.462918119976564e-09,
         "Box-Muller constants: A = 2^-32, B = float32(2.3283064e-10 * 6.2831855) = %.16g", (double)b);
}

/* sd.h's Philox: the README's seed 0 (3,4) values, then bit for bit against philox_value */
static void philox(void)
{
    static const float readme[12] = { -0.92466241f, -0.42534396f, -2.6438458f, 0.14518388f, -0.12086651f, -0.5797257f, -0.6228513f,
                                      -0.32838714f, -1.074542f, -0.3631441f, -1.6710504f, 2.265505f };
    static const uint64_t seeds[] = { 0, 1, 42, 123456789, 4294967296ull, 4294967301ull, 0x123456789ABCDEFull, 0xFFFFFFFFFFFFFFFFull };
    static const size_t sizes[3] = { 300, 17, 256 };
    float x[300], ref[300];
    sd_rng r;
    size_t i;
    int k, c, bad = 0, values = 0;
    double d;
    sd_rng_init(&r, SD_RNG_PHILOX, 0);
    sd_randn(&r, x, 12);
    d = maxdiff(x, readme, 12);
    t_ok(d <= 4e-6, "philox seed 0 (3,4): the README's 12 values, max diff %.1e (tol 4e-6)", d);
    for (i = 0; i < 12; i++) ref[i] = philox_value(0, 0, (uint32_t)i);
    t_same("philox seed 0 (3,4) = the test's own Philox, bit for bit", x, ref, 12);

    /* three calls per seed: call j is counter offset j, whatever the sizes before it */
    for (k = 0; k < (int)(sizeof seeds / sizeof seeds[0]); k++) {
        sd_rng_init(&r, SD_RNG_PHILOX, seeds[k]);
        for (c = 0; c < 3; c++) {
            sd_randn(&r, x, sizes[c]);
            for (i = 0; i < sizes[c]; i++) {
                float want = philox_value(seeds[k], (uint32_t)c, (uint32_t)i);
                if (memcmp(&x[i], &want, 4) != 0) {
                    if (bad < 4) printf("       seed %llu call %d [%lu]: %.9g, want %.9g\n", (unsigned long long)seeds[k], c, (unsigned long)i, x[i], want);
                    bad++;
                }
                values++;
            }
        }
        if (r.offset != 3) bad++;
    }
    t_ok(!bad, "philox, 8 seeds (0 .. 2^64-1, incl. 2^32 and 2^32+5: the key's high word) x calls of 300, 17, 256: "
         "%d values bit for bit as the test's own, counter 3 after 3 calls (%d differ)", values, bad);

    /* the call-counter rule on its own: the second call continues at offset 1 (not at value 5 of offset 0) */
    sd_rng_init(&r, SD_RNG_PHILOX, 42);
    sd_randn(&r, x, 5);
    sd_randn(&r, x + 5, 5);
    for (i = 0; i < 5; i++) { ref[i] = philox_value(42, 0, (uint32_t)i); ref[5 + i] = philox_value(42, 1, (uint32_t)i); }
    t_ok(!memcmp(x, ref, 10 * sizeof(float)) && x[5] != philox_value(42, 0, 5),
         "philox seed 42: randn(5) twice = offset 0 values 0..4, then offset 1 values 0..4 (%.7g, not offset 0's 6th %.7g)",
         x[5], philox_value(42, 0, 5));
    {   /* a call's values do not depend on its length */
        float y[300];
        sd_rng_init(&r, SD_RNG_PHILOX, 7); sd_randn(&r, x, 300);
        sd_rng_init(&r, SD_RNG_PHILOX, 7); sd_randn(&r, y, 13);
        t_ok(!memcmp(x, y, 13 * sizeof(float)), "philox: randn(13) = the first 13 of randn(300) (value i of a call: counter (offset, 0, i, 0))");
    }
    {   /* SD_RNG_CPU through sd_rng_init is sd_rng_seed */
        sd_rng a, b;
        float y[40];
        sd_rng_init(&a, SD_RNG_CPU, 42); sd_rng_seed(&b, 42);
        sd_randn(&a, x, 40); sd_randn(&b, y, 40);
        t_ok(!memcmp(x, y, sizeof y) && a.kind == SD_RNG_CPU, "sd_rng_init(SD_RNG_CPU, 42) = sd_rng_seed(42)");
    }
}

/* the samplers' noise from Philox: after the initial noise (offset 0) an ancestral step's z is the
   next call (offset 1): euler_a on karras adds z sigma_up, lcm z sigma' */
static void philox_sampler_noise(void)
{
    enum { N = 320 };
    static float x[N], eps[N], z[N], ref[N];
    sd_schedule *s = (sd_schedule *)malloc(sizeof *s);
    int a;
    for (a = 0; a < 2; a++) {
        sd_sampler smp = a == 0 ? SD_SAMPLER_EULER_A : SD_SAMPLER_LCM;
        sd_rng r;
        size_t i;
        float sg, sn, scale;
        sd_schedule_make(s, smp, SD_SCHEDULER_KARRAS, 10, 0);
        sg = s->sigmas[3]; sn = s->sigmas[4];
        scale = a == 0 ? sqrtf(sn * sn * (sg * sg - sn * sn) / (sg * sg)) : sn;
        if (scale > sn) scale = sn;
        sd_rng_init(&r, SD_RNG_PHILOX, 4294967301ull);
        sd_randn(&r, z, N);                          /* the initial noise: offset 0 */
        memset(x, 0, sizeof x); memset(eps, 0, sizeof eps);
        sd_step(s, 3, eps, x, NULL, N, &r);          /* x = 0 + z * scale */
        for (i = 0; i < N; i++) ref[i] = 0.0f + philox_value(4294967301ull, 1, (uint32_t)i) * scale;
        t_ok(!memcmp(x, ref, sizeof x) && r.offset == 2, "philox %s step (karras, step 3 of 10): noise = offset 1's %d values x %s, bit for bit",
             sd_sampler_name(smp), N, a == 0 ? "sigma_up" : "sigma'");
    }
    free(s);
}

/* sd1-samplers' randn cases (philox seeds 0, 1, 42, 2^32+5 and one cpu), to conformance.py's 4e-6 */
static void fixtures_samplers(void)
{
    const t_json *cs = t_set_cases("sd1-samplers", "randn");
    sd_model *m = cs ? sd_create(NULL) : NULL;
    int i, cases = 0;
    for (i = 0; cs && i < cs->n; i++) {
        const t_json *c = &cs->item[i], *shape = t_jget(c, "shape");
        const char *out = t_jstr(c, "out"), *rng = t_jstr(c, "rng");
        uint64_t seed = (uint64_t)t_jnum(c, "seed", 0);
        char rel[160];
        const char *p;
        size_t n = 1;
        int k;
        sd_array a;
        float *x;
        sd_rng r;
        double d = 1;
        snprintf(rel, sizeof rel, "fixtures/sd1-samplers/%s", out ? out : "?");
        memset(&a, 0, sizeof a);
        for (k = 0; shape && k < shape->n; k++) n *= (size_t)shape->item[k].num;
        if (!out || !shape || !(p = t_shared(rel)) || sd_npy_read(m, p, &a) != SD_OK || t_numel(&a) != n) {
            t_ok(0, "sd1-samplers randn case %d: malformed, or %s unreadable", i, out ? out : "no file");
            sd_array_free(m, &a);
            continue;
        }
        x = (float *)malloc(n * sizeof(float));
        sd_rng_init(&r, rng && !strcmp(rng, "philox") ? SD_RNG_PHILOX : SD_RNG_CPU, seed);
        sd_randn(&r, x, n);
        d = maxdiff(x, a.data, n);
        t_ok(d <= 4e-6, "sd1-samplers randn %-6s seed %-10llu %5lu values: max diff %.1e (tol 4e-6)", rng ? rng : "cpu",
             (unsigned long long)seed, (unsigned long)n, d);
        free(x);
        sd_array_free(m, &a);
        cases++;
    }
    if (cs) t_ok(cases == 5, "read %d sd1-samplers randn cases (5 expected)", cases);
    sd_free(m);
}

int main(void)
{
    embedded();
    fixtures();
    sampler_noise();
    philox_reference();
    philox();
    philox_sampler_noise();
    fixtures_samplers();
    return t_done("test_rng");
}
