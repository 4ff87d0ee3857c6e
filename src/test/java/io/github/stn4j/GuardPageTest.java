package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every tensor of a call placed right against an inaccessible page (mmap + mprotect PROT_NONE through the FFM API),
 * first ending at the guard page, then starting right after one: a native read or write one float outside any tensor
 * kills the JVM (the test run fails) instead of passing unnoticed. The grid holds hostile values (NaN, +-Inf, +-1e30,
 * denormals, exactly +-1, half-pixel edges, far points) on every backend, mode and padding, forward and backward; the
 * results must be finite and bitwise those of the same backend on ordinary memory. Linux only (mmap constants).
 */
class GuardPageTest {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MMAP = LINKER.downcallHandle(LINKER.defaultLookup().find("mmap").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    private static final MethodHandle MPROTECT = LINKER.downcallHandle(
            LINKER.defaultLookup().find("mprotect").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle MUNMAP = LINKER.downcallHandle(LINKER.defaultLookup().find("munmap").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final long PAGE = 4096;
    private static final float[] HOSTILE = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e30f, -1e30f,
        1e-40f, -1e-40f, 1f, -1f, 0f, -0f, 0.999999f, -1.0000001f, 1f / 7, -1f / 7, 1f / 5, 3f, -3f, 1e6f, 0.5f};

    /** A region [guard][data][guard]; tensors are carved at the start or at the end of data. */
    static final class Guarded implements AutoCloseable {
        final MemorySegment base, data;
        final long total;

        Guarded(long bytes) throws Throwable {
            long dataBytes = (bytes + PAGE - 1) / PAGE * PAGE;
            total = dataBytes + 2 * PAGE;
            base = ((MemorySegment) MMAP.invokeExact(MemorySegment.NULL, total, 3, 0x22, -1, 0L)).reinterpret(total);
            assertTrue(base.address() != -1L, "mmap failed");
            assertEquals(0, (int) MPROTECT.invokeExact(base, PAGE, 0));
            assertEquals(0, (int) MPROTECT.invokeExact(base.asSlice(PAGE + dataBytes), PAGE, 0));
            data = base.asSlice(PAGE, dataBytes);
        }

        Tensor tensor(float[] values, boolean atEnd, long... shape) {
            long bytes = 4L * values.length;
            MemorySegment s = atEnd ? data.asSlice(data.byteSize() - bytes, bytes) : data.asSlice(0, bytes);
            MemorySegment.copy(values, 0, s, ValueLayout.JAVA_FLOAT, 0, values.length);
            return Tensor.wrap(s, shape);
        }

        @Override
        public void close() {
            int rc;
            try {
                rc = (int) MUNMAP.invokeExact(base, total);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            assertEquals(0, rc);
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Backend b : Backend.values()) {
            for (Interpolation m : Interpolation.values()) {
                for (Padding p : Padding.values()) out.add(Arguments.of(b, m, p));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void noAccessOutsideAnyTensor(Backend backend, Interpolation mode, Padding padding) throws Throwable {
        Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"), "mmap constants are Linux's");
        SpatialOps ops = TestBackends.ops(backend);
        for (int channels : new int[] {3, 9}) { // 9: the tiled native kernels
            for (boolean ac : new boolean[] {false, true}) {
                run(ops, mode, padding, ac, 2, channels, 5, 7, 3, 19);
            }
        }
    }

    private static void run(SpatialOps ops, Interpolation mode, Padding padding, boolean ac, int n, int c, int h, int w,
                            int ho, int wo) throws Throwable {
        float[] in = new float[n * c * h * w], grid = new float[n * ho * wo * 2], gout = new float[n * c * ho * wo];
        for (int i = 0; i < in.length; i++) in[i] = (i * 37 % 11) - 5f;
        for (int i = 0; i < grid.length; i++) grid[i] = i % 3 == 0 ? HOSTILE[i / 3 % HOSTILE.length] : (i % 13) / 6f - 1f;
        // the half-pixel edges of this input: (2k + 1) / size - 1
        for (int i = 0; i < 8; i++) grid[grid.length - 1 - i] = (2f * i + 1f) / (i % 2 == 0 ? w : h) - 1f;
        for (int i = 0; i < gout.length; i++) gout[i] = (i % 5) - 2f;
        long[] inShape = {n, c, h, w}, gridShape = {n, ho, wo, 2}, outShape = {n, c, ho, wo};

        // reference: the same backend on ordinary memory
        Tensor rIn = Tensor.of(in, inShape), rGrid = Tensor.of(grid, gridShape), rGout = Tensor.of(gout, outShape);
        float[] refOut = ops.gridSample(rIn, rGrid, mode, padding, ac).toArray();
        GridSampleGrads rg = ops.gridSampleBackward(rGout, rIn, rGrid, mode, padding, ac);
        float[] refGin = rg.input().toArray(), refGg = rg.grid().toArray();
        for (float[] r : List.of(refOut, refGin, refGg)) {
            for (float v : r) assertTrue(Float.isFinite(v), "non-finite result for a hostile grid: " + v);
        }

        for (boolean atEnd : new boolean[] {true, false}) {
            // each tensor in its own guarded region, so every one of them touches a guard page
            try (Guarded gIn = new Guarded(4L * in.length); Guarded gGrid = new Guarded(4L * grid.length);
                 Guarded gGout = new Guarded(4L * gout.length); Guarded gOut = new Guarded(4L * gout.length);
                 Guarded gGin = new Guarded(4L * in.length); Guarded gGg = new Guarded(4L * grid.length)) {
                Tensor tIn = gIn.tensor(in, atEnd, inShape), tGrid = gGrid.tensor(grid, atEnd, gridShape);
                Tensor tGout = gGout.tensor(gout, atEnd, outShape);
                Tensor tOut = gOut.tensor(new float[gout.length], atEnd, outShape);
                Tensor tGin = gGin.tensor(new float[in.length], atEnd, inShape);
                Tensor tGg = gGg.tensor(new float[grid.length], atEnd, gridShape);
                ops.gridSample(tIn, tGrid, mode, padding, ac, tOut);
                ops.gridSampleBackward(tGout, tIn, tGrid, mode, padding, ac, tGin, tGg);
                assertArrayEquals(refOut, tOut.toArray(), "output");
                assertArrayEquals(refGin, tGin.toArray(), "gradInput");
                assertArrayEquals(refGg, tGg.toArray(), "gradGrid");
                // affine grid into a guarded grid, and its backward from one
                Tensor theta = gIn.tensor(new float[] {0.9f, -0.3f, 0.1f, 0.25f, 0.85f, -0.05f, 1, 0, 0, 0, 1, 0},
                        atEnd, n, 2, 3);
                ops.affineGrid(theta, new long[] {n, c, ho, wo}, ac, tGg);
                ops.affineGridBackward(tGrid, new long[] {n, c, ho, wo}, ac, gGin.tensor(new float[12], atEnd, n, 2, 3));
            }
        }
    }
}
