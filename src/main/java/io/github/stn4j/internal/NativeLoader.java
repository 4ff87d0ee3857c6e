package io.github.stn4j.internal;

import io.github.stn4j.internal.bindings.stn_h;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Finds, extracts and loads the native library, once.
 *
 * <p>Order: the system property {@code stn4j.library.path} (a file), else the jar resource
 * {@code /native/<os>-<arch>/<mapped name of "stn4j-<version>">}, extracted into a fresh folder under
 * {@code stn4j.extract.dir} (default {@code java.io.tmpdir}) and deleted once loaded (on POSIX systems), or at once
 * if loading fails. Every failure is an {@link IllegalStateException} that names what was looked for and how to fix
 * it; the outcome (library or failure) is computed once and cached.
 */
public final class NativeLoader {
    public static final String PATH_PROPERTY = "stn4j.library.path";
    public static final String EXTRACT_DIR_PROPERTY = "stn4j.extract.dir";

    private NativeLoader() {}

    /** Loads the library if needed; returns its location. Throws the same exception on every call if it failed. */
    public static String load() {
        Result r = Holder.RESULT;
        if (r.error != null) throw new IllegalStateException(r.error.getMessage(), r.error.getCause());
        return r.location;
    }

    /** Whether the library loaded (triggers the load). */
    public static boolean isLoaded() {
        return Holder.RESULT.error == null;
    }

    /** Why the library did not load, or {@code null}. */
    public static String failure() {
        Exception e = Holder.RESULT.error;
        return e == null ? null : e.getMessage();
    }

    /** The normalised platform id, e.g. {@code linux-x86_64}, the same names CMakeLists.txt uses. */
    public static String platform() {
        return platform(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
    }

    static String platform(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String osId;
        if (os.startsWith("linux")) osId = "linux";
        else if (os.startsWith("windows")) osId = "windows";
        else if (os.startsWith("mac") || os.startsWith("darwin")) osId = "macos";
        else if (os.startsWith("freebsd")) osId = "freebsd";
        else osId = os.replaceAll("[^a-z0-9]", "");
        String arch = osArch.toLowerCase(Locale.ROOT);
        String archId = switch (arch) {
            case "amd64", "x86_64", "x86-64", "x64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch.replaceAll("[^a-z0-9_]", "");
        };
        return osId + "-" + archId;
    }

    /** Resource path of the library inside the jar for a platform. */
    static String resourcePath(String platform, String version) {
        String os = platform.substring(0, platform.indexOf('-'));
        String file = switch (os) {
            case "windows" -> "stn4j-" + version + ".dll";
            case "macos" -> "libstn4j-" + version + ".dylib";
            default -> "libstn4j-" + version + ".so";
        };
        return "/native/" + platform + "/" + file;
    }

    private record Result(String location, Exception error) {}

    private static final class Holder {
        static final Result RESULT = doLoad();
    }

    private static Result doLoad() {
        String version = Version.get();
        String location;
        try {
            if (!NativeLoader.class.getModule().isNativeAccessEnabled()) {
                // Loading anyway would make the JDK print its own warning (and fail in a future JDK that denies it).
                throw new IllegalStateException("native access is not enabled for stn4j; run java with"
                        + " --enable-native-access=ALL-UNNAMED (or stn4j's module name) to use the native kernels");
            }
            String override = System.getProperty(PATH_PROPERTY);
            if (override != null && !override.isBlank()) {
                Path p = Path.of(override).toAbsolutePath();
                if (!Files.isRegularFile(p)) {
                    throw new IllegalStateException("stn4j native library not found at " + p + " (set by -D"
                            + PATH_PROPERTY + "); point it at a libstn4j build or remove the property to use the"
                            + " library inside the jar");
                }
                System.load(p.toString());
                location = p.toString();
            } else {
                location = extractAndLoad(platform(), version);
            }
            String nativeVersion = stn_h.stn_version().reinterpret(64).getString(0);
            if (!nativeVersion.equals(version)) {
                throw new IllegalStateException("stn4j native library " + location + " is version " + nativeVersion
                        + " but the Java classes are " + version + "; rebuild with 'mvn package' or fix -D"
                        + PATH_PROPERTY);
            }
            return new Result(location, null);
        } catch (IllegalStateException e) {
            return new Result(null, e);
        } catch (UnsatisfiedLinkError | IOException | IllegalCallerException e) {
            String hint = e instanceof IllegalCallerException
                    ? "; run java with --enable-native-access=ALL-UNNAMED (or the module's name)"
                    : "";
            return new Result(null, new IllegalStateException("stn4j could not load its native library: " + e
                    + hint, e));
        }
    }

    private static String extractAndLoad(String platform, String version) throws IOException {
        String resource = resourcePath(platform, version);
        try (InputStream in = NativeLoader.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("stn4j has no native library for " + platform + " (resource "
                        + resource + " is not in the jar); build it on this platform with 'mvn package' (needs"
                        + " cmake and a C compiler), or set -D" + PATH_PROPERTY + "=/path/to/library");
            }
            String dirProp = System.getProperty(EXTRACT_DIR_PROPERTY);
            boolean chosen = dirProp != null && !dirProp.isBlank();
            Path base = Path.of(chosen ? dirProp : System.getProperty("java.io.tmpdir"));
            Path dir = null, file = null;
            try {
                Files.createDirectories(base);
                dir = Files.createTempDirectory(base, "stn4j-" + version + "-");
                file = dir.resolve(resource.substring(resource.lastIndexOf('/') + 1));
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                System.load(file.toString());
            } catch (IOException | UnsatisfiedLinkError e) {
                // The usual cause is a folder the system will not map code from (a noexec /tmp: "failed to map
                // segment from shared object"), or one that cannot be written; the fix is another folder. Nothing
                // extracted may stay behind, whatever failed.
                throw new IllegalStateException("stn4j could not extract and load its native library in " + base + " ("
                        + (chosen ? "-D" + EXTRACT_DIR_PROPERTY : "java.io.tmpdir") + "): " + e + "; if that folder"
                        + " is mounted noexec or is not writable, set -D" + EXTRACT_DIR_PROPERTY + " to a folder"
                        + " where it can be written and executed (or -D" + PATH_PROPERTY + " to an installed"
                        + " library)" + removeAll(file, dir), e);
            }
            // Once mapped, the file is no longer needed on POSIX systems; Windows keeps it locked until exit.
            if (!platform.startsWith("windows")) {
                Files.deleteIfExists(file);
                Files.deleteIfExists(dir);
            } else {
                file.toFile().deleteOnExit();
                dir.toFile().deleteOnExit();
            }
            return "jar:" + resource;
        }
    }

    /** Deletes the extracted file and its folder (either may be null); returns what could not be deleted, if any. */
    private static String removeAll(Path file, Path dir) {
        StringBuilder left = new StringBuilder();
        for (Path p : new Path[] {file, dir}) {
            if (p == null) continue;
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                left.append(left.isEmpty() ? "; could not remove " : ", ").append(p).append(" (").append(e)
                        .append(')');
            }
        }
        return left.toString();
    }

    /** Reads a NUL-terminated C string returned by the library. */
    static String cString(MemorySegment p) {
        return p.reinterpret(256).getString(0);
    }
}
