package io.github.stn4j.nn;

import java.util.List;

/** max(x, 0), elementwise: any shape → the same shape. */
public final class ReLU implements Layer {
    /** A ReLU layer (it has no parameters). */
    public ReLU() {}

    @Override
    public Var forward(Var x) {
        return F.relu(x);
    }

    @Override
    public List<Var> parameters() {
        return List.of();
    }
}
