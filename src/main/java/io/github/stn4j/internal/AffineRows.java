package io.github.stn4j.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The 2-D affine grid backward's one summation order, in two steps: each grid row's four float sums (of g_x x, g_x,
 * g_y x, g_y over its points, in {@link JavaScalarKernels#sumLanes}' order), then theta's six sums over the rows, in
 * row order, in double. The native kernels ({@code stn_affine_fold}, {@code stn_affine_row_to_theta}) do the same
 * operations, so the unfused backward ({@code affineGridBackward}) and the fused one ({@code affineSampleBackward},
 * whose rows may come from several threads) give the same bits.
 */
public final class AffineRows {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final int LANES = JavaScalarKernels.SUM_LANES;

    private AffineRows() {}

    /**
     * One row's sums: the row of w (g_x, g_y) pairs at float index {@code o} of gg, into sums[0..3]; lanes: 4 x 16
     * floats of workspace.
     */
    static void rowSum(MemorySegment gg, long o, long w, boolean ac, float[] lanes, float[] sums) {
        long body = w - w % LANES;
        java.util.Arrays.fill(lanes, 0f);
        for (long j = 0; j < body; j++) {
            int k = (int) (j % LANES);
            float x = Coords.baseCoord(j, w, ac);
            float gx = gg.getAtIndex(F, o + 2 * j), gy = gg.getAtIndex(F, o + 2 * j + 1);
            lanes[k] += gx * x;
            lanes[LANES + k] += gx;
            lanes[2 * LANES + k] += gy * x;
            lanes[3 * LANES + k] += gy;
        }
        float sxx = JavaScalarKernels.sumLanes(lanes, 0), sx1 = JavaScalarKernels.sumLanes(lanes, LANES);
        float syx = JavaScalarKernels.sumLanes(lanes, 2 * LANES), sy1 = JavaScalarKernels.sumLanes(lanes, 3 * LANES);
        for (long j = body; j < w; j++) {
            float x = Coords.baseCoord(j, w, ac);
            float gx = gg.getAtIndex(F, o + 2 * j), gy = gg.getAtIndex(F, o + 2 * j + 1);
            sxx += gx * x;
            sx1 += gx;
            syx += gy * x;
            sy1 += gy;
        }
        sums[0] = sxx;
        sums[1] = sx1;
        sums[2] = syx;
        sums[3] = sy1;
    }

    /** One row's sums added to theta's six accumulators (row y's base coordinate). */
    static void add(double[] acc, float y, float sxx, float sx1, float syx, float sy1) {
        acc[0] += sxx;
        acc[1] += (double) y * sx1;
        acc[2] += sx1;
        acc[3] += syx;
        acc[4] += (double) y * sy1;
        acc[5] += sy1;
    }

    /** Rows [r0, r1) of one sample's grid gradient gg [h, w, 2] to their sums in rows [h, 4] (the same rows). */
    public static void rowSums(MemorySegment gg, MemorySegment rows, long w, boolean ac, long r0, long r1) {
        float[] lanes = new float[4 * LANES], sums = new float[4];
        for (long i = r0; i < r1; i++) {
            rowSum(gg, i * w * 2, w, ac, lanes, sums);
            for (int k = 0; k < 4; k++) rows.setAtIndex(F, i * 4 + k, sums[k]);
        }
    }

    /**
     * gradTheta [n, 2, 3] (overwritten) from the row sums rows [n, h, 4] of every row: {@link #add}'s operations, on
     * locals (this runs on every fused backward, which allocates nothing).
     */
    public static void reduce(MemorySegment rows, MemorySegment gradTheta, long n, long h, boolean ac) {
        for (long b = 0; b < n; b++) {
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0;
            for (long i = 0; i < h; i++) {
                float y = Coords.baseCoord(i, h, ac);
                long o = (b * h + i) * 4;
                float sxx = rows.getAtIndex(F, o), sx1 = rows.getAtIndex(F, o + 1);
                float syx = rows.getAtIndex(F, o + 2), sy1 = rows.getAtIndex(F, o + 3);
                a0 += sxx;
                a1 += (double) y * sx1;
                a2 += sx1;
                a3 += syx;
                a4 += (double) y * sy1;
                a5 += sy1;
            }
            gradTheta.setAtIndex(F, b * 6, (float) a0);
            gradTheta.setAtIndex(F, b * 6 + 1, (float) a1);
            gradTheta.setAtIndex(F, b * 6 + 2, (float) a2);
            gradTheta.setAtIndex(F, b * 6 + 3, (float) a3);
            gradTheta.setAtIndex(F, b * 6 + 4, (float) a4);
            gradTheta.setAtIndex(F, b * 6 + 5, (float) a5);
        }
    }

    /** The unfused 2-D affine grid backward: gradTheta [n, 2, 3] (overwritten) from gradGrid [n, h, w, 2]. */
    static void backward(MemorySegment gradGrid, MemorySegment gradTheta, long n, long h, long w, boolean ac) {
        float[] lanes = new float[4 * LANES], sums = new float[4];
        double[] acc = new double[6];
        for (long b = 0; b < n; b++) {
            java.util.Arrays.fill(acc, 0);
            for (long i = 0; i < h; i++) {
                rowSum(gradGrid, (b * h + i) * w * 2, w, ac, lanes, sums);
                add(acc, Coords.baseCoord(i, h, ac), sums[0], sums[1], sums[2], sums[3]);
            }
            for (int k = 0; k < 6; k++) gradTheta.setAtIndex(F, b * 6 + k, (float) acc[k]);
        }
    }
}
