/*
 * The nn layers' dense kernels that are the same in every ISA: the portable product (the reference of
 * dense_simd.inc) and the 2-D convolutions, which lower each sample to one product of its own ISA.
 *
 * NOTE: a convolution (stride 1, zero padding `pad`, square kernel k) runs sample by sample as an implicit product:
 * the sample's planes are copied once with their zero border (hp x wp, hp = h + 2 pad), and row (ci, ki, kj) of the
 * matrix that im2col would write is the padded planes read from ci*hp*wp + ki*wp + kj, over the output rows at the
 * padded width wp (the last k - 1 columns of each row are computed and dropped). The product packs its panels
 * straight from there (stn_gemm.b_rows), so no im2col matrix is written or read: that copy cost a third of the
 * forward, and col2im a third of the input gradient.
 *   forward          y[n]  = W [O, Ck²] . X(x[n]) + b          (ReLU fused when asked)
 *   input gradient   gx[n] = the forward of gy[n] with W flipped in space and transposed in channels, padding
 *                            k - 1 - pad (so pad < k is required)
 *   weight gradient  gw   += gy'[n] . X(x[n])ᵀ, gb += Σ gy[n]  (samples n_begin .. n_end-1 in order; gy' is gy at
 *                            the padded width, zeros in the dropped columns)
 * The caller gives the scratch (stn_conv2d_scratch floats) and splits the batch; the weight gradient's caller keeps
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
                for (int64_t j = 0; j < g->n; j++) c[j] += a * stn_b_row(g, j)[p];
            } else {
                const float *b = stn_b_row(g, p);
                for (int64_t j = 0; j < g->n; j++) c[j] += a * b[j];
            }
        }
    }
}

/* Rows of the implicit matrix per product call: the row table lives on the stack. A multiple of every GEMM_KC, so
 * that cutting K at it sums every element in the order of one call. */
#define STN_CONV_ROWS 4096

/* One sample's zero-padded planes: pad[ci] is (h + 2 pad) x (w + 2 pad), then k zeros past the last plane (the
 * implicit matrix's last rows read up to k - 2 floats beyond it). With a mask, x counts only where mask > 0 (the
 * gradient through a fused ReLU, mask being its output). */
static void pad_planes(const float *x, const float *mask, int64_t c, int64_t h, int64_t w, int64_t pad, int64_t k,
                       float *out) {
    const int64_t wp = w + 2 * pad, hp = h + 2 * pad;
    for (int64_t ci = 0; ci < c; ci++) {
        float *d = out + ci * hp * wp;
        memset(d, 0, (size_t)(pad * wp) * sizeof(float));
        for (int64_t y = 0; y < h; y++) {
            float *row = d + (pad + y) * wp;
            for (int64_t i = 0; i < pad; i++) row[i] = 0.0f, row[pad + w + i] = 0.0f;
            const float *src = x + (ci * h + y) * w;
            if (mask) {
                const float *m = mask + (ci * h + y) * w;
                for (int64_t i = 0; i < w; i++) row[pad + i] = m[i] > 0.0f ? src[i] : 0.0f;
            } else {
                memcpy(row + pad, src, (size_t)w * sizeof(float));
            }
        }
        memset(d + (pad + h) * wp, 0, (size_t)(pad * wp) * sizeof(float));
    }
    memset(out + c * hp * wp, 0, (size_t)k * sizeof(float));
}

/* out [o, oh * wp] = wt [o, c*k*k] . X, X's row (ci, ki, kj) being the padded planes read from ci*hp*wp + ki*wp + kj:
 * the convolution over the padded width (columns ow .. wp-1 of each output row are scratch). With trans_x the product
 * is out [o, c*k*k] (+)= wt [o, oh * wp] . Xᵀ instead (the weight gradient). No im2col matrix is written. */
static void implicit_product(const stn_kernels *kt, const float *wt, const float *xpad, float *out, int64_t o,
                             int64_t c, int64_t k, int64_t hp, int64_t wp, int64_t oh, int trans_x, int accumulate) {
    int64_t rows[STN_CONV_ROWS];
    const int64_t ckk = c * k * k, cols = oh * wp;
    if (ckk == 0 && !trans_x && !accumulate) { /* no input channel: an empty sum */
        memset(out, 0, (size_t)(o * cols) * sizeof(float));
        return;
    }
    for (int64_t r0 = 0; r0 < ckk; r0 += STN_CONV_ROWS) {
        const int64_t nr = ckk - r0 < STN_CONV_ROWS ? ckk - r0 : STN_CONV_ROWS;
        for (int64_t r = 0; r < nr; r++) {
            const int64_t q = r0 + r, ci = q / (k * k), ki = q / k % k, kj = q % k;
            rows[r] = ci * hp * wp + ki * wp + kj;
        }
        if (!trans_x) {
            const stn_gemm g = {wt + r0, xpad, out, o, cols, nr, ckk, 0, cols, 0, 0, accumulate || r0 > 0, rows};
            stn_run_gemm(kt, &g);
        } else {
            const stn_gemm g = {wt, xpad, out + r0, o, nr, cols, cols, 0, ckk, 0, 1, accumulate, rows};
            stn_run_gemm(kt, &g);
        }
    }
}

/* Partial sums of the bias gradient (a fixed order: the same bits for any thread count). */
#define STN_SUM_LANES 16

/* Input channels below which the input gradient goes through a patch matrix (see below). */
#define STN_CONV_FEW 4

int64_t stn_conv2d_scratch_impl(int64_t c, int64_t h, int64_t w, int64_t o, int64_t k, int64_t pad) {
    const int64_t oh = h + 2 * pad - k + 1, ow = w + 2 * pad - k + 1;
    /* forward and weight gradient: padded input + output (or padded-width gradient) */
    const int64_t fwd = c * (h + 2 * pad) * (w + 2 * pad) + k + o * oh * (w + 2 * pad);
    /* input gradient: the forward of grad_y (o channels, padding k-1-pad) with flipped weights, or with few input
     * channels the patch matrix */
    const int64_t q = k - 1 - pad;
    const int64_t bwd = c < STN_CONV_FEW ? (c * k * k + o) * oh * ow
                                         : o * (oh + 2 * q) * (ow + 2 * q) + k + c * h * (ow + 2 * q) + c * o * k * k;
    return fwd > bwd ? fwd : bwd;
}

/* y[n] = epilogue(wt . X(x[n])) for samples [n_begin, n_end): the shared body of the forward and the input gradient. */
static void conv_samples(const stn_kernels *kt, const float *x, const float *mask, const float *wt,
                         const float *bias, float *y, float *scratch, int64_t c, int64_t h, int64_t w, int64_t o,
                         int64_t k, int64_t pad, int32_t relu, int64_t n_begin, int64_t n_end) {
    const int64_t hp = h + 2 * pad, wp = w + 2 * pad, oh = hp - k + 1, ow = wp - k + 1;
    float *xpad = scratch, *out = scratch + c * hp * wp + k;
    for (int64_t n = n_begin; n < n_end; n++) {
        pad_planes(x + n * c * h * w, mask ? mask + n * c * h * w : NULL, c, h, w, pad, k, xpad);
        implicit_product(kt, wt, xpad, out, o, c, k, hp, wp, oh, 0, 0);
        float *yn = y + n * o * oh * ow;
        for (int64_t oc = 0; oc < o; oc++) {
            const float b = bias ? bias[oc] : 0.0f;
            for (int64_t yy = 0; yy < oh; yy++) {
                const float *src = out + (oc * oh + yy) * wp;
                float *dst = yn + (oc * oh + yy) * ow;
                if (relu) { /* max(v, 0) as Java's Math.max: NaN stays NaN, -0 becomes +0 */
                    for (int64_t xx = 0; xx < ow; xx++) {
                        const float v = src[xx] + b;
                        dst[xx] = v > 0.0f || v != v ? v : 0.0f;
                    }
                } else {
                    for (int64_t xx = 0; xx < ow; xx++) dst[xx] = src[xx] + b;
                }
            }
        }
    }
}

void stn_conv2d_forward_impl(const stn_kernels *kt, const stn_conv *a) {
    conv_samples(kt, a->x, NULL, a->w, a->b, a->y, a->col, a->c, a->h, a->wd, a->o, a->k, a->pad, a->relu,
                 a->n_begin, a->n_end);
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

/* The input gradient is the convolution of grad_y (o channels) with the weights flipped in space and transposed in
 * channels, padding k - 1 - pad (the dispatcher requires pad < k): gx[ci] = sum over o of gy[o] * rot180(w[o][ci]). */
void stn_conv2d_backward_input_impl(const stn_kernels *kt, const stn_conv *a) {
    const int64_t q = a->k - 1 - a->pad, kk = a->k * a->k;
    if (a->c < STN_CONV_FEW) {
        /* few input channels (an image): that product would have a row or two, so go through the patch matrix:
         * col = Wᵀ [Ck², O] . gy[n] [O, HoWo], then each entry added back where it was read */
        const int64_t ckk = a->c * kk, hw = a->oh * a->ow;
        float *masked = a->col + ckk * hw;
        for (int64_t n = a->n_begin; n < a->n_end; n++) {
            const float *gy = a->gy + n * a->o * hw;
            if (a->ry) {
                const float *m = a->ry + n * a->o * hw;
                for (int64_t i = 0; i < a->o * hw; i++) masked[i] = m[i] > 0.0f ? gy[i] : 0.0f;
                gy = masked;
            }
            const stn_gemm g = {a->w, gy, a->col, ckk, hw, a->o, ckk, hw, hw, 1, 0, 0, NULL};
            stn_run_gemm(kt, &g);
            col2im(a, a->col, a->gx + n * a->c * a->h * a->wd);
        }
        return;
    }
    float *flipped = a->col, *scratch = a->col + a->c * a->o * kk;
    for (int64_t ci = 0; ci < a->c; ci++)
        for (int64_t oc = 0; oc < a->o; oc++)
            for (int64_t t = 0; t < kk; t++)
                flipped[(ci * a->o + oc) * kk + t] = a->w[(oc * a->c + ci) * kk + (kk - 1 - t)];
    conv_samples(kt, a->gy, a->ry, flipped, NULL, a->gx, scratch, a->o, a->oh, a->ow, a->c, a->k, q, 0, a->n_begin,
                 a->n_end);
}

/* gw [o, c*k*k] (+)= gy' . Xᵀ per sample, gy' being grad_y over the padded width (zeros in the scratch columns). */
void stn_conv2d_backward_weight_impl(const stn_kernels *kt, const stn_conv *a) {
    const int64_t hp = a->h + 2 * a->pad, wp = a->wd + 2 * a->pad, hw = a->oh * a->ow;
    float *xpad = a->col, *gyp = a->col + a->c * hp * wp + a->k;
    for (int64_t n = a->n_begin; n < a->n_end; n++) {
        const float *gy = a->gy + n * a->o * hw, *ry = a->ry ? a->ry + n * a->o * hw : NULL;
        const int32_t acc = a->accumulate || n > a->n_begin;
        pad_planes(a->x + n * a->c * a->h * a->wd, NULL, a->c, a->h, a->wd, a->pad, a->k, xpad);
        for (int64_t oc = 0; oc < a->o; oc++) {
            /* the bias gradient in STN_SUM_LANES interleaved partial sums added in lane order at the end: one
             * running sum was a chain of dependent adds that cost more than the weight gradient's product */
            float lanes[STN_SUM_LANES] = {0};
            for (int64_t yy = 0; yy < a->oh; yy++) {
                float *d = gyp + (oc * a->oh + yy) * wp;
                const int64_t at = (oc * a->oh + yy) * a->ow;
                if (ry) {
                    for (int64_t xx = 0; xx < a->ow; xx++) d[xx] = ry[at + xx] > 0.0f ? gy[at + xx] : 0.0f;
                } else {
                    memcpy(d, gy + at, (size_t)a->ow * sizeof(float));
                }
                for (int64_t xx = a->ow; xx < wp; xx++) d[xx] = 0.0f;
                /* the padded row holds zeros past ow: sum whole groups of lanes */
                for (int64_t xx = 0; xx < wp; xx += STN_SUM_LANES)
                    for (int l = 0; l < STN_SUM_LANES && xx + l < wp; l++) lanes[l] += d[xx + l];
            }
            float s = acc && a->gb ? a->gb[oc] : 0.0f, t = 0.0f;
            for (int l = 0; l < STN_SUM_LANES; l++) t += lanes[l];
            if (a->gb) a->gb[oc] = s + t;
        }
        if (a->gw) implicit_product(kt, gyp, xpad, a->gw, a->o, a->c, a->k, hp, wp, a->oh, 1, acc);
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
