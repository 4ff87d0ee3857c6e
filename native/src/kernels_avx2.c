/*
 * AVX2 + FMA kernels (this file alone is compiled with -mavx2 -mfma; the dispatcher calls it only when the CPU
 * has both).
 *
 * NOTE: decomposition
 *  - Eight output points per step: the grid's interleaved (x, y) pairs are loaded as two vectors and split
 *    into x and y lanes; the coordinate pipeline of stn_internal.h runs lane-wise (src_index_avx2 mirrors
 *    stn_source_index step for step). Taps, weights, masks and the four 32-bit tap offsets are computed once
 *    per step and reused for every channel, so the channel loop is only masked gathers and FMAs.
 *  - Masked gathers (_mm256_mask_i32gather_ps) never touch a tap outside the image: its lane is masked off
 *    and reads 0, which is exactly zero padding.
 *  - Backward: grad_grid is reduced over channels in registers; grad_input is scattered with scalar adds in
 *    lane order (AVX2 has no scatter; lanes of one step may hit the same pixel, so the order matters for
 *    determinism), which is the same per-element order as the scalar kernel.
 *  - Tails (out_w not a multiple of 8) run the scalar helpers, which compute the same function.
 * Edge cases: if an input plane is too large for 32-bit gather offsets ((H + 3) * (W + 3) > INT32_MAX) the call
 * falls back to the portable kernel. NaN and huge grid values are made safe by the pipeline's clamp.
 */
#include <immintrin.h>

#include "stn_internal.h"

#define V8 __m256

STN_INLINE V8 set1(float v) { return _mm256_set1_ps(v); }

/* a = x0 y0 x1 y1 x2 y2 x3 y3, b = x4 y4 ... x7 y7  ->  x = x0..x7, y = y0..y7 */
STN_INLINE void deinterleave(V8 a, V8 b, V8 *x, V8 *y) {
    const V8 t0 = _mm256_permute2f128_ps(a, b, 0x20); /* x0 y0 x1 y1 | x4 y4 x5 y5 */
    const V8 t1 = _mm256_permute2f128_ps(a, b, 0x31); /* x2 y2 x3 y3 | x6 y6 x7 y7 */
    *x = _mm256_shuffle_ps(t0, t1, _MM_SHUFFLE(2, 0, 2, 0));
    *y = _mm256_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 1, 3, 1));
}

/* Inverse of deinterleave: stores x0 y0 x1 y1 ... x7 y7 at p. */
STN_INLINE void store_interleaved(float *p, V8 x, V8 y) {
    const V8 lo = _mm256_unpacklo_ps(x, y); /* x0 y0 x1 y1 | x4 y4 x5 y5 */
    const V8 hi = _mm256_unpackhi_ps(x, y); /* x2 y2 x3 y3 | x6 y6 x7 y7 */
    _mm256_storeu_ps(p, _mm256_permute2f128_ps(lo, hi, 0x20));
    _mm256_storeu_ps(p + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
}

STN_INLINE V8 flip_sign_where(V8 v, V8 mask) { return _mm256_xor_ps(v, _mm256_and_ps(mask, set1(-0.0f))); }

/* Lane-wise stn_source_index. */
STN_INLINE V8 src_index_avx2(V8 g, int64_t size, int32_t padding, int32_t align_corners, V8 *gmult) {
    const V8 one = set1(1.0f), zero = _mm256_setzero_ps();
    g = _mm256_blendv_ps(g, set1(-1.0f), _mm256_cmp_ps(g, g, _CMP_UNORD_Q));
    V8 scale, x;
    if (align_corners) {
        scale = set1((float)(size - 1) * 0.5f);
        x = _mm256_mul_ps(_mm256_add_ps(g, one), scale);
    } else {
        scale = set1((float)size * 0.5f);
        x = _mm256_sub_ps(_mm256_mul_ps(_mm256_add_ps(g, one), scale), set1(0.5f));
    }
    V8 mult = scale;
    if (padding == STN_PADDING_REFLECTION) {
        const float lo_s = align_corners ? 0.0f : -0.5f;
        const float span_s = align_corners ? (float)(size - 1) : (float)size;
        if (span_s <= 0.0f) {
            x = zero;
            mult = zero;
        } else {
            const V8 lo = set1(lo_s), span = set1(span_s);
            V8 d = _mm256_sub_ps(x, lo);
            const V8 neg = _mm256_cmp_ps(d, zero, _CMP_LT_OQ);
            d = _mm256_andnot_ps(set1(-0.0f), d);
            mult = flip_sign_where(mult, neg);
            const V8 flips = _mm256_floor_ps(_mm256_div_ps(d, span));
            const V8 extra = _mm256_sub_ps(d, _mm256_mul_ps(flips, span));
            const V8 half = _mm256_mul_ps(flips, set1(0.5f));
            const V8 odd = _mm256_cmp_ps(half, _mm256_floor_ps(half), _CMP_NEQ_UQ);
            x = _mm256_blendv_ps(_mm256_add_ps(extra, lo), _mm256_add_ps(_mm256_sub_ps(span, extra), lo), odd);
            mult = flip_sign_where(mult, odd);
        }
    }
    if (padding != STN_PADDING_ZEROS) {
        const V8 hi = set1((float)(size - 1));
        const V8 at_lo = _mm256_cmp_ps(x, zero, _CMP_LE_OQ);
        const V8 at_hi = _mm256_andnot_ps(at_lo, _mm256_cmp_ps(x, hi, _CMP_GE_OQ));
        x = _mm256_blendv_ps(x, zero, at_lo);
        x = _mm256_blendv_ps(x, hi, at_hi);
        mult = _mm256_andnot_ps(_mm256_or_ps(at_lo, at_hi), mult);
    }
    x = _mm256_max_ps(x, set1(-2.0f)); /* maxps returns its second operand for NaN: NaN -> -2 */
    x = _mm256_min_ps(x, set1((float)size + 1.0f));
    *gmult = mult;
    return x;
}

/* Taps, weights and masks of eight points. */
typedef struct {
    V8 tx, ty;
    V8 w_nw, w_ne, w_sw, w_se;
    V8 m_nw, m_ne, m_sw, m_se;
    __m256i o_nw, o_ne, o_sw, o_se;
} taps8;

STN_INLINE void bilinear_taps(V8 x, V8 y, int64_t in_h, int64_t in_w, taps8 *t) {
    const V8 one = set1(1.0f), zero = _mm256_setzero_ps(), m1 = set1(-1.0f);
    const V8 x0 = _mm256_floor_ps(x), y0 = _mm256_floor_ps(y);
    t->tx = _mm256_sub_ps(x, x0);
    t->ty = _mm256_sub_ps(y, y0);
    const V8 otx = _mm256_sub_ps(one, t->tx), oty = _mm256_sub_ps(one, t->ty);
    t->w_nw = _mm256_mul_ps(otx, oty);
    t->w_ne = _mm256_mul_ps(t->tx, oty);
    t->w_sw = _mm256_mul_ps(otx, t->ty);
    t->w_se = _mm256_mul_ps(t->tx, t->ty);
    const V8 fw = set1((float)in_w), fh = set1((float)in_h);
    const V8 fw1 = set1((float)(in_w - 1)), fh1 = set1((float)(in_h - 1));
    const V8 mx0 = _mm256_and_ps(_mm256_cmp_ps(x0, zero, _CMP_GE_OQ), _mm256_cmp_ps(x0, fw, _CMP_LT_OQ));
    const V8 mx1 = _mm256_and_ps(_mm256_cmp_ps(x0, m1, _CMP_GE_OQ), _mm256_cmp_ps(x0, fw1, _CMP_LT_OQ));
    const V8 my0 = _mm256_and_ps(_mm256_cmp_ps(y0, zero, _CMP_GE_OQ), _mm256_cmp_ps(y0, fh, _CMP_LT_OQ));
    const V8 my1 = _mm256_and_ps(_mm256_cmp_ps(y0, m1, _CMP_GE_OQ), _mm256_cmp_ps(y0, fh1, _CMP_LT_OQ));
    t->m_nw = _mm256_and_ps(my0, mx0);
    t->m_ne = _mm256_and_ps(my0, mx1);
    t->m_sw = _mm256_and_ps(my1, mx0);
    t->m_se = _mm256_and_ps(my1, mx1);
    const __m256i iw = _mm256_set1_epi32((int32_t)in_w);
    t->o_nw = _mm256_add_epi32(_mm256_mullo_epi32(_mm256_cvttps_epi32(y0), iw), _mm256_cvttps_epi32(x0));
    t->o_ne = _mm256_add_epi32(t->o_nw, _mm256_set1_epi32(1));
    t->o_sw = _mm256_add_epi32(t->o_nw, iw);
    t->o_se = _mm256_add_epi32(t->o_sw, _mm256_set1_epi32(1));
}

STN_INLINE V8 gather(const float *p, __m256i off, V8 mask) {
    return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), p, off, mask, 4);
}

/* True when every tap offset of the plane, including the clamped out-of-image ones, fits in int32. */
static int offsets_fit_int32(int64_t in_h, int64_t in_w) {
    return in_h < (INT64_C(1) << 30) && in_w < (INT64_C(1) << 30) && (in_h + 3) * (in_w + 3) <= INT32_MAX;
}

void stn_affine_grid_2d_avx2(const stn_ag2d *a) {
    const int64_t W = a->w;
    const float step = W > 1 ? 2.0f / (float)(W - 1) : 0.0f;
    const float shrink = W > 1 ? (float)(W - 1) / (float)W : 0.0f;
    const int64_t halfway = W / 2;
    const V8 lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
    for (int64_t n = 0; n < a->n; n++) {
        const float *t = a->theta + n * 6;
        const V8 t0 = set1(t[0]), t3 = set1(t[3]);
        for (int64_t h = a->row_begin; h < a->row_end; h++) {
            const float y = stn_base_coord(h, a->h, a->align_corners);
            const V8 cx = set1(y * t[1] + t[2]), cy = set1(y * t[4] + t[5]);
            float *g = a->grid + ((n * a->h + h) * W) * 2;
            int64_t w = 0;
            if (W > 1 && W < (INT64_C(1) << 24)) { /* lane indices exact in float */
                /* vector body: base x from the same two-sided linspace formula as stn_base_coord */
                for (; w + 8 <= W; w += 8) {
                    const V8 i = _mm256_add_ps(set1((float)w), lane);
                    const V8 from_lo = _mm256_add_ps(set1(-1.0f), _mm256_mul_ps(set1(step), i));
                    const V8 rev = _mm256_sub_ps(set1((float)(W - 1)), i);
                    const V8 from_hi = _mm256_sub_ps(set1(1.0f), _mm256_mul_ps(set1(step), rev));
                    V8 x = _mm256_blendv_ps(from_hi, from_lo, _mm256_cmp_ps(i, set1((float)halfway), _CMP_LT_OQ));
                    if (!a->align_corners) x = _mm256_mul_ps(x, set1(shrink));
                    store_interleaved(g + 2 * w, _mm256_fmadd_ps(x, t0, cx), _mm256_fmadd_ps(x, t3, cy));
                }
            }
            /* scalar tail */
            for (; w < W; w++) {
                const float x = stn_base_coord(w, W, a->align_corners);
                g[2 * w] = x * t[0] + (y * t[1] + t[2]);
                g[2 * w + 1] = x * t[3] + (y * t[4] + t[5]);
            }
        }
    }
}

STN_INLINE float hsum(V8 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

void stn_affine_grid_2d_backward_avx2(const stn_ag2d *a) {
    const int64_t W = a->w;
    const float step = W > 1 ? 2.0f / (float)(W - 1) : 0.0f;
    const float shrink = W > 1 ? (float)(W - 1) / (float)W : 0.0f;
    const int64_t halfway = W / 2;
    const V8 lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
    for (int64_t n = 0; n < a->n; n++) {
        double acc[6] = {0, 0, 0, 0, 0, 0};
        for (int64_t h = 0; h < a->h; h++) {
            const float y = stn_base_coord(h, a->h, a->align_corners);
            const float *g = a->grad_grid + ((n * a->h + h) * W) * 2;
            V8 vxx = _mm256_setzero_ps(), vx1 = vxx, vyx = vxx, vy1 = vxx;
            int64_t w = 0;
            if (W > 1 && W < (INT64_C(1) << 24)) { /* lane indices exact in float */
                for (; w + 8 <= W; w += 8) {
                    const V8 i = _mm256_add_ps(set1((float)w), lane);
                    const V8 from_lo = _mm256_add_ps(set1(-1.0f), _mm256_mul_ps(set1(step), i));
                    const V8 rev = _mm256_sub_ps(set1((float)(W - 1)), i);
                    const V8 from_hi = _mm256_sub_ps(set1(1.0f), _mm256_mul_ps(set1(step), rev));
                    V8 x = _mm256_blendv_ps(from_hi, from_lo, _mm256_cmp_ps(i, set1((float)halfway), _CMP_LT_OQ));
                    if (!a->align_corners) x = _mm256_mul_ps(x, set1(shrink));
                    V8 gx, gy;
                    deinterleave(_mm256_loadu_ps(g + 2 * w), _mm256_loadu_ps(g + 2 * w + 8), &gx, &gy);
                    vxx = _mm256_fmadd_ps(gx, x, vxx);
                    vx1 = _mm256_add_ps(vx1, gx);
                    vyx = _mm256_fmadd_ps(gy, x, vyx);
                    vy1 = _mm256_add_ps(vy1, gy);
                }
            }
            float sxx = hsum(vxx), sx1 = hsum(vx1), syx = hsum(vyx), sy1 = hsum(vy1);
            for (; w < W; w++) {
                const float x = stn_base_coord(w, W, a->align_corners);
                sxx += g[2 * w] * x;
                sx1 += g[2 * w];
                syx += g[2 * w + 1] * x;
                sy1 += g[2 * w + 1];
            }
            acc[0] += sxx;
            acc[1] += (double)y * sx1;
            acc[2] += sx1;
            acc[3] += syx;
            acc[4] += (double)y * sy1;
            acc[5] += sy1;
        }
        for (int k = 0; k < 6; k++) a->grad_theta[n * 6 + k] = (float)acc[k];
    }
}

void stn_grid_sample_2d_avx2(const stn_gs2d *a) {
    if (!offsets_fit_int32(a->in_h, a->in_w)) {
        stn_grid_sample_2d_scalar(a);
        return;
    }
    const int64_t in_plane = a->in_h * a->in_w, out_plane = a->out_h * a->out_w;
    for (int64_t n = 0; n < a->n; n++) {
        const float *in_n = a->input + n * a->c * in_plane;
        float *out_n = a->output + n * a->c * out_plane;
        for (int64_t h = a->row_begin; h < a->row_end; h++) {
            const float *g = a->grid + ((n * a->out_h + h) * a->out_w) * 2;
            int64_t w = 0;
            /* vector body: 8 points, all channels */
            for (; w + 8 <= a->out_w; w += 8) {
                V8 gx, gy, mx, my;
                deinterleave(_mm256_loadu_ps(g + 2 * w), _mm256_loadu_ps(g + 2 * w + 8), &gx, &gy);
                const V8 x = src_index_avx2(gx, a->in_w, a->padding, a->align_corners, &mx);
                const V8 y = src_index_avx2(gy, a->in_h, a->padding, a->align_corners, &my);
                taps8 t;
                bilinear_taps(x, y, a->in_h, a->in_w, &t);
                float *o = out_n + h * a->out_w + w;
                for (int64_t ch = 0; ch < a->c; ch++) {
                    const float *p = in_n + ch * in_plane;
                    V8 v = _mm256_mul_ps(t.w_nw, gather(p, t.o_nw, t.m_nw));
                    v = _mm256_fmadd_ps(t.w_ne, gather(p, t.o_ne, t.m_ne), v);
                    v = _mm256_fmadd_ps(t.w_sw, gather(p, t.o_sw, t.m_sw), v);
                    v = _mm256_fmadd_ps(t.w_se, gather(p, t.o_se, t.m_se), v);
                    _mm256_storeu_ps(o + ch * out_plane, v);
                }
            }
            /* scalar tail */
            for (; w < a->out_w; w++) {
                float mx, my;
                const float x = stn_source_index(g[2 * w], a->in_w, a->padding, a->align_corners, &mx);
                const float y = stn_source_index(g[2 * w + 1], a->in_h, a->padding, a->align_corners, &my);
                stn_bilinear_point(in_n, out_n, a->c, a->in_h, a->in_w, out_plane, h * a->out_w + w, x, y);
            }
        }
    }
}

void stn_grid_sample_2d_backward_avx2(const stn_gs2d *a) {
    if (!offsets_fit_int32(a->in_h, a->in_w)) {
        stn_grid_sample_2d_backward_scalar(a);
        return;
    }
    const int64_t in_plane = a->in_h * a->in_w, out_plane = a->out_h * a->out_w;
    const V8 one = set1(1.0f);
    for (int64_t n = 0; n < a->n; n++) {
        const float *in_n = a->input + n * a->c * in_plane;
        const float *gout_n = a->grad_output + n * a->c * out_plane;
        float *gin_n = a->grad_input ? a->grad_input + n * a->c * in_plane : NULL;
        for (int64_t h = a->row_begin; h < a->row_end; h++) {
            const float *g = a->grid + ((n * a->out_h + h) * a->out_w) * 2;
            float *gg = a->grad_grid ? a->grad_grid + ((n * a->out_h + h) * a->out_w) * 2 : NULL;
            int64_t w = 0;
            /* vector body: 8 points, all channels */
            for (; w + 8 <= a->out_w; w += 8) {
                V8 gx, gy, mx, my;
                deinterleave(_mm256_loadu_ps(g + 2 * w), _mm256_loadu_ps(g + 2 * w + 8), &gx, &gy);
                const V8 x = src_index_avx2(gx, a->in_w, a->padding, a->align_corners, &mx);
                const V8 y = src_index_avx2(gy, a->in_h, a->padding, a->align_corners, &my);
                taps8 t;
                bilinear_taps(x, y, a->in_h, a->in_w, &t);
                const V8 otx = _mm256_sub_ps(one, t.tx), oty = _mm256_sub_ps(one, t.ty);
                int32_t off[4][8];
                int bits[4];
                if (gin_n) {
                    _mm256_storeu_si256((__m256i *)off[0], t.o_nw);
                    _mm256_storeu_si256((__m256i *)off[1], t.o_ne);
                    _mm256_storeu_si256((__m256i *)off[2], t.o_sw);
                    _mm256_storeu_si256((__m256i *)off[3], t.o_se);
                    bits[0] = _mm256_movemask_ps(t.m_nw);
                    bits[1] = _mm256_movemask_ps(t.m_ne);
                    bits[2] = _mm256_movemask_ps(t.m_sw);
                    bits[3] = _mm256_movemask_ps(t.m_se);
                }
                V8 sx = _mm256_setzero_ps(), sy = sx;
                const float *go_p = gout_n + h * a->out_w + w;
                for (int64_t ch = 0; ch < a->c; ch++) {
                    const float *p = in_n + ch * in_plane;
                    const V8 go = _mm256_loadu_ps(go_p + ch * out_plane);
                    const V8 v_nw = gather(p, t.o_nw, t.m_nw), v_ne = gather(p, t.o_ne, t.m_ne);
                    const V8 v_sw = gather(p, t.o_sw, t.m_sw), v_se = gather(p, t.o_se, t.m_se);
                    const V8 dx = _mm256_fmadd_ps(_mm256_sub_ps(v_se, v_sw), t.ty,
                                                  _mm256_mul_ps(_mm256_sub_ps(v_ne, v_nw), oty));
                    const V8 dy = _mm256_fmadd_ps(_mm256_sub_ps(v_se, v_ne), t.tx,
                                                  _mm256_mul_ps(_mm256_sub_ps(v_sw, v_nw), otx));
                    sx = _mm256_fmadd_ps(dx, go, sx);
                    sy = _mm256_fmadd_ps(dy, go, sy);
                    if (gin_n) {
                        /* scatter in lane order, taps nw, ne, sw, se: the scalar kernel's order */
                        float wv[4][8];
                        _mm256_storeu_ps(wv[0], _mm256_mul_ps(t.w_nw, go));
                        _mm256_storeu_ps(wv[1], _mm256_mul_ps(t.w_ne, go));
                        _mm256_storeu_ps(wv[2], _mm256_mul_ps(t.w_sw, go));
                        _mm256_storeu_ps(wv[3], _mm256_mul_ps(t.w_se, go));
                        float *q = gin_n + ch * in_plane;
                        for (int l = 0; l < 8; l++) {
                            for (int k = 0; k < 4; k++) {
                                if (bits[k] >> l & 1) q[off[k][l]] += wv[k][l];
                            }
                        }
                    }
                }
                if (gg) store_interleaved(gg + 2 * w, _mm256_mul_ps(sx, mx), _mm256_mul_ps(sy, my));
            }
            /* scalar tail */
            for (; w < a->out_w; w++) {
                float mx, my, sx, sy;
                const float x = stn_source_index(g[2 * w], a->in_w, a->padding, a->align_corners, &mx);
                const float y = stn_source_index(g[2 * w + 1], a->in_h, a->padding, a->align_corners, &my);
                stn_bilinear_point_backward(gout_n, in_n, gin_n, a->c, a->in_h, a->in_w, out_plane,
                                            h * a->out_w + w, x, y, &sx, &sy);
                if (gg) {
                    gg[2 * w] = sx * mx;
                    gg[2 * w + 1] = sy * my;
                }
            }
        }
    }
}
