package io.github.stn4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A golden case written by src/test/python/make_fixtures.py (format described there) or, under perspective/, by
 * make_perspective_fixtures.py.
 */
record Fixture(String name, Map<String, String> params, Map<String, long[]> shapes, Map<String, float[]> values) {

    static final String[] NAMES = listNames();

    static Fixture load(String name) {
        try (InputStream in = Fixture.class.getResourceAsStream("/fixtures/" + name + ".txt")) {
            if (in == null) throw new IllegalStateException("missing fixture " + name);
            String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
            Map<String, String> params = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            Map<String, float[]> values = new LinkedHashMap<>();
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i].strip();
                if (line.isEmpty() || line.startsWith("#")) continue;
                String[] f = line.split(" ");
                if (f[0].equals("param")) {
                    params.put(f[1], f[2]);
                } else if (f[0].equals("tensor")) {
                    long[] shape = Arrays.stream(f, 2, f.length).mapToLong(Long::parseLong).toArray();
                    String[] v = lines[++i].strip().split(" ");
                    float[] data = new float[v.length];
                    for (int k = 0; k < v.length; k++) data[k] = parse(v[k]);
                    long count = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
                    if (count != data.length) throw new IllegalStateException(name + ": " + f[1] + " has "
                            + data.length + " values for shape " + Arrays.toString(shape));
                    shapes.put(f[1], shape);
                    values.put(f[1], data);
                } else {
                    throw new IllegalStateException(name + ": bad line " + line);
                }
            }
            return new Fixture(name, params, shapes, values);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Python's spelling of non-finite floats, or a plain number. */
    static float parse(String s) {
        return switch (s) {
            case "nan" -> Float.NaN;
            case "inf" -> Float.POSITIVE_INFINITY;
            case "-inf" -> Float.NEGATIVE_INFINITY;
            default -> Float.parseFloat(s);
        };
    }

    Tensor tensor(String key) {
        return Tensor.of(values.get(key), shapes.get(key));
    }

    float[] array(String key) {
        return values.get(key);
    }

    boolean alignCorners() {
        return Boolean.parseBoolean(params.get("align_corners"));
    }

    Interpolation mode() {
        return Interpolation.valueOf(params.get("mode").toUpperCase());
    }

    Padding padding() {
        return Padding.valueOf(params.get("padding").toUpperCase());
    }

    long[] size() {
        return Arrays.stream(params.get("size").split(",")).mapToLong(Long::parseLong).toArray();
    }

    private static String[] listNames() {
        return names("");
    }

    /** The cases listed in /fixtures/{dir}/index.txt, as names for {@link #load} ("dir/case"; dir "" for the top). */
    static String[] names(String dir) {
        String prefix = dir.isEmpty() ? "" : dir + "/";
        try (InputStream in = Fixture.class.getResourceAsStream("/fixtures/" + prefix + "index.txt")) {
            if (in == null) throw new IllegalStateException("missing /fixtures/" + prefix + "index.txt");
            List<String> out = new ArrayList<>();
            for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!l.isBlank()) out.add(prefix + l.strip());
            }
            return out.toArray(String[]::new);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
