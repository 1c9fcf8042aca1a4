/* common.h - what the tests share: checks that print one line each, the fixture folder, and a
   tiny random model made by build/mkmodel when the fixtures are not there.

   Each test includes this after sd.h (with SD_IMPLEMENTATION). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <stdarg.h>

int t_failures, t_checks;

void t_ok(int cond, const char *fmt, ...)
{
    va_list ap;
    t_checks++;
    printf("%s ", cond ? "ok  " : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond) t_failures++;
}

void t_skip(const char *what) { printf("SKIP %s\n", what); }

/* relative L2 of got vs ref within tol; prints the worst element and the first pairs on failure */
double t_close(const char *what, const float *got, const float *ref, size_t n, double tol)
{
    double num = 0, den = 0, worst = 0, e;
    size_t i, at = 0;
    int finite = 1;
    for (i = 0; i < n; i++) {
        double d = (double)got[i] - ref[i];
        if (!(got[i] == got[i]) || got[i] - got[i] != 0) finite = 0;
        num += d * d; den += (double)ref[i] * ref[i];
        if (fabs(d) > worst) { worst = fabs(d); at = i; }
    }
    e = den > 0 ? sqrt(num / den) : sqrt(num);
    t_ok(finite && e <= tol, "%-48s rel_l2 %.2e (tol %.0e)  max_abs %.2e at %lu", what, e, tol, worst, (unsigned long)at);
    if (!(finite && e <= tol))
        for (i = 0; i < 4 && i < n; i++) printf("       [%lu] got %.7g ref %.7g\n", (unsigned long)i, got[i], ref[i]);
    return e;
}

int t_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, t_checks, t_failures);
    return t_failures != 0;
}

/* $SHARED/<rel>, or NULL when ../shared is not beside the checkout (in one of 8 rotating buffers) */
const char *t_shared(const char *rel)
{
    static char buf[8][1024];
    static int k;
    const char *sh = getenv("SHARED");
    FILE *f;
    char *p = buf[k++ & 7];
    snprintf(p, 1024, "%s/%s", sh ? sh : "../shared", rel);
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

/* a file made by build/mkmodel with these arguments (made once, under build/tests-tmp) */
const char *t_made(const char *name, const char *args)
{
    static char buf[8][512];
    static int k;
    char *p = buf[k++ & 7], cmd[1024];
    FILE *f;
    snprintf(p, 512, "build/tests-tmp/%s", name);
    f = fopen(p, "rb");
    if (f) { fclose(f); return p; }
    snprintf(cmd, sizeof cmd, "mkdir -p build/tests-tmp && build/mkmodel %s %s >/dev/null 2>&1", args, p);
    if (system(cmd) != 0) { printf("FAIL cannot run: %s\n", cmd); t_failures++; return NULL; }
    return p;
}

/* the reference fixture model if present, else a random model of its architecture */
const char *t_model(int *is_fixture)
{
    static char keep[1024];
    const char *f = t_fixture("model.safetensors");
    *is_fixture = f != NULL;
    f = f ? f : t_made("tiny-fx.safetensors", "--config tiny --init fixture -o");
    if (!f) return NULL;
    snprintf(keep, sizeof keep, "%s", f);
    return keep;
}

const char *t_vocab(int *real)
{
    static char keep[1024];
    const char *v = t_shared("clip-vocab/merges.txt");
    *real = v != NULL;
    v = v ? v : t_made("tiny-merges.txt", "--vocab-out");
    if (!v) return NULL;
    snprintf(keep, sizeof keep, "%s", v);
    return keep;
}

sd_model *t_load(const char *model, const char *vocab, int reference, int threads)
{
    sd_config c = sd_config_default();
    sd_model *m;
    c.reference = reference;
    c.n_threads = threads;
    m = sd_create(&c);
    if (!m) return NULL;
    if ((model && sd_load(m, model) != SD_OK) || (vocab && sd_load_vocab(m, vocab) != SD_OK)) {
        printf("FAIL loading %s / %s: %s\n", model ? model : "-", vocab ? vocab : "-", sd_error(m));
        t_failures++;
        sd_free(m);
        return NULL;
    }
    return m;
}

/* SD_TEST_QUICK (set for the sanitizer run): leave out the slowest reference-kernel runs */
int t_quick(void) { return getenv("SD_TEST_QUICK") != NULL; }
