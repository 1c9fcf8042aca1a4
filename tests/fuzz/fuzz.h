/* fuzz.h - what the fuzz targets share. A target defines FUZZ_NAME (its name, for messages)
   and includes this after sd.h or tools/sd_png.h; with FUZZ_ONE_MODEL defined too, its whole setup
   is one sd_model, fuzz_m, made by the LLVMFuzzerInitialize given here. */
#include <stdio.h>
#include <stdlib.h>

/* a broken invariant: says which, then abort(), which libFuzzer and the replay report as a crash */
static void fuzz_check(int cond, const char *what)
{
    if (!cond) { fprintf(stderr, "%s: invariant broken: %s\n", FUZZ_NAME, what); abort(); }
}

#ifdef FUZZ_ONE_MODEL
static sd_model *fuzz_m;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    fuzz_m = sd_create(NULL);
    if (!fuzz_m) abort();
    return 0;
}
#endif
