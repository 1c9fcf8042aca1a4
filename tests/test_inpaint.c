/* test_inpaint: sd_inpaint with both kinds of model: an ordinary one (4 UNet input channels: masked
   img2img, the latent blended back outside the mask after each step) and an inpainting one (9: the
   UNet sees [latent 4 | mask 1 | masked image's latent 4]). The 9-channel model is the fixture's
   (../shared/fixtures/sd1-inpaint/model.safetensors) when it is there, else the tiny model with its
   first convolution widened to 9 input channels in memory.
     (a) mask paste-back: outside the mask and the blur's reach, the init's bytes exactly
     (b) a mask with nothing to repaint gives back the init, SD_OK and one warning
     (c) a 9-channel model refuses txt2img and img2img: it needs a mask
     (d) every sampler with its default schedule, guidance 7 and 1: finite, the same bytes twice
     (e) strength 1 (from noise) and 0.5
     (f) the fixtures' pipeline cases (diffusers' StableDiffusionInpaintPipeline) */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

#define W 64
#define H 64
#define CONV_IN "model.diffusion_model.input_blocks.0.0.weight"

/* ---------------------------------------------------------------- a 9-channel model from a 4-channel one */

typedef struct buf { char *p; size_t n, cap; } buf;

static void put(buf *b, const char *fmt, ...)
{
    va_list ap;
    int k;
    va_start(ap, fmt);
    k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->n + (size_t)k + 1 > b->cap) { b->cap = 2 * (b->n + (size_t)k + 1); b->p = (char *)realloc(b->p, b->cap); }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

static void put_jstr(buf *b, const char *s)
{
    put(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') put(b, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) put(b, "\\u%04x", (unsigned char)*s);
        else put(b, "%c", *s);
    }
    put(b, "\"");
}

typedef struct entry { const char *name; const t_json *v; double begin, end; } entry;
static int by_begin(const void *a, const void *b)
{
    double x = ((const entry *)a)->begin, y = ((const entry *)b)->begin;
    return x < y ? -1 : x > y;
}

/* x (a small normal float, or 0) as F16 bits: sign, exponent rebiased 127 -> 15, mantissa truncated */
static uint16_t f16_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    if (x == 0.0f) return 0;
    return (uint16_t)(((u >> 16) & 0x8000) | ((((u >> 23) & 0xff) - 127 + 15) << 10) | ((u >> 13) & 0x3ff));
}

/* A safetensors file with CONV_IN [C,4,3,3] -> the same file with CONV_IN [C,9,3,3]: the 4 channels
   kept, the 5 new ones (mask, masked image's latent) small deterministic values; every other tensor
   moved to its new offset. NULL (and a FAIL line) when the file is not what is expected. */
static unsigned char *widen_conv_in(const unsigned char *file, size_t size, size_t *out_size)
{
    uint64_t hn = 0;
    char *text;
    t_json hdr;
    entry *e;
    buf b = { NULL, 0, 0 };
    unsigned char *out = NULL;
    size_t data0, at = 0;
    int i, k, ne = 0, found = 0;
    for (i = 7; i >= 0 && size >= 8; i--) hn = hn << 8 | file[i];
    if (size < 8 || hn > size - 8) { t_ok(0, "widening conv_in: not a safetensors file"); return NULL; }
    text = (char *)malloc((size_t)hn + 1);
    memcpy(text, file + 8, (size_t)hn);
    text[hn] = 0;
    data0 = 8 + (size_t)hn;
    if (!t__jval(text, &hdr) || hdr.type != 6) { t_ok(0, "widening conv_in: cannot parse the header"); free(text); t_json_free(&hdr); return NULL; }
    e = (entry *)calloc((size_t)hdr.n, sizeof *e);
    put(&b, "{");
    for (i = 0; i < hdr.n; i++) {
        const t_json *off = t_jget(&hdr.item[i], "data_offsets");
        if (!strcmp(hdr.key[i], "__metadata__")) {   /* kept: an object of strings */
            put(&b, "\"__metadata__\":{");
            for (k = 0; k < hdr.item[i].n; k++) {
                put(&b, k ? "," : "");
                put_jstr(&b, hdr.item[i].key[k]);
                put(&b, ":");
                put_jstr(&b, hdr.item[i].item[k].str ? hdr.item[i].item[k].str : "");
            }
            put(&b, "}");
            continue;
        }
        if (!off || off->n != 2) continue;
        e[ne].name = hdr.key[i]; e[ne].v = &hdr.item[i]; e[ne].begin = off->item[0].num; e[ne].end = off->item[1].num;
        ne++;
    }
    qsort(e, (size_t)ne, sizeof *e, by_begin);   /* the data in its order, each tensor at the next free byte */
    for (i = 0; i < ne; i++) {
        const t_json *shape = t_jget(e[i].v, "shape");
        size_t bytes = (size_t)(e[i].end - e[i].begin);
        int widen = !strcmp(e[i].name, CONV_IN);
        if (widen) {
            if (!shape || shape->n != 4 || shape->item[1].num != 4) { t_ok(0, "widening conv_in: %s is not [C,4,3,3]", CONV_IN); goto fail; }
            bytes = bytes / 4 * 9;
            found = 1;
        }
        put(&b, "%s", b.n > 1 ? "," : "");
        put_jstr(&b, e[i].name);
        put(&b, ":{\"dtype\":\"%s\",\"shape\":[", t_jstr(e[i].v, "dtype"));
        for (k = 0; shape && k < shape->n; k++) put(&b, "%s%.0f", k ? "," : "", widen && k == 1 ? 9.0 : shape->item[k].num);
        put(&b, "],\"data_offsets\":[%lu,%lu]}", (unsigned long)at, (unsigned long)(at + bytes));
        at += bytes;
    }
    put(&b, "}");
    if (!found) { t_ok(0, "widening conv_in: no %s", CONV_IN); goto fail; }
    while (b.n % 8) put(&b, " ");   /* the data 8-byte aligned, as safetensors writes it */
    *out_size = 8 + b.n + at;
    out = (unsigned char *)malloc(*out_size);
    for (i = 0; i < 8; i++) out[i] = (unsigned char)((uint64_t)b.n >> (8 * i));
    memcpy(out + 8, b.p, b.n);
    at = 8 + b.n;
    for (i = 0; i < ne; i++) {
        const unsigned char *src = file + data0 + (size_t)e[i].begin;
        size_t bytes = (size_t)(e[i].end - e[i].begin);
        if (!strcmp(e[i].name, CONV_IN)) {   /* [C,4,3,3] -> [C,9,3,3], row by row of output channels */
            const char *dt = t_jstr(e[i].v, "dtype");
            size_t es = !strcmp(dt, "F32") ? 4 : 2, row = 4 * 9 * es, co, j, C = bytes / row;
            for (co = 0; co < C; co++) {
                unsigned char *dst = out + at + co * 9 * 9 * es;
                memcpy(dst, src + co * row, row);
                for (j = 0; j < 5 * 9; j++) {
                    float v = (float)((int)((co * 45 + j) * 7 % 11) - 5) / 256.0f;   /* -5/256 .. 5/256 */
                    uint32_t u;
                    uint16_t h16 = f16_bits(v);
                    memcpy(&u, &v, 4);
                    if (es == 4) memcpy(dst + row + j * 4, &v, 4);
                    else {
                        if (!strcmp(dt, "BF16")) h16 = (uint16_t)(u >> 16);
                        dst[row + j * 2] = (unsigned char)h16; dst[row + j * 2 + 1] = (unsigned char)(h16 >> 8);
                    }
                }
            }
            bytes = bytes / 4 * 9;
        } else memcpy(out + at, src, bytes);
        at += bytes;
    }
fail:
    free(b.p); free(e); free(text);
    t_json_free(&hdr);
    return out;
}

/* ---------------------------------------------------------------- models, images, masks */

static void count_log(void *user, const char *msg) { (void)msg; ++*(int *)user; }

typedef struct kind { const char *name; sd_model *m; int warnings; } kind;

/* a model from a file or from memory (kept alive by the caller), its warnings counted; one thread
   (the bits do not depend on it, the tiny models gain nothing from more, and the machine may be shared);
   winograd as in sd_config (0 auto, -1 the direct convolution only) */
static int load(kind *k, const char *name, const char *path, const void *mem, size_t n, const char *vocab, int winograd)
{
    sd_config c = sd_config_default();
    sd_result r;
    c.winograd = winograd;
    c.log = count_log;
    c.log_user = &k->warnings;
    c.n_threads = 1;
    k->name = name;
    k->warnings = 0;
    if (!(k->m = sd_create(&c))) return 0;
    r = path ? sd_load(k->m, path) : sd_load_memory(k->m, mem, n);
    if (r == SD_OK) r = sd_load_vocab(k->m, vocab);
    if (r != SD_OK) { t_ok(0, "loading the %s model: %s", name, sd_error(k->m)); sd_free(k->m); k->m = NULL; }
    return k->m != NULL;
}

/* the widened model on [x | 0 0 0 0 0] is the 4-channel model on x: the old weights kept in their
   places, every other tensor found at its new offset. Both run the direct convolution: in auto, the
   kernel choice depends on the channel count (conv_in with 9 channels may take Winograd where 4 do
   not, a difference of ~1e-6 that is the algorithm's, not the loader's) */
static void check_widened(sd_model *nine, const char *tiny, const char *vocab)
{
    kind four;
    sd_info in;
    float x[9 * 8 * 8], e4[4 * 8 * 8], e9[4 * 8 * 8], *ctx;
    size_t k, nc;
    if (!load(&four, "ordinary", tiny, NULL, 0, vocab, -1)) return;
    sd_model_info(four.m, &in);
    nc = (size_t)SD_TOKENS * in.context_dim;
    ctx = (float *)malloc(nc * sizeof(float));
    for (k = 0; k < nc; k++) ctx[k] = (float)((int)(k * 37 % 101) - 50) / 50.0f;
    for (k = 0; k < 9 * 64; k++) x[k] = k < 4 * 64 ? (float)((int)(k * 13 % 29) - 14) / 7.0f : 0.0f;
    if (t_call(four.m, sd_unet(four.m, x, 1, 8, 8, 500.0f, ctx, e4), "sd_unet, 4 channels") &&
        t_call(nine, sd_unet(nine, x, 1, 8, 8, 500.0f, ctx, e9), "sd_unet, 9 channels"))
        t_close("widened model on [x | 0]: the 4-channel model's eps on x", e9, e4, 4 * 64, 1e-6);
    free(ctx);
    sd_free(four.m);
}

/* a picture with some structure: gradients and a checker */
static void make_init(unsigned char *rgb)
{
    int x, y;
    for (y = 0; y < H; y++)
        for (x = 0; x < W; x++) {
            unsigned char *px = rgb + 3 * (y * W + x);
            px[0] = (unsigned char)(x * 4);
            px[1] = (unsigned char)(y * 4);
            px[2] = (unsigned char)(((x / 8 + y / 8) & 1) ? 200 : 40);
        }
}

/* 255 in the middle (rows and columns 16..47), a ramp of 96..160 down columns 12..15 (the 128
   threshold goes through it), 0 elsewhere: at least 12 pixels from every border */
static void make_mask(unsigned char *mask)
{
    int x, y;
    for (y = 0; y < H; y++)
        for (x = 0; x < W; x++)
            mask[y * W + x] = x >= 16 && x < 48 && y >= 16 && y < 48 ? 255 : x >= 12 && x < 16 && y >= 16 && y < 48 ? (unsigned char)(96 + 2 * (y - 16)) : 0;
}

/* far[k] = 1 where no mask pixel lies within `reach` pixels along x and y (the blur's kernel
   radius: there the blurred mask is exactly 0) */
static void far_from(const unsigned char *mask, int reach, unsigned char *far)
{
    int x, y, dx, dy;
    for (y = 0; y < H; y++)
        for (x = 0; x < W; x++) {
            int f = 1;
            for (dy = -reach; f && dy <= reach; dy++)
                for (dx = -reach; f && dx <= reach; dx++) {
                    int u = x + dx, v = y + dy;
                    if (u >= 0 && u < W && v >= 0 && v < H && mask[v * W + u]) f = 0;
                }
            far[y * W + x] = (unsigned char)f;
        }
}

/* path if it is there, else build/mkmodel's file made with args */
static const char *made_or(const char *path, const char *name, const char *args)
{
    FILE *f = fopen(path, "rb");
    if (f) { fclose(f); return path; }
    return t_made(name, args);
}

static sd_params params(void)
{
    sd_params p = sd_params_default();
    p.prompt = "a red boat on a lake";
    p.width = W; p.height = H;
    p.steps = 3;
    p.seed = 7;
    return p;
}

/* ---------------------------------------------------------------- (f) the fixtures' cases */

/* fixtures/sd1-inpaint/<name> (no data when it is missing) */
static void npy(sd_model *m, const char *name, sd_array *a)
{
    char rel[300];
    const char *p;
    memset(a, 0, sizeof *a);
    snprintf(rel, sizeof rel, "fixtures/sd1-inpaint/%s", name ? name : "?");
    if ((p = t_shared(rel)) != NULL && sd_npy_read(m, p, a) != SD_OK) memset(a, 0, sizeof *a);
}

static void fixture_cases(void)
{
    const t_json *cs = t_set_cases("sd1-inpaint", "pipeline");
    int realv, i;
    const char *vocab = t_vocab(&realv);
    sd_model *nine = NULL, *four = NULL;
    if (!cs) return;
    if (!realv) { t_skip("sd1-inpaint pipeline cases (no ../shared/clip-vocab)"); return; }
    for (i = 0; i < cs->n; i++) {
        const t_json *c = &cs->item[i];
        const char *name = t_jstr(c, "name"), *model = t_jstr(c, "model");
        sd_model **mp = model ? &four : &nine;
        sd_params p = sd_params_default();
        sd_array init, mask, lat, img;
        unsigned char *ib, *mb, *rgb;
        size_t npix, k;
        char rel[300], what[160];
        snprintf(rel, sizeof rel, "fixtures/sd1-inpaint/%s", model ? model : "model.safetensors");
        if (!*mp && (!t_shared(rel) || !(*mp = t_load(t_shared(rel), vocab, 0, 1)))) { t_ok(0, "%s: loading %s", name, rel); continue; }
        p.prompt = t_jstr(c, "prompt"); p.negative_prompt = t_jstr(c, "negative");
        p.seed = (uint64_t)t_jnum(c, "seed", 0); p.steps = (int)t_jnum(c, "steps", 0); p.cfg_scale = (float)t_jnum(c, "cfg", 0);
        p.sampler = t_sampler(t_jstr(c, "sampler")); p.strength = t_jnum(c, "strength", 0);
        p.width = (int)t_jnum(c, "width", 0); p.height = (int)t_jnum(c, "height", 0);
        npix = (size_t)p.width * p.height;
        npy(*mp, t_jstr(c, "init_image_u8"), &init); npy(*mp, t_jstr(c, "mask_u8"), &mask);
        npy(*mp, t_jstr(c, "latent"), &lat); npy(*mp, t_jstr(c, "image"), &img);
        if (t_numel(&init) != 3 * npix || t_numel(&mask) != npix || t_numel(&lat) != npix / 16 || t_numel(&img) != 3 * npix) {
            t_ok(0, "%s: fixture arrays of the case's size", name);
        } else {
            ib = (unsigned char *)malloc(3 * npix); mb = (unsigned char *)malloc(npix); rgb = (unsigned char *)malloc(3 * npix);
            p.latent_out = (float *)malloc(sizeof(float) * npix / 16);
            p.image_out = (float *)malloc(sizeof(float) * 3 * npix);
            for (k = 0; k < 3 * npix; k++) ib[k] = (unsigned char)init.data[k];
            for (k = 0; k < npix; k++) mb[k] = (unsigned char)mask.data[k];
            if (t_call(*mp, sd_inpaint(*mp, &p, ib, mb, rgb), name)) {
                snprintf(what, sizeof what, "(f) %s latent", name);
                t_close(what, p.latent_out, lat.data, npix / 16, 1e-3);
                snprintf(what, sizeof what, "(f) %s image", name);
                t_close(what, p.image_out, img.data, 3 * npix, 1e-3);
            }
            free(ib); free(mb); free(rgb); free(p.latent_out); free(p.image_out);
        }
        sd_array_free(*mp, &init); sd_array_free(*mp, &mask); sd_array_free(*mp, &lat); sd_array_free(*mp, &img);
    }
    sd_free(nine); sd_free(four);
}

int main(void)
{
    static unsigned char init[W * H * 3], mask[W * H], zero[W * H], far[W * H], a[W * H * 3], b[W * H * 3];
    static float la[4 * (W / 8) * (H / 8)], lb[4 * (W / 8) * (H / 8)], ia[3 * W * H];
    const char *tiny = made_or("build/tiny.safetensors", "tiny.safetensors", "--config tiny -o");
    const char *vocab = made_or("build/tiny-merges.txt", "tiny-merges.txt", "--vocab-out");
    const char *nine_path = t_shared("fixtures/sd1-inpaint/model.safetensors");
    unsigned char *file, *wide = NULL;
    size_t n = 0, wn = 0, k;
    kind kinds[2];
    sd_info info;
    int i, s, blur, cfg;

    memset(kinds, 0, sizeof kinds);
    if (!tiny || !vocab) return t_done("test_inpaint");
    /* the 9-channel model built in memory: loads and says 9; the 9-channel model of the checks
       below when the fixture's is not there */
    file = t_slurp(tiny, &n);
    wide = file ? widen_conv_in(file, n, &wn) : NULL;
    if (wide && load(&kinds[1], "widened tiny", NULL, wide, wn, vocab, -1)) {
        sd_result r = sd_model_info(kinds[1].m, &info);
        t_ok(r == SD_OK && info.unet_in_channels == 9, "the tiny model with conv_in widened to [C,9,3,3] in memory loads: %d UNet input channels",
             r == SD_OK ? info.unet_in_channels : -1);
        check_widened(kinds[1].m, tiny, vocab);
    }
    if (nine_path) {
        sd_free(kinds[1].m);
        load(&kinds[1], "inpainting (fixture)", nine_path, NULL, 0, vocab, 0);
    } else t_skip("the fixture's 9-channel model (no ../shared/fixtures/sd1-inpaint): the widened tiny model instead");
    if (!load(&kinds[0], "ordinary (tiny)", tiny, NULL, 0, vocab, 0) || !kinds[1].m) {
        sd_free(kinds[0].m); sd_free(kinds[1].m); free(file); free(wide);
        return t_done("test_inpaint");
    }
    for (i = 0; i < 2; i++) {
        sd_result r = sd_model_info(kinds[i].m, &info);
        t_ok(r == SD_OK && info.unet_in_channels == (i ? 9 : 4), "%s model: sd_model_info says %d UNet input channels", kinds[i].name, info.unet_in_channels);
    }
    make_init(init);
    make_mask(mask);
    t_time("loading");

    /* (a) mask paste-back: where the (blurred) mask is 0, the init's bytes */
    for (i = 0; i < 2; i++)
        for (blur = 0; blur <= 4; blur += 4) {
            sd_params p = params();
            size_t checked = 0, kept = 0, changed = 0;
            int reach = blur ? (int)(2.5 * blur + 0.5) : 0;   /* cv2's kernel radius for A1111's blur */
            p.mask_blur = blur; p.mask_paste = 1; p.strength = 0.75;
            if (!t_call(kinds[i].m, sd_inpaint(kinds[i].m, &p, init, mask, a), "(a) inpaint with paste-back")) continue;
            far_from(mask, reach, far);
            for (k = 0; k < W * H; k++) {
                if (far[k]) { checked++; kept += memcmp(a + 3 * k, init + 3 * k, 3) == 0; }
                if (mask[k] == 255) changed += memcmp(a + 3 * k, init + 3 * k, 3) != 0;
            }
            t_ok(checked > 1000 && kept == checked && changed > 0,
                 "(a) %s, mask blur %d, paste: %lu of %lu pixels beyond the mask%s equal the init; %lu inside repainted",
                 kinds[i].name, blur, (unsigned long)kept, (unsigned long)checked, blur ? " and its blur" : "", (unsigned long)changed);
        }
    t_time("(a)");

    /* (b) nothing to repaint: the init back, SD_OK, one warning */
    for (i = 0; i < 2; i++) {
        sd_params p = params();
        sd_result r;
        int v;
        for (v = 0; v < 2; v++) {   /* all 0; all 127 (under the threshold) */
            memset(zero, v ? 127 : 0, sizeof zero);
            memset(a, 0, sizeof a);
            kinds[i].warnings = 0;
            r = sd_inpaint(kinds[i].m, &p, init, zero, a);
            t_ok(r == SD_OK && !memcmp(a, init, sizeof a) && kinds[i].warnings == 1,
                 "(b) %s, a mask of all %d: %s, the init back %s, %d warning%s", kinds[i].name, v ? 127 : 0, sd_result_name(r),
                 memcmp(a, init, sizeof a) ? "NO" : "byte for byte", kinds[i].warnings, kinds[i].warnings == 1 ? "" : "s");
        }
    }

    /* (c) a 9-channel model needs a mask */
    {
        sd_params p = params();
        t_err(kinds[1].m, sd_txt2img(kinds[1].m, &p, a), SD_ERR_ARG, "mask", "(c) 9-channel model, sd_txt2img");
        t_err(kinds[1].m, sd_img2img(kinds[1].m, &p, init, a), SD_ERR_ARG, "mask", "(c) 9-channel model, sd_img2img");
        t_err(kinds[1].m, sd_inpaint(kinds[1].m, &p, init, NULL, a), SD_ERR_ARG, "mask", "(c) sd_inpaint without a mask");
    }

    /* (d) every sampler, its default schedule, 2 steps from noise, guidance 7 and 1: finite; the same
       seed twice, the same bytes (at guidance 7) */
    for (i = 0; i < 2; i++)
        for (s = 0; s < SD_SAMPLER_COUNT; s++)
            for (cfg = 7; cfg >= (t_quick() ? 7 : 1); cfg -= 6) {
                sd_params p = params();
                sd_result r1, r2;
                int fin, same;
                p.sampler = (sd_sampler)s; p.cfg_scale = (float)cfg; p.steps = 2; p.strength = 1.0; p.mask_blur = 2;
                p.latent_out = la; p.image_out = ia;
                r1 = sd_inpaint(kinds[i].m, &p, init, mask, a);
                fin = r1 == SD_OK && t_finite(la, sizeof la / sizeof la[0]) && t_finite(ia, sizeof ia / sizeof ia[0]);
                p.latent_out = lb; p.image_out = NULL;
                r2 = r1 == SD_OK && cfg > 1 && !t_quick() ? sd_inpaint(kinds[i].m, &p, init, mask, b) : r1;
                same = cfg == 1 || t_quick() || (r2 == SD_OK && !memcmp(a, b, sizeof a) && !memcmp(la, lb, sizeof la));
                t_ok(fin && same, "(d) %s, %-9s cfg %d: %s, %s%s", kinds[i].name, sd_sampler_name((sd_sampler)s), cfg,
                     r1 == SD_OK ? "runs" : sd_error(kinds[i].m), fin ? "finite" : "NOT FINITE",
                     cfg == 1 || t_quick() ? "" : same ? ", the same bytes twice" : ", DIFFERS run to run");
            }
    if (t_quick()) t_skip("(d) guidance 1 and the same bytes twice (SD_TEST_QUICK)");
    t_time("(d)");

    /* (e) strength 1 (the mask's inside from noise alone) and 0.5 (from the picture's latent, noised) */
    for (i = 0; i < 2; i++) {
        sd_params p = params();
        sd_result r1, r2;
        p.steps = 4;
        p.strength = 1.0; p.latent_out = la;
        r1 = sd_inpaint(kinds[i].m, &p, init, mask, a);
        p.strength = 0.5; p.latent_out = lb;
        r2 = sd_inpaint(kinds[i].m, &p, init, mask, b);
        t_ok(r1 == SD_OK && r2 == SD_OK && t_finite(la, sizeof la / sizeof la[0]) && t_finite(lb, sizeof lb / sizeof lb[0]) && memcmp(la, lb, sizeof la),
             "(e) %s, strength 1 and 0.5 (4 steps): both run, finite, different latents %s", kinds[i].name, sd_error(kinds[i].m));
    }
    t_time("(e)");
    sd_free(kinds[0].m); sd_free(kinds[1].m);
    free(file); free(wide);

    /* (f) diffusers' references */
    fixture_cases();
    t_time("(f)");
    return t_done("test_inpaint");
}
