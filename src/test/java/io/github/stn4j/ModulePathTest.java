package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * stn4j as a named module: a consumer module ({@code requires io.github.stn4j}) is compiled against the library's
 * classes and run on the module path in a child JVM with {@code --enable-native-access=io.github.stn4j}: it gets the
 * native kernels, computes a sample, and the JDK prints no native-access warning. (The rest of the suite runs on the
 * class path, where module-info is ignored.)
 */
class ModulePathTest {
    @Test
    void aConsumerModuleRunsOnTheModulePathWithNativeKernels() throws Exception {
        Path lib = Path.of("target/classes");
        assertTrue(Files.exists(lib.resolve("module-info.class")), "the library is compiled as a module");
        Path dir = Files.createTempDirectory("consumer");
        Path src = dir.resolve("src/consumer");
        Files.createDirectories(src.resolve("example"));
        Files.writeString(src.resolve("module-info.java"), "module consumer { requires io.github.stn4j; }\n");
        Files.writeString(src.resolve("example/Main.java"), """
                package example;

                import io.github.stn4j.*;

                public class Main {
                    public static void main(String[] args) {
                        SpatialOps ops = SpatialOps.best();
                        try (Tensor theta = Tensor.of(new float[] {1, 0, 0, 0, 1, 0}, 1, 2, 3);
                             Tensor grid = ops.affineGrid(theta, new long[] {1, 1, 2, 2}, true);
                             Tensor in = Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
                             Tensor out = ops.gridSample(in, grid, Interpolation.BILINEAR, Padding.ZEROS, true)) {
                            System.out.print(ops.backend() + " " + java.util.Arrays.toString(out.toArray())
                                    + " " + Tensor.class.getModule().getName());
                        }
                    }
                }
                """);
        Path out = dir.resolve("out");
        ByteArrayOutputStream diag = new ByteArrayOutputStream();
        int rc = ToolProvider.getSystemJavaCompiler().run(null, diag, diag, "--module-path", lib.toString(), "-d",
                out.toString(), src.resolve("module-info.java").toString(), src.resolve("example/Main.java").toString());
        assertEquals(0, rc, diag.toString(StandardCharsets.UTF_8));
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--module-path", lib + java.io.File.pathSeparator + out, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=io.github.stn4j", "-m", "consumer/example.Main");
        pb.environment().remove("STN4J_MAX_ISA");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), text);
        String expected = Backend.available().get(0) + " [1.0, 2.0, 3.0, 4.0] io.github.stn4j";
        assertTrue(text.strip().endsWith(expected), "expected ..." + expected + ", got:\n" + text);
        assertTrue(!text.contains("restricted method"), text);
        assertTrue(List.of(Backend.NATIVE_AVX512, Backend.NATIVE_AVX2, Backend.NATIVE_NEON).contains(
                Backend.available().get(0)) == text.contains("NATIVE_"), text);
    }
}
