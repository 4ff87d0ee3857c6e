package io.github.stn4j.nn;

import java.util.List;
import java.util.Random;

/** 2-D convolution, stride 1, zero padding: [B, in, H, W] → [B, out, H + 2p - k + 1, ...]. */
public final class Conv2d implements Layer {
    final Var weight, bias;
    final int padding;

    /**
     * A convolution with PyTorch's default initialisation: weight and bias uniform in ±1/sqrt(in·kernel²).
     *
     * @param in input channels
     * @param out output channels
     * @param kernel side of the square kernel; the weight is [out, in, kernel, kernel] and the bias [out]
     * @param padding zeros added on each side of H and W
     * @param rnd the source of the initial weights
     */
    public Conv2d(int in, int out, int kernel, int padding, Random rnd) {
        float bound = (float) (1 / Math.sqrt(in * kernel * kernel));
        weight = Var.parameter(Linear.uniform(rnd, out * in * kernel * kernel, bound), out, in, kernel, kernel);
        bias = Var.parameter(Linear.uniform(rnd, out, bound), out);
        this.padding = padding;
    }

    @Override
    public Var forward(Var x) {
        return F.conv2d(x, weight, bias, padding);
    }

    @Override
    public List<Var> parameters() {
        return List.of(weight, bias);
    }
}
