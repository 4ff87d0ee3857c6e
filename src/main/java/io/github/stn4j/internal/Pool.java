package io.github.stn4j.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The caching allocator behind every buffer stn4j allocates itself: tensors from {@code Tensor.zeros}/{@code of} and
 * the allocating {@code SpatialOps} calls, staging copies and the backward's partial sums. Tensors in a caller's
 * arena and wrapped segments never come here.
 *
 * <p>NOTE: structure.
 * <ul>
 *   <li><b>Blocks and size classes.</b> A request is rounded up to a size class: 64 bytes, then four classes per
 *       doubling (2^k times 1, 1.25, 1.5, 1.75), as jemalloc spaces its classes, so a block wastes at most a quarter
 *       of its size and near-equal shapes share blocks. Each block is one native allocation owned by its own shared
 *       arena: from {@code stn_alloc_huge} (2 MiB-aligned, transparent huge pages, see {@link Memory}) from
 *       {@link Memory#HUGE_MIN_BYTES} up when the native library is loaded, else {@link Arena#allocate}. Nothing here
 *       needs a restricted method unless the native library is loaded.</li>
 *   <li><b>One shared cache.</b> A freed block goes onto its class's stack (LIFO: the warmest block is reused first),
 *       whichever thread frees it: the closing thread or the Cleaner's. There are no thread-local caches, so a free
 *       on a thread that never allocates is never stranded; with two cores the per-class lock is not contended.
 *       Reuse is exact-class only.</li>
 *   <li><b>The bound.</b> Every block counts against one limit (live and cached alike): {@value #LIMIT_PROPERTY},
 *       else the JVM's {@code MaxDirectMemorySize}, else the maximum heap, the same default as direct buffers. A new
 *       block that does not fit first releases cached blocks, then runs the GC and waits, with a bounded back-off,
 *       for stn4j's Cleaners to return unreachable tensors, and only then throws {@link OutOfMemoryError}.</li>
 *   <li><b>Trimming.</b> Besides that, a daemon thread releases every {@value #DECAY_MILLIS} ms the blocks that
 *       stayed unused in the cache for the whole period (per class, the low-water mark of its stack over the period,
 *       as tcmalloc releases idle spans; jemalloc's dirty-page decay is 10 s too), so a burst does not stay cached,
 *       and the releases cost no caller anything. {@link #trim()} releases every cached block. Releasing closes the
 *       block's arena (a thread handshake, tens of microseconds): rare by design.</li>
 *   <li><b>Debug poison.</b> With {@value #POISON_PROPERTY}{@code =true} fresh and freed blocks are filled with
 *       0xFF bytes (a NaN in every float lane), and, in a library built with AddressSanitizer, cached blocks are
 *       poisoned so that a kernel touching one is reported. Tests run with it on.</li>
 * </ul>
 * Memory of a cached block stays mapped until it is released, so a stale segment of a closed tensor reads or writes
 * some other buffer's bytes but cannot crash the JVM; once released, its arena is closed and such access throws.
 */
public final class Pool {
    /** The limit on native memory held (live + cached), in bytes, with an optional k/m/g/t suffix. */
    public static final String LIMIT_PROPERTY = "stn4j.maxNativeMemory";
    /** Debug mode: fill fresh and freed blocks with a NaN pattern (and poison them under AddressSanitizer). */
    public static final String POISON_PROPERTY = "stn4j.debug.poison";
    static final long DECAY_MILLIS = 10_000;
    /** The byte every float of a poisoned block is made of: 0xFFFFFFFF is a NaN no arithmetic produces. */
    public static final byte POISON_BYTE = (byte) 0xFF;
    static final boolean POISON = Boolean.getBoolean(POISON_PROPERTY);
    private static final long MIN_CLASS = 64;
    /** The largest request: its size class stays below 2^62. */
    static final long MAX_BYTES = 1L << 61;
    /** How long an allocation past the limit waits for Cleaners after running the GC. */
    static final long WAIT_MILLIS = 1000;
    private static final System.Logger LOG = System.getLogger("io.github.stn4j");

    private Pool() {}

    /** One native allocation of a size class; {@code zero}: known to hold only zero bytes. */
    public static final class Block {
        final Arena arena;
        final MemorySegment base;
        final int sizeClass;
        boolean zero;
        /** While out of the cache: who owns the block (a tensor) and the segment it uses, both weakly; else null. */
        private volatile Owner owner;

        private Block(Arena arena, MemorySegment base, int sizeClass, boolean zero) {
            this.arena = arena;
            this.base = base;
            this.sizeClass = sizeClass;
            this.zero = zero;
        }

        /** The whole block (at least the bytes asked for; 64-byte aligned). */
        public MemorySegment segment() {
            return base;
        }

        /** Bytes held (the size class). */
        public long bytes() {
            return base.byteSize();
        }

        /** Records who owns the block, and the segment it uses, until the block is freed (see {@link #ownerOf}). */
        public void owner(Object o, MemorySegment segment) {
            owner = new Owner(new WeakReference<>(o), new WeakReference<>(segment));
        }
    }

    /** A block's owner and the owner's segment, weakly (either may be cleared). */
    public record Owner(WeakReference<Object> owner, WeakReference<MemorySegment> segment) {}

    /** Every block by the scope of its arena: what a segment of pooled memory belongs to. */
    private static final ConcurrentHashMap<MemorySegment.Scope, Block> BY_SCOPE = new ConcurrentHashMap<>();

    /**
     * For a segment of the pool's memory, its block's owner (null when the block is cached or used as scratch);
     * empty for memory that is not the pool's.
     */
    public static Optional<Owner> ownerOf(MemorySegment s) {
        Block b = s.isNative() ? BY_SCOPE.get(s.scope()) : null;
        if (b == null) return Optional.empty();
        return Optional.of(b.owner == null ? NO_OWNER : b.owner);
    }

    private static final Owner NO_OWNER = new Owner(new WeakReference<>(null), new WeakReference<>(null));

    private static final class Bin {
        final ArrayDeque<Block> blocks = new ArrayDeque<>();
        int lowWater; // fewest blocks cached since the last decay
    }

    private static final int CLASSES = classIndex(1L << 62) + 1;
    private static final Bin[] BINS = new Bin[CLASSES];

    static {
        for (int i = 0; i < CLASSES; i++) BINS[i] = new Bin();
    }

    private static final AtomicLong RESERVED = new AtomicLong(); // every block, live or cached
    private static final AtomicLong CACHED = new AtomicLong();
    private static final AtomicLong GC_FREED = new AtomicLong(); // blocks freed by Cleaners, ever
    private static final Object FREED_SIGNAL = new Object();
    private static volatile int waiters;
    private static volatile boolean warnedLimit;

    // ---------------------------------------------------------------- size classes

    /** The size class of a request: 64, then 2^k * (1, 1.25, 1.5, 1.75). */
    static long classBytes(long bytes) {
        if (bytes <= MIN_CLASS) return MIN_CLASS;
        int k = 63 - Long.numberOfLeadingZeros(bytes - 1); // 2^k < bytes <= 2^(k+1), k >= 6
        long step = 1L << (k - 2);
        return (bytes + step - 1) & -step;
    }

    /** Index of a size class (its bytes, as {@link #classBytes} gives them). */
    static int classIndex(long classBytes) {
        if (classBytes <= MIN_CLASS) return 0;
        int k = 63 - Long.numberOfLeadingZeros(classBytes - 1);
        long m = classBytes >>> (k - 2); // 5..8
        return (k - 6) * 4 + (int) (m - 4);
    }

    // ---------------------------------------------------------------- the limit

    private static final class Limit {
        static final long BYTES;
        static final String SOURCE;
        static final RuntimeException ERROR;

        static {
            long bytes = 0;
            String source = null;
            RuntimeException error = null;
            String p = System.getProperty(LIMIT_PROPERTY);
            if (p != null && !p.isBlank()) {
                try {
                    bytes = parseBytes(p);
                    source = "-D" + LIMIT_PROPERTY + "=" + p.strip();
                } catch (IllegalArgumentException e) {
                    error = new IllegalStateException("-D" + LIMIT_PROPERTY + "=" + p + " is not a size: give bytes"
                            + " with an optional k, m, g or t suffix, e.g. -D" + LIMIT_PROPERTY + "=4g", e);
                }
            } else {
                long direct = maxDirectMemory();
                if (direct > 0) {
                    bytes = direct;
                    source = "-XX:MaxDirectMemorySize";
                } else {
                    bytes = Runtime.getRuntime().maxMemory();
                    source = "the maximum heap size, as -XX:MaxDirectMemorySize defaults to it";
                }
            }
            BYTES = bytes;
            SOURCE = source;
            ERROR = error;
        }
    }

    /** The JVM's -XX:MaxDirectMemorySize (0: not set), or 0 when it cannot be read. */
    private static long maxDirectMemory() {
        try {
            var bean = java.lang.management.ManagementFactory.getPlatformMXBean(
                    com.sun.management.HotSpotDiagnosticMXBean.class);
            return bean == null ? 0 : Long.parseLong(bean.getVMOption("MaxDirectMemorySize").getValue());
        } catch (RuntimeException | LinkageError e) { // not HotSpot, or jdk.management absent
            return 0;
        }
    }

    /** "512m", "4G", "65536", "1.5g" as bytes. */
    static long parseBytes(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'k' -> unit = 1L << 10;
                case 'm' -> unit = 1L << 20;
                case 'g' -> unit = 1L << 30;
                case 't' -> unit = 1L << 40;
                default -> { }
            }
        }
        if (unit != 1) s = s.substring(0, s.length() - 1);
        double v = Double.parseDouble(s); // NumberFormatException is an IllegalArgumentException
        if (!(v > 0) || v * unit >= 0x1p63 || s.chars().anyMatch(ch -> !(ch >= '0' && ch <= '9' || ch == '.'))) {
            throw new IllegalArgumentException("not a positive size: " + text);
        }
        return (long) (v * unit);
    }

    /** The limit in bytes (live + cached). */
    public static long limit() {
        if (Limit.ERROR != null) throw Limit.ERROR;
        return Limit.BYTES;
    }

    public static long inUse() {
        return RESERVED.get() - CACHED.get();
    }

    public static long cached() {
        return CACHED.get();
    }

    /** Blocks cached in the size class of {@code bytes} (for tests). */
    static int cachedBlocks(long bytes) {
        Bin bin = BINS[classIndex(classBytes(bytes))];
        synchronized (bin) {
            return bin.blocks.size();
        }
    }

    // ---------------------------------------------------------------- allocate and free

    /**
     * A block of at least {@code bytes} bytes, its first {@code bytes} zeroed when {@code zeroed}, else of undefined
     * contents (a NaN pattern in debug mode).
     *
     * @throws OutOfMemoryError past the limit, after trimming the cache and collecting unreachable tensors
     */
    public static Block allocate(long bytes, boolean zeroed) {
        if (bytes > limit() || bytes > MAX_BYTES) throw outOfMemory(bytes);
        long size = classBytes(Math.max(bytes, 1));
        int index = classIndex(size);
        Block b = pop(index);
        if (b == null) b = fresh(size, index, bytes);
        if (zeroed && !b.zero) Memory.zero(b.base.asSlice(0, bytes));
        Decay.start();
        return b;
    }

    /** Returns a block to the cache; any thread. {@code byCleaner}: a tensor nobody closed. */
    public static void free(Block b, boolean byCleaner) {
        b.zero = false;
        b.owner = null;
        if (POISON) {
            b.base.fill(POISON_BYTE);
            Memory.poison(b.base, true);
        }
        Bin bin = BINS[b.sizeClass];
        synchronized (bin) {
            bin.blocks.push(b);
            CACHED.addAndGet(b.bytes());
        }
        if (byCleaner) {
            GC_FREED.incrementAndGet();
            if (waiters > 0) {
                synchronized (FREED_SIGNAL) {
                    FREED_SIGNAL.notifyAll();
                }
            }
        }
    }

    /** Releases every cached block. */
    public static void trim() {
        for (Bin bin : BINS) release(bin, Integer.MAX_VALUE);
    }

    private static Block pop(int index) {
        Bin bin = BINS[index];
        Block b;
        synchronized (bin) {
            b = bin.blocks.poll();
            if (b == null) return null;
            CACHED.addAndGet(-b.bytes());
            bin.lowWater = Math.min(bin.lowWater, bin.blocks.size());
        }
        if (POISON) Memory.poison(b.base, false);
        return b;
    }

    /**
     * Releases up to {@code count} of the bin's least recently cached blocks; returns how many it released (fewer when
     * the bin runs out, or when a block's arena refuses to close).
     */
    private static int release(Bin bin, int count) {
        for (int i = 0; i < count; i++) {
            Block b;
            synchronized (bin) {
                b = bin.blocks.pollLast();
                if (b == null) return i;
                CACHED.addAndGet(-b.bytes());
                bin.lowWater = Math.min(bin.lowWater, bin.blocks.size());
            }
            if (POISON) Memory.poison(b.base, false);
            BY_SCOPE.remove(b.base.scope());
            RESERVED.addAndGet(-b.bytes()); // first: a thread waiting to reserve need not wait for the close
            try {
                b.arena.close();
            } catch (IllegalStateException inUse) {
                // a stale segment of it is inside a downcall: keep it cached, last in line to be reused, and stop
                // (the next release tries again)
                RESERVED.addAndGet(b.bytes());
                BY_SCOPE.put(b.base.scope(), b);
                if (POISON) Memory.poison(b.base, true);
                synchronized (bin) {
                    bin.blocks.addLast(b);
                    CACHED.addAndGet(b.bytes());
                }
                return i;
            }
        }
        return count;
    }

    /** Releases cached blocks, largest classes first, until {@code need} more bytes fit under the limit. */
    private static void releaseFor(long need) {
        for (int i = CLASSES - 1; i >= 0 && RESERVED.get() + need > limit(); i--) {
            Bin bin = BINS[i];
            while (RESERVED.get() + need > limit()) {
                if (release(bin, 1) == 0) break; // empty, or its oldest block cannot be released now
            }
        }
    }

    private static boolean reserve(long size) {
        long limit = limit();
        while (true) {
            long r = RESERVED.get();
            if (r + size > limit) return false;
            if (RESERVED.compareAndSet(r, r + size)) return true;
        }
    }

    private static Block fresh(long size, int index, long asked) {
        if (size > limit()) throw outOfMemory(asked); // no collection can make room: say so at once
        if (!reserve(size)) {
            releaseFor(size);
            if (!reserve(size)) {
                Block b = collectAndWait(size, index, asked);
                if (b != null) return b;
            }
        }
        try {
            return newBlock(size, index);
        } catch (OutOfMemoryError e) { // the system itself is out of memory: give back the cache, then once more
            trim();
            try {
                return newBlock(size, index);
            } catch (RuntimeException | Error again) {
                RESERVED.addAndGet(-size);
                throw again;
            }
        } catch (RuntimeException | Error e) {
            RESERVED.addAndGet(-size);
            throw e;
        }
    }

    /**
     * Past the limit with nothing left to release: run the GC and wait for Cleaners to return unreachable tensors,
     * sleeping 1, 2, 4, ... ms between tries. Returns a cached block of the class, or null once {@code size} bytes are
     * reserved; throws {@link OutOfMemoryError} when neither happens.
     */
    private static Block collectAndWait(long size, int index, long asked) {
        if (!warnedLimit) {
            warnedLimit = true;
            LOG.log(System.Logger.Level.WARNING, "stn4j: native memory limit of " + mib(limit()) + " reached; running"
                    + " the garbage collector to free tensors that were never closed. Closing tensors (try-with-"
                    + "resources) avoids this pause; -D" + LIMIT_PROPERTY + "=<size> sets the limit.");
        }
        System.gc();
        boolean interrupted = Thread.interrupted(); // waits below must wait; the flag is restored on the way out
        try {
            long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000L, sleep = 1, seen = GC_FREED.get();
            while (true) {
                Block b = pop(index);
                if (b != null) return b;
                if (reserve(size)) return null; // another thread released or closed something
                long now = GC_FREED.get();
                boolean last = System.nanoTime() - deadline >= 0;
                // while Cleaners keep returning blocks, one of this class may come: release others only once they
                // have stopped (or time is up), so that a returned block is reused rather than unmapped
                if ((now == seen || last) && CACHED.get() > 0) {
                    releaseFor(size);
                    if (reserve(size)) return null;
                }
                if (last) break;
                seen = now;
                awaitFree(Math.min(sleep, Math.max(1, (deadline - System.nanoTime()) / 1_000_000L)));
                sleep = Math.min(sleep * 2, 64);
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
        throw outOfMemory(asked);
    }

    private static OutOfMemoryError outOfMemory(long asked) {
        return new OutOfMemoryError("stn4j: cannot allocate " + mib(asked) + " of native memory: " + mib(inUse())
                + " in use by live tensors and " + mib(cached()) + " cached, limit " + mib(limit()) + " (from "
                + Limit.SOURCE + "). Close tensors you no longer need (try-with-resources), or raise the limit with -D"
                + LIMIT_PROPERTY + "=<size>, e.g. -D" + LIMIT_PROPERTY + "=4g.");
    }

    private static void awaitFree(long millis) {
        synchronized (FREED_SIGNAL) {
            waiters++;
            try {
                FREED_SIGNAL.wait(millis);
            } catch (InterruptedException e) { // interrupted while waiting: the caller restores the flag
                Thread.interrupted();
            } finally {
                waiters--;
            }
        }
    }

    private static Block newBlock(long size, int index) {
        Arena arena = Arena.ofShared(); // one arena per block: releasing it frees exactly this block
        try {
            MemorySegment base = Memory.allocate(arena, size); // huge pages from HUGE_MIN_BYTES, where they exist
            Block b = new Block(arena, base, index, true);
            BY_SCOPE.put(base.scope(), b);
            if (POISON) {
                base.fill(POISON_BYTE);
                b.zero = false;
            }
            return b;
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Held by the trimmer thread while it decays: a test holding it runs its own periods undisturbed. */
    static final Object DECAY_LOCK = new Object();

    /** The daemon thread that releases idle blocks every {@value #DECAY_MILLIS} ms, started at the first allocation. */
    private static final class Decay {
        static {
            Thread t = new Thread(() -> {
                while (true) {
                    try {
                        Thread.sleep(DECAY_MILLIS);
                        synchronized (DECAY_LOCK) {
                            decay();
                        }
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException | Error e) { // never let the trimmer die silently
                        LOG.log(System.Logger.Level.WARNING, "stn4j: releasing idle native memory failed", e);
                    }
                }
            }, "stn4j-pool-trimmer");
            t.setDaemon(true);
            t.start();
        }

        static void start() {} // the class initialiser does it, once
    }

    /** Releases the blocks each class kept unused since the last call (the period), and starts a new period. */
    static void decay() {
        for (Bin bin : BINS) {
            int idle;
            synchronized (bin) {
                idle = Math.min(bin.lowWater, bin.blocks.size());
            }
            if (idle > 0) release(bin, idle);
            synchronized (bin) {
                bin.lowWater = bin.blocks.size();
            }
        }
    }

    static String mib(long bytes) {
        return bytes < (1 << 20) ? bytes + " bytes" : String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

}
