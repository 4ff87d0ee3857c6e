package io.github.stn4j.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread buffers kept between calls, so that a steady stream of same-sized calls allocates nothing: the fused
 * affine sampler's row sums (native, for the native kernels) and the Java kernels' one-sample grid and grid gradient.
 * A buffer grows to the largest request its thread made and lives as long as the thread (the native one is freed by
 * the garbage collector after that: {@link Arena#ofAuto()}). Contents are undefined; a buffer is valid until its
 * thread asks for the same slot again, and may be larger than asked for.
 */
public final class ThreadScratch {
    /** Slots of {@link #heap}: the Java kernels' grid and grid gradient, the fused sampler's row sums. */
    public static final int GRID = 0, GRID_GRAD = 1, ROWS = 2;

    private static final ThreadLocal<ThreadScratch> CURRENT = ThreadLocal.withInitial(ThreadScratch::new);

    private final MemorySegment[] heap = {MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL};
    private MemorySegment offHeap = MemorySegment.NULL;

    private ThreadScratch() {}

    /** At least {@code floats} floats on the Java heap, in slot {@link #GRID}, {@link #GRID_GRAD} or {@link #ROWS}. */
    public static MemorySegment heap(int slot, long floats) {
        ThreadScratch s = CURRENT.get();
        if (s.heap[slot].byteSize() < floats * 4) {
            s.heap[slot] = MemorySegment.ofArray(new float[Math.toIntExact(Math.max(floats, 1))]);
        }
        return s.heap[slot];
    }

    /** At least {@code floats} floats of native memory, 64-byte aligned, which every thread may access. */
    public static MemorySegment offHeap(long floats) {
        ThreadScratch s = CURRENT.get();
        if (s.offHeap.byteSize() < floats * 4) s.offHeap = Arena.ofAuto().allocate(Math.max(floats, 1) * 4, 64);
        return s.offHeap;
    }
}
