package io.github.stn4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pool's size classes, reuse, zeroing, debug poison and accounting. */
class PoolTest {
    @Test
    void sizeClassesCoverEveryRequestWithAtMostAQuarterWasted() {
        long prev = 0;
        int prevIndex = -1;
        for (long bytes = 1; bytes < (1L << 40); bytes = bytes < 4096 ? bytes + 1 : bytes * 17 / 16 + 3) {
            long c = Pool.classBytes(bytes);
            assertTrue(c >= bytes, bytes + " -> " + c);
            assertTrue(bytes <= 64 || c - bytes <= bytes / 4 + 1, bytes + " -> " + c + " wastes more than a quarter");
            assertEquals(0, c % 16, "16-byte multiple: " + c);
            assertEquals(c, Pool.classBytes(c), "a class is its own class");
            int index = Pool.classIndex(c);
            assertTrue(c >= prev && (c == prev) == (index == prevIndex), "classes and indices in step at " + bytes);
            prev = c;
            prevIndex = index;
        }
        assertEquals(64, Pool.classBytes(1));
        assertEquals(80, Pool.classBytes(65));
        assertEquals(128, Pool.classBytes(113));
        assertEquals(5L << 20, Pool.classBytes(4_816_896)); // the imagenet output, 4.6 MiB
    }

    @Test
    void classIndicesAreDenseFromZero() {
        Set<Integer> seen = new HashSet<>();
        for (long c = 64; c <= (1L << 20); c = Pool.classBytes(c + 1)) seen.add(Pool.classIndex(c));
        for (int i = 0; i < seen.size(); i++) assertTrue(seen.contains(i), "index " + i);
    }

    @Test
    void sizesParseLikeJvmFlags() {
        assertEquals(64L << 20, Pool.parseBytes("64m"));
        assertEquals(4L << 30, Pool.parseBytes(" 4G "));
        assertEquals(1536L << 20, Pool.parseBytes("1.5g"));
        assertEquals(65536, Pool.parseBytes("65536"));
        assertEquals(2L << 10, Pool.parseBytes("2k"));
        for (String bad : new String[] {"", "m", "-1m", "0", "12q", "1e3", "lots", "99999999t"}) {
            assertThrows(IllegalArgumentException.class, () -> Pool.parseBytes(bad), bad);
        }
    }

    /** A freed block is the next one of its class; zeroed when asked, the poison pattern otherwise (tests run so). */
    @Test
    void freedBlocksAreReusedZeroedOnlyWhenAsked() {
        assertTrue(Pool.POISON, "the tests run with -D" + Pool.POISON_PROPERTY + "=true (see pom.xml)");
        long bytes = 777_700; // a class no other test uses, so no other free lands on top of ours
        Pool.Block a = Pool.allocate(bytes, false);
        assertEquals(Pool.classBytes(bytes), a.bytes());
        assertEquals(0, a.segment().address() % 64);
        assertPoison(a, bytes);
        a.segment().fill((byte) 7);
        long inUse = Pool.inUse();
        Pool.free(a, false);
        assertTrue(Pool.inUse() <= inUse - a.bytes()); // (the Cleaner may free other tests' tensors meanwhile)
        Pool.Block b = Pool.allocate(bytes - 100, true); // same class
        assertEquals(a.segment().address(), b.segment().address(), "the freed block is reused");
        for (long i = 0; i < bytes - 100; i++) assertEquals(0, b.segment().get(ValueLayout.JAVA_BYTE, i));
        Pool.free(b, false);
        Pool.Block c = Pool.allocate(bytes, false);
        assertEquals(a.segment().address(), c.segment().address());
        assertPoison(c, bytes); // freed blocks are poisoned too
        Pool.Block other = Pool.allocate(bytes * 2, false); // another class: another block
        assertNotEquals(c.segment().address(), other.segment().address());
        Pool.free(c, false);
        Pool.free(other, false);
    }

    private static void assertPoison(Pool.Block b, long bytes) {
        for (long i = 0; i < bytes; i++) assertEquals(Pool.POISON_BYTE, b.segment().get(ValueLayout.JAVA_BYTE, i));
        assertTrue(Float.isNaN(b.segment().get(ValueLayout.JAVA_FLOAT, 0)));
    }

    /**
     * In the AddressSanitizer run (.ci/run sets -Dstn4j.test.asan=true and loads the ASan build of the library) a cached
     * block is unaddressable for ASan, and addressable again once allocated: a kernel reading a freed block would be
     * reported. Elsewhere skipped.
     */
    @Test
    void cachedBlocksArePoisonedForAddressSanitizer() throws Throwable {
        boolean required = Boolean.getBoolean("stn4j.test.asan");
        var probe = NativeLoader.isLoaded()
                ? java.lang.foreign.SymbolLookup.loaderLookup().find("__asan_address_is_poisoned") : java.util.Optional
                        .<java.lang.foreign.MemorySegment>empty();
        if (probe.isEmpty()) {
            assertTrue(!required, "-Dstn4j.test.asan=true but the loaded library has no AddressSanitizer");
            org.junit.jupiter.api.Assumptions.abort("not an AddressSanitizer build");
        }
        var isPoisoned = java.lang.foreign.Linker.nativeLinker().downcallHandle(probe.get(),
                java.lang.foreign.FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        long bytes = 555_555;
        Pool.Block a = Pool.allocate(bytes, false);
        java.lang.foreign.MemorySegment last = a.segment().asSlice(bytes - 1, 1);
        assertEquals(0, (int) isPoisoned.invokeExact(last), "a live block is addressable");
        Pool.free(a, false);
        assertEquals(1, (int) isPoisoned.invokeExact(last), "a cached block is poisoned");
        Pool.Block b = Pool.allocate(bytes, false);
        assertEquals(a.segment().address(), b.segment().address());
        assertEquals(0, (int) isPoisoned.invokeExact(last), "addressable again once reused");
        Pool.free(b, false);
    }

    @Test
    void trimReleasesTheCacheAndKeepsLiveBlocks() {
        Pool.Block live = Pool.allocate(10_000, true);
        Pool.free(Pool.allocate(20_000, false), false);
        assertTrue(Pool.cached() >= Pool.classBytes(20_000));
        Pool.trim(); // (the Cleaner may return other tests' tensors at any time: count only this test's classes)
        assertEquals(0, Pool.cachedBlocks(20_000));
        assertTrue(Pool.inUse() >= live.bytes());
        live.segment().set(ValueLayout.JAVA_BYTE, 9_999, (byte) 1); // still ours
        Pool.free(live, false);
        assertEquals(1, Pool.cachedBlocks(10_000));
        Pool.trim();
        assertEquals(0, Pool.cachedBlocks(10_000));
    }

    /**
     * A block nobody takes for a whole decay period is released, and a block taken during the period is kept (the
     * trimmer thread calls decay() every DECAY_MILLIS; here two periods are simulated by calling it directly).
     */
    @Test
    void idleBlocksAreReleasedAndBusyOnesKept() {
        long idleBytes = 333_333, busyBytes = 444_444; // classes no other test uses
        // the trimmer thread's own decay between two of these steps would end the period early (seen once in CI)
        synchronized (Pool.DECAY_LOCK) {
            Pool.free(Pool.allocate(idleBytes, false), false);
            Pool.free(Pool.allocate(busyBytes, false), false);
            Pool.decay(); // a period starts: both cached
            Pool.free(Pool.allocate(busyBytes, false), false); // taken and given back during the period
            Pool.decay();
            assertEquals(0, Pool.cachedBlocks(idleBytes), "the idle block was released");
            assertEquals(1, Pool.cachedBlocks(busyBytes), "the block used during the period was kept");
            Pool.decay(); // now idle for a period too
            assertEquals(0, Pool.cachedBlocks(busyBytes));
        }
    }

    /** A request past the limit fails at once with the clear error: no collection could make room for it. */
    @Test
    void aRequestLargerThanTheLimitFailsAtOnce() {
        long t0 = System.nanoTime();
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> Pool.allocate(Pool.limit() + 1, false));
        assertTrue(e.getMessage().startsWith("stn4j: cannot allocate"), e.getMessage());
        assertThrows(OutOfMemoryError.class, () -> Pool.allocate(Long.MAX_VALUE - 7, false));
        assertTrue(System.nanoTime() - t0 < 500_000_000L, "no wait for the garbage collector");
    }

    @Test
    void blocksFromTheHugePagePathAreReusedToo() {
        long bytes = (3L << 20) + 4444;
        Pool.Block a = Pool.allocate(bytes, true);
        if (Memory.hugePages(a.bytes())) assertEquals(0, a.segment().address() % (2L << 20));
        long address = a.segment().address();
        a.segment().set(ValueLayout.JAVA_FLOAT, bytes - 4, 5f);
        Pool.free(a, false);
        Pool.Block b = Pool.allocate(bytes, true);
        assertEquals(address, b.segment().address());
        assertEquals(0f, b.segment().get(ValueLayout.JAVA_FLOAT, bytes - 4), "zeroed on reuse");
        Pool.free(b, false);
    }
}
