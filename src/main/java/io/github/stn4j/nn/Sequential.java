package io.github.stn4j.nn;

import java.util.ArrayList;
import java.util.List;

/**
 * Layers applied one after the other, as torch.nn.Sequential. A {@link Conv2d} directly followed by a {@link ReLU} runs
 * as one fused operation ({@link F#conv2dRelu}): the same values, one pass fewer.
 */
public final class Sequential implements Layer {
    private final List<Layer> modules;

    /**
     * A network of the given layers.
     *
     * @param modules the layers, in the order they are applied
     */
    public Sequential(Layer... modules) {
        this.modules = List.of(modules);
    }

    /**
     * The layers.
     *
     * @return the layers, in the order they are applied (unmodifiable)
     */
    public List<Layer> modules() {
        return modules;
    }

    @Override
    public Var forward(Var x) {
        for (int i = 0; i < modules.size(); i++) {
            Layer m = modules.get(i);
            if (m instanceof Conv2d conv && i + 1 < modules.size() && modules.get(i + 1) instanceof ReLU) {
                x = F.conv2dRelu(x, conv.weight, conv.bias, conv.padding);
                i++;
            } else {
                x = m.forward(x);
            }
        }
        return x;
    }

    @Override
    public List<Var> parameters() {
        List<Var> out = new ArrayList<>();
        for (Layer m : modules) out.addAll(m.parameters());
        return List.copyOf(out);
    }
}
