/* bench - how fast sd.h runs a checkpoint (SD 1.5 at 512x512 by default) on this machine, and how
   that compares with the machine's own ceiling measured in the same run.

   For each stage (text encoder, one UNet evaluation on a batch of 2, VAE decode, VAE encode, a
   whole txt2img; with --taesd TAESD's decode and encode; with --turbo an SD-Turbo-shaped process)
   it prints seconds, counted GFLOP (2 x multiply-adds of the convolutions, matrix products and
   attention, as sd.h counts them: sd_last_flops), GFLOP/s, the fraction of the ceiling, and the
   peak resident memory. Each stage runs in its own process (this program started again with
   --stage), so that its peak memory is its own. The ceiling is a large single-precision matrix
   product by OpenBLAS (a benchmark-only comparison; sd.h never links it) with the same threads.
   Beside it, the FMA peak: a loop of independent fused multiply-adds held in registers at the
   widest vector width this build has (AVX-512, AVX2 or scalar), on 1 thread and on the run's
   threads; each stage's GFLOP/s (the direct algorithm's FLOPs over the time, also where Winograd
   does fewer) is given as a fraction of both.

   --scaling R: the text, unet, decode and encode stages (of these, those --stages names) at 1 thread and at the
   run's threads, in R interleaved rounds of a process each: each side's best, their ratio, each round's;
   and in each round as many processes of 1 thread as the run has threads, at once (their timed runs
   start together: --start-at): what the machine's cores give work that shares nothing, the ceiling
   of the ratio here (a VM's cores can be far apart: what one thread writes, the other reads slowly).

   make bench            (writes build/sd15.safetensors with mkmodel first; results in build/bench.txt)
   make bench-lora       the LoRA block alone, for build/bench-lora32.safetensors (rank 32, every
                         attention and ResBlock layer: mkmodel --lora)
   make bench-sd2        an SD 2.1-sized checkpoint (mkmodel --config sd21) at 512x512 and 768x768 with
                         TAESD (mkmodel --taesd), and the turbo row at 512x512
   build/bench -m MODEL [-t THREADS] [-W WIDTH -H HEIGHT | --size N] [--low-memory] [--bf16] [--steps N] [-o FILE]
               [--taesd DECODER [--taesd ENCODER]] [--turbo] [--stages LIST] [--scaling ROUNDS]
               [--gpu | --gpu-fp32] [--ceiling GFLOPS NAME] [--lora FILE [--lora-only]]

   -W / -H / --size: the image size of every stage (default 512x512; multiples of 8): the UNet on
   [2, 4, H/8, W/8], the decoders from that latent, the encoders from [3, H, W].

   --taesd FILE (once or twice: madebyollin's taesd_decoder / taesd_encoder.safetensors, or diffusers'
   AutoencoderTiny file): the rows taesd-dec and taesd-enc time sd_taesd_decode / sd_taesd_encode at
   the bench size beside the VAE's rows (a half not given is reported as skipped), and a line compares
   each with the VAE's: speed, GFLOP, peak memory.

   --turbo: SD-Turbo's shape, as a whole process: this program started with --stage turbo creates
   the model, loads the checkpoint, the vocabulary and TAESD (if given), runs txt2img at the bench
   size with 1 step of Euler a, cfg 1 (no guidance: the UNet on a batch of 1), decoding with TAESD
   when --taesd is given (SD-Turbo) and with the VAE otherwise (SDXL-Turbo, which has no TAESD here),
   frees everything and exits; the row gives the best and the median wall clock of three such
   processes, as the parent saw them (start to exit), and their peak RSS. Its GFLOP is one text
   encoding + half the unet row + the taesd-dec (or decode) row. The report also prints the same run as
   a command of the sd tool, to time with /usr/bin/time -v (Elapsed, Maximum resident set size).

   --stages LIST (comma-separated: text,unet,decode,encode,txt2img,taesd-dec,taesd-enc,turbo) runs
   those rows only; the txt2img and turbo GFLOP need the rows they are made of.

   --lora FILE: after the stages, one more process measures what the LoRA costs: the wall clock of
   sd_load_lora (weight 1 for the text encoder and the UNet), the UNet evaluation above without and
   then with the LoRA (each once untimed, then timed; the median), the process's resident memory
   (VmRSS, and its peak VmHWM, from /proc/self/status) before and after applying it, and the bytes
   of the float32 copies the touched layers need, from the file's shapes: per module up.shape[0] x
   down numel / rank x 4. --lora-only skips the ceiling and the stages. --lora-apply: sd_config.lora_apply
   (auto, the default: each layer the cheaper way; merge: every layer merged; beside: every layer beside).

   --gpu / --gpu-fp32 time the GPU backend (a build with sd_cuda.cu: make cuda): each stage runs once
   untimed first (weights go to the GPU on first use), then is timed over more runs. The GPU's
   ceiling comes from outside (tools/bench_cuda.sh measures a large FP16 torch.matmul in the same
   run and passes it with --ceiling). */

#define SD_IMPLEMENTATION
#include "../sd.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <time.h>
#include <sys/resource.h>
#ifdef SD_BENCH_OPENBLAS
#include <cblas.h>
#endif
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static double peak_mb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024.0;   /* Linux: kilobytes */
}

static void fill(float *x, size_t n, uint64_t seed)
{
    sd_rng r;
    sd_rng_seed(&r, seed);
    sd_randn(&r, x, n);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double sd_min(const double *t, int n)
{
    double b = t[0];
    int i;
    for (i = 1; i < n; i++) if (t[i] < b) b = t[i];
    return b;
}

static double median(const double *t, int n)
{
    double s[16];
    int i;
    for (i = 0; i < n; i++) s[i] = t[i];
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    return s[n / 2];
}

/* this process's resident memory and its peak, in MB (VmRSS, VmHWM of /proc/self/status; -1 where
   there is no /proc) */
static void vm_mb(double *rss, double *hwm)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    *rss = *hwm = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6)) *rss = atof(line + 6) / 1024.0;   /* kB */
        if (!strncmp(line, "VmHWM:", 6)) *hwm = atof(line + 6) / 1024.0;
    }
    if (f) fclose(f);
}

/* The tensors of a LoRA file (its safetensors header: names and shapes) -> its modules, their ranks and
   the float32 bytes of the layers they touch (up.shape[0] x down numel / rank x 4 per module).
   Tensor names are matched on the down / up suffixes of the kohya, diffusers and PEFT conventions. */
typedef struct lora_entry { char name[256]; int ndim; long long shape[4], numel; } lora_entry;

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    return p;
}

/* a JSON string at p (no escapes in tensor names; others are copied raw) into out; NULL if malformed */
static const char *json_name(const char *p, const char *e, char *out, size_t cap)
{
    size_t n = 0;
    p = skip_ws(p, e);
    if (p >= e || *p != '"') return NULL;
    for (p++; p < e && *p != '"'; p++) {
        if (*p == '\\' && p + 1 < e) p++;
        if (n + 1 < cap) out[n++] = *p;
    }
    out[n] = 0;
    return p < e ? p + 1 : NULL;
}

/* to the end of one JSON value: the ',' or the closing bracket after it; NULL if malformed */
static const char *json_skip(const char *p, const char *e)
{
    int depth = 0;
    char tmp[8];
    while (p < e) {
        if (*p == '"') { if (!(p = json_name(p, e, tmp, sizeof tmp))) return NULL; continue; }
        if (*p == '{' || *p == '[') depth++;
        else if (*p == '}' || *p == ']') { if (!depth) return p; depth--; }
        else if (*p == ',' && !depth) return p;
        p++;
    }
    return NULL;
}

static int lora_stats(const char *path, int *modules, int *rmin, int *rmax, double *touched_mb, double *file_mb)
{
    static const char *const down[] = { ".lora_down.weight", ".lora.down.weight", ".lora_linear_layer.down.weight", ".lora_A.weight" };
    static const char *const up[] = { ".lora_up.weight", ".lora.up.weight", ".lora_linear_layer.up.weight", ".lora_B.weight" };
    FILE *f = fopen(path, "rb");
    unsigned char len8[8];
    unsigned long long len = 0;
    char *h = NULL;
    const char *p, *e;
    lora_entry *t = NULL;
    int n = 0, cap = 0, i, j, k, ok = 0;
    double bytes = 0;
    *modules = 0; *rmin = 1 << 30; *rmax = 0; *touched_mb = *file_mb = 0;
    if (!f || fread(len8, 1, 8, f) != 8) goto done;
    for (i = 0; i < 8; i++) len |= (unsigned long long)len8[i] << (8 * i);
    if (len < 2 || len > (100u << 20) || !(h = (char *)malloc((size_t)len)) || fread(h, 1, (size_t)len, f) != len) goto done;
    if (fseek(f, 0, SEEK_END) == 0) *file_mb = ftell(f) / 1048576.0;
    p = skip_ws(h, e = h + len);
    if (p >= e || *p++ != '{') goto done;
    for (;;) {                                   /* "name": {"dtype": .., "shape": [..], "data_offsets": [..]} */
        lora_entry x;
        memset(&x, 0, sizeof x);
        if (!(p = json_name(p, e, x.name, sizeof x.name))) goto done;
        p = skip_ws(p, e);
        if (p >= e || *p++ != ':') goto done;
        p = skip_ws(p, e);
        if (p < e && *p == '{') {
            p++;
            for (;;) {
                char field[32];
                if (!(p = json_name(p, e, field, sizeof field))) goto done;
                p = skip_ws(p, e);
                if (p >= e || *p++ != ':') goto done;
                if (!strcmp(field, "shape")) {
                    p = skip_ws(p, e);
                    if (p >= e || *p++ != '[') goto done;
                    x.numel = 1;
                    while ((p = skip_ws(p, e)) < e && *p != ']') {
                        char *q;
                        long long v = strtoll(p, &q, 10);
                        if (q == p) goto done;
                        p = q;
                        if (x.ndim < 4) x.shape[x.ndim] = v;
                        x.ndim++;
                        x.numel *= v;
                        p = skip_ws(p, e);
                        if (p < e && *p == ',') p++;
                    }
                    p++;
                } else if (!(p = json_skip(p, e))) goto done;
                p = skip_ws(p, e);
                if (p < e && *p == ',') { p++; continue; }
                if (p >= e || *p++ != '}') goto done;
                break;
            }
            if (n == cap) {
                lora_entry *q = (lora_entry *)realloc(t, (size_t)(cap = cap ? 2 * cap : 256) * sizeof *t);
                if (!q) goto done;
                t = q;
            }
            t[n++] = x;
        } else if (!(p = json_skip(p, e))) goto done;   /* (__metadata__ is an object too: an entry with no shape) */
        p = skip_ws(p, e);
        if (p < e && *p == ',') { p++; continue; }
        break;
    }
    for (i = 0; i < n; i++)                      /* each down matrix, with the up matrix of its module */
        for (k = 0; k < 4; k++) {
            size_t ln = strlen(t[i].name), ls = strlen(down[k]), lu = strlen(up[k]);
            if (ln <= ls || strcmp(t[i].name + ln - ls, down[k]) != 0 || t[i].ndim < 2 || t[i].shape[0] < 1) continue;
            for (j = 0; j < n; j++)
                if (strlen(t[j].name) == ln - ls + lu && !strncmp(t[j].name, t[i].name, ln - ls) && !strcmp(t[j].name + ln - ls, up[k])) break;
            if (j == n || t[j].ndim < 1) continue;
            bytes += (double)t[j].shape[0] * (double)(t[i].numel / t[i].shape[0]) * 4.0;
            if (t[i].shape[0] < *rmin) *rmin = (int)t[i].shape[0];
            if (t[i].shape[0] > *rmax) *rmax = (int)t[i].shape[0];
            ++*modules;
        }
    *touched_mb = bytes / 1048576.0;
    ok = 1;
done:
    if (f) fclose(f);
    free(h);
    free(t);
    if (!*modules) *rmin = 0;
    return ok;
}

/* what the parent passes to each stage's process */
typedef struct bench_opts {
    const char *model, *vocab, *lora, *taesd[2];
    int n_taesd, threads, low, bf16, steps, gpu, W, H;
    sd_lora_apply lora_apply;
    double start_at;   /* > 0: the stage's runs wait after the load for this time of now()'s clock (--start-at) */
} bench_opts;

#define TURBO_PROMPT "a lighthouse at dawn, oil painting"

/* the UNet stage's input: a batch of 2 latents [2,4,h,w], contexts [2,77,D] and, for SDXL, vectors
   y [2,adm_in] (else NULL), deterministic values */
static void unet_inputs(sd_model *m, int h, int w, float **x, float **ctx, float **y, float **eps)
{
    sd_info in;
    sd_model_info(m, &in);
    *x = (float *)malloc(sizeof(float) * 2 * 4 * h * w);
    *ctx = (float *)malloc(sizeof(float) * 2 * SD_TOKENS * in.context_dim);
    *y = in.unet_adm_in ? (float *)malloc(sizeof(float) * 2 * in.unet_adm_in) : NULL;
    *eps = (float *)malloc(sizeof(float) * 2 * 4 * h * w);
    fill(*x, (size_t)2 * 4 * h * w, 1);
    fill(*ctx, (size_t)2 * SD_TOKENS * in.context_dim, 2);
    if (*y) fill(*y, (size_t)2 * in.unet_adm_in, 7);
}

#define BENCH_RUNS 20   /* the most timed runs of a stage in its process (the text encoder's) */

/* one stage in this process: prints "RESULT stage seconds_best seconds_median gflop peak_mb runs scratch_mb"
   (a stage that cannot run here prints "SKIP stage why" instead) */
static int run_stage(const char *stage, const bench_opts *o)
{
    sd_config c = sd_config_default();
    sd_model *m;
    double t[BENCH_RUNS], flops = 0, t0, scratch = 0;
    int runs = 0, i, reps = o->gpu ? 8 : 3, warm = o->gpu ? 1 : 0;
    const int H = o->H, W = o->W, h = H / 8, w = W / 8;
    const int turbo = !strcmp(stage, "turbo"), taesd = !strncmp(stage, "taesd-", 6);
    double tstart = now();
    c.n_threads = o->threads;
    c.low_memory = o->low;
    c.bf16 = o->bf16;
    c.lora_apply = o->lora_apply;
    c.gpu = (sd_gpu)o->gpu;
    m = sd_create(&c);
    if (m && o->gpu && !sd_using_gpu(m)) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
    if (!m || sd_load(m, o->model) != SD_OK) { fprintf(stderr, "bench: %s\n", m ? sd_error(m) : "out of memory"); return 1; }
    if (taesd || turbo)   /* the TAESD files the run was given, beside the model (its decoder, its encoder) */
        for (i = 0; i < o->n_taesd; i++)
            if (sd_load_taesd(m, o->taesd[i]) != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
    if (o->start_at > 0) {   /* processes started together begin together, whatever their loads took */
        double left = o->start_at - now();
        struct timespec ts;
        if (left < 0) printf("LATE %.3f\n", -left);
        while (left > 0) {
            ts.tv_sec = (time_t)left; ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
            nanosleep(&ts, NULL);
            left = o->start_at - now();
        }
    }
    if (!strcmp(stage, "text")) {
        sd_info in;
        int ids[SD_TOKENS];
        float *out;
        sd_model_info(m, &in);
        out = (float *)malloc(sizeof(float) * (SD_TOKENS * (size_t)in.text_width + (size_t)in.pooled_dim));
        /* BOS, 11 words, EOS to the end: CLIP's 49406 ... 49407 (the last two ids of any vocabulary) */
        for (i = 0; i < SD_TOKENS; i++) ids[i] = i < 12 ? (320 + 37 * i) % (in.text_vocab - 2) : in.text_vocab - 1;
        ids[0] = in.text_vocab - 2;
        for (runs = -2; runs < BENCH_RUNS; runs++) {   /* (a tenth of a second: twice untimed, then 20 times, for a steady best and median) */
            t0 = now();
            /* (SDXL: both encoders, and the pooled vector through bigG's last layer) */
            if (sd_text_encode_pooled(m, ids, 1, out, in.pooled_dim ? out + SD_TOKENS * (size_t)in.text_width : NULL) != SD_OK) {
                fprintf(stderr, "bench: %s\n", sd_error(m)); return 1;
            }
            if (runs >= 0) t[runs] = now() - t0;
        }
        flops = sd_last_flops(m); scratch = sd_last_scratch(m) / 1048576.0;
        free(out);
    } else if (!strcmp(stage, "unet")) {
        float *x, *ctx, *y, *eps;
        unet_inputs(m, h, w, &x, &ctx, &y, &eps);
        for (runs = -warm; runs < reps; runs++) {
            t0 = now();
            if (sd_unet_y(m, x, 2, h, w, 500.0f, ctx, SD_TOKENS, y, eps) != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
            if (runs >= 0) t[runs] = now() - t0;
        }
        flops = sd_last_flops(m); scratch = sd_last_scratch(m) / 1048576.0;
        free(x); free(ctx); free(y); free(eps);
    } else if (!strcmp(stage, "lora")) {
        /* the unet stage's evaluation without, then with the LoRA; each once untimed first (the first
           pages the weights in; on the GPU the first after the LoRA uploads the changed layers) */
        float *x, *ctx, *y, *eps;
        double tn[8], tl[8], tload, rss0, hwm0, rss1, hwm1, rss2, hwm2, touched, file_mb, dn, dl;
        int nmod, rmin, rmax;
        if (!o->lora) { fprintf(stderr, "bench: --stage lora needs --lora FILE\n"); return 1; }
        if (!lora_stats(o->lora, &nmod, &rmin, &rmax, &touched, &file_mb)) { fprintf(stderr, "bench: %s: cannot read its safetensors header\n", o->lora); return 1; }
        unet_inputs(m, h, w, &x, &ctx, &y, &eps);
        for (runs = -1; runs < reps; runs++) {
            t0 = now();
            if (sd_unet_y(m, x, 2, h, w, 500.0f, ctx, SD_TOKENS, y, eps) != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
            if (runs >= 0) tn[runs] = now() - t0;
        }
        vm_mb(&rss0, &hwm0);
        t0 = now();
        if (sd_load_lora(m, o->lora, 1.0f, 1.0f) != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
        tload = now() - t0;
        vm_mb(&rss1, &hwm1);
        for (runs = -1; runs < reps; runs++) {
            t0 = now();
            if (sd_unet_y(m, x, 2, h, w, 500.0f, ctx, SD_TOKENS, y, eps) != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
            if (runs >= 0) tl[runs] = now() - t0;
        }
        vm_mb(&rss2, &hwm2);
        dn = median(tn, reps); dl = median(tl, reps);
        printf("LORA LoRA %s (%.1f MB): %d modules, rank %d", o->lora, file_mb, nmod, rmax);
        if (rmin != rmax) printf(" (%d..%d)", rmin, rmax);
        printf(", weight 1; the UNet on a batch of 2 at %dx%d\n", W, H);
        printf("LORA   sd_load_lora              %9.3f s\n", tload);
        printf("LORA   UNet without the LoRA     %9.3f s  median of %d (best %.3f)\n", dn, reps, sd_min(tn, reps));
        printf("LORA   UNet with the LoRA        %9.3f s  median of %d (best %.3f), %+.1f%%\n", dl, reps, sd_min(tl, reps), 100.0 * (dl / dn - 1.0));
        printf("LORA   VmRSS  before %8.0f MB, after %8.0f MB (%+.0f MB), after its steps %8.0f MB\n", rss0, rss1, rss1 - rss0, rss2);
        printf("LORA   VmHWM  before %8.0f MB, after %8.0f MB (%+.0f MB), after its steps %8.0f MB\n", hwm0, hwm1, hwm1 - hwm0, hwm2);
        printf("LORA   float32 copies of the touched layers: %.1f MB (%d modules x out x in kh kw x 4 bytes)\n", touched, nmod);
        free(x); free(ctx); free(y); free(eps);
        runs = 1; t[0] = tload;
    } else if (!strcmp(stage, "decode") || !strcmp(stage, "taesd-dec")) {
        float *z = (float *)malloc(sizeof(float) * 4 * h * w), *img = (float *)malloc(sizeof(float) * 3 * H * W);
        fill(z, (size_t)4 * h * w, 3);
        for (runs = -warm; runs < 2 + 2 * warm + 2 * taesd; runs++) {   /* (TAESD: a few runs more, it is quick) */
            sd_result r;
            t0 = now();
            r = taesd ? sd_taesd_decode(m, z, h, w, img) : sd_vae_decode(m, z, h, w, img);
            if (r == SD_ERR_STATE && taesd) { printf("SKIP %s no TAESD decoder among the --taesd files\n", stage); return 0; }
            if (r != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
            if (runs >= 0) t[runs] = now() - t0;
        }
        flops = sd_last_flops(m); scratch = sd_last_scratch(m) / 1048576.0;
        free(z); free(img);
    } else if (!strcmp(stage, "encode") || !strcmp(stage, "taesd-enc")) {
        float *img = (float *)malloc(sizeof(float) * 3 * H * W), *mean = (float *)malloc(sizeof(float) * 4 * h * w);
        float *lv = (float *)malloc(sizeof(float) * 4 * h * w);
        fill(img, (size_t)3 * H * W, 4);
        for (runs = -warm; runs < 2 + 2 * warm + 2 * taesd; runs++) {
            sd_result r;
            t0 = now();
            r = taesd ? sd_taesd_encode(m, img, H, W, mean) : sd_vae_encode(m, img, H, W, mean, lv);
            if (r == SD_ERR_STATE && taesd) { printf("SKIP %s no TAESD encoder among the --taesd files\n", stage); return 0; }
            if (r != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
            if (runs >= 0) t[runs] = now() - t0;
        }
        flops = sd_last_flops(m); scratch = sd_last_scratch(m) / 1048576.0;
        free(img); free(mean); free(lv);
    } else if (!strcmp(stage, "txt2img") || turbo) {
        /* txt2img: the default sampler (Euler a) and guidance (7) for --steps steps, VAE decode.
           turbo: SD-Turbo's settings (1 step of Euler a, cfg 1: the UNet on the prompt alone, a batch
           of 1; TAESD decode), once, from the start of this process (loading included) to its end */
        sd_params p = sd_params_default();
        unsigned char *rgb = (unsigned char *)malloc((size_t)H * W * 3);
        if (sd_load_vocab(m, o->vocab) != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
        p.prompt = TURBO_PROMPT;
        p.width = W;
        p.height = H;
        p.steps = o->steps;
        p.seed = 42;
        if (turbo) { p.steps = 1; p.cfg_scale = 1.0f; p.sampler = SD_SAMPLER_EULER_A; p.taesd = o->n_taesd > 0; warm = 0; }
        for (runs = -warm; runs < 1 + warm; runs++) {
            sd_result r;
            t0 = now();
            r = sd_txt2img(m, &p, rgb);
            if (r == SD_ERR_STATE && turbo && p.taesd) { printf("SKIP %s no TAESD decoder among the --taesd files\n", stage); return 0; }
            if (r != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
            if (runs >= 0) t[runs] = now() - t0;
        }
        free(rgb);
    } else {
        fprintf(stderr, "bench: unknown stage '%s'\n", stage);
        return 1;
    }
    sd_free(m);
    if (turbo) t[0] = now() - tstart;   /* the whole process: create, load, vocabulary, TAESD, txt2img, free */
    {
        double best = t[0], sorted[BENCH_RUNS];
        for (i = 0; i < runs; i++) { sorted[i] = t[i]; if (t[i] < best) best = t[i]; }
        qsort(sorted, (size_t)runs, sizeof(double), cmp_double);
        printf("RESULT %s %.4f %.4f %.4f %.1f %d %.1f\n", stage, best, sorted[runs / 2], flops / 1e9, peak_mb(), runs, scratch);
    }
    return 0;
}

/* GFLOP/s of an n^3 single-precision product: OpenBLAS when built with it, best of three */
static double ceiling(int threads, const char **who)
{
#ifdef SD_BENCH_OPENBLAS
    int n = 3072, r;
    float *a = (float *)malloc(sizeof(float) * n * n), *b = (float *)malloc(sizeof(float) * n * n), *c = (float *)malloc(sizeof(float) * n * n);
    double best = 1e30;
    fill(a, (size_t)n * n, 5); fill(b, (size_t)n * n, 6);
    openblas_set_num_threads(threads);
    for (r = 0; r < 4; r++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        t0 = now() - t0;
        if (r && t0 < best) best = t0;
    }
    free(a); free(b); free(c);
    *who = "OpenBLAS sgemm 3072^3";
    return 2.0 * n * n * (double)n / best / 1e9;
#else
    (void)threads;
    *who = "none (build with OpenBLAS: make bench)";
    return 0;
#endif
}

/* The FMA peak: each thread runs 12 independent chains of fused multiply-adds on vectors in
   registers (more than the FMA units' latency x their count on current cores), GFLOP/s of all
   threads together over the wall clock, best of 3. */
#if defined(__AVX512F__)
#define PEAK_ISA "AVX-512, 16 lanes"
#define PEAK_LANES 16
typedef __m512 peak_v;
#define PEAK_SET1 _mm512_set1_ps
#define PEAK_FMA _mm512_fmadd_ps
#define PEAK_STORE _mm512_storeu_ps
#elif defined(__AVX2__) && defined(__FMA__)
#define PEAK_ISA "AVX2+FMA, 8 lanes"
#define PEAK_LANES 8
typedef __m256 peak_v;
#define PEAK_SET1 _mm256_set1_ps
#define PEAK_FMA _mm256_fmadd_ps
#define PEAK_STORE _mm256_storeu_ps
#else
#define PEAK_ISA "scalar fmaf"
#define PEAK_LANES 1
typedef float peak_v;
#define PEAK_SET1(v) (v)
#define PEAK_FMA fmaf
#define PEAK_STORE(p, v) (*(p) = (v))
#endif
static double fma_chains(long iters, float seed)
{
    peak_v a[12], x = PEAK_SET1(0.999999f), y = PEAK_SET1(1e-7f);
    float out[PEAK_LANES];
    double sum = 0;
    long i;
    int j, l;
    for (j = 0; j < 12; j++) a[j] = PEAK_SET1(seed + (float)j);
    for (i = 0; i < iters; i++) {
        a[0] = PEAK_FMA(a[0], x, y); a[1] = PEAK_FMA(a[1], x, y); a[2] = PEAK_FMA(a[2], x, y);
        a[3] = PEAK_FMA(a[3], x, y); a[4] = PEAK_FMA(a[4], x, y); a[5] = PEAK_FMA(a[5], x, y);
        a[6] = PEAK_FMA(a[6], x, y); a[7] = PEAK_FMA(a[7], x, y); a[8] = PEAK_FMA(a[8], x, y);
        a[9] = PEAK_FMA(a[9], x, y); a[10] = PEAK_FMA(a[10], x, y); a[11] = PEAK_FMA(a[11], x, y);
    }
    for (j = 0; j < 12; j++) {   /* (the sums are used) */
        PEAK_STORE(out, a[j]);
        for (l = 0; l < PEAK_LANES; l++) sum += out[l];
    }
    return sum;
}

static double fma_peak(int threads)
{
    const long iters = 50000000L / PEAK_LANES * 4;
    double best = 1e30, sink = 0;
    int r;
    for (r = 0; r < 4; r++) {
        double t0 = now();
        int t;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) reduction(+ : sink)
#endif
        for (t = 0; t < threads; t++) sink += fma_chains(iters, (float)t + 1.0f);
        t0 = now() - t0;
        if (r && t0 < best) best = t0;
    }
    if (sink == 12345.678) printf(" ");   /* (the sums are used) */
    return 2.0 * 12 * PEAK_LANES * (double)iters * threads / best / 1e9;
}

/* the stages a run can time, in the order they run */
static const char *const STAGES[] = { "text", "unet", "decode", "encode", "txt2img", "taesd-dec", "taesd-enc", "turbo" };
enum { S_TEXT, S_UNET, S_DECODE, S_ENCODE, S_TXT2IMG, S_TAESD_DEC, S_TAESD_ENC, S_TURBO, S_COUNT };

/* one stage in a process of its own (this program with --stage), started: its output is read by
   child_end, so that several can run at once; NULL if it could not start */
static FILE *child_start(const char *argv0, const char *stage, const bench_opts *o)
{
    char cmd[4096];
    int n, i;
    n = snprintf(cmd, sizeof cmd, "'%s' --stage %s -m '%s' --vocab '%s' -t %d --steps %d -W %d -H %d%s%s%s", argv0, stage, o->model, o->vocab,
                 o->threads, o->steps, o->W, o->H, o->low ? " --low-memory" : "", o->bf16 ? " --bf16" : "",
                 o->gpu == SD_GPU_FP16 ? " --gpu" : o->gpu == SD_GPU_FP32 ? " --gpu-fp32" : "");
    for (i = 0; i < o->n_taesd && n > 0 && n < (int)sizeof cmd; i++) n += snprintf(cmd + n, sizeof cmd - (size_t)n, " --taesd '%s'", o->taesd[i]);
    if (o->lora && n > 0 && n < (int)sizeof cmd) n += snprintf(cmd + n, sizeof cmd - (size_t)n, " --lora '%s' --lora-apply %s", o->lora,
                                                           o->lora_apply == SD_LORA_MERGE ? "merge" : o->lora_apply == SD_LORA_BESIDE ? "beside" : "auto");
    if (o->start_at > 0 && n > 0 && n < (int)sizeof cmd) n += snprintf(cmd + n, sizeof cmd - (size_t)n, " --start-at %.3f", o->start_at);
    if (n <= 0 || n >= (int)sizeof cmd) { fprintf(stderr, "bench: paths too long\n"); return NULL; }
    fflush(stdout);
    return popen(cmd, "r");
}

/* a started stage's RESULT line into the numbers: 1, 0 when it failed, -1 when it said SKIP (why in
   skip); late: how late it was for --start-at (0: on time); the lora stage's report goes to stdout
   and log */
static int child_end(FILE *f, double *best, double *med, double *gf, double *mb, double *late, char *skip, size_t skip_cap, FILE *log)
{
    char line[512], name[32];
    int runs = 0, got = 0;
    *late = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "RESULT %31s %lf %lf %lf %lf %d", name, best, med, gf, mb, &runs) == 6) got = 1;
        else if (sscanf(line, "LATE %lf", late) == 1) continue;
        else if (!strncmp(line, "SKIP ", 5)) {
            const char *why = strchr(line + 5, ' ');
            snprintf(skip, skip_cap, "%s", why ? why + 1 : "");
            skip[strcspn(skip, "\n")] = 0;
            got = -1;
        } else if (!strncmp(line, "LORA ", 5)) {   /* the lora stage's lines, as they are */
            fputs(line + 5, stdout);
            if (log) fputs(line + 5, log);
            got = 1;
        }
    }
    if (f) pclose(f);
    return got;
}

/* one stage in a process of its own, run to its end; wall: the process's wall clock */
static int child(const char *argv0, const char *stage, const bench_opts *o, double *best, double *med, double *gf, double *mb,
                 double *wall, char *skip, size_t skip_cap, FILE *log)
{
    double t0 = now(), late;
    int got = child_end(child_start(argv0, stage, o), best, med, gf, mb, &late, skip, skip_cap, log);
    *wall = now() - t0;
    return got;
}

static void emit(FILE *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (o) {
        va_start(ap, fmt);
        vfprintf(o, fmt, ap);
        va_end(ap);
    }
    fflush(stdout);
}

/* --scaling R: the stages' speed on the run's threads against one thread, in R rounds of one process
   at 1 thread, one at N, then N processes of 1 thread at once, so that all see the machine alike (a
   VM's speed drifts by 10-20% over minutes). The N at once are what the machine gives work that
   never waits for other work: their throughput against one process alone (t1 x the sum of 1/t_i,
   their runs started together after their loads) is the ceiling of the N threads' ratio, and the
   ratio is also given as a fraction of it. Each side's best over the rounds, and each round's ratio */
#define SCALING_START 5.0   /* seconds from starting the N processes to their common start */
static int thread_scaling(const char *argv0, const bench_opts *bo, const int *want, int rounds, const char *out)
{
    FILE *o = fopen(out, "a"), *at[16];
    int s, r, i, nat = bo->threads < 16 ? bo->threads : 16;
    bench_opts b1 = *bo;
    b1.threads = 1;
    emit(o, "\nsd.h bench, thread scaling: %s, %dx%d, 1 thread against %d, %d interleaved round%s (best of each side);\n"
            "%d at once: %d processes of 1 thread run together, their throughput against one alone (the ratio's ceiling)\n",
         bo->model, bo->W, bo->H, bo->threads, rounds, rounds == 1 ? "" : "s", nat, nat);
    emit(o, "%-9s %10s %10s %8s %10s %8s   %s\n", "stage", "1 thread", "threads", "ratio", "at once", "of it", "each round's ratio");
    for (s = S_TEXT; s <= S_ENCODE; s++) {
        double b[3] = { 0, 0, 0 }, best, med, gf, mb, wall, late, worst_late = 0;
        char skip[256], rr[256] = "";
        int got = 1;
        size_t n = 0;
        if (!want[s]) continue;
        for (r = 0; r < rounds && got == 1; r++) {
            double t1 = 0, tn = 0, rate = 0;
            got = child(argv0, STAGES[s], &b1, &best, &med, &gf, &mb, &wall, skip, sizeof skip, o);
            if (got == 1) { t1 = best; got = child(argv0, STAGES[s], bo, &best, &med, &gf, &mb, &wall, skip, sizeof skip, o); tn = best; }
            if (got == 1 && nat > 1) {   /* nat processes of 1 thread, their runs started together */
                bench_opts ba = b1;
                ba.start_at = now() + SCALING_START;
                for (i = 0; i < nat; i++) at[i] = child_start(argv0, STAGES[s], &ba);
                for (i = 0; i < nat; i++) {
                    int g = child_end(at[i], &best, &med, &gf, &mb, &late, skip, sizeof skip, o);
                    if (g != 1) got = g;
                    else rate += 1.0 / best;
                    if (late > worst_late) worst_late = late;
                }
            }
            if (got != 1) break;
            if (r == 0 || t1 < b[0]) b[0] = t1;
            if (r == 0 || tn < b[1]) b[1] = tn;
            if (rate > 0 && (r == 0 || 1.0 / rate < b[2])) b[2] = 1.0 / rate;   /* (the time a job of the nat at once) */
            if (n < sizeof rr) n += (size_t)snprintf(rr + n, sizeof rr - n, "%s%.2f", r ? " " : "", t1 / tn);
        }
        if (got != 1) { emit(o, "%-9s %s\n", STAGES[s], got < 0 ? "skipped" : "failed"); continue; }
        if (b[2] > 0) emit(o, "%-9s %9.3fs %9.3fs %7.2fx %9.2fx %7.0f%%   %s\n", STAGES[s], b[0], b[1], b[0] / b[1], b[0] / b[2], 100 * b[2] / b[1], rr);
        else emit(o, "%-9s %9.3fs %9.3fs %7.2fx %10s %8s   %s\n", STAGES[s], b[0], b[1], b[0] / b[1], "-", "-", rr);
        if (worst_late > 0) emit(o, "          (the processes at once started up to %.1f s apart: a load took over %.0f s)\n", worst_late, SCALING_START);
    }
    if (o) fclose(o);
    printf("results appended to %s\n", out);
    return 0;
}

static const char USAGE[] =
    "usage: bench [-m MODEL] [--vocab MERGES] [-t THREADS] [-W WIDTH] [-H HEIGHT] [--size N] [--low-memory] [--bf16] [--steps N]\n"
    "             [-o FILE] [--taesd DECODER [--taesd ENCODER]] [--turbo] [--stages LIST]\n"
    "             [--gpu | --gpu-fp32] [--ceiling GFLOPS NAME] [--lora FILE [--lora-only] [--lora-apply auto|merge|beside]]\n"
    "             [--scaling ROUNDS]\n"
    "  LIST: a comma-separated choice of text,unet,decode,encode,txt2img,taesd-dec,taesd-enc,turbo\n";

int main(int argc, char **argv)
{
    bench_opts bo;
    const char *out = "build/bench.txt", *stage = NULL, *who, *stages_arg = NULL;
    int i, s, lora_only = 0, turbo = 0, want[S_COUNT], scaling = 0;
    double given_ceiling = 0;
    const char *given_who = NULL;
    FILE *o;
    double ceil_gf, peak1 = 0, peak = 0, gfs[S_COUNT], bests[S_COUNT], mbs[S_COUNT];
    int ok[S_COUNT];
    memset(&bo, 0, sizeof bo);
    bo.model = "build/sd15.safetensors";
    bo.vocab = "build/tiny-merges.txt";
    bo.steps = 20;
    bo.W = bo.H = 512;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-m") && i + 1 < argc) bo.model = argv[++i];
        else if (!strcmp(argv[i], "--vocab") && i + 1 < argc) bo.vocab = argv[++i];
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) bo.threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) bo.steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-W") && i + 1 < argc) bo.W = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-H") && i + 1 < argc) bo.H = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc) bo.W = bo.H = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--stage") && i + 1 < argc) stage = argv[++i];
        else if (!strcmp(argv[i], "--start-at") && i + 1 < argc) bo.start_at = atof(argv[++i]);
        else if (!strcmp(argv[i], "--stages") && i + 1 < argc) stages_arg = argv[++i];
        else if (!strcmp(argv[i], "--low-memory")) bo.low = 1;
        else if (!strcmp(argv[i], "--bf16")) bo.bf16 = 1;
        else if (!strcmp(argv[i], "--gpu")) bo.gpu = SD_GPU_FP16;
        else if (!strcmp(argv[i], "--gpu-fp32")) bo.gpu = SD_GPU_FP32;
        else if (!strcmp(argv[i], "--ceiling") && i + 2 < argc) { given_ceiling = atof(argv[++i]); given_who = argv[++i]; }
        else if (!strcmp(argv[i], "--lora") && i + 1 < argc) bo.lora = argv[++i];
        else if (!strcmp(argv[i], "--lora-only")) lora_only = 1;
        else if (!strcmp(argv[i], "--lora-apply") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(v, "auto")) bo.lora_apply = SD_LORA_AUTO;
            else if (!strcmp(v, "merge")) bo.lora_apply = SD_LORA_MERGE;
            else if (!strcmp(v, "beside")) bo.lora_apply = SD_LORA_BESIDE;
            else { fprintf(stderr, "bench: --lora-apply auto, merge or beside\n"); return 2; }
        }
        else if (!strcmp(argv[i], "--taesd") && i + 1 < argc) {
            if (bo.n_taesd == 2) { fprintf(stderr, "bench: --taesd at most twice (a decoder and an encoder file)\n"); return 2; }
            bo.taesd[bo.n_taesd++] = argv[++i];
        } else if (!strcmp(argv[i], "--turbo")) turbo = 1;
        else if (!strcmp(argv[i], "--scaling") && i + 1 < argc) scaling = atoi(argv[++i]);
        else { fputs(USAGE, stderr); return 2; }
    }
    if (bo.W < 64 || bo.H < 64 || bo.W > 2048 || bo.H > 2048 || bo.W % 8 || bo.H % 8) {
        fprintf(stderr, "bench: size %dx%d: width and height must be multiples of 8 in 64..2048\n", bo.W, bo.H);
        return 2;
    }
    if (bo.steps < 1 || bo.steps > 1000) { fprintf(stderr, "bench: --steps %d: 1..1000\n", bo.steps); return 2; }
    if (lora_only && !bo.lora) { fprintf(stderr, "bench: --lora-only needs --lora FILE\n"); return 2; }
    if (stage) return run_stage(stage, &bo);
    /* which stages: --stages, else the VAE's and the pipeline's, TAESD's with --taesd, turbo with --turbo */
    for (s = 0; s < S_COUNT; s++) {
        want[s] = !lora_only && (s <= S_TXT2IMG || (s < S_TURBO && bo.n_taesd) || (s == S_TURBO && turbo));
        ok[s] = 0; gfs[s] = bests[s] = mbs[s] = 0;
    }
    if (stages_arg) {
        const char *p = stages_arg;
        for (s = 0; s < S_COUNT; s++) want[s] = 0;
        while (*p) {
            size_t len = strcspn(p, ",");
            for (s = 0; s < S_COUNT; s++)
                if (strlen(STAGES[s]) == len && !strncmp(p, STAGES[s], len)) break;
            if (s == S_COUNT) { fprintf(stderr, "bench: unknown stage '%.*s' in --stages\n%s", (int)len, p, USAGE); return 2; }
            want[s] = 1;
            p += len + (p[len] == ',');
        }
    }
    if ((want[S_TAESD_DEC] || want[S_TAESD_ENC]) && !bo.n_taesd) {
        fprintf(stderr, "bench: the TAESD stages need --taesd taesd_decoder.safetensors (mkmodel --taesd FILE --half decoder)\n");
        return 2;
    }
    if (bo.threads <= 0) {
        sd_model *m = sd_create(NULL);
        bo.threads = m ? m->n_threads : 1;
        sd_free(m);
    }
    if (scaling > 0) return thread_scaling(argv[0], &bo, want, scaling, out);
    for (s = 0; s < S_COUNT && !want[s]; s++) {}
    o = fopen(out, "a");
    if (s == S_COUNT) { ceil_gf = 0; who = ""; }   /* (--lora-only: no stage, no ceiling) */
    else if (given_who) { ceil_gf = given_ceiling; who = given_who; }
    else if (bo.gpu) { ceil_gf = 0; who = "none given (tools/bench_cuda.sh measures one)"; }
    else ceil_gf = ceiling(bo.threads, &who);
    if (s < S_COUNT && !bo.gpu) { peak1 = fma_peak(1); peak = bo.threads == 1 ? peak1 : fma_peak(bo.threads); }
    {
        time_t now_t = time(NULL);
        char fam[64] = "";
        sd_model *m = sd_create(NULL);   /* the family, for the header (the file is mapped, not read) */
        sd_info in;
        if (m && sd_load(m, bo.model) == SD_OK && sd_model_info(m, &in) == SD_OK) snprintf(fam, sizeof fam, " (%s)", in.family);
        sd_free(m);
        emit(o, "\nsd.h bench, %s: %s%s, %dx%d, %d thread%s%s%s%s\n", ctime(&now_t) ? "run" : "", bo.model, fam, bo.W, bo.H, bo.threads,
             bo.threads == 1 ? "" : "s", bo.low ? ", low-memory mode" : "", bo.bf16 ? ", bfloat16 products" : "",
             bo.gpu == SD_GPU_FP16 ? ", GPU (FP16 tensor cores)" : bo.gpu == SD_GPU_FP32 ? ", GPU (FP32)" : "");
        for (i = 0; i < bo.n_taesd; i++) emit(o, "TAESD: %s\n", bo.taesd[i]);
        if (s < S_COUNT) {
            emit(o, "ceiling: %s = %.1f GFLOP/s\n", who, ceil_gf);
            if (peak > 0) emit(o, "FMA peak (" PEAK_ISA "): %.1f GFLOP/s on 1 thread, %.1f on %d\n", peak1, peak, bo.threads);
            emit(o, "%-9s %9s %9s %9s %9s %9s %9s %10s\n", "stage", "seconds", "median", "GFLOP", "GFLOP/s", "ceiling", "FMA peak", "peak MB");
        }
    }
    for (s = 0; s < S_COUNT; s++) {
        /* GPU stages take milliseconds: more decimals */
        const char *fmt = bo.gpu ? "%-9s %9.4f %9.4f %9.1f %9.1f %8.0f%% %8.0f%% %10.0f\n" : "%-9s %9.2f %9.2f %9.1f %9.1f %8.0f%% %8.0f%% %10.0f\n";
        double best = 0, med = 0, gf = 0, mb = 0, wall;
        char skip[256] = "";
        int got;
        if (!want[s]) continue;
        if (s == S_TURBO) {   /* a whole process, three times: the best and the median of their wall clocks */
            double w3[3], mbmax = 0;
            int r;
            for (r = 0, got = 1; r < 3 && got == 1; r++) {
                got = child(argv[0], STAGES[s], &bo, &best, &med, &gf, &mb, &wall, skip, sizeof skip, o);
                w3[r] = wall;
                if (mb > mbmax) mbmax = mb;
            }
            if (got == 1) { best = sd_min(w3, 3); med = median(w3, 3); mb = mbmax; }
        } else got = child(argv[0], STAGES[s], &bo, &best, &med, &gf, &mb, &wall, skip, sizeof skip, o);
        if (got == 0) { emit(o, "%-9s failed\n", STAGES[s]); continue; }
        if (got < 0) { emit(o, "%-9s skipped: %s\n", STAGES[s], skip); continue; }
        if (s == S_TXT2IMG) /* two text encodings (prompt, negative), steps x the unet row (its batch of 2), one decode */
            gf = ok[S_TEXT] && ok[S_UNET] && ok[S_DECODE] ? 2 * gfs[S_TEXT] + bo.steps * gfs[S_UNET] + gfs[S_DECODE] : 0;
        if (s == S_TURBO) {   /* one text encoding, the UNet on a batch of 1 (half the unet row), one TAESD (or VAE) decode */
            int dec = bo.n_taesd ? S_TAESD_DEC : S_DECODE;
            gf = ok[S_TEXT] && ok[S_UNET] && ok[dec] ? gfs[S_TEXT] + gfs[S_UNET] / 2 + gfs[dec] : 0;
        }
        ok[s] = 1; gfs[s] = gf; bests[s] = best; mbs[s] = mb;
        emit(o, fmt, STAGES[s], best, med, gf, gf / best, ceil_gf > 0 ? 100.0 * gf / best / ceil_gf : 0.0, peak > 0 ? 100.0 * gf / best / peak : 0.0, mb);
    }
    if (want[S_TXT2IMG])
        emit(o, "txt2img is %d step%s of the UNet with guidance (Euler a, cfg 7), two text encodings and one VAE decode, at %dx%d%s\n",
             bo.steps, bo.steps == 1 ? "" : "s", bo.W, bo.H, ok[S_TXT2IMG] && !gfs[S_TXT2IMG] ? " (GFLOP: needs the text, unet and decode rows)" : "");
    if (ok[S_TAESD_DEC] && ok[S_DECODE])
        emit(o, "taesd-dec: TAESD's decoder %.1fx as fast as the VAE's (%.1f%% of its GFLOP), peak %.0f MB against %.0f MB\n",
             bests[S_DECODE] / bests[S_TAESD_DEC], 100.0 * gfs[S_TAESD_DEC] / gfs[S_DECODE], mbs[S_TAESD_DEC], mbs[S_DECODE]);
    if (ok[S_TAESD_ENC] && ok[S_ENCODE])
        emit(o, "taesd-enc: TAESD's encoder %.1fx as fast as the VAE's (%.1f%% of its GFLOP), peak %.0f MB against %.0f MB\n",
             bests[S_ENCODE] / bests[S_TAESD_ENC], 100.0 * gfs[S_TAESD_ENC] / gfs[S_ENCODE], mbs[S_TAESD_ENC], mbs[S_ENCODE]);
    if (ok[S_TURBO]) {
        /* the same run with the sd tool, beside this program */
        const char *slash = strrchr(argv[0], '/');
        int dir = slash ? (int)(slash - argv[0]) + 1 : 0;
        const char *dec = bo.n_taesd ? "TAESD" : "VAE";
        emit(o, "turbo is SD-Turbo's shape, one whole process each (start, load, vocabulary%s, txt2img at %dx%d: 1 step of\n"
                "  Euler a, cfg 1 (the UNet on a batch of 1), %s decode; exit): the best and median wall clock of 3, their peak RSS;\n"
                "  GFLOP = text + unet / 2 + %s%s. The same with the sd tool (Elapsed, Maximum resident set size):\n"
                "  /usr/bin/time -v %.*ssd txt2img -m '%s' --vocab '%s'",
             bo.n_taesd ? ", TAESD" : "", bo.W, bo.H, dec, bo.n_taesd ? "taesd-dec" : "decode", gfs[S_TURBO] ? "" : " (needs those rows)",
             dir, argv[0], bo.model, bo.vocab);
        for (i = 0; i < bo.n_taesd; i++) emit(o, " --taesd '%s'", bo.taesd[i]);
        emit(o, " -p '" TURBO_PROMPT "' -W %d -H %d --steps 1 --cfg-scale 1 --sampler euler_a -s 42 -t %d -q -o turbo.png\n",
             bo.W, bo.H, bo.threads);
    }
    if (bo.lora) {   /* its own process too: the memory it reports is the LoRA's alone */
        double best, med, gf, mb, wall;
        char skip[256];
        if (!child(argv[0], "lora", &bo, &best, &med, &gf, &mb, &wall, skip, sizeof skip, o)) emit(o, "lora      failed\n");
    }
    if (o) fclose(o);
    printf("results appended to %s\n", out);
    return 0;
}
