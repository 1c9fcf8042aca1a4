/* mkmodel.c - write random-weight Stable Diffusion checkpoints of the real layout.

   A standalone C99 program (libc + libm, no sd.h) for benchmarks, demos and tests:

     mkmodel [--config sd15|tiny|demo|sd21|sdxl|sdxl-tiny] [--dtype f16|f32|bf16] [--seed N] [--scale X] -o OUT.safetensors
     mkmodel ... --vae-only -o VAE.safetensors       just the VAE, as a separate VAE file
     mkmodel ... --diffusers DIR                     the same weights as a diffusers folder (SD 1.x, SDXL)
     mkmodel --family sd2|sdxl -o OUT.safetensors    tiny checkpoints of the other families
     mkmodel --vocab-out merges.txt                  a small CLIP BPE vocabulary, trained here
     mkmodel [--config sdxl] --print-keymap          the LDM -> diffusers key mapping, as text
     mkmodel --lora OUT.safetensors --for MODEL.safetensors [--rank R] [--keys kohya|diffusers|peft]
                                                     a random LoRA / LoCon of MODEL's layers (SD 1.x, SDXL)
     mkmodel --embedding OUT.safetensors --width D   a random textual-inversion embedding
     mkmodel --taesd OUT.safetensors [--half encoder|decoder]   a random TAESD half (madebyollin's layout)

   Build:  cc -std=c99 -O2 -o build/mkmodel tools/mkmodel.c -lm

   HOW IT WORKS
     The tensor list comes from a config struct (channels per level, res blocks, attention
     levels, context dim, CLIP width/layers, VAE channels) through the same construction
     rules as the LDM / CompVis code (see unet(), vae(), clip_hf()), never from a list of
     keys. Each tensor's numbers come from its own random stream, seeded by the run's seed
     and the tensor's LDM name, so the order of writing does not matter and the single file,
     the VAE file and the diffusers folder hold the same numbers. Values are produced with
     integer arithmetic and one float multiply, and written byte by byte little-endian: the
     output is the same on every host (IEEE-754 floats; do not build with -ffast-math; the
     scheduler buffers use libm's log/sqrt in double and could differ in a last float bit with
     an unusual libm). The data is streamed in chunks (a few MB of memory), so that the 6.9 GB
     of --config sdxl need no more memory than the tiny model.
     A diffusers tensor that is a part of an LDM tensor (the rows of OpenCLIP's in_proj that are
     transformers' q_proj, k_proj, v_proj) skips to its rows in the LDM tensor's stream; one that is
     its transpose (text_projection) is drawn whole and written transposed: the same numbers.

   WEIGHTS (--init torch, the default)
     Linear / Conv weights and biases uniform in +-1/sqrt(fan_in) (PyTorch's default
     initialisation); GroupNorm / LayerNorm weight 1 and bias 0; token embedding normal-like
     with std 0.02, position embedding 0.01 (CLIP's initialisation). --scale X multiplies the
     weights of every layer that ends a residual branch (UNet res block out_layers.3, the
     transformer's to_out.0 / ff.net.2 / proj_out, VAE conv2 / attention proj_out, CLIP
     out_proj / fc2), the usual damping for deep residual stacks. "Normal-like" is the sum
     of four uniforms (Irwin-Hall), exactly reproducible without libm, tails cut at 3.5 sigma.
     --init fixture instead draws the statistics of the test fixture (weights normal-like with
     std 1/sqrt(fan_in), biases 0.1, norms 1+-0.2 / 0+-0.1, embeddings 0.3), which makes the
     norms' affine parameters matter, for tests.
     Measured with diffusers 0.40 / transformers 5 on the sd15 layout (512x512, prompt and
     empty negative, 20 steps, guidance 7, Euler a and DDIM, fp32 and fp16): everything finite;
     CLIP residual stream std 0.3 -> 1.3 over 12 layers (max 5.4); UNet block outputs max ~28,
     predicted noise std 0.35 (max 2); final latent std ~17 (the random UNet does not denoise);
     VAE decoder max ~170, output std 0.37 (max 2.8). No damping is needed: --scale is 1.
     With --init fixture the UNet runs hotter (max ~150, VAE ~700), still finite in fp16.

   Public domain (unlicense) or MIT, like sd.h. */

#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stdint.h>
#include <math.h>
#include <time.h>
#include <errno.h>
#ifdef _WIN32
#include <direct.h>
#define MK_MKDIR(p) _mkdir(p)
#else
#include <sys/stat.h>
#include <sys/types.h>
#define MK_MKDIR(p) mkdir(p, 0777)
#endif

/* ================================================================ small utilities */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mkmodel: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) die("out of memory");
    return q;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = (char *)xrealloc(NULL, n);
    memcpy(d, s, n);
    return d;
}

/* growable string */
typedef struct { char *p; size_t n, cap; } sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = (char *)xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    int n;
    va_list ap;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= (int)sizeof tmp) die("internal: string too long");
    sb_put(b, tmp, (size_t)n);
}

static FILE *xfopen(const char *path, const char *mode)
{
    FILE *f = fopen(path, mode);
    if (!f) die("cannot open %s: %s", path, strerror(errno));
    return f;
}

static void xfclose(FILE *f, const char *path)
{
    if (ferror(f) || fclose(f) != 0) die("error writing %s", path);
}

static void write_text_file(const char *path, const char *text)
{
    FILE *f = xfopen(path, "wb");
    fwrite(text, 1, strlen(text), f);
    xfclose(f, path);
}

static void make_dir(const char *path)
{
    if (MK_MKDIR(path) != 0 && errno != EEXIST) die("cannot create directory %s: %s", path, strerror(errno));
}

/* ================================================================ random numbers */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ================================================================ number formats */

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* float -> IEEE half, round to nearest even; subnormals, overflow to inf, NaN stays NaN */
static uint16_t f32_to_f16(float f)
{
    uint32_t x = f32_bits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) /* inf or NaN (NaN: quiet, keep the top payload bits) */
        return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? (0x200u | ((ax >> 13) & 0x3ffu)) : 0u));
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* >= 65520 rounds to inf */
    if (ax < 0x38800000u) {                                    /* below 2^-14: subnormal half */
        uint32_t m, r, rem, half;
        int shift;
        if (ax <= 0x33000000u) return (uint16_t)sign;           /* <= 2^-25 (a tie) -> 0 */
        m = (ax & 0x7fffffu) | 0x800000u;
        shift = 126 - (int)(ax >> 23);                          /* 14..24 */
        r = m >> shift;
        rem = m & ((1u << shift) - 1u);
        half = 1u << (shift - 1);
        if (rem > half || (rem == half && (r & 1u))) r++;
        return (uint16_t)(sign | r);                            /* r may carry into the min normal */
    } else {
        uint32_t v = ax - 0x38000000u;                          /* rebias the exponent 127 -> 15 */
        v += 0x0fffu + ((v >> 13) & 1u);
        return (uint16_t)(sign | (v >> 13));
    }
}

/* float -> bfloat16, round to nearest even; NaN stays a quiet NaN */
static uint16_t f32_to_bf16(float f)
{
    uint32_t x = f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u);
    x += 0x7fffu + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

/* ================================================================ configuration */

enum { FAM_SD1, FAM_SD2, FAM_SDXL };
enum { BUF_DEFAULT = -1, BUF_NONE = 0, BUF_FIXTURE, BUF_ALL };

typedef struct config {
    const char *name;
    int family;
    /* UNet (model.diffusion_model) */
    int in_ch, out_ch, model_ch, levels, mult[8], res_blocks, attn[8], depth[8], depth_mid;
    int heads, head_ch;        /* heads per attention, or head_ch channels per head (SD 2.x, SDXL) */
    int context_dim;
    int linear_proj;           /* proj_in / proj_out as Linear [C,C] (SD 2.x, SDXL) */
    int adm_in;                /* SDXL: label_emb input width (0 = none) */
    /* VAE (first_stage_model) */
    int vae_ch, vae_levels, vae_mult[8], vae_res, z_ch;
    /* text encoder: CLIP ViT-L/14 in transformers' layout (cond_stage_model.transformer) */
    int clip_width, clip_layers, clip_heads, clip_mlp, vocab, positions;
    /* second text encoder in OpenCLIP's layout (SD 2.x: cond_stage_model.model,
       SDXL: conditioner.embedders.1.model) */
    int oc_width, oc_layers, oc_heads, oc_mlp, oc_vocab, oc_proj;
    int buffers;               /* which scheduler buffers (BUF_*) */
} config;

/* Stable Diffusion 1.5 (v1-inference.yaml) */
static const config CFG_SD15 = {
    "sd15", FAM_SD1,
    4, 4, 320, 4, {1, 2, 4, 4}, 2, {1, 1, 1, 0}, {1, 1, 1, 0}, 1,
    8, 0, 768, 0, 0,
    128, 4, {1, 2, 4, 4}, 2, 4,
    768, 12, 12, 3072, 49408, 77,
    0, 0, 0, 0, 0, 0,
    BUF_ALL
};

/* the layout of /work/shared/fixtures/sd1-tiny/model.safetensors (cases.json "tiny"):
   UNet 32/64/64/64, VAE 32/64/64/64, CLIP width 64 with 2 layers. The head counts do not
   show in the shapes; these (UNet 8, CLIP 1) are the ones the fixture's reference outputs were
   made with: with them, diffusers / transformers models built from the configs that --diffusers
   writes reproduce the fixture's UNet, VAE and text outputs to ~2e-6. */
static const config CFG_TINY = {
    "tiny", FAM_SD1,
    4, 4, 32, 4, {1, 2, 2, 2}, 2, {1, 1, 1, 0}, {1, 1, 1, 0}, 1,
    8, 0, 64, 0, 0,
    32, 4, {1, 2, 2, 2}, 2, 4,
    64, 2, 1, 256, 49408, 77,
    0, 0, 0, 0, 0, 0,
    BUF_FIXTURE
};

/* the demo model of `make demo` and the README's commands: the tiny widths, attention only on the
   middle levels (at 512x512 the fixture's 8 heads of 4 channels on 64x64 latents cost minutes) */
static const config CFG_DEMO = {
    "demo", FAM_SD1,
    4, 4, 32, 4, {1, 2, 2, 2}, 2, {0, 1, 1, 0}, {0, 1, 1, 0}, 1,
    8, 0, 64, 0, 0,
    32, 4, {1, 2, 2, 2}, 2, 4,
    64, 2, 1, 256, 49408, 77,
    0, 0, 0, 0, 0, 0,
    BUF_FIXTURE
};

/* SD 2.x in miniature: OpenCLIP text encoder (cond_stage_model.model), context 1024,
   Linear proj_in / proj_out, 64 channels per head. The width must be the context's (1024);
   two blocks, an MLP of 1x width (4x in the real one) and a small vocabulary keep it small. */
static const config CFG_SD2_TINY = {
    "sd2-tiny", FAM_SD2,
    4, 4, 64, 4, {1, 2, 2, 2}, 2, {1, 1, 1, 0}, {1, 1, 1, 0}, 1,
    0, 64, 1024, 1, 0,
    32, 4, {1, 2, 2, 2}, 2, 4,
    0, 0, 0, 0, 0, 77,
    1024, 2, 16, 1024, 1024, 1024,
    BUF_ALL
};

/* Stable Diffusion 2.1 (v2-inference-v.yaml; v2-1_768-ema-pruned.safetensors): the SD 1.5 UNet with
   64 channels per head (5/10/20/20 heads), Linear proj_in / proj_out and context 1024; the text
   encoder is OpenCLIP ViT-H/14's text tower (width 1024, 24 blocks of 16 heads, MLP 4096, the full
   vocabulary, text_projection [1024,1024]); the VAE and the scheduler buffers as SD 1.5. The 768-v
   and 512-base files differ only in their numbers (the prediction type is not in the file). */
static const config CFG_SD21 = {
    "sd21", FAM_SD2,
    4, 4, 320, 4, {1, 2, 4, 4}, 2, {1, 1, 1, 0}, {1, 1, 1, 0}, 1,
    0, 64, 1024, 1, 0,
    128, 4, {1, 2, 4, 4}, 2, 4,
    0, 0, 0, 0, 0, 77,
    1024, 24, 16, 4096, 49408, 1024,
    BUF_ALL
};

/* SDXL in miniature (--family sdxl): conditioner.embedders.0 (CLIP, transformers' layout) and .1
   (OpenCLIP, 10 blocks so that diffusers' probe key ...resblocks.9... exists), label_emb, three
   levels with no attention on the first, transformer depth per level, context = width0 + width1.
   Older than --config sdxl-tiny, which is the test fixture's layout. */
static const config CFG_SDXL_STUB = {
    "sdxl-stub", FAM_SDXL,
    4, 4, 32, 3, {1, 2, 2}, 2, {0, 1, 1}, {0, 1, 2}, 2,
    0, 16, 128, 1, 64 + 6 * 256,
    32, 4, {1, 2, 2, 2}, 2, 4,
    64, 2, 2, 256, 1024, 77,
    64, 10, 2, 256, 1024, 64,
    BUF_NONE
};

/* Stable Diffusion XL base 1.0 (sd_xl_base.yaml; sd_xl_base_1.0.safetensors): UNet 320/640/1280 with
   attention on levels 1 and 2 only, transformer depth 2 and 10 (middle 10), 64 channels per head,
   Linear proj_in / proj_out, context 768 + 1280 = 2048, label_emb from the pooled vector and six
   256-wide size embeddings (1280 + 6 x 256 = 2816) to the time embedding's 1280; text encoders
   CLIP ViT-L/14 (conditioner.embedders.0, transformers' names, 12 layers of 768) and OpenCLIP
   ViT-bigG/14 (conditioner.embedders.1, 32 blocks of 1280, 20 heads, MLP 5120, text_projection
   [1280,1280]); the SD VAE; no scheduler buffers (SGM keeps the schedule in its config). */
static const config CFG_SDXL = {
    "sdxl", FAM_SDXL,
    4, 4, 320, 3, {1, 2, 4}, 2, {0, 1, 1}, {0, 2, 10}, 10,
    0, 64, 2048, 1, 1280 + 6 * 256,
    128, 4, {1, 2, 4, 4}, 2, 4,
    768, 12, 12, 3072, 49408, 77,
    1280, 32, 20, 5120, 49408, 1280,
    BUF_NONE
};

/* the layout of /work/shared/fixtures/sdxl-tiny/model.safetensors: UNet 64/64/64 with depths 0, 1, 2
   (middle 2), 64 channels per head (one head), context 64 + 64, label_emb 64 + 6 x 256 -> 256; VAE
   32/32/32/32; both text encoders 64 wide with 3 layers, MLP 256 and the full vocabulary (one head
   each: width / 64), text_projection [64,64] */
static const config CFG_SDXL_TINY = {
    "sdxl-tiny", FAM_SDXL,
    4, 4, 64, 3, {1, 1, 1}, 2, {0, 1, 1}, {0, 1, 2}, 2,
    0, 64, 128, 1, 64 + 6 * 256,
    32, 4, {1, 1, 1, 1}, 2, 4,
    64, 3, 1, 256, 49408, 77,
    64, 3, 1, 256, 49408, 64,
    BUF_NONE
};

/* ================================================================ the tensor list */

enum { DT_F32, DT_F16, DT_BF16, DT_I64 };
static const char *const DT_NAME[] = {"F32", "F16", "BF16", "I64"};
static const int DT_SIZE[] = {4, 2, 2, 8};

enum { K_WEIGHT, K_BIAS, K_NORM_W, K_NORM_B, K_EMBED, K_CONST, K_BUFFER, K_POSIDS };
enum { P_UNET, P_VAE, P_TEXT, P_TEXT2, P_BUF, P_COUNT };
static const char *const PART_NAME[] = {"UNet", "VAE", "text encoder", "text encoder 2", "scheduler buffers"};

/* the parts of a diffusers folder; COMP_TEXT2: SDXL's text_encoder_2 (OpenCLIP bigG in transformers' names) */
enum { COMP_NONE = -1, COMP_UNET, COMP_VAE, COMP_TEXT, COMP_TEXT2 };
static const char *const COMP_DIR[] = {"unet", "vae", "text_encoder", "text_encoder_2"};
static const char *const COMP_FILE[] = {"diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.safetensors",
                                        "model.safetensors", "model.safetensors"};

#define NAMELEN 200

typedef struct tensor {
    char name[NAMELEN];        /* LDM key; also what seeds its numbers */
    int dtype, ndim;
    int64_t shape[4];
    int kind, part, resid, buf;
    double fan_in, a;          /* a: std for embeddings, value for constants */
    int64_t offset, nbytes;    /* within the file being written */
    /* where it goes in a diffusers folder */
    int comp;
    char dname[NAMELEN];
    int dndim;
    int64_t dshape[4];
    int64_t skip;              /* values of the LDM tensor's stream before this one's (a row block of in_proj) */
    int transpose;             /* written as the transpose of the LDM [a,b]: [b,a] (text_projection) */
    const char *out_name;      /* the key written to the current file */
    int out_ndim;
    const int64_t *out_shape;
} tensor;

typedef struct model {
    tensor *t;
    int n, cap;
    const config *c;
    int wdtype;                /* dtype of weights */
} model;

static int64_t numel(const tensor *t)
{
    int64_t n = 1;
    int i;
    for (i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

static tensor *add(model *m, int part, int kind, const char *name, int ndim, int64_t d0, int64_t d1, int64_t d2,
                   int64_t d3)
{
    tensor *t;
    if (strlen(name) >= NAMELEN) die("internal: name too long: %s", name);
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 1024;
        m->t = (tensor *)xrealloc(m->t, (size_t)m->cap * sizeof *m->t);
    }
    t = &m->t[m->n++];
    memset(t, 0, sizeof *t);
    strcpy(t->name, name);
    t->part = part;
    t->kind = kind;
    t->dtype = m->wdtype;
    t->ndim = ndim;
    t->shape[0] = d0; t->shape[1] = d1; t->shape[2] = d2; t->shape[3] = d3;
    t->comp = COMP_NONE;
    return t;
}

static const char *cat(char *buf, const char *prefix, const char *suffix)
{
    if (snprintf(buf, NAMELEN, "%s%s", prefix, suffix) >= NAMELEN) die("internal: name too long");
    return buf;
}

/* Linear: weight [out, in], bias [out] */
static void linear(model *m, int part, const char *p, int out, int in, int bias, int resid)
{
    char b[NAMELEN];
    tensor *t = add(m, part, K_WEIGHT, cat(b, p, ".weight"), 2, out, in, 0, 0);
    t->fan_in = in;
    t->resid = resid;
    if (bias) {
        t = add(m, part, K_BIAS, cat(b, p, ".bias"), 1, out, 0, 0, 0);
        t->fan_in = in;
    }
}

/* Conv2d: weight [out, in, k, k], bias [out] */
static void conv(model *m, int part, const char *p, int out, int in, int k, int resid)
{
    char b[NAMELEN];
    tensor *t = add(m, part, K_WEIGHT, cat(b, p, ".weight"), 4, out, in, k, k);
    t->fan_in = (double)in * k * k;
    t->resid = resid;
    t = add(m, part, K_BIAS, cat(b, p, ".bias"), 1, out, 0, 0, 0);
    t->fan_in = (double)in * k * k;
}

/* GroupNorm / LayerNorm: weight [C], bias [C] */
static void norm(model *m, int part, const char *p, int c)
{
    char b[NAMELEN];
    add(m, part, K_NORM_W, cat(b, p, ".weight"), 1, c, 0, 0, 0);
    add(m, part, K_NORM_B, cat(b, p, ".bias"), 1, c, 0, 0, 0);
}

static void embed(model *m, int part, const char *name, int rows, int cols, double std)
{
    tensor *t = add(m, part, K_EMBED, name, 2, rows, cols, 0, 0);
    t->a = std;
}

/* ---------------------------------------------------------------- UNet (openaimodel.py) */

#define UP "model.diffusion_model."

static void unet_res(model *m, const char *p, int cin, int cout, int ted)
{
    char b[NAMELEN];
    norm(m, P_UNET, cat(b, p, ".in_layers.0"), cin);
    conv(m, P_UNET, cat(b, p, ".in_layers.2"), cout, cin, 3, 0);
    linear(m, P_UNET, cat(b, p, ".emb_layers.1"), cout, ted, 1, 0);
    norm(m, P_UNET, cat(b, p, ".out_layers.0"), cout);
    conv(m, P_UNET, cat(b, p, ".out_layers.3"), cout, cout, 3, 1);
    if (cin != cout) conv(m, P_UNET, cat(b, p, ".skip_connection"), cout, cin, 1, 0);
}

static void unet_attn(model *m, const char *p, int ch, int depth)
{
    const config *c = m->c;
    char b[NAMELEN], tb[NAMELEN];
    int d;
    norm(m, P_UNET, cat(b, p, ".norm"), ch);
    if (c->linear_proj) linear(m, P_UNET, cat(b, p, ".proj_in"), ch, ch, 1, 0);
    else conv(m, P_UNET, cat(b, p, ".proj_in"), ch, ch, 1, 0);
    for (d = 0; d < depth; d++) {
        snprintf(tb, sizeof tb, "%s.transformer_blocks.%d", p, d);
        linear(m, P_UNET, cat(b, tb, ".attn1.to_q"), ch, ch, 0, 0);
        linear(m, P_UNET, cat(b, tb, ".attn1.to_k"), ch, ch, 0, 0);
        linear(m, P_UNET, cat(b, tb, ".attn1.to_v"), ch, ch, 0, 0);
        linear(m, P_UNET, cat(b, tb, ".attn1.to_out.0"), ch, ch, 1, 1);
        linear(m, P_UNET, cat(b, tb, ".attn2.to_q"), ch, ch, 0, 0);
        linear(m, P_UNET, cat(b, tb, ".attn2.to_k"), ch, c->context_dim, 0, 0);
        linear(m, P_UNET, cat(b, tb, ".attn2.to_v"), ch, c->context_dim, 0, 0);
        linear(m, P_UNET, cat(b, tb, ".attn2.to_out.0"), ch, ch, 1, 1);
        linear(m, P_UNET, cat(b, tb, ".ff.net.0.proj"), ch * 8, ch, 1, 0); /* GEGLU: 2 x 4C */
        linear(m, P_UNET, cat(b, tb, ".ff.net.2"), ch, ch * 4, 1, 1);
        norm(m, P_UNET, cat(b, tb, ".norm1"), ch);
        norm(m, P_UNET, cat(b, tb, ".norm2"), ch);
        norm(m, P_UNET, cat(b, tb, ".norm3"), ch);
    }
    if (c->linear_proj) linear(m, P_UNET, cat(b, p, ".proj_out"), ch, ch, 1, 1);
    else conv(m, P_UNET, cat(b, p, ".proj_out"), ch, ch, 1, 1);
}

static void unet(model *m)
{
    const config *c = m->c;
    int ted = 4 * c->model_ch, skip[64], nskip = 0, ch, idx, l, r;
    char p[NAMELEN];

    linear(m, P_UNET, UP "time_embed.0", ted, c->model_ch, 1, 0);
    linear(m, P_UNET, UP "time_embed.2", ted, ted, 1, 0);
    if (c->adm_in) {
        linear(m, P_UNET, UP "label_emb.0.0", ted, c->adm_in, 1, 0);
        linear(m, P_UNET, UP "label_emb.0.2", ted, ted, 1, 0);
    }
    conv(m, P_UNET, UP "input_blocks.0.0", c->model_ch, c->in_ch, 3, 0);
    ch = c->model_ch;
    skip[nskip++] = ch;
    idx = 1;
    for (l = 0; l < c->levels; l++) {
        for (r = 0; r < c->res_blocks; r++) {
            snprintf(p, sizeof p, UP "input_blocks.%d.0", idx);
            unet_res(m, p, ch, c->model_ch * c->mult[l], ted);
            ch = c->model_ch * c->mult[l];
            if (c->attn[l]) {
                snprintf(p, sizeof p, UP "input_blocks.%d.1", idx);
                unet_attn(m, p, ch, c->depth[l]);
            }
            skip[nskip++] = ch;
            idx++;
        }
        if (l != c->levels - 1) {
            snprintf(p, sizeof p, UP "input_blocks.%d.0.op", idx);
            conv(m, P_UNET, p, ch, ch, 3, 0);
            skip[nskip++] = ch;
            idx++;
        }
    }
    unet_res(m, UP "middle_block.0", ch, ch, ted);
    unet_attn(m, UP "middle_block.1", ch, c->depth_mid);
    unet_res(m, UP "middle_block.2", ch, ch, ted);
    idx = 0;
    for (l = c->levels - 1; l >= 0; l--) {
        for (r = 0; r <= c->res_blocks; r++) {
            int k = 1, cin = ch + skip[--nskip];
            snprintf(p, sizeof p, UP "output_blocks.%d.0", idx);
            unet_res(m, p, cin, c->model_ch * c->mult[l], ted);
            ch = c->model_ch * c->mult[l];
            if (c->attn[l]) {
                snprintf(p, sizeof p, UP "output_blocks.%d.1", idx);
                unet_attn(m, p, ch, c->depth[l]);
                k = 2;
            }
            if (l != 0 && r == c->res_blocks) {
                snprintf(p, sizeof p, UP "output_blocks.%d.%d.conv", idx, k);
                conv(m, P_UNET, p, ch, ch, 3, 0);
            }
            idx++;
        }
    }
    norm(m, P_UNET, UP "out.0", ch);
    conv(m, P_UNET, UP "out.2", c->out_ch, ch, 3, 0);
}

/* ---------------------------------------------------------------- VAE (ldm/modules/diffusionmodules/model.py) */

static void vae_res(model *m, const char *p, int cin, int cout)
{
    char b[NAMELEN];
    norm(m, P_VAE, cat(b, p, ".norm1"), cin);
    conv(m, P_VAE, cat(b, p, ".conv1"), cout, cin, 3, 0);
    norm(m, P_VAE, cat(b, p, ".norm2"), cout);
    conv(m, P_VAE, cat(b, p, ".conv2"), cout, cout, 3, 1);
    if (cin != cout) conv(m, P_VAE, cat(b, p, ".nin_shortcut"), cout, cin, 1, 0);
}

static void vae_mid(model *m, const char *p, int ch)
{
    char b[NAMELEN];
    vae_res(m, cat(b, p, ".mid.block_1"), ch, ch);
    norm(m, P_VAE, cat(b, p, ".mid.attn_1.norm"), ch);
    conv(m, P_VAE, cat(b, p, ".mid.attn_1.q"), ch, ch, 1, 0);
    conv(m, P_VAE, cat(b, p, ".mid.attn_1.k"), ch, ch, 1, 0);
    conv(m, P_VAE, cat(b, p, ".mid.attn_1.v"), ch, ch, 1, 0);
    conv(m, P_VAE, cat(b, p, ".mid.attn_1.proj_out"), ch, ch, 1, 1);
    vae_res(m, cat(b, p, ".mid.block_2"), ch, ch);
}

static void vae(model *m)
{
    const config *c = m->c;
    const char *E = "first_stage_model.encoder", *D = "first_stage_model.decoder";
    char p[NAMELEN], b[NAMELEN];
    int i, j, bi, bo, L = c->vae_levels;

    conv(m, P_VAE, cat(b, E, ".conv_in"), c->vae_ch, 3, 3, 0);
    bi = c->vae_ch;
    for (i = 0; i < L; i++) {
        bo = c->vae_ch * c->vae_mult[i];
        for (j = 0; j < c->vae_res; j++) {
            snprintf(p, sizeof p, "%s.down.%d.block.%d", E, i, j);
            vae_res(m, p, bi, bo);
            bi = bo;
        }
        if (i != L - 1) {
            snprintf(p, sizeof p, "%s.down.%d.downsample.conv", E, i);
            conv(m, P_VAE, p, bi, bi, 3, 0);
        }
    }
    vae_mid(m, E, bi);
    norm(m, P_VAE, cat(b, E, ".norm_out"), bi);
    conv(m, P_VAE, cat(b, E, ".conv_out"), 2 * c->z_ch, bi, 3, 0);

    bi = c->vae_ch * c->vae_mult[L - 1];
    conv(m, P_VAE, cat(b, D, ".conv_in"), bi, c->z_ch, 3, 0);
    vae_mid(m, D, bi);
    for (i = L - 1; i >= 0; i--) {
        bo = c->vae_ch * c->vae_mult[i];
        for (j = 0; j <= c->vae_res; j++) {
            snprintf(p, sizeof p, "%s.up.%d.block.%d", D, i, j);
            vae_res(m, p, bi, bo);
            bi = bo;
        }
        if (i != 0) {
            snprintf(p, sizeof p, "%s.up.%d.upsample.conv", D, i);
            conv(m, P_VAE, p, bi, bi, 3, 0);
        }
    }
    norm(m, P_VAE, cat(b, D, ".norm_out"), bi);
    conv(m, P_VAE, cat(b, D, ".conv_out"), 3, bi, 3, 0);

    conv(m, P_VAE, "first_stage_model.quant_conv", 2 * c->z_ch, 2 * c->z_ch, 1, 0);
    conv(m, P_VAE, "first_stage_model.post_quant_conv", c->z_ch, c->z_ch, 1, 0);
}

/* ---------------------------------------------------------------- text encoders */

/* CLIP text model in transformers' layout; p ends in "text_model" */
static void clip_hf(model *m, int part, const char *p, int width, int layers, int mlp, int vocab, int positions)
{
    char b[NAMELEN], l[NAMELEN];
    int i;
    tensor *t;
    embed(m, part, cat(b, p, ".embeddings.token_embedding.weight"), vocab, width, 0.02);
    embed(m, part, cat(b, p, ".embeddings.position_embedding.weight"), positions, width, 0.01);
    t = add(m, part, K_POSIDS, cat(b, p, ".embeddings.position_ids"), 2, 1, positions, 0, 0);
    t->dtype = DT_I64;
    for (i = 0; i < layers; i++) {
        snprintf(l, sizeof l, "%s.encoder.layers.%d", p, i);
        linear(m, part, cat(b, l, ".self_attn.q_proj"), width, width, 1, 0);
        linear(m, part, cat(b, l, ".self_attn.k_proj"), width, width, 1, 0);
        linear(m, part, cat(b, l, ".self_attn.v_proj"), width, width, 1, 0);
        linear(m, part, cat(b, l, ".self_attn.out_proj"), width, width, 1, 1);
        norm(m, part, cat(b, l, ".layer_norm1"), width);
        linear(m, part, cat(b, l, ".mlp.fc1"), mlp, width, 1, 0);
        linear(m, part, cat(b, l, ".mlp.fc2"), width, mlp, 1, 1);
        norm(m, part, cat(b, l, ".layer_norm2"), width);
    }
    norm(m, part, cat(b, p, ".final_layer_norm"), width);
}

/* OpenCLIP text tower (open_clip.model.CLIP minus the visual tower); p ends in "model" */
static void openclip(model *m, int part, const char *p)
{
    const config *c = m->c;
    char b[NAMELEN], l[NAMELEN];
    int i, W = c->oc_width;
    tensor *t;
    embed(m, part, cat(b, p, ".token_embedding.weight"), c->oc_vocab, W, 0.02);
    embed(m, part, cat(b, p, ".positional_embedding"), c->positions, W, 0.01);
    for (i = 0; i < c->oc_layers; i++) {
        snprintf(l, sizeof l, "%s.transformer.resblocks.%d", p, i);
        norm(m, part, cat(b, l, ".ln_1"), W);
        t = add(m, part, K_WEIGHT, cat(b, l, ".attn.in_proj_weight"), 2, 3 * W, W, 0, 0);
        t->fan_in = W;
        t = add(m, part, K_BIAS, cat(b, l, ".attn.in_proj_bias"), 1, 3 * W, 0, 0, 0);
        t->fan_in = W;
        linear(m, part, cat(b, l, ".attn.out_proj"), W, W, 1, 1);
        norm(m, part, cat(b, l, ".ln_2"), W);
        linear(m, part, cat(b, l, ".mlp.c_fc"), c->oc_mlp, W, 1, 0);
        linear(m, part, cat(b, l, ".mlp.c_proj"), W, c->oc_mlp, 1, 1);
    }
    norm(m, part, cat(b, p, ".ln_final"), W);
    embed(m, part, cat(b, p, ".text_projection"), W, c->oc_proj, 1.0 / sqrt((double)W));
    t = add(m, part, K_CONST, cat(b, p, ".logit_scale"), 0, 0, 0, 0, 0);
    t->a = log(1.0 / 0.07);
}

/* ---------------------------------------------------------------- scheduler buffers */

enum {
    B_BETAS, B_ALPHAS_CUMPROD, B_ALPHAS_CUMPROD_PREV, B_SQRT_AC, B_SQRT_1M_AC, B_LOG_1M_AC, B_SQRT_RECIP_AC,
    B_SQRT_RECIPM1_AC, B_POST_VAR, B_POST_LOGVAR, B_POST_C1, B_POST_C2, B_LOGVAR, B_COUNT
};
static const char *const BUF_NAME[B_COUNT] = {
    "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
    "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod",
    "posterior_variance", "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
    "logvar"};
/* the six that the test fixture carries */
static const int BUF_FIXTURE_SET[] = {B_BETAS, B_ALPHAS_CUMPROD, B_ALPHAS_CUMPROD_PREV, B_SQRT_AC, B_SQRT_1M_AC,
                                      B_LOGVAR};

#define NT 1000
static double g_sched[B_COUNT][NT];

/* LDM's register_schedule (ddpm.py) for the SD config: make_beta_schedule("linear",
   linear_start=0.00085, linear_end=0.012) = torch.linspace(sqrt(start), sqrt(end), 1000,
   float64) ** 2, the rest in numpy float64, stored as float32; v_posterior 0, logvar_init 0. */
static void compute_schedule(void)
{
    double a = sqrt(0.00085), b = sqrt(0.012), step = (b - a) / (NT - 1), ac = 1.0;
    int i;
    for (i = 0; i < NT; i++) {
        /* torch's CPU linspace: from the start for the first half, from the end for the rest */
        double x = i < NT / 2 ? a + step * i : b - step * (NT - 1 - i);
        double beta = x * x, alpha = 1.0 - beta, prev = ac;
        ac *= alpha;
        g_sched[B_BETAS][i] = beta;
        g_sched[B_ALPHAS_CUMPROD][i] = ac;
        g_sched[B_ALPHAS_CUMPROD_PREV][i] = prev;
        g_sched[B_SQRT_AC][i] = sqrt(ac);
        g_sched[B_SQRT_1M_AC][i] = sqrt(1.0 - ac);
        g_sched[B_LOG_1M_AC][i] = log(1.0 - ac);
        g_sched[B_SQRT_RECIP_AC][i] = sqrt(1.0 / ac);
        g_sched[B_SQRT_RECIPM1_AC][i] = sqrt(1.0 / ac - 1.0);
        g_sched[B_POST_VAR][i] = beta * (1.0 - prev) / (1.0 - ac);
        g_sched[B_POST_LOGVAR][i] = log(g_sched[B_POST_VAR][i] > 1e-20 ? g_sched[B_POST_VAR][i] : 1e-20);
        g_sched[B_POST_C1][i] = beta * sqrt(prev) / (1.0 - ac);
        g_sched[B_POST_C2][i] = (1.0 - prev) * sqrt(alpha) / (1.0 - ac);
        g_sched[B_LOGVAR][i] = 0.0;
    }
}

static void buffers(model *m, int which)
{
    int i;
    tensor *t;
    if (which == BUF_ALL) {
        for (i = 0; i < B_COUNT; i++) {
            t = add(m, P_BUF, K_BUFFER, BUF_NAME[i], 1, NT, 0, 0, 0);
            t->dtype = DT_F32;
            t->buf = i;
        }
    } else if (which == BUF_FIXTURE) {
        for (i = 0; i < (int)(sizeof BUF_FIXTURE_SET / sizeof BUF_FIXTURE_SET[0]); i++) {
            t = add(m, P_BUF, K_BUFFER, BUF_NAME[BUF_FIXTURE_SET[i]], 1, NT, 0, 0, 0);
            t->dtype = DT_F32;
            t->buf = BUF_FIXTURE_SET[i];
        }
    }
}

/* ---------------------------------------------------------------- the whole model */

static void build_model(model *m, const config *c, int wdtype, int bufs, int vae_only)
{
    memset(m, 0, sizeof *m);
    m->c = c;
    m->wdtype = wdtype;
    if (!vae_only) unet(m);
    vae(m);
    if (vae_only) return;
    if (c->family == FAM_SD1) {
        clip_hf(m, P_TEXT, "cond_stage_model.transformer.text_model", c->clip_width, c->clip_layers, c->clip_mlp,
                c->vocab, c->positions);
    } else if (c->family == FAM_SD2) {
        openclip(m, P_TEXT, "cond_stage_model.model");
    } else {
        clip_hf(m, P_TEXT, "conditioner.embedders.0.transformer.text_model", c->clip_width, c->clip_layers,
                c->clip_mlp, c->vocab, c->positions);
        openclip(m, P_TEXT2, "conditioner.embedders.1.model");
    }
    buffers(m, bufs == BUF_DEFAULT ? c->buffers : bufs);
}

/* ================================================================ the numbers */

enum { INIT_TORCH, INIT_FIXTURE };

typedef struct gen {
    uint64_t state;
    int kind, dtype;
    float c;                   /* scale of the integer draws */
    float offset;              /* added after scaling (norm weights in --init fixture) */
    int normal;                /* 1: Irwin-Hall sum of four 16-bit uniforms, else one 24-bit uniform */
    int buf;
    int64_t i;                 /* next element */
} gen;

static void gen_init(gen *g, const tensor *t, uint64_t seed, int init, double scale)
{
    double bound = 0.0, std = 0.0;
    uint64_t s = seed ^ fnv1a64(t->name);
    memset(g, 0, sizeof *g);
    g->state = splitmix64(&s);
    g->kind = t->kind;
    g->dtype = t->dtype;
    g->buf = t->buf;
    switch (t->kind) {
    case K_WEIGHT:
        if (init == INIT_TORCH) bound = 1.0 / sqrt(t->fan_in);
        else std = 1.0 / sqrt(t->fan_in);
        if (t->resid) { bound *= scale; std *= scale; }
        break;
    case K_BIAS:
        if (init == INIT_TORCH) bound = 1.0 / sqrt(t->fan_in);
        else std = 0.1;
        break;
    case K_NORM_W:
        g->offset = 1.0f;
        if (init == INIT_FIXTURE) std = 0.2;
        break;
    case K_NORM_B:
        if (init == INIT_FIXTURE) std = 0.1;
        break;
    case K_EMBED:
        std = init == INIT_FIXTURE ? 0.3 : t->a;
        break;
    case K_CONST:
        g->offset = (float)t->a;
        break;
    default:
        break;
    }
    if (bound > 0.0) {
        g->c = (float)(bound / 16777216.0);                  /* odd integers in (-2^24, 2^24) */
    } else if (std > 0.0) {
        g->normal = 1;
        g->c = (float)(std * sqrt(3.0) / 65536.0);           /* sum of four U{0..65535}: std 65536/sqrt(3) */
    }
}

/* the next n values as floats (n even, or the tensor's last chunk) */
static void gen_floats(gen *g, float *out, int64_t n)
{
    int64_t k;
    if (g->kind == K_BUFFER) {
        for (k = 0; k < n; k++) out[k] = (float)g_sched[g->buf][g->i + k];
    } else if (g->c == 0.0f) {
        for (k = 0; k < n; k++) out[k] = g->offset;
    } else if (g->normal) {
        for (k = 0; k < n; k++) {
            uint64_t r = splitmix64(&g->state);
            int32_t s = (int32_t)(r & 0xffff) + (int32_t)((r >> 16) & 0xffff) + (int32_t)((r >> 32) & 0xffff) +
                        (int32_t)(r >> 48) - 2 * 65535;     /* even, in [-131070, 131070] */
            if (g->offset != 0.0f) {
                /* rounded to float on its own, so that no host fuses the multiply and the add
                   (FMA) or keeps extra precision (x87): the same bits everywhere */
                volatile float prod = (float)s * g->c;
                out[k] = prod + g->offset;
            } else {
                out[k] = (float)s * g->c;                   /* one multiply: correctly rounded */
            }
        }
    } else {
        /* uniform: weights and biases, never an offset */
        for (k = 0; k < n; k += 2) {
            uint64_t r = splitmix64(&g->state);
            int32_t u0 = (int32_t)((r >> 8) & 0xffffff) * 2 + 1 - 16777216;
            int32_t u1 = (int32_t)(r >> 40) * 2 + 1 - 16777216;
            out[k] = (float)u0 * g->c;
            if (k + 1 < n) out[k + 1] = (float)u1 * g->c;
        }
    }
    g->i += n;
}

/* skip the next n values: splitmix64 advances its state by a constant a draw, so this costs nothing
   (n even for the uniform draws, which come in pairs) */
static void gen_skip(gen *g, int64_t n)
{
    if (g->kind != K_BUFFER && g->c != 0.0f) {
        if (!g->normal && n % 2) die("internal: an odd skip of a uniform stream");
        g->state += (uint64_t)(g->normal ? n : n / 2) * 0x9E3779B97F4A7C15ULL;
    }
    g->i += n;
}

/* ================================================================ safetensors writer */

#define CHUNK 65536            /* elements per chunk */
#define OUTBUF (1 << 20)

typedef struct writer {
    FILE *f;
    const char *path;
    unsigned char *buf;
    size_t n;
    uint64_t total;
} writer;

static void w_flush(writer *w)
{
    if (w->n && fwrite(w->buf, 1, w->n, w->f) != w->n) die("error writing %s: %s", w->path, strerror(errno));
    w->total += w->n;
    w->n = 0;
}

static unsigned char *w_reserve(writer *w, size_t n)
{
    if (w->n + n > OUTBUF) w_flush(w);
    return w->buf + w->n;
}

/* n floats in the tensor's dtype, little-endian, into the output */
static void w_values(writer *w, const float *v, int64_t n, int dtype)
{
    size_t bytes = (size_t)n * (size_t)DT_SIZE[dtype];
    unsigned char *p = w_reserve(w, bytes);
    int64_t j;
    if (dtype == DT_F32) {
        for (j = 0; j < n; j++) {
            uint32_t u = f32_bits(v[j]);
            p[4 * j] = (unsigned char)u;
            p[4 * j + 1] = (unsigned char)(u >> 8);
            p[4 * j + 2] = (unsigned char)(u >> 16);
            p[4 * j + 3] = (unsigned char)(u >> 24);
        }
    } else {
        for (j = 0; j < n; j++) {
            uint16_t u = dtype == DT_F16 ? f32_to_f16(v[j]) : f32_to_bf16(v[j]);
            p[2 * j] = (unsigned char)u;
            p[2 * j + 1] = (unsigned char)(u >> 8);
        }
    }
    w->n += bytes;
}

static int cmp_out(const void *pa, const void *pb)
{
    const tensor *a = *(const tensor *const *)pa, *b = *(const tensor *const *)pb;
    if (DT_SIZE[a->dtype] != DT_SIZE[b->dtype]) return DT_SIZE[b->dtype] - DT_SIZE[a->dtype];
    return strcmp(a->out_name, b->out_name);
}

typedef struct run_opts {
    uint64_t seed;
    int init;
    double scale;
    const char *config_name;
    const char *dtype_name;
    const char *meta;          /* if set: the whole __metadata__ object, replacing the checkpoint's */
    int list;                  /* --list: print the header's entries (path, name, dtype, shape), write nothing */
} run_opts;

/* Write the tensors list[0..n) (their out_name / out_shape) as one safetensors file: the
   header, then the data in the header's order, streamed. Tensors are ordered by element
   size, largest first, then by name, as the safetensors library does, so that every tensor
   starts at a multiple of its element size (the header is padded to 8 bytes). */
static void write_safetensors(const char *path, tensor **list, int n, const run_opts *o)
{
    sbuf h = {0, 0, 0};
    writer w;
    float *fv;
    uint64_t off = 0, hl;
    int i, d;
    unsigned char len8[8];

    qsort(list, (size_t)n, sizeof *list, cmp_out);
    if (o->list) {
        for (i = 0; i < n; i++) {
            printf("%s\t%s\t%s\t[", path, list[i]->out_name, DT_NAME[list[i]->dtype]);
            for (d = 0; d < list[i]->out_ndim; d++) printf(d ? ",%lld" : "%lld", (long long)list[i]->out_shape[d]);
            printf("]\n");
        }
        return;
    }
    if (o->meta) {
        sb_put(&h, "{\"__metadata__\":", strlen("{\"__metadata__\":"));
        sb_put(&h, o->meta, strlen(o->meta));
    } else
        sb_printf(&h, "{\"__metadata__\":{\"format\":\"pt\",\"generator\":\"mkmodel\",\"mkmodel_config\":\"%s\","
                      "\"mkmodel_seed\":\"%llu\",\"mkmodel_dtype\":\"%s\",\"mkmodel_init\":\"%s\",\"mkmodel_scale\":\"%g\"}",
                  o->config_name, (unsigned long long)o->seed, o->dtype_name,
                  o->init == INIT_TORCH ? "torch" : "fixture", o->scale);
    for (i = 0; i < n; i++) {
        tensor *t = list[i];
        t->nbytes = numel(t) * DT_SIZE[t->dtype];
        t->offset = (int64_t)off;
        off += (uint64_t)t->nbytes;
        sb_printf(&h, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", t->out_name, DT_NAME[t->dtype]);
        for (d = 0; d < t->out_ndim; d++) sb_printf(&h, d ? ",%lld" : "%lld", (long long)t->out_shape[d]);
        sb_printf(&h, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)t->offset,
                  (unsigned long long)(t->offset + t->nbytes));
    }
    sb_put(&h, "}", 1);
    while (h.n % 8) sb_put(&h, " ", 1);

    w.path = path;
    w.f = xfopen(path, "wb");
    w.buf = (unsigned char *)xrealloc(NULL, OUTBUF);
    w.n = 0;
    w.total = 0;
    hl = h.n;
    for (i = 0; i < 8; i++) len8[i] = (unsigned char)(hl >> (8 * i));
    memcpy(w_reserve(&w, 8), len8, 8);
    w.n += 8;
    for (i = 0; i < (int)h.n; i += 4096) {
        size_t k = h.n - (size_t)i < 4096 ? h.n - (size_t)i : 4096;
        memcpy(w_reserve(&w, k), h.p + i, k);
        w.n += k;
    }
    free(h.p);

    fv = (float *)xrealloc(NULL, CHUNK * sizeof *fv);
    for (i = 0; i < n; i++) {
        tensor *t = list[i];
        int64_t total = numel(t), done = 0;
        gen g;
        gen_init(&g, t, o->seed, o->init, o->scale);
        gen_skip(&g, t->skip);
        if (t->transpose) {
            /* [a,b] drawn whole (text_projection: a few MB), written column by column */
            int64_t a = t->shape[0], b = t->shape[1], r, q;
            float *all;
            if (t->ndim != 2 || a > CHUNK || total > ((int64_t)1 << 26)) die("internal: cannot transpose %s", t->name);
            all = (float *)xrealloc(NULL, (size_t)total * sizeof *all);
            gen_floats(&g, all, total);
            for (q = 0; q < b; q++) {
                for (r = 0; r < a; r++) fv[r] = all[r * b + q];
                w_values(&w, fv, a, t->dtype);
            }
            free(all);
            continue;
        }
        if (t->kind == K_POSIDS) {
            for (done = 0; done < total; done++) {
                unsigned char *p = w_reserve(&w, 8);
                uint64_t v = (uint64_t)done;
                for (d = 0; d < 8; d++) p[d] = (unsigned char)(v >> (8 * d));
                w.n += 8;
            }
            continue;
        }
        while (done < total) {
            int64_t k = total - done < CHUNK ? total - done : CHUNK;
            gen_floats(&g, fv, k);
            w_values(&w, fv, k, t->dtype);
            done += k;
        }
    }
    w_flush(&w);
    free(fv);
    free(w.buf);
    xfclose(w.f, path);
    if (w.total != 8 + hl + off) die("internal: wrote %llu bytes, expected %llu", (unsigned long long)w.total,
                                     (unsigned long long)(8 + hl + off));
}

/* ================================================================ LDM -> diffusers key mapping

   One table for the whole mapping (SD 1.x). Learned from diffusers'
   scripts/convert_diffusers_to_original_stable_diffusion.py and
   src/diffusers/loaders/single_file_utils.py (convert_ldm_unet_checkpoint,
   convert_ldm_vae_checkpoint, convert_ldm_clip_checkpoint).

   A rule matches the start of an LDM key (after the part's prefix). "{n}", "{i}", "{j}" in
   the LDM pattern capture numbers; the diffusers pattern uses "{l}" (level), "{u}" (up
   block), "{j}" (block in the level), "{i}", computed as the `index` column says, with
   R = res blocks per level, L = levels:
     IX_DOWN      input_blocks.n   -> level l = (n-1)/(R+1), block j = (n-1)%(R+1)
     IX_DOWNSAMP  input_blocks.n   -> level l = n/(R+1) - 1   (n = (R+1)(l+1): the last of a level)
     IX_UP        output_blocks.n  -> up block u = n/(R+1), block j = n%(R+1)  (diffusers' up
                                      blocks run in the same order as output_blocks: u = 0 is
                                      the deepest level)
     IX_VAE_UP    decoder.up.i     -> up block u = L-1-i   (REVERSED: up_blocks.0 == up.3)
   The rest of the key is then renamed by the `rest` column's table (first match on the
   start of the rest), and the `op` column (of the rule or the rename) says what happens to the
   numbers: OP_RESHAPE weights [C,C,1,1] become [C,C] (same bytes); OP_SPLIT3 is one LDM tensor
   whose row thirds are three diffusers tensors ("*" in the name: q, k, v); OP_TRANSPOSE writes
   [a,b] as [b,a]; OP_DROP has no place in the folder.

   SDXL (KEYMAP_XL, after KEYMAP): the UNet's label_emb is diffusers' add_embedding; the first
   text encoder (conditioner.embedders.0.transformer.) is text_encoder/ as SD 1.x's; the second
   (conditioner.embedders.1.model., OpenCLIP) becomes text_encoder_2/, transformers'
   CLIPTextModelWithProjection, as diffusers' convert_open_clip_checkpoint and
   convert_diffusers_to_original_sdxl.py do it. */

enum { IX_NONE, IX_COPY, IX_DOWN, IX_DOWNSAMP, IX_UP, IX_VAE_UP };
enum { RN_NONE, RN_UNET_RES, RN_VAE_RES, RN_VAE_ATTN, RN_OPENCLIP, RN_COUNT };
enum { OP_NONE, OP_RESHAPE, OP_SPLIT3, OP_TRANSPOSE, OP_DROP };

typedef struct keyrule {
    int comp;
    const char *ldm;
    const char *diff;
    int index, rest;
    int op;                    /* OP_*: what happens to the numbers */
} keyrule;

typedef struct renamerule {
    int set;
    const char *from, *to;
    int op;                    /* OP_RESHAPE: a weight [C,C,1,1] becomes [C,C]; OP_SPLIT3 */
} renamerule;

/* where a part's keys start in the single file */
static const char *comp_prefix(int family, int comp)
{
    static const char *const pre[] = {"model.diffusion_model.", "first_stage_model.", "cond_stage_model.transformer.",
                                      "conditioner.embedders.1.model."};
    if (comp == COMP_TEXT && family == FAM_SDXL) return "conditioner.embedders.0.transformer.";
    return pre[comp];
}

static const keyrule KEYMAP[] = {
    /* comp       LDM (after model.diffusion_model.)  diffusers (unet/)                        index        rest     op */
    {COMP_UNET, "time_embed.0.",               "time_embedding.linear_1.",             IX_NONE,     RN_NONE, OP_NONE},
    {COMP_UNET, "time_embed.2.",               "time_embedding.linear_2.",             IX_NONE,     RN_NONE, OP_NONE},
    {COMP_UNET, "input_blocks.0.0.",           "conv_in.",                             IX_NONE,     RN_NONE, OP_NONE},
    {COMP_UNET, "input_blocks.{n}.0.op.",      "down_blocks.{l}.downsamplers.0.conv.", IX_DOWNSAMP, RN_NONE, OP_NONE},
    {COMP_UNET, "input_blocks.{n}.0.",         "down_blocks.{l}.resnets.{j}.",         IX_DOWN,     RN_UNET_RES, OP_NONE},
    {COMP_UNET, "input_blocks.{n}.1.",         "down_blocks.{l}.attentions.{j}.",      IX_DOWN,     RN_NONE, OP_NONE},
    {COMP_UNET, "middle_block.0.",             "mid_block.resnets.0.",                 IX_NONE,     RN_UNET_RES, OP_NONE},
    {COMP_UNET, "middle_block.1.",             "mid_block.attentions.0.",              IX_NONE,     RN_NONE, OP_NONE},
    {COMP_UNET, "middle_block.2.",             "mid_block.resnets.1.",                 IX_NONE,     RN_UNET_RES, OP_NONE},
    {COMP_UNET, "output_blocks.{n}.0.",        "up_blocks.{u}.resnets.{j}.",           IX_UP,       RN_UNET_RES, OP_NONE},
    {COMP_UNET, "output_blocks.{n}.1.conv.",   "up_blocks.{u}.upsamplers.0.conv.",     IX_UP,       RN_NONE, OP_NONE},
    {COMP_UNET, "output_blocks.{n}.1.",        "up_blocks.{u}.attentions.{j}.",        IX_UP,       RN_NONE, OP_NONE},
    {COMP_UNET, "output_blocks.{n}.2.conv.",   "up_blocks.{u}.upsamplers.0.conv.",     IX_UP,       RN_NONE, OP_NONE},
    {COMP_UNET, "out.0.",                      "conv_norm_out.",                       IX_NONE,     RN_NONE, OP_NONE},
    {COMP_UNET, "out.2.",                      "conv_out.",                            IX_NONE,     RN_NONE, OP_NONE},
    /* comp       LDM (after first_stage_model.)      diffusers (vae/) */
    {COMP_VAE,  "encoder.conv_in.",            "encoder.conv_in.",                     IX_NONE,     RN_NONE, OP_NONE},
    {COMP_VAE,  "encoder.down.{i}.block.{j}.", "encoder.down_blocks.{i}.resnets.{j}.", IX_COPY,     RN_VAE_RES, OP_NONE},
    {COMP_VAE,  "encoder.down.{i}.downsample.conv.", "encoder.down_blocks.{i}.downsamplers.0.conv.", IX_COPY, RN_NONE, OP_NONE},
    {COMP_VAE,  "encoder.mid.block_1.",        "encoder.mid_block.resnets.0.",         IX_NONE,     RN_VAE_RES, OP_NONE},
    {COMP_VAE,  "encoder.mid.attn_1.",         "encoder.mid_block.attentions.0.",      IX_NONE,     RN_VAE_ATTN, OP_NONE},
    {COMP_VAE,  "encoder.mid.block_2.",        "encoder.mid_block.resnets.1.",         IX_NONE,     RN_VAE_RES, OP_NONE},
    {COMP_VAE,  "encoder.norm_out.",           "encoder.conv_norm_out.",               IX_NONE,     RN_NONE, OP_NONE},
    {COMP_VAE,  "encoder.conv_out.",           "encoder.conv_out.",                    IX_NONE,     RN_NONE, OP_NONE},
    {COMP_VAE,  "quant_conv.",                 "quant_conv.",                          IX_NONE,     RN_NONE, OP_NONE},
    {COMP_VAE,  "post_quant_conv.",            "post_quant_conv.",                     IX_NONE,     RN_NONE, OP_NONE},
    {COMP_VAE,  "decoder.conv_in.",            "decoder.conv_in.",                     IX_NONE,     RN_NONE, OP_NONE},
    {COMP_VAE,  "decoder.mid.block_1.",        "decoder.mid_block.resnets.0.",         IX_NONE,     RN_VAE_RES, OP_NONE},
    {COMP_VAE,  "decoder.mid.attn_1.",         "decoder.mid_block.attentions.0.",      IX_NONE,     RN_VAE_ATTN, OP_NONE},
    {COMP_VAE,  "decoder.mid.block_2.",        "decoder.mid_block.resnets.1.",         IX_NONE,     RN_VAE_RES, OP_NONE},
    {COMP_VAE,  "decoder.up.{i}.block.{j}.",   "decoder.up_blocks.{u}.resnets.{j}.",   IX_VAE_UP,   RN_VAE_RES, OP_NONE},
    {COMP_VAE,  "decoder.up.{i}.upsample.conv.", "decoder.up_blocks.{u}.upsamplers.0.conv.", IX_VAE_UP, RN_NONE, OP_NONE},
    {COMP_VAE,  "decoder.norm_out.",           "decoder.conv_norm_out.",               IX_NONE,     RN_NONE, OP_NONE},
    {COMP_VAE,  "decoder.conv_out.",           "decoder.conv_out.",                    IX_NONE,     RN_NONE, OP_NONE},
    /* comp       LDM (after cond_stage_model.transformer.; SDXL: conditioner.embedders.0.transformer.)  text_encoder/ */
    {COMP_TEXT, "text_model.",                 "text_model.",                          IX_NONE,     RN_NONE, OP_NONE},
};

static const keyrule KEYMAP_XL[] = {
    /* comp        LDM (after model.diffusion_model.)  diffusers (unet/) */
    {COMP_UNET,  "label_emb.0.0.",             "add_embedding.linear_1.",              IX_NONE,     RN_NONE, OP_NONE},
    {COMP_UNET,  "label_emb.0.2.",             "add_embedding.linear_2.",              IX_NONE,     RN_NONE, OP_NONE},
    /* comp        LDM (after conditioner.embedders.1.model.)  text_encoder_2/ (CLIPTextModelWithProjection) */
    {COMP_TEXT2, "token_embedding.",           "text_model.embeddings.token_embedding.", IX_NONE,   RN_NONE, OP_NONE},
    {COMP_TEXT2, "positional_embedding",       "text_model.embeddings.position_embedding.weight", IX_NONE, RN_NONE, OP_NONE},
    {COMP_TEXT2, "transformer.resblocks.{i}.", "text_model.encoder.layers.{i}.",       IX_COPY,     RN_OPENCLIP, OP_NONE},
    {COMP_TEXT2, "ln_final.",                  "text_model.final_layer_norm.",         IX_NONE,     RN_NONE, OP_NONE},
    {COMP_TEXT2, "text_projection",            "text_projection.weight",               IX_NONE,     RN_NONE, OP_TRANSPOSE},
    {COMP_TEXT2, "logit_scale",                "",                                     IX_NONE,     RN_NONE, OP_DROP},
};

static const renamerule RENAMES[] = {
    /* UNet res block (ResBlock -> ResnetBlock2D) */
    {RN_UNET_RES, "in_layers.0.",     "norm1.",         OP_NONE},
    {RN_UNET_RES, "in_layers.2.",     "conv1.",         OP_NONE},
    {RN_UNET_RES, "emb_layers.1.",    "time_emb_proj.", OP_NONE},
    {RN_UNET_RES, "out_layers.0.",    "norm2.",         OP_NONE},
    {RN_UNET_RES, "out_layers.3.",    "conv2.",         OP_NONE},
    {RN_UNET_RES, "skip_connection.", "conv_shortcut.", OP_NONE},
    /* VAE res block: the same names but the shortcut */
    {RN_VAE_RES,  "nin_shortcut.",    "conv_shortcut.", OP_NONE},
    /* VAE mid attention (AttnBlock with 1x1 convs -> Attention with Linear layers) */
    {RN_VAE_ATTN, "norm.",            "group_norm.",    OP_NONE},
    {RN_VAE_ATTN, "q.",               "to_q.",          OP_RESHAPE},
    {RN_VAE_ATTN, "k.",               "to_k.",          OP_RESHAPE},
    {RN_VAE_ATTN, "v.",               "to_v.",          OP_RESHAPE},
    {RN_VAE_ATTN, "proj_out.",        "to_out.0.",      OP_RESHAPE},
    /* OpenCLIP residual block -> transformers' CLIPEncoderLayer (in_proj: rows [0,D) q, [D,2D) k, [2D,3D) v) */
    {RN_OPENCLIP, "ln_1.",               "layer_norm1.",            OP_NONE},
    {RN_OPENCLIP, "ln_2.",               "layer_norm2.",            OP_NONE},
    {RN_OPENCLIP, "attn.in_proj_weight", "self_attn.*_proj.weight", OP_SPLIT3},
    {RN_OPENCLIP, "attn.in_proj_bias",   "self_attn.*_proj.bias",   OP_SPLIT3},
    {RN_OPENCLIP, "attn.out_proj.",      "self_attn.out_proj.",     OP_NONE},
    {RN_OPENCLIP, "mlp.c_fc.",           "mlp.fc1.",                OP_NONE},
    {RN_OPENCLIP, "mlp.c_proj.",         "mlp.fc2.",                OP_NONE},
};

static const char *const IX_NOTE[] = {
    "", "", "l = (n-1)/(R+1), j = (n-1)%(R+1)", "l = n/(R+1) - 1", "u = n/(R+1), j = n%(R+1)", "u = L-1-i (reversed)"};
static const char *const RN_NOTE[] = {"", "UNet res block renames", "VAE res block renames", "VAE attention renames",
                                      "OpenCLIP block renames"};

/* match pattern p against the start of s; numbers for {x} go to vars['x'-'a'];
   returns the length of s matched, or -1 */
static int match_prefix(const char *p, const char *s, int vars[26])
{
    const char *s0 = s;
    while (*p) {
        if (p[0] == '{' && p[1] && p[2] == '}') {
            int v = 0, digits = 0;
            while (*s >= '0' && *s <= '9') { v = v * 10 + (*s - '0'); s++; digits++; }
            if (!digits) return -1;
            vars[p[1] - 'a'] = v;
            p += 3;
        } else {
            if (*p != *s) return -1;
            p++;
            s++;
        }
    }
    return (int)(s - s0);
}

static void subst(char *out, size_t cap, const char *p, const int vars[26])
{
    size_t n = 0;
    while (*p) {
        if (p[0] == '{' && p[1] && p[2] == '}') {
            int k = snprintf(out + n, cap - n, "%d", vars[p[1] - 'a']);
            if (k < 0 || (size_t)k >= cap - n) die("internal: name too long");
            n += (size_t)k;
            p += 3;
        } else {
            if (n + 1 >= cap) die("internal: name too long");
            out[n++] = *p++;
        }
    }
    out[n] = 0;
}

/* LDM key -> component, diffusers key, what happens to the numbers (OP_*); 0 if no rule matches.
   Optionally the rule, the length of the LDM key's part that the rule matched, the diffusers prefix. */
static int map_key(const config *c, const char *ldm, int *comp, char *dname, int *op, const keyrule **rule_out,
                   int *ldm_prefix_len, char *dprefix)
{
    const keyrule *const tables[2] = {KEYMAP, KEYMAP_XL};
    const size_t sizes[2] = {sizeof KEYMAP / sizeof KEYMAP[0], sizeof KEYMAP_XL / sizeof KEYMAP_XL[0]};
    size_t r, k;
    int tab;
    for (tab = 0; tab < (c->family == FAM_SDXL ? 2 : 1); tab++)
    for (r = 0; r < sizes[tab]; r++) {
        const keyrule *kr = &tables[tab][r];
        const char *pre = comp_prefix(c->family, kr->comp);
        size_t pl = strlen(pre);
        int vars[26], len;
        char dpre[NAMELEN], rest[NAMELEN];
        memset(vars, 0, sizeof vars);
        if (strncmp(ldm, pre, pl) != 0) continue;
        len = match_prefix(kr->ldm, ldm + pl, vars);
        if (len < 0) continue;
        switch (kr->index) {
        case IX_DOWN:
            vars['l' - 'a'] = (vars['n' - 'a'] - 1) / (c->res_blocks + 1);
            vars['j' - 'a'] = (vars['n' - 'a'] - 1) % (c->res_blocks + 1);
            break;
        case IX_DOWNSAMP: vars['l' - 'a'] = vars['n' - 'a'] / (c->res_blocks + 1) - 1; break;
        case IX_UP:
            vars['u' - 'a'] = vars['n' - 'a'] / (c->res_blocks + 1);
            vars['j' - 'a'] = vars['n' - 'a'] % (c->res_blocks + 1);
            break;
        case IX_VAE_UP: vars['u' - 'a'] = c->vae_levels - 1 - vars['i' - 'a']; break;
        default: break;
        }
        subst(dpre, sizeof dpre, kr->diff, vars);
        strcpy(rest, ldm + pl + len);
        *op = kr->op;
        if (kr->rest != RN_NONE) {
            for (k = 0; k < sizeof RENAMES / sizeof RENAMES[0]; k++) {
                const renamerule *rn = &RENAMES[k];
                size_t fl = strlen(rn->from);
                if (rn->set == kr->rest && strncmp(rest, rn->from, fl) == 0) {
                    char tmp[NAMELEN];
                    snprintf(tmp, sizeof tmp, "%s%s", rn->to, rest + fl);
                    strcpy(rest, tmp);
                    /* a 1x1 conv's weight becomes a Linear's; its bias stays as it is */
                    if (rn->op != OP_RESHAPE || strcmp(rest + strlen(rn->to), "weight") == 0) *op = rn->op;
                    break;
                }
            }
        }
        if (snprintf(dname, NAMELEN, "%s%s", dpre, rest) >= NAMELEN) die("internal: name too long");
        *comp = kr->comp;
        if (rule_out) *rule_out = kr;
        if (ldm_prefix_len) *ldm_prefix_len = (int)pl + len;
        if (dprefix) strcpy(dprefix, dpre);
        return 1;
    }
    return 0;
}

/* name with its "*" replaced by c (q, k or v of OP_SPLIT3) */
static void star(char *name, char c)
{
    char *p = strchr(name, '*');
    if (!p) die("internal: no '*' in %s", name);
    *p = c;
}

/* each tensor's place in a diffusers folder (comp, dname, dshape); an OP_SPLIT3 tensor is left out
   (COMP_NONE) and three tensors over its row thirds are added after the others */
static void map_model(model *m)
{
    int i, d, k, n = m->n;
    for (i = 0; i < n; i++) {
        tensor *t = &m->t[i], whole;
        int op;
        if (t->part == P_BUF) continue;   /* the schedule goes to scheduler_config.json */
        if (!map_key(m->c, t->name, &t->comp, t->dname, &op, NULL, NULL, NULL))
            die("internal: no diffusers name for %s", t->name);
        t->dndim = t->ndim;
        for (d = 0; d < 4; d++) t->dshape[d] = t->shape[d];
        if (op == OP_RESHAPE) {
            if (t->ndim != 4 || t->shape[2] != 1 || t->shape[3] != 1) die("internal: cannot reshape %s", t->name);
            t->dndim = 2;
        } else if (op == OP_TRANSPOSE) {
            if (t->ndim != 2) die("internal: cannot transpose %s", t->name);
            t->dshape[0] = t->shape[1];
            t->dshape[1] = t->shape[0];
            t->transpose = 1;
        } else if (op == OP_DROP) {
            t->comp = COMP_NONE;
        } else if (op == OP_SPLIT3) {
            if (t->shape[0] % 3) die("internal: cannot split %s in three", t->name);
            whole = *t;
            t->comp = COMP_NONE;
            for (k = 0; k < 3; k++) {
                tensor *p = add(m, whole.part, whole.kind, whole.name, 0, 0, 0, 0, 0);   /* (m->t may move) */
                *p = whole;
                p->shape[0] = p->dshape[0] = whole.shape[0] / 3;
                p->skip = k * numel(p);
                star(p->dname, "qkv"[k]);
            }
        }
    }
}

static const char *const OP_NOTE[] = {"", "", "split in three", "transposed: [D,P] -> [P,D] (a Linear's weight)",
                                      "dropped: transformers' CLIPTextModelWithProjection has no logit_scale"};

/* the mapping as text: SD 1.x's (tools/diffusers_keys.txt) or, with an SDXL config, SDXL's */
static void print_keymap(FILE *f, const config *c)
{
    size_t r, k;
    model m;
    int i, nseen = 0, tab, xl = c->family == FAM_SDXL;
    static char seen[512][NAMELEN];
    const config *ex = xl ? &CFG_SDXL : &CFG_SD15;
    if (!xl)
        fprintf(f,
            "# Stable Diffusion 1.x: LDM single-file keys -> diffusers folder keys.\n"
            "# Generated by `mkmodel --print-keymap` from the table in tools/mkmodel.c (KEYMAP, RENAMES).\n"
            "# Learned from diffusers' scripts/convert_diffusers_to_original_stable_diffusion.py and\n"
            "# src/diffusers/loaders/single_file_utils.py (convert_ldm_unet_checkpoint, convert_ldm_vae_checkpoint).\n"
            "#\n"
            "# Component prefixes (LDM prefix -> diffusers file):\n"
            "#   model.diffusion_model.          -> unet/diffusion_pytorch_model.safetensors\n"
            "#   first_stage_model.              -> vae/diffusion_pytorch_model.safetensors\n"
            "#   cond_stage_model.transformer.   -> text_encoder/model.safetensors\n"
            "#   betas, alphas_cumprod, ...      -> (none: scheduler/scheduler_config.json describes the schedule)\n"
            "#\n"
            "# A rule matches the START of the key after the component prefix; the first rule that matches wins\n"
            "# (order matters: '.0.op.' before '.0.', '.1.conv.' before '.1.'). {n},{i},{j} capture numbers.\n"
            "# R = res blocks per level (2 for SD 1.x), L = levels (4). Then the rest of the key is renamed\n"
            "# by the named rename table (first match at the start of the rest). Everything else is kept.\n"
            "#\n"
            "# RULES\n");
    else
        fprintf(f,
            "# Stable Diffusion XL: LDM (SGM) single-file keys -> diffusers folder keys.\n"
            "# Generated by `mkmodel --config sdxl --print-keymap` from the tables in tools/mkmodel.c (KEYMAP,\n"
            "# KEYMAP_XL, RENAMES). Learned from diffusers' scripts/convert_diffusers_to_original_sdxl.py and\n"
            "# src/diffusers/loaders/single_file_utils.py (convert_ldm_unet_checkpoint, convert_open_clip_checkpoint).\n"
            "#\n"
            "# Component prefixes (LDM prefix -> diffusers file):\n"
            "#   model.diffusion_model.                -> unet/diffusion_pytorch_model.safetensors\n"
            "#   first_stage_model.                    -> vae/diffusion_pytorch_model.safetensors\n"
            "#   conditioner.embedders.0.transformer.  -> text_encoder/model.safetensors (CLIPTextModel)\n"
            "#   conditioner.embedders.1.model.        -> text_encoder_2/model.safetensors (CLIPTextModelWithProjection)\n"
            "#\n"
            "# A rule matches the START of the key after the component prefix; the first rule that matches wins.\n"
            "# {n},{i},{j} capture numbers; R = res blocks per level (2), L = levels (3 in the UNet, 4 in the VAE).\n"
            "# Then the rest of the key is renamed by the named rename table (first match at the start of the\n"
            "# rest). Everything else is kept.\n"
            "#\n"
            "# RULES\n");
    for (tab = 0; tab < (xl ? 2 : 1); tab++) {
        const keyrule *rules = tab ? KEYMAP_XL : KEYMAP;
        size_t nr = tab ? sizeof KEYMAP_XL / sizeof KEYMAP_XL[0] : sizeof KEYMAP / sizeof KEYMAP[0];
        for (r = 0; r < nr; r++) {
            const keyrule *kr = &rules[r];
            char lhs[NAMELEN], rhs[NAMELEN];
            snprintf(lhs, sizeof lhs, "%s%s", comp_prefix(c->family, kr->comp), kr->ldm);
            snprintf(rhs, sizeof rhs, "%s: %s", COMP_DIR[kr->comp], kr->op == OP_DROP ? "-" : kr->diff);
            if (kr->index > IX_COPY || kr->rest != RN_NONE || kr->op) fprintf(f, "%-48s -> %-52s", lhs, rhs);
            else fprintf(f, "%-48s -> %s", lhs, rhs);
            if (kr->index > IX_COPY) fprintf(f, " [%s]", IX_NOTE[kr->index]);
            if (kr->rest != RN_NONE) fprintf(f, " [then %s]", RN_NOTE[kr->rest]);
            if (kr->op) fprintf(f, " [%s]", OP_NOTE[kr->op]);
            fputc('\n', f);
        }
    }
    fprintf(f, "#\n# RENAMES of the rest of the key\n");
    for (k = 0; k < sizeof RENAMES / sizeof RENAMES[0]; k++) {
        if (!xl && RENAMES[k].set == RN_OPENCLIP) continue;
        if (RENAMES[k].op == OP_RESHAPE)
            fprintf(f, "%-22s %-18s -> %-16s (weight: reshape [C,C,1,1] -> [C,C], same bytes)\n",
                    RN_NOTE[RENAMES[k].set], RENAMES[k].from, RENAMES[k].to);
        else if (RENAMES[k].op == OP_SPLIT3)
            fprintf(f, "%-22s %-18s -> %-16s (rows [0,D) q, [D,2D) k, [2D,3D) v: three tensors)\n",
                    RN_NOTE[RENAMES[k].set], RENAMES[k].from, RENAMES[k].to);
        else
            fprintf(f, "%-22s %-18s -> %s\n", RN_NOTE[RENAMES[k].set], RENAMES[k].from, RENAMES[k].to);
    }
    if (!xl)
        fprintf(f,
            "#\n# RESHAPES\n"
            "# Only the VAE mid-block attention weights (q, k, v, proj_out): LDM stores 1x1 convs\n"
            "# [C,C,1,1], diffusers Linear layers [C,C] (to_q, to_k, to_v, to_out.0). Same bytes, same order.\n"
            "# Nothing else changes shape. (The UNet's proj_in/proj_out stay [C,C,1,1] convs in SD 1.x:\n"
            "# use_linear_projection=false; in SD 2.x they are Linear [C,C] in both layouts.)\n"
            "# The text encoder's text_model.* keys are identical; position_ids (I64 [1,77]) is kept.\n"
            "#\n# SD 1.5 EXPANDED (every block prefix, in the order of the LDM keys)\n");
    else
        fprintf(f,
            "#\n# RESHAPES, SPLITS, TRANSPOSES\n"
            "# The VAE mid-block attention weights (q, k, v, proj_out): [C,C,1,1] -> [C,C], as SD 1.x.\n"
            "# The UNet's proj_in/proj_out are Linear [C,C] in both layouts (use_linear_projection=true).\n"
            "# OpenCLIP's attn.in_proj_weight [3D,D] / in_proj_bias [3D]: rows [0,D) are q_proj, [D,2D) k_proj,\n"
            "# [2D,3D) v_proj ([D,D] / [D] each, the same bytes in the same order).\n"
            "# text_projection [D,P] (used as x @ it) -> text_projection.weight [P,D] (a Linear: the transpose).\n"
            "# logit_scale [] has no place in transformers' text model: dropped. text_encoder_2 has no position_ids;\n"
            "# text_encoder keeps embedders.0's (I64 [1,77]).\n"
            "#\n# SDXL BASE 1.0 EXPANDED (every block prefix, in the order of the LDM keys)\n");
    build_model(&m, ex, DT_F16, BUF_NONE, 0);
    for (i = 0; i < m.n; i++) {
        int comp, op, plen, dup = 0, j;
        const keyrule *rule;
        char dname[NAMELEN], dpre[NAMELEN], lpre[NAMELEN];
        if (!map_key(ex, m.t[i].name, &comp, dname, &op, &rule, &plen, dpre)) continue;
        if (rule->comp == COMP_TEXT || rule->comp == COMP_TEXT2) continue;
        memcpy(lpre, m.t[i].name, (size_t)plen);
        lpre[plen] = 0;
        for (j = 0; j < nseen && !dup; j++) dup = !strcmp(seen[j], lpre);   /* each block prefix once */
        if (dup) continue;
        if (nseen < (int)(sizeof seen / sizeof seen[0])) strcpy(seen[nseen++], lpre);
        fprintf(f, "%-48s -> %s: %s\n", lpre, COMP_DIR[comp], dpre);
    }
    if (!xl) fprintf(f, "cond_stage_model.transformer.text_model.        -> text_encoder: text_model.\n");
    else
        fprintf(f, "conditioner.embedders.0.transformer.text_model. -> text_encoder: text_model.\n"
                   "conditioner.embedders.1.model.transformer.resblocks.{i}. -> text_encoder_2: text_model.encoder.layers.{i}. "
                   "(i = 0..31)\n");
    free(m.t);
}

/* ================================================================ BPE vocabulary */

/* A small English text of the words prompts use. The tokenizer's pre-split (CLIP: lower
   case, runs of letters, single digits, runs of other symbols) is applied to it. */
static const char *const CORPUS[] = {
    "a photo of a lighthouse at dawn, oil painting, highly detailed",
    "portrait of an old man with a white beard, dramatic lighting, sharp focus",
    "a painting of a castle on a hill at sunset by a famous artist, trending on artstation",
    "a beautiful landscape with mountains and a lake, morning light, mist, golden hour",
    "a cute cat sitting on a wooden table next to a cup of coffee, soft light",
    "a dog running on the beach in the summer, waves and sand, bright blue sky",
    "an astronaut riding a horse on mars, digital art, cinematic, epic composition",
    "a red sports car on a city street at night, neon lights, rain, reflections",
    "the interior of a cozy library with books and a fireplace, warm colors",
    "a forest in autumn with orange and yellow leaves, a small river, sunlight through the trees",
    "a watercolor painting of flowers in a glass vase, pastel colors, white background",
    "a futuristic city with tall buildings and flying cars, science fiction, concept art",
    "a medieval knight in silver armor holding a sword, fantasy, intricate, elegant",
    "a portrait of a young woman with long hair and green eyes, studio lighting, bokeh",
    "a small house in the snow at night, stars in the sky, moon, winter, peaceful",
    "a bowl of fresh fruit on a kitchen table, still life, realistic, natural light",
    "an ancient temple in the jungle, ruins covered with plants, adventure, volumetric light",
    "a ship sailing on the ocean during a storm, dark clouds, lightning, dramatic",
    "a dragon flying over the mountains, fire, smoke, fantasy illustration, detailed scales",
    "a close up photo of a bird on a branch, macro, depth of field, morning dew",
    "a street market in an old town, people walking, colorful stalls, afternoon sun",
    "a robot playing the piano in an empty concert hall, spotlight, moody",
    "a bridge over a river in the city at dawn, fog, calm water, reflections",
    "a field of sunflowers under a blue sky with white clouds, summer, vibrant",
    "an owl in the forest at night, full moon, mysterious, magical, glowing eyes",
    "a train station in the rain, people with umbrellas, black and white photo, film grain",
    "a wizard reading a book in a tower, candles, magic, detailed, by a great painter",
    "a garden with roses and a stone fountain, spring, butterflies, soft focus",
    "a lighthouse on a rocky coast, waves crashing, seagulls, sunrise, wide angle",
    "a cup of tea and a slice of cake on a plate, cafe, window light, cozy afternoon",
    "a mountain village with wooden houses, green hills, cows, clear sky, panorama",
    "a girl in a red dress walking in a field of flowers, wind, hair, golden light",
    "a tiger resting in the tall grass, wildlife photography, telephoto, national geographic",
    "a desert with sand dunes and a camel caravan, hot sun, long shadows, vast",
    "a beautiful sunset over the sea with a sailing boat, orange and purple sky",
    "an old car parked in front of a diner, vintage, retro style, americana",
    "a portrait of a king wearing a golden crown, royal, renaissance painting, rich colors",
    "a snowy forest with a deer, quiet morning, soft snow falling, blue hour",
    "a busy road in a big city with yellow taxis, skyscrapers, evening, long exposure",
    "a hot air balloon over green valleys, early morning, light mist, aerial view",
    "a fisherman in a small boat on a lake, reflection, calm, minimal, fine art",
    "a cat wearing a tiny hat, funny, cute, high quality, studio photo",
    "a map of a fantasy world with islands, rivers and mountains, parchment, ink drawing",
    "a cathedral with stained glass windows, light beams, gothic architecture, interior",
    "a bakery shop window with bread and pastries, warm light, street at night",
    "a waterfall in a tropical rainforest, lush green plants, water spray, sunlight",
    "a young man playing guitar on a stage, concert, crowd, colored lights, energy",
    "a spaceship landing on a strange planet with two suns, alien plants, epic scale",
    "a pencil sketch of a horse, black and white, simple lines, drawing",
    "an anime style illustration of a girl with blue hair, detailed background, school",
    "a steaming bowl of ramen, food photography, close up, delicious, dark background",
    "a city skyline at night seen from a rooftop, lights, stars, cinematic, wide shot",
    "a wooden cabin by a lake in the mountains, autumn colors, smoke from the chimney",
    "a portrait of a smiling child, natural light, shallow depth of field, candid",
    "a storm over the wheat fields, dramatic sky, rays of light, oil on canvas",
    "the ruins of a castle on an island, foggy sea, birds, moody atmosphere",
    "a colorful parrot in the jungle, vivid colors, detailed feathers, nature",
    "an underwater scene with fish and coral, sun rays from the surface, blue water",
    "a vase of tulips on a windowsill, morning light, minimalist, clean, white wall",
    "a steampunk airship above a victorian city, brass, gears, clouds, illustration",
    "a cozy bedroom with plants and fairy lights, evening, warm, interior design",
    "a large wave at the beach, surfer, spray, sunny day, action shot",
    "a portrait of a woman in a black hat, film photo, grain, soft shadows, elegant",
    "a quiet street in paris in the morning, cafe tables, flowers, soft pastel light",
    "a mountain peak above the clouds at sunrise, snow, majestic, epic landscape",
    "a cute puppy sleeping on a blanket, soft, warm, adorable, close up",
    "an abstract painting with bold shapes and bright colors, modern art, canvas",
    "a lighthouse at night with its light shining over the dark sea, stars, long exposure",
    "a photo of a happy family having a picnic in the park, spring, sunshine, trees",
    "a beautiful girl reading a book under a tree, dappled light, summer afternoon",
    "a black cat on a windowsill looking at the rain, cozy, moody, soft focus",
    "a highly detailed portrait of a warrior with a scar, painted, realistic, dramatic light",
    "an old stone bridge over a small stream in the countryside, green, peaceful",
    "a glass of red wine on a table, candle light, dark, elegant, still life",
    "a misty morning in a pine forest, rays of sun, path, calm, nature photography",
    "a sailboat on a calm lake at dawn, pink sky, mirror reflection, serene",
    "a photo of the moon over the city, night sky, clouds, telephoto lens",
    "a woman with flowers in her hair, portrait, spring, soft colors, dreamy",
    "a landscape painting of rolling hills and a farm, morning, by a classical painter",
    "a portrait photo of an old woman with a kind smile, wrinkles, window light",
    "a lighthouse and a small boat in a harbor, evening, calm water, warm lights",
    "a group of friends laughing around a campfire at night, stars, warm glow",
    "a white horse running through a field at sunset, dust, golden light, freedom",
    "a view of the earth from space, blue planet, clouds, stars, sun, high resolution",
    "a cute little robot with big eyes in a garden, flowers, 3d render, soft light",
    "a winding road through the mountains in autumn, aerial photo, colorful trees",
    "the front of a small bookstore in the rain, warm lights, reflections, evening",
    "an elegant dress made of flowers, fashion photography, studio, high detail",
    "a dark and stormy night over an old house on a hill, lightning, gothic, horror",
    "a plate of pasta with tomato sauce and basil, food photo, top view, rustic table",
    "a frozen lake with mountains in the background, ice, winter, clear cold day",
    "a little girl and her dog walking on a country road, sunset, warm, nostalgic",
    NULL};

#define MAXSYM 4096
#define MAXWORD 4096
#define MAXWLEN 64

typedef struct bpe {
    char *sym[MAXSYM];         /* symbol strings (UTF-8 of CLIP's byte-to-unicode map, maybe "</w>") */
    int nsym;
    int word[MAXWORD][MAXWLEN];/* each distinct word as symbol ids */
    int wlen[MAXWORD], wcount[MAXWORD];
    char *wtext[MAXWORD];
    int nword;
    int merge_a[MAXSYM], merge_b[MAXSYM], nmerge;
} bpe;

/* CLIP's bytes_to_unicode: the code point byte b stands for */
static int byte_cp(int b)
{
    int n = 0, k;
    if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255)) return b;
    for (k = 0; k < b; k++)
        if (!((k >= 33 && k <= 126) || (k >= 161 && k <= 172) || (k >= 174 && k <= 255))) n++;
    return 256 + n;
}

static int utf8(char *out, int cp)
{
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    out[0] = (char)(0xc0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
}

static int sym_find(bpe *b, const char *s)
{
    int i;
    for (i = 0; i < b->nsym; i++)
        if (strcmp(b->sym[i], s) == 0) return i;
    return -1;
}

static int sym_get(bpe *b, const char *s)
{
    int i = sym_find(b, s);
    if (i >= 0) return i;
    if (b->nsym == MAXSYM) die("internal: too many symbols");
    b->sym[b->nsym] = xstrdup(s);
    return b->nsym++;
}

static void bpe_add_word(bpe *b, const char *w, int len)
{
    int i, k;
    char tmp[MAXWLEN + 1];
    if (len > MAXWLEN - 1) len = MAXWLEN - 1;
    memcpy(tmp, w, (size_t)len);
    tmp[len] = 0;
    for (i = 0; i < b->nword; i++)
        if (strcmp(b->wtext[i], tmp) == 0) { b->wcount[i]++; return; }
    if (b->nword == MAXWORD) die("internal: too many words");
    i = b->nword++;
    b->wtext[i] = xstrdup(tmp);
    b->wcount[i] = 1;
    b->wlen[i] = len;
    for (k = 0; k < len; k++) {
        char s[16];
        int n = utf8(s, byte_cp((unsigned char)tmp[k]));
        s[n] = 0;
        if (k == len - 1) strcat(s, "</w>");
        b->word[i][k] = sym_get(b, s);
    }
}

/* CLIP's pre-split, for ASCII text: lower case; 's 't 're 've 'm 'll 'd; runs of letters;
   single digits; runs of other non-space characters */
static void bpe_load_corpus(bpe *b)
{
    int li;
    for (li = 0; CORPUS[li]; li++) {
        char line[512];
        int i = 0, n = (int)strlen(CORPUS[li]);
        for (i = 0; i < n && i < 511; i++) {
            char ch = CORPUS[li][i];
            line[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
        }
        line[i] = 0;
        n = i;
        for (i = 0; i < n;) {
            char ch = line[i];
            int j = i;
            if (ch == ' ' || ch == '\t' || ch == '\n') { i++; continue; }
            if (ch == '\'') {
                static const char *const cont[] = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
                int k, hit = 0;
                for (k = 0; k < 7; k++) {
                    int cl = (int)strlen(cont[k]);
                    if (strncmp(line + i, cont[k], (size_t)cl) == 0) { bpe_add_word(b, line + i, cl); i += cl; hit = 1; break; }
                }
                if (hit) continue;
            }
            if (ch >= 'a' && ch <= 'z') {
                while (j < n && line[j] >= 'a' && line[j] <= 'z') j++;
            } else if (ch >= '0' && ch <= '9') {
                j = i + 1;
            } else {
                while (j < n && line[j] != ' ' && !(line[j] >= 'a' && line[j] <= 'z') &&
                       !(line[j] >= '0' && line[j] <= '9'))
                    j++;
            }
            bpe_add_word(b, line + i, j - i);
            i = j;
        }
    }
}

/* pair counts: open addressing on (a, b) */
#define PH 65536
typedef struct pairtab { uint32_t key[PH]; int count[PH]; } pairtab;

static void bpe_train(bpe *b, int nmerges)
{
    static pairtab pt;
    static unsigned char banned[MAXSYM][MAXSYM / 8];
    int it;
    memset(banned, 0, sizeof banned);
    for (it = 0; it < nmerges; it++) {
        int w, k, best = -1, bestc = 0, newsym;
        char merged[256];
        memset(pt.key, 0xff, sizeof pt.key);
        for (w = 0; w < b->nword; w++) {
            for (k = 0; k + 1 < b->wlen[w]; k++) {
                uint32_t key = ((uint32_t)b->word[w][k] << 16) | (uint32_t)b->word[w][k + 1];
                uint32_t h = (key * 2654435761u) >> 16;
                while (pt.key[h] != key && pt.key[h] != 0xffffffffu) h = (h + 1) & (PH - 1);
                if (pt.key[h] != key) { pt.key[h] = key; pt.count[h] = 0; }
                pt.count[h] += b->wcount[w];
            }
        }
        for (k = 0; k < PH; k++) {
            int sa, sb;
            if (pt.key[k] == 0xffffffffu) continue;
            sa = (int)(pt.key[k] >> 16);
            sb = (int)(pt.key[k] & 0xffff);
            if (banned[sa][sb >> 3] & (1 << (sb & 7))) continue;
            if (best >= 0) {
                int ba = (int)(pt.key[best] >> 16), bb = (int)(pt.key[best] & 0xffff), c;
                /* the most frequent pair; ties by the symbols' text, so the result never
                   depends on the hash table's layout */
                if (pt.count[k] < bestc) continue;
                if (pt.count[k] == bestc) {
                    c = strcmp(b->sym[sa], b->sym[ba]);
                    if (c > 0 || (c == 0 && strcmp(b->sym[sb], b->sym[bb]) >= 0)) continue;
                }
            }
            best = k;
            bestc = pt.count[k];
        }
        if (best < 0) break;
        {
            int sa = (int)(pt.key[best] >> 16), sb = (int)(pt.key[best] & 0xffff);
            snprintf(merged, sizeof merged, "%s%s", b->sym[sa], b->sym[sb]);
            if (sym_find(b, merged) >= 0) {
                /* the text exists already (from another pair): keep the vocabulary unique */
                banned[sa][sb >> 3] |= (unsigned char)(1 << (sb & 7));
                it--;
                continue;
            }
            newsym = sym_get(b, merged);
            b->merge_a[b->nmerge] = sa;
            b->merge_b[b->nmerge] = sb;
            b->nmerge++;
            for (w = 0; w < b->nword; w++) {
                int o = 0;
                for (k = 0; k < b->wlen[w]; k++) {
                    if (k + 1 < b->wlen[w] && b->word[w][k] == sa && b->word[w][k + 1] == sb) {
                        b->word[w][o++] = newsym;
                        k++;
                    } else {
                        b->word[w][o++] = b->word[w][k];
                    }
                }
                b->wlen[w] = o;
            }
        }
    }
}

static bpe *bpe_make(int nmerges)
{
    bpe *b = (bpe *)xrealloc(NULL, sizeof *b);
    memset(b, 0, sizeof *b);
    bpe_load_corpus(b);
    bpe_train(b, nmerges);
    return b;
}

static void write_merges(const bpe *b, const char *path)
{
    FILE *f = xfopen(path, "wb");
    int i;
    fputs("#version: 0.2\n", f);
    for (i = 0; i < b->nmerge; i++) fprintf(f, "%s %s\n", b->sym[b->merge_a[i]], b->sym[b->merge_b[i]]);
    xfclose(f, path);
}

static void json_str(FILE *f, const char *s)
{
    /* s is UTF-8 of code points below 0x800; written as ASCII JSON */
    fputc('"', f);
    while (*s) {
        unsigned char c = (unsigned char)*s;
        int cp;
        if (c < 0x80) { cp = c; s++; }
        else { cp = ((c & 0x1f) << 6) | ((unsigned char)s[1] & 0x3f); s += 2; }
        if (cp == '"' || cp == '\\') fprintf(f, "\\%c", cp);
        else if (cp < 0x20 || cp >= 0x7f) fprintf(f, "\\u%04x", cp);
        else fputc(cp, f);
    }
    fputc('"', f);
}

/* vocab.json as CLIP numbers its tokens: the 256 byte symbols in bytes_to_unicode order,
   the same with "</w>", then one per merge, then <|startoftext|> and <|endoftext|>
   (49406 and 49407 with the real 48894 merges; 512+merges and 513+merges here). */
static void write_vocab_json(const bpe *b, const char *path)
{
    FILE *f = xfopen(path, "wb");
    int order[256], n = 0, i, id = 0, pass;
    for (i = 33; i <= 126; i++) order[n++] = i;
    for (i = 161; i <= 172; i++) order[n++] = i;
    for (i = 174; i <= 255; i++) order[n++] = i;
    for (i = 0; i < 256; i++)
        if (byte_cp(i) >= 256) order[n++] = i;
    fputc('{', f);
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < 256; i++) {
            char s[16];
            int k = utf8(s, byte_cp(order[i]));
            s[k] = 0;
            if (pass) strcat(s, "</w>");
            if (id) fputc(',', f);
            json_str(f, s);
            fprintf(f, ":%d", id++);
        }
    }
    for (i = 0; i < b->nmerge; i++) {
        char s[256];
        snprintf(s, sizeof s, "%s%s", b->sym[b->merge_a[i]], b->sym[b->merge_b[i]]);
        fputc(',', f);
        json_str(f, s);
        fprintf(f, ":%d", id++);
    }
    fprintf(f, ",\"<|startoftext|>\":%d,\"<|endoftext|>\":%d}\n", id, id + 1);
    xfclose(f, path);
}

static void bpe_free(bpe *b)
{
    int i;
    for (i = 0; i < b->nsym; i++) free(b->sym[i]);
    for (i = 0; i < b->nword; i++) free(b->wtext[i]);
    free(b);
}

/* ================================================================ diffusers folder */

static const char *DIFFUSERS_VERSION = "0.27.2";

static void json_int_list(sbuf *s, const int *v, int n, int mul)
{
    int i;
    sb_put(s, "[", 1);
    for (i = 0; i < n; i++) sb_printf(s, i ? ", %d" : "%d", v[i] * mul);
    sb_put(s, "]", 1);
}

static void path_join(char *out, size_t cap, const char *a, const char *b)
{
    if ((size_t)snprintf(out, cap, "%s/%s", a, b) >= cap) die("path too long: %s/%s", a, b);
}

/* text_encoder/config.json, text_encoder_2/config.json: transformers' CLIPTextModel or CLIPTextModelWithProjection */
static void write_text_config(const char *dir, const char *sub, const char *arch, const char *act, int width, int mlp,
                              int positions, int heads, int layers, int proj, int vocab, const char *tdt)
{
    char path[4096], d[4096];
    sbuf s = {0, 0, 0};
    sb_printf(&s, "{\n  \"architectures\": [\"%s\"],\n  \"attention_dropout\": 0.0,\n"
                  "  \"bos_token_id\": 0,\n  \"dropout\": 0.0,\n  \"eos_token_id\": 2,\n"
                  "  \"hidden_act\": \"%s\",\n  \"hidden_size\": %d,\n  \"initializer_factor\": 1.0,\n"
                  "  \"initializer_range\": 0.02,\n  \"intermediate_size\": %d,\n  \"layer_norm_eps\": 1e-05,\n"
                  "  \"max_position_embeddings\": %d,\n  \"model_type\": \"clip_text_model\",\n"
                  "  \"num_attention_heads\": %d,\n  \"num_hidden_layers\": %d,\n  \"pad_token_id\": 1,\n"
                  "  \"projection_dim\": %d,\n  \"torch_dtype\": \"%s\",\n  \"vocab_size\": %d\n}\n",
              arch, act, width, mlp, positions, heads, layers, proj, tdt, vocab);
    path_join(d, sizeof d, dir, sub);
    path_join(path, sizeof path, d, "config.json");
    write_text_file(path, s.p);
    free(s.p);
}

/* tokenizer/ or tokenizer_2/: merges.txt, vocab.json and their configs; pad: the padding token ("<|endoftext|>",
   or "!" for SDXL's tokenizer_2, whose ids pad with 0) */
static void write_tokenizer(const char *dir, const char *sub, const bpe *b, int positions, const char *pad)
{
    char path[4096], d[4096];
    sbuf s = {0, 0, 0};
    path_join(d, sizeof d, dir, sub);
    path_join(path, sizeof path, d, "merges.txt");
    write_merges(b, path);
    path_join(path, sizeof path, d, "vocab.json");
    write_vocab_json(b, path);
    sb_printf(&s, "{\n  \"add_prefix_space\": false,\n  \"bos_token\": \"<|startoftext|>\",\n"
                  "  \"clean_up_tokenization_spaces\": true,\n  \"do_lower_case\": true,\n"
                  "  \"eos_token\": \"<|endoftext|>\",\n  \"errors\": \"replace\",\n  \"model_max_length\": %d,\n"
                  "  \"pad_token\": \"%s\",\n  \"tokenizer_class\": \"CLIPTokenizer\",\n"
                  "  \"unk_token\": \"<|endoftext|>\"\n}\n",
              positions, pad);
    path_join(path, sizeof path, d, "tokenizer_config.json");
    write_text_file(path, s.p);
    s.n = 0;
    sb_printf(&s, "{\n  \"bos_token\": \"<|startoftext|>\",\n  \"eos_token\": \"<|endoftext|>\",\n"
                  "  \"pad_token\": \"%s\",\n  \"unk_token\": \"<|endoftext|>\"\n}\n", pad);
    path_join(path, sizeof path, d, "special_tokens_map.json");
    write_text_file(path, s.p);
    free(s.p);
}

/* the configs of an SDXL folder as diffusers 0.27 and transformers write them for
   stabilityai/stable-diffusion-xl-base-1.0 (the UNet's attention_head_dim is heads per level) */
static void write_sdxl_configs(const char *dir, const config *c, const char *tdt, const bpe *b)
{
    char path[4096], sub[4096];
    sbuf s = {0, 0, 0};
    int i;
    sb_printf(&s, "{\n  \"_class_name\": \"StableDiffusionXLPipeline\",\n  \"_diffusers_version\": \"%s\",\n"
                  "  \"feature_extractor\": [null, null],\n  \"force_zeros_for_empty_prompt\": true,\n"
                  "  \"image_encoder\": [null, null],\n  \"scheduler\": [\"diffusers\", \"EulerDiscreteScheduler\"],\n"
                  "  \"text_encoder\": [\"transformers\", \"CLIPTextModel\"],\n"
                  "  \"text_encoder_2\": [\"transformers\", \"CLIPTextModelWithProjection\"],\n"
                  "  \"tokenizer\": [\"transformers\", \"CLIPTokenizer\"],\n"
                  "  \"tokenizer_2\": [\"transformers\", \"CLIPTokenizer\"],\n"
                  "  \"unet\": [\"diffusers\", \"UNet2DConditionModel\"],\n"
                  "  \"vae\": [\"diffusers\", \"AutoencoderKL\"]\n}\n",
              DIFFUSERS_VERSION);
    path_join(path, sizeof path, dir, "model_index.json");
    write_text_file(path, s.p);
    s.n = 0;

    /* unet/config.json: the middle block's depth is the last level's (transformer_layers_per_block[-1]) */
    if (c->depth_mid != c->depth[c->levels - 1]) die("internal: diffusers has the middle block as deep as the last level");
    sb_printf(&s, "{\n  \"_class_name\": \"UNet2DConditionModel\",\n  \"_diffusers_version\": \"%s\",\n"
                  "  \"act_fn\": \"silu\",\n  \"addition_embed_type\": \"text_time\",\n"
                  "  \"addition_embed_type_num_heads\": 64,\n  \"addition_time_embed_dim\": 256,\n"
                  "  \"attention_head_dim\": [",
              DIFFUSERS_VERSION);
    for (i = 0; i < c->levels; i++) sb_printf(&s, i ? ", %d" : "%d", c->model_ch * c->mult[i] / c->head_ch);
    sb_printf(&s, "],\n  \"block_out_channels\": ");
    json_int_list(&s, c->mult, c->levels, c->model_ch);
    sb_printf(&s, ",\n  \"center_input_sample\": false,\n  \"class_embed_type\": null,\n  \"class_embeddings_concat\": false,\n"
                  "  \"conv_in_kernel\": 3,\n  \"conv_out_kernel\": 3,\n  \"cross_attention_dim\": %d,\n"
                  "  \"cross_attention_norm\": null,\n  \"down_block_types\": [",
              c->context_dim);
    for (i = 0; i < c->levels; i++)
        sb_printf(&s, "%s\"%s\"", i ? ", " : "", c->attn[i] ? "CrossAttnDownBlock2D" : "DownBlock2D");
    sb_printf(&s, "],\n  \"downsample_padding\": 1,\n  \"dual_cross_attention\": false,\n  \"encoder_hid_dim\": null,\n"
                  "  \"encoder_hid_dim_type\": null,\n  \"flip_sin_to_cos\": true,\n  \"freq_shift\": 0,\n"
                  "  \"in_channels\": %d,\n  \"layers_per_block\": %d,\n  \"mid_block_only_cross_attention\": null,\n"
                  "  \"mid_block_scale_factor\": 1,\n  \"mid_block_type\": \"UNetMidBlock2DCrossAttn\",\n"
                  "  \"norm_eps\": 1e-05,\n  \"norm_num_groups\": 32,\n  \"num_attention_heads\": null,\n"
                  "  \"num_class_embeds\": null,\n  \"only_cross_attention\": false,\n  \"out_channels\": %d,\n"
                  "  \"projection_class_embeddings_input_dim\": %d,\n  \"resnet_out_scale_factor\": 1.0,\n"
                  "  \"resnet_skip_time_act\": false,\n  \"resnet_time_scale_shift\": \"default\",\n"
                  "  \"sample_size\": 128,\n  \"time_cond_proj_dim\": null,\n  \"time_embedding_act_fn\": null,\n"
                  "  \"time_embedding_dim\": null,\n  \"time_embedding_type\": \"positional\",\n"
                  "  \"timestep_post_act\": null,\n  \"transformer_layers_per_block\": [",
              c->in_ch, c->res_blocks, c->out_ch, c->adm_in);
    for (i = 0; i < c->levels; i++) sb_printf(&s, i ? ", %d" : "%d", c->depth[i] ? c->depth[i] : 1);   /* 1 where unused */
    sb_printf(&s, "],\n  \"up_block_types\": [");
    for (i = c->levels - 1; i >= 0; i--)
        sb_printf(&s, "%s\"%s\"", i != c->levels - 1 ? ", " : "", c->attn[i] ? "CrossAttnUpBlock2D" : "UpBlock2D");
    sb_printf(&s, "],\n  \"upcast_attention\": null,\n  \"use_linear_projection\": true\n}\n");
    path_join(sub, sizeof sub, dir, "unet");
    path_join(path, sizeof path, sub, "config.json");
    write_text_file(path, s.p);
    s.n = 0;

    write_text_config(dir, "text_encoder", "CLIPTextModel", "quick_gelu", c->clip_width, c->clip_mlp, c->positions,
                      c->clip_heads, c->clip_layers, c->clip_width, c->vocab, tdt);
    write_text_config(dir, "text_encoder_2", "CLIPTextModelWithProjection", "gelu", c->oc_width, c->oc_mlp, c->positions,
                      c->oc_heads, c->oc_layers, c->oc_proj, c->oc_vocab, tdt);

    sb_printf(&s, "{\n  \"_class_name\": \"EulerDiscreteScheduler\",\n  \"_diffusers_version\": \"%s\",\n"
                  "  \"beta_end\": 0.012,\n  \"beta_schedule\": \"scaled_linear\",\n  \"beta_start\": 0.00085,\n"
                  "  \"clip_sample\": false,\n  \"interpolation_type\": \"linear\",\n  \"num_train_timesteps\": 1000,\n"
                  "  \"prediction_type\": \"epsilon\",\n  \"sample_max_value\": 1.0,\n  \"set_alpha_to_one\": false,\n"
                  "  \"skip_prk_steps\": true,\n  \"steps_offset\": 1,\n  \"timestep_spacing\": \"leading\",\n"
                  "  \"trained_betas\": null,\n  \"use_karras_sigmas\": false\n}\n",
              DIFFUSERS_VERSION);
    path_join(sub, sizeof sub, dir, "scheduler");
    path_join(path, sizeof path, sub, "scheduler_config.json");
    write_text_file(path, s.p);
    free(s.p);

    write_tokenizer(dir, "tokenizer", b, c->positions, "<|endoftext|>");
    write_tokenizer(dir, "tokenizer_2", b, c->positions, "!");
}

static void write_diffusers_configs(const char *dir, const config *c, int dtype, const bpe *b, int vae_only)
{
    char path[4096], sub[4096];
    sbuf s = {0, 0, 0};
    int i, xl = c->family == FAM_SDXL;
    const char *tdt = dtype == DT_F32 ? "float32" : dtype == DT_F16 ? "float16" : "bfloat16";

    if (!vae_only && xl) write_sdxl_configs(dir, c, tdt, b);
    else if (!vae_only) {
        sb_printf(&s, "{\n  \"_class_name\": \"StableDiffusionPipeline\",\n  \"_diffusers_version\": \"%s\",\n",
                  DIFFUSERS_VERSION);
        sb_printf(&s, "  \"feature_extractor\": [null, null],\n  \"image_encoder\": [null, null],\n"
                      "  \"requires_safety_checker\": false,\n  \"safety_checker\": [null, null],\n"
                      "  \"scheduler\": [\"diffusers\", \"PNDMScheduler\"],\n"
                      "  \"text_encoder\": [\"transformers\", \"CLIPTextModel\"],\n"
                      "  \"tokenizer\": [\"transformers\", \"CLIPTokenizer\"],\n"
                      "  \"unet\": [\"diffusers\", \"UNet2DConditionModel\"],\n"
                      "  \"vae\": [\"diffusers\", \"AutoencoderKL\"]\n}\n");
        path_join(path, sizeof path, dir, "model_index.json");
        write_text_file(path, s.p);
        s.n = 0;

        /* unet/config.json (attention_head_dim is the number of heads in SD 1.x configs) */
        sb_printf(&s, "{\n  \"_class_name\": \"UNet2DConditionModel\",\n  \"_diffusers_version\": \"%s\",\n"
                      "  \"act_fn\": \"silu\",\n  \"attention_head_dim\": %d,\n  \"block_out_channels\": ",
                  DIFFUSERS_VERSION, c->heads);
        json_int_list(&s, c->mult, c->levels, c->model_ch);
        sb_printf(&s, ",\n  \"center_input_sample\": false,\n  \"cross_attention_dim\": %d,\n  \"down_block_types\": [",
                  c->context_dim);
        for (i = 0; i < c->levels; i++)
            sb_printf(&s, "%s\"%s\"", i ? ", " : "", c->attn[i] ? "CrossAttnDownBlock2D" : "DownBlock2D");
        sb_printf(&s, "],\n  \"downsample_padding\": 1,\n  \"flip_sin_to_cos\": true,\n  \"freq_shift\": 0,\n"
                      "  \"in_channels\": %d,\n  \"layers_per_block\": %d,\n  \"mid_block_scale_factor\": 1,\n"
                      "  \"norm_eps\": 1e-05,\n  \"norm_num_groups\": 32,\n  \"out_channels\": %d,\n"
                      "  \"sample_size\": 64,\n  \"transformer_layers_per_block\": 1,\n  \"up_block_types\": [",
                  c->in_ch, c->res_blocks, c->out_ch);
        for (i = c->levels - 1; i >= 0; i--)
            sb_printf(&s, "%s\"%s\"", i != c->levels - 1 ? ", " : "", c->attn[i] ? "CrossAttnUpBlock2D" : "UpBlock2D");
        sb_printf(&s, "],\n  \"use_linear_projection\": false\n}\n");
        path_join(sub, sizeof sub, dir, "unet");
        path_join(path, sizeof path, sub, "config.json");
        write_text_file(path, s.p);
        s.n = 0;

        write_text_config(dir, "text_encoder", "CLIPTextModel", "quick_gelu", c->clip_width, c->clip_mlp, c->positions,
                          c->clip_heads, c->clip_layers, c->clip_width, c->vocab, tdt);

        /* scheduler: the SD 1.5 configuration */
        sb_printf(&s, "{\n  \"_class_name\": \"PNDMScheduler\",\n  \"_diffusers_version\": \"%s\",\n"
                      "  \"beta_end\": 0.012,\n  \"beta_schedule\": \"scaled_linear\",\n  \"beta_start\": 0.00085,\n"
                      "  \"clip_sample\": false,\n  \"num_train_timesteps\": 1000,\n  \"prediction_type\": \"epsilon\",\n"
                      "  \"set_alpha_to_one\": false,\n  \"skip_prk_steps\": true,\n  \"steps_offset\": 1,\n"
                      "  \"timestep_spacing\": \"leading\",\n  \"trained_betas\": null\n}\n",
                  DIFFUSERS_VERSION);
        path_join(sub, sizeof sub, dir, "scheduler");
        path_join(path, sizeof path, sub, "scheduler_config.json");
        write_text_file(path, s.p);
        s.n = 0;

        write_tokenizer(dir, "tokenizer", b, c->positions, "<|endoftext|>");
    }

    /* vae/config.json (SDXL's VAE: latents scaled by 0.13025, decoded in float32 by diffusers) */
    sb_printf(&s, "{\n  \"_class_name\": \"AutoencoderKL\",\n  \"_diffusers_version\": \"%s\",\n  \"act_fn\": \"silu\",\n"
                  "  \"block_out_channels\": ",
              DIFFUSERS_VERSION);
    json_int_list(&s, c->vae_mult, c->vae_levels, c->vae_ch);
    sb_printf(&s, ",\n  \"down_block_types\": [");
    for (i = 0; i < c->vae_levels; i++) sb_printf(&s, "%s\"DownEncoderBlock2D\"", i ? ", " : "");
    sb_printf(&s, "],\n%s  \"in_channels\": 3,\n  \"latent_channels\": %d,\n  \"layers_per_block\": %d,\n"
                  "  \"norm_num_groups\": 32,\n  \"out_channels\": 3,\n  \"sample_size\": %d,\n"
                  "  \"scaling_factor\": %s,\n  \"up_block_types\": [",
              xl ? "  \"force_upcast\": true,\n" : "", c->z_ch, c->vae_res, xl ? 1024 : 512, xl ? "0.13025" : "0.18215");
    for (i = 0; i < c->vae_levels; i++) sb_printf(&s, "%s\"UpDecoderBlock2D\"", i ? ", " : "");
    sb_printf(&s, "]\n}\n");
    path_join(sub, sizeof sub, dir, "vae");
    path_join(path, sizeof path, sub, "config.json");
    write_text_file(path, s.p);
    free(s.p);
}

/* ================================================================ reports */

static void report(const char *what, tensor **list, int n, double secs)
{
    int64_t params[P_COUNT] = {0}, bytes = 0, total = 0;
    int i;
    for (i = 0; i < n; i++) {
        if (list[i]->kind != K_POSIDS) params[list[i]->part] += numel(list[i]);   /* a buffer, not a parameter */
        bytes += numel(list[i]) * DT_SIZE[list[i]->dtype];
    }
    fprintf(stderr, "mkmodel: wrote %s: %d tensors, %.1f MB of data, %.2f s\n", what, n, (double)bytes / 1e6, secs);
    for (i = 0; i < P_COUNT; i++) {
        if (!params[i]) continue;
        if (i != P_BUF) total += params[i];
        fprintf(stderr, "  %-18s %13lld parameters\n", PART_NAME[i], (long long)params[i]);
    }
    fprintf(stderr, "  %-18s %13lld parameters (without the scheduler buffers)\n", "total", (long long)total);
}

/* ================================================================ LoRA and textual-inversion files

   --lora OUT --for MODEL: a random LoRA / LoCon for the checkpoint MODEL, an SD 1.x single file in
   LDM names. Only MODEL's safetensors header is read (names and shapes). Each LDM key becomes its
   diffusers module path through KEYMAP above, with the ResBlocks per level R taken from MODEL (the
   first input block holding .0.op is R + 1), and the path becomes a LoRA key in one convention:
     kohya      lora_unet_ + the path with _ for . (lora_unet_down_blocks_0_attentions_0_
                transformer_blocks_0_attn1_to_q), lora_te_ for the text encoder
                (lora_te_text_model_encoder_layers_0_self_attn_q_proj);
                + .lora_down.weight, .lora_up.weight, .alpha (0-d, the file's dtype, as kohya saves it)
     diffusers  unet.PATH.lora.down.weight / .lora.up.weight,
                text_encoder.PATH.lora_linear_layer.down.weight / .up.weight; no alpha
     peft       unet.PATH.lora_A.weight / .lora_B.weight (text_encoder.PATH likewise); no alpha
   A Linear layer [out, in] gets down [r, in] and up [out, r]; a convolution [out, in, kh, kw] gets
   down [r, in, kh, kw] (LoCon: 3x3 for conv1, conv2 and the samplers) and up [out, r, 1, 1]. SD 1.x's
   proj_in / proj_out are 1x1 convolutions, so theirs are 4-D too. A module's rank is
   min(r, out, in kh kw): more is refused by the loaders.
   The numbers: down uniform in +-1/sqrt(in kh kw), up in +-0.1/sqrt(r), so that up @ down spreads
   about 1/17 as wide as the layer's own weights (PyTorch's init) at alpha = r: a visible change,
   nothing blows up. Each tensor is seeded by --seed and its LDM module's name, not by its key: the
   three conventions hold the same numbers and, with alpha = rank, give the same images.

   --embedding OUT --width D: a textual-inversion embedding, one tensor [N, D] (A1111's emb_params)
   or [D] (--1d, as diffusers' learned_embeds), normal-like with std 0.02 (CLIP's token embeddings). */

/* a safetensors header entry: the name and shape of a tensor */
typedef struct st_entry {
    char name[NAMELEN];
    int ndim;
    int64_t shape[4];
} st_entry;

/* a small JSON reader, enough for safetensors headers */
typedef struct jcur {
    const char *p, *end, *start, *path;
} jcur;

static void j_fail(const jcur *j, const char *what)
{
    die("%s: not a safetensors header (%s at byte %ld)", j->path, what, (long)(j->p - j->start) + 8);
}

static void j_ws(jcur *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static int j_peek(jcur *j)
{
    j_ws(j);
    return j->p < j->end ? (unsigned char)*j->p : -1;
}

static void j_expect(jcur *j, char c)
{
    char what[32];
    if (j_peek(j) != (unsigned char)c) {
        snprintf(what, sizeof what, "'%c' expected", c);
        j_fail(j, what);
    }
    j->p++;
}

/* a string into out (cap bytes; out NULL: skipped); \uXXXX above ASCII becomes '?' */
static void j_str(jcur *j, char *out, size_t cap)
{
    size_t n = 0;
    j_expect(j, '"');
    for (;;) {
        int c;
        if (j->p >= j->end) j_fail(j, "unterminated string");
        c = (unsigned char)*j->p++;
        if (c == '"') break;
        if (c == '\\') {
            if (j->p >= j->end) j_fail(j, "unterminated string");
            c = (unsigned char)*j->p++;
            if (c == 'u') {
                unsigned v = 0;
                int k;
                for (k = 0; k < 4; k++) {
                    int h = j->p < j->end ? (unsigned char)*j->p++ : -1;
                    if (h >= '0' && h <= '9') v = v * 16 + (unsigned)(h - '0');
                    else if ((h | 32) >= 'a' && (h | 32) <= 'f') v = v * 16 + (unsigned)((h | 32) - 'a' + 10);
                    else j_fail(j, "bad \\u escape");
                }
                c = v < 0x80 ? (int)v : '?';
            } else if (c == 'n') c = '\n';
            else if (c == 't') c = '\t';
            else if (c == 'r') c = '\r';
            else if (c == 'b') c = '\b';
            else if (c == 'f') c = '\f';
        }
        if (out) {
            if (n + 1 >= cap) j_fail(j, "name too long");
            out[n++] = (char)c;
        }
    }
    if (out) out[n] = 0;
}

static void j_skip(jcur *j, int depth)
{
    int c = j_peek(j);
    if (depth > 64) j_fail(j, "nested too deeply");
    if (c == '"') j_str(j, NULL, 0);
    else if (c == '{' || c == '[') {
        int close = c == '{' ? '}' : ']';
        j->p++;
        if (j_peek(j) == close) { j->p++; return; }
        for (;;) {
            if (c == '{') { j_str(j, NULL, 0); j_expect(j, ':'); }
            j_skip(j, depth + 1);
            if (j_peek(j) == ',') { j->p++; continue; }
            j_expect(j, (char)close);
            break;
        }
    } else {
        const char *p0 = j->p;
        while (j->p < j->end && !strchr(",}] \t\n\r", *j->p)) j->p++;
        if (j->p == p0) j_fail(j, "value expected");
    }
}

static int64_t j_int(jcur *j)
{
    char tmp[32];
    size_t n = 0;
    char *e;
    long long v;
    j_ws(j);
    while (j->p < j->end && n + 1 < sizeof tmp && (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))) tmp[n++] = *j->p++;
    tmp[n] = 0;
    errno = 0;
    v = strtoll(tmp, &e, 10);
    if (!n || *e || errno || v < 0) j_fail(j, "a size expected");
    return (int64_t)v;
}

/* the tensors of a safetensors file (names, shapes up to 4-D; others are left out), *n of them */
static st_entry *read_st_header(const char *path, int *n)
{
    FILE *f = xfopen(path, "rb");
    unsigned char len8[8];
    uint64_t len = 0;
    char *h;
    jcur j;
    st_entry *e = NULL;
    int i, cap = 0;
    *n = 0;
    if (fread(len8, 1, 8, f) != 8) die("%s: too short for a safetensors file", path);
    for (i = 0; i < 8; i++) len |= (uint64_t)len8[i] << (8 * i);
    if (len < 2 || len > ((uint64_t)100 << 20)) die("%s: not a safetensors file (header size %llu)", path, (unsigned long long)len);
    h = (char *)xrealloc(NULL, (size_t)len);
    if (fread(h, 1, (size_t)len, f) != (size_t)len) die("%s: the header is cut short", path);
    fclose(f);
    j.p = j.start = h;
    j.end = h + len;
    j.path = path;
    j_expect(&j, '{');
    if (j_peek(&j) == '}') j.p++;
    else for (;;) {
        st_entry t;
        int keep = 1;
        memset(&t, 0, sizeof t);
        j_str(&j, t.name, sizeof t.name);
        j_expect(&j, ':');
        if (!strcmp(t.name, "__metadata__")) { j_skip(&j, 0); keep = 0; }
        else {
            j_expect(&j, '{');
            if (j_peek(&j) == '}') j.p++;
            else for (;;) {
                char field[64];
                j_str(&j, field, sizeof field);
                j_expect(&j, ':');
                if (!strcmp(field, "shape")) {
                    j_expect(&j, '[');
                    if (j_peek(&j) == ']') j.p++;
                    else for (;;) {
                        int64_t v = j_int(&j);
                        if (t.ndim < 4) t.shape[t.ndim] = v;
                        t.ndim++;
                        if (j_peek(&j) == ',') { j.p++; continue; }
                        j_expect(&j, ']');
                        break;
                    }
                } else j_skip(&j, 0);
                if (j_peek(&j) == ',') { j.p++; continue; }
                j_expect(&j, '}');
                break;
            }
        }
        if (keep && t.ndim <= 4) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 1024;
                e = (st_entry *)xrealloc(e, (size_t)cap * sizeof *e);
            }
            e[(*n)++] = t;
        }
        if (j_peek(&j) == ',') { j.p++; continue; }
        j_expect(&j, '}');
        break;
    }
    free(h);
    return e;
}

/* a JSON string literal of s */
static void sb_json_str(sbuf *b, const char *s)
{
    sb_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { sb_put(b, "\\", 1); sb_put(b, s, 1); }
        else if (c < 0x20) sb_printf(b, "\\u%04x", c);
        else sb_put(b, s, 1);
    }
    sb_put(b, "\"", 1);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* the groups of layers a LoRA covers */
enum { LG_ATTN = 1, LG_RES = 2, LG_LCM = 4, LG_TE = 8 };

/* the group of a module, from its diffusers path (comp: COMP_UNET, COMP_TEXT or COMP_TEXT2); 0: none */
static int lora_group(int comp, const char *path)
{
    static const char *const attn[] = {".attn1.to_q", ".attn1.to_k", ".attn1.to_v", ".attn1.to_out.0",
                                       ".attn2.to_q", ".attn2.to_k", ".attn2.to_v", ".attn2.to_out.0",
                                       ".ff.net.0.proj", ".ff.net.2", ".proj_in", ".proj_out", NULL};
    static const char *const res[] = {".conv1", ".conv2", ".time_emb_proj", ".conv_shortcut", NULL};
    static const char *const te[] = {".self_attn.q_proj", ".self_attn.k_proj", ".self_attn.v_proj", ".self_attn.out_proj",
                                     ".mlp.fc1", ".mlp.fc2", NULL};
    int k;
    if (comp == COMP_TEXT || comp == COMP_TEXT2) {
        if (strncmp(path, "text_model.encoder.layers.", 26) != 0) return 0;
        for (k = 0; te[k]; k++) if (ends_with(path, te[k])) return LG_TE;
        return 0;
    }
    if (strstr(path, "attentions."))
        for (k = 0; attn[k]; k++) if (ends_with(path, attn[k])) return LG_ATTN;
    if (strstr(path, "resnets."))
        for (k = 0; res[k]; k++) if (ends_with(path, res[k])) return LG_RES;
    if (ends_with(path, "samplers.0.conv") || !strcmp(path, "conv_in") || !strcmp(path, "conv_out") ||
        !strcmp(path, "time_embedding.linear_1") || !strcmp(path, "time_embedding.linear_2"))
        return LG_LCM;
    return 0;
}

enum { KEYS_KOHYA, KEYS_DIFFUSERS, KEYS_PEFT };
static const char *const KEYS_NAME[] = {"kohya", "diffusers", "peft"};
/* kohya's UNet module names: diffusers' paths (sd-scripts' SD 1.x/2.x UNet) or LDM's (its SDXL UNet) */
enum { UNAMES_DEFAULT = -1, UNAMES_DIFFUSERS, UNAMES_LDM };

typedef struct lora_opts {
    const char *out, *model;
    int rank, keys, groups, dtype;
    int unet_names;            /* UNAMES_*; default: LDM's for SDXL, diffusers' for SD 1.x */
    double alpha;              /* < 0: the module's rank; 0 with no_alpha */
    int no_alpha;
    uint64_t seed;
} lora_opts;

static void write_lora(const lora_opts *lo)
{
    st_entry *e;
    int ne, i, nres = -1, nmod = 0, nte = 0, nclamped = 0, k, d, part, xl = 0, unames;
    config mc = CFG_SD15;
    model lm;
    tensor **list;
    char **names;
    int nnames = 0;
    sbuf meta = {0, 0, 0};
    run_opts o;
    int64_t params = 0;
    clock_t t0 = clock();

    e = read_st_header(lo->model, &ne);
    for (k = 1; k <= 64 && nres < 0; k++) {
        char want[NAMELEN];
        snprintf(want, sizeof want, UP "input_blocks.%d.0.op.weight", k);
        for (i = 0; i < ne; i++) if (!strcmp(e[i].name, want)) { nres = k - 1; break; }
    }
    if (nres < 0) die("%s: no model.diffusion_model.input_blocks.N.0.op.weight: not an SD 1.x / SDXL checkpoint in LDM names", lo->model);
    for (i = 0; i < ne && !xl; i++) xl = !strncmp(e[i].name, "conditioner.embedders.", 22) || !strncmp(e[i].name, UP "label_emb.", 32);
    if (xl) mc = CFG_SDXL;
    mc.res_blocks = nres;
    unames = lo->unet_names != UNAMES_DEFAULT ? lo->unet_names : xl ? UNAMES_LDM : UNAMES_DIFFUSERS;
    memset(&lm, 0, sizeof lm);
    lm.c = &mc;
    lm.wdtype = lo->dtype;
    names = (char **)xrealloc(NULL, (size_t)ne * 9 * sizeof *names);   /* an in_proj: three modules */
    for (i = 0; i < ne; i++) {
        const st_entry *w = &e[i];
        char path[NAMELEN], ldm[NAMELEN];
        int comp, op, te, r, conv, nsplit;
        int64_t fan, out;
        /* the diffusers module path (text_model.encoder.layers.0.self_attn.*_proj for an in_proj) */
        if (w->ndim != 2 && w->ndim != 4) continue;
        if (!map_key(&mc, w->name, &comp, path, &op, NULL, NULL, NULL) || op == OP_DROP) continue;
        if (comp != COMP_UNET && comp != COMP_TEXT && comp != COMP_TEXT2) continue;
        if (!ends_with(path, ".weight")) continue;
        path[strlen(path) - strlen(".weight")] = 0;
        nsplit = op == OP_SPLIT3 ? 3 : 1;
        strcpy(ldm, path);
        if (nsplit == 3) star(ldm, 'q');   /* (the group of q_proj's, as k's and v's) */
        if (!(lora_group(comp, ldm) & lo->groups)) continue;
        te = comp != COMP_UNET;
        conv = w->ndim == 4;
        out = w->shape[0] / nsplit;
        fan = w->shape[1] * (conv ? w->shape[2] * w->shape[3] : 1);
        r = lo->rank;
        if (r > out) r = (int)out;
        if (r > fan) r = (int)fan;
        /* the LDM module: the weight's name without ".weight" (OpenCLIP's in_proj_weight without "_weight") */
        strcpy(ldm, w->name);
        ldm[strlen(ldm) - strlen(".weight")] = 0;
        for (part = 0; part < nsplit; part++) {
            char mpath[NAMELEN], mldm[NAMELEN], key[NAMELEN], seedname[NAMELEN + 16];
            const char *prefix, *body = mpath;
            strcpy(mpath, path);
            strcpy(mldm, ldm);
            if (nsplit == 3) {                 /* q_proj, k_proj, v_proj: the row thirds of in_proj */
                star(mpath, "qkv"[part]);
                if (snprintf(mldm, sizeof mldm, "%s.%c", ldm, "qkv"[part]) >= (int)sizeof mldm) die("internal: name too long");
            }
            if (lo->keys == KEYS_KOHYA) {
                char *q;
                prefix = comp == COMP_UNET ? "lora_unet_" : comp == COMP_TEXT2 ? "lora_te2_" : xl ? "lora_te1_" : "lora_te_";
                if (comp == COMP_UNET && unames == UNAMES_LDM) body = ldm + strlen(UP);   /* input_blocks.4.1.... */
                if (snprintf(key, sizeof key, "%s%s", prefix, body) >= (int)sizeof key) die("internal: name too long");
                for (q = key; *q; q++) if (*q == '.') *q = '_';
            } else {
                prefix = comp == COMP_UNET ? "unet." : comp == COMP_TEXT2 ? "text_encoder_2." : "text_encoder.";
                if (snprintf(key, sizeof key, "%s%s", prefix, body) >= (int)sizeof key) die("internal: name too long");
            }
            for (d = 0; d < 3; d++) {
                static const char *const suffix[3][3] = {
                    {".lora_down.weight", ".lora_up.weight", ".alpha"},
                    {".lora.down.weight", ".lora.up.weight", NULL},
                    {".lora_A.weight", ".lora_B.weight", NULL}};
                const char *sfx = suffix[lo->keys][d];
                char full[NAMELEN + 40];
                tensor *t;
                if (d == 2 && (lo->keys != KEYS_KOHYA || lo->no_alpha)) continue;
                if (te && lo->keys == KEYS_DIFFUSERS) sfx = d ? ".lora_linear_layer.up.weight" : ".lora_linear_layer.down.weight";
                snprintf(full, sizeof full, "%s%s", key, sfx);
                snprintf(seedname, sizeof seedname, "lora:%s.%s", mldm, d == 0 ? "down" : d == 1 ? "up" : "alpha");
                if (strlen(seedname) >= NAMELEN) die("internal: name too long");
                if (d == 0) {          /* down [r, in(, kh, kw)] */
                    t = add(&lm, te ? P_TEXT : P_UNET, K_WEIGHT, seedname, w->ndim, r, w->shape[1],
                            conv ? w->shape[2] : 0, conv ? w->shape[3] : 0);
                    t->fan_in = (double)fan;
                } else if (d == 1) {   /* up [out, r(, 1, 1)] */
                    t = add(&lm, te ? P_TEXT : P_UNET, K_WEIGHT, seedname, w->ndim, out, r, conv ? 1 : 0, conv ? 1 : 0);
                    t->fan_in = 100.0 * r;   /* bound 0.1/sqrt(r) */
                } else {               /* alpha [] */
                    t = add(&lm, te ? P_TEXT : P_UNET, K_CONST, seedname, 0, 0, 0, 0, 0);
                    t->a = lo->alpha < 0 ? (double)r : lo->alpha;
                }
                names[nnames] = xstrdup(full);
                t->out_name = names[nnames++];
                if (t->kind == K_WEIGHT) params += numel(t);
            }
            nclamped += r < lo->rank;
            nmod++;
            nte += te;
        }
    }
    if (!nmod) die("%s: no layer of the kinds asked for (a checkpoint in LDM names: model.diffusion_model.*)", lo->model);
    if ((lo->groups & LG_TE) && !nte)
        fprintf(stderr, "mkmodel: warning: %s has no CLIP text encoder in transformers' names "
                        "(cond_stage_model.transformer.text_model.*): the LoRA is UNet only\n", lo->model);
    list = (tensor **)xrealloc(NULL, (size_t)lm.n * sizeof *list);
    for (i = 0; i < lm.n; i++) {   /* (lm.t has moved while it grew: the shape pointers now) */
        list[i] = &lm.t[i];
        lm.t[i].out_ndim = lm.t[i].ndim;
        lm.t[i].out_shape = lm.t[i].shape;
    }

    sb_printf(&meta, "{\"format\":\"pt\",\"generator\":\"mkmodel\"");
    if (lo->keys == KEYS_KOHYA) {
        sb_printf(&meta, ",\"ss_network_module\":\"networks.lora\",\"ss_network_dim\":\"%d\"", lo->rank);
        if (lo->no_alpha || lo->alpha < 0) sb_printf(&meta, ",\"ss_network_alpha\":\"%d\"", lo->rank);
        else sb_printf(&meta, ",\"ss_network_alpha\":\"%g\"", lo->alpha);
        if (xl) sb_printf(&meta, ",\"ss_base_model_version\":\"sdxl_base_v1-0\"");
    }
    {   /* the model's file name, without its folder: the same bytes wherever the model lies */
        const char *base = lo->model, *q;
        for (q = lo->model; *q; q++) if (*q == '/' || *q == '\\') base = q + 1;
        sb_printf(&meta, ",\"mkmodel_lora_for\":");
        sb_json_str(&meta, base);
    }
    if (lo->keys == KEYS_KOHYA && (xl || lo->unet_names != UNAMES_DEFAULT))
        sb_printf(&meta, ",\"mkmodel_unet_names\":\"%s\"", unames == UNAMES_LDM ? "ldm" : "diffusers");
    sb_printf(&meta, ",\"mkmodel_seed\":\"%llu\",\"mkmodel_keys\":\"%s\",\"mkmodel_dtype\":\"%s\"}",
              (unsigned long long)lo->seed, KEYS_NAME[lo->keys], DT_NAME[lo->dtype]);
    memset(&o, 0, sizeof o);
    o.seed = lo->seed;
    o.init = INIT_TORCH;
    o.scale = 1.0;
    o.meta = meta.p;
    write_safetensors(lo->out, list, lm.n, &o);
    fprintf(stderr, "mkmodel: wrote %s: %d modules (%d UNet, %d text encoder), rank %d, ", lo->out, nmod, nmod - nte, nte, lo->rank);
    if (lo->no_alpha || lo->keys != KEYS_KOHYA) fprintf(stderr, "no alpha");
    else if (lo->alpha < 0) fprintf(stderr, "alpha = rank");
    else fprintf(stderr, "alpha %g", lo->alpha);
    fprintf(stderr, ", %s keys%s, %s, %d tensors, %lld parameters, %.2f s (%s, %d ResBlocks per level)\n",
            KEYS_NAME[lo->keys], lo->keys != KEYS_KOHYA ? "" : unames == UNAMES_LDM ? " (UNet: LDM names)" : " (UNet: diffusers names)",
            DT_NAME[lo->dtype], lm.n, (long long)params, (double)(clock() - t0) / CLOCKS_PER_SEC, xl ? "SDXL" : "SD 1.x", nres);
    if (nclamped)
        fprintf(stderr, "mkmodel: %d module%s narrower than rank %d got the layer's rank instead (min(out, in kh kw))\n",
                nclamped, nclamped == 1 ? "" : "s", lo->rank);
    for (i = 0; i < nnames; i++) free(names[i]);
    free(names);
    free(list);
    free(lm.t);
    free(meta.p);
    free(e);
}

/* --taesd OUT --half encoder|decoder: a random TAESD half in madebyollin's layout (nn.Sequential
   indices; 64 channels; Block N.conv.0/2/4; the stride-2 and post-upsampling convs without bias) */
static void write_taesd(const char *path, int decoder, int dtype, uint64_t seed)
{
    static const char enc[] = "CBDBBBDBBBDBBBC", dec[] = "TCRBBBUCBBBUCBBBUCBC";
    const char *k = decoder ? dec : enc;
    model tm;
    tensor **list;
    run_opts o;
    char name[64];
    int i, j, n = (int)strlen(k);
    memset(&tm, 0, sizeof tm);
    tm.wdtype = dtype;
    for (i = 0; i < n; i++) {
        int first = i == (decoder ? 1 : 0), last = i == n - 1, ci = first ? (decoder ? 4 : 3) : 64, co = last ? (decoder ? 3 : 4) : 64;
        if (k[i] == 'C' && (first || last || (i > 0 && k[i - 1] != 'U'))) { sprintf(name, "%d", i); conv(&tm, P_VAE, name, co, ci, 3, 0); }
        else if (k[i] == 'C' || k[i] == 'D') {   /* no bias */
            tensor *t;
            sprintf(name, "%d.weight", i);
            t = add(&tm, P_VAE, K_WEIGHT, name, 4, 64, 64, 3, 3);
            t->fan_in = 64.0 * 9;
        } else if (k[i] == 'B')
            for (j = 0; j < 6; j += 2) { sprintf(name, "%d.conv.%d", i, j); conv(&tm, P_VAE, name, 64, 64, 3, j == 4); }
    }
    list = (tensor **)xrealloc(NULL, (size_t)tm.n * sizeof *list);
    for (i = 0; i < tm.n; i++) { list[i] = &tm.t[i]; tm.t[i].out_name = tm.t[i].name; tm.t[i].out_ndim = tm.t[i].ndim; tm.t[i].out_shape = tm.t[i].shape; }
    memset(&o, 0, sizeof o);
    o.seed = seed;
    o.init = INIT_TORCH;
    o.scale = 1.0;
    write_safetensors(path, list, tm.n, &o);
    fprintf(stderr, "mkmodel: wrote %s: a TAESD %s (madebyollin's layout), %d tensors, %s\n", path, decoder ? "decoder" : "encoder", tm.n, DT_NAME[dtype]);
    free(list);
    free(tm.t);
}

static void write_embedding(const char *path, const char *key, int width, int vectors, int one_d, int dtype, uint64_t seed,
                            double std)
{
    model em;
    tensor *t, *list[1];
    sbuf meta = {0, 0, 0};
    run_opts o;
    const char *k;
    if (!*key || strlen(key) >= NAMELEN || !strcmp(key, "__metadata__")) die("bad --key '%s'", key);
    for (k = key; *k; k++) if (*k == '"' || *k == '\\' || (unsigned char)*k < 0x20) die("bad --key '%s': no quotes, backslashes or control characters", key);
    memset(&em, 0, sizeof em);
    em.wdtype = dtype;
    t = one_d ? add(&em, P_TEXT, K_EMBED, key, 1, width, 0, 0, 0) : add(&em, P_TEXT, K_EMBED, key, 2, vectors, width, 0, 0);
    t->a = std;
    t->out_name = t->name;
    t->out_ndim = t->ndim;
    t->out_shape = t->shape;
    list[0] = t;
    sb_printf(&meta, "{\"format\":\"pt\",\"generator\":\"mkmodel\",\"mkmodel_seed\":\"%llu\",\"mkmodel_std\":\"%g\"}",
              (unsigned long long)seed, std);
    memset(&o, 0, sizeof o);
    o.seed = seed;
    o.init = INIT_TORCH;
    o.scale = 1.0;
    o.meta = meta.p;
    write_safetensors(path, list, 1, &o);
    if (one_d) fprintf(stderr, "mkmodel: wrote %s: embedding '%s' [%d] %s\n", path, key, width, DT_NAME[dtype]);
    else fprintf(stderr, "mkmodel: wrote %s: embedding '%s' [%d, %d] %s\n", path, key, vectors, width, DT_NAME[dtype]);
    free(em.t);
    free(meta.p);
}

/* ================================================================ self test of the conversions */

/* prints "f32bits f16bits bf16bits" for edge cases and pseudo-random bit patterns, for
   tools/check_mkmodel.py to compare with Python's own rounding */
static void selftest(void)
{
    static const uint32_t edge[] = {
        0x00000000u, 0x80000000u, 0x3f800000u, 0xbf800000u, 0x477fe000u, 0x477fefffu, 0x477ff000u, 0x477ff001u,
        0x47800000u, 0x7f7fffffu, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00001u, 0x7f800001u, 0x38800000u,
        0x387fffffu, 0x387fe000u, 0x387ff000u, 0x38000000u, 0x33800000u, 0x33000000u, 0x33000001u, 0x32ffffffu,
        0x33c00000u, 0x34000000u, 0x34200000u, 0x34300000u, 0x00000001u, 0x007fffffu, 0x3eaaaaabu, 0x3dcccccdu,
        0x3f801000u, 0x3f803000u, 0x3f800fffu, 0x3f801001u, 0x3f808000u, 0x3f818000u, 0x3f7fffffu, 0xc77fefffu};
    uint64_t s = 12345;
    int i;
    for (i = 0; i < (int)(sizeof edge / sizeof edge[0]); i++)
        printf("%08lx %04x %04x\n", (unsigned long)edge[i], f32_to_f16(bits_f32(edge[i])), f32_to_bf16(bits_f32(edge[i])));
    for (i = 0; i < 200000; i++) {
        uint32_t u = (uint32_t)splitmix64(&s);
        if (i & 1) u = (u & 0x80ffffffu) | ((uint32_t)(0x30 + (i >> 1) % 0x20) << 24); /* near half's range */
        printf("%08lx %04x %04x\n", (unsigned long)u, f32_to_f16(bits_f32(u)), f32_to_bf16(bits_f32(u)));
    }
}

/* ================================================================ main */

static const char USAGE[] =
    "usage: mkmodel [options] -o OUT.safetensors      a random-weight SD checkpoint (LDM single-file layout)\n"
    "       mkmodel [options] --diffusers DIR         the same weights as a diffusers model folder\n"
    "       mkmodel --vocab-out merges.txt [--vocab-json vocab.json] [--merges N]\n"
    "       mkmodel [--config sdxl] --print-keymap    the LDM -> diffusers key mapping as text (SD 1.x or SDXL)\n"
    "options:\n"
    "  --config sd15|tiny|demo|sd21|sdxl|sdxl-tiny  architecture: SD 1.5 (default; 1.07 G parameters), the\n"
    "                         sd1-tiny fixture's tiny one, demo (tiny widths, no attention at full latent size:\n"
    "                         fast at 512x512), sd21: SD 2.1 as v2-1_768-ema-pruned.safetensors names it\n"
    "                         (1.30 G parameters), sdxl: SDXL base 1.0 as sd_xl_base_1.0.safetensors names it\n"
    "                         (3.47 G parameters, 6.9 GB in F16), sdxl-tiny: the sdxl-tiny fixture's layout\n"
    "  --family sd1|sd2|sdxl  sd2, sdxl: a tiny checkpoint of that family (sdxl: a stub older than sdxl-tiny)\n"
    "  --dtype f16|f32|bf16   weight dtype (default f16); scheduler buffers stay F32, position_ids I64\n"
    "  --seed N               random seed (default 0); the same seed gives the same numbers everywhere\n"
    "  --scale X              multiply the weights of the layers that end a residual branch by X (default 1)\n"
    "  --init torch|fixture   torch: PyTorch's default init (default); fixture: the test fixture's statistics\n"
    "  --buffers all|fixture|none   scheduler buffers to include (default: all for sd15 and sd21, fixture for tiny,\n"
    "                         none for SDXL, whose files carry none)\n"
    "  --vae-only             only the VAE, keys without 'first_stage_model.' like standalone VAE files\n"
    "  --keep-prefix          with --vae-only: keep the 'first_stage_model.' prefix\n"
    "  --list                 with -o or --diffusers: print each file's tensors (path, name, dtype, shape; tab\n"
    "                         separated, in the file's order) instead of writing them\n"
    "  --merges N             BPE merges for --vocab-out and the diffusers tokenizer (default 500)\n"
    "  --selftest             print float -> F16/BF16 conversions (for tools/check_mkmodel.py)\n"
    "\n"
    "       mkmodel --lora OUT.safetensors --for MODEL.safetensors [options]   a random LoRA / LoCon for MODEL\n"
    "                         (an SD 1.x or SDXL single file; SDXL: lora_te1_ / lora_te2_ for the two text encoders,\n"
    "                         text_encoder_2. in diffusers / peft keys)\n"
    "  --rank R               rank (default 4; a narrower layer gets its own)\n"
    "  --alpha A|none         the alpha tensors (default: the rank, scale 1); none: no alpha tensors\n"
    "  --keys kohya|diffusers|peft   key convention (default kohya; diffusers and peft have no alpha)\n"
    "  --unet-names ldm|diffusers   kohya keys: the UNet's modules in LDM names (lora_unet_input_blocks_4_1_...,\n"
    "                         sd-scripts' SDXL; the default for SDXL) or diffusers' (lora_unet_down_blocks_1_...;\n"
    "                         the default for SD 1.x)\n"
    "  --te                   also the text encoder's q/k/v/out_proj, fc1, fc2 (SDXL: both encoders; bigG's\n"
    "                         q/k/v_proj are the row thirds of its in_proj)\n"
    "  --attn-only            only the attention layers (to_q/k/v/out.0, ff, proj_in/out): a plain LoRA\n"
    "  --lcm                  also the sampler convs, conv_in, conv_out, time_embedding (as LCM-LoRA)\n"
    "                         (default: attention layers and ResBlock conv1, conv2, time_emb_proj, conv_shortcut)\n"
    "  --dtype, --seed        as above (dtype default f16; the alpha tensors have the same dtype)\n"
    "\n"
    "       mkmodel --embedding OUT.safetensors --width D [options]   a random textual-inversion embedding\n"
    "  --vectors N            vectors (1..75, default 2): one tensor [N, D]\n"
    "  --1d                   one vector, shape [D] (diffusers' learned_embeds)\n"
    "  --key NAME             the tensor's name (default emb_params, as A1111)\n"
    "  --std X                normal-like with this std (default 0.02, CLIP's token embeddings)\n"
    "  --dtype, --seed        as above (dtype default f32)\n";

int main(int argc, char **argv)
{
    const char *out = NULL, *diff_dir = NULL, *vocab_out = NULL, *vocab_json = NULL;
    const char *cfg_name = "sd15", *family = "sd1", *dtype_name = "f16", *init_name = "torch";
    int dtype = DT_F16, bufs = BUF_DEFAULT, vae_only = 0, keep_prefix = 0, nmerges = 500, family_given = 0, i;
    const char *taesd_out = NULL;
    int taesd_dec = 1;
    const char *lora_out = NULL, *emb_out = NULL, *emb_key = "emb_params", *lora_only = NULL, *emb_only = NULL;
    int emb_width = 0, emb_vectors = -1, emb_1d = 0, dtype_given = 0, print_map = 0;
    double emb_std = 0.02;
    lora_opts lo;
    const config *c = &CFG_SD15;
    run_opts o;
    model m;
    clock_t t0;

    o.seed = 0;
    o.scale = 1.0;
    o.meta = NULL;
    o.list = 0;
    memset(&lo, 0, sizeof lo);
    lo.rank = 4;
    lo.alpha = -1.0;
    lo.keys = KEYS_KOHYA;
    lo.groups = LG_ATTN | LG_RES;
    lo.unet_names = UNAMES_DEFAULT;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV() do { if (!v) die("%s needs a value", a); i++; } while (0)
        if (!strcmp(a, "-o")) { NEEDV(); out = v; }
        else if (!strcmp(a, "--config")) { NEEDV(); cfg_name = v; }
        else if (!strcmp(a, "--family")) { NEEDV(); family = v; family_given = 1; }
        else if (!strcmp(a, "--dtype")) { NEEDV(); dtype_name = v; dtype_given = 1; }
        else if (!strcmp(a, "--seed")) {
            char *e;
            NEEDV();
            errno = 0;
            o.seed = (uint64_t)strtoull(v, &e, 0);
            if (*e || errno) die("bad --seed %s", v);
        } else if (!strcmp(a, "--scale")) {
            char *e;
            NEEDV();
            o.scale = strtod(v, &e);
            if (*e || !(o.scale >= 0.0) || o.scale > 1e6) die("bad --scale %s", v);
        } else if (!strcmp(a, "--init")) { NEEDV(); init_name = v; }
        else if (!strcmp(a, "--buffers")) {
            NEEDV();
            if (!strcmp(v, "all")) bufs = BUF_ALL;
            else if (!strcmp(v, "fixture")) bufs = BUF_FIXTURE;
            else if (!strcmp(v, "none")) bufs = BUF_NONE;
            else die("bad --buffers %s", v);
        } else if (!strcmp(a, "--vae-only")) vae_only = 1;
        else if (!strcmp(a, "--list")) o.list = 1;
        else if (!strcmp(a, "--keep-prefix")) keep_prefix = 1;
        else if (!strcmp(a, "--diffusers")) { NEEDV(); diff_dir = v; }
        else if (!strcmp(a, "--vocab-out")) { NEEDV(); vocab_out = v; }
        else if (!strcmp(a, "--vocab-json")) { NEEDV(); vocab_json = v; }
        else if (!strcmp(a, "--merges")) {
            NEEDV();
            nmerges = atoi(v);
            if (nmerges < 0 || nmerges > 3000) die("bad --merges %s (0..3000)", v);
        } else if (!strcmp(a, "--lora")) { NEEDV(); lora_out = v; }
        else if (!strcmp(a, "--for")) { NEEDV(); lo.model = v; lora_only = a; }
        else if (!strcmp(a, "--rank")) {
            char *e;
            long r;
            NEEDV();
            r = strtol(v, &e, 10);
            if (*e || r < 1 || r > 4096) die("bad --rank %s (1..4096)", v);
            lo.rank = (int)r;
            lora_only = a;
        } else if (!strcmp(a, "--alpha")) {
            char *e;
            NEEDV();
            lora_only = a;
            if (!strcmp(v, "none")) { lo.no_alpha = 1; continue; }
            lo.alpha = strtod(v, &e);
            if (*e || !(lo.alpha > 0.0) || lo.alpha > 65504.0) die("bad --alpha %s (a number in (0, 65504], or none)", v);
            lo.no_alpha = 0;
        } else if (!strcmp(a, "--keys")) {
            NEEDV();
            lora_only = a;
            if (!strcmp(v, "kohya")) lo.keys = KEYS_KOHYA;
            else if (!strcmp(v, "diffusers")) lo.keys = KEYS_DIFFUSERS;
            else if (!strcmp(v, "peft")) lo.keys = KEYS_PEFT;
            else die("unknown --keys %s (kohya, diffusers, peft)", v);
        } else if (!strcmp(a, "--unet-names")) {
            NEEDV();
            lora_only = a;
            if (!strcmp(v, "ldm")) lo.unet_names = UNAMES_LDM;
            else if (!strcmp(v, "diffusers")) lo.unet_names = UNAMES_DIFFUSERS;
            else die("unknown --unet-names %s (ldm, diffusers)", v);
        } else if (!strcmp(a, "--te")) { lo.groups |= LG_TE; lora_only = a; }
        else if (!strcmp(a, "--lcm")) { lo.groups |= LG_LCM; lora_only = a; }
        else if (!strcmp(a, "--attn-only")) { lo.groups &= ~LG_RES; lora_only = a; }
        else if (!strcmp(a, "--embedding")) { NEEDV(); emb_out = v; }
        else if (!strcmp(a, "--taesd")) { NEEDV(); taesd_out = v; }
        else if (!strcmp(a, "--half")) {
            NEEDV();
            if (!strcmp(v, "encoder")) taesd_dec = 0; else if (!strcmp(v, "decoder")) taesd_dec = 1; else die("--half encoder or decoder");
        }
        else if (!strcmp(a, "--width")) {
            NEEDV();
            emb_width = atoi(v);
            if (emb_width < 1 || emb_width > 65536) die("bad --width %s (1..65536)", v);
            emb_only = a;
        } else if (!strcmp(a, "--vectors")) {
            NEEDV();
            emb_vectors = atoi(v);
            if (emb_vectors < 1 || emb_vectors > 75) die("bad --vectors %s (1..75)", v);
            emb_only = a;
        } else if (!strcmp(a, "--key")) { NEEDV(); emb_key = v; emb_only = a; }
        else if (!strcmp(a, "--1d")) { emb_1d = 1; emb_only = a; }
        else if (!strcmp(a, "--std")) {
            char *e;
            NEEDV();
            emb_std = strtod(v, &e);
            if (*e || !(emb_std > 0.0) || emb_std > 1000.0) die("bad --std %s", v);
            emb_only = a;
        } else if (!strcmp(a, "--print-keymap")) print_map = 1;
        else if (!strcmp(a, "--selftest")) { selftest(); return 0; }
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fputs(USAGE, stdout); return 0; }
        else die("unknown option %s\n%s", a, USAGE);
#undef NEEDV
    }

    if (!strcmp(cfg_name, "sd15")) c = &CFG_SD15;
    else if (!strcmp(cfg_name, "tiny")) c = &CFG_TINY;
    else if (!strcmp(cfg_name, "demo")) c = &CFG_DEMO;
    else if (!strcmp(cfg_name, "sd21")) c = &CFG_SD21;
    else if (!strcmp(cfg_name, "sdxl")) c = &CFG_SDXL;
    else if (!strcmp(cfg_name, "sdxl-tiny")) c = &CFG_SDXL_TINY;
    else die("unknown --config %s (sd15, tiny, demo, sd21, sdxl, sdxl-tiny)", cfg_name);
    /* --family picks the tiny checkpoint of a family; with a config of that family it may say so */
    if (strcmp(family, "sd1") && strcmp(family, "sd2") && strcmp(family, "sdxl")) die("unknown --family %s (sd1, sd2, sdxl)", family);
    if (family_given && c->family != FAM_SD1 && strcmp(family, c->family == FAM_SD2 ? "sd2" : "sdxl"))
        die("--config %s is an %s model: --family %s does not fit", c->name, c->family == FAM_SD2 ? "SD 2.x" : "SDXL", family);
    if (!strcmp(family, "sd2") && c->family != FAM_SD2) c = &CFG_SD2_TINY;
    else if (!strcmp(family, "sdxl") && c->family != FAM_SDXL) c = &CFG_SDXL_STUB;
    if (print_map) {
        if (c->family == FAM_SD2) die("--print-keymap: SD 1.x (the default) or SDXL (--config sdxl)");
        print_keymap(stdout, c);
        return 0;
    }
    if (!strcmp(dtype_name, "f16")) dtype = DT_F16;
    else if (!strcmp(dtype_name, "f32")) dtype = DT_F32;
    else if (!strcmp(dtype_name, "bf16")) dtype = DT_BF16;
    else die("unknown --dtype %s (f16, f32, bf16)", dtype_name);
    if (!strcmp(init_name, "torch")) o.init = INIT_TORCH;
    else if (!strcmp(init_name, "fixture")) o.init = INIT_FIXTURE;
    else die("unknown --init %s (torch, fixture)", init_name);
    o.config_name = c->name;
    o.dtype_name = dtype_name;
    if (lora_only && !lora_out) die("%s is an option of --lora", lora_only);
    if (emb_only && !emb_out) die("%s is an option of --embedding", emb_only);
    if (taesd_out) {
        write_taesd(taesd_out, taesd_dec, dtype_given ? dtype : DT_F16, o.seed);
        return 0;
    }
    if (lora_out || emb_out) {
        if (lora_out && emb_out) die("--lora and --embedding: one at a time");
        if (out || diff_dir || vocab_out || vocab_json) die("--lora and --embedding write one file: no -o, --diffusers or --vocab-out with them");
        if (lora_out) {
            if (!lo.model) die("--lora needs --for MODEL.safetensors (the checkpoint whose layers it changes)");
            if ((lo.groups & LG_LCM) && !(lo.groups & LG_RES)) die("--lcm and --attn-only: choose one");
            if (lo.keys != KEYS_KOHYA && (lo.alpha >= 0.0 || lo.no_alpha)) die("--alpha: %s files have no alpha tensors", KEYS_NAME[lo.keys]);
            if (lo.keys != KEYS_KOHYA && lo.unet_names != UNAMES_DEFAULT) die("--unet-names: %s files name the UNet's layers as diffusers does", KEYS_NAME[lo.keys]);
            lo.out = lora_out;
            lo.dtype = dtype;
            lo.seed = o.seed;
            write_lora(&lo);
        } else {
            if (!emb_width) die("--embedding needs --width D (the text encoder's width: 768 for SD 1.x, 64 for the tiny models)");
            if (emb_1d && emb_vectors > 1) die("--1d writes one vector: --vectors %d does not fit", emb_vectors);
            write_embedding(emb_out, emb_key, emb_width, emb_1d ? 1 : emb_vectors < 0 ? 2 : emb_vectors, emb_1d,
                            dtype_given ? dtype : DT_F32, o.seed, emb_std);
        }
        return 0;
    }
    if (!out && !diff_dir && !vocab_out) die("nothing to do: give -o, --diffusers or --vocab-out\n%s", USAGE);

    if (vocab_out || vocab_json) {
        bpe *b = bpe_make(nmerges);
        if (vocab_out) write_merges(b, vocab_out);
        if (vocab_json) write_vocab_json(b, vocab_json);
        fprintf(stderr, "mkmodel: BPE vocabulary: %d merges from %d distinct words\n", b->nmerge, b->nword);
        bpe_free(b);
    }

    compute_schedule();
    if (out) {
        tensor **list;
        int n = 0;
        t0 = clock();
        build_model(&m, c, dtype, bufs, vae_only);
        list = (tensor **)xrealloc(NULL, (size_t)m.n * sizeof *list);
        for (i = 0; i < m.n; i++) {
            tensor *t = &m.t[i];
            t->out_name = t->name;
            if (vae_only && !keep_prefix) t->out_name += strlen("first_stage_model.");
            t->out_ndim = t->ndim;
            t->out_shape = t->shape;
            list[n++] = t;
        }
        write_safetensors(out, list, n, &o);
        if (!o.list) report(out, list, n, (double)(clock() - t0) / CLOCKS_PER_SEC);
        free(list);
        free(m.t);
    }
    if (diff_dir) {
        bpe *b = NULL;
        int comp;
        char sub[4096], path[4096];
        int last = c->family == FAM_SDXL ? COMP_TEXT2 : COMP_TEXT;
        if (c->family == FAM_SD2) die("--diffusers writes SD 1.x and SDXL folders only");
        t0 = clock();
        build_model(&m, c, dtype, BUF_NONE, vae_only);
        map_model(&m);
        if (!o.list) make_dir(diff_dir);
        for (comp = vae_only ? COMP_VAE : COMP_UNET; comp <= (vae_only ? COMP_VAE : last) && !o.list; comp++) {
            path_join(sub, sizeof sub, diff_dir, COMP_DIR[comp]);
            make_dir(sub);
        }
        if (!vae_only && !o.list) {
            path_join(sub, sizeof sub, diff_dir, "scheduler");
            make_dir(sub);
            path_join(sub, sizeof sub, diff_dir, "tokenizer");
            make_dir(sub);
            if (c->family == FAM_SDXL) {
                path_join(sub, sizeof sub, diff_dir, "tokenizer_2");
                make_dir(sub);
            }
            b = bpe_make(nmerges);
        }
        if (!o.list) write_diffusers_configs(diff_dir, c, dtype, b, vae_only);
        for (comp = COMP_UNET; comp <= last; comp++) {
            tensor **list;
            int n = 0;
            if (vae_only && comp != COMP_VAE) continue;
            list = (tensor **)xrealloc(NULL, (size_t)m.n * sizeof *list);
            for (i = 0; i < m.n; i++) {
                tensor *t = &m.t[i];
                if (t->comp != comp) continue;
                t->out_name = t->dname;
                t->out_ndim = t->dndim;
                t->out_shape = t->dshape;
                list[n++] = t;
            }
            path_join(sub, sizeof sub, diff_dir, COMP_DIR[comp]);
            path_join(path, sizeof path, sub, COMP_FILE[comp]);
            write_safetensors(path, list, n, &o);
            free(list);
        }
        {   /* what was written (an in_proj counted as its three parts) */
            tensor **list = (tensor **)xrealloc(NULL, (size_t)m.n * sizeof *list);
            int n = 0;
            for (i = 0; i < m.n; i++)
                if (m.t[i].comp != COMP_NONE) list[n++] = &m.t[i];
            if (!o.list) report(diff_dir, list, n, (double)(clock() - t0) / CLOCKS_PER_SEC);
            free(list);
        }
        if (b) bpe_free(b);
        free(m.t);
    }
    return 0;
}
