/* fuzz_tokenizer - sd_tokenize and sd_tokenize_bpe on arbitrary bytes as the prompt: invalid
   UTF-8, NULs (the prompt ends at the first), HTML references, every script, prompts far over
   77 tokens.

   The vocabulary: $SD_FUZZ_VOCAB, else the real CLIP merges.txt at ../shared/clip-vocab/ when
   it is there (run from the repository root, as make does), else the small vocabulary below
   (mkmodel --vocab-out's 500 merges and two for "é"). Checks, for every prompt:
     - sd_tokenize succeeds; 77 ids, the first <|startoftext|> (49406 with the real vocabulary:
       512 + its merges), the last <|endoftext|>, every id inside the vocabulary;
     - after the last BPE id only <|endoftext|> (the padding);
     - sd_tokenize_bpe agrees: the same count with cap 0 and with room for all, the same first
       75 ids as sd_tokenize (which calls it with cap 75).
   A broken check calls abort(), which libFuzzer reports as a crash. */
#define SD_STATIC
#define SD_IMPLEMENTATION
#include "../../sd.h"
#include <stdio.h>
#include <stdlib.h>
#define FUZZ_NAME "fuzz_tokenizer"
#include "fuzz.h"

static const char *const fuzz_merges[] = {
    "i n", "in g</w>", "a n", "i g", "i t", "a r", "ig h", "s t", "o r", "t h", "i n</w>", "r a", "o n</w>",
    "r e", "o u", "o f</w>", "l igh", "th e</w>", "e r</w>", "a l", "e r", "i l", "it h</w>", "w ith</w>",
    "o l", "a n</w>", "a t", "a t</w>", "t a", "an d</w>", "r o", "s u", "d e", "ligh t</w>", "h o", "l e",
    "i c</w>", "l o", "l e</w>", "l a", "c a", "i e", "ou n", "b o", "ho t", "n ing</w>", "p hot", "s e</w>",
    "e s</w>", "in t", "p a", "t i", "c ol", "e a", "s h", "c o", "e t</w>", "igh t</w>", "l an",
    "phot o</w>", "r i", "s t</w>", "su n", "v er</w>", "al l</w>", "col or", "d o", "f u", "i r", "m o",
    "s k", "t s</w>", "d s</w>", "e d</w>", "er s</w>", "l u", "n ight</w>", "o f", "ar m</w>", "c u",
    "de n</w>", "e n</w>", "g e</w>", "i t</w>", "o ver</w>", "of t</w>", "oun ta", "p or", "pa int",
    "s oft</w>", "t ra", "u n", "w in", "a l</w>", "ar s</w>", "c e</w>", "d ra", "fu l</w>", "g ra", "h it",
    "in s</w>", "it y</w>", "k e</w>", "lo w", "m or", "m ounta", "mor ning</w>", "n o", "por tra",
    "portra it</w>", "s m", "sk y</w>", "ti on</w>", "w arm</w>", "c al", "c ity</w>", "color s</w>",
    "d ing</w>", "de ta", "er i", "f low", "f o", "f ro", "flow ers</w>", "hit e</w>", "l i", "m an</w>",
    "m at", "ol d</w>", "s p", "s s</w>", "t u", "w at", "w hite</w>", "w o", "a c", "a i", "a v", "ar k</w>",
    "b ea", "b lu", "blu e</w>", "c an", "c e", "c l", "cl ou", "clou ds</w>", "d a", "deta il",
    "detail ed</w>", "e le", "f ie", "fie l", "g re", "il l</w>", "ligh ts</w>", "m p", "mat ic</w>",
    "mounta ins</w>", "o n", "ou se</w>", "p lan", "paint ing</w>", "r e</w>", "sm all</w>", "v e", "win do",
    "a m", "a u", "ai r</w>", "an t</w>", "b le</w>", "b r", "c h</w>", "cal m</w>", "d ark</w>", "e ar",
    "e st</w>", "f e</w>", "f le", "f or", "fiel d</w>", "fle c", "for est</w>", "g r", "gra p", "grap h",
    "gre en</w>", "i l</w>", "k ing</w>", "la ke</w>", "m a", "n at", "o graph", "o r</w>", "oun d</w>",
    "re flec", "s e", "st ars</w>", "st ic</w>", "st re", "su n</w>", "t o", "t re", "v a", "w n</w>",
    "wat er</w>", "a d</w>", "ac k", "ack gr", "ackgr ound</w>", "ar t</w>", "b ackground</w>", "b la",
    "b y</w>", "bla c", "blac k</w>", "bo at</w>", "bo o", "c h", "co z", "coz y</w>", "cu t", "cut e</w>",
    "d e</w>", "d i", "dra matic</w>", "e p", "e ve", "ele g", "eleg ant</w>", "eve ning</w>", "f i",
    "fro m</w>", "g ir", "g ol", "gir l</w>", "gol den</w>", "h air</w>", "h or", "ho t</w>", "i m",
    "i on</w>", "in e</w>", "l s</w>", "ligh t", "ligh th", "lighth ouse</w>", "lo n", "lo w</w>",
    "lon g</w>", "m e", "n t</w>", "nat u", "ograph y</w>", "p ar", "pa st", "phot ography</w>",
    "plan ts</w>", "r ing</w>", "r u", "ra in</w>", "re d</w>", "s ca", "s et</w>", "s no", "s y</w>",
    "st or", "st ra", "stre et</w>", "sun set</w>", "t er", "t r", "ta ble</w>", "v i", "w s</w>",
    "wo man</w>", "y ing</w>", "y s</w>", "a f", "a il", "a r</w>", "af ter", "after no", "afterno on</w>",
    "al i", "al king</w>", "an ge</w>", "an ta", "anta sy</w>", "at e</w>", "au tu", "autu m", "autum n</w>",
    "av es</w>", "b u", "bea u", "beau ti", "beauti ful</w>", "c at</w>", "c le", "c lo", "ca l</w>",
    "clo se</w>", "co n", "color ful</w>", "cu s</w>", "d er</w>", "d re", "d sca", "d y</w>", "da wn</w>",
    "di o</w>", "dsca p", "dscap e</w>", "e x", "e y", "ep ic</w>", "er t</w>", "eri or</w>", "ey es</w>",
    "f a", "f antasy</w>", "f l", "fo cus</w>", "g h</w>", "g la", "g le</w>", "gla ss</w>", "h ig", "h ou",
    "hig h</w>", "hor se</w>", "i cal</w>", "i de</w>", "i p</w>", "ie w</w>", "il lu", "illu stra",
    "illustra tion</w>", "int erior</w>", "it t", "l y</w>", "lan dscape</w>", "le s</w>", "li fe</w>",
    "m er</w>", "m i", "m mer</w>", "mo o", "mo on</w>", "moo dy</w>", "o den</w>", "on s</w>", "ou gh</w>",
    "ou s</w>", "p e", "p ea", "p la", "p le</w>", "p p", "q u", "r ough</w>", "ra ys</w>", "re n",
    "reflec ti", "reflecti ons</w>", "ro ad</w>", "s ail", "s c", "s h</w>", "se a</w>", "sh a", "sh ip</w>",
    "sno w</w>", "sp ring</w>", "st u", "stu dio</w>", "su mmer</w>", "t h</w>", "th rough</w>", "tre es</w>",
    "u p</w>", "v iew</w>", "w alking</w>", "w l</w>", "windo w</w>", "wo oden</w>", "a bo", "a d",
    "a ding</w>", "a eri", "abo v", "abov e</w>", "aeri al</w>", "ali stic</w>", "ar den</w>", "at ion</w>",
    "b a", "b i", "b ir", "b re", "b ri", "bea ch</w>", "bi g</w>", "bo t</w>", "bo wl</w>", "boo k",
    "boo k</w>", "br ight</w>", "bri d", "brid ge</w>", "c ert</w>", "c in", "c oun", "c ro", "ca fe</w>",
    "ca r</w>", "ca st", "can d", "can va", "canva s</w>", "cast le</w>", "ce ful</w>", "cin e",
    "cine matic</w>", "cle ar</w>", "con cert</w>", "coun tr", "cu p</w>", "d er", "d in", "d u", "da y</w>",
    "de p", "de s", "dep th</w>", "do g</w>", "do ws</w>", "dra w", "draw ing</w>", "dre ss</w>", "e l",
    "e l</w>", "e mp", "ear ing</w>", "el low</w>", "ele photo</w>", "ex p", "exp o", "expo su",
    "exposu re</w>", "f am", "f il", "f ir", "f re", "fil m</w>", "fir e</w>", "fl ying</w>", "fo o",
    "foo d</w>", "fro nt</w>", "g arden</w>", "g e", "g ic</w>", "g o", "g u", "g y</w>", "go th",
    "goth ic</w>", "gra in</w>", "h at</w>", "h er</w>", "h igh", "h il", "h ill</w>", "h ouse</w>",
    "high ly</w>", "hil ls</w>", "hou r</w>", "i s", "i s</w>", "ie n", "ie s</w>", "ie t</w>", "in im",
    "in k</w>", "int er</w>", "itt le</w>", "j un", "jun gle</w>", "k et</w>", "l ate</w>", "l ing</w>",
    "l ittle</w>", "light ing</w>", "light ning</w>", "m inim", "mi st</w>", "mo ke</w>",
    "\xc3\x83 \xc2\xa9", "\xc3\x83 \xc2\xa9</w>",
};

static sd_model *fuzz_m;
static int fuzz_bos, fuzz_eos, fuzz_nsym;
static int *fuzz_ids;               /* sd_tokenize_bpe's output, room for every id */
static size_t fuzz_ids_cap;

/* the merges file's text: from a path, or the built-in list; NULL if the path cannot be read */
static char *fuzz_vocab_text(const char *path, size_t *n)
{
    char *t;
    if (path) {
        FILE *f = fopen(path, "rb");
        long len;
        if (!f) return NULL;
        if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
            !(t = (char *)malloc((size_t)len + 1)) || fread(t, 1, (size_t)len, f) != (size_t)len) {
            fclose(f);
            return NULL;
        }
        fclose(f);
        *n = (size_t)len;
    } else {
        size_t i, at = 0, total = 16;
        for (i = 0; i < sizeof fuzz_merges / sizeof *fuzz_merges; i++) total += strlen(fuzz_merges[i]) + 1;
        if (!(t = (char *)malloc(total))) return NULL;
        at += (size_t)sprintf(t, "#version: 0.2\n");
        for (i = 0; i < sizeof fuzz_merges / sizeof *fuzz_merges; i++) at += (size_t)sprintf(t + at, "%s\n", fuzz_merges[i]);
        *n = at;
    }
    return t;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *env = getenv("SD_FUZZ_VOCAB");
    const char *paths[3];
    int ids[SD_TOKENS], i, np = 0;
    (void)argc; (void)argv;
    fuzz_m = sd_create(NULL);
    if (!fuzz_m) abort();
    if (env && *env) paths[np++] = env;
    paths[np++] = "../shared/clip-vocab/merges.txt";
    paths[np++] = NULL;
    for (i = 0; i < np; i++) {
        size_t n = 0;
        char *t = fuzz_vocab_text(paths[i], &n);
        sd_result r;
        if (!t) continue;
        r = sd_load_vocab_memory(fuzz_m, t, n);
        free(t);
        if (r == SD_OK) { fprintf(stderr, "fuzz_tokenizer: vocabulary %s\n", paths[i] ? paths[i] : "(built in)"); break; }
        fprintf(stderr, "fuzz_tokenizer: %s\n", sd_error(fuzz_m));
    }
    if (sd_tokenize(fuzz_m, "", ids) != SD_OK) { fprintf(stderr, "fuzz_tokenizer: no vocabulary\n"); abort(); }
    fuzz_bos = ids[0]; fuzz_eos = ids[1];
    fuzz_nsym = fuzz_eos + 1;
    fuzz_check(fuzz_eos == fuzz_bos + 1 && fuzz_bos > 512, "<|startoftext|> and <|endoftext|> are the last two ids");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *prompt;
    int ids[SD_TOKENS], n = -1, n0 = -1, i, k;
    sd_result r;
    if (size > ((size_t)1 << 16)) return 0;          /* sd_tokenize refuses more than 64 KB */
    prompt = (char *)malloc(size + 1);
    if (!prompt) return 0;
    memcpy(prompt, data, size);
    prompt[size] = 0;

    r = sd_tokenize(fuzz_m, prompt, ids);
    if (r != SD_OK) fprintf(stderr, "fuzz_tokenizer: %s\n", sd_error(fuzz_m));
    fuzz_check(r == SD_OK, "sd_tokenize succeeds on any prompt up to 64 KB");
    fuzz_check(ids[0] == fuzz_bos, "the first id is <|startoftext|>");
    fuzz_check(ids[SD_TOKENS - 1] == fuzz_eos, "the last id is <|endoftext|>");
    for (i = 0; i < SD_TOKENS; i++) fuzz_check(ids[i] >= 0 && ids[i] < fuzz_nsym, "every id inside the vocabulary");

    /* the untruncated count, with no room and with room for all */
    r = sd_tokenize_bpe(fuzz_m, prompt, NULL, 0, &n0);
    fuzz_check(r == SD_OK && n0 >= 0, "sd_tokenize_bpe counts with cap 0");
    if ((size_t)n0 + 1 > fuzz_ids_cap) {
        free(fuzz_ids);
        fuzz_ids_cap = (size_t)n0 + 1;
        fuzz_ids = (int *)malloc(fuzz_ids_cap * sizeof *fuzz_ids);
        if (!fuzz_ids) abort();
    }
    r = sd_tokenize_bpe(fuzz_m, prompt, fuzz_ids, n0, &n);
    fuzz_check(r == SD_OK && n == n0, "sd_tokenize_bpe gives the same count with room for all");
    k = n < SD_TOKENS - 2 ? n : SD_TOKENS - 2;
    for (i = 0; i < n; i++) fuzz_check(fuzz_ids[i] >= 0 && fuzz_ids[i] < fuzz_nsym, "every BPE id inside the vocabulary");
    for (i = 0; i < k; i++) fuzz_check(ids[1 + i] == fuzz_ids[i], "sd_tokenize holds the first 75 BPE ids (cap 75)");
    for (i = 1 + k; i < SD_TOKENS; i++) fuzz_check(ids[i] == fuzz_eos, "padding with <|endoftext|>");
    free(prompt);
    return 0;
}
