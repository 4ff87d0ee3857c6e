package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference checks of every analytic gradient on small cases, for every backend. The loss is
 * L = sum(output * R) for a fixed random R, evaluated in double from the float outputs. Bilinear sampling is linear in
 * the input and, inside one pixel cell, bilinear in the sample position; sample points are kept 0.05 pixel away
 * from cell edges (where the derivative jumps) and steps move them by at most 0.003 pixel, so the central difference is
 * exact up to float rounding. Each element must agree within 0.2% of max(|fd|, 1% of the largest |fd|): a 1% error
 * in any gradient fails (see {@link #checkerCatchesOnePercentErrors}).
 */
class GradientCheckTest {
    static final double REL = 2e-3;

    static java.util.stream.Stream<Backend> backends() {
        return TestBackends.all();
    }

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

    static double loss(Tensor out, float[] r) {
        float[] o = out.toArray();
        double s = 0;
        for (int i = 0; i < o.length; i++) s += (double) o[i] * r[i];
        out.close();
        return s;
    }

    /** Central differences of L(x) over every element of x, with step h. */
    static double[] finiteDifferences(float[] x, double h, Function<float[], Double> lossOf) {
        double[] fd = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            float keep = x[i];
            x[i] = (float) (keep + h);
            double up = lossOf.apply(x);
            float upStep = x[i] - keep;
            x[i] = (float) (keep - h);
            double down = lossOf.apply(x);
            float downStep = keep - x[i];
            x[i] = keep;
            fd[i] = (up - down) / ((double) upStep + downStep); // the steps actually taken in float
        }
        return fd;
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

    static double pixel(double g, long size, boolean align) {
        return align ? (g + 1) / 2 * (size - 1) : ((g + 1) * size - 1) / 2;
    }

    /** Whether a grid value sits at least `margin` pixel away from integer and half-integer pixel positions. */
    static boolean awayFromEdges(double g, long size, boolean align, double margin) {
        double p = 2 * pixel(g, size, align);
        return Math.abs(p - Math.rint(p)) >= 2 * margin;
    }

    static float[] safeGrid(Random rnd, int points, long h, long w, boolean align, double lo, double hi) {
        float[] g = new float[points * 2];
        for (int i = 0; i < g.length; i++) {
            long size = i % 2 == 0 ? w : h;
            do {
                g[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
            } while (!awayFromEdges(g[i], size, align, 0.05));
        }
        return g;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gridSampleGradients(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        long n = 2, c = 3, ih = 5, iw = 6, oh = 3, ow = 4;
        for (Padding padding : Padding.values()) {
            for (boolean align : new boolean[] {false, true}) {
                Random rnd = new Random(42 + padding.ordinal() * 2 + (align ? 1 : 0));
                float[] in = random(rnd, (int) (n * c * ih * iw), -1, 1);
                float[] grid = safeGrid(rnd, (int) (n * oh * ow), ih, iw, align, -1.4, 1.4);
                float[] r = random(rnd, (int) (n * c * oh * ow), -1, 1);
                String what = backend + " " + padding + " align=" + align;
                Function<float[], Double> byInput = x -> loss(ops.gridSample(Tensor.of(x, n, c, ih, iw),
                        Tensor.of(grid, n, oh, ow, 2), Interpolation.BILINEAR, padding, align), r);
                Function<float[], Double> byGrid = g -> loss(ops.gridSample(Tensor.of(in, n, c, ih, iw),
                        Tensor.of(g, n, oh, ow, 2), Interpolation.BILINEAR, padding, align), r);
                GridSampleGrads grads = ops.gridSampleBackward(Tensor.of(r, n, c, oh, ow), Tensor.of(in, n, c, ih, iw),
                        Tensor.of(grid, n, oh, ow, 2), Interpolation.BILINEAR, padding, align);
                check(toDouble(grads.input().toArray()), finiteDifferences(in.clone(), 1e-2, byInput),
                        what + " d/d input");
                check(toDouble(grads.grid().toArray()), finiteDifferences(grid.clone(), 1e-3, byGrid),
                        what + " d/d grid");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void affineGridGradient(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        long[] size = {2, 1, 7, 9};
        for (boolean align : new boolean[] {false, true}) {
            Random rnd = new Random(7 + (align ? 1 : 0));
            float[] theta = random(rnd, 12, -1, 1);
            float[] r = random(rnd, 2 * 7 * 9 * 2, -1, 1);
            Function<float[], Double> lossOf = t -> loss(ops.affineGrid(Tensor.of(t, 2, 2, 3), size, align), r);
            Tensor gt = ops.affineGridBackward(Tensor.of(r, 2, 7, 9, 2), size, align);
            check(toDouble(gt.toArray()), finiteDifferences(theta.clone(), 1e-2, lossOf), backend + " d/d theta");
        }
    }

    /** The whole grid generator + sampler chain, d L / d theta, through both backward passes. */
    @ParameterizedTest
    @MethodSource("backends")
    void transformerChainGradient(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        long n = 2, c = 2, ih = 6, iw = 7, oh = 4, ow = 5;
        long[] size = {n, c, oh, ow};
        Random rnd = new Random(11);
        float[] in = random(rnd, (int) (n * c * ih * iw), -1, 1);
        float[] r = random(rnd, (int) (n * c * oh * ow), -1, 1);
        float[] theta = {0.9f, -0.3f, 0.1f, 0.25f, 0.85f, -0.05f, 1.1f, 0.2f, -0.1f, -0.15f, 0.95f, 0.12f};
        for (Padding padding : Padding.values()) {
            boolean align = false;
            // Steps of 1e-4 in theta move points by < 1e-3 px: every point must stay 0.005 px from a cell edge for
            // this theta (checked, not assumed; a deterministic nudge of the shift otherwise).
            int nudges = 0;
            for (int i = 0; i < 2 * n * oh * ow; i++) {
                float v = ops.affineGrid(Tensor.of(theta, n, 2, 3), size, align).toArray()[i];
                if (!awayFromEdges(v, i % 2 == 0 ? iw : ih, align, 0.005)) {
                    assertTrue(++nudges < 200, "could not place the grid away from pixel edges");
                    theta[(int) (i / (2 * oh * ow)) * 6 + (i % 2 == 0 ? 2 : 5)] += 0.0037f;
                    i = -1;
                }
            }
            Function<float[], Double> lossOf = t -> {
                Tensor g = ops.affineGrid(Tensor.of(t, n, 2, 3), size, align);
                return loss(ops.gridSample(Tensor.of(in, n, c, ih, iw), g, Interpolation.BILINEAR, padding, align), r);
            };
            Tensor g = ops.affineGrid(Tensor.of(theta, n, 2, 3), size, align);
            GridSampleGrads gs = ops.gridSampleBackward(Tensor.of(r, n, c, oh, ow), Tensor.of(in, n, c, ih, iw), g,
                    Interpolation.BILINEAR, padding, align, null, Tensor.zeros(n, oh, ow, 2));
            Tensor gt = ops.affineGridBackward(gs.grid(), size, align);
            check(toDouble(gt.toArray()), finiteDifferences(theta.clone(), 1e-4, lossOf),
                    backend + " " + padding + " d/d theta through the sampler");
        }
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
