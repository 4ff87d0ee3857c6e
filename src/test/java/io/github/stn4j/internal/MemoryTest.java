package io.github.stn4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.stn4j.Backend;
import io.github.stn4j.Interpolation;
import io.github.stn4j.Padding;
import io.github.stn4j.SpatialOps;
import io.github.stn4j.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Memory.allocate: big buffers on the huge-page path where it exists, same contract as Arena.allocate either way. */
class MemoryTest {
    private static final long BIG = 3L * 1024 * 1024 + 12; // not a multiple of any page size

    private static boolean linux() {
        return NativeLoader.platform().startsWith("linux-") && NativeLoader.isLoaded();
    }

    @Test
    void bigBuffersAreZeroedAlignedAndFreedWithTheirArena() {
        MemorySegment seg;
        try (Arena arena = Arena.ofShared()) {
            seg = Memory.allocate(arena, BIG);
            assertEquals(BIG, seg.byteSize());
            assertEquals(linux(), Memory.hugePages(BIG));
            assertEquals(0, seg.address() % (linux() ? 2L << 20 : 64), "alignment");
            for (long i = 0; i < BIG; i += 4093) assertEquals(0, seg.get(ValueLayout.JAVA_BYTE, i), "zero at " + i);
            seg.set(ValueLayout.JAVA_BYTE, BIG - 1, (byte) 7); // the last byte is ours
            assertEquals(7, seg.get(ValueLayout.JAVA_BYTE, BIG - 1));
        }
        MemorySegment closed = seg;
        assertThrows(IllegalStateException.class, () -> closed.get(ValueLayout.JAVA_BYTE, 0), "freed with the arena");
    }

    @Test
    void zeroClearsEveryByteAndChecksLikeFill() throws InterruptedException {
        for (long bytes : new long[] {Memory.MEMSET_MIN_BYTES + 5, 1000}) { // the memset path, then fill
            Arena arena = Arena.ofConfined();
            MemorySegment whole = arena.allocate(bytes + 2);
            MemorySegment seg = whole.asSlice(1, bytes); // unaligned, with a guard byte on each side
            whole.fill((byte) 0x5A);
            Memory.zero(seg);
            assertEquals(-1, seg.mismatch(arena.allocate(bytes)), "every byte zero (" + bytes + ")");
            assertEquals(0x5A, whole.get(ValueLayout.JAVA_BYTE, 0), "nothing before the segment");
            assertEquals(0x5A, whole.get(ValueLayout.JAVA_BYTE, bytes + 1), "nothing after it");
            MemorySegment readOnly = seg.asReadOnly(); // refused as fill refuses it
            assertEquals(assertThrows(RuntimeException.class, () -> readOnly.fill((byte) 0)).getClass(),
                    assertThrows(RuntimeException.class, () -> Memory.zero(readOnly)).getClass());
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread other = new Thread(() -> {
                try {
                    Memory.zero(seg);
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            other.start();
            other.join();
            assertTrue(thrown.get() instanceof WrongThreadException, String.valueOf(thrown.get()));
            arena.close();
            assertThrows(IllegalStateException.class, () -> Memory.zero(seg));
        }
    }

    @Test
    void smallBuffersTakeTheArenaPath() {
        assertFalse(Memory.hugePages(Memory.HUGE_MIN_BYTES - 1));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = Memory.allocate(arena, 100);
            assertEquals(100, seg.byteSize());
            assertEquals(0, seg.address() % 64);
        }
    }

    @Test
    void aConfinedArenaOfAnotherThreadIsRefusedAsArenaAllocateRefusesIt() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    Memory.allocate(arena, BIG);
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            t.start();
            t.join();
            assertTrue(thrown.get() instanceof WrongThreadException, String.valueOf(thrown.get()));
        }
    }

    @Test
    void ownedTensorsOnTheHugePathSampleLikeAnyOther() {
        // 1 x 3 x 512 x 512 input (3 MiB): the huge-page path on Linux; its result equals the same call on a wrapped
        // float[] copy, bit for bit (same backend, same values)
        long[] shape = {1, 3, 512, 512};
        float[] values = new float[3 * 512 * 512];
        for (int i = 0; i < values.length; i++) values[i] = (i * 2654435761L % 1000) / 1000f;
        try (Tensor input = Tensor.of(values, shape);
             Tensor heap = Tensor.wrap(MemorySegment.ofArray(values.clone()), shape);
             Tensor theta = Tensor.of(new float[] {0.9f, -0.3f, 0.1f, 0.25f, 0.85f, -0.05f}, 1, 2, 3)) {
            SpatialOps ops = SpatialOps.of(Backend.JAVA_SCALAR);
            try (Tensor grid = ops.affineGrid(theta, new long[] {1, 3, 300, 300}, false);
                 Tensor a = ops.gridSample(input, grid, Interpolation.BILINEAR, Padding.ZEROS, false);
                 Tensor b = ops.gridSample(heap, grid, Interpolation.BILINEAR, Padding.ZEROS, false)) {
                assertEquals(linux(), input.segment().address() % (2L << 20) == 0);
                assertEquals(-1, a.segment().mismatch(b.segment()));
            }
        }
    }
}
