package io.github.stn4j;

import static io.github.stn4j.Approx.assertClose;
import static io.github.stn4j.SameBitsTest.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.stn4j.internal.ThinPlateSpline;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The projective and thin-plate-spline grids: TPS against an independent double-precision solve (forward and backward
 * within 1e-4 of the largest value, every backend, heap and native tensors), TPS with sources = targets is the
 * identity, singular targets are clear errors, the TPS cache is bounded and thread-safe, and the projective grid's
 * horizon rule on hostile θ (w ≤ 0, w = 0, w tiny, NaN, Inf, huge): no crash, no NaN in the gradient of a finite θ,
 * and no sample affected by another.
 */
class TransformGridsTest {
    static final double TPS_TOL = 1e-4;

    static Stream<Backend> backends() {
        return TestBackends.all();
    }

    /** k × k targets spaced uniformly over [-1, 1]², row-major (y outer, x inner), as Transform.tps(k) makes them. */
    static float[] gridTargets(int k) {
        float[] t = new float[2 * k * k];
        for (int iy = 0; iy < k; iy++) {
            for (int ix = 0; ix < k; ix++) {
                t[2 * (iy * k + ix)] = -1f + 2f * ix / (k - 1);
                t[2 * (iy * k + ix) + 1] = -1f + 2f * iy / (k - 1);
            }
        }
        return t;
    }

    /** Target configurations: a triangle (K = 3), a 4 × 4 grid, 7 scattered points, 3 × 3 outside the image. */
    static List<float[]> targetSets() {
        Random rnd = new Random(3);
        float[] scattered = new float[14];
        for (int i = 0; i < scattered.length; i++) scattered[i] = (float) (rnd.nextDouble() * 2 - 1);
        float[] wide = gridTargets(3);
        for (int i = 0; i < wide.length; i++) wide[i] *= 1.5f;
        return List.of(new float[] {-0.8f, -0.7f, 0.9f, -0.2f, 0.1f, 0.85f}, gridTargets(4), scattered, wide);
    }

    static final long[][] SIZES = {{2, 1, 1, 1}, {2, 3, 2, 13}, {2, 1, 7, 5}, {2, 1, 28, 28}};

    static float[] perturbed(float[] targets, long n, Random rnd, double sigma) {
        int k = targets.length / 2;
        float[] s = new float[(int) n * k * 2];
        for (int i = 0; i < s.length; i++) s[i] = (float) (targets[i % (2 * k)] + rnd.nextGaussian() * sigma);
        return s;
    }

    static double[] toDouble(float[] a) {
        return GradientCheckTest.toDouble(a);
    }

    static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    /** A float[]-backed tensor viewing a copy of the values (the heap path of every op). */
    static Tensor heap(float[] values, long... shape) {
        return Tensor.wrap(MemorySegment.ofArray(values.clone()), shape);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void tpsMatchesTheDoubleReference(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        Random rnd = new Random(7);
        for (float[] targets : targetSets()) {
            int k = targets.length / 2;
            for (long[] size : SIZES) {
                for (boolean ac : new boolean[] {false, true}) {
                    String what = backend + " K=" + k + " " + Arrays.toString(size) + " ac=" + ac;
                    long n = size[0], points = size[2] * size[3];
                    float[] src = perturbed(targets, n, rnd, 0.1);
                    float[] gg = GradientCheckTest.random(rnd, (int) (n * points * 2), -1, 1);
                    long[] gridShape = {n, size[2], size[3], 2};
                    Tensor grid = ops.tpsGrid(Tensor.of(src, n, k, 2), Tensor.of(targets, k, 2), size, ac);
                    double[] expected = DoubleReference.tps(toDouble(src), toDouble(targets), size, ac);
                    assertClose(grid.toArray(), toFloat(expected), TPS_TOL, what + " grid");
                    Tensor ds = ops.tpsGridBackward(Tensor.of(gg, gridShape), Tensor.of(targets, k, 2), size, ac);
                    assertClose(ds.toArray(), toFloat(referenceBackward(targets, gg, size, ac)), TPS_TOL,
                            what + " grad sourcePoints");
                    // float[]-backed tensors: the same bits
                    assertSameBits(grid, ops.tpsGrid(heap(src, n, k, 2), heap(targets, k, 2), size, ac),
                            what + " heap grid");
                    assertSameBits(ds, ops.tpsGridBackward(heap(gg, gridShape), heap(targets, k, 2), size, ac),
                            what + " heap grad sourcePoints");
                }
            }
        }
    }

    /** Mᵀ·g in double: column k of M is the reference grid of a unit source at point k. */
    static double[] referenceBackward(float[] targets, float[] gg, long[] size, boolean ac) {
        int k = targets.length / 2;
        long n = size[0], points = size[2] * size[3];
        double[] out = new double[(int) n * k * 2];
        for (int q = 0; q < k; q++) {
            double[] unit = new double[k * 2];
            unit[2 * q] = 1;
            double[] col = DoubleReference.tps(unit, toDouble(targets), new long[] {1, 1, size[2], size[3]}, ac);
            for (int b = 0; b < n; b++) {
                for (int c = 0; c < 2; c++) {
                    double s = 0;
                    for (int p = 0; p < points; p++) s += col[2 * p] * gg[(int) ((b * points + p) * 2 + c)];
                    out[(b * k + q) * 2 + c] = s;
                }
            }
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void tpsWithSourcesEqualToTargetsIsTheIdentity(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        for (int k : new int[] {2, 4, 8}) {
            float[] t = gridTargets(k);
            int kk = k * k;
            for (boolean ac : new boolean[] {false, true}) {
                long[] size = {2, 1, 13, 29};
                float[] src = new float[2 * kk * 2];
                System.arraycopy(t, 0, src, 0, 2 * kk);
                System.arraycopy(t, 0, src, 2 * kk, 2 * kk);
                Tensor grid = ops.tpsGrid(Tensor.of(src, 2, kk, 2), Tensor.of(t, kk, 2), size, ac);
                Tensor identity = ops.affineGrid(Tensor.of(new float[] {1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0}, 2, 2, 3),
                        size, ac);
                assertClose(grid.toArray(), identity.toArray(), 1e-5, backend + " " + k + "x" + k + " ac=" + ac);
            }
        }
    }

    @Test
    void singularTargetsAreClearErrors() {
        SpatialOps ops = SpatialOps.of(Backend.JAVA_SCALAR);
        long[] size = {1, 1, 4, 4};
        float[][] bad = {
            {0, 0, 1, 1},                                // K = 2
            {0, 0, 1, 0, 0, 1, 1, 0},                    // a duplicate
            {-1, -1, 0, 0, 1, 1, 0.5f, 0.5f},            // collinear (a diagonal)
            {-1, 0.25f, 0.5f, 0.25f, 0.75f, 0.25f},      // collinear (a row)
            {0, 0, 1, 0, Float.NaN, 1},                  // not finite
            {0, 0, 1e-30f, 0, 1, 0, 0, 1},               // numerically singular: two points 1e-30 apart
        };
        String[][] messages = {
            {"tpsGrid", "targetPoints has 2 points", "at least 3"},
            {"tpsGrid", "targetPoints[1] and targetPoints[3] are the same point", "remove or move"},
            {"tpsGrid", "on one line", "move at least one off the line"},
            {"tpsGrid", "on one line"},
            {"tpsGrid", "targetPoints[2]", "not finite"},
            {"tpsGrid", "singular", "spread them out"},
        };
        for (int i = 0; i < bad.length; i++) {
            float[] t = bad[i];
            int k = t.length / 2;
            float[] sentinel = new float[2 * 4 * 4];
            Arrays.fill(sentinel, 42f);
            Tensor grid = Tensor.of(sentinel, 1, 4, 4, 2);
            ValidationTest.fails(() -> ops.tpsGrid(Tensor.zeros(1, k, 2), Tensor.of(t, k, 2), size, false, grid),
                    messages[i]);
            assertArrayEquals(sentinel, grid.toArray(), "case " + i + ": the output must be untouched");
            String[] back = messages[i].clone();
            back[0] = "tpsGridBackward";
            ValidationTest.fails(() -> ops.tpsGridBackward(Tensor.zeros(1, 4, 4, 2), Tensor.of(t, k, 2), size, false),
                    back);
        }
        ValidationTest.fails(() -> ops.tpsGrid(Tensor.zeros(1, 1025, 2), Tensor.zeros(1025, 2), size, false),
                "tpsGrid", "1025 points", "at most 1024");
        // the largest supported count solves (a 32 x 32 grid of control points)
        float[] t32 = gridTargets(32);
        Tensor g = ops.tpsGrid(Tensor.of(t32, 1, 1024, 2), Tensor.of(t32, 1024, 2), new long[] {1, 1, 3, 5}, true);
        assertClose(g.toArray(), ops.affineGrid(Tensor.of(new float[] {1, 0, 0, 0, 1, 0}, 1, 2, 3),
                new long[] {1, 1, 3, 5}, true).toArray(), 1e-4, "32 x 32 control points, identity");
    }

    @Test
    void tpsCacheIsBoundedReusedAndThreadSafe() throws Exception {
        SpatialOps ops = SpatialOps.of(Backend.JAVA_SCALAR);
        ThinPlateSpline.clearCache();
        float[] t = gridTargets(4);
        long[] size = {3, 1, 9, 11};
        float[] src = perturbed(t, 3, new Random(1), 0.1);
        Tensor first = ops.tpsGrid(Tensor.of(src, 3, 16, 2), Tensor.of(t, 16, 2), size, false);
        assertEquals(1, ThinPlateSpline.cached());
        assertSameBits(first, ops.tpsGrid(Tensor.of(src, 3, 16, 2), Tensor.of(t, 16, 2), size, false), "cached");
        ops.tpsGridBackward(Tensor.zeros(3, 9, 11, 2), Tensor.of(t, 16, 2), size, false);
        assertEquals(1, ThinPlateSpline.cached(), "the backward shares the forward's configuration");
        ops.tpsGrid(Tensor.of(src, 3, 16, 2), Tensor.of(t, 16, 2), size, true);
        assertEquals(2, ThinPlateSpline.cached(), "align_corners is part of the configuration");
        for (int i = 0; i < 40; i++) {
            float[] moved = t.clone();
            moved[0] += 1e-3f * (i + 1);
            ops.tpsGrid(Tensor.of(src, 3, 16, 2), Tensor.of(moved, 16, 2), size, false);
            assertTrue(ThinPlateSpline.cached() <= 16, "the cache holds at most 16 configurations");
        }
        // many threads, a few configurations, an empty cache: every result has the bits of one thread's
        ThinPlateSpline.clearCache();
        List<Tensor> expected = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            float[] moved = t.clone();
            moved[5] += 0.01f * c;
            expected.add(ops.tpsGrid(Tensor.of(src, 3, 16, 2), Tensor.of(moved, 16, 2), size, false));
        }
        ThinPlateSpline.clearCache();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                int c = i % 3;
                results.add(pool.submit(() -> {
                    float[] moved = t.clone();
                    moved[5] += 0.01f * c;
                    return ops.tpsGrid(Tensor.of(src, 3, 16, 2), Tensor.of(moved, 16, 2), size, false).toArray();
                }));
            }
            for (int i = 0; i < results.size(); i++) {
                assertArrayEquals(expected.get(i % 3).toArray(), results.get(i).get(), "thread result " + i);
            }
        } finally {
            pool.shutdown();
        }
    }

    /** Every value of every result is written: over the pool's poisoned blocks (NaN), finite inputs give no NaN. */
    @ParameterizedTest
    @MethodSource("backends")
    void noResultKeepsThePoison(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        PoisonTest.assertPoisonModeIsOn();
        int before = Parallel.threads();
        float[] targets = gridTargets(3);
        try {
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                for (long[] size : new long[][] {{1, 1, 1, 1}, {2, 1, 7, 5}, {48, 1, 28, 28}}) {
                    int n = (int) size[0];
                    Random rnd = new Random(n);
                    float[] theta = new float[n * 9];
                    for (int b = 0; b < n; b++) System.arraycopy(HOSTILE_THETAS[b % 2 == 0 ? 0 : 10], 0, theta, b * 9, 9);
                    Tensor th = Tensor.of(theta, n, 3, 3), sp = Tensor.of(perturbed(targets, n, rnd, 0.1), n, 9, 2);
                    Tensor gg = Tensor.of(GradientCheckTest.random(rnd, (int) (n * size[2] * size[3] * 2), -1, 1), n,
                            size[2], size[3], 2);
                    Tensor tp = Tensor.of(targets, 9, 2);
                    for (int round = 0; round < 2; round++) {
                        for (Tensor t : new Tensor[] {ops.perspectiveGridBackward(gg, th, size, false),
                            ops.tpsGrid(sp, tp, size, false), ops.tpsGridBackward(gg, tp, size, false)}) {
                            for (float v : t.toArray()) assertFalse(Float.isNaN(v), backend + " " + Arrays.toString(size));
                            t.close();
                        }
                        try (Tensor g = ops.perspectiveGrid(th, size, false)) {
                            for (float v : g.toArray()) assertFalse(Float.isNaN(v), backend + " perspective grid");
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    // ---------------------------------------------------------------- projective grid

    /** θ per sample (3 x 3 row-major) for the hostile test; see {@link #perspectiveHorizonRule}. */
    static final float[][] HOSTILE_THETAS = {
        {0.9f, -0.2f, 0.05f, 0.15f, 1.1f, -0.1f, 0.2f, -0.15f, 1f},       // 0: ordinary, w in [0.65, 1.35]
        {1, 0, 0, 0, 1, 0, 0, 0, -1},                                     // 1: w = -1: behind the camera
        {1, 0, 0, 0, 1, 0, 1, 0, 0},                                      // 2: w = x: the left half behind
        {1e-30f, 0, 0, 0, 1e-30f, 0, 0, 0, 1e-30f},                       // 3: the identity at a tiny scale
        {Float.NaN, 0, 0, 0, 1, 0, 0, 0, 1},                              // 4: NaN in u
        {1, 0, 0, 0, 1, 0, 0, 0, Float.POSITIVE_INFINITY},                // 5: w infinite
        {9e29f, -2e29f, 5e28f, 1.5e29f, 1.1e30f, -1e29f, 2e29f, -1.5e29f, 1e30f}, // 6: sample 0 times 1e30
        {3e38f, 3e38f, 3e38f, -3e38f, 3e38f, 3e38f, 0.1f, 0, 1},           // 7: u and v overflow float
        {0, 0, 0, 0, 0, 0, 0, 0, 0},                                      // 8: w = 0
        {1, 0, 0, 0, 1, 0, 0, 0, 1e-7f},                                  // 9: w tiny, |grid| up to 1e7
        {1, 0.5f, 0, 0, 1, 0, 0.5f, 0.4f, 0.1f},                          // 10: w crosses 0 inside the image
    };

    @ParameterizedTest
    @MethodSource("backends")
    void perspectiveHorizonRule(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        int n = HOSTILE_THETAS.length;
        float[] theta = new float[n * 9];
        for (int b = 0; b < n; b++) System.arraycopy(HOSTILE_THETAS[b], 0, theta, b * 9, 9);
        for (boolean ac : new boolean[] {false, true}) {
            long h = 7, w = 9, points = h * w;
            long[] size = {n, 2, h, w};
            float[] gradGrid = GradientCheckTest.random(new Random(5), (int) (n * points * 2), -1, 1);
            Tensor grid = ops.perspectiveGrid(Tensor.of(theta, n, 3, 3), size, ac);
            Tensor dTheta = ops.perspectiveGridBackward(Tensor.of(gradGrid, n, h, w, 2), Tensor.of(theta, n, 3, 3),
                    size, ac);
            float[] g = grid.toArray(), dt = dTheta.toArray();
            String what = backend + " ac=" + ac;
            // nothing leaks: each sample alone gives its bits in the batch
            for (int b = 0; b < n; b++) {
                float[] tb = Arrays.copyOfRange(theta, b * 9, b * 9 + 9);
                float[] gb = Arrays.copyOfRange(gradGrid, (int) (b * points * 2), (int) ((b + 1) * points * 2));
                long[] one = {1, 2, h, w};
                assertSameBits(Tensor.of(Arrays.copyOfRange(g, (int) (b * points * 2), (int) ((b + 1) * points * 2)),
                        1, h, w, 2), ops.perspectiveGrid(Tensor.of(tb, 1, 3, 3), one, ac), what + " sample " + b);
                assertSameBits(Tensor.of(Arrays.copyOfRange(dt, b * 9, b * 9 + 9), 1, 3, 3),
                        ops.perspectiveGridBackward(Tensor.of(gb, 1, h, w, 2), Tensor.of(tb, 1, 3, 3), one, ac),
                        what + " sample " + b + " grad theta");
                if (b != 4) { // finite θ: no NaN anywhere in dθ
                    for (int i = 0; i < 9; i++) assertFalse(Float.isNaN(dt[b * 9 + i]), what + " sample " + b + " dθ");
                }
            }
            float[] base = ops.affineGrid(Tensor.of(new float[] {1, 0, 0, 0, 1, 0}, 1, 2, 3), new long[] {1, 1, h, w},
                    ac).toArray();
            for (int p = 0; p < points; p++) {
                float x = base[2 * p];
                // 1, 5, 8: every point at infinity; 2: where w = x is not above 2^-20
                for (int b : new int[] {1, 5, 8}) assertInfinity(g, b, points, p, what);
                if (x > 0x1p-20f) {
                    assertEquals(1f, g[(int) ((2 * points + p) * 2)], what + " sample 2 point " + p);
                } else {
                    assertInfinity(g, 2, points, p, what);
                }
                // 3: the identity (θ and c θ give the same grid)
                assertEquals(base[2 * p], g[(int) ((3 * points + p) * 2)], 1e-6, what + " sample 3 x");
                assertEquals(base[2 * p + 1], g[(int) ((3 * points + p) * 2 + 1)], 1e-6, what + " sample 3 y");
                // 4: NaN passes through in x, y stays
                assertTrue(Float.isNaN(g[(int) ((4 * points + p) * 2)]), what + " sample 4 x");
                assertEquals(base[2 * p + 1], g[(int) ((4 * points + p) * 2 + 1)], 1e-6, what + " sample 4 y");
                // 6: sample 0's grid
                assertEquals(g[2 * p], g[(int) ((6 * points + p) * 2)], 1e-5, what + " sample 6 x");
                assertEquals(g[2 * p + 1], g[(int) ((6 * points + p) * 2 + 1)], 1e-5, what + " sample 6 y");
            }
            for (int i = 0; i < 9; i++) {
                for (int b : new int[] {1, 5, 8}) assertEquals(0f, dt[b * 9 + i], what + " sample " + b + " dθ");
                assertTrue(Float.isFinite(dt[i]) && Float.isFinite(dt[2 * 9 + i]) && Float.isFinite(dt[6 * 9 + i]),
                        what + " finite dθ");
            }
            // the ordinary sample against the double reference
            double[] ref = DoubleReference.perspective(toDouble(HOSTILE_THETAS[0]), new long[] {1, 1, h, w}, ac);
            assertClose(Arrays.copyOf(g, (int) (points * 2)), toFloat(ref), 1e-5, what + " sample 0 grid");
            // the sampler takes every point: zeros padding reads 0 at infinity, nothing throws
            Tensor input = Tensor.of(GradientCheckTest.random(new Random(2), n * 2 * 5 * 6, -1, 1), n, 2, 5, 6);
            for (Padding padding : Padding.values()) {
                Tensor out = ops.gridSample(input, grid, Interpolation.BILINEAR, padding, ac);
                GridSampleGrads gs = ops.gridSampleBackward(Tensor.of(GradientCheckTest.random(new Random(4),
                        (int) (n * 2 * points), -1, 1), n, 2, h, w), input, grid, Interpolation.BILINEAR, padding, ac);
                float[] d = ops.perspectiveGridBackward(gs.grid(), Tensor.of(theta, n, 3, 3), size, ac).toArray();
                for (int b = 0; b < n; b++) {
                    if (b == 4) continue;
                    for (int i = 0; i < 9; i++) assertFalse(Float.isNaN(d[b * 9 + i]), what + " " + padding + " " + b);
                }
                if (padding == Padding.ZEROS) {
                    float[] o = out.toArray();
                    for (int i = 0; i < 2 * points; i++) assertEquals(0f, o[(int) (2 * points + i)], "sample 1 reads 0");
                }
            }
        }
    }

    static void assertInfinity(float[] g, int b, long points, int p, String what) {
        assertEquals(Float.POSITIVE_INFINITY, g[(int) ((b * points + p) * 2)], what + " sample " + b + " x at " + p);
        assertEquals(Float.POSITIVE_INFINITY, g[(int) ((b * points + p) * 2 + 1)], what + " sample " + b + " y at " + p);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void perspectiveGridOnHeapTensorsAndIntoOutputs(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        int n = 3;
        long[] size = {n, 1, 5, 8};
        float[] theta = new float[n * 9];
        for (int b = 0; b < n; b++) System.arraycopy(HOSTILE_THETAS[b == 1 ? 10 : b == 2 ? 6 : 0], 0, theta, b * 9, 9);
        float[] gg = GradientCheckTest.random(new Random(8), n * 5 * 8 * 2, -1, 1);
        Tensor grid = ops.perspectiveGrid(Tensor.of(theta, n, 3, 3), size, true);
        Tensor dt = ops.perspectiveGridBackward(Tensor.of(gg, n, 5, 8, 2), Tensor.of(theta, n, 3, 3), size, true);
        Tensor heapGrid = heap(new float[n * 5 * 8 * 2], n, 5, 8, 2), heapDt = heap(new float[n * 9], n, 3, 3);
        ops.perspectiveGrid(heap(theta, n, 3, 3), size, true, heapGrid);
        ops.perspectiveGridBackward(heap(gg, n, 5, 8, 2), heap(theta, n, 3, 3), size, true, heapDt);
        assertSameBits(grid, heapGrid, backend + " heap grid");
        assertSameBits(dt, heapDt, backend + " heap grad theta");
    }
}
