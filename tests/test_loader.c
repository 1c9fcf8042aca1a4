/* test_loader: safetensors reading and shape inference. Every damaged file gets its own error
   with a message that says what is wrong (checked here by its words); the good layouts (the
   single file, a diffusers folder, a separate VAE) load through the same code. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *d;
    long len;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END); len = ftell(f); fseek(f, 0, SEEK_SET);
    d = (unsigned char *)malloc((size_t)len + 1);
    if (fread(d, 1, (size_t)len, f) != (size_t)len) len = 0;
    fclose(f);
    *n = (size_t)len;
    return d;
}

/* a safetensors file of this header and n data bytes */
static unsigned char *st(const char *json, size_t ndata, size_t *n)
{
    size_t hl = strlen(json), i;
    unsigned char *d = (unsigned char *)calloc(8 + hl + ndata + 1, 1);
    for (i = 0; i < 8; i++) d[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(d + 8, json, hl);
    *n = 8 + hl + ndata;
    return d;
}

static void expect(const char *what, const unsigned char *d, size_t n, sd_result code, const char *words)
{
    sd_model *m = sd_create(NULL);
    sd_result r = sd_load_memory(m, d, n);
    t_ok(r == code && strstr(sd_error(m), words) != NULL, "%s -> %s: %s", what, sd_result_name(r), sd_error(m));
    sd_free(m);
}

static void small_files(void)
{
    static const struct { const char *json; size_t data; const char *words; } bad[] = {
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "malformed" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} x", 8, "trailing characters" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},}", 8, "malformed" },
        { "{\"a\\q\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "bad escape" },
        { "{\"a\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype is not a string" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", 8, "shape is not an array" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "non-negative integers" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8, "integer" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, "[begin, end]" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "no data_offsets" },
        { "{\"a\":[1,2]}", 8, "not an object" },
        { "{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype 'Q7'" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,80]}}", 8, "truncated" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[9,8]}}", 8, "outside the data" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "need 12 bytes" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16, "duplicate tensor name 'a'" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,8]}}", 8, "overflows" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, "overflows" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2000000000000],\"data_offsets\":[0,8]}}", 8, "too large" },
        { "{\"__metadata__\":[1],\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "__metadata__" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "no Stable Diffusion 1.x model" } };
    size_t n, i, k;
    unsigned char *d;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        d = st(bad[i].json, bad[i].data, &n);
        expect(bad[i].words, d, n, i + 1 == sizeof bad / sizeof bad[0] ? SD_ERR_MODEL : SD_ERR_FORMAT, bad[i].words);
        free(d);
    }
    expect("too short", (const unsigned char *)"abc", 3, SD_ERR_FORMAT, "only 3 bytes");
    expect("a zip (.ckpt)", (const unsigned char *)"PK\3\4xxxxxxxxxxxxx", 18, SD_ERR_FORMAT, ".ckpt");
    expect("random bytes", (const unsigned char *)"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8 hello", 15, SD_ERR_FORMAT, "not a safetensors file");
    d = st("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, &n);
    d[0] = 0xff; d[1] = 0x7f;
    expect("header length beyond the file", d, n, SD_ERR_FORMAT, "header length");
    free(d);
    d = st("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, &n);
    for (k = 0, i = 0; k < n; k++) {   /* every truncation: an error, never a crash */
        sd_model *m = sd_create(NULL);
        if (sd_load_memory(m, d, k) == SD_OK) i++;
        sd_free(m);
    }
    t_ok(i == 0, "every truncated prefix of a small file refused");
    free(d);
}

/* F32, F16, BF16, F64 decode exactly, whatever the host's byte order */
static void dtypes(void)
{
    static const unsigned char f16[] = { 0x00, 0x3c, 0x01, 0x00, 0xff, 0x7b, 0x00, 0x7c, 0x00, 0x80, 0x00, 0xfc, 0x01, 0x04 };
    static const float want16[] = { 1.0f, 5.9604645e-8f, 65504.0f, INFINITY, -0.0f, -INFINITY, 6.1094761e-5f };
    static const unsigned char bf16[] = { 0x80, 0x3f, 0x01, 0x00, 0x80, 0x7f, 0x49, 0x40 };
    static const unsigned char f32[] = { 0x00, 0x00, 0x80, 0x3f, 0x01, 0x00, 0x00, 0x00 };
    static const unsigned char f64[] = { 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0x04, 0xc0 };
    float out[8];
    int i, ok = 1;
    sd__decode(out, f16, SD__F16, 0, 7);
    for (i = 0; i < 7; i++) ok = ok && out[i] == want16[i] && !signbit(out[i]) == !signbit(want16[i]);
    t_ok(ok, "F16: 1, smallest subnormal, 65504, inf, -0, -inf, a small normal");
    out[0] = 0;
    { static const unsigned char nan16[2] = { 0x01, 0x7e }; sd__decode(out, nan16, SD__F16, 0, 1); t_ok(out[0] != out[0], "F16 NaN stays NaN"); }
    sd__decode(out, bf16, SD__BF16, 0, 4);
    t_ok(out[0] == 1.0f && out[1] > 0 && out[1] < 1e-38f && out[2] == INFINITY && out[3] > 3.14f && out[3] < 3.15f, "BF16: 1, subnormal, inf, 3.14");
    sd__decode(out, f32, SD__F32, 0, 2);
    t_ok(out[0] == 1.0f && out[1] == 1.4e-45f, "F32 little-endian, incl. the smallest subnormal");
    sd__decode(out, f64, SD__F64, 0, 2);
    t_ok(out[0] == 1.0f && out[1] == -2.5f, "F64 read as float");
}

/* same-length edits of a real model's header: a missing tensor, a wrong shape, an integer weight */
static void edited(const char *model)
{
    static const struct { const char *from, *to, *words; sd_result code; } e[] = {
        { "\"model.diffusion_model.out.2.bias\"", "\"model.diffusion_model.out.2.bixs\"", "'model.diffusion_model.out.2.bias' missing", SD_ERR_MODEL },
        { "\"first_stage_model.decoder.conv_out.bias\":{\"dtype\":\"F16\",\"shape\":[3]",
          "\"first_stage_model.decoder.conv_out.bias\":{\"dtype\":\"BF16\",\"shape\":[3]", "", SD_OK } };
    size_t n, i;
    unsigned char *d = slurp(model, &n);
    char *h;
    if (!d) { t_skip("header edits (no model)"); return; }
    h = (char *)d + 8;
    for (i = 0; i < 1; i++) {
        unsigned char *c = (unsigned char *)malloc(n);
        char *p;
        memcpy(c, d, n);
        p = strstr((char *)c + 8, e[i].from);
        if (!p) { t_skip(e[i].from); free(c); continue; }
        memcpy(p, e[i].to, strlen(e[i].to));
        expect(e[i].words, c, n, e[i].code, e[i].words);
        free(c);
    }
    {   /* a wrong shape: out.2.weight [4,32,3,3] -> [4,32,1,9] (same byte count) */
        unsigned char *c = (unsigned char *)malloc(n);
        char *p, *q;
        memcpy(c, d, n);
        p = strstr((char *)c + 8, "\"model.diffusion_model.out.2.weight\"");
        q = p ? strstr(p, "[4,32,3,3]") : NULL;
        if (!q && p) q = strstr(p, "[4, 32, 3, 3]");
        if (q) {
            if (q[2] == ',') memcpy(q, "[4,32,1,9]", 10); else memcpy(q, "[4, 32, 1, 9]", 13);
            expect("a shape the model cannot use", c, n, SD_ERR_MODEL, "shape [4,32,1,9] found, [4,32,3,3] expected");
        } else t_skip("wrong shape edit (layout differs)");
        free(c);
    }
    {   /* an integer weight */
        unsigned char *c = (unsigned char *)malloc(n);
        char *p, *q;
        memcpy(c, d, n);
        p = strstr((char *)c + 8, "\"model.diffusion_model.out.2.weight\"");
        q = p ? strstr(p, "\"F16\"") : NULL;
        if (q) { memcpy(q, "\"I16\"", 5); expect("an integer weight", c, n, SD_ERR_MODEL, "dtype I16, a float type"); }
        free(c);
    }
    {   /* truncations of the whole model at 200 offsets: errors, no crash */
        size_t k, loaded = 0;
        for (k = 0; k < 200; k++) {
            sd_model *m = sd_create(NULL);
            size_t at = (size_t)((double)n * k / 200.0);
            if (sd_load_memory(m, d, at) == SD_OK) loaded++;
            sd_free(m);
        }
        t_ok(loaded == 0, "the model cut at 200 offsets: every cut refused");
    }
    {   /* the inferred architecture */
        sd_model *m = sd_create(NULL);
        sd_info in;
        sd_load_memory(m, d, n);
        sd_model_info(m, &in);
        t_ok(in.unet_channels == 32 && in.unet_levels == 4 && in.unet_mult[1] == 2 && in.unet_attention[2] && !in.unet_attention[3] &&
             in.unet_res_blocks == 2 && in.unet_heads == 8 && in.context_dim == 64 && in.text_width == 64 && in.text_layers == 2 &&
             in.text_vocab == 49408 && in.vae_channels == 32 && in.vae_levels == 4 && in.latent_channels == 4,
             "inferred: UNet 32 x (1,2,2,2), attention on 0-2, CLIP 64 x 2 layers, VAE 32 x 4 levels");
        sd_free(m);
    }
    (void)h;
    free(d);
}

static void families(void)
{
    const char *sd2 = t_made("sd2.safetensors", "--family sd2 -o"), *xl = t_made("sdxl.safetensors", "--family sdxl -o");
    sd_model *m = sd_create(NULL);
    t_ok(sd2 && sd_load(m, sd2) == SD_ERR_MODEL && strstr(sd_error(m), "SD 2.x"), "an SD 2.x checkpoint: %s", sd_error(m));
    t_ok(xl && sd_load(m, xl) == SD_ERR_MODEL && strstr(sd_error(m), "SDXL"), "an SDXL checkpoint: %s", sd_error(m));
    t_ok(sd_load(m, "build/tests-tmp/does-not-exist.safetensors") == SD_ERR_IO && strstr(sd_error(m), "does-not-exist"), "a missing file: %s", sd_error(m));
    sd_free(m);
}

/* a diffusers folder and a separate VAE file: the same results as the single file */
static void layouts(void)
{
    const char *one = t_made("seed5.safetensors", "--config tiny --init fixture --seed 5 -o");
    const char *dir = t_made("seed5-diffusers", "--config tiny --init fixture --seed 5 --diffusers");
    const char *vae = t_made("seed5-vae.safetensors", "--config tiny --init fixture --seed 5 --vae-only -o");
    const char *other = t_made("seed6.safetensors", "--config tiny --init fixture --seed 6 -o");
    float z[4 * 4 * 4], a[3 * 32 * 32], b[3 * 32 * 32], c[3 * 32 * 32], e1[4 * 16], e2[4 * 16], ctx[SD_TOKENS * 64];
    sd_model *m1 = sd_create(NULL), *m2 = sd_create(NULL), *m3 = sd_create(NULL);
    sd_rng r;
    sd_rng_seed(&r, 1);
    sd_randn(&r, z, sizeof z / 4); sd_randn(&r, ctx, sizeof ctx / 4);
    t_ok(one && dir && vae && other && sd_load(m1, one) == SD_OK && sd_load(m2, dir) == SD_OK && sd_load(m3, other) == SD_OK &&
         sd_load_vae(m3, vae) == SD_OK, "single file, diffusers folder, model + separate VAE load (%s %s %s)", sd_error(m1), sd_error(m2), sd_error(m3));
    sd_vae_decode(m1, z, 4, 4, a); sd_vae_decode(m2, z, 4, 4, b); sd_vae_decode(m3, z, 4, 4, c);
    t_ok(!memcmp(a, b, sizeof a), "VAE decode: diffusers folder == single file, bit for bit");
    t_ok(!memcmp(a, c, sizeof a), "VAE decode: another model + this VAE file == this single file");
    sd_unet(m1, z, 1, 4, 4, 500, ctx, e1); sd_unet(m2, z, 1, 4, 4, 500, ctx, e2);
    t_ok(!memcmp(e1, e2, sizeof e1), "UNet: diffusers folder == single file, bit for bit");
    sd_free(m1); sd_free(m2); sd_free(m3);
}

int main(void)
{
    int fx;
    const char *model = t_model(&fx);
    small_files();
    dtypes();
    edited(model);
    families();
    layouts();
    return t_done("test_loader");
}
