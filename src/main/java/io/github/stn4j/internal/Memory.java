package io.github.stn4j.internal;

import io.github.stn4j.internal.bindings.stn_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Off-heap memory for stn4j's own tensors and scratch buffers. Buffers of {@value #HUGE_MIN_BYTES} bytes or more come,
 * where the native library offers them (Linux), from {@code stn_alloc_huge}: 2 MiB-aligned mappings with transparent
 * huge pages asked for, so that the sampling kernels' scattered reads do not run out of TLB entries (see
 * native/src/memory.c for the measurement). The mapping belongs to the given arena: it is unmapped when the arena
 * closes, exactly when {@link Arena#allocate} memory would be freed. Everything else, and every failure of the native
 * path, allocates with {@link Arena#allocate} as before. The system property {@value #HUGE_PAGES_PROPERTY}{@code =false}
 * turns the native path off.
 */
public final class Memory {
    public static final String HUGE_PAGES_PROPERTY = "stn4j.hugePages";
    /** One huge page: smaller buffers gain nothing from 2 MiB alignment. */
    public static final long HUGE_MIN_BYTES = 2L << 20;
    private static final boolean HUGE_PAGES =
            !"false".equalsIgnoreCase(System.getProperty(HUGE_PAGES_PROPERTY, "true").strip());

    private Memory() {}

    /** {@code bytes} zeroed bytes, 64-byte aligned at least, owned by {@code arena}. */
    public static MemorySegment allocate(Arena arena, long bytes) {
        if (bytes >= HUGE_MIN_BYTES && HUGE_PAGES && NativeLoader.isLoaded()) {
            MemorySegment p = stn_h.stn_alloc_huge(bytes);
            if (!p.equals(MemorySegment.NULL)) {
                try {
                    // the cleanup gets a segment at the same address; it must not capture p's scope
                    return p.reinterpret(bytes, arena, s -> stn_h.stn_free_huge(s, bytes));
                } catch (RuntimeException | Error e) { // a closed arena, or one confined to another thread
                    stn_h.stn_free_huge(p, bytes);
                    throw e;
                }
            }
        }
        return arena.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes);
    }

    /** Whether a buffer of {@code bytes} would come from the huge-page path (for tests and {@code info}). */
    public static boolean hugePages(long bytes) {
        return bytes >= HUGE_MIN_BYTES && HUGE_PAGES && NativeLoader.isLoaded();
    }
}
