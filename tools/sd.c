/* sd - the command-line tool of sd.h: txt2img and img2img for users, one subcommand per stage
   (with .npy in and out) for reference testing. A thin layer over the public API of sd.h.

   Build: make (gives build/sd). Run `build/sd --help`. */

#define SD_IMPLEMENTATION
#include "../sd.h"
#define SD_PNG_IMPLEMENTATION
#include "sd_png.h"


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <math.h>
#include <ctype.h>
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#include <sys/stat.h>
#include <dirent.h>
#define HAVE_ISATTY 1
#endif
#include <stdarg.h>

/* ---------------------------------------------------------------- options */

/* the settings a --from text can get wrong, each with the option that replaces it */
enum { FROM_SAMPLER, FROM_SCHEDULER, FROM_RNG, FROM_STEPS, FROM_CFG, FROM_SEED, FROM_SIZE, FROM_CLIP_SKIP,
       FROM_STRENGTH, FROM_ETA, FROM_WEIGHTING, FROM_N };

typedef struct opts {
    const char *cmd;
    const char *model, *vae, *vocab, *prompt, *negative, *output, *init, *latent_out, *image_out;
    const char *x, *context, *z, *image, *logvar, *shape, *path, *preview;
    const char *y, *pooled_out;  /* SDXL: unet --y Y.npy; text --pooled-out P.npy */
    int pooled;                  /* text --pooled: -o gets the pooled vector */
    int orig_w, orig_h, crop_x, crop_y, target_w, target_h;   /* SDXL's size conditioning (0: the image's) */
    double t, strength, cfg, eta;
    uint64_t seed;
    int have_seed, steps, width, height, clip_skip, threads, quiet, reference, low_memory, bf16, gpu, preview_every, preview_decode;
    sd_lora_apply lora_apply;
    char from_text[3][4096];   /* prompt, negative prompt, model name read by --from */
    sd_sampler sampler;
    sd_scheduler scheduler;    /* SD_SCHEDULER_DEFAULT: the sampler's own */
    sd_rng_kind rng;
    int weighting;             /* -1: the command's default (txt2img, img2img: a1111; text: none) */
    int prediction;            /* SD_PREDICTION_AUTO: the model's */
    const char *embedding[64]; /* --embedding FILE, in order */
    int n_embedding;
    const char *embedding_dir;
    const char *lora[64];      /* --lora FILE[:W], in order */
    int n_lora;
    const char *lora_dir;      /* where <lora:NAME:W> tags of the prompt are looked up */
    const char *mask;          /* inpainting: the mask (PNG or HxW uint8 .npy; white repaints) */
    const char *taesd[2];      /* --taesd FILE (a decoder, an encoder, or diffusers' both) */
    int n_taesd;
    int mask_blur, mask_paste;
    /* --from: the PNG, what of its text sd cannot take (each cleared by the option given after it;
       any left is an error), what sd leaves out (a warning), which settings came from it */
    const char *from_path;
    char from_issue[FROM_N][192];
    char from_note[512];
    int from_sampler, from_scheduler, from_strength;
    char from_lora_hashes[1024];   /* its "Lora hashes" ("" without), checked against the files applied */
} opts;

static const char *usage =
    "usage: sd [COMMAND] [OPTIONS]\n"
    "\n"
    "Stable Diffusion 1.x in one C header. With no command, runs txt2img (or img2img with -i).\n"
    "\n"
    "commands:\n"
    "  txt2img      prompt -> image (the default)\n"
    "  img2img      init image + prompt -> image (with --mask: inpainting)\n"
    "  inpaint      img2img with a mask: sd inpaint -m MODEL -i IMAGE --mask MASK -p PROMPT\n"
    "  info         what a checkpoint holds (sd info MODEL), or how a PNG was made (sd info IMAGE.png)\n"
    "  tokenize     sd tokenize --vocab MERGES -p PROMPT       (prints the 77 ids)\n"
    "  randn        sd randn --seed S --shape 1,4,64,64 [--rng cpu|philox] -o OUT.npy  (torch.randn)\n"
    "  schedule     sd schedule --sampler NAME [--scheduler KIND] --steps N  (prints the timesteps and sigmas as JSON)\n"
    "  text         sd text -m MODEL --vocab MERGES -p PROMPT [--clip-skip N] [--weighting W] -o OUT.npy\n"
    "               (writes [1, 77k, D]: k chunks of 77 tokens; k = 1 with --weighting none, text's default)\n"
    "               SDXL: --pooled writes the pooled vector [1, P] to -o instead; --pooled-out P.npy as well\n"
    "  unet         sd unet -m MODEL --x X.npy --t T --context CTX.npy -o OUT.npy  (context [N, 77k, D])\n"
    "               SDXL: --y Y.npy, the vector [N, P + 6 x 256] (pooled text and size sinusoids)\n"
    "  vae-decode   sd vae-decode -m MODEL --z Z.npy -o OUT.npy\n"
    "  vae-encode   sd vae-encode -m MODEL --image IMG.npy -o MEAN.npy [--logvar LOGVAR.npy]\n"
    "\n"
    "options (default in brackets):\n"
    "  -m, --model PATH          an SD 1.x, 2.x or XL checkpoint (.safetensors single file, or a diffusers folder)\n"
    "      --vae PATH            a separate VAE file replacing the model's own\n"
    "      --vocab PATH          CLIP merges.txt [$SD_VOCAB, or tokenizer/merges.txt or merges.txt beside the model]\n"
    "      --from IMAGE.png      take prompt and settings from a PNG made by sd or A1111 (options after it win;\n"
    "                            sd info IMAGE.png shows what it takes)\n"
    "  -p, --prompt TEXT         the prompt\n"
    "  -n, --negative-prompt TEXT  what to steer away from [\"\"]\n"
    "  -o, --output PATH         output file [output.png]\n"
    "  -W, --width N             image width, a multiple of 8 [512]\n"
    "  -H, --height N            image height, a multiple of 8 [512]\n"
    "      --steps N             sampling steps, 1..1000 [20]\n"
    "      --cfg-scale X         classifier-free guidance scale (--cfg) [7]\n"
    "      --sampler NAME        the sampler, see below [euler_a]\n"
    "      --scheduler KIND      the noise schedule, see below [the sampler's own]\n"
    "      --rng KIND            the noise: cpu (torch's CPU generator) or philox (A1111's GPU noise) [cpu]\n"
    "      --eta X               DDIM's noise, 0..1 [0]\n"
    "  -s, --seed N              random seed, 0..2^64-1 [a random one, printed]\n"
    "  -i, --init-img PATH       img2img: init image, PNG or HxWx3 uint8 .npy (--init)\n"
    "      --strength X          img2img: how much to change, 0..1 [0.75]\n"
    "      --mask PATH           inpainting: what to repaint, white on black (PNG, gray or RGB, or HxW uint8\n"
    "                            .npy), the init image's size; an inpainting model needs one\n"
    "      --mask-blur N         inpainting: blur the mask first (A1111's Mask blur, a Gaussian of N px) [0]\n"
    "      --mask-paste          inpainting: paste the init's pixels back outside the mask\n"
    "      --clip-skip N         1 = the text encoder's usual layer (SD 1.x: the last, SD 2.x: the one\n"
    "                            before), 2 = the one before that [1]\n"
    "      --prediction eps|v    what the UNet predicts: SD 2.x 768-v models predict v [the model's: sd info]\n"
    "      --original-size WxH   SDXL's size conditioning: the original size [the image's],\n"
    "      --crop LEFT,TOP       the crop's top-left corner [0,0],\n"
    "      --target-size WxH     the target size [the image's]\n"
    "      --taesd FILE          decode (and for img2img encode) with TAESD, forty times cheaper than the\n"
    "                            VAE: taesd_decoder.safetensors (and taesd_encoder.safetensors: give both),\n"
    "                            or diffusers' AutoencoderTiny file; previews use it too\n";

static const char *usage_prompts =   /* (C99 promises string literals of 4095 bytes) */
    "      --weighting W         how the prompt is read [a1111; sd text: none]:\n"
    "                              a1111  AUTOMATIC1111's (x) (x:1.2) [x] \\( BREAK, prompts past 75 tokens\n"
    "                              comfy  ComfyUI's (x) (x:1.2) \\( (absolute weights), embedding:NAME\n"
    "                              none   diffusers': the text as written, cut at 75 tokens\n"
    "      --embedding FILE      a textual-inversion embedding (.safetensors); its file name is the\n"
    "                            trigger word: --embedding easynegative.safetensors, then -n easynegative\n"
    "      --embedding-dir DIR   every .safetensors embedding in DIR\n"
    "      --lora FILE[:W]       apply a LoRA (or LoCon) with weight W [1]; repeatable\n"
    "      --lora-dir DIR        where the prompt's <lora:NAME:W> tags are found (DIR/NAME.safetensors);\n"
    "                            <lora:NAME:TE:UNET> gives the text encoder and the UNet their own weights\n"
    "      --lora-apply HOW      auto   [default] each layer the cheaper way: beside it (two small products\n"
    "                                   at each use) where that costs at most 1/16 of the layer, else merged\n"
    "                            merge  every layer merged into a float32 copy (no cost per step, memory)\n"
    "                            beside every layer beside (no copies, a little slower)\n"
    "  -t, --threads N           threads [all cores]\n"
    "      --latent-out PATH     also write the final latent as .npy\n"
    "      --image-out PATH      also write the decoded float image [1,3,H,W] as .npy\n"
    "      --preview DIR         write the model's current guess of the image to DIR every few steps\n"
    "      --preview-every N     how often [1]\n"
    "      --preview-decode      previews through the VAE (slow) instead of the quick linear map\n"
    "      --low-memory          weights one block at a time, VAE in tiles\n"
    "      --bf16                matrix products in bfloat16, sums in float32 (about 2x on CPUs with\n"
    "                            AVX512_BF16; results within ~1e-2 of the default float32)\n"
    "      --reference           use the scalar reference kernels (slow)\n"
    "      --gpu                 run on an NVIDIA GPU (FP16 tensor cores; a build with sd_cuda.cu: make cuda)\n"
    "      --gpu-fp32            run on the GPU in FP32 (reference runs)\n"
    "  -q, --quiet               no progress output\n"
    "  -h, --help                this text\n";

static int die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "sd: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

static int parse_int(const char *name, const char *s, long lo, long hi, int *out)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "sd: %s: '%s' is not a whole number in %ld..%ld\n", name, s, lo, hi);
        return 0;
    }
    *out = (int)v;
    return 1;
}

static int parse_double(const char *name, const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;
    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "sd: %s: '%s' is not a number in %g..%g\n", name, s, lo, hi);
        return 0;
    }
    *out = v;
    return 1;
}

static int parse_u64(const char *name, const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    errno = 0;
    if (*s == '-' || *s == '+' || *s == ' ') { fprintf(stderr, "sd: %s: '%s' is not a whole number in 0..18446744073709551615\n", name, s); return 0; }
    v = strtoull(s, &end, 10);
    if (errno || end == s || *end) {
        fprintf(stderr, "sd: %s: '%s' is not a whole number in 0..18446744073709551615\n", name, s);
        return 0;
    }
    *out = (uint64_t)v;
    return 1;
}

/* ---------------------------------------------------------------- samplers, schedules and noise by name
   sd's names are sd.h's (sd_sampler_name, sd_scheduler_name). Beside them, the names A1111, ComfyUI
   and diffusers give the same thing. A1111's are the labels of its sampler lists
   (modules/sd_samplers_kdiffusion.py samplers_k_diffusion, sd_samplers_timesteps.py for DDIM and
   PLMS, sd_samplers_lcm.py for LCM) and of modules/sd_schedulers.py; ComfyUI's are comfy/samplers.py's
   KSAMPLER_NAMES and SCHEDULER_NAMES; diffusers' the scheduler class its documentation names as the
   counterpart (docs/source/en/api/schedulers/overview.md). A counterpart, not the same bits: only
   sd's own names promise the references' numbers. */

typedef struct sampler_names {
    const char *a1111, *alias;        /* A1111's label, and its old k_ alias */
    const char *comfy, *diffusers;
    sd_scheduler a1111_auto;          /* what A1111 (v1.9 on) runs for its "Schedule type: Automatic" */
    const char *about;
} sampler_names;

static const sampler_names sampler_table[SD_SAMPLER_COUNT] = {   /* in sd_sampler's order */
    { "Euler a", "k_euler_a", "euler_ancestral", "EulerAncestralDiscreteScheduler", SD_SCHEDULER_NORMAL, "Euler ancestral" },
    { "Euler", "k_euler", "euler", "EulerDiscreteScheduler", SD_SCHEDULER_NORMAL, "Euler" },
    { "DDIM", "ddim", "ddim", "DDIMScheduler", SD_SCHEDULER_DIFFUSERS, "DDIM (--eta: its noise)" },
    { "PLMS", "plms", "-", "PNDMScheduler", SD_SCHEDULER_DIFFUSERS, "PNDM's PLMS, diffusers' SD 1.5 default" },
    { "Heun", "k_heun", "heun", "HeunDiscreteScheduler", SD_SCHEDULER_NORMAL, "Heun, 2 evaluations a step" },
    { "DPM2", "k_dpm_2", "dpm_2", "KDPM2DiscreteScheduler", SD_SCHEDULER_KARRAS, "DPM-Solver-2, 2 evaluations a step" },
    { "DPM2 a", "k_dpm_2_a", "dpm_2_ancestral", "KDPM2AncestralDiscreteScheduler", SD_SCHEDULER_KARRAS, "DPM2 ancestral" },
    { "LMS", "k_lms", "lms", "LMSDiscreteScheduler", SD_SCHEDULER_NORMAL, "linear multistep, order 4" },
    { "DPM++ 2M", "k_dpmpp_2m", "dpmpp_2m", "DPMSolverMultistepScheduler", SD_SCHEDULER_KARRAS, "DPM-Solver++(2M); A1111's default" },
    { "DPM++ 2S a", "k_dpmpp_2s_a", "dpmpp_2s_ancestral", "-", SD_SCHEDULER_KARRAS, "DPM-Solver++(2S) ancestral" },
    { "LCM", "k_lcm", "lcm", "LCMScheduler", SD_SCHEDULER_NORMAL, "latent consistency (ComfyUI's sample_lcm)" },
};

typedef struct schedule_names { const char *a1111, *comfy, *diffusers, *about; } schedule_names;

static const schedule_names schedule_table[SD_SCHEDULER_COUNT] = {   /* in sd_scheduler's order */
    { "Automatic", "-", "-", "the sampler's own" },
    { "-", "-", "timestep_spacing linspace (Euler) or leading (DDIM, PNDM)", "diffusers' own timesteps" },
    { "Uniform", "normal", "-", "even in t (k-diffusion's get_sigmas; A1111's Normal is the same to float rounding)" },
    { "Karras", "karras", "use_karras_sigmas=True", "Karras et al. 2022, rho 7" },
    { "Exponential", "exponential", "use_exponential_sigmas=True", "even in log sigma" },
    { "SGM Uniform", "sgm_uniform", "timestep_spacing trailing", "even in t, the last t = 0 left out" },
    { "Simple", "simple", "timestep_spacing trailing", "every (1000/n)-th training sigma" },
};

/* A1111's schedule types (modules/sd_schedulers.py: name, label, alias) and sd's kind for each:
   SD_SCHEDULER_DEFAULT for "Automatic", -1 where sd has none */
static const struct a1111_schedule { const char *name, *label, *alias; int kind; } a1111_schedules[] = {
    { "automatic", "Automatic", NULL, SD_SCHEDULER_DEFAULT },
    { "uniform", "Uniform", NULL, SD_SCHEDULER_NORMAL },            /* k-diffusion's get_sigmas */
    { "karras", "Karras", NULL, SD_SCHEDULER_KARRAS },
    { "exponential", "Exponential", NULL, SD_SCHEDULER_EXPONENTIAL },
    { "polyexponential", "Polyexponential", NULL, -1 },
    { "sgm_uniform", "SGM Uniform", "SGMUniform", SD_SCHEDULER_SGM_UNIFORM },
    { "kl_optimal", "KL Optimal", NULL, -1 },
    { "align_your_steps", "Align Your Steps", NULL, -1 },
    { "simple", "Simple", NULL, SD_SCHEDULER_SIMPLE },
    { "normal", "Normal", NULL, SD_SCHEDULER_NORMAL },   /* t even from sigma_to_t(sigma_max) ~ 999 to 0: Uniform */
    { "ddim", "DDIM", NULL, -1 },
    { "beta", "Beta", NULL, -1 },
};
#define N_A1111_SCHEDULES (int)(sizeof a1111_schedules / sizeof a1111_schedules[0])

/* the same letters, ASCII case aside */
static int same_name(const char *a, const char *b)
{
    if (!a || !b) return 0;
    while (*a && tolower((unsigned char)*a) == tolower((unsigned char)*b)) { a++; b++; }
    return *a == 0 && *b == 0;
}

/* which schedules a sampler takes (sd_sampler_takes): 0 diffusers' only (ddim, pndm), 1 any
   (euler_a, euler), 2 the sigma kinds only (the k-diffusion samplers: heun ... lcm) */
static int sampler_takes(sd_sampler s)
{
    if (!sd_sampler_takes(s, SD_SCHEDULER_KARRAS)) return 0;
    return sd_sampler_takes(s, SD_SCHEDULER_DIFFUSERS) ? 1 : 2;
}

/* a sampler by sd's name, or A1111's, its old alias, ComfyUI's (any case); 0 if none */
static int find_sampler(const char *s, sd_sampler *out)
{
    int i;
    if (sd_sampler_parse(s, out)) return 1;
    if (same_name(s, "euler-a") || same_name(s, "euler_ancestral")) { *out = SD_SAMPLER_EULER_A; return 1; }
    for (i = 0; i < SD_SAMPLER_COUNT; i++)
        if (same_name(s, sd_sampler_name((sd_sampler)i)) || same_name(s, sampler_table[i].a1111) ||
            same_name(s, sampler_table[i].alias) || same_name(s, sampler_table[i].comfy)) { *out = (sd_sampler)i; return 1; }
    return 0;
}

/* a schedule by sd's name or A1111's (label or name, any case): the kind, SD_SCHEDULER_DEFAULT for
   "default" / "Automatic", -1 for one of A1111's that sd has not, -2 for an unknown name */
static int find_schedule(const char *s)
{
    int i;
    for (i = 0; i < SD_SCHEDULER_COUNT; i++) if (same_name(s, sd_scheduler_name((sd_scheduler)i))) return i;
    for (i = 0; i < N_A1111_SCHEDULES; i++)
        if (same_name(s, a1111_schedules[i].name) || same_name(s, a1111_schedules[i].label) || same_name(s, a1111_schedules[i].alias))
            return a1111_schedules[i].kind;
    return -2;
}

static int parse_sampler(const char *s, sd_sampler *out)
{
    if (!find_sampler(s, out)) {
        fprintf(stderr, "sd: --sampler: '%s' is not one of euler_a, euler, ddim, pndm, heun, dpm2, dpm2_a, lms, dpm++2m, dpm++2s_a, lcm "
                        "(sd --help lists them with A1111's names)\n", s);
        return 0;
    }
    return 1;
}

static int parse_scheduler(const char *s, sd_scheduler *out)
{
    int k = find_schedule(s);
    if (k < 0) {
        fprintf(stderr, "sd: --scheduler: '%s' is not one of diffusers, normal, karras, exponential, sgm_uniform, simple "
                        "(sd --help says which sampler takes which)\n", s);
        return 0;
    }
    *out = (sd_scheduler)k;
    return 1;
}

static int parse_rng(const char *s, sd_rng_kind *out)
{
    if (same_name(s, "cpu")) *out = SD_RNG_CPU;
    else if (same_name(s, "philox")) *out = SD_RNG_PHILOX;
    else { fprintf(stderr, "sd: --rng: '%s' is not one of cpu, philox (philox is A1111's GPU noise)\n", s); return 0; }
    return 1;
}

/* the sampler and the schedule go together (the pairs sd_schedule_make takes); else a message that
   says what the sampler takes, and 0 */
static const char *const weighting_names[] = { "none", "a1111", "comfy" };   /* in sd_weighting's order */

static int parse_weighting(const char *s, int *out)
{
    int k;
    for (k = 0; k < 3; k++) if (same_name(s, weighting_names[k])) { *out = k; return 1; }
    fprintf(stderr, "sd: --weighting %s: none, a1111 or comfy\n", s);
    return 0;
}

static int check_schedule(const opts *o)
{
    int takes = sampler_takes(o->sampler);
    sd_scheduler k = o->scheduler;
    char from[4200] = "";
    if (k == SD_SCHEDULER_DEFAULT || takes == 1) return 1;
    if ((o->from_sampler || o->from_scheduler) && o->from_path && strlen(o->from_path) < 4000)
        snprintf(from, sizeof from, " (--from %s gave the %s)", o->from_path,
                 o->from_sampler && o->from_scheduler ? "pair" : o->from_sampler ? "sampler" : "schedule");
    if (takes == 0 && k != SD_SCHEDULER_DIFFUSERS) {
        fprintf(stderr, "sd: --sampler %s takes only --scheduler diffusers, not %s%s\n", sd_sampler_name(o->sampler), sd_scheduler_name(k), from);
        return 0;
    }
    if (takes == 2 && k == SD_SCHEDULER_DIFFUSERS) {
        fprintf(stderr, "sd: --sampler %s takes --scheduler normal, karras, exponential, sgm_uniform or simple [%s], not diffusers "
                        "(diffusers' schedule is for euler_a, euler, ddim and pndm)%s\n",
                sd_sampler_name(o->sampler), sd_scheduler_name(sd_scheduler_default(o->sampler)), from);
        return 0;
    }
    return 1;
}

/* --help's tables: every sampler and schedule with its default, and A1111's names */
static void print_names(void)
{
    int i, k;
    printf("\nsamplers (--sampler NAME; A1111's and ComfyUI's names are taken too):\n");
    printf("  %-10s %-11s %-12s %s\n", "sd", "A1111", "default", "schedules it takes; what it is");
    for (i = 0; i < SD_SAMPLER_COUNT; i++) {
        int t = sampler_takes((sd_sampler)i);
        printf("  %-10s %-11s %-12s %s; %s\n", sd_sampler_name((sd_sampler)i), sampler_table[i].a1111,
               sd_scheduler_name(sd_scheduler_default((sd_sampler)i)),
               t == 0 ? "diffusers only" : t == 1 ? "any" : "the sigma kinds", sampler_table[i].about);
    }
    printf("\nschedules (--scheduler KIND; A1111's \"Schedule type\"):\n");
    printf("  %-12s %-12s %s\n", "sd", "A1111", "what it is");
    for (k = SD_SCHEDULER_DIFFUSERS; k < SD_SCHEDULER_COUNT; k++)
        printf("  %-12s %-12s %s\n", sd_scheduler_name((sd_scheduler)k), schedule_table[k].a1111, schedule_table[k].about);
    printf("  ddim and pndm take only diffusers; euler_a and euler take any; heun, dpm2, dpm2_a, lms, dpm++2m,\n"
           "  dpm++2s_a and lcm take the sigma kinds (normal, karras, exponential, sgm_uniform, simple).\n");
    printf("\nnoise (--rng KIND; A1111's \"RNG\"):\n");
    printf("  %-12s %-12s %s\n", "cpu", "CPU", "torch's CPU generator (torch.randn with a seeded torch.Generator) [the default]");
    printf("  %-12s %-12s %s\n", "philox", "GPU, NV", "A1111's default GPU noise: torch's CUDA Philox, computed as A1111's NV source does");
}

static const char *const commands[] = { "txt2img", "img2img", "inpaint", "info", "tokenize", "randn", "schedule", "text", "unet",
                                        "vae-decode", "vae-encode", NULL };


/* ---------------------------------------------------------------- generation parameters in PNGs
   The "parameters" text chunk, in the form A1111 writes it (modules/processing.py, create_infotext):
     PROMPT
     Negative prompt: NEGATIVE
     Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 42, Size: 512x512, Model: NAME, RNG: CPU
   The settings are "Key: value" pairs separated by ", ", a value in double quotes (JSON escapes)
   when it holds ',', ':' or a newline; missing fields mean A1111's defaults: no "Clip skip" is 1,
   no "RNG" is A1111's GPU noise (sd's philox), no "Schedule type" is "Automatic", the sampler's own.

   What sd writes: A1111's sampler label; the schedule's A1111 label, except diffusers' own schedule,
   which A1111 has not: "Automatic", which A1111 reads as its default for the sampler (for Euler and
   Euler a the same timesteps with sigmas interpolated in log space, for DDIM and PLMS the same
   timesteps) and sd, seeing "Version: sd.h ...", as sd's default (diffusers'); "RNG: CPU" for the
   CPU generator and nothing for philox, as A1111 writes its GPU noise; with LoRAs, --lora options as
   <lora:NAME:W> tags at the prompt's end and A1111's "Lora hashes" (lora_hashes). Numbers are written
   with the fewest digits that read back to the same float, so --from makes the same latent, bit for bit.

   What sd reads: A1111's texts (the schedule folded into the sampler's name, "DPM++ 2M Karras", as
   A1111 wrote it before v1.9, included; A1111 reads it so too: sd_samplers.get_sampler_and_scheduler),
   and sd's; their "Lora hashes" are checked against the LoRA files applied (another hash: a warning).
   Texts that sd wrote before it had schedules and Philox noise carry "Version: sd.h" and no
   "Schedule type": their samplers ran on sd's default schedule and CPU noise, and read so. */

#define MAX_SETTINGS 64
typedef struct infotext {
    const char *prompt, *negative;   /* into the text; negative NULL when there is none */
    size_t prompt_n, negative_n;
    int n;
    char key[MAX_SETTINGS][48];
    char value[MAX_SETTINGS][1024];  /* longer values are cut ("Lora hashes" of some 40 LoRAs is that long) */
} infotext;

/* splits a "parameters" text; 0 if it has no settings line (one that starts with "Steps: ": the last
   such line, so that a prompt may hold one) */
static int infotext_parse(const char *t, infotext *it)
{
    const char *set = NULL, *neg = NULL, *p;
    memset(it, 0, sizeof *it);
    for (p = t; (p = strstr(p, "\nSteps: ")) != NULL; p++) set = p + 1;
    if (!set && !strncmp(t, "Steps: ", 7)) set = t;
    if (!set) return 0;
    if (!strncmp(t, "Negative prompt: ", 17)) neg = t;
    else if ((p = strstr(t, "\nNegative prompt: ")) != NULL && p + 1 < set) neg = p + 1;
    it->prompt = t;
    it->prompt_n = (size_t)((neg ? neg : set) - t);
    if (it->prompt_n) it->prompt_n--;   /* the newline before */
    if (neg) { it->negative = neg + 17; it->negative_n = (size_t)(set - 1 - it->negative); }
    for (p = set; *p && *p != '\n' && it->n < MAX_SETTINGS;) {
        size_t kn = 0, vn = 0;
        char *key = it->key[it->n], *val = it->value[it->n];
        while (*p == ' ' || *p == ',') p++;
        while (*p && *p != ':' && *p != ',' && *p != '\n') { if (kn + 1 < sizeof it->key[0]) key[kn++] = *p; p++; }
        if (*p != ':') continue;   /* not "Key: value": skipped, as A1111's pattern skips it */
        key[kn] = 0;
        for (p++; *p == ' '; p++) {}
        if (*p == '"') {
            for (p++; *p && *p != '"' && *p != '\n'; p++) {
                char c = *p;
                if (c == '\\' && p[1] && p[1] != '\n') { c = *++p; if (c == 'n') c = '\n'; else if (c == 't') c = '\t'; }
                if (vn + 1 < sizeof it->value[0]) val[vn++] = c;
            }
            while (*p && *p != ',' && *p != '\n') p++;
        } else {
            while (*p && *p != ',' && *p != '\n') { if (vn + 1 < sizeof it->value[0]) val[vn++] = *p; p++; }
            while (vn && val[vn - 1] == ' ') vn--;
        }
        val[vn] = 0;
        if (kn) it->n++;
    }
    return 1;
}

static const char *infotext_get(const infotext *it, const char *key)
{
    int i;
    for (i = 0; i < it->n; i++) if (!strcmp(it->key[i], key)) return it->value[i];
    return NULL;
}

/* whole values only: a number in lo..hi */
static int text_int(const char *v, long lo, long hi, int *out)
{
    char *end;
    long x;
    errno = 0;
    x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) return 0;
    *out = (int)x;
    return 1;
}

static int text_double(const char *v, double lo, double hi, double *out)
{
    char *end;
    double x;
    errno = 0;
    x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= lo && x <= hi)) return 0;
    *out = x;
    return 1;
}

/* the fewest digits that read back to the same float (is_float) or double */
static const char *fmt_num(char *buf, size_t cap, double v, int is_float)
{
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        double back;
        snprintf(buf, cap, "%.*g", prec, v);
        back = strtod(buf, NULL);
        if (is_float ? (float)back == (float)v : back == v) break;
    }
    return buf;
}

/* A1111's quote(): the value as it is, or as a JSON string when it holds ',', ':' or a newline */
static const char *quote(char *buf, size_t cap, const char *v)
{
    size_t n = 0;
    if (!strpbrk(v, ",:\n")) return v;
    buf[n++] = '"';
    for (; *v && n + 4 < cap; v++) {
        if (*v == '"' || *v == '\\') buf[n++] = '\\';
        if (*v == '\n') { buf[n++] = '\\'; buf[n++] = 'n'; continue; }
        buf[n++] = *v;
    }
    buf[n++] = '"';
    buf[n] = 0;
    return buf;
}

static void append(char *out, size_t cap, const char *fmt, ...)
{
    size_t n = strlen(out);
    va_list ap;
    if (n + 1 >= cap) return;
    va_start(ap, fmt);
    vsnprintf(out + n, cap - n, fmt, ap);
    va_end(ap);
}

/* A1111's "Schedule type" for a kind: its label; diffusers' own schedule, which A1111 has not, is
   "Automatic" (see above) */
static const char *schedule_label(sd_scheduler k)
{
    return k == SD_SCHEDULER_DIFFUSERS || k == SD_SCHEDULER_DEFAULT ? "Automatic" : schedule_table[k].a1111;
}

/* the "parameters" text of an image sd made; lora_hashes: A1111's "Lora hashes" (lora_hashes below), "" for none */
static void write_parameters(char *out, size_t cap, const sd_params *p, const char *model, int img2img, int inpaint,
                             const char *lora_hashes)
{
    sd_scheduler k = p->scheduler == SD_SCHEDULER_DEFAULT ? sd_scheduler_default(p->sampler) : p->scheduler;
    const char *neg = p->negative_prompt ? p->negative_prompt : "";
    char num[40], q[1024];
    out[0] = 0;
    if (p->prompt[0]) append(out, cap, "%s\n", p->prompt);
    if (neg[0]) append(out, cap, "Negative prompt: %s\n", neg);
    append(out, cap, "Steps: %d, Sampler: %s, Schedule type: %s", p->steps, sampler_table[p->sampler].a1111, schedule_label(k));
    append(out, cap, ", CFG scale: %s", fmt_num(num, sizeof num, p->cfg_scale, 1));
    append(out, cap, ", Seed: %llu, Size: %dx%d, Model: %s", (unsigned long long)p->seed, p->width, p->height, quote(q, sizeof q, model));
    if (img2img) append(out, cap, ", Denoising strength: %s", fmt_num(num, sizeof num, p->strength, 0));
    if (inpaint) append(out, cap, ", Mask blur: %d%s", p->mask_blur, p->mask_paste ? ", Mask paste: True" : "");
    if (p->clip_skip > 1) append(out, cap, ", Clip skip: %d", p->clip_skip);
    if (p->rng == SD_RNG_CPU) append(out, cap, ", RNG: CPU");
    if (lora_hashes[0]) {   /* where A1111 has it: among the extra parameters, after RNG */
        char qh[16384];
        append(out, cap, ", Lora hashes: %s", quote(qh, sizeof qh, lora_hashes));
    }
    if (p->sampler == SD_SAMPLER_DDIM && p->eta > 0) append(out, cap, ", Eta DDIM: %s", fmt_num(num, sizeof num, p->eta, 1));
    if (p->weighting != SD_WEIGHTING_A1111) append(out, cap, ", Prompt weighting: %s", weighting_names[p->weighting]);
    /* SDXL's size conditioning, where it is not the default (the image's size, crop 0,0): sd's own fields */
    if ((p->orig_width && p->orig_width != p->width) || (p->orig_height && p->orig_height != p->height))
        append(out, cap, ", Original size: %dx%d", p->orig_width ? p->orig_width : p->width, p->orig_height ? p->orig_height : p->height);
    if (p->crop_left || p->crop_top) {
        char c[40];
        snprintf(c, sizeof c, "%d,%d", p->crop_left, p->crop_top);
        append(out, cap, ", Crop: %s", quote(q, sizeof q, c));
    }
    if ((p->target_width && p->target_width != p->width) || (p->target_height && p->target_height != p->height))
        append(out, cap, ", Target size: %dx%d", p->target_width ? p->target_width : p->width, p->target_height ? p->target_height : p->height);
    append(out, cap, ", Version: sd.h %s", SD_VERSION_STRING);
}

static void from_bad(opts *o, int which, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->from_issue[which], sizeof o->from_issue[which], fmt, ap);
    va_end(ap);
}

static void from_note(opts *o, const char *what)
{
    size_t n = strlen(o->from_note);
    if (n + 1 < sizeof o->from_note) snprintf(o->from_note + n, sizeof o->from_note - n, "%s%s", n ? ", " : "", what);
}

/* "0.3" (after "sd.h ") at least major.minor */
static int sd_version_at_least(const char *v, int major, int minor)
{
    int a = 0, b = 0;
    while (*v == ' ') v++;
    if (sscanf(v, "%d.%d", &a, &b) < 1) return 0;
    return a > major || (a == major && b >= minor);
}

/* fills o from a "parameters" text; 0 if it is not one. What it cannot take goes to o->from_issue,
   what sd does not do to o->from_note (see above for how each field reads) */
static int parse_parameters(opts *o, const char *t)
{
    static const char *const ignored[] = { "Hires upscale", "Hires resize-1", "Variation seed", "Seed resize from", "Schedule rho",
                                           "Schedule min sigma", "Schedule max sigma", "Refiner", NULL };
    infotext *it = (infotext *)malloc(sizeof *it);
    const char *v, *ver, *sch;
    char name[256];
    int sd_made, old_a1111 = 0, known = 1, k, i;
    size_t n;
    if (!it) return 0;
    memset(o->from_issue, 0, sizeof o->from_issue);
    o->from_note[0] = 0;
    o->from_sampler = o->from_scheduler = o->from_strength = 0;
    if (!infotext_parse(t, it)) { free(it); return 0; }
    n = it->prompt_n < sizeof o->from_text[0] ? it->prompt_n : sizeof o->from_text[0] - 1;
    memcpy(o->from_text[0], it->prompt, n); o->from_text[0][n] = 0;
    o->prompt = o->from_text[0];
    n = it->negative_n < sizeof o->from_text[1] ? it->negative_n : sizeof o->from_text[1] - 1;
    if (it->negative) memcpy(o->from_text[1], it->negative, n);
    o->from_text[1][it->negative ? n : 0] = 0;
    o->negative = o->from_text[1];
    if ((v = infotext_get(it, "Model")) != NULL) { n = strlen(v); memcpy(o->from_text[2], v, n + 1); }
    v = infotext_get(it, "Lora hashes");   /* A1111's "NAME: HASH, ..." (see lora_hashes) */
    snprintf(o->from_lora_hashes, sizeof o->from_lora_hashes, "%s", v ? v : "");

    /* who wrote it: sd, A1111 before v1.9 (no schedule choice: every sampler on k-diffusion's
       get_sigmas unless its name said Karras) or A1111 from v1.9 (and forks that say "v1.N") */
    ver = infotext_get(it, "Version");
    sd_made = ver && !strncmp(ver, "sd.h", 4);
    if (ver && !sd_made) {
        const char *q = strstr(ver, "v1.");
        if (q && isdigit((unsigned char)q[3]) && atoi(q + 3) < 9) old_a1111 = 1;
    }

    if ((v = infotext_get(it, "Steps")) != NULL && !text_int(v, 1, 1000, &o->steps))
        from_bad(o, FROM_STEPS, "Steps: '%s' is not a whole number in 1..1000 (give --steps after --from)", v);

    sch = infotext_get(it, "Schedule type");
    if ((v = infotext_get(it, "Sampler")) != NULL) {
        size_t len, best = 0;
        const char *folded = NULL;
        sd_sampler s;
        snprintf(name, sizeof name, "%s", v);
        len = strlen(name);
        for (i = 0; i < N_A1111_SCHEDULES; i++) {   /* "DPM++ 2M Karras": the longest schedule name it ends with */
            const char *opt[3];
            int j;
            opt[0] = a1111_schedules[i].label; opt[1] = a1111_schedules[i].name; opt[2] = a1111_schedules[i].alias;
            for (j = 0; j < 3; j++) {
                size_t ol = opt[j] ? strlen(opt[j]) : 0;
                if (ol && len > ol + 1 && ol > best && name[len - ol - 1] == ' ' && same_name(name + len - ol, opt[j])) { best = ol; folded = opt[j]; }
            }
        }
        if (folded) { name[len - best - 1] = 0; sch = folded; }
        if (find_sampler(name, &s)) { o->sampler = s; o->from_sampler = 1; }
        else {
            char list[256] = "";
            for (i = 0; i < SD_SAMPLER_COUNT; i++) append(list, sizeof list, "%s%s", i ? ", " : "", sampler_table[i].a1111);
            from_bad(o, FROM_SAMPLER, "Sampler: '%s' is not one sd has (%s); give --sampler after --from", name, list);
            known = 0;
        }
    }
    k = sch ? find_schedule(sch) : SD_SCHEDULER_DEFAULT;
    if (k < 0) {
        from_bad(o, FROM_SCHEDULER, "Schedule type: '%s' is not one sd has (Automatic, Uniform, Normal, Karras, Exponential, "
                                    "SGM Uniform, Simple); give --scheduler after --from", sch);
        k = SD_SCHEDULER_DEFAULT;
    } else if (!sd_made && known && sampler_takes(o->sampler) == 0)
        k = SD_SCHEDULER_DIFFUSERS;   /* A1111's DDIM and PLMS run their own timesteps whatever the schedule says */
    else if (!sd_made && known && k == SD_SCHEDULER_DEFAULT)   /* A1111's "Automatic": its choice for the sampler */
        k = old_a1111 ? SD_SCHEDULER_NORMAL : sampler_table[o->sampler].a1111_auto;
    o->scheduler = (sd_scheduler)k;
    o->from_scheduler = 1;

    if ((v = infotext_get(it, "RNG")) != NULL) {
        if (same_name(v, "CPU")) o->rng = SD_RNG_CPU;
        else if (same_name(v, "GPU") || same_name(v, "NV")) o->rng = SD_RNG_PHILOX;
        else from_bad(o, FROM_RNG, "RNG: '%s' is not one sd has (CPU, GPU, NV); give --rng after --from", v);
    } else   /* A1111's GPU noise; sd before it had Philox (no "Schedule type" either) wrote no RNG for its CPU noise */
        o->rng = sd_made && !infotext_get(it, "Schedule type") ? SD_RNG_CPU : SD_RNG_PHILOX;

    if ((v = infotext_get(it, "CFG scale")) != NULL && !text_double(v, 0, 100, &o->cfg))
        from_bad(o, FROM_CFG, "CFG scale: '%s' is not a number in 0..100 (give --cfg-scale after --from)", v);
    if ((v = infotext_get(it, "Seed")) != NULL) {
        char *end;
        unsigned long long x;
        errno = 0;
        x = strtoull(v, &end, 10);
        if (errno || end == v || *end || *v == '-' || *v == '+' || *v == ' ')
            from_bad(o, FROM_SEED, "Seed: '%s' is not a whole number in 0..18446744073709551615 (give --seed after --from)", v);
        else { o->seed = (uint64_t)x; o->have_seed = 1; }
    }
    if ((v = infotext_get(it, "Size")) != NULL) {
        int w, h;
        char *x;
        snprintf(name, sizeof name, "%s", v);
        x = strchr(name, 'x');
        if (x) *x = 0;
        if (x && text_int(name, 8, 2048, &w) && text_int(x + 1, 8, 2048, &h) && w % 8 == 0 && h % 8 == 0) { o->width = w; o->height = h; }
        else from_bad(o, FROM_SIZE, "Size: '%s' is not WxH with multiples of 8 in 8..2048 (give -W and -H after --from)", v);
    }
    /* how the prompt reads: sd writes its weighting when it is not A1111's; sd before 0.3 had only diffusers' */
    if ((v = infotext_get(it, "Prompt weighting")) != NULL) {
        for (k = 0; k < 3 && !same_name(v, weighting_names[k]); k++) {}
        if (k < 3) o->weighting = k;
        else from_bad(o, FROM_WEIGHTING, "Prompt weighting: '%s' is not one sd has (none, a1111, comfy); give --weighting after --from", v);
    } else o->weighting = sd_made && !sd_version_at_least(ver + 4, 0, 3) ? SD_WEIGHTING_NONE : SD_WEIGHTING_A1111;
    o->mask_blur = 0; o->mask_paste = 0;   /* (the mask itself is not in the text: give --mask) */
    if ((v = infotext_get(it, "Mask blur")) != NULL && !text_int(v, 0, 200, &o->mask_blur)) o->mask_blur = 0;
    if ((v = infotext_get(it, "Mask paste")) != NULL && same_name(v, "True")) o->mask_paste = 1;
    o->clip_skip = 1;
    if ((v = infotext_get(it, "Clip skip")) != NULL && !text_int(v, 1, 12, &o->clip_skip))
        from_bad(o, FROM_CLIP_SKIP, "Clip skip: '%s' is not a whole number in 1..12 (give --clip-skip after --from)", v);
    if ((v = infotext_get(it, "Denoising strength")) != NULL && !(o->from_strength = text_double(v, 0, 1, &o->strength)))
        from_bad(o, FROM_STRENGTH, "Denoising strength: '%s' is not a number in 0..1 (give --strength after --from)", v);
    /* DDIM's eta: A1111's "Eta DDIM" (none: 0); sd wrote "Eta" before. A1111's "Eta" is the ancestral samplers' */
    o->eta = 0;
    v = infotext_get(it, "Eta DDIM");
    if (!v && sd_made) v = infotext_get(it, "Eta");
    if (v && !text_double(v, 0, 1, &o->eta)) from_bad(o, FROM_ETA, "Eta DDIM: '%s' is not a number in 0..1 (give --eta after --from)", v);
    if (!sd_made && (v = infotext_get(it, "Eta")) != NULL && atof(v) != 1.0) from_note(o, "Eta (the ancestral samplers' noise; sd's is 1)");
    if ((v = infotext_get(it, "ENSD")) != NULL && atof(v) != 0.0) from_note(o, "ENSD");
    o->orig_w = o->orig_h = o->crop_x = o->crop_y = o->target_w = o->target_h = 0;   /* SDXL's size conditioning (sd's fields) */
    if ((v = infotext_get(it, "Original size")) != NULL && !(sscanf(v, "%dx%d", &o->orig_w, &o->orig_h) == 2 && o->orig_w >= 1 &&
                                                             o->orig_h >= 1 && o->orig_w <= 65536 && o->orig_h <= 65536)) {
        o->orig_w = o->orig_h = 0; from_note(o, "Original size");
    }
    if ((v = infotext_get(it, "Crop")) != NULL && !(sscanf(v, "%d,%d", &o->crop_x, &o->crop_y) == 2 && o->crop_x >= 0 && o->crop_y >= 0 &&
                                                    o->crop_x <= 65536 && o->crop_y <= 65536)) {
        o->crop_x = o->crop_y = 0; from_note(o, "Crop");
    }
    if ((v = infotext_get(it, "Target size")) != NULL && !(sscanf(v, "%dx%d", &o->target_w, &o->target_h) == 2 && o->target_w >= 1 &&
                                                           o->target_h >= 1 && o->target_w <= 65536 && o->target_h <= 65536)) {
        o->target_w = o->target_h = 0; from_note(o, "Target size");
    }
    if ((v = infotext_get(it, "Discard penultimate sigma")) != NULL && same_name(v, "True")) from_note(o, "Discard penultimate sigma");
    for (i = 0; ignored[i]; i++) if (infotext_get(it, ignored[i])) from_note(o, ignored[i]);
    if (!sd_made && known && o->sampler == SD_SAMPLER_LCM) from_note(o, "A1111's LCM denoiser (sd's lcm is ComfyUI's)");
    free(it);
    return 1;
}

static int apply_from(opts *o, const char *png)
{
    sdpng_text *t = NULL;
    int n = 0, w, h, i, found = 0;
    const char *why = "";
    unsigned char *img = sdpng_read_file(png, &w, &h, 3, &t, &n, &why);
    if (!img) { fprintf(stderr, "sd: --from %s: %s\n", png, why); return 0; }
    sdpng_free(img);
    o->from_path = png;
    for (i = 0; i < n; i++) if (!strcmp(t[i].key, "parameters")) found = parse_parameters(o, t[i].text);
    sdpng_free_texts(t, n);
    if (!found) fprintf(stderr, "sd: --from %s: no generation parameters in this PNG\n", png);
    else if (o->from_note[0]) fprintf(stderr, "sd: --from %s: not applied (the image may differ): %s\n", png, o->from_note);
    return found;
}

/* what sd takes from a text, as the options that say the same */
static void print_settings(const opts *o)
{
    sd_scheduler k = o->scheduler == SD_SCHEDULER_DEFAULT ? sd_scheduler_default(o->sampler) : o->scheduler;
    char num[40];
    int i;
    printf("sd reads it as: --sampler %s --scheduler %s --rng %s --steps %d", sd_sampler_name(o->sampler), sd_scheduler_name(k),
           o->rng == SD_RNG_PHILOX ? "philox" : "cpu", o->steps);
    printf(" --cfg-scale %s", fmt_num(num, sizeof num, (float)o->cfg, 1));
    if (o->have_seed) printf(" --seed %llu", (unsigned long long)o->seed);
    printf(" -W %d -H %d", o->width, o->height);
    if (o->clip_skip > 1) printf(" --clip-skip %d", o->clip_skip);
    if (o->sampler == SD_SAMPLER_DDIM && o->eta > 0) printf(" --eta %s", fmt_num(num, sizeof num, (float)o->eta, 1));
    if (o->from_strength) printf(" --strength %s", fmt_num(num, sizeof num, o->strength, 0));
    printf(" --weighting %s", weighting_names[o->weighting < 0 ? SD_WEIGHTING_A1111 : o->weighting]);
    if (o->orig_w) printf(" --original-size %dx%d", o->orig_w, o->orig_h);
    if (o->crop_x || o->crop_y) printf(" --crop %d,%d", o->crop_x, o->crop_y);
    if (o->target_w) printf(" --target-size %dx%d", o->target_w, o->target_h);
    printf("\n  (in A1111's words: Sampler: %s, Schedule type: %s, noise: %s)\n", sampler_table[o->sampler].a1111,
           schedule_label(k), o->rng == SD_RNG_PHILOX ? "GPU" : "CPU");
    for (i = 0; i < FROM_N; i++) if (o->from_issue[i][0]) printf("sd cannot take: %s\n", o->from_issue[i]);
    if (!check_schedule(o)) printf("sd cannot take: the sampler and the schedule together (see above)\n");
    if (o->from_note[0]) printf("sd does not apply: %s\n", o->from_note);
}

/* returns 0 on success, 1 on a bad command line (message printed), 2 for --help */
static void print_usage(void)
{
    fputs(usage, stdout);
    fputs(usage_prompts, stdout);
    print_names();
}

static int parse_args(int argc, char **argv, opts *o)
{
    int i, bad;
    memset(o, 0, sizeof *o);
    o->cmd = "txt2img";
    o->negative = "";
    o->steps = 20; o->width = 512; o->height = 512; o->cfg = 7.0; o->clip_skip = 1;
    o->strength = 0.75; o->sampler = SD_SAMPLER_EULER_A;
    o->weighting = -1;
    i = 1;
    if (argc > 1 && argv[1][0] != '-') {
        int k;
        for (k = 0; commands[k] && strcmp(commands[k], argv[1]); k++) {}
        if (!commands[k]) { fprintf(stderr, "sd: unknown command '%s' (try sd --help)\n", argv[1]); return 1; }
        o->cmd = commands[k];
        i = 2;
    }
    for (; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        char name[64];
        const char *eq = strchr(a, '=');
        if (a[0] != '-' || !a[1]) {
            if (!o->path) { o->path = a; continue; }
            fprintf(stderr, "sd: unexpected argument '%s' (try sd --help)\n", a);
            return 1;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return 2;
        if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) { o->quiet = 1; continue; }
        if (!strcmp(a, "--reference")) { o->reference = 1; continue; }
        if (!strcmp(a, "--low-memory")) { o->low_memory = 1; continue; }
        if (!strcmp(a, "--bf16")) { o->bf16 = 1; continue; }
        if (!strcmp(a, "--pooled")) { o->pooled = 1; continue; }
        if (!strcmp(a, "--gpu")) { o->gpu = SD_GPU_FP16; continue; }
        if (!strcmp(a, "--gpu-fp32")) { o->gpu = SD_GPU_FP32; continue; }
        if (!strcmp(a, "--preview-decode")) { o->preview_decode = 1; continue; }
        if (!strcmp(a, "--mask-paste")) { o->mask_paste = 1; continue; }
        if (a[1] == '-' && eq && (size_t)(eq - a) < sizeof name) {
            memcpy(name, a, (size_t)(eq - a)); name[eq - a] = 0;
            a = name; v = eq + 1;
        } else {
            static const char *const valued[] = { "-m", "--model", "--vocab", "--vae", "-p", "--prompt", "-n", "--negative-prompt",
                "--negative", "-o", "--output", "-i", "--init-img", "--init", "--latent-out", "--image-out", "--x", "--context", "--z",
                "--image", "--logvar", "--shape", "--preview", "--preview-every", "--from", "--t", "--strength", "--cfg", "--cfg-scale",
                "--eta", "--steps", "-W", "--width", "-H", "--height", "--clip-skip", "-t", "--threads", "-s", "--seed", "--sampler", "--scheduler", "--rng",
                "--weighting", "--embedding", "--embedding-dir", "--y", "--pooled-out", "--original-size", "--target-size", "--crop", "--lora", "--lora-dir", "--lora-apply", "--mask", "--mask-blur", "--prediction", "--taesd", NULL };
            int k;
            for (k = 0; valued[k] && strcmp(valued[k], a); k++) {}
            if (!valued[k]) { fprintf(stderr, "sd: unknown option '%s' (try sd --help)\n", a); return 1; }
            if (i + 1 >= argc) { fprintf(stderr, "sd: %s needs a value (try sd --help)\n", a); return 1; }
            v = argv[++i];
        }
#define OPT(s, l) (!strcmp(a, s) || !strcmp(a, l))
        if (OPT("-m", "--model")) o->model = v;
        else if (!strcmp(a, "--vocab")) o->vocab = v;
        else if (!strcmp(a, "--vae")) o->vae = v;
        else if (OPT("-p", "--prompt")) o->prompt = v;
        else if (OPT("-n", "--negative-prompt") || !strcmp(a, "--negative")) o->negative = v;
        else if (OPT("-o", "--output")) o->output = v;
        else if (OPT("-i", "--init-img") || !strcmp(a, "--init")) o->init = v;
        else if (!strcmp(a, "--latent-out")) o->latent_out = v;
        else if (!strcmp(a, "--image-out")) o->image_out = v;
        else if (!strcmp(a, "--x")) o->x = v;
        else if (!strcmp(a, "--context")) o->context = v;
        else if (!strcmp(a, "--y")) o->y = v;
        else if (!strcmp(a, "--pooled-out")) o->pooled_out = v;
        else if (!strcmp(a, "--original-size") || !strcmp(a, "--target-size")) {
            int w, h, n = 0;
            if (sscanf(v, "%dx%d%n", &w, &h, &n) != 2 || v[n] || w < 1 || h < 1 || w > 65536 || h > 65536) {
                fprintf(stderr, "sd: %s WIDTHxHEIGHT (e.g. 1024x1024), not '%s'\n", a, v); return 1;
            }
            if (a[2] == 'o') { o->orig_w = w; o->orig_h = h; } else { o->target_w = w; o->target_h = h; }
        } else if (!strcmp(a, "--crop")) {
            int x, y, n = 0;
            if (sscanf(v, "%d,%d%n", &x, &y, &n) != 2 || v[n] || x < 0 || y < 0 || x > 65536 || y > 65536) {
                fprintf(stderr, "sd: --crop LEFT,TOP (pixels, e.g. 0,0), not '%s'\n", v); return 1;
            }
            o->crop_x = x; o->crop_y = y;
        }
        else if (!strcmp(a, "--z")) o->z = v;
        else if (!strcmp(a, "--image")) o->image = v;
        else if (!strcmp(a, "--logvar")) o->logvar = v;
        else if (!strcmp(a, "--shape")) o->shape = v;
        else if (!strcmp(a, "--preview")) { o->preview = v; if (!o->preview_every) o->preview_every = 1; }
        else if (!strcmp(a, "--preview-every")) { if (!parse_int("--preview-every", v, 1, 1000, &o->preview_every)) return 1; }
        else if (!strcmp(a, "--from")) { if (!apply_from(o, v)) return 1; }
        else if (!strcmp(a, "--t")) { if (!parse_double("--t", v, 0, 1000, &o->t)) return 1; }
        else if (!strcmp(a, "--strength")) { if (!parse_double("--strength", v, 0, 1, &o->strength)) return 1; o->from_issue[FROM_STRENGTH][0] = 0; }
        else if (!strcmp(a, "--cfg") || !strcmp(a, "--cfg-scale")) { if (!parse_double(a, v, 0, 100, &o->cfg)) return 1; o->from_issue[FROM_CFG][0] = 0; }
        else if (!strcmp(a, "--eta")) { if (!parse_double("--eta", v, 0, 1, &o->eta)) return 1; o->from_issue[FROM_ETA][0] = 0; }
        else if (!strcmp(a, "--steps")) { if (!parse_int("--steps", v, 1, 1000, &o->steps)) return 1; o->from_issue[FROM_STEPS][0] = 0; }
        else if (OPT("-W", "--width")) { if (!parse_int("--width", v, 8, 2048, &o->width)) return 1; o->from_issue[FROM_SIZE][0] = 0; }
        else if (OPT("-H", "--height")) { if (!parse_int("--height", v, 8, 2048, &o->height)) return 1; o->from_issue[FROM_SIZE][0] = 0; }
        else if (!strcmp(a, "--clip-skip")) { if (!parse_int("--clip-skip", v, 1, 12, &o->clip_skip)) return 1; o->from_issue[FROM_CLIP_SKIP][0] = 0; }
        else if (OPT("-t", "--threads")) { if (!parse_int("--threads", v, 1, 1024, &o->threads)) return 1; }
        else if (OPT("-s", "--seed")) { if (!parse_u64("--seed", v, &o->seed)) return 1; o->have_seed = 1; o->from_issue[FROM_SEED][0] = 0; }
        else if (!strcmp(a, "--sampler")) { if (!parse_sampler(v, &o->sampler)) return 1; o->from_sampler = 0; o->from_issue[FROM_SAMPLER][0] = 0; }
        else if (!strcmp(a, "--scheduler")) { if (!parse_scheduler(v, &o->scheduler)) return 1; o->from_scheduler = 0; o->from_issue[FROM_SCHEDULER][0] = 0; }
        else if (!strcmp(a, "--rng")) { if (!parse_rng(v, &o->rng)) return 1; o->from_issue[FROM_RNG][0] = 0; }
        else if (!strcmp(a, "--weighting")) { if (!parse_weighting(v, &o->weighting)) return 1; o->from_issue[FROM_WEIGHTING][0] = 0; }
        else if (!strcmp(a, "--embedding")) {
            if (o->n_embedding == 64) { fprintf(stderr, "sd: more than 64 --embedding options\n"); return 1; }
            o->embedding[o->n_embedding++] = v;
        } else if (!strcmp(a, "--embedding-dir")) o->embedding_dir = v;
        else if (!strcmp(a, "--lora")) {
            if (o->n_lora == 64) { fprintf(stderr, "sd: more than 64 --lora options\n"); return 1; }
            o->lora[o->n_lora++] = v;
        } else if (!strcmp(a, "--lora-dir")) o->lora_dir = v;
        else if (!strcmp(a, "--lora-apply")) {
            if (!strcmp(v, "auto")) o->lora_apply = SD_LORA_AUTO;
            else if (!strcmp(v, "merge")) o->lora_apply = SD_LORA_MERGE;
            else if (!strcmp(v, "beside")) o->lora_apply = SD_LORA_BESIDE;
            else { fprintf(stderr, "sd: --lora-apply auto, merge or beside, not '%s'\n", v); return 1; }
        }
        else if (!strcmp(a, "--mask")) o->mask = v;
        else if (!strcmp(a, "--taesd")) {
            if (o->n_taesd == 2) { fprintf(stderr, "sd: --taesd at most twice (a decoder and an encoder file)\n"); return 1; }
            o->taesd[o->n_taesd++] = v;
        }
        else if (!strcmp(a, "--prediction")) {
            if (same_name(v, "eps") || same_name(v, "epsilon")) o->prediction = SD_PREDICTION_EPS;
            else if (same_name(v, "v") || same_name(v, "v_prediction")) o->prediction = SD_PREDICTION_V;
            else { fprintf(stderr, "sd: --prediction %s: eps or v\n", v); return 1; }
        }
        else if (!strcmp(a, "--mask-blur")) { if (!parse_int("--mask-blur", v, 0, 200, &o->mask_blur)) return 1; }
        else { fprintf(stderr, "sd: unknown option '%s' (try sd --help)\n", a); return 1; }
#undef OPT
    }
    if (o->path && !o->model && strcmp(o->cmd, "info") != 0 && o->path[0]) {
        fprintf(stderr, "sd: unexpected argument '%s' (try sd --help)\n", o->path);
        return 1;
    }
    if ((o->width % 8) || (o->height % 8)) {
        fprintf(stderr, "sd: width and height must be multiples of 8 (got %dx%d)\n", o->width, o->height);
        return 1;
    }
    for (i = 0, bad = 0; i < FROM_N; i++)
        if (o->from_issue[i][0]) { fprintf(stderr, "sd: --from %s: %s\n", o->from_path ? o->from_path : "", o->from_issue[i]); bad = 1; }
    if (bad || !check_schedule(o)) return 1;
    return 0;
}

/* ---------------------------------------------------------------- helpers */

static sd_model *new_model(const opts *o)
{
    sd_config c = sd_config_default();
    sd_model *m;
    c.n_threads = o->threads;
    if (o->reference) c.reference = 1;
    c.low_memory = o->low_memory;
    c.bf16 = o->bf16;
    c.lora_apply = o->lora_apply;
    c.gpu = (sd_gpu)o->gpu;
    m = sd_create(&c);
    if (!m) fprintf(stderr, "sd: out of memory\n");
    else if (o->gpu && !sd_using_gpu(m)) fprintf(stderr, "sd: %s\n", sd_error(m));
    return m;
}

/* --lora FILE[:W]: the path into path, the weight returned (1 without one; the part after the last
   ':' is the weight only if it reads as a number, so C:\x.safetensors is a path) */
static double lora_option(const char *v, char *path, size_t cap)
{
    const char *c = strrchr(v, ':');
    char *end;
    double w = 1.0;
    size_t n = strlen(v);
    if (c && c[1]) {
        w = strtod(c + 1, &end);
        if (*end == 0 && w == w) n = (size_t)(c - v); else w = 1.0;
    }
    if (n >= cap) n = cap - 1;
    memcpy(path, v, n); path[n] = 0;
    return w;
}

/* a file name without folder and extension */
static void file_stem(const char *path, char *out, size_t cap)
{
    const char *b = path, *p, *dot;
    size_t n;
    for (p = path; *p; p++) if (*p == '/' || *p == '\\') b = p + 1;
    dot = strrchr(b, '.');
    n = dot && dot > b ? (size_t)(dot - b) : strlen(b);
    if (n >= cap) n = cap - 1;
    memcpy(out, b, n); out[n] = 0;
}

/* every .safetensors file of --embedding-dir (sorted by name, so the order is the same everywhere) */
static int load_embedding_dir(sd_model *m, const char *dir)
{
#ifdef HAVE_ISATTY
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL, path[4096];
    int n = 0, cap = 0, i, j, rc = 0;
    if (!d) return die("--embedding-dir %s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 12 || strcmp(e->d_name + len - 12, ".safetensors") != 0) {
            if (len > 3 && (!strcmp(e->d_name + len - 3, ".pt") || (len > 4 && !strcmp(e->d_name + len - 4, ".bin"))))
                fprintf(stderr, "sd: --embedding-dir: skipping %s (a PyTorch pickle; sd --embedding %s/%s says how to convert it)\n",
                        e->d_name, dir, e->d_name);
            continue;
        }
        if (n == cap) {
            char **g = (char **)realloc(names, (size_t)(cap = cap ? 2 * cap : 16) * sizeof *g);
            if (!g) { rc = die("out of memory"); break; }
            names = g;
        }
        if (!(names[n] = (char *)malloc(len + 1))) { rc = die("out of memory"); break; }
        memcpy(names[n++], e->d_name, len + 1);
    }
    closedir(d);
    for (i = 1; i < n; i++)   /* insertion sort: a directory holds few */
        for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) { char *t = names[j]; names[j] = names[j - 1]; names[j - 1] = t; }
    for (i = 0; i < n && !rc; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (sd_load_embedding(m, path) != SD_OK) rc = die("%s", sd_error(m));
    }
    for (i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
#else
    (void)m;
    return die("--embedding-dir %s: this build cannot list folders; give each file with --embedding", dir);
#endif
}

static int load_model(sd_model *m, const opts *o)
{
    int i;
    if (!o->model) return die("no model given: -m MODEL.safetensors (an SD 1.x checkpoint, e.g. v1-5-pruned-emaonly.safetensors)");
    if (sd_load(m, o->model) != SD_OK) return die("%s", sd_error(m));
    if (o->vae && sd_load_vae(m, o->vae) != SD_OK) return die("%s", sd_error(m));
    for (i = 0; i < o->n_taesd; i++)
        if (sd_load_taesd(m, o->taesd[i]) != SD_OK) return die("--taesd %s", sd_error(m));
    if (o->embedding_dir && load_embedding_dir(m, o->embedding_dir)) return 1;
    for (i = 0; i < o->n_embedding; i++)
        if (sd_load_embedding(m, o->embedding[i]) != SD_OK) return die("%s", sd_error(m));
    for (i = 0; i < o->n_lora; i++) {
        char path[4096];
        double w = lora_option(o->lora[i], path, sizeof path);
        if (sd_load_lora(m, path, (float)w, (float)w) != SD_OK) return die("%s", sd_error(m));
    }
    return 0;
}

/* the <lora:NAME:W> tags of the prompt, each loaded from --lora-dir (unless --lora gave that file) */
static int load_prompt_loras(sd_model *m, const opts *o, const char *prompt)
{
    sd_lora_tag tags[64];
    int n = sd_prompt_loras(prompt, NULL, tags, 64), i, k;
    if (n < 0) return die("the prompt has a <lora:...> tag whose weight is not a number");
    if (n > 64) return die("the prompt has %d <lora:...> tags: 64 at most", n);
    for (i = 0; i < n; i++) {
        char path[4096], name[256];
        int dup = 0;
        for (k = 0; k < o->n_lora; k++) { lora_option(o->lora[k], path, sizeof path); file_stem(path, name, sizeof name); dup |= !strcmp(name, tags[i].name); }
        if (dup) { fprintf(stderr, "sd: <lora:%s> in the prompt: already applied with --lora\n", tags[i].name); continue; }
        if (!o->lora_dir) return die("the prompt names <lora:%s>: give --lora-dir DIR (where %s.safetensors is)", tags[i].name, tags[i].name);
        if (snprintf(path, sizeof path, "%s/%s.safetensors", o->lora_dir, tags[i].name) >= (int)sizeof path) return die("--lora-dir: path too long");
        if (sd_load_lora(m, path, tags[i].te_weight, tags[i].unet_weight) != SD_OK) return die("<lora:%s>: %s", tags[i].name, sd_error(m));
    }
    return 0;
}

/* ---------------------------------------------------------------- A1111's "Lora hashes"
   SHA-256 (FIPS 180-4) in a few plain lines, for the hashes A1111 writes of the LoRAs it applied;
   sd --selftest-sha256 checks it on the standard vectors. */

typedef struct sha256_ctx { uint32_t h[8]; uint64_t bytes; unsigned char buf[64]; } sha256_ctx;

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2 };

#define ROR32(x, n) ((x) >> (n) | (x) << (32 - (n)))
/* one 64-byte block into the state h */
static void sha256_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7], t1, t2;
    int i;
    for (i = 0; i < 16; i++) w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (; i < 64; i++)
        w[i] = w[i - 16] + (ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ w[i - 15] >> 3) + w[i - 7]
             + (ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ w[i - 2] >> 10);
    for (i = 0; i < 64; i++) {   /* (k is FIPS's h) */
        t1 = k + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
        t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}
#undef ROR32

static void sha256_init(sha256_ctx *s)
{
    static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    memcpy(s->h, h0, sizeof h0);
    s->bytes = 0;
}

static void sha256_update(sha256_ctx *s, const void *data, size_t n)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t have = (size_t)(s->bytes % 64), k;
    s->bytes += n;
    if (have) {   /* fill the block begun before */
        k = 64 - have < n ? 64 - have : n;
        memcpy(s->buf + have, p, k);
        p += k; n -= k;
        if (have + k < 64) return;
        sha256_block(s->h, s->buf);
    }
    for (; n >= 64; p += 64, n -= 64) sha256_block(s->h, p);
    memcpy(s->buf, p, n);
}

/* the digest as 64 lowercase hex digits: 0x80, zeros, the length in bits (big-endian) */
static void sha256_hex(sha256_ctx *s, char hex[65])
{
    unsigned char pad[72] = { 0x80 };
    uint64_t bits = s->bytes * 8;
    size_t np = 64 - (size_t)((s->bytes + 8) % 64), i;   /* 1..64 */
    for (i = 0; i < 8; i++) pad[np + i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_update(s, pad, np + 8);
    for (i = 0; i < 32; i++) sprintf(hex + 2 * i, "%02x", (unsigned)(s->h[i / 4] >> (24 - 8 * (i % 4)) & 0xff));
}

/* a JSON string after its opening quote into out (cut at cap - 1; \uXXXX as '?', other escapes as
   the letter after the backslash: only ASCII keys and hex values are read); returns the position
   after its closing quote */
static const char *json_string(const char *p, const char *e, char *out, size_t cap)
{
    size_t n = 0;
    for (; p < e && *p != '"'; p++) {
        char c = *p;
        if (c == '\\' && p + 1 < e && (c = *++p) == 'u') { c = '?'; p += e - p > 4 ? 4 : e - p - 1; }
        if (n + 1 < cap) out[n++] = c;
    }
    out[n] = 0;
    return p < e ? p + 1 : e;
}

/* the string value of key in the "__metadata__" object of a safetensors JSON header h[0..n) into
   out ("" without one): a walk that counts the depth, reading strings whole */
static void safetensors_metadata(const char *h, size_t n, const char *key, char *out, size_t cap)
{
    const char *p = h, *e = h + n;
    int depth = 0, meta_next = 0, in_meta = 0, want = 0;
    char s[256];
    out[0] = 0;
    while (p < e) {
        if (*p == '"') {
            int is_key;
            p = json_string(p + 1, e, s, sizeof s);
            while (p < e && isspace((unsigned char)*p)) p++;
            is_key = p < e && *p == ':';
            if (depth == 1 && is_key) meta_next = !strcmp(s, "__metadata__");
            else if (depth == 2 && in_meta && is_key) want = !strcmp(s, key);
            else if (depth == 2 && in_meta && want) { size_t l = strlen(s) < cap ? strlen(s) : cap - 1; memcpy(out, s, l); out[l] = 0; return; }
            continue;
        }
        if (*p == '{' || *p == '[') { if (++depth == 2) in_meta = meta_next && *p == '{'; }
        else if (*p == '}' || *p == ']') { if (--depth < 2) in_meta = want = 0; }
        p++;
    }
}

/* A1111's hash of a LoRA file (extensions-builtin/Lora/network.py, NetworkOnDisk): the
   "sshs_model_hash" of its safetensors metadata where it has one (kohya's sd-scripts write it),
   else the "addnet" hash (modules/hashes.py, addnet_hash_safetensors): the SHA-256 of what follows
   the 8-byte header length and the JSON header, the tensors' bytes; a file not named .safetensors
   is hashed whole (hashes.calculate_sha256). Into hash its first 12 characters, A1111's shorthash.
   0 if the file cannot be read. */
static int lora_file_hash(const char *path, char hash[13])
{
    FILE *f = fopen(path, "rb");
    size_t pl = strlen(path), n, i;
    unsigned char len8[8], *buf = (unsigned char *)malloc(1 << 20);
    char hex[65] = "";
    sha256_ctx s;
    int ok = f && buf;
    if (ok && pl >= 12 && same_name(path + pl - 12, ".safetensors")) {
        uint64_t hn = 0;
        char *header = NULL;
        ok = fread(len8, 1, 8, f) == 8;
        for (i = 8; i-- > 0;) hn = hn << 8 | len8[i];
        ok = ok && hn <= 100000000 && (header = (char *)malloc((size_t)hn + 1)) != NULL;   /* safetensors' limit */
        ok = ok && fread(header, 1, (size_t)hn, f) == hn;
        if (ok) safetensors_metadata(header, (size_t)hn, "sshs_model_hash", hex, sizeof hex);
        free(header);
    }
    if (ok && !hex[0]) {   /* the rest of the file */
        sha256_init(&s);
        while ((n = fread(buf, 1, 1 << 20, f)) > 0) sha256_update(&s, buf, n);
        if ((ok = !ferror(f)) != 0) sha256_hex(&s, hex);
    }
    if (f) fclose(f);
    free(buf);
    snprintf(hash, 13, "%.12s", ok ? hex : "");   /* (the first 12 hex digits) */
    return ok && hash[0];
}

/* the hash given to name in a "Lora hashes" value ("NAME: HASH, NAME: HASH") into hash; 0 if the
   name is not there */
static int lora_hash_of(const char *list, const char *name, char hash[13])
{
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ','), *colon;
        size_t nl, hl;
        if (!end) end = p + strlen(p);
        while (*p == ' ') p++;
        colon = strchr(p, ':');
        if (colon && colon < end) {
            const char *h = colon + 1;
            for (nl = (size_t)(colon - p); nl && p[nl - 1] == ' '; nl--) {}
            while (*h == ' ') h++;
            for (hl = (size_t)(end - h); hl && h[hl - 1] == ' '; hl--) {}
            if (nl == strlen(name) && !strncmp(p, name, nl) && hl < 13) { memcpy(hash, h, hl); hash[hl] = 0; return 1; }
        }
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* A1111's "Lora hashes" (extensions-builtin/Lora/extra_networks_lora.py, activate) into out:
   "NAME: HASH, NAME: HASH" for the LoRAs of the prompt sd writes, in the order of their tags there
   (the prompt's own, then one for each --lora option), NAME the tag's name (A1111's mentioned_name:
   the name the prompt used, which for --lora FILE is the file's name without extension) with ':'
   and ',' taken out, each name once (a dict: its first place, the file applied); HASH
   lora_file_hash's. A LoRA whose file cannot be read is left out, as A1111 leaves out one without a
   hash. Each file is read once, the checkpoint never. When --from's text has the entry, a name with
   another hash there is warned of: another file of that name, so the image may differ. */
static void lora_hashes(const opts *o, const char *prompt, char *out, size_t cap)
{
    typedef struct { char name[256]; char path[4096]; } entry;
    sd_lora_tag tags[64];
    int nt = sd_prompt_loras(prompt, NULL, tags, 64), ne = 0, i, j, k;
    entry *e;
    out[0] = 0;
    if (nt < 0) nt = 0;
    if (nt > 64) nt = 64;   /* (load_prompt_loras refused more) */
    if (nt + o->n_lora == 0 || !(e = (entry *)malloc((size_t)(nt + o->n_lora) * sizeof *e))) return;
    for (i = 0; i < nt + o->n_lora; i++) {
        char name[256], path[4096];
        size_t c = 0;
        if (i < nt) {   /* a tag: the --lora file of that name that replaced it, or DIR/NAME.safetensors */
            memcpy(name, tags[i].name, sizeof name);
            path[0] = 0;
            for (k = 0; k < o->n_lora; k++) {
                char file[4096], stem[256];
                lora_option(o->lora[k], file, sizeof file);
                file_stem(file, stem, sizeof stem);
                if (!strcmp(stem, name)) memcpy(path, file, sizeof path);
            }
            if (!path[0] && (!o->lora_dir || snprintf(path, sizeof path, "%s/%s.safetensors", o->lora_dir, name) >= (int)sizeof path)) continue;
        } else {
            lora_option(o->lora[i - nt], path, sizeof path);
            file_stem(path, name, sizeof name);
        }
        for (j = 0; name[j]; j++) if (name[j] != ':' && name[j] != ',') name[c++] = name[j];
        name[c] = 0;
        for (j = 0; j < ne && strcmp(e[j].name, name); j++) {}
        if (j == ne) memcpy(e[ne++].name, name, c + 1);
        memcpy(e[j].path, path, sizeof path);
    }
    for (i = 0; i < ne; i++) {
        char hash[13], theirs[13];
        if (!lora_file_hash(e[i].path, hash)) { fprintf(stderr, "sd: cannot read %s for its hash (the PNG's Lora hashes leave it out)\n", e[i].path); continue; }
        if (strlen(out) + strlen(e[i].name) + 17 < cap) append(out, cap, "%s%s: %s", out[0] ? ", " : "", e[i].name, hash);
        if (lora_hash_of(o->from_lora_hashes, e[i].name, theirs) && !same_name(theirs, hash))
            fprintf(stderr, "sd: --from %s: <lora:%s>: its text gives the Lora hash %s, %s has %s (another file of that name?"
                    " the image may differ)\n", o->from_path ? o->from_path : "", e[i].name, theirs, e[i].path, hash);
    }
    free(e);
}

static int file_exists(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (f) fclose(f);
    return f != NULL;
}

/* the vocabulary: --vocab, $SD_VOCAB, or found beside the model (a diffusers folder's
   tokenizer/merges.txt, or merges.txt / tokenizer/merges.txt next to a single file) */
static int load_vocab(sd_model *m, const opts *o)
{
    const char *v = o->vocab ? o->vocab : getenv("SD_VOCAB");
    char buf[4096];
    if (!v && o->model && strlen(o->model) < 4000) {
        const char *slash = strrchr(o->model, '/');
        int dir = (int)(slash ? slash - o->model : 0);
        snprintf(buf, sizeof buf, "%s/tokenizer/merges.txt", o->model);
        if (file_exists(buf)) v = buf;
        if (!v) { snprintf(buf, sizeof buf, "%.*s%smerges.txt", dir, o->model, slash ? "/" : ""); if (file_exists(buf)) v = buf; }
        if (!v) { snprintf(buf, sizeof buf, "%.*s%stokenizer/merges.txt", dir, o->model, slash ? "/" : ""); if (file_exists(buf)) v = buf; }
    }
    if (!v) return die("no vocabulary (CLIP's merges.txt): give --vocab PATH or set SD_VOCAB. It is in every SD model's "
                       "tokenizer/ folder, e.g. tokenizer/merges.txt of runwayml/stable-diffusion-v1-5 or "
                       "openai/clip-vit-large-patch14 on Hugging Face; sd also finds it beside the model");
    if (sd_load_vocab(m, v) != SD_OK) return die("%s", sd_error(m));
    return 0;
}

static int read_npy(sd_model *m, const char *path, const char *what, sd_array *a)
{
    if (!path) return die("missing %s", what);
    if (sd_npy_read(m, path, a) != SD_OK) return die("%s", sd_error(m));
    return 0;
}

static int write_npy(sd_model *m, const char *path, const float *d, int ndim, const int64_t *shape)
{
    if (sd_npy_write(m, path, d, ndim, shape) != SD_OK) return die("%s", sd_error(m));
    return 0;
}

/* ---------------------------------------------------------------- commands */

static int cmd_tokenize(const opts *o)
{
    sd_model *m = new_model(o);
    int ids[SD_TOKENS], i, rc;
    if (!m) return 1;
    rc = o->model ? load_model(m, o) : 0;   /* with -m: the padding of the model's family (SD 2.x: 0) */
    if (!rc) rc = load_vocab(m, o);
    if (!rc && sd_tokenize(m, o->prompt ? o->prompt : "", ids) != SD_OK) rc = die("%s", sd_error(m));
    if (!rc) for (i = 0; i < SD_TOKENS; i++) printf("%d%c", ids[i], i + 1 < SD_TOKENS ? ' ' : '\n');
    sd_free(m);
    return rc;
}

static int cmd_randn(const opts *o)
{
    int64_t shape[8];
    int nd = 0;
    size_t n = 1;
    const char *s = o->shape;
    sd_rng rng;
    float *buf;
    sd_model *m;
    int rc;
    if (!o->shape) return die("randn needs --shape, e.g. --shape 1,4,64,64");
    if (!o->output) return die("randn needs -o OUT.npy");
    while (*s) {
        char *end;
        long long d = strtoll(s, &end, 10);
        if (end == s || d < 0 || d > (1ll << 32) || nd == 8) return die("--shape: '%s' is not a list of up to 8 sizes", o->shape);
        shape[nd++] = d;
        n *= (size_t)d;
        if (n > ((size_t)1 << 31)) return die("--shape: too many elements");
        s = end;
        if (*s == ',') s++;
        else if (*s) return die("--shape: '%s' is not a list of sizes like 1,4,64,64", o->shape);
    }
    buf = (float *)malloc(n ? n * sizeof(float) : 1);
    m = new_model(o);
    if (!buf || !m) { free(buf); sd_free(m); return die("out of memory"); }
    sd_rng_init(&rng, o->rng, o->seed);
    sd_randn(&rng, buf, n);
    rc = write_npy(m, o->output, buf, nd, shape);
    free(buf);
    sd_free(m);
    return rc;
}

static int cmd_schedule(const opts *o)
{
    static sd_schedule s;
    int i;
    if (sd_schedule_make(&s, o->sampler, o->scheduler, o->steps, (float)o->eta) != SD_OK) {   /* parse_args checked the pair */
        die("schedule: sd.h makes no schedule of %s, %s, %d steps", sd_sampler_name(o->sampler), sd_scheduler_name(o->scheduler), o->steps);
        return 2;
    }
    /* the timesteps the UNet sees (fractional on the sigma kinds; PNDM: steps + 1), and the sigmas where
       the sampler has them (all but DDIM and PNDM; dpm2, dpm2_a: after the next-to-last was dropped) */
    printf("{\"sampler\": \"%s\", \"scheduler\": \"%s\", \"steps\": %d, \"timesteps\": [", sd_sampler_name(s.sampler),
           sd_scheduler_name(s.scheduler), s.steps);
    for (i = 0; i < s.n_t; i++) printf("%s%.9g", i ? ", " : "", s.timesteps[i]);
    printf("]");
    if (o->sampler != SD_SAMPLER_DDIM && o->sampler != SD_SAMPLER_PNDM) {
        printf(", \"sigmas\": [");
        for (i = 0; i <= s.steps; i++) printf("%s%.9g", i ? ", " : "", s.sigmas[i]);
        printf("]");
    }
    printf(", \"init_noise_sigma\": %.9g}\n", s.init_noise_sigma);
    return 0;
}

static int cmd_info(const opts *o0)
{
    opts copy = *o0, *o = &copy;
    sd_model *m;
    sd_info in;
    int i, rc;
    if (!o->model) o->model = o->path;
    if (o->model) {   /* a PNG: how it was made */
        unsigned char magic[8] = { 0 };
        FILE *f = fopen(o->model, "rb");
        if (f && fread(magic, 1, 8, f) == 8 && !memcmp(magic, "\x89PNG", 4)) {
            sdpng_text *t = NULL;
            int n = 0, w, h, found = 0;
            const char *why = "";
            unsigned char *img;
            fclose(f);
            img = sdpng_read_file(o->model, &w, &h, 3, &t, &n, &why);
            if (!img) return die("%s: %s", o->model, why);
            printf("%s: %dx%d PNG\n", o->model, w, h);
            for (i = 0; i < n; i++) {
                printf("%s:\n%s\n", t[i].key, t[i].text);
                if (!strcmp(t[i].key, "parameters")) {   /* what --from takes from it */
                    opts d;
                    char *argv0[2];
                    argv0[0] = (char *)"sd"; argv0[1] = NULL;
                    parse_args(1, argv0, &d);
                    d.from_path = o->model;
                    if (parse_parameters(&d, t[i].text)) { found = 1; print_settings(&d); }
                    else printf("sd cannot read it: no settings line (one that starts with \"Steps: \")\n");
                }
            }
            if (!found) printf("no generation parameters in this PNG\n");
            sdpng_free(img); sdpng_free_texts(t, n);
            return 0;
        }
        if (f) fclose(f);
    }
    if (!(m = new_model(o))) return 1;
    if ((rc = load_model(m, o)) != 0) { sd_free(m); return rc; }
    sd_model_info(m, &in);
    printf("file: %s\n", o->model);
    printf("family: %s, predicting %s\n", in.family, !in.has_unet ? "- (no UNet)" : in.prediction == SD_PREDICTION_V ? "v (v-prediction)" : "eps (the noise)");
    printf("tensors: %d (F32 %d, F16 %d, BF16 %d, other %d)\n", in.n_tensors, in.n_f32, in.n_f16, in.n_bf16, in.n_other);
    if (in.has_unet) {
        printf("unet: %.1fM parameters, channels %d, multipliers", in.params_unet / 1e6, in.unet_channels);
        for (i = 0; i < in.unet_levels; i++) printf("%s%d", i ? "," : " ", in.unet_mult[i]);
        printf(", attention on levels");
        for (i = 0; i < in.unet_levels; i++) if (in.unet_attention[i]) printf(" %d", i);
        printf(", %d res blocks a level, transformer depth %d, %d heads, context %d\n",
               in.unet_res_blocks, in.unet_depth, in.unet_heads, in.context_dim);
    } else printf("unet: none\n");
    if (in.has_text)
        printf("text encoder: %.1fM parameters, width %d, %d layers, %d heads, vocabulary %d, %d positions\n",
               in.params_text / 1e6, in.text_width, in.text_layers, in.text_heads, in.text_vocab, in.text_positions);
    else printf("text encoder: none\n");
    if (in.has_vae) {
        printf("vae: %.1fM parameters, channels %d, multipliers", in.params_vae / 1e6, in.vae_channels);
        for (i = 0; i < in.vae_levels; i++) printf("%s%d", i ? "," : " ", in.vae_mult[i]);
        printf(", %d res blocks a level, latent channels %d\n", in.vae_res_blocks, in.latent_channels);
    } else printf("vae: none\n");
    sd_free(m);
    return 0;
}


/* ---------------------------------------------------------------- images */

/* writes a PNG through a temporary file renamed into place, so a failed run never leaves half
   an image; the message names the path */
static int save_png(const char *path, const unsigned char *rgb, int w, int h, const char *params)
{
    char tmp[4096];
    sdpng_text t;
    t.key = (char *)"parameters";
    t.text = (char *)params;
    if (strlen(path) > sizeof tmp - 16) return die("output path too long: '%s'", path);
    snprintf(tmp, sizeof tmp, "%s.part", path);
    if (!sdpng_write_file(tmp, rgb, w, h, 3, params ? &t : NULL, params ? 1 : 0)) {
        remove(tmp);
        return die("cannot write '%s' (%s)", path, errno ? strerror(errno) : "out of memory");
    }
    if (rename(tmp, path) != 0) { int e = errno; remove(tmp); return die("cannot write '%s' (%s)", path, strerror(e)); }
    return 0;
}

/* ---------------------------------------------------------------- progress and seeds */

static double wall(void)
{
#if defined(CLOCK_MONOTONIC) && defined(_POSIX_TIMERS)
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
#else
    return (double)time(NULL);
#endif
}

typedef struct progress {
    double start;
    int tty, quiet;
    const opts *o;
    sd_model *m;
} progress;

/* the model's current estimate of the final image, written every --preview-every steps: the quick
   linear map from the 4 latent channels to RGB (SD 1.x), or a full VAE decode */
static void write_preview(progress *pr, const sd_progress *p)
{
    static const float f[4][3] = { { 0.3512f, 0.2297f, 0.3227f }, { 0.3250f, 0.4974f, 0.2350f },
                                   { -0.2829f, 0.1762f, 0.2721f }, { -0.2120f, -0.2616f, -0.7177f } };
    int w = p->width, h = p->height, k, c, taesd = pr->o->n_taesd > 0, full = pr->o->preview_decode || taesd, W = full ? 8 * w : w, H = full ? 8 * h : h;
    size_t n = (size_t)w * h, i;
    unsigned char *rgb = (unsigned char *)malloc((size_t)W * H * 3);
    float *img = full ? (float *)malloc(sizeof(float) * 3 * W * H) : NULL, *z = full ? (float *)malloc(sizeof(float) * 4 * n) : NULL;
    char path[4096];
    if (!rgb || (full && (!img || !z))) goto done;
    if (full) {
        for (i = 0; i < 4 * n; i++) z[i] = taesd ? p->denoised[i] : p->denoised[i] / 0.18215f;
        if ((taesd ? sd_taesd_decode(pr->m, z, h, w, img) : sd_vae_decode(pr->m, z, h, w, img)) != SD_OK) goto done;
        for (i = 0; i < (size_t)W * H; i++)
            for (c = 0; c < 3; c++) {
                float v = img[(size_t)c * W * H + i] / 2.0f + 0.5f;
                rgb[3 * i + c] = (unsigned char)(v < 0 ? 0 : v > 1 ? 255 : v * 255.0f + 0.5f);
            }
    } else
        for (i = 0; i < n; i++)
            for (c = 0; c < 3; c++) {
                float v = 0;
                for (k = 0; k < 4; k++) v += f[k][c] * p->denoised[(size_t)k * n + i];
                v = v / 2.0f + 0.5f;
                rgb[3 * i + c] = (unsigned char)(v < 0 ? 0 : v > 1 ? 255 : v * 255.0f + 0.5f);
            }
    snprintf(path, sizeof path, "%s/step-%04d.png", pr->o->preview, p->step);
    if (!sdpng_write_file(path, rgb, W, H, 3, NULL, 0)) fprintf(stderr, "sd: cannot write preview '%s'\n", path);
done:
    free(rgb); free(img); free(z);
}

/* step k of n: a bar on a terminal, a line per step otherwise */
static int on_progress(void *user, const sd_progress *p)
{
    progress *pr = (progress *)user;
    double now = wall(), per = (now - pr->start) / p->step, left = per * (p->total - p->step);
    if (pr->o->preview && (p->step % pr->o->preview_every == 0 || p->step == p->total)) write_preview(pr, p);
    if (pr->quiet) return 0;
    if (pr->tty) {
        int i, w = 30, fill = p->step * w / p->total;
        fprintf(stderr, "\r[");
        for (i = 0; i < w; i++) fputc(i < fill ? '=' : (i == fill ? '>' : ' '), stderr);
        fprintf(stderr, "] step %d/%d  %.2f s/step  %d:%02d left ", p->step, p->total, per, (int)left / 60, (int)left % 60);
        if (p->step == p->total) fputc('\n', stderr);
    } else fprintf(stderr, "step %d/%d  %.2f s/step  %.0f s left\n", p->step, p->total, per, left);
    fflush(stderr);
    return 0;
}

/* a seed from the system when none is given */
static uint64_t random_seed(void)
{
    uint64_t s = (uint64_t)time(NULL) * 6364136223846793005ull ^ (uint64_t)clock();
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        unsigned char b[8];
        if (fread(b, 1, 8, f) == 8) {
            int i;
            for (i = 0; i < 8; i++) s = (s << 8) ^ b[i] ^ (s >> 56);
        }
        fclose(f);
    }
    return s % 4294967296ull;   /* 32 bits, as other tools print */
}

/* ---------------------------------------------------------------- stage commands */

static int cmd_text(const opts *o)
{
    sd_model *m = new_model(o);
    int rc, k = 0;
    float *out = NULL, *pooled;
    const char *prompt = o->prompt ? o->prompt : "";
    char *text = NULL;
    sd_weighting w = o->weighting < 0 ? SD_WEIGHTING_NONE : (sd_weighting)o->weighting;
    sd_info in;
    if (!m) return 1;
    if ((rc = load_model(m, o)) || (rc = load_vocab(m, o)) || (rc = load_prompt_loras(m, o, prompt))) goto done;
    if (!o->output) { rc = die("text needs -o OUT.npy"); goto done; }
    if (!(text = (char *)malloc(strlen(prompt) + 1))) { rc = die("out of memory"); goto done; }
    sd_prompt_loras(prompt, text, NULL, 0);   /* the prompt without its <lora:...> tags */
    prompt = text;
    sd_model_info(m, &in);
    if (sd_prompt_tokens(m, prompt, w, NULL, NULL, 0, &k) != SD_OK) { rc = die("%s", sd_error(m)); goto done; }
    if ((o->pooled || o->pooled_out) && !in.pooled_dim) { rc = die("--pooled: this model has no pooled text vector (SDXL has)"); goto done; }
    out = (float *)malloc(((size_t)k * SD_TOKENS * in.text_width + (size_t)in.pooled_dim) * sizeof(float));
    if (!out) { rc = die("out of memory"); goto done; }
    pooled = in.pooled_dim ? out + (size_t)k * SD_TOKENS * in.text_width : NULL;
    if (sd_encode_prompt_pooled(m, prompt, w, o->clip_skip, out, k, NULL, pooled) != SD_OK) { rc = die("%s", sd_error(m)); goto done; }
    {
        int64_t shape[3], pshape[2];
        shape[0] = 1; shape[1] = (int64_t)k * SD_TOKENS; shape[2] = in.text_width;
        pshape[0] = 1; pshape[1] = in.pooled_dim;
        rc = o->pooled ? write_npy(m, o->output, pooled, 2, pshape) : write_npy(m, o->output, out, 3, shape);
        if (!rc && o->pooled_out) rc = write_npy(m, o->pooled_out, pooled, 2, pshape);
    }
done:
    free(out); free(text);
    sd_free(m);
    return rc;
}

static int cmd_unet(const opts *o)
{
    sd_model *m = new_model(o);
    sd_array x, c, y;
    sd_info in;
    float *out = NULL;
    int rc;
    memset(&x, 0, sizeof x); memset(&c, 0, sizeof c); memset(&y, 0, sizeof y);
    if (!m) return 1;
    if ((rc = load_model(m, o))) goto done;
    if (!o->output) { rc = die("unet needs -o OUT.npy"); goto done; }
    if ((rc = read_npy(m, o->x, "--x X.npy", &x)) || (rc = read_npy(m, o->context, "--context CTX.npy", &c))) goto done;
    sd_model_info(m, &in);
    if (x.ndim != 4 || x.shape[1] != in.unet_in_channels || c.ndim != 3 || c.shape[0] != x.shape[0] || c.shape[1] < 1 || c.shape[1] > 64 * SD_TOKENS) {
        rc = die("unet: x must be [N,%d,h,w] and context [N,T,D] (T = 77 a chunk: 77..4928)", in.unet_in_channels); goto done;
    }
    if (in.unet_adm_in && !o->y) { rc = die("unet: an SDXL UNet needs --y Y.npy [N,%d] (the pooled text and the size sinusoids)", in.unet_adm_in); goto done; }
    if (o->y && (rc = read_npy(m, o->y, "--y Y.npy", &y))) goto done;
    if (o->y && (!in.unet_adm_in || y.ndim != 2 || y.shape[0] != x.shape[0] || y.shape[1] != in.unet_adm_in)) {
        rc = in.unet_adm_in ? die("unet: y must be [N,%d]", in.unet_adm_in) : die("unet: --y is for SDXL's UNet; this one takes no vector"); goto done;
    }
    out = (float *)malloc((size_t)(x.shape[0] * 4 * x.shape[2] * x.shape[3]) * sizeof(float));
    if (!out) { rc = die("out of memory"); goto done; }
    if (sd_unet_y(m, x.data, (int)x.shape[0], (int)x.shape[2], (int)x.shape[3], (float)o->t, c.data, (int)c.shape[1], o->y ? y.data : NULL, out) != SD_OK) {
        rc = die("%s", sd_error(m)); goto done;
    }
    x.shape[1] = 4;   /* the noise: 4 channels whatever the input's */
    rc = write_npy(m, o->output, out, 4, x.shape);
done:
    free(out);
    sd_array_free(m, &x); sd_array_free(m, &c); sd_array_free(m, &y);
    sd_free(m);
    return rc;
}

static int cmd_vae_decode(const opts *o)
{
    sd_model *m = new_model(o);
    sd_array z;
    float *out = NULL;
    int rc;
    memset(&z, 0, sizeof z);
    if (!m) return 1;
    if ((rc = load_model(m, o))) goto done;
    if (!o->output) { rc = die("vae-decode needs -o OUT.npy"); goto done; }
    if ((rc = read_npy(m, o->z, "--z Z.npy", &z))) goto done;
    if (!((z.ndim == 4 && z.shape[0] == 1 && z.shape[1] == 4) || (z.ndim == 3 && z.shape[0] == 4))) { rc = die("vae-decode: z must be [1,4,h,w]"); goto done; }
    {
        int h = (int)z.shape[z.ndim - 2], w = (int)z.shape[z.ndim - 1];
        int64_t shape[4];
        out = (float *)malloc((size_t)3 * 64 * h * w * sizeof(float));
        if (!out) { rc = die("out of memory"); goto done; }
        if ((o->n_taesd ? sd_taesd_decode(m, z.data, h, w, out) : sd_vae_decode(m, z.data, h, w, out)) != SD_OK) { rc = die("%s", sd_error(m)); goto done; }
        shape[0] = 1; shape[1] = 3; shape[2] = 8 * h; shape[3] = 8 * w;
        rc = write_npy(m, o->output, out, 4, shape);
    }
done:
    free(out);
    sd_array_free(m, &z);
    sd_free(m);
    return rc;
}

/* an RGB image from a PNG or an HxWx3 uint8 .npy */
/* An image as bytes: a PNG (any kind tools/sd_png.h reads) or an .npy of HxWxC uint8 values.
   channels 3: RGB. channels 1 (a mask): the PNG as PIL's convert("L") reads it (alpha left out, RGB
   as ITU-R 601 luma in PIL's integer arithmetic), the .npy HxW or HxWx1. */
static unsigned char *load_pixels(sd_model *m, const char *path, int channels, const char *what, int *w, int *h)
{
    sd_array a;
    unsigned char *px, magic[8] = { 0 };
    size_t i, n;
    FILE *f = fopen(path, "rb");
    if (!f) { die("cannot open %s'%s'", what, path); return NULL; }
    n = fread(magic, 1, 8, f);
    fclose(f);
    if (n == 8 && !memcmp(magic, "\x89PNG", 4)) {
        const char *why = "";
        unsigned char *rgb = sdpng_read_file(path, w, h, 3, NULL, NULL, &why);
        if (!rgb) { die("%s%s: %s", what, path, why); return NULL; }
        if (channels == 3) return rgb;
        n = (size_t)*w * *h;
        if ((px = (unsigned char *)malloc(n)) != NULL)
            for (i = 0; i < n; i++) px[i] = (unsigned char)((rgb[3 * i] * 19595u + rgb[3 * i + 1] * 38470u + rgb[3 * i + 2] * 7471u + 0x8000u) >> 16);
        else die("out of memory");
        sdpng_free(rgb);
        return px;
    }
    if (n < 6 || memcmp(magic, "\x93NUMPY", 6) != 0) { die("%s%s is not a PNG or a .npy file", what, path); return NULL; }
    memset(&a, 0, sizeof a);
    if (sd_npy_read(m, path, &a) != SD_OK) { die("%s%s", what, sd_error(m)); return NULL; }
    if (!(a.ndim == 3 && a.shape[2] == channels) && !(channels == 1 && a.ndim == 2)) {
        die("%s%s: an HxW%s array expected", what, path, channels == 3 ? "x3" : "");
        sd_array_free(m, &a);
        return NULL;
    }
    *h = (int)a.shape[0]; *w = (int)a.shape[1];
    n = (size_t)a.shape[0] * a.shape[1] * channels;
    px = (unsigned char *)malloc(n);
    if (px) for (i = 0; i < n; i++) { float v = a.data[i]; px[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v); }
    else die("out of memory");
    sd_array_free(m, &a);
    return px;
}

static unsigned char *load_image(sd_model *m, const char *path, int *w, int *h) { return load_pixels(m, path, 3, "", w, h); }
static unsigned char *load_mask(sd_model *m, const char *path, int *w, int *h) { return load_pixels(m, path, 1, "the mask ", w, h); }

static int cmd_vae_encode(const opts *o)
{
    sd_model *m = new_model(o);
    unsigned char *rgb = NULL;
    float *img = NULL, *mean = NULL, *logvar = NULL;
    int rc, w = 0, h = 0;
    if (!m) return 1;
    if ((rc = load_model(m, o))) goto done;
    if (!o->output) { rc = die("vae-encode needs -o MEAN.npy"); goto done; }
    if (!o->image) { rc = die("vae-encode needs --image IMG.npy"); goto done; }
    if (!(rgb = load_image(m, o->image, &w, &h))) { rc = 1; goto done; }
    {
        size_t npix = (size_t)w * h, k, hw = npix / 64;
        int c;
        int64_t shape[4];
        img = (float *)malloc(3 * npix * sizeof(float));
        mean = (float *)malloc(4 * hw * sizeof(float) + 1);
        logvar = (float *)malloc(4 * hw * sizeof(float) + 1);
        if (!img || !mean || !logvar) { rc = die("out of memory"); goto done; }
        for (k = 0; k < npix; k++)
            for (c = 0; c < 3; c++) img[(size_t)c * npix + k] = 2.0f * ((float)rgb[3 * k + c] / 255.0f) - 1.0f;
        if ((o->n_taesd ? sd_taesd_encode(m, img, h, w, mean) : sd_vae_encode(m, img, h, w, mean, logvar)) != SD_OK) { rc = die("%s", sd_error(m)); goto done; }
        shape[0] = 1; shape[1] = 4; shape[2] = h / 8; shape[3] = w / 8;
        if ((rc = write_npy(m, o->output, mean, 4, shape))) goto done;
        if (o->logvar && !o->n_taesd) rc = write_npy(m, o->logvar, logvar, 4, shape);   /* (TAESD has no distribution) */
    }
done:
    free(rgb); free(img); free(mean); free(logvar);
    sd_free(m);
    return rc;
}

static int cmd_generate(const opts *o, int img2img)
{
    sd_model *m = new_model(o);
    sd_params p = sd_params_default();
    unsigned char *rgb = NULL, *init = NULL, *mask = NULL;
    float *lat = NULL, *img = NULL;
    int rc, w = o->width, h = o->height;
    const char *out = o->output ? o->output : "output.png";
    progress pr;
    double t0 = wall();
    static char hashes[8192];
    if (!m) return 1;
    if (o->mask && !img2img) { sd_free(m); return die("--mask needs an init image: -i IMAGE"); }
    if ((rc = load_model(m, o)) || (rc = load_vocab(m, o)) || (rc = load_prompt_loras(m, o, o->prompt ? o->prompt : ""))) goto done;
    lora_hashes(o, o->prompt ? o->prompt : "", hashes, sizeof hashes);   /* before the run: a --from mismatch is told at once */
    if (img2img) {
        int iw, ih;
        if (!o->init) { rc = die("img2img needs an init image: -i IMAGE"); goto done; }
        if (!(init = load_image(m, o->init, &iw, &ih))) { rc = 1; goto done; }
        w = iw; h = ih;
        if (o->mask) {
            int mw, mh;
            if (!(mask = load_mask(m, o->mask, &mw, &mh))) { rc = 1; goto done; }
            if (mw != w || mh != h) { rc = die("--mask %s is %dx%d, the init image %dx%d: they must be the same size", o->mask, mw, mh, w, h); goto done; }
        }
    }
    p.prompt = o->prompt ? o->prompt : "";
    p.negative_prompt = o->negative;
    p.width = w; p.height = h; p.steps = o->steps; p.cfg_scale = (float)o->cfg; p.sampler = o->sampler;
    p.scheduler = o->scheduler; p.rng = o->rng;
    p.seed = o->have_seed ? o->seed : random_seed();
    p.clip_skip = o->clip_skip; p.eta = (float)o->eta; p.strength = o->strength;
    p.weighting = o->weighting < 0 ? SD_WEIGHTING_A1111 : (sd_weighting)o->weighting;
    p.mask_blur = o->mask_blur; p.mask_paste = o->mask_paste;
    p.orig_width = o->orig_w; p.orig_height = o->orig_h; p.crop_left = o->crop_x; p.crop_top = o->crop_y;
    p.target_width = o->target_w; p.target_height = o->target_h;
    p.prediction = (sd_prediction)o->prediction;
    p.taesd = o->n_taesd > 0;
    pr.start = wall(); pr.quiet = o->quiet; pr.o = o; pr.m = m;
#ifdef HAVE_ISATTY
    pr.tty = isatty(2);
#else
    pr.tty = 0;
#endif
    p.progress = on_progress; p.progress_user = &pr;
#ifdef HAVE_ISATTY
    if (o->preview) mkdir(o->preview, 0777);   /* may exist already */
#endif
    if (!o->quiet && !o->have_seed) fprintf(stderr, "seed %llu\n", (unsigned long long)p.seed);
    rgb = (unsigned char *)malloc((size_t)w * h * 3);
    lat = (float *)malloc((size_t)4 * (h / 8) * (w / 8) * sizeof(float));
    img = (float *)malloc((size_t)3 * w * h * sizeof(float));
    if (!rgb || !lat || !img) { rc = die("out of memory"); goto done; }
    p.latent_out = lat; p.image_out = img;
    pr.start = wall();
    {
        sd_result r = mask ? sd_inpaint(m, &p, init, mask, rgb) : img2img ? sd_img2img(m, &p, init, rgb) : sd_txt2img(m, &p, rgb);
        if (r != SD_OK) { rc = die("%s", sd_error(m)); if (r == SD_ERR_ARG) rc = 2; goto done; }   /* 2: bad input, as parse_args */
    }
    if (o->latent_out) {
        int64_t s[4];
        s[0] = 1; s[1] = 4; s[2] = h / 8; s[3] = w / 8;
        if ((rc = write_npy(m, o->latent_out, lat, 4, s))) goto done;
    }
    if (o->image_out) {
        int64_t s[4];
        s[0] = 1; s[1] = 3; s[2] = h; s[3] = w;
        if ((rc = write_npy(m, o->image_out, img, 4, s))) goto done;
    }
    {
        static char params[65536];
        const char *base = strrchr(o->model, '/') ? strrchr(o->model, '/') + 1 : o->model;
        static char written[65536];
        int i;
        snprintf(written, sizeof written, "%s", p.prompt);   /* --lora options go in as A1111's tags */
        for (i = 0; i < o->n_lora; i++) {
            char path[4096], name[256], num[40];
            size_t n = strlen(written);
            double wt = lora_option(o->lora[i], path, sizeof path);
            file_stem(path, name, sizeof name);
            snprintf(written + n, sizeof written - n, "%s<lora:%s:%s>", n ? " " : "", name, fmt_num(num, sizeof num, wt, 0));
        }
        p.prompt = written;
        write_parameters(params, sizeof params, &p, base, img2img, mask != NULL, hashes);
        if ((rc = save_png(out, rgb, w, h, params)) != 0) goto done;
    }
    if (!o->quiet) fprintf(stderr, "wrote %s (%dx%d, seed %llu, %.1f s)\n", out, w, h, (unsigned long long)p.seed, wall() - t0);
done:
    free(rgb); free(init); free(mask); free(lat); free(img);
    sd_free(m);
    return rc;
}

#ifndef SD_CLI_NO_MAIN   /* tests/fuzz/fuzz_cli.c includes this file for parse_args */
/* sd --selftest-sha256 (not in --help): the SHA-256 of the LoRA hashes on FIPS 180-2's vectors, the
   million a's fed in pieces of 997 bytes to cross the block boundaries; one line each, ok or FAIL */
static int selftest_sha256(void)
{
    static const char *const want[4] = { "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                                         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                                         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
                                         "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" };
    static const char *const what[4] = { "\"\"", "\"abc\"", "\"abcdbcdecdefdefg...nopq\" (56 bytes, two blocks)", "a million a's" };
    const char *in[3] = { "", "abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq" };
    char a[997], hex[65];
    int i, fails = 0;
    memset(a, 'a', sizeof a);
    for (i = 0; i < 4; i++) {
        sha256_ctx s;
        sha256_init(&s);
        if (i < 3) sha256_update(&s, in[i], strlen(in[i]));
        else { long left; for (left = 1000000; left > 0; left -= (long)sizeof a) sha256_update(&s, a, left < (long)sizeof a ? (size_t)left : sizeof a); }
        sha256_hex(&s, hex);
        fails += strcmp(hex, want[i]) != 0;
        printf("%s  sha256(%s) = %s%s%s\n", strcmp(hex, want[i]) ? "FAIL" : "ok  ", what[i], hex, strcmp(hex, want[i]) ? ", expected " : "",
               strcmp(hex, want[i]) ? want[i] : "");
    }
    return fails != 0;
}

int main(int argc, char **argv)
{
    opts o;
    int r;
    if (argc == 2 && !strcmp(argv[1], "--selftest-sha256")) return selftest_sha256();
    r = parse_args(argc, argv, &o);
    if (r == 2) { print_usage(); return 0; }
    if (r) return 2;
    if (!strcmp(o.cmd, "tokenize")) return cmd_tokenize(&o);
    if (!strcmp(o.cmd, "randn")) return cmd_randn(&o);
    if (!strcmp(o.cmd, "schedule")) return cmd_schedule(&o);
    if (!strcmp(o.cmd, "info")) return cmd_info(&o);
    if (!strcmp(o.cmd, "text")) return cmd_text(&o);
    if (!strcmp(o.cmd, "unet")) return cmd_unet(&o);
    if (!strcmp(o.cmd, "vae-decode")) return cmd_vae_decode(&o);
    if (!strcmp(o.cmd, "vae-encode")) return cmd_vae_encode(&o);
    if (!strcmp(o.cmd, "img2img") || !strcmp(o.cmd, "inpaint") || o.init) return cmd_generate(&o, 1);
    return cmd_generate(&o, 0);
}
#endif
