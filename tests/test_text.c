/* test_text: the CLIP text encoder. The fixtures' text cases (both kernel sets), then on a random
   model: reference and fast kernels agree, clip skip, argument errors. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

static const char *const prompts[4] = { "a photo of an astronaut riding a horse on mars", "",
    "a fairy in the space near saturn, fighting a giant robot", "caf\xc3\xa9 na\xc3\xafve r\xc3\xa9sum\xc3\xa9" };

int main(void)
{
    int fx, realv, ref, i, skip;
    const char *model = t_model(&fx), *vocab = t_vocab(&realv);
    float *out = (float *)malloc(sizeof(float) * SD_TOKENS * 64), *out2 = (float *)malloc(sizeof(float) * SD_TOKENS * 64);
    int ids[SD_TOKENS];
    for (ref = 0; ref < 2; ref++) {
        sd_model *m = t_load(model, vocab, ref, 0);
        if (!m) break;
        if (fx && realv) {
            for (i = 0; i < 4; i++)
                for (skip = 1; skip <= 2; skip++) {
                    char what[128];
                    sd_array a = t_npy(m, "text-%d-skip%d.npy", i, skip);
                    /* the long fixture prompt repeats its sentence eight times */
                    char longp[1024];
                    const char *prompt = prompts[i];
                    if (i == 2) {
                        int k;
                        longp[0] = 0;
                        for (k = 0; k < 8; k++) { strcat(longp, prompts[2]); if (k < 7) strcat(longp, " "); }
                        prompt = longp;
                    }
                    snprintf(what, sizeof what, "%s text #%d clip skip %d", ref ? "reference" : "fast", i, skip);
                    if (a.data && t_numel(&a) != SD_TOKENS * 64) t_ok(0, "%s: the fixture holds %lu values", what, (unsigned long)t_numel(&a));
                    else if (a.data && t_call(m, sd_tokenize(m, prompt, ids), what) && t_call(m, sd_text_encode(m, ids, skip, out), what))
                        t_close(what, out, a.data, SD_TOKENS * 64, 1e-5);
                    sd_array_free(m, &a);
                }
        } else t_skip("fixture text cases (no ../shared)");
        sd_free(m);
    }
    {   /* reference vs fast, and errors, on whatever model is here */
        sd_model *a = t_load(model, vocab, 1, 1), *b = t_load(model, vocab, 0, 2);
        int ok = a && b && t_call(a, sd_tokenize(a, "a lighthouse at dawn, oil painting", ids), "tokenizing");
        double d = 0;
        ok = ok && t_call(a, sd_text_encode(a, ids, 1, out), "reference text encoder");
        ok = ok && t_call(b, sd_text_encode(b, ids, 1, out2), "fast text encoder");
        if (ok) t_close("reference vs fast kernels", out2, out, SD_TOKENS * 64, 1e-5);
        if (ok && t_call(b, sd_text_encode(b, ids, 2, out2), "fast text encoder, clip skip 2")) {
            for (i = 0; i < SD_TOKENS * 64; i++) d += fabs(out[i] - out2[i]);
            t_ok(d > 1, "clip skip 2 differs from clip skip 1 (sum of differences %.3g)", d);
        }
        if (b) {
            t_ok(sd_text_encode(b, ids, 3, out) == SD_ERR_ARG && strstr(sd_error(b), "1..2"), "clip skip 3 of 2 layers: %s", sd_error(b));
            ids[5] = 49408;
            t_ok(sd_text_encode(b, ids, 1, out) == SD_ERR_ARG && strstr(sd_error(b), "0..49407"), "token id out of range: %s", sd_error(b));
        }
        sd_free(a); sd_free(b);
    }
    {
        sd_model *m = sd_create(NULL);
        t_ok(sd_text_encode(m, ids, 1, out) == SD_ERR_STATE, "no model loaded: %s", sd_error(m));
        sd_free(m);
    }
    free(out); free(out2);
    return t_done("test_text");
}
