/* test_tokenizer: CLIP's BPE tokenizer. The fixtures' tokenize cases (the real vocabulary, when
   ../shared is there), then cases on a vocabulary written here: ranks, </w>, special tokens,
   truncation and padding, long and invalid input, and the vocabulary's own errors. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

/* the fixtures' cases (t_cases: the prompts unescaped by sd.h's own JSON string reader) */
static void fixture_cases(sd_model *m)
{
    const t_json *cs = t_stage_cases("tokenize");
    int i, k, cases = 0;
    for (i = 0; cs && i < cs->n; i++) {
        const t_json *c = &cs->item[i], *ids = t_jget(c, "ids"), *bpe = t_jget(c, "bpe");
        const char *prompt = t_jstr(c, "prompt");
        int want[SD_TOKENS], got[SD_TOKENS], nb, gotb[400], ngot = 0, same;
        sd_result r1, r2;
        if (!prompt || !ids || ids->n != SD_TOKENS || !bpe || bpe->n > 400) { t_ok(0, "fixture tokenize case %d: malformed", i); continue; }
        for (k = 0; k < SD_TOKENS; k++) want[k] = (int)ids->item[k].num;
        nb = bpe->n;
        r1 = sd_tokenize(m, prompt, got);
        r2 = sd_tokenize_bpe(m, prompt, gotb, 400, &ngot);
        same = r2 == SD_OK && ngot == nb;
        for (k = 0; same && k < nb; k++) same = gotb[k] == (int)bpe->item[k].num;
        t_ok(r1 == SD_OK && !memcmp(got, want, sizeof got) && same, "fixture tokenize #%d (%d BPE ids) '%.40s'", cases, nb, prompt);
        cases++;
    }
    if (cs) t_ok(cases == 12, "read %d fixture tokenize cases", cases);
}

static const char merges[] =
    "#version: 0.2\n"
    "h e\n" "l l\n" "he ll\n" "hell o</w>\n" "w o\n" "r l\n" "wo rl\n" "worl d</w>\n" "a b\n";

static void small_vocab(void)
{
    sd_model *m = sd_create(NULL);
    int ids[SD_TOKENS], b[64], n, i, ok;
    char *big;
    sd_result r;
    r = sd_load_vocab_memory(m, merges, sizeof merges - 1);
    t_ok(r == SD_OK, "a small merges file loads (%s)", sd_error(m));
    /* byte symbols: printable ASCII keeps its order from '!' (id 0); 'o</w>' is 256 + its byte id */
    sd_tokenize_bpe(m, "hello world", b, 64, &n);
    t_ok(n == 2 && b[0] == 512 + 3 && b[1] == 512 + 7, "'hello world' -> two merged words (%d ids: %d %d)", n, b[0], b[1]);
    sd_tokenize_bpe(m, "HeLLo", b, 64, &n);
    t_ok(n == 1 && b[0] == 512 + 3, "lowercased before BPE");
    sd_tokenize_bpe(m, "ab", b, 64, &n);
    t_ok(n == 2 && b[0] == 'a' - 33 && b[1] == 'b' - 33 + 256, "'ab': the merge 'a b' never applies to 'b</w>' (%d %d)", b[0], b[1]);
    sd_tokenize(m, "<|startoftext|>hello<|endoftext|>", ids);
    t_ok(ids[0] == 521 && ids[1] == 521 && ids[2] == 515 && ids[3] == 522 && ids[4] == 522,
         "special tokens written in the prompt are their ids (BOS 521, EOS 522)");
    big = (char *)malloc(70001);
    for (i = 0; i < 70000; i++) big[i] = "hello world "[i % 12];
    big[60000] = 0;
    sd_tokenize(m, big, ids);
    ok = ids[0] == 521 && ids[76] == 522;
    for (i = 1; i < 76; i++) ok = ok && ids[i] == (i % 2 ? 515 : 519);
    t_ok(ok, "a 60 KB prompt: truncated to 75 ids between BOS and EOS");
    sd_tokenize_bpe(m, big, b, 64, &n);
    t_ok(n == 10000, "sd_tokenize_bpe counts all %d ids even past its capacity", n);
    big[60000] = 'h'; big[70000] = 0;
    r = sd_tokenize(m, big, ids);
    t_ok(r == SD_ERR_ARG && strstr(sd_error(m), "64 KB"), "a 70 KB prompt is refused: %s", sd_error(m));
    free(big);
    sd_tokenize(m, "", ids);
    ok = ids[0] == 521;
    for (i = 1; i < SD_TOKENS; i++) ok = ok && ids[i] == 522;
    t_ok(ok, "empty prompt: BOS then EOS padding");
    r = sd_tokenize(m, "bad \xff\xfe utf-8 \xe2\x82 end \xc0\xaf", ids);
    t_ok(r == SD_OK, "invalid UTF-8 is replaced (U+FFFD), not refused");
    {   /* ftfy's fix_latin_ligatures, its whole table: each ligature tokenizes as its NFKC letters */
        static const char *const lig[][2] = {
            { "\xc4\xb2\xc4\xb3", "IJij" }, { "\xc5\x89", "\xca\xbcn" },                        /* U+0132/0133, U+0149 */
            { "\xc7\x84\xc7\x85\xc7\x86", "D\xc5\xbd" "D\xc5\xbe" "d\xc5\xbe" },                        /* U+01C4..01C6 */
            { "\xc7\x87\xc7\x88\xc7\x89\xc7\x8a\xc7\x8b\xc7\x8c", "LJLjljNJNjnj" },             /* U+01C7..01CC */
            { "\xc7\xb1\xc7\xb2\xc7\xb3", "DZDzdz" },                                             /* U+01F1..01F3 */
            { "\xef\xac\x80\xef\xac\x81\xef\xac\x82\xef\xac\x83\xef\xac\x84\xef\xac\x85\xef\xac\x86", "fffiflffifflstst" } };
        int k, want[SD_TOKENS], got[SD_TOKENS];
        for (k = 0; k < 6; k++) {
            sd_result r1 = sd_tokenize(m, lig[k][0], got), r2 = sd_tokenize(m, lig[k][1], want);
            t_ok(r1 == SD_OK && r2 == SD_OK && !memcmp(got, want, sizeof got), "ligatures %d tokenize as '%s'", k, lig[k][1]);
        }
    }
    sd_free(m);
}

static void vocab_errors(void)
{
    static const struct { const char *text, *msg; } bad[] = {
        { "", "empty" },
        { "h e\nl l\n", "#version" },
        { "#version: 0.2\nh e\nhe\n", "line 3: expected two symbols" },
        { "#version: 0.2\nh e\nxy z\n", "line 3: 'xy' is not a symbol" },
        { "#version: 0.2\n\n", "holds no merges" },
        { "#version: 0.2\nh e\n\nl l\n", "line 3: empty line" } };
    int i;
    for (i = 0; i < (int)(sizeof bad / sizeof bad[0]); i++) {
        sd_model *m = sd_create(NULL);
        sd_result r = sd_load_vocab_memory(m, bad[i].text, strlen(bad[i].text));
        t_ok(r == SD_ERR_FORMAT && strstr(sd_error(m), bad[i].msg) != NULL, "vocabulary error '%s': %s", bad[i].msg, sd_error(m));
        sd_free(m);
    }
    {
        sd_model *m = sd_create(NULL);
        int ids[SD_TOKENS];
        t_ok(sd_tokenize(m, "x", ids) == SD_ERR_STATE && strstr(sd_error(m), "vocabulary"), "tokenizing without a vocabulary: %s", sd_error(m));
        sd_free(m);
    }
}

int main(void)
{
    int real;
    const char *v = t_vocab(&real);
    sd_model *m = real ? t_load(NULL, v, 0, 0) : NULL;
    if (m) fixture_cases(m); else t_skip("fixture tokenize cases (no ../shared/clip-vocab)");
    sd_free(m);
    small_vocab();
    vocab_errors();
    return t_done("test_tokenizer");
}
