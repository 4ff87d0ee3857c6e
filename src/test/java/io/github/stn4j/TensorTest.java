package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

    @Test
    void closeFreesOwnedMemory() {
        Tensor t = Tensor.zeros(4, 4);
        MemorySegment seg = t.segment();
        t.close();
        t.close(); // idempotent
        assertTrue(t.isClosed());
        assertFalse(seg.scope().isAlive());
        assertThrows(IllegalStateException.class, () -> seg.get(ValueLayout.JAVA_FLOAT, 0));
    }

    @Test
    void arenaOwnsArenaTensors() {
        MemorySegment seg;
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.of(arena, new float[] {1, 2}, 2);
            seg = t.segment();
            t.close(); // marks closed; the arena still owns the memory
            assertTrue(seg.scope().isAlive());
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
        assertFalse(grid.segment().scope().isAlive());
    }
}
