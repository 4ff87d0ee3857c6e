package io.github.stn4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader's failures when the extract folder is unusable: the message names {@code -Dstn4j.extract.dir} (the
 * fix) and nothing extracted stays behind. Each case runs in a child JVM, as the outcome is computed once per JVM.
 *
 * <p>What each case stands for: {@link #aNoexecTempFolder} is the real thing, a {@code noexec} tmpfs mounted in a
 * private mount namespace ({@code unshare}; skipped where user namespaces are not allowed); {@link #aReadOnlyFolder}
 * a read-only tmpfs the same way. Where namespaces are not available the other two still run:
 * {@link #aFileThatIsNotALibrary} puts an invalid library first on the class path, so extraction succeeds and
 * {@code System.load} fails with the same {@code UnsatisfiedLinkError} a noexec mount gives (a different dlopen
 * message), after the file was written, which is the case that must clean up; {@link #anExtractFolderThatIsAFile}
 * cannot be created, the case of a folder that cannot be written.
 */
class NativeLoaderExtractTest {
    @TempDir
    Path tmp;

    @Test
    void aFileThatIsNotALibrary() throws Exception {
        Path fakeJar = tmp.resolve("classes");
        Path lib = fakeJar.resolve(NativeLoader.resourcePath(NativeLoader.platform(), Version.get()).substring(1));
        Files.createDirectories(lib.getParent());
        Files.writeString(lib, "not a shared library\n");
        Path extract = Files.createDirectory(tmp.resolve("extract"));
        Probe p = probe(List.of(), List.of("-D" + NativeLoader.EXTRACT_DIR_PROPERTY + "=" + extract),
                fakeJar + File.pathSeparator + System.getProperty("java.class.path"), extract);
        p.failedNaming(extract, "-D" + NativeLoader.EXTRACT_DIR_PROPERTY, "UnsatisfiedLinkError");
        assertEquals(List.of(), listAll(extract), "the extracted file was left behind");
    }

    @Test
    void anExtractFolderThatIsAFile() throws Exception {
        Path file = Files.writeString(tmp.resolve("not-a-folder"), "x");
        Probe p = probe(List.of(), List.of("-D" + NativeLoader.EXTRACT_DIR_PROPERTY + "=" + file),
                System.getProperty("java.class.path"), tmp);
        p.failedNaming(file, "-D" + NativeLoader.EXTRACT_DIR_PROPERTY);
        assertEquals("x", Files.readString(file));
        assertEquals(List.of(file), listAll(tmp));
    }

    /**
     * The case of the issue: java.io.tmpdir on a noexec mount. The message names the property, nothing stays in the
     * folder, and the fix it names works: the same JVM flags plus {@code -Dstn4j.extract.dir} elsewhere load it.
     */
    @Test
    void aNoexecTempFolder() throws Exception {
        Path noexec = Files.createDirectory(tmp.resolve("noexec"));
        List<String> mount = List.of("mount", "-t", "tmpfs", "-o", "noexec,size=64m", "stn4j-test", noexec.toString());
        assumeTrue(namespacesWork(mount), "cannot mount a tmpfs in a private namespace here (unshare -rm)");
        List<String> tmpdir = List.of("-Djava.io.tmpdir=" + noexec);
        Probe p = probe(mount, tmpdir, System.getProperty("java.class.path"), noexec);
        p.failedNaming(noexec, "java.io.tmpdir", "-D" + NativeLoader.EXTRACT_DIR_PROPERTY, "UnsatisfiedLinkError");
        assertEquals("", p.left, "left in the noexec folder: " + p.left);

        Path elsewhere = Files.createDirectory(tmp.resolve("exec"));
        List<String> fixed = List.of(tmpdir.get(0), "-D" + NativeLoader.EXTRACT_DIR_PROPERTY + "=" + elsewhere);
        Probe ok = probe(mount, fixed, System.getProperty("java.class.path"), elsewhere);
        assertEquals("true", ok.loaded, "the fix the message names did not work: " + ok.failure);
        assertEquals("", ok.left, "the loaded library's copy should be deleted");
    }

    @Test
    void aReadOnlyFolder() throws Exception {
        Path readOnly = Files.createDirectory(tmp.resolve("ro"));
        List<String> mount = List.of("mount", "-t", "tmpfs", "-o", "ro,size=1m", "stn4j-test", readOnly.toString());
        assumeTrue(namespacesWork(mount), "cannot mount a tmpfs in a private namespace here (unshare -rm)");
        Probe p = probe(mount, List.of("-D" + NativeLoader.EXTRACT_DIR_PROPERTY + "=" + readOnly),
                System.getProperty("java.class.path"), readOnly);
        p.failedNaming(readOnly, "-D" + NativeLoader.EXTRACT_DIR_PROPERTY, "Read-only file system");
    }

    // ---------------------------------------------------------------- the child JVM

    /** What the child saw: whether the library loaded, the failure message, and what is left in the folder. */
    record Probe(String loaded, String failure, String left, String stderr) {
        void failedNaming(Path folder, String... parts) {
            assertEquals("false", loaded, "the library loaded; stderr: " + stderr);
            assertTrue(failure.contains(folder.toString()), failure);
            for (String part : parts) assertTrue(failure.contains(part), "no '" + part + "' in: " + failure);
        }
    }

    /** The child's entry point: loads (or not), then reports on stdout, listing the folder given as the argument. */
    public static final class Child {
        public static void main(String[] args) throws IOException {
            System.out.println("loaded=" + NativeLoader.isLoaded());
            System.out.println("failure=" + NativeLoader.failure());
            System.out.println("left=" + listAll(Path.of(args[0])).stream().map(Path::toString)
                    .collect(Collectors.joining(",")));
        }
    }

    /**
     * Runs {@link Child} in a child JVM with native access and {@code jvmArgs}; if {@code mount} is not empty, inside
     * a private user and mount namespace where that mount is made first (gone when the child exits).
     */
    static Probe probe(List<String> mount, List<String> jvmArgs, String classPath, Path list) throws Exception {
        List<String> cmd = new ArrayList<>();
        if (!mount.isEmpty()) {
            cmd.addAll(List.of("unshare", "-rm", "sh", "-c", String.join(" ", mount) + " && exec \"$@\"", "sh"));
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", classPath, Child.class.getName(), list.toString()));
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p, true));
        String out = read(p, false);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child timed out: " + cmd);
        assertEquals(0, p.exitValue(), "child failed: " + cmd + "\n" + err.join());
        String loaded = null, failure = null, left = null;
        for (String line : out.lines().toList()) {
            if (line.startsWith("loaded=")) loaded = line.substring(7);
            else if (line.startsWith("failure=")) failure = line.substring(8);
            else if (line.startsWith("left=")) left = line.substring(5);
        }
        return new Probe(loaded, failure, left, err.join());
    }

    /** Whether {@code unshare -rm} can make {@code mount} here (root, or unprivileged user namespaces). */
    static boolean namespacesWork(List<String> mount) {
        try {
            Process p = new ProcessBuilder(List.of("unshare", "-rm", "sh", "-c", String.join(" ", mount)))
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static List<Path> listAll(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir)).sorted().toList();
        }
    }

    private static String read(Process p, boolean stderr) {
        try {
            return new String((stderr ? p.getErrorStream() : p.getInputStream()).readAllBytes(),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
