/* replay - runs a libFuzzer target without libFuzzer: every file in the given directories (or
   the given files) goes once through LLVMFuzzerTestOneInput. `make test` replays the seed corpus
   and every crash ever found this way, so a fixed finding stays fixed.

     cc -D_POSIX_C_SOURCE=200809L -DFUZZ_REPLAY -o replay_png tests/fuzz/replay.c tests/fuzz/fuzz_png.c
     ./replay_png tests/fuzz/corpus/png tests/fuzz/crashes/png

   Every target defines LLVMFuzzerInitialize too (libFuzzer calls it when it is there). A target
   that finds a broken invariant calls abort(), so a bad file ends the replay with a signal. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the whole file in a buffer of exactly its size (so that a read past the end is one the
   sanitizers see); 0 on failure */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;
    if (!f) { fprintf(stderr, "replay: cannot open %s\n", path); return 0; }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        fclose(f);
        return 0;
    }
    buf = (unsigned char *)malloc(n ? (size_t)n : 1);
    if (!buf || (n && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(buf);
        fclose(f);
        return 0;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    free(buf);
    return 1;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* the regular files of a directory, in name order (hidden files such as .gitkeep left out) */
static int replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int done = 0;
    if (!d) return 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            char **nn = (char **)realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
            if (!nn) break;
            names = nn;
        }
        names[n] = (char *)malloc(strlen(dir) + strlen(e->d_name) + 2);
        if (!names[n]) break;
        sprintf(names[n], "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    for (i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) done += replay_file(names[i]);
        free(names[i]);
    }
    free(names);
    return done;
}

int main(int argc, char **argv)
{
    int i, total = 0;
    LLVMFuzzerInitialize(&argc, &argv);
    for (i = 1; i < argc; i++) {
        struct stat st;
        int n;
        if (stat(argv[i], &st) != 0) { printf("replay: %s: not there, skipped\n", argv[i]); continue; }
        n = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]);
        printf("replay: %d file%s from %s\n", n, n == 1 ? "" : "s", argv[i]);
        total += n;
    }
    printf("replay: %d files in all, no failure\n", total);
    return 0;
}
