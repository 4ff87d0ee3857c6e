package io.github.stn4j.nn;

import java.util.List;
import java.util.Random;

/** A fully connected layer: y = x · Wᵀ + b, x [B, in] → [B, out]. PyTorch's default initialisation. */
public final class Linear implements Layer {
    final Var weight, bias;

    /**
     * A layer with PyTorch's default initialisation: weight and bias uniform in ±1/sqrt(in).
     *
     * @param in input features
     * @param out output features
     * @param rnd the source of the initial weights
     */
    public Linear(int in, int out, Random rnd) {
        // U(-1/sqrt(in), 1/sqrt(in)) for both, as torch.nn.Linear
        float bound = (float) (1 / Math.sqrt(in));
        weight = Var.parameter(uniform(rnd, in * out, bound), out, in);
        bias = Var.parameter(uniform(rnd, out, bound), out);
    }

    static float[] uniform(Random rnd, int n, float bound) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        return a;
    }

    /**
     * The weight W.
     *
     * @return the weight parameter, [out, in]
     */
    public Var weight() {
        return weight;
    }

    /**
     * The bias b.
     *
     * @return the bias parameter, [out]
     */
    public Var bias() {
        return bias;
    }

    @Override
    public Var forward(Var x) {
        return F.linear(x.rank() == 2 ? x : F.flatten(x), weight, bias);
    }

    @Override
    public List<Var> parameters() {
        return List.of(weight, bias);
    }
}
