/*
 * The nn layers' dense kernels that are the same in every ISA: the portable product (the reference of
 * dense_simd.inc) and the 2-D convolutions, which lower each sample to one product of its own ISA.
 *
 * NOTE: a convolution (stride 1, zero padding `pad`, square kernel k) runs sample by sample, so the im2col matrix of
 * one sample ([C*k*k, Ho*Wo], ~0.7 MB for the experiments' second layer) stays in L2 between its writing and its use:
 *   forward          y[n]  = W [O, Ck²] . col(x[n]) + b        (ReLU fused when asked)
 *   input gradient   gx[n] = col2im(Wᵀ . gy[n])                (each sample's gx written by one call)
 *   weight gradient  gw   += gy[n] . col(x[n])ᵀ, gb += Σ gy[n]  (samples n_begin .. n_end-1 in order)
 * The caller gives the scratch `col` (C*k*k*Ho*Wo floats) and splits the batch; the weight gradient's caller keeps
 * one partial per fixed range of samples and adds the partials in order, so no sum depends on the thread count.
 */
#include "stn_internal.h"

void stn_sgemm_scalar(const stn_gemm *g) {
    /* row i of C: C[i][j] = (accumulate ? C[i][j] : 0) + sum over p ascending of A[i][p] * B[p][j] */
    for (int64_t i = 0; i < g->m; i++) {
        float *c = g->c + i * g->ldc;
        if (!g->accumulate) memset(c, 0, (size_t)g->n * sizeof(float));
        for (int64_t p = 0; p < g->k; p++) {
            const float a = g->trans_a ? g->a[p * g->lda + i] : g->a[i * g->lda + p];
            if (g->trans_b) {
                for (int64_t j = 0; j < g->n; j++) c[j] += a * g->b[j * g->ldb + p];
            } else {
                const float *b = g->b + p * g->ldb;
                for (int64_t j = 0; j < g->n; j++) c[j] += a * b[j];
            }
        }
    }
}

/* The columns xx of an output row whose tap kj reads inside the input: [*lo, *hi). */
static void tap_columns(const stn_conv *a, int64_t kj, int64_t *lo, int64_t *hi) {
    int64_t l = a->pad - kj, h = a->wd + a->pad - kj;
    if (l < 0) l = 0;
    if (h > a->ow) h = a->ow;
    if (h < l) h = l;
    *lo = l;
    *hi = h;
}

/* col[(ci*k + ki)*k + kj][yy*ow + xx] = x[ci][yy + ki - pad][xx + kj - pad], 0 outside.
 * When ow == w (a "same" convolution, the layers' case), a col row is the input plane shifted by
 * (ki - pad) * w + (kj - pad): one copy of the rows that exist, then zeros over the columns that wrapped to the
 * neighbouring row; otherwise row by row. */
static void im2col(const stn_conv *a, const float *x, float *col) {
    const int64_t hw = a->oh * a->ow;
    for (int64_t ci = 0; ci < a->c; ci++) {
        const float *plane = x + ci * a->h * a->wd;
        for (int64_t ki = 0; ki < a->k; ki++) {
            /* output rows yy whose tap row iy = yy + ki - pad exists: [ylo, yhi) */
            int64_t ylo = a->pad - ki, yhi = a->h + a->pad - ki;
            if (ylo < 0) ylo = 0;
            if (yhi > a->oh) yhi = a->oh;
            if (yhi < ylo) yhi = ylo;
            for (int64_t kj = 0; kj < a->k; kj++) {
                float *dst = col + ((ci * a->k + ki) * a->k + kj) * hw;
                int64_t lo, hi;
                tap_columns(a, kj, &lo, &hi);
                memset(dst, 0, (size_t)(ylo * a->ow) * sizeof(float));
                memset(dst + yhi * a->ow, 0, (size_t)((a->oh - yhi) * a->ow) * sizeof(float));
                if (a->ow == a->wd && yhi > ylo) {
                    /* dst[i] = plane[i + shift] for the rows that exist, clipped to the plane's ends */
                    const int64_t shift = (ki - a->pad) * a->wd + (kj - a->pad);
                    int64_t from = ylo * a->ow, to = yhi * a->ow;
                    if (from + shift < 0) from = -shift;
                    if (to + shift > a->h * a->wd) to = a->h * a->wd - shift;
                    if (to > from) memcpy(dst + from, plane + from + shift, (size_t)(to - from) * sizeof(float));
                    for (int64_t i = ylo * a->ow; i < from; i++) dst[i] = 0.0f;
                    for (int64_t i = to > from ? to : from; i < yhi * a->ow; i++) dst[i] = 0.0f;
                    if (lo > 0 || hi < a->ow) {
                        for (int64_t yy = ylo; yy < yhi; yy++) {
                            for (int64_t xx = 0; xx < lo; xx++) dst[yy * a->ow + xx] = 0.0f;
                            for (int64_t xx = hi; xx < a->ow; xx++) dst[yy * a->ow + xx] = 0.0f;
                        }
                    }
                    continue;
                }
                for (int64_t yy = ylo; yy < yhi; yy++) {
                    float *d = dst + yy * a->ow;
                    const float *src = plane + (yy + ki - a->pad) * a->wd + kj - a->pad;
                    for (int64_t xx = 0; xx < lo; xx++) d[xx] = 0.0f;
                    if (hi > lo) memcpy(d + lo, src + lo, (size_t)(hi - lo) * sizeof(float));
                    for (int64_t xx = hi; xx < a->ow; xx++) d[xx] = 0.0f;
                }
            }
        }
    }
}

/* gx = col2im(col): every col entry added to the input pixel it was read from, col rows in order. When ow == w the
 * entries that im2col zeroed for wrapped columns are zeroed here too (col is scratch), so each col row is one
 * shifted add over its existing rows; otherwise row by row. */
static void col2im(const stn_conv *a, float *col, float *gx) {
    const int64_t hw = a->oh * a->ow;
    memset(gx, 0, (size_t)(a->c * a->h * a->wd) * sizeof(float));
    for (int64_t ci = 0; ci < a->c; ci++) {
        float *plane = gx + ci * a->h * a->wd;
        for (int64_t ki = 0; ki < a->k; ki++) {
            int64_t ylo = a->pad - ki, yhi = a->h + a->pad - ki;
            if (ylo < 0) ylo = 0;
            if (yhi > a->oh) yhi = a->oh;
            if (yhi <= ylo) continue;
            for (int64_t kj = 0; kj < a->k; kj++) {
                float *src = col + ((ci * a->k + ki) * a->k + kj) * hw;
                int64_t lo, hi;
                tap_columns(a, kj, &lo, &hi);
                if (a->ow == a->wd) {
                    if (lo > 0 || hi < a->ow) {
                        for (int64_t yy = ylo; yy < yhi; yy++) {
                            for (int64_t xx = 0; xx < lo; xx++) src[yy * a->ow + xx] = 0.0f;
                            for (int64_t xx = hi; xx < a->ow; xx++) src[yy * a->ow + xx] = 0.0f;
                        }
                    }
                    const int64_t shift = (ki - a->pad) * a->wd + (kj - a->pad);
                    int64_t from = ylo * a->ow, to = yhi * a->ow;
                    if (from + shift < 0) from = -shift;
                    if (to + shift > a->h * a->wd) to = a->h * a->wd - shift;
                    float *d = plane + shift;
                    for (int64_t i = from; i < to; i++) d[i] += src[i];
                    continue;
                }
                for (int64_t yy = ylo; yy < yhi; yy++) {
                    float *d = plane + (yy + ki - a->pad) * a->wd + kj - a->pad;
                    const float *s = src + yy * a->ow;
                    for (int64_t xx = lo; xx < hi; xx++) d[xx] += s[xx];
                }
            }
        }
    }
}

void stn_conv2d_forward_impl(const stn_kernels *k, const stn_conv *a) {
    const int64_t ckk = a->c * a->k * a->k, hw = a->oh * a->ow;
    for (int64_t n = a->n_begin; n < a->n_end; n++) {
        float *y = a->y + n * a->o * hw;
        im2col(a, a->x + n * a->c * a->h * a->wd, a->col);
        const stn_gemm g = {a->w, a->col, y, a->o, hw, ckk, ckk, hw, hw, 0, 0, 0};
        stn_run_gemm(k, &g);
        for (int64_t o = 0; o < a->o; o++) {
            float *row = y + o * hw;
            const float bias = a->b ? a->b[o] : 0.0f;
            if (a->relu) {
                for (int64_t i = 0; i < hw; i++) {
                    const float v = row[i] + bias;
                    row[i] = v > 0.0f ? v : 0.0f;
                }
            } else {
                for (int64_t i = 0; i < hw; i++) row[i] += bias;
            }
        }
    }
}

void stn_conv2d_backward_input_impl(const stn_kernels *k, const stn_conv *a) {
    const int64_t ckk = a->c * a->k * a->k, hw = a->oh * a->ow;
    for (int64_t n = a->n_begin; n < a->n_end; n++) {
        /* col = Wᵀ [Ck², O] . gy[n] [O, HoWo] */
        const stn_gemm g = {a->w, a->gy + n * a->o * hw, a->col, ckk, hw, a->o, ckk, hw, hw, 1, 0, 0};
        stn_run_gemm(k, &g);
        col2im(a, a->col, a->gx + n * a->c * a->h * a->wd);
    }
}

void stn_conv2d_backward_weight_impl(const stn_kernels *k, const stn_conv *a) {
    const int64_t ckk = a->c * a->k * a->k, hw = a->oh * a->ow;
    for (int64_t n = a->n_begin; n < a->n_end; n++) {
        const float *gy = a->gy + n * a->o * hw;
        im2col(a, a->x + n * a->c * a->h * a->wd, a->col);
        /* gw [O, Ck²] (+)= gy[n] [O, HoWo] . colᵀ */
        const int32_t acc = a->accumulate || n > a->n_begin;
        const stn_gemm g = {gy, a->col, a->gw, a->o, ckk, hw, hw, hw, ckk, 0, 1, acc};
        stn_run_gemm(k, &g);
        if (a->gb) {
            for (int64_t o = 0; o < a->o; o++) {
                float s = acc ? a->gb[o] : 0.0f;
                for (int64_t i = 0; i < hw; i++) s += gy[o * hw + i];
                a->gb[o] = s;
            }
        }
    }
}

void stn_max_pool2d_impl(const float *x, float *y, int32_t *arg, int64_t h, int64_t w, int64_t k, int64_t p_begin,
                         int64_t p_end) {
    const int64_t oh = h / k, ow = w / k;
    for (int64_t p = p_begin; p < p_end; p++) {
        const float *plane = x + p * h * w;
        for (int64_t i = 0; i < oh; i++) {
            for (int64_t j = 0; j < ow; j++) {
                /* selects, not branches: on real activations the winner is a coin toss, and mispredicted branches
                 * cost more than the comparisons */
                int64_t best = i * k * w + j * k;
                float bv = plane[best];
                for (int64_t a = 0; a < k; a++) {
                    for (int64_t c = 0; c < k; c++) {
                        const int64_t at = (i * k + a) * w + j * k + c;
                        const float v = plane[at];
                        const int gt = v > bv;
                        bv = gt ? v : bv;
                        best = gt ? at : best;
                    }
                }
                const int64_t o = (p * oh + i) * ow + j;
                y[o] = bv;
                arg[o] = (int32_t)best;
            }
        }
    }
}

void stn_max_pool2d_backward_impl(const float *gy, const int32_t *arg, float *gx, int64_t h, int64_t w, int64_t k,
                                  int64_t p_begin, int64_t p_end) {
    const int64_t out = (h / k) * (w / k);
    for (int64_t p = p_begin; p < p_end; p++) {
        float *plane = gx + p * h * w;
        memset(plane, 0, (size_t)(h * w) * sizeof(float));
        for (int64_t o = p * out; o < (p + 1) * out; o++) plane[arg[o]] += gy[o];
    }
}
