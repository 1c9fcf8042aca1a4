/* bench - how fast sd.h runs SD 1.5 at 512x512 on this machine, and how that compares with the
   machine's own ceiling measured in the same run.

   For each stage (text encoder, one UNet evaluation on a batch of 2, VAE decode, VAE encode, a
   whole txt2img) it prints seconds, counted GFLOP (2 x multiply-adds of the convolutions, matrix
   products and attention, as sd.h counts them), GFLOP/s, the fraction of the ceiling, and the
   peak resident memory. Each stage runs in its own process (this program started again with
   --stage), so that its peak memory is its own. The ceiling is a large single-precision matrix
   product by OpenBLAS (a benchmark-only comparison; sd.h never links it) with the same threads.

   make bench            (writes build/sd15.safetensors with mkmodel first; results in build/bench.txt)
   make bench-lora       the LoRA block alone, for build/bench-lora32.safetensors (rank 32, every
                         attention and ResBlock layer: mkmodel --lora)
   build/bench -m MODEL [-t THREADS] [--low-memory] [--steps N] [-o FILE]
               [--gpu | --gpu-fp32] [--ceiling GFLOPS NAME] [--lora FILE [--lora-only]]

   --lora FILE: after the stages, one more process measures what the LoRA costs: the wall clock of
   sd_load_lora (weight 1 for the text encoder and the UNet), the UNet evaluation above without and
   then with the LoRA (each once untimed, then timed; the median), the process's resident memory
   (VmRSS, and its peak VmHWM, from /proc/self/status) before and after applying it, and the bytes
   of the float32 copies the touched layers need, from the file's shapes: per module up.shape[0] x
   down numel / rank x 4. --lora-only skips the ceiling and the stages.

   --gpu / --gpu-fp32 time the GPU backend (a build with sd_cuda.cu: make cuda): each stage runs once
   untimed first (weights go to the GPU on first use), then is timed over more runs. The GPU's
   ceiling comes from outside (tools/bench_cuda.sh measures a large FP16 torch.matmul in the same
   run and passes it with --ceiling). */

#define SD_IMPLEMENTATION
#include "../sd.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#ifdef SD_BENCH_OPENBLAS
#include <cblas.h>
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

/* one stage in this process: prints "RESULT stage seconds_best seconds_median gflop peak_mb runs" */
static int run_stage(const char *stage, const char *model, const char *vocab, int threads, int low, int steps, int gpu, const char *lora)
{
    sd_config c = sd_config_default();
    sd_model *m;
    double t[8], flops = 0, t0, scratch = 0;
    int runs = 0, i, reps = gpu ? 8 : 3, warm = gpu ? 1 : 0;
    const int H = 512, W = 512, h = 64, w = 64;
    c.n_threads = threads;
    c.low_memory = low;
    c.gpu = (sd_gpu)gpu;
    m = sd_create(&c);
    if (m && gpu && !sd_using_gpu(m)) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
    if (!m || sd_load(m, model) != SD_OK) { fprintf(stderr, "bench: %s\n", m ? sd_error(m) : "out of memory"); return 1; }
    if (!strcmp(stage, "text")) {
        int ids[SD_TOKENS];
        float *out = (float *)malloc(sizeof(float) * SD_TOKENS * 768 * 4);
        for (i = 0; i < SD_TOKENS; i++) ids[i] = i < 12 ? 320 + 37 * i : 49407;
        ids[0] = 49406;
        for (runs = -warm; runs < 5; runs++) {
            t0 = now();
            if (sd_text_encode(m, ids, 1, out) != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
            if (runs >= 0) t[runs] = now() - t0;
        }
        flops = sd_last_flops(m); scratch = sd_last_scratch(m) / 1048576.0;
        free(out);
    } else if (!strcmp(stage, "unet")) {
        sd_info in;
        float *x, *ctx, *eps;
        sd_model_info(m, &in);
        x = (float *)malloc(sizeof(float) * 2 * 4 * h * w);
        ctx = (float *)malloc(sizeof(float) * 2 * SD_TOKENS * in.context_dim);
        eps = (float *)malloc(sizeof(float) * 2 * 4 * h * w);
        fill(x, (size_t)2 * 4 * h * w, 1);
        fill(ctx, (size_t)2 * SD_TOKENS * in.context_dim, 2);
        for (runs = -warm; runs < reps; runs++) {
            t0 = now();
            if (sd_unet(m, x, 2, h, w, 500.0f, ctx, eps) != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
            if (runs >= 0) t[runs] = now() - t0;
        }
        flops = sd_last_flops(m); scratch = sd_last_scratch(m) / 1048576.0;
        free(x); free(ctx); free(eps);
    } else if (!strcmp(stage, "lora")) {
        /* the unet stage's evaluation without, then with the LoRA; each once untimed first (the first
           pages the weights in; on the GPU the first after the LoRA uploads the changed layers) */
        sd_info in;
        float *x, *ctx, *eps;
        double tn[8], tl[8], tload, rss0, hwm0, rss1, hwm1, rss2, hwm2, touched, file_mb, dn, dl;
        int nmod, rmin, rmax;
        if (!lora) { fprintf(stderr, "bench: --stage lora needs --lora FILE\n"); return 1; }
        if (!lora_stats(lora, &nmod, &rmin, &rmax, &touched, &file_mb)) { fprintf(stderr, "bench: %s: cannot read its safetensors header\n", lora); return 1; }
        sd_model_info(m, &in);
        x = (float *)malloc(sizeof(float) * 2 * 4 * h * w);
        ctx = (float *)malloc(sizeof(float) * 2 * SD_TOKENS * in.context_dim);
        eps = (float *)malloc(sizeof(float) * 2 * 4 * h * w);
        fill(x, (size_t)2 * 4 * h * w, 1);
        fill(ctx, (size_t)2 * SD_TOKENS * in.context_dim, 2);
        for (runs = -1; runs < reps; runs++) {
            t0 = now();
            if (sd_unet(m, x, 2, h, w, 500.0f, ctx, eps) != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
            if (runs >= 0) tn[runs] = now() - t0;
        }
        vm_mb(&rss0, &hwm0);
        t0 = now();
        if (sd_load_lora(m, lora, 1.0f, 1.0f) != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
        tload = now() - t0;
        vm_mb(&rss1, &hwm1);
        for (runs = -1; runs < reps; runs++) {
            t0 = now();
            if (sd_unet(m, x, 2, h, w, 500.0f, ctx, eps) != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
            if (runs >= 0) tl[runs] = now() - t0;
        }
        vm_mb(&rss2, &hwm2);
        dn = median(tn, reps); dl = median(tl, reps);
        printf("LORA LoRA %s (%.1f MB): %d modules, rank %d", lora, file_mb, nmod, rmax);
        if (rmin != rmax) printf(" (%d..%d)", rmin, rmax);
        printf(", weight 1; the UNet on a batch of 2 at %dx%d\n", W, H);
        printf("LORA   sd_load_lora              %9.3f s\n", tload);
        printf("LORA   UNet without the LoRA     %9.3f s  median of %d (best %.3f)\n", dn, reps, sd_min(tn, reps));
        printf("LORA   UNet with the LoRA        %9.3f s  median of %d (best %.3f), %+.1f%%\n", dl, reps, sd_min(tl, reps), 100.0 * (dl / dn - 1.0));
        printf("LORA   VmRSS  before %8.0f MB, after %8.0f MB (%+.0f MB), after its steps %8.0f MB\n", rss0, rss1, rss1 - rss0, rss2);
        printf("LORA   VmHWM  before %8.0f MB, after %8.0f MB (%+.0f MB), after its steps %8.0f MB\n", hwm0, hwm1, hwm1 - hwm0, hwm2);
        printf("LORA   float32 copies of the touched layers: %.1f MB (%d modules x out x in kh kw x 4 bytes)\n", touched, nmod);
        free(x); free(ctx); free(eps);
        runs = 1; t[0] = tload;
    } else if (!strcmp(stage, "decode")) {
        float *z = (float *)malloc(sizeof(float) * 4 * h * w), *img = (float *)malloc(sizeof(float) * 3 * H * W);
        fill(z, (size_t)4 * h * w, 3);
        for (runs = -warm; runs < 2 + 2 * warm; runs++) {
            t0 = now();
            if (sd_vae_decode(m, z, h, w, img) != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
            if (runs >= 0) t[runs] = now() - t0;
        }
        flops = sd_last_flops(m); scratch = sd_last_scratch(m) / 1048576.0;
        free(z); free(img);
    } else if (!strcmp(stage, "encode")) {
        float *img = (float *)malloc(sizeof(float) * 3 * H * W), *mean = (float *)malloc(sizeof(float) * 4 * h * w);
        float *lv = (float *)malloc(sizeof(float) * 4 * h * w);
        fill(img, (size_t)3 * H * W, 4);
        for (runs = -warm; runs < 2 + 2 * warm; runs++) {
            t0 = now();
            if (sd_vae_encode(m, img, H, W, mean, lv) != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
            if (runs >= 0) t[runs] = now() - t0;
        }
        flops = sd_last_flops(m); scratch = sd_last_scratch(m) / 1048576.0;
        free(img); free(mean); free(lv);
    } else if (!strcmp(stage, "txt2img")) {
        sd_params p = sd_params_default();
        unsigned char *rgb = (unsigned char *)malloc((size_t)H * W * 3);
        if (sd_load_vocab(m, vocab) != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
        p.prompt = "a lighthouse at dawn, oil painting";
        p.steps = steps;
        p.seed = 42;
        for (runs = -warm; runs < 1 + warm; runs++) {
            t0 = now();
            if (sd_txt2img(m, &p, rgb) != SD_OK) { fprintf(stderr, "bench: %s\n", sd_error(m)); return 1; }
            if (runs >= 0) t[runs] = now() - t0;
        }
        free(rgb);
    } else {
        fprintf(stderr, "bench: unknown stage '%s'\n", stage);
        return 1;
    }
    {
        double best = t[0], sorted[8];
        for (i = 0; i < runs; i++) { sorted[i] = t[i]; if (t[i] < best) best = t[i]; }
        qsort(sorted, (size_t)runs, sizeof(double), cmp_double);
        printf("RESULT %s %.4f %.4f %.4f %.1f %d %.1f\n", stage, best, sorted[runs / 2], flops / 1e9, peak_mb(), runs, scratch);
    }
    sd_free(m);
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

int main(int argc, char **argv)
{
    const char *model = "build/sd15.safetensors", *vocab = "build/tiny-merges.txt", *out = "build/bench.txt", *stage = NULL, *who;
    int threads = 0, low = 0, steps = 20, i, gpu = 0;
    double given_ceiling = 0;
    const char *given_who = NULL, *lora = NULL;
    int lora_only = 0;
    char cmd[2048], line[512];
    FILE *f, *o;
    double ceil_gf, unet_gf = 0, text_gf = 0, dec_gf = 0;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-m") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "--vocab") && i + 1 < argc) vocab = argv[++i];
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--stage") && i + 1 < argc) stage = argv[++i];
        else if (!strcmp(argv[i], "--low-memory")) low = 1;
        else if (!strcmp(argv[i], "--gpu")) gpu = SD_GPU_FP16;
        else if (!strcmp(argv[i], "--gpu-fp32")) gpu = SD_GPU_FP32;
        else if (!strcmp(argv[i], "--ceiling") && i + 2 < argc) { given_ceiling = atof(argv[++i]); given_who = argv[++i]; }
        else if (!strcmp(argv[i], "--lora") && i + 1 < argc) lora = argv[++i];
        else if (!strcmp(argv[i], "--lora-only")) lora_only = 1;
        else {
            fprintf(stderr, "usage: bench [-m MODEL] [--vocab MERGES] [-t THREADS] [--low-memory] [--steps N] [-o FILE]"
                            " [--gpu | --gpu-fp32] [--ceiling GFLOPS NAME] [--lora FILE [--lora-only]]\n");
            return 2;
        }
    }
    if (lora_only && !lora) { fprintf(stderr, "bench: --lora-only needs --lora FILE\n"); return 2; }
    if (stage) return run_stage(stage, model, vocab, threads, low, steps, gpu, lora);
    if (threads <= 0) {
        sd_model *m = sd_create(NULL);
        threads = m ? m->n_threads : 1;
        sd_free(m);
    }
    o = fopen(out, "a");
    if (lora_only) { ceil_gf = 0; who = ""; }
    else if (given_who) { ceil_gf = given_ceiling; who = given_who; }
    else if (gpu) { ceil_gf = 0; who = "none given (tools/bench_cuda.sh measures one)"; }
    else ceil_gf = ceiling(threads, &who);
    {
        time_t now_t = time(NULL);
        char hdr[512];
        snprintf(hdr, sizeof hdr, "\nsd.h bench, %s: %s, 512x512, %d thread%s%s%s\nceiling: %s = %.1f GFLOP/s\n",
                 ctime(&now_t) ? "run" : "", model, threads, threads == 1 ? "" : "s", low ? ", low-memory mode" : "",
                 gpu == SD_GPU_FP16 ? ", GPU (FP16 tensor cores)" : gpu == SD_GPU_FP32 ? ", GPU (FP32)" : "", who, ceil_gf);
        if (lora_only) *strstr(hdr, "ceiling: ") = 0;   /* no ceiling measured: no line for it */
        fputs(hdr, stdout);
        if (o) fputs(hdr, o);
    }
    if (!lora_only) {
        printf("%-9s %9s %9s %9s %9s %9s %10s\n", "stage", "seconds", "median", "GFLOP", "GFLOP/s", "ceiling", "peak MB");
        if (o) fprintf(o, "%-9s %9s %9s %9s %9s %9s %10s\n", "stage", "seconds", "median", "GFLOP", "GFLOP/s", "ceiling", "peak MB");
    }
    if (!lora_only) {
        static const char *const stages[] = { "text", "unet", "decode", "encode", "txt2img" };
        int s;
        for (s = 0; s < 5; s++) {
            char name[32];
            double best = 0, med = 0, gf = 0, mb = 0;
            int runs = 0, got = 0;
            snprintf(cmd, sizeof cmd, "'%s' --stage %s -m '%s' --vocab '%s' -t %d --steps %d%s%s", argv[0], stages[s], model, vocab,
                     threads, steps, low ? " --low-memory" : "", gpu == SD_GPU_FP16 ? " --gpu" : gpu == SD_GPU_FP32 ? " --gpu-fp32" : "");
            f = popen(cmd, "r");
            while (f && fgets(line, sizeof line, f))
                if (sscanf(line, "RESULT %31s %lf %lf %lf %lf %d", name, &best, &med, &gf, &mb, &runs) == 6) got = 1;
            if (f) pclose(f);
            if (!got) { printf("%-9s failed\n", stages[s]); continue; }
            if (s == 0) text_gf = gf;
            if (s == 1) unet_gf = gf;
            if (s == 2) dec_gf = gf;
            if (s == 4) gf = 2 * text_gf + steps * unet_gf + dec_gf;
            {   /* GPU stages take milliseconds: more decimals */
                const char *fmt = gpu ? "%-9s %9.4f %9.4f %9.1f %9.1f %8.0f%% %10.0f\n" : "%-9s %9.2f %9.2f %9.1f %9.1f %8.0f%% %10.0f\n";
                printf(fmt, stages[s], best, med, gf, gf / best, ceil_gf > 0 ? 100.0 * gf / best / ceil_gf : 0.0, mb);
                if (o) fprintf(o, fmt, stages[s], best, med, gf, gf / best, ceil_gf > 0 ? 100.0 * gf / best / ceil_gf : 0.0, mb);
            }
            fflush(stdout);
        }
    }
    if (!lora_only) {
        printf("txt2img is %d steps of the UNet with guidance, two text encodings and one decode\n", steps);
        if (o) fprintf(o, "txt2img is %d steps of the UNet with guidance, two text encodings and one decode\n", steps);
    }
    if (lora) {   /* its own process too: the memory it reports is the LoRA's alone */
        int got = 0;
        snprintf(cmd, sizeof cmd, "'%s' --stage lora -m '%s' --vocab '%s' -t %d%s%s --lora '%s'", argv[0], model, vocab, threads,
                 low ? " --low-memory" : "", gpu == SD_GPU_FP16 ? " --gpu" : gpu == SD_GPU_FP32 ? " --gpu-fp32" : "", lora);
        fflush(stdout);
        f = popen(cmd, "r");
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "LORA ", 5)) {
                fputs(line + 5, stdout);
                if (o) fputs(line + 5, o);
                got = 1;
            }
        if (f) pclose(f);
        if (!got) printf("lora      failed\n");
    }
    if (o) fclose(o);
    printf("results appended to %s\n", out);
    return 0;
}
