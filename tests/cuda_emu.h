/* cuda_emu.h - runs sd_cuda.cu's kernels on the CPU, so that the GPU backend is tested where no GPU
   is (CI, and any machine without one): make test-cuda-emu, make cuda-emu.

   sd_cuda.cu is compiled as plain C++ with -DSDC_EMU -include tests/cuda_emu.h. Each CUDA thread of
   a block is a fiber (ucontext) on one OS thread; blocks run one after the other. What the kernels
   use is emulated with the semantics the CUDA and PTX documentation give:
   - __syncthreads: a barrier over the block's live threads; warp shuffles: a barrier over the warp,
     the exchange, a second barrier. Fibers run until they block, in thread order, so a missing
     barrier usually shows as stale shared memory (a failing test), a mismatched one as an abort.
   - WMMA 16x16x16 (half inputs, float accumulation): loads check the documented alignment (256
     bits) and leading dimension; each lane owns 8 of the 256 accumulator elements.
   - mma.sync.m16n8k16.row.col.f32.f16.f16.f32: the per-lane fragment layout of the PTX ISA
     ("Matrix Fragments for mma.m16n8k16"): groupID = lane / 4, threadID_in_group = lane % 4;
     A a0a1 (g, 2t..2t+1), a2a3 (g+8, ..), a4a5 (g, 2t+8..), a6a7 (g+8, 2t+8..);
     B b0b1 (k 2t..2t+1, n g), b2b3 (k 2t+8..); C c0c1 (g, 2t..), c2c3 (g+8, 2t..).
   - cp.async: the copy happens at cp.async.wait_group, the latest moment the hardware may complete
     it, so a read before the wait sees old data; src-size < 16 zero-fills.
   - launches check the block size, grid limits and the dynamic shared memory against the
     attribute set with cudaFuncSetAttribute (48 KB without it), as the runtime does.
   - the runtime API: device memory is host memory (malloc), streams are in order, "a device" with
     132 multiprocessors and 227 KB of shared memory per block; SDC_EMU_NODEV=1 makes it report no
     device.
   Dynamic shared memory is a malloc of the exact size per block, so AddressSanitizer sees an
   overflow of it. Numerics: FP16 rounding as the hardware (round to nearest even), float
   accumulation in a different order, libm's exp/erf instead of the GPU's: results agree with a GPU
   to rounding. Slow (fibers switch at every barrier): meant for test sizes. */
#ifndef SDC_CUDA_EMU_H
#define SDC_CUDA_EMU_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmath>
#include <ucontext.h>
#include <vector>
#include <functional>
#include <type_traits>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) alignas(n)
#define __restrict__

using std::isfinite;

struct dim3 {
    unsigned x, y, z;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(16) uint4 { unsigned x, y, z, w; };
struct alignas(8) uint2 { unsigned x, y; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(16) double2 { double x, y; };
static inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { uint4 r = { x, y, z, w }; return r; }
static inline float4 make_float4(float x, float y, float z, float w) { float4 r = { x, y, z, w }; return r; }
static inline double2 make_double2(double x, double y) { double2 r = { x, y }; return r; }

/* ---------------------------------------------------------------- FP16 */
struct __half { unsigned short x; };
struct alignas(4) __half2 { __half x, y; };
static inline __half __float2half_rn(float f)
{
    uint32_t u, sign, a;
    __half h;
    memcpy(&u, &f, 4);
    sign = (u >> 16) & 0x8000u; a = u & 0x7fffffffu;
    if (a >= 0x7f800000u) h.x = (unsigned short)(sign | 0x7c00u | (a > 0x7f800000u ? 0x200u : 0));
    else if (a >= 0x477ff000u) h.x = (unsigned short)(sign | 0x7c00u);
    else if (a < 0x38800000u) {                   /* subnormal: add 0.5 so the FPU rounds at 2^-24 */
        float t, half = 0.5f;
        uint32_t tb, hb;
        memcpy(&t, &a, 4); t += half;
        memcpy(&tb, &t, 4); memcpy(&hb, &half, 4);
        h.x = (unsigned short)(sign | (tb - hb));
    } else h.x = (unsigned short)(sign | ((a + 0xc8000fffu + ((a >> 13) & 1)) >> 13));
    return h;
}
static inline float __half2float(__half h)
{
    uint32_t sign = (uint32_t)(h.x & 0x8000u) << 16, e = (h.x >> 10) & 0x1f, m = h.x & 0x3ff, u;
    float f;
    if (e == 0) { f = ldexpf((float)m, -24); return sign ? -f : f; }
    if (e == 31) u = sign | 0x7f800000u | (m << 13);
    else u = sign | ((e + 112) << 23) | (m << 13);
    memcpy(&f, &u, 4);
    return f;
}
static inline __half2 __floats2half2_rn(float a, float b) { __half2 r; r.x = __float2half_rn(a); r.y = __float2half_rn(b); return r; }
static inline unsigned short __half_as_ushort(__half h) { return h.x; }

/* ---------------------------------------------------------------- device math */
static inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
static inline float __fmul_rn(float a, float b) { volatile float r = a * b; return r; }
static inline float __fadd_rn(float a, float b) { volatile float r = a + b; return r; }
static inline float __fsub_rn(float a, float b) { volatile float r = a - b; return r; }
static inline float __fdividef(float a, float b) { return a / b; }
#define __expf(x) expf(x)
static inline int min(int a, int b) { return a < b ? a : b; }
static inline int max(int a, int b) { return a > b ? a : b; }
template <class T> static inline T __ldg(const T *p) { return *p; }

/* ---------------------------------------------------------------- runtime API */
typedef int cudaError_t;
enum { cudaSuccess = 0, cudaErrorInvalidValue = 1, cudaErrorMemoryAllocation = 2, cudaErrorInvalidConfiguration = 9,
       cudaErrorNoDevice = 100, cudaErrorLaunchFailure = 719 };
enum cudaMemcpyKind { cudaMemcpyHostToHost, cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice, cudaMemcpyDefault };
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
#define cudaStreamNonBlocking 0x01
typedef struct sdc_emu_stream *cudaStream_t;
typedef struct sdc_emu_event *cudaEvent_t;
struct cudaDeviceProp { char name[256]; int major, minor, multiProcessorCount; size_t sharedMemPerBlockOptin; };

namespace sdc_emu {

enum { RUN, AT_BLOCK, AT_WARP, DONE };
struct copy { void *dst; const void *src; int bytes; };
struct fiber {
    ucontext_t ctx;
    dim3 tid;
    int state, lane, warp;
    std::vector<std::vector<copy> > groups;   /* committed cp.async groups, oldest first */
    std::vector<copy> open;                   /* issued, not yet committed */
};
struct block {
    dim3 bid, bdim, gdim;
    std::vector<fiber> f;
    int cur;
    ucontext_t sched;
    std::function<void()> body;
    unsigned char *dsmem;
    size_t dsmem_size;
    unsigned char xch[32][32][32];            /* per warp, per lane: a shuffle or an mma fragment */
};
struct func_attr { const void *fn; int max_dyn_smem; };
struct state {
    block *b;
    cudaError_t last;
    std::vector<func_attr> attrs;
    std::vector<char *> stacks;
};
inline state &S() { static state s; return s; }
static const size_t stack_size = 256 * 1024;

inline fiber &me() { return S().b->f[S().b->cur]; }
inline void yield_to_scheduler() { swapcontext(&me().ctx, &S().b->sched); }
inline void barrier_block() { me().state = AT_BLOCK; yield_to_scheduler(); }
inline void barrier_warp() { me().state = AT_WARP; yield_to_scheduler(); }

inline void entry()
{
    S().b->body();
    me().state = DONE;
}

/* runs one block to completion; returns 0 on a barrier deadlock */
inline int run_block(block &b, unsigned nthreads)
{
    unsigned i;
    S().b = &b;
    b.f.assign(nthreads, fiber());
    while (S().stacks.size() < nthreads) S().stacks.push_back((char *)malloc(stack_size));
    for (i = 0; i < nthreads; i++) {
        fiber &f = b.f[i];
        f.tid = dim3(i % b.bdim.x, (i / b.bdim.x) % b.bdim.y, i / (b.bdim.x * b.bdim.y));
        f.lane = (int)(i & 31); f.warp = (int)(i >> 5);
        f.state = RUN;
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = S().stacks[i];
        f.ctx.uc_stack.ss_size = stack_size;
        f.ctx.uc_link = &b.sched;
        makecontext(&f.ctx, (void (*)())entry, 0);
    }
    for (;;) {
        int any = 0, done = 1, nw = (int)((nthreads + 31) / 32), w, all_block = 1, some = 0;
        for (i = 0; i < nthreads; i++)
            if (b.f[i].state == RUN) { b.cur = (int)i; swapcontext(&b.sched, &b.f[i].ctx); }
        for (i = 0; i < nthreads; i++) {
            if (b.f[i].state != DONE) done = 0;
            if (b.f[i].state == AT_BLOCK) some = 1;
            else if (b.f[i].state != DONE) all_block = 0;
        }
        if (done) return 1;
        if (some && all_block) {
            for (i = 0; i < nthreads; i++) if (b.f[i].state == AT_BLOCK) b.f[i].state = RUN;
            any = 1;
        }
        for (w = 0; w < nw; w++) {
            int all_warp = 1, somew = 0;
            for (i = (unsigned)w * 32; i < nthreads && i < (unsigned)w * 32 + 32; i++) {
                if (b.f[i].state == AT_WARP) somew = 1;
                else if (b.f[i].state != DONE) all_warp = 0;
            }
            if (somew && all_warp) {
                for (i = (unsigned)w * 32; i < nthreads && i < (unsigned)w * 32 + 32; i++)
                    if (b.f[i].state == AT_WARP) b.f[i].state = RUN;
                any = 1;
            }
        }
        if (!any) return 0;
    }
}

inline int max_dyn_smem(const void *fn)
{
    for (size_t i = 0; i < S().attrs.size(); i++) if (S().attrs[i].fn == fn) return S().attrs[i].max_dyn_smem;
    return 48 * 1024;
}

template <class K, class... A>
void launch(K kernel, dim3 grid, dim3 blk, size_t smem, cudaStream_t, A... args)
{
    block *b;
    unsigned nthreads = blk.x * blk.y * blk.z, x, y, z;
    if (nthreads == 0 || nthreads > 1024 || blk.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535 ||
        grid.z > 65535 || smem > (size_t)max_dyn_smem((const void *)kernel)) {
        fprintf(stderr, "cuda_emu: invalid launch: grid %ux%ux%u, block %ux%ux%u, %lu bytes of dynamic shared memory (max %d)\n",
                grid.x, grid.y, grid.z, blk.x, blk.y, blk.z, (unsigned long)smem, max_dyn_smem((const void *)kernel));
        S().last = cudaErrorInvalidConfiguration;
        return;
    }
    b = new block();
    b->bdim = blk; b->gdim = grid;
    b->body = [=]() { kernel(args...); };
    for (z = 0; z < grid.z; z++)
        for (y = 0; y < grid.y; y++)
            for (x = 0; x < grid.x; x++) {
                void *p = NULL;
                b->bid = dim3(x, y, z);
                b->dsmem_size = smem;
                if (smem && posix_memalign(&p, 128, smem)) { S().last = cudaErrorMemoryAllocation; delete b; return; }
                if (p) memset(p, 0xcd, smem);   /* garbage, as on the GPU */
                b->dsmem = (unsigned char *)p;
                if (!run_block(*b, nthreads)) {
                    fprintf(stderr, "cuda_emu: barrier deadlock in block (%u,%u,%u)\n", x, y, z);
                    abort();
                }
                free(p);
            }
    S().b = NULL;
    delete b;
}

inline unsigned char *dyn_smem() { return S().b->dsmem; }

/* warp shuffle: everyone posts, barrier, read the partner, barrier */
template <class T> T shfl_xor(T v, int m)
{
    block &b = *S().b;
    fiber &f = me();
    T r;
    int w = f.warp, l = f.lane;
    memcpy(b.xch[w][l], &v, sizeof v);
    barrier_warp();
    memcpy(&r, b.xch[w][l ^ m], sizeof r);
    barrier_warp();
    return r;
}

inline float h2f_lo(unsigned u) { __half h; h.x = (unsigned short)(u & 0xffff); return __half2float(h); }
inline float h2f_hi(unsigned u) { __half h; h.x = (unsigned short)(u >> 16); return __half2float(h); }

/* mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32, fragment layout of the PTX ISA */
inline void mma16816(float c[4], const unsigned a[4], unsigned b0, unsigned b1)
{
    block &blk = *S().b;
    fiber &f = me();
    float A[16][16], B[16][8];
    unsigned reg[6] = { a[0], a[1], a[2], a[3], b0, b1 };
    int w = f.warp, l, g, t, k;
    memcpy(blk.xch[w][f.lane], reg, sizeof reg);
    barrier_warp();
    for (l = 0; l < 32; l++) {
        unsigned r[6];
        memcpy(r, blk.xch[w][l], sizeof r);
        g = l >> 2; t = l & 3;
        A[g][2 * t] = h2f_lo(r[0]);         A[g][2 * t + 1] = h2f_hi(r[0]);
        A[g + 8][2 * t] = h2f_lo(r[1]);     A[g + 8][2 * t + 1] = h2f_hi(r[1]);
        A[g][2 * t + 8] = h2f_lo(r[2]);     A[g][2 * t + 9] = h2f_hi(r[2]);
        A[g + 8][2 * t + 8] = h2f_lo(r[3]); A[g + 8][2 * t + 9] = h2f_hi(r[3]);
        B[2 * t][g] = h2f_lo(r[4]);         B[2 * t + 1][g] = h2f_hi(r[4]);
        B[2 * t + 8][g] = h2f_lo(r[5]);     B[2 * t + 9][g] = h2f_hi(r[5]);
    }
    barrier_warp();
    g = f.lane >> 2; t = f.lane & 3;
    for (k = 0; k < 16; k++) {
        c[0] += A[g][k] * B[k][2 * t];
        c[1] += A[g][k] * B[k][2 * t + 1];
        c[2] += A[g + 8][k] * B[k][2 * t];
        c[3] += A[g + 8][k] * B[k][2 * t + 1];
    }
}

inline void cp_async16(void *dst, const void *src, int bytes)
{
    copy c = { dst, src, bytes };
    if (((uintptr_t)dst & 15) || ((uintptr_t)src & 15)) { fprintf(stderr, "cuda_emu: cp.async of 16 bytes, misaligned\n"); abort(); }
    me().open.push_back(c);
}
inline void cp_commit() { me().groups.push_back(me().open); me().open.clear(); }
inline void cp_wait(int n)
{
    fiber &f = me();
    while ((int)f.groups.size() > n) {
        for (size_t i = 0; i < f.groups[0].size(); i++) {
            copy &c = f.groups[0][i];
            memcpy(c.dst, c.src, (size_t)c.bytes);
            memset((char *)c.dst + c.bytes, 0, (size_t)(16 - c.bytes));
        }
        f.groups.erase(f.groups.begin());
    }
}

} /* namespace sdc_emu */

#define threadIdx (sdc_emu::me().tid)
#define blockIdx (sdc_emu::S().b->bid)
#define blockDim (sdc_emu::S().b->bdim)
#define gridDim (sdc_emu::S().b->gdim)
static inline void __syncthreads() { sdc_emu::barrier_block(); }
template <class T> static inline T __shfl_xor_sync(unsigned, T v, int m) { return sdc_emu::shfl_xor(v, m); }

/* ---------------------------------------------------------------- WMMA */
namespace nvcuda {
namespace wmma {
struct row_major {};
struct col_major {};
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
enum layout_t { mem_row_major, mem_col_major };
template <class Use, int M, int N, int K, class T, class Layout = void> struct fragment;
template <class L> struct fragment<matrix_a, 16, 16, 16, __half, L> { float v[16][16]; };   /* [m][k] */
template <class L> struct fragment<matrix_b, 16, 16, 16, __half, L> { float v[16][16]; };   /* [k][n] */
template <> struct fragment<accumulator, 16, 16, 16, float, void> { float v[8]; };           /* this lane's 8 of 256 */

inline void emu_check(const void *p, unsigned ldm, unsigned mult, const char *what)
{
    if (((uintptr_t)p & 31) || ldm % mult) {
        fprintf(stderr, "cuda_emu: %s: pointer %p must be 256-bit aligned and ldm %u a multiple of %u\n", what, p, ldm, mult);
        abort();
    }
}
template <class L> void load_matrix_sync(fragment<matrix_a, 16, 16, 16, __half, L> &f, const __half *p, unsigned ldm)
{
    emu_check(p, ldm, 8, "load_matrix_sync(matrix_a)");
    for (int r = 0; r < 16; r++)
        for (int k = 0; k < 16; k++) f.v[r][k] = __half2float(std::is_same<L, row_major>::value ? p[r * ldm + k] : p[k * ldm + r]);
}
template <class L> void load_matrix_sync(fragment<matrix_b, 16, 16, 16, __half, L> &f, const __half *p, unsigned ldm)
{
    emu_check(p, ldm, 8, "load_matrix_sync(matrix_b)");
    for (int k = 0; k < 16; k++)
        for (int n = 0; n < 16; n++) f.v[k][n] = __half2float(std::is_same<L, row_major>::value ? p[k * ldm + n] : p[n * ldm + k]);
}
inline void fill_fragment(fragment<accumulator, 16, 16, 16, float, void> &f, float v) { for (int e = 0; e < 8; e++) f.v[e] = v; }
template <class LA, class LB>
void mma_sync(fragment<accumulator, 16, 16, 16, float, void> &d, const fragment<matrix_a, 16, 16, 16, __half, LA> &a,
              const fragment<matrix_b, 16, 16, 16, __half, LB> &b, const fragment<accumulator, 16, 16, 16, float, void> &c)
{
    int lane = sdc_emu::me().lane;
    for (int e = 0; e < 8; e++) {
        int idx = lane * 8 + e, r = idx / 16, col = idx % 16;
        float s = c.v[e];
        for (int k = 0; k < 16; k++) s += a.v[r][k] * b.v[k][col];
        d.v[e] = s;
    }
}
inline void store_matrix_sync(float *p, const fragment<accumulator, 16, 16, 16, float, void> &f, unsigned ldm, layout_t layout)
{
    int lane = sdc_emu::me().lane;
    emu_check(p, ldm, 4, "store_matrix_sync");
    for (int e = 0; e < 8; e++) {
        int idx = lane * 8 + e, r = idx / 16, col = idx % 16;
        if (layout == mem_row_major) p[r * ldm + col] = f.v[e];
        else p[col * ldm + r] = f.v[e];
    }
}
} /* namespace wmma */
} /* namespace nvcuda */

/* ---------------------------------------------------------------- the runtime */
static inline cudaError_t cudaGetLastError(void) { cudaError_t e = sdc_emu::S().last; sdc_emu::S().last = cudaSuccess; return e; }
static inline cudaError_t cudaPeekAtLastError(void) { return sdc_emu::S().last; }
static inline const char *cudaGetErrorString(cudaError_t e)
{
    switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    default: return "unknown error";
    }
}
static inline cudaError_t cudaGetDeviceCount(int *n)
{
    const char *e = getenv("SDC_EMU_NODEV");
    *n = e && *e == '1' ? 0 : 1;
    return *n ? cudaSuccess : cudaErrorNoDevice;
}
static inline cudaError_t cudaGetDevice(int *d) { *d = 0; return cudaSuccess; }
static inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int)
{
    memset(p, 0, sizeof *p);
    strcpy(p->name, "CPU emulation (tests/cuda_emu.h)");
    p->major = 9; p->minor = 0; p->multiProcessorCount = 132; p->sharedMemPerBlockOptin = 232448;
    return cudaSuccess;
}
static inline cudaError_t cudaMalloc(void *pp, size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 256, n ? n : 1)) return cudaErrorMemoryAllocation;
    memset(p, 0xcd, n ? n : 1);
    *(void **)pp = p;
    return cudaSuccess;
}
static inline cudaError_t cudaFree(void *p) { free(p); return cudaSuccess; }
static inline cudaError_t cudaMemcpyAsync(void *d, const void *s, size_t n, cudaMemcpyKind, cudaStream_t) { memmove(d, s, n); return cudaSuccess; }
static inline cudaError_t cudaMemcpy(void *d, const void *s, size_t n, cudaMemcpyKind) { memmove(d, s, n); return cudaSuccess; }
static inline cudaError_t cudaMemcpy2DAsync(void *d, size_t dp, const void *s, size_t sp, size_t w, size_t h, cudaMemcpyKind, cudaStream_t)
{
    for (size_t r = 0; r < h; r++) memmove((char *)d + r * dp, (const char *)s + r * sp, w);
    return cudaSuccess;
}
static inline cudaError_t cudaMemset(void *p, int v, size_t n) { memset(p, v, n); return cudaSuccess; }
static inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned) { *s = (cudaStream_t)(uintptr_t)1; return cudaSuccess; }
static inline cudaError_t cudaStreamDestroy(cudaStream_t) { return cudaSuccess; }
static inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
static inline cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }
template <class F> cudaError_t cudaFuncSetAttribute(F fn, cudaFuncAttribute, int v)
{
    sdc_emu::func_attr a = { (const void *)fn, v };
    if (v > 232448) return cudaErrorInvalidValue;
    sdc_emu::S().attrs.push_back(a);
    return cudaSuccess;
}
template <class F> cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int *n, F, int, size_t) { *n = 2; return cudaSuccess; }
static inline cudaError_t cudaEventCreate(cudaEvent_t *e) { *e = NULL; return cudaSuccess; }
static inline cudaError_t cudaEventDestroy(cudaEvent_t) { return cudaSuccess; }
static inline cudaError_t cudaEventRecord(cudaEvent_t, cudaStream_t) { return cudaSuccess; }
static inline cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
static inline cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t, cudaEvent_t) { *ms = 0; return cudaSuccess; }

#endif
