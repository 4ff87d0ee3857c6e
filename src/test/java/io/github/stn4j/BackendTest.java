package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.stn4j.internal.Implementation;
import io.github.stn4j.internal.dense.Gemm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BackendTest {
    @Test
    void requiredBackendsAreAvailable() {
        for (Backend b : Backend.values()) {
            if (TestBackends.required(b)) {
                assertTrue(b.isAvailable(), b + " is required (-Dstn4j.require) but not available: "
                        + Stn4j.nativeFailure().orElse("CPU lacks it"));
            }
        }
        assertTrue(Backend.available().contains(Backend.NATIVE_SCALAR) || !Stn4j.nativeLibrary().isPresent(),
                "the portable native path must be available wherever the library loads");
    }

    /** One vocabulary: the public backends are the internal implementations, same names, same order (fastest first). */
    @Test
    void backendsNameTheImplementationsInOrder() {
        assertEquals(Arrays.stream(Implementation.values()).map(Enum::name).toList(),
                Arrays.stream(Backend.values()).map(Enum::name).toList());
        for (Backend b : Backend.values()) assertEquals(b, Backend.of(b.implementation()));
    }

    /** The dense kernels of nn follow the same rule as the automatic spatial choice (no property forces either here). */
    @Test
    void denseKernelsFollowTheSpatialChoice() {
        Backend spatial = SpatialOps.best().backend();
        String expected = spatial.implementation().isNative() ? "native(" + spatial + ")"
                : Backend.VECTOR_API.isAvailable() ? "vector-api" : "java";
        assertTrue(Gemm.get().name().startsWith(expected), Gemm.get().name() + " for " + spatial);
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
            assertEquals(Backend.available().get(0), best.backend(), "the fastest available backend");
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
        List<String> flags = List.of("--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED");
        Backend fastestNative = Backend.available().stream().filter(Backend::isNative).findFirst().orElseThrow();
        assertEquals(fastestNative.name(), runChild(Map.of(), flags).out);
        assertEquals("NATIVE_SCALAR", runChild(Map.of("STN4J_MAX_ISA", "scalar"), flags).out);
        if (Backend.NATIVE_AVX2.isAvailable()) {
            assertEquals("NATIVE_AVX2", runChild(Map.of("STN4J_MAX_ISA", "avx2"), flags).out);
        }
        List<String> forced = new ArrayList<>(flags);
        forced.add("-Dstn4j.backend=java_scalar");
        assertEquals("JAVA_SCALAR", runChild(Map.of(), forced).out);
        forced.set(forced.size() - 1, "-Dstn4j.backend=NOPE");
        assertTrue(runChild(Map.of(), forced).out.contains("names no backend"));
        List<String> required = new ArrayList<>(List.of("--enable-native-access=ALL-UNNAMED",
                "-Dstn4j.require=VECTOR_API"));
        Child c = runChild(Map.of(), required);
        assertTrue(c.out.contains("unavailable: VECTOR_API") && c.out.contains("--add-modules"), c.out);
    }

    /**
     * No JVM flags at all: still works, on plain Java, after one warning per fallback naming its fix, and one INFO line
     * saying what was chosen (the spatial and the dense kernels).
     */
    @Test
    void withoutJvmFlagsFallsBackToJavaWithWarnings() throws Exception {
        Child c = runChild(Map.of(), List.of());
        assertEquals("JAVA_SCALAR", c.out);
        assertTrue(c.err.contains("--enable-native-access"), c.err);
        assertTrue(c.err.contains("--add-modules jdk.incubator.vector"), c.err);
        assertTrue(!c.err.contains("restricted method"), "the JDK's own native-access warning appeared: " + c.err);
        assertEquals(2, c.err.lines().filter(l -> l.startsWith("WARNING: stn4j")).count(), c.err);
        assertEquals(List.of("INFO: stn4j " + Stn4j.version() + ": using JAVA_SCALAR; dense kernels of nn: JAVA_SCALAR"),
                c.err.lines().filter(l -> l.startsWith("INFO: stn4j")).toList(), c.err);
    }

    /** With the Vector API but no native access: VECTOR_API, one warning, one INFO line. */
    @Test
    void withoutNativeAccessUsesTheVectorApi() throws Exception {
        Child c = runChild(Map.of(), List.of("--add-modules=jdk.incubator.vector"));
        assertEquals("VECTOR_API", c.out);
        assertEquals(1, c.err.lines().filter(l -> l.startsWith("WARNING: stn4j")).count(), c.err);
        assertEquals(List.of("INFO: stn4j " + Stn4j.version() + ": using VECTOR_API (no native kernels); dense kernels"
                + " of nn: VECTOR_API"), c.err.lines().filter(l -> l.startsWith("INFO: stn4j")).toList(), c.err);
    }

    /** The native library missing (a wrong override path): the Vector API takes over, with one warning. */
    @Test
    void withoutTheNativeLibraryUsesTheVectorApi() throws Exception {
        vectorApiWithOneWarningNaming("-Dstn4j.library.path=/nonexistent/libstn4j.so", "/nonexistent/libstn4j.so");
    }

    /**
     * A platform the jar has no library for (os.arch overridden in a child JVM): the Vector API takes over, with one
     * warning that names the platform. This is what a user on, say, RISC-V or FreeBSD sees.
     */
    @Test
    void anUnknownPlatformUsesTheVectorApi() throws Exception {
        vectorApiWithOneWarningNaming("-Dos.arch=riscv128", "no native library for linux-riscv128");
    }

    /** A child JVM with both flags and {@code property}: it must pick VECTOR_API and warn once, naming {@code cause}. */
    private static void vectorApiWithOneWarningNaming(String property, String cause) throws Exception {
        Child c = runChild(Map.of(), List.of("--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                property));
        assertEquals("VECTOR_API", c.out);
        assertTrue(c.err.contains(cause), c.err);
        assertEquals(1, c.err.lines().filter(l -> l.startsWith("WARNING: stn4j")).count(), c.err);
    }

    record Child(String out, String err) {}

    static Child runChild(Map<String, String> env, List<String> jvmArgs) throws Exception {
        return runChild(env, jvmArgs, PrintBest.class.getName());
    }

    static Child runChild(Map<String, String> env, List<String> jvmArgs, String mainClass) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-Djava.util.logging.SimpleFormatter.format=%4$s: %5$s%n");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("STN4J_MAX_ISA");
        pb.environment().putAll(env);
        Process p = pb.start();
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Child(out, err.get());
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
