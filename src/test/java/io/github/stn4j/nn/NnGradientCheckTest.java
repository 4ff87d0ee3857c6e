package io.github.stn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.stn4j.Backend;
import io.github.stn4j.Interpolation;
import io.github.stn4j.Padding;
import io.github.stn4j.SpatialOps;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Finite-difference checks of every autograd operation and of a whole SpatialTransformer with each transform (with
 * respect to its input and to every localisation parameter). The loss Σ out·r is evaluated in double from the float outputs; each gradient
 * element must agree within 0.2% of max(|fd|, 1% of the largest |fd|), which a 1% error fails
 * ({@link #checkerCatchesOnePercentErrors}).
 */
class NnGradientCheckTest {
    static final double REL = 2e-3;

    static double worst(float[] analytic, double[] fd) {
        double max = 0;
        for (double v : fd) max = Math.max(max, Math.abs(v));
        assertTrue(max > 1e-4, "degenerate case: every finite difference is ~0");
        double w = 0;
        for (int i = 0; i < fd.length; i++) w = Math.max(w, Math.abs(analytic[i] - fd[i]) / Math.max(Math.abs(fd[i]),
                0.01 * max));
        return w;
    }

    /** Checks d(Σ f()·r)/d(v) for every listed variable v; f rebuilds the tape from the variables' current values. */
    static void check(String what, Supplier<Var> f, double h, Var... vars) {
        Var out = f.get();
        Random rnd = new Random(99);
        float[] r = new float[out.data.length];
        for (int i = 0; i < r.length; i++) r[i] = (float) (rnd.nextDouble() * 2 - 1);
        for (Var v : vars) v.zeroGrad();
        F.weightedSum(out, r).backward();
        for (Var v : vars) {
            float[] analytic = v.grad().clone();
            double[] fd = new double[v.data.length];
            for (int i = 0; i < fd.length; i++) {
                float keep = v.data[i];
                v.data[i] = (float) (keep + h);
                float up = v.data[i];
                double lu = loss(f.get(), r);
                v.data[i] = (float) (keep - h);
                float down = v.data[i];
                double ld = loss(f.get(), r);
                v.data[i] = keep;
                fd[i] = (lu - ld) / ((double) up - down);
            }
            double w = worst(analytic, fd);
            assertTrue(w <= REL, what + ": gradient of " + v + " differs from finite differences by " + w);
        }
    }

    static double loss(Var out, float[] r) {
        double s = 0;
        for (int i = 0; i < r.length; i++) s += (double) out.data[i] * r[i];
        return s;
    }

    static Var param(Random rnd, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return Var.parameter(a, shape);
    }

    @Test
    void linear() {
        Random rnd = new Random(1);
        Var x = param(rnd, 3, 5), w = param(rnd, 4, 5), b = param(rnd, 4);
        check("linear", () -> F.linear(x, w, b), 1e-2, x, w, b);
    }

    @Test
    void conv2d() {
        Random rnd = new Random(2);
        for (int pad : new int[] {0, 1, 2}) {
            Var x = param(rnd, 2, 3, 6, 5), w = param(rnd, 4, 3, 3, 3), b = param(rnd, 4);
            check("conv2d pad " + pad, () -> F.conv2d(x, w, b, pad), 1e-2, x, w, b);
        }
    }

    @Test
    void maxPoolReluReshape() {
        Random rnd = new Random(3);
        Var x = param(rnd, 2, 2, 6, 7);
        check("maxPool2d", () -> F.maxPool2d(x, 2), 1e-3, x);
        check("relu", () -> F.relu(x), 1e-3, x);
        check("reshape + flatten", () -> F.flatten(F.reshape(x, 4, 6, 7)), 1e-2, x);
    }

    @Test
    void crossEntropyAndMean() {
        Random rnd = new Random(4);
        Var logits = param(rnd, 5, 7);
        int[] labels = {0, 6, 3, 3, 1};
        check("crossEntropy", () -> F.crossEntropy(logits, labels), 1e-2, logits);
        check("mean", () -> F.mean(logits), 1e-2, logits);
    }

    @Test
    void affineGridAndGridSample() {
        Random rnd = new Random(5);
        Var theta = Var.parameter(new float[] {0.9f, -0.3f, 0.11f, 0.25f, 0.85f, -0.07f, 1.1f, 0.2f, -0.13f, -0.15f,
            0.95f, 0.12f}, 2, 2, 3);
        Var x = param(rnd, 2, 3, 7, 6);
        check("affineGrid", () -> F.affineGrid(theta, new long[] {2, 3, 4, 5}, false), 1e-2, theta);
        for (Interpolation mode : new Interpolation[] {Interpolation.BILINEAR, Interpolation.BICUBIC}) {
            Supplier<Var> f = () -> F.gridSample(x, F.affineGrid(theta, new long[] {2, 3, 4, 5}, false), mode,
                    Padding.BORDER, false);
            check("gridSample " + mode + " d/dx", f, 1e-2, x); // linear in x: a large step is exact
            if (mode == Interpolation.BILINEAR) check("gridSample " + mode + " d/dtheta", f, 1e-3, theta);
            // bicubic d/dtheta: float finite differences are too coarse; spatialTransformer() checks it in double
        }
    }

    @Test
    void perspectiveTpsAndAppendOne() {
        Random rnd = new Random(13);
        SpatialOps ops = SpatialOps.best();
        Var h8 = Var.parameter(new float[] {0.9f, -0.2f, 0.1f, 0.15f, 1.1f, -0.05f, 0.2f, -0.1f, 1.05f, 0.25f,
            -0.12f, -0.1f, 0.95f, 0.08f, -0.15f, 0.12f}, 2, 8);
        check("appendOne", () -> F.appendOne(h8), 1e-2, h8);
        check("perspectiveGrid", () -> F.perspectiveGrid(ops, F.reshape(F.appendOne(h8), 2, 3, 3),
                new long[] {2, 3, 4, 5}, false), 1e-3, h8);
        float[] targets = {-1, -1, 1, -1, -1, 1, 1, 1, 0.1f, -0.05f};
        float[] s = new float[2 * 5 * 2];
        for (int i = 0; i < s.length; i++) s[i] = targets[i % 10] + (float) (rnd.nextGaussian() * 0.1);
        Var sources = Var.parameter(s, 2, 5, 2);
        check("tpsGrid", () -> F.tpsGrid(ops, sources, targets, new long[] {2, 3, 4, 5}, true), 1e-2, sources);
        // through the sampler, float finite differences are too coarse: spatialTransformerWithEachTransform() checks
        // the chain in double
    }

    /**
     * The layer with each transform, with respect to every localisation and regression parameter and its input, in
     * double ({@link DoubleNet}): projective and 3 × 3 thin-plate spline, away from the identity.
     */
    @Test
    void spatialTransformerWithEachTransform() {
        for (SpatialTransformer.Transform transform : List.of(SpatialTransformer.Transform.affine(),
                SpatialTransformer.Transform.projective(), SpatialTransformer.Transform.tps(3))) {
            Random rnd = new Random(16);
            Sequential loc = new Sequential(new Conv2d(2, 3, 3, 1, rnd), new ReLU(), new MaxPool2d(2), new Flatten(),
                    new Linear(3 * 4 * 4, 8, rnd), new ReLU());
            SpatialTransformer st = new SpatialTransformer(loc, 8, 5, 6, transform, Interpolation.BILINEAR,
                    Padding.ZEROS, false, SpatialOps.best());
            List<Var> params = st.parameters();
            Var regW = params.get(params.size() - 2), regB = params.get(params.size() - 1);
            for (int i = 0; i < regW.data.length; i++) regW.data[i] = (float) (rnd.nextGaussian() * 0.1);
            float[] bias = transform.identity();
            // away from the identity, whose sample points sit exactly on pixel centres
            for (int i = 0; i < bias.length; i++) bias[i] += (float) (rnd.nextGaussian() * 0.08);
            System.arraycopy(bias, 0, regB.data, 0, bias.length);
            checkDouble("SpatialTransformer " + transform, st, param(rnd, 2, 2, 9, 8));
        }
    }

    /** A layer samples with the SpatialOps it was given (no global switch), SpatialOps.best() by default. */
    @Test
    void theTransformerRunsOnTheSpatialOpsItIsGiven() {
        SpatialOps spec = SpatialOps.of(Backend.JAVA_SCALAR);
        SpatialTransformer st = new SpatialTransformer(new Flatten(), 3 * 7 * 6, 4, 5, Interpolation.BILINEAR,
                Padding.BORDER, false, spec);
        assertSame(spec, st.spatialOps());
        Var x = param(new Random(6), 2, 3, 7, 6);
        float[] out = st.forward(x).data();
        Var theta = Var.constant(st.lastTheta(), 2, 2, 3);
        float[] expected = F.gridSample(spec, x, F.affineGrid(spec, theta, new long[] {2, 3, 4, 5}, false),
                Interpolation.BILINEAR, Padding.BORDER, false).data();
        assertArrayEquals(expected, out);
        assertSame(SpatialOps.best(), new SpatialTransformer(new Flatten(), 3 * 7 * 6, 4, 5).spatialOps());
    }

    /**
     * The whole layer, with respect to every localisation and regression parameter and to its input: the analytic
     * gradients come from the float autograd tape, the finite differences from a double-precision evaluation of the
     * same network ({@link DoubleNet}), where steps of 1e-6 stay clear of ReLU, max-pool and pixel-edge kinks.
     */
    @Test
    void spatialTransformer() {
        for (Interpolation mode : new Interpolation[] {Interpolation.BILINEAR, Interpolation.BICUBIC}) {
            Random rnd = new Random(6);
            Sequential loc = new Sequential(new Conv2d(2, 3, 3, 1, rnd), new ReLU(), new MaxPool2d(2), new Flatten(),
                    new Linear(3 * 4 * 4, 8, rnd), new ReLU());
            SpatialTransformer st = new SpatialTransformer(loc, 8, 5, 6, mode, Padding.ZEROS, false);
            List<Var> params = st.parameters();
            Var regW = params.get(params.size() - 2), regB = params.get(params.size() - 1);
            // away from the identity, whose sample points sit exactly on pixel centres
            for (int i = 0; i < regW.data.length; i++) regW.data[i] = (float) (rnd.nextGaussian() * 0.2);
            System.arraycopy(new float[] {0.8f, -0.25f, 0.07f, 0.3f, 0.9f, -0.11f}, 0, regB.data, 0, 6);
            Var x = param(rnd, 2, 2, 9, 8);
            checkDouble("SpatialTransformer " + mode, st, x);
        }
    }

    /** A small CNN with the transformer between two of its layers (on feature maps, not the image). */
    @Test
    void spatialTransformerInsideACnn() {
        Random rnd = new Random(12);
        SpatialTransformer st = new SpatialTransformer(new Sequential(new Flatten(), new Linear(4 * 6 * 6, 5, rnd)), 5,
                4, 4);
        Sequential net = new Sequential(new Conv2d(1, 4, 3, 1, rnd), new ReLU(), st, new Conv2d(4, 2, 3, 0, rnd),
                new Flatten(), new Linear(2 * 2 * 2, 3, rnd));
        List<Var> params = st.parameters();
        Var regW = params.get(params.size() - 2), regB = params.get(params.size() - 1);
        for (int i = 0; i < regW.data.length; i++) regW.data[i] = (float) (rnd.nextGaussian() * 0.2);
        System.arraycopy(new float[] {0.85f, 0.15f, 0.05f, -0.1f, 0.8f, 0.12f}, 0, regB.data, 0, 6);
        checkDouble("CNN with a SpatialTransformer inside", net, param(rnd, 2, 1, 6, 6));
    }

    static void checkDouble(String what, Layer net, Var x) {
        Var out = net.forward(x);
        Random rnd = new Random(99);
        float[] r = new float[out.data.length];
        for (int i = 0; i < r.length; i++) r[i] = (float) (rnd.nextDouble() * 2 - 1);
        List<Var> params = net.parameters();
        for (Var p : params) p.zeroGrad();
        x.zeroGrad();
        F.weightedSum(out, r).backward();
        java.util.Map<Var, double[]> values = new java.util.IdentityHashMap<>();
        for (Var p : params) values.put(p, toDouble(p.data));
        DoubleNet dn = new DoubleNet(values);
        double[] xd = toDouble(x.data);
        java.util.function.Supplier<Double> loss = () -> {
            double[] y = dn.eval(net, new DoubleNet.Value(xd, x.shape())).data();
            double s = 0;
            for (int i = 0; i < y.length; i++) s += y[i] * r[i];
            return s;
        };
        double h = 1e-6;
        java.util.List<double[]> targets = new java.util.ArrayList<>(values.values());
        java.util.List<Var> owners = new java.util.ArrayList<>(values.keySet());
        targets.add(xd);
        owners.add(x);
        for (int t = 0; t < targets.size(); t++) {
            double[] v = targets.get(t);
            double[] fd = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                double keep = v[i];
                v[i] = keep + h;
                double up = loss.get();
                v[i] = keep - h;
                double down = loss.get();
                v[i] = keep;
                fd[i] = (up - down) / (2 * h);
            }
            double w = worst(owners.get(t).grad(), fd);
            assertTrue(w <= REL, what + ": gradient of " + owners.get(t) + " differs from finite differences by " + w);
        }
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    @Test
    void checkerCatchesOnePercentErrors() {
        double[] fd = {0.5, -2.0, 1e-4, 3.0, -0.02};
        for (int i = 0; i < fd.length; i++) {
            float[] wrong = new float[fd.length];
            for (int k = 0; k < fd.length; k++) wrong[k] = (float) fd[k];
            wrong[i] += (float) (0.01 * Math.max(Math.abs(fd[i]), 0.03));
            assertTrue(worst(wrong, fd) > REL, "a 1% error in element " + i + " went unnoticed");
        }
    }
}
