package io.github.stn4j.bench;

import io.github.stn4j.nn.Conv2d;
import io.github.stn4j.nn.F;
import io.github.stn4j.nn.Linear;
import io.github.stn4j.nn.Optimizer;
import io.github.stn4j.nn.Var;
import io.github.stn4j.nn.Workspace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Wall time per operation of the experiments' CNN (cnn: conv 5×5 1→16 + ReLU, pool, conv 5×5 16→31 + ReLU, pool,
 * linear 3100→10, cross-entropy) on batches of 64 random 42 × 42 images, in a {@link Workspace}: the per-op profile
 * of docs/training-profile.md. Not a JMH benchmark (TrainStepBench is): a coarse breakdown, the mean of 200 steps
 * after 100 of warm-up, the backward pass as one figure.
 *
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dstn4j.threads=2 \
 *     -cp bench/target/classes:target/classes io.github.stn4j.bench.OpProfile</pre>
 */
public final class OpProfile {
    private OpProfile() {}

    private static final Map<String, long[]> TIMES = new LinkedHashMap<>();

    private static void add(String op, long nanos) {
        TIMES.computeIfAbsent(op, k -> new long[1])[0] += nanos;
    }

    public static void main(String[] args) {
        Random r = new Random(1);
        int batch = 64, size = 42, warmup = 100, steps = 200;
        Conv2d c1 = new Conv2d(1, 16, 5, 2, r), c2 = new Conv2d(16, 31, 5, 2, r);
        Linear fc = new Linear(31 * 10 * 10, 10, r);
        List<Var> params = new ArrayList<>(c1.parameters());
        params.addAll(c2.parameters());
        params.addAll(fc.parameters());
        Optimizer opt = new Optimizer.Adam(params, 1e-3f);
        float[] x = new float[batch * size * size];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = i % 10;
        Workspace ws = new Workspace();
        for (int it = 0; it < warmup + steps; it++) {
            if (it == warmup) TIMES.clear();
            try (Workspace.Scope _ = ws.open()) {
                long t0 = System.nanoTime();
                Var h1 = F.conv2dRelu(Var.constant(x, batch, 1, size, size), params.get(0), params.get(1), 2);
                long t1 = System.nanoTime();
                Var p1 = F.maxPool2d(h1, 2);
                long t2 = System.nanoTime();
                Var h2 = F.conv2dRelu(p1, params.get(2), params.get(3), 2);
                long t3 = System.nanoTime();
                Var p2 = F.maxPool2d(h2, 2);
                long t4 = System.nanoTime();
                Var loss = F.crossEntropy(F.linear(F.flatten(p2), params.get(4), params.get(5)), labels);
                long t5 = System.nanoTime();
                loss.backward();
                long t6 = System.nanoTime();
                opt.step();
                opt.zeroGrad();
                long t7 = System.nanoTime();
                add("conv 1->16 + ReLU, forward", t1 - t0);
                add("max-pool 1, forward", t2 - t1);
                add("conv 16->31 + ReLU, forward", t3 - t2);
                add("max-pool 2, forward", t4 - t3);
                add("linear + cross-entropy, forward", t5 - t4);
                add("backward pass (every op)", t6 - t5);
                add("Adam step", t7 - t6);
                add("whole step", t7 - t0);
            }
        }
        TIMES.forEach((op, ns) -> System.out.printf("| %s | %.2f |%n", op, ns[0] / (double) steps / 1e6));
    }
}
