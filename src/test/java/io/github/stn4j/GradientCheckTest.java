package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference checks of every analytic gradient, for every backend and every differentiable combination (mode,
 * padding, align_corners, 2-D and 3-D, input, grid and theta; the projective θ and the thin-plate spline's source
 * points), against the double-precision reference
 * ({@link DoubleReference}). The loss is L = sum(output * R) for a fixed random R. Sample points are kept 0.05 pixel
 * away from integer and half-integer positions (where floor, clipping or a reflection fold make the derivative jump)
 * and steps are tiny, so central differences in double are exact to ~1e-9. Each element must agree within 0.2% of
 * max(|fd|, 1% of the largest |fd|): a 1% error in any gradient fails ({@link #checkerCatchesOnePercentErrors}).
 */
class GradientCheckTest {
    static final double REL = 2e-3;

    /** Largest |analytic - fd| / max(|fd|, 1% of max|fd|); must be <= REL. */
    static double worstError(double[] analytic, double[] fd) {
        double maxAbs = 0;
        for (double v : fd) maxAbs = Math.max(maxAbs, Math.abs(v));
        assertTrue(maxAbs > 1e-3, "degenerate case: all finite differences are ~0");
        double worst = 0;
        for (int i = 0; i < fd.length; i++) {
            worst = Math.max(worst, Math.abs(analytic[i] - fd[i]) / Math.max(Math.abs(fd[i]), 0.01 * maxAbs));
        }
        return worst;
    }

    static void check(double[] analytic, double[] fd, String what) {
        double w = worstError(analytic, fd);
        assertTrue(w <= REL, what + ": analytic gradient differs from finite differences by " + w + " (> " + REL + ")");
    }

    static double dot(double[] a, float[] r) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * r[i];
        return s;
    }

    /** Central differences of L over every element of x, in double. */
    static double[] fd(float[] x0, double h, Function<double[], Double> loss) {
        double[] x = toDouble(x0), out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double keep = x[i];
            x[i] = keep + h;
            double up = loss.apply(x);
            x[i] = keep - h;
            double down = loss.apply(x);
            x[i] = keep;
            out[i] = (up - down) / (2 * h);
        }
        return out;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    static float[] random(Random rnd, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        return a;
    }

    /** Whether a grid value sits at least `margin` pixel away from integer and half-integer pixel positions. */
    static boolean awayFromEdges(double g, long size, boolean align, double margin) {
        if (align && size == 1) return true; // every point is pixel 0, derivative 0
        double p = 2 * DoubleReference.unnormalize(g, size, align);
        return Math.abs(p - Math.rint(p)) >= 2 * margin;
    }

    /** A grid of `points` points with `dims` coordinates (sizes x, y[, z]) away from pixel edges. */
    static float[] safeGrid(Random rnd, int points, long[] sizes, boolean align, double lo, double hi) {
        float[] g = new float[points * sizes.length];
        for (int i = 0; i < g.length; i++) {
            do {
                g[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
            } while (!awayFromEdges(g[i], sizes[i % sizes.length], align, 0.05));
        }
        return g;
    }

    static Stream<Arguments> cases2d() {
        List<Arguments> out = new ArrayList<>();
        TestBackends.all().forEach(b -> {
            for (Interpolation m : Interpolation.values()) for (Padding p : Padding.values()) out.add(Arguments.of(b, m, p));
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases2d")
    void gridSample2d(Backend backend, Interpolation mode, Padding padding) {
        SpatialOps ops = TestBackends.ops(backend);
        long n = 2, c = 3, ih = 5, iw = 6, oh = 3, ow = 4;
        for (boolean align : new boolean[] {false, true}) {
            Random rnd = new Random(42 + mode.ordinal() * 10 + padding.ordinal() * 2 + (align ? 1 : 0));
            float[] in = random(rnd, (int) (n * c * ih * iw), -1, 1);
            float[] grid = safeGrid(rnd, (int) (n * oh * ow), new long[] {iw, ih}, align, -1.4, 1.4);
            float[] r = random(rnd, (int) (n * c * oh * ow), -1, 1);
            String what = backend + " " + mode + " " + padding + " align=" + align;
            double[] gridD = toDouble(grid), inD = toDouble(in);
            GridSampleGrads grads = ops.gridSampleBackward(Tensor.of(r, n, c, oh, ow), Tensor.of(in, n, c, ih, iw),
                    Tensor.of(grid, n, oh, ow, 2), mode, padding, align);
            check(toDouble(grads.input().toArray()), fd(in, 1e-3, x -> dot(DoubleReference.sample2d(x, gridD, n, c, ih,
                    iw, oh, ow, mode, padding, align), r)), what + " d/d input");
            double[] fdGrid = fd(grid, 1e-6, g -> dot(DoubleReference.sample2d(inD, g, n, c, ih, iw, oh, ow, mode,
                    padding, align), r));
            if (mode == Interpolation.NEAREST) {
                for (int i = 0; i < fdGrid.length; i++) assertEquals(0.0, fdGrid[i], 1e-9, "nearest is flat");
                for (float v : grads.grid().toArray()) assertEquals(0f, v, what + ": nearest grid gradient");
            } else {
                check(toDouble(grads.grid().toArray()), fdGrid, what + " d/d grid");
            }
        }
    }

    static Stream<Arguments> cases3d() {
        List<Arguments> out = new ArrayList<>();
        TestBackends.all().forEach(b -> {
            for (Interpolation m : new Interpolation[] {Interpolation.BILINEAR, Interpolation.NEAREST}) {
                for (Padding p : Padding.values()) out.add(Arguments.of(b, m, p));
            }
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases3d")
    void gridSample3d(Backend backend, Interpolation mode, Padding padding) {
        SpatialOps ops = TestBackends.ops(backend);
        long n = 2, c = 2, id = 3, ih = 4, iw = 5, od = 2, oh = 2, ow = 3, outVol = od * oh * ow;
        for (boolean align : new boolean[] {false, true}) {
            Random rnd = new Random(7 + mode.ordinal() * 10 + padding.ordinal() * 2 + (align ? 1 : 0));
            float[] in = random(rnd, (int) (n * c * id * ih * iw), -1, 1);
            float[] grid = safeGrid(rnd, (int) (n * outVol), new long[] {iw, ih, id}, align, -1.4, 1.4);
            float[] r = random(rnd, (int) (n * c * outVol), -1, 1);
            String what = backend + " 3-D " + mode + " " + padding + " align=" + align;
            double[] gridD = toDouble(grid), inD = toDouble(in);
            GridSampleGrads grads = ops.gridSampleBackward(Tensor.of(r, n, c, od, oh, ow),
                    Tensor.of(in, n, c, id, ih, iw), Tensor.of(grid, n, od, oh, ow, 3), mode, padding, align);
            check(toDouble(grads.input().toArray()), fd(in, 1e-3, x -> dot(DoubleReference.sample3d(x, gridD, n, c, id,
                    ih, iw, outVol, mode, padding, align), r)), what + " d/d input");
            if (mode == Interpolation.NEAREST) {
                for (float v : grads.grid().toArray()) assertEquals(0f, v, what + ": nearest grid gradient");
            } else {
                check(toDouble(grads.grid().toArray()), fd(grid, 1e-6, g -> dot(DoubleReference.sample3d(inD, g, n, c,
                        id, ih, iw, outVol, mode, padding, align), r)), what + " d/d grid");
            }
        }
    }

    static Stream<Backend> backends() {
        return TestBackends.all();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void affineGridTheta(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        for (long[] size : new long[][] {{2, 1, 7, 9}, {2, 1, 3, 4, 5}}) {
            for (boolean align : new boolean[] {false, true}) {
                Random rnd = new Random(size.length * 2 + (align ? 1 : 0));
                int params = size.length == 5 ? 12 : 6;
                float[] theta = random(rnd, (int) size[0] * params, -1, 1);
                long gridCount = size[0] * size[size.length - 2] * size[size.length - 1] * (size.length == 5 ? size[2] * 3
                        : 2);
                float[] r = random(rnd, (int) gridCount, -1, 1);
                long[] gridShape = size.length == 5 ? new long[] {size[0], size[2], size[3], size[4], 3}
                        : new long[] {size[0], size[2], size[3], 2};
                Tensor gt = ops.affineGridBackward(Tensor.of(r, gridShape), size, align);
                check(toDouble(gt.toArray()), fd(theta, 1e-3, t -> dot(DoubleReference.affine(t, size, align), r)),
                        backend + " d/d theta " + size.length + "-D align=" + align);
            }
        }
    }

    /** The whole grid generator + sampler chain, d L / d theta, through both backward passes. */
    @ParameterizedTest
    @MethodSource("backends")
    void transformerChain(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        long n = 2, c = 2, ih = 6, iw = 7, oh = 4, ow = 5;
        long[] size = {n, c, oh, ow};
        Random rnd = new Random(11);
        float[] in = random(rnd, (int) (n * c * ih * iw), -1, 1);
        float[] r = random(rnd, (int) (n * c * oh * ow), -1, 1);
        double[] inD = toDouble(in);
        for (Interpolation mode : new Interpolation[] {Interpolation.BILINEAR, Interpolation.BICUBIC}) {
            for (Padding padding : Padding.values()) {
                boolean align = false;
                // steps of 1e-7 in theta move points by < 1e-5 px: every point must stay 1e-3 px from a cell edge
                float[] theta = thetaAwayFromEdges(ops, size, ih, iw, align);
                Tensor g = ops.affineGrid(Tensor.of(theta, n, 2, 3), size, align);
                GridSampleGrads gs = ops.gridSampleBackward(Tensor.of(r, n, c, oh, ow), Tensor.of(in, n, c, ih, iw), g,
                        mode, padding, align, null, Tensor.zeros(n, oh, ow, 2));
                Tensor gt = ops.affineGridBackward(gs.grid(), size, align);
                check(toDouble(gt.toArray()), fd(theta, 1e-7, t -> dot(DoubleReference.sample2d(inD,
                        DoubleReference.affine(t, size, align), n, c, ih, iw, oh, ow, mode, padding, align), r)),
                        backend + " " + mode + " " + padding + " d/d theta through the sampler");
            }
        }
    }

    /** A near-identity homography per sample (3 x 3 row-major, θ33 ≠ 1, w within [0.5, 1.6] over the image). */
    static float[] homographies(Random rnd, int n) {
        float[] t = new float[n * 9];
        for (int b = 0; b < n; b++) {
            float[] one = {1, 0, 0, 0, 1, 0, 0, 0, 1};
            for (int i = 0; i < 9; i++) one[i] += (float) ((rnd.nextDouble() * 2 - 1) * (i >= 6 ? 0.2 : 0.25));
            System.arraycopy(one, 0, t, b * 9, 9);
        }
        return t;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void perspectiveGridTheta(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        long[] size = {2, 1, 7, 9};
        for (boolean align : new boolean[] {false, true}) {
            Random rnd = new Random(align ? 21 : 20);
            float[] theta = homographies(rnd, 2);
            float[] r = random(rnd, 2 * 7 * 9 * 2, -1, 1);
            Tensor gt = ops.perspectiveGridBackward(Tensor.of(r, 2, 7, 9, 2), Tensor.of(theta, 2, 3, 3), size, align);
            check(toDouble(gt.toArray()), fd(theta, 1e-4, t -> dot(DoubleReference.perspective(t, size, align), r)),
                    backend + " perspective d/d theta align=" + align);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void tpsGridSources(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        long[] size = {2, 1, 6, 11};
        float[] targets = {-0.9f, -0.8f, 0.1f, -0.95f, 0.85f, -0.7f, -0.75f, 0.05f, 0.05f, 0.1f, 0.9f, -0.05f,
            -0.8f, 0.9f, 0.2f, 0.75f, 0.95f, 0.85f};
        for (boolean align : new boolean[] {false, true}) {
            Random rnd = new Random(align ? 31 : 30);
            float[] src = new float[2 * 9 * 2];
            for (int i = 0; i < src.length; i++) src[i] = targets[i % 18] + (float) (rnd.nextGaussian() * 0.1);
            float[] r = random(rnd, 2 * 6 * 11 * 2, -1, 1);
            double[] td = toDouble(targets);
            Tensor gs = ops.tpsGridBackward(Tensor.of(r, 2, 6, 11, 2), Tensor.of(targets, 9, 2), size, align);
            check(toDouble(gs.toArray()), fd(src, 1e-3, s -> dot(DoubleReference.tps(s, td, size, align), r)),
                    backend + " tps d/d sourcePoints align=" + align);
        }
    }

    /** The projective grid generator + sampler chain, d L / d theta, through both backward passes. */
    @ParameterizedTest
    @MethodSource("backends")
    void perspectiveChain(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        long n = 2, c = 2, ih = 6, iw = 7, oh = 4, ow = 5;
        long[] size = {n, c, oh, ow};
        Random rnd = new Random(12);
        float[] in = random(rnd, (int) (n * c * ih * iw), -1, 1);
        float[] r = random(rnd, (int) (n * c * oh * ow), -1, 1);
        double[] inD = toDouble(in);
        for (Padding padding : Padding.values()) {
            boolean align = false;
            float[] theta = homographies(new Random(13), 2);
            // as in transformerChain: every point 1e-3 px from a cell edge for steps of 1e-7 (shift nudged otherwise)
            int nudges = 0;
            float[] g = ops.perspectiveGrid(Tensor.of(theta, n, 3, 3), size, align).toArray();
            for (int i = 0; i < g.length; i++) {
                if (!awayFromEdges(g[i], i % 2 == 0 ? iw : ih, align, 1e-3)) {
                    assertTrue(++nudges < 500, "could not place the grid away from pixel edges");
                    theta[(int) (i / (2 * oh * ow)) * 9 + (i % 2 == 0 ? 2 : 5)] += 0.0037f;
                    g = ops.perspectiveGrid(Tensor.of(theta, n, 3, 3), size, align).toArray();
                    i = -1;
                }
            }
            Tensor grid = ops.perspectiveGrid(Tensor.of(theta, n, 3, 3), size, align);
            GridSampleGrads gs = ops.gridSampleBackward(Tensor.of(r, n, c, oh, ow), Tensor.of(in, n, c, ih, iw), grid,
                    Interpolation.BILINEAR, padding, align, null, Tensor.zeros(n, oh, ow, 2));
            Tensor gt = ops.perspectiveGridBackward(gs.grid(), Tensor.of(theta, n, 3, 3), size, align);
            check(toDouble(gt.toArray()), fd(theta, 1e-7, t -> dot(DoubleReference.sample2d(inD,
                    DoubleReference.perspective(t, size, align), n, c, ih, iw, oh, ow, Interpolation.BILINEAR, padding,
                    align), r)), backend + " " + padding + " d/d theta through the sampler (projective)");
        }
    }

    /**
     * Two fixed 2 x 3 thetas whose affine grid for {@code size} keeps every point 1e-3 pixel from a cell edge of an
     * ih x iw input (the shift of a sample is nudged until it does), so that small steps in theta cross no edge.
     */
    static float[] thetaAwayFromEdges(SpatialOps ops, long[] size, long ih, long iw, boolean align) {
        long n = size[0], oh = size[2], ow = size[3];
        float[] theta = {0.9f, -0.3f, 0.1f, 0.25f, 0.85f, -0.05f, 1.1f, 0.2f, -0.1f, -0.15f, 0.95f, 0.12f};
        int nudges = 0;
        float[] grid = ops.affineGrid(Tensor.of(theta, n, 2, 3), size, align).toArray();
        for (int i = 0; i < 2 * n * oh * ow; i++) {
            if (!awayFromEdges(grid[i], i % 2 == 0 ? iw : ih, align, 1e-3)) {
                assertTrue(++nudges < 500, "could not place the grid away from pixel edges");
                theta[(int) (i / (2 * oh * ow)) * 6 + (i % 2 == 0 ? 2 : 5)] += 0.0037f;
                grid = ops.affineGrid(Tensor.of(theta, n, 2, 3), size, align).toArray();
                i = -1;
            }
        }
        return theta;
    }

    @Test
    void checkerCatchesOnePercentErrors() {
        double[] fd = {0.5, -2.0, 1e-4, 3.0, -0.02};
        check(fd.clone(), fd, "identical");
        for (int i = 0; i < fd.length; i++) {
            double[] wrong = fd.clone();
            // a 1% error in one element (an absolute error of 1% of the scale for elements near 0)
            wrong[i] += 0.01 * Math.max(Math.abs(fd[i]), 0.01 * 3.0);
            assertTrue(worstError(wrong, fd) > REL, "a 1% error in element " + i + " went unnoticed");
        }
    }
}
