package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BackendTest {
    @Test
    void requiredBackendsAreAvailable() {
        for (Backend b : Backend.values()) {
            if (Backends.required(b)) {
                assertTrue(b.isAvailable(), b + " is required (-Dstn4j.test.require) but not available: "
                        + Stn4j.nativeFailure().orElse("CPU lacks it"));
            }
        }
        assertTrue(Backend.available().contains(Backend.NATIVE_SCALAR) || !Stn4j.nativeLibrary().isPresent(),
                "the portable native path must be available wherever the library loads");
    }

    @Test
    void everyIsaRunsInOneProcess() {
        List<float[]> results = new ArrayList<>();
        for (Backend b : Backend.available()) {
            SpatialOps ops = SpatialOps.of(b);
            assertEquals(b, ops.backend());
            results.add(ops.affineGrid(Tensor.of(new float[] {0.5f, 0, 0.25f, 0, 2, 0}, 1, 2, 3),
                    new long[] {1, 1, 3, 9}, false).toArray());
        }
        for (float[] r : results) GoldenApprox.same(results.get(0), r);
    }

    @Test
    void bestIsTheBestAvailable() {
        SpatialOps best = SpatialOps.best();
        String forced = System.getProperty(SpatialOps.BACKEND_PROPERTY);
        if (forced == null && System.getenv("STN4J_MAX_ISA") == null) {
            assertEquals(Backend.available().get(0), best.backend());
        }
    }

    @Test
    void unavailableBackendThrows() {
        for (Backend b : Backend.values()) {
            if (!b.isAvailable()) assertThrows(IllegalStateException.class, () -> SpatialOps.of(b));
        }
        assertThrows(IllegalArgumentException.class, () -> SpatialOps.of(null));
    }

    /** The cap and the forcing property, each in a fresh JVM (both are read once per process). */
    @Test
    void environmentCapAndForcedBackend() throws Exception {
        if (!Backend.NATIVE_AVX2.isAvailable()) return;
        assertEquals("NATIVE_SCALAR", runChild(Map.of("STN4J_MAX_ISA", "scalar"), List.of()));
        assertEquals("NATIVE_AVX2", runChild(Map.of(), List.of()));
        assertEquals("NATIVE_SCALAR", runChild(Map.of(), List.of("-Dstn4j.backend=native_scalar")));
        String bad = runChild(Map.of(), List.of("-Dstn4j.backend=NOPE"));
        assertTrue(bad.contains("names no backend"), bad);
    }

    static String runChild(Map<String, String> env, List<String> props) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(props);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(PrintBest.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("STN4J_MAX_ISA");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return out;
    }

    /** Child-process entry point: prints the backend best() chose, or the error. */
    public static final class PrintBest {
        public static void main(String[] args) {
            try {
                System.out.println(SpatialOps.best().backend());
            } catch (IllegalStateException e) {
                System.out.println(e.getMessage());
            }
        }
    }

    static final class GoldenApprox {
        static void same(float[] a, float[] b) {
            Approx.assertClose(a, b, 1e-6, "ISA results");
        }
    }

}
