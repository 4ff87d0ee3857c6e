package io.github.stn4j.internal.dense;

import io.github.stn4j.internal.Threads;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The inner loops of {@link Gemm} with the Vector API, at the JVM's preferred width. Loaded by name (by the
 * {@link io.github.stn4j.internal.Provider}) only when the incubator module is present.
 */
public final class VectorGemm extends Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /**
     * Register-blocked C[M,N] (+)= A[M,K] · B[K,N]: 4 rows × 2 vectors of C stay in 8 accumulators while k runs, so
     * each B element is read once per 4 rows of C instead of C being re-read and re-written for every k. Rows are split
     * over the threads in blocks of 4; every C element is still summed over k in order, by one thread.
     */
    @Override
    public void nn(int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                   boolean accumulate) {
        int blocks = (m + 3) / 4;
        Threads.forRange(blocks, Math.max(1, 65536 / Math.max(1, n * k)), (from, to) -> {
            for (int blk = from; blk < to; blk++) {
                int i0 = blk * 4, rows = Math.min(4, m - i0);
                if (rows < 4) {
                    super.nn(rows, n, k, a, aOff + i0 * k, b, bOff, c, cOff + i0 * n, accumulate);
                    continue;
                }
                int a0 = aOff + i0 * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
                int c0 = cOff + i0 * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
                int j = 0;
                // vector body: 4 rows x 2 vectors
                for (; j + 2 * L <= n; j += 2 * L) {
                    FloatVector s00, s01, s10, s11, s20, s21, s30, s31;
                    if (accumulate) {
                        s00 = FloatVector.fromArray(S, c, c0 + j);
                        s01 = FloatVector.fromArray(S, c, c0 + j + L);
                        s10 = FloatVector.fromArray(S, c, c1 + j);
                        s11 = FloatVector.fromArray(S, c, c1 + j + L);
                        s20 = FloatVector.fromArray(S, c, c2 + j);
                        s21 = FloatVector.fromArray(S, c, c2 + j + L);
                        s30 = FloatVector.fromArray(S, c, c3 + j);
                        s31 = FloatVector.fromArray(S, c, c3 + j + L);
                    } else {
                        s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = FloatVector.zero(S);
                    }
                    for (int p = 0; p < k; p++) {
                        int bp = bOff + p * n + j;
                        FloatVector b0 = FloatVector.fromArray(S, b, bp), b1 = FloatVector.fromArray(S, b, bp + L);
                        FloatVector x0 = FloatVector.broadcast(S, a[a0 + p]), x1 = FloatVector.broadcast(S, a[a1 + p]);
                        FloatVector x2 = FloatVector.broadcast(S, a[a2 + p]), x3 = FloatVector.broadcast(S, a[a3 + p]);
                        s00 = x0.fma(b0, s00);
                        s01 = x0.fma(b1, s01);
                        s10 = x1.fma(b0, s10);
                        s11 = x1.fma(b1, s11);
                        s20 = x2.fma(b0, s20);
                        s21 = x2.fma(b1, s21);
                        s30 = x3.fma(b0, s30);
                        s31 = x3.fma(b1, s31);
                    }
                    s00.intoArray(c, c0 + j);
                    s01.intoArray(c, c0 + j + L);
                    s10.intoArray(c, c1 + j);
                    s11.intoArray(c, c1 + j + L);
                    s20.intoArray(c, c2 + j);
                    s21.intoArray(c, c2 + j + L);
                    s30.intoArray(c, c3 + j);
                    s31.intoArray(c, c3 + j + L);
                }
                // one-vector tail: 4 rows x 1 vector
                for (; j + L <= n; j += L) {
                    FloatVector s0, s1, s2, s3;
                    if (accumulate) {
                        s0 = FloatVector.fromArray(S, c, c0 + j);
                        s1 = FloatVector.fromArray(S, c, c1 + j);
                        s2 = FloatVector.fromArray(S, c, c2 + j);
                        s3 = FloatVector.fromArray(S, c, c3 + j);
                    } else {
                        s0 = s1 = s2 = s3 = FloatVector.zero(S);
                    }
                    for (int p = 0; p < k; p++) {
                        FloatVector b0 = FloatVector.fromArray(S, b, bOff + p * n + j);
                        s0 = FloatVector.broadcast(S, a[a0 + p]).fma(b0, s0);
                        s1 = FloatVector.broadcast(S, a[a1 + p]).fma(b0, s1);
                        s2 = FloatVector.broadcast(S, a[a2 + p]).fma(b0, s2);
                        s3 = FloatVector.broadcast(S, a[a3 + p]).fma(b0, s3);
                    }
                    s0.intoArray(c, c0 + j);
                    s1.intoArray(c, c1 + j);
                    s2.intoArray(c, c2 + j);
                    s3.intoArray(c, c3 + j);
                }
                // scalar tail columns
                for (; j < n; j++) {
                    float t0 = accumulate ? c[c0 + j] : 0f, t1 = accumulate ? c[c1 + j] : 0f;
                    float t2 = accumulate ? c[c2 + j] : 0f, t3 = accumulate ? c[c3 + j] : 0f;
                    for (int p = 0; p < k; p++) {
                        float bv = b[bOff + p * n + j];
                        t0 += a[a0 + p] * bv;
                        t1 += a[a1 + p] * bv;
                        t2 += a[a2 + p] * bv;
                        t3 += a[a3 + p] * bv;
                    }
                    c[c0 + j] = t0;
                    c[c1 + j] = t1;
                    c[c2 + j] = t2;
                    c[c3 + j] = t3;
                }
            }
        });
    }

    @Override
    public void axpy(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
        FloatVector a = FloatVector.broadcast(S, alpha);
        int j = 0;
        for (; j + L <= n; j += L) {
            FloatVector.fromArray(S, x, xOff + j).fma(a, FloatVector.fromArray(S, y, yOff + j)).intoArray(y, yOff + j);
        }
        for (; j < n; j++) y[yOff + j] += alpha * x[xOff + j];
    }

    @Override
    public float dot(int n, float[] x, int xOff, float[] y, int yOff) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i + L <= n; i += L) {
            acc = FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.fromArray(S, y, yOff + i), acc);
        }
        // lanes summed in lane order, not reduceLanes(ADD): its order is unspecified, and the compiled and the
        // interpreted forms disagreed in the last bits, so a training run's losses depended on JIT timing
        // (docs/kernels.md, "Reductions in lane order")
        float s = 0f;
        for (int lane = 0; lane < L; lane++) s += acc.lane(lane);
        for (; i < n; i++) s += x[xOff + i] * y[yOff + i];
        return s;
    }

    @Override
    public String name() {
        return "vector-api(" + L + " lanes)";
    }
}
