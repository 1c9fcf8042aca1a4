/* test_schedule: the samplers' timetables (the fixtures' schedule cases, embedded ones without
   ../shared), every step count, diffusers' img2img start rule, and each sampler step against the
   schedulers' formulas evaluated in double precision. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

static sd_schedule S;

static void embedded(void)
{
    static const float euler10[11] = { 14.614645004272461f, 7.8398847579956055f, 4.609175682067871f, 2.9183082580566406f, 1.9501622915267944f,
                                       1.34492826461792f, 0.9323583245277405f, 0.6249772906303406f, 0.36865851283073425f, 0.029167532920837402f, 0 };
    static const float t10[10] = { 999, 888, 777, 666, 555, 444, 333, 222, 111, 0 };
    double e = 0;
    int i;
    sd_schedule_init(&S, SD_SAMPLER_EULER, 10, 0);
    for (i = 0; i < 11; i++) if (fabs(S.sigmas[i] - euler10[i]) / (euler10[i] > 1 ? euler10[i] : 1) > e) e = fabs(S.sigmas[i] - euler10[i]) / (euler10[i] > 1 ? euler10[i] : 1);
    for (i = 0; i < 10; i++) if (S.timesteps[i] != t10[i]) e = 1;
    t_ok(e <= 1e-6, "Euler 10 steps: timesteps and sigmas as diffusers (max rel err %.1e)", e);
    t_ok(S.init_noise_sigma == S.sigmas[0], "Euler: init_noise_sigma is the first sigma");
    sd_schedule_init(&S, SD_SAMPLER_DDIM, 10, 0);
    for (i = 0, e = 0; i < 10; i++) if (S.timesteps[i] != 901 - 100 * i) e = 1;
    t_ok(e == 0 && S.init_noise_sigma == 1.0f, "DDIM 10 steps: 901, 801, ..., 1 (leading spacing, offset 1)");
    sd_schedule_init(&S, SD_SAMPLER_EULER_A, 1, 0);
    t_ok(S.timesteps[0] == 0 && fabs(S.sigmas[0] - 0.029167532920837402) < 1e-8, "Euler a 1 step: t = 0, sigma = sigma_min");
}

/* relative error of got against the fixture's v (absolute below 1) */
static double rel_err(double v, double got) { return fabs(v - got) / (v > 1 ? v : 1); }

/* the fixture cases: "sampler": "...", "steps": N, "timesteps": [...], "sigmas": [...] (not DDIM) */
static void fixtures(void)
{
    const t_json *cs = t_stage_cases("schedule");
    int i, k, cases = 0;
    for (i = 0; cs && i < cs->n; i++) {
        const t_json *c = &cs->item[i], *ts = t_jget(c, "timesteps"), *sg = t_jget(c, "sigmas");
        const char *name = t_jstr(c, "sampler");
        int steps = (int)t_jnum(c, "steps", 0);
        sd_sampler smp = t_sampler(name);
        double e = 0;
        if (!name || !ts || ts->n != steps || (smp != SD_SAMPLER_DDIM && (!sg || sg->n != steps + 1)) || sd_schedule_init(&S, smp, steps, 0) != SD_OK) {
            t_ok(0, "fixture schedule case %d (%s, %d steps): malformed, or refused by sd_schedule_init", i, name ? name : "no sampler", steps);
            continue;
        }
        for (k = 0; k < steps; k++) if (rel_err(ts->item[k].num, S.timesteps[k]) > e) e = rel_err(ts->item[k].num, S.timesteps[k]);
        for (k = 0; smp != SD_SAMPLER_DDIM && k <= steps; k++) if (rel_err(sg->item[k].num, S.sigmas[k]) > e) e = rel_err(sg->item[k].num, S.sigmas[k]);
        t_ok(e <= 1e-6, "fixture schedule %s %d steps: max rel err %.1e", name, steps, e);
        cases++;
    }
    if (cs) t_ok(cases == 12, "read %d fixture schedule cases", cases);
}

static void every_step_count(void)
{
    int steps, bad = 0, i;
    for (steps = 1; steps <= 1000; steps++) {
        sd_schedule_init(&S, SD_SAMPLER_DDIM, steps, 0);
        for (i = 0; i < steps; i++) if (S.timesteps[i] < (steps == 1000 ? 0 : 1) || S.timesteps[i] > 999 || (i && S.timesteps[i] >= S.timesteps[i - 1])) bad++;
        sd_schedule_init(&S, SD_SAMPLER_EULER, steps, 0);
        for (i = 0; i < steps; i++) if (!(S.sigmas[i] > S.sigmas[i + 1]) || S.timesteps[i] < 0 || S.timesteps[i] > 999) bad++;
        if (S.sigmas[steps] != 0) bad++;
    }
    t_ok(!bad, "1..1000 steps: DDIM timesteps decreasing inside 1..999 (0..999 at 1000), Euler sigmas decreasing to 0 (%d bad)", bad);
    t_ok(sd_schedule_init(&S, SD_SAMPLER_DDIM, 0, 0) == SD_ERR_ARG && sd_schedule_init(&S, SD_SAMPLER_DDIM, 1001, 0) == SD_ERR_ARG,
         "0 and 1001 steps refused");
}

static void first_step(void)
{
    int steps, k, bad = 0;
    for (steps = 1; steps <= 60; steps++)
        for (k = 0; k <= 100; k++) {
            double strength = k / 100.0;
            int init = (int)(steps * strength), start;
            if (init > steps) init = steps;
            start = steps - init;
            if (sd_first_step(steps, strength) != (start >= steps ? -1 : start)) bad++;
        }
    t_ok(!bad, "img2img's first step: diffusers' min(int(steps * strength), steps) rule for 60 x 101 pairs");
    t_ok(sd_first_step(10, 0.7) == 3 && sd_first_step(10, 0.6) == 4 && sd_first_step(10, 0.05) == -1, "10 steps: strength 0.7 -> 3, 0.6 -> 4, 0.05 -> none");
}

/* each step against the formulas in double; the float32 steps of diffusers stay within 1e-6 */
static void step_math(void)
{
    enum { N = 1000 };
    static float x[N], eps[N], x0[N], noise[N];
    sd_rng r;
    int kind, i;
    sd_rng_seed(&r, 5);
    for (kind = 0; kind < 3; kind++) {
        sd_sampler smp = kind == 0 ? SD_SAMPLER_DDIM : kind == 1 ? SD_SAMPLER_EULER : SD_SAMPLER_EULER_A;
        double err = 0, den = 0;
        float xs[N];
        sd_schedule_init(&S, smp, 20, 0);
        sd_randn(&r, x, N); sd_randn(&r, eps, N);
        memcpy(xs, x, sizeof x);
        if (smp == SD_SAMPLER_EULER_A) {   /* noise drawn by the step: reproduce it */
            sd_rng r2 = r;
            sd_step(&S, 5, eps, x, x0, N, &r);
            sd_randn(&r2, noise, N);
        } else sd_step(&S, 5, eps, x, x0, N, &r);
        for (i = 0; i < N; i++) {
            double want;
            if (smp == SD_SAMPLER_DDIM) {
                int t = (int)S.timesteps[5], tp = t - 1000 / 20;
                double a = S.alphas_cumprod[t], ap = S.alphas_cumprod[tp], px0 = (xs[i] - sqrt(1 - a) * eps[i]) / sqrt(a);
                want = sqrt(ap) * px0 + sqrt(1 - ap) * eps[i];
            } else {
                double s = S.sigmas[5], sn = S.sigmas[6], up = 0, down = sn;
                if (smp == SD_SAMPLER_EULER_A) { up = sqrt(sn * sn * (s * s - sn * sn) / (s * s)); down = sqrt(sn * sn - up * up); }
                want = xs[i] + eps[i] * (down - s) + noise[i] * up;
            }
            err += (x[i] - want) * (x[i] - want); den += want * want;
        }
        t_ok(sqrt(err / den) < 1e-6, "%s step vs its formula in double: rel L2 %.1e", kind == 0 ? "DDIM" : kind == 1 ? "Euler" : "Euler a", sqrt(err / den));
    }
    {   /* add_noise */
        double e = 0;
        sd_schedule_init(&S, SD_SAMPLER_DDIM, 10, 0);
        sd_randn(&r, x0, N); sd_randn(&r, noise, N);
        sd_add_noise(&S, 4, x0, noise, x, N);
        for (i = 0; i < N; i++) {
            double a = S.alphas_cumprod[(int)S.timesteps[4]], w = sqrt(a) * x0[i] + sqrt(1 - a) * noise[i];
            if (fabs(x[i] - w) > e) e = fabs(x[i] - w);
        }
        t_ok(e < 1e-5, "DDIM add_noise: sqrt(a) x0 + sqrt(1-a) z (max diff %.1e)", e);
    }
}

int main(void)
{
    embedded();
    fixtures();
    every_step_count();
    first_step();
    step_math();
    return t_done("test_schedule");
}
