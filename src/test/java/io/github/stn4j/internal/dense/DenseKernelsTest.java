package io.github.stn4j.internal.dense;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.stn4j.internal.Implementation;
import io.github.stn4j.internal.Provider;
import io.github.stn4j.internal.Threads;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every dense implementation available here against the plain-Java specification ({@link Gemm}), on awkward sizes
 * (edges of every micro-kernel tile and block), and each against itself on 1 and 2 threads, bit for bit.
 */
class DenseKernelsTest {
    private static List<Gemm> available() {
        List<Gemm> out = new ArrayList<>();
        for (Implementation impl : Implementation.values()) {
            if (impl != Implementation.JAVA_SCALAR && Provider.unavailableReason(impl) == null) out.add(Gemm.of(impl));
        }
        return out;
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 2 - 1;
        return a;
    }

    /** |a - b| within tol times the largest |b| (at least 1). */
    private static void assertClose(float[] expected, float[] actual, float tol, String what) {
        float scale = 1f;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            assertTrue(Math.abs(e - a) <= tol * scale, what + ": element " + i + " " + a + " vs " + e);
        }
    }

    private static <T> T onThreads(int threads, java.util.function.Supplier<T> body) {
        int before = Threads.threads();
        Threads.setThreads(threads);
        try {
            return body.get();
        } finally {
            Threads.setThreads(before);
        }
    }

    @Test
    void productsMatchTheSpecification() {
        Gemm spec = new Gemm();
        Random r = new Random(1);
        int[][] shapes = {{1, 1, 1}, {5, 33, 12}, {13, 7, 31}, {49, 65, 3}, {64, 100, 257}, {97, 41, 300}};
        for (Gemm g : available()) {
            for (int[] s : shapes) {
                for (int t = 0; t < 8; t++) {
                    boolean ta = (t & 1) != 0, tb = (t & 2) != 0, acc = (t & 4) != 0;
                    int m = s[0], n = s[1], k = s[2];
                    float[] a = random(r, m * k), b = random(r, k * n), c0 = random(r, m * n);
                    float[] want = c0.clone(), got = c0.clone();
                    spec.gemm(ta, tb, m, n, k, a, b, want, acc);
                    g.gemm(ta, tb, m, n, k, a, b, got, acc);
                    String what = g.name() + " " + m + "x" + n + "x" + k + " ta " + ta + " tb " + tb + " acc " + acc;
                    assertClose(want, got, 1e-5f * Math.max(8, k), what);
                    float[] one = onThreads(1, () -> {
                        float[] c = c0.clone();
                        g.gemm(ta, tb, m, n, k, a, b, c, acc);
                        return c;
                    });
                    float[] two = onThreads(2, () -> {
                        float[] c = c0.clone();
                        g.gemm(ta, tb, m, n, k, a, b, c, acc);
                        return c;
                    });
                    assertArrayEquals(one, two, what + ": 1 and 2 threads");
                }
            }
        }
    }

    @Test
    void convolutionsMatchTheSpecification() {
        Gemm spec = new Gemm();
        Random r = new Random(2);
        // {n, c, h, w, o, k, pad}: 1x1 kernels, no padding, channel counts off every tile, the experiments' layers
        int[][] shapes = {{1, 1, 1, 1, 1, 1, 0}, {2, 3, 4, 4, 2, 2, 3}, {3, 2, 7, 5, 3, 3, 1}, {2, 3, 6, 9, 13, 5, 2}, {17, 1, 12, 12, 16, 5, 2},
                {9, 16, 11, 10, 31, 5, 2}, {2, 4, 5, 5, 2, 5, 0}};
        for (Gemm g : available()) {
            for (int[] s : shapes) {
                int n = s[0], c = s[1], h = s[2], w = s[3], o = s[4], k = s[5], pad = s[6];
                int oh = h + 2 * pad - k + 1, ow = w + 2 * pad - k + 1;
                float[] x = random(r, n * c * h * w), wt = random(r, o * c * k * k), b = random(r, o);
                float[] gy = random(r, n * o * oh * ow);
                String what = g.name() + " " + java.util.Arrays.toString(s);
                for (boolean relu : new boolean[] {false, true}) {
                    float[] want = new float[n * o * oh * ow], got = new float[want.length];
                    spec.conv2dForward(x, wt, b, want, n, c, h, w, o, k, pad, relu);
                    g.conv2dForward(x, wt, b, got, n, c, h, w, o, k, pad, relu);
                    assertClose(want, got, 1e-5f * c * k * k, what + " forward relu " + relu);
                }
                float[] reluOut = random(r, gy.length); // a ReLU output's stand-in: the gradient counts where > 0
                for (float[] reluY : new float[][] {null, reluOut}) {
                    String w2 = what + (reluY == null ? "" : " through a ReLU");
                    float[] gxWant = new float[n * c * h * w], gxGot = new float[gxWant.length];
                    spec.conv2dBackwardInput(gy, reluY, wt, gxWant, n, c, h, w, o, k, pad);
                    java.util.Arrays.fill(gxGot, Float.NaN); // overwritten, never read
                    g.conv2dBackwardInput(gy, reluY, wt, gxGot, n, c, h, w, o, k, pad);
                    assertClose(gxWant, gxGot, 1e-5f * o * k * k, w2 + " input gradient");
                    float[] gwWant = new float[o * c * k * k], gbWant = new float[o];
                    spec.conv2dBackwardWeight(gy, reluY, x, gwWant, gbWant, n, c, h, w, o, k, pad);
                    float[][] byThreads = new float[2][];
                    for (int threads = 1; threads <= 2; threads++) {
                        float[] gw = new float[gwWant.length], gb = new float[o];
                        java.util.Arrays.fill(gw, Float.NaN);
                        onThreads(threads, () -> {
                            g.conv2dBackwardWeight(gy, reluY, x, gw, gb, n, c, h, w, o, k, pad);
                            return null;
                        });
                        assertClose(gwWant, gw, 1e-5f * n * oh * ow, w2 + " weight gradient");
                        assertClose(gbWant, gb, 1e-5f * n * oh * ow, w2 + " bias gradient");
                        byThreads[threads - 1] = gw;
                    }
                    assertArrayEquals(byThreads[0], byThreads[1], w2 + ": weight gradient on 1 and 2 threads");
                }
            }
        }
    }

    @Test
    void poolingMatchesTheSpecification() {
        Gemm spec = new Gemm();
        Random r = new Random(3);
        int[][] shapes = {{1, 1, 1, 1}, {3, 5, 7, 2}, {2, 6, 6, 3}, {64, 42, 42, 2}};
        for (Gemm g : available()) {
            for (int[] s : shapes) {
                int planes = s[0], h = s[1], w = s[2], k = s[3], out = planes * (h / k) * (w / k);
                float[] x = new float[planes * h * w];
                for (int i = 0; i < x.length; i++) x[i] = r.nextInt(5) - 2; // ties: the first maximum wins
                float[] y1 = new float[out], y2 = new float[out], gy = random(r, out);
                int[] a1 = new int[out], a2 = new int[out];
                spec.maxPool2d(x, y1, a1, planes, h, w, k);
                g.maxPool2d(x, y2, a2, planes, h, w, k);
                String what = g.name() + " " + java.util.Arrays.toString(s);
                assertArrayEquals(y1, y2, what);
                assertArrayEquals(a1, a2, what);
                float[] gx1 = new float[x.length], gx2 = new float[x.length];
                java.util.Arrays.fill(gx2, Float.NaN);
                spec.maxPool2dBackward(gy, a1, gx1, planes, h, w, k);
                g.maxPool2dBackward(gy, a2, gx2, planes, h, w, k);
                assertArrayEquals(gx1, gx2, what);
            }
        }
    }

    /** The fused ReLU is Math.max(v, 0) on every implementation: a NaN stays NaN (a diverging run must show). */
    @Test
    void fusedReluKeepsNaN() {
        Gemm spec = new Gemm();
        float[] x = new float[2 * 1 * 6 * 6], w = new float[3 * 1 * 3 * 3], b = {0.5f, -0.5f, 0f};
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        for (int i = 0; i < w.length; i++) w[i] = (float) Math.cos(i);
        x[7] = Float.NaN;
        float[] want = new float[2 * 3 * 6 * 6];
        spec.conv2dForward(x, w, b, want, 2, 1, 6, 6, 3, 3, 1, true);
        int nans = 0;
        for (float v : want) if (Float.isNaN(v)) nans++;
        assertTrue(nans > 0, "the specification keeps NaN");
        for (Gemm g : available()) {
            float[] got = new float[want.length];
            g.conv2dForward(x, w, b, got, 2, 1, 6, 6, 3, 3, 1, true);
            for (int i = 0; i < want.length; i++) {
                assertEquals(Float.isNaN(want[i]), Float.isNaN(got[i]), g.name() + ": NaN at " + i);
            }
        }
    }

    /** Arrays too short for the sizes given are refused before any native code runs (Java's own bounds checks do
     * it for the Java implementations). */
    @Test
    void shortArraysAreRefused() {
        for (Gemm g : available()) {
            if (!(g instanceof NativeGemm)) continue;
            assertThrows(IllegalArgumentException.class,
                    () -> g.gemm(false, false, 4, 4, 4, new float[16], new float[15], new float[16], false), g.name());
            assertThrows(IllegalArgumentException.class,
                    () -> g.conv2dForward(new float[24], new float[9], new float[1], new float[10], 1, 1, 5, 5, 1, 3, 1,
                            false), g.name());
        }
    }
}
