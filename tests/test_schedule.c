/* test_schedule: the samplers' timetables (sd_schedule_make): the schedule cases of the sd1-tiny and
   sd1-samplers fixtures, and without ../shared the values those fixtures print (diffusers' Euler
   and DDIM, the 10-step anchors of every sigma kind); dpm2's dropped level, PNDM's repeated
   timestep, each sampler's default kind and the pairs that are refused; every step count; both
   img2img start rules (diffusers' and A1111's); and the diffusers steps against their formulas
   evaluated in double precision. */
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
        if (smp == SD_SAMPLER_COUNT || !ts || ts->n != steps || (smp != SD_SAMPLER_DDIM && (!sg || sg->n != steps + 1)) || sd_schedule_init(&S, smp, steps, 0) != SD_OK) {
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

/* ---------------------------------------------------------------- sigma kinds, PNDM, what goes together */

static const sd_scheduler kinds[5] = { SD_SCHEDULER_NORMAL, SD_SCHEDULER_KARRAS, SD_SCHEDULER_EXPONENTIAL, SD_SCHEDULER_SGM_UNIFORM, SD_SCHEDULER_SIMPLE };

/* the 10-step anchors the sd1-samplers README prints (4 decimals), for euler on each kind and for
   dpm2 on karras (11 levels, the next-to-last dropped) */
static void anchors(void)
{
    static const double want[6][11] = {
        { 14.6146, 7.8399, 4.6092, 2.9183, 1.9502, 1.3449, 0.9324, 0.6250, 0.3687, 0.0292, 0 },   /* normal */
        { 14.6146, 9.1029, 5.4784, 3.1686, 1.7494, 0.9141, 0.4469, 0.2014, 0.0819, 0.0292, 0 },   /* karras */
        { 14.6146, 7.3249, 3.6712, 1.8400, 0.9222, 0.4622, 0.2317, 0.1161, 0.0582, 0.0292, 0 },   /* exponential */
        { 14.6146, 8.3072, 5.0924, 3.3251, 2.2797, 1.6156, 1.1629, 0.8319, 0.5712, 0.3437, 0 },   /* sgm_uniform */
        { 14.6146, 8.3028, 5.0878, 3.3211, 2.2765, 1.6129, 1.1606, 0.8299, 0.5693, 0.3417, 0 },   /* simple */
        { 14.6146, 9.5583, 6.0822, 3.7513, 2.2322, 1.2741, 0.6926, 0.3552, 0.1698, 0.0744, 0 } }; /* karras, dpm2 */
    int k, i;
    for (k = 0; k < 6; k++) {
        sd_sampler smp = k < 5 ? SD_SAMPLER_EULER : SD_SAMPLER_DPM2;
        sd_scheduler kind = k < 5 ? kinds[k] : SD_SCHEDULER_KARRAS;
        double e = 0;
        int at = 0;
        sd_result r = sd_schedule_make(&S, smp, kind, 10, 0);
        for (i = 0; i < 11; i++) if (fabs(S.sigmas[i] - want[k][i]) > e) { e = fabs(S.sigmas[i] - want[k][i]); at = i; }
        t_ok(r == SD_OK && e <= 0.5e-4 && S.sigmas[10] == 0 && S.scheduler == kind && S.init_noise_sigma == S.sigmas[0],
             "%-6s %-11s 10 steps: the README's anchors to 4 decimals (max diff %.1e at %d), then 0", sd_sampler_name(smp), sd_scheduler_name(kind), e, at);
    }
    /* sigma_min and sigma_max of the table: the ends of karras and exponential */
    sd_schedule_make(&S, SD_SAMPLER_EULER, SD_SCHEDULER_KARRAS, 10, 0);
    t_ok(fabs(S.sigmas[0] - 14.6146421) < 2e-6 && fabs(S.sigmas[9] - 0.0291675329) < 1e-8,
         "karras runs from sigma_max %.7f to sigma_min %.10f (14.6146421, 0.0291675329)", S.sigmas[0], S.sigmas[9]);
}

/* dpm2 and dpm2_a build the schedule for n + 1 steps and drop the next-to-last level: the same
   levels as euler's n + 1 minus that one, still ending on 0 */
static void dpm2_discard(void)
{
    static sd_schedule E;
    int k, n, i, bad = 0;
    for (k = 0; k < 5; k++)
        for (n = 1; n <= 60; n++) {
            sd_schedule_make(&E, SD_SAMPLER_EULER, kinds[k], n + 1, 0);
            sd_schedule_make(&S, SD_SAMPLER_DPM2, kinds[k], n, 0);
            for (i = 0; i < n; i++) if (memcmp(&S.sigmas[i], &E.sigmas[i], sizeof(float)) != 0 || S.timesteps[i] != E.timesteps[i]) bad++;
            if (S.sigmas[n] != 0 || S.steps != n || S.n_t != n) bad++;
            sd_schedule_make(&E, SD_SAMPLER_DPM2_A, kinds[k], n, 0);
            if (memcmp(E.sigmas, S.sigmas, sizeof(float) * (n + 1)) != 0) bad++;
        }
    t_ok(!bad, "dpm2, dpm2_a: n levels = euler's n + 1 with the next-to-last dropped, then 0 (5 kinds x 1..60 steps, %d bad)", bad);
    sd_schedule_make(&E, SD_SAMPLER_EULER, SD_SCHEDULER_KARRAS, 11, 0);
    sd_schedule_make(&S, SD_SAMPLER_DPM2, SD_SCHEDULER_KARRAS, 10, 0);
    t_ok(fabs(E.sigmas[10] - 0.0291675) < 1e-6 && S.sigmas[9] == E.sigmas[9] && S.sigmas[10] == 0,
         "dpm2 karras 10 steps: ... %.4f, 0 (the dropped level: sigma_min %.4f)", S.sigmas[9], E.sigmas[10]);
}

/* which kind each sampler takes by default, and sd_schedule_make resolving SD_SCHEDULER_DEFAULT */
static void defaults(void)
{
    int a, bad = 0;
    for (a = 0; a < SD_SAMPLER_COUNT; a++) {
        sd_scheduler want = a == SD_SAMPLER_EULER_A || a == SD_SAMPLER_EULER || a == SD_SAMPLER_DDIM || a == SD_SAMPLER_PNDM
                            ? SD_SCHEDULER_DIFFUSERS : SD_SCHEDULER_KARRAS;
        sd_result r = sd_schedule_make(&S, (sd_sampler)a, SD_SCHEDULER_DEFAULT, 10, 0);
        int ok = sd_scheduler_default((sd_sampler)a) == want && r == SD_OK && S.scheduler == want;
        if (!ok) { bad++; printf("       %s: default %s, made %s (%s)\n", sd_sampler_name((sd_sampler)a), sd_scheduler_name(sd_scheduler_default((sd_sampler)a)),
                                 sd_scheduler_name(S.scheduler), sd_result_name(r)); }
    }
    t_ok(!bad, "sd_scheduler_default: diffusers for euler_a euler ddim pndm, karras for heun dpm2 dpm2_a lms dpm++2m dpm++2s_a lcm; "
         "sd_schedule_make resolves DEFAULT to it");
}

/* every sampler with every kind: ddim and pndm take only diffusers, heun..lcm only sigma kinds,
   euler and euler_a both; steps outside 1..1000 and unknown enums refused for all */
static void pairs(void)
{
    int a, k, refused = 0, accepted = 0, bad = 0;
    for (a = 0; a < SD_SAMPLER_COUNT; a++)
        for (k = 0; k < SD_SCHEDULER_COUNT; k++) {
            int diffusers_only = a == SD_SAMPLER_DDIM || a == SD_SAMPLER_PNDM, both = a == SD_SAMPLER_EULER || a == SD_SAMPLER_EULER_A;
            int want_ok = k == SD_SCHEDULER_DEFAULT || both || (diffusers_only ? k == SD_SCHEDULER_DIFFUSERS : k != SD_SCHEDULER_DIFFUSERS);
            sd_result r = sd_schedule_make(&S, (sd_sampler)a, (sd_scheduler)k, 10, 0);
            if (r != (want_ok ? SD_OK : SD_ERR_ARG)) {
                bad++;
                printf("       %s with %s: %s\n", sd_sampler_name((sd_sampler)a), sd_scheduler_name((sd_scheduler)k), sd_result_name(r));
            }
            if (want_ok) accepted++; else refused++;
            if (sd_schedule_make(&S, (sd_sampler)a, (sd_scheduler)k, 0, 0) != SD_ERR_ARG || sd_schedule_make(&S, (sd_sampler)a, (sd_scheduler)k, 1001, 0) != SD_ERR_ARG ||
                sd_schedule_make(&S, (sd_sampler)a, (sd_scheduler)k, -1, 0) != SD_ERR_ARG) bad++;
            if (want_ok && (sd_schedule_make(&S, (sd_sampler)a, (sd_scheduler)k, 1, 0) != SD_OK || sd_schedule_make(&S, (sd_sampler)a, (sd_scheduler)k, 1000, 0) != SD_OK)) bad++;
        }
    t_ok(!bad && refused == 2 * 5 + 7, "pairs: %d refused with SD_ERR_ARG (ddim/pndm x 5 sigma kinds, heun..lcm x diffusers), %d accepted; "
         "steps -1, 0, 1001 refused and 1, 1000 taken for every pair (%d bad)", refused, accepted, bad);
    t_ok(sd_schedule_make(&S, SD_SAMPLER_COUNT, SD_SCHEDULER_DEFAULT, 10, 0) == SD_ERR_ARG && sd_schedule_make(&S, (sd_sampler)-1, SD_SCHEDULER_DEFAULT, 10, 0) == SD_ERR_ARG &&
         sd_schedule_make(&S, SD_SAMPLER_EULER, SD_SCHEDULER_COUNT, 10, 0) == SD_ERR_ARG && sd_schedule_make(&S, SD_SAMPLER_EULER, (sd_scheduler)-1, 10, 0) == SD_ERR_ARG,
         "unknown sampler or kind (COUNT, -1): SD_ERR_ARG");
}

/* PNDM (PLMS): n + 1 timesteps, the second one twice: b_{n-1}, b_{n-2}, b_{n-2}, ..., b_0, b_k = k floor(1000/n) + 1 */
static void pndm(void)
{
    static const float t10[11] = { 901, 801, 801, 701, 601, 501, 401, 301, 201, 101, 1 };
    int n, i, bad = 0;
    sd_result r = sd_schedule_make(&S, SD_SAMPLER_PNDM, SD_SCHEDULER_DEFAULT, 10, 0);
    t_ok(r == SD_OK && S.n_t == 11 && !memcmp(S.timesteps, t10, sizeof t10) && S.init_noise_sigma == 1.0f,
         "pndm 10 steps: 11 timesteps 901 801 801 701 ... 101 1, init_noise_sigma 1 (got %d: %g %g %g %g ... %g)",
         S.n_t, S.timesteps[0], S.timesteps[1], S.timesteps[2], S.timesteps[3], S.timesteps[S.n_t > 0 ? S.n_t - 1 : 0]);
    sd_schedule_make(&S, SD_SAMPLER_PNDM, SD_SCHEDULER_DIFFUSERS, 1, 0);
    t_ok(S.n_t == 1 && S.timesteps[0] == 1, "pndm 1 step: the one timestep 1 (got %d: %g)", S.n_t, S.timesteps[0]);
    sd_schedule_make(&S, SD_SAMPLER_PNDM, SD_SCHEDULER_DIFFUSERS, 2, 0);
    t_ok(S.n_t == 3 && S.timesteps[0] == 501 && S.timesteps[1] == 1 && S.timesteps[2] == 1, "pndm 2 steps: 501 1 1");
    for (n = 2; n <= 999; n++) {
        int rr = 1000 / n;
        sd_schedule_make(&S, SD_SAMPLER_PNDM, SD_SCHEDULER_DIFFUSERS, n, 0);
        if (S.n_t != n + 1 || S.timesteps[0] != (float)((n - 1) * rr + 1) || S.timesteps[1] != S.timesteps[2]) bad++;
        for (i = 2; i <= n; i++) if (S.timesteps[i] != (float)((n - i) * rr + 1)) bad++;
    }
    t_ok(!bad, "pndm 2..999 steps: n + 1 timesteps b_{n-1}, b_{n-2}, b_{n-2}, ..., b_0 = 1, b_k = k floor(1000/n) + 1 (%d bad)", bad);
}

/* max |a - b| / max(1, |b|) of n fixture values against ours: conformance.py's schedule measure */
static double sched_err(const t_json *ref, const float *got, int n)
{
    double e = 0;
    int k;
    for (k = 0; k < n; k++) {
        double b = ref->item[k].num, d = fabs(got[k] - b) / (fabs(b) > 1 ? fabs(b) : 1);
        if (d > e) e = d;
    }
    return e;
}

/* the 58 schedule cases of sd1-samplers: sigmas (n + 1, after dpm2's drop) and timesteps (PNDM: n + 1)
   where the case has them, to conformance.py's 1e-5; model_t (informational, sigma_to_t of each
   level computed in float32 by the reference) to 2e-4 */
static void fixtures_samplers(void)
{
    const t_json *cs = t_set_cases("sd1-samplers", "schedule");
    int i, cases = 0;
    double worst_t = 0;
    for (i = 0; cs && i < cs->n; i++) {
        const t_json *c = &cs->item[i], *ts = t_jget(c, "timesteps"), *sg = t_jget(c, "sigmas"), *mt = t_jget(c, "model_t"), *bd = t_jget(c, "sigmas_before_discard");
        const char *name = t_jstr(c, "sampler"), *kname = t_jstr(c, "scheduler");
        int steps = (int)t_jnum(c, "steps", 0);
        sd_sampler smp = t_sampler(name);
        sd_scheduler kind = SD_SCHEDULER_DEFAULT;
        double e = 0, et = 0;
        char what[96], tail[48];
        snprintf(what, sizeof what, "%s%s%s %d steps", name ? name : "?", kname ? " " : "", kname ? kname : "", steps);
        if (smp == SD_SAMPLER_COUNT || (kname && !sd_scheduler_parse(kname, &kind)) || (!ts && !sg) || sd_schedule_make(&S, smp, kind, steps, 0) != SD_OK) {
            t_ok(0, "sd1-samplers schedule %s: unknown names, no values, or refused by sd_schedule_make", what);
            continue;
        }
        if (sg && sg->n != steps + 1) e = 1;
        else if (sg) e = sched_err(sg, S.sigmas, steps + 1);
        if (ts && ts->n != S.n_t) e = 1;
        else if (ts && sched_err(ts, S.timesteps, S.n_t) > e) e = sched_err(ts, S.timesteps, S.n_t);
        if (mt && mt->n == steps) {
            int k;
            for (k = 0; k < steps; k++) if (fabs(S.timesteps[k] - mt->item[k].num) > et) et = fabs(S.timesteps[k] - mt->item[k].num);
            if (et > worst_t) worst_t = et;
        } else if (mt) et = 1;
        if (bd) {   /* dpm2: the n + 2 levels it was cut from, by euler's n + 1 steps */
            static sd_schedule E;
            if (bd->n != steps + 2 || sd_schedule_make(&E, SD_SAMPLER_EULER, S.scheduler, steps + 1, 0) != SD_OK) e = 1;
            else if (sched_err(bd, E.sigmas, steps + 2) > e) e = sched_err(bd, E.sigmas, steps + 2);
        }
        if (mt) snprintf(tail, sizeof tail, ", model_t max |diff| %.0e", et);
        else tail[0] = 0;
        t_ok(e <= 1e-5 && et <= 2e-4, "sd1-samplers schedule %-25s %-17s max rel err %.1e%s%s", what,
             sg && ts ? "sigmas, timesteps" : sg ? "sigmas" : "timesteps", e, bd ? " (and before the drop)" : "", tail);
        cases++;
    }
    if (cs) t_ok(cases == 58, "read %d sd1-samplers schedule cases (58 expected); worst model_t |diff| %.1e", cases, worst_t);
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
    {   /* the sigma kinds: decreasing levels inside [sigma_min, sigma_max], then 0; timesteps decreasing in 0..999 */
        static const int more[] = { 250, 333, 500, 999, 1000 };
        int k, j;
        bad = 0;
        for (k = 0; k < 5; k++)
            for (j = 0; j < 100 + 5; j++) {
                steps = j < 100 ? j + 1 : more[j - 100];
                sd_schedule_make(&S, SD_SAMPLER_EULER, kinds[k], steps, 0);
                for (i = 0; i < steps; i++)
                    if (!(S.sigmas[i] > S.sigmas[i + 1]) || S.sigmas[i] > S.sigma_table[999] * 1.000001f || S.sigmas[i] < S.sigma_table[0] * 0.999999f ||
                        !(S.timesteps[i] >= 0 && S.timesteps[i] <= 999) || (i && !(S.timesteps[i] < S.timesteps[i - 1]))) bad++;
                if (S.sigmas[steps] != 0 || S.sigmas[0] != S.init_noise_sigma) bad++;
            }
        t_ok(!bad, "sigma kinds, 1..100, 250, 333, 500, 999, 1000 steps: levels decreasing inside [sigma_min, sigma_max], then 0; "
             "timesteps decreasing in 0..999 (%d bad)", bad);
    }
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
    /* sd_schedule_first_step: diffusers' rule on diffusers' timesteps, A1111's on sigma kinds
       (t_enc = int(min(strength, 0.999) * steps); the run starts t_enc steps before the last) */
    {
        int bad_d = 0, bad_a = 0, a;
        for (steps = 1; steps <= 60; steps++)
            for (k = 0; k <= 100; k++) {
                double strength = k / 100.0, sm = strength < 0.999 ? strength : 0.999;
                volatile double prod = sm * steps;
                int t_enc = (int)prod;
                for (a = 0; a < 3; a++) {
                    sd_sampler smp = a == 0 ? SD_SAMPLER_DDIM : a == 1 ? SD_SAMPLER_PNDM : SD_SAMPLER_EULER_A;
                    sd_schedule_make(&S, smp, SD_SCHEDULER_DIFFUSERS, steps, 0);
                    if (sd_schedule_first_step(&S, strength) != sd_first_step(steps, strength)) bad_d++;
                }
                for (a = 0; a < 3; a++) {
                    sd_sampler smp = a == 0 ? SD_SAMPLER_DPMPP_2M : a == 1 ? SD_SAMPLER_EULER_A : SD_SAMPLER_DPM2;
                    sd_schedule_make(&S, smp, kinds[(steps + k) % 5], steps, 0);
                    if (sd_schedule_first_step(&S, strength) != steps - t_enc - 1) bad_a++;
                }
            }
        t_ok(!bad_d, "sd_schedule_first_step on diffusers' timesteps (ddim, pndm, euler_a) = sd_first_step, 60 x 101 pairs (%d bad)", bad_d);
        t_ok(!bad_a, "sd_schedule_first_step on sigma kinds = steps - int(min(strength, 0.999) * steps) - 1, 60 x 101 pairs (%d bad)", bad_a);
        sd_schedule_make(&S, SD_SAMPLER_DPMPP_2M, SD_SCHEDULER_KARRAS, 10, 0);
        t_ok(sd_schedule_first_step(&S, 0.6) == 3 && sd_schedule_first_step(&S, 0.7) == 2 && sd_schedule_first_step(&S, 1.0) == 0 &&
             sd_schedule_first_step(&S, 0.05) == 9 && sd_schedule_first_step(&S, 0.0) == 9,
             "A1111's rule, 10 steps: strength 0.6 -> 3 (7 steps run), 0.7 -> 2, 1.0 -> 0 (0.999: 10 steps), 0.05 and 0 -> 9 (one step)");
        sd_schedule_make(&S, SD_SAMPLER_PNDM, SD_SCHEDULER_DEFAULT, 10, 0);
        t_ok(sd_schedule_first_step(&S, 0.6) == 4 && sd_schedule_first_step(&S, 1.0) == 0 && sd_schedule_first_step(&S, 0.05) == -1,
             "diffusers' rule, pndm 10 steps: strength 0.6 -> 4, 1.0 -> 0, 0.05 -> none (-1)");
    }
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
    anchors();
    dpm2_discard();
    defaults();
    pairs();
    pndm();
    fixtures();
    fixtures_samplers();
    every_step_count();
    first_step();
    step_math();
    return t_done("test_schedule");
}
