package io.github.stn4j.nn;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reuses the arrays of the tape from one training step to the next. Operations run while a scope is open on this
 * thread take their values' and gradients' arrays from the workspace; closing the scope gives them all back at once
 * (deterministically, not when the garbage collector gets to them), and marks every variable made in the scope as
 * released. A step of the same shapes as the last one then allocates no new array: a training loop of large
 * activations no longer spends its time zeroing fresh arrays and collecting them.
 *
 * {@snippet :
 * Workspace ws = new Workspace();
 * for (Batch b : batches) {
 *     try (Workspace.Scope _ = ws.open()) {
 *         Var loss = F.crossEntropy(model.forward(b.x()), b.labels());
 *         loss.backward();
 *         optimizer.step();
 *         optimizer.zeroGrad();
 *         total += loss.item(); // read what you need before the scope closes
 *     }
 * }
 * }
 *
 * <p>A variable made in a scope must not be used after it closed: operations refuse it with an
 * {@link IllegalStateException}, and an array read through {@link Var#data()} may have been handed to the next step.
 * Parameters (made outside any scope) and their gradients are not affected. Without an open scope, operations allocate
 * fresh arrays as before. A workspace belongs to one thread at a time, and one scope is open per thread.
 */
public final class Workspace {
    private static final ThreadLocal<Workspace> CURRENT = new ThreadLocal<>();

    private final Map<Integer, ArrayDeque<float[]>> freeFloats = new HashMap<>();
    private final Map<Integer, ArrayDeque<int[]>> freeInts = new HashMap<>();
    private final List<float[]> lentFloats = new ArrayList<>();
    private final List<int[]> lentInts = new ArrayList<>();
    private final List<Var> made = new ArrayList<>();
    private final Scope scope = new Scope();
    private long allocated;
    private Thread owner;

    /** An empty workspace. */
    public Workspace() {}

    /**
     * Opens a scope on the calling thread.
     *
     * @return the scope; close it to give its arrays back
     * @throws IllegalStateException if a scope is already open on this thread or this workspace is open elsewhere
     */
    public Scope open() {
        if (CURRENT.get() != null) throw new IllegalStateException("a Workspace scope is already open on this thread");
        if (owner != null) throw new IllegalStateException("this Workspace is open on " + owner.getName());
        owner = Thread.currentThread();
        CURRENT.set(this);
        return scope;
    }

    /**
     * How many arrays this workspace has allocated in all (not taken from its free lists): constant from the second
     * step of a loop whose shapes repeat.
     *
     * @return the number of arrays allocated so far
     */
    public long arraysAllocated() {
        return allocated;
    }

    /** An open workspace's scope: closing it returns every array lent in it and releases its variables. */
    public final class Scope implements AutoCloseable {
        private Scope() {}

        @Override
        public void close() {
            if (owner == null) return; // closed already
            if (owner != Thread.currentThread()) {
                throw new IllegalStateException("a Workspace scope must be closed by the thread that opened it");
            }
            for (Var v : made) v.released = true;
            made.clear();
            for (float[] a : lentFloats) freeFloats.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(a);
            for (int[] a : lentInts) freeInts.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(a);
            lentFloats.clear();
            lentInts.clear();
            CURRENT.remove();
            owner = null;
        }
    }

    /** A float array of length n, all zeros if {@code zero}, else with any contents (the caller overwrites it all). */
    static float[] floats(int n, boolean zero) {
        Workspace w = CURRENT.get();
        if (w == null) return new float[n];
        ArrayDeque<float[]> free = w.freeFloats.get(n);
        float[] a = free == null ? null : free.poll();
        if (a == null) {
            a = new float[n];
            w.allocated++;
        } else if (zero) {
            java.util.Arrays.fill(a, 0f);
        }
        w.lentFloats.add(a);
        return a;
    }

    /** An int array of length n with any contents (the caller overwrites it all). */
    static int[] ints(int n) {
        Workspace w = CURRENT.get();
        if (w == null) return new int[n];
        ArrayDeque<int[]> free = w.freeInts.get(n);
        int[] a = free == null ? null : free.poll();
        if (a == null) {
            a = new int[n];
            w.allocated++;
        }
        w.lentInts.add(a);
        return a;
    }

    /** Records a variable made while a scope is open (released when it closes). */
    static void made(Var v) {
        Workspace w = CURRENT.get();
        if (w != null) w.made.add(v);
    }
}
