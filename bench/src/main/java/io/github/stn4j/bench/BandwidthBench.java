package io.github.stn4j.bench;

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
 * The memory-bandwidth reference: copying as many bytes as a bilinear forward must at least move (read input and
 * grid, write output, each once). A kernel's time over this one is how far it is from the bandwidth limit.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
@Fork(value = 2)
public class BandwidthBench {
    @Param({"imagenet"})
    public Shapes shape;

    Arena arena;
    MemorySegment src, dst;

    @Setup(Level.Trial)
    public void setup() {
        long elems = (long) shape.n * shape.c * shape.h * shape.w * 2 + (long) shape.n * shape.h * shape.w * 2;
        long bytes = elems * 4 / 2; // half read, half written: copy bytes/2 = read bytes/2 + write bytes/2
        arena = Arena.ofShared();
        src = arena.allocate(bytes, 64);
        dst = arena.allocate(bytes, 64);
        src.fill((byte) 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public MemorySegment copyKernelBytes() {
        return dst.copyFrom(src);
    }
}
