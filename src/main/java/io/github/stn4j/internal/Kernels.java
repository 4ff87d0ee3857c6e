package io.github.stn4j.internal;

import io.github.stn4j.Interpolation;
import io.github.stn4j.Padding;
import java.lang.foreign.MemorySegment;

/**
 * One backend's kernels on raw, already validated memory (layouts as in {@code native/include/stn.h}). Implementations
 * may trust their arguments: {@link io.github.stn4j.SpatialOps} checks every shape, size and segment first.
 */
public interface Kernels {
    /**
     * Whether these kernels read and write only native memory, so that heap-backed segments are copied through native
     * buffers on every call ({@link io.github.stn4j.SpatialOps} then copies them once per call itself, unless the call
     * is split into pieces of whole samples).
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
                    long outH, long outW, Interpolation mode, Padding padding, boolean alignCorners, long rowBegin,
                    long rowEnd);

    /**
     * Output rows [rowBegin, rowEnd) of every sample: accumulates their contributions into gradInput (zeroed by the
     * caller; may be {@code null}) and overwrites those rows of gradGrid (may be {@code null}).
     */
    void gridSampleBackward(MemorySegment gradOutput, MemorySegment input, MemorySegment grid, MemorySegment gradInput,
                            MemorySegment gradGrid, long n, long c, long inH, long inW, long outH, long outW,
                            Interpolation mode, Padding padding, boolean alignCorners, long rowBegin, long rowEnd);

    /** Rows of D*H. */
    void affineGrid3d(MemorySegment theta, MemorySegment grid, long n, long d, long h, long w, boolean alignCorners,
                      long rowBegin, long rowEnd);

    /** Overwrites gradTheta [n, 3, 4]. */
    void affineGrid3dBackward(MemorySegment gradGrid, MemorySegment gradTheta, long n, long d, long h, long w,
                              boolean alignCorners);

    void gridSample3d(MemorySegment input, MemorySegment grid, MemorySegment output, long n, long c, long inD,
                      long inH, long inW, long outD, long outH, long outW, Interpolation mode, Padding padding,
                      boolean alignCorners, long rowBegin, long rowEnd);

    /** As {@link #gridSampleBackward}, for 5-D tensors; rows of Do*Ho. */
    void gridSample3dBackward(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                              MemorySegment gradInput, MemorySegment gradGrid, long n, long c, long inD, long inH,
                              long inW, long outD, long outH, long outW, Interpolation mode, Padding padding,
                              boolean alignCorners, long rowBegin, long rowEnd);
}
