package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The hot path allocates nothing on the Java heap when given output tensors (one thread): measured with the JVM's
 * per-thread allocation counter after the JIT has compiled the path. The one object left is the backward's returned
 * {@link GridSampleGrads} record (24 bytes, less if the caller's JIT removes it). Not a timing test: byte counts.
 * JAVA_SCALAR is not held to this (its per-point scratch is a few small arrays per call).
 */
class AllocationTest {
    private static final com.sun.management.ThreadMXBean MX =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"NATIVE_AVX512", "NATIVE_AVX2", "NATIVE_SCALAR", "VECTOR_API"})
    void steadyStateCallsAllocateNothing(Backend backend) {
        SpatialOps ops = TestBackends.ops(backend);
        int before = Parallel.threads();
        Parallel.setThreads(1);
        try (Tensor theta = Tensor.of(new float[] {0.9f, -0.3f, 0.1f, 0.25f, 0.85f, -0.05f,
                     1f, 0f, 0f, 0f, 1f, 0f}, 2, 2, 3);
             Tensor grid = Tensor.zeros(2, 19, 37, 2); Tensor in = Tensor.zeros(2, 3, 23, 29);
             Tensor out = Tensor.zeros(2, 3, 19, 37); Tensor gin = Tensor.zeros(2, 3, 23, 29);
             Tensor gg = Tensor.zeros(2, 19, 37, 2); Tensor gt = Tensor.zeros(2, 2, 3)) {
            long[] size = {2, 3, 19, 37};
            long[] perCall = new long[5];
            // until steady (at most 40 rounds): under load C2 can take more than the first rounds to compile the
            // Vector API paths, whose Java fallbacks allocate
            boolean fused = backend != Backend.VECTOR_API; // its fused calls slice each sample: see below
            // a larger call first, so that this thread's kept buffers are longer than the calls below need (as after
            // other work on the thread): no call may slice them to size
            try (Tensor big = Tensor.zeros(4, 3, 23, 29); Tensor bigOut = Tensor.zeros(4, 3, 40, 37);
                 Tensor bigTheta = Tensor.zeros(4, 2, 3)) {
                ops.affineSampleBackward(bigOut, big, bigTheta, new long[] {4, 3, 40, 37}, Interpolation.BILINEAR,
                        Padding.ZEROS, false).close();
            }
            for (int round = 0; round < 40 && !(round >= 6 && perCall[0] == 0 && perCall[1] == 0 && perCall[2] <= 24
                    && (!fused || perCall[3] == 0 && perCall[4] <= 24)); round++) {
                long b0 = MX.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 5000; i++) ops.affineGrid(theta, size, false, grid);
                long b1 = MX.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 5000; i++) ops.gridSample(in, grid, Interpolation.BILINEAR, Padding.ZEROS, false, out);
                long b2 = MX.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 5000; i++) {
                    ops.gridSampleBackward(out, in, grid, Interpolation.BILINEAR, Padding.BORDER, false, gin, gg);
                }
                long b3 = MX.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 5000; i++) {
                    ops.affineSample(in, theta, size, Interpolation.BILINEAR, Padding.ZEROS, false, out);
                }
                long b4 = MX.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 5000; i++) {
                    ops.affineSampleBackward(out, in, theta, size, Interpolation.BILINEAR, Padding.BORDER, false, gin,
                            gt);
                }
                long b5 = MX.getCurrentThreadAllocatedBytes();
                perCall[0] = (b1 - b0) / 5000;
                perCall[1] = (b2 - b1) / 5000;
                perCall[2] = (b3 - b2) / 5000;
                perCall[3] = (b4 - b3) / 5000;
                perCall[4] = (b5 - b4) / 5000;
            }
            assertEquals(0, perCall[0], "affineGrid bytes per call");
            assertEquals(0, perCall[1], "gridSample bytes per call");
            assertTrue(perCall[2] <= 24, "gridSampleBackward bytes per call: " + perCall[2]);
            // the Java kernels' fused calls run sample by sample on slices of the tensors (a few small objects per
            // sample; their grid buffer is kept per thread); the native ones allocate nothing
            if (fused) {
                assertEquals(0, perCall[3], "affineSample bytes per call");
                assertTrue(perCall[4] <= 24, "affineSampleBackward bytes per call: " + perCall[4]);
            } else {
                assertTrue(perCall[3] <= 512 && perCall[4] <= 1536,
                        "Vector API fused bytes per call (N = 2; 368 and 1,064 here): " + perCall[3] + ", " + perCall[4]);
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /**
     * VECTOR_API with heap ({@code float[]}) tensors too, alone or beside native ones, in a JVM that has also run native
     * tensors (the test above): per-call checks once read each heap tensor's array through an Optional (16 bytes each).
     * The native backends stage heap tensors through native memory, which allocates: they are not held to this.
     */
    @Test
    void vectorApiHeapTensorsAllocateNothing() {
        SpatialOps ops = TestBackends.ops(Backend.VECTOR_API);
        int before = Parallel.threads();
        Parallel.setThreads(1);
        try (Tensor grid = Tensor.of(new float[2 * 19 * 37 * 2], 2, 19, 37, 2);
             Tensor nativeOut = Tensor.zeros(2, 3, 19, 37)) {
            Tensor in = Tensor.wrap(MemorySegment.ofArray(new float[2 * 3 * 23 * 29]), 2, 3, 23, 29);
            Tensor heapOut = Tensor.wrap(MemorySegment.ofArray(new float[2 * 3 * 19 * 37]), 2, 3, 19, 37);
            for (Tensor out : new Tensor[] {heapOut, nativeOut}) {
                long perCall = -1;
                // until steady: C2 takes longer to compile some Vector API paths (their Java fallbacks allocate)
                for (int round = 0; round < 40 && perCall != 0; round++) {
                    long b0 = MX.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < 2000; i++) {
                        ops.gridSample(in, grid, Interpolation.BILINEAR, Padding.ZEROS, false, out);
                    }
                    perCall = (MX.getCurrentThreadAllocatedBytes() - b0) / 2000;
                }
                assertEquals(0, perCall, "gridSample bytes per call, heap input, " + (out == heapOut ? "heap" : "native")
                        + " output");
            }
        } finally {
            Parallel.setThreads(before);
        }
    }
}
