/* two translation units, each with its own private copy of sd.h (SD_STATIC) */
#define SD_STATIC
#define SD_IMPLEMENTATION
#include "../../sd.h"
int two_b(void);
int main(void)
{
    sd_model *m = sd_create(NULL);
    int ok = m != NULL && two_b();
    sd_free(m);
    return ok ? 0 : 1;
}
