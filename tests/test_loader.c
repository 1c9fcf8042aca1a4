/* test_loader: safetensors reading and shape inference, through the public API.

   - Damaged files, built here in memory: each error gets its code and a message that says what is
     wrong (checked by its words): not safetensors, a .ckpt zip, GGUF, truncated at every offset of
     a small file and at hundreds of offsets of the real model, header length beyond the file,
     malformed JSON of every kind, offsets outside the data, overlaps, overflowing shapes, unknown
     dtypes; then edits of the real model: a tensor missing (every tensor in turn), a wrong shape,
     an integer weight, other families (SD 2.x, inpainting and SDXL load; half-SDXL files are refused:
     a refiner's lone OpenCLIP bigG, SDXL's text encoders beside an SD 1.x UNet or a UNet without
     label_emb, an SD 1.x text encoder beside an SDXL UNet, label_emb of another width, no
     text_projection), no model at all.
   - Dtypes: F32, F16, BF16 and F64 values decoded exactly (read back through the UNet's last
     convolution), the same weights stored in every dtype giving the same bits in every stage.
   - Layouts: memory and file, unaligned data, a diffusers folder, a separate VAE; the inferred
     architecture of the fixture model and of an SD 1.5-sized header (a sparse file, no 2 GB). */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

/* ---------------------------------------------------------------- a safetensors writer */

typedef struct st_tensor {
    char name[256], dtype[16];
    int ndim;
    long long shape[8];
    const unsigned char *data;    /* nbytes of data (the source file's, or own) */
    size_t nbytes, off;           /* off: the offset in the source file's data section */
    unsigned char *own;
} st_tensor;

typedef struct st_file { st_tensor *t; int n, cap; } st_file;

/* tensor i gets new bytes (and dtype, shape) */
static void st_replace(st_file *f, int i, const char *dtype, int ndim, const long long *shape, const void *data, size_t nbytes)
{
    st_tensor *t = &f->t[i];
    free(t->own);
    snprintf(t->dtype, sizeof t->dtype, "%s", dtype);
    t->ndim = ndim;
    if (ndim > 0) memcpy(t->shape, shape, sizeof(long long) * (size_t)ndim);
    t->own = (unsigned char *)calloc(nbytes ? nbytes : 1, 1);
    if (data) memcpy(t->own, data, nbytes);
    t->data = t->own;
    t->nbytes = nbytes;
}

static st_tensor *st_add(st_file *f, const char *name, const char *dtype, int ndim, const long long *shape, const void *data, size_t nbytes)
{
    st_tensor *t;
    if (f->n == f->cap) { f->cap = f->cap ? 2 * f->cap : 64; f->t = (st_tensor *)realloc(f->t, (size_t)f->cap * sizeof *f->t); }
    t = &f->t[f->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    st_replace(f, f->n - 1, dtype, ndim, shape, data, nbytes);
    return t;
}

/* a tensor whose bytes stay where they are */
static st_tensor *st_ref(st_file *f, const st_tensor *src, const char *name)
{
    st_tensor *t = st_add(f, name ? name : src->name, src->dtype, src->ndim, src->shape, NULL, 0);
    free(t->own);
    t->own = NULL;
    t->data = src->data;
    t->nbytes = src->nbytes;
    t->off = src->off;
    return t;
}

static void st_free(st_file *f)
{
    int i;
    for (i = 0; i < f->n; i++) free(f->t[i].own);
    free(f->t);
    memset(f, 0, sizeof *f);
}

/* a file's first 8 bytes: the header length, little-endian */
static unsigned long long st_header_len(const unsigned char *b)
{
    unsigned long long hl = 0;
    int i;
    for (i = 0; i < 8; i++) hl |= (unsigned long long)b[i] << (8 * i);
    return hl;
}

/* the tensors of a safetensors file in memory (data not copied) */
static int st_read(st_file *f, const unsigned char *b, size_t size, int header_only)
{
    unsigned long long hl = st_header_len(b);
    int i, k;
    char *h;
    t_json j;
    memset(f, 0, sizeof *f);
    h = (char *)malloc((size_t)hl + 1);
    memcpy(h, b + 8, (size_t)hl);
    h[hl] = 0;
    if (!t__jval(h, &j)) { free(h); return 0; }
    for (i = 0; i < j.n; i++) {
        const t_json *v = &j.item[i], *sh = t_jget(v, "shape"), *of = t_jget(v, "data_offsets");
        st_tensor *t;
        long long shape[8];
        size_t begin;
        if (!strcmp(j.key[i], "__metadata__")) continue;
        for (k = 0; k < sh->n; k++) shape[k] = (long long)sh->item[k].num;
        begin = (size_t)of->item[0].num;
        t = st_add(f, j.key[i], t_jstr(v, "dtype"), sh->n, shape, NULL, 0);
        free(t->own); t->own = NULL;
        t->off = begin;
        t->nbytes = (size_t)of->item[1].num - begin;
        t->data = NULL;
        if (header_only) continue;
        if (8 + hl + begin + t->nbytes > size) { t_json_free(&j); free(h); return 0; }
        t->data = b + 8 + hl + begin;
    }
    t_json_free(&j);
    free(h);
    return 1;
}

static int st_find(const st_file *f, const char *name)
{
    int i;
    for (i = 0; i < f->n; i++) if (!strcmp(f->t[i].name, name)) return i;
    return -1;
}

/* the JSON header: every tensor but `skip`, at fresh offsets (orig 0) or its source offsets (orig 1) */
static size_t st_header(const st_file *f, int skip, int orig, char *out, size_t cap)
{
    size_t len = 0, at = 0;
    int i, k;
    len += (size_t)snprintf(out + len, cap - len, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (i = 0; i < f->n; i++) {
        const st_tensor *t = &f->t[i];
        size_t b = orig ? t->off : at;
        if (i == skip) continue;
        len += (size_t)snprintf(out + len, cap - len, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", t->name, t->dtype);
        for (k = 0; k < t->ndim; k++) len += (size_t)snprintf(out + len, cap - len, "%s%lld", k ? "," : "", t->shape[k]);
        len += (size_t)snprintf(out + len, cap - len, "],\"data_offsets\":[%lu,%lu]}", (unsigned long)b, (unsigned long)(b + t->nbytes));
        at += t->nbytes;
    }
    len += (size_t)snprintf(out + len, cap - len, "}");
    return len;
}

/* the whole file; `pad` spaces after the JSON (safetensors pads its header so) */
static unsigned char *st_build(const st_file *f, size_t pad, size_t *size)
{
    size_t cap = 256 + (size_t)f->n * 400, hl, data = 0, at, i;
    char *h = (char *)malloc(cap);
    unsigned char *b;
    int k;
    hl = st_header(f, -1, 0, h, cap);
    for (k = 0; k < f->n; k++) data += f->t[k].nbytes;
    b = (unsigned char *)malloc(8 + hl + pad + data + 1);
    for (i = 0; i < 8; i++) b[i] = (unsigned char)((unsigned long long)(hl + pad) >> (8 * i));
    memcpy(b + 8, h, hl);
    memset(b + 8 + hl, ' ', pad);
    at = 8 + hl + pad;
    for (k = 0; k < f->n; k++) { memcpy(b + at, f->t[k].data, f->t[k].nbytes); at += f->t[k].nbytes; }
    *size = at;
    free(h);
    return b;
}

/* a file of this JSON header and ndata zero bytes */
static unsigned char *raw(const char *json, size_t ndata, size_t *n)
{
    size_t hl = strlen(json), i;
    unsigned char *d = (unsigned char *)calloc(8 + hl + ndata + 1, 1);
    for (i = 0; i < 8; i++) d[i] = (unsigned char)((unsigned long long)hl >> (8 * i));
    memcpy(d + 8, json, hl);
    *n = 8 + hl + ndata;
    return d;
}

/* loads d from memory: the result code and the message's words */
static int expect(const char *what, const unsigned char *d, size_t n, sd_result code, const char *words)
{
    sd_model *m = sd_create(NULL);
    int ok = t_err(m, sd_load_memory(m, d, n), code, words, what);
    sd_free(m);
    return ok;
}

/* the message a file cut at k bytes must give (hl: its header length) */
static const char *cut_words(size_t k, size_t hl)
{
    return k < 8 ? "not a safetensors file: only" : k == 8 ? "not a safetensors file" :
           k < 8 + hl ? "truncated safetensors file: header length" : "truncated safetensors file: tensor '";
}

/* ---------------------------------------------------------------- damaged small files */

static void bad_headers(void)
{
    static const struct { const char *json; size_t data; sd_result code; const char *words; } bad[] = {
        /* JSON syntax */
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, SD_ERR_FORMAT, "malformed safetensors header: expected ',' or '}'" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} x", 8, SD_ERR_FORMAT, "trailing characters" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},}", 8, SD_ERR_FORMAT, "expected a string" },
        { "{\"a\" {\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "expected ':'" },
        { "{\"a\":{\"dtype\" \"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "expected ':'" },
        { "{\"a\":{\"dtype\":\"F32\" \"shape\":[2],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "expected ',' or '}'" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2 3],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "expected ',' or ']'" },
        { "{\"a\\q\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "bad escape" },
        { "{\"a\\u12G4\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "bad \\u escape" },
        { "{\"a\\ud800\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "unpaired surrogate" },
        { "{\"a\\udc00x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "unpaired surrogate" },
        { "{\"a\\u0000\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "NUL in a string" },
        { "{\"a\nb\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "control character" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}, \"b", 8, SD_ERR_FORMAT, "unterminated string" },
        { "[\"a\"]", 8, SD_ERR_FORMAT, "no JSON header" },
        { "{\"__metadata__\":{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}", 0, SD_ERR_FORMAT, "nested too deeply" },
        { "{\"__metadata__\":{\"a\":tru}}", 0, SD_ERR_FORMAT, "unexpected character" },
        { "{\"__metadata__\":{\"a\":-}}", 0, SD_ERR_FORMAT, "bad number" },
        { "{\"__metadata__\":[1],\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "__metadata__ is not an object" },
        /* wrong types and numbers */
        { "{\"a\":[1,2]}", 8, SD_ERR_FORMAT, "tensor 'a' is not an object" },
        { "{\"a\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "tensor 'a': dtype is not a string" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "tensor 'a': shape is not an array" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{\"b\":0}}}", 8, SD_ERR_FORMAT, "tensor 'a': data_offsets is not an array" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "shape holds something other than non-negative integers" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-1,8]}}", 8, SD_ERR_FORMAT, "data_offsets holds something other than non-negative integers" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[true],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "other than non-negative integers" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "expected an integer" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "expected an integer" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "expected an integer" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "leading zero" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,99999999999999999999999]}}", 8, SD_ERR_FORMAT, "number too large" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, SD_ERR_FORMAT, "data_offsets must be [begin, end]" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", 8, SD_ERR_FORMAT, "data_offsets must be [begin, end]" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,2],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "shape has too many entries" },
        { "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "tensor 'a': no dtype" },
        { "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "tensor 'a': no shape" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, SD_ERR_FORMAT, "tensor 'a': no data_offsets" },
        { "{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "tensor 'a': unknown dtype 'Q7'" },
        { "{\"a\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "unknown dtype 'f32'" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16, SD_ERR_FORMAT, "duplicate tensor name 'a'" },
        /* sizes and offsets */
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,80]}}", 8, SD_ERR_FORMAT, "truncated safetensors file: tensor 'a' ends at data byte 80, the data has 8 bytes" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[9,8]}}", 8, SD_ERR_FORMAT, "tensor 'a': data_offsets [9, 8] outside the data" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[9,9]}}", 8, SD_ERR_FORMAT, "truncated" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "shape and dtype F32 need 12 bytes, data_offsets give 8" },
        { "{\"a\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16, SD_ERR_FORMAT, "need 8 bytes, data_offsets give 16" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, SD_ERR_FORMAT, "tensors 'a' and 'b' overlap" },
        { "{\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 16, SD_ERR_FORMAT, "overlap" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "tensor 'a': shape overflows" },
        { "{\"a\":{\"dtype\":\"F64\",\"shape\":[1099511627776,16777216],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "shape overflows" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627777],\"data_offsets\":[0,8]}}", 8, SD_ERR_FORMAT, "dimension 1099511627777 too large" },
        /* well-formed files without a model */
        { "{}", 0, SD_ERR_MODEL, "no Stable Diffusion model in this file" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, SD_ERR_MODEL, "no Stable Diffusion model" },
        { " {}", 0, SD_ERR_FORMAT, "not a safetensors file (no JSON header)" },
        { "{ \"__metadata__\" : { \"x\" : [ 1.5e3 , -2 , true , false , null , { } , [ ] , \"\\u00e9\\ud83d\\ude80\" ] } ,\n"
          "  \"a\\u00e9\" : { \"extra\" : { \"k\" : [ 1 ] } , \"dtype\" : \"BF16\" , \"shape\" : [ ] , \"data_offsets\" : [ 0 , 2 ] } ,"
          " \"z\" : { \"dtype\" : \"BOOL\" , \"shape\" : [ 0 , 3 ] , \"data_offsets\" : [ 2 , 2 ] } }\n   ", 2, SD_ERR_MODEL, "no Stable Diffusion model" },
        { "{\"x\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]},\"y\":{\"dtype\":\"U64\",\"shape\":[1],\"data_offsets\":[2,10]},"
          "\"w\":{\"dtype\":\"I8\",\"shape\":[0],\"data_offsets\":[2,2]}}", 12, SD_ERR_MODEL, "no Stable Diffusion model" } };
    size_t n, i;
    unsigned char *d;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t hl = strlen(bad[i].json);
        char what[160];
        d = (unsigned char *)calloc(8 + hl + bad[i].data + 1, 1);
        { size_t k; for (k = 0; k < 8; k++) d[k] = (unsigned char)((unsigned long long)hl >> (8 * k)); }
        memcpy(d + 8, bad[i].json, hl);
        n = 8 + hl + bad[i].data;
        snprintf(what, sizeof what, "header %.70s%s", bad[i].json, strlen(bad[i].json) > 70 ? "..." : "");
        expect(what, d, n, bad[i].code, bad[i].words);
        free(d);
    }
}

static void not_safetensors(void)
{
    static const unsigned char zip[] = "PK\3\4\24\0\0\0\10\0xxxxxxxxxxxxxxxxxxxxx", gguf[] = "GGUF\3\0\0\0xxxxxxxxxxxxxxxx";
    unsigned char junk[200];
    size_t n, i;
    unsigned char *d;
    for (i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)(i * 37 + 11);
    expect("empty file", junk, 0, SD_ERR_FORMAT, "not a safetensors file: only 0 bytes");
    expect("3 bytes", junk, 3, SD_ERR_FORMAT, "not a safetensors file: only 3 bytes");
    expect("a zip (.ckpt)", zip, sizeof zip - 1, SD_ERR_FORMAT, "PyTorch .ckpt (zip/pickle) checkpoint, not safetensors; convert it");
    expect("just the zip magic", zip, 4, SD_ERR_FORMAT, ".ckpt");
    expect("a GGUF file", gguf, sizeof gguf - 1, SD_ERR_FORMAT, "GGUF file, not safetensors");
    expect("200 bytes of junk", junk, sizeof junk, SD_ERR_FORMAT, "not a safetensors file (the first 8 bytes are not a header length)");
    d = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, &n);
    d[0] = 0xff; d[1] = 0x7f;
    expect("header length 32767 beyond a 71-byte file", d, n, SD_ERR_FORMAT, "truncated safetensors file: header length 32767 beyond the file (70 bytes)");
    d[7] = 0x80;
    expect("header length 2^63", d, n, SD_ERR_FORMAT, "header length");
    memset(d, 0, 8);
    expect("header length 0", d, n, SD_ERR_FORMAT, "not a safetensors file (no JSON header)");
    d[0] = 1;
    expect("header length 1", d, n, SD_ERR_FORMAT, "no JSON header");
    free(d);
    d = (unsigned char *)calloc(8 + 57 + 8, 1);   /* the header is the JSON and three NULs (only spaces may pad it) */
    d[0] = 57;
    memcpy(d + 8, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 54);
    expect("a header padded with NULs", d, 8 + 57 + 8, SD_ERR_FORMAT, "trailing characters after the object");
    free(d);
    d = raw("[{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}]", 8, &n);
    expect("a JSON array header", d, n, SD_ERR_FORMAT, "no JSON header");
    free(d);
    {   /* over the 100 MB header limit (the pages past the first are never touched) */
        size_t big = ((size_t)100 << 20) + 2;
        d = (unsigned char *)calloc(8 + big, 1);
        if (d) {
            for (i = 0; i < 8; i++) d[i] = (unsigned char)((unsigned long long)big >> (8 * i));
            d[8] = '{';
            expect("a 100 MB header", d, 8 + big, SD_ERR_FORMAT, "over the 100 MB limit");
            free(d);
        }
    }
}

/* every prefix of a small file: its own error (never a crash); the whole file: no model */
static void small_truncations(void)
{
    static const char json[] = "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]},"
                               "\"b\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[6,14]}}";
    size_t n, k, bad = 0, hl = sizeof json - 1;
    unsigned char *d = raw(json, 14, &n);
    for (k = 0; k < n; k++) {
        sd_model *m = sd_create(NULL);
        sd_result r = sd_load_memory(m, d, k);
        if (r != SD_ERR_FORMAT || !strstr(sd_error(m), cut_words(k, hl))) {
            if (bad++ < 4) printf("       cut at %lu: %s \"%s\" (wanted \"%s\")\n", (unsigned long)k, sd_result_name(r), sd_error(m), cut_words(k, hl));
        }
        sd_free(m);
    }
    t_ok(bad == 0, "a %lu-byte file cut at each of its %lu offsets: SD_ERR_FORMAT with the right message each time (%lu wrong)",
         (unsigned long)n, (unsigned long)n, (unsigned long)bad);
    expect("the whole small file", d, n, SD_ERR_MODEL, "no Stable Diffusion model");
    free(d);
}

/* ---------------------------------------------------------------- the real model, damaged */

static unsigned char *g_model;        /* the fixture model (or the tiny random one) in memory */
static size_t g_size, g_hl;
static st_file g_st;                  /* its tensors */

static void model_truncations(void)
{
    size_t k, i, bad = 0, tried = 0, cuts[400];
    int nc = 0;
    for (k = 0; k <= 64; k++) cuts[nc++] = k;                                       /* the length and the first bytes */
    for (k = 0; k < 16; k++) cuts[nc++] = 8 + g_hl - 8 + k;                         /* around the header's end */
    for (k = 0; k < 250; k++) cuts[nc++] = 8 + g_hl + (size_t)((double)(g_size - 8 - g_hl) * k / 250.0);   /* through the data */
    for (k = 1; k <= 8; k++) cuts[nc++] = g_size - k;                               /* the last bytes */
    for (i = 0; i < (size_t)nc; i++) {
        sd_model *m = sd_create(NULL);
        sd_result r;
        k = cuts[i];
        if (k >= g_size) { sd_free(m); continue; }
        tried++;
        r = sd_load_memory(m, g_model, k);
        if (r != SD_ERR_FORMAT || !strstr(sd_error(m), cut_words(k, g_hl))) {
            if (bad++ < 4) printf("       cut at %lu: %s \"%s\" (wanted \"%s\")\n", (unsigned long)k, sd_result_name(r), sd_error(m), cut_words(k, g_hl));
        }
        sd_free(m);
    }
    t_ok(bad == 0, "the model (%lu bytes) cut at %lu offsets (header, its end, the data, the last bytes): the right error each time (%lu wrong)",
         (unsigned long)g_size, (unsigned long)tried, (unsigned long)bad);
    {   /* a truncated file on disk: mapped, and the message names the file */
        const char *path = "build/tests-tmp/loader-cut.safetensors";
        sd_model *m = sd_create(NULL);
        if (t_spit(path, g_model, g_size - 1000)) {
            sd_result r = sd_load(m, path);
            t_ok(r == SD_ERR_FORMAT && strstr(sd_error(m), path) && strstr(sd_error(m), "truncated safetensors file: tensor"),
                 "a truncated file on disk: %s", sd_error(m));
            t_ok(sd_unet(m, NULL, 1, 1, 1, 1.0f, NULL, NULL) == SD_ERR_STATE, "  ... and nothing stays loaded (sd_unet: %s)", sd_error(m));
        } else t_ok(0, "writing %s", path);
        remove(path);
        t_err(m, sd_load(m, "build/tests-tmp/does-not-exist.safetensors"), SD_ERR_IO, "cannot open 'build/tests-tmp/does-not-exist.safetensors'", "a missing file");
        t_err(m, sd_load(m, "build"), SD_ERR_IO, SD__MMAP ? "'build' is not a regular file" : "cannot read 'build'",
              "a directory that is no diffusers folder");
        {
            char longp[1000];
            memset(longp, 'a', sizeof longp - 1); longp[sizeof longp - 1] = 0;
            t_err(m, sd_load(m, longp), SD_ERR_ARG, "path too long", "a 999-byte path");
        }
        if (system("mkdir -p build/tests-tmp/empty-diffusers && echo '{}' > build/tests-tmp/empty-diffusers/model_index.json") == 0)
            t_err(m, sd_load(m, "build/tests-tmp/empty-diffusers"), SD_ERR_IO, "a diffusers folder without safetensors weights", "a diffusers folder without weights");
        else t_ok(0, "writing build/tests-tmp/empty-diffusers/model_index.json");
        sd_free(m);
    }
}

/* a copy of the model with tensor i left out of the header (the data stays where it was) */
static unsigned char *g_edit;
static size_t edit_drop(int i)
{
    size_t hl = st_header(&g_st, i, 1, (char *)g_edit + 8, g_hl + 1), k;
    memset(g_edit + 8 + hl, ' ', g_hl - hl);   /* same length: padded with spaces */
    for (k = 0; k < 8; k++) g_edit[k] = (unsigned char)((unsigned long long)g_hl >> (8 * k));
    return g_size;
}

/* tensors the model does not need: the loader may ignore them */
static int optional(const char *name)
{
    return !strncmp(name, "alphas_cumprod", 14) || !strcmp(name, "betas") || !strcmp(name, "logvar") || !strncmp(name, "sqrt_", 5) ||
           !strcmp(name, "cond_stage_model.transformer.text_model.embeddings.position_ids") || !strncmp(name, "log_one_minus", 13) ||
           !strncmp(name, "posterior_", 10) || !strncmp(name, "model_ema.", 10);
}

static void every_tensor_missing(void)
{
    int i, silent = 0, wrongmsg = 0, step = t_quick() ? 5 : 1, tried = 0, named = 0;
    for (i = 0; i < g_st.n; i += step) {
        sd_model *m = sd_create(NULL);
        sd_result r = sd_load_memory(m, g_edit, edit_drop(i));
        const char *name = g_st.t[i].name;
        char want[300];
        tried++;
        snprintf(want, sizeof want, "tensor '%s' missing", name);
        if (optional(name)) {
            if (r != SD_OK && wrongmsg++ < 6) printf("       without %s (not needed): %s \"%s\"\n", name, sd_result_name(r), sd_error(m));
        } else if (r == SD_OK) {
            if (silent++ < 12) printf("       without %s: loads (SD_OK), the tensor is silently not used\n", name);
        } else if (r != SD_ERR_MODEL) {
            if (wrongmsg++ < 6) printf("       without %s: %s \"%s\"\n", name, sd_result_name(r), sd_error(m));
        } else if (strstr(sd_error(m), want)) named++;
        sd_free(m);
    }
    t_ok(wrongmsg == 0, "each of %d tensors left out in turn: SD_ERR_MODEL (or SD_OK for the %s), never another code", tried,
         "scheduler buffers and position_ids");
    t_ok(silent == 0, "  ... no model tensor can go missing unnoticed (%d load as another architecture or without a part)", silent);
    t_ok(named * 10 >= tried * 8, "  ... %d of %d messages name the missing tensor (\"tensor '...' missing\")", named, tried);
    {   /* the usual cases, by their exact words */
        static const char *const names[] = { "model.diffusion_model.out.2.bias", "model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight",
                                             "first_stage_model.decoder.up.2.upsample.conv.weight", "first_stage_model.quant_conv.bias",
                                             "cond_stage_model.transformer.text_model.final_layer_norm.weight",
                                             "cond_stage_model.transformer.text_model.encoder.layers.1.mlp.fc2.bias",
                                             "model.diffusion_model.middle_block.1.proj_out.weight", "model.diffusion_model.output_blocks.11.0.skip_connection.weight" };
        size_t k;
        for (k = 0; k < sizeof names / sizeof names[0]; k++) {
            char what[300], want[300];
            int at = st_find(&g_st, names[k]);
            if (at < 0) { t_ok(0, "without %s: the model has no such tensor", names[k]); continue; }
            snprintf(what, sizeof what, "without %s", names[k]);
            snprintf(want, sizeof want, "tensor '%s' missing", names[k]);
            expect(what, g_edit, edit_drop(at), SD_ERR_MODEL, want);
        }
    }
}

/* the model with one tensor changed: renamed (to), another dtype or shape (the bytes kept or resized) */
static void variant(const char *what, const char *name, const char *to, const char *dtype, int ndim, const long long *shape, sd_result code, const char *words)
{
    st_file f;
    unsigned char *b;
    size_t n;
    int i, at = st_find(&g_st, name);
    if (at < 0) { t_ok(0, "%s: the model has no tensor %s", what, name); return; }
    memset(&f, 0, sizeof f);
    for (i = 0; i < g_st.n; i++) st_ref(&f, &g_st.t[i], i == at ? to : NULL);
    if (dtype) {
        long long cnt = 1;
        int es = !strcmp(dtype, "F32") || !strcmp(dtype, "I32") ? 4 : !strcmp(dtype, "F64") || !strcmp(dtype, "I64") ? 8 :
                 !strcmp(dtype, "U8") || !strcmp(dtype, "I8") || !strcmp(dtype, "BOOL") || !strncmp(dtype, "F8", 2) ? 1 : 2;
        for (i = 0; i < ndim; i++) cnt *= shape[i];
        st_replace(&f, at, dtype, ndim, shape, NULL, (size_t)(cnt * es));
    }
    b = st_build(&f, 0, &n);
    expect(what, b, n, code, words);
    free(b);
    st_free(&f);
}

static void edits(void)
{
    static const long long s4_32_1_9[] = { 4, 32, 1, 9 }, s32_4_3_3[] = { 32, 4, 3, 3 }, s4_32_3_3[] = { 4, 32, 3, 3 }, s4_1[] = { 4, 1 }, s5[] = { 5 };
    static const long long s16_64[] = { 16, 64 }, s3_32_9_1[] = { 3, 32, 9, 1 }, s256_64[] = { 256, 64 }, s7_704[] = { 7, 704 };
    static const long long s8_8[] = { 8, 8 }, s32_9_3_3[] = { 32, 9, 3, 3 }, s32_3_3_3[] = { 32, 3, 3, 3 }, s48_4_3_3[] = { 48, 4, 3, 3 }, s49408_64[] = { 49408, 64 };
    static const long long s77_128[] = { 77, 128 }, s64_32[] = { 64, 32 };
    /* shapes */
    variant("out.2.weight [4,32,3,3] as [4,32,1,9]", "model.diffusion_model.out.2.weight", NULL, "F16", 4, s4_32_1_9, SD_ERR_MODEL,
            "tensor 'model.diffusion_model.out.2.weight': shape [4,32,1,9] found, [4,32,3,3] expected");
    variant("out.2.weight as [32,4,3,3]", "model.diffusion_model.out.2.weight", NULL, "F16", 4, s32_4_3_3, SD_ERR_MODEL, "shape [32,4,3,3] found, [4,32,3,3] expected");
    variant("out.2.bias [4] as [4,1]", "model.diffusion_model.out.2.bias", NULL, "F16", 2, s4_1, SD_ERR_MODEL, "out.2.bias': shape [4,1] found, [4] expected");
    variant("out.2.bias [4] as [5]", "model.diffusion_model.out.2.bias", NULL, "F16", 1, s5, SD_ERR_MODEL, "out.2.bias': shape [5] found, [4] expected");
    variant("a scalar bias (shape [])", "model.diffusion_model.out.2.bias", NULL, "F16", 0, s5, SD_ERR_MODEL, "out.2.bias': shape [] found, [4] expected");
    variant("attn1.to_k [32,32] as [16,64]", "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn1.to_k.weight", NULL, "F16", 2, s16_64,
            SD_ERR_MODEL, "attn1.to_k.weight': shape [16,64] found, [32,32] expected");
    variant("attn2.to_k [64,64] as [64,32] (another context width)", "model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight", NULL, "F16", 2,
            s64_32, SD_ERR_MODEL, "input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight': shape [64,32] found, [64,64] expected");
    variant("the VAE's conv_out [3,32,3,3] as [3,32,9,1]", "first_stage_model.decoder.conv_out.weight", NULL, "F16", 4, s3_32_9_1, SD_ERR_MODEL,
            "tensor 'first_stage_model.decoder.conv_out.weight': shape [3,32,9,1] found, [3,32,3,3] expected");
    variant("CLIP fc2 [64,256] as [256,64]", "cond_stage_model.transformer.text_model.encoder.layers.0.mlp.fc2.weight", NULL, "F16", 2, s256_64,
            SD_ERR_MODEL, "mlp.fc2.weight': shape [256,64] found, [64,256] expected");
    variant("the position embedding [77,64] as [7,704]", "cond_stage_model.transformer.text_model.embeddings.position_embedding.weight", NULL, "F16", 2, s7_704,
            SD_ERR_MODEL, "text encoder: 7 positions, 77 expected");
    variant("the position embedding [77,64] as [77,128]", "cond_stage_model.transformer.text_model.embeddings.position_embedding.weight", NULL, "F16", 2, s77_128,
            SD_ERR_MODEL, "position_embedding.weight': shape [77,128] found, [77,64] expected");
    variant("a GroupNorm weight [64] as [8,8]", "first_stage_model.decoder.mid.attn_1.norm.weight", NULL, "F16", 2, s8_8,
            SD_ERR_MODEL, "first_stage_model.decoder.mid.attn_1.norm.weight': shape [8,8] found, [64] expected");
    /* dtypes: integers and 8-bit floats where weights must be */
    variant("an I16 weight", "model.diffusion_model.out.2.weight", NULL, "I16", 4, s4_32_3_3, SD_ERR_MODEL,
            "tensor 'model.diffusion_model.out.2.weight': dtype I16, a float type (F32, F16, BF16) expected");
    variant("an I32 weight", "model.diffusion_model.out.2.weight", NULL, "I32", 4, s4_32_3_3, SD_ERR_MODEL, "out.2.weight': dtype I32, a float type");
    variant("an F8_E4M3 weight", "model.diffusion_model.out.2.weight", NULL, "F8_E4M3", 4, s4_32_3_3, SD_ERR_MODEL, "out.2.weight': dtype F8_E4M3, a float type");
    variant("a BOOL bias", "model.diffusion_model.out.2.bias", NULL, "BOOL", 1, s4_1, SD_ERR_MODEL, "out.2.bias': dtype BOOL, a float type");
    variant("an U8 token embedding", "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight", NULL, "U8", 2, s49408_64, SD_ERR_MODEL,
            "token_embedding.weight': dtype U8, a float type");
    /* other families and kinds */
    variant("an SD 2.x text encoder (cond_stage_model.model.*)", "cond_stage_model.transformer.text_model.final_layer_norm.bias",
            "cond_stage_model.model.ln_final.bias", NULL, 0, NULL, SD_ERR_MODEL, "OpenCLIP text encoder: tensor 'cond_stage_model.model.");
    /* an SDXL key makes it SDXL: the message names the first SDXL tensor missing */
    variant("an SDXL conditioner key (conditioner.embedders.0.*) in an SD 1.x file", "cond_stage_model.transformer.text_model.final_layer_norm.bias",
            "conditioner.embedders.0.transformer.text_model.final_layer_norm.bias", NULL, 0, NULL, SD_ERR_MODEL,
            "SDXL text encoder 1 (CLIP ViT-L): tensor 'conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight' missing");
    variant("an inpainting UNet (9 input channels)", "model.diffusion_model.input_blocks.0.0.weight", NULL, "F16", 4, s32_9_3_3,
            SD_OK, "");   /* an inpainting model: loads (sd_inpaint runs it) */
    variant("a UNet of 3 input channels", "model.diffusion_model.input_blocks.0.0.weight", NULL, "F16", 4, s32_3_3_3, SD_ERR_MODEL, "UNet takes 3 input channels: 4 (SD 1.x) or 9 (inpainting) expected");
    variant("a UNet of 48 channels", "model.diffusion_model.input_blocks.0.0.weight", NULL, "F16", 4, s48_4_3_3,
            SD_ERR_MODEL, "input_blocks.0.0.weight has 48 channels, a multiple of 32 expected");
}

/* a made-up text encoder of width w, one layer, zero weights */
static void add_clip(st_file *f, int w, const char *dtype)
{
    static const char *const P = "cond_stage_model.transformer.text_model.";
    char name[300];
    long long s[2];
    int es = !strcmp(dtype, "F32") ? 4 : 2;
#define ADD(suffix, d0, d1) do { snprintf(name, sizeof name, "%s%s", P, suffix); s[0] = d0; s[1] = d1; \
        st_add(f, name, dtype, (d1) != 0 ? 2 : 1, s, NULL, (size_t)es * (size_t)(d0) * (size_t)((d1) != 0 ? (d1) : 1)); } while (0)
    ADD("embeddings.token_embedding.weight", 49408, w); ADD("embeddings.position_embedding.weight", 77, w);
    ADD("encoder.layers.0.layer_norm1.weight", w, 0); ADD("encoder.layers.0.layer_norm1.bias", w, 0);
    ADD("encoder.layers.0.layer_norm2.weight", w, 0); ADD("encoder.layers.0.layer_norm2.bias", w, 0);
    ADD("encoder.layers.0.self_attn.q_proj.weight", w, w); ADD("encoder.layers.0.self_attn.q_proj.bias", w, 0);
    ADD("encoder.layers.0.self_attn.k_proj.weight", w, w); ADD("encoder.layers.0.self_attn.k_proj.bias", w, 0);
    ADD("encoder.layers.0.self_attn.v_proj.weight", w, w); ADD("encoder.layers.0.self_attn.v_proj.bias", w, 0);
    ADD("encoder.layers.0.self_attn.out_proj.weight", w, w); ADD("encoder.layers.0.self_attn.out_proj.bias", w, 0);
    ADD("encoder.layers.0.mlp.fc1.weight", 4 * w, w); ADD("encoder.layers.0.mlp.fc1.bias", 4 * w, 0);
    ADD("encoder.layers.0.mlp.fc2.weight", w, 4 * w); ADD("encoder.layers.0.mlp.fc2.bias", w, 0);
    ADD("final_layer_norm.weight", w, 0); ADD("final_layer_norm.bias", w, 0);
#undef ADD
}

/* a file of a's tensors but those named with one of the prefixes drop (NULL-ended), and b's named
   with the prefix take (b, take may be NULL) */
static unsigned char *mix(const st_file *a, const char *const *drop, const st_file *b, const char *take, size_t *n)
{
    st_file f;
    unsigned char *out;
    int i, k, out_of;
    memset(&f, 0, sizeof f);
    for (i = 0; i < a->n; i++) {
        for (out_of = 0, k = 0; drop && drop[k]; k++) if (!strncmp(a->t[i].name, drop[k], strlen(drop[k]))) out_of = 1;
        if (!out_of) st_ref(&f, &a->t[i], NULL);
    }
    for (i = 0; b && i < b->n; i++) if (!strncmp(b->t[i].name, take, strlen(take))) st_ref(&f, &b->t[i], NULL);
    out = st_build(&f, 0, n);
    st_free(&f);
    return out;
}

/* SDXL (mkmodel --config sdxl-tiny): what loads and what half-SDXL files are refused with */
static void families_xl(void)
{
    static const char *const no_te0[] = { "conditioner.embedders.0.", NULL }, *const no_te1[] = { "conditioner.embedders.1.", NULL };
    static const char *const no_unet[] = { "model.diffusion_model.", NULL }, *const no_text[] = { "conditioner.", NULL };
    static const char *const no_label[] = { "model.diffusion_model.label_emb.", NULL }, *const no_proj[] = { "conditioner.embedders.1.model.text_projection", NULL };
    static const char *const only_unet[] = { "conditioner.", "first_stage_model.", NULL }, *const only_text[] = { "model.diffusion_model.", "first_stage_model.", NULL };
    static const long long s256_1601[] = { 256, 1601 };
    const char *path = t_made("sdxl-tiny.safetensors", "--config sdxl-tiny -o");
    unsigned char *file, *b;
    size_t size, n;
    st_file xl;
    sd_model *m;
    sd_info in;
    int at;
    if (!path || !(file = t_slurp(path, &size))) { t_ok(0, "reading mkmodel's sdxl-tiny"); return; }
    if (!st_read(&xl, file, size, 0)) { t_ok(0, "parsing %s", path); free(file); return; }
    m = sd_create(NULL);
    if (t_err(m, sd_load_memory(m, file, size), SD_OK, "", "mkmodel --config sdxl-tiny loads")) {
        sd_model_info(m, &in);
        t_ok(!strcmp(in.family, "SDXL") && in.has_unet && in.has_vae && in.has_text && in.text_encoders == 2 && in.pooled_dim == 64 && in.unet_adm_in == 1600,
             "  ... SDXL: UNet, VAE, 2 text encoders, pooled_dim %d, adm_in %d (%s)", in.pooled_dim, in.unet_adm_in, in.family);
    }
    sd_free(m);
    b = mix(&xl, no_te0, NULL, NULL, &n);
    expect("a refiner: only conditioner.embedders.1 (OpenCLIP bigG) beside the UNet", b, n, SD_ERR_UNSUPPORTED, "Refiners are not supported");
    free(b);
    b = mix(&xl, no_te1, NULL, NULL, &n);
    expect("only conditioner.embedders.0 (no OpenCLIP bigG)", b, n, SD_ERR_MODEL, "SDXL text encoder 2 (OpenCLIP bigG, conditioner.embedders.1.model.*) missing");
    free(b);
    b = mix(&xl, no_unet, &g_st, "model.diffusion_model.", &n);
    expect("SDXL's text encoders beside an SD 1.x UNet", b, n, SD_ERR_MODEL, "the text encoder (SDXL's two) is 128 wide but the UNet attends to a context 64 wide");
    free(b);
    b = mix(&xl, no_text, &g_st, "cond_stage_model.", &n);
    expect("an SD 1.x text encoder beside an SDXL UNet", b, n, SD_ERR_MODEL, "is 64 wide but the UNet attends to a context 128 wide");
    free(b);
    b = mix(&xl, no_label, NULL, NULL, &n);
    expect("SDXL's text encoders beside a UNet without label_emb", b, n, SD_ERR_MODEL, "SDXL's text encoders beside a UNet without label_emb");
    free(b);
    b = mix(&xl, no_proj, NULL, NULL, &n);
    expect("SDXL without text_projection", b, n, SD_ERR_MODEL, "conditioner.embedders.1.model.text_projection' missing");
    free(b);
    if ((at = st_find(&xl, "model.diffusion_model.label_emb.0.0.weight")) < 0) t_ok(0, "sdxl-tiny has no label_emb.0.0.weight");
    else {
        st_file f;
        int i;
        memset(&f, 0, sizeof f);
        for (i = 0; i < xl.n; i++) st_ref(&f, &xl.t[i], NULL);
        st_replace(&f, at, "F16", 2, s256_1601, NULL, 256 * 1601 * 2);
        b = st_build(&f, 0, &n);
        expect("label_emb.0.0 [256,1601] (not 64 + 6 x 256)", b, n, SD_ERR_MODEL, "label_emb takes 1601 values, not the pooled text (64) and six size sinusoids");
        free(b);
        st_free(&f);
    }
    /* parts alone load */
    b = mix(&xl, only_unet, NULL, NULL, &n);
    m = sd_create(NULL);
    if (t_err(m, sd_load_memory(m, b, n), SD_OK, "", "an SDXL UNet alone loads")) {
        float *x = (float *)calloc(4 * 8 * 8, sizeof(float)), *ctx = (float *)calloc(SD_TOKENS * 128, sizeof(float)), *y = (float *)calloc(1600, sizeof(float));
        float *eps = (float *)calloc(4 * 8 * 8, sizeof(float));
        sd_model_info(m, &in);
        t_ok(!strcmp(in.family, "SDXL") && in.has_unet && !in.has_text && in.unet_adm_in == 1600, "  ... family %s by its label_emb, adm_in %d, no text encoder",
             in.family, in.unet_adm_in);
        t_err(m, sd_unet(m, x, 1, 8, 8, 10.0f, ctx, eps), SD_ERR_ARG, "sd_unet_y", "  ... sd_unet without y");
        t_ok(sd_unet_y(m, x, 1, 8, 8, 10.0f, ctx, SD_TOKENS, y, eps) == SD_OK && t_finite(eps, 4 * 8 * 8), "  ... sd_unet_y runs");
        free(x); free(ctx); free(y); free(eps);
    }
    sd_free(m);
    free(b);
    b = mix(&xl, only_text, NULL, NULL, &n);
    m = sd_create(NULL);
    if (t_err(m, sd_load_memory(m, b, n), SD_OK, "", "SDXL's text encoders alone load")) {
        int ids[SD_TOKENS], i;
        float *ctx = (float *)malloc(sizeof(float) * SD_TOKENS * 128), pooled[64];
        sd_model_info(m, &in);
        t_ok(!strcmp(in.family, "SDXL") && !in.has_unet && in.has_text && in.text_encoders == 2 && in.pooled_dim == 64,
             "  ... family %s, %d text encoders, pooled_dim %d", in.family, in.text_encoders, in.pooled_dim);
        ids[0] = 49406; ids[1] = 320; ids[2] = 49407;
        for (i = 3; i < SD_TOKENS; i++) ids[i] = 49407;
        t_ok(sd_text_encode_pooled(m, ids, 1, ctx, pooled) == SD_OK && t_finite(ctx, SD_TOKENS * 128) && t_finite(pooled, 64), "  ... context and pooled vector");
        free(ctx);
    }
    sd_free(m);
    free(b);
    st_free(&xl);
    free(file);
}

static void families(void)
{
    const char *sd2 = t_made("sd2.safetensors", "--family sd2 -o"), *xl = t_made("sdxl.safetensors", "--family sdxl -o");
    sd_model *m = sd_create(NULL);
    if (sd2 && t_call(m, sd_load(m, sd2), "mkmodel --family sd2 loads")) {
        sd_info in;
        sd_model_info(m, &in);
        t_ok(!strcmp(in.family, "SD 2.x"), "  ... as the SD 2.x family: %s", in.family);
    }
    if (xl && t_call(m, sd_load(m, xl), "mkmodel --family sdxl loads")) {
        sd_info in;
        sd_model_info(m, &in);
        t_ok(!strcmp(in.family, "SDXL") && in.text_encoders == 2, "  ... as the SDXL family: %s, %d text encoders", in.family, in.text_encoders);
    }
    sd_free(m);
    families_xl();
    {   /* the text encoder of another width than the UNet's context; a VAE-only and a text-only file */
        st_file f;
        unsigned char *b;
        size_t n;
        int i;
        memset(&f, 0, sizeof f);
        for (i = 0; i < g_st.n; i++)
            if (strncmp(g_st.t[i].name, "cond_stage_model.", 17)) st_ref(&f, &g_st.t[i], NULL);
        add_clip(&f, 128, "F16");
        b = st_build(&f, 0, &n);
        expect("a 128-wide text encoder with a UNet attending to 64", b, n, SD_ERR_MODEL, "is 128 wide but the UNet attends to a context 64 wide");
        free(b);
        st_free(&f);
        add_clip(&f, 192, "F32");
        b = st_build(&f, 0, &n);
        m = sd_create(NULL);
        if (t_err(m, sd_load_memory(m, b, n), SD_OK, "", "a text encoder alone (192 wide, F32) loads")) {
            sd_info in;
            int ids[SD_TOKENS];
            float *out = (float *)malloc(sizeof(float) * SD_TOKENS * 192);
            sd_model_info(m, &in);
            t_ok(in.has_text && !in.has_unet && !in.has_vae && in.text_width == 192 && in.text_layers == 1 && in.text_heads == 3,
                 "  ... info: text only, width %d, %d layer, %d heads", in.text_width, in.text_layers, in.text_heads);
            for (i = 0; i < SD_TOKENS; i++) ids[i] = i;
            t_ok(sd_text_encode(m, ids, 1, out) == SD_OK && t_finite(out, SD_TOKENS * 192), "  ... and encodes (zero weights: finite)");
            t_err(m, sd_unet(m, out, 1, 8, 8, 1.0f, out, out), SD_ERR_STATE, "no UNet loaded", "  ... sd_unet");
            t_err(m, sd_vae_decode(m, out, 8, 8, out), SD_ERR_STATE, "no VAE loaded", "  ... sd_vae_decode");
            t_err(m, sd_vae_encode(m, out, 8, 8, out, out), SD_ERR_STATE, "no VAE loaded", "  ... sd_vae_encode");
            free(out);
        }
        sd_free(m);
        free(b);
        st_free(&f);
        add_clip(&f, 96, "F16");
        b = st_build(&f, 0, &n);
        expect("a text encoder 96 wide", b, n, SD_ERR_MODEL, "text encoder: cannot make out the layout (width 96, 1 layers)");
        free(b);
        st_free(&f);
    }
}

/* ---------------------------------------------------------------- dtypes */

static float h2f(uint16_t h)   /* IEEE half -> float, written independently of sd.h */
{
    int e = (h >> 10) & 31, mant = h & 1023;
    float v = e == 0 ? ldexpf((float)mant, -24) : e == 31 ? (mant ? NAN : INFINITY) : ldexpf((float)(mant | 1024), e - 25);
    return h & 0x8000 ? -v : v;
}

static float bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* the model with out.2 = zero weights and this bias (4 values of dtype dt): the UNet's output is the bias */
static void bias_check(const char *dt, const void *vals, int esize, const float *want, const char *what)
{
    st_file f;
    int i, ow, ob;
    unsigned char *b;
    size_t n;
    sd_model *m = sd_create(NULL);
    float x[4 * 2 * 3], ctx[SD_TOKENS * 64], eps[4 * 2 * 3];
    long long s1[1] = { 4 };
    memset(&f, 0, sizeof f);
    for (i = 0; i < g_st.n; i++) st_ref(&f, &g_st.t[i], NULL);
    st_replace(&f, st_find(&f, "model.diffusion_model.out.2.weight"), "F16", 4, g_st.t[st_find(&g_st, "model.diffusion_model.out.2.weight")].shape, NULL,
               g_st.t[st_find(&g_st, "model.diffusion_model.out.2.weight")].nbytes);
    ow = st_find(&f, "model.diffusion_model.out.2.weight"); ob = st_find(&f, "model.diffusion_model.out.2.bias");
    (void)ow;
    st_replace(&f, ob, dt, 1, s1, vals, (size_t)(4 * esize));
    b = st_build(&f, 0, &n);
    for (i = 0; i < (int)(sizeof x / 4); i++) x[i] = (float)i * 0.1f - 1.0f;
    for (i = 0; i < SD_TOKENS * 64; i++) ctx[i] = (float)(i % 7) * 0.1f;
    if (sd_load_memory(m, b, n) == SD_OK && want) {
        sd_result r = sd_unet(m, x, 1, 2, 3, 500.0f, ctx, eps);
        int ok = r == SD_OK;
        for (i = 0; ok && i < 24; i++) ok = memcmp(&eps[i], &want[i / 6], 4) == 0;
        t_ok(ok, "%s bias read back exactly: %.9g %.9g %.9g %.9g", what, want[0], want[1], want[2], want[3]);
        if (!ok) printf("       got %s %.9g %.9g %.9g %.9g\n", sd_error(m), eps[0], eps[6], eps[12], eps[18]);
    } else if (!want) {   /* NaN or Inf in the bias: the UNet's output is not finite, and the message names the tensor */
        t_err(m, sd_unet(m, x, 1, 2, 3, 500.0f, ctx, eps), SD_ERR_NUMERIC, "tensor 'model.diffusion_model.out.2.bias' of the checkpoint holds NaN or Inf", what);
    } else t_ok(0, "%s: %s", what, sd_error(m));
    sd_free(m);
    free(b);
    st_free(&f);
}

static void exact_values(void)
{
    {
        static const uint32_t u[2][4] = { { 0x3f800000u, 0x00000001u, 0x007fffffu, 0x7f7fffffu }, { 0xc0200000u, 0x80800000u, 0x3dcccccdu, 0x40490fdbu } };
        unsigned char le[16];
        int g, i, k;
        for (g = 0; g < 2; g++) {
            float want[4];
            for (i = 0; i < 4; i++) { want[i] = bits(u[g][i]); for (k = 0; k < 4; k++) le[4 * i + k] = (unsigned char)(u[g][i] >> (8 * k)); }
            bias_check("F32", le, 4, want, g ? "F32 -2.5, -FLT_MIN, 0.1, pi:" : "F32 1, smallest and largest subnormal, FLT_MAX:");
        }
    }
    {
        static const uint16_t h[3][4] = { { 0x3c00, 0x0001, 0x03ff, 0x7bff }, { 0x8400, 0x0400, 0x3555, 0xc000 }, { 0x8001, 0x83ff, 0xfbff, 0x0200 } };
        static const char *const what[3] = { "F16 1, smallest subnormal, largest subnormal, 65504:", "F16 -min normal, min normal, 0.333, -2:",
                                             "F16 negative subnormals, -65504, 2^-15:" };
        unsigned char le[8];
        int g, i;
        for (g = 0; g < 3; g++) {
            float want[4];
            for (i = 0; i < 4; i++) { want[i] = h2f(h[g][i]); le[2 * i] = (unsigned char)h[g][i]; le[2 * i + 1] = (unsigned char)(h[g][i] >> 8); }
            bias_check("F16", le, 2, want, what[g]);
        }
    }
    {
        static const uint16_t h[2][4] = { { 0x3f80, 0x0001, 0x7f7f, 0x8080 }, { 0x4049, 0xc2f7, 0x007f, 0x3e2b } };
        unsigned char le[8];
        int g, i;
        for (g = 0; g < 2; g++) {
            float want[4];
            for (i = 0; i < 4; i++) { want[i] = bits((uint32_t)h[g][i] << 16); le[2 * i] = (unsigned char)h[g][i]; le[2 * i + 1] = (unsigned char)(h[g][i] >> 8); }
            bias_check("BF16", le, 2, want, g ? "BF16 3.140625, -123.5, largest subnormal, 0.167:" : "BF16 1, smallest subnormal, max, -min normal:");
        }
    }
    {
        static const double d[2][4] = { { 1.0, -2.5, 0.1, 1.0 / 3.0 }, { 3.4028234663852886e38, 1.401298464324817e-45, 1e-40, -1e-300 } };
        unsigned char le[32];
        int g, i, k;
        for (g = 0; g < 2; g++) {
            float want[4];
            for (i = 0; i < 4; i++) {
                uint64_t u;
                memcpy(&u, &d[g][i], 8);
                for (k = 0; k < 8; k++) le[8 * i + k] = (unsigned char)(u >> (8 * k));
                want[i] = (float)d[g][i];
            }
            if (g == 1) want[3] = 0.0f;   /* -1e-300 rounds to -0, and 0 * x + -0 is +0 */
            bias_check("F64", le, 8, want, g ? "F64 FLT_MAX, 2^-149, 1e-40, -1e-300 rounded to float:" : "F64 1, -2.5, 0.1, 1/3 rounded to float:");
        }
    }
    {   /* Inf and NaN in each dtype */
        static const unsigned char f16inf[8] = { 0, 0, 0, 0, 0, 0x7c, 0, 0 }, f16nan[8] = { 0, 0, 0, 0x7e, 0, 0, 0, 0 }, f16ninf[8] = { 0, 0xfc, 0, 0, 0, 0, 0, 0 };
        static const unsigned char bfinf[8] = { 0, 0, 0, 0, 0x80, 0x7f, 0, 0 }, bfnan[8] = { 0xc0, 0x7f, 0, 0, 0, 0, 0, 0 };
        static const unsigned char f32nan[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0, 0, 0, 0 };
        unsigned char f64inf[32];
        double inf = HUGE_VAL;
        uint64_t u;
        int k;
        memset(f64inf, 0, sizeof f64inf);
        memcpy(&u, &inf, 8);
        for (k = 0; k < 8; k++) f64inf[24 + k] = (unsigned char)(u >> (8 * k));
        bias_check("F16", f16inf, 2, NULL, "F16 +Inf bias");
        bias_check("F16", f16ninf, 2, NULL, "F16 -Inf bias");
        bias_check("F16", f16nan, 2, NULL, "F16 NaN bias");
        bias_check("BF16", bfinf, 2, NULL, "BF16 +Inf bias");
        bias_check("BF16", bfnan, 2, NULL, "BF16 NaN bias");
        bias_check("F32", f32nan, 4, NULL, "F32 NaN bias");
        bias_check("F64", f64inf, 8, NULL, "F64 +Inf bias");
    }
    {   /* what the loader's decoder does with -0 and NaN payloads (no public path keeps a -0) */
        static const unsigned char f16[6] = { 0x00, 0x80, 0x01, 0x7e, 0x00, 0xfc };
        static const unsigned char bf16[4] = { 0x00, 0x80, 0x81, 0xff };
        float out[3];
        sd__decode(out, f16, SD__F16, 0, 3);
        t_ok(out[0] == 0 && signbit(out[0]) && out[1] != out[1] && out[2] == -INFINITY, "F16 decoder: -0 keeps its sign, NaN stays NaN, -Inf");
        sd__decode(out, bf16, SD__BF16, 0, 2);
        t_ok(out[0] == 0 && signbit(out[0]) && out[1] != out[1], "BF16 decoder: -0 keeps its sign, NaN stays NaN");
    }
}

/* the whole model in other dtypes: the same numbers, so the same bits out of every stage */
typedef struct outs { float text[SD_TOKENS * 64], eps[2 * 4 * 5 * 3], img[3 * 40 * 24], mean[4 * 5 * 3], lv[4 * 5 * 3]; } outs;

static int run_stages(const unsigned char *b, size_t n, int reference, outs *o)
{
    sd_config c = sd_config_default();
    sd_model *m;
    int ids[SD_TOKENS], i, ok;
    float x[2 * 4 * 5 * 3], ctx[2 * SD_TOKENS * 64], img[3 * 40 * 24];
    sd_rng r;
    c.reference = reference;
    m = sd_create(&c);
    sd_rng_seed(&r, 17);
    sd_randn(&r, x, sizeof x / 4); sd_randn(&r, ctx, sizeof ctx / 4); sd_randn(&r, img, sizeof img / 4);
    for (i = 0; i < SD_TOKENS; i++) ids[i] = (i * 7919) % 49408;
    ok = sd_load_memory(m, b, n) == SD_OK && sd_text_encode(m, ids, 1, o->text) == SD_OK && sd_unet(m, x, 2, 5, 3, 250.5f, ctx, o->eps) == SD_OK &&
         sd_vae_decode(m, x, 5, 3, o->img) == SD_OK && sd_vae_encode(m, img, 40, 24, o->mean, o->lv) == SD_OK;
    if (!ok) printf("       %s\n", sd_error(m));
    sd_free(m);
    return ok;
}

static int outs_same(const outs *a, const outs *b) { return !memcmp(a, b, sizeof *a); }

static void dtype_models(void)
{
    st_file q, f32, f64, bf, mix;
    unsigned char *b;
    size_t n, k;
    int i, ref, bad = 0;
    static outs o16, o;
    memset(&q, 0, sizeof q); memset(&f32, 0, sizeof f32); memset(&f64, 0, sizeof f64); memset(&bf, 0, sizeof bf); memset(&mix, 0, sizeof mix);
    for (i = 0; i < g_st.n; i++) {
        const st_tensor *t = &g_st.t[i];
        st_tensor *a;
        size_t cnt = t->nbytes / 2;
        if (strcmp(t->dtype, "F16")) {   /* the F32 buffers and the I64 position_ids stay as they are */
            st_add(&q, t->name, t->dtype, t->ndim, t->shape, t->data, t->nbytes); st_add(&f32, t->name, t->dtype, t->ndim, t->shape, t->data, t->nbytes);
            st_add(&f64, t->name, t->dtype, t->ndim, t->shape, t->data, t->nbytes); st_add(&bf, t->name, t->dtype, t->ndim, t->shape, t->data, t->nbytes);
            st_add(&mix, t->name, t->dtype, t->ndim, t->shape, t->data, t->nbytes);
            continue;
        }
        a = st_add(&q, t->name, "F16", t->ndim, t->shape, t->data, t->nbytes);
        for (k = 0; k < cnt; k++) a->own[2 * k] &= 0xf8;           /* 7 mantissa bits: the values BF16 can hold too */
        {
            st_tensor *s32 = st_add(&f32, t->name, "F32", t->ndim, t->shape, NULL, cnt * 4);
            st_tensor *s64 = st_add(&f64, t->name, "F64", t->ndim, t->shape, NULL, cnt * 8);
            st_tensor *sbf = st_add(&bf, t->name, "BF16", t->ndim, t->shape, NULL, cnt * 2);
            static const char *const kinds[4] = { "F16", "F32", "F64", "BF16" };
            const char *mk = kinds[i % 4];
            int es = !strcmp(mk, "F32") ? 4 : !strcmp(mk, "F64") ? 8 : 2;
            st_tensor *smx = st_add(&mix, t->name, mk, t->ndim, t->shape, NULL, cnt * (size_t)es);
            a = &q.t[q.n - 1];
            for (k = 0; k < cnt; k++) {
                float v = h2f((uint16_t)(a->own[2 * k] | (a->own[2 * k + 1] << 8)));
                double d = v;
                uint32_t u;
                uint64_t w;
                int j;
                memcpy(&u, &v, 4); memcpy(&w, &d, 8);
                if (u & 0xffff) bad++;
                for (j = 0; j < 4; j++) s32->own[4 * k + j] = (unsigned char)(u >> (8 * j));
                for (j = 0; j < 8; j++) s64->own[8 * k + j] = (unsigned char)(w >> (8 * j));
                sbf->own[2 * k] = (unsigned char)(u >> 16); sbf->own[2 * k + 1] = (unsigned char)(u >> 24);
                if (es == 2 && !strcmp(mk, "F16")) { smx->own[2 * k] = a->own[2 * k]; smx->own[2 * k + 1] = a->own[2 * k + 1]; }
                else if (es == 2) { smx->own[2 * k] = sbf->own[2 * k]; smx->own[2 * k + 1] = sbf->own[2 * k + 1]; }
                else if (es == 4) memcpy(smx->own + 4 * k, s32->own + 4 * k, 4);
                else memcpy(smx->own + 8 * k, s64->own + 8 * k, 8);
            }
        }
    }
    t_ok(bad == 0, "test setup: the model's F16 weights cut to 7 mantissa bits are exact in BF16 (%d are not)", bad);
    for (ref = 0; ref < 2; ref++) {
        const struct { const st_file *f; size_t pad; const char *what; } runs[6] = {
            { &f32, 0, "the weights as F32 give the same bits as F16 (text, UNet, decode, encode)" },
            { &f64, 0, "the weights as F64 give the same bits as F16" },
            { &bf, 0, "the weights as BF16 give the same bits as F16" },
            { &mix, 0, "a mix of all four dtypes gives the same bits" },
            { &q, 1, "data at an odd offset (header padded by 1) gives the same bits" },   /* 1 byte off alignment */
            { &f64, 3, "F64 data at an offset of 3 mod 8 gives the same bits" } };
        const char *kn = ref ? "reference" : "fast";
        int r;
        b = st_build(&q, 0, &n);
        if (!run_stages(b, n, ref, &o16)) { t_ok(0, "%s: the F16 model runs", kn); free(b); continue; }
        free(b);
        for (r = 0; r < 6; r++) {
            b = st_build(runs[r].f, runs[r].pad, &n);
            t_ok(run_stages(b, n, ref, &o) && outs_same(&o, &o16), "%s kernels: %s", kn, runs[r].what);
            free(b);
        }
        if (t_quick()) break;
    }
    {
        sd_model *m = sd_create(NULL);
        sd_info in;
        b = st_build(&mix, 0, &n);
        memset(&in, 0, sizeof in);
        if (t_call(m, sd_load_memory(m, b, n), "the model of mixed dtypes loads")) sd_model_info(m, &in);
        t_ok(in.n_f16 > 200 && in.n_bf16 > 200 && in.n_f32 > 200 && in.n_other > 200,
             "sd_model_info counts the dtypes: %d F32, %d F16, %d BF16, %d other", in.n_f32, in.n_f16, in.n_bf16, in.n_other);
        sd_free(m);
        free(b);
    }
    st_free(&q); st_free(&f32); st_free(&f64); st_free(&bf); st_free(&mix);
}

/* ---------------------------------------------------------------- layouts and shapes */

static void info_fixture(void)
{
    sd_model *m = sd_create(NULL);
    sd_info in;
    int64_t pu = 0, pv = 0, pt = 0;
    int i, nf16 = 0, nf32 = 0, noth = 0;
    t_err(m, sd_model_info(m, &in), SD_ERR_STATE, NULL, "sd_model_info with nothing loaded");
    if (sd_load_memory(m, g_model, g_size) != SD_OK) { t_ok(0, "the model loads from memory: %s", sd_error(m)); sd_free(m); return; }
    for (i = 0; i < g_st.n; i++) {
        const st_tensor *t = &g_st.t[i];
        int64_t c = 1;
        int k;
        for (k = 0; k < t->ndim; k++) c *= t->shape[k];
        if (!strcmp(t->dtype, "F16")) nf16++; else if (!strcmp(t->dtype, "F32")) nf32++; else noth++;
        if (!strcmp(t->dtype, "I64")) continue;
        if (!strncmp(t->name, "model.diffusion_model.", 22)) pu += c;
        else if (!strncmp(t->name, "first_stage_model.", 18)) pv += c;
        else if (!strncmp(t->name, "cond_stage_model.transformer.text_model.", 40)) pt += c;
    }
    t_ok(sd_model_info(m, &in) == SD_OK, "sd_model_info");
    t_ok(in.n_tensors == g_st.n && in.n_f16 == nf16 && in.n_f32 == nf32 && in.n_bf16 == 0 && in.n_other == noth,
         "tensors: %d (%d F16, %d F32, %d other)", in.n_tensors, in.n_f16, in.n_f32, in.n_other);
    t_ok(in.params_unet == pu && in.params_vae == pv && in.params_text == pt, "parameters: UNet %lld, VAE %lld, text %lld (the header's sums)",
         (long long)in.params_unet, (long long)in.params_vae, (long long)in.params_text);
    t_ok(in.has_unet && in.has_vae && in.has_text, "has a UNet, a VAE and a text encoder");
    t_ok(in.unet_channels == 32 && in.unet_levels == 4 && in.unet_mult[0] == 1 && in.unet_mult[1] == 2 && in.unet_mult[2] == 2 && in.unet_mult[3] == 2,
         "UNet: 32 channels x (%d,%d,%d,%d) over %d levels", in.unet_mult[0], in.unet_mult[1], in.unet_mult[2], in.unet_mult[3], in.unet_levels);
    t_ok(in.unet_attention[0] && in.unet_attention[1] && in.unet_attention[2] && !in.unet_attention[3] && in.unet_res_blocks == 2 && in.unet_depth == 1 &&
         in.unet_heads == 8 && in.context_dim == 64, "UNet: attention on levels 0-2, 2 res blocks, depth %d, %d heads, context %d", in.unet_depth, in.unet_heads, in.context_dim);
    t_ok(in.text_width == 64 && in.text_layers == 2 && in.text_heads == 1 && in.text_vocab == 49408 && in.text_positions == 77,
         "text: width %d, %d layers, %d head, vocabulary %d, %d positions", in.text_width, in.text_layers, in.text_heads, in.text_vocab, in.text_positions);
    t_ok(in.vae_channels == 32 && in.vae_levels == 4 && in.vae_mult[0] == 1 && in.vae_mult[1] == 2 && in.vae_mult[2] == 2 && in.vae_mult[3] == 2 &&
         in.vae_res_blocks == 2 && in.latent_channels == 4, "VAE: 32 channels x (1,2,2,2), %d res blocks, %d latent channels", in.vae_res_blocks, in.latent_channels);
    sd_free(m);
}

/* an SD 1.5-sized checkpoint: mkmodel's header, zero data as a sparse file (nothing is written) */
static void info_sd15(void)
{
    const char *head = "build/tests-tmp/sd15-head.bin", *path = "build/tests-tmp/sd15-sparse.safetensors";
    size_t n, total = 0, hl = 0, k;
    unsigned char *h;
    FILE *f;
    sd_model *m;
    sd_info in;
    st_file st;
    sd_result r;
    if (system("mkdir -p build/tests-tmp && build/mkmodel --config sd15 -o /dev/stdout 2>/dev/null | head -c 400000 > build/tests-tmp/sd15-head.bin") != 0) {}
    h = t_slurp(head, &n);
    if (h && n >= 8) hl = (size_t)st_header_len(h);
    if (!h || n < 8 + hl || !st_read(&st, h, 8 + hl, 1)) { t_ok(0, "mkmodel --config sd15 writes its header (%lu bytes read)", (unsigned long)n); free(h); return; }
    for (k = 0; k < (size_t)st.n; k++) if (st.t[k].off + st.t[k].nbytes > total) total = st.t[k].off + st.t[k].nbytes;
    f = fopen(path, "wb");
    if (!f || fwrite(h, 1, 8 + hl, f) != 8 + hl || fseek(f, (long)(8 + hl + total - 1), SEEK_SET) != 0 || fputc(0, f) == EOF || fclose(f) != 0) {
        t_ok(0, "writing the sparse %s", path);
        free(h); st_free(&st);
        return;
    }
    m = sd_create(NULL);
    r = sd_load(m, path);
    if (!SD__MMAP && r == SD_ERR_NOMEM) t_ok(1, "an SD 1.5-sized checkpoint (2.1 GB) is refused for memory without mmap (%s)", sd_error(m));
    else if (t_err(m, r, SD_OK, "", "an SD 1.5-sized checkpoint (2.1 GB, sparse) loads")) {
        int64_t pu = 0, pv = 0, pt = 0;
        for (k = 0; k < (size_t)st.n; k++) {
            const st_tensor *t = &st.t[k];
            int64_t c = 1;
            int d;
            for (d = 0; d < t->ndim; d++) c *= t->shape[d];
            if (!strcmp(t->dtype, "I64")) continue;
            if (!strncmp(t->name, "model.diffusion_model.", 22)) pu += c;
            else if (!strncmp(t->name, "first_stage_model.", 18)) pv += c;
            else if (!strncmp(t->name, "cond_stage_model.transformer.text_model.", 40)) pt += c;
        }
        sd_model_info(m, &in);
        t_ok(in.unet_channels == 320 && in.unet_levels == 4 && in.unet_mult[0] == 1 && in.unet_mult[1] == 2 && in.unet_mult[2] == 4 && in.unet_mult[3] == 4,
             "SD 1.5 UNet: 320 channels x (%d,%d,%d,%d)", in.unet_mult[0], in.unet_mult[1], in.unet_mult[2], in.unet_mult[3]);
        t_ok(in.unet_attention[0] && in.unet_attention[1] && in.unet_attention[2] && !in.unet_attention[3] && in.unet_res_blocks == 2 && in.unet_depth == 1 &&
             in.unet_heads == 8 && in.context_dim == 768, "SD 1.5 UNet: attention on 0-2, %d res blocks, depth %d, %d heads, context %d",
             in.unet_res_blocks, in.unet_depth, in.unet_heads, in.context_dim);
        t_ok(in.text_width == 768 && in.text_layers == 12 && in.text_heads == 12 && in.text_vocab == 49408 && in.text_positions == 77,
             "SD 1.5 text: width %d, %d layers, %d heads, vocabulary %d", in.text_width, in.text_layers, in.text_heads, in.text_vocab);
        t_ok(in.vae_channels == 128 && in.vae_levels == 4 && in.vae_mult[1] == 2 && in.vae_mult[2] == 4 && in.vae_mult[3] == 4 && in.vae_res_blocks == 2 &&
             in.latent_channels == 4, "SD 1.5 VAE: 128 channels x (1,2,4,4), %d res blocks", in.vae_res_blocks);
        t_ok(in.params_unet == 859520964 && in.params_vae == 83653863 && in.params_text == 123060480 && in.params_unet == pu && in.params_vae == pv &&
             in.params_text == pt, "SD 1.5 parameters: UNet %lld, VAE %lld, text %lld (859520964, 83653863, 123060480)",
             (long long)in.params_unet, (long long)in.params_vae, (long long)in.params_text);
    }
    sd_free(m);
    remove(path);
    free(h);
    st_free(&st);
}

/* a diffusers folder and a separate VAE file: the same results as the single file; memory == file */
static void layouts(void)
{
    const char *one = t_made("seed5.safetensors", "--config tiny --init fixture --seed 5 -o");
    const char *dir = t_made("seed5-diffusers", "--config tiny --init fixture --seed 5 --diffusers");
    const char *vae = t_made("seed5-vae.safetensors", "--config tiny --init fixture --seed 5 --vae-only -o");
    const char *other = t_made("seed6.safetensors", "--config tiny --init fixture --seed 6 -o");
    static outs a, b, c;
    float z[4 * 5 * 3], i1[3 * 40 * 24], i2[3 * 40 * 24], i3[3 * 40 * 24], e1[4 * 15], e2[4 * 15], ctx[SD_TOKENS * 64];
    sd_model *m1 = sd_create(NULL), *m2 = sd_create(NULL), *m3 = sd_create(NULL);
    sd_rng r;
    size_t n;
    unsigned char *d;
    sd_rng_seed(&r, 1);
    sd_randn(&r, z, sizeof z / 4); sd_randn(&r, ctx, sizeof ctx / 4);
    if (!one || !dir || !vae || !other) { t_ok(0, "mkmodel writes the layouts"); sd_free(m1); sd_free(m2); sd_free(m3); return; }
    t_err(m1, sd_load(m1, one), SD_OK, "", "the single file loads");
    t_err(m2, sd_load(m2, dir), SD_OK, "", "the diffusers folder loads");
    t_err(m3, sd_load(m3, other), SD_OK, "", "another model loads");
    t_err(m3, sd_load_vae(m3, vae), SD_OK, "", "  ... and a separate VAE file on top");
    if (t_call(m1, sd_vae_decode(m1, z, 5, 3, i1), "VAE decode, single file") && t_call(m2, sd_vae_decode(m2, z, 5, 3, i2), "VAE decode, diffusers folder") &&
        t_call(m3, sd_vae_decode(m3, z, 5, 3, i3), "VAE decode, another model + this VAE file")) {
        t_same("VAE decode: diffusers folder == single file, bit for bit", i2, i1, sizeof i1 / 4);
        t_same("VAE decode: another model + this VAE file == this single file", i3, i1, sizeof i1 / 4);
    }
    if (t_call(m1, sd_unet(m1, z, 1, 5, 3, 500, ctx, e1), "UNet, single file") && t_call(m2, sd_unet(m2, z, 1, 5, 3, 500, ctx, e2), "UNet, diffusers folder"))
        t_same("UNet: diffusers folder == single file, bit for bit", e2, e1, sizeof e1 / 4);
    if (t_call(m3, sd_unet(m3, z, 1, 5, 3, 500, ctx, e2), "UNet, another model"))
        t_ok(memcmp(e1, e2, sizeof e1) != 0, "  ... while the other model's UNet stays its own");
    t_err(m3, sd_load_vae(m3, other), SD_OK, "", "a whole checkpoint as the VAE file (its VAE replaces the one before)");
    t_err(m3, sd_load_vae(m3, "build/tests-tmp/does-not-exist.safetensors"), SD_ERR_IO, "(the model is unloaded)", "a missing VAE file");
    t_err(m3, sd_unet(m3, z, 1, 5, 3, 500, ctx, e2), SD_ERR_STATE, "no UNet loaded", "  ... after which the model is empty");
    t_err(m3, sd_load_vae(m3, vae), SD_ERR_STATE, "load the model before its VAE", "sd_load_vae on an empty model");
    sd_free(m3);
    m3 = sd_create(NULL);
    sd_load(m3, one);
    {
        size_t k;
        const char *p = "build/tests-tmp/loader-novae.safetensors";
        static const char json[] = "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        d = raw(json, 4, &n);
        (void)k;
        if (t_spit(p, d, n)) t_err(m3, sd_load_vae(m3, p), SD_ERR_MODEL, "no VAE tensors in this file (the model is unloaded)", "a VAE file without VAE tensors");
        else t_ok(0, "writing %s", p);
        remove(p);
        free(d);
    }
    sd_free(m1); sd_free(m2); sd_free(m3);
    /* memory == file, and a second load replaces the first */
    d = t_slurp(one, &n);
    if (!d) t_ok(0, "reading %s", one);
    else {
        if (!run_stages(d, n, 0, &a)) t_ok(0, "%s runs", one);
        m1 = sd_create(NULL);
        sd_load_memory(m1, g_model, g_size);
        t_err(m1, sd_load(m1, one), SD_OK, "", "loading a second model into the same sd_model");
        sd_free(m1);
        {
            st_file s;
            unsigned char *b2;
            size_t n2;
            st_read(&s, d, n, 0);
            b2 = st_build(&s, 7, &n2);
            t_ok(run_stages(b2, n2, 0, &b) && outs_same(&a, &b), "the model rewritten (another header, data moved by 7 bytes) gives the same bits");
            free(b2);
            st_free(&s);
        }
        {   /* the file, mapped, against the memory copy */
            sd_model *mm = sd_create(NULL), *mf = sd_create(NULL);
            int ids[SD_TOKENS], k;
            for (k = 0; k < SD_TOKENS; k++) ids[k] = k * 3;
            if (t_call(mm, sd_load_memory(mm, d, n), "sd_load_memory") && t_call(mf, sd_load(mf, one), "sd_load") &&
                t_call(mm, sd_text_encode(mm, ids, 2, a.text), "text encoder, memory") && t_call(mf, sd_text_encode(mf, ids, 2, c.text), "text encoder, mapped file"))
                t_same("text encoder: sd_load (mapped file) == sd_load_memory", c.text, a.text, SD_TOKENS * 64);
            sd_free(mm); sd_free(mf);
        }
        free(d);
    }
}

/* a log callback receives the warning of a partial checkpoint */
static int g_logged;
static char g_logmsg[512];
static void on_log(void *user, const char *msg) { (void)user; g_logged++; snprintf(g_logmsg, sizeof g_logmsg, "%s", msg); }

static void partial(void)
{
    const char *vae = t_made("seed5-vae-ldm.safetensors", "--config tiny --init fixture --seed 5 --vae-only --keep-prefix -o");
    sd_config c = sd_config_default();
    sd_model *m;
    sd_info in;
    c.log = on_log;
    m = sd_create(&c);
    if (vae && t_err(m, sd_load(m, vae), SD_OK, "", "a VAE-only file (LDM names) loads as a model")) {
        sd_model_info(m, &in);
        t_ok(in.has_vae && !in.has_unet && !in.has_text, "  ... with a VAE only");
        t_ok(g_logged == 1 && strstr(g_logmsg, "the checkpoint has a VAE only"), "  ... and says so through the log callback: \"%s\"", g_logmsg);
    }
    sd_free(m);
}

/* A mapped checkpoint's big tensors are copied in with read() for their layer, in parts over the
   threads (sd__weights_begin), or a product's rows by its tasks (sd__mm_run); the tiny model has
   none big enough, so every tensor is copied here (wcopy_min 1): the text, UNet and decode give the
   bits of the model loaded from memory, on 1 and on 3 threads (3 parts of each tensor), and on 2
   threads whose every read() fails (the file descriptors swapped for -1: the bytes come from the
   mapping instead) */
static void weight_copies(const char *path)
{
    static const int threads[3] = { 1, 3, 2 };
    int k;
    for (k = 0; k < 3; k++) {
        int fds[4] = { -1, -1, -1, -1 }, j;
        sd_model *a = t_load(NULL, NULL, 0, threads[k]), *b = t_load(NULL, NULL, 0, threads[k]);
        int ids[SD_TOKENS], i, same = 1;
        float *x = NULL, *c1 = NULL, *c2 = NULL, *e1 = NULL, *e2 = NULL, *i1 = NULL, *i2 = NULL;
        sd_info in;
        sd_rng r;
        if (!a || !b) { sd_free(a); sd_free(b); continue; }
        a->wcopy_min = 1;
        if (sd_load(a, path) != SD_OK || sd_load_memory(b, g_model, g_size) != SD_OK || sd_model_info(a, &in) != SD_OK) {
            t_ok(0, "weight copies: loading: %s / %s", sd_error(a), sd_error(b));
            sd_free(a); sd_free(b);
            continue;
        }
        for (j = 0; k == 2 && j < a->src[0].n_fd; j++) { fds[j] = a->src[0].fd[j]; a->src[0].fd[j] = -1; }
        for (i = 0; i < SD_TOKENS; i++) ids[i] = i < 5 ? 300 + 7 * i : in.text_vocab - 1;
        c1 = (float *)malloc(sizeof(float) * SD_TOKENS * in.context_dim); c2 = (float *)malloc(sizeof(float) * SD_TOKENS * in.context_dim);
        x = (float *)malloc(sizeof(float) * 4 * 8 * 8); e1 = (float *)malloc(sizeof(float) * 4 * 8 * 8); e2 = (float *)malloc(sizeof(float) * 4 * 8 * 8);
        i1 = (float *)malloc(sizeof(float) * 3 * 64 * 64); i2 = (float *)malloc(sizeof(float) * 3 * 64 * 64);
        sd_rng_seed(&r, 3);
        sd_randn(&r, x, 4 * 8 * 8);
        same = sd_text_encode(a, ids, 1, c1) == SD_OK && sd_text_encode(b, ids, 1, c2) == SD_OK &&
               !memcmp(c1, c2, sizeof(float) * SD_TOKENS * in.context_dim);
        same = same && sd_unet(a, x, 1, 8, 8, 500.0f, c1, e1) == SD_OK && sd_unet(b, x, 1, 8, 8, 500.0f, c2, e2) == SD_OK &&
               !memcmp(e1, e2, sizeof(float) * 4 * 8 * 8);
        same = same && sd_vae_decode(a, x, 8, 8, i1) == SD_OK && sd_vae_decode(b, x, 8, 8, i2) == SD_OK &&
               !memcmp(i1, i2, sizeof(float) * 3 * 64 * 64);
        for (j = 0; k == 2 && j < a->src[0].n_fd; j++) a->src[0].fd[j] = fds[j];
        t_ok(same, "weights copied in from the file (%d thread%s, %d descriptor%s%s): text, UNet and decode the bits of the model in memory%s%s",
             threads[k], threads[k] == 1 ? "" : "s", a->src[0].n_fd, a->src[0].n_fd == 1 ? "" : "s", k == 2 ? ", every read failing" : "",
             same ? "" : ": ", same ? "" : sd_error(a));
        free(x); free(c1); free(c2); free(e1); free(e2); free(i1); free(i2);
        sd_free(a); sd_free(b);
    }
}

int main(void)
{
    int fx;
    const char *model = t_model(&fx);
    bad_headers();
    not_safetensors();
    small_truncations();
    g_model = model ? t_slurp(model, &g_size) : NULL;
    if (!g_model || !st_read(&g_st, g_model, g_size, 0)) { t_ok(0, "reading %s", model ? model : "the model"); return t_done("test_loader"); }
    g_hl = (size_t)st_header_len(g_model);
    g_edit = (unsigned char *)malloc(g_size);
    memcpy(g_edit, g_model, g_size);
    printf("model: %s (%s)\n", model, fx ? "the reference fixture" : "random weights of its architecture");
    model_truncations();
    t_time("model_truncations");
    every_tensor_missing();
    t_time("every_tensor_missing");
    edits();
    t_time("edits");
    families();
    t_time("families");
    exact_values();
    t_time("exact_values");
    dtype_models();
    t_time("dtype_models");
    info_fixture();
    t_time("info_fixture");
    info_sd15();
    t_time("info_sd15");
    layouts();
    t_time("layouts");
    partial();
    t_time("partial");
    weight_copies(model);
    t_time("weight_copies");
    free(g_edit);
    free(g_model);
    st_free(&g_st);
    return t_done("test_loader");
}
