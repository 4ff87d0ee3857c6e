/*
 * Native unit tests: every ISA path against the portable C path, on awkward sizes, every padding and
 * align_corners, forward and backward; hostile grid values (NaN, +-Inf, huge) to exercise the safety clamp under
 * the sanitizers; row-range splits; argument errors. Exit status 0 only when every check passed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stn.h"
#if defined(__SANITIZE_ADDRESS__)
#define STN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STN_ASAN 1
#endif
#endif
#ifdef STN_ASAN
#include <sanitizer/asan_interface.h>
#endif

static int failures = 0, checks = 0;

#define CHECK(cond, ...)                                                                                          \
    do {                                                                                                          \
        checks++;                                                                                                 \
        if (!(cond)) {                                                                                            \
            failures++;                                                                                           \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                   \
            fprintf(stderr, __VA_ARGS__);                                                                         \
            fprintf(stderr, "\n");                                                                                \
        }                                                                                                         \
    } while (0)

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static float frand(float lo, float hi) { /* xorshift64*: reproducible across platforms */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    const uint64_t r = rng * 0x2545F4914F6CDD1Dull;
    return lo + (hi - lo) * (float)((double)(r >> 40) / 16777216.0);
}

static float *alloc_f(int64_t count) { return (float *)calloc((size_t)(count > 0 ? count : 1), sizeof(float)); }

/* |a - b| <= tol * max(1, max|ref|), element-wise; both NaN counts as equal. */
static int close_all(const float *a, const float *b, int64_t count, float tol, const char *what) {
    float scale = 1.0f;
    for (int64_t i = 0; i < count; i++)
        if (fabsf(b[i]) > scale) scale = fabsf(b[i]);
    for (int64_t i = 0; i < count; i++) {
        if (isnan(a[i]) && isnan(b[i])) continue;
        if (!(fabsf(a[i] - b[i]) <= tol * scale)) {
            fprintf(stderr, "  %s: element %lld differs: %.9g vs %.9g (tol %g)\n", what, (long long)i, a[i], b[i],
                    tol * scale);
            return 0;
        }
    }
    return 1;
}

/* The same float bits element-wise (docs/guarantees.md: every ISA gives the portable kernel's bits); NaN equals NaN
 * whatever its payload, -0 and +0 differ. */
static int same_bits(const float *a, const float *b, int64_t count, const char *what) {
    int64_t diffs = 0, first = -1;
    for (int64_t i = 0; i < count; i++) {
        uint32_t ua, ub;
        memcpy(&ua, a + i, 4);
        memcpy(&ub, b + i, 4);
        if (ua != ub && !(a[i] != a[i] && b[i] != b[i])) {
            if (first < 0) first = i;
            diffs++;
        }
    }
    if (diffs)
        fprintf(stderr, "  %s: %lld of %lld elements differ, first %lld: %.9g (0x%08x) vs %.9g\n", what,
                (long long)diffs, (long long)count, (long long)first, a[first], *(const uint32_t *)(const void *)(a + first),
                b[first]);
    return diffs == 0;
}

static const int32_t isas[] = {STN_ISA_AVX2, STN_ISA_AVX512, STN_ISA_NEON};

/* theta kind 0: random; 1: identity; 2: scale 0.5; 3: a translation by whole pixels (points on pixel centres and
 * edges, where a last-bit difference flips floor()) */
static void fill_theta(float *theta, int64_t n, int64_t h, int64_t w, int kind) {
    for (int64_t b = 0; b < n; b++) {
        float *t = theta + 6 * b;
        for (int k = 0; k < 6; k++) t[k] = kind == 0 ? frand(-1.5f, 1.5f) : 0.0f;
        if (kind == 0) continue;
        t[0] = t[4] = kind == 2 ? 0.5f : 1.0f;
        if (kind == 3) {
            t[2] = 2.0f * (float)(b + 1) / (float)w;
            t[5] = -2.0f / (float)h;
        }
    }
}

static void test_affine(int64_t n, int64_t h, int64_t w, int align, int kind) {
    float *theta = alloc_f(n * 6), *g_ref = alloc_f(n * h * w * 2), *g = alloc_f(n * h * w * 2);
    float *gt_ref = alloc_f(n * 6), *gt = alloc_f(n * 6);
    fill_theta(theta, n, h, w, kind);
    CHECK(stn_affine_grid_2d(STN_ISA_SCALAR, theta, g_ref, n, h, w, align, 0, h) == STN_OK, "affine scalar");
    CHECK(stn_affine_grid_2d_backward(STN_ISA_SCALAR, g_ref, gt_ref, n, h, w, align) == STN_OK, "affine bwd");
    for (size_t k = 0; k < sizeof isas / sizeof *isas; k++) {
        if (!stn_isa_supported(isas[k])) continue;
        memset(g, 0, sizeof(float) * (size_t)(n * h * w * 2));
        /* two row ranges must together write the whole grid */
        CHECK(stn_affine_grid_2d(isas[k], theta, g, n, h, w, align, 0, h / 2) == STN_OK, "affine lo");
        CHECK(stn_affine_grid_2d(isas[k], theta, g, n, h, w, align, h / 2, h) == STN_OK, "affine hi");
        CHECK(same_bits(g, g_ref, n * h * w * 2, "affine grid"), "affine %s n=%lld h=%lld w=%lld ac=%d kind=%d",
              stn_isa_name(isas[k]), (long long)n, (long long)h, (long long)w, align, kind);
        CHECK(stn_affine_grid_2d_backward(isas[k], g_ref, gt, n, h, w, align) == STN_OK, "affine bwd");
        CHECK(same_bits(gt, gt_ref, n * 6, "affine grad theta"), "affine bwd %s h=%lld w=%lld ac=%d kind=%d",
              stn_isa_name(isas[k]), (long long)h, (long long)w, align, kind);
    }
    free(theta); free(g_ref); free(g); free(gt_ref); free(gt);
}

/* kind 0: ordinary grid in [-1.3, 1.3]; 1: far outside; 2: hostile values mixed in; 3: mostly inside the image (whole
 * vectors of points with every tap inside, the kernels' fast paths, with an outside point now and then) */
static void fill_grid(float *grid, int64_t count, int kind) {
    static const float hostile[] = {NAN, INFINITY, -INFINITY, 1e30f, -1e30f, 1.0f, -1.0f, 1e-40f, 3.0e9f, -0.0f};
    for (int64_t i = 0; i < count; i++) {
        if (kind == 0) grid[i] = frand(-1.3f, 1.3f);
        else if (kind == 1) grid[i] = frand(-10.0f, 10.0f);
        else if (kind == 2) grid[i] = (i % 3 == 0) ? hostile[(i / 3) % 10] : frand(-1.2f, 1.2f);
        else grid[i] = (i % 61 == 0) ? 1.2f : frand(-0.8f, 0.8f);
    }
}

static void test_sample(int64_t n, int64_t c, int64_t ih, int64_t iw, int64_t oh, int64_t ow, int kind) {
    const int64_t in_count = n * c * ih * iw, out_count = n * c * oh * ow, grid_count = n * oh * ow * 2;
    float *in = alloc_f(in_count), *grid = alloc_f(grid_count), *gout = alloc_f(out_count);
    float *out_ref = alloc_f(out_count), *out = alloc_f(out_count);
    float *gin_ref = alloc_f(in_count), *gin = alloc_f(in_count), *gg_ref = alloc_f(grid_count), *gg = alloc_f(grid_count);
    float *out2 = alloc_f(out_count), *gin2 = alloc_f(in_count), *gg2 = alloc_f(grid_count);
    for (int64_t i = 0; i < in_count; i++) in[i] = frand(-1, 1);
    for (int64_t i = 0; i < out_count; i++) gout[i] = frand(-1, 1);
    if (kind < 4) {
        fill_grid(grid, grid_count, kind);
    } else { /* kinds 4-6: the grid of theta kinds 1-3, points on pixel centres and edges */
        float *theta = alloc_f(n * 6);
        fill_theta(theta, n, oh, ow, kind - 3);
        CHECK(stn_affine_grid_2d(STN_ISA_SCALAR, theta, grid, n, oh, ow, 0, 0, oh) == STN_OK, "grid from theta");
        free(theta);
    }
    for (int mode = 0; mode <= 2; mode++) {
    for (int pad = 0; pad <= 2; pad++) {
        for (int align = 0; align <= 1; align++) {
            CHECK(stn_grid_sample_2d(STN_ISA_SCALAR, in, grid, out_ref, n, c, ih, iw, oh, ow, mode, pad, align, 0, oh) ==
                      STN_OK, "fwd scalar");
            memset(gin_ref, 0, sizeof(float) * (size_t)in_count);
            CHECK(stn_grid_sample_2d_backward(STN_ISA_SCALAR, gout, in, grid, gin_ref, gg_ref, n, c, ih, iw, oh, ow,
                                              mode, pad, align, 0, oh) == STN_OK, "bwd scalar");
            memset(gin2, 0xff, sizeof(float) * (size_t)in_count);
            CHECK(stn_grid_sample_2d_backward(STN_ISA_SCALAR, gout, in, grid, gin2, NULL, n, c, ih, iw, oh, ow,
                                              mode | STN_BACKWARD_FRESH, pad, align, 0, oh) == STN_OK &&
                      memcmp(gin_ref, gin2, sizeof(float) * (size_t)in_count) == 0,
                  "bwd scalar: STN_BACKWARD_FRESH changed the bits");
            for (int64_t i = 0; i < out_count; i++)
                CHECK(isfinite(out_ref[i]), "non-finite output %lld for kind %d", (long long)i, kind);
            for (size_t k = 0; k < sizeof isas / sizeof *isas; k++) {
                if (!stn_isa_supported(isas[k])) continue;
                const char *name = stn_isa_name(isas[k]);
                memset(out, 0xff, sizeof(float) * (size_t)out_count); /* NaN: every element must be written */
                const int64_t mid = oh / 3;
                CHECK(stn_grid_sample_2d(isas[k], in, grid, out, n, c, ih, iw, oh, ow, mode, pad, align, 0, mid) == STN_OK,
                      "fwd");
                CHECK(stn_grid_sample_2d(isas[k], in, grid, out, n, c, ih, iw, oh, ow, mode, pad, align, mid, oh) == STN_OK,
                      "fwd");
                CHECK(same_bits(out, out_ref, out_count, "forward"),
                      "fwd %s mode=%d n=%lld c=%lld %lldx%lld->%lldx%lld pad=%d ac=%d kind=%d", name, mode, (long long)n, (long long)c,
                      (long long)ih, (long long)iw, (long long)oh, (long long)ow, pad, align, kind);
                memset(gin, 0, sizeof(float) * (size_t)in_count);
                memset(gg, 0xff, sizeof(float) * (size_t)grid_count);
                CHECK(stn_grid_sample_2d_backward(isas[k], gout, in, grid, gin, gg, n, c, ih, iw, oh, ow, mode, pad,
                                                  align, 0, oh) == STN_OK, "bwd");
                CHECK(same_bits(gin, gin_ref, in_count, "grad input"),
                      "bwd gin %s mode=%d n=%lld c=%lld %lldx%lld->%lldx%lld pad=%d ac=%d kind=%d", name, mode, (long long)n,
                      (long long)c, (long long)ih, (long long)iw, (long long)oh, (long long)ow, pad, align, kind);
                CHECK(same_bits(gg, gg_ref, grid_count, "grad grid"),
                      "bwd gg %s mode=%d n=%lld c=%lld %lldx%lld->%lldx%lld pad=%d ac=%d kind=%d", name, mode, (long long)n,
                      (long long)c, (long long)ih, (long long)iw, (long long)oh, (long long)ow, pad, align, kind);
                /* The same ISA must give the same bits however the rows are split (threads split them, and the
                 * split moves which points form whole vectors): forward and both gradients, whole range vs two. */
                CHECK(stn_grid_sample_2d(isas[k], in, grid, out2, n, c, ih, iw, oh, ow, mode, pad, align, 0, oh) == STN_OK,
                      "fwd whole");
                CHECK(memcmp(out, out2, sizeof(float) * (size_t)out_count) == 0,
                      "fwd %s mode=%d pad=%d ac=%d kind=%d: a row split changed the bits", name, mode, pad, align, kind);
                memset(gin2, 0, sizeof(float) * (size_t)in_count);
                CHECK(stn_grid_sample_2d_backward(isas[k], gout, in, grid, gin2, gg2, n, c, ih, iw, oh, ow, mode, pad,
                                                  align, 0, mid) == STN_OK, "bwd lo");
                CHECK(stn_grid_sample_2d_backward(isas[k], gout, in, grid, gin2, gg2, n, c, ih, iw, oh, ow, mode, pad,
                                                  align, mid, oh) == STN_OK, "bwd hi");
                CHECK(memcmp(gin, gin2, sizeof(float) * (size_t)in_count) == 0 &&
                          memcmp(gg, gg2, sizeof(float) * (size_t)grid_count) == 0,
                      "bwd %s mode=%d pad=%d ac=%d kind=%d: a row split changed the bits", name, mode, pad, align, kind);
                /* STN_BACKWARD_FRESH: grad_input overwritten (its garbage never read), the same bits as zeroing it
                 * first; only for the whole row range */
                memset(gin2, 0xff, sizeof(float) * (size_t)in_count);
                CHECK(stn_grid_sample_2d_backward(isas[k], gout, in, grid, gin2, gg2, n, c, ih, iw, oh, ow,
                                                  mode | STN_BACKWARD_FRESH, pad, align, 0, oh) == STN_OK, "bwd fresh");
                CHECK(memcmp(gin, gin2, sizeof(float) * (size_t)in_count) == 0 &&
                          memcmp(gg, gg2, sizeof(float) * (size_t)grid_count) == 0,
                      "bwd %s mode=%d pad=%d ac=%d kind=%d: STN_BACKWARD_FRESH changed the bits", name, mode, pad, align,
                      kind);
                CHECK(oh == 0 || stn_grid_sample_2d_backward(isas[k], gout, in, grid, gin2, gg2, n, c, ih, iw, oh, ow,
                                                             mode | STN_BACKWARD_FRESH, pad, align, 0, oh - 1 + (oh == 1))
                                     == (oh == 1 ? STN_OK : STN_E_ARG),
                      "bwd fresh over part of the rows");
                /* only one gradient requested */
                memset(gin, 0, sizeof(float) * (size_t)in_count);
                CHECK(stn_grid_sample_2d_backward(isas[k], gout, in, grid, gin, NULL, n, c, ih, iw, oh, ow, mode, pad,
                                                  align, 0, oh) == STN_OK, "bwd gin only");
                CHECK(same_bits(gin, gin_ref, in_count, "grad input only"), "bwd gin-only %s", name);
                CHECK(stn_grid_sample_2d_backward(isas[k], gout, in, grid, NULL, gg, n, c, ih, iw, oh, ow, mode, pad,
                                                  align, 0, oh) == STN_OK, "bwd gg only");
                CHECK(same_bits(gg, gg_ref, grid_count, "grad grid only"), "bwd gg-only %s",
                      name);
            }
        }
    }
    }
    free(in); free(grid); free(gout); free(out_ref); free(out); free(gin_ref); free(gin); free(gg_ref); free(gg);
    free(out2); free(gin2); free(gg2);
}

/* 3-D: every ISA routes to the portable kernels, so results must be bitwise equal; also row splits and hostile
 * values under the sanitizers. */
static void test_sample_3d(int64_t n, int64_t c, int64_t id, int64_t ih, int64_t iw, int64_t od, int64_t oh,
                           int64_t ow, int kind) {
    const int64_t in_count = n * c * id * ih * iw, out_count = n * c * od * oh * ow, grid_count = n * od * oh * ow * 3;
    float *in = alloc_f(in_count), *grid = alloc_f(grid_count), *gout = alloc_f(out_count);
    float *out_ref = alloc_f(out_count), *out = alloc_f(out_count);
    float *gin_ref = alloc_f(in_count), *gin = alloc_f(in_count), *gg_ref = alloc_f(grid_count), *gg = alloc_f(grid_count);
    for (int64_t i = 0; i < in_count; i++) in[i] = frand(-1, 1);
    for (int64_t i = 0; i < out_count; i++) gout[i] = frand(-1, 1);
    fill_grid(grid, grid_count, kind);
    const int64_t rows = od * oh;
    for (int mode = 0; mode <= 1; mode++) {
        for (int pad = 0; pad <= 2; pad++) {
            for (int align = 0; align <= 1; align++) {
                CHECK(stn_grid_sample_3d(STN_ISA_SCALAR, in, grid, out_ref, n, c, id, ih, iw, od, oh, ow, mode, pad,
                                         align, 0, rows) == STN_OK, "3d fwd");
                memset(gin_ref, 0, sizeof(float) * (size_t)in_count);
                CHECK(stn_grid_sample_3d_backward(STN_ISA_SCALAR, gout, in, grid, gin_ref, gg_ref, n, c, id, ih, iw, od,
                                                  oh, ow, mode, pad, align, 0, rows) == STN_OK, "3d bwd");
                for (int64_t i = 0; i < out_count; i++) CHECK(isfinite(out_ref[i]), "3d non-finite output");
                for (int64_t i = 0; i < grid_count; i++) CHECK(isfinite(gg_ref[i]), "3d non-finite grad grid");
                for (size_t k = 0; k < sizeof isas / sizeof *isas; k++) {
                    if (!stn_isa_supported(isas[k])) continue;
                    memset(out, 0xff, sizeof(float) * (size_t)out_count);
                    CHECK(stn_grid_sample_3d(isas[k], in, grid, out, n, c, id, ih, iw, od, oh, ow, mode, pad, align, 0,
                                             rows / 2) == STN_OK, "3d fwd lo");
                    CHECK(stn_grid_sample_3d(isas[k], in, grid, out, n, c, id, ih, iw, od, oh, ow, mode, pad, align,
                                             rows / 2, rows) == STN_OK, "3d fwd hi");
                    CHECK(memcmp(out, out_ref, sizeof(float) * (size_t)out_count) == 0, "3d fwd %s mode=%d pad=%d",
                          stn_isa_name(isas[k]), mode, pad);
                    memset(gin, 0, sizeof(float) * (size_t)in_count);
                    CHECK(stn_grid_sample_3d_backward(isas[k], gout, in, grid, gin, gg, n, c, id, ih, iw, od, oh, ow,
                                                      mode, pad, align, 0, rows) == STN_OK, "3d bwd");
                    CHECK(memcmp(gin, gin_ref, sizeof(float) * (size_t)in_count) == 0 &&
                              memcmp(gg, gg_ref, sizeof(float) * (size_t)grid_count) == 0,
                          "3d bwd %s mode=%d pad=%d", stn_isa_name(isas[k]), mode, pad);
                    memset(gin, 0xff, sizeof(float) * (size_t)in_count);
                    CHECK(stn_grid_sample_3d_backward(isas[k], gout, in, grid, gin, NULL, n, c, id, ih, iw, od, oh, ow,
                                                      mode | STN_BACKWARD_FRESH, pad, align, 0, rows) == STN_OK &&
                              memcmp(gin, gin_ref, sizeof(float) * (size_t)in_count) == 0,
                          "3d bwd %s mode=%d pad=%d: STN_BACKWARD_FRESH changed the bits", stn_isa_name(isas[k]), mode, pad);
                }
            }
        }
    }
    float theta[24], g3[2 * 3 * 4 * 5 * 3], gt[24];
    for (int i = 0; i < 24; i++) theta[i] = frand(-1, 1);
    CHECK(stn_affine_grid_3d(STN_ISA_AUTO, theta, g3, 2, 3, 4, 5, 1, 0, 12) == STN_OK, "affine 3d");
    CHECK(stn_affine_grid_3d_backward(STN_ISA_AUTO, g3, gt, 2, 3, 4, 5, 0) == STN_OK, "affine 3d bwd");
    CHECK(stn_affine_grid_3d(STN_ISA_AUTO, theta, g3, 2, 3, 4, 5, 1, 0, 13) == STN_E_ARG, "affine 3d rows");
    free(in); free(grid); free(gout); free(out_ref); free(out); free(gin_ref); free(gin); free(gg_ref); free(gg);
}

/* [N, C, H, W] <-> [N, H, W, C]: to_nhwc 1 transposes src (NCHW) into dst (NHWC), 0 the other way. */
static void transpose(const float *src, float *dst, int64_t n, int64_t c, int64_t h, int64_t w, int to_nhwc) {
    for (int64_t b = 0; b < n; b++)
        for (int64_t ch = 0; ch < c; ch++)
            for (int64_t p = 0; p < h * w; p++) {
                const int64_t nchw = (b * c + ch) * h * w + p, nhwc = (b * h * w + p) * c + ch;
                if (to_nhwc) dst[nhwc] = src[nchw];
                else dst[nchw] = src[nhwc];
            }
}

/* Channels-last on every ISA against the portable NCHW kernel on the transposed tensors: the same bits, forward and
 * both gradients, with the rows split in two calls; every element of the output and of the grid gradient written. */
static void test_sample_nhwc(int64_t n, int64_t c, int64_t ih, int64_t iw, int64_t oh, int64_t ow, int kind) {
    const int64_t in_count = n * c * ih * iw, out_count = n * c * oh * ow, grid_count = n * oh * ow * 2;
    float *in = alloc_f(in_count), *in_t = alloc_f(in_count), *grid = alloc_f(grid_count), *gout = alloc_f(out_count);
    float *gout_t = alloc_f(out_count), *ref = alloc_f(out_count), *ref_t = alloc_f(out_count);
    float *out = alloc_f(out_count);
    float *gin_ref = alloc_f(in_count), *gin_ref_t = alloc_f(in_count), *gin = alloc_f(in_count);
    float *gg_ref = alloc_f(grid_count), *gg = alloc_f(grid_count);
    for (int64_t i = 0; i < in_count; i++) in[i] = frand(-1, 1);
    for (int64_t i = 0; i < out_count; i++) gout[i] = frand(-1, 1);
    fill_grid(grid, grid_count, kind);
    transpose(in, in_t, n, c, ih, iw, 1);
    transpose(gout, gout_t, n, c, oh, ow, 1);
    const int32_t all[] = {STN_ISA_SCALAR, STN_ISA_AVX2, STN_ISA_AVX512, STN_ISA_NEON};
    const int64_t mid = oh / 2;
    for (int mode = 0; mode <= 2; mode++) {
        for (int pad = 0; pad <= 2; pad++) {
            for (int align = 0; align <= 1; align++) {
                CHECK(stn_grid_sample_2d(STN_ISA_SCALAR, in, grid, ref, n, c, ih, iw, oh, ow, mode, pad, align, 0,
                                         oh) == STN_OK, "nhwc ref fwd");
                transpose(ref, ref_t, n, c, oh, ow, 1);
                memset(gin_ref, 0, sizeof(float) * (size_t)in_count);
                CHECK(stn_grid_sample_2d_backward(STN_ISA_SCALAR, gout, in, grid, gin_ref, gg_ref, n, c, ih, iw, oh, ow,
                                                  mode, pad, align, 0, oh) == STN_OK, "nhwc ref bwd");
                transpose(gin_ref, gin_ref_t, n, c, ih, iw, 1);
                for (size_t k = 0; k < sizeof all / sizeof *all; k++) {
                    if (!stn_isa_supported(all[k])) continue;
                    const char *name = stn_isa_name(all[k]);
                    memset(out, 0xff, sizeof(float) * (size_t)out_count);
                    CHECK(stn_grid_sample_2d_nhwc(all[k], in_t, grid, out, n, c, ih, iw, oh, ow, mode, pad, align, 0,
                                                  mid) == STN_OK, "nhwc fwd lo");
                    CHECK(stn_grid_sample_2d_nhwc(all[k], in_t, grid, out, n, c, ih, iw, oh, ow, mode, pad, align, mid,
                                                  oh) == STN_OK, "nhwc fwd hi");
                    CHECK(memcmp(out, ref_t, sizeof(float) * (size_t)out_count) == 0,
                          "nhwc fwd %s mode=%d n=%lld c=%lld %lldx%lld->%lldx%lld pad=%d ac=%d kind=%d", name, mode,
                          (long long)n, (long long)c, (long long)ih, (long long)iw, (long long)oh, (long long)ow, pad,
                          align, kind);
                    memset(gin, 0, sizeof(float) * (size_t)in_count);
                    memset(gg, 0xff, sizeof(float) * (size_t)grid_count);
                    CHECK(stn_grid_sample_2d_backward_nhwc(all[k], gout_t, in_t, grid, gin, gg, n, c, ih, iw, oh, ow,
                                                           mode, pad, align, 0, mid) == STN_OK, "nhwc bwd lo");
                    CHECK(stn_grid_sample_2d_backward_nhwc(all[k], gout_t, in_t, grid, gin, gg, n, c, ih, iw, oh, ow,
                                                           mode, pad, align, mid, oh) == STN_OK, "nhwc bwd hi");
                    CHECK(memcmp(gin, gin_ref_t, sizeof(float) * (size_t)in_count) == 0 &&
                              memcmp(gg, gg_ref, sizeof(float) * (size_t)grid_count) == 0,
                          "nhwc bwd %s mode=%d n=%lld c=%lld %lldx%lld->%lldx%lld pad=%d ac=%d kind=%d", name, mode,
                          (long long)n, (long long)c, (long long)ih, (long long)iw, (long long)oh, (long long)ow, pad,
                          align, kind);
                    /* one gradient at a time */
                    memset(gin, 0, sizeof(float) * (size_t)in_count);
                    CHECK(stn_grid_sample_2d_backward_nhwc(all[k], gout_t, in_t, grid, gin, NULL, n, c, ih, iw, oh, ow,
                                                           mode, pad, align, 0, oh) == STN_OK &&
                              memcmp(gin, gin_ref_t, sizeof(float) * (size_t)in_count) == 0,
                          "nhwc gin only %s mode=%d", name, mode);
                    CHECK(stn_grid_sample_2d_backward_nhwc(all[k], gout_t, in_t, grid, NULL, gg, n, c, ih, iw, oh, ow,
                                                           mode, pad, align, 0, oh) == STN_OK &&
                              memcmp(gg, gg_ref, sizeof(float) * (size_t)grid_count) == 0,
                          "nhwc gg only %s mode=%d", name, mode);
                }
            }
        }
    }
    float buf[64] = {0};
    CHECK(stn_grid_sample_2d_nhwc(STN_ISA_SCALAR, buf, buf, buf, 1, 1, 2, 2, 2, 2, 7, 0, 0, 0, 2) == STN_E_ARG,
          "nhwc mode");
    CHECK(stn_grid_sample_2d_nhwc(STN_ISA_SCALAR, buf, buf, buf, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 3) == STN_E_ARG,
          "nhwc rows");
    CHECK(stn_grid_sample_2d_backward_nhwc(STN_ISA_SCALAR, buf, buf, NULL, buf, buf, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0,
                                           2) == STN_E_ARG, "nhwc NULL grid");
    CHECK(stn_grid_sample_2d_nhwc(99, buf, buf, buf, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 2) == STN_E_ISA, "nhwc isa");
    /* an empty input reads zeros: every row of the call zeroed, [N, Ho, Wo, C] */
    for (int i = 0; i < 64; i++) buf[i] = 1.0f;
    CHECK(stn_grid_sample_2d_nhwc(STN_ISA_SCALAR, NULL, buf, buf + 32, 1, 3, 0, 2, 2, 2, 0, 0, 0, 1, 2) == STN_OK,
          "nhwc empty input");
    int zeros = 1;
    for (int i = 0; i < 12; i++) zeros &= (buf[32 + i] == 0.0f) == (i >= 6);
    CHECK(zeros, "nhwc empty input zeroes exactly rows [1, 2) of [1, 2, 2, 3]");
    free(in); free(in_t); free(grid); free(gout); free(gout_t); free(ref); free(ref_t); free(out); free(gin_ref);
    free(gin_ref_t); free(gin); free(gg_ref); free(gg);
}

/* The banded backward (stn_grid_sample_2d_backward_band, and _nhwc_band): for each ISA, mode, padding and
 * align_corners, a cut of the input rows into bands (of 0 and 1 rows among them, so that taps straddle every kind of
 * border) gives together the unbanded call's bits, accumulated onto a gradient that is not zero and with
 * STN_BACKWARD_FRESH over garbage; a band's call leaves the rows outside it untouched; the grid gradient of a banded
 * call is the unbanded one. */
static void test_band(int64_t n, int64_t c, int64_t ih, int64_t iw, int64_t oh, int64_t ow, int kind, int nhwc) {
    const int64_t in_count = n * c * ih * iw, out_count = n * c * oh * ow, grid_count = n * oh * ow * 2;
    float *in = alloc_f(in_count), *grid = alloc_f(grid_count), *gout = alloc_f(out_count);
    float *gin_ref = alloc_f(in_count), *gin = alloc_f(in_count), *gg_ref = alloc_f(grid_count);
    float *gg = alloc_f(grid_count), *start = alloc_f(in_count);
    for (int64_t i = 0; i < in_count; i++) in[i] = frand(-1, 1);
    for (int64_t i = 0; i < out_count; i++) gout[i] = frand(-1, 1);
    for (int64_t i = 0; i < in_count; i++) start[i] = frand(-1, 1);
    if (kind == 4) { /* a rotated, scaled grid: chunks of points reach a few rows, so bands skip most of them */
        const float theta[6] = {0.8f, -0.35f, 0.05f, 0.35f, 0.8f, -0.1f};
        for (int64_t s = 0; s < n; s++)
            stn_affine_grid_2d(STN_ISA_SCALAR, theta, grid + s * oh * ow * 2, 1, oh, ow, 0, 0, oh);
    } else {
        fill_grid(grid, grid_count, kind);
    }
    /* band borders: every row, then cuts at 0, 1, a third, the middle and h - 1 (repeats give empty bands) */
    int64_t cuts[2][8];
    int ncuts[2] = {0, 0};
    for (int64_t r = 0; r <= ih && r < 8; r++) cuts[0][ncuts[0]++] = r;
    const int64_t more[] = {0, 0, 1, ih / 3, ih / 2, ih / 2, ih > 0 ? ih - 1 : 0, ih};
    for (int k = 0; k < 8; k++) cuts[1][ncuts[1]++] = more[k];
    const int32_t all[] = {STN_ISA_SCALAR, STN_ISA_AVX2, STN_ISA_AVX512, STN_ISA_NEON};
    for (size_t k = 0; k < sizeof all / sizeof *all; k++) {
        if (!stn_isa_supported(all[k])) continue;
        for (int mode = 0; mode <= 2; mode++)
            for (int pad = 0; pad <= 2; pad++)
                for (int align = 0; align <= 1; align++)
                    for (int fresh = 0; fresh <= 1; fresh++) {
                        const int32_t m = mode | (fresh ? STN_BACKWARD_FRESH : 0);
                        memcpy(gin_ref, start, sizeof(float) * (size_t)in_count);
                        CHECK((nhwc ? stn_grid_sample_2d_backward_nhwc : stn_grid_sample_2d_backward)(
                                  all[k], gout, in, grid, gin_ref, gg_ref, n, c, ih, iw, oh, ow, m, pad, align, 0,
                                  oh) == STN_OK, "band: unbanded");
                        for (int s = 0; s < 2; s++) {
                            /* the last cut runs to ih; the rows before the first cut are a band too */
                            memcpy(gin, start, sizeof(float) * (size_t)in_count);
                            memset(gg, 0xff, sizeof(float) * (size_t)grid_count);
                            int64_t b0 = 0;
                            for (int j = 0; j <= ncuts[s]; j++) {
                                const int64_t b1 = j < ncuts[s] ? cuts[s][j] : ih;
                                if (b1 < b0) continue;
                                CHECK((nhwc ? stn_grid_sample_2d_backward_nhwc_band : stn_grid_sample_2d_backward_band)(
                                          all[k], gout, in, grid, gin, j == 0 ? gg : NULL, n, c, ih, iw, oh, ow, m,
                                          pad, align, 0, oh, b0, b1) == STN_OK, "band call");
                                /* rows from b1 on are untouched so far */
                                int untouched = 1;
                                for (int64_t e = 0; e < in_count; e++) {
                                    const int64_t row = nhwc ? e / (iw * c) % ih : e / iw % ih;
                                    if (row >= b1 && memcmp(&gin[e], &start[e], sizeof(float)) != 0) untouched = 0;
                                }
                                CHECK(untouched, "band [%lld, %lld) wrote outside", (long long)b0, (long long)b1);
                                b0 = b1;
                            }
                            CHECK(memcmp(gin, gin_ref, sizeof(float) * (size_t)in_count) == 0,
                                  "bands != unbanded: %s nhwc=%d mode=%d pad=%d ac=%d fresh=%d kind=%d cuts=%d n=%lld "
                                  "c=%lld %lldx%lld->%lldx%lld",
                                  stn_isa_name(all[k]), nhwc, mode, pad, align, fresh, kind, s, (long long)n,
                                  (long long)c, (long long)ih, (long long)iw, (long long)oh, (long long)ow);
                            CHECK(memcmp(gg, gg_ref, sizeof(float) * (size_t)grid_count) == 0,
                                  "band: grid gradient %s mode=%d", stn_isa_name(all[k]), mode);
                        }
                        /* a band without grad_input is no band: the grid gradient of the unbanded call */
                        memset(gg, 0xff, sizeof(float) * (size_t)grid_count);
                        CHECK((nhwc ? stn_grid_sample_2d_backward_nhwc_band : stn_grid_sample_2d_backward_band)(
                                  all[k], gout, in, grid, NULL, gg, n, c, ih, iw, oh, ow, mode, pad, align, 0, oh,
                                  ih / 2, ih / 2 + (ih > 1)) == STN_OK &&
                                  memcmp(gg, gg_ref, sizeof(float) * (size_t)grid_count) == 0,
                              "band without grad_input: grid gradient %s nhwc=%d mode=%d pad=%d", stn_isa_name(all[k]),
                              nhwc, mode, pad);
                    }
    }
    float buf[16] = {0};
    CHECK(stn_grid_sample_2d_backward_band(STN_ISA_SCALAR, buf, buf, buf, buf, NULL, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 2,
                                           1, 3) == STN_E_ARG, "band past in_h");
    /* an error writes nothing, FRESH or not */
    buf[0] = 7.0f;
    CHECK(stn_grid_sample_2d_backward(STN_ISA_SCALAR, NULL, buf + 4, buf + 8, buf, NULL, 1, 1, 2, 2, 2, 2,
                                      STN_BACKWARD_FRESH, 0, 0, 0, 2) == STN_E_ARG && buf[0] == 7.0f,
          "fresh with NULL grad_output: refused, grad_input untouched");
    buf[0] = 0.0f;
    CHECK(stn_grid_sample_2d_backward_band(STN_ISA_SCALAR, buf, buf, buf, buf, NULL, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 2,
                                           2, 1) == STN_E_ARG, "band reversed");
    CHECK(stn_grid_sample_2d_backward_nhwc_band(STN_ISA_SCALAR, buf, buf, buf, buf, NULL, 1, 1, 2, 2, 2, 2, 0, 0, 0,
                                                0, 2, -1, 1) == STN_E_ARG, "band negative");
    free(in), free(grid), free(gout), free(gin_ref), free(gin), free(gg_ref), free(gg), free(start);
}

static void test_errors(void) {
    float buf[64] = {0};
    CHECK(stn_affine_grid_2d(STN_ISA_SCALAR, buf, buf, 1, 2, 2, 2, 0, 2) == STN_E_ARG, "bad align_corners");
    CHECK(stn_affine_grid_2d(STN_ISA_SCALAR, buf, buf, 1, 2, 2, 0, 1, 3) == STN_E_ARG, "row_end > h");
    CHECK(stn_affine_grid_2d(STN_ISA_SCALAR, buf, buf, -1, 2, 2, 0, 0, 2) == STN_E_ARG, "negative n");
    CHECK(stn_affine_grid_2d(STN_ISA_SCALAR, NULL, buf, 1, 2, 2, 0, 0, 2) == STN_E_ARG, "NULL theta");
    CHECK(stn_affine_grid_2d(99, buf, buf, 1, 2, 2, 0, 0, 2) == STN_E_ISA, "unknown isa");
    CHECK(stn_grid_sample_2d(STN_ISA_SCALAR, buf, buf, buf, 1, 1, 2, 2, 2, 2, 7, 0, 0, 0, 2) == STN_E_ARG, "mode");
    CHECK(stn_grid_sample_3d(STN_ISA_SCALAR, buf, buf, buf, 1, 1, 1, 2, 2, 1, 2, 2, STN_MODE_BICUBIC, 0, 0, 0, 2) ==
              STN_E_ARG, "bicubic 3d");
    CHECK(stn_grid_sample_2d(STN_ISA_SCALAR, buf, buf, buf, 1, 1, 2, 2, 2, 2, 0, 3, 0, 0, 2) == STN_E_ARG, "padding");
    CHECK(stn_grid_sample_2d(STN_ISA_SCALAR, buf, buf, buf, INT64_MAX / 2, 4, 2, 2, 2, 2, 0, 0, 0, 0, 2) == STN_E_ARG,
          "overflowing sizes");
    CHECK(stn_grid_sample_2d(STN_ISA_SCALAR, buf, buf, buf, 1, 1, 2, 2, 2, 2, 0, 0, 0, 2, 1) == STN_E_ARG,
          "reversed rows");
    CHECK(stn_grid_sample_2d_backward(STN_ISA_SCALAR, buf, buf, NULL, buf, buf, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 2) ==
              STN_E_ARG, "NULL grid");
    CHECK(stn_grid_sample_2d(STN_ISA_SCALAR, NULL, NULL, NULL, 0, 1, 2, 2, 2, 2, 0, 0, 0, 0, 2) == STN_OK,
          "empty batch is fine");
}

/* stn_alloc_huge: zeroed, 2 MiB-aligned, writable to its last byte, and sampled from like any other buffer. */
static void test_alloc_huge(void) {
    const int64_t bytes = (3 << 20) + 12; /* not a multiple of any page size */
    float *p = stn_alloc_huge(bytes);
#if defined(__linux__)
    CHECK(p != NULL, "stn_alloc_huge on Linux");
#endif
    if (!p) {
        CHECK(stn_free_huge(NULL, bytes) == STN_E_ARG, "free NULL");
        return;
    }
    CHECK(((uintptr_t)p & ((2u << 20) - 1)) == 0, "2 MiB alignment");
    const int64_t count = bytes / 4;
    int zero = 1;
    for (int64_t i = 0; i < count; i++) zero &= p[i] == 0.0f;
    CHECK(zero, "fresh memory reads as zero");
    ((char *)p)[bytes - 1] = 1;
    for (int64_t i = 0; i < count; i++) p[i] = frand(0, 1);
    /* a 1-sample, 3-channel 512 x 512 input in the mapping: the kernels read it as they read malloc's memory */
    float *out = alloc_f(3 * 64 * 64), *ref = alloc_f(3 * 64 * 64), *grid = alloc_f(64 * 64 * 2);
    const float theta[6] = {0.9f, -0.3f, 0.1f, 0.25f, 0.85f, -0.05f};
    CHECK(stn_affine_grid_2d(STN_ISA_SCALAR, theta, grid, 1, 64, 64, 0, 0, 64) == STN_OK, "grid");
    CHECK(stn_grid_sample_2d(STN_ISA_SCALAR, p, grid, ref, 1, 3, 512, 512, 64, 64, 0, 0, 0, 0, 64) == STN_OK, "ref");
    CHECK(stn_grid_sample_2d(STN_ISA_AUTO, p, grid, out, 1, 3, 512, 512, 64, 64, 0, 0, 0, 0, 64) == STN_OK, "auto");
    CHECK(same_bits(out, ref, 3 * 64 * 64, "huge"), "sampling from stn_alloc_huge memory");
    CHECK(stn_free_huge((char *)p + 4096, bytes) == STN_E_ARG, "free of a pointer it did not give");
    CHECK(stn_free_huge(p, bytes) == STN_OK, "free");
    free(out); free(ref); free(grid);
}

/* stn_debug_poison: under ASan it poisons and unpoisons (and says so); elsewhere it is a no-op returning 0. */
static void test_debug_poison(void) {
    float *buf = alloc_f(64);
#ifdef STN_ASAN
    CHECK(stn_debug_poison(buf, 64 * 4, 1) == 1, "poison under ASan");
    CHECK(__asan_address_is_poisoned(buf + 63), "poisoned");
    CHECK(stn_debug_poison(buf, 64 * 4, 0) == 1, "unpoison under ASan");
    CHECK(!__asan_address_is_poisoned(buf + 63), "addressable again");
#else
    CHECK(stn_debug_poison(buf, 64 * 4, 1) == 0, "no-op without ASan");
    CHECK(stn_debug_poison(buf, 64 * 4, 0) == 0, "no-op without ASan");
#endif
    buf[63] = 1.0f;
    free(buf);
}

/* ---- dense kernels ---- */

/* op(a) . op(b) in double, the reference of stn_sgemm. */
static void gemm_ref(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                     int64_t ldb, float *c, int64_t ldc, int acc) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = acc ? c[i * ldc + j] : 0.0;
            for (int64_t p = 0; p < k; p++)
                s += (double)(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
            c[i * ldc + j] = (float)s;
        }
}

/* Every ISA against double precision; every ISA split by rows and by columns bitwise equal to its whole call. */
static void test_sgemm(int64_t m, int64_t n, int64_t k, int ta, int tb, int acc) {
    const int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
    const int64_t a_rows = ta ? k : m, b_rows = tb ? n : k;
    float *a = alloc_f(a_rows * lda), *b = alloc_f(b_rows * ldb), *c0 = alloc_f(m * ldc);
    float *ref = alloc_f(m * ldc), *c = alloc_f(m * ldc), *split = alloc_f(m * ldc);
    for (int64_t i = 0; i < a_rows * lda; i++) a[i] = frand(-1, 1);
    for (int64_t i = 0; i < b_rows * ldb; i++) b[i] = frand(-1, 1);
    for (int64_t i = 0; i < m * ldc; i++) c0[i] = frand(-1, 1);
    memcpy(ref, c0, (size_t)(m * ldc) * sizeof(float));
    gemm_ref(ta, tb, m, n, k, a, lda, b, ldb, ref, ldc, acc);
    const int32_t all[] = {STN_ISA_SCALAR, STN_ISA_AVX2, STN_ISA_AVX512, STN_ISA_NEON};
    for (size_t t = 0; t < 4; t++) {
        if (!stn_isa_supported(all[t])) continue;
        memcpy(c, c0, (size_t)(m * ldc) * sizeof(float));
        CHECK(stn_sgemm(all[t], ta, tb, m, n, k, a, lda, b, ldb, c, ldc, acc) == STN_OK, "sgemm ok");
        char what[128];
        snprintf(what, sizeof what, "sgemm %s m%lld n%lld k%lld ta%d tb%d acc%d", stn_isa_name(all[t]),
                 (long long)m, (long long)n, (long long)k, ta, tb, acc);
        /* the padding columns past n must be untouched */
        CHECK(close_all(c, ref, m * ldc, 1e-5f * (float)(k > 8 ? k : 8), what), "%s", what);
        /* rows split at 1/3 and columns at 7: the same bits */
        memcpy(split, c0, (size_t)(m * ldc) * sizeof(float));
        const int64_t r = m / 3, q = n < 7 ? n : 7;
        const float *ar = ta ? a + r : a + r * lda;
        CHECK(stn_sgemm(all[t], ta, tb, r, n, k, a, lda, b, ldb, split, ldc, acc) == STN_OK, "rows 1");
        CHECK(stn_sgemm(all[t], ta, tb, m - r, q, k, ar, lda, b, ldb, split + r * ldc, ldc, acc) == STN_OK, "rc");
        CHECK(stn_sgemm(all[t], ta, tb, m - r, n - q, k, ar, lda, tb ? b + q * ldb : b + q, ldb,
                        split + r * ldc + q, ldc, acc) == STN_OK, "rest");
        CHECK(memcmp(split, c, (size_t)(m * ldc) * sizeof(float)) == 0, "%s: split bitwise", what);
    }
    free(a), free(b), free(c0), free(ref), free(c), free(split);
}

/* Direct convolution in double: the reference of the stn_conv2d_* kernels. */
static void conv_ref(const float *x, const float *w, const float *bias, const float *gy, double *y, double *gx,
                     double *gw, double *gb, int64_t n, int64_t c, int64_t h, int64_t wd, int64_t o, int64_t k,
                     int64_t pad) {
    const int64_t oh = h + 2 * pad - k + 1, ow = wd + 2 * pad - k + 1;
    memset(gx, 0, (size_t)(n * c * h * wd) * sizeof(double));
    memset(gw, 0, (size_t)(o * c * k * k) * sizeof(double));
    memset(gb, 0, (size_t)o * sizeof(double));
    for (int64_t s = 0; s < n; s++)
        for (int64_t oc = 0; oc < o; oc++)
            for (int64_t yy = 0; yy < oh; yy++)
                for (int64_t xx = 0; xx < ow; xx++) {
                    const int64_t yi = ((s * o + oc) * oh + yy) * ow + xx;
                    double acc = bias[oc];
                    gb[oc] += gy[yi];
                    for (int64_t ci = 0; ci < c; ci++)
                        for (int64_t ki = 0; ki < k; ki++)
                            for (int64_t kj = 0; kj < k; kj++) {
                                const int64_t iy = yy + ki - pad, ix = xx + kj - pad;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                const int64_t xi = ((s * c + ci) * h + iy) * wd + ix;
                                const int64_t wi = ((oc * c + ci) * k + ki) * k + kj;
                                acc += (double)x[xi] * w[wi];
                                gx[xi] += (double)gy[yi] * w[wi];
                                gw[wi] += (double)gy[yi] * x[xi];
                            }
                    y[yi] = acc;
                }
}

static int close_d(const float *a, const double *ref, int64_t count, double tol, const char *what) {
    double scale = 1.0;
    for (int64_t i = 0; i < count; i++) scale = fabs(ref[i]) > scale ? fabs(ref[i]) : scale;
    for (int64_t i = 0; i < count; i++) {
        if (!(fabs(a[i] - ref[i]) <= tol * scale)) {
            fprintf(stderr, "  %s: element %lld differs: %.9g vs %.9g\n", what, (long long)i, a[i], ref[i]);
            return 0;
        }
    }
    return 1;
}

static void test_conv(int64_t n, int64_t c, int64_t h, int64_t wd, int64_t o, int64_t k, int64_t pad) {
    const int64_t oh = h + 2 * pad - k + 1, ow = wd + 2 * pad - k + 1;
    const int64_t xs = n * c * h * wd, ws = o * c * k * k, ys = n * o * oh * ow;
    const int64_t cols = stn_conv2d_scratch(c, h, wd, o, k, pad);
    CHECK(cols > 0, "scratch size");
    float *x = alloc_f(xs), *w = alloc_f(ws), *bias = alloc_f(o), *gy = alloc_f(ys), *col = alloc_f(cols);
    float *y = alloc_f(ys), *gx = alloc_f(xs), *gw = alloc_f(ws), *gb = alloc_f(o);
    double *ry = calloc((size_t)ys + 1, sizeof(double)), *rgx = calloc((size_t)xs + 1, sizeof(double));
    double *rgw = calloc((size_t)ws + 1, sizeof(double)), *rgb = calloc((size_t)o + 1, sizeof(double));
    for (int64_t i = 0; i < xs; i++) x[i] = frand(-1, 1);
    for (int64_t i = 0; i < ws; i++) w[i] = frand(-1, 1);
    for (int64_t i = 0; i < o; i++) bias[i] = frand(-1, 1);
    for (int64_t i = 0; i < ys; i++) gy[i] = frand(-1, 1);
    conv_ref(x, w, bias, gy, ry, rgx, rgw, rgb, n, c, h, wd, o, k, pad);
    /* the reference through a ReLU whose output is the forward's y: gy where y > 0 */
    float *gym = alloc_f(ys), *mk = alloc_f(ys);
    for (int64_t i = 0; i < ys; i++) mk[i] = (float)ry[i], gym[i] = mk[i] > 0.0f ? gy[i] : 0.0f;
    double *mgx = calloc((size_t)xs + 1, sizeof(double)), *mgw = calloc((size_t)ws + 1, sizeof(double));
    double *mgb = calloc((size_t)o + 1, sizeof(double)), *unused = calloc((size_t)ys + 1, sizeof(double));
    conv_ref(x, w, bias, gym, unused, mgx, mgw, mgb, n, c, h, wd, o, k, pad);
    const int32_t all[] = {STN_ISA_SCALAR, STN_ISA_AVX2, STN_ISA_AVX512, STN_ISA_NEON};
    const double tol = 1e-5 * (double)(c * k * k + n * oh * ow);
    for (size_t t = 0; t < 4; t++) {
        if (!stn_isa_supported(all[t])) continue;
        char what[128];
        snprintf(what, sizeof what, "conv %s n%lld c%lld %lldx%lld o%lld k%lld pad%lld", stn_isa_name(all[t]),
                 (long long)n, (long long)c, (long long)h, (long long)wd, (long long)o, (long long)k,
                 (long long)pad);
        /* two calls over the batch, as the Java layer splits it */
        for (int64_t s = 0; s < n; s++)
            CHECK(stn_conv2d_forward(all[t], x, w, bias, y, col, n, c, h, wd, o, k, pad, 0, s, s + 1) == STN_OK,
                  "forward ok");
        CHECK(close_d(y, ry, ys, tol, what), "%s forward", what);
        const int backward_input = pad < k;
        if (backward_input) {
            CHECK(stn_conv2d_backward_input(all[t], gy, NULL, w, gx, col, n, c, h, wd, o, k, pad, 0, n) == STN_OK,
                  "bi ok");
            CHECK(close_d(gx, rgx, xs, tol, what), "%s input gradient", what);
        }
        const int64_t half = n / 2;
        CHECK(stn_conv2d_backward_weight(all[t], gy, NULL, x, gw, gb, col, n, c, h, wd, o, k, pad, 0, 0, half) ==
                  STN_OK, "bw ok");
        CHECK(stn_conv2d_backward_weight(all[t], gy, NULL, x, gw, gb, col, n, c, h, wd, o, k, pad, 1, half, n) ==
                  STN_OK, "bw2 ok");
        CHECK(close_d(gw, rgw, ws, tol, what), "%s weight gradient", what);
        CHECK(close_d(gb, rgb, o, tol, what), "%s bias gradient", what);
        /* through a fused ReLU whose output is mk (mixed signs): the gradients of gy where mk > 0 */
        if (backward_input) {
            CHECK(stn_conv2d_backward_input(all[t], gy, mk, w, gx, col, n, c, h, wd, o, k, pad, 0, n) == STN_OK,
                  "bi relu ok");
            CHECK(close_d(gx, mgx, xs, tol, what), "%s input gradient through the ReLU", what);
        }
        CHECK(stn_conv2d_backward_weight(all[t], gy, mk, x, gw, gb, col, n, c, h, wd, o, k, pad, 0, 0, n) == STN_OK,
              "bw relu ok");
        CHECK(close_d(gw, mgw, ws, tol, what), "%s weight gradient through the ReLU", what);
        CHECK(close_d(gb, mgb, o, tol, what), "%s bias gradient through the ReLU", what);
        /* fused ReLU: max(y, 0) of the same values */
        CHECK(stn_conv2d_forward(all[t], x, w, bias, y, col, n, c, h, wd, o, k, pad, 1, 0, n) ==
                  STN_OK, "relu ok");
        int relu_ok = 1;
        for (int64_t i = 0; i < ys; i++) relu_ok &= fabs(y[i] - (ry[i] > 0 ? ry[i] : 0.0)) <= tol;
        CHECK(relu_ok, "%s relu", what);
    }
    CHECK(stn_conv2d_forward(STN_ISA_SCALAR, x, w, bias, y, col, n, c, h, wd, o, h + 2 * pad + 1, pad, 0, 0, n) ==
              STN_E_ARG, "kernel larger than the padded input");
    CHECK(stn_conv2d_forward(STN_ISA_SCALAR, x, w, bias, y, col, n, c, h, wd, o, k, pad, 0, 0, n + 1) == STN_E_ARG,
          "samples past n");
    free(x), free(w), free(bias), free(gy), free(col), free(y), free(gx), free(gw), free(gb);
    free(ry), free(rgx), free(rgw), free(rgb), free(gym), free(mk), free(mgx), free(mgw), free(mgb), free(unused);
}

static void test_pool(int64_t planes, int64_t h, int64_t w, int64_t k) {
    const int64_t oh = h / k, ow = w / k, xs = planes * h * w, ys = planes * oh * ow;
    float *x = alloc_f(xs), *y = alloc_f(ys), *gy = alloc_f(ys), *gx = alloc_f(xs), *rgx = alloc_f(xs);
    int32_t *arg = calloc((size_t)(ys > 0 ? ys : 1), sizeof(int32_t));
    for (int64_t i = 0; i < xs; i++) x[i] = (float)(int)frand(-3, 3); /* ties: the first maximum wins */
    for (int64_t i = 0; i < ys; i++) gy[i] = frand(-1, 1);
    CHECK(stn_max_pool2d(STN_ISA_AUTO, x, y, arg, planes, h, w, k, 0, planes) == STN_OK, "pool ok");
    int ok = 1;
    for (int64_t p = 0; p < planes; p++)
        for (int64_t i = 0; i < oh; i++)
            for (int64_t j = 0; j < ow; j++) {
                int64_t best = i * k * w + j * k;
                for (int64_t a = 0; a < k; a++)
                    for (int64_t c = 0; c < k; c++)
                        if (x[p * h * w + (i * k + a) * w + j * k + c] > x[p * h * w + best]) best = (i * k + a) * w + j * k + c;
                const int64_t o = (p * oh + i) * ow + j;
                ok &= arg[o] == best && y[o] == x[p * h * w + best];
                rgx[p * h * w + best] += gy[o];
            }
    CHECK(ok, "pool %lldx%lldx%lld k%lld: first maximum", (long long)planes, (long long)h, (long long)w, (long long)k);
    for (int64_t i = 0; i < xs; i++) gx[i] = NAN;
    CHECK(stn_max_pool2d_backward(STN_ISA_AUTO, gy, arg, gx, planes, h, w, k, 0, planes) == STN_OK, "pool bw ok");
    CHECK(memcmp(gx, rgx, (size_t)xs * sizeof(float)) == 0, "pool backward");
    CHECK(stn_max_pool2d(STN_ISA_AUTO, x, y, arg, planes, h, w, 0, 0, planes) == STN_E_ARG, "pool k = 0");
    free(x), free(y), free(gy), free(gx), free(rgx), free(arg);
}

static void test_dense(void) {
    test_pool(3, 5, 7, 2);
    test_pool(2, 6, 6, 3);
    test_pool(1, 1, 1, 1);
    test_pool(4, 42, 42, 2);
    static const int64_t dims[] = {1, 5, 12, 13, 31, 33, 50};
    for (size_t i = 0; i < 7; i++)
        for (size_t j = 0; j < 7; j += 2)
            for (int t = 0; t < 4; t++) test_sgemm(dims[i], dims[j], dims[(i + j + t) % 7], t & 1, t >> 1, t == 2);
    test_sgemm(100, 70, 600, 0, 0, 0); /* k past one block of 256, m past one block of 48 */
    test_sgemm(97, 41, 300, 1, 1, 1);
    CHECK(stn_sgemm(STN_ISA_SCALAR, 0, 0, 2, 2, 2, NULL, 2, NULL, 2, NULL, 2, 0) == STN_E_ARG, "sgemm NULL");
    CHECK(stn_sgemm(STN_ISA_SCALAR, 0, 0, 2, 3, 4, NULL, 3, NULL, 3, NULL, 3, 0) == STN_E_ARG, "sgemm lda < k");
    float one = 7.0f;
    CHECK(stn_sgemm(STN_ISA_SCALAR, 0, 0, 1, 1, 0, NULL, 1, NULL, 1, &one, 1, 0) == STN_OK && one == 0.0f,
          "k = 0 zeroes c");
    test_conv(2, 1, 9, 7, 3, 5, 2);
    test_conv(3, 4, 6, 11, 13, 3, 1);
    test_conv(2, 3, 5, 5, 33, 5, 0);
    test_conv(1, 16, 21, 21, 31, 5, 2); /* the experiments' second layer */
    test_conv(2, 2, 3, 4, 2, 1, 0);
    test_conv(2, 3, 4, 6, 5, 3, 2); /* pad = k - 1: the input gradient's padding is 0 */
    test_conv(1, 170, 3, 4, 3, 5, 2); /* c*k*k = 4250 rows: the implicit products cut K at STN_CONV_ROWS */
    test_conv(2, 0, 5, 5, 3, 3, 1);   /* no input channel: the output is the bias, the weight gradient empty */
    CHECK(stn_conv2d_scratch(1, 4, 4, 1, 6, 0) == -1, "scratch of a kernel larger than the input");
    float z[64] = {0};
    CHECK(stn_conv2d_backward_input(STN_ISA_SCALAR, z, NULL, z, z, z, 1, 1, 2, 2, 1, 2, 2, 0, 1) == STN_E_ARG,
          "input gradient with pad >= k");
}


/* The fused affine sampler against the unfused pair on the same ISA, bit for bit: the output, the input gradient
 * (whole, fresh, split rows, bands) and the theta gradient (row sums reduced by stn_affine_sample_2d_theta against
 * stn_affine_grid_2d_backward of the grid gradient). */
static void test_fused(int64_t n, int64_t c, int64_t ih, int64_t iw, int64_t oh, int64_t ow, int kind) {
    const int64_t in_count = n * c * ih * iw, out_count = n * c * oh * ow, grid_count = n * oh * ow * 2;
    float *in = alloc_f(in_count), *gout = alloc_f(out_count), *theta = alloc_f(n * 6), *grid = alloc_f(grid_count);
    float *out_ref = alloc_f(out_count), *out = alloc_f(out_count), *gin_ref = alloc_f(in_count);
    float *gin = alloc_f(in_count), *gg = alloc_f(grid_count), *gt_ref = alloc_f(n * 6), *gt = alloc_f(n * 6);
    float *rows = alloc_f(n * oh * 4);
    for (int64_t i = 0; i < in_count; i++) in[i] = frand(-1.0f, 1.0f);
    for (int64_t i = 0; i < out_count; i++) gout[i] = frand(-1.0f, 1.0f);
    fill_theta(theta, n, oh, ow, kind);
    const int32_t all[] = {STN_ISA_SCALAR, STN_ISA_AVX2, STN_ISA_AVX512, STN_ISA_NEON};
    for (size_t k = 0; k < 4; k++) {
        const int32_t isa = all[k];
        if (!stn_isa_supported(isa)) continue;
        for (int mode = 0; mode <= 2; mode++)
            for (int pad = 0; pad <= 2; pad++)
                for (int align = 0; align <= 1; align++) {
                    const int64_t mid = oh / 2;
                    CHECK(stn_affine_grid_2d(isa, theta, grid, n, oh, ow, align, 0, oh) == STN_OK, "fused: grid");
                    CHECK(stn_grid_sample_2d(isa, in, grid, out_ref, n, c, ih, iw, oh, ow, mode, pad, align, 0, oh) ==
                          STN_OK, "fused: ref fwd");
                    CHECK(stn_affine_sample_2d(isa, in, theta, out, n, c, ih, iw, oh, ow, mode, pad, align, 0, mid) ==
                          STN_OK, "fused fwd lo");
                    CHECK(stn_affine_sample_2d(isa, in, theta, out, n, c, ih, iw, oh, ow, mode, pad, align, mid, oh) ==
                          STN_OK, "fused fwd hi");
                    CHECK(same_bits(out, out_ref, out_count, "fused forward"), "fused fwd %s mode=%d pad=%d ac=%d "
                          "n=%lld c=%lld %lldx%lld->%lldx%lld kind=%d", stn_isa_name(isa), mode, pad, align,
                          (long long)n, (long long)c, (long long)ih, (long long)iw, (long long)oh, (long long)ow, kind);
                    /* reference backward: fresh gin, grid gradient reduced by the affine backward */
                    CHECK(stn_grid_sample_2d_backward(isa, gout, in, grid, gin_ref, gg, n, c, ih, iw, oh, ow,
                                                      mode | STN_BACKWARD_FRESH, pad, align, 0, oh) == STN_OK,
                          "fused: ref bwd");
                    CHECK(stn_affine_grid_2d_backward(isa, gg, gt_ref, n, oh, ow, align) == STN_OK, "fused: ref theta");
                    for (int fresh = 0; fresh <= 1; fresh++) {
                        for (int64_t i = 0; i < in_count; i++) gin[i] = fresh ? 12345.0f : 0.0f;
                        for (int64_t i = 0; i < n * oh * 4; i++) rows[i] = -7.0f;
                        CHECK(stn_affine_sample_2d_backward(isa, gout, in, theta, gin, rows, n, c, ih, iw, oh, ow,
                                                            mode | (fresh ? STN_BACKWARD_FRESH : 0), pad, align, 0,
                                                            fresh ? oh : mid) == STN_OK, "fused bwd");
                        if (!fresh)
                            CHECK(stn_affine_sample_2d_backward(isa, gout, in, theta, gin, rows, n, c, ih, iw, oh, ow,
                                                                mode, pad, align, mid, oh) == STN_OK, "fused bwd hi");
                        CHECK(stn_affine_sample_2d_theta(rows, gt, n, oh, align) == STN_OK, "fused theta");
                        CHECK(same_bits(gin, gin_ref, in_count, "fused grad input"), "fused bwd gin %s mode=%d pad=%d "
                              "ac=%d fresh=%d ow=%lld", stn_isa_name(isa), mode, pad, align, fresh, (long long)ow);
                        CHECK(same_bits(gt, gt_ref, n * 6, "fused grad theta"), "fused bwd theta %s mode=%d pad=%d "
                              "ac=%d fresh=%d ow=%lld", stn_isa_name(isa), mode, pad, align, fresh, (long long)ow);
                    }
                    /* bands: two disjoint ones give the whole input gradient */
                    for (int64_t i = 0; i < in_count; i++) gin[i] = 99.0f;
                    CHECK(stn_affine_sample_2d_backward_band(isa, gout, in, theta, gin, n, c, ih, iw, oh, ow,
                                                             mode | STN_BACKWARD_FRESH, pad, align, 0, ih / 2) == STN_OK,
                          "fused band lo");
                    CHECK(stn_affine_sample_2d_backward_band(isa, gout, in, theta, gin, n, c, ih, iw, oh, ow,
                                                             mode | STN_BACKWARD_FRESH, pad, align, ih / 2, ih) == STN_OK,
                          "fused band hi");
                    CHECK(same_bits(gin, gin_ref, in_count, "fused band grad input"), "fused band %s mode=%d pad=%d",
                          stn_isa_name(isa), mode, pad);
                }
    }
    /* errors write nothing */
    for (int64_t i = 0; i < n * oh * 4; i++) rows[i] = -7.0f;
    CHECK(stn_affine_sample_2d_backward(STN_ISA_AUTO, gout, in, NULL, gin, rows, n, c, ih, iw, oh, ow, 0, 0, 0, 0, oh)
          == STN_E_ARG, "fused: theta NULL");
    CHECK(stn_affine_sample_2d_backward(STN_ISA_AUTO, gout, in, theta, gin, rows, n, c, ih, iw, oh, ow, 7, 0, 0, 0, oh)
          == STN_E_ARG && rows[0] == -7.0f, "fused: bad mode writes nothing");
    CHECK(stn_affine_sample_2d_backward(STN_ISA_AUTO, gout, in, theta, gin, rows, n, c, ih, iw, oh, ow,
                                        STN_BACKWARD_FRESH, 0, 0, 0, oh - 1 > 0 ? oh - 1 : 0) == (oh > 0 ? STN_E_ARG : STN_OK),
          "fused: fresh needs every row");
    /* sizes are checked before the workspace is allocated: a width whose base coordinates would wrap size_t */
    CHECK(stn_affine_sample_2d(STN_ISA_AUTO, in, theta, out, 1, 1, 1, 1, 1, (INT64_C(1) << 62) + 1, 0, 0, 0, 0, 1)
          == STN_E_ARG, "fused: huge width rejected");
    CHECK(stn_affine_sample_2d_backward(STN_ISA_AUTO, gout, in, theta, gin, rows, 1, 1, 1, 1, 1,
                                        (INT64_C(1) << 61), 0, 0, 0, 0, 1) == STN_E_ARG, "fused: huge width, backward");
    /* rows of no points (out_w = 0): zero sums, as the unfused affine backward of an empty grid */
    for (int64_t i = 0; i < n * oh * 4; i++) rows[i] = -7.0f;
    CHECK(stn_affine_sample_2d_backward(STN_ISA_AUTO, gout, in, theta, NULL, rows, n, c, ih, iw, oh, 0, 0, 0, 0, 0, oh)
          == STN_OK, "fused: empty rows");
    for (int64_t i = 0; i < n * oh * 4; i++) CHECK(rows[i] == 0.0f, "fused: empty rows sum to 0");
    free(in), free(gout), free(theta), free(grid), free(out_ref), free(out), free(gin_ref), free(gin), free(gg);
    free(gt_ref), free(gt), free(rows);
}

int main(void) {
    printf("stn4j %s, active isa %s\n", stn_version(), stn_isa_name(stn_active_isa()));
    for (size_t k = 0; k < sizeof isas / sizeof *isas; k++)
        printf("  %s: %s\n", stn_isa_name(isas[k]), stn_isa_supported(isas[k]) ? "supported" : "not supported");
    static const int64_t sizes[] = {1, 2, 3, 7, 8, 9, 13, 16, 33};
    for (int align = 0; align <= 1; align++) {
        for (int kind = 0; kind <= 3; kind++) {
            for (size_t i = 0; i < 9; i++)
                for (size_t j = 0; j < 9; j += 2) test_affine(2, sizes[i], sizes[j], align, kind);
            test_affine(1, 64, 207, align, kind);
            test_affine(1, 5, 28, align, kind); /* W = 28: AVX2 and AVX-512 leave different tails */
        }
    }
    for (int kind = 0; kind <= 6; kind++) {
        test_sample(1, 1, 1, 1, 1, 1, kind);
        test_sample(2, 3, 2, 3, 3, 2, kind);
        test_sample(2, 1, 7, 13, 5, 9, kind);
        test_sample(1, 17, 13, 7, 2, 33, kind);
        test_sample(3, 2, 16, 16, 16, 16, kind);
        test_sample(1, 3, 13, 207, 11, 207, kind);
        test_sample(1, 1, 1, 9, 3, 17, kind);
        test_sample(1, 2, 5, 6, 3, 40, kind);
        test_sample(2, 9, 11, 13, 37, 31, kind); /* tiles cross rows; channel blocks 4 + 4 + 1 */
        test_sample(1, 6, 40, 50, 45, 47, kind); /* 3 tiles (the last partial), channel blocks 4 + 2, mostly interior */
        test_sample(1, 3, 6, 900, 3, 1001, kind); /* rows past STN_STRIP_MIN: column strips 512 + 489 */
        test_sample(2, 1, 4, 50, 2, 769, kind);   /* strips 400 + 369, a short input under a long output */
        test_fused(2, 3, 9, 11, 7, 13, kind);
        test_fused(1, 1, 5, 6, 3, 40, kind);
        test_fused(3, 5, 16, 16, 17, 19, kind);
        test_fused(1, 3, 6, 900, 3, 1001, kind); /* column strips */
        test_fused(9, 2, 4, 4, 1, 1, kind);
        test_sample_nhwc(1, 1, 1, 1, 1, 1, kind);
        test_sample_nhwc(2, 3, 7, 13, 2, 33, kind);
        test_sample_nhwc(1, 4, 13, 7, 7, 20, kind);
        test_sample_nhwc(2, 17, 5, 9, 4, 6, kind);
        test_sample_nhwc(1, 33, 3, 40, 3, 11, kind); /* channel loops past every vector width, with tails */
        for (int nhwc = 0; nhwc <= 1; nhwc++) {
            test_band(1, 1, 1, 1, 1, 1, kind, nhwc);
            test_band(2, 3, 7, 13, 5, 9, kind, nhwc);
            test_band(1, 5, 9, 6, 11, 10, kind, nhwc);    /* channel blocks 4 + 1 */
            test_band(1, 3, 40, 50, 45, 47, kind, nhwc);  /* tiles, the interleaved accumulator, fast paths */
            test_band(1, 2, 6, 300, 3, 700, kind, nhwc);  /* column strips of the grid gradient */
        }
        test_band(1, 3, 40, 50, 45, 200, 4, kind & 1); /* bands skip chunks of points (band_touches) */
        test_band(2, 1, 61, 9, 70, 33, 4, kind & 1);
        test_sample_3d(2, 2, 3, 4, 5, 2, 3, 7, kind);
        test_sample_3d(1, 1, 1, 1, 1, 1, 2, 3, kind);
    }
    test_errors();
    test_dense();
    test_alloc_huge();
    test_debug_poison();
#if defined(__aarch64__)
    /* On AArch64 the NEON path must exist and be the one AUTO picks (unless capped), or these tests proved nothing */
    CHECK(stn_isa_supported(STN_ISA_NEON), "NEON supported on AArch64");
    CHECK(getenv("STN4J_MAX_ISA") != NULL || stn_active_isa() == STN_ISA_NEON, "AUTO picks NEON on AArch64");
#else
    CHECK(!stn_isa_supported(STN_ISA_NEON), "no NEON off AArch64");
#endif
    CHECK(stn_affine_grid_2d(99, NULL, NULL, 0, 0, 0, 0, 0, 0) == STN_E_ISA, "unknown ISA");
    printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
