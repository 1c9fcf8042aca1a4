/* test_prompt: prompts as A1111 and ComfyUI read them. The parsers (sd_prompt_parse) against the
   UIs' own documented examples and their edge cases, written here as (text, weight) lists and
   compared exactly (texts byte for byte, weights as doubles); with ../shared the sd1-prompts cases
   (their parsed lists; with the real vocabulary their chunks, sd_prompt_tokens, and conditioning,
   sd_encode_prompt); on the tiny model the three weightings giving the same bits for a plain prompt;
   textual-inversion embeddings and bad input. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"
#include <time.h>

static const char *wname(sd_weighting w) { return w == SD_WEIGHTING_A1111 ? "a1111" : w == SD_WEIGHTING_COMFY ? "comfy" : "none"; }

/* s quoted, with what does not print as \xNN, cut at max bytes */
static void show(const char *s, size_t max)
{
    size_t i, n = strlen(s);
    putchar('"');
    for (i = 0; i < n && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20 || c == 0x7f) printf("\\x%02x", c);
        else putchar(c);
    }
    printf(n > max ? "\"... (%lu bytes)" : "\"", (unsigned long)n);
}

/* ---------------------------------------------------------------- the parsers */

typedef struct run { const char *text; double w; } run;

/* sd_prompt_parse(w, p) with the buffers it documents as always enough (exactly that size, so a
   write past them is one the sanitizers see); the runs in *runs, -1 or their count returned */
static int parse(sd_weighting w, const char *p, sd_prompt_run **runs, char **text)
{
    size_t n = strlen(p);
    *runs = (sd_prompt_run *)malloc((n + 1) * sizeof **runs);
    *text = (char *)malloc(2 * n + 2);
    return sd_prompt_parse(w, p, *runs, (int)n + 1, *text, 2 * n + 2);
}

/* the parse of p equals the n runs of want exactly; prints both lists when not */
static int parse_is(sd_weighting w, const char *p, const run *want, int n, const char *what)
{
    sd_prompt_run *runs;
    char *text;
    int got = parse(w, p, &runs, &text), i, ok = got == n;
    for (i = 0; ok && i < n; i++) ok = strcmp(runs[i].text, want[i].text) == 0 && runs[i].weight == want[i].w;
    printf("%s %-5s %s", ok ? "ok  " : "FAIL", wname(w), what);
    if (what[0]) printf(" ");
    show(p, 60);
    printf(" -> %d run%s\n", got, got == 1 ? "" : "s");
    t_checks++;
    if (!ok) {
        t_failures++;
        for (i = 0; i < got || i < n; i++) {
            printf("       [%d] got ", i);
            if (i < got) { show(runs[i].text, 60); printf(" %.17g", runs[i].weight); } else printf("-");
            printf("   want ");
            if (i < n) { show(want[i].text, 60); printf(" %.17g", want[i].w); } else printf("-");
            if (i < got && i < n && strcmp(runs[i].text, want[i].text) == 0 && runs[i].weight != want[i].w)
                printf("   <- weight off by %.3g", runs[i].weight - want[i].w);
            else if (i >= got || i >= n || strcmp(runs[i].text, want[i].text) != 0) printf("   <-");
            printf("\n");
        }
    }
    free(runs); free(text);
    fflush(stdout);
    return ok;
}

/* PARSE(w, prompt, {text, weight}, ...): one check of sd_prompt_parse against a literal list */
#define PARSE(w, prompt, ...) do { static const run want_[] = { __VA_ARGS__ }; \
    parse_is(w, prompt, want_, (int)(sizeof want_ / sizeof want_[0]), ""); } while (0)
#define A SD_WEIGHTING_A1111
#define C SD_WEIGHTING_COMFY
#define N SD_WEIGHTING_NONE

/* AUTOMATIC1111 modules/prompt_parser.py, parse_prompt_attention: its docstring's examples (the
   weights as Python prints them), then BREAK, escapes, weights it cannot read, square brackets */
static void a1111_parser(void)
{
    PARSE(A, "normal text", { "normal text", 1.0 });
    PARSE(A, "an (important) word", { "an ", 1.0 }, { "important", 1.1 }, { " word", 1.0 });
    PARSE(A, "(unbalanced", { "unbalanced", 1.1 });
    PARSE(A, "\\(literal\\]", { "(literal]", 1.0 });
    PARSE(A, "(unnecessary)(parens)", { "unnecessaryparens", 1.1 });
    PARSE(A, "a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
          { "a ", 1.0 }, { "house", 1.5730000000000004 }, { " ", 1.1 }, { "on", 1.0 }, { " a ", 1.1 },
          { "hill", 0.55 }, { ", sun, ", 1.1 }, { "sky", 1.4641000000000006 }, { ".", 1.1 });
    /* exact doubles: 1.1 * 1.1 and 1.21 stay two runs */
    PARSE(A, "((x))", { "x", 1.2100000000000002 });
    PARSE(A, "(((x)))", { "x", 1.3310000000000004 });
    PARSE(A, "((sun))(flower:1.21)", { "sun", 1.2100000000000002 }, { "flower", 1.21 });
    PARSE(A, "((x:1.5))", { "x", 1.6500000000000001 });
    PARSE(A, "(a (b:2) c)", { "a ", 1.1 }, { "b", 2.2 }, { " c", 1.1 });
    /* BREAK: \s*\bBREAK\b\s*, case-sensitive, the white space around it eaten */
    PARSE(A, "a BREAK b", { "a", 1.0 }, { "BREAK", -1.0 }, { "b", 1.0 });
    PARSE(A, "BREAK a", { "", 1.0 }, { "BREAK", -1.0 }, { "a", 1.0 });
    PARSE(A, "a BREAK", { "a", 1.0 }, { "BREAK", -1.0 }, { "", 1.0 });
    PARSE(A, "BREAK BREAK", { "", 1.0 }, { "BREAK", -1.0 }, { "", 1.0 }, { "BREAK", -1.0 }, { "", 1.0 });
    PARSE(A, "a \n\tBREAK  \tb", { "a", 1.0 }, { "BREAK", -1.0 }, { "b", 1.0 });
    PARSE(A, "(a BREAK b)", { "a", 1.1 }, { "BREAK", -1.1 }, { "b", 1.1 });
    PARSE(A, "[a BREAK b]", { "a", 0.9090909090909091 }, { "BREAK", -0.9090909090909091 }, { "b", 0.9090909090909091 });
    PARSE(A, "a(BREAK)b", { "a", 1.0 }, { "", 1.1 }, { "BREAK", -1.1 }, { "", 1.1 }, { "b", 1.0 });
    PARSE(A, "a:BREAK b", { "a:", 1.0 }, { "BREAK", -1.0 }, { "b", 1.0 });
    PARSE(A, "aBREAK b", { "aBREAK b", 1.0 });
    PARSE(A, "a BREAKb", { "a BREAKb", 1.0 });
    PARSE(A, "a_BREAK b", { "a_BREAK b", 1.0 });
    PARSE(A, "a break b", { "a break b", 1.0 });
    PARSE(A, "caf\xc3\xa9" "BREAK b", { "caf\xc3\xa9" "BREAK b", 1.0 });   /* \b is Unicode: no boundary after e-acute */
    /* escapes: \( \) \[ \] \\ are the character, a lone backslash disappears */
    PARSE(A, "\\[a\\] \\\\ b", { "[a] \\ b", 1.0 });
    PARSE(A, "a\\x", { "ax", 1.0 });
    PARSE(A, "a\\:b", { "a:b", 1.0 });
    PARSE(A, "(a\\)b)", { "a)b", 1.1 });
    PARSE(A, "\\\\(x)", { "\\", 1.0 }, { "x", 1.1 });
    PARSE(A, "x\\", { "x", 1.0 });
    /* weights: [+-]?[.\d]+ with white space around; what does not read is text */
    PARSE(A, "(x: 1.5 )", { "x", 1.5 });
    PARSE(A, "(x:+1.5)", { "x", 1.5 });
    PARSE(A, "(x:-1)", { "x", -1.0 });
    PARSE(A, "(x:.5)", { "x", 0.5 });
    PARSE(A, "(x:5.)", { "x", 5.0 });
    PARSE(A, "(x:0)", { "x", 0.0 });
    PARSE(A, "(a:b:1.5)", { "a:b", 1.5 });
    PARSE(A, "(:1.5)", { "", 1.0 });
    PARSE(A, "(x:abc)", { "x:abc", 1.1 });
    PARSE(A, "(x:+)", { "x:+", 1.1 });
    PARSE(A, "(x:1e3)", { "x:1e3", 1.1 });
    PARSE(A, "(x:1.5", { "x:1.5", 1.1 });
    PARSE(A, "x:1.5) y", { "x:1.5) y", 1.0 });
    /* 1.2.3 matches the weight's pattern but is no number: A1111 fails (float('1.2.3')); sd.h reads
       the weight as text, the bracket then stays open to the end (documented in sd.h) */
    PARSE(A, "(x:1.2.3)", { "x:1.2.3)", 1.1 });
    PARSE(A, "a (x:1.2.3) b", { "a ", 1.0 }, { "x:1.2.3) b", 1.1 });
    /* square brackets, strays, crossings */
    PARSE(A, "[x]", { "x", 0.9090909090909091 });
    PARSE(A, "[[x]]", { "x", 0.8264462809917354 });
    PARSE(A, "[x", { "x", 0.9090909090909091 });
    PARSE(A, "x]", { "x]", 1.0 });
    PARSE(A, "x)", { "x)", 1.0 });
    PARSE(A, "(x]", { "x]", 1.1 });
    PARSE(A, "a) (b)", { "a) ", 1.0 }, { "b", 1.1 });
    PARSE(A, "a [b (c] d) e", { "a ", 1.0 }, { "b ", 0.9090909090909091 }, { "c", 1.0 }, { " d", 1.1 }, { " e", 1.0 });
    PARSE(A, "a (forest [with (tall trees", { "a ", 1.0 }, { "forest ", 1.1 }, { "with ", 1.0 }, { "tall trees", 1.1 });
    /* nothing left: one empty run */
    PARSE(A, "", { "", 1.0 });
    PARSE(A, "()", { "", 1.0 });
    PARSE(A, "([])", { "", 1.0 });
}

/* ComfyUI comfy/sd1_clip.py, token_weights with escape_important / unescape_important */
static void comfy_parser(void)
{
    PARSE(C, "a (b) c", { "a ", 1.0 }, { "b", 1.1 }, { " c", 1.0 });
    PARSE(C, "(x:1.5)", { "x", 1.5 });
    PARSE(C, "((x))", { "x", 1.2100000000000002 });
    PARSE(C, "(((x)))", { "x", 1.3310000000000004 });
    PARSE(C, "(a (b:2) c)", { "a ", 1.1 }, { "b", 2.0 }, { " c", 1.1 });   /* absolute, not 2 * 1.1 */
    PARSE(C, "((x:1.5))", { "x", 1.5 });
    PARSE(C, "(a)(b)", { "a", 1.1 }, { "b", 1.1 });                      /* no merging */
    PARSE(C, "\\(x\\)", { "(x)", 1.0 });
    PARSE(C, "(a\\)b)", { "a)b", 1.1 });
    PARSE(C, "\\\\(x)", { "\\(x)", 1.0 });
    PARSE(C, "\\[x\\]", { "\\[x\\]", 1.0 });
    PARSE(C, "[x]", { "[x]", 1.0 });
    PARSE(C, "a BREAK b", { "a BREAK b", 1.0 });
    PARSE(C, "((x)", { "(x", 1.1 });
    PARSE(C, "(x:1.5", { "(x:1.5", 1.0 });
    PARSE(C, "(unbalanced", { "(unbalanced", 1.0 });
    PARSE(C, "x)", { "x)", 1.0 });
    PARSE(C, "a) (b)", { "a) (b)", 1.0 });                               /* the level goes below 0 */
    /* the weight: the text after the last ':' as Python's float() reads it */
    PARSE(C, "(x: 1.5 )", { "x", 1.5 });
    PARSE(C, "(x:1e1)", { "x", 10.0 });
    PARSE(C, "(x:1_0)", { "x", 10.0 });
    PARSE(C, "(x:-.5E-1)", { "x", -0.05 });
    PARSE(C, "(x:inf)", { "x", HUGE_VAL });
    PARSE(C, "(x:-Infinity)", { "x", -HUGE_VAL });
    PARSE(C, "(a:b:1.5)", { "a:b", 1.5 });
    PARSE(C, "(:1.5)", { ":1.5", 1.1 });
    PARSE(C, "(x:abc)", { "x:abc", 1.1 });
    PARSE(C, "(x:1.2.3)", { "x:1.2.3", 1.1 });
    PARSE(C, "(x:1_)", { "x:1_", 1.1 });
    PARSE(C, "(x:1e)", { "x:1e", 1.1 });
    PARSE(C, "(x:0x10)", { "x:0x10", 1.1 });
    PARSE(C, "(x\\):1.5)", { "x)", 1.5 });
    PARSE(C, "(x:1.5\\))", { "x:1.5)", 1.1 });
    PARSE(C, "a ((red)) car with (blue sky:1.3), [not special] BREAK",
          { "a ", 1.0 }, { "red", 1.2100000000000002 }, { " car with ", 1.0 }, { "blue sky", 1.3 }, { ", [not special] BREAK", 1.0 });
    PARSE(C, "a \\(literal\\) and (nested (deep:1.5) text:0.8), ((x)",
          { "a (literal) and ", 1.0 }, { "nested ", 0.8 }, { "deep", 1.5 }, { " text", 0.8 }, { ", ", 1.0 }, { "(x", 1.1 });
    {   /* nothing to weight: no runs at all */
        parse_is(C, "", NULL, 0, "");
        parse_is(C, "()", NULL, 0, "");
        PARSE(C, "(a)()", { "a", 1.1 });
    }
    {   /* NaN compares unequal to itself: checked apart */
        sd_prompt_run *runs;
        char *text;
        int n = parse(C, "(x:nan)", &runs, &text);
        t_ok(n == 1 && !strcmp(runs[0].text, "x") && runs[0].weight != runs[0].weight, "comfy \"(x:nan)\" -> (\"x\", nan)");
        free(runs); free(text);
    }
}

static void none_parser(void)
{
    PARSE(N, "(a) [b] BREAK \\(c:1.5) embedding:x", { "(a) [b] BREAK \\(c:1.5) embedding:x", 1.0 });
    PARSE(N, "", { "", 1.0 });
}

/* what the documented bounds promise: -1 when a buffer is too small, exact fits work */
static void parse_buffers(void)
{
    static const struct { sd_weighting w; const char *p; int runs; size_t text; } c[] = {
        { A, "an (important) word", 3, 3 + 1 + 9 + 1 + 5 + 1 },
        { C, "a (b) c", 3, 2 + 1 + 1 + 1 + 2 + 1 },
        { N, "abc", 1, 4 },
        { A, "", 1, 1 } };
    int i;
    for (i = 0; i < (int)(sizeof c / sizeof c[0]); i++) {
        sd_prompt_run runs[8];
        char text[64];
        int exact = sd_prompt_parse(c[i].w, c[i].p, runs, c[i].runs, text, c[i].text);
        int fewer = sd_prompt_parse(c[i].w, c[i].p, runs, c[i].runs - 1, text, sizeof text);
        int shorter = sd_prompt_parse(c[i].w, c[i].p, runs, 8, text, c[i].text - 1);
        t_ok(exact == c[i].runs && fewer == -1 && shorter == -1, "%-5s \"%s\": %d runs in %lu bytes fit (%d); one run less (%d) or one byte less (%d) is -1",
             wname(c[i].w), c[i].p, c[i].runs, (unsigned long)c[i].text, exact, fewer, shorter);
    }
    {
        sd_prompt_run r;
        char t[4];
        t_ok(sd_prompt_parse(C, "", &r, 0, t, 0) == 0, "comfy \"\": 0 runs need no buffer");
        t_ok(sd_prompt_parse(A, NULL, &r, 1, t, 1) == 1 && r.text[0] == 0 && r.weight == 1.0, "a NULL prompt reads as \"\"");
    }
}

/* 1000 brackets deep, and 64 KB prompts of the worst shapes: no crash, the sizes kept, the time */
static void parse_big(void)
{
    static const char *const unit[] = { "(", "[", "(a", "a)", "(a)", "[a", "\\(", "(x:1.1)", "BREAK ", ":", "a, b ", "(:" };
    sd_weighting w;
    char *p = (char *)malloc(70000);
    int i, k, n;
    sd_prompt_run *runs;
    char *text;
    double want = 1.0;
    for (i = 0; i < 1000; i++) { p[i] = '('; p[1001 + i] = ')'; want *= 1.1; }
    p[1000] = 'x'; p[2001] = 0;
    n = parse(A, p, &runs, &text);
    t_ok(n == 1 && !strcmp(runs[0].text, "x") && runs[0].weight == want, "a1111 1000 brackets deep: (\"%s\", %.17g), want %.17g", n > 0 ? runs[0].text : "-", n > 0 ? runs[0].weight : 0, want);
    free(runs); free(text);
    n = parse(C, p, &runs, &text);
    t_ok(n == 1 && !strcmp(runs[0].text, "x") && runs[0].weight == want, "comfy 1000 brackets deep: (\"%s\", %.17g), want %.17g", n > 0 ? runs[0].text : "-", n > 0 ? runs[0].weight : 0, want);
    free(runs); free(text);
    n = parse(N, p, &runs, &text);
    t_ok(n == 1 && !strcmp(runs[0].text, p), "none 1000 brackets deep: the prompt as it is");
    free(runs); free(text);
    for (i = 0; i < 1000; i++) p[i] = '[';
    p[1000] = 'x'; p[1001] = 0;
    n = parse(A, p, &runs, &text);
    t_ok(n == 1 && runs[0].weight > 0 && runs[0].weight < 1e-41, "a1111 1000 unclosed [: weight %.3g", n > 0 ? runs[0].weight : 0);
    free(runs); free(text);
    for (k = 0; k < (int)(sizeof unit / sizeof unit[0]); k++) {
        size_t len = strlen(unit[k]), at = 0;
        while (at + len <= 65536) { memcpy(p + at, unit[k], len); at += len; }
        p[at] = 0;
        for (w = N; w <= C; w = (sd_weighting)(w + 1)) {
            clock_t t0 = clock();
            size_t total = 0;
            n = parse(w, p, &runs, &text);
            for (i = 0; i < n; i++) total += strlen(runs[i].text);
            t_ok(n >= 0 && n <= (int)at + 1 && total <= at, "%-5s 64 KB of \"%s\": %d runs, %lu bytes of text, %.2f s", wname(w), unit[k], n, (unsigned long)total,
                 (double)(clock() - t0) / CLOCKS_PER_SEC);
            free(runs); free(text);
        }
    }
    for (i = 0; i < 32767; i++) { p[i] = '('; p[32768 + i] = ')'; }
    p[32767] = 'x'; p[65535] = 0;
    for (w = N; w <= C; w = (sd_weighting)(w + 1)) {
        clock_t t0 = clock();
        n = parse(w, p, &runs, &text);
        t_ok(n == 1 && !strcmp(runs[0].text, w == N ? p : "x"), "%-5s 32767 brackets deep: %d run%s, %.2f s", wname(w), n, n == 1 ? "" : "s",
             (double)(clock() - t0) / CLOCKS_PER_SEC);
        free(runs); free(text);
    }
    free(p);
}

/* ---------------------------------------------------------------- the sd1-prompts cases */

static const char *prompts_file(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/sd1-prompts/%s", name);
    return t_shared(rel);
}

/* sd1-prompts/cases.json. ComfyUI's parsed texts there keep its escapes as \u0000\u0001 and
   \u0000\u0002, which sd.h's JSON reader refuses (a NUL in a string): they are undone before
   reading, as unescape_important does (to ")" and "("), which is what sd_prompt_parse returns. */
static int read_cases(t_json *root)
{
    size_t n, i, o = 0;
    const char *p = prompts_file("cases.json");
    char *s = p ? (char *)t_slurp(p, &n) : NULL, *u;
    int ok;
    memset(root, 0, sizeof *root);
    if (!s) return 0;
    u = (char *)malloc(n + 1);
    for (i = 0; i < n;) {
        if (s[i] == '\\' && i + 12 <= n && !memcmp(s + i, "\\u0000\\u000", 11) && (s[i + 11] == '1' || s[i + 11] == '2')) {
            u[o++] = s[i + 11] == '1' ? ')' : '(';
            i += 12;
        } else if (s[i] == '\\' && i + 1 < n) { u[o++] = s[i++]; u[o++] = s[i++]; }
        else u[o++] = s[i++];
    }
    u[o] = 0;
    ok = t__jval(u, root) != NULL;
    if (!ok) t_json_free(root);
    free(s); free(u);
    return ok;
}

static int weighting_of(const char *s, sd_weighting *w)
{
    if (!s) return 0;
    if (!strcmp(s, "none")) *w = N;
    else if (!strcmp(s, "a1111")) *w = A;
    else if (!strcmp(s, "comfy")) *w = C;
    else return 0;
    return 1;
}

/* the prompt a case's parser sees: without its <lora:...> tags */
static const char *case_prompt(const t_json *c)
{
    const char *p = t_jstr(c, "text_after_tags");
    return p ? p : t_jstr(c, "prompt");
}

static int case_has_lora(const t_json *c)
{
    const t_json *args = t_jget(c, "args");
    int i;
    for (i = 0; args && i < args->n; i++)
        if (args->item[i].str && (!strcmp(args->item[i].str, "--lora") || !strcmp(args->item[i].str, "--lora-dir"))) return 1;
    return 0;
}

static void cases_parsed(const t_json *cs)
{
    int i, k, checked = 0;
    for (i = 0; i < cs->n; i++) {
        const t_json *c = &cs->item[i], *parsed = t_jget(c, "parsed");
        const char *prompt = case_prompt(c), *name = t_jstr(c, "name");
        sd_weighting w;
        run *want;
        char what[80];
        if (!prompt || !name || !weighting_of(t_jstr(c, "weighting"), &w)) { t_ok(0, "text case %d: malformed", i); continue; }
        snprintf(what, sizeof what, "case %s", name);
        if (!parsed) {   /* the cases of weighting none list no parse: the prompt is the one run */
            run one;
            one.text = prompt; one.w = 1.0;
            if (w == N) { parse_is(w, prompt, &one, 1, what); checked++; }
            else t_ok(0, "text case %s: no parsed list", name);
            continue;
        }
        want = (run *)malloc((size_t)(parsed->n + 1) * sizeof *want);
        for (k = 0; k < parsed->n; k++) {
            const t_json *e = &parsed->item[k];
            want[k].text = e->n == 2 && e->item[0].type == 4 ? e->item[0].str : "(malformed)";
            want[k].w = e->n == 2 ? e->item[1].num : 0;
        }
        parse_is(w, prompt, want, parsed->n, what);
        free(want);
        checked++;
    }
    t_ok(checked == 20, "%d sd1-prompts text cases' parsed lists checked", checked);
}

/* the embeddings a case's args name (--embedding fixture:NAME), in order; 0 if one fails */
static int case_embeddings(sd_model *m, const t_json *c)
{
    const t_json *args = t_jget(c, "args");
    int i;
    sd_clear_embeddings(m);
    for (i = 0; args && i + 1 < args->n; i++) {
        const char *a = args->item[i].str, *v = args->item[i + 1].str, *path;
        if (!a || !v || strcmp(a, "--embedding") != 0) continue;
        if (strncmp(v, "fixture:", 8) != 0 || !(path = prompts_file(v + 8))) { t_ok(0, "embedding %s: not in the fixtures", v); return 0; }
        if (sd_load_embedding(m, path) != SD_OK) { t_ok(0, "loading %s: %s", path, sd_error(m)); return 0; }
    }
    return 1;
}

/* id as cases.json writes it: the number, or NAME[i] for vector i of an embedding */
static void id_text(const sd_model *m, int id, char *buf, size_t size)
{
    if (id >= 0) snprintf(buf, size, "%d", id);
    else {
        const char *name = sd_embedding_name(m, (-1 - id) / 128);
        snprintf(buf, size, "%s[%d]", name ? name : "?", (-1 - id) % 128);
    }
}

static void cases_chunks(const t_json *cs, sd_model *m)
{
    int i, k, t, checked = 0, encoded = 0;
    for (i = 0; i < cs->n; i++) {
        const t_json *c = &cs->item[i], *chunks = t_jget(c, "chunks");
        const char *prompt = case_prompt(c), *name = t_jstr(c, "name"), *out = t_jstr(c, "out");
        int nk = 0, *ids, ok, bad = -1, clip_skip = (int)t_jnum(c, "clip_skip", 1);
        float *w;
        sd_weighting wt;
        char what[96], g[64], e[64];
        if (!prompt || !name || !chunks || !weighting_of(t_jstr(c, "weighting"), &wt)) { t_ok(0, "text case %d: malformed", i); continue; }
        if (case_has_lora(c)) continue;   /* LoRA is not in sd.h yet */
        if (!case_embeddings(m, c)) continue;
        snprintf(what, sizeof what, "case %s (%s): chunks", name, wname(wt));
        ids = (int *)malloc((size_t)(chunks->n + 1) * SD_TOKENS * sizeof *ids);
        w = (float *)malloc((size_t)(chunks->n + 1) * SD_TOKENS * sizeof *w);
        if (!t_call(m, sd_prompt_tokens(m, prompt, wt, ids, w, chunks->n + 1, &nk), what)) { free(ids); free(w); continue; }
        ok = nk == chunks->n;
        for (k = 0; ok && k < nk; k++) {
            const t_json *cid = t_jget(&chunks->item[k], "ids"), *cw = t_jget(&chunks->item[k], "weights");
            if (!cid || !cw || cid->n != SD_TOKENS || cw->n != SD_TOKENS) { ok = 0; break; }
            for (t = 0; t < SD_TOKENS && bad < 0; t++) {
                const t_json *x = &cid->item[t];
                int at = k * SD_TOKENS + t;
                id_text(m, ids[at], g, sizeof g);
                if (x->type == 4) snprintf(e, sizeof e, "%s", x->str); else snprintf(e, sizeof e, "%d", (int)x->num);
                if (strcmp(g, e) != 0 || w[at] != (float)cw->item[t].num) {
                    bad = at;
                    printf("       chunk %d token %d: got %s weight %.9g, want %s weight %.9g\n", k, t, g, w[at], e, (float)cw->item[t].num);
                }
            }
            ok = bad < 0;
        }
        t_ok(ok, "%s: %d chunk%s (want %d)%s", what, nk, nk == 1 ? "" : "s", chunks->n, bad >= 0 ? ", first difference above" : " of 77 ids and weights equal");
        checked++;
        {   /* and the conditioning, within the set's bound (relative L2 1e-4) of its .npy */
            sd_array a;
            const char *path = out ? prompts_file(out) : NULL;
            memset(&a, 0, sizeof a);
            snprintf(what, sizeof what, "case %s (%s, clip skip %d): conditioning", name, wname(wt), clip_skip);
            if (!path || sd_npy_read(m, path, &a) != SD_OK) t_ok(0, "%s: reading %s: %s", what, out ? out : "(no out)", path ? sd_error(m) : "missing");
            else if (t_numel(&a) != (size_t)nk * SD_TOKENS * 64) t_ok(0, "%s: the fixture holds %lu values for %d chunks", what, (unsigned long)t_numel(&a), nk);
            else {
                float *z = (float *)malloc(t_numel(&a) * sizeof *z);
                int nz = 0;
                if (t_call(m, sd_encode_prompt(m, prompt, wt, clip_skip, z, nk, &nz), what)) t_close(what, z, a.data, t_numel(&a), 1e-4);
                free(z);
                encoded++;
            }
            sd_array_free(m, &a);
        }
        free(ids); free(w);
    }
    sd_clear_embeddings(m);
    t_ok(checked == 17 && encoded == 17, "%d sd1-prompts text cases' chunks and %d conditionings checked (the 3 with LoRA left out)", checked, encoded);
}

static void fixture_cases(void)
{
    t_json root;
    const t_json *cs;
    int realv;
    const char *vocab = t_vocab(&realv), *model = prompts_file("model.safetensors");
    sd_model *m;
    if (!prompts_file("cases.json")) { t_skip("sd1-prompts cases (no ../shared/fixtures/sd1-prompts)"); return; }
    if (!read_cases(&root)) { t_ok(0, "sd1-prompts/cases.json: cannot read or parse"); return; }
    cs = t_jget(t_jget(&root, "cases"), "text");
    if (!cs || cs->type != 5) t_ok(0, "sd1-prompts/cases.json holds an array of text cases");
    else {
        cases_parsed(cs);
        if (!realv) t_skip("sd1-prompts chunks (no ../shared/clip-vocab)");
        else if (!model) t_ok(0, "sd1-prompts/model.safetensors is missing");
        else if ((m = t_load(model, vocab, 0, 0)) != NULL) {
            cases_chunks(cs, m);
            sd_free(m);
        }
    }
    t_json_free(&root);
}

/* ---------------------------------------------------------------- on the tiny model */

static const char *tiny_file(const char *name, const char *args)
{
    char path[64];
    FILE *f;
    snprintf(path, sizeof path, "build/%s", name);
    if ((f = fopen(path, "rb")) != NULL) {
        static char keep[2][64];
        static int k;
        char *p = keep[k++ & 1];
        fclose(f);
        snprintf(p, 64, "%s", path);
        return p;
    }
    return t_made(name, args);
}

/* a safetensors file of one F32 tensor [n, d] (d alone when n == 0), values 0.01 i; malloc'd */
static unsigned char *embedding_file(const char *key, int n, int d, size_t *size)
{
    char h[200];
    int len, count = (n ? n : 1) * d, i;
    unsigned char *f;
    if (n) len = snprintf(h, sizeof h, "{\"%s\":{\"dtype\":\"F32\",\"shape\":[%d,%d],\"data_offsets\":[0,%d]}}", key, n, d, 4 * count);
    else len = snprintf(h, sizeof h, "{\"%s\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[0,%d]}}", key, d, 4 * count);
    *size = 8 + (size_t)len + 4 * (size_t)count;
    f = (unsigned char *)malloc(*size);
    for (i = 0; i < 8; i++) f[i] = (unsigned char)((uint64_t)len >> (8 * i));
    memcpy(f + 8, h, (size_t)len);
    for (i = 0; i < count; i++) {
        float v = 0.01f * (float)i;
        memcpy(f + 8 + len + 4 * i, &v, 4);
    }
    return f;
}

/* a prompt of at most 75 tokens without brackets: the three weightings give the same bits, and
   those of sd_tokenize + sd_text_encode (diffusers) */
static void same_bits(sd_model *m, const char *prompt, const char *model)
{
    int D = 64, nb = 0, k, ids[SD_TOKENS], n[3];
    float *z[4];
    sd_info info;
    char what[160];
    if (sd_model_info(m, &info) == SD_OK) D = info.text_width;
    for (k = 0; k < 4; k++) z[k] = (float *)calloc((size_t)SD_TOKENS * D, sizeof(float));
    sd_tokenize_bpe(m, prompt, NULL, 0, &nb);
    t_ok(nb >= 0 && nb <= 75, "%s: \"%s\" is %d tokens", model, prompt, nb);
    if (t_call(m, sd_tokenize(m, prompt, ids), "sd_tokenize") && t_call(m, sd_text_encode(m, ids, 1, z[3]), "sd_text_encode")) {
        for (k = 0; k < 3; k++) {
            snprintf(what, sizeof what, "%s: %s and diffusers give the same bits", model, wname((sd_weighting)k));
            n[k] = 0;
            if (t_call(m, sd_encode_prompt(m, prompt, (sd_weighting)k, 1, z[k], 1, &n[k]), what)) {
                if (n[k] != 1) t_ok(0, "%s: %d chunks", what, n[k]);
                else t_same(what, z[k], z[3], (size_t)SD_TOKENS * D);
            }
        }
    }
    for (k = 0; k < 4; k++) free(z[k]);
}

static void tiny_model(void)
{
    const char *model = tiny_file("tiny.safetensors", "--config tiny -o"), *vocab = tiny_file("tiny-merges.txt", "--vocab-out");
    sd_model *m = model && vocab ? t_load(model, vocab, 0, 0) : NULL;
    unsigned char *f;
    size_t size;
    sd_result r;
    int n, i, k, ids[3 * SD_TOKENS + 1];
    float w[3 * SD_TOKENS + 1];
    char *big;
    if (!m) { t_ok(0, "the tiny model and vocabulary (build/tiny.safetensors, build/tiny-merges.txt)"); return; }
    same_bits(m, "a lighthouse at dawn, oil painting", "tiny model");
    same_bits(m, "", "tiny model");
    {
        int realv;
        const char *rv = t_vocab(&realv), *rm = prompts_file("model.safetensors");
        sd_model *f2 = realv && rm ? t_load(rm, rv, 0, 0) : NULL;
        if (f2) same_bits(f2, "a photo of an astronaut riding a horse on mars, highly detailed, sharp focus", "sd1-prompts model");
        else t_skip("the three weightings on the sd1-prompts model (no ../shared)");
        sd_free(f2);
    }

    /* counting and capped writes: a prompt of 3 chunks into room for 2 (the rest untouched) */
    big = (char *)malloc(70000);
    for (i = 0; i < 500; i++) big[i] = "a cat, "[i % 7];
    big[500] = 0;
    r = sd_prompt_tokens(m, big, A, NULL, NULL, 0, &n);
    t_ok(r == SD_OK && n >= 3, "counting: a 500-byte prompt is %d chunks (a1111)", n);
    for (i = 0; i < 3 * SD_TOKENS + 1; i++) { ids[i] = 12345; w[i] = 7.0f; }
    k = 0;
    r = sd_prompt_tokens(m, big, A, ids, w, 2, &k);
    t_ok(r == SD_OK && k == n && ids[0] == ids[SD_TOKENS] && ids[2 * SD_TOKENS] == 12345 && w[2 * SD_TOKENS] == 7.0f,
         "2 of its %d chunks written, nothing after them", k);
    r = sd_prompt_tokens(m, big, N, NULL, NULL, 0, &n);
    t_ok(r == SD_OK && n == 1, "weighting none: always one chunk (%d)", n);

    /* bad input */
    for (i = 0; i < 65536; i++) big[i] = "a cat, "[i % 7];
    big[65536] = 0;
    r = sd_prompt_tokens(m, big, C, NULL, NULL, 0, &n);
    t_ok(r == SD_OK && n > 1, "a prompt of exactly 64 KB: %d chunks (comfy)", n);
    big[65536] = 'x'; big[65537] = 0;
    r = sd_prompt_tokens(m, big, A, NULL, NULL, 0, &n);
    t_err(m, r, SD_ERR_ARG, "64 KB", "sd_prompt_tokens, a prompt of 64 KB + 1");
    t_ok(n == 0, "  and *chunks is 0 (%d)", n);
    {
        float *z = (float *)malloc(sizeof(float) * SD_TOKENS * 64);
        r = sd_encode_prompt(m, big, C, 1, z, 1, &n);
        t_err(m, r, SD_ERR_ARG, "64 KB", "sd_encode_prompt, a prompt of 64 KB + 1");
        r = sd_encode_prompt(m, "a cat", A, 0, z, 1, &n);
        t_err(m, r, SD_ERR_ARG, "clip skip", "sd_encode_prompt, clip skip 0");
        r = sd_encode_prompt(m, "(cat:1e400)", C, 1, z, 1, &n);
        t_err(m, r, SD_ERR_ARG, "finite", "sd_encode_prompt, a weight of 1e400 (comfy)");
        for (i = 0; i < 420; i++) big[i] = '9';
        memcpy(big, "(cat:", 5);
        memcpy(big + 420, ")", 2);
        r = sd_encode_prompt(m, big, A, 1, z, 1, &n);
        t_err(m, r, SD_ERR_ARG, "finite", "sd_encode_prompt, a weight of 415 nines (a1111)");
        free(z);
    }
    free(big);
    r = sd_prompt_tokens(m, "a cat", (sd_weighting)7, NULL, NULL, 0, &n);
    t_err(m, r, SD_ERR_ARG, "weighting", "sd_prompt_tokens, weighting 7");
    {
        sd_model *bare = sd_create(NULL);
        r = sd_prompt_tokens(bare, "a cat", A, NULL, NULL, 0, &n);
        t_err(bare, r, SD_ERR_STATE, "vocabulary", "sd_prompt_tokens without a vocabulary");
        sd_free(bare);
    }

    /* embeddings: the width, the file kinds, the trigger words */
    f = embedding_file("emb_params", 2, 32, &size);
    r = sd_load_embedding_memory(m, "narrow", f, size);
    t_ok(r != SD_OK && strstr(sd_error(m), "32") && strstr(sd_error(m), "64"), "an embedding 32 wide for a text encoder 64 wide -> %s \"%s\"",
         sd_result_name(r), sd_error(m));
    t_ok(sd_embedding_count(m) == 0, "  and nothing is loaded (%d)", sd_embedding_count(m));
    free(f);
    r = sd_load_embedding(m, "build/tests-tmp/no-such-embedding.safetensors");
    t_err(m, r, SD_ERR_IO, "no-such-embedding", "a missing embedding file");
    r = sd_load_embedding(m, "somewhere/style.pt");
    t_ok(r != SD_OK && strstr(sd_error(m), "convert") && strstr(sd_error(m), "style.safetensors"), "a .pt path -> %s \"%s\"", sd_result_name(r), sd_error(m));
    r = sd_load_embedding_memory(m, "zipped", "PK\x03\x04 and more", 14);
    t_ok(r != SD_OK && strstr(sd_error(m), "convert"), "a zip (a .pt's content) in memory -> %s \"%s\"", sd_result_name(r), sd_error(m));
    f = embedding_file("emb_params", 2, 64, &size);
    r = sd_load_embedding_memory(m, "lighthouse", f, size);
    t_ok(r == SD_OK && sd_embedding_count(m) == 1 && !strcmp(sd_embedding_name(m, 0), "lighthouse"), "an embedding [2, 64] loads as 'lighthouse' %s", sd_error(m));
    r = sd_load_embedding_memory(m, "lighthouse", f, size);
    t_ok(r == SD_OK && sd_embedding_count(m) == 1, "loading a trigger again replaces it (%d loaded)", sd_embedding_count(m));
    free(f);
    f = embedding_file("<cat-toy>", 0, 64, &size);
    r = sd_load_embedding_memory(m, "cat", f, size);
    t_ok(r == SD_OK && sd_embedding_count(m) == 2 && sd_embedding_name(m, 2) == NULL, "a vector [64] loads as 'cat' %s", sd_error(m));
    free(f);
    {   /* where the slots land: A1111 by the trigger's ids, ComfyUI by embedding:NAME only */
        static const struct { sd_weighting w; const char *p; int slots; } s[] = {
            { A, "a lighthouse at dawn", 2 }, { A, "a (lighthouse:1.2) and a cat", 3 }, { A, "lighthouses", -1 },
            { C, "a lighthouse at dawn", 0 }, { C, "a embedding:lighthouse at dawn", 2 }, { C, "a embedding:lighthouse.safetensors, embedding:cat", 3 },
            { C, "a embedding:nothing at dawn", 0 } };
        for (k = 0; k < (int)(sizeof s / sizeof s[0]); k++) {
            int slots = 0, first = -1, want = s[k].slots;
            r = sd_prompt_tokens(m, s[k].p, s[k].w, ids, w, 1, &n);
            for (i = 0; r == SD_OK && i < SD_TOKENS; i++) if (ids[i] < 0) { slots++; if (first < 0) first = i; }
            if (want < 0) {   /* the trigger's ids followed by more: depends on the vocabulary's merges */
                int b[8], nb = 0, nt = 0;
                sd_tokenize_bpe(m, "lighthouses", b, 8, &nb);
                sd_tokenize_bpe(m, "lighthouse", ids, 8, &nt);
                want = nb > nt && !memcmp(b, ids, (size_t)nt * sizeof(int)) ? 2 : 0;
            }
            t_ok(r == SD_OK && slots == want, "%-5s \"%s\": %d embedding vectors (want %d)%s", wname(s[k].w), s[k].p, slots, want, r == SD_OK ? "" : sd_error(m));
        }
    }
    sd_clear_embeddings(m);
    t_ok(sd_embedding_count(m) == 0, "sd_clear_embeddings");
    sd_free(m);
}

int main(void)
{
    a1111_parser();
    comfy_parser();
    none_parser();
    parse_buffers();
    parse_big();
    fixture_cases();
    tiny_model();
    return t_done("test_prompt");
}
