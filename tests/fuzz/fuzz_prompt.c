/* fuzz_prompt - prompts as A1111 and ComfyUI read them, on arbitrary bytes: sd_prompt_parse for
   the three weightings (brackets of any depth, unbalanced, escapes, weights, BREAK, invalid UTF-8;
   the prompt ends at the first NUL), then sd_prompt_tokens for the three with a vocabulary and
   textual-inversion embeddings loaded (A1111 triggers by their ids, ComfyUI's embedding:NAME).

   The vocabulary: $SD_FUZZ_VOCAB, else the real CLIP merges.txt at ../shared/clip-vocab/ when it
   is there (run from the repository root, as make does), else the few merges below. Embeddings
   (no model is loaded, so any width goes; 8 here): fixstyle [3, 8], cat-toy [8], a [2, 8] (a
   trigger of one common token) and big [10, 8] (ComfyUI splits groups of 8 or more).

   Checks, for every prompt (sd_prompt_parse on the first 4 KB, sd_prompt_tokens on the first 2 KB):
     - parse, with the buffers it documents as always enough (strlen + 1 runs, 2 strlen + 2 bytes,
       allocated to exactly that): never -1, at most strlen + 1 runs, each text NUL-terminated
       inside the buffer, their bytes together at most strlen; the same runs again with buffers of
       exactly the size they take, and (up to 1 KB) -1 with one run or one byte less;
     - none: one run, the prompt, weight 1; a1111: at least one run, no two neighbours of equal
       weight (they are merged), the prompt as one run of weight 1 when it holds none of \()[]:
       and no BREAK; comfy: no empty run, the prompt as one run when it holds no bracket;
     - tokens: SD_OK; counting (no buffers) and writing give the same number of chunks; none gives
       one; each chunk BOS ... EOS with weight 1 at both ends; every id inside the vocabulary or a
       slot of a loaded embedding's vector; an embedding's vectors in order and together (a1111,
       none; comfy across a chunk's end only for groups of 8 or more); every weight 1 (padding) or
       one of the parse's (as float); none: weights 1 and, without embeddings, sd_tokenize's ids.
   A broken check calls abort(), which libFuzzer reports as a crash. */
#define SD_STATIC
#define SD_IMPLEMENTATION
#include "../../sd.h"
#include <stdio.h>
#include <stdlib.h>
#define FUZZ_NAME "fuzz_prompt"
#include "fuzz.h"

#define FUZZ_PARSE_MAX 4096           /* sd_prompt_parse's input: deep brackets cost n^2 (ComfyUI) */
#define FUZZ_TOKENS_MAX 2048          /* sd_prompt_tokens's: BPE three times, twice for none */

static const char fuzz_merges[] =
    "#version: 0.2\n"
    "i n\n" "in g</w>\n" "a n\n" "a t\n" "s t\n" "o r\n" "t h\n" "r e\n" "th e</w>\n" "e r</w>\n" "o n</w>\n"
    "c a\n" "ca t</w>\n" "t o\n" "to y</w>\n" "f i\n" "fi x\n" "st y\n" "l e</w>\n" "sty le</w>\n" "e m\n" "em b\n" "b e\n"
    "d d\n" "b r\n" "br e\n" "bre a\n" "brea k</w>\n" "b i\n" "bi g</w>\n" "h o\n" "ho t</w>\n" "d o\n" "do g</w>\n";

static sd_model *fuzz_m;              /* vocabulary and embeddings */
static sd_model *fuzz_plain;          /* the vocabulary alone */
static int fuzz_bos, fuzz_eos, fuzz_nsym;
static const struct { const char *name; int n; } fuzz_emb[] = { { "fixstyle", 3 }, { "cat-toy", 0 }, { "a", 2 }, { "big", 10 } };
#define FUZZ_NEMB ((int)(sizeof fuzz_emb / sizeof fuzz_emb[0]))

/* the merges file's text: from a path, or the built-in list; NULL if the path cannot be read */
static char *fuzz_vocab_text(const char *path, size_t *n)
{
    char *t;
    FILE *f;
    long len;
    if (!path) {
        *n = sizeof fuzz_merges - 1;
        if ((t = (char *)malloc(sizeof fuzz_merges)) != NULL) memcpy(t, fuzz_merges, sizeof fuzz_merges);
        return t;
    }
    if (!(f = fopen(path, "rb"))) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
        !(t = (char *)malloc((size_t)len + 1)) || fread(t, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        return NULL;
    }
    fclose(f);
    *n = (size_t)len;
    return t;
}

/* one F32 tensor [n, 8] (n = 0: [8]) as a safetensors file, values 0.25 i */
static void fuzz_add_embedding(const char *name, int n)
{
    unsigned char f[512];
    char h[160];
    int count = (n ? n : 1) * 8, len, i;
    if (n) len = snprintf(h, sizeof h, "{\"emb_params\":{\"dtype\":\"F32\",\"shape\":[%d,8],\"data_offsets\":[0,%d]}}", n, 4 * count);
    else len = snprintf(h, sizeof h, "{\"emb_params\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,%d]}}", 4 * count);
    for (i = 0; i < 8; i++) f[i] = (unsigned char)(i == 0 ? len : 0);
    memcpy(f + 8, h, (size_t)len);
    for (i = 0; i < count; i++) {
        float v = 0.25f * (float)i;
        memcpy(f + 8 + len + 4 * i, &v, 4);
    }
    if (sd_load_embedding_memory(fuzz_m, name, f, 8 + (size_t)len + 4 * (size_t)count) != SD_OK) {
        fprintf(stderr, "fuzz_prompt: embedding %s: %s\n", name, sd_error(fuzz_m));
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *env = getenv("SD_FUZZ_VOCAB");
    const char *paths[3];
    int ids[SD_TOKENS], i, np = 0;
    (void)argc; (void)argv;
    fuzz_m = sd_create(NULL);
    fuzz_plain = sd_create(NULL);
    if (!fuzz_m || !fuzz_plain) abort();
    if (env && *env) paths[np++] = env;
    paths[np++] = "../shared/clip-vocab/merges.txt";
    paths[np++] = NULL;
    for (i = 0; i < np; i++) {
        size_t n = 0;
        char *t = fuzz_vocab_text(paths[i], &n);
        sd_result r;
        if (!t) continue;
        r = sd_load_vocab_memory(fuzz_m, t, n);
        if (r == SD_OK) r = sd_load_vocab_memory(fuzz_plain, t, n);
        free(t);
        if (r == SD_OK) { fprintf(stderr, "fuzz_prompt: vocabulary %s\n", paths[i] ? paths[i] : "(built in)"); break; }
        fprintf(stderr, "fuzz_prompt: %s\n", sd_error(fuzz_m));
    }
    if (sd_tokenize(fuzz_m, "", ids) != SD_OK) { fprintf(stderr, "fuzz_prompt: no vocabulary\n"); abort(); }
    fuzz_bos = ids[0]; fuzz_eos = ids[1];
    fuzz_nsym = fuzz_eos + 1;
    for (i = 0; i < FUZZ_NEMB; i++) fuzz_add_embedding(fuzz_emb[i].name, fuzz_emb[i].n);
    fuzz_check(sd_embedding_count(fuzz_m) == FUZZ_NEMB, "the embeddings load");
    return 0;
}

static int fuzz_cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* the parse of p with weighting w: its invariants; the run weights as floats, sorted, in *wts
   (NaN left out; *nan set when there was one) for the token checks */
static void fuzz_parse(sd_weighting w, const char *p, float **wts, int *nw, int *nan)
{
    size_t n = strlen(p), used = 0, total = 0, size = 2 * n + 2;
    int max = (int)n + 1, k, i, again;
    sd_prompt_run *runs = (sd_prompt_run *)malloc((size_t)max * sizeof *runs), *tight;
    char *text = (char *)malloc(size), *ttext;
    if (!runs || !text) abort();
    k = sd_prompt_parse(w, p, runs, max, text, size);
    fuzz_check(k >= 0, "sd_prompt_parse never -1 with strlen + 1 runs and 2 strlen + 2 bytes");
    fuzz_check(k <= max, "at most strlen + 1 runs");
    for (i = 0; i < k; i++) {
        size_t at, len;
        fuzz_check(runs[i].text >= text && runs[i].text < text + size, "a run's text inside the text buffer");
        at = (size_t)(runs[i].text - text);
        fuzz_check(memchr(runs[i].text, 0, size - at) != NULL, "a run's text NUL-terminated inside the buffer");
        len = strlen(runs[i].text);
        total += len;
        if (at + len + 1 > used) used = at + len + 1;
    }
    fuzz_check(total <= n, "the runs' texts at most the prompt's bytes");
    if (w == SD_WEIGHTING_NONE) fuzz_check(k == 1 && strcmp(runs[0].text, p) == 0 && runs[0].weight == 1.0, "none: the prompt as one run of weight 1");
    if (w == SD_WEIGHTING_A1111) {
        fuzz_check(k >= 1, "a1111: at least one run");
        for (i = 0; i + 1 < k; i++) fuzz_check(!(runs[i].weight == runs[i + 1].weight), "a1111: neighbours of equal weight are merged");
        if (!strpbrk(p, "\\()[]:") && !strstr(p, "BREAK"))
            fuzz_check(k == 1 && strcmp(runs[0].text, p) == 0 && runs[0].weight == 1.0, "a1111: a prompt without syntax is one run of weight 1");
    }
    if (w == SD_WEIGHTING_COMFY) {
        for (i = 0; i < k; i++) fuzz_check(runs[i].text[0] != 0, "comfy: no empty run");
        if (!strpbrk(p, "()")) fuzz_check(n == 0 ? k == 0 : (k == 1 && strcmp(runs[0].text, p) == 0 && runs[0].weight == 1.0),
                                          "comfy: a prompt without brackets is one run of weight 1");
    }

    /* buffers of exactly the size the runs take: the same runs; one run or one byte less: -1 */
    tight = (sd_prompt_run *)malloc((size_t)(k ? k : 1) * sizeof *tight);
    ttext = (char *)malloc(used ? used : 1);
    if (!tight || !ttext) abort();
    again = sd_prompt_parse(w, p, tight, k, ttext, used);
    fuzz_check(again == k, "the runs fit buffers of exactly their size");
    for (i = 0; i < k; i++)
        fuzz_check(tight[i].text - ttext == runs[i].text - text && strcmp(tight[i].text, runs[i].text) == 0 &&
                   memcmp(&tight[i].weight, &runs[i].weight, sizeof(double)) == 0, "the same runs again");
    if (k > 0 && n <= 1024) fuzz_check(sd_prompt_parse(w, p, tight, k - 1, ttext, used) == -1, "one run less: -1");
    if (used > 0 && n <= 1024) fuzz_check(sd_prompt_parse(w, p, tight, k, ttext, used - 1) == -1, "one byte less: -1");
    free(tight); free(ttext);

    *wts = (float *)malloc((size_t)(k + 1) * sizeof **wts);
    if (!*wts) abort();
    *nw = 0; *nan = 0;
    for (i = 0; i < k; i++) {
        float f = (float)runs[i].weight;
        if (f != f) *nan = 1; else (*wts)[(*nw)++] = f;
    }
    qsort(*wts, (size_t)*nw, sizeof **wts, fuzz_cmp_float);
    free(runs); free(text);
}

/* the chunks of p with weighting w: their invariants */
static void fuzz_tokens(sd_weighting w, const char *p, const float *wts, int nw, int nan)
{
    int n = -1, n2 = -1, k, t, e, i, *ids, ref[SD_TOKENS];
    float *wt;
    sd_result r = sd_prompt_tokens(fuzz_m, p, w, NULL, NULL, 0, &n);
    if (r != SD_OK) fprintf(stderr, "fuzz_prompt: %s\n", sd_error(fuzz_m));
    fuzz_check(r == SD_OK, "sd_prompt_tokens succeeds on any prompt up to 64 KB");
    fuzz_check(n >= 1, "at least one chunk");
    if (w == SD_WEIGHTING_NONE) fuzz_check(n == 1, "none: one chunk");
    ids = (int *)malloc((size_t)n * SD_TOKENS * sizeof *ids);
    wt = (float *)malloc((size_t)n * SD_TOKENS * sizeof *wt);
    if (!ids || !wt) abort();
    r = sd_prompt_tokens(fuzz_m, p, w, ids, wt, n, &n2);
    fuzz_check(r == SD_OK && n2 == n, "counting and writing give the same chunks");
    for (k = 0; k < n; k++) {
        const int *c = ids + (size_t)k * SD_TOKENS;
        const float *cw = wt + (size_t)k * SD_TOKENS;
        fuzz_check(c[0] == fuzz_bos && c[SD_TOKENS - 1] == fuzz_eos, "each chunk BOS ... EOS");
        fuzz_check(cw[0] == 1.0f && cw[SD_TOKENS - 1] == 1.0f, "BOS and EOS of weight 1");
        for (t = 1; t < SD_TOKENS - 1; t++) {
            int id = c[t], v, ne;
            if (w == SD_WEIGHTING_NONE) fuzz_check(cw[t] == 1.0f, "none: every weight 1");
            else if (cw[t] == cw[t]) fuzz_check(cw[t] == 1.0f || bsearch(&cw[t], wts, (size_t)nw, sizeof *wts, fuzz_cmp_float) != NULL, "every weight one of the parse's");
            else fuzz_check(nan, "a NaN weight only from a NaN run");
            if (id >= 0) { fuzz_check(id < fuzz_nsym, "every id inside the vocabulary"); continue; }
            e = (-1 - id) / 128; v = (-1 - id) % 128;
            fuzz_check(e < FUZZ_NEMB, "an embedding slot of a loaded embedding");
            ne = fuzz_emb[e].n ? fuzz_emb[e].n : 1;
            fuzz_check(v < ne, "an embedding slot of one of its vectors");
            if (v > 0) {   /* the vector before it: just before, or (comfy, 8 or more) at the end of the chunk before */
                int prev = t > 1 ? c[t - 1] : 0;
                if (t == 1 && w == SD_WEIGHTING_COMFY && ne >= 8 && k > 0) prev = c[-2];
                fuzz_check(prev == id + 1, "an embedding's vectors in order");
            }
            if (v + 1 < ne && !(w == SD_WEIGHTING_COMFY && ne >= 8 && t == SD_TOKENS - 2))
                fuzz_check(t + 1 < SD_TOKENS - 1 && c[t + 1] == id - 1, "an embedding's vectors together");
        }
    }
    if (w == SD_WEIGHTING_NONE) {   /* without embeddings, what diffusers' tokenizer gives */
        r = sd_prompt_tokens(fuzz_plain, p, w, ids, wt, 1, &n2);
        fuzz_check(r == SD_OK && n2 == 1, "none without embeddings: one chunk");
        r = sd_tokenize(fuzz_plain, p, ref);
        fuzz_check(r == SD_OK && memcmp(ids, ref, sizeof ref) == 0, "none without embeddings: sd_tokenize's ids");
        for (i = 0; i < SD_TOKENS; i++) fuzz_check(wt[i] == 1.0f, "none: weights 1");
    }
    free(ids); free(wt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *prompt;
    float *wts;
    int nw, nan, w;
    if (size > FUZZ_PARSE_MAX) size = FUZZ_PARSE_MAX;
    prompt = (char *)malloc(size + 1);
    if (!prompt) return 0;
    memcpy(prompt, data, size);
    prompt[size] = 0;
    for (w = SD_WEIGHTING_NONE; w <= SD_WEIGHTING_COMFY; w++) {
        fuzz_parse((sd_weighting)w, prompt, &wts, &nw, &nan);
        if (strlen(prompt) > FUZZ_TOKENS_MAX) {   /* the tokens of the first 2 KB, with its parse's weights */
            char keep = prompt[FUZZ_TOKENS_MAX];
            prompt[FUZZ_TOKENS_MAX] = 0;
            free(wts);
            fuzz_parse((sd_weighting)w, prompt, &wts, &nw, &nan);
            fuzz_tokens((sd_weighting)w, prompt, wts, nw, nan);
            prompt[FUZZ_TOKENS_MAX] = keep;
        } else fuzz_tokens((sd_weighting)w, prompt, wts, nw, nan);
        free(wts);
    }
    free(prompt);
    return 0;
}
