package io.github.stn4j.bench;

import io.github.stn4j.AffineSampleGrads;
import io.github.stn4j.Backend;
import io.github.stn4j.GridSampleGrads;
import io.github.stn4j.Interpolation;
import io.github.stn4j.Parallel;
import io.github.stn4j.SpatialOps;
import io.github.stn4j.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
import org.openjdk.jmh.annotations.TearDown;

/**
 * stn4j's operations on every backend: affine grid, grid sample forward, grid sample backward (grad input + grad
 * grid). Memory OFF_HEAP uses native tensors; HEAP wraps float[] arrays (the native backends then stage copies).
 * {@code call} picks which overload of {@link SpatialOps} is measured:
 * <ul>
 *   <li>OUTPUTS (the default): into output tensors made once in setup, so the measured path allocates no tensors.</li>
 *   <li>CLOSED: the allocating call, its result tensors closed at once inside the measured method (backward closes
 *       both gradients): the cost of taking the outputs from stn4j's native memory pool and giving them back, the
 *       try-with-resources way.</li>
 *   <li>GC: the allocating call, its results never closed, only returned to JMH (backward returns the
 *       {@link GridSampleGrads}), so they become garbage: the cost of leaving tensors to the garbage collector,
 *       including the collections the pool runs when its limit (by default the maximum heap) is reached. Only the
 *       calls that run into a collection pay for it, so sample mode's median can hide those pauses; the mean (the
 *       sample-mode row without a percentile) counts them.</li>
 * </ul>
 * The allocating calls' results are pooled native tensors whatever {@code memory} says.
 * <p>{@code input} WARM (the default) passes the same batch (θ, grid, input, gradOutput) to every call, so it stays in
 * cache; COLD rotates through {@link Shapes#coldBatches()} batches of their own data (at least 64 MB in all), one step
 * per call, so each call reads its batch from memory. Into-outputs calls write the same output tensors either way, as
 * a caller reusing its buffers would.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class StnBench {
    @Param({"NATIVE_AVX512", "NATIVE_AVX2", "NATIVE_SCALAR", "VECTOR_API", "JAVA_SCALAR"})
    public Backend backend;

    @Param({"BILINEAR"})
    public Interpolation mode;

    @Param({"imagenet"})
    public Shapes shape;

    @Param({"1"})
    public int threads;

    @Param({"OFF_HEAP"})
    public String memory;

    /** OUTPUTS, CLOSED or GC: see the class comment. */
    @Param({"OUTPUTS"})
    public String call;

    /** WARM or COLD: see the class comment. */
    @Param({"WARM"})
    public String input;

    private static final int OUTPUTS = 0, CLOSED = 1, GC = 2;
    private int how; // call, checked once in setup

    SpatialOps ops;
    long[] size; // once: a fresh array per call would be the harness's allocation, counted by -prof gc
    Arena arena;
    Tensor[] thetas, grids, inputs, gradOutputs; // one batch each when WARM
    int batch; // the batch of the next call
    Tensor gridOut, output, gradInput, gradGrid, gradTheta;

    @Setup(Level.Trial)
    public void setup() {
        how = switch (call) {
            case "OUTPUTS" -> OUTPUTS;
            case "CLOSED" -> CLOSED;
            case "GC" -> GC;
            default -> throw new IllegalArgumentException("call=" + call + ": expected OUTPUTS, CLOSED or GC");
        };
        if (!memory.equals("OFF_HEAP") && !memory.equals("HEAP")) {
            throw new IllegalArgumentException("memory=" + memory + ": expected OFF_HEAP or HEAP");
        }
        Parallel.setThreads(threads);
        ops = SpatialOps.of(backend);
        arena = Arena.ofShared();
        long[] s = shape.size();
        size = s;
        int k = shape.batches(input);
        thetas = new Tensor[k];
        grids = new Tensor[k];
        inputs = new Tensor[k];
        gradOutputs = new Tensor[k];
        for (int b = 0; b < k; b++) {
            thetas[b] = make(shape.theta(b), s[0], 2, 3);
            grids[b] = make(shape.grid(b), s[0], s[2], s[3], 2);
            inputs[b] = make(shape.input(b), s);
            gradOutputs[b] = make(shape.gradOutput(b), s);
        }
        gridOut = make(new float[(int) (s[0] * s[2] * s[3] * 2)], s[0], s[2], s[3], 2);
        output = make(new float[(int) (s[0] * s[1] * s[2] * s[3])], s);
        gradInput = make(new float[(int) (s[0] * s[1] * s[2] * s[3])], s);
        gradGrid = make(new float[(int) (s[0] * s[2] * s[3] * 2)], s[0], s[2], s[3], 2);
        gradTheta = make(new float[(int) (s[0] * 6)], s[0], 2, 3);
    }

    Tensor make(float[] values, long... shape) {
        if (memory.equals("HEAP")) return Tensor.wrap(MemorySegment.ofArray(values), shape);
        return Tensor.of(arena, values, shape);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** The batch for this call, and one step on: always 0 when WARM. */
    int next() {
        int b = batch;
        batch = b + 1 == inputs.length ? 0 : b + 1;
        return b;
    }

    @Benchmark
    public Tensor affineGrid() {
        Tensor theta = thetas[next()];
        if (how == OUTPUTS) return ops.affineGrid(theta, size, false, gridOut);
        Tensor g = ops.affineGrid(theta, size, false);
        if (how == CLOSED) g.close();
        return g;
    }

    @Benchmark
    public Tensor forward() {
        int b = next();
        Tensor x = inputs[b], grid = grids[b];
        if (how == OUTPUTS) return ops.gridSample(x, grid, mode, Shapes.PADDING, false, output);
        Tensor o = ops.gridSample(x, grid, mode, Shapes.PADDING, false);
        if (how == CLOSED) o.close();
        return o;
    }

    @Benchmark
    public Object backward() {
        int b = next();
        Tensor gradOutput = gradOutputs[b], x = inputs[b], grid = grids[b];
        if (how == OUTPUTS) {
            return ops.gridSampleBackward(gradOutput, x, grid, mode, Shapes.PADDING, false, gradInput, gradGrid)
                    .input();
        }
        GridSampleGrads g = ops.gridSampleBackward(gradOutput, x, grid, mode, Shapes.PADDING, false);
        if (how == CLOSED) {
            g.input().close();
            g.grid().close();
        }
        return g;
    }

    /** The fused affine transformer: {@link #forward}'s output from θ, no grid (same bits). */
    @Benchmark
    public Tensor fusedForward() {
        int b = next();
        Tensor x = inputs[b], theta = thetas[b];
        if (how == OUTPUTS) return ops.affineSample(x, theta, size, mode, Shapes.PADDING, false, output);
        Tensor o = ops.affineSample(x, theta, size, mode, Shapes.PADDING, false);
        if (how == CLOSED) o.close();
        return o;
    }

    /** The fused backward: the input gradient and θ's (where {@link #backward} gives the grid's), no grid. */
    @Benchmark
    public Object fusedBackward() {
        int b = next();
        Tensor gradOutput = gradOutputs[b], x = inputs[b], theta = thetas[b];
        if (how == OUTPUTS) {
            return ops.affineSampleBackward(gradOutput, x, theta, size, mode, Shapes.PADDING, false, gradInput,
                    gradTheta).input();
        }
        AffineSampleGrads g = ops.affineSampleBackward(gradOutput, x, theta, size, mode, Shapes.PADDING, false);
        if (how == CLOSED) g.close();
        return g;
    }
}
