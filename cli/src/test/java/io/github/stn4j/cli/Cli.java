package io.github.stn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the command line in this JVM or in a child JVM, and checks the shape of its usage errors. */
final class Cli {
    private Cli() {}

    static final Path TESTCARD = Path.of("src/demo/testcard.png");

    record Run(int code, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    /** Main.run in this JVM, with stdout and stderr captured. */
    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Runs and expects success; returns stdout. */
    static String ok(String... args) {
        Run r = run(args);
        assertEquals(0, r.code(), "exit code of " + String.join(" ", args) + "; stderr: " + r.err());
        return r.out();
    }

    /**
     * Runs and expects a usage error: exit code 2, nothing on stdout, exactly one line on stderr that starts with the
     * command's name and carries no stack trace. Returns that line.
     */
    static String usageError(String... args) {
        return usageError(run(args), String.join(" ", args));
    }

    static String usageError(Run r, String what) {
        assertEquals(Main.USAGE, r.code(), "exit code of " + what + "; stderr: " + r.err());
        assertEquals("", r.out(), "stdout of " + what);
        List<String> lines = r.errLines();
        assertEquals(1, lines.size(), "stderr of " + what + " must be one line:\n" + r.err());
        String line = lines.get(0);
        assertTrue(line.startsWith("stn4j"), line);
        assertFalse(line.contains("\tat ") || line.contains("Exception in thread"), line);
        return line;
    }

    /** {@code java <jvmArgs> <main class or -jar jar> <args>} in a child JVM. */
    static Run java(List<String> jvmArgs, List<String> command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.addAll(command);
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p, true));
        String out = read(p, false);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        return new Run(p.exitValue(), out, err.join());
    }

    /** The command line's classes in a child JVM (on this test's class path), without the JVM flags unless given. */
    static Run child(List<String> jvmArgs, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(args));
        return java(jvmArgs, command);
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
