/* fuzz_merges - sd_load_vocab_memory (merges.txt, read by sd_load_vocab from a model folder or
   --vocab) on arbitrary bytes, then the tokenizer on that vocabulary.

   Input: the merges file. When it loads, a few fixed prompts and the input itself (as a
   prompt) are tokenized with it. Checks: a vocabulary that loads has at least one merge and no
   more merges than lines; <|startoftext|> and <|endoftext|> are its last two ids; every id the
   tokenizer gives is inside it; a failed load leaves a message and no vocabulary (tokenizing
   then fails with SD_ERR_STATE). */
#define SD_STATIC
#define SD_IMPLEMENTATION
#include "../../sd.h"
#define FUZZ_NAME "fuzz_merges"
#define FUZZ_ONE_MODEL
#include "fuzz.h"

static void fuzz_tokens(const char *prompt, int bos, int eos)
{
    int ids[SD_TOKENS], i;
    sd_result r = sd_tokenize(fuzz_m, prompt, ids);
    fuzz_check(r == SD_OK, "tokenizing with a loaded vocabulary succeeds");
    fuzz_check(ids[0] == bos && ids[SD_TOKENS - 1] == eos, "77 ids from <|startoftext|> to <|endoftext|>");
    for (i = 0; i < SD_TOKENS; i++) fuzz_check(ids[i] >= 0 && ids[i] <= eos, "every id inside the vocabulary");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const prompts[] = {
        "a photo of a cat", "hello world", "Caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9\x65, 4k", "\xe7\x8c\xab \xf0\x9f\x90\xb1!!",
        "<|startoftext|>in<|endoftext|>", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "&amp; &lt;3 it's 100%" };
    const char *text = (const char *)data;
    size_t i, lines = 1;
    sd_result r;
    int ids[SD_TOKENS];
    if (size > ((size_t)1 << 20)) return 0;
    r = sd_load_vocab_memory(fuzz_m, text, size);
    for (i = 0; i < size; i++) if (text[i] == '\n') lines++;
    if (r == SD_OK) {
        int bos, eos;
        char *prompt;
        fuzz_check(sd_tokenize(fuzz_m, "", ids) == SD_OK, "the empty prompt");
        bos = ids[0]; eos = ids[1];
        fuzz_check(eos == bos + 1, "<|endoftext|> follows <|startoftext|>");
        fuzz_check(bos > 512 && (size_t)(bos - 512) < lines, "1 .. lines-1 merges");
        for (i = 0; i < sizeof prompts / sizeof *prompts; i++) fuzz_tokens(prompts[i], bos, eos);
        prompt = (char *)malloc(size + 1);
        if (!prompt) return 0;
        memcpy(prompt, data, size);
        prompt[size] = 0;
        fuzz_tokens(prompt, bos, eos);
        free(prompt);
    } else {
        fuzz_check(sd_error(fuzz_m)[0] != 0, "a message on failure");
        fuzz_check(sd_tokenize(fuzz_m, "x", ids) == SD_ERR_STATE, "no vocabulary after a failed load");
    }
    return 0;
}
