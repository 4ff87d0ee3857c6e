package io.github.stn4j.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One implementation's kernels on raw, already validated memory (layouts as in {@code native/include/stn.h}).
 * Implementations may trust their arguments: the public API checks every shape, size and segment first.
 */
public interface Kernels {
    /**
     * How to interpolate: the C API's {@code STN_MODE_*}. The native kernels pass the binding's numbers for them; the
     * Java kernels need none (so that they never load the binding, which needs native access).
     */
    enum Mode { BILINEAR, NEAREST, BICUBIC }

    /** What points outside the input read: the C API's {@code STN_PADDING_*} (see {@link Mode}). */
    enum PaddingMode { ZEROS, BORDER, REFLECTION }

    /**
     * Whether these kernels read and write only native memory: the caller then passes native segments only, staging
     * heap-backed ones through native memory ({@link Staging}).
     */
    default boolean nativeMemoryOnly() {
        return false;
    }

    /** Writes grid rows [rowBegin, rowEnd) of every sample (rows of H). */
    void affineGrid(MemorySegment theta, MemorySegment grid, long n, long h, long w, boolean alignCorners,
                    long rowBegin, long rowEnd);

    /** Overwrites gradTheta [n, 2, 3]. */
    void affineGridBackward(MemorySegment gradGrid, MemorySegment gradTheta, long n, long h, long w,
                            boolean alignCorners);

    void gridSample(MemorySegment input, MemorySegment grid, MemorySegment output, long n, long c, long inH, long inW,
                    long outH, long outW, Mode mode, PaddingMode padding, boolean alignCorners, long rowBegin,
                    long rowEnd);

    /**
     * Output rows [rowBegin, rowEnd) of every sample: accumulates their contributions into gradInput (zeroed by the
     * caller; may be {@code null}) and overwrites those rows of gradGrid (may be {@code null}).
     */
    void gridSampleBackward(MemorySegment gradOutput, MemorySegment input, MemorySegment grid, MemorySegment gradInput,
                            MemorySegment gradGrid, long n, long c, long inH, long inW, long outH, long outW,
                            Mode mode, PaddingMode padding, boolean alignCorners, long rowBegin, long rowEnd);

    /**
     * {@link #gridSampleBackward} over every output row, with gradInput (may be {@code null}) overwritten: its contents
     * are never read, so the caller need not zero it. Kernels that can write it without zeroing it first (the native
     * ones, for small channel counts) override this; the results are bitwise those of zeroing it and accumulating.
     */
    default void gridSampleBackwardFresh(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                         MemorySegment gradInput, MemorySegment gradGrid, long n, long c, long inH,
                                         long inW, long outH, long outW, Mode mode, PaddingMode padding,
                                         boolean alignCorners) {
        if (gradInput != null) Memory.zero(gradInput);
        gridSampleBackward(gradOutput, input, grid, gradInput, gradGrid, n, c, inH, inW, outH, outW, mode, padding,
                alignCorners, 0, outH);
    }

    /**
     * Whether {@link #gridSampleBackwardBand} is implemented. Without it a caller computes the whole input gradient in
     * one call (the same bits: a band gets exactly the whole call's terms for its rows).
     */
    default boolean bandedBackward() {
        return false;
    }

    /**
     * The 2-D input gradient (nhwc: channels-last) of every output row of n samples, restricted to input rows
     * [bandBegin, bandEnd): only the taps in those rows are added, in the order the whole call adds them, and nothing
     * outside them is read or written; fresh: the band's rows are overwritten, else added into. Calls on disjoint bands
     * may run concurrently and give together the bits of one {@link #gridSampleBackward} over every row.
     */
    default void gridSampleBackwardBand(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                        MemorySegment gradInput, long n, long c, long inH, long inW, long outH,
                                        long outW, Mode mode, PaddingMode padding, boolean alignCorners, boolean nhwc,
                                        long bandBegin, long bandEnd, boolean fresh) {
        throw new UnsupportedOperationException("no banded backward in " + getClass().getSimpleName());
    }

    /**
     * {@link #gridSample} channels-last: input [n, inH, inW, c], output [n, outH, outW, c] (the grid as for NCHW). The
     * same values, bit for bit, as {@link #gridSample} on the transposed tensors.
     */
    void gridSampleNhwc(MemorySegment input, MemorySegment grid, MemorySegment output, long n, long c, long inH,
                        long inW, long outH, long outW, Mode mode, PaddingMode padding, boolean alignCorners,
                        long rowBegin, long rowEnd);

    /** {@link #gridSampleBackward} channels-last: gradOutput [n, outH, outW, c], input, gradInput [n, inH, inW, c]. */
    void gridSampleBackwardNhwc(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                MemorySegment gradInput, MemorySegment gradGrid, long n, long c, long inH, long inW,
                                long outH, long outW, Mode mode, PaddingMode padding, boolean alignCorners,
                                long rowBegin, long rowEnd);

    /**
     * {@link #gridSample} at the affine grid of theta [n, 2, 3] ({@code outH x outW} points), output rows
     * [rowBegin, rowEnd), without a grid argument: the bits of {@link #affineGrid} then {@link #gridSample}. This
     * default computes one sample's grid at a time ({@link #withSampleGrids}); the native kernels compute a tile's.
     */
    default void affineSample(MemorySegment input, MemorySegment theta, MemorySegment output, long n, long c,
                              long inH, long inW, long outH, long outW, Mode mode, PaddingMode padding,
                              boolean alignCorners, long rowBegin, long rowEnd) {
        long in = c * inH * inW * 4, out = c * outH * outW * 4;
        withSampleGrids(outH * outW * 2, false, (grid, unused) -> {
            for (long s = 0; s < n; s++) {
                affineGrid(theta.asSlice(s * 24, 24), grid, 1, outH, outW, alignCorners, rowBegin, rowEnd);
                gridSample(input.asSlice(s * in, in), grid, output.asSlice(s * out, out), 1, c, inH, inW, outH, outW,
                        mode, padding, alignCorners, rowBegin, rowEnd);
            }
        });
    }

    /**
     * The gradients of {@link #affineSample} for output rows [rowBegin, rowEnd): gradInput (may be null) as
     * {@link #gridSampleBackward} (fresh: overwritten, every row is asked for), and, instead of the grid gradient,
     * each of those rows' sums ({@link AffineRows#rowSums}) into thetaRows [n, outH, 4] (may be null), which
     * {@link AffineRows#reduce} turns into theta's gradient: the bits of the unfused pair.
     */
    default void affineSampleBackward(MemorySegment gradOutput, MemorySegment input, MemorySegment theta,
                                      MemorySegment gradInput, MemorySegment thetaRows, long n, long c, long inH,
                                      long inW, long outH, long outW, Mode mode, PaddingMode padding,
                                      boolean alignCorners, long rowBegin, long rowEnd, boolean fresh) {
        long in = c * inH * inW * 4, out = c * outH * outW * 4;
        withSampleGrids(outH * outW * 2, thetaRows != null, (grid, gg) -> {
            for (long s = 0; s < n; s++) {
                affineGrid(theta.asSlice(s * 24, 24), grid, 1, outH, outW, alignCorners, 0, outH);
                MemorySegment go = gradOutput.asSlice(s * out, out), x = input.asSlice(s * in, in);
                MemorySegment gi = gradInput == null ? null : gradInput.asSlice(s * in, in);
                if (fresh) {
                    gridSampleBackwardFresh(go, x, grid, gi, gg, 1, c, inH, inW, outH, outW, mode, padding,
                            alignCorners);
                } else {
                    gridSampleBackward(go, x, grid, gi, gg, 1, c, inH, inW, outH, outW, mode, padding, alignCorners,
                            rowBegin, rowEnd);
                }
                if (gg != null) {
                    AffineRows.rowSums(gg, thetaRows.asSlice(s * outH * 16, outH * 16), outW, alignCorners, rowBegin,
                            rowEnd);
                }
            }
        });
    }

    /**
     * {@link #gridSampleBackwardBand} (2-D, NCHW) of {@link #affineSample}: the input gradient of every output row
     * restricted to input rows [bandBegin, bandEnd). Called only when {@link #bandedBackward()}.
     */
    default void affineSampleBackwardBand(MemorySegment gradOutput, MemorySegment input, MemorySegment theta,
                                          MemorySegment gradInput, long n, long c, long inH, long inW, long outH,
                                          long outW, Mode mode, PaddingMode padding, boolean alignCorners,
                                          long bandBegin, long bandEnd, boolean fresh) {
        long in = c * inH * inW * 4, out = c * outH * outW * 4;
        withSampleGrids(outH * outW * 2, false, (grid, unused) -> {
            for (long s = 0; s < n; s++) {
                affineGrid(theta.asSlice(s * 24, 24), grid, 1, outH, outW, alignCorners, 0, outH);
                gridSampleBackwardBand(gradOutput.asSlice(s * out, out), input.asSlice(s * in, in), grid,
                        gradInput.asSlice(s * in, in), 1, c, inH, inW, outH, outW, mode, padding, alignCorners, false,
                        bandBegin, bandEnd, fresh);
            }
        });
    }

    /** What runs on one sample's grid (and grid gradient, or null). */
    interface SampleGrids {
        void run(MemorySegment grid, MemorySegment gradGrid);
    }

    /**
     * Runs {@code body} on buffers of {@code floats} floats for one sample's grid and, when {@code gradToo}, its
     * gradient: buffers kept by this thread when small ({@link ThreadScratch}), else native memory for this call only.
     */
    private static void withSampleGrids(long floats, boolean gradToo, SampleGrids body) {
        if (ThreadScratch.fits(floats)) {
            body.run(ThreadScratch.heap(ThreadScratch.GRID, floats),
                    gradToo ? ThreadScratch.heap(ThreadScratch.GRID_GRAD, floats) : null);
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            body.run(arena.allocate(floats * 4, 64), gradToo ? arena.allocate(floats * 4, 64) : null);
        }
    }

    /** Rows of D*H. */
    void affineGrid3d(MemorySegment theta, MemorySegment grid, long n, long d, long h, long w, boolean alignCorners,
                      long rowBegin, long rowEnd);

    /** Overwrites gradTheta [n, 3, 4]. */
    void affineGrid3dBackward(MemorySegment gradGrid, MemorySegment gradTheta, long n, long d, long h, long w,
                              boolean alignCorners);

    void gridSample3d(MemorySegment input, MemorySegment grid, MemorySegment output, long n, long c, long inD,
                      long inH, long inW, long outD, long outH, long outW, Mode mode, PaddingMode padding,
                      boolean alignCorners, long rowBegin, long rowEnd);

    /** As {@link #gridSampleBackward}, for 5-D tensors; rows of Do*Ho. */
    void gridSample3dBackward(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                              MemorySegment gradInput, MemorySegment gradGrid, long n, long c, long inD, long inH,
                              long inW, long outD, long outH, long outW, Mode mode, PaddingMode padding,
                              boolean alignCorners, long rowBegin, long rowEnd);
}
