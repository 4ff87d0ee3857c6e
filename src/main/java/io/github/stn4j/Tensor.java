package io.github.stn4j;

import io.github.stn4j.internal.Memory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.util.Arrays;
import java.util.Objects;

/**
 * A float32 tensor in row-major (C) order, backed by a {@link MemorySegment}: the layout PyTorch uses, so a tensor's
 * bytes can be handed to native code as they are.
 *
 * <h2>Who owns the memory</h2>
 * <ul>
 *   <li>{@link #zeros(long...)} and {@link #of(float[], long...)} allocate off-heap memory that the tensor owns:
 *       {@link #close()} frees it at once, and if the tensor is never closed it is freed after the tensor becomes
 *       unreachable (precisely: when the segment that {@link #segment()} returns is unreachable, so holding either
 *       keeps the memory; a slice of it does not, and throws {@link IllegalStateException} once the memory is
 *       freed, never reading freed memory).</li>
 *   <li>{@link #zeros(Arena, long...)} and {@link #of(Arena, float[], long...)} allocate in the caller's arena, which
 *       owns the memory: it is freed when the arena is closed; {@link #close()} only marks the tensor closed.</li>
 *   <li>{@link #wrap(MemorySegment, long...)} views the caller's segment without copying; the caller owns it.</li>
 * </ul>
 * Results returned by {@link SpatialOps} own their memory like {@link #zeros(long...)}; its overloads that take
 * output tensors allocate nothing.
 *
 * <p>A tensor is not thread-safe for concurrent writes; concurrent reads are fine.
 */
public final class Tensor implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final MemorySegment segment;
    private final long[] shape;
    private final Cleaner.Cleanable cleanable; // non-null when this tensor owns its arena
    private volatile boolean closed;

    private Tensor(MemorySegment segment, long[] shape, Cleaner.Cleanable cleanable) {
        this.segment = segment;
        this.shape = shape;
        this.cleanable = cleanable;
    }

    /** A tensor of the given shape filled with zeros, owning its memory (see the class comment). */
    public static Tensor zeros(long... shape) {
        long[] s = checkShape(shape);
        long bytes = byteSize(s);
        Arena arena = Arena.ofShared();
        MemorySegment seg;
        try {
            seg = Memory.allocate(arena, bytes);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        // The action must not refer to the segment, or the segment would never become unreachable.
        return new Tensor(seg, s, CLEANER.register(seg, new CloseArena(arena)));
    }

    /** A tensor of the given shape filled with zeros, allocated in {@code arena} (which owns it). */
    public static Tensor zeros(Arena arena, long... shape) {
        Objects.requireNonNull(arena, "arena");
        long[] s = checkShape(shape);
        long bytes = byteSize(s);
        return new Tensor(Memory.allocate(arena, bytes), s, null);
    }

    /** A tensor holding a copy of {@code values}, owning its memory. */
    public static Tensor of(float[] values, long... shape) {
        Tensor t = zeros(checkValues(values, shape));
        MemorySegment.copy(values, 0, t.segment, ValueLayout.JAVA_FLOAT, 0, values.length);
        return t;
    }

    /** A tensor holding a copy of {@code values}, allocated in {@code arena}. */
    public static Tensor of(Arena arena, float[] values, long... shape) {
        Tensor t = zeros(arena, checkValues(values, shape));
        MemorySegment.copy(values, 0, t.segment, ValueLayout.JAVA_FLOAT, 0, values.length);
        return t;
    }

    /**
     * A zero-copy view of {@code segment} as a tensor of the given shape. The segment must hold at least
     * {@code 4 * product(shape)} bytes (only that prefix is used) and be aligned to 4 bytes. Native-backed and heap
     * segments are both accepted; heap segments are copied through native memory by the native backends.
     */
    public static Tensor wrap(MemorySegment segment, long... shape) {
        Objects.requireNonNull(segment, "segment");
        long[] s = checkShape(shape);
        long bytes = byteSize(s);
        if (segment.byteSize() < bytes) {
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes is too small for shape "
                    + Arrays.toString(s) + " (needs " + bytes + " bytes)");
        }
        if (!io.github.stn4j.internal.Checks.floatAligned(segment)) {
            throw new IllegalArgumentException("segment " + segment + " is not aligned to 4 bytes (float32)"
                    + (segment.isNative() ? "" : "; wrap a float[] (MemorySegment.ofArray(float[])) instead"));
        }
        return new Tensor(segment.asSlice(0, bytes), s, null);
    }

    /** The dimensions (a copy). */
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code dim}. */
    public long size(int dim) {
        return shape[dim];
    }

    /** Number of elements. */
    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** The backing memory: exactly {@code 4 * numel()} bytes, native byte order. */
    public MemorySegment segment() {
        return segment;
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /** A copy of the values in row-major order. */
    public float[] toArray() {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor of " + n + " elements does not fit in a Java array");
        }
        float[] out = segment.toArray(ValueLayout.JAVA_FLOAT);
        java.lang.ref.Reference.reachabilityFence(this);
        return out;
    }

    /** The element at the given indices (one per dimension). */
    public float get(long... indices) {
        float v = segment.getAtIndex(ValueLayout.JAVA_FLOAT, flatIndex(indices));
        java.lang.ref.Reference.reachabilityFence(this);
        return v;
    }

    /** Sets the element at the given indices (one per dimension). */
    public void set(float value, long... indices) {
        segment.setAtIndex(ValueLayout.JAVA_FLOAT, flatIndex(indices), value);
        java.lang.ref.Reference.reachabilityFence(this);
    }

    /**
     * Frees the memory if this tensor owns it (see the class comment), and marks the tensor closed. Idempotent. Using
     * a closed tensor in {@link SpatialOps} throws {@link IllegalArgumentException}.
     */
    @Override
    public void close() {
        closed = true;
        if (cleanable != null) cleanable.clean();
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

    private record CloseArena(Arena arena) implements Runnable {
        @Override
        public void run() {
            arena.close();
        }
    }
}
