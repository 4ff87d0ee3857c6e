package io.github.stn4j.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Small per-thread buffers kept between calls, so that a steady stream of calls allocates nothing: the fused affine
 * sampler's row sums and the Java kernels' one-sample grid and grid gradient. Each slot keeps at most {@link #KEEP}
 * floats per thread (a request above that is the caller's to allocate and free: {@link #fits}); a kept buffer grows
 * to the largest such request of its thread and is freed with the thread (the native one by the garbage collector,
 * {@link Arena#ofAuto()}: it is not counted in stn4j's native-memory limit, which the bound keeps small). On virtual
 * threads each call starts with an empty thread-local, so there the buffers are allocated per call. Contents are
 * undefined; a buffer is valid until its thread asks for the same slot again, and may be larger than asked for.
 */
public final class ThreadScratch {
    /** Slots of {@link #heap}: the Java kernels' grid and grid gradient, the fused sampler's row sums. */
    public static final int GRID = 0, GRID_GRAD = 1, ROWS = 2;

    /** The most floats a slot keeps per thread (1 MiB). */
    public static final long KEEP = 1 << 18;

    private static final ThreadLocal<ThreadScratch> CURRENT = ThreadLocal.withInitial(ThreadScratch::new);

    private final MemorySegment[] heap = {MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL};
    private MemorySegment offHeap = MemorySegment.NULL;

    private ThreadScratch() {}

    /** Whether a request for {@code floats} floats is served from a kept buffer. */
    public static boolean fits(long floats) {
        return floats <= KEEP;
    }

    /** At least {@code floats} ({@link #fits}) floats on the Java heap, in slot {@link #GRID}, {@link #GRID_GRAD} or
     * {@link #ROWS}. */
    public static MemorySegment heap(int slot, long floats) {
        if (!fits(floats)) throw new IllegalArgumentException(floats + " floats is more than a thread keeps");
        ThreadScratch s = CURRENT.get();
        if (s.heap[slot].byteSize() < floats * 4) s.heap[slot] = MemorySegment.ofArray(new float[(int) Math.max(floats, 1)]);
        return s.heap[slot];
    }

    /** At least {@code floats} ({@link #fits}) floats of native memory, 64-byte aligned, which every thread may use. */
    public static MemorySegment offHeap(long floats) {
        if (!fits(floats)) throw new IllegalArgumentException(floats + " floats is more than a thread keeps");
        ThreadScratch s = CURRENT.get();
        if (s.offHeap.byteSize() < floats * 4) s.offHeap = Arena.ofAuto().allocate(Math.max(floats, 1) * 4, 64);
        return s.offHeap;
    }
}
