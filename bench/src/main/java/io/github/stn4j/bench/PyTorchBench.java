package io.github.stn4j.bench;

import io.github.stn4j.Interpolation;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.BoolPointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * PyTorch 2.10 in the JVM (bytedeco presets): the same operations on the same data. Its first calls run several times
 * slower than its steady state; JMH's warm-up iterations (and 10 calls in setup) cover that. Each call allocates its
 * result, as PyTorch's API does; a {@link PointerScope} frees it when the call returns, as Python's reference counting
 * would. (Leaving results to JavaCPP's GC-driven deallocator made every call map and fault in fresh pages and measured
 * PyTorch 2-3x slower than it is: an unfair peer.) {@code input} WARM or COLD rotates batches as {@link StnBench} does.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
@Fork(value = 2, jvmArgsAppend = {"-Dorg.bytedeco.javacpp.cachedir=target/javacpp-cache"})
public class PyTorchBench {
    @Param({"BILINEAR"})
    public Interpolation mode;

    @Param({"imagenet"})
    public Shapes shape;

    @Param({"1"})
    public int threads;

    /** WARM (one batch) or COLD (a rotation of batches, at least 64 MB): see {@link StnBench}. */
    @Param({"WARM"})
    public String input;

    Tensor[] thetas, grids, inputs, gradOutputs;
    int batch; // the batch of the next call
    BoolPointer mask;
    long[] size;

    static Tensor tensor(float[] values, long... shape) {
        FloatPointer p = new FloatPointer(values);
        return torch.from_blob(p, shape).clone(); // own the memory (p may be collected)
    }

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        torch.set_num_threads(threads);
        size = shape.size();
        int k = shape.batches(input);
        thetas = new Tensor[k];
        grids = new Tensor[k];
        inputs = new Tensor[k];
        gradOutputs = new Tensor[k];
        for (int b = 0; b < k; b++) {
            thetas[b] = tensor(shape.theta(b), size[0], 2, 3);
            grids[b] = tensor(shape.grid(b), size[0], size[2], size[3], 2);
            inputs[b] = tensor(shape.input(b), size);
            gradOutputs[b] = tensor(shape.gradOutput(b), size);
        }
        mask = new BoolPointer(2);
        mask.put(0, true).put(1, true);
        // only the measured op: each fork measures one, and at the large shape 10 calls of the others cost seconds
        String op = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        for (int i = 0; i < 10; i++) {
            switch (op) {
                case "affineGrid" -> affineGrid();
                case "forward" -> forward();
                default -> backward();
            }
        }
    }

    /** The batch for this call, and one step on: always 0 when WARM. */
    int next() {
        int b = batch;
        batch = b + 1 == inputs.length ? 0 : b + 1;
        return b;
    }

    int code() {
        return mode.code(); // 0 bilinear, 1 nearest, 2 bicubic: the same numbers as PyTorch's
    }

    @Benchmark
    public long affineGrid() {
        try (PointerScope scope = new PointerScope()) {
            return torch.affine_grid_generator(thetas[next()], size, false).numel();
        }
    }

    @Benchmark
    public long forward() {
        int b = next();
        try (PointerScope scope = new PointerScope()) {
            return torch.grid_sampler(inputs[b], grids[b], code(), 0, false).numel();
        }
    }

    @Benchmark
    public long backward() {
        int b = next();
        try (PointerScope scope = new PointerScope()) {
            T_TensorTensor_T r = torch.grid_sampler_2d_backward(gradOutputs[b], inputs[b], grids[b], code(), 0, false,
                    mask);
            return r.get0().numel() + r.get1().numel();
        }
    }
}
