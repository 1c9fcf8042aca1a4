/* test_npy: .npy reading (every dtype numpy writes, format versions 1-3, big-endian, 0-d and 1-d)
   and writing, and the messages for broken files. Files are built in memory here. */
#define SD_IMPLEMENTATION
#include "../sd.h"
#include "common.h"

/* a .npy of version v with this header dict and raw data */
static size_t make(unsigned char *out, int v, const char *dict, const void *data, size_t n)
{
    size_t hl = strlen(dict), pre = v == 1 ? 10 : 12, pad = (64 - (pre + hl + 1) % 64) % 64, at;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (unsigned char)v; out[7] = 0;
    if (v == 1) { out[8] = (unsigned char)((hl + pad + 1) & 255); out[9] = (unsigned char)((hl + pad + 1) >> 8); }
    else { size_t l = hl + pad + 1; out[8] = (unsigned char)l; out[9] = (unsigned char)(l >> 8); out[10] = (unsigned char)(l >> 16); out[11] = 0; }
    memcpy(out + pre, dict, hl);
    memset(out + pre + hl, ' ', pad);
    out[pre + hl + pad] = '\n';
    at = pre + hl + pad + 1;
    memcpy(out + at, data, n);
    return at + n;
}

static void read_ok(sd_model *m, const char *what, int v, const char *dict, const void *data, size_t n, const float *want, int count, int ndim)
{
    unsigned char buf[4096];
    size_t len = make(buf, v, dict, data, n);
    sd_array a;
    sd_result r = sd_npy_parse(m, buf, len, &a);
    int ok = r == SD_OK && a.ndim == ndim, i;
    for (i = 0; ok && i < count; i++) ok = a.data[i] == want[i];
    t_ok(ok, "read %s%s%s", what, r == SD_OK ? "" : ": ", r == SD_OK ? "" : sd_error(m));
    sd_array_free(m, &a);
}

int main(void)
{
    sd_model *m = sd_create(NULL);
    static const float want[4] = { 1.0f, -2.0f, 0.5f, 255.0f };
    unsigned char f2[8] = { 0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38, 0xf8, 0x5b };          /* 1 -2 0.5 255 as float16 */
    unsigned char be[16] = { 0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0, 0x3f, 0, 0, 0, 0x43, 0x7f, 0, 0 };
    float f4[4] = { 1.0f, -2.0f, 0.5f, 255.0f };
    double f8[4] = { 1.0, -2.0, 0.5, 255.0 };
    int32_t i4[4] = { 1, -2, 0, 255 };
    int64_t i8[4] = { 1, -2, 0, 255 };
    unsigned char u1[4] = { 1, 254, 0, 255 }, b1[4] = { 1, 0, 1, 1 };
    static const float wi[4] = { 1, -2, 0, 255 }, wu[4] = { 1, 254, 0, 255 }, wb[4] = { 1, 0, 1, 1 };
    unsigned char buf[4096];
    size_t len;
    sd_array a;
    /* the host's byte order must not matter: the little-endian files are built byte by byte where it does */
    {
        unsigned char le4[16], le8[32], lei4[16], lei8[32];
        int i, k;
        for (i = 0; i < 4; i++) {
            uint32_t u; uint64_t q; memcpy(&u, &f4[i], 4); memcpy(&q, &f8[i], 8);
            for (k = 0; k < 4; k++) { le4[4 * i + k] = (unsigned char)(u >> (8 * k)); lei4[4 * i + k] = (unsigned char)((uint32_t)i4[i] >> (8 * k)); }
            for (k = 0; k < 8; k++) { le8[8 * i + k] = (unsigned char)(q >> (8 * k)); lei8[8 * i + k] = (unsigned char)((uint64_t)i8[i] >> (8 * k)); }
        }
        read_ok(m, "<f4 [4]", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", le4, 16, want, 4, 1);
        read_ok(m, "<f8 [2,2]", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", le8, 32, want, 4, 2);
        read_ok(m, "<i4 [4]", 2, "{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", lei4, 16, wi, 4, 1);
        read_ok(m, "<i8 [1,4] (version 3)", 3, "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 4), }", lei8, 32, wi, 4, 2);
    }
    read_ok(m, "<f2 [4]", 1, "{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", f2, 8, want, 4, 1);
    read_ok(m, ">f4 [4] (big-endian)", 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", be, 16, want, 4, 1);
    read_ok(m, "|u1 [2,2]", 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", u1, 4, wu, 4, 2);
    read_ok(m, "|b1 [4]", 1, "{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }", b1, 4, wb, 4, 1);
    read_ok(m, "0-d <f4", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", "\0\0\x80\x3f", 4, want, 1, 0);
    {   /* errors, each with its message */
        static const struct { const char *dict; size_t n; const char *msg; } bad[] = {
            { "{'descr': '<f4', 'fortran_order': True, 'shape': (4,), }", 16, "Fortran" },
            { "{'descr': '<c8', 'fortran_order': False, 'shape': (4,), }", 32, "unsupported dtype" },
            { "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", 16, "truncated" },
            { "{'descr': '<f4', 'fortran_order': False, }", 16, "shape" },
            { "{'descr': '<f4', 'fortran_order': False, 'shape': (4,2,x), }", 16, "bad 'shape'" },
            { "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999,99999999999999), }", 16, "" } };
        unsigned char zeros[64] = { 0 };
        int i;
        for (i = 0; i < 6; i++) {
            sd_result r;
            len = make(buf, 1, bad[i].dict, zeros, bad[i].n);
            r = sd_npy_parse(m, buf, len, &a);
            t_ok(r == SD_ERR_FORMAT && strstr(sd_error(m), bad[i].msg), "refused: %s", sd_error(m));
            sd_array_free(m, &a);
        }
        t_ok(sd_npy_parse(m, "PK\3\4xxxxxxxxx", 13, &a) == SD_ERR_FORMAT && strstr(sd_error(m), "magic"), "not .npy: %s", sd_error(m));
        len = make(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", zeros, 16);
        buf[8] = 0xff; buf[9] = 0x7f;
        t_ok(sd_npy_parse(m, buf, len, &a) == SD_ERR_FORMAT && strstr(sd_error(m), "beyond"), "header beyond the file: %s", sd_error(m));
        for (i = 0, len = make(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", zeros, 16); i < (int)len; i++) {
            sd_result r = sd_npy_parse(m, buf, (size_t)i, &a);   /* every truncation refused */
            sd_array_free(m, &a);
            if (r == SD_OK) break;
        }
        t_ok(i == (int)len, "every truncated prefix refused");
    }
    {   /* write, read back */
        int64_t shape[3] = { 2, 3, 5 };
        float x[30];
        int i, same;
        for (i = 0; i < 30; i++) x[i] = (float)i * 0.37f - 3.0f;
        sd_npy_write(m, "build/tests-tmp-npy.npy", x, 3, shape);
        same = sd_npy_read(m, "build/tests-tmp-npy.npy", &a) == SD_OK && a.ndim == 3 && a.shape[2] == 5 && !memcmp(a.data, x, sizeof x) &&
               !strcmp(a.dtype, "<f4");
        t_ok(same, "write and read back [2,3,5] float32");
        sd_array_free(m, &a);
        remove("build/tests-tmp-npy.npy");
        t_ok(sd_npy_write(m, "/nonexistent-dir/x.npy", x, 3, shape) == SD_ERR_IO && strstr(sd_error(m), "/nonexistent-dir/x.npy"),
             "unwritable path: %s", sd_error(m));
    }
    sd_free(m);
    return t_done("test_npy");
}
