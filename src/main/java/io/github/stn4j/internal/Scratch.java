package io.github.stn4j.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A native buffer kept from one call to the next, so that a call does not pay for fresh pages: a new mapping costs a
 * page fault and the kernel's zeroing per page on first touch, inside the call (large backward, 2 threads: the chunk
 * that scattered into a fresh 12 MB partial buffer took 21-26 ms against 19 for the other, which then waited). Each
 * instance keeps at most one buffer, taken by one call at a time: a call that finds it taken (a concurrent call) or
 * too small allocates its own, and when done keeps it if it is at most {@code keepBytes} long and no other buffer was
 * kept meanwhile, else frees it. A taken buffer's contents are undefined (the last call's values): callers zero or
 * overwrite what they use.
 */
public final class Scratch {
    /** Most buffers kept between calls, per instance: 64 MiB (one 3 x 1024 x 1024 sample is 12 MiB). */
    public static final long KEEP_BYTES = 64L << 20;
    /** The backward's partial input gradients (see io.github.stn4j.Split). */
    public static final Scratch PARTIALS = new Scratch(KEEP_BYTES);
    /** Native copies of float[]-backed tensors for the native kernels (see io.github.stn4j.SpatialOps). */
    public static final Scratch STAGING = new Scratch(KEEP_BYTES);

    private record Held(Arena arena, MemorySegment segment) {}

    private final AtomicReference<Held> kept = new AtomicReference<>();
    private final long keepBytes;

    private Scratch(long keepBytes) {
        this.keepBytes = keepBytes;
    }

    /** Frees every kept buffer (buffers in use are kept by their calls until they end). */
    public static void releaseAll() {
        PARTIALS.release();
        STAGING.release();
    }

    /** Frees the kept buffer, if any. */
    public void release() {
        Held h = kept.getAndSet(null);
        if (h != null) h.arena.close();
    }

    /** At least {@code bytes} bytes of shared native memory, 64-byte aligned, until the lease is closed. */
    public Lease take(long bytes) {
        Held h = kept.getAndSet(null);
        if (h != null && h.segment.byteSize() >= bytes) return new Lease(h);
        if (h != null) h.arena.close();
        Arena arena = Arena.ofShared(); // the pool's threads use it
        try {
            return new Lease(new Held(arena, Memory.allocate(arena, bytes)));
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** A buffer in use by one call. */
    public final class Lease implements AutoCloseable {
        private final Held held;

        private Lease(Held held) {
            this.held = held;
        }

        /** The whole buffer (at least the bytes asked for). */
        public MemorySegment segment() {
            return held.segment;
        }

        /** Keeps the buffer for the next call, or frees it. Only once every thread has stopped using it. */
        @Override
        public void close() {
            if (held.segment.byteSize() <= keepBytes && kept.compareAndSet(null, held)) return;
            held.arena.close();
        }
    }
}
