/*
 * The exported API: argument checks, CPU detection, the STN4J_MAX_ISA cap, and dispatch to the per-ISA kernels.
 *
 * NOTE: every stn_* entry point validates sizes, modes and ranges and returns STN_E_ARG before touching memory,
 * and STN_E_ISA for an ISA this CPU or build lacks. The active ISA (used for STN_ISA_AUTO) is computed once;
 * concurrent first calls may both compute it, and they compute the same value, so a relaxed atomic suffices.
 */
#include <stdlib.h>
#include <string.h>

#include "stn_internal.h"

#ifndef STN4J_VERSION
#define STN4J_VERSION "0.0.0-dev"
#endif

#if defined(__x86_64__) || defined(_M_X64)
#  define STN_X86 1
#endif

/* Set by CMake when the AVX2 kernels are compiled into this build. */
#ifndef STN_HAVE_AVX2
#define STN_HAVE_AVX2 0
#endif

const char *stn_version(void) { return STN4J_VERSION; }

static int cpu_has_avx2_fma(void) {
#if STN_HAVE_AVX2 && STN_X86 && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

int32_t stn_isa_supported(int32_t isa) {
    switch (isa) {
    case STN_ISA_AUTO:
    case STN_ISA_SCALAR: return 1;
    case STN_ISA_AVX2: return cpu_has_avx2_fma();
    default: return 0;
    }
}

const char *stn_isa_name(int32_t isa) {
    switch (isa) {
    case STN_ISA_AUTO: return "auto";
    case STN_ISA_SCALAR: return "scalar";
    case STN_ISA_AVX2: return "avx2";
    default: return "unknown";
    }
}

static int32_t isa_from_name(const char *s) {
    if (s == NULL || *s == '\0') return STN_ISA_AVX2 + 1000; /* no cap */
    if (strcmp(s, "scalar") == 0) return STN_ISA_SCALAR;
    if (strcmp(s, "avx2") == 0) return STN_ISA_AVX2;
    return STN_ISA_AVX2 + 1000; /* unknown names do not cap: the Java layer reports them */
}

static volatile int32_t active_isa = 0; /* 0: not computed yet */

int32_t stn_active_isa(void) {
    int32_t isa = active_isa;
    if (isa != 0) return isa;
    const int32_t cap = isa_from_name(getenv("STN4J_MAX_ISA"));
    isa = STN_ISA_SCALAR;
    if (cap >= STN_ISA_AVX2 && stn_isa_supported(STN_ISA_AVX2)) isa = STN_ISA_AVX2;
    active_isa = isa;
    return isa;
}

/* Resolves `isa` to a concrete supported tier, or returns STN_E_ISA. */
static int32_t resolve(int32_t isa) {
    if (isa == STN_ISA_AUTO) return stn_active_isa();
    return stn_isa_supported(isa) && isa != STN_ISA_AUTO ? isa : STN_E_ISA;
}

/* a * b <= limit for non-negative a, b, without overflow. */
static int mul_ok(int64_t a, int64_t b, int64_t limit) { return a == 0 || b <= limit / a; }

/* Elements of a contiguous tensor of these dims, or -1 if the count (in bytes) would overflow int64. */
static int64_t numel(int count, const int64_t *dims) {
    const int64_t limit = INT64_MAX / 16;
    int64_t total = 1;
    for (int i = 0; i < count; i++) {
        if (dims[i] < 0 || !mul_ok(total, dims[i], limit)) return -1;
        total *= dims[i];
    }
    return total;
}

static int bool_ok(int32_t b) { return b == 0 || b == 1; }

int32_t stn_affine_grid_2d(int32_t isa, const float *theta, float *grid, int64_t n, int64_t h, int64_t w,
                           int32_t align_corners, int64_t row_begin, int64_t row_end) {
    const int64_t dims[] = {n, h, w, 2};
    if (numel(4, dims) < 0 || !bool_ok(align_corners) || row_begin < 0 || row_begin > row_end || row_end > h)
        return STN_E_ARG;
    if (n > 0 && h > 0 && w > 0 && (theta == NULL || grid == NULL)) return STN_E_ARG;
    const int32_t r = resolve(isa);
    if (r < 0) return r;
    if (n == 0 || w == 0 || row_begin == row_end) return STN_OK;
    stn_ag2d a = {theta, NULL, grid, NULL, n, h, w, align_corners, row_begin, row_end};
    if (r == STN_ISA_AVX2) stn_affine_grid_2d_avx2(&a);
    else stn_affine_grid_2d_scalar(&a);
    return STN_OK;
}

int32_t stn_affine_grid_2d_backward(int32_t isa, const float *grad_grid, float *grad_theta, int64_t n, int64_t h,
                                    int64_t w, int32_t align_corners) {
    const int64_t dims[] = {n, h, w, 2};
    if (numel(4, dims) < 0 || !bool_ok(align_corners)) return STN_E_ARG;
    if (n > 0 && (grad_theta == NULL || (h > 0 && w > 0 && grad_grid == NULL))) return STN_E_ARG;
    const int32_t r = resolve(isa);
    if (r < 0) return r;
    if (n == 0) return STN_OK;
    if (h == 0 || w == 0) {
        memset(grad_theta, 0, (size_t)n * 6 * sizeof(float));
        return STN_OK;
    }
    stn_ag2d a = {NULL, grad_grid, NULL, grad_theta, n, h, w, align_corners, 0, h};
    if (r == STN_ISA_AVX2) stn_affine_grid_2d_backward_avx2(&a);
    else stn_affine_grid_2d_backward_scalar(&a);
    return STN_OK;
}

static int gs_args_ok(int64_t n, int64_t c, int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w, int32_t mode,
                      int32_t padding, int32_t align_corners, int64_t row_begin, int64_t row_end) {
    const int64_t in_dims[] = {n, c, in_h, in_w}, out_dims[] = {n, c, out_h, out_w}, grid_dims[] = {n, out_h, out_w, 2};
    /* (in_h + 3) * (in_w + 3) is formed by the kernels: keep each axis far from overflow too. */
    const int64_t axis_limit = INT64_C(1) << 31;
    return numel(4, in_dims) >= 0 && numel(4, out_dims) >= 0 && numel(4, grid_dims) >= 0 && in_h < axis_limit &&
           in_w < axis_limit && mode == STN_MODE_BILINEAR && padding >= STN_PADDING_ZEROS &&
           padding <= STN_PADDING_REFLECTION && bool_ok(align_corners) && row_begin >= 0 && row_begin <= row_end &&
           row_end <= out_h;
}

int32_t stn_grid_sample_2d(int32_t isa, const float *input, const float *grid, float *output, int64_t n, int64_t c,
                           int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w, int32_t mode, int32_t padding,
                           int32_t align_corners, int64_t row_begin, int64_t row_end) {
    if (!gs_args_ok(n, c, in_h, in_w, out_h, out_w, mode, padding, align_corners, row_begin, row_end))
        return STN_E_ARG;
    const int work = n > 0 && c > 0 && out_w > 0 && row_begin < row_end;
    if (work && (grid == NULL || output == NULL)) return STN_E_ARG;
    const int32_t r = resolve(isa);
    if (r < 0) return r;
    if (!work) return STN_OK;
    if (in_h == 0 || in_w == 0) {
        /* An empty input plane: every tap is outside, so the output is zero (zeros-padding semantics). */
        for (int64_t i = 0; i < n * c; i++)
            memset(output + (i * out_h + row_begin) * out_w, 0,
                   (size_t)((row_end - row_begin) * out_w) * sizeof(float));
        return STN_OK;
    }
    if (input == NULL) return STN_E_ARG;
    stn_gs2d a = {input, grid, NULL, output, NULL, NULL, n, c, in_h, in_w, out_h, out_w,
                  mode, padding, align_corners, row_begin, row_end};
    if (r == STN_ISA_AVX2) stn_grid_sample_2d_avx2(&a);
    else stn_grid_sample_2d_scalar(&a);
    return STN_OK;
}

int32_t stn_grid_sample_2d_backward(int32_t isa, const float *grad_output, const float *input, const float *grid,
                                    float *grad_input, float *grad_grid, int64_t n, int64_t c, int64_t in_h,
                                    int64_t in_w, int64_t out_h, int64_t out_w, int32_t mode, int32_t padding,
                                    int32_t align_corners, int64_t row_begin, int64_t row_end) {
    if (!gs_args_ok(n, c, in_h, in_w, out_h, out_w, mode, padding, align_corners, row_begin, row_end))
        return STN_E_ARG;
    const int rows = n > 0 && out_w > 0 && row_begin < row_end;
    if (rows && grid == NULL) return STN_E_ARG;
    const int32_t r = resolve(isa);
    if (r < 0) return r;
    if (!rows) return STN_OK;
    if (c == 0 || in_h == 0 || in_w == 0) {
        /* Nothing is read, so nothing flows back: grad_input gets no contribution, grad_grid is zero. */
        if (grad_grid)
            for (int64_t i = 0; i < n; i++)
                memset(grad_grid + (i * out_h + row_begin) * out_w * 2, 0,
                       (size_t)((row_end - row_begin) * out_w * 2) * sizeof(float));
        return STN_OK;
    }
    if (grad_input == NULL && grad_grid == NULL) return STN_OK;
    if (grad_output == NULL || input == NULL) return STN_E_ARG;
    stn_gs2d a = {input, grid, grad_output, NULL, grad_input, grad_grid, n, c, in_h, in_w, out_h, out_w,
                  mode, padding, align_corners, row_begin, row_end};
    if (r == STN_ISA_AVX2) stn_grid_sample_2d_backward_avx2(&a);
    else stn_grid_sample_2d_backward_scalar(&a);
    return STN_OK;
}
