/*
 * The exported API: argument checks, CPU detection, the STN4J_MAX_ISA cap, and dispatch to the per-ISA kernels.
 *
 * NOTE: every stn_* entry point validates sizes, modes and ranges and returns STN_E_ARG before touching memory,
 * and STN_E_ISA for an ISA this CPU or build lacks. What the CPU supports and the active ISA (used for STN_ISA_AUTO,
 * capped by STN4J_MAX_ISA) are resolved once, at the first call that needs them, into one atomic word; concurrent
 * first calls may both resolve them, compute the same word and store it, and every later call only loads it. Each
 * entry point then calls its ISA's kernel table (stn_kernels): every 2-D kernel has vector versions, the 3-D ones
 * are the portable kernels in every table.
 */
#include <stdlib.h>
#include <string.h>

#include "stn_internal.h"

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#else
#include <stdatomic.h>
#endif

#ifndef STN4J_VERSION
#define STN4J_VERSION "0.0.0-dev"
#endif

#if defined(__x86_64__) || defined(_M_X64)
#  define STN_X86 1
#else
#  define STN_X86 0
#endif

/* Set by CMake when the vector kernels are compiled into this build. */
#ifndef STN_HAVE_AVX2
#define STN_HAVE_AVX2 0
#endif
#ifndef STN_HAVE_AVX512
#define STN_HAVE_AVX512 0
#endif
#ifndef STN_HAVE_NEON
#define STN_HAVE_NEON 0
#endif

#define STN_ISA_MAX STN_ISA_NEON

const char *stn_version(void) { return STN4J_VERSION; }

/* Whether the CPU and this build can run `isa` (AVX2, AVX-512 or NEON): asked of the CPU, so called only to resolve. */
static int cpu_has(int32_t isa) {
#if STN_X86 && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    switch (isa) {
    case STN_ISA_AVX2: return STN_HAVE_AVX2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case STN_ISA_AVX512:
        return STN_HAVE_AVX512 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
    default: return 0;
    }
#elif defined(__aarch64__) || defined(_M_ARM64)
    return isa == STN_ISA_NEON && STN_HAVE_NEON; /* Advanced SIMD is part of the AArch64 baseline */
#else
    (void)isa;
    return 0;
#endif
}

const char *stn_isa_name(int32_t isa) {
    switch (isa) {
    case STN_ISA_AUTO: return "auto";
    case STN_ISA_SCALAR: return "scalar";
    case STN_ISA_AVX2: return "avx2";
    case STN_ISA_AVX512: return "avx512";
    case STN_ISA_NEON: return "neon";
    default: return "unknown";
    }
}

/* The cap named by STN4J_MAX_ISA; no cap for an unset or unknown name (the Java layer reports unknown names). */
static int32_t cap_from_env(void) {
    const char *s = getenv("STN4J_MAX_ISA");
    if (s == NULL) return STN_ISA_MAX;
    for (int32_t isa = STN_ISA_SCALAR; isa <= STN_ISA_MAX; isa++)
        if (strcmp(s, stn_isa_name(isa)) == 0) return isa;
    return STN_ISA_MAX;
}

/* The resolved ISAs in one word: STN_RESOLVED, bit STN_SUPPORTED_BIT + isa for every ISA this CPU and build can run,
 * and the active ISA in the low byte. 0 until the first call resolves it. */
#define STN_RESOLVED (INT32_C(1) << 30)
#define STN_SUPPORTED_BIT 8
#if defined(_MSC_VER) && !defined(__clang__)
static volatile long resolved_word;
static int32_t load_resolved(void) { return (int32_t)_InterlockedOr(&resolved_word, 0); }
static void store_resolved(int32_t w) { _InterlockedExchange(&resolved_word, (long)w); }
#else
static _Atomic int32_t resolved_word;
static int32_t load_resolved(void) { return atomic_load_explicit(&resolved_word, memory_order_acquire); }
static void store_resolved(int32_t w) { atomic_store_explicit(&resolved_word, w, memory_order_release); }
#endif

/* The resolved word, resolving it at the first call. Resolving is idempotent (the CPU and the environment variable
 * give the same answer every time), so two first calls at once store the same word. */
static int32_t resolved(void) {
    int32_t w = load_resolved();
    if (w != 0) return w;
    int32_t supported = INT32_C(1) << (STN_SUPPORTED_BIT + STN_ISA_SCALAR);
    for (int32_t isa = STN_ISA_SCALAR + 1; isa <= STN_ISA_MAX; isa++)
        if (cpu_has(isa)) supported |= INT32_C(1) << (STN_SUPPORTED_BIT + isa);
    const int32_t cap = cap_from_env();
    int32_t active = STN_ISA_SCALAR;
    for (int32_t isa = STN_ISA_SCALAR; isa <= cap; isa++)
        if (supported & (INT32_C(1) << (STN_SUPPORTED_BIT + isa))) active = isa;
    w = STN_RESOLVED | supported | active;
    store_resolved(w);
    return w;
}

static int supported_in(int32_t word, int32_t isa) {
    return isa >= STN_ISA_SCALAR && isa <= STN_ISA_MAX && ((word >> (STN_SUPPORTED_BIT + isa)) & 1);
}

int32_t stn_isa_supported(int32_t isa) { return isa == STN_ISA_AUTO || supported_in(resolved(), isa); }

int32_t stn_active_isa(void) { return resolved() & 0xff; }

/* Every kernel table of this build by ISA (NULL: not compiled in). */
static const stn_kernels *const kernel_tables[STN_ISA_MAX + 1] = {
    [STN_ISA_SCALAR] = &stn_kernels_scalar,
#if STN_HAVE_AVX2
    [STN_ISA_AVX2] = &stn_kernels_avx2,
#endif
#if STN_HAVE_AVX512
    [STN_ISA_AVX512] = &stn_kernels_avx512,
#endif
#if STN_HAVE_NEON
    [STN_ISA_NEON] = &stn_kernels_neon,
#endif
};

/* The kernel table of `isa` (STN_ISA_AUTO: the active ISA's), or NULL if this CPU or build cannot run it. */
static const stn_kernels *kernels_of(int32_t isa) {
    const int32_t w = resolved();
    if (isa == STN_ISA_AUTO) isa = w & 0xff;
    return supported_in(w, isa) ? kernel_tables[isa] : NULL;
}

/* a * b <= limit for non-negative a, b, without overflow. */
static int mul_ok(int64_t a, int64_t b, int64_t limit) { return a == 0 || b <= limit / a; }

/* 1 if a contiguous float tensor of these dims has a byte size that fits in int64 (all dims >= 0). */
static int dims_ok(int count, const int64_t *dims) {
    const int64_t limit = INT64_MAX / 16;
    int64_t total = 1;
    for (int i = 0; i < count; i++) {
        if (dims[i] < 0 || !mul_ok(total, dims[i], limit)) return 0;
        total *= dims[i];
    }
    return 1;
}

static int bool_ok(int32_t b) { return b == 0 || b == 1; }

/* ---- affine grid ---- */

static int32_t affine(int32_t isa, const float *theta, float *grid, int64_t n, int64_t d, int64_t h, int64_t w,
                      int32_t align_corners, int64_t row_begin, int64_t row_end, int three_d) {
    const int64_t dims[] = {n, d, h, w, 3};
    if (!dims_ok(5, dims) || !bool_ok(align_corners) || row_begin < 0 || row_begin > row_end || row_end > d * h)
        return STN_E_ARG;
    const int work = n > 0 && w > 0 && row_begin < row_end;
    if (work && (theta == NULL || grid == NULL)) return STN_E_ARG;
    const stn_kernels *k = kernels_of(isa);
    if (k == NULL) return STN_E_ISA;
    if (!work) return STN_OK;
    stn_ag a = {theta, NULL, grid, NULL, n, d, h, w, align_corners, row_begin, row_end};
    (three_d ? k->affine_grid_3d : k->affine_grid_2d)(&a);
    return STN_OK;
}

int32_t stn_affine_grid_2d(int32_t isa, const float *theta, float *grid, int64_t n, int64_t h, int64_t w,
                           int32_t align_corners, int64_t row_begin, int64_t row_end) {
    return affine(isa, theta, grid, n, 1, h, w, align_corners, row_begin, row_end, 0);
}

int32_t stn_affine_grid_3d(int32_t isa, const float *theta, float *grid, int64_t n, int64_t d, int64_t h, int64_t w,
                           int32_t align_corners, int64_t row_begin, int64_t row_end) {
    return affine(isa, theta, grid, n, d, h, w, align_corners, row_begin, row_end, 1);
}

static int32_t affine_backward(int32_t isa, const float *grad_grid, float *grad_theta, int64_t n, int64_t d,
                               int64_t h, int64_t w, int32_t align_corners, int three_d) {
    const int64_t dims[] = {n, d, h, w, 3};
    if (!dims_ok(5, dims) || !bool_ok(align_corners)) return STN_E_ARG;
    const int64_t params = three_d ? 12 : 6;
    if (n > 0 && (grad_theta == NULL || (d > 0 && h > 0 && w > 0 && grad_grid == NULL))) return STN_E_ARG;
    const stn_kernels *k = kernels_of(isa);
    if (k == NULL) return STN_E_ISA;
    if (n == 0) return STN_OK;
    if (d == 0 || h == 0 || w == 0) {
        memset(grad_theta, 0, (size_t)(n * params) * sizeof(float));
        return STN_OK;
    }
    stn_ag a = {NULL, grad_grid, NULL, grad_theta, n, d, h, w, align_corners, 0, d * h};
    (three_d ? k->affine_grid_3d_backward : k->affine_grid_2d_backward)(&a);
    return STN_OK;
}

int32_t stn_affine_grid_2d_backward(int32_t isa, const float *grad_grid, float *grad_theta, int64_t n, int64_t h,
                                    int64_t w, int32_t align_corners) {
    return affine_backward(isa, grad_grid, grad_theta, n, 1, h, w, align_corners, 0);
}

int32_t stn_affine_grid_3d_backward(int32_t isa, const float *grad_grid, float *grad_theta, int64_t n, int64_t d,
                                    int64_t h, int64_t w, int32_t align_corners) {
    return affine_backward(isa, grad_grid, grad_theta, n, d, h, w, align_corners, 1);
}

/* ---- grid sample ---- */

static int gs_args_ok(const stn_gs *a, int three_d) {
    const int64_t in_dims[] = {a->n, a->c, a->in_d, a->in_h, a->in_w};
    const int64_t out_dims[] = {a->n, a->c, a->out_d, a->out_h, a->out_w};
    const int64_t grid_dims[] = {a->n, a->out_d, a->out_h, a->out_w, 3};
    /* (in_h + 3) * (in_w + 3) is formed by the kernels: keep each axis far from overflow too. */
    const int64_t axis_limit = INT64_C(1) << 31;
    const int mode_ok = a->mode == STN_MODE_BILINEAR || a->mode == STN_MODE_NEAREST ||
                        (a->mode == STN_MODE_BICUBIC && !three_d);
    return dims_ok(5, in_dims) && dims_ok(5, out_dims) && dims_ok(5, grid_dims) && a->in_d < axis_limit &&
           a->in_h < axis_limit && a->in_w < axis_limit && mode_ok && a->padding >= STN_PADDING_ZEROS &&
           a->padding <= STN_PADDING_REFLECTION && bool_ok(a->align_corners) && a->row_begin >= 0 &&
           a->row_begin <= a->row_end && a->row_end <= a->out_d * a->out_h;
}

/* Zeroes rows [row_begin, row_end) of every (n, c) plane of a [N, C, rows, out_w] tensor. */
static void zero_rows(float *t, int64_t planes, int64_t rows, int64_t out_w, int64_t row_begin, int64_t row_end) {
    for (int64_t i = 0; i < planes; i++)
        memset(t + (i * rows + row_begin) * out_w, 0, (size_t)((row_end - row_begin) * out_w) * sizeof(float));
}

/* three_d: 5-D tensors; nhwc: 2-D channels-last (input [N, H, W, C], output [N, Ho, Wo, C]). */
static int32_t sample(int32_t isa, stn_gs *a, int three_d, int nhwc) {
    if (!gs_args_ok(a, three_d)) return STN_E_ARG;
    const int work = a->n > 0 && a->c > 0 && a->out_w > 0 && a->row_begin < a->row_end;
    if (work && ((a->grid == NULL && a->theta == NULL) || a->output == NULL)) return STN_E_ARG;
    const stn_kernels *k = kernels_of(isa);
    if (k == NULL) return STN_E_ISA;
    if (!work) return STN_OK;
    if (a->in_d == 0 || a->in_h == 0 || a->in_w == 0) {
        /* An empty input: every tap is outside, so the output is zero (zeros-padding semantics). */
        if (nhwc) zero_rows(a->output, a->n, a->out_h, a->out_w * a->c, a->row_begin, a->row_end);
        else zero_rows(a->output, a->n * a->c, a->out_d * a->out_h, a->out_w, a->row_begin, a->row_end);
        return STN_OK;
    }
    if (a->input == NULL) return STN_E_ARG;
    (nhwc ? k->grid_sample_2d_nhwc : three_d ? k->grid_sample_3d : k->grid_sample_2d)(a);
    return STN_OK;
}

/* banded: a->band_begin, a->band_end were given (stn_grid_sample_2d_backward_band); else every input row is the
 * band. */
static int32_t sample_backward(int32_t isa, stn_gs *a, int three_d, int nhwc, int banded) {
    a->fresh = (a->mode & STN_BACKWARD_FRESH) != 0;
    a->mode &= ~STN_BACKWARD_FRESH;
    if (!gs_args_ok(a, three_d)) return STN_E_ARG;
    if (a->fresh && (a->row_begin != 0 || a->row_end != a->out_d * a->out_h)) return STN_E_ARG;
    if (banded && !(0 <= a->band_begin && a->band_begin <= a->band_end && a->band_end <= a->in_h)) return STN_E_ARG;
    if (!banded || !a->grad_input) { /* a band limits only grad_input: without it the call is unbanded */
        a->band_begin = 0;
        a->band_end = a->in_h;
    }
    a->banded = a->band_begin > 0 || a->band_end < a->in_h;
    if (a->banded && a->grad_input && a->grad_grid) {
        /* kernels see a band only without a grid gradient (stn_gs): the grid gradient first, as a call of its own */
        stn_gs g = *a;
        g.grad_input = NULL;
        g.fresh = 0;
        g.banded = 0;
        g.band_begin = 0;
        g.band_end = a->in_h;
        g.mode = a->mode;
        const int32_t rc = sample_backward(isa, &g, three_d, nhwc, 0);
        if (rc != STN_OK) return rc;
        a->grad_grid = NULL;
    }
    const int rows = a->n > 0 && a->out_w > 0 && a->row_begin < a->row_end;
    if (rows && a->grid == NULL && a->theta == NULL) return STN_E_ARG;
    const stn_kernels *k = kernels_of(isa);
    if (k == NULL) return STN_E_ISA;
    const int empty = a->c == 0 || a->in_d == 0 || a->in_h == 0 || a->in_w == 0;
    const int grid_grad = a->grad_grid || a->theta_rows;
    if (rows && !empty && (a->grad_input || grid_grad) && (a->grad_output == NULL || a->input == NULL))
        return STN_E_ARG; /* before anything is written */
    if (!rows || empty) stn_fresh_grad_input(a, nhwc); /* no kernel runs: nothing is added to the zeros */
    if (!rows) return STN_OK;
    const int64_t comps = three_d ? 3 : 2;
    if (empty) {
        /* Nothing is read, so nothing flows back: grad_input gets no contribution, grad_grid is zero. */
        if (a->grad_grid) zero_rows(a->grad_grid, a->n, a->out_d * a->out_h, a->out_w * comps, a->row_begin, a->row_end);
        if (a->theta_rows) zero_rows(a->theta_rows, a->n, a->out_h, 4, a->row_begin, a->row_end);
        return STN_OK;
    }
    if (a->grad_input == NULL && !grid_grad) return STN_OK;
    if (a->grad_output == NULL || a->input == NULL) return STN_E_ARG;
    (nhwc ? k->grid_sample_2d_nhwc_backward : three_d ? k->grid_sample_3d_backward : k->grid_sample_2d_backward)(a);
    return STN_OK;
}

int32_t stn_grid_sample_2d(int32_t isa, const float *input, const float *grid, float *output, int64_t n, int64_t c,
                           int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w, int32_t mode, int32_t padding,
                           int32_t align_corners, int64_t row_begin, int64_t row_end) {
    stn_gs a = {input, grid, NULL, output, NULL, NULL, n, c, 1, in_h, in_w, 1, out_h, out_w,
                mode, padding, align_corners, row_begin, row_end, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL};
    return sample(isa, &a, 0, 0);
}

int32_t stn_grid_sample_2d_backward(int32_t isa, const float *grad_output, const float *input, const float *grid,
                                    float *grad_input, float *grad_grid, int64_t n, int64_t c, int64_t in_h,
                                    int64_t in_w, int64_t out_h, int64_t out_w, int32_t mode, int32_t padding,
                                    int32_t align_corners, int64_t row_begin, int64_t row_end) {
    stn_gs a = {input, grid, grad_output, NULL, grad_input, grad_grid, n, c, 1, in_h, in_w, 1, out_h, out_w,
                mode, padding, align_corners, row_begin, row_end, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL};
    return sample_backward(isa, &a, 0, 0, 0);
}

int32_t stn_grid_sample_2d_backward_band(int32_t isa, const float *grad_output, const float *input,
                                         const float *grid, float *grad_input, float *grad_grid, int64_t n, int64_t c,
                                         int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w, int32_t mode,
                                         int32_t padding, int32_t align_corners, int64_t row_begin, int64_t row_end,
                                         int64_t band_begin, int64_t band_end) {
    stn_gs a = {input, grid, grad_output, NULL, grad_input, grad_grid, n, c, 1, in_h, in_w, 1, out_h, out_w,
                mode, padding, align_corners, row_begin, row_end, 0, band_begin, band_end, 0, NULL, NULL, NULL, NULL, NULL};
    return sample_backward(isa, &a, 0, 0, 1);
}

int32_t stn_grid_sample_2d_nhwc(int32_t isa, const float *input, const float *grid, float *output, int64_t n,
                                int64_t c, int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w, int32_t mode,
                                int32_t padding, int32_t align_corners, int64_t row_begin, int64_t row_end) {
    stn_gs a = {input, grid, NULL, output, NULL, NULL, n, c, 1, in_h, in_w, 1, out_h, out_w,
                mode, padding, align_corners, row_begin, row_end, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL};
    return sample(isa, &a, 0, 1);
}

int32_t stn_grid_sample_2d_backward_nhwc(int32_t isa, const float *grad_output, const float *input,
                                         const float *grid, float *grad_input, float *grad_grid, int64_t n, int64_t c,
                                         int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w, int32_t mode,
                                         int32_t padding, int32_t align_corners, int64_t row_begin,
                                         int64_t row_end) {
    stn_gs a = {input, grid, grad_output, NULL, grad_input, grad_grid, n, c, 1, in_h, in_w, 1, out_h, out_w,
                mode, padding, align_corners, row_begin, row_end, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL};
    return sample_backward(isa, &a, 0, 1, 0);
}

int32_t stn_grid_sample_2d_backward_nhwc_band(int32_t isa, const float *grad_output, const float *input,
                                              const float *grid, float *grad_input, float *grad_grid, int64_t n,
                                              int64_t c, int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w,
                                              int32_t mode, int32_t padding, int32_t align_corners,
                                              int64_t row_begin, int64_t row_end, int64_t band_begin,
                                              int64_t band_end) {
    stn_gs a = {input, grid, grad_output, NULL, grad_input, grad_grid, n, c, 1, in_h, in_w, 1, out_h, out_w,
                mode, padding, align_corners, row_begin, row_end, 0, band_begin, band_end, 0, NULL, NULL, NULL, NULL, NULL};
    return sample_backward(isa, &a, 0, 1, 1);
}

int32_t stn_grid_sample_3d(int32_t isa, const float *input, const float *grid, float *output, int64_t n, int64_t c,
                           int64_t in_d, int64_t in_h, int64_t in_w, int64_t out_d, int64_t out_h, int64_t out_w,
                           int32_t mode, int32_t padding, int32_t align_corners, int64_t row_begin, int64_t row_end) {
    stn_gs a = {input, grid, NULL, output, NULL, NULL, n, c, in_d, in_h, in_w, out_d, out_h, out_w,
                mode, padding, align_corners, row_begin, row_end, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL};
    return sample(isa, &a, 1, 0);
}

int32_t stn_grid_sample_3d_backward(int32_t isa, const float *grad_output, const float *input, const float *grid,
                                    float *grad_input, float *grad_grid, int64_t n, int64_t c, int64_t in_d,
                                    int64_t in_h, int64_t in_w, int64_t out_d, int64_t out_h, int64_t out_w,
                                    int32_t mode, int32_t padding, int32_t align_corners, int64_t row_begin,
                                    int64_t row_end) {
    stn_gs a = {input, grid, grad_output, NULL, grad_input, grad_grid, n, c, in_d, in_h, in_w, out_d, out_h, out_w,
                mode, padding, align_corners, row_begin, row_end, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL};
    return sample_backward(isa, &a, 1, 0, 0);
}

/* ---- fused affine sampling ---- */

/* a->theta set (and grid NULL): computes the base coordinates (and, for a backward with theta_rows, the row lanes)
 * the kernels read, runs `sample` or `sample_backward`, and frees them. */
static int32_t fused(int32_t isa, stn_gs *a, int backward, int banded) {
    /* the sizes first (before any allocation: stn_base_coords of an unchecked size could wrap), then theta */
    stn_gs v = *a;
    v.mode &= ~STN_BACKWARD_FRESH;
    if (!gs_args_ok(&v, 0)) return STN_E_ARG;
    const int work = a->n > 0 && a->out_h > 0 && a->out_w > 0 && a->row_begin < a->row_end;
    if (work && a->theta == NULL) return STN_E_ARG;
    if (!work) { /* nothing to sample: the remaining checks and the empty cases there */
        const int32_t rc = backward ? sample_backward(isa, a, 0, 0, banded) : sample(isa, a, 0, 0);
        /* rows of no points have zero sums (the unfused affine backward of an empty grid is zero) */
        if (rc == STN_OK && a->theta_rows && a->n > 0)
            zero_rows(a->theta_rows, a->n, a->out_h, 4, a->row_begin, a->row_end);
        return rc;
    }
    /* the workspace next: a call without memory writes nothing */
    float *bx = stn_base_coords(a->out_w, a->align_corners), *by = stn_base_coords(a->out_h, a->align_corners);
    const int64_t rows = a->row_end - a->row_begin;
    const int lanes_wanted = a->theta_rows && rows > 0 && rows <= a->out_h;
    float *lanes = lanes_wanted ? calloc((size_t)rows, STN_ROW_LANES * sizeof(float)) : NULL;
    int32_t rc = STN_E_NOMEM;
    if (bx && by && (lanes || !lanes_wanted)) {
        a->base_x = bx;
        a->base_y = by;
        a->row_lanes = lanes;
        rc = backward ? sample_backward(isa, a, 0, 0, banded) : sample(isa, a, 0, 0);
        /* nearest has no grid gradient (its kernels fold none): zero sums */
        if (rc == STN_OK && lanes_wanted && a->mode == STN_MODE_NEAREST)
            zero_rows(a->theta_rows, a->n, a->out_h, 4, a->row_begin, a->row_end);
    }
    free(bx);
    free(by);
    free(lanes);
    return rc;
}

int32_t stn_affine_sample_2d(int32_t isa, const float *input, const float *theta, float *output, int64_t n, int64_t c,
                             int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w, int32_t mode, int32_t padding,
                             int32_t align_corners, int64_t row_begin, int64_t row_end) {
    stn_gs a = {input, NULL, NULL, output, NULL, NULL, n, c, 1, in_h, in_w, 1, out_h, out_w,
                mode, padding, align_corners, row_begin, row_end, 0, 0, 0, 0, theta, NULL, NULL, NULL, NULL};
    return fused(isa, &a, 0, 0);
}

int32_t stn_affine_sample_2d_backward(int32_t isa, const float *grad_output, const float *input, const float *theta,
                                      float *grad_input, float *theta_rows, int64_t n, int64_t c, int64_t in_h,
                                      int64_t in_w, int64_t out_h, int64_t out_w, int32_t mode, int32_t padding,
                                      int32_t align_corners, int64_t row_begin, int64_t row_end) {
    stn_gs a = {input, NULL, grad_output, NULL, grad_input, NULL, n, c, 1, in_h, in_w, 1, out_h, out_w,
                mode, padding, align_corners, row_begin, row_end, 0, 0, 0, 0, theta, NULL, NULL, theta_rows, NULL};
    return fused(isa, &a, 1, 0);
}

int32_t stn_affine_sample_2d_backward_band(int32_t isa, const float *grad_output, const float *input,
                                           const float *theta, float *grad_input, int64_t n, int64_t c, int64_t in_h,
                                           int64_t in_w, int64_t out_h, int64_t out_w, int32_t mode, int32_t padding,
                                           int32_t align_corners, int64_t band_begin, int64_t band_end) {
    stn_gs a = {input, NULL, grad_output, NULL, grad_input, NULL, n, c, 1, in_h, in_w, 1, out_h, out_w,
                mode, padding, align_corners, 0, out_h, 0, band_begin, band_end, 0, theta, NULL, NULL, NULL, NULL};
    return fused(isa, &a, 1, 1);
}

int32_t stn_affine_sample_2d_theta(const float *theta_rows, float *grad_theta, int64_t n, int64_t out_h,
                                   int32_t align_corners) {
    const int64_t dims[] = {n, out_h, 4};
    if (!dims_ok(3, dims) || !bool_ok(align_corners)) return STN_E_ARG;
    if (n > 0 && (grad_theta == NULL || (out_h > 0 && theta_rows == NULL))) return STN_E_ARG;
    for (int64_t s = 0; s < n; s++) {
        double acc[6] = {0, 0, 0, 0, 0, 0};
        for (int64_t h = 0; h < out_h; h++) {
            const float *r = theta_rows + (s * out_h + h) * 4;
            stn_affine_row_to_theta(acc, stn_base_coord(h, out_h, align_corners), r[0], r[1], r[2], r[3]);
        }
        for (int k = 0; k < 6; k++) grad_theta[s * 6 + k] = (float)acc[k];
    }
    return STN_OK;
}

/* ---- dense kernels of the nn layers ---- */

int32_t stn_sgemm(int32_t isa, int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k, const float *a,
                  int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc, int32_t accumulate) {
    const int64_t dims[] = {m, n, k};
    if (!dims_ok(3, dims) || !bool_ok(trans_a) || !bool_ok(trans_b) || !bool_ok(accumulate)) return STN_E_ARG;
    /* each matrix's rows fit its leading dimension, and its last element's offset fits in int64 */
    const int64_t a_rows = trans_a ? k : m, a_cols = trans_a ? m : k;
    const int64_t b_rows = trans_b ? n : k, b_cols = trans_b ? k : n;
    const int64_t lead[][3] = {{a_rows, a_cols, lda}, {b_rows, b_cols, ldb}, {m, n, ldc}};
    for (int i = 0; i < 3; i++) {
        if (lead[i][2] < lead[i][1] || lead[i][2] < 1) return STN_E_ARG;
        const int64_t span[] = {lead[i][0], lead[i][2]};
        if (!dims_ok(2, span)) return STN_E_ARG;
    }
    const stn_kernels *kt = kernels_of(isa);
    if (kt == NULL) return STN_E_ISA;
    if (m == 0 || n == 0) return STN_OK;
    if (c == NULL || (k > 0 && (a == NULL || b == NULL))) return STN_E_ARG;
    const stn_gemm g = {a, b, c, m, n, k, lda, ldb, ldc, trans_a, trans_b, accumulate, NULL};
    stn_run_gemm(kt, &g);
    return STN_OK;
}

/* Fills a's sizes; 0 if they are not a valid convolution (or do not fit). */
static int conv_ok(stn_conv *a, int64_t n) {
    const int64_t in[] = {n, a->c, a->h, a->wd};
    const int64_t wt[] = {a->o, a->c, a->k, a->k};
    if (!dims_ok(4, in) || !dims_ok(4, wt) || a->k < 1 || a->pad < 0 || a->pad > INT32_MAX) return 0;
    if (a->h > INT64_MAX / 4 || a->wd > INT64_MAX / 4) return 0;
    a->oh = a->h + 2 * a->pad - a->k + 1;
    a->ow = a->wd + 2 * a->pad - a->k + 1;
    const int64_t out[] = {n, a->o, a->oh > 0 ? a->oh : 0, a->ow > 0 ? a->ow : 0};
    const int64_t col[] = {a->c, a->k, a->k, a->oh > 0 ? a->oh : 0, a->ow > 0 ? a->ow : 0};
    const int64_t hp = a->h + 2 * a->pad, wp = a->wd + 2 * a->pad;
    const int64_t padded[] = {a->c + a->o + 1, hp + a->k, wp + a->k};
    return a->oh > 0 && a->ow > 0 && dims_ok(4, out) && dims_ok(5, col) && dims_ok(3, padded) && a->n_begin >= 0 &&
           a->n_begin <= a->n_end && a->n_end <= n;
}

int64_t stn_conv2d_scratch(int64_t c, int64_t h, int64_t w, int64_t o, int64_t k, int64_t pad) {
    stn_conv a = {.c = c, .h = h, .wd = w, .o = o, .k = k, .pad = pad};
    if (!conv_ok(&a, 1)) return -1;
    return stn_conv2d_scratch_impl(c, h, w, o, k, pad);
}

int32_t stn_conv2d_forward(int32_t isa, const float *x, const float *weight, const float *bias, float *y, float *col,
                           int64_t n, int64_t c, int64_t h, int64_t w, int64_t o, int64_t k, int64_t pad,
                           int32_t relu, int64_t n_begin, int64_t n_end) {
    stn_conv a = {.x = x, .w = weight, .b = bias, .y = y, .col = col, .c = c, .h = h, .wd = w, .o = o, .k = k,
                  .pad = pad, .relu = relu, .n_begin = n_begin, .n_end = n_end};
    if (!conv_ok(&a, n) || !bool_ok(relu)) return STN_E_ARG;
    const stn_kernels *kt = kernels_of(isa);
    if (kt == NULL) return STN_E_ISA;
    if (n_begin == n_end || o == 0) return STN_OK;
    if (y == NULL || x == NULL || weight == NULL || col == NULL) return STN_E_ARG;
    stn_conv2d_forward_impl(kt, &a);
    return STN_OK;
}

int32_t stn_conv2d_backward_input(int32_t isa, const float *grad_y, const float *relu_y, const float *weight,
                                  float *grad_x, float *col, int64_t n, int64_t c, int64_t h, int64_t w, int64_t o,
                                  int64_t k, int64_t pad, int64_t n_begin, int64_t n_end) {
    stn_conv a = {.w = weight, .gy = grad_y, .ry = relu_y, .gx = grad_x, .col = col, .c = c, .h = h, .wd = w,
                  .o = o, .k = k, .pad = pad, .n_begin = n_begin, .n_end = n_end};
    if (!conv_ok(&a, n) || pad >= k) return STN_E_ARG;
    const stn_kernels *kt = kernels_of(isa);
    if (kt == NULL) return STN_E_ISA;
    if (n_begin == n_end || c == 0) return STN_OK;
    if (grad_x == NULL || (o > 0 && (grad_y == NULL || weight == NULL || col == NULL))) return STN_E_ARG;
    if (o == 0) {
        memset(grad_x + n_begin * c * h * w, 0, (size_t)((n_end - n_begin) * c * h * w) * sizeof(float));
        return STN_OK;
    }
    stn_conv2d_backward_input_impl(kt, &a);
    return STN_OK;
}

int32_t stn_conv2d_backward_weight(int32_t isa, const float *grad_y, const float *relu_y, const float *x,
                                   float *grad_weight, float *grad_bias, float *col, int64_t n, int64_t c, int64_t h,
                                   int64_t w, int64_t o, int64_t k, int64_t pad, int32_t accumulate, int64_t n_begin,
                                   int64_t n_end) {
    stn_conv a = {.x = x, .gy = grad_y, .ry = relu_y, .gw = grad_weight, .gb = grad_bias, .col = col, .c = c,
                  .h = h, .wd = w, .o = o, .k = k, .pad = pad, .accumulate = accumulate, .n_begin = n_begin,
                  .n_end = n_end};
    if (!conv_ok(&a, n) || !bool_ok(accumulate)) return STN_E_ARG;
    const stn_kernels *kt = kernels_of(isa);
    if (kt == NULL) return STN_E_ISA;
    if (o == 0) return STN_OK;
    if (grad_weight == NULL && c > 0) return STN_E_ARG;
    if (n_begin == n_end) {
        /* no sample: an empty sum */
        if (!accumulate) {
            if (c > 0) memset(grad_weight, 0, (size_t)(o * c * k * k) * sizeof(float));
            if (grad_bias) memset(grad_bias, 0, (size_t)o * sizeof(float));
        }
        return STN_OK;
    }
    if (grad_y == NULL || col == NULL || (c > 0 && x == NULL)) return STN_E_ARG;
    stn_conv2d_backward_weight_impl(kt, &a);
    return STN_OK;
}

static int pool_ok(int64_t planes, int64_t h, int64_t w, int64_t k, int64_t p_begin, int64_t p_end) {
    const int64_t dims[] = {planes, h, w};
    return dims_ok(3, dims) && k >= 1 && h < INT32_MAX && w < INT32_MAX && h * w <= INT32_MAX && p_begin >= 0 &&
           p_begin <= p_end && p_end <= planes;
}

int32_t stn_max_pool2d(int32_t isa, const float *x, float *y, int32_t *arg, int64_t planes, int64_t h, int64_t w,
                       int64_t k, int64_t p_begin, int64_t p_end) {
    if (!pool_ok(planes, h, w, k, p_begin, p_end)) return STN_E_ARG;
    if (kernels_of(isa) == NULL) return STN_E_ISA;
    if (p_begin == p_end || h / k == 0 || w / k == 0) return STN_OK;
    if (x == NULL || y == NULL || arg == NULL) return STN_E_ARG;
    stn_max_pool2d_impl(x, y, arg, h, w, k, p_begin, p_end);
    return STN_OK;
}

int32_t stn_max_pool2d_backward(int32_t isa, const float *grad_y, const int32_t *arg, float *grad_x, int64_t planes,
                                int64_t h, int64_t w, int64_t k, int64_t p_begin, int64_t p_end) {
    if (!pool_ok(planes, h, w, k, p_begin, p_end)) return STN_E_ARG;
    if (kernels_of(isa) == NULL) return STN_E_ISA;
    if (p_begin == p_end || h == 0 || w == 0) return STN_OK;
    if (grad_x == NULL || (h / k > 0 && w / k > 0 && (grad_y == NULL || arg == NULL))) return STN_E_ARG;
    stn_max_pool2d_backward_impl(grad_y, arg, grad_x, h, w, k, p_begin, p_end);
    return STN_OK;
}
