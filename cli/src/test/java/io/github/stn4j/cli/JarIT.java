package io.github.stn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar as users run it, in child JVMs (Maven runs this after package): {@code java -jar} alone, which
 * gets native access from the manifest but cannot get the Vector API's module, and with ./stn4j's flags.
 */
class JarIT {
    static final List<String> FLAGS = List.of("--add-modules=jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED");

    @TempDir
    Path dir;

    static Cli.Run jar(List<String> jvmArgs, String... args) throws Exception {
        String jar = System.getProperty("stn4j.cli.jar");
        assertTrue(jar != null && Files.isRegularFile(Path.of(jar)), "no jar at -Dstn4j.cli.jar=" + jar);
        List<String> command = new ArrayList<>(List.of("-jar", jar));
        command.addAll(List.of(args));
        return Cli.java(jvmArgs, command);
    }

    /**
     * No flags: the native kernels still load (manifest), and one warning (the library's own, about the dense kernels
     * the Vector API would run) names the missing --add-modules.
     */
    @Test
    void infoWithoutFlagsRunsAndWarnsOfNothing() throws Exception {
        // the native library loads (the manifest grants its access) and runs the spatial and the dense kernels: no
        // path falls back to a slower one for want of the Vector API, so stn4j prints no warning
        Cli.Run r = jar(List.of(), "info");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("native library: jar:/native/"), r.out());
        assertTrue(r.out().contains("Vector API:     absent"), r.out());
        assertEquals(List.of(), r.errLines(), "stderr: " + r.err());
    }

    @Test
    void warpWithTheFlags() throws Exception {
        Path out = dir.resolve("w.png");
        Cli.Run r = jar(FLAGS, "warp", "-i", Cli.TESTCARD.toString(), "-o", out.toString(), "--rotate", "30",
                "--scale", "0.6");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote " + out), r.out());
        assertTrue(Files.size(out) > 0);
        // the JDK's own line, which no flag removes (./stn4j filters it); nothing else
        assertEquals(List.of("WARNING: Using incubator modules: jdk.incubator.vector"), r.errLines());
    }

    @Test
    void trainWithoutFlags() throws Exception {
        Cli.Run r = jar(List.of(), "train", "--model", "st-fcn", "--data", "src/demo/fashion-mnist-subset",
                "--epochs", "1", "--train-limit", "200", "--quiet", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(lines.size() - 1).matches("test error: \\d+\\.\\d\\d%"), r.out());
        assertTrue(Files.size(dir.resolve("rectified.png")) > 0);
    }

    /** demo's default data is the subset inside the jar: it runs from any folder (0 epochs: evaluation only). */
    @Test
    void demoReadsTheBundledSubset() throws Exception {
        Cli.Run r = jar(FLAGS, "demo", "--epochs", "0", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("the Fashion-MNIST subset inside the jar: 5000 training, 1000 test images"), r.out());
        assertTrue(Files.size(dir.resolve("st-cnn").resolve("rectified.png")) > 0);
    }

    /** What java -jar users hit first: the error names the flag, in one line. */
    @Test
    void vectorApiWithoutTheFlagIsOneLine() throws Exception {
        Cli.Run r = jar(List.of(), "warp", "-i", Cli.TESTCARD.toString(), "-o", dir.resolve("w.png").toString(),
                "--backend", "VECTOR_API");
        String line = Cli.usageError(r, "java -jar ... --backend VECTOR_API");
        assertTrue(line.contains("--add-modules jdk.incubator.vector"), line);
        assertFalse(Files.exists(dir.resolve("w.png")));
    }

    @Test
    void helpExitsZero() throws Exception {
        Cli.Run r = jar(List.of(), "warp", "--help");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Usage: stn4j warp"), r.out());
    }
}
