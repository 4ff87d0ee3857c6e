package io.github.stn4j.internal;

import io.github.stn4j.internal.bindings.stn_h;
import java.lang.foreign.MemorySegment;

/**
 * The C kernels for one ISA, through the jextract-shaped bindings. A plain downcall accepts only native memory: the
 * caller stages heap-backed segments first ({@link Staging}), as {@link #nativeMemoryOnly()} tells it to.
 */
public final class NativeKernels implements Kernels {
    private final int isa;

    public NativeKernels(int isa) {
        NativeLoader.load();
        if (stn_h.stn_isa_supported(isa) != 1) {
            throw new IllegalStateException("the CPU does not support native ISA " + isaName(isa));
        }
        this.isa = isa;
    }

    @Override
    public boolean nativeMemoryOnly() {
        return true;
    }

    /** The ISA that the library's automatic choice uses (STN4J_MAX_ISA caps it). */
    public static int activeIsa() {
        NativeLoader.load();
        return stn_h.stn_active_isa();
    }

    public static boolean isaSupported(int isa) {
        return NativeLoader.isLoaded() && stn_h.stn_isa_supported(isa) == 1;
    }

    public static String isaName(int isa) {
        NativeLoader.load();
        return NativeLoader.cString(stn_h.stn_isa_name(isa));
    }

    /**
     * Affine grids of at most this many points run in Java: below it the downcall costs more than the work, so that
     * no native path is slower than JAVA_SCALAR at any size (docs/kernels.md, "Small affine grids"). Grid sampling
     * is faster native even at 2 x 2.
     */
    static final long SMALL_AFFINE_POINTS = 32;
    private static final Kernels SMALL = new JavaScalarKernels();

    @Override
    public void affineGrid(MemorySegment theta, MemorySegment grid, long n, long h, long w, boolean alignCorners,
                           long r0, long r1) {
        if (n * (r1 - r0) * w <= SMALL_AFFINE_POINTS) {
            SMALL.affineGrid(theta, grid, n, h, w, alignCorners, r0, r1);
            return;
        }
        check(stn_h.stn_affine_grid_2d(isa, theta, grid, n, h, w, flag(alignCorners), r0, r1), "stn_affine_grid_2d");
    }

    @Override
    public void affineGridBackward(MemorySegment gradGrid, MemorySegment gradTheta, long n, long h, long w,
                                   boolean alignCorners) {
        if (n * h * w <= SMALL_AFFINE_POINTS) {
            SMALL.affineGridBackward(gradGrid, gradTheta, n, h, w, alignCorners);
            return;
        }
        check(stn_h.stn_affine_grid_2d_backward(isa, gradGrid, gradTheta, n, h, w, flag(alignCorners)),
                "stn_affine_grid_2d_backward");
    }

    @Override
    public void gridSample(MemorySegment input, MemorySegment grid, MemorySegment output, long n, long c, long inH,
                           long inW, long outH, long outW, Mode mode, PaddingMode padding, boolean alignCorners, long r0,
                           long r1) {
        check(stn_h.stn_grid_sample_2d(isa, input, grid, output, n, c, inH, inW, outH, outW, code(mode),
                code(padding), flag(alignCorners), r0, r1), "stn_grid_sample_2d");
    }

    @Override
    public void gridSampleBackward(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                   MemorySegment gradInput, MemorySegment gradGrid, long n, long c, long inH, long inW,
                                   long outH, long outW, Mode mode, PaddingMode padding, boolean alignCorners, long r0,
                                   long r1) {
        check(stn_h.stn_grid_sample_2d_backward(isa, gradOutput, input, grid, orNull(gradInput), orNull(gradGrid), n,
                c, inH, inW, outH, outW, code(mode), code(padding), flag(alignCorners), r0, r1),
                "stn_grid_sample_2d_backward");
    }

    @Override
    public void gridSampleBackwardFresh(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                        MemorySegment gradInput, MemorySegment gradGrid, long n, long c, long inH,
                                        long inW, long outH, long outW, Mode mode, PaddingMode padding,
                                        boolean alignCorners) {
        check(stn_h.stn_grid_sample_2d_backward(isa, gradOutput, input, grid, orNull(gradInput), orNull(gradGrid), n,
                c, inH, inW, outH, outW, code(mode) | stn_h.STN_BACKWARD_FRESH(), code(padding), flag(alignCorners), 0,
                outH), "stn_grid_sample_2d_backward");
    }

    @Override
    public void affineSample(MemorySegment input, MemorySegment theta, MemorySegment output, long n, long c, long inH,
                             long inW, long outH, long outW, Mode mode, PaddingMode padding, boolean alignCorners,
                             long r0, long r1) {
        check(stn_h.stn_affine_sample_2d(isa, input, theta, output, n, c, inH, inW, outH, outW, code(mode),
                code(padding), flag(alignCorners), r0, r1), "stn_affine_sample_2d");
    }

    @Override
    public void affineSampleBackward(MemorySegment gradOutput, MemorySegment input, MemorySegment theta,
                                     MemorySegment gradInput, MemorySegment thetaRows, long n, long c, long inH,
                                     long inW, long outH, long outW, Mode mode, PaddingMode padding,
                                     boolean alignCorners, long r0, long r1, boolean fresh) {
        check(stn_h.stn_affine_sample_2d_backward(isa, gradOutput, input, theta, orNull(gradInput), orNull(thetaRows),
                n, c, inH, inW, outH, outW, code(mode) | (fresh ? stn_h.STN_BACKWARD_FRESH() : 0), code(padding),
                flag(alignCorners), r0, r1), "stn_affine_sample_2d_backward");
    }

    @Override
    public void affineSampleBackwardBand(MemorySegment gradOutput, MemorySegment input, MemorySegment theta,
                                         MemorySegment gradInput, long n, long c, long inH, long inW, long outH,
                                         long outW, Mode mode, PaddingMode padding, boolean alignCorners,
                                         long bandBegin, long bandEnd, boolean fresh) {
        check(stn_h.stn_affine_sample_2d_backward_band(isa, gradOutput, input, theta, gradInput, n, c, inH, inW, outH,
                outW, code(mode) | (fresh ? stn_h.STN_BACKWARD_FRESH() : 0), code(padding), flag(alignCorners),
                bandBegin, bandEnd), "stn_affine_sample_2d_backward_band");
    }

    @Override
    public boolean bandedBackward() {
        return true;
    }

    @Override
    public void gridSampleBackwardBand(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                       MemorySegment gradInput, long n, long c, long inH, long inW, long outH,
                                       long outW, Mode mode, PaddingMode padding, boolean alignCorners, boolean nhwc,
                                       long bandBegin, long bandEnd, boolean fresh) {
        int m = code(mode) | (fresh ? stn_h.STN_BACKWARD_FRESH() : 0);
        if (nhwc) {
            check(stn_h.stn_grid_sample_2d_backward_nhwc_band(isa, gradOutput, input, grid, gradInput,
                    MemorySegment.NULL, n, c, inH, inW, outH, outW, m, code(padding), flag(alignCorners), 0, outH,
                    bandBegin, bandEnd), "stn_grid_sample_2d_backward_nhwc_band");
        } else {
            check(stn_h.stn_grid_sample_2d_backward_band(isa, gradOutput, input, grid, gradInput, MemorySegment.NULL,
                    n, c, inH, inW, outH, outW, m, code(padding), flag(alignCorners), 0, outH, bandBegin, bandEnd),
                    "stn_grid_sample_2d_backward_band");
        }
    }

    @Override
    public void gridSampleNhwc(MemorySegment input, MemorySegment grid, MemorySegment output, long n, long c, long inH,
                               long inW, long outH, long outW, Mode mode, PaddingMode padding, boolean alignCorners,
                               long r0, long r1) {
        check(stn_h.stn_grid_sample_2d_nhwc(isa, input, grid, output, n, c, inH, inW, outH, outW, code(mode),
                code(padding), flag(alignCorners), r0, r1), "stn_grid_sample_2d_nhwc");
    }

    @Override
    public void gridSampleBackwardNhwc(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                       MemorySegment gradInput, MemorySegment gradGrid, long n, long c, long inH,
                                       long inW, long outH, long outW, Mode mode, PaddingMode padding,
                                       boolean alignCorners, long r0, long r1) {
        check(stn_h.stn_grid_sample_2d_backward_nhwc(isa, gradOutput, input, grid, orNull(gradInput),
                orNull(gradGrid), n, c, inH, inW, outH, outW, code(mode), code(padding), flag(alignCorners), r0, r1),
                "stn_grid_sample_2d_backward_nhwc");
    }

    @Override
    public void affineGrid3d(MemorySegment theta, MemorySegment grid, long n, long d, long h, long w,
                             boolean alignCorners, long r0, long r1) {
        check(stn_h.stn_affine_grid_3d(isa, theta, grid, n, d, h, w, flag(alignCorners), r0, r1),
                "stn_affine_grid_3d");
    }

    @Override
    public void affineGrid3dBackward(MemorySegment gradGrid, MemorySegment gradTheta, long n, long d, long h, long w,
                                     boolean alignCorners) {
        check(stn_h.stn_affine_grid_3d_backward(isa, gradGrid, gradTheta, n, d, h, w, flag(alignCorners)),
                "stn_affine_grid_3d_backward");
    }

    @Override
    public void gridSample3d(MemorySegment input, MemorySegment grid, MemorySegment output, long n, long c, long inD,
                             long inH, long inW, long outD, long outH, long outW, Mode mode, PaddingMode padding,
                             boolean alignCorners, long r0, long r1) {
        check(stn_h.stn_grid_sample_3d(isa, input, grid, output, n, c, inD, inH, inW, outD, outH, outW, code(mode),
                code(padding), flag(alignCorners), r0, r1), "stn_grid_sample_3d");
    }

    @Override
    public void gridSample3dBackward(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                     MemorySegment gradInput, MemorySegment gradGrid, long n, long c, long inD,
                                     long inH, long inW, long outD, long outH, long outW, Mode mode, PaddingMode padding,
                                     boolean alignCorners, long r0, long r1) {
        check(stn_h.stn_grid_sample_3d_backward(isa, gradOutput, input, grid, orNull(gradInput), orNull(gradGrid), n,
                c, inD, inH, inW, outD, outH, outW, code(mode), code(padding), flag(alignCorners), r0, r1),
                "stn_grid_sample_3d_backward");
    }

    private static int flag(boolean b) {
        return b ? 1 : 0;
    }

    private static int code(Mode mode) {
        return switch (mode) {
            case BILINEAR -> stn_h.STN_MODE_BILINEAR();
            case NEAREST -> stn_h.STN_MODE_NEAREST();
            case BICUBIC -> stn_h.STN_MODE_BICUBIC();
        };
    }

    private static int code(PaddingMode padding) {
        return switch (padding) {
            case ZEROS -> stn_h.STN_PADDING_ZEROS();
            case BORDER -> stn_h.STN_PADDING_BORDER();
            case REFLECTION -> stn_h.STN_PADDING_REFLECTION();
        };
    }

    /** An optional output: C's NULL skips it. */
    private static MemorySegment orNull(MemorySegment s) {
        return s == null ? MemorySegment.NULL : s;
    }

    private static void check(int rc, String function) {
        if (rc == stn_h.STN_OK()) return;
        if (rc == stn_h.STN_E_NOMEM()) throw new OutOfMemoryError(function + ": no native memory for its workspace");
        // Java validates everything first, so reaching this is a bug in stn4j, not in the caller's code.
        throw new IllegalStateException(function + " returned " + rc + (rc == stn_h.STN_E_ISA()
                ? " (ISA not supported)" : " (arguments rejected by the native layer: please report this bug)"));
    }
}
