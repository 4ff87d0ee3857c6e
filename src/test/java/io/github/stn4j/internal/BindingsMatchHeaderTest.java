package io.github.stn4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.stn4j.Interpolation;
import io.github.stn4j.Padding;
import io.github.stn4j.internal.bindings.stn_h;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The hand-kept jextract-shaped binding must say exactly what native/include/stn.h says: the same functions, and for
 * each the same return type and argument types (checked on the FunctionDescriptors the downcalls are linked with); the
 * same constants with the same values. native/bindings/includes.txt, jextract's filter, lists every one of them, so
 * that a regenerated binding has them all.
 */
class BindingsMatchHeaderTest {
    private static final Pattern PROTOTYPE =
            Pattern.compile("STN_API\\s+([\\w\\s*]+?)\\s*\\b(stn_\\w+)\\s*\\(([^)]*)\\)\\s*;", Pattern.DOTALL);

    /** The C types used in the ABI, as the layouts jextract gives them on LP64 / LLP64 platforms. */
    private static MemoryLayout layoutOf(String cType) {
        String t = cType.replace("const", "").replaceAll("\\s+", " ").strip();
        if (t.endsWith("*")) return ValueLayout.ADDRESS;
        return switch (t) {
            case "int32_t", "int" -> ValueLayout.JAVA_INT;
            case "int64_t" -> ValueLayout.JAVA_LONG;
            case "float" -> ValueLayout.JAVA_FLOAT;
            case "double" -> ValueLayout.JAVA_DOUBLE;
            default -> throw new AssertionError("unexpected C type in stn.h: '" + cType + "'");
        };
    }

    /** Strips jextract's target layouts and names so that only the carrier and size are compared. */
    private static String shape(MemoryLayout l) {
        if (l instanceof java.lang.foreign.AddressLayout) return "pointer";
        return ((ValueLayout) l).carrier().getSimpleName() + l.byteSize();
    }

    /** A numeric constant: {@code #define STN_NAME 4} or {@code #define STN_NAME (-1)}. */
    private static final Pattern CONSTANT =
            Pattern.compile("(?m)^#define\\s+(STN_\\w+)\\s+\\(?\\s*(-?\\d+)\\s*\\)?\\s*(?:/\\*.*)?$");

    static String headerText() throws IOException {
        return Files.readString(Path.of("native/include/stn.h"));
    }

    static Map<String, List<String>> header(String source) {
        String text = source.replaceAll("(?s)/\\*.*?\\*/", " ");
        Map<String, List<String>> out = new TreeMap<>();
        Matcher m = PROTOTYPE.matcher(text);
        while (m.find()) {
            List<String> sig = new ArrayList<>();
            sig.add(shape(layoutOf(m.group(1))));
            String params = m.group(3).strip();
            if (!params.equals("void")) {
                for (String p : params.split(",")) {
                    String decl = p.strip();
                    // drop the parameter name: the last identifier
                    String type = decl.replaceAll("\\b\\w+$", "").strip();
                    sig.add(shape(layoutOf(type)));
                }
            }
            out.put(m.group(2), sig);
        }
        return out;
    }

    static Map<String, Integer> headerConstants(String source) {
        Map<String, Integer> out = new TreeMap<>();
        Matcher m = CONSTANT.matcher(source);
        while (m.find()) out.put(m.group(1), Integer.parseInt(m.group(2)));
        return out;
    }

    /** jextract's accessor for a constant: {@code public static int STN_NAME()}. */
    static Map<String, Integer> bindingConstants() throws ReflectiveOperationException {
        Map<String, Integer> out = new TreeMap<>();
        for (Method method : stn_h.class.getDeclaredMethods()) {
            int mod = method.getModifiers();
            if (Modifier.isPublic(mod) && Modifier.isStatic(mod) && method.getName().startsWith("STN_")
                    && method.getParameterCount() == 0 && method.getReturnType() == int.class) {
                out.put(method.getName(), (Integer) method.invoke(null));
            }
        }
        return out;
    }

    /** The names that native/bindings/includes.txt lists after {@code option} (--include-function, ...). */
    static Set<String> includes(String option) throws IOException {
        Set<String> out = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("native/bindings/includes.txt"))) {
            String[] words = line.strip().split("\\s+");
            if (words.length == 2 && words[0].equals(option)) out.add(words[1]);
        }
        return out;
    }

    static Map<String, List<String>> binding() throws ReflectiveOperationException {
        Map<String, List<String>> out = new TreeMap<>();
        for (Method method : stn_h.class.getDeclaredMethods()) {
            String name = method.getName();
            if (!Modifier.isPublic(method.getModifiers()) || !name.endsWith("$descriptor")) continue;
            FunctionDescriptor d = (FunctionDescriptor) method.invoke(null);
            List<String> sig = new ArrayList<>();
            sig.add(d.returnLayout().map(BindingsMatchHeaderTest::shape).orElse("void"));
            for (MemoryLayout a : d.argumentLayouts()) sig.add(shape(a));
            out.put(name.substring(0, name.length() - "$descriptor".length()), sig);
        }
        return out;
    }

    @Test
    void everyFunctionAgrees() throws Exception {
        NativeLoader.load(); // descriptor holders resolve their symbols when first touched
        Map<String, List<String>> h = header(headerText()), b = binding();
        assertFalse(h.isEmpty(), "no prototypes parsed from stn.h");
        if (!h.keySet().equals(b.keySet())) {
            fail("functions differ: stn.h has " + h.keySet() + ", the binding has " + b.keySet());
        }
        for (String fn : h.keySet()) {
            assertEquals(h.get(fn), b.get(fn), fn + ": [return, args...] differ between stn.h and stn_h.java");
        }
    }

    @Test
    void everyConstantAgrees() throws Exception {
        Map<String, Integer> h = headerConstants(headerText()), b = bindingConstants();
        assertFalse(h.isEmpty(), "no constants parsed from stn.h");
        assertEquals(h, b, "constants (name=value) differ between stn.h and stn_h.java");
    }

    /**
     * Where Java has numbers of its own (pure-Java paths must not load the binding, which needs native access), they
     * are the binding's: every constant of the enum named {@code X} is the binding's {@code prefix + X}, and there is
     * one for each such constant of the binding.
     */
    @Test
    void javaNamesTheBindingsConstants() throws Exception {
        Map<String, Integer> b = bindingConstants();
        for (Interpolation m : Interpolation.values()) assertEquals(b.get("STN_MODE_" + m.name()), m.code(), m.name());
        for (Padding p : Padding.values()) assertEquals(b.get("STN_PADDING_" + p.name()), p.code(), p.name());
        int natives = 0;
        for (Implementation i : Implementation.values()) {
            if (!i.isNative()) continue;
            natives++;
            assertEquals(b.get("STN_ISA_" + i.name().substring("NATIVE_".length())), i.isa(), i.name());
        }
        assertEquals(count(b, "STN_MODE_"), Interpolation.values().length);
        assertEquals(count(b, "STN_PADDING_"), Padding.values().length);
        assertEquals(count(b, "STN_ISA_") - 1, natives, "every ISA but AUTO has its implementation");
    }

    private static long count(Map<String, Integer> constants, String prefix) {
        return constants.keySet().stream().filter(k -> k.startsWith(prefix)).count();
    }

    @Test
    void includesListsEveryFunctionAndConstant() throws IOException {
        assertEquals(header(headerText()).keySet(), includes("--include-function"),
                "native/bindings/includes.txt must list every function of stn.h");
        assertEquals(headerConstants(headerText()).keySet(), includes("--include-constant"),
                "native/bindings/includes.txt must list every constant of stn.h");
    }

    @Test
    void theParserSeesEveryConstant() throws IOException {
        long defines = headerText().lines().filter(l -> l.matches("#define\\s+STN_\\w+\\s+.*")).count();
        assertEquals(defines, headerConstants(headerText()).size(), "a #define of stn.h was not parsed");
    }

    @Test
    void theParserSeesEveryPrototype() throws IOException {
        long prototypes = headerText().lines().filter(l -> l.startsWith("STN_API ")).count();
        assertEquals(prototypes, header(headerText()).size(), "a prototype of stn.h was not parsed");
    }

    @Test
    void aChangedArgumentTypeIsNoticed() throws Exception {
        String changed = headerText().replace("int64_t out_h, int64_t out_w,", "int32_t out_h, int64_t out_w,");
        assertFalse(header(changed).equals(binding()), "changing an argument type went unnoticed");
    }
}
