package io.github.stn4j.internal;

import io.github.stn4j.internal.bindings.stn_h;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Off-heap memory for stn4j's own tensors and scratch buffers. Buffers of {@value #HUGE_MIN_BYTES} bytes or more come,
 * where the native library offers them (Linux), from {@code stn_alloc_huge}: 2 MiB-aligned mappings with transparent
 * huge pages asked for, so that the sampling kernels' scattered reads do not run out of TLB entries (see
 * native/src/memory.c, and docs/kernels.md for the measurement). The mapping belongs to the given arena: it is
 * unmapped when the arena closes, exactly when {@link Arena#allocate} memory would be freed. Everything else, and
 * every failure of the native path, allocates with {@link Arena#allocate} as before. The system property
 * {@value #HUGE_PAGES_PROPERTY}{@code =false} turns the native path off.
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
        if (hugePages(bytes)) {
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

    /** Segments from this size up are zeroed by the C library's memset (see {@link #zero}). */
    static final long MEMSET_MIN_BYTES = 1L << 20;
    private static final MethodHandle MEMSET = memset();

    private static MethodHandle memset() {
        if (!Memory.class.getModule().isNativeAccessEnabled()) return null; // no restricted call, no JDK warning
        try {
            Linker linker = Linker.nativeLinker();
            // its void * result (the first argument) is dropped: no segment object per call for it
            return linker.defaultLookup().find("memset").map(a -> linker.downcallHandle(a, FunctionDescriptor.ofVoid(
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG))).orElse(null);
        } catch (RuntimeException | Error e) { // no C library lookup here: fill() it is
            return null;
        }
    }

    /**
     * Zeroes {@code s}, as {@code s.fill((byte) 0)} does. The backward passes zero their input gradient before
     * scattering into it, and glibc's memset, which streams large blocks past the caches, does that in about half the
     * time of {@link MemorySegment#fill} (docs/kernels.md, "Zeroing"). Writable off-heap segments of
     * {@value #MEMSET_MIN_BYTES} bytes or more take memset when native access is enabled (the downcall checks that the
     * segment is alive and may be used by this thread, as fill does); everything else fill.
     */
    public static void zero(MemorySegment s) {
        if (MEMSET != null && s.isNative() && !s.isReadOnly() && s.byteSize() >= MEMSET_MIN_BYTES) {
            try {
                MEMSET.invokeExact(s, 0, s.byteSize());
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new AssertionError(e);
            }
            return;
        }
        s.fill((byte) 0);
    }

    private static volatile boolean asanChecked, asan;

    /**
     * Marks {@code s} unaddressable ({@code poison}) or addressable again for AddressSanitizer, when the native library
     * was built with it (the first call finds out; elsewhere this does nothing).
     */
    static void poison(MemorySegment s, boolean poison) {
        if (asanChecked && !asan || !NativeLoader.isLoaded() || !s.isNative()) return;
        int r = stn_h.stn_debug_poison(s, s.byteSize(), poison ? 1 : 0);
        if (!asanChecked) {
            asan = r == 1;
            asanChecked = true;
        }
    }

    /** Whether a buffer of {@code bytes} takes the huge-page path (unless the mapping itself fails). */
    public static boolean hugePages(long bytes) {
        return bytes >= HUGE_MIN_BYTES && HUGE_PAGES && NativeLoader.isLoaded();
    }
}
