/* test_draw: the demo model draws what the prompt asks. The whole pipeline's meaning, which random
   weights cannot test: tokenizer, text encoder, cross-attention, sampler, VAE, all have to be right
   for "a big red circle on a blue background" to come out as a red shape on blue.

   The model is tools/toy/model.safetensors with tools/toy/merges.txt beside it (trained by
   tools/train_toy.py on synthetic captioned shapes, 64x64; $SD_TOY_DIR names another folder, e.g. a
   retrained model: SD_TOY_DIR=/tmp/toy build/test_draw). Without it: one SKIP line, no check.

   What is measured, on the 8-bit image sd_txt2img returns. The background is the mean colour of
   the border (the pixels within 3 of an edge: the training scenes' shapes keep clear of it); the
   shape is the mean colour of the SHAPE_PX pixels farthest from it (a third of a big shape, the
   body of two small ones), its place their centroid; "the colour at the place" is the mean colour
   of the disc of radius PLACE_R around the asked place's centre (inside a big shape drawn there).
   Each colour is compared with the training palette (the six colours of train_toy.py); a region's
   margin for colour c is
       (distance to the nearest other palette colour) - (distance to c)      (RGB, 0..255)
   positive when c is the nearest palette colour, up to half the distance to c's nearest neighbour
   (red's is yellow, 187 away: at most 93; the closest pair, green and black, 160 apart). Each case
   is drawn for SEEDS seeds and the worst seed's figure has to clear its bound, so a lucky seed
   cannot pass it:
     (a) four one-shape prompts, colour + shape + place + background: the shape near the asked
         colour, the background near the asked one, the asked colour at the asked place (margin
         MARGIN) and the shape's centroid within PLACE_PX of it (places are 16 px apart)
     (b) "a big blue square in the center" (no background asked: the border not blue), "two yellow
         triangles on a blue background", "two green squares": the same, as far as asked
     (c) every sampler with its default schedule on the first prompt: as (a)
     (d) img2img: a red circle drawn, then img2img with "blue" in its prompt (strength 0.75, same
         seed): the shape's blue rises by BLUE_SHIFT at least and it is nearest blue; the
         background stays white
   Reported, not required (lines starting "TODO", which fail nothing): what the model does not
   draw reliably yet. "two red triangles" (one seed in 8 draws them another colour); stripes
   ("vertical red and white stripes": the two colours each nearest for a quarter of the pixels,
   together for 3/4; vertical, which most seeds miss). Each prints its worst seed's figure, to
   watch a retrained model improve; a TODO that passes on every seed says so.
   Thresholds: MARGIN at about a third of the smallest margin measured on the shipped model over
   16 seeds (printed as "min"; the smallest, 109, the black background at the top); the centroid
   was at most 6.7 px from the asked place (16 seeds, 4 a sampler). Each line prints the worst
   seed's figure, the mean over the seeds and which seed was worst, so that a drift shows before
   it fails.
   SEEDS seeds for each required case, half as many for a reported one and for img2img, SEEDS / 4
   (at least one) for each sampler (about 40 s on a core of the 2-core VM).
   Under SD_TEST_QUICK (the sanitizer run, 15 s an image) the first prompt and img2img, one seed
   each, said in a SKIP line;
   SD_DRAW_SEEDS=N runs N seeds a case instead (how the thresholds were measured: N = 16). */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

#define S 64             /* the model's native size */
#define SEEDS 6          /* seeds a required case (seeds 1..SEEDS); half that for a reported one */
#define SHAPE_PX 150     /* the shape: this many pixels farthest from the background */
#define MARGIN 50.0      /* palette margin every required region has to clear in every seed */
#define BLUE_SHIFT 100.0 /* img2img: the shape's blue up by this much */
#define PLACE_PX 8.0     /* the shape's centroid this close to the asked place */
#define PLACE_R 5.0      /* the disc around the asked place whose mean colour is the shape's */

#define NC 6
static const char *names[NC] = { "red", "green", "blue", "yellow", "white", "black" };
static const double palette[NC][3] = {   /* train_toy.py's COLOURS */
    { 220, 30, 30 }, { 30, 170, 50 }, { 30, 70, 220 }, { 245, 215, 30 }, { 240, 240, 240 }, { 15, 15, 15 } };

static int colour(const char *name)
{
    int i;
    for (i = 0; i < NC; i++) if (!strcmp(names[i], name)) return i;
    return -1;
}

static double dist(const double *a, const double *b)
{
    return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}

/* (distance to the nearest palette colour other than c) - (distance to c) */
static double margin(const double *m, int c)
{
    double other = 1e9;
    int i;
    for (i = 0; i < NC; i++) if (i != c && dist(m, palette[i]) < other) other = dist(m, palette[i]);
    return other - dist(m, palette[c]);
}

static int nearest(const double *m)
{
    int i, best = 0;
    for (i = 1; i < NC; i++) if (dist(m, palette[i]) < dist(m, palette[best])) best = i;
    return best;
}

/* an image's background (the border's mean), its shape (the mean of the SHAPE_PX pixels farthest
   from that) and the shape's centroid (x, y in pixels, centres at +0.5) */
typedef struct look { double bg[3], shape[3], cx, cy; } look;
static void looks(const unsigned char *rgb, look *o)
{
    static double d[S * S];
    double s[3] = { 0, 0, 0 }, cut;
    int x, y, k, n = 0, i, lo = 0;
    for (y = 0; y < S; y++)
        for (x = 0; x < S; x++)
            if (x < 3 || y < 3 || x >= S - 3 || y >= S - 3) {
                for (k = 0; k < 3; k++) s[k] += rgb[(y * S + x) * 3 + k];
                n++;
            }
    for (k = 0; k < 3; k++) o->bg[k] = s[k] / n;
    for (i = 0; i < S * S; i++) {
        double p[3];
        for (k = 0; k < 3; k++) p[k] = rgb[i * 3 + k];
        d[i] = dist(p, o->bg);
    }
    /* the SHAPE_PX-th largest distance, by bisection on the value (ties taken together) */
    {
        double a = 0, b = 500;
        for (k = 0; k < 40; k++) {
            double mid = 0.5 * (a + b);
            int c = 0;
            for (i = 0; i < S * S; i++) c += d[i] >= mid;
            if (c >= SHAPE_PX) a = mid; else b = mid;
        }
        cut = a;
    }
    s[0] = s[1] = s[2] = 0; o->cx = o->cy = 0;
    for (i = 0; i < S * S; i++)
        if (d[i] >= cut) {
            for (k = 0; k < 3; k++) s[k] += rgb[i * 3 + k];
            o->cx += i % S + 0.5; o->cy += i / S + 0.5;
            lo++;
        }
    for (k = 0; k < 3; k++) o->shape[k] = lo ? s[k] / lo : 0;
    if (lo) { o->cx /= lo; o->cy /= lo; }
}

/* the worst seed's figure of one check, and the mean */
typedef struct tally { double min, sum; int n, worst_seed; } tally;
static void tally_add(tally *t, double v, int seed)
{
    if (t->n == 0 || v < t->min) { t->min = v; t->worst_seed = seed; }
    t->sum += v; t->n++;
}
static void tally_line(const tally *t, double need, const char *what, int required)
{
    int pass = t->n > 0 && t->min >= need;
    char line[256];
    snprintf(line, sizeof line, "%-62s min %6.1f  mean %6.1f  (worst seed %d; need %.0f)", what, t->min,
             t->n ? t->sum / t->n : 0, t->worst_seed, need);
    if (required) t_ok(pass, "%s", line);
    else printf("TODO %s%s\n", line, pass ? "  -- passes on every seed now" : "");
}

typedef struct dcase {
    const char *prompt;
    const char *place;        /* left right top bottom center, or NULL: none asked */
    const char *shape, *bg;   /* bg NULL: none asked */
    int required;             /* 0: reported (TODO) only */
} dcase;

static void place_xy(const char *place, double *x, double *y)
{
    *x = 32; *y = 32;
    if (!strcmp(place, "left")) *x = 16;
    else if (!strcmp(place, "right")) *x = 48;
    else if (!strcmp(place, "top")) *y = 16;
    else if (!strcmp(place, "bottom")) *y = 48;
}

/* the mean colour of the pixels within PLACE_R of (x, y): inside a big shape drawn there */
static void disc_mean(const unsigned char *rgb, double x, double y, double *out)
{
    int i, k, n = 0;
    out[0] = out[1] = out[2] = 0;
    for (i = 0; i < S * S; i++) {
        double dx = i % S + 0.5 - x, dy = i / S + 0.5 - y;
        if (dx * dx + dy * dy <= PLACE_R * PLACE_R) {
            for (k = 0; k < 3; k++) out[k] += rgb[i * 3 + k];
            n++;
        }
    }
    for (k = 0; k < 3; k++) out[k] /= n;
}

static int draw(sd_model *m, const char *prompt, uint64_t seed, sd_sampler s, unsigned char *rgb)
{
    sd_params p = sd_params_default();
    p.prompt = prompt; p.width = S; p.height = S; p.seed = seed; p.sampler = s;
    return t_call(m, sd_txt2img(m, &p, rgb), prompt);
}

static void draw_case(sd_model *m, const dcase *c, int seeds, sd_sampler s, const char *label)
{
    unsigned char rgb[S * S * 3];
    tally in, out, at, there;
    char what[200];
    int seed, sc = colour(c->shape);
    memset(&in, 0, sizeof in); memset(&out, 0, sizeof out); memset(&at, 0, sizeof at); memset(&there, 0, sizeof there);
    for (seed = 1; seed <= seeds; seed++) {
        look o;
        if (!draw(m, c->prompt, (uint64_t)seed, s, rgb)) return;
        looks(rgb, &o);
        tally_add(&in, margin(o.shape, sc), seed);
        tally_add(&out, c->bg ? margin(o.bg, colour(c->bg)) : -margin(o.bg, sc), seed);
        if (c->place) {
            double x, y, d[3];
            place_xy(c->place, &x, &y);
            tally_add(&at, -sqrt((o.cx - x) * (o.cx - x) + (o.cy - y) * (o.cy - y)), seed);
            disc_mean(rgb, x, y, d);
            tally_add(&there, margin(d, sc), seed);
        }
    }
    snprintf(what, sizeof what, "%s\"%s\": the shape %s", label, c->prompt, c->shape);
    tally_line(&in, MARGIN, what, c->required);
    snprintf(what, sizeof what, "%s\"%s\": the background %s%s", label, c->prompt, c->bg ? c->bg : "not ", c->bg ? "" : c->shape);
    tally_line(&out, MARGIN, what, c->required);
    if (c->place) {
        snprintf(what, sizeof what, "%s\"%s\": %s at the %s", label, c->prompt, c->shape, c->place);
        tally_line(&there, MARGIN, what, c->required);
        snprintf(what, sizeof what, "%s\"%s\": -(px from %s)", label, c->prompt, c->place);
        tally_line(&at, -PLACE_PX, what, c->required);
    }
}

/* stripes of colours a and b: each the nearest for a quarter of the pixels, together 3/4; vertical:
   column means vary across x more than row means down y (both reported: some seeds draw other
   colours, and every seed draws them horizontal) */
static void stripes(sd_model *m, const char *prompt, const char *ca, const char *cb, int seeds)
{
    unsigned char rgb[S * S * 3];
    tally share, dir;
    int seed, a = colour(ca), b = colour(cb);
    char what[200];
    memset(&share, 0, sizeof share); memset(&dir, 0, sizeof dir);
    for (seed = 1; seed <= seeds; seed++) {
        double col[S][3], row[S][3], mean[3] = { 0, 0, 0 }, vx = 0, vy = 0, f;
        int x, y, k, na = 0, nb = 0;
        if (!draw(m, prompt, (uint64_t)seed, SD_SAMPLER_EULER_A, rgb)) return;
        memset(col, 0, sizeof col); memset(row, 0, sizeof row);
        for (y = 0; y < S; y++)
            for (x = 0; x < S; x++) {
                double p[3];
                int n;
                for (k = 0; k < 3; k++) {
                    p[k] = rgb[(y * S + x) * 3 + k];
                    col[x][k] += p[k] / S; row[y][k] += p[k] / S; mean[k] += p[k] / (S * S);
                }
                n = nearest(p);
                na += n == a; nb += n == b;
            }
        for (x = 0; x < S; x++) { vx += dist(col[x], mean) * dist(col[x], mean) / S; vy += dist(row[x], mean) * dist(row[x], mean) / S; }
        f = 100.0 * (na < nb ? na : nb) / (S * S / 4);
        if (na + nb < 3 * S * S / 4) f = 0;
        tally_add(&share, f > 100 ? 100 : f, seed);
        tally_add(&dir, sqrt(vx) - 3 * sqrt(vy), seed);
    }
    snprintf(what, sizeof what, "\"%s\": %s and %s pixels (%% of the quarter needed)", prompt, ca, cb);
    tally_line(&share, 100, what, 0);
    snprintf(what, sizeof what, "\"%s\": rms across x - 3 rms down y", prompt);
    tally_line(&dir, 12, what, 0);
}

static void img2img(sd_model *m, int seeds)
{
    const char *from = "a big red circle in the center on a white background";
    const char *to = "a big blue circle in the center on a white background";
    unsigned char a[S * S * 3], b[S * S * 3];
    tally blue, red, near, bg;
    int seed;
    memset(&blue, 0, sizeof blue); memset(&red, 0, sizeof red); memset(&near, 0, sizeof near); memset(&bg, 0, sizeof bg);
    for (seed = 1; seed <= seeds; seed++) {
        sd_params p = sd_params_default();
        look la, lb;
        if (!draw(m, from, (uint64_t)seed, SD_SAMPLER_EULER_A, a)) return;
        p.prompt = to; p.width = S; p.height = S; p.seed = (uint64_t)seed; p.strength = 0.75;
        if (!t_call(m, sd_img2img(m, &p, a, b), "img2img")) return;
        looks(a, &la); looks(b, &lb);
        tally_add(&red, margin(la.shape, colour("red")), seed);
        tally_add(&blue, lb.shape[2] - la.shape[2], seed);
        tally_add(&near, margin(lb.shape, colour("blue")), seed);
        tally_add(&bg, margin(lb.bg, colour("white")), seed);
    }
    tally_line(&red, MARGIN, "img2img: the red circle drawn first is red", 1);
    tally_line(&blue, BLUE_SHIFT, "img2img red -> \"blue circle\" (0.75): the shape's blue rose by", 1);
    tally_line(&near, MARGIN, "img2img red -> \"blue circle\" (0.75): the shape blue", 1);
    tally_line(&bg, MARGIN, "img2img red -> \"blue circle\" (0.75): the background white", 1);
}

int main(void)
{
    static const dcase cases[] = {
        { "a big red circle on the left on a blue background", "left", "red", "blue", 1 },
        { "a big yellow square at the top on a black background", "top", "yellow", "black", 1 },
        { "a big white triangle at the bottom on a green background", "bottom", "white", "green", 1 },
        { "a big green circle on the right on a white background", "right", "green", "white", 1 },
        { "two yellow triangles on a blue background", NULL, "yellow", "blue", 1 },
        { "a big blue square in the center", "center", "blue", NULL, 1 },
        { "two green squares", NULL, "green", NULL, 1 },
        { "two red triangles", NULL, "red", NULL, 0 } };
    const char *dir = getenv("SD_TOY_DIR");
    char model[1024], vocab[1024], label[64];
    FILE *f;
    sd_model *m;
    int i, seeds = t_quick() ? 1 : SEEDS;
    sd_sampler s;
    if (getenv("SD_DRAW_SEEDS")) seeds = atoi(getenv("SD_DRAW_SEEDS")) > 0 ? atoi(getenv("SD_DRAW_SEEDS")) : seeds;
    if (!dir || !*dir) dir = "tools/toy";
    snprintf(model, sizeof model, "%s/model.safetensors", dir);
    snprintf(vocab, sizeof vocab, "%s/merges.txt", dir);
    if (!(f = fopen(model, "rb"))) {
        printf("SKIP the drawing test: no %s (the demo model; python3 tools/train_toy.py makes it)\n", model);
        return 0;
    }
    fclose(f);
    if (!(m = t_load(model, vocab, 0, 1))) return 1;   /* one thread: the ops are tiny; on a busy machine OpenMP's barriers cost more than a second thread gains */
    if (t_quick()) t_skip("all but the first prompt's first seed and img2img's, the reported cases and the samplers (SD_TEST_QUICK: the sanitizer build draws a 64x64 image in about 15 s)");
    printf("---- %s, 64x64, Euler a, 20 steps, cfg 7 unless said; margins in RGB units over seeds 1..%d\n", model, seeds);
    for (i = 0; i < (int)(sizeof cases / sizeof cases[0]) && !(t_quick() && i > 0); i++)
        draw_case(m, &cases[i], cases[i].required ? seeds : (seeds + 1) / 2, SD_SAMPLER_EULER_A, "");
    if (!t_quick()) {
        stripes(m, "vertical red and white stripes", "red", "white", (seeds + 1) / 2);
        for (s = (sd_sampler)0; s < SD_SAMPLER_COUNT; s = (sd_sampler)(s + 1)) {
            snprintf(label, sizeof label, "%-9s ", sd_sampler_name(s));
            draw_case(m, &cases[0], seeds >= 4 ? seeds / 4 : 1, s, label);
        }
    }
    img2img(m, (seeds + 1) / 2);
    sd_free(m);
    return t_done("test_draw");
}
