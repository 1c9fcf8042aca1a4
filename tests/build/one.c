/* the whole header in one file, as an embedder compiles it */
#define SD_IMPLEMENTATION
#include "../../sd.h"
int main(void)
{
    sd_model *m = sd_create(NULL);
    sd_params p = sd_params_default();
    int ok = m && p.width == 512 && sd_load(m, "/nonexistent.safetensors") == SD_ERR_IO;
    sd_free(m);
    return ok ? 0 : 1;
}
