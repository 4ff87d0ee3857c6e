package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Many threads on one SpatialOps give one thread's results; first use is race-free; long loops do not leak. */
class ConcurrencyAndLeakTest {
    static float[] data(int count, int seed) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) a[i] = ((i * 2654435761L + seed) % 2001) / 1000f - 1f;
        return a;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void manyThreadsOnSharedInputsMatchOneThread(Backend backend) throws Exception {
        SpatialOps ops = TestBackends.ops(backend);
        Tensor in = Tensor.of(data(2 * 5 * 17 * 23, 1), 2, 5, 17, 23);
        Tensor grid = Tensor.of(data(2 * 13 * 29 * 2, 2), 2, 13, 29, 2);
        Tensor gout = Tensor.of(data(2 * 5 * 13 * 29, 3), 2, 5, 13, 29);
        float[] out = ops.gridSample(in, grid, Interpolation.BILINEAR, Padding.REFLECTION, false).toArray();
        GridSampleGrads g = ops.gridSampleBackward(gout, in, grid, Interpolation.BILINEAR, Padding.REFLECTION, false);
        float[] gin = g.input().toArray(), gg = g.grid().toArray();
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<float[][]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    start.await();
                    float[][] r = null;
                    for (int k = 0; k < 20; k++) {
                        try (Tensor o = ops.gridSample(in, grid, Interpolation.BILINEAR, Padding.REFLECTION, false)) {
                            GridSampleGrads gr = ops.gridSampleBackward(gout, in, grid, Interpolation.BILINEAR,
                                    Padding.REFLECTION, false);
                            r = new float[][] {o.toArray(), gr.input().toArray(), gr.grid().toArray()};
                            gr.input().close();
                            gr.grid().close();
                        }
                    }
                    return r;
                }));
            }
            start.countDown();
            for (Future<float[][]> f : results) {
                float[][] r = f.get();
                assertArrayEquals(out, r[0]);
                assertArrayEquals(gin, r[1]);
                assertArrayEquals(gg, r[2]);
            }
        }
    }

    /**
     * The pool under 8 threads: results made on one thread are closed on another, and every third is dropped for the
     * Cleaner to return; every result equals the single-threaded one, and afterwards the pool holds no more live memory
     * than before (everything came back, whoever freed it) while the process's resident memory stays flat.
     */
    @Test
    void crossThreadAndCleanerFreesReturnEverything() throws Exception {
        SpatialOps ops = SpatialOps.best();
        Tensor in = Tensor.of(data(3 * 4 * 31 * 37, 7), 3, 4, 31, 37);
        Tensor theta = Tensor.of(data(3 * 6, 8), 3, 2, 3);
        long[] size = {3, 4, 29, 41};
        float[] ref;
        try (Tensor g = ops.affineGrid(theta, size, false);
             Tensor o = ops.gridSample(in, g, Interpolation.BILINEAR, Padding.BORDER, false)) {
            ref = o.toArray();
        }
        long liveBefore = settledLiveBytes(); // after other tests' dropped tensors have come back
        long rssBefore = 0;
        int threads = 8, perThread = 300;
        java.util.concurrent.BlockingQueue<Tensor> handOff = new java.util.concurrent.LinkedBlockingQueue<>();
        for (int round = 0; round < 4; round++) {
            if (round == 1) rssBefore = rssKb();
            try (ExecutorService pool = Executors.newFixedThreadPool(threads * 2)) {
                List<Future<?>> work = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    work.add(pool.submit(() -> { // makers
                        for (int i = 0; i < perThread; i++) {
                            Tensor g = ops.affineGrid(theta, size, false);
                            Tensor o = ops.gridSample(in, g, Interpolation.BILINEAR, Padding.BORDER, false);
                            assertArrayEquals(ref, o.toArray());
                            handOff.add(g);
                            if (i % 3 != 0) handOff.add(o); // else dropped: the Cleaner returns it
                        }
                        return null;
                    }));
                    work.add(pool.submit(() -> { // closers on other threads
                        for (int i = 0; i < perThread * 5 / 3; i++) {
                            Tensor x = handOff.poll(10, java.util.concurrent.TimeUnit.SECONDS);
                            if (x == null) break;
                            x.close();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : work) f.get();
            }
            for (Tensor x; (x = handOff.poll()) != null; ) x.close();
            // the dropped results (46 MB a round) come back to the pool once collected; a JVM with this much heap
            // would collect them only when the pool reaches its limit, so collect here to measure a steady state
            System.gc();
            Thread.sleep(100);
        }
        long live = Long.MAX_VALUE;
        for (int i = 0; i < 50 && live > liveBefore; i++) { // the Cleaner runs after a collection, on its own thread
            System.gc();
            Thread.sleep(20);
            live = Stn4j.nativeMemory().inUseBytes();
        }
        assertTrue(live <= liveBefore, "live native memory " + liveBefore + " -> " + live + " bytes");
        long growthMb = (rssKb() - rssBefore) / 1024;
        assertTrue(growthMb < 64, "resident memory grew by " + growthMb + " MB over three more rounds");
    }

    /** Live pool bytes once collections stop returning anything (other tests drop tensors for the Cleaner). */
    private static long settledLiveBytes() throws InterruptedException {
        long live = Long.MAX_VALUE;
        for (int i = 0; i < 20; i++) {
            System.gc();
            Thread.sleep(50);
            long now = Stn4j.nativeMemory().inUseBytes();
            if (now == live) break;
            live = now;
        }
        return live;
    }

    /**
     * A close on one thread while another thread's call uses the tensor: the memory goes back to the pool only when
     * that call ends, so a tensor allocated right after the close never shares it (its zeros stay zeros while the
     * writing call goes on); calls that start after the close refuse the tensor.
     */
    @Test
    void aCloseRacingACallNeverFreesMemoryUnderIt() throws Exception {
        SpatialOps ops = SpatialOps.best();
        long[] size = {1, 16, 256, 256};
        Tensor in = Tensor.of(data(16 * 256 * 256, 9), size);
        Tensor theta = Tensor.of(new float[] {0.9f, -0.3f, 0.1f, 0.25f, 0.85f, -0.05f}, 1, 2, 3);
        Tensor grid = ops.affineGrid(theta, size, false);
        for (int trial = 0; trial < 20; trial++) {
            Tensor out = Tensor.zeros(size);
            CountDownLatch started = new CountDownLatch(1);
            try (ExecutorService pool = Executors.newSingleThreadExecutor()) {
                Future<Integer> writer = pool.submit(() -> {
                    int calls = 0;
                    started.countDown();
                    try {
                        while (true) {
                            ops.gridSample(in, grid, Interpolation.BILINEAR, Padding.ZEROS, false, out);
                            calls++;
                        }
                    } catch (IllegalArgumentException closed) {
                        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
                        return calls;
                    }
                });
                started.await();
                Thread.sleep(trial % 3);
                out.close();
                try (Tensor fresh = Tensor.zeros(size)) { // the same size class as out
                    writer.get();
                    for (float v : fresh.toArray()) assertEquals(0f, v, "trial " + trial);
                }
            }
        }
    }

    /** Eight threads make the very first calls of a fresh JVM at once: one backend, one result, no error. */
    @Test
    void firstUseIsRaceFree() throws Exception {
        BackendTest.Child c = BackendTest.runChild(Map.of(), List.of("--add-modules=jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED"), FirstUse.class.getName());
        assertEquals("ok", c.out(), c.err());
    }

    public static final class FirstUse {
        public static void main(String[] args) throws Exception {
            int threads = 8;
            CountDownLatch start = new CountDownLatch(1);
            List<Future<String>> rs = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
                for (int t = 0; t < threads; t++) {
                    rs.add(pool.submit(() -> {
                        start.await();
                        SpatialOps ops = SpatialOps.best();
                        Tensor grid = ops.affineGrid(Tensor.of(new float[] {0.9f, -0.3f, 0.1f, 0.25f, 0.85f, -0.05f},
                                1, 2, 3), new long[] {1, 1, 9, 11}, false);
                        float[] o = ops.gridSample(Tensor.of(data(99, 4), 1, 1, 9, 11), grid, Interpolation.BILINEAR,
                                Padding.ZEROS, false).toArray();
                        return ops.backend() + java.util.Arrays.toString(o);
                    }));
                }
                start.countDown();
                String first = rs.get(0).get();
                for (Future<String> f : rs) {
                    if (!f.get().equals(first)) throw new AssertionError(f.get() + " != " + first);
                }
            }
            System.out.print("ok");
        }
    }

    private static long rssKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        return -1;
    }

    /**
     * About 3 GB of tensors churned through the allocating overloads (closed), confined arenas and automatic arenas
     * (dropped, collected): the process's resident memory must stay flat (a leak of even 1% would show as 30 MB).
     */
    @Test
    void longLoopsKeepMemoryFlat() throws Exception {
        if (!Files.exists(Path.of("/proc/self/status"))) return; // Linux only
        SpatialOps ops = SpatialOps.best();
        Tensor in = Tensor.of(data(4 * 3 * 64 * 64, 5), 4, 3, 64, 64); // 196 KB per tensor of this shape
        Tensor theta = Tensor.of(data(4 * 6, 6), 4, 2, 3);
        long[] size = {4, 3, 64, 64};
        long before = 0;
        for (int round = 0; round < 5; round++) {
            if (round == 1) {
                System.gc();
                before = rssKb(); // after a warm-up round
            }
            for (int i = 0; i < 800; i++) {
                try (Tensor g = ops.affineGrid(theta, size, false);
                     Tensor o = ops.gridSample(in, g, Interpolation.BILINEAR, Padding.BORDER, false)) {
                    GridSampleGrads gr = ops.gridSampleBackward(o, in, g, Interpolation.BILINEAR, Padding.BORDER,
                            false);
                    gr.input().close();
                    gr.grid().close();
                }
                try (Arena arena = Arena.ofConfined()) {
                    Tensor g = Tensor.zeros(arena, 4, 64, 64, 2);
                    ops.affineGrid(theta, size, false, g);
                    ops.gridSample(in, g, Interpolation.NEAREST, Padding.ZEROS, false, Tensor.zeros(arena, size));
                }
                Tensor auto = Tensor.zeros(Arena.ofAuto(), size); // dropped: freed by the GC
                ops.gridSample(in, ops.affineGrid(theta, size, false, Tensor.zeros(Arena.ofAuto(), 4, 64, 64, 2)),
                        Interpolation.BILINEAR, Padding.ZEROS, false, auto);
                if (i % 100 == 0) System.gc();
            }
        }
        System.gc();
        long growthMb = (rssKb() - before) / 1024;
        assertTrue(growthMb < 64, "resident memory grew by " + growthMb + " MB over ~3 GB of churn");
    }
}
