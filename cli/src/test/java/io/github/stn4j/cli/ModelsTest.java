package io.github.stn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.stn4j.nn.SpatialTransformer.Transform;
import io.github.stn4j.nn.Var;
import org.junit.jupiter.api.Test;

class ModelsTest {
    /**
     * The comparison is fair only if each plain model has about the capacity of its Spatial Transformer twin, with
     * every transform: the plain model is matched to the affine twin and does not depend on the transform; the others
     * differ from the affine twin by their regression layer only (32 features → 6, 8 or 32 outputs).
     */
    @Test
    void parameterCountsOfThePairsAreWithinTenPercent() {
        for (int s : new int[] {28, 42, 60}) {
            for (String[] pair : new String[][] {{"fcn", "st-fcn"}, {"cnn", "st-cnn"}}) {
                long plain = Models.build(pair[0], s, 1).net().parameterCount();
                long affine = Models.build(pair[1], s, 1).net().parameterCount();
                for (TrainCommand.TransformName t : TrainCommand.TransformName.values()) {
                    Transform transform = t.transform();
                    assertEquals(plain, Models.build(pair[0], s, 1, transform).net().parameterCount());
                    long st = Models.build(pair[1], s, 1, transform).net().parameterCount();
                    assertEquals(affine + 33L * (transform.parameters() - 6), st, pair[1] + " " + t);
                    assertTrue(Math.abs(plain - st) <= 0.1 * st, pair[0] + " " + plain + " vs " + pair[1] + " "
                            + transform + " " + st + " at " + s + "x" + s);
                }
            }
        }
        Var y = Models.build("st-cnn", 42, 1).net().forward(Var.constant(new float[2 * 42 * 42], 2, 1, 42, 42));
        assertEquals(10, y.size(1));
    }
}
