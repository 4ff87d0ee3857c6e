package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Channels-last ({@link Layout#NHWC}) is channels-first transposed, bit for bit: on every backend, every mode,
 * padding and align_corners, awkward shapes (C = 1, 3, 4, 17, 40; sizes that are no vector width), ordinary and hostile
 * grids (as in {@link CrossBackendTest}), heap and off-heap tensors, one thread and several (calls large enough to
 * be split over samples, over rows, and into the backward's row chunks), the allocating and the out-param forms.
 * The reference is the NCHW call on the same backend (which {@link SameBitsTest} holds to JAVA_SCALAR's bits).
 */
class LayoutTest {
    // {n, c, inH, inW, outH, outW}
    static final long[][] SHAPES = {{1, 1, 1, 1, 1, 1}, {2, 3, 7, 13, 2, 33}, {1, 4, 13, 7, 7, 20},
        {2, 17, 2, 9, 5, 3}, {3, 1, 33, 2, 13, 1}, {1, 3, 5, 207, 3, 31}, {1, 40, 6, 5, 3, 7},
        {1, 4, 40, 50, 64, 130}, // split over rows, the backward into row chunks with partial buffers
        {9, 3, 20, 20, 40, 31}}; // split over whole samples

    private final int before = Parallel.threads();

    @AfterEach
    void restore() {
        Parallel.setThreads(before);
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Backend b : Backend.values())
            for (long[] s : SHAPES)
                for (boolean hostile : new boolean[] {false, true})
                    if (!hostile || s[0] * s[1] * s[4] * s[5] < 1 << 15) out.add(Arguments.of(b, s, hostile)); // time
        return out.stream();
    }

    /** [N, C, H, W] values as [N, H, W, C]. */
    static float[] toNhwc(float[] v, long n, long c, long h, long w) {
        float[] out = new float[v.length];
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < h * w; p++) {
                    out[(int) ((b * h * w + p) * c + ch)] = v[(int) ((b * c + ch) * h * w + p)];
                }
        return out;
    }

    static Tensor tensor(float[] v, boolean heap, long... shape) {
        return heap ? Tensor.wrap(MemorySegment.ofArray(v.clone()), shape) : Tensor.of(v, shape);
    }

    @ParameterizedTest(name = "{0} {1} hostile={2}")
    @MethodSource("cases")
    void nhwcIsTransposedNchwBitwise(Backend backend, long[] s, boolean hostile) {
        SpatialOps ops = TestBackends.ops(backend);
        long n = s[0], c = s[1], ih = s[2], iw = s[3], oh = s[4], ow = s[5];
        Random rnd = new Random(Arrays.hashCode(s) * 31L + (hostile ? 1 : 0));
        float[] in = CrossBackendTest.random(rnd, n * c * ih * iw, -1, 1);
        float[] gout = CrossBackendTest.random(rnd, n * c * oh * ow, -1, 1);
        float[] grid = CrossBackendTest.random(rnd, n * oh * ow * 2, -1.3, 1.3);
        if (hostile) {
            for (int i = 0; i < grid.length; i += 3) {
                grid[i] = CrossBackendTest.HOSTILE[(i / 3) % CrossBackendTest.HOSTILE.length];
            }
        }
        float[] inT = toNhwc(in, n, c, ih, iw), goutT = toNhwc(gout, n, c, oh, ow);
        Tensor tIn = Tensor.of(in, n, c, ih, iw), tGout = Tensor.of(gout, n, c, oh, ow);
        Tensor tGrid = Tensor.of(grid, n, oh, ow, 2);
        boolean big = n * c * oh * ow >= 1 << 15;
        for (Interpolation mode : Interpolation.values()) {
            for (Padding padding : Padding.values()) {
                for (boolean ac : new boolean[] {false, true}) {
                    String what = backend + " " + mode + " " + padding + " ac=" + ac + " " + Arrays.toString(s)
                            + (hostile ? " hostile" : "");
                    float[] expected = toNhwc(ops.gridSample(tIn, tGrid, mode, padding, ac).toArray(), n, c, oh, ow);
                    GridSampleGrads r = ops.gridSampleBackward(tGout, tIn, tGrid, mode, padding, ac);
                    float[] expectedGin = toNhwc(r.input().toArray(), n, c, ih, iw), expectedGg = r.grid().toArray();
                    for (int threads : big ? new int[] {1, 2, 3} : new int[] {before}) {
                        Parallel.setThreads(threads);
                        for (boolean heap : new boolean[] {false, true}) {
                            String at = what + " threads=" + threads + " heap=" + heap;
                            Tensor xIn = tensor(inT, heap, n, ih, iw, c), xGout = tensor(goutT, heap, n, oh, ow, c);
                            Tensor xGrid = tensor(grid, heap, n, oh, ow, 2);
                            Tensor out = ops.gridSample(xIn, xGrid, mode, padding, ac, Layout.NHWC);
                            assertArrayEquals(new long[] {n, oh, ow, c}, out.shape(), at);
                            assertArrayEquals(expected, out.toArray(), at + " forward");
                            GridSampleGrads g = ops.gridSampleBackward(xGout, xIn, xGrid, mode, padding, ac,
                                    Layout.NHWC);
                            assertArrayEquals(expectedGin, g.input().toArray(), at + " grad input");
                            assertArrayEquals(expectedGg, g.grid().toArray(), at + " grad grid");
                        }
                    }
                    Parallel.setThreads(before);
                }
            }
        }
    }

    /** The out-param forms write the given tensors (heap or native), the backward's gradients one at a time too. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.github.stn4j.TestBackends#all")
    void outParamForms(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        long n = 2, c = 3, ih = 5, iw = 7, oh = 4, ow = 6;
        Random rnd = new Random(7);
        float[] in = CrossBackendTest.random(rnd, n * ih * iw * c, -1, 1);
        float[] gout = CrossBackendTest.random(rnd, n * oh * ow * c, -1, 1);
        float[] grid = CrossBackendTest.random(rnd, n * oh * ow * 2, -1.2, 1.2);
        Tensor tIn = Tensor.of(in, n, ih, iw, c), tGrid = Tensor.of(grid, n, oh, ow, 2);
        Tensor tGout = Tensor.of(gout, n, oh, ow, c);
        for (Interpolation mode : Interpolation.values()) {
            float[] expected = ops.gridSample(tIn, tGrid, mode, Padding.BORDER, true, Layout.NHWC).toArray();
            GridSampleGrads e = ops.gridSampleBackward(tGout, tIn, tGrid, mode, Padding.BORDER, true, Layout.NHWC);
            for (boolean heap : new boolean[] {false, true}) {
                Tensor out = tensor(new float[expected.length], heap, n, oh, ow, c);
                assertSame(out, ops.gridSample(tIn, tGrid, mode, Padding.BORDER, true, Layout.NHWC, out));
                assertArrayEquals(expected, out.toArray(), mode + " heap=" + heap);
                // stale values in the outputs: the input gradient is zeroed by the call, the grid's overwritten
                float[] stale = new float[(int) (n * ih * iw * c)];
                Arrays.fill(stale, 42f);
                Tensor gin = tensor(stale, heap, n, ih, iw, c);
                float[] staleGrid = new float[grid.length];
                Arrays.fill(staleGrid, 42f);
                Tensor gg = tensor(staleGrid, heap, n, oh, ow, 2);
                GridSampleGrads both = ops.gridSampleBackward(tGout, tIn, tGrid, mode, Padding.BORDER, true,
                        Layout.NHWC, gin, gg);
                assertSame(gin, both.input());
                assertSame(gg, both.grid());
                assertArrayEquals(e.input().toArray(), gin.toArray(), mode + " grad input, heap=" + heap);
                assertArrayEquals(e.grid().toArray(), gg.toArray(), mode + " grad grid, heap=" + heap);
                Tensor gin2 = tensor(stale, heap, n, ih, iw, c);
                assertNull(ops.gridSampleBackward(tGout, tIn, tGrid, mode, Padding.BORDER, true, Layout.NHWC, gin2,
                        null).grid());
                assertArrayEquals(e.input().toArray(), gin2.toArray(), mode + " grad input alone");
                Tensor gg2 = tensor(staleGrid, heap, n, oh, ow, 2);
                assertNull(ops.gridSampleBackward(tGout, tIn, tGrid, mode, Padding.BORDER, true, Layout.NHWC, null,
                        gg2).input());
                assertArrayEquals(e.grid().toArray(), gg2.toArray(), mode + " grad grid alone");
            }
        }
        // Layout.NCHW is the existing behaviour
        Tensor nchw = Tensor.of(in, n, c, ih, iw);
        assertArrayEquals(ops.gridSample(nchw, tGrid).toArray(),
                ops.gridSample(nchw, tGrid, Interpolation.BILINEAR, Padding.ZEROS, false, Layout.NCHW).toArray());
    }

    private static void fails(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
    }

    @Test
    void validation() {
        SpatialOps ops = SpatialOps.of(Backend.JAVA_SCALAR);
        Interpolation bl = Interpolation.BILINEAR;
        Padding z = Padding.ZEROS;
        Tensor in = Tensor.zeros(2, 5, 7, 3), grid = Tensor.zeros(2, 4, 6, 2);
        fails(() -> ops.gridSample(Tensor.zeros(2, 3, 5, 7, 1), Tensor.zeros(2, 1, 4, 6, 3), bl, z, false,
                Layout.NHWC), "gridSample", "Layout.NHWC", "2-D", "[2, 3, 5, 7, 1]");
        fails(() -> ops.gridSample(in, grid, bl, z, false, (Layout) null), "gridSample", "layout must not be null");
        fails(() -> ops.gridSample(Tensor.zeros(2, 0, 7, 3), grid, bl, z, false, Layout.NHWC), "gridSample",
                "non-empty spatial", "[2, 0, 7, 3]");
        fails(() -> ops.gridSample(in, Tensor.zeros(1, 4, 6, 2), bl, z, false, Layout.NHWC), "gridSample", "grid");
        // an NCHW-shaped output for an NHWC call: named, with the shape expected
        fails(() -> ops.gridSample(in, grid, bl, z, false, Layout.NHWC, Tensor.zeros(2, 3, 4, 6)), "gridSample",
                "output", "[2, 4, 6, 3]");
        fails(() -> ops.gridSampleBackward(Tensor.zeros(2, 3, 4, 6), in, grid, bl, z, false, Layout.NHWC),
                "gridSampleBackward", "gradOutput", "[2, 4, 6, 3]");
        fails(() -> ops.gridSampleBackward(Tensor.zeros(2, 4, 6, 3), in, grid, bl, z, false, Layout.NHWC,
                Tensor.zeros(2, 3, 5, 7), null), "gridSampleBackward", "gradInput");
        fails(() -> ops.gridSampleBackward(Tensor.zeros(2, 4, 6, 3), Tensor.zeros(2, 3, 5, 7, 1),
                Tensor.zeros(2, 1, 4, 6, 3), bl, z, false, Layout.NHWC), "gridSampleBackward", "Layout.NHWC");
        fails(() -> ops.gridSampleBackward(Tensor.zeros(2, 4, 6, 3), in, grid, bl, z, false, Layout.NHWC, null,
                null), "gridSampleBackward", "both null");
        // outputs that overlap an input are refused as for NCHW
        Tensor overlapping = Tensor.wrap(in.segment().asSlice(0, 2 * 4 * 6 * 3 * 4), 2, 4, 6, 3);
        fails(() -> ops.gridSample(in, grid, bl, z, false, Layout.NHWC, overlapping), "gridSample", "output overlaps");
    }
}
