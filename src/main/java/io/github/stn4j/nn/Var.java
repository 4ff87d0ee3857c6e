package io.github.stn4j.nn;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node of the reverse-mode autograd tape: a float32 value (row-major, on the Java heap), its gradient, and the
 * operation that made it. {@link #backward()} walks the tape from a scalar in reverse topological order, each operation
 * adding its contribution to its inputs' gradients.
 *
 * <p>Values are treated as immutable once made. A tape is built by one thread; the operations themselves may use
 * {@link io.github.stn4j.Parallel}'s threads inside.
 */
public final class Var {
    /** Propagates this node's gradient to its inputs. */
    interface Backward {
        void run(float[] gradOut);
    }

    final float[] data;
    final long[] shape;
    final boolean requiresGrad;
    final Var[] inputs;
    final Backward backward;
    float[] grad;

    Var(float[] data, long[] shape, boolean requiresGrad, Var[] inputs, Backward backward) {
        long n = 1;
        for (long d : shape) n *= d;
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, got "
                    + data.length);
        }
        this.data = data;
        this.shape = shape.clone();
        this.requiresGrad = requiresGrad;
        this.inputs = inputs;
        this.backward = backward;
        boolean needs = requiresGrad;
        for (Var in : inputs) needs |= in.needsGrad;
        this.needsGrad = needs && (inputs.length == 0 || backward != null);
        for (Var in : inputs) in.requireLive();
        if (!requiresGrad) Workspace.made(this);
    }

    /** Set when the {@link Workspace} scope that made this variable closed: its arrays may be reused since. */
    boolean released;

    void requireLive() {
        if (released) {
            throw new IllegalStateException(this + " was made in a Workspace scope that has closed since; its values"
                    + " may belong to a later step (read what you need before closing the scope)");
        }
    }

    /**
     * A trainable leaf (its gradient is kept).
     *
     * @param data the values, row-major (used as is, not copied)
     * @param shape the dimensions; their product must be {@code data.length}
     * @return the parameter
     * @throws IllegalArgumentException if the shape does not hold {@code data.length} values
     */
    public static Var parameter(float[] data, long... shape) {
        return new Var(data, shape, true, new Var[0], null);
    }

    /**
     * A leaf that needs no gradient (inputs, labels' one-hots, ...).
     *
     * @param data the values, row-major (used as is, not copied)
     * @param shape the dimensions; their product must be {@code data.length}
     * @return the constant
     * @throws IllegalArgumentException if the shape does not hold {@code data.length} values
     */
    public static Var constant(float[] data, long... shape) {
        return new Var(data, shape, false, new Var[0], null);
    }

    /**
     * The value (the live array: do not modify it while a tape that uses it is alive).
     *
     * @return the values, row-major
     */
    public float[] data() {
        return data;
    }

    /**
     * The dimensions, PyTorch's {@code x.shape}.
     *
     * @return a copy of the shape
     */
    public long[] shape() {
        return shape.clone();
    }

    /**
     * One dimension, PyTorch's {@code x.size(dim)}.
     *
     * @param dim the dimension's index, from 0 (negative indices are not supported)
     * @return its length
     */
    public long size(int dim) {
        return shape[dim];
    }

    /**
     * The number of dimensions, PyTorch's {@code x.dim()}.
     *
     * @return the rank
     */
    public int rank() {
        return shape.length;
    }

    /**
     * Whether this is a trainable leaf made by {@link #parameter(float[], long...)}.
     *
     * @return true for a parameter
     */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * The gradient accumulated by {@link #backward()}.
     *
     * @return the gradient, row-major with this variable's shape (the live array, which the next backward pass after
     *         {@link #zeroGrad()} reuses: copy it to keep it); null before a backward pass or after {@link #zeroGrad()}
     */
    public float[] grad() {
        return grad;
    }

    /**
     * The value of a one-element variable (a loss, say).
     *
     * @return the only element
     * @throws IllegalStateException if the variable has more than one element, or was made in a {@link Workspace}
     *         scope that has closed
     */
    public float item() {
        requireLive();
        if (data.length != 1) throw new IllegalStateException("item() of a variable of shape " + Arrays.toString(shape));
        return data[0];
    }

    /** Drops the gradient (optimisers call this between steps). */
    public void zeroGrad() {
        if (grad != null) spare = grad;
        grad = null;
    }

    // The gradient array of the last step, reused by the next (zeroGrad() keeps it here rather than dropping it).
    private float[] spare;

    void accumulate(float[] g) {
        if (grad == null) {
            if (spare != null && spare.length == g.length) {
                System.arraycopy(g, 0, spare, 0, g.length);
                grad = spare;
                spare = null;
            } else {
                grad = g.clone();
            }
        } else {
            for (int i = 0; i < g.length; i++) grad[i] += g[i];
        }
    }

    /** Backpropagates from this scalar: d(this)/d(parameter) is added to every parameter's gradient on its tape. */
    public void backward() {
        if (data.length != 1) {
            throw new IllegalStateException("backward() starts from a scalar, got shape " + Arrays.toString(shape));
        }
        if (!needsGrad) return;
        requireLive();
        List<Var> order = topologicalOrder();
        gradIn = Workspace.floats(1, false);
        gradIn[0] = 1f;
        // reverse topological order: every consumer of v has added its contribution before v runs
        for (int i = order.size() - 1; i >= 0; i--) {
            Var v = order.get(i);
            float[] g = v.gradIn;
            v.gradIn = null;
            if (g == null) continue;
            if (v.inputs.length == 0) {
                if (v.requiresGrad) v.accumulate(g);
            } else {
                v.backward.run(g);
            }
        }
    }

    /** Set at construction: whether any gradient can flow into this node. */
    final boolean needsGrad;

    // The gradient flowing into this node during backward(), summed over its consumers.
    private float[] gradIn;

    /** Operations' backward steps call this with a fresh array (ownership passes to the tape). */
    void addGrad(float[] g) {
        if (!needsGrad) return;
        if (gradIn == null) {
            gradIn = g;
        } else {
            for (int k = 0; k < g.length; k++) gradIn[k] += g[k];
        }
    }

    private List<Var> topologicalOrder() {
        List<Var> order = new ArrayList<>();
        Map<Var, Boolean> seen = new IdentityHashMap<>();
        Deque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {this, 0});
        seen.put(this, true);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Var v = (Var) top[0];
            int next = (Integer) top[1];
            if (next < v.inputs.length) {
                top[1] = next + 1;
                Var in = v.inputs[next];
                if (in.needsGrad && seen.put(in, true) == null) stack.push(new Object[] {in, 0});
            } else {
                stack.pop();
                order.add(v);
            }
        }
        return order;
    }

    @Override
    public String toString() {
        return "Var" + Arrays.toString(shape) + (requiresGrad ? " (parameter)" : "");
    }
}
