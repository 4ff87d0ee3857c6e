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

/* col[(ci*k + ki)*k + kj][yy*ow + xx] = x[ci][yy + ki - pad][xx + kj - pad], 0 outside. */
static void im2col(const stn_conv *a, const float *x, float *col) {
    const int64_t hw = a->oh * a->ow;
    for (int64_t ci = 0; ci < a->c; ci++) {
        for (int64_t ki = 0; ki < a->k; ki++) {
            for (int64_t kj = 0; kj < a->k; kj++) {
                float *dst = col + ((ci * a->k + ki) * a->k + kj) * hw;
                /* columns xx with 0 <= xx + kj - pad < wd */
                int64_t lo = a->pad - kj, hi = a->wd + a->pad - kj;
                if (lo < 0) lo = 0;
                if (hi > a->ow) hi = a->ow;
                if (hi < lo) hi = lo;
                for (int64_t yy = 0; yy < a->oh; yy++) {
                    float *d = dst + yy * a->ow;
                    const int64_t iy = yy + ki - a->pad;
                    if (iy < 0 || iy >= a->h) {
                        memset(d, 0, (size_t)a->ow * sizeof(float));
                        continue;
                    }
                    const float *s = x + (ci * a->h + iy) * a->wd + kj - a->pad;
                    for (int64_t xx = 0; xx < lo; xx++) d[xx] = 0.0f;
                    if (hi > lo) memcpy(d + lo, s + lo, (size_t)(hi - lo) * sizeof(float));
                    for (int64_t xx = hi; xx < a->ow; xx++) d[xx] = 0.0f;
                }
            }
        }
    }
}

/* gx = col2im(col): every col entry added to the input pixel it was read from, rows in order. */
static void col2im(const stn_conv *a, const float *col, float *gx) {
    const int64_t hw = a->oh * a->ow;
    memset(gx, 0, (size_t)(a->c * a->h * a->wd) * sizeof(float));
    for (int64_t ci = 0; ci < a->c; ci++) {
        for (int64_t ki = 0; ki < a->k; ki++) {
            for (int64_t kj = 0; kj < a->k; kj++) {
                const float *src = col + ((ci * a->k + ki) * a->k + kj) * hw;
                int64_t lo = a->pad - kj, hi = a->wd + a->pad - kj;
                if (lo < 0) lo = 0;
                if (hi > a->ow) hi = a->ow;
                for (int64_t yy = 0; yy < a->oh; yy++) {
                    const int64_t iy = yy + ki - a->pad;
                    if (iy < 0 || iy >= a->h) continue;
                    float *d = gx + (ci * a->h + iy) * a->wd + kj - a->pad;
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
