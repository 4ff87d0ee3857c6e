package io.github.stn4j.internal.dense;

import io.github.stn4j.internal.Provider;
import io.github.stn4j.internal.Threads;

/**
 * Dense float matrix products for the neural-network layers, row-major: the one internal package that
 * {@code io.github.stn4j.nn} may use (the training-speed issue #10 moves these kernels to native code). This class is
 * the plain-Java implementation and the specification; {@link VectorGemm} overrides its inner loops with the Vector
 * API. Which one runs is the {@link Provider}'s choice ({@link #get()}). Both split C's rows over {@link Threads}
 * (every element is computed by one thread in a fixed order: results do not depend on the thread count).
 */
public class Gemm {
    /** For the {@link Provider}, which instantiates the chosen implementation. */
    public Gemm() {}

    /** The implementation the {@link Provider} chose for this JVM. */
    public static Gemm get() {
        return Holder.INSTANCE;
    }

    private static final class Holder {
        static final Gemm INSTANCE = Provider.dense(Gemm.class);
    }

    /** C[M,N] (+)= A[M,K] · B[K,N]. */
    public void nn(int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                         boolean accumulate) {
        Threads.forRange(m, Math.max(1, 16384 / Math.max(1, n * 4)), (from, to) -> {
            for (int i = from; i < to; i++) {
                int ci = cOff + i * n;
                if (!accumulate) java.util.Arrays.fill(c, ci, ci + n, 0f);
                for (int p = 0; p < k; p++) {
                    float av = a[aOff + i * k + p];
                    if (av != 0f) axpy(n, av, b, bOff + p * n, c, ci);
                }
            }
        });
    }

    /** C[M,N] (+)= A[M,K] · B[N,K]ᵀ. */
    public final void nt(int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                         boolean accumulate) {
        Threads.forRange(m, Math.max(1, 4096 / Math.max(1, n)), (from, to) -> {
            for (int i = from; i < to; i++) {
                for (int j = 0; j < n; j++) {
                    float d = dot(k, a, aOff + i * k, b, bOff + j * k);
                    int at = cOff + i * n + j;
                    c[at] = accumulate ? c[at] + d : d;
                }
            }
        });
    }

    /** y[yOff..yOff+n) += alpha · x[xOff..xOff+n). */
    public void axpy(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
        for (int j = 0; j < n; j++) y[yOff + j] += alpha * x[xOff + j];
    }

    /** Σ x[xOff+i] · y[yOff+i] for i < n. */
    public float dot(int n, float[] x, int xOff, float[] y, int yOff) {
        float s = 0f;
        for (int i = 0; i < n; i++) s += x[xOff + i] * y[yOff + i];
        return s;
    }

    /** Which implementation this is. */
    public String name() {
        return "java";
    }
}
