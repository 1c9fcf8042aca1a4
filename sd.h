/* sd.h - v0.1 - Stable Diffusion 1.x in one C header - public domain or MIT (see end of file)

   Text in, image out: the CLIP BPE tokenizer, the CLIP text encoder, the UNet with
   cross-attention, the DDIM / Euler / Euler-ancestral samplers and the VAE, in readable
   scalar C99 with an OpenMP path. Equal to diffusers for the same checkpoint and seed.

   QUICK START

     #define SD_IMPLEMENTATION
     #include "sd.h"

     sd_model *m = sd_create(NULL);
     if (sd_load(m, "v1-5-pruned-emaonly.safetensors") != SD_OK ||
         sd_load_vocab(m, "merges.txt") != SD_OK) { puts(sd_error(m)); ... }
     sd_params p = sd_params_default();
     p.prompt = "a lighthouse at dawn";
     unsigned char *rgb = malloc(512 * 512 * 3);
     if (sd_txt2img(m, &p, rgb) != SD_OK) puts(sd_error(m));
     sd_free(m);

   Do this in ONE C or C++ file; every other file includes "sd.h" without the define.

   WHAT IT LOADS
     Checkpoints: safetensors in the original single-file layout of SD 1.x
     (v1-5-pruned-emaonly.safetensors and its fine-tunes), dtypes F32, F16, BF16 (F64
     read too); every width, depth and channel count is read from the tensors.
     Vocabulary: the Hugging Face `tokenizer/merges.txt` that every SD model folder carries.
     SD 2.x, SDXL and other families are recognised and refused with a message.

   SAMPLERS
     DDIM (leading spacing, steps_offset 1, eta), Euler and Euler ancestral (linspace
     spacing), all with the SD 1.5 scheduler configuration, 1 to 1000 steps.

   CONFIGURATION MACROS (define before the implementation)
     SD_STATIC             all functions static (private to one translation unit)
     SD_MALLOC, SD_REALLOC, SD_FREE
                           the allocator (all three or none); sd_config also takes a
                           per-model allocator with a user pointer
     SD_ASSERT(x)          internal consistency checks (default: assert.h)
     SD_NO_STDIO           no file functions: load from memory only
     SD_NO_MMAP            read checkpoints with fread instead of mapping them
     SD_NO_OPENMP          ignore OpenMP even when compiling with -fopenmp
     SD_REFERENCE          default to the scalar reference kernels (slow, the specification)

   DETERMINISM
     The result of every call is the same bits for any thread count: threads split
     independent outputs only, each output is summed in one fixed order by one thread.
     Compile with -ffp-contract=off (no -ffast-math): fused multiply-adds appear only where
     the code writes fmaf(). The reference kernels and the fast kernels differ from each
     other by float rounding only (relative L2 ~1e-6); each is deterministic.

   THREADS AND STATE
     No global mutable state. A model is used by one thread at a time; two models in two
     threads are independent. Errors come back as an sd_result code and a message on the
     model (sd_error). The library never prints and never exits (see sd_config.log).

   MAP OF THIS FILE (the order data flows)
     utilities (errors, memory, fp16, torch's RNG, .npy) -> kernels (reference, then fast)
     -> loading (safetensors, shape inference) -> tokenizer -> text encoder -> UNet -> VAE
     -> samplers -> pipelines (txt2img, img2img)

   REVISION HISTORY
     0.1  first release: SD 1.x txt2img / img2img, DDIM, Euler, Euler a
*/

#ifndef SD_H_INCLUDED
#define SD_H_INCLUDED

#define SD_VERSION_MAJOR 0
#define SD_VERSION_MINOR 1
#define SD_VERSION_STRING "0.1"

#include <stddef.h>
#include <stdint.h>

#ifdef SD_STATIC
#define SDDEF static
#else
#define SDDEF extern
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- public types */

typedef enum sd_result {
    SD_OK = 0,
    SD_ERR_ARG,          /* a parameter out of range; the message gives the allowed range */
    SD_ERR_NOMEM,        /* allocation failed, or the work exceeds sd_config.memory_limit */
    SD_ERR_IO,           /* a file could not be opened, read or written */
    SD_ERR_FORMAT,       /* a file is not what it claims: safetensors, JSON, merges, .npy */
    SD_ERR_MODEL,        /* a tensor missing, a shape or dtype the model cannot use, other family */
    SD_ERR_STATE,        /* called before what it needs was loaded (weights, vocabulary) */
    SD_ERR_NUMERIC,      /* a stage produced NaN or Inf (bad weights) */
    SD_ERR_CANCELLED,    /* the progress callback asked to stop */
    SD_ERR_UNSUPPORTED   /* asked for something this build or machine cannot do */
} sd_result;

typedef enum sd_sampler {
    SD_SAMPLER_EULER_A = 0,  /* Euler ancestral (diffusers EulerAncestralDiscreteScheduler) */
    SD_SAMPLER_EULER,        /* Euler (EulerDiscreteScheduler) */
    SD_SAMPLER_DDIM          /* DDIM (DDIMScheduler), eta from sd_params.eta */
} sd_sampler;

typedef struct sd_model sd_model;   /* opaque: weights, vocabulary, scratch arena, last error */

typedef struct sd_config {
    int n_threads;            /* OpenMP threads; 0 = the OpenMP default */
    int reference;            /* 1 = scalar reference kernels (the specification; slow) */
    int low_memory;           /* 1 = weights released after each use, attention in slices,
                                 VAE in tiles: a fraction of the memory, a little slower */
    size_t memory_limit;      /* refuse work whose scratch would exceed this many bytes (0 = none) */
    int gpu;                  /* 0 = CPU; 1 = NVIDIA GPU, FP16 tensor cores; 2 = GPU in FP32 (reference
                                 runs). Needs a build with sd_cuda.cu (SD_CUDA); without a usable GPU
                                 the model runs on the CPU (sd_using_gpu, sd_error say so) */
    void *(*alloc)(void *user, size_t size);   /* allocator (NULL = SD_MALLOC) */
    void (*free)(void *user, void *ptr);       /* its free (NULL = SD_FREE) */
    void *alloc_user;
    void (*log)(void *user, const char *message);  /* warnings (NULL = silent) */
    void *log_user;
} sd_config;

typedef struct sd_info {               /* what sd_load found (sd_model_info) */
    int n_tensors, n_f32, n_f16, n_bf16, n_other;
    int64_t params_unet, params_vae, params_text;
    /* UNet */
    int unet_channels;                 /* model_channels (320 for SD 1.x) */
    int unet_levels;                   /* 4 */
    int unet_mult[8];                  /* channel multiplier per level (1,2,4,4) */
    int unet_attention[8];             /* 1 where the level has cross-attention */
    int unet_res_blocks;               /* res blocks per level (2) */
    int unet_depth;                    /* transformer blocks per attention (1) */
    int unet_heads;                    /* 8 */
    int context_dim;                   /* 768 */
    /* CLIP text encoder */
    int text_width, text_layers, text_heads, text_vocab, text_positions;
    /* VAE */
    int vae_channels, vae_levels, vae_mult[8], vae_res_blocks, latent_channels;
    int has_unet, has_vae, has_text;   /* which parts the file carried */
} sd_info;

typedef struct sd_progress {           /* what the progress callback sees */
    int step, total;                   /* steps done (1..total) and the run's total */
    int width, height;                 /* latent size [4, height, width] */
    const float *latent;               /* the current latent x_t, [4,h,w] */
    const float *denoised;             /* the model's current estimate of x_0, [4,h,w] */
} sd_progress;

typedef struct sd_params {
    const char *prompt;
    const char *negative_prompt;       /* NULL or "" = the empty prompt */
    int width, height;                 /* pixels: multiple of 8, 64..4096 */
    int steps;                         /* 1..1000 */
    float cfg_scale;                   /* classifier-free guidance; <= 1 runs the UNet on the prompt alone */
    sd_sampler sampler;
    uint64_t seed;                     /* torch.Generator().manual_seed(seed) */
    int clip_skip;                     /* 1 = last CLIP layer, 2 = the one before ("Clip skip 2") */
    float eta;                         /* DDIM only: 0 = deterministic */
    double strength;                   /* img2img only: 0..1, how much of the init image to redo */
    int (*progress)(void *user, const sd_progress *p);   /* non-zero return cancels */
    void *progress_user;
    float *latent_out;                 /* optional: the final latent [4, height/8, width/8] */
    float *image_out;                  /* optional: the decoded image [3, height, width], before clamping */
} sd_params;

/* The RNG of torch's CPU generator: Mersenne twister mt19937 plus torch's normal sampling. */
typedef struct sd_rng {
    uint32_t mt[624];
    int index;
    int has_normal;                    /* torch caches the second value of a scalar Box-Muller pair */
    double normal;
} sd_rng;

#define SD_MAX_STEPS 1000
typedef struct sd_schedule {           /* a sampler's timetable (sd_schedule_init) */
    sd_sampler sampler;
    int steps;
    float eta;
    float init_noise_sigma;            /* the scale of the starting noise */
    float timesteps[SD_MAX_STEPS];     /* the UNet's t at each step */
    float sigmas[SD_MAX_STEPS + 1];    /* Euler kinds: noise level at each step, then 0 */
    float alphas_cumprod[1000];        /* of the 1000 training steps (SD 1.5 config) */
} sd_schedule;

typedef struct sd_array {              /* an n-d float array, e.g. read from .npy */
    int ndim;
    int64_t shape[8];
    float *data;                       /* ndim == 0: one value */
    char dtype[8];                     /* what the file held, e.g. "<f4", "|u1" */
} sd_array;

/* ---------------------------------------------------------------- model lifetime */

SDDEF sd_config   sd_config_default(void);
SDDEF sd_model   *sd_create(const sd_config *config);          /* NULL config = defaults; NULL only when out of memory */
SDDEF int         sd_using_gpu(const sd_model *m);             /* 1 if on the GPU; 0: CPU (if a GPU was asked for,
                                                                 sd_error tells why not) */
SDDEF void        sd_free(sd_model *m);                        /* frees everything sd.h allocated */
SDDEF const char *sd_error(const sd_model *m);                 /* the message of the last failure ("" if none) */
SDDEF const char *sd_result_name(sd_result r);                 /* "SD_ERR_FORMAT", ... */

#ifndef SD_NO_STDIO
SDDEF sd_result   sd_load(sd_model *m, const char *path);       /* a .safetensors checkpoint or a diffusers folder */
SDDEF sd_result   sd_load_vocab(sd_model *m, const char *merges_path);
/* a separate VAE file (e.g. vae-ft-mse-840000-ema-pruned.safetensors) replacing the model's own */
SDDEF sd_result   sd_load_vae(sd_model *m, const char *path);
#endif
SDDEF sd_result   sd_load_memory(sd_model *m, const void *data, size_t size);  /* caller keeps data alive */
SDDEF sd_result   sd_load_vocab_memory(sd_model *m, const char *text, size_t size);
SDDEF sd_result   sd_model_info(const sd_model *m, sd_info *info);
/* the work of the last stage call (text encoder, UNet, VAE): 2 x the multiply-adds of its
   convolutions, matrix products and attention, and the scratch memory it used */
SDDEF double      sd_last_flops(const sd_model *m);
SDDEF size_t      sd_last_scratch(const sd_model *m);

/* ---------------------------------------------------------------- the easy calls */

SDDEF sd_params   sd_params_default(void);   /* 512x512, Euler a, 20 steps, cfg 7, clip skip 1 */

/* txt2img: writes height*width*3 bytes of RGB to `rgb` */
SDDEF sd_result   sd_txt2img(sd_model *m, const sd_params *p, unsigned char *rgb);

/* img2img: init is RGB of the same width*height; writes height*width*3 bytes to `rgb` */
SDDEF sd_result   sd_img2img(sd_model *m, const sd_params *p, const unsigned char *init, unsigned char *rgb);

/* ---------------------------------------------------------------- one call per stage */

#define SD_TOKENS 77
/* prompt -> BOS, at most 75 BPE ids, EOS, padded with EOS to 77 */
SDDEF sd_result sd_tokenize(sd_model *m, const char *prompt, int ids[SD_TOKENS]);
/* prompt -> all BPE ids, untruncated; *n gets the count (which may exceed cap) */
SDDEF sd_result sd_tokenize_bpe(sd_model *m, const char *prompt, int *ids, int cap, int *n);
/* ids[77] -> hidden states [77, text_width]; clip_skip 1 = last layer, 2 = the one before */
SDDEF sd_result sd_text_encode(sd_model *m, const int ids[SD_TOKENS], int clip_skip, float *out);
/* x [n,4,h,w], timestep t, context [n,77,context_dim] -> predicted noise [n,4,h,w] */
SDDEF sd_result sd_unet(sd_model *m, const float *x, int n, int h, int w, float t, const float *context, float *eps);
/* latent z [4,h,w] (raw: no 1/0.18215 inside) -> image [3,8h,8w] in about [-1,1] */
SDDEF sd_result sd_vae_decode(sd_model *m, const float *z, int h, int w, float *image);
/* image [3,H,W] in [-1,1] -> mean and logvar [4,H/8,W/8] of the latent distribution */
SDDEF sd_result sd_vae_encode(sd_model *m, const float *image, int H, int W, float *mean, float *logvar);

/* samplers: plain functions of the schedule, no model needed */
SDDEF sd_result sd_schedule_init(sd_schedule *s, sd_sampler sampler, int steps, float eta);
/* the UNet input at step i: x scaled by 1/sqrt(sigma^2+1) for Euler kinds, unchanged for DDIM */
SDDEF void      sd_scale_input(const sd_schedule *s, int i, const float *x, float *out, size_t n);
/* one step: x_t -> x_{t-1} in place, given the guided noise prediction eps; draws noise from
   rng for Euler a and for DDIM with eta > 0; denoised (optional) gets the estimate of x_0 */
SDDEF void      sd_step(const sd_schedule *s, int i, const float *eps, float *x, float *denoised, size_t n, sd_rng *rng);
/* img2img start: x0 noised to the level of step i */
SDDEF void      sd_add_noise(const sd_schedule *s, int i, const float *x0, const float *noise, float *out, size_t n);
/* img2img: the first step for a strength (diffusers' rule); -1 if no step would run */
SDDEF int       sd_first_step(int steps, double strength);

/* torch.Generator().manual_seed(seed); torch.randn(n, generator=...) */
SDDEF void      sd_rng_seed(sd_rng *r, uint64_t seed);
SDDEF void      sd_randn(sd_rng *r, float *out, size_t n);

/* .npy files (float32/float64/float16, int8..int64, uint8, bool; read as float32) */
SDDEF sd_result sd_npy_parse(sd_model *m, const void *data, size_t size, sd_array *a);
#ifndef SD_NO_STDIO
SDDEF sd_result sd_npy_read(sd_model *m, const char *path, sd_array *a);
SDDEF sd_result sd_npy_write(sd_model *m, const char *path, const float *data, int ndim, const int64_t *shape);
#endif
SDDEF void      sd_array_free(sd_model *m, sd_array *a);

#ifdef __cplusplus
}
#endif
#endif /* SD_H_INCLUDED */

/* ================================================================================ */
/*                                 IMPLEMENTATION                                   */
/* ================================================================================ */
#ifdef SD_IMPLEMENTATION
#ifndef SD_IMPLEMENTATION_DONE
#define SD_IMPLEMENTATION_DONE

/* ---------------------------------------------------------------- configuration */

#if defined(SD_MALLOC) && defined(SD_FREE) && defined(SD_REALLOC)
/* ok: all three given */
#elif !defined(SD_MALLOC) && !defined(SD_FREE) && !defined(SD_REALLOC)
/* ok: none given */
#else
#error "sd.h: define all of SD_MALLOC, SD_REALLOC, SD_FREE, or none of them"
#endif
#ifndef SD_MALLOC
#include <stdlib.h>
#define SD_MALLOC(sz) malloc(sz)
#define SD_REALLOC(p, sz) realloc(p, sz)
#define SD_FREE(p) free(p)
#endif
#ifndef SD_ASSERT
#include <assert.h>
#define SD_ASSERT(x) assert(x)
#endif

#include <math.h>
#include <string.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>      /* vsnprintf; the file functions are left out by SD_NO_STDIO */

#if defined(_OPENMP) && !defined(SD_NO_OPENMP)
#include <omp.h>
#define SD__OMP 1
#else
#define SD__OMP 0
#endif

#if !defined(SD_NO_MMAP) && !defined(SD_NO_STDIO) && (defined(__unix__) || defined(__APPLE__))
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#define SD__MMAP 1
#if defined(MADV_DONTNEED)
#define SD__DONTNEED MADV_DONTNEED
#elif defined(__linux__)
/* hidden by strict -std=c99 feature macros: declared here as glibc and musl do */
int madvise(void *addr, size_t length, int advice);
#define SD__DONTNEED 4
#endif
#else
#define SD__MMAP 0
#endif

#ifdef __cplusplus
#define SD__RESTRICT __restrict
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L
#define SD__RESTRICT restrict
#else
#define SD__RESTRICT
#endif

/* Same bits whatever the compiler: no contraction of a*b+c into fma behind our back. */
#if defined(__clang__) || (defined(__STDC_VERSION__) && !defined(__GNUC__))
#pragma STDC FP_CONTRACT OFF
#endif
/* Fast kernels fuse multiply-adds where the hardware has them (fmaf is correctly rounded
   everywhere, so the bits depend on the target, never on the thread count). */
#ifdef FP_FAST_FMAF
#define SD__FMA(a, b, c) fmaf(a, b, c)
#else
#define SD__FMA(a, b, c) ((a) * (b) + (c))
#endif

/* The GPU backend (sd_cuda.cu, built with -DSD_CUDA): device memory and one function per
   operation, with exactly the semantics of the reference kernels below. Pointers marked dev are
   device memory; weights are uploaded once (sd_cuda_weight) and kept as F16 (FP32 mode: F32). */
#ifdef SD_CUDA
#ifdef __cplusplus
extern "C" {
#endif
typedef struct sd_cuda sd_cuda;
sd_cuda *sd_cuda_create(int fp32, char *err, size_t errlen);
void sd_cuda_destroy(sd_cuda *g);
const char *sd_cuda_error(sd_cuda *g);           /* "" while fine; the first failure otherwise */
void *sd_cuda_malloc(sd_cuda *g, size_t bytes);  /* NULL on failure */
void sd_cuda_free(sd_cuda *g, void *dev);
void sd_cuda_upload(sd_cuda *g, void *dev, const void *host, size_t bytes);
void sd_cuda_download(sd_cuda *g, void *host, const void *dev, size_t bytes);
void *sd_cuda_weight(sd_cuda *g, const void *le_bytes, int dtype, size_t n);   /* dtype 0 F32, 1 F16, 2 BF16 */
void sd_cuda_conv2d(sd_cuda *g, float *out, const float *in, int n, int c, int h, int w, int up_h, int up_w, int co, int k,
                    int stride, int pad_t, int pad_l, int ho, int wo, const void *wt, const float *bias, const float *add,
                    const float *stats, int silu);
void sd_cuda_linear(sd_cuda *g, float *out, const float *in, int rows, int c, int co, const void *wt, const float *bias, const float *add);
void sd_cuda_gn_stats(sd_cuda *g, float *stats, const float *in, int n, int c, int hw, int groups, float eps, const float *gamma, const float *beta);
void sd_cuda_layernorm(sd_cuda *g, float *out, const float *in, int rows, int c, float eps, const float *gamma, const float *beta);
void sd_cuda_attention(sd_cuda *g, float *out, const float *q, const float *k, const float *v, int n, int heads, int tq, int tk, int d, int causal);
void sd_cuda_transpose(sd_cuda *g, float *out, const float *in, int n, int a, int b, const float *stats, const float *add);
void sd_cuda_geglu(sd_cuda *g, float *out, const float *in, int rows, int f);
void sd_cuda_act(sd_cuda *g, float *out, const float *in, size_t n, int kind);
void sd_cuda_add_chan(sd_cuda *g, float *x, const float *e, int n, int c, int hw);
void sd_cuda_concat(sd_cuda *g, float *out, const float *a, int ca, const float *b, int cb, int n, int hw);
#ifdef __cplusplus
}
#endif
#define SD__HAVE_GPU 1
#else
/* without sd_cuda.cu the GPU calls are never reached: empty stand-ins keep one code path */
typedef struct sd_cuda sd_cuda;
static void sd_cuda_destroy(sd_cuda *g) { (void)g; }
static const char *sd_cuda_error(sd_cuda *g) { (void)g; return ""; }
static void *sd_cuda_malloc(sd_cuda *g, size_t bytes) { (void)g; (void)bytes; return NULL; }
static void sd_cuda_free(sd_cuda *g, void *dev) { (void)g; (void)dev; }
static void sd_cuda_upload(sd_cuda *g, void *dev, const void *host, size_t bytes) { (void)g; (void)dev; (void)host; (void)bytes; }
static void sd_cuda_download(sd_cuda *g, void *host, const void *dev, size_t bytes) { (void)g; (void)dev; (void)host; (void)bytes; }
static void *sd_cuda_weight(sd_cuda *g, const void *b, int dtype, size_t n) { (void)g; (void)b; (void)dtype; (void)n; return NULL; }
static void sd_cuda_conv2d(sd_cuda *g, float *out, const float *in, int n, int c, int h, int w, int up_h, int up_w, int co, int k,
                           int stride, int pad_t, int pad_l, int ho, int wo, const void *wt, const float *bias, const float *add,
                           const float *stats, int silu)
{ (void)g; (void)out; (void)in; (void)n; (void)c; (void)h; (void)w; (void)up_h; (void)up_w; (void)co; (void)k; (void)stride;
  (void)pad_t; (void)pad_l; (void)ho; (void)wo; (void)wt; (void)bias; (void)add; (void)stats; (void)silu; }
static void sd_cuda_linear(sd_cuda *g, float *out, const float *in, int rows, int c, int co, const void *wt, const float *bias, const float *add)
{ (void)g; (void)out; (void)in; (void)rows; (void)c; (void)co; (void)wt; (void)bias; (void)add; }
static void sd_cuda_gn_stats(sd_cuda *g, float *stats, const float *in, int n, int c, int hw, int groups, float eps, const float *gamma, const float *beta)
{ (void)g; (void)stats; (void)in; (void)n; (void)c; (void)hw; (void)groups; (void)eps; (void)gamma; (void)beta; }
static void sd_cuda_layernorm(sd_cuda *g, float *out, const float *in, int rows, int c, float eps, const float *gamma, const float *beta)
{ (void)g; (void)out; (void)in; (void)rows; (void)c; (void)eps; (void)gamma; (void)beta; }
static void sd_cuda_attention(sd_cuda *g, float *out, const float *q, const float *k, const float *v, int n, int heads, int tq, int tk, int d, int causal)
{ (void)g; (void)out; (void)q; (void)k; (void)v; (void)n; (void)heads; (void)tq; (void)tk; (void)d; (void)causal; }
static void sd_cuda_transpose(sd_cuda *g, float *out, const float *in, int n, int a, int b, const float *stats, const float *add)
{ (void)g; (void)out; (void)in; (void)n; (void)a; (void)b; (void)stats; (void)add; }
static void sd_cuda_geglu(sd_cuda *g, float *out, const float *in, int rows, int f) { (void)g; (void)out; (void)in; (void)rows; (void)f; }
static void sd_cuda_act(sd_cuda *g, float *out, const float *in, size_t n, int kind) { (void)g; (void)out; (void)in; (void)n; (void)kind; }
static void sd_cuda_add_chan(sd_cuda *g, float *x, const float *e, int n, int c, int hw) { (void)g; (void)x; (void)e; (void)n; (void)c; (void)hw; }
static void sd_cuda_concat(sd_cuda *g, float *out, const float *a, int ca, const float *b, int cb, int n, int hw)
{ (void)g; (void)out; (void)a; (void)ca; (void)b; (void)cb; (void)n; (void)hw; }
#define SD__HAVE_GPU 0
#endif

#ifdef SD_REFERENCE
#define SD__REFERENCE_DEFAULT 1
#else
#define SD__REFERENCE_DEFAULT 0
#endif

/* ================================================================ utilities */

#define SD__ERRLEN 512
#define SD__MAXLEV 8        /* levels of the UNet / VAE */
#define SD__MAXBLK 40       /* input or output blocks of the UNet */

typedef struct sd__tensor sd__tensor;
typedef struct sd__vocab sd__vocab;

/* The weights of one layer: a tensor in the checkpoint's own dtype plus its bias as floats. */
typedef struct sd__lin {
    const sd__tensor *w;   /* [Co, C] or [Co, C, k, k] */
    const float *b;        /* [Co] or NULL */
} sd__lin;

typedef struct sd__norm {  /* GroupNorm / LayerNorm affine parameters */
    const float *w, *b;    /* [C] */
} sd__norm;

typedef struct sd__res {   /* ResBlock (UNet: in_layers/emb_layers/out_layers) = ResnetBlock (VAE) */
    int c_in, c_out;
    sd__norm norm1;        /* in_layers.0 | norm1          [C] */
    sd__lin conv1;         /* in_layers.2 | conv1          [Co,C,3,3] */
    sd__lin emb;           /* emb_layers.1                 [Co,E]   (UNet only) */
    sd__norm norm2;        /* out_layers.0 | norm2         [Co] */
    sd__lin conv2;         /* out_layers.3 | conv2         [Co,Co,3,3] */
    sd__lin skip;          /* skip_connection | nin_shortcut [Co,C,1,1], w NULL when C == Co */
} sd__res;

typedef struct sd__attn {  /* CrossAttention: to_q [D,D], to_k/to_v [D,Dc] (no bias), to_out.0 [D,D] */
    sd__lin q, k, v, out;
} sd__attn;

typedef struct sd__tblock {  /* BasicTransformerBlock */
    sd__norm norm1, norm2, norm3;   /* LayerNorm [D] */
    sd__attn attn1, attn2;          /* self-attention, cross-attention on the text */
    sd__lin ff1;                    /* ff.net.0.proj [8D, D]: GEGLU value and gate */
    sd__lin ff2;                    /* ff.net.2 [D, 4D] */
} sd__tblock;

typedef struct sd__xformer { /* SpatialTransformer */
    int c, depth;
    sd__norm norm;           /* norm: GroupNorm(32, eps 1e-6) [C] */
    sd__lin proj_in;         /* proj_in [C,C,1,1] */
    sd__tblock *blocks;      /* transformer_blocks.N */
    sd__lin proj_out;        /* proj_out [C,C,1,1] */
} sd__xformer;

typedef struct sd__ublock {  /* one TimestepEmbedSequential of input_blocks / output_blocks */
    int level;               /* resolution level: size is the latent's / 2^level */
    int has_res, has_attn;
    int down, up;            /* ends with a stride-2 conv / a nearest x2 upsample + conv */
    sd__res res;
    sd__xformer attn;
    sd__lin conv;            /* input_blocks.N.0.op | output_blocks.N.{1,2}.conv [C,C,3,3] */
} sd__ublock;

typedef struct sd__unet {    /* openaimodel.UNetModel of SD 1.x */
    int ch, levels, mult[SD__MAXLEV], attn[SD__MAXLEV], nres, depth, heads, ctx_dim, emb_dim;
    sd__lin time1, time2;    /* time_embed.0 [4ch,ch], time_embed.2 [4ch,4ch] */
    sd__lin conv_in;         /* input_blocks.0.0 [ch,4,3,3] */
    int n_in, n_out;
    sd__ublock in[SD__MAXBLK];    /* input_blocks.1.. */
    sd__res mid1, mid2;      /* middle_block.0, middle_block.2 */
    sd__xformer mid_attn;    /* middle_block.1 */
    sd__ublock out[SD__MAXBLK];   /* output_blocks.0.. */
    sd__norm norm_out;       /* out.0 [ch] */
    sd__lin conv_out;        /* out.2 [4,ch,3,3] */
} sd__unet;

typedef struct sd__clip_layer {  /* CLIPEncoderLayer (pre-LN) */
    sd__norm ln1, ln2;       /* layer_norm1, layer_norm2 [D] */
    sd__lin q, k, v, o;      /* self_attn.{q,k,v,out}_proj [D,D] */
    sd__lin fc1, fc2;        /* mlp.fc1 [4D,D], mlp.fc2 [D,4D] */
} sd__clip_layer;

typedef struct sd__clip {        /* CLIPTextModel */
    int width, layers, heads, vocab, positions, mlp;
    const sd__tensor *tok_emb;   /* embeddings.token_embedding.weight [V,D] */
    const sd__tensor *pos_emb;   /* embeddings.position_embedding.weight [77,D] */
    sd__clip_layer *layer;       /* encoder.layers.N */
    sd__norm ln_final;           /* final_layer_norm [D] */
} sd__clip;

typedef struct sd__vattn {       /* AttnBlock of the VAE: single head over all pixels */
    sd__norm norm;
    sd__lin q, k, v, proj;       /* 1x1 convs [C,C,1,1] */
} sd__vattn;

typedef struct sd__vae {         /* AutoencoderKL (ldm Encoder / Decoder) */
    int ch, levels, mult[SD__MAXLEV], nres, z;
    /* encoder */
    sd__lin enc_conv_in;                       /* encoder.conv_in [ch,3,3,3] */
    sd__res enc_res[SD__MAXLEV][4];            /* encoder.down.L.block.B */
    sd__lin enc_down[SD__MAXLEV];              /* encoder.down.L.downsample.conv */
    sd__res enc_mid1, enc_mid2;  sd__vattn enc_attn;
    sd__norm enc_norm_out;  sd__lin enc_conv_out;  /* [2z, C, 3, 3] */
    sd__lin quant;                             /* quant_conv [2z,2z,1,1] */
    /* decoder */
    sd__lin post_quant;                        /* post_quant_conv [z,z,1,1] */
    sd__lin dec_conv_in;                       /* decoder.conv_in [C,z,3,3] */
    sd__res dec_mid1, dec_mid2;  sd__vattn dec_attn;
    sd__res dec_res[SD__MAXLEV][5];            /* decoder.up.L.block.B */
    sd__lin dec_up[SD__MAXLEV];                /* decoder.up.L.upsample.conv */
    sd__norm dec_norm_out;  sd__lin dec_conv_out;  /* [3, ch, 3, 3] */
} sd__vae;

#define SD__MAXSRC 4

typedef struct sd__source {       /* one safetensors file */
    const unsigned char *bytes;   /* the whole file (mapped, read, or the caller's); NULL when streaming */
    size_t size;                  /* the file's size */
    int mapped;
    unsigned char *file;          /* our copy, when read */
#ifndef SD_NO_STDIO
    FILE *fp;                     /* streaming: open while the model lives */
#endif
    uint64_t data_at;             /* where the data section starts */
    char *header;                 /* a copy of the JSON header: tensor names point into it */
} sd__source;

struct sd__tensor {
    char *name;                   /* the LDM single-file name (renamed from other layouts) */
    int src, owned_name;          /* which file; whether name was allocated by the renaming */
    int dtype;                    /* SD__F32 ... */
    int ndim;
    int64_t shape[8];
    int64_t numel;
    uint64_t begin, end;          /* byte offsets in the data section */
    const unsigned char *data;    /* little-endian bytes, any alignment */
    float *f32;                   /* 1-D parameters, converted once at load */
    void *dev;                    /* the GPU's copy, made when first used there */
};

struct sd_model {
    sd_config cfg;
    int n_threads;
    int reference;
    char err[SD__ERRLEN];
    /* the checkpoint: one or more safetensors files (a diffusers folder, a separate VAE) */
    sd__source src[SD__MAXSRC];
    int nsrc;
    size_t page;                  /* the page size, for releasing mapped weights */
    unsigned char *wbuf;          /* streaming: room for the largest tensor */
    int io_failed;                /* streaming: a read failed during a forward pass */
    sd__tensor *t;                /* the tensor table, sorted by (LDM) name */
    int nt;
    float *params;                /* all 1-D parameters as floats */
    size_t n_params;
    sd_cuda *gpu;                 /* the GPU backend, or NULL for the CPU */
    float *params_dev;            /* the GPU's copy of params */
    int has_unet, has_vae, has_text;
    sd__unet unet;
    sd__vae vae;
    sd__clip clip;
    sd__vocab *vocab;
    /* scratch: one arena, sized by a planning pass before each stage runs */
    unsigned char *arena;
    size_t arena_size, arena_top, arena_peak;
    int planning;
    double flops;                 /* 2 x multiply-adds of the last stage, counted while planning */
};

static void *sd__malloc(sd_model *m, size_t n)
{
    if (n == 0) n = 1;
    return m->cfg.alloc ? m->cfg.alloc(m->cfg.alloc_user, n) : SD_MALLOC(n);
}

static void sd__free(sd_model *m, void *p)
{
    if (!p) return;
    if (m->cfg.free) m->cfg.free(m->cfg.alloc_user, p); else SD_FREE(p);
}

/* Records the failure in m->err and returns the code. */
static sd_result sd__fail(sd_model *m, sd_result code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
    return code;
}

static void sd__warn(sd_model *m, const char *fmt, ...)
{
    char msg[SD__ERRLEN];
    va_list ap;
    if (!m->cfg.log) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    m->cfg.log(m->cfg.log_user, msg);
}

static void *sd__calloc(sd_model *m, size_t count, size_t size)
{
    void *p;
    if (size && count > SIZE_MAX / size) return NULL;
    p = sd__malloc(m, count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

/* a*b*c... with overflow detection: returns 0 on overflow */
static int sd__mul_ok(size_t a, size_t b, size_t *out)
{
    if (a && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

/* ---------------------------------------------------------------- the arena
   Every stage first runs in planning mode: the same code, with every kernel skipped and
   sd__push only counting, so the peak is known. The arena is then sized once and the stage
   runs again for real without a single allocation. Model code never does arithmetic on
   activation pointers (they are NULL while planning); kernels do. */

static float *sd__push(sd_model *m, size_t nfloat)
{
    size_t bytes = (nfloat * sizeof(float) + 63) & ~(size_t)63;
    size_t at = m->arena_top;
    m->arena_top += bytes;
    if (m->arena_top > m->arena_peak) m->arena_peak = m->arena_top;
    if (m->planning) return NULL;
    SD_ASSERT(m->arena_top <= m->arena_size);
    return (float *)(void *)(m->arena + at);
}

static void sd__pop(sd_model *m, const float *p)
{
    /* pops p and everything pushed after it; p must come from sd__push */
    if (m->planning) return;
    SD_ASSERT(p && (const unsigned char *)p >= m->arena && (const unsigned char *)p < m->arena + m->arena_size);
    m->arena_top = (size_t)((const unsigned char *)p - m->arena);
}

/* Marks for the planning pass, where pointers are NULL: pop back to a saved top. */
static size_t sd__mark(sd_model *m) { return m->arena_top; }
static void sd__release(sd_model *m, size_t mark) { m->arena_top = mark; }

/* Sizes the arena for the peak counted by the planning pass. */
static sd_result sd__arena_reserve(sd_model *m, size_t bytes)
{
    if (m->cfg.memory_limit && bytes > m->cfg.memory_limit)
        return sd__fail(m, SD_ERR_NOMEM, "this needs %.1f MB of scratch memory, over the limit of %.1f MB",
                        bytes / 1048576.0, m->cfg.memory_limit / 1048576.0);
    if (bytes <= m->arena_size) return SD_OK;
    if (m->gpu) sd_cuda_free(m->gpu, m->arena); else sd__free(m, m->arena);
    m->arena_size = 0;
    m->arena = (unsigned char *)(m->gpu ? sd_cuda_malloc(m->gpu, bytes + 64) : sd__malloc(m, bytes + 64));
    if (!m->arena) return sd__fail(m, SD_ERR_NOMEM, "out of %s memory: %.1f MB of scratch", m->gpu ? "GPU" : "", bytes / 1048576.0);
    m->arena_size = bytes;
    return SD_OK;
}

/* ---------------------------------------------------------------- bytes and floats
   File bytes are little-endian whatever the host; they are decoded byte by byte (the
   compiler turns this into plain loads where the host allows), never memcpy'd into floats. */

static uint16_t sd__u16le(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t sd__u32le(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t sd__u64le(const unsigned char *p) { return (uint64_t)sd__u32le(p) | ((uint64_t)sd__u32le(p + 4) << 32); }
static float sd__bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t sd__f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static void sd__put_u32le(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

/* IEEE half -> float, exact for every input (normals, subnormals, inf, nan), branch-light
   so loops over it vectorize: rescale the half's exponent by multiplying with 2^-112, and
   build subnormals as (magic + mantissa) - magic. */
static float sd__f16_f32(uint16_t h)
{
    uint32_t w = (uint32_t)h << 16;
    uint32_t sign = w & 0x80000000u;
    uint32_t two_w = w + w;
    float normal = sd__bits_f32((two_w >> 4) + (0xE0u << 23)) * sd__bits_f32(0x7800000u); /* 2^-112 */
    float denormal = sd__bits_f32((two_w >> 17) | (126u << 23)) - 0.5f;
    uint32_t bits = two_w < (1u << 27) ? sd__f32_bits(denormal) : sd__f32_bits(normal);
    return sd__bits_f32(sign | bits);
}

static float sd__bf16_f32(uint16_t h) { return sd__bits_f32((uint32_t)h << 16); }

enum { SD__F32, SD__F16, SD__BF16, SD__F64, SD__I64, SD__I32, SD__I16, SD__I8, SD__U8, SD__BOOL,
       SD__U16, SD__U32, SD__U64, SD__F8E4M3, SD__F8E5M2, SD__NDTYPE };
static const char *const sd__dtype_name[SD__NDTYPE] = {
    "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2" };
static const int sd__dtype_size[SD__NDTYPE] = { 4, 2, 2, 8, 8, 4, 2, 1, 1, 1, 2, 4, 8, 1, 1 };
static int sd__is_float(int dt) { return dt == SD__F32 || dt == SD__F16 || dt == SD__BF16 || dt == SD__F64; }

/* n elements of a float tensor from element `at` on, decoded to float32 */
static void sd__decode(float *SD__RESTRICT out, const unsigned char *SD__RESTRICT p, int dtype, size_t at, size_t n)
{
    size_t i;
    switch (dtype) {
    case SD__F32: p += 4 * at; for (i = 0; i < n; i++) out[i] = sd__bits_f32(sd__u32le(p + 4 * i)); break;
    case SD__F16: p += 2 * at; for (i = 0; i < n; i++) out[i] = sd__f16_f32(sd__u16le(p + 2 * i)); break;
    case SD__BF16: p += 2 * at; for (i = 0; i < n; i++) out[i] = sd__bf16_f32(sd__u16le(p + 2 * i)); break;
    case SD__F64:
        p += 8 * at;
        for (i = 0; i < n; i++) { uint64_t u = sd__u64le(p + 8 * i); double d; memcpy(&d, &u, 8); out[i] = (float)d; }
        break;
    default: for (i = 0; i < n; i++) out[i] = 0.0f; SD_ASSERT(0);
    }
}

/* one element of a weight tensor (the reference kernels read weights this way) */
static float sd__wget(const sd__tensor *t, size_t i)
{
    float f;
    sd__decode(&f, t->data, t->dtype, i, 1);
    return f;
}

/* ---------------------------------------------------------------- weights in memory
   A tensor's bytes are in the mapped or loaded file, or (streaming: no mmap and low memory)
   read into the weight buffer when used, one tensor at a time. */

/* the bytes of t, or NULL when the read fails */
static const unsigned char *sd__acquire(sd_model *m, const sd__tensor *t)
{
    const sd__source *s;
    if (!t) return NULL;
    s = &m->src[t->src];
    if (s->bytes || t->data) return t->data;
#ifndef SD_NO_STDIO
    if (s->fp && m->wbuf) {
        size_t n = (size_t)(t->end - t->begin);
        if (fseek(s->fp, (long)(s->data_at + t->begin), SEEK_SET) == 0 && fread(m->wbuf, 1, n, s->fp) == n) {
            ((sd__tensor *)(size_t)t)->data = m->wbuf;   /* the table is the model's own */
            return t->data;
        }
    }
#endif
    m->io_failed = 1;
    return NULL;
}

static void sd__unacquire(sd_model *m, const sd__tensor *t)
{
    if (t && !m->src[t->src].bytes) ((sd__tensor *)(size_t)t)->data = NULL;
}

/* n elements of a tensor from element `at` on, as floats, without holding the whole tensor */
static sd_result sd__read_row(sd_model *m, const sd__tensor *t, size_t at, size_t n, float *out)
{
#ifndef SD_NO_STDIO
    const sd__source *s = &m->src[t->src];
    size_t es = (size_t)sd__dtype_size[t->dtype];
    unsigned char buf[4096];
    size_t done = 0;
    if (!s->bytes && s->fp) {
        while (done < n) {
            size_t k = n - done < sizeof buf / es ? n - done : sizeof buf / es;
            if (fseek(s->fp, (long)(s->data_at + t->begin + (at + done) * es), SEEK_SET) != 0 || fread(buf, es, k, s->fp) != k)
                return sd__fail(m, SD_ERR_IO, "cannot read tensor '%s' from the file", t->name);
            sd__decode(out + done, buf, t->dtype, 0, k);
            done += k;
        }
        return SD_OK;
    }
#endif
    if (!t->data) return sd__fail(m, SD_ERR_IO, "tensor '%s' is not in memory", t->name);
    sd__decode(out, t->data, t->dtype, at, n);
    return SD_OK;
}

/* Weights are used once per forward pass. From a mapped checkpoint, their pages are handed
   back right after use (madvise DONTNEED: they leave the resident set but stay in the page
   cache, so the next pass maps them again at the cost of minor page faults): the UNet's 1.6 GB
   of F16 weights never need to be resident at once. */
static void sd__weights_done(sd_model *m, const sd__tensor *t)
{
#if SD__MMAP && defined(SD__DONTNEED)
    if (t && m->src[t->src].mapped && m->page) {
        uintptr_t a = (uintptr_t)t->data, e = a + (uintptr_t)(t->end - t->begin);
        a = (a + m->page - 1) / m->page * m->page;
        e = e / m->page * m->page;
        if (e > a) madvise((void *)a, (size_t)(e - a), SD__DONTNEED);
    }
#else
    (void)m; (void)t;
#endif
}

/* ---------------------------------------------------------------- torch's CPU generator
   mt19937 seeded with the low 32 bits of the seed (torch's rule), 24-bit uniform floats,
   Box-Muller in blocks of 16 for float tensors of 16 elements or more, and the scalar
   double-precision path (with its cached second value) for smaller ones. */

SDDEF void sd_rng_seed(sd_rng *r, uint64_t seed)
{
    int i;
    r->mt[0] = (uint32_t)(seed & 0xffffffffu);
    for (i = 1; i < 624; i++)
        r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
    r->index = 624;
    r->has_normal = 0;
    r->normal = 0.0;
}

static uint32_t sd__mt_next(sd_rng *r)
{
    uint32_t y;
    if (r->index >= 624) {
        int i;
        for (i = 0; i < 624; i++) {
            y = (r->mt[i] & 0x80000000u) | (r->mt[(i + 1) % 624] & 0x7fffffffu);
            r->mt[i] = r->mt[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
        }
        r->index = 0;
    }
    y = r->mt[r->index++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

static float sd__uniform_f(sd_rng *r) { return (float)(sd__mt_next(r) & 0xffffffu) * (1.0f / 16777216.0f); }

static double sd__uniform_d(sd_rng *r)
{
    uint64_t hi = sd__mt_next(r), lo = sd__mt_next(r);
    uint64_t v = (hi << 32) | lo;
    return (double)(v & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

/* torch's normal_fill_16: data[0..7] are u1 candidates, data[8..15] u2 */
static void sd__normal16(float *d)
{
    int j;
    const double two_pi = 6.283185307179586;
    for (j = 0; j < 8; j++) {
        double u1 = 1.0 - (double)d[j], u2 = d[j + 8];
        double radius = sqrt(-2.0 * log(u1)), theta = two_pi * u2;
        d[j] = (float)(radius * cos(theta));
        d[j + 8] = (float)(radius * sin(theta));
    }
}

/* out = randn(n) * scale, or out += randn(n) * scale when add is set. Streams in blocks of
   16 (each block of normals depends only on its own 16 uniforms), so no buffer of n is needed;
   the tail rule of torch (the last 16 values redrawn after the rest) is kept exactly. */
static void sd__randn_into(sd_rng *r, float *out, size_t n, float scale, int add)
{
    float d[16];
    size_t i, k, full = n / 16 * 16, keep = n % 16 ? n - 16 : n;   /* the tail overwrites from n-16 on */
    if (n < 16) {
        for (i = 0; i < n; i++) {
            float z;
            if (r->has_normal) {
                r->has_normal = 0;
                z = (float)r->normal;
            } else {
                double u1 = sd__uniform_d(r), u2 = sd__uniform_d(r);
                double radius = sqrt(-2.0 * log(1.0 - u2)), theta = 6.283185307179586 * u1;
                r->normal = radius * sin(theta);
                r->has_normal = 1;
                z = (float)(radius * cos(theta));
            }
            out[i] = add ? out[i] + z * scale : z * scale;
        }
        return;
    }
    for (i = 0; i < full; i += 16) {
        for (k = 0; k < 16; k++) d[k] = sd__uniform_f(r);
        sd__normal16(d);
        for (k = 0; k < 16 && i + k < keep; k++) out[i + k] = add ? out[i + k] + d[k] * scale : d[k] * scale;
    }
    if (n % 16) {
        for (k = full; k < n; k++) (void)sd__uniform_f(r);      /* drawn by torch, then overwritten */
        for (k = 0; k < 16; k++) d[k] = sd__uniform_f(r);
        sd__normal16(d);
        for (k = 0; k < 16; k++) out[n - 16 + k] = add ? out[n - 16 + k] + d[k] * scale : d[k] * scale;
    }
}

SDDEF void sd_randn(sd_rng *r, float *out, size_t n) { sd__randn_into(r, out, n, 1.0f, 0); }

/* ---------------------------------------------------------------- .npy
   numpy's format 1.0-3.0: magic, version, header length, a Python dict literal
   {'descr': '<f4', 'fortran_order': False, 'shape': (1, 4, 64, 64), } padded, then the data. */

static const char *sd__skipws(const char *s, const char *e) { while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) s++; return s; }

/* finds 'key': in a numpy header dict and returns a pointer to its value */
static const char *sd__npy_field(const char *h, const char *e, const char *key)
{
    size_t kl = strlen(key);
    const char *s;
    for (s = h; s + kl + 2 < e; s++)
        if ((*s == '\'' || *s == '"') && s[kl + 1] == *s && memcmp(s + 1, key, kl) == 0) {
            s = sd__skipws(s + kl + 2, e);
            if (s < e && *s == ':') return sd__skipws(s + 1, e);
            return NULL;
        }
    return NULL;
}

SDDEF sd_result sd_npy_parse(sd_model *m, const void *data, size_t size, sd_array *a)
{
    const unsigned char *b = (const unsigned char *)data;
    const char *h, *e, *v;
    size_t hlen, off, count = 1, esize, i;
    int major, big = 0, kind;
    memset(a, 0, sizeof *a);
    if (size < 10 || memcmp(b, "\x93NUMPY", 6) != 0) return sd__fail(m, SD_ERR_FORMAT, "not a .npy file (no \\x93NUMPY magic)");
    major = b[6];
    if (major == 1) { hlen = sd__u16le(b + 8); off = 10; }
    else if (major == 2 || major == 3) {
        if (size < 12) return sd__fail(m, SD_ERR_FORMAT, ".npy: truncated header");
        hlen = sd__u32le(b + 8); off = 12;
    } else return sd__fail(m, SD_ERR_FORMAT, ".npy: unknown format version %d", major);
    if (hlen > size - off) return sd__fail(m, SD_ERR_FORMAT, ".npy: header length %lu beyond the file (%lu bytes)", (unsigned long)hlen, (unsigned long)size);
    h = (const char *)b + off; e = h + hlen;
    /* dtype */
    v = sd__npy_field(h, e, "descr");
    if (!v || v >= e || (*v != '\'' && *v != '"')) return sd__fail(m, SD_ERR_FORMAT, ".npy: no 'descr' in the header");
    {
        char q = *v++;
        size_t n = 0;
        while (v + n < e && v[n] != q && n < sizeof a->dtype - 1) n++;
        if (v + n >= e || v[n] != q) return sd__fail(m, SD_ERR_FORMAT, ".npy: bad 'descr'");
        memcpy(a->dtype, v, n); a->dtype[n] = 0;
    }
    if (strlen(a->dtype) < 3 || (a->dtype[0] != '<' && a->dtype[0] != '>' && a->dtype[0] != '|' && a->dtype[0] != '='))
        return sd__fail(m, SD_ERR_FORMAT, ".npy: unsupported dtype '%s'", a->dtype);
    big = a->dtype[0] == '>';
    kind = a->dtype[1];
    esize = (size_t)atoi(a->dtype + 2);
    if (!((kind == 'f' && (esize == 2 || esize == 4 || esize == 8)) ||
          ((kind == 'i' || kind == 'u') && (esize == 1 || esize == 2 || esize == 4 || esize == 8)) ||
          (kind == 'b' && esize == 1)))
        return sd__fail(m, SD_ERR_FORMAT, ".npy: unsupported dtype '%s' (float16/32/64, int8..64, uint8..64, bool)", a->dtype);
    v = sd__npy_field(h, e, "fortran_order");
    if (!v) return sd__fail(m, SD_ERR_FORMAT, ".npy: no 'fortran_order' in the header");
    if (e - v >= 4 && memcmp(v, "True", 4) == 0) return sd__fail(m, SD_ERR_FORMAT, ".npy: Fortran order is not supported; save with np.ascontiguousarray");
    /* shape */
    v = sd__npy_field(h, e, "shape");
    if (!v || v >= e || *v != '(') return sd__fail(m, SD_ERR_FORMAT, ".npy: no 'shape' in the header");
    v++;
    for (;;) {
        uint64_t d = 0;
        v = sd__skipws(v, e);
        if (v < e && *v == ')') break;
        if (v >= e || *v < '0' || *v > '9') return sd__fail(m, SD_ERR_FORMAT, ".npy: bad 'shape'");
        while (v < e && *v >= '0' && *v <= '9') {
            d = d * 10 + (uint64_t)(*v++ - '0');
            if (d > ((uint64_t)1 << 40)) return sd__fail(m, SD_ERR_FORMAT, ".npy: dimension too large");
        }
        if (a->ndim == 8) return sd__fail(m, SD_ERR_FORMAT, ".npy: more than 8 dimensions");
        a->shape[a->ndim++] = (int64_t)d;
        if (!sd__mul_ok(count, (size_t)d, &count)) return sd__fail(m, SD_ERR_FORMAT, ".npy: shape overflows");
        v = sd__skipws(v, e);
        if (v < e && *v == ',') v++;
        else if (v < e && *v == ')') break;
        else return sd__fail(m, SD_ERR_FORMAT, ".npy: bad 'shape'");
    }
    {
        size_t need;
        if (!sd__mul_ok(count, esize, &need) || need > size - off - hlen)
            return sd__fail(m, SD_ERR_FORMAT, ".npy: data truncated (%lu elements of %lu bytes expected)", (unsigned long)count, (unsigned long)esize);
    }
    a->data = (float *)sd__calloc(m, count ? count : 1, sizeof(float));
    if (!a->data) return sd__fail(m, SD_ERR_NOMEM, "out of memory reading .npy (%lu elements)", (unsigned long)count);
    b += off + hlen;
    for (i = 0; i < count; i++) {
        unsigned char le[8];
        const unsigned char *p = b + i * esize;
        size_t k;
        for (k = 0; k < esize; k++) le[k] = big ? p[esize - 1 - k] : p[k];
        if (kind == 'f') {
            if (esize == 2) a->data[i] = sd__f16_f32(sd__u16le(le));
            else if (esize == 4) a->data[i] = sd__bits_f32(sd__u32le(le));
            else { uint64_t u = sd__u64le(le); double d; memcpy(&d, &u, 8); a->data[i] = (float)d; }
        } else {
            uint64_t u = 0;
            for (k = 0; k < esize; k++) u |= (uint64_t)le[k] << (8 * k);
            if (kind == 'i' && esize < 8 && (u >> (8 * esize - 1)) & 1) u |= ~(uint64_t)0 << (8 * esize);
            a->data[i] = kind == 'i' ? (float)(int64_t)u : (float)u;
        }
    }
    return SD_OK;
}

SDDEF void sd_array_free(sd_model *m, sd_array *a)
{
    sd__free(m, a->data);
    a->data = NULL;
}

#ifndef SD_NO_STDIO
/* reads a whole file into memory allocated with the model's allocator */
static sd_result sd__read_file(sd_model *m, const char *path, unsigned char **out, size_t *size)
{
    FILE *f = fopen(path, "rb");
    long n;
    unsigned char *buf;
    *out = NULL; *size = 0;
    if (!f) return sd__fail(m, SD_ERR_IO, "cannot open '%s'", path);
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return sd__fail(m, SD_ERR_IO, "cannot read '%s' (not a regular file?)", path);
    }
    buf = (unsigned char *)sd__malloc(m, (size_t)n + 1);
    if (!buf) { fclose(f); return sd__fail(m, SD_ERR_NOMEM, "out of memory reading '%s' (%ld bytes)", path, n); }
    if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f); sd__free(m, buf);
        return sd__fail(m, SD_ERR_IO, "cannot read '%s'", path);
    }
    fclose(f);
    buf[n] = 0;
    *out = buf; *size = (size_t)n;
    return SD_OK;
}

SDDEF sd_result sd_npy_read(sd_model *m, const char *path, sd_array *a)
{
    unsigned char *buf;
    size_t n;
    sd_result r = sd__read_file(m, path, &buf, &n);
    memset(a, 0, sizeof *a);
    if (r != SD_OK) return r;
    r = sd_npy_parse(m, buf, n, a);
    sd__free(m, buf);
    if (r != SD_OK) {
        char msg[SD__ERRLEN];
        memcpy(msg, m->err, sizeof msg);
        return sd__fail(m, r, "%s: %s", path, msg);
    }
    return SD_OK;
}

SDDEF sd_result sd_npy_write(sd_model *m, const char *path, const float *data, int ndim, const int64_t *shape)
{
    char hdr[256];
    int len = 0, i;
    size_t count = 1, k;
    FILE *f;
    unsigned char buf[4096];
    if (ndim < 0 || ndim > 8) return sd__fail(m, SD_ERR_ARG, "npy: %d dimensions (0..8 allowed)", ndim);
    len = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    for (i = 0; i < ndim; i++) {
        len += snprintf(hdr + len, sizeof hdr - (size_t)len, "%lld%s", (long long)shape[i], ndim == 1 ? "," : (i + 1 < ndim ? ", " : ""));
        count *= (size_t)shape[i];
    }
    len += snprintf(hdr + len, sizeof hdr - (size_t)len, "), }");
    while ((10 + len + 1) % 64) hdr[len++] = ' ';
    hdr[len++] = '\n';
    f = fopen(path, "wb");
    if (!f) return sd__fail(m, SD_ERR_IO, "cannot write '%s'", path);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(len & 0xff, f); fputc((len >> 8) & 0xff, f);
    fwrite(hdr, 1, (size_t)len, f);
    for (k = 0; k < count; ) {
        size_t j, n = count - k > sizeof buf / 4 ? sizeof buf / 4 : count - k;
        for (j = 0; j < n; j++) sd__put_u32le(buf + 4 * j, sd__f32_bits(data[k + j]));
        fwrite(buf, 4, n, f);
        k += n;
    }
    if (fclose(f) != 0) return sd__fail(m, SD_ERR_IO, "cannot write '%s' (disk full?)", path);
    return SD_OK;
}
#endif

/* ================================================================ kernels
   Shapes: N batch, C channels, H W height and width, T tokens, D width of a token.
   Activations are float32 in PyTorch's order (NCHW; tokens [N,T,D]); weights stay in the
   checkpoint's dtype and are decoded where they are read.

   Every operation has one readable scalar version, the reference (the specification,
   selected by sd_config.reference or SD_REFERENCE), and a fast version beside it (blocked,
   threaded, tested against the reference). The model code calls the sd__op_* functions at the
   end of this section; they skip all work in the arena's planning pass. */

typedef struct sd__conv {      /* the geometry of one convolution */
    int n, c, h, w;            /* input [N,C,H,W] */
    int up_h, up_w;            /* >0: the input is first upsampled (nearest) to this size */
    int co, k, stride;         /* output channels, kernel size (1 or 3), stride (1 or 2) */
    int pad_t, pad_l;          /* zero padding on top and left (bottom and right follow from ho, wo) */
    int ho, wo;                /* output size */
} sd__conv;

/* torch's nearest rule: source index of output index i when n_in grows to n_out */
static int sd__nearest(int i, int n_in, int n_out)
{
    float scale;
    int s;
    if (n_out == n_in) return i;
    if (n_out == 2 * n_in) return i >> 1;
    scale = (float)n_in / (float)n_out;
    s = (int)floorf((float)i * scale);
    return s < n_in - 1 ? s : n_in - 1;
}

static float sd__silu(float x) { return x / (1.0f + expf(-x)); }

/* ---------------------------------------------------------------- reference kernels */

/* GroupNorm statistics as a per-channel affine map (torch's native_group_norm):
   for channel c of group g, scale = gamma[c] / sqrt(var_g + eps), shift = beta[c] - mean_g * scale.
   in [N,C,HW] -> stats [N,C,2] */
static void sd__gn_stats_ref(float *stats, const float *in, int n, int c, int hw, int groups, float eps, const sd__norm *nm)
{
    int b, g, cg = c / groups;
    for (b = 0; b < n; b++)
        for (g = 0; g < groups; g++) {
            const float *x = in + ((size_t)b * c + (size_t)g * cg) * hw;
            size_t i, cnt = (size_t)cg * hw;
            double sum = 0, sq = 0, mean, var;
            float rstd;
            int k;
            for (i = 0; i < cnt; i++) sum += x[i];
            mean = sum / (double)cnt;
            for (i = 0; i < cnt; i++) sq += ((double)x[i] - mean) * ((double)x[i] - mean);
            var = sq / (double)cnt;
            rstd = (float)(1.0 / sqrt(var + eps));
            for (k = 0; k < cg; k++) {
                int ch = g * cg + k;
                float scale = rstd * nm->w[ch];
                stats[((size_t)b * c + ch) * 2] = scale;
                stats[((size_t)b * c + ch) * 2 + 1] = nm->b[ch] - (float)mean * scale;
            }
        }
}

/* the input of a convolution at (b, ch, y, x) of its (maybe upsampled) input, after the optional
   GroupNorm map and SiLU; 0 outside (zero padding) */
static float sd__conv_in(const float *in, const sd__conv *g, const float *stats, int silu, int b, int ch, int y, int x)
{
    int H = g->up_h ? g->up_h : g->h, W = g->up_w ? g->up_w : g->w;
    float v;
    if (y < 0 || x < 0 || y >= H || x >= W) return 0.0f;
    if (g->up_h) { y = sd__nearest(y, g->h, g->up_h); x = sd__nearest(x, g->w, g->up_w); }
    v = in[(((size_t)b * g->c + ch) * g->h + y) * g->w + x];
    if (stats) v = v * stats[((size_t)b * g->c + ch) * 2] + stats[((size_t)b * g->c + ch) * 2 + 1];
    return silu ? sd__silu(v) : v;
}

/* torch.nn.functional.conv2d (with the optional GroupNorm+SiLU on its input and nearest upsampling
   before it): out[b,o,y,x] = bias[o] + sum_{c,i,j} w[o,c,i,j] in'[b,c,y*s+i-pt,x*s+j-pl] (+ add[b,o,y,x]) */
static void sd__conv2d_ref(sd_model *m, float *out, const float *in, const sd__conv *g, const sd__lin *l,
                           const float *add, const float *stats, int silu)
{
    int b, o;
    (void)m;
    for (b = 0; b < g->n; b++)
        for (o = 0; o < g->co; o++) {
            int y, x;
            for (y = 0; y < g->ho; y++)
                for (x = 0; x < g->wo; x++) {
                    size_t at = (((size_t)b * g->co + o) * g->ho + y) * g->wo + x;
                    float acc = 0.0f;
                    int ch, i, j;
                    for (ch = 0; ch < g->c; ch++)
                        for (i = 0; i < g->k; i++)
                            for (j = 0; j < g->k; j++)
                                acc += sd__wget(l->w, (((size_t)o * g->c + ch) * g->k + i) * g->k + j) *
                                       sd__conv_in(in, g, stats, silu, b, ch, y * g->stride + i - g->pad_t, x * g->stride + j - g->pad_l);
                    if (l->b) acc += l->b[o];
                    out[at] = add ? acc + add[at] : acc;
                }
        }
}

/* torch.nn.functional.linear: out[r,o] = bias[o] + sum_c in[r,c] w[o,c] (+ add[r,o]).
   in [R,C] -> out [R,Co]; w is [Co,C] (or [Co,C,1,1]) */
static void sd__linear_ref(sd_model *m, float *out, const float *in, int rows, int c, const sd__lin *l, const float *add)
{
    int r, o, co = (int)l->w->shape[0];
    (void)m;
    for (r = 0; r < rows; r++)
        for (o = 0; o < co; o++) {
            float acc = 0.0f;
            int k;
            for (k = 0; k < c; k++) acc += in[(size_t)r * c + k] * sd__wget(l->w, (size_t)o * c + k);
            if (l->b) acc += l->b[o];
            out[(size_t)r * co + o] = add ? acc + add[(size_t)r * co + o] : acc;
        }
}

/* torch.nn.functional.layer_norm over the last dimension: [R,C] -> [R,C] */
static void sd__layernorm_ref(float *out, const float *in, int rows, int c, float eps, const sd__norm *nm)
{
    int r, k;
    for (r = 0; r < rows; r++) {
        const float *x = in + (size_t)r * c;
        float *y = out + (size_t)r * c;
        double sum = 0, sq = 0, mean;
        float rstd, fmean;
        for (k = 0; k < c; k++) sum += x[k];
        mean = sum / c;
        for (k = 0; k < c; k++) sq += ((double)x[k] - mean) * ((double)x[k] - mean);
        rstd = (float)(1.0 / sqrt(sq / c + eps));
        fmean = (float)mean;
        for (k = 0; k < c; k++) y[k] = (x[k] - fmean) * rstd * nm->w[k] + nm->b[k];
    }
}

/* scaled dot-product attention, per batch b and head h:
   out[b,i,h] = sum_j softmax_j(q[b,i,h] . k[b,j,h] / sqrt(d)) v[b,j,h], j <= i when causal.
   q [N,Tq,H*d], k and v [N,Tk,H*d], out [N,Tq,H*d]; ws holds Tk floats */
static void sd__attention_ref(float *out, const float *q, const float *k, const float *v, int n, int heads,
                              int tq, int tk, int d, int causal, float *ws)
{
    int b, h, i, j, e;
    size_t ld = (size_t)heads * d;
    float scale = 1.0f / sqrtf((float)d);
    for (b = 0; b < n; b++)
        for (h = 0; h < heads; h++)
            for (i = 0; i < tq; i++) {
                const float *qi = q + ((size_t)b * tq + i) * ld + (size_t)h * d;
                float *oi = out + ((size_t)b * tq + i) * ld + (size_t)h * d;
                int nk = causal ? i + 1 : tk;
                float mx = -INFINITY, sum = 0.0f;
                for (j = 0; j < nk; j++) {
                    const float *kj = k + ((size_t)b * tk + j) * ld + (size_t)h * d;
                    float dot = 0.0f;
                    for (e = 0; e < d; e++) dot += qi[e] * kj[e];
                    ws[j] = dot * scale;
                    if (ws[j] > mx) mx = ws[j];
                }
                for (j = 0; j < nk; j++) { ws[j] = expf(ws[j] - mx); sum += ws[j]; }
                for (e = 0; e < d; e++) {
                    float acc = 0.0f;
                    for (j = 0; j < nk; j++) acc += ws[j] * v[((size_t)b * tk + j) * ld + (size_t)h * d + e];
                    oi[e] = acc / sum;
                }
            }
}

/* [N,C,HW] -> [N,HW,C], with the GroupNorm map applied when stats is given */
static void sd__tokens_ref(float *out, const float *in, int n, int c, int hw, const float *stats)
{
    int b, ch, p;
    for (b = 0; b < n; b++)
        for (ch = 0; ch < c; ch++)
            for (p = 0; p < hw; p++) {
                float v = in[((size_t)b * c + ch) * hw + p];
                if (stats) v = v * stats[((size_t)b * c + ch) * 2] + stats[((size_t)b * c + ch) * 2 + 1];
                out[((size_t)b * hw + p) * c + ch] = v;
            }
}

/* [N,HW,C] -> [N,C,HW] (+ add [N,C,HW]) */
static void sd__untokens_ref(float *out, const float *in, int n, int c, int hw, const float *add)
{
    int b, ch, p;
    for (b = 0; b < n; b++)
        for (ch = 0; ch < c; ch++)
            for (p = 0; p < hw; p++) {
                size_t at = ((size_t)b * c + ch) * hw + p;
                float v = in[((size_t)b * hw + p) * c + ch];
                out[at] = add ? v + add[at] : v;
            }
}

/* GEGLU (diffusers GEGLU): in [R, 2F] = (value, gate) -> out [R, F] = value * gelu(gate), exact gelu */
static void sd__geglu_ref(float *out, const float *in, int rows, int f)
{
    int r, k;
    for (r = 0; r < rows; r++)
        for (k = 0; k < f; k++) {
            double g = in[(size_t)r * 2 * f + f + k];
            float gelu = (float)(0.5 * g * (1.0 + erf(g * 0.7071067811865476)));
            out[(size_t)r * f + k] = in[(size_t)r * 2 * f + k] * gelu;
        }
}

/* elementwise: 0 silu, 1 quick_gelu x*sigmoid(1.702x) */
static void sd__act_ref(float *out, const float *in, size_t n, int kind)
{
    size_t i;
    for (i = 0; i < n; i++) out[i] = kind == 0 ? sd__silu(in[i]) : in[i] / (1.0f + expf(-1.702f * in[i]));
}

/* x[b,c,:] += e[b,c] (the time embedding into a ResBlock) */
static void sd__add_chan_ref(float *x, const float *e, int n, int c, int hw)
{
    int b, ch, p;
    for (b = 0; b < n; b++)
        for (ch = 0; ch < c; ch++)
            for (p = 0; p < hw; p++) x[((size_t)b * c + ch) * hw + p] += e[(size_t)b * c + ch];
}

/* torch.cat([a, b], dim=1): a [N,Ca,HW], b [N,Cb,HW] -> out [N,Ca+Cb,HW] */
static void sd__concat_ref(float *out, const float *a, int ca, const float *b, int cb, int n, int hw)
{
    int i;
    for (i = 0; i < n; i++) {
        memcpy(out + (size_t)i * (ca + cb) * hw, a + (size_t)i * ca * hw, (size_t)ca * hw * sizeof(float));
        memcpy(out + ((size_t)i * (ca + cb) + ca) * hw, b + (size_t)i * cb * hw, (size_t)cb * hw * sizeof(float));
    }
}

/* ---------------------------------------------------------------- fast kernels
   One matrix product serves every heavy operation: C[M,N] = A[M,K] B[K,N] (+ bias, + add),
   cache-blocked, with packed panels and a 6x64 register tile that the compiler vectorizes
   (plain C: fixed-size loops over a local accumulator). Convolutions are implicit GEMMs: the
   packer reads the input image directly (padding, stride, nearest upsampling and the fused
   GroupNorm+SiLU included), so no im2col buffer exists. Threads take whole (rows, columns)
   tiles and each output is summed over K in one fixed order: the bits do not depend on the
   thread count. */

#define SD__MR 6
#define SD__NR 64
#define SD__KC 256
#define SD__NC 256
#define SD__MC 96

#if SD__OMP
#define SD__TID() omp_get_thread_num()
#define SD__PARALLEL_FOR _Pragma("omp parallel for num_threads(sd__nt) schedule(dynamic, 1)")
#else
#define SD__TID() 0
#define SD__PARALLEL_FOR (void)sd__nt;
#endif

/* e^x, vectorizable, within 2 ulp: 2^n * e^f with n = round(x / ln 2), |f| <= ln2/2, degree-7 Taylor */
static inline float sd__expf(float x)
{
    float r, f, p;
    int32_t n;
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    r = (x * 1.44269504f + 12582912.0f) - 12582912.0f;       /* round to nearest */
    f = SD__FMA(r, -0.693145752f, x);                        /* x - r ln2, in two parts */
    f = SD__FMA(r, -1.42860677e-6f, f);
    p = 1.98412698e-4f;
    p = SD__FMA(p, f, 1.38888889e-3f);
    p = SD__FMA(p, f, 8.33333333e-3f);
    p = SD__FMA(p, f, 4.16666667e-2f);
    p = SD__FMA(p, f, 1.66666667e-1f);
    p = SD__FMA(p, f, 0.5f);
    p = SD__FMA(p, f, 1.0f);
    p = SD__FMA(p, f, 1.0f);
    n = (int32_t)r;
    return sd__bits_f32(sd__f32_bits(p) + ((uint32_t)n << 23));
}

static inline float sd__silu_fast(float x) { return x / (1.0f + sd__expf(-x)); }

/* The register tile: c[6][64] (row stride ldc) = (first ? 0 : c) + a x b over kc, where the A panel
   holds 6 rows of kc values (a[i*kc + p]) and the B panel kc rows of 64 (b[p*64 + j]). */
static void sd__kernel(int kc, const float *SD__RESTRICT a, const float *SD__RESTRICT b, float *SD__RESTRICT c, int ldc, int first)
{
    float acc[SD__MR][SD__NR];
    int i, j, p;
    for (i = 0; i < SD__MR; i++)
        for (j = 0; j < SD__NR; j++) acc[i][j] = first ? 0.0f : c[(size_t)i * ldc + j];
    for (p = 0; p < kc; p++) {
        const float *bp = b + (size_t)p * SD__NR;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 6
#endif
        for (i = 0; i < SD__MR; i++) {
            float ai = a[(size_t)i * kc + p];
            for (j = 0; j < SD__NR; j++) acc[i][j] = SD__FMA(ai, bp[j], acc[i][j]);
        }
    }
    for (i = 0; i < SD__MR; i++)
        for (j = 0; j < SD__NR; j++) c[(size_t)i * ldc + j] = acc[i][j];
}

/* What a product reads and writes. A is M x K: a weight tensor (row-major [M,K], any dtype)
   or floats at a[i*a_rs + k*a_cs]. B is K x N: floats at b[k*b_rs + n*b_cs], a weight tensor
   read transposed (B[k][n] = W[n][k]), or the implicit im2col of a convolution's input.
   C is row-major with row stride ldc; bias_m is per row, bias_n per column, add like C. */
typedef struct sd__mm {
    int M, N, K;
    const sd__tensor *aw; const float *af; ptrdiff_t a_rs, a_cs;
    const sd__tensor *bw; const float *bf; ptrdiff_t b_rs, b_cs;
    const sd__conv *conv; const float *img; const float *stats; int silu;  /* implicit im2col of one image */
    const int *ymap, *xmap;                                                 /* nearest upsampling tables */
    float *c; ptrdiff_t ldc;
    const float *bias_m, *bias_n, *add;
} sd__mm;

/* per-thread workspace of one product, in floats: A and B panels, the C tile, scratch */
#define SD__MT 960   /* at most this many rows of C per task */
#define SD__MM_WS (SD__MC * SD__KC + SD__KC * SD__NC + SD__MT * SD__NC + 2 * SD__NC + SD__KC + 64)

static void sd__pack_a(float *SD__RESTRICT dst, const sd__mm *g, int m0, int mc, int k0, int kc)
{
    int ip, i, p;
    for (ip = 0; ip < mc; ip += SD__MR)
        for (i = 0; i < SD__MR; i++) {
            int r = m0 + ip + i;
            float *d = dst + (size_t)ip * kc + (size_t)i * kc;
            if (r >= g->M) memset(d, 0, sizeof(float) * (size_t)kc);
            else if (g->aw) sd__decode(d, g->aw->data, g->aw->dtype, (size_t)r * g->K + k0, (size_t)kc);
            else {
                const float *s = g->af + (ptrdiff_t)r * g->a_rs + (ptrdiff_t)k0 * g->a_cs;
                for (p = 0; p < kc; p++) d[p] = s[(ptrdiff_t)p * g->a_cs];
            }
        }
}

/* B panels for columns n0..n0+nc of rows k0..k0+kc; oy/ox: scratch for pixel coordinates */
/* one run of output pixels of the same output row: the input row it reads for (channel, kernel
   row), GroupNorm+SiLU applied, upsampling and zero padding resolved, into rb */
static void sd__conv_row(float *SD__RESTRICT rb, const sd__mm *g, int ch, int y, int x0, int len)
{
    const sd__conv *cv = g->conv;
    int H = cv->up_h ? cv->up_h : cv->h, W = cv->up_w ? cv->up_w : cv->w, t, t0, t1;
    const float *src;
    float scale = g->stats ? g->stats[2 * ch] : 1.0f, shift = g->stats ? g->stats[2 * ch + 1] : 0.0f;
    if (y < 0 || y >= H) { memset(rb, 0, sizeof(float) * (size_t)len); return; }
    if (g->ymap) y = g->ymap[y];
    src = g->img + ((size_t)ch * cv->h + y) * cv->w;
    t0 = x0 < 0 ? -x0 : 0;                       /* [t0, t1) lies inside the row */
    t1 = W - x0 < len ? W - x0 : len;
    if (t1 < t0) t1 = t0;
    for (t = 0; t < t0; t++) rb[t] = 0.0f;
    for (t = t1; t < len; t++) rb[t] = 0.0f;
    if (g->xmap) for (t = t0; t < t1; t++) rb[t] = src[g->xmap[x0 + t]];
    else memcpy(rb + t0, src + x0 + t0, sizeof(float) * (size_t)(t1 - t0));
    if (g->silu) for (t = t0; t < t1; t++) rb[t] = sd__silu_fast(rb[t] * scale + shift);
    else if (g->stats) for (t = t0; t < t1; t++) rb[t] = rb[t] * scale + shift;
}

/* B panels for columns n0..n0+nc of rows k0..k0+kc */
static void sd__pack_b(float *SD__RESTRICT dst, const sd__mm *g, int n0, int nc, int k0, int kc, float *row, int *oy, int *ox)
{
    int jp, j, p;
    (void)oy; (void)ox;
    if (g->conv) {
        /* the implicit im2col: row k = (channel, kernel row di, kernel column dj), column n = output
           pixel. A panel's 64 pixels fall into runs along output rows; for each run and each
           (channel, di) the input row is transformed once into `row`, then read at stride s for
           every dj. */
        const sd__conv *cv = g->conv;
        int kk = cv->k * cv->k, s = cv->stride;
        for (jp = 0; jp < nc; jp += SD__NR) {
            float *panel = dst + (size_t)jp * kc;
            int j0 = 0, nvalid = nc - jp < SD__NR ? nc - jp : SD__NR;
            if (nvalid < SD__NR)
                for (p = 0; p < kc; p++) memset(panel + (size_t)p * SD__NR + nvalid, 0, sizeof(float) * (size_t)(SD__NR - nvalid));
            while (j0 < nvalid) {
                int n = n0 + jp + j0, y = n / cv->wo, x = n % cv->wo, len = cv->wo - x, cached = -1;
                if (len > nvalid - j0) len = nvalid - j0;
                for (p = 0; p < kc; p++) {
                    int k = k0 + p, ch = k / kk, di = (k % kk) / cv->k, dj = k % cv->k, key = ch * cv->k + di;
                    float *SD__RESTRICT d = panel + (size_t)p * SD__NR + j0;
                    const float *SD__RESTRICT r = row + dj;
                    if (key != cached) {
                        sd__conv_row(row, g, ch, y * s + di - cv->pad_t, x * s - cv->pad_l, (len - 1) * s + cv->k);
                        cached = key;
                    }
                    if (s == 1) memcpy(d, r, sizeof(float) * (size_t)len);
                    else for (j = 0; j < len; j++) d[j] = r[j * s];
                }
                j0 += len;
            }
        }
        return;
    }
    for (jp = 0; jp < nc; jp += SD__NR) {
        float *panel = dst + (size_t)jp * kc;
        for (j = 0; j < SD__NR; j++) {
            int n = n0 + jp + j;
            if (n >= g->N || jp + j >= nc) { for (p = 0; p < kc; p++) panel[(size_t)p * SD__NR + j] = 0.0f; continue; }
            if (g->bw) {
                sd__decode(row, g->bw->data, g->bw->dtype, (size_t)n * g->K + k0, (size_t)kc);
                for (p = 0; p < kc; p++) panel[(size_t)p * SD__NR + j] = row[p];
            } else {
                const float *s = g->bf + (ptrdiff_t)k0 * g->b_rs + (ptrdiff_t)n * g->b_cs;
                for (p = 0; p < kc; p++) panel[(size_t)p * SD__NR + j] = s[(ptrdiff_t)p * g->b_rs];
            }
        }
    }
}

/* rows m0..m0+mc x columns n0..n0+nc of C, the whole K, by one thread: the sums build up in a
   private tile (so C may alias add), then tile + bias + add goes to C */
static void sd__mm_tile(const sd__mm *g, int m0, int mc, int n0, int nc, float *ws)
{
    float *pa = ws, *pb = pa + SD__MC * SD__KC, *ct = pb + SD__KC * SD__NC, *row = ct + SD__MT * SD__NC;
    int *oy = (int *)(void *)(row + SD__KC), *ox = oy + SD__NC;
    int k0, m1, i, j;
    if (g->K == 0) memset(ct, 0, sizeof(float) * SD__MT * SD__NC);
    for (k0 = 0; k0 < g->K; k0 += SD__KC) {
        int kc = g->K - k0 < SD__KC ? g->K - k0 : SD__KC, first = k0 == 0;
        sd__pack_b(pb, g, n0, nc, k0, kc, row, oy, ox);
        for (m1 = m0; m1 < m0 + mc; m1 += SD__MC) {
            int mcc = m0 + mc - m1 < SD__MC ? m0 + mc - m1 : SD__MC, ip, jp;
            sd__pack_a(pa, g, m1, mcc, k0, kc);
            for (jp = 0; jp < nc; jp += SD__NR)
                for (ip = 0; ip < mcc; ip += SD__MR)
                    sd__kernel(kc, pa + (size_t)ip * kc, pb + (size_t)jp * kc, ct + (size_t)(m1 - m0 + ip) * SD__NC + jp, SD__NC, first);
        }
    }
    /* epilogue, in the reference's order: sum, + bias, + add */
    for (i = 0; i < mc; i++) {
        float *c = g->c + (ptrdiff_t)(m0 + i) * g->ldc + n0;
        const float *t = ct + (size_t)i * SD__NC, *ad = g->add ? g->add + (ptrdiff_t)(m0 + i) * g->ldc + n0 : NULL;
        float bm = g->bias_m ? g->bias_m[m0 + i] : 0.0f;
        for (j = 0; j < nc; j++) {
            float v = t[j];
            if (g->bias_m) v += bm;
            if (g->bias_n) v += g->bias_n[n0 + j];
            if (ad) v += ad[j];
            c[j] = v;
        }
    }
}

/* the tiles of one product: columns in blocks of NC, rows in chunks of at most MT, split further
   when there are few tiles so that every thread has work */
static void sd__mm_tiles(int M, int N, int nthreads, int *mc, int *ntm, int *ntn)
{
    int tn = (N + SD__NC - 1) / SD__NC, tm = (M + SD__MT - 1) / SD__MT, m;
    while (tn * tm < 4 * nthreads && (M + tm * 2 - 1) / (tm * 2) >= 2 * SD__MR) tm *= 2;
    m = (M + tm - 1) / tm;
    m = (m + SD__MR - 1) / SD__MR * SD__MR;
    if (m > SD__MT) m = SD__MT;
    *mc = m;
    *ntm = (M + m - 1) / m;
    *ntn = tn;
}

static void sd__mm_run(sd_model *m, const sd__mm *g, float *ws)
{
    int mc, tm, tn, t, sd__nt = m->n_threads;
    sd__mm_tiles(g->M, g->N, sd__nt, &mc, &tm, &tn);
    SD__PARALLEL_FOR
    for (t = 0; t < tm * tn; t++) {
        int i = t / tn, j = t % tn;
        int m0 = i * mc, n0 = j * SD__NC;
        sd__mm_tile(g, m0, g->M - m0 < mc ? g->M - m0 : mc, n0, g->N - n0 < SD__NC ? g->N - n0 : SD__NC,
                    ws + (size_t)SD__TID() * SD__MM_WS);
    }
}

/* conv2d as implicit GEMM, one image at a time: C[Co, HoWo] = W[Co, C*k*k] x im2col */
static void sd__conv2d_fast(sd_model *m, float *out, const float *in, const sd__conv *cv, const sd__lin *l,
                            const float *add, const float *stats, int silu, float *ws)
{
    int b, i;
    int *ymap = NULL, *xmap = NULL;
    sd__mm g;
    memset(&g, 0, sizeof g);
    if (cv->up_h) {   /* nearest-upsampling tables live after the threads' workspaces */
        ymap = (int *)(void *)(ws + (size_t)m->n_threads * SD__MM_WS);
        xmap = ymap + cv->up_h;
        for (i = 0; i < cv->up_h; i++) ymap[i] = sd__nearest(i, cv->h, cv->up_h);
        for (i = 0; i < cv->up_w; i++) xmap[i] = sd__nearest(i, cv->w, cv->up_w);
    }
    g.M = cv->co; g.N = cv->ho * cv->wo; g.K = cv->c * cv->k * cv->k;
    g.aw = l->w;
    g.conv = cv; g.silu = silu; g.ymap = ymap; g.xmap = xmap;
    g.ldc = g.N;
    g.bias_m = l->b;
    for (b = 0; b < cv->n; b++) {
        g.img = in + (size_t)b * cv->c * cv->h * cv->w;
        g.stats = stats ? stats + (size_t)b * cv->c * 2 : NULL;
        g.c = out + (size_t)b * cv->co * g.N;
        g.add = add ? add + (size_t)b * cv->co * g.N : NULL;
        sd__mm_run(m, &g, ws);
    }
}

/* linear: C[R, Co] = in[R, C] x W^T */
static void sd__linear_fast(sd_model *m, float *out, const float *in, int rows, int c, const sd__lin *l, const float *add, float *ws)
{
    sd__mm g;
    memset(&g, 0, sizeof g);
    g.M = rows; g.N = (int)l->w->shape[0]; g.K = c;
    g.af = in; g.a_rs = c; g.a_cs = 1;
    g.bw = l->w;
    g.c = out; g.ldc = g.N;
    g.bias_n = l->b; g.add = add;
    sd__mm_run(m, &g, ws);
}

/* attention (no mask) in tiles with an online softmax (FlashAttention's recurrence), computed transposed so
   that every softmax step runs along contiguous queries: for a block of QB queries, keys come in
   blocks of KB; S^T = K Q^T (one product), the running max and sum of each query are updated,
   O^T is rescaled and O^T += V^T P^T (a second product). Only KB x QB scores exist at a time,
   per thread. */
#define SD__QB 128
#define SD__KB 240

static size_t sd__attn_ws(int d)
{
    size_t d6 = (size_t)(d + SD__MR - 1) / SD__MR * SD__MR;
    return (size_t)d * SD__QB           /* Q^T panels */
         + (size_t)SD__KB * d           /* K panels */
         + (size_t)SD__KB * SD__QB      /* S^T, then P^T */
         + d6 * SD__KB                  /* V^T panels */
         + d6 * SD__QB                  /* O^T */
         + 4 * SD__QB + 64;             /* running max and sum, block max and correction */
}

static void sd__attn_block(const float *q, const float *k, const float *v, float *out, size_t ld, int d,
                           int q0, int nq, int tk, float *ws)
{
    int d6 = (d + SD__MR - 1) / SD__MR * SD__MR, i, j, e, ip, jp, k0;
    float *pq = ws, *pk = pq + (size_t)d * SD__QB, *st = pk + (size_t)SD__KB * d, *pv = st + (size_t)SD__KB * SD__QB;
    float *o = pv + (size_t)d6 * SD__KB, *mx = o + (size_t)d6 * SD__QB, *sum = mx + SD__QB, *bm = sum + SD__QB, *corr = bm + SD__QB;
    float scale = 1.0f / sqrtf((float)d);
    int nk = tk;
    /* Q^T as B panels [d x QB] */
    for (jp = 0; jp < SD__QB; jp += SD__NR)
        for (j = 0; j < SD__NR; j++) {
            const float *qi = q + (size_t)(q0 + jp + j) * ld;
            float *dst = pq + (size_t)jp * d + j;
            if (jp + j < nq) for (e = 0; e < d; e++) dst[(size_t)e * SD__NR] = qi[e];
            else for (e = 0; e < d; e++) dst[(size_t)e * SD__NR] = 0.0f;
        }
    for (i = 0; i < SD__QB; i++) { mx[i] = -INFINITY; sum[i] = 0.0f; }
    memset(o, 0, sizeof(float) * (size_t)d6 * SD__QB);
    for (k0 = 0; k0 < nk; k0 += SD__KB) {
        int kb = nk - k0 < SD__KB ? nk - k0 : SD__KB, kb6 = (kb + SD__MR - 1) / SD__MR * SD__MR;
        /* K block as A panels (rows of d); S^T = K Q^T */
        for (i = 0; i < kb6; i++) {
            float *dst = pk + (size_t)i * d;
            if (i < kb) memcpy(dst, k + (size_t)(k0 + i) * ld, sizeof(float) * (size_t)d);
            else memset(dst, 0, sizeof(float) * (size_t)d);
        }
        /* S^T is kept as B panels for the second product: panel jp holds queries jp.., [kb6 x NR] */
        for (ip = 0; ip < kb6; ip += SD__MR)
            for (jp = 0; jp < SD__QB; jp += SD__NR)
                sd__kernel(d, pk + (size_t)ip * d, pq + (size_t)jp * d, st + (size_t)jp * kb6 + (size_t)ip * SD__NR, SD__NR, 1);
        /* online softmax, vectorized along the queries */
        for (i = 0; i < SD__QB; i++) bm[i] = mx[i];
        for (jp = 0; jp < SD__QB; jp += SD__NR)
            for (j = 0; j < kb; j++) {
                float *SD__RESTRICT sj = st + (size_t)jp * kb6 + (size_t)j * SD__NR, *SD__RESTRICT bmp = bm + jp;
                for (i = 0; i < SD__NR; i++) {
                    float x = sj[i] * scale;
                    sj[i] = x;
                    bmp[i] = x > bmp[i] ? x : bmp[i];
                }
            }
        for (i = 0; i < SD__QB; i++) {
            corr[i] = mx[i] == -INFINITY ? 0.0f : sd__expf(mx[i] - bm[i]);
            mx[i] = bm[i];
            sum[i] = sum[i] * corr[i];
        }
        for (jp = 0; jp < SD__QB; jp += SD__NR)
            for (j = 0; j < kb6; j++) {
                float *SD__RESTRICT sj = st + (size_t)jp * kb6 + (size_t)j * SD__NR, *SD__RESTRICT sump = sum + jp;
                const float *SD__RESTRICT mxp = mx + jp;
                for (i = 0; i < SD__NR; i++) {   /* branch-free so that it vectorizes */
                    float keep = (float)((j < kb) & (jp + i < nq));
                    float p = sd__expf(sj[i] - mxp[i]) * keep;
                    sj[i] = p;
                    sump[i] += p;
                }
            }
        for (e = 0; e < d; e++) for (i = 0; i < SD__QB; i++) o[(size_t)e * SD__QB + i] *= corr[i];
        /* V^T as A panels (rows of kb); O^T += V^T P^T (P^T is already in B panels) */
        for (e = 0; e < d6; e++) {
            float *dst = pv + (size_t)e * kb6;
            for (j = 0; j < kb6; j++) dst[j] = j < kb && e < d ? v[(size_t)(k0 + j) * ld + e] : 0.0f;
        }
        for (ip = 0; ip < d6; ip += SD__MR)
            for (jp = 0; jp < SD__QB; jp += SD__NR)
                sd__kernel(kb6, pv + (size_t)ip * kb6, st + (size_t)jp * kb6, o + (size_t)ip * SD__QB + jp, SD__QB, 0);
    }
    for (i = 0; i < nq; i++)
        for (e = 0; e < d; e++) out[(size_t)(q0 + i) * ld + e] = o[(size_t)e * SD__QB + i] / sum[i];
}

static void sd__attention_fast(sd_model *m, float *out, const float *q, const float *k, const float *v, int n, int heads,
                               int tq, int tk, int d, float *ws)
{
    int nqb = (tq + SD__QB - 1) / SD__QB, t, sd__nt = m->n_threads;
    size_t ld = (size_t)heads * d, per = sd__attn_ws(d);
    SD__PARALLEL_FOR
    for (t = 0; t < n * heads * nqb; t++) {
        int b = t / (heads * nqb), h = (t / nqb) % heads, qb = t % nqb;
        size_t off = (size_t)h * d;
        sd__attn_block(q + (size_t)b * tq * ld + off, k + (size_t)b * tk * ld + off, v + (size_t)b * tk * ld + off,
                       out + (size_t)b * tq * ld + off, ld, d, qb * SD__QB, tq - qb * SD__QB < SD__QB ? tq - qb * SD__QB : SD__QB,
                       tk, ws + (size_t)SD__TID() * per);
    }
}

/* GroupNorm statistics, threaded over (image, group); same formulas as the reference */
static void sd__gn_stats_fast(sd_model *m, float *stats, const float *in, int n, int c, int hw, int groups, float eps, const sd__norm *nm)
{
    int t, sd__nt = m->n_threads, cg = c / groups;
    SD__PARALLEL_FOR
    for (t = 0; t < n * groups; t++) {
        int b = t / groups, g = t % groups, k;
        const float *x = in + ((size_t)b * c + (size_t)g * cg) * hw;
        size_t i, cnt = (size_t)cg * hw;
        double sum = 0, sq = 0, mean;
        float rstd;
        for (i = 0; i < cnt; i++) sum += x[i];
        mean = sum / (double)cnt;
        for (i = 0; i < cnt; i++) sq += ((double)x[i] - mean) * ((double)x[i] - mean);
        rstd = (float)(1.0 / sqrt(sq / (double)cnt + eps));
        for (k = 0; k < cg; k++) {
            int ch = g * cg + k;
            float scale = rstd * nm->w[ch];
            stats[((size_t)b * c + ch) * 2] = scale;
            stats[((size_t)b * c + ch) * 2 + 1] = nm->b[ch] - (float)mean * scale;
        }
    }
}

/* GEGLU with the fast exp in a vectorizable erf (Abramowitz-Stegun 7.1.26 is too coarse; this
   is erf(x) = sign(x) (1 - t * exp(-x^2 + P(t))), Numerical Recipes' erfc, rel. error < 1.2e-7) */
static float sd__erf_fast(float x)
{
    float z = fabsf(x), t = 1.0f / (1.0f + 0.5f * z), r, p;
    p = 0.17087277f;
    p = SD__FMA(p, t, -0.82215223f);
    p = SD__FMA(p, t, 1.48851587f);
    p = SD__FMA(p, t, -1.13520398f);
    p = SD__FMA(p, t, 0.27886807f);
    p = SD__FMA(p, t, -0.18628806f);
    p = SD__FMA(p, t, 0.09678418f);
    p = SD__FMA(p, t, 0.37409196f);
    p = SD__FMA(p, t, 1.00002368f);
    p = SD__FMA(p, t, -1.26551223f);
    r = 1.0f - t * sd__expf(-z * z + p);
    return x < 0 ? -r : r;
}

static void sd__geglu_fast(sd_model *m, float *out, const float *in, int rows, int f)
{
    int r, sd__nt = m->n_threads;
    SD__PARALLEL_FOR
    for (r = 0; r < rows; r++) {
        const float *x = in + (size_t)r * 2 * f, *gt = x + f;
        float *y = out + (size_t)r * f;
        int k;
        for (k = 0; k < f; k++) y[k] = x[k] * (0.5f * gt[k] * (1.0f + sd__erf_fast(gt[k] * 0.70710678f)));
    }
}

/* The memory-bound operations, threaded: the same arithmetic as the reference, split over rows
   or over blocks of a transpose. */
static void sd__layernorm_fast(sd_model *m, float *out, const float *in, int rows, int c, float eps, const sd__norm *nm)
{
    int r, sd__nt = m->n_threads;
    SD__PARALLEL_FOR
    for (r = 0; r < rows; r++) sd__layernorm_ref(out + (size_t)r * c, in + (size_t)r * c, 1, c, eps, nm);
}

/* [N,A,B] -> [N,B,A] in 32x32 blocks, with the GroupNorm map of channel a (tokens) or + add (untokens) */
static void sd__transpose_fast(sd_model *m, float *out, const float *in, int n, int a, int b, const float *stats, const float *add)
{
    int nba = (a + 31) / 32, nbb = (b + 31) / 32, t, sd__nt = m->n_threads;
    SD__PARALLEL_FOR
    for (t = 0; t < n * nba * nbb; t++) {
        int bi = t / (nba * nbb), i0 = (t / nbb) % nba * 32, j0 = t % nbb * 32, i, j;
        int i1 = i0 + 32 < a ? i0 + 32 : a, j1 = j0 + 32 < b ? j0 + 32 : b;
        const float *src = in + (size_t)bi * a * b;
        float *dst = out + (size_t)bi * a * b;
        const float *ad = add ? add + (size_t)bi * a * b : NULL;
        for (i = i0; i < i1; i++) {
            float sc = stats ? stats[((size_t)bi * a + i) * 2] : 1.0f, sh = stats ? stats[((size_t)bi * a + i) * 2 + 1] : 0.0f;
            for (j = j0; j < j1; j++) {
                float v = src[(size_t)i * b + j];
                if (stats) v = v * sc + sh;
                if (ad) v = v + ad[(size_t)j * a + i];
                dst[(size_t)j * a + i] = v;
            }
        }
    }
}

static void sd__act_fast(sd_model *m, float *out, const float *in, size_t n, int kind)
{
    int t, nb = (int)((n + 4095) / 4096), sd__nt = m->n_threads;
    SD__PARALLEL_FOR
    for (t = 0; t < nb; t++) {
        size_t i0 = (size_t)t * 4096, len = n - i0 < 4096 ? n - i0 : 4096;
        sd__act_ref(out + i0, in + i0, len, kind);
    }
}

static void sd__add_chan_fast(sd_model *m, float *x, const float *e, int n, int c, int hw)
{
    int t, sd__nt = m->n_threads;
    SD__PARALLEL_FOR
    for (t = 0; t < n * c; t++) {
        float *p = x + (size_t)t * hw, v = e[t];
        int i;
        for (i = 0; i < hw; i++) p[i] += v;
    }
}

/* ---------------------------------------------------------------- the operations
   What the model code calls: one function per operation, picking the reference or the fast
   kernel, taking its scratch from the arena, and doing nothing but count in the planning pass. */

/* the GPU's copy of a weight (made on first use) and of a 1-D parameter */
static const void *sd__gpu_weight(sd_model *m, const sd__tensor *t)
{
    static const int code[SD__NDTYPE] = { 0, 1, 2 };
    if (!t->dev) {
        const unsigned char *b = sd__acquire(m, t);
        if (!b || t->dtype > SD__BF16) { m->io_failed = 1; return NULL; }
        ((sd__tensor *)(size_t)t)->dev = sd_cuda_weight(m->gpu, b, code[t->dtype], (size_t)t->numel);
        sd__unacquire(m, t);
        sd__weights_done(m, t);
    }
    return t->dev;
}

static const float *sd__gpu_vec(const sd_model *m, const float *p) { return p ? m->params_dev + (p - m->params) : NULL; }

static void sd__op_conv(sd_model *m, float *out, const float *in, const sd__conv *g, const sd__lin *l,
                        const float *add, const float *stats, int silu)
{
    size_t mark = sd__mark(m);
    if (m->planning) m->flops += 2.0 * g->n * g->co * g->ho * g->wo * (double)g->c * g->k * g->k;
    if (m->gpu) {
        if (!m->planning)
            sd_cuda_conv2d(m->gpu, out, in, g->n, g->c, g->h, g->w, g->up_h, g->up_w, g->co, g->k, g->stride, g->pad_t, g->pad_l,
                           g->ho, g->wo, sd__gpu_weight(m, l->w), sd__gpu_vec(m, l->b), add, stats, silu);
        return;
    }
    if (!m->planning && !sd__acquire(m, l->w)) return;
    if (m->reference) {
        if (!m->planning) sd__conv2d_ref(m, out, in, g, l, add, stats, silu);
    } else {
        float *ws = sd__push(m, (size_t)m->n_threads * SD__MM_WS + (size_t)g->up_h + (size_t)g->up_w + 16);
        if (!m->planning) sd__conv2d_fast(m, out, in, g, l, add, stats, silu, ws);
    }
    sd__release(m, mark);
    if (!m->planning) { sd__weights_done(m, l->w); sd__unacquire(m, l->w); }
}

static void sd__op_linear(sd_model *m, float *out, const float *in, int rows, int c, const sd__lin *l, const float *add)
{
    size_t mark = sd__mark(m);
    if (m->planning) m->flops += 2.0 * rows * (double)c * l->w->shape[0];
    if (m->gpu) {
        if (!m->planning) sd_cuda_linear(m->gpu, out, in, rows, c, (int)l->w->shape[0], sd__gpu_weight(m, l->w), sd__gpu_vec(m, l->b), add);
        return;
    }
    if (!m->planning && !sd__acquire(m, l->w)) return;
    if (m->reference) {
        if (!m->planning) sd__linear_ref(m, out, in, rows, c, l, add);
    } else {
        float *ws = sd__push(m, (size_t)m->n_threads * SD__MM_WS);
        if (!m->planning) sd__linear_fast(m, out, in, rows, c, l, add, ws);
    }
    sd__release(m, mark);
    if (!m->planning) { sd__weights_done(m, l->w); sd__unacquire(m, l->w); }
}

static void sd__op_gn_stats(sd_model *m, float *stats, const float *in, int n, int c, int hw, float eps, const sd__norm *nm)
{
    if (m->planning) return;
    if (m->gpu) sd_cuda_gn_stats(m->gpu, stats, in, n, c, hw, 32, eps, sd__gpu_vec(m, nm->w), sd__gpu_vec(m, nm->b));
    else if (m->reference) sd__gn_stats_ref(stats, in, n, c, hw, 32, eps, nm);
    else sd__gn_stats_fast(m, stats, in, n, c, hw, 32, eps, nm);
}

static void sd__op_layernorm(sd_model *m, float *out, const float *in, int rows, int c, const sd__norm *nm)
{
    if (m->planning) return;
    if (m->gpu) sd_cuda_layernorm(m->gpu, out, in, rows, c, 1e-5f, sd__gpu_vec(m, nm->w), sd__gpu_vec(m, nm->b));
    else if (m->reference) sd__layernorm_ref(out, in, rows, c, 1e-5f, nm);
    else sd__layernorm_fast(m, out, in, rows, c, 1e-5f, nm);
}

static void sd__op_attention(sd_model *m, float *out, const float *q, const float *k, const float *v, int n, int heads,
                             int tq, int tk, int d, int causal)
{
    size_t mark = sd__mark(m);
    if (m->planning) m->flops += 4.0 * n * heads * (double)tq * tk * d;
    if (m->gpu) {
        if (!m->planning) sd_cuda_attention(m->gpu, out, q, k, v, n, heads, tq, tk, d, causal);
        return;
    }
    if (m->reference || causal) {   /* causal: only the text encoder's 77 tokens, where speed does not matter */
        float *ws = sd__push(m, (size_t)tk);
        if (!m->planning) sd__attention_ref(out, q, k, v, n, heads, tq, tk, d, causal, ws);
    } else {
        float *ws = sd__push(m, (size_t)m->n_threads * sd__attn_ws(d));
        if (!m->planning) sd__attention_fast(m, out, q, k, v, n, heads, tq, tk, d, ws);
    }
    sd__release(m, mark);
}

static void sd__op_tokens(sd_model *m, float *out, const float *in, int n, int c, int hw, const float *stats)
{
    if (m->planning) return;
    if (m->gpu) sd_cuda_transpose(m->gpu, out, in, n, c, hw, stats, NULL);
    else if (m->reference) sd__tokens_ref(out, in, n, c, hw, stats);
    else sd__transpose_fast(m, out, in, n, c, hw, stats, NULL);
}

static void sd__op_untokens(sd_model *m, float *out, const float *in, int n, int c, int hw, const float *add)
{
    if (m->planning) return;
    if (m->gpu) sd_cuda_transpose(m->gpu, out, in, n, hw, c, NULL, add);
    else if (m->reference) sd__untokens_ref(out, in, n, c, hw, add);
    else sd__transpose_fast(m, out, in, n, hw, c, NULL, add);
}

static void sd__op_geglu(sd_model *m, float *out, const float *in, int rows, int f)
{
    if (m->planning) return;
    if (m->gpu) sd_cuda_geglu(m->gpu, out, in, rows, f);
    else if (m->reference) sd__geglu_ref(out, in, rows, f);
    else sd__geglu_fast(m, out, in, rows, f);
}

static void sd__op_act(sd_model *m, float *out, const float *in, size_t n, int kind)
{
    if (m->planning) return;
    if (m->gpu) sd_cuda_act(m->gpu, out, in, n, kind);
    else if (m->reference) sd__act_ref(out, in, n, kind);
    else sd__act_fast(m, out, in, n, kind);
}

static void sd__op_add_chan(sd_model *m, float *x, const float *e, int n, int c, int hw)
{
    if (m->planning) return;
    if (m->gpu) sd_cuda_add_chan(m->gpu, x, e, n, c, hw);
    else if (m->reference) sd__add_chan_ref(x, e, n, c, hw);
    else sd__add_chan_fast(m, x, e, n, c, hw);
}

static void sd__op_concat(sd_model *m, float *out, const float *a, int ca, const float *b, int cb, int n, int hw)
{
    if (m->planning) return;
    if (m->gpu) sd_cuda_concat(m->gpu, out, a, ca, b, cb, n, hw);
    else sd__concat_ref(out, a, ca, b, cb, n, hw);
}

/* the caller's memory -> activation memory, and back (the same memory on the CPU) */
static void sd__op_upload(sd_model *m, float *dst, const float *host, size_t n)
{
    if (m->planning) return;
    if (m->gpu) sd_cuda_upload(m->gpu, dst, host, n * sizeof(float));
    else memcpy(dst, host, n * sizeof(float));
}

static void sd__op_download(sd_model *m, float *host, const float *src, size_t n)
{
    if (m->planning) return;
    if (m->gpu) sd_cuda_download(m->gpu, host, src, n * sizeof(float));
    else memcpy(host, src, n * sizeof(float));
}

/* p + offset floats, or NULL while planning (model code never does arithmetic on NULL) */
static float *sd__at(const sd_model *m, float *p, size_t offset) { return m->planning ? NULL : p + offset; }

/* ================================================================ loading
   safetensors: 8 bytes little-endian header length N, N bytes of JSON
   {"name": {"dtype": "F16", "shape": [320, 4, 3, 3], "data_offsets": [begin, end]}, ...,
    "__metadata__": {"k": "v"}}, then the data. A small strict JSON parser reads the header
   in place (names are unescaped into the copy and point into it). */

typedef struct sd__json {
    char *s, *e, *base;        /* cursor, end, start (for error offsets) */
    sd_model *m;
} sd__json;

static sd_result sd__jerr(sd__json *j, const char *what)
{
    return sd__fail(j->m, SD_ERR_FORMAT, "malformed safetensors header: %s at byte %ld of the JSON", what, (long)(j->s - j->base));
}

static void sd__jws(sd__json *j) { while (j->s < j->e && (*j->s == ' ' || *j->s == '\t' || *j->s == '\n' || *j->s == '\r')) j->s++; }

static int sd__jhex(const char *p)
{
    int i, v = 0;
    for (i = 0; i < 4; i++) {
        int c = p[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* parses a string at the cursor, unescaping it in place to UTF-8 and NUL-terminating it */
static sd_result sd__jstring(sd__json *j, char **out)
{
    char *w;
    sd__jws(j);
    if (j->s >= j->e || *j->s != '"') return sd__jerr(j, "expected a string");
    w = *out = ++j->s;
    for (;;) {
        unsigned char c;
        if (j->s >= j->e) return sd__jerr(j, "unterminated string");
        c = (unsigned char)*j->s++;
        if (c == '"') break;
        if (c < 0x20) return sd__jerr(j, "control character in a string");
        if (c != '\\') { *w++ = (char)c; continue; }
        if (j->s >= j->e) return sd__jerr(j, "unterminated string");
        c = (unsigned char)*j->s++;
        switch (c) {
        case '"': case '\\': case '/': *w++ = (char)c; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u': {
            long cp;
            if (j->e - j->s < 4 || (cp = sd__jhex(j->s)) < 0) return sd__jerr(j, "bad \\u escape");
            j->s += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {   /* a surrogate pair */
                long lo;
                if (j->e - j->s < 6 || j->s[0] != '\\' || j->s[1] != 'u' || (lo = sd__jhex(j->s + 2)) < 0xDC00 || lo > 0xDFFF)
                    return sd__jerr(j, "unpaired surrogate in a \\u escape");
                j->s += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) return sd__jerr(j, "unpaired surrogate in a \\u escape");
            if (cp == 0) return sd__jerr(j, "NUL in a string");
            /* the UTF-8 form is never longer than the escape it replaces */
            if (cp < 0x80) *w++ = (char)cp;
            else if (cp < 0x800) { *w++ = (char)(0xC0 | (cp >> 6)); *w++ = (char)(0x80 | (cp & 63)); }
            else if (cp < 0x10000) { *w++ = (char)(0xE0 | (cp >> 12)); *w++ = (char)(0x80 | ((cp >> 6) & 63)); *w++ = (char)(0x80 | (cp & 63)); }
            else { *w++ = (char)(0xF0 | (cp >> 18)); *w++ = (char)(0x80 | ((cp >> 12) & 63)); *w++ = (char)(0x80 | ((cp >> 6) & 63)); *w++ = (char)(0x80 | (cp & 63)); }
            break;
        }
        default: return sd__jerr(j, "bad escape in a string");
        }
    }
    *w = 0;
    return SD_OK;
}

static int sd__jeat(sd__json *j, char c)
{
    sd__jws(j);
    if (j->s < j->e && *j->s == c) { j->s++; return 1; }
    return 0;
}

/* a non-negative integer (shapes, offsets) */
static sd_result sd__juint(sd__json *j, uint64_t *v)
{
    sd__jws(j);
    *v = 0;
    if (j->s >= j->e || *j->s < '0' || *j->s > '9') return sd__jerr(j, "expected a non-negative integer");
    if (*j->s == '0' && j->s + 1 < j->e && j->s[1] >= '0' && j->s[1] <= '9') return sd__jerr(j, "leading zero in a number");
    while (j->s < j->e && *j->s >= '0' && *j->s <= '9') {
        if (*v > (UINT64_MAX - 9) / 10) return sd__jerr(j, "number too large");
        *v = *v * 10 + (uint64_t)(*j->s++ - '0');
    }
    if (j->s < j->e && (*j->s == '.' || *j->s == 'e' || *j->s == 'E')) return sd__jerr(j, "expected an integer");
    return SD_OK;
}

/* skips any JSON value (used for metadata and unknown fields) */
static sd_result sd__jskip(sd__json *j, int depth)
{
    sd__jws(j);
    if (depth > 32) return sd__jerr(j, "nested too deeply");
    if (j->s >= j->e) return sd__jerr(j, "unexpected end");
    if (*j->s == '"') { char *s; return sd__jstring(j, &s); }
    if (*j->s == '{' || *j->s == '[') {
        char close = *j->s == '{' ? '}' : ']';
        int obj = *j->s == '{';
        j->s++;
        if (sd__jeat(j, close)) return SD_OK;
        for (;;) {
            sd_result r;
            if (obj) {
                char *k;
                if ((r = sd__jstring(j, &k)) != SD_OK) return r;
                if (!sd__jeat(j, ':')) return sd__jerr(j, "expected ':'");
            }
            if ((r = sd__jskip(j, depth + 1)) != SD_OK) return r;
            if (sd__jeat(j, close)) return SD_OK;
            if (!sd__jeat(j, ',')) return sd__jerr(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    if (j->e - j->s >= 4 && (memcmp(j->s, "true", 4) == 0 || memcmp(j->s, "null", 4) == 0)) { j->s += 4; return SD_OK; }
    if (j->e - j->s >= 5 && memcmp(j->s, "false", 5) == 0) { j->s += 5; return SD_OK; }
    if (*j->s == '-' || (*j->s >= '0' && *j->s <= '9')) {
        if (*j->s == '-') j->s++;
        if (j->s >= j->e || *j->s < '0' || *j->s > '9') return sd__jerr(j, "bad number");
        while (j->s < j->e && ((*j->s >= '0' && *j->s <= '9') || *j->s == '.' || *j->s == 'e' || *j->s == 'E' || *j->s == '+' || *j->s == '-')) j->s++;
        return SD_OK;
    }
    return sd__jerr(j, "unexpected character");
}

/* one tensor entry: {"dtype": "F16", "shape": [..], "data_offsets": [b, e]} */
static sd_result sd__jtensor(sd__json *j, sd__tensor *t)
{
    int have_dtype = 0, have_shape = 0, have_off = 0;
    sd_result r;
    if (!sd__jeat(j, '{')) return sd__fail(j->m, SD_ERR_FORMAT, "malformed safetensors header: tensor '%s' is not an object", t->name);
    if (!sd__jeat(j, '}')) for (;;) {
        char *k;
        if ((r = sd__jstring(j, &k)) != SD_OK) return r;
        if (!sd__jeat(j, ':')) return sd__jerr(j, "expected ':'");
        if (strcmp(k, "dtype") == 0) {
            char *d;
            int i;
            sd__jws(j);
            if (j->s >= j->e || *j->s != '"') return sd__fail(j->m, SD_ERR_FORMAT, "tensor '%s': dtype is not a string", t->name);
            if ((r = sd__jstring(j, &d)) != SD_OK) return r;
            for (i = 0; i < SD__NDTYPE && strcmp(d, sd__dtype_name[i]) != 0; i++) {}
            if (i == SD__NDTYPE) return sd__fail(j->m, SD_ERR_FORMAT, "tensor '%s': unknown dtype '%.32s'", t->name, d);
            t->dtype = i;
            have_dtype = 1;
        } else if (strcmp(k, "shape") == 0 || strcmp(k, "data_offsets") == 0) {
            int shape = k[0] == 's', n = 0;
            uint64_t v[8];
            if (!sd__jeat(j, '[')) return sd__fail(j->m, SD_ERR_FORMAT, "tensor '%s': %s is not an array", t->name, k);
            if (!sd__jeat(j, ']')) for (;;) {
                if (n == 8) return sd__fail(j->m, SD_ERR_FORMAT, "tensor '%s': %s has too many entries", t->name, k);
                sd__jws(j);
                if (j->s < j->e && (*j->s < '0' || *j->s > '9'))
                    return sd__fail(j->m, SD_ERR_FORMAT, "tensor '%s': %s holds something other than non-negative integers", t->name, k);
                if ((r = sd__juint(j, &v[n++])) != SD_OK) return r;
                if (sd__jeat(j, ']')) break;
                if (!sd__jeat(j, ',')) return sd__jerr(j, "expected ',' or ']'");
            }
            if (shape) {
                int i;
                t->ndim = n;
                for (i = 0; i < n; i++) {
                    if (v[i] > ((uint64_t)1 << 40)) return sd__fail(j->m, SD_ERR_FORMAT, "tensor '%s': dimension %llu too large", t->name, (unsigned long long)v[i]);
                    t->shape[i] = (int64_t)v[i];
                }
                have_shape = 1;
            } else {
                if (n != 2) return sd__fail(j->m, SD_ERR_FORMAT, "tensor '%s': data_offsets must be [begin, end]", t->name);
                t->begin = v[0]; t->end = v[1];
                have_off = 1;
            }
        } else if ((r = sd__jskip(j, 1)) != SD_OK) return r;
        if (sd__jeat(j, '}')) break;
        if (!sd__jeat(j, ',')) return sd__jerr(j, "expected ',' or '}'");
    }
    if (!have_dtype) return sd__fail(j->m, SD_ERR_FORMAT, "tensor '%s': no dtype", t->name);
    if (!have_shape) return sd__fail(j->m, SD_ERR_FORMAT, "tensor '%s': no shape", t->name);
    if (!have_off) return sd__fail(j->m, SD_ERR_FORMAT, "tensor '%s': no data_offsets", t->name);
    return SD_OK;
}

static sd_result sd__build(sd_model *m);
static void sd__build_free(sd_model *m);

/* ---------------------------------------------------------------- other layouts
   A diffusers model folder (unet/, vae/, text_encoder/ with diffusers' and transformers' names)
   and separate VAE files are renamed to the single-file (LDM) names when their table is read, so
   everything after this point knows one layout. The mapping is diffusers' own conversion
   (scripts/convert_diffusers_to_original_stable_diffusion.py), run backwards. */

enum { SD__LAYOUT_LDM, SD__LAYOUT_UNET, SD__LAYOUT_VAE, SD__LAYOUT_LDM_VAE, SD__LAYOUT_TEXT };

/* replaces a leading `from` of *rest by `to` into out; 1 when it matched */
static int sd__swap(const char **rest, const char *from, char **out, const char *to)
{
    size_t n = strlen(from), k = strlen(to);
    if (strncmp(*rest, from, n) != 0) return 0;
    memcpy(*out, to, k);
    *out += k;
    *rest += n;
    return 1;
}

/* "12.rest" -> 12, advancing past the dot; -1 if no number */
static int sd__num(const char **p)
{
    int v = 0, any = 0;
    while (**p >= '0' && **p <= '9' && v < 100000) { v = v * 10 + (**p - '0'); (*p)++; any = 1; }
    if (!any || **p != '.') return -1;
    (*p)++;
    return v;
}

/* the LDM name of a diffusers / transformers / bare-VAE name; R res blocks a level, L levels,
   up_attn[u]: whether diffusers' up block u has attention. Returns 0 if out is too small. */
static int sd__ldm_name(char *out, size_t cap, const char *name, int layout, int R, int L, const int *up_attn)
{
    char buf[512], *o = buf;
    const char *r = name;
    int i, j;
    if (strlen(name) > 300 || cap < 400) return 0;
    switch (layout) {
    case SD__LAYOUT_TEXT:
        o += sprintf(o, "cond_stage_model.transformer.");
        break;
    case SD__LAYOUT_LDM_VAE:
        o += sprintf(o, "first_stage_model.");
        break;
    case SD__LAYOUT_UNET:
        o += sprintf(o, "model.diffusion_model.");
        if (sd__swap(&r, "time_embedding.linear_1.", &o, "time_embed.0.") || sd__swap(&r, "time_embedding.linear_2.", &o, "time_embed.2.") ||
            sd__swap(&r, "conv_in.", &o, "input_blocks.0.0.") || sd__swap(&r, "conv_norm_out.", &o, "out.0.") ||
            sd__swap(&r, "conv_out.", &o, "out.2.")) break;
        if (strncmp(r, "down_blocks.", 12) == 0) {
            r += 12;
            if ((i = sd__num(&r)) < 0) break;
            if (strncmp(r, "downsamplers.0.conv.", 20) == 0) { r += 20; o += sprintf(o, "input_blocks.%d.0.op.", (i + 1) * (R + 1)); break; }
            if (strncmp(r, "resnets.", 8) == 0) { r += 8; if ((j = sd__num(&r)) < 0) break; o += sprintf(o, "input_blocks.%d.0.", 1 + i * (R + 1) + j); goto resnet; }
            if (strncmp(r, "attentions.", 11) == 0) { r += 11; if ((j = sd__num(&r)) < 0) break; o += sprintf(o, "input_blocks.%d.1.", 1 + i * (R + 1) + j); }
            break;
        }
        if (strncmp(r, "mid_block.", 10) == 0) {
            r += 10;
            if (sd__swap(&r, "attentions.0.", &o, "middle_block.1.")) break;
            if (sd__swap(&r, "resnets.0.", &o, "middle_block.0.") || sd__swap(&r, "resnets.1.", &o, "middle_block.2.")) goto resnet;
            break;
        }
        if (strncmp(r, "up_blocks.", 10) == 0) {
            r += 10;
            if ((i = sd__num(&r)) < 0) break;
            if (strncmp(r, "upsamplers.0.conv.", 18) == 0) {
                r += 18;
                o += sprintf(o, "output_blocks.%d.%d.conv.", i * (R + 1) + R, i < 16 && up_attn[i] ? 2 : 1);
                break;
            }
            if (strncmp(r, "resnets.", 8) == 0) { r += 8; if ((j = sd__num(&r)) < 0) break; o += sprintf(o, "output_blocks.%d.0.", i * (R + 1) + j); goto resnet; }
            if (strncmp(r, "attentions.", 11) == 0) { r += 11; if ((j = sd__num(&r)) < 0) break; o += sprintf(o, "output_blocks.%d.1.", i * (R + 1) + j); }
        }
        break;
    resnet:
        if (sd__swap(&r, "norm1.", &o, "in_layers.0.") || sd__swap(&r, "conv1.", &o, "in_layers.2.") ||
            sd__swap(&r, "time_emb_proj.", &o, "emb_layers.1.") || sd__swap(&r, "norm2.", &o, "out_layers.0.") ||
            sd__swap(&r, "conv2.", &o, "out_layers.3.") || sd__swap(&r, "conv_shortcut.", &o, "skip_connection.")) {}
        break;
    case SD__LAYOUT_VAE:
        o += sprintf(o, "first_stage_model.");
        if (sd__swap(&r, "encoder.conv_norm_out.", &o, "encoder.norm_out.") || sd__swap(&r, "decoder.conv_norm_out.", &o, "decoder.norm_out.")) break;
        for (i = 0; i < 2; i++) {
            const char *part = i ? "decoder." : "encoder.";
            if (strncmp(r, part, 8) != 0) continue;
            if (strncmp(r + 8, "mid_block.", 10) == 0) {
                r += 18;
                o += sprintf(o, "%s", part);
                if (sd__swap(&r, "attentions.0.", &o, "mid.attn_1.")) {
                    if (sd__swap(&r, "group_norm.", &o, "norm.") || sd__swap(&r, "to_q.", &o, "q.") || sd__swap(&r, "to_k.", &o, "k.") ||
                        sd__swap(&r, "to_v.", &o, "v.") || sd__swap(&r, "to_out.0.", &o, "proj_out.") || sd__swap(&r, "query.", &o, "q.") ||
                        sd__swap(&r, "key.", &o, "k.") || sd__swap(&r, "value.", &o, "v.") || sd__swap(&r, "proj_attn.", &o, "proj_out.")) {}
                    break;
                }
                if (sd__swap(&r, "resnets.0.", &o, "mid.block_1.") || sd__swap(&r, "resnets.1.", &o, "mid.block_2.")) goto vres;
                break;
            }
            if (strncmp(r + 8, i ? "up_blocks." : "down_blocks.", i ? 10 : 12) == 0) {
                int lvl;
                r += 8 + (i ? 10 : 12);
                if ((lvl = sd__num(&r)) < 0) break;
                if (i) lvl = L - 1 - lvl;
                o += sprintf(o, "%s%s.%d.", part, i ? "up" : "down", lvl);
                if (sd__swap(&r, i ? "upsamplers.0.conv." : "downsamplers.0.conv.", &o, i ? "upsample.conv." : "downsample.conv.")) break;
                if (strncmp(r, "resnets.", 8) == 0) { r += 8; if ((j = sd__num(&r)) < 0) break; o += sprintf(o, "block.%d.", j); goto vres; }
            }
            break;
        }
        break;
    vres:
        if (sd__swap(&r, "conv_shortcut.", &o, "nin_shortcut.")) {}
        break;
    default:
        break;
    }
    if ((size_t)(o - buf) + strlen(r) + 1 > cap) return 0;
    memcpy(out, buf, (size_t)(o - buf));
    strcpy(out + (o - buf), r);
    return 1;
}

/* the layout of a file from its names, and the shape facts its renaming needs */
static int sd__layout(const sd_model *m, int first, int last, int *R, int *L, int *up_attn)
{
    int i, layout = SD__LAYOUT_LDM, ldm = 0;
    *R = 0; *L = 0;
    for (i = 0; i < 16; i++) up_attn[i] = 0;
    for (i = first; i < last; i++) {
        const char *n = m->t[i].name, *p;
        int a;
        if (!strncmp(n, "model.diffusion_model.", 22) || !strncmp(n, "first_stage_model.", 18) || !strncmp(n, "cond_stage_model.", 17) ||
            !strncmp(n, "conditioner.", 12)) ldm = 1;
        else if (!strncmp(n, "down_blocks.", 12) || !strncmp(n, "time_embedding.", 15)) layout = SD__LAYOUT_UNET;
        else if (!strncmp(n, "encoder.down_blocks.", 20) || !strncmp(n, "decoder.up_blocks.", 18)) layout = SD__LAYOUT_VAE;
        else if (!strncmp(n, "encoder.down.", 13) || !strncmp(n, "decoder.up.", 11)) layout = SD__LAYOUT_LDM_VAE;
        else if (!strncmp(n, "text_model.", 11)) layout = SD__LAYOUT_TEXT;
        if (!strncmp(n, "down_blocks.0.resnets.", 22)) { p = n + 22; a = sd__num(&p); if (a + 1 > *R) *R = a + 1; }
        if (!strncmp(n, "decoder.up_blocks.", 18)) { p = n + 18; a = sd__num(&p); if (a + 1 > *L) *L = a + 1; }
        if (!strncmp(n, "up_blocks.", 10)) {
            p = n + 10;
            a = sd__num(&p);
            if (a >= 0 && a < 16 && !strncmp(p, "attentions.", 11)) up_attn[a] = 1;
        }
    }
    return ldm ? SD__LAYOUT_LDM : layout;
}

static int sd__tcmp_name(const void *a, const void *b)
{
    const sd__tensor *x = (const sd__tensor *)a, *y = (const sd__tensor *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : x->src - y->src;
}

/* the tensor of that name, or NULL */
static const sd__tensor *sd__find(const sd_model *m, const char *name)
{
    int lo = 0, hi = m->nt - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(m->t[mid].name, name);
        if (c == 0) return &m->t[mid];
        if (c < 0) lo = mid + 1; else hi = mid - 1;
    }
    return NULL;
}

/* reads the header of source si (b: its first bytes, the whole header at least), appends its
   tensors to the table under LDM names, checks sizes, offsets and overlaps */
static sd_result sd__parse(sd_model *m, int si, const unsigned char *b)
{
    sd__source *src = &m->src[si];
    size_t size = src->size, data_size, i;
    uint64_t hlen;
    sd__json j;
    sd_result r;
    int cap = m->nt, first = m->nt, *order = NULL;
    if (size >= 4 && memcmp(b, "PK\x03\x04", 4) == 0)
        return sd__fail(m, SD_ERR_FORMAT, "this is a PyTorch .ckpt (zip/pickle) checkpoint, not safetensors; convert it "
                        "(e.g. safetensors.torch.save_file(torch.load(f, weights_only=True)[\"state_dict\"], \"model.safetensors\"))");
    if (size >= 4 && memcmp(b, "GGUF", 4) == 0) return sd__fail(m, SD_ERR_FORMAT, "this is a GGUF file, not safetensors");
    if (size < 8) return sd__fail(m, SD_ERR_FORMAT, "not a safetensors file: only %lu bytes", (unsigned long)size);
    hlen = sd__u64le(b);
    if (hlen > size - 8) {
        if (size > 8 && b[8] == '{')
            return sd__fail(m, SD_ERR_FORMAT, "truncated safetensors file: header length %llu beyond the file (%lu bytes)",
                            (unsigned long long)hlen, (unsigned long)size);
        return sd__fail(m, SD_ERR_FORMAT, "not a safetensors file (the first 8 bytes are not a header length)");
    }
    if (hlen < 2 || b[8] != '{') return sd__fail(m, SD_ERR_FORMAT, "not a safetensors file (no JSON header)");
    if (hlen > ((uint64_t)100 << 20)) return sd__fail(m, SD_ERR_FORMAT, "safetensors header of %llu bytes: over the 100 MB limit", (unsigned long long)hlen);
    data_size = size - 8 - (size_t)hlen;
    src->header = (char *)sd__malloc(m, (size_t)hlen + 1);
    if (!src->header) return sd__fail(m, SD_ERR_NOMEM, "out of memory for the header");
    memcpy(src->header, b + 8, (size_t)hlen);
    src->header[hlen] = 0;
    src->data_at = 8 + hlen;
    j.s = j.base = src->header; j.e = src->header + hlen; j.m = m;
    if (!sd__jeat(&j, '{')) return sd__jerr(&j, "expected '{'");
    if (!sd__jeat(&j, '}')) for (;;) {
        char *name;
        if ((r = sd__jstring(&j, &name)) != SD_OK) return r;
        if (!sd__jeat(&j, ':')) return sd__jerr(&j, "expected ':'");
        if (strcmp(name, "__metadata__") == 0) {
            sd__jws(&j);
            if (j.s >= j.e || *j.s != '{') return sd__fail(m, SD_ERR_FORMAT, "malformed safetensors header: __metadata__ is not an object");
            if ((r = sd__jskip(&j, 1)) != SD_OK) return r;
        } else {
            sd__tensor *t;
            if (m->nt == cap) {
                int nc = cap ? cap * 2 : 256;
                sd__tensor *nt = (sd__tensor *)sd__calloc(m, (size_t)nc, sizeof *nt);
                if (!nt) return sd__fail(m, SD_ERR_NOMEM, "out of memory for the tensor table");
                if (m->t) memcpy(nt, m->t, (size_t)m->nt * sizeof *nt);
                sd__free(m, m->t);
                m->t = nt; cap = nc;
            }
            t = &m->t[m->nt++];
            memset(t, 0, sizeof *t);
            t->name = name;
            t->src = si;
            if ((r = sd__jtensor(&j, t)) != SD_OK) return r;
        }
        if (sd__jeat(&j, '}')) break;
        if (!sd__jeat(&j, ',')) return sd__jerr(&j, "expected ',' or '}'");
    }
    sd__jws(&j);
    if (j.s != j.e) return sd__jerr(&j, "trailing characters after the object");
    /* every tensor: a size that matches its offsets, inside the data */
    for (i = (size_t)first; i < (size_t)m->nt; i++) {
        sd__tensor *t = &m->t[i];
        size_t n = 1, bytes;
        int d;
        for (d = 0; d < t->ndim; d++)
            if (!sd__mul_ok(n, (size_t)t->shape[d], &n))
                return sd__fail(m, SD_ERR_FORMAT, "tensor '%s': shape overflows", t->name);
        if (!sd__mul_ok(n, (size_t)sd__dtype_size[t->dtype], &bytes))
            return sd__fail(m, SD_ERR_FORMAT, "tensor '%s': shape overflows", t->name);
        t->numel = (int64_t)n;
        if (t->begin > t->end || t->end > data_size) {
            if (t->begin <= t->end && t->end > data_size)
                return sd__fail(m, SD_ERR_FORMAT, "truncated safetensors file: tensor '%s' ends at data byte %llu, the data has %lu bytes",
                                t->name, (unsigned long long)t->end, (unsigned long)data_size);
            return sd__fail(m, SD_ERR_FORMAT, "tensor '%s': data_offsets [%llu, %llu] outside the data (%lu bytes)",
                            t->name, (unsigned long long)t->begin, (unsigned long long)t->end, (unsigned long)data_size);
        }
        if (t->end - t->begin != (uint64_t)bytes)
            return sd__fail(m, SD_ERR_FORMAT, "tensor '%s': shape and dtype %s need %lu bytes, data_offsets give %llu",
                            t->name, sd__dtype_name[t->dtype], (unsigned long)bytes, (unsigned long long)(t->end - t->begin));
        t->data = src->bytes ? src->bytes + src->data_at + t->begin : NULL;
    }
    /* no name twice in one file */
    if (m->nt - first > 1) {
        qsort(m->t + first, (size_t)(m->nt - first), sizeof *m->t, sd__tcmp_name);
        for (i = (size_t)first + 1; i < (size_t)m->nt; i++)
            if (strcmp(m->t[i - 1].name, m->t[i].name) == 0)
                return sd__fail(m, SD_ERR_FORMAT, "duplicate tensor name '%s'", m->t[i].name);
    }
    /* no two tensors share bytes: sort an index by offset and compare neighbours */
    if (m->nt - first > 1) {
        size_t n = (size_t)(m->nt - first), k;
        order = (int *)sd__calloc(m, n, sizeof *order);
        if (!order) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
        for (k = 0; k < n; k++) order[k] = first + (int)k;
        for (k = n / 2; k-- > 0;) {   /* heap sort on begin */
            size_t p = k;
            for (;;) {
                size_t c = 2 * p + 1; int tmp;
                if (c >= n) break;
                if (c + 1 < n && m->t[order[c + 1]].begin > m->t[order[c]].begin) c++;
                if (m->t[order[p]].begin >= m->t[order[c]].begin) break;
                tmp = order[p]; order[p] = order[c]; order[c] = tmp; p = c;
            }
        }
        for (k = n; k-- > 1;) {
            size_t p = 0; int tmp = order[0]; order[0] = order[k]; order[k] = tmp;
            for (;;) {
                size_t c = 2 * p + 1;
                if (c >= k) break;
                if (c + 1 < k && m->t[order[c + 1]].begin > m->t[order[c]].begin) c++;
                if (m->t[order[p]].begin >= m->t[order[c]].begin) break;
                tmp = order[p]; order[p] = order[c]; order[c] = tmp; p = c;
            }
        }
        for (k = 1; k < n; k++) {
            const sd__tensor *a = &m->t[order[k - 1]], *c = &m->t[order[k]];
            if (c->begin < a->end && c->begin < c->end) {
                sd__fail(m, SD_ERR_FORMAT, "tensors '%s' and '%s' overlap in the data", a->name, c->name);
                sd__free(m, order);
                return SD_ERR_FORMAT;
            }
        }
        sd__free(m, order);
    }
    /* other layouts get their LDM names */
    {
        int R, L, up_attn[16], layout = sd__layout(m, first, m->nt, &R, &L, up_attn);
        if (layout != SD__LAYOUT_LDM)
            for (i = (size_t)first; i < (size_t)m->nt; i++) {
                char name[512], *copy;
                if (!sd__ldm_name(name, sizeof name, m->t[i].name, layout, R ? R : 2, L ? L : 4, up_attn))
                    return sd__fail(m, SD_ERR_FORMAT, "tensor name too long: '%.64s...'", m->t[i].name);
                copy = (char *)sd__malloc(m, strlen(name) + 1);
                if (!copy) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
                strcpy(copy, name);
                m->t[i].name = copy;
                m->t[i].owned_name = 1;
            }
    }
    return SD_OK;
}

/* after the files are read: one sorted table (a later file's tensor replaces an earlier one of the
   same name: a separate VAE), the 1-D parameters as floats, then the model */
static sd_result sd__finish(sd_model *m)
{
    int i, o;
    int streaming = 0;
    sd__build_free(m);
    if (m->nt > 1) qsort(m->t, (size_t)m->nt, sizeof *m->t, sd__tcmp_name);
    for (i = 0, o = 0; i < m->nt; i++) {
        if (i + 1 < m->nt && strcmp(m->t[i].name, m->t[i + 1].name) == 0) {   /* replaced by a later file */
            if (m->t[i].owned_name) sd__free(m, m->t[i].name);
            continue;
        }
        m->t[o++] = m->t[i];
    }
    m->nt = o;
    for (i = 0; i < m->nsrc; i++) if (!m->src[i].bytes) streaming = 1;
    sd__free(m, m->wbuf); m->wbuf = NULL;
    if (streaming) {   /* room for the largest tensor */
        size_t big = 1;
        for (i = 0; i < m->nt; i++) if (m->t[i].end - m->t[i].begin > big) big = (size_t)(m->t[i].end - m->t[i].begin);
        m->wbuf = (unsigned char *)sd__malloc(m, big);
        if (!m->wbuf) return sd__fail(m, SD_ERR_NOMEM, "out of memory: %.1f MB for the largest tensor", big / 1048576.0);
    }
    /* 1-D float parameters (biases, norms, schedules) become floats once */
    {
        size_t total = 0, at = 0;
        sd__free(m, m->params);
        for (i = 0; i < m->nt; i++)
            if (m->t[i].ndim == 1 && sd__is_float(m->t[i].dtype)) total += (size_t)m->t[i].numel;
        m->params = (float *)sd__calloc(m, total ? total : 1, sizeof(float));
        if (!m->params) return sd__fail(m, SD_ERR_NOMEM, "out of memory for the parameters");
        m->n_params = total;
        for (i = 0; i < m->nt; i++) {
            sd__tensor *t = &m->t[i];
            if (t->ndim == 1 && sd__is_float(t->dtype)) {
                const unsigned char *p = sd__acquire(m, t);
                t->f32 = m->params + at;
                if (!p) return sd__fail(m, SD_ERR_IO, "cannot read tensor '%s' from the file", t->name);
                sd__decode(t->f32, p, t->dtype, 0, (size_t)t->numel);
                sd__unacquire(m, t);
                at += (size_t)t->numel;
            }
        }
    }
    if (m->gpu) {   /* the GPU keeps its own copy of the parameters; weights follow when first used */
        sd_cuda_free(m->gpu, m->params_dev);
        m->params_dev = (float *)sd_cuda_malloc(m->gpu, (m->n_params ? m->n_params : 1) * sizeof(float));
        if (!m->params_dev) return sd__fail(m, SD_ERR_NOMEM, "GPU: out of memory for the parameters");
        sd_cuda_upload(m->gpu, m->params_dev, m->params, m->n_params * sizeof(float));
        for (i = 0; i < m->nt; i++) if (m->t[i].dev) { sd_cuda_free(m->gpu, m->t[i].dev); m->t[i].dev = NULL; }
    }
    return sd__build(m);
}

/* forgets everything loaded */
static void sd__unload(sd_model *m)
{
    int i;
    sd__build_free(m);
    sd__free(m, m->params); m->params = NULL;
    if (m->gpu) {
        sd_cuda_free(m->gpu, m->params_dev);
        for (i = 0; i < m->nt; i++) if (m->t[i].dev) sd_cuda_free(m->gpu, m->t[i].dev);
    }
    m->params_dev = NULL;
    for (i = 0; i < m->nt; i++) if (m->t[i].owned_name) sd__free(m, m->t[i].name);
    sd__free(m, m->t); m->t = NULL; m->nt = 0;
    for (i = 0; i < m->nsrc; i++) {
        sd__source *s = &m->src[i];
        sd__free(m, s->header);
#if SD__MMAP
        if (s->mapped) munmap((void *)(size_t)s->bytes, s->size);
#endif
        sd__free(m, s->file);
#ifndef SD_NO_STDIO
        if (s->fp) fclose(s->fp);
#endif
        memset(s, 0, sizeof *s);
    }
    m->nsrc = 0;
    sd__free(m, m->wbuf); m->wbuf = NULL;
    m->io_failed = 0;
}

SDDEF sd_result sd_load_memory(sd_model *m, const void *data, size_t size)
{
    sd_result r;
    sd__unload(m);
    m->err[0] = 0;
    m->src[0].bytes = (const unsigned char *)data;
    m->src[0].size = size;
    m->nsrc = 1;
    r = sd__parse(m, 0, m->src[0].bytes);
    if (r == SD_OK) r = sd__finish(m);
    if (r != SD_OK) sd__unload(m);
    return r;
}

#ifndef SD_NO_STDIO
/* low memory without a mapping: read the header, keep the file open, read each tensor when used */
static sd_result sd__open_stream(sd_model *m, sd__source *s, const char *path, unsigned char **head)
{
    long n;
    size_t have;
    *head = NULL;
    s->fp = fopen(path, "rb");
    if (!s->fp) return sd__fail(m, SD_ERR_IO, "cannot open '%s'", path);
    if (fseek(s->fp, 0, SEEK_END) != 0 || (n = ftell(s->fp)) < 0 || fseek(s->fp, 0, SEEK_SET) != 0)
        return sd__fail(m, SD_ERR_IO, "cannot read '%s' (not a regular file?)", path);
    s->size = (size_t)n;
    have = s->size < 8 ? s->size : 8;
    if (have == 8) {   /* the header too, bounded by the file and the header limit */
        unsigned char len[8];
        uint64_t hlen;
        if (fread(len, 1, 8, s->fp) != 8) return sd__fail(m, SD_ERR_IO, "cannot read '%s'", path);
        hlen = sd__u64le(len);
        have = hlen <= s->size - 8 && hlen <= ((uint64_t)100 << 20) ? 8 + (size_t)hlen : (s->size > 9 ? 9 : s->size);
        if (fseek(s->fp, 0, SEEK_SET) != 0) return sd__fail(m, SD_ERR_IO, "cannot read '%s'", path);
    }
    *head = (unsigned char *)sd__malloc(m, have + 1);
    if (!*head) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    if (fread(*head, 1, have, s->fp) != have) return sd__fail(m, SD_ERR_IO, "cannot read '%s'", path);
    return SD_OK;
}

/* maps (or reads, or streams) one more file and reads its table */
static sd_result sd__add_file(sd_model *m, const char *path)
{
    sd__source *s;
    sd_result r;
    unsigned char *head = NULL;
    if (m->nsrc == SD__MAXSRC) return sd__fail(m, SD_ERR_ARG, "too many files for one model");
    s = &m->src[m->nsrc++];
#if SD__MMAP
    {
        int fd = open(path, O_RDONLY);
        struct stat st;
        if (fd < 0) return sd__fail(m, SD_ERR_IO, "cannot open '%s'", path);
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { close(fd); return sd__fail(m, SD_ERR_IO, "'%s' is not a regular file", path); }
        if (st.st_size > 0) {
            void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p != MAP_FAILED) {
                long ps = sysconf(_SC_PAGESIZE);
                s->bytes = (const unsigned char *)p; s->size = (size_t)st.st_size; s->mapped = 1;
                m->page = ps > 0 ? (size_t)ps : 0;
            }
        }
        close(fd);
    }
#endif
    if (s->mapped) r = sd__parse(m, m->nsrc - 1, s->bytes);
    else if (!m->cfg.low_memory) {
        if ((r = sd__read_file(m, path, &s->file, &s->size)) != SD_OK) return r;
        s->bytes = s->file;
        r = sd__parse(m, m->nsrc - 1, s->bytes);
    } else {
        r = sd__open_stream(m, s, path, &head);
        if (r == SD_OK) r = sd__parse(m, m->nsrc - 1, head);
        sd__free(m, head);
    }
    if (r != SD_OK) {
        char msg[SD__ERRLEN];
        memcpy(msg, m->err, sizeof msg);
        return sd__fail(m, r, "%s: %s", path, msg);
    }
    return SD_OK;
}

static int sd__exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

SDDEF sd_result sd_load(sd_model *m, const char *path)
{
    sd_result r = SD_OK;
    char p[1024];
    sd__unload(m);
    m->err[0] = 0;
    if (strlen(path) > 900) return sd__fail(m, SD_ERR_ARG, "path too long");
    snprintf(p, sizeof p, "%s/model_index.json", path);
    if (sd__exists(p)) {   /* a diffusers model folder */
        static const char *const parts[][2] = {
            { "unet/diffusion_pytorch_model.safetensors", "unet/diffusion_pytorch_model.fp16.safetensors" },
            { "vae/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.fp16.safetensors" },
            { "text_encoder/model.safetensors", "text_encoder/model.fp16.safetensors" } };
        int i, k;
        for (i = 0; i < 3 && r == SD_OK; i++)
            for (k = 0; k < 2; k++) {
                snprintf(p, sizeof p, "%s/%s", path, parts[i][k]);
                if (sd__exists(p)) { r = sd__add_file(m, p); break; }
            }
        if (r == SD_OK && m->nsrc == 0)
            r = sd__fail(m, SD_ERR_IO, "%s: a diffusers folder without safetensors weights (unet/, vae/, text_encoder/); "
                         "only .safetensors files are read", path);
    } else r = sd__add_file(m, path);
    if (r == SD_OK) {
        r = sd__finish(m);
        if (r != SD_OK && m->nsrc == 1) {
            char msg[SD__ERRLEN];
            memcpy(msg, m->err, sizeof msg);
            sd__fail(m, r, "%s: %s", path, msg);
        }
    }
    if (r != SD_OK) sd__unload(m);
    return r;
}

SDDEF sd_result sd_load_vae(sd_model *m, const char *path)
{
    sd_result r;
    int nt = m->nt;
    m->err[0] = 0;
    if (m->nsrc == 0) return sd__fail(m, SD_ERR_STATE, "load the model before its VAE");
    r = sd__add_file(m, path);
    if (r == SD_OK) {
        int i, vae = 0;
        for (i = nt; i < m->nt; i++) if (!strncmp(m->t[i].name, "first_stage_model.", 18)) vae++;
        if (!vae) r = sd__fail(m, SD_ERR_MODEL, "%s: no VAE tensors in this file", path);
    }
    if (r == SD_OK) r = sd__finish(m);
    if (r != SD_OK) {
        char msg[SD__ERRLEN];
        memcpy(msg, m->err, sizeof msg);
        sd__unload(m);
        sd__fail(m, r, "%s (the model is unloaded)", msg);
    }
    return r;
}
#endif

/* ---------------------------------------------------------------- shape inference
   Widths, depths and levels are read from the tensors, as real checkpoints need; then every
   tensor the model uses is looked up with the shape the inferred architecture expects. */

typedef struct sd__ld {        /* the state of one model build: the first error wins */
    sd_model *m;
    sd_result r;
} sd__ld;

static int sd__has(const sd_model *m, const char *fmt, ...)
{
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return sd__find(m, name) != NULL;
}

/* is there any tensor whose name starts with prefix? */
static int sd__has_prefix(const sd_model *m, const char *prefix)
{
    int lo = 0, hi = m->nt;
    size_t n = strlen(prefix);
    while (lo < hi) {  /* first name >= prefix */
        int mid = (lo + hi) / 2;
        if (strcmp(m->t[mid].name, prefix) < 0) lo = mid + 1; else hi = mid;
    }
    return lo < m->nt && strncmp(m->t[lo].name, prefix, n) == 0;
}

static void sd__shape_str(char *buf, size_t cap, int ndim, const int64_t *shape)
{
    int i;
    size_t len = 0;
    len += (size_t)snprintf(buf, cap, "[");
    for (i = 0; i < ndim && len < cap; i++) len += (size_t)snprintf(buf + len, cap - len, "%s%lld", i ? "," : "", (long long)shape[i]);
    if (len < cap) snprintf(buf + len, cap - len, "]");
}

/* prefix+suffix with exactly this shape (ndim dims of d), as a float tensor */
static const sd__tensor *sd__tget(sd__ld *L, const char *prefix, const char *suffix, int ndim, const int64_t *d)
{
    char name[300];
    const sd__tensor *t;
    int i, ok;
    if (L->r != SD_OK) return NULL;
    snprintf(name, sizeof name, "%s%s", prefix, suffix);
    t = sd__find(L->m, name);
    if (!t) { L->r = sd__fail(L->m, SD_ERR_MODEL, "tensor '%s' missing", name); return NULL; }
    if (!sd__is_float(t->dtype)) {
        L->r = sd__fail(L->m, SD_ERR_MODEL, "tensor '%s': dtype %s, a float type (F32, F16, BF16) expected", name, sd__dtype_name[t->dtype]);
        return NULL;
    }
    ok = t->ndim == ndim;
    for (i = 0; ok && i < ndim; i++) ok = t->shape[i] == d[i];
    if (!ok) {
        char found[96], want[96];
        sd__shape_str(found, sizeof found, t->ndim, t->shape);
        sd__shape_str(want, sizeof want, ndim, d);
        L->r = sd__fail(L->m, SD_ERR_MODEL, "tensor '%s': shape %s found, %s expected", name, found, want);
        return NULL;
    }
    return t;
}

static const float *sd__vec(sd__ld *L, const char *prefix, const char *suffix, int c)
{
    int64_t d[1];
    const sd__tensor *t;
    d[0] = c;
    t = sd__tget(L, prefix, suffix, 1, d);
    return t ? t->f32 : NULL;
}

static sd__norm sd__norm_get(sd__ld *L, const char *prefix, int c)
{
    sd__norm n;
    n.w = sd__vec(L, prefix, ".weight", c);
    n.b = sd__vec(L, prefix, ".bias", c);
    return n;
}

/* a Linear [co,ci] (k == 0) or a Conv2d [co,ci,k,k] (k > 0); bias [co] when asked */
static sd__lin sd__lin_get(sd__ld *L, const char *prefix, int co, int ci, int k, int bias)
{
    sd__lin l;
    int64_t d[4];
    d[0] = co; d[1] = ci; d[2] = k; d[3] = k;
    l.w = sd__tget(L, prefix, ".weight", k ? 4 : 2, d);
    l.b = bias ? sd__vec(L, prefix, ".bias", co) : NULL;
    return l;
}

/* the VAE's attention projections: 1x1 convs in LDM files, Linear in some conversions */
static sd__lin sd__lin1x1_get(sd__ld *L, const char *prefix, int c)
{
    char name[300];
    const sd__tensor *t;
    snprintf(name, sizeof name, "%s.weight", prefix);
    t = sd__find(L->m, name);
    return sd__lin_get(L, prefix, c, c, t && t->ndim == 2 ? 0 : 1, 1);
}

static const char *sd__fmt(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return buf;
}

/* ResBlock / ResnetBlock: the UNet names its parts in_layers/out_layers, the VAE norm1/conv1 */
static void sd__res_get(sd__ld *L, sd__res *r, const char *p, int ci, int co, int emb_dim)
{
    char b[300];
    int unet = emb_dim > 0;
    r->c_in = ci; r->c_out = co;
    r->norm1 = sd__norm_get(L, sd__fmt(b, sizeof b, unet ? "%s.in_layers.0" : "%s.norm1", p), ci);
    r->conv1 = sd__lin_get(L, sd__fmt(b, sizeof b, unet ? "%s.in_layers.2" : "%s.conv1", p), co, ci, 3, 1);
    if (unet) r->emb = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.emb_layers.1", p), co, emb_dim, 0, 1);
    else { r->emb.w = NULL; r->emb.b = NULL; }
    r->norm2 = sd__norm_get(L, sd__fmt(b, sizeof b, unet ? "%s.out_layers.0" : "%s.norm2", p), co);
    r->conv2 = sd__lin_get(L, sd__fmt(b, sizeof b, unet ? "%s.out_layers.3" : "%s.conv2", p), co, co, 3, 1);
    if (ci != co) r->skip = sd__lin_get(L, sd__fmt(b, sizeof b, unet ? "%s.skip_connection" : "%s.nin_shortcut", p), co, ci, 1, 1);
    else { r->skip.w = NULL; r->skip.b = NULL; }
}

static void sd__xformer_get(sd__ld *L, sd__xformer *x, const char *p, int c, int depth, int ctx)
{
    char b[300];
    int i;
    x->c = c; x->depth = depth;
    x->norm = sd__norm_get(L, sd__fmt(b, sizeof b, "%s.norm", p), c);
    x->proj_in = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.proj_in", p), c, c, 1, 1);
    x->proj_out = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.proj_out", p), c, c, 1, 1);
    if (L->r != SD_OK) return;
    x->blocks = (sd__tblock *)sd__calloc(L->m, (size_t)depth, sizeof *x->blocks);
    if (!x->blocks) { L->r = sd__fail(L->m, SD_ERR_NOMEM, "out of memory"); return; }
    for (i = 0; i < depth; i++) {
        sd__tblock *t = &x->blocks[i];
        t->norm1 = sd__norm_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.norm1", p, i), c);
        t->norm2 = sd__norm_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.norm2", p, i), c);
        t->norm3 = sd__norm_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.norm3", p, i), c);
        t->attn1.q = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.attn1.to_q", p, i), c, c, 0, 0);
        t->attn1.k = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.attn1.to_k", p, i), c, c, 0, 0);
        t->attn1.v = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.attn1.to_v", p, i), c, c, 0, 0);
        t->attn1.out = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.attn1.to_out.0", p, i), c, c, 0, 1);
        t->attn2.q = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.attn2.to_q", p, i), c, c, 0, 0);
        t->attn2.k = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.attn2.to_k", p, i), c, ctx, 0, 0);
        t->attn2.v = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.attn2.to_v", p, i), c, ctx, 0, 0);
        t->attn2.out = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.attn2.to_out.0", p, i), c, c, 0, 1);
        t->ff1 = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.ff.net.0.proj", p, i), 8 * c, c, 0, 1);
        t->ff2 = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.ff.net.2", p, i), c, 4 * c, 0, 1);
    }
}

#define SD__UNET "model.diffusion_model."
#define SD__VAE "first_stage_model."
#define SD__CLIP "cond_stage_model.transformer.text_model."

static int sd__dim(const sd_model *m, const char *name, int d)
{
    const sd__tensor *t = sd__find(m, name);
    return t && t->ndim > d && t->shape[d] < INT_MAX ? (int)t->shape[d] : -1;
}

static sd_result sd__build_unet(sd_model *m)
{
    sd__unet *u = &m->unet;
    sd__ld L;
    char b[300];
    int i, level = 0, c, nres0 = 0, skip_ch[SD__MAXBLK * 2], nskip = 0, in_ch;
    L.m = m; L.r = SD_OK;
    u->ch = sd__dim(m, SD__UNET "input_blocks.0.0.weight", 0);
    in_ch = sd__dim(m, SD__UNET "input_blocks.0.0.weight", 1);
    if (u->ch <= 0 || u->ch % 32) return sd__fail(m, SD_ERR_MODEL, "UNet: input_blocks.0.0.weight has %d channels, a multiple of 32 expected", u->ch);
    if (in_ch == 9) return sd__fail(m, SD_ERR_MODEL, "this is an inpainting checkpoint (UNet takes 9 channels): not supported");
    if (in_ch != 4) return sd__fail(m, SD_ERR_MODEL, "UNet takes %d input channels, 4 expected (SD 1.x)", in_ch);
    u->emb_dim = sd__dim(m, SD__UNET "time_embed.0.weight", 0);
    u->heads = 8;
    /* walk the input blocks once to find levels, widths, res blocks and attention */
    memset(u->mult, 0, sizeof u->mult);
    for (i = 1; i < SD__MAXBLK; i++) {
        if (sd__has(m, SD__UNET "input_blocks.%d.0.op.weight", i)) { if (++level >= SD__MAXLEV) break; continue; }
        if (!sd__has(m, SD__UNET "input_blocks.%d.0.in_layers.0.weight", i)) break;
        c = sd__dim(m, sd__fmt(b, sizeof b, SD__UNET "input_blocks.%d.0.in_layers.2.weight", i), 0);
        if (c <= 0 || c % u->ch) return sd__fail(m, SD_ERR_MODEL, "UNet: input_blocks.%d has %d channels, a multiple of %d expected", i, c, u->ch);
        u->mult[level] = c / u->ch;
        u->attn[level] = sd__has(m, SD__UNET "input_blocks.%d.1.proj_in.weight", i);
        if (level == 0) nres0++;
        if (u->attn[level] && !u->depth) {
            while (sd__has(m, SD__UNET "input_blocks.%d.1.transformer_blocks.%d.norm1.weight", i, u->depth)) u->depth++;
            u->ctx_dim = sd__dim(m, sd__fmt(b, sizeof b, SD__UNET "input_blocks.%d.1.transformer_blocks.0.attn2.to_k.weight", i), 1);
        }
    }
    u->levels = level + 1;
    u->nres = nres0;
    if (u->levels < 2 || u->nres < 1 || u->nres > 3 || u->depth < 1 || u->ctx_dim <= 0)
        return sd__fail(m, SD_ERR_MODEL, "UNet: cannot make out an SD 1.x layout (%d levels, %d res blocks, depth %d)", u->levels, u->nres, u->depth);
    for (i = 0; i < u->levels; i++)
        if (u->mult[i] <= 0) return sd__fail(m, SD_ERR_MODEL, "UNet: level %d has no res block", i);
    /* now every tensor, with the shape the architecture needs */
    u->time1 = sd__lin_get(&L, SD__UNET "time_embed.0", u->emb_dim, u->ch, 0, 1);
    u->time2 = sd__lin_get(&L, SD__UNET "time_embed.2", u->emb_dim, u->emb_dim, 0, 1);
    u->conv_in = sd__lin_get(&L, SD__UNET "input_blocks.0.0", u->ch, 4, 3, 1);
    c = u->ch;
    skip_ch[nskip++] = c;
    u->n_in = 0;
    for (level = 0; level < u->levels; level++) {
        int r;
        for (r = 0; r < u->nres; r++) {
            sd__ublock *k = &u->in[u->n_in];
            int co = u->ch * u->mult[level], idx = u->n_in + 1;
            k->level = level;
            k->has_res = 1;
            sd__res_get(&L, &k->res, sd__fmt(b, sizeof b, SD__UNET "input_blocks.%d.0", idx), c, co, u->emb_dim);
            c = co;
            if (u->attn[level]) {
                k->has_attn = 1;
                sd__xformer_get(&L, &k->attn, sd__fmt(b, sizeof b, SD__UNET "input_blocks.%d.1", idx), c, u->depth, u->ctx_dim);
            }
            skip_ch[nskip++] = c;
            u->n_in++;
        }
        if (level != u->levels - 1) {
            sd__ublock *k = &u->in[u->n_in];
            k->level = level;
            k->down = 1;
            k->conv = sd__lin_get(&L, sd__fmt(b, sizeof b, SD__UNET "input_blocks.%d.0.op", u->n_in + 1), c, c, 3, 1);
            skip_ch[nskip++] = c;
            u->n_in++;
        }
    }
    sd__res_get(&L, &u->mid1, SD__UNET "middle_block.0", c, c, u->emb_dim);
    sd__xformer_get(&L, &u->mid_attn, SD__UNET "middle_block.1", c, u->depth, u->ctx_dim);
    sd__res_get(&L, &u->mid2, SD__UNET "middle_block.2", c, c, u->emb_dim);
    u->n_out = 0;
    for (level = u->levels - 1; level >= 0; level--) {
        int r;
        for (r = 0; r <= u->nres; r++) {
            sd__ublock *k = &u->out[u->n_out];
            int co = u->ch * u->mult[level], idx = u->n_out;
            k->level = level;
            k->has_res = 1;
            sd__res_get(&L, &k->res, sd__fmt(b, sizeof b, SD__UNET "output_blocks.%d.0", idx), c + skip_ch[--nskip], co, u->emb_dim);
            c = co;
            if (u->attn[level]) {
                k->has_attn = 1;
                sd__xformer_get(&L, &k->attn, sd__fmt(b, sizeof b, SD__UNET "output_blocks.%d.1", idx), c, u->depth, u->ctx_dim);
            }
            if (level != 0 && r == u->nres) {
                k->up = 1;
                k->conv = sd__lin_get(&L, sd__fmt(b, sizeof b, SD__UNET "output_blocks.%d.%d.conv", idx, k->has_attn ? 2 : 1), c, c, 3, 1);
            }
            u->n_out++;
        }
    }
    u->norm_out = sd__norm_get(&L, SD__UNET "out.0", c);
    u->conv_out = sd__lin_get(&L, SD__UNET "out.2", 4, c, 3, 1);
    return L.r;
}

static sd_result sd__build_vae(sd_model *m)
{
    sd__vae *v = &m->vae;
    sd__ld L;
    char b[300];
    int l, r, c, cl;
    L.m = m; L.r = SD_OK;
    v->ch = sd__dim(m, SD__VAE "encoder.conv_in.weight", 0);
    v->z = sd__dim(m, SD__VAE "decoder.conv_in.weight", 1);
    for (v->levels = 0; v->levels < SD__MAXLEV && sd__has(m, SD__VAE "encoder.down.%d.block.0.conv1.weight", v->levels); v->levels++)
        v->mult[v->levels] = sd__dim(m, sd__fmt(b, sizeof b, SD__VAE "encoder.down.%d.block.0.conv1.weight", v->levels), 0) / (v->ch > 0 ? v->ch : 1);
    for (v->nres = 0; v->nres < 4 && sd__has(m, SD__VAE "encoder.down.0.block.%d.conv1.weight", v->nres); v->nres++) {}
    if (v->ch <= 0 || v->ch % 32 || v->z <= 0 || v->levels < 1 || v->nres < 1)
        return sd__fail(m, SD_ERR_MODEL, "VAE: cannot make out the layout (%d channels, %d levels, latent %d)", v->ch, v->levels, v->z);
    for (l = 0; l < v->levels; l++)
        if (v->mult[l] <= 0) return sd__fail(m, SD_ERR_MODEL, "VAE: level %d has an unusable width", l);
    /* encoder */
    v->enc_conv_in = sd__lin_get(&L, SD__VAE "encoder.conv_in", v->ch, 3, 3, 1);
    c = v->ch;
    for (l = 0; l < v->levels; l++) {
        for (r = 0; r < v->nres; r++) {
            sd__res_get(&L, &v->enc_res[l][r], sd__fmt(b, sizeof b, SD__VAE "encoder.down.%d.block.%d", l, r), c, v->ch * v->mult[l], 0);
            c = v->ch * v->mult[l];
        }
        if (l != v->levels - 1) v->enc_down[l] = sd__lin_get(&L, sd__fmt(b, sizeof b, SD__VAE "encoder.down.%d.downsample.conv", l), c, c, 3, 1);
    }
    sd__res_get(&L, &v->enc_mid1, SD__VAE "encoder.mid.block_1", c, c, 0);
    v->enc_attn.norm = sd__norm_get(&L, SD__VAE "encoder.mid.attn_1.norm", c);
    v->enc_attn.q = sd__lin1x1_get(&L, SD__VAE "encoder.mid.attn_1.q", c);
    v->enc_attn.k = sd__lin1x1_get(&L, SD__VAE "encoder.mid.attn_1.k", c);
    v->enc_attn.v = sd__lin1x1_get(&L, SD__VAE "encoder.mid.attn_1.v", c);
    v->enc_attn.proj = sd__lin1x1_get(&L, SD__VAE "encoder.mid.attn_1.proj_out", c);
    sd__res_get(&L, &v->enc_mid2, SD__VAE "encoder.mid.block_2", c, c, 0);
    v->enc_norm_out = sd__norm_get(&L, SD__VAE "encoder.norm_out", c);
    v->enc_conv_out = sd__lin_get(&L, SD__VAE "encoder.conv_out", 2 * v->z, c, 3, 1);
    v->quant = sd__lin_get(&L, SD__VAE "quant_conv", 2 * v->z, 2 * v->z, 1, 1);
    /* decoder */
    cl = v->ch * v->mult[v->levels - 1];
    v->post_quant = sd__lin_get(&L, SD__VAE "post_quant_conv", v->z, v->z, 1, 1);
    v->dec_conv_in = sd__lin_get(&L, SD__VAE "decoder.conv_in", cl, v->z, 3, 1);
    c = cl;
    sd__res_get(&L, &v->dec_mid1, SD__VAE "decoder.mid.block_1", c, c, 0);
    v->dec_attn.norm = sd__norm_get(&L, SD__VAE "decoder.mid.attn_1.norm", c);
    v->dec_attn.q = sd__lin1x1_get(&L, SD__VAE "decoder.mid.attn_1.q", c);
    v->dec_attn.k = sd__lin1x1_get(&L, SD__VAE "decoder.mid.attn_1.k", c);
    v->dec_attn.v = sd__lin1x1_get(&L, SD__VAE "decoder.mid.attn_1.v", c);
    v->dec_attn.proj = sd__lin1x1_get(&L, SD__VAE "decoder.mid.attn_1.proj_out", c);
    sd__res_get(&L, &v->dec_mid2, SD__VAE "decoder.mid.block_2", c, c, 0);
    for (l = v->levels - 1; l >= 0; l--) {
        for (r = 0; r <= v->nres; r++) {
            sd__res_get(&L, &v->dec_res[l][r], sd__fmt(b, sizeof b, SD__VAE "decoder.up.%d.block.%d", l, r), c, v->ch * v->mult[l], 0);
            c = v->ch * v->mult[l];
        }
        if (l != 0) v->dec_up[l] = sd__lin_get(&L, sd__fmt(b, sizeof b, SD__VAE "decoder.up.%d.upsample.conv", l), c, c, 3, 1);
    }
    v->dec_norm_out = sd__norm_get(&L, SD__VAE "decoder.norm_out", c);
    v->dec_conv_out = sd__lin_get(&L, SD__VAE "decoder.conv_out", 3, c, 3, 1);
    return L.r;
}

static sd_result sd__build_clip(sd_model *m)
{
    sd__clip *t = &m->clip;
    sd__ld L;
    char b[300];
    int i, D;
    int64_t d[2];
    L.m = m; L.r = SD_OK;
    t->vocab = sd__dim(m, SD__CLIP "embeddings.token_embedding.weight", 0);
    t->width = D = sd__dim(m, SD__CLIP "embeddings.token_embedding.weight", 1);
    t->positions = sd__dim(m, SD__CLIP "embeddings.position_embedding.weight", 0);
    for (t->layers = 0; sd__has(m, SD__CLIP "encoder.layers.%d.layer_norm1.weight", t->layers); t->layers++) {}
    t->mlp = sd__dim(m, SD__CLIP "encoder.layers.0.mlp.fc1.weight", 0);
    if (D <= 0 || D % 64 || t->layers < 1 || t->mlp <= 0 || t->vocab < 2)
        return sd__fail(m, SD_ERR_MODEL, "text encoder: cannot make out the layout (width %d, %d layers)", D, t->layers);
    if (t->positions != SD_TOKENS)
        return sd__fail(m, SD_ERR_MODEL, "text encoder: %d positions, %d expected", t->positions, SD_TOKENS);
    t->heads = D / 64;
    d[0] = t->vocab; d[1] = D;
    t->tok_emb = sd__tget(&L, SD__CLIP "embeddings.token_embedding", ".weight", 2, d);
    d[0] = SD_TOKENS;
    t->pos_emb = sd__tget(&L, SD__CLIP "embeddings.position_embedding", ".weight", 2, d);
    if (L.r != SD_OK) return L.r;
    t->layer = (sd__clip_layer *)sd__calloc(m, (size_t)t->layers, sizeof *t->layer);
    if (!t->layer) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    for (i = 0; i < t->layers; i++) {
        sd__clip_layer *y = &t->layer[i];
        y->ln1 = sd__norm_get(&L, sd__fmt(b, sizeof b, SD__CLIP "encoder.layers.%d.layer_norm1", i), D);
        y->ln2 = sd__norm_get(&L, sd__fmt(b, sizeof b, SD__CLIP "encoder.layers.%d.layer_norm2", i), D);
        y->q = sd__lin_get(&L, sd__fmt(b, sizeof b, SD__CLIP "encoder.layers.%d.self_attn.q_proj", i), D, D, 0, 1);
        y->k = sd__lin_get(&L, sd__fmt(b, sizeof b, SD__CLIP "encoder.layers.%d.self_attn.k_proj", i), D, D, 0, 1);
        y->v = sd__lin_get(&L, sd__fmt(b, sizeof b, SD__CLIP "encoder.layers.%d.self_attn.v_proj", i), D, D, 0, 1);
        y->o = sd__lin_get(&L, sd__fmt(b, sizeof b, SD__CLIP "encoder.layers.%d.self_attn.out_proj", i), D, D, 0, 1);
        y->fc1 = sd__lin_get(&L, sd__fmt(b, sizeof b, SD__CLIP "encoder.layers.%d.mlp.fc1", i), t->mlp, D, 0, 1);
        y->fc2 = sd__lin_get(&L, sd__fmt(b, sizeof b, SD__CLIP "encoder.layers.%d.mlp.fc2", i), D, t->mlp, 0, 1);
    }
    t->ln_final = sd__norm_get(&L, SD__CLIP "final_layer_norm", D);
    return L.r;
}

/* frees what a model build allocated */
static void sd__build_free(sd_model *m)
{
    int i;
    for (i = 0; i < m->unet.n_in; i++) sd__free(m, m->unet.in[i].attn.blocks);
    for (i = 0; i < m->unet.n_out; i++) sd__free(m, m->unet.out[i].attn.blocks);
    sd__free(m, m->unet.mid_attn.blocks);
    sd__free(m, m->clip.layer);
    memset(&m->unet, 0, sizeof m->unet);
    memset(&m->clip, 0, sizeof m->clip);
    memset(&m->vae, 0, sizeof m->vae);
    m->has_unet = m->has_vae = m->has_text = 0;
}

static sd_result sd__build(sd_model *m)
{
    sd_result r;
    if (sd__has_prefix(m, "conditioner.embedders.") || sd__has(m, SD__UNET "label_emb.0.0.weight"))
        return sd__fail(m, SD_ERR_MODEL, "this is an SDXL checkpoint; sd.h runs SD 1.x models only");
    if (sd__has_prefix(m, "cond_stage_model.model.") ||
        (sd__dim(m, SD__UNET "input_blocks.1.1.proj_in.weight", 0) > 0 && sd__find(m, SD__UNET "input_blocks.1.1.proj_in.weight")->ndim == 2))
        return sd__fail(m, SD_ERR_MODEL, "this is an SD 2.x checkpoint (OpenCLIP text encoder, linear projections); sd.h runs SD 1.x models only");
    if (sd__has_prefix(m, SD__UNET "add_embedding."))
        return sd__fail(m, SD_ERR_MODEL, "this is an SDXL checkpoint; sd.h runs SD 1.x models only");
    m->has_unet = sd__has(m, SD__UNET "input_blocks.0.0.weight");
    m->has_vae = sd__has(m, SD__VAE "decoder.conv_in.weight");
    m->has_text = sd__has(m, SD__CLIP "embeddings.token_embedding.weight");
    if (!m->has_unet && !m->has_vae && !m->has_text)
        return sd__fail(m, SD_ERR_MODEL, "no Stable Diffusion 1.x model in this file (no UNet, VAE or text encoder tensors)");
    if (m->has_unet && (r = sd__build_unet(m)) != SD_OK) return r;
    if (m->has_vae && (r = sd__build_vae(m)) != SD_OK) return r;
    if (m->has_text && (r = sd__build_clip(m)) != SD_OK) return r;
    if (m->has_unet && m->has_text && m->unet.ctx_dim != m->clip.width)
        return sd__fail(m, SD_ERR_MODEL, "the text encoder is %d wide but the UNet attends to a context of %d", m->clip.width, m->unet.ctx_dim);
    if (m->has_unet && m->has_text && m->unet.ctx_dim == 1024)
        return sd__fail(m, SD_ERR_MODEL, "this looks like an SD 2.x checkpoint; sd.h runs SD 1.x models only");
    if (!m->has_unet || !m->has_vae || !m->has_text)
        sd__warn(m, "the checkpoint has %s%s%s only", m->has_unet ? "a UNet " : "", m->has_vae ? "a VAE " : "", m->has_text ? "a text encoder " : "");
    return SD_OK;
}

SDDEF sd_result sd_model_info(const sd_model *m, sd_info *info)
{
    int i;
    memset(info, 0, sizeof *info);
    info->n_tensors = m->nt;
    for (i = 0; i < m->nt; i++) {
        const sd__tensor *t = &m->t[i];
        if (t->dtype == SD__F32) info->n_f32++;
        else if (t->dtype == SD__F16) info->n_f16++;
        else if (t->dtype == SD__BF16) info->n_bf16++;
        else info->n_other++;
        if (!sd__is_float(t->dtype)) continue;
        if (strncmp(t->name, SD__UNET, strlen(SD__UNET)) == 0) info->params_unet += t->numel;
        else if (strncmp(t->name, SD__VAE, strlen(SD__VAE)) == 0) info->params_vae += t->numel;
        else if (strncmp(t->name, SD__CLIP, strlen(SD__CLIP)) == 0) info->params_text += t->numel;
    }
    info->has_unet = m->has_unet; info->has_vae = m->has_vae; info->has_text = m->has_text;
    if (m->has_unet) {
        info->unet_channels = m->unet.ch; info->unet_levels = m->unet.levels; info->unet_res_blocks = m->unet.nres;
        info->unet_depth = m->unet.depth; info->unet_heads = m->unet.heads; info->context_dim = m->unet.ctx_dim;
        for (i = 0; i < m->unet.levels; i++) { info->unet_mult[i] = m->unet.mult[i]; info->unet_attention[i] = m->unet.attn[i]; }
    }
    if (m->has_text) {
        info->text_width = m->clip.width; info->text_layers = m->clip.layers; info->text_heads = m->clip.heads;
        info->text_vocab = m->clip.vocab; info->text_positions = m->clip.positions;
    }
    if (m->has_vae) {
        info->vae_channels = m->vae.ch; info->vae_levels = m->vae.levels; info->vae_res_blocks = m->vae.nres;
        info->latent_channels = m->vae.z;
        for (i = 0; i < m->vae.levels; i++) info->vae_mult[i] = m->vae.mult[i];
    }
    return m->nt ? SD_OK : SD_ERR_STATE;
}

/* ---------------------------------------------------------------- model lifetime */

static void sd__vocab_free(sd_model *m);

SDDEF sd_config sd_config_default(void)
{
    sd_config c;
    memset(&c, 0, sizeof c);
    c.reference = SD__REFERENCE_DEFAULT;
    return c;
}

SDDEF sd_model *sd_create(const sd_config *config)
{
    sd_config c = config ? *config : sd_config_default();
    sd_model *m;
    if ((c.alloc == NULL) != (c.free == NULL)) return NULL;   /* both or neither */
    m = (sd_model *)(c.alloc ? c.alloc(c.alloc_user, sizeof *m) : SD_MALLOC(sizeof *m));
    if (!m) return NULL;
    memset(m, 0, sizeof *m);
    m->cfg = c;
    m->reference = c.reference;
#if SD__OMP
    m->n_threads = c.n_threads > 0 ? c.n_threads : omp_get_max_threads();
#else
    m->n_threads = 1;
#endif
    if (m->n_threads < 1) m->n_threads = 1;
    if (c.gpu) {
        if (!SD__HAVE_GPU) sd__fail(m, SD_ERR_UNSUPPORTED, "this build has no GPU support (build with sd_cuda.cu: make cuda); running on the CPU");
#ifdef SD_CUDA
        else {
            char why[256];
            why[0] = 0;
            m->gpu = sd_cuda_create(c.gpu == 2, why, sizeof why);
            if (!m->gpu) sd__fail(m, SD_ERR_UNSUPPORTED, "no usable GPU (%s); running on the CPU", why);
        }
#endif
    }
    return m;
}

SDDEF int sd_using_gpu(const sd_model *m) { return m && m->gpu != NULL; }

SDDEF void sd_free(sd_model *m)
{
    if (!m) return;
    sd__unload(m);
    sd__vocab_free(m);
    if (m->gpu) { sd_cuda_free(m->gpu, m->arena); sd_cuda_destroy(m->gpu); }
    else sd__free(m, m->arena);
    sd__free(m, m);
}

SDDEF double sd_last_flops(const sd_model *m) { return m->flops; }
SDDEF size_t sd_last_scratch(const sd_model *m) { return m->arena_peak; }

SDDEF const char *sd_error(const sd_model *m) { return m ? m->err : "no model (out of memory?)"; }

SDDEF const char *sd_result_name(sd_result r)
{
    switch (r) {
    case SD_OK: return "SD_OK";
    case SD_ERR_ARG: return "SD_ERR_ARG";
    case SD_ERR_NOMEM: return "SD_ERR_NOMEM";
    case SD_ERR_IO: return "SD_ERR_IO";
    case SD_ERR_FORMAT: return "SD_ERR_FORMAT";
    case SD_ERR_MODEL: return "SD_ERR_MODEL";
    case SD_ERR_STATE: return "SD_ERR_STATE";
    case SD_ERR_NUMERIC: return "SD_ERR_NUMERIC";
    case SD_ERR_CANCELLED: return "SD_ERR_CANCELLED";
    case SD_ERR_UNSUPPORTED: return "SD_ERR_UNSUPPORTED";
    }
    return "SD_ERR_?";
}

/* ================================================================ tokenizer
   CLIP's byte-level BPE (OpenAI simple_tokenizer.py): normalize the text (ftfy-like fixes,
   HTML unescape, whitespace folding, lowercase), split it with CLIP's pattern, map each
   piece's UTF-8 bytes to printable symbols, merge symbol pairs by rank, look up ids.
   Ids: 0..255 the byte symbols, 256..511 the same with the word-end mark </w>, then one per
   merge, then <|startoftext|> and <|endoftext|>. */

#define SD__MAX_MERGES (49152 - 256 - 2)

struct sd__vocab {
    int n_merges, n_symbols, bos, eos;
    int byte_sym[256];         /* byte -> its symbol id (add 256 for the </w> form) */
    char *pool;                /* all symbol strings, NUL-separated */
    int *sym_off;              /* symbol id -> offset in pool */
    int *str_slot;             /* hash: string -> symbol id + 1 */
    int str_cap;
    uint64_t *pair_key;        /* hash: (a, b) -> merge rank and merged symbol */
    int *pair_rank, *pair_sym;
    int pair_cap;
};

static uint32_t sd__hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* the id of a symbol string, or -1 */
static int sd__sym_find(const sd__vocab *v, const char *s, size_t n)
{
    uint32_t i = sd__hash(s, n) & (uint32_t)(v->str_cap - 1);
    for (;; i = (i + 1) & (uint32_t)(v->str_cap - 1)) {
        int id = v->str_slot[i] - 1;
        const char *t;
        if (id < 0) return -1;
        t = v->pool + v->sym_off[id];
        if (strlen(t) == n && memcmp(t, s, n) == 0) return id;
    }
}

/* the symbol list grows in vocabulary order; a later equal string takes over its slot */
static void sd__sym_add(sd__vocab *v, int id, const char *s, size_t n)
{
    uint32_t i = sd__hash(s, n) & (uint32_t)(v->str_cap - 1);
    for (;; i = (i + 1) & (uint32_t)(v->str_cap - 1)) {
        int old = v->str_slot[i] - 1;
        if (old < 0 || (strlen(v->pool + v->sym_off[old]) == n && memcmp(v->pool + v->sym_off[old], s, n) == 0)) {
            v->str_slot[i] = id + 1;
            return;
        }
    }
}

static int sd__pair_find(const sd__vocab *v, int a, int b, int *sym)
{
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    uint32_t i = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 40) & (uint32_t)(v->pair_cap - 1);
    for (;; i = (i + 1) & (uint32_t)(v->pair_cap - 1)) {
        if (v->pair_rank[i] < 0) return -1;
        if (v->pair_key[i] == key) { *sym = v->pair_sym[i]; return v->pair_rank[i]; }
    }
}

static void sd__pair_add(sd__vocab *v, int a, int b, int rank, int sym)
{
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    uint32_t i = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 40) & (uint32_t)(v->pair_cap - 1);
    for (;; i = (i + 1) & (uint32_t)(v->pair_cap - 1))
        if (v->pair_rank[i] < 0 || v->pair_key[i] == key) {
            v->pair_key[i] = key; v->pair_rank[i] = rank; v->pair_sym[i] = sym;   /* a repeated pair: the later rank, as dict() does */
            return;
        }
}

static void sd__vocab_free(sd_model *m)
{
    sd__vocab *v = m->vocab;
    if (!v) return;
    sd__free(m, v->pool); sd__free(m, v->sym_off); sd__free(m, v->str_slot);
    sd__free(m, v->pair_key); sd__free(m, v->pair_rank); sd__free(m, v->pair_sym);
    sd__free(m, v);
    m->vocab = NULL;
}

/* the UTF-8 of a code point; returns its length */
static int sd__utf8_put(char *out, uint32_t c)
{
    if (c < 0x80) { out[0] = (char)c; return 1; }
    if (c < 0x800) { out[0] = (char)(0xC0 | (c >> 6)); out[1] = (char)(0x80 | (c & 63)); return 2; }
    if (c < 0x10000) { out[0] = (char)(0xE0 | (c >> 12)); out[1] = (char)(0x80 | ((c >> 6) & 63)); out[2] = (char)(0x80 | (c & 63)); return 3; }
    out[0] = (char)(0xF0 | (c >> 18)); out[1] = (char)(0x80 | ((c >> 12) & 63));
    out[2] = (char)(0x80 | ((c >> 6) & 63)); out[3] = (char)(0x80 | (c & 63));
    return 4;
}

SDDEF sd_result sd_load_vocab_memory(sd_model *m, const char *text, size_t size)
{
    sd__vocab *v;
    const char *p = text, *end = text + size;
    size_t pool_cap, pool_len = 0;
    int i, n_lines = 0, line_no = 1;
    sd__vocab_free(m);
    m->err[0] = 0;
    if (size == 0) return sd__fail(m, SD_ERR_FORMAT, "the vocabulary (merges.txt) is empty");
    if (size < 8 || memcmp(text, "#version", 8) != 0)
        return sd__fail(m, SD_ERR_FORMAT, "not a CLIP merges.txt: the first line should be '#version: 0.2'");
    /* count lines to size the tables */
    for (; p < end; p++) if (*p == '\n') n_lines++;
    n_lines++;
    if (n_lines > SD__MAX_MERGES + 1) n_lines = SD__MAX_MERGES + 1;
    v = (sd__vocab *)sd__calloc(m, 1, sizeof *v);
    if (!v) return sd__fail(m, SD_ERR_NOMEM, "out of memory for the vocabulary");
    m->vocab = v;
    pool_cap = 512 * 8 + (size_t)(end - text) + 64;
    v->pool = (char *)sd__malloc(m, pool_cap);
    v->sym_off = (int *)sd__calloc(m, (size_t)n_lines + 520, sizeof(int));
    for (v->str_cap = 1024; v->str_cap < 2 * (n_lines + 520); v->str_cap *= 2) {}
    for (v->pair_cap = 1024; v->pair_cap < 2 * n_lines; v->pair_cap *= 2) {}
    v->str_slot = (int *)sd__calloc(m, (size_t)v->str_cap, sizeof(int));
    v->pair_key = (uint64_t *)sd__calloc(m, (size_t)v->pair_cap, sizeof(uint64_t));
    v->pair_rank = (int *)sd__malloc(m, (size_t)v->pair_cap * sizeof(int));
    v->pair_sym = (int *)sd__calloc(m, (size_t)v->pair_cap, sizeof(int));
    if (!v->pool || !v->sym_off || !v->str_slot || !v->pair_key || !v->pair_rank || !v->pair_sym) {
        sd__vocab_free(m);
        return sd__fail(m, SD_ERR_NOMEM, "out of memory for the vocabulary");
    }
    for (i = 0; i < v->pair_cap; i++) v->pair_rank[i] = -1;
    /* the 256 byte symbols: printable bytes stand for themselves, the others for 256+n;
       ids list the printable ones first, as CLIP's bytes_to_unicode() does */
    {
        uint32_t cp[256];
        int b, id = 0, n = 0, order[256];
        for (b = 0; b < 256; b++) {
            int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
            cp[b] = printable ? (uint32_t)b : 256u + (uint32_t)n++;
            if (printable) order[id++] = b;
        }
        for (b = 0; b < 256; b++) if (cp[b] >= 256) order[id++] = b;
        for (id = 0; id < 512; id++) {
            int byte = order[id % 256];
            v->sym_off[id] = (int)pool_len;
            pool_len += (size_t)sd__utf8_put(v->pool + pool_len, cp[byte]);
            if (id >= 256) { memcpy(v->pool + pool_len, "</w>", 4); pool_len += 4; }
            v->pool[pool_len++] = 0;
            if (id < 256) v->byte_sym[byte] = id;
            sd__sym_add(v, id, v->pool + v->sym_off[id], strlen(v->pool + v->sym_off[id]));
        }
    }
    /* the merges, one "a b" a line after the version line; CLIP reads at most 48894 */
    p = memchr(text, '\n', size) ? (const char *)memchr(text, '\n', size) + 1 : end;
    v->n_merges = 0;
    while (p < end && v->n_merges < SD__MAX_MERGES) {
        const char *eol = (const char *)memchr(p, '\n', (size_t)(end - p)), *sp, *q;
        size_t la, lb;
        int a, b, sym;
        if (!eol) eol = end;
        line_no++;
        q = eol;
        while (q > p && (q[-1] == '\r' || q[-1] == ' ' || q[-1] == '\t')) q--;
        if (q == p) {            /* an empty line is allowed only at the end */
            const char *r = eol;
            while (r < end && (*r == '\n' || *r == '\r' || *r == ' ' || *r == '\t')) r++;
            if (r == end) break;
            sd__vocab_free(m);
            return sd__fail(m, SD_ERR_FORMAT, "merges.txt line %d: empty line (expected two symbols)", line_no);
        }
        sp = (const char *)memchr(p, ' ', (size_t)(q - p));
        if (!sp || sp == p || sp + 1 >= q || memchr(sp + 1, ' ', (size_t)(q - sp - 1))) {
            sd__vocab_free(m);
            return sd__fail(m, SD_ERR_FORMAT, "merges.txt line %d: expected two symbols separated by one space", line_no);
        }
        la = (size_t)(sp - p); lb = (size_t)(q - sp - 1);
        a = sd__sym_find(v, p, la);
        b = sd__sym_find(v, sp + 1, lb);
        if (a < 0 || b < 0) {
            sd__vocab_free(m);
            return sd__fail(m, SD_ERR_FORMAT, "merges.txt line %d: '%.*s' is not a symbol made by the lines before it",
                            line_no, (int)(a < 0 ? la : lb), a < 0 ? p : sp + 1);
        }
        if (memchr(p, 0, (size_t)(q - p))) {
            sd__vocab_free(m);
            return sd__fail(m, SD_ERR_FORMAT, "merges.txt line %d: NUL byte", line_no);
        }
        sym = 512 + v->n_merges;
        v->sym_off[sym] = (int)pool_len;
        memcpy(v->pool + pool_len, p, la); pool_len += la;
        memcpy(v->pool + pool_len, sp + 1, lb); pool_len += lb;
        v->pool[pool_len++] = 0;
        sd__sym_add(v, sym, v->pool + v->sym_off[sym], la + lb);
        sd__pair_add(v, a, b, v->n_merges, sd__sym_find(v, v->pool + v->sym_off[sym], la + lb));
        v->n_merges++;
        p = eol + 1;
    }
    if (v->n_merges == 0) {
        sd__vocab_free(m);
        return sd__fail(m, SD_ERR_FORMAT, "merges.txt holds no merges");
    }
    /* a merge made earlier may now map to a later equal string: re-resolve every pair */
    for (i = 0; i < v->pair_cap; i++)
        if (v->pair_rank[i] >= 0) {
            const char *s = v->pool + v->sym_off[v->pair_sym[i]];
            v->pair_sym[i] = sd__sym_find(v, s, strlen(s));
        }
    v->bos = 512 + v->n_merges;
    v->eos = v->bos + 1;
    v->n_symbols = v->eos + 1;
    return SD_OK;
}

#ifndef SD_NO_STDIO
SDDEF sd_result sd_load_vocab(sd_model *m, const char *path)
{
    unsigned char *buf;
    size_t n;
    sd_result r = sd__read_file(m, path, &buf, &n);
    if (r != SD_OK) return r;
    r = sd_load_vocab_memory(m, (const char *)buf, n);
    sd__free(m, buf);
    if (r != SD_OK) {
        char msg[SD__ERRLEN];
        memcpy(msg, m->err, sizeof msg);
        return sd__fail(m, r, "%s: %s", path, msg);
    }
    return SD_OK;
}
#endif

/* Placeholder normalization (ASCII only) until the Unicode tables land. */
static sd_result sd__clip_normalize(const char *in, size_t len, char *out, size_t cap, size_t *outlen)
{
    size_t i, o = 0;
    int space = 0;
    (void)cap;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') { space = 1; continue; }
        if (space && o) out[o++] = ' ';
        space = 0;
        out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    *outlen = o;
    return SD_OK;
}

static int sd__isletter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80; }
static int sd__isdigit(unsigned char c) { return c >= '0' && c <= '9'; }

static int sd__clip_split(const char *s, size_t n, int *pieces)
{
    size_t i = 0;
    int np = 0;
    static const char *const contr[] = { "'s", "'t", "'re", "'ve", "'m", "'ll", "'d" };
    while (i < n) {
        size_t j = i, k;
        unsigned char c = (unsigned char)s[i];
        if (c == ' ') { i++; continue; }
        if (n - i >= 15 && memcmp(s + i, "<|startoftext|>", 15) == 0) j = i + 15;
        else if (n - i >= 13 && memcmp(s + i, "<|endoftext|>", 13) == 0) j = i + 13;
        else {
            for (k = 0; k < 7 && j == i; k++) {
                size_t l = strlen(contr[k]);
                if (n - i >= l && memcmp(s + i, contr[k], l) == 0) j = i + l;
            }
            if (j == i) {
                if (sd__isletter(c)) { while (j < n && sd__isletter((unsigned char)s[j])) j++; }
                else if (sd__isdigit(c)) j = i + 1;
                else { while (j < n && s[j] != ' ' && !sd__isletter((unsigned char)s[j]) && !sd__isdigit((unsigned char)s[j])) j++; }
            }
        }
        pieces[2 * np] = (int)i; pieces[2 * np + 1] = (int)(j - i); np++;
        i = j;
    }
    return np;
}


/* BPE of one piece (its UTF-8 bytes): start from byte symbols, the last with </w>, and
   merge the lowest-ranked adjacent pair everywhere until no pair has a rank. */
static int sd__bpe(const sd__vocab *v, const unsigned char *s, size_t n, int *w)
{
    size_t i, len = n;
    for (i = 0; i < n; i++) w[i] = v->byte_sym[s[i]];
    w[n - 1] += 256;
    while (len > 1) {
        int best = INT_MAX, a = -1, b = -1, sym = -1;
        size_t o;
        for (i = 0; i + 1 < len; i++) {
            int s2, r = sd__pair_find(v, w[i], w[i + 1], &s2);
            if (r >= 0 && r < best) { best = r; a = w[i]; b = w[i + 1]; sym = s2; }
        }
        if (a < 0) break;
        for (i = 0, o = 0; i < len; o++) {
            if (i + 1 < len && w[i] == a && w[i + 1] == b) { w[o] = sym; i += 2; }
            else w[o] = w[i++];
        }
        len = o;
    }
    return (int)len;
}

SDDEF sd_result sd_tokenize_bpe(sd_model *m, const char *prompt, int *ids, int cap, int *count)
{
    const sd__vocab *v = m->vocab;
    char *text;
    int *pieces, *w, npieces, i, n = 0;
    size_t len, tlen, maxpiece = 0;
    sd_result r;
    *count = 0;
    if (!v) return sd__fail(m, SD_ERR_STATE, "no vocabulary loaded (sd_load_vocab with the model's tokenizer/merges.txt)");
    if (!prompt) prompt = "";
    len = strlen(prompt);
    if (len > ((size_t)1 << 26)) return sd__fail(m, SD_ERR_ARG, "prompt of %lu bytes: over the 64 MB limit", (unsigned long)len);
    text = (char *)sd__malloc(m, 3 * len + 16);
    pieces = (int *)sd__malloc(m, (2 * len + 2) * sizeof(int));
    if (!text || !pieces) { sd__free(m, text); sd__free(m, pieces); return sd__fail(m, SD_ERR_NOMEM, "out of memory tokenizing"); }
    r = sd__clip_normalize(prompt, len, text, 3 * len + 16, &tlen);
    if (r != SD_OK) { sd__free(m, text); sd__free(m, pieces); return sd__fail(m, r, "prompt: cannot normalize"); }
    npieces = sd__clip_split(text, tlen, pieces);
    for (i = 0; i < npieces; i++) if ((size_t)pieces[2 * i + 1] > maxpiece) maxpiece = (size_t)pieces[2 * i + 1];
    w = (int *)sd__malloc(m, (maxpiece + 1) * sizeof(int));
    if (!w) { sd__free(m, text); sd__free(m, pieces); return sd__fail(m, SD_ERR_NOMEM, "out of memory tokenizing"); }
    for (i = 0; i < npieces; i++) {
        const char *s = text + pieces[2 * i];
        size_t pl = (size_t)pieces[2 * i + 1];
        int k, nw;
        if (pl == 15 && memcmp(s, "<|startoftext|>", 15) == 0) { if (n < cap) ids[n] = v->bos; n++; continue; }
        if (pl == 13 && memcmp(s, "<|endoftext|>", 13) == 0) { if (n < cap) ids[n] = v->eos; n++; continue; }
        nw = sd__bpe(v, (const unsigned char *)s, pl, w);
        for (k = 0; k < nw; k++) { if (n < cap) ids[n] = w[k]; n++; }
    }
    sd__free(m, w); sd__free(m, text); sd__free(m, pieces);
    *count = n;
    return SD_OK;
}

SDDEF sd_result sd_tokenize(sd_model *m, const char *prompt, int ids[SD_TOKENS])
{
    int bpe[SD_TOKENS - 2], n, i;
    sd_result r;
    if (!m->vocab) return sd__fail(m, SD_ERR_STATE, "no vocabulary loaded (sd_load_vocab with the model's tokenizer/merges.txt)");
    r = sd_tokenize_bpe(m, prompt, bpe, SD_TOKENS - 2, &n);
    if (r != SD_OK) return r;
    if (n > SD_TOKENS - 2) n = SD_TOKENS - 2;        /* truncation to 75 */
    ids[0] = m->vocab->bos;
    for (i = 0; i < n; i++) ids[1 + i] = bpe[i];
    for (i = n + 1; i < SD_TOKENS; i++) ids[i] = m->vocab->eos;
    return SD_OK;
}

/* ================================================================ text encoder
   CLIPTextModel (OpenAI CLIP's text transformer without the final projection).
   ids [77] -> token + position embeddings [77, D]
     -> per layer (pre-LN): x += attn(ln1(x)) with a causal mask, heads of 64
                            x += fc2(quick_gelu(fc1(ln2(x))))
     -> final_layer_norm -> [77, D]
   clip_skip 2 stops one layer early ("Clip skip 2"); the final norm still applies. */

static void sd__text_forward(sd_model *m, float *out, const float *emb, int layers)
{
    const sd__clip *t = &m->clip;
    int T = SD_TOKENS, D = t->width, l;
    float *x = sd__push(m, (size_t)T * D), *h = sd__push(m, (size_t)T * D);
    float *q = sd__push(m, (size_t)T * D), *k = sd__push(m, (size_t)T * D), *v = sd__push(m, (size_t)T * D);
    float *a = sd__push(m, (size_t)T * D), *f = sd__push(m, (size_t)T * t->mlp);
    sd__op_upload(m, x, emb, (size_t)T * D);
    for (l = 0; l < layers; l++) {
        const sd__clip_layer *y = &t->layer[l];
        sd__op_layernorm(m, h, x, T, D, &y->ln1);                        /* self-attention */
        sd__op_linear(m, q, h, T, D, &y->q, NULL);
        sd__op_linear(m, k, h, T, D, &y->k, NULL);
        sd__op_linear(m, v, h, T, D, &y->v, NULL);
        sd__op_attention(m, a, q, k, v, 1, t->heads, T, T, D / t->heads, 1);
        sd__op_linear(m, x, a, T, D, &y->o, x);
        sd__op_layernorm(m, h, x, T, D, &y->ln2);                        /* MLP */
        sd__op_linear(m, f, h, T, D, &y->fc1, NULL);
        sd__op_act(m, f, f, (size_t)T * t->mlp, 1);
        sd__op_linear(m, x, f, T, t->mlp, &y->fc2, x);
    }
    sd__op_layernorm(m, h, x, T, D, &t->ln_final);
    sd__op_download(m, out, h, (size_t)T * D);
    sd__pop(m, x);
}

/* ================================================================ UNet
   openaimodel.UNetModel of SD 1.x (diffusers UNet2DConditionModel), predicting the noise eps.
   x [N,4,h,w], t, context [N,77,Dc] -> eps [N,4,h,w]
     time:    sinusoid(t) [N,ch] -> Linear -> SiLU -> Linear -> emb [N,4ch]
     input:   conv_in, then per level: (ResBlock, SpatialTransformer?) x nres, stride-2 conv;
              every block's output is kept as a skip connection
     middle:  ResBlock, SpatialTransformer, ResBlock
     output:  per level, from the deepest: (concat skip, ResBlock, SpatialTransformer?) x (nres+1),
              nearest upsampling to the next skip's size + conv
     out:     GroupNorm + SiLU + conv -> [N,4,h,w] */

/* ResBlock: h = conv1(silu(gn1(x))) + emb_layers(silu(emb)); out = skip(x) + conv2(silu(gn2(h)))
   x [N,Ci,H,W] -> out [N,Co,H,W]; emb_act [N,E] is silu(emb) (NULL in the VAE) */
static void sd__resblock(sd_model *m, float *out, const float *x, const sd__res *r, int n, int h, int w,
                         const float *emb_act, int emb_dim, float eps)
{
    size_t mark = sd__mark(m);
    int ci = r->c_in, co = r->c_out, hw = h * w;
    float *st1 = sd__push(m, (size_t)n * ci * 2), *hh = sd__push(m, (size_t)n * co * hw), *st2 = sd__push(m, (size_t)n * co * 2);
    sd__conv g3, g1;
    g3.n = n; g3.c = ci; g3.h = h; g3.w = w; g3.up_h = g3.up_w = 0; g3.co = co; g3.k = 3; g3.stride = 1;
    g3.pad_t = g3.pad_l = 1; g3.ho = h; g3.wo = w;
    g1 = g3; g1.k = 1; g1.pad_t = g1.pad_l = 0;
    sd__op_gn_stats(m, st1, x, n, ci, hw, eps, &r->norm1);
    sd__op_conv(m, hh, x, &g3, &r->conv1, NULL, st1, 1);
    if (emb_act) {
        float *e = sd__push(m, (size_t)n * co);
        sd__op_linear(m, e, emb_act, n, emb_dim, &r->emb, NULL);
        sd__op_add_chan(m, hh, e, n, co, hw);
    }
    sd__op_gn_stats(m, st2, hh, n, co, hw, eps, &r->norm2);
    g3.c = co;
    if (r->skip.w) {
        sd__op_conv(m, out, x, &g1, &r->skip, NULL, NULL, 0);
        sd__op_conv(m, out, hh, &g3, &r->conv2, out, st2, 1);
    } else sd__op_conv(m, out, hh, &g3, &r->conv2, x, st2, 1);
    sd__release(m, mark);
}

#define SD__FF_ROWS 2048   /* the feed-forward runs on this many tokens at a time (512 in low-memory mode) */

/* BasicTransformerBlock on tokens a [N,T,C], in place:
   a += attn1(ln1(a)); a += attn2(ln2(a), context); a += ff2(geglu(ff1(ln3(a)))) */
static void sd__tblock_forward(sd_model *m, float *a, const sd__tblock *b, int n, int T, int c, int heads,
                               const float *ctx, int ctx_dim)
{
    size_t mark = sd__mark(m), rows = (size_t)n * T, r0;
    float *h = sd__push(m, rows * c), *q = sd__push(m, rows * c), *k = sd__push(m, rows * c);
    float *v = sd__push(m, rows * c), *o = sd__push(m, rows * c);
    float *kc = sd__push(m, (size_t)n * SD_TOKENS * c), *vc = sd__push(m, (size_t)n * SD_TOKENS * c);
    size_t ff_rows = m->cfg.low_memory ? SD__FF_ROWS / 4 : SD__FF_ROWS, chunk = rows < ff_rows ? rows : ff_rows;
    float *f = sd__push(m, chunk * 8 * c), *g = sd__push(m, chunk * 4 * c);
    /* self-attention */
    sd__op_layernorm(m, h, a, (int)rows, c, &b->norm1);
    sd__op_linear(m, q, h, (int)rows, c, &b->attn1.q, NULL);
    sd__op_linear(m, k, h, (int)rows, c, &b->attn1.k, NULL);
    sd__op_linear(m, v, h, (int)rows, c, &b->attn1.v, NULL);
    sd__op_attention(m, o, q, k, v, n, heads, T, T, c / heads, 0);
    sd__op_linear(m, a, o, (int)rows, c, &b->attn1.out, a);
    /* cross-attention on the text */
    sd__op_layernorm(m, h, a, (int)rows, c, &b->norm2);
    sd__op_linear(m, q, h, (int)rows, c, &b->attn2.q, NULL);
    sd__op_linear(m, kc, ctx, n * SD_TOKENS, ctx_dim, &b->attn2.k, NULL);
    sd__op_linear(m, vc, ctx, n * SD_TOKENS, ctx_dim, &b->attn2.v, NULL);
    sd__op_attention(m, o, q, kc, vc, n, heads, T, SD_TOKENS, c / heads, 0);
    sd__op_linear(m, a, o, (int)rows, c, &b->attn2.out, a);
    /* GEGLU feed-forward, a chunk of tokens at a time */
    sd__op_layernorm(m, h, a, (int)rows, c, &b->norm3);
    for (r0 = 0; r0 < rows; r0 += chunk) {
        int nr = (int)(rows - r0 < chunk ? rows - r0 : chunk);
        float *ar = sd__at(m, a, r0 * c);
        sd__op_linear(m, f, sd__at(m, h, r0 * c), nr, c, &b->ff1, NULL);
        sd__op_geglu(m, g, f, nr, 4 * c);
        sd__op_linear(m, ar, g, nr, 4 * c, &b->ff2, ar);
    }
    sd__release(m, mark);
}

/* SpatialTransformer: x [N,C,H,W] += proj_out(blocks(proj_in(gn(x)) as tokens [N,HW,C])), in place */
static void sd__xformer_forward(sd_model *m, float *x, const sd__xformer *s, int n, int h, int w, int heads,
                                const float *ctx, int ctx_dim)
{
    size_t mark = sd__mark(m);
    int c = s->c, T = h * w, i;
    float *st = sd__push(m, (size_t)n * c * 2), *tok = sd__push(m, (size_t)n * T * c), *a = sd__push(m, (size_t)n * T * c);
    sd__op_gn_stats(m, st, x, n, c, T, 1e-6f, &s->norm);
    sd__op_tokens(m, tok, x, n, c, T, st);
    sd__op_linear(m, a, tok, n * T, c, &s->proj_in, NULL);
    for (i = 0; i < s->depth; i++) sd__tblock_forward(m, a, &s->blocks[i], n, T, c, heads, ctx, ctx_dim);
    sd__op_linear(m, tok, a, n * T, c, &s->proj_out, NULL);
    sd__op_untokens(m, x, tok, n, c, T, x);
    sd__release(m, mark);
}

/* the sinusoidal timestep embedding [cos(t f_i) | sin(t f_i)], f_i = exp(-ln(10000) i / half),
   in float32 as diffusers computes it (flip_sin_to_cos, freq_shift 0) */
static void sd__timestep_embedding(float *out, float t, int dim)
{
    int i, half = dim / 2;
    for (i = 0; i < half; i++) {
        float e = (float)(-9.210340371976184) * (float)i / (float)half;
        float arg = t * expf(e);
        out[i] = cosf(arg);
        out[half + i] = sinf(arg);
    }
}

static void sd__unet_forward(sd_model *m, float *eps_out, const float *x_in, int n, int h, int w, const float *temb, const float *ctx_in)
{
    const sd__unet *u = &m->unet;
    int H[SD__MAXLEV], W[SD__MAXLEV], l, i, c, ns = 0, cur_c, E = u->emb_dim;
    float *skip[2 * SD__MAXBLK + 2], *emb, *emb_act, *t1, *cur, *cat, *ha, *hb, *st;
    int skip_c[2 * SD__MAXBLK + 2];
    size_t max_cat = 0, max_h = 0;
    sd__conv g;
    for (l = 0; l < u->levels; l++) {
        H[l] = l ? (H[l - 1] + 1) / 2 : h;
        W[l] = l ? (W[l - 1] + 1) / 2 : w;
    }
    /* time embedding; every ResBlock takes silu(emb) */
    float *x = sd__push(m, (size_t)n * 4 * h * w), *ctx = sd__push(m, (size_t)n * SD_TOKENS * u->ctx_dim);
    float *eps = sd__push(m, (size_t)n * 4 * h * w);
    sd__op_upload(m, x, x_in, (size_t)n * 4 * h * w);
    sd__op_upload(m, ctx, ctx_in, (size_t)n * SD_TOKENS * u->ctx_dim);
    emb = sd__push(m, (size_t)n * E); emb_act = sd__push(m, (size_t)n * E); t1 = sd__push(m, (size_t)n * E);
    sd__op_upload(m, emb_act, temb, (size_t)n * u->ch);
    sd__op_linear(m, t1, emb_act, n, u->ch, &u->time1, NULL);
    sd__op_act(m, t1, t1, (size_t)n * E, 0);
    sd__op_linear(m, emb, t1, n, E, &u->time2, NULL);
    sd__op_act(m, emb_act, emb, (size_t)n * E, 0);
    /* input blocks */
    c = u->ch;
    memset(&g, 0, sizeof g);
    g.n = n; g.c = 4; g.h = h; g.w = w; g.co = c; g.k = 3; g.stride = 1; g.pad_t = g.pad_l = 1; g.ho = h; g.wo = w;
    skip[ns] = sd__push(m, (size_t)n * c * h * w); skip_c[ns] = c;
    sd__op_conv(m, skip[ns], x, &g, &u->conv_in, NULL, NULL, 0);
    cur = skip[ns++];
    for (i = 0; i < u->n_in; i++) {
        const sd__ublock *k = &u->in[i];
        int lv = k->level;
        if (k->down) {
            g.c = c; g.h = H[lv]; g.w = W[lv]; g.co = c; g.stride = 2; g.ho = H[lv + 1]; g.wo = W[lv + 1];
            skip[ns] = sd__push(m, (size_t)n * c * H[lv + 1] * W[lv + 1]);
            sd__op_conv(m, skip[ns], cur, &g, &k->conv, NULL, NULL, 0);
        } else {
            skip[ns] = sd__push(m, (size_t)n * k->res.c_out * H[lv] * W[lv]);
            sd__resblock(m, skip[ns], cur, &k->res, n, H[lv], W[lv], emb_act, E, 1e-5f);
            c = k->res.c_out;
            if (k->has_attn) sd__xformer_forward(m, skip[ns], &k->attn, n, H[lv], W[lv], u->heads, ctx, u->ctx_dim);
        }
        skip_c[ns] = c;
        cur = skip[ns++];
    }
    /* middle */
    l = u->levels - 1;
    ha = sd__push(m, (size_t)n * c * H[l] * W[l]);
    hb = sd__push(m, (size_t)n * c * H[l] * W[l]);
    sd__resblock(m, ha, cur, &u->mid1, n, H[l], W[l], emb_act, E, 1e-5f);
    sd__xformer_forward(m, ha, &u->mid_attn, n, H[l], W[l], u->heads, ctx, u->ctx_dim);
    sd__resblock(m, hb, ha, &u->mid2, n, H[l], W[l], emb_act, E, 1e-5f);
    /* output blocks: buffers for the widest concat and the widest block output */
    cur_c = c;
    for (i = 0; i < u->n_out; i++) {
        const sd__ublock *k = &u->out[i];
        size_t hw = (size_t)H[k->level] * W[k->level];
        if ((size_t)k->res.c_in * hw > max_cat) max_cat = (size_t)k->res.c_in * hw;
        if ((size_t)k->res.c_out * hw > max_h) max_h = (size_t)k->res.c_out * hw;
        if (k->up && (size_t)k->res.c_out * H[k->level - 1] * W[k->level - 1] > max_h)
            max_h = (size_t)k->res.c_out * H[k->level - 1] * W[k->level - 1];
    }
    cat = sd__push(m, (size_t)n * max_cat);
    ha = sd__push(m, (size_t)n * max_h);
    cur = hb;
    hb = sd__push(m, (size_t)n * max_h);
    for (i = 0; i < u->n_out; i++) {
        const sd__ublock *k = &u->out[i];
        int lv = k->level;
        --ns;
        sd__op_concat(m, cat, cur, cur_c, skip[ns], skip_c[ns], n, H[lv] * W[lv]);
        sd__resblock(m, ha, cat, &k->res, n, H[lv], W[lv], emb_act, E, 1e-5f);
        cur_c = k->res.c_out;
        if (k->has_attn) sd__xformer_forward(m, ha, &k->attn, n, H[lv], W[lv], u->heads, ctx, u->ctx_dim);
        cur = ha;
        if (k->up) {   /* nearest upsampling to the next skip's size, fused into the conv */
            g.c = cur_c; g.h = H[lv]; g.w = W[lv]; g.up_h = H[lv - 1]; g.up_w = W[lv - 1];
            g.co = cur_c; g.stride = 1; g.ho = H[lv - 1]; g.wo = W[lv - 1];
            sd__op_conv(m, hb, ha, &g, &k->conv, NULL, NULL, 0);
            g.up_h = g.up_w = 0;
            cur = hb;
        }
    }
    /* out: GroupNorm + SiLU + conv */
    st = sd__push(m, (size_t)n * cur_c * 2);
    sd__op_gn_stats(m, st, cur, n, cur_c, h * w, 1e-5f, &u->norm_out);
    g.c = cur_c; g.h = h; g.w = w; g.co = 4; g.stride = 1; g.ho = h; g.wo = w;
    sd__op_conv(m, eps, cur, &g, &u->conv_out, NULL, st, 1);
    sd__op_download(m, eps_out, eps, (size_t)n * 4 * h * w);
    sd__pop(m, x);
}

/* ================================================================ VAE
   AutoencoderKL of SD (ldm Encoder / Decoder), GroupNorm eps 1e-6 everywhere, batch 1.
   decode: z [4,h,w] -> post_quant_conv -> conv_in -> mid (ResnetBlock, AttnBlock, ResnetBlock)
           -> per level from the deepest: ResnetBlock x (nres+1), nearest x2 + conv
           -> GroupNorm + SiLU -> conv_out -> image [3,8h,8w]
   encode: image [3,H,W] -> conv_in -> per level: ResnetBlock x nres, stride-2 conv padded
           (0,1,0,1) -> mid -> GroupNorm + SiLU -> conv_out -> quant_conv -> mean, logvar [4,H/8,W/8] */

/* AttnBlock: x [1,C,HW] += proj(attention(q(t), k(t), v(t))) with t = gn(x) as tokens, one head */
static void sd__vattn_forward(sd_model *m, float *x, const sd__vattn *a, int c, int hw)
{
    size_t mark = sd__mark(m);
    float *st = sd__push(m, (size_t)c * 2), *tok = sd__push(m, (size_t)hw * c);
    float *q = sd__push(m, (size_t)hw * c), *k = sd__push(m, (size_t)hw * c), *v = sd__push(m, (size_t)hw * c);
    sd__op_gn_stats(m, st, x, 1, c, hw, 1e-6f, &a->norm);
    sd__op_tokens(m, tok, x, 1, c, hw, st);
    sd__op_linear(m, q, tok, hw, c, &a->q, NULL);
    sd__op_linear(m, k, tok, hw, c, &a->k, NULL);
    sd__op_linear(m, v, tok, hw, c, &a->v, NULL);
    sd__op_attention(m, tok, q, k, v, 1, 1, hw, hw, c, 0);
    sd__op_linear(m, q, tok, hw, c, &a->proj, NULL);
    sd__op_untokens(m, x, q, 1, c, hw, x);
    sd__release(m, mark);
}

static void sd__vae_decode_forward(sd_model *m, float *image_out, const float *z_in, int h, int w)
{
    const sd__vae *v = &m->vae;
    int L = v->levels, l, b, c, H = h, W = w;
    size_t max = 0;
    float *z1, *A, *B, *cur, *oth, *st;
    sd__conv g;
    for (l = L - 1; l >= 0; l--) {      /* the biggest activation: a level's width at its size, or at the next size */
        size_t hw = (size_t)(h << (L - 1 - l)) * (size_t)(w << (L - 1 - l)), cl = (size_t)v->ch * v->mult[l];
        size_t cprev = l == L - 1 ? cl : (size_t)v->ch * v->mult[l + 1];
        if (cl * hw > max) max = cl * hw;
        if (cprev * hw > max) max = cprev * hw;
    }
    float *z = sd__push(m, (size_t)v->z * h * w), *image = sd__push(m, (size_t)3 * 64 * h * w);
    sd__op_upload(m, z, z_in, (size_t)v->z * h * w);
    z1 = sd__push(m, (size_t)v->z * h * w);
    A = sd__push(m, max);
    B = sd__push(m, max);
    memset(&g, 0, sizeof g);
    g.n = 1; g.c = v->z; g.h = h; g.w = w; g.co = v->z; g.k = 1; g.stride = 1; g.ho = h; g.wo = w;
    sd__op_conv(m, z1, z, &g, &v->post_quant, NULL, NULL, 0);
    c = v->ch * v->mult[L - 1];
    g.co = c; g.k = 3; g.pad_t = g.pad_l = 1;
    sd__op_conv(m, A, z1, &g, &v->dec_conv_in, NULL, NULL, 0);
    sd__resblock(m, B, A, &v->dec_mid1, 1, H, W, NULL, 0, 1e-6f);
    sd__vattn_forward(m, B, &v->dec_attn, c, H * W);
    sd__resblock(m, A, B, &v->dec_mid2, 1, H, W, NULL, 0, 1e-6f);
    cur = A; oth = B;
    for (l = L - 1; l >= 0; l--) {
        float *t;
        for (b = 0; b <= v->nres; b++) {
            sd__resblock(m, oth, cur, &v->dec_res[l][b], 1, H, W, NULL, 0, 1e-6f);
            t = cur; cur = oth; oth = t;
        }
        c = v->ch * v->mult[l];
        if (l != 0) {   /* nearest x2, fused into the conv */
            g.c = c; g.h = H; g.w = W; g.up_h = 2 * H; g.up_w = 2 * W; g.co = c; g.ho = 2 * H; g.wo = 2 * W;
            sd__op_conv(m, oth, cur, &g, &v->dec_up[l], NULL, NULL, 0);
            g.up_h = g.up_w = 0;
            H *= 2; W *= 2;
            t = cur; cur = oth; oth = t;
        }
    }
    st = sd__push(m, (size_t)c * 2);
    sd__op_gn_stats(m, st, cur, 1, c, H * W, 1e-6f, &v->dec_norm_out);
    g.c = c; g.h = H; g.w = W; g.co = 3; g.ho = H; g.wo = W;
    sd__op_conv(m, image, cur, &g, &v->dec_conv_out, NULL, st, 1);
    sd__op_download(m, image_out, image, (size_t)3 * 64 * h * w);
    sd__pop(m, z);
}

static void sd__vae_encode_forward(sd_model *m, float *moments_out, const float *image_in, int H, int W)
{
    const sd__vae *v = &m->vae;
    int L = v->levels, l, b, c = v->ch;
    size_t max = 0;
    float *A, *B, *cur, *oth, *st, *t;
    sd__conv g;
    for (l = 0; l < L; l++) {
        size_t hw = (size_t)(H >> l) * (size_t)(W >> l);
        if ((size_t)v->ch * v->mult[l] * hw > max) max = (size_t)v->ch * v->mult[l] * hw;
        if ((size_t)v->ch * (l ? v->mult[l - 1] : 1) * hw > max) max = (size_t)v->ch * (l ? v->mult[l - 1] : 1) * hw;
    }
    float *image = sd__push(m, (size_t)3 * H * W), *moments = sd__push(m, (size_t)2 * v->z * (H >> (L - 1)) * (W >> (L - 1)));
    sd__op_upload(m, image, image_in, (size_t)3 * H * W);
    A = sd__push(m, max);
    B = sd__push(m, max);
    memset(&g, 0, sizeof g);
    g.n = 1; g.c = 3; g.h = H; g.w = W; g.co = c; g.k = 3; g.stride = 1; g.pad_t = g.pad_l = 1; g.ho = H; g.wo = W;
    sd__op_conv(m, A, image, &g, &v->enc_conv_in, NULL, NULL, 0);
    cur = A; oth = B;
    for (l = 0; l < L; l++) {
        for (b = 0; b < v->nres; b++) {
            sd__resblock(m, oth, cur, &v->enc_res[l][b], 1, H, W, NULL, 0, 1e-6f);
            c = v->enc_res[l][b].c_out;
            t = cur; cur = oth; oth = t;
        }
        if (l != L - 1) {   /* stride 2, zero padding only on the bottom and right */
            g.c = c; g.h = H; g.w = W; g.co = c; g.stride = 2; g.pad_t = g.pad_l = 0; g.ho = H / 2; g.wo = W / 2;
            sd__op_conv(m, oth, cur, &g, &v->enc_down[l], NULL, NULL, 0);
            H /= 2; W /= 2;
            t = cur; cur = oth; oth = t;
        }
    }
    sd__resblock(m, oth, cur, &v->enc_mid1, 1, H, W, NULL, 0, 1e-6f);
    sd__vattn_forward(m, oth, &v->enc_attn, c, H * W);
    sd__resblock(m, cur, oth, &v->enc_mid2, 1, H, W, NULL, 0, 1e-6f);
    st = sd__push(m, (size_t)c * 2);
    sd__op_gn_stats(m, st, cur, 1, c, H * W, 1e-6f, &v->enc_norm_out);
    g.c = c; g.h = H; g.w = W; g.co = 2 * v->z; g.stride = 1; g.pad_t = g.pad_l = 1; g.ho = H; g.wo = W;
    sd__op_conv(m, oth, cur, &g, &v->enc_conv_out, NULL, st, 1);
    g.c = 2 * v->z; g.k = 1; g.pad_t = g.pad_l = 0;
    sd__op_conv(m, moments, oth, &g, &v->quant, NULL, NULL, 0);
    sd__op_download(m, moments_out, moments, (size_t)2 * v->z * H * W);
    sd__pop(m, image);
}


/* ================================================================ samplers
   The diffusers schedulers with the SD 1.5 configuration (scaled_linear betas from 0.00085
   to 0.012 over 1000 training steps), computed with the same float32 operations in the same
   order so that the numbers agree to the last bit where the formulas allow. */

/* torch.linspace(sqrt(0.00085), sqrt(0.012), 1000, float32) ** 2; cumprod accumulates in
   double and rounds each product to float, as torch's CPU cumprod does */
static void sd__alphas_cumprod(float *ac)
{
    float start = (float)sqrt(0.00085), end = (float)sqrt(0.012);
    float step = (end - start) / 999.0f;
    double prod = 1.0;
    int i;
    for (i = 0; i < 1000; i++) {
        float b = i < 500 ? start + step * (float)i : end - step * (float)(999 - i);
        b = b * b;
        prod *= (double)(1.0f - b);
        ac[i] = (float)prod;
    }
}

SDDEF sd_result sd_schedule_init(sd_schedule *s, sd_sampler sampler, int steps, float eta)
{
    int i;
    memset(s, 0, sizeof *s);
    if (steps < 1 || steps > SD_MAX_STEPS) return SD_ERR_ARG;
    if (sampler != SD_SAMPLER_DDIM && sampler != SD_SAMPLER_EULER && sampler != SD_SAMPLER_EULER_A) return SD_ERR_ARG;
    s->sampler = sampler;
    s->steps = steps;
    s->eta = eta;
    sd__alphas_cumprod(s->alphas_cumprod);
    if (sampler == SD_SAMPLER_DDIM) {
        /* "leading" spacing: (0, r, 2r, ...) reversed, plus steps_offset 1; diffusers would
           index past the table at 1000 steps, here t stops at 999 */
        int ratio = 1000 / steps;
        for (i = 0; i < steps; i++) {
            int t = (steps - 1 - i) * ratio + 1;
            s->timesteps[i] = (float)(t > 999 ? 999 : t);
        }
        s->init_noise_sigma = 1.0f;
        return SD_OK;
    }
    {
        /* "linspace" spacing: t = linspace(0, 999, steps) reversed (float64, then float32);
           sigma(t) interpolated linearly in the table sqrt((1 - a) / a) of the training steps */
        float table[1000];
        for (i = 0; i < 1000; i++) table[i] = sqrtf((1.0f - s->alphas_cumprod[i]) / s->alphas_cumprod[i]);
        for (i = 0; i < steps; i++) {
            int k = steps - 1 - i;
            double t = steps > 1 ? (k == steps - 1 ? 999.0 : (double)k * (999.0 / (double)(steps - 1))) : 0.0;
            float tf = (float)t;
            double x = tf, sig;
            int j = (int)floor(x);
            if (j >= 999) sig = table[999];
            else if ((double)j == x) sig = table[j];
            else sig = ((double)table[j + 1] - (double)table[j]) * (x - (double)j) + (double)table[j];
            s->timesteps[i] = tf;
            s->sigmas[i] = (float)sig;
        }
        s->sigmas[steps] = 0.0f;
        s->init_noise_sigma = s->sigmas[0];
    }
    return SD_OK;
}

SDDEF void sd_scale_input(const sd_schedule *s, int i, const float *x, float *out, size_t n)
{
    size_t k;
    if (s->sampler == SD_SAMPLER_DDIM) { if (out != x) memcpy(out, x, n * sizeof *x); return; }
    {
        float sigma = s->sigmas[i], d = sqrtf(sigma * sigma + 1.0f);
        for (k = 0; k < n; k++) out[k] = x[k] / d;
    }
}

SDDEF void sd_step(const sd_schedule *s, int i, const float *eps, float *x, float *denoised, size_t n, sd_rng *rng)
{
    size_t k;
    if (s->sampler == SD_SAMPLER_DDIM) {
        /* DDIM (Song et al. 2020, eq. 12): x0 = (x - sqrt(1-a_t) eps) / sqrt(a_t);
           x_prev = sqrt(a_prev) x0 + sqrt(1 - a_prev - std^2) eps + std z,
           std = eta sqrt((1-a_prev)/(1-a_t) (1 - a_t/a_prev)) */
        int t = (int)s->timesteps[i], prev = t - 1000 / s->steps;
        float a_t = s->alphas_cumprod[t], a_prev = prev >= 0 ? s->alphas_cumprod[prev] : s->alphas_cumprod[0];
        float beta_t = 1.0f - a_t, beta_prev = 1.0f - a_prev;
        float variance = (beta_prev / beta_t) * (1.0f - a_t / a_prev);
        float std = s->eta * sqrtf(variance);
        float sb = sqrtf(beta_t), sa = sqrtf(a_t), sp = sqrtf(a_prev), dir = sqrtf(1.0f - a_prev - std * std);
        for (k = 0; k < n; k++) {
            float x0 = (x[k] - sb * eps[k]) / sa;
            if (denoised) denoised[k] = x0;
            x[k] = sp * x0 + dir * eps[k];
        }
        if (s->eta > 0.0f && rng) sd__randn_into(rng, x, n, std, 1);
        return;
    }
    {
        float sigma = s->sigmas[i], sigma_next = s->sigmas[i + 1];
        float dt, up = 0.0f;
        if (s->sampler == SD_SAMPLER_EULER_A) {
            /* ancestral: step down to sigma_down, then add fresh noise of sigma_up */
            float down;
            up = sqrtf(sigma_next * sigma_next * (sigma * sigma - sigma_next * sigma_next) / (sigma * sigma));
            down = sqrtf(sigma_next * sigma_next - up * up);
            dt = down - sigma;
        } else dt = sigma_next - sigma;
        /* Euler (Karras et al. 2022, alg. 2 without churn): x0 = x - sigma eps; d = (x - x0) / sigma */
        for (k = 0; k < n; k++) {
            float x0 = x[k] - sigma * eps[k];
            float d = (x[k] - x0) / sigma;
            if (denoised) denoised[k] = x0;
            x[k] = x[k] + d * dt;
        }
        if (s->sampler == SD_SAMPLER_EULER_A && rng) sd__randn_into(rng, x, n, up, 1);
    }
}

SDDEF void sd_add_noise(const sd_schedule *s, int i, const float *x0, const float *noise, float *out, size_t n)
{
    size_t k;
    if (s->sampler == SD_SAMPLER_DDIM) {
        float a = s->alphas_cumprod[(int)s->timesteps[i]], sa = sqrtf(a), sb = sqrtf(1.0f - a);
        for (k = 0; k < n; k++) out[k] = sa * x0[k] + sb * noise[k];
    } else {
        float sigma = s->sigmas[i];
        for (k = 0; k < n; k++) out[k] = x0[k] + noise[k] * sigma;
    }
}

SDDEF int sd_first_step(int steps, double strength)
{
    int init = (int)(steps * strength), start;
    if (init > steps) init = steps;
    start = steps - init;
    if (start < 0) start = 0;
    return start >= steps ? -1 : start;
}

/* ================================================================ one call per stage
   Each stage runs twice: a planning pass that only counts scratch, then the real pass in an
   arena sized once from that count. */

typedef struct sd__stage {
    int kind;                       /* 0 text, 1 unet, 2 decode, 3 encode */
    float *out;
    const float *in, *in2;
    int n, h, w, layers;
} sd__stage;

static void sd__stage_forward(sd_model *m, const sd__stage *s)
{
    m->arena_top = 0;
    if (s->kind == 0) sd__text_forward(m, s->out, s->in, s->layers);
    else if (s->kind == 1) sd__unet_forward(m, s->out, s->in, s->n, s->h, s->w, s->in2 + (size_t)s->n * SD_TOKENS * m->unet.ctx_dim, s->in2);
    else if (s->kind == 2) sd__vae_decode_forward(m, s->out, s->in, s->h, s->w);
    else sd__vae_encode_forward(m, s->out, s->in, s->h, s->w);
}

/* the first weight under prefix holding NaN or Inf (looked for only after a stage failed) */
static const char *sd__nonfinite_weight(sd_model *m, const char *prefix)
{
    int i;
    size_t n = strlen(prefix);
    float buf[1024];
    for (i = 0; i < m->nt; i++) {
        const sd__tensor *t = &m->t[i];
        const unsigned char *b;
        size_t at;
        if (strncmp(t->name, prefix, n) != 0 || !sd__is_float(t->dtype)) continue;
        if (!(b = sd__acquire(m, t))) continue;
        for (at = 0; at < (size_t)t->numel; at += 1024) {
            size_t k, len = (size_t)t->numel - at < 1024 ? (size_t)t->numel - at : 1024;
            sd__decode(buf, b, t->dtype, at, len);
            for (k = 0; k < len; k++)
                if (buf[k] - buf[k] != 0.0f) { sd__unacquire(m, t); return t->name; }
        }
        sd__unacquire(m, t);
        sd__weights_done(m, t);
    }
    return NULL;
}

static sd_result sd__run(sd_model *m, const sd__stage *s, const char *what, size_t n_out)
{
    sd_result r;
    size_t i;
    m->planning = 1;
    m->arena_peak = 0;
    m->flops = 0;
    sd__stage_forward(m, s);
    m->planning = 0;
    if ((r = sd__arena_reserve(m, m->arena_peak)) != SD_OK) return r;
    m->io_failed = 0;
    sd__stage_forward(m, s);
    if (m->io_failed) return sd__fail(m, SD_ERR_IO, "reading weights from the checkpoint failed during the %s", what);
    if (m->gpu && sd_cuda_error(m->gpu)[0]) return sd__fail(m, SD_ERR_UNSUPPORTED, "GPU: %s (in the %s)", sd_cuda_error(m->gpu), what);
    for (i = 0; i < n_out; i++)
        if (!(s->out[i] == s->out[i]) || s->out[i] - s->out[i] != 0.0f) {
            const char *bad = sd__nonfinite_weight(m, s->kind == 0 ? SD__CLIP : s->kind == 1 ? SD__UNET : SD__VAE);
            if (bad) return sd__fail(m, SD_ERR_NUMERIC, "the %s produced NaN or Inf: tensor '%s' of the checkpoint holds NaN or Inf values", what, bad);
            return sd__fail(m, SD_ERR_NUMERIC, "the %s produced NaN or Inf (at element %lu), from finite weights: the values overflowed float32",
                            what, (unsigned long)i);
        }
    return SD_OK;
}

SDDEF sd_result sd_text_encode(sd_model *m, const int ids[SD_TOKENS], int clip_skip, float *out)
{
    const sd__clip *t = &m->clip;
    sd__stage s;
    int i, D = t->width;
    if (!m->has_text) return sd__fail(m, SD_ERR_STATE, "no text encoder loaded");
    if (clip_skip < 1 || clip_skip > t->layers) return sd__fail(m, SD_ERR_ARG, "clip skip %d: 1..%d allowed", clip_skip, t->layers);
    for (i = 0; i < SD_TOKENS; i++)
        if (ids[i] < 0 || ids[i] >= t->vocab)
            return sd__fail(m, SD_ERR_ARG, "token id %d at position %d: the text encoder knows ids 0..%d", ids[i], i, t->vocab - 1);
    for (i = 0; i < SD_TOKENS; i++) {   /* token + position embeddings, into out first */
        const unsigned char *tok = m->src[t->tok_emb->src].bytes ? t->tok_emb->data : NULL, *pos;
        float *row = out + (size_t)i * D, p;
        int d;
        if (tok) sd__decode(row, tok, t->tok_emb->dtype, (size_t)ids[i] * D, (size_t)D);
        else if (sd__read_row(m, t->tok_emb, (size_t)ids[i] * D, (size_t)D, row) != SD_OK) return SD_ERR_IO;
        if (!(pos = sd__acquire(m, t->pos_emb))) return sd__fail(m, SD_ERR_IO, "cannot read the position embedding");
        for (d = 0; d < D; d++) {
            sd__decode(&p, pos, t->pos_emb->dtype, (size_t)i * D + d, 1);
            row[d] += p;
        }
        sd__unacquire(m, t->pos_emb);
    }
    memset(&s, 0, sizeof s);
    s.kind = 0; s.out = out; s.in = out; s.layers = t->layers - (clip_skip - 1);
    return sd__run(m, &s, "text encoder", (size_t)SD_TOKENS * D);
}

SDDEF sd_result sd_unet(sd_model *m, const float *x, int n, int h, int w, float t, const float *context, float *eps)
{
    sd__stage s;
    float *buf;
    size_t cn;
    int i;
    sd_result r;
    if (!m->has_unet) return sd__fail(m, SD_ERR_STATE, "no UNet loaded");
    if (n < 1 || n > 64 || h < 1 || w < 1 || h > 512 || w > 512)
        return sd__fail(m, SD_ERR_ARG, "UNet input [%d,4,%d,%d]: batch 1..64, latent height and width 1..512", n, h, w);
    if (!(t >= 0.0f && t <= 1000.0f)) return sd__fail(m, SD_ERR_ARG, "timestep %g: 0..1000 allowed", t);
    /* the context and the sinusoid travel together: [n,77,Dc] then [n,ch] */
    cn = (size_t)n * SD_TOKENS * m->unet.ctx_dim;
    buf = (float *)sd__malloc(m, (cn + (size_t)n * m->unet.ch) * sizeof(float));
    if (!buf) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    memcpy(buf, context, cn * sizeof(float));
    for (i = 0; i < n; i++) sd__timestep_embedding(buf + cn + (size_t)i * m->unet.ch, t, m->unet.ch);
    memset(&s, 0, sizeof s);
    s.kind = 1; s.out = eps; s.in = x; s.in2 = buf; s.n = n; s.h = h; s.w = w;
    r = sd__run(m, &s, "UNet", (size_t)n * 4 * h * w);
    sd__free(m, buf);
    return r;
}

/* Low-memory mode decodes and encodes in overlapping tiles of SD__TILE latents, blended with
   linear ramps across the overlap. Each tile normalizes with its own GroupNorm statistics, so
   the result is close to, not equal to, the whole-image one; images of one tile or less are
   not tiled. */
#define SD__TILE 32
#define SD__OVERLAP 8

/* the tile origins along a side of n latents */
static int sd__tile_starts(int n, int *starts)
{
    int k = 0, s = 0;
    if (n <= SD__TILE) { starts[0] = 0; return 1; }
    for (;;) {
        if (s + SD__TILE >= n) { starts[k++] = n - SD__TILE; return k; }
        starts[k++] = s;
        s += SD__TILE - SD__OVERLAP;
    }
}

/* the blending weight of position i of a tile of length len starting at s in a side of n */
static float sd__ramp(int i, int s, int len, int n, int ramp)
{
    float w = 1.0f;
    if (s > 0 && i < ramp) w = (i + 0.5f) / ramp;
    if (s + len < n && len - 1 - i < ramp) { float v = (len - 1 - i + 0.5f) / ramp; w = v < w ? v : w; }
    return w;
}

/* decode (up = 8: z [C,h,w] -> [3,8h,8w]) or encode (up = 0: image [3,H,W] -> moments) by tiles */
static sd_result sd__vae_tiled(sd_model *m, const float *in, int h, int w, float *out, int decode)
{
    int ys[512], xs[512], ny = sd__tile_starts(h, ys), nx = sd__tile_starts(w, xs), ty, tx, c, y, x;
    int T = SD__TILE, cin = decode ? m->vae.z : 3, cout = decode ? 3 : 2 * m->vae.z, f = decode ? 8 : 1;
    int th = h < T ? h : T, tw = w < T ? w : T, scale_in = decode ? 1 : 8;
    size_t ohw = (size_t)h * f * w * f;
    float *tin = (float *)sd__malloc(m, sizeof(float) * cin * th * scale_in * tw * scale_in);
    float *tout = (float *)sd__malloc(m, sizeof(float) * cout * th * f * tw * f);
    float *wsum = (float *)sd__calloc(m, ohw, sizeof(float));
    sd_result r = SD_OK;
    if (!tin || !tout || !wsum) { r = sd__fail(m, SD_ERR_NOMEM, "out of memory for VAE tiles"); goto done; }
    memset(out, 0, sizeof(float) * cout * ohw);
    for (ty = 0; ty < ny && r == SD_OK; ty++)
        for (tx = 0; tx < nx && r == SD_OK; tx++) {
            int y0 = ys[ty], x0 = xs[tx];
            sd__stage s;
            for (c = 0; c < cin; c++)       /* crop the input tile */
                for (y = 0; y < th * scale_in; y++)
                    memcpy(tin + ((size_t)c * th * scale_in + y) * tw * scale_in,
                           in + ((size_t)c * h * scale_in + (size_t)y0 * scale_in + y) * w * scale_in + (size_t)x0 * scale_in,
                           sizeof(float) * tw * scale_in);
            memset(&s, 0, sizeof s);
            s.kind = decode ? 2 : 3; s.out = tout; s.in = tin; s.h = decode ? th : th * 8; s.w = decode ? tw : tw * 8;
            if ((r = sd__run(m, &s, decode ? "VAE decoder" : "VAE encoder", (size_t)cout * th * f * tw * f)) != SD_OK) break;
            for (y = 0; y < th * f; y++) {
                float wy = sd__ramp(y, y0 * f, th * f, h * f, SD__OVERLAP * f);
                for (x = 0; x < tw * f; x++) {
                    float wgt = wy * sd__ramp(x, x0 * f, tw * f, w * f, SD__OVERLAP * f);
                    size_t at = (size_t)(y0 * f + y) * w * f + (size_t)x0 * f + x;
                    for (c = 0; c < cout; c++) out[(size_t)c * ohw + at] += wgt * tout[((size_t)c * th * f + y) * tw * f + x];
                    wsum[at] += wgt;
                }
            }
        }
    if (r == SD_OK)
        for (c = 0; c < cout; c++) {
            size_t i;
            for (i = 0; i < ohw; i++) out[(size_t)c * ohw + i] /= wsum[i];
        }
done:
    sd__free(m, tin); sd__free(m, tout); sd__free(m, wsum);
    return r;
}

SDDEF sd_result sd_vae_decode(sd_model *m, const float *z, int h, int w, float *image)
{
    sd__stage s;
    if (!m->has_vae) return sd__fail(m, SD_ERR_STATE, "no VAE loaded");
    if (h < 1 || w < 1 || h > 512 || w > 512) return sd__fail(m, SD_ERR_ARG, "latent %dx%d: 1..512 allowed", h, w);
    if (m->cfg.low_memory && (h > SD__TILE || w > SD__TILE)) return sd__vae_tiled(m, z, h, w, image, 1);
    memset(&s, 0, sizeof s);
    s.kind = 2; s.out = image; s.in = z; s.h = h; s.w = w;
    return sd__run(m, &s, "VAE decoder", (size_t)3 * 64 * h * w);
}

SDDEF sd_result sd_vae_encode(sd_model *m, const float *image, int H, int W, float *mean, float *logvar)
{
    sd__stage s;
    float *moments;
    size_t hw = (size_t)(H / 8) * (W / 8);
    sd_result r;
    int z = m->vae.z;
    if (!m->has_vae) return sd__fail(m, SD_ERR_STATE, "no VAE loaded");
    if (H < 8 || W < 8 || H % 8 || W % 8 || H > 4096 || W > 4096)
        return sd__fail(m, SD_ERR_ARG, "image %dx%d: width and height must be multiples of 8, 8..4096", W, H);
    moments = (float *)sd__malloc(m, 2 * (size_t)z * hw * sizeof(float));
    if (!moments) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    if (m->cfg.low_memory && (H / 8 > SD__TILE || W / 8 > SD__TILE)) r = sd__vae_tiled(m, image, H / 8, W / 8, moments, 0);
    else {
        memset(&s, 0, sizeof s);
        s.kind = 3; s.out = moments; s.in = image; s.h = H; s.w = W;
        r = sd__run(m, &s, "VAE encoder", 2 * (size_t)z * hw);
    }
    if (r == SD_OK) {
        memcpy(mean, moments, (size_t)z * hw * sizeof(float));
        memcpy(logvar, moments + (size_t)z * hw, (size_t)z * hw * sizeof(float));
    }
    sd__free(m, moments);
    return r;
}

/* ================================================================ pipelines
   StableDiffusionPipeline / StableDiffusionImg2ImgPipeline step for step:
     context = [text(negative), text(prompt)]  (the unconditional half first)
     x = randn * init_noise_sigma   (img2img: 0.18215 * sample(encode(init)) noised to the first step)
     for each step: eps_u, eps_c = unet([x, x] scaled, t, context)
                    x = step(x, eps_u + cfg (eps_c - eps_u))
     image = decode(x / 0.18215); rgb = round(clamp(image / 2 + 0.5, 0, 1) * 255) */

SDDEF sd_params sd_params_default(void)
{
    sd_params p;
    memset(&p, 0, sizeof p);
    p.prompt = "";
    p.negative_prompt = "";
    p.width = p.height = 512;
    p.steps = 20;
    p.cfg_scale = 7.0f;
    p.sampler = SD_SAMPLER_EULER_A;
    p.clip_skip = 1;
    p.strength = 0.75;
    return p;
}

static sd_result sd__generate(sd_model *m, const sd_params *p, const unsigned char *init, unsigned char *rgb)
{
    int h = p->height / 8, w = p->width / 8, D = m->clip.width, i, start = 0, guide = p->cfg_scale > 1.0f, nb;
    size_t nl = (size_t)4 * h * w, npix = (size_t)p->width * p->height, k;
    int ids[SD_TOKENS];
    float *ctx = NULL, *lat = NULL, *xin = NULL, *eps = NULL, *den = NULL, *img = NULL;
    sd_schedule *sch = NULL;
    sd_rng rng;
    sd_result r = SD_OK;
    if (!m->has_unet || !m->has_vae || !m->has_text)
        return sd__fail(m, SD_ERR_STATE, "the checkpoint lacks %s: txt2img needs the UNet, the VAE and the text encoder",
                        !m->has_unet ? "the UNet" : !m->has_vae ? "the VAE" : "the text encoder");
    if (!m->vocab) return sd__fail(m, SD_ERR_STATE, "no vocabulary loaded (sd_load_vocab with the model's tokenizer/merges.txt)");
    if (p->width < 64 || p->height < 64 || p->width > 2048 || p->height > 2048 || p->width % 8 || p->height % 8)
        return sd__fail(m, SD_ERR_ARG, "size %dx%d: width and height must be multiples of 8 in 64..2048", p->width, p->height);
    if (p->steps < 1 || p->steps > SD_MAX_STEPS) return sd__fail(m, SD_ERR_ARG, "steps %d: 1..%d allowed", p->steps, SD_MAX_STEPS);
    if (!(p->cfg_scale >= 0.0f && p->cfg_scale <= 100.0f)) return sd__fail(m, SD_ERR_ARG, "cfg scale %g: 0..100 allowed", p->cfg_scale);
    if (p->sampler != SD_SAMPLER_EULER_A && p->sampler != SD_SAMPLER_EULER && p->sampler != SD_SAMPLER_DDIM)
        return sd__fail(m, SD_ERR_ARG, "sampler %d: SD_SAMPLER_EULER_A, SD_SAMPLER_EULER or SD_SAMPLER_DDIM", (int)p->sampler);
    if (p->clip_skip < 1 || p->clip_skip > m->clip.layers) return sd__fail(m, SD_ERR_ARG, "clip skip %d: 1..%d allowed", p->clip_skip, m->clip.layers);
    if (!(p->eta >= 0.0f && p->eta <= 1.0f)) return sd__fail(m, SD_ERR_ARG, "eta %g: 0..1 allowed", p->eta);
    if (init && !(p->strength >= 0.0 && p->strength <= 1.0)) return sd__fail(m, SD_ERR_ARG, "strength %g: 0..1 allowed", p->strength);
    if (init && (start = sd_first_step(p->steps, p->strength)) < 0)
        return sd__fail(m, SD_ERR_ARG, "strength %g with %d steps runs no step (steps x strength must be at least 1)", p->strength, p->steps);
    nb = guide ? 2 : 1;
    ctx = (float *)sd__malloc(m, (size_t)2 * SD_TOKENS * D * sizeof(float));
    lat = (float *)sd__malloc(m, nl * sizeof(float));
    xin = (float *)sd__malloc(m, 2 * nl * sizeof(float));
    eps = (float *)sd__malloc(m, 2 * nl * sizeof(float));
    den = (float *)sd__malloc(m, nl * sizeof(float));
    img = (float *)sd__malloc(m, 3 * npix * sizeof(float));
    sch = (sd_schedule *)sd__malloc(m, sizeof *sch);
    if (!ctx || !lat || !xin || !eps || !den || !img || !sch) { r = sd__fail(m, SD_ERR_NOMEM, "out of memory"); goto done; }
    /* the text: negative (unconditional) first */
    if (guide) {
        if ((r = sd_tokenize(m, p->negative_prompt, ids)) != SD_OK) goto done;
        if ((r = sd_text_encode(m, ids, p->clip_skip, ctx)) != SD_OK) goto done;
    }
    if ((r = sd_tokenize(m, p->prompt, ids)) != SD_OK) goto done;
    if ((r = sd_text_encode(m, ids, p->clip_skip, ctx + (guide ? (size_t)SD_TOKENS * D : 0))) != SD_OK) goto done;
    /* the starting latent */
    sd_schedule_init(sch, p->sampler, p->steps, p->eta);
    sd_rng_seed(&rng, p->seed);
    if (init) {
        float *mean = xin, *logvar = eps;
        for (k = 0; k < npix; k++) {   /* HWC bytes -> CHW in [-1, 1] */
            int c;
            for (c = 0; c < 3; c++) img[(size_t)c * npix + k] = 2.0f * ((float)init[3 * k + c] / 255.0f) - 1.0f;
        }
        if ((r = sd_vae_encode(m, img, p->height, p->width, mean, logvar)) != SD_OK) goto done;
        sd_randn(&rng, lat, nl);                      /* latent_dist.sample() draws first */
        for (k = 0; k < nl; k++) {
            float lv = logvar[k] < -30.0f ? -30.0f : (logvar[k] > 20.0f ? 20.0f : logvar[k]);
            lat[k] = 0.18215f * (mean[k] + expf(0.5f * lv) * lat[k]);
        }
        sd_randn(&rng, den, nl);                      /* then the noise added to it */
        sd_add_noise(sch, start, lat, den, lat, nl);
    } else {
        sd_randn(&rng, lat, nl);
        for (k = 0; k < nl; k++) lat[k] = lat[k] * sch->init_noise_sigma;
    }
    /* the denoising loop */
    for (i = start; i < p->steps; i++) {
        sd_scale_input(sch, i, lat, xin, nl);
        if (guide) memcpy(xin + nl, xin, nl * sizeof(float));
        if (guide && m->cfg.low_memory) {   /* the two halves one after the other: half the activations, same bits */
            if ((r = sd_unet(m, xin, 1, h, w, sch->timesteps[i], ctx, eps)) != SD_OK) goto done;
            if ((r = sd_unet(m, xin + nl, 1, h, w, sch->timesteps[i], ctx + (size_t)SD_TOKENS * D, eps + nl)) != SD_OK) goto done;
        } else if ((r = sd_unet(m, xin, nb, h, w, sch->timesteps[i], ctx, eps)) != SD_OK) goto done;
        if (guide) for (k = 0; k < nl; k++) eps[k] = eps[k] + p->cfg_scale * (eps[nl + k] - eps[k]);
        sd_step(sch, i, eps, lat, den, nl, &rng);
        if (p->progress) {
            sd_progress pr;
            pr.step = i - start + 1; pr.total = p->steps - start; pr.width = w; pr.height = h;
            pr.latent = lat; pr.denoised = den;
            if (p->progress(p->progress_user, &pr)) { r = sd__fail(m, SD_ERR_CANCELLED, "cancelled at step %d of %d", pr.step, pr.total); goto done; }
        }
    }
    if (p->latent_out) memcpy(p->latent_out, lat, nl * sizeof(float));
    /* decode */
    for (k = 0; k < nl; k++) lat[k] = lat[k] / 0.18215f;
    if ((r = sd_vae_decode(m, lat, h, w, img)) != SD_OK) goto done;
    if (p->image_out) memcpy(p->image_out, img, 3 * npix * sizeof(float));
    for (k = 0; k < npix; k++) {
        int c;
        for (c = 0; c < 3; c++) {
            float v = img[(size_t)c * npix + k] / 2.0f + 0.5f;
            v = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
            rgb[3 * k + c] = (unsigned char)rintf(v * 255.0f);
        }
    }
done:
    sd__free(m, ctx); sd__free(m, lat); sd__free(m, xin); sd__free(m, eps); sd__free(m, den); sd__free(m, img); sd__free(m, sch);
    return r;
}

SDDEF sd_result sd_txt2img(sd_model *m, const sd_params *p, unsigned char *rgb)
{
    m->err[0] = 0;
    return sd__generate(m, p, NULL, rgb);
}

SDDEF sd_result sd_img2img(sd_model *m, const sd_params *p, const unsigned char *init, unsigned char *rgb)
{
    m->err[0] = 0;
    if (!init) return sd__fail(m, SD_ERR_ARG, "img2img needs an init image");
    return sd__generate(m, p, init, rgb);
}

#endif /* SD_IMPLEMENTATION_DONE */
#endif /* SD_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
This software is available under 2 licenses -- choose whichever you prefer.
------------------------------------------------------------------------------
ALTERNATIVE A - MIT License
Copyright (c) 2026 the sd.h authors
Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:
The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
ALTERNATIVE B - Public Domain (www.unlicense.org)
This is free and unencumbered software released into the public domain.
Anyone is free to copy, modify, publish, use, compile, sell, or distribute this
software, either in source code form or as a compiled binary, for any purpose,
commercial or non-commercial, and by any means.
In jurisdictions that recognize copyright laws, the author or authors of this
software dedicate any and all copyright interest in the software to the public
domain. We make this dedication for the benefit of the public at large and to
the detriment of our heirs and successors. We intend this dedication to be an
overt act of relinquishment in perpetuity of all present and future rights to
this software under copyright law.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN
ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
------------------------------------------------------------------------------
*/
