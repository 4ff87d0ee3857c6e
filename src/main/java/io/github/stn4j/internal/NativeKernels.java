package io.github.stn4j.internal;

import io.github.stn4j.internal.bindings.stn_h;
import java.lang.foreign.MemorySegment;

/**
 * The C kernels for one ISA, through the jextract-shaped bindings. A plain downcall only accepts native memory, so
 * heap-backed segments are staged through a temporary native copy (outputs copied back). SpatialOps passes them here
 * only for pieces of whole samples (each piece copies its own samples); otherwise it stages the whole call once.
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
     * Affine grids of at most this many points run in Java: below it the downcall costs more than the work (1 x 4 x 4:
     * 72 ns native against 64 in Java; 6 x 6: 88 against 96; timing loop, AVX2), and "no native path slower than
     * JAVA_SCALAR" holds at every size. Grid sampling is faster native even at 2 x 2 (152 against 285 ns).
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
        try (Stage tmp = stagingFor(theta, grid, null, null, null)) {
            MemorySegment t = in(tmp, theta), g = out(tmp, grid, false);
            check(stn_h.stn_affine_grid_2d(isa, t, g, n, h, w, flag(alignCorners), r0, r1), "stn_affine_grid_2d");
            backRows(g, grid, n, 1, h * w * 2, w * 2, r0, r1);
        }
    }

    @Override
    public void affineGridBackward(MemorySegment gradGrid, MemorySegment gradTheta, long n, long h, long w,
                                   boolean alignCorners) {
        if (n * h * w <= SMALL_AFFINE_POINTS) {
            SMALL.affineGridBackward(gradGrid, gradTheta, n, h, w, alignCorners);
            return;
        }
        try (Stage tmp = stagingFor(gradGrid, gradTheta, null, null, null)) {
            MemorySegment gg = in(tmp, gradGrid), gt = out(tmp, gradTheta, false);
            check(stn_h.stn_affine_grid_2d_backward(isa, gg, gt, n, h, w, flag(alignCorners)),
                    "stn_affine_grid_2d_backward");
            back(gt, gradTheta);
        }
    }

    @Override
    public void gridSample(MemorySegment input, MemorySegment grid, MemorySegment output, long n, long c, long inH,
                           long inW, long outH, long outW, Mode mode, PaddingMode padding, boolean alignCorners,
                           long r0, long r1) {
        try (Stage tmp = stagingFor(input, grid, output, null, null)) {
            MemorySegment i = in(tmp, input), g = in(tmp, grid), o = out(tmp, output, false);
            check(stn_h.stn_grid_sample_2d(isa, i, g, o, n, c, inH, inW, outH, outW, code(mode), code(padding),
                    flag(alignCorners), r0, r1), "stn_grid_sample_2d");
            backRows(o, output, n, c, outH * outW, outW, r0, r1);
        }
    }

    @Override
    public void gridSampleBackward(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                   MemorySegment gradInput, MemorySegment gradGrid, long n, long c, long inH, long inW,
                                   long outH, long outW, Mode mode, PaddingMode padding, boolean alignCorners,
                                   long r0, long r1) {
        try (Stage tmp = stagingFor(gradOutput, input, grid, gradInput, gradGrid)) {
            MemorySegment go = in(tmp, gradOutput), i = in(tmp, input), g = in(tmp, grid);
            MemorySegment gi = gradInput == null ? MemorySegment.NULL : out(tmp, gradInput, true);
            MemorySegment gg = gradGrid == null ? MemorySegment.NULL : out(tmp, gradGrid, false);
            check(stn_h.stn_grid_sample_2d_backward(isa, go, i, g, gi, gg, n, c, inH, inW, outH, outW, code(mode),
                    code(padding), flag(alignCorners), r0, r1), "stn_grid_sample_2d_backward");
            if (gradInput != null) back(gi, gradInput);
            if (gradGrid != null) backRows(gg, gradGrid, n, 1, outH * outW * 2, outW * 2, r0, r1);
        }
    }

    @Override
    public void affineGrid3d(MemorySegment theta, MemorySegment grid, long n, long d, long h, long w,
                             boolean alignCorners, long r0, long r1) {
        try (Stage tmp = stagingFor(theta, grid, null, null, null)) {
            MemorySegment t = in(tmp, theta), g = out(tmp, grid, false);
            check(stn_h.stn_affine_grid_3d(isa, t, g, n, d, h, w, flag(alignCorners), r0, r1),
                    "stn_affine_grid_3d");
            backRows(g, grid, n, 1, d * h * w * 3, w * 3, r0, r1);
        }
    }

    @Override
    public void affineGrid3dBackward(MemorySegment gradGrid, MemorySegment gradTheta, long n, long d, long h, long w,
                                     boolean alignCorners) {
        try (Stage tmp = stagingFor(gradGrid, gradTheta, null, null, null)) {
            MemorySegment gg = in(tmp, gradGrid), gt = out(tmp, gradTheta, false);
            check(stn_h.stn_affine_grid_3d_backward(isa, gg, gt, n, d, h, w, flag(alignCorners)),
                    "stn_affine_grid_3d_backward");
            back(gt, gradTheta);
        }
    }

    @Override
    public void gridSample3d(MemorySegment input, MemorySegment grid, MemorySegment output, long n, long c, long inD,
                             long inH, long inW, long outD, long outH, long outW, Mode mode, PaddingMode padding,
                             boolean alignCorners, long r0, long r1) {
        try (Stage tmp = stagingFor(input, grid, output, null, null)) {
            MemorySegment i = in(tmp, input), g = in(tmp, grid), o = out(tmp, output, false);
            check(stn_h.stn_grid_sample_3d(isa, i, g, o, n, c, inD, inH, inW, outD, outH, outW, code(mode),
                    code(padding), flag(alignCorners), r0, r1), "stn_grid_sample_3d");
            backRows(o, output, n, c, outD * outH * outW, outW, r0, r1);
        }
    }

    @Override
    public void gridSample3dBackward(MemorySegment gradOutput, MemorySegment input, MemorySegment grid,
                                     MemorySegment gradInput, MemorySegment gradGrid, long n, long c, long inD,
                                     long inH, long inW, long outD, long outH, long outW, Mode mode,
                                     PaddingMode padding, boolean alignCorners, long r0, long r1) {
        try (Stage tmp = stagingFor(gradOutput, input, grid, gradInput, gradGrid)) {
            MemorySegment go = in(tmp, gradOutput), i = in(tmp, input), g = in(tmp, grid);
            MemorySegment gi = gradInput == null ? MemorySegment.NULL : out(tmp, gradInput, true);
            MemorySegment gg = gradGrid == null ? MemorySegment.NULL : out(tmp, gradGrid, false);
            check(stn_h.stn_grid_sample_3d_backward(isa, go, i, g, gi, gg, n, c, inD, inH, inW, outD, outH, outW,
                    code(mode), code(padding), flag(alignCorners), r0, r1), "stn_grid_sample_3d_backward");
            if (gradInput != null) back(gi, gradInput);
            if (gradGrid != null) backRows(gg, gradGrid, n, 1, outD * outH * outW * 3, outW * 3, r0, r1);
        }
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

    /**
     * Staging for a call, made only when some segment is on the heap; null (nothing allocated) when all are native.
     * Fixed arity, not varargs: a varargs array would be allocated on every call.
     */
    private static Stage stagingFor(MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment d,
                                    MemorySegment e) {
        long need = need(a) + need(b) + need(c) + need(d) + need(e);
        return need > 0 ? new Stage(Pool.allocate(need, false)) : null;
    }

    private static final long ALIGN = 64;

    private static long need(MemorySegment s) {
        return s != null && !s.isNative() ? (s.byteSize() + ALIGN - 1) / ALIGN * ALIGN : 0;
    }

    /** Native stand-ins for the heap segments of one call, carved out of one block of the pool. */
    private static final class Stage implements AutoCloseable {
        private final Pool.Block block;
        private long used;

        Stage(Pool.Block block) {
            this.block = block;
        }

        MemorySegment take(long bytes) {
            MemorySegment s = block.segment().asSlice(used, bytes);
            used += (bytes + ALIGN - 1) / ALIGN * ALIGN;
            return s;
        }

        @Override
        public void close() {
            Pool.free(block, false);
        }
    }

    private static MemorySegment in(Stage tmp, MemorySegment s) {
        if (s.isNative()) return s;
        return tmp.take(s.byteSize()).copyFrom(s);
    }

    /** An output: native as is, or a native stand-in (holding the current values when the kernel accumulates). */
    private static MemorySegment out(Stage tmp, MemorySegment s, boolean accumulates) {
        if (s.isNative()) return s;
        MemorySegment staged = tmp.take(s.byteSize());
        return accumulates ? staged.copyFrom(s) : staged;
    }

    /** A staged output back into its heap target, whole (for outputs the call may write anywhere in). */
    private static void back(MemorySegment staged, MemorySegment target) {
        if (staged != target) target.copyFrom(staged);
    }

    /**
     * A staged output back into its heap target, only the rows [r0, r1) the call wrote: each of the n samples holds
     * {@code planes} planes of {@code planeFloats} floats whose rows are {@code rowFloats} long. Copying the whole
     * staging buffer overwrote the rows that other tasks of the same call write concurrently (a sample's rows split
     * over threads): with 2 threads a 1 x 3 x 256 x 256 heap forward lost 186,086 of its 196,608 values.
     */
    private static void backRows(MemorySegment staged, MemorySegment target, long n, long planes, long planeFloats,
                                 long rowFloats, long r0, long r1) {
        if (staged == target) return;
        if (r0 == 0 && r1 * rowFloats == planeFloats) { // every row: one copy
            back(staged, target);
            return;
        }
        long first = r0 * rowFloats * Float.BYTES, bytes = (r1 - r0) * rowFloats * Float.BYTES;
        for (long p = 0; p < n * planes; p++) {
            long at = p * planeFloats * Float.BYTES + first;
            MemorySegment.copy(staged, at, target, at, bytes);
        }
    }

    private static void check(int rc, String function) {
        if (rc == stn_h.STN_OK()) return;
        // Java validates everything first, so reaching this is a bug in stn4j, not in the caller's code.
        throw new IllegalStateException(function + " returned " + rc + (rc == stn_h.STN_E_ISA()
                ? " (ISA not supported)" : " (arguments rejected by the native layer: please report this bug)"));
    }
}
