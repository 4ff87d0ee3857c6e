package io.github.stn4j.cli;

import io.github.stn4j.nn.Var;

/** Test access to the CLI's models. */
public final class ModelsAccess {
    private ModelsAccess() {}

    public static long params(String name, int s) {
        return Models.build(name, s, 1).net().parameterCount();
    }

    public static int outputs(String name, int s) {
        Var y = Models.build(name, s, 1).net().forward(Var.constant(new float[2 * s * s], 2, 1, s, s));
        return (int) y.size(1);
    }
}
