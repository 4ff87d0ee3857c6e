/*
 * Internal declarations shared by the dispatcher and the per-ISA kernel files. Nothing here is exported.
 *
 * NOTE: the coordinate pipeline (one axis at a time; the same steps as PyTorch's grid_sampler_compute_source_index)
 *   1. sanitise  : a NaN grid value is read as -1 (PyTorch's documented rule).
 *   2. unnormalise: [-1, 1] -> pixels. align_corners: (g + 1) * (size - 1) / 2, the corner pixel centres are -1/+1;
 *                  otherwise (g + 1) * size / 2 - 0.5, the image edges are -1/+1. d(pixel)/d(g) is the scale.
 *   3. pad        : zeros leaves the point alone (taps outside read 0); border clips to [0, size-1] with gradient 0
 *                  where clipped (an exact edge counts as clipped, like PyTorch); reflection folds the point
 *                  back over the edges (align_corners: the corner pixel centres; otherwise the image edges),
 *                  each fold flipping the gradient's sign, then clips like border.
 *   4. safety     : clamp to [-2, size + 1] (a NaN that survived becomes -2). For finite input this changes no
 *                  result (every tap outside the image already reads 0) but it keeps floor() and the integer
 *                  conversion defined for +-Inf and huge values, so no index can leave the tensor.
 * Bilinear taps are then x0 = floor(x), x0 + 1 (the same for y); a tap outside [0, size) reads 0 and receives
 * no gradient.
 */
#ifndef STN_INTERNAL_H
#define STN_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "stn.h"

#if defined(__GNUC__)
#  define STN_INLINE static inline __attribute__((always_inline))
#else
#  define STN_INLINE static inline
#endif

/* The arguments of one grid-sample call after validation, shared by forward and backward. */
typedef struct stn_gs2d {
    const float *input, *grid, *grad_output;
    float *output, *grad_input, *grad_grid;
    int64_t n, c, in_h, in_w, out_h, out_w;
    int32_t mode, padding, align_corners;
    int64_t row_begin, row_end;
} stn_gs2d;

typedef struct stn_ag2d {
    const float *theta, *grad_grid;
    float *grid, *grad_theta;
    int64_t n, h, w;
    int32_t align_corners;
    int64_t row_begin, row_end;
} stn_ag2d;

/* Per-ISA kernels (the scalar ones are the reference). They trust their arguments. */
void stn_affine_grid_2d_scalar(const stn_ag2d *a);
void stn_affine_grid_2d_backward_scalar(const stn_ag2d *a);
void stn_grid_sample_2d_scalar(const stn_gs2d *a);
void stn_grid_sample_2d_backward_scalar(const stn_gs2d *a);

void stn_affine_grid_2d_avx2(const stn_ag2d *a);
void stn_affine_grid_2d_backward_avx2(const stn_ag2d *a);
void stn_grid_sample_2d_avx2(const stn_gs2d *a);
void stn_grid_sample_2d_backward_avx2(const stn_gs2d *a);

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

/* Steps 1-4 of the coordinate pipeline for one axis; *gmult receives d(result)/d(grid value). */
STN_INLINE float stn_source_index(float g, int64_t size, int32_t padding, int32_t align_corners, float *gmult) {
    if (g != g) g = -1.0f;
    float scale, x;
    if (align_corners) {
        scale = (float)(size - 1) * 0.5f;
        x = (g + 1.0f) * scale;
    } else {
        scale = (float)size * 0.5f;
        x = (g + 1.0f) * scale - 0.5f;
    }
    float mult = scale;
    if (padding == STN_PADDING_REFLECTION) {
        /* Fold x into [lo, lo + span]: lo/span are the corner centres or the image edges. */
        const float lo = align_corners ? 0.0f : -0.5f;
        const float span = align_corners ? (float)(size - 1) : (float)size;
        if (span <= 0.0f) {
            x = 0.0f;
            mult = 0.0f;
        } else {
            float d = x - lo;
            if (d < 0.0f) {
                d = -d;
                mult = -mult;
            }
            const float flips = floorf(d / span);
            const float extra = d - flips * span;
            /* flips is integral; (flips / 2) is integral iff flips is even (exact for every float). */
            const float half = flips * 0.5f;
            if (half != floorf(half)) {
                x = span - extra + lo;
                mult = -mult;
            } else {
                x = extra + lo;
            }
        }
    }
    if (padding != STN_PADDING_ZEROS) {
        const float hi = (float)(size - 1);
        if (x <= 0.0f) {
            x = 0.0f;
            mult = 0.0f;
        } else if (x >= hi) {
            x = hi;
            mult = 0.0f;
        }
    }
    if (!(x >= -2.0f)) x = -2.0f;
    if (x > (float)size + 1.0f) x = (float)size + 1.0f;
    *gmult = mult;
    return x;
}

/* Bilinear sample of one output point over all channels. */
STN_INLINE void stn_bilinear_point(const float *in_n, float *out_n, int64_t c, int64_t in_h, int64_t in_w,
                                   int64_t out_plane, int64_t out_off, float x, float y) {
    const float x0f = floorf(x), y0f = floorf(y);
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
        float v = 0.0f;
        if (in_y0 && in_x0) v += w_nw * p[o_nw];
        if (in_y0 && in_x1) v += w_ne * p[o_nw + 1];
        if (in_y1 && in_x0) v += w_sw * p[o_nw + in_w];
        if (in_y1 && in_x1) v += w_se * p[o_nw + in_w + 1];
        out_n[ch * out_plane + out_off] = v;
    }
}

/* Bilinear backward of one output point over all channels: accumulates into gin_n (may be NULL) and returns
 * the unscaled d(loss)/d(x), d(loss)/d(y) through *gx, *gy. */
STN_INLINE void stn_bilinear_point_backward(const float *gout_n, const float *in_n, float *gin_n, int64_t c,
                                            int64_t in_h, int64_t in_w, int64_t out_plane, int64_t out_off,
                                            float x, float y, float *gx, float *gy) {
    const float x0f = floorf(x), y0f = floorf(y);
    const int64_t x0 = (int64_t)x0f, y0 = (int64_t)y0f;
    const float tx = x - x0f, ty = y - y0f;
    const float w_nw = (1.0f - tx) * (1.0f - ty), w_ne = tx * (1.0f - ty);
    const float w_sw = (1.0f - tx) * ty, w_se = tx * ty;
    const int in_x0 = x0 >= 0 && x0 < in_w, in_x1 = x0 + 1 >= 0 && x0 + 1 < in_w;
    const int in_y0 = y0 >= 0 && y0 < in_h, in_y1 = y0 + 1 >= 0 && y0 + 1 < in_h;
    const int m_nw = in_y0 && in_x0, m_ne = in_y0 && in_x1, m_sw = in_y1 && in_x0, m_se = in_y1 && in_x1;
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
            if (m_nw) q[o_nw] += w_nw * go;
            if (m_ne) q[o_ne] += w_ne * go;
            if (m_sw) q[o_sw] += w_sw * go;
            if (m_se) q[o_se] += w_se * go;
        }
    }
    *gx = sx;
    *gy = sy;
}

#endif /* STN_INTERNAL_H */
