/*
 * Internal declarations shared by the dispatcher and the per-ISA kernel files. Nothing here is exported.
 *
 * NOTE: the coordinate pipeline, per axis (PyTorch's grid_sampler_compute_source_index plus stn4j's rule for
 * non-finite values; io.github.stn4j.internal.Coords is the same in Java, operation for operation)
 *   1. sanitise   : a NaN grid value is read as -1 (PyTorch's documented rule).
 *   2. unnormalise: [-1, 1] -> pixels. align_corners: (g + 1) * (size - 1) / 2 (corner pixel centres at -1/+1);
 *                   otherwise (g + 1) * size / 2 - 0.5 (image edges at -1/+1). d(pixel)/d(g) is the scale.
 *   3. far clamp  : pixels beyond +-2^22 (+-Inf, +-1e30) are clamped there with gradient 0; Inf * 0 (a 1-pixel
 *                   axis with align_corners) is pixel 0. Float32 has no sub-pixel resolution that far out, and the
 *                   clamp keeps reflection's fold below exact for every backend.
 *   4. pad        : zeros leaves the point alone (taps outside read 0); border clips to [0, size-1] with gradient 0
 *                   where clipped (an exact edge counts as clipped, like PyTorch); reflection folds the point back
 *                   over the edges (align_corners: the corner pixel centres; otherwise the image edges), each fold
 *                   flipping the gradient's sign, then clips like border.
 *   5. safety     : clamp to [-2, size + 1]. For zeros padding this changes no result (every tap there is outside)
 *                   but keeps every tap index small enough for 32-bit gather offsets.
 * Bilinear taps are x0 = floor(x) and x0 + 1; nearest is nearbyint(x) (half to even); bicubic takes steps 1-3 for
 * the point, then pads each of its taps floor(x) - 1 .. floor(x) + 2. A tap outside [0, size) reads 0.
 */
#ifndef STN_INTERNAL_H
#define STN_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stn.h"

#if defined(__GNUC__)
#  define STN_INLINE static inline __attribute__((always_inline))
#else
#  define STN_INLINE static inline
#endif

#define STN_FAR 4194304.0f /* 2^22 */

/* The arguments of one grid-sample call after validation (2-D: d = 1 everywhere). */
typedef struct stn_gs {
    const float *input, *grid, *grad_output;
    float *output, *grad_input, *grad_grid;
    int64_t n, c, in_d, in_h, in_w, out_d, out_h, out_w;
    int32_t mode, padding, align_corners;
    int64_t row_begin, row_end; /* rows of out_d * out_h */
    int32_t fresh; /* backward: STN_BACKWARD_FRESH was given (grad_input is overwritten; every row is asked for) */
    /* backward, 2-D: grad_input receives only the taps whose input row is in [band_begin, band_end), and only those
     * rows are touched (stn_grid_sample_2d_backward_band). The dispatcher sets [0, in_h) for the other calls, and runs
     * a banded call's grid gradient as a call of its own: a kernel sees a band only with grad_grid NULL. */
    int64_t band_begin, band_end;
    int32_t banded; /* band_begin > 0 || band_end < in_h */
    /* Fused affine sampling (stn_affine_sample_2d*, 2-D NCHW): grid is NULL and the grid is theta's [n, 2, 3] affine
     * grid, computed a tile at a time (stn_affine_points; base_x, base_y: stn_base_coords of out_w, out_h). The
     * backward stores no grid gradient: its terms go into the lanes of their row (row_lanes, STN_ROW_LANES floats per
     * row of the call, zeroed; stn_affine_fold), and each row's four sums into theta_rows [n, out_h, 4]
     * (stn_affine_rows_done), in the order of the affine grid backward. theta_rows NULL: no theta gradient. */
    const float *theta, *base_x, *base_y;
    float *theta_rows, *row_lanes;
} stn_gs;

/* Kernels that accumulate into grad_input call this first: with STN_BACKWARD_FRESH, it zeroes grad_input (a banded
 * call: the band's rows of every plane). */
STN_INLINE void stn_fresh_grad_input(const stn_gs *a, int nhwc) {
    if (!a->fresh || !a->grad_input) return;
    if (!a->banded) {
        memset(a->grad_input, 0, (size_t)(a->n * a->c * a->in_d * a->in_h * a->in_w) * sizeof(float));
        return;
    }
    /* NCHW: n * c planes of in_h rows of in_w; NHWC: n planes of in_h rows of in_w * c */
    const int64_t planes = nhwc ? a->n : a->n * a->c, row = nhwc ? a->in_w * a->c : a->in_w;
    for (int64_t p = 0; p < planes; p++)
        memset(a->grad_input + (p * a->in_h + a->band_begin) * row, 0,
               (size_t)((a->band_end - a->band_begin) * row) * sizeof(float));
}

typedef struct stn_ag {
    const float *theta, *grad_grid;
    float *grid, *grad_theta;
    int64_t n, d, h, w; /* d = 1 for 2-D */
    int32_t align_corners;
    int64_t row_begin, row_end; /* rows of d * h */
} stn_ag;

/* One dense product C = (accumulate ? C : 0) + op(A) . op(B), row-major with leading dimensions (see stn_sgemm). */
typedef struct stn_gemm {
    const float *a, *b;
    float *c;
    int64_t m, n, k, lda, ldb, ldc;
    int32_t trans_a, trans_b, accumulate;
    const int64_t *b_rows; /* if not NULL, stored row r of b starts at b + b_rows[r] (ldb unused): an implicit matrix */
} stn_gemm;

/* The start of stored row r of g's B. */
STN_INLINE const float *stn_b_row(const stn_gemm *g, int64_t r) {
    return g->b_rows ? g->b + g->b_rows[r] : g->b + r * g->ldb;
}

/* One ISA's kernels, every entry point the dispatcher calls (every mode of each); the 3-D entries are the portable
 * kernels in every ISA so far. */
typedef struct stn_kernels {
    void (*affine_grid_2d)(const stn_ag *a);
    void (*affine_grid_2d_backward)(const stn_ag *a);
    void (*grid_sample_2d)(const stn_gs *a);
    void (*grid_sample_2d_backward)(const stn_gs *a);
    void (*affine_grid_3d)(const stn_ag *a);
    void (*affine_grid_3d_backward)(const stn_ag *a);
    void (*grid_sample_3d)(const stn_gs *a);
    void (*grid_sample_3d_backward)(const stn_gs *a);
    void (*sgemm)(const stn_gemm *g); /* k >= 1; the dispatcher handles k == 0 */
    /* channels-last 2-D sampling (kernels_nhwc.inc): input [N, H, W, C], output and grad_output [N, Ho, Wo, C] */
    void (*grid_sample_2d_nhwc)(const stn_gs *a);
    void (*grid_sample_2d_nhwc_backward)(const stn_gs *a);
} stn_kernels;

extern const stn_kernels stn_kernels_scalar;
extern const stn_kernels stn_kernels_avx2;
extern const stn_kernels stn_kernels_avx512;
extern const stn_kernels stn_kernels_neon;

/* Scalar kernels (the reference). */
void stn_affine_grid_2d_scalar(const stn_ag *a);
void stn_affine_grid_2d_backward_scalar(const stn_ag *a);
void stn_grid_sample_2d_scalar(const stn_gs *a);
void stn_grid_sample_2d_backward_scalar(const stn_gs *a);
void stn_bicubic_point(const stn_gs *a, const float *in_n, float *out_n, const float *gout_n, float *gin_n,
                       int64_t out_plane, int64_t out_off, float gx, float gy, int64_t c0, int64_t c1, float *ggx,
                       float *ggy);
void stn_affine_grid_3d_scalar(const stn_ag *a);
void stn_affine_grid_3d_backward_scalar(const stn_ag *a);
void stn_grid_sample_3d_scalar(const stn_gs *a);
void stn_grid_sample_3d_backward_scalar(const stn_gs *a);
void stn_sgemm_scalar(const stn_gemm *g);
/* A kernel's workspace, 64-byte aligned, kept between calls (memory.c); NULL when there is no memory. */
void *stn_scratch_take(int64_t bytes);
void stn_scratch_give(void *p);

/* Runs g on kernels kt, including the empty cases the kernels leave out (m, n or k zero). */
STN_INLINE void stn_run_gemm(const stn_kernels *kt, const stn_gemm *g) {
    if (g->m == 0 || g->n == 0) return;
    if (g->k == 0) {
        if (!g->accumulate)
            for (int64_t i = 0; i < g->m; i++) memset(g->c + i * g->ldc, 0, (size_t)g->n * sizeof(float));
        return;
    }
    kt->sgemm(g);
}

/* The convolutions of dense.c, on one ISA's products (dispatch.c validates their arguments). */
typedef struct stn_conv {
    const float *x, *w, *b, *gy;
    const float *ry; /* backward of a fused ReLU: its output (grad_y counts where ry > 0), else NULL */
    float *y, *gx, *gw, *gb, *col;
    int64_t c, h, wd, o, k, pad, oh, ow;
    int32_t relu, accumulate;
    int64_t n_begin, n_end;
} stn_conv;
int64_t stn_conv2d_scratch_impl(int64_t c, int64_t h, int64_t w, int64_t o, int64_t k, int64_t pad);
void stn_conv2d_forward_impl(const stn_kernels *k, const stn_conv *a);
void stn_conv2d_backward_input_impl(const stn_kernels *k, const stn_conv *a);
void stn_conv2d_backward_weight_impl(const stn_kernels *k, const stn_conv *a);
void stn_max_pool2d_impl(const float *x, float *y, int32_t *arg, int64_t h, int64_t w, int64_t k, int64_t p_begin,
                         int64_t p_end);
void stn_max_pool2d_backward_impl(const float *gy, const int32_t *arg, float *gx, int64_t h, int64_t w, int64_t k,
                                  int64_t p_begin, int64_t p_end);

/* ---- helpers shared by every ISA (the vector kernels use them for their scalar tails) ---- */

/* torch.linspace(-1, 1, steps)[i], scaled by (steps - 1) / steps when !align_corners, as affine_grid builds
 * its base grid. linspace fills the first half from the start and the second half from the end. */
STN_INLINE float stn_base_coord(int64_t i, int64_t steps, int32_t align_corners) {
    if (steps <= 1) return 0.0f;
    const float step = 2.0f / (float)(steps - 1);
    const int64_t halfway = steps / 2;
    float v = i < halfway ? -1.0f + step * (float)i : 1.0f - step * (float)(steps - i - 1);
    if (!align_corners) v = v * ((float)(steps - 1) / (float)steps);
    return v;
}

/* stn_base_coord of columns 0 .. w-1 in a malloc'd array (the caller frees it), or NULL without memory. The affine
 * grid kernels read it instead of calling stn_base_coord per element, which kept loops from vectorising. */
STN_INLINE float *stn_base_coords(int64_t w, int32_t align_corners) {
    float *bx = (float *)malloc((size_t)(w > 0 ? w : 1) * sizeof(float));
    if (bx) for (int64_t i = 0; i < w; i++) bx[i] = stn_base_coord(i, w, align_corners);
    return bx;
}

/* The affine grid backward's fixed summation order (io.github.stn4j.internal.JavaScalarKernels#sumLanes): a row's
 * first w - w % 16 terms go to 16 float lanes (term j to lane j % 16, in order), the lanes are added by halves (lane
 * i + 8 to lane i, then i + 4, i + 2, i + 1: a vector's usual reduction tree, here spelt out so that no ISA's reduce
 * instruction decides it), then the remaining terms in order. Every backend follows it, so gradients agree bitwise. */
#define STN_SUM_LANES 16
STN_INLINE float stn_sum_lanes(const float p[STN_SUM_LANES]) {
    float s[8];
    for (int i = 0; i < 8; i++) s[i] = p[i] + p[i + 8];
    for (int i = 0; i < 4; i++) s[i] = s[i] + s[i + 4];
    for (int i = 0; i < 2; i++) s[i] = s[i] + s[i + 2];
    return s[0] + s[1];
}

/* One row's share of the 2-D affine grid backward: its four float sums (sum of g_x x, g_x, g_y x, g_y in
 * stn_sum_lanes' order) added to theta's six double accumulators. Every native path to the theta gradient ends here
 * (Java: io.github.stn4j.internal.AffineRows, the same operations). */
STN_INLINE void stn_affine_row_to_theta(double acc[6], float y, float sxx, float sx1, float syx, float sy1) {
    acc[0] += sxx;
    acc[1] += (double)y * sx1;
    acc[2] += sx1;
    acc[3] += syx;
    acc[4] += (double)y * sy1;
    acc[5] += sy1;
}

/* Grid pairs of output points [p0, p0 + cnt) of sample n of a fused call, into g: the affine grid kernels' values,
 * bit for bit (the row term y * t1 + t2 once, then x * t0 + it). */
STN_INLINE void stn_affine_points(const stn_gs *a, int64_t n, int64_t p0, int64_t cnt, float *g) {
    const float *t = a->theta + n * 6;
    int64_t h = p0 / a->out_w, w = p0 % a->out_w;
    for (int64_t i = 0; i < cnt; h++, w = 0) {
        const float y = a->base_y[h], cx = y * t[1] + t[2], cy = y * t[4] + t[5];
        for (; w < a->out_w && i < cnt; w++, i++) {
            const float x = a->base_x[w];
            g[2 * i] = x * t[0] + cx;
            g[2 * i + 1] = x * t[3] + cy;
        }
    }
}

/* The grid y of output point p of sample n of a fused call (stn_affine_points' value). */
STN_INLINE float stn_affine_y(const stn_gs *a, int64_t n, int64_t p) {
    const float *t = a->theta + n * 6;
    const float y = a->base_y[p / a->out_w];
    return a->base_x[p % a->out_w] * t[3] + (y * t[4] + t[5]);
}

/* Per row of a fused backward: 4 sums x 16 lanes, then the (g_x, g_y) of the row's last w % 16 points. */
#define STN_ROW_LANES (6 * STN_SUM_LANES)

/* The grid-gradient pairs gg of output points [p0, p0 + cnt) into their rows' lanes. A row's points may come in
 * several calls (tiles, column strips), always in column order, so every lane adds its terms in the affine grid
 * backward's order. */
STN_INLINE void stn_affine_fold(const stn_gs *a, int64_t p0, int64_t cnt, const float *gg) {
    const int64_t W = a->out_w, body = W - W % STN_SUM_LANES;
    int64_t h = p0 / W, w = p0 % W;
    for (int64_t i = 0; i < cnt; h++, w = 0) {
        float *s = a->row_lanes + (h - a->row_begin) * STN_ROW_LANES;
        for (; w < W && i < cnt; w++, i++) {
            const float gx = gg[2 * i], gy = gg[2 * i + 1], x = a->base_x[w];
            if (w < body) {
                const int k = (int)(w % STN_SUM_LANES);
                s[k] += gx * x;
                s[STN_SUM_LANES + k] += gx;
                s[2 * STN_SUM_LANES + k] += gy * x;
                s[3 * STN_SUM_LANES + k] += gy;
            } else {
                s[4 * STN_SUM_LANES + 2 * (w - body)] = gx;
                s[4 * STN_SUM_LANES + 2 * (w - body) + 1] = gy;
            }
        }
    }
}

/* Sample n's rows of the call are folded: their sums into theta_rows (the lanes' tree, then the tail in order, as the
 * affine grid backward), and their lanes zeroed for the next sample. */
STN_INLINE void stn_affine_rows_done(const stn_gs *a, int64_t n) {
    const int64_t W = a->out_w, body = W - W % STN_SUM_LANES;
    for (int64_t h = a->row_begin; h < a->row_end; h++) {
        float *s = a->row_lanes + (h - a->row_begin) * STN_ROW_LANES;
        float sxx = stn_sum_lanes(s), sx1 = stn_sum_lanes(s + STN_SUM_LANES);
        float syx = stn_sum_lanes(s + 2 * STN_SUM_LANES), sy1 = stn_sum_lanes(s + 3 * STN_SUM_LANES);
        for (int64_t w = body; w < W; w++) {
            const float x = a->base_x[w], gx = s[4 * STN_SUM_LANES + 2 * (w - body)];
            const float gy = s[4 * STN_SUM_LANES + 2 * (w - body) + 1];
            sxx += gx * x;
            sx1 += gx;
            syx += gy * x;
            sy1 += gy;
        }
        float *r = a->theta_rows + (n * a->out_h + h) * 4;
        r[0] = sxx;
        r[1] = sx1;
        r[2] = syx;
        r[3] = sy1;
        memset(s, 0, STN_ROW_LANES * sizeof(float));
    }
}

/* floorf and (int64_t)nearbyintf for the coordinates of the pipeline, which are numbers well inside int64 (clamped to
 * [-2, size + 1], or below 2^23 in reflection). Where the compiler has a rounding instruction (SSE4.1, AArch64) they
 * are the libm functions, inlined. The x86-64 baseline has none, and libm calls cost the portable kernel a large share
 * of its instructions; there a truncating conversion gives the same values: x itself when integral (which keeps -0),
 * else the truncation, less one below zero. cvtss2si rounds as nearbyintf does, in the current rounding mode. */
#if defined(__x86_64__) && !defined(__SSE4_1__)
#  include <emmintrin.h>
STN_INLINE float stn_floor(float x) {
    const float t = (float)(int64_t)x;
    return t == x ? x : t > x ? t - 1.0f : t;
}
STN_INLINE int64_t stn_round_i64(float x) { return _mm_cvtss_si64(_mm_set_ss(x)); }
#else
#  define stn_floor(x) floorf(x)
#  define stn_round_i64(x) ((int64_t)nearbyintf(x))
#endif

STN_INLINE float stn_scale(int64_t size, int32_t align_corners) {
    return align_corners ? (float)(size - 1) * 0.5f : (float)size * 0.5f;
}

/* Steps 1-3; *gmult (may be NULL) receives d(result)/d(g). */
STN_INLINE float stn_unnormalize(float g, int64_t size, int32_t align_corners, float *gmult) {
    if (g != g) g = -1.0f;
    const float s = stn_scale(size, align_corners);
    float x = align_corners ? (g + 1.0f) * s : (g + 1.0f) * s - 0.5f;
    float m = s;
    if (x != x) {
        x = 0.0f;
        m = 0.0f;
    } else if (x > STN_FAR) {
        x = STN_FAR;
        m = 0.0f;
    } else if (x < -STN_FAR) {
        x = -STN_FAR;
        m = 0.0f;
    }
    if (gmult) *gmult = m;
    return x;
}

/* Step 4; multiplies *gmult (may be NULL) by the padding's derivative. */
STN_INLINE float stn_pad(float x, int64_t size, int32_t padding, int32_t align_corners, float *gmult) {
    if (padding == STN_PADDING_REFLECTION) {
        const float lo = align_corners ? 0.0f : -0.5f;
        const float span = align_corners ? (float)(size - 1) : (float)size;
        if (span <= 0.0f) {
            if (gmult) *gmult = 0.0f;
            return 0.0f;
        }
        float d = x - lo;
        if (d < 0.0f) {
            d = -d;
            if (gmult) *gmult = -*gmult;
        }
        const float flips = stn_floor(d / span);
        const float extra = d - flips * span;
        /* flips is integral; flips / 2 is integral iff flips is even */
        const float half = flips * 0.5f;
        if (half != stn_floor(half)) {
            x = span - extra + lo;
            if (gmult) *gmult = -*gmult;
        } else {
            x = extra + lo;
        }
    }
    if (padding != STN_PADDING_ZEROS) {
        const float hi = (float)(size - 1);
        if (x <= 0.0f) {
            x = 0.0f;
            if (gmult) *gmult = 0.0f;
        } else if (x >= hi) {
            x = hi;
            if (gmult) *gmult = 0.0f;
        }
    }
    return x;
}

/* Step 5. */
STN_INLINE float stn_safe(float x, int64_t size) {
    if (!(x >= -2.0f)) x = -2.0f;
    if (x > (float)size + 1.0f) x = (float)size + 1.0f;
    return x;
}

/* Steps 1-5 for bilinear and nearest. */
STN_INLINE float stn_source_index(float g, int64_t size, int32_t padding, int32_t align_corners, float *gmult) {
    return stn_safe(stn_pad(stn_unnormalize(g, size, align_corners, gmult), size, padding, align_corners, gmult),
                    size);
}

/* A bicubic tap's padded integer coordinate (no gradient flows through tap positions). */
STN_INLINE int64_t stn_tap(float t, int64_t size, int32_t padding, int32_t align_corners) {
    return (int64_t)stn_safe(stn_pad(t, size, padding, align_corners, NULL), size);
}

/* Keys' cubic convolution, A = -0.75, in PyTorch's operation order. */
#define STN_CUBIC_A (-0.75f)
STN_INLINE float stn_cc1(float x) { return ((STN_CUBIC_A + 2.0f) * x - (STN_CUBIC_A + 3.0f)) * x * x + 1.0f; }
STN_INLINE float stn_cc2(float x) {
    return ((STN_CUBIC_A * x - 5.0f * STN_CUBIC_A) * x + 8.0f * STN_CUBIC_A) * x - 4.0f * STN_CUBIC_A;
}
STN_INLINE void stn_cubic_coefficients(float t, float c[4]) {
    c[0] = stn_cc2(t + 1.0f);
    c[1] = stn_cc1(t);
    c[2] = stn_cc1(1.0f - t);
    c[3] = stn_cc2(1.0f - t + 1.0f);
}
/* d/dt of the coefficients, negated (PyTorch subtracts them). */
STN_INLINE void stn_cubic_coefficients_grad(float t, float c[4]) {
    const float A = STN_CUBIC_A;
    float x = -1.0f - t;
    c[0] = (-3.0f * A * x - 10.0f * A) * x - 8.0f * A;
    x = -t;
    c[1] = (-3.0f * (A + 2.0f) * x - 2.0f * (A + 3.0f)) * x;
    x = 1.0f - t;
    c[2] = (3.0f * (A + 2.0f) * x - 2.0f * (A + 3.0f)) * x;
    x = 2.0f - t;
    c[3] = (3.0f * A * x - 10.0f * A) * x + 8.0f * A;
}

/* sum over the 4 x 4 taps v[j][i] (row j, column i) of v[j][i] * w[j][i] in the fixed order of every backend: per
 * column i, the rows in order, e_i = ((v0i w0i + v1i w1i) + v2i w2i) + v3i w3i, then (e0 + e2) + (e1 + e3). It is the
 * order of 4-lane vectors holding a pixel row each: lane-wise products added row after row, then the lanes' tree. */
STN_INLINE float stn_bicubic_dot(const float v[4][4], const float w[4][4]) {
    float e[4];
    for (int i = 0; i < 4; i++) e[i] = ((v[0][i] * w[0][i] + v[1][i] * w[1][i]) + v[2][i] * w[2][i]) + v[3][i] * w[3][i];
    return (e[0] + e[2]) + (e[1] + e[3]);
}

/* A bicubic output value: columns first, e_i = ((v0i cy0 + v1i cy1) + v2i cy2) + v3i cy3, then
 * (e0 cx0 + e2 cx2) + (e1 cx1 + e3 cx3): the same order as stn_bicubic_dot, the x weights applied to the columns. */
STN_INLINE float stn_bicubic_sum(const float v[4][4], const float cx[4], const float cy[4]) {
    float e[4];
    for (int i = 0; i < 4; i++) e[i] = ((v[0][i] * cy[0] + v[1][i] * cy[1]) + v[2][i] * cy[2]) + v[3][i] * cy[3];
    return (e[0] * cx[0] + e[2] * cx[2]) + (e[1] * cx[1] + e[3] * cx[3]);
}

/* A bilinear output value from its four weights and tap values (a tap outside reads 0): (nw + sw) + (ne + se), each
 * product rounded. Every backend adds in this order, the one a vector of (nw, ne) pairs does fast: the two pixel
 * rows' products added lane-wise, then each pair's lanes. */
STN_INLINE float stn_bilinear_sum(float w_nw, float w_ne, float w_sw, float w_se, float v_nw, float v_ne, float v_sw,
                                  float v_se) {
    return (w_nw * v_nw + w_sw * v_sw) + (w_ne * v_ne + w_se * v_se);
}

/* Bilinear sample of one output point over all channels. */
STN_INLINE void stn_bilinear_point(const float *in_n, float *out_n, int64_t c, int64_t in_h, int64_t in_w,
                                   int64_t out_plane, int64_t out_off, float x, float y) {
    const float x0f = stn_floor(x), y0f = stn_floor(y);
    const int64_t x0 = (int64_t)x0f, y0 = (int64_t)y0f;
    const float tx = x - x0f, ty = y - y0f;
    const float w_nw = (1.0f - tx) * (1.0f - ty), w_ne = tx * (1.0f - ty);
    const float w_sw = (1.0f - tx) * ty, w_se = tx * ty;
    const int in_x0 = x0 >= 0 && x0 < in_w, in_x1 = x0 + 1 >= 0 && x0 + 1 < in_w;
    const int in_y0 = y0 >= 0 && y0 < in_h, in_y1 = y0 + 1 >= 0 && y0 + 1 < in_h;
    const int64_t plane = in_h * in_w;
    const int64_t o_nw = y0 * in_w + x0;
    for (int64_t ch = 0; ch < c; ch++) {
        const float *p = in_n + ch * plane;
        out_n[ch * out_plane + out_off] =
            stn_bilinear_sum(w_nw, w_ne, w_sw, w_se, in_y0 && in_x0 ? p[o_nw] : 0.0f, in_y0 && in_x1 ? p[o_nw + 1] : 0.0f,
                             in_y1 && in_x0 ? p[o_nw + in_w] : 0.0f, in_y1 && in_x1 ? p[o_nw + in_w + 1] : 0.0f);
    }
}

/* Bilinear backward of one output point over all channels: accumulates into gin_n (may be NULL) and returns
 * the unscaled d(loss)/d(x), d(loss)/d(y) through *gx, *gy. */
STN_INLINE void stn_bilinear_point_backward(const float *gout_n, const float *in_n, float *gin_n, int64_t c,
                                            int64_t in_h, int64_t in_w, int64_t out_plane, int64_t out_off,
                                            float x, float y, float *gx, float *gy, int64_t band_begin,
                                            int64_t band_end) {
    const float x0f = stn_floor(x), y0f = stn_floor(y);
    const int64_t x0 = (int64_t)x0f, y0 = (int64_t)y0f;
    const float tx = x - x0f, ty = y - y0f;
    const float w_nw = (1.0f - tx) * (1.0f - ty), w_ne = tx * (1.0f - ty);
    const float w_sw = (1.0f - tx) * ty, w_se = tx * ty;
    const int in_x0 = x0 >= 0 && x0 < in_w, in_x1 = x0 + 1 >= 0 && x0 + 1 < in_w;
    const int in_y0 = y0 >= 0 && y0 < in_h, in_y1 = y0 + 1 >= 0 && y0 + 1 < in_h;
    const int m_nw = in_y0 && in_x0, m_ne = in_y0 && in_x1, m_sw = in_y1 && in_x0, m_se = in_y1 && in_x1;
    const int b_y0 = y0 >= band_begin && y0 < band_end, b_y1 = y0 + 1 >= band_begin && y0 + 1 < band_end;
    const int64_t plane = in_h * in_w;
    const int64_t o_nw = y0 * in_w + x0, o_ne = o_nw + 1, o_sw = o_nw + in_w, o_se = o_nw + in_w + 1;
    float sx = 0.0f, sy = 0.0f;
    for (int64_t ch = 0; ch < c; ch++) {
        const float go = gout_n[ch * out_plane + out_off];
        const float *p = in_n + ch * plane;
        const float v_nw = m_nw ? p[o_nw] : 0.0f, v_ne = m_ne ? p[o_ne] : 0.0f;
        const float v_sw = m_sw ? p[o_sw] : 0.0f, v_se = m_se ? p[o_se] : 0.0f;
        sx += ((v_ne - v_nw) * (1.0f - ty) + (v_se - v_sw) * ty) * go;
        sy += ((v_sw - v_nw) * (1.0f - tx) + (v_se - v_ne) * tx) * go;
        if (gin_n) {
            float *q = gin_n + ch * plane;
            if (m_nw && b_y0) q[o_nw] += w_nw * go;
            if (m_ne && b_y0) q[o_ne] += w_ne * go;
            if (m_sw && b_y1) q[o_sw] += w_sw * go;
            if (m_se && b_y1) q[o_se] += w_se * go;
        }
    }
    *gx = sx;
    *gy = sy;
}

/* Nearest sample / backward of one output point over all channels (x, y already through the pipeline). */
STN_INLINE void stn_nearest_point(const float *in_n, float *out_n, int64_t c, int64_t in_h, int64_t in_w,
                                  int64_t out_plane, int64_t out_off, float x, float y) {
    const int64_t xi = stn_round_i64(x), yi = stn_round_i64(y);
    const int inside = xi >= 0 && xi < in_w && yi >= 0 && yi < in_h;
    const int64_t plane = in_h * in_w, off = yi * in_w + xi;
    for (int64_t ch = 0; ch < c; ch++) out_n[ch * out_plane + out_off] = inside ? in_n[ch * plane + off] : 0.0f;
}

STN_INLINE void stn_nearest_point_backward(const float *gout_n, float *gin_n, int64_t c, int64_t in_h, int64_t in_w,
                                           int64_t out_plane, int64_t out_off, float x, float y, int64_t band_begin,
                                           int64_t band_end) {
    const int64_t xi = stn_round_i64(x), yi = stn_round_i64(y);
    (void)in_h; /* [band_begin, band_end) is within [0, in_h) */
    if (!gin_n || !(xi >= 0 && xi < in_w && yi >= band_begin && yi < band_end)) return;
    const int64_t plane = in_h * in_w, off = yi * in_w + xi;
    for (int64_t ch = 0; ch < c; ch++) gin_n[ch * plane + off] += gout_n[ch * out_plane + out_off];
}

#endif /* STN_INTERNAL_H */
