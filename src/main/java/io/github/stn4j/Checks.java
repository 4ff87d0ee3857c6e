package io.github.stn4j;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Argument validation done in Java before any kernel runs, so that nothing malformed reaches C. Every failure is an
 * {@link IllegalArgumentException} whose message names the operation, the argument, what was seen and what was
 * expected. It checks {@link Tensor}s, so it belongs to the API: the kernels below it receive segments and numbers
 * that were checked here.
 */
final class Checks {
    private Checks() {}

    /** Marks "any size" in an expected shape. */
    static final long ANY = -1;

    static void require(boolean ok, String op, String message) {
        if (!ok) throw fail(op, message);
    }

    /** The exception for a failed check (build messages only on failure: the checks run on every call). */
    static IllegalArgumentException fail(String op, String message) {
        return new IllegalArgumentException(op + ": " + message);
    }

    static <T> T notNull(T value, String op, String name) {
        if (value == null) throw new IllegalArgumentException(op + ": " + name + " must not be null");
        return value;
    }

    /**
     * Checks that {@code t} is usable and has rank {@code rank} and dimensions {@code e0..e(rank-1)} ({@link #ANY}
     * matches any size; the unused trailing ones are ignored); {@code hint} explains the expected shape in words. Fixed
     * arity rather than an array: this runs on every call and must not allocate.
     */
    static void shape(Tensor t, String op, String name, String hint, int rank, long e0, long e1, long e2,
                             long e3, long e4) {
        notNull(t, op, name);
        usable(t, op, name);
        boolean ok = t.rank() == rank;
        for (int i = 0; ok && i < rank; i++) {
            long e = i == 0 ? e0 : i == 1 ? e1 : i == 2 ? e2 : i == 3 ? e3 : e4;
            ok = e == ANY || e == t.size(i);
        }
        if (!ok) {
            long[] expected = Arrays.copyOf(new long[] {e0, e1, e2, e3, e4}, rank);
            throw new IllegalArgumentException(op + ": " + name + " must have shape " + show(expected) + " (" + hint
                    + "), got " + Arrays.toString(t.shape()));
        }
    }

    /** Checks that {@code t} is usable and has the shape of {@code like}. */
    static void sameShape(Tensor t, String op, String name, Tensor like, String hint) {
        notNull(t, op, name);
        usable(t, op, name);
        boolean ok = t.rank() == like.rank();
        for (int i = 0; ok && i < t.rank(); i++) ok = t.size(i) == like.size(i);
        if (!ok) {
            throw new IllegalArgumentException(op + ": " + name + " must have shape " + Arrays.toString(like.shape())
                    + " (" + hint + "), got " + Arrays.toString(t.shape()));
        }
    }

    /** The tensor is open, its memory alive, accessible from this thread, and a well-formed float buffer. */
    static void usable(Tensor t, String op, String name) {
        if (t.isClosed()) throw new IllegalArgumentException(op + ": " + name + " is closed");
        MemorySegment seg = t.segment();
        if (!seg.scope().isAlive()) {
            throw new IllegalArgumentException(op + ": the memory of " + name + " was freed (its arena is closed)");
        }
        if (!seg.isAccessibleBy(Thread.currentThread())) {
            throw new IllegalArgumentException(op + ": " + name + " lives in a confined arena of another thread");
        }
        // float alignment is checked once, when the tensor is made (its segment cannot change): per call, reading a
        // heap segment's array through heapBase() allocated an Optional (16 bytes per heap tensor per call)
        long expectedBytes = Math.multiplyExact(t.numel(), 4L);
        if (seg.byteSize() != expectedBytes) {
            throw new IllegalArgumentException(op + ": the segment of " + name + " (" + seg + ") does not match"
                    + " its shape "
                    + Arrays.toString(t.shape()) + " (" + expectedBytes + " bytes, float aligned)");
        }
    }

    /** An output: writable, and sharing no memory with any of {@code a..d} (inputs and other outputs; null = none). */
    static void output(Tensor out, String op, String name, Tensor a, Tensor b, Tensor c, Tensor d) {
        if (out.segment().isReadOnly()) {
            throw new IllegalArgumentException(op + ": " + name + " is read-only but is written to");
        }
        disjoint(out, op, name, a);
        disjoint(out, op, name, b);
        disjoint(out, op, name, c);
        disjoint(out, op, name, d);
    }

    private static void disjoint(Tensor out, String op, String name, Tensor o) {
        if (o != null && o.numel() > 0 && out.numel() > 0 && overlap(out.segment(), o.segment())) {
            throw new IllegalArgumentException(op + ": " + name + " overlaps another argument (" + o
                    + "); outputs must not share memory with inputs or other outputs");
        }
    }

    /** Whether two non-empty segments share a byte; native ones by address range (no allocation). */
    static boolean overlap(MemorySegment x, MemorySegment y) {
        if (x.isNative() != y.isNative()) return false;
        if (x.isNative()) {
            return x.address() < y.address() + y.byteSize() && y.address() < x.address() + x.byteSize();
        }
        return x.asOverlappingSlice(y).isPresent();
    }

    /** product of dims, or an IllegalArgumentException if the element count or byte size overflows. */
    static long numel(String op, String name, long... dims) {
        long n = 1;
        try {
            for (long d : dims) n = Math.multiplyExact(n, d);
            Math.multiplyExact(n, 4L);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(op + ": " + name + " of shape " + Arrays.toString(dims)
                    + " is too large (its byte size overflows a long)");
        }
        return n;
    }

    private static String show(long[] expected) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < expected.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(expected[i] == ANY ? "*" : Long.toString(expected[i]));
        }
        return sb.append(']').toString();
    }
}
