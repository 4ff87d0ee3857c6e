/*
 * Portable C kernels: the native reference every other ISA is tested against. Plain C11, no intrinsics. The Java
 * specification (io.github.stn4j.internal.JavaScalarKernels) performs the same float operations in the same order.
 *
 * NOTE: decomposition
 *  - affine grid: each output point is theta . (x_w, y_h[, z_d], 1) with base coordinates from torch.linspace
 *    (stn_base_coord), computed as x * t0 + (y * t1 + t2). The backward is a sum over every point: per row, float sums
 *    over the row's points in stn_sum_lanes' fixed order (16 lanes, which the vector kernels hold in vectors), rows
 *    accumulated in double so a 1024x1024 grid keeps ~1e-7 accuracy.
 *  - grid sample: per output point, the coordinate pipeline (stn_internal.h) runs once and its taps and weights are
 *    reused for every channel (the channel loop is innermost); a value sums its taps in stn_bilinear_sum's or
 *    stn_bicubic_sum's order, every ISA's and the Java backends' (the same bits everywhere).
 *  - backward: grad_input is scattered (accumulated) in output-point order, channel by channel; grad_grid is the
 *    channel sum of the weight derivatives times d(pixel)/d(grid) from the pipeline (0 for nearest).
 *  - 3-D: the same, with 8 trilinear taps; rows are (depth, height) pairs.
 * Edge cases: a 1-pixel axis (align_corners maps everything to pixel 0, scale 0), far and non-finite points (the
 * pipeline's clamps), bicubic taps padded one by one.
 */
#include "stn_internal.h"

void stn_affine_grid_2d_scalar(const stn_ag *a) {
    /* The base x coordinates once per call, not per element (same values: stn_base_coord is a pure function): per
     * element, its int64 -> float conversions and branch keep gcc from vectorising the loop. */
    float *bx = stn_base_coords(a->w, a->align_corners);
    for (int64_t n = 0; n < a->n; n++) {
        const float *t = a->theta + n * 6;
        for (int64_t h = a->row_begin; h < a->row_end; h++) {
            const float y = stn_base_coord(h, a->h, a->align_corners);
            /* the row's y term once, then x * t0 + it: the one formula of every backend (no contraction) */
            const float cx = y * t[1] + t[2], cy = y * t[4] + t[5];
            float *g = a->grid + ((n * a->h + h) * a->w) * 2;
            for (int64_t w = 0; w < a->w; w++) {
                const float x = bx ? bx[w] : stn_base_coord(w, a->w, a->align_corners);
                g[2 * w] = x * t[0] + cx;
                g[2 * w + 1] = x * t[3] + cy;
            }
        }
    }
    free(bx);
}

void stn_affine_grid_2d_backward_scalar(const stn_ag *a) {
    const int64_t body = a->w - a->w % STN_SUM_LANES;
    for (int64_t n = 0; n < a->n; n++) {
        double acc[6] = {0, 0, 0, 0, 0, 0};
        for (int64_t h = 0; h < a->h; h++) {
            const float y = stn_base_coord(h, a->h, a->align_corners);
            const float *g = a->grad_grid + ((n * a->h + h) * a->w) * 2;
            float pxx[STN_SUM_LANES] = {0}, px1[STN_SUM_LANES] = {0}, pyx[STN_SUM_LANES] = {0};
            float py1[STN_SUM_LANES] = {0};
            for (int64_t w = 0; w < body; w++) {
                const float x = stn_base_coord(w, a->w, a->align_corners);
                const int k = (int)(w % STN_SUM_LANES);
                pxx[k] += g[2 * w] * x;
                px1[k] += g[2 * w];
                pyx[k] += g[2 * w + 1] * x;
                py1[k] += g[2 * w + 1];
            }
            float sxx = stn_sum_lanes(pxx), sx1 = stn_sum_lanes(px1), syx = stn_sum_lanes(pyx);
            float sy1 = stn_sum_lanes(py1);
            for (int64_t w = body; w < a->w; w++) {
                const float x = stn_base_coord(w, a->w, a->align_corners);
                sxx += g[2 * w] * x;
                sx1 += g[2 * w];
                syx += g[2 * w + 1] * x;
                sy1 += g[2 * w + 1];
            }
            stn_affine_row_to_theta(acc, y, sxx, sx1, syx, sy1);
        }
        for (int k = 0; k < 6; k++) a->grad_theta[n * 6 + k] = (float)acc[k];
    }
}

void stn_affine_grid_3d_scalar(const stn_ag *a) {
    for (int64_t n = 0; n < a->n; n++) {
        const float *t = a->theta + n * 12;
        for (int64_t r = a->row_begin; r < a->row_end; r++) {
            const int64_t d = r / a->h, h = r % a->h;
            const float z = stn_base_coord(d, a->d, a->align_corners);
            const float y = stn_base_coord(h, a->h, a->align_corners);
            float *g = a->grid + ((n * a->d * a->h + r) * a->w) * 3;
            float c[3]; /* the row's terms once, y * t1 + (z * t2 + t3), then x * t0 + them (as in 2-D) */
            for (int k = 0; k < 3; k++) c[k] = y * t[4 * k + 1] + (z * t[4 * k + 2] + t[4 * k + 3]);
            for (int64_t w = 0; w < a->w; w++) {
                const float x = stn_base_coord(w, a->w, a->align_corners);
                for (int k = 0; k < 3; k++) g[3 * w + k] = x * t[4 * k] + c[k];
            }
        }
    }
}

void stn_affine_grid_3d_backward_scalar(const stn_ag *a) {
    for (int64_t n = 0; n < a->n; n++) {
        double acc[12] = {0};
        for (int64_t r = 0; r < a->d * a->h; r++) {
            const int64_t d = r / a->h, h = r % a->h;
            const float z = stn_base_coord(d, a->d, a->align_corners);
            const float y = stn_base_coord(h, a->h, a->align_corners);
            const float *g = a->grad_grid + ((n * a->d * a->h + r) * a->w) * 3;
            /* each component's row sums in the order of stn_sum_lanes, as in 2-D */
            const int64_t body = a->w - a->w % STN_SUM_LANES;
            float px[3][STN_SUM_LANES] = {{0}}, p1[3][STN_SUM_LANES] = {{0}}, sx[3], s1[3];
            for (int64_t w = 0; w < body; w++) {
                const float x = stn_base_coord(w, a->w, a->align_corners);
                const int l = (int)(w % STN_SUM_LANES);
                for (int k = 0; k < 3; k++) {
                    px[k][l] += g[3 * w + k] * x;
                    p1[k][l] += g[3 * w + k];
                }
            }
            for (int k = 0; k < 3; k++) {
                sx[k] = stn_sum_lanes(px[k]);
                s1[k] = stn_sum_lanes(p1[k]);
            }
            for (int64_t w = body; w < a->w; w++) {
                const float x = stn_base_coord(w, a->w, a->align_corners);
                for (int k = 0; k < 3; k++) {
                    sx[k] += g[3 * w + k] * x;
                    s1[k] += g[3 * w + k];
                }
            }
            for (int k = 0; k < 3; k++) {
                acc[4 * k] += sx[k];
                acc[4 * k + 1] += (double)y * s1[k];
                acc[4 * k + 2] += (double)z * s1[k];
                acc[4 * k + 3] += s1[k];
            }
        }
        for (int k = 0; k < 12; k++) a->grad_theta[n * 12 + k] = (float)acc[k];
    }
}

/* Bicubic forward (gout_n == NULL) or backward of one output point over channels [c0, c1). The backward adds the
 * point's grid-gradient terms to *sx, *sy (in channel order), before the unnormalisation factor: the caller
 * multiplies by it. The SIMD kernels call this for the points whose 4 x 4 taps are not all inside the image. */
void stn_bicubic_point(const stn_gs *a, const float *in_n, float *out_n, const float *gout_n, float *gin_n,
                       int64_t out_plane, int64_t out_off, float gx, float gy, int64_t c0, int64_t c1, float *ggx,
                       float *ggy) {
    const float x = stn_unnormalize(gx, a->in_w, a->align_corners, NULL);
    const float y = stn_unnormalize(gy, a->in_h, a->align_corners, NULL);
    const float x0f = stn_floor(x), y0f = stn_floor(y);
    const float tx = x - x0f, ty = y - y0f;
    float cx[4], cy[4], dx[4], dy[4];
    int64_t tap_x[4], tap_y[4];
    int ok_x[4], ok_y[4];
    stn_cubic_coefficients(tx, cx);
    stn_cubic_coefficients(ty, cy);
    for (int k = 0; k < 4; k++) {
        tap_x[k] = stn_tap(x0f - 1.0f + (float)k, a->in_w, a->padding, a->align_corners);
        ok_x[k] = tap_x[k] >= 0 && tap_x[k] < a->in_w;
        tap_y[k] = stn_tap(y0f - 1.0f + (float)k, a->in_h, a->padding, a->align_corners);
        ok_y[k] = tap_y[k] >= 0 && tap_y[k] < a->in_h;
    }
    const int64_t plane = a->in_h * a->in_w;
    if (gout_n == NULL) {
        for (int64_t ch = c0; ch < c1; ch++) {
            const float *p = in_n + ch * plane;
            float v[4][4]; /* [j][i]: row j, column i; a tap outside reads 0 */
            for (int j = 0; j < 4; j++)
                for (int i = 0; i < 4; i++) v[j][i] = ok_x[i] && ok_y[j] ? p[tap_y[j] * a->in_w + tap_x[i]] : 0.0f;
            out_n[ch * out_plane + out_off] = stn_bicubic_sum(v, cx, cy);
        }
        return;
    }
    stn_cubic_coefficients_grad(tx, dx);
    stn_cubic_coefficients_grad(ty, dy);
    float ax[4][4], ay[4][4]; /* [j][i]: dx[i] * cy[j] and cx[i] * dy[j], the weights of d out / d x and d y */
    for (int j = 0; j < 4; j++)
        for (int i = 0; i < 4; i++) {
            ax[j][i] = dx[i] * cy[j];
            ay[j][i] = cx[i] * dy[j];
        }
    float sx = *ggx, sy = *ggy;
    for (int64_t ch = c0; ch < c1; ch++) {
        const float *p = in_n + ch * plane;
        const float go = gout_n[ch * out_plane + out_off];
        float v[4][4];
        for (int j = 0; j < 4; j++) {
            for (int i = 0; i < 4; i++) {
                if (!(ok_x[i] && ok_y[j])) {
                    v[j][i] = 0.0f;
                    continue;
                }
                const int64_t at = tap_y[j] * a->in_w + tap_x[i];
                if (gin_n && tap_y[j] >= a->band_begin && tap_y[j] < a->band_end)
                    gin_n[ch * plane + at] += go * cx[i] * cy[j];
                v[j][i] = p[at];
            }
        }
        sx -= stn_bicubic_dot(v, ax) * go;
        sy -= stn_bicubic_dot(v, ay) * go;
    }
    *ggx = sx;
    *ggy = sy;
}

/* Points per chunk of a row: a fused call's grid (and grid gradient) live in a buffer of this many pairs. */
#define STN_ROW_CHUNK 256

/* The grid pairs of points [p0, p0 + cnt) of sample n: grid's, or a fused call's computed into buf. */
static const float *grid_chunk(const stn_gs *a, float *buf, int64_t n, int64_t p0, int64_t cnt) {
    if (!a->theta) return a->grid + (n * a->out_h * a->out_w + p0) * 2;
    stn_affine_points(a, n, p0, cnt, buf);
    return buf;
}

void stn_grid_sample_2d_scalar(const stn_gs *a) {
    const int64_t in_plane = a->in_h * a->in_w, out_plane = a->out_h * a->out_w;
    float buf[2 * STN_ROW_CHUNK];
    for (int64_t n = 0; n < a->n; n++) {
        const float *in_n = a->input + n * a->c * in_plane;
        float *out_n = a->output + n * a->c * out_plane;
        for (int64_t h = a->row_begin; h < a->row_end; h++) {
            for (int64_t w0 = 0; w0 < a->out_w; w0 += STN_ROW_CHUNK) {
                const int64_t cnt = a->out_w - w0 < STN_ROW_CHUNK ? a->out_w - w0 : STN_ROW_CHUNK;
                const float *g = grid_chunk(a, buf, n, h * a->out_w + w0, cnt);
                for (int64_t i = 0; i < cnt; i++) {
                    const int64_t off = h * a->out_w + w0 + i;
                    if (a->mode == STN_MODE_BICUBIC) {
                        stn_bicubic_point(a, in_n, out_n, NULL, NULL, out_plane, off, g[2 * i], g[2 * i + 1], 0,
                                          a->c, NULL, NULL);
                        continue;
                    }
                    const float x = stn_source_index(g[2 * i], a->in_w, a->padding, a->align_corners, NULL);
                    const float y = stn_source_index(g[2 * i + 1], a->in_h, a->padding, a->align_corners, NULL);
                    if (a->mode == STN_MODE_NEAREST)
                        stn_nearest_point(in_n, out_n, a->c, a->in_h, a->in_w, out_plane, off, x, y);
                    else stn_bilinear_point(in_n, out_n, a->c, a->in_h, a->in_w, out_plane, off, x, y);
                }
            }
        }
    }
}

void stn_grid_sample_2d_backward_scalar(const stn_gs *a) {
    stn_fresh_grad_input(a, 0);
    const int64_t in_plane = a->in_h * a->in_w, out_plane = a->out_h * a->out_w;
    float buf[2 * STN_ROW_CHUNK], ggbuf[2 * STN_ROW_CHUNK];
    for (int64_t n = 0; n < a->n; n++) {
        const float *in_n = a->input + n * a->c * in_plane;
        const float *gout_n = a->grad_output + n * a->c * out_plane;
        float *gin_n = a->grad_input ? a->grad_input + n * a->c * in_plane : NULL;
        for (int64_t h = a->row_begin; h < a->row_end; h++) {
            for (int64_t w0 = 0; w0 < a->out_w; w0 += STN_ROW_CHUNK) {
                const int64_t cnt = a->out_w - w0 < STN_ROW_CHUNK ? a->out_w - w0 : STN_ROW_CHUNK;
                const float *g = grid_chunk(a, buf, n, h * a->out_w + w0, cnt);
                float *gg = a->theta ? (a->theta_rows ? ggbuf : NULL)
                        : a->grad_grid ? a->grad_grid + ((n * a->out_h + h) * a->out_w + w0) * 2 : NULL;
                for (int64_t i = 0; i < cnt; i++) {
                    const int64_t off = h * a->out_w + w0 + i;
                    float sx = 0.0f, sy = 0.0f;
                    if (a->mode == STN_MODE_BICUBIC) {
                        float mx, my;
                        stn_unnormalize(g[2 * i], a->in_w, a->align_corners, &mx);
                        stn_unnormalize(g[2 * i + 1], a->in_h, a->align_corners, &my);
                        stn_bicubic_point(a, in_n, NULL, gout_n, gin_n, out_plane, off, g[2 * i], g[2 * i + 1], 0,
                                          a->c, &sx, &sy);
                        sx *= mx;
                        sy *= my;
                    } else {
                        float mx, my;
                        const float x = stn_source_index(g[2 * i], a->in_w, a->padding, a->align_corners, &mx);
                        const float y = stn_source_index(g[2 * i + 1], a->in_h, a->padding, a->align_corners, &my);
                        if (a->mode == STN_MODE_NEAREST) {
                            stn_nearest_point_backward(gout_n, gin_n, a->c, a->in_h, a->in_w, out_plane, off, x, y,
                                                       a->band_begin, a->band_end);
                        } else {
                            stn_bilinear_point_backward(gout_n, in_n, gin_n, a->c, a->in_h, a->in_w, out_plane, off,
                                                        x, y, &sx, &sy, a->band_begin, a->band_end);
                            sx *= mx;
                            sy *= my;
                        }
                    }
                    if (gg) {
                        gg[2 * i] = sx;
                        gg[2 * i + 1] = sy;
                    }
                }
                if (a->theta && gg) stn_affine_fold(a, h * a->out_w + w0, cnt, gg);
            }
        }
        if (a->theta_rows) stn_affine_rows_done(a, n);
    }
}

/* 3-D forward (gout_n == NULL) or backward of one output point over all channels. */
static void sample_3d_point(const stn_gs *a, const float *in_n, float *out_n, const float *gout_n, float *gin_n,
                            int64_t out_vol, int64_t off, const float *g, float *gg) {
    float mx, my, mz;
    const float x = stn_source_index(g[0], a->in_w, a->padding, a->align_corners, &mx);
    const float y = stn_source_index(g[1], a->in_h, a->padding, a->align_corners, &my);
    const float z = stn_source_index(g[2], a->in_d, a->padding, a->align_corners, &mz);
    const int64_t in_vol = a->in_d * a->in_h * a->in_w;
    float sx = 0.0f, sy = 0.0f, sz = 0.0f;
    if (a->mode == STN_MODE_NEAREST) {
        const int64_t xi = stn_round_i64(x), yi = stn_round_i64(y), zi = stn_round_i64(z);
        const int inside = xi >= 0 && xi < a->in_w && yi >= 0 && yi < a->in_h && zi >= 0 && zi < a->in_d;
        const int64_t at = (zi * a->in_h + yi) * a->in_w + xi;
        for (int64_t ch = 0; ch < a->c; ch++) {
            if (gout_n == NULL) out_n[ch * out_vol + off] = inside ? in_n[ch * in_vol + at] : 0.0f;
            else if (gin_n && inside) gin_n[ch * in_vol + at] += gout_n[ch * out_vol + off];
        }
    } else {
        const float x0f = stn_floor(x), y0f = stn_floor(y), z0f = stn_floor(z);
        const int64_t x0 = (int64_t)x0f, y0 = (int64_t)y0f, z0 = (int64_t)z0f;
        const float tx = x - x0f, ty = y - y0f, tz = z - z0f;
        const float wx[2] = {1.0f - tx, tx}, wy[2] = {1.0f - ty, ty}, wz[2] = {1.0f - tz, tz};
        const int ok_x[2] = {x0 >= 0 && x0 < a->in_w, x0 + 1 >= 0 && x0 + 1 < a->in_w};
        const int ok_y[2] = {y0 >= 0 && y0 < a->in_h, y0 + 1 >= 0 && y0 + 1 < a->in_h};
        const int ok_z[2] = {z0 >= 0 && z0 < a->in_d, z0 + 1 >= 0 && z0 + 1 < a->in_d};
        for (int64_t ch = 0; ch < a->c; ch++) {
            const float *p = in_n + ch * in_vol;
            const float go = gout_n ? gout_n[ch * out_vol + off] : 0.0f;
            float v = 0.0f;
            for (int k = 0; k < 2; k++) {
                for (int j = 0; j < 2; j++) {
                    for (int i = 0; i < 2; i++) {
                        if (!(ok_x[i] && ok_y[j] && ok_z[k])) continue;
                        const int64_t at = ((z0 + k) * a->in_h + (y0 + j)) * a->in_w + (x0 + i);
                        const float wgt = wx[i] * wy[j] * wz[k];
                        const float val = p[at];
                        if (gout_n == NULL) {
                            v += wgt * val;
                            continue;
                        }
                        if (gin_n) gin_n[ch * in_vol + at] += wgt * go;
                        const float sgx = i == 0 ? -1.0f : 1.0f, sgy = j == 0 ? -1.0f : 1.0f;
                        const float sgz = k == 0 ? -1.0f : 1.0f;
                        sx += sgx * wy[j] * wz[k] * val * go;
                        sy += sgy * wx[i] * wz[k] * val * go;
                        sz += sgz * wx[i] * wy[j] * val * go;
                    }
                }
            }
            if (gout_n == NULL) out_n[ch * out_vol + off] = v;
        }
        sx *= mx;
        sy *= my;
        sz *= mz;
    }
    if (gg) {
        gg[0] = sx;
        gg[1] = sy;
        gg[2] = sz;
    }
}

void stn_grid_sample_3d_scalar(const stn_gs *a) {
    const int64_t in_vol = a->in_d * a->in_h * a->in_w, out_vol = a->out_d * a->out_h * a->out_w;
    for (int64_t n = 0; n < a->n; n++) {
        for (int64_t r = a->row_begin; r < a->row_end; r++) {
            for (int64_t w = 0; w < a->out_w; w++) {
                const int64_t off = r * a->out_w + w;
                sample_3d_point(a, a->input + n * a->c * in_vol, a->output + n * a->c * out_vol, NULL, NULL, out_vol,
                                off, a->grid + (n * out_vol + off) * 3, NULL);
            }
        }
    }
}

void stn_grid_sample_3d_backward_scalar(const stn_gs *a) {
    stn_fresh_grad_input(a, 0);
    const int64_t in_vol = a->in_d * a->in_h * a->in_w, out_vol = a->out_d * a->out_h * a->out_w;
    for (int64_t n = 0; n < a->n; n++) {
        for (int64_t r = a->row_begin; r < a->row_end; r++) {
            for (int64_t w = 0; w < a->out_w; w++) {
                const int64_t off = r * a->out_w + w;
                sample_3d_point(a, a->input + n * a->c * in_vol, NULL, a->grad_output + n * a->c * out_vol,
                                a->grad_input ? a->grad_input + n * a->c * in_vol : NULL, out_vol, off,
                                a->grid + (n * out_vol + off) * 3,
                                a->grad_grid ? a->grad_grid + (n * out_vol + off) * 3 : NULL);
            }
        }
    }
}

#define STN_NHWC(name) name##_scalar
#include "kernels_nhwc.inc"

const stn_kernels stn_kernels_scalar = {
    stn_affine_grid_2d_scalar,
    stn_affine_grid_2d_backward_scalar,
    stn_grid_sample_2d_scalar,
    stn_grid_sample_2d_backward_scalar,
    stn_affine_grid_3d_scalar,
    stn_affine_grid_3d_backward_scalar,
    stn_grid_sample_3d_scalar,
    stn_grid_sample_3d_backward_scalar,
    stn_sgemm_scalar,
    grid_sample_2d_nhwc_portable_scalar,
    grid_sample_2d_nhwc_backward_portable_scalar,
};
