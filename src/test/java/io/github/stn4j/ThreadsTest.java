package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Calls large enough to be split over threads give bitwise-identical results for 1 to 4 threads (forward, grid
 * gradient and the scatter-added input gradient), for N = 1 and 3 (input gradient in bands of input rows, NCHW and
 * NHWC) and N = 16 (split over samples), and agree with the specification.
 */
class ThreadsTest {
    private final int before = Parallel.threads();

    @AfterEach
    void restore() {
        Parallel.setThreads(before);
    }

    /** Ranges are claimed dynamically: still every index exactly once, in ranges of at least the grain. */
    @Test
    void forRangeCoversEveryIndexOnce() {
        for (int threads : new int[] {1, 2, 3}) {
            Parallel.setThreads(threads);
            for (int n : new int[] {0, 1, 2, 7, 8, 9, 100, 1001}) {
                for (int grain : new int[] {1, 3, 64}) {
                    AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(1, n));
                    AtomicInteger shortRanges = new AtomicInteger();
                    Parallel.forRange(n, grain, (from, to) -> {
                        if (to - from < Math.min(grain, n)) shortRanges.incrementAndGet();
                        for (int i = from; i < to; i++) seen.incrementAndGet(i);
                    });
                    for (int i = 0; i < n; i++) assertEquals(1, seen.get(i), "index " + i + " of " + n + ", grain " + grain);
                    assertEquals(0, shortRanges.get(), "ranges shorter than the grain, n " + n + ", grain " + grain);
                }
            }
        }
    }

    /** A failing range's exception reaches the caller, and only after every other thread has stopped. */
    @Test
    void forRangePropagatesFailureAfterAllThreadsStop() {
        Parallel.setThreads(2);
        IllegalStateException boom = new IllegalStateException("boom");
        AtomicInteger running = new AtomicInteger(), maxAfter = new AtomicInteger();
        for (int failing : new int[] {0, 7}) { // the caller's first range, and a range the pool's thread may take
            RuntimeException e = assertThrows(RuntimeException.class, () -> Parallel.forRange(8, 1, (from, to) -> {
                running.incrementAndGet();
                try {
                    if (from == failing) {
                        // fail while the other thread is inside a range (or after 2 s, if it never comes)
                        long until = System.nanoTime() + 2_000_000_000L;
                        while (running.get() < 2 && System.nanoTime() < until) Thread.onSpinWait();
                        throw boom;
                    }
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                } finally {
                    running.decrementAndGet();
                }
            }));
            maxAfter.accumulateAndGet(running.get(), Math::max);
            assertTrue(e == boom || e.getCause() == boom, "the task's exception, got " + e);
        }
        assertEquals(0, maxAfter.get(), "ranges still running when forRange threw");
    }

    static Stream<Backend> backends() {
        return TestBackends.all();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void bitwiseIdenticalForAnyThreadCount(Backend b) {
        SpatialOps ops = TestBackends.ops(b), spec = SpatialOps.of(Backend.JAVA_SCALAR);
        // N = 1 and 3: bands of input rows; N = 16: whole samples; the last shape channels-last
        long[][] shapes = {{1, 3, 70, 90, 130, 128}, {3, 2, 45, 37, 60, 50}, {16, 2, 33, 31, 32, 40},
                {2, 5, 41, 29, 70, 66, 1}};
        for (long[] s : shapes) {
            Layout layout = s.length > 6 ? Layout.NHWC : Layout.NCHW;
            for (Interpolation mode : Interpolation.values()) {
                Random rnd = new Random(3);
                float[] in = new float[(int) (s[0] * s[1] * s[2] * s[3])], go = new float[(int) (s[0] * s[1] * s[4] * s[5])];
                float[] grid = new float[(int) (s[0] * s[4] * s[5] * 2)];
                for (int i = 0; i < in.length; i++) in[i] = rnd.nextFloat() * 2 - 1;
                for (int i = 0; i < go.length; i++) go[i] = rnd.nextFloat() * 2 - 1;
                for (int i = 0; i < grid.length; i++) grid[i] = rnd.nextFloat() * 2.4f - 1.2f;
                boolean nhwc = layout == Layout.NHWC;
                Tensor tIn = nhwc ? Tensor.of(in, s[0], s[2], s[3], s[1]) : Tensor.of(in, s[0], s[1], s[2], s[3]);
                Tensor tGrid = Tensor.of(grid, s[0], s[4], s[5], 2);
                Tensor tGo = nhwc ? Tensor.of(go, s[0], s[4], s[5], s[1]) : Tensor.of(go, s[0], s[1], s[4], s[5]);
                float[][] ref = null;
                // threads = 1 is the unsplit serial kernel: every other count must give its bits
                for (int threads = 1; threads <= 4; threads++) {
                    Parallel.setThreads(threads);
                    float[] out = ops.gridSample(tIn, tGrid, mode, Padding.REFLECTION, false, layout).toArray();
                    GridSampleGrads g = ops.gridSampleBackward(tGo, tIn, tGrid, mode, Padding.REFLECTION, false,
                            layout);
                    float[][] now = {out, g.input().toArray(), g.grid().toArray()};
                    if (ref == null) {
                        ref = now;
                        Parallel.setThreads(1);
                        GridSampleGrads r = spec.gridSampleBackward(tGo, tIn, tGrid, mode, Padding.REFLECTION, false,
                                layout);
                        Approx.assertClose(out, spec.gridSample(tIn, tGrid, mode, Padding.REFLECTION, false, layout)
                                .toArray(), 5e-5, b + " forward vs spec");
                        Approx.assertClose(now[1], r.input().toArray(), 1e-4, b + " grad input vs spec");
                        Approx.assertClose(now[2], r.grid().toArray(), 1e-3, b + " grad grid vs spec");
                    } else {
                        String what = b + " " + mode + " " + layout + " N=" + s[0] + " threads=" + threads;
                        assertArrayEquals(ref[0], now[0], what + ": forward");
                        assertArrayEquals(ref[1], now[1], what + ": grad input");
                        assertArrayEquals(ref[2], now[2], what + ": grad grid");
                    }
                }
            }
        }
        heapTensorsToo(b, ops);
        // affine grid and its backward, split over samples and rows
        float[] theta = new float[16 * 6];
        for (int i = 0; i < theta.length; i++) theta[i] = (float) Math.sin(i);
        long[] size = {16, 1, 64, 70};
        Parallel.setThreads(1);
        float[] g1 = ops.affineGrid(Tensor.of(theta, 16, 2, 3), size, false).toArray();
        float[] t1 = ops.affineGridBackward(Tensor.of(g1, 16, 64, 70, 2), size, false).toArray();
        Parallel.setThreads(2);
        assertArrayEquals(g1, ops.affineGrid(Tensor.of(theta, 16, 2, 3), size, false).toArray(), b + " affine grid");
        assertArrayEquals(t1, ops.affineGridBackward(Tensor.of(g1, 16, 64, 70, 2), size, false).toArray(),
                b + " affine grid backward");
    }

    /**
     * Scratch kept between calls (Parallel.releaseScratch frees it; the native interleaved accumulator, staging copies)
     * holds the previous call's values, so each call must start from zeros. A, then B (bigger), then a smaller C that reuses a
     * prefix of B's buffer, then A again: every result as from a fresh buffer.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void keptPartialBufferStartsClean(Backend b) {
        SpatialOps ops = TestBackends.ops(b);
        Parallel.setThreads(2);
        long[][] shapes = {{1, 3, 70, 90, 130, 128}, {2, 4, 80, 96, 100, 120}, {1, 2, 40, 50, 90, 64}};
        Tensor[][] data = new Tensor[shapes.length][];
        float[][][] fresh = new float[shapes.length][][];
        for (int k = 0; k < shapes.length; k++) {
            long[] s = shapes[k];
            Random rnd = new Random(11 + k);
            float[] in = new float[(int) (s[0] * s[1] * s[2] * s[3])], go = new float[(int) (s[0] * s[1] * s[4] * s[5])];
            float[] grid = new float[(int) (s[0] * s[4] * s[5] * 2)];
            for (int i = 0; i < in.length; i++) in[i] = rnd.nextFloat() * 2 - 1;
            for (int i = 0; i < go.length; i++) go[i] = rnd.nextFloat() * 2 - 1;
            for (int i = 0; i < grid.length; i++) grid[i] = rnd.nextFloat() * 2.4f - 1.2f;
            data[k] = new Tensor[] {Tensor.of(go, s[0], s[1], s[4], s[5]), Tensor.of(in, s[0], s[1], s[2], s[3]),
                    Tensor.of(grid, s[0], s[4], s[5], 2)};
            Parallel.releaseScratch();
            fresh[k] = backward(ops, data[k]);
        }
        Parallel.releaseScratch();
        for (int k : new int[] {0, 1, 2, 0}) {
            float[][] now = backward(ops, data[k]);
            assertArrayEquals(fresh[k][0], now[0], b + " shape " + k + " after other calls: grad input");
            assertArrayEquals(fresh[k][1], now[1], b + " shape " + k + " after other calls: grad grid");
        }
    }

    /**
     * float[]-backed tensors give the bits of native ones: native backends copy them through native memory once per
     * call (serial calls, pieces of rows) or per piece (pieces of whole samples), 1 and 2 threads, N = 1 and N = 16.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void heapTensorsGiveTheBitsOfNativeOnes(Backend b) {
        SpatialOps ops = TestBackends.ops(b);
        for (long[] s : new long[][] {{1, 3, 70, 90, 130, 128}, {16, 2, 33, 31, 32, 40}}) {
            Random rnd = new Random(7);
            float[] in = new float[(int) (s[0] * s[1] * s[2] * s[3])], go = new float[(int) (s[0] * s[1] * s[4] * s[5])];
            float[] grid = new float[(int) (s[0] * s[4] * s[5] * 2)], theta = new float[(int) s[0] * 6];
            for (int i = 0; i < in.length; i++) in[i] = rnd.nextFloat() * 2 - 1;
            for (int i = 0; i < go.length; i++) go[i] = rnd.nextFloat() * 2 - 1;
            for (int i = 0; i < grid.length; i++) grid[i] = rnd.nextFloat() * 2.4f - 1.2f;
            for (int i = 0; i < theta.length; i++) theta[i] = rnd.nextFloat() * 2 - 1;
            long[] is = {s[0], s[1], s[2], s[3]}, os = {s[0], s[1], s[4], s[5]}, gs = {s[0], s[4], s[5], 2};
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                String what = b + " N=" + s[0] + " threads=" + threads;
                float[] ag = ops.affineGrid(Tensor.of(theta, s[0], 2, 3), os, false).toArray(), agH = new float[grid.length];
                ops.affineGrid(heap(theta, s[0], 2, 3), os, false, heap(agH, gs));
                assertArrayEquals(ag, agH, what + ": affine grid");
                float[] gt = ops.affineGridBackward(Tensor.of(grid, gs), os, false).toArray(), gtH = new float[theta.length];
                ops.affineGridBackward(heap(grid, gs), os, false, heap(gtH, s[0], 2, 3));
                assertArrayEquals(gt, gtH, what + ": affine grid backward");
                for (Interpolation mode : Interpolation.values()) {
                    float[] out = ops.gridSample(Tensor.of(in, is), Tensor.of(grid, gs), mode, Padding.BORDER, false)
                            .toArray(), outH = new float[go.length];
                    ops.gridSample(heap(in, is), heap(grid, gs), mode, Padding.BORDER, false, heap(outH, os));
                    assertArrayEquals(out, outH, what + " " + mode + ": forward");
                    GridSampleGrads g = ops.gridSampleBackward(Tensor.of(go, os), Tensor.of(in, is), Tensor.of(grid, gs),
                            mode, Padding.BORDER, false);
                    float[] gi = new float[in.length], gg = new float[grid.length];
                    ops.gridSampleBackward(heap(go, os), heap(in, is), heap(grid, gs), mode, Padding.BORDER, false,
                            heap(gi, is), heap(gg, gs));
                    assertArrayEquals(g.input().toArray(), gi, what + " " + mode + ": grad input");
                    assertArrayEquals(g.grid().toArray(), gg, what + " " + mode + ": grad grid");
                }
            }
        }
    }

    private static float[][] backward(SpatialOps ops, Tensor[] d) {
        GridSampleGrads g = ops.gridSampleBackward(d[0], d[1], d[2], Interpolation.BILINEAR, Padding.ZEROS, false);
        return new float[][] {g.input().toArray(), g.grid().toArray()};
    }

    private static Tensor heap(float[] values, long... shape) {
        return Tensor.wrap(java.lang.foreign.MemorySegment.ofArray(values), shape);
    }

    /**
     * The same with float[]-backed tensors given as outputs, which native backends stage through native copies: each
     * task must copy back only the rows it wrote (N = 1 splits a sample's rows over the threads; a whole-buffer copy
     * back lost most of a 2-thread forward), 2-D and 3-D, forward, both gradients and the affine grid.
     */
    private static void heapTensorsToo(Backend b, SpatialOps ops) {
        Random rnd = new Random(5);
        float[] in = new float[3 * 90 * 110], go = new float[3 * 120 * 130], grid = new float[120 * 130 * 2];
        for (int i = 0; i < in.length; i++) in[i] = rnd.nextFloat() * 2 - 1;
        for (int i = 0; i < go.length; i++) go[i] = rnd.nextFloat() * 2 - 1;
        for (int i = 0; i < grid.length; i++) grid[i] = rnd.nextFloat() * 2.4f - 1.2f;
        float[] in3 = new float[2 * 16 * 40 * 40], go3 = new float[2 * 16 * 40 * 40], grid3 = new float[16 * 40 * 40 * 3];
        for (int i = 0; i < in3.length; i++) in3[i] = rnd.nextFloat() * 2 - 1;
        for (int i = 0; i < go3.length; i++) go3[i] = rnd.nextFloat() * 2 - 1;
        for (int i = 0; i < grid3.length; i++) grid3[i] = rnd.nextFloat() * 2.4f - 1.2f;
        float[] theta = {0.9f, -0.3f, 0.1f, 0.25f, 0.85f, -0.05f};
        float[][] ref = null;
        for (int threads = 1; threads <= 3; threads++) {
            Parallel.setThreads(threads);
            float[] out = new float[go.length], gi = new float[in.length], gg = new float[grid.length];
            ops.gridSample(heap(in, 1, 3, 90, 110), heap(grid, 1, 120, 130, 2), Interpolation.BILINEAR,
                    Padding.ZEROS, false, heap(out, 1, 3, 120, 130));
            ops.gridSampleBackward(heap(go, 1, 3, 120, 130), heap(in, 1, 3, 90, 110), heap(grid, 1, 120, 130, 2),
                    Interpolation.BILINEAR, Padding.ZEROS, false, heap(gi, 1, 3, 90, 110), heap(gg, 1, 120, 130, 2));
            float[] out3 = new float[go3.length], gi3 = new float[in3.length], gg3 = new float[grid3.length];
            ops.gridSample(heap(in3, 1, 2, 16, 40, 40), heap(grid3, 1, 16, 40, 40, 3), Interpolation.BILINEAR,
                    Padding.BORDER, false, heap(out3, 1, 2, 16, 40, 40));
            ops.gridSampleBackward(heap(go3, 1, 2, 16, 40, 40), heap(in3, 1, 2, 16, 40, 40),
                    heap(grid3, 1, 16, 40, 40, 3), Interpolation.BILINEAR, Padding.BORDER, false,
                    heap(gi3, 1, 2, 16, 40, 40), heap(gg3, 1, 16, 40, 40, 3));
            float[] ag = new float[300 * 400 * 2];
            ops.affineGrid(heap(theta, 1, 2, 3), new long[] {1, 1, 300, 400}, false, heap(ag, 1, 300, 400, 2));
            float[][] now = {out, gi, gg, out3, gi3, gg3, ag};
            if (ref == null) {
                ref = now;
                Tensor spec = SpatialOps.of(Backend.JAVA_SCALAR).gridSample(Tensor.of(in, 1, 3, 90, 110),
                        Tensor.of(grid, 1, 120, 130, 2), Interpolation.BILINEAR, Padding.ZEROS, false);
                Approx.assertClose(out, spec.toArray(), 5e-5, b + " heap forward vs spec");
            } else {
                for (int k = 0; k < now.length; k++) {
                    assertArrayEquals(ref[k], now[k], b + " heap tensors, threads=" + threads + ", output " + k);
                }
            }
        }
    }
}
