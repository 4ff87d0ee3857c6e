package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void ofCopiesAndIndexesRowMajor() {
        float[] v = {1, 2, 3, 4, 5, 6};
        Tensor t = Tensor.of(v, 2, 3);
        v[0] = 99;
        assertArrayEquals(new long[] {2, 3}, t.shape());
        assertEquals(1f, t.get(0, 0));
        assertEquals(6f, t.get(1, 2));
        t.set(7f, 1, 0);
        assertArrayEquals(new float[] {1, 2, 3, 7, 5, 6}, t.toArray());
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(2, 0));
        assertEquals("Tensor[2, 3]", t.toString());
    }

    /** Closing returns the memory to the pool (counted), and the tensor refuses every later use. */
    @Test
    void closeReturnsOwnedMemoryAndRefusesLaterUse() {
        Stn4j.NativeMemory before = Stn4j.nativeMemory();
        Tensor t = Tensor.zeros(1, 1, 1000, 1000);
        Stn4j.NativeMemory live = Stn4j.nativeMemory();
        assertTrue(live.inUseBytes() - before.inUseBytes() >= 4_000_000, before + " -> " + live);
        t.close();
        t.close(); // idempotent
        assertTrue(t.isClosed());
        Stn4j.NativeMemory after = Stn4j.nativeMemory();
        assertTrue(after.inUseBytes() <= live.inUseBytes() - 4_000_000, live + " -> " + after);
        assertThrows(IllegalStateException.class, t::toArray);
        assertThrows(IllegalStateException.class, () -> t.get(0, 0, 0, 0));
        assertThrows(IllegalStateException.class, () -> t.set(1f, 0, 0, 0, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SpatialOps.best()
                .gridSample(t, Tensor.zeros(1, 1, 1, 2), Interpolation.BILINEAR, Padding.ZEROS, false));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    /**
     * A wrapped view of a result's segment (a reshape) keeps the result's memory alive after the result itself is
     * dropped, however much the pool reuses meanwhile; the segment of a closed tensor cannot be wrapped.
     */
    @Test
    void aViewOfAPooledTensorKeepsItsMemory() throws InterruptedException {
        float[] values = new float[3 * 4321];
        for (int i = 0; i < values.length; i++) values[i] = i;
        Tensor view = Tensor.wrap(Tensor.of(values, 3, 4321).segment(), 3 * 4321); // the tensor itself is dropped
        for (int i = 0; i < 10; i++) {
            System.gc();
            Thread.sleep(10);
            Tensor.zeros(3, 4321).close(); // would reuse the dropped tensor's block had it been freed
        }
        assertArrayEquals(values, view.toArray());
        Tensor closed = Tensor.of(values, 3, 4321);
        MemorySegment seg = closed.segment();
        closed.close();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(seg, 3, 4321));
        assertTrue(e.getMessage().contains("closed or collected"), e.getMessage());
    }

    /** PyTorch's defaults (bilinear, zeros, align_corners=false) and the gradients closed together. */
    @Test
    void defaultArgumentOverloadsAndClosableGradients() {
        SpatialOps ops = SpatialOps.best();
        float[] in = new float[2 * 3 * 5 * 6];
        for (int i = 0; i < in.length; i++) in[i] = (float) Math.cos(i);
        long[] size = {2, 3, 4, 7};
        try (Tensor theta = Tensor.of(new float[] {0.9f, -0.3f, 0.1f, 0.25f, 0.85f, -0.05f, 1, 0, 0, 0, 1, 0}, 2, 2, 3);
             Tensor input = Tensor.of(in, 2, 3, 5, 6);
             Tensor grid = ops.affineGrid(theta, size);
             Tensor explicitGrid = ops.affineGrid(theta, size, false);
             Tensor out = ops.gridSample(input, grid);
             Tensor explicitOut = ops.gridSample(input, grid, Interpolation.BILINEAR, Padding.ZEROS, false)) {
            assertArrayEquals(explicitGrid.toArray(), grid.toArray());
            assertArrayEquals(explicitOut.toArray(), out.toArray());
            GridSampleGrads g = ops.gridSampleBackward(out, input, grid);
            try (g; GridSampleGrads e = ops.gridSampleBackward(out, input, grid, Interpolation.BILINEAR, Padding.ZEROS,
                    false); Tensor gt = ops.affineGridBackward(g.grid(), size)) {
                assertArrayEquals(e.input().toArray(), g.input().toArray());
                assertArrayEquals(e.grid().toArray(), g.grid().toArray());
                assertEquals(6 * 2, gt.numel());
            }
            assertTrue(g.input().isClosed() && g.grid().isClosed());
        }
    }

    /** zeros is zeros even on a reused block; of copies exactly; a block reused by a new tensor is that tensor's. */
    @Test
    void reusedMemoryIsZeroedWherePromised() {
        float[] ones = new float[777];
        java.util.Arrays.fill(ones, 1f);
        for (int round = 0; round < 3; round++) {
            Tensor a = Tensor.of(ones, 777);
            a.close();
            try (Tensor z = Tensor.zeros(777)) { // most likely a's block again
                for (float v : z.toArray()) assertEquals(0f, v);
            }
            try (Tensor b = Tensor.of(new float[] {1, 2, 3}, 3)) {
                assertArrayEquals(new float[] {1, 2, 3}, b.toArray());
            }
        }
    }

    @Test
    void arenaOwnsArenaTensors() {
        MemorySegment seg;
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.of(arena, new float[] {1, 2}, 2);
            seg = t.segment();
            t.close(); // marks closed; the arena still owns the memory
            assertTrue(seg.scope().isAlive());
            assertThrows(IllegalStateException.class, t::toArray); // but the tensor refuses use like any other
        }
        assertFalse(seg.scope().isAlive());
    }

    @Test
    void wrapIsZeroCopy() {
        float[] backing = {1, 2, 3, 4, 5, 6, 7};
        Tensor t = Tensor.wrap(MemorySegment.ofArray(backing), 2, 3);
        backing[4] = 50;
        assertEquals(50f, t.get(1, 1));
        assertEquals(24, t.segment().byteSize()); // only the prefix the shape needs
    }

    @Test
    void emptyTensors() {
        Tensor t = Tensor.zeros(0, 3);
        assertEquals(0, t.numel());
        assertEquals(0, t.toArray().length);
    }

    /** Heap-backed tensors are staged through native memory by the native backends, with identical results. */
    @Test
    void heapTensorsGiveTheSameResults() {
        for (Backend b : Backend.available()) {
            SpatialOps ops = SpatialOps.of(b);
            float[] in = new float[2 * 3 * 5 * 6];
            for (int i = 0; i < in.length; i++) in[i] = (float) Math.sin(i);
            Tensor theta = Tensor.of(new float[] {0.9f, -0.3f, 0.1f, 0.25f, 0.85f, -0.05f,
                    1, 0, 0, 0, 1, 0}, 2, 2, 3);
            Tensor grid = ops.affineGrid(theta, new long[] {2, 3, 4, 7}, false);
            Tensor off = ops.gridSample(Tensor.of(in, 2, 3, 5, 6), grid, Interpolation.BILINEAR, Padding.BORDER, false);
            float[] outArray = new float[2 * 3 * 4 * 7];
            Tensor heapOut = Tensor.wrap(MemorySegment.ofArray(outArray), 2, 3, 4, 7);
            Tensor heapGrid = Tensor.wrap(MemorySegment.ofArray(grid.toArray()), 2, 4, 7, 2);
            ops.gridSample(Tensor.wrap(MemorySegment.ofArray(in), 2, 3, 5, 6), heapGrid, Interpolation.BILINEAR,
                    Padding.BORDER, false, heapOut);
            assertArrayEquals(off.toArray(), outArray, b + ": heap and off-heap results differ");
            float[] nonZero = off.toArray();
            assertTrue(java.util.stream.IntStream.range(0, nonZero.length).anyMatch(i -> nonZero[i] != 0));
            // backward accumulates: a heap gradInput holding garbage must still come back overwritten
            float[] gi = new float[in.length];
            java.util.Arrays.fill(gi, 123f);
            ops.gridSampleBackward(Tensor.of(outArray, 2, 3, 4, 7), Tensor.of(in, 2, 3, 5, 6), grid,
                    Interpolation.BILINEAR, Padding.BORDER, false, Tensor.wrap(MemorySegment.ofArray(gi), 2, 3, 5, 6),
                    null);
            GridSampleGrads ref = ops.gridSampleBackward(Tensor.of(outArray, 2, 3, 4, 7), Tensor.of(in, 2, 3, 5, 6),
                    grid, Interpolation.BILINEAR, Padding.BORDER, false);
            assertArrayEquals(ref.input().toArray(), gi, b + ": heap gradInput differs");
        }
        assertFalse(Backend.available().isEmpty(), "no backend available");
    }

    @Test
    void resultsOwnTheirMemory() {
        SpatialOps ops = SpatialOps.best();
        Tensor grid = ops.affineGrid(Tensor.of(new float[] {1, 0, 0, 0, 1, 0}, 1, 2, 3), new long[] {1, 1, 2, 2}, true);
        assertArrayEquals(new float[] {-1, -1, 1, -1, -1, 1, 1, 1}, grid.toArray());
        grid.close();
        assertTrue(grid.isClosed());
        assertThrows(IllegalStateException.class, grid::toArray);
    }
}
