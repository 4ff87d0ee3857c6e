package io.github.stn4j;

import io.github.stn4j.internal.Memory;
import io.github.stn4j.internal.Pool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.util.Arrays;
import java.util.Objects;

/**
 * A float32 tensor in row-major (C) order, backed by a {@link MemorySegment}: the layout PyTorch uses, so a tensor's
 * bytes can be handed to native code as they are.
 *
 * <h2>Who owns the memory</h2>
 * <ul>
 *   <li>{@link #zeros(long...)}, {@link #of(float[], long...)} and the results of {@link SpatialOps} take their memory
 *       from stn4j's native memory pool. {@link #close()} returns it to the pool at once (a few hundred nanoseconds);
 *       a tensor that is never closed returns it once it is unreachable (precisely: once the segment that
 *       {@link #segment()} returns is unreachable, so holding either keeps the memory). The pool reuses returned
 *       memory, counts everything it holds against a limit, and collects unreachable tensors before it fails: see
 *       {@link Stn4j#nativeMemory()}. Closing is the fast path; leaving tensors to the garbage collector works but
 *       makes calls past the limit wait for a collection.</li>
 *   <li>{@link #zeros(Arena, long...)} and {@link #of(Arena, float[], long...)} allocate in the caller's arena, which
 *       owns the memory: it is freed when the arena is closed; {@link #close()} only marks the tensor closed.</li>
 *   <li>{@link #wrap(MemorySegment, long...)} views the caller's segment without copying; the caller owns it.</li>
 * </ul>
 * The overloads of {@link SpatialOps} that take output tensors allocate nothing.
 *
 * <p>{@link #wrap(MemorySegment, long...)} of (part of) a pooled tensor's segment, such as a reshape of a result, keeps
 * that tensor's memory alive as long as the view, and refuses the segment of a tensor already closed or collected.
 *
 * <p>After {@link #close()}, every stn4j call given the tensor throws ({@link SpatialOps} with
 * {@link IllegalArgumentException}, {@link #toArray()}, {@link #get} and {@link #set} with
 * {@link IllegalStateException}), and a close that races with a running call frees the memory only when that call
 * ends: no stn4j call reads or writes memory that another tensor owns. A segment taken from a pooled tensor before it
 * was closed is another matter: its bytes may by then belong to a new tensor, so using it after {@link #close()} is
 * undefined (wrong values, never a JVM crash: pooled memory stays mapped while the pool holds it, and throws
 * {@link IllegalStateException} once the pool has released it).
 *
 * <p>A tensor is not thread-safe for concurrent writes; concurrent reads are fine. {@link #get} and {@link #set} count
 * themselves as calls (two atomic updates each): read many values with {@link #toArray()} or through
 * {@link #segment()} instead.
 */
public final class Tensor implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();
    /** The sign bit of {@link #state}: closed. The other bits count the stn4j calls using the tensor. */
    private static final int CLOSED = Integer.MIN_VALUE;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Tensor.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final MemorySegment segment;
    private final long[] shape;
    private final Release release; // non-null when the memory is pooled
    private final Cleaner.Cleanable cleanable; // likewise
    @SuppressWarnings("unused") // keeps the pooled tensor whose memory a wrapped tensor views alive
    private final Object keepAlive;
    @SuppressWarnings("unused") // through STATE
    private volatile int state;

    private Tensor(MemorySegment segment, long[] shape, Release release) {
        this(segment, shape, release, null);
    }

    private Tensor(MemorySegment segment, long[] shape, Release release, Object keepAlive) {
        this.segment = segment;
        this.shape = shape;
        this.release = release;
        this.keepAlive = keepAlive;
        // The action must not refer to the segment, or the segment would never become unreachable.
        this.cleanable = release == null ? null : CLEANER.register(segment, release);
    }

    /**
     * A tensor of the given shape filled with zeros, owning its memory (see the class comment).
     *
     * @param shape the dimensions, PyTorch's {@code size}, e.g. {N, C, H, W}
     * @return the new tensor
     */
    public static Tensor zeros(long... shape) {
        return pooled(checkShape(shape), true);
    }

    /** A pooled tensor of an already checked shape; its values are undefined unless {@code zeroed}. */
    static Tensor pooled(long[] shape, boolean zeroed) {
        long bytes = byteSize(shape);
        Pool.Block block = Pool.allocate(bytes, zeroed);
        try {
            Tensor t = new Tensor(block.segment().asSlice(0, bytes), shape, new Release(block));
            block.owner(t, t.segment);
            return t;
        } catch (RuntimeException | Error e) {
            Pool.free(block, false);
            throw e;
        }
    }

    /** A tensor of the given (checked) shape whose every value the caller overwrites: not zeroed. */
    static Tensor uninitialized(long... shape) {
        return pooled(shape.clone(), false);
    }

    /**
     * A tensor of the given shape filled with zeros, allocated in {@code arena} (which owns it).
     *
     * @param arena the arena that allocates and frees the memory
     * @param shape the dimensions, PyTorch's {@code size}, e.g. {N, C, H, W}
     * @return the new tensor
     */
    public static Tensor zeros(Arena arena, long... shape) {
        Objects.requireNonNull(arena, "arena");
        long[] s = checkShape(shape);
        long bytes = byteSize(s);
        return new Tensor(Memory.allocate(arena, bytes), s, null);
    }

    /**
     * A tensor holding a copy of {@code values}, owning its memory.
     *
     * @param values the elements in row-major order, as many as the shape holds
     * @param shape the dimensions, PyTorch's {@code size}, e.g. {N, C, H, W}
     * @return the new tensor
     */
    public static Tensor of(float[] values, long... shape) {
        Tensor t = pooled(checkValues(values, shape), false);
        MemorySegment.copy(values, 0, t.segment, ValueLayout.JAVA_FLOAT, 0, values.length);
        return t;
    }

    /**
     * A tensor holding a copy of {@code values}, allocated in {@code arena}.
     *
     * @param arena the arena that allocates and frees the memory
     * @param values the elements in row-major order, as many as the shape holds
     * @param shape the dimensions, PyTorch's {@code size}, e.g. {N, C, H, W}
     * @return the new tensor
     */
    public static Tensor of(Arena arena, float[] values, long... shape) {
        Tensor t = zeros(arena, checkValues(values, shape));
        MemorySegment.copy(values, 0, t.segment, ValueLayout.JAVA_FLOAT, 0, values.length);
        return t;
    }

    /**
     * A zero-copy view of {@code segment} as a tensor of the given shape. The segment must hold at least
     * {@code 4 * product(shape)} bytes (only that prefix is used) and be aligned to 4 bytes. Native-backed and heap
     * segments are both accepted; heap segments are copied through native memory by the native backends.
     *
     * @param segment the memory holding the elements, float32 in native byte order, row-major
     * @param shape the dimensions, PyTorch's {@code size}, e.g. {N, C, H, W}
     * @return a tensor over the segment's memory
     * @throws IllegalArgumentException if the segment is too small or misaligned, or belongs to a closed tensor
     */
    public static Tensor wrap(MemorySegment segment, long... shape) {
        Objects.requireNonNull(segment, "segment");
        long[] s = checkShape(shape);
        long bytes = byteSize(s);
        if (segment.byteSize() < bytes) {
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes is too small for shape "
                    + Arrays.toString(s) + " (needs " + bytes + " bytes)");
        }
        if (!floatAligned(segment)) {
            throw new IllegalArgumentException("segment " + segment + " is not aligned to 4 bytes (float32)"
                    + (segment.isNative() ? "" : "; wrap a float[] (MemorySegment.ofArray(float[])) instead"));
        }
        // A view of a pooled tensor's memory (e.g. a reshape of a result) keeps that tensor's memory alive; a view of
        // memory no tensor owns any more (closed, or collected) would alias whatever the pool reuses it for.
        Object keepAlive = null;
        var pooled = Pool.ownerOf(segment);
        if (pooled.isPresent()) {
            Object owner = pooled.get().owner().get();
            MemorySegment ownerSegment = pooled.get().segment().get();
            if (ownerSegment == null || owner instanceof Tensor t && t.isClosed()) {
                throw new IllegalArgumentException("wrap: the segment belongs to a tensor that was closed or collected"
                        + " (its memory is stn4j's to reuse); wrap a tensor's segment while the tensor is open");
            }
            keepAlive = ownerSegment;
        }
        return new Tensor(segment.asSlice(0, bytes), s, null, keepAlive);
    }

    /** A view of memory that stn4j manages itself (a scratch block of the pool), with no ownership check. */
    static Tensor view(MemorySegment segment, long... shape) {
        return new Tensor(segment, shape.clone(), null);
    }

    /**
     * Whether float32 values can be read at every 4-byte step of {@code seg}: a native address that is a multiple of 4,
     * or a heap segment over an array of 4- or 8-byte elements at a multiple-of-4 offset. (A read-only heap segment
     * hides its array; its offset is all that can be checked.)
     */
    private static boolean floatAligned(MemorySegment seg) {
        if (seg.address() % 4 != 0) return false;
        if (seg.isNative() || seg.isReadOnly()) return true;
        Object base = seg.heapBase().orElse(null);
        return base instanceof float[] || base instanceof int[] || base instanceof long[] || base instanceof double[];
    }

    /**
     * The dimensions, PyTorch's {@code t.shape}.
     *
     * @return a copy of the shape
     */
    public long[] shape() {
        return shape.clone();
    }

    /**
     * Number of dimensions, PyTorch's {@code t.dim()}.
     *
     * @return the rank
     */
    public int rank() {
        return shape.length;
    }

    /**
     * Size of dimension {@code dim}, PyTorch's {@code t.size(dim)}.
     *
     * @param dim the dimension's index, from 0
     * @return its length
     */
    public long size(int dim) {
        return shape[dim];
    }

    /**
     * Number of elements, PyTorch's {@code t.numel()}.
     *
     * @return the product of the dimensions
     */
    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /**
     * The backing memory: exactly {@code 4 * numel()} bytes, native byte order. For a pooled tensor, using it after
     * {@link #close()} is undefined (see the class comment).
     *
     * @return the memory holding the elements, row-major
     */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return (int) STATE.getVolatile(this) < 0;
    }

    /**
     * A copy of the values in row-major order.
     *
     * @return a new array of {@link #numel()} values
     */
    public float[] toArray() {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor of " + n + " elements does not fit in a Java array");
        }
        acquireOrThrow();
        try {
            return segment.toArray(ValueLayout.JAVA_FLOAT);
        } finally {
            release();
        }
    }

    /**
     * The element at the given indices.
     *
     * @param indices one index per dimension
     * @return the element
     */
    public float get(long... indices) {
        long i = flatIndex(indices);
        acquireOrThrow();
        try {
            return segment.getAtIndex(ValueLayout.JAVA_FLOAT, i);
        } finally {
            release();
        }
    }

    /**
     * Sets the element at the given indices.
     *
     * @param value the new value
     * @param indices one index per dimension
     */
    public void set(float value, long... indices) {
        long i = flatIndex(indices);
        acquireOrThrow();
        try {
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, value);
        } finally {
            release();
        }
    }

    /**
     * Marks the tensor closed and, if stn4j owns its memory, returns the memory to the pool (at once, or when the last
     * stn4j call still using the tensor ends). Idempotent. See the class comment for what a closed tensor refuses.
     */
    @Override
    public void close() {
        int s;
        do {
            s = (int) STATE.getVolatile(this);
            if (s < 0) return;
        } while (!STATE.compareAndSet(this, s, s | CLOSED));
        if (s == 0 && release != null) free();
    }

    /**
     * Counts one more stn4j call using the tensor; false if it is closed. Every successful call is paired with one
     * {@link #release()}: memory is returned only when the tensor is closed and no call uses it.
     */
    boolean acquire() {
        int s;
        do {
            s = (int) STATE.getVolatile(this);
            if (s < 0) return false;
        } while (!STATE.compareAndSet(this, s, s + 1));
        return true;
    }

    private void acquireOrThrow() {
        if (!acquire()) throw new IllegalStateException(this + " is closed");
    }

    /** Ends a call counted by {@link #acquire()}; the last one after a close frees the memory. */
    void release() {
        int s = (int) STATE.getAndAdd(this, -1) - 1;
        if (s == CLOSED && release != null) free();
    }

    private void free() {
        release.closed = true;
        cleanable.clean();
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }

    private long flatIndex(long[] indices) {
        if (indices.length != shape.length) {
            throw new IllegalArgumentException("expected " + shape.length + " indices, got " + indices.length);
        }
        long flat = 0;
        for (int i = 0; i < shape.length; i++) {
            Objects.checkIndex(indices[i], shape[i]);
            flat = flat * shape[i] + indices[i];
        }
        return flat;
    }

    private static long[] checkShape(long[] shape) {
        Objects.requireNonNull(shape, "shape");
        long[] s = shape.clone();
        for (long d : s) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(s));
        }
        byteSize(s);
        return s;
    }

    /** 4 * product(shape), or an IllegalArgumentException when it overflows a long. */
    static long byteSize(long[] shape) {
        long n = 4;
        for (long d : shape) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " is too large: its byte size"
                        + " overflows a long");
            }
        }
        return n;
    }

    private static long[] checkValues(float[] values, long[] shape) {
        Objects.requireNonNull(values, "values");
        long[] s = checkShape(shape);
        if (byteSize(s) / 4 != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(s) + " holds " + byteSize(s) / 4
                    + " elements but " + values.length + " values were given");
        }
        return s;
    }

    /** Returns a pooled tensor's block; run once, by {@link #close()} or by the Cleaner. */
    private static final class Release implements Runnable {
        private final Pool.Block block;
        volatile boolean closed;

        Release(Pool.Block block) {
            this.block = block;
        }

        @Override
        public void run() {
            Pool.free(block, !closed);
        }
    }
}
