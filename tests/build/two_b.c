#define SD_STATIC
#define SD_IMPLEMENTATION
#include "../../sd.h"
int two_b(void)
{
    sd_rng r;
    float x[3];
    sd_rng_seed(&r, 0);
    sd_randn(&r, x, 3);
    return x[0] > 1.5f && x[0] < 1.6f;
}
