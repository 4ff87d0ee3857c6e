package io.github.stn4j.bench;

import io.github.stn4j.Backend;
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
 * grid). Outputs are given, so the measured path allocates no tensors. Memory OFF_HEAP uses native tensors; HEAP wraps
 * float[] arrays (the native backends then stage copies).
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

    SpatialOps ops;
    long[] size; // once: a fresh array per call would be the harness's allocation, counted by -prof gc
    Arena arena;
    Tensor theta, grid, input, output, gradOutput, gradInput, gradGrid;

    @Setup(Level.Trial)
    public void setup() {
        Parallel.setThreads(threads);
        ops = SpatialOps.of(backend);
        arena = Arena.ofShared();
        long[] s = shape.size();
        size = s;
        theta = make(shape.theta(), s[0], 2, 3);
        grid = make(shape.grid(), s[0], s[2], s[3], 2);
        input = make(shape.input(), s);
        output = make(new float[(int) (s[0] * s[1] * s[2] * s[3])], s);
        gradOutput = make(shape.gradOutput(), s);
        gradInput = make(new float[(int) (s[0] * s[1] * s[2] * s[3])], s);
        gradGrid = make(new float[(int) (s[0] * s[2] * s[3] * 2)], s[0], s[2], s[3], 2);
    }

    Tensor make(float[] values, long... shape) {
        if (memory.equals("HEAP")) return Tensor.wrap(MemorySegment.ofArray(values), shape);
        return Tensor.of(arena, values, shape);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public Tensor affineGrid() {
        return ops.affineGrid(theta, size, false, grid);
    }

    @Benchmark
    public Tensor forward() {
        return ops.gridSample(input, grid, mode, Shapes.PADDING, false, output);
    }

    @Benchmark
    public Tensor backward() {
        return ops.gridSampleBackward(gradOutput, input, grid, mode, Shapes.PADDING, false, gradInput, gradGrid)
                .input();
    }
}
