import io.github.stn4j.nn.*;
import java.util.*;

/** OpProfile (bench/) for the code before the training-speed work: conv2d then relu, no Workspace. */
public class OpProfileOld {
    static final Map<String, long[]> T = new LinkedHashMap<>();
    static void add(String k, long ns) { T.computeIfAbsent(k, z -> new long[1])[0] += ns; }
    public static void main(String[] a) {
        Random r = new Random(1);
        int batch = 64, size = 42, warmup = 30, steps = 60;
        Conv2d c1 = new Conv2d(1, 16, 5, 2, r), c2 = new Conv2d(16, 31, 5, 2, r);
        Linear fc = new Linear(31 * 10 * 10, 10, r);
        List<Var> p = new ArrayList<>(c1.parameters());
        p.addAll(c2.parameters());
        p.addAll(fc.parameters());
        Optimizer opt = new Optimizer.Adam(p, 1e-3f);
        float[] x = new float[batch * size * size];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = i % 10;
        for (int it = 0; it < warmup + steps; it++) {
            if (it == warmup) T.clear();
            long t0 = System.nanoTime();
            Var h1 = F.relu(F.conv2d(Var.constant(x, batch, 1, size, size), p.get(0), p.get(1), 2));
            long t1 = System.nanoTime();
            Var p1 = F.maxPool2d(h1, 2);
            long t2 = System.nanoTime();
            Var h2 = F.relu(F.conv2d(p1, p.get(2), p.get(3), 2));
            long t3 = System.nanoTime();
            Var p2 = F.maxPool2d(h2, 2);
            long t4 = System.nanoTime();
            Var loss = F.crossEntropy(F.linear(F.flatten(p2), p.get(4), p.get(5)), labels);
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
        T.forEach((k, v) -> System.out.printf("| %s | %.2f |%n", k, v[0] / (double) steps / 1e6));
    }
}
