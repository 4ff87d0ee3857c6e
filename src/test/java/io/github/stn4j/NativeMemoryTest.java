package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The memory model: results left to the garbage collector stay within the limit; past the limit an allocation fails
 * with a clear {@link OutOfMemoryError} and the JVM lives on; {@link Stn4j#nativeMemory()} counts what is held. The
 * limits are per JVM, so most cases run in child JVMs (Linux: they read their resident memory from /proc).
 */
class NativeMemoryTest {
    private static final List<String> FLAGS = List.of("--add-modules=jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED");

    private static BackendTest.Child child(Class<?> main, String... jvmArgs) throws Exception {
        List<String> args = new ArrayList<>(FLAGS);
        args.addAll(List.of(jvmArgs));
        return BackendTest.runChild(Map.of(), args, main.getName());
    }

    /** In this JVM: the limit defaults to MaxDirectMemorySize, else the maximum heap; live and cached are counted. */
    @Test
    void nativeMemoryCountsLiveAndCachedAgainstTheDefaultLimit() throws Exception {
        long direct = Long.parseLong(ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                .getVMOption("MaxDirectMemorySize").getValue());
        assertEquals(direct > 0 ? direct : Runtime.getRuntime().maxMemory(), Stn4j.nativeMemory().limitBytes());
        Stn4j.NativeMemory m0 = Stn4j.nativeMemory();
        Tensor t = Tensor.zeros(3, 1000, 1000); // 12 MB, its own size class
        Stn4j.NativeMemory m1 = Stn4j.nativeMemory();
        assertTrue(m1.inUseBytes() >= m0.inUseBytes() + 12_000_000, m0 + " -> " + m1);
        t.close();
        Stn4j.NativeMemory m2 = Stn4j.nativeMemory();
        assertTrue(m2.cachedBytes() >= 12_000_000 && m2.inUseBytes() <= m1.inUseBytes() - 12_000_000, m1 + " -> " + m2);
        Stn4j.trimNativeMemory(); // (the Cleaner may return other tests' tensors meanwhile: not asserted as 0)
        assertTrue(Stn4j.nativeMemory().cachedBytes() < m2.cachedBytes() - 12_000_000, m2 + " -> trimmed");
    }

    @Test
    void theLimitFollowsMaxDirectMemorySizeAndTheProperty() throws Exception {
        assertEquals(String.valueOf(100L << 20), child(PrintLimit.class, "-XX:MaxDirectMemorySize=100m").out());
        assertEquals(String.valueOf(3L << 30), child(PrintLimit.class, "-XX:MaxDirectMemorySize=100m",
                "-Dstn4j.maxNativeMemory=3g").out());
        BackendTest.Child bad = child(PrintLimit.class, "-Dstn4j.maxNativeMemory=lots");
        assertTrue(bad.out().contains("-Dstn4j.maxNativeMemory=lots is not a size"), bad.out());
    }

    public static final class PrintLimit {
        public static void main(String[] args) {
            try {
                System.out.print(Stn4j.nativeMemory().limitBytes());
            } catch (IllegalStateException e) {
                System.out.print(e.getMessage());
            }
        }
    }

    /**
     * 3,000 imagenet affine grids and samples (8 x 3 x 224 x 224) whose results are never closed, in a JVM with a
     * 512 MB heap: native memory stays under its limit (512 MB) because the pool collects and reuses unreachable
     * results, so the process's peak resident memory stays under 1.5 GB (it grew by 7.7 MB per iteration before the
     * pool: 21 GB after 3,000).
     */
    @Test
    void resultsLeftToTheGarbageCollectorStayBounded() throws Exception {
        if (!Files.exists(Path.of("/proc/self/status"))) return; // Linux only
        BackendTest.Child c = child(LeakLoop.class, "-Xmx512m");
        assertTrue(c.out().startsWith("ok "), c.out() + "\n" + c.err());
        String[] f = c.out().split(" ");
        long peakKb = Long.parseLong(f[1]);
        assertTrue(peakKb < 1_500_000, "peak RSS " + peakKb / 1024 + " MB: " + c.out());
    }

    public static final class LeakLoop {
        public static void main(String[] args) throws Exception {
            SpatialOps ops = SpatialOps.best();
            long[] size = {8, 3, 224, 224};
            Tensor input = Tensor.of(random(8 * 3 * 224 * 224, 1), size);
            Tensor theta = Tensor.of(new float[] {0.9f, -0.3f, 0.1f, 0.25f, 0.85f, -0.05f, 0.9f, -0.3f, 0.1f, 0.25f,
                0.85f, -0.05f, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0.8f, 0.1f, 0, -0.1f, 0.8f, 0, 1, 0, 0.1f, 0, 1, 0,
                1, 0.2f, 0, 0, 1, 0, 0.7f, 0, 0, 0, 0.7f, 0}, 8, 2, 3);
            long t0 = System.nanoTime();
            double sum = 0;
            for (int i = 0; i < 3000; i++) {
                Tensor out = ops.gridSample(input, ops.affineGrid(theta, size, false), Interpolation.BILINEAR,
                        Padding.ZEROS, false);
                if (i % 500 == 0) sum += out.get(0, 0, 100, 100);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.print("ok " + peakRssKb() + " kB peak, " + ms + " ms, " + ops.backend() + ", "
                    + Stn4j.nativeMemory() + " " + sum);
        }
    }

    /**
     * -Dstn4j.maxNativeMemory=64m and tensors held (not closed): the allocation past 64 MB fails with an
     * OutOfMemoryError that names the limit, the bytes in use and cached, and the fix; the JVM lives on, and once the
     * tensors are closed calls work again.
     */
    @Test
    void pastTheLimitAnAllocationFailsClearlyAndLaterCallsWork() throws Exception {
        BackendTest.Child c = child(HoldUntilFull.class, "-Dstn4j.maxNativeMemory=64m");
        String out = c.out();
        // beside the input (5 MiB class) and the grid (3.5 MiB), 11 results of 5 MiB fit under 64 MiB
        assertTrue(out.contains("held 11 "), out + "\n" + c.err());
        assertTrue(out.contains("stn4j: cannot allocate 4.6 MiB of native memory"), out);
        assertTrue(out.contains("in use by live tensors") && out.contains("cached, limit 64.0 MiB"), out);
        assertTrue(out.contains("-Dstn4j.maxNativeMemory=64m") && out.contains("Close tensors"), out);
        assertTrue(out.endsWith("recovered 0.0"), out);
    }

    public static final class HoldUntilFull {
        public static void main(String[] args) {
            SpatialOps ops = SpatialOps.best();
            long[] size = {8, 3, 224, 224};
            Tensor input = Tensor.zeros(size);
            Tensor grid = ops.affineGrid(Tensor.of(new float[48], 8, 2, 3), size, false);
            List<Tensor> held = new ArrayList<>();
            try {
                while (held.size() < 100) {
                    held.add(ops.gridSample(input, grid, Interpolation.BILINEAR, Padding.ZEROS, false));
                }
                System.out.print("no error after 100 results");
            } catch (OutOfMemoryError e) {
                System.out.println("held " + held.size() + " " + e.getMessage());
            }
            for (Tensor t : held) t.close();
            try (Tensor out = ops.gridSample(input, grid, Interpolation.BILINEAR, Padding.ZEROS, false)) {
                System.out.print("recovered " + out.get(7, 2, 223, 223));
            }
        }
    }

    /**
     * Under -XX:+DisableExplicitGC the pool cannot ask for a collection: a loop that leaks results gets the same clear
     * OutOfMemoryError once the limit is reached and the wait for Cleaners runs out (as direct buffers do then).
     */
    @Test
    void withExplicitGcDisabledALeakFailsClearly() throws Exception {
        BackendTest.Child c = child(LeakUntilError.class, "-XX:+DisableExplicitGC", "-Dstn4j.maxNativeMemory=64m");
        assertTrue(c.out().startsWith("OutOfMemoryError stn4j: cannot allocate"), c.out() + "\n" + c.err());
    }

    public static final class LeakUntilError {
        public static void main(String[] args) {
            long[] size = {8, 3, 224, 224};
            try {
                for (int i = 0; i < 1000; i++) Tensor.zeros(size);
                System.out.print("no error");
            } catch (OutOfMemoryError e) {
                System.out.print("OutOfMemoryError " + e.getMessage());
            }
        }
    }

    /**
     * Without any JVM flag (no native library, no Vector API) the pool works the same, and uses no restricted method:
     * the JDK prints no native-access warning.
     */
    @Test
    void withoutJvmFlagsThePoolWorksAndNeedsNoNativeAccess() throws Exception {
        BackendTest.Child c = BackendTest.runChild(Map.of(), List.of(), ReuseWithoutFlags.class.getName());
        assertTrue(c.out().startsWith("ok JAVA_SCALAR"), c.out() + "\n" + c.err());
        assertTrue(!c.err().contains("restricted method"), c.err());
    }

    public static final class ReuseWithoutFlags {
        public static void main(String[] args) {
            SpatialOps ops = SpatialOps.best();
            long[] size = {2, 3, 700, 700}; // 11 MB: past the size where huge pages would be asked for
            Tensor input = Tensor.zeros(size);
            Tensor theta = Tensor.of(new float[] {1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0}, 2, 2, 3);
            for (int i = 0; i < 5; i++) {
                try (Tensor g = ops.affineGrid(theta, size, false);
                     Tensor o = ops.gridSample(input, g, Interpolation.BILINEAR, Padding.ZEROS, false)) {
                    if (o.get(1, 2, 699, 699) != 0f) throw new AssertionError();
                }
            }
            System.out.print("ok " + ops.backend() + " " + Stn4j.nativeMemory());
        }
    }

    static float[] random(int count, int seed) {
        Random r = new Random(seed);
        float[] a = new float[count];
        for (int i = 0; i < count; i++) a[i] = r.nextFloat();
        return a;
    }

    static long peakRssKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        return -1;
    }
}
