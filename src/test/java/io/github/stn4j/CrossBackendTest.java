package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every backend against the specification (JAVA_SCALAR) over a matrix of shapes whose sizes (1, 2, 7, 13, 33, 207, and
 * rows of 1001 for the native forward's column strips) are not multiples of any vector width, every mode, padding and
 * align_corners, 2-D and 3-D, forward and both gradients,
 * on ordinary grids and on grids mixed with hostile values (NaN, ±Inf, ±1e30, denormals, exact ±1 and half-pixel
 * edges). Tolerances are relative to max(1, max |reference|): 1e-5 forward (5e-5 bicubic), and for gradients, which
 * are sums over many output points or channels, 1e-5 times the square root of the number of terms (at least 1e-4).
 * Every backend promises the spec's exact bits ({@link SameBitsTest}); these tolerances say how far apart a backend
 * that broke that promise would be.
 */
class CrossBackendTest {
    // {n, c, inH, inW, outH, outW}
    static final long[][] SHAPES_2D = {{1, 1, 1, 1, 1, 1}, {2, 3, 7, 13, 2, 33}, {1, 2, 13, 7, 7, 207},
        {2, 1, 33, 2, 13, 1}, {1, 17, 2, 207, 1, 13}, {3, 2, 1, 33, 33, 7},
        {1, 2, 5, 900, 3, 1001}}; // the last: rows long enough for the forward's column strips
    // {n, c, inD, inH, inW, outD, outH, outW}
    static final long[][] SHAPES_3D = {{1, 2, 7, 1, 13, 2, 7, 3}, {2, 1, 2, 7, 3, 1, 13, 2}, {1, 1, 1, 1, 1, 1, 1, 1},
        {1, 3, 2, 2, 33, 2, 1, 33}};

    static final float[] HOSTILE = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e30f, -1e30f,
        Float.MIN_VALUE, -Float.MIN_NORMAL, 1f, -1f, 0f, 0.5f, -0.5f, 1f - 1f / 13, -1f + 1f / 7, 3e9f};

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Backend b : Backend.values()) {
            if (b == Backend.JAVA_SCALAR) continue;
            for (long[] s : SHAPES_2D) out.add(Arguments.of(b, s, false));
            for (long[] s : SHAPES_3D) out.add(Arguments.of(b, s, false));
            for (long[] s : SHAPES_2D) out.add(Arguments.of(b, s, true));
            for (long[] s : SHAPES_3D) out.add(Arguments.of(b, s, true));
        }
        return out.stream();
    }

    static float[] random(Random rnd, long n, double lo, double hi) {
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) a[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        return a;
    }

    @ParameterizedTest(name = "{0} {1} hostile={2}")
    @MethodSource("cases")
    void matchesTheSpecification(Backend backend, long[] s, boolean hostile) {
        SpatialOps ops = TestBackends.ops(backend), spec = SpatialOps.of(Backend.JAVA_SCALAR);
        boolean is3d = s.length == 8;
        long n = s[0], c = s[1];
        long[] inShape = is3d ? new long[] {n, c, s[2], s[3], s[4]} : new long[] {n, c, s[2], s[3]};
        long[] gridShape = is3d ? new long[] {n, s[5], s[6], s[7], 3} : new long[] {n, s[4], s[5], 2};
        long[] outShape = is3d ? new long[] {n, c, s[5], s[6], s[7]} : new long[] {n, c, s[4], s[5]};
        long inCount = count(inShape), gridCount = count(gridShape), outCount = count(outShape);
        Random rnd = new Random(java.util.Arrays.hashCode(s) * 31L + (hostile ? 1 : 0));
        float[] in = random(rnd, inCount, -1, 1), gout = random(rnd, outCount, -1, 1);
        float[] grid = random(rnd, gridCount, -1.3, 1.3);
        if (hostile) for (int i = 0; i < grid.length; i += 3) grid[i] = HOSTILE[(i / 3) % HOSTILE.length];
        // contributions per grad-input element (output points per input point) and per grad-grid element (channels)
        double inTerms = Math.max(1.0, (double) outCount / Math.max(1, inCount / c) * 16);
        double gradInTol = Math.max(1e-4, 1e-5 * Math.sqrt(inTerms)), gradGridTol = Math.max(1e-4, 1e-5 * Math.sqrt(16 * c));
        Interpolation[] modes = is3d ? new Interpolation[] {Interpolation.BILINEAR, Interpolation.NEAREST}
                : Interpolation.values();
        Tensor tIn = Tensor.of(in, inShape), tGrid = Tensor.of(grid, gridShape), tGout = Tensor.of(gout, outShape);
        for (Interpolation mode : modes) {
            for (Padding padding : Padding.values()) {
                for (boolean ac : new boolean[] {false, true}) {
                    String what = backend + " " + mode + " " + padding + " ac=" + ac + " " + java.util.Arrays.toString(s)
                            + (hostile ? " hostile" : "");
                    float[] ref = spec.gridSample(tIn, tGrid, mode, padding, ac).toArray();
                    float[] got = ops.gridSample(tIn, tGrid, mode, padding, ac).toArray();
                    for (float v : ref) assertTrue(Float.isFinite(v), what + ": non-finite output");
                    Approx.assertClose(got, ref, mode == Interpolation.BICUBIC ? 5e-5 : 1e-5, what + " forward");
                    GridSampleGrads r = spec.gridSampleBackward(tGout, tIn, tGrid, mode, padding, ac);
                    GridSampleGrads g = ops.gridSampleBackward(tGout, tIn, tGrid, mode, padding, ac);
                    for (float v : r.grid().toArray()) assertTrue(Float.isFinite(v), what + ": non-finite grad grid");
                    Approx.assertClose(g.input().toArray(), r.input().toArray(), gradInTol, what + " grad input");
                    Approx.assertClose(g.grid().toArray(), r.grid().toArray(), gradGridTol, what + " grad grid");
                    // deterministic: a second call gives the same bits
                    assertArrayEquals(g.input().toArray(), ops.gridSampleBackward(tGout, tIn, tGrid, mode, padding, ac)
                            .input().toArray(), what + " repeatability");
                }
            }
        }
        // affine grid on the same backend, sizes from this shape
        long[] size = is3d ? new long[] {n, c, s[5], s[6], s[7]} : new long[] {n, c, s[4], s[5]};
        float[] theta = random(rnd, n * (is3d ? 12 : 6), -1.5, 1.5);
        long[] thetaShape = is3d ? new long[] {n, 3, 4} : new long[] {n, 2, 3};
        for (boolean ac : new boolean[] {false, true}) {
            Tensor t = Tensor.of(theta, thetaShape);
            Approx.assertClose(ops.affineGrid(t, size, ac).toArray(), spec.affineGrid(t, size, ac).toArray(), 1e-6,
                    backend + " affine grid");
            Tensor gg = Tensor.of(random(rnd, gridCount, -1, 1), gridShape);
            Approx.assertClose(ops.affineGridBackward(gg, size, ac).toArray(),
                    spec.affineGridBackward(gg, size, ac).toArray(), 1e-5, backend + " affine grid backward");
        }
    }

    static Stream<Arguments> vectorCases() {
        List<Arguments> out = new ArrayList<>();
        for (long[] s : SHAPES_2D)
            for (boolean hostile : new boolean[] {false, true})
                for (boolean heap : new boolean[] {false, true}) out.add(Arguments.of(s, hostile, heap));
        return out.stream();
    }

    /**
     * VECTOR_API promises more than closeness: the spec's operations in the spec's order, so the same bits (its row
     * loads only read the values; the arithmetic stays scalar). Off-heap inputs take the row-load path, heap inputs the
     * scalar one.
     */
    @ParameterizedTest(name = "{0} hostile={1} heap={2}")
    @MethodSource("vectorCases")
    void vectorApiIsBitwiseTheSpecification(long[] s, boolean hostile, boolean heap) {
        SpatialOps ops = TestBackends.ops(Backend.VECTOR_API), spec = SpatialOps.of(Backend.JAVA_SCALAR);
        long n = s[0], c = s[1];
        long[] inShape = {n, c, s[2], s[3]}, gridShape = {n, s[4], s[5], 2}, outShape = {n, c, s[4], s[5]};
        Random rnd = new Random(java.util.Arrays.hashCode(s) * 17L + (hostile ? 1 : 0));
        float[] in = random(rnd, count(inShape), -1, 1), gout = random(rnd, count(outShape), -1, 1);
        float[] grid = random(rnd, count(gridShape), -1.3, 1.3);
        if (hostile) for (int i = 0; i < grid.length; i += 3) grid[i] = HOSTILE[(i / 3) % HOSTILE.length];
        Tensor tIn = heap ? Tensor.wrap(java.lang.foreign.MemorySegment.ofArray(in), inShape) : Tensor.of(in, inShape);
        Tensor tGrid = Tensor.of(grid, gridShape), tGout = Tensor.of(gout, outShape);
        for (Interpolation mode : new Interpolation[] {Interpolation.BILINEAR, Interpolation.NEAREST}) {
            for (Padding padding : Padding.values()) {
                for (boolean ac : new boolean[] {false, true}) {
                    String what = mode + " " + padding + " ac=" + ac + " " + java.util.Arrays.toString(s);
                    float[] expected = spec.gridSample(tIn, tGrid, mode, padding, ac).toArray();
                    assertArrayEquals(expected, ops.gridSample(tIn, tGrid, mode, padding, ac).toArray(), what + " forward");
                    if (heap) { // a float[] output as well (the gather path stores into the array)
                        float[] out = new float[expected.length];
                        Tensor tOut = Tensor.wrap(java.lang.foreign.MemorySegment.ofArray(out), outShape);
                        ops.gridSample(tIn, tGrid, mode, padding, ac, tOut);
                        assertArrayEquals(expected, out, what + " forward into a float[]");
                    }
                    GridSampleGrads r = spec.gridSampleBackward(tGout, tIn, tGrid, mode, padding, ac);
                    GridSampleGrads g = ops.gridSampleBackward(tGout, tIn, tGrid, mode, padding, ac);
                    assertArrayEquals(r.input().toArray(), g.input().toArray(), what + " grad input");
                    assertArrayEquals(r.grid().toArray(), g.grid().toArray(), what + " grad grid");
                }
            }
        }
    }

    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
