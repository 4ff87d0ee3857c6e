package io.github.stn4j.bench;

import io.github.stn4j.Parallel;
import io.github.stn4j.nn.Conv2d;
import io.github.stn4j.nn.F;
import io.github.stn4j.nn.Flatten;
import io.github.stn4j.nn.Layer;
import io.github.stn4j.nn.Linear;
import io.github.stn4j.nn.MaxPool2d;
import io.github.stn4j.nn.Optimizer;
import io.github.stn4j.nn.ReLU;
import io.github.stn4j.nn.Sequential;
import io.github.stn4j.nn.SpatialTransformer;
import io.github.stn4j.nn.Var;
import io.github.stn4j.nn.Workspace;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One training step (forward, backward, Adam) of each model of the experiments ({@code train}'s, cli/Models.java:
 * the same layers and widths) on a batch of 64 RTS-sized 42 × 42 images, the way {@code train} runs it: in a
 * {@link Workspace} scope. {@code dense} forces the dense kernels of {@code nn} ({@code -Dstn4j.dense}), so the
 * native kernels and the Vector API fallback are timed side by side. Images/s = 64 / the step's time.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class TrainStepBench {
    @Param({"fcn", "st-fcn", "cnn", "st-cnn"})
    public String model;

    @Param({"NATIVE_AVX512", "VECTOR_API"})
    public String dense;

    @Param({"2"})
    public int threads;

    static final int BATCH = 64, SIZE = 42;

    private Layer net;
    private Optimizer optimizer;
    private final Workspace workspace = new Workspace();
    private final float[][] images = new float[4][BATCH * SIZE * SIZE];
    private final int[] labels = new int[BATCH];
    private int step;

    @Setup(Level.Trial)
    public void setUp() {
        System.setProperty("stn4j.dense", dense); // before the first nn operation makes the choice
        Parallel.setThreads(threads);
        net = build(model, SIZE, 1);
        optimizer = new Optimizer.Adam(net.parameters(), 1e-3f);
        Random r = new Random(7);
        for (float[] batch : images) for (int i = 0; i < batch.length; i++) batch[i] = r.nextFloat();
        for (int i = 0; i < BATCH; i++) labels[i] = i % 10;
    }

    @Benchmark
    public float step() {
        float[] x = images[step++ & 3]; // a rotating set of batches
        try (Workspace.Scope _ = workspace.open()) {
            Var loss = F.crossEntropy(net.forward(Var.constant(x, BATCH, 1, SIZE, SIZE)), labels);
            loss.backward();
            optimizer.step();
            optimizer.zeroGrad();
            return loss.item();
        }
    }

    /** The models of cli/Models.java (same layers, same width rules). */
    static Layer build(String name, int s, long seed) {
        Random rnd = new Random(seed);
        return switch (name) {
            case "st-fcn" -> new Sequential(new SpatialTransformer(new Sequential(new Flatten(),
                    new Linear(s * s, 32, rnd), new ReLU()), 32, 28, 28), new Flatten(), new Linear(784, 128, rnd),
                    new ReLU(), new Linear(128, 128, rnd), new ReLU(), new Linear(128, 10, rnd));
            case "fcn" -> {
                long target = build("st-fcn", s, seed).parameterCount();
                int h = 1;
                while (fcnParams(s, h + 1) <= target) h++;
                if (Math.abs(fcnParams(s, h + 1) - target) < Math.abs(fcnParams(s, h) - target)) h++;
                yield new Sequential(new Flatten(), new Linear(s * s, h, rnd), new ReLU(), new Linear(h, h, rnd),
                        new ReLU(), new Linear(h, 10, rnd));
            }
            case "st-cnn" -> new Sequential(new SpatialTransformer(new Sequential(new MaxPool2d(2), new Flatten(),
                    new Linear((s / 2) * (s / 2), 32, rnd), new ReLU()), 32, 28, 28), new Conv2d(1, 16, 5, 2, rnd),
                    new ReLU(), new MaxPool2d(2), new Conv2d(16, 32, 5, 2, rnd), new ReLU(), new MaxPool2d(2),
                    new Flatten(), new Linear(32 * 7 * 7, 10, rnd));
            case "cnn" -> {
                long target = build("st-cnn", s, seed).parameterCount();
                int best = 1;
                for (int c = 1; c <= 256; c++) {
                    if (Math.abs(cnnParams(s, c) - target) < Math.abs(cnnParams(s, best) - target)) best = c;
                }
                int q = (s / 2) / 2;
                yield new Sequential(new Conv2d(1, 16, 5, 2, rnd), new ReLU(), new MaxPool2d(2),
                        new Conv2d(16, best, 5, 2, rnd), new ReLU(), new MaxPool2d(2), new Flatten(),
                        new Linear(best * q * q, 10, rnd));
            }
            default -> throw new IllegalArgumentException("unknown model " + name);
        };
    }

    static long fcnParams(int s, long h) {
        return (long) s * s * h + h + h * h + h + h * 10 + 10;
    }

    static long cnnParams(int s, long c) {
        long q = (s / 2) / 2;
        return 16 * 25 + 16 + c * 16 * 25 + c + c * q * q * 10 + 10;
    }
}
