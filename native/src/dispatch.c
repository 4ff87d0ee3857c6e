/*
 * The exported API: argument checks, CPU detection, the STN4J_MAX_ISA cap, and dispatch to the per-ISA kernels.
 *
 * NOTE: every stn_* entry point validates sizes, modes and ranges and returns STN_E_ARG before touching memory,
 * and STN_E_ISA for an ISA this CPU or build lacks. The active ISA (used for STN_ISA_AUTO) is computed once;
 * concurrent first calls may both compute it, and they compute the same value. Each entry point calls its ISA's
 * kernel table (stn_kernels): every 2-D kernel has vector versions, the 3-D ones are the portable kernels in every
 * table.
 */
#include <stdlib.h>
#include <string.h>

#include "stn_internal.h"

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

int32_t stn_isa_supported(int32_t isa) {
    switch (isa) {
    case STN_ISA_AUTO:
    case STN_ISA_SCALAR: return 1;
    case STN_ISA_AVX2:
    case STN_ISA_AVX512:
    case STN_ISA_NEON: return cpu_has(isa);
    default: return 0;
    }
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

static volatile int32_t active_isa = 0; /* 0: not computed yet */

int32_t stn_active_isa(void) {
    int32_t isa = active_isa;
    if (isa != 0) return isa;
    const int32_t cap = cap_from_env();
    isa = STN_ISA_SCALAR;
    for (int32_t k = STN_ISA_SCALAR; k <= cap; k++)
        if (stn_isa_supported(k)) isa = k;
    active_isa = isa;
    return isa;
}

/* The kernel table of `isa` (resolving AUTO), or NULL if unsupported. */
static const stn_kernels *kernels_of(int32_t isa) {
    if (isa == STN_ISA_AUTO) isa = stn_active_isa();
    if (!stn_isa_supported(isa)) return NULL;
    switch (isa) {
#if STN_HAVE_AVX2
    case STN_ISA_AVX2: return &stn_kernels_avx2;
#endif
#if STN_HAVE_AVX512
    case STN_ISA_AVX512: return &stn_kernels_avx512;
#endif
#if STN_HAVE_NEON
    case STN_ISA_NEON: return &stn_kernels_neon;
#endif
    default: return &stn_kernels_scalar;
    }
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

static int32_t sample(int32_t isa, stn_gs *a, int three_d) {
    if (!gs_args_ok(a, three_d)) return STN_E_ARG;
    const int work = a->n > 0 && a->c > 0 && a->out_w > 0 && a->row_begin < a->row_end;
    if (work && (a->grid == NULL || a->output == NULL)) return STN_E_ARG;
    const stn_kernels *k = kernels_of(isa);
    if (k == NULL) return STN_E_ISA;
    if (!work) return STN_OK;
    if (a->in_d == 0 || a->in_h == 0 || a->in_w == 0) {
        /* An empty input: every tap is outside, so the output is zero (zeros-padding semantics). */
        zero_rows(a->output, a->n * a->c, a->out_d * a->out_h, a->out_w, a->row_begin, a->row_end);
        return STN_OK;
    }
    if (a->input == NULL) return STN_E_ARG;
    (three_d ? k->grid_sample_3d : k->grid_sample_2d)(a);
    return STN_OK;
}

static int32_t sample_backward(int32_t isa, stn_gs *a, int three_d) {
    if (!gs_args_ok(a, three_d)) return STN_E_ARG;
    const int rows = a->n > 0 && a->out_w > 0 && a->row_begin < a->row_end;
    if (rows && a->grid == NULL) return STN_E_ARG;
    const stn_kernels *k = kernels_of(isa);
    if (k == NULL) return STN_E_ISA;
    if (!rows) return STN_OK;
    const int64_t comps = three_d ? 3 : 2;
    if (a->c == 0 || a->in_d == 0 || a->in_h == 0 || a->in_w == 0) {
        /* Nothing is read, so nothing flows back: grad_input gets no contribution, grad_grid is zero. */
        if (a->grad_grid) zero_rows(a->grad_grid, a->n, a->out_d * a->out_h, a->out_w * comps, a->row_begin, a->row_end);
        return STN_OK;
    }
    if (a->grad_input == NULL && a->grad_grid == NULL) return STN_OK;
    if (a->grad_output == NULL || a->input == NULL) return STN_E_ARG;
    (three_d ? k->grid_sample_3d_backward : k->grid_sample_2d_backward)(a);
    return STN_OK;
}

int32_t stn_grid_sample_2d(int32_t isa, const float *input, const float *grid, float *output, int64_t n, int64_t c,
                           int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w, int32_t mode, int32_t padding,
                           int32_t align_corners, int64_t row_begin, int64_t row_end) {
    stn_gs a = {input, grid, NULL, output, NULL, NULL, n, c, 1, in_h, in_w, 1, out_h, out_w,
                mode, padding, align_corners, row_begin, row_end};
    return sample(isa, &a, 0);
}

int32_t stn_grid_sample_2d_backward(int32_t isa, const float *grad_output, const float *input, const float *grid,
                                    float *grad_input, float *grad_grid, int64_t n, int64_t c, int64_t in_h,
                                    int64_t in_w, int64_t out_h, int64_t out_w, int32_t mode, int32_t padding,
                                    int32_t align_corners, int64_t row_begin, int64_t row_end) {
    stn_gs a = {input, grid, grad_output, NULL, grad_input, grad_grid, n, c, 1, in_h, in_w, 1, out_h, out_w,
                mode, padding, align_corners, row_begin, row_end};
    return sample_backward(isa, &a, 0);
}

int32_t stn_grid_sample_3d(int32_t isa, const float *input, const float *grid, float *output, int64_t n, int64_t c,
                           int64_t in_d, int64_t in_h, int64_t in_w, int64_t out_d, int64_t out_h, int64_t out_w,
                           int32_t mode, int32_t padding, int32_t align_corners, int64_t row_begin, int64_t row_end) {
    stn_gs a = {input, grid, NULL, output, NULL, NULL, n, c, in_d, in_h, in_w, out_d, out_h, out_w,
                mode, padding, align_corners, row_begin, row_end};
    return sample(isa, &a, 1);
}

int32_t stn_grid_sample_3d_backward(int32_t isa, const float *grad_output, const float *input, const float *grid,
                                    float *grad_input, float *grad_grid, int64_t n, int64_t c, int64_t in_d,
                                    int64_t in_h, int64_t in_w, int64_t out_d, int64_t out_h, int64_t out_w,
                                    int32_t mode, int32_t padding, int32_t align_corners, int64_t row_begin,
                                    int64_t row_end) {
    stn_gs a = {input, grid, grad_output, NULL, grad_input, grad_grid, n, c, in_d, in_h, in_w, out_d, out_h, out_w,
                mode, padding, align_corners, row_begin, row_end};
    return sample_backward(isa, &a, 1);
}
