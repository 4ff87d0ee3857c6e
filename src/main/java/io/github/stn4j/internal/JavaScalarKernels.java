package io.github.stn4j.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The specification: plain Java, one output point at a time, written for clarity. Every other backend is tested
 * against it. The coordinate rules live in {@link Coords}; the formulas are PyTorch's (GridSampler.h):
 *
 * <ul>
 *   <li>bilinear: taps (x0, y0) = floor(x, y) and their +1 neighbours, weights (1-tx)(1-ty), tx(1-ty), (1-tx)ty,
 *       txty, summed as {@link #bilinearSum}; a tap outside the image reads 0 and receives no gradient. d out / d x = (v_ne - v_nw)(1-ty) +
 *       (v_se - v_sw) ty, and likewise for y.</li>
 *   <li>nearest: the tap round-half-even(x, y); its grid gradient is 0.</li>
 *   <li>bicubic: 4x4 taps around floor(x, y) with Keys' weights (A = -0.75); padding applies to each tap; sums in
 *       the order of {@link #bicubicSum} and {@link #bicubicDot}.</li>
 *   <li>trilinear (3-D bilinear): 8 taps, the same product weights in x, y, z.</li>
 * </ul>
 * Backward passes accumulate into gradInput (which the caller zeroed) in output-point order, channel by channel.
 * The 2-D sampler addresses its tensors through strides, so that channels-first (NCHW) and channels-last (NHWC) are one
 * piece of code doing the same operations on each element in the same order: the two layouts give the same bits.
 */
public class JavaScalarKernels implements Kernels {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    static float get(MemorySegment s, long i) {
        return s.getAtIndex(F, i);
    }

    static void set(MemorySegment s, long i, float v) {
        s.setAtIndex(F, i, v);
    }

    static void add(MemorySegment s, long i, float v) {
        s.setAtIndex(F, i, s.getAtIndex(F, i) + v);
    }

    // ------------------------------------------------------------------ affine grid

    @Override
    public void affineGrid(MemorySegment theta, MemorySegment grid, long n, long h, long w, boolean ac, long r0,
                           long r1) {
        for (long b = 0; b < n; b++) {
            long t = b * 6;
            for (long i = r0; i < r1; i++) {
                float y = Coords.baseCoord(i, h, ac);
                // the row's y term once (y t1 + t2), then x t0 + it: every backend, body and tail, in this order
                float cx = y * get(theta, t + 1) + get(theta, t + 2), cy = y * get(theta, t + 4) + get(theta, t + 5);
                for (long j = 0; j < w; j++) {
                    float x = Coords.baseCoord(j, w, ac);
                    long o = ((b * h + i) * w + j) * 2;
                    set(grid, o, x * get(theta, t) + cx);
                    set(grid, o + 1, x * get(theta, t + 3) + cy);
                }
            }
        }
    }

    /** Lanes of the affine grid backward's row sums (see {@link #sumLanes}). */
    public static final int SUM_LANES = 16;

    /**
     * The fixed order in which the affine grid backward sums a row of w terms, so that SIMD code can follow it: the
     * first w - w % 16 terms go to 16 float lanes (term j to lane j % 16, in order), the lanes are added pairwise by
     * halves, lane i + 8 to lane i, then i + 4, i + 2, i + 1 (a vector's usual reduction tree), and the remaining
     * terms are added to that in order.
     */
    public static float sumLanes(float[] p) {
        return sumLanes(p, 0);
    }

    /** {@link #sumLanes(float[])} of the 16 lanes from p[at]. */
    public static float sumLanes(float[] p, int at) {
        float s0 = p[at] + p[at + 8], s1 = p[at + 1] + p[at + 9], s2 = p[at + 2] + p[at + 10];
        float s3 = p[at + 3] + p[at + 11], s4 = p[at + 4] + p[at + 12], s5 = p[at + 5] + p[at + 13];
        float s6 = p[at + 6] + p[at + 14], s7 = p[at + 7] + p[at + 15];
        s0 = s0 + s4;
        s1 = s1 + s5;
        s2 = s2 + s6;
        s3 = s3 + s7;
        return (s0 + s2) + (s1 + s3);
    }

    @Override
    public void affineGridBackward(MemorySegment gradGrid, MemorySegment gradTheta, long n, long h, long w,
                                   boolean ac) {
        // float sums per row in the order of sumLanes, rows accumulated in double (as the C kernels do)
        AffineRows.backward(gradGrid, gradTheta, n, h, w, ac);
    }

    @Override
    public void affineGrid3d(MemorySegment theta, MemorySegment grid, long n, long d, long h, long w, boolean ac,
                             long r0, long r1) {
        for (long b = 0; b < n; b++) {
            long t = b * 12;
            for (long row = r0; row < r1; row++) {
                long k = row / h, i = row % h;
                float z = Coords.baseCoord(k, d, ac), y = Coords.baseCoord(i, h, ac);
                // the row's terms once, y t1 + (z t2 + t3), then x t0 + them (as in 2-D)
                float[] c = new float[3];
                for (int r = 0; r < 3; r++) {
                    long tr = t + 4L * r;
                    c[r] = y * get(theta, tr + 1) + (z * get(theta, tr + 2) + get(theta, tr + 3));
                }
                for (long j = 0; j < w; j++) {
                    float x = Coords.baseCoord(j, w, ac);
                    long o = (((b * d + k) * h + i) * w + j) * 3;
                    for (int r = 0; r < 3; r++) set(grid, o + r, x * get(theta, t + 4L * r) + c[r]);
                }
            }
        }
    }

    @Override
    public void affineGrid3dBackward(MemorySegment gradGrid, MemorySegment gradTheta, long n, long d, long h, long w,
                                     boolean ac) {
        for (long b = 0; b < n; b++) {
            double[] acc = new double[12];
            for (long k = 0; k < d; k++) {
                float z = Coords.baseCoord(k, d, ac);
                for (long i = 0; i < h; i++) {
                    float y = Coords.baseCoord(i, h, ac);
                    // each component's row sums in the order of sumLanes, as in 2-D
                    float[][] px = new float[3][SUM_LANES], p1 = new float[3][SUM_LANES];
                    long body = w - w % SUM_LANES;
                    long o = (((b * d + k) * h + i) * w) * 3;
                    for (long j = 0; j < body; j++) {
                        float x = Coords.baseCoord(j, w, ac);
                        int l = (int) (j % SUM_LANES);
                        for (int r = 0; r < 3; r++) {
                            float g = get(gradGrid, o + 3 * j + r);
                            px[r][l] += g * x;
                            p1[r][l] += g;
                        }
                    }
                    float[] sx = new float[3], s1 = new float[3];
                    for (int r = 0; r < 3; r++) {
                        sx[r] = sumLanes(px[r]);
                        s1[r] = sumLanes(p1[r]);
                    }
                    for (long j = body; j < w; j++) {
                        float x = Coords.baseCoord(j, w, ac);
                        for (int r = 0; r < 3; r++) {
                            float g = get(gradGrid, o + 3 * j + r);
                            sx[r] += g * x;
                            s1[r] += g;
                        }
                    }
                    for (int r = 0; r < 3; r++) {
                        acc[4 * r] += sx[r];
                        acc[4 * r + 1] += (double) y * s1[r];
                        acc[4 * r + 2] += (double) z * s1[r];
                        acc[4 * r + 3] += s1[r];
                    }
                }
            }
            for (int k = 0; k < 12; k++) set(gradTheta, b * 12 + k, (float) acc[k]);
        }
    }

    // ------------------------------------------------------------------ grid sample 2-D

    /**
     * The sum over 4 x 4 bicubic taps v[j][i] (row j, column i) of v[j][i] w[j][i], in the order of every backend: per
     * column, the rows in order, e_i = ((v0i w0i + v1i w1i) + v2i w2i) + v3i w3i, then (e0 + e2) + (e1 + e3), the order
     * of 4-lane vectors holding one pixel row each.
     */
    public static float bicubicDot(float[][] v, float[][] w) {
        float[] e = new float[4];
        for (int i = 0; i < 4; i++) {
            e[i] = ((v[0][i] * w[0][i] + v[1][i] * w[1][i]) + v[2][i] * w[2][i]) + v[3][i] * w[3][i];
        }
        return (e[0] + e[2]) + (e[1] + e[3]);
    }

    /**
     * A bicubic output value: columns first, e_i = ((v0i cy0 + v1i cy1) + v2i cy2) + v3i cy3, then
     * (e0 cx0 + e2 cx2) + (e1 cx1 + e3 cx3), in {@link #bicubicDot}'s order. (PyTorch interpolates rows first; the
     * values agree to rounding, see CrossBackendTest and GoldenTest.)
     */
    public static float bicubicSum(float[][] v, float[] cx, float[] cy) {
        float[] e = new float[4];
        for (int i = 0; i < 4; i++) {
            e[i] = ((v[0][i] * cy[0] + v[1][i] * cy[1]) + v[2][i] * cy[2]) + v[3][i] * cy[3];
        }
        return (e[0] * cx[0] + e[2] * cx[2]) + (e[1] * cx[1] + e[3] * cx[3]);
    }

    /**
     * A bilinear output value from its weights and tap values (a tap outside reads 0): (nw + sw) + (ne + se), each
     * product rounded. Every backend adds in this order, the one vectors of (nw, ne) pixel pairs do fast: the two
     * rows' products added lane-wise, then each pair's two lanes.
     */
    public static float bilinearSum(float wNw, float wNe, float wSw, float wSe, float vNw, float vNe, float vSw,
                                    float vSe) {
        return (wNw * vNw + wSw * vSw) + (wNe * vNe + wSe * vSe);
    }

    @Override
    public void gridSample(MemorySegment input, MemorySegment grid, MemorySegment output, long n, long c, long inH,
                           long inW, long outH, long outW, Mode mode, PaddingMode padding, boolean ac, long r0,
                           long r1) {
        sample2d(null, input, grid, output, null, null, n, c, inH, inW, outH, outW, mode, padding, ac, r0, r1, false, 0,
                inH);
    }

    @Override
    public void gridSampleNhwc(MemorySegment input, MemorySegment grid, MemorySegment output, long n, long c, long inH,
                               long inW, long outH, long outW, Mode mode, PaddingMode padding, boolean ac, long r0,
                               long r1) {
        sample2d(null, input, grid, output, null, null, n, c, inH, inW, outH, outW, mode, padding, ac, r0, r1, true, 0,
                inH);
    }

    @Override
    public void gridSampleBackward(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                   MemorySegment gradInput, MemorySegment gradGrid, long n, long c, long inH, long inW,
                                   long outH, long outW, Mode mode, PaddingMode padding, boolean ac, long r0,
                                   long r1) {
        sample2d(gradOutput, input, grid, null, gradInput, gradGrid, n, c, inH, inW, outH, outW, mode, padding,
                ac, r0, r1, false, 0, inH);
    }

    @Override
    public void gridSampleBackwardNhwc(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                       MemorySegment gradInput, MemorySegment gradGrid, long n, long c, long inH,
                                       long inW, long outH, long outW, Mode mode, PaddingMode padding, boolean ac,
                                       long r0, long r1) {
        sample2d(gradOutput, input, grid, null, gradInput, gradGrid, n, c, inH, inW, outH, outW, mode, padding,
                ac, r0, r1, true, 0, inH);
    }

    @Override
    public boolean bandedBackward() {
        return true;
    }

    @Override
    public void gridSampleBackwardBand(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                       MemorySegment gradInput, long n, long c, long inH, long inW, long outH,
                                       long outW, Mode mode, PaddingMode padding, boolean ac, boolean nhwc,
                                       long bandBegin, long bandEnd, boolean fresh) {
        if (fresh) { // the band's rows of every plane (NCHW) or sample (NHWC)
            long planes = nhwc ? n : n * c, row = nhwc ? inW * c : inW;
            for (long p = 0; p < planes; p++) {
                gradInput.asSlice((p * inH + bandBegin) * row * 4, (bandEnd - bandBegin) * row * 4).fill((byte) 0);
            }
        }
        sample2d(gradOutput, input, grid, null, gradInput, null, n, c, inH, inW, outH, outW, mode, padding, ac, 0,
                outH, nhwc, bandBegin, bandEnd);
    }

    /**
     * Forward when gradOutput is null, backward otherwise. Element (ch, y, x) of a sample of the input (and of its
     * gradient) is at {@code ch * cs + (y * inW + x) * ps}, output element (ch, point p = row * outW + col) at
     * {@code ch * ocs + p * ops}: NCHW has channel strides of a plane and pixel strides of 1, NHWC the reverse. Only
     * the taps in input rows [b0, b1) are added into gin (a band: {@link #gridSampleBackwardBand}).
     */
    private static void sample2d(MemorySegment gout, MemorySegment in, MemorySegment grid, MemorySegment out,
                                 MemorySegment gin, MemorySegment ggrid, long n, long c, long inH, long inW, long outH,
                                 long outW, Mode mode, PaddingMode pad, boolean ac, long r0, long r1, boolean nhwc,
                                 long b0, long b1) {
        long inPlane = inH * inW, outPlane = outH * outW;
        long cs = nhwc ? 1 : inPlane, ps = nhwc ? c : 1, ocs = nhwc ? 1 : outPlane, ops = nhwc ? c : 1;
        long rowStride = inW * ps;
        float[] mx = new float[1], my = new float[1];
        float[] cx = new float[4], cy = new float[4], dx = new float[4], dy = new float[4];
        for (long b = 0; b < n; b++) {
            long inBase = b * c * inPlane, outBase = b * c * outPlane;
            for (long p = r0 * outW; p < r1 * outW; p++) {
                long gi = (b * outPlane + p) * 2;
                float gx = get(grid, gi), gy = get(grid, gi + 1);
                float sx = 0, sy = 0; // d loss / d (pixel x, pixel y), summed over channels
                switch (mode) {
                    case BILINEAR -> {
                        float x = Coords.sourceIndex(gx, inW, pad, ac, mx);
                        float y = Coords.sourceIndex(gy, inH, pad, ac, my);
                        float x0f = (float) Math.floor(x), y0f = (float) Math.floor(y);
                        long x0 = (long) x0f, y0 = (long) y0f;
                        float tx = x - x0f, ty = y - y0f;
                        float wNw = (1f - tx) * (1f - ty), wNe = tx * (1f - ty);
                        float wSw = (1f - tx) * ty, wSe = tx * ty;
                        boolean inX0 = x0 >= 0 && x0 < inW, inX1 = x0 + 1 >= 0 && x0 + 1 < inW;
                        boolean inY0 = y0 >= 0 && y0 < inH, inY1 = y0 + 1 >= 0 && y0 + 1 < inH;
                        boolean mNw = inY0 && inX0, mNe = inY0 && inX1, mSw = inY1 && inX0, mSe = inY1 && inX1;
                        boolean bY0 = y0 >= b0 && y0 < b1, bY1 = y0 + 1 >= b0 && y0 + 1 < b1; // in gin's band
                        long oNw = (y0 * inW + x0) * ps, oNe = oNw + ps, oSw = oNw + rowStride, oSe = oSw + ps;
                        for (long ch = 0; ch < c; ch++) {
                            long base = inBase + ch * cs;
                            float vNw = mNw ? get(in, base + oNw) : 0f, vNe = mNe ? get(in, base + oNe) : 0f;
                            float vSw = mSw ? get(in, base + oSw) : 0f;
                            float vSe = mSe ? get(in, base + oSe) : 0f;
                            long o = outBase + ch * ocs + p * ops;
                            if (gout == null) {
                                set(out, o, bilinearSum(wNw, wNe, wSw, wSe, vNw, vNe, vSw, vSe));
                                continue;
                            }
                            float go = get(gout, o);
                            sx += ((vNe - vNw) * (1f - ty) + (vSe - vSw) * ty) * go;
                            sy += ((vSw - vNw) * (1f - tx) + (vSe - vNe) * tx) * go;
                            if (gin != null) {
                                if (mNw && bY0) add(gin, base + oNw, wNw * go);
                                if (mNe && bY0) add(gin, base + oNe, wNe * go);
                                if (mSw && bY1) add(gin, base + oSw, wSw * go);
                                if (mSe && bY1) add(gin, base + oSe, wSe * go);
                            }
                        }
                        sx *= mx[0];
                        sy *= my[0];
                    }
                    case NEAREST -> {
                        float x = Coords.sourceIndex(gx, inW, pad, ac, null);
                        float y = Coords.sourceIndex(gy, inH, pad, ac, null);
                        long xi = (long) Math.rint(x), yi = (long) Math.rint(y); // half to even, like nearbyint
                        boolean inside = xi >= 0 && xi < inW && yi >= 0 && yi < inH;
                        long off = (yi * inW + xi) * ps;
                        for (long ch = 0; ch < c; ch++) {
                            long base = inBase + ch * cs;
                            long o = outBase + ch * ocs + p * ops;
                            if (gout == null) {
                                set(out, o, inside ? get(in, base + off) : 0f);
                            } else if (gin != null && inside && yi >= b0 && yi < b1) {
                                add(gin, base + off, get(gout, o));
                            }
                        }
                    }
                    case BICUBIC -> {
                        float x = Coords.unnormalize(gx, inW, ac), y = Coords.unnormalize(gy, inH, ac);
                        float x0f = (float) Math.floor(x), y0f = (float) Math.floor(y);
                        float tx = x - x0f, ty = y - y0f;
                        Coords.cubicCoefficients(tx, cx);
                        Coords.cubicCoefficients(ty, cy);
                        long[] tapX = new long[4], tapY = new long[4];
                        boolean[] okX = new boolean[4], okY = new boolean[4];
                        for (int k = 0; k < 4; k++) {
                            tapX[k] = Coords.tap(x0f - 1f + k, inW, pad, ac);
                            okX[k] = tapX[k] >= 0 && tapX[k] < inW;
                            tapY[k] = Coords.tap(y0f - 1f + k, inH, pad, ac);
                            okY[k] = tapY[k] >= 0 && tapY[k] < inH;
                        }
                        float[][] ax = null, ay = null, v = new float[4][4];
                        if (gout != null) {
                            Coords.cubicCoefficientsGrad(tx, dx);
                            Coords.cubicCoefficientsGrad(ty, dy);
                            // the weights of d out / d x and d y per tap [row j][column i]
                            ax = new float[4][4];
                            ay = new float[4][4];
                            for (int j = 0; j < 4; j++) {
                                for (int i = 0; i < 4; i++) {
                                    ax[j][i] = dx[i] * cy[j];
                                    ay[j][i] = cx[i] * dy[j];
                                }
                            }
                        }
                        for (long ch = 0; ch < c; ch++) {
                            long base = inBase + ch * cs;
                            long o = outBase + ch * ocs + p * ops;
                            if (gout == null) {
                                for (int j = 0; j < 4; j++) {
                                    for (int i = 0; i < 4; i++) {
                                        v[j][i] = okX[i] && okY[j] ? get(in, base + (tapY[j] * inW + tapX[i]) * ps) : 0f;
                                    }
                                }
                                set(out, o, bicubicSum(v, cx, cy));
                                continue;
                            }
                            float go = get(gout, o);
                            for (int j = 0; j < 4; j++) {
                                for (int i = 0; i < 4; i++) {
                                    if (!(okX[i] && okY[j])) {
                                        v[j][i] = 0f;
                                        continue;
                                    }
                                    long at = base + (tapY[j] * inW + tapX[i]) * ps;
                                    if (gin != null && tapY[j] >= b0 && tapY[j] < b1) {
                                        add(gin, at, go * cx[i] * cy[j]);
                                    }
                                    v[j][i] = get(in, at);
                                }
                            }
                            sx -= bicubicDot(v, ax) * go;
                            sy -= bicubicDot(v, ay) * go;
                        }
                        sx *= Coords.unnormalizeGrad(gx, inW, ac);
                        sy *= Coords.unnormalizeGrad(gy, inH, ac);
                    }
                }
                if (ggrid != null) {
                    set(ggrid, gi, sx);
                    set(ggrid, gi + 1, sy);
                }
            }
        }
    }

    // ------------------------------------------------------------------ grid sample 3-D

    @Override
    public void gridSample3d(MemorySegment input, MemorySegment grid, MemorySegment output, long n, long c, long inD,
                             long inH, long inW, long outD, long outH, long outW, Mode mode, PaddingMode padding,
                             boolean ac, long r0, long r1) {
        sample3d(null, input, grid, output, null, null, n, c, inD, inH, inW, outD * outH * outW, mode, padding,
                ac, r0 * outW, r1 * outW);
    }

    @Override
    public void gridSample3dBackward(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                     MemorySegment gradInput, MemorySegment gradGrid, long n, long c, long inD,
                                     long inH, long inW, long outD, long outH, long outW, Mode mode,
                                     PaddingMode padding, boolean ac, long r0, long r1) {
        sample3d(gradOutput, input, grid, null, gradInput, gradGrid, n, c, inD, inH, inW, outD * outH * outW, mode,
                padding, ac, r0 * outW, r1 * outW);
    }

    private static void sample3d(MemorySegment gout, MemorySegment in, MemorySegment grid, MemorySegment out,
                                 MemorySegment gin, MemorySegment ggrid, long n, long c, long inD, long inH, long inW,
                                 long outVol, Mode mode, PaddingMode pad, boolean ac, long p0, long p1) {
        long inVol = inD * inH * inW;
        float[] mx = new float[1], my = new float[1], mz = new float[1];
        for (long b = 0; b < n; b++) {
            long inBase = b * c * inVol, outBase = b * c * outVol;
            for (long p = p0; p < p1; p++) {
                long gi = (b * outVol + p) * 3;
                float gx = get(grid, gi), gy = get(grid, gi + 1), gz = get(grid, gi + 2);
                float x = Coords.sourceIndex(gx, inW, pad, ac, mx);
                float y = Coords.sourceIndex(gy, inH, pad, ac, my);
                float z = Coords.sourceIndex(gz, inD, pad, ac, mz);
                float sx = 0, sy = 0, sz = 0;
                if (mode == Mode.NEAREST) {
                    long xi = (long) Math.rint(x), yi = (long) Math.rint(y), zi = (long) Math.rint(z);
                    boolean inside = xi >= 0 && xi < inW && yi >= 0 && yi < inH && zi >= 0 && zi < inD;
                    long off = (zi * inH + yi) * inW + xi;
                    for (long ch = 0; ch < c; ch++) {
                        long base = inBase + ch * inVol, o = outBase + ch * outVol + p;
                        if (gout == null) set(out, o, inside ? get(in, base + off) : 0f);
                        else if (gin != null && inside) add(gin, base + off, get(gout, o));
                    }
                } else {
                    float x0f = (float) Math.floor(x), y0f = (float) Math.floor(y), z0f = (float) Math.floor(z);
                    long x0 = (long) x0f, y0 = (long) y0f, z0 = (long) z0f;
                    float tx = x - x0f, ty = y - y0f, tz = z - z0f;
                    float[] wx = {1f - tx, tx}, wy = {1f - ty, ty}, wz = {1f - tz, tz};
                    boolean[] okX = {x0 >= 0 && x0 < inW, x0 + 1 >= 0 && x0 + 1 < inW};
                    boolean[] okY = {y0 >= 0 && y0 < inH, y0 + 1 >= 0 && y0 + 1 < inH};
                    boolean[] okZ = {z0 >= 0 && z0 < inD, z0 + 1 >= 0 && z0 + 1 < inD};
                    for (long ch = 0; ch < c; ch++) {
                        long base = inBase + ch * inVol, o = outBase + ch * outVol + p;
                        float go = gout == null ? 0f : get(gout, o);
                        float v = 0f;
                        // corners in PyTorch's order: z (front, back), then y (north, south), then x (west, east)
                        for (int k = 0; k < 2; k++) {
                            for (int j = 0; j < 2; j++) {
                                for (int i = 0; i < 2; i++) {
                                    if (!(okX[i] && okY[j] && okZ[k])) continue;
                                    long at = base + ((z0 + k) * inH + (y0 + j)) * inW + (x0 + i);
                                    float wgt = wx[i] * wy[j] * wz[k];
                                    float val = get(in, at);
                                    if (gout == null) {
                                        v += wgt * val;
                                        continue;
                                    }
                                    if (gin != null) add(gin, at, wgt * go);
                                    // d(weight)/dx = ±wy*wz, etc.
                                    float sgnX = i == 0 ? -1f : 1f, sgnY = j == 0 ? -1f : 1f, sgnZ = k == 0 ? -1f : 1f;
                                    sx += sgnX * wy[j] * wz[k] * val * go;
                                    sy += sgnY * wx[i] * wz[k] * val * go;
                                    sz += sgnZ * wx[i] * wy[j] * val * go;
                                }
                            }
                        }
                        if (gout == null) set(out, o, v);
                    }
                    sx *= mx[0];
                    sy *= my[0];
                    sz *= mz[0];
                }
                if (ggrid != null) {
                    set(ggrid, gi, sx);
                    set(ggrid, gi + 1, sy);
                    set(ggrid, gi + 2, sz);
                }
            }
        }
    }
}
