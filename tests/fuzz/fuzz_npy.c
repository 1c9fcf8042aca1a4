/* fuzz_npy - sd_npy_parse (the .npy reader behind sd_npy_read and the sd tool's --x, --z,
   --context, --image, --init) on arbitrary bytes.

   Checks: a parse that succeeds gives 0..8 dimensions whose product is the element count, the
   dtype it names, and that many readable floats (ASan sees a short buffer); a failure leaves
   a message and no data. */
#define SD_STATIC
#define SD_IMPLEMENTATION
#include "../../sd.h"
#define FUZZ_NAME "fuzz_npy"
#define FUZZ_ONE_MODEL
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sd_array a;
    sd_result r;
    if (size > ((size_t)1 << 20)) return 0;
    r = sd_npy_parse(fuzz_m, data, size, &a);
    if (r == SD_OK) {
        size_t count = 1, i;
        volatile float sink = 0;
        int d;
        fuzz_check(a.ndim >= 0 && a.ndim <= 8, "0..8 dimensions");
        for (d = 0; d < a.ndim; d++) {
            fuzz_check(a.shape[d] >= 0, "no negative dimension");
            count *= (size_t)a.shape[d];
        }
        fuzz_check(a.data != NULL, "data on success");
        fuzz_check(count <= size, "no more elements than bytes");
        fuzz_check(a.dtype[0] && memchr(a.dtype, 0, sizeof a.dtype) != NULL, "a NUL-terminated dtype");
        for (i = 0; i < count; i++) sink += a.data[i];
        (void)sink;
        sd_array_free(fuzz_m, &a);
        fuzz_check(a.data == NULL, "sd_array_free clears data");
    } else {
        fuzz_check(a.data == NULL, "no data on failure");
        fuzz_check(sd_error(fuzz_m)[0] != 0, "a message on failure");
    }
    return 0;
}
