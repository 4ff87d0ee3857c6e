/*
 * libFuzzer target for the C API: the fuzzer's bytes choose sizes (including 0 and 1), mode, padding, align_corners,
 * ISA, row range, and the grid's values (raw float bits: NaN, +-Inf, +-1e30, denormals, exact edges all occur), and
 * every 2-D / 3-D entry point runs forward and backward on buffers of exactly the needed size (so ASan catches any
 * access outside them). Each vector ISA's results are compared with the portable C path's (spatial ops bitwise, the
 * dense kernels within a tolerance); a mismatch aborts. One input in four exercises the dense kernels of nn instead:
 * products (every transpose, leading dimensions past the width) and convolutions (forward, input and weight gradients,
 * through a ReLU or not) on exact-size buffers and exact-size scratch, every ISA against the portable path.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Inative/include -Inative/src ... (see scripts/fuzz.sh)
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stn.h"

typedef struct {
    const uint8_t *p;
    size_t n;
} bytes;

static uint32_t take(bytes *b, int k) { /* k bytes, little-endian; zeros once exhausted */
    uint32_t v = 0;
    for (int i = 0; i < k; i++) {
        v |= (uint32_t)(b->n ? *b->p : 0) << (8 * i);
        if (b->n) b->p++, b->n--;
    }
    return v;
}

static float take_float(bytes *b) {
    static const float special[] = {NAN, INFINITY, -INFINITY, 1e30f, -1e30f, 1.0f, -1.0f, 0.0f, -0.0f,
                                    1e-40f, -1e-40f, 0.5f, -0.5f, 0.999999f, -1.000001f, 3.0f};
    const uint32_t sel = take(b, 1);
    if (sel < 64) return special[sel % 16];
    if (sel < 160) return ((float)(int32_t)take(b, 2) / 16384.0f); /* within a few units: most points inside */
    uint32_t bits = take(b, 4);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static float *buf(int64_t count) { return (float *)calloc((size_t)(count > 0 ? count : 1), sizeof(float)); }

static int same(const float *a, const float *b, int64_t count, float tol) {
    for (int64_t i = 0; i < count; i++) {
        if (isnan(a[i]) && isnan(b[i])) continue;
        const float d = fabsf(a[i] - b[i]), s = fmaxf(1.0f, fmaxf(fabsf(a[i]), fabsf(b[i])));
        if (!(d <= tol * s) && !(isinf(a[i]) && a[i] == b[i])) return 0;
    }
    return 1;
}

/* The same float bits (NaN equal to NaN): the spatial kernels of every ISA follow the portable kernel's operations in
 * its order (docs/guarantees.md, "The same bits everywhere"). */
static int same_bits(const float *a, const float *b, int64_t count) {
    for (int64_t i = 0; i < count; i++) {
        if (isnan(a[i]) && isnan(b[i])) continue;
        if (memcmp(a + i, b + i, sizeof(float)) != 0) return 0;
    }
    return 1;
}

/* The dense kernels: sizes from the fuzzer's bytes (0 and 1 included), values from them too. */
static void fuzz_dense(bytes *b) {
    /* a product */
    const int32_t ta = (int32_t)(take(b, 1) & 1), tb = (int32_t)(take(b, 1) & 1), acc = (int32_t)(take(b, 1) & 1);
    const int64_t m = take(b, 1) % 60, n = take(b, 1) % 110, k = take(b, 2) % 600;
    const int64_t lda = (ta ? m : k) + take(b, 1) % 3, ldb = (tb ? k : n) + take(b, 1) % 3, ldc = n + take(b, 1) % 3;
    const int64_t as = (ta ? k : m) * lda, bs = (tb ? n : k) * ldb, cs = m * ldc;
    float *a = buf(as), *bm = buf(bs), *ref = buf(cs);
    for (int64_t i = 0; i < as; i++) a[i] = (float)(i % 13) - 6.0f;
    for (int64_t i = 0; i < bs; i++) bm[i] = (float)(i % 7) * 0.25f - 0.75f;
    for (int64_t i = 0; i < cs; i++) ref[i] = (float)(i % 3);
    const int64_t la = lda > 0 ? lda : 1, lb = ldb > 0 ? ldb : 1, lc = ldc > 0 ? ldc : 1;
    if (stn_sgemm(STN_ISA_SCALAR, ta, tb, m, n, k, a, la, bm, lb, ref, lc, acc) != STN_OK) abort();
    for (int32_t isa = STN_ISA_AVX2; isa <= STN_ISA_NEON; isa++) {
        if (!stn_isa_supported(isa)) continue;
        float *c = buf(cs);
        for (int64_t i = 0; i < cs; i++) c[i] = (float)(i % 3);
        if (stn_sgemm(isa, ta, tb, m, n, k, a, la, bm, lb, c, lc, acc) != STN_OK || !same(c, ref, cs, 1e-4f)) abort();
        free(c);
    }
    free(a), free(bm), free(ref);

    /* a convolution */
    const int64_t cn = take(b, 1) % 4, cc = take(b, 1) % 6, h = 1 + take(b, 1) % 12, w = 1 + take(b, 1) % 12;
    const int64_t co = take(b, 1) % 7, ck = 1 + take(b, 1) % 5, pad = take(b, 1) % 4;
    const int32_t relu = (int32_t)(take(b, 1) & 1);
    const int64_t oh = h + 2 * pad - ck + 1, ow = w + 2 * pad - ck + 1;
    const int64_t scratch = stn_conv2d_scratch(cc, h, w, co, ck, pad);
    if (oh < 1 || ow < 1) {
        if (scratch != -1) abort();
        return;
    }
    const int64_t xs = cn * cc * h * w, ws = co * cc * ck * ck, ys = cn * co * oh * ow;
    float *x = buf(xs), *wt = buf(ws), *bias = buf(co), *gy = buf(ys);
    /* finite values: sums of infinities in another order may differ (inf against NaN), which is not a defect */
    for (int64_t i = 0; i < xs; i++) x[i] = (float)(int8_t)take(b, 1) / 32.0f;
    for (int64_t i = 0; i < ws; i++) wt[i] = (float)(i % 5) * 0.5f - 1.0f;
    for (int64_t i = 0; i < co; i++) bias[i] = (float)i - 1.0f;
    for (int64_t i = 0; i < ys; i++) gy[i] = (float)(i % 9) - 4.0f;
    float *y_ref = buf(ys), *gx_ref = buf(xs), *gw_ref = buf(ws), *gb_ref = buf(co);
    for (int32_t isa = STN_ISA_SCALAR; isa <= STN_ISA_NEON; isa++) {
        if (!stn_isa_supported(isa)) continue;
        float *col = buf(scratch), *y = buf(ys), *gx = buf(xs), *gw = buf(ws), *gb = buf(co);
        int rc = stn_conv2d_forward(isa, x, wt, bias, y, col, cn, cc, h, w, co, ck, pad, relu, 0, cn);
        if (pad < ck)
            rc |= stn_conv2d_backward_input(isa, gy, relu ? y : NULL, wt, gx, col, cn, cc, h, w, co, ck, pad, 0, cn);
        rc |= stn_conv2d_backward_weight(isa, gy, relu ? y : NULL, x, gw, gb, col, cn, cc, h, w, co, ck, pad, 0, 0, cn);
        if (rc != STN_OK) abort();
        if (isa == STN_ISA_SCALAR) {
            memcpy(y_ref, y, (size_t)ys * sizeof(float)), memcpy(gx_ref, gx, (size_t)xs * sizeof(float));
            memcpy(gw_ref, gw, (size_t)ws * sizeof(float)), memcpy(gb_ref, gb, (size_t)co * sizeof(float));
        } else if (!same(y, y_ref, ys, 1e-3f) || !same(gx, gx_ref, xs, 1e-3f) || !same(gw, gw_ref, ws, 1e-3f) ||
                   !same(gb, gb_ref, co, 1e-3f)) {
            abort();
        }
        free(col), free(y), free(gx), free(gw), free(gb);
    }
    free(x), free(wt), free(bias), free(gy), free(y_ref), free(gx_ref), free(gw_ref), free(gb_ref);
}

/* [N, C, H*W] as [N, H*W, C], in a new buffer. */
static float *nhwc_of(const float *v, int64_t n, int64_t c, int64_t hw) {
    float *t = buf(n * c * hw);
    for (int64_t i = 0; i < n; i++)
        for (int64_t ch = 0; ch < c; ch++)
            for (int64_t p = 0; p < hw; p++) t[(i * hw + p) * c + ch] = v[(i * c + ch) * hw + p];
    return t;
}

/* Channels-last on every ISA: bitwise the portable NCHW results (out_ref, gin_ref, gg_ref) transposed. */
static void fuzz_nhwc(const float *in, const float *grid, const float *gout, const float *out_ref,
                      const float *gin_ref, const float *gg_ref, int64_t n, int64_t c, int64_t ih, int64_t iw,
                      int64_t oh, int64_t ow, int32_t mode, int32_t pad, int32_t align, int64_t r0, int64_t r1) {
    const int64_t in_count = n * c * ih * iw, out_count = n * c * oh * ow, gg_count = n * oh * ow * 2;
    float *in_t = nhwc_of(in, n, c, ih * iw), *gout_t = nhwc_of(gout, n, c, oh * ow);
    float *out_t = nhwc_of(out_ref, n, c, oh * ow), *gin_t = nhwc_of(gin_ref, n, c, ih * iw);
    for (int32_t isa = STN_ISA_SCALAR; isa <= STN_ISA_NEON; isa++) {
        if (!stn_isa_supported(isa)) continue;
        float *out = buf(out_count), *gin = buf(in_count), *gg = buf(gg_count);
        const int32_t rc = stn_grid_sample_2d_nhwc(isa, in_t, grid, out, n, c, ih, iw, oh, ow, mode, pad, align, r0,
                                                   r1) |
                           stn_grid_sample_2d_backward_nhwc(isa, gout_t, in_t, grid, gin, gg, n, c, ih, iw, oh, ow,
                                                            mode, pad, align, r0, r1);
        if (rc != STN_OK || memcmp(out, out_t, sizeof(float) * (size_t)out_count) != 0 ||
            memcmp(gin, gin_t, sizeof(float) * (size_t)in_count) != 0 ||
            memcmp(gg, gg_ref, sizeof(float) * (size_t)gg_count) != 0)
            abort();
        free(out), free(gin), free(gg);
    }
    free(in_t), free(gout_t), free(out_t), free(gin_t);
}

/* Banded backwards on every ISA, NCHW and NHWC: two bands cut at row cut give together the unbanded call's grad
 * input, bitwise (gin_ref, portable), with and without STN_BACKWARD_FRESH. */
static void fuzz_band(const float *in, const float *grid, const float *gout, const float *gin_ref, int64_t n,
                      int64_t c, int64_t ih, int64_t iw, int64_t oh, int64_t ow, int32_t mode, int32_t pad,
                      int32_t align, int64_t r0, int64_t r1, int64_t cut, int fresh) {
    const int64_t in_count = n * c * ih * iw;
    const int32_t m = mode | (fresh && r0 == 0 && r1 == oh ? STN_BACKWARD_FRESH : 0);
    float *in_t = nhwc_of(in, n, c, ih * iw), *gout_t = nhwc_of(gout, n, c, oh * ow);
    float *gin_t = nhwc_of(gin_ref, n, c, ih * iw);
    for (int32_t isa = STN_ISA_SCALAR; isa <= STN_ISA_NEON; isa++) {
        if (!stn_isa_supported(isa)) continue;
        float *gin = buf(in_count), *gin_h = buf(in_count);
        if (m & STN_BACKWARD_FRESH)
            for (int64_t i = 0; i < in_count; i++) gin[i] = gin_h[i] = NAN; /* overwritten, never read */
        const int32_t rc =
            stn_grid_sample_2d_backward_band(isa, gout, in, grid, gin, NULL, n, c, ih, iw, oh, ow, m, pad, align, r0,
                                             r1, 0, cut) |
            stn_grid_sample_2d_backward_band(isa, gout, in, grid, gin, NULL, n, c, ih, iw, oh, ow, m, pad, align, r0,
                                             r1, cut, ih) |
            stn_grid_sample_2d_backward_nhwc_band(isa, gout_t, in_t, grid, gin_h, NULL, n, c, ih, iw, oh, ow, m, pad,
                                                  align, r0, r1, cut, ih) |
            stn_grid_sample_2d_backward_nhwc_band(isa, gout_t, in_t, grid, gin_h, NULL, n, c, ih, iw, oh, ow, m, pad,
                                                  align, r0, r1, 0, cut);
        if (rc != STN_OK || memcmp(gin, gin_ref, sizeof(float) * (size_t)in_count) != 0 ||
            memcmp(gin_h, gin_t, sizeof(float) * (size_t)in_count) != 0)
            abort();
        free(gin), free(gin_h);
    }
    free(in_t), free(gout_t), free(gin_t);
}

/* The fused affine sampler against the unfused pair on every ISA, bitwise: output and input gradient over rows
 * [r0, r1), theta's gradient from those rows' sums (the other rows' sums, and grid gradients, are zero on both sides). */
static void fuzz_fused(const float *in, const float *gout, const float *theta, int64_t n, int64_t c, int64_t ih,
                       int64_t iw, int64_t oh, int64_t ow, int32_t mode, int32_t pad, int32_t align, int64_t r0,
                       int64_t r1) {
    const int64_t in_count = n * c * ih * iw, out_count = n * c * oh * ow, pts = n * oh * ow;
    for (int32_t isa = STN_ISA_SCALAR; isa <= STN_ISA_NEON; isa++) {
        if (!stn_isa_supported(isa)) continue;
        float *grid = buf(pts * 2), *out_ref = buf(out_count), *gin_ref = buf(in_count), *gg = buf(pts * 2);
        float *gt_ref = buf(n * 6), *out = buf(out_count), *gin = buf(in_count), *rows = buf(n * oh * 4);
        float *gt = buf(n * 6);
        int rc = stn_affine_grid_2d(isa, theta, grid, n, oh, ow, align, 0, oh) |
                 stn_grid_sample_2d(isa, in, grid, out_ref, n, c, ih, iw, oh, ow, mode, pad, align, r0, r1) |
                 stn_grid_sample_2d_backward(isa, gout, in, grid, gin_ref, gg, n, c, ih, iw, oh, ow, mode, pad, align,
                                             r0, r1) |
                 stn_affine_grid_2d_backward(isa, gg, gt_ref, n, oh, ow, align) |
                 stn_affine_sample_2d(isa, in, theta, out, n, c, ih, iw, oh, ow, mode, pad, align, r0, r1) |
                 stn_affine_sample_2d_backward(isa, gout, in, theta, gin, rows, n, c, ih, iw, oh, ow, mode, pad, align,
                                               r0, r1) |
                 stn_affine_sample_2d_theta(rows, gt, n, oh, align);
        if (rc != STN_OK || !same_bits(out, out_ref, out_count) || !same_bits(gin, gin_ref, in_count) ||
            !same_bits(gt, gt_ref, n * 6))
            abort();
        free(grid), free(out_ref), free(gin_ref), free(gg), free(gt_ref), free(out), free(gin), free(rows), free(gt);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bytes b = {data, size};
    if ((take(&b, 1) & 3) == 0) {
        fuzz_dense(&b);
        return 0;
    }
    const int three_d = (int)(take(&b, 1) & 1);
    const int64_t n = take(&b, 1) % 3, c = take(&b, 1) % 10;
    const int64_t id = three_d ? 1 + take(&b, 1) % 4 : 1, ih = 1 + take(&b, 1) % 9, iw = 1 + take(&b, 1) % 19;
    const int64_t od = three_d ? take(&b, 1) % 4 : 1, oh = take(&b, 1) % 6, ow = take(&b, 1) % 21;
    const int32_t mode = (int32_t)(take(&b, 1) % (three_d ? 2 : 3)), pad = (int32_t)(take(&b, 1) % 3);
    const int32_t align = (int32_t)(take(&b, 1) & 1);
    const int64_t rows = od * oh, r0 = rows ? take(&b, 1) % (rows + 1) : 0;
    const int64_t r1 = r0 + (rows - r0 ? take(&b, 1) % (rows - r0 + 1) : 0);
    const int64_t in_count = n * c * id * ih * iw, pts = n * od * oh * ow, k = three_d ? 3 : 2;
    const int64_t out_count = n * c * od * oh * ow;

    float *in = buf(in_count), *grid = buf(pts * k), *gout = buf(out_count);
    for (int64_t i = 0; i < in_count; i++) in[i] = (float)(i % 7) - 3.0f;
    for (int64_t i = 0; i < pts * k; i++) grid[i] = take_float(&b);
    for (int64_t i = 0; i < out_count; i++) gout[i] = (float)(i % 5) - 2.0f;
    float *out_ref = buf(out_count), *gin_ref = buf(in_count), *gg_ref = buf(pts * k);
    int rc;
    if (three_d) {
        rc = stn_grid_sample_3d(STN_ISA_SCALAR, in, grid, out_ref, n, c, id, ih, iw, od, oh, ow, mode, pad, align, r0, r1);
        if (rc == STN_OK)
            rc = stn_grid_sample_3d_backward(STN_ISA_SCALAR, gout, in, grid, gin_ref, gg_ref, n, c, id, ih, iw, od, oh,
                                             ow, mode, pad, align, r0, r1);
    } else {
        rc = stn_grid_sample_2d(STN_ISA_SCALAR, in, grid, out_ref, n, c, ih, iw, oh, ow, mode, pad, align, r0, r1);
        if (rc == STN_OK)
            rc = stn_grid_sample_2d_backward(STN_ISA_SCALAR, gout, in, grid, gin_ref, gg_ref, n, c, ih, iw, oh, ow, mode,
                                             pad, align, r0, r1);
    }
    if (rc != STN_OK) abort(); /* every input built here is valid */
    if (!three_d) {
        fuzz_nhwc(in, grid, gout, out_ref, gin_ref, gg_ref, n, c, ih, iw, oh, ow, mode, pad, align, r0, r1);
        const int64_t cut = take(&b, 1) % (ih + 1);
        fuzz_band(in, grid, gout, gin_ref, n, c, ih, iw, oh, ow, mode, pad, align, r0, r1, cut, (int)(take(&b, 1) & 1));
    }
    for (int32_t isa = STN_ISA_AVX2; isa <= STN_ISA_NEON; isa++) {
        if (!stn_isa_supported(isa)) continue;
        float *out = buf(out_count), *gin = buf(in_count), *gg = buf(pts * k);
        if (three_d) {
            rc = stn_grid_sample_3d(isa, in, grid, out, n, c, id, ih, iw, od, oh, ow, mode, pad, align, r0, r1) |
                 stn_grid_sample_3d_backward(isa, gout, in, grid, gin, gg, n, c, id, ih, iw, od, oh, ow, mode, pad,
                                             align, r0, r1);
        } else {
            rc = stn_grid_sample_2d(isa, in, grid, out, n, c, ih, iw, oh, ow, mode, pad, align, r0, r1) |
                 stn_grid_sample_2d_backward(isa, gout, in, grid, gin, gg, n, c, ih, iw, oh, ow, mode, pad, align, r0,
                                             r1);
        }
        /* rows outside [r0, r1) stay zero on both sides */
        if (rc != STN_OK || !same_bits(out, out_ref, out_count) || !same_bits(gin, gin_ref, in_count) ||
            !same_bits(gg, gg_ref, pts * k))
            abort();
        free(out), free(gin), free(gg);
    }
    /* affine grid on the same sizes, every ISA against the portable kernel, bitwise */
    float *theta = buf(n * 12), *ag_ref = buf(pts * k), *gt_ref = buf(n * 12);
    for (int64_t i = 0; i < n * 12; i++) theta[i] = take_float(&b);
    const int64_t a0 = r0 < oh ? r0 : oh, a1 = r1 < oh ? r1 : oh;
    for (int32_t isa = STN_ISA_SCALAR; isa <= STN_ISA_NEON; isa++) {
        if (!stn_isa_supported(isa)) continue;
        float *ag = isa == STN_ISA_SCALAR ? ag_ref : buf(pts * k), *gt = isa == STN_ISA_SCALAR ? gt_ref : buf(n * 12);
        rc = three_d ? stn_affine_grid_3d(isa, theta, ag, n, od, oh, ow, align, r0, r1) |
                           stn_affine_grid_3d_backward(isa, grid, gt, n, od, oh, ow, align)
                     : stn_affine_grid_2d(isa, theta, ag, n, oh, ow, align, a0, a1) |
                           stn_affine_grid_2d_backward(isa, grid, gt, n, oh, ow, align);
        if (rc != STN_OK) abort();
        if (isa != STN_ISA_SCALAR) {
            if (!same_bits(ag, ag_ref, pts * k) || !same_bits(gt, gt_ref, n * (three_d ? 12 : 6))) abort();
            free(ag), free(gt);
        }
    }
    if (!three_d && r1 <= oh) fuzz_fused(in, gout, theta, n, c, ih, iw, oh, ow, mode, pad, align, r0, r1);
    free(theta), free(ag_ref), free(gt_ref);
    free(in), free(grid), free(gout), free(out_ref), free(gin_ref), free(gg_ref);
    return 0;
}
