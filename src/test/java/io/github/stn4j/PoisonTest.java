package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Reused memory never leaks into results. The tests run with the pool's debug poison on (pom.xml), so every fresh or
 * freed block holds 0xFF bytes (NaN in every float): every result of every op, mode, padding and backend, on finite
 * data, must come back without a single NaN, over blocks reused round after round. The partial sums of a backward
 * with few samples, the staging of float[] tensors and a split over 2 threads come from the pool too, and are covered.
 * In the AddressSanitizer run (.ci/run) cached blocks are also poisoned for ASan, so a kernel that touched one would be
 * reported there.
 */
class PoisonTest {
    // {n, c, inH, inW, outH, outW}. Calls of at least Split.MIN_WORK output values are split: the 1-sample one into
    // row chunks whose partial sums come from the pool, the 9-sample one into pieces of whole samples (then float[]
    // tensors are staged per piece through pool blocks)
    static final long[][] SHAPES_2D = {{1, 1, 1, 1, 1, 1}, {2, 3, 7, 13, 5, 33}, {1, 2, 13, 7, 40, 27}};
    static final long[][] SHAPES_SPLIT = {{1, 3, 70, 90, 130, 128}, {9, 3, 30, 40, 40, 40}};
    // {n, c, inD, inH, inW, outD, outH, outW}
    static final long[][] SHAPES_3D = {{1, 2, 3, 5, 4, 2, 7, 3}, {2, 1, 2, 2, 3, 3, 2, 5}};

    @ParameterizedTest
    @EnumSource(Backend.class)
    void noResultKeepsThePoison(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        assertPoisonModeIsOn();
        int before = Parallel.threads();
        try {
            for (int threads : new int[] {1, 2}) {
                Parallel.setThreads(threads);
                for (int round = 0; round < 2; round++) {
                    for (long[] s : SHAPES_2D) run(ops, s, false);
                    for (long[] s : SHAPES_3D) run(ops, s, false);
                    for (long[] s : SHAPES_2D) run(ops, s, true);
                }
                if (threads == 2) { // (the row chunks of a 1-sample backward do not depend on the thread count)
                    for (long[] s : SHAPES_SPLIT) run(ops, s, false);
                    run(ops, SHAPES_SPLIT[1], true);
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /** The mode is live: a fresh uninitialised tensor holds the pattern (so the test above can fail). */
    static void assertPoisonModeIsOn() {
        assertTrue(Boolean.getBoolean("stn4j.debug.poison"), "run with -Dstn4j.debug.poison=true (pom.xml does)");
        try (Tensor t = Tensor.uninitialized(3, 333)) {
            for (float v : t.toArray()) assertEquals(-1, Float.floatToRawIntBits(v));
        }
    }

    private static void run(SpatialOps ops, long[] s, boolean heap) {
        Random rnd = new Random(s.length * 31L + s[0] + s[3]);
        boolean is3d = s.length == 8;
        long n = s[0], c = s[1];
        long[] in = is3d ? new long[] {n, c, s[2], s[3], s[4]} : new long[] {n, c, s[2], s[3]};
        long[] size = is3d ? new long[] {n, c, s[5], s[6], s[7]} : new long[] {n, c, s[4], s[5]};
        for (Interpolation mode : Interpolation.values()) {
            if (is3d && mode == Interpolation.BICUBIC) continue;
            for (Padding padding : Padding.values()) {
                for (boolean ac : new boolean[] {false, true}) {
                    String what = ops.backend() + " " + java.util.Arrays.toString(s) + " " + mode + " " + padding
                            + " ac=" + ac + (heap ? " heap" : "") + " threads=" + Parallel.threads();
                    Tensor input = make(random(rnd, in, 1), in, heap);
                    Tensor theta = make(random(rnd, new long[] {n, is3d ? 12 : 6}, 0.6), is3d
                            ? new long[] {n, 3, 4} : new long[] {n, 2, 3}, heap);
                    try (Tensor grid = ops.affineGrid(theta, size, ac);
                         Tensor out = ops.gridSample(input, grid, mode, padding, ac)) {
                        check(grid, what + " affineGrid");
                        check(out, what + " gridSample");
                        Tensor gradOut = make(random(rnd, size, 1), size, heap);
                        GridSampleGrads g = ops.gridSampleBackward(gradOut, input, grid, mode, padding, ac);
                        try (Tensor gi = g.input(); Tensor gg = g.grid();
                             Tensor gt = ops.affineGridBackward(gg, size, ac)) {
                            check(gi, what + " gradInput");
                            check(gg, what + " gradGrid");
                            check(gt, what + " gradTheta");
                        }
                        gradOut.close();
                    }
                    input.close();
                    theta.close();
                }
            }
        }
    }

    /** A pooled tensor of the values, or a float[]-backed one (staged by the native backends). */
    private static Tensor make(float[] values, long[] shape, boolean heap) {
        return heap ? Tensor.wrap(MemorySegment.ofArray(values), shape) : Tensor.of(values, shape);
    }

    private static float[] random(Random rnd, long[] shape, double scale) {
        long count = 1;
        for (long d : shape) count *= d;
        float[] a = new float[(int) count];
        for (int i = 0; i < a.length; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        if (shape.length == 2) { // theta: near identity, so that grids stay near the input
            for (int k = 0; k < shape[0]; k++) {
                if (shape[1] == 6) {
                    a[k * 6] += 1;
                    a[k * 6 + 4] += 1;
                } else {
                    a[k * 12] += 1;
                    a[k * 12 + 5] += 1;
                    a[k * 12 + 10] += 1;
                }
            }
        }
        return a;
    }

    private static void check(Tensor t, String what) {
        MemorySegment seg = t.segment();
        for (long i = 0; i < t.numel(); i++) {
            float v = seg.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            if (Float.isNaN(v)) {
                fail(what + ": element " + i + " of " + t + " is NaN (bits " + Integer.toHexString(
                        Float.floatToRawIntBits(v)) + "): memory the call should have written was left as it was");
            }
        }
    }
}
