/* sd.h - v0.4 - Stable Diffusion 1.x, 2.x and XL in one C header - public domain or MIT (see end of file)

   Text in, image out: the CLIP BPE tokenizer, the CLIP text encoder, the UNet with
   cross-attention, diffusers' and k-diffusion's samplers and the VAE, in readable scalar C99
   with an OpenMP path. Equal to diffusers, k-diffusion (A1111, ComfyUI) for the same checkpoint,
   sampler and seed.

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
     Checkpoints: safetensors in the original single-file layout or as diffusers folders, dtypes
     F32, F16, BF16 (F64 read too); every width, depth and channel count is read from the tensors:
       SD 1.x  v1-5-pruned-emaonly.safetensors and its fine-tunes; inpainting models (9 channels)
       SD 2.x  512-base, 768-v (v-prediction), SD-Turbo: OpenCLIP ViT-H text encoder
       SDXL    sd_xl_base_1.0, SDXL-Turbo: CLIP ViT-L and OpenCLIP bigG, the pooled text and the
               size conditioning (refiners, which have only bigG, are refused with a message)
     Vocabulary: the Hugging Face `tokenizer/merges.txt` that every SD model folder carries.
     TAESD (the tiny autoencoder) for SD 1.x/2.x. Textual-inversion embeddings (safetensors,
     A1111's and diffusers' forms; not yet SDXL's). LoRA / LoCon files (kohya/A1111, diffusers and
     PEFT keys; SDXL's lora_te1_/lora_te2_), merged into the weights they touch or run beside them.

   PROMPTS (sd_weighting)
     As diffusers reads them (the text, cut at 75 tokens), as AUTOMATIC1111 does ((x) (x:1.3) [x]
     BREAK, chunks of 75 tokens, its "Original" emphasis) or as ComfyUI does (absolute weights
     against the empty prompt). <lora:NAME:W> tags are taken out of the prompt (sd_prompt_loras).

   SAMPLERS (sd_sampler, sd_scheduler, sd_rng_kind; 1 to 1000 steps)
     On diffusers' timesteps (SD 1.5 scheduler configuration): DDIM (leading spacing, eta),
     PNDM (PLMS), Euler and Euler ancestral (linspace spacing).
     In sigma space as k-diffusion runs them (A1111, ComfyUI): Euler, Euler a, Heun, DPM2,
     DPM2 a, LMS, DPM++ 2M, DPM++ 2S a and LCM, on the normal, karras, exponential, sgm_uniform
     or simple schedule, the UNet at k-diffusion's fractional timesteps.
     Noise: torch's CPU generator, or A1111's GPU noise (Philox4x32-10).

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

   MAP OF THIS FILE (the order data flows; each "====" line below starts a section)
     public API             types, model lifetime, the easy calls, one call per stage
     configuration          allocator, assert, OpenMP, SIMD, mmap, FP contraction, the GPU backend
     utilities              errors, memory and the scratch arena, bytes and fp16, torch's RNG, .npy
     kernels                each operation's scalar reference (_ref) with its fast twin (_fast)
                            beside it; the matrix product they share; the kernel sets; sd__op_*
     loading                safetensors, other layouts renamed, the tensor table, shape helpers; LoRA
     tokenizer              CLIP's BPE and text normalization
     prompts                A1111's and ComfyUI's prompt syntax, chunks of 75 tokens, embeddings
     text encoder           CLIPTextModel: its description (sd__text_cfg), struct, builder, forward
     UNet                   sd__unet_cfg, struct, builder, forward; ResBlock, SpatialTransformer
     VAE                    sd__vae_cfg, struct, builder, decoder and encoder forward
     samplers               the schedules, scale_input, step, add_noise
     the model and stages   which parts a checkpoint holds; one call per stage (planning + run)
     pipelines              txt2img, img2img, inpainting
     Unicode tables         generated data the tokenizer reads, and its look-ups
     licence

   REVISION HISTORY
     0.4  SDXL (sd_text_encode_pooled, sd_encode_prompt_pooled, sd_unet_y, sd_sdxl_vector, the size
          conditioning in sd_params); LoRA beside the layer as well as merged (sd_config.lora_apply);
          SDXL LoRAs; text-encoder LoRAs on OpenCLIP's layout
     0.3  prompt weighting as A1111 and ComfyUI (sd_weighting, sd_prompt_parse, sd_prompt_tokens,
          sd_encode_prompt), prompts of any length, contexts of any length (sd_unet_ctx);
          textual-inversion embeddings; LoRA and LoCon (sd_load_lora, sd_clear_loras, sd_prompt_loras);
          inpainting with inpainting models and ordinary ones (sd_inpaint)
     0.2  k-diffusion samplers (Heun, DPM2, DPM2 a, LMS, DPM++ 2M, DPM++ 2S a, LCM) and PNDM;
          schedules (normal, karras, exponential, sgm_uniform, simple); A1111's Philox noise;
          sd_sampling runs; each model a chapter described by its config; sd_load_vae_memory;
          sizes from 8x8; sd_model_info is not const (it says why it fails)
     0.1  first release: SD 1.x txt2img / img2img, DDIM, Euler, Euler a
*/

#ifndef SD_H_INCLUDED
#define SD_H_INCLUDED

#define SD_VERSION_MAJOR 0
#define SD_VERSION_MINOR 4
#define SD_VERSION_STRING "0.4"

#include <stddef.h>
#include <stdint.h>

#ifdef SD_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define SDDEF static __attribute__((unused))   /* a program need not use every function */
#else
#define SDDEF static
#endif
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

typedef enum sd_sampler {       /* A1111's name in brackets */
    SD_SAMPLER_EULER_A = 0,     /* Euler ancestral [Euler a] (diffusers EulerAncestralDiscreteScheduler; k-diffusion) */
    SD_SAMPLER_EULER,           /* Euler [Euler] (EulerDiscreteScheduler; k-diffusion sample_euler) */
    SD_SAMPLER_DDIM,            /* DDIM [DDIM] (DDIMScheduler), eta from sd_params.eta */
    SD_SAMPLER_PNDM,            /* PNDM/PLMS (diffusers PNDMScheduler): diffusers' SD 1.5 default */
    SD_SAMPLER_HEUN,            /* Heun [Heun]: two evaluations a step (k-diffusion sample_heun) */
    SD_SAMPLER_DPM2,            /* DPM2 [DPM2]: two evaluations a step */
    SD_SAMPLER_DPM2_A,          /* DPM2 ancestral [DPM2 a] */
    SD_SAMPLER_LMS,             /* linear multistep, order 4 [LMS] */
    SD_SAMPLER_DPMPP_2M,        /* DPM-Solver++(2M) [DPM++ 2M]: A1111's default */
    SD_SAMPLER_DPMPP_2S_A,      /* DPM-Solver++(2S) ancestral [DPM++ 2S a] */
    SD_SAMPLER_LCM,             /* latent consistency (ComfyUI sample_lcm) [LCM] */
    SD_SAMPLER_COUNT
} sd_sampler;

typedef enum sd_scheduler {     /* the noise levels a sampler steps through (A1111's "Schedule type") */
    SD_SCHEDULER_DEFAULT = 0,   /* the sampler's own (sd_scheduler_default): diffusers for euler_a, euler,
                                   ddim, pndm; karras for the others */
    SD_SCHEDULER_DIFFUSERS,     /* diffusers' timesteps: linspace (Euler kinds), leading (DDIM, PNDM) */
    SD_SCHEDULER_NORMAL,        /* even in t (k-diffusion get_sigmas) [Uniform]; ComfyUI "normal" */
    SD_SCHEDULER_KARRAS,        /* Karras et al. 2022, rho 7 [Karras] */
    SD_SCHEDULER_EXPONENTIAL,   /* even in ln sigma [Exponential] */
    SD_SCHEDULER_SGM_UNIFORM,   /* even in t, the last t = 0 left out [SGM Uniform] */
    SD_SCHEDULER_SIMPLE,        /* every (1000/n)-th training sigma (ComfyUI "simple") [Simple] */
    SD_SCHEDULER_COUNT
} sd_scheduler;

typedef enum sd_rng_kind {      /* where the noise comes from */
    SD_RNG_CPU = 0,             /* torch's CPU generator (torch.randn with a seeded torch.Generator) */
    SD_RNG_PHILOX               /* A1111's GPU/NV noise: Philox4x32-10 as torch's CUDA randn draws it */
} sd_rng_kind;

typedef enum sd_weighting {     /* how a prompt becomes conditioning (sd_params.weighting) */
    SD_WEIGHTING_NONE = 0,      /* diffusers: the text as written, cut at 75 tokens, one chunk of 77 */
    SD_WEIGHTING_A1111,         /* AUTOMATIC1111: (x) (x:1.3) [x] \( BREAK; chunks of 75 tokens with the comma
                                   backtrack, each encoded alone; weights on the hidden states, the mean restored */
    SD_WEIGHTING_COMFY          /* ComfyUI: (x) (x:1.3) \(; absolute weights against the empty prompt's
                                   encoding; chunks of 75 that keep short words whole; embedding:NAME */
} sd_weighting;

typedef enum sd_prediction {   /* what the UNet predicts (sd_params.prediction) */
    SD_PREDICTION_AUTO = 0,     /* the model's (sd_info.prediction): a diffusers folder's scheduler config,
                                   else for SD 2.x ComfyUI's rule (below); SD 1.x: eps */
    SD_PREDICTION_EPS,          /* the noise (SD 1.x, SD 2.x 512-base) */
    SD_PREDICTION_V             /* v = sqrt(a) eps - sqrt(1-a) x0 (SD 2.x 768-v, SD 2.1 768) */
} sd_prediction;

typedef enum sd_gpu {
    SD_GPU_NONE = 0,         /* the CPU */
    SD_GPU_FP16 = 1,         /* an NVIDIA GPU, FP16 tensor cores (F32 accumulation) */
    SD_GPU_FP32 = 2          /* an NVIDIA GPU in FP32 (reference runs) */
} sd_gpu;

typedef struct sd_model sd_model;   /* opaque: weights, vocabulary, scratch arena, last error */

typedef enum sd_lora_apply {   /* how a LoRA's update up @ down reaches a layer W (the same results, rounding aside) */
    SD_LORA_AUTO = 0,          /* beside where its two products cost at most 1/16 of the layer's own (the text
                                  encoder's layers, the UNet's wide ones: most of the bytes), merged elsewhere */
    SD_LORA_MERGE,             /* merged: W + up @ down held as a float32 copy of W (no cost per step; memory
                                  and load time: 4 bytes per weight of every touched layer) */
    SD_LORA_BESIDE             /* beside: out += up @ (down @ in) at each use, two products of rank r (no copy) */
} sd_lora_apply;

typedef struct sd_config {
    int n_threads;            /* OpenMP threads; 0 = the OpenMP default */
    int reference;            /* 1 = scalar reference kernels (the specification; slow) */
    int low_memory;           /* 1 = weights released after each use (attention is always in tiles),
                                 VAE in tiles: a fraction of the memory, a little slower */
    size_t memory_limit;      /* refuse work whose scratch would exceed this many bytes (0 = none) */
    sd_gpu gpu;               /* SD_GPU_NONE (the CPU), SD_GPU_FP16 or SD_GPU_FP32: an NVIDIA GPU. Needs a
                                 build with sd_cuda.cu (SD_CUDA); without a usable GPU the model runs
                                 on the CPU (sd_using_gpu, sd_error say so) */
    void *(*alloc)(void *user, size_t size);   /* allocator (NULL = SD_MALLOC) */
    void (*free)(void *user, void *ptr);       /* its free (NULL = SD_FREE) */
    void *alloc_user;
    void (*log)(void *user, const char *message);  /* warnings (NULL = silent) */
    void *log_user;
    sd_lora_apply lora_apply; /* how sd_load_lora applies a LoRA (SD_LORA_AUTO: each layer the cheaper way) */
    int winograd;             /* 3x3 convolutions of stride 1 in the fast kernels: 0 = Winograd's F(4x4, 3x3)
                                 (a quarter of the multiplications; within ~1e-5 of direct) where the image
                                 is 8x8 or larger (bf16: F(4x4) from 32x32, F(2x2, 3x3) from 16x16), else
                                 direct; 4 or 2 = that one always; -1 = direct products always */
    int bf16;                 /* 1 = the CPU's fast matrix products (linear layers, attention, direct and
                                 F(2x2) convolutions) in bfloat16, their sums in float32: twice the products
                                 a cycle where the CPU has AVX512_BF16 (an SD 1.5 step about 1.4x faster;
                                 elsewhere the same bits, slowly), results within about 1e-2 of float32's;
                                 0 (default) = float32 products, the reference's rounding */
} sd_config;

typedef struct sd_info {               /* what sd_load found (sd_model_info) */
    int n_tensors, n_f32, n_f16, n_bf16, n_other;
    int64_t params_unet, params_vae, params_text;
    /* UNet */
    int unet_channels;                 /* model_channels (320 for SD 1.x) */
    int unet_in_channels;              /* 4; 9 for an inpainting model (latent, mask, masked image's latent) */
    int unet_levels;                   /* 4 */
    int unet_mult[8];                  /* channel multiplier per level (1,2,4,4) */
    int unet_attention[8];             /* 1 where the level has cross-attention */
    int unet_res_blocks;               /* res blocks per level (2) */
    int unet_depth;                    /* transformer blocks per attention (1; the most of any level) */
    int unet_depths[8], unet_mid_depth;   /* ... per level and in the middle block (SDXL: 0,2,10 and 10) */
    int unet_heads;                    /* 8 (SD 2.x and SDXL: heads of 64, so this is the first attention level's count) */
    int context_dim;                   /* 768 */
    int unet_adm_in;                   /* SDXL: the width of the vector y (pooled text + 6 x 256); else 0 */
    /* CLIP text encoder(s): text_width is sd_text_encode's output (SDXL: both side by side, 768 + 1280) */
    int text_width, text_layers, text_heads, text_vocab, text_positions;
    int text_encoders, text_widths[2];  /* 1, or SDXL's 2, and each one's width */
    int text2_layers, text2_heads;     /* SDXL's second (OpenCLIP bigG) */
    int pooled_dim;                    /* SDXL: the pooled vector's width (1280); else 0 */
    /* VAE */
    int vae_channels, vae_levels, vae_mult[8], vae_res_blocks;
    int latent_channels;               /* 4 */
    float vae_scale;                   /* latent = vae_scale * the VAE encoder's sample (0.18215) */
    int has_unet, has_vae, has_text;   /* which parts the file carried */
    char family[32];                   /* "SD 1.x", "SD 2.x", "SD 1.x inpainting", ... */
    sd_prediction prediction;          /* what the UNet predicts unless sd_params says otherwise */
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
    int width, height;                 /* pixels: multiple of 8, 64..2048 */
    int steps;                         /* 1..1000 */
    float cfg_scale;                   /* classifier-free guidance; <= 1 runs the UNet on the prompt alone */
    sd_sampler sampler;
    sd_scheduler scheduler;            /* SD_SCHEDULER_DEFAULT (0): the sampler's own */
    sd_rng_kind rng;                   /* SD_RNG_CPU (0) or SD_RNG_PHILOX (A1111's GPU seeds) */
    uint64_t seed;                     /* torch.Generator().manual_seed(seed), or Philox's key */
    int clip_skip;                     /* 1 = last CLIP layer, 2 = the one before ("Clip skip 2") */
    sd_weighting weighting;            /* SD_WEIGHTING_NONE (0): the prompt as diffusers reads it */
    sd_prediction prediction;          /* SD_PREDICTION_AUTO (0): the model's own */
    int taesd;                         /* 1 = decode (img2img, inpainting: and encode) with TAESD, not the VAE */
    float eta;                         /* DDIM only: 0 = deterministic */
    double strength;                   /* img2img, inpainting: 0..1, how much of the init image to redo */
    int mask_blur;                     /* inpainting: A1111's mask blur, a Gaussian of this sigma in pixels (0: none) */
    int mask_paste;                    /* inpainting: 1 = the init's pixels pasted back outside the mask */
    int orig_width, orig_height;       /* SDXL's size conditioning: the original size (0: width, height; diffusers' default), */
    int crop_left, crop_top;           /* the crop's top-left corner (0, 0), */
    int target_width, target_height;   /* the target size (0: width, height) */
    int (*progress)(void *user, const sd_progress *p);   /* non-zero return cancels */
    void *progress_user;
    float *latent_out;                 /* optional: the final latent [4, height/8, width/8] */
    float *image_out;                  /* optional: the decoded image [3, height, width], before clamping */
} sd_params;

/* A noise generator: torch's CPU generator (Mersenne twister mt19937 plus torch's normal sampling),
   or Philox4x32-10 as A1111 imitates torch's CUDA generator. */
typedef struct sd_rng {
    sd_rng_kind kind;
    uint32_t mt[624];                  /* CPU: the twister's state */
    int index;
    int has_normal;                    /* torch caches the second value of a scalar Box-Muller pair */
    double normal;
    uint64_t seed;                     /* Philox: the key */
    uint32_t offset;                   /* Philox: calls so far (each sd_randn is one call) */
} sd_rng;

#define SD_MAX_STEPS 1000
typedef struct sd_schedule {           /* a sampler's timetable (sd_schedule_make) */
    sd_sampler sampler;
    sd_scheduler scheduler;            /* never SD_SCHEDULER_DEFAULT: the kind it resolved to */
    int steps;
    int n_t;                           /* entries of timesteps: steps (PNDM: steps + 1 from 2 steps on) */
    float eta;
    float init_noise_sigma;            /* the scale of the starting noise */
    float timesteps[SD_MAX_STEPS + 1]; /* the UNet's t at each step (sigma kinds: fractional) */
    float sigmas[SD_MAX_STEPS + 1];    /* all but DDIM and PNDM: noise level at each step, then 0 */
    float alphas_cumprod[1000];        /* diffusers' of the 1000 training steps (SD 1.5 config) */
    float sigma_table[1000];           /* sigma space: the training steps' sigmas, and their logs */
    float log_sigmas[1000];
} sd_schedule;

typedef struct sd_sampling {           /* a sampler run, one evaluation at a time; the caller owns it */
    const sd_schedule *s;
    sd_rng *rng;                       /* the noise of ancestral steps (NULL: none) */
    float *x;                          /* the latent [n], updated in place */
    float *work;                       /* the caller's sd_sampling_work(sampler) * n floats */
    size_t n;
    int i, stage;                      /* the step under way, and its evaluation (heun, dpm2...: 0 or 1) */
    int evals, total;                  /* evaluations done, and the run's total */
    int count;                         /* steps done in this run */
    float sigma;                       /* the noise level of the next evaluation */
    float h_last;                      /* dpm++2m: the last step's h */
} sd_sampling;

typedef struct sd_array {              /* an n-d float array, e.g. read from .npy */
    int ndim;
    int64_t shape[8];
    float *data;                       /* ndim == 0: one value */
    char dtype[8];                     /* what the file held, e.g. "<f4", "|u1" */
} sd_array;

typedef struct sd_prompt_run {         /* a piece of a prompt and its weight (sd_prompt_parse) */
    const char *text;                  /* UTF-8, NUL-terminated; may be empty */
    double weight;                     /* A1111: ("BREAK", -1) stands for a chunk break */
} sd_prompt_run;

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
/* a separate VAE in memory (the caller keeps it alive), replacing the model's own */
SDDEF sd_result   sd_load_vae_memory(sd_model *m, const void *data, size_t size);
/* TAESD, the tiny autoencoder (madebyollin's taesd_decoder / taesd_encoder.safetensors, or diffusers'
   AutoencoderTiny diffusion_pytorch_model.safetensors), beside the model's VAE: sd_taesd_decode,
   sd_taesd_encode, sd_params.taesd. Load the decoder and the encoder file one after the other for both. */
#ifndef SD_NO_STDIO
SDDEF sd_result   sd_load_taesd(sd_model *m, const char *path);
#endif
SDDEF sd_result   sd_load_taesd_memory(sd_model *m, const void *data, size_t size);   /* caller keeps data alive */
SDDEF sd_result   sd_model_info(sd_model *m, sd_info *info);   /* SD_ERR_STATE when nothing is loaded */
/* textual-inversion embeddings: a safetensors file holding one tensor [n, D] or [D] (A1111's
   emb_params, diffusers' learned_embeds) whose n vectors stand for a trigger word: the file name
   without its extension (sd_load_embedding) or `name`. They stay across sd_load; a trigger loaded
   again is replaced. .pt files are pickles: refused with how to convert them. */
#ifndef SD_NO_STDIO
SDDEF sd_result   sd_load_embedding(sd_model *m, const char *path);
#endif
SDDEF sd_result   sd_load_embedding_memory(sd_model *m, const char *name, const void *data, size_t size);  /* copied */
SDDEF void        sd_clear_embeddings(sd_model *m);
SDDEF int         sd_embedding_count(const sd_model *m);
SDDEF const char *sd_embedding_name(const sd_model *m, int e);   /* the trigger of embedding e (load order); NULL if none */
/* LoRA and LoCon files (kohya/A1111, diffusers and PEFT keys; F32, F16, BF16), applied to the
   weights they touch as W + weight * (alpha / rank) * up @ down in float32, text encoder and UNet
   each with its own weight (A1111's <lora:NAME:TE:UNET>; usually the same). Several add up. Each
   touched layer either holds a float32 copy of W with the update merged in, or runs the update
   beside W at each use (sd_config.lora_apply; by default each layer the cheaper way).
   sd_clear_loras drops every LoRA, giving back the checkpoint's exact weights. A new sd_load drops
   them too. On failure the model is as it was; parts matching no layer are left out with a warning
   (sd_config.log). */
#ifndef SD_NO_STDIO
SDDEF sd_result   sd_load_lora(sd_model *m, const char *path, float te_weight, float unet_weight);
#endif
SDDEF sd_result   sd_load_lora_memory(sd_model *m, const void *data, size_t size, float te_weight, float unet_weight);
SDDEF void        sd_clear_loras(sd_model *m);
SDDEF int         sd_lora_count(const sd_model *m);
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

/* inpainting: repaint where mask (width*height bytes) is 128..255 (white), keep the rest, as
   diffusers' StableDiffusionInpaintPipeline: with an inpainting model (9 input channels) or an
   ordinary one (its latent blended back outside the mask after every step). strength 1 starts
   from noise. sd_params.mask_blur and .mask_paste add A1111's mask blur and paste-back. A mask
   with nothing to repaint gives back init (and says so through sd_config.log). */
SDDEF sd_result   sd_inpaint(sd_model *m, const sd_params *p, const unsigned char *init, const unsigned char *mask, unsigned char *rgb);

/* ---------------------------------------------------------------- one call per stage */

#define SD_TOKENS 77
/* prompt -> BOS, at most 75 BPE ids, EOS, padded with EOS to 77 */
SDDEF sd_result sd_tokenize(sd_model *m, const char *prompt, int ids[SD_TOKENS]);
/* prompt -> all BPE ids, untruncated; *n gets the count (which may exceed cap) */
SDDEF sd_result sd_tokenize_bpe(sd_model *m, const char *prompt, int *ids, int cap, int *n);
/* ids[77] -> hidden states [77, text_width]; clip_skip 1 = last layer, 2 = the one before; an id
   -1 - (128 e + i) puts vector i of embedding e there (sd_prompt_tokens) */
SDDEF sd_result sd_text_encode(sd_model *m, const int ids[SD_TOKENS], int clip_skip, float *out);
/* SDXL: both encoders' penultimate hidden states side by side [77, text_width] (clip skip N: the
   states N layers before the last, no final norm) and, unless pooled is NULL, the pooled vector
   [pooled_dim] of the second (its last layer, normed, at the EOS, @ text_projection). Other
   models: sd_text_encode, pooled must be NULL */
SDDEF sd_result sd_text_encode_pooled(sd_model *m, const int ids[SD_TOKENS], int clip_skip, float *out, float *pooled);
/* x [n,4,h,w] ([n,9,h,w] for an inpainting model), timestep t, context [n,77,context_dim] ->
   predicted noise [n,4,h,w] */
SDDEF sd_result sd_unet(sd_model *m, const float *x, int n, int h, int w, float t, const float *context, float *eps);
/* the same with a context of any length [n,tokens,context_dim] (a prompt of k chunks: 77k tokens) */
SDDEF sd_result sd_unet_ctx(sd_model *m, const float *x, int n, int h, int w, float t, const float *context, int tokens, float *eps);
/* SDXL: the same with SGM's vector y [n, unet_adm_in] (sd_sdxl_vector) added to the time embedding */
SDDEF sd_result sd_unet_y(sd_model *m, const float *x, int n, int h, int w, float t, const float *context, int tokens, const float *y, float *eps);
/* SDXL's y [adm_in] = pooled text [pooled_dim] beside the 256-wide sinusoids (cos first) of the
   original size, the crop's top-left corner and the target size, heights first */
SDDEF sd_result sd_sdxl_vector(sd_model *m, const float *pooled, int orig_h, int orig_w, int crop_top, int crop_left,
                               int target_h, int target_w, float *y);
/* latent z [4,h,w] (raw: no 1/0.18215 inside) -> image [3,8h,8w] in about [-1,1] */
SDDEF sd_result sd_vae_decode(sd_model *m, const float *z, int h, int w, float *image);
/* image [3,H,W] in [-1,1] -> mean and logvar [4,H/8,W/8] of the latent distribution */
SDDEF sd_result sd_vae_encode(sd_model *m, const float *image, int H, int W, float *mean, float *logvar);

/* TAESD (sd_load_taesd): latent z [4,h,w] as the UNet gives it (no 1/0.18215) -> image [3,8h,8w] in
   about [-1,1]; image [3,H,W] in [-1,1] -> latent [4,H/8,W/8] (no distribution, no scaling) */
SDDEF sd_result sd_taesd_decode(sd_model *m, const float *z, int h, int w, float *image);
SDDEF sd_result sd_taesd_encode(sd_model *m, const float *image, int H, int W, float *latent);

/* prompts as A1111 and ComfyUI read them (sd_weighting). The pieces of a prompt and their weights,
   as the UI's parser gives them (A1111 after merging equal neighbours; ComfyUI with escapes undone):
   returns how many (at most strlen(prompt) + 1), or -1 if runs or text is too small; max_runs =
   strlen(prompt) + 1 and text_size = 2 strlen(prompt) + 2 always suffice (prompts up to 1 MB).
   SD_WEIGHTING_NONE gives the prompt as one run of weight 1. A weight A1111 cannot read (`(x:1.2.3)`,
   where it fails) reads as text, as it does outside brackets; digits are ASCII digits (Python's
   float() also takes other scripts' digits). No model needed. */
SDDEF int       sd_prompt_parse(sd_weighting w, const char *prompt, sd_prompt_run *runs, int max_runs, char *text, size_t text_size);
/* A1111's extra-network tags <TYPE:ARGS> in a prompt, e.g. <lora:NAME:0.8> or <lora:NAME:TE:UNET>:
   writes the prompt without any tag to out (strlen(prompt) + 1 bytes; may be NULL) and each lora
   tag's name and weights to loras (the first max); returns how many lora tags there are, or -1
   when one's weight is not a number. sd_txt2img and sd_img2img take the tags out of the prompt
   (not of the negative prompt, as A1111) and leave loading the files to the caller (sd_load_lora). */
typedef struct sd_lora_tag { char name[256]; float te_weight, unet_weight; } sd_lora_tag;
SDDEF int       sd_prompt_loras(const char *prompt, char *out, sd_lora_tag *loras, int max);
/* A prompt's chunks of 77 tokens (BOS, 75, EOS) as the weighting cuts them: *chunks gets how many
   the prompt needs, the first max_chunks are written (ids and weights may be NULL to count). In ids
   a vector of an embedding is -1 - (128 e + i): vector i of embedding e. */
SDDEF sd_result sd_prompt_tokens(sd_model *m, const char *prompt, sd_weighting w, int *ids, float *weights, int max_chunks, int *chunks);
/* A prompt's conditioning: each chunk through the text encoder (clip skip on each), weighted as
   the UI does, joined along the tokens: out [77 chunks, text_width], the first max_chunks written */
SDDEF sd_result sd_encode_prompt(sd_model *m, const char *prompt, sd_weighting w, int clip_skip, float *out, int max_chunks, int *chunks);
/* SDXL: the same and the pooled vector [pooled_dim] of the first chunk (NULL: not wanted) */
SDDEF sd_result sd_encode_prompt_pooled(sd_model *m, const char *prompt, sd_weighting w, int clip_skip, float *out, int max_chunks, int *chunks,
                                        float *pooled);

/* samplers: plain functions of the schedule, no model needed */
/* the timetable of a sampler on a kind of schedule (SD_SCHEDULER_DEFAULT: the sampler's own);
   SD_ERR_ARG for steps out of 1..SD_MAX_STEPS or a pair that does not go together (ddim and pndm
   take only diffusers' timesteps, the k-diffusion samplers only sigma kinds) */
SDDEF sd_result sd_schedule_make(sd_schedule *s, sd_sampler sampler, sd_scheduler kind, int steps, float eta);
SDDEF sd_result sd_schedule_init(sd_schedule *s, sd_sampler sampler, int steps, float eta);   /* the default kind */
SDDEF sd_scheduler sd_scheduler_default(sd_sampler s);
/* 1 if the sampler runs on that kind of schedule: ddim and pndm on diffusers' timesteps only, the
   k-diffusion samplers (heun ... lcm) on the sigma kinds only, euler_a and euler on either */
SDDEF int       sd_sampler_takes(sd_sampler s, sd_scheduler k);
/* names: "euler_a", "dpm++2m", ... and "diffusers", "karras", ...; parse returns 0 for an unknown name */
SDDEF const char *sd_sampler_name(sd_sampler s);
SDDEF const char *sd_scheduler_name(sd_scheduler k);
SDDEF int       sd_sampler_parse(const char *name, sd_sampler *out);
SDDEF int       sd_scheduler_parse(const char *name, sd_scheduler *out);
/* A run, one UNet evaluation at a time: begin at step `first` (0, or the img2img start) on the
   latent x [n] with work = sd_sampling_work(sampler) * n floats; then while sd_sampling_next gives
   the UNet's input and timestep, evaluate it (with guidance) and pass eps to sd_sampling_update
   (denoised, optional, gets the estimate of x_0). Ancestral steps draw their noise from rng. */
SDDEF size_t    sd_sampling_work(sd_sampler s);
SDDEF void      sd_sampling_begin(sd_sampling *r, const sd_schedule *s, int first, float *x, size_t n, float *work, sd_rng *rng);
SDDEF int       sd_sampling_next(sd_sampling *r, float *model_in, float *t);   /* 0 when the run is done */
SDDEF void      sd_sampling_update(sd_sampling *r, const float *eps, float *denoised);
/* a v-prediction model's output -> eps for sd_sampling_update, in place: v at the evaluation that
   sd_sampling_next just gave (t, and model_in its input); eps = sqrt(a) v + sqrt(1-a) model_in */
SDDEF void      sd_sampling_v_to_eps(const sd_sampling *r, float t, const float *model_in, float *v, size_t n);
/* the same by hand for samplers that remember nothing (euler_a, euler, ddim, lcm): the UNet input
   at step i (x scaled by 1/sqrt(sigma^2+1), unchanged for DDIM and PNDM), and one step x_t -> x_{t-1}
   in place given the guided eps (SD_ERR_ARG for the others: they need a run) */
SDDEF void      sd_scale_input(const sd_schedule *s, int i, const float *x, float *out, size_t n);
SDDEF sd_result sd_step(const sd_schedule *s, int i, const float *eps, float *x, float *denoised, size_t n, sd_rng *rng);
/* img2img start: x0 noised to the level of step i */
SDDEF void      sd_add_noise(const sd_schedule *s, int i, const float *x0, const float *noise, float *out, size_t n);
/* img2img: the first step for a strength: diffusers' rule on diffusers' timesteps, A1111's on
   sigma kinds (int(min(strength, 0.999) * steps) steps after the first); -1 if no step would run */
SDDEF int       sd_schedule_first_step(const sd_schedule *s, double strength);
SDDEF int       sd_first_step(int steps, double strength);   /* diffusers' rule */

/* torch.Generator().manual_seed(seed); torch.randn(n, generator=...) */
SDDEF void      sd_rng_seed(sd_rng *r, uint64_t seed);
SDDEF void      sd_rng_init(sd_rng *r, sd_rng_kind kind, uint64_t seed);   /* CPU or Philox */
SDDEF void      sd_randn(sd_rng *r, float *out, size_t n);   /* one call of randn(n) */

/* .npy files (float32/float64/float16, int8..int64, uint8, bool; read as float32) */
SDDEF sd_result sd_npy_parse(sd_model *m, const void *data, size_t size, sd_array *a);
#ifndef SD_NO_STDIO
SDDEF sd_result sd_npy_read(sd_model *m, const char *path, sd_array *a);
SDDEF sd_result sd_npy_write(sd_model *m, const char *path, const float *data, int ndim, const int64_t *shape);
#endif
SDDEF void      sd_array_free(sd_model *m, sd_array *a);

/* ---------------------------------------------------------------- the GPU backend's entry points
   Private to sd.h and sd_cuda.cu (built with -DSD_CUDA), which both see this one declaration
   block: a signature that differs is a compile error, not a crash on a GPU. Device memory
   throughout; weights are uploaded once (sd__cuda_weight) and kept as F16 (FP32 mode: F32); each
   operation has exactly the semantics of the reference kernel of the same name in sd.h. */
typedef struct sd__cuda sd__cuda;
#ifdef SD_CUDA
sd__cuda *sd__cuda_create(int fp32, char *err, size_t errlen);
void sd__cuda_destroy(sd__cuda *g);
const char *sd__cuda_error(sd__cuda *g);           /* "" while fine; the first failure otherwise */
void *sd__cuda_malloc(sd__cuda *g, size_t bytes);  /* NULL on failure */
void sd__cuda_free(sd__cuda *g, void *dev);
void sd__cuda_upload(sd__cuda *g, void *dev, const void *host, size_t bytes);
void sd__cuda_download(sd__cuda *g, void *host, const void *dev, size_t bytes);
void *sd__cuda_weight(sd__cuda *g, const void *le_bytes, int dtype, size_t n);   /* dtype 0 F32, 1 F16, 2 BF16 */
void sd__cuda_conv2d(sd__cuda *g, float *out, const float *in, int n, int c, int h, int w, int up_h, int up_w, int co, int k,
                     int stride, int pad_t, int pad_l, int ho, int wo, const void *wt, const float *bias, const float *add,
                     const float *stats, int silu);
void sd__cuda_linear(sd__cuda *g, float *out, const float *in, int rows, int c, int co, const void *wt, const float *bias, const float *add);
void sd__cuda_gn_stats(sd__cuda *g, float *stats, const float *in, int n, int c, int hw, int groups, float eps, const float *gamma, const float *beta);
void sd__cuda_layernorm(sd__cuda *g, float *out, const float *in, int rows, int c, float eps, const float *gamma, const float *beta);
void sd__cuda_attention(sd__cuda *g, float *out, const float *q, const float *k, const float *v, int n, int heads, int tq, int tk, int d, int causal);
void sd__cuda_transpose(sd__cuda *g, float *out, const float *in, int n, int a, int b, const float *stats, const float *add);
void sd__cuda_geglu(sd__cuda *g, float *out, const float *in, int rows, int f);
void sd__cuda_act(sd__cuda *g, float *out, const float *in, size_t n, int kind);   /* 0 SiLU, 1 quick_gelu, 2 GELU, 3 ReLU */
void sd__cuda_add_chan(sd__cuda *g, float *x, const float *e, int n, int c, int hw);
void sd__cuda_concat(sd__cuda *g, float *out, const float *a, int ca, const float *b, int cb, int n, int hw);
#endif

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
#include <errno.h>      /* why a file did not open */

#if defined(_OPENMP) && !defined(SD_NO_OPENMP)
#include <omp.h>
#define SD__OMP 1
#else
#define SD__OMP 0
#endif

/* x86 with AVX-512, or AVX2 and FMA: the micro-kernel written with intrinsics (the compiler's own
   vectorization of the scalar tile spills under AVX2 and runs at half the speed; under AVX-512 it
   fits, and the intrinsics pin the schedule down); SD_NO_SIMD leaves it out. It does the same
   operations in the same order as its scalar twin: the same bits. */
#if defined(__AVX512F__) && !defined(SD_NO_SIMD)
#include <immintrin.h>
#define SD__AVX512 1
#define SD__AVX2 0
#elif defined(__AVX2__) && defined(__FMA__) && !defined(__AVX512F__) && !defined(SD_NO_SIMD)
#include <immintrin.h>
#define SD__AVX512 0
#define SD__AVX2 1
#else
#define SD__AVX512 0
#define SD__AVX2 0
#endif
/* x86 with F16C beside either: halves decoded to floats 16 or 8 at a time (exact: the same floats) */
#if (SD__AVX512 || SD__AVX2) && defined(__F16C__)
#define SD__F16C 1
#else
#define SD__F16C 0
#endif

/* emscripten's mmap copies the file into a heap of at most 2 GB: fread is the honest path there */
#if !defined(SD_NO_MMAP) && !defined(SD_NO_STDIO) && (defined(__unix__) || defined(__APPLE__)) && !defined(__EMSCRIPTEN__)
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
#if defined(MADV_HUGEPAGE)
#define SD__HUGEPAGE MADV_HUGEPAGE
#elif defined(__linux__)
#define SD__HUGEPAGE 14
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

/* a function kept out of line (the micro-kernels: inlined into a caller that is short of registers,
   gcc spills the tile's row pointers) */
#if defined(__GNUC__)
#define SD__NOINLINE __attribute__((noinline))
#else
#define SD__NOINLINE
#endif

/* a hint that these bytes will be read soon (weights and inputs read in short runs far apart, which the
   hardware's prefetchers do not foresee); nothing else, so no effect on any result */
#if defined(__GNUC__)
#define SD__PREFETCH(p) __builtin_prefetch((const void *)(p))
#else
#define SD__PREFETCH(p) ((void)(p))
#endif

/* Same bits whatever the compiler: no contraction of a*b+c into fma behind our back. */
#if defined(__clang__) || (defined(__STDC_VERSION__) && !defined(__GNUC__))
#pragma STDC FP_CONTRACT OFF
#endif
/* Fast kernels fuse multiply-adds where the hardware has them (fmaf is correctly rounded
   everywhere, so the bits depend on the target, never on the thread count). */
#if defined(FP_FAST_FMAF) || defined(__FMA__)   /* clang has FMA without saying FP_FAST_FMAF */
#define SD__FMA(a, b, c) fmaf(a, b, c)
#else
#define SD__FMA(a, b, c) ((a) * (b) + (c))
#endif

/* The GPU backend: sd_cuda.cu implements the sd__cuda_* functions declared at the end of the
   header part; without it, these stand-ins keep one code path (the GPU is never picked). */
#ifdef SD_CUDA
#define SD__HAVE_GPU 1
#else
#define SD__HAVE_GPU 0
static void sd__cuda_destroy(sd__cuda *g) { (void)g; }
static const char *sd__cuda_error(sd__cuda *g) { (void)g; return ""; }
static void *sd__cuda_malloc(sd__cuda *g, size_t bytes) { (void)g; (void)bytes; return NULL; }
static void sd__cuda_free(sd__cuda *g, void *dev) { (void)g; (void)dev; }
static void sd__cuda_upload(sd__cuda *g, void *dev, const void *host, size_t bytes) { (void)g; (void)dev; (void)host; (void)bytes; }
static void sd__cuda_download(sd__cuda *g, void *host, const void *dev, size_t bytes) { (void)g; (void)dev; (void)host; (void)bytes; }
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

/* the stages a model runs, each alone (one call per stage) */
typedef enum sd__stage_kind { SD__STAGE_TEXT, SD__STAGE_UNET, SD__STAGE_DECODE, SD__STAGE_ENCODE, SD__STAGE_TAESD_DECODE,
                               SD__STAGE_TAESD_ENCODE } sd__stage_kind;

typedef struct sd__tensor sd__tensor;
typedef struct sd__clip sd__clip;   /* the models: each defined in its chapter */
typedef struct sd__unet sd__unet;
typedef struct sd__vae sd__vae;
typedef struct sd__taesd sd__taesd;
typedef struct sd__kernels sd__kernels;
typedef struct sd__vocab sd__vocab;

/* The weights of one layer: a tensor in the checkpoint's own dtype plus its bias as floats. */
typedef struct sd__lin {
    const sd__tensor *w;   /* [Co, C] or [Co, C, k, k] */
    const float *b;        /* [Co] or NULL */
} sd__lin;

typedef struct sd__norm {  /* GroupNorm / LayerNorm affine parameters */
    const float *w, *b;    /* [C] */
} sd__norm;

#define SD__MAXSRC 8

typedef struct sd__source {       /* one safetensors file */
    const unsigned char *bytes;   /* the whole file (mapped, read, or the caller's); NULL when streaming */
    size_t size;                  /* the file's size */
    int mapped;
    int n_fd, fd[4];              /* mapped: the file, kept open (once per thread, up to 4) to copy big tensors in with
                                     read(), the threads a part each (sd__weights_begin) */
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
    float *lora;                  /* with LoRAs merged: the float32 weights (data points here, dtype F32) */
    int dtype0;                   /* ... and the tensor's own dtype */
    struct sd__lora_side *side;   /* with LoRAs applied beside the layer instead: their products, or NULL */
    void *dev;                    /* the GPU's copy, made when first used there */
};

/* the LoRAs applied beside a layer W (sd_load_lora): out += up @ (down @ in). Several LoRAs are one of
   their ranks summed, R: down's rows one after another, up's columns likewise, each scaled by its
   weight * alpha / r */
typedef struct sd__lora_side {
    sd__tensor down, up;   /* [R, C(,k,k)] (a layer of W's geometry) and [Co, R(,1,1)], float32 */
    float *v;              /* their values: down's, then up's */
} sd__lora_side;

/* A big weight of a mapped checkpoint on its way into memory: its bytes are copied from the file
   into buf (its data while its layer runs) by read(), a part on each thread, each with its own file
   descriptor (sd__weights_begin); or, pending, by the product's own tasks, each the rows of B it is
   about to pack, so that they are in its core's cache (sd__mm_run) */
typedef struct sd__wread {
    const sd__tensor *w;          /* the weight (NULL: none) */
    int pending;                  /* its bytes are read by the product's tasks */
    const int *fd;                /* the file, once per thread (n_fd of them) */
    int n_fd;
    uint64_t at;                  /* where its bytes start in the file */
    const unsigned char *map;     /* ... and in the mapping: read from there where read() fails */
    unsigned char *buf;
    size_t min_parts;             /* bytes from which a whole read is cut into parts */
    int fell[4];                  /* a part read from the mapping (its pages: handed back after) */
} sd__wread;

struct sd_model {
    sd_config cfg;
    int n_threads;
    size_t par_work;              /* a parallel loop's work (flops) per thread: less runs on fewer (sd__nt) */
    const sd__kernels *kern;      /* the kernels it runs (sd__kernels_pick) */
    char err[SD__ERRLEN];
    /* the checkpoint: one or more safetensors files (a diffusers folder, a separate VAE) */
    sd__source src[SD__MAXSRC];
    int nsrc;
    size_t page;                  /* the page size, for releasing mapped weights */
    size_t wcopy_min;             /* bytes: a mapped tensor this big is copied in for its layer (sd__wcopy_floats) */
    sd__wread wread;              /* the weight being copied in */
    unsigned char *wbuf;          /* streaming: room for the largest tensor */
    int io_failed;                /* streaming: a read failed during a forward pass */
    sd__tensor *t;                /* the tensor table, sorted by (LDM) name */
    int nt;
    float *params;                /* all 1-D parameters as floats */
    size_t n_params;
    sd__cuda *gpu;                 /* the GPU backend, or NULL for the CPU */
    float *params_dev;            /* the GPU's copy of params */
    sd__clip *clip;               /* the parts the checkpoint holds (NULL: not there) */
    sd__clip *clip2;              /* SDXL: the second text encoder (OpenCLIP bigG), else NULL */
    sd__unet *unet;
    sd__vae *vae;
    sd__taesd *taesd;             /* the tiny autoencoder (sd_load_taesd), or NULL */
    sd__vocab *vocab;
    struct sd__embedding *emb;    /* textual-inversion embeddings (sd_load_embedding) */
    int n_emb;
    int n_lora;                   /* LoRAs merged into the weights (sd_load_lora) */
    int pad;                      /* the token after EOS, from the text encoder's family (-1: EOS itself) */
    sd_prediction prediction;     /* the UNet's, found at load (never AUTO once a UNet is loaded) */
    int folder_gelu, folder_pad, folder_pred;   /* a diffusers folder's configs: GELU text encoder, pad "!", v */
    int folder_xl;                /* a diffusers SDXL folder (text_encoder_2/) */
    /* scratch: one arena, sized by a planning pass before each stage runs */
    unsigned char *arena;
    size_t arena_size, arena_top, arena_peak;
    int planning;
    double flops;                 /* 2 x multiply-adds of the last stage, counted while planning */
    int wino_orient;              /* (tests) 0: Winograd's tiles as the product's rows where an image has few, 1: always, 2: never */
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

/* the last failure's message framed as "prefix: message suffix" (either may be NULL); returns r */
static sd_result sd__wrap(sd_model *m, sd_result r, const char *prefix, const char *suffix)
{
    char msg[SD__ERRLEN];
    if (r == SD_OK) return r;
    memcpy(msg, m->err, sizeof msg);
    return sd__fail(m, r, "%s%s%s%s", prefix ? prefix : "", prefix ? ": " : "", msg, suffix ? suffix : "");
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
    size_t at = m->arena_top, bytes = SIZE_MAX;
    if (nfloat <= (SIZE_MAX - 63) / sizeof(float)) bytes = (nfloat * sizeof(float) + 63) & ~(size_t)63;
    m->arena_top = bytes > SIZE_MAX - at ? SIZE_MAX : at + bytes;   /* saturates where size_t is 32 bits */
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

/* a new buffer of n floats in huge pages where the system has them: a page fault per 2 MB, not per
   4 KB (most of a large LoRA's load time is the kernel handing out and clearing pages; the arena's
   first use in a process likewise), and fewer TLB misses over large tensors */
static void sd__hugepages(float *p, size_t n)
{
#if SD__MMAP && defined(SD__HUGEPAGE)
    uintptr_t a = ((uintptr_t)p + ((uintptr_t)1 << 21) - 1) & ~(((uintptr_t)1 << 21) - 1), e = ((uintptr_t)(p + n)) & ~(((uintptr_t)1 << 21) - 1);
    if (e > a) madvise((void *)a, (size_t)(e - a), SD__HUGEPAGE);
#else
    (void)p; (void)n;
#endif
}

/* Sizes the arena for the peak counted by the planning pass. */
static sd_result sd__arena_reserve(sd_model *m, size_t bytes)
{
    if (bytes > SIZE_MAX - 64)
        return sd__fail(m, SD_ERR_NOMEM, "this needs more scratch memory than a %d-bit program can address", (int)sizeof(size_t) * 8);
    if (m->cfg.memory_limit && bytes > m->cfg.memory_limit)
        return sd__fail(m, SD_ERR_NOMEM, "this needs %.1f MB of scratch memory, over the limit of %.1f MB",
                        bytes / 1048576.0, m->cfg.memory_limit / 1048576.0);
    if (bytes <= m->arena_size) return SD_OK;
    if (m->gpu) sd__cuda_free(m->gpu, m->arena); else sd__free(m, m->arena);
    m->arena_size = 0;
    m->arena = (unsigned char *)(m->gpu ? sd__cuda_malloc(m->gpu, bytes + 64) : sd__malloc(m, bytes + 64));
    if (!m->arena) return sd__fail(m, SD_ERR_NOMEM, "out of %s memory: %.1f MB of scratch", m->gpu ? "GPU" : "", bytes / 1048576.0);
    if (!m->gpu) sd__hugepages((float *)(void *)m->arena, bytes / sizeof(float));
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
    uint32_t den = (uint32_t)0 - (uint32_t)(two_w < (1u << 27));   /* all ones for a subnormal */
    return sd__bits_f32(sign | (sd__f32_bits(denormal) & den) | (sd__f32_bits(normal) & ~den));
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
    case SD__F16:
        p += 2 * at;
        i = 0;
#if SD__F16C   /* (x86: the file's little-endian halves are the register's) */
#if SD__AVX512
        for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(p + 2 * i))));
#endif
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(p + 2 * i))));
#endif
        for (; i < n; i++) out[i] = sd__f16_f32(sd__u16le(p + 2 * i));
        break;
    case SD__BF16: p += 2 * at; for (i = 0; i < n; i++) out[i] = sd__bf16_f32(sd__u16le(p + 2 * i)); break;
    case SD__F64:
        p += 8 * at;
        for (i = 0; i < n; i++) { uint64_t u = sd__u64le(p + 8 * i); double d; memcpy(&d, &u, 8); out[i] = (float)d; }
        break;
    default: for (i = 0; i < n; i++) out[i] = 0.0f; SD_ASSERT(0);
    }
}

/* elements at..at+n of a tensor's bytes p: read soon (SD__PREFETCH, a line at a time) */
static void sd__prefetch(const unsigned char *p, int dtype, size_t at, size_t n)
{
    size_t es = (size_t)sd__dtype_size[dtype], o, e = (at + n) * es;
    if (!n) return;
    for (o = at * es; o < e; o += 64) SD__PREFETCH(p + o);
    SD__PREFETCH(p + e - 1);
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
    if (t && m->wbuf && t->data == m->wbuf) ((sd__tensor *)(size_t)t)->data = NULL;   /* only what streaming read in */
}

/* n elements of a tensor from element `at` on, as floats, without holding the whole tensor */
static sd_result sd__read_row(sd_model *m, const sd__tensor *t, size_t at, size_t n, float *out)
{
#ifndef SD_NO_STDIO
    const sd__source *s = &m->src[t->src];
    size_t es = (size_t)sd__dtype_size[t->dtype];
    unsigned char buf[4096];
    size_t done = 0;
    if (!t->data && s->fp) {   /* streaming, not in memory now */
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

/* where a tensor's bytes lie in its mapped file (NULL: its file is not mapped) */
static const unsigned char *sd__in_file(const sd_model *m, const sd__tensor *t)
{
    const sd__source *s = &m->src[t->src];
    return s->mapped ? s->bytes + s->data_at + t->begin : NULL;
}

/* Weights are used once per forward pass. From a mapped checkpoint, their pages are handed
   back right after use (madvise DONTNEED: they leave the resident set but stay in the page
   cache, so the next pass maps them again at the cost of minor page faults): the UNet's 1.6 GB
   of F16 weights never need to be resident at once. */
static void sd__weights_done(sd_model *m, const sd__tensor *t)
{
#if SD__MMAP && defined(SD__DONTNEED)
    if (t && m->page && t->data && t->data == sd__in_file(m, t) &&
        t->end - t->begin >= 64 * (uint64_t)m->page) {   /* the file's own bytes (not a LoRA's copy); small ones: not worth a call */
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
    r->kind = SD_RNG_CPU;
    r->seed = seed;
    r->offset = 0;
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

/* ---------------------------------------------------------------- A1111's GPU noise
   modules/rng_philox.py: value i of call number `offset` is Philox4x32-10 of the counter
   (offset, 0, i, 0) under the key (low, high 32 bits of the seed), its first two words through
   the sine branch of Box-Muller, in double, rounded to float once. */

static float sd__philox_normal(uint64_t seed, uint32_t offset, uint32_t i)
{
    uint32_t c0 = offset, c1 = 0, c2 = i, c3 = 0, k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    double a = (double)sd__bits_f32(0x2F800000u), b = (double)sd__bits_f32(0x30C90FDBu);   /* 2^-32, 2^-32 2 pi in float */
    double u, v;
    int round;
    for (round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)c0 * 0xD2511F53u, p1 = (uint64_t)c2 * 0xCD9E8D57u;
        c0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        c1 = (uint32_t)p1;
        c2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c3 = (uint32_t)p0;
        if (round < 9) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
    }
    u = (double)c0 * a + a / 2.0;
    v = (double)c1 * b + b / 2.0;
    return (float)(sqrt(-2.0 * log(u)) * sin(v));
}

SDDEF void sd_rng_init(sd_rng *r, sd_rng_kind kind, uint64_t seed)
{
    sd_rng_seed(r, seed);
    r->kind = kind;
}

/* out = randn(n) * scale, or out += randn(n) * scale when add is set. Streams in blocks of
   16 (each block of normals depends only on its own 16 uniforms), so no buffer of n is needed;
   the tail rule of torch (the last 16 values redrawn after the rest) is kept exactly. */
static void sd__randn_into(sd_rng *r, float *out, size_t n, float scale, int add)
{
    float d[16];
    size_t i, k, full = n / 16 * 16, keep = n % 16 ? n - 16 : n;   /* the tail overwrites from n-16 on */
    if (r->kind == SD_RNG_PHILOX) {   /* one call: n values of the counter's next offset */
        for (i = 0; i < n; i++) {
            float z = sd__philox_normal(r->seed, r->offset, (uint32_t)i);
            out[i] = add ? out[i] + z * scale : z * scale;
        }
        r->offset++;
        return;
    }
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
    if (!f) return sd__fail(m, SD_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
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
    return sd__wrap(m, r, path, NULL);
}

static void sd__put_u32le(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
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

   Every operation has one readable scalar version, the reference (`_ref`: the specification,
   selected by sd_config.reference or SD_REFERENCE), and a fast twin right below it (`_fast`:
   blocked, threaded, tested against the reference). Both take the same arguments; a kernel set
   (sd__kernels, near the end of this section) names one of each, and the model code calls the
   sd__op_* functions after it, which run the model's set and do nothing but count in the arena's
   planning pass. Most fast kernels are one matrix product, the engine that comes first. */

typedef enum sd__act {         /* an elementwise activation */
    SD__ACT_NONE,
    SD__ACT_SILU,              /* x * sigmoid(x): the UNet and the VAE */
    SD__ACT_QUICK_GELU,        /* x * sigmoid(1.702 x): OpenAI CLIP's MLP */
    SD__ACT_GELU,              /* x (1 + erf(x / sqrt 2)) / 2, the exact GELU: OpenCLIP's MLP */
    SD__ACT_RELU               /* max(x, 0): TAESD */
} sd__act;

typedef enum sd__mask {        /* which keys a query attends to */
    SD__MASK_NONE,             /* all */
    SD__MASK_CAUSAL            /* itself and the ones before it (the text encoder) */
} sd__mask;

typedef struct sd__conv {      /* the geometry of one convolution (made by the sd__conv_* functions) */
    int n, c, h, w;            /* input [N,C,H,W] */
    int up_h, up_w;            /* >0: the input is first upsampled (nearest) to this size */
    int co, k, stride;         /* output channels, kernel size (1 or 3), stride (1 or 2) */
    int pad_t, pad_l;          /* zero padding on top and left (bottom and right follow from ho, wo) */
    int ho, wo;                /* output size */
} sd__conv;

/* a k x k convolution, stride 1, padded to keep the size: [N,C,H,W] -> [N,Co,H,W] */
static sd__conv sd__conv_same(int n, int c, int h, int w, int co, int k)
{
    sd__conv g;
    memset(&g, 0, sizeof g);
    g.n = n; g.c = c; g.h = h; g.w = w; g.co = co; g.k = k; g.stride = 1;
    g.pad_t = g.pad_l = k / 2; g.ho = h; g.wo = w;
    return g;
}

/* a 3x3 convolution of stride 2 with `pad` zeros on top and left and one on bottom and right:
   [N,C,H,W] -> [N,Co,(H+pad-1)/2+1 ...]. The UNet pads 1 (size rounded up), the VAE 0 (halved) */
static sd__conv sd__conv_down(int n, int c, int h, int w, int co, int pad)
{
    sd__conv g = sd__conv_same(n, c, h, w, co, 3);
    g.stride = 2; g.pad_t = g.pad_l = pad;
    g.ho = (h + pad - 2) / 2 + 1; g.wo = (w + pad - 2) / 2 + 1;
    return g;
}

/* nearest upsampling to [H2,W2], then a 3x3 convolution: [N,C,H,W] -> [N,Co,H2,W2] */
static sd__conv sd__conv_up(int n, int c, int h, int w, int co, int h2, int w2)
{
    sd__conv g = sd__conv_same(n, c, h, w, co, 3);
    g.up_h = h2; g.up_w = w2; g.ho = h2; g.wo = w2;
    return g;
}

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

/* ---------------------------------------------------------------- fast arithmetic
   The fast kernels' twins of expf, erf and SiLU: branch-free, so that loops over them vectorize. */

/* Comparisons of floats are branches to gcc under AVX2 (they may trap), which stops a loop from
   vectorizing; these compare the bit patterns as integers instead, with the same results. */
static inline uint32_t sd__order_key(float x)   /* unsigned order of the keys = the floats' order */
{
    uint32_t u = sd__f32_bits(x);
    return u ^ (((0u - (u >> 31)) >> 1) | 0x80000000u);
}

static inline float sd__key_float(uint32_t k)   /* the float of an order key */
{
    return sd__bits_f32(k >> 31 ? k ^ 0x80000000u : ~k);
}

/* e^x, vectorizable, within 2 ulp: 2^n * e^f with n = round(x / ln 2), |f| <= ln2/2, degree-7 Taylor */
static inline float sd__expf(float x)
{
    float r, f, p;
    int32_t n;
    /* x clamped to [-87, 88] on the magnitude's bits (a NaN too: it comes back at the end) */
    uint32_t u = sd__f32_bits(x), mag = u & 0x7fffffffu, neg = 0u - (u >> 31);
    uint32_t lim = (0x42ae0000u & neg) | (0x42b00000u & ~neg);   /* 87 or 88 */
    uint32_t over = 0u - (uint32_t)(mag > lim), nan = 0u - (uint32_t)(mag > 0x7f800000u);
    x = sd__bits_f32((lim & over) | (mag & ~over) | (u & 0x80000000u));
    r = x * 1.44269504f;                                     /* round to nearest by adding 1.5 * 2^23: */
    r = r + 12582912.0f;                                     /* each assignment rounds to float, also */
    r = r - 12582912.0f;                                     /* where FLT_EVAL_METHOD != 0 (s390x, x87) */
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
    return sd__bits_f32((sd__f32_bits(p) + ((uint32_t)n << 23)) | (nan & 0x7fc00000u));
}

/* 2^x for x <= 0 (softmax's weights, x = score - max), vectorizable, within 1 ulp where 2^x >= 2^-125;
   0 below that (a masked score, -inf, included). For x <= 0 the bits order by magnitude, so an
   unsigned min clamps x at -125. A NaN's result is not defined: the softmax looks for NaNs itself.
   n = round(x), f = x - n exactly, 2^f on [-1/2, 1/2] by a degree-6 polynomial (fitted for relative
   error, 2.2e-9) */
static inline float sd__exp2_neg(float x)
{
    uint32_t u = sd__f32_bits(x), lim = 0xc2fa0000u, tiny = 0u - (uint32_t)(u > lim);   /* lim: -125 */
    float r, f, p;
    x = sd__bits_f32(u < lim ? u : lim);
    r = x + 12582912.0f;                                   /* round to nearest (as in sd__expf) */
    r = r - 12582912.0f;
    f = x - r;
    p = 1.53707369e-4f;
    p = SD__FMA(p, f, 1.33998459e-3f);
    p = SD__FMA(p, f, 9.61837359e-3f);
    p = SD__FMA(p, f, 5.55032901e-2f);
    p = SD__FMA(p, f, 2.40226477e-1f);
    p = SD__FMA(p, f, 6.93147182e-1f);
    p = SD__FMA(p, f, 1.0f);
    return sd__bits_f32((sd__f32_bits(p) + ((uint32_t)(int32_t)r << 23)) & ~tiny);
}

static inline float sd__silu_fast(float x) { return x / (1.0f + sd__expf(-x)); }

/* erf with the fast exp (Abramowitz-Stegun 7.1.26 is too coarse; this is
   erf(x) = sign(x) (1 - t * exp(-x^2 + P(t))), Numerical Recipes' erfc, rel. error < 1.2e-7) */
static inline float sd__erf_fast(float x)
{
    uint32_t u = sd__f32_bits(x), neg = 0u - (uint32_t)(u > 0x80000000u && u <= 0xff800000u);   /* x < 0, as bits */
    float z = sd__bits_f32(u & 0x7fffffffu), t = 1.0f / (1.0f + 0.5f * z), r, p;
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
    return sd__bits_f32(sd__f32_bits(r) ^ (neg & 0x80000000u));
}

static inline float sd__gelu_fast(float x) { return 0.5f * x * (1.0f + sd__erf_fast(x * 0.70710678f)); }   /* the exact GELU's twin */

/* ---------------------------------------------------------------- the matrix product
   One matrix product serves every heavy operation: C[M,N] = A[M,K] B[K,N] (+ bias, + add),
   cache-blocked, with packed panels and an MR x NR register tile that the compiler vectorizes
   (plain C: fixed-size loops over a local accumulator; on AVX2 and on AVX-512 a twin in intrinsics;
   with sd_config.bf16 the panels in bfloat16 pairs and a tile of its own). Convolutions are implicit GEMMs: the
   packer reads the input image directly (padding, stride, nearest upsampling and the fused
   GroupNorm+SiLU included), so no im2col buffer exists. Threads take whole (rows, columns)
   tiles and each output is summed over K in one fixed order: the bits do not depend on the
   thread count. */

#if defined(__AVX512F__)
#define SD__MR 6
#define SD__NR 64   /* the 6x64 tile: 24 of the 32 AVX-512 registers */
#elif SD__AVX2
#define SD__MR 6
#define SD__NR 16   /* 6x16: 12 of the 16 AVX2 registers, 2 for B, 1 for A (sd__kernel_avx2) */
#else
#define SD__MR 4
#define SD__NR 16   /* 4x16: 16 NEON registers, or 8 SSE2 pairs; the bits are the same for any tile */
#endif
#define SD__KC 256
#define SD__NC 512
#define SD__MC 96

/* SD__PARALLEL_FOR(nt): the loop below runs on nt threads, one iteration at a time each
   (iterations are independent outputs); SD__PARALLEL_FOR_CHUNK(nt, k): k iterations at a time,
   for loops of small iterations (one at a time, the threads would queue for the next: see
   sd__per_task); SD__TID() is the calling thread's index */
#if SD__OMP
#define SD__PRAGMA(x) _Pragma(#x)
#define SD__PARALLEL_FOR(nt) SD__PRAGMA(omp parallel for num_threads(nt) schedule(dynamic, 1))
#define SD__PARALLEL_FOR_CHUNK(nt, k) SD__PRAGMA(omp parallel for num_threads(nt) schedule(dynamic, k))
#define SD__TID() omp_get_thread_num()
#else
#define SD__PARALLEL_FOR(nt) (void)(nt);
#define SD__PARALLEL_FOR_CHUNK(nt, k) (void)(nt); (void)(k);
#define SD__TID() 0
#endif

/* iterations of `floats` floats each that make a task of 16384 floats or more (tens of microseconds) */
static int sd__per_task(size_t floats) { return floats >= 16384 ? 1 : (int)(16384 / (floats ? floats : 1)); }

/* the threads for a loop of about `work` floating-point operations: one per m->par_work of it, at
   least one, at most n_threads. A parallel region costs a fork and a join; where another program
   holds a core the join waits for the sleeping thread's turn (milliseconds), so the small loops (a
   64x64 image's, a tiny model's) run on the calling thread. Only the count of threads changes,
   never how the work is cut: the same bits either way. A loop that moves floats counts
   SD__PAR_FLOAT a float (memory, not arithmetic, sets its pace), twice that where each costs an
   erf; attention a query at a time counts as much a multiply-add. */
#define SD__PAR_WORK ((size_t)1 << 23)   /* flops a thread at least: under 16 M (0.1 ms), one thread */
#define SD__PAR_FLOAT 32.0               /* the work of a float read and written */
static int sd__nt(const sd_model *m, double work)
{
    double t = m->par_work > 0 ? work / (double)m->par_work : (double)m->n_threads;
    return t >= (double)m->n_threads ? m->n_threads : t >= 2.0 ? (int)t : 1;
}

/* an activation over n floats (y may be x), as the fast kernels compute it */
static void sd__act_apply(float *y, const float *x, size_t n, sd__act kind)
{
    size_t i;
    if (kind == SD__ACT_SILU) for (i = 0; i < n; i++) y[i] = sd__silu_fast(x[i]);
    else if (kind == SD__ACT_QUICK_GELU) for (i = 0; i < n; i++) y[i] = x[i] / (1.0f + sd__expf(-1.702f * x[i]));
    else if (kind == SD__ACT_GELU) for (i = 0; i < n; i++) y[i] = sd__gelu_fast(x[i]);
    else if (kind == SD__ACT_RELU) for (i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
    else if (y != x) memcpy(y, x, sizeof(float) * n);
}

/* n rounded up to a multiple of the tile's rows: panels are padded to whole tiles */
static int sd__up_mr(int n) { return (n + SD__MR - 1) / SD__MR * SD__MR; }

/* The register tile: c[MR][NR] (row stride ldc) = (first ? 0 : c) + a x b over kc, where the A panel
   holds MR rows of kc values (a[i*lda + p]) and the B panel kc rows of NR (b[p*NR + j]). */
static void sd__kernel_c(int kc, const float *SD__RESTRICT a, int lda, const float *SD__RESTRICT b, float *SD__RESTRICT c, int ldc, int first)
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
            float ai = a[(size_t)i * lda + p];
            for (j = 0; j < SD__NR; j++) acc[i][j] = SD__FMA(ai, bp[j], acc[i][j]);
        }
    }
    for (i = 0; i < SD__MR; i++)
        for (j = 0; j < SD__NR; j++) c[(size_t)i * ldc + j] = acc[i][j];
}

#if SD__AVX2
static void (*const sd__kernel_twin)(int, const float *, int, const float *, float *, int, int) = sd__kernel_c;   /* tests compare the two */
/* the 6x16 tile in twelve AVX2 registers: per step, two vectors of B and each row's A broadcast */
#define SD__ROW(r, a0, a1) a0 = _mm256_loadu_ps(c + (size_t)(r) * ldc); a1 = _mm256_loadu_ps(c + (size_t)(r) * ldc + 8)
#define SD__FMA2(r, a0, a1) x = _mm256_broadcast_ss(a + (size_t)(r) * lda + p); \
                            a0 = _mm256_fmadd_ps(x, b0, a0); a1 = _mm256_fmadd_ps(x, b1, a1)
#define SD__OUT(r, a0, a1) _mm256_storeu_ps(c + (size_t)(r) * ldc, a0); _mm256_storeu_ps(c + (size_t)(r) * ldc + 8, a1)
static SD__NOINLINE void sd__kernel_avx2(int kc, const float *SD__RESTRICT a, int lda, const float *SD__RESTRICT b, float *SD__RESTRICT c, int ldc, int first)
{
    __m256 c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, b0, b1, x;
    int p;
    if (first) c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = c10 = c11 = _mm256_setzero_ps();
    else { SD__ROW(0, c0, c1); SD__ROW(1, c2, c3); SD__ROW(2, c4, c5); SD__ROW(3, c6, c7); SD__ROW(4, c8, c9); SD__ROW(5, c10, c11); }
    for (p = 0; p < kc; p++, b += 16) {
        b0 = _mm256_loadu_ps(b);
        b1 = _mm256_loadu_ps(b + 8);
        SD__FMA2(0, c0, c1); SD__FMA2(1, c2, c3); SD__FMA2(2, c4, c5);
        SD__FMA2(3, c6, c7); SD__FMA2(4, c8, c9); SD__FMA2(5, c10, c11);
    }
    SD__OUT(0, c0, c1); SD__OUT(1, c2, c3); SD__OUT(2, c4, c5); SD__OUT(3, c6, c7); SD__OUT(4, c8, c9); SD__OUT(5, c10, c11);
}
#undef SD__ROW
#undef SD__FMA2
#undef SD__OUT
#define sd__kernel sd__kernel_avx2
#elif SD__AVX512
static void (*const sd__kernel_twin)(int, const float *, int, const float *, float *, int, int) = sd__kernel_c;   /* tests compare the two */
/* the 6x64 tile in 24 AVX-512 registers: per step, four vectors of B and each row's A broadcast */
#define SD__ROW(r, c0, c1, c2, c3) c0 = _mm512_loadu_ps(c + (size_t)(r) * ldc); c1 = _mm512_loadu_ps(c + (size_t)(r) * ldc + 16); \
                                   c2 = _mm512_loadu_ps(c + (size_t)(r) * ldc + 32); c3 = _mm512_loadu_ps(c + (size_t)(r) * ldc + 48)
#define SD__FMA4(r, c0, c1, c2, c3) x = _mm512_set1_ps(a[(size_t)(r) * lda + p]); \
                                    c0 = _mm512_fmadd_ps(x, b0, c0); c1 = _mm512_fmadd_ps(x, b1, c1); \
                                    c2 = _mm512_fmadd_ps(x, b2, c2); c3 = _mm512_fmadd_ps(x, b3, c3)
#define SD__OUT(r, c0, c1, c2, c3) _mm512_storeu_ps(c + (size_t)(r) * ldc, c0); _mm512_storeu_ps(c + (size_t)(r) * ldc + 16, c1); \
                                   _mm512_storeu_ps(c + (size_t)(r) * ldc + 32, c2); _mm512_storeu_ps(c + (size_t)(r) * ldc + 48, c3)
/* the tile's 24 sums from c (or zeros when first), and back to c (the bfloat16 tile's too) */
#define SD__TILE_IN if (first) { \
        c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = c20 = c21 = c22 = c23 = _mm512_setzero_ps(); \
        c30 = c31 = c32 = c33 = c40 = c41 = c42 = c43 = c50 = c51 = c52 = c53 = _mm512_setzero_ps(); \
    } else { \
        SD__ROW(0, c00, c01, c02, c03); SD__ROW(1, c10, c11, c12, c13); SD__ROW(2, c20, c21, c22, c23); \
        SD__ROW(3, c30, c31, c32, c33); SD__ROW(4, c40, c41, c42, c43); SD__ROW(5, c50, c51, c52, c53); \
    }
#define SD__TILE_OUT SD__OUT(0, c00, c01, c02, c03); SD__OUT(1, c10, c11, c12, c13); SD__OUT(2, c20, c21, c22, c23); \
                     SD__OUT(3, c30, c31, c32, c33); SD__OUT(4, c40, c41, c42, c43); SD__OUT(5, c50, c51, c52, c53)
static SD__NOINLINE void sd__kernel_avx512(int kc, const float *SD__RESTRICT a, int lda, const float *SD__RESTRICT b, float *SD__RESTRICT c, int ldc, int first)
{
    __m512 c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53;
    __m512 b0, b1, b2, b3, x;
    int p;
    SD__TILE_IN
    for (p = 0; p < kc; p++, b += 64) {
        b0 = _mm512_loadu_ps(b); b1 = _mm512_loadu_ps(b + 16); b2 = _mm512_loadu_ps(b + 32); b3 = _mm512_loadu_ps(b + 48);
        SD__FMA4(0, c00, c01, c02, c03); SD__FMA4(1, c10, c11, c12, c13); SD__FMA4(2, c20, c21, c22, c23);
        SD__FMA4(3, c30, c31, c32, c33); SD__FMA4(4, c40, c41, c42, c43); SD__FMA4(5, c50, c51, c52, c53);
    }
    SD__TILE_OUT;
}
#undef SD__FMA4
#define sd__kernel sd__kernel_avx512
#else
#define sd__kernel sd__kernel_c
#endif

/* Products in bfloat16 (sd_config.bf16): the panels' floats rounded to bfloat16 (to nearest even, a
   denormal to zero, a NaN kept quiet), two consecutive k of a row of A or a column of B in one 32-bit
   pair (the even k in the low half, an odd kc's last paired with 0), and each pair added to the float
   sum as AVX512_BF16's VDPBF16PS does: the odd k's product first, then the even k's, each exact
   product added with one rounding (fmaf; a product of two bfloat16 is exact but below FLT_MIN), a
   sum below FLT_MIN flushed to zero. Half the bytes a panel, twice the products an instruction. */
static uint32_t sd__bf16(float x)
{
    uint32_t u = sd__f32_bits(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u;
    if (!(u & 0x7f800000u)) u &= 0x80000000u;
    return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}

#if SD__AVX512 && defined(__AVX512BF16__)
#define SD__DPBF16 1   /* the instructions are there (VCVTNE2PS2BF16, VDPBF16PS) */
#else
#define SD__DPBF16 0
#endif

/* dst[j] = the pair of lo[j] (low half) and hi[j] for j < n; with AVX512_BF16, 16 at a time:
   VCVTNE2PS2BF16 rounds exactly as sd__bf16 does (the same result on all 2^32 floats) */
static void sd__pair_up(uint32_t *SD__RESTRICT dst, const float *lo, const float *hi, int n)
{
    int j = 0;
#if SD__DPBF16
    static const uint16_t mix[32] = { 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
                                      8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31 };
    const __m512i idx = _mm512_loadu_si512(mix);
    for (; j + 16 <= n; j += 16) {
        __m512bh r = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(hi + j), _mm512_loadu_ps(lo + j));   /* lo's 16, then hi's */
        _mm512_storeu_si512(dst + j, _mm512_permutexvar_epi16(idx, (__m512i)r));
    }
#endif
    for (; j < n; j++) dst[j] = sd__bf16(lo[j]) | sd__bf16(hi[j]) << 16;
}

/* dst[q] = the pair of s[2q], s[2q + 1] for q < n (consecutive floats: the bfloat16 in order) */
static void sd__pair_run(uint32_t *SD__RESTRICT dst, const float *SD__RESTRICT s, int n)
{
    int q = 0;
#if SD__DPBF16
    for (; q + 16 <= n; q += 16)
        _mm512_storeu_si512(dst + q, (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(s + 2 * q + 16), _mm512_loadu_ps(s + 2 * q)));
#endif
    for (; q < n; q++) dst[q] = sd__bf16(s[2 * q]) | sd__bf16(s[2 * q + 1]) << 16;
}

static inline float sd__ftz(float x)   /* a denormal to zero (of its sign) */
{
    uint32_t u = sd__f32_bits(x);
    return sd__bits_f32(u & 0x7f800000u ? u : u & 0x80000000u);
}

/* B panels of kc rows of NR floats (a block of nc columns, panel jp at jp * kc) -> kq = (kc + 1) / 2 rows
   of NR pairs each, in place: panel jp's pairs at jp * kq (each row is read before its place is written) */
static void sd__pairs_b(float *panels, int nc, int kc)
{
    int jp, q, kq = (kc + 1) / 2;
    float t[2 * SD__NR];
    for (jp = 0; jp < nc; jp += SD__NR) {
        const float *src = panels + (size_t)jp * kc;
        uint32_t *dst = (uint32_t *)(void *)(panels + (size_t)jp * kq);
        for (q = 0; q < kq; q++) {
            memcpy(t, src + (size_t)2 * q * SD__NR, sizeof(float) * SD__NR);
            if (2 * q + 1 < kc) memcpy(t + SD__NR, src + (size_t)(2 * q + 1) * SD__NR, sizeof(float) * SD__NR);
            else memset(t + SD__NR, 0, sizeof(float) * SD__NR);
            sd__pair_up(dst + (size_t)q * SD__NR, t, t + SD__NR, SD__NR);
        }
    }
}

/* rows of A (or any rows) in pairs: dst[r * ldd + q] = the pair of src[r * lds + 2q], src[r * lds + 2q + 1] */
static void sd__pairs_rows(uint32_t *SD__RESTRICT dst, ptrdiff_t ldd, const float *SD__RESTRICT src, ptrdiff_t lds, int rows, int kc)
{
    int r;
    for (r = 0; r < rows; r++) {
        const float *s = src + r * lds;
        uint32_t *d = dst + r * ldd;
        sd__pair_run(d, s, kc / 2);
        if (kc % 2) d[kc / 2] = sd__bf16(s[kc - 1]);
    }
}

/* rows of kc floats, one after another -> rows of kq pairs, one after another, in place (tmp: kc floats) */
static void sd__pairs_rows_in_place(float *p, int rows, int kc, float *tmp)
{
    int r, kq = (kc + 1) / 2;
    for (r = 0; r < rows; r++) {
        memcpy(tmp, p + (size_t)r * kc, sizeof(float) * (size_t)kc);
        sd__pairs_rows((uint32_t *)(void *)(p + (size_t)r * kq), 0, tmp, 0, 1, kc);
    }
}

/* the register tile over pairs: c[MR][NR] = (first ? 0 : c) + a x b over kq pairs, a[i * lda + q] and b[q * NR + j] */
static void sd__kernel_bf16_c(int kq, const uint32_t *SD__RESTRICT a, int lda, const uint32_t *SD__RESTRICT b, float *SD__RESTRICT c, int ldc, int first)
{
    float acc[SD__MR][SD__NR];
    int i, j, q;
    for (i = 0; i < SD__MR; i++)
        for (j = 0; j < SD__NR; j++) acc[i][j] = first ? 0.0f : c[(size_t)i * ldc + j];
    for (q = 0; q < kq; q++)
        for (i = 0; i < SD__MR; i++) {
            uint32_t x = a[(size_t)i * lda + q];
            float hi = sd__bits_f32(x & 0xffff0000u), lo = sd__bits_f32(x << 16);
            for (j = 0; j < SD__NR; j++) {
                uint32_t y = b[(size_t)q * SD__NR + j];
                acc[i][j] = sd__ftz(fmaf(hi, sd__bits_f32(y & 0xffff0000u), acc[i][j]));
                acc[i][j] = sd__ftz(fmaf(lo, sd__bits_f32(y << 16), acc[i][j]));
            }
        }
    for (i = 0; i < SD__MR; i++)
        for (j = 0; j < SD__NR; j++) c[(size_t)i * ldc + j] = acc[i][j];
}

#if SD__DPBF16
static void (*const sd__kernel_bf16_twin)(int, const uint32_t *, int, const uint32_t *, float *, int, int) = sd__kernel_bf16_c;   /* tests compare the two */
/* the 6x64 tile: per pair of k, four vectors of B's pairs and each row's pair of A broadcast */
#define SD__DP4(r, c0, c1, c2, c3) x = (__m512bh)_mm512_set1_epi32((int)a[(size_t)(r) * lda + q]); \
                                   c0 = _mm512_dpbf16_ps(c0, b0, x); c1 = _mm512_dpbf16_ps(c1, b1, x); \
                                   c2 = _mm512_dpbf16_ps(c2, b2, x); c3 = _mm512_dpbf16_ps(c3, b3, x)
static SD__NOINLINE void sd__kernel_bf16_avx512(int kq, const uint32_t *SD__RESTRICT a, int lda, const uint32_t *SD__RESTRICT b, float *SD__RESTRICT c, int ldc, int first)
{
    __m512 c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53;
    __m512bh b0, b1, b2, b3, x;
    int q;
    SD__TILE_IN
    for (q = 0; q < kq; q++, b += 64) {
        b0 = (__m512bh)_mm512_loadu_si512(b); b1 = (__m512bh)_mm512_loadu_si512(b + 16);
        b2 = (__m512bh)_mm512_loadu_si512(b + 32); b3 = (__m512bh)_mm512_loadu_si512(b + 48);
        SD__DP4(0, c00, c01, c02, c03); SD__DP4(1, c10, c11, c12, c13); SD__DP4(2, c20, c21, c22, c23);
        SD__DP4(3, c30, c31, c32, c33); SD__DP4(4, c40, c41, c42, c43); SD__DP4(5, c50, c51, c52, c53);
    }
    SD__TILE_OUT;
}
#undef SD__DP4
#define sd__kernel_bf16 sd__kernel_bf16_avx512
#else
#define sd__kernel_bf16 sd__kernel_bf16_c
#endif
#undef SD__ROW   /* (the AVX-512 tiles' loads and stores) */
#undef SD__OUT
#undef SD__TILE_IN
#undef SD__TILE_OUT

/* dst[q][j] = src[j][q] for a 16 x 16 block (rows ss and ds floats apart): the weights' rows into a
   B panel's. A copy: the same floats on every build; on AVX-512 in registers (4 rounds of shuffles) */
#if SD__AVX512
static void sd__transpose16(float *SD__RESTRICT dst, int ds, const float *SD__RESTRICT src, int ss)
{
    __m512 r[16], t[16];
    int i;
    for (i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + (size_t)i * ss);
    for (i = 0; i < 8; i++) { t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]); t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]); }
    for (i = 0; i < 4; i++) {
        r[4 * i + 0] = _mm512_shuffle_ps(t[4 * i + 0], t[4 * i + 2], 0x44);
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i + 0], t[4 * i + 2], 0xee);
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
    }
    for (i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);
        t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xdd);
        t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
        t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xdd);
    }
    for (i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
        r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xdd);
    }
    for (i = 0; i < 16; i++) _mm512_storeu_ps(dst + (size_t)i * ds, r[i]);
}
#else
static void sd__transpose16(float *SD__RESTRICT dst, int ds, const float *SD__RESTRICT src, int ss)
{
    int q, j;
    for (q = 0; q < 16; q++)
        for (j = 0; j < 16; j++) dst[(size_t)q * ds + j] = src[(size_t)j * ss + q];
}
#endif

/* What a product reads and writes. A is M x K: a weight tensor (row-major [M,K], any dtype)
   or floats at a[i*a_rs + k*a_cs]. B is K x N: floats at b[k*b_rs + n*b_cs], a weight tensor
   read transposed (B[k][n] = W[n][k]), or the implicit im2col of a convolution's input.
   C is row-major with row stride ldc; bias_m is per row, bias_n per column, add like C. */
typedef struct sd__mm {
    int M, N, K;
    const sd__tensor *aw; const float *af; ptrdiff_t a_rs, a_cs;
    const sd__tensor *bw; const float *bf; ptrdiff_t b_rs, b_cs;
    const sd__conv *conv; const float *img; const float *stats; int silu;  /* implicit im2col of a batch */
    const int *ymap, *xmap;                                                 /* nearest upsampling tables */
    float *c; ptrdiff_t ldc;
    const float *bias_m, *bias_n, *add;
    int seg; ptrdiff_t seg_stride;   /* 0, or C's columns come in segments of seg (one image each), */
                                     /* seg_stride floats apart in c and add */
    int glu;   /* 0, or GEGLU in the epilogue: B's rows are glu values then their glu gates, taken NR at a
                  time in pairs (the product's columns: NR values, their NR gates, the next NR values...);
                  C gets glu columns, value * gelu(gate) (glu a multiple of NR, no add) */
    int bf16;  /* the products in bfloat16 pairs (sd_config.bf16) */
    sd__act act;     /* an activation on C in the epilogue (after bias and add), or none */
    sd__wread *wr;   /* B's bytes (bw) still to be read from the file, or NULL */
} sd__mm;

/* the row of B (a weight's output channel) behind column n of the product */
static int sd__mm_brow(const sd__mm *g, int n)
{
    return g->glu ? n / (2 * SD__NR) * SD__NR + n % SD__NR + n / SD__NR % 2 * g->glu : n;
}

/* per-thread workspace of one product, in floats: A and B panels, the C tile, scratch */
#define SD__MT 960    /* at most this many rows of C per task (its sums, MT x NC, stay near the core) */
#define SD__TR 16      /* weight rows decoded together for a B panel (a 16 x 16 transpose's) */
#define SD__ROWBUF (2 * SD__TR * SD__KC > 2 * SD__NC + SD__KC + 64 ? 2 * SD__TR * SD__KC : 2 * SD__NC + SD__KC + 64)   /* one transformed input row (stride 2), or TR rows of kc (up to 2 KC) decoded weights */
#define SD__MM_WS (SD__MC * SD__KC + SD__KC * SD__NC + SD__MT * SD__NC + SD__ROWBUF)

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

/* the input row under row y (of the maybe upsampled input) of channel ch of image b; NULL outside
   the image (zero padding) */
static const float *sd__conv_src(const sd__mm *g, int b, int ch, int y)
{
    const sd__conv *cv = g->conv;
    if (y < 0 || y >= (cv->up_h ? cv->up_h : cv->h)) return NULL;
    return g->img + (((size_t)b * cv->c + (size_t)ch) * cv->h + (size_t)(g->ymap ? g->ymap[y] : y)) * cv->w;
}

/* y = x after GroupNorm's map (x scale + shift) and, with silu, SiLU: n floats (y may be x) */
static void sd__gn_map(float *y, const float *x, size_t n, float scale, float shift, int silu)
{
    size_t i;
    if (silu) for (i = 0; i < n; i++) y[i] = sd__silu_fast(x[i] * scale + shift);
    else for (i = 0; i < n; i++) y[i] = x[i] * scale + shift;
}

/* one run of output pixels of the same output row: the input row it reads for (channel, kernel
   row), GroupNorm+SiLU applied, upsampling and zero padding resolved, into rb */
static void sd__conv_row(float *SD__RESTRICT rb, const sd__mm *g, int b, int ch, int y, int x0, int len)
{
    const sd__conv *cv = g->conv;
    int W = cv->up_w ? cv->up_w : cv->w, t, t0, t1;
    size_t bc = (size_t)b * cv->c + (size_t)ch;   /* (image, channel) */
    const float *src = sd__conv_src(g, b, ch, y);
    float scale = g->stats ? g->stats[2 * bc] : 1.0f, shift = g->stats ? g->stats[2 * bc + 1] : 0.0f;
    if (!src) { memset(rb, 0, sizeof(float) * (size_t)len); return; }
    t0 = x0 < 0 ? -x0 : 0;                       /* [t0, t1) lies inside the row */
    t1 = W - x0 < len ? W - x0 : len;
    if (t1 < t0) t1 = t0;
    for (t = 0; t < t0; t++) rb[t] = 0.0f;
    for (t = t1; t < len; t++) rb[t] = 0.0f;
    if (g->xmap) {   /* upsampled: gathered, then transformed in place */
        for (t = t0; t < t1; t++) rb[t] = src[g->xmap[x0 + t]];
        if (g->stats || g->silu) sd__gn_map(rb + t0, rb + t0, (size_t)(t1 - t0), scale, shift, g->silu);
    } else if (g->stats || g->silu) sd__gn_map(rb + t0, src + x0 + t0, (size_t)(t1 - t0), scale, shift, g->silu);
    else memcpy(rb + t0, src + x0 + t0, sizeof(float) * (size_t)(t1 - t0));
}

/* row p of B panels for the run of len columns from column j0 of the block, spread over the NR-wide
   panels: the run's values r[t s] */
static void sd__pack_run(float *SD__RESTRICT dst, int kc, int p, int j0, int len, const float *SD__RESTRICT r, int s)
{
    int t = 0, j;
    while (t < len) {   /* the part of the run in each panel */
        int at = j0 + t, o = at % SD__NR, cnt = SD__NR - o < len - t ? SD__NR - o : len - t;
        float *SD__RESTRICT d = dst + (size_t)(at - o) * kc + (size_t)p * SD__NR + o;
        if (s == 1) memcpy(d, r + t, sizeof(float) * (size_t)cnt);
        else for (j = 0; j < cnt; j++) d[j] = r[(size_t)(t + j) * s];
        t += cnt;
    }
}

/* B panels for columns n0..n0+nc of rows k0..k0+kc */
static void sd__pack_b(float *SD__RESTRICT dst, const sd__mm *g, int n0, int nc, int k0, int kc, float *row)
{
    int jp, j, p;
    if (g->conv) {
        /* the implicit im2col: row k = (channel, kernel row di, kernel column dj), column n = output
           pixel. The block's columns fall into runs along output rows of one image, each run spread
           over NR-wide panels; for each run and each (channel, di) the input row is transformed
           once into `row`, then read at stride s for every dj. A 1x1 convolution of stride 1 on the
           input as it is reads the input in place, a run to the end of its image. */
        const sd__conv *cv = g->conv;
        int kk = cv->k * cv->k, s = cv->stride, j0 = 0, hw = cv->ho * cv->wo;
        int in_place = kk == 1 && s == 1 && !cv->pad_t && !cv->pad_l && !cv->up_h && !g->stats && !g->silu;
        if (nc % SD__NR)   /* the last panel's columns past nc are zero */
            for (p = 0; p < kc; p++)
                memset(dst + (size_t)(nc - nc % SD__NR) * kc + (size_t)p * SD__NR + nc % SD__NR, 0, sizeof(float) * (size_t)(SD__NR - nc % SD__NR));
        while (j0 < nc) {   /* a run: output pixels j0..j0+len of one output row (in place: of one image) of image b, across panels */
            int n = n0 + j0, b = n / hw, y = n % hw / cv->wo, x = n % cv->wo, len = in_place ? hw - n % hw : cv->wo - x, cached = -1;
            if (len > nc - j0) len = nc - j0;
            for (p = 0; p < kc; p++) {
                int k = k0 + p, ch = k / kk, di = (k % kk) / cv->k, dj = k % cv->k, key = ch * cv->k + di;
                if (in_place) { sd__pack_run(dst, kc, p, j0, len, g->img + ((size_t)b * cv->c + (size_t)k) * hw + n % hw, 1); continue; }
                if (key != cached) {
                    sd__conv_row(row, g, b, ch, y * s + di - cv->pad_t, x * s - cv->pad_l, (len - 1) * s + cv->k);
                    cached = key;
                }
                sd__pack_run(dst, kc, p, j0, len, row + dj, s);
            }
            j0 += len;
        }
        return;
    }
    for (jp = 0; jp < nc; jp += SD__NR) {
        float *panel = dst + (size_t)jp * kc;
        if (g->bw) {   /* weight rows decoded SD__TR at a time, then transposed into the panel 16 x 16 at a time */
            int j0, jj;
            for (j0 = 0; j0 < SD__NR; j0 += SD__TR) {
                for (jj = 0; jj < SD__TR; jj++) {
                    int n = n0 + jp + j0 + jj;
                    if (n < g->N && jp + j0 + jj < nc) sd__decode(row + (size_t)jj * kc, g->bw->data, g->bw->dtype, (size_t)sd__mm_brow(g, n) * g->K + k0, (size_t)kc);
                    else memset(row + (size_t)jj * kc, 0, sizeof(float) * (size_t)kc);
                }
                for (p = 0; p + 16 <= kc; p += 16) sd__transpose16(panel + (size_t)p * SD__NR + j0, SD__NR, row + p, kc);
                for (; p < kc; p++)
                    for (jj = 0; jj < SD__TR; jj++) panel[(size_t)p * SD__NR + j0 + jj] = row[(size_t)jj * kc + p];
            }
            continue;
        }
        for (j = 0; j < SD__NR; j++) {
            int n = n0 + jp + j;
            if (n >= g->N || jp + j >= nc) for (p = 0; p < kc; p++) panel[(size_t)p * SD__NR + j] = 0.0f;
            else {
                const float *s = g->bf + (ptrdiff_t)k0 * g->b_rs + (ptrdiff_t)sd__mm_brow(g, n) * g->b_cs;
                for (p = 0; p < kc; p++) panel[(size_t)p * SD__NR + j] = s[(ptrdiff_t)p * g->b_rs];
            }
        }
    }
}

/* GEGLU's epilogue (g->glu): the tile's pairs of panels in columns j0..j1, each NR values and their
   NR gates (+ bias) -> NR columns of C, value * gelu(gate), as sd__geglu_fast after the product */
static void sd__mm_glu_epilogue(const sd__mm *g, const float *ct, int m0, int n0, int i0, int i1, int j0, int j1)
{
    int i, j, e;
    for (j = j0; j < j1; j += 2 * SD__NR) {
        int v = sd__mm_brow(g, n0 + j);   /* the values' column of C (and row of B); their gates' row is v + glu */
        for (i = i0; i < i1; i++) {
            const float *SD__RESTRICT t = ct + (size_t)i * SD__NC + j;
            float *SD__RESTRICT c = g->c + (ptrdiff_t)(m0 + i) * g->ldc + v;
            if (g->bias_n) {   /* (two loops, so that each vectorizes) */
                const float *bv = g->bias_n + v, *bg = bv + g->glu;
                for (e = 0; e < SD__NR; e++) c[e] = (t[e] + bv[e]) * sd__gelu_fast(t[SD__NR + e] + bg[e]);
            } else for (e = 0; e < SD__NR; e++) c[e] = t[e] * sd__gelu_fast(t[SD__NR + e]);
        }
    }
}

/* tile + bias + add -> C, in the reference's order (sum, + bias, + add, then the activation), for
   rows i0..i1 and columns j0..j1 of a tile at (m0, n0) whose sums are in ct; a segment (image) at a
   time (GEGLU: its own) */
static void sd__mm_epilogue(const sd__mm *g, const float *ct, int m0, int n0, int i0, int i1, int j0, int j1)
{
    int i, j, e;
    if (g->glu) { sd__mm_glu_epilogue(g, ct, m0, n0, i0, i1, j0, j1); return; }
    for (j = j0; j < j1;) {
        int seg = g->seg ? g->seg : g->N, n = n0 + j, cnt = seg - n % seg < j1 - j ? seg - n % seg : j1 - j;
        ptrdiff_t at = (ptrdiff_t)(n / seg) * g->seg_stride + n % seg;
        for (i = i0; i < i1; i++) {
            float *c = g->c + (ptrdiff_t)(m0 + i) * g->ldc + at;   /* (add may be c itself: a LoRA beside its layer) */
            const float *t = ct + (size_t)i * SD__NC + j, *ad = g->add ? g->add + (ptrdiff_t)(m0 + i) * g->ldc + at : NULL;
            float bm = g->bias_m ? g->bias_m[m0 + i] : 0.0f;
            for (e = 0; e < cnt; e++) {
                float v = t[e];
                if (g->bias_m) v += bm;
                if (g->bias_n) v += g->bias_n[n + e];
                if (ad) v += ad[e];
                c[e] = v;
            }
            if (g->act) sd__act_apply(c, c, (size_t)cnt, g->act);
        }
        j += cnt;
    }
}

/* K in one block, not in blocks of KC: where A's rows are read in place and K is at most 2 KC (the
   tiles then have at most KC NC / K columns: B's buffer). Each panel of C is then written once, not
   written and read back for each block of K (at K = 320, 2 to 5% off those products); the sums go in
   the same order: the same bits */
static int sd__mm_onek(const sd__mm *g) { return g->af && g->a_cs == 1 && !g->conv && !g->bf16 && g->K <= 2 * SD__KC; }

/* rows m0..m0+mc x columns n0..n0+nc of C, the whole K, by one thread: the sums build up in a
   private tile (so C may alias add); after the last block of K each panel goes on to C while it is
   still in cache */
static void sd__mm_tile(const sd__mm *g, int m0, int mc, int n0, int nc, float *ws)
{
    float *pa = ws, *pb = pa + SD__MC * SD__KC, *ct = pb + SD__KC * SD__NC, *row = ct + SD__MT * SD__NC;
    uint32_t *pa2 = (uint32_t *)(void *)(pb + SD__KC * SD__NC / 2), *pb2 = (uint32_t *)(void *)pb;   /* bf16: the pairs */
    int k0, m1, in_place = g->af && g->a_cs == 1;   /* A's rows read where they are (but the last, partial tile) */
    int kb = sd__mm_onek(g) ? g->K : SD__KC;
    SD_ASSERT(kb <= SD__KC || (size_t)kb * (size_t)((nc + SD__NR - 1) / SD__NR * SD__NR) <= (size_t)SD__KC * SD__NC);
    if (g->K == 0) {
        memset(ct, 0, sizeof(float) * SD__MT * SD__NC);
        sd__mm_epilogue(g, ct, m0, n0, 0, mc, 0, nc);
    }
    for (k0 = 0; k0 < g->K; k0 += kb) {
        int kc = g->K - k0 < kb ? g->K - k0 : kb, first = k0 == 0, last = k0 + kc == g->K, kq = (kc + 1) / 2;
        sd__pack_b(pb, g, n0, nc, k0, kc, row);
        if (g->bf16) sd__pairs_b(pb, nc, kc);
        for (m1 = m0; m1 < m0 + mc; m1 += SD__MC) {
            int mcc = m0 + mc - m1 < SD__MC ? m0 + mc - m1 : SD__MC, ip, jp, whole = (g->M - m1) / SD__MR * SD__MR;
            if (!in_place) sd__pack_a(pa, g, m1, mcc, k0, kc);
            else if (whole < mcc) sd__pack_a(pa, g, m1 + whole, SD__MR, k0, kc);   /* the last rows, with zeros past M (alone in pa) */
            if (g->bf16)
                for (ip = 0; ip < mcc; ip += SD__MR) {
                    int direct = in_place && ip < whole;
                    sd__pairs_rows(pa2 + (size_t)ip * kq, kq, direct ? g->af + (ptrdiff_t)(m1 + ip) * g->a_rs + k0 : pa + (in_place ? 0 : (size_t)ip * kc),
                                   direct ? g->a_rs : kc, SD__MR, kc);
                }
            for (jp = 0; jp < nc; jp += SD__NR) {
                for (ip = 0; ip < mcc; ip += SD__MR) {
                    int direct = in_place && ip < whole;
                    float *ci = ct + (size_t)(m1 - m0 + ip) * SD__NC + jp;
                    if (g->bf16) sd__kernel_bf16(kq, pa2 + (size_t)ip * kq, kq, pb2 + (size_t)jp * kq, ci, SD__NC, first);
                    else sd__kernel(kc, direct ? g->af + (ptrdiff_t)(m1 + ip) * g->a_rs + k0 : pa + (in_place ? 0 : (size_t)ip * kc),
                                    direct ? (int)g->a_rs : kc, pb + (size_t)jp * kc, ci, SD__NC, first);
                }
                if (last && (!g->glu || jp / SD__NR % 2))   /* (GEGLU: after a pair of panels) */
                    sd__mm_epilogue(g, ct, m0, n0, m1 - m0, m1 - m0 + mcc, g->glu ? jp - SD__NR : jp, nc - jp < SD__NR ? nc : jp + SD__NR);
            }
        }
    }
}

/* the time of one product cut into tiles of m rows x n columns, in multiply-add flops: the tiles
   go in order to whichever thread is free first (OpenMP's dynamic schedule), each costs its panels'
   flops plus the packing it repeats (A's rows for each column block, B's columns for each row block:
   a weight's decode 16 flops an element, an im2col's 32, floats read again 4) and 200000 to start */
static double sd__mm_cost(const sd__mm *g, int nthreads, int m, int n)
{
    double load[16] = { 0 }, worst = 0, pa = g->aw ? 16 : 4, pb = g->bw ? 16 : g->conv ? 32 : 4;
    int tm = (g->M + m - 1) / m, tn = (g->N + n - 1) / n, t, i, nt = nthreads < 16 ? nthreads : 16;
    for (t = 0; t < tm * tn; t++) {
        int r = sd__up_mr(g->M - t / tn * m < m ? g->M - t / tn * m : m), c = g->N - t % tn * n < n ? g->N - t % tn * n : n, f = 0;
        c = (c + SD__NR - 1) / SD__NR * SD__NR;
        for (i = 1; i < nt; i++) if (load[i] < load[f]) f = i;
        load[f] += (2.0 * r * c + pa * r + pb * c) * g->K + 200000;
        if (load[f] > worst) worst = load[f];
    }
    return worst;
}

/* the tiles of one product: rows in chunks of at most MT, columns in blocks of at most NC, each
   side cut as evenly as whole tiles and panels allow into a few more pieces than it needs; the
   cut that sd__mm_cost finds quickest (the fewest tiles of equal times) */
static void sd__mm_tiles(const sd__mm *g, int nthreads, int *mc, int *ntm, int *nc, int *ntn)
{
    int q = g->glu ? 2 * SD__NR : SD__NR;   /* columns in whole panels (GEGLU: pairs of them) */
    int ncm = sd__mm_onek(g) && g->K > SD__KC ? SD__KC * SD__NC / g->K / q * q : SD__NC;   /* (B's buffer at one block of K) */
    int tm0 = (g->M + SD__MT - 1) / SD__MT, tn0 = (g->N + ncm - 1) / ncm, more = 2 * (nthreads < 4 ? nthreads : 4), i, j;
    double best = -1;
    *mc = SD__MR; *nc = SD__NR;
    if (g->M <= 0 || g->N <= 0) { *ntm = *ntn = 0; return; }   /* nothing to compute */
    for (i = tm0; i <= tm0 + more; i++) {
        int m = sd__up_mr((g->M + i - 1) / i);
        if (i > tm0 && m < 2 * SD__MR) break;
        for (j = tn0; j <= tn0 + more; j++) {
            int n = ((g->N + j - 1) / j + q - 1) / q * q;
            double c = sd__mm_cost(g, nthreads, m, n);
            if (best < 0 || c < best) { best = c; *mc = m; *nc = n; }
        }
    }
    *ntm = (g->M + *mc - 1) / *mc;
    *ntn = (g->N + *nc - 1) / *nc;
}

/* the weight w's copy still to be read by the product's tasks, or NULL */
static sd__wread *sd__wread_pending(sd_model *m, const sd__tensor *w) { return m->wread.pending && m->wread.w == w ? &m->wread : NULL; }

/* bytes from..to of a weight on its way in (sd__wread) into its copy, with file descriptor `part`
   (the calling thread's own: a part of a whole read, or the thread's tile) */
static void sd__wread_part(sd__wread *r, int part, size_t from, size_t to)
{
    size_t done = from;
#if SD__MMAP
    off_t at = (off_t)(r->at + from);
    if ((uint64_t)at == r->at + from && lseek(r->fd[part], at, SEEK_SET) == at)
        while (done < to) {
            ssize_t k = read(r->fd[part], r->buf + done, to - done);
            if (k <= 0) break;
            done += (size_t)k;
        }
#endif
    if (done < to) { memcpy(r->buf + done, r->map + done, to - done); r->fell[part] = 1; }
}

/* the whole weight, in parts (one a file descriptor, on as many threads) */
static void sd__wread_all(sd__wread *r)
{
    size_t n = (size_t)(r->w->end - r->w->begin);
    int parts = n >= r->min_parts ? r->n_fd : 1, i;
    SD__PARALLEL_FOR(parts)
    for (i = 0; i < parts; i++) sd__wread_part(r, i, n / (size_t)parts * (size_t)i, i == parts - 1 ? n : n / (size_t)parts * (size_t)(i + 1));
}

/* the rows of B behind columns n0..n0+nc of the product, from the file (GEGLU: values and gates) */
static void sd__mm_read_b(const sd__mm *g, int n0, int nc)
{
    size_t row = (size_t)sd__dtype_size[g->bw->dtype] * (size_t)g->K;
    int v = sd__mm_brow(g, n0), n = g->glu ? nc / 2 : nc;
    sd__wread_part(g->wr, SD__TID(), (size_t)v * row, (size_t)(v + n) * row);
    if (g->glu) sd__wread_part(g->wr, SD__TID(), (size_t)(v + g->glu) * row, (size_t)(v + g->glu + n) * row);
}

/* the tiles of a product on the threads. B still in the file is read by the tiles of the one block
   of rows, each its own columns' rows (where more blocks of rows each need all of B: at once first) */
static void sd__mm_run(sd_model *m, const sd__mm *g, float *ws)
{
    int mc, nc, tm, tn, t;
    sd__mm_tiles(g, m->n_threads, &mc, &tm, &nc, &tn);
    if (g->wr && tm > 1) sd__wread_all(g->wr);
    SD__PARALLEL_FOR(sd__nt(m, (2.0 * g->M + (g->bw ? 16 : 0)) * g->N * g->K))   /* (a weight's decode: 16 flops an element, as in sd__mm_cost) */
    for (t = 0; t < tm * tn; t++) {
        int i = t / tn, j = t % tn;
        int m0 = i * mc, n0 = j * nc, ncc = g->N - n0 < nc ? g->N - n0 : nc;
        if (g->wr && tm == 1) sd__mm_read_b(g, n0, ncc);
        sd__mm_tile(g, m0, g->M - m0 < mc ? g->M - m0 : mc, n0, ncc, ws + (size_t)SD__TID() * SD__MM_WS);
    }
}

/* ---------------------------------------------------------------- convolution */

/* the input of a convolution at (b, ch, y, x) of its (maybe upsampled) input, after the optional
   GroupNorm map and SiLU; 0 outside (zero padding) */
static float sd__conv_in(const float *in, const sd__conv *g, const float *stats, sd__act act, int b, int ch, int y, int x)
{
    int H = g->up_h ? g->up_h : g->h, W = g->up_w ? g->up_w : g->w;
    float v;
    if (y < 0 || x < 0 || y >= H || x >= W) return 0.0f;
    if (g->up_h) { y = sd__nearest(y, g->h, g->up_h); x = sd__nearest(x, g->w, g->up_w); }
    v = in[(((size_t)b * g->c + ch) * g->h + y) * g->w + x];
    if (stats) v = v * stats[((size_t)b * g->c + ch) * 2] + stats[((size_t)b * g->c + ch) * 2 + 1];
    return act == SD__ACT_SILU ? sd__silu(v) : v;
}

/* torch.nn.functional.conv2d (with the optional GroupNorm+SiLU on its input and nearest upsampling
   before it): out[b,o,y,x] = bias[o] + sum_{c,i,j} w[o,c,i,j] in'[b,c,y*s+i-pt,x*s+j-pl] (+ add[b,o,y,x]) */
static void sd__conv2d_ref(sd_model *m, float *out, const float *in, const sd__conv *g, const sd__lin *l,
                           const float *add, const float *stats, sd__act act, float *ws)
{
    int b, o;
    (void)m; (void)ws;
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
                                       sd__conv_in(in, g, stats, act, b, ch, y * g->stride + i - g->pad_t, x * g->stride + j - g->pad_l);
                    if (l->b) acc += l->b[o];
                    out[at] = add ? acc + add[at] : acc;
                }
        }
}

/* ---------------------------------------------------------------- Winograd convolution
   A 3x3 convolution of stride 1 by Winograd's minimal filtering F(m x m, 3x3) (Lavin and Gray,
   2015): each m x m block of outputs (a tile) comes from the a x a block of inputs under it
   (a = m + 2) as
       Y = A^T [ sum_ci (G w G^T) . (B^T d B) ] A          (. : elementwise; w: the 3x3 kernel)
   The a^2 elementwise products, summed over input channels, are a^2 independent matrix products
       M_p[co, tile] = sum_ci U_p[co, ci] V_p[ci, tile],   p = 0 .. a^2 - 1,
   which the register tile does as it does the direct ones: m^2 * 9 multiplications become a^2,
   a quarter for F(4x4, 3x3). The transforms are small matrix products along rows, then columns,
   done for many tiles side by side (vectors over tiles). Each output is summed over channels in
   one fixed order, whatever the threads; it rounds differently from the direct sum (F(4x4, 3x3):
   1e-6 to 1e-5 relative L2 on a layer of random weights, a few 1e-6 on a whole UNet or VAE:
   tests/test_kernels.c, tests/test_winograd.c). Where an image has many tiles they are the
   products' columns (a register panel of NR tiles, sd__wino_tile); where it has few (16x16: 16 of
   them) they are the rows (MR tiles, sd__wino_tile_t), the same sums. At one tile an image (4x4)
   the direct product is faster, and sd__conv2d_fast keeps it. */

/* A thread's block: up to WMT output channels (their transformed weights WMC at a time) x WNW
   tiles (F(2x2): 2 WNW tiles, fewer channels), the input channels WKC at a time */
#define SD__WINO_TILES 64   /* an image's tiles as the products' columns: a register panel of the AVX-512 kernel */
#define SD__WMT 384
#define SD__WMC 96
#define SD__WNW 64
#define SD__WKC 128
#define SD__WROWS (6 * (4 * SD__WNW + 6))   /* a run's a input rows: F(4x4)'s 6 x (4 WNW + 6); F(2x2)'s 4 x (2 x 2 WNW + 4) fit */
#define SD__WSCR (SD__WROWS + 2 * 36 * SD__WNW + 36 * SD__WKC)
#define SD__WINO_PANELS (36 * (SD__WMC * SD__WKC + SD__WKC * SD__WNW + SD__WMT * SD__WNW))   /* the weights', the input's panels, the sums; then the scratch */
#define SD__WINO_WS (SD__WINO_PANELS + SD__WSCR)
/* a thread's workspace of either kind of convolution, in floats */
#define SD__CONV_WS (SD__WINO_WS > SD__MM_WS ? SD__WINO_WS : SD__MM_WS)

typedef struct sd__wino {
    int m, a;                            /* outputs per tile side, inputs per tile side (m + 2) */
    int nw;                              /* tiles in a thread's block (F(2x2): twice as many, its weights transformed once) */
    float bt[6][6], g[6][3], at[4][6];   /* B^T [a][a], G [a][3], A^T [m][a] */
} sd__wino;

/* the interpolation points 0, 1, -1, 2, -2 and infinity (F(4x4)); 0, 1, -1 and infinity (F(2x2)) */
static const sd__wino sd__wino_f4 = { 4, 6, SD__WNW,
    { { 4, 0, -5, 0, 1, 0 }, { 0, -4, -4, 1, 1, 0 }, { 0, 4, -4, -1, 1, 0 },
      { 0, -2, -1, 2, 1, 0 }, { 0, 2, -1, -2, 1, 0 }, { 0, 4, 0, -5, 0, 1 } },
    { { 1.0f / 4, 0, 0 }, { -1.0f / 6, -1.0f / 6, -1.0f / 6 }, { -1.0f / 6, 1.0f / 6, -1.0f / 6 },
      { 1.0f / 24, 1.0f / 12, 1.0f / 6 }, { 1.0f / 24, -1.0f / 12, 1.0f / 6 }, { 0, 0, 1 } },
    { { 1, 1, 1, 1, 1, 0 }, { 0, 1, -1, 2, -2, 0 }, { 0, 1, 1, 4, 4, 0 }, { 0, 1, -1, 8, -8, 1 } } };
static const sd__wino sd__wino_f2 = { 2, 4, 2 * SD__WNW,
    { { 1, 0, -1, 0 }, { 0, 1, 1, 0 }, { 0, -1, 1, 0 }, { 0, 1, 0, -1 } },
    { { 1, 0, 0 }, { 0.5f, 0.5f, 0.5f }, { 0.5f, -0.5f, 0.5f }, { 0, 0, 1 } },
    { { 1, 1, 1, 0 }, { 0, 1, -1, -1 } } };

/* dst[j][t] = sum_c k[j][c] src[c][t] for j < rows, c < cols (3, 4 or 6), t < n: each step of the
   transforms, one pass over t per output row */
static void sd__wino_mix(float *SD__RESTRICT dst, ptrdiff_t dst_rs, const float *SD__RESTRICT src, ptrdiff_t src_rs,
                         const float *k, int k_rs, int rows, int cols, int n)
{
    const float *s0 = src, *s1 = src + src_rs, *s2 = src + 2 * src_rs;
    const float *s3 = cols > 3 ? src + 3 * src_rs : s0, *s4 = cols > 4 ? src + 4 * src_rs : s0, *s5 = cols > 5 ? src + 5 * src_rs : s0;
    int j, t;
    for (j = 0; j < rows; j++) {
        float *SD__RESTRICT d = dst + j * dst_rs;
        const float *kj = k + j * k_rs;
        float k0 = kj[0], k1 = kj[1], k2 = kj[2], k3 = cols > 3 ? kj[3] : 0.0f, k4 = cols > 4 ? kj[4] : 0.0f, k5 = cols > 5 ? kj[5] : 0.0f;
        if (cols == 3) for (t = 0; t < n; t++) d[t] = k0 * s0[t] + k1 * s1[t] + k2 * s2[t];
        else if (cols == 4) for (t = 0; t < n; t++) d[t] = k0 * s0[t] + k1 * s1[t] + k2 * s2[t] + k3 * s3[t];
        else for (t = 0; t < n; t++) d[t] = k0 * s0[t] + k1 * s1[t] + k2 * s2[t] + k3 * s3[t] + k4 * s4[t] + k5 * s5[t];
    }
}

/* tile n of the product: its image, tile row and tile column */
static void sd__wino_where(const sd__conv *cv, int m, int n, int *b, int *ty, int *tx)
{
    int tw = (cv->wo + m - 1) / m, th = (cv->ho + m - 1) / m;
    *b = n / (th * tw); *ty = n % (th * tw) / tw; *tx = n % tw;
}

/* the run of tiles from tile j0 of the block: along one tile row of one image, at most to nc */
static int sd__wino_run_len(const sd__conv *cv, int m, int n0, int j0, int nc, int *b, int *ty, int *tx)
{
    int tw = (cv->wo + m - 1) / m;
    sd__wino_where(cv, m, n0 + j0, b, ty, tx);
    return tw - *tx < nc - j0 ? tw - *tx : nc - j0;
}

/* input rows y0..y1 (of the maybe upsampled input) of channel ch of image b: read soon */
static void sd__conv_prefetch(const sd__mm *g, int b, int ch, int y0, int y1)
{
    const float *last = NULL, *src;
    int y;
    for (y = y0; y < y1; y++)
        if ((src = sd__conv_src(g, b, ch, y)) != NULL && src != last) {   /* (upsampled: each source row once) */
            sd__prefetch((const unsigned char *)src, SD__F32, 0, (size_t)g->conv->w);
            last = src;
        }
}

/* V_p = B^T d B for input channels k0..k0+kc and tiles n0..n0+nc (nc <= WNW; F(2x2): 2 WNW), in the B panels'
   layout: V_p at vb + p * kc * ncp, channel kk's tile j at (j / NR) * kc * NR + kk * NR + j % NR */
static void sd__wino_input(float *vb, const sd__mm *g, const sd__wino *w, int n0, int nc, int k0, int kc, float *s)
{
    const sd__conv *cv = g->conv;
    int a = w->a, m = w->m, ncp = (nc + SD__NR - 1) / SD__NR * SD__NR, kk, t;
    int plain = !g->stats && !g->silu && !g->xmap;   /* no GroupNorm, SiLU or upsampling along the rows */
    float *row = s, *h = row + SD__WROWS, *xc = h + 36 * SD__WNW;
    for (kk = 0; kk < kc; kk++) {
        int r, c, j0;
        for (j0 = 0; kk + 1 < kc && j0 < nc;) {   /* the next channel's rows, while this one's are transformed */
            int b, ty, tx, cnt = sd__wino_run_len(cv, m, n0, j0, nc, &b, &ty, &tx);
            sd__conv_prefetch(g, b, k0 + kk + 1, m * ty - cv->pad_t, m * ty - cv->pad_t + a);
            j0 += cnt;
        }
        for (r = 0; r < a; r++) {   /* input row r of every tile, xc[c][tile], then B^T along it: h[r][j][tile] */
            int j0 = 0;
            while (j0 < nc) {   /* (each run of tiles: one input row) */
                int b, ty, tx, cnt = sd__wino_run_len(cv, m, n0, j0, nc, &b, &ty, &tx), y = m * ty - cv->pad_t + r, x0 = m * tx - cv->pad_l;
                if (plain) {   /* the input as it is: read in place, zeros outside */
                    const float *src = sd__conv_src(g, b, k0 + kk, y);
                    for (c = 0; c < a; c++) {   /* tiles t0..t1 read column x0 + m t + c inside the row */
                        float *SD__RESTRICT d = xc + (size_t)c * nc + j0;
                        int t0 = x0 + c >= 0 ? 0 : (-x0 - c + m - 1) / m, t1 = cv->w - x0 - c > 0 ? (cv->w - x0 - c + m - 1) / m : 0;
                        if (!src || t1 > cnt) t1 = src ? cnt : 0;
                        if (t0 > t1) t0 = t1;
                        for (t = 0; t < t0; t++) d[t] = 0.0f;
                        for (; t < t1; t++) d[t] = src[x0 + m * t + c];
                        for (; t < cnt; t++) d[t] = 0.0f;
                    }
                } else {
                    sd__conv_row(row, g, b, k0 + kk, y, x0, m * cnt + a - m);
                    for (c = 0; c < a; c++)
                        for (t = 0; t < cnt; t++) xc[(size_t)c * nc + j0 + t] = row[m * t + c];
                }
                j0 += cnt;
            }
            sd__wino_mix(h + (size_t)r * a * nc, nc, xc, nc, &w->bt[0][0], 6, a, a, nc);
        }
        for (c = 0; c < a; c++)   /* then down the columns, all tiles at once, into the panels: V[i][c] = sum_r B^T[i][r] h[r][c] */
            for (t = 0; t < ncp; t += SD__NR) {
                float *d = vb + (size_t)c * kc * ncp + (size_t)t * kc + (size_t)kk * SD__NR;
                int n = nc - t < SD__NR ? nc - t : SD__NR, i;
                sd__wino_mix(d, (ptrdiff_t)a * kc * ncp, h + (size_t)c * nc + t, (ptrdiff_t)a * nc, &w->bt[0][0], 6, a, a, n);
                if (n < SD__NR)
                    for (i = 0; i < a; i++) memset(d + (size_t)i * a * kc * ncp + n, 0, sizeof(float) * (size_t)(SD__NR - n));
            }
    }
}

/* U_p = G w G^T for output channels m0..m0+mc (rows past M zero, up to whole register tiles)
   and input channels k0..k0+kc, in the A panels' layout: U_p at ua + p * mcp * kc, [mcp][kc] */
static void sd__wino_weights(float *ua, const sd__mm *g, const sd__wino *w, int m0, int mc, int k0, int kc, float *s)
{
    int a = w->a, mcp = sd__up_mr(mc), o, p, q, kk, i;
    float *raw = s, *planes = raw + 9 * SD__WKC, *t = planes + 9 * SD__WKC;
    for (o = 0; o < mcp; o++) {
        if (m0 + o >= g->M) {
            for (p = 0; p < a * a; p++) memset(ua + ((size_t)p * mcp + o) * kc, 0, sizeof(float) * (size_t)kc);
            continue;
        }
        if (o + 1 < mc && m0 + o + 1 < g->M)   /* the next kernel's bytes, while this one is transformed */
            sd__prefetch(g->aw->data, g->aw->dtype, ((size_t)(m0 + o + 1) * g->conv->c + k0) * 9, (size_t)kc * 9);
        sd__decode(raw, g->aw->data, g->aw->dtype, ((size_t)(m0 + o) * g->conv->c + k0) * 9, (size_t)kc * 9);
        for (q = 0; q < 9; q++)   /* the 9 taps, each over the channels */
            for (kk = 0; kk < kc; kk++) planes[q * kc + kk] = raw[kk * 9 + q];
        for (q = 0; q < 3; q++)   /* t[i][col] = sum_row G[i][row] w[row][col] */
            sd__wino_mix(t + q * kc, 3 * kc, planes + q * kc, 3 * kc, &w->g[0][0], 3, a, 3, kc);
        for (i = 0; i < a; i++)   /* U[i][j] = sum_col t[i][col] G[j][col], straight into the panels */
            sd__wino_mix(ua + ((size_t)i * a * mcp + o) * kc, (ptrdiff_t)mcp * kc, t + i * 3 * kc, kc, &w->g[0][0], 3, a, 3, kc);
    }
    if (g->bf16) sd__pairs_rows_in_place(ua, a * a * mcp, kc, s);   /* (bf16: each row of kc in pairs) */
}

/* U = G w G^T of one input channel for 16 output channels at once: x[3 row + col][o] the kernels' taps, U_p
   at d + p ds, [o]; sd__wino_weights's sums (t[i][col] = sum_row G[i][row] w[row][col], then U[i][j] =
   sum_col G[j][col] t[i][col]), each in its order: sd__wino_mix's steps along 16 output channels; on
   AVX-512 in registers, the same floats */
#if SD__AVX512
static void sd__wino_u16(float *d, size_t ds, const float *x, const sd__wino *w)
{
    __m512 v[9];
    int a = w->a, i, j, q;
    for (q = 0; q < 9; q++) v[q] = _mm512_loadu_ps(x + 16 * q);
    for (i = 0; i < a; i++) {
        __m512 t[3], g0 = _mm512_set1_ps(w->g[i][0]), g1 = _mm512_set1_ps(w->g[i][1]), g2 = _mm512_set1_ps(w->g[i][2]);
        for (q = 0; q < 3; q++) t[q] = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(g0, v[q]), _mm512_mul_ps(g1, v[3 + q])), _mm512_mul_ps(g2, v[6 + q]));
        for (j = 0; j < a; j++) {
            __m512 h0 = _mm512_set1_ps(w->g[j][0]), h1 = _mm512_set1_ps(w->g[j][1]), h2 = _mm512_set1_ps(w->g[j][2]);
            _mm512_storeu_ps(d + (size_t)(i * a + j) * ds, _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(h0, t[0]), _mm512_mul_ps(h1, t[1])), _mm512_mul_ps(h2, t[2])));
        }
    }
}
#else
static void sd__wino_u16(float *d, size_t ds, const float *x, const sd__wino *w)
{
    float t[6 * 3 * 16];   /* t[i][col][o] */
    int a = w->a, q, i;
    for (q = 0; q < 3; q++) sd__wino_mix(t + q * 16, 3 * 16, x + q * 16, 3 * 16, &w->g[0][0], 3, a, 3, 16);
    for (i = 0; i < a; i++) sd__wino_mix(d + (size_t)i * a * ds, (ptrdiff_t)ds, t + i * 3 * 16, 16, &w->g[0][0], 3, a, 3, 16);
}
#endif

/* the floats from one U_p^T panel to the next: kc x NR and a cache line more (kc NR floats apart, the
   36 stores of sd__wino_u16 would fall on one set of the cache) */
static size_t sd__wino_ups(int kc) { return (size_t)kc * SD__NR + 16; }

/* the same U_p for output channels m0..m0+mc (mc <= NR; those past M zero) as one B panel each,
   U_p^T at ub + p sd__wino_ups(kc), [kc][NR] (the products with the tiles as rows, sd__wino_tile_t): the
   same sums as sd__wino_weights, vectors along 16 output channels instead of the input channels */
static void sd__wino_weights_t(float *ub, const sd__mm *g, const sd__wino *w, int m0, int mc, int k0, int kc, float *s)
{
    int o0, k1, kk, j, i;
    float *raw = s, *tr = raw + 16 * 144;   /* 16 kernels of 16 channels; transposed, tr[9 ci + tap][o] */
    for (o0 = 0; o0 < SD__NR; o0 += 16)
        for (k1 = 0; k1 < kc; k1 += 16) {
            int nk = kc - k1 < 16 ? kc - k1 : 16, po = k1 + 16 < kc ? o0 : o0 + 16, pk = k1 + 16 < kc ? k1 + 16 : 0;
            for (j = 0; j < 16 && po < SD__NR; j++)   /* the next 16 kernels' bytes, while these are transformed */
                if (po + j < mc && m0 + po + j < g->M)
                    sd__prefetch(g->aw->data, g->aw->dtype, ((size_t)(m0 + po + j) * g->conv->c + k0 + pk) * 9, (size_t)(kc - pk < 16 ? kc - pk : 16) * 9);
            for (j = 0; j < 16; j++) {
                float *r = raw + j * 144;
                if (o0 + j < mc && m0 + o0 + j < g->M)
                    sd__decode(r, g->aw->data, g->aw->dtype, ((size_t)(m0 + o0 + j) * g->conv->c + k0 + k1) * 9, (size_t)nk * 9);
                else memset(r, 0, sizeof(float) * (size_t)nk * 9);
                memset(r + nk * 9, 0, sizeof(float) * (size_t)(144 - nk * 9));
            }
            for (i = 0; i < 9; i++) sd__transpose16(tr + i * 256, 16, raw + i * 16, 144);
            for (kk = 0; kk < nk; kk++)
                sd__wino_u16(ub + (size_t)(k1 + kk) * SD__NR + o0, sd__wino_ups(kc), tr + kk * 144, w);
        }
}

/* one output row of a run of n tiles: row[m t + j] = sum_c A^T[j][c] s[c][t] (s's rows rs apart), each
   sum in sd__wino_mix's order; written in the image's order, m outputs a tile */
static void sd__wino_row(float *SD__RESTRICT row, const float *SD__RESTRICT s, ptrdiff_t rs, const sd__wino *w, int n)
{
    const float *s0 = s, *s1 = s + rs, *s2 = s + 2 * rs, *s3 = s + 3 * rs, *s4 = s + 4 * rs, *s5 = s + 5 * rs;
    int t, j;
    const float (*k)[6] = w->at;
    if (w->m == 4)
        for (t = 0; t < n; t++)
            for (j = 0; j < 4; j++)
                row[4 * t + j] = k[j][0] * s0[t] + k[j][1] * s1[t] + k[j][2] * s2[t] + k[j][3] * s3[t] + k[j][4] * s4[t] + k[j][5] * s5[t];
    else
        for (t = 0; t < n; t++)
            for (j = 0; j < 2; j++) row[2 * t + j] = k[j][0] * s0[t] + k[j][1] * s1[t] + k[j][2] * s2[t] + k[j][3] * s3[t];
}

/* the tiles' outputs from the sums (M_p[o][tile] at ct + p P + o ldo + tile): Y = A^T M A,
   + bias, + add, clipped at the image's edges */
static void sd__wino_output(const sd__mm *g, const sd__wino *w, const float *ct, size_t P, size_t ldo,
                            int m0, int mc, int n0, int nc, float *s)
{
    const sd__conv *cv = g->conv;
    int a = w->a, m = w->m, o;
    float *tmp = s, *row = tmp + 4 * 6 * SD__WNW;   /* tmp [m][a][tiles]: F(4x4)'s 4 x 6 x WNW, F(2x2)'s 2 x 4 x 2 WNW fit; a row of m x tiles */
    for (o = 0; o < mc; o++) {
        float bias = g->bias_m ? g->bias_m[m0 + o] : 0.0f;
        int c, i, j0 = 0;
        for (c = 0; c < a; c++)   /* tmp[i][c] = sum_r A^T[i][r] M[r][c], all tiles at once */
            sd__wino_mix(tmp + (size_t)c * nc, (ptrdiff_t)a * nc, ct + (size_t)o * ldo + c * P, (ptrdiff_t)(a * P), &w->at[0][0], 6, m, a, nc);
        while (j0 < nc) {   /* each run of tiles: its m output rows, y[i][j] = sum_c tmp[i][c] A^T[j][c] */
            int b, ty, tx, cnt = sd__wino_run_len(cv, m, n0, j0, nc, &b, &ty, &tx), x;
            for (i = 0; i < m && m * ty + i < cv->ho; i++) {
                ptrdiff_t at = (ptrdiff_t)b * g->seg_stride + (ptrdiff_t)(m0 + o) * g->ldc + (ptrdiff_t)(m * ty + i) * cv->wo + m * tx;
                float *SD__RESTRICT out = g->c + at;   /* (add may be out itself: a residual) */
                const float *ad = g->add ? g->add + at : NULL;
                int xn = cv->wo - m * tx < m * cnt ? cv->wo - m * tx : m * cnt;
                sd__wino_row(row, tmp + (size_t)i * a * nc + j0, nc, w, cnt);
                if (g->bias_m) for (x = 0; x < xn; x++) row[x] += bias;
                if (ad) for (x = 0; x < xn; x++) out[x] = row[x] + ad[x];
                else memcpy(out, row, sizeof(float) * (size_t)xn);
            }
            j0 += cnt;
        }
    }
}

/* where the transformed weights of output channels m1.. (a block of WMC) and input channels k0..
   (a block of WKC) start among those of a block of output channels (mcp of them, rounded up to
   whole register tiles): by blocks of input channels, then of output channels, each [a^2][mccp][kc] */
static size_t sd__wino_uat(const sd__wino *w, int mcp, int k0, int m1, int kc)
{
    return (size_t)w->a * w->a * ((size_t)k0 * mcp + (size_t)m1 * kc);
}

/* output channels m0..m0+mc x tiles n0..n0+nc, every input channel, by one thread; uk: the block's
   transformed weights, kept (sd__wino_run), or NULL: transformed here */
static void sd__wino_tile(const sd__mm *g, const sd__wino *w, int m0, int mc, int n0, int nc, const float *uk, float *ws)
{
    int a2 = w->a * w->a, mcp = sd__up_mr(mc), ncp = (nc + SD__NR - 1) / SD__NR * SD__NR, k0, m1, p, ip, jp;
    float *ua = ws, *vb = ua + (size_t)36 * SD__WMC * SD__WKC, *ct = vb + (size_t)36 * SD__WKC * SD__WNW, *s = ct + (size_t)36 * SD__WMT * SD__WNW;
    for (k0 = 0; k0 < g->conv->c; k0 += SD__WKC) {
        int kc = g->conv->c - k0 < SD__WKC ? g->conv->c - k0 : SD__WKC, first = k0 == 0;
        sd__wino_input(vb, g, w, n0, nc, k0, kc, s);
        if (g->bf16) for (p = 0; p < a2; p++) sd__pairs_b(vb + (size_t)p * kc * ncp, ncp, kc);
        for (m1 = 0; m1 < mc; m1 += SD__WMC) {   /* the weights a few rows at a time */
            int mcc = mc - m1 < SD__WMC ? mc - m1 : SD__WMC, mccp = sd__up_mr(mcc), kq = (kc + 1) / 2;
            const float *u = uk ? uk + sd__wino_uat(w, mcp, k0, m1, kc) : ua;
            if (!uk) sd__wino_weights(ua, g, w, m0 + m1, mcc, k0, kc, s);
            for (p = 0; p < a2; p++)
                for (jp = 0; jp < ncp; jp += SD__NR)
                    for (ip = 0; ip < mccp; ip += SD__MR) {
                        float *ci = ct + (size_t)p * mcp * ncp + (size_t)(m1 + ip) * ncp + jp;
                        if (g->bf16)
                            sd__kernel_bf16(kq, (const uint32_t *)(const void *)u + ((size_t)p * mccp + ip) * kq, kq,
                                            (const uint32_t *)(const void *)(vb + (size_t)p * kc * ncp) + (size_t)jp * kq, ci, ncp, first);
                        else sd__kernel(kc, u + ((size_t)p * mccp + ip) * kc, kc, vb + (size_t)p * kc * ncp + (size_t)jp * kc, ci, ncp, first);
                    }
        }
    }
    sd__wino_output(g, w, ct, (size_t)mcp * ncp, (size_t)ncp, m0, mc, n0, nc, s);
}

/* the rows of each M_p^T for nt tiles (sd__wino_tile_t): whole register tiles, and whole 16 x 16 blocks to transpose */
static int sd__wino_rows(int nt) { int r = sd__up_mr(nt), r16 = (nt + 15) / 16 * 16; return r > r16 ? r : r16; }

/* the rows of each V_p^T (sd__wino_vt): whole register tiles, in whole 16 x 16 blocks; and the
   floats of one block of tiles' and of WKC input channels' V_p^T */
static int sd__wino_vs(int nc) { return (sd__up_mr(nc) + 15) / 16 * 16; }
static size_t sd__wino_vblock(const sd__wino *w, int vs) { return (size_t)w->a * w->a * vs * SD__WKC; }

/* V_p^T of tiles n0..n0+nc and input channels k0..k0+kc, [p][vs][kc] at va (its rows from nc up to
   a whole 16 zero): the input's transform (sd__wino_input, V_p as B panels in ub's room) transposed */
static void sd__wino_vt(float *va, int vs, float *ub, const sd__mm *g, const sd__wino *w, int n0, int nc, int k0, int kc, float *s)
{
    int a2 = w->a * w->a, nt = sd__up_mr(nc), ncp = (nc + SD__NR - 1) / SD__NR * SD__NR, p, t0, k1, kk, t;
    sd__wino_input(ub, g, w, n0, nc, k0, kc, s);
    for (p = 0; p < a2; p++)
        for (t0 = 0; t0 < nt; t0 += 16) {
            const float *src = ub + (size_t)p * kc * ncp + (size_t)(t0 / SD__NR) * kc * SD__NR + t0 % SD__NR;
            float *dst = va + ((size_t)p * vs + t0) * kc;
            if (t0 >= ncp) { memset(dst, 0, sizeof(float) * 16 * (size_t)kc); continue; }   /* (rows past the panels: AVX2's 16 wide) */
            for (k1 = 0; k1 + 16 <= kc; k1 += 16) sd__transpose16(dst + k1, kc, src + (size_t)k1 * SD__NR, SD__NR);
            for (kk = k1; kk < kc; kk++)
                for (t = 0; t < 16; t++) dst[(size_t)t * kc + kk] = src[(size_t)kk * SD__NR + t];
        }
}

/* the same sums with the tiles as the product's rows and the output channels as its columns,
   M_p^T[tile, co] = V_p^T[tile, ci] U_p^T[ci, co], the same floats: where an image has few tiles,
   they would fill a register panel of NR only in part (16x16: 16 tiles), while MR rows waste little.
   vt: the tiles' V_p^T for each block of WKC input channels, one sd__wino_vblock apart (sd__wino_vt) */
static void sd__wino_tile_t(const sd__mm *g, const sd__wino *w, int m0, int mc, int n0, int nc, const float *vt, int vs, float *ws)
{
    int a2 = w->a * w->a, mcp = (mc + SD__NR - 1) / SD__NR * SD__NR, nt = sd__up_mr(nc);
    int k0, o0, p, ip, t0, k1;
    float *ub = ws, *va = ub + (size_t)36 * SD__WMC * SD__WKC, *ct = va + (size_t)36 * SD__WKC * SD__WNW, *s = ct + (size_t)36 * SD__WMT * SD__WNW;
    size_t P = (size_t)sd__wino_rows(nc) * mcp;
    for (k0 = 0; k0 < g->conv->c; k0 += SD__WKC) {
        int kc = g->conv->c - k0 < SD__WKC ? g->conv->c - k0 : SD__WKC;
        const float *vk = vt + (size_t)(k0 / SD__WKC) * sd__wino_vblock(w, vs);
        for (o0 = 0; o0 < mc; o0 += SD__NR) {   /* the weights a panel of output channels at a time */
            sd__wino_weights_t(ub, g, w, m0 + o0, mc - o0 < SD__NR ? mc - o0 : SD__NR, k0, kc, s);
            for (p = 0; p < a2; p++)
                for (ip = 0; ip < nt; ip += SD__MR)
                    sd__kernel(kc, vk + ((size_t)p * vs + ip) * kc, kc, ub + (size_t)p * sd__wino_ups(kc),
                               ct + p * P + (size_t)ip * mcp + o0, mcp, k0 == 0);
        }
    }
    for (o0 = 0; o0 < mc; o0 += SD__NR) {   /* the sums back to [co][tile], a panel of output channels at a time (in va's room), and out */
        int n16 = (nc + 15) / 16 * 16;
        for (p = 0; p < a2; p++)
            for (t0 = 0; t0 < nc; t0 += 16)
                for (k1 = 0; k1 < SD__NR; k1 += 16)
                    sd__transpose16(va + ((size_t)p * SD__NR + k1) * n16 + t0, n16, ct + p * P + (size_t)t0 * mcp + o0 + k1, mcp);
        sd__wino_output(g, w, va, (size_t)SD__NR * n16, (size_t)n16, m0 + o0, mc - o0 < SD__NR ? mc - o0 : SD__NR, n0, nc, s);
    }
}

/* The product's blocks over the threads: tiles in blocks of WNW (F(2x2): 2 WNW, so that a small
   image's weights are transformed once, its input again for each block of channels, which costs
   far less), output channels split evenly into blocks of at most WMT (F(4x4)'s 36 sums a tile; as
   many more as fit in their room for F(2x2)'s 16 and its tiles), more of them while there are
   fewer blocks than 2 per thread (tiles as rows: blocks of at most 60 tiles, output channels in
   whole panels, as many as the sums' room holds, the same number of blocks for each thread, each
   block's weights transformed once). Where there are several blocks of tiles the transformed weights
   of `keep` blocks of output channels at a time are computed first and kept for all of them (in
   at most SD__WKEEP floats, a quarter of that in low-memory mode), instead of again in each: where
   they stay in the cache (the VAE's 128 channels at 512x512: 13% faster); kept in more room, read
   back from memory, they cost more than they save (a 32x32 UNet layer of 640 channels: 30% slower) */
#define SD__WKEEP ((size_t)1 << 20)   /* 4 MB */

typedef struct sd__wplan {
    int rows;          /* 1: the tiles are the product's rows (sd__wino_tile_t), 0: its columns */
    int T, nw, tn;     /* tiles, in tn blocks of nw */
    int mt, tm;        /* output channels, in tm blocks of mt */
    int keep;          /* blocks of output channels whose transformed weights are kept together (0: none) */
    size_t per;        /* the floats of one block's transformed weights */
    int vs;            /* rows: the rows of each V_p^T (sd__wino_vt) */
    size_t vt;         /* rows: the floats of the tiles' transformed input, computed once for all blocks */
} sd__wplan;

/* the tiles as the product's rows where an image's would fill a register panel only in part (the
   same floats either way; not in bfloat16 pairs) */
static sd__wplan sd__wino_plan(const sd_model *m, const sd__conv *cv, const sd__wino *w)
{
    sd__wplan p;
    int wmt = SD__WMT * 36 / (w->a * w->a) * SD__WNW / w->nw / SD__MR * SD__MR;   /* the sums' room: 36 x WMT x WNW */
    int per_image = ((cv->ho + w->m - 1) / w->m) * ((cv->wo + w->m - 1) / w->m), q;
    size_t budget = m->cfg.low_memory ? SD__WKEEP / 4 : SD__WKEEP;
    p.rows = (m->wino_orient ? m->wino_orient == 1 : per_image < SD__WINO_TILES) && !(m->cfg.bf16 && w->m == 2);
    q = p.rows ? SD__NR : SD__MR;   /* output channels in whole register tiles (rows: whole panels) */
    p.nw = p.rows ? SD__WNW - 4 : w->nw;   /* (rows: 60 tiles, whole register tiles of 4 or 6 rows; up to 16 more fit in WNW) */
    p.T = cv->n * per_image;
    p.tn = (p.T + p.nw - 1) / p.nw;
    if (p.rows) {   /* tiles as even as whole register tiles allow; as many output channels as their sums' room holds */
        p.nw = sd__up_mr((p.T + p.tn - 1) / p.tn);
        wmt = 36 * SD__WMT * SD__WNW / (w->a * w->a * sd__wino_rows(p.nw)) / SD__NR * SD__NR;
    }
    p.tm = (cv->co + wmt - 1) / wmt;
    if (p.rows)   /* (a few long blocks: the same number for each thread) */
        while ((p.tm * p.tn < m->n_threads || p.tm * p.tn % m->n_threads) && (cv->co + p.tm) / (p.tm + 1) >= q) p.tm++;
    else while (p.tm * p.tn < 2 * m->n_threads && (cv->co + p.tm) / (p.tm + 1) >= 2 * q) p.tm++;
    p.mt = ((cv->co + p.tm - 1) / p.tm + q - 1) / q * q;
    p.tm = (cv->co + p.mt - 1) / p.mt;
    p.per = (size_t)w->a * w->a * p.mt * cv->c;
    p.keep = !p.rows && p.tn > 1 && p.per <= budget ? (int)(budget / p.per < (size_t)p.tm ? budget / p.per : (size_t)p.tm) : 0;
    p.vs = sd__wino_vs(p.nw);
    p.vt = p.rows ? (size_t)p.tn * ((cv->c + SD__WKC - 1) / SD__WKC) * sd__wino_vblock(w, p.vs) : 0;
    return p;
}

/* uk: room for the kept weights (sd__wino_plan's keep x per floats), or (tiles as rows) for the
   tiles' transformed input (vt floats): each block of output channels needs all of it, so it is
   computed once first, a task a block of tiles and of input channels, not again in each block */
static void sd__wino_run(sd_model *m, const sd__mm *g, const sd__wino *w, float *ws, float *uk)
{
    const sd__conv *cv = g->conv;
    sd__wplan p = sd__wino_plan(m, cv, w);
    int nk = (cv->c + SD__WKC - 1) / SD__WKC, nm = (p.mt + SD__WMC - 1) / SD__WMC, chunk = p.keep ? p.keep : p.tm, i0, t;
    size_t vb = sd__wino_vblock(w, p.vs);
    if (p.rows) {
        SD__PARALLEL_FOR(sd__nt(m, 1e4 * p.T * cv->c))   /* (a tile's channel: 70 ns, the time of some 10^4 flops) */
        for (t = 0; t < p.tn * nk; t++) {
            int n0 = t / nk * p.nw, k0 = t % nk * SD__WKC, nc = p.T - n0 < p.nw ? p.T - n0 : p.nw, kc = cv->c - k0 < SD__WKC ? cv->c - k0 : SD__WKC;
            float *wt = ws + (size_t)SD__TID() * SD__CONV_WS;   /* (the thread's panels' room, then its scratch) */
            sd__wino_vt(uk + (size_t)t * vb, p.vs, wt, g, w, n0, nc, k0, kc, wt + SD__WINO_PANELS);
        }
    }
    for (i0 = 0; i0 < p.tm; i0 += chunk) {   /* chunk blocks of output channels at a time */
        int nb = p.tm - i0 < chunk ? p.tm - i0 : chunk;
        if (p.keep) {   /* their weights transformed: a task a block of input channels and of output channels */
            SD__PARALLEL_FOR(sd__nt(m, 60.0 * nb * p.mt * cv->c))
            for (t = 0; t < nb * nk * nm; t++) {
                int b = t / (nk * nm), k0 = t / nm % nk * SD__WKC, m1 = t % nm * SD__WMC, m0 = (i0 + b) * p.mt;
                int mc = cv->co - m0 < p.mt ? cv->co - m0 : p.mt, kc = cv->c - k0 < SD__WKC ? cv->c - k0 : SD__WKC;
                if (m1 < mc)
                    sd__wino_weights(uk + (size_t)b * p.per + sd__wino_uat(w, sd__up_mr(mc), k0, m1, kc), g, w, m0 + m1,
                                     mc - m1 < SD__WMC ? mc - m1 : SD__WMC, k0, kc, ws + (size_t)SD__TID() * SD__CONV_WS);
            }
        }
        SD__PARALLEL_FOR(sd__nt(m, 18.0 * cv->n * cv->c * nb * p.mt * cv->ho * cv->wo))
        for (t = 0; t < nb * p.tn; t++) {
            int b = t / p.tn, m0 = (i0 + b) * p.mt, n0 = t % p.tn * p.nw, mc = cv->co - m0 < p.mt ? cv->co - m0 : p.mt, nc = p.T - n0 < p.nw ? p.T - n0 : p.nw;
            if (p.rows) sd__wino_tile_t(g, w, m0, mc, n0, nc, uk + (size_t)(t % p.tn) * nk * vb, p.vs, ws + (size_t)SD__TID() * SD__CONV_WS);
            else sd__wino_tile(g, w, m0, mc, n0, nc, p.keep ? uk + (size_t)b * p.per : NULL, ws + (size_t)SD__TID() * SD__CONV_WS);
        }
    }
}

/* F(4x4) where an image has SD__WINO_FEW of its tiles (8x8 pixels; at 4x4, one tile, the direct product
   is faster), else direct (NULL); in bfloat16 F(4x4) only from SD__WINO_TILES (its transforms would
   magnify bfloat16's rounding) and F(2x2), in pairs, below. Per image and the same on every build,
   so that the algorithm, and so the bits, do not depend on the batch (guidance halves together or
   apart) or the vector width */
#define SD__WINO_FEW 4
static const sd__wino *sd__wino_pick(const sd_model *m, const sd__conv *cv)
{
    int t4 = ((cv->ho + 3) / 4) * ((cv->wo + 3) / 4), t2 = ((cv->ho + 1) / 2) * ((cv->wo + 1) / 2), f;
    if (cv->k != 3 || cv->stride != 1 || cv->c < 8 || cv->co < 8 || m->cfg.winograd < 0) return NULL;
    if (m->cfg.winograd) f = m->cfg.winograd;
    else if (m->cfg.bf16) f = t4 >= SD__WINO_TILES ? 4 : t2 >= SD__WINO_TILES ? 2 : 0;
    else f = t4 >= SD__WINO_FEW ? 4 : 0;
    return f == 4 ? &sd__wino_f4 : f == 2 ? &sd__wino_f2 : NULL;
}

/* GroupNorm's map and SiLU on a convolution's input done once, into the scratch, where the input has
   at most SD__PRE floats (not in low-memory mode): the products would apply them to each input row
   each time they read it (a Winograd tile row's 6 rows overlap the next's by 2, a direct 3x3 reads a
   row for each of its kernel rows), at 64x64 c320 a sixth of the convolution's time. The same floats */
#define SD__PRE ((size_t)8 << 20)   /* 32 MB: the UNet's inputs at 512x512 (64x64 c960, a batch of 2) */
static int sd__conv_pre(const sd_model *m, const sd__conv *cv, sd__act act)
{
    return act == SD__ACT_SILU && !m->cfg.low_memory && (size_t)cv->n * cv->c * cv->h * cv->w <= SD__PRE;
}

static void sd__conv_pre_apply(sd_model *m, float *out, const float *in, const sd__conv *cv, const float *stats)
{
    int t;
    size_t hw = (size_t)cv->h * cv->w;
    SD__PARALLEL_FOR_CHUNK(sd__nt(m, SD__PAR_FLOAT * cv->n * cv->c * hw), sd__per_task(hw))
    for (t = 0; t < cv->n * cv->c; t++)   /* (image, channel) t, as sd__conv_row maps a row */
        sd__gn_map(out + (size_t)t * hw, in + (size_t)t * hw, hw, stats ? stats[2 * t] : 1.0f, stats ? stats[2 * t + 1] : 0.0f, 1);
}

/* conv2d as implicit GEMM over the whole batch: C[Co, N*HoWo] = W[Co, C*k*k] x im2col (each image a segment) */
/* the threads' product workspaces and the upsampling tables; after them, a Winograd convolution's
   kept weights, then the input after GroupNorm and SiLU (sd__conv_pre) */
static size_t sd__conv2d_ws_base(const sd_model *m, const sd__conv *g)
{
    return (size_t)m->n_threads * SD__CONV_WS + (size_t)g->up_h + (size_t)g->up_w + 16;
}

/* the scratch of each: nothing; sd__conv2d_ws_base's, the kept weights and the input after GroupNorm and SiLU */
static size_t sd__conv2d_ws_ref(const sd_model *m, const sd__conv *g, sd__act act) { (void)m; (void)g; (void)act; return 0; }
static size_t sd__conv2d_ws_fast(const sd_model *m, const sd__conv *g, sd__act act)
{
    const sd__wino *w = sd__wino_pick(m, g);
    size_t n = sd__conv2d_ws_base(m, g), pre = sd__conv_pre(m, g, act) ? (size_t)g->n * g->c * g->h * g->w : 0;
    sd__wplan p;
    if (!w) return n + pre;
    p = sd__wino_plan(m, g, w);
    return n + (size_t)p.keep * p.per + p.vt + pre;
}

static void sd__conv2d_fast(sd_model *m, float *out, const float *in, const sd__conv *cv, const sd__lin *l,
                            const float *add, const float *stats, sd__act act, float *ws)
{
    const sd__wino *w = sd__wino_pick(m, cv);
    int i;
    int *ymap = NULL, *xmap = NULL;
    sd__mm g;
    memset(&g, 0, sizeof g);
    if (sd__conv_pre(m, cv, act)) {   /* (its room: the last of the scratch, after what the convolution takes without it) */
        float *pre = ws + sd__conv2d_ws_fast(m, cv, SD__ACT_NONE);
        sd__conv_pre_apply(m, pre, in, cv, stats);
        in = pre; stats = NULL; act = SD__ACT_NONE;
    }
    if (cv->up_h) {   /* nearest-upsampling tables live after the threads' workspaces */
        ymap = (int *)(void *)(ws + (size_t)m->n_threads * SD__CONV_WS);
        xmap = ymap + cv->up_h;
        for (i = 0; i < cv->up_h; i++) ymap[i] = sd__nearest(i, cv->h, cv->up_h);
        for (i = 0; i < cv->up_w; i++) xmap[i] = sd__nearest(i, cv->w, cv->up_w);
    }
    g.M = cv->co; g.N = cv->n * cv->ho * cv->wo; g.K = cv->c * cv->k * cv->k;   /* the batch side by side */
    g.aw = l->w;
    g.conv = cv; g.img = in; g.stats = stats; g.silu = act == SD__ACT_SILU; g.ymap = ymap; g.xmap = xmap;
    g.c = out; g.ldc = cv->ho * cv->wo; g.add = add;
    g.seg = cv->ho * cv->wo; g.seg_stride = (ptrdiff_t)cv->co * g.seg;
    g.bias_m = l->b;
    g.bf16 = m->cfg.bf16 != 0 && (!w || w->m == 2);   /* (F(4x4)'s transforms magnify bfloat16's rounding ~10x: float32) */
    if (w) sd__wino_run(m, &g, w, ws, ws + sd__conv2d_ws_base(m, cv));
    else sd__mm_run(m, &g, ws);
}

/* ---------------------------------------------------------------- linear */

static void sd__act_ref(sd_model *m, float *out, const float *in, size_t n, sd__act kind);   /* (elementwise, below) */

/* torch.nn.functional.linear: out[r,o] = bias[o] + sum_c in[r,c] w[o,c] (+ add[r,o]), then the
   activation act (the MLP's GELU, the time embedding's SiLU; SD__ACT_NONE: none).
   in [R,C] -> out [R,Co]; w is [Co,C] (or [Co,C,1,1]) */
static void sd__linear_ref(sd_model *m, float *out, const float *in, int rows, int c, const sd__lin *l, const float *add, sd__act act, float *ws)
{
    int r, o, co = (int)l->w->shape[0];
    (void)ws;
    for (r = 0; r < rows; r++)
        for (o = 0; o < co; o++) {
            float acc = 0.0f;
            int k;
            for (k = 0; k < c; k++) acc += in[(size_t)r * c + k] * sd__wget(l->w, (size_t)o * c + k);
            if (l->b) acc += l->b[o];
            out[(size_t)r * co + o] = add ? acc + add[(size_t)r * co + o] : acc;
        }
    if (act) sd__act_ref(m, out, out, (size_t)rows * co, act);
}

/* linear: C[R, Co] = act(in[R, C] x W^T + bias (+ add)), the activation in the product's epilogue */
static void sd__linear_fast(sd_model *m, float *out, const float *in, int rows, int c, const sd__lin *l, const float *add, sd__act act, float *ws)
{
    sd__mm g;
    memset(&g, 0, sizeof g);
    g.M = rows; g.N = (int)l->w->shape[0]; g.K = c;
    g.af = in; g.a_rs = c; g.a_cs = 1;
    g.bw = l->w;
    g.c = out; g.ldc = g.N;
    g.bias_n = l->b; g.add = add; g.act = act;
    g.bf16 = m->cfg.bf16 != 0;
    g.wr = sd__wread_pending(m, l->w);
    sd__mm_run(m, &g, ws);
}

static size_t sd__linear_ws_ref(const sd_model *m) { (void)m; return 0; }
static size_t sd__linear_ws_fast(const sd_model *m) { return (size_t)m->n_threads * SD__MM_WS; }

/* ---------------------------------------------------------------- attention */

/* scaled dot-product attention, per batch b and head h:
   out[b,i,h] = sum_j softmax_j(q[b,i,h] . k[b,j,h] / sqrt(d)) v[b,j,h], j <= i under the causal mask.
   q [N,Tq,H*d], k and v [N,Tk,H*d], out [N,Tq,H*d]; ws holds Tk floats */
/* one query of one head: qi [d], k and v at the head's first key (rows ld apart), its first nk keys */
static void sd__attn_query(float *oi, const float *qi, const float *k, const float *v, size_t ld, int nk, int d, float scale, float *ws)
{
    float mx = -INFINITY, sum = 0.0f;
    int j, e;
    for (j = 0; j < nk; j++) {
        const float *kj = k + (size_t)j * ld;
        float dot = 0.0f;
        for (e = 0; e < d; e++) dot += qi[e] * kj[e];
        ws[j] = dot * scale;
        if (ws[j] > mx) mx = ws[j];
    }
    for (j = 0; j < nk; j++) { ws[j] = expf(ws[j] - mx); sum += ws[j]; }
    for (e = 0; e < d; e++) {
        float acc = 0.0f;
        for (j = 0; j < nk; j++) acc += ws[j] * v[(size_t)j * ld + e];
        oi[e] = acc / sum;
    }
}

static void sd__attention_ref(sd_model *m, float *out, const float *q, const float *k, const float *v, int n, int heads,
                              int tq, int tk, int d, sd__mask mask, float *ws)
{
    int b, h, i;
    size_t ld = (size_t)heads * d;
    float scale = 1.0f / sqrtf((float)d);
    (void)m;
    for (b = 0; b < n; b++)
        for (h = 0; h < heads; h++)
            for (i = 0; i < tq; i++)
                sd__attn_query(out + ((size_t)b * tq + i) * ld + (size_t)h * d, q + ((size_t)b * tq + i) * ld + (size_t)h * d,
                               k + (size_t)b * tk * ld + (size_t)h * d, v + (size_t)b * tk * ld + (size_t)h * d, ld,
                               mask == SD__MASK_CAUSAL ? i + 1 : tk, d, scale, ws);
}

/* attention in tiles with an online softmax (FlashAttention's recurrence), computed transposed so
   that every softmax step runs along contiguous queries: for a block of QB queries, keys come in
   blocks of KB; S^T = K Q^T (one product), the running max and sum of each query are updated,
   O^T is rescaled and O^T += V^T P^T (a second product). Only KB x QB scores exist at a time,
   per thread. Under the causal mask a query's later keys score -inf: their weights are exactly 0. */
#define SD__QB 128
#define SD__KB 960   /* a multiple of every MR: whole blocks of K are read in place (960: fewer rescales, longer sums than 240: +8% at d = 40) */

static size_t sd__attn_ws(int d)
{
    size_t d6 = (size_t)sd__up_mr(d);
    return (size_t)d * SD__QB           /* Q^T panels */
         + (size_t)SD__KB * d           /* the last, partial block of K, padded */
         + (size_t)SD__KB * SD__QB      /* S^T, then P^T */
         + d6 * SD__QB                  /* O^T */
         + 4 * SD__QB + 64;             /* running max and sum, block max and correction */
}

/* the scratch of one attention call: each thread's, then V^T of every (image, head), [d6, tk6] (bf16:
   V^T in pairs, [d6, tk6 / 2], then K in pairs, [tk6, (d + 1) / 2], in the same room) */
static size_t sd__attn_ws_total(int nthreads, int n, int heads, int tk, int d)
{
    size_t d6 = (size_t)sd__up_mr(d), tk6 = (size_t)sd__up_mr(tk);
    return (size_t)nthreads * sd__attn_ws(d) + (size_t)n * heads * d6 * tk6;
}

/* one block of queries of one head: k points at the head's first key, vt at its V^T [d6, tk6] */
static void sd__attn_block(const float *q, const float *k, const float *vt, float *out, size_t ld, int d,
                           int q0, int nq, int tk, int causal, int bf16, float *ws)
{
    int d6 = sd__up_mr(d), tk6 = sd__up_mr(tk), dq = (d + 1) / 2, i, j, e, ip, jp, k0;
    float *pq = ws, *pk = pq + (size_t)d * SD__QB, *st = pk + (size_t)SD__KB * d;
    float *o = st + (size_t)SD__KB * SD__QB, *mx = o + (size_t)d6 * SD__QB, *sum = mx + SD__QB, *bm = sum + SD__QB, *corr = bm + SD__QB;
    uint32_t *qp = (uint32_t *)(void *)pq, *sp = (uint32_t *)(void *)st;   /* bf16: Q^T's and P^T's pairs, V^T's and K's */
    const uint32_t *vp = (const uint32_t *)(const void *)vt, *kp = vp + (size_t)d6 * (tk6 / 2);
    float scale = 1.0f / sqrtf((float)d) * 1.44269504f;   /* scores in powers of 2: q . k / sqrt(d) * log2(e) */
    int nk = causal && q0 + nq < tk ? q0 + nq : tk;   /* keys past the block's last query: all masked */
    /* Q^T scaled as B panels [d x QB] */
    for (jp = 0; jp < SD__QB; jp += SD__NR)
        for (j = 0; j < SD__NR; j++) {
            const float *qi = q + (size_t)(q0 + jp + j) * ld;
            float *dst = pq + (size_t)jp * d + j;
            if (jp + j < nq) for (e = 0; e < d; e++) dst[(size_t)e * SD__NR] = qi[e] * scale;
            else for (e = 0; e < d; e++) dst[(size_t)e * SD__NR] = 0.0f;
        }
    if (bf16) sd__pairs_b(pq, SD__QB, d);
    for (i = 0; i < SD__QB; i++) { mx[i] = -INFINITY; sum[i] = 0.0f; }
    memset(o, 0, sizeof(float) * (size_t)d6 * SD__QB);
    for (k0 = 0; k0 < nk; k0 += SD__KB) {
        int kb = nk - k0 < SD__KB ? nk - k0 : SD__KB, kb6 = sd__up_mr(kb);
        const float *ka = k + (size_t)k0 * ld;   /* K block as A panels: its rows are the keys */
        int lda = (int)ld;
        if (kb6 > kb && !bf16) {   /* a partial last block: copied and padded with zero keys */
            for (i = 0; i < kb6; i++) {
                float *dst = pk + (size_t)i * d;
                if (i < kb) memcpy(dst, k + (size_t)(k0 + i) * ld, sizeof(float) * (size_t)d);
                else memset(dst, 0, sizeof(float) * (size_t)d);
            }
            ka = pk; lda = d;
        }
        /* S^T = K Q^T, kept as B panels for the second product: panel jp holds queries jp.., [kb6 x NR] */
        for (ip = 0; ip < kb6; ip += SD__MR)
            for (jp = 0; jp < SD__QB; jp += SD__NR) {
                float *ci = st + (size_t)jp * kb6 + (size_t)ip * SD__NR;
                if (bf16) sd__kernel_bf16(dq, kp + (size_t)(k0 + ip) * dq, dq, qp + (size_t)jp * dq, ci, SD__NR, 1);
                else sd__kernel(d, ka + (size_t)ip * lda, lda, pq + (size_t)jp * d, ci, SD__NR, 1);
            }
        if (causal)   /* key k0 + j is masked for the queries before it, q0 + i < k0 + j */
            for (j = q0 + 1 > k0 ? q0 + 1 - k0 : 0; j < kb; j++)
                for (i = 0; i < SD__QB && q0 + i < k0 + j; i++) st[(size_t)(i - i % SD__NR) * kb6 + (size_t)j * SD__NR + i % SD__NR] = -INFINITY;
        /* online softmax in powers of 2, vectorized along the queries (the columns past nq are
           zero queries: computed, never written out) */
        for (jp = 0; jp < SD__QB; jp += SD__NR) {   /* the max of each query's scores, on their order keys */
            uint32_t key[SD__NR], lo[SD__NR];   /* (and the least key: a NaN's is past +-inf's) */
            for (i = 0; i < SD__NR; i++) key[i] = lo[i] = sd__order_key(mx[jp + i]);
            for (j = 0; j < kb; j++) {
                const float *SD__RESTRICT sj = st + (size_t)jp * kb6 + (size_t)j * SD__NR;
                for (i = 0; i < SD__NR; i++) {
                    uint32_t kj = sd__order_key(sj[i]);
                    key[i] = kj > key[i] ? kj : key[i];
                    lo[i] = kj < lo[i] ? kj : lo[i];
                }
            }
            for (i = 0; i < SD__NR; i++) {
                bm[jp + i] = sd__key_float(key[i]);
                if (key[i] > sd__order_key(INFINITY) || lo[i] < sd__order_key(-INFINITY)) sum[jp + i] = NAN;   /* a NaN score: a NaN out */
            }
        }
        for (i = 0; i < SD__QB; i++) {
            corr[i] = mx[i] == -INFINITY ? 0.0f : sd__exp2_neg(mx[i] - bm[i]);
            mx[i] = bm[i];
            sum[i] = sum[i] * corr[i];
        }
        for (jp = 0; jp < SD__QB; jp += SD__NR) {   /* P = 2^(score - max), and its sums */
            float m[SD__NR], acc[SD__NR];
            for (i = 0; i < SD__NR; i++) { m[i] = mx[jp + i]; acc[i] = sum[jp + i]; }
            if (bf16) {   /* P^T in pairs of keys at once (the panel's pairs at half its place: each row read before its place is written) */
                for (j = 0; j < kb6; j += 2) {
                    const float *s0 = st + (size_t)jp * kb6 + (size_t)j * SD__NR, *s1 = s0 + SD__NR;
                    float p0[SD__NR], p1[SD__NR];
                    for (i = 0; i < SD__NR; i++) {
                        p0[i] = j < kb ? sd__exp2_neg(s0[i] - m[i]) : 0.0f;
                        p1[i] = j + 1 < kb ? sd__exp2_neg(s1[i] - m[i]) : 0.0f;
                        acc[i] += p0[i];
                        acc[i] += p1[i];
                    }
                    sd__pair_up(sp + (size_t)jp * (kb6 / 2) + (size_t)j / 2 * SD__NR, p0, p1, SD__NR);
                }
                for (i = 0; i < SD__NR; i++) sum[jp + i] = acc[i];
                continue;
            }
            for (j = 0; j < kb; j++) {
                float *SD__RESTRICT sj = st + (size_t)jp * kb6 + (size_t)j * SD__NR;
                for (i = 0; i < SD__NR; i++) {
                    float p = sd__exp2_neg(sj[i] - m[i]);
                    sj[i] = p;
                    acc[i] += p;
                }
            }
            for (i = 0; i < SD__NR; i++) sum[jp + i] = acc[i];
            memset(st + (size_t)jp * kb6 + (size_t)kb * SD__NR, 0, sizeof(float) * SD__NR * (size_t)(kb6 - kb));   /* the padding keys */
        }
        for (e = 0; e < d; e++) for (i = 0; i < SD__QB; i++) o[(size_t)e * SD__QB + i] *= corr[i];
        /* O^T += V^T P^T: V^T's rows (padded with zeros) are the A panels, P^T is already in B panels */
        for (ip = 0; ip < d6; ip += SD__MR)
            for (jp = 0; jp < SD__QB; jp += SD__NR) {
                float *ci = o + (size_t)ip * SD__QB + jp;
                if (bf16) sd__kernel_bf16(kb6 / 2, vp + (size_t)ip * (tk6 / 2) + k0 / 2, tk6 / 2, sp + (size_t)jp * (kb6 / 2), ci, SD__QB, 0);
                else sd__kernel(kb6, vt + (size_t)ip * tk6 + k0, tk6, st + (size_t)jp * kb6, ci, SD__QB, 0);
            }
    }
    for (i = 0; i < nq; i++)
        for (e = 0; e < d; e++) out[(size_t)(q0 + i) * ld + e] = o[(size_t)e * SD__QB + i] / sum[i];
}

/* V^T of (image, head) t, zero-padded to [d6, tk6] (bf16: V^T in pairs of keys, [d6][tk6 / 2]; then K
   in pairs, [tk6][(d + 1) / 2]) */
static void sd__attn_vt(float *dst, const float *k, const float *v, int t, int heads, int tk, int d, int bf16)
{
    size_t ld = (size_t)heads * d;
    const float *src = v + (size_t)(t / heads) * tk * ld + (size_t)(t % heads) * d;
    int j, e, d6 = sd__up_mr(d), tk6 = sd__up_mr(tk);
    if (bf16) {
        uint32_t *vp = (uint32_t *)(void *)dst, *kp = vp + (size_t)d6 * (tk6 / 2);
        const float *ks = k + (size_t)(t / heads) * tk * ld + (size_t)(t % heads) * d;
        for (e = 0; e < d6; e++)
            for (j = 0; j < tk6; j += 2) {
                float lo = j < tk && e < d ? src[(size_t)j * ld + e] : 0.0f, hi = j + 1 < tk && e < d ? src[(size_t)(j + 1) * ld + e] : 0.0f;
                vp[(size_t)e * (tk6 / 2) + (size_t)j / 2] = sd__bf16(lo) | sd__bf16(hi) << 16;
            }
        sd__pairs_rows(kp, (d + 1) / 2, ks, (ptrdiff_t)ld, tk, d);
        memset(kp + (size_t)tk * ((d + 1) / 2), 0, sizeof(uint32_t) * (size_t)(tk6 - tk) * ((d + 1) / 2));
    } else
        for (e = 0; e < d6; e++)   /* a row of V^T at a time: written in order, read down a column */
            for (j = 0; j < tk6; j++) dst[(size_t)e * tk6 + j] = j < tk && e < d ? src[(size_t)j * ld + e] : 0.0f;
}

/* the tasks: (image, head, block of queries); each (image, head)'s V^T first, on the threads, or
   (one block of queries a head, as the text encoder's 77 tokens) by its one task. One block a head:
   the heads in runs, a run a thread, as the products before cut their columns (the first thread
   the first heads: the q, k and v it wrote are in its cache) */
static void sd__attention_fast(sd_model *m, float *out, const float *q, const float *k, const float *v, int n, int heads,
                               int tq, int tk, int d, sd__mask mask, float *ws)
{
    int nqb = (tq + SD__QB - 1) / SD__QB, t, bf16 = m->cfg.bf16 != 0;
    int d6 = sd__up_mr(d), tk6 = sd__up_mr(tk);
    size_t ld = (size_t)heads * d, per = sd__attn_ws(d);
    float *vt = ws + (size_t)m->n_threads * per;
    if (nqb > 1) {
        SD__PARALLEL_FOR(sd__nt(m, SD__PAR_FLOAT * n * heads * tk * d))
        for (t = 0; t < n * heads; t++) sd__attn_vt(vt + (size_t)t * d6 * tk6, k, v, t, heads, tk, d, bf16);
    }
    SD__PARALLEL_FOR_CHUNK(sd__nt(m, 4.0 * n * heads * tq * tk * d), nqb == 1 ? (n * heads + m->n_threads - 1) / m->n_threads : 1)
    for (t = 0; t < n * heads * nqb; t++) {
        int b = t / (heads * nqb), h = (t / nqb) % heads, qb = t % nqb;
        size_t off = (size_t)h * d;
        float *vth = vt + (size_t)(b * heads + h) * d6 * tk6;
        if (nqb == 1) sd__attn_vt(vth, k, v, b * heads + h, heads, tk, d, bf16);
        sd__attn_block(q + (size_t)b * tq * ld + off, k + (size_t)b * tk * ld + off, vth,
                       out + (size_t)b * tq * ld + off, ld, d, qb * SD__QB, tq - qb * SD__QB < SD__QB ? tq - qb * SD__QB : SD__QB,
                       tk, mask == SD__MASK_CAUSAL, bf16, ws + (size_t)SD__TID() * per);
    }
}

static size_t sd__attention_ws_ref(const sd_model *m, int n, int heads, int tk, int d, sd__mask mask)
{
    (void)m; (void)n; (void)heads; (void)d; (void)mask;
    return (size_t)tk;
}
static size_t sd__attention_ws_fast(const sd_model *m, int n, int heads, int tk, int d, sd__mask mask)
{
    (void)mask;
    return sd__attn_ws_total(m->n_threads, n, heads, tk, d);
}

/* ---------------------------------------------------------------- group norm */

/* the sums of a norm's statistics, sum x and sum (x - mean)^2 over n floats, in double: one running
   sum each (the reference), or (fast) SD__LANES running sums side by side, added up in a fixed order
   at the end (they vectorize; the difference is far below float's epsilon) */
#define SD__LANES 16
static void sd__moments(const float *x, size_t n, int fast, double *mean, double *var)
{
    double sum = 0, sq = 0, acc[SD__LANES], m;
    size_t i = 0, l;
    if (fast) {
        for (l = 0; l < SD__LANES; l++) acc[l] = 0;
        for (; i + SD__LANES <= n; i += SD__LANES)
            for (l = 0; l < SD__LANES; l++) acc[l] += (double)x[i + l];
        for (l = 0; l < SD__LANES; l++) sum += acc[l];
    }
    for (; i < n; i++) sum += x[i];
    m = sum / (double)n;
    i = 0;
    if (fast) {
        for (l = 0; l < SD__LANES; l++) acc[l] = 0;
        for (; i + SD__LANES <= n; i += SD__LANES)
            for (l = 0; l < SD__LANES; l++) acc[l] += ((double)x[i + l] - m) * ((double)x[i + l] - m);
        for (l = 0; l < SD__LANES; l++) sq += acc[l];
    }
    for (; i < n; i++) sq += ((double)x[i] - m) * ((double)x[i] - m);
    *mean = m;
    *var = sq / (double)n;
}

/* GroupNorm statistics of one group as a per-channel affine map (torch's native_group_norm):
   for channel c of the group, scale = gamma[c] / sqrt(var + eps), shift = beta[c] - mean * scale.
   x holds the group's cg channels of hw values; stats gets [cg,2] for channels ch0.. */
static void sd__gn_group(float *stats, const float *x, int cg, int hw, int ch0, float eps, const sd__norm *nm, int fast)
{
    double mean, var;
    float rstd;
    int k;
    sd__moments(x, (size_t)cg * hw, fast, &mean, &var);
    rstd = (float)(1.0 / sqrt(var + eps));
    for (k = 0; k < cg; k++) {
        float scale = rstd * nm->w[ch0 + k];
        stats[2 * k] = scale;
        stats[2 * k + 1] = nm->b[ch0 + k] - (float)mean * scale;
    }
}

/* in [N,C,HW] -> stats [N,C,2], group after group */
static void sd__gn_stats_ref(sd_model *m, float *stats, const float *in, int n, int c, int hw, int groups, float eps, const sd__norm *nm)
{
    int b, g, cg = c / groups;
    (void)m;
    for (b = 0; b < n; b++)
        for (g = 0; g < groups; g++)
            sd__gn_group(stats + ((size_t)b * c + (size_t)g * cg) * 2, in + ((size_t)b * c + (size_t)g * cg) * hw, cg, hw, g * cg, eps, nm, 0);
}

/* the same, threaded over (image, group), the sums side by side */
static void sd__gn_stats_fast(sd_model *m, float *stats, const float *in, int n, int c, int hw, int groups, float eps, const sd__norm *nm)
{
    int t, cg = c / groups;
    SD__PARALLEL_FOR(sd__nt(m, SD__PAR_FLOAT * n * c * hw))
    for (t = 0; t < n * groups; t++) {
        int b = t / groups, g = t % groups;
        sd__gn_group(stats + ((size_t)b * c + (size_t)g * cg) * 2, in + ((size_t)b * c + (size_t)g * cg) * hw, cg, hw, g * cg, eps, nm, 1);
    }
}

/* ---------------------------------------------------------------- layer norm */

/* torch.nn.functional.layer_norm over the last dimension: [R,C] -> [R,C] */
static void sd__layernorm_row(float *y, const float *x, int c, float eps, const sd__norm *nm, int fast)
{
    double mean, var;
    float rstd, fmean;
    int k;
    sd__moments(x, (size_t)c, fast, &mean, &var);
    rstd = (float)(1.0 / sqrt(var + eps));
    fmean = (float)mean;
    for (k = 0; k < c; k++) y[k] = (x[k] - fmean) * rstd * nm->w[k] + nm->b[k];
}

static void sd__layernorm_ref(sd_model *m, float *out, const float *in, int rows, int c, float eps, const sd__norm *nm)
{
    int r;
    (void)m;
    for (r = 0; r < rows; r++) sd__layernorm_row(out + (size_t)r * c, in + (size_t)r * c, c, eps, nm, 0);
}

/* the same, threaded over rows, the sums side by side */
static void sd__layernorm_fast(sd_model *m, float *out, const float *in, int rows, int c, float eps, const sd__norm *nm)
{
    int r;
    /* (a float counts 16 times: the rows come from products that cut their columns over the
       threads, and one thread alone would read the others' parts from their caches) */
    SD__PARALLEL_FOR_CHUNK(sd__nt(m, 16 * SD__PAR_FLOAT * rows * c), sd__per_task((size_t)c))
    for (r = 0; r < rows; r++) sd__layernorm_row(out + (size_t)r * c, in + (size_t)r * c, c, eps, nm, 1);
}

/* ---------------------------------------------------------------- tokens: [N,C,HW] <-> [N,HW,C] */

/* [N,C,HW] -> [N,HW,C], with the GroupNorm map applied when stats is given */
static void sd__tokens_ref(sd_model *m, float *out, const float *in, int n, int c, int hw, const float *stats)
{
    int b, ch, p;
    (void)m;
    for (b = 0; b < n; b++)
        for (ch = 0; ch < c; ch++)
            for (p = 0; p < hw; p++) {
                float v = in[((size_t)b * c + ch) * hw + p];
                if (stats) v = v * stats[((size_t)b * c + ch) * 2] + stats[((size_t)b * c + ch) * 2 + 1];
                out[((size_t)b * hw + p) * c + ch] = v;
            }
}

/* [N,HW,C] -> [N,C,HW] (+ add [N,C,HW]) */
static void sd__untokens_ref(sd_model *m, float *out, const float *in, int n, int c, int hw, const float *add)
{
    int b, ch, p;
    (void)m;
    for (b = 0; b < n; b++)
        for (ch = 0; ch < c; ch++)
            for (p = 0; p < hw; p++) {
                size_t at = ((size_t)b * c + ch) * hw + p;
                float v = in[((size_t)b * hw + p) * c + ch];
                out[at] = add ? v + add[at] : v;
            }
}

/* one element of an image's transpose: dst[j][i] = src[i][j] (* scale + shift of row i) (+ add[j][i]) */
static inline void sd__transpose_one(float *dst, const float *src, int a, int b, int i, int j, const float *st, const float *ad)
{
    float v = src[(size_t)i * b + j];
    if (st) v = v * st[2 * i] + st[2 * i + 1];
    if (ad) v = v + ad[(size_t)j * a + i];
    dst[(size_t)j * a + i] = v;
}

/* the fast twins: [N,A,B] -> [N,B,A] in 32x32 blocks, threaded, with the GroupNorm map of channel a
   (tokens) or + add (untokens) */
static void sd__transpose_fast(sd_model *m, float *out, const float *in, int n, int a, int b, const float *stats, const float *add)
{
    int nba = (a + 31) / 32, nbb = (b + 31) / 32, t;
    SD__PARALLEL_FOR_CHUNK(sd__nt(m, SD__PAR_FLOAT * n * a * b), sd__per_task(32 * 32))   /* (a few blocks along a row of them) */
    for (t = 0; t < n * nba * nbb; t++) {
        int bi = t / (nba * nbb), i0 = (t / nbb) % nba * 32, j0 = t % nbb * 32, i, j;
        int i1 = i0 + 32 < a ? i0 + 32 : a, j1 = j0 + 32 < b ? j0 + 32 : b;
        const float *src = in + (size_t)bi * a * b;
        float *dst = out + (size_t)bi * a * b;
        const float *ad = add ? add + (size_t)bi * a * b : NULL;
        const float *st = stats ? stats + (size_t)bi * a * 2 : NULL;
        if (a <= b)   /* along the longer side inside: the other side's stride is the shorter one */
            for (i = i0; i < i1; i++) for (j = j0; j < j1; j++) sd__transpose_one(dst, src, a, b, i, j, st, ad);
        else
            for (j = j0; j < j1; j++) for (i = i0; i < i1; i++) sd__transpose_one(dst, src, a, b, i, j, st, ad);
    }
}

static void sd__tokens_fast(sd_model *m, float *out, const float *in, int n, int c, int hw, const float *stats)
{
    sd__transpose_fast(m, out, in, n, c, hw, stats, NULL);
}

static void sd__untokens_fast(sd_model *m, float *out, const float *in, int n, int c, int hw, const float *add)
{
    sd__transpose_fast(m, out, in, n, hw, c, NULL, add);
}

/* ---------------------------------------------------------------- GEGLU */

/* GEGLU (diffusers GEGLU): in [R, 2F] = (value, gate) -> out [R, F] = value * gelu(gate), exact gelu */
static void sd__geglu_ref(sd_model *m, float *out, const float *in, int rows, int f)
{
    int r, k;
    (void)m;
    for (r = 0; r < rows; r++)
        for (k = 0; k < f; k++) {
            double g = in[(size_t)r * 2 * f + f + k];
            float gelu = (float)(0.5 * g * (1.0 + erf(g * 0.7071067811865476)));
            out[(size_t)r * f + k] = in[(size_t)r * 2 * f + k] * gelu;
        }
}

/* the same with the fast erf, threaded over rows */
static void sd__geglu_fast(sd_model *m, float *out, const float *in, int rows, int f)
{
    int r;
    SD__PARALLEL_FOR_CHUNK(sd__nt(m, 2 * SD__PAR_FLOAT * rows * f), sd__per_task(3 * (size_t)f))
    for (r = 0; r < rows; r++) {
        const float *x = in + (size_t)r * 2 * f, *gt = x + f;
        float *y = out + (size_t)r * f;
        int k;
        for (k = 0; k < f; k++) y[k] = x[k] * sd__gelu_fast(gt[k]);
    }
}

/* diffusers' GEGLU module, its projection included: out [R, F] = GEGLU(in [R, C] x W^T), W [2F, C].
   The reference: the linear layer into ws [R, 2F], then GEGLU */
static void sd__linear_geglu_ref(sd_model *m, float *out, const float *in, int rows, int c, const sd__lin *l, float *ws)
{
    sd__linear_ref(m, ws, in, rows, c, l, NULL, SD__ACT_NONE, NULL);
    sd__geglu_ref(m, out, ws, rows, (int)l->w->shape[0] / 2);
}

/* the fast twin: GEGLU in the product's epilogue, while a tile's values and gates are in cache (the
   [R, 2F] projection is never written); where F is not whole panels, the product then GEGLU */
static void sd__linear_geglu_fast(sd_model *m, float *out, const float *in, int rows, int c, const sd__lin *l, float *ws)
{
    int f = (int)l->w->shape[0] / 2;
    sd__mm g;
    if (f % SD__NR) {
        float *t = ws + (size_t)m->n_threads * SD__MM_WS;
        sd__linear_fast(m, t, in, rows, c, l, NULL, SD__ACT_NONE, ws);
        sd__geglu_fast(m, out, t, rows, f);
        return;
    }
    memset(&g, 0, sizeof g);
    g.M = rows; g.N = 2 * f; g.K = c;
    g.af = in; g.a_rs = c; g.a_cs = 1;
    g.bw = l->w;
    g.c = out; g.ldc = f;
    g.bias_n = l->b; g.glu = f;
    g.bf16 = m->cfg.bf16 != 0;
    g.wr = sd__wread_pending(m, l->w);
    sd__mm_run(m, &g, ws);
}

static size_t sd__linear_geglu_ws_ref(const sd_model *m, int rows, int f) { (void)m; return (size_t)rows * 2 * f; }
static size_t sd__linear_geglu_ws_fast(const sd_model *m, int rows, int f)
{
    return (size_t)m->n_threads * SD__MM_WS + (f % SD__NR ? (size_t)rows * 2 * f : 0);
}

/* ---------------------------------------------------------------- elementwise */

/* out = act(in): SiLU, quick_gelu x*sigmoid(1.702x) or the exact GELU */
static void sd__act_ref(sd_model *m, float *out, const float *in, size_t n, sd__act kind)
{
    size_t i;
    (void)m;
    for (i = 0; i < n; i++)
        out[i] = kind == SD__ACT_SILU ? sd__silu(in[i]) : kind == SD__ACT_QUICK_GELU ? in[i] / (1.0f + expf(-1.702f * in[i]))
               : kind == SD__ACT_GELU ? 0.5f * in[i] * (1.0f + erff(in[i] * 0.70710678118654752f))
               : kind == SD__ACT_RELU ? (in[i] > 0.0f ? in[i] : 0.0f) : in[i];
}

/* the same in blocks of 4096, threaded */
static void sd__act_fast(sd_model *m, float *out, const float *in, size_t n, sd__act kind)
{
    int t, nb = (int)((n + 4095) / 4096);
    SD__PARALLEL_FOR(sd__nt(m, SD__PAR_FLOAT * (double)n))
    for (t = 0; t < nb; t++) {
        size_t i0 = (size_t)t * 4096;
        sd__act_apply(out + i0, in + i0, n - i0 < 4096 ? n - i0 : 4096, kind);
    }
}

/* x[b,c,:] += e[b,c] (the time embedding into a ResBlock) */
static void sd__add_chan_ref(sd_model *m, float *x, const float *e, int n, int c, int hw)
{
    int b, ch, p;
    (void)m;
    for (b = 0; b < n; b++)
        for (ch = 0; ch < c; ch++)
            for (p = 0; p < hw; p++) x[((size_t)b * c + ch) * hw + p] += e[(size_t)b * c + ch];
}

/* the same, threaded over (image, channel) */
static void sd__add_chan_fast(sd_model *m, float *x, const float *e, int n, int c, int hw)
{
    int t;
    SD__PARALLEL_FOR_CHUNK(sd__nt(m, SD__PAR_FLOAT * n * c * hw), sd__per_task((size_t)hw))
    for (t = 0; t < n * c; t++) {
        float *p = x + (size_t)t * hw, v = e[t];
        int i;
        for (i = 0; i < hw; i++) p[i] += v;
    }
}

/* torch.cat([a, b], dim=1): a [N,Ca,HW], b [N,Cb,HW] -> out [N,Ca+Cb,HW] */
static void sd__concat_ref(sd_model *m, float *out, const float *a, int ca, const float *b, int cb, int n, int hw)
{
    int i;
    (void)m;
    for (i = 0; i < n; i++) {
        memcpy(out + (size_t)i * (ca + cb) * hw, a + (size_t)i * ca * hw, (size_t)ca * hw * sizeof(float));
        memcpy(out + ((size_t)i * (ca + cb) + ca) * hw, b + (size_t)i * cb * hw, (size_t)cb * hw * sizeof(float));
    }
}

/* the same, threaded over channel planes */
static void sd__concat_fast(sd_model *m, float *out, const float *a, int ca, const float *b, int cb, int n, int hw)
{
    int t;
    SD__PARALLEL_FOR_CHUNK(sd__nt(m, SD__PAR_FLOAT * n * (ca + cb) * hw), sd__per_task((size_t)hw))
    for (t = 0; t < n * (ca + cb); t++) {
        int i = t / (ca + cb), c = t % (ca + cb);
        const float *src = c < ca ? a + ((size_t)i * ca + c) * hw : b + ((size_t)i * cb + c - ca) * hw;
        memcpy(out + (size_t)t * hw, src, (size_t)hw * sizeof(float));
    }
}

/* ---------------------------------------------------------------- kernel sets
   An implementation of every operation: the references, their fast twins, or the GPU's. A model
   runs one set (sd__kernels_pick); the sd__op_* functions below call through it. */

struct sd__kernels {
    void (*conv)(sd_model *m, float *out, const float *in, const sd__conv *g, const sd__lin *l, const float *add,
                 const float *stats, sd__act act, float *ws);
    void (*linear)(sd_model *m, float *out, const float *in, int rows, int c, const sd__lin *l, const float *add, sd__act act, float *ws);
    void (*attention)(sd_model *m, float *out, const float *q, const float *k, const float *v, int n, int heads,
                      int tq, int tk, int d, sd__mask mask, float *ws);
    void (*gn_stats)(sd_model *m, float *stats, const float *in, int n, int c, int hw, int groups, float eps, const sd__norm *nm);
    void (*layernorm)(sd_model *m, float *out, const float *in, int rows, int c, float eps, const sd__norm *nm);
    void (*tokens)(sd_model *m, float *out, const float *in, int n, int c, int hw, const float *stats);
    void (*untokens)(sd_model *m, float *out, const float *in, int n, int c, int hw, const float *add);
    void (*geglu)(sd_model *m, float *out, const float *in, int rows, int f);
    void (*linear_geglu)(sd_model *m, float *out, const float *in, int rows, int c, const sd__lin *l, float *ws);
    void (*act)(sd_model *m, float *out, const float *in, size_t n, sd__act kind);
    void (*add_chan)(sd_model *m, float *x, const float *e, int n, int c, int hw);
    void (*concat)(sd_model *m, float *out, const float *a, int ca, const float *b, int cb, int n, int hw);
    /* the scratch (floats) that conv, linear and attention take as ws */
    size_t (*conv_ws)(const sd_model *m, const sd__conv *g, sd__act act);
    size_t (*linear_ws)(const sd_model *m);
    size_t (*attention_ws)(const sd_model *m, int n, int heads, int tk, int d, sd__mask mask);
    size_t (*linear_geglu_ws)(const sd_model *m, int rows, int f);
    int reads_b;   /* linear and linear_geglu read a weight still in its file themselves (sd__wread) */
};

static const sd__kernels sd__kernels_ref = {
    sd__conv2d_ref, sd__linear_ref, sd__attention_ref, sd__gn_stats_ref, sd__layernorm_ref, sd__tokens_ref,
    sd__untokens_ref, sd__geglu_ref, sd__linear_geglu_ref, sd__act_ref, sd__add_chan_ref, sd__concat_ref,
    sd__conv2d_ws_ref, sd__linear_ws_ref, sd__attention_ws_ref, sd__linear_geglu_ws_ref, 0
};

static const sd__kernels sd__kernels_fast = {
    sd__conv2d_fast, sd__linear_fast, sd__attention_fast, sd__gn_stats_fast, sd__layernorm_fast, sd__tokens_fast,
    sd__untokens_fast, sd__geglu_fast, sd__linear_geglu_fast, sd__act_fast, sd__add_chan_fast, sd__concat_fast,
    sd__conv2d_ws_fast, sd__linear_ws_fast, sd__attention_ws_fast, sd__linear_geglu_ws_fast, 1
};

#if SD__HAVE_GPU
/* The GPU's set (sd_cuda.cu): each operation on device memory, with the reference's semantics.
   Weights are uploaded when first used and kept there; 1-D parameters live in params_dev. */
static const void *sd__gpu_weight(sd_model *m, const sd__tensor *t)
{
    static const int code[SD__NDTYPE] = { 0, 1, 2 };
    if (!t->dev) {
        const unsigned char *b = sd__acquire(m, t);
        if (!b || t->dtype > SD__BF16) { m->io_failed = 1; return NULL; }
        ((sd__tensor *)(size_t)t)->dev = sd__cuda_weight(m->gpu, b, code[t->dtype], (size_t)t->numel);
        sd__unacquire(m, t);
        sd__weights_done(m, t);
    }
    return t->dev;
}

static const float *sd__gpu_vec(const sd_model *m, const float *p) { return p ? m->params_dev + (p - m->params) : NULL; }

static void sd__conv2d_gpu(sd_model *m, float *out, const float *in, const sd__conv *g, const sd__lin *l, const float *add,
                           const float *stats, sd__act act, float *ws)
{
    (void)ws;
    sd__cuda_conv2d(m->gpu, out, in, g->n, g->c, g->h, g->w, g->up_h, g->up_w, g->co, g->k, g->stride, g->pad_t, g->pad_l,
                    g->ho, g->wo, sd__gpu_weight(m, l->w), sd__gpu_vec(m, l->b), add, stats, act == SD__ACT_SILU);
}
static void sd__act_gpu(sd_model *m, float *out, const float *in, size_t n, sd__act kind)
{
    sd__cuda_act(m->gpu, out, in, n, kind == SD__ACT_SILU ? 0 : kind == SD__ACT_QUICK_GELU ? 1 : kind == SD__ACT_GELU ? 2 : 3);
}
static void sd__linear_gpu(sd_model *m, float *out, const float *in, int rows, int c, const sd__lin *l, const float *add, sd__act act, float *ws)
{
    (void)ws;
    sd__cuda_linear(m->gpu, out, in, rows, c, (int)l->w->shape[0], sd__gpu_weight(m, l->w), sd__gpu_vec(m, l->b), add);
    if (act) sd__act_gpu(m, out, out, (size_t)rows * l->w->shape[0], act);
}
static void sd__attention_gpu(sd_model *m, float *out, const float *q, const float *k, const float *v, int n, int heads,
                              int tq, int tk, int d, sd__mask mask, float *ws)
{
    (void)ws;
    sd__cuda_attention(m->gpu, out, q, k, v, n, heads, tq, tk, d, mask == SD__MASK_CAUSAL);
}
static void sd__gn_stats_gpu(sd_model *m, float *stats, const float *in, int n, int c, int hw, int groups, float eps, const sd__norm *nm)
{
    sd__cuda_gn_stats(m->gpu, stats, in, n, c, hw, groups, eps, sd__gpu_vec(m, nm->w), sd__gpu_vec(m, nm->b));
}
static void sd__layernorm_gpu(sd_model *m, float *out, const float *in, int rows, int c, float eps, const sd__norm *nm)
{
    sd__cuda_layernorm(m->gpu, out, in, rows, c, eps, sd__gpu_vec(m, nm->w), sd__gpu_vec(m, nm->b));
}
static void sd__tokens_gpu(sd_model *m, float *out, const float *in, int n, int c, int hw, const float *stats)
{
    sd__cuda_transpose(m->gpu, out, in, n, c, hw, stats, NULL);
}
static void sd__untokens_gpu(sd_model *m, float *out, const float *in, int n, int c, int hw, const float *add)
{
    sd__cuda_transpose(m->gpu, out, in, n, hw, c, NULL, add);
}
static void sd__geglu_gpu(sd_model *m, float *out, const float *in, int rows, int f) { sd__cuda_geglu(m->gpu, out, in, rows, f); }
static void sd__linear_geglu_gpu(sd_model *m, float *out, const float *in, int rows, int c, const sd__lin *l, float *ws)
{
    sd__linear_gpu(m, ws, in, rows, c, l, NULL, SD__ACT_NONE, NULL);
    sd__geglu_gpu(m, out, ws, rows, (int)l->w->shape[0] / 2);
}
static void sd__add_chan_gpu(sd_model *m, float *x, const float *e, int n, int c, int hw) { sd__cuda_add_chan(m->gpu, x, e, n, c, hw); }
static void sd__concat_gpu(sd_model *m, float *out, const float *a, int ca, const float *b, int cb, int n, int hw)
{
    sd__cuda_concat(m->gpu, out, a, ca, b, cb, n, hw);
}
static size_t sd__attention_ws_gpu(const sd_model *m, int n, int heads, int tk, int d, sd__mask mask)
{
    (void)m; (void)n; (void)heads; (void)tk; (void)d; (void)mask;
    return 0;
}

static const sd__kernels sd__kernels_gpu = {
    sd__conv2d_gpu, sd__linear_gpu, sd__attention_gpu, sd__gn_stats_gpu, sd__layernorm_gpu, sd__tokens_gpu,
    sd__untokens_gpu, sd__geglu_gpu, sd__linear_geglu_gpu, sd__act_gpu, sd__add_chan_gpu, sd__concat_gpu,
    sd__conv2d_ws_ref, sd__linear_ws_ref, sd__attention_ws_gpu, sd__linear_geglu_ws_ref, 0
};
#define SD__KERNELS_GPU (&sd__kernels_gpu)
#else
#define SD__KERNELS_GPU (&sd__kernels_fast)   /* never picked: m->gpu is NULL without sd_cuda.cu */
#endif

static const sd__kernels *sd__kernels_pick(const sd_model *m)
{
    return m->gpu ? SD__KERNELS_GPU : m->cfg.reference ? &sd__kernels_ref : &sd__kernels_fast;
}

/* ---------------------------------------------------------------- the operations
   What the model code calls. Each runs the model's kernel set, with its scratch from the arena
   and the weights at hand; in the planning pass it only counts (scratch, FLOPs). */

/* A big tensor of a mapped checkpoint is copied into the arena for its layer with read(): pages of
   the mapping handed back after use (sd__weights_done) fault in one at a time when touched again,
   which costs far more than the copy (on a 2-core VM, 1.6 GB: 1.5 s of faults, 0.2 s of reads).
   The floats of arena the copy takes, 0 where the mapping is read in place. */
static size_t sd__wcopy_floats(const sd_model *m, const sd__tensor *w)
{
#if SD__MMAP
    if (!m->gpu && m->src[w->src].n_fd && w->data && w->data == sd__in_file(m, w) && w->end - w->begin >= m->wcopy_min)
        return (size_t)((w->end - w->begin + 3) / 4);
#endif
    (void)m; (void)w;
    return 0;
}

/* a layer's weights: in memory (streamed, copied into buf, or on the GPU) while its kernel runs,
   handed back after. A copy is read at once, or (defer: a product whose kernels read B's rows in
   their tasks, and a file descriptor for each thread) left pending for the product (m->wread) */
static int sd__weights_begin(sd_model *m, const sd__tensor *w, void *buf, int defer)
{
#if SD__MMAP
    if (buf) {   /* (buf: sd__wcopy_floats floats) */
        const sd__source *s = &m->src[w->src];
        sd__wread *r = &m->wread;
        memset(r, 0, sizeof *r);
        r->w = w; r->fd = s->fd; r->n_fd = s->n_fd; r->at = s->data_at + w->begin; r->map = sd__in_file(m, w);
        r->buf = (unsigned char *)buf; r->min_parts = 4 * m->wcopy_min;   /* (1 MB and up) */
        ((sd__tensor *)(size_t)w)->data = r->buf;   /* the table is the model's own */
        r->pending = defer && m->kern->reads_b && m->n_threads <= s->n_fd;
        if (!r->pending) sd__wread_all(r);
        return 1;
    }
#endif
    (void)buf; (void)defer;
    return m->gpu || sd__acquire(m, w) != NULL;
}
static void sd__weights_end(sd_model *m, const sd__tensor *w, const void *buf)
{
    if (m->gpu) return;
    if (buf && w->data == buf) {   /* a copy: the mapping was not touched (but where a read failed) */
        sd__wread *r = &m->wread;
        int i, fell = 0;
        ((sd__tensor *)(size_t)w)->data = sd__in_file(m, w);
        for (i = 0; i < r->n_fd; i++) fell |= r->fell[i];
        if (fell) sd__weights_done(m, w);
        memset(r, 0, sizeof *r);
        return;
    }
    sd__weights_done(m, w);
    sd__unacquire(m, w);
}

/* A layer with LoRAs beside it (sd__lora_side) adds them after its own product: the input through
   down (a layer of W's geometry with R outputs, [N,R,Ho,Wo] or [rows,R]), then through up onto out */
static void sd__op_conv(sd_model *m, float *out, const float *in, sd__conv g, const sd__lin *l,
                        const float *add, const float *stats, sd__act act)
{
    size_t mark = sd__mark(m), nw = sd__wcopy_floats(m, l->w);
    float *ws = sd__push(m, m->kern->conv_ws(m, &g, act)), *wb = nw ? sd__push(m, nw) : NULL;
    if (m->planning) m->flops += 2.0 * g.n * g.co * g.ho * g.wo * (double)g.c * g.k * g.k;
    else if (sd__weights_begin(m, l->w, wb, 0)) {
        m->kern->conv(m, out, in, &g, l, add, stats, act, ws);
        sd__weights_end(m, l->w, wb);
    }
    sd__release(m, mark);
    if (l->w->side) {
        const sd__lora_side *s = l->w->side;
        int R = (int)s->down.shape[0];
        sd__lin down, up;
        sd__conv gd = g;
        float *t = sd__push(m, (size_t)g.n * R * g.ho * g.wo);
        down.w = &s->down; up.w = &s->up; down.b = up.b = NULL;
        gd.co = R;
        sd__op_conv(m, t, in, gd, &down, NULL, stats, act);
        sd__op_conv(m, out, t, sd__conv_same(g.n, R, g.ho, g.wo, g.co, 1), &up, out, NULL, SD__ACT_NONE);
        sd__release(m, mark);
    }
}

static void sd__op_geglu(sd_model *m, float *out, const float *in, int rows, int f)
{
    if (!m->planning) m->kern->geglu(m, out, in, rows, f);
}

/* the linear layer l on rows of in (+ add), then the activation act; with geglu, GEGLU of it,
   diffusers' GEGLU module with its projection (l's 2F outputs -> out [rows, F], no add), in one pass
   where the kernels can; a LoRA beside l adds to the projection before the gate (or the activation),
   so with one the two steps run apart */
static void sd__op_product(sd_model *m, float *out, const float *in, int rows, int c, const sd__lin *l, const float *add, int geglu, sd__act act)
{
    int co = (int)l->w->shape[0];
    size_t mark = sd__mark(m), nw;
    float *ws, *wb;
    if (geglu && l->w->side) {
        float *t = sd__push(m, (size_t)rows * co);
        sd__op_product(m, t, in, rows, c, l, NULL, 0, SD__ACT_NONE);
        sd__op_geglu(m, out, t, rows, co / 2);
        sd__release(m, mark);
        return;
    }
    if (act && l->w->side) {   /* (the activation after the LoRAs' sums) */
        sd__op_product(m, out, in, rows, c, l, add, 0, SD__ACT_NONE);
        if (!m->planning) m->kern->act(m, out, out, (size_t)rows * co, act);
        return;
    }
    nw = sd__wcopy_floats(m, l->w);
    ws = sd__push(m, geglu ? m->kern->linear_geglu_ws(m, rows, co / 2) : m->kern->linear_ws(m));
    wb = nw ? sd__push(m, nw) : NULL;
    if (m->planning) m->flops += 2.0 * rows * (double)c * co;
    else if (sd__weights_begin(m, l->w, wb, 1)) {
        if (geglu) m->kern->linear_geglu(m, out, in, rows, c, l, ws);
        else m->kern->linear(m, out, in, rows, c, l, add, act, ws);
        sd__weights_end(m, l->w, wb);
    }
    sd__release(m, mark);
    if (l->w->side) {
        const sd__lora_side *s = l->w->side;
        int R = (int)s->down.shape[0];
        sd__lin down, up;
        float *t = sd__push(m, (size_t)rows * R);
        down.w = &s->down; up.w = &s->up; down.b = up.b = NULL;
        sd__op_product(m, t, in, rows, c, &down, NULL, 0, SD__ACT_NONE);
        sd__op_product(m, out, t, rows, R, &up, out, 0, SD__ACT_NONE);
        sd__release(m, mark);
    }
}
static void sd__op_linear(sd_model *m, float *out, const float *in, int rows, int c, const sd__lin *l, const float *add)
{
    sd__op_product(m, out, in, rows, c, l, add, 0, SD__ACT_NONE);
}
static void sd__op_linear_act(sd_model *m, float *out, const float *in, int rows, int c, const sd__lin *l, sd__act act)
{
    sd__op_product(m, out, in, rows, c, l, NULL, 0, act);
}
static void sd__op_linear_geglu(sd_model *m, float *out, const float *in, int rows, int c, const sd__lin *l)
{
    sd__op_product(m, out, in, rows, c, l, NULL, 1, SD__ACT_NONE);
}

static void sd__op_attention(sd_model *m, float *out, const float *q, const float *k, const float *v, int n, int heads,
                             int tq, int tk, int d, sd__mask mask)
{
    size_t mark = sd__mark(m);
    float *ws = sd__push(m, m->kern->attention_ws(m, n, heads, tk, d, mask));
    SD_ASSERT(mask != SD__MASK_CAUSAL || tq == tk);   /* a causal mask relates each token to the ones before it */
    if (m->planning) m->flops += 4.0 * n * heads * (double)tq * tk * d;
    else m->kern->attention(m, out, q, k, v, n, heads, tq, tk, d, mask, ws);
    sd__release(m, mark);
}

/* GroupNorm(32) statistics; LayerNorm (eps 1e-5) */
static void sd__op_gn_stats(sd_model *m, float *stats, const float *in, int n, int c, int hw, float eps, const sd__norm *nm)
{
    if (!m->planning) m->kern->gn_stats(m, stats, in, n, c, hw, 32, eps, nm);
}
static void sd__op_layernorm(sd_model *m, float *out, const float *in, int rows, int c, const sd__norm *nm)
{
    if (!m->planning) m->kern->layernorm(m, out, in, rows, c, 1e-5f, nm);
}
static void sd__op_tokens(sd_model *m, float *out, const float *in, int n, int c, int hw, const float *stats)
{
    if (!m->planning) m->kern->tokens(m, out, in, n, c, hw, stats);
}
static void sd__op_untokens(sd_model *m, float *out, const float *in, int n, int c, int hw, const float *add)
{
    if (!m->planning) m->kern->untokens(m, out, in, n, c, hw, add);
}
static void sd__op_act(sd_model *m, float *out, const float *in, size_t n, sd__act kind)
{
    if (!m->planning) m->kern->act(m, out, in, n, kind);
}
static void sd__op_add_chan(sd_model *m, float *x, const float *e, int n, int c, int hw)
{
    if (!m->planning) m->kern->add_chan(m, x, e, n, c, hw);
}
static void sd__op_concat(sd_model *m, float *out, const float *a, int ca, const float *b, int cb, int n, int hw)
{
    if (!m->planning) m->kern->concat(m, out, a, ca, b, cb, n, hw);
}
/* [1,C,HW] copied (a concat with nothing after it: the kernel sets' copy, on the CPU or the GPU) */
static void sd__op_copy(sd_model *m, float *out, const float *a, int c, int hw)
{
    sd__op_concat(m, out, a, c, a, 0, 1, hw);
}

/* a 1x1 convolution in place: x [1,C,HW] -> its first Co channels [1,Co,HW] (Co <= C). Blocks of
   pixels are gathered into scratch and their outputs written back over the channels they were read
   from, so the output takes no buffer of its own (the VAE decoder's skips at full size: 134 MB at
   512x512). The same products and sums as an ordinary 1x1 convolution, the same bits. On the GPU
   through a buffer of the output's size. */
#define SD__INPLACE_PIX 4096
static void sd__op_conv1x1_inplace(sd_model *m, float *x, int c, int hw, int co, const sd__lin *l)
{
    size_t mark = sd__mark(m);
    if (m->gpu) {
        float *t = sd__push(m, (size_t)co * hw);
        sd__op_conv(m, t, x, sd__conv_same(1, c, 1, hw, co, 1), l, NULL, NULL, SD__ACT_NONE);
        sd__op_copy(m, x, t, co, hw);
    } else {
        int P = hw < SD__INPLACE_PIX ? hw : SD__INPLACE_PIX, p0, i;
        float *a = sd__push(m, (size_t)c * P), *b = sd__push(m, (size_t)co * P);
        for (p0 = 0; p0 < hw; p0 += P) {
            int np = hw - p0 < P ? hw - p0 : P;
            if (!m->planning) {
                SD__PARALLEL_FOR(sd__nt(m, SD__PAR_FLOAT * c * np))
                for (i = 0; i < c; i++) memcpy(a + (size_t)i * np, x + (size_t)i * hw + p0, (size_t)np * sizeof(float));
            }
            sd__op_conv(m, b, a, sd__conv_same(1, c, 1, np, co, 1), l, NULL, NULL, SD__ACT_NONE);
            if (!m->planning) {
                SD__PARALLEL_FOR(sd__nt(m, SD__PAR_FLOAT * co * np))
                for (i = 0; i < co; i++) memcpy(x + (size_t)i * hw + p0, b + (size_t)i * np, (size_t)np * sizeof(float));
            }
        }
    }
    sd__release(m, mark);
}

/* the caller's memory -> activation memory, and back (the same memory on the CPU) */
static void sd__op_upload(sd_model *m, float *dst, const float *host, size_t n)
{
    if (m->planning) return;
    if (m->gpu) sd__cuda_upload(m->gpu, dst, host, n * sizeof(float));
    else memcpy(dst, host, n * sizeof(float));
}

static void sd__op_download(sd_model *m, float *host, const float *src, size_t n)
{
    if (m->planning) return;
    if (m->gpu) sd__cuda_download(m->gpu, host, src, n * sizeof(float));
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

enum { SD__LAYOUT_LDM, SD__LAYOUT_UNET, SD__LAYOUT_VAE, SD__LAYOUT_LDM_VAE, SD__LAYOUT_TEXT,
       SD__LAYOUT_TEXT_XL0, SD__LAYOUT_TEXT_XL1 };   /* (an SDXL folder's text_encoder, text_encoder_2) */

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
    case SD__LAYOUT_TEXT_XL0:
    case SD__LAYOUT_TEXT_XL1:
        o += sprintf(o, "conditioner.embedders.%d.transformer.", layout == SD__LAYOUT_TEXT_XL1);
        break;
    case SD__LAYOUT_LDM_VAE:
        o += sprintf(o, "first_stage_model.");
        break;
    case SD__LAYOUT_UNET:
        o += sprintf(o, "model.diffusion_model.");
        if (sd__swap(&r, "time_embedding.linear_1.", &o, "time_embed.0.") || sd__swap(&r, "time_embedding.linear_2.", &o, "time_embed.2.") ||
            sd__swap(&r, "conv_in.", &o, "input_blocks.0.0.") || sd__swap(&r, "conv_norm_out.", &o, "out.0.") ||
            sd__swap(&r, "conv_out.", &o, "out.2.") || sd__swap(&r, "add_embedding.linear_1.", &o, "label_emb.0.0.") ||
            sd__swap(&r, "add_embedding.linear_2.", &o, "label_emb.0.2.")) break;
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
    int i, layout = SD__LAYOUT_LDM, ldm = 0, proj = 0;
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
        if (!strcmp(n, "text_projection.weight")) proj = 1;
        if (!strncmp(n, "down_blocks.0.resnets.", 22)) { p = n + 22; a = sd__num(&p); if (a + 1 > *R) *R = a + 1; }
        if (!strncmp(n, "decoder.up_blocks.", 18)) { p = n + 18; a = sd__num(&p); if (a + 1 > *L) *L = a + 1; }
        if (!strncmp(n, "up_blocks.", 10)) {
            p = n + 10;
            a = sd__num(&p);
            if (a >= 0 && a < 16 && !strncmp(p, "attentions.", 11)) up_attn[a] = 1;
        }
    }
    if (layout == SD__LAYOUT_TEXT && m->folder_xl) layout = proj ? SD__LAYOUT_TEXT_XL1 : SD__LAYOUT_TEXT_XL0;
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
static sd_result sd__parse(sd_model *m, sd__source *src, int si, const unsigned char *b, sd__tensor **tab, int *ntab, int rename)
{
    size_t size = src->size, data_size, i;
    uint64_t hlen;
    sd__json j;
    sd_result r;
    int cap = *ntab, first = *ntab, *order = NULL;
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
            if (*ntab == cap) {
                int nc = cap ? cap * 2 : 256;
                sd__tensor *nt = (sd__tensor *)sd__calloc(m, (size_t)nc, sizeof *nt);
                if (!nt) return sd__fail(m, SD_ERR_NOMEM, "out of memory for the tensor table");
                if (*tab) memcpy(nt, *tab, (size_t)*ntab * sizeof *nt);
                sd__free(m, *tab);
                *tab = nt; cap = nc;
            }
            t = &(*tab)[(*ntab)++];
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
    for (i = (size_t)first; i < (size_t)*ntab; i++) {
        sd__tensor *t = &(*tab)[i];
        size_t n = 1, bytes;
        int d;
        for (d = 0; d < t->ndim; d++)   /* (a 32-bit size_t must not truncate a dimension) */
            if ((uint64_t)t->shape[d] > (uint64_t)(size_t)-1 || !sd__mul_ok(n, (size_t)t->shape[d], &n))
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
    if (*ntab - first > 1) {
        qsort(*tab + first, (size_t)(*ntab - first), sizeof **tab, sd__tcmp_name);
        for (i = (size_t)first + 1; i < (size_t)*ntab; i++)
            if (strcmp((*tab)[i - 1].name, (*tab)[i].name) == 0)
                return sd__fail(m, SD_ERR_FORMAT, "duplicate tensor name '%s'", (*tab)[i].name);
    }
    /* no two tensors share bytes: sort an index by offset and compare neighbours */
    if (*ntab - first > 1) {
        size_t n = (size_t)(*ntab - first), k;
        order = (int *)sd__calloc(m, n, sizeof *order);
        if (!order) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
        for (k = 0; k < n; k++) order[k] = first + (int)k;
        for (k = n / 2; k-- > 0;) {   /* heap sort on begin */
            size_t p = k;
            for (;;) {
                size_t c = 2 * p + 1; int tmp;
                if (c >= n) break;
                if (c + 1 < n && (*tab)[order[c + 1]].begin > (*tab)[order[c]].begin) c++;
                if ((*tab)[order[p]].begin >= (*tab)[order[c]].begin) break;
                tmp = order[p]; order[p] = order[c]; order[c] = tmp; p = c;
            }
        }
        for (k = n; k-- > 1;) {
            size_t p = 0; int tmp = order[0]; order[0] = order[k]; order[k] = tmp;
            for (;;) {
                size_t c = 2 * p + 1;
                if (c >= k) break;
                if (c + 1 < k && (*tab)[order[c + 1]].begin > (*tab)[order[c]].begin) c++;
                if ((*tab)[order[p]].begin >= (*tab)[order[c]].begin) break;
                tmp = order[p]; order[p] = order[c]; order[c] = tmp; p = c;
            }
        }
        for (k = 1; k < n; k++) {
            const sd__tensor *a = &(*tab)[order[k - 1]], *c = &(*tab)[order[k]];
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
        int R = 0, L = 0, up_attn[16], layout = rename ? sd__layout(m, first, *ntab, &R, &L, up_attn) : SD__LAYOUT_LDM;
        if (layout != SD__LAYOUT_LDM)
            for (i = (size_t)first; i < (size_t)*ntab; i++) {
                char name[512], *copy;
                if (!sd__ldm_name(name, sizeof name, (*tab)[i].name, layout, R ? R : 2, L ? L : 4, up_attn))
                    return sd__fail(m, SD_ERR_FORMAT, "tensor name too long: '%.64s...'", (*tab)[i].name);
                copy = (char *)sd__malloc(m, strlen(name) + 1);
                if (!copy) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
                strcpy(copy, name);
                (*tab)[i].name = copy;
                (*tab)[i].owned_name = 1;
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
        sd__cuda_free(m->gpu, m->params_dev);
        m->params_dev = (float *)sd__cuda_malloc(m->gpu, (m->n_params ? m->n_params : 1) * sizeof(float));
        if (!m->params_dev) return sd__fail(m, SD_ERR_NOMEM, "GPU: out of memory for the parameters");
        sd__cuda_upload(m->gpu, m->params_dev, m->params, m->n_params * sizeof(float));
        for (i = 0; i < m->nt; i++) if (m->t[i].dev) { sd__cuda_free(m->gpu, m->t[i].dev); m->t[i].dev = NULL; }
    }
    return sd__build(m);
}

/* forgets everything loaded */
static void sd__source_close(sd_model *m, sd__source *s)
{
    sd__free(m, s->header);
#if SD__MMAP
    if (s->mapped) munmap((void *)(size_t)s->bytes, s->size);
    while (s->n_fd > 0) close(s->fd[--s->n_fd]);
#endif
    sd__free(m, s->file);
#ifndef SD_NO_STDIO
    if (s->fp) fclose(s->fp);
#endif
    memset(s, 0, sizeof *s);
}

static void sd__lora_side_free(sd_model *m, sd__lora_side *s);

static void sd__unload(sd_model *m)
{
    int i;
    sd__build_free(m);
    sd__free(m, m->params); m->params = NULL;
    if (m->gpu) {
        sd__cuda_free(m->gpu, m->params_dev);
        for (i = 0; i < m->nt; i++) if (m->t[i].dev) sd__cuda_free(m->gpu, m->t[i].dev);
    }
    m->params_dev = NULL;
    for (i = 0; i < m->nt; i++) { if (m->t[i].owned_name) sd__free(m, m->t[i].name); sd__free(m, m->t[i].lora); sd__lora_side_free(m, m->t[i].side); }
    sd__free(m, m->t); m->t = NULL; m->nt = 0;
    m->n_lora = 0;
    for (i = 0; i < m->nsrc; i++) sd__source_close(m, &m->src[i]);
    m->nsrc = 0;
    sd__free(m, m->wbuf); m->wbuf = NULL;
    m->io_failed = 0;
    m->folder_gelu = m->folder_pad = m->folder_pred = m->folder_xl = 0;
}

/* one more file, in the caller's memory: its table */
static sd_result sd__add_memory(sd_model *m, const void *data, size_t size)
{
    sd__source *s;
    if (m->nsrc == SD__MAXSRC) return sd__fail(m, SD_ERR_ARG, "too many files for one model");
    s = &m->src[m->nsrc++];
    s->bytes = (const unsigned char *)data;
    s->size = size;
    return sd__parse(m, s, m->nsrc - 1, s->bytes, &m->t, &m->nt, 1);
}

SDDEF sd_result sd_load_memory(sd_model *m, const void *data, size_t size)
{
    sd_result r;
    sd__unload(m);
    m->err[0] = 0;
    r = sd__add_memory(m, data, size);
    if (r == SD_OK) r = sd__finish(m);
    if (r != SD_OK) sd__unload(m);
    return r;
}

/* a separate VAE's table was read (r), from tensors nt on: it must hold VAE tensors, which replace
   the model's own; on failure the whole model is unloaded */
static sd_result sd__vae_added(sd_model *m, sd_result r, int nt, const char *what)
{
    if (r == SD_OK) {
        int i, vae = 0;
        for (i = nt; i < m->nt; i++) if (!strncmp(m->t[i].name, "first_stage_model.", 18)) vae++;
        if (!vae) r = sd__fail(m, SD_ERR_MODEL, "%s: no VAE tensors in this file", what);
    }
    if (r == SD_OK) r = sd__finish(m);
    if (r != SD_OK) {
        r = sd__wrap(m, r, NULL, " (the model is unloaded)");
        sd__unload(m);
    }
    return r;
}

SDDEF sd_result sd_load_vae_memory(sd_model *m, const void *data, size_t size)
{
    int nt = m->nt;
    m->err[0] = 0;
    if (m->nsrc == 0) return sd__fail(m, SD_ERR_STATE, "load the model before its VAE");
    return sd__vae_added(m, sd__add_memory(m, data, size), nt, "the VAE");
}

#ifndef SD_NO_STDIO
/* low memory without a mapping: read the header, keep the file open, read each tensor when used */
static sd_result sd__open_stream(sd_model *m, sd__source *s, const char *path, unsigned char **head)
{
    long n;
    size_t have;
    *head = NULL;
    s->fp = fopen(path, "rb");
    if (!s->fp) return sd__fail(m, SD_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
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
        if (fd < 0) return sd__fail(m, SD_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { close(fd); return sd__fail(m, SD_ERR_IO, "'%s' is not a regular file", path); }
        if ((uint64_t)st.st_size > (uint64_t)(SIZE_MAX / 2)) {   /* 32-bit with a 64-bit off_t */
            close(fd);
            return sd__fail(m, SD_ERR_NOMEM, "'%s': %.1f GB is more than a %d-bit program can map", path, (double)st.st_size / 1e9, (int)sizeof(size_t) * 8);
        }
        if (st.st_size > 0) {
            void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p != MAP_FAILED) {
                long ps = sysconf(_SC_PAGESIZE);
                s->bytes = (const unsigned char *)p; s->size = (size_t)st.st_size; s->mapped = 1;
                m->page = ps > 0 ? (size_t)ps : 0;
                s->fd[0] = fd; s->n_fd = 1;
                while (s->n_fd < 4 && s->n_fd < m->n_threads && (s->fd[s->n_fd] = open(path, O_RDONLY)) >= 0) s->n_fd++;
            }
        }
        if (!s->n_fd) close(fd);
    }
#endif
    if (s->mapped) r = sd__parse(m, s, m->nsrc - 1, s->bytes, &m->t, &m->nt, 1);
    else if (!m->cfg.low_memory) {
        if ((r = sd__read_file(m, path, &s->file, &s->size)) != SD_OK) return r;
        s->bytes = s->file;
        r = sd__parse(m, s, m->nsrc - 1, s->bytes, &m->t, &m->nt, 1);
    } else {
        r = sd__open_stream(m, s, path, &head);
        if (r == SD_OK) r = sd__parse(m, s, m->nsrc - 1, head, &m->t, &m->nt, 1);
        sd__free(m, head);
    }
    return sd__wrap(m, r, path, NULL);
}

static int sd__exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

/* 1 if the JSON file folder/name has "key": "value" (a string value; the first "key" found) */
static int sd__config_is(sd_model *m, const char *folder, const char *name, const char *key, const char *value)
{
    char p[1100], want[80], *q;
    unsigned char *b = NULL;
    size_t n, k = strlen(value);
    int yes = 0;
    snprintf(p, sizeof p, "%s/%s", folder, name);
    snprintf(want, sizeof want, "\"%s\"", key);
    if (!sd__exists(p) || sd__read_file(m, p, &b, &n) != SD_OK) { m->err[0] = 0; return 0; }
    if ((q = strstr((char *)b, want)) != NULL) {
        q += strlen(want);
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
        if (*q++ == ':') {
            while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
            yes = *q == '"' && !strncmp(q + 1, value, k) && q[1 + k] == '"';
        }
    }
    sd__free(m, b);
    return yes;
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
            { "text_encoder/model.safetensors", "text_encoder/model.fp16.safetensors" },
            { "text_encoder_2/model.safetensors", "text_encoder_2/model.fp16.safetensors" } };
        int i, k;
        for (i = 0; i < 2 && !m->folder_xl; i++) {   /* SDXL: its text encoders get the single files' names conditioner.embedders.N */
            snprintf(p, sizeof p, "%s/%s", path, parts[3][i]);
            m->folder_xl = sd__exists(p);
        }
        for (i = 0; i < 4 && r == SD_OK; i++)
            for (k = 0; k < 2; k++) {
                snprintf(p, sizeof p, "%s/%s", path, parts[i][k]);
                if (sd__exists(p)) { r = sd__add_file(m, p); break; }
            }
        if (r == SD_OK && m->nsrc == 0)
            r = sd__fail(m, SD_ERR_IO, "%s: a diffusers folder without safetensors weights (unet/, vae/, text_encoder/); "
                         "only .safetensors files are read", path);
        /* what only the configs say: the text encoder's activation, the tokenizer's padding, the prediction */
        if (r == SD_OK) m->folder_gelu = sd__config_is(m, path, "text_encoder/config.json", "hidden_act", "gelu");
        if (r == SD_OK) m->folder_pad = sd__config_is(m, path, "tokenizer/tokenizer_config.json", "pad_token", "!") ||
                        sd__config_is(m, path, "tokenizer/special_tokens_map.json", "pad_token", "!");
        if (r == SD_OK) m->folder_pred = sd__config_is(m, path, "scheduler/scheduler_config.json", "prediction_type", "v_prediction") ? SD_PREDICTION_V
                       : sd__config_is(m, path, "scheduler/scheduler_config.json", "prediction_type", "epsilon") ? SD_PREDICTION_EPS : 0;
    } else r = sd__add_file(m, path);
    if (r == SD_OK) {
        r = sd__finish(m);
        if (m->nsrc == 1) r = sd__wrap(m, r, path, NULL);
    }
    if (r != SD_OK) sd__unload(m);
    return r;
}

SDDEF sd_result sd_load_vae(sd_model *m, const char *path)
{
    int nt = m->nt;
    m->err[0] = 0;
    if (m->nsrc == 0) return sd__fail(m, SD_ERR_STATE, "load the model before its VAE");
    return sd__vae_added(m, sd__add_file(m, path), nt, path);
}

static sd_result sd__taesd_added(sd_model *m, sd_result r, int nt, int nsrc, const char *what);

SDDEF sd_result sd_load_taesd(sd_model *m, const char *path)
{
    int nt = m->nt, ns = m->nsrc;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    m->err[0] = 0;
    if (m->nsrc == 0) return sd__fail(m, SD_ERR_STATE, "load the model before its TAESD");
    /* TAESD for SD 1.x/2.x and for SDXL (taesdxl) differ in their weights only: told by the file's name */
    if (!m->clip2 && (strstr(base, "taesdxl") || strstr(base, "taesd_xl")))
        return sd__fail(m, SD_ERR_MODEL, "%s: a TAESD for SDXL (taesdxl), whose latents are not SD 1.x/2.x's; use taesd_decoder.safetensors", path);
    if (m->clip2 && !strstr(base, "xl"))
        sd__warn(m, "%s: SDXL's latents need SDXL's TAESD (taesdxl_decoder.safetensors); a TAESD for SD 1.x/2.x decodes them wrongly", path);
    return sd__taesd_added(m, sd__add_file(m, path), nt, ns, path);
}
#endif

#define SD__TAESD "taesd."   /* TAESD's tensors, renamed so when its file is read */

/* A TAESD file's tensors (from nt on) get the names taesd.encoder.N.* / taesd.decoder.N.*
   (madebyollin's indices): from diffusers' AutoencoderTiny (encoder.layers.N, decoder.layers.N-1)
   or madebyollin's files (bare N.*: an encoder when 0.weight takes 3 channels, a decoder when it
   has 1.weight). Anything else is refused and the file taken out again, the model as it was. */
static sd_result sd__taesd_added(sd_model *m, sd_result r, int nt, int nsrc, const char *what)
{
    int i, diffusers = 0, enc = 0, dec = 0;
    for (i = nt; r == SD_OK && i < m->nt; i++) {
        const sd__tensor *t = &m->t[i];
        if (!strncmp(t->name, "encoder.layers.", 15) || !strncmp(t->name, "decoder.layers.", 15)) diffusers = 1;
        if (!strcmp(t->name, "0.weight") && t->ndim == 4 && t->shape[1] == 3) enc = 1;
        if (!strcmp(t->name, "1.weight") && t->ndim == 4) dec = 1;
    }
    if (r == SD_OK && !diffusers && !enc && !dec)
        r = sd__fail(m, SD_ERR_FORMAT, "%s: not a TAESD file (neither madebyollin's taesd_encoder/taesd_decoder nor diffusers' AutoencoderTiny)", what);
    for (i = nt; r == SD_OK && i < m->nt; i++) {
        sd__tensor *t = &m->t[i];
        char name[300], *copy;
        const char *rest = t->name;
        int k = 0, half;
        if (diffusers) {
            half = !strncmp(rest, "decoder.", 8);
            if (strncmp(rest, "encoder.layers.", 15) && strncmp(rest, "decoder.layers.", 15)) continue;   /* (config buffers) */
            rest += 15;
        } else half = dec;
        while (*rest >= '0' && *rest <= '9' && k < 1000) k = 10 * k + (*rest++ - '0');
        if (*rest != '.') { r = sd__fail(m, SD_ERR_FORMAT, "%s: tensor '%s' is not a TAESD layer", what, t->name); break; }
        snprintf(name, sizeof name, SD__TAESD "%s.%d%s", half ? "decoder" : "encoder", k + (diffusers && half), rest);
        if (!(copy = (char *)sd__malloc(m, strlen(name) + 1))) { r = sd__fail(m, SD_ERR_NOMEM, "out of memory"); break; }
        strcpy(copy, name);
        if (t->owned_name) sd__free(m, t->name);
        t->name = copy; t->owned_name = 1;
    }
    if (r != SD_OK) {   /* take the file out again */
        for (i = nt; i < m->nt; i++) if (m->t[i].owned_name) sd__free(m, m->t[i].name);
        m->nt = nt;
        while (m->nsrc > nsrc) sd__source_close(m, &m->src[--m->nsrc]);
        return r;
    }
    if ((r = sd__finish(m)) != SD_OK) {
        r = sd__wrap(m, r, NULL, " (the model is unloaded)");
        sd__unload(m);
    }
    return r;
}

SDDEF sd_result sd_load_taesd_memory(sd_model *m, const void *data, size_t size)
{
    int nt = m->nt, ns = m->nsrc;
    m->err[0] = 0;
    if (m->nsrc == 0) return sd__fail(m, SD_ERR_STATE, "load the model before its TAESD");
    return sd__taesd_added(m, sd__add_memory(m, data, size), nt, ns, "TAESD");
}


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

/* the same with a printf-style prefix: the architecture is read from which names exist at all, so
   that a tensor left out of a block is reported by its name rather than shrinking the model */
static int sd__has_part(const sd_model *m, const char *fmt, ...)
{
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return sd__has_prefix(m, name);
}

/* the tensors the shapes are read from must be there: SD_ERR_MODEL naming the first one missing */
static sd_result sd__need(sd_model *m, const char *const *names, int n)
{
    int i;
    for (i = 0; i < n; i++)
        if (!sd__find(m, names[i])) return sd__fail(m, SD_ERR_MODEL, "tensor '%s' missing", names[i]);
    return SD_OK;
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

/* the kind of a layer's weight, and whether it has a bias */
enum { SD__LINEAR = 0, SD__CONV1 = 1, SD__CONV3 = 3 };   /* [Co,C], [Co,C,1,1], [Co,C,3,3] */
enum { SD__NO_BIAS, SD__BIAS };

/* a Linear [co,ci] (k SD__LINEAR) or a Conv2d [co,ci,k,k]; bias [co] with SD__BIAS */
static sd__lin sd__lin_get(sd__ld *L, const char *prefix, int co, int ci, int k, int bias)
{
    sd__lin l;
    int64_t d[4];
    d[0] = co; d[1] = ci; d[2] = k; d[3] = k;
    l.w = sd__tget(L, prefix, ".weight", k ? 4 : 2, d);
    l.b = bias ? sd__vec(L, prefix, ".bias", co) : NULL;
    return l;
}


static const char *sd__fmt(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return buf;
}



#define SD__UNET "model.diffusion_model."
#define SD__VAE "first_stage_model."
#define SD__CLIP "cond_stage_model.transformer.text_model."

static int sd__dim(const sd_model *m, const char *name, int d)
{
    const sd__tensor *t = sd__find(m, name);
    return t && t->ndim > d && t->shape[d] < INT_MAX ? (int)t->shape[d] : -1;
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
    m->pad = -1;
#if SD__OMP
    m->n_threads = c.n_threads > 0 ? c.n_threads : omp_get_max_threads();
#else
    m->n_threads = 1;
#endif
    if (m->n_threads < 1) m->n_threads = 1;
    m->wcopy_min = (size_t)1 << 18;   /* 256 KB (smaller ones: read in place, not worth the call) */
    m->par_work = SD__PAR_WORK;
    if (c.gpu) {
        if (!SD__HAVE_GPU) sd__fail(m, SD_ERR_UNSUPPORTED, "this build has no GPU support (build with sd_cuda.cu: make cuda); running on the CPU");
#ifdef SD_CUDA
        else {
            char why[256];
            why[0] = 0;
            m->gpu = sd__cuda_create(c.gpu == SD_GPU_FP32, why, sizeof why);
            if (!m->gpu) sd__fail(m, SD_ERR_UNSUPPORTED, "no usable GPU (%s); running on the CPU", why);
        }
#endif
    }
    m->kern = sd__kernels_pick(m);
    if (c.bf16 && m->kern != &sd__kernels_fast)
        sd__warn(m, "bf16: the %s kernels compute in float32 (bfloat16 products are the CPU's fast kernels')", m->gpu ? "GPU's" : "reference");
    return m;
}

SDDEF int sd_using_gpu(const sd_model *m) { return m && m->gpu != NULL; }

SDDEF void sd_free(sd_model *m)
{
    if (!m) return;
    sd__unload(m);
    sd__vocab_free(m);
    sd_clear_embeddings(m);
    if (m->gpu) { sd__cuda_free(m->gpu, m->arena); sd__cuda_destroy(m->gpu); }
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

/* ---------------------------------------------------------------- LoRA
   A LoRA file holds, per layer (module), a down [r, in(,kh,kw)] and an up [out, r(,1,1)] matrix and
   optionally alpha. Applying it with multiplier w:  W' = W + w * (alpha / r) * up @ down
   (reshaped to W's shape), in float32, one of two ways per layer:
     merged   the layer gets a float32 copy of its weights holding the sum (t->lora; the file's
              bytes stay untouched): a step costs what it did, the copy 4 bytes a weight;
     beside   the layer keeps its weights and adds up @ (down @ x) to its output (t->side, the op
              functions): r (k + out) more multiply-adds a row against the layer's k out.
   SD_LORA_AUTO puts a layer beside when that is at most 1/16 of its own product (the UNet's wide
   layers, most of a LoRA's bytes: for a rank-32 LoRA on SD 1.5 about 1% more work a step instead
   of 2.7 GB of copies) and every text-encoder layer (run once an image); the rest are merged.
   sd_clear_loras gives the tensors back their own bytes. Module names:
     kohya (A1111)   lora_unet_down_blocks_0_attentions_0_..._to_q, lora_te_text_model_encoder_layers_0_...
                     + .lora_down.weight, .lora_up.weight, .alpha
     diffusers       unet.down_blocks.0.attentions.0....to_q + .lora.down.weight / .lora.up.weight,
                     text_encoder.text_model....q_proj + .lora_linear_layer.down.weight / .up.weight
     PEFT            the same paths + .lora_A.weight (down) / .lora_B.weight (up)
   Each becomes the checkpoint's own (LDM) module name written with _ for . (as A1111 matches them). */

/* w [out, k] += up [out, r] @ down [r, k], a row at a time (src: first the row of that tensor, decoded),
   each row's product summed in acc (a row a thread of tmp) before it is added: the same bits for
   any thread count. One pass over the layer, its rows hot in the cache. */
static void sd__lora_merge(sd_model *m, float *w, const sd__tensor *src, const float *up, const float *down, int out, int r, int k, float *tmp)
{
    int a;
    SD__PARALLEL_FOR(sd__nt(m, 2.0 * out * r * k))
    for (a = 0; a < out; a++) {
        float *row = w + (size_t)a * k, *acc = tmp + (size_t)SD__TID() * k;
        int q, b;
        if (src) sd__decode(row, src->data, src->dtype, (size_t)a * k, (size_t)k);
        for (b = 0; b < k; b++) acc[b] = 0.0f;
        for (q = 0; q < r; q++) {
            const float s = up[(size_t)a * r + q], *d = down + (size_t)q * k;
            for (b = 0; b < k; b++) acc[b] += s * d[b];
        }
        for (b = 0; b < k; b++) row[b] += acc[b];
    }
}

/* PyTorch's files: a zip of pickles, or a bare pickle (protocol 2..5) */
static int sd__is_pickle(const void *data, size_t size)
{
    const unsigned char *u = (const unsigned char *)data;
    return (size >= 4 && memcmp(u, "PK\x03\x04", 4) == 0) || (size >= 2 && u[0] == 0x80 && u[1] >= 2 && u[1] <= 5);
}

typedef struct sd__lora_mod {     /* one module of a LoRA file */
    char key[256];                /* its name in the checkpoint's terms, '_' for '.' */
    const sd__tensor *down, *up, *alpha;
    int te;                       /* a text-encoder module (the TE multiplier) */
} sd__lora_mod;

/* snprintf that says whether it fit */
static int sd__put(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < cap;
}

static int sd__ends(const char *s, size_t n, const char *suffix, size_t *cut)
{
    size_t k = strlen(suffix);
    if (n < k || memcmp(s + n - k, suffix, k) != 0) return 0;
    *cut = n - k;
    return 1;
}

/* "lora_unet_down_blocks_1_resnets_0_conv1": the number after `prefix` at s, and the rest */
static int sd__lora_num(const char **s, const char *prefix, int *v)
{
    size_t k = strlen(prefix);
    const char *p = *s;
    if (strncmp(p, prefix, k) != 0 || p[k] < '0' || p[k] > '9') return 0;
    p += k;
    *v = 0;
    while (*p >= '0' && *p <= '9') { if (*v < 100000) *v = *v * 10 + (*p - '0'); p++; }
    *s = p;
    return 1;
}

/* A ResBlock's diffusers part name -> LDM's */
static const char *sd__lora_resnet_part(const char *rest)
{
    static const char *const map[][2] = { { "conv1", "in_layers_2" }, { "conv2", "out_layers_3" }, { "norm1", "in_layers_0" },
                                          { "norm2", "out_layers_0" }, { "time_emb_proj", "emb_layers_1" }, { "conv_shortcut", "skip_connection" } };
    int i;
    for (i = 0; i < 6; i++) if (!strcmp(rest, map[i][0])) return map[i][1];
    return rest;
}

/* a text encoder's prefix with _ for . */
static void sd__lora_under(char *out, size_t cap, const char *prefix)
{
    size_t i;
    for (i = 0; prefix[i] && i + 1 < cap; i++) out[i] = prefix[i] == '.' ? '_' : prefix[i];
    out[i] = 0;
}

/* A text encoder's module, named as transformers names CLIP (kohya's lora_te_, lora_te1_, lora_te2_:
   text_model_encoder_layers_N_self_attn_q_proj, ..._mlp_fc1), in the checkpoint's layout: the
   same (transformers' layout), or OpenCLIP's (SD 2.x and SDXL's bigG single files), where q, k, v
   are rows of in_proj (the views, keyed ..._attn_in_proj_q/k/v) */
static const char *sd__clip_prefix(const sd__clip *t);           /* (in the text encoder's chapter) */
static sd__tensor *sd__clip_views(const sd__clip *t, int *n);

static int sd__lora_text(const sd__clip *t, const char *p, char *out, size_t cap)
{
    static const char *const map[][2] = { { "self_attn_q_proj", "attn_in_proj_q" }, { "self_attn_k_proj", "attn_in_proj_k" },
                                          { "self_attn_v_proj", "attn_in_proj_v" }, { "self_attn_out_proj", "attn_out_proj" },
                                          { "mlp_fc1", "mlp_c_fc" }, { "mlp_fc2", "mlp_c_proj" } };
    char pre[160];
    int i, k, nv;
    if (!t || strncmp(p, "text_model_", 11) != 0) return 0;
    sd__lora_under(pre, sizeof pre, sd__clip_prefix(t));
    if (!sd__clip_views(t, &nv)) return sd__put(out, cap, "%s%s", pre, p + 11);   /* (the prefix ends in text_model_) */
    p += 11;
    if (!sd__lora_num(&p, "encoder_layers_", &i) || *p != '_') return 0;
    for (k = 0; k < 6; k++)
        if (!strcmp(p + 1, map[k][0])) return sd__put(out, cap, "%stransformer_resblocks_%d_%s", pre, i, map[k][1]);
    return 0;
}

/* a kohya module name (diffusers paths with _) -> the checkpoint's module name with _ (0: not a
   name this knows); nres: the UNet's ResBlocks per level. A1111's convert_diffusers_name_to_compvis,
   with the block numbers from nres (2 in SD 1.x, 2.x, SDXL) and the up-sampler's place looked up.
   The text encoders: lora_te_ (SD 1.x, 2.x), lora_te1_ and lora_te2_ (SDXL's two). */
static int sd__lora_ldm(const sd_model *m, const char *name, int nres, char *out, size_t cap)
{
    const char *p = name;
    int i, j, w;
    int ok = 0;
    const char *U = "model_diffusion_model_";
    if (!strncmp(p, "lora_te_", 8)) return !m->clip2 && sd__lora_text(m->clip, p + 8, out, cap);
    if (!strncmp(p, "lora_te1_", 9) || !strncmp(p, "lora_te2_", 9)) return m->clip2 && sd__lora_text(p[7] == '1' ? m->clip : m->clip2, p + 9, out, cap);
    if (strncmp(p, "lora_unet_", 10) != 0) return 0;
    p += 10;
    if (!strncmp(p, "conv_in", 7) && !p[7]) ok = sd__put(out, cap, "%sinput_blocks_0_0", U);
    else if (!strncmp(p, "conv_out", 8) && !p[8]) ok = sd__put(out, cap, "%sout_2", U);
    else if (sd__lora_num(&p, "time_embedding_linear_", &i) && !*p) ok = sd__put(out, cap, "%stime_embed_%d", U, 2 * i - 2);
    else if (sd__lora_num(&p, "down_blocks_", &i)) {
        int at = !strncmp(p, "_attentions", 11), rs = !strncmp(p, "_resnets", 8);
        if ((at || rs) && sd__lora_num(&p, at ? "_attentions_" : "_resnets_", &j) && *p == '_')
            ok = sd__put(out, cap, "%sinput_blocks_%d_%d_%s", U, 1 + i * (nres + 1) + j, at, at ? p + 1 : sd__lora_resnet_part(p + 1));
        else if (!strcmp(p, "_downsamplers_0_conv")) ok = sd__put(out, cap, "%sinput_blocks_%d_0_op", U, (i + 1) * (nres + 1));
        else return 0;
    } else if (!strncmp(p, "mid_block_attentions_0_", 23)) ok = sd__put(out, cap, "%smiddle_block_1_%s", U, p + 23);
    else if (sd__lora_num(&p, "mid_block_resnets_", &j) && *p == '_') ok = sd__put(out, cap, "%smiddle_block_%d_%s", U, 2 * j, sd__lora_resnet_part(p + 1));
    else if (sd__lora_num(&p, "up_blocks_", &i)) {
        int at = !strncmp(p, "_attentions", 11), rs = !strncmp(p, "_resnets", 8);
        if ((at || rs) && sd__lora_num(&p, at ? "_attentions_" : "_resnets_", &j) && *p == '_')
            ok = sd__put(out, cap, "%soutput_blocks_%d_%d_%s", U, i * (nres + 1) + j, at, at ? p + 1 : sd__lora_resnet_part(p + 1));
        else if (!strcmp(p, "_upsamplers_0_conv")) {   /* after the ResBlock and its attention, if the level has one */
            w = i * (nres + 1) + nres;
            sd__put(out, cap, "model.diffusion_model.output_blocks.%d.2.conv.weight", w);
            ok = sd__put(out, cap, "%soutput_blocks_%d_%d_conv", U, w, sd__find(m, out) ? 2 : 1);
        } else return 0;
    } else ok = sd__put(out, cap, "%s%s", U, p);   /* already LDM's names (lora_unet_input_blocks_1_1_proj_in) */
    return ok;
}

typedef struct sd__lora_key { const char *key; int t; } sd__lora_key;   /* a module name with _, its tensor */

static int sd__lora_key_cmp(const void *a, const void *b) { return strcmp(((const sd__lora_key *)a)->key, ((const sd__lora_key *)b)->key); }

/* the down, up and alpha tensors of one module, from a LoRA's table (n tensors): modules[] filled,
   returns how many; names the first few it cannot read in *unknown */
static int sd__lora_modules(const sd_model *m, const sd__tensor *t, int n, sd__lora_mod *mods, int *n_unknown, char *unknown, size_t ucap)
{
    static const char *const down[] = { ".lora_down.weight", ".lora.down.weight", ".lora_linear_layer.down.weight", ".lora_A.weight",
                                        "_lora.down.weight" /* diffusers' attention processors: ...processor.to_q_lora */ };
    static const char *const up[] = { ".lora_up.weight", ".lora.up.weight", ".lora_linear_layer.up.weight", ".lora_B.weight", "_lora.up.weight" };
    int i, k, nm = 0, nres = 2;
    char b[300];
    for (k = 1; k <= 4; k++)   /* the first input block that down-samples: nres + 1 */
        if (sd__find(m, sd__fmt(b, sizeof b, "model.diffusion_model.input_blocks.%d.0.op.weight", k))) { nres = k - 1; break; }
    *n_unknown = 0; unknown[0] = 0;
    for (i = 0; i < n; i++) {
        const char *name = t[i].name;
        size_t len = strlen(name), cut = 0, c;
        int role = -1, j;
        char mod[256], key[256];
        for (k = 0; k < 5 && role < 0; k++) {
            if (sd__ends(name, len, down[k], &cut)) role = 0;
            else if (sd__ends(name, len, up[k], &cut)) role = 1;
        }
        if (role < 0 && sd__ends(name, len, ".alpha", &cut)) role = 2;
        if (role < 0 || cut >= sizeof mod) {
            if (++*n_unknown <= 3) { size_t u = strlen(unknown); snprintf(unknown + u, ucap - u, "%s'%s'", u ? ", " : "", name); }
            continue;
        }
        memcpy(mod, name, cut); mod[cut] = 0;
        /* diffusers and PEFT: dotted paths under unet. / text_encoder. / text_encoder_2. -> kohya's form */
        if (!strncmp(mod, "unet.", 5) || !strncmp(mod, "text_encoder.", 13) || !strncmp(mod, "text_encoder_2.", 15)) {
            char tmp[256], *q;
            int te = mod[0] == 't' ? (mod[12] == '_' ? 2 : 1) : 0;
            sd__put(tmp, sizeof tmp, "%s%s", !te ? "lora_unet_" : te == 2 ? "lora_te2_" : m->clip2 ? "lora_te1_" : "lora_te_",
                    mod + (!te ? 5 : te == 2 ? 15 : 13));
            if ((q = strstr(tmp, ".processor.")) != NULL) memmove(q, q + 10, strlen(q + 10) + 1);   /* attention processors */
            for (q = tmp; *q; q++) if (*q == '.') *q = '_';
            c = strlen(tmp);
            if (c > 6 && !strcmp(tmp + c - 6, "to_out")) strcat(tmp, "_0");                      /* to_out_lora: to_out.0 */
            memcpy(mod, tmp, strlen(tmp) + 1);
        }
        if (!sd__lora_ldm(m, mod, nres, key, sizeof key)) {
            if (++*n_unknown <= 3) { size_t u = strlen(unknown); snprintf(unknown + u, ucap - u, "%s'%s'", u ? ", " : "", name); }
            continue;
        }
        for (j = 0; j < nm && strcmp(mods[j].key, key) != 0; j++) {}
        if (j == nm) { memset(&mods[nm], 0, sizeof mods[nm]); memcpy(mods[nm].key, key, strlen(key) + 1); mods[nm].te = !strncmp(key, "cond", 4); nm++; }
        if (role == 0) mods[j].down = &t[i];
        else if (role == 1) mods[j].up = &t[i];
        else mods[j].alpha = &t[i];
    }
    return nm;
}

typedef struct sd__lora_op {      /* one checked update: W[t] += scale * up @ down */
    int t, beside;                /* the layer; applied beside it (else merged) */
    const sd__tensor *down, *up;
    float scale;
    int r, out, k;
} sd__lora_op;

/* a float tensor of n values, all finite: 1; else the failure */
static sd_result sd__lora_values(sd_model *m, const sd__tensor *t, float *v)
{
    int64_t i;
    if (!sd__is_float(t->dtype)) return sd__fail(m, SD_ERR_FORMAT, "tensor '%s' is %s, not a float type", t->name, sd__dtype_name[t->dtype]);
    sd__decode(v, t->data, t->dtype, 0, (size_t)t->numel);
    for (i = 0; i < t->numel; i++)
        if (v[i] - v[i] != 0.0f) return sd__fail(m, SD_ERR_NUMERIC, "tensor '%s' holds NaN or Inf", t->name);
    return SD_OK;
}

/* float32 values <-> their little-endian bytes, in place (nothing to do on little-endian hosts) */
static void sd__f32_le(float *v, size_t n)
{
    const uint32_t one = 1;
    size_t i;
    if (*(const unsigned char *)&one) return;
    for (i = 0; i < n; i++) {
        unsigned char *b = (unsigned char *)&v[i], x;
        x = b[0]; b[0] = b[3]; b[3] = x; x = b[1]; b[1] = b[2]; b[2] = x;
    }
}

/* the LoRAs beside a layer dropped (with their GPU copies) */
static void sd__lora_side_free(sd_model *m, sd__lora_side *s)
{
    if (!s) return;
    if (m->gpu && s->down.dev) sd__cuda_free(m->gpu, s->down.dev);
    if (m->gpu && s->up.dev) sd__cuda_free(m->gpu, s->up.dev);
    sd__free(m, s->v);
    sd__free(m, s);
}

/* the tensor's own bytes back (its LoRA copy and the LoRAs beside it dropped) */
static void sd__lora_restore(sd_model *m, sd__tensor *t)
{
    const sd__source *s = &m->src[t->src];
    sd__lora_side_free(m, t->side);
    t->side = NULL;
    if (!t->lora) return;
    if (m->gpu && t->dev) { sd__cuda_free(m->gpu, t->dev); t->dev = NULL; }
    sd__free(m, t->lora);
    t->lora = NULL;
    t->dtype = t->dtype0;
    t->data = s->bytes ? s->bytes + s->data_at + t->begin : NULL;
}

/* What a LoRA can change: the table's tensors (0 .. nt-1), then the q, k, v views of the text
   encoders' OpenCLIP in_proj (SD 2.x, SDXL's bigG); *n their count */
static sd__tensor *sd__lora_target(sd_model *m, int i, int *n)
{
    int n1, n2;
    sd__tensor *v1 = sd__clip_views(m->clip, &n1), *v2 = sd__clip_views(m->clip2, &n2);
    if (n) *n = m->nt + n1 + n2;
    return i < m->nt ? &m->t[i] : i < m->nt + n1 ? &v1[i - m->nt] : &v2[i - m->nt - n1];
}

SDDEF void sd_clear_loras(sd_model *m)
{
    int i, n;
    sd__lora_target(m, 0, &n);
    for (i = 0; i < n; i++) sd__lora_restore(m, sd__lora_target(m, i, NULL));
    m->n_lora = 0;
}

SDDEF int sd_lora_count(const sd_model *m) { return m ? m->n_lora : 0; }

SDDEF sd_result sd_load_lora_memory(sd_model *m, const void *data, size_t size, float te_weight, float unet_weight)
{
    sd__source src;
    sd__tensor *lt = NULL;
    sd__lora_mod *mods = NULL;
    sd__lora_op *ops = NULL;
    sd__lora_key *keys = NULL;
    float **fresh = NULL, *buf = NULL, *ws = NULL;
    sd__lora_side **side = NULL;      /* the layers' new sides (beside), before they replace the old */
    int nlt = 0, nm = 0, nops = 0, nkeys = 0, n_unknown = 0, i, k, *touched = NULL, *rank = NULL, nt;
    char unknown[400];
    size_t maxbuf = 0, maxk = 0;
    sd__tensor *was = NULL;           /* the touched tensors as they were (where their bytes are) */
    sd_result r = SD_OK;
    m->err[0] = 0;
    if (!m->nt) return sd__fail(m, SD_ERR_STATE, "LoRA: load a model first");
    sd__lora_target(m, 0, &nt);
    if (!(te_weight - te_weight == 0.0f) || !(unet_weight - unet_weight == 0.0f)) return sd__fail(m, SD_ERR_ARG, "LoRA: the weights must be finite numbers");
    memset(&src, 0, sizeof src);
    src.bytes = (const unsigned char *)data; src.size = size;
    if (!data) r = sd__fail(m, SD_ERR_ARG, "no data");
    else if (sd__is_pickle(data, size)) r = sd__fail(m, SD_ERR_FORMAT, "this is a PyTorch .pt/.ckpt (pickle) file, not safetensors; convert it "
                                                     "(safetensors.torch.save_file(torch.load(f, weights_only=True), \"lora.safetensors\"))");
    else r = sd__parse(m, &src, 0, src.bytes, &lt, &nlt, 0);
    for (i = 0; r == SD_OK && i < nlt; i++)
        if (!m->clip2 && (!strncmp(lt[i].name, "lora_te1_", 9) || !strncmp(lt[i].name, "lora_te2_", 9)))
            r = sd__fail(m, SD_ERR_MODEL, "an SDXL LoRA (tensor '%s'): this model is not SDXL", lt[i].name);
        else if (m->clip2 && (!strncmp(lt[i].name, "lora_te_", 8) || !strncmp(lt[i].name, "lora_unet_input_blocks_11_", 26) ||
                              !strncmp(lt[i].name, "lora_unet_down_blocks_3_", 24)))
            r = sd__fail(m, SD_ERR_MODEL, "an SD 1.x/2.x LoRA (tensor '%s'): this model is SDXL", lt[i].name);
        else if (strstr(lt[i].name, ".hada_") || strstr(lt[i].name, ".lokr_"))
            r = sd__fail(m, SD_ERR_UNSUPPORTED, "a LyCORIS LoHa/LoKr file (tensor '%s'): only LoRA and LoCon are supported", lt[i].name);
    /* the modules, each matched with a weight of the model and checked */
    if (r == SD_OK && (!(mods = (sd__lora_mod *)sd__calloc(m, (size_t)nlt + 1, sizeof *mods)) ||
                       !(ops = (sd__lora_op *)sd__calloc(m, (size_t)nlt + 1, sizeof *ops)) ||
                       !(keys = (sd__lora_key *)sd__calloc(m, (size_t)nt + 1, sizeof *keys)) ||
                       !(touched = (int *)sd__calloc(m, (size_t)nt + 1, sizeof *touched)) ||
                       !(rank = (int *)sd__calloc(m, (size_t)nt + 1, sizeof *rank))))
        r = sd__fail(m, SD_ERR_NOMEM, "out of memory");
    if (r == SD_OK) {
        for (i = 0; i < nt; i++) {   /* module names with _: a weight's name less .weight; a view: in_proj_q, _k, _v */
            const sd__tensor *t = sd__lora_target(m, i, NULL);
            size_t cut, len = strlen(t->name);
            char *q;
            if (i >= m->nt ? !sd__ends(t->name, len, "_weight", &cut) : t->ndim < 2 || !sd__ends(t->name, len, ".weight", &cut)) continue;
            if (!(q = (char *)sd__malloc(m, cut + 3))) { r = sd__fail(m, SD_ERR_NOMEM, "out of memory"); break; }
            memcpy(q, t->name, cut); q[cut] = 0;
            if (i >= m->nt) { q[cut] = '_'; q[cut + 1] = "qkv"[(i - m->nt) % 3]; q[cut + 2] = 0; }
            keys[nkeys].key = q; keys[nkeys].t = i; nkeys++;
            for (; *q; q++) if (*q == '.') *q = '_';
        }
        qsort(keys, (size_t)nkeys, sizeof *keys, sd__lora_key_cmp);
        nm = sd__lora_modules(m, lt, nlt, mods, &n_unknown, unknown, sizeof unknown);
    }
    for (i = 0; r == SD_OK && i < nm; i++) {
        sd__lora_mod *d = &mods[i];
        sd__lora_key want, *hit;
        const sd__tensor *W;
        sd__lora_op *o = &ops[nops];
        float a = 0.0f;
        want.key = d->key; want.t = 0;
        hit = (sd__lora_key *)bsearch(&want, keys, (size_t)nkeys, sizeof *keys, sd__lora_key_cmp);
        if (!d->down || !d->up) {
            r = sd__fail(m, SD_ERR_FORMAT, "module '%s' has %s but no %s matrix", (d->down ? d->down : d->up ? d->up : d->alpha)->name,
                         d->down ? "a down" : d->up ? "an up" : "an alpha", d->down ? "up" : "down");
            break;
        }
        if (!hit) {
            if (++n_unknown <= 3) { size_t u = strlen(unknown); snprintf(unknown + u, sizeof unknown - u, "%s'%s'", u ? ", " : "", d->down->name); }
            continue;
        }
        W = sd__lora_target(m, hit->t, NULL);
        o->t = hit->t; o->down = d->down; o->up = d->up;
        o->r = (int)d->down->shape[0];
        o->out = (int)W->shape[0];
        o->k = (int)(W->numel / W->shape[0]);
        if (d->up->ndim != 2 && !(d->up->ndim == 4 && d->up->shape[2] == 1 && d->up->shape[3] == 1)) {
            r = sd__fail(m, SD_ERR_FORMAT, "tensor '%s' is not an up matrix [out, rank] or [out, rank, 1, 1]", d->up->name); break;
        }
        if (d->up->shape[1] != d->down->shape[0]) {
            r = sd__fail(m, SD_ERR_FORMAT, "tensors '%s' and '%s': ranks %lld and %lld differ", d->up->name, d->down->name,
                         (long long)d->up->shape[1], (long long)d->down->shape[0]); break;
        }
        if (d->up->shape[0] != W->shape[0] || d->down->numel != (int64_t)o->r * o->k || (d->down->ndim != 2 && d->down->ndim != 4)) {
            char ws_[96], us[96], ds[96];
            sd__shape_str(ws_, sizeof ws_, W->ndim, W->shape); sd__shape_str(us, sizeof us, d->up->ndim, d->up->shape);
            sd__shape_str(ds, sizeof ds, d->down->ndim, d->down->shape);
            r = sd__fail(m, SD_ERR_MODEL, "tensors '%s' %s and '%s' %s do not fit the layer '%s' %s (a LoRA for another model?)",
                         d->up->name, us, d->down->name, ds, W->name, ws_); break;
        }
        if (o->r < 1 || o->r > o->out || o->r > o->k) {
            r = sd__fail(m, SD_ERR_FORMAT, "tensor '%s': rank %d, where the %d x %d layer '%s' takes 1..%d", d->down->name, o->r, o->out, o->k,
                         W->name, o->out < o->k ? o->out : o->k);
            break;
        }
        if (d->alpha) {
            if (d->alpha->numel != 1) { r = sd__fail(m, SD_ERR_FORMAT, "tensor '%s': alpha must be one number", d->alpha->name); break; }
            if ((r = sd__lora_values(m, d->alpha, &a)) != SD_OK) break;
        }
        o->scale = (d->alpha ? a / (float)o->r : 1.0f) * (d->te ? te_weight : unet_weight);
        /* beside or merged: a layer keeps how it has been (a LoRA before), else the config's choice;
           automatic: beside where the two products cost at most 1/16 of the layer's own, r (k + out)
           against k out multiply-adds a row, and in the text encoder (run once an image) */
        if (W->lora || W->side) o->beside = W->side != NULL;
        else if (hit->t >= m->nt) o->beside = 1;   /* rows of a fused weight (OpenCLIP's in_proj): beside only */
        else if (m->cfg.lora_apply != SD_LORA_AUTO) o->beside = m->cfg.lora_apply == SD_LORA_BESIDE;
        else o->beside = d->te || 16.0 * o->r * ((double)o->k + o->out) <= (double)o->k * o->out;
        if (o->beside && touched[o->t] == 1) o->beside = 0;   /* (a layer twice in one file: as the first time) */
        if (!o->beside && touched[o->t] == 3) o->beside = 1;
        if (o->beside) rank[o->t] += o->r;
        if ((size_t)o->r * o->k > maxbuf) maxbuf = (size_t)o->r * o->k;
        if ((size_t)o->k > maxk) maxk = (size_t)o->k;
        if ((size_t)o->r * o->out > maxbuf) maxbuf = (size_t)o->r * o->out;
        if (rank[o->t] > (1 << 20)) { r = sd__fail(m, SD_ERR_FORMAT, "tensor '%s': ranks add up past 2^20", d->down->name); break; }
        touched[o->t] = o->beside ? 3 : 1;
        nops++;
    }
    if (r == SD_OK && nops == 0)
        r = sd__fail(m, SD_ERR_MODEL, "nothing in it matches a layer of this model (%s%s)", unknown[0] ? "e.g. " : "no tensors", unknown);
    /* every new float copy first: out of memory leaves the model as it was */
    if (r == SD_OK && (!(fresh = (float **)sd__calloc(m, (size_t)nt + 1, sizeof *fresh)) ||
                       !(buf = (float *)sd__malloc(m, 2 * (maxbuf + 1) * sizeof *buf)) ||
                       !(ws = (float *)sd__malloc(m, ((size_t)m->n_threads * maxk + 1) * sizeof *ws)) ||
                       !(was = (sd__tensor *)sd__calloc(m, (size_t)nt + 1, sizeof *was)) ||
                       !(side = (sd__lora_side **)sd__calloc(m, (size_t)nt + 1, sizeof *side))))
        r = sd__fail(m, SD_ERR_NOMEM, "out of memory");
    for (i = 0; r == SD_OK && i < nt; i++)
        if (touched[i] == 3) {   /* a new side of the ranks before and this file's */
            const sd__tensor *W = sd__lora_target(m, i, NULL);
            sd__lora_side *n;
            int R = (W->side ? (int)W->side->down.shape[0] : 0) + rank[i], kk = (int)(W->numel / W->shape[0]);
            if (!(n = side[i] = (sd__lora_side *)sd__calloc(m, 1, sizeof *n)) ||
                !(n->v = (float *)sd__malloc(m, (size_t)R * ((size_t)kk + (size_t)W->shape[0]) * sizeof(float)))) {
                r = sd__fail(m, SD_ERR_NOMEM, "out of memory for the LoRA beside layer '%s'", W->name);
                break;
            }
            n->down.name = n->up.name = W->name; n->down.src = n->up.src = W->src;
            n->down.dtype = n->up.dtype = SD__F32;
            n->down.ndim = W->ndim;
            memcpy(n->down.shape, W->shape, sizeof W->shape);
            n->down.shape[0] = R; n->down.numel = (int64_t)R * kk;
            n->up.ndim = W->ndim == 4 ? 4 : 2;
            n->up.shape[0] = W->shape[0]; n->up.shape[1] = R; n->up.shape[2] = n->up.shape[3] = 1;
            n->up.numel = (int64_t)R * W->shape[0];
            n->down.data = (const unsigned char *)n->v; n->up.data = (const unsigned char *)(n->v + n->down.numel);
            rank[i] = R - rank[i];   /* from here: where this file's ranks go */
        } else if (touched[i] && !m->t[i].lora) {   /* merged (a table tensor); read now only from a streamed file, where reading can fail */
            const sd__tensor *t = &m->t[i];
            if (!(fresh[i] = (float *)sd__malloc(m, (size_t)t->numel * sizeof(float))))
                r = sd__fail(m, SD_ERR_NOMEM, "out of memory for the float copies of the layers this LoRA changes");
            else if (sd__hugepages(fresh[i], (size_t)t->numel), !t->data && sd__read_row(m, t, 0, (size_t)t->numel, fresh[i]) != SD_OK)
                r = sd__fail(m, SD_ERR_IO, "cannot read tensor '%s'", t->name);
            else touched[i] = t->data ? 2 : 1;   /* 2: to be decoded with the first update */
        }
    for (i = 0; r == SD_OK && i < nops; i++) {   /* the values: finite, read before anything changes (beside: into the new side) */
        const sd__lora_op *o = &ops[i];
        sd__lora_side *n = side[o->t];
        int64_t R, q;
        float *up;
        if ((r = sd__lora_values(m, o->down, o->beside ? n->v + (size_t)rank[o->t] * o->k : buf)) != SD_OK) break;
        if ((r = sd__lora_values(m, o->up, buf)) != SD_OK || !o->beside) continue;
        R = n->down.shape[0]; up = n->v + n->down.numel;   /* up's columns after those before */
        for (q = 0; q < o->out; q++)
            for (k = 0; k < o->r; k++) up[q * R + rank[o->t] + k] = o->scale * buf[q * o->r + k];
        rank[o->t] += o->r;
    }
    for (i = 0; r == SD_OK && i < nt; i++) {   /* from here on nothing fails */
        sd__tensor *t = sd__lora_target(m, i, NULL);
        if (!touched[i]) continue;
        if (touched[i] == 3) {   /* beside: the ranks before copied (as values), the old side dropped */
            sd__lora_side *n = side[i], *o = t->side;
            int64_t q, R0 = o ? o->down.shape[0] : 0, R = n->down.shape[0];
            if (o) {
                memcpy(n->v, o->v, (size_t)o->down.numel * sizeof(float));
                sd__f32_le(n->v, (size_t)o->down.numel);
                for (q = 0; q < n->up.shape[0]; q++) {
                    memcpy(n->v + n->down.numel + q * R, o->v + o->down.numel + q * R0, (size_t)R0 * sizeof(float));
                    sd__f32_le(n->v + n->down.numel + q * R, (size_t)R0);
                }
            }
            sd__lora_side_free(m, o);
            t->side = n; side[i] = NULL;
            continue;
        }
        if (!t->lora) {
            if (touched[i] == 2) was[i] = *t;   /* the tensor as it was: where its bytes are */
            t->lora = fresh[i]; fresh[i] = NULL;
            t->dtype0 = t->dtype; t->dtype = SD__F32;
            t->data = (const unsigned char *)t->lora;
        } else sd__f32_le(t->lora, (size_t)t->numel);      /* its bytes -> values */
        if (m->gpu && t->dev) { sd__cuda_free(m->gpu, t->dev); t->dev = NULL; }
    }
    for (i = 0; r == SD_OK && i < nops; i++) {   /* merged: W += scale up @ down */
        const sd__lora_op *o = &ops[i];
        float *upf = buf, *dn = buf + maxbuf + 1;
        if (o->beside) continue;
        sd__decode(upf, o->up->data, o->up->dtype, 0, (size_t)o->out * o->r);
        for (k = 0; k < o->out * o->r; k++) upf[k] *= o->scale;
        sd__decode(dn, o->down->data, o->down->dtype, 0, (size_t)o->r * o->k);
        sd__lora_merge(m, sd__lora_target(m, o->t, NULL)->lora, touched[o->t] == 2 ? &was[o->t] : NULL, upf, dn, o->out, o->r, o->k, ws);
        if (touched[o->t] == 2) { sd__weights_done(m, &was[o->t]); touched[o->t] = 1; }   /* the mapped bytes are not read again */
    }
    for (i = 0; r == SD_OK && i < nt; i++)   /* values -> bytes */
        if (touched[i] == 3) { const sd__lora_side *n = sd__lora_target(m, i, NULL)->side; sd__f32_le(n->v, (size_t)(n->down.numel + n->up.numel)); }
        else if (touched[i]) sd__f32_le(m->t[i].lora, (size_t)m->t[i].numel);
    if (r == SD_OK) {
        m->n_lora++;
        if (n_unknown) sd__warn(m, "LoRA: %d of its modules and tensors match no layer of this model and were left out: %s%s", n_unknown, unknown, n_unknown > 3 ? ", ..." : "");
    }
    for (i = 0; fresh && i < nt; i++) sd__free(m, fresh[i]);
    for (i = 0; side && i < nt; i++) sd__lora_side_free(m, side[i]);
    for (i = 0; keys && i < nkeys; i++) sd__free(m, (void *)(size_t)keys[i].key);
    sd__free(m, fresh); sd__free(m, buf); sd__free(m, ws); sd__free(m, keys); sd__free(m, touched); sd__free(m, was); sd__free(m, side); sd__free(m, rank);
    sd__free(m, mods); sd__free(m, ops);
    for (i = 0; i < nlt; i++) if (lt[i].owned_name) sd__free(m, lt[i].name);
    sd__free(m, lt); sd__free(m, src.header);
    return sd__wrap(m, r, "LoRA", NULL);
}

#ifndef SD_NO_STDIO
SDDEF sd_result sd_load_lora(sd_model *m, const char *path, float te_weight, float unet_weight)
{
    char where[300];
    unsigned char *b;
    size_t n;
    sd_result r;
    m->err[0] = 0;
    if (!path) return sd__fail(m, SD_ERR_ARG, "LoRA: no path");
    if ((r = sd__read_file(m, path, &b, &n)) != SD_OK) return r;
    r = sd_load_lora_memory(m, b, n, te_weight, unet_weight);
    sd__free(m, b);
    return sd__wrap(m, r, NULL, sd__fmt(where, sizeof where, " ('%s')", path));
}
#endif

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
    return sd__wrap(m, r, path, NULL);
}
#endif

/* ---------------------------------------------------------------- text normalization
   What CLIP does to a prompt before BPE, in code points:
     ftfy.fix_text      HTML entities (if the text has no '<'), C1 controls read as Windows-1252,
                        Latin ligatures and full/half-width forms unfolded, curly quotes made
                        straight, control characters dropped, NFC. (ftfy's mojibake repair is
                        not done: a prompt is taken to be correct UTF-8.)
     html.unescape x2   named (HTML 4, and the names Python accepts without ';') and numeric
                        references, with Python's rules for invalid numbers
     whitespace         runs of White_Space become one space, ends stripped
     str.lower()        full lowercase mapping, U+0130 -> i + U+0307, final sigma
   Invalid UTF-8 in a prompt becomes U+FFFD, one per maximal invalid sequence (Python's
   errors="replace"); it never stops tokenization. */

/* The Unicode data these steps read: generated tables and their look-ups, in the tail section
   of this file (before the licence). */
static int sd__uc_props(uint32_t c);          /* 1 letter, 2 number, 4 space, 8 cased, 16 case-ignorable */
static int sd__uc_class(uint32_t c);          /* canonical combining class */
static uint32_t sd__uc_tolower(uint32_t c);   /* the one-code-point part of str.lower() */
static int sd__uc_decomposition(uint32_t c, uint32_t *a, uint32_t *b);   /* c -> a (b): its canonical decomposition */
static uint32_t sd__uc_compose(uint32_t a, uint32_t b);           /* a + b -> their composition, or 0 */
static uint32_t sd__uc_fold_width(uint32_t c);                    /* full/half-width form -> the plain one */
static const char *sd__uc_html_names(void);   /* the HTML entity names (see the generator) */






/* UTF-8 -> code points; returns the count (out has room for len + 1) */
static size_t sd__utf8_decode(const unsigned char *s, size_t len, uint32_t *out)
{
    size_t i = 0, n = 0;
    while (i < len) {
        unsigned char c = s[i];
        uint32_t cp;
        int need, k;
        if (c < 0x80) { out[n++] = c; i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; }
        else { out[n++] = 0xFFFD; i++; continue; }
        for (k = 1; k <= need; k++) {   /* the second byte's range depends on the first (no overlongs, surrogates) */
            unsigned char d;
            unsigned char lo = 0x80, hi = 0xBF;
            if (k == 1 && c == 0xE0) lo = 0xA0;
            if (k == 1 && c == 0xED) hi = 0x9F;
            if (k == 1 && c == 0xF0) lo = 0x90;
            if (k == 1 && c == 0xF4) hi = 0x8F;
            if (i + k >= len || (d = s[i + k]) < lo || d > hi) break;
            cp = (cp << 6) | (d & 0x3F);
        }
        if (k <= need) { out[n++] = 0xFFFD; i += (size_t)k; continue; }   /* the maximal invalid part */
        out[n++] = cp;
        i += (size_t)need + 1;
    }
    return n;
}

/* Windows-1252 for the C1 range 0x80..0x9F (0 where cp1252 has no character) */
static const uint16_t sd__cp1252[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178 };

/* one HTML character reference at s[0] == '&' (n code points left); writes its value to out and
   returns how many code points it consumed (0: not a reference). full: Python's html.unescape;
   otherwise ftfy's (only references ending in ';'). */
static int sd__html_ref(const uint32_t *s, size_t n, uint32_t *out, int *nout, int full)
{
    size_t i, k;
    *nout = 0;
    if (n < 2) return 0;
    if (s[1] == '#') {   /* &#123; &#x1F; */
        int hex = n > 2 && (s[2] == 'x' || s[2] == 'X'), digits = 0;
        uint32_t v = 0;
        i = hex ? 3 : 2;
        for (; i < n; i++, digits++) {
            uint32_t c = s[i], d = c >= '0' && c <= '9' ? c - '0' : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10 : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
            if (d == 99) break;
            v = v > 0x10FFFF ? 0x110000 : v * (hex ? 16 : 10) + d;
        }
        if (!digits) return 0;
        if (i < n && s[i] == ';') i++;
        else if (!full) return 0;
        if (v == 0) out[(*nout)++] = 0xFFFD;
        else if (v == 0x0D) out[(*nout)++] = 0x0D;
        else if (v >= 0x80 && v <= 0x9F) out[(*nout)++] = sd__cp1252[v - 0x80] ? sd__cp1252[v - 0x80] : v;
        else if ((v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF) out[(*nout)++] = 0xFFFD;
        else if ((v >= 0x1 && v <= 0x8) || v == 0xB || (v >= 0xE && v <= 0x1F) || (v >= 0x7F && v <= 0x9F) ||
                 (v >= 0xFDD0 && v <= 0xFDEF) || (v & 0xFFFE) == 0xFFFE) {}   /* Python drops these */
        else out[(*nout)++] = v;
        return (int)i;
    }
    /* a name: [^\t\n\f <&#;]{1,32};? then the table; without a full match, its longest prefix
       among the names taken without ';' */
    for (i = 1; i < n && i <= 32; i++) {
        uint32_t c = s[i];
        if (c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' || c == ';' || c > 0x7F) break;
    }
    if (i == 1) return 0;
    {
        size_t len = i - 1 + (i < n && s[i] == ';');    /* name length, with its ';' if there */
        size_t try_len;
        for (try_len = len; try_len >= 1; try_len--) {
            const char *r = sd__uc_html_names();
            if (try_len < len && !full) break;
            if (try_len < len && try_len < 2) break;
            while (*r) {
                const char *sp = strchr(r, ' '), *end = strchr(sp + 1, ';');
                size_t nl = (size_t)(sp - r);
                if (nl == try_len) {
                    for (k = 0; k < nl && (uint32_t)(unsigned char)r[k] == s[1 + k]; k++) {}
                    if (k == nl && (try_len == len || r[nl - 1] != ';')) {
                        const char *v = sp + 1;
                        while (v < end) {
                            out[(*nout)++] = (uint32_t)strtoul(v, (char **)&v, 16);
                            if (*v == ',') v++;
                        }
                        return (int)(1 + try_len);
                    }
                }
                r = end + 1;
            }
        }
    }
    return 0;
}

/* one round of unescaping over s[0..n); returns the new length (never longer) */
static size_t sd__html_unescape(uint32_t *s, size_t n, int full)
{
    size_t i = 0, o = 0;
    while (i < n) {
        uint32_t val[4];
        int nv = 0, used = s[i] == '&' ? sd__html_ref(s + i, n - i, val, &nv, full) : 0, k;
        if (used > 0) {
            for (k = 0; k < nv; k++) s[o++] = val[k];
            i += (size_t)used;
        } else s[o++] = s[i++];
    }
    return o;
}

/* full canonical decomposition of c appended to out; returns the count */
static int sd__uc_decompose(uint32_t c, uint32_t *out)
{
    int n = 0;
    uint32_t a, b;
    if (c >= 0xAC00 && c < 0xAC00 + 11172) {   /* Hangul syllables: algorithmic */
        uint32_t s = c - 0xAC00;
        out[n++] = 0x1100 + s / 588;
        out[n++] = 0x1161 + (s % 588) / 28;
        if (s % 28) out[n++] = 0x11A7 + s % 28;
        return n;
    }
    if (!sd__uc_decomposition(c, &a, &b)) { out[0] = c; return 1; }
    n = sd__uc_decompose(a, out);
    if (b) n += sd__uc_decompose(b, out + n);
    return n;
}

/* unicodedata.normalize('NFC'): decompose, order the marks by class, compose; tmp holds 4n+4 */
static size_t sd__nfc(uint32_t *s, size_t n, uint32_t *tmp)
{
    size_t i, m = 0, o, starter;
    int last_ccc;
    for (i = 0; i < n; i++) m += (size_t)sd__uc_decompose(s[i], tmp + m);
    for (i = 1; i < m; i++) {   /* canonical order: a stable sort of each run of marks */
        size_t j = i;
        while (j > 0) {
            int a = sd__uc_class(tmp[j - 1]), b = sd__uc_class(tmp[j]);
            uint32_t t;
            if (b == 0 || a <= b) break;
            t = tmp[j]; tmp[j] = tmp[j - 1]; tmp[j - 1] = t;
            j--;
        }
    }
    if (m == 0) return 0;
    s[0] = tmp[0];
    starter = 0; o = 1;
    last_ccc = sd__uc_class(tmp[0]) ? 256 : 0;
    for (i = 1; i < m; i++) {
        uint32_t c = tmp[i], st = s[starter];
        int cc = sd__uc_class(c);
        if (last_ccc < cc || (last_ccc == 0 && o == starter + 1)) {   /* not blocked from the starter */
            uint32_t comp = 0;
            if (st >= 0x1100 && st < 0x1113 && c >= 0x1161 && c < 0x1176) comp = 0xAC00 + ((st - 0x1100) * 21 + (c - 0x1161)) * 28;
            else if (st >= 0xAC00 && st < 0xAC00 + 11172 && (st - 0xAC00) % 28 == 0 && c > 0x11A7 && c < 0x11C3) comp = st + (c - 0x11A7);
            else comp = sd__uc_compose(st, c);
            if (comp) { s[starter] = comp; continue; }
        }
        if (cc == 0) { starter = o; last_ccc = 0; }
        else last_ccc = cc;
        s[o++] = c;
    }
    return o;
}

/* ftfy's fixes that apply to a typed prompt (see the section comment) */
static size_t sd__ftfy(const uint32_t *in, size_t n, uint32_t *s)
{
    size_t i, o = 0;
    for (i = 0; i < n; i++) {
        uint32_t c = in[i];
        if (c >= 0x80 && c <= 0x9F && sd__cp1252[c - 0x80]) c = sd__cp1252[c - 0x80];   /* fix_c1_controls */
        if (c == 0x2018 || c == 0x2019 || c == 0x201A || c == 0x201B) c = '\'';       /* uncurl_quotes */
        else if (c == 0x201C || c == 0x201D || c == 0x201E || c == 0x201F) c = '"';
        c = sd__uc_fold_width(c);                                                        /* fix_character_width */
        if ((c >= 0x132 && c <= 0x1F3) || (c >= 0xFB00 && c <= 0xFB06)) {              /* fix_latin_ligatures */
            /* ftfy's table: each ligature to its NFKC form */
            static const uint16_t lig[22][4] = {
                { 0x132, 'I', 'J', 0 }, { 0x133, 'i', 'j', 0 }, { 0x149, 0x2BC, 'n', 0 },
                { 0x1C4, 'D', 0x17D, 0 }, { 0x1C5, 'D', 0x17E, 0 }, { 0x1C6, 'd', 0x17E, 0 },
                { 0x1C7, 'L', 'J', 0 }, { 0x1C8, 'L', 'j', 0 }, { 0x1C9, 'l', 'j', 0 },
                { 0x1CA, 'N', 'J', 0 }, { 0x1CB, 'N', 'j', 0 }, { 0x1CC, 'n', 'j', 0 },
                { 0x1F1, 'D', 'Z', 0 }, { 0x1F2, 'D', 'z', 0 }, { 0x1F3, 'd', 'z', 0 },
                { 0xFB00, 'f', 'f', 0 }, { 0xFB01, 'f', 'i', 0 }, { 0xFB02, 'f', 'l', 0 }, { 0xFB03, 'f', 'f', 'i' },
                { 0xFB04, 'f', 'f', 'l' }, { 0xFB05, 's', 't', 0 }, { 0xFB06, 's', 't', 0 } };
            int k, j;
            for (k = 0; k < 22 && lig[k][0] != c; k++) {}
            if (k < 22) {
                for (j = 1; j < 3 && lig[k][j + 1]; j++) s[o++] = lig[k][j];
                c = lig[k][j];
            }
        }
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != 0x0C) || c == 0x7F ||   /* remove_control_chars */
            (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC) || (c >= 0xE0000 && c <= 0xE007F))
            continue;
        s[o++] = c;
    }
    return o;
}

/* CLIP's whole normalization of a prompt into *text (UTF-8, allocated). A code point grows into at
   most 3 (ligatures), each of those decomposes into at most 4: buffers of 12 per input byte. */
static sd_result sd__clip_normalize(sd_model *m, const char *in, size_t len, char **text, size_t *outlen)
{
    uint32_t *a = (uint32_t *)sd__malloc(m, (12 * len + 16) * sizeof(uint32_t)), *b = (uint32_t *)sd__malloc(m, (12 * len + 16) * sizeof(uint32_t));
    size_t n, i, o;
    int has_lt = 0;
    char *out;
    *text = NULL;
    if (!a || !b) { sd__free(m, a); sd__free(m, b); return sd__fail(m, SD_ERR_NOMEM, "out of memory tokenizing"); }
    n = sd__utf8_decode((const unsigned char *)in, len, a);
    for (i = 0; i < n; i++) if (a[i] == '<') has_lt = 1;
    if (!has_lt) n = sd__html_unescape(a, n, 0);                       /* ftfy.fix_text */
    n = sd__ftfy(a, n, b);
    n = sd__nfc(b, n, a);
    memcpy(a, b, n * sizeof(uint32_t));
    n = sd__html_unescape(a, n, 1);                                    /* html.unescape, twice */
    n = sd__html_unescape(a, n, 1);
    for (i = 0, o = 0; i < n; i++) {                                   /* whitespace folding and strip */
        if (sd__uc_props(a[i]) & 4) {
            if (o && b[o - 1] != ' ') b[o++] = ' ';
        } else b[o++] = a[i];
    }
    while (o && b[o - 1] == ' ') o--;
    for (i = 0, n = 0; i < o; i++) {                                   /* str.lower() */
        uint32_t c = b[i];
        if (c == 0x130) { a[n++] = 'i'; a[n++] = 0x307; continue; }
        if (c == 0x3A3) {   /* final sigma: after a cased letter and not before one (case-ignorables skipped) */
            size_t j;
            int before = 0, after = 0;
            for (j = i; j-- > 0;) { int p = sd__uc_props(b[j]); if (p & 16) continue; before = (p & 8) != 0; break; }
            for (j = i + 1; j < o; j++) { int p = sd__uc_props(b[j]); if (p & 16) continue; after = (p & 8) != 0; break; }
            a[n++] = before && !after ? 0x3C2 : 0x3C3;
            continue;
        }
        a[n++] = sd__uc_tolower(c);
    }
    out = (char *)sd__malloc(m, 4 * n + 1);
    if (!out) { sd__free(m, a); sd__free(m, b); return sd__fail(m, SD_ERR_NOMEM, "out of memory tokenizing"); }
    for (i = 0, o = 0; i < n; i++) o += (size_t)sd__utf8_put(out + o, a[i]);
    out[o] = 0;
    sd__free(m, a); sd__free(m, b);
    *text = out;
    *outlen = o;
    return SD_OK;
}

/* CLIP's split: <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
   over UTF-8 text (valid, from sd__clip_normalize); pieces get (byte offset, byte length) pairs */
static int sd__clip_split(const char *s, size_t n, int *pieces)
{
    static const char *const contr[] = { "'s", "'t", "'re", "'ve", "'m", "'ll", "'d" };
    size_t i = 0;
    int np = 0;
    while (i < n) {
        uint32_t c;
        size_t j, len;
        int p, k;
        {   /* the code point at i and its length */
            unsigned char b = (unsigned char)s[i];
            len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
            if (i + len > n) len = n - i;
            sd__utf8_decode((const unsigned char *)s + i, len, &c);
        }
        p = sd__uc_props(c);
        j = i;
        if (n - i >= 15 && memcmp(s + i, "<|startoftext|>", 15) == 0) j = i + 15;
        else if (n - i >= 13 && memcmp(s + i, "<|endoftext|>", 13) == 0) j = i + 13;
        else if (c == '\'') {
            for (k = 0; k < 7 && j == i; k++) {
                size_t l = strlen(contr[k]);
                if (n - i >= l && memcmp(s + i, contr[k], l) == 0) j = i + l;
            }
        }
        if (j == i) {
            int want = p & 1 ? 1 : p & 2 ? 2 : p & 4 ? 4 : 0;
            if (want == 4) { i += len; continue; }                    /* spaces separate */
            j = i + len;
            if (want != 2)   /* letters run; other symbols run; a digit stands alone */
                while (j < n) {
                    unsigned char b = (unsigned char)s[j];
                    size_t l = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
                    uint32_t d;
                    int q;
                    if (j + l > n) l = n - j;
                    sd__utf8_decode((const unsigned char *)s + j, l, &d);
                    q = sd__uc_props(d);
                    if (want == 1 ? !(q & 1) : (q & 7) != 0) break;
                    j += l;
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
    size_t len, tlen = 0, maxpiece = 0;
    sd_result r;
    *count = 0;
    if (!v) return sd__fail(m, SD_ERR_STATE, "no vocabulary loaded (sd_load_vocab with the model's tokenizer/merges.txt)");
    if (!prompt) prompt = "";
    len = strlen(prompt);
    /* (BPE is quadratic in the length of a word: a 64 KB word of random letters takes ~2 s) */
    if (len > ((size_t)1 << 16)) return sd__fail(m, SD_ERR_ARG, "prompt of %lu bytes: over the 64 KB limit", (unsigned long)len);
    if ((r = sd__clip_normalize(m, prompt, len, &text, &tlen)) != SD_OK) return r;
    pieces = (int *)sd__malloc(m, (2 * tlen + 2) * sizeof(int));
    if (!pieces) { sd__free(m, text); return sd__fail(m, SD_ERR_NOMEM, "out of memory tokenizing"); }
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
    for (i = n + 1; i < SD_TOKENS; i++) ids[i] = i == n + 1 || m->pad < 0 ? m->vocab->eos : m->pad;
    return SD_OK;
}

/* ================================================================ prompts
   How A1111 and ComfyUI read a prompt, on top of the tokenizer: weights in brackets, BREAK,
   chunks of 75 tokens, textual-inversion embeddings in place of their trigger words.
     parse   prompt -> (text, weight) runs                     (sd_prompt_parse)
     chunk   runs -> chunks of 77 ids and 77 weights           (sd_prompt_tokens)
     encode  each chunk alone through the text encoder, then the weights as the UI applies them,
             the chunks joined along the tokens -> [77k, D]   (sd_encode_prompt, with the stages) */

#define SD__CHUNK 75              /* tokens of a chunk between BOS and EOS */
#define SD__EMB_SLOTS 128         /* slot ids: -1 - (128 e + i), vector i < 128 of embedding e */
#define SD__COMMA 267             /* ",</w>": where A1111 cuts a full chunk */

typedef struct sd__embedding {    /* a textual-inversion embedding */
    char *name;                   /* its trigger word */
    int n, width;                 /* vectors, and their width */
    float *vec;                   /* [n, width] */
} sd__embedding;

/* one code point of UTF-8 at s[i] (i < n), its length in *len; a bad byte reads as U+FFFD */
static uint32_t sd__cp_at(const char *s, size_t i, size_t n, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s + i;
    size_t need = u[0] < 0xC2 ? 1 : u[0] < 0xE0 ? 2 : u[0] < 0xF0 ? 3 : u[0] < 0xF5 ? 4 : 1;
    uint32_t c[4];
    if (need > n - i) need = n - i;
    if (u[0] < 0x80 || sd__utf8_decode(u, need, c) != 1) { *len = 1; return u[0] < 0x80 ? u[0] : 0xFFFD; }
    *len = need;
    return c[0];
}

/* the code point that ends just before s[i] (lo < i), its length in *len */
static uint32_t sd__cp_before(const char *s, size_t lo, size_t i, size_t *len)
{
    size_t b = i - 1, k;
    uint32_t c;
    while (b > lo && i - b < 4 && ((unsigned char)s[b] & 0xC0) == 0x80) b--;
    c = sd__cp_at(s, b, i, &k);
    if (b + k != i) { *len = 1; return 0xFFFD; }   /* not one whole code point */
    *len = k;
    return c;
}

/* Python's \w and \s on str (Unicode letters and digits, and _; Unicode white space) */
static int sd__re_word(uint32_t c) { return c == '_' || (sd__uc_props(c) & 3) != 0; }
static int sd__re_space(uint32_t c) { return (c >= 0x1C && c <= 0x1F) || (sd__uc_props(c) & 4) != 0; }

/* A number as Python's float() reads it (python = 1: white space around, _ between digits,
   exponent, inf, nan) or as A1111's [+-]?[.\d]+ (python = 0). Returns 0 if it is not one.
   The digits go to strtod as "DIGITSeEXP", which no locale reads differently. */
static int sd__number(const char *s, size_t n, int python, double *out)
{
    char buf[540];
    size_t i = 0, o = 0, nd = 0;
    long exp = 0;
    int neg = 0, dot = 0, any = 0;
    size_t k;
    if (python) {
        while (n > 0 && sd__re_space(sd__cp_before(s, 0, n, &k))) n -= k;
        while (i < n && sd__re_space(sd__cp_at(s, i, n, &k))) i += k;
    }
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    if (python && n - i >= 3 && n - i <= 8) {   /* inf, infinity, nan in any case */
        char w[9];
        for (k = 0; k < n - i; k++) w[k] = (char)(s[i + k] >= 'A' && s[i + k] <= 'Z' ? s[i + k] + 32 : s[i + k]);
        w[n - i] = 0;
        if (!strcmp(w, "inf") || !strcmp(w, "infinity")) { *out = neg ? -HUGE_VAL : HUGE_VAL; return 1; }
        if (!strcmp(w, "nan")) { *out = neg ? -(HUGE_VAL - HUGE_VAL) : HUGE_VAL - HUGE_VAL; return 1; }
    }
    if (neg) buf[o++] = '-';
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            any = 1;
            if (nd == 0 && c == '0') { if (dot) exp--; continue; }   /* leading zeros */
            if (nd < 500) { buf[o++] = c; nd++; if (dot) exp--; }
            else if (!dot) exp++;                                     /* digits past 500: magnitude only */
        } else if (c == '.' && !dot) dot = 1;
        else if (python && c == '_' && i > 0 && i + 1 < n && s[i - 1] >= '0' && s[i - 1] <= '9' && s[i + 1] >= '0' && s[i + 1] <= '9') continue;
        else break;
    }
    if (!any) return 0;
    if (python && i < n && (s[i] == 'e' || s[i] == 'E')) {
        long e = 0;
        int eneg = 0, edig = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        for (; i < n; i++) {
            if (s[i] >= '0' && s[i] <= '9') { if (e < 100000) e = e * 10 + (s[i] - '0'); edig = 1; }
            else if (s[i] == '_' && edig && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9') continue;
            else break;
        }
        if (!edig) return 0;
        exp += eneg ? -e : e;
    }
    if (i != n) return 0;
    if (nd == 0) { *out = neg ? -0.0 : 0.0; return 1; }
    sprintf(buf + o, "e%ld", exp);
    *out = strtod(buf, NULL);
    return 1;
}

/* ---------------------------------------------------------------- parsing */

typedef struct sd__ent { size_t at, len; double w; } sd__ent;   /* text buf[at, at+len) and its weight */

typedef struct sd__pp {           /* a parse under way: entries over one text buffer, in order */
    sd__ent *e;
    int n;
    char *buf;
    size_t used;
} sd__pp;

static void sd__pp_add(sd__pp *p, const char *s, size_t len, double w)
{
    memcpy(p->buf + p->used, s, len);
    p->e[p->n].at = p->used; p->e[p->n].len = len; p->e[p->n].w = w;
    p->used += len; p->n++;
}

/* A1111's plain text: split at each \s*\bBREAK\b\s* into pieces of weight 1 with ("BREAK", -1) between */
static void sd__a1111_text(sd__pp *p, const char *s, size_t n)
{
    size_t start = 0, k = 0, len;
    while (k + 5 <= n) {
        if (memcmp(s + k, "BREAK", 5) == 0 && (k == 0 || !sd__re_word(sd__cp_before(s, 0, k, &len))) &&
            (k + 5 == n || !sd__re_word(sd__cp_at(s, k + 5, n, &len)))) {
            size_t a = k, b = k + 5;
            while (a > start && sd__re_space(sd__cp_before(s, start, a, &len))) a -= len;
            while (b < n && sd__re_space(sd__cp_at(s, b, n, &len))) b += len;
            sd__pp_add(p, s + start, a - start, 1.0);
            sd__pp_add(p, "BREAK", 5, -1.0);
            start = k = b;
        } else k++;
    }
    sd__pp_add(p, s + start, n - start, 1.0);
}

static void sd__pp_scale(sd__pp *p, int from, double by) { for (; from < p->n; from++) p->e[from].w *= by; }

/* A1111's parse_prompt_attention: one scan, the tokens of its regular expression in its order */
static void sd__parse_a1111(sd__pp *p, const char *s, size_t n, int *round, int *square)
{
    int nr = 0, nsq = 0, i;
    size_t at = 0, len;
    while (at < n) {
        char c = s[at];
        if (c == '\\') {                                  /* \( \) \[ \] \\ , or a lone backslash (gone) */
            int esc = at + 1 < n && strchr("()[]\\", s[at + 1]) != NULL;
            sd__pp_add(p, s + at + 1, (size_t)esc, 1.0);
            at += 1 + (size_t)esc;
        } else if (c == '(') { round[nr++] = p->n; at++; }
        else if (c == '[') { square[nsq++] = p->n; at++; }
        else if (c == ':') {                              /* :\s*([+-]?[.\d]+)\s*\) */
            size_t j = at + 1, a, b;
            double v;
            while (j < n && sd__re_space(sd__cp_at(s, j, n, &len))) j += len;
            a = j;
            if (j < n && (s[j] == '+' || s[j] == '-')) j++;
            while (j < n && (s[j] == '.' || (s[j] >= '0' && s[j] <= '9'))) j++;
            b = j;
            while (j < n && sd__re_space(sd__cp_at(s, j, n, &len))) j += len;
            if (b > a && (s[a] != '+' && s[a] != '-' ? 1 : b > a + 1) && j < n && s[j] == ')') {
                if (nr > 0 && sd__number(s + a, b - a, 0, &v)) sd__pp_scale(p, round[--nr], v);
                else sd__a1111_text(p, s + at, j + 1 - at);   /* no open bracket (or no number): text */
                at = j + 1;
            } else { sd__a1111_text(p, ":", 1); at++; }
        } else if (c == ')' && nr > 0) { sd__pp_scale(p, round[--nr], 1.1); at++; }
        else if (c == ']' && nsq > 0) { sd__pp_scale(p, square[--nsq], 1.0 / 1.1); at++; }
        else if (c == ')' || c == ']') { sd__a1111_text(p, s + at, 1); at++; }
        else {
            size_t j = at;
            while (j < n && !strchr("\\()[]:", s[j])) j++;
            sd__a1111_text(p, s + at, j - at);
            at = j;
        }
    }
    for (i = 0; i < nr; i++) sd__pp_scale(p, round[i], 1.1);           /* unclosed: to the end */
    for (i = 0; i < nsq; i++) sd__pp_scale(p, square[i], 1.0 / 1.1);
    if (p->n == 0) sd__pp_add(p, "", 0, 1.0);
    {   /* neighbours of exactly equal weight become one (their texts are neighbours in buf) */
        int o = 0;
        for (i = 1; i < p->n; i++)
            if (p->e[i].w == p->e[o].w) p->e[o].len += p->e[i].len;
            else p->e[++o] = p->e[i];
        p->n = o + 1;
    }
}

/* ComfyUI's token_weights on an escaped prompt (\) and \( as the two bytes 0 1 and 0 2): at the top
   level, split into "(...)" groups and plain text (parse_parentheses); a group's inside is parsed
   again with its weight times 1.1, or with the number after its last ':' (absolute). With a stack,
   not recursion: brackets 64 K deep are only work, never a stack overflow. */
typedef struct sd__seg { size_t at, len; double w; int item; } sd__seg;

static void sd__parse_comfy(sd__pp *p, const char *s, size_t n, sd__seg *stack, sd__seg *items)
{
    int top = 0;
    stack[0].at = 0; stack[0].len = n; stack[0].w = 1.0; stack[0].item = 0; top = 1;
    while (top > 0) {
        sd__seg g = stack[--top];
        const char *x = s + g.at;
        size_t i, cur = 0, curlen = 0;
        int level = 0, ni = 0;
        if (g.item) {                     /* an item: "(...)" opens with its weight, else it is text */
            if (g.len >= 2 && x[0] == '(' && x[g.len - 1] == ')') {
                size_t in = g.len - 2, colon = in;
                double w = g.w * 1.1, v;
                for (i = in; i-- > 0;) if (x[1 + i] == ':') { colon = i; break; }
                if (colon != in && colon > 0 && sd__number(x + 2 + colon, in - colon - 1, 1, &v)) { w = v; in = colon; }
                stack[top].at = g.at + 1; stack[top].len = in; stack[top].w = w; stack[top].item = 0; top++;
            } else sd__pp_add(p, x, g.len, g.w);
            continue;
        }
        for (i = 0; i < g.len; i++) {     /* parse_parentheses: every character joins the current item */
            if (x[i] == '(' && level == 0 && curlen) { items[ni].at = g.at + cur; items[ni].len = curlen; ni++; curlen = 0; }
            if (curlen == 0) cur = i;
            curlen++;
            if (x[i] == '(') level++;
            else if (x[i] == ')' && --level == 0) { items[ni].at = g.at + cur; items[ni].len = curlen; ni++; curlen = 0; }
        }
        if (curlen) { items[ni].at = g.at + cur; items[ni].len = curlen; ni++; }
        while (ni-- > 0) {                /* pushed last first: they come off in order */
            stack[top] = items[ni]; stack[top].w = g.w; stack[top].item = 1; top++;
        }
    }
}

/* (m: whose allocator; NULL: SD_MALLOC) */
static void *sd__alloc_for(sd_model *m, size_t n) { return m ? sd__malloc(m, n) : SD_MALLOC(n == 0 ? 1 : n); }
static void sd__free_for(sd_model *m, void *p) { if (m) sd__free(m, p); else SD_FREE(p); }

static int sd__prompt_parse(sd_model *m, sd_weighting w, const char *prompt, sd_prompt_run *runs, int max_runs, char *text, size_t text_size)
{
    size_t n, i, o;
    sd__pp p;
    char *esc = NULL;
    int *br = NULL, k, ok = 1;
    sd__seg *st = NULL;
    if (!prompt) prompt = "";
    n = strlen(prompt);
    if (n > ((size_t)1 << 20)) return -1;
    p.n = 0; p.used = 0;
    p.e = (sd__ent *)sd__alloc_for(m, (n + 2) * sizeof *p.e);
    p.buf = (char *)sd__alloc_for(m, n + 1);
    if (!p.e || !p.buf) { sd__free_for(m, p.e); sd__free_for(m, p.buf); return -1; }
    if (w == SD_WEIGHTING_A1111) {
        br = (int *)sd__alloc_for(m, (2 * n + 2) * sizeof *br);
        if ((ok = br != NULL)) sd__parse_a1111(&p, prompt, n, br, br + n + 1);
    } else if (w == SD_WEIGHTING_COMFY) {
        esc = (char *)sd__alloc_for(m, n + 1);
        st = (sd__seg *)sd__alloc_for(m, (2 * n + 4) * sizeof *st);
        if ((ok = esc && st)) {
            for (i = 0; i < n; i++) {      /* escape_important: \) -> 0 1, \( -> 0 2 */
                esc[i] = prompt[i];
                if (prompt[i] == '\\' && i + 1 < n && (prompt[i + 1] == ')' || prompt[i + 1] == '(')) {
                    esc[i] = 0; esc[i + 1] = prompt[i + 1] == ')' ? 1 : 2; i++;
                }
            }
            sd__parse_comfy(&p, esc, n, st, st + n + 2);
            for (k = 0; k < p.n; k++) {     /* unescape_important, in place (texts only shrink) */
                char *t = p.buf + p.e[k].at;
                size_t len = p.e[k].len, j;
                for (i = 0, j = 0; i < len; i++) t[j++] = t[i] == 0 && i + 1 < len && (t[i + 1] == 1 || t[i + 1] == 2) ? (t[++i] == 1 ? ')' : '(') : t[i];
                p.e[k].len = j;
            }
        }
    } else sd__pp_add(&p, prompt, n, 1.0);
    if (ok && p.n <= max_runs) {
        for (k = 0, o = 0; k < p.n && ok; k++) {
            if (o + p.e[k].len + 1 > text_size) { ok = 0; break; }
            memcpy(text + o, p.buf + p.e[k].at, p.e[k].len);
            text[o + p.e[k].len] = 0;
            runs[k].text = text + o; runs[k].weight = p.e[k].w;
            o += p.e[k].len + 1;
        }
    } else ok = 0;
    k = p.n;
    sd__free_for(m, p.e); sd__free_for(m, p.buf); sd__free_for(m, br); sd__free_for(m, esc); sd__free_for(m, st);
    return ok ? k : -1;
}

SDDEF int sd_prompt_parse(sd_weighting w, const char *prompt, sd_prompt_run *runs, int max_runs, char *text, size_t text_size)
{
    return sd__prompt_parse(NULL, w, prompt, runs, max_runs, text, text_size);
}

/* ---------------------------------------------------------------- extra-network tags */

/* one <TYPE:ARGS> tag at s[i] (TYPE of word characters, ARGS up to the first '>'): its end, or 0 */
static size_t sd__tag_at(const char *s, size_t i, size_t n, size_t *colon)
{
    size_t j = i + 1, len;
    if (s[i] != '<') return 0;
    while (j < n && s[j] != ':' && sd__re_word(sd__cp_at(s, j, n, &len))) j += len;
    if (j == i + 1 || j >= n || s[j] != ':' || j + 1 >= n || s[j + 1] == '>') return 0;
    *colon = j;
    for (j += 1; j < n && s[j] != '>'; j++) {}
    return j < n ? j + 1 : 0;
}

SDDEF int sd_prompt_loras(const char *prompt, char *out, sd_lora_tag *loras, int max)
{
    size_t n, i, o = 0, colon, end;
    int found = 0;
    if (!prompt) prompt = "";
    n = strlen(prompt);
    for (i = 0; i < n;) {
        if ((end = sd__tag_at(prompt, i, n, &colon)) == 0) { if (out) out[o++] = prompt[i]; i++; continue; }
        if (colon - i - 1 == 4 && !memcmp(prompt + i + 1, "lora", 4)) {   /* NAME[:TE[:UNET]], te=, unet= */
            const char *a = prompt + colon + 1, *e = prompt + end - 1;
            double v[2];
            int npos = 0, has[2] = { 0, 0 };
            sd_lora_tag tag;
            memset(&tag, 0, sizeof tag);
            while (a <= e) {
                const char *b = a, *eq;
                size_t len;
                while (b < e && *b != ':') b++;
                len = (size_t)(b - a);
                eq = (const char *)memchr(a, '=', len);
                if (eq && !memchr(eq + 1, '=', (size_t)(b - eq - 1))) {          /* k=v */
                    int k = (size_t)(eq - a) == 2 && !memcmp(a, "te", 2) ? 0 : (size_t)(eq - a) == 4 && !memcmp(a, "unet", 4) ? 1 : -1;
                    if (k >= 0) { if (!sd__number(eq + 1, (size_t)(b - eq - 1), 1, &v[k])) return -1; has[k] = 2; }
                } else if (npos == 0) {
                    if (len >= sizeof tag.name) return -1;
                    memcpy(tag.name, a, len); tag.name[len] = 0; npos++;
                } else if (npos <= 2) {
                    if (has[npos - 1] < 2 && !sd__number(a, len, 1, &v[npos - 1])) return -1;
                    if (has[npos - 1] < 2) has[npos - 1] = 1;
                    npos++;
                }
                a = b + 1;
            }
            tag.te_weight = has[0] ? (float)v[0] : 1.0f;
            tag.unet_weight = has[1] ? (float)v[1] : tag.te_weight;
            if (loras && found < max) loras[found] = tag;
            found++;
        }
        i = end;   /* every tag leaves the text; the spaces around it stay */
    }
    if (out) out[o] = 0;
    return found;
}

/* ---------------------------------------------------------------- textual-inversion embeddings */

SDDEF void sd_clear_embeddings(sd_model *m)
{
    int i;
    for (i = 0; i < m->n_emb; i++) { sd__free(m, m->emb[i].name); sd__free(m, m->emb[i].vec); }
    sd__free(m, m->emb);
    m->emb = NULL; m->n_emb = 0;
}

SDDEF int sd_embedding_count(const sd_model *m) { return m ? m->n_emb : 0; }

SDDEF const char *sd_embedding_name(const sd_model *m, int e) { return m && e >= 0 && e < m->n_emb ? m->emb[e].name : NULL; }

static sd_result sd__pickle_embedding(sd_model *m, const char *name)
{
    return sd__fail(m, SD_ERR_FORMAT, "this is a PyTorch .pt (pickle) embedding, not safetensors; convert it: python3 -c \"import torch, "
                    "safetensors.torch as s; d = torch.load('%s.pt'); s.save_file({'emb_params': d['string_to_param']['*']}, '%s.safetensors')\"",
                    name, name);
}

static int sd__has_named(const sd__tensor *t, int nt, const char *name)
{
    int i;
    for (i = 0; i < nt; i++) if (strcmp(t[i].name, name) == 0) return 1;
    return 0;
}

SDDEF sd_result sd_load_embedding_memory(sd_model *m, const char *name, const void *data, size_t size)
{
    sd__source src;
    sd__tensor *t = NULL;
    sd__embedding e, *grown;
    int nt = 0, i, D = sd__dim(m, SD__CLIP "embeddings.token_embedding.weight", 1);   /* 0 before a model is loaded */
    sd_result r;
    m->err[0] = 0;
    memset(&e, 0, sizeof e);
    if (!name || !name[0] || strlen(name) > 200) return sd__fail(m, SD_ERR_ARG, "an embedding needs a trigger word (1..200 bytes)");
    if (!data) return sd__fail(m, SD_ERR_ARG, "embedding '%s': no data", name);
    memset(&src, 0, sizeof src);
    src.bytes = (const unsigned char *)data; src.size = size;
    if (sd__is_pickle(data, size)) r = sd__pickle_embedding(m, name);
    else r = sd__parse(m, &src, 0, src.bytes, &t, &nt, 0);
    if (r == SD_OK && nt != 1)
        r = sd__fail(m, SD_ERR_FORMAT, "%d tensors where an embedding has one%s", nt,
                     nt == 2 && (sd__has_named(t, nt, "clip_l") || sd__has_named(t, nt, "clip_g")) ? " (clip_l and clip_g: an SDXL embedding)" : "");
    if (r == SD_OK) {
        const sd__tensor *x = t;
        e.n = x->ndim == 1 ? 1 : (int)x->shape[0];
        e.width = x->ndim >= 1 ? (int)x->shape[x->ndim - 1] : 0;
        if (x->ndim < 1 || x->ndim > 2 || e.width < 1 || e.width > 65536 || e.n < 1)
            r = sd__fail(m, SD_ERR_FORMAT, "tensor '%s' is not [vectors, width] or [width]", x->name);
        else if (e.n > SD__CHUNK)
            r = sd__fail(m, SD_ERR_FORMAT, "%d vectors: more than the %d tokens of a chunk", e.n, SD__CHUNK);
        else if (!sd__is_float(x->dtype))
            r = sd__fail(m, SD_ERR_FORMAT, "tensor '%s' is %s, not a float type", x->name, sd__dtype_name[x->dtype]);
        else if (D > 0 && e.width != D)
            r = sd__fail(m, SD_ERR_MODEL, "vectors %d wide; this model's text encoder is %d wide (an embedding for another family?)", e.width, D);
        else if (!(e.vec = (float *)sd__malloc(m, (size_t)e.n * e.width * sizeof(float))) || !(e.name = (char *)sd__malloc(m, strlen(name) + 1)))
            r = sd__fail(m, SD_ERR_NOMEM, "out of memory");
        else {
            sd__decode(e.vec, x->data, x->dtype, 0, (size_t)e.n * e.width);
            for (i = 0; i < e.n * e.width; i++)
                if (e.vec[i] - e.vec[i] != 0.0f) { r = sd__fail(m, SD_ERR_NUMERIC, "tensor '%s' holds NaN or Inf", x->name); break; }
            strcpy(e.name, name);
        }
    }
    for (i = 0; i < nt; i++) if (t[i].owned_name) sd__free(m, t[i].name);
    sd__free(m, t); sd__free(m, src.header);
    for (i = 0; r == SD_OK && i < m->n_emb; i++)   /* a trigger loaded again: the new vectors */
        if (strcmp(m->emb[i].name, name) == 0) {
            sd__free(m, m->emb[i].name); sd__free(m, m->emb[i].vec);
            m->emb[i] = e;
            return SD_OK;
        }
    if (r == SD_OK && !(grown = (sd__embedding *)sd__malloc(m, (size_t)(m->n_emb + 1) * sizeof *grown))) r = sd__fail(m, SD_ERR_NOMEM, "out of memory");
    if (r != SD_OK) {
        char pre[240];
        sd__free(m, e.name); sd__free(m, e.vec);
        return sd__wrap(m, r, sd__fmt(pre, sizeof pre, "embedding '%s'", name), NULL);
    }
    if (m->n_emb) memcpy(grown, m->emb, (size_t)m->n_emb * sizeof *grown);
    grown[m->n_emb] = e;
    sd__free(m, m->emb);
    m->emb = grown; m->n_emb++;
    return SD_OK;
}

#ifndef SD_NO_STDIO
SDDEF sd_result sd_load_embedding(sd_model *m, const char *path)
{
    const char *base, *dot, *p;
    char name[256], where[300];
    unsigned char *b;
    size_t n, len;
    sd_result r;
    m->err[0] = 0;
    if (!path) return sd__fail(m, SD_ERR_ARG, "embedding: no path");
    for (base = p = path; *p; p++) if (*p == '/' || *p == '\\') base = p + 1;
    dot = strrchr(base, '.');
    len = dot && dot > base ? (size_t)(dot - base) : strlen(base);
    if (len == 0 || len >= sizeof name) return sd__fail(m, SD_ERR_ARG, "embedding '%s': the file name gives no trigger word", path);
    memcpy(name, base, len); name[len] = 0;
    if (dot && (!strcmp(dot, ".pt") || !strcmp(dot, ".bin") || !strcmp(dot, ".ckpt"))) {
        char pre[300];
        r = sd__wrap(m, sd__pickle_embedding(m, name), sd__fmt(pre, sizeof pre, "embedding '%s'", name), NULL);
    }
    else if ((r = sd__read_file(m, path, &b, &n)) != SD_OK) return r;
    else {
        r = sd_load_embedding_memory(m, name, b, n);
        sd__free(m, b);
    }
    return sd__wrap(m, r, NULL, sd__fmt(where, sizeof where, " ('%s')", path));
}
#endif

/* ---------------------------------------------------------------- chunks */

typedef struct sd__chunker {      /* chunks of 77 being made */
    int cur[SD__CHUNK];           /* the chunk under way: ids (or embedding slots) after BOS */
    float cw[SD__CHUNK];          /* and their weights */
    int len, last_comma;
    int *ids;                     /* closed chunks [77 each]; only the first cap are written */
    float *w;
    int cap, n;
    int bos, eos, pad;            /* pad: after EOS */
} sd__chunker;

/* BOS, the tokens, EOS, padded with EOS (weight 1) to 77 */
static void sd__chunk_close(sd__chunker *c)
{
    int k;
    if (c->n < c->cap)
        for (k = 0; k < SD_TOKENS; k++) {
            size_t at = (size_t)c->n * SD_TOKENS + (size_t)k;
            if (c->ids) c->ids[at] = k == 0 ? c->bos : k <= c->len ? c->cur[k - 1] : k == c->len + 1 ? c->eos : c->pad;
            if (c->w) c->w[at] = k >= 1 && k <= c->len ? c->cw[k - 1] : 1.0f;
        }
    c->n++; c->len = 0; c->last_comma = -1;
}

static void sd__chunk_put(sd__chunker *c, int id, float w) { c->cur[c->len] = id; c->cw[c->len] = w; c->len++; }

/* the BPE ids of s[0, len) (no BOS/EOS, no truncation) in a new array */
static sd_result sd__ids_of(sd_model *m, const char *s, size_t len, int **ids, int *n)
{
    char *t = (char *)sd__malloc(m, len + 1);
    sd_result r;
    *ids = NULL; *n = 0;
    if (!t) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    memcpy(t, s, len); t[len] = 0;
    r = sd_tokenize_bpe(m, t, NULL, 0, n);
    if (r == SD_OK && !(*ids = (int *)sd__malloc(m, (size_t)(*n + 1) * sizeof(int)))) r = sd__fail(m, SD_ERR_NOMEM, "out of memory");
    if (r == SD_OK) r = sd_tokenize_bpe(m, t, *ids, *n, n);
    sd__free(m, t);
    if (r != SD_OK) { sd__free(m, *ids); *ids = NULL; *n = 0; }
    return r;
}

/* the embedding whose trigger's ids start at ids[i] (the longest; the first loaded of equals), or -1 */
static int sd__emb_at(const sd_model *m, int *const *trig, const int *ntrig, const int *ids, int i, int n)
{
    int e, best = -1;
    for (e = 0; e < m->n_emb; e++)
        if (ntrig[e] > 0 && i + ntrig[e] <= n && (best < 0 || ntrig[e] > ntrig[best]) &&
            memcmp(ids + i, trig[e], (size_t)ntrig[e] * sizeof(int)) == 0) best = e;
    return best;
}

static int sd__slot(int e, int i) { return -1 - (e * SD__EMB_SLOTS + i); }

/* A1111 (sd_hijack_clip tokenize_line): 75 a chunk; a token arriving at a full chunk moves the
   tokens after a comma at most 20 back on to the next; BREAK closes the chunk; an embedding's
   vectors stay in one chunk. SD_WEIGHTING_NONE: one chunk, the first 75 tokens (embeddings too). */
static sd_result sd__chunks_a1111(sd_model *m, const sd_prompt_run *runs, int nruns, sd__chunker *c, int *const *trig, const int *ntrig, int none)
{
    int k, i, j, *ids, n, e;
    sd_result r;
    for (k = 0; k < nruns; k++) {
        float w = (float)runs[k].weight;
        if (!none && runs[k].weight == -1.0 && strcmp(runs[k].text, "BREAK") == 0) { sd__chunk_close(c); continue; }
        if ((r = sd__ids_of(m, runs[k].text, strlen(runs[k].text), &ids, &n)) != SD_OK) return r;
        for (i = 0; i < n;) {
            if (none && c->len == SD__CHUNK) break;
            if (ids[i] == SD__COMMA) c->last_comma = c->len;
            else if (c->len == SD__CHUNK && c->last_comma != -1 && SD__CHUNK - c->last_comma <= 20) {
                int moved = c->len - (c->last_comma + 1), mid[SD__CHUNK];
                float mw[SD__CHUNK];
                memcpy(mid, c->cur + c->last_comma + 1, (size_t)moved * sizeof(int));
                memcpy(mw, c->cw + c->last_comma + 1, (size_t)moved * sizeof(float));
                c->len = c->last_comma + 1;
                sd__chunk_close(c);
                for (j = 0; j < moved; j++) sd__chunk_put(c, mid[j], mw[j]);
            }
            if (c->len == SD__CHUNK) sd__chunk_close(c);
            if ((e = sd__emb_at(m, trig, ntrig, ids, i, n)) < 0) { sd__chunk_put(c, ids[i], w); i++; continue; }
            if (c->len + m->emb[e].n > SD__CHUNK) { if (none) break; sd__chunk_close(c); }
            for (j = 0; j < m->emb[e].n; j++) sd__chunk_put(c, sd__slot(e, j), w);
            i += ntrig[e];
        }
        sd__free(m, ids);
    }
    if (c->len > 0 || c->n == 0) sd__chunk_close(c);
    return SD_OK;
}

/* ComfyUI (sd1_clip tokenize_with_weights): each word's tokens are a group; a group that does not
   fit the chunk moves whole to the next unless it has 8 or more tokens, then it is split */
static void sd__comfy_group(sd__chunker *c, const int *g, int n, float w)
{
    int large = n >= 8, k;
    while (n > 0) {
        if (c->len + n > SD__CHUNK) {
            int rem = SD__CHUNK - c->len;
            if (large) { for (k = 0; k < rem; k++) sd__chunk_put(c, g[k], w); g += rem; n -= rem; }
            sd__chunk_close(c);
        } else { for (k = 0; k < n; k++) sd__chunk_put(c, g[k], w); n = 0; }
    }
}

/* the embedding ComfyUI's embedding:NAME names (NAME or NAME.safetensors, .pt, .bin), or -1 */
static int sd__emb_named(const sd_model *m, const char *s, size_t len)
{
    static const char *const ext[] = { ".safetensors", ".pt", ".bin" };
    int e, k;
    for (k = 0; k < 3; k++) {
        size_t el = strlen(ext[k]);
        if (len > el && memcmp(s + len - el, ext[k], el) == 0) { len -= el; break; }
    }
    for (e = 0; e < m->n_emb; e++) if (strlen(m->emb[e].name) == len && memcmp(m->emb[e].name, s, len) == 0) return e;
    return -1;
}

static sd_result sd__comfy_text(sd_model *m, sd__chunker *c, const char *s, size_t len, float w)
{
    int *ids, n;
    sd_result r = sd__ids_of(m, s, len, &ids, &n);
    if (r == SD_OK) sd__comfy_group(c, ids, n, w);
    sd__free(m, ids);
    return r;
}

/* one part that starts with "embedding:": the name is its first word; unknown, it is tried again
   without commas around it (the commas stay as text); the rest of the part is text */
static sd_result sd__comfy_embedding(sd_model *m, sd__chunker *c, const char *s, size_t n, float w)
{
    size_t a = 10, b, k, z, len, rest;
    int e, slots[SD__CHUNK], j;
    char *left;
    sd_result r = SD_OK;
    while (n > a && s[n - 1] == '\n') n--;                               /* strip('\n') */
    while (a < n && s[a] == '\n') a++;
    while (a < n && sd__re_space(sd__cp_at(s, a, n, &len))) a += len;   /* split(): the first word */
    for (b = a; b < n && !sd__re_space(sd__cp_at(s, b, n, &len)); b += len) {}
    rest = b;
    e = b > a ? sd__emb_named(m, s + a, b - a) : -1;
    left = (char *)sd__malloc(m, n - a + 2);
    if (!left) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    z = 0;
    if (e < 0 && b > a) {                                                 /* strip(',') and try again */
        size_t sa = a, sb = b;
        while (sa < sb && s[sa] == ',') sa++;
        while (sb > sa && s[sb - 1] == ',') sb--;
        if (sb - sa < b - a) {
            e = sd__emb_named(m, s + sa, sb - sa);
            for (k = a + (sb - sa); k < b; k++) left[z++] = s[k];       /* name[len(stripped):] */
            left[z++] = ' ';
        }
    }
    if (e < 0) sd__warn(m, "embedding:%.*s: no embedding of that name is loaded (ignored)", (int)(b - a), s + a);
    else {
        for (j = 0; j < m->emb[e].n; j++) slots[j] = sd__slot(e, j);
        sd__comfy_group(c, slots, m->emb[e].n, w);
    }
    {   /* the leftover: the remaining words joined by single spaces */
        size_t first = z;
        for (k = rest; k < n;) {
            while (k < n && sd__re_space(sd__cp_at(s, k, n, &len))) k += len;
            if (k >= n) break;
            if (z > first) left[z++] = ' ';
            for (; k < n && !sd__re_space(sd__cp_at(s, k, n, &len)); k += len) { memcpy(left + z, s + k, len); z += len; }
        }
    }
    if (z > 0) r = sd__comfy_text(m, c, left, z, w);
    sd__free(m, left);
    return r;
}

static sd_result sd__chunks_comfy(sd_model *m, const sd_prompt_run *runs, int nruns, sd__chunker *c)
{
    int k;
    sd_result r = SD_OK;
    for (k = 0; k < nruns && r == SD_OK; k++) {   /* each run cut before every " embedding:" and "\nembedding:" */
        const char *s = runs[k].text;
        size_t n = strlen(s), a = 0, i;
        float w = (float)runs[k].weight;
        for (i = 0; i <= n && r == SD_OK; i++) {
            int cut = i == n || ((s[i] == ' ' || s[i] == '\n') && strncmp(s + i + 1, "embedding:", 10) == 0);
            if (!cut) continue;
            if (i > a) {
                if (strncmp(s + a, "embedding:", 10) == 0) r = sd__comfy_embedding(m, c, s + a, i - a, w);
                else r = sd__comfy_text(m, c, s + a, i - a, w);
            }
            a = i + 1;
        }
    }
    if (r == SD_OK) sd__chunk_close(c);
    return r;
}

/* a prompt's chunks into c (c->ids, c->w, c->cap set by the caller) */
static sd_result sd__prompt_chunks(sd_model *m, const char *prompt, sd_weighting wt, sd__chunker *c)
{
    size_t n;
    sd_prompt_run *runs = NULL;
    char *text = NULL;
    int **trig = NULL, *ntrig = NULL, nruns = 0, e;
    sd_result r = SD_OK;
    if (!m->vocab) return sd__fail(m, SD_ERR_STATE, "no vocabulary loaded (sd_load_vocab with the model's tokenizer/merges.txt)");
    if ((int)wt < 0 || wt > SD_WEIGHTING_COMFY) return sd__fail(m, SD_ERR_ARG, "weighting %d: none, a1111 or comfy (SD_WEIGHTING_*)", (int)wt);
    if (!prompt) prompt = "";
    n = strlen(prompt);
    if (n > ((size_t)1 << 16)) return sd__fail(m, SD_ERR_ARG, "prompt of %lu bytes: over the 64 KB limit", (unsigned long)n);
    c->len = 0; c->last_comma = -1; c->n = 0;
    c->bos = m->vocab->bos; c->eos = m->vocab->eos; c->pad = m->pad < 0 ? c->eos : m->pad;
    runs = (sd_prompt_run *)sd__malloc(m, (n + 1) * sizeof *runs);
    text = (char *)sd__malloc(m, 2 * n + 2);
    trig = (int **)sd__calloc(m, (size_t)m->n_emb + 1, sizeof *trig);
    ntrig = (int *)sd__calloc(m, (size_t)m->n_emb + 1, sizeof *ntrig);
    if (!runs || !text || !trig || !ntrig) r = sd__fail(m, SD_ERR_NOMEM, "out of memory");
    else if ((nruns = sd__prompt_parse(m, wt, prompt, runs, (int)n + 1, text, 2 * n + 2)) < 0) r = sd__fail(m, SD_ERR_NOMEM, "out of memory parsing the prompt");
    for (e = 0; r == SD_OK && e < m->n_emb; e++)
        if (wt != SD_WEIGHTING_COMFY) r = sd__ids_of(m, m->emb[e].name, strlen(m->emb[e].name), &trig[e], &ntrig[e]);
    if (r == SD_OK) {
        if (wt == SD_WEIGHTING_COMFY) r = sd__chunks_comfy(m, runs, nruns, c);
        else r = sd__chunks_a1111(m, runs, nruns, c, trig, ntrig, wt == SD_WEIGHTING_NONE);
    }
    for (e = 0; trig && e < m->n_emb; e++) sd__free(m, trig[e]);
    sd__free(m, trig); sd__free(m, ntrig); sd__free(m, runs); sd__free(m, text);
    return r;
}

SDDEF sd_result sd_prompt_tokens(sd_model *m, const char *prompt, sd_weighting w, int *ids, float *weights, int max_chunks, int *chunks)
{
    sd__chunker c;
    sd_result r;
    m->err[0] = 0;
    c.ids = ids; c.w = weights; c.cap = max_chunks < 0 ? 0 : max_chunks;
    r = sd__prompt_chunks(m, prompt, w, &c);
    if (chunks) *chunks = r == SD_OK ? c.n : 0;
    return r;
}

/* ================================================================ text encoder
   CLIPTextModel (OpenAI CLIP's text transformer without the final projection).
   ids [77] -> token + position embeddings [77, D]
     -> per layer (pre-LN): x += attn(ln1(x)) with a causal mask, heads of 64
                            x += fc2(act(fc1(ln2(x))))
     -> final_layer_norm -> [77, D]
   clip_skip 2 stops one layer early ("Clip skip 2"); the final norm still applies. */

/* A text encoder family: widths and depth read from the tensors, the activation the family's.
     SD 1.x  OpenAI CLIP ViT-L/14: width 768, 12 layers, 12 heads, MLP 3072, quick_gelu
     SD 2.x  OpenCLIP ViT-H/14: width 1024, 24 layers (the last unused: clip skip 2 by default),
             16 heads, MLP 4096, gelu
     SDXL    the ViT-L/14 above (its penultimate layer, without the final norm) beside OpenCLIP
             ViT-bigG/14: width 1280, 32 layers, 20 heads, MLP 5120, gelu, and a text_projection
             [1280,1280] of the EOS token's final state: the pooled vector */
typedef struct sd__text_cfg {
    int width, layers, heads, mlp;   /* D, transformer layers, heads (of 64), MLP width */
    int vocab, positions;            /* 49408 ids, 77 positions */
    sd__act act;                     /* the MLP's activation */
    int unused;                      /* last layers never used (OpenCLIP in SD 2.x: 1, its penultimate layer) */
    int pad;                         /* the id after EOS: EOS (SD 1.x) or 0, "!" (SD 2.x) */
    int final_norm;                  /* the context goes through final_layer_norm (SD 1.x, 2.x; not SDXL) */
    int pooled;                      /* the width of the pooled vector (text_projection's), 0: none */
} sd__text_cfg;

typedef struct sd__clip_layer {  /* CLIPEncoderLayer (pre-LN) */
    sd__norm ln1, ln2;       /* layer_norm1, layer_norm2 [D] */
    sd__lin q, k, v, o;      /* self_attn.{q,k,v,out}_proj [D,D] */
    sd__lin fc1, fc2;        /* mlp.fc1 [F,D], mlp.fc2 [D,F] */
} sd__clip_layer;

struct sd__clip {                /* CLIPTextModel */
    sd__text_cfg cfg;
    const char *prefix;          /* where its tensors are in the checkpoint */
    const sd__tensor *tok_emb;   /* embeddings.token_embedding.weight [V,D] */
    const sd__tensor *pos_emb;   /* embeddings.position_embedding.weight [77,D] */
    sd__clip_layer *layer;       /* encoder.layers.N */
    sd__norm ln_final;           /* final_layer_norm [D] */
    sd__tensor *views;           /* OpenCLIP: q, k, v as rows of each layer's in_proj_weight [3D,D] */
    const sd__tensor *proj;      /* SDXL's second: text_projection, [D,P] (x @ it) or a Linear's [P,D] */
    int proj_linear;             /* proj is a Linear's weight (a diffusers folder) */
};

/* ---------------------------------------------------------------- built from the checkpoint */

/* OpenCLIP's layout (SD 2.x single files): cond_stage_model.model.transformer.resblocks.N with
   ln_1, attn.in_proj_weight [3D,D] (q, k, v rows), attn.out_proj, ln_2, mlp.c_fc, mlp.c_proj;
   token_embedding, positional_embedding, ln_final. The exact GELU; SD 2.x reads the penultimate
   layer; padding with id 0. */
#define SD__OPENCLIP "cond_stage_model.model."
#define SD__XL_CLIP "conditioner.embedders.0.transformer.text_model."
#define SD__XL_OPENCLIP "conditioner.embedders.1.model."
#define SD__XL_HFCLIP2 "conditioner.embedders.1.transformer.text_model."   /* a diffusers folder's text_encoder_2 */
static sd_result sd__build_openclip(sd_model *m, sd__clip *t, const char *P)
{
    sd__text_cfg *cf = &t->cfg;
    sd__ld L;
    char b[300];
    int i, k, D;
    int64_t d[2];
    const char *need[4];
    char nb[4][160];
    L.m = m; L.r = SD_OK;
    t->prefix = P;
    need[0] = sd__fmt(nb[0], sizeof nb[0], "%stoken_embedding.weight", P); need[1] = sd__fmt(nb[1], sizeof nb[1], "%spositional_embedding", P);
    need[2] = sd__fmt(nb[2], sizeof nb[2], "%stransformer.resblocks.0.mlp.c_fc.weight", P); need[3] = sd__fmt(nb[3], sizeof nb[3], "%sln_final.weight", P);
    if ((L.r = sd__need(m, need, 4)) != SD_OK) return sd__wrap(m, L.r, "OpenCLIP text encoder", NULL);
    cf->vocab = sd__dim(m, need[0], 0);
    cf->width = D = sd__dim(m, need[0], 1);
    cf->positions = sd__dim(m, need[1], 0);
    for (cf->layers = 0; sd__has_part(m, "%stransformer.resblocks.%d.", P, cf->layers); cf->layers++) {}
    cf->mlp = sd__dim(m, need[2], 0);
    if (D <= 0 || D % 64 || cf->layers < 2 || cf->mlp <= 0 || cf->vocab < 2)
        return sd__fail(m, SD_ERR_MODEL, "OpenCLIP text encoder: cannot make out the layout (width %d, %d layers)", D, cf->layers);
    if (cf->positions != SD_TOKENS)
        return sd__fail(m, SD_ERR_MODEL, "OpenCLIP text encoder: %d positions, %d expected", cf->positions, SD_TOKENS);
    cf->heads = D / 64; cf->act = SD__ACT_GELU; cf->unused = 1; cf->pad = 0; cf->final_norm = 1;
    d[0] = cf->vocab; d[1] = D;
    t->tok_emb = sd__tget(&L, sd__fmt(b, sizeof b, "%stoken_embedding", P), ".weight", 2, d);
    d[0] = SD_TOKENS;
    t->pos_emb = sd__tget(&L, sd__fmt(b, sizeof b, "%spositional_embedding", P), "", 2, d);
    if (L.r != SD_OK) return L.r;
    t->layer = (sd__clip_layer *)sd__calloc(m, (size_t)cf->layers, sizeof *t->layer);
    t->views = (sd__tensor *)sd__calloc(m, (size_t)cf->layers * 3, sizeof *t->views);
    if (!t->layer || !t->views) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    for (i = 0; i < cf->layers && L.r == SD_OK; i++) {
        sd__clip_layer *y = &t->layer[i];
        const sd__tensor *in;
        const float *bias;
        sd__lin *qkv[3];
        y->ln1 = sd__norm_get(&L, sd__fmt(b, sizeof b, "%stransformer.resblocks.%d.ln_1", P, i), D);
        y->ln2 = sd__norm_get(&L, sd__fmt(b, sizeof b, "%stransformer.resblocks.%d.ln_2", P, i), D);
        d[0] = 3 * D; d[1] = D;
        in = sd__tget(&L, sd__fmt(b, sizeof b, "%stransformer.resblocks.%d.attn.in_proj_weight", P, i), "", 2, d);
        bias = sd__vec(&L, sd__fmt(b, sizeof b, "%stransformer.resblocks.%d.attn.in_proj_bias", P, i), "", 3 * D);
        if (L.r != SD_OK) break;
        qkv[0] = &y->q; qkv[1] = &y->k; qkv[2] = &y->v;
        for (k = 0; k < 3; k++) {   /* rows [kD, (k+1)D) of in_proj: a tensor of its own over the same bytes */
            sd__tensor *v = &t->views[3 * i + k];
            uint64_t off = (uint64_t)k * D * D * sd__dtype_size[in->dtype];
            *v = *in;
            v->shape[0] = D; v->numel = (int64_t)D * D;
            v->begin = in->begin + off; v->end = v->begin + (uint64_t)D * D * sd__dtype_size[in->dtype];
            v->data = in->data ? in->data + off : NULL;
            v->owned_name = 0; v->f32 = NULL; v->dev = NULL; v->lora = NULL; v->side = NULL;
            qkv[k]->w = v; qkv[k]->b = bias + (size_t)k * D;
        }
        y->o = sd__lin_get(&L, sd__fmt(b, sizeof b, "%stransformer.resblocks.%d.attn.out_proj", P, i), D, D, SD__LINEAR, SD__BIAS);
        y->fc1 = sd__lin_get(&L, sd__fmt(b, sizeof b, "%stransformer.resblocks.%d.mlp.c_fc", P, i), cf->mlp, D, SD__LINEAR, SD__BIAS);
        y->fc2 = sd__lin_get(&L, sd__fmt(b, sizeof b, "%stransformer.resblocks.%d.mlp.c_proj", P, i), D, cf->mlp, SD__LINEAR, SD__BIAS);
    }
    t->ln_final = sd__norm_get(&L, sd__fmt(b, sizeof b, "%sln_final", P), D);
    if (sd__has(m, sd__fmt(b, sizeof b, "%stext_projection", P))) {   /* SDXL's: [D,P], the pooled vector x @ it */
        const sd__tensor *pj = sd__find(m, b);
        if (pj->ndim != 2 || pj->shape[0] != D || !sd__is_float(pj->dtype))
            return sd__fail(m, SD_ERR_MODEL, "tensor '%s' is not a [%d, P] float matrix", b, D);
        t->proj = pj; cf->pooled = (int)pj->shape[1];
    }
    return L.r;
}

/* OpenAI CLIP's layout as transformers names it (P = ...text_model.): embeddings.token_embedding,
   embeddings.position_embedding, encoder.layers.N.{layer_norm1,self_attn.{q,k,v,out}_proj,layer_norm2,
   mlp.fc1,mlp.fc2}, final_layer_norm; proj: a text_projection Linear [P,D] (diffusers' SDXL
   text_encoder_2) or NULL */
static sd_result sd__build_hfclip(sd_model *m, sd__clip *t, const char *P, const char *proj, sd__act act)
{
    sd__text_cfg *cf = &t->cfg;
    sd__ld L;
    char b[300], nb[3][160];
    int i, D;
    int64_t d[2];
    const char *need[3];
    L.m = m; L.r = SD_OK;
    t->prefix = P;
    need[0] = sd__fmt(nb[0], sizeof nb[0], "%sembeddings.token_embedding.weight", P);
    need[1] = sd__fmt(nb[1], sizeof nb[1], "%sembeddings.position_embedding.weight", P);
    need[2] = sd__fmt(nb[2], sizeof nb[2], "%sencoder.layers.0.mlp.fc1.weight", P);
    if ((L.r = sd__need(m, need, 3)) != SD_OK) return L.r;
    cf->vocab = sd__dim(m, need[0], 0);
    cf->width = D = sd__dim(m, need[0], 1);
    cf->positions = sd__dim(m, need[1], 0);
    for (cf->layers = 0; sd__has_part(m, "%sencoder.layers.%d.", P, cf->layers); cf->layers++) {}
    cf->mlp = sd__dim(m, need[2], 0);
    if (D <= 0 || D % 64 || cf->layers < 1 || cf->mlp <= 0 || cf->vocab < 2)
        return sd__fail(m, SD_ERR_MODEL, "text encoder: cannot make out the layout (width %d, %d layers)", D, cf->layers);
    if (cf->positions != SD_TOKENS)
        return sd__fail(m, SD_ERR_MODEL, "text encoder: %d positions, %d expected", cf->positions, SD_TOKENS);
    cf->heads = D / 64;
    cf->act = act;
    cf->unused = 0; cf->pad = -1; cf->final_norm = 1;
    d[0] = cf->vocab; d[1] = D;
    t->tok_emb = sd__tget(&L, sd__fmt(b, sizeof b, "%sembeddings.token_embedding", P), ".weight", 2, d);
    d[0] = SD_TOKENS;
    t->pos_emb = sd__tget(&L, sd__fmt(b, sizeof b, "%sembeddings.position_embedding", P), ".weight", 2, d);
    if (L.r != SD_OK) return L.r;
    t->layer = (sd__clip_layer *)sd__calloc(m, (size_t)cf->layers, sizeof *t->layer);
    if (!t->layer) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    for (i = 0; i < cf->layers; i++) {
        sd__clip_layer *y = &t->layer[i];
        y->ln1 = sd__norm_get(&L, sd__fmt(b, sizeof b, "%sencoder.layers.%d.layer_norm1", P, i), D);
        y->ln2 = sd__norm_get(&L, sd__fmt(b, sizeof b, "%sencoder.layers.%d.layer_norm2", P, i), D);
        y->q = sd__lin_get(&L, sd__fmt(b, sizeof b, "%sencoder.layers.%d.self_attn.q_proj", P, i), D, D, SD__LINEAR, SD__BIAS);
        y->k = sd__lin_get(&L, sd__fmt(b, sizeof b, "%sencoder.layers.%d.self_attn.k_proj", P, i), D, D, SD__LINEAR, SD__BIAS);
        y->v = sd__lin_get(&L, sd__fmt(b, sizeof b, "%sencoder.layers.%d.self_attn.v_proj", P, i), D, D, SD__LINEAR, SD__BIAS);
        y->o = sd__lin_get(&L, sd__fmt(b, sizeof b, "%sencoder.layers.%d.self_attn.out_proj", P, i), D, D, SD__LINEAR, SD__BIAS);
        y->fc1 = sd__lin_get(&L, sd__fmt(b, sizeof b, "%sencoder.layers.%d.mlp.fc1", P, i), cf->mlp, D, SD__LINEAR, SD__BIAS);
        y->fc2 = sd__lin_get(&L, sd__fmt(b, sizeof b, "%sencoder.layers.%d.mlp.fc2", P, i), D, cf->mlp, SD__LINEAR, SD__BIAS);
    }
    t->ln_final = sd__norm_get(&L, sd__fmt(b, sizeof b, "%sfinal_layer_norm", P), D);
    if (proj && L.r == SD_OK) {
        const sd__tensor *pj = sd__find(m, proj);
        if (!pj) return sd__fail(m, SD_ERR_MODEL, "tensor '%s' missing", proj);
        if (pj->ndim != 2 || pj->shape[1] != D || !sd__is_float(pj->dtype))
            return sd__fail(m, SD_ERR_MODEL, "tensor '%s' is not a [P, %d] float matrix", proj, D);
        t->proj = pj; t->proj_linear = 1; cf->pooled = (int)pj->shape[0];
    }
    return L.r;
}

/* The text encoders the checkpoint has: OpenAI CLIP (SD 1.x), OpenCLIP (SD 2.x), or SDXL's two (the
   second OpenCLIP's or, from a diffusers folder, transformers' layout), which give the context from
   their penultimate layers without the final norm, and the second the pooled vector */
static sd_result sd__build_text(sd_model *m)
{
    sd_result r;
    if (!sd__has_prefix(m, "conditioner.embedders.")) {
        if (!(m->clip = (sd__clip *)sd__calloc(m, 1, sizeof *m->clip))) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
        if (sd__has_prefix(m, SD__OPENCLIP)) { m->pad = 0; return sd__build_openclip(m, m->clip, SD__OPENCLIP); }
        /* OpenAI CLIP's; a diffusers SD 2.x folder: OpenCLIP's GELU and padding (it holds only the layers it uses) */
        m->pad = m->folder_pad ? 0 : -1;
        return sd__build_hfclip(m, m->clip, SD__CLIP, NULL, m->folder_gelu ? SD__ACT_GELU : SD__ACT_QUICK_GELU);
    }
    if (!sd__has_prefix(m, SD__XL_CLIP))
        return sd__fail(m, SD_ERR_UNSUPPORTED, "an SDXL checkpoint with only the OpenCLIP bigG text encoder: an SDXL refiner? Refiners are not supported yet");
    if (!(m->clip = (sd__clip *)sd__calloc(m, 1, sizeof *m->clip)) || !(m->clip2 = (sd__clip *)sd__calloc(m, 1, sizeof *m->clip2)))
        return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    m->pad = -1;
    if ((r = sd__build_hfclip(m, m->clip, SD__XL_CLIP, NULL, SD__ACT_QUICK_GELU)) != SD_OK) return sd__wrap(m, r, "SDXL text encoder 1 (CLIP ViT-L)", NULL);
    if (!sd__has_prefix(m, SD__XL_OPENCLIP) && !sd__has_prefix(m, SD__XL_HFCLIP2))
        return sd__fail(m, SD_ERR_MODEL, "SDXL text encoder 2 (OpenCLIP bigG, %s*) missing", SD__XL_OPENCLIP);
    if (sd__has_prefix(m, SD__XL_OPENCLIP)) r = sd__build_openclip(m, m->clip2, SD__XL_OPENCLIP);
    else r = sd__build_hfclip(m, m->clip2, SD__XL_HFCLIP2, "conditioner.embedders.1.transformer.text_projection.weight", SD__ACT_GELU);
    if (r != SD_OK) return sd__wrap(m, r, "SDXL text encoder 2 (OpenCLIP bigG)", NULL);
    if (!m->clip2->proj) return sd__fail(m, SD_ERR_MODEL, "SDXL text encoder 2: tensor '%stext_projection' missing", SD__XL_OPENCLIP);
    m->clip->cfg.unused = m->clip2->cfg.unused = 1;   /* the context: hidden_states[-2], no final norm */
    m->clip->cfg.final_norm = m->clip2->cfg.final_norm = 0;
    m->clip2->cfg.pad = 0;
    return SD_OK;
}

static const char *sd__clip_prefix(const sd__clip *t) { return t->prefix; }
static sd__tensor *sd__clip_views(const sd__clip *t, int *n) { *n = t && t->views ? 3 * t->cfg.layers : 0; return *n ? t->views : NULL; }

static void sd__clip_free_one(sd_model *m, sd__clip *t)
{
    int i;
    if (!t) return;
    for (i = 0; t->views && i < 3 * t->cfg.layers; i++) sd__lora_side_free(m, t->views[i].side);
    for (i = 0; t->views && m->gpu && i < 3 * t->cfg.layers; i++)
        if (t->views[i].dev) sd__cuda_free(m->gpu, t->views[i].dev);
    sd__free(m, t->layer);
    sd__free(m, t->views);
    sd__free(m, t);
}

static void sd__clip_free(sd_model *m)
{
    sd__clip_free_one(m, m->clip);
    sd__clip_free_one(m, m->clip2);
    m->clip = m->clip2 = NULL;
    m->pad = -1;
}

/* ---------------------------------------------------------------- the forward pass */

/* the embedded prompt [77,D] -> hidden states [77,D] after `layers` layers, then the final norm
   (norm: 1) or not; mid (or NULL): the hidden states after mid_layers layers, before any norm */
static void sd__text_forward(sd_model *m, const sd__clip *t, float *out, const float *emb, int layers, int norm, float *mid, int mid_layers)
{
    int T = SD_TOKENS, D = t->cfg.width, F = t->cfg.mlp, heads = t->cfg.heads, l;
    float *x = sd__push(m, (size_t)T * D), *h = sd__push(m, (size_t)T * D);
    float *q = sd__push(m, (size_t)T * D), *k = sd__push(m, (size_t)T * D), *v = sd__push(m, (size_t)T * D);
    float *a = sd__push(m, (size_t)T * D), *f = sd__push(m, (size_t)T * F);
    sd__op_upload(m, x, emb, (size_t)T * D);
    for (l = 0; l < layers; l++) {
        const sd__clip_layer *y = &t->layer[l];
        if (mid && l == mid_layers) sd__op_download(m, mid, x, (size_t)T * D);   /* (SDXL: the context beside the pooled vector) */
        sd__op_layernorm(m, h, x, T, D, &y->ln1);                        /* self-attention */
        sd__op_linear(m, q, h, T, D, &y->q, NULL);
        sd__op_linear(m, k, h, T, D, &y->k, NULL);
        sd__op_linear(m, v, h, T, D, &y->v, NULL);
        sd__op_attention(m, a, q, k, v, 1, heads, T, T, D / heads, SD__MASK_CAUSAL);
        sd__op_linear(m, x, a, T, D, &y->o, x);
        sd__op_layernorm(m, h, x, T, D, &y->ln2);                        /* MLP */
        sd__op_linear_act(m, f, h, T, D, &y->fc1, t->cfg.act);
        sd__op_linear(m, x, f, T, F, &y->fc2, x);
    }
    if (mid && mid_layers >= layers) sd__op_download(m, mid, x, (size_t)T * D);
    if (norm) sd__op_layernorm(m, h, x, T, D, &t->ln_final);
    sd__op_download(m, out, norm ? h : x, (size_t)T * D);
    sd__pop(m, x);
}

/* ================================================================ UNet
   openaimodel.UNetModel (diffusers UNet2DConditionModel), predicting the noise eps.
   x [N,4,h,w], t, context [N,77,Dc] -> eps [N,4,h,w]
     time:    sinusoid(t) [N,ch] -> Linear -> SiLU -> Linear -> emb [N,4ch]
     down:    conv_in, then per level: (ResBlock, SpatialTransformer?) x nres, stride-2 conv;
              every block's output is kept as a skip connection
     middle:  ResBlock, SpatialTransformer, ResBlock
     up:      per level, from the deepest: (concat skip, ResBlock, SpatialTransformer?) x (nres+1),
              nearest upsampling to the next skip's size + conv
     out:     GroupNorm + SiLU + conv -> [N,4,h,w] */

/* A UNet family: what the builder and the forward pass read, filled in from the tensors (shape
   inference) and, where the tensors cannot tell, by the family's rule. The families as instances:
     SD 1.x  in 4, ch 320, mult 1,2,4,4, nres 2, depth 1,1,1,0, mid 1, 8 heads, conv proj, ctx 768
     SD 2.x  in 4, ch 320, mult 1,2,4,4, nres 2, depth 1,1,1,0, mid 1, heads of 64, linear proj,
             ctx 1024 (768-v and SD-Turbo: the same UNet; v-prediction is the sampler's business)
     SDXL    in 4, ch 320, mult 1,2,4, nres 2, depth 0,2,10, mid 10, heads of 64, linear proj,
             ctx 2048, adm_in 2816 (the pooled text [1280] and six size/crop sinusoids [6x256],
             through label_emb into the time embedding)
     inpainting models: in 9 (latent, mask, masked image's latent), otherwise their family's */
typedef struct sd__unet_cfg {
    int in_ch, out_ch;          /* latent channels in and out */
    int ch;                     /* model_channels: the width of level 0 */
    int levels;
    int mult[SD__MAXLEV];       /* each level's width in units of ch */
    int nres;                   /* ResBlocks a level on the way down (one more on the way up) */
    int depth[SD__MAXLEV];      /* transformer blocks in each level's SpatialTransformers (0: none) */
    int mid_depth;              /* ... in the middle block's */
    int heads, head_dim;        /* attention heads: a fixed count (SD 1.x), or 0 and a fixed head size */
    int linear_proj;            /* proj_in / proj_out are Linear [C,C] (SD 2.x, SDXL), not 1x1 convs */
    int ctx_dim;                /* the text context's width */
    int emb_dim;                /* the time embedding's width (4 ch) */
    int adm_in;                 /* SDXL: the width of the vector added to the time embedding; 0: none */
} sd__unet_cfg;

typedef struct sd__res {   /* ResBlock (UNet: in_layers/emb_layers/out_layers) = ResnetBlock (VAE) */
    int c_in, c_out;
    int emb_dim;           /* the time embedding's width; 0 in the VAE, which has none */
    float eps;             /* its GroupNorms': 1e-5 in the UNet, 1e-6 in the VAE */
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
    int c, depth, heads, ctx_dim;
    sd__norm norm;           /* norm: GroupNorm(32, eps 1e-6) [C] */
    sd__lin proj_in;         /* proj_in [C,C,1,1] (or Linear [C,C]) */
    sd__tblock *blocks;      /* transformer_blocks.N */
    sd__lin proj_out;        /* proj_out [C,C,1,1] (or Linear [C,C]) */
} sd__xformer;

typedef struct sd__ublock {  /* one TimestepEmbedSequential of input_blocks / output_blocks */
    int level;               /* resolution level: size is the latent's / 2^level */
    int c_out;               /* its output's width */
    int down, up;            /* a stride-2 conv alone / ends with nearest upsampling + conv */
    sd__res res;             /* c_out 0: none (a downsampling block) */
    sd__xformer attn;        /* depth 0: none */
    sd__lin conv;            /* input_blocks.N.0.op | output_blocks.N.{1,2}.conv [C,C,3,3] */
} sd__ublock;

struct sd__unet {            /* openaimodel.UNetModel */
    sd__unet_cfg cfg;
    sd__lin time1, time2;    /* time_embed.0 [E,ch], time_embed.2 [E,E] */
    sd__lin label1, label2;  /* SDXL: label_emb.0.0 [E,adm_in], label_emb.0.2 [E,E] */
    sd__lin conv_in;         /* input_blocks.0.0 [ch,in,3,3] */
    int n_in, n_out;
    sd__ublock in[SD__MAXBLK];    /* input_blocks.1.. */
    sd__res mid1, mid2;      /* middle_block.0, middle_block.2 */
    sd__xformer mid_attn;    /* middle_block.1 */
    sd__ublock out[SD__MAXBLK];   /* output_blocks.0.. */
    sd__norm norm_out;       /* out.0 [ch] */
    sd__lin conv_out;        /* out.2 [out,ch,3,3] */
};

/* ---------------------------------------------------------------- built from the checkpoint */

/* the family's description from the tensors: levels from the downsampling blocks, widths from the
   ResBlocks' convs, attention from which blocks have transformer_blocks */
static sd_result sd__unet_infer(sd_model *m, sd__unet_cfg *cf)
{
    char b[300];
    int i, level = 0, c, nres0 = 0, attn_at = 0;
    static const char *const need[] = { SD__UNET "input_blocks.0.0.weight", SD__UNET "time_embed.0.weight" };
    sd_result r;
    if ((r = sd__need(m, need, 2)) != SD_OK) return r;
    memset(cf, 0, sizeof *cf);
    cf->ch = sd__dim(m, SD__UNET "input_blocks.0.0.weight", 0);
    cf->in_ch = sd__dim(m, SD__UNET "input_blocks.0.0.weight", 1);
    cf->out_ch = 4;
    if (cf->ch <= 0 || cf->ch % 32) return sd__fail(m, SD_ERR_MODEL, "UNet: input_blocks.0.0.weight has %d channels, a multiple of 32 expected", cf->ch);
    if (cf->in_ch != 4 && cf->in_ch != 9)
        return sd__fail(m, SD_ERR_MODEL, "UNet takes %d input channels: 4 (SD 1.x) or 9 (inpainting) expected", cf->in_ch);
    cf->emb_dim = sd__dim(m, SD__UNET "time_embed.0.weight", 0);
    for (i = 1; i < SD__MAXBLK; i++) {
        if (sd__has_part(m, SD__UNET "input_blocks.%d.0.op.", i)) { if (++level >= SD__MAXLEV) break; continue; }
        if (!sd__has_part(m, SD__UNET "input_blocks.%d.", i)) break;
        if (!sd__find(m, sd__fmt(b, sizeof b, SD__UNET "input_blocks.%d.0.in_layers.2.weight", i)))
            return sd__fail(m, SD_ERR_MODEL, "tensor '%s' missing", b);
        c = sd__dim(m, b, 0);
        if (c <= 0 || c % cf->ch) return sd__fail(m, SD_ERR_MODEL, "UNet: input_blocks.%d has %d channels, a multiple of %d expected", i, c, cf->ch);
        cf->mult[level] = c / cf->ch;
        if (level == 0) nres0++;
        if (sd__has_part(m, SD__UNET "input_blocks.%d.1.", i) && !cf->depth[level]) {
            while (sd__has_part(m, SD__UNET "input_blocks.%d.1.transformer_blocks.%d.", i, cf->depth[level])) cf->depth[level]++;
            if (!cf->depth[level]) cf->depth[level] = -1;   /* attention without blocks: reported below */
            if (!attn_at) attn_at = i;
        }
    }
    cf->levels = level + 1;
    cf->nres = nres0;
    if (sd__find(m, SD__UNET "label_emb.0.0.weight")) cf->adm_in = sd__dim(m, SD__UNET "label_emb.0.0.weight", 1);   /* SDXL */
    while (sd__has_part(m, SD__UNET "middle_block.1.transformer_blocks.%d.", cf->mid_depth)) cf->mid_depth++;
    if (attn_at) {
        const sd__tensor *p = sd__find(m, sd__fmt(b, sizeof b, SD__UNET "input_blocks.%d.1.proj_in.weight", attn_at));
        if (!sd__find(m, sd__fmt(b, sizeof b, SD__UNET "input_blocks.%d.1.transformer_blocks.0.attn2.to_k.weight", attn_at)))
            return sd__fail(m, SD_ERR_MODEL, "tensor '%s' missing", b);
        cf->ctx_dim = sd__dim(m, b, 1);
        cf->linear_proj = p && p->ndim == 2;
    }
    if (cf->linear_proj) cf->head_dim = 64;   /* SD 2.x and SDXL: heads of 64 */
    else cf->heads = 8;                       /* SD 1.x: 8 heads whatever the width */
    if (cf->mid_depth < 1) cf->mid_depth = 1;   /* so that a missing block is reported by its name */
    for (i = 0; i < cf->levels; i++) if (cf->depth[i] < 0) attn_at = 0;
    if (cf->levels < 2 || cf->nres < 1 || cf->nres > 3 || !attn_at || cf->ctx_dim <= 0)
        return sd__fail(m, SD_ERR_MODEL, "UNet: cannot make out an SD 1.x layout (%d levels, %d res blocks, depth %d)",
                        cf->levels, cf->nres, attn_at ? cf->depth[0] : 0);
    for (i = 0; i < cf->levels; i++)
        if (cf->mult[i] <= 0) return sd__fail(m, SD_ERR_MODEL, "UNet: level %d has no res block", i);
    return SD_OK;
}

/* ResBlock / ResnetBlock: the UNet names its parts in_layers/out_layers, the VAE norm1/conv1 */
static void sd__res_get(sd__ld *L, sd__res *r, const char *p, int ci, int co, int emb_dim)
{
    char b[300];
    int unet = emb_dim > 0;
    r->c_in = ci; r->c_out = co; r->emb_dim = emb_dim; r->eps = unet ? 1e-5f : 1e-6f;
    r->norm1 = sd__norm_get(L, sd__fmt(b, sizeof b, unet ? "%s.in_layers.0" : "%s.norm1", p), ci);
    r->conv1 = sd__lin_get(L, sd__fmt(b, sizeof b, unet ? "%s.in_layers.2" : "%s.conv1", p), co, ci, SD__CONV3, SD__BIAS);
    if (unet) r->emb = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.emb_layers.1", p), co, emb_dim, SD__LINEAR, SD__BIAS);
    r->norm2 = sd__norm_get(L, sd__fmt(b, sizeof b, unet ? "%s.out_layers.0" : "%s.norm2", p), co);
    r->conv2 = sd__lin_get(L, sd__fmt(b, sizeof b, unet ? "%s.out_layers.3" : "%s.conv2", p), co, co, SD__CONV3, SD__BIAS);
    if (ci != co) r->skip = sd__lin_get(L, sd__fmt(b, sizeof b, unet ? "%s.skip_connection" : "%s.nin_shortcut", p), co, ci, SD__CONV1, SD__BIAS);
}

static void sd__xformer_get(sd__ld *L, sd__xformer *x, const char *p, int c, int depth, const sd__unet_cfg *cf)
{
    char b[300];
    int i, ctx = cf->ctx_dim, k = cf->linear_proj ? SD__LINEAR : SD__CONV1;
    x->c = c; x->depth = depth; x->ctx_dim = ctx;
    x->heads = cf->heads ? cf->heads : c / cf->head_dim;
    x->norm = sd__norm_get(L, sd__fmt(b, sizeof b, "%s.norm", p), c);
    x->proj_in = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.proj_in", p), c, c, k, SD__BIAS);
    x->proj_out = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.proj_out", p), c, c, k, SD__BIAS);
    if (L->r != SD_OK) return;
    x->blocks = (sd__tblock *)sd__calloc(L->m, (size_t)depth, sizeof *x->blocks);
    if (!x->blocks) { L->r = sd__fail(L->m, SD_ERR_NOMEM, "out of memory"); return; }
    for (i = 0; i < depth; i++) {
        sd__tblock *t = &x->blocks[i];
        t->norm1 = sd__norm_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.norm1", p, i), c);
        t->norm2 = sd__norm_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.norm2", p, i), c);
        t->norm3 = sd__norm_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.norm3", p, i), c);
        t->attn1.q = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.attn1.to_q", p, i), c, c, SD__LINEAR, SD__NO_BIAS);
        t->attn1.k = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.attn1.to_k", p, i), c, c, SD__LINEAR, SD__NO_BIAS);
        t->attn1.v = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.attn1.to_v", p, i), c, c, SD__LINEAR, SD__NO_BIAS);
        t->attn1.out = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.attn1.to_out.0", p, i), c, c, SD__LINEAR, SD__BIAS);
        t->attn2.q = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.attn2.to_q", p, i), c, c, SD__LINEAR, SD__NO_BIAS);
        t->attn2.k = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.attn2.to_k", p, i), c, ctx, SD__LINEAR, SD__NO_BIAS);
        t->attn2.v = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.attn2.to_v", p, i), c, ctx, SD__LINEAR, SD__NO_BIAS);
        t->attn2.out = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.attn2.to_out.0", p, i), c, c, SD__LINEAR, SD__BIAS);
        t->ff1 = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.ff.net.0.proj", p, i), 8 * c, c, SD__LINEAR, SD__BIAS);
        t->ff2 = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.transformer_blocks.%d.ff.net.2", p, i), c, 4 * c, SD__LINEAR, SD__BIAS);
    }
}

/* one input or output block: ResBlock (ci -> co) and, where the level has attention, a SpatialTransformer */
static void sd__ublock_get(sd__ld *L, sd__ublock *k, const char *kind, int idx, int level, int ci, int co, const sd__unet_cfg *cf)
{
    char b[300];
    k->level = level;
    k->c_out = co;
    sd__res_get(L, &k->res, sd__fmt(b, sizeof b, SD__UNET "%s.%d.0", kind, idx), ci, co, cf->emb_dim);
    if (cf->depth[level]) sd__xformer_get(L, &k->attn, sd__fmt(b, sizeof b, SD__UNET "%s.%d.1", kind, idx), co, cf->depth[level], cf);
}

static sd_result sd__build_unet(sd_model *m)
{
    sd__unet *u;
    sd__unet_cfg *cf;
    sd__ld L;
    char b[300];
    int level, r, c, skip_ch[SD__MAXBLK + 1], nskip = 0;
    if (!(u = m->unet = (sd__unet *)sd__calloc(m, 1, sizeof *u))) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    cf = &u->cfg;
    if ((L.r = sd__unet_infer(m, cf)) != SD_OK) return L.r;
    L.m = m;
    /* now every tensor, with the shape the description says */
    u->time1 = sd__lin_get(&L, SD__UNET "time_embed.0", cf->emb_dim, cf->ch, SD__LINEAR, SD__BIAS);
    u->time2 = sd__lin_get(&L, SD__UNET "time_embed.2", cf->emb_dim, cf->emb_dim, SD__LINEAR, SD__BIAS);
    if (cf->adm_in) {
        u->label1 = sd__lin_get(&L, SD__UNET "label_emb.0.0", cf->emb_dim, cf->adm_in, SD__LINEAR, SD__BIAS);
        u->label2 = sd__lin_get(&L, SD__UNET "label_emb.0.2", cf->emb_dim, cf->emb_dim, SD__LINEAR, SD__BIAS);
    }
    u->conv_in = sd__lin_get(&L, SD__UNET "input_blocks.0.0", cf->ch, cf->in_ch, SD__CONV3, SD__BIAS);
    c = cf->ch;
    skip_ch[nskip++] = c;
    for (level = 0; level < cf->levels; level++) {   /* down */
        for (r = 0; r < cf->nres; r++) {
            sd__ublock_get(&L, &u->in[u->n_in], "input_blocks", u->n_in + 1, level, c, cf->ch * cf->mult[level], cf);
            c = skip_ch[nskip++] = cf->ch * cf->mult[level];
            u->n_in++;
        }
        if (level != cf->levels - 1) {
            sd__ublock *k = &u->in[u->n_in];
            k->level = level;
            k->c_out = c;
            k->down = 1;
            k->conv = sd__lin_get(&L, sd__fmt(b, sizeof b, SD__UNET "input_blocks.%d.0.op", u->n_in + 1), c, c, SD__CONV3, SD__BIAS);
            skip_ch[nskip++] = c;
            u->n_in++;
        }
    }
    sd__res_get(&L, &u->mid1, SD__UNET "middle_block.0", c, c, cf->emb_dim);
    sd__xformer_get(&L, &u->mid_attn, SD__UNET "middle_block.1", c, cf->mid_depth, cf);
    sd__res_get(&L, &u->mid2, SD__UNET "middle_block.2", c, c, cf->emb_dim);
    for (level = cf->levels - 1; level >= 0; level--)   /* up */
        for (r = 0; r <= cf->nres; r++) {
            sd__ublock *k = &u->out[u->n_out];
            int co = cf->ch * cf->mult[level];
            sd__ublock_get(&L, k, "output_blocks", u->n_out, level, c + skip_ch[--nskip], co, cf);
            c = co;
            if (level != 0 && r == cf->nres) {
                k->up = 1;
                k->conv = sd__lin_get(&L, sd__fmt(b, sizeof b, SD__UNET "output_blocks.%d.%d.conv", u->n_out, k->attn.depth ? 2 : 1), c, c, SD__CONV3, SD__BIAS);
            }
            u->n_out++;
        }
    u->norm_out = sd__norm_get(&L, SD__UNET "out.0", c);
    u->conv_out = sd__lin_get(&L, SD__UNET "out.2", cf->out_ch, c, SD__CONV3, SD__BIAS);
    return L.r;
}

static void sd__unet_free(sd_model *m)
{
    int i;
    sd__unet *u = m->unet;
    if (u) {
        for (i = 0; i < u->n_in; i++) sd__free(m, u->in[i].attn.blocks);
        for (i = 0; i < u->n_out; i++) sd__free(m, u->out[i].attn.blocks);
        sd__free(m, u->mid_attn.blocks);
    }
    sd__free(m, u);
    m->unet = NULL;
}

/* ---------------------------------------------------------------- the forward pass */

/* ResBlock: h = conv1(silu(gn1(x))) (+ emb_layers(silu(emb)) per channel); out = skip(x) + conv2(silu(gn2(h)))
   x [N,Ci,H,W] -> out [N,Co,H,W]; emb_act [N,E] is silu(emb) (unused in the VAE). In place (out is
   x, N = 1, Co <= Ci: sd__resblock_inplace) the result is x's first Co channels, with no buffer of its own */
static void sd__resblock_to(sd_model *m, float *out, const float *x, const sd__res *r, int n, int h, int w,
                            const float *emb_act, int in_place)
{
    size_t mark = sd__mark(m);
    int ci = r->c_in, co = r->c_out, hw = h * w;
    float *st1 = sd__push(m, (size_t)n * ci * 2), *hh = sd__push(m, (size_t)n * co * hw), *st2 = sd__push(m, (size_t)n * co * 2);
    sd__op_gn_stats(m, st1, x, n, ci, hw, r->eps, &r->norm1);
    sd__op_conv(m, hh, x, sd__conv_same(n, ci, h, w, co, 3), &r->conv1, NULL, st1, SD__ACT_SILU);
    if (r->emb_dim > 0) {
        float *e = sd__push(m, (size_t)n * co);
        sd__op_linear(m, e, emb_act, n, r->emb_dim, &r->emb, NULL);
        sd__op_add_chan(m, hh, e, n, co, hw);
    }
    sd__op_gn_stats(m, st2, hh, n, co, hw, r->eps, &r->norm2);
    if (r->skip.w) {   /* out = skip(x), then conv2 adds to it */
        if (in_place) sd__op_conv1x1_inplace(m, out, ci, hw, co, &r->skip);
        else sd__op_conv(m, out, x, sd__conv_same(n, ci, h, w, co, 1), &r->skip, NULL, NULL, SD__ACT_NONE);
        sd__op_conv(m, out, hh, sd__conv_same(n, co, h, w, co, 3), &r->conv2, out, st2, SD__ACT_SILU);
    } else sd__op_conv(m, out, hh, sd__conv_same(n, co, h, w, co, 3), &r->conv2, x, st2, SD__ACT_SILU);
    sd__release(m, mark);
}
static void sd__resblock(sd_model *m, float *out, const float *x, const sd__res *r, int n, int h, int w, const float *emb_act)
{
    sd__resblock_to(m, out, x, r, n, h, w, emb_act, 0);
}
/* x [1,Ci,H,W] -> x [1,Co,H,W]: room for max(Ci, Co) channels (a widening one goes through a buffer) */
static void sd__resblock_inplace(sd_model *m, float *x, const sd__res *r, int h, int w)
{
    size_t mark = sd__mark(m);
    float *t;
    if (r->c_out <= r->c_in) { sd__resblock_to(m, x, x, r, 1, h, w, NULL, 1); return; }
    t = sd__push(m, (size_t)r->c_out * h * w);
    sd__resblock(m, t, x, r, 1, h, w, NULL);
    sd__op_copy(m, x, t, r->c_out, h * w);
    sd__release(m, mark);
}

#define SD__FF_ROWS 2048   /* the feed-forward runs on this many tokens at a time (512 in low-memory mode) */

/* BasicTransformerBlock on tokens a [N,T,C], in place:
   a += attn1(ln1(a)); a += attn2(ln2(a), context); a += ff2(geglu(ff1(ln3(a)))) */
static void sd__tblock_forward(sd_model *m, float *a, const sd__tblock *b, int n, int T, int c, int heads,
                               const float *ctx, int nctx, int ctx_dim)
{
    size_t mark = sd__mark(m), rows = (size_t)n * T, r0;
    float *h = sd__push(m, rows * c), *q = sd__push(m, rows * c), *k = sd__push(m, rows * c);
    float *v = sd__push(m, rows * c), *o = sd__push(m, rows * c);
    float *kc = sd__push(m, (size_t)n * nctx * c), *vc = sd__push(m, (size_t)n * nctx * c);
    size_t ff_rows = m->cfg.low_memory ? SD__FF_ROWS / 4 : SD__FF_ROWS, chunk = rows < ff_rows ? rows : ff_rows;
    float *g = sd__push(m, chunk * 4 * c);
    /* self-attention */
    sd__op_layernorm(m, h, a, (int)rows, c, &b->norm1);
    sd__op_linear(m, q, h, (int)rows, c, &b->attn1.q, NULL);
    sd__op_linear(m, k, h, (int)rows, c, &b->attn1.k, NULL);
    sd__op_linear(m, v, h, (int)rows, c, &b->attn1.v, NULL);
    sd__op_attention(m, o, q, k, v, n, heads, T, T, c / heads, SD__MASK_NONE);
    sd__op_linear(m, a, o, (int)rows, c, &b->attn1.out, a);
    /* cross-attention on the text */
    sd__op_layernorm(m, h, a, (int)rows, c, &b->norm2);
    sd__op_linear(m, q, h, (int)rows, c, &b->attn2.q, NULL);
    sd__op_linear(m, kc, ctx, n * nctx, ctx_dim, &b->attn2.k, NULL);
    sd__op_linear(m, vc, ctx, n * nctx, ctx_dim, &b->attn2.v, NULL);
    sd__op_attention(m, o, q, kc, vc, n, heads, T, nctx, c / heads, SD__MASK_NONE);
    sd__op_linear(m, a, o, (int)rows, c, &b->attn2.out, a);
    /* GEGLU feed-forward, a chunk of tokens at a time */
    sd__op_layernorm(m, h, a, (int)rows, c, &b->norm3);
    for (r0 = 0; r0 < rows; r0 += chunk) {
        int nr = (int)(rows - r0 < chunk ? rows - r0 : chunk);
        float *ar = sd__at(m, a, r0 * c);
        sd__op_linear_geglu(m, g, sd__at(m, h, r0 * c), nr, c, &b->ff1);
        sd__op_linear(m, ar, g, nr, 4 * c, &b->ff2, ar);
    }
    sd__release(m, mark);
}

/* SpatialTransformer: x [N,C,H,W] += proj_out(blocks(proj_in(gn(x)) as tokens [N,HW,C])), in place
   (a 1x1 conv and a Linear are the same product on tokens) */
static void sd__xformer_forward(sd_model *m, float *x, const sd__xformer *s, int n, int h, int w, const float *ctx, int nctx)
{
    size_t mark = sd__mark(m);
    int c = s->c, T = h * w, i;
    float *st = sd__push(m, (size_t)n * c * 2), *tok = sd__push(m, (size_t)n * T * c), *a = sd__push(m, (size_t)n * T * c);
    sd__op_gn_stats(m, st, x, n, c, T, 1e-6f, &s->norm);
    sd__op_tokens(m, tok, x, n, c, T, st);
    sd__op_linear(m, a, tok, n * T, c, &s->proj_in, NULL);
    for (i = 0; i < s->depth; i++) sd__tblock_forward(m, a, &s->blocks[i], n, T, c, s->heads, ctx, nctx, s->ctx_dim);
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

/* one block of the way down or up, in [N,Ci,..] -> out [N,c_out,..]: a stride-2 conv alone (down);
   or ResBlock and SpatialTransformer at its level's size, then (up) nearest upsampling to the next
   level's size and a conv, from tmp */
static void sd__ublock_forward(sd_model *m, float *out, float *tmp, const float *in, const sd__ublock *k, int n,
                               const int *H, const int *W, const float *emb_act, const float *ctx, int nctx)
{
    int l = k->level, c = k->c_out;
    float *r = k->up ? tmp : out;
    if (k->down) {
        sd__op_conv(m, out, in, sd__conv_down(n, c, H[l], W[l], c, 1), &k->conv, NULL, NULL, SD__ACT_NONE);
        return;
    }
    sd__resblock(m, r, in, &k->res, n, H[l], W[l], emb_act);
    if (k->attn.depth) sd__xformer_forward(m, r, &k->attn, n, H[l], W[l], ctx, nctx);
    if (k->up) sd__op_conv(m, out, r, sd__conv_up(n, c, H[l], W[l], c, H[l - 1], W[l - 1]), &k->conv, NULL, NULL, SD__ACT_NONE);
}

/* the size of each level (halved, rounded up), and the widest concat and block output on the way up */
static void sd__unet_sizes(const sd__unet *u, int n, int h, int w, int *H, int *W, size_t *max_cat, size_t *max_out)
{
    int l, i;
    for (l = 0; l < u->cfg.levels; l++) {
        H[l] = l ? (H[l - 1] + 1) / 2 : h;
        W[l] = l ? (W[l - 1] + 1) / 2 : w;
    }
    *max_cat = *max_out = 0;
    for (i = 0; i < u->n_out; i++) {
        const sd__ublock *k = &u->out[i];
        size_t hw = (size_t)H[k->level] * W[k->level], up = k->up ? (size_t)H[k->level - 1] * W[k->level - 1] : 0;
        if ((size_t)n * k->res.c_in * hw > *max_cat) *max_cat = (size_t)n * k->res.c_in * hw;
        if ((size_t)n * k->c_out * (hw > up ? hw : up) > *max_out) *max_out = (size_t)n * k->c_out * (hw > up ? hw : up);
    }
}

/* x [N,in,h,w], temb [N,ch] (the sinusoid of t), context [N,T,Dc], SDXL's y [N,adm_in] -> eps [N,out,h,w] */
static void sd__unet_forward(sd_model *m, float *eps_out, const float *x_in, int n, int h, int w, const float *temb, const float *ctx_in, int nctx,
                             const float *y_in)
{
    const sd__unet *u = m->unet;
    const sd__unet_cfg *cf = &u->cfg;
    int H[SD__MAXLEV], W[SD__MAXLEV], skip_c[SD__MAXBLK + 1], i, ns, c = cf->ch, E = cf->emb_dim, L = cf->levels - 1;
    float *skip[SD__MAXBLK + 1], *emb, *t1, *cur, *cat, *ha, *hb, *st;
    size_t max_cat, max_out;
    float *x = sd__push(m, (size_t)n * cf->in_ch * h * w), *ctx = sd__push(m, (size_t)n * nctx * cf->ctx_dim);
    float *eps = sd__push(m, (size_t)n * cf->out_ch * h * w);
    sd__unet_sizes(u, n, h, w, H, W, &max_cat, &max_out);
    sd__op_upload(m, x, x_in, (size_t)n * cf->in_ch * h * w);
    sd__op_upload(m, ctx, ctx_in, (size_t)n * nctx * cf->ctx_dim);
    /* time: the sinusoid -> Linear -> SiLU -> Linear, then SiLU once for every ResBlock */
    emb = sd__push(m, (size_t)n * E); t1 = sd__push(m, (size_t)n * E);
    sd__op_upload(m, emb, temb, (size_t)n * cf->ch);
    sd__op_linear_act(m, t1, emb, n, cf->ch, &u->time1, SD__ACT_SILU);
    sd__op_linear(m, emb, t1, n, E, &u->time2, NULL);
    if (cf->adm_in) {   /* SDXL: + label_emb(y), y the pooled text and the size sinusoids: Linear -> SiLU -> Linear */
        float *y = sd__push(m, (size_t)n * cf->adm_in);
        sd__op_upload(m, y, y_in, (size_t)n * cf->adm_in);
        sd__op_linear_act(m, t1, y, n, cf->adm_in, &u->label1, SD__ACT_SILU);
        sd__op_linear(m, emb, t1, n, E, &u->label2, emb);
    }
    sd__op_act(m, emb, emb, (size_t)n * E, SD__ACT_SILU);
    /* down: conv_in and the input blocks, each output kept for the way up */
    skip[0] = sd__push(m, (size_t)n * c * h * w); skip_c[0] = c;
    sd__op_conv(m, skip[0], x, sd__conv_same(n, cf->in_ch, h, w, c, 3), &u->conv_in, NULL, NULL, SD__ACT_NONE);
    for (i = 0; i < u->n_in; i++) {
        const sd__ublock *k = &u->in[i];
        int lo = k->level + k->down;
        skip[i + 1] = sd__push(m, (size_t)n * k->c_out * H[lo] * W[lo]);
        skip_c[i + 1] = k->c_out;
        sd__ublock_forward(m, skip[i + 1], NULL, skip[i], k, n, H, W, emb, ctx, nctx);
    }
    ns = u->n_in + 1;
    c = skip_c[u->n_in];
    /* middle: ResBlock, SpatialTransformer, ResBlock at the smallest size */
    ha = sd__push(m, (size_t)n * c * H[L] * W[L]);
    hb = sd__push(m, (size_t)n * c * H[L] * W[L]);
    sd__resblock(m, ha, skip[u->n_in], &u->mid1, n, H[L], W[L], emb);
    sd__xformer_forward(m, ha, &u->mid_attn, n, H[L], W[L], ctx, nctx);
    sd__resblock(m, hb, ha, &u->mid2, n, H[L], W[L], emb);
    /* up: each output block takes the last skip beside what came before */
    cat = sd__push(m, max_cat);
    ha = sd__push(m, max_out);
    cur = hb;
    hb = sd__push(m, max_out);
    for (i = 0; i < u->n_out; i++) {
        const sd__ublock *k = &u->out[i];
        float *dst = k->up ? hb : ha;
        ns--;
        sd__op_concat(m, cat, cur, c, skip[ns], skip_c[ns], n, H[k->level] * W[k->level]);
        sd__ublock_forward(m, dst, ha, cat, k, n, H, W, emb, ctx, nctx);
        cur = dst;
        c = k->c_out;
    }
    /* out: GroupNorm + SiLU + conv */
    st = sd__push(m, (size_t)n * c * 2);
    sd__op_gn_stats(m, st, cur, n, c, h * w, 1e-5f, &u->norm_out);
    sd__op_conv(m, eps, cur, sd__conv_same(n, c, h, w, cf->out_ch, 3), &u->conv_out, NULL, st, SD__ACT_SILU);
    sd__op_download(m, eps_out, eps, (size_t)n * cf->out_ch * h * w);
    sd__pop(m, x);
}

/* ================================================================ VAE
   AutoencoderKL of SD (ldm Encoder / Decoder), GroupNorm eps 1e-6 everywhere, batch 1.
   decode: z [4,h,w] -> post_quant_conv -> conv_in -> mid (ResnetBlock, AttnBlock, ResnetBlock)
           -> per level from the deepest: ResnetBlock x (nres+1), nearest x2 + conv
           -> GroupNorm + SiLU -> conv_out -> image [3,8h,8w]
   encode: image [3,H,W] -> conv_in -> per level: ResnetBlock x nres, stride-2 conv padded
           (0,1,0,1) -> mid -> GroupNorm + SiLU -> conv_out -> quant_conv -> mean, logvar [4,H/8,W/8] */

/* A VAE family: the widths read from the tensors, the latent scale the family's.
     SD 1.x, SD 2.x  ch 128, mult 1,2,4,4, nres 2, z 4, scale 0.18215
     SDXL            the same shapes, scale 0.13025 */
typedef struct sd__vae_cfg {
    int ch, levels, mult[SD__MAXLEV], nres;
    int z;                     /* latent channels */
    float scale;               /* the UNet's latent = scale * the encoder's sample */
} sd__vae_cfg;

typedef struct sd__vattn {       /* AttnBlock of the VAE: single head over all pixels */
    sd__norm norm;
    sd__lin q, k, v, proj;       /* 1x1 convs [C,C,1,1] */
} sd__vattn;

struct sd__vae {                 /* AutoencoderKL (ldm Encoder / Decoder) */
    sd__vae_cfg cfg;
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
};

/* ---------------------------------------------------------------- built from the checkpoint */

static sd_result sd__vae_infer(sd_model *m, sd__vae_cfg *v)
{
    char b[300];
    int l;
    static const char *const need[] = { SD__VAE "encoder.conv_in.weight", SD__VAE "decoder.conv_in.weight" };
    sd_result r;
    if ((r = sd__need(m, need, 2)) != SD_OK) return r;
    memset(v, 0, sizeof *v);
    v->ch = sd__dim(m, SD__VAE "encoder.conv_in.weight", 0);
    v->z = sd__dim(m, SD__VAE "decoder.conv_in.weight", 1);
    v->scale = 0.18215f;   /* SD 1.x's */
    for (v->levels = 0; v->levels < SD__MAXLEV && sd__has_part(m, SD__VAE "encoder.down.%d.", v->levels); v->levels++) {
        if (!sd__find(m, sd__fmt(b, sizeof b, SD__VAE "encoder.down.%d.block.0.conv1.weight", v->levels)))
            return sd__fail(m, SD_ERR_MODEL, "tensor '%s' missing", b);
        v->mult[v->levels] = sd__dim(m, b, 0) / (v->ch > 0 ? v->ch : 1);
    }
    for (v->nres = 0; v->nres < 4 && sd__has_part(m, SD__VAE "encoder.down.0.block.%d.", v->nres); v->nres++) {}
    if (v->ch <= 0 || v->ch % 32 || v->z <= 0 || v->levels < 1 || v->nres < 1)
        return sd__fail(m, SD_ERR_MODEL, "VAE: cannot make out the layout (%d channels, %d levels, latent %d)", v->ch, v->levels, v->z);
    /* the API's shapes are those of SD: 4 latent channels, 8x smaller (3 downsamplings) */
    if (v->levels != 4) return sd__fail(m, SD_ERR_MODEL, "VAE: %d levels, 4 expected (SD 1.x scales images by 8)", v->levels);
    if (v->z != 4) return sd__fail(m, SD_ERR_MODEL, "VAE: %d latent channels, 4 expected (SD 1.x)", v->z);
    for (l = 0; l < v->levels; l++)
        if (v->mult[l] <= 0) return sd__fail(m, SD_ERR_MODEL, "VAE: level %d has an unusable width", l);
    return SD_OK;
}

/* the VAE's attention projections: 1x1 convs in LDM files, Linear in some conversions */
static void sd__vattn_get(sd__ld *L, sd__vattn *a, const char *p, int c)
{
    static const char *const part[4] = { "q", "k", "v", "proj_out" };
    sd__lin *lin[4];
    char b[300];
    int i;
    lin[0] = &a->q; lin[1] = &a->k; lin[2] = &a->v; lin[3] = &a->proj;
    a->norm = sd__norm_get(L, sd__fmt(b, sizeof b, "%s.norm", p), c);
    for (i = 0; i < 4; i++) {
        const sd__tensor *t = sd__find(L->m, sd__fmt(b, sizeof b, "%s.%s.weight", p, part[i]));
        *lin[i] = sd__lin_get(L, sd__fmt(b, sizeof b, "%s.%s", p, part[i]), c, c, t && t->ndim == 2 ? SD__LINEAR : SD__CONV1, SD__BIAS);
    }
}

static sd_result sd__build_vae(sd_model *m)
{
    sd__vae *v;
    sd__vae_cfg *cf;
    sd__ld L;
    char b[300];
    int l, r, c, cl;
    if (!(v = m->vae = (sd__vae *)sd__calloc(m, 1, sizeof *v))) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    cf = &v->cfg;
    if ((L.r = sd__vae_infer(m, cf)) != SD_OK) return L.r;
    L.m = m;
    /* encoder */
    v->enc_conv_in = sd__lin_get(&L, SD__VAE "encoder.conv_in", cf->ch, 3, SD__CONV3, SD__BIAS);
    c = cf->ch;
    for (l = 0; l < cf->levels; l++) {
        for (r = 0; r < cf->nres; r++) {
            sd__res_get(&L, &v->enc_res[l][r], sd__fmt(b, sizeof b, SD__VAE "encoder.down.%d.block.%d", l, r), c, cf->ch * cf->mult[l], 0);
            c = cf->ch * cf->mult[l];
        }
        if (l != cf->levels - 1) v->enc_down[l] = sd__lin_get(&L, sd__fmt(b, sizeof b, SD__VAE "encoder.down.%d.downsample.conv", l), c, c, SD__CONV3, SD__BIAS);
    }
    sd__res_get(&L, &v->enc_mid1, SD__VAE "encoder.mid.block_1", c, c, 0);
    sd__vattn_get(&L, &v->enc_attn, SD__VAE "encoder.mid.attn_1", c);
    sd__res_get(&L, &v->enc_mid2, SD__VAE "encoder.mid.block_2", c, c, 0);
    v->enc_norm_out = sd__norm_get(&L, SD__VAE "encoder.norm_out", c);
    v->enc_conv_out = sd__lin_get(&L, SD__VAE "encoder.conv_out", 2 * cf->z, c, SD__CONV3, SD__BIAS);
    v->quant = sd__lin_get(&L, SD__VAE "quant_conv", 2 * cf->z, 2 * cf->z, SD__CONV1, SD__BIAS);
    /* decoder */
    cl = cf->ch * cf->mult[cf->levels - 1];
    v->post_quant = sd__lin_get(&L, SD__VAE "post_quant_conv", cf->z, cf->z, SD__CONV1, SD__BIAS);
    v->dec_conv_in = sd__lin_get(&L, SD__VAE "decoder.conv_in", cl, cf->z, SD__CONV3, SD__BIAS);
    c = cl;
    sd__res_get(&L, &v->dec_mid1, SD__VAE "decoder.mid.block_1", c, c, 0);
    sd__vattn_get(&L, &v->dec_attn, SD__VAE "decoder.mid.attn_1", c);
    sd__res_get(&L, &v->dec_mid2, SD__VAE "decoder.mid.block_2", c, c, 0);
    for (l = cf->levels - 1; l >= 0; l--) {
        for (r = 0; r <= cf->nres; r++) {
            sd__res_get(&L, &v->dec_res[l][r], sd__fmt(b, sizeof b, SD__VAE "decoder.up.%d.block.%d", l, r), c, cf->ch * cf->mult[l], 0);
            c = cf->ch * cf->mult[l];
        }
        if (l != 0) v->dec_up[l] = sd__lin_get(&L, sd__fmt(b, sizeof b, SD__VAE "decoder.up.%d.upsample.conv", l), c, c, SD__CONV3, SD__BIAS);
    }
    v->dec_norm_out = sd__norm_get(&L, SD__VAE "decoder.norm_out", c);
    v->dec_conv_out = sd__lin_get(&L, SD__VAE "decoder.conv_out", 3, c, SD__CONV3, SD__BIAS);
    return L.r;
}

static void sd__vae_free(sd_model *m)
{
    sd__free(m, m->vae);
    m->vae = NULL;
}

/* ---------------------------------------------------------------- the forward pass */

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
    sd__op_attention(m, tok, q, k, v, 1, 1, hw, hw, c, SD__MASK_NONE);
    sd__op_linear(m, q, tok, hw, c, &a->proj, NULL);
    sd__op_untokens(m, x, q, 1, c, hw, x);
    sd__release(m, mark);
}

/* the biggest activation of either direction: a level's width at its size or at its neighbour's */
static size_t sd__vae_widest(const sd__vae_cfg *v, int h0, int w0, sd__stage_kind kind)
{
    int decode = kind == SD__STAGE_DECODE;
    size_t max = 0;
    int l, L = v->levels;
    for (l = 0; l < L; l++) {
        size_t hw = decode ? (size_t)(h0 << (L - 1 - l)) * (size_t)(w0 << (L - 1 - l)) : (size_t)(h0 >> l) * (size_t)(w0 >> l);
        size_t cl = (size_t)v->ch * v->mult[l];
        size_t cn = decode ? (size_t)v->ch * v->mult[l == L - 1 ? l : l + 1] : (size_t)v->ch * (l ? v->mult[l - 1] : 1);
        if (cl * hw > max) max = cl * hw;
        if (cn * hw > max) max = cn * hw;
    }
    return max;
}

/* z [4,h,w] -> image [3,8h,8w]. One buffer of the widest activation, x: every block works in
   place on it (the channels shrink or stay going up), and an upsampling reads a copy of its input.
   At 512x512: 268 MB for x, 134 MB at most beside it (a ResBlock's h) */
static void sd__vae_decode_forward(sd_model *m, float *image_out, const float *z_in, int h, int w)
{
    const sd__vae *v = m->vae;
    const sd__vae_cfg *cf = &v->cfg;
    int L = cf->levels, l, b, c = cf->ch * cf->mult[L - 1], H = h, W = w;
    size_t max = sd__vae_widest(cf, h, w, SD__STAGE_DECODE);
    float *z = sd__push(m, (size_t)cf->z * h * w), *image = sd__push(m, (size_t)3 * 64 * h * w);
    float *z1 = sd__push(m, (size_t)cf->z * h * w), *x = sd__push(m, max), *t, *st;
    sd__op_upload(m, z, z_in, (size_t)cf->z * h * w);
    sd__op_conv(m, z1, z, sd__conv_same(1, cf->z, h, w, cf->z, 1), &v->post_quant, NULL, NULL, SD__ACT_NONE);
    sd__op_conv(m, x, z1, sd__conv_same(1, cf->z, h, w, c, 3), &v->dec_conv_in, NULL, NULL, SD__ACT_NONE);
    sd__resblock_inplace(m, x, &v->dec_mid1, H, W);
    sd__vattn_forward(m, x, &v->dec_attn, c, H * W);
    sd__resblock_inplace(m, x, &v->dec_mid2, H, W);
    for (l = L - 1; l >= 0; l--) {
        for (b = 0; b <= cf->nres; b++) sd__resblock_inplace(m, x, &v->dec_res[l][b], H, W);
        c = cf->ch * cf->mult[l];
        if (l != 0) {   /* nearest x2, fused into the conv */
            size_t mark = sd__mark(m);
            t = sd__push(m, (size_t)c * H * W);
            sd__op_copy(m, t, x, c, H * W);
            sd__op_conv(m, x, t, sd__conv_up(1, c, H, W, c, 2 * H, 2 * W), &v->dec_up[l], NULL, NULL, SD__ACT_NONE);
            sd__release(m, mark);
            H *= 2; W *= 2;
        }
    }
    st = sd__push(m, (size_t)c * 2);
    sd__op_gn_stats(m, st, x, 1, c, H * W, 1e-6f, &v->dec_norm_out);
    sd__op_conv(m, image, x, sd__conv_same(1, c, H, W, 3, 3), &v->dec_conv_out, NULL, st, SD__ACT_SILU);
    sd__op_download(m, image_out, image, (size_t)3 * 64 * h * w);
    sd__pop(m, z);
}

/* image [3,H,W] -> moments [2z,H/8,W/8]: mean, then logvar */
static void sd__vae_encode_forward(sd_model *m, float *moments_out, const float *image_in, int H, int W)
{
    const sd__vae *v = m->vae;
    const sd__vae_cfg *cf = &v->cfg;
    int L = cf->levels, l, b, c = cf->ch;
    size_t max = sd__vae_widest(cf, H, W, SD__STAGE_ENCODE);
    float *image = sd__push(m, (size_t)3 * H * W), *moments = sd__push(m, (size_t)2 * cf->z * (H >> (L - 1)) * (W >> (L - 1)));
    float *cur = sd__push(m, max), *oth = sd__push(m, max), *t, *st;
    sd__op_upload(m, image, image_in, (size_t)3 * H * W);
    sd__op_conv(m, cur, image, sd__conv_same(1, 3, H, W, c, 3), &v->enc_conv_in, NULL, NULL, SD__ACT_NONE);
    for (l = 0; l < L; l++) {
        for (b = 0; b < cf->nres; b++) {
            sd__resblock(m, oth, cur, &v->enc_res[l][b], 1, H, W, NULL);
            c = v->enc_res[l][b].c_out;
            t = cur; cur = oth; oth = t;
        }
        if (l != L - 1) {   /* stride 2, zero padding only on the bottom and right */
            sd__op_conv(m, oth, cur, sd__conv_down(1, c, H, W, c, 0), &v->enc_down[l], NULL, NULL, SD__ACT_NONE);
            H /= 2; W /= 2;
            t = cur; cur = oth; oth = t;
        }
    }
    sd__resblock(m, oth, cur, &v->enc_mid1, 1, H, W, NULL);
    sd__vattn_forward(m, oth, &v->enc_attn, c, H * W);
    sd__resblock(m, cur, oth, &v->enc_mid2, 1, H, W, NULL);
    st = sd__push(m, (size_t)c * 2);
    sd__op_gn_stats(m, st, cur, 1, c, H * W, 1e-6f, &v->enc_norm_out);
    sd__op_conv(m, oth, cur, sd__conv_same(1, c, H, W, 2 * cf->z, 3), &v->enc_conv_out, NULL, st, SD__ACT_SILU);
    sd__op_conv(m, moments, oth, sd__conv_same(1, 2 * cf->z, H, W, 2 * cf->z, 1), &v->quant, NULL, NULL, SD__ACT_NONE);
    sd__op_download(m, moments_out, moments, (size_t)2 * cf->z * H * W);
    sd__pop(m, image);
}

/* ================================================================ TAESD
   The Tiny AutoEncoder for SD (madebyollin): 2.4 M parameters, 64 channels, plain 3x3
   convolutions and ReLUs, about forty times cheaper than the VAE. Its latent is the UNet's as it
   is (scale 1, no distribution). Layers as madebyollin's nn.Sequential indices:
     encoder  image (x+1)/2 [3,H,W] -> C B D B B B D B B B D B B B C -> latent [4,H/8,W/8]
     decoder  latent -> T C R B B B U C B B B U C B B B U C B C -> image [3,8h,8w], then 2 x - 1
   C conv (bias if the file has one), D conv stride 2, U nearest x2 (with the C after it: one
   up-conv), R ReLU, T tanh(z/3)*3 (done on the input), B Block: relu(conv(relu(conv(relu(conv(x))))) + x).
   Tensors: taesd.encoder.N.*, taesd.decoder.N.* (renamed from both file layouts by sd_load_taesd). */

static const char sd__taesd_enc_layers[] = "CBDBBBDBBBDBBBC";
static const char sd__taesd_dec_layers[] = "TCRBBBUCBBBUCBBBUCBC";

typedef struct sd__taesd_layer {
    char kind;                    /* C D U(with its conv) B, or R T (no weights) */
    sd__lin conv;                 /* C, D, U: [co, ci, 3, 3] */
    sd__lin c0, c2, c4;           /* B: conv.0, conv.2, conv.4 [c, c, 3, 3] */
} sd__taesd_layer;

struct sd__taesd {
    int has_enc, has_dec, ch, z;  /* which halves the files held; width; latent channels */
    sd__taesd_layer enc[sizeof sd__taesd_enc_layers - 1], dec[sizeof sd__taesd_dec_layers - 1];
};

static void sd__taesd_half(sd__ld *L, sd__taesd_layer *out, const char *kinds, const char *half, int *ch, int *cin, int *cout)
{
    char b[200];
    int i, n = (int)strlen(kinds);
    for (i = 0; i < n && L->r == SD_OK; i++) {
        sd__taesd_layer *y = &out[i];
        y->kind = kinds[i] == 'U' ? '-' : kinds[i];   /* U: the conv after it does the upsampling */
        if (kinds[i] == 'C' || kinds[i] == 'D') {
            int u = i > 0 && kinds[i - 1] == 'U', co, ci;
            sd__fmt(b, sizeof b, SD__TAESD "%s.%d.weight", half, i);
            co = sd__dim(L->m, b, 0); ci = sd__dim(L->m, b, 1);
            if (!sd__find(L->m, b)) { L->r = sd__fail(L->m, SD_ERR_MODEL, "TAESD: tensor '%s' missing", b); break; }
            b[strlen(b) - 7] = 0;   /* without ".weight" */
            y->conv = sd__lin_get(L, b, co, ci, SD__CONV3, sd__has(L->m, SD__TAESD "%s.%d.bias", half, i) ? SD__BIAS : SD__NO_BIAS);
            if (u) y->kind = 'U';
            if (!*cin) *cin = ci;   /* the first conv's input, the last one's output */
            if (i == n - 1) *cout = co;
            else if (*ch == 0) *ch = co;
        } else if (kinds[i] == 'B') {
            y->c0 = sd__lin_get(L, sd__fmt(b, sizeof b, SD__TAESD "%s.%d.conv.0", half, i), *ch, *ch, SD__CONV3, SD__BIAS);
            y->c2 = sd__lin_get(L, sd__fmt(b, sizeof b, SD__TAESD "%s.%d.conv.2", half, i), *ch, *ch, SD__CONV3, SD__BIAS);
            y->c4 = sd__lin_get(L, sd__fmt(b, sizeof b, SD__TAESD "%s.%d.conv.4", half, i), *ch, *ch, SD__CONV3, SD__BIAS);
        }
    }
}

static sd_result sd__build_taesd(sd_model *m)
{
    sd__taesd *t;
    sd__ld L;
    int cin, cout;
    if (!(t = m->taesd = (sd__taesd *)sd__calloc(m, 1, sizeof *t))) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    L.m = m; L.r = SD_OK;
    t->has_enc = sd__has_prefix(m, SD__TAESD "encoder.");
    t->has_dec = sd__has_prefix(m, SD__TAESD "decoder.");
    if (t->has_enc) {
        cin = cout = 0;
        sd__taesd_half(&L, t->enc, sd__taesd_enc_layers, "encoder", &t->ch, &cin, &cout);
        if (L.r == SD_OK && cin != 3) L.r = sd__fail(m, SD_ERR_MODEL, "TAESD encoder takes %d channels, 3 expected", cin);
        t->z = cout;
    }
    if (t->has_dec && L.r == SD_OK) {
        cin = cout = 0;
        sd__taesd_half(&L, t->dec, sd__taesd_dec_layers, "decoder", &t->ch, &cin, &cout);
        if (L.r == SD_OK && cout != 3) L.r = sd__fail(m, SD_ERR_MODEL, "TAESD decoder gives %d channels, 3 expected", cout);
        if (L.r == SD_OK && t->has_enc && cin != t->z) L.r = sd__fail(m, SD_ERR_MODEL, "TAESD: encoder of %d, decoder of %d latent channels", t->z, cin);
        t->z = cin;
    }
    if (L.r == SD_OK && m->vae && t->z != m->vae->cfg.z)
        L.r = sd__fail(m, SD_ERR_MODEL, "TAESD of %d latent channels; this model's are %d (a TAESD for another family?)", t->z, m->vae->cfg.z);
    return sd__wrap(m, L.r, NULL, NULL);
}

static void sd__taesd_free(sd_model *m)
{
    sd__free(m, m->taesd);
    m->taesd = NULL;
}

/* the layers of one half, in place on [ch, H, W] buffers a and b (each the size of the widest) */
static float *sd__taesd_run(sd_model *m, const sd__taesd_layer *ly, int n, float *x, float *y, float *tmp, int *c, int *H, int *W)
{
    int i;
    for (i = 0; i < n; i++) {
        const sd__taesd_layer *k = &ly[i];
        float *t;
        int co = k->conv.w ? (int)k->conv.w->shape[0] : *c;
        if (k->kind == 'T' || k->kind == '-') continue;   /* (T: done on the input; -: in the next conv) */
        if (k->kind == 'R') { sd__op_act(m, x, x, (size_t)*c * *H * *W, SD__ACT_RELU); continue; }
        if (k->kind == 'C') sd__op_conv(m, y, x, sd__conv_same(1, *c, *H, *W, co, 3), &k->conv, NULL, NULL, SD__ACT_NONE);
        else if (k->kind == 'D') {
            sd__op_conv(m, y, x, sd__conv_down(1, *c, *H, *W, co, 1), &k->conv, NULL, NULL, SD__ACT_NONE);
            *H = (*H + 1) / 2; *W = (*W + 1) / 2;
        } else if (k->kind == 'U') {
            sd__op_conv(m, y, x, sd__conv_up(1, *c, *H, *W, co, 2 * *H, 2 * *W), &k->conv, NULL, NULL, SD__ACT_NONE);
            *H *= 2; *W *= 2;
        } else {   /* Block: relu(conv4(relu(conv2(relu(conv0(x))))) + x) */
            size_t n1 = (size_t)*c * *H * *W;
            sd__op_conv(m, tmp, x, sd__conv_same(1, *c, *H, *W, *c, 3), &k->c0, NULL, NULL, SD__ACT_NONE);
            sd__op_act(m, tmp, tmp, n1, SD__ACT_RELU);
            sd__op_conv(m, y, tmp, sd__conv_same(1, *c, *H, *W, *c, 3), &k->c2, NULL, NULL, SD__ACT_NONE);
            sd__op_act(m, y, y, n1, SD__ACT_RELU);
            sd__op_conv(m, tmp, y, sd__conv_same(1, *c, *H, *W, *c, 3), &k->c4, x, NULL, SD__ACT_NONE);
            sd__op_act(m, y, tmp, n1, SD__ACT_RELU);
        }
        *c = co;
        t = x; x = y; y = t;
    }
    return x;
}

/* latent [z,h,w] (tanh(z/3)*3 applied) -> D(z) [3,8h,8w] (the caller makes it 2 D - 1) */
static void sd__taesd_decode_forward(sd_model *m, float *image_out, const float *z_in, int h, int w)
{
    const sd__taesd *t = m->taesd;
    size_t max = (size_t)(t->ch > 3 ? t->ch : 3) * 64 * h * w;
    float *a = sd__push(m, max), *b = sd__push(m, max), *tmp = sd__push(m, max), *out;
    int c = t->z, H = h, W = w;
    sd__op_upload(m, a, z_in, (size_t)t->z * h * w);
    out = sd__taesd_run(m, t->dec, (int)sizeof sd__taesd_dec_layers - 1, a, b, tmp, &c, &H, &W);
    sd__op_download(m, image_out, out, (size_t)3 * H * W);
    sd__pop(m, a);
}

/* image (x+1)/2 [3,H,W] -> latent [z,H/8,W/8] */
static void sd__taesd_encode_forward(sd_model *m, float *latent_out, const float *image_in, int H, int W)
{
    const sd__taesd *t = m->taesd;
    size_t max = (size_t)(t->ch > 3 ? t->ch : 3) * H * W;
    float *a = sd__push(m, max), *b = sd__push(m, max), *tmp = sd__push(m, max), *out;
    int c = 3, h = H, w = W;
    sd__op_upload(m, a, image_in, (size_t)3 * H * W);
    out = sd__taesd_run(m, t->enc, (int)sizeof sd__taesd_enc_layers - 1, a, b, tmp, &c, &h, &w);
    sd__op_download(m, latent_out, out, (size_t)t->z * h * w);
    sd__pop(m, a);
}

/* ================================================================ samplers
   A sampler walks the latent from noise to an image, one UNet evaluation at a time, in one of two
   timetables (sd_schedule):
   - diffusers' own timesteps (SD_SCHEDULER_DIFFUSERS): DDIM, Euler, Euler a and PNDM as diffusers'
     schedulers with the SD 1.5 configuration (scaled_linear betas from 0.00085 to 0.012 over 1000
     training steps), with the same float32 operations in the same order;
   - sigma space (k-diffusion, as A1111 and ComfyUI run it): a list of noise levels
     sigma_0 > ... > sigma_n = 0 (normal, karras, exponential, sgm_uniform, simple). The latent is
     x = x_0 + sigma * noise; the UNet sees x / sqrt(sigma^2 + 1) at the fractional timestep whose
     sigma it is, and its guided eps gives the denoised estimate D = x - sigma eps, from which
     each sampler (Euler, Heun, DPM2, LMS, DPM++ 2M, ...) takes its step to the next sigma.
   A run (sd_sampling) asks for one evaluation at a time and keeps what multistep samplers
   remember; the caller owns it and its work memory. */

SDDEF const char *sd_sampler_name(sd_sampler s)
{
    static const char *const name[SD_SAMPLER_COUNT] = { "euler_a", "euler", "ddim", "pndm", "heun", "dpm2", "dpm2_a", "lms",
                                                        "dpm++2m", "dpm++2s_a", "lcm" };
    return (int)s >= 0 && s < SD_SAMPLER_COUNT ? name[s] : "?";
}

SDDEF const char *sd_scheduler_name(sd_scheduler k)
{
    static const char *const name[SD_SCHEDULER_COUNT] = { "default", "diffusers", "normal", "karras", "exponential", "sgm_uniform", "simple" };
    return (int)k >= 0 && k < SD_SCHEDULER_COUNT ? name[k] : "?";
}

SDDEF int sd_sampler_parse(const char *name, sd_sampler *out)
{
    int i;
    for (i = 0; i < SD_SAMPLER_COUNT; i++) if (!strcmp(name, sd_sampler_name((sd_sampler)i))) { *out = (sd_sampler)i; return 1; }
    return 0;
}

SDDEF int sd_scheduler_parse(const char *name, sd_scheduler *out)
{
    int i;
    for (i = 0; i < SD_SCHEDULER_COUNT; i++) if (!strcmp(name, sd_scheduler_name((sd_scheduler)i))) { *out = (sd_scheduler)i; return 1; }
    return 0;
}

/* the schedule kind a sampler takes by default: diffusers' for the diffusers samplers, karras for the others */
SDDEF sd_scheduler sd_scheduler_default(sd_sampler s)
{
    return s == SD_SAMPLER_EULER_A || s == SD_SAMPLER_EULER || s == SD_SAMPLER_DDIM || s == SD_SAMPLER_PNDM
           ? SD_SCHEDULER_DIFFUSERS : SD_SCHEDULER_KARRAS;
}

SDDEF int sd_sampler_takes(sd_sampler s, sd_scheduler k)
{
    if (k == SD_SCHEDULER_DEFAULT) return 1;
    if (s == SD_SAMPLER_DDIM || s == SD_SAMPLER_PNDM) return k == SD_SCHEDULER_DIFFUSERS;
    return k != SD_SCHEDULER_DIFFUSERS || sd_scheduler_default(s) == SD_SCHEDULER_DIFFUSERS;
}

/* ---------------------------------------------------------------- the training noise levels */

/* diffusers: torch.linspace(sqrt(0.00085), sqrt(0.012), 1000, float32) ** 2; cumprod accumulates in
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

/* sigma space (k-diffusion's DiscreteEpsDDPMDenoiser on the checkpoint's alphas_cumprod buffer):
   betas in double, their cumulative product rounded to float32, sigma_t = sqrt((1 - a_t) / a_t)
   and ln sigma_t in float32 */
static void sd__sigma_table(float *sigma, float *log_sigma)
{
    double b0 = sqrt(0.00085), b1 = sqrt(0.012), prod = 1.0;
    int i;
    for (i = 0; i < 1000; i++) {
        double b = b0 + (double)i * (b1 - b0) / 999.0;
        float a;
        prod *= 1.0 - b * b;
        a = (float)prod;
        sigma[i] = sqrtf((1.0f - a) / a);
        log_sigma[i] = logf(sigma[i]);
    }
}

/* t -> sigma: log-linear between the two training steps around t */
static double sd__t_to_sigma(const sd_schedule *s, double t)
{
    int lo = (int)floor(t), hi = (int)ceil(t);
    double w = t - lo;
    return exp((1.0 - w) * s->log_sigmas[lo] + w * s->log_sigmas[hi]);
}

/* sigma -> the fractional timestep the UNet sees (k-diffusion's sigma_to_t, quantize=False):
   k = the last step in 0..998 with ln sigma_k <= ln sigma, then linear in ln sigma up to k + 1 */
static float sd__sigma_to_t(const sd_schedule *s, float sigma)
{
    double l = log(sigma), w;
    int k = 0, i;
    for (i = 0; i < 999; i++) if (s->log_sigmas[i] <= l) k = i;
    w = ((double)s->log_sigmas[k] - l) / ((double)s->log_sigmas[k] - (double)s->log_sigmas[k + 1]);
    w = w < 0.0 ? 0.0 : w > 1.0 ? 1.0 : w;
    return (float)((1.0 - w) * k + w * (k + 1));
}

/* n noise levels of a kind, then 0; f_i = i / (n - 1) runs from sigma_max to sigma_min */
static void sd__sigmas(const sd_schedule *s, sd_scheduler kind, int n, float *out)
{
    double smin = s->sigma_table[0], smax = s->sigma_table[999];
    int i;
    for (i = 0; i < n; i++) {
        double f = n > 1 ? (double)i / (n - 1) : 0.0, sig;
        switch (kind) {
        case SD_SCHEDULER_KARRAS:        /* Karras et al. 2022, eq. 5, rho 7: even steps in sigma^(1/7) */
            sig = pow(pow(smax, 1.0 / 7) + f * (pow(smin, 1.0 / 7) - pow(smax, 1.0 / 7)), 7.0); break;
        case SD_SCHEDULER_EXPONENTIAL:   /* even steps in ln sigma */
            sig = exp(log(smax) + f * (log(smin) - log(smax))); break;
        case SD_SCHEDULER_SGM_UNIFORM:   /* even steps in t from 999, the last (t = 0) left out */
            sig = sd__t_to_sigma(s, 999.0 * (1.0 - (double)i / n)); break;
        case SD_SCHEDULER_SIMPLE:        /* every 1000/n-th training sigma, from the top */
            sig = s->sigma_table[999 - (int)((double)i * (1000.0 / n))]; break;
        default:                         /* normal: even steps in t from 999 to 0 */
            sig = sd__t_to_sigma(s, 999.0 * (1.0 - f)); break;
        }
        out[i] = (float)sig;
    }
    out[n] = 0.0f;
}

/* ---------------------------------------------------------------- the timetable */

SDDEF sd_result sd_schedule_make(sd_schedule *s, sd_sampler sampler, sd_scheduler kind, int steps, float eta)
{
    int i;
    memset(s, 0, sizeof *s);
    if (steps < 1 || steps > SD_MAX_STEPS || (int)sampler < 0 || sampler >= SD_SAMPLER_COUNT || (int)kind < 0 || kind >= SD_SCHEDULER_COUNT)
        return SD_ERR_ARG;
    if (kind == SD_SCHEDULER_DEFAULT) kind = sd_scheduler_default(sampler);
    if (!sd_sampler_takes(sampler, kind)) return SD_ERR_ARG;
    s->sampler = sampler;
    s->scheduler = kind;
    s->steps = s->n_t = steps;
    s->eta = eta;
    sd__alphas_cumprod(s->alphas_cumprod);
    sd__sigma_table(s->sigma_table, s->log_sigmas);
    if (kind != SD_SCHEDULER_DIFFUSERS) {
        float tmp[SD_MAX_STEPS + 2];
        if (sampler == SD_SAMPLER_DPM2 || sampler == SD_SAMPLER_DPM2_A) {   /* one more level, the next-to-last dropped */
            sd__sigmas(s, kind, steps + 1, tmp);
            memcpy(s->sigmas, tmp, (size_t)steps * sizeof(float));
            s->sigmas[steps] = 0.0f;
        } else sd__sigmas(s, kind, steps, s->sigmas);
        for (i = 0; i < steps; i++) s->timesteps[i] = sd__sigma_to_t(s, s->sigmas[i]);
        s->init_noise_sigma = s->sigmas[0];
        return SD_OK;
    }
    if (sampler == SD_SAMPLER_DDIM || sampler == SD_SAMPLER_PNDM) {
        /* "leading" spacing: (0, r, 2r, ...) reversed, plus steps_offset 1; at 1000 steps diffusers
           would index past the table: there the timesteps are 999..0 */
        int ratio = 1000 / steps;
        for (i = 0; i < steps; i++) {
            int t = (steps - 1 - i) * ratio + 1;
            s->timesteps[i] = (float)(t > 999 - i ? 999 - i : t);
        }
        if (sampler == SD_SAMPLER_PNDM && steps > 1) {   /* PLMS: the second timestep twice (its warm-up step) */
            for (i = steps; i > 1; i--) s->timesteps[i] = s->timesteps[i - 1];
            s->n_t = steps + 1;
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

SDDEF sd_result sd_schedule_init(sd_schedule *s, sd_sampler sampler, int steps, float eta)
{
    return sd_schedule_make(s, sampler, SD_SCHEDULER_DEFAULT, steps, eta);
}

/* DDIM and PNDM see x itself; every sigma-based sampler x / sqrt(sigma^2 + 1) */
static int sd__unscaled(const sd_schedule *s) { return s->sampler == SD_SAMPLER_DDIM || s->sampler == SD_SAMPLER_PNDM; }

static void sd__scale(const sd_schedule *s, float sigma, const float *x, float *out, size_t n)
{
    size_t k;
    float d = sqrtf(sigma * sigma + 1.0f);
    if (sd__unscaled(s)) { if (out != x) memcpy(out, x, n * sizeof *x); return; }
    for (k = 0; k < n; k++) out[k] = x[k] / d;
}

SDDEF void sd_scale_input(const sd_schedule *s, int i, const float *x, float *out, size_t n)
{
    sd__scale(s, s->sigmas[i], x, out, n);
}

SDDEF void sd_add_noise(const sd_schedule *s, int i, const float *x0, const float *noise, float *out, size_t n)
{
    size_t k;
    if (sd__unscaled(s)) {
        float a = s->alphas_cumprod[(int)s->timesteps[i]], sa = sqrtf(a), sb = sqrtf(1.0f - a);
        for (k = 0; k < n; k++) out[k] = sa * x0[k] + sb * noise[k];
    } else {
        float sigma = s->sigmas[i];
        for (k = 0; k < n; k++) out[k] = x0[k] + noise[k] * sigma;
    }
}

SDDEF int sd_first_step(int steps, double strength)
{
    volatile double prod = steps * strength;   /* rounded to double as diffusers computes it, also where */
    int init = (int)prod, start;               /* floats are evaluated wider (x87): 10 x 0.6 is 6, not 5.999 */
    if (init > steps) init = steps;
    start = steps - init;
    if (start < 0) start = 0;
    return start >= steps ? -1 : start;
}

SDDEF int sd_schedule_first_step(const sd_schedule *s, double strength)
{
    volatile double prod = (strength < 0.0 ? 0.0 : strength < 0.999 ? strength : 0.999) * s->steps;
    if (s->scheduler == SD_SCHEDULER_DIFFUSERS) return sd_first_step(s->steps, strength);
    return s->steps - (int)prod - 1;   /* A1111: t_enc = int(min(strength, 0.999) * steps) steps after this one */
}

/* ---------------------------------------------------------------- the steps
   Each update takes the guided eps of the evaluation sd_sampling_next asked for. Single-evaluation
   steps are plain functions of the schedule (sd_step); the others keep what they need in the run. */

/* diffusers' DDIM, Euler and Euler a on diffusers' timesteps */
static void sd__step_diffusers(const sd_schedule *s, int i, const float *eps, float *x, float *denoised, size_t n, sd_rng *rng)
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

/* the ancestral split of a step sigma -> sigma' (k-diffusion get_ancestral_step, eta 1): down to
   sigma_down deterministically, then fresh noise of sigma_up */
static void sd__ancestral(float sigma, float next, float *down, float *up)
{
    float u = sqrtf(next * next * (sigma * sigma - next * next) / (sigma * sigma));
    *up = u < next ? u : next;
    *down = sqrtf(next * next - *up * *up);
}

/* the LMS coefficient of the derivative j steps back, at step i of order m: the integral over
   [sigma_i, sigma_i+1] of the Lagrange polynomial that is 1 at sigma_{i-j}, 0 at the other m - 1 */
static float sd__lms_coeff(const float *sig, int i, int m, int j)
{
    double p[4] = { 1.0, 0.0, 0.0, 0.0 }, a = sig[i], b = sig[i + 1], sum = 0.0;
    int deg = 0, k, e;
    for (k = 0; k < m; k++) {
        double xk = sig[i - k], den = (double)sig[i - j] - xk;
        if (k == j) continue;
        for (e = deg + 1; e >= 1; e--) p[e] = (p[e - 1] - xk * p[e]) / den;   /* p *= (tau - xk) / den */
        p[0] = -xk * p[0] / den;
        deg++;
    }
    for (e = 0; e <= deg; e++) sum += p[e] * (pow(b, e + 1) - pow(a, e + 1)) / (e + 1);
    return (float)sum;
}

/* the derivative dx/dsigma = (x - D) / sigma at x, with D = x - sigma eps (k-diffusion's to_d) */
static float sd__to_d(float x, float sigma, float eps) { return (x - (x - sigma * eps)) / sigma; }

/* k-diffusion's samplers (sampling.py; lcm: ComfyUI's): one evaluation at r->sigma of x = r->x.
   Stage 0 evaluates at sigma_i; heun, dpm2, dpm2_a and dpm++2s_a evaluate once more inside the step
   (stage 1) from x_2, keeping x in work[0] (heun: d in work[1]). */
static void sd__step_k(sd_sampling *r, const float *eps, float *denoised)
{
    const sd_schedule *s = r->s;
    size_t k, n = r->n;
    float *x = r->x, *x0 = r->work, *dk = r->work ? r->work + n : NULL;
    float sg = s->sigmas[r->i], sn = s->sigmas[r->i + 1], se = r->sigma, down = sn, up = 0.0f;
    sd_sampler a = s->sampler;
    int ancestral = a == SD_SAMPLER_EULER_A || a == SD_SAMPLER_DPM2_A || a == SD_SAMPLER_DPMPP_2S_A, next_stage = 0;
    if (ancestral) sd__ancestral(sg, sn, &down, &up);
    if (r->stage == 1) {   /* the second evaluation, at se from x_2 = x */
        float dt = (a == SD_SAMPLER_DPM2_A ? down : sn) - sg;
        if (a == SD_SAMPLER_DPMPP_2S_A) {
            double h = log(sg) - log(down);
            float cx = (float)(down / sg), cd = (float)expm1(-h);
            for (k = 0; k < n; k++) x[k] = cx * x0[k] - cd * (x[k] - se * eps[k]);
        } else
            for (k = 0; k < n; k++) {
                float d2 = sd__to_d(x[k], se, eps[k]);
                x[k] = a == SD_SAMPLER_HEUN ? x0[k] + ((dk[k] + d2) / 2.0f) * dt : x0[k] + d2 * dt;
            }
    } else {
        if (denoised) for (k = 0; k < n; k++) denoised[k] = x[k] - sg * eps[k];
        switch (a) {
        case SD_SAMPLER_HEUN: case SD_SAMPLER_DPM2: case SD_SAMPLER_DPM2_A: {
            /* Heun: x_2 = x + d (sigma' - sigma), the step with the mean of d and d(x_2, sigma');
               DPM2: x_2 = x + d (sigma_mid - sigma) at the geometric midpoint, the step with d(x_2) */
            float target = a == SD_SAMPLER_DPM2_A ? down : sn, dt;
            if (target == 0.0f) {   /* the last step: Euler */
                for (k = 0; k < n; k++) x[k] = x[k] + sd__to_d(x[k], sg, eps[k]) * (target - sg);
                break;
            }
            r->sigma = a == SD_SAMPLER_HEUN ? sn : (float)exp((log(sg) + log(target)) / 2.0);
            dt = r->sigma - sg;
            for (k = 0; k < n; k++) {
                float d = sd__to_d(x[k], sg, eps[k]);
                x0[k] = x[k];
                if (a == SD_SAMPLER_HEUN) dk[k] = d;
                x[k] = x[k] + d * dt;
            }
            next_stage = 1;
            break;
        }
        case SD_SAMPLER_DPMPP_2S_A:
            /* DPM-Solver++(2S): half a step in ln sigma towards sigma_down, then the full one from x with D(x_2) */
            if (down == 0.0f) {
                for (k = 0; k < n; k++) x[k] = x[k] + sd__to_d(x[k], sg, eps[k]) * (down - sg);
                break;
            } else {
                double h = log(sg) - log(down);
                float ss = (float)exp(log(sg) - h / 2), cx = ss / sg, cd = (float)expm1(-h / 2);
                for (k = 0; k < n; k++) { x0[k] = x[k]; x[k] = cx * x[k] - cd * (x[k] - sg * eps[k]); }
                r->sigma = ss;
                next_stage = 1;
            }
            break;
        case SD_SAMPLER_LMS: {
            /* linear multistep of order 4: x += sum_j c_j d_{i-j} over the last m derivatives */
            int m = r->count + 1 < 4 ? r->count + 1 : 4, j;
            float c[4], *d = r->work + (size_t)(r->count % 4) * n;
            for (k = 0; k < n; k++) d[k] = sd__to_d(x[k], sg, eps[k]);
            for (j = 0; j < m; j++) c[j] = sd__lms_coeff(s->sigmas, r->i, m, j);
            for (k = 0; k < n; k++) {
                float acc = 0.0f;
                for (j = 0; j < m; j++) acc += c[j] * r->work[(size_t)((r->count - j) % 4) * n + k];
                x[k] = x[k] + acc;
            }
            break;
        }
        case SD_SAMPLER_DPMPP_2M: {
            /* DPM-Solver++(2M): h = ln sigma - ln sigma'; x = (sigma'/sigma) x - expm1(-h) D', D' extrapolated
               from this D and the last one (D itself on the first and the last step) */
            float *old = r->work;
            if (sn == 0.0f) {
                for (k = 0; k < n; k++) x[k] = x[k] - sg * eps[k];
            } else {
                double h = log(sg) - log(sn), rr = r->count ? r->h_last / h : 1.0;
                float cx = sn / sg, cd = (float)expm1(-h), c1 = (float)(1.0 + 1.0 / (2.0 * rr)), c2 = (float)(1.0 / (2.0 * rr));
                for (k = 0; k < n; k++) {
                    float D = x[k] - sg * eps[k], Dp = r->count == 0 ? D : c1 * D - c2 * old[k];
                    old[k] = D;
                    x[k] = cx * x[k] - cd * Dp;
                }
                r->h_last = (float)h;
            }
            break;
        }
        case SD_SAMPLER_LCM:   /* latent consistency: jump to D, then noise of the next level */
            for (k = 0; k < n; k++) x[k] = x[k] - sg * eps[k];
            if (sn > 0.0f && r->rng) sd__randn_into(r->rng, x, n, sn, 1);
            break;
        default:   /* euler, euler_a: x += d (sigma' - sigma), sigma_down for euler_a */
            for (k = 0; k < n; k++) x[k] = x[k] + sd__to_d(x[k], sg, eps[k]) * (down - sg);
            break;
        }
    }
    if (next_stage) { r->stage = 1; return; }
    if (ancestral && sn > 0.0f && r->rng) sd__randn_into(r->rng, x, n, up, 1);
    r->stage = 0;
    r->i++;
    r->count++;
    r->sigma = s->sigmas[r->i];
}

/* diffusers' PNDMScheduler (PLMS, skip_prk_steps): eps' from the last four eps by the
   Adams-Bashforth weights, then x moved from t to t_prev as if eps' were the noise; the first
   step is redone (the repeated timestep) with the mean of its eps and the next. work: the last
   four eps, then the first step's x. */
static void sd__step_pndm(sd_sampling *r, const float *eps, float *denoised)
{
    const sd_schedule *s = r->s;
    size_t k, n = r->n;
    int c = r->count, ratio = 1000 / s->steps, t = (int)s->timesteps[r->i], tp = t - ratio;
    int at = c == 0 ? 0 : c - 1, ne = c == 0 ? 1 : c == 1 ? 1 : (c < 4 ? c : 4);   /* this eps' slot; eps kept */
    float *E = r->work, *S = r->work + 4 * n, *x = r->x;
    float *e1 = E + (size_t)(at % 4) * n, *e2 = E + (size_t)((at + 3) % 4) * n, *e3 = E + (size_t)((at + 2) % 4) * n,
          *e4 = E + (size_t)((at + 1) % 4) * n;
    float a, ap, sample_coeff, denom;
    if (c == 1) { tp = t; t = t + ratio; }
    a = s->alphas_cumprod[t]; ap = tp >= 0 ? s->alphas_cumprod[tp] : s->alphas_cumprod[0];
    sample_coeff = sqrtf(ap / a);
    denom = a * sqrtf(1.0f - ap) + sqrtf(a * (1.0f - a) * ap);
    for (k = 0; k < n; k++) {
        float ep;
        if (c != 1) e1[k] = eps[k];
        if (c == 0) { ep = eps[k]; S[k] = x[k]; }
        else if (c == 1) { ep = (eps[k] + e1[k]) / 2.0f; x[k] = S[k]; }
        else if (ne == 2) ep = (3.0f * e1[k] - e2[k]) / 2.0f;
        else if (ne == 3) ep = (23.0f * e1[k] - 16.0f * e2[k] + 5.0f * e3[k]) / 12.0f;
        else ep = (1.0f / 24.0f) * (55.0f * e1[k] - 59.0f * e2[k] + 37.0f * e3[k] - 9.0f * e4[k]);
        if (denoised) denoised[k] = (x[k] - sqrtf(1.0f - a) * ep) / sqrtf(a);
        x[k] = sample_coeff * x[k] - (ap - a) * ep / denom;
    }
    r->count++;
    r->i++;
}

/* ---------------------------------------------------------------- a run */

SDDEF size_t sd_sampling_work(sd_sampler s)
{
    switch (s) {
    case SD_SAMPLER_PNDM: return 5;
    case SD_SAMPLER_LMS: return 4;
    case SD_SAMPLER_HEUN: return 2;
    case SD_SAMPLER_DPM2: case SD_SAMPLER_DPM2_A: case SD_SAMPLER_DPMPP_2S_A: case SD_SAMPLER_DPMPP_2M: return 1;
    default: return 0;
    }
}

SDDEF void sd_sampling_begin(sd_sampling *r, const sd_schedule *s, int first, float *x, size_t n, float *work, sd_rng *rng)
{
    int i, two = s->sampler == SD_SAMPLER_HEUN || s->sampler == SD_SAMPLER_DPM2 || s->sampler == SD_SAMPLER_DPM2_A ||
                 s->sampler == SD_SAMPLER_DPMPP_2S_A;
    memset(r, 0, sizeof *r);
    r->s = s; r->x = x; r->n = n; r->work = work; r->rng = rng;
    r->i = first < 0 ? 0 : first > s->n_t ? s->n_t : first;
    r->sigma = r->i <= s->steps ? s->sigmas[r->i] : 0.0f;
    for (i = r->i; i < s->n_t; i++) r->total += 1 + (two && s->sigmas[i + 1] > 0.0f);
}

SDDEF int sd_sampling_next(sd_sampling *r, float *model_in, float *t)
{
    const sd_schedule *s = r->s;
    if (r->i >= s->n_t) return 0;
    sd__scale(s, r->sigma, r->x, model_in, r->n);
    *t = r->stage ? sd__sigma_to_t(s, r->sigma) : s->timesteps[r->i];
    return 1;
}

SDDEF void sd_sampling_v_to_eps(const sd_sampling *r, float t, const float *model_in, float *v, size_t n)
{
    const sd_schedule *s = r->s;
    double a;
    float sa, sb;
    size_t k;
    if (s->sampler == SD_SAMPLER_DDIM || s->sampler == SD_SAMPLER_PNDM) {   /* the UNet's input is the latent itself */
        int ti = (int)(t + 0.5f);
        a = s->alphas_cumprod[ti < 0 ? 0 : ti > 999 ? 999 : ti];
    } else a = 1.0 / ((double)r->sigma * r->sigma + 1.0);                   /* the input is x / sqrt(sigma^2 + 1) */
    sa = (float)sqrt(a); sb = (float)sqrt(1.0 - a);
    for (k = 0; k < n; k++) v[k] = sa * v[k] + sb * model_in[k];
}

SDDEF void sd_sampling_update(sd_sampling *r, const float *eps, float *denoised)
{
    const sd_schedule *s = r->s;
    r->evals++;
    if (s->sampler == SD_SAMPLER_PNDM) sd__step_pndm(r, eps, denoised);
    else if (s->scheduler == SD_SCHEDULER_DIFFUSERS) {
        sd__step_diffusers(s, r->i, eps, r->x, denoised, r->n, r->rng);
        r->i++;
        r->sigma = s->sigmas[r->i];
    } else sd__step_k(r, eps, denoised);
}

SDDEF sd_result sd_step(const sd_schedule *s, int i, const float *eps, float *x, float *denoised, size_t n, sd_rng *rng)
{
    sd_sampling r;
    if (sd_sampling_work(s->sampler) || i < 0 || i >= s->steps) return SD_ERR_ARG;   /* samplers that remember need a run */
    memset(&r, 0, sizeof r);
    r.s = s; r.i = i; r.x = x; r.n = n; r.rng = rng; r.sigma = s->sigmas[i];
    sd_sampling_update(&r, eps, denoised);
    return SD_OK;
}

/* ================================================================ the model and one call per stage
   A checkpoint holds some of the three models; sd__build builds each one it has. Each stage then
   runs twice: a planning pass that only counts scratch, then the real pass in an arena sized once
   from that count. */

/* frees what a model build allocated */
static void sd__build_free(sd_model *m)
{
    sd__clip_free(m);
    sd__unet_free(m);
    sd__vae_free(m);
    sd__taesd_free(m);
}

/* What the UNet predicts: a diffusers folder says it (scheduler_config.json); an SD 1.x file is eps;
   an SD 2.x single file carries no flag, so ComfyUI's rule: v when the standard deviation of the
   last output block's first transformer norm1.bias is above 0.09 (real 768-v files: yes, 512-base:
   no). sd_params.prediction overrides it. */
static sd_prediction sd__prediction_of(sd_model *m)
{
    const sd__tensor *t = NULL;
    char b[200];
    int i;
    double s = 0.0, s2 = 0.0;
    if (m->folder_pred) return (sd_prediction)m->folder_pred;
    if ((!m->unet->cfg.linear_proj && !sd__has_prefix(m, SD__OPENCLIP)) || m->unet->cfg.adm_in) return SD_PREDICTION_EPS;   /* (SDXL: eps) */
    for (i = SD__MAXBLK; i-- > 0 && !t;) t = sd__find(m, sd__fmt(b, sizeof b, SD__UNET "output_blocks.%d.1.transformer_blocks.0.norm1.bias", i));
    if (!t || !t->f32 || t->numel < 2) return SD_PREDICTION_EPS;
    for (i = 0; i < t->numel; i++) { s += t->f32[i]; s2 += (double)t->f32[i] * t->f32[i]; }
    s2 = (s2 - s * s / (double)t->numel) / (double)(t->numel - 1);   /* torch.std: unbiased */
    return s2 > 0.09 * 0.09 ? SD_PREDICTION_V : SD_PREDICTION_EPS;
}

static sd_result sd__build(sd_model *m)
{
    sd_result r;
    int has_unet, has_vae, has_text, has_taesd = sd__has_prefix(m, "taesd.");
    /* a part is there when any of its tensors is (position_ids is a buffer, not a weight) */
    has_unet = sd__has_prefix(m, SD__UNET);
    has_vae = sd__has_prefix(m, SD__VAE);
    has_text = sd__has_prefix(m, SD__CLIP "embeddings.token_embedding.") || sd__has_prefix(m, SD__CLIP "embeddings.position_embedding.") ||
                  sd__has_prefix(m, SD__CLIP "encoder.") || sd__has_prefix(m, SD__CLIP "final_layer_norm.") || sd__has_prefix(m, SD__OPENCLIP) ||
               sd__has_prefix(m, "conditioner.embedders.");
    if (!has_unet && !has_vae && !has_text)
        return sd__fail(m, SD_ERR_MODEL, "no Stable Diffusion model in this file (no UNet, VAE or text encoder tensors)");
    if (has_unet && (r = sd__build_unet(m)) != SD_OK) return r;
    if (has_vae && (r = sd__build_vae(m)) != SD_OK) return r;
    if (has_text && (r = sd__build_text(m)) != SD_OK) return r;
    if (has_taesd && (r = sd__build_taesd(m)) != SD_OK) return r;
    if (has_unet && has_text && m->unet->cfg.ctx_dim != m->clip->cfg.width + (m->clip2 ? m->clip2->cfg.width : 0))
        return sd__fail(m, SD_ERR_MODEL, "the text encoder (%s) is %d wide but the UNet attends to a context %d wide: parts of different families?",
                        m->clip2 ? "SDXL's two" : m->clip->cfg.unused ? "OpenCLIP, SD 2.x" : "OpenAI CLIP, SD 1.x",
                        m->clip->cfg.width + (m->clip2 ? m->clip2->cfg.width : 0), m->unet->cfg.ctx_dim);
    if (has_unet && m->unet->cfg.adm_in && (!m->clip2 ? has_text : m->unet->cfg.adm_in != m->clip2->cfg.pooled + 6 * 256))
        return sd__fail(m, SD_ERR_MODEL, "the UNet's label_emb takes %d values, not the pooled text (%d) and six size sinusoids (6 x 256)",
                        m->unet->cfg.adm_in, m->clip2 ? m->clip2->cfg.pooled : 0);
    if (has_unet && !m->unet->cfg.adm_in && m->clip2)
        return sd__fail(m, SD_ERR_MODEL, "SDXL's text encoders beside a UNet without label_emb: parts of different families?");
    if (has_vae && (m->clip2 || (has_unet && m->unet->cfg.adm_in))) m->vae->cfg.scale = 0.13025f;   /* SDXL's VAE: the same network, its own scale */
    m->prediction = has_unet ? sd__prediction_of(m) : SD_PREDICTION_AUTO;
    if (!has_unet || !has_vae || !has_text)
        sd__warn(m, "the checkpoint has %s only", has_unet ? (has_vae ? "a UNet and a VAE" : has_text ? "a UNet and a text encoder" : "a UNet")
                                                              : has_vae ? (has_text ? "a VAE and a text encoder" : "a VAE") : "a text encoder");
    return SD_OK;
}

SDDEF sd_result sd_model_info(sd_model *m, sd_info *info)
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
        else if (strncmp(t->name, SD__CLIP, strlen(SD__CLIP)) == 0 || strncmp(t->name, SD__OPENCLIP, strlen(SD__OPENCLIP)) == 0 ||
                 strncmp(t->name, "conditioner.embedders.", 22) == 0)
            info->params_text += t->numel;
    }
    {   /* the family: SDXL by its two text encoders or label_emb, SD 2.x by its OpenCLIP text encoder or its UNet's linear projections */
        int two = (m->clip && m->clip->cfg.act == SD__ACT_GELU) || (m->unet && m->unet->cfg.linear_proj);
        int xl = m->clip2 || (m->unet && m->unet->cfg.adm_in);
        snprintf(info->family, sizeof info->family, "%s%s", xl ? "SDXL" : two ? "SD 2.x" : "SD 1.x", m->unet && m->unet->cfg.in_ch == 9 ? " inpainting" : "");
    }
    info->prediction = m->prediction;
    info->has_unet = m->unet != NULL; info->has_vae = m->vae != NULL; info->has_text = m->clip != NULL;
    if (m->unet) {
        const sd__unet_cfg *u = &m->unet->cfg;
        info->unet_channels = u->ch; info->unet_levels = u->levels; info->unet_res_blocks = u->nres;
        info->unet_heads = u->heads; info->unet_in_channels = u->in_ch; info->context_dim = u->ctx_dim;
        for (i = 0; !info->unet_heads && i < u->levels; i++)   /* heads of 64: those of the first level with attention */
            if (u->depth[i] > 0) info->unet_heads = u->ch * u->mult[i] / u->head_dim;
        info->unet_adm_in = u->adm_in; info->unet_mid_depth = u->mid_depth;
        for (i = 0; i < u->levels; i++) {
            info->unet_mult[i] = u->mult[i];
            info->unet_attention[i] = u->depth[i] > 0;
            if (u->depth[i] > info->unet_depth) info->unet_depth = u->depth[i];
            info->unet_depths[i] = u->depth[i];
        }
    }
    if (m->clip) {
        const sd__text_cfg *t = &m->clip->cfg;
        info->text_width = t->width; info->text_layers = t->layers; info->text_heads = t->heads;
        info->text_vocab = t->vocab; info->text_positions = t->positions;
        info->text_encoders = 1; info->text_widths[0] = t->width;
    }
    if (m->clip2) {
        const sd__text_cfg *t = &m->clip2->cfg;
        info->text_encoders = 2; info->text_widths[1] = t->width; info->text_width += t->width;
        info->text2_layers = t->layers; info->text2_heads = t->heads; info->pooled_dim = t->pooled;
    }
    if (m->vae) {
        const sd__vae_cfg *v = &m->vae->cfg;
        info->vae_channels = v->ch; info->vae_levels = v->levels; info->vae_res_blocks = v->nres;
        info->latent_channels = v->z; info->vae_scale = v->scale;
        for (i = 0; i < v->levels; i++) info->vae_mult[i] = v->mult[i];
    }
    if (!m->nt) return sd__fail(m, SD_ERR_STATE, "sd_model_info: no model loaded");
    return SD_OK;
}


typedef struct sd__stage {
    sd__stage_kind kind;
    float *out;
    const float *in, *in2;
    int n, h, w, layers, tokens;   /* tokens: the UNet's context length */
    const sd__clip *clip;          /* the text encoder, its final norm or not, the state after mid_layers */
    int norm, mid_layers;
    float *mid;
} sd__stage;

static void sd__stage_forward(sd_model *m, const sd__stage *s)
{
    m->arena_top = 0;
    if (s->kind == SD__STAGE_TEXT) sd__text_forward(m, s->clip, s->out, s->in, s->layers, s->norm, s->mid, s->mid_layers);
    else if (s->kind == SD__STAGE_UNET) {
        const float *temb = s->in2 + (size_t)s->n * s->tokens * m->unet->cfg.ctx_dim;
        sd__unet_forward(m, s->out, s->in, s->n, s->h, s->w, temb, s->in2, s->tokens, temb + (size_t)s->n * m->unet->cfg.ch);
    }
    else if (s->kind == SD__STAGE_DECODE) sd__vae_decode_forward(m, s->out, s->in, s->h, s->w);
    else if (s->kind == SD__STAGE_TAESD_DECODE) sd__taesd_decode_forward(m, s->out, s->in, s->h, s->w);
    else if (s->kind == SD__STAGE_TAESD_ENCODE) sd__taesd_encode_forward(m, s->out, s->in, s->h, s->w);
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
    if (m->gpu && sd__cuda_error(m->gpu)[0]) return sd__fail(m, SD_ERR_UNSUPPORTED, "GPU: %s (in the %s)", sd__cuda_error(m->gpu), what);
    for (i = 0; i < n_out; i++)
        if (!(s->out[i] == s->out[i]) || s->out[i] - s->out[i] != 0.0f) {
            const char *bad = sd__nonfinite_weight(m, s->kind == SD__STAGE_TEXT ? s->clip->prefix : s->kind == SD__STAGE_UNET ? SD__UNET
                                                    : s->kind >= SD__STAGE_TAESD_DECODE ? SD__TAESD : SD__VAE);
            if (bad) return sd__fail(m, SD_ERR_NUMERIC, "the %s produced NaN or Inf: tensor '%s' of the checkpoint holds NaN or Inf values", what, bad);
            return sd__fail(m, SD_ERR_NUMERIC, "the %s produced NaN or Inf (at element %lu), from finite weights: the values overflowed float32",
                            what, (unsigned long)i);
        }
    return SD_OK;
}

/* token (or embedding vector) + position embeddings of ids for the encoder t -> out [77,D] */
static sd_result sd__text_embed(sd_model *m, const sd__clip *t, const int *ids, float *out)
{
    int i, d, D = t->cfg.width;
    for (i = 0; i < SD_TOKENS; i++) {
        const unsigned char *tok = m->src[t->tok_emb->src].bytes ? t->tok_emb->data : NULL, *pos;
        float *row = out + (size_t)i * D, p;
        if (ids[i] < 0) memcpy(row, m->emb[(-1 - ids[i]) / SD__EMB_SLOTS].vec + (size_t)((-1 - ids[i]) % SD__EMB_SLOTS) * D, (size_t)D * sizeof(float));
        else if (tok) sd__decode(row, tok, t->tok_emb->dtype, (size_t)ids[i] * D, (size_t)D);
        else if (sd__read_row(m, t->tok_emb, (size_t)ids[i] * D, (size_t)D, row) != SD_OK) return SD_ERR_IO;
        if (!(pos = sd__acquire(m, t->pos_emb))) return sd__fail(m, SD_ERR_IO, "cannot read the position embedding");
        for (d = 0; d < D; d++) {
            sd__decode(&p, pos, t->pos_emb->dtype, (size_t)i * D + d, 1);
            row[d] += p;
        }
        sd__unacquire(m, t->pos_emb);
    }
    return SD_OK;
}

/* ids through the encoder t: out [77,D] after `layers` layers (and the final norm: norm), mid the
   state after mid_layers (or NULL) */
static sd_result sd__text_run(sd_model *m, const sd__clip *t, const int *ids, int layers, int norm, float *out, float *mid, int mid_layers)
{
    sd__stage s;
    sd_result r;
    if ((r = sd__text_embed(m, t, ids, out)) != SD_OK) return r;
    memset(&s, 0, sizeof s);
    s.kind = SD__STAGE_TEXT; s.out = out; s.in = out; s.clip = t; s.layers = layers; s.norm = norm; s.mid = mid; s.mid_layers = mid_layers;
    return sd__run(m, &s, "text encoder", (size_t)SD_TOKENS * t->cfg.width);
}

/* SDXL's pooled vector: the EOS token's normed final state x [D] @ text_projection -> [P] */
static sd_result sd__text_pool(sd_model *m, const sd__clip *t, const float *x, float *pooled)
{
    const unsigned char *b = sd__acquire(m, t->proj);
    int D = t->cfg.width, P = t->cfg.pooled, d, p;
    float *row;
    if (!b) return sd__fail(m, SD_ERR_IO, "cannot read tensor '%s'", t->proj->name);
    if (!(row = (float *)sd__malloc(m, (size_t)(D > P ? D : P) * sizeof(float)))) { sd__unacquire(m, t->proj); return sd__fail(m, SD_ERR_NOMEM, "out of memory"); }
    for (p = 0; p < P; p++) pooled[p] = 0.0f;
    if (t->proj_linear)   /* a Linear's [P,D]: pooled[p] = row p . x */
        for (p = 0; p < P; p++) {
            sd__decode(row, b, t->proj->dtype, (size_t)p * D, (size_t)D);
            for (d = 0; d < D; d++) pooled[p] += x[d] * row[d];
        }
    else                  /* OpenCLIP's [D,P]: pooled += x[d] row d, in the same order of d */
        for (d = 0; d < D; d++) {
            sd__decode(row, b, t->proj->dtype, (size_t)d * P, (size_t)P);
            for (p = 0; p < P; p++) pooled[p] += x[d] * row[p];
        }
    sd__free(m, row);
    sd__unacquire(m, t->proj);
    return SD_OK;
}

SDDEF sd_result sd_text_encode(sd_model *m, const int ids[SD_TOKENS], int clip_skip, float *out)
{
    return sd_text_encode_pooled(m, ids, clip_skip, out, NULL);
}

SDDEF sd_result sd_text_encode_pooled(sd_model *m, const int ids[SD_TOKENS], int clip_skip, float *out, float *pooled)
{
    const sd__clip *t = m->clip, *t2 = m->clip2;
    int i, D0, D1, keep, eos = 0, ids2[SD_TOKENS];
    float *a = NULL, *b, *c;
    sd_result r;
    if (!t) return sd__fail(m, SD_ERR_STATE, "no text encoder loaded");
    keep = t->cfg.layers - t->cfg.unused;
    if (t2 && t2->cfg.layers - t2->cfg.unused < keep) keep = t2->cfg.layers - t2->cfg.unused;
    if (clip_skip < 1 || clip_skip > keep) return sd__fail(m, SD_ERR_ARG, "clip skip %d: 1..%d allowed", clip_skip, keep);
    if (pooled && !t2) return sd__fail(m, SD_ERR_STATE, "this model's text encoder gives no pooled vector (SDXL's second encoder does)");
    for (i = 0; i < SD_TOKENS; i++) {
        int e = (-1 - ids[i]) / SD__EMB_SLOTS, v = (-1 - ids[i]) % SD__EMB_SLOTS;
        if (ids[i] >= t->cfg.vocab)
            return sd__fail(m, SD_ERR_ARG, "token id %d at position %d: the text encoder knows ids 0..%d", ids[i], i, t->cfg.vocab - 1);
        if (ids[i] < 0 && (ids[i] < -SD__EMB_SLOTS * m->n_emb || v >= m->emb[e].n))
            return sd__fail(m, SD_ERR_ARG, "token id %d at position %d: the text encoder knows ids 0..%d, and %d embeddings are loaded",
                            ids[i], i, t->cfg.vocab - 1, m->n_emb);
        if (ids[i] < 0 && t2) return sd__fail(m, SD_ERR_UNSUPPORTED, "embedding '%s': textual-inversion embeddings on SDXL are not supported yet", m->emb[e].name);
        if (ids[i] < 0 && m->emb[e].width != t->cfg.width)
            return sd__fail(m, SD_ERR_MODEL, "embedding '%s' is %d wide; this model's text encoder is %d wide", m->emb[e].name, m->emb[e].width, t->cfg.width);
    }
    if (!t2) return sd__text_run(m, t, ids, t->cfg.layers - t->cfg.unused - (clip_skip - 1), t->cfg.final_norm, out, NULL, 0);
    /* SDXL: [77, D0 + D1], each row both encoders' penultimate states (clip skip N: hidden_states[-(N+1)]),
       the second encoder's ids padded with its own pad after the EOS; pooled: its final normed
       state at the EOS (the largest id, as transformers takes it) @ text_projection */
    D0 = t->cfg.width; D1 = t2->cfg.width;
    for (i = 0; i < SD_TOKENS; i++) if (ids[i] > ids[eos]) eos = i;
    for (i = 0; i < SD_TOKENS; i++) ids2[i] = i > eos ? t2->cfg.pad : ids[i];
    if (!(a = (float *)sd__malloc(m, (size_t)SD_TOKENS * (D0 + 2 * D1) * sizeof(float)))) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    b = a + (size_t)SD_TOKENS * D0; c = b + (size_t)SD_TOKENS * D1;
    r = sd__text_run(m, t, ids, t->cfg.layers - t->cfg.unused - (clip_skip - 1), 0, a, NULL, 0);
    if (r == SD_OK && pooled) {
        r = sd__text_run(m, t2, ids2, t2->cfg.layers, 1, c, b, t2->cfg.layers - t2->cfg.unused - (clip_skip - 1));
        if (r == SD_OK) r = sd__text_pool(m, t2, c + (size_t)eos * D1, pooled);
    } else if (r == SD_OK) r = sd__text_run(m, t2, ids2, t2->cfg.layers - t2->cfg.unused - (clip_skip - 1), 0, b, NULL, 0);
    for (i = 0; r == SD_OK && i < SD_TOKENS; i++) {
        memcpy(out + (size_t)i * (D0 + D1), a + (size_t)i * D0, (size_t)D0 * sizeof(float));
        memcpy(out + (size_t)i * (D0 + D1) + D0, b + (size_t)i * D1, (size_t)D1 * sizeof(float));
    }
    sd__free(m, a);
    return r;
}

/* Each chunk alone through the text encoder, then the weights as the UI applies them:
     A1111 ("Original" emphasis)  z' = z * w_t (row t), then z' * mean(z) / mean(z')
     ComfyUI                      where w_t != 1: z_t = (z_t - e_t) * w_t + e_t, e the empty prompt's
   A chunk without weights other than 1 is left as the text encoder gave it. */
/* a prompt's chunks in new arrays ids, w [77 k] */
static sd_result sd__make_chunks(sd_model *m, const char *prompt, sd_weighting wt, int **ids, float **w, int *k)
{
    sd__chunker c;
    sd_result r;
    *ids = NULL; *w = NULL; *k = 0;
    c.ids = NULL; c.w = NULL; c.cap = 0;
    if ((r = sd__prompt_chunks(m, prompt, wt, &c)) != SD_OK) return r;   /* count, then make */
    *ids = (int *)sd__malloc(m, (size_t)c.n * SD_TOKENS * sizeof **ids);
    *w = (float *)sd__malloc(m, (size_t)c.n * SD_TOKENS * sizeof **w);
    if (!*ids || !*w) r = sd__fail(m, SD_ERR_NOMEM, "out of memory");
    else {
        c.ids = *ids; c.w = *w; c.cap = c.n;
        r = sd__prompt_chunks(m, prompt, wt, &c);
    }
    if (r != SD_OK) { sd__free(m, *ids); sd__free(m, *w); *ids = NULL; *w = NULL; return r; }
    *k = c.n;
    return SD_OK;
}

/* n chunks (ids, w [77 n]) -> their conditioning out [77 n, D], weighted as the UI does; SDXL:
   pooled (or NULL) the first chunk's pooled vector (A1111 and ComfyUI take that one), and A1111's
   mean restored for each encoder's part of the row on its own (each is its own emphasis) */
static sd_result sd__encode_chunks(sd_model *m, const int *ids, const float *w, int n, sd_weighting wt, int clip_skip, float *out, float *pooled)
{
    sd_result r = SD_OK;
    int k, i, d, D = m->clip->cfg.width + (m->clip2 ? m->clip2->cfg.width : 0), weighted = 0;
    float *empty = NULL;
    for (i = 0; i < n * SD_TOKENS; i++) {
        if (w[i] != 1.0f) weighted = 1;
        if (w[i] - w[i] != 0.0f) { r = sd__fail(m, SD_ERR_ARG, "a prompt weight is %g: weights must be finite numbers", w[i]); goto done; }
    }
    for (k = 0; k < n; k++)
        if ((r = sd_text_encode_pooled(m, ids + (size_t)k * SD_TOKENS, clip_skip, out + (size_t)k * SD_TOKENS * D, k ? NULL : pooled)) != SD_OK) goto done;
    if (!weighted || wt == SD_WEIGHTING_NONE) goto done;
    if (wt == SD_WEIGHTING_COMFY) {
        int e_ids[SD_TOKENS];
        if (!(empty = (float *)sd__malloc(m, (size_t)SD_TOKENS * D * sizeof *empty))) { r = sd__fail(m, SD_ERR_NOMEM, "out of memory"); goto done; }
        e_ids[0] = m->vocab->bos;
        for (i = 1; i < SD_TOKENS; i++) e_ids[i] = i == 1 || m->pad < 0 ? m->vocab->eos : m->pad;
        if ((r = sd_text_encode(m, e_ids, clip_skip, empty)) != SD_OK) goto done;
    }
    for (k = 0; k < n; k++) {
        float *z = out + (size_t)k * SD_TOKENS * D;
        const float *wk = w + (size_t)k * SD_TOKENS;
        if (wt == SD_WEIGHTING_COMFY) {
            for (i = 0; i < SD_TOKENS; i++)
                if (wk[i] != 1.0f)
                    for (d = 0; d < D; d++) {
                        float *x = &z[(size_t)i * D + d], e = empty[(size_t)i * D + d];
                        *x = (*x - e) * wk[i] + e;
                    }
        } else {
            int part, d0 = 0;
            for (part = 0; part < (m->clip2 ? 2 : 1); part++) {   /* columns [d0, d1): one encoder's */
                int d1 = part ? D : m->clip->cfg.width, nd = d1 - d0;
                double m0 = 0.0, m1 = 0.0;
                float ratio;
                for (i = 0; i < SD_TOKENS; i++)
                    for (d = d0; d < d1; d++) m0 += z[(size_t)i * D + d];
                for (i = 0; i < SD_TOKENS; i++)
                    for (d = d0; d < d1; d++) { z[(size_t)i * D + d] *= wk[i]; m1 += z[(size_t)i * D + d]; }
                ratio = (float)(m0 / ((double)SD_TOKENS * nd)) / (float)(m1 / ((double)SD_TOKENS * nd));
                if (ratio - ratio != 0.0f) { r = sd__fail(m, SD_ERR_NUMERIC, "prompt weights: chunk %d's weighted mean is 0 (A1111's mean restore divides by it)", k + 1); goto done; }
                for (i = 0; i < SD_TOKENS; i++)
                    for (d = d0; d < d1; d++) z[(size_t)i * D + d] *= ratio;
                d0 = d1;
            }
        }
    }
done:
    sd__free(m, empty);
    return r;
}

SDDEF sd_result sd_encode_prompt(sd_model *m, const char *prompt, sd_weighting wt, int clip_skip, float *out, int max_chunks, int *chunks)
{
    return sd_encode_prompt_pooled(m, prompt, wt, clip_skip, out, max_chunks, chunks, NULL);
}

SDDEF sd_result sd_encode_prompt_pooled(sd_model *m, const char *prompt, sd_weighting wt, int clip_skip, float *out, int max_chunks, int *chunks,
                                        float *pooled)
{
    sd_result r;
    int k, *ids;
    float *w;
    m->err[0] = 0;
    if (chunks) *chunks = 0;
    if (!m->clip) return sd__fail(m, SD_ERR_STATE, "no text encoder loaded");
    if (clip_skip < 1 || clip_skip > m->clip->cfg.layers - m->clip->cfg.unused)
        return sd__fail(m, SD_ERR_ARG, "clip skip %d: 1..%d allowed", clip_skip, m->clip->cfg.layers - m->clip->cfg.unused);
    if ((r = sd__make_chunks(m, prompt, wt, &ids, &w, &k)) != SD_OK) return r;
    if (chunks) *chunks = k;
    if (pooled && !m->clip2) r = sd__fail(m, SD_ERR_STATE, "this model's text encoder gives no pooled vector (SDXL's second encoder does)");
    else r = sd__encode_chunks(m, ids, w, max_chunks < k ? (max_chunks > 0 ? max_chunks : 0) : k, wt, clip_skip, out, pooled);
    sd__free(m, ids); sd__free(m, w);
    return r;
}

SDDEF sd_result sd_unet(sd_model *m, const float *x, int n, int h, int w, float t, const float *context, float *eps)
{
    return sd_unet_ctx(m, x, n, h, w, t, context, SD_TOKENS, eps);
}

SDDEF sd_result sd_unet_ctx(sd_model *m, const float *x, int n, int h, int w, float t, const float *context, int tokens, float *eps)
{
    return sd_unet_y(m, x, n, h, w, t, context, tokens, NULL, eps);
}

/* SDXL's six size numbers as the 256-wide sinusoids of the time embedding, one after another -> out [6 x 256] */
static void sd__size_vector(float *out, int orig_h, int orig_w, int crop_top, int crop_left, int target_h, int target_w)
{
    int i, v[6];
    v[0] = orig_h; v[1] = orig_w; v[2] = crop_top; v[3] = crop_left; v[4] = target_h; v[5] = target_w;
    for (i = 0; i < 6; i++) sd__timestep_embedding(out + 256 * i, (float)v[i], 256);
}

SDDEF sd_result sd_sdxl_vector(sd_model *m, const float *pooled, int orig_h, int orig_w, int crop_top, int crop_left,
                               int target_h, int target_w, float *y)
{
    int P;
    if (!m->unet || !m->unet->cfg.adm_in || !m->clip2) return sd__fail(m, SD_ERR_STATE, "sd_sdxl_vector: no SDXL model loaded");
    P = m->clip2->cfg.pooled;
    memcpy(y, pooled, (size_t)P * sizeof(float));
    sd__size_vector(y + P, orig_h, orig_w, crop_top, crop_left, target_h, target_w);
    return SD_OK;
}

SDDEF sd_result sd_unet_y(sd_model *m, const float *x, int n, int h, int w, float t, const float *context, int tokens, const float *y, float *eps)
{
    sd__stage s;
    float *buf;
    size_t cn, ny;
    int i;
    sd_result r;
    if (!m->unet) return sd__fail(m, SD_ERR_STATE, "no UNet loaded");
    if (m->unet->cfg.adm_in && !y) return sd__fail(m, SD_ERR_ARG, "an SDXL UNet needs its vector y [n, %d] (sd_unet_y, sd_sdxl_vector)", m->unet->cfg.adm_in);
    if (n < 1 || n > 64 || h < 1 || w < 1 || h > 512 || w > 512)
        return sd__fail(m, SD_ERR_ARG, "UNet input [%d,4,%d,%d]: batch 1..64, latent height and width 1..512", n, h, w);
    if (!(t >= 0.0f && t <= 1000.0f)) return sd__fail(m, SD_ERR_ARG, "timestep %g: 0..1000 allowed", t);
    if (tokens < 1 || tokens > 64 * SD_TOKENS) return sd__fail(m, SD_ERR_ARG, "a context of %d tokens: 1..%d", tokens, 64 * SD_TOKENS);
    /* the context, the sinusoid and SDXL's y travel together: [n,tokens,Dc], [n,ch], [n,adm_in] */
    cn = (size_t)n * tokens * m->unet->cfg.ctx_dim;
    ny = (size_t)n * m->unet->cfg.adm_in;
    buf = (float *)sd__malloc(m, (cn + (size_t)n * m->unet->cfg.ch + ny + 1) * sizeof(float));
    if (!buf) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    memcpy(buf, context, cn * sizeof(float));
    for (i = 0; i < n; i++) sd__timestep_embedding(buf + cn + (size_t)i * m->unet->cfg.ch, t, m->unet->cfg.ch);
    if (y && ny) memcpy(buf + cn + (size_t)n * m->unet->cfg.ch, y, ny * sizeof(float));
    memset(&s, 0, sizeof s);
    s.kind = SD__STAGE_UNET; s.out = eps; s.in = x; s.in2 = buf; s.n = n; s.h = h; s.w = w; s.tokens = tokens;
    r = sd__run(m, &s, "UNet", (size_t)n * 4 * h * w);
    sd__free(m, buf);
    return r;
}

/* Low-memory mode decodes and encodes in overlapping tiles of SD__TILE latents, blended with
   linear ramps across the overlap. Each tile normalizes with its own GroupNorm statistics, so
   the result is close to, not equal to, the whole-image one; images of one tile or less are
   not tiled. */
#define SD__TILE 40      /* 512x512: 4 tiles, 1.6 times the work of one; tiles of 32 would be 9 (2.3 times) */
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
static sd_result sd__vae_tiled(sd_model *m, const float *in, int h, int w, float *out, sd__stage_kind kind)
{
    int decode = kind == SD__STAGE_DECODE;
    int ys[512], xs[512], ny = sd__tile_starts(h, ys), nx = sd__tile_starts(w, xs), ty, tx, c, y, x;
    int T = SD__TILE, cin = decode ? m->vae->cfg.z : 3, cout = decode ? 3 : 2 * m->vae->cfg.z, f = decode ? 8 : 1;
    int th = h < T ? h : T, tw = w < T ? w : T, scale_in = decode ? 1 : 8;
    size_t ohw = (size_t)h * f * w * f;
    float *tin = (float *)sd__malloc(m, sizeof(float) * cin * th * scale_in * tw * scale_in);
    float *tout = (float *)sd__malloc(m, sizeof(float) * cout * th * f * tw * f);
    float *wsum = (float *)sd__calloc(m, ohw, sizeof(float));
    sd_result r = SD_OK;
    double flops = 0;   /* each tile's run counts its own; the call's is their sum */
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
            s.kind = kind; s.out = tout; s.in = tin; s.h = decode ? th : th * 8; s.w = decode ? tw : tw * 8;
            if ((r = sd__run(m, &s, decode ? "VAE decoder" : "VAE encoder", (size_t)cout * th * f * tw * f)) != SD_OK) break;
            flops += m->flops;
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
    m->flops = flops;
done:
    sd__free(m, tin); sd__free(m, tout); sd__free(m, wsum);
    return r;
}

SDDEF sd_result sd_vae_decode(sd_model *m, const float *z, int h, int w, float *image)
{
    sd__stage s;
    if (!m->vae) return sd__fail(m, SD_ERR_STATE, "no VAE loaded");
    if (h < 1 || w < 1 || h > 512 || w > 512) return sd__fail(m, SD_ERR_ARG, "latent %dx%d: 1..512 allowed", h, w);
    if (m->cfg.low_memory && (h > SD__TILE || w > SD__TILE)) return sd__vae_tiled(m, z, h, w, image, SD__STAGE_DECODE);
    memset(&s, 0, sizeof s);
    s.kind = SD__STAGE_DECODE; s.out = image; s.in = z; s.h = h; s.w = w;
    return sd__run(m, &s, "VAE decoder", (size_t)3 * 64 * h * w);
}

SDDEF sd_result sd_vae_encode(sd_model *m, const float *image, int H, int W, float *mean, float *logvar)
{
    sd__stage s;
    float *moments;
    size_t hw = (size_t)(H / 8) * (W / 8);
    sd_result r;
    int z;
    if (!m->vae) return sd__fail(m, SD_ERR_STATE, "no VAE loaded");
    z = m->vae->cfg.z;
    if (H < 8 || W < 8 || H % 8 || W % 8 || H > 4096 || W > 4096)
        return sd__fail(m, SD_ERR_ARG, "image %dx%d: width and height must be multiples of 8, 8..4096", W, H);
    moments = (float *)sd__malloc(m, 2 * (size_t)z * hw * sizeof(float));
    if (!moments) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    if (m->cfg.low_memory && (H / 8 > SD__TILE || W / 8 > SD__TILE)) r = sd__vae_tiled(m, image, H / 8, W / 8, moments, SD__STAGE_ENCODE);
    else {
        memset(&s, 0, sizeof s);
        s.kind = SD__STAGE_ENCODE; s.out = moments; s.in = image; s.h = H; s.w = W;
        r = sd__run(m, &s, "VAE encoder", 2 * (size_t)z * hw);
    }
    if (r == SD_OK) {
        memcpy(mean, moments, (size_t)z * hw * sizeof(float));
        memcpy(logvar, moments + (size_t)z * hw, (size_t)z * hw * sizeof(float));
    }
    sd__free(m, moments);
    return r;
}

/* TAESD's: the latent as the UNet gives it -> image [3,8h,8w] in about [-1,1]; image in [-1,1] -> latent */
SDDEF sd_result sd_taesd_decode(sd_model *m, const float *z, int h, int w, float *image)
{
    sd__stage s;
    float *zc;
    size_t n, k;
    sd_result r;
    if (!m->taesd || !m->taesd->has_dec) return sd__fail(m, SD_ERR_STATE, "no TAESD decoder loaded (sd_load_taesd with taesd_decoder.safetensors)");
    if (h < 1 || w < 1 || h > 512 || w > 512) return sd__fail(m, SD_ERR_ARG, "latent %dx%d: 1..512 allowed", h, w);
    n = (size_t)m->taesd->z * h * w;
    if (!(zc = (float *)sd__malloc(m, n * sizeof(float)))) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    for (k = 0; k < n; k++) zc[k] = tanhf(z[k] / 3.0f) * 3.0f;   /* the decoder's first layer */
    memset(&s, 0, sizeof s);
    s.kind = SD__STAGE_TAESD_DECODE; s.out = image; s.in = zc; s.h = h; s.w = w;
    r = sd__run(m, &s, "TAESD decoder", (size_t)3 * 64 * h * w);
    for (k = 0; r == SD_OK && k < (size_t)3 * 64 * h * w; k++) image[k] = image[k] * 2.0f - 1.0f;
    sd__free(m, zc);
    return r;
}

SDDEF sd_result sd_taesd_encode(sd_model *m, const float *image, int H, int W, float *latent)
{
    sd__stage s;
    float *x;
    size_t n = (size_t)3 * H * W, k;
    sd_result r;
    if (!m->taesd || !m->taesd->has_enc) return sd__fail(m, SD_ERR_STATE, "no TAESD encoder loaded (sd_load_taesd with taesd_encoder.safetensors)");
    if (H < 8 || W < 8 || H % 8 || W % 8 || H > 4096 || W > 4096)
        return sd__fail(m, SD_ERR_ARG, "image %dx%d: width and height must be multiples of 8, 8..4096", W, H);
    if (!(x = (float *)sd__malloc(m, n * sizeof(float)))) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    for (k = 0; k < n; k++) x[k] = (image[k] + 1.0f) / 2.0f;
    memset(&s, 0, sizeof s);
    s.kind = SD__STAGE_TAESD_ENCODE; s.out = latent; s.in = x; s.h = H; s.w = W;
    r = sd__run(m, &s, "TAESD encoder", (size_t)m->taesd->z * (H / 8) * (W / 8));
    sd__free(m, x);
    return r;
}

/* ================================================================ pipelines
   StableDiffusionPipeline / StableDiffusionImg2ImgPipeline / StableDiffusionInpaintPipeline step for step:
     context = [text(negative), text(prompt)]  (the unconditional half first)
     x = randn * init_noise_sigma   (img2img: 0.18215 * sample(encode(init)) noised to the first step)
     for each step: eps_u, eps_c = unet([x, x] scaled, t, context)
                    x = step(x, eps_u + cfg (eps_c - eps_u))
     image = decode(x / 0.18215); rgb = round(clamp(image / 2 + 0.5, 0, 1) * 255)
   Inpainting, mask M (1 = repaint) at pixels and at latents (its top-left pixel of each 8x8):
     9-channel model   the UNet's input is [x scaled; M; latent of the image with M's pixels at 0]
     4-channel model   after each step, outside M: x = the image's latent noised to the next level */

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

/* the sampler, its schedule and the noise source: known values that go together */
static sd_result sd__check_sampler(sd_model *m, const sd_params *p)
{
    if ((int)p->sampler < 0 || p->sampler >= SD_SAMPLER_COUNT)
        return sd__fail(m, SD_ERR_ARG, "sampler %d: euler_a, euler, ddim, pndm, heun, dpm2, dpm2_a, lms, dpm++2m, dpm++2s_a or lcm "
                        "(SD_SAMPLER_*, 0..%d)", (int)p->sampler, SD_SAMPLER_COUNT - 1);
    if ((int)p->scheduler < 0 || p->scheduler >= SD_SCHEDULER_COUNT)
        return sd__fail(m, SD_ERR_ARG, "schedule %d: default, diffusers, normal, karras, exponential, sgm_uniform or simple "
                        "(SD_SCHEDULER_*, 0..%d)", (int)p->scheduler, SD_SCHEDULER_COUNT - 1);
    if (p->rng != SD_RNG_CPU && p->rng != SD_RNG_PHILOX) return sd__fail(m, SD_ERR_ARG, "rng %d: SD_RNG_CPU or SD_RNG_PHILOX", (int)p->rng);
    if (sd_sampler_takes(p->sampler, p->scheduler)) return SD_OK;
    if (p->scheduler != SD_SCHEDULER_DIFFUSERS)
        return sd__fail(m, SD_ERR_ARG, "%s takes only the diffusers schedule, not %s", sd_sampler_name(p->sampler), sd_scheduler_name(p->scheduler));
    return sd__fail(m, SD_ERR_ARG, "%s takes normal, karras, exponential, sgm_uniform or simple, not diffusers", sd_sampler_name(p->sampler));
}

/* the conditioning of both prompts: ctx = [negative prompt (kn chunks); prompt (kp chunks)], each
   prompt tokenized once. SDXL: y = [negative's; prompt's], each the first chunk's pooled vector and
   the size sinusoids (sd_sdxl_vector); an empty negative prompt is zeros, context and pooled vector
   (diffusers' force_zeros_for_empty_prompt, as stable-diffusion.cpp and A1111 do too) */
static sd_result sd__conditioning(sd_model *m, const sd_params *p, int guide, float **ctx, int *kn, int *kp, float **y)
{
    int D = m->clip->cfg.width + (m->clip2 ? m->clip2->cfg.width : 0), *in = NULL, *ip = NULL, k;
    int A = m->clip2 ? m->unet->cfg.adm_in : 0, P = m->clip2 ? m->clip2->cfg.pooled : 0;
    int zeros = A && guide && (!p->negative_prompt || !*p->negative_prompt);
    float *wn = NULL, *wp = NULL;
    char *text = (char *)sd__malloc(m, strlen(p->prompt ? p->prompt : "") + 1);
    sd_result r = SD_OK;
    *ctx = *y = NULL; *kn = *kp = 0;
    if (!text) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    sd_prompt_loras(p->prompt, text, NULL, 0);   /* <lora:...> tags out of the prompt: the caller loaded them */
    if (zeros) *kn = 1;
    else if (guide) r = sd__wrap(m, sd__make_chunks(m, p->negative_prompt, p->weighting, &in, &wn, kn), "negative prompt", NULL);
    if (r == SD_OK) r = sd__wrap(m, sd__make_chunks(m, text, p->weighting, &ip, &wp, kp), "prompt", NULL);
    if (r == SD_OK && (*kn > 64 || *kp > 64)) r = sd__fail(m, SD_ERR_ARG, "a prompt of %d chunks of 75 tokens: 64 at most", *kn > *kp ? *kn : *kp);
    if (r == SD_OK && (!(*ctx = (float *)sd__calloc(m, (size_t)(*kn + *kp) * SD_TOKENS * D, sizeof(float))) ||
                       (A && !(*y = (float *)sd__calloc(m, 2 * (size_t)A, sizeof(float))))))
        r = sd__fail(m, SD_ERR_NOMEM, "out of memory");
    if (r == SD_OK && guide && !zeros)
        r = sd__wrap(m, sd__encode_chunks(m, in, wn, *kn, p->weighting, p->clip_skip, *ctx, A ? *y : NULL), "negative prompt", NULL);
    if (r == SD_OK)
        r = sd__wrap(m, sd__encode_chunks(m, ip, wp, *kp, p->weighting, p->clip_skip, *ctx + (size_t)*kn * SD_TOKENS * D, A ? *y + A : NULL), "prompt", NULL);
    for (k = 0; r == SD_OK && A && k < 2; k++)
        sd__size_vector(*y + (size_t)k * A + P, p->orig_height ? p->orig_height : p->height, p->orig_width ? p->orig_width : p->width,
                        p->crop_top, p->crop_left, p->target_height ? p->target_height : p->height, p->target_width ? p->target_width : p->width);
    sd__free(m, text); sd__free(m, in); sd__free(m, wn); sd__free(m, ip); sd__free(m, wp);
    return r;
}

/* The guided noise prediction: xin = [x; x] (the UNet's input, ni floats each) -> eps [nl].
   One batch of two; or the halves one after the other (same bits): in low-memory mode (half the
   activations), or for contexts of different lengths (A1111's default, and what ComfyUI computes).
   y: SDXL's vectors [negative's; prompt's] (or NULL) */
static sd_result sd__guided(sd_model *m, const sd_params *p, int guide, float *xin, size_t ni, int h, int w, float t,
                            const float *ctx, int kn, int kp, const float *y, float *eps, size_t nl)
{
    size_t k, A = m->unet->cfg.adm_in;
    sd_result r;
    const float *cp = ctx + (size_t)kn * SD_TOKENS * m->unet->cfg.ctx_dim, *yp = y ? y + A : NULL;
    if (!guide) return sd_unet_y(m, xin, 1, h, w, t, cp, kp * SD_TOKENS, yp, eps);
    memcpy(xin + ni, xin, ni * sizeof(float));
    if (m->cfg.low_memory || kn != kp) {
        if ((r = sd_unet_y(m, xin, 1, h, w, t, ctx, kn * SD_TOKENS, y, eps)) != SD_OK) return r;
        if ((r = sd_unet_y(m, xin + ni, 1, h, w, t, cp, kp * SD_TOKENS, yp, eps + nl)) != SD_OK) return r;
    } else if ((r = sd_unet_y(m, xin, 2, h, w, t, ctx, kp * SD_TOKENS, y, eps)) != SD_OK) return r;
    for (k = 0; k < nl; k++) eps[k] = eps[k] + p->cfg_scale * (eps[nl + k] - eps[k]);
    return SD_OK;
}

/* RGB bytes (HWC) -> [3,H,W] in [-1, 1] */
static void sd__from_rgb(float *img, const unsigned char *rgb, size_t npix)
{
    size_t k;
    int c;
    for (k = 0; k < npix; k++)
        for (c = 0; c < 3; c++) img[(size_t)c * npix + k] = 2.0f * ((float)rgb[3 * k + c] / 255.0f) - 1.0f;
}

/* a sample of the VAE's latent distribution for the image [3,H,W]: scale * (mean + exp(logvar / 2) * eps),
   eps drawn from rng (tmp: 2 nl floats); TAESD's latent is the image's as it is, nothing drawn */
static sd_result sd__latent_sample(sd_model *m, const float *img, int H, int W, int taesd, sd_rng *rng, float *lat, float *tmp, size_t nl)
{
    float *mean = tmp, *logvar = tmp + nl, s = m->vae->cfg.scale;
    size_t k;
    sd_result r = taesd ? sd_taesd_encode(m, img, H, W, lat) : sd_vae_encode(m, img, H, W, mean, logvar);
    if (r != SD_OK || taesd) return r;
    sd_randn(rng, lat, nl);
    for (k = 0; k < nl; k++) {
        float lv = logvar[k] < -30.0f ? -30.0f : (logvar[k] > 20.0f ? 20.0f : logvar[k]);
        lat[k] = s * (mean[k] + expf(0.5f * lv) * lat[k]);
    }
    return SD_OK;
}

/* A1111's mask blur (cv2.GaussianBlur of the u8 mask, a kernel of 2 int(2.5 sigma + 0.5) + 1 taps,
   borders reflected without repeating the edge), along x then y, rounded to bytes */
static void sd__mask_blur(unsigned char *mk, int W, int H, int sigma, float *tmp)
{
    int r = (int)(2.5 * sigma + 0.5), x, y, d, pass;
    float kern[1024], sum = 0.0f;
    if (r > 511) r = 511;
    for (d = -r; d <= r; d++) sum += kern[d + r] = expf(-(float)(d * d) / (2.0f * (float)sigma * (float)sigma));
    for (d = 0; d <= 2 * r; d++) kern[d] /= sum;
    for (pass = 0; pass < 2; pass++) {
        int n = pass ? H : W;
        for (y = 0; y < H; y++)
            for (x = 0; x < W; x++) {
                float v = 0.0f;
                int at = pass ? y : x;
                for (d = -r; d <= r; d++) {
                    int q = at + d;
                    while (q < 0 || q >= n) q = q < 0 ? -q : 2 * (n - 1) - q;   /* reflect 101 */
                    if (n == 1) q = 0;
                    v += kern[d + r] * (float)mk[pass ? (size_t)q * W + x : (size_t)y * W + q];
                }
                tmp[(size_t)y * W + x] = v;
            }
        for (x = 0; x < W * H; x++) mk[x] = (unsigned char)(tmp[x] + 0.5f);
    }
}

/* Pixels -> latents and back, then the loop. txt2img: from noise. img2img (init): the init's latent
   noised to the first step. Inpainting (init, mask): see sd_inpaint. */
static sd_result sd__generate(sd_model *m, const sd_params *p, const unsigned char *init, const unsigned char *mask, unsigned char *rgb)
{
    int h = p->height / 8, w = p->width / 8, start = 0, guide = p->cfg_scale > 1.0f, nine, kn = 0, kp = 0, step, i;
    size_t nl, nhw = (size_t)h * w, ni, npix = (size_t)p->width * p->height, k;
    float scale, *ctx = NULL, *yv = NULL, *lat = NULL, *xin = NULL, *eps = NULL, *den = NULL, *img = NULL, *work = NULL, t;
    float *noise0 = NULL, *ilat = NULL, *mlat = NULL, *mpix = NULL, *scaled = NULL;   /* inpainting */
    unsigned char *mk = NULL;
    sd_prediction pred;
    sd_schedule *sch = NULL;
    sd_sampling run;
    sd_rng rng, philox, *noise;
    sd_result r = SD_OK;
    if (!m->unet || !m->vae || !m->clip)
        return sd__fail(m, SD_ERR_STATE, "the checkpoint lacks %s: txt2img needs the UNet, the VAE and the text encoder",
                        !m->unet ? "the UNet" : !m->vae ? "the VAE" : "the text encoder");
    nine = m->unet->cfg.in_ch == 9;
    pred = p->prediction == SD_PREDICTION_AUTO ? m->prediction : p->prediction;
    if ((int)pred < SD_PREDICTION_EPS || pred > SD_PREDICTION_V) return sd__fail(m, SD_ERR_ARG, "prediction %d: SD_PREDICTION_AUTO, _EPS or _V", (int)p->prediction);
    nl = (size_t)m->vae->cfg.z * nhw;
    ni = (size_t)m->unet->cfg.in_ch * nhw;
    scale = m->vae->cfg.scale;
    if (!m->vocab) return sd__fail(m, SD_ERR_STATE, "no vocabulary loaded (sd_load_vocab with the model's tokenizer/merges.txt)");
    if (nine && !mask)
        return sd__fail(m, SD_ERR_ARG, "this is an inpainting model (its UNet takes 9 channels): it needs an image and a mask (sd_inpaint; sd --mask)");
    if (p->width < 8 || p->height < 8 || p->width > 2048 || p->height > 2048 || p->width % 8 || p->height % 8)
        return sd__fail(m, SD_ERR_ARG, "size %dx%d: width and height must be multiples of 8 in 8..2048", p->width, p->height);
    if (p->steps < 1 || p->steps > SD_MAX_STEPS) return sd__fail(m, SD_ERR_ARG, "steps %d: 1..%d allowed", p->steps, SD_MAX_STEPS);
    if (p->orig_width < 0 || p->orig_height < 0 || p->crop_left < 0 || p->crop_top < 0 || p->target_width < 0 || p->target_height < 0 ||
        p->orig_width > 65536 || p->orig_height > 65536 || p->crop_left > 65536 || p->crop_top > 65536 || p->target_width > 65536 ||
        p->target_height > 65536)
        return sd__fail(m, SD_ERR_ARG, "SDXL's size conditioning: original %dx%d, crop %d,%d, target %dx%d: 0..65536 each (0: the default)",
                        p->orig_width, p->orig_height, p->crop_left, p->crop_top, p->target_width, p->target_height);
    if (!(p->cfg_scale >= 0.0f && p->cfg_scale <= 100.0f)) return sd__fail(m, SD_ERR_ARG, "cfg scale %g: 0..100 allowed", p->cfg_scale);
    if ((r = sd__check_sampler(m, p)) != SD_OK) return r;
    if (p->clip_skip < 1 || p->clip_skip > m->clip->cfg.layers - m->clip->cfg.unused)
        return sd__fail(m, SD_ERR_ARG, "clip skip %d: 1..%d allowed", p->clip_skip, m->clip->cfg.layers - m->clip->cfg.unused);
    if (!(p->eta >= 0.0f && p->eta <= 1.0f)) return sd__fail(m, SD_ERR_ARG, "eta %g: 0..1 allowed", p->eta);
    if (init && !(p->strength >= 0.0 && p->strength <= 1.0)) return sd__fail(m, SD_ERR_ARG, "strength %g: 0..1 allowed", p->strength);
    if (mask && (p->mask_blur < 0 || p->mask_blur > 200)) return sd__fail(m, SD_ERR_ARG, "mask blur %d: 0..200 allowed", p->mask_blur);
    if (p->taesd && (!m->taesd || !m->taesd->has_dec || (init && !m->taesd->has_enc)))
        return sd__fail(m, SD_ERR_STATE, "sd_params.taesd: no TAESD %s loaded (sd_load_taesd)", init && m->taesd && m->taesd->has_dec ? "encoder" : "decoder");
    if (!(sch = (sd_schedule *)sd__malloc(m, sizeof *sch))) return sd__fail(m, SD_ERR_NOMEM, "out of memory");
    sd_schedule_make(sch, p->sampler, p->scheduler, p->steps, p->eta);
    if (init && (start = sd_schedule_first_step(sch, p->strength)) < 0) {
        sd__free(m, sch);
        return sd__fail(m, SD_ERR_ARG, "strength %g with %d steps runs no step (steps x strength must be at least 1)", p->strength, p->steps);
    }
    lat = (float *)sd__malloc(m, nl * sizeof(float));
    xin = (float *)sd__malloc(m, 2 * ni * sizeof(float));
    eps = (float *)sd__malloc(m, 2 * (nl > ni ? nl : ni) * sizeof(float));
    den = (float *)sd__malloc(m, nl * sizeof(float));
    img = (float *)sd__malloc(m, 3 * npix * sizeof(float));
    work = (float *)sd__calloc(m, (sd_sampling_work(p->sampler) + 1) * nl, sizeof(float));
    if (!lat || !xin || !eps || !den || !img || !work) { r = sd__fail(m, SD_ERR_NOMEM, "out of memory"); goto done; }
    if (mask) {   /* the mask: blurred (optional), then >= 128 repaints; the latent mask its top-left pixels */
        size_t on = 0;
        mk = (unsigned char *)sd__malloc(m, npix);
        mpix = (float *)sd__malloc(m, npix * sizeof(float));
        mlat = (float *)sd__malloc(m, 5 * nhw * sizeof(float));   /* [mask 1; masked image's latent 4] */
        ilat = (float *)sd__malloc(m, nl * sizeof(float));
        noise0 = (float *)sd__malloc(m, nl * sizeof(float));
        scaled = (float *)sd__malloc(m, nl * sizeof(float));
        if (!mk || !mpix || !mlat || !ilat || !noise0 || !scaled) { r = sd__fail(m, SD_ERR_NOMEM, "out of memory"); goto done; }
        memcpy(mk, mask, npix);
        if (p->mask_blur > 0) sd__mask_blur(mk, p->width, p->height, p->mask_blur, mpix);
        for (k = 0; k < npix; k++) on += mpix[k] = (float)mk[k] / 255.0f >= 0.5f ? 1.0f : 0.0f;
        if (on == 0) {
            sd__warn(m, "inpainting: the mask marks nothing to repaint; the image is given back as it was");
            memcpy(rgb, init, 3 * npix);
            goto done;
        }
        for (i = 0; i < h; i++)
            for (k = 0; k < (size_t)w; k++) mlat[(size_t)i * w + k] = mpix[(size_t)i * 8 * p->width + 8 * k];
    }
    if ((r = sd__conditioning(m, p, guide, &ctx, &kn, &kp, &yv)) != SD_OK) goto done;
    /* the starting latent. The VAE's samples draw from the CPU generator, the noise from the chosen one:
       img2img  eps_i, noise; the init's latent noised to the first step
       inpaint  eps_i (not for a 9-channel model at strength 1), noise, eps_m (the masked image's
                latent: drawn for a 4-channel model too, which does not use it); strength 1 starts
                from noise alone */
    sd_rng_seed(&rng, p->seed);
    sd_rng_init(&philox, SD_RNG_PHILOX, p->seed);
    noise = p->rng == SD_RNG_PHILOX ? &philox : &rng;
    if (init) sd__from_rgb(img, init, npix);
    if (init && !(mask && nine && p->strength >= 1.0))
        if ((r = sd__latent_sample(m, img, p->height, p->width, p->taesd, &rng, mask ? ilat : lat, eps, nl)) != SD_OK) goto done;
    sd_randn(noise, mask ? noise0 : den, nl);
    if (mask) {
        int c;
        for (c = 0; c < 3; c++) for (k = 0; k < npix; k++) img[(size_t)c * npix + k] *= mpix[k] < 0.5f ? 1.0f : 0.0f;
        if (nine) { if ((r = sd__latent_sample(m, img, p->height, p->width, p->taesd, &rng, mlat + nhw, eps, nl)) != SD_OK) goto done; }
        else if (!p->taesd) sd_randn(&rng, scaled, nl);   /* the masked image's draw, for the order */
        if (p->strength >= 1.0) for (k = 0; k < nl; k++) lat[k] = noise0[k] * sch->init_noise_sigma;
        else sd_add_noise(sch, start, ilat, noise0, lat, nl);
    } else if (init) sd_add_noise(sch, start, lat, den, lat, nl);
    else for (k = 0; k < nl; k++) lat[k] = den[k] * sch->init_noise_sigma;
    /* the denoising loop: one guided UNet evaluation at a time, as the sampler asks */
    sd_sampling_begin(&run, sch, start, lat, nl, work, noise);
    while (step = run.i, sd_sampling_next(&run, nine ? scaled : xin, &t)) {
        if (nine) {   /* the UNet's input: [scaled latent 4; mask 1; masked image's latent 4] */
            memcpy(xin, scaled, nl * sizeof(float));
            memcpy(xin + nl, mlat, 5 * nhw * sizeof(float));
        }
        if ((r = sd__guided(m, p, guide, xin, ni, h, w, t, ctx, kn, kp, yv, eps, nl)) != SD_OK) goto done;
        if (pred == SD_PREDICTION_V) sd_sampling_v_to_eps(&run, t, xin, eps, nl);
        sd_sampling_update(&run, eps, den);
        if (mask && !nine && run.i != step) {   /* a step done: outside the mask, the init's latent at the next level */
            if (run.i < sch->n_t) sd_add_noise(sch, run.i, ilat, noise0, scaled, nl);
            else memcpy(scaled, ilat, nl * sizeof(float));
            for (k = 0; k < nl; k++) {
                float mm = mlat[k % nhw];
                lat[k] = (1.0f - mm) * scaled[k] + mm * lat[k];
            }
        }
        if (p->progress) {
            sd_progress pr;
            pr.step = run.evals; pr.total = run.total; pr.width = w; pr.height = h;
            pr.latent = lat; pr.denoised = den;
            if (p->progress(p->progress_user, &pr)) { r = sd__fail(m, SD_ERR_CANCELLED, "cancelled at step %d of %d", pr.step, pr.total); goto done; }
        }
    }
    if (p->latent_out) memcpy(p->latent_out, lat, nl * sizeof(float));
    /* decode (TAESD: the latent as it is); inpainting with mask_paste: the init's pixels back, the
       (blurred) mask as the blend */
    if (p->taesd) r = sd_taesd_decode(m, lat, h, w, img);
    else {
        for (k = 0; k < nl; k++) lat[k] = lat[k] / scale;
        r = sd_vae_decode(m, lat, h, w, img);
    }
    if (r != SD_OK) goto done;
    if (p->image_out) memcpy(p->image_out, img, 3 * npix * sizeof(float));
    for (k = 0; k < npix; k++) {
        int c;
        for (c = 0; c < 3; c++) {
            float v = img[(size_t)c * npix + k] / 2.0f + 0.5f;
            v = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
            v = rintf(v * 255.0f);
            if (mask && p->mask_paste) {   /* A1111's overlay: the (blurred) mask doubled, so the seam lies outside what was repainted */
                float a = 2.0f * (float)mk[k] / 255.0f;
                v = rintf((float)init[3 * k + c] + (v - (float)init[3 * k + c]) * (a > 1.0f ? 1.0f : a));
            }
            rgb[3 * k + c] = (unsigned char)v;
        }
    }
done:
    sd__free(m, ctx); sd__free(m, yv); sd__free(m, lat); sd__free(m, xin); sd__free(m, eps); sd__free(m, den); sd__free(m, img); sd__free(m, sch);
    sd__free(m, work); sd__free(m, noise0); sd__free(m, ilat); sd__free(m, mlat); sd__free(m, mpix); sd__free(m, scaled); sd__free(m, mk);
    return r;
}

SDDEF sd_result sd_txt2img(sd_model *m, const sd_params *p, unsigned char *rgb)
{
    m->err[0] = 0;
    return sd__generate(m, p, NULL, NULL, rgb);
}

SDDEF sd_result sd_img2img(sd_model *m, const sd_params *p, const unsigned char *init, unsigned char *rgb)
{
    m->err[0] = 0;
    if (!init) return sd__fail(m, SD_ERR_ARG, "img2img needs an init image");
    return sd__generate(m, p, init, NULL, rgb);
}

SDDEF sd_result sd_inpaint(sd_model *m, const sd_params *p, const unsigned char *init, const unsigned char *mask, unsigned char *rgb)
{
    m->err[0] = 0;
    if (!init || !mask) return sd__fail(m, SD_ERR_ARG, "inpainting needs an image and a mask");
    return sd__generate(m, p, init, mask, rgb);
}

/* ================================================================ Unicode tables
   What the tokenizer's normalization reads (see "text normalization"): generated from Python's
   unicodedata by tools/gen_unicode.py, then the look-ups. */

/* --- BEGIN GENERATED BY tools/gen_unicode.py: do not edit --- */
/* Unicode 14.0.0 (Python 3.11's unicodedata). Rows: see tools/gen_unicode.py. */
#define SD__UC_NPROP 1254
static const uint32_t sd__uc_prop[2508] = {
    9,67108877,32,67108896,39,268435495,46,268435502,48,33554489,58,268435514,65,150995034,94,268435550,
    96,268435552,97,150995066,133,67108997,160,67109024,168,268435624,170,150995114,173,268435629,175,268435631,
    178,33554611,180,268435636,181,150995125,183,268435640,185,33554617,186,150995130,188,33554622,192,150995158,
    216,150995190,248,150995386,443,16777659,444,150995391,448,16777667,452,150995603,660,16777876,661,150995631,
    688,285213377,706,268436165,710,285213393,722,268436191,736,285213412,741,268436203,748,285213420,749,268436205,
    750,285213422,751,268436335,880,150995827,884,285213556,885,268436341,886,150995831,890,285213562,891,150995837,
    895,150995839,900,268436357,902,150995846,903,268436359,904,150995850,908,150995852,910,150995873,931,150995957,
    1015,150996097,1155,268436617,1162,150996271,1329,150996310,1369,285214041,1375,268436831,1376,150996360,1425,268436925,
    1471,268436927,1473,268436930,1476,268436933,1479,268436935,1488,16778730,1519,16778738,1524,268436980,1536,268436997,
    1552,268437018,1564,268437020,1568,16778815,1600,285214272,1601,16778826,1611,268437087,1632,33556073,1646,16778863,
    1648,268437104,1649,16778963,1749,16778965,1750,268437213,1759,268437220,1765,285214438,1767,268437224,1770,268437229,
    1774,16778991,1776,33556217,1786,16779004,1791,16779007,1807,268437263,1808,16779024,1809,268437265,1810,16779055,
    1840,268437322,1869,16779173,1958,268437424,1969,16779185,1984,33556425,1994,16779242,2027,268437491,2036,285214709,
    2042,285214714,2045,268437501,2048,16779285,2070,268437529,2074,285214746,2075,268437539,2084,285214756,2085,268437543,
    2088,285214760,2089,268437549,2112,16779352,2137,268437595,2144,16779370,2160,16779399,2184,268437640,2185,16779406,
    2192,268437649,2200,268437663,2208,16779464,2249,285214921,2250,268437762,2308,16779577,2362,268437818,2364,268437820,
    2365,16779581,2369,268437832,2381,268437837,2384,16779600,2385,268437847,2392,16779617,2402,268437859,2406,33556847,
    2417,285215089,2418,16779648,2433,268437889,2437,16779660,2447,16779664,2451,16779688,2474,16779696,2482,16779698,
    2486,16779705,2492,268437948,2493,16779709,2497,268437956,2509,268437965,2510,16779726,2524,16779741,2527,16779745,
    2530,268437987,2534,33556975,2544,16779761,2548,33556985,2556,16779772,2558,268438014,2561,268438018,2565,16779786,
    2575,16779792,2579,16779816,2602,16779824,2610,16779827,2613,16779830,2616,16779833,2620,268438076,2625,268438082,
    2631,268438088,2635,268438093,2641,268438097,2649,16779868,2654,16779870,2662,33557103,2672,268438129,2674,16779892,
    2677,268438133,2689,268438146,2693,16779917,2703,16779921,2707,16779944,2730,16779952,2738,16779955,2741,16779961,
    2748,268438204,2749,16779965,2753,268438213,2759,268438216,2765,268438221,2768,16779984,2784,16780001,2786,268438243,
    2790,33557231,2809,16780025,2810,268438271,2817,268438273,2821,16780044,2831,16780048,2835,16780072,2858,16780080,
    2866,16780083,2869,16780089,2876,268438332,2877,16780093,2879,268438335,2881,268438340,2893,268438349,2901,268438358,
    2908,16780125,2911,16780129,2914,268438371,2918,33557359,2929,16780145,2930,33557367,2946,268438402,2947,16780163,
    2949,16780170,2958,16780176,2962,16780181,2969,16780186,2972,16780188,2974,16780191,2979,16780196,2984,16780202,
    2990,16780217,3008,268438464,3021,268438477,3024,16780240,3046,33557490,3072,268438528,3076,268438532,3077,16780300,
    3086,16780304,3090,16780328,3114,16780345,3132,268438588,3133,16780349,3134,268438592,3142,268438600,3146,268438605,
    3157,268438614,3160,16780378,3165,16780381,3168,16780385,3170,268438627,3174,33557615,3192,33557630,3200,16780416,
    3201,268438657,3205,16780428,3214,16780432,3218,16780456,3242,16780467,3253,16780473,3260,268438716,3261,16780477,
    3263,268438719,3270,268438726,3276,268438733,3293,16780510,3296,16780513,3298,268438755,3302,33557743,3313,16780530,
    3328,268438785,3332,16780556,3342,16780560,3346,16780602,3387,268438844,3389,16780605,3393,268438852,3405,268438861,
    3406,16780622,3412,16780630,3416,33557854,3423,16780641,3426,268438883,3430,33557880,3450,16780671,3457,268438913,
    3461,16780694,3482,16780721,3507,16780731,3517,16780733,3520,16780742,3530,268438986,3538,268438996,3542,268438998,
    3558,33557999,3585,16780848,3633,268439089,3634,16780851,3636,268439098,3648,16780869,3654,285216326,3655,268439118,
    3664,33558105,3713,16780930,3716,16780932,3718,16780938,3724,16780963,3749,16780965,3751,16780976,3761,268439217,
    3762,16780979,3764,268439228,3773,16780989,3776,16780996,3782,285216454,3784,268439245,3792,33558233,3804,16781023,
    3840,16781056,3864,268439321,3872,33558323,3893,268439349,3895,268439351,3897,268439353,3904,16781127,3913,16781164,
    3953,268439422,3968,268439428,3974,268439431,3976,16781196,3981,268439447,3993,268439484,4038,268439494,4096,16781354,
    4141,268439600,4146,268439607,4153,268439610,4157,268439614,4159,16781375,4160,33558601,4176,16781397,4184,268439641,
    4186,16781405,4190,268439648,4193,16781409,4197,16781414,4206,16781424,4209,268439668,4213,16781441,4226,268439682,
    4229,268439686,4237,268439693,4238,16781454,4240,33558681,4253,268439709,4256,150999237,4295,150999239,4301,150999245,
    4304,150999290,4348,285217020,4349,150999295,4352,16781896,4682,16781901,4688,16781910,4696,16781912,4698,16781917,
    4704,16781960,4746,16781965,4752,16782000,4786,16782005,4792,16782014,4800,16782016,4802,16782021,4808,16782038,
    4824,16782096,4882,16782101,4888,16782170,4957,268440415,4969,33559420,4992,16782223,5024,151000053,5112,151000061,
    5121,16782956,5743,16782975,5760,67114624,5761,16783002,5792,16783082,5870,33560304,5873,16783096,5888,16783121,
    5906,268441364,5919,16783153,5938,268441395,5952,16783185,5970,268441427,5984,16783212,5998,16783216,6002,268441459,
    6016,16783283,6068,268441525,6071,268441533,6086,268441542,6089,268441555,6103,285218775,6108,16783324,6109,268441565,
    6112,33560553,6128,33560569,6155,268441615,6160,33560601,6176,16783426,6211,285218883,6212,16783480,6272,16783492,
    6277,268441734,6279,16783528,6313,268441769,6314,16783530,6320,16783605,6400,16783646,6432,268441890,6439,268441896,
    6450,268441906,6457,268441915,6470,33560911,6480,16783725,6512,16783732,6528,16783787,6576,16783817,6608,33561050,
    6656,16783894,6679,268442136,6683,268442139,6688,16783956,6742,268442198,6744,268442206,6752,268442208,6754,268442210,
    6757,268442220,6771,268442236,6783,268442239,6784,33561225,6800,33561241,6823,285219495,6832,268442318,6912,268442371,
    6917,16784179,6964,268442420,6966,268442426,6972,268442428,6978,268442434,6981,16784204,6992,33561433,7019,268442483,
    7040,268442497,7043,16784288,7074,268442533,7080,268442537,7083,268442541,7086,16784303,7088,33561529,7098,16784357,
    7142,268442598,7144,268442601,7149,268442605,7151,268442609,7168,16784419,7212,268442675,7222,268442679,7232,33561673,
    7245,16784463,7248,33561689,7258,16784503,7288,285219965,7296,151002248,7312,151002298,7357,151002303,7376,268442834,
    7380,268442848,7394,268442856,7401,16784620,7405,268442861,7406,16784627,7412,268442868,7413,16784630,7416,268442873,
    7418,16784634,7424,151002411,7468,285220202,7531,151002487,7544,285220216,7545,151002522,7579,285220287,7616,268443135,
    7680,151002901,7960,151002909,7968,151002949,8008,151002957,8016,151002967,8025,151002969,8027,151002971,8029,151002973,
    8031,151003005,8064,151003060,8118,151003068,8125,268443581,8126,151003070,8127,268443585,8130,151003076,8134,151003084,
    8141,268443599,8144,151003091,8150,151003099,8157,268443615,8160,151003116,8173,268443631,8178,151003124,8182,151003132,
    8189,268443646,8192,67117066,8203,268443663,8216,268443673,8228,268443684,8231,268443687,8232,67117097,8234,268443694,
    8239,67117103,8287,67117151,8288,268443748,8294,268443759,8304,33562736,8305,285220977,8308,33562745,8319,285220991,
    8320,33562761,8336,285221020,8400,268443888,8450,151003394,8455,151003399,8458,151003411,8469,151003413,8473,151003421,
    8484,151003428,8486,151003430,8488,151003432,8490,151003437,8495,151003444,8501,16785720,8505,151003449,8508,151003455,
    8517,151003465,8526,151003470,8528,33562975,8544,167780735,8576,33563010,8579,151003524,8581,33563017,9312,33563803,
    9398,134227177,9450,33563903,10102,33564563,11264,151006331,11388,285224061,11390,151006436,11499,151006446,11503,268446961,
    11506,151006451,11517,33565949,11520,151006501,11559,151006503,11565,151006509,11568,16788839,11631,285224303,11647,268447103,
    11648,16788886,11680,16788902,11688,16788910,11696,16788918,11704,16788926,11712,16788934,11720,16788942,11728,16788950,
    11736,16788958,11744,268447231,11823,285224495,12288,67121152,12293,285224965,12294,16789510,12295,33566727,12321,33566761,
    12330,268447789,12337,285225013,12344,33566778,12347,285225019,12348,16789564,12353,16789654,12441,268447900,12445,285225118,
    12447,16789663,12449,16789754,12540,285225214,12543,16789759,12549,16789807,12593,16789902,12690,33567125,12704,16789951,
    12784,16790015,12832,33567273,12872,33567311,12881,33567327,12928,33567369,12977,33567423,13312,16797119,19968,16818196,
    40981,285253653,40982,16819340,42192,16819447,42232,285254909,42240,16819723,42508,285255180,42512,16819743,42528,33596969,
    42538,16819755,42560,151037549,42606,16819822,42607,268478066,42612,268478077,42623,285255295,42624,151037595,42652,285255325,
    42654,268478111,42656,16819941,42726,33597167,42736,268478193,42752,268478230,42775,285255455,42784,268478241,42786,151037807,
    42864,285255536,42865,151037831,42888,285255560,42889,268478346,42891,151037838,42895,16820111,42896,151037898,42960,151037905,
    42963,151037907,42965,151037913,42994,285255668,42997,151037942,42999,16820215,43000,285255673,43002,151037946,43003,16820225,
    43010,268478466,43011,16820229,43014,268478470,43015,16820234,43019,268478475,43020,16820258,43045,268478502,43052,268478508,
    43056,33597493,43072,16820339,43138,16820403,43204,268478661,43216,33597657,43232,268478705,43250,16820471,43259,16820475,
    43261,16820478,43263,268478719,43264,33597705,43274,16820517,43302,268478765,43312,16820550,43335,268478801,43360,16820604,
    43392,268478850,43396,16820658,43443,268478899,43446,268478905,43452,268478909,43471,285256143,43472,33597913,43488,16820708,
    43493,268478949,43494,285256166,43495,16820719,43504,33597945,43514,16820734,43520,16820776,43561,268479022,43569,268479026,
    43573,268479030,43584,16820802,43587,268479043,43588,16820811,43596,268479052,43600,33598041,43616,16820847,43632,285256304,
    43633,16820854,43642,16820858,43644,268479100,43646,16820911,43696,268479152,43697,16820913,43698,268479156,43701,16820918,
    43703,268479160,43705,16820925,43710,268479167,43712,16820928,43713,268479169,43714,16820930,43739,16820956,43741,285256413,
    43744,16820970,43756,268479213,43762,16820978,43763,285256436,43766,268479222,43777,16820998,43785,16821006,43793,16821014,
    43808,16821030,43816,16821038,43824,151038810,43867,268479323,43868,285256543,43872,151038824,43881,285256553,43882,268479339,
    43888,151038911,43968,16821218,44005,268479461,44008,268479464,44013,268479469,44016,33598457,44032,16832419,55216,16832454,
    55243,16832507,63744,16841325,64112,16841433,64256,151059206,64275,151059223,64285,16841501,64286,268499742,64287,16841512,
    64298,16841526,64312,16841532,64318,16841534,64320,16841537,64323,16841540,64326,16841649,64434,268499906,64467,16842045,
    64848,16842127,64914,16842183,65008,16842235,65024,268500495,65043,268500499,65056,268500527,65106,268500562,65109,268500565,
    65136,16842356,65142,16842492,65279,268500735,65287,268500743,65294,268500750,65296,33619737,65306,268500762,65313,151060282,
    65342,268500798,65344,268500800,65345,151060314,65382,16842607,65392,285278064,65393,16842653,65438,285278111,65440,16842686,
    65474,16842695,65482,16842703,65490,16842711,65498,16842716,65507,268500963,65529,268500987,65536,16842763,65549,16842790,
    65576,16842810,65596,16842813,65599,16842829,65616,16842845,65664,16843002,65799,33620275,65856,33620344,65930,33620363,
    66045,268501501,66176,16843420,66208,16843472,66272,268501728,66273,33620731,66304,16843551,66336,33620771,66349,16843584,
    66369,33620801,66370,16843593,66378,33620810,66384,16843637,66422,268501882,66432,16843677,66464,16843715,66504,16843727,
    66513,33620949,66560,151061583,66640,16843933,66720,33621161,66736,151061715,66776,151061755,66816,16844071,66864,16844131,
    66928,151061882,66940,151061898,66956,151061906,66964,151061909,66967,151061921,66979,151061937,66995,151061945,67003,151061948,
    67072,16844598,67392,16844629,67424,16844647,67456,285280133,67463,285280176,67506,285280186,67584,16844805,67592,16844808,
    67594,16844853,67639,16844856,67644,16844860,67647,16844885,67672,33622111,67680,16844918,67705,33622143,67712,16844958,
    67751,33622191,67808,16845042,67828,16845045,67835,33622271,67840,16845077,67862,33622299,67872,16845113,67968,16845239,
    68028,33622461,68030,16845247,68032,33622479,68050,33622527,68096,16845312,68097,268503555,68101,268503558,68108,268503567,
    68112,16845331,68117,16845335,68121,16845365,68152,268503610,68159,268503615,68160,33622600,68192,16845436,68221,33622654,
    68224,16845468,68253,33622687,68288,16845511,68297,16845540,68325,268503782,68331,33622767,68352,16845621,68416,16845653,
    68440,33622879,68448,16845682,68472,33622911,68480,16845713,68521,33622959,68608,16845896,68736,151063730,68800,151063794,
    68858,33623295,68864,16846115,68900,268504359,68912,33623353,69216,33623678,69248,16846505,69291,268504748,69296,16846513,
    69376,16846620,69405,33623846,69415,16846631,69424,16846661,69446,268504912,69457,33623892,69488,16846721,69506,268504965,
    69552,16846788,69573,33624011,69600,16846838,69633,268505089,69635,16846903,69688,268505158,69714,33624175,69744,268505200,
    69745,16846962,69747,268505204,69749,16846965,69759,268505217,69763,16847023,69811,268505270,69817,268505274,69821,268505277,
    69826,268505282,69837,268505293,69840,16847080,69872,33624313,69888,268505346,69891,16847142,69927,268505387,69933,268505396,
    69942,33624383,69956,16847172,69959,16847175,69968,16847218,70003,268505459,70006,16847222,70016,268505473,70019,16847282,
    70070,268505534,70081,16847300,70089,268505548,70095,268505551,70096,33624537,70106,16847322,70108,16847324,70113,33624564,
    70144,16847377,70163,16847403,70191,268505649,70196,268505652,70198,268505655,70206,268505662,70272,16847494,70280,16847496,
    70282,16847501,70287,16847517,70303,16847528,70320,16847582,70367,268505823,70371,268505834,70384,33624825,70400,268505857,
    70405,16847628,70415,16847632,70419,16847656,70442,16847664,70450,16847667,70453,16847673,70459,268505916,70461,16847677,
    70464,268505920,70480,16847696,70493,16847713,70502,268505964,70512,268505972,70656,16847924,70712,268506175,70722,268506180,
    70726,268506182,70727,16847946,70736,33625177,70750,268506206,70751,16847969,70784,16848047,70835,268506296,70842,268506298,
    70847,268506304,70850,268506307,70852,16848069,70855,16848071,70864,33625305,71040,16848302,71090,268506549,71100,268506557,
    71103,268506560,71128,16848347,71132,268506589,71168,16848431,71219,268506682,71229,268506685,71231,268506688,71236,16848452,
    71248,33625689,71296,16848554,71339,268506795,71341,268506797,71344,268506805,71351,268506807,71352,16848568,71360,33625801,
    71424,16848666,71453,268506911,71458,268506917,71463,268506923,71472,33625915,71488,16848710,71680,16848939,71727,268507191,
    71737,268507194,71840,151066847,71904,33626354,71935,16849158,71945,16849161,71948,16849171,71957,16849174,71960,16849199,
    71995,268507452,71998,268507454,71999,16849215,72001,16849217,72003,268507459,72016,33626457,72096,16849319,72106,16849360,
    72148,268507607,72154,268507611,72160,268507616,72161,16849377,72163,16849379,72192,16849408,72193,268507658,72203,16849458,
    72243,268507704,72250,16849466,72251,268507710,72263,268507719,72272,16849488,72273,268507734,72281,268507739,72284,16849545,
    72330,268507798,72344,268507801,72349,16849565,72368,16849656,72704,16849928,72714,16849966,72752,268508214,72760,268508221,
    72767,268508223,72768,16849984,72784,33627244,72818,16850063,72850,268508327,72874,268508336,72882,268508339,72885,268508342,
    72960,16850182,72968,16850185,72971,16850224,73009,268508470,73018,268508474,73020,268508477,73023,268508485,73030,16850246,
    73031,268508487,73040,33627481,73056,16850277,73063,16850280,73066,16850313,73104,268508561,73109,268508565,73111,268508567,
    73112,16850328,73120,33627561,73440,16850674,73459,268508916,73648,16850864,73664,33628116,73728,16851865,74752,33629294,
    74880,16852291,77712,16855024,77824,16856110,78896,268514360,82944,16860742,92160,16869944,92736,16869982,92768,33647209,
    92784,16870078,92864,33647305,92880,16870125,92912,268528372,92928,16870191,92976,268528438,92992,285305667,93008,33647449,
    93019,33647457,93027,16870263,93053,16870287,93760,151088767,93824,33648278,93952,16871242,94031,268529487,94032,16871248,
    94095,268529554,94099,285306783,94176,285306849,94179,285306851,94180,268529636,94208,16877559,100352,16878805,101632,16878856,
    110576,285323251,110581,285323259,110589,285323262,110592,16888098,110928,16888146,110948,16888167,110960,16888571,113664,16890986,
    113776,16891004,113792,16891016,113808,16891033,113821,268549278,113824,268549283,118528,268554029,118576,268554054,119143,268554601,
    119155,268554626,119173,268554635,119210,268554669,119362,268554820,119520,33673971,119648,33674104,119808,151114836,119894,151114908,
    119966,151114911,119970,151114914,119973,151114918,119977,151114924,119982,151114937,119995,151114939,119997,151114947,120005,151115013,
    120071,151115018,120077,151115028,120086,151115036,120094,151115065,120123,151115070,120128,151115076,120134,151115078,120138,151115088,
    120146,151115429,120488,151115456,120514,151115482,120540,151115514,120572,151115540,120598,151115572,120630,151115598,120656,151115630,
    120688,151115656,120714,151115688,120746,151115714,120772,151115723,120782,33675263,121344,268556854,121403,268556908,121461,268556917,
    121476,268556932,121499,268556959,121505,268556975,122624,151117577,122634,16899850,122635,151117598,122880,268558342,122888,268558360,
    122907,268558369,122915,268558372,122918,268558378,123136,16900396,123184,268558646,123191,285335869,123200,33677641,123214,16900430,
    123536,16900781,123566,268559022,123584,16900843,123628,268559087,123632,33678073,124896,16902118,124904,16902123,124909,16902126,
    124912,16902142,124928,16902340,125127,33679567,125136,268560598,125184,151120195,125252,268560714,125259,285337931,125264,33679705,
    126065,33680555,126125,33680559,126129,33680564,126209,33680685,126255,33680701,126464,16903683,126469,16903711,126497,16903714,
    126500,16903716,126503,16903719,126505,16903730,126516,16903735,126521,16903737,126523,16903739,126530,16903746,126535,16903751,
    126537,16903753,126539,16903755,126541,16903759,126545,16903762,126548,16903764,126551,16903767,126553,16903769,126555,16903771,
    126557,16903773,126559,16903775,126561,16903778,126564,16903780,126567,16903786,126572,16903794,126580,16903799,126585,16903804,
    126590,16903806,126592,16903817,126603,16903835,126625,16903843,126629,16903849,126635,16903867,127232,33681676,127280,134345033,
    127312,134345065,127344,134345097,127995,268563455,130032,33684473,131072,16951007,173824,16955192,177984,16955421,178208,16961185,
    183984,16968672,194560,16972317,196608,16978762,917505,269352961,917536,269353087,917760,269353455,
};

#define SD__UC_NLOWER 181
static const int32_t sd__uc_lower[724] = {
    65,90,32,1,192,214,32,1,216,222,32,1,256,302,1,2,306,310,1,2,313,327,1,2,
    330,374,1,2,376,376,-121,1,377,381,1,2,385,385,210,1,386,388,1,2,390,390,206,1,
    391,391,1,1,393,394,205,1,395,395,1,1,398,398,79,1,399,399,202,1,400,400,203,1,
    401,401,1,1,403,403,205,1,404,404,207,1,406,406,211,1,407,407,209,1,408,408,1,1,
    412,412,211,1,413,413,213,1,415,415,214,1,416,420,1,2,422,422,218,1,423,423,1,1,
    425,425,218,1,428,428,1,1,430,430,218,1,431,431,1,1,433,434,217,1,435,437,1,2,
    439,439,219,1,440,440,1,1,444,444,1,1,452,452,2,1,453,453,1,1,455,455,2,1,
    456,456,1,1,458,458,2,1,459,475,1,2,478,494,1,2,497,497,2,1,498,500,1,2,
    502,502,-97,1,503,503,-56,1,504,542,1,2,544,544,-130,1,546,562,1,2,570,570,10795,1,
    571,571,1,1,573,573,-163,1,574,574,10792,1,577,577,1,1,579,579,-195,1,580,580,69,1,
    581,581,71,1,582,590,1,2,880,882,1,2,886,886,1,1,895,895,116,1,902,902,38,1,
    904,906,37,1,908,908,64,1,910,911,63,1,913,929,32,1,931,939,32,1,975,975,8,1,
    984,1006,1,2,1012,1012,-60,1,1015,1015,1,1,1017,1017,-7,1,1018,1018,1,1,1021,1023,-130,1,
    1024,1039,80,1,1040,1071,32,1,1120,1152,1,2,1162,1214,1,2,1216,1216,15,1,1217,1229,1,2,
    1232,1326,1,2,1329,1366,48,1,4256,4293,7264,1,4295,4295,7264,1,4301,4301,7264,1,5024,5103,38864,1,
    5104,5109,8,1,7312,7354,-3008,1,7357,7359,-3008,1,7680,7828,1,2,7838,7838,-7615,1,7840,7934,1,2,
    7944,7951,-8,1,7960,7965,-8,1,7976,7983,-8,1,7992,7999,-8,1,8008,8013,-8,1,8025,8031,-8,2,
    8040,8047,-8,1,8072,8079,-8,1,8088,8095,-8,1,8104,8111,-8,1,8120,8121,-8,1,8122,8123,-74,1,
    8124,8124,-9,1,8136,8139,-86,1,8140,8140,-9,1,8152,8153,-8,1,8154,8155,-100,1,8168,8169,-8,1,
    8170,8171,-112,1,8172,8172,-7,1,8184,8185,-128,1,8186,8187,-126,1,8188,8188,-9,1,8486,8486,-7517,1,
    8490,8490,-8383,1,8491,8491,-8262,1,8498,8498,28,1,8544,8559,16,1,8579,8579,1,1,9398,9423,26,1,
    11264,11311,48,1,11360,11360,1,1,11362,11362,-10743,1,11363,11363,-3814,1,11364,11364,-10727,1,11367,11371,1,2,
    11373,11373,-10780,1,11374,11374,-10749,1,11375,11375,-10783,1,11376,11376,-10782,1,11378,11378,1,1,11381,11381,1,1,
    11390,11391,-10815,1,11392,11490,1,2,11499,11501,1,2,11506,11506,1,1,42560,42604,1,2,42624,42650,1,2,
    42786,42798,1,2,42802,42862,1,2,42873,42875,1,2,42877,42877,-35332,1,42878,42886,1,2,42891,42891,1,1,
    42893,42893,-42280,1,42896,42898,1,2,42902,42920,1,2,42922,42922,-42308,1,42923,42923,-42319,1,42924,42924,-42315,1,
    42925,42925,-42305,1,42926,42926,-42308,1,42928,42928,-42258,1,42929,42929,-42282,1,42930,42930,-42261,1,42931,42931,928,1,
    42932,42946,1,2,42948,42948,-48,1,42949,42949,-42307,1,42950,42950,-35384,1,42951,42953,1,2,42960,42960,1,1,
    42966,42968,1,2,42997,42997,1,1,65313,65338,32,1,66560,66599,40,1,66736,66771,40,1,66928,66938,39,1,
    66940,66954,39,1,66956,66962,39,1,66964,66965,39,1,68736,68786,64,1,71840,71871,32,1,93760,93791,32,1,
    125184,125217,34,1,
};

#define SD__UC_NCCC 382
static const uint32_t sd__uc_ccc[764] = {
    768,3858760468,789,3892314901,790,3690988313,794,3892314906,795,3623879451,796,3690988320,801,3388998434,803,3690988326,
    807,3388998440,809,3690988339,820,16778040,825,3690988348,829,3858760516,837,4026532677,838,3858760518,839,3690988361,
    842,3858760524,845,3690988366,848,3858760530,851,3690988374,855,3858760535,856,3892314968,857,3690988378,859,3858760539,
    860,3909092188,861,3925869406,863,3909092191,864,3925869409,866,3909092194,867,3858760559,1155,3858760839,1425,3690988945,
    1426,3858761109,1430,3690988950,1431,3858761113,1434,3724543386,1435,3690988955,1436,3858761121,1442,3690988967,1448,3858761129,
    1450,3690988970,1451,3858761132,1453,3724543405,1454,3825206702,1455,3858761135,1456,167773616,1457,184550833,1458,201328050,
    1459,218105267,1460,234882484,1461,251659701,1462,268436918,1463,285214135,1464,301991352,1465,318768570,1467,335545787,
    1468,352323004,1469,369100221,1471,385877439,1473,402654657,1474,419431874,1476,3858761156,1477,3690988997,1479,301991367,
    1552,3858761239,1560,503318040,1561,520095257,1562,536872474,1611,452986443,1612,469763660,1613,486540877,1614,503318094,
    1615,520095311,1616,536872528,1617,553649745,1618,570426962,1619,3858761300,1621,3690989142,1623,3858761307,1628,3690989148,
    1629,3858761310,1631,3690989151,1648,587204208,1750,3858761436,1759,3858761442,1763,3690989283,1764,3858761444,1767,3858761448,
    1770,3690989290,1771,3858761452,1773,3690989293,1809,603981585,1840,3858761520,1841,3690989361,1842,3858761523,1844,3690989364,
    1845,3858761526,1847,3690989369,1850,3858761530,1851,3690989372,1853,3858761533,1854,3690989374,1855,3858761537,1858,3690989378,
    1859,3858761539,1860,3690989380,1861,3858761541,1862,3690989382,1863,3858761543,1864,3690989384,1865,3858761546,2027,3858761713,
    2034,3690989554,2035,3858761715,2045,3690989565,2070,3858761753,2075,3858761763,2085,3858761767,2089,3858761773,2137,3690989659,
    2200,3858761880,2201,3690989723,2204,3858761887,2250,3858761934,2255,3690989779,2260,3858761953,2275,3690989795,2276,3858761957,
    2278,3690989798,2279,3858761960,2281,3690989801,2282,3858761964,2285,3690989807,2288,452987120,2289,469764337,2290,486541554,
    2291,3858761973,2294,3690989814,2295,3858761976,2297,3690989818,2299,3858761983,2364,117442876,2381,150997325,2385,3858762065,
    2386,3690989906,2387,3858762068,2492,117443004,2509,150997453,2558,3858762238,2620,117443132,2637,150997581,2748,117443260,
    2765,150997709,2876,117443388,2893,150997837,3021,150997965,3132,117443644,3149,150998093,3157,1409289301,3158,1526729814,
    3260,117443772,3277,150998221,3387,150998332,3405,150998349,3530,150998474,3640,1728056889,3642,150998586,3656,1795165771,
    3768,1979715257,3770,150998714,3784,2046824139,3864,3690991385,3893,3690991413,3895,3690991415,3897,3623882553,3953,2164264817,
    3954,2181042034,3956,2214596468,3962,2181042045,3968,2181042048,3970,3858763651,3972,150998916,3974,3858763655,4038,3690991558,
    4151,117444663,4153,150999098,4237,3690991757,4957,3858764639,5908,151000853,5940,151000884,6098,151001042,6109,3858765789,
    6313,3825211561,6457,3724548409,6458,3858766138,6459,3690993979,6679,3858766359,6680,3690994200,6752,151001696,6773,3858766460,
    6783,3690994303,6832,3858766516,6837,3690994362,6843,3858766524,6845,3690994365,6847,3690994368,6849,3858766530,6851,3690994372,
    6853,3858766537,6858,3690994378,6859,3858766542,6964,117447476,6980,151001924,7019,3858766699,7020,3690994540,7021,3858766707,
    7082,151002027,7142,117447654,7154,151002099,7223,117447735,7376,3858767058,7380,16784596,7381,3690994905,7386,3858767067,
    7388,3690994911,7392,3858767072,7394,16784616,7405,3690994925,7412,3858767092,7416,3858767097,7616,3858767297,7618,3690995138,
    7619,3858767305,7626,3690995146,7627,3858767308,7629,3925876173,7630,3590331854,7631,3690995151,7632,3389005264,7633,3858767349,
    7670,3892321782,7671,3825212920,7673,3690995193,7674,3657440762,7675,3858767355,7676,3909099004,7677,3690995197,7678,3858767358,
    7679,3690995199,8400,3858768081,8402,16785619,8404,3858768087,8408,16785626,8411,3858768092,8417,3858768097,8421,16785638,
    8423,3858768103,8424,3690995944,8425,3858768105,8426,16785643,8428,3690995951,8432,3858768112,11503,3858771185,11647,151006591,
    11744,3858771455,12330,3657445418,12331,3825217579,12332,3892326444,12333,3724554285,12334,3758108719,12441,134230170,42607,3858802287,
    42612,3858802301,42654,3858802335,42736,3858802417,43014,151037958,43052,151037996,43204,151038148,43232,3858802929,43307,3691030829,
    43347,151038291,43443,117483955,43456,151038400,43696,3858803376,43698,3858803379,43700,3691031220,43703,3858803384,43710,3858803391,
    43713,3858803393,43766,151038710,44013,151038957,64286,436271902,65056,3858824742,65063,3691052589,65070,3858824751,66045,3691053565,
    66272,3691053792,66422,3858826106,68109,3691055629,68111,3858827791,68152,3858827832,68153,16845369,68154,3691055674,68159,151063103,
    68325,3858828005,68326,3691055846,68900,3858828583,69291,3858828972,69446,3691056967,69448,3858829130,69451,3691056971,69452,3858829132,
    69453,3691056976,69506,3858829186,69507,3691057027,69508,3858829188,69509,3691057029,69702,151064646,69744,151064688,69759,151064703,
    69817,151064761,69818,117510330,69888,3858829570,69939,151064884,70003,117510515,70080,151065024,70090,117510602,70197,151065141,
    70198,117510710,70377,117510889,70378,151065322,70459,117510972,70477,151065421,70502,3858830188,70512,3858830196,70722,151065666,
    70726,117511238,70750,3858830430,70850,151065794,70851,117511363,71103,151066047,71104,117511616,71231,151066175,71350,151066294,
    71351,117511863,71467,151066411,71737,151066681,71738,117512250,71997,151066942,72003,117512515,72160,151067104,72244,151067188,
    72263,151067207,72345,151067289,72767,151067711,73026,117513538,73028,151067973,73111,151068055,92912,16870132,92976,3858852662,
    94192,100757489,113822,16891038,119141,3623997798,119143,16896361,119149,3791769965,119150,3623997810,119163,3691106690,119173,3858878857,
    119178,3691106699,119210,3858878893,119362,3858879044,122880,3858882566,122888,3858882584,122907,3858882593,122915,3858882596,122918,3858882602,
    123184,3858882870,123566,3858883246,123628,3858883311,125136,3691112662,125252,3858884937,125258,117565770,
};

#define SD__UC_NDECOMP 2061
static const uint32_t sd__uc_decomp[6183] = {
    192,65,768,193,65,769,194,65,770,195,65,771,196,65,776,197,65,778,
    199,67,807,200,69,768,201,69,769,202,69,770,203,69,776,204,73,768,
    205,73,769,206,73,770,207,73,776,209,78,771,210,79,768,211,79,769,
    212,79,770,213,79,771,214,79,776,217,85,768,218,85,769,219,85,770,
    220,85,776,221,89,769,224,97,768,225,97,769,226,97,770,227,97,771,
    228,97,776,229,97,778,231,99,807,232,101,768,233,101,769,234,101,770,
    235,101,776,236,105,768,237,105,769,238,105,770,239,105,776,241,110,771,
    242,111,768,243,111,769,244,111,770,245,111,771,246,111,776,249,117,768,
    250,117,769,251,117,770,252,117,776,253,121,769,255,121,776,256,65,772,
    257,97,772,258,65,774,259,97,774,260,65,808,261,97,808,262,67,769,
    263,99,769,264,67,770,265,99,770,266,67,775,267,99,775,268,67,780,
    269,99,780,270,68,780,271,100,780,274,69,772,275,101,772,276,69,774,
    277,101,774,278,69,775,279,101,775,280,69,808,281,101,808,282,69,780,
    283,101,780,284,71,770,285,103,770,286,71,774,287,103,774,288,71,775,
    289,103,775,290,71,807,291,103,807,292,72,770,293,104,770,296,73,771,
    297,105,771,298,73,772,299,105,772,300,73,774,301,105,774,302,73,808,
    303,105,808,304,73,775,308,74,770,309,106,770,310,75,807,311,107,807,
    313,76,769,314,108,769,315,76,807,316,108,807,317,76,780,318,108,780,
    323,78,769,324,110,769,325,78,807,326,110,807,327,78,780,328,110,780,
    332,79,772,333,111,772,334,79,774,335,111,774,336,79,779,337,111,779,
    340,82,769,341,114,769,342,82,807,343,114,807,344,82,780,345,114,780,
    346,83,769,347,115,769,348,83,770,349,115,770,350,83,807,351,115,807,
    352,83,780,353,115,780,354,84,807,355,116,807,356,84,780,357,116,780,
    360,85,771,361,117,771,362,85,772,363,117,772,364,85,774,365,117,774,
    366,85,778,367,117,778,368,85,779,369,117,779,370,85,808,371,117,808,
    372,87,770,373,119,770,374,89,770,375,121,770,376,89,776,377,90,769,
    378,122,769,379,90,775,380,122,775,381,90,780,382,122,780,416,79,795,
    417,111,795,431,85,795,432,117,795,461,65,780,462,97,780,463,73,780,
    464,105,780,465,79,780,466,111,780,467,85,780,468,117,780,469,220,772,
    470,252,772,471,220,769,472,252,769,473,220,780,474,252,780,475,220,768,
    476,252,768,478,196,772,479,228,772,480,550,772,481,551,772,482,198,772,
    483,230,772,486,71,780,487,103,780,488,75,780,489,107,780,490,79,808,
    491,111,808,492,490,772,493,491,772,494,439,780,495,658,780,496,106,780,
    500,71,769,501,103,769,504,78,768,505,110,768,506,197,769,507,229,769,
    508,198,769,509,230,769,510,216,769,511,248,769,512,65,783,513,97,783,
    514,65,785,515,97,785,516,69,783,517,101,783,518,69,785,519,101,785,
    520,73,783,521,105,783,522,73,785,523,105,785,524,79,783,525,111,783,
    526,79,785,527,111,785,528,82,783,529,114,783,530,82,785,531,114,785,
    532,85,783,533,117,783,534,85,785,535,117,785,536,83,806,537,115,806,
    538,84,806,539,116,806,542,72,780,543,104,780,550,65,775,551,97,775,
    552,69,807,553,101,807,554,214,772,555,246,772,556,213,772,557,245,772,
    558,79,775,559,111,775,560,558,772,561,559,772,562,89,772,563,121,772,
    832,768,0,833,769,0,835,787,0,836,776,769,884,697,0,894,59,0,
    901,168,769,902,913,769,903,183,0,904,917,769,905,919,769,906,921,769,
    908,927,769,910,933,769,911,937,769,912,970,769,938,921,776,939,933,776,
    940,945,769,941,949,769,942,951,769,943,953,769,944,971,769,970,953,776,
    971,965,776,972,959,769,973,965,769,974,969,769,979,978,769,980,978,776,
    1024,1045,768,1025,1045,776,1027,1043,769,1031,1030,776,1036,1050,769,1037,1048,768,
    1038,1059,774,1049,1048,774,1081,1080,774,1104,1077,768,1105,1077,776,1107,1075,769,
    1111,1110,776,1116,1082,769,1117,1080,768,1118,1091,774,1142,1140,783,1143,1141,783,
    1217,1046,774,1218,1078,774,1232,1040,774,1233,1072,774,1234,1040,776,1235,1072,776,
    1238,1045,774,1239,1077,774,1242,1240,776,1243,1241,776,1244,1046,776,1245,1078,776,
    1246,1047,776,1247,1079,776,1250,1048,772,1251,1080,772,1252,1048,776,1253,1080,776,
    1254,1054,776,1255,1086,776,1258,1256,776,1259,1257,776,1260,1069,776,1261,1101,776,
    1262,1059,772,1263,1091,772,1264,1059,776,1265,1091,776,1266,1059,779,1267,1091,779,
    1268,1063,776,1269,1095,776,1272,1067,776,1273,1099,776,1570,1575,1619,1571,1575,1620,
    1572,1608,1620,1573,1575,1621,1574,1610,1620,1728,1749,1620,1730,1729,1620,1747,1746,1620,
    2345,2344,2364,2353,2352,2364,2356,2355,2364,2392,2325,2364,2393,2326,2364,2394,2327,2364,
    2395,2332,2364,2396,2337,2364,2397,2338,2364,2398,2347,2364,2399,2351,2364,2507,2503,2494,
    2508,2503,2519,2524,2465,2492,2525,2466,2492,2527,2479,2492,2611,2610,2620,2614,2616,2620,
    2649,2582,2620,2650,2583,2620,2651,2588,2620,2654,2603,2620,2888,2887,2902,2891,2887,2878,
    2892,2887,2903,2908,2849,2876,2909,2850,2876,2964,2962,3031,3018,3014,3006,3019,3015,3006,
    3020,3014,3031,3144,3142,3158,3264,3263,3285,3271,3270,3285,3272,3270,3286,3274,3270,3266,
    3275,3274,3285,3402,3398,3390,3403,3399,3390,3404,3398,3415,3546,3545,3530,3548,3545,3535,
    3549,3548,3530,3550,3545,3551,3907,3906,4023,3917,3916,4023,3922,3921,4023,3927,3926,4023,
    3932,3931,4023,3945,3904,4021,3955,3953,3954,3957,3953,3956,3958,4018,3968,3960,4019,3968,
    3969,3953,3968,3987,3986,4023,3997,3996,4023,4002,4001,4023,4007,4006,4023,4012,4011,4023,
    4025,3984,4021,4134,4133,4142,6918,6917,6965,6920,6919,6965,6922,6921,6965,6924,6923,6965,
    6926,6925,6965,6930,6929,6965,6971,6970,6965,6973,6972,6965,6976,6974,6965,6977,6975,6965,
    6979,6978,6965,7680,65,805,7681,97,805,7682,66,775,7683,98,775,7684,66,803,
    7685,98,803,7686,66,817,7687,98,817,7688,199,769,7689,231,769,7690,68,775,
    7691,100,775,7692,68,803,7693,100,803,7694,68,817,7695,100,817,7696,68,807,
    7697,100,807,7698,68,813,7699,100,813,7700,274,768,7701,275,768,7702,274,769,
    7703,275,769,7704,69,813,7705,101,813,7706,69,816,7707,101,816,7708,552,774,
    7709,553,774,7710,70,775,7711,102,775,7712,71,772,7713,103,772,7714,72,775,
    7715,104,775,7716,72,803,7717,104,803,7718,72,776,7719,104,776,7720,72,807,
    7721,104,807,7722,72,814,7723,104,814,7724,73,816,7725,105,816,7726,207,769,
    7727,239,769,7728,75,769,7729,107,769,7730,75,803,7731,107,803,7732,75,817,
    7733,107,817,7734,76,803,7735,108,803,7736,7734,772,7737,7735,772,7738,76,817,
    7739,108,817,7740,76,813,7741,108,813,7742,77,769,7743,109,769,7744,77,775,
    7745,109,775,7746,77,803,7747,109,803,7748,78,775,7749,110,775,7750,78,803,
    7751,110,803,7752,78,817,7753,110,817,7754,78,813,7755,110,813,7756,213,769,
    7757,245,769,7758,213,776,7759,245,776,7760,332,768,7761,333,768,7762,332,769,
    7763,333,769,7764,80,769,7765,112,769,7766,80,775,7767,112,775,7768,82,775,
    7769,114,775,7770,82,803,7771,114,803,7772,7770,772,7773,7771,772,7774,82,817,
    7775,114,817,7776,83,775,7777,115,775,7778,83,803,7779,115,803,7780,346,775,
    7781,347,775,7782,352,775,7783,353,775,7784,7778,775,7785,7779,775,7786,84,775,
    7787,116,775,7788,84,803,7789,116,803,7790,84,817,7791,116,817,7792,84,813,
    7793,116,813,7794,85,804,7795,117,804,7796,85,816,7797,117,816,7798,85,813,
    7799,117,813,7800,360,769,7801,361,769,7802,362,776,7803,363,776,7804,86,771,
    7805,118,771,7806,86,803,7807,118,803,7808,87,768,7809,119,768,7810,87,769,
    7811,119,769,7812,87,776,7813,119,776,7814,87,775,7815,119,775,7816,87,803,
    7817,119,803,7818,88,775,7819,120,775,7820,88,776,7821,120,776,7822,89,775,
    7823,121,775,7824,90,770,7825,122,770,7826,90,803,7827,122,803,7828,90,817,
    7829,122,817,7830,104,817,7831,116,776,7832,119,778,7833,121,778,7835,383,775,
    7840,65,803,7841,97,803,7842,65,777,7843,97,777,7844,194,769,7845,226,769,
    7846,194,768,7847,226,768,7848,194,777,7849,226,777,7850,194,771,7851,226,771,
    7852,7840,770,7853,7841,770,7854,258,769,7855,259,769,7856,258,768,7857,259,768,
    7858,258,777,7859,259,777,7860,258,771,7861,259,771,7862,7840,774,7863,7841,774,
    7864,69,803,7865,101,803,7866,69,777,7867,101,777,7868,69,771,7869,101,771,
    7870,202,769,7871,234,769,7872,202,768,7873,234,768,7874,202,777,7875,234,777,
    7876,202,771,7877,234,771,7878,7864,770,7879,7865,770,7880,73,777,7881,105,777,
    7882,73,803,7883,105,803,7884,79,803,7885,111,803,7886,79,777,7887,111,777,
    7888,212,769,7889,244,769,7890,212,768,7891,244,768,7892,212,777,7893,244,777,
    7894,212,771,7895,244,771,7896,7884,770,7897,7885,770,7898,416,769,7899,417,769,
    7900,416,768,7901,417,768,7902,416,777,7903,417,777,7904,416,771,7905,417,771,
    7906,416,803,7907,417,803,7908,85,803,7909,117,803,7910,85,777,7911,117,777,
    7912,431,769,7913,432,769,7914,431,768,7915,432,768,7916,431,777,7917,432,777,
    7918,431,771,7919,432,771,7920,431,803,7921,432,803,7922,89,768,7923,121,768,
    7924,89,803,7925,121,803,7926,89,777,7927,121,777,7928,89,771,7929,121,771,
    7936,945,787,7937,945,788,7938,7936,768,7939,7937,768,7940,7936,769,7941,7937,769,
    7942,7936,834,7943,7937,834,7944,913,787,7945,913,788,7946,7944,768,7947,7945,768,
    7948,7944,769,7949,7945,769,7950,7944,834,7951,7945,834,7952,949,787,7953,949,788,
    7954,7952,768,7955,7953,768,7956,7952,769,7957,7953,769,7960,917,787,7961,917,788,
    7962,7960,768,7963,7961,768,7964,7960,769,7965,7961,769,7968,951,787,7969,951,788,
    7970,7968,768,7971,7969,768,7972,7968,769,7973,7969,769,7974,7968,834,7975,7969,834,
    7976,919,787,7977,919,788,7978,7976,768,7979,7977,768,7980,7976,769,7981,7977,769,
    7982,7976,834,7983,7977,834,7984,953,787,7985,953,788,7986,7984,768,7987,7985,768,
    7988,7984,769,7989,7985,769,7990,7984,834,7991,7985,834,7992,921,787,7993,921,788,
    7994,7992,768,7995,7993,768,7996,7992,769,7997,7993,769,7998,7992,834,7999,7993,834,
    8000,959,787,8001,959,788,8002,8000,768,8003,8001,768,8004,8000,769,8005,8001,769,
    8008,927,787,8009,927,788,8010,8008,768,8011,8009,768,8012,8008,769,8013,8009,769,
    8016,965,787,8017,965,788,8018,8016,768,8019,8017,768,8020,8016,769,8021,8017,769,
    8022,8016,834,8023,8017,834,8025,933,788,8027,8025,768,8029,8025,769,8031,8025,834,
    8032,969,787,8033,969,788,8034,8032,768,8035,8033,768,8036,8032,769,8037,8033,769,
    8038,8032,834,8039,8033,834,8040,937,787,8041,937,788,8042,8040,768,8043,8041,768,
    8044,8040,769,8045,8041,769,8046,8040,834,8047,8041,834,8048,945,768,8049,940,0,
    8050,949,768,8051,941,0,8052,951,768,8053,942,0,8054,953,768,8055,943,0,
    8056,959,768,8057,972,0,8058,965,768,8059,973,0,8060,969,768,8061,974,0,
    8064,7936,837,8065,7937,837,8066,7938,837,8067,7939,837,8068,7940,837,8069,7941,837,
    8070,7942,837,8071,7943,837,8072,7944,837,8073,7945,837,8074,7946,837,8075,7947,837,
    8076,7948,837,8077,7949,837,8078,7950,837,8079,7951,837,8080,7968,837,8081,7969,837,
    8082,7970,837,8083,7971,837,8084,7972,837,8085,7973,837,8086,7974,837,8087,7975,837,
    8088,7976,837,8089,7977,837,8090,7978,837,8091,7979,837,8092,7980,837,8093,7981,837,
    8094,7982,837,8095,7983,837,8096,8032,837,8097,8033,837,8098,8034,837,8099,8035,837,
    8100,8036,837,8101,8037,837,8102,8038,837,8103,8039,837,8104,8040,837,8105,8041,837,
    8106,8042,837,8107,8043,837,8108,8044,837,8109,8045,837,8110,8046,837,8111,8047,837,
    8112,945,774,8113,945,772,8114,8048,837,8115,945,837,8116,940,837,8118,945,834,
    8119,8118,837,8120,913,774,8121,913,772,8122,913,768,8123,902,0,8124,913,837,
    8126,953,0,8129,168,834,8130,8052,837,8131,951,837,8132,942,837,8134,951,834,
    8135,8134,837,8136,917,768,8137,904,0,8138,919,768,8139,905,0,8140,919,837,
    8141,8127,768,8142,8127,769,8143,8127,834,8144,953,774,8145,953,772,8146,970,768,
    8147,912,0,8150,953,834,8151,970,834,8152,921,774,8153,921,772,8154,921,768,
    8155,906,0,8157,8190,768,8158,8190,769,8159,8190,834,8160,965,774,8161,965,772,
    8162,971,768,8163,944,0,8164,961,787,8165,961,788,8166,965,834,8167,971,834,
    8168,933,774,8169,933,772,8170,933,768,8171,910,0,8172,929,788,8173,168,768,
    8174,901,0,8175,96,0,8178,8060,837,8179,969,837,8180,974,837,8182,969,834,
    8183,8182,837,8184,927,768,8185,908,0,8186,937,768,8187,911,0,8188,937,837,
    8189,180,0,8192,8194,0,8193,8195,0,8486,937,0,8490,75,0,8491,197,0,
    8602,8592,824,8603,8594,824,8622,8596,824,8653,8656,824,8654,8660,824,8655,8658,824,
    8708,8707,824,8713,8712,824,8716,8715,824,8740,8739,824,8742,8741,824,8769,8764,824,
    8772,8771,824,8775,8773,824,8777,8776,824,8800,61,824,8802,8801,824,8813,8781,824,
    8814,60,824,8815,62,824,8816,8804,824,8817,8805,824,8820,8818,824,8821,8819,824,
    8824,8822,824,8825,8823,824,8832,8826,824,8833,8827,824,8836,8834,824,8837,8835,824,
    8840,8838,824,8841,8839,824,8876,8866,824,8877,8872,824,8878,8873,824,8879,8875,824,
    8928,8828,824,8929,8829,824,8930,8849,824,8931,8850,824,8938,8882,824,8939,8883,824,
    8940,8884,824,8941,8885,824,9001,12296,0,9002,12297,0,10972,10973,824,12364,12363,12441,
    12366,12365,12441,12368,12367,12441,12370,12369,12441,12372,12371,12441,12374,12373,12441,12376,12375,12441,
    12378,12377,12441,12380,12379,12441,12382,12381,12441,12384,12383,12441,12386,12385,12441,12389,12388,12441,
    12391,12390,12441,12393,12392,12441,12400,12399,12441,12401,12399,12442,12403,12402,12441,12404,12402,12442,
    12406,12405,12441,12407,12405,12442,12409,12408,12441,12410,12408,12442,12412,12411,12441,12413,12411,12442,
    12436,12358,12441,12446,12445,12441,12460,12459,12441,12462,12461,12441,12464,12463,12441,12466,12465,12441,
    12468,12467,12441,12470,12469,12441,12472,12471,12441,12474,12473,12441,12476,12475,12441,12478,12477,12441,
    12480,12479,12441,12482,12481,12441,12485,12484,12441,12487,12486,12441,12489,12488,12441,12496,12495,12441,
    12497,12495,12442,12499,12498,12441,12500,12498,12442,12502,12501,12441,12503,12501,12442,12505,12504,12441,
    12506,12504,12442,12508,12507,12441,12509,12507,12442,12532,12454,12441,12535,12527,12441,12536,12528,12441,
    12537,12529,12441,12538,12530,12441,12542,12541,12441,63744,35912,0,63745,26356,0,63746,36554,0,
    63747,36040,0,63748,28369,0,63749,20018,0,63750,21477,0,63751,40860,0,63752,40860,0,
    63753,22865,0,63754,37329,0,63755,21895,0,63756,22856,0,63757,25078,0,63758,30313,0,
    63759,32645,0,63760,34367,0,63761,34746,0,63762,35064,0,63763,37007,0,63764,27138,0,
    63765,27931,0,63766,28889,0,63767,29662,0,63768,33853,0,63769,37226,0,63770,39409,0,
    63771,20098,0,63772,21365,0,63773,27396,0,63774,29211,0,63775,34349,0,63776,40478,0,
    63777,23888,0,63778,28651,0,63779,34253,0,63780,35172,0,63781,25289,0,63782,33240,0,
    63783,34847,0,63784,24266,0,63785,26391,0,63786,28010,0,63787,29436,0,63788,37070,0,
    63789,20358,0,63790,20919,0,63791,21214,0,63792,25796,0,63793,27347,0,63794,29200,0,
    63795,30439,0,63796,32769,0,63797,34310,0,63798,34396,0,63799,36335,0,63800,38706,0,
    63801,39791,0,63802,40442,0,63803,30860,0,63804,31103,0,63805,32160,0,63806,33737,0,
    63807,37636,0,63808,40575,0,63809,35542,0,63810,22751,0,63811,24324,0,63812,31840,0,
    63813,32894,0,63814,29282,0,63815,30922,0,63816,36034,0,63817,38647,0,63818,22744,0,
    63819,23650,0,63820,27155,0,63821,28122,0,63822,28431,0,63823,32047,0,63824,32311,0,
    63825,38475,0,63826,21202,0,63827,32907,0,63828,20956,0,63829,20940,0,63830,31260,0,
    63831,32190,0,63832,33777,0,63833,38517,0,63834,35712,0,63835,25295,0,63836,27138,0,
    63837,35582,0,63838,20025,0,63839,23527,0,63840,24594,0,63841,29575,0,63842,30064,0,
    63843,21271,0,63844,30971,0,63845,20415,0,63846,24489,0,63847,19981,0,63848,27852,0,
    63849,25976,0,63850,32034,0,63851,21443,0,63852,22622,0,63853,30465,0,63854,33865,0,
    63855,35498,0,63856,27578,0,63857,36784,0,63858,27784,0,63859,25342,0,63860,33509,0,
    63861,25504,0,63862,30053,0,63863,20142,0,63864,20841,0,63865,20937,0,63866,26753,0,
    63867,31975,0,63868,33391,0,63869,35538,0,63870,37327,0,63871,21237,0,63872,21570,0,
    63873,22899,0,63874,24300,0,63875,26053,0,63876,28670,0,63877,31018,0,63878,38317,0,
    63879,39530,0,63880,40599,0,63881,40654,0,63882,21147,0,63883,26310,0,63884,27511,0,
    63885,36706,0,63886,24180,0,63887,24976,0,63888,25088,0,63889,25754,0,63890,28451,0,
    63891,29001,0,63892,29833,0,63893,31178,0,63894,32244,0,63895,32879,0,63896,36646,0,
    63897,34030,0,63898,36899,0,63899,37706,0,63900,21015,0,63901,21155,0,63902,21693,0,
    63903,28872,0,63904,35010,0,63905,35498,0,63906,24265,0,63907,24565,0,63908,25467,0,
    63909,27566,0,63910,31806,0,63911,29557,0,63912,20196,0,63913,22265,0,63914,23527,0,
    63915,23994,0,63916,24604,0,63917,29618,0,63918,29801,0,63919,32666,0,63920,32838,0,
    63921,37428,0,63922,38646,0,63923,38728,0,63924,38936,0,63925,20363,0,63926,31150,0,
    63927,37300,0,63928,38584,0,63929,24801,0,63930,20102,0,63931,20698,0,63932,23534,0,
    63933,23615,0,63934,26009,0,63935,27138,0,63936,29134,0,63937,30274,0,63938,34044,0,
    63939,36988,0,63940,40845,0,63941,26248,0,63942,38446,0,63943,21129,0,63944,26491,0,
    63945,26611,0,63946,27969,0,63947,28316,0,63948,29705,0,63949,30041,0,63950,30827,0,
    63951,32016,0,63952,39006,0,63953,20845,0,63954,25134,0,63955,38520,0,63956,20523,0,
    63957,23833,0,63958,28138,0,63959,36650,0,63960,24459,0,63961,24900,0,63962,26647,0,
    63963,29575,0,63964,38534,0,63965,21033,0,63966,21519,0,63967,23653,0,63968,26131,0,
    63969,26446,0,63970,26792,0,63971,27877,0,63972,29702,0,63973,30178,0,63974,32633,0,
    63975,35023,0,63976,35041,0,63977,37324,0,63978,38626,0,63979,21311,0,63980,28346,0,
    63981,21533,0,63982,29136,0,63983,29848,0,63984,34298,0,63985,38563,0,63986,40023,0,
    63987,40607,0,63988,26519,0,63989,28107,0,63990,33256,0,63991,31435,0,63992,31520,0,
    63993,31890,0,63994,29376,0,63995,28825,0,63996,35672,0,63997,20160,0,63998,33590,0,
    63999,21050,0,64000,20999,0,64001,24230,0,64002,25299,0,64003,31958,0,64004,23429,0,
    64005,27934,0,64006,26292,0,64007,36667,0,64008,34892,0,64009,38477,0,64010,35211,0,
    64011,24275,0,64012,20800,0,64013,21952,0,64016,22618,0,64018,26228,0,64021,20958,0,
    64022,29482,0,64023,30410,0,64024,31036,0,64025,31070,0,64026,31077,0,64027,31119,0,
    64028,38742,0,64029,31934,0,64030,32701,0,64032,34322,0,64034,35576,0,64037,36920,0,
    64038,37117,0,64042,39151,0,64043,39164,0,64044,39208,0,64045,40372,0,64046,37086,0,
    64047,38583,0,64048,20398,0,64049,20711,0,64050,20813,0,64051,21193,0,64052,21220,0,
    64053,21329,0,64054,21917,0,64055,22022,0,64056,22120,0,64057,22592,0,64058,22696,0,
    64059,23652,0,64060,23662,0,64061,24724,0,64062,24936,0,64063,24974,0,64064,25074,0,
    64065,25935,0,64066,26082,0,64067,26257,0,64068,26757,0,64069,28023,0,64070,28186,0,
    64071,28450,0,64072,29038,0,64073,29227,0,64074,29730,0,64075,30865,0,64076,31038,0,
    64077,31049,0,64078,31048,0,64079,31056,0,64080,31062,0,64081,31069,0,64082,31117,0,
    64083,31118,0,64084,31296,0,64085,31361,0,64086,31680,0,64087,32244,0,64088,32265,0,
    64089,32321,0,64090,32626,0,64091,32773,0,64092,33261,0,64093,33401,0,64094,33401,0,
    64095,33879,0,64096,35088,0,64097,35222,0,64098,35585,0,64099,35641,0,64100,36051,0,
    64101,36104,0,64102,36790,0,64103,36920,0,64104,38627,0,64105,38911,0,64106,38971,0,
    64107,24693,0,64108,148206,0,64109,33304,0,64112,20006,0,64113,20917,0,64114,20840,0,
    64115,20352,0,64116,20805,0,64117,20864,0,64118,21191,0,64119,21242,0,64120,21917,0,
    64121,21845,0,64122,21913,0,64123,21986,0,64124,22618,0,64125,22707,0,64126,22852,0,
    64127,22868,0,64128,23138,0,64129,23336,0,64130,24274,0,64131,24281,0,64132,24425,0,
    64133,24493,0,64134,24792,0,64135,24910,0,64136,24840,0,64137,24974,0,64138,24928,0,
    64139,25074,0,64140,25140,0,64141,25540,0,64142,25628,0,64143,25682,0,64144,25942,0,
    64145,26228,0,64146,26391,0,64147,26395,0,64148,26454,0,64149,27513,0,64150,27578,0,
    64151,27969,0,64152,28379,0,64153,28363,0,64154,28450,0,64155,28702,0,64156,29038,0,
    64157,30631,0,64158,29237,0,64159,29359,0,64160,29482,0,64161,29809,0,64162,29958,0,
    64163,30011,0,64164,30237,0,64165,30239,0,64166,30410,0,64167,30427,0,64168,30452,0,
    64169,30538,0,64170,30528,0,64171,30924,0,64172,31409,0,64173,31680,0,64174,31867,0,
    64175,32091,0,64176,32244,0,64177,32574,0,64178,32773,0,64179,33618,0,64180,33775,0,
    64181,34681,0,64182,35137,0,64183,35206,0,64184,35222,0,64185,35519,0,64186,35576,0,
    64187,35531,0,64188,35585,0,64189,35582,0,64190,35565,0,64191,35641,0,64192,35722,0,
    64193,36104,0,64194,36664,0,64195,36978,0,64196,37273,0,64197,37494,0,64198,38524,0,
    64199,38627,0,64200,38742,0,64201,38875,0,64202,38911,0,64203,38923,0,64204,38971,0,
    64205,39698,0,64206,40860,0,64207,141386,0,64208,141380,0,64209,144341,0,64210,15261,0,
    64211,16408,0,64212,16441,0,64213,152137,0,64214,154832,0,64215,163539,0,64216,40771,0,
    64217,40846,0,64285,1497,1460,64287,1522,1463,64298,1513,1473,64299,1513,1474,64300,64329,1473,
    64301,64329,1474,64302,1488,1463,64303,1488,1464,64304,1488,1468,64305,1489,1468,64306,1490,1468,
    64307,1491,1468,64308,1492,1468,64309,1493,1468,64310,1494,1468,64312,1496,1468,64313,1497,1468,
    64314,1498,1468,64315,1499,1468,64316,1500,1468,64318,1502,1468,64320,1504,1468,64321,1505,1468,
    64323,1507,1468,64324,1508,1468,64326,1510,1468,64327,1511,1468,64328,1512,1468,64329,1513,1468,
    64330,1514,1468,64331,1493,1465,64332,1489,1471,64333,1499,1471,64334,1508,1471,69786,69785,69818,
    69788,69787,69818,69803,69797,69818,69934,69937,69927,69935,69938,69927,70475,70471,70462,70476,70471,70487,
    70843,70841,70842,70844,70841,70832,70846,70841,70845,71098,71096,71087,71099,71097,71087,71992,71989,71984,
    119134,119127,119141,119135,119128,119141,119136,119135,119150,119137,119135,119151,119138,119135,119152,119139,119135,119153,
    119140,119135,119154,119227,119225,119141,119228,119226,119141,119229,119227,119150,119230,119228,119150,119231,119227,119151,
    119232,119228,119151,194560,20029,0,194561,20024,0,194562,20033,0,194563,131362,0,194564,20320,0,
    194565,20398,0,194566,20411,0,194567,20482,0,194568,20602,0,194569,20633,0,194570,20711,0,
    194571,20687,0,194572,13470,0,194573,132666,0,194574,20813,0,194575,20820,0,194576,20836,0,
    194577,20855,0,194578,132380,0,194579,13497,0,194580,20839,0,194581,20877,0,194582,132427,0,
    194583,20887,0,194584,20900,0,194585,20172,0,194586,20908,0,194587,20917,0,194588,168415,0,
    194589,20981,0,194590,20995,0,194591,13535,0,194592,21051,0,194593,21062,0,194594,21106,0,
    194595,21111,0,194596,13589,0,194597,21191,0,194598,21193,0,194599,21220,0,194600,21242,0,
    194601,21253,0,194602,21254,0,194603,21271,0,194604,21321,0,194605,21329,0,194606,21338,0,
    194607,21363,0,194608,21373,0,194609,21375,0,194610,21375,0,194611,21375,0,194612,133676,0,
    194613,28784,0,194614,21450,0,194615,21471,0,194616,133987,0,194617,21483,0,194618,21489,0,
    194619,21510,0,194620,21662,0,194621,21560,0,194622,21576,0,194623,21608,0,194624,21666,0,
    194625,21750,0,194626,21776,0,194627,21843,0,194628,21859,0,194629,21892,0,194630,21892,0,
    194631,21913,0,194632,21931,0,194633,21939,0,194634,21954,0,194635,22294,0,194636,22022,0,
    194637,22295,0,194638,22097,0,194639,22132,0,194640,20999,0,194641,22766,0,194642,22478,0,
    194643,22516,0,194644,22541,0,194645,22411,0,194646,22578,0,194647,22577,0,194648,22700,0,
    194649,136420,0,194650,22770,0,194651,22775,0,194652,22790,0,194653,22810,0,194654,22818,0,
    194655,22882,0,194656,136872,0,194657,136938,0,194658,23020,0,194659,23067,0,194660,23079,0,
    194661,23000,0,194662,23142,0,194663,14062,0,194664,14076,0,194665,23304,0,194666,23358,0,
    194667,23358,0,194668,137672,0,194669,23491,0,194670,23512,0,194671,23527,0,194672,23539,0,
    194673,138008,0,194674,23551,0,194675,23558,0,194676,24403,0,194677,23586,0,194678,14209,0,
    194679,23648,0,194680,23662,0,194681,23744,0,194682,23693,0,194683,138724,0,194684,23875,0,
    194685,138726,0,194686,23918,0,194687,23915,0,194688,23932,0,194689,24033,0,194690,24034,0,
    194691,14383,0,194692,24061,0,194693,24104,0,194694,24125,0,194695,24169,0,194696,14434,0,
    194697,139651,0,194698,14460,0,194699,24240,0,194700,24243,0,194701,24246,0,194702,24266,0,
    194703,172946,0,194704,24318,0,194705,140081,0,194706,140081,0,194707,33281,0,194708,24354,0,
    194709,24354,0,194710,14535,0,194711,144056,0,194712,156122,0,194713,24418,0,194714,24427,0,
    194715,14563,0,194716,24474,0,194717,24525,0,194718,24535,0,194719,24569,0,194720,24705,0,
    194721,14650,0,194722,14620,0,194723,24724,0,194724,141012,0,194725,24775,0,194726,24904,0,
    194727,24908,0,194728,24910,0,194729,24908,0,194730,24954,0,194731,24974,0,194732,25010,0,
    194733,24996,0,194734,25007,0,194735,25054,0,194736,25074,0,194737,25078,0,194738,25104,0,
    194739,25115,0,194740,25181,0,194741,25265,0,194742,25300,0,194743,25424,0,194744,142092,0,
    194745,25405,0,194746,25340,0,194747,25448,0,194748,25475,0,194749,25572,0,194750,142321,0,
    194751,25634,0,194752,25541,0,194753,25513,0,194754,14894,0,194755,25705,0,194756,25726,0,
    194757,25757,0,194758,25719,0,194759,14956,0,194760,25935,0,194761,25964,0,194762,143370,0,
    194763,26083,0,194764,26360,0,194765,26185,0,194766,15129,0,194767,26257,0,194768,15112,0,
    194769,15076,0,194770,20882,0,194771,20885,0,194772,26368,0,194773,26268,0,194774,32941,0,
    194775,17369,0,194776,26391,0,194777,26395,0,194778,26401,0,194779,26462,0,194780,26451,0,
    194781,144323,0,194782,15177,0,194783,26618,0,194784,26501,0,194785,26706,0,194786,26757,0,
    194787,144493,0,194788,26766,0,194789,26655,0,194790,26900,0,194791,15261,0,194792,26946,0,
    194793,27043,0,194794,27114,0,194795,27304,0,194796,145059,0,194797,27355,0,194798,15384,0,
    194799,27425,0,194800,145575,0,194801,27476,0,194802,15438,0,194803,27506,0,194804,27551,0,
    194805,27578,0,194806,27579,0,194807,146061,0,194808,138507,0,194809,146170,0,194810,27726,0,
    194811,146620,0,194812,27839,0,194813,27853,0,194814,27751,0,194815,27926,0,194816,27966,0,
    194817,28023,0,194818,27969,0,194819,28009,0,194820,28024,0,194821,28037,0,194822,146718,0,
    194823,27956,0,194824,28207,0,194825,28270,0,194826,15667,0,194827,28363,0,194828,28359,0,
    194829,147153,0,194830,28153,0,194831,28526,0,194832,147294,0,194833,147342,0,194834,28614,0,
    194835,28729,0,194836,28702,0,194837,28699,0,194838,15766,0,194839,28746,0,194840,28797,0,
    194841,28791,0,194842,28845,0,194843,132389,0,194844,28997,0,194845,148067,0,194846,29084,0,
    194847,148395,0,194848,29224,0,194849,29237,0,194850,29264,0,194851,149000,0,194852,29312,0,
    194853,29333,0,194854,149301,0,194855,149524,0,194856,29562,0,194857,29579,0,194858,16044,0,
    194859,29605,0,194860,16056,0,194861,16056,0,194862,29767,0,194863,29788,0,194864,29809,0,
    194865,29829,0,194866,29898,0,194867,16155,0,194868,29988,0,194869,150582,0,194870,30014,0,
    194871,150674,0,194872,30064,0,194873,139679,0,194874,30224,0,194875,151457,0,194876,151480,0,
    194877,151620,0,194878,16380,0,194879,16392,0,194880,30452,0,194881,151795,0,194882,151794,0,
    194883,151833,0,194884,151859,0,194885,30494,0,194886,30495,0,194887,30495,0,194888,30538,0,
    194889,16441,0,194890,30603,0,194891,16454,0,194892,16534,0,194893,152605,0,194894,30798,0,
    194895,30860,0,194896,30924,0,194897,16611,0,194898,153126,0,194899,31062,0,194900,153242,0,
    194901,153285,0,194902,31119,0,194903,31211,0,194904,16687,0,194905,31296,0,194906,31306,0,
    194907,31311,0,194908,153980,0,194909,154279,0,194910,154279,0,194911,31470,0,194912,16898,0,
    194913,154539,0,194914,31686,0,194915,31689,0,194916,16935,0,194917,154752,0,194918,31954,0,
    194919,17056,0,194920,31976,0,194921,31971,0,194922,32000,0,194923,155526,0,194924,32099,0,
    194925,17153,0,194926,32199,0,194927,32258,0,194928,32325,0,194929,17204,0,194930,156200,0,
    194931,156231,0,194932,17241,0,194933,156377,0,194934,32634,0,194935,156478,0,194936,32661,0,
    194937,32762,0,194938,32773,0,194939,156890,0,194940,156963,0,194941,32864,0,194942,157096,0,
    194943,32880,0,194944,144223,0,194945,17365,0,194946,32946,0,194947,33027,0,194948,17419,0,
    194949,33086,0,194950,23221,0,194951,157607,0,194952,157621,0,194953,144275,0,194954,144284,0,
    194955,33281,0,194956,33284,0,194957,36766,0,194958,17515,0,194959,33425,0,194960,33419,0,
    194961,33437,0,194962,21171,0,194963,33457,0,194964,33459,0,194965,33469,0,194966,33510,0,
    194967,158524,0,194968,33509,0,194969,33565,0,194970,33635,0,194971,33709,0,194972,33571,0,
    194973,33725,0,194974,33767,0,194975,33879,0,194976,33619,0,194977,33738,0,194978,33740,0,
    194979,33756,0,194980,158774,0,194981,159083,0,194982,158933,0,194983,17707,0,194984,34033,0,
    194985,34035,0,194986,34070,0,194987,160714,0,194988,34148,0,194989,159532,0,194990,17757,0,
    194991,17761,0,194992,159665,0,194993,159954,0,194994,17771,0,194995,34384,0,194996,34396,0,
    194997,34407,0,194998,34409,0,194999,34473,0,195000,34440,0,195001,34574,0,195002,34530,0,
    195003,34681,0,195004,34600,0,195005,34667,0,195006,34694,0,195007,17879,0,195008,34785,0,
    195009,34817,0,195010,17913,0,195011,34912,0,195012,34915,0,195013,161383,0,195014,35031,0,
    195015,35038,0,195016,17973,0,195017,35066,0,195018,13499,0,195019,161966,0,195020,162150,0,
    195021,18110,0,195022,18119,0,195023,35488,0,195024,35565,0,195025,35722,0,195026,35925,0,
    195027,162984,0,195028,36011,0,195029,36033,0,195030,36123,0,195031,36215,0,195032,163631,0,
    195033,133124,0,195034,36299,0,195035,36284,0,195036,36336,0,195037,133342,0,195038,36564,0,
    195039,36664,0,195040,165330,0,195041,165357,0,195042,37012,0,195043,37105,0,195044,37137,0,
    195045,165678,0,195046,37147,0,195047,37432,0,195048,37591,0,195049,37592,0,195050,37500,0,
    195051,37881,0,195052,37909,0,195053,166906,0,195054,38283,0,195055,18837,0,195056,38327,0,
    195057,167287,0,195058,18918,0,195059,38595,0,195060,23986,0,195061,38691,0,195062,168261,0,
    195063,168474,0,195064,19054,0,195065,19062,0,195066,38880,0,195067,168970,0,195068,19122,0,
    195069,169110,0,195070,38923,0,195071,38923,0,195072,38953,0,195073,169398,0,195074,39138,0,
    195075,19251,0,195076,39209,0,195077,39335,0,195078,39362,0,195079,39422,0,195080,19406,0,
    195081,170800,0,195082,39698,0,195083,40000,0,195084,40189,0,195085,19662,0,195086,19693,0,
    195087,40295,0,195088,172238,0,195089,19704,0,195090,172293,0,195091,172558,0,195092,172689,0,
    195093,40635,0,195094,19798,0,195095,40697,0,195096,40702,0,195097,40709,0,195098,40719,0,
    195099,40726,0,195100,40763,0,195101,173568,0,
};

#define SD__UC_NCOMP 941
static const uint32_t sd__uc_comp[2823] = {
    60,824,8814,61,824,8800,62,824,8815,65,768,192,65,769,193,65,770,194,
    65,771,195,65,772,256,65,774,258,65,775,550,65,776,196,65,777,7842,
    65,778,197,65,780,461,65,783,512,65,785,514,65,803,7840,65,805,7680,
    65,808,260,66,775,7682,66,803,7684,66,817,7686,67,769,262,67,770,264,
    67,775,266,67,780,268,67,807,199,68,775,7690,68,780,270,68,803,7692,
    68,807,7696,68,813,7698,68,817,7694,69,768,200,69,769,201,69,770,202,
    69,771,7868,69,772,274,69,774,276,69,775,278,69,776,203,69,777,7866,
    69,780,282,69,783,516,69,785,518,69,803,7864,69,807,552,69,808,280,
    69,813,7704,69,816,7706,70,775,7710,71,769,500,71,770,284,71,772,7712,
    71,774,286,71,775,288,71,780,486,71,807,290,72,770,292,72,775,7714,
    72,776,7718,72,780,542,72,803,7716,72,807,7720,72,814,7722,73,768,204,
    73,769,205,73,770,206,73,771,296,73,772,298,73,774,300,73,775,304,
    73,776,207,73,777,7880,73,780,463,73,783,520,73,785,522,73,803,7882,
    73,808,302,73,816,7724,74,770,308,75,769,7728,75,780,488,75,803,7730,
    75,807,310,75,817,7732,76,769,313,76,780,317,76,803,7734,76,807,315,
    76,813,7740,76,817,7738,77,769,7742,77,775,7744,77,803,7746,78,768,504,
    78,769,323,78,771,209,78,775,7748,78,780,327,78,803,7750,78,807,325,
    78,813,7754,78,817,7752,79,768,210,79,769,211,79,770,212,79,771,213,
    79,772,332,79,774,334,79,775,558,79,776,214,79,777,7886,79,779,336,
    79,780,465,79,783,524,79,785,526,79,795,416,79,803,7884,79,808,490,
    80,769,7764,80,775,7766,82,769,340,82,775,7768,82,780,344,82,783,528,
    82,785,530,82,803,7770,82,807,342,82,817,7774,83,769,346,83,770,348,
    83,775,7776,83,780,352,83,803,7778,83,806,536,83,807,350,84,775,7786,
    84,780,356,84,803,7788,84,806,538,84,807,354,84,813,7792,84,817,7790,
    85,768,217,85,769,218,85,770,219,85,771,360,85,772,362,85,774,364,
    85,776,220,85,777,7910,85,778,366,85,779,368,85,780,467,85,783,532,
    85,785,534,85,795,431,85,803,7908,85,804,7794,85,808,370,85,813,7798,
    85,816,7796,86,771,7804,86,803,7806,87,768,7808,87,769,7810,87,770,372,
    87,775,7814,87,776,7812,87,803,7816,88,775,7818,88,776,7820,89,768,7922,
    89,769,221,89,770,374,89,771,7928,89,772,562,89,775,7822,89,776,376,
    89,777,7926,89,803,7924,90,769,377,90,770,7824,90,775,379,90,780,381,
    90,803,7826,90,817,7828,97,768,224,97,769,225,97,770,226,97,771,227,
    97,772,257,97,774,259,97,775,551,97,776,228,97,777,7843,97,778,229,
    97,780,462,97,783,513,97,785,515,97,803,7841,97,805,7681,97,808,261,
    98,775,7683,98,803,7685,98,817,7687,99,769,263,99,770,265,99,775,267,
    99,780,269,99,807,231,100,775,7691,100,780,271,100,803,7693,100,807,7697,
    100,813,7699,100,817,7695,101,768,232,101,769,233,101,770,234,101,771,7869,
    101,772,275,101,774,277,101,775,279,101,776,235,101,777,7867,101,780,283,
    101,783,517,101,785,519,101,803,7865,101,807,553,101,808,281,101,813,7705,
    101,816,7707,102,775,7711,103,769,501,103,770,285,103,772,7713,103,774,287,
    103,775,289,103,780,487,103,807,291,104,770,293,104,775,7715,104,776,7719,
    104,780,543,104,803,7717,104,807,7721,104,814,7723,104,817,7830,105,768,236,
    105,769,237,105,770,238,105,771,297,105,772,299,105,774,301,105,776,239,
    105,777,7881,105,780,464,105,783,521,105,785,523,105,803,7883,105,808,303,
    105,816,7725,106,770,309,106,780,496,107,769,7729,107,780,489,107,803,7731,
    107,807,311,107,817,7733,108,769,314,108,780,318,108,803,7735,108,807,316,
    108,813,7741,108,817,7739,109,769,7743,109,775,7745,109,803,7747,110,768,505,
    110,769,324,110,771,241,110,775,7749,110,780,328,110,803,7751,110,807,326,
    110,813,7755,110,817,7753,111,768,242,111,769,243,111,770,244,111,771,245,
    111,772,333,111,774,335,111,775,559,111,776,246,111,777,7887,111,779,337,
    111,780,466,111,783,525,111,785,527,111,795,417,111,803,7885,111,808,491,
    112,769,7765,112,775,7767,114,769,341,114,775,7769,114,780,345,114,783,529,
    114,785,531,114,803,7771,114,807,343,114,817,7775,115,769,347,115,770,349,
    115,775,7777,115,780,353,115,803,7779,115,806,537,115,807,351,116,775,7787,
    116,776,7831,116,780,357,116,803,7789,116,806,539,116,807,355,116,813,7793,
    116,817,7791,117,768,249,117,769,250,117,770,251,117,771,361,117,772,363,
    117,774,365,117,776,252,117,777,7911,117,778,367,117,779,369,117,780,468,
    117,783,533,117,785,535,117,795,432,117,803,7909,117,804,7795,117,808,371,
    117,813,7799,117,816,7797,118,771,7805,118,803,7807,119,768,7809,119,769,7811,
    119,770,373,119,775,7815,119,776,7813,119,778,7832,119,803,7817,120,775,7819,
    120,776,7821,121,768,7923,121,769,253,121,770,375,121,771,7929,121,772,563,
    121,775,7823,121,776,255,121,777,7927,121,778,7833,121,803,7925,122,769,378,
    122,770,7825,122,775,380,122,780,382,122,803,7827,122,817,7829,168,768,8173,
    168,769,901,168,834,8129,194,768,7846,194,769,7844,194,771,7850,194,777,7848,
    196,772,478,197,769,506,198,769,508,198,772,482,199,769,7688,202,768,7872,
    202,769,7870,202,771,7876,202,777,7874,207,769,7726,212,768,7890,212,769,7888,
    212,771,7894,212,777,7892,213,769,7756,213,772,556,213,776,7758,214,772,554,
    216,769,510,220,768,475,220,769,471,220,772,469,220,780,473,226,768,7847,
    226,769,7845,226,771,7851,226,777,7849,228,772,479,229,769,507,230,769,509,
    230,772,483,231,769,7689,234,768,7873,234,769,7871,234,771,7877,234,777,7875,
    239,769,7727,244,768,7891,244,769,7889,244,771,7895,244,777,7893,245,769,7757,
    245,772,557,245,776,7759,246,772,555,248,769,511,252,768,476,252,769,472,
    252,772,470,252,780,474,258,768,7856,258,769,7854,258,771,7860,258,777,7858,
    259,768,7857,259,769,7855,259,771,7861,259,777,7859,274,768,7700,274,769,7702,
    275,768,7701,275,769,7703,332,768,7760,332,769,7762,333,768,7761,333,769,7763,
    346,775,7780,347,775,7781,352,775,7782,353,775,7783,360,769,7800,361,769,7801,
    362,776,7802,363,776,7803,383,775,7835,416,768,7900,416,769,7898,416,771,7904,
    416,777,7902,416,803,7906,417,768,7901,417,769,7899,417,771,7905,417,777,7903,
    417,803,7907,431,768,7914,431,769,7912,431,771,7918,431,777,7916,431,803,7920,
    432,768,7915,432,769,7913,432,771,7919,432,777,7917,432,803,7921,439,780,494,
    490,772,492,491,772,493,550,772,480,551,772,481,552,774,7708,553,774,7709,
    558,772,560,559,772,561,658,780,495,913,768,8122,913,769,902,913,772,8121,
    913,774,8120,913,787,7944,913,788,7945,913,837,8124,917,768,8136,917,769,904,
    917,787,7960,917,788,7961,919,768,8138,919,769,905,919,787,7976,919,788,7977,
    919,837,8140,921,768,8154,921,769,906,921,772,8153,921,774,8152,921,776,938,
    921,787,7992,921,788,7993,927,768,8184,927,769,908,927,787,8008,927,788,8009,
    929,788,8172,933,768,8170,933,769,910,933,772,8169,933,774,8168,933,776,939,
    933,788,8025,937,768,8186,937,769,911,937,787,8040,937,788,8041,937,837,8188,
    940,837,8116,942,837,8132,945,768,8048,945,769,940,945,772,8113,945,774,8112,
    945,787,7936,945,788,7937,945,834,8118,945,837,8115,949,768,8050,949,769,941,
    949,787,7952,949,788,7953,951,768,8052,951,769,942,951,787,7968,951,788,7969,
    951,834,8134,951,837,8131,953,768,8054,953,769,943,953,772,8145,953,774,8144,
    953,776,970,953,787,7984,953,788,7985,953,834,8150,959,768,8056,959,769,972,
    959,787,8000,959,788,8001,961,787,8164,961,788,8165,965,768,8058,965,769,973,
    965,772,8161,965,774,8160,965,776,971,965,787,8016,965,788,8017,965,834,8166,
    969,768,8060,969,769,974,969,787,8032,969,788,8033,969,834,8182,969,837,8179,
    970,768,8146,970,769,912,970,834,8151,971,768,8162,971,769,944,971,834,8167,
    974,837,8180,978,769,979,978,776,980,1030,776,1031,1040,774,1232,1040,776,1234,
    1043,769,1027,1045,768,1024,1045,774,1238,1045,776,1025,1046,774,1217,1046,776,1244,
    1047,776,1246,1048,768,1037,1048,772,1250,1048,774,1049,1048,776,1252,1050,769,1036,
    1054,776,1254,1059,772,1262,1059,774,1038,1059,776,1264,1059,779,1266,1063,776,1268,
    1067,776,1272,1069,776,1260,1072,774,1233,1072,776,1235,1075,769,1107,1077,768,1104,
    1077,774,1239,1077,776,1105,1078,774,1218,1078,776,1245,1079,776,1247,1080,768,1117,
    1080,772,1251,1080,774,1081,1080,776,1253,1082,769,1116,1086,776,1255,1091,772,1263,
    1091,774,1118,1091,776,1265,1091,779,1267,1095,776,1269,1099,776,1273,1101,776,1261,
    1110,776,1111,1140,783,1142,1141,783,1143,1240,776,1242,1241,776,1243,1256,776,1258,
    1257,776,1259,1575,1619,1570,1575,1620,1571,1575,1621,1573,1608,1620,1572,1610,1620,1574,
    1729,1620,1730,1746,1620,1747,1749,1620,1728,2344,2364,2345,2352,2364,2353,2355,2364,2356,
    2503,2494,2507,2503,2519,2508,2887,2878,2891,2887,2902,2888,2887,2903,2892,2962,3031,2964,
    3014,3006,3018,3014,3031,3020,3015,3006,3019,3142,3158,3144,3263,3285,3264,3270,3266,3274,
    3270,3285,3271,3270,3286,3272,3274,3285,3275,3398,3390,3402,3398,3415,3404,3399,3390,3403,
    3545,3530,3546,3545,3535,3548,3545,3551,3550,3548,3530,3549,4133,4142,4134,6917,6965,6918,
    6919,6965,6920,6921,6965,6922,6923,6965,6924,6925,6965,6926,6929,6965,6930,6970,6965,6971,
    6972,6965,6973,6974,6965,6976,6975,6965,6977,6978,6965,6979,7734,772,7736,7735,772,7737,
    7770,772,7772,7771,772,7773,7778,775,7784,7779,775,7785,7840,770,7852,7840,774,7862,
    7841,770,7853,7841,774,7863,7864,770,7878,7865,770,7879,7884,770,7896,7885,770,7897,
    7936,768,7938,7936,769,7940,7936,834,7942,7936,837,8064,7937,768,7939,7937,769,7941,
    7937,834,7943,7937,837,8065,7938,837,8066,7939,837,8067,7940,837,8068,7941,837,8069,
    7942,837,8070,7943,837,8071,7944,768,7946,7944,769,7948,7944,834,7950,7944,837,8072,
    7945,768,7947,7945,769,7949,7945,834,7951,7945,837,8073,7946,837,8074,7947,837,8075,
    7948,837,8076,7949,837,8077,7950,837,8078,7951,837,8079,7952,768,7954,7952,769,7956,
    7953,768,7955,7953,769,7957,7960,768,7962,7960,769,7964,7961,768,7963,7961,769,7965,
    7968,768,7970,7968,769,7972,7968,834,7974,7968,837,8080,7969,768,7971,7969,769,7973,
    7969,834,7975,7969,837,8081,7970,837,8082,7971,837,8083,7972,837,8084,7973,837,8085,
    7974,837,8086,7975,837,8087,7976,768,7978,7976,769,7980,7976,834,7982,7976,837,8088,
    7977,768,7979,7977,769,7981,7977,834,7983,7977,837,8089,7978,837,8090,7979,837,8091,
    7980,837,8092,7981,837,8093,7982,837,8094,7983,837,8095,7984,768,7986,7984,769,7988,
    7984,834,7990,7985,768,7987,7985,769,7989,7985,834,7991,7992,768,7994,7992,769,7996,
    7992,834,7998,7993,768,7995,7993,769,7997,7993,834,7999,8000,768,8002,8000,769,8004,
    8001,768,8003,8001,769,8005,8008,768,8010,8008,769,8012,8009,768,8011,8009,769,8013,
    8016,768,8018,8016,769,8020,8016,834,8022,8017,768,8019,8017,769,8021,8017,834,8023,
    8025,768,8027,8025,769,8029,8025,834,8031,8032,768,8034,8032,769,8036,8032,834,8038,
    8032,837,8096,8033,768,8035,8033,769,8037,8033,834,8039,8033,837,8097,8034,837,8098,
    8035,837,8099,8036,837,8100,8037,837,8101,8038,837,8102,8039,837,8103,8040,768,8042,
    8040,769,8044,8040,834,8046,8040,837,8104,8041,768,8043,8041,769,8045,8041,834,8047,
    8041,837,8105,8042,837,8106,8043,837,8107,8044,837,8108,8045,837,8109,8046,837,8110,
    8047,837,8111,8048,837,8114,8052,837,8130,8060,837,8178,8118,837,8119,8127,768,8141,
    8127,769,8142,8127,834,8143,8134,837,8135,8182,837,8183,8190,768,8157,8190,769,8158,
    8190,834,8159,8592,824,8602,8594,824,8603,8596,824,8622,8656,824,8653,8658,824,8655,
    8660,824,8654,8707,824,8708,8712,824,8713,8715,824,8716,8739,824,8740,8741,824,8742,
    8764,824,8769,8771,824,8772,8773,824,8775,8776,824,8777,8781,824,8813,8801,824,8802,
    8804,824,8816,8805,824,8817,8818,824,8820,8819,824,8821,8822,824,8824,8823,824,8825,
    8826,824,8832,8827,824,8833,8828,824,8928,8829,824,8929,8834,824,8836,8835,824,8837,
    8838,824,8840,8839,824,8841,8849,824,8930,8850,824,8931,8866,824,8876,8872,824,8877,
    8873,824,8878,8875,824,8879,8882,824,8938,8883,824,8939,8884,824,8940,8885,824,8941,
    12358,12441,12436,12363,12441,12364,12365,12441,12366,12367,12441,12368,12369,12441,12370,12371,12441,12372,
    12373,12441,12374,12375,12441,12376,12377,12441,12378,12379,12441,12380,12381,12441,12382,12383,12441,12384,
    12385,12441,12386,12388,12441,12389,12390,12441,12391,12392,12441,12393,12399,12441,12400,12399,12442,12401,
    12402,12441,12403,12402,12442,12404,12405,12441,12406,12405,12442,12407,12408,12441,12409,12408,12442,12410,
    12411,12441,12412,12411,12442,12413,12445,12441,12446,12454,12441,12532,12459,12441,12460,12461,12441,12462,
    12463,12441,12464,12465,12441,12466,12467,12441,12468,12469,12441,12470,12471,12441,12472,12473,12441,12474,
    12475,12441,12476,12477,12441,12478,12479,12441,12480,12481,12441,12482,12484,12441,12485,12486,12441,12487,
    12488,12441,12489,12495,12441,12496,12495,12442,12497,12498,12441,12499,12498,12442,12500,12501,12441,12502,
    12501,12442,12503,12504,12441,12505,12504,12442,12506,12507,12441,12508,12507,12442,12509,12527,12441,12535,
    12528,12441,12536,12529,12441,12537,12530,12441,12538,12541,12441,12542,69785,69818,69786,69787,69818,69788,
    69797,69818,69803,69937,69927,69934,69938,69927,69935,70471,70462,70475,70471,70487,70476,70841,70832,70844,
    70841,70842,70843,70841,70845,70846,71096,71087,71098,71097,71087,71099,71989,71984,71992,
};

#define SD__UC_NWIDTH 225
static const uint32_t sd__uc_width[450] = {
    12288,32,65281,33,65282,34,65283,35,65284,36,65285,37,65286,38,65287,39,
    65288,40,65289,41,65290,42,65291,43,65292,44,65293,45,65294,46,65295,47,
    65296,48,65297,49,65298,50,65299,51,65300,52,65301,53,65302,54,65303,55,
    65304,56,65305,57,65306,58,65307,59,65308,60,65309,61,65310,62,65311,63,
    65312,64,65313,65,65314,66,65315,67,65316,68,65317,69,65318,70,65319,71,
    65320,72,65321,73,65322,74,65323,75,65324,76,65325,77,65326,78,65327,79,
    65328,80,65329,81,65330,82,65331,83,65332,84,65333,85,65334,86,65335,87,
    65336,88,65337,89,65338,90,65339,91,65340,92,65341,93,65342,94,65343,95,
    65344,96,65345,97,65346,98,65347,99,65348,100,65349,101,65350,102,65351,103,
    65352,104,65353,105,65354,106,65355,107,65356,108,65357,109,65358,110,65359,111,
    65360,112,65361,113,65362,114,65363,115,65364,116,65365,117,65366,118,65367,119,
    65368,120,65369,121,65370,122,65371,123,65372,124,65373,125,65374,126,65375,10629,
    65376,10630,65377,12290,65378,12300,65379,12301,65380,12289,65381,12539,65382,12530,65383,12449,
    65384,12451,65385,12453,65386,12455,65387,12457,65388,12515,65389,12517,65390,12519,65391,12483,
    65392,12540,65393,12450,65394,12452,65395,12454,65396,12456,65397,12458,65398,12459,65399,12461,
    65400,12463,65401,12465,65402,12467,65403,12469,65404,12471,65405,12473,65406,12475,65407,12477,
    65408,12479,65409,12481,65410,12484,65411,12486,65412,12488,65413,12490,65414,12491,65415,12492,
    65416,12493,65417,12494,65418,12495,65419,12498,65420,12501,65421,12504,65422,12507,65423,12510,
    65424,12511,65425,12512,65426,12513,65427,12514,65428,12516,65429,12518,65430,12520,65431,12521,
    65432,12522,65433,12523,65434,12524,65435,12525,65436,12527,65437,12531,65438,12441,65439,12442,
    65440,4448,65441,4352,65442,4353,65443,4522,65444,4354,65445,4524,65446,4525,65447,4355,
    65448,4356,65449,4357,65450,4528,65451,4529,65452,4530,65453,4531,65454,4532,65455,4533,
    65456,4378,65457,4358,65458,4359,65459,4360,65460,4385,65461,4361,65462,4362,65463,4363,
    65464,4364,65465,4365,65466,4366,65467,4367,65468,4368,65469,4369,65470,4370,65474,4449,
    65475,4450,65476,4451,65477,4452,65478,4453,65479,4454,65482,4455,65483,4456,65484,4457,
    65485,4458,65486,4459,65487,4460,65490,4461,65491,4462,65492,4463,65493,4464,65494,4465,
    65495,4466,65498,4467,65499,4468,65500,4469,65504,162,65505,163,65506,172,65508,166,
    65509,165,65510,8361,65512,9474,65513,8592,65514,8593,65515,8594,65516,8595,65517,9632,
    65518,9675,
};

static const char sd__html[] =
    "AElig c6;AElig; c6;AMP 26;AMP; 26;Aacute c1;Aacute; c1;Acirc c2;Acirc; c2;Agrave c0;Agrave; c0;"
    "Alpha; 391;Aring c5;Aring; c5;Atilde c3;Atilde; c3;Auml c4;Auml; c4;Beta; 392;COPY a9;COPY; a9;"
    "Ccedil c7;Ccedil; c7;Chi; 3a7;Dagger; 2021;Delta; 394;ETH d0;ETH; d0;Eacute c9;Eacute; c9;Ecirc ca;"
    "Ecirc; ca;Egrave c8;Egrave; c8;Epsilon; 395;Eta; 397;Euml cb;Euml; cb;GT 3e;GT; 3e;Gamma; 393;"
    "Iacute cd;Iacute; cd;Icirc ce;Icirc; ce;Igrave cc;Igrave; cc;Iota; 399;Iuml cf;Iuml; cf;Kappa; 39a;"
    "LT 3c;LT; 3c;Lambda; 39b;Mu; 39c;Ntilde d1;Ntilde; d1;Nu; 39d;OElig; 152;Oacute d3;Oacute; d3;"
    "Ocirc d4;Ocirc; d4;Ograve d2;Ograve; d2;Omega; 3a9;Omicron; 39f;Oslash d8;Oslash; d8;Otilde d5;"
    "Otilde; d5;Ouml d6;Ouml; d6;Phi; 3a6;Pi; 3a0;Prime; 2033;Psi; 3a8;QUOT 22;QUOT; 22;REG ae;REG; ae;"
    "Rho; 3a1;Scaron; 160;Sigma; 3a3;THORN de;THORN; de;Tau; 3a4;Theta; 398;Uacute da;Uacute; da;"
    "Ucirc db;Ucirc; db;Ugrave d9;Ugrave; d9;Upsilon; 3a5;Uuml dc;Uuml; dc;Xi; 39e;Yacute dd;Yacute; dd;"
    "Yuml; 178;Zeta; 396;aacute e1;aacute; e1;acirc e2;acirc; e2;acute b4;acute; b4;aelig e6;aelig; e6;"
    "agrave e0;agrave; e0;alefsym; 2135;alpha; 3b1;amp 26;amp; 26;and; 2227;ang; 2220;apos; 27;aring e5;"
    "aring; e5;asymp; 2248;atilde e3;atilde; e3;auml e4;auml; e4;bdquo; 201e;beta; 3b2;brvbar a6;"
    "brvbar; a6;bull; 2022;cap; 2229;ccedil e7;ccedil; e7;cedil b8;cedil; b8;cent a2;cent; a2;chi; 3c7;"
    "circ; 2c6;clubs; 2663;cong; 2245;copy a9;copy; a9;crarr; 21b5;cup; 222a;curren a4;curren; a4;"
    "dArr; 21d3;dagger; 2020;darr; 2193;deg b0;deg; b0;delta; 3b4;diams; 2666;divide f7;divide; f7;"
    "eacute e9;eacute; e9;ecirc ea;ecirc; ea;egrave e8;egrave; e8;empty; 2205;emsp; 2003;ensp; 2002;"
    "epsilon; 3b5;equiv; 2261;eta; 3b7;eth f0;eth; f0;euml eb;euml; eb;euro; 20ac;exist; 2203;fnof; 192;"
    "forall; 2200;frac12 bd;frac12; bd;frac14 bc;frac14; bc;frac34 be;frac34; be;frasl; 2044;gamma; 3b3;"
    "ge; 2265;gt 3e;gt; 3e;hArr; 21d4;harr; 2194;hearts; 2665;hellip; 2026;iacute ed;iacute; ed;icirc ee;"
    "icirc; ee;iexcl a1;iexcl; a1;igrave ec;igrave; ec;image; 2111;infin; 221e;int; 222b;iota; 3b9;"
    "iquest bf;iquest; bf;isin; 2208;iuml ef;iuml; ef;kappa; 3ba;lArr; 21d0;lambda; 3bb;lang; 27e8;"
    "laquo ab;laquo; ab;larr; 2190;lceil; 2308;ldquo; 201c;le; 2264;lfloor; 230a;lowast; 2217;loz; 25ca;"
    "lrm; 200e;lsaquo; 2039;lsquo; 2018;lt 3c;lt; 3c;macr af;macr; af;mdash; 2014;micro b5;micro; b5;"
    "middot b7;middot; b7;minus; 2212;mu; 3bc;nabla; 2207;nbsp a0;nbsp; a0;ndash; 2013;ne; 2260;ni; 220b;"
    "not ac;not; ac;notin; 2209;nsub; 2284;ntilde f1;ntilde; f1;nu; 3bd;oacute f3;oacute; f3;ocirc f4;"
    "ocirc; f4;oelig; 153;ograve f2;ograve; f2;oline; 203e;omega; 3c9;omicron; 3bf;oplus; 2295;or; 2228;"
    "ordf aa;ordf; aa;ordm ba;ordm; ba;oslash f8;oslash; f8;otilde f5;otilde; f5;otimes; 2297;ouml f6;"
    "ouml; f6;para b6;para; b6;part; 2202;permil; 2030;perp; 22a5;phi; 3c6;pi; 3c0;piv; 3d6;plusmn b1;"
    "plusmn; b1;pound a3;pound; a3;prime; 2032;prod; 220f;prop; 221d;psi; 3c8;quot 22;quot; 22;"
    "rArr; 21d2;radic; 221a;rang; 27e9;raquo bb;raquo; bb;rarr; 2192;rceil; 2309;rdquo; 201d;real; 211c;"
    "reg ae;reg; ae;rfloor; 230b;rho; 3c1;rlm; 200f;rsaquo; 203a;rsquo; 2019;sbquo; 201a;scaron; 161;"
    "sdot; 22c5;sect a7;sect; a7;shy ad;shy; ad;sigma; 3c3;sigmaf; 3c2;sim; 223c;spades; 2660;sub; 2282;"
    "sube; 2286;sum; 2211;sup1 b9;sup1; b9;sup2 b2;sup2; b2;sup3 b3;sup3; b3;sup; 2283;supe; 2287;"
    "szlig df;szlig; df;tau; 3c4;there4; 2234;theta; 3b8;thetasym; 3d1;thinsp; 2009;thorn fe;thorn; fe;"
    "tilde; 2dc;times d7;times; d7;trade; 2122;uArr; 21d1;uacute fa;uacute; fa;uarr; 2191;ucirc fb;"
    "ucirc; fb;ugrave f9;ugrave; f9;uml a8;uml; a8;upsih; 3d2;upsilon; 3c5;uuml fc;uuml; fc;weierp; 2118;"
    "xi; 3be;yacute fd;yacute; fd;yen a5;yen; a5;yuml ff;yuml; ff;zeta; 3b6;zwj; 200d;zwnj; 200c;";
/* --- END GENERATED --- */

/* the properties of a code point (bits of sd__uc_prop): 1 letter, 2 number, 4 space, 8 cased, 16 case-ignorable */
static int sd__uc_props(uint32_t c)
{
    int lo = 0, hi = SD__UC_NPROP - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (c < sd__uc_prop[2 * mid]) hi = mid - 1;
        else if (c > (sd__uc_prop[2 * mid + 1] & 0xffffff)) lo = mid + 1;
        else return (int)(sd__uc_prop[2 * mid + 1] >> 24);
    }
    return 0;
}

static int sd__uc_class(uint32_t c)   /* canonical combining class */
{
    int lo = 0, hi = SD__UC_NCCC - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (c < sd__uc_ccc[2 * mid]) hi = mid - 1;
        else if (c > (sd__uc_ccc[2 * mid + 1] & 0xffffff)) lo = mid + 1;
        else return (int)(sd__uc_ccc[2 * mid + 1] >> 24);
    }
    return 0;
}

static uint32_t sd__uc_tolower(uint32_t c)   /* the one-code-point part of str.lower() */
{
    int lo = 0, hi = SD__UC_NLOWER - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const int32_t *r = sd__uc_lower + 4 * mid;
        if ((int32_t)c < r[0]) hi = mid - 1;
        else if ((int32_t)c > r[1]) lo = mid + 1;
        else return ((int32_t)c - r[0]) % r[3] ? c : (uint32_t)((int32_t)c + r[2]);
    }
    return c;
}

/* index of c in a table of rows of 3 sorted by their first one or two values, or -1 */
static int sd__uc_find(const uint32_t *t, int n, uint32_t a, uint32_t b, int two)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        uint32_t x = t[3 * mid], y = two ? t[3 * mid + 1] : 0;
        if (a < x || (a == x && b < y)) hi = mid - 1;
        else if (a > x || (a == x && b > y)) lo = mid + 1;
        else return mid;
    }
    return -1;
}

static int sd__uc_decomposition(uint32_t c, uint32_t *a, uint32_t *b)
{
    int i = sd__uc_find(sd__uc_decomp, SD__UC_NDECOMP, c, 0, 0);
    if (i < 0) return 0;
    *a = sd__uc_decomp[3 * i + 1];
    *b = sd__uc_decomp[3 * i + 2];
    return 1;
}

static uint32_t sd__uc_compose(uint32_t a, uint32_t b)
{
    int k = sd__uc_find(sd__uc_comp, SD__UC_NCOMP, a, b, 1);
    return k >= 0 ? sd__uc_comp[3 * k + 2] : 0;
}

static uint32_t sd__uc_fold_width(uint32_t c)
{
    int lo = 0, hi = SD__UC_NWIDTH - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (c < sd__uc_width[2 * mid]) hi = mid - 1;
        else if (c > sd__uc_width[2 * mid]) lo = mid + 1;
        else return sd__uc_width[2 * mid + 1];
    }
    return c;
}

static const char *sd__uc_html_names(void) { return sd__html; }

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
