package io.github.stn4j.nn;

import java.util.List;

/** Max pooling with a k×k window and stride k: [B, C, H, W] → [B, C, H / k, W / k]. */
public final class MaxPool2d implements Layer {
    final int k;

    /**
     * A pooling layer.
     *
     * @param k the side of the window, which is also the stride
     */
    public MaxPool2d(int k) {
        this.k = k;
    }

    @Override
    public Var forward(Var x) {
        return F.maxPool2d(x, k);
    }

    @Override
    public List<Var> parameters() {
        return List.of();
    }
}
