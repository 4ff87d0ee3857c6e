package io.github.stn4j;

import static io.github.stn4j.GradientCheckTest.check;
import static io.github.stn4j.GradientCheckTest.dot;
import static io.github.stn4j.GradientCheckTest.fd;
import static io.github.stn4j.GradientCheckTest.random;
import static io.github.stn4j.GradientCheckTest.thetaAwayFromEdges;
import static io.github.stn4j.GradientCheckTest.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused affine transformer ({@link SpatialOps#affineSample}, {@link SpatialOps#affineSampleBackward}): bitwise the
 * unfused pair's output, input gradient and theta gradient on every backend, for 1 and 2 threads, heap and native
 * tensors; PyTorch's values (fixtures fused_*: affine_grid then grid_sample, gradients by autograd); finite
 * differences; its checks; no grid-sized buffer.
 */
class AffineSampleTest {
    private final int before = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(before);
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Backend b : Backend.values())
            for (int threads = 1; threads <= 2; threads++)
                for (long[] s : CrossBackendTest.SHAPES_2D) out.add(Arguments.of(b, threads, s));
        return out.stream();
    }

    private static float[] theta(Random rnd, long n) {
        float[] t = new float[(int) n * 6];
        for (int b = 0; b < n; b++) {
            double a = rnd.nextDouble() * 6.3, s = 0.5 + rnd.nextDouble();
            float[] m = {(float) (s * Math.cos(a)), (float) (-s * Math.sin(a)), (float) (rnd.nextDouble() - 0.5),
                (float) (s * Math.sin(a)), (float) (s * Math.cos(a)), (float) (rnd.nextDouble() - 0.5)};
            System.arraycopy(m, 0, t, b * 6, 6);
        }
        return t;
    }

    @ParameterizedTest(name = "{0} threads={1} {2}")
    @MethodSource("cases")
    void equalsTheUnfusedPairBitForBit(Backend backend, int threads, long[] s) {
        SpatialOps ops = TestBackends.ops(backend);
        Parallel.setThreads(threads);
        long n = s[0], c = s[1], ih = s[2], iw = s[3], oh = s[4], ow = s[5];
        long[] size = {n, c, oh, ow};
        Random rnd = new Random(Arrays.hashCode(s));
        float[] in = random(rnd, (int) (n * c * ih * iw), -1, 1), go = random(rnd, (int) (n * c * oh * ow), -1, 1);
        float[] th = theta(rnd, n);
        for (boolean heap : new boolean[] {false, true}) {
            Tensor input = heap ? Tensor.wrap(java.lang.foreign.MemorySegment.ofArray(in.clone()), n, c, ih, iw)
                    : Tensor.of(in, n, c, ih, iw);
            Tensor theta = heap ? Tensor.wrap(java.lang.foreign.MemorySegment.ofArray(th.clone()), n, 2, 3)
                    : Tensor.of(th, n, 2, 3);
            Tensor gradOut = Tensor.of(go, n, c, oh, ow);
            for (Interpolation mode : Interpolation.values()) {
                for (Padding padding : Padding.values()) {
                    for (boolean ac : new boolean[] {false, true}) {
                        String what = backend + " threads=" + threads + " heap=" + heap + " " + Arrays.toString(s)
                                + " " + mode + " " + padding + " ac=" + ac;
                        try (Tensor grid = ops.affineGrid(theta, size, ac);
                             Tensor ref = ops.gridSample(input, grid, mode, padding, ac);
                             Tensor out = ops.affineSample(input, theta, size, mode, padding, ac);
                             GridSampleGrads g = ops.gridSampleBackward(gradOut, input, grid, mode, padding, ac);
                             Tensor gt = ops.affineGridBackward(g.grid(), size, ac);
                             AffineSampleGrads f = ops.affineSampleBackward(gradOut, input, theta, size, mode,
                                     padding, ac)) {
                            assertBits(ref.toArray(), out.toArray(), what + " output");
                            assertBits(g.input().toArray(), f.input().toArray(), what + " input gradient");
                            assertBits(gt.toArray(), f.theta().toArray(), what + " theta gradient");
                            // one gradient at a time, into given outputs
                            Tensor onlyTheta = Tensor.zeros(n, 2, 3);
                            AffineSampleGrads t = ops.affineSampleBackward(gradOut, input, theta, size, mode, padding,
                                    ac, null, onlyTheta);
                            assertNull(t.input());
                            assertBits(gt.toArray(), onlyTheta.toArray(), what + " theta gradient alone");
                            Tensor onlyInput = Tensor.zeros(n, c, ih, iw);
                            ops.affineSampleBackward(gradOut, input, theta, size, mode, padding, ac, onlyInput, null);
                            assertBits(g.input().toArray(), onlyInput.toArray(), what + " input gradient alone");
                        }
                    }
                }
            }
        }
    }

    static void assertBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(got[i])) {
                throw new AssertionError(what + ": element " + i + " is " + got[i] + ", the unfused pair gives "
                        + want[i]);
            }
        }
    }

    static Stream<Arguments> fixtures() {
        List<Arguments> out = new ArrayList<>();
        for (Backend b : Backend.values())
            for (String name : Fixture.NAMES)
                if (name.startsWith("fused_")) out.add(Arguments.of(b, name));
        return out.stream();
    }

    /** PyTorch's affine_grid + grid_sample and their autograd gradients (src/test/python/make_fixtures.py). */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("fixtures")
    void matchesPyTorch(Backend backend, String name) {
        SpatialOps ops = TestBackends.ops(backend);
        Fixture f = Fixture.load(name);
        Interpolation mode = Interpolation.valueOf(f.params().get("mode").toUpperCase());
        Padding padding = Padding.valueOf(f.params().get("padding").toUpperCase());
        boolean ac = Boolean.parseBoolean(f.params().get("align_corners"));
        long[] is = f.shapes().get("input"), os = f.shapes().get("output");
        Tensor input = Tensor.of(f.values().get("input"), is), theta = Tensor.of(f.values().get("theta"), is[0], 2, 3);
        long[] size = {os[0], os[1], os[2], os[3]};
        Tensor out = ops.affineSample(input, theta, size, mode, padding, ac);
        Approx.assertClose(out.toArray(), f.values().get("output"), 1e-5, name + " output on " + backend);
        AffineSampleGrads g = ops.affineSampleBackward(Tensor.of(f.values().get("grad_output"), os), input, theta,
                size, mode, padding, ac);
        Approx.assertClose(g.input().toArray(), f.values().get("grad_input"), 1e-4, name + " grad input");
        Approx.assertClose(g.theta().toArray(), f.values().get("grad_theta"), 1e-4, name + " grad theta");
    }

    /** d L / d theta and d L / d input of the fused pair against finite differences of the double reference. */
    @ParameterizedTest
    @MethodSource("io.github.stn4j.GradientCheckTest#backends")
    void gradientsMatchFiniteDifferences(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        long n = 2, c = 2, ih = 6, iw = 7, oh = 4, ow = 5;
        long[] size = {n, c, oh, ow};
        Random rnd = new Random(12);
        float[] in = random(rnd, (int) (n * c * ih * iw), -1, 1);
        float[] r = random(rnd, (int) (n * c * oh * ow), -1, 1);
        for (Interpolation mode : new Interpolation[] {Interpolation.BILINEAR, Interpolation.BICUBIC}) {
            for (Padding padding : Padding.values()) {
                float[] theta = thetaAwayFromEdges(ops, size, ih, iw, false);
                AffineSampleGrads g = ops.affineSampleBackward(Tensor.of(r, n, c, oh, ow), Tensor.of(in, n, c, ih, iw),
                        Tensor.of(theta, n, 2, 3), size, mode, padding, false);
                double[] thetaD = toDouble(theta);
                check(toDouble(g.theta().toArray()), fd(theta, 1e-7, t -> dot(DoubleReference.sample2d(toDouble(in),
                        DoubleReference.affine(t, size, false), n, c, ih, iw, oh, ow, mode,
                        padding, false), r)), backend + " " + mode + " " + padding + " d/d theta");
                check(toDouble(g.input().toArray()), fd(in, 1e-3, x -> dot(DoubleReference.sample2d(x,
                        DoubleReference.affine(thetaD, size, false), n, c, ih, iw, oh, ow, mode, padding, false), r)),
                        backend + " " + mode + " " + padding + " d/d input");
            }
        }
    }

    @Test
    void checksItsArguments() {
        SpatialOps ops = SpatialOps.best();
        Tensor in = Tensor.zeros(2, 3, 5, 6), theta = Tensor.zeros(2, 2, 3);
        long[] size = {2, 3, 4, 4};
        Interpolation m = Interpolation.BILINEAR;
        Padding p = Padding.ZEROS;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ops.affineSample(in, Tensor.zeros(2, 3, 3), size, m, p, false));
        assertTrue(e.getMessage().contains("theta"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ops.affineSample(in, theta, new long[] {3, 3, 4, 4}, m, p, false));
        assertTrue(e.getMessage().contains("input"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ops.affineSample(Tensor.zeros(2, 3, 4, 5, 6), Tensor.zeros(2, 3, 4), new long[] {2, 3, 4, 4, 4},
                        m, p, false));
        assertTrue(e.getMessage().contains("2-D"), e.getMessage());
        Tensor out = Tensor.zeros(2, 3, 4, 5);
        e = assertThrows(IllegalArgumentException.class, () -> ops.affineSample(in, theta, size, m, p, false, out));
        assertTrue(e.getMessage().contains("output"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ops.affineSampleBackward(Tensor.zeros(2, 3, 4, 4), in,
                theta, size, m, p, false, null, null));
        assertTrue(e.getMessage().contains("both null"), e.getMessage());
        assertArrayEquals(new float[2 * 3 * 4 * 5], out.toArray(), "a refused call leaves its output alone");
    }

    /**
     * The allocating pair allocates its results and a row-sum buffer [N, Ho, 4], nothing grid-sized: with the cache
     * emptied first, what the calls leave cached is less than one grid.
     */
    @Test
    void allocatesNoGridSizedBuffer() {
        SpatialOps ops = SpatialOps.best();
        long n = 2, oh = 400, ow = 400;
        long[] size = {n, 1, oh, ow};
        long gridBytes = n * oh * ow * 2 * 4;
        try (Tensor in = Tensor.zeros(n, 1, 8, 8); Tensor theta = Tensor.of(theta(new Random(1), n), n, 2, 3)) {
            Stn4j.trimNativeMemory();
            long before = Stn4j.nativeMemory().inUseBytes() + Stn4j.nativeMemory().cachedBytes();
            try (Tensor out = ops.affineSample(in, theta, size, Interpolation.BILINEAR, Padding.ZEROS, false);
                 AffineSampleGrads g = ops.affineSampleBackward(out, in, theta, size, Interpolation.BILINEAR,
                         Padding.ZEROS, false)) {
                assertEquals(n * oh * ow, out.numel());
                assertEquals(n * 6, g.theta().numel());
            }
            long after = Stn4j.nativeMemory().inUseBytes() + Stn4j.nativeMemory().cachedBytes();
            // the output (1.28 MB, its size class) and the small gradients; a grid would add 2.56 MB
            assertTrue(after - before < gridBytes, "the fused pair left " + (after - before)
                    + " bytes of native memory behind; one grid is " + gridBytes);
        }
    }
}
