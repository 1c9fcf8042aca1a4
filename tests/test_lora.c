/* test_lora: LoRA and LoCon files (sd_load_lora_memory), written here in memory for the tiny model
   (build/tiny.safetensors), checked through the text encoder's and the UNet's outputs.

   - Apply and drop: sd_clear_loras gives back the model's exact bits (memcmp of both outputs) after
     one LoRA, two, a failed load; a new sd_load drops them too; sd_load_lora (a file) == the same
     bytes from memory. The model is loaded from memory; the same again on it loaded from the file
     (mapped) and with low_memory.
   - The merge against an independent one: for each kind of layer (text-encoder and UNet linears,
     1x1 and 3x3 convolutions, the samplers, the time embedding, conv_in/conv_out) W + w (alpha/r)
     up @ down is computed here in double from the checkpoint's bytes and written as F32 into a copy
     of the checkpoint; a second model loaded from that copy gives the LoRA'd model's outputs. Two
     LoRAs at once and separate text-encoder / UNet weights likewise.
   - Key forms (kohya, diffusers, diffusers' attention processors, PEFT), dtypes (F16, BF16, F32) and
     alpha (0-d or [1], F16, F32, BF16; none = rank) give the same outputs, without a warning.
   - Bad files and arguments: each refused with its code and a message naming the tensor (printed),
     the model bit-identical to before, clean or with a LoRA applied. Unknown parts next to good
     ones: loaded, one warning through sd_config.log.
   - With ../shared: the sd1-prompts fixture's LoRA cases (unet, and the text cases with --lora or
     --lora-dir) within relative L2 1e-4, as conformance.py checks them.
   - All of the above again with every layer merged, then with every layer beside (sd_config.lora_apply).
   - SDXL: mkmodel's SDXL LoRAs on sdxl-tiny (both text encoders, bigG's q/k/v as rows of in_proj, the
     UNet under LDM and diffusers names), merged and beside: effect, agreement, exact bits back, refusals. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

/* ---------------------------------------------------------------- F16 / BF16, independent of sd.h */

static uint16_t f2h(float f)   /* round to nearest even */
{
    uint32_t u, sign, mant, half, rem;
    int e;
    memcpy(&u, &f, 4);
    sign = (u >> 16) & 0x8000u;
    e = (int)((u >> 23) & 0xff);
    mant = u & 0x7fffffu;
    if (e == 255) return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0));
    e = e - 127 + 15;
    if (e >= 31) return (uint16_t)(sign | 0x7c00u);
    if (e <= 0) {
        int shift = 14 - e;
        if (shift > 24) return (uint16_t)sign;
        mant |= 0x800000u;
        half = mant >> shift;
        rem = mant & ((1u << shift) - 1);
        if (rem > (1u << (shift - 1)) || (rem == (1u << (shift - 1)) && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    half = ((uint32_t)e << 10) | (mant >> 13);
    rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (half & 1))) half++;
    return (uint16_t)(sign | half);
}

static float h2f(uint16_t h)
{
    int e = (h >> 10) & 31, mant = h & 1023;
    double v = e == 0 ? ldexp(mant, -24) : e == 31 ? (mant ? NAN : INFINITY) : ldexp(1024 + mant, e - 25);
    return (float)((h & 0x8000) ? -v : v);
}

static uint16_t f2bf(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);   /* NaN stays NaN */
    u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

static void put_le(unsigned char *b, uint32_t v, int nbytes) { int i; for (i = 0; i < nbytes; i++) b[i] = (unsigned char)(v >> (8 * i)); }
static uint32_t get_le(const unsigned char *b, int nbytes) { uint32_t v = 0; int i; for (i = 0; i < nbytes; i++) v |= (uint32_t)b[i] << (8 * i); return v; }

/* n floats as little-endian bytes of dtype ("F32", "F16", "BF16", or "I32": the values truncated) */
static unsigned char *encode(const char *dtype, const float *v, size_t n, size_t *nbytes)
{
    int es = !strcmp(dtype, "F16") || !strcmp(dtype, "BF16") ? 2 : 4;
    unsigned char *b = (unsigned char *)malloc(n * (size_t)es + 1);
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t u;
        if (!strcmp(dtype, "F16")) u = f2h(v[i]);
        else if (!strcmp(dtype, "BF16")) u = f2bf(v[i]);
        else if (!strcmp(dtype, "I32")) u = (uint32_t)(int32_t)v[i];
        else memcpy(&u, &v[i], 4);
        put_le(b + i * (size_t)es, u, es);
    }
    *nbytes = n * (size_t)es;
    return b;
}

/* ---------------------------------------------------------------- a safetensors writer */

typedef struct st_t {
    char name[256], dtype[8];
    int ndim;
    long long shape[4];
    const unsigned char *data;    /* nbytes (own, or someone else's) */
    size_t nbytes;
    unsigned char *own;
} st_t;

typedef struct st_f { st_t *t; int n, cap; } st_f;

static st_t *st_put(st_f *f, const char *name, const char *dtype, int ndim, const long long *shape, const unsigned char *bytes, size_t nbytes, int take)
{
    st_t *t;
    if (f->n == f->cap) { f->cap = f->cap ? 2 * f->cap : 32; f->t = (st_t *)realloc(f->t, (size_t)f->cap * sizeof *f->t); }
    t = &f->t[f->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->dtype, sizeof t->dtype, "%s", dtype);
    t->ndim = ndim;
    if (ndim) memcpy(t->shape, shape, sizeof(long long) * (size_t)ndim);
    t->data = bytes;
    t->nbytes = nbytes;
    if (take) t->own = (unsigned char *)(size_t)bytes;
    return t;
}

/* a float tensor (v: numel values) stored as dtype */
static void st_floats(st_f *f, const char *name, const char *dtype, int ndim, const long long *shape, const float *v)
{
    size_t n = 1, nb;
    unsigned char *b;
    int i;
    for (i = 0; i < ndim; i++) n *= (size_t)shape[i];
    b = encode(dtype, v, n, &nb);
    st_put(f, name, dtype, ndim, shape, b, nb, 1);
}

static void st_free(st_f *f)
{
    int i;
    for (i = 0; i < f->n; i++) free(f->t[i].own);
    free(f->t);
    memset(f, 0, sizeof *f);
}

/* the file: 8-byte header length, the JSON header (padded with spaces to 8), the data */
static unsigned char *st_bytes(const st_f *f, size_t *size)
{
    size_t cap = 4096 + (size_t)f->n * 400, hl = 0, off = 0, data = 0;
    char *h = (char *)malloc(cap);
    unsigned char *b;
    int i, k;
    hl += (size_t)sprintf(h + hl, "{");
    for (i = 0; i < f->n; i++) {
        const st_t *t = &f->t[i];
        hl += (size_t)sprintf(h + hl, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", i ? "," : "", t->name, t->dtype);
        for (k = 0; k < t->ndim; k++) hl += (size_t)sprintf(h + hl, "%s%lld", k ? "," : "", t->shape[k]);
        hl += (size_t)sprintf(h + hl, "],\"data_offsets\":[%lu,%lu]}", (unsigned long)off, (unsigned long)(off + t->nbytes));
        off += t->nbytes;
    }
    hl += (size_t)sprintf(h + hl, "}");
    while (hl % 8) h[hl++] = ' ';
    *size = 8 + hl + off;
    b = (unsigned char *)malloc(*size + 1);
    put_le(b, (uint32_t)hl, 4);
    put_le(b + 4, 0, 4);
    memcpy(b + 8, h, hl);
    for (i = 0; i < f->n; i++) { if (f->t[i].nbytes) memcpy(b + 8 + hl + data, f->t[i].data, f->t[i].nbytes); data += f->t[i].nbytes; }
    free(h);
    return b;
}

/* ---------------------------------------------------------------- the checkpoint */

static const char *g_path;            /* build/tiny.safetensors */
static unsigned char *g_ck;           /* its bytes */
static size_t g_cksize, g_ckhl;
static t_json g_hdr;                  /* its header */

static int ck_read(const char *path)
{
    char *h;
    if (!(g_ck = t_slurp(path, &g_cksize)) || g_cksize < 8) return 0;
    g_ckhl = get_le(g_ck, 4);
    if (8 + g_ckhl > g_cksize) return 0;
    h = (char *)malloc(g_ckhl + 1);
    memcpy(h, g_ck + 8, g_ckhl);
    h[g_ckhl] = 0;
    if (!t__jval(h, &g_hdr)) { free(h); return 0; }
    free(h);
    return 1;
}

/* a tensor's shape as [out, in, kh, kw] (1 for what it lacks); returns its dimensions, 0 if it is not there */
static int ck_shape(const char *name, int *out, int *in, int *kh, int *kw)
{
    const t_json *e = t_jget(&g_hdr, name), *s = t_jget(e, "shape");
    if (!s || s->n < 2) return 0;
    *out = (int)s->item[0].num; *in = (int)s->item[1].num;
    *kh = s->n == 4 ? (int)s->item[2].num : 1; *kw = s->n == 4 ? (int)s->item[3].num : 1;
    return s->n;
}

/* its values in double */
static double *ck_values(const char *name, size_t *n)
{
    const t_json *e = t_jget(&g_hdr, name), *of = t_jget(e, "data_offsets");
    const char *dt = t_jstr(e, "dtype");
    const unsigned char *b = g_ck + 8 + g_ckhl + (size_t)of->item[0].num;
    int es = !strcmp(dt, "F32") ? 4 : 2;
    size_t i;
    double *v;
    *n = ((size_t)of->item[1].num - (size_t)of->item[0].num) / (size_t)es;
    v = (double *)malloc(*n * sizeof *v);
    for (i = 0; i < *n; i++) {
        uint32_t u = get_le(b + i * (size_t)es, es);
        float f;
        if (!strcmp(dt, "F16")) f = h2f((uint16_t)u);
        else if (!strcmp(dt, "BF16")) { u <<= 16; memcpy(&f, &u, 4); }
        else memcpy(&f, &u, 4);
        v[i] = f;
    }
    return v;
}

/* ---------------------------------------------------------------- LoRA modules */

typedef struct mod {
    const char *kohya;     /* kohya's module name */
    const char *path;      /* diffusers' / PEFT's: unet. or text_encoder. + the module's path */
    const char *target;    /* the checkpoint tensor it changes */
    int r;                 /* rank */
    float alpha;           /* 0: none (scale 1) */
    float w;               /* the weight of the one-module check: its effect well above float noise */
} mod;

#define TE_ "cond_stage_model.transformer.text_model.encoder.layers."
#define U_ "model.diffusion_model."
static const mod g_mods[] = {
    { "lora_te_text_model_encoder_layers_0_mlp_fc1", "text_encoder.text_model.encoder.layers.0.mlp.fc1", TE_ "0.mlp.fc1.weight", 4, 2, 0.75f },
    { "lora_te_text_model_encoder_layers_1_self_attn_q_proj", "text_encoder.text_model.encoder.layers.1.self_attn.q_proj", TE_ "1.self_attn.q_proj.weight", 3, 0, 0.75f },
    { "lora_te_text_model_encoder_layers_1_self_attn_out_proj", "text_encoder.text_model.encoder.layers.1.self_attn.out_proj", TE_ "1.self_attn.out_proj.weight", 2, 8, 0.75f },
    { "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k", "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k",
      U_ "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight", 4, 2, 4.0f },
    { "lora_unet_mid_block_attentions_0_transformer_blocks_0_attn1_to_out_0", "unet.mid_block.attentions.0.transformer_blocks.0.attn1.to_out.0",
      U_ "middle_block.1.transformer_blocks.0.attn1.to_out.0.weight", 4, 4, 4.0f },
    { "lora_unet_up_blocks_1_attentions_2_transformer_blocks_0_ff_net_0_proj", "unet.up_blocks.1.attentions.2.transformer_blocks.0.ff.net.0.proj",
      U_ "output_blocks.5.1.transformer_blocks.0.ff.net.0.proj.weight", 2, 1, 4.0f },
    { "lora_unet_up_blocks_1_attentions_2_proj_in", "unet.up_blocks.1.attentions.2.proj_in", U_ "output_blocks.5.1.proj_in.weight", 4, 0, 0.75f },
    { "lora_unet_down_blocks_1_resnets_0_conv1", "unet.down_blocks.1.resnets.0.conv1", U_ "input_blocks.4.0.in_layers.2.weight", 4, 8, 0.75f },
    { "lora_unet_up_blocks_2_resnets_0_conv_shortcut", "unet.up_blocks.2.resnets.0.conv_shortcut", U_ "output_blocks.6.0.skip_connection.weight", 2, 0, 0.75f },
    { "lora_unet_down_blocks_1_resnets_1_time_emb_proj", "unet.down_blocks.1.resnets.1.time_emb_proj", U_ "input_blocks.5.0.emb_layers.1.weight", 4, 2, 4.0f },
    { "lora_unet_mid_block_resnets_1_conv2", "unet.mid_block.resnets.1.conv2", U_ "middle_block.2.out_layers.3.weight", 3, 1.5f, 8.0f },
    { "lora_unet_down_blocks_0_downsamplers_0_conv", "unet.down_blocks.0.downsamplers.0.conv", U_ "input_blocks.3.0.op.weight", 4, 2, 0.75f },
    { "lora_unet_up_blocks_0_upsamplers_0_conv", "unet.up_blocks.0.upsamplers.0.conv", U_ "output_blocks.2.1.conv.weight", 4, 2, 0.75f },
    { "lora_unet_up_blocks_1_upsamplers_0_conv", "unet.up_blocks.1.upsamplers.0.conv", U_ "output_blocks.5.2.conv.weight", 4, 2, 0.75f },
    { "lora_unet_time_embedding_linear_1", "unet.time_embedding.linear_1", U_ "time_embed.0.weight", 4, 2, 0.75f },
    { "lora_unet_conv_in", "unet.conv_in", U_ "input_blocks.0.0.weight", 2, 0, 0.75f },
    { "lora_unet_conv_out", "unet.conv_out", U_ "out.2.weight", 4, 2, 0.75f },
};
#define NMODS ((int)(sizeof g_mods / sizeof g_mods[0]))
#define ALL ((1u << NMODS) - 1)
#define TE_MODS 7u             /* the first three */

static int is_te(int i) { return g_mods[i].kohya[5] == 't'; }

/* a module's down [r, in*kh*kw] and up [out, r] values: multiples of 1/1024 below 1/8, exact in
   F16, BF16 and F32, different for each (module, salt) */
static void mod_values(int i, unsigned salt, float **down, float **up, int *out, int *k)
{
    int o, in, kh, kw, j, r = g_mods[i].r;
    uint32_t s = salt * 7919u + (uint32_t)i * 104729u + 17u;
    ck_shape(g_mods[i].target, &o, &in, &kh, &kw);
    *out = o; *k = in * kh * kw;
    *down = (float *)malloc(sizeof(float) * (size_t)r * (size_t)*k);
    *up = (float *)malloc(sizeof(float) * (size_t)o * (size_t)r);
    for (j = 0; j < r * *k; j++) { s = s * 1664525u + 1013904223u; (*down)[j] = (float)((int)((s >> 9) % 255u) - 127) / 1024.0f; }
    for (j = 0; j < o * r; j++) { s = s * 1664525u + 1013904223u; (*up)[j] = (float)((int)((s >> 9) % 255u) - 127) / 1024.0f; }
}

enum { KOHYA, DIFFUSERS, PROCESSOR, PEFT };                /* key forms */
enum { A_NONE, A_OWN, A_RANK, A_HALF_RANK };               /* which alpha: none, the module's, r, r/2 */
enum { A_0D_F16, A_1_F32, A_0D_F32, A_1_BF16 };            /* how alpha is stored */

/* the names of module i's down, up and alpha tensors in a key form */
static void mod_names(int i, int form, char *down, char *up, char *alpha)
{
    const mod *d = &g_mods[i];
    char path[256], *p;
    if (form == KOHYA) {
        sprintf(down, "%s.lora_down.weight", d->kohya); sprintf(up, "%s.lora_up.weight", d->kohya); sprintf(alpha, "%s.alpha", d->kohya);
        return;
    }
    snprintf(path, sizeof path, "%s", d->path);
    if (form == PROCESSOR && (p = strstr(path, ".to_")) != NULL && strstr(path, ".attn")) {   /* attn1.processor.to_q_lora */
        char tail[64];
        snprintf(tail, sizeof tail, "%s", p + 1);
        if (!strcmp(tail, "to_out.0")) strcpy(tail, "to_out");
        sprintf(p, ".processor.%s_lora", tail);
        sprintf(down, "%s.down.weight", path); sprintf(up, "%s.up.weight", path);
    } else if (form == PEFT) {
        sprintf(down, "%s.lora_A.weight", path); sprintf(up, "%s.lora_B.weight", path);
    } else if (is_te(i)) {
        sprintf(down, "%s.lora_linear_layer.down.weight", path); sprintf(up, "%s.lora_linear_layer.up.weight", path);
    } else {
        sprintf(down, "%s.lora.down.weight", path); sprintf(up, "%s.lora.up.weight", path);
    }
    sprintf(alpha, "%s.alpha", path);
}

static float mod_alpha(int i, int amode)
{
    return amode == A_OWN ? g_mods[i].alpha : amode == A_RANK ? (float)g_mods[i].r : amode == A_HALF_RANK ? 0.5f * (float)g_mods[i].r : 0.0f;
}

/* module i's tensors into f */
static void add_mod(st_f *f, int i, int form, const char *dtype, int amode, int aform, unsigned salt)
{
    char dn[300], un[300], an[300];
    float *down, *up, a = mod_alpha(i, amode);
    int out, k, o, in, kh, kw, r = g_mods[i].r, nd;
    long long ds[4], us[4], one = 1;
    mod_values(i, salt, &down, &up, &out, &k);
    nd = ck_shape(g_mods[i].target, &o, &in, &kh, &kw);   /* LoCon: down [r,in,kh,kw], up [out,r,1,1] */
    mod_names(i, form, dn, un, an);
    ds[0] = r; ds[1] = in; ds[2] = kh; ds[3] = kw;
    us[0] = out; us[1] = r; us[2] = 1; us[3] = 1;
    st_floats(f, dn, dtype, nd, ds, down);
    st_floats(f, un, dtype, nd, us, up);
    if (a > 0) {
        if (aform == A_0D_F16) st_floats(f, an, "F16", 0, NULL, &a);
        else if (aform == A_1_F32) st_floats(f, an, "F32", 1, &one, &a);
        else if (aform == A_0D_F32) st_floats(f, an, "F32", 0, NULL, &a);
        else st_floats(f, an, "BF16", 1, &one, &a);
    }
    free(down); free(up);
}

/* a LoRA file of the modules in mask */
static unsigned char *lora_file(unsigned mask, int form, const char *dtype, int amode, int aform, unsigned salt, size_t *size)
{
    st_f f;
    unsigned char *b;
    int i;
    memset(&f, 0, sizeof f);
    for (i = 0; i < NMODS; i++) if (mask >> i & 1) add_mod(&f, i, form, dtype, amode, aform, salt);
    b = st_bytes(&f, size);
    st_free(&f);
    return b;
}

/* ---------------------------------------------------------------- the merge, done here */

typedef struct term { int mod; unsigned salt; double w; int amode; } term;   /* w * (alpha / r) * up @ down */

/* a copy of the checkpoint with the terms added to their layers in double, stored as F32; *size its bytes */
static unsigned char *merged_checkpoint(const term *tm, int nt, size_t *size)
{
    st_f f;
    unsigned char *b;
    int i, j;
    memset(&f, 0, sizeof f);
    for (i = 0; i < g_hdr.n; i++) {
        const t_json *e = &g_hdr.item[i], *sh = t_jget(e, "shape"), *of = t_jget(e, "data_offsets");
        long long shape[4];
        int k, hit = 0;
        if (!strcmp(g_hdr.key[i], "__metadata__")) continue;
        for (k = 0; k < sh->n && k < 4; k++) shape[k] = (long long)sh->item[k].num;
        for (j = 0; j < nt; j++) hit |= !strcmp(g_mods[tm[j].mod].target, g_hdr.key[i]);
        if (!hit) {
            st_put(&f, g_hdr.key[i], t_jstr(e, "dtype"), sh->n, shape, g_ck + 8 + g_ckhl + (size_t)of->item[0].num,
                   (size_t)of->item[1].num - (size_t)of->item[0].num, 0);
            continue;
        }
        {
            size_t n, q;
            double *w = ck_values(g_hdr.key[i], &n);
            float *w32 = (float *)malloc(n * sizeof *w32);
            for (j = 0; j < nt; j++) {
                float *down, *up, a;
                int out, kk, o, x, rr, r = g_mods[tm[j].mod].r;
                double scale;
                if (strcmp(g_mods[tm[j].mod].target, g_hdr.key[i]) != 0) continue;
                mod_values(tm[j].mod, tm[j].salt, &down, &up, &out, &kk);
                a = mod_alpha(tm[j].mod, tm[j].amode);
                scale = tm[j].w * (a > 0 ? (double)a / r : 1.0);
                for (o = 0; o < out; o++)
                    for (x = 0; x < kk; x++) {
                        double s = 0;
                        for (rr = 0; rr < r; rr++) s += (double)up[o * r + rr] * down[rr * kk + x];
                        w[(size_t)o * kk + x] += scale * s;
                    }
                free(down); free(up);
            }
            for (q = 0; q < n; q++) w32[q] = (float)w[q];
            st_floats(&f, g_hdr.key[i], "F32", sh->n, shape, w32);
            free(w); free(w32);
        }
    }
    b = st_bytes(&f, size);
    st_free(&f);
    return b;
}

/* ---------------------------------------------------------------- the outputs looked at */

#define D 64                     /* the tiny model's text width and context width */
#define LAT 8                    /* latent 8x8 (the middle block at 1x1: quick) */
typedef struct outs { float te[SD_TOKENS * D]; float un[4 * LAT * LAT]; } outs;
static int g_ids[SD_TOKENS];
static float g_x[4 * LAT * LAT], g_ctx[SD_TOKENS * D];
static outs g_base;              /* the tiny model's, no LoRA */

static int run(sd_model *m, outs *o, const char *what)
{
    memset(o, 0, sizeof *o);
    return t_call(m, sd_text_encode(m, g_ids, 1, o->te), what) && t_call(m, sd_unet(m, g_x, 1, LAT, LAT, 500.0f, g_ctx, o->un), what);
}

static double rel(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    size_t i;
    for (i = 0; i < n; i++) { double d = (double)a[i] - b[i]; num += d * d; den += (double)b[i] * b[i]; }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static size_t ndiff(const float *a, const float *b, size_t n)
{
    size_t i, k = 0;
    for (i = 0; i < n; i++) k += memcmp(a + i, b + i, sizeof(float)) != 0;
    return k;
}

/* both outputs bit for bit */
static int same_outs(const char *what, const outs *a, const outs *b)
{
    size_t dt = ndiff(a->te, b->te, SD_TOKENS * D), du = ndiff(a->un, b->un, 4 * LAT * LAT);
    t_ok(!dt && !du, "%-62s %s (text %lu, unet %lu values differ)", what, !dt && !du ? "same bits" : "DIFFER", (unsigned long)dt, (unsigned long)du);
    return !dt && !du;
}

/* the current outputs of m against want, bit for bit */
static int same_as(sd_model *m, const outs *want, const char *what)
{
    outs o;
    if (!run(m, &o, what)) return 0;
    return same_outs(what, &o, want);
}

/* both outputs within tol */
static int close_outs(const char *what, const outs *got, const outs *ref, double tol)
{
    double et = rel(got->te, ref->te, SD_TOKENS * D), eu = rel(got->un, ref->un, 4 * LAT * LAT);
    int ok = et <= tol && eu <= tol && t_finite(got->te, SD_TOKENS * D) && t_finite(got->un, 4 * LAT * LAT);
    t_ok(ok, "%-62s rel_l2 text %.1e unet %.1e (tol %.0e)", what, et, eu, tol);
    return ok;
}

static sd_lora_apply g_apply;   /* how the models made here apply LoRAs (sd_config.lora_apply) */
static int g_logged;
static char g_logmsg[1024];
static void on_log(void *user, const char *msg) { (void)user; g_logged++; snprintf(g_logmsg, sizeof g_logmsg, "%s", msg); }

static sd_model *load_path(const char *path, int low_memory)
{
    sd_config c = sd_config_default();
    sd_model *m;
    c.n_threads = 1;
    c.low_memory = low_memory;
    c.log = on_log;
    c.lora_apply = g_apply;
    m = sd_create(&c);
    if (m && sd_load(m, path) != SD_OK) { t_ok(0, "loading %s: %s", path, sd_error(m)); sd_free(m); return NULL; }
    return m;
}
static sd_model *load_file(int low_memory) { return load_path(g_path, low_memory); }

static sd_model *load_memory(const unsigned char *b, size_t n)
{
    sd_config c = sd_config_default();
    sd_model *m;
    c.n_threads = 1;
    c.log = on_log;
    c.lora_apply = g_apply;
    m = sd_create(&c);
    if (m && sd_load_memory(m, b, n) != SD_OK) { t_ok(0, "loading a checkpoint from memory: %s", sd_error(m)); sd_free(m); return NULL; }
    return m;
}

/* a LoRA applied; a FAIL line if it is refused */
static int apply(sd_model *m, const unsigned char *b, size_t n, float te, float unet, const char *what)
{
    return t_call(m, sd_load_lora_memory(m, b, n, te, unet), what);
}

/* ---------------------------------------------------------------- 1. apply and drop */

static unsigned char *g_a, *g_b;      /* LoRA A: every module, F16, the modules' alphas; B: UNet and TE, BF16 */
static size_t g_an, g_bn;
static outs g_with_a;                 /* the tiny model with A (weight 1) */

static void restore(sd_model *m)
{
    outs o;
    sd_model *lm;
    int lm_mode;
    if (!apply(m, g_a, g_an, 1, 1, "LoRA A") || !run(m, &g_with_a, "with A")) return;
    t_ok(sd_lora_count(m) == 1, "sd_lora_count after one LoRA: %d", sd_lora_count(m));
    {
        double et = rel(g_with_a.te, g_base.te, SD_TOKENS * D), eu = rel(g_with_a.un, g_base.un, 4 * LAT * LAT);
        t_ok(et > 1e-2 && eu > 1e-2, "LoRA A (17 modules) changes the outputs: rel_l2 text %.3f, unet %.3f (> 1e-2)", et, eu);
    }
    sd_clear_loras(m);
    t_ok(sd_lora_count(m) == 0, "sd_lora_count after sd_clear_loras: %d", sd_lora_count(m));
    same_as(m, &g_base, "A applied, then dropped == the model");
    if (apply(m, g_a, g_an, 1, 1, "A again")) same_as(m, &g_with_a, "A dropped and applied again == A the first time");
    sd_clear_loras(m);
    if (!t_spit("build/tests-tmp/lora-a.safetensors", g_a, g_an)) t_ok(0, "cannot write build/tests-tmp/lora-a.safetensors");
    else if (t_call(m, sd_load_lora(m, "build/tests-tmp/lora-a.safetensors", 1, 1), "sd_load_lora")) same_as(m, &g_with_a, "A from a file (sd_load_lora) == A from memory");
    if (apply(m, g_b, g_bn, 0.7f, -0.4f, "LoRA B on top of A") && run(m, &o, "A + B")) {
        t_ok(sd_lora_count(m) == 2 && rel(o.te, g_with_a.te, SD_TOKENS * D) > 1e-3 && rel(o.un, g_with_a.un, 4 * LAT * LAT) > 1e-3,
             "A + B: 2 LoRAs, outputs unlike A's (rel_l2 text %.3f, unet %.3f)", rel(o.te, g_with_a.te, SD_TOKENS * D), rel(o.un, g_with_a.un, 4 * LAT * LAT));
    }
    sd_clear_loras(m);
    same_as(m, &g_base, "A + B dropped == the model");
    /* a failed load between: the good module of the file (the one A also changes) must not stick */
    {
        st_f f;
        unsigned char *b;
        size_t n;
        float bad[64 * 3];
        long long ds[2] = { 3, 64 }, us[2] = { 64, 3 };
        int i;
        memset(&f, 0, sizeof f);
        add_mod(&f, 0, KOHYA, "F16", A_OWN, A_0D_F16, 9);
        for (i = 0; i < 64 * 3; i++) bad[i] = 0.01f * (float)(i % 7);
        st_floats(&f, "lora_te_text_model_encoder_layers_1_self_attn_q_proj.lora_down.weight", "F16", 2, ds, bad);
        bad[100] = NAN;
        st_floats(&f, "lora_te_text_model_encoder_layers_1_self_attn_q_proj.lora_up.weight", "F16", 2, us, bad);
        b = st_bytes(&f, &n);
        st_free(&f);
        if (apply(m, g_a, g_an, 1, 1, "A")) {
            sd_result r = sd_load_lora_memory(m, b, n, 1, 1);
            t_ok(r != SD_OK && sd_lora_count(m) == 1, "A, then a LoRA with NaN refused: %s, %d LoRA", sd_result_name(r), sd_lora_count(m));
            same_as(m, &g_with_a, "A + a refused LoRA == A");
            sd_clear_loras(m);
            same_as(m, &g_base, "A + a refused LoRA, dropped == the model");
        }
        free(b);
    }
    /* a new sd_load drops the LoRAs */
    if (apply(m, g_a, g_an, 1, 1, "A")) {
        sd_result r = sd_load_memory(m, g_ck, g_cksize);
        t_ok(r == SD_OK && sd_lora_count(m) == 0, "A, then sd_load_memory again: %s, %d LoRAs", sd_result_name(r), sd_lora_count(m));
        same_as(m, &g_base, "A, then sd_load_memory again == the model");
    }
    /* the model from the file (mapped where the platform maps files), and low-memory (weights read when used) */
    for (lm_mode = 0; lm_mode < 2; lm_mode++) {
        const char *how = lm_mode ? "from the file, low memory" : "from the file";
        char what[160];
        if (!(lm = load_file(lm_mode))) continue;
        snprintf(what, sizeof what, "%s: == from memory", how);
        same_as(lm, &g_base, what);
        if (apply(lm, g_a, g_an, 1, 1, how) && run(lm, &o, how)) {
            snprintf(what, sizeof what, "%s: with A == A from memory", how);
            same_outs(what, &o, &g_with_a);
            snprintf(what, sizeof what, "%s: with A, run again (the merged weights kept)", how);
            same_as(lm, &g_with_a, what);
            sd_clear_loras(lm);
            snprintf(what, sizeof what, "%s: A dropped == the model", how);
            same_as(lm, &g_base, what);
        }
        if (!lm_mode && apply(lm, g_a, g_an, 1, 1, "A")) {
            sd_result r = sd_load(lm, g_path);
            t_ok(r == SD_OK && sd_lora_count(lm) == 0, "from the file: A, then sd_load again: %s, %d LoRAs", sd_result_name(r), sd_lora_count(lm));
            same_as(lm, &g_base, "from the file: A, then sd_load again == the model");
        }
        sd_free(lm);
    }
}

/* ---------------------------------------------------------------- 2. the merge, independently */

/* m with the LoRAs against a model loaded from the checkpoint merged here */
static void against(sd_model *m, const term *tm, int nt, const char *what, int stage)
{
    outs got, want;
    size_t n;
    unsigned char *ck = merged_checkpoint(tm, nt, &n);
    sd_model *r = load_memory(ck, n);
    if (r && run(m, &got, what) && run(r, &want, what)) {
        char w[200];
        double e = stage == 0 ? rel(got.te, g_base.te, SD_TOKENS * D) : stage == 1 ? rel(got.un, g_base.un, 4 * LAT * LAT) : 0;
        if (stage == 2) close_outs(what, &got, &want, 5e-5);   /* two float32 sums in turn: a little rounding */
        else {
            snprintf(w, sizeof w, "%.150s (effect %.3f)", what, e);
            if (stage == 0) t_close(w, got.te, want.te, SD_TOKENS * D, 1e-5); else t_close(w, got.un, want.un, 4 * LAT * LAT, 1e-5);
            t_ok(e > 1e-3 && (stage == 0 ? !ndiff(got.un, g_base.un, 4 * LAT * LAT) : !ndiff(got.te, g_base.te, SD_TOKENS * D)),
                 "  changes its stage (rel_l2 %.2e > 1e-3), leaves the %s's bits", e, stage == 0 ? "UNet" : "text encoder");
        }
    }
    sd_free(r);
    free(ck);
}

static void independent(sd_model *m)
{
    int i;
    char what[160];
    for (i = 0; i < NMODS; i++) {
        term t;
        size_t n;
        unsigned char *b = lora_file(1u << i, KOHYA, "F16", A_OWN, A_0D_F16, 3, &n);
        int o, in, kh, kw, nd = ck_shape(g_mods[i].target, &o, &in, &kh, &kw);
        char shape[48];
        if (nd == 4) snprintf(shape, sizeof shape, "[%d,%d,%d,%d]", o, in, kh, kw); else snprintf(shape, sizeof shape, "[%d,%d]", o, in);
        t.mod = i; t.salt = 3; t.w = g_mods[i].w; t.amode = A_OWN;
        snprintf(what, sizeof what, "%s %s rank %d alpha %g x%g", g_mods[i].kohya + 5, shape, g_mods[i].r, g_mods[i].alpha, g_mods[i].w);
        if (apply(m, b, n, g_mods[i].w, g_mods[i].w, what)) against(m, &t, 1, what, is_te(i) ? 0 : 1);
        sd_clear_loras(m);
        free(b);
    }
    /* two LoRAs at once, separate text-encoder and UNet weights: A (0.6, 1.3) + B (-0.5, -0.5) */
    {
        term tm[2 * NMODS];
        int nt = 0;
        for (i = 0; i < NMODS; i++) { tm[nt].mod = i; tm[nt].salt = 1; tm[nt].w = is_te(i) ? 0.6 : 1.3; tm[nt].amode = A_OWN; nt++; }
        for (i = 0; i < NMODS; i++) if (i % 2 == 0) { tm[nt].mod = i; tm[nt].salt = 2; tm[nt].w = -0.5; tm[nt].amode = A_RANK; nt++; }
        if (apply(m, g_a, g_an, 0.6f, 1.3f, "A (0.6, 1.3)") && apply(m, g_b, g_bn, -0.5f, -0.5f, "B (-0.5)"))
            against(m, tm, nt, "A (te 0.6, unet 1.3) + B (-0.5) == merged here", 2);
        sd_clear_loras(m);
    }
    /* the text-encoder weight reaches only the text encoder, the UNet's only the UNet */
    {
        outs o;
        if (apply(m, g_a, g_an, 1, 0, "A (1, 0)") && run(m, &o, "A (1, 0)")) {
            size_t dt = ndiff(o.te, g_with_a.te, SD_TOKENS * D), du = ndiff(o.un, g_base.un, 4 * LAT * LAT);
            t_ok(!dt && !du, "A with te 1, unet 0: text encoder == A's, UNet == the model's (%lu, %lu values differ)", (unsigned long)dt, (unsigned long)du);
        }
        sd_clear_loras(m);
        if (apply(m, g_a, g_an, 0, 1, "A (0, 1)") && run(m, &o, "A (0, 1)")) {
            size_t dt = ndiff(o.te, g_base.te, SD_TOKENS * D), du = ndiff(o.un, g_with_a.un, 4 * LAT * LAT);
            t_ok(!dt && !du, "A with te 0, unet 1: text encoder == the model's, UNet == A's (%lu, %lu values differ)", (unsigned long)dt, (unsigned long)du);
        }
        sd_clear_loras(m);
    }
}

/* ---------------------------------------------------------------- 3. key forms, dtypes, alpha */

static void forms(sd_model *m)
{
    static const struct { const char *what; int form; const char *dtype; int amode, aform; float w; } v[] = {
        { "kohya F16, no alpha", KOHYA, "F16", A_NONE, 0, 1 },
        { "kohya BF16, no alpha", KOHYA, "BF16", A_NONE, 0, 1 },
        { "kohya F32, alpha = rank (0-d F16)", KOHYA, "F32", A_RANK, A_0D_F16, 1 },
        { "kohya F32, alpha = rank ([1] F32)", KOHYA, "F32", A_RANK, A_1_F32, 1 },
        { "kohya F16, alpha = rank/2 (0-d F16), weight 1", KOHYA, "F16", A_HALF_RANK, A_0D_F16, 2 },
        { "kohya F16, alpha = rank/2 ([1] F32), weight 1", KOHYA, "F16", A_HALF_RANK, A_1_F32, 2 },
        { "kohya F16, alpha = rank/2 (0-d F32), weight 1", KOHYA, "F16", A_HALF_RANK, A_0D_F32, 2 },
        { "kohya BF16, alpha = rank/2 ([1] BF16), weight 1", KOHYA, "BF16", A_HALF_RANK, A_1_BF16, 2 },
        { "diffusers F32 (lora.down / lora_linear_layer.down)", DIFFUSERS, "F32", A_NONE, 0, 1 },
        { "diffusers F16", DIFFUSERS, "F16", A_NONE, 0, 1 },
        { "diffusers attention processors F16 (attn2.processor.to_k_lora)", PROCESSOR, "F16", A_NONE, 0, 1 },
        { "PEFT F32 (lora_A / lora_B)", PEFT, "F32", A_NONE, 0, 1 },
        { "PEFT BF16", PEFT, "BF16", A_NONE, 0, 1 },
    };
    outs ref, half, o;
    size_t n;
    unsigned char *b = lora_file(ALL, KOHYA, "F32", A_NONE, 0, 4, &n);
    int i;
    /* the reference: kohya F32 without alpha at weight 1 (w) and 0.5 (the alpha = r/2 files at weight 1) */
    if (!apply(m, b, n, 1, 1, "kohya F32, no alpha") || !run(m, &ref, "kohya F32")) { free(b); return; }
    sd_clear_loras(m);
    if (!apply(m, b, n, 0.5f, 0.5f, "kohya F32, no alpha, x0.5") || !run(m, &half, "kohya F32 x0.5")) { free(b); return; }
    sd_clear_loras(m);
    free(b);
    t_ok(rel(ref.te, g_base.te, SD_TOKENS * D) > 1e-2 && rel(ref.un, g_base.un, 4 * LAT * LAT) > 1e-2,
         "the reference (kohya F32, 17 modules, no alpha) changes the outputs (rel_l2 text %.3f, unet %.3f)",
         rel(ref.te, g_base.te, SD_TOKENS * D), rel(ref.un, g_base.un, 4 * LAT * LAT));
    for (i = 0; i < (int)(sizeof v / sizeof v[0]); i++) {
        char what[160];
        b = lora_file(ALL, v[i].form, v[i].dtype, v[i].amode, v[i].aform, 4, &n);
        snprintf(what, sizeof what, "%s == kohya F32%s", v[i].what, v[i].w == 2 ? " x0.5" : "");
        g_logged = 0;
        if (apply(m, b, n, 1, 1, v[i].what) && run(m, &o, v[i].what)) {
            close_outs(what, &o, v[i].w == 2 ? &half : &ref, 1e-6);
            if (g_logged) t_ok(0, "  %d warning: \"%s\"", g_logged, g_logmsg);
        }
        sd_clear_loras(m);
        free(b);
    }
    /* the same LoRA twice at 0.5 == once at 1 */
    b = lora_file(ALL, KOHYA, "F32", A_NONE, 0, 4, &n);
    if (apply(m, b, n, 0.5f, 0.5f, "x0.5") && apply(m, b, n, 0.5f, 0.5f, "x0.5 again") && run(m, &o, "twice x0.5"))
        close_outs("kohya F32 applied twice at 0.5 == once at 1", &o, &ref, 1e-5);
    sd_clear_loras(m);
    free(b);
}

/* ---------------------------------------------------------------- 4. bad input */

#define Q1 "lora_te_text_model_encoder_layers_1_self_attn_q_proj"
#define FC1 "lora_te_text_model_encoder_layers_1_mlp_fc1"
#define CONV1 "lora_unet_down_blocks_1_resnets_0_conv1"

/* tensors of shape [a, b(, c, d)] with small values into f */
static void put(st_f *f, const char *name, const char *dtype, long long a, long long b, long long c, long long d)
{
    long long s[4];
    size_t n, i;
    float *v;
    s[0] = a; s[1] = b; s[2] = c; s[3] = d;
    n = (size_t)(a * b * (c ? c : 1) * (d ? d : 1));
    v = (float *)malloc((n + 1) * sizeof *v);
    for (i = 0; i < n; i++) v[i] = 0.01f * (float)((int)(i % 13) - 6);
    st_floats(f, name, dtype, c ? 4 : b ? 2 : a ? 1 : 0, s, v);
    free(v);
}

/* bad file k into f (after a good module); what it is, the code and words wanted; 0 past the last */
static int bad_file(int k, st_f *f, const char **what, sd_result *code, const char **words, const char **names)
{
    float v[64 * 4];
    long long s2[2] = { 2, 1 };
    int i;
    *names = NULL;
    if (k != 14) add_mod(f, 0, KOHYA, "F16", A_OWN, A_0D_F16, 5);   /* a good module first (A changes it too) */
    switch (k) {
    case 0: *what = "up and down ranks that differ"; *code = SD_ERR_FORMAT; *words = "ranks"; *names = Q1 ".lora_down.weight";
        put(f, Q1 ".lora_down.weight", "F16", 4, 64, 0, 0); put(f, Q1 ".lora_up.weight", "F16", 64, 3, 0, 0); break;
    case 1: *what = "shapes that fit no layer (down [4,32] for fc1 [256,64])"; *code = SD_ERR_MODEL; *words = "do not fit"; *names = FC1 ".lora_down.weight";
        put(f, FC1 ".lora_down.weight", "F16", 4, 32, 0, 0); put(f, FC1 ".lora_up.weight", "F16", 256, 4, 0, 0); break;
    case 2: *what = "a 1x1 LoCon down for a 3x3 conv"; *code = SD_ERR_MODEL; *words = "do not fit"; *names = CONV1 ".lora_down.weight";
        put(f, CONV1 ".lora_down.weight", "F16", 4, 32, 1, 1); put(f, CONV1 ".lora_up.weight", "F16", 64, 4, 1, 1); break;
    case 3: *what = "up rows of another layer (up [32,4] for q_proj [64,64])"; *code = SD_ERR_MODEL; *words = "do not fit"; *names = Q1 ".lora_up.weight";
        put(f, Q1 ".lora_down.weight", "F16", 4, 64, 0, 0); put(f, Q1 ".lora_up.weight", "F16", 32, 4, 0, 0); break;
    case 4: *what = "NaN in up"; *code = SD_ERR_NUMERIC; *words = "NaN"; *names = Q1 ".lora_up.weight";
        put(f, Q1 ".lora_down.weight", "F16", 4, 64, 0, 0);
        for (i = 0; i < 64 * 4; i++) v[i] = 0.01f;
        v[77] = NAN;
        { long long s[2] = { 64, 4 }; st_floats(f, Q1 ".lora_up.weight", "F16", 2, s, v); } break;
    case 5: *what = "Inf in down (F32)"; *code = SD_ERR_NUMERIC; *words = "Inf"; *names = Q1 ".lora_down.weight";
        for (i = 0; i < 64 * 4; i++) v[i] = 0.01f;
        v[200] = INFINITY;
        { long long s[2] = { 4, 64 }; st_floats(f, Q1 ".lora_down.weight", "F32", 2, s, v); }
        put(f, Q1 ".lora_up.weight", "F32", 64, 4, 0, 0); break;
    case 6: *what = "NaN alpha"; *code = SD_ERR_NUMERIC; *words = "NaN"; *names = Q1 ".alpha";
        put(f, Q1 ".lora_down.weight", "F16", 4, 64, 0, 0); put(f, Q1 ".lora_up.weight", "F16", 64, 4, 0, 0);
        v[0] = NAN; st_floats(f, Q1 ".alpha", "F16", 0, NULL, v); break;
    case 7: *what = "rank 65 for a 64x64 layer"; *code = SD_ERR_FORMAT; *words = "rank 65"; *names = Q1 ".lora_down.weight";
        put(f, Q1 ".lora_down.weight", "F16", 65, 64, 0, 0); put(f, Q1 ".lora_up.weight", "F16", 64, 65, 0, 0); break;
    case 8: *what = "down but no up"; *code = SD_ERR_FORMAT; *words = "no up"; *names = Q1 ".lora_down.weight";
        put(f, Q1 ".lora_down.weight", "F16", 4, 64, 0, 0); v[0] = 4; st_floats(f, Q1 ".alpha", "F16", 0, NULL, v); break;
    case 9: *what = "up but no down"; *code = SD_ERR_FORMAT; *words = "no down"; *names = Q1 ".lora_up.weight";
        put(f, Q1 ".lora_up.weight", "F16", 64, 4, 0, 0); break;
    case 10: *what = "an alpha alone"; *code = SD_ERR_FORMAT; *words = "no down"; *names = Q1 ".alpha";
        v[0] = 4; st_floats(f, Q1 ".alpha", "F16", 0, NULL, v); break;
    case 11: *what = "alpha of two values"; *code = SD_ERR_FORMAT; *words = "one number"; *names = Q1 ".alpha";
        put(f, Q1 ".lora_down.weight", "F16", 4, 64, 0, 0); put(f, Q1 ".lora_up.weight", "F16", 64, 4, 0, 0);
        v[0] = 4; v[1] = 4; st_floats(f, Q1 ".alpha", "F32", 1, s2, v); break;
    case 12: *what = "an I32 down"; *code = SD_ERR_FORMAT; *words = "not a float"; *names = Q1 ".lora_down.weight";
        put(f, Q1 ".lora_down.weight", "I32", 4, 64, 0, 0); put(f, Q1 ".lora_up.weight", "F16", 64, 4, 0, 0); break;
    case 13: *what = "an SDXL LoRA (lora_te1_)"; *code = SD_ERR_MODEL; *words = "SDXL"; *names = "lora_te1_text_model_encoder_layers_0_mlp_fc1";
        put(f, "lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_down.weight", "F16", 4, 64, 0, 0);
        put(f, "lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_up.weight", "F16", 256, 4, 0, 0);
        put(f, "lora_unet_input_blocks_4_1_proj_in.lora_down.weight", "F16", 4, 640, 1, 1); break;
    case 14: *what = "keys that match nothing"; *code = SD_ERR_MODEL; *words = "nothing in it matches"; *names = "lora_unet_down_blocks_9_attentions_0_proj_in";
        put(f, "lora_unet_down_blocks_9_attentions_0_proj_in.lora_down.weight", "F16", 4, 64, 1, 1);
        put(f, "lora_unet_down_blocks_9_attentions_0_proj_in.lora_up.weight", "F16", 64, 4, 1, 1);
        put(f, "model.diffusion_model.out.2.weight", "F16", 4, 32, 3, 3); break;
    case 15: *what = "a LyCORIS LoHa module"; *code = SD_ERR_UNSUPPORTED; *words = "LoHa"; *names = Q1 ".hada_w1_a";
        put(f, Q1 ".hada_w1_a", "F16", 64, 4, 0, 0); put(f, Q1 ".hada_w1_b", "F16", 4, 64, 0, 0); break;
    case 16: *what = "an up matrix of 3 dimensions"; *code = SD_ERR_FORMAT; *words = "up matrix"; *names = Q1 ".lora_up.weight";
        put(f, Q1 ".lora_down.weight", "F16", 4, 64, 0, 0);
        { long long s[3] = { 64, 4, 1 }; for (i = 0; i < 256; i++) v[i] = 0.01f; st_floats(f, Q1 ".lora_up.weight", "F16", 3, s, v); } break;
    case 17: *what = "rank 0 (down [0,64], up [64,0])"; *code = SD_ERR_FORMAT; *words = "rank 0"; *names = Q1 ".lora_down.weight";
        { long long sd_[2] = { 0, 64 }, su[2] = { 64, 0 }; st_floats(f, Q1 ".lora_down.weight", "F16", 2, sd_, v); st_floats(f, Q1 ".lora_up.weight", "F16", 2, su, v); } break;
    default: return 0;
    }
    return 1;
}

static void expect(sd_model *m, const outs *before, int count, const unsigned char *b, size_t n, sd_result code, const char *words,
                   const char *names, const char *what)
{
    sd_result r = sd_load_lora_memory(m, b, n, 1, 1);
    const char *msg = sd_error(m);
    int ok = r == code && (!words || strstr(msg, words)) && (!names || strstr(msg, names));
    t_ok(ok && sd_lora_count(m) == count, "%s -> %s \"%s\"", what, sd_result_name(r), msg);
    if (!ok) printf("       wanted %s with \"%s\"%s%s\n", sd_result_name(code), words ? words : "", names ? " naming " : "", names ? names : "");
    same_as(m, before, "  the model as it was");
}

static void bad(sd_model *m)
{
    int k, pass;
    char what[200];
    for (pass = 0; pass < 2; pass++) {   /* on the model, then on the model with A */
        const outs *before = pass ? &g_with_a : &g_base;
        if (pass && !apply(m, g_a, g_an, 1, 1, "A")) return;
        printf("-- bad LoRA files %s\n", pass ? "with A applied" : "on the model");
        for (k = 0;; k++) {
            st_f f;
            const char *w, *words, *names;
            sd_result code;
            unsigned char *b;
            size_t n;
            memset(&f, 0, sizeof f);
            if (!bad_file(k, &f, &w, &code, &words, &names)) { st_free(&f); break; }
            b = st_bytes(&f, &n);
            st_free(&f);
            snprintf(what, sizeof what, "%s", w);
            expect(m, before, pass, b, n, code, words, names, what);
            free(b);
        }
    }
    /* bytes that are no safetensors: a zip (.pt), a bare pickle, garbage, nothing, every truncation */
    {
        static const unsigned char zip[] = "PK\003\004\024\000\000\000\000\000archive/data.pkl";
        static const unsigned char pickle[] = "\200\002}q\000(X\004\000\000\000lora";
        unsigned char junk[1000];
        uint32_t s = 12345;
        size_t i, n, cut, refused = 0;
        unsigned char *good;
        const outs *before = &g_with_a;   /* A is still applied */
        for (i = 0; i < sizeof junk; i++) { s = s * 1664525u + 1013904223u; junk[i] = (unsigned char)(s >> 24); }
        expect(m, before, 1, zip, sizeof zip - 1, SD_ERR_FORMAT, "pickle", "safetensors", "a .pt file (a zip: PK\\3\\4)");
        expect(m, before, 1, pickle, sizeof pickle - 1, SD_ERR_FORMAT, "pickle", NULL, "a bare pickle (\\x80\\x02)");
        expect(m, before, 1, junk, sizeof junk, SD_ERR_FORMAT, NULL, NULL, "1000 random bytes");
        expect(m, before, 1, junk, 0, SD_ERR_FORMAT, NULL, NULL, "0 bytes");
        {
            st_f f;
            memset(&f, 0, sizeof f);
            good = st_bytes(&f, &n);
            expect(m, before, 1, good, n, SD_ERR_MODEL, "nothing in it matches", NULL, "a safetensors file of no tensors");
            free(good);
        }
        good = lora_file(6u, KOHYA, "F16", A_OWN, A_0D_F16, 6, &n);   /* two modules, one with alpha */
        for (cut = 0; cut < n; cut++) {
            sd_result r = sd_load_lora_memory(m, good, cut, 1, 1);
            if (r != SD_OK) refused++;
            if (cut == 20 || cut == n - 1) printf("       cut at %lu of %lu: %s \"%s\"\n", (unsigned long)cut, (unsigned long)n, sd_result_name(r), sd_error(m));
        }
        t_ok(refused == n && sd_lora_count(m) == 1, "a LoRA file cut at each of its %lu lengths: %lu refused, %d LoRA", (unsigned long)n, (unsigned long)refused, sd_lora_count(m));
        same_as(m, before, "  the model as it was");
        free(good);
    }
    /* arguments */
    {
        sd_result r;
        r = sd_load_lora_memory(m, g_a, g_an, NAN, 1);
        t_ok(r == SD_ERR_ARG && sd_lora_count(m) == 1, "text-encoder weight NaN -> %s \"%s\"", sd_result_name(r), sd_error(m));
        r = sd_load_lora_memory(m, g_a, g_an, 1, INFINITY);
        t_ok(r == SD_ERR_ARG && sd_lora_count(m) == 1, "UNet weight Inf -> %s \"%s\"", sd_result_name(r), sd_error(m));
        r = sd_load_lora_memory(m, NULL, 10, 1, 1);
        t_ok(r == SD_ERR_ARG && sd_lora_count(m) == 1, "no data -> %s \"%s\"", sd_result_name(r), sd_error(m));
        r = sd_load_lora(m, "build/tests-tmp/no-such-lora.safetensors", 1, 1);
        t_ok(r != SD_OK && strstr(sd_error(m), "no-such-lora.safetensors") && sd_lora_count(m) == 1, "a missing file -> %s \"%s\"", sd_result_name(r), sd_error(m));
        same_as(m, &g_with_a, "  the model as it was");
        {
            sd_model *e = sd_create(NULL);
            r = sd_load_lora_memory(e, g_a, g_an, 1, 1);
            t_ok(r == SD_ERR_STATE && sd_lora_count(e) == 0, "no model loaded -> %s \"%s\"", sd_result_name(r), sd_error(e));
            sd_clear_loras(e);
            sd_free(e);
        }
    }
    sd_clear_loras(m);
    same_as(m, &g_base, "after all that, A dropped == the model");
}

/* unknown parts next to good ones: loaded, one warning through sd_config.log naming them */
static void unknown(sd_model *m)
{
    st_f f;
    unsigned char *b, *good;
    size_t n, gn;
    outs want;
    good = lora_file(1u | (1u << 7), KOHYA, "F16", A_OWN, A_0D_F16, 7, &gn);
    g_logged = 0;
    if (!apply(m, good, gn, 1, 1, "two good modules") || !run(m, &want, "two good modules")) { sd_clear_loras(m); free(good); return; }
    t_ok(g_logged == 0, "a LoRA that all matches: no warning (%d)", g_logged);
    sd_clear_loras(m);
    memset(&f, 0, sizeof f);
    add_mod(&f, 0, KOHYA, "F16", A_OWN, A_0D_F16, 7);
    put(&f, "lora_unet_down_blocks_9_attentions_0_proj_in.lora_down.weight", "F16", 4, 64, 1, 1);   /* a block this model has not */
    put(&f, "lora_unet_down_blocks_9_attentions_0_proj_in.lora_up.weight", "F16", 64, 4, 1, 1);
    put(&f, "some_other_thing.weight", "F16", 4, 4, 0, 0);                                          /* not a LoRA key */
    add_mod(&f, 7, KOHYA, "F16", A_OWN, A_0D_F16, 7);
    b = st_bytes(&f, &n);
    st_free(&f);
    g_logged = 0; g_logmsg[0] = 0;
    if (apply(m, b, n, 1, 1, "good modules and unknown ones")) {
        t_ok(g_logged == 1 && strstr(g_logmsg, "some_other_thing.weight") && strstr(g_logmsg, "down_blocks_9") && sd_lora_count(m) == 1,
             "good and unknown parts: loaded, %d warning: \"%s\"", g_logged, g_logmsg);
        same_as(m, &want, "  == the good modules alone");
    }
    sd_clear_loras(m);
    free(b); free(good);
}

/* ---------------------------------------------------------------- 5. the fixture's LoRA cases */

/* the --lora and --lora-dir arguments of a case, applied; the prompt's tags taken out into text */
static int case_loras(sd_model *m, const t_json *args, const char *prompt, char *text, size_t cap)
{
    int i;
    if (text) snprintf(text, cap, "%s", prompt ? prompt : "");
    for (i = 0; args && i + 1 < args->n; i++) {
        const char *a = args->item[i].str, *v = args->item[i + 1].str;
        if (!a || !v) continue;
        if (!strcmp(a, "--lora") && !strncmp(v, "fixture:", 8)) {
            char file[256], rel_[300], *colon, *end;
            float w = 1;
            snprintf(file, sizeof file, "%s", v + 8);
            if ((colon = strrchr(file, ':')) != NULL) { double x = strtod(colon + 1, &end); if (end != colon + 1 && !*end) { w = (float)x; *colon = 0; } }
            snprintf(rel_, sizeof rel_, "fixtures/sd1-prompts/%s", file);
            if (!t_shared(rel_)) { t_ok(0, "fixture %s is missing", rel_); return 0; }
            if (!t_call(m, sd_load_lora(m, t_shared(rel_), w, w), file)) return 0;
        } else if (!strcmp(a, "--lora-dir") && text) {
            sd_lora_tag tags[8];
            int k, nt = sd_prompt_loras(prompt, text, tags, 8);
            if (nt < 0 || nt > 8) { t_ok(0, "sd_prompt_loras(\"%s\"): %d", prompt, nt); return 0; }
            for (k = 0; k < nt; k++) {
                char rel_[400];
                snprintf(rel_, sizeof rel_, "fixtures/sd1-prompts/%.300s.safetensors", tags[k].name);
                if (!t_shared(rel_)) { t_ok(0, "<lora:%s>: fixture %s is missing", tags[k].name, rel_); return 0; }
                if (!t_call(m, sd_load_lora(m, t_shared(rel_), tags[k].te_weight, tags[k].unet_weight), tags[k].name)) return 0;
            }
        }
    }
    return 1;
}

static int has_lora(const t_json *args)
{
    int i;
    for (i = 0; args && i < args->n; i++) if (args->item[i].str && !strncmp(args->item[i].str, "--lora", 6)) return 1;
    return 0;
}

static sd_array fx_npy(sd_model *m, const char *name)
{
    char rel_[300];
    const char *p;
    sd_array a;
    memset(&a, 0, sizeof a);
    snprintf(rel_, sizeof rel_, "fixtures/sd1-prompts/%s", name ? name : "?");
    p = t_shared(rel_);
    if (!p || sd_npy_read(m, p, &a) != SD_OK) t_ok(0, "reading fixture %s: %s", rel_, p ? sd_error(m) : "missing");
    return a;
}

/* sd1-prompts/cases.json (NULL with a SKIP line without it). Its ComfyUI texts hold \u0000, which
   common.h's reader (sd.h's) refuses in a string: made \u0020 first (no text of those cases is used). */
static t_json g_cases;
static const t_json *prompts_cases(const char *stage)
{
    const char *p = t_shared("fixtures/sd1-prompts/cases.json");
    const t_json *cs;
    char *s, *q;
    size_t n;
    if (!p) { t_skip("the sd1-prompts LoRA cases (no ../shared/fixtures/sd1-prompts)"); return NULL; }
    if (!g_cases.type) {
        if (!(s = (char *)t_slurp(p, &n))) { t_ok(0, "cannot read %s", p); return NULL; }
        for (q = s; (q = strstr(q, "\\u0000")) != NULL; q += 6) memcpy(q, "\\u0020", 6);
        if (!t__jval(s, &g_cases)) { t_ok(0, "cannot parse %s", p); t_json_free(&g_cases); }
        free(s);
    }
    cs = t_jget(t_jget(&g_cases, "cases"), stage);
    if (!cs || cs->type != 5) { t_ok(0, "sd1-prompts/cases.json holds an array of %s cases", stage); return NULL; }
    return cs;
}

static void fixture(void)
{
    const t_json *cs = prompts_cases("unet");
    const char *model = t_shared("fixtures/sd1-prompts/model.safetensors"), *vocab = t_shared("clip-vocab/merges.txt");
    sd_model *m;
    int i;
    char keep[1024], vkeep[1024];
    if (!cs) return;
    if (!model) { t_ok(0, "fixtures/sd1-prompts/model.safetensors is missing"); return; }
    snprintf(keep, sizeof keep, "%s", model);   /* t_shared's buffers are reused */
    snprintf(vkeep, sizeof vkeep, "%s", vocab ? vocab : "");
    if (!(m = load_path(keep, 0))) return;
    for (i = 0; i < cs->n; i++) {
        const t_json *c = &cs->item[i], *args = t_jget(c, "args");
        sd_array x, ctx, out;
        char what[160];
        if (!has_lora(args)) continue;
        snprintf(what, sizeof what, "fixture unet #%d %s", i, t_jstr(c, "name") ? t_jstr(c, "name") : "?");
        x = fx_npy(m, t_jstr(c, "x")); ctx = fx_npy(m, t_jstr(c, "context")); out = fx_npy(m, t_jstr(c, "out"));
        if (x.data && ctx.data && out.data && x.ndim == 4 && ctx.ndim == 3 && t_numel(&out) == t_numel(&x) && case_loras(m, args, NULL, NULL, 0)) {
            float *eps = (float *)malloc(sizeof(float) * t_numel(&x));
            if (t_call(m, sd_unet_ctx(m, x.data, (int)x.shape[0], (int)x.shape[2], (int)x.shape[3], (float)t_jnum(c, "t", 0), ctx.data, (int)ctx.shape[1], eps), what))
                t_close(what, eps, out.data, t_numel(&x), 1e-4);
            free(eps);
        }
        sd_clear_loras(m);
        sd_array_free(m, &x); sd_array_free(m, &ctx); sd_array_free(m, &out);
    }
    /* the text cases with --lora or --lora-dir */
    cs = prompts_cases("text");
    if (cs && vocab && t_call(m, sd_load_vocab(m, vkeep), "the CLIP vocabulary")) {
        for (i = 0; i < cs->n; i++) {
            const t_json *c = &cs->item[i], *args = t_jget(c, "args");
            const char *wt = t_jstr(c, "weighting"), *prompt = t_jstr(c, "prompt");
            sd_weighting w = wt && !strcmp(wt, "a1111") ? SD_WEIGHTING_A1111 : wt && !strcmp(wt, "comfy") ? SD_WEIGHTING_COMFY : SD_WEIGHTING_NONE;
            sd_array out;
            char what[160], text[1024];
            int chunks = 0;
            if (!has_lora(args) || !prompt) continue;
            snprintf(what, sizeof what, "fixture text #%d %s", i, t_jstr(c, "name") ? t_jstr(c, "name") : "?");
            out = fx_npy(m, t_jstr(c, "out"));
            if (out.data && case_loras(m, args, prompt, text, sizeof text)) {
                float *got = (float *)calloc(t_numel(&out) + 4 * SD_TOKENS * 64, sizeof(float));
                if (t_call(m, sd_encode_prompt(m, text, w, (int)t_jnum(c, "clip_skip", 1), got, 4, &chunks), what)) {
                    t_ok((size_t)chunks * SD_TOKENS * 64 == t_numel(&out), "%s: %d chunks", what, chunks);
                    t_close(what, got, out.data, t_numel(&out), 1e-4);
                }
                free(got);
            }
            sd_clear_loras(m);
            sd_array_free(m, &out);
        }
    } else if (cs) t_skip("fixture text LoRA cases (no ../shared/clip-vocab/merges.txt)");
    sd_free(m);
    t_json_free(&g_cases);
}

/* ---------------------------------------------------------------- SDXL */

typedef struct xl_outs { float *te, *pooled, *un; size_t nte, np, nun; } xl_outs;

/* the text encoders' context and pooled vector for fixed ids, and the UNet on a batch of 2 (8x8) */
static int xl_run(sd_model *m, xl_outs *o, const char *what)
{
    sd_info in;
    int ids[SD_TOKENS], i;
    float x[2 * 4 * 64], *ctx, y[2 * 4096];
    sd_rng r;
    if (sd_model_info(m, &in) != SD_OK || in.unet_adm_in > 4096) { t_ok(0, "%s: sd_model_info: %s", what, sd_error(m)); return 0; }
    o->nte = (size_t)SD_TOKENS * in.text_width; o->np = (size_t)in.pooled_dim; o->nun = 2 * 4 * 64;
    if (!o->te) { o->te = (float *)malloc(o->nte * 4); o->pooled = (float *)malloc(o->np * 4); o->un = (float *)malloc(o->nun * 4); }
    ctx = (float *)malloc((size_t)2 * SD_TOKENS * in.context_dim * 4);
    for (i = 0; i < SD_TOKENS; i++) ids[i] = i == 0 ? 49406 : i < 6 ? 320 + 7 * i : 49407;
    sd_rng_seed(&r, 9);
    sd_randn(&r, x, 2 * 4 * 64);
    sd_randn(&r, ctx, (size_t)2 * SD_TOKENS * in.context_dim);
    sd_randn(&r, y, (size_t)2 * in.unet_adm_in);
    i = t_call(m, sd_text_encode_pooled(m, ids, 1, o->te, o->pooled), what) &&
        t_call(m, sd_unet_y(m, x, 2, 8, 8, 400.0f, ctx, SD_TOKENS, y, o->un), what);
    free(ctx);
    return i;
}

static void xl_free(xl_outs *o) { free(o->te); free(o->pooled); free(o->un); memset(o, 0, sizeof *o); }

/* mkmodel's SDXL LoRA (kohya: lora_unet_ with LDM names, lora_te1_, lora_te2_ with bigG's q, k, v as
   the row thirds of in_proj: beside those views) on sdxl-tiny, merged and beside: it changes the
   context, the pooled vector and the UNet; both ways agree; dropping it gives back the exact bits;
   its twin with diffusers' UNet names gives the same bits; SD 1.x's LoRAs are refused on SDXL and
   SDXL's on SD 1.x */
static void sdxl(void)
{
    const char *ck = t_made("sdxl-tiny.safetensors", "--config sdxl-tiny -o");
    const char *la = t_made("sdxl-lora.safetensors", "--for build/tests-tmp/sdxl-tiny.safetensors --te --rank 4 --lora");
    const char *lb = t_made("sdxl-lora-diffusers.safetensors", "--for build/tests-tmp/sdxl-tiny.safetensors --te --rank 4 --unet-names diffusers --lora");
    xl_outs base, way[2], again, twin;
    int k;
    char ckp[600], lap[600], lbp[600];
    memset(&base, 0, sizeof base); memset(way, 0, sizeof way); memset(&again, 0, sizeof again); memset(&twin, 0, sizeof twin);
    if (!ck || !la || !lb) { t_ok(0, "mkmodel --config sdxl-tiny and its LoRAs"); return; }
    snprintf(ckp, sizeof ckp, "%s", ck); snprintf(lap, sizeof lap, "%s", la); snprintf(lbp, sizeof lbp, "%s", lb);
    for (k = 0; k < 2; k++) {
        sd_model *m;
        g_apply = k ? SD_LORA_BESIDE : SD_LORA_MERGE;
        if (!(m = load_path(ckp, 0))) return;
        if (!xl_run(m, &base, "SDXL without a LoRA")) { sd_free(m); break; }
        if (t_call(m, sd_load_lora(m, lap, 1, 1), "SDXL LoRA (lora_te1_, lora_te2_, lora_unet_)") && xl_run(m, &way[k], "SDXL with the LoRA")) {
            double et = rel(way[k].te, base.te, base.nte), ep = rel(way[k].pooled, base.pooled, base.np), eu = rel(way[k].un, base.un, base.nun);
            t_ok(et > 1e-3 && ep > 1e-3 && eu > 1e-3, "%s: the SDXL LoRA changes context %.3f, pooled %.3f, UNet %.3f (> 1e-3)",
                 k ? "beside" : "merged", et, ep, eu);
        }
        sd_clear_loras(m);
        if (xl_run(m, &again, "SDXL, the LoRA dropped")) {
            t_same(k ? "beside: dropped, the context's bits back" : "merged: dropped, the context's bits back", again.te, base.te, base.nte);
            t_same("  ... the pooled vector's", again.pooled, base.pooled, base.np);
            t_same("  ... the UNet's", again.un, base.un, base.nun);
        }
        if (t_call(m, sd_load_lora(m, lbp, 1, 1), "SDXL LoRA, diffusers' UNet names") && xl_run(m, &twin, "SDXL with the twin"))
            t_same("  ... with diffusers' block names: the same UNet bits", twin.un, way[k].un, base.nun);
        sd_clear_loras(m);
        if (k == 0) {
            t_err(m, sd_load_lora_memory(m, g_a, g_an, 1, 1), SD_ERR_MODEL, "this model is SDXL", "an SD 1.x LoRA (lora_te_) on SDXL");
            if (xl_run(m, &again, "SDXL after the refusal")) t_same("  ... the model as it was", again.un, base.un, base.nun);
        }
        sd_free(m);
    }
    if (way[0].te && way[1].te) {
        t_close("SDXL LoRA merged vs beside: context", way[1].te, way[0].te, base.nte, 1e-5);
        t_close("SDXL LoRA merged vs beside: pooled", way[1].pooled, way[0].pooled, base.np, 1e-5);
        t_close("SDXL LoRA merged vs beside: UNet", way[1].un, way[0].un, base.nun, 1e-5);
    }
    {
        sd_model *m;
        g_apply = SD_LORA_AUTO;
        if ((m = load_memory(g_ck, g_cksize)) != NULL) {
            t_err(m, sd_load_lora(m, lap, 1, 1), SD_ERR_MODEL, "this model is not SDXL", "an SDXL LoRA on SD 1.x");
            sd_free(m);
        }
    }
    xl_free(&base); xl_free(&way[0]); xl_free(&way[1]); xl_free(&again); xl_free(&twin);
}

int main(void)
{
    sd_model *m;
    sd_info info;
    sd_rng r;
    int i;
    FILE *f = fopen("build/tiny.safetensors", "rb");
    if (f) { fclose(f); g_path = "build/tiny.safetensors"; }
    else g_path = t_made("tiny.safetensors", "--config tiny -o");
    if (!g_path || !ck_read(g_path)) { t_ok(0, "reading the tiny model %s", g_path ? g_path : "(none)"); return t_done("test_lora"); }
    if (!(m = load_memory(g_ck, g_cksize))) return t_done("test_lora");   /* the file's: see restore() */
    if (sd_model_info(m, &info) != SD_OK || info.text_width != D || info.context_dim != D) {
        t_ok(0, "the tiny model has text width %d, context %d (%d expected)", info.text_width, info.context_dim, D);
        sd_free(m);
        return t_done("test_lora");
    }
    for (i = 0; i < NMODS; i++) {
        int o, in, kh, kw;
        if (!ck_shape(g_mods[i].target, &o, &in, &kh, &kw)) { t_ok(0, "the tiny model has %s", g_mods[i].target); sd_free(m); return t_done("test_lora"); }
    }
    g_ids[0] = 49406; g_ids[1] = 320; g_ids[2] = 736; g_ids[3] = 1615; g_ids[4] = 593; g_ids[5] = 12190;
    for (i = 6; i < SD_TOKENS; i++) g_ids[i] = 49407;
    sd_rng_seed(&r, 5);
    sd_randn(&r, g_x, sizeof g_x / sizeof g_x[0]);
    sd_randn(&r, g_ctx, sizeof g_ctx / sizeof g_ctx[0]);
    if (!run(m, &g_base, "the model")) { sd_free(m); return t_done("test_lora"); }
    g_a = lora_file(ALL, KOHYA, "F16", A_OWN, A_0D_F16, 1, &g_an);
    g_b = lora_file(0x15555u & ALL, KOHYA, "BF16", A_RANK, A_1_F32, 2, &g_bn);

    printf("-- apply and drop: the model's exact bits back\n");
    restore(m);
    t_time("restore");
    printf("-- the merge against one computed here (double, written into the checkpoint as F32)\n");
    independent(m);
    t_time("independent");
    printf("-- key forms, dtypes, alpha\n");
    forms(m);
    t_time("forms");
    bad(m);
    unknown(m);
    t_time("bad");
    printf("-- the sd1-prompts fixture's LoRA cases\n");
    fixture();
    t_time("fixture");
    sd_free(m);
    for (i = SD_LORA_MERGE; i <= SD_LORA_BESIDE; i++) {   /* the same on every layer merged, then every layer beside */
        if (i == SD_LORA_MERGE && t_quick()) {   /* (the default run merges the tiny model's UNet layers already) */
            t_skip("every layer merged: the checks again (SD_TEST_QUICK)");
            continue;
        }
        g_apply = (sd_lora_apply)i;
        printf("-- all of the above with every layer %s (sd_config.lora_apply)\n", i == SD_LORA_MERGE ? "merged" : "beside");
        if (!(m = load_memory(g_ck, g_cksize))) break;
        restore(m);
        independent(m);
        forms(m);
        bad(m);
        unknown(m);
        fixture();
        sd_free(m);
        t_time(i == SD_LORA_MERGE ? "merged" : "beside");
    }
    printf("-- SDXL: its LoRAs on both text encoders and the UNet, merged and beside\n");
    sdxl();
    t_time("sdxl");
    free(g_a); free(g_b); free(g_ck);
    t_json_free(&g_hdr);
    return t_done("test_lora");
}
