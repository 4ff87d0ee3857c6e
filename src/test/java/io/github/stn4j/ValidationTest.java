package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad arguments never reach C: each is an IllegalArgumentException naming the argument and the shapes. */
class ValidationTest {
    final SpatialOps ops = TestBackends.ops(Backend.available().isEmpty() ? Backend.NATIVE_SCALAR
            : Backend.available().get(0));
    final Interpolation bil = Interpolation.BILINEAR;
    final Padding zeros = Padding.ZEROS;

    static void fails(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
    }

    @Test
    void affineGridShapes() {
        Tensor theta = Tensor.zeros(2, 2, 3);
        fails(() -> ops.affineGrid(Tensor.zeros(2, 3, 3), new long[] {2, 1, 4, 4}, false),
                "affineGrid", "theta", "[2, 2, 3]", "[2, 3, 3]");
        fails(() -> ops.affineGrid(theta, new long[] {3, 1, 4, 4}, false), "theta", "[3, 2, 3]", "[2, 2, 3]");
        fails(() -> ops.affineGrid(theta, new long[] {2, 4, 4}, false), "size", "{N, C, H, W}");
        fails(() -> ops.affineGrid(theta, new long[] {2, 1, 0, 4}, false), "size must be positive");
        fails(() -> ops.affineGrid(theta, null, false), "size must not be null");
        fails(() -> ops.affineGrid(null, new long[] {2, 1, 4, 4}, false), "theta must not be null");
        fails(() -> ops.affineGrid(theta, new long[] {2, 1, 4, 4}, false, Tensor.zeros(2, 4, 5, 2)),
                "grid", "[2, 4, 4, 2]", "[2, 4, 5, 2]");
        fails(() -> ops.affineGrid(theta, new long[] {2, 1, Long.MAX_VALUE / 2, 4}, false), "too large");
        fails(() -> ops.affineGridBackward(Tensor.zeros(2, 4, 4, 3), new long[] {2, 1, 4, 4}, false),
                "gradGrid", "[2, 4, 4, 2]", "[2, 4, 4, 3]");
        fails(() -> ops.affineGridBackward(Tensor.zeros(2, 4, 4, 2), new long[] {2, 1, 4, 4}, false,
                Tensor.zeros(2, 3, 3)), "gradTheta", "[2, 2, 3]", "[2, 3, 3]");
    }

    @Test
    void gridSampleShapes() {
        Tensor in = Tensor.zeros(2, 3, 5, 6), grid = Tensor.zeros(2, 4, 7, 2);
        fails(() -> ops.gridSample(Tensor.zeros(3, 5, 6), grid, bil, zeros, false), "input", "N, C, H, W", "[3, 5, 6]");
        fails(() -> ops.gridSample(in, Tensor.zeros(3, 4, 7, 2), bil, zeros, false), "grid", "[2, *, *, 2]",
                "[3, 4, 7, 2]");
        fails(() -> ops.gridSample(in, Tensor.zeros(2, 4, 7, 3), bil, zeros, false), "grid", "[2, *, *, 2]",
                "[2, 4, 7, 3]");
        fails(() -> ops.gridSample(Tensor.zeros(2, 3, 0, 6), grid, bil, zeros, false), "non-empty spatial");
        fails(() -> ops.gridSample(in, grid, null, zeros, false), "mode must not be null");
        fails(() -> ops.gridSample(in, grid, bil, null, false), "padding must not be null");
        fails(() -> ops.gridSample(in, grid, bil, zeros, false, Tensor.zeros(2, 3, 7, 4)), "output",
                "[2, 3, 4, 7]", "[2, 3, 7, 4]");
        fails(() -> ops.gridSampleBackward(Tensor.zeros(2, 3, 4, 6), in, grid, bil, zeros, false), "gradOutput",
                "[2, 3, 4, 7]", "[2, 3, 4, 6]");
        Tensor gout = Tensor.zeros(2, 3, 4, 7);
        fails(() -> ops.gridSampleBackward(gout, in, grid, bil, zeros, false, Tensor.zeros(2, 3, 5, 5), null),
                "gradInput", "[2, 3, 5, 6]");
        fails(() -> ops.gridSampleBackward(gout, in, grid, bil, zeros, false, null, Tensor.zeros(2, 4, 7, 1)),
                "gradGrid", "[2, 4, 7, 2]");
        fails(() -> ops.gridSampleBackward(gout, in, grid, bil, zeros, false, null, null), "both null");
    }

    @Test
    void threeDimensionalShapes() {
        Tensor in = Tensor.zeros(2, 3, 4, 5, 6), grid = Tensor.zeros(2, 2, 3, 4, 3);
        fails(() -> ops.gridSample(in, grid, Interpolation.BICUBIC, zeros, false), "BICUBIC supports only 4-D");
        fails(() -> ops.gridSample(in, Tensor.zeros(2, 2, 3, 4, 2), bil, zeros, false), "grid", "[2, *, *, *, 3]",
                "[2, 2, 3, 4, 2]");
        fails(() -> ops.gridSample(in, Tensor.zeros(2, 3, 4, 2), bil, zeros, false), "grid", "[2, *, *, *, 3]");
        fails(() -> ops.gridSample(Tensor.zeros(2, 3, 4, 0, 6), grid, bil, zeros, false), "non-empty spatial");
        fails(() -> ops.gridSample(Tensor.zeros(2, 3), grid, bil, zeros, false), "[N, C, H, W] or [N, C, D, H, W]");
        fails(() -> ops.affineGrid(Tensor.zeros(2, 2, 3), new long[] {2, 1, 3, 4, 5}, false), "theta", "[2, 3, 4]");
        fails(() -> ops.affineGridBackward(Tensor.zeros(2, 3, 4, 5, 2), new long[] {2, 1, 3, 4, 5}, false),
                "gradGrid", "[2, 3, 4, 5, 3]");
        fails(() -> ops.affineGrid(Tensor.zeros(2, 3, 4), new long[] {2, 1, 3}, false), "{N, C, D, H, W}");
    }

    @Test
    void perspectiveGridShapes() {
        Tensor theta = Tensor.zeros(2, 3, 3);
        long[] size = {2, 1, 4, 5};
        fails(() -> ops.perspectiveGrid(Tensor.zeros(2, 2, 3), size, false), "perspectiveGrid", "theta",
                "[2, 3, 3]", "[2, 2, 3]");
        fails(() -> ops.perspectiveGrid(theta, new long[] {3, 1, 4, 5}, false), "theta", "[3, 3, 3]", "[2, 3, 3]");
        fails(() -> ops.perspectiveGrid(theta, new long[] {2, 1, 3, 4, 5}, false), "size must be {N, C, H, W}",
                "2-D only");
        fails(() -> ops.perspectiveGrid(theta, new long[] {2, 1, 0, 5}, false), "size must be positive");
        fails(() -> ops.perspectiveGrid(theta, null, false), "size must not be null");
        fails(() -> ops.perspectiveGrid(null, size, false), "theta must not be null");
        fails(() -> ops.perspectiveGrid(theta, size, false, Tensor.zeros(2, 5, 4, 2)), "grid", "[2, 4, 5, 2]",
                "[2, 5, 4, 2]");
        fails(() -> ops.perspectiveGridBackward(Tensor.zeros(2, 4, 5, 3), theta, size, false), "perspectiveGridBackward",
                "gradGrid", "[2, 4, 5, 2]", "[2, 4, 5, 3]");
        fails(() -> ops.perspectiveGridBackward(Tensor.zeros(2, 4, 5, 2), Tensor.zeros(1, 3, 3), size, false),
                "theta", "[2, 3, 3]", "[1, 3, 3]");
        fails(() -> ops.perspectiveGridBackward(Tensor.zeros(2, 4, 5, 2), theta, size, false, Tensor.zeros(2, 2, 3)),
                "gradTheta", "[2, 3, 3]", "[2, 2, 3]");
        Tensor shared = Tensor.zeros(2, 3, 3);
        fails(() -> ops.perspectiveGridBackward(Tensor.zeros(2, 4, 5, 2), shared, size, false, shared),
                "gradTheta overlaps");
    }

    @Test
    void tpsGridShapes() {
        Tensor src = Tensor.zeros(2, 4, 2), tgt = Tensor.of(new float[] {-1, -1, 1, -1, -1, 1, 1, 1}, 4, 2);
        long[] size = {2, 1, 4, 5};
        fails(() -> ops.tpsGrid(src, Tensor.zeros(4, 3), size, false), "tpsGrid", "targetPoints", "[*, 2]",
                "[4, 3]");
        fails(() -> ops.tpsGrid(Tensor.zeros(2, 5, 2), tgt, size, false), "sourcePoints", "[2, 4, 2]", "[2, 5, 2]");
        fails(() -> ops.tpsGrid(Tensor.zeros(3, 4, 2), tgt, size, false), "sourcePoints", "[2, 4, 2]", "[3, 4, 2]");
        fails(() -> ops.tpsGrid(src, tgt, new long[] {2, 1, 4}, false), "size must be {N, C, H, W}");
        fails(() -> ops.tpsGrid(src, null, size, false), "targetPoints must not be null");
        fails(() -> ops.tpsGrid(null, tgt, size, false), "sourcePoints must not be null");
        fails(() -> ops.tpsGrid(src, tgt, size, false, Tensor.zeros(2, 4, 5, 3)), "grid", "[2, 4, 5, 2]");
        fails(() -> ops.tpsGridBackward(Tensor.zeros(2, 5, 4, 2), tgt, size, false), "tpsGridBackward", "gradGrid",
                "[2, 4, 5, 2]", "[2, 5, 4, 2]");
        fails(() -> ops.tpsGridBackward(Tensor.zeros(2, 4, 5, 2), tgt, size, false, Tensor.zeros(2, 3, 2)),
                "gradSourcePoints", "[2, 4, 2]", "[2, 3, 2]");
        MemorySegment shared = Arena.ofAuto().allocate(4L * 2 * 4 * 5 * 2, 4);
        Tensor gridView = Tensor.wrap(shared, 2, 4, 5, 2), srcView = Tensor.wrap(shared.asSlice(0, 64), 2, 4, 2);
        fails(() -> ops.tpsGrid(srcView, tgt, size, false, gridView), "grid overlaps");
        Tensor closed = Tensor.zeros(4, 2);
        closed.close();
        fails(() -> ops.tpsGrid(src, closed, size, false), "targetPoints is closed");
    }

    @Test
    void closedAndFreedTensors() {
        Tensor theta = Tensor.zeros(1, 2, 3);
        theta.close();
        fails(() -> ops.affineGrid(theta, new long[] {1, 1, 2, 2}, false), "theta is closed");
        Tensor inArena;
        try (Arena arena = Arena.ofConfined()) {
            inArena = Tensor.zeros(arena, 1, 2, 3);
        }
        fails(() -> ops.affineGrid(inArena, new long[] {1, 1, 2, 2}, false), "theta", "freed");
    }

    @Test
    void tensorOfAnotherThreadsConfinedArena() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.zeros(arena, 1, 2, 3);
            Throwable[] seen = new Throwable[1];
            Thread other = new Thread(() -> {
                try {
                    ops.affineGrid(t, new long[] {1, 1, 2, 2}, false);
                } catch (Throwable e) {
                    seen[0] = e;
                }
            });
            other.start();
            other.join();
            assertTrue(seen[0] instanceof IllegalArgumentException, "got " + seen[0]);
            assertTrue(seen[0].getMessage().contains("confined arena of another thread"), seen[0].getMessage());
        }
    }

    @Test
    void readOnlyAndOverlappingOutputs() {
        Tensor theta = Tensor.of(new float[] {1, 0, 0, 0, 1, 0}, 1, 2, 3);
        Tensor ro = Tensor.wrap(Tensor.zeros(1, 2, 2, 2).segment().asReadOnly(), 1, 2, 2, 2);
        fails(() -> ops.affineGrid(theta, new long[] {1, 1, 2, 2}, false, ro), "grid is read-only");
        // output aliasing its input: grid and output views of one buffer
        MemorySegment shared = Arena.ofAuto().allocate(4L * 2 * 2 * 2, 4);
        Tensor in = Tensor.wrap(shared, 1, 2, 2, 2);
        Tensor grid = Tensor.wrap(shared, 1, 2, 2, 2);
        Tensor out = Tensor.wrap(shared, 1, 2, 2, 2);
        fails(() -> ops.gridSample(in, grid, bil, zeros, false, out), "output overlaps");
        Tensor gi = Tensor.zeros(1, 2, 2, 2);
        fails(() -> ops.gridSampleBackward(Tensor.zeros(1, 2, 2, 2), Tensor.zeros(1, 2, 2, 2), Tensor.zeros(1, 2, 2, 2),
                bil, zeros, false, gi, gi), "gradInput overlaps");
    }

    @Test
    void rejectedCallsLeaveOutputsUntouched() {
        float[] sentinel = new float[2 * 3 * 4 * 7];
        Arrays.fill(sentinel, 42f);
        Tensor out = Tensor.of(sentinel, 2, 3, 4, 7);
        fails(() -> ops.gridSample(Tensor.zeros(2, 3, 5, 6), Tensor.zeros(2, 4, 7, 3), bil, zeros, false, out), "grid");
        assertArrayEquals(sentinel, out.toArray());
    }

    @Test
    void tensorFactories() {
        fails(() -> Tensor.of(new float[5], 2, 3), "[2, 3]", "6 elements", "5 values");
        fails(() -> Tensor.zeros(2, -1), "negative");
        fails(() -> Tensor.zeros(Long.MAX_VALUE, 4), "too large");
        fails(() -> Tensor.wrap(MemorySegment.ofArray(new float[5]), 2, 3), "too small");
        fails(() -> Tensor.wrap(MemorySegment.ofArray(new byte[64]).asSlice(1), 2, 3), "aligned");
        assertEquals(6, Tensor.wrap(MemorySegment.ofArray(new float[8]), 2, 3).numel());
    }
}
