package io.github.stn4j.internal.vector;

import io.github.stn4j.Interpolation;
import io.github.stn4j.Padding;
import io.github.stn4j.internal.Coords;
import io.github.stn4j.internal.JavaScalarKernels;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Java Vector API backend, at the JVM's preferred width (16 float lanes with AVX-512, 8 with AVX2, 4 with NEON;
 * nothing here assumes a lane count). Loaded by name only when {@code jdk.incubator.vector} is present.
 *
 * <p>NOTE: decomposition. The Vector API gathers only from Java arrays, so the input is read from its backing
 * {@code float[]} when the tensor is heap-backed and from a copy otherwise (gradInput likewise, copied back after the
 * scatter). Per output row the grid's (x, y) pairs are split into two arrays; then L points per step go through the
 * coordinate pipeline of {@link Coords} lane-wise, with the same float operations in the same order (floor and
 * round-half-even are built from exact int conversions, which the Vector API lacks), so results match
 * {@link JavaScalarKernels}. Tap offsets and masks are computed once per step and reused for every channel:
 * the channel loop is masked gathers ({@code fromArray} with an index map) and FMAs. Backward scatters into
 * gradInput lane by lane in the scalar kernel's order. Tails (fewer than L points) run the scalar rules.
 * Vectorised here: affine grid 2-D, bilinear and nearest 2-D; bicubic and 3-D use the scalar Java kernels. Inputs
 * too large for int indices (2^31 elements) or axes of 2^22 pixels or more also use the scalar kernels.
 */
public final class VectorKernels extends JavaScalarKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, S.vectorShape());
    private static final int L = S.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final int[] EVEN = new int[L], ODD = new int[L];

    static {
        for (int i = 0; i < L; i++) {
            EVEN[i] = 2 * i;
            ODD[i] = 2 * i + 1;
        }
    }

    /** Lanes of the preferred species (for tests and the log). */
    public static int lanes() {
        return L;
    }

    /** A float[] view of a segment: its backing array when heap-backed, else a copy. */
    private record Arr(float[] a, int off, boolean copied) {
        static Arr of(MemorySegment s) {
            if (s.heapBase().orElse(null) instanceof float[] fa) return new Arr(fa, (int) (s.address() / 4), false);
            return new Arr(s.toArray(F), 0, true);
        }

        void writeBack(MemorySegment s) {
            if (copied) MemorySegment.copy(a, 0, s, F, 0, a.length);
        }
    }

    private static boolean fits(long inputElements, long inH, long inW) {
        long limit = 1L << 22;
        return inputElements < Integer.MAX_VALUE - 64 && inH < limit && inW < limit
                && (inH + 3) * (inW + 3) < Integer.MAX_VALUE;
    }

    // ------------------------------------------------------------------ exact rounding helpers

    private static FloatVector floor(FloatVector x) {
        FloatVector t = (FloatVector) x.convert(VectorOperators.F2I, 0).convert(VectorOperators.I2F, 0);
        return t.sub(1f, t.compare(VectorOperators.GT, x));
    }

    /** Round half to even (nearbyint), for |x| < 2^22. */
    private static FloatVector rint(FloatVector x) {
        FloatVector h = x.add(0.5f);
        FloatVector r = floor(h);
        IntVector ri = (IntVector) r.convert(VectorOperators.F2I, 0);
        VectorMask<Float> odd = ri.and(1).compare(VectorOperators.NE, 0).cast(S);
        return r.sub(1f, h.compare(VectorOperators.EQ, r).and(odd));
    }

    /** The offsets where the mask is set, 0 elsewhere (gathers range-check every lane). */
    private static IntVector inside(IntVector offsets, VectorMask<Float> m) {
        return IntVector.zero(SI).blend(offsets, m.cast(SI));
    }

    private static IntVector toInt(FloatVector v) {
        return (IntVector) v.convert(VectorOperators.F2I, 0);
    }

    // ------------------------------------------------------------------ coordinate pipeline, lane-wise

    /** Steps 1-3 of Coords: the unpadded pixel coordinate; mult[0] receives d/dg when mult is not null. */
    private static FloatVector unnormalize(FloatVector g, long size, boolean ac, FloatVector[] mult) {
        g = g.blend(-1f, g.test(VectorOperators.IS_NAN));
        float s = Coords.scale(size, ac);
        FloatVector x = ac ? g.add(1f).mul(s) : g.add(1f).mul(s).sub(0.5f);
        VectorMask<Float> bad = x.test(VectorOperators.IS_NAN);
        x = x.blend(0f, bad);
        VectorMask<Float> far = bad.or(x.compare(VectorOperators.GT, Coords.FAR))
                .or(x.compare(VectorOperators.LT, -Coords.FAR));
        x = x.max(-Coords.FAR).min(Coords.FAR);
        if (mult != null) mult[0] = FloatVector.broadcast(S, s).blend(0f, far);
        return x;
    }

    /** Steps 1-5 (bilinear, nearest). */
    private static FloatVector sourceIndex(FloatVector g, long size, int pad, boolean ac, FloatVector[] mult) {
        FloatVector x = unnormalize(g, size, ac, mult);
        if (pad == Coords.REFLECTION) {
            float lo = ac ? 0f : -0.5f;
            float span = ac ? (float) (size - 1) : (float) size;
            if (span <= 0f) {
                x = FloatVector.zero(S);
                if (mult != null) mult[0] = FloatVector.zero(S);
            } else {
                FloatVector d = x.sub(lo);
                VectorMask<Float> neg = d.compare(VectorOperators.LT, 0f);
                d = d.abs();
                if (mult != null) mult[0] = mult[0].blend(mult[0].neg(), neg);
                FloatVector flips = floor(d.div(span));
                FloatVector extra = d.sub(flips.mul(span));
                FloatVector half = flips.mul(0.5f);
                VectorMask<Float> odd = half.compare(VectorOperators.NE, floor(half));
                x = extra.add(lo).blend(FloatVector.broadcast(S, span).sub(extra).add(lo), odd);
                if (mult != null) mult[0] = mult[0].blend(mult[0].neg(), odd);
            }
        }
        if (pad != Coords.ZEROS) {
            float hi = (float) (size - 1);
            VectorMask<Float> atLo = x.compare(VectorOperators.LE, 0f);
            VectorMask<Float> atHi = x.compare(VectorOperators.GE, hi).andNot(atLo);
            x = x.blend(0f, atLo).blend(hi, atHi);
            if (mult != null) mult[0] = mult[0].blend(0f, atLo.or(atHi));
        }
        return x.max(-2f).min((float) size + 1f);
    }

    // ------------------------------------------------------------------ affine grid 2-D

    @Override
    public void affineGrid(MemorySegment theta, MemorySegment grid, long n, long h, long w, boolean ac, long r0,
                           long r1) {
        if (2 * w > Integer.MAX_VALUE - 64) {
            super.affineGrid(theta, grid, n, h, w, ac, r0, r1);
            return;
        }
        int W = (int) w;
        float[] bx = new float[W], row = new float[2 * W];
        for (int j = 0; j < W; j++) bx[j] = Coords.baseCoord(j, W, ac);
        for (long b = 0; b < n; b++) {
            float t0 = theta.getAtIndex(F, b * 6), t1 = theta.getAtIndex(F, b * 6 + 1);
            float t2 = theta.getAtIndex(F, b * 6 + 2), t3 = theta.getAtIndex(F, b * 6 + 3);
            float t4 = theta.getAtIndex(F, b * 6 + 4), t5 = theta.getAtIndex(F, b * 6 + 5);
            for (long i = r0; i < r1; i++) {
                float y = Coords.baseCoord(i, h, ac);
                float cx = y * t1, cy = y * t4;
                int j = 0;
                // vector body: (x*t0 + y*t1) + t2 in the scalar kernel's order, scattered into the interleaved row
                for (; j + L <= W; j += L) {
                    FloatVector x = FloatVector.fromArray(S, bx, j);
                    x.mul(t0).add(cx).add(t2).intoArray(row, 2 * j, EVEN, 0);
                    x.mul(t3).add(cy).add(t5).intoArray(row, 2 * j, ODD, 0);
                }
                // scalar tail
                for (; j < W; j++) {
                    row[2 * j] = bx[j] * t0 + cx + t2;
                    row[2 * j + 1] = bx[j] * t3 + cy + t5;
                }
                MemorySegment.copy(row, 0, grid, F, ((b * h + i) * w) * 2 * 4, 2 * W);
            }
        }
    }

    @Override
    public void affineGridBackward(MemorySegment gradGrid, MemorySegment gradTheta, long n, long h, long w,
                                   boolean ac) {
        if (2 * w > Integer.MAX_VALUE - 64) {
            super.affineGridBackward(gradGrid, gradTheta, n, h, w, ac);
            return;
        }
        int W = (int) w;
        float[] bx = new float[W], row = new float[2 * W];
        for (int j = 0; j < W; j++) bx[j] = Coords.baseCoord(j, W, ac);
        for (long b = 0; b < n; b++) {
            double[] acc = new double[6];
            for (long i = 0; i < h; i++) {
                float y = Coords.baseCoord(i, h, ac);
                MemorySegment.copy(gradGrid, F, ((b * h + i) * w) * 2 * 4, row, 0, 2 * W);
                FloatVector vxx = FloatVector.zero(S), vx1 = vxx, vyx = vxx, vy1 = vxx;
                int j = 0;
                for (; j + L <= W; j += L) {
                    FloatVector x = FloatVector.fromArray(S, bx, j);
                    FloatVector gx = FloatVector.fromArray(S, row, 2 * j, EVEN, 0);
                    FloatVector gy = FloatVector.fromArray(S, row, 2 * j, ODD, 0);
                    vxx = gx.fma(x, vxx);
                    vx1 = vx1.add(gx);
                    vyx = gy.fma(x, vyx);
                    vy1 = vy1.add(gy);
                }
                float sxx = vxx.reduceLanes(VectorOperators.ADD), sx1 = vx1.reduceLanes(VectorOperators.ADD);
                float syx = vyx.reduceLanes(VectorOperators.ADD), sy1 = vy1.reduceLanes(VectorOperators.ADD);
                for (; j < W; j++) {
                    sxx += row[2 * j] * bx[j];
                    sx1 += row[2 * j];
                    syx += row[2 * j + 1] * bx[j];
                    sy1 += row[2 * j + 1];
                }
                acc[0] += sxx;
                acc[1] += (double) y * sx1;
                acc[2] += sx1;
                acc[3] += syx;
                acc[4] += (double) y * sy1;
                acc[5] += sy1;
            }
            for (int k = 0; k < 6; k++) gradTheta.setAtIndex(F, b * 6 + k, (float) acc[k]);
        }
    }

    // ------------------------------------------------------------------ grid sample 2-D

    @Override
    public void gridSample(MemorySegment input, MemorySegment grid, MemorySegment output, long n, long c, long inH,
                           long inW, long outH, long outW, Interpolation mode, Padding padding, boolean ac, long r0,
                           long r1) {
        if (mode == Interpolation.BICUBIC || !fits(n * c * inH * inW, inH, inW) || outW > Integer.MAX_VALUE / 4) {
            super.gridSample(input, grid, output, n, c, inH, inW, outH, outW, mode, padding, ac, r0, r1);
            return;
        }
        Arr in = Arr.of(input);
        int pad = padding.code(), iw = (int) inW, ow = (int) outW;
        int plane = (int) (inH * inW);
        long outPlane = outH * outW;
        float[] gxs = new float[ow], gys = new float[ow];
        int[] idx = new int[4 * L];
        boolean nearest = mode == Interpolation.NEAREST;
        for (long b = 0; b < n; b++) {
            for (long i = r0; i < r1; i++) {
                splitRow(grid, ((b * outH + i) * outW) * 2, gxs, gys);
                long outRow = b * c * outPlane + i * outW;
                int j = 0;
                // vector body: L points, all channels
                for (; j + L <= ow; j += L) {
                    FloatVector x = sourceIndex(FloatVector.fromArray(S, gxs, j), inW, pad, ac, null);
                    FloatVector y = sourceIndex(FloatVector.fromArray(S, gys, j), inH, pad, ac, null);
                    if (nearest) {
                        FloatVector xr = rint(x), yr = rint(y);
                        VectorMask<Float> inside = xr.compare(VectorOperators.GE, 0f)
                                .and(xr.compare(VectorOperators.LT, (float) inW))
                                .and(yr.compare(VectorOperators.GE, 0f)).and(yr.compare(VectorOperators.LT, (float) inH));
                        inside(toInt(yr).mul(iw).add(toInt(xr)), inside).intoArray(idx, 0);
                        for (long ch = 0; ch < c; ch++) {
                            int base = in.off + (int) ((b * c + ch) * plane);
                            FloatVector.fromArray(S, in.a, base, idx, 0, inside)
                                    .intoMemorySegment(output, (outRow + ch * outPlane + j) * 4, NATIVE);
                        }
                        continue;
                    }
                    Taps t = new Taps(x, y, inH, inW, idx);
                    for (long ch = 0; ch < c; ch++) {
                        int base = in.off + (int) ((b * c + ch) * plane);
                        FloatVector v = FloatVector.fromArray(S, in.a, base, idx, 0, t.mNw).mul(t.wNw);
                        v = FloatVector.fromArray(S, in.a, base, idx, L, t.mNe).fma(t.wNe, v);
                        v = FloatVector.fromArray(S, in.a, base, idx, 2 * L, t.mSw).fma(t.wSw, v);
                        v = FloatVector.fromArray(S, in.a, base, idx, 3 * L, t.mSe).fma(t.wSe, v);
                        v.intoMemorySegment(output, (outRow + ch * outPlane + j) * 4, NATIVE);
                    }
                }
                // scalar tail
                for (; j < ow; j++) {
                    float x = Coords.sourceIndex(gxs[j], inW, pad, ac, null);
                    float y = Coords.sourceIndex(gys[j], inH, pad, ac, null);
                    for (long ch = 0; ch < c; ch++) {
                        int base = in.off + (int) ((b * c + ch) * plane);
                        float v = nearest ? nearestValue(in.a, base, x, y, inH, inW) : bilinearValue(in.a, base, x, y,
                                inH, inW);
                        output.setAtIndex(F, outRow + ch * outPlane + j, v);
                    }
                }
            }
        }
    }

    @Override
    public void gridSampleBackward(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                   MemorySegment gradInput, MemorySegment gradGrid, long n, long c, long inH, long inW,
                                   long outH, long outW, Interpolation mode, Padding padding, boolean ac, long r0,
                                   long r1) {
        if (mode == Interpolation.BICUBIC || !fits(n * c * inH * inW, inH, inW) || outW > Integer.MAX_VALUE / 4) {
            super.gridSampleBackward(gradOutput, input, grid, gradInput, gradGrid, n, c, inH, inW, outH, outW, mode,
                    padding, ac, r0, r1);
            return;
        }
        Arr in = Arr.of(input);
        Arr gin = gradInput == null ? null : Arr.of(gradInput);
        int pad = padding.code(), iw = (int) inW, ow = (int) outW;
        int plane = (int) (inH * inW);
        long outPlane = outH * outW;
        float[] gxs = new float[ow], gys = new float[ow], ggRow = new float[2 * ow], lane = new float[L];
        float[] wv = new float[4 * L];
        int[] idx = new int[4 * L];
        boolean nearest = mode == Interpolation.NEAREST;
        FloatVector[] mx = new FloatVector[1], my = new FloatVector[1];
        float[] smx = new float[1], smy = new float[1];
        for (long b = 0; b < n; b++) {
            for (long i = r0; i < r1; i++) {
                long gridRow = ((b * outH + i) * outW) * 2;
                splitRow(grid, gridRow, gxs, gys);
                long outRow = b * c * outPlane + i * outW;
                int j = 0;
                // vector body: L points, all channels
                for (; j + L <= ow; j += L) {
                    FloatVector x = sourceIndex(FloatVector.fromArray(S, gxs, j), inW, pad, ac, mx);
                    FloatVector y = sourceIndex(FloatVector.fromArray(S, gys, j), inH, pad, ac, my);
                    if (nearest) {
                        if (gin != null) {
                            FloatVector xr = rint(x), yr = rint(y);
                            long bits = xr.compare(VectorOperators.GE, 0f)
                                    .and(xr.compare(VectorOperators.LT, (float) inW))
                                    .and(yr.compare(VectorOperators.GE, 0f))
                                    .and(yr.compare(VectorOperators.LT, (float) inH)).toLong();
                            toInt(yr).mul(iw).add(toInt(xr)).intoArray(idx, 0);
                            for (long ch = 0; ch < c; ch++) {
                                int base = gin.off + (int) ((b * c + ch) * plane);
                                long go = outRow + ch * outPlane + j;
                                for (int l = 0; l < L; l++) {
                                    if ((bits >>> l & 1) != 0) gin.a[base + idx[l]] += gradOutput.getAtIndex(F, go + l);
                                }
                            }
                        }
                        for (int l = 0; l < 2 * L; l++) ggRow[2 * j + l] = 0f;
                        continue;
                    }
                    Taps t = new Taps(x, y, inH, inW, idx);
                    long[] bits = {t.mNw.toLong(), t.mNe.toLong(), t.mSw.toLong(), t.mSe.toLong()};
                    FloatVector otx = t.tx.neg().add(1f), oty = t.ty.neg().add(1f);
                    FloatVector sx = FloatVector.zero(S), sy = sx;
                    for (long ch = 0; ch < c; ch++) {
                        int base = in.off + (int) ((b * c + ch) * plane);
                        FloatVector go = FloatVector.fromMemorySegment(S, gradOutput,
                                (outRow + ch * outPlane + j) * 4, NATIVE);
                        FloatVector vNw = FloatVector.fromArray(S, in.a, base, idx, 0, t.mNw);
                        FloatVector vNe = FloatVector.fromArray(S, in.a, base, idx, L, t.mNe);
                        FloatVector vSw = FloatVector.fromArray(S, in.a, base, idx, 2 * L, t.mSw);
                        FloatVector vSe = FloatVector.fromArray(S, in.a, base, idx, 3 * L, t.mSe);
                        FloatVector dx = vSe.sub(vSw).fma(t.ty, vNe.sub(vNw).mul(oty));
                        FloatVector dy = vSe.sub(vNe).fma(t.tx, vSw.sub(vNw).mul(otx));
                        sx = dx.fma(go, sx);
                        sy = dy.fma(go, sy);
                        if (gin != null) {
                            // scatter in lane order, taps nw, ne, sw, se: the scalar kernel's order
                            t.wNw.mul(go).intoArray(wv, 0);
                            t.wNe.mul(go).intoArray(wv, L);
                            t.wSw.mul(go).intoArray(wv, 2 * L);
                            t.wSe.mul(go).intoArray(wv, 3 * L);
                            int gbase = gin.off + (int) ((b * c + ch) * plane);
                            for (int l = 0; l < L; l++) {
                                for (int k = 0; k < 4; k++) {
                                    if ((bits[k] >>> l & 1) != 0) gin.a[gbase + idx[k * L + l]] += wv[k * L + l];
                                }
                            }
                        }
                    }
                    sx.mul(mx[0]).intoArray(ggRow, 2 * j, EVEN, 0);
                    sy.mul(my[0]).intoArray(ggRow, 2 * j, ODD, 0);
                }
                // scalar tail
                for (; j < ow; j++) {
                    float x = Coords.sourceIndex(gxs[j], inW, pad, ac, smx);
                    float y = Coords.sourceIndex(gys[j], inH, pad, ac, smy);
                    float sx = 0f, sy = 0f;
                    for (long ch = 0; ch < c; ch++) {
                        int base = in.off + (int) ((b * c + ch) * plane);
                        int gbase = gin == null ? -1 : gin.off + (int) ((b * c + ch) * plane);
                        float go = gradOutput.getAtIndex(F, outRow + ch * outPlane + j);
                        if (nearest) {
                            long xi = (long) Math.rint(x), yi = (long) Math.rint(y);
                            if (gin != null && xi >= 0 && xi < inW && yi >= 0 && yi < inH) {
                                gin.a[gbase + (int) (yi * inW + xi)] += go;
                            }
                        } else {
                            bilinearBackward(in.a, base, gin == null ? null : gin.a, gbase, x, y, inH, inW, go, lane);
                            sx += lane[0];
                            sy += lane[1];
                        }
                    }
                    ggRow[2 * j] = nearest ? 0f : sx * smx[0];
                    ggRow[2 * j + 1] = nearest ? 0f : sy * smy[0];
                }
                if (gradGrid != null) MemorySegment.copy(ggRow, 0, gradGrid, F, gridRow * 4, 2 * ow);
            }
        }
        if (gin != null) gin.writeBack(gradInput);
    }

    /** The grid row starting at element {@code at}: x values into gxs, y values into gys. */
    private static void splitRow(MemorySegment grid, long at, float[] gxs, float[] gys) {
        for (int j = 0; j < gxs.length; j++) {
            gxs[j] = grid.getAtIndex(F, at + 2L * j);
            gys[j] = grid.getAtIndex(F, at + 2L * j + 1);
        }
    }

    /** Bilinear taps of L points: weights, masks, and the four offset blocks written into idx. */
    private static final class Taps {
        final FloatVector tx, ty, wNw, wNe, wSw, wSe;
        final VectorMask<Float> mNw, mNe, mSw, mSe;

        Taps(FloatVector x, FloatVector y, long inH, long inW, int[] idx) {
            FloatVector x0 = floor(x), y0 = floor(y);
            tx = x.sub(x0);
            ty = y.sub(y0);
            FloatVector otx = tx.neg().add(1f), oty = ty.neg().add(1f);
            wNw = otx.mul(oty);
            wNe = tx.mul(oty);
            wSw = otx.mul(ty);
            wSe = tx.mul(ty);
            VectorMask<Float> mx0 = x0.compare(VectorOperators.GE, 0f).and(x0.compare(VectorOperators.LT, (float) inW));
            VectorMask<Float> mx1 = x0.compare(VectorOperators.GE, -1f)
                    .and(x0.compare(VectorOperators.LT, (float) (inW - 1)));
            VectorMask<Float> my0 = y0.compare(VectorOperators.GE, 0f).and(y0.compare(VectorOperators.LT, (float) inH));
            VectorMask<Float> my1 = y0.compare(VectorOperators.GE, -1f)
                    .and(y0.compare(VectorOperators.LT, (float) (inH - 1)));
            mNw = my0.and(mx0);
            mNe = my0.and(mx1);
            mSw = my1.and(mx0);
            mSe = my1.and(mx1);
            int w = (int) inW;
            IntVector oNw = toInt(y0).mul(w).add(toInt(x0));
            // The JDK range-checks masked-off lanes of a gather too: point them at element 0.
            inside(oNw, mNw).intoArray(idx, 0);
            inside(oNw.add(1), mNe).intoArray(idx, L);
            inside(oNw.add(w), mSw).intoArray(idx, 2 * L);
            inside(oNw.add(w + 1), mSe).intoArray(idx, 3 * L);
        }
    }

    // ------------------------------------------------------------------ scalar tails (the spec's formulas)

    private static float bilinearValue(float[] a, int base, float x, float y, long inH, long inW) {
        float x0f = (float) Math.floor(x), y0f = (float) Math.floor(y);
        long x0 = (long) x0f, y0 = (long) y0f;
        float tx = x - x0f, ty = y - y0f;
        boolean inX0 = x0 >= 0 && x0 < inW, inX1 = x0 + 1 >= 0 && x0 + 1 < inW;
        boolean inY0 = y0 >= 0 && y0 < inH, inY1 = y0 + 1 >= 0 && y0 + 1 < inH;
        int o = base + (int) (y0 * inW + x0), w = (int) inW;
        float v = 0f;
        if (inY0 && inX0) v += (1f - tx) * (1f - ty) * a[o];
        if (inY0 && inX1) v += tx * (1f - ty) * a[o + 1];
        if (inY1 && inX0) v += (1f - tx) * ty * a[o + w];
        if (inY1 && inX1) v += tx * ty * a[o + w + 1];
        return v;
    }

    private static float nearestValue(float[] a, int base, float x, float y, long inH, long inW) {
        long xi = (long) Math.rint(x), yi = (long) Math.rint(y);
        return xi >= 0 && xi < inW && yi >= 0 && yi < inH ? a[base + (int) (yi * inW + xi)] : 0f;
    }

    /** One channel of one point: scatters into gin (may be null); out[0..1] = unscaled d/dx, d/dy. */
    private static void bilinearBackward(float[] a, int base, float[] gin, int gbase, float x, float y, long inH,
                                         long inW, float go, float[] out) {
        float x0f = (float) Math.floor(x), y0f = (float) Math.floor(y);
        long x0 = (long) x0f, y0 = (long) y0f;
        float tx = x - x0f, ty = y - y0f;
        boolean inX0 = x0 >= 0 && x0 < inW, inX1 = x0 + 1 >= 0 && x0 + 1 < inW;
        boolean inY0 = y0 >= 0 && y0 < inH, inY1 = y0 + 1 >= 0 && y0 + 1 < inH;
        boolean mNw = inY0 && inX0, mNe = inY0 && inX1, mSw = inY1 && inX0, mSe = inY1 && inX1;
        int o = (int) (y0 * inW + x0), w = (int) inW;
        float vNw = mNw ? a[base + o] : 0f, vNe = mNe ? a[base + o + 1] : 0f;
        float vSw = mSw ? a[base + o + w] : 0f, vSe = mSe ? a[base + o + w + 1] : 0f;
        out[0] = ((vNe - vNw) * (1f - ty) + (vSe - vSw) * ty) * go;
        out[1] = ((vSw - vNw) * (1f - tx) + (vSe - vNe) * tx) * go;
        if (gin != null) {
            if (mNw) gin[gbase + o] += (1f - tx) * (1f - ty) * go;
            if (mNe) gin[gbase + o + 1] += tx * (1f - ty) * go;
            if (mSw) gin[gbase + o + w] += (1f - tx) * ty * go;
            if (mSe) gin[gbase + o + w + 1] += tx * ty * go;
        }
    }
}
