package io.github.stn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.stn4j.Stn4j;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A {@link Workspace} makes a training loop allocate nothing after its first step, changes no value, and refuses the
 * variables of a closed scope.
 */
class WorkspaceTest {
    /** The models of the experiments in small: a Spatial Transformer, fused conv + ReLU, pooling, linear layers. */
    private static Sequential model(long seed) {
        Random rnd = new Random(seed);
        SpatialTransformer st = new SpatialTransformer(new Sequential(new MaxPool2d(2), new Flatten(),
                new Linear(8 * 8, 8, rnd), new ReLU()), 8, 12, 12);
        return new Sequential(st, new Conv2d(1, 6, 5, 2, rnd), new ReLU(), new MaxPool2d(2), new Conv2d(6, 5, 3, 1, rnd),
                new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(5 * 3 * 3, 10, rnd));
    }

    private static float[] batch(int step) {
        float[] x = new float[8 * 16 * 16];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.11 + step);
        return x;
    }

    private static final int[] LABELS = {0, 1, 2, 3, 4, 5, 6, 7};

    /** Runs `steps` Adam steps, each in the workspace's scope if one is given; returns the losses. */
    @SuppressWarnings("try")
    private static List<Float> train(Sequential net, Workspace ws, int steps, long[] allocatedAfter,
                                     long[] nativeAfter) {
        Optimizer opt = new Optimizer.Adam(net.parameters(), 1e-2f);
        List<Float> losses = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            Workspace.Scope scope = ws == null ? null : ws.open();
            try {
                Var loss = F.crossEntropy(net.forward(Var.constant(batch(s), 8, 1, 16, 16)), LABELS);
                loss.backward();
                opt.step();
                opt.zeroGrad();
                losses.add(loss.item());
            } finally {
                if (scope != null) scope.close();
            }
            if (ws != null) allocatedAfter[s] = ws.arraysAllocated();
            Stn4j.NativeMemory m = Stn4j.nativeMemory();
            nativeAfter[s] = m.inUseBytes() + m.cachedBytes();
        }
        return losses;
    }

    @Test
    void stepsAfterTheFirstAllocateNothingAndChangeNoValue() {
        int steps = 4;
        long[] allocated = new long[steps], nativeBytes = new long[steps], ignored = new long[steps];
        Sequential recycled = model(3), fresh = model(3);
        List<Float> withWorkspace = train(recycled, new Workspace(), steps, allocated, nativeBytes);
        List<Float> without = train(fresh, null, steps, ignored, ignored);
        // recycled arrays hold the previous step's values: any operation that relied on zeros would show here
        assertEquals(without, withWorkspace, "losses with and without a workspace");
        for (int i = 0; i < recycled.parameters().size(); i++) {
            assertArrayEquals(fresh.parameters().get(i).data(), recycled.parameters().get(i).data(), "parameter " + i);
        }
        assertTrue(allocated[0] > 10, "the first step allocates its arrays: " + allocated[0]);
        for (int s = 1; s < steps; s++) {
            assertEquals(allocated[0], allocated[s], "arrays allocated by step " + (s + 1));
            assertEquals(nativeBytes[1], nativeBytes[s], "native memory held after step " + (s + 1));
        }
    }

    @Test
    void variablesOfAClosedScopeAreRefused() {
        Workspace ws = new Workspace();
        Var w = Var.parameter(new float[] {1, 2, 3, 4}, 2, 2), b = Var.parameter(new float[] {0, 0}, 2);
        Var y;
        try (Workspace.Scope _ = ws.open()) {
            y = F.linear(Var.constant(new float[] {1, 1}, 1, 2), w, b);
            assertThrows(IllegalStateException.class, ws::open, "one scope per thread");
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> F.relu(y));
        assertTrue(e.getMessage().contains("Workspace scope"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> F.mean(y).backward());
        // parameters outlive scopes, and a new scope works
        try (Workspace.Scope _ = ws.open()) {
            F.mean(F.linear(Var.constant(new float[] {1, 1}, 1, 2), w, b)).backward();
        }
        assertArrayEquals(new float[] {0.5f, 0.5f}, b.grad());
    }
}
