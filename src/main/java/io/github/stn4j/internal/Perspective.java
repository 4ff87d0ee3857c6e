package io.github.stn4j.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The projective (perspective) grid and its θ gradient: one plain-Java implementation that every backend calls, so
 * every backend gives the same bits.
 *
 * <p>NOTE. θ is [N, 3, 3] row-major (t0..t8). For each output point with affine_grid's base coordinates (x, y)
 * ({@link Coords#baseCoord}), in float and in exactly this order (no fused multiply-add):
 * <pre>
 *   u = x·t0 + (y·t1 + t2),  v = x·t3 + (y·t4 + t5),  w = x·t6 + (y·t7 + t8)      (the row terms once per row)
 *   grid = (u / w, v / w)                 if w &gt; 2^-20 · ((|t6| + |t7|) + |t8|)
 *   grid = (+Inf, +Inf)                   otherwise (w ≤ 0: behind the camera; w ≈ 0: on the horizon; w NaN)
 * </pre>
 * The bound is relative to θ's third row because |x|, |y| ≤ 1: below it, w is within a few roundings of 0 and its sign
 * (in front of or behind the camera) is not known; being relative, it keeps the grid of cθ that of θ for any c &gt; 0.
 * (+Inf, +Inf) is the point at infinity, which the sampler already handles (far outside: zeros padding reads 0, border
 * and reflection clamp; its grid gradient is 0). Other non-finite values (a NaN or infinite u or v) pass through to the
 * sampler's rule.
 *
 * <p>The backward pass recomputes u, v, w in double for every point the forward did not send to infinity and whose
 * upstream gradient (ax, ay) is not (0, 0) (the others contribute nothing, so no 0·Inf turns into NaN): with r = 1/w,
 * gx = u·r, gy = v·r, du = ax·r, dv = ay·r, dw = -(ax·gx + ay·gy)·r; rows 0, 1, 2 of dθ add du, dv, dw times
 * (x, y, 1). Double keeps finite θ from overflowing into Inf - Inf. Each sample sums its points in row-major order
 * into 9 doubles and rounds once: a fixed order, whichever thread runs the sample. Samples never share anything, so a
 * NaN in one sample's θ or gradient stays in that sample.
 */
public final class Perspective {
    private Perspective() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /** The factor of the bound on w (see the class comment). */
    public static final float W_BOUND = 0x1p-20f;

    /** The bound w must exceed for θ's third row (t6, t7, t8); NaN (never exceeded) if the row is NaN. */
    public static float bound(float t6, float t7, float t8) {
        return ((Math.abs(t6) + Math.abs(t7)) + Math.abs(t8)) * W_BOUND;
    }

    /** Writes the grid [N, h, w, 2] of samples [n0, n1) from theta [N, 3, 3] (whole tensors' segments). */
    public static void grid(MemorySegment theta, MemorySegment grid, long n0, long n1, long h, long w, boolean ac) {
        for (long b = n0; b < n1; b++) {
            long t = b * 9;
            float t0 = theta.getAtIndex(F, t), t1 = theta.getAtIndex(F, t + 1), t2 = theta.getAtIndex(F, t + 2);
            float t3 = theta.getAtIndex(F, t + 3), t4 = theta.getAtIndex(F, t + 4), t5 = theta.getAtIndex(F, t + 5);
            float t6 = theta.getAtIndex(F, t + 6), t7 = theta.getAtIndex(F, t + 7), t8 = theta.getAtIndex(F, t + 8);
            float limit = bound(t6, t7, t8);
            for (long i = 0; i < h; i++) {
                float y = Coords.baseCoord(i, h, ac);
                float cu = y * t1 + t2, cv = y * t4 + t5, cw = y * t7 + t8;
                long o = (b * h + i) * w * 2;
                for (long j = 0; j < w; j++) {
                    float x = Coords.baseCoord(j, w, ac);
                    float u = x * t0 + cu, v = x * t3 + cv, ww = x * t6 + cw;
                    if (ww > limit) {
                        grid.setAtIndex(F, o + 2 * j, u / ww);
                        grid.setAtIndex(F, o + 2 * j + 1, v / ww);
                    } else {
                        grid.setAtIndex(F, o + 2 * j, Float.POSITIVE_INFINITY);
                        grid.setAtIndex(F, o + 2 * j + 1, Float.POSITIVE_INFINITY);
                    }
                }
            }
        }
    }

    /** Overwrites gradTheta [N, 3, 3] of samples [n0, n1) from gradGrid [N, h, w, 2] and theta. */
    public static void gridBackward(MemorySegment gradGrid, MemorySegment theta, MemorySegment gradTheta, long n0,
                                    long n1, long h, long w, boolean ac) {
        for (long b = n0; b < n1; b++) {
            long t = b * 9;
            float t0 = theta.getAtIndex(F, t), t1 = theta.getAtIndex(F, t + 1), t2 = theta.getAtIndex(F, t + 2);
            float t3 = theta.getAtIndex(F, t + 3), t4 = theta.getAtIndex(F, t + 4), t5 = theta.getAtIndex(F, t + 5);
            float t6 = theta.getAtIndex(F, t + 6), t7 = theta.getAtIndex(F, t + 7), t8 = theta.getAtIndex(F, t + 8);
            float limit = bound(t6, t7, t8);
            // dθ row by row: a0..a2 of du, a3..a5 of dv, a6..a8 of dw
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0;
            for (long i = 0; i < h; i++) {
                float y = Coords.baseCoord(i, h, ac);
                float cw = y * t7 + t8;
                double yd = y, cu = yd * t1 + t2, cv = yd * t4 + t5, cwd = yd * t7 + t8;
                long o = (b * h + i) * w * 2;
                for (long j = 0; j < w; j++) {
                    float ax = gradGrid.getAtIndex(F, o + 2 * j), ay = gradGrid.getAtIndex(F, o + 2 * j + 1);
                    if (ax == 0f && ay == 0f) continue;
                    float x = Coords.baseCoord(j, w, ac);
                    if (!(x * t6 + cw > limit)) continue; // the forward's test, on the forward's float w
                    double xd = x, u = xd * t0 + cu, v = xd * t3 + cv, r = 1.0 / (xd * t6 + cwd);
                    double gx = u * r, gy = v * r, du = ax * r, dv = ay * r, dw = -(ax * gx + ay * gy) * r;
                    a0 += du * xd;
                    a1 += du * yd;
                    a2 += du;
                    a3 += dv * xd;
                    a4 += dv * yd;
                    a5 += dv;
                    a6 += dw * xd;
                    a7 += dw * yd;
                    a8 += dw;
                }
            }
            gradTheta.setAtIndex(F, t, (float) a0);
            gradTheta.setAtIndex(F, t + 1, (float) a1);
            gradTheta.setAtIndex(F, t + 2, (float) a2);
            gradTheta.setAtIndex(F, t + 3, (float) a3);
            gradTheta.setAtIndex(F, t + 4, (float) a4);
            gradTheta.setAtIndex(F, t + 5, (float) a5);
            gradTheta.setAtIndex(F, t + 6, (float) a6);
            gradTheta.setAtIndex(F, t + 7, (float) a7);
            gradTheta.setAtIndex(F, t + 8, (float) a8);
        }
    }
}
