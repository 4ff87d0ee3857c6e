package io.github.stn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every Java snippet in README.md and docs/*.md is a whole program: this compiles each as it is written (against the
 * library, with the same lint flags as the build) and runs its main method. A snippet that stops compiling or throws
 * fails here, so the documentation cannot drift from the API.
 */
class DocSnippetsTest {
    private static final Pattern BLOCK = Pattern.compile("(?s)```java\\n(.*?)```");
    private static final Pattern CLASS = Pattern.compile("public\\s+class\\s+(\\w+)");

    record Snippet(String file, int index, String source) {
        @Override
        public String toString() {
            return file + " #" + index;
        }
    }

    static Stream<Snippet> snippets() throws Exception {
        List<Path> files = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> docs = Files.list(Path.of("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        List<Snippet> out = new ArrayList<>();
        for (Path f : files) {
            Matcher m = BLOCK.matcher(Files.readString(f));
            for (int i = 1; m.find(); i++) out.add(new Snippet(f.toString(), i, m.group(1)));
        }
        assertTrue(out.size() >= 2, "expected the README's and the training guide's snippets, found " + out);
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("snippets")
    void compilesAndRuns(Snippet snippet) throws Exception {
        Matcher c = CLASS.matcher(snippet.source());
        assertTrue(c.find(), snippet + " must be a whole program (a public class with a main method)");
        String name = c.group(1);
        Path dir = Files.createTempDirectory("snippet");
        Path src = dir.resolve(name + ".java");
        Files.writeString(src, snippet.source());
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics, "-d", dir.toString(), "-cp",
                System.getProperty("java.class.path"), "--add-modules", "jdk.incubator.vector",
                "-Xlint:all,-restricted,-incubating", "-Werror", src.toString());
        assertEquals(0, rc, snippet + " does not compile:\n" + diagnostics.toString(StandardCharsets.UTF_8));
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
                DocSnippetsTest.class.getClassLoader())) {
            Method main = loader.loadClass(name).getMethod("main", String[].class);
            PrintStream stdout = System.out;
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            try {
                main.invoke(null, (Object) new String[0]);
            } finally {
                System.setOut(stdout);
            }
            stdout.print(snippet + " printed: " + printed.toString(StandardCharsets.UTF_8));
        }
    }
}
