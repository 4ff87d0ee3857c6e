/*
 * kbench: times one native kernel on the benchmark shapes, for kernel work and profiling (perf record, callgrind).
 * The README's figures come from JMH (bench/run.sh), not from this tool; it exists because a JMH round trip takes
 * minutes and a perf/callgrind profile of the bare kernel is easier to read without a JVM around it.
 *
 *   stn4j_kbench OP SHAPE MODE ISA [REPS]   (env: KBENCH_THETA, KBENCH_SKEW, KBENCH_GRADS=input|grid, KBENCH_N, KBENCH_FRESH, KBENCH_COLD, KBENCH_NHWC,
 *                                            KBENCH_HUGE: buffers on transparent huge pages)
 *     OP    fwd | bwd | affine | affine_bwd
 *     SHAPE mnist | imagenet | featmap | large | tiny
 *     MODE  bilinear | nearest | bicubic
 *     ISA   scalar | avx2 | avx512 | neon | auto
 * Prints the median and the minimum of REPS timed calls (after REPS / 4 + 2 untimed ones), in milliseconds.
 * The data follow bench/Shapes.java in spirit (uniform input, near-identity rotation + scale theta with per-sample
 * noise, align_corners = false, zeros padding), from a fixed-seed generator of its own.
 */
#define _DEFAULT_SOURCE /* madvise */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "stn.h"

static uint64_t rng = 88172645463325252ULL;
static float uniform(void) { /* xorshift64, top 24 bits -> [0, 1) */
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)(rng >> 40) / 16777216.0f;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static float *floats(int64_t count, float lo) {
    float *p;
    if (getenv("KBENCH_HUGE")) { /* 2 MiB-aligned, transparent huge pages asked for (TLB experiments) */
        const size_t bytes = ((size_t)count * sizeof(float) + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
        p = aligned_alloc(2u << 20, bytes);
#ifdef MADV_HUGEPAGE /* Linux only */
        if (p) madvise(p, bytes, MADV_HUGEPAGE);
#endif
    } else {
        p = malloc((size_t)count * sizeof(float));
    }
    if (!p) { fprintf(stderr, "out of memory\n"); exit(1); }
    for (int64_t i = 0; i < count; i++) p[i] = uniform() + lo;
    return p;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s fwd|bwd|affine|affine_bwd SHAPE bilinear|nearest|bicubic scalar|avx2|avx512|neon|auto [REPS]\n",
                argv[0]);
        return 2;
    }
    static const struct { const char *name; int64_t n, c, h, w; } shapes[] = {
        {"tiny", 1, 1, 4, 4}, {"mnist", 256, 1, 28, 28}, {"imagenet", 8, 3, 224, 224},
        {"featmap", 16, 64, 56, 56}, {"large", 1, 3, 1024, 1024}};
    static const char *isas[] = {"auto", "scalar", "avx2", "avx512", "neon"};
    static const char *modes[] = {"bilinear", "nearest", "bicubic"};
    int s = -1, isa = -1, mode = -1;
    for (int i = 0; i < 5; i++) if (!strcmp(argv[2], shapes[i].name)) s = i;
    for (int i = 0; i < 5; i++) if (!strcmp(argv[4], isas[i])) isa = i;
    for (int i = 0; i < 3; i++) if (!strcmp(argv[3], modes[i])) mode = i;
    const int reps = argc > 5 ? atoi(argv[5]) : 20;
    if (s < 0 || isa < 0 || mode < 0 || reps <= 0) { fprintf(stderr, "bad argument\n"); return 2; }
    if (!stn_isa_supported(isa)) { fprintf(stderr, "%s is not supported here\n", argv[4]); return 2; }
    /* KBENCH_N=k: k samples instead of the shape's N (cache-footprint experiments) */
    const int64_t n = getenv("KBENCH_N") ? atoll(getenv("KBENCH_N")) : shapes[s].n;
    const int64_t c = shapes[s].c, h = shapes[s].h, w = shapes[s].w;
    float *theta = malloc(n * 6 * sizeof(float)), *theta_grad = malloc(n * 6 * sizeof(float));
    static const float base[6] = {0.9f, -0.3f, 0.1f, 0.25f, 0.85f, -0.05f};
    for (int64_t i = 0; i < n * 6; i++) theta[i] = base[i % 6] + (uniform() - 0.5f) * 0.04f;
    const char *fixed = getenv("KBENCH_THETA"); /* "a,b,c,d,e,f": the same theta for every sample (experiments) */
    if (fixed) {
        float f[6];
        if (sscanf(fixed, "%f,%f,%f,%f,%f,%f", f, f + 1, f + 2, f + 3, f + 4, f + 5) != 6) return 2;
        for (int64_t i = 0; i < n * 6; i++) theta[i] = f[i % 6];
    }
    float *grid = floats(n * h * w * 2, 0.0f), *input = floats(n * c * h * w, 0.0f);
    /* KBENCH_SKEW=k: the output and the grad input start k floats into their allocations (4K-aliasing experiments) */
    const int64_t skew = getenv("KBENCH_SKEW") ? atoll(getenv("KBENCH_SKEW")) : 0;
    float *out = floats(n * c * h * w + skew, 0.0f) + skew, *gout = floats(n * c * h * w, -0.5f);
    float *gin = floats(n * c * h * w + skew, 0.0f) + skew, *ggrid = floats(n * h * w * 2, 0.0f);
    stn_affine_grid_2d(STN_ISA_SCALAR, theta, grid, n, h, w, 0, 0, h);
    const char *op = argv[1];
    /* KBENCH_GRADS=input or grid: the backward computes only that gradient (to time the kernel's passes apart) */
    const char *grads = getenv("KBENCH_GRADS");
    const int nhwc = getenv("KBENCH_NHWC") != NULL; /* channels last (the data are the same random numbers) */
    const int fresh = getenv("KBENCH_FRESH") != NULL; /* the backward overwrites grad_input (STN_BACKWARD_FRESH) */
    const int only_input = grads && !strcmp(grads, "input"), only_grid = grads && !strcmp(grads, "grid");
    double *t = malloc(reps * sizeof(double));
    const int warm = reps / 4 + 2;
    /* KBENCH_COLD=1: 128 MiB written between calls (untimed), so that the call finds its data in DRAM, as a training
     * loop's fresh batch is */
    char *flush = getenv("KBENCH_COLD") ? malloc((size_t)128 << 20) : NULL;
    for (int r = -warm; r < reps; r++) {
        if (flush) memset(flush, r & 0xff, (size_t)128 << 20);
        const double t0 = now_ms();
        int32_t rc;
        if (!strcmp(op, "fwd")) {
            rc = (nhwc ? stn_grid_sample_2d_nhwc : stn_grid_sample_2d)(isa, input, grid, out, n, c, h, w, h, w, mode,
                                                                     STN_PADDING_ZEROS, 0, 0, h);
        } else if (!strcmp(op, "bwd")) {
            /* zeroing grad_input is part of the work: here, or in the kernel with STN_BACKWARD_FRESH (as Java calls it) */
            if (!fresh) memset(gin, 0, (size_t)(n * c * h * w) * sizeof(float));
            rc = (nhwc ? stn_grid_sample_2d_backward_nhwc : stn_grid_sample_2d_backward)(isa, gout, input, grid, only_grid ? NULL : gin, only_input ? NULL : ggrid,
                                             n, c, h, w, h, w, mode | (fresh ? STN_BACKWARD_FRESH : 0),
                                             STN_PADDING_ZEROS, 0, 0, h);
        } else if (!strcmp(op, "affine")) {
            rc = stn_affine_grid_2d(isa, theta, grid, n, h, w, 0, 0, h);
        } else if (!strcmp(op, "affine_bwd")) { /* grad theta of the grid as grad grid */
            rc = stn_affine_grid_2d_backward(isa, grid, theta_grad, n, h, w, 0);
        } else {
            fprintf(stderr, "bad op %s\n", op);
            return 2;
        }
        if (rc != STN_OK) { fprintf(stderr, "kernel failed: %d\n", rc); return 1; }
        if (r >= 0) t[r] = now_ms() - t0;
    }
    qsort(t, reps, sizeof(double), cmp);
    double sum = 0;
    for (int64_t i = 0; i < n * c * h * w; i++) sum += out[i] + gin[i];
    printf("%s %s %s %s: median %.3f ms, min %.3f ms (%d reps; checksum %.6g)\n", op, argv[2], argv[3], argv[4],
           t[reps / 2], t[0], reps, sum);
    return 0;
}
