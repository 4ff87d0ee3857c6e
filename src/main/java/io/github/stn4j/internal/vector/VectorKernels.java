package io.github.stn4j.internal.vector;

import io.github.stn4j.internal.Coords;
import io.github.stn4j.internal.JavaScalarKernels;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Java Vector API backend, at the JVM's preferred width (16 float lanes with AVX-512, 8 with AVX2, 4 with NEON;
 * nothing here assumes a lane count). Loaded by name only when {@code jdk.incubator.vector} is present.
 *
 * <p>NOTE: decomposition. As in the native tiled kernel, vectors compute the coordinates and taps of one output row, L
 * points at a time, into a per-thread scratch {@link Row} (offsets, weights, fractions, gradient multipliers); then
 * the channels are read through those taps straight from the tensors' segments (no copies). The Vector API gathers only
 * from Java arrays, so: a bilinear forward on a {@code float[]}-backed input with at most {@link #GATHER_CHANNELS}
 * channels gathers, L points per vector, channel-major over the row ({@link #gatherRow}), and so does one on an
 * off-heap input of that many channels, each sample first copied into a per-thread array ({@link #COPY_FLOATS});
 * with more channels a copied sample is read point-major ({@link #forwardRowArrays}); every other case reads each
 * point's channels point-major with scalar loads, or, for bilinear points whose four taps are all inside an off-heap
 * input, one two-lane load per pixel row ({@link #PAIR}), whose lanes then enter the spec's arithmetic in the spec's
 * order. The backward's input gradient is a scatter-add (lanes may hit the same pixel): always point-major scalar;
 * the bilinear backward of whole samples of up to {@link #COPY_FLOATS} floats runs on per-thread array copies of the
 * sample's input, output gradient and input gradient ({@link #backwardRowArrays}).
 * The lane-wise coordinate pipeline does the float operations of {@link Coords} in the same order (floor and
 * round-half-even are built from exact int conversions, which the Vector API lacks); every output value sums its taps
 * in the spec's order ({@link JavaScalarKernels#bilinearSum}), and the backward's accumulations run in the spec's order (point-major,
 * channel-minor), so results are bitwise those of {@link JavaScalarKernels}. No vector is ever stored in a field or
 * array (that boxes it on the heap): a call with warm scratch allocates nothing. A row's last partial vector of taps
 * is computed in full on padding (no scalar tail).
 * Channels last (NHWC), a point's taps hold its channels side by side: L channels per vector load, the same lane-wise
 * sums (see {@link #nhwcRow}); heap segments and fewer than L channels run the spec's loops (the same bits).
 * Vectorised here: affine grid 2-D, bilinear and nearest 2-D; bicubic and 3-D use the scalar Java kernels. Inputs
 * too large for int offsets (2^31 elements) or axes of 2^22 pixels or more also use the scalar kernels.
 */
public final class VectorKernels extends JavaScalarKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /**
     * Two float lanes: one load reads a pixel row's two bilinear taps (x0, x0 + 1) from a segment, with one bounds check
     * instead of two: scalar {@code getAtIndex} through the segments was this backend's bottleneck (docs/kernels.md,
     * "Vector API: row loads").
     */
    private static final VectorSpecies<Float> PAIR = FloatVector.SPECIES_64;
    /**
     * Bilinear forward gathers (float[] inputs only) up to this many channels; beyond, the point-major scalar loop.
     * Gathers run channel-major over an output row, so a point's input lines come back from L1 only while a row's
     * channels fit there (docs/kernels.md, "Vector API: gathers").
     */
    static final int GATHER_CHANNELS = 8;
    /**
     * A bilinear forward or backward not on float[] tensors copies each sample (when it holds at most this many
     * floats, 4 MB, and the call covers its every output row) into per-thread arrays and works there (gathers for at
     * most {@link #GATHER_CHANNELS} channels): the copies cost far less than the per-access checks of the segment
     * loads and stores they replace (docs/kernels.md, "Vector API: copied samples"). Larger samples, or calls on a
     * part of the rows, keep the row loads (PAIR).
     */
    static final int COPY_FLOATS = 1 << 20;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final int[] EVEN = new int[L], ODD = new int[L];

    static {
        for (int i = 0; i < L; i++) {
            EVEN[i] = 2 * i;
            ODD[i] = 2 * i + 1;
        }
    }

    /** n rounded up to whole vectors of L lanes: a row's tap arrays are computed and sized in whole vectors. */
    private static int wholeVectors(int n) {
        return (n + L - 1) / L * L;
    }

    /** Axes below 2^22 pixels (for the float rounding tricks) and planes below 2^24 (tap offsets exact in float). */
    private static boolean fits(long inH, long inW) {
        long limit = 1L << 22;
        return inH < limit && inW < limit && (inH + 3) * (inW + 3) < (1L << 24);
    }

    // ------------------------------------------------------------------ exact rounding helpers

    /** 1.5 * 2^23: adding and subtracting it rounds a float of magnitude up to 2^22 to an integer, half to even. */
    private static final float MAGIC = 0x1.8p23f;

    /**
     * Round half to even (Math.rint) for |x| <= 2^22, with two float additions. Float-only on purpose: C2 failed to
     * intrinsify this file's float-to-int conversions and int lanes (the species was not a compile-time constant
     * there), and every failed intrinsic runs the allocating Java fallback.
     */
    private static FloatVector rint(FloatVector x) {
        return x.add(MAGIC).sub(MAGIC);
    }

    /** Math.floor for |x| <= 2^22. */
    private static FloatVector floor(FloatVector x) {
        FloatVector r = rint(x);
        return r.sub(1f, r.compare(VectorOperators.GT, x));
    }

    /** Math.floor for 0 <= x < 2^23 (rounding at 2^23, where the spacing of floats is 1). */
    private static FloatVector floorNonNegative(FloatVector x) {
        FloatVector r = x.add(0x1p23f).sub(0x1p23f);
        return r.sub(1f, r.compare(VectorOperators.GT, x));
    }

    // ------------------------------------------------------------------ coordinate pipeline, lane-wise

    /*
     * Inlining rule for this file: C2 intrinsifies a Vector API call only when it knows the vector's exact class, and a
     * vector passed to or returned from a method that is not inlined is boxed (an object and an array per vector).
     * Methods over about 325 bytecodes are not inlined
     * when hot, so every larger step below takes and leaves its data in arrays and builds its own vectors from the
     * static species; only the tiny helpers above take vectors. Each step loops over a whole row's vectors itself:
     * C2 left these steps out of line, and a call per step and vector cost about 0.5 ms of imagenet's forward.
     */

    /**
     * Steps 1-3 of Coords for lanes [0, end) of {@code g}: the unpadded pixel coordinate into {@code x}, and
     * d(coordinate)/d(grid) into {@code mult} when it is not null.
     */
    private static void unnormalize(float[] g, float[] x, float[] mult, int end, long size, boolean ac) {
        for (int j = 0; j < end; j += L) {
            FloatVector v = FloatVector.fromArray(S, g, j);
            v = v.blend(-1f, v.test(VectorOperators.IS_NAN));
            float s = Coords.scale(size, ac);
            v = ac ? v.add(1f).mul(s) : v.add(1f).mul(s).sub(0.5f);
            VectorMask<Float> bad = v.test(VectorOperators.IS_NAN);
            v = v.blend(0f, bad);
            VectorMask<Float> far = bad.or(v.compare(VectorOperators.GT, Coords.FAR))
                    .or(v.compare(VectorOperators.LT, -Coords.FAR));
            v.max(-Coords.FAR).min(Coords.FAR).intoArray(x, j);
            if (mult != null) FloatVector.broadcast(S, s).blend(0f, far).intoArray(mult, j);
        }
    }

    /** Step 4 for REFLECTION, in place on lanes [0, end) of x (and mult when not null). */
    private static void reflect(float[] x, float[] mult, int end, long size, boolean ac) {
        for (int j = 0; j < end; j += L) {
            float lo = ac ? 0f : -0.5f;
            float span = ac ? (float) (size - 1) : (float) size;
            if (span <= 0f) {
                FloatVector.zero(S).intoArray(x, j);
                if (mult != null) FloatVector.zero(S).intoArray(mult, j);
                continue;
            }
            FloatVector d = FloatVector.fromArray(S, x, j).sub(lo);
            VectorMask<Float> neg = d.compare(VectorOperators.LT, 0f);
            d = d.abs();
            // d <= 2^22 + 0.5 (far values are clamped) and span >= 1: below 2^23
            FloatVector flips = floorNonNegative(d.div(span));
            FloatVector extra = d.sub(flips.mul(span));
            FloatVector half = flips.mul(0.5f);
            VectorMask<Float> odd = half.compare(VectorOperators.NE, floorNonNegative(half));
            extra.add(lo).blend(FloatVector.broadcast(S, span).sub(extra).add(lo), odd).intoArray(x, j);
            if (mult != null) {
                FloatVector m = FloatVector.fromArray(S, mult, j);
                m = m.blend(m.neg(), neg);
                m.blend(m.neg(), odd).intoArray(mult, j);
            }
        }
    }

    /** Step 5 (clamp for BORDER and REFLECTION) and the final safety clamp, in place on lanes [0, end). */
    private static void clamp(float[] x, float[] mult, int end, long size, PaddingMode pad) {
        for (int j = 0; j < end; j += L) {
            FloatVector v = FloatVector.fromArray(S, x, j);
            if (pad != PaddingMode.ZEROS) {
                float hi = (float) (size - 1);
                VectorMask<Float> atLo = v.compare(VectorOperators.LE, 0f);
                VectorMask<Float> atHi = v.compare(VectorOperators.GE, hi).andNot(atLo);
                v = v.blend(0f, atLo).blend(hi, atHi);
                if (mult != null) FloatVector.fromArray(S, mult, j).blend(0f, atLo.or(atHi)).intoArray(mult, j);
            }
            v.max(-2f).min((float) size + 1f).intoArray(x, j);
        }
    }

    /** Steps 1-5 of Coords (bilinear, nearest) for lanes [0, end): g -> x (and mult when not null). */
    private static void sourceIndex(float[] g, float[] x, float[] mult, int end, long size, PaddingMode pad,
                                    boolean ac) {
        unnormalize(g, x, mult, end, size, ac);
        if (pad == PaddingMode.REFLECTION) reflect(x, mult, end, size, ac);
        clamp(x, mult, end, size, pad);
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
        Row scratch = ROW.get().fit(2 * W); // no allocation once warm
        float[] bx = scratch.gx, row = scratch.gy;
        for (int j = 0; j < W; j++) bx[j] = Coords.baseCoord(j, W, ac);
        for (long b = 0; b < n; b++) {
            float t0 = theta.getAtIndex(F, b * 6), t1 = theta.getAtIndex(F, b * 6 + 1);
            float t2 = theta.getAtIndex(F, b * 6 + 2), t3 = theta.getAtIndex(F, b * 6 + 3);
            float t4 = theta.getAtIndex(F, b * 6 + 4), t5 = theta.getAtIndex(F, b * 6 + 5);
            for (long i = r0; i < r1; i++) {
                float y = Coords.baseCoord(i, h, ac);
                float cx = y * t1 + t2, cy = y * t4 + t5;
                // x*t0 + (y*t1 + t2), the spec's order (mul, then add), into the interleaved row. Scalar: with the
                // vector scatters (intoArray with EVEN / ODD) the copy below sometimes wrote a row's first vectors'
                // previous contents (SameBitsTest, in some JVMs only, once the grid sampler shared the JIT's time)
                for (int j = 0; j < W; j++) {
                    row[2 * j] = bx[j] * t0 + cx;
                    row[2 * j + 1] = bx[j] * t3 + cy;
                }
                MemorySegment.copy(row, 0, grid, F, ((b * h + i) * w) * 2 * 4, 2 * W);
            }
        }
    }

    @Override
    public void affineGridBackward(MemorySegment gradGrid, MemorySegment gradTheta, long n, long h, long w,
                                   boolean ac) {
        if (2 * w > Integer.MAX_VALUE - 64 || SUM_LANES % L != 0) {
            super.affineGridBackward(gradGrid, gradTheta, n, h, w, ac);
            return;
        }
        int W = (int) w, body = W - W % SUM_LANES;
        Row scratch = ROW.get().fit(2 * W); // no allocation once warm
        float[] bx = scratch.gx, row = scratch.gy, lanes = scratch.lanes16;
        for (int j = 0; j < W; j++) bx[j] = Coords.baseCoord(j, W, ac);
        for (long b = 0; b < n; b++) {
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0;
            for (long i = 0; i < h; i++) {
                float y = Coords.baseCoord(i, h, ac);
                MemorySegment.copy(gradGrid, F, ((b * h + i) * w) * 2 * 4, row, 0, 2 * W);
                // the spec's 16 lanes (sumLanes), SUM_LANES / L vectors of them, accumulated in the lanes array (a
                // vector kept in an array would be boxed): lane k of part q sums the terms j = q L + k mod 16
                java.util.Arrays.fill(lanes, 0f);
                for (int j = 0; j < body; j += SUM_LANES) {
                    for (int q = 0; q < SUM_LANES; q += L) {
                        FloatVector x = FloatVector.fromArray(S, bx, j + q);
                        FloatVector gx = FloatVector.fromArray(S, row, 2 * (j + q), EVEN, 0);
                        FloatVector gy = FloatVector.fromArray(S, row, 2 * (j + q), ODD, 0);
                        FloatVector.fromArray(S, lanes, q).add(gx.mul(x)).intoArray(lanes, q);
                        FloatVector.fromArray(S, lanes, SUM_LANES + q).add(gx).intoArray(lanes, SUM_LANES + q);
                        FloatVector.fromArray(S, lanes, 2 * SUM_LANES + q).add(gy.mul(x))
                                .intoArray(lanes, 2 * SUM_LANES + q);
                        FloatVector.fromArray(S, lanes, 3 * SUM_LANES + q).add(gy).intoArray(lanes, 3 * SUM_LANES + q);
                    }
                }
                float sxx = sumLanes(lanes, 0), sx1 = sumLanes(lanes, SUM_LANES);
                float syx = sumLanes(lanes, 2 * SUM_LANES), sy1 = sumLanes(lanes, 3 * SUM_LANES);
                for (int j = body; j < W; j++) {
                    sxx += row[2 * j] * bx[j];
                    sx1 += row[2 * j];
                    syx += row[2 * j + 1] * bx[j];
                    sy1 += row[2 * j + 1];
                }
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

    // ------------------------------------------------------------------ grid sample 2-D

    /** Per-thread scratch for one output row's taps: reused across calls, so a call allocates nothing. */
    private static final class Row {
        int cap = -1;
        float[] gx, gy, x, y, x0, y0, w0, w1, w2, w3, tx, ty, mx, my;
        float[] o0, o1, o2, o3; // tap offsets as exact floats (see bilinearTaps), -1 outside
        int[] i0, i1, i2, i3; // the same as ints, for gathers (heap inputs)
        final float[] lanes = new float[L];
        final float[] lanes16 = new float[4 * SUM_LANES]; // the affine grid backward's four lane sums
        final HeapArray inArray = new HeapArray(), outArray = new HeapArray();
        // copied samples (see COPY_FLOATS) of the input, gradOutput and gradInput, kept for the next call
        float[] sample = new float[0], gradOutput = new float[0], gradInput = new float[0];
        float[] gradGridRow; // a row's grid gradient, interleaved

        float[] outputRows = new float[0]; // a forward's output row, all channels (see forwardRowArrays)

        float[] outputRows(int floats) {
            if (outputRows.length < floats) outputRows = new float[floats];
            return outputRows;
        }

        float[] sample(int floats) {
            if (sample.length < floats) sample = new float[floats];
            return sample;
        }

        float[] gradOutput(int floats) {
            if (gradOutput.length < floats) gradOutput = new float[floats];
            return gradOutput;
        }

        float[] gradInput(int floats) {
            if (gradInput.length < floats) gradInput = new float[floats];
            return gradInput;
        }

        /** Room for n points, rounded up to whole vectors (rowTaps computes the last partial vector in full). */
        Row fit(int n) {
            n = wholeVectors(n);
            if (n > cap) {
                cap = n;
                gx = new float[n];
                gy = new float[n];
                x = new float[n];
                y = new float[n];
                x0 = new float[n];
                y0 = new float[n];
                w0 = new float[n];
                w1 = new float[n];
                w2 = new float[n];
                w3 = new float[n];
                tx = new float[n];
                ty = new float[n];
                gradGridRow = new float[2 * n];
                mx = new float[n];
                my = new float[n];
                o0 = new float[n];
                o1 = new float[n];
                o2 = new float[n];
                o3 = new float[n];
                i0 = new int[n];
                i1 = new int[n];
                i2 = new int[n];
                i3 = new int[n];
            }
            return this;
        }
    }

    private static final ThreadLocal<Row> ROW = ThreadLocal.withInitial(Row::new);

    private static boolean vectorised(Mode mode, long inH, long inW, long outW) {
        return mode != Mode.BICUBIC && fits(inH, inW) && outW < Integer.MAX_VALUE / 4;
    }

    @Override
    public void gridSample(MemorySegment input, MemorySegment grid, MemorySegment output, long n, long c, long inH,
                           long inW, long outH, long outW, Mode mode, PaddingMode padding, boolean ac, long r0,
                           long r1) {
        if (!vectorised(mode, inH, inW, outW)) {
            super.gridSample(input, grid, output, n, c, inH, inW, outH, outW, mode, padding, ac, r0, r1);
            return;
        }
        int ow = (int) outW;
        Row t = ROW.get().fit(ow);
        long plane = inH * inW, outPlane = outH * outW;
        boolean nearest = mode == Mode.NEAREST;
        float[] heap = c <= GATHER_CHANNELS ? t.inArray.of(input) : null;
        float[] outArray = heap == null ? null : t.outArray.of(output);
        // inputs the gathers cannot take as they are (off-heap, or too many channels): copied sample by sample
        boolean copied = heap == null && !nearest && c * plane <= COPY_FLOATS && c * ow <= COPY_FLOATS && r0 == 0
                && r1 == outH;
        float[] sample = copied ? t.sample((int) (c * plane)) : null;
        if (copied && c <= GATHER_CHANNELS) heap = sample;
        for (long b = 0; b < n; b++) {
            if (copied) MemorySegment.copy(input, F, b * c * plane * 4, sample, 0, (int) (c * plane));
            for (long i = r0; i < r1; i++) {
                rowTaps(t, grid, ((b * outH + i) * outW) * 2, ow, inH, inW, padding, ac, mode, false);
                long inB = b * c * plane, outRow = b * c * outPlane + i * outW;
                if (copied && heap == null) {
                    forwardRowArrays(t, sample, output, ow, (int) c, (int) plane, outPlane, outRow);
                    continue;
                }
                if (heap != null && !nearest) {
                    // a float[] input: gathers, L points per vector (see gatherRow)
                    int end = wholeVectors(ow);
                    // index 0 for a tap outside: the gather's mask skips it, but the Vector API bounds-checks
                    // every lane's index, masked or not
                    for (int j = 0; j < end; j++) {
                        t.i0[j] = Math.max(0, (int) t.o0[j]);
                        t.i1[j] = Math.max(0, (int) t.o1[j]);
                        t.i2[j] = Math.max(0, (int) t.o2[j]);
                        t.i3[j] = Math.max(0, (int) t.o3[j]);
                    }
                    int first = copied ? 0 : (int) (input.address() / 4 + inB);
                    for (long ch = 0; ch < c; ch++) {
                        long outAt = (outRow + ch * outPlane) * 4;
                        gatherRow(heap, first + (int) (ch * plane), t, ow, output, outArray, outAt);
                    }
                    continue;
                }
                // point-major, channel-minor with scalar loads through the taps: the spec's order, so the same bits
                for (int j = 0; nearest && j < ow; j++) {
                    int o0 = (int) t.o0[j];
                    for (long ch = 0; ch < c; ch++) {
                        float v = o0 >= 0 ? input.getAtIndex(F, inB + ch * plane + o0) : 0f;
                        output.setAtIndex(F, outRow + ch * outPlane + j, v);
                    }
                }
                long rowBytes = inW * 4;
                boolean rows = input.isNative(); // the Vector API loads from heap segments of byte[] only
                for (int j = 0; !nearest && j < ow; j++) {
                    int o0 = (int) t.o0[j], o1 = (int) t.o1[j], o2 = (int) t.o2[j], o3 = (int) t.o3[j];
                    float w0 = t.w0[j], w1 = t.w1[j], w2 = t.w2[j], w3 = t.w3[j];
                    if (rows && (o0 | o1 | o2 | o3) >= 0) {
                        // all four taps inside: two row loads per channel; the sum in the spec's order and bits
                        long at = (inB + o0) * 4, to = (outRow + j) * 4;
                        for (long ch = 0; ch < c; ch++, at += plane * 4, to += outPlane * 4) {
                            FloatVector north = FloatVector.fromMemorySegment(PAIR, input, at, NATIVE);
                            FloatVector south = FloatVector.fromMemorySegment(PAIR, input, at + rowBytes, NATIVE);
                            float nw = north.lane(0), ne = north.lane(1), sw = south.lane(0), se = south.lane(1);
                            output.set(F, to, (w0 * nw + w2 * sw) + (w1 * ne + w3 * se)); // bilinearSum
                        }
                        continue;
                    }
                    for (long ch = 0; ch < c; ch++) {
                        long base = inB + ch * plane;
                        float v = bilinearSum(w0, w1, w2, w3, o0 >= 0 ? input.getAtIndex(F, base + o0) : 0f,
                                o1 >= 0 ? input.getAtIndex(F, base + o1) : 0f,
                                o2 >= 0 ? input.getAtIndex(F, base + o2) : 0f,
                                o3 >= 0 ? input.getAtIndex(F, base + o3) : 0f);
                        output.setAtIndex(F, outRow + ch * outPlane + j, v);
                    }
                }
            }
        }
    }

    /** Its own backward kernels, not the specification's: no banded variant of them (yet). */
    @Override
    public boolean bandedBackward() {
        return false;
    }

    @Override
    public void gridSampleBackward(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                   MemorySegment gradInput, MemorySegment gradGrid, long n, long c, long inH, long inW,
                                   long outH, long outW, Mode mode, PaddingMode padding, boolean ac, long r0,
                                   long r1) {
        if (!vectorised(mode, inH, inW, outW)) {
            super.gridSampleBackward(gradOutput, input, grid, gradInput, gradGrid, n, c, inH, inW, outH, outW, mode,
                    padding, ac, r0, r1);
            return;
        }
        int ow = (int) outW;
        Row t = ROW.get().fit(ow);
        long plane = inH * inW, outPlane = outH * outW;
        boolean nearest = mode == Mode.NEAREST;
        // whole samples of at most COPY_FLOATS floats per tensor: worked on in per-thread arrays (backwardRowArrays)
        boolean copied = !nearest && r0 == 0 && r1 == outH && c * Math.max(plane, outPlane) <= COPY_FLOATS;
        int cPlane = (int) (c * plane), cOutPlane = (int) (c * outPlane);
        float[] in = copied ? t.sample(cPlane) : null, go = copied ? t.gradOutput(cOutPlane) : null;
        float[] gin = copied && gradInput != null ? t.gradInput(cPlane) : null;
        for (long b = 0; b < n; b++) {
            if (copied) {
                MemorySegment.copy(input, F, b * cPlane * 4L, in, 0, cPlane);
                MemorySegment.copy(gradOutput, F, b * cOutPlane * 4L, go, 0, cOutPlane);
                if (gin != null) MemorySegment.copy(gradInput, F, b * cPlane * 4L, gin, 0, cPlane);
                for (long i = 0; i < outH; i++) {
                    long gridRow = ((b * outH + i) * outW) * 2;
                    rowTaps(t, grid, gridRow, ow, inH, inW, padding, ac, mode, gradGrid != null);
                    backwardRowArrays(t, go, in, gin, gradGrid, ow, (int) c, (int) plane, (int) outPlane,
                            (int) (i * outW), gridRow);
                }
                if (gin != null) MemorySegment.copy(gin, 0, gradInput, F, b * cPlane * 4L, cPlane);
                continue;
            }
            for (long i = r0; i < r1; i++) {
                long gridRow = ((b * outH + i) * outW) * 2;
                rowTaps(t, grid, gridRow, ow, inH, inW, padding, ac, mode, gradGrid != null);
                backwardRow(t, gradOutput, input, gradInput, gradGrid, ow, c, plane, outPlane, b * c * plane,
                        b * c * outPlane + i * outW, gridRow, inW * 4, nearest);
            }
        }
    }

    /**
     * The backward's channel loops for one output row whose taps are in {@code t}. A method of its own, compiled with
     * its own inlining budget: inlined into gridSampleBackward, C2 compiled this loop two to four times slower in some
     * JVMs than in others (docs/kernels.md, "Vector API: the backward's row loop").
     */
    private static void backwardRow(Row t, MemorySegment gradOutput, MemorySegment input, MemorySegment gradInput,
                                    MemorySegment gradGrid, int ow, long c, long plane, long outPlane, long inB,
                                    long outRow, long gridRow, long rowBytes, boolean nearest) {
        boolean rows = !nearest && input.isNative(); // row loads: see PAIR
        for (int j = 0; j < ow; j++) {
            int o0 = (int) t.o0[j], o1 = (int) t.o1[j], o2 = (int) t.o2[j], o3 = (int) t.o3[j];
            float w0 = t.w0[j], w1 = t.w1[j], w2 = t.w2[j], w3 = t.w3[j];
            float tx = t.tx[j], ty = t.ty[j];
            float sx = 0f, sy = 0f; // d loss / d (pixel x, pixel y), summed over channels
            boolean inside = rows && (o0 | o1 | o2 | o3) >= 0;
            // all four taps inside: two row loads per channel, then the spec's arithmetic in its order
            for (long ch = 0; inside && ch < c; ch++) {
                long base = inB + ch * plane;
                float go = gradOutput.getAtIndex(F, outRow + ch * outPlane + j);
                FloatVector north = FloatVector.fromMemorySegment(PAIR, input, (base + o0) * 4, NATIVE);
                FloatVector south = FloatVector.fromMemorySegment(PAIR, input, (base + o0) * 4 + rowBytes,
                        NATIVE);
                float vNw = north.lane(0), vNe = north.lane(1), vSw = south.lane(0), vSe = south.lane(1);
                sx += ((vNe - vNw) * (1f - ty) + (vSe - vSw) * ty) * go;
                sy += ((vSw - vNw) * (1f - tx) + (vSe - vNe) * tx) * go;
                if (gradInput != null) {
                    add(gradInput, base + o0, w0 * go);
                    add(gradInput, base + o1, w1 * go);
                    add(gradInput, base + o2, w2 * go);
                    add(gradInput, base + o3, w3 * go);
                }
            }
            for (long ch = 0; !inside && ch < c; ch++) {
                long base = inB + ch * plane;
                float go = gradOutput.getAtIndex(F, outRow + ch * outPlane + j);
                if (nearest) {
                    if (gradInput != null && o0 >= 0) add(gradInput, base + o0, go);
                    continue;
                }
                float vNw = o0 >= 0 ? input.getAtIndex(F, base + o0) : 0f;
                float vNe = o1 >= 0 ? input.getAtIndex(F, base + o1) : 0f;
                float vSw = o2 >= 0 ? input.getAtIndex(F, base + o2) : 0f;
                float vSe = o3 >= 0 ? input.getAtIndex(F, base + o3) : 0f;
                sx += ((vNe - vNw) * (1f - ty) + (vSe - vSw) * ty) * go;
                sy += ((vSw - vNw) * (1f - tx) + (vSe - vNe) * tx) * go;
                if (gradInput != null) {
                    if (o0 >= 0) add(gradInput, base + o0, w0 * go);
                    if (o1 >= 0) add(gradInput, base + o1, w1 * go);
                    if (o2 >= 0) add(gradInput, base + o2, w2 * go);
                    if (o3 >= 0) add(gradInput, base + o3, w3 * go);
                }
            }
            if (gradGrid != null) {
                gradGrid.setAtIndex(F, gridRow + 2L * j, nearest ? 0f : sx * t.mx[j]);
                gradGrid.setAtIndex(F, gridRow + 2L * j + 1, nearest ? 0f : sy * t.my[j]);
            }
        }
    }

    /**
     * One output row of a bilinear forward from a copied sample (more channels than the gathers take): point-major,
     * the spec's sum, the row's values staged per channel and written with one copy each.
     */
    private static void forwardRowArrays(Row t, float[] in, MemorySegment output, int ow, int c, int plane,
                                         long outPlane, long outRow) {
        float[] out = t.outputRows(c * ow);
        for (int j = 0; j < ow; j++) {
            int o0 = (int) t.o0[j], o1 = (int) t.o1[j], o2 = (int) t.o2[j], o3 = (int) t.o3[j];
            float w0 = t.w0[j], w1 = t.w1[j], w2 = t.w2[j], w3 = t.w3[j];
            if ((o0 | o1 | o2 | o3) >= 0) {
                for (int ch = 0, base = 0, k = j; ch < c; ch++, base += plane, k += ow) {
                    out[k] = bilinearSum(w0, w1, w2, w3, in[base + o0], in[base + o1], in[base + o2], in[base + o3]);
                }
                continue;
            }
            for (int ch = 0, base = 0, k = j; ch < c; ch++, base += plane, k += ow) {
                out[k] = bilinearSum(w0, w1, w2, w3, o0 >= 0 ? in[base + o0] : 0f, o1 >= 0 ? in[base + o1] : 0f,
                        o2 >= 0 ? in[base + o2] : 0f, o3 >= 0 ? in[base + o3] : 0f);
            }
        }
        for (int ch = 0; ch < c; ch++) MemorySegment.copy(out, ch * ow, output, F, (outRow + ch * outPlane) * 4, ow);
    }

    /**
     * {@link #backwardRow} (bilinear) on one sample's tensors copied into arrays: the same operations in the same
     * order, without the per-access checks of segment loads and stores, which cost more than copying the sample in
     * and its input gradient out (docs/kernels.md, "Vector API: copied samples"). The row's grid gradient is staged in
     * an array and written with one copy.
     */
    private static void backwardRowArrays(Row t, float[] go, float[] in, float[] gin, MemorySegment gradGrid, int ow,
                                          int c, int plane, int outPlane, int rowAt, long gridRow) {
        float[] gg = t.gradGridRow;
        for (int j = 0; j < ow; j++) {
            int o0 = (int) t.o0[j], o1 = (int) t.o1[j], o2 = (int) t.o2[j], o3 = (int) t.o3[j];
            float w0 = t.w0[j], w1 = t.w1[j], w2 = t.w2[j], w3 = t.w3[j];
            float tx = t.tx[j], ty = t.ty[j];
            float sx = 0f, sy = 0f; // d loss / d (pixel x, pixel y), summed over channels
            if ((o0 | o1 | o2 | o3) >= 0) {
                for (int ch = 0, base = 0, at = rowAt + j; ch < c; ch++, base += plane, at += outPlane) {
                    float g = go[at];
                    float vNw = in[base + o0], vNe = in[base + o1], vSw = in[base + o2], vSe = in[base + o3];
                    sx += ((vNe - vNw) * (1f - ty) + (vSe - vSw) * ty) * g;
                    sy += ((vSw - vNw) * (1f - tx) + (vSe - vNe) * tx) * g;
                    if (gin != null) {
                        gin[base + o0] += w0 * g;
                        gin[base + o1] += w1 * g;
                        gin[base + o2] += w2 * g;
                        gin[base + o3] += w3 * g;
                    }
                }
            } else {
                for (int ch = 0, base = 0, at = rowAt + j; ch < c; ch++, base += plane, at += outPlane) {
                    float g = go[at];
                    float vNw = o0 >= 0 ? in[base + o0] : 0f, vNe = o1 >= 0 ? in[base + o1] : 0f;
                    float vSw = o2 >= 0 ? in[base + o2] : 0f, vSe = o3 >= 0 ? in[base + o3] : 0f;
                    sx += ((vNe - vNw) * (1f - ty) + (vSe - vSw) * ty) * g;
                    sy += ((vSw - vNw) * (1f - tx) + (vSe - vNe) * tx) * g;
                    if (gin != null) {
                        if (o0 >= 0) gin[base + o0] += w0 * g;
                        if (o1 >= 0) gin[base + o1] += w1 * g;
                        if (o2 >= 0) gin[base + o2] += w2 * g;
                        if (o3 >= 0) gin[base + o3] += w3 * g;
                    }
                }
            }
            gg[2 * j] = sx * t.mx[j];
            gg[2 * j + 1] = sy * t.my[j];
        }
        if (gradGrid != null) MemorySegment.copy(gg, 0, gradGrid, F, gridRow * 4, 2 * ow);
    }

    // ------------------------------------------------------------------ grid sample 2-D, channels last

    /**
     * Whether a channels-last call runs here: bilinear or nearest with the same limits as NCHW, at least one vector of
     * channels, and native segments (vector loads and stores from heap segments take byte[] only). Otherwise the
     * spec's loops, which give the same bits.
     */
    private static boolean vectorisedNhwc(Mode mode, long c, long inH, long inW, long outW, MemorySegment in,
                                          MemorySegment out) {
        return vectorised(mode, inH, inW, outW) && c >= L && in.isNative() && (out == null || out.isNative());
    }

    @Override
    public void gridSampleNhwc(MemorySegment input, MemorySegment grid, MemorySegment output, long n, long c, long inH,
                               long inW, long outH, long outW, Mode mode, PaddingMode padding, boolean ac, long r0,
                               long r1) {
        if (!vectorisedNhwc(mode, c, inH, inW, outW, input, output)) {
            super.gridSampleNhwc(input, grid, output, n, c, inH, inW, outH, outW, mode, padding, ac, r0, r1);
            return;
        }
        int ow = (int) outW;
        Row t = ROW.get().fit(ow);
        for (long b = 0; b < n; b++) {
            for (long i = r0; i < r1; i++) {
                long row = (b * outH + i) * outW;
                rowTaps(t, grid, row * 2, ow, inH, inW, padding, ac, mode, false);
                nhwcRow(t, input, output, ow, c, b * inH * inW * c, row * c, mode == Mode.NEAREST);
            }
        }
    }

    /**
     * One output row, channels last: per point, its taps' channels are contiguous, so L channels per vector load. A
     * bilinear point whose four taps are inside sums 0 + w0 v0 + w1 v1 + w2 v2 + w3 v3 lane-wise (the spec's
     * operations and order); points with a tap outside, and the channels past the last whole vector, run the spec's
     * scalar loop.
     */
    private static void nhwcRow(Row t, MemorySegment in, MemorySegment out, int ow, long c, long inB, long outRow,
                                boolean nearest) {
        long whole = c - c % L;
        for (int j = 0; j < ow; j++) {
            long o = outRow + j * c;
            int o0 = (int) t.o0[j];
            if (nearest) {
                if (o0 >= 0) MemorySegment.copy(in, (inB + o0 * c) * 4, out, o * 4, c * 4);
                else for (long ch = 0; ch < c; ch++) out.setAtIndex(F, o + ch, 0f);
                continue;
            }
            int o1 = (int) t.o1[j], o2 = (int) t.o2[j], o3 = (int) t.o3[j];
            float w0 = t.w0[j], w1 = t.w1[j], w2 = t.w2[j], w3 = t.w3[j];
            long a0 = inB + o0 * c, a1 = inB + o1 * c, a2 = inB + o2 * c, a3 = inB + o3 * c;
            long ch = 0;
            // vector body: all four taps inside
            for (; (o0 | o1 | o2 | o3) >= 0 && ch < whole; ch += L) { // bilinearSum's order, lane-wise
                FloatVector nw = FloatVector.fromMemorySegment(S, in, (a0 + ch) * 4, NATIVE).mul(w0);
                FloatVector ne = FloatVector.fromMemorySegment(S, in, (a1 + ch) * 4, NATIVE).mul(w1);
                FloatVector sw = FloatVector.fromMemorySegment(S, in, (a2 + ch) * 4, NATIVE).mul(w2);
                FloatVector se = FloatVector.fromMemorySegment(S, in, (a3 + ch) * 4, NATIVE).mul(w3);
                nw.add(sw).add(ne.add(se)).intoMemorySegment(out, (o + ch) * 4, NATIVE);
            }
            // scalar tail (and points with a tap outside, which read 0)
            for (; ch < c; ch++) {
                out.setAtIndex(F, o + ch, bilinearSum(w0, w1, w2, w3, o0 >= 0 ? in.getAtIndex(F, a0 + ch) : 0f,
                        o1 >= 0 ? in.getAtIndex(F, a1 + ch) : 0f, o2 >= 0 ? in.getAtIndex(F, a2 + ch) : 0f,
                        o3 >= 0 ? in.getAtIndex(F, a3 + ch) : 0f));
            }
        }
    }

    @Override
    public void gridSampleBackwardNhwc(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                       MemorySegment gradInput, MemorySegment gradGrid, long n, long c, long inH,
                                       long inW, long outH, long outW, Mode mode, PaddingMode padding, boolean ac,
                                       long r0, long r1) {
        if (!vectorisedNhwc(mode, c, inH, inW, outW, input, gradInput) || !gradOutput.isNative()) {
            super.gridSampleBackwardNhwc(gradOutput, input, grid, gradInput, gradGrid, n, c, inH, inW, outH, outW,
                    mode, padding, ac, r0, r1);
            return;
        }
        int ow = (int) outW;
        Row t = ROW.get().fit(ow);
        for (long b = 0; b < n; b++) {
            for (long i = r0; i < r1; i++) {
                long row = (b * outH + i) * outW;
                rowTaps(t, grid, row * 2, ow, inH, inW, padding, ac, mode, gradGrid != null);
                nhwcBackwardRow(t, gradOutput, input, gradInput, gradGrid, ow, c, b * inH * inW * c, row,
                        mode == Mode.NEAREST);
            }
        }
    }

    /**
     * The backward of one output row, channels last. The grid gradient's channel sums stay scalar (a vector sum would
     * reorder them); the input gradient's adds, one per tap and channel, run L channels per vector (a point's taps are
     * distinct pixels, so each element still receives its terms in point order).
     */
    private static void nhwcBackwardRow(Row t, MemorySegment gradOutput, MemorySegment input, MemorySegment gradInput,
                                        MemorySegment gradGrid, int ow, long c, long inB, long row, boolean nearest) {
        for (int j = 0; j < ow; j++) {
            long go = (row + j) * c;
            int o0 = (int) t.o0[j], o1 = (int) t.o1[j], o2 = (int) t.o2[j], o3 = (int) t.o3[j];
            float sx = 0f, sy = 0f;
            if (nearest) {
                if (gradInput != null && o0 >= 0) addScaled(gradInput, inB + o0 * c, gradOutput, go, 1f, c, true);
            } else {
                float tx = t.tx[j], ty = t.ty[j];
                long a0 = inB + o0 * c, a1 = inB + o1 * c, a2 = inB + o2 * c, a3 = inB + o3 * c;
                for (long ch = 0; ch < c; ch++) {
                    float g = gradOutput.getAtIndex(F, go + ch);
                    float vNw = o0 >= 0 ? input.getAtIndex(F, a0 + ch) : 0f;
                    float vNe = o1 >= 0 ? input.getAtIndex(F, a1 + ch) : 0f;
                    float vSw = o2 >= 0 ? input.getAtIndex(F, a2 + ch) : 0f;
                    float vSe = o3 >= 0 ? input.getAtIndex(F, a3 + ch) : 0f;
                    sx += ((vNe - vNw) * (1f - ty) + (vSe - vSw) * ty) * g;
                    sy += ((vSw - vNw) * (1f - tx) + (vSe - vNe) * tx) * g;
                }
                if (gradInput != null) {
                    if (o0 >= 0) addScaled(gradInput, a0, gradOutput, go, t.w0[j], c, false);
                    if (o1 >= 0) addScaled(gradInput, a1, gradOutput, go, t.w1[j], c, false);
                    if (o2 >= 0) addScaled(gradInput, a2, gradOutput, go, t.w2[j], c, false);
                    if (o3 >= 0) addScaled(gradInput, a3, gradOutput, go, t.w3[j], c, false);
                }
            }
            if (gradGrid != null) {
                gradGrid.setAtIndex(F, (row + j) * 2, nearest ? 0f : sx * t.mx[j]);
                gradGrid.setAtIndex(F, (row + j) * 2 + 1, nearest ? 0f : sy * t.my[j]);
            }
        }
    }

    /**
     * gin[at + ch] += w * go[from + ch] for the c channels ({@code plain}: += go[from + ch], nearest's add, with no
     * product), L channels per vector, then a scalar tail.
     */
    private static void addScaled(MemorySegment gin, long at, MemorySegment go, long from, float w, long c,
                                  boolean plain) {
        long whole = c - c % L, ch = 0;
        for (; ch < whole; ch += L) {
            FloatVector g = FloatVector.fromMemorySegment(S, go, (from + ch) * 4, NATIVE);
            FloatVector.fromMemorySegment(S, gin, (at + ch) * 4, NATIVE).add(plain ? g : g.mul(w))
                    .intoMemorySegment(gin, (at + ch) * 4, NATIVE);
        }
        for (; ch < c; ch++) {
            float g = go.getAtIndex(F, from + ch);
            gin.setAtIndex(F, at + ch, gin.getAtIndex(F, at + ch) + (plain ? g : w * g));
        }
    }

    /**
     * The float[] behind the last segment seen (null: not a writable, element-aligned heap segment of floats), held
     * weakly so that a dropped tensor's array does not stay reachable. MemorySegment.heapBase() returns a new Optional
     * that C2 did not eliminate here (16 bytes per call and tensor); repeated calls pass the same segment object.
     */
    private static final class HeapArray {
        private WeakReference<MemorySegment> segment = new WeakReference<>(null);
        private WeakReference<float[]> array = new WeakReference<>(null);

        float[] of(MemorySegment s) {
            if (segment.get() == s) return array.get();
            Object base = s.isNative() ? null : s.heapBase().orElse(null); // empty when read-only
            float[] a = base instanceof float[] f && s.address() % 4 == 0 ? f : null;
            segment = new WeakReference<>(s);
            array = new WeakReference<>(a);
            return a;
        }
    }

    /**
     * One output row of one channel from a float[] input: per L points, four masked gathers (a tap outside reads 0)
     * and the spec's sum (bilinearSum) lane-wise, in its order. A tap outside reads 0, as in the spec, so the lanes
     * keep the spec's bits.
     */
    private static void gatherRow(float[] a, int first, Row t, int ow, MemorySegment out, float[] outArray,
                                  long outAt) {
        boolean direct = out.isNative();
        int outFirst = outArray == null ? 0 : (int) ((out.address() + outAt) / 4);
        for (int j = 0; j < ow; j += L) {
            VectorMask<Float> m0 = FloatVector.fromArray(S, t.o0, j).compare(VectorOperators.GE, 0f);
            VectorMask<Float> m1 = FloatVector.fromArray(S, t.o1, j).compare(VectorOperators.GE, 0f);
            VectorMask<Float> m2 = FloatVector.fromArray(S, t.o2, j).compare(VectorOperators.GE, 0f);
            VectorMask<Float> m3 = FloatVector.fromArray(S, t.o3, j).compare(VectorOperators.GE, 0f);
            FloatVector nw = FloatVector.fromArray(S, t.w0, j).mul(FloatVector.fromArray(S, a, first, t.i0, j, m0));
            FloatVector ne = FloatVector.fromArray(S, t.w1, j).mul(FloatVector.fromArray(S, a, first, t.i1, j, m1));
            FloatVector sw = FloatVector.fromArray(S, t.w2, j).mul(FloatVector.fromArray(S, a, first, t.i2, j, m2));
            FloatVector se = FloatVector.fromArray(S, t.w3, j).mul(FloatVector.fromArray(S, a, first, t.i3, j, m3));
            FloatVector v = nw.add(sw).add(ne.add(se)); // bilinearSum's order
            if (j + L > ow) {
                // a partial vector through scratch: masked stores that reach past the array's or segment's end take
                // an allocating path (16-32 bytes per call: the last row of the last channel)
                v.intoArray(t.lanes, 0);
                MemorySegment.copy(t.lanes, 0, out, F, outAt + 4L * j, ow - j);
            } else if (direct) {
                v.intoMemorySegment(out, outAt + 4L * j, NATIVE);
            } else if (outArray != null) {
                v.intoArray(outArray, outFirst + j);
            } else { // a heap segment of another array type: the Vector API cannot store into it
                v.intoArray(t.lanes, 0);
                MemorySegment.copy(t.lanes, 0, out, F, outAt + 4L * j, L);
            }
        }
    }

    private static void add(MemorySegment s, long index, float v) {
        s.setAtIndex(F, index, s.getAtIndex(F, index) + v);
    }

    /**
     * The taps of one output row into {@code t}: offsets in the plane (-1 for a tap outside; nearest uses o0 only),
     * weights, fractions and, when {@code grads}, the coordinate multipliers. Vectors of L points, the last one padded
     * with grid value 0 (its extra lanes are computed and never read): a scalar tail would be 12 of mnist's 28 points
     * per row.
     */
    private static void rowTaps(Row t, MemorySegment grid, long at, int ow, long inH, long inW, PaddingMode pad,
                                boolean ac, Mode mode, boolean grads) {
        for (int j = 0; j < ow; j++) {
            t.gx[j] = grid.getAtIndex(F, at + 2L * j);
            t.gy[j] = grid.getAtIndex(F, at + 2L * j + 1);
        }
        int end = wholeVectors(ow); // within Row.fit's capacity
        for (int j = ow; j < end; j++) t.gx[j] = t.gy[j] = 0f;
        boolean nearest = mode == Mode.NEAREST;
        sourceIndex(t.gx, t.x, grads ? t.mx : null, end, inW, pad, ac);
        sourceIndex(t.gy, t.y, grads ? t.my : null, end, inH, pad, ac);
        if (nearest) nearestTaps(t, end, inH, inW);
        else bilinearTaps(t, end, inH, inW);
    }

    /** Nearest taps of lanes [0, end) from t.x, t.y: the offset of the nearest pixel into o0, -1 outside. */
    private static void nearestTaps(Row t, int end, long inH, long inW) {
        for (int j = 0; j < end; j += L) {
            FloatVector xr = rint(FloatVector.fromArray(S, t.x, j)), yr = rint(FloatVector.fromArray(S, t.y, j));
            VectorMask<Float> in = xr.compare(VectorOperators.GE, 0f).and(xr.compare(VectorOperators.LT, (float) inW))
                    .and(yr.compare(VectorOperators.GE, 0f)).and(yr.compare(VectorOperators.LT, (float) inH));
            offsets(yr.mul((float) inW).add(xr), in).intoArray(t.o0, j);
        }
    }

    /**
     * Bilinear taps of lanes [0, end) from t.x, t.y: weights and fractions, then offsets (-1 outside). Three small
     * methods rather than one: C2 stops inlining inside a method once it holds too many nodes
     * (NodeCountInliningCutoff), and a Vector API call left out-of-line runs its allocating fallback.
     */
    private static void bilinearTaps(Row t, int end, long inH, long inW) {
        bilinearWeights(t, end);
        tapOffset(t.x0, t.y0, t.o0, end, 0f, 0f, inH, inW);
        tapOffset(t.x0, t.y0, t.o1, end, 1f, 0f, inH, inW);
        tapOffset(t.x0, t.y0, t.o2, end, 0f, 1f, inH, inW);
        tapOffset(t.x0, t.y0, t.o3, end, 1f, 1f, inH, inW);
    }

    /** Fractions, weights and the top-left tap (x0, y0) of lanes [0, end). */
    private static void bilinearWeights(Row t, int end) {
        for (int j = 0; j < end; j += L) {
            FloatVector x = FloatVector.fromArray(S, t.x, j), y = FloatVector.fromArray(S, t.y, j);
            FloatVector x0 = floor(x), y0 = floor(y);
            x0.intoArray(t.x0, j);
            y0.intoArray(t.y0, j);
            FloatVector tx = x.sub(x0), ty = y.sub(y0);
            FloatVector otx = FloatVector.broadcast(S, 1f).sub(tx), oty = FloatVector.broadcast(S, 1f).sub(ty);
            otx.mul(oty).intoArray(t.w0, j);
            tx.mul(oty).intoArray(t.w1, j);
            otx.mul(ty).intoArray(t.w2, j);
            tx.mul(ty).intoArray(t.w3, j);
            tx.intoArray(t.tx, j);
            ty.intoArray(t.ty, j);
        }
    }

    /**
     * The offset of tap (x0 + dx, y0 + dy) of lanes [0, end) into out, -1 where it is outside. Computed in float,
     * exact because planes of vectorised calls hold fewer than 2^24 pixels (see fits).
     */
    private static void tapOffset(float[] x0s, float[] y0s, float[] out, int end, float dx, float dy, long inH,
                                  long inW) {
        for (int j = 0; j < end; j += L) {
            FloatVector x = FloatVector.fromArray(S, x0s, j).add(dx), y = FloatVector.fromArray(S, y0s, j).add(dy);
            VectorMask<Float> in = x.compare(VectorOperators.GE, 0f).and(x.compare(VectorOperators.LT, (float) inW))
                    .and(y.compare(VectorOperators.GE, 0f)).and(y.compare(VectorOperators.LT, (float) inH));
            FloatVector.broadcast(S, -1f).blend(y.mul((float) inW).add(x), in).intoArray(out, j);
        }
    }

    /** The offsets where the mask is set, -1 elsewhere. */
    private static FloatVector offsets(FloatVector o, VectorMask<Float> m) {
        return FloatVector.broadcast(S, -1f).blend(o, m);
    }
}
