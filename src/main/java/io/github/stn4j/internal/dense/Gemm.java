package io.github.stn4j.internal.dense;

import io.github.stn4j.internal.Implementation;
import io.github.stn4j.internal.Provider;
import io.github.stn4j.internal.Threads;

/**
 * Dense float products and convolutions for the neural-network layers, row-major: the one internal package that
 * {@code io.github.stn4j.nn} may use. This class is the plain-Java implementation and the specification;
 * {@link VectorGemm} overrides its inner loops with the Vector API, {@link NativeGemm} runs the products and the
 * convolutions in the native library (packed, register-blocked micro-kernels). Which one runs is the {@link Provider}'s
 * choice ({@link #get()}). All split their work over {@link Threads} so that every element is computed by one thread
 * in a fixed order, or summed from partials of fixed ranges in a fixed order: results do not depend on the thread
 * count.
 */
public class Gemm {
    /**
     * Input elements per task of max-pooling: a task much shorter than a fork-join hand-off (tens of microseconds on
     * the 2-core VMs measured) made 2 threads slower than 1.
     */
    static final int POOL_GRAIN = 1 << 17;

    /** Planes per max-pooling task for h × w planes (see {@link #POOL_GRAIN}). */
    static int poolGrain(int h, int w) {
        return Math.max(1, POOL_GRAIN / Math.max(1, h * w));
    }

    /** For the {@link Provider}, which instantiates the chosen implementation. */
    public Gemm() {}

    /** The implementation the {@link Provider} chose for this JVM. */
    public static Gemm get() {
        return Holder.INSTANCE;
    }

    private static final class Holder {
        static final Gemm INSTANCE = of(Provider.dense());
    }

    /**
     * The dense kernels of one implementation (tests and benchmarks compare them).
     *
     * @throws IllegalStateException if it cannot run here (the message says why)
     */
    public static Gemm of(Implementation impl) {
        String why = Provider.unavailableReason(impl);
        if (why != null) throw new IllegalStateException("dense kernels " + impl + " are not available: " + why);
        return switch (impl) {
            case JAVA_SCALAR -> new Gemm();
            case VECTOR_API -> {
                try { // by name: this class must not link against the incubator module
                    yield (Gemm) Class.forName(VECTOR_GEMM).getDeclaredConstructor().newInstance();
                } catch (ReflectiveOperationException | LinkageError e) {
                    throw new IllegalStateException("the Vector API dense kernels failed to load: " + e, e);
                }
            }
            default -> new NativeGemm(impl);
        };
    }

    private static final String VECTOR_GEMM = "io.github.stn4j.internal.dense.VectorGemm";

    /**
     * C[M,N] (+)= op(A) · op(B), op(A) [M, K] and op(B) [K, N], each stored row-major with no gaps: A is [M, K], or
     * [K, M] when {@code transA}; B is [K, N], or [N, K] when {@code transB}.
     */
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float[] a, float[] b, float[] c,
                     boolean accumulate) {
        float[] a2 = transA ? transpose(a, k, m) : a;
        if (transB) {
            nt(m, n, k, a2, 0, b, 0, c, 0, accumulate);
        } else {
            nn(m, n, k, a2, 0, b, 0, c, 0, accumulate);
        }
    }

    /** aᵀ for a row-major [rows, cols] matrix. */
    public static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[rows * cols];
        // blocks of 32 x 32 keep both sides in cache; column blocks split over the threads
        int blocks = (cols + 31) / 32;
        Threads.forRange(blocks, Math.max(1, 4096 / Math.max(1, rows)), (from, to) -> {
            for (int jb = from * 32; jb < Math.min(cols, to * 32); jb += 32) {
                for (int ib = 0; ib < rows; ib += 32) {
                    for (int i = ib; i < Math.min(rows, ib + 32); i++) {
                        for (int j = jb; j < Math.min(cols, jb + 32); j++) t[j * rows + i] = a[i * cols + j];
                    }
                }
            }
        });
        return t;
    }

    /**
     * 2-D convolution, stride 1, zero padding {@code pad}: y [N, O, Ho, Wo] = conv(x [N, C, H, W], w [O, C, k, k]) + b,
     * Ho = H + 2·pad - k + 1, then max(y, 0) if {@code relu}. y is overwritten.
     */
    public void conv2dForward(float[] x, float[] w, float[] b, float[] y, int n, int c, int h, int wd, int o, int k,
                              int pad, boolean relu) {
        int oh = h + 2 * pad - k + 1, ow = wd + 2 * pad - k + 1, ckk = c * k * k, hw = oh * ow, cols = n * hw;
        // im2col, transposed: row (s, y, x) holds that output pixel's patch (ci, ki, kj), so the product below is a
        // plain row-major product with a short inner dimension for the register-blocked kernel
        float[] colT = im2colT(x, n, c, h, wd, k, pad);
        float[] yt = new float[cols * o]; // [N*Ho*Wo, O] = colT · wᵀ
        nn(cols, o, ckk, colT, 0, transpose(w, o, ckk), 0, yt, 0, false);
        Threads.forRange(n, 1, (from, to) -> {
            for (int s = from; s < to; s++) {
                for (int p = 0; p < hw; p++) {
                    int src = (s * hw + p) * o;
                    for (int oc = 0; oc < o; oc++) {
                        float v = yt[src + oc] + b[oc];
                        y[(s * o + oc) * hw + p] = relu ? Math.max(0f, v) : v;
                    }
                }
            }
        });
    }

    /** gy where the fused ReLU's output y is positive (a fresh array), or gy itself without a ReLU (y null). */
    static float[] throughRelu(float[] gy, float[] y) {
        if (y == null) return gy;
        float[] masked = new float[gy.length];
        Threads.forRange(gy.length, 1 << 15, (from, to) -> {
            for (int i = from; i < to; i++) masked[i] = y[i] > 0f ? gy[i] : 0f;
        });
        return masked;
    }

    /**
     * gx [N, C, H, W] (overwritten) of {@link #conv2dForward}'s convolution, from gy [N, O, Ho, Wo]; when
     * {@code reluY} is not null, gy is the gradient of that forward's ReLU output {@code reluY} and counts only where
     * it is positive.
     */
    public void conv2dBackwardInput(float[] gy, float[] reluY, float[] w, float[] gx, int n, int c, int h, int wd,
                                    int o, int k, int pad) {
        int oh = h + 2 * pad - k + 1, ow = wd + 2 * pad - k + 1, ckk = c * k * k, hw = oh * ow, cols = n * hw;
        float[] g = throughRelu(gy, reluY);
        float[] gt = new float[cols * o]; // gy as [N*Ho*Wo, O]
        for (int s = 0; s < n; s++) {
            for (int oc = 0; oc < o; oc++) {
                for (int p = 0; p < hw; p++) gt[(s * hw + p) * o + oc] = g[(s * o + oc) * hw + p];
            }
        }
        float[] dcolT = new float[cols * ckk];
        nn(cols, ckk, o, gt, 0, w, 0, dcolT, 0, false);
        java.util.Arrays.fill(gx, 0, n * c * h * wd, 0f);
        // col2im, split by sample: each sample's gx is written by one thread, in a fixed order
        Threads.forRange(n, 1, (from, to) -> {
            for (int s = from; s < to; s++) {
                for (int yy = 0; yy < oh; yy++) {
                    for (int xx = 0; xx < ow; xx++) {
                        int row = ((s * oh + yy) * ow + xx) * ckk;
                        for (int ci = 0; ci < c; ci++) {
                            int dst = (s * c + ci) * h * wd;
                            for (int ki = 0; ki < k; ki++) {
                                int iy = yy + ki - pad;
                                if (iy < 0 || iy >= h) continue;
                                int src = row + (ci * k + ki) * k;
                                for (int kj = 0; kj < k; kj++) {
                                    int ix = xx + kj - pad;
                                    if (ix >= 0 && ix < wd) gx[dst + iy * wd + ix] += dcolT[src + kj];
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * gw [O, C, k, k] and gb [O] (may be null) of {@link #conv2dForward}'s convolution over the whole batch, from
     * gy [N, O, Ho, Wo] and x; both overwritten. {@code reluY} as for {@link #conv2dBackwardInput}.
     */
    public void conv2dBackwardWeight(float[] gy, float[] reluY, float[] x, float[] gw, float[] gb, int n, int c, int h,
                                     int wd, int o, int k, int pad) {
        int oh = h + 2 * pad - k + 1, ow = wd + 2 * pad - k + 1, ckk = c * k * k, hw = oh * ow, cols = n * hw;
        float[] g = throughRelu(gy, reluY);
        float[] go = new float[o * cols]; // gy as [O, N*Ho*Wo]
        for (int s = 0; s < n; s++) {
            for (int oc = 0; oc < o; oc++) System.arraycopy(g, (s * o + oc) * hw, go, oc * cols + s * hw, hw);
        }
        nn(o, ckk, cols, go, 0, im2colT(x, n, c, h, wd, k, pad), 0, gw, 0, false); // go · colT
        if (gb != null) {
            for (int oc = 0; oc < o; oc++) {
                float sum = 0f;
                for (int p = 0; p < cols; p++) sum += go[oc * cols + p];
                gb[oc] = sum;
            }
        }
    }

    /**
     * Max pooling, k × k windows with stride k, of x [planes, h, w]: y [planes, h/k, w/k] (floor) and arg, the index
     * within its plane of the element each output took (the first maximum in row-major order; a NaN wins only as a
     * window's first element). y and arg are overwritten.
     */
    public void maxPool2d(float[] x, float[] y, int[] arg, int planes, int h, int w, int k) {
        int oh = h / k, ow = w / k;
        Threads.forRange(planes, poolGrain(h, w), (from, to) -> {
            for (int p = from; p < to; p++) {
                int base = p * h * w;
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        int best = i * k * w + j * k;
                        for (int a = 0; a < k; a++) {
                            for (int c = 0; c < k; c++) {
                                int at = (i * k + a) * w + j * k + c;
                                if (x[base + at] > x[base + best]) best = at;
                            }
                        }
                        int o = (p * oh + i) * ow + j;
                        y[o] = x[base + best];
                        arg[o] = best;
                    }
                }
            }
        });
    }

    /** gx [planes, h, w] (overwritten) of {@link #maxPool2d}: each gy added to the element its arg names. */
    public void maxPool2dBackward(float[] gy, int[] arg, float[] gx, int planes, int h, int w, int k) {
        int out = (h / k) * (w / k);
        // each plane's windows lie in its own plane of gx: split by plane, no two threads write one element
        Threads.forRange(planes, poolGrain(h, w), (from, to) -> {
            for (int p = from; p < to; p++) {
                java.util.Arrays.fill(gx, p * h * w, (p + 1) * h * w, 0f);
                for (int o = p * out; o < (p + 1) * out; o++) gx[p * h * w + arg[o]] += gy[o];
            }
        });
    }

    /** The im2col matrix of the whole batch, transposed: [N*Ho*Wo, C*k*k]. */
    private static float[] im2colT(float[] x, int n, int c, int h, int wd, int k, int pad) {
        int oh = h + 2 * pad - k + 1, ow = wd + 2 * pad - k + 1, ckk = c * k * k;
        float[] colT = new float[n * oh * ow * ckk];
        Threads.forRange(n, 1, (from, to) -> {
            for (int s = from; s < to; s++) {
                for (int yy = 0; yy < oh; yy++) {
                    for (int xx = 0; xx < ow; xx++) {
                        int row = ((s * oh + yy) * ow + xx) * ckk;
                        for (int ci = 0; ci < c; ci++) {
                            int src = (s * c + ci) * h * wd;
                            for (int ki = 0; ki < k; ki++) {
                                int iy = yy + ki - pad;
                                if (iy < 0 || iy >= h) continue;
                                int dst = row + (ci * k + ki) * k;
                                for (int kj = 0; kj < k; kj++) {
                                    int ix = xx + kj - pad;
                                    if (ix >= 0 && ix < wd) colT[dst + kj] = x[src + iy * wd + ix];
                                }
                            }
                        }
                    }
                }
            }
        });
        return colT;
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
