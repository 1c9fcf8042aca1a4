/* test_sdxl: SDXL (base) through the public API, on a tiny random checkpoint mkmodel writes
   (build/tests-tmp; the fixture's shapes when mkmodel has --config sdxl-tiny, else --family sdxl)
   and, with ../shared, on the sdxl-tiny fixture.

   - Info against the file's own header, read here: family "SDXL", two encoders and their widths
     (token_embedding), pooled_dim (text_projection [W1,P]), unet_adm_in (label_emb.0.0 [E,adm_in]
     = P + 6 x 256), transformer depths per level and in the middle (the largest
     transformer_blocks.{d} of each block), VAE scale 0.13025; the fixture's against cases.json.
   - Errors: a pooled vector asked of SD 1.x (sd_text_encode_pooled, sd_encode_prompt_pooled:
     SD_ERR_STATE), sd_sdxl_vector on SD 1.x, sd_unet / sd_unet_ctx on SDXL without y (the message
     names sd_unet_y), clip skip out of range in each text call and in txt2img, textual-inversion
     embeddings on SDXL (not supported yet).
   - sd_sdxl_vector against its layout computed here: the pooled vector copied, then six 256-wide
     sinusoids (cos first, f_k = exp(-ln(10000) k / 128)) of orig_h, orig_w, crop_top, crop_left,
     target_h, target_w, to 1e-6.
   - Text: sd_text_encode_pooled's context is sd_text_encode's bits (clip skip 1 and 2); pooled does
     not depend on clip skip nor on being asked for; sd_encode_prompt_pooled gives the first chunk's.
     With ../shared: the fixture's contexts and pooled vectors, its UNet cases (sd_unet_y) and its
     pipelines' y (both prompts' conditioning as made here, zeros for an empty negative), each to
     relative L2 1e-4; a SKIP line without it.
   - The pipeline: txt2img against the same run made here from the stage calls (the prompts'
     contexts and pooled vectors, sd_sdxl_vector with distinct sizes and crop, sd_unet_y on the
     guided batch, the sampler, the VAE at 1/0.13025): the same bits, with a negative prompt and with
     an empty one (zeros). An empty negative prompt == NULL; a non-empty one changes the image (cfg
     > 1) and does nothing at cfg 1; original size, crop and target size each change the image, and
     given equal to their defaults (the image's size, 0,0; on a 64x32 image, so that a swap of width
     and height shows) leave the bits alone; 1 and 2 threads, low_memory: the same bits.
   - A diffusers SDXL folder (mkmodel --diffusers; a SKIP line from an mkmodel that cannot) gives the
     single file's bits: context and pooled vector (clip skip 1 and 2), UNet, txt2img.
   The refusals of half-SDXL files (a refiner, SDXL text encoders beside an SD 1.x UNet) are in
   test_loader, which has the safetensors writer; the command line's in test_sdxl.sh. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

/* ---------------------------------------------------------------- the models */

/* build/tests-tmp/<name> made by mkmodel with these arguments, or NULL (no FAIL line) when this
   mkmodel cannot make it */
static const char *made_if(const char *name, const char *args)
{
    static char buf[4][512];
    static int k;
    char *p = buf[k++ & 3], cmd[1200];
    FILE *f;
    snprintf(p, 512, "build/tests-tmp/%s", name);
    if ((f = fopen(p, "rb")) != NULL) { fclose(f); return p; }
    snprintf(cmd, sizeof cmd, "mkdir -p build/tests-tmp && build/mkmodel %s %s.part$$ >/dev/null 2>&1 && mv %s.part$$ %s", args, p, p, p);   /* (see t_made) */
    return system(cmd) == 0 ? p : NULL;
}

/* the tiny SDXL checkpoint: the fixture's layout (--config sdxl-tiny), or with an older mkmodel --family sdxl */
static const char *g_xl_args = "--config sdxl-tiny";   /* what made it */
static const char *xl_model(void)
{
    static const char *p;
    if (!p && !(p = made_if("sdxl-tiny.safetensors", "--config sdxl-tiny -o"))) {
        printf("       (mkmodel has no --config sdxl-tiny: --family sdxl)\n");
        g_xl_args = "--family sdxl";
        p = t_made("sdxl.safetensors", "--family sdxl -o");
    }
    return p;
}

static const char *sd1_model(void) { return t_made("tiny.safetensors", "--config tiny -o"); }

static sd_model *load_cfg(const char *model, const char *vocab, int threads, int low_memory)
{
    sd_config c = sd_config_default();
    sd_model *m;
    c.n_threads = threads; c.low_memory = low_memory;
    if (!(m = sd_create(&c))) return NULL;
    if (sd_load(m, model) != SD_OK || (vocab && sd_load_vocab(m, vocab) != SD_OK)) {
        printf("FAIL loading %s / %s: %s\n", model, vocab ? vocab : "-", sd_error(m));
        t_failures++;
        sd_free(m);
        return NULL;
    }
    return m;
}

/* ---------------------------------------------------------------- the file's header, read here */

typedef struct hdr { t_json j; } hdr;

static int hdr_read(hdr *h, const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char b8[8];
    unsigned long long n = 0;
    char *text;
    int i, ok;
    memset(h, 0, sizeof *h);
    if (!f || fread(b8, 1, 8, f) != 8) { if (f) fclose(f); return 0; }
    for (i = 0; i < 8; i++) n |= (unsigned long long)b8[i] << (8 * i);
    text = (char *)malloc((size_t)n + 1);
    ok = text && fread(text, 1, (size_t)n, f) == (size_t)n;
    fclose(f);
    if (ok) { text[n] = 0; ok = t__jval(text, &h->j) != NULL; }
    free(text);
    return ok;
}

/* dimension d of tensor name, or -1 */
static int hdr_dim(const hdr *h, const char *name, int d)
{
    const t_json *sh = t_jget(t_jget(&h->j, name), "shape");
    return sh && sh->type == 5 && d < sh->n ? (int)sh->item[d].num : -1;
}

/* the transformer depth of an LDM block ("input_blocks.4.1", "middle_block.1"): the largest d of
   its transformer_blocks.{d}. + 1; 0 without one */
static int hdr_depth(const hdr *h, const char *block)
{
    char pre[200];
    int i, depth = 0;
    size_t n = (size_t)snprintf(pre, sizeof pre, "model.diffusion_model.%s.transformer_blocks.", block);
    for (i = 0; i < h->j.n; i++)
        if (!strncmp(h->j.key[i], pre, n)) { int d = atoi(h->j.key[i] + n); if (d + 1 > depth) depth = d + 1; }
    return depth;
}

static void info_checks(const char *path, const char *what, const t_json *shapes)
{
    sd_model *m = load_cfg(path, NULL, 0, 0);
    sd_info in;
    hdr h;
    int w0, w1, p, adm, l, ok = 1, nres;
    char got[128], want[128];
    size_t gl = 0, wl = 0;
    if (!m) return;
    if (!hdr_read(&h, path)) { t_ok(0, "%s: reading its header", what); sd_free(m); return; }
    sd_model_info(m, &in);
    w0 = hdr_dim(&h, "conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight", 1);
    w1 = hdr_dim(&h, "conditioner.embedders.1.model.token_embedding.weight", 1);
    p = hdr_dim(&h, "conditioner.embedders.1.model.text_projection", 1);
    adm = hdr_dim(&h, "model.diffusion_model.label_emb.0.0.weight", 1);
    t_ok(!strcmp(in.family, "SDXL"), "%s: family \"%s\" (SDXL)", what, in.family);
    t_ok(in.text_encoders == 2 && in.text_widths[0] == w0 && in.text_widths[1] == w1 && in.text_width == w0 + w1 && in.context_dim == w0 + w1,
         "%s: %d text encoders, widths %d + %d = %d, context %d (the file: %d + %d)", what, in.text_encoders, in.text_widths[0], in.text_widths[1],
         in.text_width, in.context_dim, w0, w1);
    t_ok(in.pooled_dim == p && p > 0, "%s: pooled_dim %d (text_projection [%d,%d])", what, in.pooled_dim, w1, p);
    t_ok(in.unet_adm_in == adm && adm == p + 6 * 256, "%s: unet_adm_in %d (label_emb.0.0 [.,%d] = %d + 6 x 256)", what, in.unet_adm_in, adm, p);
    nres = in.unet_res_blocks;
    for (l = 0; l < in.unet_levels; l++) {
        char b[64];
        int d;
        snprintf(b, sizeof b, "input_blocks.%d.1", 1 + l * (nres + 1));
        d = hdr_depth(&h, b);
        if (d != in.unet_depths[l] || (in.unet_attention[l] != 0) != (d > 0)) ok = 0;
        if (shapes && (l >= t_jget(shapes, "transformer_depth")->n || (int)t_jget(shapes, "transformer_depth")->item[l].num != d)) ok = 0;
        gl += (size_t)snprintf(got + gl, sizeof got - gl, "%s%d", l ? "," : "", in.unet_depths[l]);
        wl += (size_t)snprintf(want + wl, sizeof want - wl, "%s%d", l ? "," : "", d);
    }
    if (in.unet_mid_depth != hdr_depth(&h, "middle_block.1")) ok = 0;
    t_ok(ok && in.unet_levels > 0, "%s: transformer depths %s, middle %d (the file's keys: %s, middle %d%s)", what, got, in.unet_mid_depth, want,
         hdr_depth(&h, "middle_block.1"), shapes ? "; cases.json agrees" : "");
    {
        int l0 = 0, l1 = 0, i;
        for (i = 0; i < h.j.n; i++) {
            const char *k = h.j.key[i], *a = "conditioner.embedders.0.transformer.text_model.encoder.layers.", *b = "conditioner.embedders.1.model.transformer.resblocks.";
            if (!strncmp(k, a, strlen(a)) && atoi(k + strlen(a)) + 1 > l0) l0 = atoi(k + strlen(a)) + 1;
            if (!strncmp(k, b, strlen(b)) && atoi(k + strlen(b)) + 1 > l1) l1 = atoi(k + strlen(b)) + 1;
        }
        t_ok(in.text_layers == l0 && in.text2_layers == l1, "%s: text encoders of %d and %d layers (the file's keys: %d and %d)", what, in.text_layers,
             in.text2_layers, l0, l1);
    }
    t_ok(in.vae_scale == 0.13025f, "%s: vae_scale %.6g (0.13025)", what, in.vae_scale);
    if (shapes) {
        const t_json *te1 = t_jget(shapes, "te1_width_layers"), *te2 = t_jget(shapes, "te2_width_layers");
        t_ok(te1 && te2 && (int)te1->item[0].num == in.text_widths[0] && (int)te2->item[0].num == in.text_widths[1] &&
             (int)te1->item[1].num == in.text_layers && (int)te2->item[1].num == in.text2_layers &&
             (int)t_jnum(shapes, "context_dim", 0) == in.context_dim && (int)t_jnum(shapes, "adm_in_channels", 0) == in.unet_adm_in,
             "%s: against cases.json's shapes: encoders %dx%d and %dx%d layers, context %d, adm_in %d", what, in.text_widths[0], in.text_layers,
             in.text_widths[1], in.text2_layers, in.context_dim, in.unet_adm_in);
    }
    t_json_free(&h.j);
    sd_free(m);
}

/* ---------------------------------------------------------------- errors */

static void errors(const char *xl, const char *vocab)
{
    sd_model *m1 = load_cfg(sd1_model(), vocab, 0, 0), *mx = load_cfg(xl, vocab, 0, 0);
    sd_info i1, ix;
    int ids[SD_TOKENS], chunks;
    float *ctx, *ctx2, *pooled, *x, *eps, *y;
    if (!m1 || !mx) { sd_free(m1); sd_free(mx); return; }
    sd_model_info(m1, &i1); sd_model_info(mx, &ix);
    ctx = (float *)calloc((size_t)SD_TOKENS * (i1.text_width + ix.text_width), sizeof(float));
    ctx2 = (float *)calloc((size_t)SD_TOKENS * (i1.text_width + ix.text_width), sizeof(float));
    pooled = (float *)calloc((size_t)ix.pooled_dim + 1, sizeof(float));
    y = (float *)calloc((size_t)ix.unet_adm_in + 1, sizeof(float));
    x = (float *)calloc(4 * 8 * 8, sizeof(float));
    eps = (float *)calloc(4 * 8 * 8, sizeof(float));
    sd_tokenize(m1, "a red fox", ids);
    t_ok(!strcmp(i1.family, "SD 1.x") && i1.text_encoders == 1 && i1.pooled_dim == 0 && i1.unet_adm_in == 0,
         "SD 1.x info: family %s, %d text encoder, pooled_dim %d, unet_adm_in %d", i1.family, i1.text_encoders, i1.pooled_dim, i1.unet_adm_in);
    /* SD 1.x asked for SDXL's extras */
    t_err(m1, sd_text_encode_pooled(m1, ids, 1, ctx, pooled), SD_ERR_STATE, "no pooled vector", "SD 1.x: sd_text_encode_pooled with a pooled pointer");
    t_err(m1, sd_encode_prompt_pooled(m1, "a red fox", SD_WEIGHTING_NONE, 1, ctx, 1, &chunks, pooled), SD_ERR_STATE, "no pooled vector",
          "SD 1.x: sd_encode_prompt_pooled with a pooled pointer");
    t_err(m1, sd_sdxl_vector(m1, pooled, 64, 64, 0, 0, 64, 64, y), SD_ERR_STATE, "no SDXL model", "SD 1.x: sd_sdxl_vector");
    if (t_call(m1, sd_text_encode_pooled(m1, ids, 1, ctx, NULL), "SD 1.x: sd_text_encode_pooled, pooled NULL") &&
        t_call(m1, sd_text_encode(m1, ids, 1, ctx2), "SD 1.x: sd_text_encode"))
        t_same("SD 1.x: sd_text_encode_pooled(pooled NULL) == sd_text_encode", ctx, ctx2, (size_t)SD_TOKENS * i1.text_width);
    /* SDXL without its vector */
    memset(ctx, 0, sizeof(float) * SD_TOKENS * ix.text_width);
    t_err(mx, sd_unet(mx, x, 1, 8, 8, 500.0f, ctx, eps), SD_ERR_ARG, "sd_unet_y", "SDXL: sd_unet (no y)");
    t_err(mx, sd_unet_ctx(mx, x, 1, 8, 8, 500.0f, ctx, SD_TOKENS, eps), SD_ERR_ARG, "sd_unet_y", "SDXL: sd_unet_ctx (no y)");
    t_err(mx, sd_unet_y(mx, x, 1, 8, 8, 500.0f, ctx, SD_TOKENS, NULL, eps), SD_ERR_ARG, "vector y", "SDXL: sd_unet_y with y NULL");
    t_ok(sd_unet_y(mx, x, 1, 8, 8, 500.0f, ctx, SD_TOKENS, y, eps) == SD_OK && t_finite(eps, 4 * 8 * 8), "SDXL: sd_unet_y with y (zeros) runs");
    /* clip skip: 1 .. layers - 1 (the context is the penultimate layer's) in every text call */
    sd_tokenize(mx, "a red fox", ids);
    {
        int top = ix.text_layers < ix.text2_layers ? ix.text_layers : ix.text2_layers, bad[3], b;
        char what[128];
        sd_params p = sd_params_default();
        unsigned char *rgb = (unsigned char *)malloc(64 * 64 * 3);
        bad[0] = 0; bad[1] = top; bad[2] = -1;
        for (b = 0; b < 3; b++) {
            snprintf(what, sizeof what, "SDXL: sd_text_encode_pooled clip skip %d (%d and %d layers)", bad[b], ix.text_layers, ix.text2_layers);
            t_err(mx, sd_text_encode_pooled(mx, ids, bad[b], ctx, pooled), SD_ERR_ARG, "clip skip", what);
            snprintf(what, sizeof what, "SDXL: sd_encode_prompt_pooled clip skip %d", bad[b]);
            t_err(mx, sd_encode_prompt_pooled(mx, "a red fox", SD_WEIGHTING_NONE, bad[b], ctx, 1, &chunks, pooled), SD_ERR_ARG, "clip skip", what);
            p.prompt = "a red fox"; p.width = p.height = 64; p.steps = 1; p.clip_skip = bad[b];
            snprintf(what, sizeof what, "SDXL: sd_txt2img clip skip %d", bad[b]);
            t_err(mx, sd_txt2img(mx, &p, rgb), SD_ERR_ARG, "clip skip", what);
        }
        sd_result r = sd_text_encode_pooled(mx, ids, top - 1, ctx, pooled);
        t_ok(r == SD_OK, "SDXL: clip skip %d (the deepest allowed) runs%s%s", top - 1, r ? ": " : "", r ? sd_error(mx) : "");
        for (b = 0; b < 6; b++) {   /* the size conditioning out of range: each of the six, negative and too large */
            int k, *f[6];
            p.clip_skip = 1;
            f[0] = &p.orig_width; f[1] = &p.orig_height; f[2] = &p.crop_left; f[3] = &p.crop_top; f[4] = &p.target_width; f[5] = &p.target_height;
            for (k = 0; k < 2; k++) {
                *f[b] = k ? 65537 : -8;
                snprintf(what, sizeof what, "SDXL: sd_txt2img with size conditioning field %d = %d", b, *f[b]);
                t_err(mx, sd_txt2img(mx, &p, rgb), SD_ERR_ARG, "size conditioning", what);
                *f[b] = 0;
            }
        }
        free(rgb);
    }
    /* a textual-inversion embedding (CLIP-L's width) in an SDXL prompt: not supported yet */
    {
        char args[64];
        const char *emb;
        snprintf(args, sizeof args, "--width %d --embedding", ix.text_widths[0]);
        if ((emb = t_made("xlemb.safetensors", args)) && t_call(mx, sd_load_embedding(mx, emb), "SDXL: sd_load_embedding (CLIP-L's width)"))
            t_err(mx, sd_encode_prompt_pooled(mx, "a xlemb fox", SD_WEIGHTING_NONE, 1, ctx, 1, &chunks, pooled), SD_ERR_UNSUPPORTED,
                  "not supported", "SDXL: a prompt with an embedding");
    }
    free(ctx); free(ctx2); free(pooled); free(y); free(x); free(eps);
    sd_free(m1); sd_free(mx);
}

/* ---------------------------------------------------------------- sd_sdxl_vector */

/* its layout computed here: pooled, then e(v) for each size, e = [cos(v f_k), sin(v f_k)], k < 128,
   f_k = exp(-ln(10000) k / 128), computed in float32 as torch does (-ln(10000) k, exp and v f_k each
   rounded to float: an ulp of v f_k is 4e-6 at 64, 6e-5 at 1024), cos and sin in double */
static void vector_ref(const float *pooled, int P, const int v[6], float *y)
{
    int i, k;
    memcpy(y, pooled, (size_t)P * sizeof(float));
    for (i = 0; i < 6; i++)
        for (k = 0; k < 128; k++) {
            float e = (float)-log(10000.0) * (float)k / 128.0f, f = (float)exp((double)e), arg = (float)v[i] * f;
            y[P + 256 * i + k] = (float)cos((double)arg);
            y[P + 256 * i + 128 + k] = (float)sin((double)arg);
        }
}

static double max_abs(const float *a, const float *b, size_t n, size_t *at)
{
    double worst = 0;
    size_t i;
    *at = 0;
    for (i = 0; i < n; i++) if (fabs((double)a[i] - b[i]) > worst || a[i] != a[i]) { worst = a[i] != a[i] ? 1e30 : fabs((double)a[i] - b[i]); *at = i; }
    return worst;
}

static void vector_checks(const char *xl)
{
    static const int sizes[3][6] = { { 1024, 768, 37, 11, 896, 640 }, { 64, 64, 0, 0, 64, 64 }, { 32, 64, 0, 8, 48, 80 } };
    sd_model *m = load_cfg(xl, NULL, 0, 0);
    sd_info in;
    float *pooled, *y, *ref;
    int P, A, c, i;
    unsigned u = 12345;
    if (!m) return;
    sd_model_info(m, &in);
    P = in.pooled_dim; A = in.unet_adm_in;
    pooled = (float *)malloc(sizeof(float) * (size_t)P);
    y = (float *)malloc(sizeof(float) * (size_t)A);
    ref = (float *)malloc(sizeof(float) * (size_t)A);
    for (i = 0; i < P; i++) { u = u * 1103515245u + 12345u; pooled[i] = (float)((int)(u >> 8) % 20001 - 10000) / 997.0f; }
    for (c = 0; c < 3; c++) {
        const int *v = sizes[c];
        size_t at;
        double e;
        sd_result r = sd_sdxl_vector(m, pooled, v[0], v[1], v[2], v[3], v[4], v[5], y);
        if (!t_call(m, r, "sd_sdxl_vector")) continue;
        vector_ref(pooled, P, v, ref);
        t_same("sd_sdxl_vector: y[0..P) is the pooled vector", y, pooled, (size_t)P);
        e = max_abs(y + P, ref + P, (size_t)A - P, &at);
        t_ok(e <= 1e-6, "sd_sdxl_vector(orig %dx%d, crop top %d left %d, target %dx%d, h x w): 6 x 256 sinusoids, max abs %.2e (tol 1e-6) at %lu "
             "(size %lu, %s %lu)", v[0], v[1], v[2], v[3], v[4], v[5], e, (unsigned long)at, (unsigned long)at / 256, at % 256 < 128 ? "cos" : "sin",
             (unsigned long)at % 128);
        if (e > 1e-6) printf("       [%lu] got %.9g ref %.9g\n", (unsigned long)(P + at), y[P + at], ref[P + at]);
    }
    free(pooled); free(y); free(ref);
    sd_free(m);
}

/* ---------------------------------------------------------------- text: context and pooled vector */

static void text_checks(const char *xl, const char *vocab)
{
    sd_model *m = load_cfg(xl, vocab, 0, 0);
    sd_info in;
    int ids[SD_TOKENS], skip, top, chunks = 0, k;
    size_t nc;
    float *c1, *c2, *p1, *p2, *long_ctx;
    char *longp;
    if (!m) return;
    sd_model_info(m, &in);
    nc = (size_t)SD_TOKENS * in.text_width;
    c1 = (float *)malloc(sizeof(float) * nc); c2 = (float *)malloc(sizeof(float) * nc);
    p1 = (float *)malloc(sizeof(float) * in.pooled_dim); p2 = (float *)malloc(sizeof(float) * in.pooled_dim);
    long_ctx = (float *)malloc(sizeof(float) * nc * 3);
    top = (in.text_layers < in.text2_layers ? in.text_layers : in.text2_layers) - 1;
    sd_tokenize(m, "a photo of a red fox in the snow", ids);
    for (skip = 1; skip <= 2; skip++) {
        char what[128];
        if (skip > top) { printf("       (clip skip %d: this model's encoders allow 1..%d)\n", skip, top); continue; }
        if (!t_call(m, sd_text_encode_pooled(m, ids, skip, c1, p1), "sd_text_encode_pooled") || !t_call(m, sd_text_encode(m, ids, skip, c2), "sd_text_encode"))
            continue;
        snprintf(what, sizeof what, "clip skip %d: sd_text_encode_pooled's context == sd_text_encode's", skip);
        t_same(what, c1, c2, nc);
        if (!t_call(m, sd_text_encode_pooled(m, ids, skip, c2, NULL), "sd_text_encode_pooled, pooled NULL")) continue;
        snprintf(what, sizeof what, "clip skip %d: the context with pooled NULL == with a pooled vector", skip);
        t_same(what, c1, c2, nc);
        if (skip == 1) memcpy(p2, p1, sizeof(float) * in.pooled_dim);
        else t_same("the pooled vector does not depend on clip skip (1 vs 2)", p1, p2, (size_t)in.pooled_dim);
        t_ok(t_finite(c1, nc) && t_finite(p1, (size_t)in.pooled_dim), "clip skip %d: context and pooled vector finite", skip);
    }
    /* the prompt's conditioning: the first chunk's pooled vector (A1111's weighting: a long prompt in chunks) */
    longp = (char *)malloc(4000);
    longp[0] = 0;
    for (k = 0; k < 20; k++) strcat(longp, k ? " a red fox in the snow" : "a photo of a red fox in the snow");
    if (t_call(m, sd_encode_prompt_pooled(m, longp, SD_WEIGHTING_A1111, 1, long_ctx, 3, &chunks, p1), "sd_encode_prompt_pooled (a long prompt)")) {
        int chunk_ids[3 * SD_TOKENS];
        float w[3 * SD_TOKENS];
        t_ok(chunks == 2, "a prompt of %d words: %d chunks (A1111's weighting)", 20 * 6 + 2, chunks);
        if (t_call(m, sd_prompt_tokens(m, longp, SD_WEIGHTING_A1111, chunk_ids, w, 3, &chunks), "sd_prompt_tokens") &&
            t_call(m, sd_text_encode_pooled(m, chunk_ids, 1, c2, p2), "sd_text_encode_pooled (chunk 1)")) {
            t_same("sd_encode_prompt_pooled: the pooled vector is the first chunk's", p1, p2, (size_t)in.pooled_dim);
            t_same("  ... and the first chunk's context is sd_text_encode_pooled's", long_ctx, c2, nc);
            if (t_call(m, sd_text_encode_pooled(m, chunk_ids + SD_TOKENS, 1, c2, p2), "sd_text_encode_pooled (chunk 2)"))
                t_same("  ... and the second chunk's", long_ctx + nc, c2, nc);
        }
    }
    free(longp); free(c1); free(c2); free(p1); free(p2); free(long_ctx);
    sd_free(m);
}

/* ---------------------------------------------------------------- the fixture (../shared) */

static sd_array fx_npy(sd_model *m, const char *name)
{
    char rel[200];
    const char *p;
    sd_array a;
    memset(&a, 0, sizeof a);
    snprintf(rel, sizeof rel, "fixtures/sdxl-tiny/%s", name);
    if (!(p = t_shared(rel)) || sd_npy_read(m, p, &a) != SD_OK) t_ok(0, "reading fixture sdxl-tiny/%s: %s", name, p ? sd_error(m) : "missing");
    return a;
}

/* ids_te1 of a text case, or of another case of the same prompt (the --pooled cases have none) */
static int case_ids(const t_json *cs, const t_json *c, int ids[SD_TOKENS])
{
    const t_json *a = t_jget(c, "ids_te1");
    int i;
    for (i = 0; (!a || a->type != 5) && i < cs->n; i++)
        if (t_jstr(&cs->item[i], "prompt") && t_jstr(c, "prompt") && !strcmp(t_jstr(&cs->item[i], "prompt"), t_jstr(c, "prompt"))) a = t_jget(&cs->item[i], "ids_te1");
    if (!a || a->type != 5 || a->n != SD_TOKENS) return 0;
    for (i = 0; i < SD_TOKENS; i++) ids[i] = (int)a->item[i].num;
    return 1;
}

/* y [2, adm_in] of a prompt and a negative prompt, as the pipeline makes it (zeros for an empty
   negative; no negative at cfg <= 1: y [1, adm_in]); ctx [2, 77, D] likewise */
static sd_result conditioning(sd_model *m, const sd_params *p, float *ctx, float *y)
{
    sd_info in;
    float *pooled;
    int guide = p->cfg_scale > 1.0f, k, D, A, half;
    int oh = p->orig_height ? p->orig_height : p->height, ow = p->orig_width ? p->orig_width : p->width;
    int th = p->target_height ? p->target_height : p->height, tw = p->target_width ? p->target_width : p->width;
    sd_result r = SD_OK;
    sd_model_info(m, &in);
    D = in.text_width; A = in.unet_adm_in;
    pooled = (float *)calloc((size_t)in.pooled_dim, sizeof(float));
    for (half = guide ? 0 : 1; half < 2 && r == SD_OK; half++) {
        const char *text = half ? p->prompt : p->negative_prompt;
        float *c = ctx + (size_t)(guide ? half : 0) * SD_TOKENS * D, *yy = y + (size_t)(guide ? half : 0) * A;
        if (!half && (!text || !*text)) { memset(c, 0, sizeof(float) * SD_TOKENS * D); memset(pooled, 0, sizeof(float) * in.pooled_dim); }
        else if ((r = sd_encode_prompt_pooled(m, text, p->weighting, p->clip_skip, c, 1, &k, pooled)) != SD_OK) break;
        r = sd_sdxl_vector(m, pooled, oh, ow, p->crop_top, p->crop_left, th, tw, yy);
    }
    free(pooled);
    return r;
}

static void fixture_checks(void)
{
    const char *model = t_shared("fixtures/sdxl-tiny/model.safetensors"), *vocab;
    const t_json *cs;
    sd_model *m;
    size_t n;
    unsigned char *text;
    t_json all;
    int i, realv;
    if (!model) { t_skip("the sdxl-tiny fixture: info, contexts, pooled vectors, UNet, the pipeline's y (no ../shared/fixtures/sdxl-tiny)"); return; }
    text = t_slurp(t_shared("fixtures/sdxl-tiny/cases.json"), &n);
    memset(&all, 0, sizeof all);
    if (!text || !t__jval((const char *)text, &all)) t_ok(0, "sdxl-tiny/cases.json: cannot read or parse");
    else info_checks(model, "the sdxl-tiny fixture", t_jget(&all, "shapes"));
    t_json_free(&all);
    free(text);
    if (!(m = load_cfg(model, NULL, 0, 0))) return;
    if ((cs = t_set_cases("sdxl-tiny", "text")) != NULL) {
        sd_info in;
        float *ctx, *pooled;
        sd_model_info(m, &in);
        ctx = (float *)malloc(sizeof(float) * SD_TOKENS * in.text_width);
        pooled = (float *)malloc(sizeof(float) * in.pooled_dim);
        for (i = 0; i < cs->n; i++) {
            const t_json *c = &cs->item[i], *args = t_jget(c, "args");
            int ids[SD_TOKENS], skip = (int)t_jnum(c, "clip_skip", 1), want_pooled = args && args->type == 5 && args->n && !strcmp(args->item[0].str, "--pooled");
            const char *out = t_jstr(c, "out");
            sd_array ref;
            char what[160];
            if (!out || !case_ids(cs, c, ids)) { t_ok(0, "text case %d: no ids or out in cases.json", i); continue; }
            snprintf(what, sizeof what, "fixture %s (%s, clip skip %d)", out, want_pooled ? "pooled" : "context", skip);
            ref = fx_npy(m, out);
            if (ref.data && t_call(m, sd_text_encode_pooled(m, ids, skip, ctx, pooled), what)) {
                size_t want = want_pooled ? (size_t)in.pooled_dim : (size_t)SD_TOKENS * in.text_width;
                if (t_numel(&ref) != want) t_ok(0, "%s: %lu values in the file, %lu expected", what, (unsigned long)t_numel(&ref), (unsigned long)want);
                else t_close(what, want_pooled ? pooled : ctx, ref.data, want, 1e-4);
            }
            sd_array_free(m, &ref);
        }
        free(ctx); free(pooled);
    }
    if ((cs = t_set_cases("sdxl-tiny", "unet")) != NULL) {
        for (i = 0; i < cs->n; i++) {
            const t_json *c = &cs->item[i];
            sd_array x = fx_npy(m, t_jstr(c, "x")), ctx = fx_npy(m, t_jstr(c, "context")), y = fx_npy(m, t_jstr(c, "y")), ref = fx_npy(m, t_jstr(c, "out"));
            char what[160];
            snprintf(what, sizeof what, "fixture %s (sd_unet_y, t %g)", t_jstr(c, "out"), t_jnum(c, "t", 0));
            if (x.data && ctx.data && y.data && ref.data && x.ndim == 4 && ctx.ndim == 3) {
                float *eps = (float *)malloc(sizeof(float) * t_numel(&ref));
                if (t_call(m, sd_unet_y(m, x.data, (int)x.shape[0], (int)x.shape[2], (int)x.shape[3], (float)t_jnum(c, "t", 0), ctx.data, (int)ctx.shape[1],
                                        y.data, eps), what))
                    t_close(what, eps, ref.data, t_numel(&ref), 1e-4);
                free(eps);
            }
            sd_array_free(m, &x); sd_array_free(m, &ctx); sd_array_free(m, &y); sd_array_free(m, &ref);
        }
    }
    /* the pipeline's y: both prompts' conditioning as made here from the stage calls */
    vocab = t_vocab(&realv);
    if (!realv) t_skip("the sdxl-tiny pipeline's y (no ../shared/clip-vocab)");
    else if (sd_load_vocab(m, vocab) != SD_OK) t_ok(0, "loading %s: %s", vocab, sd_error(m));
    else if ((cs = t_set_cases("sdxl-tiny", "pipeline")) != NULL) {
        sd_info in;
        float *ctx, *y;
        sd_model_info(m, &in);
        ctx = (float *)malloc(sizeof(float) * 2 * SD_TOKENS * in.text_width);
        y = (float *)malloc(sizeof(float) * 2 * in.unet_adm_in);
        for (i = 0; i < cs->n; i++) {
            const t_json *c = &cs->item[i];
            sd_params p = sd_params_default();
            sd_array ref = fx_npy(m, t_jstr(c, "y"));
            char what[160];
            p.prompt = t_jstr(c, "prompt"); p.negative_prompt = t_jstr(c, "negative"); p.cfg_scale = (float)t_jnum(c, "cfg", 7);
            p.clip_skip = (int)t_jnum(c, "clip_skip", 1); p.width = (int)t_jnum(c, "width", 64); p.height = (int)t_jnum(c, "height", 64);
            snprintf(what, sizeof what, "fixture %s's y [2,%d] (negative \"%s\")", t_jstr(c, "name"), in.unet_adm_in, p.negative_prompt ? p.negative_prompt : "");
            if (ref.data && t_call(m, conditioning(m, &p, ctx, y), what)) {
                if (t_numel(&ref) != 2 * (size_t)in.unet_adm_in) t_ok(0, "%s: %lu values in the file", what, (unsigned long)t_numel(&ref));
                else t_close(what, y, ref.data, 2 * (size_t)in.unet_adm_in, 1e-4);
            }
            sd_array_free(m, &ref);
        }
        free(ctx); free(y);
    }
    sd_free(m);
}

/* ---------------------------------------------------------------- the pipeline */

typedef struct run { unsigned char *rgb; float *lat, *img; sd_result r; } run;

static run run_alloc(const sd_params *p)
{
    run o;
    size_t npix = (size_t)p->width * p->height;
    o.rgb = (unsigned char *)malloc(npix * 3);
    o.lat = (float *)malloc(sizeof(float) * npix / 16);
    o.img = (float *)malloc(sizeof(float) * npix * 3);
    o.r = SD_ERR_STATE;
    return o;
}
static void run_free(run *o) { free(o->rgb); free(o->lat); free(o->img); }

static run txt2img(sd_model *m, sd_params p)
{
    run o = run_alloc(&p);
    p.latent_out = o.lat; p.image_out = o.img;
    o.r = sd_txt2img(m, &p, o.rgb);
    if (o.r != SD_OK) t_ok(0, "sd_txt2img: %s \"%s\"", sd_result_name(o.r), sd_error(m));
    return o;
}

/* the same run from the stage calls: conditioning (above), the sampler, sd_unet_y on [x; x] with
   [negative; prompt] (cfg > 1) or on x with the prompt, the VAE on latent / vae_scale */
static run by_stages(sd_model *m, const sd_params *p)
{
    run o = run_alloc(p);
    sd_info in;
    sd_schedule *s = (sd_schedule *)malloc(sizeof *s);
    sd_sampling sr;
    sd_rng rng;
    int h = p->height / 8, w = p->width / 8, guide = p->cfg_scale > 1.0f;
    size_t nl = (size_t)4 * h * w, k;
    float *ctx, *y, *xin, *eps, *den, *work, t;
    sd_model_info(m, &in);
    ctx = (float *)malloc(sizeof(float) * 2 * SD_TOKENS * in.text_width);
    y = (float *)malloc(sizeof(float) * 2 * in.unet_adm_in);
    xin = (float *)malloc(sizeof(float) * 2 * nl); eps = (float *)malloc(sizeof(float) * 2 * nl); den = (float *)malloc(sizeof(float) * nl);
    work = (float *)calloc((sd_sampling_work(p->sampler) + 1) * nl, sizeof(float));
    if ((o.r = conditioning(m, p, ctx, y)) != SD_OK || (o.r = sd_schedule_make(s, p->sampler, p->scheduler, p->steps, p->eta)) != SD_OK) goto done;
    sd_rng_seed(&rng, p->seed);
    sd_randn(&rng, den, nl);
    for (k = 0; k < nl; k++) o.lat[k] = den[k] * s->init_noise_sigma;
    sd_sampling_begin(&sr, s, 0, o.lat, nl, work, &rng);
    while (sd_sampling_next(&sr, xin, &t)) {
        if (guide) {
            memcpy(xin + nl, xin, nl * sizeof(float));
            if ((o.r = sd_unet_y(m, xin, 2, h, w, t, ctx, SD_TOKENS, y, eps)) != SD_OK) goto done;
            for (k = 0; k < nl; k++) eps[k] = eps[k] + p->cfg_scale * (eps[nl + k] - eps[k]);
        } else if ((o.r = sd_unet_y(m, xin, 1, h, w, t, ctx, SD_TOKENS, y, eps)) != SD_OK) goto done;
        sd_sampling_update(&sr, eps, den);
    }
    for (k = 0; k < nl; k++) den[k] = o.lat[k] / in.vae_scale;
    if ((o.r = sd_vae_decode(m, den, h, w, o.img)) == SD_OK)
        for (k = 0; k < nl / 4 * 64; k++) {   /* HWC bytes: (x / 2 + 0.5) clamped, times 255, rounded */
            int c;
            for (c = 0; c < 3; c++) {
                float v = o.img[(size_t)c * (nl / 4 * 64) + k] / 2.0f + 0.5f;
                o.rgb[3 * k + c] = (unsigned char)rintf((v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v) * 255.0f);
            }
        }
done:
    if (o.r != SD_OK) t_ok(0, "the run from the stage calls: %s \"%s\"", sd_result_name(o.r), sd_error(m));
    free(s); free(ctx); free(y); free(xin); free(eps); free(den); free(work);
    return o;
}

/* a and b the same bits (latent, float image, RGB), or (differ) not */
static void compare(const char *what, const run *a, const run *b, const sd_params *p, int differ)
{
    size_t npix = (size_t)p->width * p->height, nd = 0, i;
    if (a->r != SD_OK || b->r != SD_OK) { t_ok(0, "%s: a run failed", what); return; }
    if (!differ) {
        char w2[200];
        snprintf(w2, sizeof w2, "%s: latent", what);
        t_same(w2, a->lat, b->lat, npix / 16);
        snprintf(w2, sizeof w2, "%s: image", what);
        t_same(w2, a->img, b->img, npix * 3);
        t_ok(!memcmp(a->rgb, b->rgb, npix * 3), "%s: RGB bytes the same", what);
        return;
    }
    for (i = 0; i < npix / 16; i++) nd += memcmp(&a->lat[i], &b->lat[i], sizeof(float)) != 0;
    {
        double worst = 0;
        size_t at;
        worst = max_abs(a->img, b->img, npix * 3, &at);
        t_ok(nd > 0 && worst > 1e-3, "%s: %lu of %lu latent values differ, the image by up to %.3g", what, (unsigned long)nd, (unsigned long)(npix / 16), worst);
    }
}

static void pipeline_checks(const char *xl, const char *vocab)
{
    sd_model *m = load_cfg(xl, vocab, 2, 0), *m1 = NULL, *mlow = NULL;
    int quick = t_quick();   /* under the sanitizers: one step, the runs that add no code path left out */
    sd_params p = sd_params_default(), q;
    run base, o, o2;
    if (!m) return;
    /* against the run made here from the stage calls: sizes and crop all distinct (a swap shows) */
    p.prompt = "a red fox in the snow"; p.negative_prompt = "blurry, low quality"; p.cfg_scale = 5.0f; p.sampler = SD_SAMPLER_EULER;
    p.width = 64; p.height = 32; p.steps = 3; p.seed = 17;
    p.orig_width = 96; p.orig_height = 80; p.crop_left = 8; p.crop_top = 16; p.target_width = 72; p.target_height = 56;
    o = txt2img(m, p); o2 = by_stages(m, &p);
    compare("txt2img == the stage calls (euler, cfg 5, negative, orig 96x80, crop left 8 top 16, target 72x56)", &o, &o2, &p, 0);
    run_free(&o); run_free(&o2);
    q = p; q.negative_prompt = ""; q.sampler = SD_SAMPLER_EULER_A; q.width = q.height = 64; q.orig_width = q.orig_height = 0; q.crop_left = q.crop_top = 0;
    q.target_width = q.target_height = 0; q.cfg_scale = 7.5f;
    o = txt2img(m, q); o2 = by_stages(m, &q);
    compare("txt2img == the stage calls (euler_a, negative \"\": zeros, default sizes)", &o, &o2, &q, 0);
    run_free(&o); run_free(&o2);
    q.cfg_scale = 1.0f; q.negative_prompt = "blurry";
    o = txt2img(m, q); o2 = by_stages(m, &q);
    compare("txt2img == the stage calls (cfg 1: the prompt alone)", &o, &o2, &q, 0);
    run_free(&o); run_free(&o2);
    /* the negative prompt and the size conditioning, run against run; 64x32 so that width and height differ */
    p = sd_params_default();
    p.prompt = "a red fox in the snow"; p.negative_prompt = NULL; p.width = 64; p.height = 32; p.steps = quick ? 1 : 2; p.seed = 5;
    base = txt2img(m, p);
    q = p; q.negative_prompt = "";
    o = txt2img(m, q); compare("negative \"\" == negative NULL (cfg 7)", &base, &o, &p, 0); run_free(&o);
    q = p; q.negative_prompt = "blurry";
    o = txt2img(m, q); compare("negative \"blurry\" changes the image (cfg 7)", &base, &o, &p, 1); run_free(&o);
    if (!quick) {
        q = p; q.cfg_scale = 1.0f; q.negative_prompt = "blurry";
        o = txt2img(m, q); q.negative_prompt = NULL; o2 = txt2img(m, q);
        compare("cfg 1: negative \"blurry\" == none", &o, &o2, &p, 0); run_free(&o); run_free(&o2);
    }
    q = p; q.orig_width = 128; q.orig_height = 96;
    o = txt2img(m, q); compare("original size 128x96 changes the image", &base, &o, &p, 1); run_free(&o);
    if (!quick) {
        q = p; q.orig_width = 32; q.orig_height = 64;
        o = txt2img(m, q); compare("original size 32x64 (the image's, swapped) changes it", &base, &o, &p, 1); run_free(&o);
    }
    q = p; q.crop_left = 8;
    o = txt2img(m, q); compare("crop left 8 changes the image", &base, &o, &p, 1);
    if (!quick) {
        q.crop_left = 0; q.crop_top = 8; o2 = txt2img(m, q);
        compare("crop top 8 changes it, and not as crop left 8", &o, &o2, &p, 1);
        compare("  ... crop top 8 vs none", &base, &o2, &p, 1);
        run_free(&o2);
    }
    run_free(&o);
    q = p; q.target_width = 96; q.target_height = 48;
    o = txt2img(m, q); compare("target size 96x48 changes the image", &base, &o, &p, 1); run_free(&o);
    q = p; q.orig_width = 64; q.orig_height = 32; q.crop_left = q.crop_top = 0; q.target_width = 64; q.target_height = 32;
    o = txt2img(m, q); compare("original and target size 64x32, crop 0,0 (the defaults, given) == not given", &base, &o, &p, 0); run_free(&o);
    /* threads and low memory: the same bits (a negative prompt, so that low_memory runs the halves one by one) */
    q = p; q.negative_prompt = "blurry";
    o = txt2img(m, q);
    if (!quick && (m1 = load_cfg(xl, vocab, 1, 0)) != NULL) { o2 = txt2img(m1, q); compare("1 thread == 2 threads", &o, &o2, &q, 0); run_free(&o2); }
    if ((mlow = load_cfg(xl, vocab, 2, 1)) != NULL) { o2 = txt2img(mlow, q); compare("low_memory == default", &o, &o2, &q, 0); run_free(&o2); }
    run_free(&o);
    run_free(&base);
    if (quick) t_skip("pipeline: cfg 1's negative, the swapped size, crop top, 1 thread (SD_TEST_QUICK: the same paths as the other runs)");
    sd_free(m); sd_free(m1); sd_free(mlow);
}

/* ---------------------------------------------------------------- a diffusers folder */

static void diffusers_checks(const char *xl, const char *vocab)
{
    char args[128], name[64];
    const char *dir;
    sd_model *mf, *md;
    sd_info in;
    int ids[SD_TOKENS], skip, top;
    size_t nc;
    float *cf, *cd, *pf, *pd, *x, *y, *ef, *ed;
    sd_rng rng;
    snprintf(args, sizeof args, "%s --diffusers", g_xl_args);
    snprintf(name, sizeof name, "%s-diffusers", strstr(g_xl_args, "tiny") ? "sdxl-tiny" : "sdxl");
    if (!(dir = made_if(name, args))) { t_skip("a diffusers SDXL folder (this mkmodel does not write one)"); return; }
    mf = load_cfg(xl, vocab, 0, 0); md = load_cfg(dir, vocab, 0, 0);
    if (!mf || !md) { sd_free(mf); sd_free(md); return; }
    sd_model_info(md, &in);
    t_ok(!strcmp(in.family, "SDXL") && in.text_encoders == 2 && in.pooled_dim > 0, "the diffusers folder: family %s, %d text encoders, pooled_dim %d", in.family,
         in.text_encoders, in.pooled_dim);
    nc = (size_t)SD_TOKENS * in.text_width;
    cf = (float *)malloc(sizeof(float) * nc); cd = (float *)malloc(sizeof(float) * nc);
    pf = (float *)malloc(sizeof(float) * in.pooled_dim); pd = (float *)malloc(sizeof(float) * in.pooled_dim);
    x = (float *)malloc(sizeof(float) * 4 * 8 * 8); y = (float *)malloc(sizeof(float) * in.unet_adm_in);
    ef = (float *)malloc(sizeof(float) * 4 * 8 * 8); ed = (float *)malloc(sizeof(float) * 4 * 8 * 8);
    top = (in.text_layers < in.text2_layers ? in.text_layers : in.text2_layers) - 1;
    sd_tokenize(mf, "a red fox in the snow", ids);
    for (skip = 1; skip <= 2 && skip <= top; skip++) {
        char what[128];
        if (!t_call(mf, sd_text_encode_pooled(mf, ids, skip, cf, pf), "the single file's text") || !t_call(md, sd_text_encode_pooled(md, ids, skip, cd, pd), "the folder's text"))
            continue;
        snprintf(what, sizeof what, "diffusers folder == single file: context, clip skip %d", skip);
        t_same(what, cd, cf, nc);
        snprintf(what, sizeof what, "diffusers folder == single file: pooled vector, clip skip %d", skip);
        t_same(what, pd, pf, (size_t)in.pooled_dim);
    }
    sd_rng_seed(&rng, 9);
    sd_randn(&rng, x, 4 * 8 * 8);
    if (t_call(mf, sd_text_encode_pooled(mf, ids, 1, cf, pf), "text") && t_call(mf, sd_sdxl_vector(mf, pf, 64, 64, 0, 0, 64, 64, y), "sd_sdxl_vector") &&
        t_call(mf, sd_unet_y(mf, x, 1, 8, 8, 500.0f, cf, SD_TOKENS, y, ef), "the single file's UNet") &&
        t_call(md, sd_unet_y(md, x, 1, 8, 8, 500.0f, cf, SD_TOKENS, y, ed), "the folder's UNet"))
        t_same("diffusers folder == single file: sd_unet_y (t 500)", ed, ef, 4 * 8 * 8);
    {
        sd_params p = sd_params_default();
        run a, b;
        p.prompt = "a red fox in the snow"; p.negative_prompt = "blurry"; p.width = p.height = 64; p.steps = 2; p.seed = 21;
        a = txt2img(mf, p); b = txt2img(md, p);
        compare("diffusers folder == single file: txt2img (euler_a, 2 steps, cfg 7)", &b, &a, &p, 0);
        run_free(&a); run_free(&b);
    }
    free(cf); free(cd); free(pf); free(pd); free(x); free(y); free(ef); free(ed);
    sd_free(mf); sd_free(md);
}

int main(void)
{
    const char *xl = xl_model(), *vocab = t_made("tiny-merges.txt", "--vocab-out");   /* mkmodel's vocabulary, for mkmodel's models */
    if (!xl || !sd1_model()) return t_done("test_sdxl");
    info_checks(xl, "mkmodel's SDXL", NULL);
    t_time("start");
    errors(xl, vocab);
    t_time("errors");
    vector_checks(xl);
    t_time("sd_sdxl_vector");
    text_checks(xl, vocab);
    t_time("text");
    fixture_checks();
    t_time("fixture");
    pipeline_checks(xl, vocab);
    t_time("pipeline");
    diffusers_checks(xl, vocab);
    t_time("diffusers");
    return t_done("test_sdxl");
}
