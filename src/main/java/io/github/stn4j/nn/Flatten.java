package io.github.stn4j.nn;

import java.util.List;

/** [B, ...] → [B, rest]. */
public final class Flatten implements Layer {
    /** A Flatten layer (it has no parameters). */
    public Flatten() {}

    @Override
    public Var forward(Var x) {
        return F.flatten(x);
    }

    @Override
    public List<Var> parameters() {
        return List.of();
    }
}
