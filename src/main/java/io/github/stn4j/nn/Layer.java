package io.github.stn4j.nn;

import java.util.List;

/** A layer or a network: a differentiable function of one input with trainable parameters. */
public interface Layer {
    Var forward(Var x);

    /** The trainable parameters, in a fixed order (optimisers and checkpoints rely on it). */
    List<Var> parameters();

    /** Number of trainable values. */
    default long parameterCount() {
        long n = 0;
        for (Var p : parameters()) n += p.data.length;
        return n;
    }
}
