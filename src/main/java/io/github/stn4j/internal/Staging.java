package io.github.stn4j.internal;

import java.lang.foreign.MemorySegment;

/**
 * Native stand-ins for the heap-backed ({@code float[]}) segments of one kernel call, for kernels that read and write
 * only native memory ({@link Kernels#nativeMemoryOnly()}: a plain downcall rejects heap segments). The stand-ins are
 * carved out of one block of the pool, 64-byte aligned, and the block goes back to the pool on {@link #close()}.
 *
 * <p>The caller chooses the granularity (the API stages a whole call once when it will cut samples into row ranges,
 * and each piece of whole samples on its own otherwise, so that a piece's copies are used while they are in cache:
 * docs/kernels.md, "Staging heap tensors"). Either way the flow is the same: {@link #in} for inputs,
 * {@link #out} for outputs the kernel overwrites, {@link #accumulating} for outputs it adds into, then {@link #back}
 * or {@link #backRows} for each output, then {@link #close()}.
 */
public final class Staging implements AutoCloseable {
    /** Stages nothing: every method returns its segment as it is. {@link #of} returns it when nothing is on the heap. */
    public static final Staging NONE = new Staging(null);

    private static final long ALIGN = 64;
    private final Pool.Block block;
    private long used;

    private Staging(Pool.Block block) {
        this.block = block;
    }

    /**
     * Staging for the heap segments among {@code a..e} (null: absent); {@link #NONE}, with nothing allocated, when
     * all of them are native. Fixed arity, not varargs: this runs on every call, and a varargs array is allocated.
     */
    public static Staging of(MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment d, MemorySegment e) {
        // a heap segment of 0 bytes needs a (0-byte) native stand-in too: a downcall refuses any heap segment
        if (!onHeap(a) && !onHeap(b) && !onHeap(c) && !onHeap(d) && !onHeap(e)) return NONE;
        return new Staging(Pool.allocate(need(a) + need(b) + need(c) + need(d) + need(e), false));
    }

    private static boolean onHeap(MemorySegment s) {
        return s != null && !s.isNative();
    }

    private static long need(MemorySegment s) {
        return onHeap(s) ? (s.byteSize() + ALIGN - 1) / ALIGN * ALIGN : 0;
    }

    private boolean stages(MemorySegment s) {
        return block != null && s != null && !s.isNative();
    }

    private MemorySegment take(long bytes) {
        MemorySegment s = block.segment().asSlice(used, bytes);
        used += (bytes + ALIGN - 1) / ALIGN * ALIGN;
        return s;
    }

    /** An input (or null): native as it is, else a native copy of its values. */
    public MemorySegment in(MemorySegment s) {
        return stages(s) ? take(s.byteSize()).copyFrom(s) : s;
    }

    /** An output the kernel overwrites (or null): native as it is, else native memory of its size, values undefined. */
    public MemorySegment out(MemorySegment s) {
        return stages(s) ? take(s.byteSize()) : s;
    }

    /** An output the kernel adds into (or null): native as it is, else a native copy of its current values. */
    public MemorySegment accumulating(MemorySegment s) {
        return in(s);
    }

    /** A staged output back into its target, whole: for outputs the call may write anywhere in. */
    public void back(MemorySegment staged, MemorySegment target) {
        if (staged != target) target.copyFrom(staged);
    }

    /**
     * A staged output back into its target, only the rows [r0, r1) the call wrote: each of the {@code n} samples holds
     * {@code planes} planes of {@code planeFloats} floats whose rows are {@code rowFloats} long. Copying more would
     * overwrite rows that other tasks of the same call write concurrently, when a sample's rows are split over threads.
     */
    public void backRows(MemorySegment staged, MemorySegment target, long n, long planes, long planeFloats,
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

    @Override
    public void close() {
        if (block != null) Pool.free(block, false);
    }
}
