package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Calls large enough to be split over threads give bitwise-identical results for 1, 2 and 3 threads (forward, grid
 * gradient and the scatter-added input gradient), for N = 1 (split over rows, with partial buffers) and N = 16 (split
 * over samples), and agree with the specification.
 */
class ThreadsTest {
    private final int before = Parallel.threads();

    @AfterEach
    void restore() {
        Parallel.setThreads(before);
    }

    static Stream<Backend> backends() {
        return TestBackends.all();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void bitwiseIdenticalForAnyThreadCount(Backend b) {
        SpatialOps ops = TestBackends.ops(b), spec = SpatialOps.of(Backend.JAVA_SCALAR);
        long[][] shapes = {{1, 3, 70, 90, 130, 128}, {16, 2, 33, 31, 32, 40}};
        for (long[] s : shapes) {
            for (Interpolation mode : Interpolation.values()) {
                Random rnd = new Random(3);
                float[] in = new float[(int) (s[0] * s[1] * s[2] * s[3])], go = new float[(int) (s[0] * s[1] * s[4] * s[5])];
                float[] grid = new float[(int) (s[0] * s[4] * s[5] * 2)];
                for (int i = 0; i < in.length; i++) in[i] = rnd.nextFloat() * 2 - 1;
                for (int i = 0; i < go.length; i++) go[i] = rnd.nextFloat() * 2 - 1;
                for (int i = 0; i < grid.length; i++) grid[i] = rnd.nextFloat() * 2.4f - 1.2f;
                Tensor tIn = Tensor.of(in, s[0], s[1], s[2], s[3]), tGrid = Tensor.of(grid, s[0], s[4], s[5], 2);
                Tensor tGo = Tensor.of(go, s[0], s[1], s[4], s[5]);
                float[][] ref = null;
                for (int threads = 1; threads <= 3; threads++) {
                    Parallel.setThreads(threads);
                    float[] out = ops.gridSample(tIn, tGrid, mode, Padding.REFLECTION, false).toArray();
                    GridSampleGrads g = ops.gridSampleBackward(tGo, tIn, tGrid, mode, Padding.REFLECTION, false);
                    float[][] now = {out, g.input().toArray(), g.grid().toArray()};
                    if (ref == null) {
                        ref = now;
                        Parallel.setThreads(1);
                        GridSampleGrads r = spec.gridSampleBackward(tGo, tIn, tGrid, mode, Padding.REFLECTION, false);
                        Approx.assertClose(out, spec.gridSample(tIn, tGrid, mode, Padding.REFLECTION, false).toArray(),
                                5e-5, b + " forward vs spec");
                        Approx.assertClose(now[1], r.input().toArray(), 1e-4, b + " grad input vs spec");
                        Approx.assertClose(now[2], r.grid().toArray(), 1e-3, b + " grad grid vs spec");
                    } else {
                        String what = b + " " + mode + " N=" + s[0] + " threads=" + threads;
                        assertArrayEquals(ref[0], now[0], what + ": forward");
                        assertArrayEquals(ref[1], now[1], what + ": grad input");
                        assertArrayEquals(ref[2], now[2], what + ": grad grid");
                    }
                }
            }
        }
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
}
