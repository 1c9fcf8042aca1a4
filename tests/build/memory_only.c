/* SD_NO_STDIO: the memory API alone (no file functions exist) */
#define SD_NO_STDIO
#define SD_IMPLEMENTATION
#include "../../sd.h"
int main(void)
{
    static const char merges[] = "#version: 0.2\nh e</w>\n";
    sd_model *m = sd_create(NULL);
    int ids[SD_TOKENS], ok = sd_load_vocab_memory(m, merges, sizeof merges - 1) == SD_OK && sd_tokenize(m, "he", ids) == SD_OK &&
                             ids[1] == 512 && sd_load_memory(m, "xx", 2) == SD_ERR_FORMAT;
    sd_free(m);
    return ok ? 0 : 1;
}
