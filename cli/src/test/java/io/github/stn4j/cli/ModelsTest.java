package io.github.stn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.stn4j.nn.Var;
import org.junit.jupiter.api.Test;

class ModelsTest {
    /** The comparison is fair only if each plain model has about the capacity of its Spatial Transformer twin. */
    @Test
    void parameterCountsOfThePairsAreWithinTenPercent() {
        for (int s : new int[] {28, 42, 60}) {
            for (String[] pair : new String[][] {{"fcn", "st-fcn"}, {"cnn", "st-cnn"}}) {
                long plain = Models.build(pair[0], s, 1).net().parameterCount();
                long st = Models.build(pair[1], s, 1).net().parameterCount();
                assertTrue(Math.abs(plain - st) <= 0.1 * st, pair[0] + " " + plain + " vs " + pair[1] + " " + st
                        + " at " + s + "x" + s);
            }
        }
        Var y = Models.build("st-cnn", 42, 1).net().forward(Var.constant(new float[2 * 42 * 42], 2, 1, 42, 42));
        assertEquals(10, y.size(1));
    }
}
