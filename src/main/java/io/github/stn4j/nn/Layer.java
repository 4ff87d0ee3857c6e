package io.github.stn4j.nn;

import java.util.List;

/** A layer or a network: a differentiable function of one input with trainable parameters. */
public interface Layer {
    /**
     * Applies the layer, recording the operations for {@link Var#backward()}.
     *
     * @param x the input, batch first (e.g. [B, C, H, W] for an image layer)
     * @return the output
     */
    Var forward(Var x);

    /**
     * The trainable parameters, in a fixed order (optimisers and checkpoints rely on it).
     *
     * @return the parameters (empty for a layer without any)
     */
    List<Var> parameters();

    /**
     * Number of trainable values.
     *
     * @return the sum of the parameters' element counts
     */
    default long parameterCount() {
        long n = 0;
        for (Var p : parameters()) n += p.data.length;
        return n;
    }
}
