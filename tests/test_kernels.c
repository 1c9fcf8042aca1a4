/* test_kernels: every fast kernel against its scalar reference on random inputs of several
   shapes, odd sizes included; the attention reference (causal mask too) against attention written
   out in double. Prints one line per check (SKIP for what this build lacks); exits non-zero on failure. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include <stdio.h>
#include <stdlib.h>

static int failures;

/* float -> IEEE half, round to nearest even */
static uint16_t f32_to_f16(float f)
{
    uint32_t x = sd__f32_bits(f), sign = (x >> 16) & 0x8000u, absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0));
    if (absx >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);          /* rounds to inf */
    if (absx < 0x38800000u) {                                           /* subnormal or zero */
        float a = sd__bits_f32(absx) + 0.5f;                            /* 2^-24 ulp: exact rounding */
        return (uint16_t)(sign | (sd__f32_bits(a) - sd__f32_bits(0.5f)));
    }
    {
        uint32_t mant_odd = (absx >> 13) & 1;
        absx += 0xc8000fffu + mant_odd;  /* rebias exponent (-112 << 23) and round */
        return (uint16_t)(sign | (absx >> 13));
    }
}


static void fill(float *x, size_t n, uint32_t *s, float scale)
{
    size_t i;
    for (i = 0; i < n; i++) {
        *s = *s * 1664525u + 1013904223u;
        x[i] = ((float)(*s >> 8) / 16777216.0f * 2.0f - 1.0f) * scale;
    }
}

/* relative L2 of got vs ref; prints the first few pairs on failure */
static void check(const char *what, const float *got, const float *ref, size_t n, double tol)
{
    double num = 0, den = 0, worst = 0;
    size_t i, at = 0;
    for (i = 0; i < n; i++) {
        double d = (double)got[i] - ref[i];
        num += d * d; den += (double)ref[i] * ref[i];
        if (fabs(d) > worst || got[i] != got[i]) { worst = fabs(d); at = i; }
    }
    num = den > 0 ? sqrt(num / den) : sqrt(num);
    if (num <= tol && num == num) printf("ok   %-44s rel_l2 %.2e  max_abs %.2e\n", what, num, worst);
    else {
        printf("FAIL %-44s rel_l2 %.2e  max_abs %.2e at %lu\n", what, num, worst, (unsigned long)at);
        for (i = 0; i < 4 && i < n; i++) printf("       [%lu] got %.7g ref %.7g\n", (unsigned long)i, got[i], ref[i]);
        failures++;
    }
}

/* a weight tensor of the given dtype filled with random values, owned by the test */
static sd__tensor make_weight(int dtype, int64_t co, int64_t ci, int k, uint32_t *s, unsigned char **store)
{
    sd__tensor t;
    size_t n = (size_t)(co * ci * (k ? k * k : 1)), i;
    float *f = (float *)malloc(n * sizeof(float));
    memset(&t, 0, sizeof t);
    fill(f, n, s, 1.0f / sqrtf((float)(ci * (k ? k * k : 1))));
    *store = (unsigned char *)malloc(n * 4);
    for (i = 0; i < n; i++) {
        if (dtype == SD__F16) { uint16_t h = f32_to_f16(f[i]); (*store)[2 * i] = (unsigned char)h; (*store)[2 * i + 1] = (unsigned char)(h >> 8); }
        else if (dtype == SD__BF16) { uint32_t b = sd__f32_bits(f[i]) >> 16; (*store)[2 * i] = (unsigned char)b; (*store)[2 * i + 1] = (unsigned char)(b >> 8); }
        else sd__put_u32le(*store + 4 * i, sd__f32_bits(f[i]));
    }
    free(f);
    t.dtype = dtype; t.data = *store;
    t.ndim = k ? 4 : 2; t.shape[0] = co; t.shape[1] = ci; t.shape[2] = k; t.shape[3] = k;
    t.numel = (int64_t)n;
    return t;
}

static void same_bits(const char *what, const float *a, const float *b, size_t n)
{
    int differ = memcmp(a, b, n * 4) != 0;
    printf("%s %s: %s\n", differ ? "FAIL" : "ok  ", what, differ ? "the bits differ" : "the same bits");
    failures += differ;
}

static void test_linear(sd_model *m, int rows, int c, int co, int dtype, int with_add)
{
    uint32_t s = (uint32_t)(rows * 31 + c * 7 + co);
    unsigned char *store;
    sd__tensor w = make_weight(dtype, co, c, 0, &s, &store);
    float *in = (float *)malloc(sizeof(float) * rows * c), *bias = (float *)malloc(sizeof(float) * co);
    float *add = (float *)malloc(sizeof(float) * rows * co), *a = (float *)malloc(sizeof(float) * rows * co), *b = (float *)malloc(sizeof(float) * rows * co);
    float *ws = (float *)malloc(sizeof(float) * SD__MM_WS * m->n_threads);
    sd__lin l;
    char name[96];
    fill(in, (size_t)rows * c, &s, 1.0f); fill(bias, (size_t)co, &s, 0.5f); fill(add, (size_t)rows * co, &s, 1.0f);
    l.w = &w; l.b = bias;
    sd__linear_ref(m, a, in, rows, c, &l, with_add ? add : NULL, SD__ACT_NONE, NULL);
    sd__linear_fast(m, b, in, rows, c, &l, with_add ? add : NULL, SD__ACT_NONE, ws);
    snprintf(name, sizeof name, "linear %dx%d -> %d %s%s", rows, c, co, sd__dtype_name[dtype], with_add ? " +add" : "");
    check(name, b, a, (size_t)rows * co, 1e-5);
    if (with_add) {   /* the residual form: out aliases add */
        memcpy(b, add, sizeof(float) * rows * co);
        sd__linear_fast(m, b, in, rows, c, &l, b, SD__ACT_NONE, ws);
        snprintf(name, sizeof name, "linear %dx%d -> %d %s, out == add", rows, c, co, sd__dtype_name[dtype]);
        check(name, b, a, (size_t)rows * co, 1e-5);
    } else {   /* an activation in the epilogue: the product then sd__act_fast's bits; near the reference's */
        sd__act act = co % 2 ? SD__ACT_QUICK_GELU : SD__ACT_GELU;
        sd__act_fast(m, b, b, (size_t)rows * co, act);
        sd__linear_fast(m, add, in, rows, c, &l, NULL, act, ws);
        snprintf(name, sizeof name, "linear %dx%d -> %d %s + %s: in the epilogue / after", rows, c, co, sd__dtype_name[dtype],
                 act == SD__ACT_GELU ? "GELU" : "quick GELU");
        same_bits(name, add, b, (size_t)rows * co);
        sd__linear_ref(m, a, in, rows, c, &l, NULL, act, NULL);
        snprintf(name, sizeof name, "linear %dx%d -> %d %s + %s", rows, c, co, sd__dtype_name[dtype], act == SD__ACT_GELU ? "GELU" : "quick GELU");
        check(name, add, a, (size_t)rows * co, 1e-5);
    }
    free(in); free(bias); free(add); free(a); free(b); free(ws); free(store);
}

/* out = m's fast convolution, in a workspace of the size its plan asks */
static void conv_fast(sd_model *m, float *out, const float *in, const sd__conv *g, const sd__lin *l, const float *add, const float *stats, int gn)
{
    float *ws = (float *)malloc(sd__conv2d_ws_fast(m, g, gn ? SD__ACT_SILU : SD__ACT_NONE) * 4);
    sd__conv2d_fast(m, out, in, g, l, add, stats, gn ? SD__ACT_SILU : SD__ACT_NONE, ws);
    free(ws);
}

/* two ways that must give the same floats */

static void test_conv(sd_model *m, int n, int c, int h, int w, int co, int k, int stride, int pad, int up, int gn, int dtype)
{
    uint32_t s = (uint32_t)(n + c * 3 + h * 5 + w * 7 + co * 11 + k + stride * 13 + up * 17 + gn);
    unsigned char *store;
    sd__tensor wt = make_weight(dtype, co, c, k, &s, &store);
    sd__conv g;
    sd__lin l;
    size_t nin = (size_t)n * c * h * w, nout;
    float *in, *bias, *a, *b, *add, *stats = NULL, *ws;
    char name[128];
    int alg;
    memset(&g, 0, sizeof g);
    g.n = n; g.c = c; g.h = h; g.w = w; g.co = co; g.k = k; g.stride = stride; g.pad_t = g.pad_l = pad;
    if (up) { g.up_h = 2 * h + (up > 1); g.up_w = 2 * w; }
    g.ho = ((up ? g.up_h : h) + 2 * pad - k) / stride + 1;
    g.wo = ((up ? g.up_w : w) + 2 * pad - k) / stride + 1;
    nout = (size_t)n * co * g.ho * g.wo;
    in = (float *)malloc(nin * 4); bias = (float *)malloc((size_t)co * 4); a = (float *)malloc(nout * 4); b = (float *)malloc(nout * 4);
    add = (float *)malloc(nout * 4);
    ws = NULL;
    fill(in, nin, &s, 2.0f); fill(bias, (size_t)co, &s, 0.3f); fill(add, nout, &s, 1.0f);
    if (gn) {
        sd__norm nm;
        float *gw = (float *)malloc((size_t)c * 4), *gb = (float *)malloc((size_t)c * 4), *st2 = (float *)malloc((size_t)n * c * 8);
        fill(gw, (size_t)c, &s, 1.0f); fill(gb, (size_t)c, &s, 1.0f);
        nm.w = gw; nm.b = gb;
        stats = (float *)malloc((size_t)n * c * 8);
        sd__gn_stats_ref(m, stats, in, n, c, h * w, 32, 1e-5f, &nm);
        sd__gn_stats_fast(m, st2, in, n, c, h * w, 32, 1e-5f, &nm);
        snprintf(name, sizeof name, "groupnorm stats %dx%dx%dx%d", n, c, h, w);
        check(name, st2, stats, (size_t)n * c * 2, 1e-6);
        free(gw); free(gb); free(st2);
    }
    l.w = &wt; l.b = bias;
    sd__conv2d_ref(m, a, in, &g, &l, add, stats, gn ? SD__ACT_SILU : SD__ACT_NONE, NULL);
    for (alg = 0; alg < 4; alg++) {   /* the default; then direct, F(2x2) and F(4x4) forced, where they apply */
        static const int algs[4] = { 0, -1, 2, 4 };
        static const char *const alg_name[4] = { "", " direct", " F(2x2,3x3)", " F(4x4,3x3)" };
        if (alg && !(k == 3 && stride == 1 && c >= 8 && co >= 8)) break;
        m->cfg.winograd = algs[alg];
        free(ws); ws = (float *)malloc(sd__conv2d_ws_fast(m, &g, gn ? SD__ACT_SILU : SD__ACT_NONE) * 4);   /* (the scratch depends on the algorithm) */
        sd__conv2d_fast(m, b, in, &g, &l, add, stats, gn ? SD__ACT_SILU : SD__ACT_NONE, ws);
        snprintf(name, sizeof name, "conv %dx%dx%dx%d k%d s%d p%d%s%s -> %d %s%s", n, c, h, w, k, stride, pad, up ? " up" : "", gn ? " gn+silu" : "", co, sd__dtype_name[dtype], alg_name[alg]);
        check(name, b, a, nout, alg == 3 || (alg == 0 && k == 3 && stride == 1) ? 1e-5 : 2e-6);
        memcpy(b, add, nout * 4);
        sd__conv2d_fast(m, b, in, &g, &l, b, stats, gn ? SD__ACT_SILU : SD__ACT_NONE, ws);
        snprintf(name, sizeof name, "conv %dx%dx%dx%d k%d -> %d, out == add%s", n, c, h, w, k, co, alg_name[alg]);
        check(name, b, a, nout, alg == 3 || (alg == 0 && k == 3 && stride == 1) ? 1e-5 : 2e-6);
    }
    m->cfg.winograd = 0;
    if (sd__wino_pick(m, &g)) {   /* the transformed weights kept for all the tiles, a block at a time in low-memory mode, or none: the same bits */
        sd__wplan p0 = sd__wino_plan(m, &g, sd__wino_pick(m, &g)), p1;
        conv_fast(m, a, in, &g, &l, add, stats, gn);
        m->cfg.low_memory = !m->cfg.low_memory;
        p1 = sd__wino_plan(m, &g, sd__wino_pick(m, &g));
        conv_fast(m, b, in, &g, &l, add, stats, gn);
        m->cfg.low_memory = !m->cfg.low_memory;
        snprintf(name, sizeof name, "conv %dx%dx%dx%d -> %d, weights kept for %d of %d blocks / %d of %d (low-memory)", n, c, h, w, co, p0.keep, p0.tm, p1.keep, p1.tm);
        same_bits(name, a, b, nout);
    }
    for (alg = 0; alg < 2 && gn; alg++) {   /* GroupNorm+SiLU applied to the input first (sd__conv_pre) or by the products as they read it (low-memory mode): the same bits */
        m->cfg.winograd = alg ? -1 : 0;
        conv_fast(m, a, in, &g, &l, add, stats, gn);
        m->cfg.low_memory = !m->cfg.low_memory;
        conv_fast(m, b, in, &g, &l, add, stats, gn);
        m->cfg.low_memory = !m->cfg.low_memory;
        m->cfg.winograd = 0;
        snprintf(name, sizeof name, "conv %dx%dx%dx%d k%d%s gn+silu -> %d%s, GroupNorm first / in the products", n, c, h, w, k, up ? " up" : "", co, alg ? " direct" : "");
        same_bits(name, a, b, nout);
    }
    for (alg = 0; alg < 2 && k == 3 && stride == 1 && c >= 8 && co >= 8; alg++) {   /* Winograd's tiles as the products' rows and as their columns: the same bits */
        m->cfg.winograd = alg ? 2 : 4;
        m->wino_orient = 1;
        conv_fast(m, a, in, &g, &l, add, stats, gn);
        m->wino_orient = 2;
        conv_fast(m, b, in, &g, &l, add, stats, gn);
        m->wino_orient = 0; m->cfg.winograd = 0;
        snprintf(name, sizeof name, "conv %dx%dx%dx%d -> %d F(%dx%d), tiles as rows / as columns", n, c, h, w, co, alg ? 2 : 4, alg ? 2 : 4);
        same_bits(name, a, b, nout);
    }
    free(in); free(bias); free(a); free(b); free(add); free(ws); free(store); free(stats);
}

/* attention written out in double, one query at a time: softmax over keys 0..i for query i when
   causal, over all keys otherwise (an independent check of the reference) */
static void attention_plain(float *out, const float *q, const float *k, const float *v, int n, int heads, int tq, int tk, int d, int causal)
{
    size_t ld = (size_t)heads * d;
    double *p = (double *)malloc(sizeof(double) * tk);
    int b, h, i, j, e;
    for (b = 0; b < n; b++)
        for (h = 0; h < heads; h++)
            for (i = 0; i < tq; i++) {
                const float *qi = q + ((size_t)b * tq + i) * ld + (size_t)h * d;
                int nk = causal ? i + 1 : tk;
                double mx = -1e300, sum = 0;
                for (j = 0; j < nk; j++) {
                    const float *kj = k + ((size_t)b * tk + j) * ld + (size_t)h * d;
                    double dot = 0;
                    for (e = 0; e < d; e++) dot += (double)qi[e] * kj[e];
                    p[j] = dot / sqrt((double)d);
                    if (p[j] > mx) mx = p[j];
                }
                for (j = 0; j < nk; j++) { p[j] = exp(p[j] - mx); sum += p[j]; }
                for (e = 0; e < d; e++) {
                    double acc = 0;
                    for (j = 0; j < nk; j++) acc += p[j] * v[((size_t)b * tk + j) * ld + (size_t)h * d + e];
                    out[((size_t)b * tq + i) * ld + (size_t)h * d + e] = (float)(acc / sum);
                }
            }
    free(p);
}

static void test_attention(sd_model *m, int n, int heads, int tq, int tk, int d, int causal)
{
    uint32_t s = (uint32_t)(n + heads * 3 + tq * 5 + tk * 7 + d * 11 + causal);
    size_t ld = (size_t)heads * d;
    float *q = (float *)malloc(4 * n * tq * ld), *k = (float *)malloc(4 * n * tk * ld), *v = (float *)malloc(4 * n * tk * ld);
    float *a = (float *)malloc(4 * n * tq * ld), *b = (float *)malloc(4 * n * tq * ld);
    float *ws = (float *)malloc(4 * (sd__attn_ws_total(m->n_threads, n, heads, tk, d) + (size_t)tk));
    char name[96];
    fill(q, (size_t)n * tq * ld, &s, 2.0f); fill(k, (size_t)n * tk * ld, &s, 2.0f); fill(v, (size_t)n * tk * ld, &s, 1.0f);
    sd__attention_ref(m, a, q, k, v, n, heads, tq, tk, d, causal ? SD__MASK_CAUSAL : SD__MASK_NONE, ws);
    attention_plain(b, q, k, v, n, heads, tq, tk, d, causal);
    snprintf(name, sizeof name, "attention n%d h%d %dx%d d%d%s: reference = plain", n, heads, tq, tk, d, causal ? " causal" : "");
    check(name, a, b, (size_t)n * tq * ld, 1e-5);
    if (causal) {   /* keys and values after row `cut` changed: rows 0..cut keep their bits, every later row changes */
        int cut = tq / 2, i, r, e, same_before = 1, changed_after = 0, later = n * (tq - cut - 1);
        for (i = 0; i < n; i++)
            for (r = cut + 1; r < tk; r++)
                for (e = 0; e < (int)ld; e++) { k[((size_t)i * tk + r) * ld + (size_t)e] += 0.5f; v[((size_t)i * tk + r) * ld + (size_t)e] -= 0.25f; }
        sd__attention_ref(m, b, q, k, v, n, heads, tq, tk, d, causal ? SD__MASK_CAUSAL : SD__MASK_NONE, ws);
        for (i = 0; i < n * tq; i++) {
            int row = i % tq, diff = memcmp(a + (size_t)i * ld, b + (size_t)i * ld, 4 * ld) != 0;
            if (row <= cut && diff) same_before = 0;
            if (row > cut && diff) changed_after++;
        }
        printf("%s attention causal n%d h%d %dx%d d%d: keys and values after %d changed: rows 0..%d %s, %d of %d later rows changed\n",
               same_before && changed_after == later ? "ok  " : "FAIL", n, heads, tq, tk, d, cut, cut,
               same_before ? "keep their bits" : "CHANGED", changed_after, later);
        failures += !(same_before && changed_after == later);
        sd__attention_fast(m, a, q, k, v, n, heads, tq, tk, d, SD__MASK_CAUSAL, ws);
        sd__attention_ref(m, b, q, k, v, n, heads, tq, tk, d, SD__MASK_CAUSAL, ws);
        snprintf(name, sizeof name, "attention n%d h%d %dx%d d%d causal", n, heads, tq, tk, d);
        check(name, a, b, (size_t)n * tq * ld, 1e-5);
        for (i = 0; i < n; i++)   /* the keys and values changed back: the fast path's rows 0..cut keep their bits too */
            for (r = cut + 1; r < tk; r++)
                for (e = 0; e < (int)ld; e++) { k[((size_t)i * tk + r) * ld + (size_t)e] -= 0.5f; v[((size_t)i * tk + r) * ld + (size_t)e] += 0.25f; }
        sd__attention_fast(m, b, q, k, v, n, heads, tq, tk, d, SD__MASK_CAUSAL, ws);
        for (i = 0, same_before = 1; i < n * tq; i++)
            if (i % tq <= cut && memcmp(a + (size_t)i * ld, b + (size_t)i * ld, 4 * ld) != 0) same_before = 0;
        printf("%s attention causal (fast) n%d h%d %dx%d d%d: rows 0..%d %s when the later keys and values change\n",
               same_before ? "ok  " : "FAIL", n, heads, tq, tk, d, cut, same_before ? "keep their bits" : "CHANGED");
        failures += !same_before;
        free(q); free(k); free(v); free(a); free(b); free(ws);
        return;
    }
    sd__attention_fast(m, b, q, k, v, n, heads, tq, tk, d, SD__MASK_NONE, ws);
    snprintf(name, sizeof name, "attention n%d h%d %dx%d d%d", n, heads, tq, tk, d);
    check(name, b, a, (size_t)n * tq * ld, 1e-5);
    free(q); free(k); free(v); free(a); free(b); free(ws);
}

static void test_geglu(sd_model *m, int rows, int f)
{
    uint32_t s = (uint32_t)(rows + f);
    float *in = (float *)malloc(4 * (size_t)rows * 2 * f), *a = (float *)malloc(4 * (size_t)rows * f), *b = (float *)malloc(4 * (size_t)rows * f);
    char name[64];
    fill(in, (size_t)rows * 2 * f, &s, 4.0f);
    sd__geglu_ref(m, a, in, rows, f);
    sd__geglu_fast(m, b, in, rows, f);
    snprintf(name, sizeof name, "geglu %dx%d", rows, f);
    check(name, b, a, (size_t)rows * f, 1e-6);
    free(in); free(a); free(b);
}

/* GEGLU with its projection: the fused fast path against the reference, and bit for bit against
   the fast product followed by the fast GEGLU (the epilogue computes the same floats) */
static void test_linear_geglu(sd_model *m, int rows, int c, int f, int dtype)
{
    uint32_t s = (uint32_t)(rows * 13 + c * 5 + f);
    unsigned char *store;
    sd__tensor w = make_weight(dtype, 2 * f, c, 0, &s, &store);
    float *in = (float *)malloc(sizeof(float) * rows * c), *bias = (float *)malloc(sizeof(float) * 2 * f);
    float *t = (float *)malloc(sizeof(float) * rows * 2 * f), *a = (float *)malloc(sizeof(float) * rows * f), *b = (float *)malloc(sizeof(float) * rows * f);
    float *ws = (float *)malloc(sizeof(float) * sd__linear_geglu_ws_fast(m, rows, f));
    sd__lin l;
    char name[96];
    fill(in, (size_t)rows * c, &s, 1.0f); fill(bias, (size_t)2 * f, &s, 0.5f);
    l.w = &w; l.b = bias;
    sd__linear_geglu_ref(m, a, in, rows, c, &l, t);
    sd__linear_geglu_fast(m, b, in, rows, c, &l, ws);
    snprintf(name, sizeof name, "linear+geglu %dx%d -> %d %s", rows, c, f, sd__dtype_name[dtype]);
    check(name, b, a, (size_t)rows * f, 1e-5);
    sd__linear_fast(m, t, in, rows, c, &l, NULL, SD__ACT_NONE, ws);
    sd__geglu_fast(m, a, t, rows, f);
    printf("%s %s: the same bits as the product then GEGLU\n", memcmp(a, b, sizeof(float) * rows * f) ? "FAIL" : "ok  ", name);
    failures += memcmp(a, b, sizeof(float) * rows * f) != 0;
    free(in); free(bias); free(t); free(a); free(b); free(ws); free(store);
}

static void test_memory_ops(sd_model *m, int n, int c, int hw)
{
    uint32_t s = (uint32_t)(n * 7 + c * 3 + hw);
    size_t len = (size_t)n * c * hw;
    float *x = (float *)malloc(4 * len), *a = (float *)malloc(4 * len), *b = (float *)malloc(4 * len), *add = (float *)malloc(4 * len);
    float *st = (float *)malloc(8 * (size_t)n * c), *gw = (float *)malloc(4 * (size_t)c), *gb = (float *)malloc(4 * (size_t)c), *e = (float *)malloc(4 * (size_t)n * c);
    sd__norm nm;
    char name[96];
    fill(x, len, &s, 3.0f); fill(add, len, &s, 1.0f); fill(gw, (size_t)c, &s, 1.0f); fill(gb, (size_t)c, &s, 1.0f); fill(e, (size_t)n * c, &s, 1.0f);
    fill(st, 2 * (size_t)n * c, &s, 1.0f);
    nm.w = gw; nm.b = gb;
    sd__layernorm_ref(m, a, x, n * hw, c, 1e-5f, &nm);
    sd__layernorm_fast(m, b, x, n * hw, c, 1e-5f, &nm);
    snprintf(name, sizeof name, "layernorm %dx%d", n * hw, c);
    check(name, b, a, len, 0.0);
    sd__tokens_ref(m, a, x, n, c, hw, st);
    sd__tokens_fast(m, b, x, n, c, hw, st);
    snprintf(name, sizeof name, "tokens (gn map) %dx%dx%d", n, c, hw);
    check(name, b, a, len, 0.0);
    sd__untokens_ref(m, a, x, n, c, hw, add);
    sd__untokens_fast(m, b, x, n, c, hw, add);
    snprintf(name, sizeof name, "untokens + add %dx%dx%d", n, c, hw);
    check(name, b, a, len, 0.0);
    sd__act_ref(m, a, x, len, SD__ACT_SILU); sd__act_fast(m, b, x, len, SD__ACT_SILU);   /* the fast exp and erf: */
    check("silu", b, a, len, 1e-6);                                                        /* a few ulp */
    sd__act_ref(m, a, x, len, SD__ACT_QUICK_GELU); sd__act_fast(m, b, x, len, SD__ACT_QUICK_GELU);
    check("quick_gelu", b, a, len, 1e-6);
    sd__act_ref(m, a, x, len, SD__ACT_GELU); sd__act_fast(m, b, x, len, SD__ACT_GELU);
    check("gelu", b, a, len, 1e-6);
    sd__act_ref(m, a, x, len, SD__ACT_RELU); sd__act_fast(m, b, x, len, SD__ACT_RELU);
    check("relu", b, a, len, 0.0);
    memcpy(a, x, 4 * len); memcpy(b, x, 4 * len);
    sd__add_chan_ref(m, a, e, n, c, hw); sd__add_chan_fast(m, b, e, n, c, hw);
    check("add per channel", b, a, len, 0.0);
    if (c > 1) {   /* x's first c/3 channels and add's other channels, side by side */
        int ca = c / 3, cb = c - ca;
        sd__concat_ref(m, a, x, ca, add, cb, n, hw); sd__concat_fast(m, b, x, ca, add, cb, n, hw);
        snprintf(name, sizeof name, "concat %d + %d channels", ca, cb);
        check(name, b, a, len, 0.0);
    }
    free(x); free(a); free(b); free(add); free(st); free(gw); free(gb); free(e);
}

/* every half, decoded by sd__decode (vectorized, branch-free) against the definition */
static void test_f16_all(void)
{
    unsigned char b[2];
    long bad = 0;
    unsigned h;
    for (h = 0; h < 65536; h++) {
        int e = (int)(h >> 10) & 31, mant = (int)(h & 1023);
        float want, got;
        if (e == 0) want = ldexpf((float)mant, -24);
        else if (e < 31) want = ldexpf((float)(1024 + mant), e - 25);
        else want = mant ? NAN : INFINITY;
        if (h & 0x8000u) want = -want;
        b[0] = (unsigned char)(h & 255); b[1] = (unsigned char)(h >> 8);
        sd__decode(&got, b, SD__F16, 0, 1);
        if (want != want ? got == got : sd__f32_bits(got) != sd__f32_bits(want)) {
            if (bad++ < 4) printf("       half 0x%04x: got %.9g want %.9g\n", h, got, want);
        }
    }
    printf("%s f16 -> f32, all 65536 halves: %ld wrong\n", bad ? "FAIL" : "ok  ", bad);
    failures += bad != 0;
}

/* the micro-kernel in use against its scalar twin: the same bits (one order of the sum over K) */
static void test_kernel_twin(void)
{
#if SD__AVX2 || SD__AVX512
    static const int kcs[] = { 1, 2, 7, 64, 256 };
    size_t i, k;
    uint32_t s = 99;
    for (k = 0; k < sizeof kcs / sizeof kcs[0]; k++) {
        int kc = kcs[k], first, ldc = SD__NR + 3;
        float *a = (float *)malloc(sizeof(float) * SD__MR * (kc + 3)), *b = (float *)malloc(sizeof(float) * SD__NR * kc);
        float c1[SD__MR * (SD__NR + 3)], c2[SD__MR * (SD__NR + 3)];
        fill(a, (size_t)SD__MR * (kc + 3), &s, 1.0f); fill(b, (size_t)SD__NR * kc, &s, 1.0f);
        for (first = 0; first < 2; first++) {
            char what[64];
            fill(c1, sizeof c1 / sizeof c1[0], &s, 3.0f);
            memcpy(c2, c1, sizeof c1);
            sd__kernel(kc, a, kc + 3, b, c1, ldc, first);
            sd__kernel_twin(kc, a, kc + 3, b, c2, ldc, first);
            for (i = 0; i < sizeof c1 / sizeof c1[0] && sd__f32_bits(c1[i]) == sd__f32_bits(c2[i]); i++) {}
            snprintf(what, sizeof what, "SIMD micro-kernel = scalar twin, kc %d%s", kc, first ? ", first" : "");
            printf("%s %-44s %s\n", i == sizeof c1 / sizeof c1[0] ? "ok  " : "FAIL", what, i == sizeof c1 / sizeof c1[0] ? "same bits" : "bits differ");
            failures += i != sizeof c1 / sizeof c1[0];
        }
        free(a); free(b);
    }
#else
    printf("SKIP SIMD micro-kernel = scalar twin (this build has no SIMD micro-kernel: the scalar one runs)\n");
#endif
}

/* bfloat16 (sd_config.bf16): the rounding of a float, each case; the AVX512_BF16 tile against its
   scalar twin (same bits); the products of a bfloat16 model against the float reference: on inputs
   and weights that bfloat16 holds exactly (a linear layer, direct convolutions) they differ only in
   the order of the float sums (an error in the panels' layout would be of order 1); F(2x2) and the
   attention round their transformed values and weights (~2^-9 each); and on 1 thread and several
   the same bits */
static float bf16_exact(float x) { return sd__bits_f32(sd__bf16(x) << 16); }

static void test_bf16_round(void)
{
    static const uint32_t in[] = { 0x3f800000u, 0x3f808000u, 0x3f818000u, 0x3f808001u, 0xbf80ffffu, 0x7f7fffffu, 0x7f800000u,
                                   0xff800000u, 0x7fc00001u, 0x7f800001u, 0x00000001u, 0x807fffffu, 0x00800000u, 0x80000000u };
    static const uint32_t want[] = { 0x3f80u, 0x3f80u, 0x3f82u, 0x3f81u, 0xbf81u, 0x7f80u, 0x7f80u,
                                     0xff80u, 0x7fc0u, 0x7fc0u, 0x0000u, 0x8000u, 0x0080u, 0x8000u };
    size_t i, bad = 0;
    for (i = 0; i < sizeof in / sizeof in[0]; i++)
        if (sd__bf16(sd__bits_f32(in[i])) != want[i]) {
            printf("       bfloat16 of %08lx: %04lx, not %04lx\n", (unsigned long)in[i], (unsigned long)sd__bf16(sd__bits_f32(in[i])), (unsigned long)want[i]);
            bad++;
        }
    printf("%s %-44s %s\n", bad ? "FAIL" : "ok  ", "bfloat16 rounding (ties to even, NaN, inf, denormals)", bad ? "differs" : "every case");
    failures += bad != 0;
    {   /* the pairs 16 at a time (VCVTNE2PS2BF16 where the build has it) = sd__bf16, on 2^22 bit patterns spread over
           all 2^32 and every pattern of the low 16 bits (the rounding's) */
        static float f[64];
        static uint32_t got[32], want[32];
        uint32_t x = 0;
        int i2, n = 0;
        bad = 0;
        for (x = 0; n < (1 << 22) / 64; n++) {
            for (i2 = 0; i2 < 64; i2++, x += 0x3ff01u) f[i2] = sd__bits_f32(n < 1024 ? (uint32_t)(n * 64 + i2) | (uint32_t)(n & 7) << 29 : x);
            sd__pair_run(got, f, 32);
            for (i2 = 0; i2 < 32; i2++) want[i2] = sd__bf16(f[2 * i2]) | sd__bf16(f[2 * i2 + 1]) << 16;
            bad += memcmp(got, want, sizeof got) != 0;
            sd__pair_up(got, f, f + 32, 32);
            for (i2 = 0; i2 < 32; i2++) want[i2] = sd__bf16(f[i2]) | sd__bf16(f[32 + i2]) << 16;
            bad += memcmp(got, want, sizeof got) != 0;
        }
        printf("%s %-44s %s\n", bad ? "FAIL" : "ok  ", "bfloat16 pairs 16 at a time = one at a time", bad ? "differ" : "2^22 patterns");
        failures += bad != 0;
    }
}

static void test_kernel_bf16_twin(void)
{
#if SD__DPBF16
    static const int kqs[] = { 1, 3, 20, 128 };
    size_t i, k;
    uint32_t s = 77;
    for (k = 0; k < sizeof kqs / sizeof kqs[0]; k++) {
        int kq = kqs[k], first, ldc = SD__NR + 3, lda = kq + 5;
        uint32_t *a = (uint32_t *)malloc(4 * (size_t)SD__MR * lda), *b = (uint32_t *)malloc(4 * (size_t)SD__NR * kq);
        float *f = (float *)malloc(4 * 2 * (size_t)SD__NR * kq), c1[SD__MR * (SD__NR + 3)], c2[SD__MR * (SD__NR + 3)];
        fill(f, 2 * (size_t)SD__NR * kq, &s, 1.0f);
        for (i = 0; i < (size_t)SD__MR * lda; i++) a[i] = sd__bf16(f[i % (2 * (size_t)SD__NR * kq)] * 3.0f) | sd__bf16(f[(i + 7) % (2 * (size_t)SD__NR * kq)]) << 16;
        for (i = 0; i < (size_t)SD__NR * kq; i++) b[i] = sd__bf16(f[2 * i]) | sd__bf16(f[2 * i + 1] * 0.5f) << 16;
        a[0] = sd__bf16(1e-30f) | sd__bf16(-1e-30f) << 16;   /* products and sums below FLT_MIN: flushed to zero by both */
        b[0] = sd__bf16(1e-10f) | sd__bf16(3e-9f) << 16;
        for (first = 0; first < 2; first++) {
            char what[64];
            fill(c1, sizeof c1 / sizeof c1[0], &s, 3.0f);
            c1[0] = first ? 0.0f : 1e-37f;
            c1[1] = sd__bits_f32(0x00000123u);   /* a denormal sum to start from */
            memcpy(c2, c1, sizeof c1);
            sd__kernel_bf16(kq, a, lda, b, c1, ldc, first);
            sd__kernel_bf16_twin(kq, a, lda, b, c2, ldc, first);
            for (i = 0; i < sizeof c1 / sizeof c1[0] && sd__f32_bits(c1[i]) == sd__f32_bits(c2[i]); i++) {}
            snprintf(what, sizeof what, "AVX512_BF16 micro-kernel = scalar twin, kq %d%s", kq, first ? ", first" : "");
            printf("%s %-44s %s\n", i == sizeof c1 / sizeof c1[0] ? "ok  " : "FAIL", what, i == sizeof c1 / sizeof c1[0] ? "same bits" : "bits differ");
            if (i < sizeof c1 / sizeof c1[0]) printf("       [%lu] %.9g against %.9g\n", (unsigned long)i, c1[i], c2[i]);
            failures += i != sizeof c1 / sizeof c1[0];
        }
        free(a); free(b); free(f);
    }
#else
    printf("SKIP AVX512_BF16 micro-kernel = scalar twin (this build has no AVX512_BF16: the scalar one runs)\n");
#endif
}

/* the products of the bfloat16 models (mb: the test's threads, m1: one thread) against the float reference */
static void test_bf16_products(sd_model *ref, sd_model *mb, sd_model *m1)
{
    static const int convs[][8] = {   /* n c h w co k stride pad */
        { 1, 27, 9, 11, 20, 3, 2, 1 }, { 2, 64, 10, 9, 64, 1, 1, 0 }, { 1, 5, 6, 7, 30, 3, 1, 1 },   /* direct (stride 2, 1x1, too few tiles) */
        { 2, 96, 16, 16, 130, 3, 1, 1 }, { 1, 32, 24, 24, 40, 3, 1, 1 } };                           /* F(2x2); two blocks of tiles: weights kept */
    static const int lins[][3] = { { 77, 64, 64 }, { 300, 321, 200 }, { 7, 1, 65 } };
    static const int atts[][6] = { { 2, 8, 100, 77, 40, 0 }, { 1, 2, 130, 2000, 40, 0 }, { 1, 3, 200, 200, 81, 1 } };
    size_t i, t;
    uint32_t s = 4242;
    char name[128];
    for (t = 0; t < sizeof lins / sizeof lins[0]; t++) {
        int rows = lins[t][0], c = lins[t][1], co = lins[t][2];
        unsigned char *store;
        sd__tensor w = make_weight(SD__BF16, co, c, 0, &s, &store);
        float *in = (float *)malloc(4 * (size_t)rows * c), *bias = (float *)malloc(4 * (size_t)co), *a = (float *)malloc(4 * (size_t)rows * co);
        float *b = (float *)malloc(4 * (size_t)rows * co), *b1 = (float *)malloc(4 * (size_t)rows * co), *ws = (float *)malloc(4 * sd__linear_ws_fast(mb));
        sd__lin l;
        fill(in, (size_t)rows * c, &s, 1.0f); fill(bias, (size_t)co, &s, 0.5f);
        for (i = 0; i < (size_t)rows * c; i++) in[i] = bf16_exact(in[i]);
        l.w = &w; l.b = bias;
        sd__linear_ref(ref, a, in, rows, c, &l, NULL, SD__ACT_NONE, NULL);
        sd__linear_fast(mb, b, in, rows, c, &l, NULL, SD__ACT_NONE, ws);
        sd__linear_fast(m1, b1, in, rows, c, &l, NULL, SD__ACT_NONE, ws);
        snprintf(name, sizeof name, "bf16 linear %dx%d -> %d (exact inputs)", rows, c, co);
        check(name, b, a, (size_t)rows * co, 1e-6);
        snprintf(name, sizeof name, "bf16 linear %dx%d -> %d", rows, c, co);
        printf("%s %-44s %s\n", memcmp(b, b1, 4 * (size_t)rows * co) ? "FAIL" : "ok  ", name, memcmp(b, b1, 4 * (size_t)rows * co) ? "1 thread differs" : "same bits on 1 thread");
        failures += memcmp(b, b1, 4 * (size_t)rows * co) != 0;
        free(in); free(bias); free(a); free(b); free(b1); free(ws); free(store);
    }
    for (t = 0; t < sizeof convs / sizeof convs[0]; t++) {
        const int *v = convs[t];
        unsigned char *store;
        sd__tensor wt = make_weight(SD__BF16, v[4], v[1], v[5], &s, &store);
        sd__conv g;
        sd__lin l;
        size_t nin, nout;
        float *in, *bias, *a, *b, *b1, *ws;
        int wino;
        memset(&g, 0, sizeof g);
        g.n = v[0]; g.c = v[1]; g.h = v[2]; g.w = v[3]; g.co = v[4]; g.k = v[5]; g.stride = v[6]; g.pad_t = g.pad_l = v[7];
        g.ho = (g.h + 2 * g.pad_t - g.k) / g.stride + 1; g.wo = (g.w + 2 * g.pad_l - g.k) / g.stride + 1;
        nin = (size_t)g.n * g.c * g.h * g.w; nout = (size_t)g.n * g.co * g.ho * g.wo;
        in = (float *)malloc(nin * 4); bias = (float *)malloc((size_t)g.co * 4); a = (float *)malloc(nout * 4); b = (float *)malloc(nout * 4); b1 = (float *)malloc(nout * 4);
        ws = (float *)malloc(4 * sd__conv2d_ws_fast(mb, &g, SD__ACT_NONE));
        fill(in, nin, &s, 2.0f); fill(bias, (size_t)g.co, &s, 0.3f);
        for (i = 0; i < nin; i++) in[i] = bf16_exact(in[i]);
        l.w = &wt; l.b = bias;
        wino = sd__wino_pick(mb, &g) != NULL;
        sd__conv2d_ref(ref, a, in, &g, &l, NULL, NULL, SD__ACT_NONE, NULL);
        sd__conv2d_fast(mb, b, in, &g, &l, NULL, NULL, SD__ACT_NONE, ws);
        sd__conv2d_fast(m1, b1, in, &g, &l, NULL, NULL, SD__ACT_NONE, ws);
        snprintf(name, sizeof name, "bf16 conv %dx%dx%dx%d k%d s%d -> %d%s", g.n, g.c, g.h, g.w, g.k, g.stride, g.co, wino ? " F(2x2)" : " (exact inputs)");
        check(name, b, a, nout, wino ? 1e-2 : 1e-6);
        printf("%s %-44s %s\n", memcmp(b, b1, nout * 4) ? "FAIL" : "ok  ", name, memcmp(b, b1, nout * 4) ? "1 thread differs" : "same bits on 1 thread");
        failures += memcmp(b, b1, nout * 4) != 0;
        free(in); free(bias); free(a); free(b); free(b1); free(ws); free(store);
    }
    for (t = 0; t < sizeof atts / sizeof atts[0]; t++) {
        int n = atts[t][0], heads = atts[t][1], tq = atts[t][2], tk = atts[t][3], d = atts[t][4], causal = atts[t][5];
        size_t ld = (size_t)heads * d, nq = (size_t)n * tq * ld, nk = (size_t)n * tk * ld;
        float *q = (float *)malloc(4 * nq), *k = (float *)malloc(4 * nk), *v = (float *)malloc(4 * nk);
        float *a = (float *)malloc(4 * nq), *b = (float *)malloc(4 * nq), *b1 = (float *)malloc(4 * nq);
        float *ws = (float *)malloc(4 * (sd__attn_ws_total(mb->n_threads, n, heads, tk, d) + (size_t)tk));
        sd__mask mask = causal ? SD__MASK_CAUSAL : SD__MASK_NONE;
        fill(q, nq, &s, 2.0f); fill(k, nk, &s, 2.0f); fill(v, nk, &s, 1.0f);
        for (i = 0; i < nq; i++) q[i] = bf16_exact(q[i]);
        for (i = 0; i < nk; i++) { k[i] = bf16_exact(k[i]); v[i] = bf16_exact(v[i]); }
        sd__attention_ref(ref, a, q, k, v, n, heads, tq, tk, d, mask, ws);
        sd__attention_fast(mb, b, q, k, v, n, heads, tq, tk, d, mask, ws);
        sd__attention_fast(m1, b1, q, k, v, n, heads, tq, tk, d, mask, ws);
        snprintf(name, sizeof name, "bf16 attention n%d h%d %dx%d d%d%s", n, heads, tq, tk, d, causal ? " causal" : "");
        check(name, b, a, nq, 1e-2);
        printf("%s %-44s %s\n", memcmp(b, b1, nq * 4) ? "FAIL" : "ok  ", name, memcmp(b, b1, nq * 4) ? "1 thread differs" : "same bits on 1 thread");
        failures += memcmp(b, b1, nq * 4) != 0;
        free(q); free(k); free(v); free(a); free(b); free(b1); free(ws);
    }
}

/* the softmax's 2^x (x <= 0): within 2 ulp of exp2 where 2^x >= 2^-125, 0 below (a masked score's -inf too) */
static void test_exp2(void)
{
    double worst = 0;
    float at = 0, lo = sd__exp2_neg(-200.0f), inf = sd__exp2_neg(-INFINITY), zero = sd__exp2_neg(0.0f), nzero = sd__exp2_neg(-0.0f);
    int i, ok;
    for (i = 0; i <= 2000000; i++) {
        float x = -125.0f * (float)i / 2000000.0f;
        double want = exp2((double)x), err = fabs((double)sd__exp2_neg(x) - want) / want;
        if (err > worst) { worst = err; at = x; }
    }
    ok = worst < 2.4e-7 && lo == 0 && inf == 0 && zero == 1 && nzero == 1;
    printf("%s softmax exp2: worst relative error %.2e (at %g) on [-125, 0]; -200 -> %g, -inf -> %g, 0 -> %g, -0 -> %g\n",
           ok ? "ok  " : "FAIL", worst, at, lo, inf, zero, nzero);
    failures += !ok;
}

/* a NaN goes through the fast exp and the attention as a NaN, so that a run can report it */
static void test_nan(sd_model *m)
{
    int n = 1, heads = 2, tq = 50, tk = 77, d = 8, e, nan_out = 0, other_nan = 0;
    size_t ld = (size_t)heads * d, i;
    float *q = (float *)malloc(sizeof(float) * tq * ld), *k = (float *)malloc(sizeof(float) * tk * ld);
    float *v = (float *)malloc(sizeof(float) * tk * ld), *o = (float *)malloc(sizeof(float) * tq * ld);
    float *ws = (float *)malloc(sizeof(float) * sd__attn_ws_total(m->n_threads, n, heads, tk, d));
    uint32_t s = 5;
    float x = sd__expf(NAN), big = sd__expf(1000.0f), small = sd__expf(-1000.0f);
    printf("%s fast exp: NaN -> %g, 1000 -> %g, -1000 -> %g\n", x != x && big > 1e38f && small >= 0 && small < 1e-37f ? "ok  " : "FAIL", x, big, small);
    failures += !(x != x && big > 1e38f && small >= 0 && small < 1e-37f);
    fill(q, (size_t)tq * ld, &s, 2.0f); fill(k, (size_t)tk * ld, &s, 2.0f); fill(v, (size_t)tk * ld, &s, 1.0f);
    q[3 * ld + 1] = NAN;   /* query 3, head 0 */
    sd__attention_fast(m, o, q, k, v, n, heads, tq, tk, d, SD__MASK_NONE, ws);
    for (i = 0; i < (size_t)tq; i++)
        for (e = 0; e < (int)ld; e++) {
            int is_nan = o[i * ld + e] != o[i * ld + e];
            if (i == 3 && e < d) nan_out += is_nan; else other_nan += is_nan;
        }
    printf("%s attention with a NaN in one query: %d of %d outputs of that query and head NaN, %d others\n",
           nan_out == d && !other_nan ? "ok  " : "FAIL", nan_out, d, other_nan);
    failures += !(nan_out == d && !other_nan);
    q[3 * ld + 1] = 0.5f;   /* a NaN key (x86's NaN of 0 * inf: its sign bit set), then +inf in a key: NaN where the reference has NaN */
    for (e = 0; e < 2; e++) {
        float *r = (float *)malloc(sizeof(float) * tq * ld), *rws = (float *)malloc(sizeof(float) * tk);
        int nan_ref = 0, same = 1;
        k[40 * ld + d + 2] = e ? INFINITY : -NAN;   /* key 40, head 1 */
        sd__attention_fast(m, o, q, k, v, n, heads, tq, tk, d, SD__MASK_NONE, ws);
        sd__attention_ref(m, r, q, k, v, n, heads, tq, tk, d, SD__MASK_NONE, rws);
        for (i = 0, nan_out = 0; i < (size_t)tq * ld; i++) {
            nan_out += o[i] != o[i]; nan_ref += r[i] != r[i];
            if ((o[i] != o[i]) != (r[i] != r[i])) same = 0;
        }
        printf("%s attention with %s in one key: %d outputs NaN, where the reference's %d are\n",
               same && nan_ref ? "ok  " : "FAIL", e ? "+inf" : "a NaN", nan_out, nan_ref);
        failures += !(same && nan_ref);
        free(r); free(rws);
    }
    free(q); free(k); free(v); free(o); free(ws);
}

int main(void)
{
    sd_model *m = sd_create(NULL);
    int dt;
    m->par_work = 0;   /* the fast kernels on all the threads, however small their work */
    test_f16_all();
    test_kernel_twin();
    for (dt = 0; dt < 3; dt++) {
        test_linear(m, 77, 64, 64, dt, 0);
        test_linear(m, 1, 5, 3, dt, 1);
        test_linear(m, 300, 320, 1280, dt, 1);
        test_linear(m, 7, 300, 65, dt, 0);
        test_linear(m, 95, 320, 200, dt, 0);   /* K in one block (sd__mm_onek), the last rows of a block of MC alone */
    }
    test_conv(m, 1, 4, 8, 8, 32, 3, 1, 1, 0, 0, SD__F16);
    test_conv(m, 2, 32, 13, 7, 64, 3, 1, 1, 0, 1, SD__F16);
    test_conv(m, 2, 64, 10, 9, 64, 3, 2, 1, 0, 0, SD__F16);
    test_conv(m, 1, 32, 16, 16, 32, 3, 2, 0, 0, 0, SD__F32);
    test_conv(m, 2, 64, 5, 3, 64, 3, 1, 1, 1, 0, SD__BF16);
    test_conv(m, 1, 64, 5, 4, 64, 3, 1, 1, 2, 0, SD__F16);
    test_conv(m, 2, 96, 11, 11, 32, 1, 1, 0, 0, 0, SD__F16);
    test_conv(m, 3, 300, 9, 13, 70, 1, 1, 0, 0, 0, SD__F16);    /* 1x1 read in place: channels over a block (256), column blocks across images */
    test_conv(m, 1, 64, 7, 9, 40, 1, 1, 0, 0, 1, SD__F16);      /* 1x1 after GroupNorm+SiLU: read in place after them (low-memory: through the row buffer) */
    test_conv(m, 1, 256, 20, 20, 130, 3, 1, 1, 0, 1, SD__F16);
    test_conv(m, 1, 32, 5, 530, 24, 3, 1, 1, 0, 1, SD__F16);   /* output rows wider than a column block */
    test_conv(m, 1, 8, 9, 601, 16, 3, 2, 1, 0, 0, SD__F16);    /* stride 2 across blocks */
    test_conv(m, 2, 160, 32, 32, 200, 3, 1, 1, 0, 1, SD__F16);  /* Winograd: channels over a block (128), tiles over a block (64) */
    test_conv(m, 1, 64, 18, 23, 400, 3, 1, 1, 0, 0, SD__F16);   /* output channels over a thread's block (384), edge tiles */
    test_conv(m, 2, 64, 16, 16, 500, 3, 1, 1, 0, 1, SD__F16);   /* tiles as rows: 32 of them, output channels over a panel */
    test_conv(m, 5, 200, 16, 16, 150, 3, 1, 1, 0, 0, SD__F16);  /* 80 tiles as rows (two blocks), input channels past a block of 128 (72: not whole 16s) */
    test_conv(m, 3, 40, 8, 8, 70, 3, 1, 1, 0, 0, SD__BF16);     /* 8x8: 4 tiles an image */
    test_conv(m, 1, 32, 6, 7, 40, 3, 1, 1, 1, 1, SD__BF16);     /* upsampled to 12x14 */
    test_attention(m, 1, 1, 77, 77, 64, 1);
    test_attention(m, 2, 8, 100, 77, 4, 0);
    test_attention(m, 2, 8, 300, 300, 8, 0);
    test_attention(m, 1, 1, 256, 256, 64, 0);
    test_attention(m, 1, 2, 97, 513, 40, 0);
    test_attention(m, 1, 2, 130, 2000, 40, 0);   /* keys in three blocks: the running max and sum carried over */
    test_attention(m, 1, 1, 64, 64, 512, 0);
    test_attention(m, 1, 3, 200, 200, 80, 1);
    test_attention(m, 2, 2, 1100, 1100, 40, 1);   /* causal across two key blocks and nine query blocks */
    test_exp2();
    test_nan(m);
    test_geglu(m, 33, 256);
    test_linear_geglu(m, 77, 64, 256, SD__F16);      /* whole pairs of panels: fused */
    test_linear_geglu(m, 301, 320, 1280, SD__F16);   /* several column tiles and row chunks */
    test_linear_geglu(m, 5, 24, 40, SD__F32);        /* F not whole panels: the product, then GEGLU */
    test_linear_geglu(m, 130, 48, 128, SD__BF16);
    test_memory_ops(m, 2, 64, 77);
    test_memory_ops(m, 1, 320, 4096);
    test_bf16_round();
    test_kernel_bf16_twin();
    {
        sd_config c = sd_config_default();
        sd_model *mb, *m1;
        c.bf16 = 1;
        mb = sd_create(&c);
        c.n_threads = 1;
        m1 = sd_create(&c);
        mb->par_work = m1->par_work = 0;
        test_bf16_products(m, mb, m1);
        sd_free(mb); sd_free(m1);
    }
    sd_free(m);
    printf("%s: %d failure%s\n", failures ? "FAIL" : "ok", failures, failures == 1 ? "" : "s");
    return failures != 0;
}
