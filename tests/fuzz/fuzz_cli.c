/* fuzz_cli - the sd tool's command line: parse_args (tools/sd.c, built here without its main)
   on arbitrary argument lists, and parse_parameters on arbitrary "parameters" texts (what
   --from reads from a PNG made by sd or A1111). Nothing is loaded, generated or written.

   Input: the arguments after "sd", separated by NUL bytes; or, when the first byte is 0x01, the
   rest is one "parameters" text. A --from naming anything but a small regular file under the
   current directory is skipped (a fuzzer must not read devices, /proc, or stdin).
   Checks on an accepted command line without --from: a known command and every number inside
   the range its option allows (width and height multiples of 8); on parse_parameters: steps
   1..1000, clip skip at least 1, prompt and negative prompt NUL-terminated in their buffers. */
#define SD_CLI_NO_MAIN
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic ignored "-Wunused-function"   /* the tool's commands are not called here */
#endif
#include "../../tools/sd.c"
#include <sys/stat.h>
#define FUZZ_NAME "fuzz_cli"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    (void)usage;
    return 0;
}

/* a --from value it is safe to read: relative, no "..", a regular file of at most 1 MB */
static int fuzz_from_ok(const char *v)
{
    struct stat st;
    if (v[0] == '/' || strstr(v, "..") || stat(v, &st) != 0) return 0;
    return S_ISREG(st.st_mode) && st.st_size <= (1 << 20);
}

static void fuzz_touch(const char *s) { if (s) { volatile size_t n = strlen(s); (void)n; } }

static void fuzz_parameters(const char *text)
{
    opts o;
    char *argv0[2];
    argv0[0] = (char *)"sd"; argv0[1] = NULL;
    fuzz_check(parse_args(1, argv0, &o) == 0, "no arguments parse");
    if (parse_parameters(&o, text)) {
        fuzz_check(o.steps >= 1 && o.steps <= 1000, "--from: steps 1..1000");
        fuzz_check(o.clip_skip >= 1, "--from: clip skip >= 1");
        fuzz_check(o.prompt == o.from_text[0] && memchr(o.from_text[0], 0, sizeof o.from_text[0]), "--from: the prompt in its buffer");
        fuzz_check(o.negative[0] == 0 || (o.negative == o.from_text[1] && memchr(o.from_text[1], 0, sizeof o.from_text[1])),
                   "--from: the negative prompt in its buffer");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf, *argv[258];
    int argc = 1, i, r, from = 0;
    size_t k, start = 0;
    opts o;
    if (size > 65536) return 0;
    buf = (char *)malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    if (size >= 1 && data[0] == 1) {
        fuzz_parameters(buf + 1);
        free(buf);
        return 0;
    }
    argv[0] = (char *)"sd";
    for (k = 0; k <= size && argc < 257; k++)
        if (k == size || buf[k] == 0) {
            if (k == size && k == start && size > 0) break;   /* a trailing NUL ends the list */
            argv[argc++] = buf + start;
            start = k + 1;
        }
    argv[argc] = NULL;
    if (size == 0) argc = 1;
    for (i = 1; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "--from")) v = i + 1 < argc ? argv[i + 1] : "";
        else if (!strncmp(argv[i], "--from=", 7)) v = argv[i] + 7;
        if (v) {
            if (!fuzz_from_ok(v)) { free(buf); return 0; }
            from = 1;
        }
    }
    r = parse_args(argc, argv, &o);
    fuzz_check(r >= 0 && r <= 2, "parse_args returns 0, 1 or 2");
    if (r == 0) {
        int known = 0;
        for (i = 0; commands[i]; i++) if (o.cmd == commands[i]) known = 1;
        fuzz_check(known, "a known command");
        fuzz_check(o.width % 8 == 0 && o.height % 8 == 0, "width and height multiples of 8");
        fuzz_check((int)o.sampler >= 0 && o.sampler < SD_SAMPLER_COUNT && (int)o.scheduler >= 0 && o.scheduler < SD_SCHEDULER_COUNT &&
                   (o.rng == SD_RNG_CPU || o.rng == SD_RNG_PHILOX), "a sampler, a schedule and a noise source");
        if (!from) {
            fuzz_check(o.steps >= 1 && o.steps <= 1000, "steps 1..1000");
            static sd_schedule sch;
            fuzz_check(sd_schedule_make(&sch, o.sampler, o.scheduler, o.steps, 0.0f) == SD_OK, "a sampler and a schedule that go together");
            fuzz_check(o.width >= 8 && o.width <= 2048 && o.height >= 8 && o.height <= 2048, "width and height 8..2048");
            fuzz_check(o.clip_skip >= 1 && o.clip_skip <= 12, "clip skip 1..12");
            fuzz_check(o.cfg >= 0 && o.cfg <= 100, "cfg 0..100");
            fuzz_check(o.eta >= 0 && o.eta <= 1 && o.strength >= 0 && o.strength <= 1, "eta and strength 0..1");
            fuzz_check(o.t >= 0 && o.t <= 1000, "t 0..1000");
            fuzz_check(o.threads >= 0 && o.threads <= 1024, "threads 0..1024");
            fuzz_check(o.preview_every >= 0 && o.preview_every <= 1000 && (!o.preview || o.preview_every >= 1), "preview every 1..1000");
        }
        fuzz_touch(o.model); fuzz_touch(o.vae); fuzz_touch(o.vocab); fuzz_touch(o.prompt); fuzz_touch(o.negative);
        fuzz_touch(o.output); fuzz_touch(o.init); fuzz_touch(o.latent_out); fuzz_touch(o.image_out); fuzz_touch(o.x);
        fuzz_touch(o.context); fuzz_touch(o.z); fuzz_touch(o.image); fuzz_touch(o.logvar); fuzz_touch(o.shape);
        fuzz_touch(o.path); fuzz_touch(o.preview);
    }
    free(buf);
    return 0;
}
