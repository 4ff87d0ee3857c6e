package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The guarantee of docs/guarantees.md, "The same bits everywhere": every spatial op gives the float bits of the
 * specification (JAVA_SCALAR) on every backend and for 1 or 2 threads. NaN compares equal to NaN whatever its payload;
 * -0 and +0 are different. Inputs: CrossBackendTest's awkward shapes, with random grids, hostile grids, and grids made
 * by affineGrid from θs whose points land exactly on pixel centres and edges (identity, scale 0.5, whole-pixel
 * translations), where a last-bit difference in a coordinate flips floor() and with it the gradient.
 */
class SameBitsTest {
    private final int before = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(before);
    }

    enum GridKind { RANDOM, HOSTILE, IDENTITY, HALF, SHIFTED }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Backend b : Backend.values()) {
            if (b == Backend.JAVA_SCALAR) continue;
            for (int threads = 1; threads <= 2; threads++) {
                for (GridKind kind : GridKind.values()) {
                    for (long[] s : CrossBackendTest.SHAPES_2D) out.add(Arguments.of(b, threads, s, kind));
                    for (long[] s : CrossBackendTest.SHAPES_3D) out.add(Arguments.of(b, threads, s, kind));
                }
            }
        }
        return out.stream();
    }

    /** θ for a grid kind, per sample: 2 x 3 (2-D) or 3 x 4 (3-D) row-major. */
    static float[] theta(GridKind kind, long n, boolean is3d, long[] s, Random rnd) {
        int rows = is3d ? 3 : 2, cols = rows + 1;
        float[] t = new float[(int) n * rows * cols];
        for (int b = 0; b < n; b++) {
            for (int r = 0; r < rows; r++) {
                int at = b * rows * cols + r * cols;
                switch (kind) {
                    case RANDOM, HOSTILE -> {
                        for (int k = 0; k < cols; k++) t[at + k] = (float) (rnd.nextDouble() * 3 - 1.5);
                    }
                    case IDENTITY -> t[at + r] = 1f;
                    case HALF -> t[at + r] = 0.5f;
                    case SHIFTED -> {
                        // a whole number of input pixels along this axis (2 / size per pixel), then some of b
                        t[at + r] = 1f;
                        long size = is3d ? s[4 - r] : s[3 - r];
                        t[at + rows] = (float) ((1 + b) * 2.0 / size);
                    }
                }
            }
        }
        return t;
    }

    @ParameterizedTest(name = "{0} threads={1} {2} {3}")
    @MethodSource("cases")
    void everyOpGivesTheSpecificationsBits(Backend backend, int threads, long[] s, GridKind kind) {
        SpatialOps ops = TestBackends.ops(backend), spec = SpatialOps.of(Backend.JAVA_SCALAR);
        boolean is3d = s.length == 8;
        long n = s[0], c = s[1];
        long[] inShape = is3d ? new long[] {n, c, s[2], s[3], s[4]} : new long[] {n, c, s[2], s[3]};
        long[] gridShape = is3d ? new long[] {n, s[5], s[6], s[7], 3} : new long[] {n, s[4], s[5], 2};
        long[] outShape = is3d ? new long[] {n, c, s[5], s[6], s[7]} : new long[] {n, c, s[4], s[5]};
        Random rnd = new Random(Arrays.hashCode(s) * 41L + kind.ordinal());
        float[] in = CrossBackendTest.random(rnd, CrossBackendTest.count(inShape), -1, 1);
        float[] gout = CrossBackendTest.random(rnd, CrossBackendTest.count(outShape), -1, 1);
        Tensor tIn = Tensor.of(in, inShape), tGout = Tensor.of(gout, outShape);
        Tensor thetaT = Tensor.of(theta(kind, n, is3d, s, rnd), is3d ? new long[] {n, 3, 4} : new long[] {n, 2, 3});
        Parallel.setThreads(threads);
        String base = backend + " threads=" + threads + " " + Arrays.toString(s) + " " + kind;
        for (boolean ac : new boolean[] {false, true}) {
            // affine grid: forward, and backward of a random grid gradient
            Tensor specGrid = spec.affineGrid(thetaT, outShape, ac);
            assertSameBits(specGrid, ops.affineGrid(thetaT, outShape, ac), base + " ac=" + ac + " affine grid");
            Tensor gg = Tensor.of(CrossBackendTest.random(rnd, CrossBackendTest.count(gridShape), -1, 1), gridShape);
            assertSameBits(spec.affineGridBackward(gg, outShape, ac), ops.affineGridBackward(gg, outShape, ac),
                    base + " ac=" + ac + " affine grid backward");
        }
        Tensor tGrid;
        if (kind == GridKind.RANDOM || kind == GridKind.HOSTILE) {
            float[] grid = CrossBackendTest.random(rnd, CrossBackendTest.count(gridShape), -1.3, 1.3);
            if (kind == GridKind.HOSTILE)
                for (int i = 0; i < grid.length; i += 3) grid[i] = CrossBackendTest.HOSTILE[(i / 3) % 15];
            tGrid = Tensor.of(grid, gridShape);
        } else {
            tGrid = spec.affineGrid(thetaT, outShape, false); // the spec's grid: on pixel centres for these θ
        }
        Interpolation[] modes = is3d ? new Interpolation[] {Interpolation.BILINEAR, Interpolation.NEAREST}
                : Interpolation.values();
        for (Interpolation mode : modes) {
            for (Padding padding : Padding.values()) {
                for (boolean ac : new boolean[] {false, true}) {
                    String what = base + " " + mode + " " + padding + " ac=" + ac;
                    assertSameBits(spec.gridSample(tIn, tGrid, mode, padding, ac),
                            ops.gridSample(tIn, tGrid, mode, padding, ac), what + " forward");
                    GridSampleGrads r = spec.gridSampleBackward(tGout, tIn, tGrid, mode, padding, ac);
                    GridSampleGrads g = ops.gridSampleBackward(tGout, tIn, tGrid, mode, padding, ac);
                    assertSameBits(r.input(), g.input(), what + " grad input");
                    assertSameBits(r.grid(), g.grid(), what + " grad grid");
                }
            }
        }
    }

    static Stream<Arguments> transformCases() {
        List<Arguments> out = new ArrayList<>();
        for (Backend b : Backend.values()) {
            for (int threads = 1; threads <= 2; threads++) out.add(Arguments.of(b, threads));
        }
        return out.stream();
    }

    /**
     * The projective and thin-plate-spline grids and their gradients: one shared implementation, so every backend and
     * thread count (1 thread against 2, which split large calls over whole samples) gives the bits of JAVA_SCALAR on
     * one thread; hostile θs included (w ≤ 0, w = 0, NaN, Inf, huge).
     */
    @ParameterizedTest(name = "{0} threads={1}")
    @MethodSource("transformCases")
    void transformGridsGiveTheSpecificationsBits(Backend backend, int threads) {
        SpatialOps ops = TestBackends.ops(backend), spec = SpatialOps.of(Backend.JAVA_SCALAR);
        float[] targets = TransformGridsTest.gridTargets(4);
        for (long[] size : new long[][] {{1, 1, 1, 1}, {2, 3, 2, 13}, {3, 1, 7, 5}, {48, 1, 28, 28}}) {
            int n = (int) size[0];
            long[] gridShape = {n, size[2], size[3], 2};
            Random rnd = new Random(Arrays.hashCode(size));
            float[] theta = new float[n * 9];
            for (int b = 0; b < n; b++) {
                float[] t = TransformGridsTest.HOSTILE_THETAS[b % TransformGridsTest.HOSTILE_THETAS.length];
                System.arraycopy(t, 0, theta, b * 9, 9);
            }
            float[] src = TransformGridsTest.perturbed(targets, n, rnd, 0.1);
            Tensor th = Tensor.of(theta, n, 3, 3), sp = Tensor.of(src, n, 16, 2), tp = Tensor.of(targets, 16, 2);
            Tensor gg = Tensor.of(CrossBackendTest.random(rnd, CrossBackendTest.count(gridShape), -1, 1), gridShape);
            for (boolean ac : new boolean[] {false, true}) {
                String what = backend + " threads=" + threads + " " + Arrays.toString(size) + " ac=" + ac;
                Parallel.setThreads(1);
                Tensor pg = spec.perspectiveGrid(th, size, ac), pb = spec.perspectiveGridBackward(gg, th, size, ac);
                Tensor tg = spec.tpsGrid(sp, tp, size, ac), tb = spec.tpsGridBackward(gg, tp, size, ac);
                Parallel.setThreads(threads);
                assertSameBits(pg, ops.perspectiveGrid(th, size, ac), what + " perspective grid");
                assertSameBits(pb, ops.perspectiveGridBackward(gg, th, size, ac), what + " perspective backward");
                assertSameBits(tg, ops.tpsGrid(sp, tp, size, ac), what + " tps grid");
                assertSameBits(tb, ops.tpsGridBackward(gg, tp, size, ac), what + " tps backward");
            }
        }
    }

    /** Bitwise equality, NaN equal to NaN; names the first difference and counts them. */
    static void assertSameBits(Tensor expected, Tensor actual, String what) {
        float[] e = expected.toArray(), a = actual.toArray();
        if (e.length != a.length) fail(what + ": " + a.length + " values, expected " + e.length);
        int first = -1, count = 0;
        for (int i = 0; i < e.length; i++) {
            if (Float.floatToIntBits(e[i]) != Float.floatToIntBits(a[i])) {
                if (first < 0) first = i;
                count++;
            }
        }
        if (count > 0)
            fail(what + ": " + count + " of " + e.length + " values differ; first at " + first + ": " + a[first]
                    + " (0x" + Integer.toHexString(Float.floatToRawIntBits(a[first])) + "), expected " + e[first]
                    + " (0x" + Integer.toHexString(Float.floatToRawIntBits(e[first])) + ")");
    }
}
