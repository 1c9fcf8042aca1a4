/* test_cuda: every operation of the GPU backend (sd_cuda.cu) against sd.h's scalar reference kernel
   on random inputs of several shapes, odd sizes included, in both precisions (FP32 and the fast
   FP16 tensor-core mode). One ok/FAIL line per check with the relative L2 error; exits non-zero
   on failure. Outputs are poisoned with NaN before each GPU call, so an unwritten element fails.

   build/cuda/test_cuda [--fp32 | --fp16] [--bench]
   Without a usable GPU it prints SKIP and exits 0 (1 when SD_CUDA_REQUIRE is set).
   Built against the CPU emulation (make test-cuda-emu: -DSDC_EMU -include tests/cuda_emu.h) it runs
   the same checks on the same kernel code without a GPU.
   --bench: instead of the checks, times the big operations at SD 1.5 sizes (512x512, batch 2) in
   the fast mode. */
#define SD_CUDA
#define SD_IMPLEMENTATION
#include "../sd.h"
#ifndef SDC_EMU
#include <cuda_runtime.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <vector>

static int failures, checks;
static sd__cuda *G;
static int FP32;

/* float -> IEEE half, round to nearest even */
static uint16_t f32_to_f16(float f)
{
    uint32_t x = sd__f32_bits(f), sign = (x >> 16) & 0x8000u, absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0));
    if (absx >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);
    if (absx < 0x38800000u) {
        float a = sd__bits_f32(absx) + 0.5f;
        return (uint16_t)(sign | (sd__f32_bits(a) - sd__f32_bits(0.5f)));
    }
    {
        uint32_t mant_odd = (absx >> 13) & 1;
        absx += 0xc8000fffu + mant_odd;
        return (uint16_t)(sign | (absx >> 13));
    }
}

static void fill(float *x, size_t n, uint32_t *s, float scale, float offset = 0.0f)
{
    size_t i;
    for (i = 0; i < n; i++) {
        *s = *s * 1664525u + 1013904223u;
        x[i] = ((float)(*s >> 8) / 16777216.0f * 2.0f - 1.0f) * scale + offset;
    }
}

static double tol(double fp32_tol, double fp16_tol) { return FP32 ? fp32_tol : fp16_tol; }

static void check(const char *what, const float *got, const float *ref, size_t n, double tl)
{
    double num = 0, den = 0, worst = 0, e;
    size_t i, at = 0;
    int finite = 1;
    for (i = 0; i < n; i++) {
        double d = (double)got[i] - ref[i];
        if (!(got[i] == got[i]) || got[i] - got[i] != 0) { if (finite) at = i; finite = 0; }
        num += d * d; den += (double)ref[i] * ref[i];
        if (finite && fabs(d) > worst) { worst = fabs(d); at = i; }
    }
    e = den > 0 ? sqrt(num / den) : sqrt(num);
    checks++;
    if (finite && e <= tl && sd__cuda_error(G)[0] == 0)
        printf("ok   %-5s %-58s rel_l2 %.2e (tol %.0e)  max_abs %.2e\n", FP32 ? "fp32" : "fp16", what, e, tl, worst);
    else {
        failures++;
        printf("FAIL %-5s %-58s rel_l2 %.2e (tol %.0e)  max_abs %.2e at %lu%s%s\n", FP32 ? "fp32" : "fp16", what, e, tl, worst,
               (unsigned long)at, finite ? "" : " (NaN/Inf)", sd__cuda_error(G));
        for (i = 0; i < 4 && i < n; i++) printf("       [%lu] got %.7g ref %.7g\n", (unsigned long)i, got[i], ref[i]);
        if (at >= 4) printf("       [%lu] got %.7g ref %.7g\n", (unsigned long)at, got[at], ref[at]);
    }
}

/* device buffers */
static float *dev(const float *host, size_t n)
{
    float *d = (float *)sd__cuda_malloc(G, (n ? n : 1) * sizeof(float));
    if (!d) { printf("FAIL cannot allocate %lu floats on the GPU\n", (unsigned long)n); exit(1); }
    if (host) sd__cuda_upload(G, d, host, n * sizeof(float));
    else { cudaMemset(d, 0xff, (n ? n : 1) * sizeof(float)); cudaDeviceSynchronize(); }   /* NaN */
    return d;
}
/* NaN into an output (the backend's stream does not wait for the default stream: synchronize) */
static void poison(float *d, size_t n) { cudaMemset(d, 0xff, n * sizeof(float)); cudaDeviceSynchronize(); }
static std::vector<float> get(const float *d, size_t n)
{
    std::vector<float> h(n);
    sd__cuda_download(G, h.data(), d, n * sizeof(float));
    return h;
}

/* a weight tensor of the given dtype filled with random values, and its GPU copy */
struct weight {
    sd__tensor t;
    std::vector<unsigned char> store;
    void *d;
};

static void make_weight(weight &w, int dtype, int co, int ci, int k, uint32_t *s)
{
    size_t n = (size_t)co * ci * (k ? k * k : 1), i;
    std::vector<float> f(n);
    memset(&w.t, 0, sizeof w.t);
    fill(f.data(), n, s, 1.0f / sqrtf((float)(ci * (k ? k * k : 1))));
    w.store.resize(n * 4);
    for (i = 0; i < n; i++) {
        unsigned char *p = w.store.data();
        if (dtype == SD__F16) { uint16_t h = f32_to_f16(f[i]); p[2 * i] = (unsigned char)h; p[2 * i + 1] = (unsigned char)(h >> 8); }
        else if (dtype == SD__BF16) { uint32_t b = sd__f32_bits(f[i]) >> 16; p[2 * i] = (unsigned char)b; p[2 * i + 1] = (unsigned char)(b >> 8); }
        else sd__put_u32le(p + 4 * i, sd__f32_bits(f[i]));
    }
    w.t.dtype = dtype; w.t.data = w.store.data();
    w.t.ndim = k ? 4 : 2; w.t.shape[0] = co; w.t.shape[1] = ci; w.t.shape[2] = k; w.t.shape[3] = k;
    w.t.numel = (int64_t)n;
    w.d = sd__cuda_weight(G, w.store.data(), dtype == SD__F32 ? 0 : dtype == SD__F16 ? 1 : 2, n);
}

static const char *dtn(int dtype) { return dtype == SD__F32 ? "F32" : dtype == SD__F16 ? "F16" : "BF16"; }

/* ---------------------------------------------------------------- the operations */

static void test_conv(int n, int c, int h, int w, int co, int k, int stride, int pt, int pl, int pb, int pr,
                      int up_h, int up_w, int gn, int silu, int with_add, int dtype)
{
    uint32_t s = (uint32_t)(n + c * 3 + h * 5 + w * 7 + co * 11 + k + stride * 13 + up_h * 17 + gn * 19 + silu);
    weight wt;
    sd__conv g;
    sd__lin l;
    size_t nin = (size_t)n * c * h * w, nout;
    char name[160];
    make_weight(wt, dtype, co, c, k, &s);
    memset(&g, 0, sizeof g);
    g.n = n; g.c = c; g.h = h; g.w = w; g.co = co; g.k = k; g.stride = stride; g.pad_t = pt; g.pad_l = pl;
    g.up_h = up_h; g.up_w = up_w;
    g.ho = ((up_h ? up_h : h) + pt + pb - k) / stride + 1;
    g.wo = ((up_w ? up_w : w) + pl + pr - k) / stride + 1;
    nout = (size_t)n * co * g.ho * g.wo;
    std::vector<float> in(nin), bias(co), add(nout), ref(nout), stats;
    fill(in.data(), nin, &s, 2.0f, 0.3f); fill(bias.data(), co, &s, 0.3f); fill(add.data(), nout, &s, 1.0f);
    if (gn) {
        std::vector<float> gw(c), gb(c);
        sd__norm nm;
        fill(gw.data(), c, &s, 1.0f); fill(gb.data(), c, &s, 1.0f);
        nm.w = gw.data(); nm.b = gb.data();
        stats.resize((size_t)n * c * 2);
        sd__gn_stats_ref(NULL, stats.data(), in.data(), n, c, h * w, c % 32 == 0 ? 32 : 1, 1e-5f, &nm);
    }
    l.w = &wt.t; l.b = bias.data();
    sd__conv2d_ref(NULL, ref.data(), in.data(), &g, &l, with_add ? add.data() : NULL, gn ? stats.data() : NULL, silu ? SD__ACT_SILU : SD__ACT_NONE, NULL);
    float *din = dev(in.data(), nin), *dbias = dev(bias.data(), co), *dout = dev(NULL, nout);
    float *dst = gn ? dev(stats.data(), stats.size()) : NULL;
    snprintf(name, sizeof name, "conv %dx%dx%dx%d%s k%d s%d p%d%d%d%d%s%s -> %d %s%s", n, c, h, w,
             up_h ? " up" : "", k, stride, pt, pl, pb, pr, gn ? " gn" : "", silu ? "+silu" : "", co, dtn(dtype),
             with_add ? " out==add" : "");
    if (up_h) snprintf(name + strlen(name), sizeof name - strlen(name), " (%dx%d)", up_h, up_w);
    if (with_add) sd__cuda_upload(G, dout, add.data(), nout * 4);   /* the residual form: out aliases add */
    sd__cuda_conv2d(G, dout, din, n, c, h, w, up_h, up_w, co, k, stride, pt, pl, g.ho, g.wo, wt.d, dbias, with_add ? dout : NULL,
                   dst, silu);
    std::vector<float> got = get(dout, nout);
    check(name, got.data(), ref.data(), nout, tol(1e-5, 3e-3));
    /* the same weight again (the fast mode reorders a k x k weight once) */
    if (k > 1 && !with_add) {
        poison(dout, nout);
        sd__cuda_conv2d(G, dout, din, n, c, h, w, up_h, up_w, co, k, stride, pt, pl, g.ho, g.wo, wt.d, dbias, NULL, dst, silu);
        got = get(dout, nout);
        snprintf(name, sizeof name, "conv %dx%dx%dx%d k%d -> %d, second call", n, c, h, w, k, co);
        check(name, got.data(), ref.data(), nout, tol(1e-5, 3e-3));
    }
    sd__cuda_free(G, din); sd__cuda_free(G, dbias); sd__cuda_free(G, dout); sd__cuda_free(G, dst); sd__cuda_free(G, wt.d);
}

static void test_linear(int rows, int c, int co, int dtype, int with_add, int with_bias)
{
    uint32_t s = (uint32_t)(rows * 31 + c * 7 + co);
    weight wt;
    sd__lin l;
    char name[128];
    make_weight(wt, dtype, co, c, 0, &s);
    std::vector<float> in((size_t)rows * c), bias(co), add((size_t)rows * co), ref((size_t)rows * co);
    fill(in.data(), in.size(), &s, 1.0f); fill(bias.data(), co, &s, 0.5f); fill(add.data(), add.size(), &s, 1.0f);
    l.w = &wt.t; l.b = with_bias ? bias.data() : NULL;
    sd__linear_ref(NULL, ref.data(), in.data(), rows, c, &l, with_add ? add.data() : NULL, SD__ACT_NONE, NULL);
    float *din = dev(in.data(), in.size()), *dbias = dev(bias.data(), co), *dout = dev(NULL, add.size());
    if (with_add) sd__cuda_upload(G, dout, add.data(), add.size() * 4);
    sd__cuda_linear(G, dout, din, rows, c, co, wt.d, with_bias ? dbias : NULL, with_add ? dout : NULL);
    std::vector<float> got = get(dout, add.size());
    snprintf(name, sizeof name, "linear %dx%d -> %d %s%s%s", rows, c, co, dtn(dtype), with_bias ? " +bias" : "", with_add ? " out==add" : "");
    check(name, got.data(), ref.data(), ref.size(), tol(1e-5, 3e-3));
    sd__cuda_free(G, din); sd__cuda_free(G, dbias); sd__cuda_free(G, dout); sd__cuda_free(G, wt.d);
}

static void test_gn(int n, int c, int hw, int groups, float offset)
{
    uint32_t s = (uint32_t)(n * 3 + c * 5 + hw);
    std::vector<float> in((size_t)n * c * hw), gw(c), gb(c), ref((size_t)n * c * 2);
    sd__norm nm;
    char name[96];
    fill(in.data(), in.size(), &s, 2.0f, offset); fill(gw.data(), c, &s, 1.0f); fill(gb.data(), c, &s, 1.0f);
    nm.w = gw.data(); nm.b = gb.data();
    sd__gn_stats_ref(NULL, ref.data(), in.data(), n, c, hw, groups, 1e-5f, &nm);
    float *din = dev(in.data(), in.size()), *dw = dev(gw.data(), c), *db = dev(gb.data(), c), *dout = dev(NULL, ref.size());
    sd__cuda_gn_stats(G, dout, din, n, c, hw, groups, 1e-5f, dw, db);
    std::vector<float> got = get(dout, ref.size());
    snprintf(name, sizeof name, "groupnorm stats %dx%dx%d g%d mean %g", n, c, hw, groups, offset);
    check(name, got.data(), ref.data(), ref.size(), tol(1e-6, 1e-6));
    sd__cuda_free(G, din); sd__cuda_free(G, dw); sd__cuda_free(G, db); sd__cuda_free(G, dout);
}

static void test_layernorm(int rows, int c)
{
    uint32_t s = (uint32_t)(rows * 3 + c);
    std::vector<float> in((size_t)rows * c), gw(c), gb(c), ref(in.size());
    sd__norm nm;
    char name[96];
    fill(in.data(), in.size(), &s, 3.0f, 0.5f); fill(gw.data(), c, &s, 1.0f); fill(gb.data(), c, &s, 1.0f);
    nm.w = gw.data(); nm.b = gb.data();
    sd__layernorm_ref(NULL, ref.data(), in.data(), rows, c, 1e-5f, &nm);
    float *din = dev(in.data(), in.size()), *dw = dev(gw.data(), c), *db = dev(gb.data(), c), *dout = dev(NULL, in.size());
    sd__cuda_layernorm(G, dout, din, rows, c, 1e-5f, dw, db);
    std::vector<float> got = get(dout, in.size());
    snprintf(name, sizeof name, "layernorm %dx%d", rows, c);
    check(name, got.data(), ref.data(), ref.size(), 1e-6);
    sd__cuda_free(G, din); sd__cuda_free(G, dw); sd__cuda_free(G, db); sd__cuda_free(G, dout);
}

static void test_attention(int n, int heads, int tq, int tk, int d, int causal)
{
    uint32_t s = (uint32_t)(n + heads * 3 + tq * 5 + tk * 7 + d * 11 + causal);
    size_t ld = (size_t)heads * d;
    std::vector<float> q(n * tq * ld), k(n * tk * ld), v(n * tk * ld), ref(n * tq * ld), ws(tk);
    char name[96];
    fill(q.data(), q.size(), &s, 2.0f); fill(k.data(), k.size(), &s, 2.0f); fill(v.data(), v.size(), &s, 1.0f);
    sd__attention_ref(NULL, ref.data(), q.data(), k.data(), v.data(), n, heads, tq, tk, d, causal ? SD__MASK_CAUSAL : SD__MASK_NONE, ws.data());
    float *dq = dev(q.data(), q.size()), *dk = dev(k.data(), k.size()), *dv = dev(v.data(), v.size()), *dout = dev(NULL, ref.size());
    sd__cuda_attention(G, dout, dq, dk, dv, n, heads, tq, tk, d, causal);
    std::vector<float> got = get(dout, ref.size());
    snprintf(name, sizeof name, "attention n%d h%d tq%d tk%d d%d%s", n, heads, tq, tk, d, causal ? " causal" : "");
    check(name, got.data(), ref.data(), ref.size(), tol(1e-5, 5e-3));
    sd__cuda_free(G, dq); sd__cuda_free(G, dk); sd__cuda_free(G, dv); sd__cuda_free(G, dout);
}

static void test_elementwise(int n, int c, int hw)
{
    uint32_t s = (uint32_t)(n * 7 + c * 3 + hw);
    size_t len = (size_t)n * c * hw;
    std::vector<float> x(len), add(len), st((size_t)n * c * 2), e((size_t)n * c), ref(len), ref2(2 * len);
    char name[96];
    fill(x.data(), len, &s, 3.0f); fill(add.data(), len, &s, 1.0f); fill(st.data(), st.size(), &s, 1.0f); fill(e.data(), e.size(), &s, 1.0f);
    float *dx = dev(x.data(), len), *dadd = dev(add.data(), len), *dst = dev(st.data(), st.size()), *de = dev(e.data(), e.size());
    float *dout = dev(NULL, 2 * len);
    std::vector<float> got;

    sd__tokens_ref(NULL, ref.data(), x.data(), n, c, hw, st.data());
    sd__cuda_transpose(G, dout, dx, n, c, hw, dst, NULL);
    got = get(dout, len);
    snprintf(name, sizeof name, "tokens (gn map) %dx%dx%d", n, c, hw);
    check(name, got.data(), ref.data(), len, 0.0);

    sd__untokens_ref(NULL, ref.data(), x.data(), n, c, hw, add.data());
    sd__cuda_upload(G, dout, add.data(), len * 4);
    sd__cuda_transpose(G, dout, dx, n, hw, c, NULL, dout);
    got = get(dout, len);
    snprintf(name, sizeof name, "untokens + add (out==add) %dx%dx%d", n, c, hw);
    check(name, got.data(), ref.data(), len, 0.0);

    for (int kind = 0; kind < 4; kind++) {   /* sd__cuda_act's kinds: 0 SiLU, 1 quick_gelu, 2 GELU, 3 ReLU */
        static const sd__act acts[4] = { SD__ACT_SILU, SD__ACT_QUICK_GELU, SD__ACT_GELU, SD__ACT_RELU };
        static const char *const names[4] = { "silu", "quick_gelu", "gelu", "relu" };
        sd__act_ref(NULL, ref.data(), x.data(), len, acts[kind]);
        sd__cuda_upload(G, dout, x.data(), len * 4);
        sd__cuda_act(G, dout, dout, len, kind);   /* in place, as sd.h calls it */
        got = get(dout, len);
        snprintf(name, sizeof name, "%s %lu (in place)", names[kind], (unsigned long)len);
        check(name, got.data(), ref.data(), len, tol(1e-6, 1e-6));
    }

    {
        int rows = n * hw, f = c;   /* GEGLU of [rows, 2f] */
        std::vector<float> gin((size_t)rows * 2 * f), gref((size_t)rows * f);
        fill(gin.data(), gin.size(), &s, 4.0f);
        sd__geglu_ref(NULL, gref.data(), gin.data(), rows, f);
        float *dg = dev(gin.data(), gin.size());
        poison(dout, gref.size());
        sd__cuda_geglu(G, dout, dg, rows, f);
        got = get(dout, gref.size());
        snprintf(name, sizeof name, "geglu %dx%d", rows, f);
        check(name, got.data(), gref.data(), gref.size(), tol(1e-7, 1e-6));
        sd__cuda_free(G, dg);
    }

    ref = x;
    sd__add_chan_ref(NULL, ref.data(), e.data(), n, c, hw);
    sd__cuda_upload(G, dout, x.data(), len * 4);
    sd__cuda_add_chan(G, dout, de, n, c, hw);
    got = get(dout, len);
    snprintf(name, sizeof name, "add_chan %dx%dx%d", n, c, hw);
    check(name, got.data(), ref.data(), len, 0.0);

    {   /* concat of x [n, c1, hw'] and add [n, c2, hw'] with c1 + c2 = c */
        int c1 = c / 3 + 1, c2 = c - c1;
        sd__concat_ref(NULL, ref2.data(), x.data(), c1, add.data(), c2, n, hw);
        poison(dout, len);
        sd__cuda_concat(G, dout, dx, c1, dadd, c2, n, hw);
        got = get(dout, len);
        snprintf(name, sizeof name, "concat %d+%d x %d x %d", c1, c2, n, hw);
        check(name, got.data(), ref2.data(), len, 0.0);
    }
    sd__cuda_free(G, dx); sd__cuda_free(G, dadd); sd__cuda_free(G, dst); sd__cuda_free(G, de); sd__cuda_free(G, dout);
}

static void run_all(void)
{
    /* convolutions: 1x1; 3x3 with GroupNorm+SiLU on the input and the residual aliasing out;
       stride 2 on odd sizes (symmetric and the VAE's asymmetric padding); nearest upsampling to
       2x and to odd sizes; channels that are not a multiple of 32; small products (split K) */
    test_conv(2, 64, 9, 9, 48, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, SD__F16);
    test_conv(1, 4, 13, 11, 40, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, SD__F32);
    test_conv(2, 64, 16, 16, 96, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, SD__F16);
    test_conv(2, 64, 16, 16, 96, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, SD__F16);
    test_conv(1, 37, 13, 11, 29, 3, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, SD__F16);
    test_conv(1, 32, 13, 11, 33, 3, 2, 0, 0, 1, 1, 0, 0, 1, 0, 0, SD__BF16);
    test_conv(2, 64, 6, 5, 40, 3, 1, 1, 1, 1, 1, 12, 10, 0, 0, 0, SD__F16);
    test_conv(1, 32, 5, 7, 20, 3, 1, 1, 1, 1, 1, 11, 13, 0, 0, 0, SD__F16);
    test_conv(1, 20, 5, 7, 24, 3, 1, 1, 1, 1, 1, 11, 15, 0, 1, 1, SD__F32);
    test_conv(1, 4, 17, 19, 40, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, SD__F16);
    test_conv(2, 256, 8, 8, 256, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, SD__F16);
    test_conv(1, 64, 40, 40, 136, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, SD__F16);
    test_conv(1, 96, 24, 24, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, SD__F16);
    /* linear layers: text-encoder widths, odd sizes (no vector loads), the time embedding, wide */
    test_linear(77, 768, 768, SD__F16, 0, 1);
    test_linear(130, 37, 45, SD__F32, 1, 1);
    test_linear(2, 320, 1280, SD__BF16, 0, 1);
    test_linear(300, 64, 2560, SD__F16, 1, 0);
    test_linear(1000, 320, 320, SD__F16, 1, 1);
    /* GroupNorm statistics (odd sizes, several chunks per group, a mean far from zero) */
    test_gn(2, 64, 37, 32, 0.0f);
    test_gn(1, 256, 4096, 32, 3.0f);
    test_gn(2, 6, 5, 3, -1.0f);
    test_layernorm(77, 768);
    test_layernorm(33, 37);
    /* attention: cross-attention (tk = 77), head sizes 40/80/160/512 (the VAE), the causal text
       encoder, query counts that are not a multiple of the tile, tiny heads */
    test_attention(2, 8, 300, 77, 40, 0);
    test_attention(1, 8, 257, 257, 40, 0);
    test_attention(1, 4, 200, 130, 80, 0);
    test_attention(2, 2, 100, 77, 160, 0);
    test_attention(1, 1, 130, 150, 512, 0);
    test_attention(1, 12, 77, 77, 64, 1);
    test_attention(1, 2, 70, 70, 4, 0);
    test_attention(1, 2, 90, 90, 20, 1);   /* causal: queries and keys are the same tokens */
    test_elementwise(2, 37, 29);
    test_elementwise(1, 64, 256);
}

/* ---------------------------------------------------------------- timing of the big operations */

static double time_ms(void (*fn)(void *), void *arg, int reps)
{
    cudaEvent_t a, b;
    float ms = 0;
    int i;
    fn(arg);
    cudaDeviceSynchronize();
    cudaEventCreate(&a); cudaEventCreate(&b);
    cudaEventRecord(a, 0);
    for (i = 0; i < reps; i++) fn(arg);
    cudaDeviceSynchronize();   /* the backend's stream is non-blocking: wait for the device */
    cudaEventRecord(b, 0);
    cudaEventSynchronize(b);
    cudaEventElapsedTime(&ms, a, b);
    cudaEventDestroy(a); cudaEventDestroy(b);
    return ms / reps;
}

struct conv_case { int n, c, h, w, co, k, up; float *in, *out, *bias, *st; void *wt; };
static void run_conv(void *p)
{
    conv_case *c = (conv_case *)p;
    int H = c->up ? 2 * c->h : c->h, W = c->up ? 2 * c->w : c->w;
    sd__cuda_conv2d(G, c->out, c->in, c->n, c->c, c->h, c->w, c->up ? H : 0, c->up ? W : 0, c->co, c->k, 1, c->k / 2, c->k / 2, H, W,
                   c->wt, c->bias, NULL, c->st, c->st != NULL);
}
struct lin_case { int rows, c, co; float *in, *out, *bias; void *wt; };
static void run_lin(void *p) { lin_case *l = (lin_case *)p; sd__cuda_linear(G, l->out, l->in, l->rows, l->c, l->co, l->wt, l->bias, NULL); }
struct attn_case { int n, heads, tq, tk, d; float *q, *k, *v, *out; };
static void run_attn(void *p) { attn_case *a = (attn_case *)p; sd__cuda_attention(G, a->out, a->q, a->k, a->v, a->n, a->heads, a->tq, a->tk, a->d, 0); }

static void bench(void)
{
    static const int convs[][7] = {   /* n c h w co k up: UNet batch 2 at 64x64, VAE decoder at 512x512 */
        { 2, 320, 64, 64, 320, 3, 0 }, { 2, 640, 32, 32, 640, 3, 0 }, { 2, 1280, 16, 16, 1280, 3, 0 }, { 2, 1280, 8, 8, 1280, 3, 0 },
        { 2, 2560, 8, 8, 1280, 3, 0 }, { 2, 960, 64, 64, 320, 3, 0 }, { 1, 512, 64, 64, 512, 3, 0 }, { 1, 512, 128, 128, 512, 3, 1 },
        { 1, 256, 256, 256, 256, 3, 0 }, { 1, 128, 512, 512, 128, 3, 0 }, { 2, 320, 64, 64, 320, 1, 0 } };
    static const int lins[][3] = { { 8192, 320, 320 }, { 8192, 320, 2560 }, { 8192, 1280, 320 }, { 2048, 640, 640 }, { 512, 1280, 1280 },
                                   { 154, 768, 320 }, { 128, 1280, 10240 } };
    static const int attns[][5] = { { 2, 8, 4096, 4096, 40 }, { 2, 8, 4096, 77, 40 }, { 2, 8, 1024, 1024, 80 }, { 2, 8, 256, 256, 160 },
                                    { 1, 1, 4096, 4096, 512 } };
    size_t i;
    uint32_t s = 99;
    printf("\nfast-mode operations at SD 1.5 sizes (mean of repeated runs):\n");
    for (i = 0; i < sizeof convs / sizeof convs[0]; i++) {
        conv_case c = { convs[i][0], convs[i][1], convs[i][2], convs[i][3], convs[i][4], convs[i][5], convs[i][6], 0, 0, 0, 0, 0 };
        int H = c.up ? 2 * c.h : c.h, W = c.up ? 2 * c.w : c.w;
        size_t nin = (size_t)c.n * c.c * c.h * c.w, nout = (size_t)c.n * c.co * H * W, nw = (size_t)c.co * c.c * c.k * c.k;
        std::vector<float> h(nin > nw ? nin : nw);
        std::vector<uint16_t> wh(nw);
        fill(h.data(), nw, &s, 0.05f);
        for (size_t j = 0; j < nw; j++) wh[j] = f32_to_f16(h[j]);
        c.wt = sd__cuda_weight(G, wh.data(), 1, nw);
        fill(h.data(), nin, &s, 1.0f);
        c.in = dev(h.data(), nin); c.out = dev(NULL, nout); c.bias = dev(h.data(), c.co);
        fill(h.data(), 2 * (size_t)c.n * c.c, &s, 1.0f);
        c.st = dev(h.data(), 2 * (size_t)c.n * c.c);
        double ms = time_ms(run_conv, &c, 20), fl = 2.0 * nout * c.c * c.k * c.k;
        printf("  conv   %dx%dx%dx%d%s k%d -> %-5d  %8.3f ms  %6.1f TFLOP/s\n", c.n, c.c, c.h, c.w, c.up ? " up2" : "", c.k, c.co, ms,
               fl / ms / 1e9);
        sd__cuda_free(G, c.in); sd__cuda_free(G, c.out); sd__cuda_free(G, c.bias); sd__cuda_free(G, c.st); sd__cuda_free(G, c.wt);
    }
    for (i = 0; i < sizeof lins / sizeof lins[0]; i++) {
        lin_case l = { lins[i][0], lins[i][1], lins[i][2], 0, 0, 0, 0 };
        size_t nw = (size_t)l.co * l.c, nin = (size_t)l.rows * l.c;
        std::vector<float> h(nin > nw ? nin : nw);
        std::vector<uint16_t> wh(nw);
        fill(h.data(), nw, &s, 0.05f);
        for (size_t j = 0; j < nw; j++) wh[j] = f32_to_f16(h[j]);
        l.wt = sd__cuda_weight(G, wh.data(), 1, nw);
        fill(h.data(), nin, &s, 1.0f);
        l.in = dev(h.data(), nin); l.out = dev(NULL, (size_t)l.rows * l.co); l.bias = dev(h.data(), l.co);
        double ms = time_ms(run_lin, &l, 20), fl = 2.0 * l.rows * l.c * (double)l.co;
        printf("  linear %5d x %-5d -> %-5d        %8.3f ms  %6.1f TFLOP/s\n", l.rows, l.c, l.co, ms, fl / ms / 1e9);
        sd__cuda_free(G, l.in); sd__cuda_free(G, l.out); sd__cuda_free(G, l.bias); sd__cuda_free(G, l.wt);
    }
    for (i = 0; i < sizeof attns / sizeof attns[0]; i++) {
        attn_case a = { attns[i][0], attns[i][1], attns[i][2], attns[i][3], attns[i][4], 0, 0, 0, 0 };
        size_t nq = (size_t)a.n * a.tq * a.heads * a.d, nk = (size_t)a.n * a.tk * a.heads * a.d;
        std::vector<float> h(nq > nk ? nq : nk);
        fill(h.data(), h.size(), &s, 1.0f);
        a.q = dev(h.data(), nq); a.k = dev(h.data(), nk); a.v = dev(h.data(), nk); a.out = dev(NULL, nq);
        double ms = time_ms(run_attn, &a, 10), fl = 4.0 * a.n * a.heads * (double)a.tq * a.tk * a.d;
        printf("  attention n%d h%d %dx%d d%-3d       %8.3f ms  %6.1f TFLOP/s\n", a.n, a.heads, a.tq, a.tk, a.d, ms, fl / ms / 1e9);
        sd__cuda_free(G, a.q); sd__cuda_free(G, a.k); sd__cuda_free(G, a.v); sd__cuda_free(G, a.out);
    }
    if (sd__cuda_error(G)[0]) { printf("FAIL bench: %s\n", sd__cuda_error(G)); failures++; }
}

int main(int argc, char **argv)
{
    int modes[2] = { 1, 0 }, nm = 2, i, do_bench = 0;
    char why[256] = "";
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--fp32")) { modes[0] = 1; nm = 1; }
        else if (!strcmp(argv[i], "--fp16")) { modes[0] = 0; nm = 1; }
        else if (!strcmp(argv[i], "--bench")) { do_bench = 1; modes[0] = 0; nm = 1; }
        else { fprintf(stderr, "usage: test_cuda [--fp32|--fp16] [--bench]\n"); return 2; }
    }
    for (i = 0; i < nm; i++) {
        FP32 = modes[i];
        G = sd__cuda_create(FP32, why, sizeof why);
        if (!G) {
            printf("SKIP test_cuda: no usable GPU (%s)\n", why);
            return getenv("SD_CUDA_REQUIRE") ? 1 : 0;
        }
        if (do_bench) { if (!FP32) bench(); }
        else run_all();
        if (sd__cuda_error(G)[0]) { printf("FAIL %s mode: %s\n", FP32 ? "fp32" : "fp16", sd__cuda_error(G)); failures++; }
        sd__cuda_destroy(G);
    }
    printf("test_cuda: %d checks, %d failed\n", checks, failures);
    return failures != 0;
}
