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
     * Rows [r0, r1) of one sample's grid gradient gg [h, w, 2] to their sums in rows [h, 4] (the same rows).
     */
    public static void rowSums(MemorySegment gg, MemorySegment rows, long w, boolean ac, long r0, long r1) {
        long body = w - w % LANES;
        float[] pxx = new float[LANES], px1 = new float[LANES], pyx = new float[LANES], py1 = new float[LANES];
        for (long i = r0; i < r1; i++) {
            java.util.Arrays.fill(pxx, 0f);
            java.util.Arrays.fill(px1, 0f);
            java.util.Arrays.fill(pyx, 0f);
            java.util.Arrays.fill(py1, 0f);
            long o = i * w * 2;
            for (long j = 0; j < body; j++) {
                int k = (int) (j % LANES);
                float x = Coords.baseCoord(j, w, ac);
                float gx = gg.getAtIndex(F, o + 2 * j), gy = gg.getAtIndex(F, o + 2 * j + 1);
                pxx[k] += gx * x;
                px1[k] += gx;
                pyx[k] += gy * x;
                py1[k] += gy;
            }
            float sxx = JavaScalarKernels.sumLanes(pxx), sx1 = JavaScalarKernels.sumLanes(px1);
            float syx = JavaScalarKernels.sumLanes(pyx), sy1 = JavaScalarKernels.sumLanes(py1);
            for (long j = body; j < w; j++) {
                float x = Coords.baseCoord(j, w, ac);
                float gx = gg.getAtIndex(F, o + 2 * j), gy = gg.getAtIndex(F, o + 2 * j + 1);
                sxx += gx * x;
                sx1 += gx;
                syx += gy * x;
                sy1 += gy;
            }
            rows.setAtIndex(F, i * 4, sxx);
            rows.setAtIndex(F, i * 4 + 1, sx1);
            rows.setAtIndex(F, i * 4 + 2, syx);
            rows.setAtIndex(F, i * 4 + 3, sy1);
        }
    }

    /** gradTheta [n, 2, 3] (overwritten) from the row sums rows [n, h, 4] of every row. */
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
}
