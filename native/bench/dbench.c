/*
 * dbench: times the native convolutions of nn on the experiments' layers, one thread, for kernel work and profiling
 * (perf record). Training speed itself is measured end to end (bench/run.sh train, bench/train-vs-pytorch.sh).
 *
 *   stn4j_dbench ISA [REPS]     ISA: scalar | avx2 | avx512 | neon | auto
 * For each layer (a batch of 64: 1 -> 16 channels on 42 x 42 and 16 -> 31 on 21 x 21, 5 x 5, padding 2) prints the
 * minimum and the median over REPS calls (default 15) of the forward (with ReLU), the input gradient and the weight
 * gradient in milliseconds, and the minimum's GFLOP/s (2 * multiply-adds of the convolution).
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stn.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int32_t isa_of(const char *name) {
    for (int32_t i = STN_ISA_AUTO; i <= STN_ISA_NEON; i++)
        if (strcmp(name, stn_isa_name(i)) == 0) return i;
    return -1;
}

int main(int argc, char **argv) {
    const int32_t isa = argc > 1 ? isa_of(argv[1]) : STN_ISA_AUTO;
    const int reps = argc > 2 ? atoi(argv[2]) : 15;
    if (isa < 0 || reps < 1 || !stn_isa_supported(isa)) {
        fprintf(stderr, "usage: stn4j_dbench scalar|avx2|avx512|neon|auto [REPS] (and an ISA this CPU runs)\n");
        return 2;
    }
    static const int64_t layers[][4] = {{1, 42, 16, 5}, {16, 21, 31, 5}}; /* c, h = w, o, k; padding 2 */
    const int64_t n = 64, pad = 2;
    for (int l = 0; l < 2; l++) {
        const int64_t c = layers[l][0], h = layers[l][1], o = layers[l][2], k = layers[l][3], oh = h + 2 * pad - k + 1;
        const int64_t xs = n * c * h * h, ys = n * o * oh * oh, ws = o * c * k * k;
        float *x = malloc((size_t)xs * sizeof(float)), *y = malloc((size_t)ys * sizeof(float));
        float *gy = malloc((size_t)ys * sizeof(float)), *gx = malloc((size_t)xs * sizeof(float));
        float *w = malloc((size_t)ws * sizeof(float)), *b = calloc((size_t)o, sizeof(float));
        float *gw = malloc((size_t)ws * sizeof(float)), *gb = malloc((size_t)o * sizeof(float));
        float *col = malloc((size_t)stn_conv2d_scratch(c, h, h, o, k, pad) * sizeof(float));
        for (int64_t i = 0; i < xs; i++) x[i] = (float)(i % 17) / 17.0f;
        for (int64_t i = 0; i < ws; i++) w[i] = (float)(i % 13) / 13.0f - 0.5f;
        for (int64_t i = 0; i < ys; i++) gy[i] = (float)(i % 11) / 11.0f - 0.5f;
        double *t[3];
        for (int j = 0; j < 3; j++) t[j] = malloc((size_t)reps * sizeof(double));
        for (int r = -2; r < reps; r++) { /* two untimed rounds first */
            double s = now();
            stn_conv2d_forward(isa, x, w, b, y, col, n, c, h, h, o, k, pad, 1, 0, n);
            double e = now();
            if (r >= 0) t[0][r] = e - s;
            s = now();
            stn_conv2d_backward_input(isa, gy, y, w, gx, col, n, c, h, h, o, k, pad, 0, n);
            e = now();
            if (r >= 0) t[1][r] = e - s;
            s = now();
            stn_conv2d_backward_weight(isa, gy, y, x, gw, gb, col, n, c, h, h, o, k, pad, 0, 0, n);
            e = now();
            if (r >= 0) t[2][r] = e - s;
        }
        const double flops = 2.0 * (double)(n * o * c * k * k * oh * oh);
        static const char *what[] = {"forward+relu", "input grad", "weight grad"};
        printf("%s conv %lld->%lld on %lldx%lld, batch %lld:", stn_isa_name(isa), (long long)c, (long long)o,
               (long long)h, (long long)h, (long long)n);
        for (int j = 0; j < 3; j++) {
            qsort(t[j], (size_t)reps, sizeof(double), cmp);
            printf("  %s %.2f / %.2f ms (%.0f GFLOP/s)", what[j], t[j][0] * 1e3, t[j][reps / 2] * 1e3,
                   flops / t[j][0] * 1e-9);
            free(t[j]);
        }
        printf("\n");
        free(x), free(y), free(gy), free(gx), free(w), free(b), free(gw), free(gb), free(col);
    }
    return 0;
}
