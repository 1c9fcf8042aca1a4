/* common.h - what the tests share: checks that print one line each, the fixture folder and its
   cases.json, and the random models made by build/mkmodel when the fixtures are not there.

   Each test includes this after sd.h (with SD_IMPLEMENTATION) and runs from the repository root
   (as `make test` runs it): the fixtures are read from $SHARED (default ../shared), the models
   made here go to build/tests-tmp/. A test without sd.h (test_png) gets the checks and the files
   only: what needs sd.h's types stands under #ifdef SD_H_INCLUDED. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <stdarg.h>

int t_failures, t_checks;

/* one line per check: "ok   ..." or "FAIL ..." */
void t_ok(int cond, const char *fmt, ...)
{
    va_list ap;
    t_checks++;
    printf("%s ", cond ? "ok  " : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    if (!cond) t_failures++;
}

void t_skip(const char *what) { printf("SKIP %s\n", what); fflush(stdout); }

/* relative L2 of got vs ref within tol; prints the worst element and the first pairs on failure */
double t_close(const char *what, const float *got, const float *ref, size_t n, double tol)
{
    double num = 0, den = 0, worst = 0, e;
    size_t i, at = 0;
    int finite = 1;
    if (!got || !ref) { t_ok(0, "%-48s (no data)", what); return 1; }
    for (i = 0; i < n; i++) {
        double d = (double)got[i] - ref[i];
        if (!(got[i] == got[i]) || got[i] - got[i] != 0) finite = 0;
        num += d * d; den += (double)ref[i] * ref[i];
        if (fabs(d) > worst) { worst = fabs(d); at = i; }
    }
    e = den > 0 ? sqrt(num / den) : sqrt(num);
    t_ok(finite && e <= tol, "%-48s rel_l2 %.2e (tol %.2g)  max_abs %.2e at %lu%s", what, e, tol, worst, (unsigned long)at,
         finite ? "" : "  NOT FINITE");
    if (!(finite && e <= tol)) {
        for (i = 0; i < 4 && i < n; i++) printf("       [%lu] got %.9g ref %.9g\n", (unsigned long)i, got[i], ref[i]);
        printf("       [%lu] got %.9g ref %.9g (worst)\n", (unsigned long)at, got[at], ref[at]);
    }
    return e;
}

/* bit-equal float arrays; prints the first differing pairs */
int t_same(const char *what, const float *a, const float *b, size_t n)
{
    size_t i, ndiff = 0, first = n;
    for (i = 0; i < n; i++)
        if (memcmp(a + i, b + i, sizeof(float)) != 0) { if (first == n) first = i; ndiff++; }
    t_ok(ndiff == 0, "%s (%lu values%s%lu differ)", what, (unsigned long)n, ndiff ? ", " : ", none ", (unsigned long)ndiff);
    for (i = first; ndiff && i < n && i < first + 4; i++) printf("       [%lu] %.9g vs %.9g\n", (unsigned long)i, a[i], b[i]);
    return ndiff == 0;
}

/* all finite? */
int t_finite(const float *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if (!(x[i] == x[i]) || x[i] - x[i] != 0) return 0;
    return 1;
}

/* with SD_TEST_TIME set: the CPU seconds since the last call, to see where a test spends its time */
#include <time.h>
void t_time(const char *what)
{
    static clock_t last;
    clock_t now = clock();
    if (getenv("SD_TEST_TIME")) printf("---- %-30s %.2f s CPU\n", what, (double)(now - last) / CLOCKS_PER_SEC);
    last = now;
}

/* SD_TEST_QUICK (set for the sanitizer run): leave out the slowest reference-kernel runs */
int t_quick(void) { return getenv("SD_TEST_QUICK") != NULL; }

/* ---------------------------------------------------------------- files */

/* a whole file (NUL-terminated) or NULL; *n gets its size */
unsigned char *t_slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *d;
    long len;
    *n = 0;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) { fclose(f); return NULL; }
    d = (unsigned char *)malloc((size_t)len + 1);
    if (!d || fread(d, 1, (size_t)len, f) != (size_t)len) { fclose(f); free(d); return NULL; }
    fclose(f);
    d[len] = 0;
    *n = (size_t)len;
    return d;
}

int t_spit(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f && !strncmp(path, "build/tests-tmp/", 16) && system("mkdir -p build/tests-tmp") == 0) f = fopen(path, "wb");   /* a fresh clone */
    int ok = f && fwrite(data, 1, n, f) == n;
    if (f && fclose(f) != 0) ok = 0;
    return ok;
}

/* $SHARED/<rel>, or NULL when ../shared is not beside the checkout (in one of 8 rotating buffers) */
const char *t_shared(const char *rel)
{
    static char buf[8][1024];
    static int k;
    const char *sh = getenv("SHARED");
    FILE *f;
    char *p = buf[k++ & 7];
    snprintf(p, 1024, "%s/%s", sh && *sh ? sh : "../shared", rel);
    f = fopen(p, "rb");
    if (!f) return NULL;
    fclose(f);
    return p;
}

const char *t_fixture(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/sd1-tiny/%s", name);
    return t_shared(rel);
}

/* a file made by build/mkmodel with these arguments, made once under build/tests-tmp (the
   Makefile's test target makes the usual ones first; a test run alone makes what it needs) */
const char *t_made(const char *name, const char *args)
{
    static char buf[8][512];
    static int k;
    char *p = buf[k++ & 7], cmd[1024];
    FILE *f;
    snprintf(p, 512, "build/tests-tmp/%s", name);
    f = fopen(p, "rb");
    if (f) { fclose(f); return p; }
    /* (the shell's pid in the part's name: tests running side by side may make the same file) */
    snprintf(cmd, sizeof cmd, "mkdir -p build/tests-tmp && build/mkmodel %s %s.part$$ >/dev/null 2>&1 && mv %s.part$$ %s", args, p, p, p);
    if (system(cmd) != 0) { printf("FAIL cannot run: %s\n", cmd); t_failures++; return NULL; }
    return p;
}

/* $SHARED/<rel> if it is there (*shared = 1), else the file build/mkmodel makes with args */
static const char *t__shared_or_made(const char *rel, const char *name, const char *args, int *shared, char keep[1024])
{
    const char *p = t_shared(rel);
    *shared = p != NULL;
    p = p ? p : t_made(name, args);
    if (!p) return NULL;
    snprintf(keep, 1024, "%s", p);
    return keep;
}

/* the reference fixture model if present, else a random model of its architecture */
const char *t_model(int *is_fixture)
{
    static char keep[1024];
    return t__shared_or_made("fixtures/sd1-tiny/model.safetensors", "tiny-fx.safetensors", "--config tiny --init fixture -o", is_fixture, keep);
}

/* the real CLIP vocabulary if present, else mkmodel's small one */
const char *t_vocab(int *real)
{
    static char keep[1024];
    return t__shared_or_made("clip-vocab/merges.txt", "tiny-merges.txt", "--vocab-out", real, keep);
}

/* ---------------------------------------------------------------- what needs sd.h */
#ifdef SD_H_INCLUDED

/* a call's result code and message: the code wanted and the words the message must hold */
int t_err(sd_model *m, sd_result got, sd_result want, const char *words, const char *what)
{
    const char *msg = sd_error(m);
    int ok = got == want && (!words || strstr(msg, words) != NULL);
    t_ok(ok, "%s -> %s \"%s\"", what, sd_result_name(got), msg);
    if (!ok) printf("       wanted %s with \"%s\"\n", sd_result_name(want), words ? words : "");
    return ok;
}

/* a call whose result the next check compares: SD_OK says nothing (that check prints the line),
   anything else is a FAIL line with the message; returns got == SD_OK */
int t_call(sd_model *m, sd_result got, const char *what)
{
    if (got != SD_OK) t_ok(0, "%s -> %s \"%s\"", what, sd_result_name(got), sd_error(m));
    return got == SD_OK;
}

/* a model of config c with model and vocab loaded (either NULL: not loaded); NULL, and a FAIL line, if not */
sd_model *t_load_config(const sd_config *c, const char *model, const char *vocab)
{
    sd_model *m = sd_create(c);
    if (!m) return NULL;
    if ((model && sd_load(m, model) != SD_OK) || (vocab && sd_load_vocab(m, vocab) != SD_OK)) {
        printf("FAIL loading %s / %s: %s\n", model ? model : "-", vocab ? vocab : "-", sd_error(m));
        t_failures++;
        sd_free(m);
        return NULL;
    }
    return m;
}

sd_model *t_load(const char *model, const char *vocab, int reference, int threads)
{
    sd_config c = sd_config_default();
    c.reference = reference;
    c.n_threads = threads;
    return t_load_config(&c, model, vocab);
}

/* a fixture .npy, its name printf-style (NULL data when missing or unreadable: a FAIL line) */
sd_array t_npy(sd_model *m, const char *fmt, ...)
{
    sd_array a;
    char name[200];
    const char *p;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    p = t_fixture(name);
    memset(&a, 0, sizeof a);
    if (!p || sd_npy_read(m, p, &a) != SD_OK) t_ok(0, "reading fixture %s: %s", name, p ? sd_error(m) : "missing");
    return a;
}

size_t t_numel(const sd_array *a)
{
    size_t n = 1;
    int i;
    for (i = 0; i < a->ndim; i++) n *= (size_t)a->shape[i];
    return a->data ? n : 0;
}

/* ---------------------------------------------------------------- JSON (cases.json)
   A small reader for the fixtures' cases: objects, arrays, strings (unescaped to UTF-8 by sd.h's
   safetensors reader, which refuses what JSON does not allow), numbers, true/false/null. */

typedef struct t_json {
    int type;                    /* 0 null, 1 false, 2 true, 3 number, 4 string, 5 array, 6 object */
    double num;
    char *str;                   /* string value (UTF-8, NUL-terminated) */
    int n;                       /* array / object entries */
    struct t_json *item;         /* the entries */
    char **key;                  /* object keys */
} t_json;

static const char *t__jws(const char *s) { while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++; return s; }

/* the string at s, unescaped by sd.h's own reader (sd__jstring) into *out (malloc'd); what
   follows it, or NULL */
static const char *t__jstr(const char *s, char **out)
{
    static sd_model errors;   /* where sd__jstring leaves its message */
    const char *e = s + 1;
    size_t n;
    sd__json j;
    *out = NULL;
    if (*s != '"') return NULL;
    while (*e && *e != '"') e += e[0] == '\\' && e[1] ? 2 : 1;
    if (*e++ != '"') return NULL;
    n = (size_t)(e - s);
    *out = (char *)malloc(n + 1);
    memcpy(*out, s, n);
    (*out)[n] = 0;
    j.s = j.base = *out; j.e = *out + n; j.m = &errors;
    if (sd__jstring(&j, out) != SD_OK) { free(j.base); *out = NULL; return NULL; }
    memmove(j.base, *out, strlen(*out) + 1);   /* unescaped in place after the quote: to the start */
    *out = j.base;
    return e;
}

static const char *t__jval(const char *s, t_json *v)
{
    memset(v, 0, sizeof *v);
    s = t__jws(s);
    if (*s == '"') { v->type = 4; return t__jstr(s, &v->str); }
    if (*s == '[' || *s == '{') {
        int obj = *s == '{', cap = 0;
        char close = obj ? '}' : ']';
        v->type = obj ? 6 : 5;
        s = t__jws(s + 1);
        if (*s == close) return s + 1;
        for (;;) {
            if (v->n == cap) {
                cap = cap ? 2 * cap : 8;
                v->item = (t_json *)realloc(v->item, (size_t)cap * sizeof *v->item);
                v->key = (char **)realloc(v->key, (size_t)cap * sizeof *v->key);
            }
            v->key[v->n] = NULL;
            memset(&v->item[v->n], 0, sizeof v->item[0]);
            if (obj) {
                s = t__jstr(t__jws(s), &v->key[v->n]);
                if (!s || *(s = t__jws(s)) != ':') { v->n++; return NULL; }
                s++;
            }
            s = t__jval(s, &v->item[v->n++]);
            if (!s) return NULL;
            s = t__jws(s);
            if (*s == close) return s + 1;
            if (*s++ != ',') return NULL;
        }
    }
    if (!strncmp(s, "null", 4)) { v->type = 0; return s + 4; }
    if (!strncmp(s, "false", 5)) { v->type = 1; return s + 5; }
    if (!strncmp(s, "true", 4)) { v->type = 2; return s + 4; }
    {
        char *e;
        v->type = 3;
        v->num = strtod(s, &e);
        return e == s ? NULL : e;
    }
}

void t_json_free(t_json *v)
{
    int i;
    if (!v) return;
    for (i = 0; i < v->n; i++) { t_json_free(&v->item[i]); if (v->key) free(v->key[i]); }
    free(v->item); free(v->key); free(v->str);
    memset(v, 0, sizeof *v);
}

/* the value of key in an object, or NULL */
const t_json *t_jget(const t_json *o, const char *key)
{
    int i;
    if (!o || o->type != 6) return NULL;
    for (i = 0; i < o->n; i++) if (!strcmp(o->key[i], key)) return &o->item[i];
    return NULL;
}
double t_jnum(const t_json *o, const char *key, double dflt) { const t_json *v = t_jget(o, key); return v && v->type == 3 ? v->num : dflt; }
const char *t_jstr(const t_json *o, const char *key) { const t_json *v = t_jget(o, key); return v && v->type == 4 ? v->str : NULL; }

static t_json t__cases;
static int t__cases_read;

/* cases.<stage> of the fixtures (an array), or NULL without ../shared */
const t_json *t_cases(const char *stage)
{
    if (!t__cases_read) {
        size_t n;
        const char *p = t_fixture("cases.json");
        unsigned char *text = p ? t_slurp(p, &n) : NULL;
        t__cases_read = 1;
        if (text && !t__jval((const char *)text, &t__cases)) { printf("FAIL cases.json: cannot parse\n"); t_failures++; t_json_free(&t__cases); }
        free(text);
    }
    return t_jget(t_jget(&t__cases, "cases"), stage);
}

/* cases.<stage> as a test reads them: NULL with a SKIP line without ../shared/fixtures, NULL with
   a FAIL line when cases.json does not hold them */
const t_json *t_stage_cases(const char *stage)
{
    const t_json *cs;
    char what[128];
    if (!t_fixture("cases.json")) {
        snprintf(what, sizeof what, "fixture %s cases (no ../shared/fixtures)", stage);
        t_skip(what);
        return NULL;
    }
    cs = t_cases(stage);
    if (!cs || cs->type != 5) { t_ok(0, "cases.json holds an array of %s cases", stage); return NULL; }
    return cs;
}

/* cases.<stage> of another fixture set, $SHARED/fixtures/<set>/cases.json (e.g. "sd1-samplers"), as
   t_stage_cases reads sd1-tiny's: NULL with a SKIP line without it, NULL with a FAIL line when it
   does not hold them. One set at a time is kept. */
static t_json t__set_cases;
static char t__set_name[64];
const t_json *t_set_cases(const char *set, const char *stage)
{
    char rel[128], what[160];
    const t_json *cs;
    const char *p;
    snprintf(rel, sizeof rel, "fixtures/%s/cases.json", set);
    if (!(p = t_shared(rel))) {
        snprintf(what, sizeof what, "fixture %s %s cases (no ../shared/fixtures/%s)", set, stage, set);
        t_skip(what);
        return NULL;
    }
    if (strcmp(t__set_name, set) != 0) {
        size_t n;
        unsigned char *text = t_slurp(p, &n);
        t_json_free(&t__set_cases);
        snprintf(t__set_name, sizeof t__set_name, "%s", set);
        if (!text || !t__jval((const char *)text, &t__set_cases)) { printf("FAIL %s: cannot read or parse\n", p); t_failures++; t_json_free(&t__set_cases); }
        free(text);
    }
    cs = t_jget(t_jget(&t__set_cases, "cases"), stage);
    if (!cs || cs->type != 5) { t_ok(0, "%s/cases.json holds an array of %s cases", set, stage); return NULL; }
    return cs;
}

/* sampler name in cases.json -> sd_sampler (SD_SAMPLER_COUNT when unknown) */
sd_sampler t_sampler(const char *name)
{
    sd_sampler s;
    return name && sd_sampler_parse(name, &s) ? s : SD_SAMPLER_COUNT;
}

#endif /* SD_H_INCLUDED */

int t_done(const char *name)
{
#ifdef SD_H_INCLUDED
    t_json_free(&t__cases);
    t_json_free(&t__set_cases);
#endif
    printf("%s: %d checks, %d failed\n", name, t_checks, t_failures);
    return t_failures != 0;
}
